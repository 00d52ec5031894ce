//! The browser sign-in road (`invite --flow browser`: authorization code with PKCE) against the
//! simulated tenant, the tenant that blocks the device code flow (`device_code_policy`), and
//! credentials that know how they were born. The test plays the person at the browser with a
//! plain HTTP client: it opens the sign-in page, acts on it, and follows the redirect to
//! onboard's loopback listener (or pastes it).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;
use url::Url;

use crate::support::onboarded::{
    Run, invite_with, onboard_at, profiles_json, run, run_with_events, sim_target,
};
#[cfg(unix)]
use crate::support::pty::Terminal;
use crate::support::sim::TestSim;

fn query(url: &str, name: &str) -> String {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// What a browser does with the redirect: a GET of it, with `state` replaced when asked.
/// Returns the HTTP status line, or `None` when nothing listens any more.
fn follow(redirect: &str, host: &str) -> Option<String> {
    let url = Url::parse(redirect).unwrap();
    let port = url.port().unwrap();
    let target = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let host = host.replace("PORT", &port.to_string());
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.lines().next().map(str::to_owned)
}

/// The person opens the sign-in link (the simulator registers the request) and acts on the
/// page through the control API; returns where their browser is sent.
fn act(sim: &TestSim, url: &str, action: &str) -> Value {
    open_page(sim, url);
    sim.control(
        "/authorize",
        json!({"state": query(url, "state"), "action": action}),
    )
    .1
}

/// The person opens the sign-in link and signs in, and the page says *Approval required*
/// (409) instead of sending the browser back.
fn act_meets_approval_required(sim: &TestSim, url: &str) {
    open_page(sim, url);
    let (status, answer) = sim.control_refused(
        "/authorize",
        json!({"state": query(url, "state"), "action": "approve"}),
    );
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["state"], "approval_required", "{answer}");
}

fn open_page(sim: &TestSim, url: &str) {
    let page = sim.client().get(url).send().unwrap();
    assert_eq!(page.status(), 200, "{url}");
}

fn browser_invite(sim: &TestSim, dir: &Path, extra: &[&str], user: impl FnMut(&Value)) -> Run {
    let mut command = onboard_at(dir);
    command
        .args(["invite", "--non-interactive", "--json", "--flow", "browser"])
        .args(sim_target(sim))
        .args(extra);
    run_with_events(command, user)
}

/// The error event's hint says `part`.
fn assert_hint_says(error: &Value, part: &str) {
    let hint = error["hint"].as_str().unwrap_or_default();
    assert!(hint.contains(part), "{part:?} in the hint: {error}");
}

fn nothing_saved(dir: &Path, run: &Run) {
    assert!(!profiles_json(dir).exists(), "{}", run.describe());
    assert!(
        !dir.join("credentials").exists()
            || std::fs::read_dir(dir.join("credentials")).unwrap().count() == 0,
        "{}",
        run.describe()
    );
}

/// Onboards profile `name` on the browser road, the test following the redirect.
fn browser_profile(sim: &TestSim, dir: &Path, name: &str) -> Run {
    // At -vvv, so that the leak check below sees everything onboard can print.
    let run = browser_invite(sim, dir, &["--profile", name, "-vvv"], |event| {
        if event["event"] == "authorize_url" {
            let answer = act(sim, event["url"].as_str().unwrap(), "approve");
            let status = follow(answer["redirect"].as_str().unwrap(), "localhost:PORT");
            assert!(status.unwrap().contains("200"));
        }
    });
    assert_eq!(run.code, Some(0), "{}", run.describe());
    run
}

