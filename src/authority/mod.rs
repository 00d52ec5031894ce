//! Where to sign in: the Microsoft clouds, any other OpenID issuer, and the checks on what the
//! user typed (tenant, client ID, account, URL) before any request is sent. Knows URLs, not
//! terminals.

mod consent;
mod discovery;

pub use crate::http::is_loopback;
pub use consent::{ADMIN_CENTER_ROUTE, NO_LINK_REASON, admin_consent_url, has_admin_consent};
pub use discovery::{DiscoveryCache, Endpoints, discover, discover_retrying};

use url::Url;

use crate::error::{Error, Result};

/// A Microsoft cloud and its hosts (<https://learn.microsoft.com/en-us/entra/identity-platform/authentication-national-cloud>,
/// <https://learn.microsoft.com/en-us/graph/deployments>).
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

    /// The sign-in host onboard builds the authority with (the first of [`Cloud::login_hosts`]).
    pub fn login_host(self) -> &'static str {
        self.login_hosts()[0]
    }

    /// Microsoft Graph's main host in the cloud (the first of [`Cloud::graph_hosts`]).
    pub fn graph_host(self) -> &'static str {
        self.graph_hosts()[0]
    }

    /// The hosts the cloud's discovery document may name for its token and device-code
    /// endpoints: its own sign-in hosts, nothing else.
    pub fn login_hosts(self) -> &'static [&'static str] {
        match self {
            Cloud::Global => &["login.microsoftonline.com", "login.microsoft.com"],
            Cloud::Usgov => &["login.microsoftonline.us"],
            Cloud::China => &["login.chinacloudapi.cn", "login.partner.microsoftonline.cn"],
        }
    }

    /// The Microsoft Graph hosts of the cloud (`msgraph_host`, and Entra's userinfo endpoint).
    pub fn graph_hosts(self) -> &'static [&'static str] {
        match self {
            Cloud::Global => &["graph.microsoft.com"],
            Cloud::Usgov => &["graph.microsoft.us", "dod-graph.microsoft.us"],
            Cloud::China => &["microsoftgraph.chinacloudapi.cn"],
        }
    }

    /// The hosts whose pages a device-code answer may send the user to. Entra names
    /// `https://microsoft.com/devicelogin`, and recorded answers `https://www.microsoft.com/link`;
    /// the sign-in hosts themselves serve the page too.
    pub fn verification_hosts(self) -> &'static [&'static str] {
        match self {
            Cloud::Global => &[
                "microsoft.com",
                "www.microsoft.com",
                "login.microsoftonline.com",
                "login.microsoft.com",
            ],
            Cloud::Usgov => &[
                "microsoft.com",
                "www.microsoft.com",
                "login.microsoftonline.us",
            ],
            Cloud::China => &[
                "microsoft.com",
                "www.microsoft.com",
                "login.chinacloudapi.cn",
                "login.partner.microsoftonline.cn",
            ],
        }
    }

    /// The cloud whose sign-in host `url` is on (https, default port), if any: an issuer URL
    /// there is that Microsoft cloud's, whoever typed it.
    pub fn of_login_url(url: &Url) -> Option<Cloud> {
        let host = url.host_str()?;
        if url.scheme() != "https" || url.port().is_some() {
            return None;
        }
        [Cloud::Global, Cloud::Usgov, Cloud::China]
            .into_iter()
            .find(|cloud| {
                cloud
                    .login_hosts()
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(host))
            })
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

    /// An issuer URL as given: a Microsoft cloud's when it is on that cloud's sign-in host
    /// ([`Cloud::of_login_url`]), any other issuer otherwise.
    pub fn from_url(base: Url) -> Authority {
        let cloud = Cloud::of_login_url(&base);
        Authority { base, cloud }
    }

    /// True for Microsoft's clouds: named as one, or on one of their sign-in hosts over https.
    /// The simulated tenant is not one; where it plays Microsoft's part (Graph, admin consent)
    /// is decided by [`has_admin_consent`].
    pub fn is_microsoft(&self) -> bool {
        self.cloud.is_some() || Cloud::of_login_url(&self.base).is_some()
    }

    /// An authority read back from a saved profile or an exported credential, checked as the
    /// command line's would be: https (http only on loopback), and for a Microsoft cloud its
    /// own sign-in host over https.
    pub fn from_saved(base: &str, cloud: Option<&str>) -> Result<Authority> {
        let again = "run `onboard invite` again for this profile (or export it again)";
        let url = parse_url(base, "the saved authority").map_err(|e| e.with_hint(again))?;
        let cloud = match cloud {
            // Saved from `--authority`: Microsoft's if it is on a Microsoft sign-in host.
            None => Cloud::of_login_url(&url),
            Some(name) => Some(Cloud::from_name(name).ok_or_else(|| {
                Error::usage(format!(
                    "the saved cloud '{}' is not one onboard knows",
                    name.escape_default()
                ))
                .with_hint(again)
            })?),
        };
        if let Some(cloud) = cloud
            && !(url.scheme() == "https"
                && url.port().is_none()
                && url
                    .host_str()
                    .is_some_and(|h| cloud.login_hosts().contains(&h)))
        {
            return Err(Error::usage(format!(
                "the saved authority is on {}, which is not a sign-in host of the Microsoft {} cloud",
                crate::http::host_of(&url),
                cloud.name()
            ))
            .with_hint(again));
        }
        Ok(Authority { base: url, cloud })
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
    /// one of the cloud's own sign-in page hosts for a Microsoft authority (exact names: a
    /// domain suffix such as `chinacloudapi.cn` also covers customers' storage hosts), and on
    /// the authority's own host otherwise.
    pub fn trusts_verification_page(&self, uri: &Url) -> bool {
        let Some(host) = uri.host_str() else {
            return false;
        };
        match self.cloud {
            Some(cloud) => {
                uri.scheme() == "https"
                    && uri.port().is_none()
                    && cloud
                        .verification_hosts()
                        .iter()
                        .any(|h| h.eq_ignore_ascii_case(host))
            }
            None => self.base.origin() == uri.origin(),
        }
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
            "{what} must be an https:// URL, not {}",
            crate::http::redact_query(url)
        ))),
    }
}

