//! The device-code engine against the simulated tenant, over real loopback HTTP: sign-in,
//! every way it can end, refresh rotation and the identity check. The timing of the polls is
//! tested on tokio's paused clock beside the driver.

use std::time::Duration;

use onboard::authority::{Authority, Endpoints, discover};
use onboard::error::Error;
use onboard::flow::{self, DeviceCode, PollEvent, TokenSet, poll_for_tokens, request_device_code};
use onboard::http::{HttpOptions, RetryPolicy, build_client};
use onboard::secret::Secret;
use serde_json::json;
use url::Url;

use crate::support::runtime;
use crate::support::sim::TestSim;

fn client() -> reqwest::Client {
    build_client(&HttpOptions::default()).unwrap()
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_secs(3),
        budget: Duration::from_secs(10),
    }
}

fn scopes() -> Vec<String> {
    flow::normalize_scopes(&[])
}

fn endpoints(sim: &TestSim) -> Endpoints {
    let authority = Authority::custom(Url::parse(&sim.info().authority).unwrap());
    runtime().block_on(discover(&client(), &authority)).unwrap()
}

/// The simulated tenant's endpoints and a fresh device code from it.
fn code_from(sim: &TestSim) -> (Endpoints, DeviceCode) {
    let endpoints = endpoints(sim);
    let code = device_code(sim, &endpoints).unwrap();
    (endpoints, code)
}

fn device_code(sim: &TestSim, endpoints: &Endpoints) -> Result<DeviceCode, Error> {
    runtime().block_on(request_device_code(
        &client(),
        endpoints,
        &sim.info().client_id,
        &scopes(),
    ))
}

fn poll(
    sim: &TestSim,
    endpoints: &Endpoints,
    code: &DeviceCode,
) -> (Result<TokenSet, Error>, Vec<PollEvent>) {
    let mut events = Vec::new();
    let result = runtime().block_on(poll_for_tokens(
        &client(),
        endpoints,
        &sim.info().client_id,
        code,
        &scopes(),
        None,
        &mut |e: &PollEvent| events.push(e.clone()),
    ));
    (result, events)
}

/// A simulated tenant with 1 s polling, so tests are quick but polling is still observable.
fn quick_sim() -> TestSim {
    let sim = TestSim::start();
    let (status, _) = sim.control("/tenant", json!({"interval": 1, "expires_in": 30}));
    assert_eq!(status, 200);
    sim
}

fn token_polls(sim: &TestSim) -> Vec<u64> {
    sim.requests()
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .unwrap_or("")
                .ends_with("/oauth2/v2.0/token")
        })
        .map(|r| r["at_ms"].as_u64().unwrap())
        .collect()
}

/// Approve from another thread once the client has polled `polls` times, as a person signing in
/// elsewhere would: the client is provably waiting, whatever the machine's load.
fn approve_after_polls(
    sim: &TestSim,
    user_code: &str,
    polls: usize,
) -> std::thread::JoinHandle<()> {
    let control = sim.control_client();
    let user_code = user_code.to_string();
    std::thread::spawn(move || {
        control.wait_for_requests("/oauth2/v2.0/token", polls);
        control.approve(&user_code);
    })
}

#[test]
fn sign_in_approved_through_the_control_api_yields_tokens_for_the_service_account() {
    let sim = quick_sim();
    let endpoints = endpoints(&sim);
    assert_eq!(
        endpoints.tenant_id.as_deref(),
        Some(sim.info().tenant_id.as_str())
    );
    assert!(
        endpoints.graph.is_some(),
        "the simulated tenant names msgraph_host"
    );
    let code = device_code(&sim, &endpoints).unwrap();
    assert!(!code.user_code.is_empty());
    assert_eq!(code.interval, Duration::from_secs(1));
    let approver = approve_after_polls(&sim, &code.user_code, 1);
    let (tokens, events) = poll(&sim, &endpoints, &code);
    approver.join().unwrap();
    let tokens = tokens.unwrap();
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access gives a refresh token"
    );
    assert_eq!(
        tokens.claims.tid.as_deref(),
        Some(sim.info().tenant_id.as_str())
    );
    assert_eq!(tokens.claims.account(), Some(sim.info().account.as_str()));
    assert!(!events.is_empty(), "every pending poll is reported");
    assert!(
        events
            .iter()
            .all(|e| e.remaining <= Duration::from_secs(30))
    );
    let identity = whoami(&endpoints, &tokens);
    assert_eq!(
        identity.account.as_deref(),
        Some(sim.info().account.as_str())
    );
    assert_eq!(identity.source, "Microsoft Graph /me");
}

