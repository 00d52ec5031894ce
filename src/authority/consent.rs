//! The admin consent link a tenant's reviewer opens to approve the registration
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent>):
//! `{authority}/adminconsent?client_id=...&scope=https://{graph}/.default`.

use url::Url;

use super::Authority;
use super::discovery::Endpoints;

/// Where a reviewer approves without a link: Microsoft's admin center.
pub const ADMIN_CENTER_ROUTE: &str = "Entra admin center → Enterprise applications → Admin consent requests → the request → Review permissions and consent (or: Enterprise applications → the app → Permissions → Grant admin consent)";

/// Why the admin consent link is not given: Microsoft documents `redirect_uri` as required on
/// the v2 link, and it must be registered on the app; device-code registrations often have none.
pub const NO_LINK_REASON: &str = "Microsoft's admin consent link works only with a redirect URI registered on the app, and none was given (--redirect-uri, or redirect_uri in the invitation)";

/// True for Microsoft authorities (and the simulated tenant), which have admin consent; false
/// for other identity providers. The simulated tenant is recognised only as a loopback (http or https)
/// issuer whose document names `msgraph_host` (see `discovery`), so no other server's document
/// can earn an admin consent link or Microsoft's wording.
pub fn has_admin_consent(authority: &Authority, endpoints: Option<&Endpoints>) -> bool {
    graph_origin(authority, endpoints).is_some()
}

fn graph_origin(authority: &Authority, endpoints: Option<&Endpoints>) -> Option<String> {
    match (authority.cloud, endpoints.and_then(|e| e.graph.as_ref())) {
        (_, Some(graph)) => Some(graph.origin().ascii_serialization()),
        (Some(cloud), None) => Some(format!("https://{}", cloud.graph_host())),
        (None, None) => None,
    }
}

/// The v2 admin consent URL for Microsoft authorities (and the simulated tenant); `None` for
/// other identity providers, which have no such thing. `redirect_uri` must be one the
/// registration has: without it Entra shows an error instead of the consent page, so callers
/// give the link only with one and [`ADMIN_CENTER_ROUTE`] otherwise.
pub fn admin_consent_url(
    authority: &Authority,
    endpoints: Option<&Endpoints>,
    client_id: &str,
    redirect_uri: Option<&str>,
) -> Option<Url> {
    let graph_host = graph_origin(authority, endpoints)?;
    let mut url = authority.base.clone();
    let path = format!("{}/adminconsent", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("client_id", client_id);
        query.append_pair("scope", &format!("{graph_host}/.default"));
        if let Some(redirect) = redirect_uri {
            query.append_pair("redirect_uri", redirect);
        }
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::super::Cloud;
    use super::*;

    #[test]
    fn microsoft_links_name_the_tenant_and_the_graph_default_scope() {
        let a = Authority::microsoft(Cloud::Global, "contoso.onmicrosoft.com");
        let url =
            admin_consent_url(&a, None, "11111111-2222-3333-4444-555555555555", None).unwrap();
        assert_eq!(
            url.as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/adminconsent?client_id=11111111-2222-3333-4444-555555555555&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
        );
        let china = Authority::microsoft(Cloud::China, "contoso.cn");
        let url = admin_consent_url(&china, None, "x", Some("https://app.example/cb")).unwrap();
        assert!(
            url.as_str()
                .starts_with("https://login.chinacloudapi.cn/contoso.cn/v2.0/adminconsent?")
        );
        assert!(url.as_str().contains("microsoftgraph.chinacloudapi.cn"));
        assert!(
            url.as_str()
                .contains("redirect_uri=https%3A%2F%2Fapp.example%2Fcb")
        );
    }

    #[test]
    fn other_identity_providers_have_no_admin_consent_link() {
        let a = Authority::custom(Url::parse("https://idp.example/realm").unwrap());
        assert!(admin_consent_url(&a, None, "x", None).is_none());
    }
}
