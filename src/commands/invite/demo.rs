//! `invite --demo`: the simulated tenant in-process on a free loopback port, its profile and
//! credential in a temporary directory, and keys that act as the user or the reviewer on the
//! simulator directly, so the whole wizard can be seen without a Microsoft account. The default
//! tenant lets the account sign in at once; pressing [r] instead takes the admin-approval detour.

use std::sync::atomic::{AtomicBool, Ordering};

use tempfile::TempDir;

use super::inputs::Known;
use crate::error::{Error, Kind, Result};
use crate::flow::DeviceCode;
use crate::flow::browser::AuthorizeRequest;
use crate::profiles::Profiles;
use crate::simulate::{
    AuthorizeAction, AuthorizeOutcome, AuthorizeProblem, CodeProblem, Settings, SignIn, SimInfo,
    Simulator,
};
use crate::store::TimedStore;

pub struct Demo {
    // Kept alive for the demo's length; dropping them stops the server and deletes the files.
    simulator: Simulator,
    dir: TempDir,
    /// The demo pressed "Request approval" for the current code: it knows that the decline
    /// polling then sees (Entra's answer to both) means approval, and need not ask.
    approval_requested: AtomicBool,
}

impl Demo {
    pub async fn start(require_approval: bool) -> Result<Demo> {
        let settings = Settings {
            // Quicker than Entra's 5 s, so the demo feels alive.
            interval_secs: 2,
            require_approval,
            // The demo shows the detour with its "Request approval" button.
            admin_consent_workflow: true,
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
            simulator,
            dir,
            approval_requested: AtomicBool::new(false),
        })
    }

    fn info(&self) -> &SimInfo {
        self.simulator.info()
    }

    pub fn describe(&self) -> String {
        format!(
            "a simulated tenant at {} (nothing leaves this machine; the profile and credential live in {} until the demo ends)",
            self.info().authority,
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
            known.authority = Some(self.info().authority.clone());
            known.cloud = None;
        }
        known
            .tenant
            .get_or_insert_with(|| self.info().tenant.clone());
        known
            .client_id
            .get_or_insert_with(|| self.info().client_id.clone());
        known
            .account
            .get_or_insert_with(|| self.info().account.clone());
    }

    /// A demo key pressed while waiting for sign-in: the account acts on the sign-in page.
    /// Returns what happened, in one line for the operator.
    pub fn act_as_user(&self, key: char, code: &DeviceCode) -> Option<String> {
        let user_code = code.user_code.as_str();
        Some(match key {
            's' => self.signed_in(self.simulator.approve(user_code)),
            'r' => self.request_approval(user_code),
            'd' => match self.simulator.deny(user_code) {
                Ok(()) => "Demo: the account declined".into(),
                Err(problem) => refused(problem),
            },
            _ => return None,
        })
    }

    /// Without an operator: sign in at once, requesting approval when the tenant demands it.
    pub fn sign_in_unattended(&self, code: &DeviceCode) -> String {
        match self.simulator.approve(&code.user_code) {
            Ok(SignIn::ApprovalRequired) => self.request_approval(&code.user_code),
            outcome => self.signed_in(outcome),
        }
    }

    fn signed_in(&self, outcome: Result<SignIn, CodeProblem>) -> String {
        match outcome {
            Ok(SignIn::Approved) => {
                format!("Demo: {} signed in and consented", self.info().account)
            }
            Ok(SignIn::ApprovalRequired) => {
                "Demo: the account sees \"Approval required\" — press [r] to request approval"
                    .into()
            }
            Err(problem) => refused(problem),
        }
    }

    fn request_approval(&self, user_code: &str) -> String {
        match self.simulator.request_approval(user_code) {
            Ok(()) => {
                self.approval_requested.store(true, Ordering::Relaxed);
                "Demo: the account requested approval; the reviewer was notified".into()
            }
            Err(CodeProblem::NoApprovalNeeded) => {
                "Demo: the reviewer has approved already, so there is nothing to request: \
                 press [s] to sign in"
                    .into()
            }
            Err(problem) => refused(problem),
        }
    }

    /// A demo key pressed on the browser road: the account acts on the simulated sign-in page,
    /// and the demo plays its browser, following the redirect to onboard's listener.
    pub fn act_in_browser(&self, key: char, request: &AuthorizeRequest) -> Option<String> {
        let action = match key {
            's' => AuthorizeAction::Approve,
            'r' => AuthorizeAction::RequestApproval,
            'd' => AuthorizeAction::Deny,
            _ => return None,
        };
        Some(self.authorize(request, action))
    }

    /// Without an operator: sign in at once on the browser road, requesting approval when the
    /// tenant demands it.
    pub fn browser_unattended(&self, request: &AuthorizeRequest) -> String {
        match self.simulator.authorize(
            request.url.query().unwrap_or_default(),
            &request.state,
            AuthorizeAction::Approve,
        ) {
            Ok(AuthorizeOutcome::ApprovalRequired) => {
                self.authorize(request, AuthorizeAction::RequestApproval)
            }
            outcome => self.followed(request, outcome, "signed in and consented"),
        }
    }

    fn authorize(&self, request: &AuthorizeRequest, action: AuthorizeAction) -> String {
        let outcome = self.simulator.authorize(
            request.url.query().unwrap_or_default(),
            &request.state,
            action,
        );
        let did = match action {
            AuthorizeAction::Approve => "signed in and consented",
            AuthorizeAction::Deny => "declined",
            AuthorizeAction::RequestApproval => {
                if matches!(
                    outcome,
                    Ok(AuthorizeOutcome::Redirect(_) | AuthorizeOutcome::ApprovalRequested)
                ) {
                    self.approval_requested.store(true, Ordering::Relaxed);
                }
                "requested approval; the reviewer was notified"
            }
        };
        self.followed(request, outcome, did)
    }

    fn followed(
        &self,
        request: &AuthorizeRequest,
        outcome: Result<AuthorizeOutcome, AuthorizeProblem>,
        did: &str,
    ) -> String {
        match outcome {
            Ok(AuthorizeOutcome::Redirect(location)) => {
                tokio::spawn(follow_redirect(location, request.port));
                format!(
                    "Demo: {} {did}; the browser is sent to {}/?code=…&state=…",
                    self.info().account,
                    request.redirect_uri
                )
            }
            Ok(AuthorizeOutcome::ApprovalRequired) => {
                "Demo: the account sees \"Approval required\" — press [r] to request approval".into()
            }
            Ok(AuthorizeOutcome::ApprovalRequested) => {
                self.approval_requested.store(true, Ordering::Relaxed);
                "Demo: the account requested approval; the browser stays on \"Request sent\" — press [a]".into()
            }
            Err(AuthorizeProblem::Finished) => {
                "Demo: this sign-in link was used already: press [n] for a fresh one".into()
            }
            Err(_) => "Demo: the simulated tenant does not know this sign-in link: press [n] for a fresh one".into(),
        }
    }

    /// Whether the demo requested approval since the last call.
    pub fn take_approval_request(&self) -> bool {
        self.approval_requested.swap(false, Ordering::Relaxed)
    }

    pub fn reviewer_approves(&self) -> String {
        self.simulator.reviewer_approves();
        "Demo: the reviewer approved the registration for the tenant".into()
    }
}