#[test]
fn the_browser_road_signs_in_and_records_how() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let run = browser_profile(&sim, dir.path(), "p");
    let url_event = run.event("authorize_url").unwrap();
    let url = url_event["url"].as_str().unwrap();
    assert_eq!(query(url, "code_challenge_method"), "S256");
    assert_eq!(query(url, "code_challenge").len(), 43);
    assert!(!query(url, "state").is_empty() && !query(url, "nonce").is_empty());
    let redirect_uri = url_event["redirect_uri"].as_str().unwrap();
    assert!(
        redirect_uri.starts_with("http://localhost:"),
        "{redirect_uri}"
    );
    assert_eq!(query(url, "redirect_uri"), redirect_uri);
    assert_eq!(url_event["attempt"], 1);
    let signed_in = run.event("signed_in").unwrap();
    assert_eq!(signed_in["sign_in_flow"], "authorization_code");
    assert!(run.stderr.contains("To sign in, open "), "{}", run.stderr);
    // Neither the code nor any token is printed, even at -vvv.
    assert!(
        run.stderr.contains("sending"),
        "-vvv logs requests: {}",
        run.stderr
    );
    let issued = sim.issued();
    for kind in [
        "authorization_codes",
        "refresh_tokens",
        "access_tokens",
        "id_tokens",
    ] {
        let secrets = issued[kind].as_array().unwrap();
        assert!(!secrets.is_empty(), "{kind}");
        for secret in secrets {
            let secret = secret.as_str().unwrap();
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{kind} leaked"
            );
        }
    }
    let list = run_ok_json(&dir, &["list", "--json"]);
    assert_eq!(list["profiles"][0]["sign_in_flow"], "authorization_code");
    let validated = run_ok_json(&dir, &["validate", "--json", "--profile", "p"]);
    assert_eq!(validated["sign_in_flow"], "authorization_code");
    let mut export = onboard_at(dir.path());
    export.args(["export", "--profile", "p"]);
    let exported: Value = serde_json::from_str(&run_checked(export).stdout).unwrap();
    assert_eq!(exported["sign_in_flow"], "authorization_code");
}

fn run_checked(command: std::process::Command) -> Run {
    let run = run(command);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    run
}

fn run_ok_json(dir: &TempDir, args: &[&str]) -> Value {
    let mut command = onboard_at(dir.path());
    command.args(args);
    serde_json::from_str(&run_checked(command).stdout).unwrap()
}

/// A second callback, another state, another path or another host: 400 and ignored. The
/// wizard keeps waiting for its own answer, and without it saves nothing.
#[test]
fn callbacks_other_than_the_awaited_one_get_400_and_nothing_is_saved() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    // The callbacks below reach the wizard's listener: it must still be waiting.
    let run = browser_invite(&sim, dir.path(), &["--timeout", "10s"], |event| {
        if event["event"] != "authorize_url" {
            return;
        }
        let answer = act(&sim, event["url"].as_str().unwrap(), "approve");
        let redirect = answer["redirect"].as_str().unwrap().to_owned();
        let state = query(&redirect, "state");
        for (bad, host) in [
            (redirect.replace(&state, "forged"), "localhost:PORT"),
            (redirect.replace("/?", "/callback?"), "localhost:PORT"),
            (redirect.clone(), "evil.example"),
        ] {
            let status = follow(&bad, host).unwrap();
            assert!(status.contains("400"), "{bad} {host}: {status}");
        }
    });
    assert_eq!(run.code, Some(4), "{}", run.describe());
    let error = run.event("error").unwrap();
    assert_hint_says(&error, "Mobile and desktop applications");
    nothing_saved(dir.path(), &run);
}

#[test]
fn a_second_callback_is_refused_after_the_first_is_taken() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let mut second = None;
    let run = browser_invite(&sim, dir.path(), &[], |event| {
        if event["event"] == "authorize_url" {
            let answer = act(&sim, event["url"].as_str().unwrap(), "approve");
            let redirect = answer["redirect"].as_str().unwrap();
            assert!(follow(redirect, "localhost:PORT").unwrap().contains("200"));
            second = Some(follow(redirect, "localhost:PORT"));
        }
    });
    assert_eq!(run.code, Some(0), "{}", run.describe());
    // Closed, or still open for nobody: never a second 200.
    let second = second.unwrap();
    assert!(
        second.as_deref().is_none_or(|s| s.contains("400")),
        "{second:?}"
    );
    let codes = sim
        .requests()
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/token"))
        .count();
    // One redemption, one refresh by the validation step.
    assert_eq!(codes, 2);
}

