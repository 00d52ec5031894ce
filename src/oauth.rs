//! The words of an OAuth 2.0 error as servers send them: the `error` code as a type, and the
//! error body with Microsoft's extra fields (AADSTS codes, trace and correlation ids). Only the
//! words: what they mean for the user (exit code, hint) is decided in `flow::classify`.

use serde::Deserialize;

/// Declares the known error codes once: the enum, its wire spelling and the parse.
macro_rules! oauth_errors {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal,)*) => {
        /// An OAuth `error` code (RFC 6749 §5.2, RFC 8628 §3.5, and Microsoft's additions).
        /// Codes onboard has no use for keep their text in `Other`.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
        #[serde(from = "String")]
        pub enum OAuthError {
            $($(#[$doc])* $variant,)*
            Other(String),
        }

        impl OAuthError {
            /// The code as it is spelled on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(OAuthError::$variant => $wire,)*
                    OAuthError::Other(code) => code,
                }
            }
        }

        impl From<&str> for OAuthError {
            fn from(code: &str) -> Self {
                match code {
                    $($wire => OAuthError::$variant,)*
                    // A server's own word, shown in errors: made fit to show like all its text.
                    other => OAuthError::Other(crate::text::one_line(other, crate::text::MAX_ID)),
                }
            }
        }
    };
}

oauth_errors! {
    /// Device code: the user has not finished signing in yet; poll again.
    AuthorizationPending = "authorization_pending",
    /// Device code: poll less often (the interval grows by 5 s).
    SlowDown = "slow_down",
    /// Device code: the code expired before sign-in finished.
    ExpiredToken = "expired_token",
    /// Entra's older spelling of `expired_token`.
    CodeExpired = "code_expired",
    /// Device code: the user declined, or the sign-in ended at "Approval required".
    AuthorizationDeclined = "authorization_declined",
    AccessDenied = "access_denied",
    BadVerificationCode = "bad_verification_code",
    InvalidGrant = "invalid_grant",
    InvalidClient = "invalid_client",
    UnauthorizedClient = "unauthorized_client",
    InvalidScope = "invalid_scope",
    InvalidRequest = "invalid_request",
    /// Microsoft: the tenant does not exist (with AADSTS90002).
    InvalidTenant = "invalid_tenant",
    ConsentRequired = "consent_required",
    InteractionRequired = "interaction_required",
    LoginRequired = "login_required",
    TemporarilyUnavailable = "temporarily_unavailable",
    ServerError = "server_error",
}

impl From<String> for OAuthError {
    fn from(code: String) -> Self {
        OAuthError::from(code.as_str())
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth 2.0 error body with Microsoft's extra fields. Everything but `error` is optional
/// and lenient, because it comes from a server that is failing. The ids are made fit to show
/// as they are read ([`crate::text`]); the description is, line by line, in [`Self::summary`].
#[derive(Clone, Debug, Deserialize)]
pub struct OAuthErrorBody {
    pub error: OAuthError,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default, deserialize_with = "lenient_codes")]
    pub error_codes: Vec<u32>,
    #[serde(default, deserialize_with = "crate::text::id")]
    pub trace_id: Option<String>,
    #[serde(default, deserialize_with = "crate::text::id")]
    pub correlation_id: Option<String>,
    #[serde(default, deserialize_with = "crate::text::id")]
    pub suberror: Option<String>,
}

impl OAuthErrorBody {
    /// The body, when it is an OAuth error (a non-empty `error`).
    pub fn parse(body: &[u8]) -> Option<OAuthErrorBody> {
        serde_json::from_slice::<OAuthErrorBody>(body)
            .ok()
            .filter(|b| !b.error.as_str().is_empty())
    }

    /// The description's first sentence, whole, made fit to show ([`crate::text::one_line`]).
    /// Microsoft's trailer (`Trace ID: … Correlation ID: … Timestamp: …`, on lines of their
    /// own before 2023 and separated by spaces since) is left out: the IDs are shown once,
    /// from their own fields.
    pub fn summary(&self) -> Option<String> {
        let text = self.error_description.as_deref()?;
        let text = TRAILER
            .iter()
            .filter_map(|label| text.find(label))
            .min()
            .map_or(text, |at| &text[..at]);
        let text = crate::text::one_line(text, MAX_DESCRIPTION);
        let sentence = first_sentence(&text);
        let sentence = crate::text::one_line(sentence, MAX_SENTENCE);
        (!sentence.is_empty()).then_some(sentence)
    }
}

