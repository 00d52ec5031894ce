//! The device authorization request (RFC 8628 §3.1-3.2; on Entra:
//! <https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code>).

use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde::Deserialize;
use url::Url;

use super::{classify, wire};
use crate::authority::{Endpoints, parse_url};
use crate::error::{Code, Error, Result};
use crate::http;
use crate::oauth::OAuthErrorBody;
use crate::secret::Secret;
use crate::text;

/// RFC 8628 §3.5: when the server names no interval, clients wait 5 s.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// An `interval` below 1 s (0 included) is a server bug; polling faster than this would flood it.
const MIN_INTERVAL_SECS: u64 = 1;
/// Longer than any sign-in page's address; a line of it would fill a screen.
const MAX_URI: usize = 2048;

/// A code the user enters on the verification page.
#[derive(Clone, Debug)]
pub struct DeviceCode {
    pub user_code: String,
    pub device_code: Secret,
    pub verification_uri: Url,
    /// Sent by other OAuth servers (never by Entra): the page with the code filled in.
    pub verification_uri_complete: Option<Url>,
    pub expires_in: Duration,
    pub interval: Duration,
    pub message: Option<String>,
    /// When the answer arrived: `expires_in` counts from here.
    pub issued_at: Instant,
}

#[derive(Deserialize)]
struct Wire {
    user_code: String,
    device_code: Secret,
    #[serde(default)]
    verification_uri: Option<String>,
    /// Entra's v1 spelling.
    #[serde(default)]
    verification_url: Option<String>,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    #[serde(default, deserialize_with = "wire::number_or_string")]
    expires_in: Option<u64>,
    #[serde(default, deserialize_with = "wire::number_or_string")]
    interval: Option<u64>,
    #[serde(default)]
    message: Option<String>,
}

pub async fn request_device_code(
    client: &Client,
    endpoints: &Endpoints,
    client_id: &str,
    scopes: &[String],
) -> Result<DeviceCode> {
    request_once(client, endpoints, client_id, scopes)
        .await
        .map_err(|f| f.error)
}

/// The device authorization request with retries (network trouble, 5xx, 429 with its
/// `Retry-After`), telling `waiting` about each wait.
pub async fn request_device_code_retrying(
    client: &Client,
    endpoints: &Endpoints,
    client_id: &str,
    scopes: &[String],
    retries: impl Into<http::Retries>,
    waiting: impl FnMut(&Error, Duration),
) -> Result<DeviceCode> {
    http::with_retries_told(
        retries,
        || request_once(client, endpoints, client_id, scopes),
        waiting,
    )
    .await
}

async fn request_once(
    client: &Client,
    endpoints: &Endpoints,
    client_id: &str,
    scopes: &[String],
) -> std::result::Result<DeviceCode, http::Failure> {
    let url = endpoints.device_authorization()?.clone();
    let form = [
        ("client_id", client_id.to_string()),
        ("scope", scopes.join(" ")),
    ];
    let request = client
        .post(url)
        .form(&form)
        .build()
        .map_err(|e| Error::unexpected(e.to_string()))?;
    let reply = http::execute(client, request).await?;
    if reply.status != StatusCode::OK {
        return Err(http::Failure {
            retry_after: reply.retry_after(),
            error: classify::for_the_tenant_admin(classify::unexpected_reply(&reply), endpoints),
        });
    }
    parse_device_code(&reply.body).map_err(|reason| {
        Error::new(
            Code::UnexpectedResponse,
            format!("unexpected response from {}: {reason}", reply.host()),
        )
        .with_hint("the server's device authorization endpoint did not answer as RFC 8628 says; check --authority and HTTPS_PROXY")
        .into()
    })
}