#[test]
fn a_declined_browser_sign_in_is_an_error_redirect_and_saves_nothing() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let run = browser_invite(&sim, dir.path(), &[], |event| {
        if event["event"] == "authorize_url" {
            let answer = act(&sim, event["url"].as_str().unwrap(), "deny");
            let redirect = answer["redirect"].as_str().unwrap();
            assert_eq!(query(redirect, "error"), "access_denied");
            assert!(follow(redirect, "localhost:PORT").unwrap().contains("200"));
        }
    });
    assert_eq!(run.code, Some(4), "{}", run.describe());
    let error = run.event("error").unwrap();
    assert_eq!(error["code"], "declined_or_approval_requested", "{error}");
    nothing_saved(dir.path(), &run);
}

/// `http://localhost` not registered: Entra shows AADSTS50011 in the browser and never
/// redirects; the wizard's hint names the portal setting.
#[test]
fn an_unregistered_redirect_uri_is_aadsts50011_and_saves_nothing() {
    let sim = TestSim::start();
    sim.control("/tenant", json!({"native_redirect_uris": []}));
    let dir = TempDir::new().unwrap();
    let run = browser_invite(&sim, dir.path(), &["--timeout", "3s"], |event| {
        if event["event"] == "authorize_url" {
            let page = sim
                .client()
                .get(event["url"].as_str().unwrap())
                .send()
                .unwrap();
            assert_eq!(page.status(), 400);
            assert!(page.text().unwrap().contains("AADSTS50011"));
        }
    });
    assert_eq!(run.code, Some(4), "{}", run.describe());
    let error = run.event("error").unwrap();
    let hint = error["hint"].as_str().unwrap();
    assert!(hint.contains("AADSTS50011") && hint.contains("Mobile and desktop applications"));
    nothing_saved(dir.path(), &run);
}

/// "Request approval" on the browser road comes back as the decline's error redirect
/// (`access_denied`, AADSTS65004: Microsoft documents no other shape); without a terminal
/// nobody can say which it was, so the run ends 4 with both ways out and saves nothing.
#[test]
fn request_approval_on_the_browser_road_is_answered_like_a_decline() {
    let sim = TestSim::needing_approval();
    let dir = TempDir::new().unwrap();
    let run = browser_invite(&sim, dir.path(), &[], |event| {
        if event["event"] == "authorize_url" {
            let url = event["url"].as_str().unwrap();
            act_meets_approval_required(&sim, url);
            let answer = act_again(&sim, url, "request_approval");
            let redirect = answer["redirect"].as_str().unwrap();
            assert_eq!(query(redirect, "error"), "access_denied");
            follow(redirect, "localhost:PORT");
        }
    });
    assert_eq!(run.code, Some(4), "{}", run.describe());
    assert_eq!(
        run.event_names(),
        ["authorize_url", "error"],
        "{}",
        run.describe()
    );
    let error = run.event("error").unwrap();
    assert_eq!(error["code"], "declined_or_approval_requested", "{error}");
    assert_hint_says(&error, "onboard consent-url");
    nothing_saved(dir.path(), &run);
}

/// The page is open already: act without opening it again.
fn act_again(sim: &TestSim, url: &str, action: &str) -> Value {
    sim.control(
        "/authorize",
        json!({"state": query(url, "state"), "action": action}),
    )
    .1
}

/// Conditional Access blocking the device code flow: a device-code sign-in without a terminal
/// ends with exit 6 and a hint naming the other road and the admin's way out.
#[test]
fn a_blocked_device_code_sign_in_names_the_browser_road() {
    let sim = TestSim::start();
    sim.control("/tenant", json!({"device_code_policy": "on"}));
    let dir = TempDir::new().unwrap();
    let mut command = onboard_at(dir.path());
    command
        .args(["invite", "--non-interactive", "--json"])
        .args(sim_target(&sim));
    let run = crate::support::onboarded::run_with_user(command, |event| {
        let code = event["user_code"].as_str().unwrap();
        sim.approve(code);
    });
    assert_eq!(run.code, Some(6), "{}", run.describe());
    let error = run.event("error").unwrap();
    assert_eq!(error["aadsts"], "AADSTS53003", "{error}");
    let hint = error["hint"].as_str().unwrap();
    assert!(hint.contains("--flow browser"), "{hint}");
    assert!(hint.contains("Block device code flow"), "{hint}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("Conditional Access"),
        "{error}"
    );
    nothing_saved(dir.path(), &run);
}