#[test]
fn sign_in_through_the_html_pages_with_plain_form_posts() {
    let sim = quick_sim();
    let (endpoints, code) = code_from(&sim);
    let page = reqwest::blocking::Client::new();
    let post = |path: &str, form: &[(&str, &str)]| {
        let response = page.post(sim.url(path)).form(form).send().unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.text().unwrap()
    };
    let account_page = post("/devicelogin", &[("user_code", &code.user_code)]);
    assert!(account_page.contains("account"), "{account_page}");
    let consent_page = post(
        "/devicelogin/account",
        &[
            ("user_code", &code.user_code),
            ("account", &sim.info().account),
        ],
    );
    assert!(consent_page.contains("Accept"), "{consent_page}");
    post(
        "/devicelogin/consent",
        &[
            ("user_code", &code.user_code),
            ("account", &sim.info().account),
            ("decision", "accept"),
        ],
    );
    let (tokens, _) = poll(&sim, &endpoints, &code);
    assert_eq!(
        tokens.unwrap().claims.account(),
        Some(sim.info().account.as_str())
    );
}

fn assert_fails(result: Result<TokenSet, Error>, exit: i32, code: &str, hint_part: &str) -> Error {
    let error = result.expect_err("sign-in should fail");
    assert_eq!(error.exit_code(), exit, "{error:?}");
    assert_eq!(error.code, code, "{error:?}");
    let hint = error.hint.clone().unwrap_or_default();
    assert!(
        hint.contains(hint_part),
        "hint {hint:?} lacks {hint_part:?}"
    );
    error
}

#[test]
fn a_declined_sign_in_stops_with_exit_4_and_the_ids_for_support() {
    let sim = quick_sim();
    let (endpoints, code) = code_from(&sim);
    sim.deny(&code.user_code);
    let error = assert_fails(
        poll(&sim, &endpoints, &code).0,
        4,
        "authorization_declined",
        "accept",
    );
    assert!(error.correlation_id.is_some() && error.trace_id.is_some());
    assert_eq!(error.aadsts, Some(65004));
}

#[test]
fn an_expired_code_stops_with_exit_4() {
    let sim = TestSim::start();
    sim.control("/tenant", json!({"interval": 1, "expires_in": 2}));
    let (endpoints, code) = code_from(&sim);
    let (result, _) = poll(&sim, &endpoints, &code);
    assert_fails(result, 4, "expired_token", "onboard invite");
}

/// After "Request approval" the tenant's answer decides: a plain decline (exit 4, naming
/// `consent-url`), or pending until the code expires (exit 4).
#[test]
fn approval_requested_ends_as_the_tenant_answers() {
    for (outcome, exit, error, hint) in [
        ("declined", 4, "authorization_declined", "consent-url"),
        ("pending", 4, "expired_token", "onboard invite"),
    ] {
        let sim = TestSim::start();
        // 10 s: the person acts well before the code expires, however loaded the machine.
        sim.tenant(json!({"interval": 1, "expires_in": 10, "require_admin_approval": true, "admin_consent_workflow": true, "approval_outcome": outcome}));
        let (endpoints, code) = code_from(&sim);
        sim.approve_meets_approval_required(&code.user_code);
        sim.request_approval(&code.user_code);
        assert_fails(poll(&sim, &endpoints, &code).0, exit, error, hint);
    }
}

#[test]
fn after_the_reviewer_approves_a_fresh_sign_in_needs_no_consent() {
    let sim = quick_sim();
    sim.tenant(json!({"require_admin_approval": true, "admin_consent_workflow": true}));
    sim.control("/reviewer/approve", json!({}));
    let (endpoints, code) = code_from(&sim);
    sim.approve(&code.user_code);
    assert!(poll(&sim, &endpoints, &code).0.is_ok());
}

#[test]
fn an_unknown_device_code_is_reported_as_a_bug() {
    let sim = quick_sim();
    let (endpoints, mut code) = code_from(&sim);
    code.device_code = Secret::new("not-a-code-the-server-issued");
    assert_fails(
        poll(&sim, &endpoints, &code).0,
        1,
        "bad_verification_code",
        "bug",
    );
}

/// The faults over real sockets, end to end.
#[test]
fn polling_survives_429_and_5xx_while_the_code_is_alive() {
    let sim = quick_sim();
    let (endpoints, code) = code_from(&sim);
    sim.fault(
        json!({"path": "/oauth2/v2.0/token", "status": 429, "retry_after": "1.5", "count": 1}),
    );
    sim.fault(json!({"path": "/oauth2/v2.0/token", "status": 503, "count": 1}));
    sim.fault(json!({"path": "/oauth2/v2.0/token", "drop": true, "count": 1}));
    sim.approve(&code.user_code);
    let (tokens, events) = poll(&sim, &endpoints, &code);
    assert!(tokens.is_ok(), "{:?}", tokens.err());
    let retries = events
        .iter()
        .filter(|e| matches!(e.kind, flow::PollEventKind::Retrying { .. }))
        .count();
    assert_eq!(retries, 3, "{events:?}");
    sim.assert_fault_hits("/token", 3);
    let polls = token_polls(&sim);
    assert!(
        polls[1] - polls[0] >= 1500,
        "Retry-After 1.5 s was honoured: {polls:?}"
    );
}

