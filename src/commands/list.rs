//! `onboard list`: the saved profiles and their last validation, from the config dir only.

use serde_json::{Value, json};

use crate::deps::Deps;
use crate::error::Result;
use crate::profiles::Profile;

pub fn run(deps: &mut Deps) -> Result<()> {
    let file = deps.profiles()?.load_with_validations()?;
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
        deps.out.info("No profiles saved. Onboard a tenant with `onboard invite` (or try `onboard invite --demo`).");
        return Ok(());
    }
    let rows: Vec<[String; 6]> = file
        .profiles
        .iter()
        .map(|(name, p)| {
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
    })
}
