//! Hardening (docs/security.md): the real binary against [`Hostile`], a loopback
//! issuer whose discovery document and endpoints lie, redirect secrets to another port, and put
//! terminal escape sequences in what they say; and against a hostile neighbourhood: a config
//! directory others can write, a browser that reads the environment, a quiet flag, a panic.

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::OutputWithin;
use crate::support::hostile::{
    CLIENT_ID, Canned, Hostile, TENANT, credential, invite_against, invite_with, validate_exported,
};
use crate::support::onboard;
use crate::support::onboarded::{Run, run as finish};
use crate::support::schema::{JsonOutput, parsed};

const REFRESH_TOKEN: &str = "refresh-token-secret-0815";
const DEVICE_CODE: &str = "device-code-secret-4711";

/// `onboard validate --json` with the exported credential, in an empty config directory.
fn validate(authority: &str) -> (Run, TempDir) {
    validate_exported(&credential(authority, REFRESH_TOKEN), &["--json"])
}

/// `onboard invite --non-interactive --json` against `authority`.
fn invite(authority: &str, extra: &[&str]) -> (Run, TempDir) {
    let mut args = vec!["--json", "--timeout", "20s"];
    args.extend_from_slice(extra);
    invite_against(authority, &args)
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

/// An issuer whose `path` answers `status` with a redirect to another server, which records
/// whatever reaches it: (the issuer, the recorder).
fn redirecting_away(path: &str, status: u16) -> (Hostile, Hostile) {
    let recorder = Hostile::start();
    let issuer = Hostile::issuer();
    issuer.route(
        path,
        Canned::redirect(status, &format!("{}/steal", recorder.base())),
    );
    (issuer, recorder)
}

/// A 307 or 308 from the token endpoint asks for the same POST, refresh token included, at
/// another address: it is refused, and the other port never hears of the token.
#[test]
fn a_redirected_refresh_is_not_re_sent() {
    for status in [307, 308] {
        let (issuer, recorder) = redirecting_away("/token", status);
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
    let (issuer, recorder) = redirecting_away("/token", 307);
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
    let (issuer, recorder) = redirecting_away("/devicecode", 308);
    let (run, _dir) = invite(&issuer.authority(), &[]);
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
    assert_eq!(run.code, Some(2), "{}", run.describe());
}

/// GETs with the access token (userinfo, Graph) follow a redirect on the same origin only: a
/// redirect to another port is refused before the token goes there.
#[test]
fn a_bearer_get_is_redirected_only_on_the_same_origin() {
    let (issuer, recorder) = redirecting_away("/oidc/userinfo", 302);
    issuer.route("/token", Canned::json(200, tokens()));
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

/// A `$BROWSER` that writes the address it was given, and its environment, into `dir`.
#[cfg(unix)] // a shell script
fn recording_browser(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let browser = dir.join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nenv > '{env}'\nprintf '%s\\n' \"$1\" > '{url}.tmp' && mv '{url}.tmp' '{url}'\n",
            env = dir.join("browser.env").display(),
            url = dir.join("browser.url").display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    browser
}

#[cfg(unix)] // used with the pty test only
fn wait_for(path: &std::path::Path) -> String {
    let deadline = std::time::Instant::now() + crate::support::sim::WAIT;
    while !path.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::fs::read_to_string(path).unwrap_or_else(|_| panic!("{} was never written", path.display()))
}

/// The phishing guard covers the page Enter opens: a `verification_uri_complete` on another
/// site than the `verification_uri` is dropped, the screen names the exact address Enter
/// opens, and the browser gets that address. The browser (a child process) never sees
/// `ONBOARD_CREDENTIAL`.
#[test]
#[cfg(unix)] // through a Unix pty and a shell-script browser
fn enter_opens_the_checked_page_and_never_a_foreign_complete_uri() {
    use crate::support::pty::Terminal;
    let phisher = Hostile::start();
    let issuer = Hostile::issuer();
    issuer.route(
        "/devicecode",
        Canned::json(
            200,
            json!({
                "user_code": "HSTLCODE",
                "device_code": DEVICE_CODE,
                "verification_uri": "{base}/devicelogin",
                "verification_uri_complete": format!("{}/devicelogin?user_code=HSTLCODE", phisher.base()),
                "expires_in": 60,
                "interval": 1,
            }),
        ),
    );
    issuer.route(
        "/token",
        Canned::json(400, json!({"error": "authorization_pending"})),
    );
    let dir = TempDir::new().unwrap();
    let browser = recording_browser(dir.path());
    let page = format!("{}/devicelogin", issuer.base());
    let mut t = Terminal::start(
        dir.path(),
        &[
            "invite",
            "--authority",
            &issuer.authority(),
            "--client-id",
            CLIENT_ID,
            "--account",
            "svc@contoso.example",
        ]
        .map(String::from),
        &[
            ("BROWSER", browser.to_str().unwrap()),
            (
                "ONBOARD_CREDENTIAL",
                &credential(&issuer.authority(), REFRESH_TOKEN),
            ),
        ],
    );
    t.expect("Start the sign-in?");
    t.type_line("y");
    t.user_code();
    t.expect(&format!("[Enter] open {page} in your browser"));
    t.expect("Waiting for sign-in");
    t.send("\r");
    t.expect("in the browser");
    let opened = wait_for(&dir.path().join("browser.url"));
    assert_eq!(opened.trim(), page);
    let env = wait_for(&dir.path().join("browser.env"));
    assert!(
        !env.contains(REFRESH_TOKEN) && !env.contains("ONBOARD_CREDENTIAL"),
        "{env}"
    );
    assert!(phisher.seen().is_empty());
    t.send("q");
    assert_eq!(t.exit_code(), 130);
}

/// What a hostile server writes to trick a terminal: clear the screen, set the window title,
/// a C1 CSI that colours, a bidi override that reverses what follows, a bell, a carriage
/// return that lets the rest overwrite the line.
const ESCAPES: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m\u{202e}\r";

fn assert_no_controls(run: &Run, colour: bool) {
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let bad: Vec<char> = text
            .chars()
            .filter(|c| {
                (c.is_control() && !['\n', '\t'].contains(c) && !(colour && *c == '\u{1b}'))
                    || ('\u{202a}'..='\u{202e}').contains(c)
            })
            .collect();
        assert!(bad.is_empty(), "{name} holds {bad:?}\n{}", run.describe());
        for sequence in ["\u{1b}[2J", "\u{1b}]"] {
            assert!(
                !text.contains(sequence),
                "{name} holds {sequence:?}\n{}",
                run.describe()
            );
        }
    }
}

/// Escape sequences in an OAuth error body, in its correlation ID, and in the account name
/// userinfo gives never reach the terminal: not with colours off, and with colours on only
/// onboard's own colours do.
#[test]
fn escape_sequences_from_servers_never_reach_the_terminal() {
    let issuer = Hostile::issuer();
    issuer.route(
        "/token",
        Canned::json(
            400,
            json!({
                "error": "invalid_grant",
                "error_description": format!("AADSTS70000: the grant is bad{ESCAPES}now"),
                "error_codes": [70000],
                "correlation_id": format!("c-1{ESCAPES}"),
            }),
        ),
    );
    for colour in ["never", "always"] {
        let dir = TempDir::new().unwrap();
        let mut command = onboard();
        command
            .env(
                "ONBOARD_CREDENTIAL",
                credential(&issuer.authority(), REFRESH_TOKEN),
            )
            .arg("--config-dir")
            .arg(dir.path())
            .args(["--color", colour, "validate"]);
        let run = finish(command);
        assert_eq!(run.code, Some(4), "{}", run.describe());
        assert!(
            run.stdout.contains("the grant is bad"),
            "{}",
            run.describe()
        );
        assert_no_controls(&run, colour == "always");
    }

    issuer.route("/token", Canned::json(200, tokens()));
    issuer.route(
        "/oidc/userinfo",
        Canned::json(
            200,
            json!({"sub": "s-1", "preferred_username": format!("svc@contoso.example{ESCAPES}"), "name": format!("Svc{ESCAPES}")}),
        ),
    );
    let dir = TempDir::new().unwrap();
    let mut command = onboard();
    command
        .env(
            "ONBOARD_CREDENTIAL",
            credential(&issuer.authority(), REFRESH_TOKEN),
        )
        .arg("--config-dir")
        .arg(dir.path())
        .arg("validate");
    let run = finish(command);
    assert!(
        run.stdout.contains("svc@contoso.example"),
        "{}",
        run.describe()
    );
    assert_no_controls(&run, false);
}

/// A user code with escape sequences is shown without them on the line a CI log reads, and
/// an invitation whose values carry them is refused (account) or shown clean.
#[test]
fn escape_sequences_in_codes_and_invitations_are_neutralised() {
    let issuer = Hostile::issuer();
    issuer.route(
        "/devicecode",
        Canned::json(
            200,
            json!({
                "user_code": format!("HSTL{ESCAPES}CODE"),
                "device_code": DEVICE_CODE,
                "verification_uri": "{base}/devicelogin",
                "expires_in": 2,
                "interval": 1,
            }),
        ),
    );
    issuer.route(
        "/token",
        Canned::json(
            401,
            json!({"error": "invalid_client", "error_description": format!("AADSTS7000218: no{ESCAPES}")}),
        ),
    );
    // Such a code is no RFC 8628 user code: the sign-in is refused as a malformed answer.
    let (run, _dir) = invite(&issuer.authority(), &[]);
    assert_eq!(run.code, Some(5), "{}", run.describe());
    assert!(run.stderr.contains("user_code"), "{}", run.describe());
    assert!(!run.stderr.contains("To sign in"), "{}", run.describe());
    assert_no_controls(&run, false);

    // The account from an invitation link: a control character makes it no account at all.
    let link = format!(
        "https://provider.example/onboard?account=svc%1B%5B2J%40contoso.example&client_id={CLIENT_ID}"
    );
    let dir = TempDir::new().unwrap();
    let mut command = onboard();
    command
        .args(["--store", "file", "--config-dir"])
        .arg(dir.path())
        .args([
            "invite",
            "--non-interactive",
            "--authority",
            &issuer.authority(),
            &link,
        ]);
    let run = finish(command);
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(
        // With another issuer an account is any value that issuer knows, but never one with
        // control characters.
        run.stderr.contains("account name"),
        "{}",
        run.describe()
    );
    assert_no_controls(&run, false);

    // Scopes: RFC 6749's characters only.
    let (run, _dir) = invite(&issuer.authority(), &["--scope", "User.Read\u{1b}[2J"]);
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(run.stdout.contains("is not a scope"), "{}", run.describe());
    assert_no_controls(&run, false);
}

/// Onboard's own SGR sequences taken out, so that lines can be read as a person sees them.
fn without_sgr(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let params = &rest[at + 2..];
        let len = params
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b';')
            .count();
        if params.as_bytes().get(len) == Some(&b'm') {
            rest = &params[len + 1..];
        } else {
            out.push('\u{1b}');
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// The lines of `text` (either line break) that start, once indented text is trimmed, with
/// `start`: lines a server would have written on its own.
fn lines_starting_with(text: &str, start: &str) -> Vec<String> {
    without_sgr(text)
        .split(['\n', '\r'])
        .filter(|l| l.trim_start().starts_with(start))
        .map(String::from)
        .collect()
}

/// A user code is RFC 8628's short run of letters, digits and dashes: one holding a newline
/// (which wrote a second "To sign in, open …" line naming another page) or an escape sequence
/// is refused as a malformed answer (exit 5) before anything is shown.
#[test]
fn a_user_code_cannot_write_a_line_or_hide_text() {
    for user_code in [
        "HSTLCODE\nTo sign in, open https://evil.example/devicelogin and enter the code EVILCODE",
        "HSTL\u{1b}[8mCODE",
        "HSTL CODE",
    ] {
        let issuer = Hostile::issuer();
        issuer.route(
            "/devicecode",
            Canned::json(
                200,
                json!({
                    "user_code": user_code,
                    "device_code": DEVICE_CODE,
                    "verification_uri": "{base}/devicelogin",
                    "expires_in": 60,
                    "interval": 1,
                }),
            ),
        );
        issuer.route(
            "/token",
            Canned::json(401, json!({"error": "invalid_client"})),
        );
        let (run, _dir) = invite(&issuer.authority(), &[]);
        assert_eq!(run.code, Some(5), "{user_code:?}: {}", run.describe());
        assert!(!run.stderr.contains("evil.example"), "{}", run.describe());
        assert!(!run.stderr.contains("To sign in"), "{}", run.describe());
        assert!(run.stderr.contains("user_code"), "{}", run.describe());
        assert!(run.event("device_code").is_none(), "{}", run.describe());
        assert!(
            !issuer.seen().iter().any(|s| s.path.ends_with("/token")),
            "polled with a refused code"
        );
    }
}

/// Ids and descriptions in an error body are folded into the one error line and lose every
/// escape sequence: a `trace_id` cannot print a green "✓ Onboarded" line of its own, nor hide
/// the hint after it with `ESC[8m` (conceal), with colours on.
#[test]
fn server_ids_cannot_forge_a_line_or_conceal_the_hint() {
    let issuer = Hostile::issuer();
    issuer.route(
        "/token",
        Canned::json(
            400,
            json!({
                "error": "invalid_grant",
                "error_description": "AADSTS70000: the grant is bad.\u{2028}✓ Verified: Microsoft sign-in page\r\nTrace ID: x",
                "error_codes": [70000],
                "trace_id": "t-1\n\u{1b}[32m✓ Onboarded\u{1b}[0m contoso\u{1b}[8m",
                "correlation_id": "c-1\r\u{1b}[2K✓ Saved\u{9b}8m",
            }),
        ),
    );
    for json in [false, true] {
        let dir = TempDir::new().unwrap();
        let mut command = onboard();
        command
            .env(
                "ONBOARD_CREDENTIAL",
                credential(&issuer.authority(), REFRESH_TOKEN),
            )
            .arg("--config-dir")
            .arg(dir.path())
            .args(["--color", "always", "validate"]);
        if json {
            command.arg("--json");
        }
        let run = finish(command);
        assert_eq!(run.code, Some(4), "{}", run.describe());
        let all = format!("{}\n{}", run.stdout, run.stderr);
        for hidden in ["\u{1b}[8m", "\u{9b}", "\u{1b}[2K", "\u{2028}"] {
            assert!(!all.contains(hidden), "{hidden:?} in {}", run.describe());
        }
        let forged = lines_starting_with(&all, "✓");
        assert!(
            forged.is_empty(),
            "forged lines {forged:?}\n{}",
            run.describe()
        );
        assert!(
            all.contains("t-1 ✓ Onboarded contoso"),
            "{}",
            run.describe()
        );
        assert!(
            all.contains("onboard invite"),
            "the hint: {}",
            run.describe()
        );
    }
}

/// Entra's localised instructions are shown as the server's words, on one line: a `message`
/// with a line break cannot write "✓ Verified: Microsoft sign-in page" as a line of onboard's.
#[test]
#[cfg(unix)] // through a Unix pty
fn a_device_code_message_cannot_write_a_line_of_its_own() {
    use crate::support::pty::Terminal;
    use expectrl::Expect;
    let issuer = Hostile::issuer();
    let port = issuer.base().rsplit(':').next().unwrap().to_owned();
    // Graph on the issuer's own loopback port: the simulated tenant's shape, whose
    // instructions the wizard shows.
    issuer.route(
        "/.well-known/openid-configuration",
        Canned::json(
            200,
            issuer.discovery(json!({"msgraph_host": format!("127.0.0.1:{port}")})),
        ),
    );
    issuer.route(
        "/devicecode",
        Canned::json(
            200,
            json!({
                "user_code": "HSTLCODE",
                "device_code": DEVICE_CODE,
                "verification_uri": "{base}/devicelogin",
                "expires_in": 60,
                "interval": 1,
                "message": "Open the page and enter the code.\n  \u{1b}[32;1m✓ Verified: Microsoft sign-in page\u{1b}[0m",
            }),
        ),
    );
    issuer.route(
        "/token",
        Canned::json(400, json!({"error": "authorization_pending"})),
    );
    let dir = TempDir::new().unwrap();
    let mut t = Terminal::start(
        dir.path(),
        &[
            "--color",
            "always",
            "invite",
            "--authority",
            &issuer.authority(),
            "--client-id",
            CLIENT_ID,
            "--account",
            "svc@contoso.example",
        ]
        .map(String::from),
        &[],
    );
    t.expect("Start the sign-in?");
    t.type_line("y");
    let shown = t
        .session
        .expect("[n] new code")
        .unwrap_or_else(|e| panic!("no key line: {e}"));
    let screen = String::from_utf8_lossy(shown.before()).into_owned();
    assert!(
        without_sgr(&screen).contains("Open the page and enter the code. ✓ Verified"),
        "{screen:?}"
    );
    let forged = lines_starting_with(&screen, "✓ Verified");
    assert!(forged.is_empty(), "forged lines {forged:?} in {screen:?}");
    t.send("q");
    assert_eq!(t.exit_code(), 130);
}

/// A forged invitation cannot move the sign-in to another server: an `authority=` that is not
/// one of Microsoft's clouds is refused (exit 2) before any request, so the hostile issuer
/// (whose document names `msgraph_host`, and whose token endpoint demands consent) never gets
/// to show its sign-in page, nor to have its `/adminconsent` page offered to the reviewer.
#[test]
fn an_invitation_cannot_move_the_sign_in_to_another_server() {
    let issuer = Hostile::issuer();
    let port = issuer.base().rsplit(':').next().unwrap().to_owned();
    issuer.route(
        "/.well-known/openid-configuration",
        Canned::json(
            200,
            issuer.discovery(json!({"msgraph_host": format!("127.0.0.1:{port}")})),
        ),
    );
    issuer.route(
        "/token",
        Canned::json(
            400,
            json!({"error": "invalid_grant", "error_description": "AADSTS65001: consent", "error_codes": [65001]}),
        ),
    );
    let link = format!(
        "https://provider.example/onboard?tenant=contoso.example&client_id={CLIENT_ID}&account=svc%40contoso.example&redirect_uri=https%3A%2F%2Fprovider.example%2Fconsented&authority={}",
        issuer.authority()
    );
    let (run, _dir) = invite_with(&["--json", "--timeout", "20s", &link]);
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(issuer.seen().is_empty(), "{:?}", issuer.seen());
    assert!(!run.stdout.contains("adminconsent"), "{}", run.describe());
    assert!(
        run.stderr.contains("not one of Microsoft's clouds") && run.stderr.contains("--authority"),
        "{}",
        run.describe()
    );
    // The wizard on a terminal refuses it just the same.
    #[cfg(unix)]
    {
        use crate::support::pty::Terminal;
        let dir = TempDir::new().unwrap();
        let mut t = Terminal::start(dir.path(), &["invite".to_owned(), link], &[]);
        t.expect("not one of Microsoft's clouds");
        assert_eq!(t.exit_code(), 2);
        assert!(issuer.seen().is_empty(), "{:?}", issuer.seen());
    }
}

/// With `--authority` on the command line the issuer is the operator's choice, and the
/// summary says on a line of its own, before any code exists (and with `-q` too), that the
/// sign-in is at a non-Microsoft server.
#[test]
fn a_non_microsoft_authority_is_named_before_any_code() {
    let issuer = Hostile::issuer();
    issuer.route(
        "/token",
        Canned::json(401, json!({"error": "invalid_client"})),
    );
    let host = issuer.base().trim_start_matches("http://").to_owned();
    for quiet in [false, true] {
        let extra: &[&str] = if quiet { &["-q"] } else { &[] };
        let dir = TempDir::new().unwrap();
        let mut command = onboard();
        command
            .env("ONBOARD_HTTP_TIMEOUT", "30s")
            .args(extra)
            .args(["--store", "file", "--config-dir"])
            .arg(dir.path())
            .args([
                "invite",
                "--non-interactive",
                "--authority",
                &issuer.authority(),
                "--client-id",
                CLIENT_ID,
            ]);
        let run = finish(command);
        let line = format!("Sign-in at a non-Microsoft server: {host}");
        let named = lines_starting_with(&run.stderr, &line);
        assert_eq!(named.len(), 1, "{quiet}: {}", run.describe());
        let (Some(at), Some(code)) = (run.stderr.find(&line), run.stderr.find("To sign in")) else {
            panic!("{}", run.describe())
        };
        assert!(at < code, "{}", run.describe());
    }
}

/// Another identity provider that answers a sign-in with a consent error gets no admin consent
/// detour: no `approval_required` event, no `/adminconsent` link (even with --redirect-uri),
/// none of Microsoft's words; the run ends with exit 6 and its own hint.
#[test]
fn another_providers_consent_error_gets_no_admin_consent_link_nor_microsofts_words() {
    let issuer = Hostile::issuer();
    issuer.route(
        "/token",
        Canned::json(
            400,
            json!({"error": "consent_required", "error_description": "AADSTS65001: The user has not consented", "error_codes": [65001]}),
        ),
    );
    let (run, _dir) = invite(
        &issuer.authority(),
        &["--redirect-uri", "https://provider.example/consented"],
    );
    assert_eq!(run.code, Some(6), "{}", run.describe());
    assert!(
        run.event("approval_required").is_none(),
        "{}",
        run.describe()
    );
    for microsofts in [
        "adminconsent",
        "Entra admin center",
        "Admin Consent Reviewers",
        "consent-url",
    ] {
        assert!(
            !run.stdout.contains(microsofts) && !run.stderr.contains(microsofts),
            "{microsofts}: {}",
            run.describe()
        );
    }
    assert!(
        run.stderr.contains("not a Microsoft sign-in"),
        "{}",
        run.describe()
    );
}

/// When nobody signs in at another identity provider, the hint says to try again, not to send
/// a reviewer Microsoft's consent link.
#[test]
fn a_non_microsoft_timeout_says_nothing_of_microsofts_approval() {
    let issuer = Hostile::issuer();
    issuer.route(
        "/token",
        Canned::json(400, json!({"error": "authorization_pending"})),
    );
    let dir = TempDir::new().unwrap();
    let mut command = onboard();
    command
        .args(["--store", "file", "--config-dir"])
        .arg(dir.path())
        .args([
            "invite",
            "--non-interactive",
            "--timeout",
            "3s",
            "--authority",
        ])
        .arg(issuer.authority())
        .args(["--client-id", CLIENT_ID]);
    let run = finish(command);
    assert_eq!(run.code, Some(4), "{}", run.describe());
    assert!(run.stderr.contains("--timeout"), "{}", run.describe());
    for microsofts in ["Approval required", "consent-url"] {
        assert!(
            !run.stderr.contains(microsofts),
            "{microsofts}: {}",
            run.describe()
        );
    }
}

/// The phishing guard holds without a terminal too: a device-code answer naming a sign-in page
/// on another server than the issuer's ends the run (exit 2) before the code or the page is
/// printed, since nobody is there to confirm the host.
#[test]
fn a_run_without_a_terminal_refuses_a_foreign_sign_in_page() {
    let phisher = Hostile::start();
    let issuer = Hostile::issuer();
    issuer.route(
        "/devicecode",
        Canned::json(
            200,
            json!({
                "user_code": "HSTLCODE",
                "device_code": DEVICE_CODE,
                "verification_uri": format!("{}/devicelogin", phisher.base()),
                "expires_in": 60,
                "interval": 1,
            }),
        ),
    );
    issuer.route(
        "/token",
        Canned::json(400, json!({"error": "authorization_pending"})),
    );
    let (run, dir) = invite(&issuer.authority(), &[]);
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(!run.stderr.contains("To sign in"), "{}", run.describe());
    assert!(run.event("device_code").is_none(), "{}", run.describe());
    let phisher_host = phisher.base().trim_start_matches("http://");
    assert!(
        run.stderr
            .contains(&format!("the sign-in page is on {phisher_host}")),
        "{}",
        run.describe()
    );
    assert!(!dir.path().join("profiles.json").exists());
    assert!(
        !issuer.seen().iter().any(|s| s.path.ends_with("/token")),
        "polled for a code nobody could use"
    );
}

/// `msgraph_host` is a host name: `graph.microsoft.com@127.0.0.1:PORT` would send the access
/// token to whoever listens on that port.
#[test]
fn an_msgraph_host_with_an_at_sign_is_refused() {
    let recorder = Hostile::start();
    let issuer = Hostile::issuer();
    let port = recorder.base().rsplit(':').next().unwrap().to_owned();
    issuer.route(
        "/.well-known/openid-configuration",
        Canned::json(
            200,
            issuer.discovery(
                json!({"msgraph_host": format!("graph.microsoft.com@127.0.0.1:{port}")}),
            ),
        ),
    );
    issuer.route("/token", Canned::json(200, tokens()));
    let (run, _dir) = validate(&issuer.authority());
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(run.stdout.contains("msgraph_host"), "{}", run.describe());
    assert!(
        !issuer.seen().iter().any(|s| s.path.ends_with("/token")),
        "the refresh token was redeemed before the document was checked"
    );
}

/// An authority read back from an exported credential (or profiles.json) obeys the command
/// line's rules: a Microsoft cloud's authority is on that cloud's sign-in host, and plain
/// http is for loopback only.
#[test]
fn saved_authorities_are_checked_like_typed_ones() {
    let issuer = Hostile::issuer();
    let mut exported: Value =
        serde_json::from_str(&credential(&issuer.authority(), REFRESH_TOKEN)).unwrap();
    exported["cloud"] = json!("global");
    let dir = TempDir::new().unwrap();
    let mut command = onboard();
    command
        .env("ONBOARD_CREDENTIAL", exported.to_string())
        .arg("--config-dir")
        .arg(dir.path())
        .args(["validate", "--json"]);
    let run = finish(command);
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(issuer.seen().is_empty(), "{:?}", issuer.seen());
    assert!(
        run.stdout.contains("not a sign-in host"),
        "{}",
        run.describe()
    );

    // Not loopback, not https: refused before any name is looked up (exit 2, not 5).
    let (run, _dir) = validate(&format!("http://login.onboard-tests.invalid/{TENANT}/v2.0"));
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(run.stdout.contains("https://"), "{}", run.describe());
}

/// An unsigned JWT with `claims` (the client never checks signatures: see flow/jwt.rs).
fn jwt(claims: &Value) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// The claims of an ID token that `issuer` honestly issued for this sign-in.
fn honest_claims(issuer: &Hostile) -> Value {
    let now = jiff::Timestamp::now().as_second();
    json!({
        "iss": format!("{}/{TENANT}/v2.0", issuer.base()),
        "aud": CLIENT_ID,
        "exp": now + 3600,
        "iat": now,
        "tid": TENANT,
        "oid": "o-1",
        "preferred_username": "svc@contoso.example",
    })
}

/// A sign-in whose token answer carries no refresh token (offline_access not granted) has
/// nothing to save: exit 6, one line saying so, a hint, and nothing saved.
#[test]
fn a_sign_in_without_a_refresh_token_saves_nothing_and_says_why() {
    let issuer = Hostile::issuer();
    let mut answer = tokens();
    answer.as_object_mut().unwrap().remove("refresh_token");
    answer["scope"] = json!("openid");
    answer["id_token"] = json!(jwt(&honest_claims(&issuer)));
    issuer.route("/token", Canned::json(200, answer));
    let (run, dir) = invite(&issuer.authority(), &[]);
    assert_eq!(run.code, Some(6), "{}", run.describe());
    assert!(
        run.stderr
            .contains("onboard: error: the server gave no refresh token; nothing was saved"),
        "{}",
        run.describe()
    );
    assert!(run.stderr.contains("offline_access"), "{}", run.describe());
    assert!(!dir.path().join("profiles.json").exists());
}

/// Before an ID token's claims decide who signed in, its issuer, audience, expiry and tenant
/// are checked: a token endpoint that hands out another client's, another issuer's, an
/// expired or another tenant's ID token is refused, and nothing is saved.
#[test]
fn id_tokens_that_are_not_this_sign_ins_are_refused() {
    let issuer = Hostile::issuer();
    let now = jiff::Timestamp::now().as_second();
    let honest = honest_claims(&issuer);
    let other_tenant = "11111111-2222-3333-4444-555555555555";
    let cases = [
        ("iss", json!("https://login.evil.example/v2.0"), 2, "issuer"),
        (
            "aud",
            json!("00000003-0000-0000-c000-000000000000"),
            2,
            "not for the client",
        ),
        ("exp", json!(now - 3600), 2, "expired"),
        ("tid", json!(other_tenant), 4, "tenant"),
        ("none", json!(null), 0, ""),
    ];
    for (field, value, exit, says) in cases {
        let mut claims = honest.clone();
        if field != "none" {
            claims[field] = value;
        }
        let mut answer = tokens();
        answer["id_token"] = json!(jwt(&claims));
        issuer.route("/token", Canned::json(200, answer));
        issuer.route(
            "/oidc/userinfo",
            Canned::json(
                200,
                json!({"sub": "s-1", "preferred_username": "svc@contoso.example"}),
            ),
        );
        let (run, dir) = invite(&issuer.authority(), &[]);
        assert_eq!(run.code, Some(exit), "{field}: {}", run.describe());
        assert!(run.stderr.contains(says), "{field}: {}", run.describe());
        assert_eq!(
            dir.path().join("profiles.json").exists(),
            exit == 0,
            "{field}: {}",
            run.describe()
        );
    }
}

/// A config directory others may write to (or that another user owns) is refused with the
/// fix: whoever writes there can point a profile at their own server.
#[cfg(unix)]
#[test]
fn a_config_directory_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    for mode in [0o777, 0o775, 0o757] {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        let mut command = onboard();
        command.arg("--config-dir").arg(dir.path()).arg("list");
        let run = finish(command);
        assert_eq!(run.code, Some(7), "{mode:o}: {}", run.describe());
        assert!(
            run.stderr.contains("can be written by other users"),
            "{}",
            run.describe()
        );
        assert!(run.stderr.contains("chmod go-w"), "{}", run.describe());
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut command = onboard();
    command.arg("--config-dir").arg(dir.path()).arg("list");
    assert_eq!(finish(command).code, Some(0));
    // Owned by someone else: only root can arrange that here.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(dir.path(), Some(65534), None).unwrap();
        let mut command = onboard();
        command.arg("--config-dir").arg(dir.path()).arg("list");
        let run = finish(command);
        assert_eq!(run.code, Some(7), "{}", run.describe());
        assert!(
            run.stderr.contains("is owned by user 65534"),
            "{}",
            run.describe()
        );
    } else {
        eprintln!("not root: the owner check is not exercised");
    }
}

/// `-q` hides progress, never the line that says where to sign in: without it a
/// non-interactive run waits for a sign-in nobody can do.
#[test]
fn quiet_never_hides_where_to_sign_in() {
    let issuer = Hostile::issuer();
    issuer.route(
        "/token",
        Canned::json(401, json!({"error": "invalid_client"})),
    );
    let dir = TempDir::new().unwrap();
    let mut command = onboard();
    command
        .args(["-q", "--store", "file", "--config-dir"])
        .arg(dir.path())
        .args([
            "invite",
            "--non-interactive",
            "--authority",
            &issuer.authority(),
            "--client-id",
            CLIENT_ID,
            "--account",
            "svc@contoso.example",
        ]);
    let run = finish(command);
    assert!(
        run.stderr.contains(&format!(
            "To sign in, open {}/devicelogin and enter the code HSTLCODE",
            issuer.base()
        )),
        "{}",
        run.describe()
    );
    assert!(!run.stderr.contains("Step 1"), "{}", run.describe());
}

/// A panic is a bug: one error line saying so and exit 1, in every build. The release build
/// aborts on panic (`panic = "abort"`), which would otherwise end with SIGABRT and no word, so
/// the hook is proven in a program built that way: a few lines that install the binary's hook
/// and panic, compiled by rustc with `-C panic=abort` against this build of the library.
#[test]
fn a_panic_exits_1_with_the_report_line_in_a_panic_abort_build() {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .expect("target/…/deps")
        .to_path_buf();
    let library = std::fs::read_dir(&deps)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libonboard-") && n.ends_with(".rlib"))
        })
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .expect("the onboard library this test binary was built with");
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("panics.rs");
    std::fs::write(
        &source,
        "fn main() {\n    onboard::ui::term::install_panic_hook();\n    panic!(\"deliberately, token {}\", \"[not a secret]\");\n}\n",
    )
    .unwrap();
    let program = work.path().join("panics");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let built = std::process::Command::new(rustc)
        .args(["--edition", "2024", "-C", "panic=abort", "-o"])
        .arg(&program)
        .arg("-L")
        .arg(format!("dependency={}", deps.display()))
        .arg("--extern")
        .arg(format!("onboard={}", library.display()))
        .arg(&source)
        .output_within()
        .expect("rustc runs");
    assert!(built.status.success(), "{}", crate::support::stderr(&built));
    let output = std::process::Command::new(&program)
        .output_within()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{:?}: {stderr}",
        output.status
    );
    assert!(
        stderr.contains("onboard: error: internal error in onboard")
            && stderr.contains("deliberately")
            && stderr.contains("please report it"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked at"),
        "the default hook ran too: {stderr}"
    );
}

