//! Error classification, in one place: an OAuth `error`, Microsoft's AADSTS codes and the HTTP
//! status become one of onboard's exit codes and a hint a technician can act on (the codes:
//! <https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes>; docs/protocol.md). Branches on `error` and `error_codes`,
//! never on description text.

use reqwest::StatusCode;
use serde::Deserialize;

use crate::authority::Endpoints;
use crate::error::{Code, Error, Kind};
use crate::http::{self, Reply};
use crate::oauth::{OAuthError, OAuthErrorBody};
use crate::text;

/// Codes that send the account to "Approval required" (docs/protocol.md, the admin consent detour).
const APPROVAL_CODES: [u32; 5] = [65001, 90094, 90095, 900941, 900981];

/// Microsoft's lookup page for one AADSTS code, as its error code reference describes it.
pub fn lookup_url(code: u32) -> String {
    format!("https://login.microsoftonline.com/error?code={code}")
}

/// At a Microsoft authority (`endpoints.graph`: a Microsoft cloud or the simulated tenant), a
/// refused sign-in is in the tenant's sign-in logs under this run's `client-request-id`; the
/// hint says so, since it is the admin's one handle when polling only sees expiry.
pub fn for_the_tenant_admin(mut error: Error, endpoints: &Endpoints) -> Error {
    let Some(id) = crate::http::sent_request_id() else {
        return error;
    };
    if endpoints.graph.is_none()
        || !matches!(error.kind, Kind::SignInAgain | Kind::PermissionMissing)
    {
        return error;
    }
    // Entra names the ID it was sent as its correlation ID, shown with the message: the hint
    // points there instead of naming it again.
    let under = if error.correlates_to_this_run() {
        "its correlation ID, which is this run's client request ID".to_owned()
    } else {
        format!("client request ID {id}")
    };
    let logs = format!(
        "the tenant admin can find this sign-in in the Entra sign-in logs (Entra admin center → Sign-in logs) under {under}"
    );
    error.hint = Some(match error.hint.take() {
        Some(hint) if hint.contains(id) || hint.contains(&logs) => hint,
        Some(hint) => format!("{hint}; {logs}"),
        None => logs,
    });
    error
}

/// Which grant a token request made: the same bare `error` means different things in each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    DeviceCode,
    RefreshToken,
    /// Any other request (an authorization code, or not a token request at all).
    Other,
}

