//! The control API under `/_sim`: JSON in and out, for tests and demos to play the user, the
//! reviewer and the tenant admin, to inject faults and to read the request log. Exempt from
//! latency, faults and the log.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as Shared_;
use axum::http::{HeaderValue, Response, StatusCode};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::authorize::{self, Action, Outcome, Problem};
use super::state::{
    ApprovalOutcome, CodeProblem, DeviceCodePolicy, Fault, Issued, Reuse, Review, SignIn, State,
};
use super::{Shared, json_response, scopes};

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim", get(info))
        .route("/_sim/approve", post(approve))
        .route("/_sim/deny", post(deny))
        .route("/_sim/authorize", post(authorize_action))
        .route("/_sim/tenant", get(tenant).post(tenant))
        .route("/_sim/request-approval", post(request_approval))
        .route("/_sim/reviewer/approve", post(reviewer_approve))
        .route("/_sim/reviewer/deny", post(reviewer_deny))
        .route("/_sim/reviewer/block", post(reviewer_block))
        .route("/_sim/reviewer/expire", post(reviewer_expire))
        .route("/_sim/revoke", post(revoke))
        .route("/_sim/fault", post(fault))
        .route("/_sim/release", post(release))
        .route("/_sim/clock", post(clock))
        .route("/_sim/reset", post(reset))
        .route("/_sim/requests", get(requests))
        .route("/_sim/tokens", get(tokens))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    json_response(status, &json!({"error": message.into()}))
}

/// The JSON body; an empty body reads as `{}`.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, String> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON body: {e}"))
}

