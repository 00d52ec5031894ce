//! Saving never destroys a credential: re-onboarding a saved profile needs the operator's
//! word (`--force` when nobody can be asked), `--timeout` never cuts into the save or the
//! validation after it, and a keyring that refuses the sign-in's token either hands it to the
//! file store (`--store-fallback file`) or says exactly how to keep the next one.

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::onboarded::{
    invite_json, invite_json_with, onboard_at, saved_token, signed_in, sim_target,
};
use crate::support::sim::TestSim;
use crate::support::{onboard, without_secret_service};

#[test]
fn re_onboarding_a_saved_profile_needs_force_when_nobody_can_be_asked() {
    let sim = TestSim::start();
    let dir = signed_in(&sim, "acme");
    let before = saved_token(dir.path(), "acme").unwrap();
    let profiles_before = std::fs::read(dir.path().join("profiles.json")).unwrap();

    let mut args = sim_target(&sim);
    args.extend(["--profile".into(), "acme".into()]);
    let run = invite_json(dir.path(), &args, |code, _| {
        sim.approve(code);
    });
    assert_eq!(run.code, Some(2));
    let error = run.events().last().cloned().unwrap();
    assert_eq!(error["code"], "profile_exists", "{error}");
    assert!(
        error["hint"].as_str().unwrap().contains("--force"),
        "{error}"
    );
    assert!(
        run.event("device_code").is_none(),
        "refused before anyone signs in: {}",
        run.describe()
    );
    assert_eq!(saved_token(dir.path(), "acme").unwrap(), before);
    assert_eq!(
        std::fs::read(dir.path().join("profiles.json")).unwrap(),
        profiles_before
    );

    args.push("--force".into());
    let run = invite_json(dir.path(), &args, |code, _| {
        sim.approve(code);
    });
    assert!(run.code == Some(0), "{}", run.stderr.as_str());
    assert_ne!(saved_token(dir.path(), "acme").unwrap(), before, "replaced");
}

#[test]
fn the_timeout_never_cuts_into_the_save_and_the_validation_after_it() {
    // The validation after the save asks Graph for the organization's name; that answer is held
    // until the --timeout has long passed, so the run provably outlives it.
    let timeout = std::time::Duration::from_secs(20);
    let sim = TestSim::start();
    sim.fault(json!({"path": "/v1.0/organization", "hold": true}));
    let dir = TempDir::new().unwrap();
    let mut args = sim_target(&sim);
    args.extend([
        "--profile".into(),
        "slow".into(),
        "--timeout".into(),
        format!("{}s", timeout.as_secs()),
    ]);
    let control = sim.control_client();
    let releasing = std::thread::spawn(move || {
        control.wait_for_fault_hits("/v1.0/organization", 1);
        std::thread::sleep(timeout + std::time::Duration::from_secs(1));
        control.release();
    });
    let mut command = onboard_at(dir.path());
    // The held answer must outlast the --timeout, not the HTTP timeout.
    command.env("ONBOARD_HTTP_TIMEOUT", "300s");
    let started = std::time::Instant::now();
    let run = invite_json_with(command, &args, |code, _| {
        sim.approve(code);
    });
    let elapsed = started.elapsed();
    releasing.join().expect("the release");
    assert_eq!(run.code, Some(0), "after {elapsed:?}: {}", run.describe());
    let validated = run.event("validated").unwrap();
    assert_eq!(validated["valid"], true, "{validated}");
    assert!(saved_token(dir.path(), "slow").is_some());
    // The point of the test: the run outlived its --timeout and still finished.
    assert!(
        elapsed > timeout,
        "the run took {elapsed:?}, within its --timeout"
    );
    sim.assert_fault_hits("/v1.0/organization", 1);
}

#[test]
fn a_keyring_that_fails_hands_the_token_to_the_file_store_with_store_fallback() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let without_keyring = || {
        let mut command = without_secret_service(onboard());
        command.arg("--config-dir").arg(dir.path());
        command
    };
    let mut args = sim_target(&sim);
    args.extend(["--profile".into(), "kept".into()]);

    // Without the fallback: exit 7, and the hint says how to keep the next sign-in's token.
    let run = invite_json_with(without_keyring(), &args, |code, _| {
        sim.approve(code);
    });
    assert_eq!(run.code, Some(7));
    let error = run.events().last().cloned().unwrap();
    let hint = error["hint"].as_str().unwrap();
    assert!(hint.contains("--store-fallback file"), "{hint}");
    assert!(hint.contains("was not kept"), "{hint}");
    assert!(!dir.path().join("profiles.json").exists());

    args.extend(["--store-fallback".into(), "file".into()]);
    let run = invite_json_with(without_keyring(), &args, |code, _| {
        sim.approve(code);
    });
    let stderr = run.stderr.as_str();
    assert!(run.code == Some(0), "{stderr}");
    assert!(stderr.contains("--store-fallback file"), "{stderr}");
    let signed_in: Value = run.event("signed_in").unwrap();
    assert_eq!(signed_in["store"], "file");
    assert!(saved_token(dir.path(), "kept").is_some());
    let profiles: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("profiles.json")).unwrap()).unwrap();
    assert_eq!(profiles["profiles"]["kept"]["store"], "file");
}
