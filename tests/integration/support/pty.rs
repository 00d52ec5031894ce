//! The wizard in a pseudo-terminal, typed at as a person would (expectrl), with its exit code.

use std::path::Path;
use std::time::Duration;

use expectrl::session::OsSession;
use expectrl::{Expect, Regex};

use super::onboarded::onboard_at;

/// How long a test waits for text it expects.
const EXPECT_TIMEOUT: Duration = Duration::from_secs(120);

/// How long [`Terminal::press_until`] waits for the text before it presses again: long enough
/// that a slow screen, rather than a lost key, is not pressed twice on a loaded machine.
const PRESS_AGAIN_AFTER: Duration = Duration::from_secs(15);

pub struct Terminal {
    pub session: OsSession,
}

impl Terminal {
    /// `onboard --config-dir DIR --store file ARGS` in a 120×40 terminal without a display
    /// (so no clipboard and no browser) and not in accessible mode, with extra environment
    /// variables.
    pub fn start(config_dir: &Path, args: &[String], env: &[(&str, &str)]) -> Terminal {
        Terminal::start_sized(config_dir, args, env, 120)
    }

    /// As [`Terminal::start`], in a terminal `columns` wide.
    pub fn start_sized(
        config_dir: &Path,
        args: &[String],
        env: &[(&str, &str)],
        columns: u16,
    ) -> Terminal {
        let mut command = onboard_at(config_dir);
        command.args(args);
        for var in [
            "DISPLAY",
            "WAYLAND_DISPLAY",
            "SSH_CONNECTION",
            "SSH_TTY",
            "BROWSER",
            "ACCESSIBLE",
        ] {
            command.env_remove(var);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        Terminal::spawn_sized(command, columns)
    }

    /// `command` as it is, in a 120×40 terminal (the Wine suite runs `wine onboard.exe` this
    /// way).
    #[cfg(target_os = "linux")]
    pub fn spawn(command: std::process::Command) -> Terminal {
        Terminal::spawn_sized(command, 120)
    }

    fn spawn_sized(command: std::process::Command, columns: u16) -> Terminal {
        let mut session = OsSession::spawn(sized_first(command, columns)).expect("a pty session");
        let _ = session.get_process_mut().set_window_size(columns, 40);
        session.set_expect_timeout(Some(EXPECT_TIMEOUT));
        Terminal { session }
    }

    /// Waits until `text` appears on the screen.
    pub fn expect(&mut self, text: &str) {
        if let Err(e) = self.session.expect(text) {
            let screen = self.unread_output();
            panic!("the wizard never showed {text:?}: {e}; it showed last: {screen}");
        }
    }

    /// What the program wrote that no `expect` has consumed yet (its tail, escaped), to say
    /// where it stopped when a test fails.
    fn unread_output(&mut self) -> String {
        let mut unread = Vec::new();
        let mut chunk = [0; 4096];
        while let Ok(n @ 1..) = self.session.try_read(&mut chunk) {
            unread.extend_from_slice(&chunk[..n]);
        }
        let text = String::from_utf8_lossy(&unread);
        let tail: String = text
            .chars()
            .rev()
            .take(1500)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        tail.escape_debug().to_string()
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

    /// Presses `keys` until `text` shows, up to `attempts` times, [`PRESS_AGAIN_AFTER`] apart.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub fn press_until(&mut self, keys: &str, text: &str, attempts: u32) {
        self.session.set_expect_timeout(Some(PRESS_AGAIN_AFTER));
        let mut shown = false;
        for attempt in 1..=attempts {
            if attempt > 1 {
                eprintln!("{text:?} did not show: pressing {keys:?} again");
            }
            self.send(keys);
            if self.session.expect(text).is_ok() {
                shown = true;
                break;
            }
        }
        self.session.set_expect_timeout(Some(EXPECT_TIMEOUT));
        if !shown {
            let screen = self.unread_output();
            panic!(
                "{text:?} never showed after {attempts} presses of {keys:?}; it showed last: {screen}"
            );
        }
    }

    pub fn type_line(&mut self, line: &str) {
        self.send(line);
        self.send("\r");
    }

    /// Waits for the process to end and returns its exit code (or 128 + signal). A process
    /// still there after [`EXPECT_TIMEOUT`] is killed and fails the test, rather than hanging the
    /// suite (under Wine a thread of an exiting program once stayed behind).
    pub fn exit_code(self) -> i32 {
        let pid = self.session.get_process().pid().as_raw();
        let deadline = std::time::Instant::now() + EXPECT_TIMEOUT;
        let mut status = 0;
        loop {
            // SAFETY: polls our own child; `status` is a valid out-pointer.
            let reaped = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if reaped == pid {
                break;
            }
            assert_eq!(reaped, 0, "waitpid");
            if std::time::Instant::now() > deadline {
                // SAFETY: signals and then reaps our own child.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                }
                panic!("the program had not ended {EXPECT_TIMEOUT:?} after it was expected to");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            128 + libc::WTERMSIG(status)
        }
    }
}

/// `command` started by a shell that first waits (5 s at most) until the terminal has the
/// size the test sets just after the spawn: a program that asked for its width before then
/// would lay its lines out for another terminal. `exec` keeps the program's pid.
fn sized_first(command: std::process::Command, columns: u16) -> std::process::Command {
    let mut sized = std::process::Command::new("sh");
    sized
        .arg("-c")
        .arg(format!(
            "i=0; while [ \"$(stty size)\" != '40 {columns}' ] && [ $i -lt 500 ]; do \
             sleep 0.01; i=$((i + 1)); done; exec \"$@\""
        ))
        .arg("sh")
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => sized.env(key, value),
            None => sized.env_remove(key),
        };
    }
    sized.env("TERM", "xterm-256color");
    if let Some(dir) = command.get_current_dir() {
        sized.current_dir(dir);
    }
    sized
}
