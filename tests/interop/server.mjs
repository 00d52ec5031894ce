// An independent OAuth 2.0 / OpenID Connect server for onboard's interop tests: oidc-provider
// (OpenID Certified), with the Device Authorization Grant and the authorization code flow (PKCE)
// on, on 127.0.0.1 and a free port.
//
// The first line on stdout is the issuer URL. Environment:
//   INTEROP_CLIENT_ID        the public client's id (default below, a GUID; any string the
//                            provider knows works, as with every non-Microsoft issuer)
//   INTEROP_DEVICE_CODE_TTL  device-code lifetime in seconds (default 600)
//   INTEROP_SLOW_DOWN_MS     when set, a device-code poll sooner than this after the previous
//                            one is answered slow_down (RFC 8628 §3.5). oidc-provider itself
//                            never sends slow_down: this one rewrite of its answer, after the
//                            provider has handled the poll, is the only thing added to it.
//
// Besides the provider's own routes there are three test routes. GET /_test/slow_downs answers
// {"slow_downs":N}, how many polls were answered slow_down so far. POST /_test/user, body
// {"user_code":"...","action":"approve"|"deny","login":"svc@interop.example"}. It plays the
// person at the browser by driving the provider's real device-flow HTML pages over plain
// HTTP (enter the code, confirm or abort, log in through the dev interaction, consent), with
// a cookie jar, exactly as a browser would post those forms. It answers {"ok":true,"steps":[...]}.
// POST /_test/authorize, body {"url":"<authorize URL>","action":"approve"|"deny","login":"..."},
// does the same for the authorization code flow: it opens the URL, logs in and consents (or
// cancels) on the provider's pages, and stops where the browser would leave the provider. It
// answers {"ok":true,"redirect":"http://localhost:PORT/?code=...&state=...","steps":[...]}: the
// test follows that redirect to onboard's loopback listener itself.

import http from 'node:http';

import Provider from 'oidc-provider';

const CLIENT_ID = process.env.INTEROP_CLIENT_ID || '7d2f4b8e-3c1a-4e5f-9b6d-0a8c2e4f6b1d';
const DEVICE_CODE_TTL = Number(process.env.INTEROP_DEVICE_CODE_TTL || 600);
const SLOW_DOWN_MS = Number(process.env.INTEROP_SLOW_DOWN_MS || 0);

// Each account's claims carry its login name as preferred_username and email, so that the
// wizard's identity check (`--account` against the id_token) has something to compare.
function findAccount(_ctx, id) {
  return {
    accountId: id,
    claims: async () => ({
      sub: id,
      name: `Interop user ${id}`,
      preferred_username: id,
      email: id,
      email_verified: true,
    }),
  };
}

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: CLIENT_ID,
    client_name: 'onboard interop client',
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'authorization_code', 'refresh_token'],
    // A native app's loopback redirect: any port matches (RFC 8252 §7.3), as on Entra.
    application_type: 'native',
    response_types: ['code'],
    redirect_uris: ['http://localhost'],
  }],
  features: {
    deviceFlow: { enabled: true },
    devInteractions: { enabled: true },
  },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  // The id_token carries the scope's claims (preferred_username, email) even next to an
  // access token, as Entra's does.
  conformIdTokenClaims: false,
  findAccount,
  cookies: { keys: ['interop-tests-only-not-a-secret'] },
  ttl: {
    DeviceCode: DEVICE_CODE_TTL,
    AccessToken: 3600,
    IdToken: 3600,
    RefreshToken: 86400,
    Grant: 86400,
    Session: 86400,
    Interaction: 3600,
  },
});
const lastPoll = new Map();
let slowDowns = 0;
if (SLOW_DOWN_MS > 0) {
  provider.use(async (ctx, next) => {
    await next();
    const params = ctx.oidc?.params;
    if (ctx.path !== '/token' || params?.grant_type !== 'urn:ietf:params:oauth:grant-type:device_code') return;
    const now = Date.now();
    const previous = lastPoll.get(params.device_code);
    lastPoll.set(params.device_code, now);
    if (previous !== undefined && now - previous < SLOW_DOWN_MS && ctx.body?.error === 'authorization_pending') {
      slowDowns += 1;
      ctx.status = 400;
      ctx.body = { error: 'slow_down', error_description: 'you are polling too quickly and should back off at a reasonable rate' };
    }
  });
}

// Public client + rotation: every refresh answers a new refresh token, and presenting a used
// one revokes the whole grant (the provider's default for clients without authentication).

/** A browser stand-in: a cookie jar and manual redirects. */
class Agent {
  constructor() {
    this.cookies = new Map();
    this.steps = [];
  }

