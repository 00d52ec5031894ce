//! The simulated tenant: a loopback HTTP server that behaves like Entra ID v2.0 and the parts of
//! Microsoft Graph `onboard` uses, with a control API (`/_sim/...`) for tests and demos.
//!
//! It writes Microsoft's JSON with its own types and never imports client-side protocol code,
//! so that a field the client misreads makes a test fail instead of agreeing with itself.
//!
//! Fixed identities, so that demos are repeatable:
//! - tenant id [`TENANT_ID`], registration (client) id [`CLIENT_ID`], whose service principal
//!   in the tenant is [`SERVICE_PRINCIPAL_ID`];
//! - the service account `svc@<tenant_domain>`.
//!
//! Where Microsoft is silent, these are the simulator's choices (tests rely on them):
//! - a device code redeemed twice: `invalid_grant` [70000] ("already been redeemed");
//! - after "Request approval": `authorization_declined` [65004] by default, exactly like a plain
//!   decline; tenant `approval_outcome: "pending"` answers `authorization_pending` until
//!   `expired_token`;
//! - a used refresh token with tenant `reuse_refresh_token: "refuse"`: `invalid_grant` [70000];
//!   an unknown refresh token: `invalid_grant` [9002313]; revoked: `invalid_grant` [50173];
//! - `consent_withdrawn` (and a refresh asking for scopes beyond the original ones):
//!   `invalid_grant` [65001] with `suberror: consent_required` on a refresh and on the browser
//!   road's code redemption; never when a device code is redeemed (Entra settles consent on the
//!   page, so a device-page sign-in consents again and clears the setting);
//! - a poll sooner than the code's interval after the previous one (and the `slow_down` fault):
//!   `error: slow_down` with `error_codes: []` (Entra has no code for it); the interval the
//!   code expects grows by 5 s with each `slow_down`, as RFC 8628 §3.5 has the client do;
//! - the v2 admin consent link without `redirect_uri`: AADSTS500113 when the app has no
//!   registered redirect URI (tenant `redirect_uris`, none by default), else AADSTS900144; one
//!   not registered: AADSTS50011 (v1 shows its confirmation page without one);
//! - a refresh whose `scope` lacks `offline_access` answers without a refresh token; one that
//!   asks for scopes beyond the token's own needs them consented (by the reviewer or the
//!   account), else `invalid_grant` [65001];
//! - scopes of more than one resource in one request: `invalid_scope` [700022];
//! - access tokens of Entra's size, about 2,900 characters (an opaque `aio` claim pads them);
//! - `.default` grants the tenant's `granted_scopes`, else `User.Read` (what the registration
//!   lists); the reviewer's admin consent covers the scopes it named (`.default`: that list,
//!   the admin consent link's `scope` may name Graph's scopes by Graph's URI or by the
//!   simulated tenant's own origin), consents add up, and a sign-in asking for a scope none
//!   covered meets the consent prompt, or "Approval required" again when the tenant demands
//!   admin approval; covered, the sign-in pages skip the prompt;
//! - a token request with `client_info=1` (as Microsoft's MSAL libraries send) gets
//!   `client_info`, base64url of `{"uid": object id, "utid": tenant id}`, as at Entra;
//! - with `--tls` ([`Simulator::start_tls`]) every URL it names is `https://127.0.0.1:PORT`,
//!   served with a certificate from a CA made at start ([`Certificates`]).
//!
//! - the browser road (`authorize`, `grant_type=authorization_code`): an unregistered
//!   `redirect_uri` gets Entra's AADSTS50011 page and no redirect (at the token endpoint:
//!   `invalid_request` [50011]); a `code_verifier` that does not match: `invalid_grant`
//!   [501481]; a code redeemed twice: [54005]; older than ten minutes: [70008]; unknown:
//!   [9002313]; a `redirect_uri` other than the authorize request's but registered:
//!   `invalid_grant` with no code (RFC 6749 §4.1.3; Microsoft documents none); a challenge of
//!   the wrong size or method: an `invalid_request` redirect [501491]. Decline and "Request
//!   approval" redirect with `access_denied` [65004] (tenant `approval_outcome: "pending"`: no
//!   redirect);
//! - `device_code_policy: "on"`: a device-code sign-in's token request and a refresh of a
//!   token born from one answer `invalid_grant` [53003] (Microsoft documents the code, not the
//!   `error` word).
//!
//! Control API beyond the table in docs/simulator.md: `/_sim/tenant` also takes `interval`, `expires_in`
//! (codes issued afterwards), `granted_scopes` (list or null), `consent_withdrawn`,
//! `public_client` (false: AADSTS7000218), `refresh_token_length` (characters of the refresh
//! tokens issued afterwards, 16 to 16384; null: about 1,500), `redirect_uris` (list),
//! `native_redirect_uris` (the "Mobile and desktop applications" platform's; default
//! `["http://localhost"]`),
//! `omit_refresh_scope`, `guests` (home addresses of invited guests, who sign in through
//! `/_sim/approve` with that address), `renamed` (`{"old@domain": "new@domain"}`: the same
//! object id under a new name) and answers every setting plus `admin_consent_granted`
//! (GET reads them); `/_sim/reviewer/approve` takes an optional `scope`; GET `/_sim` answers the
//! [`SimInfo`]; `/_sim/reset` also empties the request log. A fault with only `delay_ms` delays
//! the request and then serves it normally; a fault's `repeat` (default 1) sends its body that
//! many times over, for oversized answers; a fault with `hold` serves the request (a token is
//! rotated, a code redeemed) and keeps its answer back until `/_sim/release` (`{"count"?}`,
//! default 1) lets that many held answers go, so a test can act while an answer is provably in
//! flight instead of racing a delay. `/_sim/clock` (`{"advance_secs"}`) moves the simulator's
//! clock ahead, for intervals and expiries without a sleep. GET `/_sim/tokens` answers every secret handed out (`access_tokens`,
//! `refresh_tokens`, `id_tokens`, `device_codes`, `authorization_codes`; the most recent 10,000),
//! so tests can prove that none leaks.

