//! `onboard validate` through the real binary against the simulated tenant: every exit code of
//! the contract, the rotated token saved, `--json` shapes, `--all` with mixed outcomes, shared
//! throttling and discovery, and `ONBOARD_CREDENTIAL` without any store.

use std::path::Path;
use std::process::Output;

use onboard::profiles::LocalProfiles;
use onboard::simulate::Settings;
use onboard::store::ExportedCredential;
use serde_json::{Value, json};

use crate::support::OutputWithin;
use crate::support::onboarded::{many, mixed_outcomes, point_at_keyring, saved_token, signed_in};
use crate::support::sim::TestSim;
use crate::support::{json_of, onboard, stderr, stdout, without_secret_service};

fn validate(config_dir: &Path, args: &[&str]) -> Output {
    onboard()
        .arg("validate")
        .args(args)
        .arg("--config-dir")
        .arg(config_dir)
        .output_within()
        .unwrap()
}

/// One signed-in profile named "p" in a fresh config dir.
fn one_profile(sim: &TestSim) -> tempfile::TempDir {
    signed_in(sim, "p")
}

/// Exit code, and that the failure was said once: a ✗ line with the fix on stdout, and no
/// second copy of the error from main on stderr.
fn assert_fails_once(out: &Output, code: i32, fix_part: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}{}",
        stdout(out),
        stderr(out)
    );
    let text = stdout(out);
    let line = text
        .lines()
        .find(|l| l.starts_with("✗ p "))
        .unwrap_or_else(|| panic!("no ✗ line: {text}"));
    assert!(line.contains("fix: ") && line.contains(fix_part), "{line}");
    assert!(text.contains("0 of 1 profile valid, 1 invalid"), "{text}");
    assert_not_said_again(out);
}

/// The failure was reported in the result (stdout) only: `main` printed no second copy of
/// the error on stderr.
fn assert_not_said_again(out: &Output) {
    assert!(!stderr(out).contains("onboard: error:"), "{}", stderr(out));
}

#[test]
fn validate_saves_the_rotated_token_so_a_second_run_works_where_reuse_is_refused() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    let before = saved_token(dir.path(), "p").unwrap();
    sim.control("/tenant", json!({"reuse_refresh_token": "refuse"}));
    let out = validate(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("✓ p  svc@"), "{}", stdout(&out));
    let after = saved_token(dir.path(), "p").unwrap();
    assert_ne!(before, after, "the rotated token replaced the saved one");
    let out = validate(dir.path(), &["--profile", "p"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recorded = LocalProfiles::at(dir.path()).get("p").unwrap();
    let last = recorded.last_validation.unwrap();
    assert!(last.valid && last.exit_code == 0);
}

#[test]
fn a_revoked_refresh_token_is_exit_4_said_once() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    sim.control("/revoke", json!({}));
    let out = validate(dir.path(), &[]);
    assert_fails_once(&out, 4, "onboard invite");
    let last = LocalProfiles::at(dir.path())
        .get("p")
        .unwrap()
        .last_validation
        .unwrap();
    assert_eq!((last.valid, last.exit_code), (false, 4));
}

