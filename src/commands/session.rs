//! What `validate`, `token` and `permissions` share: choosing the profile to act on (from
//! `--profile`, the only saved one, or `ONBOARD_CREDENTIAL`), and redeeming its refresh token
//! with the rotated one saved at once, through one HTTP client, one discovery per authority and
//! one per-host throttle however many profiles run at the same time.

use std::sync::Arc;

use reqwest::Client;

use crate::authority::{Authority, DiscoveryCache, Endpoints};
use crate::deps::Deps;
use crate::error::{Error, Kind, Result};
use crate::flow::{self, TokenSet};
use crate::http::{Retries, RetryPolicy, Throttle};
use crate::profiles::{Profile, Profiles, not_onboarded};
use crate::secret::Secret;
use crate::store::TimedStore;
use crate::store::env::CREDENTIAL_VAR;

/// The HTTP client, the discovery cache and the throttle, shared by every profile of a run.
/// Cheap to clone.
#[derive(Clone)]
pub struct Session {
    pub http: Client,
    pub retries: Retries,
    discovery: Arc<DiscoveryCache>,
    /// The non-Microsoft sign-in servers (`host` or `host:port`, lower case) whose shared
    /// profiles this machine may redeem.
    allowed: Arc<[String]>,
}

impl Session {
    pub fn new(http: Client) -> Session {
        Session {
            http,
            retries: Retries::shared(RetryPolicy::default(), Throttle::new()),
            discovery: Arc::default(),
            allowed: Arc::new([]),
        }
    }

    /// Allows shared profiles at these non-Microsoft sign-in servers (`--allow-authority`).
    pub fn allowing(mut self, hosts: Vec<String>) -> Session {
        self.allowed = hosts.into();
        self
    }

    /// A profile read from a shared store names its own sign-in server, and whoever can write
    /// there could name theirs: one that is not Microsoft's is used only when this machine
    /// allows it, before any request (its discovery included) is sent.
    pub fn check_shared(
        &self,
        store: &TimedStore,
        name: &str,
        authority: &Authority,
    ) -> Result<()> {
        if !store.kind().is_shared() || authority.is_microsoft() {
            return Ok(());
        }
        let host = crate::http::host_of(&authority.base).to_ascii_lowercase();
        let bare = authority
            .base
            .host_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if self.allowed.iter().any(|a| *a == host || *a == bare) {
            return Ok(());
        }
        Err(Error::new(
            Kind::Usage,
            "authority_not_allowed",
            format!(
                "profile '{name}' in the {} signs in at {host}, which is not a Microsoft cloud, \
                 and this machine does not allow that server",
                store.kind().description()
            ),
        )
        .with_hint(format!(
            "if {host} is your identity provider, allow it on this machine with \
             --allow-authority {host} (or ONBOARD_ALLOW_AUTHORITY); otherwise someone changed \
             the profile in the vault: check who can write its profiles"
        )))
    }

    /// The authority's endpoints, discovered once per run.
    pub async fn endpoints(&self, authority: &Authority) -> Result<Endpoints> {
        self.discovery
            .discover(&self.http, authority, &self.retries)
            .await
    }

    /// Loads the profile's refresh token, redeems it (for `scopes`, or the original ones when
    /// empty) and saves the rotated token before anything else can fail, all under the
    /// profile's lock: a second process waits, then loads the token this one rotated.
    pub async fn redeem(
        &self,
        store: &TimedStore,
        name: &str,
        profile: &Profile,
        scopes: &[String],
    ) -> Result<(Endpoints, TokenSet)> {
        let authority = authority_of(profile)?;
        self.check_shared(store, name, &authority)?;
        // Discovery first, outside the lock: it needs no credential.
        let endpoints = self.endpoints(&authority).await?;
        let _lock = store.lock(name).await?;
        let mut refresh_token = store.load(name).await?.ok_or_else(|| {
            Error::new(
                Kind::NotOnboarded,
                "not_onboarded",
                format!(
                    "no saved credential for profile '{name}' in the {}",
                    store.kind().description()
                ),
            )
            .with_hint(format!("onboard it with `onboard invite --profile {name}`"))
        })?;
        // From before the refresh is sent until its rotated token is saved, an interruption
        // (Ctrl-C, SIGTERM, SIGHUP) waits: the server may rotate the token the moment it
        // answers, and servers that refuse reused refresh tokens would otherwise lock the
        // profile out. Once one is pending, no refresh starts.
        let protected = crate::interrupt::Protected::enter()?;
        // In a shared store another machine may rotate the token between our read and our
        // refresh; an issuer that refuses reused tokens then says "sign in again". Take the
        // token that run saved instead, a bounded number of times.
        let mut rounds = 0;
        let mut tokens = loop {
            let refreshed = flow::refresh(
                &self.http,
                &endpoints,
                &profile.connection.client_id,
                &refresh_token,
                scopes,
                self.retries.clone(),
            )
            .await;
            match refreshed {
                Err(e)
                    if e.kind == Kind::SignInAgain && store.kind().is_shared() && rounds < 64 =>
                {
                    rounds += 1;
                    match crate::store::newer_token(store, name, &refresh_token).await? {
                        Some(newer) => refresh_token = newer,
                        None => return Err(e),
                    }
                }
                other => break other?,
            }
        };
        // An answer without `scope` grants what was asked for: with nothing asked, the
        // profile's own scopes, which must not be erased.
        if scopes.is_empty() && tokens.scopes.is_empty() {
            tokens.scopes = profile.connection.scopes.clone();
        }
        if let Some(rotated) = &tokens.refresh_token
            && rotated != &refresh_token
        {
            // Saved before anything else can fail: servers that refuse reused refresh tokens
            // would otherwise lock the profile out.
            store.save(name, rotated).await?;
            crate::interrupt::mark_rotated_saved();
        }
        protected.leave()?;
        Ok((endpoints, tokens))
    }
}

