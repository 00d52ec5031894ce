//! Running `onboard invite --non-interactive --json` while a test plays the person at the
//! browser: each `device_code` event on stdout is handed to the test as it happens.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use serde_json::Value;

/// How a command ended, with everything it printed.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The JSON Lines events on stdout.
    pub fn events(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The first event named `name`.
    pub fn event(&self, name: &str) -> Option<Value> {
        self.events().into_iter().find(|e| e["event"] == name)
    }

    pub fn describe(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `command`, calling `user` with each `device_code` event while the command waits.
pub fn run_with_user(mut command: Command, mut user: impl FnMut(&Value)) -> Run {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("onboard starts");
    let mut stderr_pipe = child.stderr.take().expect("piped stderr");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });
    let mut stdout = String::new();
    for line in BufReader::new(child.stdout.take().expect("piped stdout")).lines() {
        let Ok(line) = line else { break };
        if let Ok(event) = serde_json::from_str::<Value>(&line)
            && event["event"] == "device_code"
        {
            user(&event);
        }
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let status = child.wait().expect("onboard ends");
    Run {
        code: status.code(),
        stdout,
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Runs `command` to the end (no sign-in expected).
pub fn run(command: Command) -> Run {
    run_with_user(command, |_| {})
}
