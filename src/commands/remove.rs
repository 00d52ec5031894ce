//! `onboard remove`: deletes a profile's credential, then the profile.

use crate::cli::RemoveArgs;
use crate::connection::remove_onboarding;
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::profiles::not_onboarded;

pub async fn run(args: &RemoveArgs, profile_flag: Option<&str>, deps: &mut Deps) -> Result<()> {
    let profiles = deps.profiles()?;
    let file = profiles.load().await?;
    let names: Vec<String> = if args.all {
        file.profiles.keys().cloned().collect()
    } else {
        let name = args
            .name
            .as_deref()
            .or(profile_flag)
            .ok_or_else(|| Error::usage("which profile? give its name, or --all"))?;
        if !file.profiles.contains_key(name) {
            return Err(not_onboarded(name));
        }
        vec![name.to_string()]
    };
    if names.is_empty() {
        deps.out.info("No profiles saved: nothing to remove.");
        return Ok(());
    }
    if !args.yes {
        if !deps.interactive {
            return Err(Error::usage("refusing to remove without confirmation")
                .with_hint("add --yes to remove without a terminal"));
        }
        let question = match names.as_slice() {
            [one] => format!("Remove profile '{one}' and its saved credential?"),
            many => format!(
                "Remove all {} profiles and their saved credentials?",
                many.len()
            ),
        };
        let mut prompter = deps.prompter();
        if !tokio::task::block_in_place(|| prompter.confirm(&question, false))? {
            deps.out.info("Nothing removed.");
            return Ok(());
        }
    }
    for name in names {
        let Some(profile) = file.profiles.get(&name) else {
            continue;
        };
        let store = deps.store_for(profile.store)?;
        remove_onboarding(&store, &profiles, &name).await?;
        deps.out.info(&format!(
            "Removed profile '{name}' and its credential from the {}",
            profile.store.description()
        ));
    }
    Ok(())
}
