//! Where to sign in: the Microsoft clouds, any other OpenID issuer, and the checks on what the
//! user typed (tenant, client ID, account, URL) before any request is sent. Knows URLs, not
//! terminals.

mod consent;
mod discovery;

pub use consent::{ADMIN_CENTER_ROUTE, NO_LINK_REASON, admin_consent_url, has_admin_consent};
pub use discovery::{DiscoveryCache, Endpoints, discover};

use std::net::IpAddr;

use url::Url;

use crate::error::{Error, Result};

/// A Microsoft cloud and its hosts (entra-facts.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Cloud {
    Global,
    Usgov,
    China,
}

impl Cloud {
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::Usgov => "usgov",
            Cloud::China => "china",
        }
    }

    pub fn login_host(self) -> &'static str {
        match self {
            Cloud::Global => "login.microsoftonline.com",
            Cloud::Usgov => "login.microsoftonline.us",
            Cloud::China => "login.chinacloudapi.cn",
        }
    }

    pub fn graph_host(self) -> &'static str {
        match self {
            Cloud::Global => "graph.microsoft.com",
            Cloud::Usgov => "graph.microsoft.us",
            Cloud::China => "microsoftgraph.chinacloudapi.cn",
        }
    }

    pub fn from_name(name: &str) -> Option<Cloud> {
        match name.to_ascii_lowercase().as_str() {
            "global" => Some(Cloud::Global),
            "usgov" => Some(Cloud::Usgov),
            "china" => Some(Cloud::China),
            _ => None,
        }
    }
}

/// The issuer to sign in with: `{base}/.well-known/openid-configuration` is its discovery
/// document. For a Microsoft cloud the base is `https://{login host}/{tenant}/v2.0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authority {
    pub base: Url,
    pub cloud: Option<Cloud>,
}

impl Authority {
    pub fn microsoft(cloud: Cloud, tenant: &str) -> Authority {
        let base = format!("https://{}/{}/v2.0", cloud.login_host(), tenant);
        Authority {
            // Both parts were validated (a fixed host, a checked tenant), so this cannot fail.
            base: Url::parse(&base).unwrap_or_else(|_| unreachable!("validated authority {base}")),
            cloud: Some(cloud),
        }
    }

    pub fn custom(base: Url) -> Authority {
        Authority { base, cloud: None }
    }

    pub fn discovery_url(&self) -> Url {
        let mut url = self.base.clone();
        let path = format!(
            "{}/.well-known/openid-configuration",
            url.path().trim_end_matches('/')
        );
        url.set_path(&path);
        url.set_query(None);
        url
    }

    /// What a technician reads: the cloud's name, or the issuer's host.
    pub fn describe(&self) -> String {
        match self.cloud {
            Some(cloud) => format!("Microsoft {} cloud ({})", cloud.name(), cloud.login_host()),
            None => crate::http::host_of(&self.base),
        }
    }

    pub fn is_loopback_http(&self) -> bool {
        self.base.scheme() == "http" && is_loopback(&self.base)
    }

    /// The device-code phishing guard: the sign-in page a device-code answer names must be on
    /// Microsoft's hosts for a Microsoft authority, and on the authority's own host otherwise.
    pub fn trusts_verification_page(&self, uri: &Url) -> bool {
        let Some(host) = uri.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        if self.cloud.is_some() {
            const MICROSOFT: [&str; 6] = [
                "microsoft.com",
                "microsoftonline.com",
                "microsoftonline.us",
                "microsoft.us",
                "chinacloudapi.cn",
                "microsoftonline.cn",
            ];
            return MICROSOFT
                .iter()
                .any(|d| host == *d || host.ends_with(&format!(".{d}")));
        }
        self.base
            .host_str()
            .is_some_and(|h| h.eq_ignore_ascii_case(&host))
    }
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Checks an authority or endpoint URL: `https://`, or `http://` on a loopback host only.
pub fn parse_url(text: &str, what: &str) -> Result<Url> {
    let url = Url::parse(text.trim()).map_err(|e| {
        Error::usage(format!("{what} is not a valid URL: {e}"))
            .with_hint("give a full URL such as https://login.example.com/realm")
    })?;
    check_scheme(&url, what)?;
    Ok(url)
}

fn check_scheme(url: &Url, what: &str) -> Result<()> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(Error::usage(format!(
            "{what} must use https:// ({} is not a loopback host)",
            crate::http::host_of(url)
        ))
        .with_hint("plain http:// is accepted only for 127.0.0.1, ::1 and localhost")),
        _ => Err(Error::usage(format!(
            "{what} must be an https:// URL, not {url}"
        ))),
    }
}