/// Where an invitation link says to sign in: only one of Microsoft's clouds, as the cloud and
/// the tenant its issuer URL names (`https://login.microsoftonline.com/{tenant}/v2.0`). Any
/// other issuer is refused: a forged link must not move the sign-in (and the reviewer's
/// consent link) to another server. Only `--authority` on the command line names one.
pub fn from_invitation(text: &str) -> Result<(Cloud, String)> {
    let only_flag = "an invitation can only name one of Microsoft's clouds; if the provider really uses another identity provider, give its issuer yourself with --authority URL";
    let url = parse_url(text, "the invitation's authority").map_err(|e| e.with_hint(only_flag))?;
    let Some(cloud) = Cloud::of_login_url(&url) else {
        return Err(Error::usage(format!(
            "the invitation names the sign-in server {}, which is not one of Microsoft's clouds: an invitation cannot move the sign-in to another server",
            crate::http::host_of(&url)
        ))
        .with_hint(only_flag));
    };
    let tenant = url
        .path_segments()
        .and_then(|mut s| s.next())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::usage("the invitation's authority names no tenant")
                .with_hint("ask the provider for a corrected link, or give --tenant yourself")
        })?;
    Ok((cloud, parse_tenant(tenant)?))
}

/// Where to sign in, as the flags name it: `--authority` (any OpenID Connect issuer) wins,
/// else `--tenant` in `--cloud` (global when not given). `None` when neither names one.
pub fn from_flags(
    authority: Option<&str>,
    tenant: Option<&str>,
    cloud: Option<Cloud>,
) -> Result<Option<Authority>> {
    if let Some(url) = authority {
        let url = parse_url(url, "--authority")?;
        refuse_multi_tenant(&url)?;
        return Ok(Some(Authority::from_url(url)));
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

/// An Entra-shaped authority (`https://login.microsoftonline.com/organizations/v2.0`, or the
/// simulated tenant's `…/organizations/v2.0`) whose tenant is `common`, `consumers` or
/// `organizations`: its discovery names no tenant, so the check that the sign-in was for the
/// customer's tenant could not run. Refused as `--tenant` refuses them.
fn refuse_multi_tenant(url: &Url) -> Result<()> {
    let mut segments = url
        .path_segments()
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty());
    let (Some(first), rest) = (segments.next(), segments.collect::<Vec<_>>()) else {
        return Ok(());
    };
    let entra_shaped = Cloud::of_login_url(url).is_some() || rest == ["v2.0"];
    if entra_shaped
        && ["common", "consumers", "organizations"]
            .iter()
            .any(|t| first.eq_ignore_ascii_case(t))
    {
        let error = match parse_tenant(first) {
            Err(error) => error,
            Ok(_) => Error::usage(format!("'{first}' is not a customer tenant")),
        };
        return Err(error.with_hint(format!(
            "onboarding connects one customer's tenant, and with `{first}` nothing checks that the sign-in was for it: put the tenant's GUID or domain in its place, e.g. --authority {}",
            url.as_str().replacen(first, "contoso.onmicrosoft.com", 1)
        )));
    }
    Ok(())
}

/// A tenant as Entra names it: a GUID or a verified domain. `common`, `consumers` and
/// `organizations` are valid at Entra, but onboarding connects one customer's tenant: `common`
/// signs in any account, `consumers` only personal accounts (no customer tenant), and
/// `organizations` any organisation's; onboard refuses them for that reason.
pub fn parse_tenant(text: &str) -> Result<String> {
    let tenant = text.trim();
    let lower = tenant.to_ascii_lowercase();
    if lower == "common" {
        return Err(Error::usage(format!(
            "'{tenant}' is not a customer tenant: it lets any work, school or personal account sign in"
        ))
        .with_hint("onboarding connects one customer's tenant: give its tenant GUID or domain, e.g. --tenant contoso.onmicrosoft.com"));
    }
    if lower == "consumers" {
        return Err(Error::usage(format!(
            "'{tenant}' is not a customer tenant: it is for personal Microsoft accounts, which belong to no organisation"
        ))
        .with_hint("onboarding connects one customer's tenant: give its tenant GUID or domain, e.g. --tenant contoso.onmicrosoft.com"));
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
/// non-empty, on one line, without spaces and without bidirectional controls (which would make
/// it read differently on screen). GUIDs and UPNs are Microsoft's rules.
pub fn parse_opaque_id(text: &str) -> Result<String> {
    let id = text.trim();
    if !id.is_empty()
        && !id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || crate::text::is_bidi_control(c))
    {
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
                && local.chars().all(is_upn_char)
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

/// A UPN's local part: letters and digits (of any script) and RFC 5322's other atext
/// characters and the dot. Never a control character, a space or a bidirectional override,
/// which would let a name read differently on screen than it is.
fn is_upn_char(c: char) -> bool {
    c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

/// Scopes as given (each entry may hold several, space separated), split into scope tokens.
/// RFC 6749 §3.3 allows printable ASCII except space, `"` and `\\` in a scope token.
pub fn parse_scopes(given: &[String]) -> Result<Vec<String>> {
    let mut scopes = Vec::new();
    for token in given
        .iter()
        .flat_map(|s| s.split(' '))
        .filter(|t| !t.is_empty())
    {
        let valid = token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !valid {
            return Err(Error::usage(format!(
                "'{}' is not a scope",
                token.escape_default()
            ))
            .with_hint("a scope is printable ASCII without spaces, quotes or backslashes, e.g. User.Read or https://graph.microsoft.com/Mail.Read"));
        }
        scopes.push(token.to_string());
    }
    Ok(scopes)
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
            // The reserved tenants are valid at Entra: onboard refuses them for its own
            // reason, not for an AADSTS code.
            if ["common", "consumers", "organizations"].contains(&bad) {
                assert!(!hint.contains("AADSTS"), "{bad}: {hint}");
                assert!(hint.contains("one customer's tenant"), "{bad}: {hint}");
                assert!(
                    e.message.contains("not a customer tenant: "),
                    "{bad}: {}",
                    e.message
                );
            }
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
            "svc\u{1b}[2J@contoso.com",
            "svc\u{9b}@contoso.com",
            "svc\u{202e}moc@contoso.com",
            "svc\t@contoso.com",
        ] {
            assert_eq!(parse_upn(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
        assert!(parse_upn("o'brien.j-2@contoso.com").is_ok());
        assert!(parse_upn("jürgen@contoso.com").is_ok());
    }

    #[test]
    fn scopes_are_rfc_6749_scope_tokens() {
        let given = vec![
            "User.Read  Mail.Read".to_string(),
            "https://graph.microsoft.com/.default".into(),
        ];
        assert_eq!(
            parse_scopes(&given).unwrap(),
            [
                "User.Read",
                "Mail.Read",
                "https://graph.microsoft.com/.default"
            ]
        );
        for bad in ["User.Read\u{1b}[2J", "a\"b", "a\\b", "Mail.Réad", "x\ty"] {
            let e = parse_scopes(&[bad.to_string()]).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(!e.message.contains('\u{1b}'), "{}", e.message);
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
            "https://login.microsoftonline.com/common/oauth2/deviceauth",
            "https://login.microsoft.com/device",
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
            // Exact hosts, not domain suffixes: anyone can own a host under these.
            "https://devicelogin.microsoft.com/",
            "https://contoso.blob.core.windows.net/microsoft.com",
            "https://login.microsoftonline.us/x",
            // Not https, or another port on the right host.
            "http://microsoft.com/devicelogin",
            "https://microsoft.com:8443/devicelogin",
        ] {
            assert!(
                !microsoft.trusts_verification_page(&Url::parse(bad).unwrap()),
                "{bad}"
            );
        }
        let china = Authority::microsoft(Cloud::China, "contoso.cn");
        assert!(china.trusts_verification_page(
            &Url::parse("https://login.chinacloudapi.cn/common/oauth2/deviceauth").unwrap()
        ));
        assert!(!china.trusts_verification_page(
            &Url::parse("https://evil.blob.core.chinacloudapi.cn/devicelogin").unwrap()
        ));
        let custom = Authority::custom(Url::parse("https://idp.example/realm").unwrap());
        assert!(
            custom.trusts_verification_page(&Url::parse("https://idp.example/device").unwrap())
        );
        assert!(
            !custom
                .trusts_verification_page(&Url::parse("https://idp.example:8443/device").unwrap())
        );
        assert!(
            !custom.trusts_verification_page(&Url::parse("https://other.example/device").unwrap())
        );
    }

    #[test]
    fn saved_authorities_follow_the_command_line_rules() {
        let global = Authority::from_saved(
            "https://login.microsoftonline.com/contoso.com/v2.0",
            Some("global"),
        )
        .unwrap();
        assert_eq!(global, Authority::microsoft(Cloud::Global, "contoso.com"));
        assert!(Authority::from_saved("http://127.0.0.1:9/t/v2.0", None).is_ok());
        for (base, cloud) in [
            ("http://idp.example/realm", None),
            ("ftp://idp.example/realm", None),
            ("not a url", None),
            ("http://127.0.0.1:9/t/v2.0", Some("global")),
            ("https://login.microsoftonline.us/t/v2.0", Some("global")),
            (
                "https://login.microsoftonline.com.evil.example/t/v2.0",
                Some("global"),
            ),
            ("https://login.microsoftonline.com/t/v2.0", Some("mars")),
        ] {
            let e = Authority::from_saved(base, cloud).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{base} {cloud:?}");
            assert!(e.hint.is_some());
        }
    }

    #[test]
    fn an_issuer_on_a_microsoft_sign_in_host_is_that_cloud() {
        let url = |s: &str| Url::parse(s).unwrap();
        for (text, cloud) in [
            (
                "https://login.microsoftonline.com/contoso.com/v2.0",
                Some(Cloud::Global),
            ),
            ("https://LOGIN.microsoft.com/x/v2.0", Some(Cloud::Global)),
            (
                "https://login.microsoftonline.us/x/v2.0",
                Some(Cloud::Usgov),
            ),
            ("https://login.chinacloudapi.cn/x/v2.0", Some(Cloud::China)),
            ("https://login.microsoftonline.com:8443/x/v2.0", None),
            (
                "https://login.microsoftonline.com.evil.example/x/v2.0",
                None,
            ),
            ("http://127.0.0.1:9/x/v2.0", None),
        ] {
            assert_eq!(Cloud::of_login_url(&url(text)), cloud, "{text}");
            assert_eq!(
                Authority::from_url(url(text)).is_microsoft(),
                cloud.is_some()
            );
        }
        let typed = from_flags(
            Some("https://login.microsoftonline.us/contoso.us/v2.0"),
            None,
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(typed.cloud, Some(Cloud::Usgov));
        let saved =
            Authority::from_saved("https://login.microsoftonline.com/c.com/v2.0", None).unwrap();
        assert_eq!(saved.cloud, Some(Cloud::Global));
    }

    #[test]
    fn invitations_name_only_microsoft_clouds() {
        assert_eq!(
            from_invitation("https://login.microsoftonline.us/Contoso.com/v2.0").unwrap(),
            (Cloud::Usgov, "contoso.com".to_string())
        );
        for bad in [
            "https://idp.example/realms/acme",
            "http://127.0.0.1:9/t/v2.0",
            "https://login.microsoftonline.com.evil.example/contoso.com/v2.0",
            "https://login.microsoftonline.com:444/contoso.com/v2.0",
            "https://login.microsoftonline.com/",
            "https://login.microsoftonline.com/common/v2.0",
            "javascript:alert(1)",
        ] {
            let e = from_invitation(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(e.hint.is_some(), "{bad}");
        }
        let e = from_invitation("https://idp.example/realms/acme").unwrap_err();
        assert!(e.hint.unwrap().contains("--authority"));
    }

    #[test]
    fn a_multi_tenant_authority_is_refused_like_the_tenant() {
        for bad in [
            "https://login.microsoftonline.com/organizations/v2.0",
            "https://login.microsoftonline.com/Common/v2.0",
            "https://login.microsoftonline.com/consumers",
            "http://127.0.0.1:9/organizations/v2.0",
        ] {
            let e = from_flags(Some(bad), None, None).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(
                e.hint
                    .as_deref()
                    .is_some_and(|h| h.contains("contoso.onmicrosoft.com")),
                "{bad}"
            );
        }
        for good in [
            "https://login.microsoftonline.com/contoso.com/v2.0",
            "https://idp.example/realms/organizations",
            "http://127.0.0.1:9/common-tenant/v2.0",
        ] {
            assert!(from_flags(Some(good), None, None).is_ok(), "{good}");
        }
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
