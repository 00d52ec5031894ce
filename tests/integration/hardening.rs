//! Secrets that must not leave the process by a side door (a child's environment, a core
//! dump, an error message's URL, a world-readable export), and inputs that must not crash or
//! mislead it (a closed pipe, absurd durations, vault paths that decode into other paths).

#[cfg(unix)]
use std::process::Command;
use std::process::Stdio;
#[cfg(unix)]
use std::time::Duration;

use serde_json::json;
use tempfile::TempDir;

use crate::support::hostile::{CLIENT_ID, Canned, Hostile, credential};
use crate::support::onboard;
#[cfg(unix)]
use crate::support::onboarded::onboard_profile;
use crate::support::onboarded::{onboard_at, run, sim_target};
use crate::support::sim::TestSim;
use crate::support::usage_error;

/// An error names the host it could not reach, never the URL's query string, which can carry
/// a signature or a code.
#[test]
fn errors_never_repeat_a_query_string() {
    let issuer = Hostile::issuer();
    issuer.route(
        "/.well-known/openid-configuration",
        Canned::json(
            200,
            issuer.discovery(json!({
                // A closed port: the request fails with reqwest's error, which names the URL.
                "token_endpoint": "http://127.0.0.1:1/token?sig=query-secret-77&code=x",
            })),
        ),
    );
    let dir = TempDir::new().unwrap();
    let mut command = onboard();
    command
        .env("ONBOARD_HTTP_TIMEOUT", "5s")
        .env(
            "ONBOARD_CREDENTIAL",
            credential(&issuer.authority(), "refresh-token-secret-1"),
        )
        .arg("--config-dir")
        .arg(dir.path())
        .args(["-vv", "validate"]);
    let out = run(command);
    assert_eq!(out.code, Some(5), "{}", out.describe());
    assert!(out.stderr.contains("127.0.0.1:1"), "{}", out.stderr);
    for secret in ["query-secret-77", "sig=", "code=x"] {
        assert!(!out.stderr.contains(secret), "{secret}: {}", out.stderr);
        assert!(!out.stdout.contains(secret), "{secret}: {}", out.stdout);
    }
}

/// `--timeout` and `ONBOARD_HTTP_TIMEOUT`: zero and anything past a day are usage errors
/// (exit 2) with one line, never a panic.
#[test]
fn absurd_durations_are_usage_errors() {
    let dir = TempDir::new().unwrap();
    for value in ["0", "0s", "18446744073709551615", "25h", "99999999h"] {
        usage_error(
            onboard_at(dir.path())
                .args(["invite", "--non-interactive", "--timeout", value])
                .args([
                    "--tenant",
                    "contoso.onmicrosoft.com",
                    "--client-id",
                    CLIENT_ID,
                ])
                .stdin(Stdio::null()),
            format!("--timeout {value}"),
        );
        let stderr = usage_error(
            onboard()
                .env("ONBOARD_HTTP_TIMEOUT", value)
                .env(
                    "ONBOARD_CREDENTIAL",
                    credential("http://127.0.0.1:1/t/v2.0", "refresh-token-secret-2"),
                )
                .arg("--config-dir")
                .arg(dir.path())
                .arg("validate"),
            format!("ONBOARD_HTTP_TIMEOUT={value}"),
        );
        assert!(stderr.contains("ONBOARD_HTTP_TIMEOUT"), "{stderr}");
    }
}

