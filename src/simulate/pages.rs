//! The HTML a person sees: the device sign-in pages (code, account, consent or "Approval
//! required") and the reviewer's admin consent page. Small, plain forms, so that a browser and a
//! test posting forms drive them the same way. Everything echoed is HTML-escaped.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as Shared_};
use axum::http::{HeaderValue, Response, StatusCode, Uri, header};
use axum::routing::get;

use super::failure::unknown_tenant;
use super::ids::html_escape as esc;
use super::state::{CodeProblem, SignIn, State};
use super::{CLIENT_ID, Shared, TENANT_ID, TenantRef, params, resolve_tenant, scopes};

const APP_NAME: &str = "Onboard (simulated registration)";

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/devicelogin", get(enter_code).post(code_entered))
        .route("/devicelogin/account", axum::routing::post(account_entered))
        .route(
            "/devicelogin/request-approval",
            axum::routing::post(approval_requested),
        )
        .route("/devicelogin/consent", axum::routing::post(consent_decided))
        .route(
            "/{tenant}/v2.0/adminconsent",
            get(admin_consent).post(admin_consent),
        )
        .route(
            "/{tenant}/adminconsent",
            get(admin_consent).post(admin_consent),
        )
}

fn page(status: StatusCode, title: &str, body: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <style>body{{font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em;line-height:1.4}}\
         input,textarea{{width:100%;padding:.4em;box-sizing:border-box}}button{{padding:.4em 1.2em;margin:.6em .4em 0 0}}\
         .error{{color:#a4262c}}small{{color:#666}}</style></head>\n<body>\n<p><small>Simulated Microsoft Entra tenant — not a real sign-in</small></p>\n<h1>{title}</h1>\n{body}\n</body></html>\n",
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

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        esc(name),
        esc(value)
    )
}

fn scope_list(scopes: &[String]) -> String {
    let items: String = scopes
        .iter()
        .map(|s| format!("<li>{}</li>", esc(s)))
        .collect();
    format!("<ul>{items}</ul>")
}

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map_or("", |v| v.trim())
}

fn code_problem_page(problem: CodeProblem) -> Response<Body> {
    let (title, text) = match problem {
        CodeProblem::Unknown => (
            "Enter code",
            "That code didn't work. Check the code and try again.",
        ),
        CodeProblem::Expired => (
            "Code expired",
            "That code has expired (AADSTS70019). Go back to your device for a new code.",
        ),
        CodeProblem::Finished
        | CodeProblem::NoApprovalNeeded
        | CodeProblem::NoWorkflow
        | CodeProblem::Blocked => (
            "Code already used",
            "That code has already been used. Go back to your device for a new code.",
        ),
    };
    let retry = if problem == CodeProblem::Unknown {
        enter_code_form()
    } else {
        String::new()
    };
    page(
        StatusCode::BAD_REQUEST,
        title,
        &format!("<p class=\"error\">{}</p>{retry}", esc(text)),
    )
}

fn enter_code_form() -> String {
    "<form method=\"post\" action=\"/devicelogin\">\
     <p><label for=\"user_code\">Enter the code displayed on your app or device.</label></p>\
     <p><input id=\"user_code\" name=\"user_code\" autocomplete=\"off\" autofocus placeholder=\"Code\"></p>\
     <button type=\"submit\">Next</button></form>"
        .to_owned()
}

async fn enter_code() -> Response<Body> {
    page(StatusCode::OK, "Enter code", &enter_code_form())
}

