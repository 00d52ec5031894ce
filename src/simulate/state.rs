//! The simulated tenant's memory: tenant settings, device codes and their sign-in state, issued
//! tokens, consent, queued faults and the request log. Plain data; no HTTP here.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{Settings, scopes};

/// What polling sees after the user requested admin approval. Microsoft does not document it,
/// so the default is the least helpful plausible answer: the same as a plain decline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApprovalOutcome {
    /// `authorization_declined` with AADSTS65004 alone, like a plain decline.
    #[serde(rename = "declined")]
    Declined,
    /// `authorization_pending` until the code expires.
    #[serde(rename = "pending")]
    Pending,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reuse {
    /// Entra's behaviour: a used refresh token keeps working.
    Allow,
    /// Some other servers': a used refresh token fails with `invalid_grant`.
    Refuse,
}

/// Conditional Access's "authentication flows" condition blocking the device code flow
/// (Microsoft's managed "Block device code flow" policy starts in report-only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceCodePolicy {
    Off,
    /// Logged, not enforced: every sign-in works.
    ReportOnly,
    /// Device-code sign-ins, and refreshes of tokens born from one (protocol tracking), get
    /// AADSTS53003.
    On,
}

/// How a refresh token's session began: Entra's protocol tracking follows it through refreshes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Born {
    DeviceCode,
    AuthorizationCode,
}

/// The tenant settings `/_sim/tenant` reads and writes.
#[derive(Clone, Debug, Serialize)]
pub struct TenantSettings {
    pub require_admin_approval: bool,
    /// The admin consent workflow (off by default, as in a new Entra tenant): off, the page
    /// says "Need admin approval" with no "Request approval" button, and nobody is told.
    pub admin_consent_workflow: bool,
    pub approval_outcome: ApprovalOutcome,
    pub reuse_refresh_token: Reuse,
    pub interval: u64,
    pub expires_in: u64,
    pub granted_scopes: Option<Vec<String>>,
    pub consent_withdrawn: bool,
    pub public_client: bool,
    /// Characters in the refresh tokens issued afterwards; `None`: about 1,500, like Entra's.
    pub refresh_token_length: Option<usize>,
    /// The redirect URIs registered on the app: the v2 admin consent link needs one of them.
    /// None by default, as device-code registrations often have none.
    pub redirect_uris: Vec<String>,
    /// The redirect URIs of the app's "Mobile and desktop applications" platform, where the
    /// browser road's `http://localhost` is registered (any port matches it, as on Entra).
    pub native_redirect_uris: Vec<String>,
    pub device_code_policy: DeviceCodePolicy,
    /// Refresh answers leave `scope` out (RFC 6749 §5.1 allows it when all that was asked
    /// for was granted).
    pub omit_refresh_scope: bool,
    /// Guests: accounts of other organisations (home addresses) invited into the tenant. Their
    /// ID token names them by their home address; Graph names them `local_home#EXT#@domain`.
    pub guests: Vec<String>,
    /// Accounts renamed since they signed in: sign-in name (lower case) → the current UPN.
    /// The object id stays; the names in new tokens and in Graph change.
    pub renamed: BTreeMap<String, String>,
    /// Read-only here: set by the reviewer's consent.
    pub admin_consent_granted: bool,
    /// Read-only here: a reviewer chose *Block*, which disables the app's service principal
    /// in the tenant; every sign-in and token request then fails with AADSTS7000112.
    pub app_disabled: bool,
    /// Read-only here: an admin consent request awaits the reviewers (filed by "Request
    /// approval"; gone once approved, denied, blocked or expired).
    pub request_pending: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeState {
    Pending,
    /// The user met "Approval required" and pressed "Request approval".
    ApprovalRequested,
    Declined,
    Approved {
        account: String,
    },
    Redeemed,
}

#[derive(Clone, Debug)]
pub struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub issued: Instant,
    pub expires_in: u64,
    /// The polling interval this code asked for: the tenant's at issue.
    pub interval: Duration,
    /// When the client last polled with this code.
    pub last_poll: Option<Instant>,
    pub state: CodeState,
}

