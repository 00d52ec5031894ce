//! `onboard invite` driven through a pseudo-terminal as a person would, and non-interactively
//! with `--json`, against the simulated tenant.

use serde_json::json;
use tempfile::TempDir;

use crate::support::OutputWithin;
use crate::support::onboarded::{invite_json, onboard_at, sim_target};
#[cfg(unix)]
use crate::support::pty::Terminal;
use crate::support::sim::TestSim;

#[cfg(unix)] // read by the pty tests only
fn saved_profiles(dir: &TempDir) -> serde_json::Value {
    match std::fs::read(crate::support::onboarded::profiles_json(dir.path())) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
        Err(_) => serde_json::Value::Null,
    }
}

fn approve(sim: &TestSim, code: &str) {
    sim.approve(code);
}

/// On the reviewer's screen of the wizard: the reviewer approves, Enter starts a second
/// sign-in with a new code, which the person approves; the wizard ends onboarded. Returns the
/// second code.
#[cfg(unix)]
fn the_reviewer_approves_and_a_second_sign_in_succeeds(sim: &TestSim, mut t: Terminal) -> String {
    sim.control("/reviewer/approve", json!({}));
    t.send("\r");
    t.expect("attempt 2");
    let second = t.user_code();
    approve(sim, &second);
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
    second
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
#[cfg(unix)] // through a Unix pty
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
    // With --authority any client ID the issuer knows is valid, but not one with spaces.
    t.type_line("not a guid");
    t.expect("is not a client ID or account name");
    // Clear the wrong answer as a person would, then type the right one.
    t.send(&"\x7f".repeat(12));
    t.type_line(&info.client_id);
    t.expect("Service account (UPN)");
    t.type_line(&info.account);
    t.expect("The tenant exists");
    t.expect("Start the sign-in?");
    t.type_line("y");
    let code = t.user_code();
    // The server's own instructions (localised at Entra) under the code.
    t.expect("To sign in, use a web browser to open the page");
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
    let saved = onboard::profiles::LocalProfiles::at(dir.path())
        .get(info.tenant.as_str())
        .unwrap();
    assert!(saved.last_validation.unwrap().valid, "step 6 was recorded");
}

#[test]
#[cfg(unix)] // through a Unix pty
fn an_invitation_url_prefills_everything_but_the_confirmation_and_qr_shows_the_page() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let info = sim.info();
    // An invitation names no server but Microsoft's: the simulated tenant comes from the flag.
    let link = format!(
        "https://provider.example/onboard?tenant={}&client_id={}&account={}&profile=acme&scope=User.Read",
        info.tenant, info.client_id, info.account
    );
    let mut t = Terminal::start(
        dir.path(),
        &args(&["invite", "--qr", "--authority", &info.authority, &link]),
        &[],
    );
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

#[cfg(unix)]
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

/// A new tenant's admin consent workflow is off: the account sees "Need admin approval" with no
/// button and nobody is told. [a] takes the detour, whose words say so and who must act.
#[test]
#[cfg(unix)] // through a Unix pty
fn without_the_admin_consent_workflow_the_detour_says_nobody_is_told() {
    let sim = TestSim::start();
    sim.control("/tenant", json!({"require_admin_approval": true}));
    let dir = TempDir::new().unwrap();
    let mut t = start_wizard(&sim, &dir);
    let code = t.user_code();
    sim.approve_meets_approval_required(&code);
    let (status, _) = sim.control_refused("/request-approval", json!({"user_code": code}));
    assert_eq!(status, 409);
    t.expect("\"Need admin approval\"");
    t.send("a");
    t.expect("Admin approval");
    t.expect("If it says \"Need admin approval\" with no such button, the tenant's admin consent workflow is off");
    t.expect("and nobody is told: send a Global Administrator");
    t.expect("[Enter] the reviewer has approved");
    t.send("q");
    assert_eq!(t.exit_code(), 130);
}

/// A reviewer chose *Block*: the app is disabled, and the wizard ends at its first request
/// with AADSTS7000112 and the way to enable the app, exit 6.
#[test]
fn a_blocked_app_ends_the_wizard_with_aadsts7000112() {
    let sim = TestSim::needing_approval();
    let client = sim.control_client();
    let dir = TempDir::new().unwrap();
    let run = invite_json(dir.path(), &sim_target(&sim), |code, _| {
        client.approve_meets_approval_required(code);
        client.request_approval(code);
        client.post("/reviewer/block", json!({}));
    });
    assert_eq!(run.code, Some(6), "{}", run.describe());
    let error = run.event("error").unwrap();
    assert!(
        error["message"].as_str().unwrap().contains("AADSTS7000112"),
        "{error}"
    );
    assert!(
        error["hint"]
            .as_str()
            .unwrap()
            .contains("Enabled for users to sign in"),
        "{error}"
    );
}

