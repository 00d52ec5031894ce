//! OpenID discovery: the endpoints an authority names, checked before anything is sent to them,
//! and a cache so that concurrent work discovers each authority once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::{Client, StatusCode};
use serde::Deserialize;
use tokio::sync::OnceCell;
use url::Url;

use super::{Authority, Cloud, is_guid, is_loopback};
use crate::error::{Error, Kind, Result};
use crate::http::{self, Failure, Reply, Retries, with_retries};
use crate::oauth::{OAuthError, OAuthErrorBody};

/// The endpoints `onboard` uses, as named by the discovery document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    pub issuer: Option<String>,
    pub device_authorization: Option<Url>,
    /// The authorization endpoint (the browser sign-in road).
    pub authorization: Option<Url>,
    pub token: Url,
    pub userinfo: Option<Url>,
    /// Microsoft Graph's base URL when the authority is a Microsoft cloud or the simulated
    /// tenant (a loopback http issuer) and its document names `msgraph_host`; never for
    /// another issuer, whatever its document says.
    pub graph: Option<Url>,
    /// The tenant GUID, when the issuer carries one (Entra's does).
    pub tenant_id: Option<String>,
}

impl Endpoints {
    /// The authorization endpoint, or a usage error when the authority has none.
    pub fn authorization(&self) -> Result<&Url> {
        self.authorization.as_ref().ok_or_else(|| {
            Error::usage("this authority does not offer browser sign-in (no authorization_endpoint in its discovery document)")
                .with_hint("use --flow device, or check --authority")
        })
    }

    /// The device-authorization endpoint, or a usage error when the authority has none.
    pub fn device_authorization(&self) -> Result<&Url> {
        self.device_authorization.as_ref().ok_or_else(|| {
            Error::usage("this authority does not offer device-code sign-in (no device_authorization_endpoint in its discovery document)")
                .with_hint("enable the OAuth 2.0 Device Authorization Grant on the identity provider, or check --authority")
        })
    }
}

#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    issuer: Option<String>,
    token_endpoint: String,
    #[serde(default)]
    device_authorization_endpoint: Option<String>,
    #[serde(default)]
    authorization_endpoint: Option<String>,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
    #[serde(default)]
    msgraph_host: Option<String>,
}

/// One discovery request, no retries.
pub async fn discover(client: &Client, authority: &Authority) -> Result<Endpoints> {
    discover_once(client, authority).await.map_err(|f| f.error)
}

/// Discovery with retries (network trouble, 5xx, 429 with its `Retry-After`), telling
/// `waiting` about each wait.
pub async fn discover_retrying(
    client: &Client,
    authority: &Authority,
    retries: impl Into<Retries>,
    waiting: impl FnMut(&Error, std::time::Duration),
) -> Result<Endpoints> {
    crate::http::with_retries_told(retries, || discover_once(client, authority), waiting).await
}

/// Discovery results by discovery URL, shared by concurrent checks: the first asks (with
/// retries), the others wait for its answer, success or failure alike.
#[derive(Debug, Default)]
pub struct DiscoveryCache {
    entries: Mutex<HashMap<String, Arc<OnceCell<Result<Endpoints>>>>>,
}

impl DiscoveryCache {
    pub async fn discover(
        &self,
        client: &Client,
        authority: &Authority,
        retries: &Retries,
    ) -> Result<Endpoints> {
        let url = authority.discovery_url();
        let cell = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(url.to_string())
            .or_default()
            .clone();
        cell.get_or_init(|| async {
            with_retries(retries.to(&url), || discover_once(client, authority)).await
        })
        .await
        .clone()
    }
}

async fn discover_once(
    client: &Client,
    authority: &Authority,
) -> std::result::Result<Endpoints, Failure> {
    let url = authority.discovery_url();
    let reply = http::execute(
        client,
        client
            .get(url.clone())
            .build()
            .map_err(|e| Error::unexpected(e.to_string()))?,
    )
    .await?;
    if reply.status != StatusCode::OK {
        return Err(Failure {
            retry_after: reply.retry_after(),
            error: discovery_failure(authority, &reply),
        });
    }
    let document: Document = serde_json::from_slice(&reply.body).map_err(|_| {
        Error::new(
            Kind::Unreachable,
            "unexpected_response",
            format!(
                "unexpected response from {}: the discovery document is {}",
                reply.host(),
                http::describe_body(&reply.body)
            ),
        )
        .with_hint("check --authority (it must be the issuer URL, whose /.well-known/openid-configuration exists) and HTTPS_PROXY")
    })?;
    Ok(endpoints_from(authority, document)?)
}

