//! The simulated tenant over real loopback HTTP: Entra's endpoints and error bodies, the sign-in
//! pages, admin consent, refresh, Graph, faults and the control API.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use onboard::simulate::Settings;
use serde_json::{Value, json};

use crate::support::sim::TestSim;

const DEFAULT_SCOPE: &str = "openid profile offline_access User.Read";
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn post_form(sim: &TestSim, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = sim
        .client()
        .post(sim.url(path))
        .form(form)
        .send()
        .expect("the simulator answers");
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

/// The sign-in page's account step, answered with the simulated tenant's service account.
fn sign_in_as_the_account(sim: &TestSim, user_code: &str) -> (u16, String) {
    let account = sim.info().account.clone();
    post_page(
        sim,
        "/devicelogin/account",
        &[("user_code", user_code), ("account", &account)],
    )
}

fn post_page(sim: &TestSim, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = sim
        .client()
        .post(sim.url(path))
        .form(form)
        .send()
        .expect("the simulator answers");
    let status = response.status().as_u16();
    (status, response.text().unwrap_or_default())
}

fn tenant_path(sim: &TestSim, rest: &str) -> String {
    format!("/{}{rest}", sim.info().tenant_id)
}

fn device_code_with(sim: &TestSim, scope: &str) -> Value {
    let client_id = sim.info().client_id.clone();
    let (status, body) = post_form(
        sim,
        &tenant_path(sim, "/oauth2/v2.0/devicecode"),
        &[("client_id", &client_id), ("scope", scope)],
    );
    assert_eq!(status, 200, "{body}");
    body
}

fn device_code(sim: &TestSim) -> Value {
    device_code_with(sim, DEFAULT_SCOPE)
}

fn poll(sim: &TestSim, code: &Value) -> (u16, Value) {
    let client_id = sim.info().client_id.clone();
    post_form(
        sim,
        &tenant_path(sim, "/oauth2/v2.0/token"),
        &[
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", &client_id),
            ("device_code", code["device_code"].as_str().unwrap_or("")),
        ],
    )
}

/// Polls again once the code's interval has passed on the simulator's clock: sooner earns
/// `slow_down`.
fn poll_after_interval(sim: &TestSim, code: &Value) -> (u16, Value) {
    sim.advance_clock(code["interval"].as_u64().unwrap_or(1));
    poll(sim, code)
}

fn refresh(sim: &TestSim, refresh_token: &str) -> (u16, Value) {
    let client_id = sim.info().client_id.clone();
    post_form(
        sim,
        &tenant_path(sim, "/oauth2/v2.0/token"),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("refresh_token", refresh_token),
        ],
    )
}

fn user_code(code: &Value) -> String {
    code["user_code"].as_str().unwrap_or("").to_owned()
}

/// Device code, approval through the control API, redemption: the tokens.
fn sign_in_with(sim: &TestSim, scope: &str) -> Value {
    let code = device_code_with(sim, scope);
    sim.approve(user_code(&code));
    let (status, tokens) = poll(sim, &code);
    assert_eq!(status, 200, "{tokens}");
    tokens
}

fn sign_in(sim: &TestSim) -> Value {
    sign_in_with(sim, DEFAULT_SCOPE)
}

/// Asserts an Entra error body: `error`, `error_codes`, and the description's shape.
fn assert_entra_error(status: u16, body: &Value, error: &str, codes: &[u64]) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], error, "{body}");
    let got: Vec<u64> = body["error_codes"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    assert_eq!(got, codes, "{body}");
    let description = body["error_description"].as_str().unwrap_or("");
    if let Some(first) = codes.first() {
        assert!(
            description.starts_with(&format!("AADSTS{first}: ")),
            "{description}"
        );
    }
    assert!(description.contains("\r\nTrace ID: "), "{description}");
    assert!(
        description.contains("\r\nCorrelation ID: "),
        "{description}"
    );
    assert!(description.contains("\r\nTimestamp: "), "{description}");
    for field in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(body[field].is_string(), "{field} missing in {body}");
    }
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
        .expect("JSON claims")
}

fn get(sim: &TestSim, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = sim.client().get(sim.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().expect("the simulator answers");
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

#[test]
fn discovery_answers_for_the_tenant_guid_and_domain_in_any_case() {
    let sim = TestSim::start();
    let info = sim.info().clone();
    for tenant in [
        info.tenant_id.clone(),
        info.tenant.clone(),
        info.tenant.to_uppercase(),
    ] {
        let (status, doc) = get(
            &sim,
            &format!("/{tenant}/v2.0/.well-known/openid-configuration"),
            None,
        );
        assert_eq!(status, 200, "{doc}");
        assert_eq!(doc["issuer"], info.authority);
        assert_eq!(
            doc["token_endpoint"],
            sim.url(&format!("/{tenant}/oauth2/v2.0/token"))
        );
        assert_eq!(
            doc["device_authorization_endpoint"],
            sim.url(&format!("/{tenant}/oauth2/v2.0/devicecode"))
        );
        assert_eq!(doc["userinfo_endpoint"], sim.url("/oidc/userinfo"));
        assert_eq!(
            doc["msgraph_host"],
            sim.url("").trim_start_matches("http://")
        );
        assert_eq!(doc["cloud_instance_name"], "simulated.onboard.invalid");
        assert!(
            doc["grant_types_supported"]
                .as_array()
                .is_some_and(|g| g.contains(&json!(DEVICE_CODE_GRANT)))
        );
    }
    // The authority the simulator announces is where discovery lives.
    let discovery = format!("{}/.well-known/openid-configuration", info.authority);
    let status = sim
        .client()
        .get(discovery)
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    assert_eq!(status, 200);
}

#[test]
fn an_unknown_tenant_is_aadsts90002_on_every_endpoint() {
    let sim = TestSim::start();
    let (status, body) = get(
        &sim,
        "/fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration",
        None,
    );
    assert_entra_error(status, &body, "invalid_tenant", &[90002]);
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("Tenant 'fabrikam.onmicrosoft.com' not found"))
    );
    let (status, body) = post_form(
        &sim,
        "/fabrikam.onmicrosoft.com/oauth2/v2.0/devicecode",
        &[("client_id", "x"), ("scope", "openid")],
    );
    assert_entra_error(status, &body, "invalid_tenant", &[90002]);
    let (status, body) = post_form(&sim, "/nope/oauth2/v2.0/token", &[]);
    assert_entra_error(status, &body, "invalid_tenant", &[90002]);
}