/// With the policy on, a device-code-born profile validates to exit 6 with the protocol
/// tracking hint, and a browser-born profile of the same tenant to 0. In report-only, both
/// work; `validate --all` counts the device-code-born ones.
#[test]
fn the_policy_stops_device_code_born_credentials_only() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    invite_with(&sim, dir.path(), "device", &[]);
    browser_profile(&sim, dir.path(), "browser");
    let all = run_ok_json(&dir, &["validate", "--all", "--json"]);
    assert_eq!(all["device_code_born"], 1, "{all}");
    sim.control("/tenant", json!({"device_code_policy": "report_only"}));
    run_ok_json(&dir, &["validate", "--json", "--profile", "device"]);
    sim.control("/tenant", json!({"device_code_policy": "on"}));
    let mut command = onboard_at(dir.path());
    command.args(["validate", "--json", "--profile", "device"]);
    let refused = run(command);
    assert_eq!(refused.code, Some(6), "{}", refused.describe());
    let result: Value = serde_json::from_str(&refused.stdout).unwrap();
    assert_eq!(result["sign_in_flow"], "device_code");
    let hint = result["error"]["hint"].as_str().unwrap();
    assert!(
        hint.contains("onboard invite --flow browser --force --profile device"),
        "{hint}"
    );
    assert!(hint.contains("exclude"), "{hint}");
    assert!(
        result["error"]["message"]
            .as_str()
            .unwrap()
            .contains("blocks the device code flow"),
        "{result}"
    );
    let ok = run_ok_json(&dir, &["validate", "--json", "--profile", "browser"]);
    assert_eq!(ok["valid"], true);
    // The text summary says how many are exposed.
    let mut command = onboard_at(dir.path());
    command.args(["validate", "--all"]);
    let text = run(command);
    assert_eq!(text.code, Some(6));
    assert!(
        text.stderr.contains("1 of 2 signed in with a device code"),
        "{}",
        text.describe()
    );
}

