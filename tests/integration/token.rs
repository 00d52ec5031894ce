//! `onboard token`: the access token alone on stdout, usable as a bearer token; the rotated
//! refresh token saved; `ONBOARD_CREDENTIAL` without a store.

use std::path::Path;
use std::process::Output;

use onboard::profiles::LocalProfiles;
use onboard::store::ExportedCredential;
use serde_json::json;

use crate::support::OutputWithin;
use crate::support::onboarded::{invite, saved_token, signed_in};
use crate::support::sim::TestSim;
use crate::support::{http, onboard};

fn token(config_dir: &Path, args: &[&str]) -> Output {
    onboard()
        .arg("token")
        .args(args)
        .arg("--config-dir")
        .arg(config_dir)
        .output_within()
        .unwrap()
}

/// Graph `/v1.0/me` with `access_token` as the bearer: the status.
fn me_status(sim: &TestSim, access_token: &str) -> u16 {
    http()
        .get(sim.url("/v1.0/me"))
        .bearer_auth(access_token)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn token_prints_only_a_working_access_token_and_saves_the_rotated_refresh_token() {
    let sim = TestSim::start();
    let dir = signed_in(&sim, "p");
    let before = saved_token(dir.path(), "p").unwrap();
    let out = token(dir.path(), &["--scope", "User.Read"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let access_token = stdout.strip_suffix('\n').unwrap();
    assert!(
        !access_token.contains(char::is_whitespace),
        "one token, one line"
    );
    assert_eq!(access_token.split('.').count(), 3, "a JWT");
    assert_eq!(me_status(&sim, access_token), 200);
    // `--scope User.Read` went out with offline_access: a new refresh token came back and
    // was saved, so rotation goes on.
    assert_ne!(saved_token(dir.path(), "p").unwrap(), before);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(access_token));
}

#[test]
fn token_fails_with_the_contract_code_and_prints_nothing_on_stdout() {
    let sim = TestSim::start();
    let dir = tempfile::tempdir().unwrap();
    let out = token(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(3));
    invite(&sim, dir.path(), "p");
    sim.control("/revoke", json!({}));
    let out = token(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("onboard: error:") && stderr.contains("onboard invite"),
        "{stderr}"
    );
}

#[test]
fn token_works_from_onboard_credential_without_any_store() {
    let sim = TestSim::start();
    let dir = signed_in(&sim, "p");
    let profile = LocalProfiles::at(dir.path()).get("p").unwrap();
    let exported =
        ExportedCredential::new("p", &profile, saved_token(dir.path(), "p").unwrap()).to_json();
    let empty = tempfile::tempdir().unwrap();
    let out = onboard()
        .args(["token", "--config-dir"])
        .arg(empty.path())
        .env("ONBOARD_CREDENTIAL", &exported)
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            crate::support::NO_SECRET_SERVICE,
        )
        .output_within()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(me_status(&sim, stdout.trim_end()), 200);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ONBOARD_CREDENTIAL") && stderr.contains("onboard export"),
        "{stderr}"
    );
}
