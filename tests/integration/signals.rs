//! Ctrl-C, SIGTERM and SIGHUP (what CI runners send when a job is cancelled) at the worst moment
//! of a refresh: the token endpoint has rotated the refresh token and its answer is still on the
//! way. Against a server that refuses reused refresh tokens, the run must end with 130, say so,
//! and have saved the rotated token, or the profile is locked out for good.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use tempfile::TempDir;

use crate::support::onboarded::{onboard_at, onboard_profile, run_ok};
use crate::support::sim::TestSim;

/// Sends `signal` to `validate` while the rotated token's answer is held in flight, then checks
/// the ending and that the next run still validates.
fn signal_while_the_rotated_token_is_in_flight(signal: i32, said: &str) {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    onboard_profile(&sim, dir.path());
    sim.control("/tenant", json!({"reuse_refresh_token": "refuse"}));
    // The next token request is served at once (the token rotates) and its answer held until
    // the signal has been sent.
    sim.fault(json!({"path": "/token", "hold": true}));
    let mut command = onboard_at(dir.path());
    command
        .arg("validate")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = crate::support::Reaped::new(command.spawn().unwrap());
    sim.wait_for_fault_hits("/token", 1);
    // SAFETY: kill with a pid this test started and has not reaped.
    let sent = unsafe { libc::kill(i32::try_from(child.id()).unwrap(), signal) };
    assert_eq!(sent, 0);
    sim.release();
    let out = child.wait_with_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{said}: {stderr}");
    assert!(stderr.contains(said), "{stderr}");
    assert!(
        stderr.contains("the rotated refresh token was saved"),
        "{stderr}"
    );
    // The old token is refused now: only the saved rotated one can validate.
    run_ok({
        let mut again = onboard_at(dir.path());
        again.arg("validate");
        again
    });
}

#[test]
fn ctrl_c_while_the_rotated_token_is_in_flight_saves_it_first() {
    signal_while_the_rotated_token_is_in_flight(libc::SIGINT, "interrupted (Ctrl-C)");
}

#[test]
fn sigterm_while_the_rotated_token_is_in_flight_saves_it_first() {
    signal_while_the_rotated_token_is_in_flight(libc::SIGTERM, "terminated (SIGTERM)");
}

#[test]
fn sighup_while_the_rotated_token_is_in_flight_saves_it_first() {
    signal_while_the_rotated_token_is_in_flight(libc::SIGHUP, "hung up (SIGHUP)");
}

/// SIGINT or SIGTERM to `invite --non-interactive` while it waits for the person (nothing is
/// protected): the run unwinds at once to exit 130, with one error line naming the signal, no
/// event after it, and nothing saved.
#[test]
fn a_signal_while_waiting_for_a_sign_in_ends_with_130_and_saves_nothing() {
    use std::io::{BufRead, BufReader};
    for (signal, said) in [
        (libc::SIGINT, "interrupted (Ctrl-C); nothing was saved"),
        (libc::SIGTERM, "terminated (SIGTERM); nothing was saved"),
    ] {
        let sim = TestSim::start();
        let dir = TempDir::new().unwrap();
        let mut command = onboard_at(dir.path());
        command
            .args(["invite", "--non-interactive", "--json"])
            .args(crate::support::onboarded::sim_target(&sim))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = crate::support::Reaped::new(command.spawn().expect("onboard starts"));
        let mut lines = BufReader::new(child.take_stdout().expect("piped stdout")).lines();
        let first = lines.next().expect("a first event").expect("a line");
        assert!(first.contains("\"device_code\""), "{first}");
        // It is polling now: the person never signs in.
        sim.wait_for_requests("/oauth2/v2.0/token", 1);
        let started = Instant::now();
        // SAFETY: kill(2) on our own child, which the Reaped guard has not reaped yet.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        let output = child.wait_with_output();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(130), "{stderr}\n{rest:?}");
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("onboard: error:"))
            .collect();
        // One error line; it ends with the run's client request ID, as every error does.
        assert_eq!(errors.len(), 1, "{stderr}");
        assert!(
            errors[0].starts_with(&format!("onboard: error: {said}")),
            "{stderr}"
        );
        // "At once": far sooner than the code's 15 minutes, with room for a loaded machine.
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{:?}",
            started.elapsed()
        );
        assert!(!dir.path().join("profiles.json").exists(), "nothing saved");
        assert!(rest.is_empty(), "no event after the signal: {rest:?}");
    }
}

/// SIGTERM while the wizard waits at a prompt (a thread blocked reading a line, with nothing
/// protected): the run still ends with 130 and says so, within a few seconds, and the terminal
/// gets its cursor back.
#[test]
fn sigterm_at_a_prompt_ends_the_wizard_with_130() {
    use crate::support::pty::Terminal;
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let mut t = Terminal::start(
        dir.path(),
        &[
            vec!["invite".to_string()],
            crate::support::onboarded::sim_target(&sim),
        ]
        .concat(),
        &[],
    );
    t.expect("Start the sign-in?");
    let pid = t.session.get_process().pid().as_raw();
    let started = Instant::now();
    // SAFETY: kill with a pid this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    t.expect("terminated (SIGTERM); nothing was saved");
    assert_eq!(t.exit_code(), 130);
    // Ten times the grace the run gives its thread to unwind: far below a hang.
    let bound = onboard::interrupt::UNWIND_GRACE * 10;
    assert!(started.elapsed() < bound, "{:?}", started.elapsed());
    assert!(!dir.path().join("profiles.json").exists());
}