fn endpoints_from(authority: &Authority, document: Document) -> Result<Endpoints> {
    // Discovery names where tokens go: each must be https (or loopback http when the authority
    // itself is loopback http), or a hostile document could send tokens in clear text.
    let endpoint = |text: &str, name: &str| -> Result<Url> {
        let url = Url::parse(text).map_err(|_| {
            Error::new(
                Kind::Unreachable,
                "bad_discovery",
                format!("the discovery document's {name} is not a URL"),
            )
            .with_hint("the identity provider is misconfigured; check --authority")
        })?;
        let allowed =
            url.scheme() == "https" || (authority.is_loopback_http() && is_loopback(&url));
        if !allowed {
            return Err(Error::usage(format!(
                "the discovery document's {name} ({}) is not https://",
                http::host_of(&url)
            ))
            .with_hint("the identity provider must name https:// endpoints; plain http:// is accepted only when the authority itself is a loopback http:// URL"));
        }
        Ok(url)
    };
    // A Microsoft cloud's endpoints are on its own hosts: a discovery document (or anything
    // answering in its place) that names other hosts is not the cloud's.
    let pinned = |url: Url,
                  name: &str,
                  hosts: fn(Cloud) -> &'static [&'static str]|
     -> Result<Url> {
        match authority.cloud {
            Some(cloud)
                if !url
                    .host_str()
                    .is_some_and(|h| hosts(cloud).iter().any(|p| p.eq_ignore_ascii_case(h)))
                    || url.port().is_some() =>
            {
                Err(Error::usage(format!(
                    "the discovery document's {name} is on {}, which is not a host of the Microsoft {} cloud",
                    http::host_of(&url),
                    cloud.name()
                ))
                .with_hint("something answered in place of Microsoft's sign-in service (a proxy or DNS entry?): check HTTPS_PROXY and --cloud"))
            }
            _ => Ok(url),
        }
    };
    let token = pinned(
        endpoint(&document.token_endpoint, "token_endpoint")?,
        "token_endpoint",
        Cloud::login_hosts,
    )?;
    let device_authorization = document
        .device_authorization_endpoint
        .as_deref()
        .map(|u| {
            pinned(
                endpoint(u, "device_authorization_endpoint")?,
                "device_authorization_endpoint",
                Cloud::login_hosts,
            )
        })
        .transpose()?;
    let authorization = document
        .authorization_endpoint
        .as_deref()
        .map(|u| {
            pinned(
                endpoint(u, "authorization_endpoint")?,
                "authorization_endpoint",
                Cloud::login_hosts,
            )
        })
        .transpose()?;
    let userinfo = document
        .userinfo_endpoint
        .as_deref()
        .map(|u| {
            pinned(
                endpoint(u, "userinfo_endpoint")?,
                "userinfo_endpoint",
                Cloud::graph_hosts,
            )
        })
        .transpose()?;
    // `msgraph_host` makes an authority Microsoft's for Graph and admin consent: only a
    // Microsoft cloud's own document, or a loopback issuer's (the simulated tenant on this
    // machine, over http or with `simulate --tls`), may say so. Anyone else's is ignored, and
    // userinfo is used.
    let graph = match document.msgraph_host.as_deref() {
        Some(host) if authority.is_microsoft() || is_loopback(&authority.base) => Some(pinned(
            graph_base(authority, host)?,
            "msgraph_host",
            Cloud::graph_hosts,
        )?),
        _ => None,
    };
    let tenant_id = document.issuer.as_deref().and_then(tenant_id_in);
    Ok(Endpoints {
        issuer: document.issuer,
        device_authorization,
        authorization,
        token,
        userinfo,
        graph,
        tenant_id,
    })
}