#[test]
fn a_retry_after_beyond_the_deadline_ends_polling_at_once_with_exit_5() {
    let sim = quick_sim();
    let (endpoints, code) = code_from(&sim);
    sim.fault(
        json!({"path": "/oauth2/v2.0/token", "status": 429, "retry_after": "40", "count": 1}),
    );
    let started = std::time::Instant::now();
    // The code lives 300 s more: a client that waited 40 s would still be in time.
    let deadline = started + Duration::from_secs(300);
    let result = runtime().block_on(poll_for_tokens(
        &client(),
        &endpoints,
        &sim.info().client_id,
        &code,
        &scopes(),
        Some(deadline),
        &mut |_: &PollEvent| {},
    ));
    assert!(started.elapsed() < Duration::from_secs(30), "no 40 s wait");
    sim.assert_fault_hits("/token", 1);
    let error = assert_fails(result, 5, "throttled", "wait 40 s");
    assert!(error.message.contains("wait 40 s"), "{}", error.message);
    assert_eq!(token_polls(&sim).len(), 1, "never retried early");
}

#[test]
fn an_interval_of_0_is_polled_once_a_second() {
    let sim = TestSim::start();
    sim.control("/tenant", json!({"interval": 0, "expires_in": 30}));
    let (endpoints, code) = code_from(&sim);
    assert_eq!(code.interval, Duration::from_secs(1));
    let approver = approve_after_polls(&sim, &code.user_code, 3);
    let (tokens, _) = poll(&sim, &endpoints, &code);
    approver.join().unwrap();
    assert!(tokens.is_ok());
    let polls = token_polls(&sim);
    assert!(polls.len() >= 4, "{polls:?}");
    // Never sooner than a second apart (a slow machine can only make them further apart).
    let gaps: Vec<u64> = polls.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|&gap| gap >= 990), "{gaps:?}");
}

#[test]
fn polling_faster_than_the_interval_earns_the_simulators_slow_down() {
    // A client that ignores the interval (as if it read 0 and did not correct it) is told to
    // slow down by the simulated tenant itself, without an injected fault. Each slow_down makes
    // the tenant expect 5 s more (RFC 8628 §3.5) and the client adds 5 s to its own too-short
    // interval, so it never catches up: even an approved code is not redeemed before it expires.
    // An interval of 60 s that the client's polls (0.1 s, then 5.1 s apart) never meet, however
    // loaded the machine, and a code that outlives the third poll by more than 10 s.
    let sim = TestSim::start();
    sim.tenant(json!({"interval": 60, "expires_in": 16}));
    let (endpoints, mut code) = code_from(&sim);
    code.interval = Duration::from_millis(100);
    // Approved once the first poll (in time: there is no earlier one) has been answered.
    let approver = approve_after_polls(&sim, &code.user_code, 1);
    let (tokens, events) = poll(&sim, &endpoints, &code);
    approver.join().unwrap();
    assert!(tokens.is_err(), "a client polling too fast got tokens");
    let slow_downs = events
        .iter()
        .filter(|e| matches!(e.kind, flow::PollEventKind::SlowDown { .. }))
        .count();
    assert!(slow_downs >= 2, "{events:?}");
}

/// Who the access token acts for, as the client asks Graph (or userinfo).
fn whoami(endpoints: &Endpoints, tokens: &TokenSet) -> flow::Identity {
    runtime()
        .block_on(flow::whoami(
            &client(),
            endpoints,
            &tokens.access_token,
            quick_retries(),
        ))
        .unwrap()
}

fn signed_in(sim: &TestSim, endpoints: &Endpoints) -> TokenSet {
    let code = device_code(sim, endpoints).unwrap();
    sim.approve(&code.user_code);
    poll(sim, endpoints, &code).0.unwrap()
}

fn refresh(sim: &TestSim, endpoints: &Endpoints, token: &Secret) -> Result<TokenSet, Error> {
    runtime().block_on(flow::refresh(
        &client(),
        endpoints,
        &sim.info().client_id,
        token,
        &[],
        quick_retries(),
    ))
}

#[test]
fn refresh_rotates_and_the_old_token_is_refused_once_reuse_is_refused() {
    let sim = quick_sim();
    let endpoints = endpoints(&sim);
    let first = signed_in(&sim, &endpoints).refresh_token.unwrap();
    let second = refresh(&sim, &endpoints, &first)
        .unwrap()
        .refresh_token
        .unwrap();
    assert_ne!(first, second, "a new refresh token every time");
    sim.control("/tenant", json!({"reuse_refresh_token": "refuse"}));
    let error = refresh(&sim, &endpoints, &first).unwrap_err();
    assert_eq!(
        (error.exit_code(), error.code.as_str()),
        (4, "invalid_grant")
    );
    assert!(refresh(&sim, &endpoints, &second).is_ok());
}