#[test]
fn the_device_code_response_is_shaped_like_entras() {
    let sim = TestSim::start();
    let code = device_code(&sim);
    let keys: Vec<&str> = code
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "device_code",
            "expires_in",
            "interval",
            "message",
            "user_code",
            "verification_uri"
        ]
    );
    let user_code = user_code(&code);
    assert_eq!(user_code.len(), 9);
    assert!(user_code.chars().all(|c| c.is_ascii_uppercase()));
    assert!(code["device_code"].as_str().is_some_and(|d| d.len() > 100));
    assert_eq!(code["verification_uri"], sim.sign_in_url());
    assert_eq!(code["interval"], 1);
    assert_eq!(code["expires_in"], 900);
    assert_eq!(
        code["message"],
        format!(
            "To sign in, use a web browser to open the page {} and enter the code {user_code} to authenticate.",
            sim.sign_in_url()
        )
    );
}

#[test]
fn device_code_requests_are_refused_as_entra_refuses_them() {
    let sim = TestSim::start();
    let client_id = sim.info().client_id.clone();
    let path = tenant_path(&sim, "/oauth2/v2.0/devicecode");

    let (status, body) = post_form(
        &sim,
        "/common/oauth2/v2.0/devicecode",
        &[("client_id", &client_id), ("scope", "openid")],
    );
    assert_entra_error(status, &body, "invalid_request", &[90133]);

    let (status, body) = post_form(
        &sim,
        &path,
        &[
            ("client_id", "11111111-1111-1111-1111-111111111111"),
            ("scope", "openid"),
        ],
    );
    assert_entra_error(status, &body, "unauthorized_client", &[700016]);

    let (status, body) = post_form(
        &sim,
        &path,
        &[
            ("client_id", &client_id),
            ("scope", "openid"),
            ("client_secret", "s"),
        ],
    );
    assert_entra_error(status, &body, "invalid_client", &[700025]);

    for scope in ["", "User.Read <b>"] {
        let (status, body) = post_form(&sim, &path, &[("client_id", &client_id), ("scope", scope)]);
        assert_entra_error(status, &body, "invalid_scope", &[70011]);
    }

    let (status, settings) = sim.control("/tenant", json!({"public_client": false}));
    assert_eq!((status, &settings["public_client"]), (200, &json!(false)));
    let (status, body) = post_form(
        &sim,
        &path,
        &[("client_id", &client_id), ("scope", "openid")],
    );
    assert_entra_error(status, &body, "invalid_client", &[7000218]);
}

#[test]
fn an_approved_code_yields_tokens_once() {
    let sim = TestSim::start();
    let code = device_code(&sim);
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "authorization_pending", &[70016]);

    sim.approve(user_code(&code));
    let (status, tokens) = poll_after_interval(&sim, &code);
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "User.Read profile openid email");
    let access_token = tokens["access_token"].as_str().unwrap_or("");
    assert!(
        (2_700..3_100).contains(&access_token.len()),
        "Entra's size, about 2,900: {}",
        access_token.len()
    );
    assert_eq!(tokens["expires_in"], 3600);
    assert!(tokens["ext_expires_in"].is_u64());
    assert!(
        tokens["refresh_token"]
            .as_str()
            .is_some_and(|t| (1_400..1_600).contains(&t.len()))
    );

    let info = sim.info();
    let id = claims(tokens["id_token"].as_str().unwrap_or(""));
    assert_eq!(id["aud"], info.client_id);
    assert_eq!(id["iss"], info.authority);
    assert_eq!(id["tid"], info.tenant_id);
    assert_eq!(id["preferred_username"], info.account);
    assert_eq!(id["ver"], "2.0");
    for claim in ["iat", "nbf", "exp", "oid", "sub", "name"] {
        assert!(!id[claim].is_null(), "{claim} missing in {id}");
    }
    let access = claims(tokens["access_token"].as_str().unwrap_or(""));
    assert_eq!(access["aud"], "00000003-0000-0000-c000-000000000000");
    assert_eq!(access["scp"], "User.Read");
    assert_eq!(access["upn"], info.account);
    assert_eq!(access["appid"], info.client_id);
    assert_eq!(access["oid"], id["oid"]);

    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "invalid_grant", &[70000]);
}

#[test]
fn refresh_tokens_are_as_long_as_the_tenant_says_and_still_work() {
    let sim = TestSim::start();
    let default = sign_in(&sim)["refresh_token"].as_str().unwrap().len();
    assert!((1400..1600).contains(&default), "{default}");
    let (status, settings) = sim.control("/tenant", json!({"refresh_token_length": 6000}));
    assert_eq!(
        (status, &settings["refresh_token_length"]),
        (200, &json!(6000))
    );
    let long = sign_in(&sim)["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(long.len(), 6000);
    let (status, tokens) = refresh(&sim, &long);
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["refresh_token"].as_str().unwrap().len(), 6000);
    let (status, _) = sim.control_refused("/tenant", json!({"refresh_token_length": 3}));
    assert_eq!(status, 400);
    let (status, settings) = sim.control("/tenant", json!({"refresh_token_length": null}));
    assert_eq!(
        (status, &settings["refresh_token_length"]),
        (200, &json!(null))
    );
}

#[test]
fn without_offline_access_and_openid_there_is_neither_refresh_nor_id_token() {
    let sim = TestSim::start();
    let tokens = sign_in_with(&sim, "https://graph.microsoft.com/User.Read");
    assert_eq!(tokens["scope"], "User.Read");
    assert!(tokens.get("refresh_token").is_none());
    assert!(tokens.get("id_token").is_none());
}

#[test]
fn approving_another_domains_account_is_aadsts50020() {
    let sim = TestSim::start();
    let code = device_code(&sim);
    let (status, body) = sim.control_refused(
        "/approve",
        json!({"user_code": user_code(&code), "account": "eve@fabrikam.com"}),
    );
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("AADSTS50020"))
    );
    // Another user of the tenant may sign in.
    sim.approve_as(
        user_code(&code).to_lowercase(),
        "Ann@CONTOSO.onmicrosoft.com",
    );
    let (_, tokens) = poll(&sim, &code);
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap_or(""))["preferred_username"],
        "Ann@CONTOSO.onmicrosoft.com"
    );
}