/// Where to sign in, as the flags name it: `--authority` (any OpenID Connect issuer) wins,
/// else `--tenant` in `--cloud` (global when not given). `None` when neither names one.
pub fn from_flags(
    authority: Option<&str>,
    tenant: Option<&str>,
    cloud: Option<Cloud>,
) -> Result<Option<Authority>> {
    if let Some(url) = authority {
        return Ok(Some(Authority::custom(parse_url(url, "--authority")?)));
    }
    tenant
        .map(|t| {
            Ok(Authority::microsoft(
                cloud.unwrap_or(Cloud::Global),
                &parse_tenant(t)?,
            ))
        })
        .transpose()
}

/// A tenant as Entra names it: a GUID or a verified domain. `common` and `consumers` are
/// refused as Entra refuses device code there (AADSTS90133); `organizations` is allowed by
/// Entra but signs in whichever work account comes, so onboard refuses it too, for its own
/// reason.
pub fn parse_tenant(text: &str) -> Result<String> {
    let tenant = text.trim();
    let lower = tenant.to_ascii_lowercase();
    if ["common", "consumers"].contains(&lower.as_str()) {
        return Err(Error::usage(format!(
            "'{tenant}' is not a customer tenant"
        ))
        .with_hint("give the customer's tenant GUID or domain, e.g. --tenant contoso.onmicrosoft.com (device code is refused on /common and /consumers, AADSTS90133)"));
    }
    if lower == "organizations" {
        return Err(Error::usage(format!(
            "'{tenant}' is not a customer tenant: it lets any organisation's account sign in"
        ))
        .with_hint("onboarding connects one customer's tenant: give its tenant GUID or domain, e.g. --tenant contoso.onmicrosoft.com"));
    }
    if is_guid(tenant) {
        return Ok(lower);
    }
    if is_domain(&lower) {
        return Ok(lower);
    }
    Err(Error::usage(format!(
        "'{tenant}' is neither a tenant GUID nor a domain"
    ))
    .with_hint("give the tenant ID (a GUID from Entra admin center → Overview) or a verified domain such as contoso.onmicrosoft.com"))
}

/// An application (client) ID.
pub fn parse_client_id(text: &str) -> Result<String> {
    let id = text.trim();
    if is_guid(id) {
        return Ok(id.to_ascii_lowercase());
    }
    Err(Error::usage(format!("'{id}' is not an application (client) ID"))
        .with_hint("copy the Application (client) ID, a GUID, from Entra admin center → App registrations → the provider's registration → Overview"))
}

/// Any OpenID provider's client ID or account name: whatever the issuer knows, so only
/// non-empty, on one line and without spaces. GUIDs and UPNs are Microsoft's rules.
pub fn parse_opaque_id(text: &str) -> Result<String> {
    let id = text.trim();
    if !id.is_empty() && !id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Ok(id.to_string());
    }
    Err(
        Error::usage(format!("'{id}' is not a client ID or account name"))
            .with_hint("give the value the identity provider shows, without spaces"),
    )
}

/// A user principal name such as `svc@contoso.com`.
pub fn parse_upn(text: &str) -> Result<String> {
    let upn = text.trim();
    let valid = match upn.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !local.chars().any(|c| c.is_whitespace() || c == '@')
                && is_domain(&domain.to_ascii_lowercase())
        }
        None => false,
    };
    if valid {
        Ok(upn.to_string())
    } else {
        Err(
            Error::usage(format!("'{upn}' is not an account name (UPN)"))
                .with_hint("give the service account's sign-in name, e.g. svc-onboard@contoso.com"),
        )
    }
}