mod authorize;
mod control;
mod entra;
mod failure;
mod graph;
mod ids;
mod jwt;
mod pages;
mod scopes;
mod state;
mod tls;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::sync::watch;
use tower::ServiceExt;

pub use self::authorize::{
    Action as AuthorizeAction, Outcome as AuthorizeOutcome, Problem as AuthorizeProblem,
};
use self::jwt::Signer;
pub use self::state::{CodeProblem, SignIn};
use self::state::{Fault, RequestRecord, State};
pub use self::tls::Certificates;

/// The simulated tenant's id (a fixed GUID so that demos and docs can name it).
pub const TENANT_ID: &str = "5f0c2a71-9d4e-4b9a-9c61-2e7d0b5a4f13";
/// The simulated registration's application (client) id: a public client.
pub const CLIENT_ID: &str = "3e9b7c2d-1a4f-4e8b-b6d5-7c0a9f2e1d84";
/// The object id of the registration's service principal in the simulated tenant.
pub const SERVICE_PRINCIPAL_ID: &str = "b5a8d3f1-6c2e-4f7a-8d9b-1e4c7a0f3b62";
/// Microsoft Graph's application id, the `aud` of Graph access tokens.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// The object id of Microsoft Graph's service principal in the simulated tenant.
pub const GRAPH_SERVICE_PRINCIPAL_ID: &str = "e2c7a915-3b0d-4f6e-a8c4-6d1f9b2e7a30";

/// How the simulated tenant starts (and what `/_sim/reset` returns to).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The tenant's verified (and initial) domain; the service account is `svc@` this.
    pub tenant_domain: String,
    /// The polling `interval` of new device codes, in seconds.
    pub interval_secs: u64,
    /// The `expires_in` of new device codes, in seconds.
    pub expires_in_secs: u64,
    /// Whether the service account needs a reviewer's admin consent.
    pub require_approval: bool,
    /// Whether the tenant's admin consent workflow is on (off in a new tenant, as on Entra).
    pub admin_consent_workflow: bool,
    /// Added to every response except the control API's.
    pub latency_ms: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            tenant_domain: "contoso.onmicrosoft.com".to_owned(),
            interval_secs: 5,
            expires_in_secs: 900,
            require_approval: false,
            admin_consent_workflow: false,
            latency_ms: 0,
        }
    }
}

/// Where the simulated tenant is and who is in it: the first line `onboard simulate` prints.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SimInfo {
    pub authority: String,
    pub tenant: String,
    pub tenant_id: String,
    pub client_id: String,
    pub account: String,
    pub control: String,
    /// With `--tls`: the PEM file of the certificate authority that signed the server's
    /// certificate, for clients to trust.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
}

/// What every handler shares.
pub(crate) struct Shared {
    /// `http://127.0.0.1:PORT` (`https://` with TLS)
    base: String,
    host: String,
    info: SimInfo,
    settings: Settings,
    started: Instant,
    signer: Signer,
    state: Mutex<State>,
    /// One permit per held answer that `/_sim/release` lets go (kept if none is held yet).
    released: tokio::sync::Semaphore,
}

impl Shared {
    /// The state; a handler that panicked while holding the lock cannot have left it half
    /// written in a way that matters here, so a poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn domain(&self) -> &str {
        &self.info.tenant
    }

    fn service_account(&self) -> &str {
        &self.info.account
    }

    /// Whether `account` is a user of this tenant (its domain, in any case).
    fn is_member(&self, account: &str) -> bool {
        match account.rsplit_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.eq_ignore_ascii_case(self.domain())
                    && !account.chars().any(char::is_whitespace)
            }
            None => false,
        }
    }
}

