//! The wizard on a desktop: a real X display (Xvfb) whose clipboard another process reads while
//! the wizard waits, and a real browser command (`$BROWSER`) started with the sign-in URL.

use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tempfile::TempDir;

use crate::support::onboarded::sim_target;
use crate::support::pty::Terminal;
use crate::support::sim::TestSim;

/// A private X server on a free display number, stopped on drop.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        for number in 90..140 {
            if std::path::Path::new(&format!("/tmp/.X11-unix/X{number}")).exists()
                || std::path::Path::new(&format!("/tmp/.X{number}-lock")).exists()
            {
                continue;
            }
            let display = format!(":{number}");
            let mut child = Command::new("Xvfb")
                .args([
                    display.as_str(),
                    "-screen",
                    "0",
                    "640x480x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb runs (scripts/install-test-deps.sh installs it)");
            let socket = format!("/tmp/.X11-unix/X{number}");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if std::path::Path::new(&socket).exists() {
                    return Xvfb { child, display };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("no X display could be started");
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clipboard(display: &str) -> String {
    let out = Command::new("xclip")
        .args(["-selection", "clipboard", "-o"])
        .env("DISPLAY", display)
        .output()
        .expect("xclip runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_code_is_on_the_clipboard_for_another_process_while_the_wizard_waits() {
    let x = Xvfb::start();
    let sim = TestSim::start();
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
    // Read it from another process, a while later: the wizard keeps serving it.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(clipboard(&x.display), code);
    sim.control("/approve", json!({"user_code": code}));
    t.expect("Onboarded");
    assert_eq!(t.exit_code(), 0);
}

#[test]
fn enter_opens_the_sign_in_page_with_the_browser_command() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    // A real program started the way a browser is; it records the URL it was given.
    let opened = dir.path().join("opened-url");
    let browser = dir.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\necho \"$1\" > '{}'\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut t = Terminal::start(
        dir.path(),
        &[vec!["invite".to_string()], sim_target(&sim)].concat(),
        &[("BROWSER", browser.to_str().unwrap())],
    );
    t.expect("Start the sign-in?");
    t.type_line("y");
    let code = t.user_code();
    t.expect("Waiting for sign-in");
    t.send("\r");
    t.expect("in the browser");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !opened.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = std::fs::read_to_string(&opened).expect("the browser command ran");
    assert_eq!(url.trim(), sim.sign_in_url());
    sim.control("/approve", json!({"user_code": code}));
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
        let deadline = Instant::now() + Duration::from_secs(5);
        while clipboard(&x.display) != kept && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(clipboard(&x.display), kept);
        sim.control("/approve", json!({"user_code": code}));
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
