//! `list`, `export`, `remove` and `consent-url` on profiles onboarded through the simulator.

use serde_json::Value;
use tempfile::TempDir;

use crate::support::OutputWithin;
#[cfg(unix)]
use crate::support::onboarded::credential_file;
use crate::support::onboarded::{onboard_at, onboard_profile};
#[cfg(unix)]
use crate::support::pty::Terminal;
use crate::support::sim::TestSim;
use crate::support::stdout;

fn run(dir: &TempDir, args: &[&str]) -> std::process::Output {
    onboard_at(dir.path()).args(args).output_within().unwrap()
}

/// A simulated tenant and a config dir with its service account's profile; and that name.
fn onboarded() -> (TestSim, TempDir, String) {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let name = onboard_profile(&sim, dir.path());
    (sim, dir, name)
}

#[test]
fn list_shows_profiles_and_their_last_validation_without_network() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let empty = run(&dir, &["list"]);
    assert!(empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("onboard invite"));
    let name = onboard_profile(&sim, dir.path());
    let requests_before = sim.requests().len();
    let text = run(&dir, &["list"]);
    assert!(text.status.success());
    let text = stdout(&text);
    assert!(text.starts_with("PROFILE"), "{text}");
    assert!(
        text.contains(&name) && text.contains(&sim.info().account),
        "{text}"
    );
    assert!(text.contains("file") && text.contains('✓'), "{text}");
    let json: Value = serde_json::from_str(&stdout(&run(&dir, &["list", "--json"]))).unwrap();
    let profile = &json["profiles"][0];
    assert_eq!(profile["profile"], name.as_str());
    assert_eq!(profile["store"], "file");
    assert_eq!(profile["last_validation"]["valid"], true);
    assert_eq!(sim.requests().len(), requests_before, "list sends nothing");
}

#[test]
fn export_prints_a_credential_that_validate_accepts_from_the_environment() {
    let (_sim, dir, name) = onboarded();
    let exported = run(&dir, &["export", "--profile", &name]);
    assert!(
        exported.status.success(),
        "{}",
        crate::support::stderr(&exported)
    );
    let credential = stdout(&exported);
    let parsed: Value = serde_json::from_str(&credential).unwrap();
    assert_eq!(parsed["profile"], name.as_str());
    assert!(parsed["refresh_token"].is_string());
    // CI: no config dir, no store, only the secret.
    let elsewhere = TempDir::new().unwrap();
    let validated = crate::support::onboard()
        .args(["validate", "--json", "--config-dir"])
        .arg(elsewhere.path())
        .env("ONBOARD_CREDENTIAL", credential.trim())
        .output_within()
        .unwrap();
    assert!(
        validated.status.success(),
        "{}",
        crate::support::stderr(&validated)
    );
    let result: Value = serde_json::from_slice(&validated.stdout).unwrap();
    assert_eq!(result["valid"], true);
    assert_eq!(result["profile"], name.as_str());
}

#[test]
#[cfg(unix)] // through a Unix pty
fn export_refuses_a_terminal_unless_forced() {
    let (_sim, dir, name) = onboarded();
    let mut t = Terminal::start(
        dir.path(),
        &["export".into(), "--profile".into(), name.clone()],
        &[],
    );
    t.expect("refusing to print a refresh token to the terminal");
    assert_eq!(t.exit_code(), 2);
    let mut t = Terminal::start(dir.path(), &["export".into(), "--force".into()], &[]);
    t.expect("\"refresh_token\"");
    assert_eq!(t.exit_code(), 0);
}

#[test]
#[cfg(unix)] // through a Unix pty
fn remove_asks_first_needs_yes_without_a_terminal_and_deletes_both_parts() {
    let (_sim, dir, name) = onboarded();
    let missing = run(&dir, &["remove", "no-such-profile", "--yes"]);
    assert_eq!(missing.status.code(), Some(3));
    let unconfirmed = run(&dir, &["remove", &name]);
    assert_eq!(unconfirmed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unconfirmed.stderr).contains("--yes"));
    // A person who answers no keeps the profile.
    let mut t = Terminal::start(dir.path(), &["remove".into(), name.clone()], &[]);
    t.expect("and its saved credential?");
    t.type_line("n");
    t.expect("Nothing removed");
    assert_eq!(t.exit_code(), 0);
    assert!(stdout(&run(&dir, &["list"])).contains(&name));
    let removed = run(&dir, &["remove", &name, "--yes"]);
    assert!(removed.status.success());
    assert!(
        !credential_file(dir.path(), &name).exists(),
        "credential deleted"
    );
    let list: Value = serde_json::from_str(&stdout(&run(&dir, &["list", "--json"]))).unwrap();
    assert_eq!(list["profiles"], Value::Array(vec![]));
    let validate = run(&dir, &["validate", "--profile", &name]);
    assert_eq!(validate.status.code(), Some(3));
}

#[test]
fn consent_url_comes_from_the_profile_or_the_flags() {
    let (sim, dir, name) = onboarded();
    // The profile has no redirect URI: the admin center route, and why there is no link.
    let without = run(&dir, &["consent-url", "--profile", &name]);
    assert_eq!(without.status.code(), Some(0));
    assert!(
        stdout(&without)
            .starts_with("Entra admin center → Enterprise applications → Admin consent requests"),
        "{}",
        stdout(&without)
    );
    assert!(
        String::from_utf8_lossy(&without.stderr)
            .contains("No link: Microsoft's admin consent link works only with a redirect URI"),
        "{}",
        String::from_utf8_lossy(&without.stderr)
    );
    let from_profile = stdout(&run(
        &dir,
        &[
            "consent-url",
            "--profile",
            &name,
            "--redirect-uri",
            "https://provider.example/consented",
        ],
    ));
    assert!(
        from_profile.starts_with(&format!(
            "{}/adminconsent?client_id={}",
            sim.info().authority,
            sim.info().client_id
        )),
        "{from_profile}"
    );
    let flags = [
        "consent-url",
        "--json",
        "--tenant",
        "contoso.com",
        "--client-id",
        "11111111-2222-3333-4444-555555555555",
    ];
    let json: Value = serde_json::from_slice(&run(&dir, &flags).stdout).unwrap();
    assert_eq!(json["admin_consent_url"], Value::Null);
    assert!(json["admin_center_route"].is_string() && json["no_link_because"].is_string());
    let mut with_redirect = flags.to_vec();
    with_redirect.extend(["--redirect-uri", "https://provider.example/consented"]);
    let json: Value = serde_json::from_slice(&run(&dir, &with_redirect).stdout).unwrap();
    assert_eq!(
        json["admin_consent_url"],
        "https://login.microsoftonline.com/contoso.com/v2.0/adminconsent?client_id=11111111-2222-3333-4444-555555555555&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&redirect_uri=https%3A%2F%2Fprovider.example%2Fconsented"
    );
    let bad = run(
        &dir,
        &[
            "consent-url",
            "--tenant",
            "contoso.com",
            "--client-id",
            "nope",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
}
