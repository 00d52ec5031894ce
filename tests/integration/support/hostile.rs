//! `Hostile`: a deliberately lying loopback server for the hardening tests. Each route is a
//! canned answer (status, headers, body) chosen by the test, matched by path suffix; `{base}`
//! in a header or body becomes the server's own `http://127.0.0.1:PORT`. Every request it
//! receives is recorded, so a second instance is the "other port" a redirect points at and
//! the test can read what leaked there. `{client_request_id}` in a body or header becomes the
//! `client-request-id` the request carried, as Entra names it (the correlation ID, and an
//! echoed header only when the request asked with `return-client-request-id: true`).

#![allow(dead_code)] // Each test uses a different part of the harness.

use std::sync::{Arc, Mutex, mpsc};

use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use tempfile::TempDir;

use super::Background;
use super::onboard;
use super::onboarded::{Run, run};

/// A canned answer.
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Canned {
    pub fn json(status: u16, body: Value) -> Canned {
        Canned {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    /// A redirect with the same method and body (307) to `location`.
    pub fn redirect(status: u16, location: &str) -> Canned {
        Canned {
            status,
            headers: vec![("location".into(), location.into())],
            body: String::new(),
        }
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl Seen {
    /// The value of the header `name`, if the request carried it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    routes: Vec<(String, Canned)>,
    /// Answers given once each, in order, before `routes` answers the same suffix.
    once: Vec<(String, Canned)>,
    seen: Vec<Seen>,
}

/// The correlation ID a [`Hostile`] names when a request carried no `client-request-id`.
pub const NO_CLIENT_REQUEST_ID: &str = "5c1f0a3e-9d2b-4e7a-8c6f-0b1d2e3f4a5b";

pub struct Hostile {
    base: String,
    state: Arc<Mutex<State>>,
    _server: Background,
}

/// The tenant GUID the hostile issuer claims.
pub const TENANT: &str = "0b8f4c35-7d34-4e8b-9f2a-6a1f5c3e2d10";
/// The client ID the tests pass.
pub const CLIENT_ID: &str = "6731de76-14a6-49ae-97bc-6eba6914391e";

/// `ONBOARD_CREDENTIAL` for a profile at `authority` (a [`Hostile`] issuer's, usually), holding
/// `refresh_token`.
pub fn credential(authority: &str, refresh_token: &str) -> String {
    serde_json::json!({
        "version": 1,
        "profile": "hostile",
        "authority": authority,
        "tenant": TENANT,
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "account": "svc@contoso.example",
        "scopes": ["openid", "offline_access"],
        "refresh_token": refresh_token,
    })
    .to_string()
}

impl Hostile {
    /// A server that answers 404 to everything until routes are added.
    pub fn start() -> Hostile {
        let state = Arc::new(Mutex::new(State::default()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let shared = state.clone();
        let server = Background::spawn("the hostile server", move |stop| async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a loopback port");
            let base = format!("http://{}", listener.local_addr().unwrap());
            let app_base = base.clone();
            let app = axum::Router::new().fallback(
                move |method: Method, uri: Uri, headers: axum::http::HeaderMap, body: Bytes| {
                    let state = shared.clone();
                    let base = app_base.clone();
                    async move { answer(&state, &base, method, uri, headers, body) }
                },
            );
            let _ = ready_tx.send(base);
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop.await;
                })
                .await;
        });
        let base = ready_rx
            .recv_timeout(super::sim::WAIT)
            .expect("the hostile server starts");
        Hostile {
            base,
            state,
            _server: server,
        }
    }

    /// A server that plays an OpenID issuer at `{base}/{TENANT}/v2.0` whose discovery document,
    /// device-code and token endpoints answer as an honest one would; tests then make them lie.
    pub fn issuer() -> Hostile {
        let server = Hostile::start();
        server.route(
            "/.well-known/openid-configuration",
            Canned::json(200, server.discovery(json!({}))),
        );
        server.route(
            "/devicecode",
            Canned::json(
                200,
                json!({
                    "user_code": "HSTLCODE",
                    "device_code": "device-code-secret-4711",
                    "verification_uri": "{base}/devicelogin",
                    "expires_in": 60,
                    "interval": 1,
                }),
            ),
        );
        server
    }

    /// The discovery document, with `overrides` merged in.
    pub fn discovery(&self, overrides: Value) -> Value {
        let mut document = json!({
            "issuer": format!("{{base}}/{TENANT}/v2.0"),
            "token_endpoint": format!("{{base}}/{TENANT}/oauth2/v2.0/token"),
            "device_authorization_endpoint": format!("{{base}}/{TENANT}/oauth2/v2.0/devicecode"),
            "userinfo_endpoint": "{base}/oidc/userinfo",
        });
        if let (Some(doc), Some(extra)) = (document.as_object_mut(), overrides.as_object()) {
            for (k, v) in extra {
                doc.insert(k.clone(), v.clone());
            }
        }
        document
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The issuer URL to pass as `--authority`.
    pub fn authority(&self) -> String {
        format!("{}/{TENANT}/v2.0", self.base)
    }

    /// Answers requests whose path ends with `suffix` with `canned` (the last route added for
    /// a suffix wins).
    pub fn route(&self, suffix: &str, canned: Canned) {
        let mut state = self.state.lock().unwrap();
        state.routes.retain(|(s, _)| s != suffix);
        state.routes.push((suffix.to_owned(), canned));
    }

    /// Answers the next request whose path ends with `suffix` with `canned`, once; later
    /// ones get the next such answer, then the route's.
    pub fn route_once(&self, suffix: &str, canned: Canned) {
        let mut state = self.state.lock().unwrap();
        state.once.push((suffix.to_owned(), canned));
    }

    /// Everything received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }
}

fn answer(
    state: &Mutex<State>,
    base: &str,
    method: Method,
    uri: Uri,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap();
    let seen = Seen {
        method: method.to_string(),
        path: uri.path().to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        at: std::time::Instant::now(),
    };
    let request_id = seen.header("client-request-id").map(str::to_owned);
    let echo = seen.header("return-client-request-id") == Some("true") && request_id.is_some();
    let request_id = request_id.unwrap_or_else(|| NO_CLIENT_REQUEST_ID.to_owned());
    state.seen.push(seen);
    let once = state
        .once
        .iter()
        .position(|(suffix, _)| uri.path().ends_with(suffix.as_str()));
    let canned = match once {
        Some(at) => state.once.remove(at).1,
        None => state
            .routes
            .iter()
            .rev()
            .find(|(suffix, _)| uri.path().ends_with(suffix.as_str()))
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| Canned::json(404, json!({"error": "not_found"}))),
    };
    let fill = |text: &str| {
        text.replace("{base}", base)
            .replace("{client_request_id}", &request_id)
    };
    let mut response = Response::new(Body::from(fill(&canned.body)));
    *response.status_mut() = StatusCode::from_u16(canned.status).unwrap();
    for (name, value) in canned.headers {
        if value.contains("{client_request_id}") && !echo {
            continue;
        }
        response.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(&fill(&value)).unwrap(),
        );
    }
    response
}

/// `onboard validate` with `credential` exported in `ONBOARD_CREDENTIAL`, in an empty config
/// directory, then `extra` (e.g. `--json`).
pub fn validate_exported(credential: &str, extra: &[&str]) -> (Run, TempDir) {
    let dir = TempDir::new().expect("a temporary config directory");
    let mut command = onboard();
    command
        .env("ONBOARD_HTTP_TIMEOUT", "30s")
        .env("ONBOARD_CREDENTIAL", credential)
        .arg("--config-dir")
        .arg(dir.path())
        .arg("validate")
        .args(extra);
    (run(command), dir)
}

/// `onboard invite --non-interactive` against `authority`, with the file store in an empty
/// config directory, then `extra` (`--timeout`, `--json`, …).
pub fn invite_against(authority: &str, extra: &[&str]) -> (Run, TempDir) {
    let mut args = vec![
        "--authority",
        authority,
        "--client-id",
        CLIENT_ID,
        "--account",
        "svc@contoso.example",
    ];
    args.extend_from_slice(extra);
    invite_with(&args)
}

/// `onboard invite --non-interactive ARGS`, with the file store in an empty config directory.
pub fn invite_with(args: &[&str]) -> (Run, TempDir) {
    let dir = TempDir::new().expect("a temporary config directory");
    let mut command = onboard();
    command
        .env("ONBOARD_HTTP_TIMEOUT", "30s")
        .args(["--store", "file", "--config-dir"])
        .arg(dir.path())
        .args(["invite", "--non-interactive"])
        .args(args);
    (run(command), dir)
}