#[cfg(unix)]
fn pty_args(sim: &TestSim, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["invite".to_owned()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(sim_target(sim));
    args
}

/// A `$BROWSER` that is a small HTTP client: it opens the sign-in page, signs in there (the
/// page's own form), and follows the redirect to onboard's listener, as a browser would.
#[cfg(unix)]
fn scripted_browser(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("browser.sh");
    std::fs::write(
        &script,
        r#"#!/bin/sh
url="$1"
page=$(curl -sf "$url") || exit 1
request=$(printf '%s' "$page" | sed -n 's/.*name="request" value="\([^"]*\)".*/\1/p')
location=$(curl -s -o /dev/null -w '%{redirect_url}' --data "request=$request&action=approve" "$url")
curl -s -o /dev/null "$location"
"#,
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[cfg(unix)]
fn saved_flow(dir: &TempDir, name: &str) -> Value {
    let profiles: Value =
        serde_json::from_slice(&std::fs::read(profiles_json(dir.path())).unwrap()).unwrap();
    profiles["profiles"][name]["sign_in_flow"].clone()
}

/// The local road: Enter opens the link in `$BROWSER`, which signs in and comes back to the
/// listener by itself.
#[test]
#[cfg(unix)] // through a Unix pty
fn the_local_road_in_a_terminal() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let bin = TempDir::new().unwrap();
    let browser = scripted_browser(bin.path());
    let mut t = Terminal::start(
        dir.path(),
        &pty_args(&sim, &["--flow", "browser"]),
        &[("BROWSER", browser.to_str().unwrap())],
    );
    t.expect("Start the sign-in?");
    t.type_line("y");
    t.expect("in a browser (attempt 1)");
    t.expect("Open this link in a browser");
    t.expect("Waiting for the browser's answer");
    t.send("\r");
    t.expect("The browser's answer arrived");
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
    assert_eq!(saved_flow(&dir, &sim.info().tenant), "authorization_code");
}

/// The remote road: the address the other machine's browser landed on is pasted; one on
/// another port is refused first, and nothing is saved until the right one comes.
#[test]
#[cfg(unix)] // through a Unix pty
fn the_remote_road_pastes_the_address() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let mut t = Terminal::start(dir.path(), &pty_args(&sim, &["--flow", "browser"]), &[]);
    t.expect("Start the sign-in?");
    t.type_line("y");
    use expectrl::Expect;
    let found = t
        .session
        .expect(expectrl::Regex(
            r"(http://127\.0\.0\.1:[0-9]+/[A-Za-z0-9%&=_.~:/?+-]+)",
        ))
        .unwrap();
    let url = String::from_utf8_lossy(found.get(1).unwrap()).into_owned();
    t.expect("Waiting for the browser's answer");
    let answer = act(&sim, &url, "approve");
    let redirect = answer["redirect"].as_str().unwrap().to_owned();
    let port = Url::parse(&redirect).unwrap().port().unwrap();
    let wrong = redirect.replace(&format!(":{port}/"), &format!(":{}/", port + 1));
    t.type_line(&wrong);
    t.expect("Not used: that address is not where this sign-in sends the browser");
    assert!(!profiles_json(dir.path()).exists());
    t.type_line(&redirect.replace("localhost", "127.0.0.1"));
    t.expect("The browser's answer arrived");
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
    assert_eq!(saved_flow(&dir, &sim.info().tenant), "authorization_code");
}

/// A device-code sign-in refused with AADSTS53003 continues on the browser road with [b],
/// without starting over, and is saved as browser-born.
#[test]
#[cfg(unix)] // through a Unix pty
fn b_switches_a_blocked_device_code_sign_in_to_the_browser() {
    let sim = TestSim::start();
    sim.control("/tenant", json!({"device_code_policy": "on"}));
    let dir = TempDir::new().unwrap();
    let bin = TempDir::new().unwrap();
    let browser = scripted_browser(bin.path());
    let mut t = Terminal::start(
        dir.path(),
        &pty_args(&sim, &[]),
        &[("BROWSER", browser.to_str().unwrap())],
    );
    t.expect("Start the sign-in?");
    t.type_line("y");
    let code = t.user_code();
    sim.approve(&code);
    t.expect("Conditional Access refused the device-code sign-in");
    t.expect("[b] continue in a browser");
    t.send("b");
    t.expect("in a browser (attempt 2)");
    t.expect("Waiting for the browser's answer");
    t.send("\r");
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
    assert_eq!(saved_flow(&dir, &sim.info().tenant), "authorization_code");
}

/// `--demo --flow browser` in a bare terminal: the demo key signs in and plays the browser.
#[test]
#[cfg(unix)] // through a Unix pty
fn the_browser_demo_works_in_a_bare_terminal() {
    let dir = TempDir::new().unwrap();
    let mut t = Terminal::start(
        dir.path(),
        &[
            "invite".to_owned(),
            "--demo".into(),
            "--flow".into(),
            "browser".into(),
        ],
        &[],
    );
    t.expect("Start the sign-in?");
    t.type_line("y");
    t.expect("demo: [s] sign in");
    t.expect("Waiting for the browser's answer");
    t.send("s");
    t.expect("The browser's answer arrived");
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
}

/// The simulated tenant's side of the road, over HTTP with its own test vectors: the
/// authorize page, then the token endpoint's checks with the errors Entra documents.
#[test]
fn the_simulated_token_endpoint_checks_pkce_the_code_and_the_redirect_uri() {
    use base64::Engine;
    let sim = TestSim::start();
    let info = sim.info().clone();
    // RFC 7636 Appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            verifier.as_bytes()
        )),
        challenge
    );
    let authorize = format!(
        "{}/oauth2/v2.0/authorize",
        info.authority.trim_end_matches("/v2.0")
    );
    let token = format!(
        "{}/oauth2/v2.0/token",
        info.authority.trim_end_matches("/v2.0")
    );
    let redirect_uri = "http://localhost:50999";
    let code_for = |state: &str| -> String {
        let mut url = Url::parse(&authorize).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", &info.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "openid offline_access User.Read")
            .append_pair("state", state)
            .append_pair("nonce", "the-nonce")
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256");
        let answer = act(&sim, url.as_str(), "approve");
        let redirect = answer["redirect"].as_str().unwrap();
        assert!(
            redirect.starts_with("http://localhost:50999/?code="),
            "{redirect}"
        );
        query(redirect, "code")
    };
    let redeem = |code: &str, verifier: &str, redirect: &str| -> (u16, Value) {
        let response = sim
            .client()
            .post(&token)
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", info.client_id.as_str()),
                ("code", code),
                ("redirect_uri", redirect),
                ("code_verifier", verifier),
            ])
            .send()
            .unwrap();
        (response.status().as_u16(), response.json().unwrap())
    };
    let codes = |body: &Value| -> Vec<u64> {
        body["error_codes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_u64)
            .collect()
    };
    let code = code_for("one");
    // Another verifier: AADSTS501481; Entra leaves the code usable after it.
    let (status, body) = redeem(&code, &"x".repeat(43), redirect_uri);
    assert_eq!(
        (status, body["error"].as_str(), codes(&body)),
        (400, Some("invalid_grant"), vec![501481]),
        "{body}"
    );
    // A redirect URI that is not registered: AADSTS50011.
    let (status, body) = redeem(&code, verifier, "https://evil.example/");
    assert_eq!((status, codes(&body)), (400, vec![50011]), "{body}");
    // Registered, but not the authorize request's: invalid_grant, no code (RFC 6749 §4.1.3).
    let (status, body) = redeem(&code, verifier, "http://localhost:51000");
    assert_eq!(
        (status, body["error"].as_str(), codes(&body)),
        (400, Some("invalid_grant"), vec![]),
        "{body}"
    );
    let (status, body) = redeem(&code, verifier, redirect_uri);
    assert_eq!(status, 200, "{body}");
    assert!(body["refresh_token"].is_string());
    let id_token = body["id_token"].as_str().unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id_token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["nonce"], "the-nonce");
    // Redeemed once: AADSTS54005.
    let (status, body) = redeem(&code, verifier, redirect_uri);
    assert_eq!((status, codes(&body)), (400, vec![54005]), "{body}");
    // An authorization-code-born token refreshes with the device code flow blocked.
    sim.control("/tenant", json!({"device_code_policy": "on"}));
    let (status, fresh) = redeem(&code_for("two"), verifier, redirect_uri);
    assert_eq!(status, 200, "{fresh}");
    let refreshed = sim
        .client()
        .post(&token)
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", info.client_id.as_str()),
            ("refresh_token", fresh["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .unwrap();
    assert_eq!(refreshed.status(), 200);
    // A challenge of the wrong size: an invalid_request redirect with AADSTS501491.
    let mut bad = Url::parse(&authorize).unwrap();
    bad.query_pairs_mut()
        .append_pair("client_id", &info.client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "openid")
        .append_pair("state", "three")
        .append_pair("code_challenge", "short")
        .append_pair("code_challenge_method", "S256");
    let answer = sim.client().get(bad.as_str()).send().unwrap();
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(query(&location, "error"), "invalid_request");
    assert!(query(&location, "error_description").starts_with("AADSTS501491:"));
}

/// AADSTS65001 at the code's redemption without a terminal: nobody can have requested approval,
/// so the run ends at once (one attempt) with exit 6, the code, the correlation ID, the run's
/// client request ID, and, with no redirect URI registered, the reviewer's admin center route.
#[test]
fn consent_required_without_a_terminal_ends_at_once_with_exit_6() {
    let sim = TestSim::start();
    sim.control("/tenant", json!({"consent_withdrawn": true}));
    let dir = TempDir::new().unwrap();
    let run = browser_invite(&sim, dir.path(), &["--timeout", "20s"], |event| {
        if event["event"] == "authorize_url" {
            let answer = act(&sim, event["url"].as_str().unwrap(), "approve");
            follow(answer["redirect"].as_str().unwrap(), "localhost:PORT");
        }
    });
    assert_eq!(run.code, Some(6), "{}", run.describe());
    assert_eq!(
        run.event_names(),
        ["authorize_url", "approval_required", "error"],
        "{}",
        run.describe()
    );
    let error = run.event("error").unwrap();
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("AADSTS65001"), "{error}");
    assert!(
        error["correlation_id"]
            .as_str()
            .is_some_and(|c| c.len() == 36),
        "{error}"
    );
    assert!(
        error["client_request_id"]
            .as_str()
            .is_some_and(|c| c.len() == 36),
        "{error}"
    );
    let hint = error["hint"].as_str().unwrap();
    assert!(hint.contains("Enterprise applications"), "{hint}");
    assert!(!hint.contains("onboard consent-url"), "{hint}");
    assert!(run.stderr.contains("AADSTS65001"), "{}", run.describe());
    nothing_saved(dir.path(), &run);
}

