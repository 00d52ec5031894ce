//! The token endpoint: what it answers (tokens or an OAuth error, whatever the status), and the
//! refresh-token grant with rotation (<https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token>).

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde::Deserialize;
use url::Url;

use super::classify;
use super::jwt::{self, Claims};
use super::wire;
use crate::authority::Endpoints;
use crate::error::{Code, Error, Result};
use crate::http::{self, Failure, Reply, Retries, with_retries};
use crate::oauth::OAuthErrorBody;
use crate::secret::Secret;

/// What a successful token request gave.
#[derive(Clone, Debug)]
pub struct TokenSet {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub scopes: Vec<String>,
    pub expires_at: jiff::Timestamp,
    /// From the id_token when there is one, otherwise from the access token.
    pub claims: Claims,
    /// Whether an ID token came: its claims must pass [`jwt::check_id_token`] before use.
    id_token: IdToken,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdToken {
    Absent,
    /// `claims` are the ID token's.
    Read,
    /// Not a JWT: OpenID Connect says it must be one.
    Unreadable,
}

#[derive(Deserialize)]
struct Wire {
    access_token: Secret,
    #[serde(default)]
    refresh_token: Option<Secret>,
    #[serde(default)]
    id_token: Option<Secret>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default, deserialize_with = "wire::number_or_string")]
    expires_in: Option<u64>,
}

/// The token endpoint's answer, sorted.
pub(crate) enum TokenReply {
    Tokens(TokenSet),
    /// An OAuth error, whatever the HTTP status (MSAL.NET has seen some with 200).
    OAuth {
        status: StatusCode,
        body: OAuthErrorBody,
        host: String,
        /// A throttled OAuth answer may say when to come back.
        retry_after: Option<Duration>,
    },
    /// Anything else: 5xx, 429, an HTML page, truncated JSON.
    Other(Reply),
}

/// POSTs a token request (`form` names `client_id`) to the authority's token endpoint. Tokens
/// with an ID token come back only when it is this sign-in's ([`TokenSet::check_id_token`]).
pub(crate) async fn post_token(
    client: &Client,
    endpoints: &Endpoints,
    client_id: &str,
    form: &[(&str, &str)],
    requested_scopes: &[String],
) -> Result<TokenReply> {
    let request = client
        .post(endpoints.token.clone())
        .form(form)
        .build()
        .map_err(|e| Error::unexpected(e.to_string()))?;
    let reply = http::execute(client, request).await?;
    let reply = sort_reply(reply, requested_scopes);
    if let TokenReply::Tokens(tokens) = &reply {
        tokens.check_id_token(endpoints, client_id)?;
    }
    Ok(reply)
}

impl TokenSet {
    /// Whether an ID token came (its claims are then [`TokenSet::claims`]).
    pub(crate) fn has_id_token(&self) -> bool {
        self.id_token == IdToken::Read
    }

    /// The ID token's claims decide who signed in, so they must be this sign-in's: issued by
    /// the discovered issuer, for this client, not expired, for the authority's tenant.
    fn check_id_token(&self, endpoints: &Endpoints, client_id: &str) -> Result<()> {
        match self.id_token {
            IdToken::Absent => Ok(()),
            IdToken::Unreadable => Err(Error::new(
                Code::BadIdToken,
                "the ID token from the token endpoint is not a JWT; nothing from it was used",
            )
            .with_hint("the identity provider is not speaking OpenID Connect as expected: check --authority")),
            IdToken::Read => jwt::check_id_token(
                &self.claims,
                &jwt::IdTokenExpectations {
                    issuer: endpoints.issuer.as_deref(),
                    client_id,
                    tenant_id: endpoints.tenant_id.as_deref(),
                    now: jiff::Timestamp::now().as_second(),
                },
            ),
        }
    }
}

pub(super) fn sort_reply(reply: Reply, requested_scopes: &[String]) -> TokenReply {
    if let Some(body) = OAuthErrorBody::parse(&reply.body) {
        return TokenReply::OAuth {
            status: reply.status,
            host: reply.host(),
            retry_after: reply.retry_after(),
            body,
        };
    }
    if reply.status == StatusCode::OK
        && let Some(tokens) = parse_tokens(&reply.body, requested_scopes)
    {
        return TokenReply::Tokens(tokens);
    }
    TokenReply::Other(reply)
}