/// Why the simulated sign-in page did not take a key, and what to press instead.
fn refused(problem: CodeProblem) -> String {
    match problem {
        CodeProblem::Expired => "Demo: this code has expired: press [n] for a fresh one",
        CodeProblem::Finished => {
            "Demo: this code was used already: wait for the wizard, or press [n] for a fresh one"
        }
        CodeProblem::Blocked => "Demo: a reviewer blocked the app: no request can be made",
        CodeProblem::NoWorkflow => {
            "Demo: the tenant's admin consent workflow is off, so there is no request to send"
        }
        CodeProblem::Unknown | CodeProblem::NoApprovalNeeded => {
            "Demo: the simulated tenant does not know this code: press [n] for a fresh one"
        }
    }
    .into()
}

/// What a browser does with the redirect: a GET of it, here always onboard's own listener on
/// 127.0.0.1 (the address names localhost). Errors are the listener's to notice: it keeps
/// waiting, and the operator can press a key again.
async fn follow_redirect(location: String, port: u16) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(url) = url::Url::parse(&location) else {
        return;
    };
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let Ok(mut stream) =
        tokio::net::TcpStream::connect((std::net::Ipv4Addr::LOCALHOST, port)).await
    else {
        return;
    };
    let request =
        format!("GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_ok() {
        let mut page = Vec::new();
        let _ = stream.read_to_end(&mut page).await;
    }
}