#[test]
fn a_revoked_refresh_token_means_sign_in_again() {
    let sim = quick_sim();
    let endpoints = endpoints(&sim);
    let token = signed_in(&sim, &endpoints).refresh_token.unwrap();
    sim.control("/revoke", json!({}));
    let error = refresh(&sim, &endpoints, &token).unwrap_err();
    assert_eq!((error.exit_code(), error.aadsts), (4, Some(50173)));
    assert!(error.hint.unwrap().contains("onboard invite"));
}

#[test]
fn refresh_survives_a_503_and_gives_up_after_the_retries() {
    let sim = quick_sim();
    let endpoints = endpoints(&sim);
    let token = signed_in(&sim, &endpoints).refresh_token.unwrap();
    sim.fault(json!({"path": "/oauth2/v2.0/token", "status": 503, "count": 1}));
    assert!(refresh(&sim, &endpoints, &token).is_ok());
    sim.assert_fault_hits("/token", 1);
    sim.fault(json!({"path": "/oauth2/v2.0/token", "status": 503, "count": 3}));
    let error = refresh(&sim, &endpoints, &token).unwrap_err();
    sim.assert_fault_hits("/token", 1 + 3);
    assert_eq!(error.exit_code(), 5);
    assert!(error.message.contains("127.0.0.1"), "{}", error.message);
}

#[test]
fn identity_comes_from_userinfo_when_the_authority_is_not_microsofts() {
    let sim = quick_sim();
    let mut endpoints = endpoints(&sim);
    let tokens = signed_in(&sim, &endpoints);
    endpoints.graph = None;
    let identity = whoami(&endpoints, &tokens);
    assert_eq!(identity.source, "userinfo");
    assert!(identity.id.is_some());
}

#[test]
fn an_unknown_tenant_is_reported_as_such_with_the_aadsts90002_hint() {
    let sim = quick_sim();
    let base = sim.url("/nosuchtenant.onmicrosoft.com/v2.0");
    let authority = Authority::custom(Url::parse(&base).unwrap());
    let error = runtime()
        .block_on(discover(&client(), &authority))
        .unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert_eq!(error.aadsts, Some(90002));
    assert!(
        error.message.contains("nosuchtenant.onmicrosoft.com"),
        "{}",
        error.message
    );
    assert!(error.hint.unwrap().contains("--cloud"));
}

/// Faults on the device-code request: each ends with its exit code and a message naming the host.
#[test]
fn device_code_request_faults_end_with_their_exit_codes() {
    let sim = quick_sim();
    let endpoints = endpoints(&sim);
    let cases = [
        (json!({"status": 503}), 5, "failing"),
        (json!({"status": 429, "retry_after": "2"}), 5, "throttl"),
        (
            json!({"status": 200, "body": "<html><body>Proxy login</body></html>"}),
            5,
            "HTML",
        ),
        (
            json!({"status": 200, "body": "{\"user_code\":\"AB"}),
            5,
            "not valid JSON",
        ),
        (json!({"status": 502, "body": ""}), 5, "failing"),
        (json!({"drop": true}), 5, "127.0.0.1"),
    ];
    for (hits, (fault, exit, words)) in (1..).zip(cases) {
        let mut fault = fault;
        fault["path"] = json!("/oauth2/v2.0/devicecode");
        fault["count"] = json!(1);
        sim.control("/fault", fault.clone());
        let error = device_code(&sim, &endpoints).unwrap_err();
        assert_eq!(error.exit_code(), exit, "{fault}: {error:?}");
        assert!(error.message.contains(words), "{fault}: {}", error.message);
        assert!(
            error.message.contains("127.0.0.1"),
            "{fault}: {}",
            error.message
        );
        assert!(error.hint.is_some(), "{fault}");
        sim.assert_fault_hits("/devicecode", hits);
    }
}

#[test]
fn an_unknown_client_id_gets_the_registration_hint() {
    let sim = quick_sim();
    let endpoints = endpoints(&sim);
    let error = runtime()
        .block_on(request_device_code(
            &client(),
            &endpoints,
            "00000000-0000-0000-0000-000000000001",
            &scopes(),
        ))
        .unwrap_err();
    assert_eq!((error.exit_code(), error.aadsts), (2, Some(700016)));
    sim.control("/tenant", json!({"public_client": false}));
    let error = device_code(&sim, &endpoints).unwrap_err();
    assert_eq!((error.exit_code(), error.aadsts), (6, Some(7000218)));
    assert!(error.hint.unwrap().contains("Allow public client flows"));
}