pub fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_domain(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    text.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_are_guids_or_domains() {
        assert_eq!(
            parse_tenant("Contoso.OnMicrosoft.com").unwrap(),
            "contoso.onmicrosoft.com"
        );
        assert!(parse_tenant("72f988bf-86f1-41af-91ab-2d7cd011db47").is_ok());
        for bad in [
            "common",
            "consumers",
            "organizations",
            "contoso",
            "contoso..com",
            "-a.com",
            "a b.com",
            "72f988bf-86f1-41af-91ab",
            "",
            "1.2.3.4",
        ] {
            let e = parse_tenant(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            let hint = e.hint.clone().unwrap_or_default();
            assert_eq!(
                hint.contains("AADSTS90133"),
                bad == "common" || bad == "consumers",
                "{bad}: {hint}"
            );
            assert!(e.hint.is_some(), "{bad}");
        }
    }

    #[test]
    fn client_ids_must_be_guids() {
        assert!(parse_client_id("04b07795-8ddb-461a-bbee-02f9e1bf7b46").is_ok());
        assert_eq!(parse_client_id("my-app").unwrap_err().exit_code(), 2);
    }

    #[test]
    fn upns_need_a_local_part_and_a_domain() {
        assert!(parse_upn("svc@contoso.com").is_ok());
        for bad in [
            "svc",
            "@contoso.com",
            "svc@",
            "s vc@contoso.com",
            "svc@contoso",
        ] {
            assert_eq!(parse_upn(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(parse_url("http://127.0.0.1:8080/t/v2.0", "--authority").is_ok());
        assert!(parse_url("http://localhost/t", "--authority").is_ok());
        assert!(parse_url("http://[::1]:9/t", "--authority").is_ok());
        assert!(parse_url("https://idp.example.com/realm", "--authority").is_ok());
        for bad in [
            "http://idp.example.com/realm",
            "http://10.0.0.1/",
            "ftp://x/",
            "not a url",
        ] {
            assert_eq!(
                parse_url(bad, "--authority").unwrap_err().exit_code(),
                2,
                "{bad}"
            );
        }
    }

    #[test]
    fn microsoft_authorities_follow_the_cloud() {
        let a = Authority::microsoft(Cloud::Usgov, "contoso.com");
        assert_eq!(
            a.discovery_url().as_str(),
            "https://login.microsoftonline.us/contoso.com/v2.0/.well-known/openid-configuration"
        );
        let custom = Authority::custom(Url::parse("https://idp.example.com/realms/x/").unwrap());
        assert_eq!(
            custom.discovery_url().as_str(),
            "https://idp.example.com/realms/x/.well-known/openid-configuration"
        );
    }

    #[test]
    fn verification_pages_must_be_on_the_expected_host() {
        let microsoft = Authority::microsoft(Cloud::Global, "contoso.com");
        for ok in [
            "https://microsoft.com/devicelogin",
            "https://www.microsoft.com/link",
            "https://login.microsoftonline.us/x",
        ] {
            assert!(
                microsoft.trusts_verification_page(&Url::parse(ok).unwrap()),
                "{ok}"
            );
        }
        for bad in [
            "https://microsoft.com.evil.example/devicelogin",
            "https://evilmicrosoft.com/",
            "https://login.example/",
        ] {
            assert!(
                !microsoft.trusts_verification_page(&Url::parse(bad).unwrap()),
                "{bad}"
            );
        }
        let custom = Authority::custom(Url::parse("https://idp.example/realm").unwrap());
        assert!(
            custom.trusts_verification_page(&Url::parse("https://idp.example/device").unwrap())
        );
        assert!(
            !custom.trusts_verification_page(&Url::parse("https://other.example/device").unwrap())
        );
    }

    #[test]
    fn flags_name_an_authority_the_custom_one_first() {
        let custom = from_flags(Some("https://idp.example/realm"), Some("contoso.com"), None)
            .unwrap()
            .unwrap();
        assert_eq!(
            (custom.base.as_str(), custom.cloud),
            ("https://idp.example/realm", None)
        );
        let usgov = from_flags(None, Some("Contoso.com"), Some(Cloud::Usgov))
            .unwrap()
            .unwrap();
        assert_eq!(usgov, Authority::microsoft(Cloud::Usgov, "contoso.com"));
        let global = from_flags(None, Some("contoso.com"), None)
            .unwrap()
            .unwrap();
        assert_eq!(global.cloud, Some(Cloud::Global));
        assert!(
            from_flags(None, None, Some(Cloud::China))
                .unwrap()
                .is_none()
        );
        assert_eq!(
            from_flags(None, Some("common"), None)
                .unwrap_err()
                .exit_code(),
            2
        );
        assert_eq!(
            from_flags(Some("ftp://x"), None, None)
                .unwrap_err()
                .exit_code(),
            2
        );
    }
}
