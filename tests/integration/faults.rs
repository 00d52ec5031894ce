//! The fault matrix (docs/development.md has the same table in words): every command that talks
//! to a server, against every fault the simulated tenant can inject and the network failures
//! it cannot (DNS, TLS). Each cell: the contract's exit code, one error line naming the host,
//! no panic, and nothing saved or changed.
//!
//! Adding a command is one row in `COMMANDS`; adding a fault is one row in `FAULTS`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::onboarded::{Run, onboard_at, run, run_with_user};
use crate::support::sim::TestSim;
use crate::support::{INVITE_NON_INTERACTIVE, fill_in};

/// The HTTP timeout the commands get here (the default is 30 s): long enough for every honest
/// answer on a loaded machine, short enough for the cell whose answer never comes.
const HTTP_TIMEOUT: &str = "10s";

/// A command under test: how to run it, and which endpoint its faults hit.
struct Cmd {
    name: &'static str,
    /// `onboard` arguments after the global ones; `{authority}` is replaced.
    args: &'static [&'static str],
    /// Needs a saved credential first (invite runs before the fault is armed).
    onboarded: bool,
    /// The request path suffix the simulator's fault matches.
    fault_path: &'static str,
    /// How many requests the fault hits: enough to outlast the command's retries.
    fault_count: u32,
}

const COMMANDS: &[Cmd] = &[
    Cmd {
        name: "invite",
        args: &INVITE_NON_INTERACTIVE,
        onboarded: false,
        fault_path: "/devicecode",
        fault_count: 3,
    },
    Cmd {
        name: "validate",
        args: &["validate"],
        onboarded: true,
        fault_path: "/token",
        fault_count: 3,
    },
    Cmd {
        name: "token",
        args: &["token"],
        onboarded: true,
        fault_path: "/token",
        fault_count: 3,
    },
    Cmd {
        name: "permissions",
        args: &["permissions"],
        onboarded: true,
        fault_path: "/token",
        fault_count: 3,
    },
];

/// What goes wrong.
enum Inject {
    /// A `/_sim/fault` body (path and count are the command's).
    Sim(fn() -> Value),
    /// The authority is a `.invalid` host: DNS cannot resolve it.
    Dns,
    /// The authority is a loopback https server with a self-signed certificate.
    SelfSignedTls,
    /// The authority is a loopback port that answers the TLS hello with garbage.
    NotTls,
}

struct Fault {
    name: &'static str,
    inject: Inject,
    exit: i32,
    /// Words the error line must contain besides the host.
    says: &'static str,
}

fn status(code: u16) -> Value {
    json!({"status": code})
}