async fn code_entered(Shared_(shared): Shared_<Arc<Shared>>, body: Bytes) -> Response<Body> {
    let form = params(&body);
    let user_code = field(&form, "user_code");
    if let Err(problem) = shared.lock().open_code(user_code).map(|_| ()) {
        return code_problem_page(problem);
    }
    page(
        StatusCode::OK,
        "Sign in",
        &format!(
            "<p>You are signing in to <b>{app}</b> on another device, with an account of <b>{domain}</b>.</p>\
             <form method=\"post\" action=\"/devicelogin/account\">{code}\
             <p><label for=\"account\">Email, phone, or Skype</label></p>\
             <p><input id=\"account\" name=\"account\" value=\"{account}\"></p>\
             <button type=\"submit\">Next</button></form>",
            app = esc(APP_NAME),
            domain = esc(shared.domain()),
            code = hidden("user_code", user_code),
            account = esc(shared.service_account()),
        ),
    )
}

/// Checks the account, then shows "Approval required", the consent prompt, or (after the
/// reviewer's admin consent, which makes the prompt unnecessary) signs in at once.
async fn account_entered(Shared_(shared): Shared_<Arc<Shared>>, body: Bytes) -> Response<Body> {
    let form = params(&body);
    let user_code = field(&form, "user_code");
    let account = field(&form, "account");
    if !shared.is_member(account) {
        return not_a_member(&shared, account);
    }
    let mut state = shared.lock();
    let requested = match state.open_code(user_code) {
        Ok(code) => code.scopes.clone(),
        Err(problem) => return code_problem_page(problem),
    };
    let approval_needed = state.approval_needed(&requested);
    let admin_consented = state.admin_consented(&requested);
    if approval_needed {
        return approval_required_page(&state, user_code, account, &requested);
    }
    if admin_consented {
        return match state.sign_in(user_code, account) {
            Ok(SignIn::Approved) => signed_in_page(),
            Ok(SignIn::ApprovalRequired) => {
                approval_required_page(&state, user_code, account, &requested)
            }
            Err(problem) => code_problem_page(problem),
        };
    }
    drop(state);
    page(
        StatusCode::OK,
        "Permissions requested",
        &format!(
            "<p><b>{app}</b> wants to sign in <b>{account}</b> and:</p>{list}\
             <p>Accepting lets this app use your data as described.</p>\
             <form method=\"post\" action=\"/devicelogin/consent\">{code}{acct}\
             <button type=\"submit\" name=\"decision\" value=\"accept\">Accept</button>\
             <button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button></form>",
            app = esc(APP_NAME),
            account = esc(account),
            list = scope_list(&requested),
            code = hidden("user_code", user_code),
            acct = hidden("account", account),
        ),
    )
}

fn not_a_member(shared: &Shared, account: &str) -> Response<Body> {
    page(
        StatusCode::BAD_REQUEST,
        "Sign in failed",
        &format!(
            "<p class=\"error\">AADSTS50020: User account '{}' from identity provider does not exist in tenant '{}' and cannot access the application '{}' in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.</p>",
            esc(account),
            esc(shared.domain()),
            esc(CLIENT_ID),
        ),
    )
}

fn approval_required_page(
    state: &State,
    user_code: &str,
    account: &str,
    requested: &[String],
) -> Response<Body> {
    // The admin consent workflow off (a new tenant's default): Microsoft's page has no button
    // and nobody is told.
    if !state.tenant.admin_consent_workflow {
        return page(
            StatusCode::OK,
            "Need admin approval",
            &format!(
                "<p><b>{app}</b> needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>{list}",
                app = esc(APP_NAME),
                list = scope_list(requested),
            ),
        );
    }
    page(
        StatusCode::OK,
        "Approval required",
        &format!(
            "<p><b>{app}</b> needs permission to access resources in your organization that only an admin can grant. Request approval from an admin before you can use it.</p>\
             {list}\
             <form method=\"post\" action=\"/devicelogin/request-approval\">{code}{acct}\
             <p><label for=\"justification\">Enter justification for requesting this app</label></p>\
             <p><textarea id=\"justification\" name=\"justification\" rows=\"4\"></textarea></p>\
             <button type=\"submit\">Request approval</button></form>",
            app = esc(APP_NAME),
            list = scope_list(requested),
            code = hidden("user_code", user_code),
            acct = hidden("account", account),
        ),
    )
}

