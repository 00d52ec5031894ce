//! Signed-in profiles for tests: one through the real `onboard invite --non-interactive --json`
//! (a thread plays the user who approves the code), and more through the crate's own writers,
//! each with a refresh token of its own, in a file store under a temp config dir.

#![allow(dead_code)] // Each test module uses a different part of the harness.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

use onboard::authority::{Authority, discover};
use onboard::flow::{self, RetryPolicy};
use onboard::http::{HttpOptions, build_client};
use onboard::profiles::Profiles;
use onboard::secret::Secret;
use onboard::store::{CredentialStore, FileStore, TimedStore, save_onboarding};
use serde_json::{Value, json};
use url::Url;

use super::onboard;
use super::sim::TestSim;

/// Runs `onboard invite` against `sim` into `config_dir` (file store) as profile `name`,
/// approving its code through the control API. Returns the `signed_in` event.
pub fn invite(sim: &TestSim, config_dir: &Path, name: &str) -> Value {
    invite_with(sim, config_dir, name, &[])
}

/// `invite` with more arguments (e.g. `--scope`).
pub fn invite_with(sim: &TestSim, config_dir: &Path, name: &str, extra: &[&str]) -> Value {
    let info = sim.info();
    let mut child = onboard()
        .args(["invite", "--non-interactive", "--json", "--store", "file"])
        .args(["--authority", &info.authority])
        .args(["--client-id", &info.client_id])
        .args(["--account", &info.account])
        .args(["--profile", name])
        .args(extra)
        .arg("--config-dir")
        .arg(config_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("onboard invite starts");
    let control = sim.control_client();
    let stdout = child.stdout.take().expect("piped stdout");
    let mut signed_in = Value::Null;
    for line in BufReader::new(stdout).lines() {
        let event: Value = serde_json::from_str(&line.expect("a line")).expect("a JSON event");
        match event["event"].as_str() {
            Some("device_code") => {
                let code = event["user_code"].as_str().expect("a user_code");
                let (status, answer) = control.post("/approve", json!({"user_code": code}));
                assert_eq!(status, 200, "{answer}");
            }
            Some("signed_in") => signed_in = event,
            _ => {}
        }
    }
    let out = child.wait_with_output().expect("onboard invite ends");
    assert!(
        out.status.success(),
        "invite failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    signed_in
}

/// Profiles `names` in `config_dir`, all signed in as the service account: the first through
/// `invite`, the others with the profile copied and a refresh token of their own (one refresh
/// each of the first one's token, which the simulated tenant, like Entra, leaves valid).
pub fn many(sim: &TestSim, config_dir: &Path, names: &[&str]) {
    let Some((first, rest)) = names.split_first() else {
        return;
    };
    invite(sim, config_dir, first);
    let profiles = Profiles::at(config_dir);
    let profile = profiles.get(first).expect("the invited profile");
    let file = FileStore::at(config_dir);
    let token = file.load(first).unwrap().expect("the invited token");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = build_client(&HttpOptions::default()).unwrap();
    let authority = Authority::custom(Url::parse(&profile.authority).unwrap());
    let store = TimedStore::new(std::sync::Arc::new(file));
    runtime.block_on(async {
        let endpoints = discover(&client, &authority).await.unwrap();
        for name in rest {
            let tokens = flow::refresh(
                &client,
                &endpoints,
                &profile.client_id,
                &token,
                &[],
                RetryPolicy::default(),
            )
            .await
            .unwrap();
            let own: Secret = tokens.refresh_token.expect("a rotated refresh token");
            save_onboarding(&store, &profiles, name, profile.clone(), &own)
                .await
                .unwrap();
        }
    });
}

/// The refresh token saved for `name` in `config_dir`'s file store.
pub fn saved_token(config_dir: &Path, name: &str) -> Option<Secret> {
    FileStore::at(config_dir).load(name).unwrap()
}
