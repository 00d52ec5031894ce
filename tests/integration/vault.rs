//! `--store vault` against a real OpenBao dev server and the simulated tenant: a technician's
//! invite is at once usable by CI on another machine, concurrent rotations lose nothing, and a
//! vault that refuses, is sealed, restarts or speaks TLS with a private CA gives exit 7 with a
//! fix.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use crate::support::OutputWithin;
use crate::support::json_of;
use crate::support::onboarded::{invite_json_with, sim_target};
use crate::support::schema::JsonOutput;
use crate::support::sim::TestSim;
use crate::support::stderr;
use crate::support::vault::TestVault;

const PROFILE: &str = "contoso";

/// `invite --store vault` from `machine`'s config dir, the user approving the code.
fn invite(sim: &TestSim, vault: &TestVault, machine: &Path) -> Value {
    let mut args = sim_target(sim);
    args.extend(["--profile".to_string(), PROFILE.to_string()]);
    let control = sim.control_client();
    let run = invite_json_with(vault.onboard(machine), &args, |code, _| {
        control.approve(code);
    });
    assert_eq!(
        run.code,
        Some(0),
        "invite --store vault failed: {}",
        run.describe()
    );
    run.event("signed_in").expect("a signed_in event")
}

/// A simulated tenant, a vault, and a machine whose profile [`PROFILE`] is saved in the vault.
fn onboarded() -> (TestSim, TestVault, tempfile::TempDir) {
    let sim = TestSim::start();
    let vault = TestVault::start();
    let dir = tempfile::tempdir().unwrap();
    invite(&sim, &vault, dir.path());
    (sim, vault, dir)
}

fn run(mut command: std::process::Command, args: &[&str]) -> Output {
    command.args(args).output_within().expect("onboard runs")
}