/// What to do about an AADSTS code (the table in docs/troubleshooting.md): exit kind and hint.
pub fn aadsts_advice(code: u32) -> Option<(Kind, &'static str)> {
    use Kind::*;
    if is_approval_code(code) {
        return Some((
            PermissionMissing,
            "admin consent is needed: send the tenant's reviewer the link from `onboard consent-url`, then sign in again with `onboard invite`",
        ));
    }
    Some(match code {
        7000218 => (
            PermissionMissing,
            "turn on \"Allow public client flows\" in the app registration (Entra admin center → App registrations → the registration → Authentication → Advanced settings)",
        ),
        700016 => (
            Usage,
            "the application was not found in this tenant: check --client-id, --tenant and --cloud",
        ),
        90002 => (
            Usage,
            "the tenant was not found: check --tenant (GUID or verified domain) and --cloud",
        ),
        90133 => (
            Usage,
            "onboarding connects one customer's tenant, not /common or /consumers: give the tenant GUID or domain with --tenant",
        ),
        90093 => (
            PermissionMissing,
            "Microsoft Graph answered forbidden during the sign-in; on the consent page it means the account may not grant what the app asks: the tenant admin grants it (`onboard consent-url`), then run `onboard invite` again",
        ),
        65004 => (
            SignInAgain,
            "the account declined consent: run `onboard invite` again and accept, or ask the tenant's reviewer to approve (`onboard consent-url`)",
        ),
        65002 => (
            PermissionMissing,
            "this client may not request that resource: use the provider's own registration with --client-id",
        ),
        650056 | 650057 => (
            PermissionMissing,
            "a requested scope is not among the registration's API permissions: add it under App registrations → the registration → API permissions, or leave it out of --scope",
        ),
        500011 => (
            Usage,
            "the resource a scope names is not in this tenant: check --scope, or have the tenant admin add that API to the tenant",
        ),
        70011 => (Usage, "a requested scope is invalid: check --scope"),
        700022 => (
            Usage,
            "the scopes name more than one resource: request scopes of one resource only (--scope)",
        ),
        50105 => (
            PermissionMissing,
            "the account is not assigned to the app: assign it under Entra admin center → Enterprise applications → the app → Users and groups, then run `onboard invite` again",
        ),
        7000112 => (
            PermissionMissing,
            "the app is disabled in this tenant (a reviewer who chose Block disables it): the tenant admin enables it under Enterprise applications → the app → Properties → Enabled for users to sign in",
        ),
        90120 => (
            SignInAgain,
            "this code was already used or declined: run `onboard invite` again for a fresh code",
        ),
        50020 | 50034 | 51004 => (
            SignInAgain,
            "the account that signed in is not in this tenant: sign in with the tenant's service account",
        ),
        50076 => (
            SignInAgain,
            "multi-factor authentication is required: complete MFA for the service account, then run `onboard invite` again",
        ),
        50078 | 50079 => (
            SignInAgain,
            "the service account must register for or redo multi-factor authentication: complete its MFA set-up in a browser, then run `onboard invite` again",
        ),
        50053 => (
            SignInAgain,
            "the account is locked: wait, or unlock it in Entra admin center → Users, then run `onboard invite` again",
        ),
        50055 | 50144 => (
            SignInAgain,
            "the password has expired: change the service account's password, then run `onboard invite` again",
        ),
        50057 => (
            SignInAgain,
            "the account is disabled: enable it in Entra admin center → Users → the service account, then run `onboard invite` again",
        ),
        53003 | 53000 | 530035 => (
            PermissionMissing,
            "blocked by Conditional Access or security defaults: ask the tenant admin to exclude the service account from the device-code (authentication flows) policy",
        ),
        50011 => (
            PermissionMissing,
            "the registration has no matching redirect URI: in Entra admin center → App registrations → the registration → Authentication, add the platform \"Mobile and desktop applications\" with the redirect URI http://localhost",
        ),
        501481 | 54005 => (
            SignInAgain,
            "the authorization code was refused (already redeemed, or not this sign-in's): run `onboard invite` again",
        ),
        50097 => (
            PermissionMissing,
            "the tenant requires device authentication, which a device-code sign-in cannot give: ask the tenant admin to exclude the service account from that Conditional Access policy",
        ),
        530003 => (
            PermissionMissing,
            "Conditional Access requires a managed device, which a device-code sign-in cannot prove: ask the tenant admin to exclude the service account from the managed-device policy",
        ),
        530084 => (
            PermissionMissing,
            "Conditional Access token protection passes only brokered sign-ins on registered Windows devices, which onboard is not: ask the tenant admin to exclude the service account from that policy",
        ),
        70043 => (
            SignInAgain,
            "Conditional Access sign-in frequency ended the sign-in: run `onboard invite` again (the tenant admin sets how often for the service account)",
        ),
        70000 | 70008 | 700082 | 50173 | 700084 => (
            SignInAgain,
            "the refresh token is no longer valid (expired or revoked): run `onboard invite` again",
        ),
        _ => return None,
    })
}

/// True for the AADSTS codes in [`APPROVAL_CODES`].
pub fn is_approval_code(code: u32) -> bool {
    APPROVAL_CODES.contains(&code)
}

/// Classifies an OAuth error body from `host`, for a request that is not a known grant.
pub fn oauth_error(status: StatusCode, body: &OAuthErrorBody, host: &str) -> Error {
    oauth_error_for(Grant::Other, status, body, host)
}

/// Classifies an OAuth error body from `host`, the answer to a `grant` request.
pub fn oauth_error_for(
    grant: Grant,
    status: StatusCode,
    body: &OAuthErrorBody,
    host: &str,
) -> Error {
    // The code that decides: an approval code when there is one, since it names the way out.
    let deciding = body
        .error_codes
        .iter()
        .find(|c| is_approval_code(**c))
        .or(body.error_codes.first())
        .copied();
    let advice = deciding.and_then(aadsts_advice);
    let (kind, hint) = match (advice, deciding) {
        (Some((kind, hint)), _) => (kind, hint.to_string()),
        // A code onboard does not know: its meaning is Microsoft's to say, so the hint names
        // where, instead of guessing from the bare `error`.
        (None, Some(code)) => {
            let (kind, hint) = by_error_name(grant, status, body);
            (
                kind,
                format!("AADSTS{code} is explained at {}; {hint}", lookup_url(code)),
            )
        }
        (None, None) => by_error_name(grant, status, body),
    };
    let (kind, hint) = if status == StatusCode::TOO_MANY_REQUESTS {
        // Throttling, whatever the body says: it passes if onboard waits.
        (
            Kind::Unreachable,
            format!(
                "{host} is throttling requests (HTTP 429): retry later; with --all lower --jobs"
            ),
        )
    } else if body.suberror.as_deref() == Some("consent_required") {
        (Kind::PermissionMissing, hint)
    } else {
        (kind, hint)
    };
    let summary = body
        .summary()
        .unwrap_or_else(|| body.error.as_str().to_owned());
    let message = format!("{host} refused: {summary}");
    let mut error =
        Error::classified(kind, Code::OAuth(body.error.clone()), message).with_hint(hint);
    error.oauth = Some(body.error.clone());
    error.aadsts = deciding;
    error.correlation_id = body.correlation_id.clone();
    error.trace_id = body.trace_id.clone();
    error
}