#[test]
fn a_declined_code_is_authorization_declined_65004() {
    let sim = TestSim::start();
    let code = device_code(&sim);
    sim.deny(user_code(&code));
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "authorization_declined", &[65004]);
}

#[test]
fn a_code_past_expires_in_is_expired_token_70019() {
    let sim = TestSim::start();
    let (status, settings) = sim.control("/tenant", json!({"expires_in": 1}));
    assert_eq!((status, &settings["expires_in"]), (200, &json!(1)));
    let code = device_code(&sim);
    assert_eq!(code["expires_in"], 1);
    sim.advance_clock(1);
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "expired_token", &[70019]);
    let (status, _) = sim.control_refused("/approve", json!({"user_code": user_code(&code)}));
    assert_eq!(status, 400);
}

#[test]
fn an_unknown_device_code_is_bad_verification_code_70018() {
    let sim = TestSim::start();
    let (status, body) = poll(&sim, &json!({"device_code": "DAQABnope"}));
    assert_entra_error(status, &body, "bad_verification_code", &[70018]);
    let (status, body) = sim.control_refused("/approve", json!({"user_code": "ZZZZZZZZZ"}));
    assert_eq!(status, 404, "{body}");
}

#[test]
fn approval_required_then_declined_outcome() {
    let sim = TestSim::needing_approval();
    let code = device_code(&sim);
    let (status, body) = sim.control_refused("/approve", json!({"user_code": user_code(&code)}));
    assert_eq!((status, body), (409, json!({"state": "approval_required"})));
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "authorization_pending", &[70016]);

    sim.request_approval(user_code(&code));
    sim.advance_clock(1);
    // Microsoft documents no answer that tells "Request approval" from a plain decline: by
    // default the simulated tenant gives none either.
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "authorization_declined", &[65004]);
    let plain = device_code(&sim);
    sim.deny(user_code(&plain));
    let (plain_status, plain_body) = poll(&sim, &plain);
    let first_line = |b: &Value| {
        let d = b["error_description"].as_str().unwrap_or("");
        d.lines().next().unwrap_or("").to_owned()
    };
    assert_eq!(
        (
            status,
            &body["error"],
            &body["error_codes"],
            first_line(&body)
        ),
        (
            plain_status,
            &plain_body["error"],
            &plain_body["error_codes"],
            first_line(&plain_body)
        )
    );

    // A shape that would tell them apart (AADSTS90094 beside 65004) is not Microsoft's: the
    // simulator refuses to invent it.
    let (status, _) = sim.control_refused("/tenant", json!({"approval_outcome": "declined_90094"}));
    assert_eq!(status, 400);
    let (_, settings) = sim.control("/tenant", json!({}));
    assert_eq!(settings["approval_outcome"], "declined");
}

#[test]
fn approval_required_then_pending_outcome_until_expiry() {
    let sim = TestSim::start();
    sim.control(
        "/tenant",
        json!({"require_admin_approval": true, "admin_consent_workflow": true, "approval_outcome": "pending", "expires_in": 10}),
    );
    // 10 s: the first poll comes well before the code expires, however loaded the machine.
    let code = device_code(&sim);
    sim.request_approval(user_code(&code));
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "authorization_pending", &[70016]);
    sim.advance_clock(10);
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "expired_token", &[70019]);
}

#[test]
fn after_the_reviewer_approves_a_new_sign_in_succeeds() {
    let sim = TestSim::needing_approval();
    let first = device_code(&sim);
    sim.request_approval(user_code(&first));
    let (status, body) = sim.control("/reviewer/approve", json!({}));
    assert_eq!(status, 200, "{body}");
    let (status, settings) = sim.control("/tenant", json!({}));
    assert_eq!(
        (status, &settings["admin_consent_granted"]),
        (200, &json!(true))
    );
    // The code that met "Approval required" is spent; a new sign-in goes through.
    let (status, _) = poll(&sim, &first);
    assert_eq!(status, 400);
    let tokens = sign_in(&sim);
    assert_eq!(tokens["scope"], "User.Read profile openid email");
}

#[test]
fn the_sign_in_pages_work_with_plain_form_posts() {
    let sim = TestSim::start();
    let code = device_code(&sim);
    let user_code = user_code(&code);

    let page = sim.page(sim.sign_in_url());
    assert!(page.contains("name=\"user_code\""), "{page}");

    let (status, page) = post_page(&sim, "/devicelogin", &[("user_code", "NOPE<b>")]);
    assert_eq!(status, 400);
    assert!(!page.contains("NOPE<b>"));

    let (status, page) = post_page(&sim, "/devicelogin", &[("user_code", &user_code)]);
    assert_eq!(status, 200);
    assert!(page.contains(&sim.info().account), "{page}");

    let (status, page) = post_page(
        &sim,
        "/devicelogin/account",
        &[
            ("user_code", &user_code),
            ("account", "mallory@evil.example"),
        ],
    );
    assert_eq!(status, 400);
    assert!(page.contains("AADSTS50020"), "{page}");

    let account = sim.info().account.clone();
    let (status, page) = sign_in_as_the_account(&sim, &user_code);
    assert_eq!(status, 200);
    assert!(
        page.contains("User.Read") && page.contains("Accept"),
        "{page}"
    );

    let (status, page) = post_page(
        &sim,
        "/devicelogin/consent",
        &[
            ("user_code", &user_code),
            ("account", &account),
            ("decision", "accept"),
        ],
    );
    assert_eq!(status, 200);
    assert!(page.contains("You have signed in"), "{page}");
    let (status, tokens) = poll(&sim, &code);
    assert_eq!(status, 200, "{tokens}");
}

#[test]
fn the_approval_required_page_requests_approval() {
    let sim = TestSim::needing_approval();
    let code = device_code(&sim);
    let user_code = user_code(&code);
    let (status, page) = sign_in_as_the_account(&sim, &user_code);
    assert_eq!(status, 200);
    assert!(
        page.contains("Approval required") && page.contains("Request approval"),
        "{page}"
    );
    assert!(page.contains("<textarea"), "{page}");
    let (status, page) = post_page(
        &sim,
        "/devicelogin/request-approval",
        &[
            ("user_code", &user_code),
            ("justification", "<script>x</script>"),
        ],
    );
    assert_eq!(status, 200);
    assert!(
        page.contains("Request sent") && !page.contains("<script>"),
        "{page}"
    );
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "authorization_declined", &[65004]);
}

