//! `onboard validate`: redeem the saved refresh token, save the rotated one, prove the new
//! access token works and check the required scopes, for one profile or (`--all`) for every
//! profile, concurrently within `--jobs`. The wizard's last step runs the same `check`.

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::Client;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::session::{self, Selected, Session, authority_of};
use crate::cli::ValidateArgs;
use crate::deps::Deps;
use crate::error::{Error, Kind, Result};
use crate::flow;
use crate::profiles::{Profile, Profiles, SignInFlow, StoreKind, Validation};
use crate::store::TimedStore;

/// One profile's validation, as `validate --json` shows it.
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
    /// How the credential's sign-in was made.
    pub sign_in_flow: SignInFlow,
    pub error: Option<Error>,
}

impl Checked {
    /// Before the check: what the profile says.
    fn new(name: &str, profile: &Profile) -> Checked {
        Checked {
            profile: name.to_string(),
            tenant_id: profile.connection.tenant_id.clone(),
            tenant_name: None,
            account: profile.connection.account.clone(),
            scopes: profile.connection.scopes.clone(),
            access_token_expires_at: None,
            checked_at: jiff::Timestamp::now(),
            checked_with: "",
            sign_in_flow: profile.connection.sign_in_flow,
            error: None,
        }
    }

    fn failed(mut self, error: Error) -> Checked {
        self.error = Some(error);
        self
    }

    /// The text line: ✓ or ✗, profile, account, then what proved it or what is wrong and the fix.
    pub fn line(&self) -> String {
        let account = self.account.as_deref().unwrap_or("-");
        match &self.error {
            None => format!(
                "✓ {}  {account}  valid (checked with {})",
                self.profile, self.checked_with
            ),
            Some(error) => {
                let mut line = format!("✗ {}  {account}  {error}", self.profile);
                if let Some(hint) = &error.hint {
                    line.push_str(&format!("; fix: {hint}"));
                }
                line.push_str(&format!(" (exit {})", error.exit_code()));
                line
            }
        }
    }

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
            "sign_in_flow": self.sign_in_flow.as_str(),
            "error": self.error.as_ref().map(Error::to_json),
        })
    }
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
    // The wizard's own profile: its sign-in server is the one this command line named.
    let own = authority_of(profile)
        .map(|a| vec![crate::http::host_of(&a.base).to_ascii_lowercase()])
        .unwrap_or_default();
    let checked = check_in(
        &Session::new(http.clone()).allowing(own),
        store,
        name,
        profile,
        require_scopes,
    )
    .await;
    if let Some(profiles) = profiles {
        record(profiles, std::slice::from_ref(&checked));
    }
    checked
}

/// `check` within a session shared with other profiles; records nothing.
async fn check_in(
    session: &Session,
    store: &TimedStore,
    name: &str,
    profile: &Profile,
    require_scopes: &[String],
) -> Checked {
    let mut checked = Checked::new(name, profile);
    if let Err(error) = prove(session, store, name, profile, require_scopes, &mut checked).await {
        checked.error = Some(error);
    }
    checked.checked_at = jiff::Timestamp::now();
    checked
}

