//! The wizard in a pseudo-terminal, typed at as a person would (expectrl), with its exit code.

use std::path::Path;
use std::time::Duration;

use expectrl::session::OsSession;
use expectrl::{Expect, Regex};

use super::onboarded::onboard_at;

pub struct Terminal {
    pub session: OsSession,
}

impl Terminal {
    /// `onboard --config-dir DIR --store file ARGS` in a 120×40 terminal without a display
    /// (so no clipboard and no browser), with extra environment variables.
    pub fn start(config_dir: &Path, args: &[String], env: &[(&str, &str)]) -> Terminal {
        let mut command = onboard_at(config_dir);
        command.args(args);
        for var in [
            "DISPLAY",
            "WAYLAND_DISPLAY",
            "SSH_CONNECTION",
            "SSH_TTY",
            "BROWSER",
        ] {
            command.env_remove(var);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        Terminal::spawn(command)
    }

    /// `command` as it is, in a 120×40 terminal (the Wine suite runs `wine onboard.exe` this
    /// way).
    pub fn spawn(mut command: std::process::Command) -> Terminal {
        command.env("TERM", "xterm-256color");
        let mut session = OsSession::spawn(command).expect("a pty session");
        let _ = session.get_process_mut().set_window_size(120, 40);
        session.set_expect_timeout(Some(Duration::from_secs(30)));
        Terminal { session }
    }

    /// Waits until `text` appears on the screen.
    pub fn expect(&mut self, text: &str) {
        if let Err(e) = self.session.expect(text) {
            panic!("the wizard never showed {text:?}: {e}");
        }
    }

    /// Waits for the code box and returns the code in it.
    pub fn user_code(&mut self) -> String {
        let found = self
            .session
            .expect(Regex(r"│ +([A-Z]{6,12}) +│"))
            .unwrap_or_else(|e| panic!("no code box on the screen: {e}"));
        let code = found.get(1).expect("the code");
        String::from_utf8_lossy(code).into_owned()
    }

    pub fn send(&mut self, keys: &str) {
        self.session.send(keys).expect("typing into the pty");
    }

    pub fn type_line(&mut self, line: &str) {
        self.send(line);
        self.send("\r");
    }

    /// Waits for the process to end and returns its exit code (or 128 + signal).
    pub fn exit_code(self) -> i32 {
        let pid = self.session.get_process().pid().as_raw();
        let mut status = 0;
        // SAFETY: waits for our own child; `status` is a valid out-pointer.
        let reaped = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(reaped, pid, "waitpid");
        if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            128 + libc::WTERMSIG(status)
        }
    }
}
