//! Choosing the one profile a command acts on: `ONBOARD_CREDENTIAL`, `--profile`, or the only
//! saved profile; and what to say when a redeem rotated the token a CI secret holds.

use crate::deps::Deps;
use crate::error::{Error, Kind, Result};
use crate::profiles::{Profile, Profiles, not_onboarded};
use crate::secret::Secret;
use crate::store::TimedStore;
use crate::store::env::CREDENTIAL_VAR;

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