/// The tenant segment of a path, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TenantRef {
    /// The tenant's GUID or domain.
    Ours,
    /// `organizations`: any work account, so this tenant's too.
    Organizations,
    /// `common` or `consumers`: served where Entra serves them, refused for device code.
    Common,
}

fn resolve_tenant(shared: &Shared, segment: &str) -> Option<TenantRef> {
    if segment.eq_ignore_ascii_case(TENANT_ID) || segment.eq_ignore_ascii_case(shared.domain()) {
        Some(TenantRef::Ours)
    } else if segment.eq_ignore_ascii_case("organizations") {
        Some(TenantRef::Organizations)
    } else if segment.eq_ignore_ascii_case("common") || segment.eq_ignore_ascii_case("consumers") {
        Some(TenantRef::Common)
    } else {
        None
    }
}

/// Form or query parameters; the first of repeated keys wins. Never fails: undecodable bytes
/// become replacement characters, as a lenient server would read them.
fn params(raw: &[u8]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(raw) {
        map.entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    map
}

/// A running simulated tenant. Dropping it without [`Simulator::shutdown`] also stops it.
pub struct Simulator {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Simulator {
    /// Binds 127.0.0.1:port (0 = any free port) and serves plain http on the current tokio
    /// runtime.
    pub async fn start(port: u16, settings: Settings) -> std::io::Result<Simulator> {
        Simulator::serve(port, settings, None).await
    }

    /// As [`Simulator::start`], but https with `certificates`' server certificate: every URL
    /// the tenant names (discovery, endpoints, pages, Graph) is then `https://127.0.0.1:PORT`.
    pub async fn start_tls(
        port: u16,
        settings: Settings,
        certificates: &Certificates,
    ) -> std::io::Result<Simulator> {
        Simulator::serve(port, settings, Some(certificates.acceptor())).await
    }

    async fn serve(
        port: u16,
        settings: Settings,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr: SocketAddr = listener.local_addr()?;
        let host = format!("127.0.0.1:{}", addr.port());
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{host}");
        let info = SimInfo {
            authority: format!("{base}/{TENANT_ID}/v2.0"),
            tenant: settings.tenant_domain.clone(),
            tenant_id: TENANT_ID.to_owned(),
            client_id: CLIENT_ID.to_owned(),
            account: format!("svc@{}", settings.tenant_domain),
            control: format!("{base}/_sim"),
            ca_cert: None,
        };
        let shared = Arc::new(Shared {
            base,
            host,
            info,
            state: Mutex::new(State::new(&settings)),
            settings,
            started: Instant::now(),
            signer: Signer::new(),
            released: tokio::sync::Semaphore::new(0),
        });
        let router = router(shared.clone());
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, tls, shared.clone(), router, stopped));
        Ok(Simulator { shared, stop, task })
    }

    pub fn info(&self) -> &SimInfo {
        &self.shared.info
    }

    /// The `verification_uri`: the page where a person enters the code.
    pub fn sign_in_url(&self) -> String {
        format!("{}/devicelogin", self.shared.base)
    }

    /// The service account signs in and consents on the sign-in page (the control API's
    /// `/approve`, in-process for the demo).
    pub fn approve(&self, user_code: &str) -> Result<SignIn, CodeProblem> {
        let account = self.shared.service_account().to_owned();
        self.shared.lock().sign_in(user_code, &account)
    }

    /// The account declines on the sign-in page (`/deny`).
    pub fn deny(&self, user_code: &str) -> Result<(), CodeProblem> {
        self.shared.lock().deny(user_code)
    }

    /// The account meets "Approval required" and clicks "Request approval" (`/request-approval`).
    /// A tenant that did not demand admin approval demands it from this request on, so that the
    /// demo can show the detour from its default tenant; once a reviewer has approved, there is
    /// nothing left to request.
    pub fn request_approval(&self, user_code: &str) -> Result<(), CodeProblem> {
        let mut state = self.shared.lock();
        let requested = state.open_code(user_code)?.scopes.clone();
        if state.admin_consented(&requested) {
            return Err(CodeProblem::NoApprovalNeeded);
        }
        let demanded = std::mem::replace(&mut state.tenant.require_admin_approval, true);
        let requested = state.request_approval(user_code);
        if requested.is_err() {
            state.tenant.require_admin_approval = demanded;
        }
        requested
    }

    /// The person's browser opens the authorize URL (its query), then acts on the page
    /// (`/_sim/authorize`). A request the page refuses is [`authorize::Problem::Unknown`].
    pub fn authorize(
        &self,
        query: &str,
        state: &str,
        action: authorize::Action,
    ) -> Result<authorize::Outcome, authorize::Problem> {
        match authorize::act(&self.shared, state, action, None) {
            Err(authorize::Problem::Unknown) => {
                authorize::open(&self.shared, query).map_err(|_| authorize::Problem::Unknown)?;
                authorize::act(&self.shared, state, action, None)
            }
            acted => acted,
        }
    }

    /// A reviewer grants admin consent for the tenant (`/reviewer/approve` without a scope).
    pub fn reviewer_approves(&self) {
        let mut state = self.shared.lock();
        let scopes = state.default_admin_scopes();
        state.grant_admin_consent(&scopes);
    }

    /// Stops accepting and closes open connections.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(entra::routes())
        .merge(authorize::routes())
        .merge(pages::routes())
        .merge(graph::routes())
        .merge(control::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

async fn not_found(uri: axum::http::Uri) -> Response<Body> {
    json_response(
        StatusCode::NOT_FOUND,
        &serde_json::json!({"error": "not_found", "error_description": format!("No such endpoint: {}", uri.path())}),
    )
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response<Body> {
    json_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &serde_json::json!({"error": "invalid_request", "error_description": format!("{method} is not supported on {}", uri.path())}),
    )
}

fn json_response(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    response
}

/// How long a client may take over the TLS handshake before its connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

async fn accept_loop(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    router: Router,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors or similar: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let shared = shared.clone();
        let router = router.clone();
        let stopped = stopped.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve_connection(stream, shared, router, stopped).await,
                Some(acceptor) => {
                    // A client that does not trust the CA ends the handshake itself; one that
                    // stalls is dropped.
                    let handshake =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
                    if let Ok(Ok(stream)) = handshake {
                        serve_connection(stream, shared, router, stopped).await;
                    }
                }
            }
        });
    }
}

