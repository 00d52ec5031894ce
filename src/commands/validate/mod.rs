//! `onboard validate`: redeem the saved refresh token, save the rotated one, prove the new
//! access token works and check the required scopes, for one profile or (`--all`) for every
//! profile, concurrently within `--jobs`. The check itself is `connection::check_in`, the one
//! the wizard's last step runs too.

mod reports;

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio_util::task::AbortOnDropHandle;

use crate::cli::ValidateArgs;
use crate::connection::{
    self, Checked, LAPSING_SOON, Selected, Session, check_in, date_of, lapses_within, record,
};
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::output::{ValidateSummary, to_line};
use crate::profiles::{Profile, Profiles, SignInFlow, StoreKind};
use crate::store::TimedStore;

pub async fn run(args: &ValidateArgs, profile_flag: Option<&str>, deps: &mut Deps) -> Result<()> {
    // The HTTP client is built once a profile is found: without one, validate sends nothing.
    let results = if args.all {
        match connection::from_environment(deps)? {
            Some(selected) => {
                let session = Session::new(deps.http()?).allowing(deps.allowed_authorities());
                vec![check_selected(&session, &selected, args, deps).await]
            }
            None => check_all(args, deps).await?,
        }
    } else {
        let selected = connection::select(deps, profile_flag).await?;
        let session = Session::new(deps.http()?).allowing(deps.allowed_authorities());
        vec![check_selected(&session, &selected, args, deps).await]
    };
    report(&results, args, deps);
    // The validations are saved: a report that cannot be written fails the run, losing nothing.
    let written = reports::write(&results, args);
    let worst = results
        .iter()
        .filter_map(|c| c.error.as_ref())
        .max_by_key(|e| e.kind);
    match (written, worst) {
        (Err(error), None) => Err(error),
        (Err(error), Some(worst)) => {
            deps.out.info(&format!("onboard: error: {error}"));
            if let Some(hint) = &error.hint {
                deps.out.info(&format!("  hint: {hint}"));
            }
            Err(worst.clone().mark_reported())
        }
        (Ok(()), Some(worst)) => Err(worst.clone().mark_reported()),
        (Ok(()), None) => Ok(()),
    }
}

async fn check_selected(
    session: &Session,
    selected: &Selected,
    args: &ValidateArgs,
    deps: &mut Deps,
) -> Checked {
    let checked = check_in(
        session,
        &selected.store,
        &selected.name,
        &selected.profile,
        &args.require_scopes,
    )
    .await;
    if let Some(profiles) = &selected.profiles {
        record(profiles, std::slice::from_ref(&checked)).await;
    }
    selected.warn_if_rotated(deps).await;
    checked
}

/// Every saved profile, at most `--jobs` at a time; one profile's failure never stops the
/// others. Results come back in the profiles' order.
///
/// Only `--jobs` checks exist at any moment, so memory does not grow with the fleet. The
/// checks start as the profiles are read (a team vault sends them one entry at a time), and
/// each check's validation is recorded as it ends (locally a small file written on the
/// blocking pool, in a vault one check-and-set write), so the reads and writes overlap the
/// other checks' network waits instead of adding up before the first or after the last one.
async fn check_all(args: &ValidateArgs, deps: &mut Deps) -> Result<Vec<Checked>> {
    let profiles = deps.profiles()?;
    let shard = args.shard;
    let keep = move |name: &str| shard.is_none_or(|shard| shard.holds(name));
    // With their validation records: a check that fails before it refreshes keeps the last
    // refresh's date.
    let listed = profiles.stream_with_validations(&keep).await?;
    if listed.total == 0 {
        return Err(connection::no_profile());
    }
    let session = Session::new(deps.http()?).allowing(deps.allowed_authorities());
    let mut progress = deps.progress();
    let mut stores: HashMap<StoreKind, Result<TimedStore>> = HashMap::new();
    let total = listed.kept;
    let require: Arc<[String]> = args.require_scopes.clone().into();
    // A check is spawned (so the runtime's threads share the work) when one of the `--jobs`
    // places frees; dropping the stream, as an interruption does, aborts the running ones.
    let mut checks = listed
        .profiles
        .map(|read| {
            let started = read.map(|(name, profile)| {
                let store = stores
                    .entry(profile.store)
                    .or_insert_with(|| deps.store_for(profile.store))
                    .clone();
                let task = AbortOnDropHandle::new(tokio::spawn(check_and_record(
                    session.clone(),
                    store,
                    name.clone(),
                    profile.clone(),
                    Arc::clone(&require),
                    profiles.clone(),
                )));
                (name, profile, task)
            });
            async move {
                let (name, profile, task) = started?;
                Ok(task.await.unwrap_or_else(|panicked| {
                    let error = Error::unexpected(format!(
                        "validating profile '{name}' failed: {panicked}"
                    ));
                    Checked::new(&name, &profile).failed(error)
                }))
            }
        })
        .buffer_unordered(usize::from(args.jobs));
    let mut done = Vec::with_capacity(total);
    // A profile that cannot be read fails the run, once the others are checked and recorded.
    let mut unreadable = None;
    while let Some(checked) = checks.next().await {
        match checked {
            Ok(checked) => done.push(checked),
            Err(error) => {
                unreadable.get_or_insert(error);
            }
        }
        if let Some(progress) = progress.as_mut() {
            progress.show(&format!("Validated {} of {total} profiles", done.len()));
        }
    }
    if let Some(progress) = progress.as_mut() {
        progress.hide();
    }
    if let Some(error) = unreadable {
        return Err(error);
    }
    // Back in the profiles' order.
    done.sort_unstable_by(|a, b| a.profile.cmp(&b.profile));
    Ok(done)
}