/// `--vault-mount` and `ONBOARD_VAULT_PREFIX` take letters, digits and `-_./` only: what the
/// vault would decode or normalise into another path (`%2e%2e`), or what would end the path
/// (`?`, `#`), is a usage error before any request.
#[test]
fn vault_paths_take_plain_characters_only() {
    let vault = Hostile::start();
    let dir = TempDir::new().unwrap();
    let vault_command = || {
        let mut command = onboard();
        command
            .env("VAULT_ADDR", vault.base())
            .env("VAULT_TOKEN", "vault-token-secret")
            .env_remove("ONBOARD_VAULT_PREFIX")
            .arg("--config-dir")
            .arg(dir.path())
            .args(["--store", "vault"]);
        command
    };
    for mount in [
        "%2e%2e",
        "secret/%2E%2E/sys",
        "secret?list=true",
        "secret#x",
        "a b",
        "..",
    ] {
        let stderr = usage_error(
            vault_command().args(["--vault-mount", mount, "list"]),
            format!("--vault-mount {mount}"),
        );
        assert!(stderr.contains("--vault-mount"), "{stderr}");
    }
    for prefix in ["%2e%2e/sys", "onboard?x=1", "onboard#", "a\\b", "../x"] {
        let stderr = usage_error(
            vault_command()
                .env("ONBOARD_VAULT_PREFIX", prefix)
                .arg("list"),
            format!("ONBOARD_VAULT_PREFIX={prefix}"),
        );
        assert!(stderr.contains("ONBOARD_VAULT_PREFIX"), "{stderr}");
    }
    assert!(vault.seen().is_empty(), "{:?}", vault.seen());
}

/// stdout and stderr closed by their reader (`onboard invite … 2>&1 | head -1` once head has
/// its line): the run ends quietly with 130, no panic, and nothing half-saved.
#[test]
fn a_closed_output_ends_the_run_without_a_panic() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    // The reader is gone before the first line.
    drop(reader);
    let out = onboard_at(dir.path())
        .args(["invite", "--non-interactive", "--timeout", "20s"])
        .args(sim_target(&sim))
        .stdin(Stdio::null())
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .status()
        .unwrap();
    assert_eq!(out.code(), Some(130), "{out:?}");
    assert!(!dir.path().join("profiles.json").exists());
}

/// A real shell pipeline, as docs/security.md's example: `2>&1 | head -1` with pipefail reports
/// onboard's own status, which must not be an abort (134) or a bug (1).
#[test]
#[cfg(unix)] // bash
fn invite_piped_into_head_does_not_abort() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let mut command = Command::new("bash");
    command
        .args([
            "-c",
            "set -o pipefail; \"$@\" 2>&1 | head -1 >/dev/null",
            "pipeline",
        ])
        .arg(assert_cmd::cargo::cargo_bin("onboard"))
        .arg("--config-dir")
        .arg(dir.path())
        .args([
            "--store",
            "file",
            "invite",
            "--non-interactive",
            "--timeout",
            "3s",
        ])
        .args(sim_target(&sim))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    // head takes the first line and leaves; the wizard writes more when it gives up.
    let status = command.status().unwrap();
    assert!(
        !matches!(status.code(), Some(1 | 134) | None),
        "onboard's own status: {status:?}"
    );
}

/// `VAULT_TOKEN`, `BAO_TOKEN` and `ONBOARD_CREDENTIAL` are gone from the environment the
/// browser starts with.
#[test]
#[cfg(unix)] // through a Unix pty and a shell-script browser
fn the_browser_never_inherits_a_vault_token() {
    use std::os::unix::fs::PermissionsExt;

    use crate::support::pty::Terminal;
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let browser = dir.path().join("browser.sh");
    let env_file = dir.path().join("browser.env");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nenv > '{0}.tmp' && mv '{0}.tmp' '{0}'\n",
            env_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut t = Terminal::start(
        dir.path(),
        &[vec!["invite".to_string()], sim_target(&sim)].concat(),
        &[
            ("BROWSER", browser.to_str().unwrap()),
            ("VAULT_TOKEN", "vault-token-secret-31"),
            ("BAO_TOKEN", "bao-token-secret-32"),
        ],
    );
    t.expect("Start the sign-in?");
    t.type_line("y");
    t.user_code();
    t.expect("Waiting for sign-in");
    t.send("\r");
    t.expect("in the browser");
    let deadline = std::time::Instant::now() + crate::support::sim::WAIT;
    while !env_file.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let env = std::fs::read_to_string(&env_file).expect("the browser ran");
    for leaked in [
        "vault-token-secret-31",
        "bao-token-secret-32",
        "VAULT_TOKEN",
        "BAO_TOKEN",
    ] {
        assert!(!env.contains(leaked), "{leaked} in {env}");
    }
    // The browser still gets the rest of the environment.
    assert!(env.contains("PATH="), "{env}");
    t.send("q");
    assert_eq!(t.exit_code(), 130);
}

