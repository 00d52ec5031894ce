//! `TestSim`: the simulated tenant on a free loopback port, in a background thread with its own
//! tokio runtime, so blocking tests (and the `onboard` binary they run) can talk to it over real
//! HTTP. Stops when dropped.

#![allow(dead_code)] // Each test module uses a different part of the harness.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use onboard::simulate::{Settings, SimInfo, Simulator};
use serde_json::Value;

pub struct TestSim {
    info: SimInfo,
    sign_in_url: String,
    client: reqwest::blocking::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestSim {
    /// A simulator with fast polling (interval 1 s) and otherwise default settings.
    pub fn start() -> TestSim {
        TestSim::with(Settings {
            interval_secs: 1,
            ..Settings::default()
        })
    }

    pub fn with(settings: Settings) -> TestSim {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime for the simulator");
            runtime.block_on(async move {
                let sim = match Simulator::start(0, settings).await {
                    Ok(sim) => sim,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok((sim.info().clone(), sim.sign_in_url())));
                let _ = stop_rx.await;
                sim.shutdown().await;
            });
        });
        let (info, sign_in_url) = ready_rx
            .recv_timeout(Duration::from_secs(10))
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
        TestSim {
            info,
            sign_in_url,
            client,
            stop: Some(stop_tx),
            thread: Some(thread),
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

    /// A client that does not follow redirects (the admin consent test reads them).
    pub fn client(&self) -> &reqwest::blocking::Client {
        &self.client
    }

    /// POSTs `body` to `/_sim{path}`; returns the status and the JSON answer.
    pub fn control(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.info.control))
            .json(&body)
            .send()
            .expect("the control API answers");
        let status = response.status().as_u16();
        (
            status,
            response.json().expect("the control API answers JSON"),
        )
    }

    /// The requests the simulator received (control API excluded).
    pub fn requests(&self) -> Vec<Value> {
        self.client
            .get(format!("{}/requests", self.info.control))
            .send()
            .and_then(|r| r.json())
            .expect("the request log")
    }
}

impl Drop for TestSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The control API from another thread (a person signing in while the test polls).
#[derive(Clone)]
pub struct ControlClient {
    client: reqwest::blocking::Client,
    control: String,
}

impl ControlClient {
    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.control))
            .json(&body)
            .send()
            .expect("the control API answers");
        let status = response.status().as_u16();
        (status, response.json().unwrap_or(Value::Null))
    }
}

impl TestSim {
    pub fn control_client(&self) -> ControlClient {
        ControlClient {
            client: self.client.clone(),
            control: self.info.control.clone(),
        }
    }
}