/// One profile's check within `--all`, its validation recorded as soon as it ends.
async fn check_and_record(
    session: Session,
    store: Result<TimedStore>,
    name: String,
    profile: Profile,
    require: Arc<[String]>,
    profiles: Profiles,
) -> Checked {
    let checked = match store {
        Ok(store) => check_in(&session, &store, &name, &profile, &require).await,
        Err(error) => Checked::new(&name, &profile).failed(error),
    };
    record(&profiles, std::slice::from_ref(&checked)).await;
    checked
}

/// One line (or JSON object) per profile, then a summary.
fn report(results: &[Checked], args: &ValidateArgs, deps: &mut Deps) {
    let all = args.all;
    let lapsing: Vec<&Checked> = results
        .iter()
        .filter(|c| lapses_within(c.lapses_at(), LAPSING_SOON))
        .collect();
    let valid = results.iter().filter(|c| c.valid()).count();
    let invalid = results.len() - valid;
    let device_code_born = results
        .iter()
        .filter(|c| c.sign_in_flow == SignInFlow::DeviceCode)
        .count();
    if deps.json {
        let line = if all {
            to_line(&ValidateSummary {
                results: results.iter().map(Checked::to_output).collect(),
                valid,
                invalid,
                lapsing: lapsing.len(),
                device_code_born,
                shard: args.shard.map(|shard| shard.to_string()),
            })
        } else {
            to_line(&results.first().map(Checked::to_output))
        };
        deps.out.data(&line);
        return;
    }
    for checked in results {
        deps.out.data(&checked.line());
    }
    let profiles = if results.len() == 1 {
        "profile"
    } else {
        "profiles"
    };
    deps.out.data(&match invalid {
        0 => format!("{valid} of {} {profiles} valid", results.len()),
        _ => format!(
            "{valid} of {} {profiles} valid, {invalid} invalid",
            results.len()
        ),
    });
    if all && !lapsing.is_empty() {
        let named: Vec<String> = lapsing
            .iter()
            .map(|c| match c.lapses_at() {
                Some(at) => format!("{} ({})", c.profile, date_of(at)),
                None => c.profile.clone(),
            })
            .collect();
        deps.out.data(&format!(
            "{} lapsing within 14 days unless refreshed: {}",
            lapsing.len(),
            named.join(", ")
        ));
    }
    // The exposure to a tenant blocking the device code flow, for a person reading the run; the
    // stdout summary line keeps its shape for scripts (`--json` has `device_code_born`).
    if all && device_code_born > 0 {
        deps.out.info(&format!(
            "{device_code_born} of {} signed in with a device code: where a tenant blocks the device code flow they stop refreshing (`onboard invite --flow browser --force --profile NAME` moves one to the browser road)",
            results.len()
        ));
    }
}
