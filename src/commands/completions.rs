//! `onboard completions SHELL`: prints a completion script; and the hidden `onboard __profiles`
//! that those scripts run to complete profile names.

use crate::cli::CompletionsArgs;
use crate::deps::Deps;
use crate::error::Result;

pub fn run(args: &CompletionsArgs, deps: &mut Deps) -> Result<()> {
    let script = crate::generate::completion(args.shell);
    let script = String::from_utf8_lossy(&script);
    deps.out.data(script.strip_suffix('\n').unwrap_or(&script));
    Ok(())
}

/// The saved profiles' names, one per line. Reads profiles.json only: a Tab must be fast and
/// must never touch the network or unlock a keyring (so the vault's profiles are not offered).
pub fn profile_names(deps: &mut Deps) -> Result<()> {
    for name in deps.local_profiles()?.load()?.profiles.keys() {
        deps.out.data(name);
    }
    Ok(())
}
