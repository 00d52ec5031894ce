//! `onboard invite` driven through a pseudo-terminal as a person would, and non-interactively
//! with `--json`, against the simulated tenant.

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::onboarded::{invite_json, profiles_json, sim_target};
use crate::support::pty::Terminal;
use crate::support::sim::TestSim;

fn saved_profiles(dir: &TempDir) -> Value {
    match std::fs::read(profiles_json(dir.path())) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
        Err(_) => Value::Null,
    }
}

fn approve(sim: &TestSim, code: &str) {
    let (status, body) = sim.control("/approve", json!({"user_code": code}));
    assert_eq!(status, 200, "{body}");
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn happy_path_with_prompts_checked_as_typed() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let info = sim.info().clone();
    let mut t = Terminal::start(
        dir.path(),
        &args(&[
            "invite",
            "--authority",
            &info.authority,
            "--tenant",
            &info.tenant,
        ]),
        &[],
    );
    t.expect("Registration (application ID)");
    t.type_line("not-a-guid");
    t.expect("is not an application (client) ID");
    // Clear the wrong answer as a person would, then type the right one.
    t.send(&"\x7f".repeat(12));
    t.type_line(&info.client_id);
    t.expect("Service account (UPN)");
    t.type_line(&info.account);
    t.expect("The tenant exists");
    t.expect("Start the sign-in?");
    t.type_line("y");
    let code = t.user_code();
    t.expect("Copy the code by hand");
    t.expect(sim.sign_in_url());
    t.expect("Waiting for sign-in");
    approve(&sim, &code);
    t.expect("Signed in as");
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
    let profiles = saved_profiles(&dir);
    let profile = &profiles["profiles"][info.tenant.as_str()];
    assert_eq!(profile["account"], info.account.as_str());
    let saved = onboard::profiles::Profiles::at(dir.path())
        .get(info.tenant.as_str())
        .unwrap();
    assert!(saved.last_validation.unwrap().valid, "step 6 was recorded");
}

#[test]
fn an_invitation_url_prefills_everything_but_the_confirmation_and_qr_shows_the_page() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let info = sim.info();
    let link = format!(
        "https://provider.example/onboard?tenant={}&client_id={}&account={}&authority={}&profile=acme&scope=User.Read",
        info.tenant, info.client_id, info.account, info.authority
    );
    let mut t = Terminal::start(dir.path(), &args(&["invite", "--qr", &link]), &[]);
    t.expect("Profile       acme");
    t.expect("Start the sign-in?");
    t.type_line("y");
    let code = t.user_code();
    // Dense1x2 QR rows are made of half blocks.
    t.expect("▀▀▀▀▀▀▀");
    approve(&sim, &code);
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
    assert!(saved_profiles(&dir)["profiles"]["acme"].is_object());
}

fn start_wizard(sim: &TestSim, dir: &TempDir) -> Terminal {
    let mut t = Terminal::start(
        dir.path(),
        &[vec!["invite".to_string()], sim_target(sim)].concat(),
        &[],
    );
    t.expect("Start the sign-in?");
    t.type_line("y");
    t
}

#[test]
fn approval_required_then_reviewer_approves_then_a_second_sign_in_succeeds() {
    let sim = TestSim::start();
    sim.control(
        "/tenant",
        json!({"require_admin_approval": true, "approval_outcome": "declined"}),
    );
    let dir = TempDir::new().unwrap();
    let mut t = start_wizard(&sim, &dir);
    let code = t.user_code();
    let (status, _) = sim.control("/approve", json!({"user_code": code}));
    assert_eq!(status, 409, "the account meets Approval required");
    sim.control("/request-approval", json!({"user_code": code}));
    t.expect("Admin approval");
    t.expect("adminconsent?client_id=");
    t.expect("[Enter] the reviewer has approved");
    sim.control("/reviewer/approve", json!({}));
    t.send("\r");
    t.expect("attempt 2");
    let second = t.user_code();
    assert_ne!(second, code);
    approve(&sim, &second);
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
}

#[test]
fn approval_left_pending_is_taken_to_the_reviewer_with_a_key() {
    let sim = TestSim::start();
    sim.control(
        "/tenant",
        json!({"require_admin_approval": true, "approval_outcome": "pending"}),
    );
    let dir = TempDir::new().unwrap();
    let mut t = start_wizard(&sim, &dir);
    let code = t.user_code();
    sim.control("/approve", json!({"user_code": code}));
    sim.control("/request-approval", json!({"user_code": code}));
    t.expect("Waiting for sign-in");
    t.send("a");
    t.expect("Admin approval");
    sim.control("/reviewer/approve", json!({}));
    t.send("\r");
    t.expect("attempt 2");
    approve(&sim, &t.user_code());
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
}

