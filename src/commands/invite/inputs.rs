//! What the wizard needs before sign-in, gathered from flags, an invitation URL and prompts,
//! in that order of precedence, each value checked before any request is sent.

use url::Url;

use crate::authority::{self, Authority, Cloud};
use crate::cli::InviteArgs;
use crate::error::{Error, Result};
use crate::flow;
use crate::ui::Prompter;

/// The invitation URL's query: `tenant`, `client_id`, `account`, `scope` (space separated),
/// `cloud` or `authority` (a Microsoft cloud's issuer only: see `authority::from_invitation`),
/// `profile`, `redirect_uri`, `flow`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Invitation {
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub account: Option<String>,
    pub scopes: Vec<String>,
    pub cloud: Option<String>,
    pub authority: Option<String>,
    pub profile: Option<String>,
    pub redirect_uri: Option<String>,
    /// `device` or `browser`.
    pub flow: Option<crate::cli::Flow>,
}

pub fn parse_invitation(text: &str) -> Result<Invitation> {
    let url = Url::parse(text.trim()).map_err(|e| {
        Error::usage(format!("the invitation is not a URL: {e}"))
            .with_hint("paste the whole invitation link, starting with https://")
    })?;
    let mut invitation = Invitation::default();
    for (key, value) in url.query_pairs() {
        let value = value.trim().to_string();
        if value.is_empty() {
            continue;
        }
        match key.as_ref() {
            "tenant" => invitation.tenant = Some(value),
            "client_id" => invitation.client_id = Some(value),
            "account" => invitation.account = Some(value),
            "scope" => invitation
                .scopes
                .extend(value.split_whitespace().map(String::from)),
            "cloud" => invitation.cloud = Some(value),
            "authority" => invitation.authority = Some(value),
            "profile" => invitation.profile = Some(value),
            "redirect_uri" => invitation.redirect_uri = Some(value),
            "flow" => {
                invitation.flow = Some(match value.as_str() {
                    "device" => crate::cli::Flow::Device,
                    "browser" => crate::cli::Flow::Browser,
                    _ => {
                        return Err(Error::usage(format!(
                            "the invitation names an unknown sign-in flow '{value}'"
                        ))
                        .with_hint("flows are device and browser; give --flow yourself"));
                    }
                })
            }
            // Links carry tracking parameters and the like: ignore what is not ours.
            _ => {}
        }
    }
    if invitation.cloud.is_some() && invitation.authority.is_some() {
        return Err(
            Error::usage("the invitation names both a cloud and an authority").with_hint(
                "ask the provider for a corrected link, or give --cloud or --authority yourself",
            ),
        );
    }
    Ok(invitation)
}

/// Everything the wizard needs, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inputs {
    pub authority: Authority,
    /// As the user typed it (lower-cased); `None` only with a custom authority.
    pub tenant: Option<String>,
    pub client_id: String,
    /// The expected account; `None` (non-interactive, no --account): whoever signs in.
    pub account: Option<String>,
    pub scopes: Vec<String>,
    pub profile: String,
    /// Registered on the app; makes the reviewer's admin consent link work.
    pub redirect_uri: Option<String>,
}

/// Values known before prompting: flags over the invitation.
pub struct Known {
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub account: Option<String>,
    pub scopes: Vec<String>,
    pub cloud: Option<Cloud>,
    pub authority: Option<String>,
    pub profile: Option<String>,
    pub redirect_uri: Option<String>,
}

impl Known {
    pub fn merge(
        args: &InviteArgs,
        profile_flag: Option<&str>,
        invitation: Invitation,
    ) -> Result<Known> {
        let invited_cloud = match invitation.cloud.as_deref() {
            Some(name) => Some(Cloud::from_name(name).ok_or_else(|| {
                Error::usage(format!("the invitation names an unknown cloud '{name}'"))
                    .with_hint("clouds are global, usgov and china; give --cloud yourself")
            })?),
            None => None,
        };
        // An invitation names a Microsoft cloud (and tenant) or nothing: any other issuer in
        // it is refused before anything is sent, whatever the flags say, since the link is
        // not what it claims to be.
        let (invited_cloud, invited_tenant) =
            match invitation.authority.as_deref() {
                None => (invited_cloud, invitation.tenant),
                Some(text) => {
                    let (cloud, tenant) = authority::from_invitation(text)?;
                    if let Some(named) = &invitation.tenant
                        && !named.eq_ignore_ascii_case(&tenant)
                    {
                        return Err(Error::usage(format!(
                        "the invitation names tenant '{}' and an authority for tenant '{tenant}'",
                        named.escape_default()
                    ))
                    .with_hint("ask the provider for a corrected link, or give --tenant yourself"));
                    }
                    (Some(cloud), Some(tenant))
                }
            };
        // A flag for where to sign in replaces the invitation's choice as a whole.
        let (cloud, authority) = if args.target.cloud.is_some() || args.target.authority.is_some() {
            (args.target.cloud, args.target.authority.clone())
        } else {
            (invited_cloud, None)
        };
        Ok(Known {
            tenant: args.target.tenant.clone().or(invited_tenant),
            client_id: args.target.client_id.clone().or(invitation.client_id),
            account: args.account.clone().or(invitation.account),
            scopes: if args.scopes.is_empty() {
                invitation.scopes
            } else {
                args.scopes.clone()
            },
            cloud,
            authority,
            profile: profile_flag.map(String::from).or(invitation.profile),
            redirect_uri: args.redirect_uri.clone().or(invitation.redirect_uri),
        })
    }