/// `--authority …/organizations/v2.0` names no tenant, so nothing could check that the sign-in
/// was for the customer's: refused before anything is sent, exit 2.
#[test]
fn a_multi_tenant_authority_is_refused_before_the_sign_in() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let authority = sim.url("/organizations/v2.0");
    let output = onboard_at(dir.path())
        .args([
            "invite",
            "--non-interactive",
            "--authority",
            &authority,
            "--client-id",
            &sim.info().client_id,
            "--account",
            &sim.info().account,
        ])
        .output_within()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("organizations") && stderr.contains("contoso.onmicrosoft.com"),
        "{stderr}"
    );
    assert!(
        !sim.requests().iter().any(|r| r["path"]
            .as_str()
            .is_some_and(|p| p.contains("organizations"))),
        "{:?}",
        sim.requests()
    );
}

/// The reviewer denies the request: the next sign-in meets approval again, the account may
/// request it again, and the wizard says that no reviewer approved; the second request is
/// approved and the third sign-in onboards.
#[test]
#[cfg(unix)] // through a Unix pty
fn a_denied_request_can_be_made_again_and_the_wizard_says_so() {
    let sim = TestSim::needing_approval();
    let dir = TempDir::new().unwrap();
    let mut t = start_wizard(&sim, &dir);
    for attempt in 1..=2 {
        let code = t.user_code();
        sim.approve_meets_approval_required(&code);
        sim.request_approval(&code);
        t.expect("Did the account see \"Approval required\"");
        t.type_line("y");
        if attempt == 2 {
            t.expect("Approval is still needed: no reviewer has approved");
        }
        t.expect("[Enter] the reviewer has approved");
        if attempt == 1 {
            let (status, body) = sim.control("/reviewer/deny", json!({}));
            assert_eq!((status, &body["request"]), (200, &json!("denied")));
            t.send("\r");
        }
    }
    sim.control("/reviewer/approve", json!({}));
    t.send("\r");
    t.expect("attempt 3");
    let third = t.user_code();
    approve(&sim, &third);
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
}

/// A wait for the reviewer that runs out ends with exit 6 and the error that began it (its
/// AADSTS code), not as an unused code's expiry.
#[test]
#[cfg(unix)] // through a Unix pty
fn a_wait_for_the_reviewer_that_times_out_ends_6_with_its_cause() {
    let sim = TestSim::needing_approval();
    let dir = TempDir::new().unwrap();
    let mut t = Terminal::start(
        dir.path(),
        &[
            vec!["invite".to_string()],
            sim_target(&sim),
            vec!["--timeout".into(), "15s".into()],
        ]
        .concat(),
        &[],
    );
    t.expect("Start the sign-in?");
    t.type_line("y");
    let code = t.user_code();
    sim.approve_meets_approval_required(&code);
    sim.request_approval(&code);
    t.expect("Did the account see \"Approval required\"");
    t.type_line("y");
    t.expect("[Enter] the reviewer has approved");
    t.expect("admin approval is still pending");
    t.expect("AADSTS65004");
    assert_eq!(t.exit_code(), 6);
}

#[test]
#[cfg(unix)] // through a Unix pty
fn approval_requested_answered_like_a_decline_is_asked_about_then_taken_to_the_reviewer() {
    let sim = TestSim::needing_approval();
    let dir = TempDir::new().unwrap();
    let mut t = start_wizard(&sim, &dir);
    let code = t.user_code();
    sim.approve_meets_approval_required(&code);
    sim.request_approval(&code);
    t.expect("Did the account see \"Approval required\"");
    t.type_line("y");
    t.expect("Admin approval");
    t.expect("[Enter] the reviewer has approved");
    the_reviewer_approves_and_a_second_sign_in_succeeds(&sim, t);
}

#[test]
#[cfg(unix)] // through a Unix pty
fn approval_required_then_reviewer_approves_then_a_second_sign_in_succeeds() {
    let sim = TestSim::needing_approval();
    let dir = TempDir::new().unwrap();
    let mut t = start_wizard(&sim, &dir);
    let code = t.user_code();
    sim.approve_meets_approval_required(&code);
    sim.request_approval(&code);
    t.expect("Did the account see \"Approval required\"");
    t.type_line("y");
    t.expect("Admin approval");
    t.expect("Enterprise applications → Admin consent requests");
    // No redirect URI was given: no link that would end at an AADSTS error, and why.
    t.expect("No direct link: Microsoft's admin consent link works only with a redirect URI");
    t.expect("[Enter] the reviewer has approved");
    let second = the_reviewer_approves_and_a_second_sign_in_succeeds(&sim, t);
    assert_ne!(second, code);
}

