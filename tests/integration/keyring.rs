//! The real binary with its default store, the OS keyring, on a private Secret Service: the
//! wizard saves there, validate rotates there, export reads there, remove deletes there; and a
//! missing keyring is exit 7 with a way out, without losing the sign-in's token silently.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::OutputWithin;
use crate::support::keyring::{keyring_services, secret_service};
use crate::support::onboard;
use crate::support::onboarded::{invite_json_with, sim_target};
use crate::support::sim::TestSim;

fn on_bus(bus: &str, dir: &TempDir) -> std::process::Command {
    let mut command = onboard();
    command
        .arg("--config-dir")
        .arg(dir.path())
        .env("DBUS_SESSION_BUS_ADDRESS", bus);
    command
}

#[test]
fn the_keyring_holds_the_credential_from_invite_to_remove() {
    let keyring = secret_service();
    let bus = keyring.bus_address.as_str();
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let run = invite_json_with(on_bus(bus, &dir), &sim_target(&sim), |code, _| {
        sim.approve(code);
    });
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let events = run.events();
    let profile = events[1]["profile"].as_str().unwrap().to_string();
    assert_eq!(events[1]["store"], "keyring");
    assert!(
        !dir.path().join("credentials").exists(),
        "nothing in plaintext"
    );
    assert_eq!(
        keyring_services(bus, &[("username", &profile)]),
        vec!["onboard".to_string()],
        "one keyring entry under the service 'onboard'"
    );

    // Rotation is saved in the keyring: with reuse refused, a second validate only works if
    // the first one stored the new refresh token.
    sim.control("/tenant", json!({"reuse_refresh_token": "refuse"}));
    for _round in 1..=2 {
        let out = crate::support::exits_with(on_bus(bus, &dir).args(["validate", "--json"]), 0);
        let result: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(result["valid"], true);
    }

    let exported = on_bus(bus, &dir).arg("export").output_within().unwrap();
    assert!(exported.status.success());
    let credential: Value = serde_json::from_slice(&exported.stdout).unwrap();
    assert_eq!(credential["profile"], profile.as_str());

    let removed = on_bus(bus, &dir)
        .args(["remove", &profile, "--yes"])
        .output_within()
        .unwrap();
    assert!(removed.status.success());
    assert!(
        keyring_services(bus, &[("username", &profile)]).is_empty(),
        "deleted from the keyring"
    );
}

#[test]
fn without_a_keyring_invite_ends_with_exit_7_and_the_file_store_way_out() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let started = Instant::now();
    let run = invite_json_with(
        on_bus(crate::support::NO_SECRET_SERVICE, &dir),
        &sim_target(&sim),
        |code, _| {
            sim.approve(code);
        },
    );
    assert_eq!(run.code, Some(7), "{}", run.describe());
    let events = run.events();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no hang: {:?}",
        started.elapsed()
    );
    let error = events.last().unwrap();
    assert_eq!(error["event"], "error");
    assert!(
        error["hint"].as_str().unwrap().contains("--store file"),
        "{error}"
    );
    assert!(
        !dir.path().join("profiles.json").exists(),
        "no profile without its credential"
    );
}