/// The reviewers may deny a request or let it expire (the account may request again), or block
/// the app: its service principal is disabled, no request can be made again, and every token
/// request for it fails with AADSTS7000112, as Entra documents for a disabled app.
#[test]
fn reviewers_deny_block_or_let_a_request_expire() {
    let sim = TestSim::needing_approval();
    let (status, _) = sim.control_refused("/reviewer/deny", json!({}));
    assert_eq!(status, 409, "nothing pending, nothing to deny");
    for (action, word) in [
        ("/reviewer/deny", "denied"),
        ("/reviewer/expire", "expired"),
    ] {
        let code = device_code(&sim);
        sim.request_approval(user_code(&code));
        let (_, settings) = sim.control("/tenant", json!({}));
        assert_eq!(settings["request_pending"], true);
        let (status, body) = sim.control(action, json!({}));
        assert_eq!((status, &body["request"]), (200, &json!(word)));
        let (_, settings) = sim.control("/tenant", json!({}));
        assert_eq!(settings["request_pending"], false);
        assert_eq!(settings["admin_consent_granted"], false);
    }
    let code = device_code(&sim);
    sim.request_approval(user_code(&code));
    let (status, body) = sim.control("/reviewer/block", json!({}));
    assert_eq!((status, &body["request"]), (200, &json!("blocked")));
    let (_, settings) = sim.control("/tenant", json!({}));
    assert_eq!(settings["app_disabled"], true);
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "unauthorized_client", &[7000112]);
    let client_id = sim.info().client_id.clone();
    let (status, body) = post_form(
        &sim,
        &tenant_path(&sim, "/oauth2/v2.0/devicecode"),
        &[("client_id", &client_id), ("scope", DEFAULT_SCOPE)],
    );
    assert_entra_error(status, &body, "unauthorized_client", &[7000112]);
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("is disabled")),
        "{body}"
    );
}

/// The admin consent workflow is off in a new tenant: the page says "Need admin approval"
/// with no button, nobody is told, and no request can be filed; polling sees nothing but
/// `authorization_pending`.
#[test]
fn without_the_admin_consent_workflow_the_page_has_no_request_button() {
    let sim = TestSim::start();
    let (_, settings) = sim.control("/tenant", json!({"require_admin_approval": true}));
    assert_eq!(settings["admin_consent_workflow"], false);
    let code = device_code(&sim);
    let user_code = user_code(&code);
    let (status, page) = sign_in_as_the_account(&sim, &user_code);
    assert_eq!(status, 200);
    assert!(
        page.contains("Need admin approval") && !page.contains("Request approval"),
        "{page}"
    );
    let (status, body) = sim.control_refused("/request-approval", json!({"user_code": user_code}));
    assert_eq!(status, 409, "{body}");
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "authorization_pending", &[70016]);
}

#[test]
fn the_cancel_button_declines() {
    let sim = TestSim::start();
    let code = device_code(&sim);
    let account = sim.info().account.clone();
    let (status, _) = post_page(
        &sim,
        "/devicelogin/consent",
        &[
            ("user_code", &user_code(&code)),
            ("account", &account),
            ("decision", "cancel"),
        ],
    );
    assert_eq!(status, 200);
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "authorization_declined", &[65004]);
}

#[test]
fn a_guest_signs_in_with_its_home_address_and_graph_names_it_ext() {
    let sim = TestSim::start();
    let guest = "svc@partner.example";
    let code = device_code(&sim);
    let (status, _) = sim.control_refused(
        "/approve",
        json!({"user_code": user_code(&code), "account": guest}),
    );
    assert_eq!(status, 400, "not invited yet: AADSTS50020");
    sim.control("/tenant", json!({"guests": [guest]}));
    sim.approve_as(user_code(&code), guest);
    let (status, tokens) = poll_after_interval(&sim, &code);
    assert_eq!(status, 200, "{tokens}");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["preferred_username"], guest);
    let (_, me) = get(&sim, "/v1.0/me", tokens["access_token"].as_str());
    let ext = format!("svc_partner.example#EXT#@{}", sim.info().tenant);
    assert_eq!(me["userPrincipalName"], ext.as_str());
    assert_eq!(me["mail"], guest);
    assert_eq!(me["id"], id_token["oid"], "the object id is the identity");

    // A rename keeps the object id and changes the names.
    let member = sim.info().account.clone();
    let renamed = format!("svc-new@{}", sim.info().tenant);
    let before = claims(sign_in(&sim)["id_token"].as_str().unwrap());
    sim.control(
        "/tenant",
        json!({"renamed": {member.clone(): renamed.clone()}}),
    );
    let tokens = sign_in(&sim);
    let after = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(after["preferred_username"], renamed.as_str());
    assert_eq!(after["oid"], before["oid"]);
    let (_, me) = get(&sim, "/v1.0/me", tokens["access_token"].as_str());
    assert_eq!(me["userPrincipalName"], renamed.as_str());
    assert_eq!(me["id"], before["oid"]);
}

#[test]
fn the_v2_admin_consent_link_needs_a_registered_redirect_uri() {
    let sim = TestSim::start();
    let info = sim.info().clone();
    let path = format!("/{}/v2.0/adminconsent", info.tenant);
    let open = |query: &[(&str, &str)]| {
        let link = url::Url::parse_with_params(&sim.url(&path), query).expect("a consent link");
        let response = sim
            .client()
            .get(link)
            .send()
            .expect("the simulator answers");
        (
            response.status().as_u16(),
            response.text().unwrap_or_default(),
        )
    };
    let client = ("client_id", info.client_id.as_str());
    // A device-code registration has no redirect URI: no consent page, an AADSTS error.
    let (status, page) = open(&[client]);
    assert_eq!(status, 400);
    assert!(page.contains("AADSTS500113"), "{page}");
    let (status, page) = open(&[client, ("redirect_uri", "https://app.example/cb")]);
    assert_eq!(status, 400);
    assert!(page.contains("AADSTS50011"), "{page}");
    sim.control(
        "/tenant",
        json!({"redirect_uris": ["https://app.example/cb"]}),
    );
    let (status, page) = open(&[client]);
    assert_eq!(status, 400);
    assert!(page.contains("AADSTS900144"), "{page}");
    let (status, page) = open(&[client, ("redirect_uri", "https://app.example/cb")]);
    assert_eq!(status, 200);
    assert!(page.contains("Permissions requested"), "{page}");
    let (_, settings) = sim.control("/tenant", json!({}));
    assert_eq!(settings["redirect_uris"], json!(["https://app.example/cb"]));
}