async fn prove(
    session: &Session,
    store: &TimedStore,
    name: &str,
    profile: &Profile,
    require_scopes: &[String],
    checked: &mut Checked,
) -> Result<()> {
    // At a Microsoft authority, Graph's User.Read is asked for explicitly, so that a profile
    // onboarded with other scopes can still be checked with /me.
    let authority = authority_of(profile)?;
    session.check_shared(store, name, &authority)?;
    let endpoints = session.endpoints(&authority).await?;
    let scopes = match &endpoints.graph {
        Some(graph) => flow::validation_scopes(&profile.connection.scopes, graph),
        None => Vec::new(),
    };
    let (endpoints, tokens) = session
        .redeem(store, name, profile, &scopes)
        .await
        .map_err(|error| device_code_blocked(cannot_check(error, name, profile), name, profile))?;
    checked.access_token_expires_at = Some(tokens.expires_at);
    checked.scopes = tokens.scopes.clone();
    if let Some(tid) = tokens.claims.tid.clone() {
        checked.tenant_id = Some(tid);
    }
    let identity = flow::whoami(
        &session.http,
        &endpoints,
        &tokens.access_token,
        session.retries.clone(),
    )
    .await?;
    checked.checked_with = identity.source;
    let connection = &profile.connection;
    if let (Some(actual), Some(expected)) = (&identity.account, &connection.account)
        && !identity.is(connection.account_id.as_deref(), Some(expected))
    {
        return Err(Error::new(
            Kind::SignInAgain,
            "wrong_account",
            format!("profile '{name}' acts as {actual}, not as its service account {expected}"),
        )
        .with_hint(format!(
            "run `onboard invite --profile {name}` again and sign in as {expected}"
        )));
    }
    if let Some(account) = identity.account {
        checked.account = Some(account);
    }
    checked.tenant_name = flow::organization_name(
        &session.http,
        &endpoints,
        &tokens.access_token,
        &session.retries,
    )
    .await;
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

/// A refusal of Graph's User.Read for a profile onboarded without it: validate says that the
/// profile cannot be checked, rather than only that consent is missing.
fn cannot_check(mut error: Error, name: &str, profile: &Profile) -> Error {
    let had_it = profile
        .connection
        .scopes
        .iter()
        .any(|s| s.eq_ignore_ascii_case(flow::VALIDATION_SCOPE));
    if error.kind == Kind::PermissionMissing && !had_it {
        error.message = format!(
            "profile '{name}' cannot be checked: Microsoft Graph's {} was refused ({})",
            flow::VALIDATION_SCOPE,
            error.message
        );
        error.hint = Some(format!(
            "validate calls Graph /me, which needs {}: add it to the registration's API permissions and have the tenant's reviewer consent (`onboard consent-url`)",
            flow::VALIDATION_SCOPE
        ));
    }
    error
}

/// AADSTS53003 on refreshing a device-code-born credential: the tenant now blocks the device
/// code flow, and Entra's protocol tracking stops the tokens that came from such a sign-in
/// (<https://learn.microsoft.com/en-us/entra/identity/conditional-access/concept-authentication-flows>).
fn device_code_blocked(mut error: Error, name: &str, profile: &Profile) -> Error {
    if error.aadsts == Some(53003) && profile.connection.sign_in_flow == SignInFlow::DeviceCode {
        error.message = format!(
            "profile '{name}' was refused by the tenant's Conditional Access (AADSTS53003): the tenant now blocks the device code flow, which also stops tokens that came from device-code sign-ins"
        );
        error.hint = Some(format!(
            "sign in again on the browser road: `onboard invite --flow browser --force --profile {name}`; or the tenant admin excludes the service account from the policy that blocks the device code flow (including Microsoft's managed \"Block device code flow\" policy)"
        ));
    }
    error
}

/// Records each outcome in its profile's validation record: one small file per profile, so
/// the cost per profile does not grow with the number of profiles.
fn record(profiles: &Profiles, results: &[Checked]) {
    let records = results.iter().map(|checked| {
        let validation = Validation {
            at: checked.checked_at.to_string(),
            valid: checked.valid(),
            exit_code: checked.error.as_ref().map_or(0, Error::exit_code),
            code: checked.error.as_ref().map(|e| e.code.clone()),
            message: checked.error.as_ref().map(|e| e.message.clone()),
        };
        let granted = checked.valid().then(|| checked.scopes.clone());
        (checked.profile.as_str(), validation, granted)
    });
    if let Err(e) = profiles.record_validations(records) {
        tracing::warn!("could not record the validations: {e}");
    }
}

pub async fn run(args: &ValidateArgs, profile_flag: Option<&str>, deps: &mut Deps) -> Result<()> {
    // The HTTP client is built once a profile is found: without one, validate sends nothing.
    let results = if args.all {
        match session::from_environment(deps)? {
            Some(selected) => {
                let session = Session::new(deps.http()?).allowing(deps.allowed_authorities());
                vec![check_selected(&session, &selected, args, deps).await]
            }
            None => check_all(args, deps).await?,
        }
    } else {
        let selected = session::select(deps, profile_flag)?;
        let session = Session::new(deps.http()?).allowing(deps.allowed_authorities());
        vec![check_selected(&session, &selected, args, deps).await]
    };
    report(&results, args.all, deps);
    match results
        .iter()
        .filter_map(|c| c.error.as_ref())
        .max_by_key(|e| e.kind)
    {
        Some(worst) => Err(worst.clone().mark_reported()),
        None => Ok(()),
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
        record(profiles, std::slice::from_ref(&checked));
    }
    selected.warn_if_rotated(deps).await;
    checked
}

/// Every saved profile, at most `--jobs` at a time; one profile's failure never stops the
/// others. Results come back in the profiles' order.
///
/// Only `--jobs` checks exist at any moment, so memory does not grow with the fleet. Local
/// validation records are written as each check ends, off the runtime, so their disk syncs
/// overlap the other checks' network waits instead of adding up after the last one; a shared
/// store takes them all in one update at the end.
async fn check_all(args: &ValidateArgs, deps: &mut Deps) -> Result<Vec<Checked>> {
    let profiles = deps.profiles()?;
    let file = profiles.load()?;
    if file.profiles.is_empty() {
        return Err(session::no_profile());
    }
    let session = Session::new(deps.http()?).allowing(deps.allowed_authorities());
    let mut stores: HashMap<StoreKind, Result<TimedStore>> = HashMap::new();
    let total = file.profiles.len();
    let mut pending = Vec::with_capacity(total);
    for (name, profile) in file.profiles {
        let store = stores
            .entry(profile.store)
            .or_insert_with(|| deps.store_for(profile.store))
            .clone();
        pending.push((name, profile, store));
    }
    let mut pending = pending.into_iter().enumerate();
    let record_each = (!profiles.is_shared()).then(|| profiles.clone());
    let mut progress = deps.progress();
    let require: Arc<[String]> = args.require_scopes.clone().into();
    let mut tasks = JoinSet::new();
    // The slot and the profile of each running check, to place its result or name its panic.
    let mut running = HashMap::new();
    let mut slots: Vec<Option<Checked>> = std::iter::repeat_with(|| None).take(total).collect();
    let mut done = 0;
    loop {
        while tasks.len() < usize::from(args.jobs) {
            let Some((slot, (name, profile, store))) = pending.next() else {
                break;
            };
            let session = session.clone();
            let require = Arc::clone(&require);
            let record_each = record_each.clone();
            let checking = (name.clone(), profile.clone());
            let handle = tasks.spawn(async move {
                let checked = match store {
                    Ok(store) => check_in(&session, &store, &name, &profile, &require).await,
                    Err(error) => Checked::new(&name, &profile).failed(error),
                };
                match record_each {
                    Some(profiles) => tokio::task::spawn_blocking(move || {
                        record(&profiles, std::slice::from_ref(&checked));
                        checked
                    })
                    .await
                    .unwrap_or_else(|panicked| {
                        Checked::new(&name, &profile).failed(Error::unexpected(format!(
                            "recording the validation of profile '{name}' failed: {panicked}"
                        )))
                    }),
                    None => checked,
                }
            });
            running.insert(handle.id(), (slot, checking));
        }
        let Some(joined) = tasks.join_next_with_id().await else {
            break;
        };
        done += 1;
        if let Some(progress) = progress.as_mut() {
            progress.show(&format!("Validated {done} of {total} profiles"));
        }
        let (id, checked) = match joined {
            Ok((id, checked)) => (id, Ok(checked)),
            Err(panicked) => (panicked.id(), Err(panicked)),
        };
        let Some((slot, (name, profile))) = running.remove(&id) else {
            continue;
        };
        slots[slot] = Some(checked.unwrap_or_else(|panicked| {
            let error =
                Error::unexpected(format!("validating profile '{name}' failed: {panicked}"));
            Checked::new(&name, &profile).failed(error)
        }));
    }
    if let Some(progress) = progress.as_mut() {
        progress.hide();
    }
    let results: Vec<Checked> = slots.into_iter().flatten().collect();
    if record_each.is_none() {
        record(&profiles, &results);
    }
    Ok(results)
}

/// One line (or JSON object) per profile, then a summary.
fn report(results: &[Checked], all: bool, deps: &mut Deps) {
    let valid = results.iter().filter(|c| c.valid()).count();
    let invalid = results.len() - valid;
    let device_code_born = results
        .iter()
        .filter(|c| c.sign_in_flow == SignInFlow::DeviceCode)
        .count();
    if deps.json {
        let value = if all {
            json!({
                "results": results.iter().map(Checked::to_json).collect::<Vec<_>>(),
                "valid": valid,
                "invalid": invalid,
                "device_code_born": device_code_born,
            })
        } else {
            results.first().map(Checked::to_json).unwrap_or(Value::Null)
        };
        deps.out.data(&value.to_string());
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
    // The exposure to a tenant blocking the device code flow, for a person reading the run; the
    // stdout summary line keeps its shape for scripts (`--json` has `device_code_born`).
    if all && device_code_born > 0 {
        deps.out.info(&format!(
            "{device_code_born} of {} signed in with a device code: where a tenant blocks the device code flow they stop refreshing (`onboard invite --flow browser --force --profile NAME` moves one to the browser road)",
            results.len()
        ));
    }
}
