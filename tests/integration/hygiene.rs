//! Secret hygiene: run every command at `-vvv` against the simulated tenant and look for every
//! token and device code it issued (GET /_sim/tokens) in stdout, stderr and every file written
//! under the config dir. Only the file store's credential files (mode 0600) may hold a refresh token. And no
//! flag takes a token on the command line, where `ps` and shell history would keep it.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::onboarded::run_with_user;
use crate::support::sim::TestSim;
use crate::support::{INVITE_NON_INTERACTIVE, fill_in, onboard};

/// A kind of secret the simulator issues, as `/_sim/tokens` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Access,
    Refresh,
    Id,
    DeviceCode,
}

const KINDS: [(Kind, &str); 4] = [
    (Kind::Access, "access_tokens"),
    (Kind::Refresh, "refresh_tokens"),
    (Kind::Id, "id_tokens"),
    (Kind::DeviceCode, "device_codes"),
];

/// One command run, in order; `{authority}`, `{client_id}`, `{account}` are replaced.
/// `stdout_shows` names the secrets its stdout carries by design (`token`: the access token;
/// `export`: the refresh token).
struct Row {
    args: &'static [&'static str],
    stdout_shows: &'static [Kind],
    /// The exit code this run must end with.
    exit: i32,
}

const ROWS: &[Row] = &[
    Row {
        args: &INVITE_NON_INTERACTIVE,
        exit: 0,
        stdout_shows: &[],
    },
    Row {
        args: &["validate"],
        exit: 0,
        stdout_shows: &[],
    },
    Row {
        args: &["--json", "validate"],
        exit: 0,
        stdout_shows: &[],
    },
    Row {
        args: &["--json", "validate", "--require-scope", "Mail.Send"],
        exit: 6,
        stdout_shows: &[],
    },
    Row {
        args: &["token"],
        exit: 0,
        stdout_shows: &[Kind::Access],
    },
    Row {
        args: &["--json", "permissions"],
        exit: 0,
        stdout_shows: &[],
    },
    Row {
        args: &["list", "--json"],
        exit: 0,
        stdout_shows: &[],
    },
    Row {
        args: &["consent-url"],
        exit: 0,
        stdout_shows: &[],
    },
    Row {
        args: &["doctor", "--json"],
        exit: 0,
        stdout_shows: &[],
    },
    Row {
        args: &["export", "--force"],
        exit: 0,
        stdout_shows: &[Kind::Refresh],
    },
];

/// Where a secret was seen.
struct Place {
    name: String,
    text: String,
    /// Secrets this place may hold by design.
    allowed: Vec<Kind>,
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// A secret is found when it appears whole, or its last 24 characters do (the random part:
/// JWTs of one issuer share their first characters).
fn shows(text: &str, secret: &str) -> bool {
    let tail = &secret[secret.len().saturating_sub(24)..];
    text.contains(secret) || (tail.len() >= 16 && text.contains(tail))
}

/// Runs every row at -vvv, then finds where each issued secret appears; returns the leaks.
fn leaks() -> Vec<String> {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let control = sim.control_client();
    let mut places = Vec::new();
    for row in ROWS {
        let mut command = onboard();
        command
            .args(["-vvv", "--store", "file", "--config-dir"])
            .arg(dir.path())
            .args(["--profile", "hygiene"]);
        if row.args[0] == "invite" {
            // Its device_code events let the test play the person signing in.
            command.arg("--json");
        }
        for arg in row.args {
            command.arg(fill_in(arg, &sim, &sim.info().authority));
        }
        let run = run_with_user(command, |event| {
            control.approve(&event["user_code"]);
        });
        let label = row.args.join(" ");
        assert_eq!(run.code, Some(row.exit), "{label}: {}", run.describe());
        assert!(
            run.stderr.contains("DEBUG"),
            "{label} at -vvv logs: {}",
            run.stderr
        );
        places.push(Place {
            name: format!("stdout of `{label}`"),
            text: run.stdout,
            allowed: row.stdout_shows.to_vec(),
        });
        places.push(Place {
            name: format!("stderr of `{label}`"),
            text: run.stderr,
            allowed: vec![],
        });
    }
    for file in files_under(dir.path()) {
        let credentials = file
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "credentials");
        if credentials {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", file.display());
            }
        }
        places.push(Place {
            name: file.display().to_string(),
            text: String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned(),
            allowed: if credentials {
                vec![Kind::Refresh]
            } else {
                vec![]
            },
        });
    }
    let issued = sim.issued();
    let mut leaks = Vec::new();
    let mut refresh_saved = false;
    for (kind, key) in KINDS {
        let secrets = issued[key].as_array().cloned().unwrap_or_default();
        assert!(!secrets.is_empty(), "the simulator issued {key}: {issued}");
        for secret in secrets.iter().filter_map(Value::as_str) {
            for place in &places {
                if !shows(&place.text, secret) {
                    continue;
                }
                if place.allowed.contains(&kind) {
                    refresh_saved = true;
                } else {
                    let head: String = secret.chars().take(12).collect();
                    leaks.push(format!("a {kind:?} ({head}…) is in {}", place.name));
                }
            }
        }
    }
    assert!(
        refresh_saved,
        "the search finds nothing at all: the saved refresh token should be in the file store's credential file"
    );
    leaks
}

#[test]
fn no_command_prints_logs_or_writes_a_token_even_at_vvv() {
    let leaks = leaks();
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
}

/// Flags are visible to every user of the machine (`ps`) and stay in shell history: no flag
/// takes a token, a secret or a password. (`token --scope` names a scope, not a token.)
#[test]
fn no_flag_takes_a_secret() {
    fn walk(command: &clap::Command, path: &str, found: &mut Vec<String>) {
        for arg in command.get_arguments() {
            let names = [
                Some(arg.get_id().as_str().to_owned()),
                arg.get_long().map(str::to_owned),
                arg.get_value_names().map(|v| {
                    v.iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                }),
            ];
            let secretive = names.iter().flatten().any(|n| {
                let n = n.to_ascii_lowercase();
                ["token", "secret", "password", "device-code", "device_code"]
                    .iter()
                    .any(|w| n.contains(w))
            });
            if secretive && arg.get_action().takes_values() {
                found.push(format!("{path} --{}", arg.get_id()));
            }
        }
        for sub in command.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), found);
        }
    }
    let mut found = Vec::new();
    walk(&::onboard::cli::command(), "onboard", &mut found);
    assert!(found.is_empty(), "flags that take a secret: {found:?}");
}
