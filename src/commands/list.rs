//! `onboard list`: the saved profiles, their last validation and when their credentials lapse
//! unless refreshed, from the config dir only.

use serde_json::{Value, json};

use crate::cli::ListArgs;
use crate::connection::{date_of, lapse_of, lapses_within};
use crate::deps::Deps;
use crate::error::Result;
use crate::profiles::{Profile, ProfilesFile};

/// The profiles of the config dir: files only, no runtime needed.
pub fn run_local(args: &ListArgs, deps: &mut Deps) -> Result<()> {
    let file = deps.local_profiles()?.load_with_validations()?;
    show(file, args, deps)
}

/// The profiles wherever `--store` keeps them (a vault's are read over HTTP).
pub async fn run(args: &ListArgs, deps: &mut Deps) -> Result<()> {
    let file = deps.profiles()?.load_with_validations().await?;
    show(file, args, deps)
}

fn show(mut file: ProfilesFile, args: &ListArgs, deps: &mut Deps) -> Result<()> {
    if let Some(window) = args.lapsing_within {
        file.profiles
            .retain(|_, profile| lapses_within(lapse_of(profile).1, window));
    }
    if deps.json {
        let profiles: Vec<Value> = file
            .profiles
            .iter()
            .map(|(name, p)| to_json(name, p))
            .collect();
        deps.out.data(&json!({ "profiles": profiles }).to_string());
        return Ok(());
    }
    if file.profiles.is_empty() {
        if args.lapsing_within.is_some() {
            deps.out
                .info("No saved credential lapses within that time.");
        } else {
            deps.out.info("No profiles saved. Onboard a tenant with `onboard invite` (or try `onboard invite --demo`).");
        }
        return Ok(());
    }
    let now = jiff::Timestamp::now();
    let rows: Vec<[String; 8]> = file
        .profiles
        .iter()
        .map(|(name, p)| {
            let (refreshed, lapses) = lapse_of(p);
            [
                name.clone(),
                p.connection.account.clone().unwrap_or_else(|| "-".into()),
                p.connection
                    .tenant_id
                    .clone()
                    .unwrap_or_else(|| p.connection.tenant.clone()),
                p.store.to_string(),
                p.connection.sign_in_flow.describe().to_owned(),
                last_validation(p),
                refreshed.map_or_else(|| "never".into(), |at| ago(now, at)),
                lapses.map_or_else(|| "-".into(), date_of),
            ]
        })
        .collect();
    let header = [
        "PROFILE",
        "ACCOUNT",
        "TENANT",
        "STORE",
        "SIGN-IN",
        "LAST VALIDATION",
        "REFRESHED",
        "LAPSES",
    ]
    .map(String::from);
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        deps.out.data(line.join("  ").trim_end());
    }
    Ok(())
}

/// How long ago `at` was, in its largest whole unit: "just now", "5m ago", "3h ago", "12d ago".
fn ago(now: jiff::Timestamp, at: jiff::Timestamp) -> String {
    let secs = now.duration_since(at).as_secs();
    match secs {
        ..60 => "just now".into(),
        60..3600 => format!("{}m ago", secs / 60),
        3600..86400 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86400),
    }
}

fn last_validation(profile: &Profile) -> String {
    match &profile.last_validation {
        None => "never".into(),
        Some(v) if v.valid => format!("✓ {}", v.at),
        Some(v) => format!(
            "✗ {} (exit {}{})",
            v.at,
            v.exit_code,
            v.code
                .as_deref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default()
        ),
    }
}

fn to_json(name: &str, profile: &Profile) -> Value {
    let (refreshed, lapses) = lapse_of(profile);
    json!({
        "profile": name,
        "tenant": profile.connection.tenant,
        "tenant_id": profile.connection.tenant_id,
        "client_id": profile.connection.client_id,
        "account": profile.connection.account,
        "authority": profile.connection.authority,
        "cloud": profile.connection.cloud,
        "scopes": profile.connection.scopes,
        "store": profile.store.as_str(),
        "sign_in_flow": profile.connection.sign_in_flow.as_str(),
        "created_at": profile.created_at,
        "last_validation": profile.last_validation,
        "refreshed_at": refreshed.map(|t| t.to_string()),
        "lapses_at": lapses.map(|t| t.to_string()),
    })
}
