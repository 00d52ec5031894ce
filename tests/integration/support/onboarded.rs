//! Running `onboard` while a test plays the person at the browser, and the signed-in profiles
//! made that way. Every test that runs `invite` and approves its code goes through
//! [`run_with_user`]: each `device_code` event on stdout is handed to the test as it happens.
//! More profiles come from the crate's own writers, each with a refresh token of its own, in a
//! file store under a temporary config directory.

#![allow(dead_code)] // Each test module uses a different part of the harness.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use onboard::authority::{Authority, discover};
use onboard::connection::save_onboarding;
use onboard::flow;
use onboard::http::{HttpOptions, RetryPolicy, build_client};
use onboard::profiles::LocalProfiles;
use onboard::secret::Secret;
use onboard::store::{BlockingStore, FileStore, TimedStore};
use serde_json::Value;
use url::Url;

use super::sim::TestSim;
use super::{Reaped, onboard};

/// How a command ended, with everything it printed.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The JSON Lines events on stdout; any other line fails the test.
    pub fn events(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!("stdout carries only JSON events, got {line:?}: {e}")
                })
            })
            .collect()
    }

    /// The first event named `name`.
    pub fn event(&self, name: &str) -> Option<Value> {
        self.events().into_iter().find(|e| e["event"] == name)
    }

    /// The events' names, in order.
    pub fn event_names(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|e| e["event"].as_str().unwrap_or("?").to_owned())
            .collect()
    }

    pub fn describe(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `command`, calling `user` with each `device_code` event while the command waits.
pub fn run_with_user(command: Command, mut user: impl FnMut(&Value)) -> Run {
    run_with_events(command, |event| {
        if event["event"] == "device_code" {
            user(event);
        }
    })
}

/// Runs `command`, calling `on_event` with each JSON event on stdout as it happens.
pub fn run_with_events(mut command: Command, mut on_event: impl FnMut(&Value)) -> Run {
    let child = Reaped::new(
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("onboard starts"),
    );
    // Read on a thread of its own, so that a chatty stderr cannot fill its pipe and stall.
    let mut stderr_pipe = child.take_stderr().expect("piped stderr");
    // Bytes, shown lossily: one invalid UTF-8 byte must not hide the rest of what was printed.
    let stderr = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr_pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    });
    let mut stdout = String::new();
    let mut reader = BufReader::new(child.take_stdout().expect("piped stdout"));
    let mut bytes = Vec::new();
    while matches!(reader.read_until(b'\n', &mut bytes), Ok(n) if n > 0) {
        let line = String::from_utf8_lossy(&bytes);
        let line = line.trim_end_matches(['\n', '\r']).to_owned();
        bytes.clear();
        if let Ok(event) = serde_json::from_str::<Value>(&line) {
            on_event(&event);
        }
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let status = child.wait();
    Run {
        code: status.code(),
        stdout,
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Runs `command` to the end (no sign-in expected).
pub fn run(command: Command) -> Run {
    run_with_user(command, |_| {})
}

/// Runs `command` to the end and fails the test, showing what it printed, unless it exits 0.
pub fn run_ok(command: Command) -> Run {
    let run = run(command);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    run
}

/// `onboard` with a private config dir, using the file store.
pub fn onboard_at(config_dir: &Path) -> Command {
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

/// Runs `invite --non-interactive --json ARGS` into `config_dir` (file store) and lets
/// `on_code(user_code, attempt)` act for the user on every code.
pub fn invite_json(config_dir: &Path, args: &[String], on_code: impl FnMut(&str, u64)) -> Run {
    invite_json_with(onboard_at(config_dir), args, on_code)
}

/// `invite_json` with a command prepared by the caller (another store, environment, ...).
pub fn invite_json_with(
    mut command: Command,
    args: &[String],
    mut on_code: impl FnMut(&str, u64),
) -> Run {
    command
        .args(["invite", "--non-interactive", "--json"])
        .args(args);
    run_with_user(command, |event| {
        on_code(
            event["user_code"].as_str().expect("user_code"),
            event["attempt"].as_u64().expect("attempt"),
        );
    })
}

/// A profile onboarded as the service account (named after the tenant); returns its name.
pub fn onboard_profile(sim: &TestSim, config_dir: &Path) -> String {
    let name = sim.info().tenant.clone();
    invite(sim, config_dir, &name);
    name
}

pub fn profiles_json(config_dir: &Path) -> PathBuf {
    config_dir.join("profiles.json")
}

/// Runs `onboard invite` against `sim` into `config_dir` (file store) as profile `name`,
/// approving its code through the control API. Returns the `signed_in` event.
pub fn invite(sim: &TestSim, config_dir: &Path, name: &str) -> Value {
    invite_with(sim, config_dir, name, &[])
}

/// A fresh config dir (file store) with profile `name` signed in to `sim`.
pub fn signed_in(sim: &TestSim, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    invite(sim, dir.path(), name);
    dir
}

/// `invite` with more arguments (e.g. `--scope`).
pub fn invite_with(sim: &TestSim, config_dir: &Path, name: &str, extra: &[&str]) -> Value {
    let mut args = sim_target(sim);
    args.extend(["--profile".to_string(), name.to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let run = invite_json(config_dir, &args, |code, _| {
        sim.approve(code);
    });
    assert_eq!(run.code, Some(0), "invite failed: {}", run.describe());
    run.event("signed_in").expect("a signed_in event")
}

/// Profiles `names` in `config_dir`, all signed in as the service account: the first through
/// `invite`, the others with the profile copied and a refresh token of their own (one refresh
/// each of the first one's token, which the simulated tenant, like Entra, leaves valid).
pub fn many(sim: &TestSim, config_dir: &Path, names: &[&str]) {
    let Some((first, rest)) = names.split_first() else {
        return;
    };
    invite(sim, config_dir, first);
    let profiles = LocalProfiles::at(config_dir);
    let profile = profiles.get(first).expect("the invited profile");
    let file = FileStore::at(config_dir);
    let token = file.load(first).unwrap().expect("the invited token");
    let runtime = super::runtime();
    let client = build_client(&HttpOptions::default()).unwrap();
    let authority = Authority::custom(Url::parse(&profile.connection.authority).unwrap());
    let store = TimedStore::blocking(std::sync::Arc::new(file));
    runtime.block_on(async {
        let endpoints = discover(&client, &authority).await.unwrap();
        for name in rest {
            let tokens = flow::refresh(
                &client,
                &endpoints,
                &profile.connection.client_id,
                &token,
                &[],
                RetryPolicy::default(),
            )
            .await
            .unwrap();
            let own: Secret = tokens.refresh_token.expect("a rotated refresh token");
            save_onboarding(
                &store,
                &profiles.clone().into(),
                name,
                profile.clone(),
                &own,
            )
            .await
            .unwrap();
        }
    });
}

/// The file that holds `name`'s credential in `config_dir`'s file store.
pub fn credential_file(config_dir: &Path, name: &str) -> PathBuf {
    FileStore::at(config_dir).path(name)
}

/// Points profile `name` in `config_dir` at the OS keyring (where, without a Secret Service,
/// its check fails with exit 7).
pub fn point_at_keyring(config_dir: &Path, name: &str) {
    LocalProfiles::at(config_dir)
        .update(|file| {
            if let Some(profile) = file.profiles.get_mut(name) {
                profile.store = onboard::profiles::StoreKind::Keyring;
            }
            Ok(())
        })
        .unwrap();
}

/// Three profiles with three outcomes: `a-valid`, `b-no-store` (pointed at the keyring:
/// exit 7 without a Secret Service) and `c-unknown-token` (a refresh token the tenant never
/// issued: invalid_grant, exit 4).
pub fn mixed_outcomes(sim: &TestSim) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    many(
        sim,
        dir.path(),
        &["a-valid", "b-no-store", "c-unknown-token"],
    );
    point_at_keyring(dir.path(), "b-no-store");
    let credentials = credential_file(dir.path(), "c-unknown-token");
    let mut file: Value = serde_json::from_slice(&std::fs::read(&credentials).unwrap()).unwrap();
    file["refresh_token"] = serde_json::json!("not-a-token-of-this-tenant");
    std::fs::write(&credentials, serde_json::to_vec(&file).unwrap()).unwrap();
    dir
}

/// The file store's dir of credential files: absent until a credential is saved there.
pub fn credentials_dir(config_dir: &Path) -> PathBuf {
    config_dir.join(onboard::store::file::CREDENTIALS_DIR)
}

/// The refresh token saved for `name` in `config_dir`'s file store.
pub fn saved_token(config_dir: &Path, name: &str) -> Option<Secret> {
    FileStore::at(config_dir).load(name).unwrap()
}
