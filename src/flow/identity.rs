//! Who the access token acts as: Microsoft Graph `GET /v1.0/me` for Microsoft authorities,
//! the OpenID `userinfo_endpoint` otherwise. A success proves the token works.

use reqwest::{Client, StatusCode};
use serde::Deserialize;

use super::api::get_json;
use crate::authority::Endpoints;
use crate::error::{Error, Result};
use crate::http;
use crate::http::Retries;
use crate::secret::Secret;
use crate::text;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The name to show: Graph's `userPrincipalName` (else `mail`), userinfo's
    /// `preferred_username` (else `email`).
    pub account: Option<String>,
    /// Graph's `mail` or userinfo's `email`: a guest's home address, where `account` is its
    /// `#EXT#` name in the tenant.
    pub mail: Option<String>,
    pub display_name: Option<String>,
    /// Graph's object ID, or userinfo's `sub`: what identifies the account.
    pub id: Option<String>,
    /// "Microsoft Graph /me" or "userinfo": what was asked.
    pub source: &'static str,
}

impl Identity {
    /// Whether this is the saved account: by its id when both sides know it (names change on
    /// rename, and a guest's differ between its home and the tenant), else by name or mail.
    pub fn is(&self, account_id: Option<&str>, account: Option<&str>) -> bool {
        match (account_id, self.id.as_deref()) {
            (Some(saved), Some(actual)) => saved.eq_ignore_ascii_case(actual),
            _ => match account {
                None => true,
                Some(expected) => [&self.account, &self.mail]
                    .into_iter()
                    .flatten()
                    .any(|name| name.eq_ignore_ascii_case(expected)),
            },
        }
    }
}

#[derive(Deserialize)]
struct GraphMe {
    #[serde(default, deserialize_with = "text::id")]
    id: Option<String>,
    #[serde(default, rename = "displayName", deserialize_with = "text::name")]
    display_name: Option<String>,
    #[serde(default, rename = "userPrincipalName", deserialize_with = "text::name")]
    user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "text::name")]
    mail: Option<String>,
}

#[derive(Deserialize)]
struct UserInfo {
    #[serde(default, deserialize_with = "text::name")]
    sub: Option<String>,
    #[serde(default, deserialize_with = "text::name")]
    name: Option<String>,
    #[serde(default, deserialize_with = "text::name")]
    preferred_username: Option<String>,
    #[serde(default, deserialize_with = "text::name")]
    email: Option<String>,
}

pub async fn whoami(
    client: &Client,
    endpoints: &Endpoints,
    access_token: &Secret,
    retries: impl Into<Retries>,
) -> Result<Identity> {
    let (url, source) = match (&endpoints.graph, &endpoints.userinfo) {
        (Some(graph), _) => (
            graph
                .join("v1.0/me")
                .map_err(|e| Error::unexpected(e.to_string()))?,
            "Microsoft Graph /me",
        ),
        (None, Some(userinfo)) => (userinfo.clone(), "userinfo"),
        (None, None) => {
            return Err(Error::usage(
                "this authority names no userinfo_endpoint and is not Microsoft's: the token cannot be checked",
            )
            .with_hint("use an authority whose discovery document names userinfo_endpoint"));
        }
    };
    let retries = retries.into();
    Ok(if endpoints.graph.is_some() {
        let me: GraphMe = get_json(client, url, access_token, &retries).await?;
        Identity {
            account: me.user_principal_name.or(me.mail.clone()),
            mail: me.mail,
            display_name: me.display_name,
            id: me.id,
            source,
        }
    } else {
        let info: UserInfo = get_json(client, url, access_token, &retries).await?;
        Identity {
            account: info
                .preferred_username
                .or(info.email.clone())
                .or(info.sub.clone()),
            mail: info.email,
            display_name: info.name,
            id: info.sub,
            source,
        }
    })
}

/// The tenant's display name from Graph `/v1.0/organization`, for summaries. Best effort: one
/// try (after the host's turn when a throttle is shared), and `None` when it cannot be read.
pub async fn organization_name(
    client: &Client,
    endpoints: &Endpoints,
    access_token: &Secret,
    retries: &Retries,
) -> Option<String> {
    #[derive(Deserialize)]
    struct Organizations {
        value: Vec<Organization>,
    }
    #[derive(Deserialize)]
    struct Organization {
        #[serde(default, rename = "displayName", deserialize_with = "text::name")]
        display_name: Option<String>,
    }
    let url = endpoints.graph.as_ref()?.join("v1.0/organization").ok()?;
    retries.to(&url).wait_turn().await;
    let request = client
        .get(url)
        .bearer_auth(access_token.expose())
        .build()
        .ok()?;
    let reply = http::execute(client, request).await.ok()?;
    if reply.status != StatusCode::OK {
        return None;
    }
    let orgs: Organizations = serde_json::from_slice(&reply.body).ok()?;
    orgs.value.into_iter().find_map(|o| o.display_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guest() -> Identity {
        Identity {
            account: Some("svc_partner.com#EXT#@contoso.onmicrosoft.com".into()),
            mail: Some("svc@partner.com".into()),
            display_name: None,
            id: Some("6F1C0A2E-0000-4000-8000-000000000001".into()),
            source: "Microsoft Graph /me",
        }
    }

    #[test]
    fn the_account_is_known_by_its_id_and_names_are_for_display() {
        let id = Some("6f1c0a2e-0000-4000-8000-000000000001");
        // A guest, or a renamed account: the id decides.
        assert!(guest().is(id, Some("svc@partner.com")));
        assert!(guest().is(id, Some("old-name@contoso.onmicrosoft.com")));
        assert!(!guest().is(Some("another-id"), Some("svc@partner.com")));
        // A profile saved before ids were kept: the name or the mail.
        assert!(guest().is(None, Some("SVC@partner.com")));
        assert!(!guest().is(None, Some("someone@partner.com")));
    }
}