/// The same with a redirect URI registered: the `approval_required` event carries the admin
/// consent link (which works on the simulated tenant) and the hint names `onboard consent-url`.
#[test]
fn consent_required_without_a_terminal_names_the_link_when_there_is_one() {
    let sim = TestSim::start();
    let redirect = "https://provider.example/consented";
    sim.control(
        "/tenant",
        json!({"consent_withdrawn": true, "redirect_uris": [redirect]}),
    );
    let dir = TempDir::new().unwrap();
    let run = browser_invite(&sim, dir.path(), &["--redirect-uri", redirect], |event| {
        if event["event"] == "authorize_url" {
            let answer = act(&sim, event["url"].as_str().unwrap(), "approve");
            follow(answer["redirect"].as_str().unwrap(), "localhost:PORT");
        }
    });
    assert_eq!(run.code, Some(6), "{}", run.describe());
    let events = run.events();
    assert_eq!(
        events[1]["event"],
        "approval_required",
        "{}",
        run.describe()
    );
    assert_eq!(events[1]["code"], "AADSTS65001");
    let link = events[1]["admin_consent_url"].as_str().unwrap();
    assert!(link.contains("/adminconsent?client_id="), "{link}");
    assert!(
        link.contains("redirect_uri=https%3A%2F%2Fprovider.example%2Fconsented"),
        "{link}"
    );
    let page = sim
        .client()
        .get(link)
        .send()
        .and_then(|r| r.text())
        .unwrap_or_default();
    assert!(page.contains("Permissions requested"), "{page}");
    let error = run.event("error").unwrap();
    assert_hint_says(&error, "onboard consent-url");
    nothing_saved(dir.path(), &run);
}

/// With the admin consent workflow off (a new tenant's default), the browser's page says
/// *Need admin approval* with no *Request approval* button, and no request can be filed.
#[test]
fn without_the_admin_consent_workflow_the_page_has_no_request_button() {
    let sim = TestSim::start();
    sim.control("/tenant", json!({"require_admin_approval": true}));
    let dir = TempDir::new().unwrap();
    let mut seen = false;
    let run = browser_invite(&sim, dir.path(), &["--timeout", "3s"], |event| {
        if event["event"] != "authorize_url" {
            return;
        }
        let url = event["url"].as_str().unwrap();
        open_page(&sim, url);
        let page = sim
            .client()
            .post(url)
            .form(&[
                ("request", query(url, "state").as_str()),
                ("action", "approve"),
            ])
            .send()
            .and_then(|r| r.text())
            .unwrap();
        assert!(
            page.contains("Need admin approval") && !page.contains("Request approval"),
            "{page}"
        );
        let (status, _) = sim.control_refused(
            "/authorize",
            json!({"state": query(url, "state"), "action": "request_approval"}),
        );
        assert_eq!(status, 409);
        seen = true;
    });
    assert!(seen, "{}", run.describe());
    nothing_saved(dir.path(), &run);
}