/// The hint from the bare `error` alone: only what that word says for certain in `grant`.
fn by_error_name(grant: Grant, status: StatusCode, body: &OAuthErrorBody) -> (Kind, String) {
    use Kind::*;
    let (kind, hint) = match body.error {
        OAuthError::AuthorizationDeclined | OAuthError::AccessDenied => (
            SignInAgain,
            "the sign-in was declined: run `onboard invite` again and accept; if the account saw \"Approval required\", ask the reviewer to approve (`onboard consent-url`)",
        ),
        OAuthError::ExpiredToken | OAuthError::CodeExpired => (
            SignInAgain,
            "the code expired before sign-in finished: run `onboard invite` again and sign in within the time shown",
        ),
        OAuthError::BadVerificationCode => (
            Unexpected,
            "the server did not recognise the device code: this is a bug in onboard, please report it",
        ),
        OAuthError::InvalidGrant if grant == Grant::RefreshToken => (
            SignInAgain,
            "the refresh token is no longer valid: run `onboard invite` again",
        ),
        OAuthError::InvalidGrant => (
            SignInAgain,
            "the sign-in was refused: fix what the message names, then run `onboard invite` again",
        ),
        OAuthError::ConsentRequired => (
            PermissionMissing,
            "consent is needed: send the reviewer the link from `onboard consent-url`",
        ),
        OAuthError::InteractionRequired | OAuthError::LoginRequired => (
            SignInAgain,
            "the account must sign in again interactively: run `onboard invite`",
        ),
        OAuthError::InvalidScope => (Usage, "a requested scope is not valid here: check --scope"),
        OAuthError::InvalidClient | OAuthError::UnauthorizedClient => (
            Usage,
            "the server does not accept this client: check --client-id and the app registration",
        ),
        OAuthError::InvalidTenant => (
            Usage,
            "the tenant was not found: check --tenant and --cloud",
        ),
        OAuthError::TemporarilyUnavailable | OAuthError::ServerError => {
            (Unreachable, "the sign-in service is failing: retry later")
        }
        _ if status.is_server_error() => (Unreachable, "the server is failing: retry later"),
        _ => (
            Unexpected,
            "the server gave an error onboard does not know: check the message, and report it if it persists",
        ),
    };
    (kind, hint.to_string())
}

/// Classifies any reply that is not the success the caller wanted: an OAuth error body, a
/// Graph error body, or else what the transport makes of it (429, 5xx, a proxy's HTML page).
pub fn unexpected_reply(reply: &Reply) -> Error {
    let host = reply.host();
    if let Some(body) = OAuthErrorBody::parse(&reply.body) {
        return oauth_error(reply.status, &body, &host);
    }
    if let Some(error) = graph_error(reply) {
        return error;
    }
    http::failed_reply(reply)
}