/// No core dump can hold a token: the limit is zero and (on Linux) the process is not
/// dumpable, so a SIGQUIT mid-refresh writes nothing, even when the parent allowed core files.
#[test]
#[cfg(target_os = "linux")] // /proc and prctl
fn a_sigquit_mid_refresh_writes_no_core_file() {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    onboard_profile(&sim, dir.path());
    // The refresh is served and its answer held: the run holds tokens in memory until killed.
    sim.fault(json!({"path": "/token", "hold": true}));
    let cwd = TempDir::new().unwrap();
    let mut command = onboard_at(dir.path());
    command
        .arg("validate")
        .current_dir(cwd.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // The parent allows core files and leaves SIGQUIT at its default (terminate and dump). A
    // shell starts a background job (`cargo test &`) with SIGQUIT ignored and exec keeps it
    // ignored: the signal would then do nothing and the run would go on to finish.
    // SAFETY: setrlimit and signal between fork and exec are async-signal-safe and touch no
    // memory of the parent.
    unsafe {
        command.pre_exec(|| {
            let unlimited = libc::rlimit {
                rlim_cur: libc::RLIM_INFINITY,
                rlim_max: libc::RLIM_INFINITY,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &unlimited);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            Ok(())
        });
    }
    let child = command.spawn().unwrap();
    let pid = child.id();
    sim.wait_for_fault_hits("/token", 1);
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    let soft = core.split_whitespace().nth(4).unwrap();
    assert_eq!(soft, "0", "{core}");
    // SAFETY: kill with a pid this test started and has not reaped.
    assert_eq!(
        unsafe { libc::kill(i32::try_from(pid).unwrap(), libc::SIGQUIT) },
        0
    );
    let out = child.wait_with_output().unwrap();
    // Ended by the signal itself (the kernel's core step skipped), not by anything the run did.
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGQUIT),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.core_dumped(), "{:?}", out.status);
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    // With a plain pattern the kernel would write the file into the working directory.
    if !pattern.starts_with('|') {
        let written: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().flatten().collect();
        assert!(written.is_empty(), "core files: {written:?}");
    }
}

/// The hint `export` gives on a terminal writes a file only its owner can read, whatever the
/// umask; run as it is printed, it leaves a 0600 file.
#[test]
#[cfg(unix)] // a pty, a POSIX shell and mode bits
fn the_export_hint_makes_a_private_file() {
    use std::os::unix::fs::PermissionsExt;

    use crate::support::pty::Terminal;
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let name = onboard_profile(&sim, dir.path());
    let mut t = Terminal::start(dir.path(), &["export".into()], &[]);
    let found = expectrl::Expect::expect(
        &mut t.session,
        expectrl::Regex(r"`([^`]*credential\.json[^`]*)`"),
    )
    .unwrap();
    let hint = String::from_utf8_lossy(found.get(1).unwrap()).into_owned();
    assert_eq!(t.exit_code(), 2);
    let work = TempDir::new().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("onboard");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .args(["-c", &format!("umask 022; {hint}")])
        .current_dir(work.path())
        .env("PATH", path)
        .env("ONBOARD_CONFIG_DIR", dir.path())
        .env("ONBOARD_STORE", "file")
        .env("ONBOARD_PROFILE", &name)
        .env_remove("ONBOARD_CREDENTIAL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{hint}: {out:?}");
    let file = work.path().join("credential.json");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{hint}");
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(exported["profile"], name.as_str());
}
