//! Interop with an independently written, OpenID Certified server: oidc-provider (npm, pinned in
//! tests/interop/package-lock.json) with the Device Authorization Grant, on loopback. Nothing
//! here is the simulator's: discovery, codes, pages, rotation and userinfo are the provider's.
//! The person at the browser is played by tests/interop/server.mjs, which posts the provider's
//! own device-flow HTML forms. Node.js is required: without it these tests fail, never skip.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::onboarded::{Run, credentials_dir, run, run_with_user};

const CLIENT_ID: &str = "7d2f4b8e-3c1a-4e5f-9b6d-0a8c2e4f6b1d";
const ACCOUNT: &str = "svc@interop.example";
const SCOPES: &str = "openid profile email offline_access";

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// `npm ci` once per test run, when node_modules is missing (scripts/test.sh has usually done it).
fn install() {
    static SETUP: Once = Once::new();
    SETUP.call_once(|| {
        let status = Command::new("bash")
            .arg(interop_dir().join("setup.sh"))
            .status()
            .expect("bash runs tests/interop/setup.sh");
        assert!(
            status.success(),
            "tests/interop/setup.sh failed: the interop suite needs Node.js and npm"
        );
    });
}

/// oidc-provider on 127.0.0.1 and a free port. Stops when dropped.
struct Provider {
    child: Child,
    issuer: String,
    client: reqwest::blocking::Client,
}

impl Provider {
    fn start(device_code_ttl: u64) -> Provider {
        Provider::start_with(device_code_ttl, &[])
    }

    /// With more of server.mjs's settings (`INTEROP_CLIENT_ID`, `INTEROP_SLOW_DOWN_MS`).
    fn start_with(device_code_ttl: u64, env: &[(&str, &str)]) -> Provider {
        install();
        let mut child = Command::new("node")
            .arg(interop_dir().join("server.mjs"))
            .env("INTEROP_CLIENT_ID", CLIENT_ID)
            .env("INTEROP_DEVICE_CODE_TTL", device_code_ttl.to_string())
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts tests/interop/server.mjs (is Node.js installed?)");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut first = String::new();
        stdout
            .read_line(&mut first)
            .expect("the provider prints its issuer");
        // The provider may write more; a closed pipe would kill it (EPIPE).
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let issuer = first.trim().to_owned();
        assert!(issuer.starts_with("http://127.0.0.1:"), "{issuer:?}");
        Provider {
            child,
            issuer,
            client: crate::support::http(),
        }
    }

    /// The person at the browser: enters the code on the provider's pages, then logs in as
    /// `login` and consents (`approve`) or aborts (`deny`).
    fn user(&self, user_code: &str, action: &str, login: &str) {
        self.test_route(
            "user",
            json!({"user_code": user_code, "action": action, "login": login}),
        );
    }

    /// Runs `command` (an `invite --json`) with the person at the browser acting on each code:
    /// signing in as `login` and consenting (`approve`) or aborting (`deny`).
    fn run_as_person(&self, command: Command, action: &str, login: &str) -> Run {
        run_with_user(command, |event| {
            self.user(
                event["user_code"].as_str().unwrap_or_default(),
                action,
                login,
            )
        })
    }

    /// POSTs `body` to server.mjs's test route `/_test/{route}` and returns its answer; fails
    /// the test unless the route succeeded.
    fn test_route(&self, route: &str, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/_test/{route}", self.issuer))
            .json(&body)
            .timeout(Duration::from_secs(20))
            .send()
            .expect("the provider's test route answers");
        let status = response.status();
        let answer: Value = response.json().unwrap_or_default();
        assert!(
            status.is_success(),
            "the user could not act ({body}): {answer}"
        );
        answer
    }

    /// How many device-code polls were answered `slow_down` so far.
    fn slow_downs(&self) -> u64 {
        let answer: Value = self
            .client
            .get(format!("{}/_test/slow_downs", self.issuer))
            .timeout(Duration::from_secs(20))
            .send()
            .and_then(|r| r.json())
            .expect("the provider's test route answers");
        answer["slow_downs"]
            .as_u64()
            .expect("a count of slow_down answers")
    }

