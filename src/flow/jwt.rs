//! Reading a JWT's claims for display and identity checks, and the checks an ID token must pass
//! before its claims decide anything ([`check_id_token`]). Signatures are not verified: the
//! tokens came straight from the token endpoint over TLS (OpenID Connect Core §3.1.3.7 allows
//! that), and access tokens for Graph are not the client's to validate
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens>).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer};

use crate::error::{Code, Error, Result};
use crate::text;

/// The claims `onboard` reads, with Entra's names. Every text claim is made fit to show as it
/// is read ([`crate::text`]): they end up in lines such as "Signed in as …".
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Claims {
    #[serde(default, deserialize_with = "text::id")]
    pub tid: Option<String>,
    #[serde(default, deserialize_with = "text::id")]
    pub oid: Option<String>,
    #[serde(default, deserialize_with = "text::name")]
    pub sub: Option<String>,
    #[serde(default, deserialize_with = "text::name")]
    pub preferred_username: Option<String>,
    #[serde(default, deserialize_with = "text::name")]
    pub upn: Option<String>,
    #[serde(default, deserialize_with = "text::name")]
    pub unique_name: Option<String>,
    #[serde(default, deserialize_with = "text::name")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "text::name")]
    pub name: Option<String>,
    /// Space-separated delegated scopes (access tokens), read through [`Claims::scopes`].
    pub scp: Option<String>,
    pub exp: Option<i64>,
    #[serde(default, deserialize_with = "text::text")]
    pub iss: Option<String>,
    /// The browser road's `nonce`, echoed in its ID token (OpenID Connect Core §3.1.2.1).
    pub nonce: Option<String>,
    /// One audience or several (both spellings are JWT's).
    #[serde(default, deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let audiences = match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    };
    Ok(audiences
        .iter()
        .map(|a| text::one_line(a, text::MAX_NAME))
        .collect())
}

/// What an ID token must say to be this sign-in's.
#[derive(Clone, Copy, Debug)]
pub struct IdTokenExpectations<'a> {
    /// The discovered issuer; Entra's multi-tenant documents write `{tenantid}` in it.
    pub issuer: Option<&'a str>,
    pub client_id: &'a str,
    /// The tenant GUID the authority names, when it names one.
    pub tenant_id: Option<&'a str>,
    /// Seconds since the Unix epoch.
    pub now: i64,
}

/// How far this machine's clock may be behind the server's before an ID token counts as
/// expired.
const CLOCK_SKEW_SECS: i64 = 300;

/// OpenID Connect Core §3.1.3.7: the issuer is the discovered one, the audience holds the
/// client ID, the token has not expired; and Entra's `tid` is the tenant signed in to.
pub fn check_id_token(claims: &Claims, expected: &IdTokenExpectations) -> Result<()> {
    let refuse = |what: String, hint: &str| {
        Error::new(
            Code::BadIdToken,
            format!("the ID token from the token endpoint {what}; nothing from it was used"),
        )
        .with_hint(hint.to_owned())
    };
    let authority_hint = "the identity provider answered for another issuer or client: check --authority and --client-id, and HTTPS_PROXY if a proxy answers in its place";
    if let Some(issuer) = expected.issuer {
        let issuer = match &claims.tid {
            Some(tid) => issuer.replace("{tenantid}", tid),
            None => issuer.to_owned(),
        };
        if claims.iss.as_deref() != Some(issuer.as_str()) {
            return Err(refuse(
                format!(
                    "names the issuer {}, not {issuer}",
                    claims.iss.as_deref().unwrap_or("(none)")
                ),
                authority_hint,
            ));
        }
    }
    if !claims
        .aud
        .iter()
        .any(|a| a.eq_ignore_ascii_case(expected.client_id))
    {
        return Err(refuse(
            format!(
                "is for {}, not for the client {}",
                describe_audience(&claims.aud),
                expected.client_id
            ),
            authority_hint,
        ));
    }
    match claims.exp {
        Some(exp) if exp + CLOCK_SKEW_SECS > expected.now => {}
        Some(_) => {
            return Err(refuse(
                "has already expired".into(),
                "check this machine's clock (`onboard doctor` compares it with the server's), then sign in again",
            ));
        }
        None => return Err(refuse("has no expiry (exp)".into(), authority_hint)),
    }
    if let (Some(expected_tid), Some(tid)) = (expected.tenant_id, &claims.tid)
        && !expected_tid.eq_ignore_ascii_case(tid)
    {
        return Err(Error::new(
            Code::WrongTenant,
            format!(
                "the sign-in was for tenant {tid}, but the authority is tenant {expected_tid}; nothing was saved"
            ),
        ));
    }
    Ok(())
}

