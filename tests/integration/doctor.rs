//! `onboard doctor` against the simulated tenant: every check passes when all is well, and a
//! registration without public client flows, an unknown tenant and an unreachable keyring each
//! fail with their fix and exit code.

use std::process::Output;

use serde_json::{Value, json};

use crate::support::OutputWithin;
use crate::support::sim::TestSim;
use crate::support::{assert_exit, exits_with, onboard, stdout, without_secret_service};

fn doctor(sim: &TestSim, authority: &str, store: &str, extra_env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = onboard();
    command
        .args(["doctor", "--json", "--authority", authority, "--client-id"])
        .arg(&sim.info().client_id)
        .args(["--store", store, "--config-dir"])
        .arg(dir.path());
    for (key, value) in extra_env {
        command.env(key, value);
    }
    command.output_within().unwrap()
}

fn checks(out: &Output) -> Vec<(String, String, Value)> {
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
                c["fix"].clone(),
            )
        })
        .collect()
}

fn status_of<'a>(checks: &'a [(String, String, Value)], name: &str) -> &'a (String, String, Value) {
    checks.iter().find(|c| c.0 == name).unwrap()
}

#[test]
fn every_check_passes_against_a_healthy_tenant_and_no_code_is_polled() {
    let sim = TestSim::start();
    let out = doctor(&sim, &sim.info().authority, "file", &[("HTTPS_PROXY", "")]);
    assert_exit(&out, 0);
    let checks = checks(&out);
    let names: Vec<&str> = checks.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "proxy",
            "dns",
            "authority",
            "clock",
            "tenant",
            "graph",
            "registration",
            "store"
        ]
    );
    for (name, status, _) in &checks {
        assert_eq!(status, "ok", "{name}");
    }
    let requests = sim.requests();
    assert!(
        requests
            .iter()
            .any(|r| r["path"].as_str().unwrap().ends_with("/devicecode"))
    );
    assert!(
        !requests
            .iter()
            .any(|r| r["path"].as_str().unwrap().ends_with("/token")),
        "the device code is never polled"
    );
}

#[test]
fn a_registration_without_public_client_flows_is_exit_6_with_the_setting_to_turn_on() {
    let sim = TestSim::start();
    sim.control("/tenant", json!({"public_client": false}));
    let out = doctor(&sim, &sim.info().authority, "file", &[]);
    assert_eq!(out.status.code(), Some(6));
    let checks = checks(&out);
    let registration = status_of(&checks, "registration");
    assert_eq!(registration.1, "fail");
    assert!(
        registration
            .2
            .as_str()
            .unwrap()
            .contains("Allow public client flows")
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("onboard: error:"));
}

#[test]
fn an_unknown_tenant_is_exit_2_and_the_registration_is_skipped() {
    let sim = TestSim::start();
    let authority = sim.url("/unknown.example.com/v2.0");
    let out = doctor(&sim, &authority, "file", &[]);
    assert_eq!(out.status.code(), Some(2));
    let checks = checks(&out);
    assert_eq!(status_of(&checks, "authority").1, "ok");
    assert_eq!(status_of(&checks, "tenant").1, "fail");
    assert_eq!(status_of(&checks, "registration").1, "skip");
}

#[test]
fn an_unreachable_keyring_is_exit_7_in_text_with_a_fix() {
    let sim = TestSim::start();
    let dir = tempfile::tempdir().unwrap();
    let mut command = without_secret_service(onboard());
    command
        .args(["doctor", "--authority", &sim.info().authority])
        .args(["--client-id", &sim.info().client_id])
        .args(["--store", "keyring", "--config-dir"])
        .arg(dir.path());
    let text = stdout(&exits_with(&mut command, 7));
    assert!(text.contains("✓ registration: "), "{text}");
    assert!(text.contains("✗ store: "), "{text}");
    assert!(text.contains("    fix: "), "{text}");
    assert!(text.ends_with("8 checks, 1 failed\n"), "{text}");
}
