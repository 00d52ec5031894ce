//! `onboard export`: a profile's credential as JSON on stdout, for a CI secret.

use crate::cli::ExportArgs;
use crate::commands::session::saved;
use crate::deps::Deps;
use crate::error::{Error, Kind, Result};
use crate::store::ExportedCredential;

pub async fn run(args: &ExportArgs, profile_flag: Option<&str>, deps: &mut Deps) -> Result<()> {
    if deps.stdout_is_terminal && !args.force {
        return Err(Error::usage("refusing to print a refresh token to the terminal")
            .with_hint("redirect it (`onboard export > credential.json`) or pipe it into your CI's secret store; --force prints it anyway"));
    }
    let (_, name, profile) = saved(deps, profile_flag)?;
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
        .data(&ExportedCredential::new(&name, &profile, refresh_token).to_json());
    Ok(())
}