fn signed_in_page() -> Response<Body> {
    page(
        StatusCode::OK,
        APP_NAME,
        &format!(
            "<p>You have signed in to the <b>{}</b> application on your device. You may now close this window.</p>",
            esc(APP_NAME)
        ),
    )
}

async fn approval_requested(Shared_(shared): Shared_<Arc<Shared>>, body: Bytes) -> Response<Body> {
    let form = params(&body);
    let user_code = field(&form, "user_code");
    let justification = field(&form, "justification");
    if let Err(problem) = shared.lock().request_approval(user_code) {
        return code_problem_page(problem);
    }
    let echoed = if justification.is_empty() {
        String::new()
    } else {
        format!("<p>Your justification: <q>{}</q></p>", esc(justification))
    };
    page(
        StatusCode::OK,
        "Request sent",
        &format!(
            "<p>Your request for <b>{}</b> has been sent to your admin. You will be notified when it is reviewed; then sign in again on your device.</p>{echoed}",
            esc(APP_NAME)
        ),
    )
}

async fn consent_decided(Shared_(shared): Shared_<Arc<Shared>>, body: Bytes) -> Response<Body> {
    let form = params(&body);
    let user_code = field(&form, "user_code");
    let account = field(&form, "account");
    if !shared.is_member(account) {
        return not_a_member(&shared, account);
    }
    let mut state = shared.lock();
    match field(&form, "decision") {
        "accept" => {
            let requested = state
                .open_code(user_code)
                .map(|c| c.scopes.clone())
                .unwrap_or_default();
            match state.sign_in(user_code, account) {
                Ok(SignIn::Approved) => signed_in_page(),
                Ok(SignIn::ApprovalRequired) => {
                    approval_required_page(&state, user_code, account, &requested)
                }
                Err(problem) => code_problem_page(problem),
            }
        }
        "cancel" => match state.deny(user_code) {
            Ok(()) => page(
                StatusCode::OK,
                "Sign-in cancelled",
                "<p>You declined the permissions (AADSTS65004). The app on your device will not be signed in. You may now close this window.</p>",
            ),
            Err(problem) => code_problem_page(problem),
        },
        other => page(
            StatusCode::BAD_REQUEST,
            "Something went wrong",
            &format!(
                "<p class=\"error\">Unknown decision '{}': expected accept or cancel.</p>",
                esc(other)
            ),
        ),
    }
}