fn code_error(problem: CodeProblem) -> Response<Body> {
    let status = match problem {
        CodeProblem::Unknown => StatusCode::NOT_FOUND,
        CodeProblem::NoWorkflow | CodeProblem::Blocked => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    error(status, problem.describe())
}

async fn info(Shared_(shared): Shared_<Arc<Shared>>) -> Response<Body> {
    json_response(StatusCode::OK, &shared.info)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeAction {
    user_code: String,
    account: Option<String>,
}

async fn approve(Shared_(shared): Shared_<Arc<Shared>>, bytes: Bytes) -> Response<Body> {
    let action: CodeAction = match body(&bytes) {
        Ok(action) => action,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let account = action
        .account
        .unwrap_or_else(|| shared.service_account().to_owned());
    if !shared.is_member(&account) && !shared.lock().is_guest(&account) {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "AADSTS50020: User account '{account}' from identity provider does not exist in tenant '{}' and cannot access the application.",
                shared.domain()
            ),
        );
    }
    let result = shared.lock().sign_in(&action.user_code, &account);
    match result {
        Ok(SignIn::Approved) => json_response(
            StatusCode::OK,
            &json!({"state": "approved", "account": account}),
        ),
        Ok(SignIn::ApprovalRequired) => {
            json_response(StatusCode::CONFLICT, &json!({"state": "approval_required"}))
        }
        Err(problem) => code_error(problem),
    }
}

async fn deny(Shared_(shared): Shared_<Arc<Shared>>, bytes: Bytes) -> Response<Body> {
    let action: CodeAction = match body(&bytes) {
        Ok(action) => action,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let result = shared.lock().deny(&action.user_code);
    match result {
        Ok(()) => json_response(StatusCode::OK, &json!({"state": "declined"})),
        Err(problem) => code_error(problem),
    }
}

async fn request_approval(Shared_(shared): Shared_<Arc<Shared>>, bytes: Bytes) -> Response<Body> {
    let action: CodeAction = match body(&bytes) {
        Ok(action) => action,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let result = shared.lock().request_approval(&action.user_code);
    match result {
        Ok(()) => json_response(StatusCode::OK, &json!({"state": "approval_requested"})),
        Err(problem) => code_error(problem),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizeAction {
    state: String,
    action: String,
    account: Option<String>,
}

/// The person at the `authorize` page acts; the answer is where their browser is sent.
async fn authorize_action(Shared_(shared): Shared_<Arc<Shared>>, bytes: Bytes) -> Response<Body> {
    let request: AuthorizeAction = match body(&bytes) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let Some(action) = Action::parse(&request.action) else {
        return error(
            StatusCode::BAD_REQUEST,
            "action must be approve, deny or request_approval",
        );
    };
    if request.state.is_empty() {
        return error(StatusCode::BAD_REQUEST, "state must not be empty");
    }
    match authorize::act(&shared, &request.state, action, request.account.as_deref()) {
        Ok(Outcome::Redirect(location)) => {
            json_response(StatusCode::OK, &json!({"redirect": location}))
        }
        Ok(Outcome::ApprovalRequired) => {
            json_response(StatusCode::CONFLICT, &json!({"state": "approval_required"}))
        }
        Ok(Outcome::ApprovalRequested) => {
            json_response(StatusCode::OK, &json!({"state": "approval_requested"}))
        }
        Err(Problem::Unknown) => error(
            StatusCode::NOT_FOUND,
            "no authorization request with this state (was the authorize page ever opened?)",
        ),
        Err(Problem::Finished) => error(
            StatusCode::BAD_REQUEST,
            "this authorization request was already answered",
        ),
        Err(Problem::NoWorkflow) => error(
            StatusCode::CONFLICT,
            "the tenant's admin consent workflow is off: the page says \"Need admin approval\" and has no \"Request approval\" button",
        ),
        Err(Problem::NotAMember(account)) => error(
            StatusCode::BAD_REQUEST,
            format!(
                "AADSTS50020: User account '{account}' from identity provider does not exist in tenant '{}' and cannot access the application.",
                shared.domain()
            ),
        ),
    }
}

/// Distinguishes a missing field from an explicit `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantPatch {
    require_admin_approval: Option<bool>,
    approval_outcome: Option<ApprovalOutcome>,
    reuse_refresh_token: Option<Reuse>,
    interval: Option<u64>,
    expires_in: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    granted_scopes: Option<Option<Vec<String>>>,
    consent_withdrawn: Option<bool>,
    admin_consent_workflow: Option<bool>,
    public_client: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    refresh_token_length: Option<Option<usize>>,
    redirect_uris: Option<Vec<String>>,
    native_redirect_uris: Option<Vec<String>>,
    device_code_policy: Option<DeviceCodePolicy>,
    omit_refresh_scope: Option<bool>,
    guests: Option<Vec<String>>,
    renamed: Option<std::collections::BTreeMap<String, String>>,
}

async fn tenant(Shared_(shared): Shared_<Arc<Shared>>, bytes: Bytes) -> Response<Body> {
    let patch: TenantPatch = match body(&bytes) {
        Ok(patch) => patch,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let granted_scopes = match patch.granted_scopes {
        Some(Some(list)) => match scopes::parse(&list.join(" ")) {
            Ok(parsed) => Some(Some(parsed)),
            Err(message) => return error(StatusCode::BAD_REQUEST, message),
        },
        Some(None) => Some(None),
        None => None,
    };
    if patch.expires_in == Some(0) {
        return error(
            StatusCode::BAD_REQUEST,
            "expires_in must be at least 1 second",
        );
    }
    if let Some(Some(length)) = patch.refresh_token_length
        && !REFRESH_TOKEN_LENGTHS.contains(&length)
    {
        return error(
            StatusCode::BAD_REQUEST,
            "refresh_token_length must be from 16 to 16384 characters",
        );
    }
    let mut state = shared.lock();
    let t = &mut state.tenant;
    if let Some(v) = patch.require_admin_approval {
        t.require_admin_approval = v;
    }
    if let Some(v) = patch.approval_outcome {
        t.approval_outcome = v;
    }
    if let Some(v) = patch.reuse_refresh_token {
        t.reuse_refresh_token = v;
    }
    if let Some(v) = patch.interval {
        t.interval = v;
    }
    if let Some(v) = patch.expires_in {
        t.expires_in = v;
    }
    if let Some(v) = granted_scopes {
        t.granted_scopes = v;
    }
    if let Some(v) = patch.admin_consent_workflow {
        t.admin_consent_workflow = v;
    }
    if let Some(v) = patch.consent_withdrawn {
        t.consent_withdrawn = v;
    }
    if let Some(v) = patch.public_client {
        t.public_client = v;
    }
    if let Some(v) = patch.refresh_token_length {
        t.refresh_token_length = v;
    }
    if let Some(v) = patch.redirect_uris {
        t.redirect_uris = v;
    }
    if let Some(v) = patch.native_redirect_uris {
        t.native_redirect_uris = v;
    }
    if let Some(v) = patch.device_code_policy {
        t.device_code_policy = v;
    }
    if let Some(v) = patch.omit_refresh_scope {
        t.omit_refresh_scope = v;
    }
    if let Some(v) = patch.guests {
        t.guests = v;
    }
    if let Some(v) = patch.renamed {
        t.renamed = v
            .into_iter()
            .map(|(from, to)| (from.to_ascii_lowercase(), to))
            .collect();
    }
    json_response(StatusCode::OK, &state.tenant_view())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewerApprove {
    /// Space separated; default: see `State::default_admin_scopes`.
    scope: Option<String>,
}

async fn reviewer_deny(Shared_(shared): Shared_<Arc<Shared>>) -> Response<Body> {
    review(&shared, Review::Deny, "denied")
}

async fn reviewer_block(Shared_(shared): Shared_<Arc<Shared>>) -> Response<Body> {
    review(&shared, Review::Block, "blocked")
}

async fn reviewer_expire(Shared_(shared): Shared_<Arc<Shared>>) -> Response<Body> {
    review(&shared, Review::Expire, "expired")
}

fn review(shared: &Shared, decision: Review, word: &str) -> Response<Body> {
    if shared.lock().review(decision) {
        json_response(StatusCode::OK, &json!({"request": word}))
    } else {
        error(
            StatusCode::CONFLICT,
            "no admin consent request is pending (the account requests approval first)",
        )
    }
}

async fn reviewer_approve(Shared_(shared): Shared_<Arc<Shared>>, bytes: Bytes) -> Response<Body> {
    let request: ReviewerApprove = match body(&bytes) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let mut state = shared.lock();
    let scopes = match request.scope {
        Some(raw) => match scopes::parse(&raw) {
            Ok(parsed) => {
                scopes::granted_resource_scopes(&parsed, state.tenant.granted_scopes.as_deref())
            }
            Err(message) => return error(StatusCode::BAD_REQUEST, message),
        },
        None => state.default_admin_scopes(),
    };
    state.grant_admin_consent(&scopes);
    let granted = state.admin_consent.clone().unwrap_or_default();
    json_response(
        StatusCode::OK,
        &json!({"admin_consent": true, "scopes": granted}),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Revoke {
    account: Option<String>,
}

async fn revoke(Shared_(shared): Shared_<Arc<Shared>>, bytes: Bytes) -> Response<Body> {
    let request: Revoke = match body(&bytes) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let account = request
        .account
        .unwrap_or_else(|| shared.service_account().to_owned());
    let revoked = shared.lock().revoke(&account);
    json_response(
        StatusCode::OK,
        &json!({"account": account, "revoked": revoked}),
    )
}

async fn fault(Shared_(shared): Shared_<Arc<Shared>>, bytes: Bytes) -> Response<Body> {
    let fault: Fault = match body(&bytes) {
        Ok(fault) => fault,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    if fault.count == 0 {
        return error(StatusCode::BAD_REQUEST, "count must be at least 1");
    }
    let size = fault.body.as_ref().map_or(0, String::len) as u64 * u64::from(fault.repeat);
    if fault.repeat == 0 || size > MAX_FAULT_BODY {
        return error(
            StatusCode::BAD_REQUEST,
            "repeat must be at least 1, and the body times repeat at most 64 MiB",
        );
    }
    if let Some(status) = fault.status
        && !(200..=599).contains(&status)
    {
        return error(
            StatusCode::BAD_REQUEST,
            "status must be between 200 and 599",
        );
    }
    if let Some(retry_after) = &fault.retry_after
        && HeaderValue::from_str(retry_after).is_err()
    {
        return error(
            StatusCode::BAD_REQUEST,
            "retry_after is not a valid header value",
        );
    }
    let mut state = shared.lock();
    state.faults.push_back(fault);
    json_response(StatusCode::OK, &json!({"queued": state.faults.len()}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Release {
    count: Option<u32>,
}

/// Lets `count` answers held by a `hold` fault go: those waiting now, then later ones.
async fn release(Shared_(shared): Shared_<Arc<Shared>>, bytes: Bytes) -> Response<Body> {
    let request: Release = match body(&bytes) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let count = request.count.unwrap_or(1);
    if count == 0 || count > 1000 {
        return error(StatusCode::BAD_REQUEST, "count must be from 1 to 1000");
    }
    shared.released.add_permits(count as usize);
    json_response(StatusCode::OK, &json!({"released": count}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    advance_secs: u64,
}

/// Moves the simulator's clock ahead, for intervals and expiries: a test passes time this way
/// instead of sleeping, so no machine is too slow for the wait it meant.
async fn clock(Shared_(shared): Shared_<Arc<Shared>>, bytes: Bytes) -> Response<Body> {
    let request: Advance = match body(&bytes) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    if request.advance_secs == 0 || request.advance_secs > 365 * 86_400 {
        return error(
            StatusCode::BAD_REQUEST,
            "advance_secs must be from 1 to 31536000 (a year)",
        );
    }
    let mut state = shared.lock();
    state.clock_ahead += Duration::from_secs(request.advance_secs);
    json_response(
        StatusCode::OK,
        &json!({"clock_ahead_secs": state.clock_ahead.as_secs()}),
    )
}

/// Forgets codes, tokens, consent, faults, settings, the request log and the moved clock: back
/// to how the simulator started.
async fn reset(Shared_(shared): Shared_<Arc<Shared>>) -> Response<Body> {
    *shared.lock() = State::new(&shared.settings);
    shared
        .released
        .forget_permits(shared.released.available_permits());
    json_response(StatusCode::OK, &json!({"reset": true}))
}

/// Refresh tokens long enough to look real, short enough to keep the state small.
const REFRESH_TOKEN_LENGTHS: std::ops::RangeInclusive<usize> = 16..=16384;

/// A fault's body, repeated, stays below this.
const MAX_FAULT_BODY: u64 = 64 * 1024 * 1024;

/// Every secret the tenant handed out (most recent 10,000), so that tests can prove none of
/// them leaks into output, logs or files.
async fn tokens(Shared_(shared): Shared_<Arc<Shared>>) -> Response<Body> {
    let state = shared.lock();
    let of = |kind: Issued| -> Vec<&str> {
        state
            .issued
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, secret)| secret.as_str())
            .collect()
    };
    json_response(
        StatusCode::OK,
        &json!({
            "access_tokens": of(Issued::AccessToken),
            "refresh_tokens": of(Issued::RefreshToken),
            "id_tokens": of(Issued::IdToken),
            "device_codes": of(Issued::DeviceCode),
            "authorization_codes": of(Issued::AuthorizationCode),
        }),
    )
}

async fn requests(Shared_(shared): Shared_<Arc<Shared>>) -> Response<Body> {
    let log: Vec<Value> = shared
        .lock()
        .requests
        .iter()
        .map(|r| json!({"method": r.method, "path": r.path, "at_ms": r.at_ms, "fault": r.fault}))
        .collect();
    json_response(StatusCode::OK, &log)
}