/// A successful token response, or `None` when the body is not one.
pub fn parse_tokens(body: &[u8], requested_scopes: &[String]) -> Option<TokenSet> {
    let wire: Wire = serde_json::from_slice(body).ok()?;
    if wire.access_token.expose().is_empty() {
        return None;
    }
    let scopes = match wire.scope.as_deref() {
        Some(s) if !s.trim().is_empty() => crate::text::words(s),
        // RFC 6749 §5.1: no `scope` means the requested ones were granted.
        _ => requested_scopes.to_vec(),
    };
    let id_claims = wire.id_token.as_ref().map(|t| jwt::decode(t.expose()));
    let id_token = match &id_claims {
        None => IdToken::Absent,
        Some(Some(_)) => IdToken::Read,
        Some(None) => IdToken::Unreadable,
    };
    let claims = id_claims
        .flatten()
        .or_else(|| jwt::decode(wire.access_token.expose()))
        .unwrap_or_default();
    let lifetime = Duration::from_secs(wire.expires_in.unwrap_or(3600).min(366 * 24 * 3600));
    let expires_at = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::try_from(lifetime).unwrap_or_default())
        .unwrap_or_else(|_| jiff::Timestamp::now());
    Some(TokenSet {
        access_token: wire.access_token,
        refresh_token: wire.refresh_token.filter(|t| !t.expose().is_empty()),
        scopes,
        expires_at,
        claims,
        id_token,
    })
}

impl TokenReply {
    /// Tokens, or the failure (transient ones carry their `Retry-After`), for the answer to a
    /// `grant` request: the same bare `error` means different things in each.
    pub(crate) fn into_result_for(
        self,
        grant: classify::Grant,
    ) -> std::result::Result<TokenSet, Failure> {
        match self {
            TokenReply::Tokens(tokens) => Ok(tokens),
            TokenReply::OAuth {
                status,
                body,
                host,
                retry_after,
            } => Err(Failure {
                error: classify::oauth_error_for(grant, status, &body, &host),
                retry_after,
            }),
            TokenReply::Other(reply) => Err(Failure {
                retry_after: reply.retry_after(),
                error: classify::unexpected_reply(&reply),
            }),
        }
    }
}

/// Redeems a refresh token. The answer carries a new refresh token: the caller must store it
/// in place of the old one. When a server does not rotate, the old token is returned again.
pub async fn refresh(
    client: &Client,
    endpoints: &Endpoints,
    client_id: &str,
    refresh_token: &Secret,
    scopes: &[String],
    retries: impl Into<Retries>,
) -> Result<TokenSet> {
    let retries = retries.into().to(&endpoints.token);
    let scope = scopes.join(" ");
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", refresh_token.expose()),
    ];
    if !scope.is_empty() {
        form.push(("scope", &scope));
    }
    let mut tokens = with_retries(retries, || async {
        post_token(client, endpoints, client_id, &form, scopes)
            .await?
            .into_result_for(classify::Grant::RefreshToken)
    })
    .await
    .map_err(|error| classify::for_the_tenant_admin(error, endpoints))?;
    if tokens.refresh_token.is_none() {
        tokens.refresh_token = Some(refresh_token.clone());
    }
    Ok(tokens)
}

/// The scopes to request: the user's (or the defaults), de-duplicated, always with
/// `offline_access` so that a refresh token comes back.
pub fn normalize_scopes(requested: &[String]) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    let given: Vec<&str> = requested
        .iter()
        .flat_map(|s| s.split_whitespace())
        .collect();
    let source: Vec<&str> = if given.is_empty() {
        super::DEFAULT_SCOPES.to_vec()
    } else {
        given
    };
    for scope in source.into_iter().chain(["offline_access"]) {
        if !scopes.iter().any(|s| s.eq_ignore_ascii_case(scope)) {
            scopes.push(scope.to_string());
        }
    }
    scopes
}

