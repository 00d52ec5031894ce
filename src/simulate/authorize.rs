//! Entra v2.0's `authorize` endpoint for the authorization code flow with PKCE
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow>): the
//! request's checks, the sign-in page (sign in, decline, request approval, as on the device
//! page), the redirect with a code or an error, and redeeming the code at the token endpoint.
//! The control API's `/_sim/authorize` acts on the same page through [`act`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as Shared_};
use axum::http::{HeaderValue, Method, Response, StatusCode, header};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::failure::{Failure, failure, unknown_tenant};
use super::ids::{self, html_escape as esc};
use super::state::{ApprovalOutcome, AuthCode, AuthRequest, AuthState, Issued, State};
use super::{CLIENT_ID, Shared, TenantRef, params, resolve_tenant, scopes};

/// Entra's authorization codes are short-lived; ten minutes here.
const CODE_LIFETIME: Duration = Duration::from_secs(600);

pub fn routes() -> Router<Arc<Shared>> {
    Router::new().route(
        "/{tenant}/oauth2/v2.0/authorize",
        get(authorize).post(authorize),
    )
}

/// What the person at the sign-in page does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Approve,
    Deny,
    RequestApproval,
}

impl Action {
    pub fn parse(text: &str) -> Option<Action> {
        match text {
            "approve" => Some(Action::Approve),
            "deny" => Some(Action::Deny),
            "request_approval" => Some(Action::RequestApproval),
            _ => None,
        }
    }
}

/// Where the page leaves the person.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The browser is sent here (a code, or an `error=`).
    Redirect(String),
    /// "Approval required": the tenant demands a reviewer's consent first.
    ApprovalRequired,
    /// "Request sent", and the browser stays there (tenant `approval_outcome: pending`).
    ApprovalRequested,
}

/// Why the page cannot be acted on.
#[derive(Debug, PartialEq, Eq)]
pub enum Problem {
    Unknown,
    Finished,
    NotAMember(String),
    /// "Request approval" while the admin consent workflow is off: the page has no such button.
    NoWorkflow,
}

/// Whether `uri` matches a redirect URI registered on the app. For `http://localhost` (and
/// `http://127.0.0.1`) the port is ignored, as Entra does for its loopback exception
/// (<https://learn.microsoft.com/en-us/entra/identity-platform/reply-url>).
pub fn registered(state: &State, uri: &str) -> bool {
    let Ok(wanted) = url::Url::parse(uri) else {
        return false;
    };
    let same = |r: &String| {
        if r == uri {
            return true;
        }
        let Ok(reg) = url::Url::parse(r) else {
            return false;
        };
        let loopback = matches!(reg.host_str(), Some("localhost" | "127.0.0.1"));
        loopback
            && reg.scheme() == "http"
            && wanted.scheme() == "http"
            && reg.host_str() == wanted.host_str()
            && reg.path() == wanted.path()
            && wanted.query().is_none()
    };
    state
        .tenant
        .native_redirect_uris
        .iter()
        .chain(&state.tenant.redirect_uris)
        .any(same)
}

fn page(status: StatusCode, title: &str, body: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n<p><small>Simulated Microsoft Entra tenant — not a real sign-in</small></p>\n<h1>{title}</h1>\n{body}\n</body></html>\n",
        title = esc(title),
    );
    let mut response = Response::new(Body::from(html));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn error_page(message: &str) -> Response<Body> {
    page(
        StatusCode::BAD_REQUEST,
        "Sign in failed",
        &format!("<p class=\"error\">{}</p>", esc(message)),
    )
}

fn redirect(location: &str) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `redirect_uri` with the answer's parameters; Entra returns a redirect URI without a path
/// with a trailing slash.
fn redirect_to(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return redirect_uri.to_owned();
    };
    {
        let mut query = url.query_pairs_mut();
        for (key, value) in pairs {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
    }
    url.to_string()
}

fn error_redirect(request: &AuthRequest, error: &str, code: u32, message: &str) -> String {
    redirect_to(
        &request.redirect_uri,
        &[
            ("error", error),
            ("error_description", &format!("AADSTS{code}: {message}")),
            ("state", &request.state),
        ],
    )
}