#[test]
fn the_admin_consent_link_grants_consent_and_redirects() {
    let sim = TestSim::start();
    sim.control(
        "/tenant",
        json!({"require_admin_approval": true, "admin_consent_workflow": true, "redirect_uris": ["http://localhost:9/done"]}),
    );
    let info = sim.info().clone();
    let path = format!("/{}/v2.0/adminconsent", info.tenant);
    let query = [
        ("client_id", info.client_id.as_str()),
        ("scope", "https://graph.microsoft.com/User.Read"),
        ("redirect_uri", "http://localhost:9/done"),
        ("state", "s1"),
    ];
    let link = url::Url::parse_with_params(&sim.url(&path), &query).expect("a consent link");
    let page = sim.page(link);
    assert!(
        page.contains("Permissions requested") && page.contains("Accept"),
        "{page}"
    );

    let mut form = query.to_vec();
    form.push(("decision", "accept"));
    let response = sim
        .client()
        .post(sim.url(&path))
        .form(&form)
        .send()
        .expect("the simulator answers");
    assert_eq!(response.status().as_u16(), 302);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let url = url::Url::parse(&location).expect("a redirect URL");
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert!(
        pairs.contains(&("admin_consent".into(), "True".into())),
        "{location}"
    );
    assert!(
        pairs.contains(&("tenant".into(), info.tenant_id.clone())),
        "{location}"
    );
    assert!(pairs.contains(&("state".into(), "s1".into())), "{location}");
    assert!(
        pairs
            .iter()
            .any(|(k, v)| k == "scope" && v.contains("User.Read"))
    );

    // The service account now signs in without the detour.
    let tokens = sign_in(&sim);
    assert_eq!(tokens["token_type"], "Bearer");

    // The v1 link without redirect_uri shows a confirmation page.
    let (status, page) = post_page(
        &sim,
        &format!("/{}/adminconsent", info.tenant_id),
        &[("client_id", &info.client_id), ("decision", "accept")],
    );
    assert_eq!(status, 200);
    assert!(page.contains("Permissions granted"), "{page}");
}

#[test]
fn refresh_tokens_rotate_and_used_ones_stay_valid_unless_refused() {
    let sim = TestSim::start();
    let tokens = sign_in(&sim);
    let first = tokens["refresh_token"].as_str().unwrap_or("").to_owned();
    let (status, second) = refresh(&sim, &first);
    assert_eq!(status, 200, "{second}");
    let second_rt = second["refresh_token"].as_str().unwrap_or("").to_owned();
    assert!(!second_rt.is_empty() && second_rt != first);
    assert!(second["id_token"].is_string());
    assert_eq!(second["scope"], "User.Read profile openid email");

    // Entra's default: the used token still works.
    let (status, _) = refresh(&sim, &first);
    assert_eq!(status, 200);

    sim.control("/tenant", json!({"reuse_refresh_token": "refuse"}));
    let (status, body) = refresh(&sim, &first);
    assert_entra_error(status, &body, "invalid_grant", &[70000]);
    let (status, third) = refresh(&sim, &second_rt);
    assert_eq!(status, 200, "{third}");

    let (status, body) = refresh(&sim, "1.AQnot-a-token");
    assert_entra_error(status, &body, "invalid_grant", &[9002313]);
}

#[test]
fn a_refresh_may_narrow_the_scopes_but_not_widen_them() {
    let sim = TestSim::start();
    let tokens = sign_in_with(&sim, "openid offline_access User.Read Mail.Read");
    let rt = tokens["refresh_token"].as_str().unwrap_or("").to_owned();
    let client_id = sim.info().client_id.clone();
    let path = tenant_path(&sim, "/oauth2/v2.0/token");
    let (status, narrowed) = post_form(
        &sim,
        &path,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("refresh_token", &rt),
            ("scope", "Mail.Read"),
        ],
    );
    assert_eq!(status, 200, "{narrowed}");
    assert_eq!(
        claims(narrowed["access_token"].as_str().unwrap_or(""))["scp"],
        "Mail.Read"
    );
    let (status, body) = post_form(
        &sim,
        &path,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("refresh_token", &rt),
            ("scope", "Files.ReadWrite.All"),
        ],
    );
    assert_entra_error(status, &body, "invalid_grant", &[65001]);
}

#[test]
fn revoked_refresh_tokens_are_aadsts50173() {
    let sim = TestSim::start();
    let tokens = sign_in(&sim);
    let rt = tokens["refresh_token"].as_str().unwrap_or("").to_owned();
    let (status, body) = sim.control("/revoke", json!({}));
    assert_eq!((status, &body["revoked"]), (200, &json!(1)));
    let (status, body) = refresh(&sim, &rt);
    assert_entra_error(status, &body, "invalid_grant", &[50173]);
}

#[test]
fn withdrawn_consent_is_65001_on_a_refresh_never_at_device_code_redemption() {
    let sim = TestSim::start();
    let tokens = sign_in(&sim);
    let rt = tokens["refresh_token"].as_str().unwrap_or("").to_owned();
    sim.control("/tenant", json!({"consent_withdrawn": true}));
    let (status, body) = refresh(&sim, &rt);
    assert_entra_error(status, &body, "invalid_grant", &[65001]);
    assert_eq!(body["suberror"], "consent_required");

    // Entra settles consent on the sign-in page before it approves a device code: the account
    // consents again there, and the redemption never meets AADSTS65001.
    let code = device_code(&sim);
    sim.approve(user_code(&code));
    let (status, body) = poll(&sim, &code);
    assert_eq!(status, 200, "{body}");
    assert!(body["refresh_token"].is_string());
}

