//! Compact JWTs (HS256) for the simulated tenant's id and access tokens. The key is random per
//! process: these tokens only have to look and decode like Entra's, and to be recognised here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use serde_json::{Value, json};

use super::ids::{b64url, random_bytes};

pub struct Signer {
    key: hmac::Key,
}

impl Signer {
    pub fn new() -> Signer {
        let mut secret = [0u8; 32];
        random_bytes(&mut secret);
        Signer {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
        }
    }

    /// `base64url(header).base64url(claims).base64url(HMAC-SHA256)`.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"typ": "JWT", "alg": "HS256", "kid": "onboard-simulator"});
        let input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let tag = hmac::sign(&self.key, input.as_bytes());
        format!("{input}.{}", b64url(tag.as_ref()))
    }

    /// The claims of a token this signer made, or `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Value> {
        let (input, signature) = token.rsplit_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        hmac::verify(&self.key, input.as_bytes(), &signature).ok()?;
        let (_, payload) = input.split_once('.')?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_token_has_three_base64url_parts_and_round_trips() {
        let signer = Signer::new();
        let claims = json!({"aud": "x", "scp": "User.Read", "exp": 1});
        let token = signer.sign(&claims);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        for part in &parts {
            assert!(
                part.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            );
        }
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap_or_default();
        assert_eq!(header["alg"], "HS256");
        assert_eq!(signer.verify(&token), Some(claims));
    }

    #[test]
    fn tampered_or_foreign_tokens_are_rejected() {
        let signer = Signer::new();
        let token = signer.sign(&json!({"oid": "a"}));
        let forged = format!("{}x", token);
        assert_eq!(signer.verify(&forged), None);
        assert_eq!(Signer::new().verify(&token), None);
        assert_eq!(signer.verify("not a jwt"), None);
    }
}
