//! Transport policy: the one place the HTTP client is built (timeouts, user agent, proxy, extra
//! CA), the one place response bodies are read (size-limited, so a hostile or broken server
//! cannot exhaust memory), retries with the per-host throttle ([`retry`]), and what a failed
//! reply means when nothing protocol-specific explains it ([`failed_reply`]).

mod retry;

pub use retry::{
    Failure, Retries, RetryPolicy, Throttle, wait_longer, with_retries, with_retries_told,
};

use std::path::Path;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use url::Url;
use zeroize::Zeroizing;

use crate::error::{Code, Error, Kind, Result};
use crate::oauth::OAuthError;
pub use crate::request_id::{client_request_id, sent_request_id};

/// Larger than any real token response (≈ 5 KB) or Graph page we read, small enough to be harmless.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub const USER_AGENT: &str = concat!("onboard/", env!("CARGO_PKG_VERSION"));

/// The header that names this run's requests (Entra echoes it, and its sign-in logs can be
/// searched by it), and the one that asks for the echo.
pub const CLIENT_REQUEST_ID: &str = "client-request-id";
pub const RETURN_CLIENT_REQUEST_ID: &str = "return-client-request-id";

#[derive(Clone, Debug)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    /// For the whole request, body included.
    pub timeout: Duration,
    pub extra_ca_pem: Option<Vec<u8>>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            extra_ca_pem: None,
        }
    }
}

impl HttpOptions {
    /// Reads the PEM file given with `--ca-cert` / `ONBOARD_CA_CERT`.
    pub fn with_ca_file(mut self, path: &Path) -> Result<Self> {
        let pem = std::fs::read(path).map_err(|e| {
            Error::usage(format!(
                "cannot read the CA certificate {}: {e}",
                path.display()
            ))
            .with_hint("--ca-cert takes a PEM file with the corporate root certificate")
        })?;
        self.extra_ca_pem = Some(pem);
        Ok(self)
    }
}

pub fn build_client(options: &HttpOptions) -> Result<Client> {
    // reqwest is built without a default crypto provider: ring, because aws-lc-sys adds about
    // 100 s to a clean build and 1 MB to the binary. Installing it twice is harmless, so the
    // result is ignored.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = HeaderMap::new();
    if let Ok(id) = reqwest::header::HeaderValue::from_str(client_request_id()) {
        headers.insert(CLIENT_REQUEST_ID, id);
        headers.insert(
            RETURN_CLIENT_REQUEST_ID,
            reqwest::header::HeaderValue::from_static("true"),
        );
    }
    let mut builder = Client::builder()
        .user_agent(USER_AGENT)
        .default_headers(headers)
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        // Redirects are followed by `execute`, which knows the method: reqwest's policy would
        // re-send a POST's body (a refresh token, a device code) on a 307 or 308.
        .redirect(reqwest::redirect::Policy::none());
    if let Some(pem) = &options.extra_ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            Error::usage(format!("the CA certificate is not valid PEM: {e}"))
                .with_hint("--ca-cert takes a PEM file (-----BEGIN CERTIFICATE-----)")
        })?;
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| {
        Error::new(Code::HttpClient, format!("cannot set up HTTPS: {e}"))
            .with_hint("check --ca-cert and the proxy settings (HTTPS_PROXY, NO_PROXY)")
    })
}

/// A response as read: status, headers and a body of at most `MAX_BODY_BYTES`. The body may
/// hold tokens: it is wiped when dropped, and `Debug` shows only its size.
pub struct Reply {
    pub url: Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("url", &redact_query(&self.url))
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Reply {
    pub fn host(&self) -> String {
        host_of(&self.url)
    }

    /// `Retry-After`: seconds (fractional allowed, as Graph sends `2.128`) or an HTTP date.
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self
            .headers
            .get(reqwest::header::RETRY_AFTER)?
            .to_str()
            .ok()?;
        parse_retry_after(value, jiff::Timestamp::now())
    }
}

/// Longer than any throttling wait a server means; bounds arithmetic on hostile values.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// A `Retry-After` value (RFC 9110 §10.2.3) as a wait from `now`: delay-seconds, or an
/// HTTP date (a date already past means "now").
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(MAX_RETRY_AFTER.as_secs_f64())));
    }
    let date = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let wait = now.duration_until(date);
    Some(
        Duration::try_from(wait)
            .unwrap_or_default()
            .min(MAX_RETRY_AFTER),
    )
}

pub fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => url.to_string(),
    }
}

/// How many redirects a GET follows before giving up.
const MAX_REDIRECTS: usize = 5;

