//! The browser sign-in road: the authorization code grant (RFC 6749 §4.1) with PKCE (RFC 7636,
//! S256) for a native app with a loopback redirect (RFC 8252 §7.3), `state` and `nonce`
//! checked. On Entra: <https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow>.
//! Builds the authorize URL, reads the redirect (from the loopback listener, or an address a
//! person pasted) and redeems the code. No terminal I/O: the wizard decides what to show.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Client, StatusCode};
use url::{Host, Url};

use super::classify;
use super::tokens::{TokenSet, post_token};
use crate::authority::Endpoints;
use crate::error::{Code, Error, Result};
use crate::oauth::OAuthErrorBody;
use crate::secret::Secret;

/// `count` random bytes, base64url without padding: 32 bytes make a 43-character PKCE
/// verifier (RFC 7636 §4.1 asks for 43 to 128 characters of 256 bits' entropy).
fn random_text(count: usize) -> Result<String> {
    let mut bytes = vec![0u8; count];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::unexpected(format!("the system's random number generator failed: {e}"))
    })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// RFC 7636 §4.2, S256: `BASE64URL(SHA256(ASCII(verifier)))`.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// The redirect URI for a listener on `port`: Entra matches `http://localhost` registered on
/// the "Mobile and desktop applications" platform whatever the port.
pub fn loopback_redirect_uri(port: u16) -> String {
    format!("http://localhost:{port}")
}

/// One authorization request: the URL the person opens, and what the answer must match.
pub struct AuthorizeRequest {
    pub url: Url,
    /// `http://localhost:PORT`, sent again when the code is redeemed.
    pub redirect_uri: String,
    pub port: u16,
    /// Echoed by the redirect; anything else is not this sign-in's answer.
    pub state: String,
    nonce: String,
    verifier: Secret,
}

impl std::fmt::Debug for AuthorizeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizeRequest")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl AuthorizeRequest {
    /// A fresh request (new state, nonce and verifier) for a listener on `port`.
    pub fn new(
        endpoints: &Endpoints,
        client_id: &str,
        scopes: &[String],
        port: u16,
        login_hint: Option<&str>,
    ) -> Result<AuthorizeRequest> {
        let verifier = random_text(32)?;
        let state = random_text(18)?;
        let nonce = random_text(18)?;
        let redirect_uri = loopback_redirect_uri(port);
        let mut url = endpoints.authorization()?.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("client_id", client_id)
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("response_mode", "query")
                .append_pair("scope", &scopes.join(" "))
                .append_pair("state", &state)
                .append_pair("nonce", &nonce)
                .append_pair("code_challenge", &s256_challenge(&verifier))
                .append_pair("code_challenge_method", "S256");
            // At Microsoft, the account chooser, so that a browser signed in as someone else
            // does not answer for the service account without asking. Elsewhere, OpenID
            // Connect Core §11: `offline_access` (a refresh token) needs `prompt=consent`.
            if endpoints.graph.is_some() {
                query.append_pair("prompt", "select_account");
            } else if scopes.iter().any(|s| s == "offline_access") {
                query.append_pair("prompt", "consent");
            }
            if let Some(hint) = login_hint {
                query.append_pair("login_hint", hint);
            }
        }
        Ok(AuthorizeRequest {
            url,
            redirect_uri,
            port,
            state,
            nonce,
            verifier: Secret::new(verifier),
        })
    }
}

/// What the redirect said.
#[derive(Debug)]
pub enum Redirect {
    /// The authorization code, to redeem with the verifier.
    Code(Secret),
    /// `error=` (`access_denied`, `consent_required`, ...): the sign-in did not give a code.
    Refused(Box<OAuthErrorBody>),
}

/// Why an address is not this sign-in's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotTheAnswer {
    /// Not a URL at all.
    NotAnAddress,
    /// Not `http://localhost:PORT/` or `http://127.0.0.1:PORT/`.
    WrongPlace { expected: String },
    /// Another sign-in's `state`, or none.
    WrongState,
    /// Neither `code` nor `error`.
    NoCode,
}

impl NotTheAnswer {
    pub fn describe(&self) -> String {
        match self {
            NotTheAnswer::NotAnAddress => "that is not a web address".into(),
            NotTheAnswer::WrongPlace { expected } => format!(
                "that address is not where this sign-in sends the browser (it starts with {expected}/)"
            ),
            NotTheAnswer::WrongState => {
                "that address belongs to another sign-in (its state does not match): use the one from the link shown here".into()
            }
            NotTheAnswer::NoCode => {
                "that address carries neither a code nor an error: copy the whole address, with everything after the ?".into()
            }
        }
    }
}