/// README's first command. The default simulated tenant lets the account sign in at once, yet
/// [r] takes the approval detour: the tenant then demands approval, the account requests it, the
/// reviewer approves ([v]), and the second sign-in is saved and validated.
#[test]
#[cfg(unix)] // through a Unix pty
fn the_default_demo_takes_the_approval_detour_when_r_is_pressed() {
    let dir = TempDir::new().unwrap();
    let mut t = Terminal::start(dir.path(), &args(&["invite", "--demo"]), &[]);
    t.expect("Start the sign-in?");
    t.type_line("y");
    t.expect("attempt 1");
    t.user_code();
    t.expect("[r] request approval");
    t.expect("Waiting for sign-in");
    t.send("r");
    t.expect("Demo: the account requested approval; the reviewer was notified");
    t.expect("Step 3 of 6 · Admin approval");
    // The demo's registration has no redirect URI: the reviewer's route, not a link.
    t.expect("Admin consent requests");
    t.expect("demo: [v] approve as the reviewer");
    t.expect("Waiting for the reviewer");
    t.send("v");
    t.expect("Demo: the reviewer approved the registration");
    t.expect("attempt 2");
    t.user_code();
    t.expect("Waiting for sign-in");
    // Approved already: nothing to request, and the screen says what to press instead.
    t.send("r");
    t.expect("nothing to request: press [s] to sign in");
    t.send("s");
    t.expect("signed in and consented");
    t.expect("Step 5 of 6 · Save the credential");
    t.expect("Saved as profile 'contoso.onmicrosoft.com'");
    t.expect("Step 6 of 6 · Validate");
    t.expect("The credential works");
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
}

/// `--demo --require-approval`: the simulated tenant demands approval from the start, so
/// signing in ([s]) meets "Approval required" and says which key requests it.
#[test]
#[cfg(unix)] // through a Unix pty
fn the_demo_with_require_approval_meets_approval_required_on_sign_in() {
    let dir = TempDir::new().unwrap();
    let mut t = Terminal::start(
        dir.path(),
        &args(&["invite", "--demo", "--require-approval"]),
        &[],
    );
    t.expect("Start the sign-in?");
    t.type_line("y");
    t.expect("attempt 1");
    t.user_code();
    t.expect("Waiting for sign-in");
    t.send("s");
    t.expect("Demo: the account sees \"Approval required\" — press [r] to request approval");
    t.send("r");
    t.expect("Demo: the account requested approval; the reviewer was notified");
    t.expect("Step 3 of 6 · Admin approval");
    t.expect("Waiting for the reviewer");
    t.send("v");
    t.expect("attempt 2");
    t.user_code();
    t.expect("Waiting for sign-in");
    t.send("s");
    t.expect("signed in and consented");
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
}

#[test]
#[cfg(unix)] // through a Unix pty
fn approval_left_pending_is_taken_to_the_reviewer_with_a_key() {
    let sim = TestSim::start();
    sim.control(
        "/tenant",
        json!({"require_admin_approval": true, "admin_consent_workflow": true, "approval_outcome": "pending"}),
    );
    let dir = TempDir::new().unwrap();
    let mut t = start_wizard(&sim, &dir);
    let code = t.user_code();
    sim.approve_meets_approval_required(&code);
    sim.request_approval(&code);
    t.expect("Waiting for sign-in");
    t.send("a");
    t.expect("Admin approval");
    the_reviewer_approves_and_a_second_sign_in_succeeds(&sim, t);
}

#[test]
#[cfg(unix)] // through a Unix pty
fn the_wrong_account_is_refused_and_nothing_is_saved() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let mut t = start_wizard(&sim, &dir);
    let code = t.user_code();
    let other = format!("someone@{}", sim.info().tenant);
    sim.approve_as(&code, &other);
    t.expect(&format!(
        "signed in as {other}, but the service account is {}",
        sim.info().account
    ));
    assert_eq!(t.exit_code(), 4);
    assert!(saved_profiles(&dir).is_null(), "nothing saved");
    assert!(!dir.path().join("credentials").exists());
}

#[test]
#[cfg(unix)] // through a Unix pty
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
#[cfg(unix)] // through a Unix pty
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