    /// Waits until `count` polls were answered `slow_down`.
    fn wait_for_slow_downs(&self, count: u64) {
        let deadline = Instant::now() + crate::support::sim::WAIT;
        while self.slow_downs() < count {
            assert!(
                Instant::now() < deadline,
                "no slow_down within {:?}",
                crate::support::sim::WAIT
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `onboard` with a file store in `dir`: nothing touches the user's keyring or config.
fn onboard_in(dir: &Path) -> Command {
    let mut command = crate::support::onboarded::onboard_at(dir);
    command.args(["--profile", "interop"]);
    command
}

fn invite(provider: &Provider, dir: &Path, timeout: &str) -> Command {
    invite_with(
        provider,
        dir,
        &[
            "--client-id",
            CLIENT_ID,
            "--account",
            ACCOUNT,
            "--timeout",
            timeout,
        ],
    )
}

/// `invite` with the given arguments after the common ones (no --account, --client-id or
/// --timeout).
fn invite_with(provider: &Provider, dir: &Path, args: &[&str]) -> Command {
    let mut command = onboard_in(dir);
    command.args([
        "--json",
        "invite",
        "--non-interactive",
        "--authority",
        &provider.issuer,
        "--scope",
        SCOPES,
    ]);
    command.args(args);
    command
}

fn sign_in(provider: &Provider, dir: &Path) -> Run {
    let run = provider.run_as_person(invite(provider, dir, "60s"), "approve", ACCOUNT);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    run
}

fn validate(dir: &Path, json: bool) -> Run {
    let mut command = onboard_in(dir);
    if json {
        command.arg("--json");
    }
    command.arg("validate");
    run(command)
}

/// The one credential file of the file store in `dir`.
fn credential_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(credentials_dir(dir))
        .expect("the file store holds a credential")
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

fn credentials(dir: &Path) -> Vec<u8> {
    std::fs::read(credential_file(dir)).expect("the credential file exists")
}

#[test]
fn invite_signs_in_with_the_providers_device_flow_and_checks_the_account() {
    let provider = Provider::start(600);
    let dir = TempDir::new().unwrap();
    let run = sign_in(&provider, dir.path());
    let code = run.event("device_code").expect("a device_code event");
    assert!(
        code["verification_uri"]
            .as_str()
            .is_some_and(|u| u.starts_with(&provider.issuer)),
        "{code}"
    );
    let signed_in = run.event("signed_in").expect("a signed_in event");
    assert_eq!(signed_in["account"], ACCOUNT, "{signed_in}");
    assert_eq!(signed_in["store"], "file");
    let validated = run.event("validated").expect("a validated event");
    assert_eq!(validated["valid"], true, "{validated}");
    assert!(
        run.stderr.contains(&format!("Signed in as {ACCOUNT}")),
        "the id_token's preferred_username was checked against --account: {}",
        run.describe()
    );
    let profiles: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("profiles.json")).unwrap()).unwrap();
    let saved = &profiles["profiles"]["interop"];
    assert_eq!(
        saved["authority"].as_str().map(|a| a.trim_end_matches('/')),
        Some(provider.issuer.as_str())
    );
    assert!(
        saved["scopes"]
            .as_array()
            .is_some_and(|s| s.contains(&json!("offline_access"))),
        "{saved}"
    );
}

#[test]
fn a_different_account_signing_in_is_refused_and_nothing_is_saved() {
    let provider = Provider::start(600);
    let dir = TempDir::new().unwrap();
    let run = provider.run_as_person(
        invite(&provider, dir.path(), "60s"),
        "approve",
        "someone-else@interop.example",
    );
    assert_eq!(run.code, Some(4), "{}", run.describe());
    assert_eq!(run.event("error").unwrap()["code"], "wrong_account");
    assert!(!credentials_dir(dir.path()).exists());
}

#[test]
fn validate_proves_the_token_with_userinfo() {
    let provider = Provider::start(600);
    let dir = TempDir::new().unwrap();
    sign_in(&provider, dir.path());
    let text = validate(dir.path(), false);
    assert_eq!(text.code, Some(0), "{}", text.describe());
    assert!(
        text.stdout.contains("checked with userinfo"),
        "no msgraph_host in the provider's discovery, so userinfo proves the token: {}",
        text.describe()
    );
    let json = validate(dir.path(), true);
    assert_eq!(json.code, Some(0), "{}", json.describe());
    let result: Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(result["valid"], true);
    assert_eq!(result["account"], ACCOUNT, "userinfo's preferred_username");
}

/// oidc-provider rotates the refresh token of a public client on every use and revokes the whole
/// grant when a used one comes back: two validations in a row pass only if each saved the
/// rotated token.
#[test]
fn refresh_tokens_rotate_across_validations_and_reuse_revokes_the_grant() {
    let provider = Provider::start(600);
    let dir = TempDir::new().unwrap();
    sign_in(&provider, dir.path());
    let after_invite = credentials(dir.path());
    let first = validate(dir.path(), true);
    assert_eq!(first.code, Some(0), "{}", first.describe());
    let after_first = credentials(dir.path());
    assert_ne!(after_first, after_invite, "the rotated token was saved");
    let second = validate(dir.path(), true);
    assert_eq!(second.code, Some(0), "{}", second.describe());
    let after_second = credentials(dir.path());
    assert_ne!(after_second, after_first);

    // Presenting a used token: the provider refuses it and revokes the grant...
    std::fs::write(credential_file(dir.path()), &after_invite).unwrap();
    let reused = validate(dir.path(), true);
    assert_eq!(reused.code, Some(4), "{}", reused.describe());
    let result: Value = serde_json::from_str(reused.stdout.trim()).unwrap();
    assert_eq!(result["error"]["code"], "invalid_grant", "{result}");
    // ...so even the newest token is dead now.
    std::fs::write(credential_file(dir.path()), &after_second).unwrap();
    assert_eq!(validate(dir.path(), true).code, Some(4));
}

#[test]
fn a_client_id_that_is_not_a_guid_and_no_account_sign_in_the_account_that_signs_in() {
    let client_id = "onboard-interop-cli";
    let provider = Provider::start_with(600, &[("INTEROP_CLIENT_ID", client_id)]);
    let dir = TempDir::new().unwrap();
    let run = provider.run_as_person(
        invite_with(
            &provider,
            dir.path(),
            &["--client-id", client_id, "--timeout", "60s"],
        ),
        "approve",
        ACCOUNT,
    );
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let signed_in = run.event("signed_in").expect("a signed_in event");
    assert_eq!(signed_in["account"], ACCOUNT, "{signed_in}");
    assert!(
        run.stderr
            .contains(&format!("no --account was given: accepting {ACCOUNT}")),
        "{}",
        run.describe()
    );
    assert_eq!(run.event("validated").unwrap()["valid"], true);
    assert_eq!(validate(dir.path(), false).code, Some(0));
}

#[test]
fn a_poll_too_soon_earns_slow_down_and_every_later_poll_waits_5_s_more() {
    // Polls sooner than 7 s apart earn slow_down: the second poll (5 s after the first, the
    // RFC's default interval) does, the ones after it (10 s apart) do not.
    let provider = Provider::start_with(600, &[("INTEROP_SLOW_DOWN_MS", "7000")]);
    let dir = TempDir::new().unwrap();
    let started = Instant::now();
    let run = run_with_user(invite(&provider, dir.path(), "60s"), |event| {
        let user_code = event["user_code"].as_str().unwrap_or_default().to_owned();
        // The person signs in once the slow_down has happened (at 10 s), however late that is.
        provider.wait_for_slow_downs(1);
        provider.user(&user_code, "approve", ACCOUNT);
    });
    assert_eq!(run.code, Some(0), "{}", run.describe());
    // Polls at 5 s, 10 s (slow_down), then 20 s: tokens.
    assert!(
        started.elapsed() >= Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        provider.slow_downs(),
        1,
        "one slow_down: {}",
        run.describe()
    );
}

/// Without a person, each code expires (TTL 6 s, polled every 5 s); the non-interactive wizard asks for fresh
/// ones until --timeout, then gives up with exit 4.
#[test]
fn expired_codes_are_renewed_until_the_timeout_then_exit_4() {
    let provider = Provider::start(6);
    let dir = TempDir::new().unwrap();
    let started = Instant::now();
    let run = run(invite(&provider, dir.path(), "14s"));
    assert_eq!(run.code, Some(4), "{}", run.describe());
    // Ten times the --timeout: it gave up, however loaded the machine.
    assert!(started.elapsed() < Duration::from_secs(140));
    let codes = run
        .events()
        .into_iter()
        .filter(|e| e["event"] == "device_code")
        .count();
    assert!(codes >= 2, "fresh codes after expiry: {}", run.describe());
    assert_eq!(run.event("error").unwrap()["exit_code"], 4);
    assert!(!credentials_dir(dir.path()).exists());
}

impl Provider {
    /// The person at the browser on the authorization code road: opens `url`, logs in as
    /// `login` and consents (`approve`) or cancels (`deny`) on the provider's pages; returns
    /// where the provider sends the browser.
    fn authorize(&self, url: &str, action: &str, login: &str) -> String {
        let answer = self.test_route(
            "authorize",
            json!({"url": url, "action": action, "login": login}),
        );
        answer["redirect"].as_str().expect("a redirect").to_owned()
    }
}

/// What the browser does next: a GET of the redirect, which reaches onboard's listener.
fn follow(redirect: &str) -> String {
    use std::io::{Read, Write};
    let url = url::Url::parse(redirect).unwrap();
    let port = url.port().unwrap();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET /?{} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n",
        url.query().unwrap_or_default()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.lines().next().unwrap_or_default().to_owned()
}

fn browser_sign_in(provider: &Provider, dir: &Path, action: &str) -> Run {
    let mut command = invite(provider, dir, "60s");
    command.args(["--flow", "browser"]);
    crate::support::onboarded::run_with_events(command, |event| {
        if event["event"] == "authorize_url" {
            let redirect = provider.authorize(event["url"].as_str().unwrap(), action, ACCOUNT);
            assert!(follow(&redirect).contains("200"), "{redirect}");
        }
    })
}

/// The browser road against the provider's own authorization endpoint, login and consent
/// pages, PKCE and token endpoint; then its refresh-token rotation, as on the device road.
#[test]
fn the_browser_road_signs_in_at_the_provider_and_its_tokens_rotate() {
    let provider = Provider::start(600);
    let dir = TempDir::new().unwrap();
    let run = browser_sign_in(&provider, dir.path(), "approve");
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let url = run.event("authorize_url").unwrap();
    assert!(
        url["url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&provider.issuer)),
        "{url}"
    );
    let signed_in = run.event("signed_in").unwrap();
    assert_eq!(signed_in["account"], ACCOUNT, "{signed_in}");
    assert_eq!(signed_in["sign_in_flow"], "authorization_code");
    assert_eq!(run.event("validated").unwrap()["valid"], true);
    let after_invite = credentials(dir.path());
    assert_eq!(validate(dir.path(), true).code, Some(0));
    let after_first = credentials(dir.path());
    assert_ne!(after_first, after_invite, "the rotated token was saved");
    let second = validate(dir.path(), true);
    assert_eq!(second.code, Some(0), "{}", second.describe());
    assert_ne!(credentials(dir.path()), after_first);
    // A used token revokes the grant, as on the device road.
    std::fs::write(credential_file(dir.path()), &after_invite).unwrap();
    assert_eq!(validate(dir.path(), true).code, Some(4));
}

/// The person declines at the provider, on the device road or cancels on the browser road:
/// exit 4, `access_denied`, nothing saved.
#[test]
fn a_declined_sign_in_is_exit_4_and_saves_nothing_on_both_roads() {
    let provider = Provider::start(600);
    for road in ["device", "browser"] {
        let dir = TempDir::new().unwrap();
        let run = match road {
            "browser" => browser_sign_in(&provider, dir.path(), "deny"),
            _ => provider.run_as_person(invite(&provider, dir.path(), "60s"), "deny", ACCOUNT),
        };
        assert_eq!(run.code, Some(4), "{road}: {}", run.describe());
        let error = run.event("error").expect("an error event");
        assert_eq!(error["code"], "access_denied", "{road}: {error}");
        assert!(!credentials_dir(dir.path()).exists(), "{road}");
    }
}