#[test]
fn granted_scopes_restrict_what_tokens_get() {
    let sim = TestSim::start();
    let (status, settings) = sim.control("/tenant", json!({"granted_scopes": ["User.Read"]}));
    assert_eq!(
        (status, &settings["granted_scopes"]),
        (200, &json!(["User.Read"]))
    );
    let tokens = sign_in_with(&sim, "openid offline_access User.Read Mail.Read");
    assert_eq!(tokens["scope"], "User.Read profile openid email");
    let (_, settings) = sim.control("/tenant", json!({"granted_scopes": null}));
    assert!(settings["granted_scopes"].is_null());
}

#[test]
fn a_status_fault_answers_with_a_proxy_page_and_retry_after() {
    let sim = TestSim::start();
    sim.fault(json!({"path": "/oauth2/v2.0/token", "status": 503, "retry_after": "2"}));
    let code = device_code(&sim);
    let response = sim
        .client()
        .post(sim.url(&tenant_path(&sim, "/oauth2/v2.0/token")))
        .form(&[("grant_type", DEVICE_CODE_GRANT)])
        .send()
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("2")
    );
    assert!(response.text().unwrap_or_default().contains("<html>"));
    sim.assert_fault_hits("/token", 1);
    // count 1: the next request is served normally.
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "authorization_pending", &[70016]);

    sim.fault(json!({"path": "/v1.0/me", "status": 429, "body": "{\"error\":{\"code\":\"TooManyRequests\"}}", "count": 2}));
    for _ in 0..2 {
        let (status, body) = get(&sim, "/v1.0/me", None);
        assert_eq!(
            (status, &body["error"]["code"]),
            (429, &json!("TooManyRequests"))
        );
    }
    let (status, _) = get(&sim, "/v1.0/me", None);
    assert_eq!(status, 401);
    sim.assert_fault_hits("/v1.0/me", 2);
}

#[test]
fn a_drop_fault_closes_the_connection_without_an_answer() {
    let sim = TestSim::start();
    sim.fault(json!({"path": "/devicecode", "drop": true}));
    let client_id = sim.info().client_id.clone();
    let result = sim
        .client()
        .post(sim.url(&tenant_path(&sim, "/oauth2/v2.0/devicecode")))
        .form(&[("client_id", client_id.as_str()), ("scope", "openid")])
        .send();
    assert!(result.is_err(), "{result:?}");
    sim.assert_fault_hits("/devicecode", 1);
    device_code(&sim);
}

#[test]
fn scopes_of_two_resources_in_one_request_are_700022() {
    let sim = TestSim::start();
    let (status, body) = post_form(
        &sim,
        &tenant_path(&sim, "/oauth2/v2.0/devicecode"),
        &[
            ("client_id", &sim.info().client_id),
            ("scope", "openid User.Read api://other-app/Read"),
        ],
    );
    assert_entra_error(status, &body, "invalid_scope", &[700022]);
    // One resource, with Graph's prefix or without, is fine.
    let (status, _) = post_form(
        &sim,
        &tenant_path(&sim, "/oauth2/v2.0/devicecode"),
        &[
            ("client_id", &sim.info().client_id),
            (
                "scope",
                "openid https://graph.microsoft.com/Mail.Read User.Read",
            ),
        ],
    );
    assert_eq!(status, 200);
}

#[test]
fn a_poll_sooner_than_the_interval_earns_slow_down() {
    // 1 s: the second poll comes at once, well within it. Time then passes on the simulator's
    // clock, so the only real time the test needs is that the polls come within 5 s of each
    // other (they come within milliseconds).
    let sim = TestSim::start();
    sim.tenant(json!({"interval": 1}));
    let code = device_code(&sim);
    assert_eq!(code["interval"], 1);
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "authorization_pending", &[70016]);
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "slow_down", &[]);
    // RFC 8628 §3.5: the interval is now 5 s longer; a client that keeps the old one is told
    // again (and the interval grows again).
    let (status, body) = poll_after_interval(&sim, &code);
    assert_entra_error(status, &body, "slow_down", &[]);
    // A poll after the grown interval (1 + 5 + 5 s) is answered normally.
    sim.advance_clock(11);
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "authorization_pending", &[70016]);
}

#[test]
fn a_slow_down_fault_answers_rfc_8628_slow_down() {
    let sim = TestSim::start();
    let code = device_code(&sim);
    sim.fault(json!({"path": "/token", "slow_down": true}));
    let (status, body) = poll(&sim, &code);
    assert_entra_error(status, &body, "slow_down", &[]);
    sim.assert_fault_hits("/token", 1);
    let (status, _) = poll(&sim, &code);
    assert_eq!(status, 400);
}

#[test]
fn a_held_answer_waits_for_the_release_and_is_then_served() {
    let sim = TestSim::start();
    sim.fault(json!({"path": "/v1.0/me", "hold": true}));
    let url = sim.url("/v1.0/me");
    let client = sim.client().clone();
    let asking = std::thread::spawn(move || client.get(url).send().map(|r| r.status().as_u16()));
    sim.wait_for_fault_hits("/v1.0/me", 1);
    // The request has arrived and met its fault: nothing but the release can answer it.
    std::thread::sleep(Duration::from_millis(200));
    assert!(!asking.is_finished(), "answered before the release");
    sim.release();
    let status = asking
        .join()
        .expect("the asking thread")
        .expect("an answer");
    assert_eq!(status, 401, "served normally after the release");
    // A release given before the request arrives lets it through when it comes.
    sim.fault(json!({"path": "/v1.0/me", "hold": true}));
    sim.release();
    let (status, _) = get(&sim, "/v1.0/me", None);
    assert_eq!(status, 401);
    sim.assert_fault_hits("/v1.0/me", 2);
}

/// Whether `path` answers before the client's `patience` runs out.
fn answers_within(sim: &TestSim, path: &str, patience: Duration) -> bool {
    match sim.client().get(sim.url(path)).timeout(patience).send() {
        Ok(_) => true,
        Err(e) if e.is_timeout() => false,
        Err(e) => panic!("{path}: {e}"),
    }
}

/// A delay far beyond any client's patience: whether a request was delayed shows as a timeout,
/// which no load on the machine can turn into an answer.
const FOREVER_MS: u64 = 600_000;