/// Graph's base URL from `msgraph_host`, which must be a bare host name (a port is allowed on
/// loopback): `graph.microsoft.com@evil.example` would otherwise make evil.example Graph.
/// Graph over http only when the authority itself is a loopback http URL (the simulated
/// tenant); a real tenant's Graph is always https.
fn graph_base(authority: &Authority, host: &str) -> Result<Url> {
    let scheme = if authority.is_loopback_http() {
        "http"
    } else {
        "https"
    };
    let bare = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    let url = Url::parse(&format!("{scheme}://{host}/"))
        .ok()
        .filter(|url| bare && url.host().is_some() && (url.port().is_none() || is_loopback(url)))
        .ok_or_else(|| {
            Error::usage(format!(
                "the discovery document's msgraph_host ({}) is not a host name",
                host.escape_default()
            ))
            .with_hint("the identity provider is misconfigured, or something answered in its place; check --authority and HTTPS_PROXY")
        })?;
    if scheme == "http" && !is_loopback(&url) {
        return Err(Error::usage(format!(
            "the discovery document's msgraph_host ({}) is not https://",
            http::host_of(&url)
        ))
        .with_hint("plain http:// is accepted only when the authority itself is a loopback http:// URL and Graph is on loopback too"));
    }
    Ok(url)
}

/// Entra's issuer is `https://{host}/{tenant GUID}/v2.0`.
fn tenant_id_in(issuer: &str) -> Option<String> {
    let url = Url::parse(issuer).ok()?;
    url.path_segments()?
        .find(|s| is_guid(s))
        .map(str::to_ascii_lowercase)
}

/// Entra's "no such tenant" (AADSTS90002), which every endpoint of the tenant answers.
const TENANT_NOT_FOUND: u32 = 90002;