  async request(url, { method = 'GET', form } = {}) {
    let target = new URL(url, issuer);
    let body = form ? new URLSearchParams(form).toString() : undefined;
    for (let hops = 0; hops < 20; hops += 1) {
      const headers = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(target, { method, headers, body, redirect: 'manual' });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
      this.steps.push(`${method} ${target.pathname} -> ${response.status}`);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, target);
        // Leaving the provider (the app's redirect URI): a browser would go on; we report it.
        if (next.origin !== issuer) return { status: response.status, url: target, redirect: next.href, html: '' };
        target = next;
        method = 'GET';
        body = undefined;
        continue;
      }
      return { status: response.status, url: target, html: await response.text() };
    }
    throw new Error('too many redirects');
  }
}

/** The first form of a page: its action and hidden inputs. */
function form(page) {
  const match = page.html.match(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/);
  if (!match) throw new Error(`no form on ${page.url.pathname} (HTTP ${page.status})`);
  const fields = {};
  for (const input of match[2].matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = input[0].match(/name="([^"]*)"/);
    const value = input[0].match(/value="([^"]*)"/);
    if (name) fields[name[1]] = value ? value[1] : '';
  }
  return { action: new URL(match[1].replaceAll('&amp;', '&'), page.url), fields };
}

async function actAsUser({ user_code: userCode, action, login }) {
  const agent = new Agent();
  const entry = form(await agent.request('/device'));
  const confirm = form(await agent.request(entry.action, {
    method: 'POST',
    form: { ...entry.fields, user_code: userCode },
  }));
  if (action === 'deny') {
    const { confirm: _yes, ...fields } = confirm.fields;
    await agent.request(confirm.action, { method: 'POST', form: { ...fields, abort: 'yes' } });
    return agent.steps;
  }
  let page = await agent.request(confirm.action, { method: 'POST', form: confirm.fields });
  for (let prompts = 0; prompts < 4 && page.url.pathname.startsWith('/interaction/'); prompts += 1) {
    const next = form(page);
    // The login page asks for a name and a password (the dev interaction accepts any);
    // the consent page has only hidden fields and a Continue button.
    const fields = /name="login"/.test(page.html)
      ? { ...next.fields, prompt: 'login', login, password: 'interop' }
      : next.fields;
    page = await agent.request(next.action, { method: 'POST', form: fields });
  }
  if (!/Sign-in Success/.test(page.html)) {
    throw new Error(`sign-in did not succeed: ended on ${page.url.pathname} (HTTP ${page.status})`);
  }
  return agent.steps;
}

/** The authorization code flow's pages: login, consent (or cancel), then the redirect. */
async function authorize({ url, action, login }) {
  const agent = new Agent();
  let page = await agent.request(url);
  for (let prompts = 0; prompts < 4 && !page.redirect; prompts += 1) {
    if (!page.url.pathname.startsWith('/interaction/')) {
      throw new Error(`unexpected page ${page.url.pathname} (HTTP ${page.status})`);
    }
    if (action === 'deny') {
      const abort = page.html.match(/href="([^"]*\/abort)"/);
      if (!abort) throw new Error(`no cancel link on ${page.url.pathname}`);
      page = await agent.request(abort[1]);
      continue;
    }
    const next = form(page);
    const fields = /name="login"/.test(page.html)
      ? { ...next.fields, prompt: 'login', login, password: 'interop' }
      : next.fields;
    page = await agent.request(next.action, { method: 'POST', form: fields });
  }
  if (!page.redirect) throw new Error(`no redirect to the app: ended on ${page.url.pathname}`);
  return { redirect: page.redirect, steps: agent.steps };
}

const callback = provider.callback();
server.on('request', async (req, res) => {
  if (req.method === 'GET' && req.url === '/_test/slow_downs') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ slow_downs: slowDowns }));
    return;
  }
  if (req.method === 'POST' && (req.url === '/_test/user' || req.url === '/_test/authorize')) {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    res.setHeader('content-type', 'application/json');
    try {
      const request = JSON.parse(raw);
      if (req.url === '/_test/authorize') {
        res.end(JSON.stringify({ ok: true, ...(await authorize(request)) }));
        return;
      }
      const steps = await actAsUser(request);
      res.end(JSON.stringify({ ok: true, steps }));
    } catch (error) {
      res.statusCode = 500;
      res.end(JSON.stringify({ ok: false, error: String(error?.message || error) }));
    }
    return;
  }
  callback(req, res);
});

process.stdout.write(`${issuer}\n`);
// Whoever started us may stop reading after the first line.
process.stdout.on('error', () => {});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
