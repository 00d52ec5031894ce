//! `onboard doctor`: pre-flight checks before calling a customer, each with its fix: the proxy
//! in use, DNS and HTTPS to the authority, Microsoft Graph reachable, clock skew against the
//! server's `Date`, the credential store (write, read, delete a probe), the tenant exists
//! (discovery), and the registration accepts device code (a device-code request, never polled).
//! The exit code is the worst failing check's.

use std::time::Duration;

use reqwest::Client;
use serde_json::{Value, json};
use url::Url;

use crate::authority::{self, Authority, Cloud, Endpoints};
use crate::cli::DoctorArgs;
use crate::connection::{self, authority_of};
use crate::deps::{Deps, ProxyEnv};
use crate::error::{Error, Kind, Result};
use crate::flow;
use crate::http::{self, host_of};
use crate::profiles::StoreKind;
use crate::secret::Secret;
use crate::store::TimedStore;

/// Clock skew beyond this is worth a warning: tokens carry times.
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// How long the store probe may take per call.
const STORE_PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The probe entry's profile name.
const PROBE: &str = "onboard-doctor-probe";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Ok,
    Warn,
    Fail,
    Skip,
}

struct Check {
    name: &'static str,
    status: Status,
    detail: String,
    fix: Option<String>,
    kind: Option<Kind>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
            kind: None,
        }
    }

    fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            status: Status::Warn,
            fix: Some(fix.into()),
            ..Check::ok(name, detail)
        }
    }

    fn skip(name: &'static str, why: impl Into<String>) -> Check {
        Check {
            status: Status::Skip,
            ..Check::ok(name, why)
        }
    }

    fn fail(name: &'static str, error: &Error) -> Check {
        Check {
            name,
            status: Status::Fail,
            detail: error.to_string(),
            fix: error.hint.clone(),
            kind: Some(error.kind),
        }
    }

    fn line(&self) -> String {
        let mark = match self.status {
            Status::Ok => "✓",
            Status::Warn => "!",
            Status::Fail => "✗",
            Status::Skip => "-",
        };
        let mut line = format!("{mark} {}: {}", self.name, self.detail);
        if let Some(fix) = &self.fix {
            line.push_str(&format!("\n    fix: {fix}"));
        }
        line
    }

    fn to_json(&self) -> Value {
        json!({
            "check": self.name,
            "status": match self.status {
                Status::Ok => "ok",
                Status::Warn => "warn",
                Status::Fail => "fail",
                Status::Skip => "skip",
            },
            "detail": self.detail,
            "fix": self.fix,
            "exit_code": self.kind.map_or(0, Kind::exit_code),
        })
    }
}

/// What to check: from the flags, else from the profile.
struct Target {
    authority: Authority,
    /// False when no tenant is known: only the cloud's hosts are checked.
    has_tenant: bool,
    client_id: Option<String>,
    store: Option<StoreKind>,
}

async fn target(args: &DoctorArgs, profile_flag: Option<&str>, deps: &Deps) -> Result<Target> {
    let t = &args.target;
    let client_id = t
        .client_id
        .as_deref()
        .map(authority::parse_client_id)
        .transpose()?;
    if let Some(authority) =
        authority::from_flags(t.authority.as_deref(), t.tenant.as_deref(), t.cloud)?
    {
        return Ok(Target {
            authority,
            has_tenant: true,
            client_id,
            store: None,
        });
    }
    let profiles = deps.profiles()?.load().await?.profiles;
    let chosen = match profile_flag {
        Some(name) => Some(
            profiles
                .get(name)
                .cloned()
                .ok_or_else(|| crate::profiles::not_onboarded(name))?,
        ),
        None if profiles.len() == 1 => profiles.into_values().next(),
        None => None,
    };
    Ok(match chosen {
        Some(profile) => Target {
            authority: authority_of(&profile)?,
            has_tenant: true,
            client_id: client_id.or(Some(profile.connection.client_id.clone())),
            store: Some(profile.store),
        },
        None => Target {
            authority: Authority::microsoft(t.cloud.unwrap_or(Cloud::Global), "organizations"),
            has_tenant: false,
            client_id,
            store: None,
        },
    })
}