    /// Checks every value; a missing one is asked for, or (without a prompter) is a usage
    /// error naming its flag.
    pub fn resolve<'p>(self, mut prompter: Option<&mut (dyn Prompter + 'p)>) -> Result<Inputs> {
        let tenant = match (self.tenant, &self.authority) {
            (Some(t), _) => Some(ask_or_check(
                prompter.as_deref_mut(),
                "Tenant (GUID or domain)",
                Some(t),
                "--tenant",
                authority::parse_tenant,
            )?),
            // With a custom authority the tenant is optional: the issuer names it.
            (None, Some(_)) => None,
            (None, None) => Some(ask_or_check(
                prompter.as_deref_mut(),
                "Tenant (GUID or domain)",
                None,
                "--tenant",
                authority::parse_tenant,
            )?),
        };
        let authority =
            authority::from_flags(self.authority.as_deref(), tenant.as_deref(), self.cloud)?
                .ok_or_else(|| Error::usage("missing --tenant"))?;
        // GUIDs and UPNs are Microsoft's rules: another provider's issuer decides what is valid.
        let (parse_client_id, parse_account): (Parse, Parse) = match authority.cloud {
            Some(_) => (authority::parse_client_id, authority::parse_upn),
            None => (authority::parse_opaque_id, authority::parse_opaque_id),
        };
        let client_id = ask_or_check(
            prompter.as_deref_mut(),
            "Registration (application ID)",
            self.client_id,
            "--client-id",
            parse_client_id,
        )?;
        // Non-interactive, --account may be left out: the account that signs in is accepted.
        let account = match (self.account, prompter) {
            (None, None) => None,
            (given, prompter) => Some(ask_or_check(
                prompter,
                "Service account (UPN)",
                given,
                "--account",
                parse_account,
            )?),
        };
        let profile = match self.profile {
            Some(p) => p,
            None => match &tenant {
                Some(t) => t.clone(),
                None => crate::http::host_of(&authority.base),
            },
        };
        let redirect_uri = match self.redirect_uri {
            Some(uri) => Some(authority::parse_url(&uri, "--redirect-uri")?.to_string()),
            None => None,
        };
        Ok(Inputs {
            authority,
            tenant,
            client_id,
            account,
            scopes: flow::normalize_scopes(&authority::parse_scopes(&self.scopes)?),
            profile,
            redirect_uri,
        })
    }
}

type Parse = fn(&str) -> Result<String>;

impl Inputs {
    /// The expected account, or words for "whoever signs in".
    pub fn account_label(&self) -> &str {
        self.account.as_deref().unwrap_or("the service account")
    }
}

/// A given value is checked (and, with a prompter, offered for correction when wrong);
/// a missing one is asked for.
fn ask_or_check<'p>(
    prompter: Option<&mut (dyn Prompter + 'p)>,
    prompt: &str,
    given: Option<String>,
    flag: &str,
    parse: fn(&str) -> Result<String>,
) -> Result<String> {
    match (given, prompter) {
        (Some(value), None) => parse(&value),
        (Some(value), Some(prompter)) => match parse(&value) {
            Ok(v) => Ok(v),
            Err(e) => {
                let prompt = format!("{prompt} ({})", e.message);
                let answer = prompter.input(&prompt, Some(&value), &|s| check(parse, s))?;
                parse(&answer)
            }
        },
        (None, Some(prompter)) => {
            let answer = prompter.input(prompt, None, &|s| check(parse, s))?;
            parse(&answer)
        }
        (None, None) => Err(Error::usage(format!("missing {flag}")).with_hint(format!(
            "without a terminal every value must be given: add {flag}"
        ))),
    }
}

