//! The admin consent link a tenant's reviewer opens to approve the registration
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent>):
//! `{authority}/adminconsent?client_id=...&scope=...`, the scopes the profile asks for.

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
/// give the link only with one and [`ADMIN_CENTER_ROUTE`] otherwise. `scopes` are those the
/// sign-in asks for (see [`consent_scope`]).
pub fn admin_consent_url(
    authority: &Authority,
    endpoints: Option<&Endpoints>,
    client_id: &str,
    scopes: &[String],
    redirect_uri: Option<&str>,
) -> Option<Url> {
    let graph = graph_origin(authority, endpoints)?;
    let mut url = authority.base.clone();
    let path = format!("{}/adminconsent", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("client_id", client_id);
        query.append_pair("scope", &consent_scope(&graph, scopes));
        if let Some(redirect) = redirect_uri {
            query.append_pair("redirect_uri", redirect);
        }
    }
    Some(url)
}

/// Sign-in scopes, which name no resource.
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The link's `scope`. Microsoft's page documents it as static (`/.default`: the permissions
/// the registration lists, and only those) or dynamic scopes, which may include `openid`,
/// `profile` and `email`; the reviewer is asked to approve the scopes named. So the link names
/// what the sign-in asks for: each Graph scope under Graph's resource URI
/// (`Mail.Read` → `https://graph.microsoft.com/Mail.Read`; a scope that names its resource stays
/// as it is) and those three sign-in scopes when asked for. `offline_access` is left out: the
/// page does not list it among the scopes the link may carry. With no resource scope, or a
/// `.default` one, the link asks for `{graph}/.default`.
pub fn consent_scope(graph: &str, scopes: &[String]) -> String {
    let graph = graph.trim_end_matches('/');
    let is_oidc = |s: &str| OIDC_SCOPES.iter().any(|o| o.eq_ignore_ascii_case(s));
    let resource: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !is_oidc(s))
        .collect();
    let named_default = resource
        .iter()
        .find(|s| s.eq_ignore_ascii_case(".default") || s.ends_with("/.default"));
    let mut words: Vec<String> = scopes
        .iter()
        .filter(|s| {
            ["openid", "profile", "email"]
                .iter()
                .any(|o| o.eq_ignore_ascii_case(s))
        })
        .map(|s| s.to_ascii_lowercase())
        .collect();
    match named_default {
        Some(default) if default.contains('/') => words.push((*default).to_owned()),
        Some(_) => words.push(format!("{graph}/.default")),
        None if resource.is_empty() => words.push(format!("{graph}/.default")),
        None => words.extend(resource.iter().map(|s| {
            if s.contains('/') {
                (*s).to_owned()
            } else {
                format!("{graph}/{s}")
            }
        })),
    }
    let mut unique: Vec<String> = Vec::new();
    for word in words {
        if !unique.iter().any(|u| u.eq_ignore_ascii_case(&word)) {
            unique.push(word);
        }
    }
    unique.join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::Cloud;
    use super::*;

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn microsoft_links_name_the_tenant_and_the_scopes_asked_for() {
        let a = Authority::microsoft(Cloud::Global, "contoso.onmicrosoft.com");
        let scopes = v(&[
            "openid",
            "profile",
            "offline_access",
            "User.Read",
            "Mail.Read",
        ]);
        let url = admin_consent_url(
            &a,
            None,
            "11111111-2222-3333-4444-555555555555",
            &scopes,
            None,
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/adminconsent?client_id=11111111-2222-3333-4444-555555555555&scope=openid+profile+https%3A%2F%2Fgraph.microsoft.com%2FUser.Read+https%3A%2F%2Fgraph.microsoft.com%2FMail.Read"
        );
        let china = Authority::microsoft(Cloud::China, "contoso.cn");
        let url = admin_consent_url(
            &china,
            None,
            "x",
            &v(&["Mail.Read"]),
            Some("https://app.example/cb"),
        )
        .unwrap();
        assert!(
            url.as_str()
                .starts_with("https://login.chinacloudapi.cn/contoso.cn/v2.0/adminconsent?")
        );
        assert!(
            url.as_str()
                .contains("scope=https%3A%2F%2Fmicrosoftgraph.chinacloudapi.cn%2FMail.Read&"),
            "{url}"
        );
        assert!(
            url.as_str()
                .contains("redirect_uri=https%3A%2F%2Fapp.example%2Fcb")
        );
    }

    #[test]
    fn the_consent_scope_qualifies_graph_scopes_and_falls_back_to_default() {
        let graph = "https://graph.microsoft.com";
        let scope = |list: &[&str]| consent_scope(graph, &v(list));
        assert_eq!(scope(&[]), "https://graph.microsoft.com/.default");
        assert_eq!(
            scope(&["openid", "offline_access"]),
            "openid https://graph.microsoft.com/.default"
        );
        assert_eq!(
            scope(&[
                "https://graph.microsoft.com/Mail.Read",
                "user.read",
                "Email"
            ]),
            "email https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/user.read"
        );
        assert_eq!(
            scope(&["https://graph.microsoft.com/.default", "offline_access"]),
            "https://graph.microsoft.com/.default"
        );
        assert_eq!(
            scope(&["User.Read", "User.Read"]),
            "https://graph.microsoft.com/User.Read"
        );
    }

    #[test]
    fn other_identity_providers_have_no_admin_consent_link() {
        let a = Authority::custom(Url::parse("https://idp.example/realm").unwrap());
        assert!(admin_consent_url(&a, None, "x", &[], None).is_none());
    }
}