#[test]
fn a_delay_fault_slows_one_answer_down_and_then_serves_it() {
    let sim = TestSim::start();
    let path = tenant_path(&sim, "/v2.0/.well-known/openid-configuration");
    sim.fault(json!({"path": "/openid-configuration", "delay_ms": 300}));
    let started = Instant::now();
    let (status, document) = get(&sim, &path, None);
    assert_eq!(status, 200);
    assert!(document["token_endpoint"].is_string(), "{document}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    sim.assert_fault_hits("/openid-configuration", 1);
    // One request only: the next one is answered.
    sim.fault(json!({"path": "/openid-configuration", "delay_ms": FOREVER_MS}));
    assert!(!answers_within(&sim, &path, Duration::from_secs(1)));
    let (status, _) = get(&sim, &path, None);
    assert_eq!(status, 200, "the fault delayed one request only");
}

#[test]
fn latency_applies_to_the_tenant_but_not_the_control_api() {
    let sim = TestSim::with(Settings {
        latency_ms: 200,
        ..Settings::default()
    });
    let started = Instant::now();
    let (status, _) = get(&sim, "/v1.0/me", None);
    assert_eq!(status, 401, "served after the latency");
    assert!(started.elapsed() >= Duration::from_millis(200));

    let sim = TestSim::with(Settings {
        latency_ms: FOREVER_MS,
        ..Settings::default()
    });
    let (status, _) = sim.control("/tenant", json!({}));
    assert_eq!(status, 200, "the control API answers at once");
    assert!(!answers_within(&sim, "/v1.0/me", Duration::from_secs(1)));
}

#[test]
fn graph_needs_a_valid_token_and_answers_for_its_account() {
    let sim = TestSim::start();
    for token in [None, Some("garbage"), Some("a.b.c")] {
        let (status, body) = get(&sim, "/v1.0/me", token);
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
        assert!(body["error"]["innerError"]["request-id"].is_string());
    }
    let tokens = sign_in(&sim);
    let at = tokens["access_token"].as_str().unwrap_or("");
    let info = sim.info().clone();
    let (status, me) = get(&sim, "/v1.0/me", Some(at));
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["userPrincipalName"], info.account);
    assert_eq!(me["mail"], info.account);
    assert_eq!(
        me["id"],
        claims(tokens["id_token"].as_str().unwrap_or(""))["oid"]
    );
    assert!(me["displayName"].is_string());

    let (status, org) = get(&sim, "/v1.0/organization", Some(at));
    assert_eq!(status, 200);
    assert_eq!(org["value"][0]["id"], info.tenant_id);
    assert_eq!(org["value"][0]["verifiedDomains"][0]["name"], info.tenant);
    assert_eq!(org["value"][0]["verifiedDomains"][0]["isDefault"], true);

    let sp_path = format!(
        "/v1.0/servicePrincipals?$filter=appId eq '{}'",
        info.client_id
    );
    let (status, body) = get(&sim, &sp_path, Some(at));
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("Authorization_RequestDenied"))
    );

    let (status, info_body) = get(&sim, "/oidc/userinfo", Some(at));
    assert_eq!(status, 200);
    assert_eq!(
        info_body["sub"],
        claims(tokens["id_token"].as_str().unwrap_or(""))["sub"]
    );
    assert_eq!(info_body["email"], info.account);

    // After a reset the old token is unknown.
    sim.control("/reset", json!({}));
    let (status, _) = get(&sim, "/v1.0/me", Some(at));
    assert_eq!(status, 401);
}