/// Parses a device authorization response; `Err` says what was wrong, without echoing it.
pub fn parse_device_code(body: &[u8]) -> std::result::Result<DeviceCode, String> {
    if let Some(error) = OAuthErrorBody::parse(body) {
        return Err(format!("an OAuth error '{}' with status 200", error.error));
    }
    let wire: Wire = serde_json::from_slice(body)
        .map_err(|_| format!("the device code answer is {}", http::describe_body(body)))?;
    let uri = wire
        .verification_uri
        .or(wire.verification_url)
        .ok_or("the answer has no verification_uri")?;
    let verification_uri = parse_url(&uri, "verification_uri").map_err(|e| e.message.clone())?;
    // The page with the code filled in is what Enter and the QR code open, so it must be the
    // same page's site: one on another origin is dropped (the phishing guard checks only one).
    let verification_uri_complete = wire
        .verification_uri_complete
        .as_deref()
        .filter(|u| u.len() <= MAX_URI)
        .and_then(|u| parse_url(u, "verification_uri_complete").ok())
        .filter(|u| u.origin() == verification_uri.origin());
    if wire.user_code.trim().is_empty() || wire.device_code.expose().is_empty() {
        return Err("the answer has an empty user_code or device_code".into());
    }
    // The code is shown, copied and typed: RFC 8628's short run of letters, digits and
    // dashes, or nothing at all (a newline in it would write a line of the server's own).
    if !text::is_user_code(&wire.user_code) {
        return Err(format!(
            "the user_code is not a short run of letters, digits and dashes (at most {} of them)",
            text::MAX_USER_CODE
        ));
    }
    if uri.len() > MAX_URI {
        return Err(format!(
            "the verification_uri is longer than {MAX_URI} characters"
        ));
    }
    let expires_in = wire.expires_in.ok_or("the answer has no expires_in")?;
    Ok(DeviceCode {
        user_code: wire.user_code,
        device_code: wire.device_code,
        verification_uri,
        verification_uri_complete,
        // Bounded so that arithmetic on hostile values cannot overflow.
        expires_in: Duration::from_secs(expires_in.min(24 * 3600)),
        interval: wire
            .interval
            .map(|s| Duration::from_secs(s.clamp(MIN_INTERVAL_SECS, 600)))
            .unwrap_or(DEFAULT_INTERVAL),
        message: wire
            .message
            .map(|m| text::one_line(&m, text::MAX_MESSAGE))
            .filter(|m| !m.is_empty()),
        issued_at: Instant::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entra_v2_answers() {
        let code = parse_device_code(br#"{"user_code":"GVNRPQQGE","device_code":"GAQABAAEAAAD--DLA3VO7Qrdd","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5,"message":"To sign in..."}"#).unwrap();
        assert_eq!(code.user_code, "GVNRPQQGE");
        assert_eq!(
            code.verification_uri.as_str(),
            "https://microsoft.com/devicelogin"
        );
        assert_eq!(code.expires_in, Duration::from_secs(900));
        assert_eq!(code.interval, Duration::from_secs(5));
        assert!(code.verification_uri_complete.is_none());
        assert!(
            !format!("{code:?}").contains("GAQAB"),
            "device code must stay redacted"
        );
    }

    #[test]
    fn reads_v1_spelling_and_numbers_as_strings() {
        let code = parse_device_code(br#"{"user_code":"ABCD-EFGH","device_code":"x","verification_url":"https://www.microsoft.com/link","expires_in":"900","interval":"7"}"#).unwrap();
        assert_eq!(
            code.verification_uri.as_str(),
            "https://www.microsoft.com/link"
        );
        assert_eq!(code.interval, Duration::from_secs(7));
        assert_eq!(code.expires_in, Duration::from_secs(900));
    }

    #[test]
    fn an_interval_below_one_second_is_one_second() {
        for interval in ["0", "\"0\""] {
            let body = format!(
                r#"{{"user_code":"A","device_code":"x","verification_uri":"https://idp.example/device","expires_in":600,"interval":{interval}}}"#
            );
            let code = parse_device_code(body.as_bytes()).unwrap();
            assert_eq!(code.interval, Duration::from_secs(1), "{interval}");
        }
    }

    #[test]
    fn interval_defaults_to_five_seconds_and_complete_uri_is_kept() {
        let code = parse_device_code(br#"{"user_code":"A","device_code":"x","verification_uri":"https://idp.example/device","verification_uri_complete":"https://idp.example/device?user_code=A","expires_in":600}"#).unwrap();
        assert_eq!(code.interval, Duration::from_secs(5));
        assert!(code.verification_uri_complete.is_some());
    }

    #[test]
    fn a_complete_uri_on_another_site_is_dropped() {
        for foreign in [
            "https://evil.example/device?user_code=A",
            "https://microsoft.com.evil.example/devicelogin",
            "https://microsoft.com:444/devicelogin",
            "http://microsoft.com/devicelogin",
        ] {
            let body = serde_json::json!({"user_code":"A","device_code":"x","verification_uri":"https://microsoft.com/devicelogin","verification_uri_complete":foreign,"expires_in":600});
            let code = parse_device_code(body.to_string().as_bytes()).unwrap();
            assert!(code.verification_uri_complete.is_none(), "{foreign}");
        }
    }

    #[test]
    fn user_codes_that_are_not_rfc_8628_ones_are_refused() {
        for code in [
            "HSTL\nTo sign in, open https://evil.example/ and enter the code X",
            "ABCD\u{1b}[8m",
            "AB CD",
            "ÄBCD",
        ] {
            let body = serde_json::json!({"user_code":code,"device_code":"x","verification_uri":"https://microsoft.com/devicelogin","expires_in":600});
            let err = parse_device_code(body.to_string().as_bytes()).unwrap_err();
            assert!(err.contains("user_code"), "{err}");
        }
        let body = serde_json::json!({"user_code":"WDJB-MJHT","device_code":"x","verification_uri":"https://microsoft.com/devicelogin","expires_in":600,"message":"To sign in,\nopen\u{1b}[8m it"});
        let code = parse_device_code(body.to_string().as_bytes()).unwrap();
        assert_eq!(code.message.as_deref(), Some("To sign in, open it"));
    }

    #[test]
    fn refuses_broken_answers_without_echoing_them() {
        for body in [
            &b"<html>proxy login</html>"[..],
            br#"{"user_code":"A","device_code":"x","expires_in":600}"#,
            br#"{"user_code":"A","device_code":"x","verification_uri":"http://evil.example/","expires_in":600}"#,
            br#"{"user_code":"","device_code":"x","verification_uri":"https://a.example/","expires_in":600}"#,
            br#"{"user_code":"A","device_code":"sekrit","verification_uri":"https://a.example/"}"#,
            br#"{"error":"invalid_client"}"#,
        ] {
            let err = parse_device_code(body).unwrap_err();
            assert!(!err.contains("sekrit") && !err.contains("proxy login"), "{err}");
        }
    }
}
