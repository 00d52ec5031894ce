//! Many processes on one profile at once: with an identity provider that refuses a reused
//! refresh token, 20 concurrent `validate --profile p` must all succeed (each waits for the
//! profile's lock, then loads the token the one before it rotated), and the saved token must be
//! the newest one the tenant issued. For the file store and the keyring store (a real Secret
//! Service on a private D-Bus session).

use std::process::{Command, Output, Stdio};

use onboard::simulate::Settings;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::json_of;
use crate::support::keyring::secret_service;
use crate::support::onboard;
use crate::support::onboarded::{invite, invite_json_with, onboard_at, run_ok, sim_target};
use crate::support::schema::{JsonOutput, parsed};
use crate::support::sim::TestSim;

const PROCESSES: usize = 20;

/// A tenant with some latency, so that the processes overlap; each test then makes it refuse
/// reused refresh tokens.
fn refusing_tenant() -> TestSim {
    TestSim::with(Settings {
        interval_secs: 1,
        latency_ms: 20,
        ..Settings::default()
    })
}

/// Starts `PROCESSES` copies of `command()` at once and waits for all of them.
fn all_at_once(command: impl Fn() -> Command) -> Vec<Output> {
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            crate::support::Reaped::new(
                command()
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("onboard starts"),
            )
        })
        .collect();
    children
        .into_iter()
        .map(crate::support::Reaped::wait_with_output)
        .collect()
}

fn assert_all_valid(outputs: &[Output]) {
    let failed: Vec<String> = outputs
        .iter()
        .filter(|o| !o.status.success())
        .map(|o| {
            format!(
                "{}: {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {PROCESSES} validates failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
    for out in outputs {
        let result = json_of(out, JsonOutput::Validate);
        assert_eq!(result["valid"], true, "{result}");
    }
}

/// The refresh token the tenant issued last.
fn newest_issued(sim: &TestSim) -> String {
    let tokens = sim.issued();
    tokens["refresh_tokens"]
        .as_array()
        .and_then(|t| t.last())
        .and_then(Value::as_str)
        .expect("refresh tokens were issued")
        .to_owned()
}

/// What `onboard export` reads from the profile's store.
fn exported_token(mut command: Command, profile: &str) -> String {
    command.args(["export", "--profile", profile]);
    let credential = parsed(&run_ok(command).stdout, JsonOutput::Export);
    credential["refresh_token"].as_str().unwrap().to_owned()
}

#[test]
fn twenty_validates_of_one_profile_in_the_file_store_all_succeed() {
    let sim = refusing_tenant();
    let dir = TempDir::new().unwrap();
    invite(&sim, dir.path(), "p");
    sim.control("/tenant", json!({"reuse_refresh_token": "refuse"}));

    let outputs = all_at_once(|| {
        let mut command = onboard_at(dir.path());
        command.args(["validate", "--profile", "p", "--json"]);
        command
    });
    assert_all_valid(&outputs);
    assert_eq!(
        exported_token(onboard_at(dir.path()), "p"),
        newest_issued(&sim),
        "the saved token is the newest one"
    );
}

#[test]
fn twenty_validates_of_one_profile_in_the_keyring_all_succeed() {
    let keyring = secret_service();
    let bus = keyring.bus_address.clone();
    let sim = refusing_tenant();
    let dir = TempDir::new().unwrap();
    let on_bus = || {
        let mut command = onboard();
        command
            .arg("--config-dir")
            .arg(dir.path())
            .env("DBUS_SESSION_BUS_ADDRESS", &bus);
        command
    };
    let mut args = sim_target(&sim);
    args.extend(["--profile".into(), "race".into()]);
    let run = invite_json_with(on_bus(), &args, |code, _| {
        sim.approve(code);
    });
    assert!(run.code == Some(0), "{}", run.stderr.as_str());
    sim.control("/tenant", json!({"reuse_refresh_token": "refuse"}));

    let outputs = all_at_once(|| {
        let mut command = on_bus();
        command.args(["validate", "--profile", "race", "--json"]);
        command
    });
    assert_all_valid(&outputs);
    assert_eq!(
        exported_token(on_bus(), "race"),
        newest_issued(&sim),
        "the saved token is the newest one"
    );
}