const FAULTS: &[Fault] = &[
    Fault {
        name: "400 with a proxy's HTML page",
        inject: Inject::Sim(|| status(400)),
        exit: 5,
        says: "HTTP 400",
    },
    Fault {
        name: "401 with a proxy's HTML page",
        inject: Inject::Sim(|| status(401)),
        exit: 5,
        says: "HTTP 401",
    },
    Fault {
        name: "403 with a proxy's HTML page",
        inject: Inject::Sim(|| status(403)),
        exit: 5,
        says: "HTTP 403",
    },
    Fault {
        name: "404 with a proxy's HTML page",
        inject: Inject::Sim(|| status(404)),
        exit: 5,
        says: "HTTP 404",
    },
    Fault {
        name: "401 invalid_client (OAuth JSON)",
        inject: Inject::Sim(
            || json!({"status": 401, "body": r#"{"error":"invalid_client","error_description":"AADSTS7000218: public client flows are off","error_codes":[7000218]}"#}),
        ),
        exit: 6,
        says: "refused",
    },
    Fault {
        name: "500",
        inject: Inject::Sim(|| status(500)),
        exit: 5,
        says: "HTTP 500",
    },
    Fault {
        name: "502",
        inject: Inject::Sim(|| status(502)),
        exit: 5,
        says: "HTTP 502",
    },
    Fault {
        name: "503 with Retry-After",
        inject: Inject::Sim(|| json!({"status": 503, "retry_after": "1"})),
        exit: 5,
        says: "HTTP 503",
    },
    Fault {
        name: "429 with Retry-After",
        inject: Inject::Sim(|| json!({"status": 429, "retry_after": "1"})),
        exit: 5,
        says: "429",
    },
    Fault {
        name: "429 without Retry-After",
        inject: Inject::Sim(|| status(429)),
        exit: 5,
        says: "429",
    },
    Fault {
        name: "HTML instead of JSON (200)",
        inject: Inject::Sim(
            || json!({"status": 200, "body": "<html><body>Sign in to the guest Wi-Fi</body></html>"}),
        ),
        exit: 5,
        says: "HTML",
    },
    Fault {
        name: "truncated JSON (200)",
        inject: Inject::Sim(
            || json!({"status": 200, "body": r#"{"access_token":"eyJ0eXAi","refresh_tok"#}),
        ),
        exit: 5,
        says: "not valid JSON",
    },
    Fault {
        name: "a 10 MiB body",
        inject: Inject::Sim(
            || json!({"status": 200, "body": "x".repeat(1024), "repeat": 10 * 1024}),
        ),
        exit: 5,
        says: "larger than",
    },
    Fault {
        name: "slower than the timeout",
        // Never answers within any timeout: no load on the machine can make it look fast.
        inject: Inject::Sim(|| json!({"delay_ms": 600_000, "status": 200})),
        exit: 5,
        says: "did not answer in time",
    },
    Fault {
        name: "dropped connection",
        inject: Inject::Sim(|| json!({"drop": true})),
        exit: 5,
        says: "",
    },
    Fault {
        name: "DNS failure (.invalid host)",
        inject: Inject::Dns,
        exit: 5,
        says: "cannot resolve",
    },
    Fault {
        name: "TLS: self-signed certificate",
        inject: Inject::SelfSignedTls,
        exit: 5,
        says: "TLS with",
    },
    Fault {
        name: "TLS: not TLS at all",
        inject: Inject::NotTls,
        exit: 5,
        says: "TLS with",
    },
];

const DNS_HOST: &str = "login.onboard-tests.invalid";

/// A loopback TLS server with the self-signed certificate in fixtures/: every handshake fails
/// at the client. Runs until the test process ends.
fn self_signed_tls_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    crate::support::network::tls_server(listener, "self-signed", |mut tls| {
        let mut buf = [0u8; 1024];
        let _ = tls.read(&mut buf);
    });
    port
}

/// A loopback port that answers whatever arrives with an HTTP/1.0-looking line, not TLS.
fn garbage_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 512];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6 not a TLS server\r\n\r\n");
        }
    });
    port
}

/// The authority a network fault points at, and the host its message must name.
fn broken_authority(inject: &Inject) -> Option<(String, String)> {
    let tenant = ::onboard::simulate::TENANT_ID;
    match inject {
        Inject::Sim(_) => None,
        Inject::Dns => Some((
            format!("https://{DNS_HOST}/{tenant}/v2.0"),
            DNS_HOST.to_owned(),
        )),
        Inject::SelfSignedTls => {
            let port = self_signed_tls_server();
            Some((
                format!("https://127.0.0.1:{port}/{tenant}/v2.0"),
                format!("127.0.0.1:{port}"),
            ))
        }
        Inject::NotTls => {
            let port = garbage_server();
            Some((
                format!("https://127.0.0.1:{port}/{tenant}/v2.0"),
                format!("127.0.0.1:{port}"),
            ))
        }
    }
}

fn onboard_in(dir: &Path) -> std::process::Command {
    let mut command = onboard_at(dir);
    command
        .env("ONBOARD_HTTP_TIMEOUT", HTTP_TIMEOUT)
        .args(["--profile", "faults"]);
    command
}

fn command(cmd: &Cmd, dir: &Path, sim: &TestSim, authority: &str) -> std::process::Command {
    let mut command = onboard_in(dir);
    for arg in cmd.args {
        command.arg(fill_in(arg, sim, authority));
    }
    command
}

/// Signs in through the simulator (the person approves at once).
fn onboard_profile(sim: &TestSim, dir: &Path) {
    let invite = &COMMANDS[0];
    let mut signing_in = command(invite, dir, sim, &sim.info().authority);
    signing_in.arg("--json");
    let control = sim.control_client();
    let run = run_with_user(signing_in, |event| {
        control.approve(&event["user_code"]);
    });
    assert_eq!(run.code, Some(0), "setting up: {}", run.describe());
}

/// Points the saved profile at another authority.
fn repoint(dir: &Path, authority: &str) {
    let path = dir.join("profiles.json");
    let mut file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    file["profiles"]["faults"]["authority"] = json!(authority);
    std::fs::write(&path, serde_json::to_vec_pretty(&file).unwrap()).unwrap();
}

/// The file store's credential files, name and content.
fn snapshot(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir.join("credentials")) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