/// The query of a redirect that reached the listener or was pasted: `code` and `state`, or
/// `error` and `state`. The path must be `/` (Entra adds the slash to a redirect URI without
/// a path: <https://learn.microsoft.com/en-us/entra/identity-platform/reply-url>).
pub fn read_redirect(
    path: &str,
    query: Option<&str>,
    state: &str,
) -> Result<Redirect, NotTheAnswer> {
    if path != "/" {
        return Err(NotTheAnswer::WrongPlace {
            expected: String::new(),
        });
    }
    let mut code = None;
    let mut error = None;
    let mut description = None;
    let mut seen_state = None;
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        // A repeated parameter is not something a server sends: refuse rather than pick one.
        let slot = match key.as_ref() {
            "code" => &mut code,
            "error" => &mut error,
            "error_description" => &mut description,
            "state" => &mut seen_state,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(NotTheAnswer::NoCode);
        }
    }
    // Constant-time would be overkill: the state is not a secret kept from the caller.
    if seen_state.as_deref() != Some(state) {
        return Err(NotTheAnswer::WrongState);
    }
    if let Some(error) = error.filter(|e| !e.is_empty()) {
        let body = serde_json::json!({"error": error, "error_description": description});
        return serde_json::from_value::<OAuthErrorBody>(body)
            .map(|body| Redirect::Refused(Box::new(body)))
            .map_err(|_| NotTheAnswer::NoCode);
    }
    match code.filter(|c| !c.is_empty()) {
        Some(code) => Ok(Redirect::Code(Secret::new(code))),
        None => Err(NotTheAnswer::NoCode),
    }
}