#[test]
fn the_wrong_account_is_refused_and_nothing_is_saved() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let mut t = start_wizard(&sim, &dir);
    let code = t.user_code();
    let other = format!("someone@{}", sim.info().tenant);
    let (status, _) = sim.control("/approve", json!({"user_code": code, "account": other}));
    assert_eq!(status, 200);
    t.expect(&format!(
        "signed in as {other}, but the service account is {}",
        sim.info().account
    ));
    assert_eq!(t.exit_code(), 4);
    assert!(saved_profiles(&dir).is_null(), "nothing saved");
    assert!(!dir.path().join("credentials").exists());
}

#[test]
fn an_expired_code_is_replaced_by_a_fresh_one() {
    let sim = TestSim::start();
    sim.control("/tenant", json!({"expires_in": 2}));
    let dir = TempDir::new().unwrap();
    let mut t = start_wizard(&sim, &dir);
    let first = t.user_code();
    t.expect("The code expired");
    t.expect("Get a fresh code?");
    sim.control("/tenant", json!({"expires_in": 60}));
    t.type_line("y");
    t.expect("attempt 2");
    let second = t.user_code();
    assert_ne!(first, second);
    approve(&sim, &second);
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
}

#[test]
fn ctrl_c_while_waiting_exits_130_and_saves_nothing() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let mut t = start_wizard(&sim, &dir);
    t.user_code();
    t.expect("Waiting for sign-in");
    t.send("\x03");
    t.expect("interrupted");
    assert_eq!(t.exit_code(), 130);
    assert!(saved_profiles(&dir).is_null());
    assert!(!dir.path().join("credentials").exists());
}

fn event_names(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[test]
fn non_interactive_success_emits_the_documented_events() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let (output, events) =
        invite_json(dir.path(), &sim_target(&sim), |code, _| approve(&sim, code));
    assert!(output.status.success());
    assert_eq!(
        event_names(&events),
        ["device_code", "signed_in", "validated"]
    );
    let code = &events[0];
    for key in [
        "user_code",
        "verification_uri",
        "expires_in",
        "interval",
        "attempt",
    ] {
        assert!(!code[key].is_null(), "{key} in {code}");
    }
    assert_eq!(events[1]["store"], "file");
    assert_eq!(events[1]["tenant_id"], sim.info().tenant_id.as_str());
    assert_eq!(events[2]["valid"], true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "To sign in, open {} and enter the code",
            sim.sign_in_url()
        )),
        "{stderr}"
    );
}

#[test]
fn non_interactive_approval_required_emits_the_event_then_a_second_attempt() {
    let sim = TestSim::start();
    sim.control("/tenant", json!({"require_admin_approval": true}));
    let dir = TempDir::new().unwrap();
    let (output, events) = invite_json(dir.path(), &sim_target(&sim), |code, attempt| {
        if attempt == 1 {
            sim.control("/approve", json!({"user_code": code}));
            sim.control("/request-approval", json!({"user_code": code}));
        } else {
            sim.control("/reviewer/approve", json!({}));
            approve(&sim, code);
        }
    });
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        event_names(&events),
        [
            "device_code",
            "approval_required",
            "device_code",
            "signed_in",
            "validated"
        ]
    );
    assert_eq!(events[1]["code"], "AADSTS90094");
    assert!(
        events[1]["admin_consent_url"]
            .as_str()
            .unwrap()
            .contains("/adminconsent?client_id=")
    );
    assert_eq!(events[2]["attempt"], 2);
}

#[test]
fn non_interactive_failures_end_with_an_error_event_and_the_contract_exit_code() {
    let sim = TestSim::start();
    // Declined by the user: exit 4.
    let dir = TempDir::new().unwrap();
    let (output, events) = invite_json(dir.path(), &sim_target(&sim), |code, _| {
        sim.control("/deny", json!({"user_code": code}));
    });
    assert_eq!(output.status.code(), Some(4));
    assert_eq!(event_names(&events), ["device_code", "error"]);
    assert_eq!(events[1]["code"], "authorization_declined");
    assert_eq!(events[1]["exit_code"], 4);
    assert!(events[1]["hint"].is_string());

    // Nobody signs in before --timeout: exit 4, fresh codes offered meanwhile.
    sim.control("/tenant", json!({"expires_in": 1}));
    let dir = TempDir::new().unwrap();
    let mut target = sim_target(&sim);
    target.extend(["--timeout".into(), "4s".into()]);
    let (output, events) = invite_json(dir.path(), &target, |_, _| {});
    assert_eq!(output.status.code(), Some(4));
    let names = event_names(&events);
    assert!(
        names.iter().filter(|n| *n == "device_code").count() >= 2,
        "{names:?}"
    );
    assert_eq!(names.last().map(String::as_str), Some("error"));

    // A missing value is a usage error naming the flag, before anything is sent.
    let dir = TempDir::new().unwrap();
    let (output, _) = invite_json(dir.path(), &args(&["--tenant", "contoso.com"]), |_, _| {});
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--client-id"));
}
