//! `TestSim`: the simulated tenant on a free loopback port, in a background thread with its own
//! tokio runtime, so blocking tests (and the `onboard` binary they run) can talk to it over real
//! HTTP. Stops when dropped.

#![allow(dead_code)] // Each test module uses a different part of the harness.

use std::sync::mpsc;
use std::time::Duration;

use onboard::simulate::{Settings, SimInfo, Simulator};
use serde::Serialize;
use serde_json::{Value, json};

use super::Background;

pub struct TestSim {
    info: SimInfo,
    sign_in_url: String,
    client: reqwest::blocking::Client,
    api: ControlClient,
    _server: Background,
}

impl TestSim {
    /// A simulator with fast polling (interval 1 s) and otherwise default settings.
    pub fn start() -> TestSim {
        TestSim::with(Settings {
            interval_secs: 1,
            ..Settings::default()
        })
    }

    /// A simulator whose tenant needs an administrator's approval for the app, with the admin
    /// consent workflow on (the person can request it).
    pub fn needing_approval() -> TestSim {
        TestSim::with(Settings {
            interval_secs: 1,
            require_approval: true,
            admin_consent_workflow: true,
            ..Settings::default()
        })
    }

    pub fn with(settings: Settings) -> TestSim {
        let (ready_tx, ready_rx) = mpsc::channel();
        let server = Background::spawn("the simulator", move |stop| async move {
            let sim = match Simulator::start(0, settings).await {
                Ok(sim) => sim,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = ready_tx.send(Ok((sim.info().clone(), sim.sign_in_url())));
            let _ = stop.await;
            sim.shutdown().await;
        });
        let (info, sign_in_url) = ready_rx
            .recv_timeout(WAIT)
            .expect("the simulator thread answers")
            .expect("the simulator starts");
        // The crate builds reqwest without a default TLS provider; the tests use ring's. A second
        // install fails harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("a reqwest client");
        let api = ControlClient {
            client: client.clone(),
            control: info.control.clone(),
        };
        TestSim {
            info,
            sign_in_url,
            client,
            api,
            _server: server,
        }
    }

    pub fn info(&self) -> &SimInfo {
        &self.info
    }

    pub fn sign_in_url(&self) -> &str {
        &self.sign_in_url
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        let base = self
            .info
            .control
            .strip_suffix("/_sim")
            .unwrap_or(&self.info.control);
        format!("{base}{path}")
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.url("")
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("http://127.0.0.1:PORT")
    }

    /// A client that does not follow redirects (the admin consent test reads them).
    pub fn client(&self) -> &reqwest::blocking::Client {
        &self.client
    }

    /// POSTs `body` to `/_sim{path}` and fails the test, showing the answer, unless the control
    /// API took it (2xx): a misspelt setting or a refused action cannot pass unnoticed.
    pub fn control(&self, path: &str, body: Value) -> (u16, Value) {
        self.api.post(path, body)
    }

    /// POSTs `body` to `/_sim{path}` for a test that expects the control API to refuse it:
    /// fails the test on 2xx; returns the status and the answer.
    pub fn control_refused(&self, path: &str, body: Value) -> (u16, Value) {
        self.api.post_refused(path, body)
    }

    /// The control API, to hand to another thread (a person signing in while the test polls).
    pub fn control_client(&self) -> ControlClient {
        self.api.clone()
    }
}

/// `sim.approve(code)`, `sim.requests()` and the rest of [`ControlClient`] on the simulator.
impl std::ops::Deref for TestSim {
    type Target = ControlClient;

