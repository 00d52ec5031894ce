//! `onboard validate`: redeem the saved refresh token, save the rotated one, and prove the new
//! access token works. The wizard's last step runs the same `check`.

use reqwest::Client;
use serde_json::{Value, json};
use url::Url;

use crate::authority::{self, Authority, Cloud};
use crate::cli::ValidateArgs;
use crate::deps::Deps;
use crate::error::{Error, Kind, Result};
use crate::flow::{self, RetryPolicy};
use crate::profiles::{Profile, Profiles, Validation, not_onboarded};
use crate::store::TimedStore;

/// One profile's validation, as the contract's JSON shows it.
#[derive(Debug)]
pub struct Checked {
    pub profile: String,
    pub tenant_id: Option<String>,
    pub tenant_name: Option<String>,
    pub account: Option<String>,
    pub scopes: Vec<String>,
    pub access_token_expires_at: Option<jiff::Timestamp>,
    pub checked_at: jiff::Timestamp,
    /// What proved the token: "Microsoft Graph /me" or "userinfo".
    pub checked_with: &'static str,
    pub error: Option<Error>,
}

impl Checked {
    pub fn valid(&self) -> bool {
        self.error.is_none()
    }

    pub fn to_json(&self) -> Value {
        json!({
            "profile": self.profile,
            "valid": self.valid(),
            "tenant_id": self.tenant_id,
            "account": self.account,
            "scopes": self.scopes,
            "access_token_expires_at": self.access_token_expires_at.map(|t| t.to_string()),
            "checked_at": self.checked_at.to_string(),
            "error": self.error.as_ref().map(Error::to_json),
        })
    }
}

/// The authority a profile was saved with.
pub fn authority_of(profile: &Profile) -> Result<Authority> {
    let base = Url::parse(&profile.authority).map_err(|_| {
        Error::usage(format!(
            "the saved authority '{}' is not a URL",
            profile.authority
        ))
        .with_hint("run `onboard invite` again for this profile")
    })?;
    Ok(Authority {
        base,
        cloud: profile.cloud.as_deref().and_then(Cloud::from_name),
    })
}

/// Redeems, saves the rotated token, proves the access token, checks scopes, and records the
/// outcome in `profiles.json` when `profiles` is given. Never fails: the outcome is in `error`.
pub async fn check(
    http: &Client,
    store: &TimedStore,
    profiles: Option<&Profiles>,
    name: &str,
    profile: &Profile,
    require_scopes: &[String],
) -> Checked {
    let mut checked = Checked {
        profile: name.to_string(),
        tenant_id: profile.tenant_id.clone(),
        tenant_name: None,
        account: profile.account.clone(),
        scopes: profile.scopes.clone(),
        access_token_expires_at: None,
        checked_at: jiff::Timestamp::now(),
        checked_with: "",
        error: None,
    };
    if let Err(error) = prove(http, store, name, profile, require_scopes, &mut checked).await {
        checked.error = Some(error);
    }
    checked.checked_at = jiff::Timestamp::now();
    if let Some(profiles) = profiles {
        record(profiles, name, &checked);
    }
    checked
}