#[test]
fn non_interactive_success_emits_the_documented_events() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let run = invite_json(dir.path(), &sim_target(&sim), |code, _| approve(&sim, code));
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert_eq!(run.event_names(), ["device_code", "signed_in", "validated"]);
    let events = run.events();
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
    assert!(
        run.stderr.contains(&format!(
            "To sign in, open {} and enter the code",
            sim.sign_in_url()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn scopes_of_two_resources_are_refused_by_the_tenant_with_exit_2_and_a_hint() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let mut target = sim_target(&sim);
    target.extend(["--scope", "User.Read", "--scope", "api://other-app/Read"].map(String::from));
    let run = invite_json(dir.path(), &target, |_, _| {});
    assert_eq!(run.code, Some(2), "{}", run.describe());
    let events = run.events();
    let error = events.iter().find(|e| e["event"] == "error").unwrap();
    assert_eq!(error["aadsts"], "AADSTS700022", "{error}");
    assert!(
        error["hint"]
            .as_str()
            .is_some_and(|h| h.contains("one resource")),
        "{error}"
    );
}

#[test]
fn non_interactive_without_account_accepts_whoever_signs_in_and_says_so() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let mut target = sim_target(&sim);
    let at = target.iter().position(|a| a == "--account").unwrap();
    target.drain(at..at + 2);
    let other = format!("someone@{}", sim.info().tenant);
    let run = invite_json(dir.path(), &target, |code, _| {
        sim.approve_as(code, &other);
    });
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let signed_in = run.event("signed_in").unwrap();
    assert_eq!(signed_in["account"], other.as_str());
    let stderr = &run.stderr;
    assert!(
        stderr.contains(&format!("no --account was given: accepting {other}")),
        "{stderr}"
    );
}

#[test]
fn non_interactive_approval_requested_answered_like_a_decline_ends_with_its_own_code() {
    let sim = TestSim::needing_approval();
    let dir = TempDir::new().unwrap();
    let run = invite_json(dir.path(), &sim_target(&sim), |code, _| {
        sim.approve_meets_approval_required(code);
        sim.request_approval(code);
    });
    assert_eq!(run.code, Some(4), "{}", run.describe());
    assert_eq!(run.event_names(), ["device_code", "error"]);
    let events = run.events();
    assert_eq!(events[1]["code"], "declined_or_approval_requested");
    assert!(
        events[1]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("onboard consent-url")),
        "{}",
        events[1]
    );
}

#[test]
fn non_interactive_failures_end_with_an_error_event_and_the_contract_exit_code() {
    let sim = TestSim::start();
    // Declined by the user: exit 4.
    let dir = TempDir::new().unwrap();
    let run = invite_json(dir.path(), &sim_target(&sim), |code, _| {
        sim.deny(code);
    });
    assert_eq!(run.code, Some(4), "{}", run.describe());
    assert_eq!(run.event_names(), ["device_code", "error"]);
    let events = run.events();
    assert_eq!(events[1]["code"], "declined_or_approval_requested");
    assert_eq!(events[1]["exit_code"], 4);
    assert!(events[1]["hint"].is_string());

    // Nobody signs in before --timeout: exit 4, fresh codes offered meanwhile.
    sim.control("/tenant", json!({"expires_in": 1}));
    let dir = TempDir::new().unwrap();
    let mut target = sim_target(&sim);
    // Room for a second code on a loaded machine (each lives 1 s).
    target.extend(["--timeout".into(), "10s".into()]);
    let run = invite_json(dir.path(), &target, |_, _| {});
    assert_eq!(run.code, Some(4), "{}", run.describe());
    let names = run.event_names();
    assert!(
        names.iter().filter(|n| *n == "device_code").count() >= 2,
        "{names:?}"
    );
    assert_eq!(names.last().map(String::as_str), Some("error"));

    // A missing value is a usage error naming the flag, before anything is sent.
    let dir = TempDir::new().unwrap();
    let run = invite_json(dir.path(), &args(&["--tenant", "contoso.com"]), |_, _| {});
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(run.stderr.contains("--client-id"), "{}", run.stderr);
}

/// Discovery and the device-code request are retried as `validate` retries: a 429 with
/// Retry-After on each is waited out (and the wait is said), and the wizard signs in.
#[test]
fn the_wizard_waits_out_a_429_with_retry_after_and_says_so() {
    let sim = TestSim::start();
    for path in ["/.well-known/openid-configuration", "/devicecode"] {
        sim.fault(json!({"path": path, "status": 429, "retry_after": "2", "count": 1}));
    }
    let dir = TempDir::new().unwrap();
    let started = std::time::Instant::now();
    let run = invite_json(dir.path(), &sim_target(&sim), |code, _| approve(&sim, code));
    assert_eq!(run.code, Some(0), "{}", run.describe());
    sim.assert_fault_hits("/.well-known/openid-configuration", 1);
    sim.assert_fault_hits("/devicecode", 1);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(4),
        "Retry-After honoured"
    );
    assert_eq!(
        run.stderr.matches("trying again in 2 s").count(),
        2,
        "{}",
        run.describe()
    );
}