#[test]
fn graph_lists_the_service_principal_and_its_grants_with_directory_scopes() {
    let sim = TestSim::start();
    let tokens = sign_in_with(&sim, "openid offline_access User.Read Directory.Read.All");
    let at = tokens["access_token"].as_str().unwrap_or("");
    let info = sim.info().clone();
    let (status, sps) = get(
        &sim,
        &format!(
            "/v1.0/servicePrincipals?$filter=appId eq '{}'",
            info.client_id
        ),
        Some(at),
    );
    assert_eq!(status, 200, "{sps}");
    assert_eq!(sps["value"].as_array().map(Vec::len), Some(1));
    assert_eq!(sps["value"][0]["appId"], info.client_id);
    let sp_id = sps["value"][0]["id"].as_str().unwrap_or("").to_owned();

    sim.control(
        "/reviewer/approve",
        json!({"scope": "User.Read Directory.Read.All"}),
    );
    let (status, grants) = get(
        &sim,
        &format!("/v1.0/oauth2PermissionGrants?$filter=clientId eq '{sp_id}'"),
        Some(at),
    );
    assert_eq!(status, 200, "{grants}");
    let all = grants["value"]
        .as_array()
        .and_then(|v| v.iter().find(|g| g["consentType"] == "AllPrincipals"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(all["clientId"], sp_id);
    assert!(all["principalId"].is_null());
    assert_eq!(all["scope"], "User.Read Directory.Read.All");
    assert!(all["resourceId"].is_string());

    let (status, _) = get(
        &sim,
        "/v1.0/oauth2PermissionGrants?$filter=nonsense",
        Some(at),
    );
    assert_eq!(status, 400);
}

#[test]
fn the_request_log_lists_tenant_requests_but_not_control_calls() {
    let sim = TestSim::start();
    sim.fault(json!({"path": "/devicecode", "status": 500}));
    let client_id = sim.info().client_id.clone();
    post_form(
        &sim,
        &tenant_path(&sim, "/oauth2/v2.0/devicecode"),
        &[("client_id", &client_id), ("scope", "openid")],
    );
    let code = device_code(&sim);
    poll(&sim, &code);
    let log = sim.requests();
    let paths: Vec<(&str, &str)> = log
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap_or(""),
                r["path"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let devicecode = tenant_path(&sim, "/oauth2/v2.0/devicecode");
    let token = tenant_path(&sim, "/oauth2/v2.0/token");
    assert_eq!(
        paths,
        [
            ("POST", devicecode.as_str()),
            ("POST", devicecode.as_str()),
            ("POST", token.as_str())
        ]
    );
    assert!(log.iter().all(|r| r["at_ms"].is_u64()));
    let faulted: Vec<bool> = log.iter().map(|r| r["fault"] == true).collect();
    assert_eq!(
        faulted,
        [true, false, false],
        "only the first met the fault"
    );

    sim.control("/reset", json!({}));
    assert!(sim.requests().is_empty());
}

#[test]
fn bad_input_gets_error_json_not_a_crash() {
    let sim = TestSim::start();
    let client = sim.client();
    let token_url = sim.url(&tenant_path(&sim, "/oauth2/v2.0/token"));
    let response = client
        .post(&token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, b'=', b'%', b'&', b'&', b'='])
        .send()
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().unwrap_or_default();
    assert_eq!(body["error"], "invalid_request");

    let client_id = sim.info().client_id.clone();
    let (status, body) = post_form(
        &sim,
        &tenant_path(&sim, "/oauth2/v2.0/token"),
        &[("grant_type", "password"), ("client_id", &client_id)],
    );
    assert_entra_error(status, &body, "unsupported_grant_type", &[70003]);

    let (status, body) = get(&sim, "/no/such/thing", None);
    assert_eq!(status, 404);
    assert!(body["error"].is_string());

    let response = client
        .post(sim.url("/_sim/approve"))
        .body("{not json")
        .send()
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().unwrap_or_default();
    assert!(body["error"].is_string());

    let (status, body) = sim.control_refused("/tenant", json!({"no_such_setting": 1}));
    assert_eq!(status, 400, "{body}");
    let (status, _) = sim.control_refused("/fault", json!({"count": 0}));
    assert_eq!(status, 400);
    let (status, _) = sim.control_refused("/release", json!({"count": 0}));
    assert_eq!(status, 400);
    let (status, _) = sim.control_refused("/nope", json!({}));
    assert_eq!(status, 404);
    // Still serving.
    device_code(&sim);
}

#[test]
fn a_dropped_connection_carries_no_bytes_at_all() {
    use std::io::{ErrorKind, Read, Write};
    let sim = TestSim::start();
    sim.fault(json!({"path": "/v1.0/me", "drop": true}));
    let address = sim.url("").trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).expect("a connection");
    // A hung connection would run into this; a dropped one ends long before.
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("a read timeout");
    stream
        .write_all(format!("GET /v1.0/me HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes())
        .expect("the request is sent");
    let mut received = Vec::new();
    match stream.read_to_end(&mut received) {
        // EOF or a reset: closed by the server, as a crashed proxy closes it.
        Ok(_) => {}
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
            ) => {}
        Err(e) => panic!("the connection was not closed but {e} (hung?)"),
    }
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    sim.assert_fault_hits("/v1.0/me", 1);
}

#[test]
fn a_held_connection_is_not_a_dropped_one() {
    use std::io::{ErrorKind, Read, Write};
    let sim = TestSim::start();
    sim.fault(json!({"path": "/v1.0/me", "hold": true}));
    let address = sim.url("").trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).expect("a connection");
    stream
        .write_all(format!("GET /v1.0/me HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes())
        .expect("the request is sent");
    sim.wait_for_fault_hits("/v1.0/me", 1);
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("a read timeout");
    let mut byte = [0u8; 1];
    let waited = stream.read(&mut byte);
    assert!(
        matches!(&waited, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "a held answer is neither sent nor closed: {waited:?}"
    );
    sim.release();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("a read timeout");
    let mut answer = [0u8; 12];
    stream
        .read_exact(&mut answer)
        .expect("the answer after the release");
    assert_eq!(&answer, b"HTTP/1.1 401");
}

#[test]
fn after_shutdown_nothing_answers() {
    let sim = TestSim::start();
    let url = sim.url(&tenant_path(&sim, "/v2.0/.well-known/openid-configuration"));
    drop(sim);
    let result = reqwest::blocking::Client::new().get(url).send();
    assert!(result.is_err(), "{result:?}");
}

/// The reviewer's admin consent covers the scopes its link names: `.default` stands for what
/// the registration lists (User.Read here), so a sign-in that also asks for Mail.Read still
/// meets "Approval required"; a link that names Mail.Read (by Graph's URI or the simulated
/// tenant's own origin) adds it, and the sign-in goes through. Consents add up.
#[test]
fn admin_consent_covers_the_scopes_its_link_names() {
    let sim = TestSim::start();
    let redirect = "http://localhost:9/done";
    sim.control(
        "/tenant",
        json!({"require_admin_approval": true, "admin_consent_workflow": true, "redirect_uris": [redirect]}),
    );
    let info = sim.info().clone();
    let path = format!("/{}/v2.0/adminconsent", info.tenant);
    let consent = |scope: &str| {
        let form = [
            ("client_id", info.client_id.as_str()),
            ("scope", scope),
            ("redirect_uri", redirect),
            ("decision", "accept"),
        ];
        let response = sim
            .client()
            .post(sim.url(&path))
            .form(&form)
            .send()
            .expect("the simulator answers");
        assert_eq!(response.status().as_u16(), 302);
    };
    let with_mail = "openid profile offline_access User.Read Mail.Read";

    consent("https://graph.microsoft.com/.default");
    let code = device_code_with(&sim, with_mail);
    sim.approve_meets_approval_required(user_code(&code));
    // What the registration lists is covered: a sign-in that asks for no more goes through.
    assert_eq!(sign_in(&sim)["token_type"], "Bearer");

    consent(&format!("openid {}/Mail.Read", sim.url("")));
    let (_, settings) = sim.control("/tenant", json!({}));
    assert_eq!(settings["admin_consent_granted"], true);
    let tokens = sign_in_with(&sim, with_mail);
    assert_eq!(tokens["scope"], "User.Read Mail.Read profile openid email");
}

#[test]
fn the_moved_clock_expires_access_tokens_and_reset_puts_it_back() {
    let sim = TestSim::start();
    let tokens = sign_in(&sim);
    let access = tokens["access_token"].as_str().unwrap_or("");
    let expires_in = tokens["expires_in"].as_u64().expect("expires_in");
    let (status, _) = get(&sim, "/v1.0/me", Some(access));
    assert_eq!(status, 200);
    sim.advance_clock(expires_in);
    let (status, body) = get(&sim, "/v1.0/me", Some(access));
    assert_eq!(status, 401, "{body}");
    assert!(body.to_string().contains("expired"), "{body}");
    let (status, _) = sim.control_refused("/clock", json!({"advance_secs": 0}));
    assert_eq!(status, 400);
    let (status, _) = sim.control_refused("/clock", json!({"advance": 5}));
    assert_eq!(status, 400);
    // After a reset a new sign-in's token works again: the clock is the real one once more.
    sim.control("/reset", json!({}));
    let tokens = sign_in(&sim);
    let (status, _) = get(&sim, "/v1.0/me", tokens["access_token"].as_str());
    assert_eq!(status, 200);
}