/// An address pasted at the prompt: the browser's address bar after sign-in, on this machine
/// or another. It must be `http://localhost:PORT/…` or `http://127.0.0.1:PORT/…` on our port,
/// with our `state`.
pub fn read_pasted(text: &str, port: u16, state: &str) -> Result<Redirect, NotTheAnswer> {
    let text = text.trim().trim_matches(['"', '\'', '<', '>']);
    // Without a scheme (`localhost:PORT/?…`), as some address bars show it.
    let url = if text.contains("://") {
        Url::parse(text)
    } else {
        Url::parse(&format!("http://{text}"))
    }
    .map_err(|_| NotTheAnswer::NotAnAddress)?;
    let expected = loopback_redirect_uri(port);
    let loopback = match url.host() {
        Some(Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        _ => false,
    };
    if url.scheme() != "http" || !loopback || url.port() != Some(port) {
        return Err(NotTheAnswer::WrongPlace { expected });
    }
    read_redirect(url.path(), url.query(), state).map_err(|problem| match problem {
        NotTheAnswer::WrongPlace { .. } => NotTheAnswer::WrongPlace { expected },
        other => other,
    })
}

/// The error an `error=` redirect stands for, classified like a token endpoint's answer.
pub fn refused(body: &OAuthErrorBody, authority_host: &str) -> Error {
    classify::oauth_error(StatusCode::BAD_REQUEST, body, authority_host)
}

/// Redeems the code with the verifier (RFC 7636 §4.5) at the token endpoint, and checks that
/// the ID token, when one came, carries this request's nonce.
pub async fn redeem_code(
    client: &Client,
    endpoints: &Endpoints,
    client_id: &str,
    request: &AuthorizeRequest,
    code: &Secret,
    scopes: &[String],
) -> Result<TokenSet> {
    let scope = scopes.join(" ");
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code.expose()),
        ("redirect_uri", request.redirect_uri.as_str()),
        ("code_verifier", request.verifier.expose()),
        ("scope", scope.as_str()),
    ];
    // No retries: a code is redeemed once, and a second try would meet "already redeemed".
    let tokens = post_token(client, endpoints, client_id, &form, scopes)
        .await?
        .into_result_for(classify::Grant::Other)
        .map_err(|failure| failure.error)?;
    if tokens.has_id_token() && tokens.claims.nonce.as_deref() != Some(request.nonce.as_str()) {
        return Err(Error::new(
            Code::BadIdToken,
            "the ID token does not carry this sign-in's nonce; nothing from it was used",
        )
        .with_hint("the answer was not for this sign-in (replayed or mixed up): run `onboard invite` again"));
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints() -> Endpoints {
        Endpoints {
            issuer: None,
            device_authorization: None,
            authorization: Some(
                Url::parse("https://login.microsoftonline.com/contoso.com/oauth2/v2.0/authorize")
                    .unwrap(),
            ),
            token: Url::parse("https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token")
                .unwrap(),
            userinfo: None,
            graph: None,
            tenant_id: None,
        }
    }

    #[test]
    fn the_s256_challenge_is_rfc_7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_authorize_url_carries_pkce_state_nonce_and_the_loopback_redirect() {
        let scopes = vec!["openid".to_owned(), "User.Read".to_owned()];
        let request =
            AuthorizeRequest::new(&endpoints(), "cid", &scopes, 50123, Some("svc@contoso.com"))
                .unwrap();
        let query: std::collections::HashMap<String, String> =
            request.url.query_pairs().into_owned().collect();
        assert_eq!(query["client_id"], "cid");
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["redirect_uri"], "http://localhost:50123");
        assert_eq!(query["scope"], "openid User.Read");
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(query["state"], request.state);
        assert_eq!(query["login_hint"], "svc@contoso.com");
        assert_eq!(
            query["code_challenge"],
            s256_challenge(request.verifier.expose())
        );
        assert_eq!(request.verifier.expose().len(), 43);
        assert!(!query.values().any(|v| v == request.verifier.expose()));
        assert!(!format!("{request:?}").contains(request.verifier.expose()));
        let other = AuthorizeRequest::new(&endpoints(), "cid", &scopes, 50123, None).unwrap();
        assert_ne!(other.state, request.state);
        assert_ne!(other.nonce, request.nonce);
        assert!(!other.url.as_str().contains("login_hint"));
    }

    #[test]
    fn a_redirect_is_read_only_with_our_state_on_our_path() {
        assert!(matches!(
            read_redirect("/", Some("code=abc&state=S"), "S"),
            Ok(Redirect::Code(code)) if code.expose() == "abc"
        ));
        assert!(matches!(
            read_redirect("/", Some("error=access_denied&error_description=AADSTS65004%3A+no&state=S"), "S"),
            Ok(Redirect::Refused(body)) if body.error.as_str() == "access_denied"
        ));
        assert_eq!(
            read_redirect("/", Some("code=abc&state=T"), "S").unwrap_err(),
            NotTheAnswer::WrongState
        );
        assert_eq!(
            read_redirect("/", Some("code=abc"), "S").unwrap_err(),
            NotTheAnswer::WrongState
        );
        assert_eq!(
            read_redirect("/", Some("state=S"), "S").unwrap_err(),
            NotTheAnswer::NoCode
        );
        assert_eq!(
            read_redirect("/", Some("code=a&code=b&state=S"), "S").unwrap_err(),
            NotTheAnswer::NoCode
        );
        assert!(matches!(
            read_redirect("/favicon.ico", Some("code=abc&state=S"), "S"),
            Err(NotTheAnswer::WrongPlace { .. })
        ));
    }

    #[test]
    fn a_pasted_address_must_be_loopback_on_our_port() {
        for good in [
            "http://localhost:50123/?code=abc&state=S",
            "  http://127.0.0.1:50123/?state=S&code=abc  ",
            "localhost:50123/?code=abc&state=S",
            "\"http://LOCALHOST:50123/?code=abc&state=S\"",
        ] {
            assert!(
                matches!(read_pasted(good, 50123, "S"), Ok(Redirect::Code(c)) if c.expose() == "abc"),
                "{good}"
            );
        }
        for (bad, why) in [
            ("https://localhost:50123/?code=abc&state=S", "place"),
            ("http://localhost:50124/?code=abc&state=S", "place"),
            ("http://localhost/?code=abc&state=S", "place"),
            ("http://evil.example:50123/?code=abc&state=S", "place"),
            ("http://127.0.0.2:50123/?code=abc&state=S", "place"),
            ("http://[::1]:50123/?code=abc&state=S", "place"),
            ("http://localhost:50123/cb?code=abc&state=S", "place"),
            ("http://localhost:50123/?code=abc&state=X", "state"),
            ("http://localhost:50123/?state=S", "code"),
            ("", "address"),
        ] {
            let problem = read_pasted(bad, 50123, "S").unwrap_err();
            let kind = match problem {
                NotTheAnswer::WrongPlace { ref expected } => {
                    assert_eq!(expected, "http://localhost:50123");
                    "place"
                }
                NotTheAnswer::WrongState => "state",
                NotTheAnswer::NoCode => "code",
                NotTheAnswer::NotAnAddress => "address",
            };
            assert_eq!(kind, why, "{bad}");
            assert!(!problem.describe().contains("abc"));
        }
    }
}
