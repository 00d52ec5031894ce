//! A private Secret Service for the keyring tests, and the child processes that talk to it.
//!
//! One `dbus-daemon` and one unlocked `gnome-keyring-daemon` per test binary, with `HOME` and
//! `XDG_*` in a temp dir, so no test ever sees the user's real keyring. A shell script supervises
//! them: it reads its stdin, which is a pipe this process holds for its whole life, and kills
//! both daemons when that pipe closes, i.e. when the test binary exits, however it exits.
//!
//! zbus takes the bus from `DBUS_SESSION_BUS_ADDRESS` in the process environment, and neither
//! keyring-core's Secret Service store nor its `secret-service` crate can be handed another
//! address. Setting the variable in this multi-threaded test process would be unsound
//! (`set_var` races with any C code reading the environment) and would point every test at one
//! bus. So each keyring test re-runs this test binary as a child, filtered to one `#[ignore]`d
//! test, with the variable set by `Command::env`: the child's environment is right from its
//! first instruction, and a test that needs "no Secret Service" just gets another address.
//! A child test fails at once unless [`CHILD_MARKER`] is set, so `cargo test -- --ignored`
//! can never reach the user's real keyring through them, nor pass without having run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::OutputWithin;

/// Set in the environment of child test processes; its value is the temp dir for the child.
pub const CHILD_MARKER: &str = "ONBOARD_TEST_CHILD";

/// The gnome-keyring login password. Any non-empty line: an empty one makes gnome-keyring
/// want a GUI prompt to create the login collection.
const KEYRING_PASSWORD: &str = "onboard-test-password";

const SUPERVISOR: &str = r#"
set -u
dir=$1
password=$2
export HOME="$dir/home" XDG_RUNTIME_DIR="$dir/run" XDG_DATA_HOME="$dir/data" \
       XDG_CONFIG_HOME="$dir/config" XDG_CACHE_HOME="$dir/cache"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
addr="unix:path=$dir/bus"
dbus-daemon --session --nofork --nopidfile --address="$addr" >"$dir/dbus.log" 2>&1 &
dbus=$!
export DBUS_SESSION_BUS_ADDRESS="$addr"
i=0
while [ ! -S "$dir/bus" ]; do
  i=$((i+1)); if [ $i -gt 1000 ]; then echo "dbus-daemon did not start"; kill $dbus; exit 1; fi
  sleep 0.01
done
printf '%s\n' "$password" | gnome-keyring-daemon --foreground --unlock --components=secrets \
  >"$dir/gnome-keyring.log" 2>&1 &
keyring=$!
i=0
until dbus-send --session --dest=org.freedesktop.DBus --print-reply /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true; do
  i=$((i+1)); if [ $i -gt 1000 ]; then echo "gnome-keyring-daemon did not start"; kill $keyring $dbus; exit 1; fi
  sleep 0.01
done
echo "ready $addr"
read -r _ || true
kill $keyring $dbus 2>/dev/null
wait
rm -rf "$dir"
"#;

/// The running private Secret Service.
pub struct SecretService {
    pub bus_address: String,
    pub started_in: Duration,
    _dir: tempfile::TempDir,
    /// Closing it (at process exit) tells the supervisor to stop the daemons.
    _lifeline: Mutex<ChildStdin>,
    _supervisor: Mutex<Child>,
}

/// Starts the daemons on first use; later calls get the same ones.
pub fn secret_service() -> &'static SecretService {
    static SERVICE: OnceLock<SecretService> = OnceLock::new();
    SERVICE.get_or_init(|| start().unwrap_or_else(|e| panic!("private Secret Service: {e}")))
}

/// A Secret Service of its own, for a test that changes its state (locks it); its daemons stop
/// when it is dropped.
pub fn private_secret_service() -> SecretService {
    start().unwrap_or_else(|e| panic!("private Secret Service: {e}"))
}

fn start() -> Result<SecretService, String> {
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("onboard-secret-service-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(SUPERVISOR)
        .arg("sh")
        .arg(dir.path())
        .arg(KEYRING_PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            format!("cannot run sh: {e} (run scripts/install-test-deps.sh to install the daemons)")
        })?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let Some(address) = line.trim().strip_prefix("ready ") else {
        let logs = ["dbus.log", "gnome-keyring.log"]
            .map(|f| std::fs::read_to_string(dir.path().join(f)).unwrap_or_default());
        return Err(format!(
            "{} (install them with scripts/install-test-deps.sh); logs: {logs:?}",
            line.trim()
        ));
    };
    Ok(SecretService {
        bus_address: address.to_owned(),
        started_in: started.elapsed(),
        _dir: dir,
        _lifeline: Mutex::new(stdin),
        _supervisor: Mutex::new(child),
    })
}

impl SecretService {
    /// Locks the login collection, as a screen lock or a reboot would.
    pub fn lock(&self) {
        let out = Command::new("dbus-send")
            .args([
                "--session",
                "--dest=org.freedesktop.secrets",
                "--print-reply",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .output_within()
            .unwrap_or_else(|e| panic!("dbus-send: {e}"));
        assert!(out.status.success(), "{out:?}");
    }
}

/// `secret-tool` on a given bus.
pub fn secret_tool_on(bus_address: &str, args: &[&str]) -> Output {
    Command::new("secret-tool")
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", bus_address)
        .stdin(Stdio::null())
        .output_within()
        .unwrap_or_else(|e| panic!("secret-tool: {e} (run scripts/install-test-deps.sh)"))
}

/// The keyring items whose attributes match `attrs` (pairs), as their `service` attributes,
/// sorted. `secret-tool search` prints attributes on stderr.
pub fn keyring_services(bus_address: &str, attrs: &[(&str, &str)]) -> Vec<String> {
    let mut args = vec!["search", "--all"];
    for (k, v) in attrs {
        args.push(k);
        args.push(v);
    }
    let out = secret_tool_on(bus_address, &args);
    let mut services: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("attribute.service = "))
        .map(str::to_owned)
        .collect();
    services.sort();
    services
}

/// The first call of every child test: it fails unless the test runs in a child started by
/// [`run_child`] or [`child_command`], with the environment its parent prepared.
pub fn assert_in_child() {
    assert!(
        std::env::var_os(CHILD_MARKER).is_some(),
        "this test runs only in a child process that its parent test starts with the right \
         environment (see its #[ignore] reason): run the parent test instead"
    );
}

/// The temporary directory the parent gave this child test.
pub fn child_dir() -> PathBuf {
    assert_in_child();
    std::env::var_os(CHILD_MARKER)
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// This test binary, filtered to the one ignored test `name`, with `envs` set.
pub fn child_command(name: &str, dir: &Path, envs: &[(&str, &str)]) -> Command {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
    let mut command = Command::new(exe);
    command
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_MARKER, dir)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .envs(envs.iter().copied())
        .stdin(Stdio::null());
    command
}

use super::CHILD_DEADLINE;

/// Runs the ignored test `name` in a child and fails unless it passed (and ran: a filter that
/// matches nothing also exits 0). Returns its stdout.
pub fn run_child(name: &str, envs: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let child = child_command(name, dir.path(), envs)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {name}: {e}"));
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(CHILD_DEADLINE) {
        Ok(result) => result.unwrap_or_else(|e| panic!("waiting for {name}: {e}")),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("child test {name} hung for {CHILD_DEADLINE:?} and was killed");
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Forward the child's report (timings) to this test's captured output.
    print!("{stdout}");
    assert!(
        out.status.success(),
        "child test {name} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "child test {name} did not run:\n{stdout}\n{stderr}"
    );
    stdout
}