#[test]
fn withdrawn_consent_and_a_missing_required_scope_are_exit_6() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    let out = validate(dir.path(), &["--require-scope", "Mail.Read"]);
    assert_fails_once(&out, 6, "consent");
    assert!(stdout(&out).contains("Mail.Read"), "{}", stdout(&out));
    let out = validate(dir.path(), &["--require-scope", "User.Read"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    sim.control("/tenant", json!({"consent_withdrawn": true}));
    let out = validate(dir.path(), &[]);
    assert_fails_once(&out, 6, "consent-url");
}

#[test]
fn a_profile_onboarded_without_user_read_is_checked_with_it_or_says_why_it_cannot_be() {
    let sim = TestSim::start();
    let dir = tempfile::tempdir().unwrap();
    let mut args = crate::support::onboarded::sim_target(&sim);
    args.extend(["--profile", "p", "--scope", "Mail.Read"].map(String::from));
    let run = crate::support::onboarded::invite_json(dir.path(), &args, |code, _| {
        sim.approve(code);
    });
    // Saved, but the wizard's own validation cannot check it, and says so.
    assert_eq!(run.code, Some(6), "{}", run.describe());
    let validated = run.event("validated").unwrap();
    assert!(
        validated["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("cannot be checked")),
        "{validated}"
    );
    // Validation asks for Graph's User.Read, which nobody consented to yet.
    let out = validate(dir.path(), &[]);
    assert_fails_once(&out, 6, "needs User.Read");
    assert!(
        stdout(&out).contains("cannot be checked"),
        "{}",
        stdout(&out)
    );
    // Once the tenant's reviewer consents, the same profile is checked, keeping Mail.Read.
    sim.control("/reviewer/approve", json!({"scope": "User.Read"}));
    let out = validate(dir.path(), &["--json", "--require-scope", "Mail.Read"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn a_refresh_answer_without_scope_keeps_the_profiles_scopes() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    let saved = || {
        LocalProfiles::at(dir.path()).load().unwrap().profiles["p"]
            .connection
            .scopes
            .clone()
    };
    let before = saved();
    assert!(before.iter().any(|s| s == "User.Read"), "{before:?}");
    let settings = sim.tenant(json!({"omit_refresh_scope": true}));
    assert_eq!(settings["omit_refresh_scope"], true, "{settings}");
    let out = validate(dir.path(), &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        json_of(&out)["scopes"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s == "User.Read")),
        "{}",
        stdout(&out)
    );
    let after = saved();
    assert!(after.iter().any(|s| s == "User.Read"), "{after:?}");
}

#[test]
fn a_failing_or_dropping_service_beyond_the_retries_is_exit_5() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    sim.fault(json!({"path": "/oauth2/v2.0/token", "status": 503, "count": 3}));
    let out = validate(dir.path(), &[]);
    assert_fails_once(&out, 5, "retry later");
    sim.assert_fault_hits("/token", 3);
    sim.fault(json!({"path": "/v1.0/me", "drop": true, "count": 3}));
    let out = validate(dir.path(), &[]);
    assert_fails_once(&out, 5, "retry");
    sim.assert_fault_hits("/v1.0/me", 3);
    // One failure less than the attempts: survived.
    sim.fault(json!({"path": "/oauth2/v2.0/token", "status": 502, "count": 2}));
    let out = validate(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    sim.assert_fault_hits("/token", 3 + 2);
}

#[test]
fn a_429_with_retry_after_is_waited_out() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    sim.fault(json!({"path": "/v1.0/me", "status": 429, "retry_after": "1", "count": 1}));
    let started = std::time::Instant::now();
    let out = validate(dir.path(), &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert_eq!(json_of(&out)["valid"], true);
    sim.assert_fault_hits("/v1.0/me", 1);
}

#[test]
fn a_retry_after_given_as_an_http_date_is_honoured() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    // Whole seconds, as the date carries them: the retry may not come before this.
    let later = jiff::Timestamp::from_second(
        (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(5)).as_second(),
    )
    .expect("a time");
    let date = jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&later)
        .expect("an HTTP date");
    sim.fault(
        json!({"path": "/oauth2/v2.0/token", "status": 429, "retry_after": date, "count": 1}),
    );
    let out = validate(dir.path(), &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    sim.assert_fault_hits("/token", 1);
    // However long the setup took, the run cannot have ended before the date it was given.
    let ended = jiff::Timestamp::now();
    assert!(
        ended >= later,
        "ended at {ended}, before the Retry-After date {later}"
    );
}

#[test]
fn a_retry_after_beyond_the_budget_stops_at_once_with_exit_5_and_the_wait() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    let token_requests = || {
        sim.requests()
            .iter()
            .filter(|r| r["path"].as_str().is_some_and(|p| p.ends_with("/token")))
            .count()
    };
    let before = token_requests();
    sim.fault(
        json!({"path": "/oauth2/v2.0/token", "status": 429, "retry_after": "600", "count": 1}),
    );
    let started = std::time::Instant::now();
    let out = validate(dir.path(), &[]);
    // Far below the 600 s it was told to wait, however loaded the machine.
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
    assert_fails_once(&out, 5, "wait 600 s");
    sim.assert_fault_hits("/token", 1);
    assert_eq!(token_requests(), before + 1, "nothing retried early");
}

#[test]
fn a_429_with_an_oauth_body_is_throttling_and_waited_out() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    let body = json!({"error": "temporarily_unavailable", "error_description": "AADSTS50196: The server terminated an operation because it encountered a client request loop.", "error_codes": [50196]});
    sim.fault(json!({"path": "/oauth2/v2.0/token", "status": 429, "retry_after": "1", "body": body.to_string(), "count": 1}));
    let out = validate(dir.path(), &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    sim.assert_fault_hits("/token", 1);
    sim.fault(
        json!({"path": "/oauth2/v2.0/token", "status": 429, "body": body.to_string(), "count": 5}),
    );
    let out = validate(dir.path(), &[]);
    assert_fails_once(&out, 5, "throttling");
    assert!(sim.fault_hits("/token") > 1, "the throttling was met");
}

#[test]
fn no_profile_is_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&[][..], &["--all"], &["--profile", "nope"]] {
        let out = validate(dir.path(), args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("onboard invite"), "{}", stderr(&out));
    }
}

