//! `onboard export`: a profile's credential as JSON on stdout, for a CI secret.

use crate::cli::ExportArgs;
use crate::connection::saved;
use crate::deps::Deps;
use crate::error::{Error, Kind, Result};
use crate::store::ExportedCredential;

/// How to write the credential to a file that only its owner can read: a plain `>` creates the
/// file with the shell's umask, usually readable by everyone (0644).
#[cfg(unix)]
pub const EXPORT_TO_FILE: &str = "(umask 077; onboard export > credential.json)";
/// Windows files take the access control list of their folder: the user profile is private.
#[cfg(not(unix))]
pub const EXPORT_TO_FILE: &str = "onboard export > %USERPROFILE%\\credential.json";

pub async fn run(args: &ExportArgs, profile_flag: Option<&str>, deps: &mut Deps) -> Result<()> {
    if deps.stdout_is_terminal && !args.force {
        return Err(Error::usage("refusing to print a refresh token to the terminal")
            .with_hint(format!("write it to a file only you can read (`{EXPORT_TO_FILE}`) or pipe it into your CI's secret store; --force prints it anyway")));
    }
    let (_, name, profile) = saved(deps, profile_flag).await?;
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