/// Throttling that outlasts the retries ends with exit 5 and a hint for the wizard, not for
/// `validate --all`.
#[test]
fn throttling_beyond_the_retries_ends_5_without_a_jobs_hint() {
    let sim = TestSim::start();
    sim.fault(json!({"path": "/devicecode", "status": 429, "count": 3}));
    let dir = TempDir::new().unwrap();
    let run = invite_json(dir.path(), &sim_target(&sim), |code, _| approve(&sim, code));
    assert_eq!(run.code, Some(5), "{}", run.describe());
    sim.assert_fault_hits("/devicecode", 3);
    let error = run.event("error").unwrap();
    let hint = error["hint"].as_str().unwrap();
    assert!(
        !hint.contains("--jobs") && hint.contains("--timeout"),
        "{hint}"
    );
}

/// A profile that asks for a scope the registration does not list (Mail.Read; the simulated
/// registration lists User.Read): the sign-in meets "Approval required" once, the reviewer
/// accepts the link `onboard consent-url` gives for the same scopes, and the second sign-in goes
/// through without meeting approval again. A link that asked for `.default` (what the
/// registration lists) would leave Mail.Read unapproved, and the second sign-in would meet
/// approval again.
#[test]
fn the_reviewers_link_grants_a_scope_the_registration_does_not_list() {
    let sim = TestSim::start();
    let redirect = "https://provider.example/consented";
    sim.control(
        "/tenant",
        json!({"require_admin_approval": true, "admin_consent_workflow": true, "redirect_uris": [redirect]}),
    );
    let dir = TempDir::new().unwrap();
    let scope = "openid profile offline_access User.Read Mail.Read";
    let mut target = sim_target(&sim);
    target.extend(args(&[
        "--scope",
        scope,
        "--redirect-uri",
        redirect,
        "--profile",
        "p",
    ]));

    let mut met_approval = 0;
    let first = invite_json(dir.path(), &target, |code, _| {
        sim.approve_meets_approval_required(code);
        sim.request_approval(code);
        met_approval += 1;
    });
    assert_ne!(first.code, Some(0), "{}", first.describe());
    assert_eq!(met_approval, 1, "{}", first.describe());

    // The reviewer's link for this sign-in names its Graph scopes under Graph's URI (the
    // simulated tenant's own origin stands in for graph.microsoft.com).
    let info = sim.info().clone();
    let out = onboard_at(dir.path())
        .args([
            "--json",
            "consent-url",
            "--authority",
            &info.authority,
            "--tenant",
            &info.tenant,
            "--client-id",
            &info.client_id,
            "--redirect-uri",
            redirect,
            "--scope",
            scope,
        ])
        .output_within()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let link = url::Url::parse(answer["admin_consent_url"].as_str().unwrap()).unwrap();
    let graph = sim.url("");
    let asked: Vec<String> = link
        .query_pairs()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert_eq!(
        asked,
        [
            "openid".to_owned(),
            "profile".to_owned(),
            format!("{graph}/User.Read"),
            format!("{graph}/Mail.Read"),
        ],
        "{link}"
    );
    let page = sim.page(link.clone());
    assert!(page.contains("Mail.Read"), "{page}");
    // The reviewer accepts on the page the link opens.
    let mut form: Vec<(String, String)> = link.query_pairs().into_owned().collect();
    form.push(("decision".into(), "accept".into()));
    let mut action = link.clone();
    action.set_query(None);
    let accepted = sim.client().post(action).form(&form).send().unwrap();
    assert_eq!(accepted.status().as_u16(), 302);

    let second = invite_json(dir.path(), &target, |code, _| {
        // Fails the test with 409 if the account met "Approval required" again.
        sim.approve(code);
    });
    assert_eq!(second.code, Some(0), "{}", second.describe());
    let saved = crate::support::onboarded::profiles_json(dir.path());
    let profiles: serde_json::Value =
        serde_json::from_slice(&std::fs::read(saved).unwrap()).unwrap();
    let scopes = profiles["profiles"]["p"]["scopes"].to_string();
    assert!(scopes.contains("Mail.Read"), "{profiles}");
}