/// The scopes `validate` asks for at a Microsoft authority: Graph's `User.Read`, which `/me`
/// needs, with the profile's other Graph scopes (bare names, or prefixed with `graph`, the
/// Graph origin) so that none is lost. Scopes of other resources stay out: one request may
/// name one resource only.
pub fn validation_scopes(saved: &[String], graph: &Url) -> Vec<String> {
    let prefix = format!("{}/", graph.origin().ascii_serialization()).to_ascii_lowercase();
    let graph: Vec<String> = saved
        .iter()
        .filter(|s| {
            (!s.contains('/') && !s.contains(':')) || s.to_ascii_lowercase().starts_with(&prefix)
        })
        .cloned()
        .chain([VALIDATION_SCOPE.to_owned()])
        .collect();
    normalize_scopes(&graph)
}

/// The Graph scope `/me` needs.
pub const VALIDATION_SCOPE: &str = "User.Read";

/// Scopes that were requested but not granted. OIDC scopes (`openid`, `profile`, `email`,
/// `offline_access`) are not reported by every server, so they never count as missing; Graph
/// scopes match with or without the `https://graph.microsoft.com/` prefix.
pub fn missing_scopes(requested: &[String], granted: &[String]) -> Vec<String> {
    const OIDC: [&str; 4] = ["openid", "profile", "email", "offline_access"];
    let bare = |s: &str| -> String {
        s.rsplit_once('/')
            .map(|(_, name)| name)
            .unwrap_or(s)
            .to_ascii_lowercase()
    };
    requested
        .iter()
        .filter(|r| !OIDC.iter().any(|o| o.eq_ignore_ascii_case(r)))
        .filter(|r| !granted.iter().any(|g| bare(g) == bare(r)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn scopes_default_and_always_include_offline_access() {
        assert_eq!(
            normalize_scopes(&[]),
            s(&["openid", "profile", "offline_access", "User.Read"])
        );
        assert_eq!(
            normalize_scopes(&s(&["User.Read Mail.Read", "user.read"])),
            s(&["User.Read", "Mail.Read", "offline_access"])
        );
    }

    #[test]
    fn validation_asks_for_user_read_and_keeps_the_other_graph_scopes() {
        let graph = Url::parse("https://graph.microsoft.us/").unwrap();
        assert_eq!(
            validation_scopes(&s(&["Mail.Read", "profile", "openid", "email"]), &graph),
            s(&[
                "Mail.Read",
                "profile",
                "openid",
                "email",
                "User.Read",
                "offline_access"
            ])
        );
        assert_eq!(
            validation_scopes(&s(&["api://other/.default", "user.read"]), &graph),
            s(&["user.read", "offline_access"])
        );
        assert_eq!(
            validation_scopes(&s(&["https://graph.microsoft.us/Mail.Read"]), &graph),
            s(&[
                "https://graph.microsoft.us/Mail.Read",
                "User.Read",
                "offline_access"
            ])
        );
    }

    #[test]
    fn missing_scopes_ignore_oidc_and_resource_prefixes() {
        let requested = s(&["openid", "offline_access", "User.Read", "Mail.Read"]);
        let granted = s(&["https://graph.microsoft.com/User.Read", "profile"]);
        assert_eq!(missing_scopes(&requested, &granted), s(&["Mail.Read"]));
    }

    #[test]
    fn token_answers_without_scope_mean_the_requested_ones() {
        let t = parse_tokens(br#"{"access_token":"a","expires_in":"3599"}"#, &s(&["x"])).unwrap();
        assert_eq!(t.scopes, s(&["x"]));
        assert!(t.refresh_token.is_none());
        assert!(parse_tokens(br#"{"access_token":""}"#, &[]).is_none());
        assert!(parse_tokens(br#"{"token_type":"Bearer"}"#, &[]).is_none());
        assert!(parse_tokens(b"<html>", &[]).is_none());
    }

    #[test]
    fn oauth_errors_with_status_200_are_errors() {
        let reply = Reply {
            url: Url::parse("https://login.example/t/oauth2/v2.0/token").unwrap(),
            status: StatusCode::OK,
            headers: Default::default(),
            body: br#"{"error":"authorization_pending","error_codes":[70016]}"#
                .to_vec()
                .into(),
        };
        assert!(matches!(sort_reply(reply, &[]), TokenReply::OAuth { .. }));
    }
}