/// Serves HTTP/1.1 on one connection (plain or TLS) until it closes or the tenant stops.
async fn serve_connection<S>(
    stream: S,
    shared: Arc<Shared>,
    router: Router,
    mut stopped: watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |request| serve(shared.clone(), router.clone(), request));
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        _ = stopped.changed() => {}
    }
}

/// Returned by the service for a `drop` fault: hyper then closes the connection without
/// writing a byte, which is what a crashed proxy looks like to the client.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a simulated fault")
    }
}

impl std::error::Error for Dropped {}

/// One request: record it, apply latency and faults, then route it.
async fn serve(
    shared: Arc<Shared>,
    router: Router,
    request: Request<Incoming>,
) -> Result<Response<Body>, Dropped> {
    let path = request.uri().path().to_owned();
    let control = path == "/_sim" || path.starts_with("/_sim/");
    let mut hold = false;
    let mut answer = None;
    if !control {
        let fault = {
            let mut state = shared.lock();
            let at_ms = u64::try_from(shared.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let fault = state.take_fault(&path);
            state.record(RequestRecord {
                method: request.method().to_string(),
                path: path.clone(),
                at_ms,
                fault: fault.is_some(),
            });
            fault
        };
        let latency = shared.settings.latency_ms + fault.as_ref().map_or(0, |f| f.delay_ms);
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        if let Some(fault) = fault {
            if fault.drop {
                return Err(Dropped);
            }
            hold = fault.hold;
            if fault.slow_down {
                answer = Some(entra::slow_down(&shared));
            } else if let Some(status) = fault.status {
                answer = Some(fault_response(&fault, status));
            }
            // A fault with only `delay_ms` (or `hold`) lets the request be served.
        }
    }
    let response = match answer {
        Some(response) => response,
        None => match router.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
    };
    // Served (its effect is done: a token rotated, a code redeemed), the answer held back until
    // /_sim/release: an answer provably in flight.
    if hold && let Ok(permit) = shared.released.acquire().await {
        permit.forget();
    }
    Ok(response)
}

/// A fault's answer: its body (JSON or text as given) or a proxy's HTML error page.
fn fault_response(fault: &Fault, status: u16) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let (body, content_type) = match &fault.body {
        Some(body) if fault.repeat > 1 => (
            body.repeat(fault.repeat as usize),
            "text/plain; charset=utf-8",
        ),
        Some(body) if serde_json::from_str::<serde_json::Value>(body).is_ok() => {
            (body.clone(), "application/json; charset=utf-8")
        }
        Some(body) if body.trim_start().starts_with('<') => {
            (body.clone(), "text/html; charset=utf-8")
        }
        Some(body) => (body.clone(), "text/plain; charset=utf-8"),
        None => {
            let title = format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Error")
            );
            (
                format!(
                    "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>simulated proxy</center>\r\n</body>\r\n</html>\r\n"
                ),
                "text/html",
            )
        }
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(retry_after) = &fault.retry_after
        && let Ok(value) = HeaderValue::from_str(retry_after)
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
