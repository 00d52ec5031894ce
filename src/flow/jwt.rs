//! Reading a JWT's claims for display and identity checks. Signatures are not verified: the
//! tokens came straight from the token endpoint over TLS, and access tokens for Graph are not
//! the client's to validate (<https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens>).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// The claims `onboard` reads, with Entra's names.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub tid: Option<String>,
    pub oid: Option<String>,
    pub sub: Option<String>,
    pub preferred_username: Option<String>,
    pub upn: Option<String>,
    pub unique_name: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    /// Space-separated delegated scopes (access tokens).
    pub scp: Option<String>,
    pub exp: Option<i64>,
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
        self.scp
            .as_deref()
            .map(|s| s.split_whitespace().map(String::from).collect())
            .unwrap_or_default()
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
