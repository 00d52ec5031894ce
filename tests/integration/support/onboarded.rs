//! A profile signed in through the real wizard (non-interactive) against a `TestSim`, with the
//! plaintext file store in a temporary config directory.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::{Value, json};

use super::onboard;
use super::sim::TestSim;

/// `onboard` with the simulator's authority and a private config dir, using the file store.
pub fn onboard_at(config_dir: &Path) -> std::process::Command {
    let mut command = onboard();
    command
        .arg("--config-dir")
        .arg(config_dir)
        .args(["--store", "file"]);
    command
}

/// The invite arguments that name the simulated tenant.
pub fn sim_target(sim: &TestSim) -> Vec<String> {
    let info = sim.info();
    vec![
        "--authority".into(),
        info.authority.clone(),
        "--tenant".into(),
        info.tenant.clone(),
        "--client-id".into(),
        info.client_id.clone(),
        "--account".into(),
        info.account.clone(),
    ]
}

/// Runs `invite --non-interactive --json` and lets `on_code` act for the user on every code;
/// returns the process output with stdout's events parsed.
pub fn invite_json(
    config_dir: &Path,
    args: &[String],
    on_code: impl FnMut(&str, u64),
) -> (Output, Vec<Value>) {
    invite_json_with(onboard_at(config_dir), args, on_code)
}

/// `invite_json` with a command prepared by the caller (another store, environment, ...).
pub fn invite_json_with(
    mut command: std::process::Command,
    args: &[String],
    mut on_code: impl FnMut(&str, u64),
) -> (Output, Vec<Value>) {
    let mut child = command
        .args(["invite", "--non-interactive", "--json"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("onboard starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut events = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("utf-8 events");
        let event: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carries only JSON events, got {line:?}: {e}"));
        if event["event"] == "device_code" {
            on_code(
                event["user_code"].as_str().expect("user_code"),
                event["attempt"].as_u64().expect("attempt"),
            );
        }
        events.push(event);
    }
    let output = child.wait_with_output().expect("onboard ends");
    (output, events)
}

/// A profile onboarded as the service account; returns its name.
pub fn onboard_profile(sim: &TestSim, config_dir: &Path) -> String {
    let (output, events) = invite_json(config_dir, &sim_target(sim), |code, _| {
        let (status, body) = sim.control("/approve", json!({"user_code": code}));
        assert_eq!(status, 200, "{body}");
    });
    assert!(
        output.status.success(),
        "invite failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let signed_in = events
        .iter()
        .find(|e| e["event"] == "signed_in")
        .expect("a signed_in event");
    signed_in["profile"].as_str().expect("profile").to_string()
}

pub fn profiles_json(config_dir: &Path) -> PathBuf {
    config_dir.join("profiles.json")
}
