//! `--store vault` against a real OpenBao dev server and the simulated tenant: a technician's
//! invite is at once usable by CI on another machine, concurrent rotations lose nothing, and a
//! vault that refuses, is sealed, restarts or speaks TLS with a private CA gives exit 7 with a
//! fix.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::onboarded::{invite_json_with, sim_target};
use crate::support::sim::TestSim;
use crate::support::vault::TestVault;

const PROFILE: &str = "contoso";

/// `invite --store vault` from `machine`'s config dir, the user approving the code.
fn invite(sim: &TestSim, vault: &TestVault, machine: &Path) -> Value {
    let mut args = sim_target(sim);
    args.extend(["--profile".to_string(), PROFILE.to_string()]);
    let control = sim.control_client();
    let run = invite_json_with(vault.onboard(machine), &args, |code, _| {
        let (status, answer) = control.post("/approve", json!({ "user_code": code }));
        assert_eq!(status, 200, "{answer}");
    });
    assert_eq!(
        run.code,
        Some(0),
        "invite --store vault failed: {}",
        run.describe()
    );
    run.event("signed_in").expect("a signed_in event")
}

fn run(mut command: std::process::Command, args: &[&str]) -> Output {
    command.args(args).output().expect("onboard runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The policy README tells administrators to grant.
fn readme_policy() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```hcl\n")
        .expect("README shows the vault policy")
        + "```hcl\n".len();
    let end = start + readme[start..].find("```").unwrap();
    readme[start..end].to_owned()
}

#[test]
fn a_technicians_invite_is_validated_by_ci_through_the_vault() {
    let sim = TestSim::start();
    let vault = TestVault::start();
    let technician = tempfile::tempdir().unwrap();
    let ci = tempfile::tempdir().unwrap();

    let signed_in = invite(&sim, &vault, technician.path());
    assert_eq!(signed_in["store"], "vault");
    let (invited, version) = vault
        .credential(PROFILE)
        .expect("the token is in the vault");
    // Nothing of it lands on the technician's disk.
    assert!(!technician.path().join("profiles.json").exists());
    assert!(!technician.path().join("credentials.json").exists());

    // CI, another machine with nothing local and a token with README's policy, sees the
    // profile and validates it.
    let policy = readme_policy();
    let ci_token = vault.token_with_policy("onboard-ci", &policy);
    let ci_onboard = || vault.onboard_as(&ci_token, ci.path());
    let list = run(ci_onboard(), &["list", "--json"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let listed: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(listed["profiles"][0]["profile"], PROFILE);
    assert_eq!(listed["profiles"][0]["store"], "vault");

    sim.control("/tenant", json!({ "reuse_refresh_token": "refuse" }));
    let validate = run(ci_onboard(), &["validate", "--all", "--json"]);
    assert!(validate.status.success(), "{}", stderr(&validate));
    let results: Value = serde_json::from_slice(&validate.stdout).unwrap();
    assert_eq!(results["valid"], 1, "{results}");
    // The rotated token went back to the vault, as the next version.
    let (rotated, rotated_version) = vault.credential(PROFILE).unwrap();
    assert_ne!(rotated, invited);
    assert_eq!(rotated_version, version + 1);
    // The technician's machine uses the token CI rotated (the old one is refused now).
    let again = run(
        vault.onboard(technician.path()),
        &["validate", "--profile", PROFILE],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    // ... and sees CI's validation.
    let list = run(vault.onboard(technician.path()), &["list", "--json"]);
    let listed: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(listed["profiles"][0]["last_validation"]["valid"], true);

    // export prints the vault's current token.
    let export = run(ci_onboard(), &["export", "--profile", PROFILE]);
    assert!(export.status.success(), "{}", stderr(&export));
    let exported: Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(
        exported["refresh_token"].as_str(),
        Some(vault.credential(PROFILE).unwrap().0.as_str())
    );

    // remove deletes both entries for everyone.
    let remove = run(ci_onboard(), &["remove", PROFILE, "--yes"]);
    assert!(remove.status.success(), "{}", stderr(&remove));
    assert_eq!(vault.credential(PROFILE), None);
    let list = run(vault.onboard(technician.path()), &["list", "--json"]);
    let listed: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(listed["profiles"], json!([]));
}

#[test]
fn two_machines_validating_one_profile_at_once_lose_no_token() {
    let sim = TestSim::start();
    let vault = TestVault::start();
    let machines = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    invite(&sim, &vault, machines[0].path());
    let (_, invited_version) = vault.credential(PROFILE).unwrap();
    // A used refresh token is refused: a run that saved an older token would lock the
    // profile out.
    sim.control("/tenant", json!({ "reuse_refresh_token": "refuse" }));

    let children: Vec<_> = (0..20)
        .map(|i| {
            vault
                .onboard(machines[i % 2].path())
                .args(["validate", "--profile", PROFILE, "--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("onboard starts")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "a concurrent validate failed: {}",
            stderr(&output)
        );
    }
    // Twenty rotations, each saved over the one before it: one version each.
    let (_, version) = vault.credential(PROFILE).unwrap();
    assert_eq!(version, invited_version + 20);
    // The saved token is the newest: it still works with reuse refused.
    let after = run(
        vault.onboard(machines[1].path()),
        &["validate", "--profile", PROFILE],
    );
    assert!(after.status.success(), "{}", stderr(&after));
}

#[test]
fn a_policy_that_forbids_writes_is_exit_7_and_leaves_the_credential() {
    let sim = TestSim::start();
    let vault = TestVault::start();
    let dir = tempfile::tempdir().unwrap();
    invite(&sim, &vault, dir.path());
    let before = vault.credential(PROFILE).unwrap();
    let read_only = vault.token_with_policy(
        "onboard-read-only",
        r#"path "secret/data/onboard/*" { capabilities = ["read"] }
           path "secret/metadata/onboard/*" { capabilities = ["read", "list"] }"#,
    );

    let output = run(
        vault.onboard_as(&read_only, dir.path()),
        &["validate", "--profile", PROFILE],
    );
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    let text = stderr(&output) + &String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("refused to write"), "{text}");
    assert!(text.contains("policy"), "{text}");
    assert!(!text.contains(&read_only), "the vault token leaked: {text}");
    assert_eq!(
        vault.credential(PROFILE),
        Some(before),
        "the credential changed"
    );

    // A token the vault does not know at all: exit 7 before anything is sent to the tenant.
    let requests = sim.requests().len();
    let output = run(vault.onboard_as("not-a-token", dir.path()), &["list"]);
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("VAULT_TOKEN"),
        "{}",
        stderr(&output)
    );
    assert_eq!(sim.requests().len(), requests);
}

#[test]
fn a_vault_restarted_mid_run_is_named_as_such() {
    let sim = TestSim::start();
    let mut vault = TestVault::start();
    let dir = tempfile::tempdir().unwrap();
    invite(&sim, &vault, dir.path());
    // The token request takes 4 s; the vault restarts (and forgets) meanwhile.
    sim.control(
        "/fault",
        json!({ "path": "/oauth2/v2.0/token", "delay_ms": 4000, "count": 1 }),
    );
    let before = sim.requests().len();
    let child = vault
        .onboard(dir.path())
        .args(["validate", "--profile", PROFILE])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sim.requests()[before..]
        .iter()
        .any(|r| r["path"].as_str().is_some_and(|p| p.ends_with("/token")))
    {
        assert!(
            Instant::now() < deadline,
            "validate never asked for a token"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    vault.restart();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    let text = stderr(&output) + &String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("lost its data"), "{text}");
    assert!(text.contains("restarted"), "{text}");
}

#[test]
fn a_sealed_vault_and_a_missing_mount_say_what_to_do() {
    let vault = TestVault::start();
    let dir = tempfile::tempdir().unwrap();

    let output = run(vault.onboard(dir.path()), &["list", "--vault-mount", "kv"]);
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--vault-mount"),
        "{}",
        stderr(&output)
    );

    let (status, body) = vault.api("PUT", "sys/seal", None);
    assert_eq!(status, 204, "{body}");
    let output = run(vault.onboard(dir.path()), &["list"]);
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("is sealed"), "{text}");
    assert!(text.contains("unseal"), "{text}");
    assert_eq!(
        text.trim().lines().count(),
        2,
        "one line and its hint: {text}"
    );
}

#[test]
fn a_vault_with_a_private_ca_needs_vault_cacert() {
    let vault = TestVault::start_tls();
    let dir = tempfile::tempdir().unwrap();

    let output = run(vault.onboard(dir.path()), &["list"]);
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    assert!(stderr(&output).contains("TLS"), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("VAULT_CACERT"),
        "{}",
        stderr(&output)
    );

    let mut command = vault.onboard(dir.path());
    command.env("VAULT_CACERT", vault.ca_file());
    let output = run(command, &["list", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed["profiles"], json!([]));
}

#[test]
fn without_an_address_or_a_token_the_vault_store_says_which_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = crate::support::onboard();
    for var in ["VAULT_ADDR", "VAULT_TOKEN", "BAO_ADDR", "BAO_TOKEN"] {
        command.env_remove(var);
    }
    command.arg("--config-dir").arg(dir.path());
    let output = run(command, &["list", "--store", "vault"]);
    assert_eq!(output.status.code(), Some(7));
    assert!(
        stderr(&output).contains("VAULT_ADDR"),
        "{}",
        stderr(&output)
    );

    let mut command = crate::support::onboard();
    command
        .env_remove("VAULT_TOKEN")
        .env_remove("BAO_TOKEN")
        .env("VAULT_ADDR", "http://127.0.0.1:1")
        .arg("--config-dir")
        .arg(dir.path());
    let output = run(command, &["list", "--store", "vault"]);
    assert_eq!(output.status.code(), Some(7));
    assert!(
        stderr(&output).contains("VAULT_TOKEN"),
        "{}",
        stderr(&output)
    );
}

/// A profile in the vault names the server its refresh token goes to, and whoever can write
/// the vault's profiles can change it: one that is not a Microsoft cloud is refused (exit 2,
/// before any request reaches it) unless the machine running `onboard` allows that server.
#[test]
fn a_vault_profile_at_a_server_this_machine_does_not_allow_is_refused() {
    let sim = TestSim::start();
    let vault = TestVault::start();
    let technician = tempfile::tempdir().unwrap();
    let ci = tempfile::tempdir().unwrap();
    // The technician named the simulated tenant on their own command line: allowed there.
    let mut args = sim_target(&sim);
    args.extend(["--profile".to_string(), PROFILE.to_string()]);
    let control = sim.control_client();
    let mut command = vault.onboard(technician.path());
    command.env_remove("ONBOARD_ALLOW_AUTHORITY");
    let run_invite = invite_json_with(command, &args, |code, _| {
        control.post("/approve", json!({ "user_code": code }));
    });
    assert_eq!(run_invite.code, Some(0), "{}", run_invite.describe());

    let (token, _) = vault.credential(PROFILE).unwrap();
    let before = sim.requests().len();
    for args in [
        vec!["validate", "--all", "--json"],
        vec!["validate", "--profile", PROFILE],
        vec!["token", "--profile", PROFILE],
    ] {
        let mut command = vault.onboard(ci.path());
        command.env_remove("ONBOARD_ALLOW_AUTHORITY");
        let output = run(command, &args);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            stderr(&output)
        );
        assert_eq!(output.status.code(), Some(2), "{args:?}: {said}");
        assert!(
            said.contains("authority_not_allowed") || said.contains("not a Microsoft cloud"),
            "{args:?}: {said}"
        );
        if !args.contains(&"--json") {
            assert!(said.contains("--allow-authority"), "{said}");
        }
    }
    assert_eq!(
        sim.requests().len(),
        before,
        "nothing was sent to the server"
    );
    assert_eq!(vault.credential(PROFILE).unwrap().0, token);

    // Allowed by this machine, by host (any port) or by host and port.
    let port_host = sim
        .info()
        .authority
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    for allowed in ["127.0.0.1", port_host.as_str()] {
        let mut command = vault.onboard(ci.path());
        command.env_remove("ONBOARD_ALLOW_AUTHORITY");
        let output = run(
            command,
            &[
                "--allow-authority",
                allowed,
                "validate",
                "--profile",
                PROFILE,
            ],
        );
        assert!(output.status.success(), "{allowed}: {}", stderr(&output));
    }
    // Another server on the list does not allow this one.
    let mut command = vault.onboard(ci.path());
    command.env("ONBOARD_ALLOW_AUTHORITY", "idp.example.com,127.0.0.1:1");
    let output = run(command, &["validate", "--profile", PROFILE]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}