pub async fn run(args: &DoctorArgs, profile_flag: Option<&str>, deps: &mut Deps) -> Result<()> {
    let target = target(args, profile_flag, deps).await?;
    let http = deps.http()?;
    let host = host_of(&target.authority.base);
    let route = Route::of(&deps.proxy_env(), &target.authority.base);
    let mut checks = vec![route.check()];
    checks.push(dns(&target.authority.base, route.is_proxied()).await);
    let reached = reach(&http, &target.authority).await;
    let server_date = reached.as_ref().ok().and_then(|r| r.1);
    checks.push(match &reached {
        Ok((status, _)) => Check::ok(
            "authority",
            format!(
                "{} to {host} works (discovery answered HTTP {status})",
                target.authority.base.scheme().to_uppercase()
            ),
        ),
        Err(error) => Check::fail("authority", error),
    });
    checks.push(clock(server_date));
    let endpoints = if !target.has_tenant {
        checks.push(Check::skip(
            "tenant",
            "no tenant given: pass --tenant (or --authority), or --profile",
        ));
        None
    } else if reached.is_err() {
        checks.push(Check::skip("tenant", "the authority is not reachable"));
        None
    } else {
        match authority::discover(&http, &target.authority).await {
            Ok(endpoints) => {
                checks.push(Check::ok(
                    "tenant",
                    match &endpoints.tenant_id {
                        Some(id) => format!("exists (tenant ID {id})"),
                        None => format!("{} publishes its endpoints", host),
                    },
                ));
                Some(endpoints)
            }
            Err(error) => {
                checks.push(Check::fail("tenant", &error));
                None
            }
        }
    };
    checks.push(graph(&http, &target.authority, endpoints.as_ref()).await);
    checks.push(registration(&http, endpoints.as_ref(), target.client_id.as_deref()).await);
    checks.push(store(deps, target.store).await);
    report(&checks, deps)
}

fn report(checks: &[Check], deps: &mut Deps) -> Result<()> {
    let worst = checks.iter().filter_map(|c| c.kind).max();
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    if deps.json {
        deps.out.data(
            &json!({
                "checks": checks.iter().map(Check::to_json).collect::<Vec<_>>(),
                "ok": failed == 0,
                "exit_code": worst.map_or(0, Kind::exit_code),
            })
            .to_string(),
        );
    } else {
        for check in checks {
            deps.out.data(&check.line());
        }
        deps.out.data(&match failed {
            0 => format!("{} checks, none failed", checks.len()),
            n => format!("{} checks, {n} failed", checks.len()),
        });
    }
    match worst {
        Some(kind) => Err(Error::new(
            kind,
            "doctor",
            format!("{failed} of {} checks failed", checks.len()),
        )
        .mark_reported()),
        None => Ok(()),
    }
}

/// How requests reach the authority's host, as reqwest decides it from the environment.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// No proxy is set.
    Direct,
    /// A proxy is set, and NO_PROXY exempts the host from it.
    Exempt { host: String, proxy: String },
    /// Through the proxy, shown without its user name or password.
    Proxied { host: String, proxy: String },
}

impl Route {
    fn of(env: &ProxyEnv, url: &Url) -> Route {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let Some(proxy) = &env.https else {
            return Route::Direct;
        };
        let proxy = redact_proxy(proxy);
        let exempt = env.no_proxy.as_deref().is_some_and(|list| {
            list.split(',').map(str::trim).any(|entry| {
                let entry = entry.trim_start_matches('.').to_ascii_lowercase();
                entry == "*"
                    || (!entry.is_empty()
                        && (host == entry || host.ends_with(&format!(".{entry}"))))
            })
        });
        if exempt {
            Route::Exempt { host, proxy }
        } else {
            Route::Proxied { host, proxy }
        }
    }

    /// The proxy resolves names itself, so a local DNS failure need not matter.
    fn is_proxied(&self) -> bool {
        matches!(self, Route::Proxied { .. })
    }

    fn check(&self) -> Check {
        Check::ok(
            "proxy",
            match self {
                Route::Direct => "none (HTTPS_PROXY is not set): direct connections".to_owned(),
                Route::Exempt { host, proxy } => {
                    format!("NO_PROXY exempts {host}: direct, not through {proxy}")
                }
                Route::Proxied { host, proxy } => format!("HTTPS_PROXY {proxy} applies to {host}"),
            },
        )
    }
}

