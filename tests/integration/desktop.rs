//! The wizard on a desktop: a real X display (Xvfb) whose clipboard another process reads while
//! the wizard waits, and a real browser command (`$BROWSER`) started with the sign-in URL.

use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::support::OutputWithin;
use crate::support::onboarded::sim_target;
use crate::support::pty::Terminal;
use crate::support::sim::TestSim;

/// A private X server on a display number it picks itself (`-displayfd`: no other process can
/// take the number between our choosing it and Xvfb binding it), stopped on drop.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        use std::io::BufRead;
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "640x480x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (scripts/install-test-deps.sh installs it)");
        // Xvfb writes the display number once it listens, or ends without a word.
        let mut number = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        let _ = std::io::BufReader::new(stdout).read_line(&mut number);
        let number = number.trim().to_owned();
        if number.is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Xvfb started no display");
        }
        Xvfb {
            child,
            display: format!(":{number}"),
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The wizard in a pty with `extra` arguments and `env`, past "Start the sign-in?": the
/// terminal and the code it shows.
fn start_signing_in(
    sim: &TestSim,
    dir: &TempDir,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Terminal, String) {
    let mut args = vec!["invite".to_string()];
    args.extend(extra.iter().map(|a| a.to_string()));
    args.extend(sim_target(sim));
    let mut t = Terminal::start(dir.path(), &args, env);
    t.expect("Start the sign-in?");
    t.type_line("y");
    let code = t.user_code();
    (t, code)
}

fn clipboard(display: &str) -> String {
    let out = Command::new("xclip")
        .args(["-selection", "clipboard", "-o"])
        .env("DISPLAY", display)
        .output_within()
        .expect("xclip runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_code_is_on_the_clipboard_for_another_process_while_the_wizard_waits() {
    let x = Xvfb::start();
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let (mut t, code) = start_signing_in(&sim, &dir, &[], &[("DISPLAY", &x.display)]);
    t.expect("Code copied to the clipboard");
    t.expect("Waiting for sign-in");
    // Read it from another process, a while later: the wizard keeps serving it.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(clipboard(&x.display), code);
    sim.approve(&code);
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
}

#[test]
fn enter_opens_the_sign_in_page_with_the_browser_command() {
    let (sim, dir, opened, browser) = with_recording_browser();
    let (mut t, code) =
        start_signing_in(&sim, &dir, &[], &[("BROWSER", browser.to_str().unwrap())]);
    t.expect("Waiting for sign-in");
    t.send("\r");
    t.expect("in the browser");
    let deadline = Instant::now() + crate::support::sim::WAIT;
    while !opened.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = std::fs::read_to_string(&opened).expect("the browser command ran");
    assert_eq!(url.trim(), sim.sign_in_url());
    sim.approve(&code);
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
}

/// A simulated tenant, a config dir, and in it a browser command that records the URL it
/// was given in the file `opened`: (tenant, dir, opened, browser command).
fn with_recording_browser() -> (TestSim, TempDir, std::path::PathBuf, std::path::PathBuf) {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let opened = dir.path().join("opened-url");
    let browser = recording_browser(dir.path(), &opened);
    (sim, dir, opened, browser)
}

/// A browser command that records the URL it was given in `opened` (written aside and renamed,
/// so the test never reads a file still being written).
fn recording_browser(dir: &std::path::Path, opened: &std::path::Path) -> std::path::PathBuf {
    let browser = dir.join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\necho \"$1\" > '{0}.part' && mv '{0}.part' '{0}'\n",
            opened.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    browser
}

#[test]
fn no_browser_says_to_open_the_page_by_hand_and_starts_no_browser() {
    let (sim, dir, opened, browser) = with_recording_browser();
    let (mut t, code) = start_signing_in(
        &sim,
        &dir,
        &["--no-browser"],
        &[("BROWSER", browser.to_str().unwrap())],
    );
    t.expect("Waiting for sign-in");
    t.send("\r");
    t.expect(&format!(
        "--no-browser: open {} yourself",
        sim.sign_in_url()
    ));
    sim.approve(&code);
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
    assert!(!opened.exists(), "the browser command was started");
}

#[test]
fn no_clipboard_says_to_copy_the_code_by_hand_and_leaves_the_clipboard_alone() {
    let x = Xvfb::start();
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let (mut t, code) =
        start_signing_in(&sim, &dir, &["--no-clipboard"], &[("DISPLAY", &x.display)]);
    t.expect("Copy the code by hand: --no-clipboard");
    t.expect("Waiting for sign-in");
    assert_ne!(clipboard(&x.display), code, "the code is on the clipboard");
    sim.approve(&code);
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
}

/// What onboard copied is taken back when the wizard ends, as a clipboard manager (or the
/// macOS and Windows clipboards) would otherwise keep it for good; something the user copied
/// since is left alone. A second xclip plays the clipboard manager that took the text over.
#[test]
fn the_code_leaves_the_clipboard_when_the_wizard_ends_unless_replaced() {
    let x = Xvfb::start();
    let sim = TestSim::start();
    for replaced in [false, true] {
        let dir = TempDir::new().unwrap();
        let mut t = Terminal::start(
            dir.path(),
            &[vec!["invite".to_string()], sim_target(&sim)].concat(),
            &[("DISPLAY", &x.display)],
        );
        t.expect("Start the sign-in?");
        t.type_line("y");
        let code = t.user_code();
        t.expect("Code copied to the clipboard");
        t.expect("Waiting for sign-in");
        // The manager keeps the code after onboard's own copy is gone; or the user copies
        // something else.
        let kept = if replaced {
            "something the user copied"
        } else {
            code.as_str()
        };
        let mut manager = Command::new("xclip")
            .args(["-selection", "clipboard", "-i", "-quiet"])
            .env("DISPLAY", &x.display)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xclip runs");
        {
            use std::io::Write;
            let mut stdin = manager.stdin.take().unwrap();
            stdin.write_all(kept.as_bytes()).unwrap();
        }
        let deadline = Instant::now() + crate::support::sim::WAIT;
        while clipboard(&x.display) != kept && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(clipboard(&x.display), kept);
        sim.approve(&code);
        t.expect("Onboarded");
        assert_eq!(t.exit_code(), 0);
        let after = clipboard(&x.display);
        let _ = manager.kill();
        let _ = manager.wait();
        if replaced {
            assert_eq!(after, kept, "the user's own text stays");
        } else {
            assert_ne!(after, code, "the code is gone from the clipboard");
        }
    }
}
