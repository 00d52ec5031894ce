//! Fixtures shared by the integration tests.

pub mod hostile;
pub mod keyring;
pub mod network;
pub mod onboarded;
// A Unix pseudo-terminal (expectrl, waitpid). On Windows the key reading is covered by the
// unit tests of src/ui/term.rs and the commands by the Wine suite.
#[cfg(unix)]
pub mod pty;
pub mod sim;
pub mod vault;

use assert_cmd::cargo::cargo_bin;

/// The commands `onboard --help` lists: only those that work.
pub const WORKING_COMMANDS: &[&str] = &[
    "invite",
    "validate",
    "token",
    "permissions",
    "list",
    "export",
    "remove",
    "consent-url",
    "doctor",
    "simulate",
    "completions",
    "help",
];

/// onboard's settings in the environment: no test command inherits the developer's.
pub const ONBOARD_SETTINGS: [&str; 8] = [
    "ONBOARD_PROFILE",
    "ONBOARD_CONFIG_DIR",
    "ONBOARD_STORE",
    "ONBOARD_CREDENTIAL",
    "ONBOARD_CA_CERT",
    "ONBOARD_HTTP_TIMEOUT",
    "ONBOARD_ALLOW_AUTHORITY",
    "ONBOARD_VAULT_PREFIX",
];

/// The real binary, isolated from the user's config directory and keyring settings.
pub fn onboard() -> std::process::Command {
    let mut command = std::process::Command::new(cargo_bin("onboard"));
    for var in ONBOARD_SETTINGS {
        command.env_remove(var);
    }
    command.env("NO_COLOR", "1");
    command
}

/// A D-Bus session bus where nothing listens: with no Secret Service to reach, the keyring
/// store fails at once (exit 7).
pub const NO_SECRET_SERVICE: &str = "unix:path=/nonexistent/onboard-test/bus";

/// `command` with no Secret Service to reach ([`NO_SECRET_SERVICE`]).
pub fn without_secret_service(mut command: std::process::Command) -> std::process::Command {
    command.env("DBUS_SESSION_BUS_ADDRESS", NO_SECRET_SERVICE);
    command
}

/// Runs `command` (with the usual deadline), which must end with exit `code`; fails the test
/// showing both streams otherwise.
pub fn exits_with(command: &mut std::process::Command, code: i32) -> std::process::Output {
    let out = command.output_within().expect("onboard runs");
    assert_exit(&out, code);
    out
}

/// Fails the test, showing both streams, unless `out` ended with exit `code`.
pub fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
}

/// A blocking HTTP client for tests (reqwest is built without a default TLS provider).
/// Where scripts/install-test-deps.sh installs the tests' Python packages (junitparser, msal):
/// `ONBOARD_TEST_PY_DIR`, by default ~/.cache/onboard-test/python. Put it on `PYTHONPATH`.
pub fn test_python_dir() -> std::path::PathBuf {
    match std::env::var_os("ONBOARD_TEST_PY_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::PathBuf::from(std::env::var_os("HOME").expect("HOME"))
            .join(".cache/onboard-test/python"),
    }
}

pub fn http() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::new()
}

/// How long any child a test starts may run before the test kills it and fails: far beyond
/// the slowest honest run on a loaded machine, so that only a hang reaches it.
pub const CHILD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(180);

/// A child process with a deadline: a watchdog kills it when [`CHILD_DEADLINE`] has passed,
/// and dropping it (a failed assertion unwinding, say) kills and reaps it, so that neither a
/// hung `onboard` nor a failing test leaves a process behind.
pub struct Reaped {
    child: std::sync::Arc<std::sync::Mutex<std::process::Child>>,
    killed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cancel: Option<std::sync::mpsc::Sender<()>>,
    what: String,
}

impl Reaped {
    pub fn new(child: std::process::Child) -> Reaped {
        Reaped::with_deadline(child, CHILD_DEADLINE)
    }

