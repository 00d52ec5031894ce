//! Hardening against a hostile server: the real binary against [`Hostile`], a loopback issuer
//! whose discovery document and endpoints lie, redirect secrets to another port, and put
//! terminal escape sequences in what they say.

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::hostile::{CLIENT_ID, Canned, Hostile, TENANT};
use crate::support::onboard;
use crate::support::wizard::{Run, run};

const REFRESH_TOKEN: &str = "refresh-token-secret-0815";
const DEVICE_CODE: &str = "device-code-secret-4711";

/// `ONBOARD_CREDENTIAL` for a profile at `authority`.
fn credential(authority: &str) -> String {
    json!({
        "version": 1,
        "profile": "hostile",
        "authority": authority,
        "tenant": TENANT,
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "account": "svc@contoso.example",
        "scopes": ["openid", "offline_access"],
        "refresh_token": REFRESH_TOKEN,
    })
    .to_string()
}

/// `onboard validate --json` with the exported credential, in an empty config directory.
fn validate(authority: &str) -> (Run, TempDir) {
    let dir = TempDir::new().unwrap();
    let mut command = onboard();
    command
        .env("ONBOARD_HTTP_TIMEOUT", "5s")
        .env("ONBOARD_CREDENTIAL", credential(authority))
        .arg("--config-dir")
        .arg(dir.path())
        .args(["validate", "--json"]);
    (run(command), dir)
}

/// `onboard invite --non-interactive --json` against `authority`.
fn invite(authority: &str, extra: &[&str]) -> (Run, TempDir) {
    let dir = TempDir::new().unwrap();
    let mut command = onboard();
    command
        .env("ONBOARD_HTTP_TIMEOUT", "5s")
        .args(["--store", "file", "--config-dir"])
        .arg(dir.path())
        .args([
            "invite",
            "--non-interactive",
            "--json",
            "--authority",
            authority,
            "--client-id",
            CLIENT_ID,
            "--account",
            "svc@contoso.example",
            "--timeout",
            "20s",
        ])
        .args(extra);
    (run(command), dir)
}

/// Tokens as an honest token endpoint gives them (no ID token: opaque tokens are allowed).
fn tokens() -> Value {
    json!({
        "token_type": "Bearer",
        "access_token": "access-token-secret-42",
        "refresh_token": "rotated-refresh-token-43",
        "scope": "openid offline_access",
        "expires_in": 3600,
    })
}

fn leaked(recorder: &Hostile, secret: &str) -> bool {
    recorder.seen().iter().any(|s| {
        s.body.contains(secret)
            || s.path.contains(secret)
            || s.headers.iter().any(|(_, v)| v.contains(secret))
    })
}

/// A 307 or 308 from the token endpoint asks for the same POST, refresh token included, at
/// another address: it is refused, and the other port never hears of the token.
#[test]
fn a_redirected_refresh_is_not_re_sent() {
    for status in [307, 308] {
        let recorder = Hostile::start();
        let issuer = Hostile::issuer();
        issuer.route(
            "/token",
            Canned::redirect(status, &format!("{}/steal", recorder.base())),
        );
        let (run, _dir) = validate(&issuer.authority());
        assert!(
            !leaked(&recorder, REFRESH_TOKEN) && recorder.seen().is_empty(),
            "{status}: the redirect was followed: {:?}",
            recorder.seen()
        );
        assert_eq!(run.code, Some(2), "{status}: {}", run.describe());
        assert!(run.stdout.contains("redirect"), "{}", run.describe());
    }
}

/// The device code is as secret as a refresh token while it lasts: polling is not redirected.
#[test]
fn a_redirected_poll_does_not_carry_the_device_code_away() {
    let recorder = Hostile::start();
    let issuer = Hostile::issuer();
    issuer.route(
        "/token",
        Canned::redirect(307, &format!("{}/steal", recorder.base())),
    );
    let (run, dir) = invite(&issuer.authority(), &[]);
    assert!(!leaked(&recorder, DEVICE_CODE), "{:?}", recorder.seen());
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(run.stderr.contains("redirect"), "{}", run.describe());
    assert!(!dir.path().join("profiles.json").exists());
}

/// The device authorization request is not redirected either.
#[test]
fn a_redirected_device_code_request_is_refused() {
    let recorder = Hostile::start();
    let issuer = Hostile::issuer();
    issuer.route(
        "/devicecode",
        Canned::redirect(308, &format!("{}/steal", recorder.base())),
    );
    let (run, _dir) = invite(&issuer.authority(), &[]);
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
    assert_eq!(run.code, Some(2), "{}", run.describe());
}

/// GETs with the access token (userinfo, Graph) follow a redirect on the same origin only: a
/// redirect to another port is refused before the token goes there.
#[test]
fn a_bearer_get_is_redirected_only_on_the_same_origin() {
    let recorder = Hostile::start();
    let issuer = Hostile::issuer();
    issuer.route("/token", Canned::json(200, tokens()));
    issuer.route(
        "/oidc/userinfo",
        Canned::redirect(302, &format!("{}/steal", recorder.base())),
    );
    let (run, _dir) = validate(&issuer.authority());
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(run.stdout.contains("redirect"), "{}", run.describe());

    // The same origin is fine: the server moved its userinfo endpoint.
    issuer.route(
        "/oidc/userinfo",
        Canned::redirect(302, &format!("{}/oidc/me", issuer.base())),
    );
    issuer.route(
        "/oidc/me",
        Canned::json(
            200,
            json!({"sub": "s-1", "preferred_username": "svc@contoso.example"}),
        ),
    );
    let (run, _dir) = validate(&issuer.authority());
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert!(
        issuer.seen().iter().any(|s| s.path == "/oidc/me"),
        "{:?}",
        issuer.seen()
    );
}