/// The policy docs/vault.md tells administrators to grant.
fn documented_policy() -> String {
    let page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/vault.md")).unwrap();
    let start = page
        .find("```hcl\n")
        .expect("docs/vault.md shows the vault policy")
        + "```hcl\n".len();
    let end = start + page[start..].find("```").unwrap();
    page[start..end].to_owned()
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

    // CI, another machine with nothing local and a token with the documented policy, sees the
    // profile and validates it.
    let policy = documented_policy();
    let ci_token = vault.token_with_policy("onboard-ci", &policy);
    let ci_onboard = || vault.onboard_as(&ci_token, ci.path());
    let list = run(ci_onboard(), &["list", "--json"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let listed = json_of(&list, JsonOutput::List);
    assert_eq!(listed["profiles"][0]["profile"], PROFILE);
    assert_eq!(listed["profiles"][0]["store"], "vault");

    sim.control("/tenant", json!({ "reuse_refresh_token": "refuse" }));
    let validate = run(ci_onboard(), &["validate", "--all", "--json"]);
    assert!(validate.status.success(), "{}", stderr(&validate));
    let results = json_of(&validate, JsonOutput::ValidateAll);
    assert_eq!(results["valid"], 1, "{results}");
    // The rotated token went back to the vault, in the next version of the profile's entry.
    let (rotated, _) = vault.credential(PROFILE).unwrap();
    assert_ne!(rotated, invited);
    let history = vault.token_history(PROFILE);
    assert!(history.contains(&(version, invited.clone())), "{history:?}");
    assert!(
        history.contains(&(version + 1, rotated.clone())),
        "{history:?}"
    );
    // The technician's machine uses the token CI rotated (the old one is refused now).
    let again = run(
        vault.onboard(technician.path()),
        &["validate", "--profile", PROFILE],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    // ... and sees CI's validation.
    let list = run(vault.onboard(technician.path()), &["list", "--json"]);
    let listed = json_of(&list, JsonOutput::List);
    assert_eq!(listed["profiles"][0]["last_validation"]["valid"], true);

    // export prints the vault's current token.
    let export = run(ci_onboard(), &["export", "--profile", PROFILE]);
    assert!(export.status.success(), "{}", stderr(&export));
    let exported = json_of(&export, JsonOutput::Export);
    assert_eq!(
        exported["refresh_token"].as_str(),
        Some(vault.credential(PROFILE).unwrap().0.as_str())
    );

    // remove deletes the entry for everyone.
    let remove = run(ci_onboard(), &["remove", PROFILE, "--yes"]);
    assert!(remove.status.success(), "{}", stderr(&remove));
    assert_eq!(vault.credential(PROFILE), None);
    let list = run(vault.onboard(technician.path()), &["list", "--json"]);
    let listed = json_of(&list, JsonOutput::List);
    assert_eq!(listed["profiles"], json!([]));
}

#[test]
fn two_machines_validating_one_profile_at_once_lose_no_token() {
    let sim = TestSim::start();
    let vault = TestVault::start();
    let machines = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    invite(&sim, &vault, machines[0].path());
    vault.keep_versions(100);
    let (invited, invited_version) = vault.credential(PROFILE).unwrap();
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
    // Twenty rotations, each saved over the one before it: the entry's versions hold 21
    // tokens in turn (a version that recorded a validation repeats the token before it), and
    // none comes back once replaced.
    let mut tokens: Vec<String> = vault
        .token_history(PROFILE)
        .into_iter()
        .filter(|(v, _)| *v >= invited_version)
        .map(|(_, token)| token)
        .collect();
    tokens.dedup();
    assert_eq!(tokens.first(), Some(&invited));
    assert_eq!(tokens.len(), 21, "{tokens:?}");
    let distinct: std::collections::HashSet<_> = tokens.iter().collect();
    assert_eq!(distinct.len(), 21, "an older token came back: {tokens:?}");
    // The saved token is the newest: it still works with reuse refused.
    let after = run(
        vault.onboard(machines[1].path()),
        &["validate", "--profile", PROFILE],
    );
    assert!(after.status.success(), "{}", stderr(&after));
}

#[test]
fn a_policy_that_forbids_writes_is_exit_7_and_leaves_the_credential() {
    let (sim, vault, dir) = onboarded();
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
    let (sim, mut vault, dir) = onboarded();
    // The token answer is held until the vault has restarted (and forgotten).
    sim.fault(json!({ "path": "/oauth2/v2.0/token", "hold": true }));
    let child = vault
        .onboard(dir.path())
        // Longer than any restart on a loaded machine: the held answer must not time out.
        .env("ONBOARD_HTTP_TIMEOUT", "300s")
        .args(["validate", "--profile", PROFILE])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let child = crate::support::Reaped::new(child);
    sim.wait_for_fault_hits("/token", 1);
    vault.restart();
    sim.release();
    let output = child.wait_with_output();
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
    let listed = json_of(&output, JsonOutput::List);
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

/// `onboard --store vault` with only `env` naming the vault (no VAULT_* variable).
fn onboard_with_env<V: AsRef<std::ffi::OsStr>>(
    vault: &TestVault,
    machine: &Path,
    env: &[(&str, V)],
) -> std::process::Command {
    let mut command = vault.onboard(machine);
    command.env_remove("VAULT_ADDR").env_remove("VAULT_TOKEN");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// `invite` of [`PROFILE`] through `command`, which must succeed.
fn invite_ok(sim: &TestSim, command: std::process::Command) {
    let mut args = sim_target(sim);
    args.extend(["--profile".to_string(), PROFILE.to_string()]);
    let invited = invite_json_with(command, &args, |code, _| {
        sim.approve(code);
    });
    assert_eq!(invited.code, Some(0), "{}", invited.describe());
}

#[test]
fn bao_addr_and_bao_token_name_the_vault_as_vault_addr_and_vault_token_do() {
    let sim = TestSim::start();
    let vault = TestVault::start();
    let dir = tempfile::tempdir().unwrap();
    let addr = vault.addr();
    let bao = [
        ("BAO_ADDR", addr.as_str()),
        ("BAO_TOKEN", crate::support::vault::ROOT_TOKEN),
    ];
    invite_ok(&sim, onboard_with_env(&vault, dir.path(), &bao));
    assert!(vault.credential(PROFILE).is_some(), "saved in the vault");
    // With neither spelling, the store is unavailable and the hint names both.
    let output = run(
        onboard_with_env::<&str>(&vault, dir.path(), &[]),
        &["validate", "--profile", PROFILE],
    );
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("set VAULT_ADDR (or BAO_ADDR)"),
        "{}",
        stderr(&output)
    );
}

/// The vault by its usual variables, with `ONBOARD_VAULT_PREFIX=teams/msp/`.
fn prefixed(vault: &TestVault) -> [(&'static str, String); 3] {
    [
        ("VAULT_ADDR", vault.addr()),
        ("VAULT_TOKEN", crate::support::vault::ROOT_TOKEN.to_owned()),
        ("ONBOARD_VAULT_PREFIX", "teams/msp/".to_owned()),
    ]
}

#[test]
fn onboard_vault_prefix_moves_every_entry_under_it() {
    let sim = TestSim::start();
    let vault = TestVault::start();
    let dir = tempfile::tempdir().unwrap();
    invite_ok(
        &sim,
        onboard_with_env(&vault, dir.path(), &prefixed(&vault)),
    );
    let (status, body) = vault.api(
        "GET",
        &format!("secret/data/teams/msp/profiles/{PROFILE}"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["data"]["refresh_token"].is_string());
    assert!(
        vault.credential(PROFILE).is_none(),
        "nothing under the default prefix"
    );
    // A run without the prefix does not see the profile.
    let output = run(
        vault.onboard(dir.path()),
        &["validate", "--profile", PROFILE],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let output = run(
        onboard_with_env(&vault, dir.path(), &prefixed(&vault)),
        &["validate", "--profile", PROFILE],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn vault_namespace_puts_the_entries_in_that_namespace() {
    let sim = TestSim::start();
    let vault = TestVault::start();
    let (status, body) = vault.api("POST", "sys/namespaces/team", Some(json!({})));
    assert!(status == 200 || status == 204, "{status} {body}");
    let (status, body) = vault.api_in(
        "team",
        "POST",
        "sys/mounts/secret",
        Some(json!({"type": "kv", "options": {"version": "2"}})),
    );
    assert!(status == 200 || status == 204, "{status} {body}");
    let dir = tempfile::tempdir().unwrap();
    let mut command = vault.onboard(dir.path());
    command.env("VAULT_NAMESPACE", "team");
    invite_ok(&sim, command);
    let (status, body) = vault.api_in(
        "team",
        "GET",
        &format!("secret/data/onboard/profiles/{PROFILE}"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["data"]["refresh_token"].is_string(), "{body}");
    assert!(
        vault.credential(PROFILE).is_none(),
        "nothing in the root namespace"
    );
}

/// Another run saves a newer token while this one is redeeming its own: the check-and-set
/// write fails, and the newer token is kept, not overwritten.
#[test]
fn a_check_and_set_conflict_keeps_the_other_runs_newer_token() {
    let (sim, vault, dir) = onboarded();
    let (_, version) = vault.credential(PROFILE).unwrap();
    let child = validate_held_at_the_token(&sim, &vault, &dir, &["-v"]);
    // Another run rotates the token: it writes the whole entry, its profile unchanged.
    another_run_writes(&vault, |entry| {
        entry["refresh_token"] = json!("newer-from-another-run");
    });
    sim.release();
    let output = child.wait_with_output();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("newer refresh token"),
        "{}",
        stderr(&output)
    );
    // Kept, and this run's validation recorded beside it.
    let history = vault.token_history(PROFILE);
    assert!(
        history
            .iter()
            .all(|(v, token)| *v <= version || token == "newer-from-another-run"),
        "the other run's token is kept: {history:?}"
    );
    assert!(history.last().unwrap().0 > version, "{history:?}");
    let list = run(vault.onboard(dir.path()), &["list", "--json"]);
    let listed = json_of(&list, JsonOutput::List);
    assert_eq!(listed["profiles"][0]["last_validation"]["valid"], true);
}

/// Another run records a validation in the profile's entry while this one is redeeming its
/// token: the check-and-set write of the rotated token fails, and as the other run left the
/// token as it was, the rotated token is written over its change rather than dropped.
#[test]
fn a_validation_recorded_meanwhile_does_not_keep_the_rotated_token_out() {
    let (sim, vault, dir) = onboarded();
    let (before, _) = vault.credential(PROFILE).unwrap();
    // A used refresh token is refused: if the rotated one were dropped, the next run fails.
    sim.control("/tenant", json!({ "reuse_refresh_token": "refuse" }));
    let child = validate_held_at_the_token(&sim, &vault, &dir, &[]);
    another_run_writes(&vault, |entry| {
        entry["last_validation"] = json!({
            "at": "2026-01-01T00:00:00Z", "valid": false, "exit_code": 5, "code": "network",
        });
    });
    sim.release();
    let output = child.wait_with_output();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (rotated, _) = vault.credential(PROFILE).unwrap();
    assert_ne!(rotated, before, "the rotated token was not saved");
    let again = run(
        vault.onboard(dir.path()),
        &["validate", "--profile", PROFILE],
    );
    assert!(again.status.success(), "{}", stderr(&again));
}

/// `onboard [global] validate --profile PROFILE` in the background, its token request held
/// by the simulated tenant until `sim.release()`.
fn validate_held_at_the_token(
    sim: &TestSim,
    vault: &TestVault,
    dir: &tempfile::TempDir,
    global: &[&str],
) -> crate::support::Reaped {
    sim.fault(json!({ "path": "/oauth2/v2.0/token", "hold": true }));
    let mut command = vault.onboard(dir.path());
    command
        .args(global)
        .args(["validate", "--profile", PROFILE])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = crate::support::Reaped::new(command.spawn().unwrap());
    sim.wait_for_fault_hits("/token", 1);
    child
}

/// Another run writes PROFILE's whole entry, as `change` leaves it.
fn another_run_writes(vault: &TestVault, change: impl FnOnce(&mut Value)) {
    let path = format!("secret/data/onboard/profiles/{PROFILE}");
    let mut entry = entry_of(vault, PROFILE);
    change(&mut entry);
    let (status, body) = vault.api("POST", &path, Some(json!({ "data": entry })));
    assert_eq!(status, 200, "{body}");
}

/// The profile's entry as the vault holds it now.
fn entry_of(vault: &TestVault, name: &str) -> Value {
    let (status, body) = vault.api("GET", &format!("secret/data/onboard/profiles/{name}"), None);
    assert_eq!(status, 200, "{body}");
    body["data"]["data"].clone()
}

/// A validation writes its success with the rotated token, before its Graph check: when the
/// run is interrupted before that check ends, the record before it is put back (with the new
/// token kept), so the vault never says that a check nobody finished succeeded.
#[cfg(unix)] // a SIGINT from another process
#[test]
fn an_interrupted_check_leaves_the_last_validation_as_it_was() {
    let (sim, vault, dir) = onboarded();
    let before = entry_of(&vault, PROFILE);
    let earlier = before["last_validation"].clone();
    assert_eq!(earlier["valid"], true, "{earlier}");
    sim.fault(json!({ "path": "/v1.0/me", "hold": true }));
    let mut command = vault.onboard(dir.path());
    command
        .args(["validate", "--profile", PROFILE])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = crate::support::Reaped::new(command.spawn().unwrap());
    sim.wait_for_fault_hits("/me", 1);
    // Written ahead with the rotated token, while the check still waits for Graph.
    let ahead = entry_of(&vault, PROFILE);
    assert_ne!(ahead["refresh_token"], before["refresh_token"]);
    assert_ne!(ahead["last_validation"], earlier);
    // SAFETY: kill with a pid this test started and has not reaped.
    let sent = unsafe { libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGINT) };
    assert_eq!(sent, 0);
    let output = child.wait_with_output();
    sim.release();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    let after = entry_of(&vault, PROFILE);
    assert_eq!(after["last_validation"], earlier);
    assert_eq!(
        after["refresh_token"], ahead["refresh_token"],
        "the rotated token is kept"
    );
}

/// A check that fails after its success was written with the rotated token records the failure.
#[test]
fn a_check_that_fails_after_the_refresh_records_its_failure() {
    let (sim, vault, dir) = onboarded();
    sim.fault(json!({
        "path": "/v1.0/me", "status": 403, "count": 1,
        "body": "{\"error\":{\"code\":\"Authorization_RequestDenied\",\"message\":\"Insufficient privileges.\"}}",
    }));
    let output = run(
        vault.onboard(dir.path()),
        &["validate", "--profile", PROFILE],
    );
    assert_ne!(output.status.code(), Some(0), "{}", stderr(&output));
    let after = entry_of(&vault, PROFILE);
    assert_eq!(
        after["last_validation"]["valid"], false,
        "{}",
        after["last_validation"]
    );
    // The next check succeeds, and says so.
    let output = run(
        vault.onboard(dir.path()),
        &["validate", "--profile", PROFILE],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(entry_of(&vault, PROFILE)["last_validation"]["valid"], true);
}

/// How a test writes profiles into the vault.
#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// One entry per profile, its token in it.
    Entry,
    /// The layout of earlier builds: the profile in `profiles/<name>`, its token in
    /// `credentials/<name>`.
    Earlier,
}

/// Profiles `names` in the vault beside [`PROFILE`], each a copy of it with a refresh token of
/// its own (one refresh grant each at the simulated tenant); [`PROFILE`] gets a fresh one too,
/// its own having been used for these grants. Returns the tokens, by name.
fn more_profiles(vault: &TestVault, names: &[String]) -> Vec<(String, String)> {
    more_profiles_in(vault, names, Layout::Entry)
}

fn more_profiles_in(vault: &TestVault, names: &[String], layout: Layout) -> Vec<(String, String)> {
    use onboard::authority::{Authority, discover};
    use onboard::http::{HttpOptions, RetryPolicy, build_client};
    use onboard::secret::Secret;

    let (status, body) = vault.api(
        "GET",
        &format!("secret/data/onboard/profiles/{PROFILE}"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let mut seed = body["data"]["data"].clone();
    let token = Secret::new(
        seed.as_object_mut()
            .unwrap()
            .remove("refresh_token")
            .expect("the token is in the profile's entry")
            .as_str()
            .unwrap(),
    );
    let client = build_client(&HttpOptions::default()).unwrap();
    let authority =
        Authority::custom(url::Url::parse(seed["authority"].as_str().unwrap()).unwrap());
    let client_id = seed["client_id"].as_str().unwrap().to_owned();
    let tokens: Vec<Secret> = crate::support::runtime().block_on(async {
        let endpoints = discover(&client, &authority).await.unwrap();
        let mut tokens = Vec::new();
        for _ in 0..=names.len() {
            let tokens_set = onboard::flow::refresh(
                &client,
                &endpoints,
                &client_id,
                &token,
                &[],
                RetryPolicy::default(),
            )
            .await
            .unwrap();
            tokens.push(tokens_set.refresh_token.expect("a rotated refresh token"));
        }
        tokens
    });
    let mut written = Vec::new();
    for (name, own) in names.iter().chain([&PROFILE.to_owned()]).zip(tokens) {
        let mut entries = Vec::new();
        if layout == Layout::Earlier && name != PROFILE {
            entries.push(("profiles", seed.clone()));
            entries.push(("credentials", json!({ "refresh_token": own.expose() })));
        } else {
            let mut entry = seed.clone();
            entry["refresh_token"] = json!(own.expose());
            entries.push(("profiles", entry));
        }
        for (kind, data) in entries {
            let (status, body) = vault.api(
                "POST",
                &format!("secret/data/onboard/{kind}/{name}"),
                Some(json!({ "data": data })),
            );
            assert_eq!(status, 200, "{body}");
        }
        written.push((name.clone(), own.expose().to_owned()));
    }
    written
}

#[test]
fn four_shards_at_once_validate_every_profile_exactly_once_and_lose_nothing() {
    let (sim, vault, dir) = onboarded();
    let mut names: Vec<String> = (1..=23).map(|i| format!("tenant-{i:02}")).collect();
    more_profiles(&vault, &names);
    names.push(PROFILE.to_owned());
    names.sort();
    let before: Vec<(String, u64)> = names.iter().map(|n| vault.credential(n).unwrap()).collect();
    // A refresh token used twice is refused: a profile validated by two shards would fail.
    sim.control("/tenant", json!({ "reuse_refresh_token": "refuse" }));

    let machines: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let children: Vec<_> = machines
        .iter()
        .enumerate()
        .map(|(i, machine)| {
            let shard = format!("{}/4", i + 1);
            let child = vault
                .onboard(machine.path())
                .args([
                    "validate", "--all", "--jobs", "4", "--json", "--shard", &shard,
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("onboard starts");
            (shard, crate::support::Reaped::new(child))
        })
        .collect();
    let mut validated = Vec::new();
    for (shard, child) in children {
        let output = child.wait_with_output();
        assert_eq!(
            output.status.code(),
            Some(0),
            "shard {shard}: {}{}",
            crate::support::stdout(&output),
            stderr(&output)
        );
        let all = json_of(&output, JsonOutput::ValidateAll);
        assert_eq!(all["shard"], shard.as_str());
        let results = all["results"].as_array().unwrap();
        assert!(results.len() < names.len(), "shard {shard} took everything");
        assert_eq!(all["valid"].as_u64(), Some(results.len() as u64), "{all}");
        validated.extend(
            results
                .iter()
                .map(|r| r["profile"].as_str().unwrap().to_owned()),
        );
    }
    validated.sort();
    assert_eq!(validated, names, "each profile in exactly one shard");
    // Each credential rotated exactly once and saved; each profile's validation recorded.
    for (name, (token, version)) in names.iter().zip(before) {
        let mut later: Vec<String> = vault
            .token_history(name)
            .into_iter()
            .filter(|(v, _)| *v > version)
            .map(|(_, token)| token)
            .collect();
        later.dedup();
        assert_eq!(later.len(), 1, "{name}: {later:?}");
        assert_ne!(later[0], token, "{name}");
    }
    let list = run(vault.onboard(dir.path()), &["list", "--json"]);
    let list = json_of(&list, JsonOutput::List);
    let profiles = list["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), names.len());
    for profile in profiles {
        assert_eq!(profile["last_validation"]["valid"], true, "{profile}");
        assert!(profile["lapses_at"].is_string(), "{profile}");
    }
}

/// How many vault requests `validate --all` makes per profile whose last validation succeeded,
/// counted by OpenBao's own audit log (a number that does not depend on the machine's load):
/// the profiles listed once, each profile's entry read once (profile and token together) and
/// written once by check-and-set, with the rotated token and the check's success.
#[test]
fn validate_all_makes_a_fixed_number_of_vault_requests_per_profile() {
    let sim = TestSim::start();
    let vault = TestVault::start_audited();
    let dir = tempfile::tempdir().unwrap();
    invite(&sim, &vault, dir.path());
    let names: Vec<String> = (1..=11).map(|i| format!("tenant-{i:02}")).collect();
    more_profiles(&vault, &names);
    let profiles = names.len() + 1;
    let before = vault.requests().len();
    let output = run(vault.onboard(dir.path()), &["validate", "--all", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (lists, ours) = vault_requests_since(&vault, before);
    let per_profile = ours.len() as f64 / profiles as f64;
    eprintln!(
        "validate --all, {profiles} profiles: {} vault requests, {lists} list, {per_profile} per profile",
        ours.len() + lists
    );
    assert_eq!(lists, 1, "the profiles are listed once: {ours:?}");
    assert_eq!(
        ours.len(),
        VAULT_REQUESTS_PER_PROFILE * profiles,
        "{ours:#?}"
    );
}

/// See [`validate_all_makes_a_fixed_number_of_vault_requests_per_profile`].
const VAULT_REQUESTS_PER_PROFILE: usize = 2;

/// The vault requests of `validate --all` since `before`, under `secret/`: the lists, the rest.
fn vault_requests_since(vault: &TestVault, before: usize) -> (usize, Vec<(String, String)>) {
    let ours: Vec<_> = vault
        .requests()
        .split_off(before)
        .into_iter()
        .filter(|(_, path)| path.starts_with("secret/"))
        .collect();
    let lists = ours.iter().filter(|(op, _)| op == "list").count();
    (
        lists,
        ours.into_iter().filter(|(op, _)| op != "list").collect(),
    )
}

/// A vault written by earlier builds (each token in `credentials/<name>` beside
/// `profiles/<name>`) is read as it is, and each profile moves into one entry as it is
/// validated: nothing lost, the old token entries removed, and the next run makes the usual
/// number of requests. An entry that holds a token and no profile yet (an onboarding in
/// progress) is no profile for `list` and `validate --all`; `remove` removes both entries.
#[test]
fn the_earlier_layout_moves_into_one_entry_per_profile_as_it_is_validated() {
    let sim = TestSim::start();
    let vault = TestVault::start_audited();
    let dir = tempfile::tempdir().unwrap();
    invite(&sim, &vault, dir.path());
    let names: Vec<String> = (1..=4).map(|i| format!("earlier-{i}")).collect();
    let tokens = more_profiles_in(&vault, &names, Layout::Earlier);
    for name in &names {
        assert!(vault.has_legacy_credential(name), "{name}");
        assert_eq!(
            vault.credential(name),
            None,
            "{name}: no token in its entry yet"
        );
    }
    let (status, body) = vault.api(
        "POST",
        "secret/data/onboard/profiles/half-done",
        Some(json!({ "data": { "refresh_token": "rt-of-an-onboarding-in-progress" } })),
    );
    assert_eq!(status, 200, "{body}");
    // A refresh token used twice is refused: a token lost in the move would fail next time.
    sim.control("/tenant", json!({ "reuse_refresh_token": "refuse" }));

    let list = run(vault.onboard(dir.path()), &["list", "--json"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let listed = json_of(&list, JsonOutput::List);
    assert_eq!(
        listed["profiles"].as_array().unwrap().len(),
        names.len() + 1
    );
    let printed = String::from_utf8_lossy(&list.stdout);
    for (_, token) in &tokens {
        assert!(!printed.contains(token.as_str()), "a token was listed");
    }
    assert!(!printed.contains("rt-of-an-onboarding"), "{printed}");

    for round in 0..2 {
        let before = vault.requests().len();
        let output = run(vault.onboard(dir.path()), &["validate", "--all", "--json"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let all = json_of(&output, JsonOutput::ValidateAll);
        assert_eq!(all["valid"].as_u64(), Some(names.len() as u64 + 1), "{all}");
        let (lists, requests) = vault_requests_since(&vault, before);
        assert_eq!(lists, 1, "{requests:?}");
        let earlier = |(_, path): &&(String, String)| path.contains("/earlier-");
        let expected = if round == 0 {
            // The credential read, the entry's write with the token, the old entry's removal.
            VAULT_REQUESTS_PER_PROFILE + 2
        } else {
            VAULT_REQUESTS_PER_PROFILE
        };
        assert_eq!(
            requests.iter().filter(earlier).count(),
            expected * names.len(),
            "round {round}: {requests:#?}"
        );
        for name in &names {
            assert!(!vault.has_legacy_credential(name), "{name}");
            assert!(vault.credential(name).is_some(), "{name}");
        }
    }
    // The onboarding in progress was left alone.
    let (status, body) = vault.api("GET", "secret/data/onboard/profiles/half-done", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["data"],
        json!({ "refresh_token": "rt-of-an-onboarding-in-progress" })
    );

    // A profile still in the earlier layout is removed whole.
    let (status, mut body) = vault.api("GET", "secret/data/onboard/profiles/earlier-1", None);
    assert_eq!(status, 200, "{body}");
    let mut profile = body["data"]["data"].take();
    profile.as_object_mut().unwrap().remove("refresh_token");
    for (kind, data) in [
        ("profiles", profile),
        (
            "credentials",
            json!({ "refresh_token": "rt-of-earlier-gone" }),
        ),
    ] {
        let (status, body) = vault.api(
            "POST",
            &format!("secret/data/onboard/{kind}/earlier-gone"),
            Some(json!({ "data": data })),
        );
        assert_eq!(status, 200, "{body}");
    }
    assert!(vault.has_legacy_credential("earlier-gone"));
    let remove = run(
        vault.onboard(dir.path()),
        &["remove", "earlier-gone", "--yes"],
    );
    assert!(remove.status.success(), "{}", stderr(&remove));
    assert!(!vault.has_legacy_credential("earlier-gone"));
    let (status, _) = vault.api("GET", "secret/data/onboard/profiles/earlier-gone", None);
    assert_eq!(status, 404);
}
