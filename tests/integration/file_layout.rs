//! The local layout that keeps the cost of one save independent of the number of profiles:
//! one credential file per profile, one validation record per profile, `profiles.json`
//! untouched by validation; and the single `credentials.json` of earlier versions migrated on
//! first use by the real binary.

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::OutputWithin;
use crate::support::onboarded::{
    credential_file, credentials_dir, many, onboard_at, profiles_json, run_ok, saved_token,
};
use crate::support::sim::TestSim;

#[test]
fn validate_all_leaves_profiles_json_and_the_other_credentials_alone() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    many(&sim, dir.path(), &["a", "b", "c"]);
    let profiles_before = std::fs::read(profiles_json(dir.path())).unwrap();
    let b_before = std::fs::read(credential_file(dir.path(), "b")).unwrap();

    let mut validate = onboard_at(dir.path());
    validate.args(["validate", "--profile", "a"]);
    run_ok(validate);
    assert_eq!(
        std::fs::read(credential_file(dir.path(), "b")).unwrap(),
        b_before,
        "saving a's rotated token does not rewrite b's file"
    );

    let mut validate = onboard_at(dir.path());
    validate.args(["validate", "--all"]);
    run_ok(validate);
    assert_eq!(
        std::fs::read(profiles_json(dir.path())).unwrap(),
        profiles_before,
        "the last validations are recorded without rewriting profiles.json"
    );
    let list = onboard_at(dir.path())
        .args(["list", "--json"])
        .output_within()
        .unwrap();
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    for profile in list["profiles"].as_array().unwrap() {
        assert_eq!(profile["last_validation"]["valid"], true, "{profile}");
    }
}

#[test]
fn the_single_credentials_file_of_earlier_versions_is_migrated_on_first_use() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    many(&sim, dir.path(), &["old-a", "old-b"]);
    // One validation each first, so that each saved token is one that was never used (old-b's
    // first token came from redeeming old-a's).
    let out = onboard_at(dir.path())
        .args(["validate", "--all"])
        .output_within()
        .unwrap();
    assert!(out.status.success());
    // Back to the earlier layout: every token in credentials.json, no credential files.
    let legacy = json!({
        "version": 1,
        "credentials": {
            "old-a": {"refresh_token": saved_token(dir.path(), "old-a").unwrap().expose()},
            "old-b": {"refresh_token": saved_token(dir.path(), "old-b").unwrap().expose()},
        }
    });
    std::fs::remove_dir_all(credentials_dir(dir.path())).unwrap();
    let legacy_path = dir.path().join("credentials.json");
    std::fs::write(&legacy_path, legacy.to_string()).unwrap();
    sim.control("/tenant", json!({"reuse_refresh_token": "refuse"}));

    for _round in 1..=2 {
        crate::support::exits_with(onboard_at(dir.path()).args(["validate", "--all"]), 0);
    }
    assert!(!legacy_path.exists(), "the old file is gone once migrated");
    assert!(saved_token(dir.path(), "old-a").is_some());
    assert!(saved_token(dir.path(), "old-b").is_some());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&credentials_dir(dir.path())), 0o700);
        assert_eq!(mode(&credential_file(dir.path(), "old-a")), 0o600);
    }
}