async fn prove(
    http: &Client,
    store: &TimedStore,
    name: &str,
    profile: &Profile,
    require_scopes: &[String],
    checked: &mut Checked,
) -> Result<()> {
    let refresh_token = store.load(name).await?.ok_or_else(|| {
        Error::new(
            Kind::NotOnboarded,
            "not_onboarded",
            format!(
                "no saved credential for profile '{name}' in the {}",
                crate::commands::invite::store_words(store.kind())
            ),
        )
        .with_hint(format!("onboard it with `onboard invite --profile {name}`"))
    })?;
    let authority = authority_of(profile)?;
    let endpoints = authority::discover(http, &authority).await?;
    let policy = RetryPolicy::default();
    let tokens = flow::refresh(
        http,
        &endpoints,
        &profile.client_id,
        &refresh_token,
        &[],
        policy,
    )
    .await?;
    if let Some(rotated) = &tokens.refresh_token
        && rotated != &refresh_token
    {
        // Saved before anything else can fail: servers that refuse reused refresh tokens
        // would otherwise lock the profile out.
        let _guard = crate::interrupt::Critical::enter();
        store.save(name, rotated).await?;
    }
    checked.access_token_expires_at = Some(tokens.expires_at);
    checked.scopes = tokens.scopes.clone();
    if let Some(tid) = tokens.claims.tid.clone() {
        checked.tenant_id = Some(tid);
    }
    let identity = flow::whoami(http, &endpoints, &tokens.access_token, policy).await?;
    checked.checked_with = identity.source;
    if let Some(account) = identity.account {
        checked.account = Some(account);
    }
    checked.tenant_name = flow::organization_name(http, &endpoints, &tokens.access_token).await;
    let missing = flow::missing_scopes(require_scopes, &tokens.scopes);
    if !missing.is_empty() {
        return Err(Error::new(
            Kind::PermissionMissing,
            "scope_missing",
            format!("profile '{name}' lacks the required scope {}", missing.join(", ")),
        )
        .with_hint("grant it to the registration (API permissions), have the tenant's reviewer consent (`onboard consent-url`), then run `onboard invite` again"));
    }
    Ok(())
}

fn record(profiles: &Profiles, name: &str, checked: &Checked) {
    let outcome = Validation {
        at: checked.checked_at.to_string(),
        valid: checked.valid(),
        exit_code: checked.error.as_ref().map_or(0, Error::exit_code),
        code: checked.error.as_ref().map(|e| e.code.clone()),
        message: checked.error.as_ref().map(|e| e.message.clone()),
    };
    let result = profiles.update(|file| {
        if let Some(profile) = file.profiles.get_mut(name) {
            profile.last_validation = Some(outcome);
            if checked.valid() {
                profile.scopes = checked.scopes.clone();
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        tracing::warn!("could not record the validation in profiles.json: {e}");
    }
}

pub async fn run(args: &ValidateArgs, profile_flag: Option<&str>, deps: &mut Deps) -> Result<()> {
    let (name, profile, store, profiles) = match deps.env_credential()? {
        Some((credential, store)) => {
            let profile = credential.profile(&jiff::Timestamp::now().to_string());
            (credential.profile.clone(), profile, store, None)
        }
        None => {
            let profiles = deps.profiles()?;
            let file = profiles.load()?;
            let name = match profile_flag {
                Some(name) => name.to_string(),
                None => only_profile(&file.profiles.keys().cloned().collect::<Vec<_>>())?,
            };
            let profile = file
                .profiles
                .get(&name)
                .cloned()
                .ok_or_else(|| not_onboarded(&name))?;
            let store = deps.store_for(profile.store)?;
            (name, profile, store, Some(profiles))
        }
    };
    let checked = check(
        &deps.http,
        &store,
        profiles.as_ref(),
        &name,
        &profile,
        &args.require_scopes,
    )
    .await;
    if deps.json {
        deps.out.data(&checked.to_json().to_string());
    } else if checked.valid() {
        deps.out.data(&format!(
            "✓ {name}  {}  valid (checked with {})",
            checked.account.as_deref().unwrap_or("-"),
            checked.checked_with
        ));
    }
    match checked.error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Without --profile, the one saved profile; several or none is an error that says what to do.
pub fn only_profile(names: &[String]) -> Result<String> {
    match names {
        [one] => Ok(one.clone()),
        [] => Err(
            Error::new(Kind::NotOnboarded, "not_onboarded", "no profile is saved").with_hint(
                "onboard a tenant with `onboard invite`, or set ONBOARD_CREDENTIAL in CI",
            ),
        ),
        many => Err(
            Error::usage(format!("{} profiles are saved; which one?", many.len())).with_hint(
                format!("choose with --profile (one of: {})", many.join(", ")),
            ),
        ),
    }
}