/// One cell of the matrix; returns what was wrong, if anything.
fn cell(cmd: &Cmd, fault: &Fault) -> Result<(), String> {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    if cmd.onboarded {
        onboard_profile(&sim, dir.path());
    }
    let (authority, host) = match broken_authority(&fault.inject) {
        Some((authority, host)) => {
            if cmd.onboarded {
                repoint(dir.path(), &authority);
            }
            (authority, host)
        }
        None => (
            sim.info().authority.clone(),
            sim.url("").trim_start_matches("http://").to_owned(),
        ),
    };
    if let Inject::Sim(body) = &fault.inject {
        let mut body = body();
        body["path"] = json!(cmd.fault_path);
        body["count"] = json!(cmd.fault_count);
        sim.fault(body);
    }
    let before = snapshot(dir.path());
    let run: Run = run(command(cmd, dir.path(), &sim, &authority));
    let after = snapshot(dir.path());
    // The error line: on stderr, or (validate's per-profile report) a ✗ line on stdout.
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("onboard: error:"))
        .chain(run.stdout.lines().filter(|l| l.starts_with("✗ ")))
        .collect();
    let mut problems = Vec::new();
    if run.code != Some(fault.exit) {
        problems.push(format!("exit {:?}, expected {}", run.code, fault.exit));
    }
    if run.code == Some(101) || run.stderr.contains("panicked") {
        problems.push("it panicked".to_owned());
    }
    match errors.as_slice() {
        [line] if line.contains(&host) && line.contains(fault.says) => {}
        _ => problems.push(format!(
            "expected one error line naming {host} and saying '{}'",
            fault.says
        )),
    }
    if before != after {
        problems.push("a saved credential changed".to_owned());
    }
    if matches!(fault.inject, Inject::Sim(_)) && sim.fault_hits(cmd.fault_path) == 0 {
        problems.push(format!("no request to *{} met the fault", cmd.fault_path));
    }
    if !cmd.onboarded && dir.path().join("profiles.json").exists() {
        problems.push("a profile was saved".to_owned());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} × {}: {}\n{}",
            cmd.name,
            fault.name,
            problems.join("; "),
            run.describe()
        ))
    }
}

/// Every fault for one command, a few at a time (each cell has its own simulated tenant).
fn matrix_for(name: &str) {
    let cmd = COMMANDS
        .iter()
        .find(|c| c.name == name)
        .expect("a command row");
    let mut failures = Vec::new();
    for chunk in FAULTS.chunks(6) {
        let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|fault| scope.spawn(move || cell(cmd, fault)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("the cell's test code panicked".to_owned()))
                })
                .collect()
        });
        failures.extend(results.into_iter().filter_map(Result::err));
    }
    assert!(
        failures.is_empty(),
        "{} of {} cells failed:\n\n{}",
        failures.len(),
        FAULTS.len(),
        failures.join("\n\n")
    );
}

#[test]
fn fault_matrix_invite() {
    matrix_for("invite");
}

#[test]
fn fault_matrix_validate() {
    matrix_for("validate");
}

#[test]
fn fault_matrix_token() {
    matrix_for("token");
}

#[test]
fn fault_matrix_permissions() {
    matrix_for("permissions");
}

/// Discovery names where tokens go: a loopback discovery document that sends the token endpoint
/// to plain http on another host is refused before anything is sent there (exit 2).
#[test]
fn discovery_naming_a_plain_http_endpoint_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let issuer = format!("http://127.0.0.1:{port}");
    let document = json!({
        "issuer": issuer,
        "token_endpoint": "http://example.invalid/token",
        "device_authorization_endpoint": format!("{issuer}/device"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
    })
    .to_string();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{document}",
                document.len()
            );
        }
    });
    let dir = TempDir::new().unwrap();
    let mut invite = onboard_in(dir.path());
    invite.args([
        "invite",
        "--non-interactive",
        "--authority",
        &issuer,
        "--client-id",
        ::onboard::simulate::CLIENT_ID,
        "--account",
        "svc@contoso.onmicrosoft.com",
        "--timeout",
        "30s",
    ]);
    let run = run(invite);
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(
        run.stderr.contains("token_endpoint") && run.stderr.contains("example.invalid"),
        "{}",
        run.describe()
    );
}

/// docs/development.md's fault table lists exactly these faults with these exit codes.
#[test]
fn the_documented_table_is_this_matrix() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/development.md"))
        .expect("docs/development.md");
    let rows: Vec<(String, String)> = page
        .lines()
        .skip_while(|l| !l.starts_with("### The fault matrix"))
        .skip_while(|l| !l.starts_with("| fault |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_owned(), cells[2].to_owned())
        })
        .collect();
    let matrix: Vec<(String, String)> = FAULTS
        .iter()
        .map(|f| (f.name.to_owned(), f.exit.to_string()))
        .collect();
    assert_eq!(
        rows, matrix,
        "docs/development.md's fault table and FAULTS differ"
    );
}