fn check(parse: fn(&str) -> Result<String>, text: &str) -> std::result::Result<(), String> {
    parse(text).map(drop).map_err(|e| match e.hint {
        Some(hint) => format!("{} ({hint})", e.message),
        None => e.message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_prefill_every_documented_key_and_ignore_others() {
        let inv = parse_invitation(
            "https://provider.example/onboard?tenant=contoso.com&client_id=11111111-2222-3333-4444-555555555555&account=svc%40contoso.com&scope=User.Read+Mail.Read&cloud=usgov&profile=acme&redirect_uri=https%3A%2F%2Fprovider.example%2Fconsented&utm_source=mail",
        )
        .unwrap();
        assert_eq!(
            inv.redirect_uri.as_deref(),
            Some("https://provider.example/consented")
        );
        assert_eq!(inv.tenant.as_deref(), Some("contoso.com"));
        assert_eq!(inv.account.as_deref(), Some("svc@contoso.com"));
        assert_eq!(inv.scopes, vec!["User.Read", "Mail.Read"]);
        assert_eq!(inv.cloud.as_deref(), Some("usgov"));
        assert_eq!(inv.profile.as_deref(), Some("acme"));
    }

    fn merged(link: &str, flags: &[&str]) -> Result<Known> {
        use clap::Parser;
        let cli =
            crate::cli::Cli::try_parse_from(["onboard", "invite"].iter().chain(flags).copied())
                .unwrap();
        let crate::cli::Command::Invite(args) = cli.command else {
            unreachable!()
        };
        Known::merge(&args, None, parse_invitation(link)?)
    }

    #[test]
    fn invitations_cannot_name_another_issuer_even_beside_a_flag() {
        for flags in [&[][..], &["--authority", "https://idp.example/realm"]] {
            let e = merged(
                "https://provider.example/onboard?authority=https://login.evil.example/contoso.com/v2.0&client_id=x",
                flags,
            )
            .err()
            .unwrap();
            assert_eq!(e.exit_code(), 2, "{flags:?}");
            assert!(e.message.contains("login.evil.example"), "{}", e.message);
            assert!(e.hint.unwrap().contains("--authority"));
        }
        let known = merged(
            "https://provider.example/onboard?authority=https://login.microsoftonline.us/contoso.com/v2.0",
            &[],
        )
        .unwrap();
        assert_eq!(
            (known.cloud, known.tenant.as_deref(), known.authority),
            (Some(Cloud::Usgov), Some("contoso.com"), None)
        );
        let e = merged(
            "https://provider.example/onboard?tenant=fabrikam.com&authority=https://login.microsoftonline.com/contoso.com/v2.0",
            &[],
        )
        .err()
        .unwrap();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn broken_invitations_are_usage_errors() {
        assert_eq!(parse_invitation("not a url").unwrap_err().exit_code(), 2);
        assert_eq!(
            parse_invitation("https://x.example/?cloud=global&authority=https://idp.example")
                .unwrap_err()
                .exit_code(),
            2
        );
    }

    fn known() -> Known {
        Known {
            tenant: Some("Contoso.com".into()),
            client_id: Some("11111111-2222-3333-4444-555555555555".into()),
            account: Some("svc@contoso.com".into()),
            scopes: vec![],
            cloud: None,
            authority: None,
            profile: None,
            redirect_uri: None,
        }
    }

    #[test]
    fn without_a_prompter_missing_values_name_their_flag() {
        let mut k = known();
        k.client_id = None;
        let e = k.resolve(None).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.message.contains("--client-id"), "{}", e.message);
        // --account may be left out: whoever signs in is accepted.
        let mut k = known();
        k.account = None;
        assert_eq!(k.resolve(None).unwrap().account, None);
        let mut k = known();
        k.client_id = Some("nope".into());
        assert_eq!(k.resolve(None).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn profile_defaults_to_the_tenant_or_the_authority_host() {
        let inputs = known().resolve(None).unwrap();
        assert_eq!(inputs.profile, "contoso.com");
        assert_eq!(
            inputs.authority.base.as_str(),
            "https://login.microsoftonline.com/contoso.com/v2.0"
        );
        assert!(inputs.scopes.contains(&"offline_access".to_string()));
        let mut k = known();
        k.tenant = None;
        k.authority = Some("https://idp.example/realms/acme".into());
        assert_eq!(k.resolve(None).unwrap().profile, "idp.example");
    }

    #[test]
    fn another_providers_client_id_and_account_need_not_be_a_guid_and_a_upn() {
        let mut k = known();
        k.client_id = Some("onboard-cli".into());
        k.account = Some("svc-bot".into());
        assert_eq!(
            k.resolve(None).unwrap_err().exit_code(),
            2,
            "Microsoft: a GUID"
        );
        let mut k = known();
        k.tenant = None;
        k.authority = Some("https://idp.example/realms/acme".into());
        k.client_id = Some("onboard-cli".into());
        k.account = Some("svc-bot".into());
        let inputs = k.resolve(None).unwrap();
        assert_eq!(
            (inputs.client_id.as_str(), inputs.account.as_deref()),
            ("onboard-cli", Some("svc-bot"))
        );
        for bad in ["two words", "svc\u{202e}gpj.exe", "svc\u{1b}[2J"] {
            let mut k = known();
            k.authority = Some("https://idp.example/realms/acme".into());
            k.client_id = Some(bad.into());
            assert_eq!(k.resolve(None).unwrap_err().exit_code(), 2, "{bad:?}");
        }
    }
}