/// Why discovery failed: an unknown tenant, a URL that is not an issuer, the identity provider's
/// own OAuth error, or what the transport makes of the reply (429, 5xx, a proxy's page).
fn discovery_failure(authority: &Authority, reply: &Reply) -> Error {
    let oauth = OAuthErrorBody::parse(&reply.body);
    if let Some(body) = &oauth
        && (body.error == OAuthError::InvalidTenant || body.error_codes.contains(&TENANT_NOT_FOUND))
    {
        let tenant = authority
            .base
            .path_segments()
            .and_then(|mut s| s.next())
            .unwrap_or_default()
            .to_string();
        let mut e = Error::new(
            Kind::Usage,
            OAuthError::InvalidTenant.as_str(),
            format!("tenant '{tenant}' does not exist in {}", authority.describe()),
        )
        .with_hint(
            "check the tenant GUID or domain (AADSTS90002); a government or China tenant needs --cloud usgov or --cloud china",
        );
        e.oauth = Some(OAuthError::InvalidTenant);
        e.aadsts = Some(TENANT_NOT_FOUND);
        e.correlation_id = body.correlation_id.clone();
        e.trace_id = body.trace_id.clone();
        return e;
    }
    if reply.status == StatusCode::NOT_FOUND {
        return Error::new(
            Kind::Usage,
            "no_discovery",
            format!(
                "{} has no OpenID discovery document at {}",
                reply.host(),
                authority.discovery_url()
            ),
        )
        .with_hint("--authority must be the issuer URL (the part before /.well-known/openid-configuration)");
    }
    match oauth {
        Some(body) if !reply.status.is_server_error() => {
            let summary = body
                .summary()
                .unwrap_or_else(|| body.error.as_str().to_owned());
            let mut e = Error::new(
                Kind::Usage,
                body.error.as_str(),
                format!("{} refused discovery: {summary}", reply.host()),
            )
            .with_hint("check --authority, --tenant and --cloud");
            e.oauth = Some(body.error);
            e.aadsts = body.error_codes.first().copied();
            e.correlation_id = body.correlation_id;
            e.trace_id = body.trace_id;
            e
        }
        _ => http::failed_reply(reply),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> Document {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn entra_documents_give_graph_and_the_tenant_id() {
        let authority = Authority::microsoft(super::super::Cloud::Global, "contoso.com");
        let e = endpoints_from(
            &authority,
            doc(r#"{"issuer":"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
                "token_endpoint":"https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token",
                "device_authorization_endpoint":"https://login.microsoftonline.com/contoso.com/oauth2/v2.0/devicecode",
                "userinfo_endpoint":"https://graph.microsoft.com/oidc/userinfo","msgraph_host":"graph.microsoft.com"}"#),
        )
        .unwrap();
        assert_eq!(
            e.tenant_id.as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        assert_eq!(e.graph.unwrap().as_str(), "https://graph.microsoft.com/");
    }

    #[test]
    fn microsoft_clouds_name_only_their_own_hosts() {
        let authority = Authority::microsoft(Cloud::Global, "contoso.com");
        let honest = r#""issuer":"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
            "token_endpoint":"https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token",
            "device_authorization_endpoint":"https://login.microsoftonline.com/contoso.com/oauth2/v2.0/devicecode",
            "userinfo_endpoint":"https://graph.microsoft.com/oidc/userinfo","msgraph_host":"graph.microsoft.com""#;
        assert!(endpoints_from(&authority, doc(&format!("{{{honest}}}"))).is_ok());
        for (field, lie) in [
            ("token_endpoint", "https://login.evil.example/t/token"),
            (
                "token_endpoint",
                "https://login.microsoftonline.com:8443/t/token",
            ),
            (
                "token_endpoint",
                "https://contoso.blob.core.windows.net/token",
            ),
            (
                "device_authorization_endpoint",
                "https://login.microsoftonline.us/t/devicecode",
            ),
            ("userinfo_endpoint", "https://evil.example/userinfo"),
            ("msgraph_host", "graph.evil.example"),
            ("msgraph_host", "graph.microsoft.us"),
        ] {
            let mut value: serde_json::Value =
                serde_json::from_str(&format!("{{{honest}}}")).unwrap();
            value[field] = serde_json::json!(lie);
            let e = endpoints_from(&authority, serde_json::from_value(value).unwrap()).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{field} {lie}");
            assert!(e.message.contains(field), "{}", e.message);
        }
    }

    #[test]
    fn msgraph_host_is_a_bare_host_name() {
        let https = Authority::custom(Url::parse("https://idp.example.com/realm").unwrap());
        let loopback = Authority::custom(Url::parse("http://127.0.0.1:9/t/v2.0").unwrap());
        let with = |authority: &Authority, host: &str| {
            endpoints_from(
                authority,
                doc(&serde_json::json!({"token_endpoint": format!("{}/token", authority.base), "msgraph_host": host}).to_string()),
            )
        };
        // Another issuer's document cannot make it Microsoft's: its msgraph_host is ignored.
        for named in [
            "graph.example.com",
            "graph.microsoft.com",
            "graph microsoft com",
        ] {
            assert_eq!(with(&https, named).unwrap().graph, None, "{named}");
        }
        let microsoft = Authority::microsoft(Cloud::Global, "contoso.com");
        let with_microsoft = |host: &str| {
            endpoints_from(
                &microsoft,
                doc(&serde_json::json!({"token_endpoint": "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token", "msgraph_host": host}).to_string()),
            )
        };
        assert_eq!(
            with(&loopback, "127.0.0.1:9")
                .unwrap()
                .graph
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/"
        );
        for bad in [
            "graph.microsoft.com@evil.example",
            "graph.microsoft.com/evil",
            "graph.microsoft.com?x=1",
            "graph.microsoft.com#x",
            "user:pass@graph.microsoft.com",
            "graph.microsoft.com:8443",
            "",
            "graph microsoft com",
        ] {
            assert_eq!(with_microsoft(bad).unwrap_err().exit_code(), 2, "{bad}");
            assert_eq!(with(&loopback, bad).unwrap_err().exit_code(), 2, "{bad}");
        }
        assert_eq!(
            with(&loopback, "graph.example.com")
                .unwrap_err()
                .exit_code(),
            2
        );
    }

    #[test]
    fn plain_http_endpoints_are_refused_unless_everything_is_loopback() {
        let https = Authority::custom(Url::parse("https://idp.example.com/realm").unwrap());
        let err = endpoints_from(
            &https,
            doc(r#"{"token_endpoint":"http://idp.example.com/token"}"#),
        )
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let err = endpoints_from(
            &https,
            doc(r#"{"token_endpoint":"http://127.0.0.1/token"}"#),
        )
        .unwrap_err();
        assert_eq!(
            err.exit_code(),
            2,
            "a https authority may not downgrade to http"
        );
        let loopback = Authority::custom(Url::parse("http://127.0.0.1:9/t/v2.0").unwrap());
        assert!(
            endpoints_from(
                &loopback,
                doc(r#"{"token_endpoint":"http://127.0.0.1:9/token"}"#)
            )
            .is_ok()
        );
        let err = endpoints_from(
            &loopback,
            doc(r#"{"token_endpoint":"http://evil.example/token"}"#),
        )
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