/// The proxy URL without a user name or password.
fn redact_proxy(proxy: &str) -> String {
    match Url::parse(proxy) {
        Ok(mut url) => {
            if !url.username().is_empty() || url.password().is_some() {
                let _ = url.set_username("");
                let _ = url.set_password(None);
            }
            url.to_string()
        }
        Err(_) => "(not a URL)".to_string(),
    }
}

async fn dns(url: &Url, proxied: bool) -> Check {
    let Some(host) = url.host_str() else {
        return Check::skip("dns", "the authority has no host name");
    };
    let port = url.port_or_known_default().unwrap_or(443);
    match tokio::net::lookup_host((host, port)).await {
        Ok(mut addresses) => match addresses.next() {
            Some(address) => Check::ok("dns", format!("{host} resolves to {}", address.ip())),
            None => Check::fail("dns", &dns_error(host)),
        },
        Err(_) if proxied => Check::warn(
            "dns",
            format!("{host} does not resolve here"),
            "the proxy resolves names itself, so this is fine if the proxy can reach it",
        ),
        Err(_) => Check::fail("dns", &dns_error(host)),
    }
}

fn dns_error(host: &str) -> Error {
    Error::new(Kind::Unreachable, "dns", format!("cannot resolve {host}")).with_hint(
        "check the host name (--tenant, --cloud, --authority) and DNS; behind a proxy set HTTPS_PROXY",
    )
}

/// GET the discovery document: any HTTP answer proves DNS, TCP, TLS and the proxy work.
/// Returns the status and the server's `Date`.
async fn reach(client: &Client, authority: &Authority) -> Result<(u16, Option<jiff::Timestamp>)> {
    let request = client
        .get(authority.discovery_url())
        .build()
        .map_err(|e| Error::unexpected(e.to_string()))?;
    let reply = http::execute(client, request).await?;
    let date = reply
        .headers
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            jiff::fmt::rfc2822::DateTimeParser::new()
                .parse_timestamp(v)
                .ok()
        });
    Ok((reply.status.as_u16(), date))
}

fn clock(server: Option<jiff::Timestamp>) -> Check {
    let Some(server) = server else {
        return Check::skip("clock", "the server sent no Date header to compare with");
    };
    let skew = jiff::Timestamp::now().duration_since(server);
    let secs = skew.as_secs().unsigned_abs();
    let words = if skew.is_negative() {
        "behind"
    } else {
        "ahead of"
    };
    if Duration::from_secs(secs) > MAX_SKEW {
        Check::warn(
            "clock",
            format!("this machine's clock is {secs} s {words} the server's"),
            "set the clock right (enable NTP); tokens carry issue and expiry times",
        )
    } else {
        Check::ok("clock", format!("within {}s of the server's", secs.max(1)))
    }
}

/// Graph's host answers (a 401 without a token is an answer).
async fn graph(client: &Client, authority: &Authority, endpoints: Option<&Endpoints>) -> Check {
    let base = match (endpoints.and_then(|e| e.graph.clone()), authority.cloud) {
        (Some(graph), _) => graph,
        (None, Some(cloud)) => match Url::parse(&format!("https://{}/", cloud.graph_host())) {
            Ok(url) => url,
            Err(_) => return Check::skip("graph", "no Graph host for this cloud"),
        },
        (None, None) if endpoints.is_some() => {
            return Check::skip(
                "graph",
                "not a Microsoft authority: validation uses its userinfo endpoint",
            );
        }
        (None, None) => return Check::skip("graph", "the authority's endpoints are unknown"),
    };
    let host = host_of(&base);
    let request = match base.join("v1.0/me") {
        Ok(url) => client.get(url).build(),
        Err(e) => return Check::fail("graph", &Error::unexpected(e.to_string())),
    };
    let request = match request {
        Ok(request) => request,
        Err(e) => return Check::fail("graph", &Error::unexpected(e.to_string())),
    };
    match http::execute(client, request).await {
        Ok(reply) => Check::ok(
            "graph",
            format!(
                "{} to {host} works (HTTP {} without a token)",
                base.scheme().to_uppercase(),
                reply.status.as_u16()
            ),
        ),
        Err(error) => Check::fail("graph", &error),
    }
}

