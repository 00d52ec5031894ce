//! Saving a fresh sign-in and removing an onboarding: the credential and its profile entry
//! together, under the profile's lock, so that neither is ever left without the other.

use crate::error::Result;
use crate::profiles::{Profile, Profiles};
use crate::secret::Secret;
use crate::store::TimedStore;

/// Saves a fresh sign-in under the profile's lock: the credential first, then the profile entry,
/// so `profiles.json` never names a profile whose token was not saved. When the store fails,
/// nothing changes. When `profiles.json` cannot be written, the profile's previous credential is
/// put back (or the new one deleted when there was none), never lost.
pub async fn save_onboarding(
    store: &TimedStore,
    profiles: &Profiles,
    name: &str,
    mut profile: Profile,
    refresh_token: &Secret,
) -> Result<()> {
    crate::profiles::validate_name(name)?;
    profile.store = store.kind();
    let _lock = store.lock(name).await?;
    // `Err` when it cannot be read (damaged): then it cannot be put back either, and a failure
    // below leaves the new credential in place rather than delete anything.
    let previous = store.load(name).await;
    store.save(name, refresh_token).await?;
    let result = profiles
        .update(|file| {
            file.profiles.insert(name.to_owned(), profile);
            Ok(())
        })
        .await;
    if let Err(e) = result {
        // Best effort; the profile error is the one to report.
        let _ = match previous {
            Ok(Some(previous)) => store.save(name, &previous).await,
            Ok(None) => store.delete(name).await.map(drop),
            Err(_) => Ok(()),
        };
        return Err(e);
    }
    // A fresh onboarding starts without the previous one's last validation.
    if let Err(e) = profiles.forget_validation(name).await {
        tracing::warn!("could not clear the last validation of '{name}': {e}");
    }
    Ok(())
}

/// Removes an onboarding under the profile's lock: the credential, then the profile entry
/// (last, so a failed credential delete leaves the profile visible in `onboard list` for
/// another try). `Ok(false)` when neither existed.
pub async fn remove_onboarding(
    store: &TimedStore,
    profiles: &Profiles,
    name: &str,
) -> Result<bool> {
    let _lock = store.lock(name).await?;
    let deleted_secret = store.delete(name).await?;
    let deleted_profile = profiles
        .update(|file| Ok(file.profiles.remove(name).is_some()))
        .await?;
    profiles.forget_validation(name).await?;
    Ok(deleted_secret || deleted_profile)
}