impl DeviceCode {
    /// Records a poll at `now`; false when it came sooner than the interval after the last one
    /// (each `slow_down` answered raises the interval by 5 s, as RFC 8628 §3.5 has the client
    /// do). Loopback scheduling may deliver a poll a little early.
    pub fn poll_in_time(&mut self, now: Instant) -> bool {
        const SLACK: Duration = Duration::from_millis(50);
        let early = self
            .last_poll
            .is_some_and(|last| now.duration_since(last) + SLACK < self.interval);
        self.last_poll = Some(now);
        !early
    }

    pub fn expired(&self, now: Instant) -> bool {
        now.duration_since(self.issued) >= Duration::from_secs(self.expires_in)
    }
}

/// Why a user code cannot be acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeProblem {
    Unknown,
    Expired,
    /// Already approved, declined or redeemed.
    Finished,
    /// "Request approval" where the tenant demands none (or a reviewer already approved).
    NoApprovalNeeded,
    /// "Request approval" where the admin consent workflow is off: the page has no such button.
    NoWorkflow,
    /// "Request approval" for an app a reviewer blocked: no request can be made for it again.
    Blocked,
}

impl CodeProblem {
    pub fn describe(self) -> &'static str {
        match self {
            CodeProblem::Unknown => "unknown user_code",
            CodeProblem::Expired => "the code has expired",
            CodeProblem::Finished => "the code was already used (approved, declined or redeemed)",
            CodeProblem::NoApprovalNeeded => {
                "the tenant does not require admin approval (or a reviewer already approved)"
            }
            CodeProblem::Blocked => {
                "a reviewer blocked this app: no admin consent request can be made for it again"
            }
            CodeProblem::NoWorkflow => {
                "the tenant's admin consent workflow is off: the page says \"Need admin approval\" and has no \"Request approval\" button"
            }
        }
    }
}

/// What the reviewers did with a pending admin consent request, short of approving it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Review {
    Deny,
    Block,
    Expire,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignIn {
    Approved,
    /// The user meets "Approval required"; the code stays pending.
    ApprovalRequired,
}

#[derive(Clone, Debug)]
pub struct RefreshGrant {
    pub born: Born,
    pub account: String,
    pub client_id: String,
    /// The scopes of the original sign-in; a refresh may ask for a subset.
    pub scopes: Vec<String>,
    pub used: bool,
    pub revoked: bool,
}

#[derive(Clone, Debug)]
pub struct AccessGrant {
    pub account: String,
    pub client_id: String,
    /// The `scp` claim, split.
    pub scopes: Vec<String>,
    pub expires: Instant,
}

/// What became of an authorization request (the `authorize` page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthState {
    Pending,
    /// Redirected with a code (or an error): the page is done.
    Finished,
    /// "Request approval" was pressed and the tenant's outcome is `pending`: the browser
    /// stays on "Request sent".
    ApprovalRequested,
}

/// One request to the `authorize` endpoint, found again by its `state`.
#[derive(Clone, Debug)]
pub struct AuthRequest {
    /// The page's own handle on the request (its form carries it).
    pub id: String,
    pub state: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    /// `(challenge, method)`; Entra accepts a native app's request without one.
    pub challenge: Option<(String, String)>,
    pub nonce: Option<String>,
    pub issued: Instant,
    pub status: AuthState,
}

/// An authorization code handed out by a redirect.
#[derive(Clone, Debug)]
pub struct AuthCode {
    pub account: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub challenge: Option<(String, String)>,
    pub nonce: Option<String>,
    pub issued: Instant,
    pub redeemed: bool,
}

/// One queued fault from `/_sim/fault`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    #[serde(default)]
    pub path: String,
    pub status: Option<u16>,
    pub body: Option<String>,
    pub retry_after: Option<String>,
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default)]
    pub drop: bool,
    #[serde(default)]
    pub slow_down: bool,
    /// The request is served (a token rotated, a code redeemed), then its answer waits until
    /// `/_sim/release` lets it go: an answer in flight, for tests that act at that moment.
    #[serde(default)]
    pub hold: bool,
    /// The body is sent this many times over (a 10 MiB answer from a short body).
    #[serde(default = "one")]
    pub repeat: u32,
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

#[derive(Clone, Debug, Serialize)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub at_ms: u64,
    /// Whether a queued fault was applied to this request.
    pub fault: bool,
}

/// The log keeps the most recent requests only, so a long demo cannot grow it without bound.
const MAX_RECORDS: usize = 100_000;