/// A device-code request, never polled: the code expires unused.
async fn registration(
    client: &Client,
    endpoints: Option<&Endpoints>,
    client_id: Option<&str>,
) -> Check {
    let Some(client_id) = client_id else {
        return Check::skip("registration", "no registration given: pass --client-id");
    };
    let Some(endpoints) = endpoints else {
        return Check::skip("registration", "the tenant could not be checked");
    };
    let scopes = flow::normalize_scopes(&[]);
    match flow::request_device_code(client, endpoints, client_id, &scopes).await {
        Ok(_) => Check::ok(
            "registration",
            format!("{client_id} accepts device-code sign-in (a code was issued and left unused)"),
        ),
        Err(error) => Check::fail("registration", &error),
    }
}

/// Write, read and delete a probe entry, each call within the store timeout.
async fn store(deps: &mut Deps, kind: Option<StoreKind>) -> Check {
    match connection::from_environment(deps) {
        Ok(Some(selected)) => {
            return Check::ok(
                "store",
                format!(
                    "ONBOARD_CREDENTIAL holds profile '{}': no store is needed",
                    selected.name
                ),
            );
        }
        Ok(None) => {}
        Err(error) => return Check::fail("store", &error),
    }
    let store = match kind {
        Some(kind) => deps.store_for(kind),
        None => deps.store(),
    };
    let store = match store {
        Ok(store) => store.with_timeout(STORE_PROBE_TIMEOUT),
        Err(error) => return Check::fail("store", &error),
    };
    match probe(&store).await {
        Ok(()) => Check::ok(
            "store",
            format!(
                "the {} saves, reads and deletes an entry",
                store.kind().description()
            ),
        ),
        Err(error) => Check::fail("store", &error),
    }
}

async fn probe(store: &TimedStore) -> Result<()> {
    let value = Secret::new(format!("probe-{}", jiff::Timestamp::now().as_millisecond()));
    // Under the probe's lock, like every save: two doctors at once must not clash.
    let _lock = store.lock(PROBE).await?;
    store.save(PROBE, &value).await?;
    let read = store.load(PROBE).await;
    let deleted = store.delete(PROBE).await;
    match read? {
        Some(read) if read == value => {}
        _ => {
            return Err(Error::new(
                Kind::StoreUnavailable,
                "store_probe",
                "the credential store did not give back what was saved",
            )
            .with_hint("check the keyring (or use --store file)"));
        }
    }
    deleted.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_route_follows_no_proxy_and_hides_credentials() {
        let url = Url::parse("https://login.microsoftonline.com/t/v2.0").unwrap();
        assert_eq!(Route::of(&ProxyEnv::default(), &url), Route::Direct);
        let env = ProxyEnv {
            https: Some("http://user:pw@proxy.corp:3128".into()),
            no_proxy: Some("localhost, .example.com".into()),
        };
        let host = "login.microsoftonline.com".to_owned();
        let proxy = "http://proxy.corp:3128/".to_owned();
        let used = Route::of(&env, &url);
        assert_eq!(
            used,
            Route::Proxied {
                host: host.clone(),
                proxy: proxy.clone()
            }
        );
        assert!(used.is_proxied());
        assert!(
            !used.check().detail.contains("pw"),
            "{}",
            used.check().detail
        );
        let env = ProxyEnv {
            no_proxy: Some("microsoftonline.com".into()),
            ..env
        };
        let exempt = Route::of(&env, &url);
        assert_eq!(exempt, Route::Exempt { host, proxy });
        assert!(!exempt.is_proxied());
    }

    #[test]
    fn a_clock_off_by_more_than_five_minutes_is_a_warning() {
        let now = jiff::Timestamp::now();
        assert_eq!(clock(Some(now)).status, Status::Ok);
        let late = now - jiff::SignedDuration::from_secs(600);
        assert_eq!(clock(Some(late)).status, Status::Warn);
        assert_eq!(clock(None).status, Status::Skip);
    }
}