/// GET shows the reviewer "Permissions requested … Accept"; POST (the form, or a test)
/// records the decision and redirects to `redirect_uri` when one was given.
async fn admin_consent(
    Shared_(shared): Shared_<Arc<Shared>>,
    Path(tenant): Path<String>,
    method: axum::http::Method,
    uri: Uri,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response<Body> {
    match resolve_tenant(&shared, &tenant) {
        None => return unknown_tenant(&shared, &tenant),
        Some(TenantRef::Common | TenantRef::Organizations) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Sign in failed",
                "<p class=\"error\">Admin consent is given for one tenant: use the tenant's GUID or domain in the link, not common or organizations.</p>",
            );
        }
        Some(TenantRef::Ours) => {}
    }
    let mut input = params(query.unwrap_or_default().as_bytes());
    if method == axum::http::Method::POST {
        input.extend(params(&body));
    }
    let client_id = field(&input, "client_id");
    if !client_id.eq_ignore_ascii_case(CLIENT_ID) {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign in failed",
            &format!(
                "<p class=\"error\">AADSTS700016: Application with identifier '{}' was not found in the directory '{}'.</p>",
                esc(client_id),
                esc(shared.domain())
            ),
        );
    }
    let redirect_uri = field(&input, "redirect_uri");
    let v2 = uri.path().contains("/v2.0/");
    let mut state = shared.lock();
    let registered = &state.tenant.redirect_uris;
    let refusal = if redirect_uri.is_empty() {
        // The v2 endpoint documents redirect_uri as required; v1 shows its own page.
        match (v2, registered.is_empty()) {
            (false, _) => None,
            (true, true) => Some(
                "AADSTS500113: No reply address is registered for the application.".to_owned(),
            ),
            (true, false) => Some(
                "AADSTS900144: The request body must contain the following parameter: 'redirect_uri'."
                    .to_owned(),
            ),
        }
    } else if !registered.iter().any(|r| r == redirect_uri) {
        Some(format!(
            "AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application."
        ))
    } else {
        None
    };
    if let Some(message) = refusal {
        drop(state);
        return page(
            StatusCode::BAD_REQUEST,
            "Sign in failed",
            &format!("<p class=\"error\">{}</p>", esc(&message)),
        );
    }
    let redirect = url::Url::parse(redirect_uri)
        .ok()
        .filter(|url| url.scheme() == "http" || url.scheme() == "https");
    // The link names Graph's scopes by their resource: Graph's own URI, or the simulated
    // tenant's Graph host (its own origin), which stands in for it.
    let raw_scope = scopes::without_resource(field(&input, "scope"), &shared.base);
    let requested = if raw_scope.is_empty() {
        state.default_admin_scopes()
    } else {
        match scopes::parse(&raw_scope) {
            Ok(parsed) => {
                let expanded = scopes::granted_resource_scopes(
                    &parsed,
                    state.tenant.granted_scopes.as_deref(),
                );
                if expanded.is_empty() {
                    state.default_admin_scopes()
                } else {
                    expanded
                }
            }
            Err(message) => {
                return page(
                    StatusCode::BAD_REQUEST,
                    "Sign in failed",
                    &format!("<p class=\"error\">AADSTS70011: {}</p>", esc(&message)),
                );
            }
        }
    };
    let reply_state = field(&input, "state");
    if method != axum::http::Method::POST {
        drop(state);
        let keep: String = ["client_id", "scope", "redirect_uri", "state"]
            .iter()
            .map(|name| hidden(name, field(&input, name)))
            .collect();
        return page(
            StatusCode::OK,
            "Permissions requested",
            &format!(
                "<p><b>{app}</b> asks for these permissions in <b>{domain}</b>, for every user of the organization:</p>{list}\
                 <form method=\"post\" action=\"{action}\">{keep}\
                 <button type=\"submit\" name=\"decision\" value=\"accept\">Accept</button>\
                 <button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button></form>",
                app = esc(APP_NAME),
                domain = esc(shared.domain()),
                list = scope_list(&requested),
                action = esc(uri.path()),
            ),
        );
    }
    let accepted = field(&input, "decision") == "accept";
    if accepted {
        state.grant_admin_consent(&requested);
    }
    drop(state);
    match redirect {
        Some(mut url) => {
            {
                let mut pairs = url.query_pairs_mut();
                if accepted {
                    pairs
                        .append_pair("admin_consent", "True")
                        .append_pair("tenant", TENANT_ID)
                        .append_pair("scope", &requested.join(" "));
                } else {
                    pairs.append_pair("error", "access_denied").append_pair(
                        "error_description",
                        "AADSTS65004: The resource owner or authorization server denied the request.",
                    );
                }
                if !reply_state.is_empty() {
                    pairs.append_pair("state", reply_state);
                }
            }
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::FOUND;
            if let Ok(location) = HeaderValue::from_str(url.as_str()) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        None if accepted => page(
            StatusCode::OK,
            "Permissions granted",
            &format!(
                "<p>You granted <b>{}</b> these permissions for <b>{}</b>:</p>{}<p>Users can now sign in without being asked.</p>",
                esc(APP_NAME),
                esc(shared.domain()),
                scope_list(&requested)
            ),
        ),
        None => page(
            StatusCode::OK,
            "Permissions not granted",
            "<p>You cancelled: no permission was granted.</p>",
        ),
    }
}