/// Microsoft Graph's error shape: `{"error":{"code","message","innerError":{...}}}`.
fn graph_error(reply: &Reply) -> Option<Error> {
    #[derive(Deserialize)]
    struct Envelope {
        error: GraphError,
    }
    #[derive(Deserialize)]
    struct GraphError {
        code: String,
        #[serde(default)]
        message: String,
        #[serde(default, alias = "innererror", rename = "innerError")]
        inner: Option<Inner>,
    }
    #[derive(Deserialize)]
    struct Inner {
        #[serde(default, rename = "request-id", deserialize_with = "text::id")]
        request_id: Option<String>,
        #[serde(default, rename = "client-request-id", deserialize_with = "text::id")]
        client_request_id: Option<String>,
    }
    let envelope: Envelope = serde_json::from_slice(&reply.body).ok()?;
    let host = reply.host();
    let status = reply.status;
    let (kind, hint) = match status.as_u16() {
        401 => (
            Kind::SignInAgain,
            "the access token was refused: run `onboard validate`; if it keeps failing run `onboard invite` again",
        ),
        403 => (
            Kind::PermissionMissing,
            "the account lacks a permission for this call: grant it to the registration and have the reviewer consent (`onboard consent-url`)",
        ),
        429 => (
            Kind::Unreachable,
            "Microsoft Graph is throttling: retry later",
        ),
        s if s >= 500 => (Kind::Unreachable, "Microsoft Graph is failing: retry later"),
        _ => (
            Kind::Unexpected,
            "Microsoft Graph refused the request: check the message",
        ),
    };
    let code = text::one_line(&envelope.error.code, text::MAX_ID);
    let message = format!(
        "{host} answered {} {code}: {}",
        status.as_u16(),
        text::one_line(&envelope.error.message, text::MAX_TEXT)
    );
    let mut error = Error::classified(kind, Code::Graph(code), message).with_hint(hint);
    if let Some(inner) = envelope.error.inner {
        error.correlation_id = inner.client_request_id;
        error.trace_id = inner.request_id;
    }
    Some(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(error: &str, codes: &[u32]) -> OAuthErrorBody {
        OAuthErrorBody {
            error: OAuthError::from(error),
            error_description: Some(format!(
                "AADSTS{}: something.\r\nTrace ID: t\r\nCorrelation ID: c",
                codes.first().unwrap_or(&0)
            )),
            error_codes: codes.to_vec(),
            trace_id: Some("t".into()),
            correlation_id: Some("c".into()),
            suberror: None,
        }
    }

    /// Every row of docs/troubleshooting.md's AADSTS table: the code decides the exit code and the hint.
    #[test]
    fn every_aadsts_row_has_its_exit_code_and_an_actionable_hint() {
        let table: &[(&[u32], i32, &str)] = &[
            (&[7000218], 6, "Allow public client flows"),
            (&[700016], 2, "--client-id"),
            (&[90002], 2, "--tenant"),
            (&[90133], 2, "tenant GUID or domain"),
            (&[65001, 90094, 90095, 900941, 900981], 6, "consent-url"),
            (&[90093], 6, "forbidden"),
            (&[65004], 4, "accept"),
            (&[65002], 6, "provider's own registration"),
            (&[650056, 650057], 6, "API permissions"),
            (&[500011], 2, "not in this tenant"),
            (&[70011], 2, "--scope"),
            (&[700022], 2, "one resource"),
            (&[50105], 6, "Users and groups"),
            (&[7000112], 6, "Enabled for users to sign in"),
            (&[90120], 4, "already used or declined"),
            (&[50020, 50034, 51004], 4, "service account"),
            (&[50076], 4, "MFA"),
            (&[50078, 50079], 4, "register for or redo multi-factor"),
            (&[50053], 4, "unlock"),
            (&[50055, 50144], 4, "password"),
            (&[50057], 4, "enable it"),
            (&[53003, 53000, 530035], 6, "Conditional Access"),
            (&[50011], 6, "Mobile and desktop applications"),
            (&[501481, 54005], 4, "onboard invite"),
            (&[50097], 6, "device authentication"),
            (&[530003], 6, "managed device"),
            (&[530084], 6, "token protection"),
            (&[70043], 4, "sign-in frequency"),
            (&[70000, 70008, 700082, 50173, 700084], 4, "onboard invite"),
        ];
        for (codes, exit, hint) in table {
            for code in *codes {
                let e = oauth_error(
                    StatusCode::BAD_REQUEST,
                    &body("invalid_grant", &[*code]),
                    "login.example",
                );
                assert_eq!(e.exit_code(), *exit, "AADSTS{code}");
                assert!(
                    e.hint.as_deref().unwrap_or("").contains(hint),
                    "AADSTS{code}: {:?}",
                    e.hint
                );
                assert_eq!(e.aadsts, Some(*code));
                assert_eq!(e.correlation_id.as_deref(), Some("c"));
                assert_eq!(e.trace_id.as_deref(), Some("t"));
                assert!(!e.message.contains("Trace ID"), "{}", e.message);
            }
        }
    }

    /// Every final polling answer of docs/protocol.md without a known AADSTS code.
    #[test]
    fn oauth_error_names_decide_when_no_code_is_known() {
        let table = [
            ("authorization_declined", 4),
            ("access_denied", 4),
            ("expired_token", 4),
            ("code_expired", 4),
            ("bad_verification_code", 1),
            ("invalid_grant", 4),
            ("invalid_scope", 2),
            ("invalid_client", 2),
            ("temporarily_unavailable", 5),
            ("something_new", 1),
        ];
        for (name, exit) in table {
            let e = oauth_error(StatusCode::BAD_REQUEST, &body(name, &[]), "h");
            assert_eq!(e.exit_code(), exit, "{name}");
            assert_eq!(e.code, name);
        }
        let e = oauth_error(StatusCode::BAD_GATEWAY, &body("weird", &[]), "h");
        assert_eq!(e.exit_code(), 5);
    }

    /// 90093 is Graph's forbidden answer (GraphUserUnauthorized), not an approval code: it gets
    /// its own hint and never starts the reviewer's detour.
    #[test]
    fn aadsts90093_is_not_an_approval_code() {
        assert!(!is_approval_code(90093));
        let e = oauth_error(
            StatusCode::BAD_REQUEST,
            &body("invalid_grant", &[65004, 90093]),
            "h",
        );
        assert_eq!((e.exit_code(), e.aadsts), (4, Some(65004)));
    }

    /// A code onboard has no row for: the hint names it and Microsoft's lookup page, and says
    /// nothing the bare `error` cannot know (no refresh token during a device-code sign-in, no
    /// "public client flows" for any client refusal).
    #[test]
    fn unknown_codes_get_a_hint_that_names_them_and_where_to_look_them_up() {
        for (grant, error, exit) in [
            (Grant::DeviceCode, "invalid_grant", 4),
            (Grant::Other, "invalid_grant", 4),
            (Grant::DeviceCode, "unauthorized_client", 2),
            (Grant::DeviceCode, "invalid_client", 2),
            (Grant::RefreshToken, "invalid_client", 2),
            (Grant::DeviceCode, "something_new", 1),
        ] {
            let e = oauth_error_for(
                grant,
                StatusCode::BAD_REQUEST,
                &body(error, &[9_999_999]),
                "h",
            );
            let hint = e.hint.clone().unwrap_or_default();
            assert_eq!(e.exit_code(), exit, "{error}");
            assert_eq!(e.aadsts, Some(9_999_999));
            assert!(
                hint.contains("AADSTS9999999")
                    && hint.contains("https://login.microsoftonline.com/error?code=9999999"),
                "{error}: {hint}"
            );
            assert!(!hint.contains("refresh token"), "{grant:?} {error}: {hint}");
            assert!(!hint.contains("public client"), "{error}: {hint}");
        }
        // Without any code the bare word decides, still without the wrong guesses.
        for error in ["unauthorized_client", "invalid_client"] {
            let e = oauth_error_for(
                Grant::DeviceCode,
                StatusCode::BAD_REQUEST,
                &body(error, &[]),
                "h",
            );
            assert!(!e.hint.unwrap().contains("public client"), "{error}");
        }
        let e = oauth_error_for(
            Grant::DeviceCode,
            StatusCode::BAD_REQUEST,
            &body("invalid_grant", &[]),
            "h",
        );
        assert!(!e.hint.unwrap().contains("refresh token"));
        // A refresh that is refused with no known code: that refresh token is what failed.
        let e = oauth_error_for(
            Grant::RefreshToken,
            StatusCode::BAD_REQUEST,
            &body("invalid_grant", &[]),
            "h",
        );
        assert!(e.hint.unwrap().contains("refresh token is no longer valid"));
    }

    /// Answers in the shape Microsoft documents (the error code reference's sample, and the
    /// one-line trailer Entra sends since 2023): the message is the first sentence, whole, and
    /// each ID appears once in what is shown.
    #[test]
    fn entras_error_bodies_show_the_first_sentence_and_each_id_once() {
        let documented = br#"{"error":"invalid_scope","error_description":"AADSTS70011: The provided value for the input parameter 'scope' isn't valid. The scope https://example.contoso.com/activity.read isn't valid.\r\nTrace ID: 0000aaaa-11bb-cccc-dd33-eeeeee333333\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: 2016-01-09 02:02:12Z","error_codes":[70011],"timestamp":"2016-01-09 02:02:12Z","trace_id":"0000aaaa-11bb-cccc-dd33-eeeeee333333","correlation_id":"aaaa0000-bb11-2222-33cc-444444dddddd","error_uri":"https://login.microsoftonline.com/error?code=70011"}"#;
        let one_line = br#"{"error":"invalid_grant","error_description":"AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was originally issued on '2023-03-01T10:00:00.0000000Z' and the TokensValidFrom date (before which tokens are not valid) for this user is '2023-05-01T10:00:00.0000000Z'. Trace ID: 0000aaaa-11bb-cccc-dd33-eeeeee333333 Correlation ID: aaaa0000-bb11-2222-33cc-444444dddddd Timestamp: 2023-05-02 10:00:00Z","error_codes":[50173],"timestamp":"2023-05-02 10:00:00Z","trace_id":"0000aaaa-11bb-cccc-dd33-eeeeee333333","correlation_id":"aaaa0000-bb11-2222-33cc-444444dddddd","error_uri":"https://login.microsoftonline.com/error?code=50173"}"#;
        for (raw, sentence) in [
            (
                &documented[..],
                "AADSTS70011: The provided value for the input parameter 'scope' isn't valid.",
            ),
            (
                &one_line[..],
                "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed.",
            ),
        ] {
            let b = OAuthErrorBody::parse(raw).unwrap();
            let e = oauth_error(StatusCode::BAD_REQUEST, &b, "login.microsoftonline.com");
            assert_eq!(
                e.message,
                format!("login.microsoftonline.com refused: {sentence}")
            );
            let shown = format!("{e} {}", e.hint.clone().unwrap_or_default());
            for id in [
                "0000aaaa-11bb-cccc-dd33-eeeeee333333",
                "aaaa0000-bb11-2222-33cc-444444dddddd",
            ] {
                assert_eq!(shown.matches(id).count(), 1, "{id} in {shown}");
            }
            assert!(!shown.contains("Timestamp"), "{shown}");
        }
    }

    #[test]
    fn approval_codes_win_over_the_first_code() {
        let e = oauth_error(
            StatusCode::BAD_REQUEST,
            &body("authorization_declined", &[65004, 90094]),
            "h",
        );
        assert_eq!(e.exit_code(), 6);
        assert_eq!(e.aadsts, Some(90094));
    }

    #[test]
    fn a_429_with_an_oauth_body_is_throttling() {
        for name in [
            "invalid_request",
            "temporarily_unavailable",
            "something_new",
        ] {
            let e = oauth_error(StatusCode::TOO_MANY_REQUESTS, &body(name, &[]), "h");
            assert_eq!(e.exit_code(), 5, "{name}");
            assert!(e.hint.unwrap().contains("throttling"));
        }
    }

    #[test]
    fn consent_required_suberror_means_permission_missing() {
        let mut b = body("invalid_grant", &[]);
        b.suberror = Some("consent_required".into());
        assert_eq!(oauth_error(StatusCode::BAD_REQUEST, &b, "h").exit_code(), 6);
    }

    fn reply(status: u16, body: &[u8]) -> Reply {
        Reply {
            url: url::Url::parse("https://graph.example/v1.0/me").unwrap(),
            status: StatusCode::from_u16(status).unwrap(),
            headers: Default::default(),
            body: body.to_vec().into(),
        }
    }

    #[test]
    fn replies_neither_oauth_nor_graph_are_the_transports_failures() {
        // What a failed reply says is `http::failed_reply`'s, tested there; here only that
        // classification falls through to it.
        for (status, body) in [
            (200, &b"<html><body>Sign in to the proxy</body></html>"[..]),
            (503, b""),
            (429, b""),
            (200, br#"{"access_token":"abc"#),
        ] {
            let r = reply(status, body);
            assert_eq!(
                unexpected_reply(&r),
                crate::http::failed_reply(&r),
                "{status}"
            );
        }
    }

    #[test]
    fn graph_errors_keep_request_ids() {
        let e = unexpected_reply(&reply(
            403,
            br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges","innerError":{"request-id":"r1","client-request-id":"c1"}}}"#,
        ));
        assert_eq!(e.exit_code(), 6);
        assert_eq!(e.code, "Authorization_RequestDenied");
        assert_eq!(e.trace_id.as_deref(), Some("r1"));
        let e = unexpected_reply(&reply(
            401,
            br#"{"error":{"code":"InvalidAuthenticationToken","message":"expired","innererror":{"request-id":"r2"}}}"#,
        ));
        assert_eq!(e.exit_code(), 4);
        assert_eq!(e.trace_id.as_deref(), Some("r2"));
    }
}