/// Sends `request` with `client` and reads the reply within the size limit.
///
/// Redirects: a GET follows up to [`MAX_REDIRECTS`] of them within its own origin (same scheme,
/// host and port, which is https or a loopback host), so a bearer token never travels to
/// another server. Any other request is never redirected: the token and device-code POSTs
/// carry secrets in their bodies, which a 307 or 308 would re-send wherever it points.
pub async fn execute(client: &Client, request: reqwest::Request) -> Result<Reply> {
    let mut request = request;
    let mut hops = 0;
    loop {
        let again = (request.method() == reqwest::Method::GET)
            .then(|| request.try_clone())
            .flatten();
        let method = request.method().clone();
        let reply = execute_once(client, request).await?;
        let Some(target) = redirect_target(&reply) else {
            return Ok(reply);
        };
        let refused = |why: &str| redirect_refused(&method, &reply, &target, why);
        let Some(mut next) = again else {
            return Err(refused(
                "a request that carries a token or code is never redirected",
            ));
        };
        if target.origin() != reply.url.origin()
            || !(target.scheme() == "https" || is_loopback(&target))
        {
            return Err(refused(
                "a redirect is followed only to the same https address",
            ));
        }
        if hops == MAX_REDIRECTS {
            return Err(refused("too many redirects"));
        }
        hops += 1;
        *next.url_mut() = target;
        request = next;
    }
}

/// Where a 3xx reply points, when it names a place (`304 Not Modified` and a 3xx without a
/// usable `Location` are ordinary replies for the caller to judge).
fn redirect_target(reply: &Reply) -> Option<Url> {
    if !reply.status.is_redirection() || reply.status == StatusCode::NOT_MODIFIED {
        return None;
    }
    let location = reply
        .headers
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?;
    reply.url.join(location).ok()
}

fn redirect_refused(method: &reqwest::Method, reply: &Reply, target: &Url, why: &str) -> Error {
    // Not a passing failure to retry: the server will point elsewhere again (exit 2, as for a
    // discovery document that names plain-http endpoints).
    Error::new(
        Code::RedirectRefused,
        format!(
            "{} answered the {method} to {} with a redirect (HTTP {}) to {}, which onboard did not follow: {why}",
            reply.host(),
            reply.url.path(),
            reply.status.as_u16(),
            host_of(target),
        ),
    )
    .with_hint("the identity provider must answer at the endpoints its discovery document names; check --authority, and HTTPS_PROXY if a proxy rewrites answers")
}

/// True for `localhost` and loopback addresses: the only hosts allowed plain http.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// One request and its reply, read within the size limit.
async fn execute_once(client: &Client, request: reqwest::Request) -> Result<Reply> {
    let url = request.url().clone();
    if crate::request_id::mark_sent() {
        tracing::info!(
            "this run's requests carry client-request-id {}: the tenant admin can find its sign-ins by it in the Entra sign-in logs",
            client_request_id()
        );
    }
    tracing::debug!(method = %request.method(), url = %redact_query(&url), client_request_id = client_request_id(), "sending");
    let mut response = client
        .execute(request)
        .await
        .map_err(|e| transport_error(&url, e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Zeroizing::new(Vec::new());
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(Error::new(
                        Code::ResponseTooLarge,
                        format!(
                            "unexpected response from {}: the body is larger than {} KiB",
                            host_of(&url),
                            MAX_BODY_BYTES / 1024
                        ),
                    )
                    .with_hint("a proxy or the server is answering with something else than OAuth JSON; check HTTPS_PROXY and --authority"));
                }
                append_wiped(&mut body, &chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(transport_error(&url, e)),
        }
    }
    tracing::debug!(status = status.as_u16(), bytes = body.len(), url = %redact_query(&url), "received");
    Ok(Reply {
        url,
        status,
        headers,
        body,
    })
}

/// Appends `chunk` to `body`; when the buffer must grow, the old one is wiped rather than left
/// behind in freed memory with a token in it.
fn append_wiped(body: &mut Zeroizing<Vec<u8>>, chunk: &[u8]) {
    let needed = body.len() + chunk.len();
    if needed > body.capacity() {
        let mut grown = Zeroizing::new(Vec::with_capacity(needed.max(body.capacity() * 2)));
        grown.extend_from_slice(body);
        *body = grown;
    }
    body.extend_from_slice(chunk);
}