/// One `client-request-id` per run: every request carries the same GUID with
/// `return-client-request-id: true`, and the failure names it (text, JSON and `-v`), with the
/// hint that the tenant admin finds the sign-in under it in the Entra sign-in logs. The issuer
/// names `msgraph_host`, as Microsoft's clouds and the simulated tenant do.
#[test]
fn one_client_request_id_per_run_is_sent_and_named_in_the_error() {
    let issuer = Hostile::start();
    issuer.route(
        "/.well-known/openid-configuration",
        Canned::json(
            200,
            issuer.discovery(json!({"msgraph_host": issuer.base().trim_start_matches("http://")})),
        ),
    );
    issuer.route(
        "/token",
        Canned::json(
            400,
            json!({
                "error": "invalid_grant",
                "error_description": "AADSTS50173: The provided grant has expired due to it being revoked. Trace ID: t-1 Correlation ID: c-1 Timestamp: 2023-05-02 10:00:00Z",
                "error_codes": [50173],
                "trace_id": "t-1",
                "correlation_id": "c-1",
            }),
        ),
    );
    let guid = |id: &str| {
        id.len() == 36
            && id.char_indices().all(|(i, c)| {
                if [8, 13, 18, 23].contains(&i) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            })
    };
    let mut ids = Vec::new();
    for json in [true, false] {
        let dir = TempDir::new().unwrap();
        let mut command = onboard();
        command
            .env(
                "ONBOARD_CREDENTIAL",
                credential(&issuer.authority(), REFRESH_TOKEN),
            )
            .arg("--config-dir")
            .arg(dir.path())
            .args(["-v", "validate"]);
        if json {
            command.arg("--json");
        }
        let run = finish(command);
        assert_eq!(run.code, Some(4), "{}", run.describe());
        let seen = issuer.seen();
        let header = |s: &crate::support::hostile::Seen, name: &str| {
            s.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let sent: Vec<String> = seen
            .iter()
            .filter_map(|s| header(s, "client-request-id"))
            .collect();
        assert!(!sent.is_empty(), "{seen:?}");
        let id = sent.last().cloned().unwrap();
        assert!(guid(&id), "{id}");
        let this_run: Vec<_> = seen
            .iter()
            .filter(|s| header(s, "client-request-id").as_deref() == Some(&id))
            .collect();
        assert!(this_run.len() >= 2, "discovery and token: {seen:?}");
        assert!(
            this_run
                .iter()
                .all(|s| header(s, "return-client-request-id").as_deref() == Some("true")),
            "{seen:?}"
        );
        if json {
            let out = parsed(run.stdout.trim(), JsonOutput::Validate);
            let error = &out["profiles"][0]["error"];
            let error = if error.is_object() {
                error
            } else {
                &out["error"]
            };
            assert_eq!(error["client_request_id"], id.as_str(), "{}", run.stdout);
            assert!(
                error["hint"].as_str().unwrap_or("").contains(&format!(
                    "sign-in logs (Entra admin center → Sign-in logs) under client request ID {id}"
                )),
                "{}",
                run.stdout
            );
        } else {
            let all = format!("{}\n{}", run.stdout, run.stderr);
            assert!(
                all.contains(&format!("client request ID {id}")),
                "{}",
                run.describe()
            );
            assert_eq!(all.matches("c-1").count(), 1, "{}", run.describe());
        }
        // `-v` names it before the first request.
        assert!(
            run.stderr.contains(&format!("client-request-id {id}")),
            "{}",
            run.describe()
        );
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1], "one GUID per run, not per installation");
}