    pub fn with_deadline(child: std::process::Child, deadline: std::time::Duration) -> Reaped {
        use std::sync::atomic::Ordering;
        let what = format!("child {}", child.id());
        let child = std::sync::Arc::new(std::sync::Mutex::new(child));
        let killed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (cancel, cancelled) = std::sync::mpsc::channel::<()>();
        let (watched, flag) = (child.clone(), killed.clone());
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                cancelled.recv_timeout(deadline)
            {
                let mut child = watched.lock().unwrap_or_else(|e| e.into_inner());
                if let Ok(None) = child.try_wait() {
                    flag.store(true, Ordering::SeqCst);
                    let _ = child.kill();
                }
            }
        });
        Reaped {
            child,
            killed,
            cancel: Some(cancel),
            what,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::process::Child> {
        self.child.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The child's stdout, stdin or stderr, taken out of it (`None` unless piped).
    pub fn take_stdout(&self) -> Option<std::process::ChildStdout> {
        self.lock().stdout.take()
    }

    pub fn take_stderr(&self) -> Option<std::process::ChildStderr> {
        self.lock().stderr.take()
    }

    /// Its process id (to signal it).
    #[cfg_attr(not(unix), allow(dead_code))]
    pub fn id(&self) -> u32 {
        self.lock().id()
    }

    /// Kills it (SIGKILL on Unix) and reaps it.
    pub fn kill(&self) {
        let mut child = self.lock();
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Waits for it to end; fails the test if the watchdog had to kill it.
    pub fn wait(&self) -> std::process::ExitStatus {
        let status = loop {
            if let Some(status) = self.lock().try_wait().expect("the child's status") {
                break status;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert!(
            !self.killed.load(std::sync::atomic::Ordering::SeqCst),
            "{} ran past its deadline of {CHILD_DEADLINE:?} and was killed",
            self.what
        );
        status
    }

    /// Waits for it to end, with everything it printed on its piped stdout and stderr.
    pub fn wait_with_output(self) -> std::process::Output {
        fn drain(
            pipe: Option<impl std::io::Read + Send + 'static>,
        ) -> std::thread::JoinHandle<Vec<u8>> {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        }
        let stdout = drain(self.take_stdout());
        let stderr = drain(self.take_stderr());
        let status = self.wait();
        std::process::Output {
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        }
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        self.cancel.take();
        let mut child = self.lock();
        if let Ok(None) = child.try_wait() {
            let _ = child.kill();
        }
        let _ = child.wait();
    }
}

/// A server on a thread of its own, with its own tokio runtime, so that blocking tests (and the
/// binaries they run) can talk to it: told to stop and joined when dropped.
pub struct Background {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Runs `serve(stop)` on a new thread; the future it returns ends once `stop` resolves.
    pub fn spawn<F, Fut>(what: &'static str, serve: F) -> Background
    where
        F: FnOnce(tokio::sync::oneshot::Receiver<()>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()>,
    {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("a tokio runtime for {what}: {e}"));
            runtime.block_on(serve(stop_rx));
        });
        Background {
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What a finished command printed on stdout, as text.
pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a finished command printed on stderr, as text.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `command` (with the usual deadline), which must end with a usage error (exit 2) and
/// no panic; returns its stderr. `what` names the case in a failure.
pub fn usage_error(command: &mut std::process::Command, what: impl std::fmt::Display) -> String {
    let out = command.output_within().expect("onboard runs");
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{what}: {said}");
    assert!(!said.contains("panic"), "{what}: {said}");
    said
}

/// A finished command's stdout as one JSON value; fails the test with both streams otherwise.
pub fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(out), stderr(out)))
}

/// A tokio runtime for calling the crate's async functions.
///
/// One runtime for the whole test binary, never dropped, as `onboard` itself has: a dropped
/// runtime waits for its blocking tasks, and a keyring call stuck in D-Bus past its timeout
/// would hang the test that dropped it; and a save that outlived its timeout finishes on its
/// workers.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// `onboard invite` without a terminal, naming the simulated tenant through `{authority}`,
/// `{client_id}` and `{account}`, which [`fill_in`] replaces.
pub const INVITE_NON_INTERACTIVE: [&str; 10] = [
    "invite",
    "--non-interactive",
    "--authority",
    "{authority}",
    "--client-id",
    "{client_id}",
    "--account",
    "{account}",
    "--timeout",
    "60s",
];

/// `arg` with `{authority}` (the given one), `{client_id}` and `{account}` (the simulated
/// tenant's) replaced.
pub fn fill_in(arg: &str, sim: &sim::TestSim, authority: &str) -> String {
    arg.replace("{authority}", authority)
        .replace("{client_id}", &sim.info().client_id)
        .replace("{account}", &sim.info().account)
}

/// `Command::output` with [`CHILD_DEADLINE`]: stdin empty, stdout and stderr captured, and a
/// child that runs past the deadline is killed and fails the test instead of hanging the suite.
pub trait OutputWithin {
    fn output_within(&mut self) -> std::io::Result<std::process::Output>;
}

impl OutputWithin for std::process::Command {
    fn output_within(&mut self) -> std::io::Result<std::process::Output> {
        use std::process::Stdio;
        let child = self
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        Ok(Reaped::new(child).wait_with_output())
    }
}
