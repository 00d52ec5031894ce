//! `onboard export`: a profile's credential as JSON on stdout, for a CI secret.

use crate::cli::ExportArgs;
use crate::commands::session::only_profile;
use crate::deps::Deps;
use crate::error::{Error, Kind, Result};
use crate::profiles::not_onboarded;
use crate::store::ExportedCredential;

pub async fn run(args: &ExportArgs, profile_flag: Option<&str>, deps: &mut Deps) -> Result<()> {
    if deps.stdout_is_terminal && !args.force {
        return Err(Error::usage("refusing to print a refresh token to the terminal")
            .with_hint("redirect it (`onboard export > credential.json`) or pipe it into your CI's secret store; --force prints it anyway"));
    }
    let profiles = deps.profiles()?;
    let file = profiles.load()?;
    let name = match profile_flag {
        Some(name) => name.to_string(),
        None => only_profile(&file.profiles.keys().cloned().collect::<Vec<_>>())?,
    };
    let profile = file
        .profiles
        .get(&name)
        .ok_or_else(|| not_onboarded(&name))?;
    let store = deps.store_for(profile.store)?;
    let refresh_token = store.load(&name).await?.ok_or_else(|| {
        Error::new(
            Kind::NotOnboarded,
            "not_onboarded",
            format!("profile '{name}' has no saved credential"),
        )
        .with_hint(format!(
            "onboard it again with `onboard invite --profile {name}`"
        ))
    })?;
    deps.out
        .data(&ExportedCredential::new(&name, profile, refresh_token).to_json());
    Ok(())
}