/// The labels of Microsoft's trailer, whichever comes first.
const TRAILER: [&str; 3] = ["Trace ID:", "Correlation ID:", "Timestamp:"];
/// How much of a description is read at all.
const MAX_DESCRIPTION: usize = 4000;
/// A first sentence longer than this is no longer a sentence: it is cut.
const MAX_SENTENCE: usize = 600;

/// Up to and including the first `.`, `!` or `?` that ends a sentence (followed by white
/// space or the end), or all of `text`.
fn first_sentence(text: &str) -> &str {
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|(_, next)| next.is_whitespace())
        {
            return &text[..at + c.len_utf8()];
        }
    }
    text
}

/// `error_codes` should be numbers; a broken server may send strings or other junk.
fn lenient_codes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|v| match v {
                serde_json::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                serde_json::Value::String(s) => s.trim_start_matches("AADSTS").parse().ok(),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(text: &str) -> Option<String> {
        OAuthErrorBody::parse(
            serde_json::json!({"error": "x", "error_description": text})
                .to_string()
                .as_bytes(),
        )
        .unwrap()
        .summary()
    }

    #[test]
    fn the_summary_is_the_whole_first_sentence_without_microsofts_trailer() {
        // Before 2023: the trailer on lines of its own.
        assert_eq!(
            described("AADSTS70011: The provided value for the input parameter 'scope' isn't valid. The scope https://example.contoso.com/activity.read isn't valid.\r\nTrace ID: 0000aaaa-11bb\r\nCorrelation ID: aaaa0000-bb11\r\nTimestamp: 2016-01-09 02:02:12Z").as_deref(),
            Some("AADSTS70011: The provided value for the input parameter 'scope' isn't valid.")
        );
        // Since 2023: one line, the IDs separated by spaces; each ID is shown once, elsewhere.
        let long = "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was originally issued on '2023-01-01T00:00:00.0000000Z' and the TokensValidFrom date (before which tokens are not valid) for this user is '2023-06-01T00:00:00.0000000Z'. Trace ID: 3f2c1d0e-aaaa-bbbb-cccc-0123456789ab Correlation ID: 9a8b7c6d-1111-2222-3333-444455556666 Timestamp: 2023-06-02 10:00:00Z";
        let summary = described(long).unwrap();
        assert_eq!(
            summary,
            "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed."
        );
        // A first sentence longer than the old 300-character cut is shown whole.
        let sentence = format!(
            "AADSTS50076: {}.",
            "Due to a configuration change made by the admin ".repeat(7)
        );
        let summary =
            described(&format!("{sentence} Second. Trace ID: t Correlation ID: c")).unwrap();
        assert_eq!(summary, sentence.trim_end_matches(' '));
        assert!(summary.chars().count() > 300);
        // No sentence end: all of it, up to the trailer; nothing left: no summary.
        assert_eq!(
            described("AADSTS1: no period Trace ID: t").as_deref(),
            Some("AADSTS1: no period")
        );
        assert_eq!(described("Trace ID: t Correlation ID: c"), None);
        assert_eq!(
            described("v2.0 e.g.x is fine. Next"),
            Some("v2.0 e.g.x is fine.".into())
        );
    }

    #[test]
    fn error_codes_are_read_leniently() {
        let b = OAuthErrorBody::parse(br#"{"error":"x","error_codes":["AADSTS50173",7,"x",{}]}"#)
            .unwrap();
        assert_eq!(b.error_codes, vec![50173, 7]);
        let b = OAuthErrorBody::parse(br#"{"error":"x","error_codes":"nope"}"#).unwrap();
        assert!(b.error_codes.is_empty());
        assert!(OAuthErrorBody::parse(b"<html>").is_none());
        assert!(OAuthErrorBody::parse(br#"{"error":""}"#).is_none());
    }

    #[test]
    fn error_codes_read_from_the_wire_as_their_variant_and_unknown_ones_keep_their_text() {
        let b = OAuthErrorBody::parse(br#"{"error":"authorization_pending"}"#).unwrap();
        assert_eq!(b.error, OAuthError::AuthorizationPending);
        let b = OAuthErrorBody::parse(br#"{"error":"slow_down"}"#).unwrap();
        assert_eq!(b.error, OAuthError::SlowDown);
        let b = OAuthErrorBody::parse(br#"{"error":"something_new"}"#).unwrap();
        assert_eq!(b.error, OAuthError::Other("something_new".into()));
        for code in [
            "expired_token",
            "invalid_grant",
            "invalid_tenant",
            "something_new",
        ] {
            assert_eq!(OAuthError::from(code).as_str(), code);
        }
    }
}