    fn deref(&self) -> &ControlClient {
        &self.api
    }
}

/// The simulator's control API (`/_sim`): every call fails the test unless the simulator did
/// what it was asked, so a setup that silently did nothing cannot turn into a passing test.
#[derive(Clone)]
pub struct ControlClient {
    client: reqwest::blocking::Client,
    control: String,
}

impl ControlClient {
    fn send(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.control))
            .json(body)
            .send()
            .unwrap_or_else(|e| panic!("the control API answers {path}: {e}"));
        let status = response.status().as_u16();
        let text = response.text().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// POSTs `body` to `/_sim{path}`; fails the test with the answer unless it is 2xx.
    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (status, answer) = self.send(path, &body);
        assert!(
            (200..300).contains(&status),
            "the simulator refused POST /_sim{path} {body}: {status} {answer}"
        );
        (status, answer)
    }

    /// POSTs `body` to `/_sim{path}`, expecting a refusal: fails the test on 2xx.
    pub fn post_refused(&self, path: &str, body: Value) -> (u16, Value) {
        let (status, answer) = self.send(path, &body);
        assert!(
            !(200..300).contains(&status),
            "the simulator took POST /_sim{path} {body}, expected a refusal: {status} {answer}"
        );
        (status, answer)
    }

    /// The person signs in with `user_code` as the service account and consents.
    pub fn approve(&self, user_code: impl Serialize) -> Value {
        self.post("/approve", json!({"user_code": user_code})).1
    }

    /// The person signs in with `user_code` as `account` and consents.
    pub fn approve_as(&self, user_code: impl Serialize, account: &str) -> Value {
        self.post(
            "/approve",
            json!({"user_code": user_code, "account": account}),
        )
        .1
    }

    /// The person signs in with `user_code` and meets "Approval required" (409): the tenant
    /// demands an admin's approval first.
    pub fn approve_meets_approval_required(&self, user_code: impl Serialize) {
        let (status, answer) = self.post_refused("/approve", json!({"user_code": user_code}));
        assert_eq!(status, 409, "approval required: {answer}");
        assert_eq!(answer["state"], "approval_required", "{answer}");
    }

    /// The person declines the sign-in.
    pub fn deny(&self, user_code: impl Serialize) {
        self.post("/deny", json!({"user_code": user_code}));
    }

    /// The person meets "Approval required" and requests an admin's approval.
    pub fn request_approval(&self, user_code: impl Serialize) {
        self.post("/request-approval", json!({"user_code": user_code}));
    }

    /// Changes tenant settings; answers all of them.
    pub fn tenant(&self, settings: Value) -> Value {
        self.post("/tenant", settings).1
    }

    /// Queues a fault (see the control API table in docs/simulator.md).
    pub fn fault(&self, fault: Value) {
        self.post("/fault", fault);
    }

    /// Moves the simulator's clock `secs` ahead: an interval or an expiry passes without a
    /// sleep that a slow machine could make too short.
    pub fn advance_clock(&self, secs: u64) {
        self.post("/clock", json!({"advance_secs": secs}));
    }

    /// Lets one answer held by a `hold` fault go.
    pub fn release(&self) {
        self.post("/release", json!({}));
    }

    /// The requests the simulator received (control API excluded).
    pub fn requests(&self) -> Vec<Value> {
        self.client
            .get(format!("{}/requests", self.control))
            .send()
            .and_then(|r| r.json())
            .expect("the request log")
    }

    /// The page at `url` as a browser would show it (empty when it does not answer).
    pub fn page(&self, url: impl reqwest::IntoUrl) -> String {
        self.client
            .get(url)
            .send()
            .and_then(|r| r.text())
            .unwrap_or_default()
    }

    /// Every secret the simulator handed out, by kind (GET /_sim/tokens).
    pub fn issued(&self) -> Value {
        self.client
            .get(format!("{}/tokens", self.control))
            .send()
            .and_then(|r| r.json())
            .expect("the issued secrets")
    }

    /// How many requests whose path ends with `suffix` a fault was applied to.
    pub fn fault_hits(&self, suffix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r["fault"] == true)
            .filter(|r| r["path"].as_str().is_some_and(|p| p.ends_with(suffix)))
            .count()
    }

    /// Fails the test unless a fault was applied to exactly `count` requests ending in `suffix`.
    pub fn assert_fault_hits(&self, suffix: &str, count: usize) {
        let hits = self.fault_hits(suffix);
        assert_eq!(
            hits,
            count,
            "requests to *{suffix} that met a fault; the log: {:?}",
            self.requests()
        );
    }

    /// Waits until the simulator has received `count` requests whose path ends with `suffix`;
    /// fails the test after [`WAIT`].
    pub fn wait_for_requests(&self, suffix: &str, count: usize) {
        let deadline = std::time::Instant::now() + WAIT;
        let seen = || {
            self.requests()
                .iter()
                .filter(|r| r["path"].as_str().is_some_and(|p| p.ends_with(suffix)))
                .count()
        };
        while seen() < count {
            assert!(
                std::time::Instant::now() < deadline,
                "fewer than {count} requests to *{suffix} within {WAIT:?}: {:?}",
                self.requests()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until a fault has been applied to `count` requests ending in `suffix` (a held
    /// answer is then provably in flight); fails the test after [`WAIT`].
    pub fn wait_for_fault_hits(&self, suffix: &str, count: usize) {
        let deadline = std::time::Instant::now() + WAIT;
        while self.fault_hits(suffix) < count {
            assert!(
                std::time::Instant::now() < deadline,
                "no request to *{suffix} met its fault within {WAIT:?}: {:?}",
                self.requests()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// How long a test waits for something the simulator must see: long enough that only a hang
/// reaches it, on a loaded machine too.
pub const WAIT: Duration = Duration::from_secs(120);

/// `onboard simulate --tls --json --interval 1` as a child process of its own (the binary as a
/// user runs it): its start-up line, and the control API through a client that trusts the CA
/// it printed (and nothing else). [`TlsSimProcess::stop`] ends it with SIGTERM, as Ctrl-C
/// would; so does dropping it, which then waits a little for it to delete its CA before the
/// guard kills it.
#[cfg(unix)]
pub struct TlsSimProcess {
    child: super::Reaped,
    info: Value,
    api: ControlClient,
    reaped: bool,
}

#[cfg(unix)]
impl TlsSimProcess {
    pub fn start() -> TlsSimProcess {
        use std::io::BufRead;
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("onboard"))
            .args(["simulate", "--tls", "--json", "--interval", "1"])
            .env_remove("ONBOARD_CA_CERT")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("onboard simulate starts");
        let child = super::Reaped::new(child);
        let mut first = String::new();
        std::io::BufReader::new(child.take_stdout().expect("piped stdout"))
            .read_line(&mut first)
            .expect("onboard simulate prints where it is");
        let info = super::schema::parsed(&first, super::schema::JsonOutput::Simulate);
        let ca = std::fs::read(
            info["ca_cert"]
                .as_str()
                .expect("ca_cert in the start-up line"),
        )
        .expect("the CA file can be read");
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::blocking::Client::builder()
            .tls_certs_only(reqwest::Certificate::from_pem_bundle(&ca).expect("a PEM CA"))
            .timeout(Duration::from_secs(20))
            .build()
            .expect("a reqwest client");
        let api = ControlClient {
            client,
            control: info["control"].as_str().expect("control").to_owned(),
        };
        TlsSimProcess {
            child,
            info,
            api,
            reaped: false,
        }
    }

    /// The start-up line.
    pub fn info(&self) -> &Value {
        &self.info
    }

    pub fn field(&self, name: &str) -> &str {
        self.info[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {}", self.info))
    }

    pub fn ca_cert(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(self.field("ca_cert"))
    }

    /// A client that trusts the simulator's CA only.
    pub fn client(&self) -> &reqwest::blocking::Client {
        &self.api.client
    }

    /// SIGTERM, then waits for it to end.
    pub fn stop(mut self) -> std::process::ExitStatus {
        assert!(self.terminate(), "SIGTERM to onboard simulate");
        let status = self.child.wait();
        // Reaped: its process id may now be another process's.
        self.reaped = true;
        status
    }

    /// Sends SIGTERM; false when it could not be sent.
    fn terminate(&self) -> bool {
        // SAFETY: kill(2) on our own child, which the Reaped guard has not reaped yet.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) == 0 }
    }
}

#[cfg(unix)]
impl Drop for TlsSimProcess {
    fn drop(&mut self) {
        // Ended as Ctrl-C would end it, the simulator deletes its CA's directory; the Reaped
        // guard kills whatever is left.
        if self.reaped {
            return;
        }
        let dir = self.ca_cert().parent().map(std::path::Path::to_path_buf);
        if self.terminate()
            && let Some(dir) = dir
        {
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while dir.exists() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

#[cfg(unix)]
impl std::ops::Deref for TlsSimProcess {
    type Target = ControlClient;

    fn deref(&self) -> &ControlClient {
        &self.api
    }
}
