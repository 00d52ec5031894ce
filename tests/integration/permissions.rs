//! `onboard permissions`: the token's scopes and `scp`, and the tenant's consent grants from
//! Graph when the account may read them; a 403 is said, not fatal.

use std::path::Path;
use std::process::Output;

use crate::support::OutputWithin;
use crate::support::onboarded::{invite, invite_with};
use crate::support::sim::TestSim;
use crate::support::{json_of, onboard};

fn permissions(config_dir: &Path, json: bool) -> Output {
    let mut command = onboard();
    command
        .arg("permissions")
        .arg("--config-dir")
        .arg(config_dir);
    if json {
        command.arg("--json");
    }
    command.output_within().unwrap()
}

#[test]
fn without_directory_read_the_grants_are_said_to_be_unreadable_not_failed() {
    let sim = TestSim::start();
    let dir = tempfile::tempdir().unwrap();
    invite(&sim, dir.path(), "p");
    let out = permissions(dir.path(), true);
    assert_eq!(out.status.code(), Some(0));
    let result = json_of(&out);
    let has = |key: &str, scope: &str| {
        result[key]
            .as_array()
            .is_some_and(|list| list.iter().any(|s| s == scope))
    };
    assert!(has("scopes", "User.Read"), "{result}");
    assert!(has("token_scp", "User.Read"), "{result}");
    assert!(result["grants"].is_null());
    assert_eq!(
        result["grants_error"]["code"],
        "Authorization_RequestDenied"
    );
    assert!(
        result["grants_error"]["hint"]
            .as_str()
            .unwrap()
            .contains("Directory.Read.All")
    );

    let out = permissions(dir.path(), false);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("granted to the token:   ") && text.contains("User.Read"),
        "{text}"
    );
    assert!(
        text.contains("consented in the tenant: not readable"),
        "{text}"
    );
}

#[test]
fn with_directory_read_the_tenant_grants_are_listed() {
    let sim = TestSim::start();
    let dir = tempfile::tempdir().unwrap();
    invite_with(
        &sim,
        dir.path(),
        "p",
        &[
            "--scope",
            "User.Read Application.Read.All Directory.Read.All",
        ],
    );
    let out = permissions(dir.path(), true);
    crate::support::assert_exit(&out, 0);
    let result = json_of(&out);
    assert!(result["grants_error"].is_null(), "{result}");
    let grants = result["grants"].as_array().unwrap();
    assert!(!grants.is_empty(), "{result}");
    assert!(
        grants.iter().any(|g| g["consent_type"] == "Principal"
            && g["scopes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == "Directory.Read.All")),
        "{result}"
    );
    let requests = sim.requests();
    assert!(
        requests
            .iter()
            .any(|r| r["path"] == "/v1.0/oauth2PermissionGrants")
    );
}