#[test]
fn an_unavailable_credential_store_is_exit_7() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    point_at_keyring(dir.path(), "p");
    let mut command = without_secret_service(onboard());
    let out = command
        .args(["validate", "--config-dir"])
        .arg(dir.path())
        .output_within()
        .unwrap();
    assert_fails_once(&out, 7, "");
}

#[test]
fn json_output_has_the_contract_shape() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    let out = validate(dir.path(), &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let result = json_of(&out);
    assert_eq!(result["profile"], "p");
    assert_eq!(result["valid"], true);
    assert_eq!(result["tenant_id"], sim.info().tenant_id.as_str());
    assert_eq!(result["account"], sim.info().account.as_str());
    assert!(
        result["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "User.Read")
    );
    for key in ["access_token_expires_at", "checked_at"] {
        let text = result[key].as_str().unwrap();
        assert!(text.parse::<jiff::Timestamp>().is_ok(), "{key}: {text}");
    }
    assert!(result["error"].is_null());
    sim.control("/revoke", json!({}));
    let out = validate(dir.path(), &["--json"]);
    assert_eq!(out.status.code(), Some(4));
    let error = &json_of(&out)["error"];
    assert_eq!(error["exit_code"], 4);
    assert_eq!(error["code"], "invalid_grant");
    assert_eq!(error["aadsts"], "AADSTS50173");
    assert!(error["message"].is_string() && error["hint"].is_string());
    assert_not_said_again(&out);
}

#[test]
fn all_with_mixed_outcomes_gives_one_result_per_profile_and_the_highest_code() {
    let sim = TestSim::start();
    // b-no-store: exit 7; c-unknown-token: a token the tenant never issued, invalid_grant, exit 4.
    let dir = mixed_outcomes(&sim);

    let run = |extra: &[&str]| {
        let mut command = without_secret_service(onboard());
        command
            .args(["validate", "--all", "--jobs", "2", "--config-dir"])
            .arg(dir.path())
            .args(extra)
            .output_within()
            .unwrap()
    };
    let out = run(&["--json"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let all = json_of(&out);
    assert_eq!(
        (all["valid"].as_u64(), all["invalid"].as_u64()),
        (Some(1), Some(2))
    );
    let results = all["results"].as_array().unwrap();
    let codes: Vec<(&str, Value)> = results
        .iter()
        .map(|r| {
            (
                r["profile"].as_str().unwrap(),
                r["error"]["exit_code"].clone(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("a-valid", Value::Null),
            ("b-no-store", json!(7)),
            ("c-unknown-token", json!(4))
        ]
    );

    let out = run(&[]);
    assert_eq!(out.status.code(), Some(7));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("✓ a-valid  svc@"), "{text}");
    assert!(
        lines[1].starts_with("✗ b-no-store  svc@") && lines[1].contains("(exit 7)"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("✗ c-unknown-token  svc@") && lines[2].contains("(exit 4)"),
        "{text}"
    );
    assert_eq!(lines[3], "1 of 3 profiles valid, 2 invalid");
    assert_not_said_again(&out);
}

/// Profiles `names` at a simulated tenant that answers each request `latency_ms` late; and how
/// many requests the tenant had seen once they were made.
fn slow_fleet(latency_ms: u64, names: &[&str]) -> (TestSim, tempfile::TempDir, usize) {
    let sim = TestSim::with(Settings {
        interval_secs: 1,
        latency_ms,
        ..Settings::default()
    });
    let dir = tempfile::tempdir().unwrap();
    many(&sim, dir.path(), names);
    let seen = sim.requests().len();
    (sim, dir, seen)
}

#[test]
fn all_discovers_once_and_a_retry_after_holds_every_profile_back() {
    let latency = 150;
    let names = ["p1", "p2", "p3", "p4", "p5", "p6"];
    let (sim, dir, seen) = slow_fleet(latency, &names);
    sim.fault(json!({"path": "/oauth2/v2.0/token", "status": 429, "retry_after": "1", "count": 1}));
    let out = validate(dir.path(), &["--all", "--jobs", "2", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(json_of(&out)["valid"], 6);

    let run: Vec<Value> = sim.requests().split_off(seen);
    let path = |r: &Value| r["path"].as_str().unwrap_or_default().to_owned();
    let discoveries = run
        .iter()
        .filter(|r| path(r).ends_with("/.well-known/openid-configuration"))
        .count();
    assert_eq!(discoveries, 1, "one discovery for one authority");
    sim.assert_fault_hits("/token", 1);
    // The first token request got the 429; its answer came `latency` ms later, and from then
    // until Retry-After (1 s) had passed no profile may call the host. The one request the
    // other job had already sent may land after the 429 was answered (late, on a loaded
    // machine); nothing else may.
    let throttled_at = run
        .iter()
        .find(|r| path(r).ends_with("/oauth2/v2.0/token"))
        .and_then(|r| r["at_ms"].as_u64())
        .unwrap();
    let quiet_from = throttled_at + latency + 100;
    let quiet_until = throttled_at + latency + 900;
    let during: Vec<&Value> = run
        .iter()
        .filter(|r| {
            let at = r["at_ms"].as_u64().unwrap_or_default();
            at > quiet_from && at < quiet_until
        })
        .collect();
    assert!(during.len() <= 1, "requests during Retry-After: {during:?}");
}

/// Each profile's requests go one after another and each is answered `latency` ms after it
/// arrives, so a request occupies [arrival, arrival + latency) at least; no more than `--jobs`
/// of those spans may overlap.
#[test]
fn all_keeps_at_most_jobs_profiles_in_flight() {
    let latency = 200;
    let names = ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"];
    let (sim, dir, seen) = slow_fleet(latency, &names);
    let out = validate(dir.path(), &["--all", "--jobs", "3", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(json_of(&out)["valid"], 8);

    let arrivals: Vec<u64> = sim
        .requests()
        .split_off(seen)
        .iter()
        .filter(|r| {
            !r["path"]
                .as_str()
                .unwrap_or_default()
                .ends_with("/.well-known/openid-configuration")
        })
        .filter_map(|r| r["at_ms"].as_u64())
        .collect();
    assert_eq!(
        arrivals.len(),
        8 * 3,
        "token, /me and /organization per profile"
    );
    let most_at_once = arrivals
        .iter()
        .map(|&t| {
            arrivals
                .iter()
                .filter(|&&u| u <= t && t < u + latency)
                .count()
        })
        .max()
        .unwrap();
    assert!(
        (2..=3).contains(&most_at_once),
        "{most_at_once} requests in flight at once with --jobs 3: {arrivals:?}"
    );
}

#[test]
fn onboard_credential_works_without_a_store_and_warns_when_it_rotated() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    let profile = LocalProfiles::at(dir.path()).get("p").unwrap();
    let token = saved_token(dir.path(), "p").unwrap();
    let exported = ExportedCredential::new("p", &profile, token).to_json();
    let empty = tempfile::tempdir().unwrap();
    let mut command = without_secret_service(onboard());
    let out = command
        .args(["validate", "--json", "--config-dir"])
        .arg(empty.path())
        .env("ONBOARD_CREDENTIAL", &exported)
        .output_within()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_of(&out)["profile"], "p");
    let warning = stderr(&out);
    assert!(
        warning.contains("ONBOARD_CREDENTIAL") && warning.contains("onboard export"),
        "{warning}"
    );
    assert!(
        std::fs::read_dir(empty.path()).unwrap().next().is_none(),
        "nothing written without a store"
    );
}

#[test]
fn a_guest_account_is_onboarded_and_validated_by_its_object_id() {
    let sim = TestSim::start();
    let guest = "svc@partner.example";
    sim.control("/tenant", json!({"guests": [guest]}));
    let dir = tempfile::tempdir().unwrap();
    let mut args = crate::support::onboarded::sim_target(&sim);
    let at = args.iter().position(|a| a == "--account").unwrap();
    args[at + 1] = guest.into();
    let run = crate::support::onboarded::invite_json(dir.path(), &args, |code, _| {
        sim.approve_as(code, guest);
    });
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let signed_in = run.event("signed_in").unwrap();
    assert_eq!(signed_in["account"], guest);
    let validated = run.event("validated").unwrap();
    assert_eq!(validated["valid"], true, "{validated}");
    // Graph names the guest by its #EXT# name in the tenant; the profile keeps its object id.
    let ext = format!("svc_partner.example#EXT#@{}", sim.info().tenant);
    assert_eq!(validated["account"], ext.as_str(), "{validated}");
    let out = validate(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let profiles = LocalProfiles::at(dir.path()).load().unwrap();
    let profile = profiles.profiles.values().next().unwrap();
    assert!(profile.connection.account_id.is_some());

    // A profile saved before object ids were kept is matched by the guest's mail.
    LocalProfiles::at(dir.path())
        .update(|file| {
            for profile in file.profiles.values_mut() {
                profile.connection.account_id = None;
            }
            Ok(())
        })
        .unwrap();
    let out = validate(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn an_account_renamed_after_onboarding_is_still_valid() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    let renamed = format!("svc-renamed@{}", sim.info().tenant);
    sim.control(
        "/tenant",
        json!({"renamed": {sim.info().account.clone(): renamed.clone()}}),
    );
    let out = validate(dir.path(), &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(json_of(&out)["account"], renamed.as_str());
}

#[test]
fn a_token_acting_as_another_account_than_the_saved_one_is_exit_4() {
    let sim = TestSim::start();
    let dir = one_profile(&sim);
    let expected = format!("someone-else@{}", sim.info().tenant);
    LocalProfiles::at(dir.path())
        .update(|file| {
            if let Some(profile) = file.profiles.get_mut("p") {
                profile.connection.account = Some(expected.clone());
                profile.connection.account_id = Some("5a0e2c1d-0000-4000-8000-00000000e15e".into());
            }
            Ok(())
        })
        .unwrap();
    let out = validate(dir.path(), &[]);
    assert_fails_once(&out, 4, &format!("sign in as {expected}"));
    assert!(stdout(&out).contains(&format!("acts as {}", sim.info().account)));
}