/// What kind of secret the simulated tenant handed out (for `GET /_sim/tokens`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issued {
    AccessToken,
    RefreshToken,
    IdToken,
    DeviceCode,
    AuthorizationCode,
}

/// The issued-secrets log keeps the most recent ones only (each is up to ~1.5 KB).
const MAX_ISSUED: usize = 10_000;

pub struct State {
    pub tenant: TenantSettings,
    /// The Graph scopes the reviewer consented to for the whole tenant.
    pub admin_consent: Option<Vec<String>>,
    /// Per account (lower case): the scopes the user consented to.
    pub user_consents: BTreeMap<String, Vec<String>>,
    pub codes: Vec<DeviceCode>,
    pub authorizations: Vec<AuthRequest>,
    pub auth_codes: HashMap<String, AuthCode>,
    pub refresh: HashMap<String, RefreshGrant>,
    pub access: HashMap<String, AccessGrant>,
    pub faults: VecDeque<Fault>,
    pub requests: VecDeque<RequestRecord>,
    /// Every token and device code handed out, so tests can look for leaks of them.
    pub issued: VecDeque<(Issued, String)>,
    /// How far the control API moved the simulator's clock ahead of the real one: a test
    /// that needs time to pass (an interval, an expiry) moves it instead of sleeping.
    pub clock_ahead: Duration,
}

impl State {
    pub fn new(settings: &Settings) -> State {
        State {
            tenant: TenantSettings {
                require_admin_approval: settings.require_approval,
                admin_consent_workflow: settings.admin_consent_workflow,
                approval_outcome: ApprovalOutcome::Declined,
                reuse_refresh_token: Reuse::Allow,
                interval: settings.interval_secs,
                expires_in: settings.expires_in_secs,
                granted_scopes: None,
                consent_withdrawn: false,
                public_client: true,
                refresh_token_length: None,
                redirect_uris: Vec::new(),
                native_redirect_uris: vec!["http://localhost".to_owned()],
                device_code_policy: DeviceCodePolicy::Off,
                omit_refresh_scope: false,
                guests: Vec::new(),
                renamed: BTreeMap::new(),
                admin_consent_granted: false,
                app_disabled: false,
                request_pending: false,
            },
            admin_consent: None,
            user_consents: BTreeMap::new(),
            codes: Vec::new(),
            authorizations: Vec::new(),
            auth_codes: HashMap::new(),
            refresh: HashMap::new(),
            access: HashMap::new(),
            faults: VecDeque::new(),
            requests: VecDeque::new(),
            issued: VecDeque::new(),
            clock_ahead: Duration::ZERO,
        }
    }

    /// Remembers a secret handed out.
    pub fn remember(&mut self, kind: Issued, secret: &str) {
        if self.issued.len() >= MAX_ISSUED {
            self.issued.pop_front();
        }
        self.issued.push_back((kind, secret.to_owned()));
    }

    /// The code a person typed: case and separators (`ABCD-EFGHI`, spaces) do not matter.
    pub fn code_by_user_code(&mut self, typed: &str) -> Option<&mut DeviceCode> {
        let wanted: String = typed
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if wanted.is_empty() {
            return None;
        }
        self.codes.iter_mut().find(|c| c.user_code == wanted)
    }

    pub fn code_by_device_code(&mut self, device_code: &str) -> Option<&mut DeviceCode> {
        self.codes.iter_mut().find(|c| c.device_code == device_code)
    }

    /// The Graph scopes of `requested` (`.default`: those the registration lists) that no
    /// reviewer has consented to for the tenant.
    pub fn not_admin_consented(&self, requested: &[String]) -> Vec<String> {
        let consented = self.admin_consent.as_deref().unwrap_or(&[]);
        scopes::granted_resource_scopes(requested, self.tenant.granted_scopes.as_deref())
            .into_iter()
            .filter(|scope| !consented.iter().any(|c| c.eq_ignore_ascii_case(scope)))
            .collect()
    }

    /// Whether a sign-in asking for `requested` must take the admin consent detour: the tenant
    /// demands admin approval, and no reviewer has consented yet or not to every scope asked
    /// for. A reviewer's consent covers the scopes it named (`.default`: the registration's
    /// list), so a scope the registration does not list needs a consent that asked for it.
    pub fn approval_needed(&self, requested: &[String]) -> bool {
        self.tenant.require_admin_approval
            && (self.admin_consent.is_none() || !self.not_admin_consented(requested).is_empty())
    }