/// GET: checks the request and shows the sign-in page; POST: the page's form.
async fn authorize(
    Shared_(shared): Shared_<Arc<Shared>>,
    Path(tenant): Path<String>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response<Body> {
    match resolve_tenant(&shared, &tenant) {
        None => return unknown_tenant(&shared, &tenant),
        Some(TenantRef::Common) | Some(TenantRef::Organizations) | Some(TenantRef::Ours) => {}
    }
    if method == Method::POST {
        let form = params(&body);
        let field = |name: &str| form.get(name).map_or("", |v| v.trim());
        let Some(action) = Action::parse(field("action")) else {
            return error_page("Unknown action: expected approve, deny or request_approval.");
        };
        let account = Some(field("account")).filter(|a| !a.is_empty());
        return match act(&shared, field("request"), action, account) {
            Ok(Outcome::Redirect(location)) => redirect(&location),
            Ok(Outcome::ApprovalRequired) => {
                let workflow = shared.lock().tenant.admin_consent_workflow;
                approval_required_page(field("request"), account, workflow)
            }
            Ok(Outcome::ApprovalRequested) => page(
                StatusCode::OK,
                "Request sent",
                "<p>Your request has been sent to your admin. You will be notified when it is reviewed; then sign in again.</p>",
            ),
            Err(problem) => problem_page(&shared, problem),
        };
    }
    let raw = query.unwrap_or_default();
    match open(&shared, &raw) {
        Ok(opened) => sign_in_page(&shared, &opened.id, &opened.scopes, &opened.login_hint),
        Err(refused) => refused,
    }
}

/// A request the `authorize` page accepted: its handle, what it asks for, who is hinted.
pub struct Opened {
    pub id: String,
    pub scopes: Vec<String>,
    pub login_hint: String,
}

/// The person's browser opens the authorize URL whose query is `raw`: the request's checks,
/// then the request is remembered for the page to act on. `Err` is the page or redirect that
/// refuses it.
pub fn open(shared: &Shared, raw: &str) -> Result<Opened, Response<Body>> {
    let input = params(raw.as_bytes());
    let field = |name: &str| input.get(name).map_or("", |v| v.as_str());
    let client_id = field("client_id");
    if !client_id.eq_ignore_ascii_case(CLIENT_ID) {
        return Err(error_page(&format!(
            "AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{}'.",
            shared.domain()
        )));
    }
    let redirect_uri = field("redirect_uri");
    let mut state = shared.lock();
    // An unregistered redirect URI is never redirected to: Entra shows its error page.
    if redirect_uri.is_empty() || !registered(&state, redirect_uri) {
        return Err(error_page(&format!(
            "AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{CLIENT_ID}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal."
        )));
    }
    let mut request = AuthRequest {
        id: ids::opaque("", 24),
        state: field("state").to_owned(),
        client_id: CLIENT_ID.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scopes: Vec::new(),
        challenge: None,
        nonce: Some(field("nonce").to_owned()).filter(|n| !n.is_empty()),
        issued: state.now(),
        status: AuthState::Pending,
    };
    if field("response_type") != "code" {
        return Err(redirect(&error_redirect(
            &request,
            "unsupported_response_type",
            70005,
            "The application requested an unsupported response type.",
        )));
    }
    match scopes::parse(field("scope")) {
        Ok(parsed) if scopes::resources(&parsed).len() <= 1 => request.scopes = parsed,
        Ok(_) => {
            return Err(redirect(&error_redirect(
                &request,
                "invalid_scope",
                700022,
                "The provided value for the input parameter scope is not valid because it contains more than one resource.",
            )));
        }
        Err(message) => {
            return Err(redirect(&error_redirect(
                &request,
                "invalid_scope",
                70011,
                &message,
            )));
        }
    }
    let challenge = field("code_challenge");
    if !challenge.is_empty() {
        let method = match field("code_challenge_method") {
            "" | "plain" => "plain",
            "S256" => "S256",
            _ => {
                return Err(redirect(&error_redirect(
                    &request,
                    "invalid_request",
                    501491,
                    "Invalid size of Code_Challenge parameter.",
                )));
            }
        };
        let size_ok = match method {
            "S256" => challenge.len() == 43,
            _ => (43..=128).contains(&challenge.len()),
        };
        if !size_ok {
            return Err(redirect(&error_redirect(
                &request,
                "invalid_request",
                501491,
                "Invalid size of Code_Challenge parameter.",
            )));
        }
        request.challenge = Some((challenge.to_owned(), method.to_owned()));
    }
    let id = request.id.clone();
    let requested = request.scopes.clone();
    // Forget requests nobody finished within the hour.
    let now = state.now();
    state
        .authorizations
        .retain(|r| now.duration_since(r.issued) < Duration::from_secs(3600));
    state.authorizations.push(request);
    Ok(Opened {
        id,
        scopes: requested,
        login_hint: field("login_hint").to_owned(),
    })
}

fn sign_in_page(shared: &Shared, id: &str, requested: &[String], hint: &str) -> Response<Body> {
    let account = if hint.is_empty() {
        shared.service_account()
    } else {
        hint
    };
    let list: String = requested
        .iter()
        .map(|s| format!("<li>{}</li>", esc(s)))
        .collect();
    page(
        StatusCode::OK,
        "Sign in",
        &format!(
            "<p>Sign in to <b>Onboard (simulated registration)</b> with an account of <b>{domain}</b>. It asks for:</p><ul>{list}</ul>\
             <form method=\"post\"><input type=\"hidden\" name=\"request\" value=\"{id}\">\
             <p><label for=\"account\">Email, phone, or Skype</label></p>\
             <p><input id=\"account\" name=\"account\" value=\"{account}\"></p>\
             <button type=\"submit\" name=\"action\" value=\"approve\">Sign in and accept</button>\
             <button type=\"submit\" name=\"action\" value=\"deny\">Decline</button>\
             <button type=\"submit\" name=\"action\" value=\"request_approval\">Request approval</button></form>",
            domain = esc(shared.domain()),
            id = esc(id),
            account = esc(account),
        ),
    )
}

fn approval_required_page(id: &str, account: Option<&str>, workflow: bool) -> Response<Body> {
    // The admin consent workflow off (a new tenant's default): no button, nobody is told.
    if !workflow {
        return page(
            StatusCode::OK,
            "Need admin approval",
            "<p><b>Onboard (simulated registration)</b> needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>",
        );
    }
    page(
        StatusCode::OK,
        "Approval required",
        &format!(
            "<p><b>Onboard (simulated registration)</b> needs permission to access resources in your organization that only an admin can grant. Request approval from an admin before you can use it.</p>\
             <form method=\"post\"><input type=\"hidden\" name=\"request\" value=\"{}\"><input type=\"hidden\" name=\"account\" value=\"{}\">\
             <p><label for=\"justification\">Enter justification for requesting this app</label></p>\
             <p><textarea id=\"justification\" name=\"justification\" rows=\"4\"></textarea></p>\
             <button type=\"submit\" name=\"action\" value=\"request_approval\">Request approval</button></form>",
            esc(id),
            esc(account.unwrap_or_default()),
        ),
    )
}

fn problem_page(shared: &Shared, problem: Problem) -> Response<Body> {
    match problem {
        Problem::Unknown => error_page(
            "This sign-in request is unknown or too old: start the sign-in again from the app.",
        ),
        Problem::Finished => error_page(
            "This sign-in request was already answered: start the sign-in again from the app.",
        ),
        Problem::NoWorkflow => error_page(
            "Need admin approval: ask an admin to grant permission to this app before you can use it.",
        ),
        Problem::NotAMember(account) => error_page(&format!(
            "AADSTS50020: User account '{account}' from identity provider does not exist in tenant '{}' and cannot access the application '{CLIENT_ID}' in that tenant.",
            shared.domain()
        )),
    }
}

/// The person at the page acts on the request `key` (its id, or the `state` the app sent).
pub fn act(
    shared: &Shared,
    key: &str,
    action: Action,
    account: Option<&str>,
) -> Result<Outcome, Problem> {
    let account = account.unwrap_or(shared.service_account()).to_owned();
    let mut state = shared.lock();
    if !shared.is_member(&account) && !state.is_guest(&account) {
        return Err(Problem::NotAMember(account));
    }
    let outcome_setting = state.tenant.approval_outcome;
    let allowed = state.tenant.granted_scopes.clone();
    let Some(index) = state
        .authorizations
        .iter()
        .position(|r| !key.is_empty() && (r.id == key || r.state == key))
    else {
        return Err(Problem::Unknown);
    };
    let request = state.authorizations[index].clone();
    if request.status == AuthState::Finished {
        return Err(Problem::Finished);
    }
    let approval_needed = state.approval_needed(&request.scopes);
    let finish = |state: &mut State| state.authorizations[index].status = AuthState::Finished;
    match action {
        Action::Deny => {
            finish(&mut state);
            Ok(Outcome::Redirect(error_redirect(
                &request,
                "access_denied",
                65004,
                "User declined to consent to access the app.",
            )))
        }
        Action::RequestApproval => {
            // As on the device page: a tenant that did not demand approval does from now on,
            // so that a demo can show the detour.
            if state.admin_consented(&request.scopes) {
                return Err(Problem::Finished);
            }
            if !state.tenant.admin_consent_workflow {
                return Err(Problem::NoWorkflow);
            }
            state.tenant.require_admin_approval = true;
            match outcome_setting {
                ApprovalOutcome::Pending => {
                    state.authorizations[index].status = AuthState::ApprovalRequested;
                    Ok(Outcome::ApprovalRequested)
                }
                ApprovalOutcome::Declined => {
                    finish(&mut state);
                    Ok(Outcome::Redirect(error_redirect(
                        &request,
                        "access_denied",
                        65004,
                        "User declined to consent to access the app.",
                    )))
                }
            }
        }
        Action::Approve if approval_needed => Ok(Outcome::ApprovalRequired),
        Action::Approve => {
            finish(&mut state);
            let granted = scopes::granted_resource_scopes(&request.scopes, allowed.as_deref());
            let consented = state
                .user_consents
                .entry(account.to_ascii_lowercase())
                .or_default();
            for scope in granted {
                if !consented.iter().any(|s| s.eq_ignore_ascii_case(&scope)) {
                    consented.push(scope);
                }
            }
            let code = ids::opaque("1.AR", 600);
            state.remember(Issued::AuthorizationCode, &code);
            let now = state.now();
            state
                .auth_codes
                .retain(|_, c| now.duration_since(c.issued) < CODE_LIFETIME * 6);
            state.auth_codes.insert(
                code.clone(),
                AuthCode {
                    account,
                    client_id: request.client_id.clone(),
                    redirect_uri: request.redirect_uri.clone(),
                    scopes: request.scopes.clone(),
                    challenge: request.challenge.clone(),
                    nonce: request.nonce.clone(),
                    issued: now,
                    redeemed: false,
                },
            );
            Ok(Outcome::Redirect(redirect_to(
                &request.redirect_uri,
                &[
                    ("code", &code),
                    ("state", &request.state),
                    ("session_state", &ids::guid()),
                ],
            )))
        }
    }
}

/// RFC 7636 §4.6: the verifier, transformed by the method, must equal the challenge.
fn verifier_matches(verifier: &str, challenge: &str, method: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed {
        return false;
    }
    match method {
        "S256" => {
            URL_SAFE_NO_PAD.encode(ring::digest::digest(
                &ring::digest::SHA256,
                verifier.as_bytes(),
            )) == challenge
        }
        _ => verifier == challenge,
    }
}

/// The account and scopes of a code redeemed at the token endpoint (`grant_type=authorization_code`),
/// with the nonce for its ID token.
pub struct Redeemed {
    pub account: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
}

pub fn redeem(
    state: &mut State,
    client_id: &str,
    form: &HashMap<String, String>,
) -> Result<Redeemed, Failure> {
    let missing = |name: &str| {
        failure(
            "invalid_request",
            &[900144],
            format!("The request body must contain the following parameter: '{name}'."),
        )
    };
    let Some(code) = form.get("code").filter(|c| !c.is_empty()) else {
        return Err(missing("code"));
    };
    let Some(redirect_uri) = form.get("redirect_uri").filter(|c| !c.is_empty()) else {
        return Err(missing("redirect_uri"));
    };
    if !registered(state, redirect_uri) {
        return Err(failure(
            "invalid_request",
            &[50011],
            format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'."
            ),
        ));
    }
    let now = state.now();
    let Some(grant) = state.auth_codes.get_mut(code.as_str()) else {
        return Err(Failure::unknown_grant());
    };
    if grant.client_id != client_id {
        return Err(failure(
            "invalid_grant",
            &[70000],
            "The provided value for the 'code' parameter is not valid: it was issued to another client.",
        ));
    }
    if grant.redeemed {
        return Err(failure(
            "invalid_grant",
            &[54005],
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        ));
    }
    if now.duration_since(grant.issued) >= CODE_LIFETIME {
        return Err(failure(
            "invalid_grant",
            &[70008],
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
        ));
    }
    // RFC 6749 §4.1.3 wants the same redirect URI; Microsoft documents no code for it.
    if grant.redirect_uri != *redirect_uri {
        return Err(failure(
            "invalid_grant",
            &[],
            "The redirect_uri does not match the redirect URI of the authorization request.",
        ));
    }
    if let Some((challenge, method)) = &grant.challenge {
        let verifier = form.get("code_verifier").map_or("", String::as_str);
        if !verifier_matches(verifier, challenge, method) {
            return Err(failure(
                "invalid_grant",
                &[501481],
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            ));
        }
    }
    grant.redeemed = true;
    Ok(Redeemed {
        account: grant.account.clone(),
        scopes: grant.scopes.clone(),
        nonce: grant.nonce.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::Settings;

    #[test]
    fn localhost_matches_on_any_port_and_nothing_else_does() {
        let state = State::new(&Settings::default());
        assert!(registered(&state, "http://localhost:50123"));
        assert!(registered(&state, "http://localhost:1/"));
        assert!(registered(&state, "http://localhost"));
        assert!(!registered(&state, "https://localhost:50123"));
        assert!(!registered(&state, "http://127.0.0.1:50123"));
        assert!(!registered(&state, "http://localhost:50123/callback"));
        assert!(!registered(&state, "http://localhost.evil.example:50123"));
        assert!(!registered(&state, "http://evil.example/"));
    }

    #[test]
    fn the_verifier_must_be_the_challenges() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verifier_matches(verifier, challenge, "S256"));
        assert!(!verifier_matches(challenge, challenge, "S256"));
        assert!(verifier_matches(verifier, verifier, "plain"));
        assert!(!verifier_matches("short", "short", "plain"));
    }
}