/// Only the origin and path are shown, in logs and errors alike: query strings can carry codes.
pub fn redact_query(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

fn transport_error(url: &Url, error: reqwest::Error) -> Error {
    let host = host_of(url);
    // reqwest names the whole URL, query included; the host is said already.
    let error = error.without_url();
    let detail = error_chain(&error);
    let (what, hint) = if error.is_timeout() {
        (
            format!("{host} did not answer in time"),
            "check the network or proxy (HTTPS_PROXY), then retry",
        )
    } else if error.is_connect() {
        if detail.contains("dns error") || detail.contains("failed to lookup") {
            (
                format!("cannot resolve {host}"),
                "check the host name (--authority, --cloud) and DNS; behind a proxy set HTTPS_PROXY",
            )
        } else if detail.contains("certificate")
            || detail.contains("tls")
            || detail.contains("TLS")
            // rustls, when the server answers the hello with something that is not TLS.
            || detail.contains("corrupt message")
        {
            (
                format!("TLS with {host} failed"),
                "if a corporate proxy inspects TLS, pass its root certificate with --ca-cert",
            )
        } else {
            (
                format!("cannot connect to {host}"),
                "check the network, firewall and proxy (HTTPS_PROXY, NO_PROXY), then retry",
            )
        }
    } else if detail.contains("certificate") {
        (
            format!("TLS with {host} failed"),
            "if a corporate proxy inspects TLS, pass its root certificate with --ca-cert",
        )
    } else {
        (
            format!("the connection to {host} failed"),
            "the server closed the connection or the network dropped it; retry later",
        )
    };
    Error::new(Code::Network, format!("{what}: {detail}")).with_hint(hint)
}

/// reqwest's top-level message is generic ("error sending request"); the cause says why.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// A reply that is not the success the caller wanted and that no protocol explained: 429, 5xx,
/// or something else entirely (a proxy's HTML page, an empty 502). Never quotes the body.
pub fn failed_reply(reply: &Reply) -> Error {
    let host = reply.host();
    let status = reply.status;
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Error::new(
            Code::Throttled,
            format!("{host} is throttling requests (HTTP 429)"),
        )
        .with_hint("retry later; with --all lower --jobs");
    }
    if status.is_server_error() {
        return Error::classified(
            Kind::Unreachable,
            Code::OAuth(OAuthError::ServerError),
            format!("{host} is failing (HTTP {})", status.as_u16()),
        )
        .with_hint("retry later; if it persists check the service's status page or your proxy");
    }
    Error::new(
        Code::UnexpectedResponse,
        format!(
            "unexpected response from {host} (HTTP {}, {})",
            status.as_u16(),
            describe_body(&reply.body)
        ),
    )
    .with_hint("something between onboard and the server answered instead (a proxy or captive portal?): check HTTPS_PROXY, NO_PROXY and --authority")
}

/// A short, safe description of a body we could not use: never its content.
pub fn describe_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    if body.is_empty() {
        "an empty body".into()
    } else if text.contains("<html") || text.contains("<!doctype") {
        "an HTML page instead of JSON".into()
    } else if serde_json::from_slice::<serde_json::Value>(body).is_err() {
        format!("{} bytes that are not valid JSON", body.len())
    } else {
        "JSON of an unexpected shape".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &[u8]) -> Reply {
        Reply {
            url: Url::parse("https://graph.example/v1.0/me").unwrap(),
            status: StatusCode::from_u16(status).unwrap(),
            headers: Default::default(),
            body: body.to_vec().into(),
        }
    }

    #[test]
    fn failed_replies_name_the_host_and_never_echo_the_body() {
        let e = failed_reply(&reply(
            200,
            b"<html><body>Sign in to the proxy secret</body></html>",
        ));
        assert_eq!(e.exit_code(), 5);
        assert!(e.message.contains("graph.example"), "{}", e.message);
        assert!(e.message.contains("HTML"), "{}", e.message);
        assert!(!e.message.contains("secret"));
        assert_eq!(failed_reply(&reply(503, b"")).code, "server_error");
        assert_eq!(failed_reply(&reply(429, b"")).code, "throttled");
        let truncated = failed_reply(&reply(200, br#"{"access_token":"abc"#));
        assert!(
            truncated.message.contains("not valid JSON"),
            "{}",
            truncated.message
        );
    }

    #[test]
    fn a_reply_shows_neither_its_body_nor_its_query_in_debug() {
        let mut r = reply(200, br#"{"refresh_token":"rt-secret-5"}"#);
        r.url = Url::parse("https://login.example/t/token?code=code-secret-6").unwrap();
        let shown = format!("{r:?}");
        assert!(!shown.contains("rt-secret-5"), "{shown}");
        assert!(!shown.contains("code-secret-6"), "{shown}");
        assert!(shown.contains("body_bytes: 31"), "{shown}");
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now: jiff::Timestamp = "2015-10-21T07:27:00Z".parse().unwrap();
        let parse = |v| parse_retry_after(v, now);
        assert_eq!(parse("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse("60"), Some(Duration::from_secs(60)));
        assert_eq!(parse("2.128"), Some(Duration::from_secs_f64(2.128)));
        assert_eq!(parse("-1"), None);
        assert_eq!(parse("NaN"), None);
        assert_eq!(parse("soon"), None);
        assert_eq!(
            parse("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::from_secs(60))
        );
        // A date in the past: retry now.
        assert_eq!(parse("Wed, 21 Oct 2015 07:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("99999999"), Some(MAX_RETRY_AFTER));
    }
}