    /// Whether a reviewer's consent covers every Graph scope of `requested`, so that the sign-in
    /// pages need not ask.
    pub fn admin_consented(&self, requested: &[String]) -> bool {
        self.admin_consent.is_some() && self.not_admin_consented(requested).is_empty()
    }

    /// Takes one use of the first queued fault whose path is a suffix of `path`.
    pub fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let index = self
            .faults
            .iter()
            .position(|f| path.ends_with(f.path.as_str()))?;
        let fault = self.faults.get_mut(index)?;
        fault.count = fault.count.saturating_sub(1);
        let taken = fault.clone();
        if fault.count == 0 {
            self.faults.remove(index);
        }
        Some(taken)
    }

    pub fn record(&mut self, record: RequestRecord) {
        if self.requests.len() >= MAX_RECORDS {
            self.requests.pop_front();
        }
        self.requests.push_back(record);
    }

    /// The simulator's time: the real clock plus however far the control API moved it.
    pub fn now(&self) -> Instant {
        Instant::now() + self.clock_ahead
    }

    /// The code a person may still act on: known, not expired, not finished.
    pub fn open_code(&mut self, user_code: &str) -> Result<&mut DeviceCode, CodeProblem> {
        let now = self.now();
        let code = self
            .code_by_user_code(user_code)
            .ok_or(CodeProblem::Unknown)?;
        if code.expired(now) {
            return Err(CodeProblem::Expired);
        }
        match code.state {
            CodeState::Pending | CodeState::ApprovalRequested => Ok(code),
            CodeState::Declined | CodeState::Approved { .. } | CodeState::Redeemed => {
                Err(CodeProblem::Finished)
            }
        }
    }

    /// `account` (already checked to be of the tenant) signs in with `user_code` and consents,
    /// unless the tenant demands admin approval that no reviewer has given yet.
    pub fn sign_in(&mut self, user_code: &str, account: &str) -> Result<SignIn, CodeProblem> {
        let requested = self.open_code(user_code)?.scopes.clone();
        if self.approval_needed(&requested) {
            return Ok(SignIn::ApprovalRequired);
        }
        let allowed = self.tenant.granted_scopes.clone();
        let code = self.open_code(user_code)?;
        code.state = CodeState::Approved {
            account: account.to_owned(),
        };
        let granted = scopes::granted_resource_scopes(&code.scopes, allowed.as_deref());
        let consented = self
            .user_consents
            .entry(account.to_ascii_lowercase())
            .or_default();
        for scope in granted {
            if !consented.iter().any(|s| s.eq_ignore_ascii_case(&scope)) {
                consented.push(scope);
            }
        }
        // Entra settles consent on the page before it approves a device code: whoever signs
        // in there consents again, and the code's redemption never meets AADSTS65001.
        self.tenant.consent_withdrawn = false;
        Ok(SignIn::Approved)
    }

    pub fn deny(&mut self, user_code: &str) -> Result<(), CodeProblem> {
        self.open_code(user_code)?.state = CodeState::Declined;
        Ok(())
    }

    /// The user met "Approval required" and pressed "Request approval".
    pub fn request_approval(&mut self, user_code: &str) -> Result<(), CodeProblem> {
        let requested = self.open_code(user_code)?.scopes.clone();
        if !self.approval_needed(&requested) {
            return Err(CodeProblem::NoApprovalNeeded);
        }
        if !self.tenant.admin_consent_workflow {
            return Err(CodeProblem::NoWorkflow);
        }
        if self.tenant.app_disabled {
            return Err(CodeProblem::Blocked);
        }
        self.open_code(user_code)?.state = CodeState::ApprovalRequested;
        self.tenant.request_pending = true;
        Ok(())
    }

    /// The reviewer grants admin consent for `scopes` (Graph scopes; sign-in scopes dropped),
    /// in addition to what earlier consents granted, as Entra adds to the tenant's grant.
    pub fn grant_admin_consent(&mut self, scopes: &[String]) {
        let mut granted: Vec<String> = self.admin_consent.take().unwrap_or_default();
        for scope in scopes.iter().filter(|s| !scopes::is_oidc(s)) {
            if !granted.iter().any(|s| s.eq_ignore_ascii_case(scope)) {
                granted.push(scope.clone());
            }
        }
        self.admin_consent = Some(granted);
        self.tenant.request_pending = false;
    }

    /// The reviewers act on the pending admin consent request without approving it: *Deny*
    /// (the account may request again), *Block* (the app's service principal is disabled and no
    /// request can be made again), or the request expires (the account may request again).
    /// False when no request is pending.
    pub fn review(&mut self, decision: Review) -> bool {
        if !std::mem::take(&mut self.tenant.request_pending) {
            return false;
        }
        if decision == Review::Block {
            self.tenant.app_disabled = true;
        }
        true
    }

    /// What the reviewer consents to when not told: the tenant's granted scopes, else every
    /// Graph scope the registration has asked for, else `User.Read`.
    pub fn default_admin_scopes(&self) -> Vec<String> {
        if let Some(list) = &self.tenant.granted_scopes {
            return list.clone();
        }
        let mut asked: Vec<String> = Vec::new();
        for code in &self.codes {
            for scope in scopes::granted_resource_scopes(&code.scopes, None) {
                if !asked.iter().any(|s| s.eq_ignore_ascii_case(&scope)) {
                    asked.push(scope);
                }
            }
        }
        if asked.is_empty() {
            asked = scopes::DEFAULT_GRAPH_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
        }
        asked
    }

    /// The settings as `/_sim/tenant` reports them.
    pub fn is_guest(&self, account: &str) -> bool {
        self.tenant
            .guests
            .iter()
            .any(|g| g.eq_ignore_ascii_case(account))
    }

    /// The account's name as it signs in now: its new UPN after a rename.
    pub fn current_name(&self, account: &str) -> String {
        self.tenant
            .renamed
            .get(&account.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| account.to_owned())
    }

    /// The account's UPN in this tenant (`domain`): a guest's is its home address with `@`
    /// made `_`, then `#EXT#@domain`.
    pub fn tenant_upn(&self, account: &str, domain: &str) -> String {
        if self.is_guest(account) {
            return format!("{}#EXT#@{domain}", account.replace('@', "_"));
        }
        self.current_name(account)
    }

    pub fn tenant_view(&self) -> TenantSettings {
        TenantSettings {
            admin_consent_granted: self.admin_consent.is_some(),
            ..self.tenant.clone()
        }
    }

    /// Marks every refresh token of `account` revoked; returns how many there were.
    pub fn revoke(&mut self, account: &str) -> usize {
        let mut revoked = 0;
        for grant in self.refresh.values_mut() {
            if grant.account.eq_ignore_ascii_case(account) && !grant.revoked {
                grant.revoked = true;
                revoked += 1;
            }
        }
        revoked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(path: &str, count: u32) -> Fault {
        Fault {
            path: path.to_owned(),
            status: Some(503),
            body: None,
            retry_after: None,
            delay_ms: 0,
            drop: false,
            slow_down: false,
            hold: false,
            repeat: 1,
            count,
        }
    }

    #[test]
    fn faults_match_by_suffix_in_fifo_order_and_count_down() {
        let mut state = State::new(&Settings::default());
        state.faults.push_back(fault("/token", 2));
        state.faults.push_back(fault("/devicecode", 1));
        assert!(state.take_fault("/x/oauth2/v2.0/authorize").is_none());
        assert_eq!(
            state
                .take_fault("/x/oauth2/v2.0/devicecode")
                .map(|f| f.path),
            Some("/devicecode".to_owned())
        );
        assert!(state.take_fault("/x/oauth2/v2.0/token").is_some());
        assert!(state.take_fault("/x/oauth2/v2.0/token").is_some());
        assert!(state.take_fault("/x/oauth2/v2.0/token").is_none());
    }

    #[test]
    fn user_codes_match_whatever_the_case_and_separators() {
        let mut state = State::new(&Settings::default());
        state.codes.push(DeviceCode {
            device_code: "d".into(),
            user_code: "ABCDEFGHI".into(),
            client_id: "c".into(),
            scopes: vec![],
            issued: Instant::now(),
            expires_in: 900,
            interval: Duration::from_secs(5),
            last_poll: None,
            state: CodeState::Pending,
        });
        assert!(state.code_by_user_code("abcd-efghi").is_some());
        assert!(state.code_by_user_code(" ABCDEFGHI ").is_some());
        assert!(state.code_by_user_code("ABCDEFGHX").is_none());
        assert!(state.code_by_user_code("--").is_none());
    }
}