fn describe_audience(aud: &[String]) -> String {
    if aud.is_empty() {
        "no audience".into()
    } else {
        format!("the audience {}", aud.join(", "))
    }
}

impl Claims {
    /// The account name, whichever claim carries it.
    pub fn account(&self) -> Option<&str> {
        [
            &self.preferred_username,
            &self.upn,
            &self.email,
            &self.unique_name,
        ]
        .into_iter()
        .find_map(|c| c.as_deref())
    }

    pub fn scopes(&self) -> Vec<String> {
        self.scp.as_deref().map(text::words).unwrap_or_default()
    }
}

/// The claims of a JWT, or `None` when it is not one (opaque tokens are allowed by OAuth).
pub fn decode(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    parts.next()?;
    if payload.len() > 64 * 1024 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    // Claims of the wrong type (a number for `tid`) make the whole token unreadable rather than
    // half-read.
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_entra_claims() {
        let c = decode(&jwt(
            r#"{"tid":"t","oid":"o","preferred_username":"svc@contoso.com","scp":"User.Read Mail.Read","exp":1}"#,
        ))
        .unwrap();
        assert_eq!(c.account(), Some("svc@contoso.com"));
        assert_eq!(c.scopes(), vec!["User.Read", "Mail.Read"]);
        assert_eq!(c.tid.as_deref(), Some("t"));
    }

    const CLIENT: &str = "6731de76-14a6-49ae-97bc-6eba6914391e";
    const TID: &str = "0b8f4c35-7d34-4e8b-9f2a-6a1f5c3e2d10";

    fn expect(issuer: &str) -> IdTokenExpectations<'_> {
        IdTokenExpectations {
            issuer: Some(issuer),
            client_id: CLIENT,
            tenant_id: Some(TID),
            now: 1_000_000,
        }
    }

    fn claims(json: serde_json::Value) -> Claims {
        decode(&jwt(&json.to_string())).unwrap()
    }

    #[test]
    fn id_tokens_must_name_the_issuer_client_tenant_and_a_future_expiry() {
        let issuer = format!("https://login.example/{TID}/v2.0");
        let good = serde_json::json!({"iss": issuer, "aud": CLIENT, "exp": 1_000_100, "tid": TID});
        check_id_token(&claims(good.clone()), &expect(&issuer)).unwrap();
        // Entra's templated issuer, and an audience list.
        let mut listed = good.clone();
        listed["aud"] = serde_json::json!(["other", CLIENT]);
        check_id_token(
            &claims(listed),
            &expect("https://login.example/{tenantid}/v2.0"),
        )
        .unwrap();
        // Within the allowed clock skew.
        let mut skewed = good.clone();
        skewed["exp"] = serde_json::json!(1_000_000 - 60);
        check_id_token(&claims(skewed), &expect(&issuer)).unwrap();
        for (field, value, exit) in [
            ("iss", serde_json::json!("https://evil.example/v2.0"), 2),
            ("iss", serde_json::Value::Null, 2),
            ("aud", serde_json::json!("another-client"), 2),
            ("aud", serde_json::json!([]), 2),
            ("exp", serde_json::json!(1_000_000 - 3600), 2),
            ("exp", serde_json::Value::Null, 2),
            (
                "tid",
                serde_json::json!("11111111-2222-3333-4444-555555555555"),
                4,
            ),
        ] {
            let mut bad = good.clone();
            bad[field] = value;
            let e = check_id_token(&claims(bad), &expect(&issuer)).unwrap_err();
            assert_eq!(e.exit_code(), exit, "{field}: {}", e.message);
        }
    }

    #[test]
    fn anything_else_is_none() {
        for token in [
            "",
            "opaque",
            "a.b",
            "a.!!!.c",
            &jwt("[1]"),
            &jwt(r#"{"tid":5}"#),
        ] {
            assert!(decode(token).is_none(), "{token}");
        }
    }
}