/// The authority a profile was saved with, checked as if it had been typed.
pub fn authority_of(profile: &Profile) -> Result<Authority> {
    Authority::from_saved(
        &profile.connection.authority,
        profile.connection.cloud.as_deref(),
    )
}

/// The one profile a command acts on, and where its token lives.
pub struct Selected {
    pub name: String,
    pub profile: Profile,
    pub store: TimedStore,
    /// `profiles.json`; `None` when the credential came from `ONBOARD_CREDENTIAL`.
    pub profiles: Option<Profiles>,
    /// The token `ONBOARD_CREDENTIAL` holds, to tell afterwards whether it rotated.
    exported: Option<Secret>,
}

/// `ONBOARD_CREDENTIAL` when set (no store needed), else `--profile` or the only saved profile.
pub async fn select(deps: &mut Deps, profile_flag: Option<&str>) -> Result<Selected> {
    if let Some(selected) = from_environment(deps)? {
        return Ok(selected);
    }
    let (profiles, name, profile) = saved(deps, profile_flag).await?;
    let store = deps.store_for(profile.store)?;
    Ok(Selected {
        name,
        profile,
        store,
        profiles: Some(profiles),
        exported: None,
    })
}

/// `--profile`, or the only saved profile, as profiles.json has it.
pub async fn saved(deps: &Deps, profile_flag: Option<&str>) -> Result<(Profiles, String, Profile)> {
    let profiles = deps.profiles()?;
    // Named: read that one profile (one request in a vault of thousands).
    if let Some(name) = profile_flag {
        let profile = profiles.get(name).await?;
        return Ok((profiles, name.to_string(), profile));
    }
    let mut file = profiles.load().await?;
    let name = only_profile(&file.profiles.keys().cloned().collect::<Vec<_>>())?;
    let profile = file
        .profiles
        .remove(&name)
        .ok_or_else(|| not_onboarded(&name))?;
    Ok((profiles, name, profile))
}

/// The credential in `ONBOARD_CREDENTIAL`, when set.
pub fn from_environment(deps: &Deps) -> Result<Option<Selected>> {
    Ok(deps.env_credential()?.map(|(credential, store)| Selected {
        name: credential.profile.clone(),
        profile: credential.profile(&jiff::Timestamp::now().to_string()),
        store,
        profiles: None,
        exported: Some(credential.refresh_token),
    }))
}

impl Selected {
    /// After a redeem: when the token in `ONBOARD_CREDENTIAL` was replaced by a rotated one,
    /// say that the CI secret now holds the old token and how to refresh it.
    pub async fn warn_if_rotated(&self, deps: &mut Deps) {
        let Some(exported) = &self.exported else {
            return;
        };
        if let Ok(Some(current)) = self.store.load(&self.name).await
            && &current != exported
        {
            deps.out.warn(&rotated_warning());
        }
    }
}

/// Why a rotated token in CI matters, and what to do.
pub fn rotated_warning() -> String {
    format!(
        "the refresh token rotated, and {CREDENTIAL_VAR} (the CI secret) still holds the previous \
         one: Microsoft Entra keeps it valid (until it goes unused for 90 days), but identity \
         providers that refuse reused refresh tokens will reject it next time; refresh the secret \
         with the output of `onboard export` on the machine that onboarded the tenant"
    )
}

/// Without --profile, the one saved profile; several or none is an error that says what to do.
pub fn only_profile(names: &[String]) -> Result<String> {
    match names {
        [one] => Ok(one.clone()),
        [] => Err(no_profile()),
        many => Err(
            Error::usage(format!("{} profiles are saved; which one?", many.len())).with_hint(
                format!("choose with --profile (one of: {})", many.join(", ")),
            ),
        ),
    }
}

/// Exit 3: nothing is saved here.
pub fn no_profile() -> Error {
    Error::new(Kind::NotOnboarded, "not_onboarded", "no profile is saved")
        .with_hint("onboard a tenant with `onboard invite`, or set ONBOARD_CREDENTIAL in CI")
}
