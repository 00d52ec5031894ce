//! `invite --demo`: the simulated tenant in-process on a free loopback port, its profile and
//! credential in a temporary directory, and keys that act as the user or the reviewer through
//! the simulator's control API, so the whole wizard can be seen without a Microsoft account.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

use super::inputs::Known;
use crate::error::{Error, Kind, Result};
use crate::flow::DeviceCode;
use crate::profiles::Profiles;
use crate::simulate::{Settings, SimInfo, Simulator};
use crate::store::TimedStore;

pub struct Demo {
    info: SimInfo,
    // Kept alive for the demo's length; dropping them stops the server and deletes the files.
    _simulator: Simulator,
    dir: TempDir,
}

impl Demo {
    pub async fn start(require_approval: bool) -> Result<Demo> {
        let settings = Settings {
            // Quicker than Entra's 5 s, so the demo feels alive.
            interval_secs: 2,
            require_approval,
            ..Settings::default()
        };
        let simulator = Simulator::start(0, settings).await.map_err(|e| {
            Error::new(
                Kind::Unexpected,
                "demo",
                format!("cannot start the simulated tenant: {e}"),
            )
            .with_hint(
                "the demo needs a free port on 127.0.0.1: check that loopback networking works",
            )
        })?;
        let dir = tempfile::Builder::new()
            .prefix("onboard-demo-")
            .tempdir()
            .map_err(|e| {
                Error::new(
                    Kind::StoreUnavailable,
                    "demo",
                    format!("cannot create a temporary directory: {e}"),
                )
                .with_hint("check that TMPDIR points at a writable directory")
            })?;
        Ok(Demo {
            info: simulator.info().clone(),
            _simulator: simulator,
            dir,
        })
    }

    pub fn describe(&self) -> String {
        format!(
            "a simulated tenant at {} (nothing leaves this machine; the profile and credential live in {} until the demo ends)",
            self.info.authority,
            self.dir.path().display()
        )
    }

    pub fn profiles(&self) -> Profiles {
        Profiles::at(self.dir.path())
    }

    pub fn store(&self) -> TimedStore {
        crate::deps::file_store(self.dir.path())
    }

    /// The simulated tenant's values stand in for what the operator has not given.
    pub fn prefill(&self, known: &mut Known) {
        if known.authority.is_none() {
            known.authority = Some(self.info.authority.clone());
            known.cloud = None;
        }
        known.tenant.get_or_insert_with(|| self.info.tenant.clone());
        known
            .client_id
            .get_or_insert_with(|| self.info.client_id.clone());
        known
            .account
            .get_or_insert_with(|| self.info.account.clone());
    }

    async fn control(&self, http: &Client, path: &str, body: Value) -> Result<(StatusCode, Value)> {
        let url = format!("{}{path}", self.info.control);
        let response = http.post(&url).json(&body).send().await.map_err(|e| {
            Error::new(
                Kind::Unreachable,
                "demo",
                format!("the simulated tenant did not answer: {e}"),
            )
            .with_hint("run `onboard invite --demo` again: its tenant runs inside this process")
        })?;
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// A demo key pressed while waiting for sign-in; returns what happened, for the operator.
    pub async fn act_as_user(&self, http: &Client, key: char, code: &DeviceCode) -> Option<String> {
        let user_code = json!({"user_code": code.user_code});
        let (path, done) = match key {
            's' => (
                "/approve",
                format!("Demo: {} signed in and consented", self.info.account),
            ),
            'r' => (
                "/request-approval",
                "Demo: the account requested approval; the reviewer was notified".into(),
            ),
            'd' => ("/deny", "Demo: the account declined".into()),
            _ => return None,
        };
        Some(match self.control(http, path, user_code).await {
            Ok((status, _)) if status.is_success() => done,
            Ok((StatusCode::CONFLICT, _)) => {
                "Demo: the account sees \"Approval required\" — press [r] to request approval"
                    .into()
            }
            Ok((status, body)) => format!("Demo: the simulated tenant answered {status}: {body}"),
            Err(e) => e.message,
        })
    }

    /// Without an operator: sign in at once, requesting approval when the tenant demands it.
    pub async fn sign_in_unattended(&self, http: &Client, code: &DeviceCode) -> Option<String> {
        let note = self.act_as_user(http, 's', code).await?;
        if note.contains("Approval required") {
            return self.act_as_user(http, 'r', code).await;
        }
        Some(note)
    }

    pub async fn reviewer_approves(&self, http: &Client) -> Result<String> {
        let (status, body) = self.control(http, "/reviewer/approve", json!({})).await?;
        if status.is_success() {
            Ok("Demo: the reviewer approved the registration for the tenant".into())
        } else {
            Err(Error::new(
                Kind::Unexpected,
                "demo",
                format!("the simulated reviewer could not approve: {status} {body}"),
            )
            .with_hint("this is a bug in the demo: please report it"))
        }
    }
}
