//! Entra's own answers, replayed through the binary: each answer of tests/data/entra/answers.json
//! (what Microsoft documents and users report Entra sending, see the README beside it) is
//! served by a loopback issuer ([`Hostile`], whose discovery and device-code answers are
//! honest) at the token endpoint, on the road it belongs to: a device-code sign-in
//! (`invite --non-interactive`) or a refresh (`validate` with a saved credential). Each must
//! end with the exit code and the hint the answer calls for, name the AADSTS code, show the
//! correlation ID once, and show no token. The hints are `classify::aadsts_advice`'s: the
//! corpus names only the portal step each must lead to.

use std::time::Duration;

use onboard::flow::classify::aadsts_advice;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::hostile::{Canned, Hostile, credential, invite_against, validate_exported};
use crate::support::onboarded::Run;
use crate::support::schema::{JsonOutput, parsed};

const REFRESH_TOKEN: &str = "refresh-token-secret-0815";
/// The device code [`Hostile::issuer`] hands out.
const DEVICE_CODE: &str = "device-code-secret-4711";

/// One answer of the corpus.
struct Answer {
    name: String,
    roads: Vec<String>,
    sources: Vec<String>,
    provenance: String,
    expect: Value,
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn canned(&self) -> Canned {
        Canned {
            status: self.status,
            headers: self.headers.clone(),
            body: self.body.to_string(),
        }
    }

    /// The AADSTS code Entra names first, if any.
    fn code(&self) -> Option<u32> {
        self.body["error_codes"][0]
            .as_u64()
            .and_then(|c| u32::try_from(c).ok())
    }

    fn continues(&self) -> bool {
        self.expect["continues"] == true
    }
}

fn corpus() -> Vec<Answer> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/entra/answers.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("the corpus is JSON");
    doc["answers"]
        .as_array()
        .expect("an `answers` array")
        .iter()
        .map(|a| Answer {
            name: a["name"].as_str().expect("a name").to_owned(),
            roads: a["roads"]
                .as_array()
                .expect("roads")
                .iter()
                .map(|r| r.as_str().expect("a road").to_owned())
                .collect(),
            sources: a["sources"]
                .as_array()
                .expect("sources")
                .iter()
                .map(|s| s.as_str().expect("a URL").to_owned())
                .collect(),
            provenance: a["provenance"].as_str().expect("a provenance").to_owned(),
            expect: a["expect"].clone(),
            status: a["status"]
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .expect("a status"),
            headers: a["headers"]
                .as_object()
                .expect("headers")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("a header value").to_owned()))
                .collect(),
            body: a["body"].clone(),
        })
        .collect()
}

fn answer(name: &str) -> Answer {
    corpus()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no answer {name} in the corpus"))
}

/// The answers replayed on `road` (`device_code` or `refresh_token`).
fn on_road(road: &str) -> Vec<Answer> {
    let answers: Vec<Answer> = corpus()
        .into_iter()
        .filter(|a| a.roads.iter().any(|r| r == road))
        .collect();
    assert!(answers.len() >= 10, "the corpus has answers for {road}");
    answers
}

/// A loopback issuer that plays Entra: its discovery document names `msgraph_host` (its own
/// port) as Entra's does, and its device-code endpoint answers honestly.
fn entra() -> Hostile {
    let issuer = Hostile::issuer();
    issuer.route(
        "/.well-known/openid-configuration",
        Canned::json(
            200,
            issuer.discovery(json!({"msgraph_host": issuer.base().trim_start_matches("http://")})),
        ),
    );
    issuer
}

/// `onboard invite --non-interactive` against `issuer`.
fn invite(issuer: &Hostile, json: bool, timeout: &str) -> (Run, TempDir) {
    let mut extra = vec!["--timeout", timeout];
    if json {
        extra.push("--json");
    }
    invite_against(&issuer.authority(), &extra)
}

/// `onboard validate` with a saved credential for `issuer`, onboarded with `scopes`.
fn validate(issuer: &Hostile, json: bool, scopes: &[&str]) -> (Run, TempDir) {
    let mut saved: Value =
        serde_json::from_str(&credential(&issuer.authority(), REFRESH_TOKEN)).unwrap();
    saved["scopes"] = json!(scopes);
    validate_exported(&saved.to_string(), if json { &["--json"] } else { &[] })
}

/// The error object a `--json` run printed: `invite`'s `error` event, `validate`'s profile's.
fn json_error(run: &Run, road: &str) -> Value {
    if road == "device_code" {
        return run
            .event("error")
            .unwrap_or_else(|| panic!("no error event: {}", run.describe()));
    }
    let out = parsed(run.stdout.trim(), JsonOutput::Validate);
    let error = &out["profiles"][0]["error"];
    if error.is_object() {
        error.clone()
    } else {
        out["error"].clone()
    }
}

/// The `client-request-id` the run sent with its token requests (the same GUID throughout).
fn sent_request_id(issuer: &Hostile) -> String {
    let seen = issuer.seen();
    let token = seen
        .iter()
        .rev()
        .find(|s| s.path.ends_with("/token"))
        .expect("a token request");
    assert_eq!(
        token.header("return-client-request-id"),
        Some("true"),
        "{token:?}"
    );
    token
        .header("client-request-id")
        .expect("a client-request-id")
        .to_owned()
}

/// What `answer` must lead to: (exit code, error code, a hint fragment, the whole hint from
/// the one source of hints when the code has a row there).
fn expected(answer: &Answer, road: &str) -> (i32, String, String, Option<&'static str>) {
    if road == WITHOUT_USER_READ && answer.code().is_some_and(refuses_a_scope) {
        // validate asked for User.Read, which the profile never had: it says so.
        return (
            6,
            answer.body["error"].as_str().unwrap().to_owned(),
            "needs User.Read".into(),
            None,
        );
    }
    let exit = answer.expect["exit"]
        .as_i64()
        .and_then(|e| i32::try_from(e).ok())
        .unwrap_or_else(|| panic!("{}: no expected exit code", answer.name));
    let step = answer.expect["step"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no expected hint fragment", answer.name))
        .to_owned();
    let own_code = answer.expect["code"].as_str();
    let code = own_code
        .unwrap_or_else(|| answer.body["error"].as_str().expect("an error word"))
        .to_owned();
    // Where onboard has a row for the code, the corpus's expectation must be that row's: its
    // exit code, and a hint that names the portal step. A road that answers in words of its
    // own (`code`) has its own hint.
    let own_hint = own_code.is_some() || answer.expect["own_hint"].is_string();
    let source = match answer.code().and_then(aadsts_advice) {
        Some((kind, hint)) if !own_hint => {
            assert_eq!(
                kind.exit_code(),
                exit,
                "{}: the row's exit code",
                answer.name
            );
            assert!(
                hint.contains(&step),
                "{}: the row's hint does not name {step:?}: {hint}",
                answer.name
            );
            Some(hint)
        }
        _ => None,
    };
    (exit, code, step, source)
}

/// The refresh road with a profile onboarded without Graph's User.Read, which validate asks for.
const WITHOUT_USER_READ: &str = "refresh_token without User.Read";

/// A refusal of a requested scope: consent is missing, or the registration does not list it.
fn refuses_a_scope(code: u32) -> bool {
    onboard::flow::classify::is_approval_code(code) || matches!(code, 650056 | 650057)
}

/// Checks one finished run against `answer`'s expectations.
fn check(answer: &Answer, road: &str, json: bool, run: &Run, issuer: &Hostile) {
    let what = format!("{} on {road}, json {json}\n{}", answer.name, run.describe());
    let (exit, code, step, source) = expected(answer, road);
    assert_eq!(run.code, Some(exit), "{what}");
    let id = sent_request_id(issuer);
    if answer.expect["fresh_code"] == true {
        // A fresh code after each expiry, until --timeout: the last answer's IDs are gone,
        // and this run's client request ID (Entra's correlation ID) is the handle.
        let codes = issuer
            .seen()
            .iter()
            .filter(|s| s.path.ends_with("/devicecode"))
            .count();
        assert!(codes >= 2, "no fresh code: {what}");
        if json {
            let error = json_error(run, road);
            assert_eq!(error["code"], code.as_str(), "{what}");
            assert_eq!(error["client_request_id"], id.as_str(), "{what}");
            assert!(
                error["hint"].as_str().unwrap_or_default().contains(&step),
                "{what}"
            );
        } else {
            let all = format!("{}\n{}", run.stdout, run.stderr);
            assert_eq!(
                all.matches(&id).count(),
                1,
                "the client request ID once: {what}"
            );
            assert!(
                all.lines()
                    .any(|l| l.trim_start().starts_with("hint:") && l.contains(&step)),
                "{what}"
            );
        }
        return;
    }
    let trace = answer.body["trace_id"].as_str().expect("a trace ID");
    let all = format!("{}\n{}", run.stdout, run.stderr);
    for secret in [
        REFRESH_TOKEN,
        DEVICE_CODE,
        "access-token",
        "rotated-refresh",
    ] {
        assert!(!all.contains(secret), "{secret} shown: {what}");
    }
    // Entra's trailer is not shown: the IDs are, from their own fields.
    for label in ["Trace ID:", "Correlation ID:", "Timestamp:"] {
        assert!(!all.contains(label), "{label} shown: {what}");
    }
    let aadsts = answer.code().map(|c| format!("AADSTS{c}"));
    let hint = if json {
        let error = json_error(run, road);
        assert_eq!(error["exit_code"], exit, "{what}");
        assert_eq!(error["code"], code.as_str(), "{what}");
        if let Some(aadsts) = &aadsts {
            assert_eq!(error["aadsts"], aadsts.as_str(), "{what}");
        }
        assert_eq!(error["correlation_id"], id.as_str(), "{what}");
        assert_eq!(error["client_request_id"], id.as_str(), "{what}");
        assert_eq!(error["trace_id"], trace, "{what}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            !message.contains(&id) && !message.contains(trace),
            "the message repeats an ID: {what}"
        );
        error["hint"].as_str().unwrap_or_default().to_owned()
    } else {
        // invite: the error on stderr and a `hint:` line; validate: one line on stdout,
        // the hint after `fix:`.
        let line = all
            .lines()
            .find(|l| l.contains("refused"))
            .unwrap_or_else(|| panic!("no error line: {what}"));
        if let Some(aadsts) = &aadsts {
            assert!(line.contains(aadsts.as_str()), "{what}");
        }
        assert_eq!(
            all.matches(&id).count(),
            1,
            "the correlation ID once: {what}"
        );
        assert_eq!(all.matches(trace).count(), 1, "the trace ID once: {what}");
        let hint = all
            .lines()
            .find(|l| l.trim_start().starts_with("hint:"))
            .or_else(|| line.split_once("; fix: ").map(|(_, hint)| hint))
            .unwrap_or_else(|| panic!("no hint: {what}"));
        hint.to_owned()
    };
    assert!(hint.contains(&step), "the hint lacks {step:?}: {what}");
    if let Some(source) = source {
        assert!(
            hint.contains(source),
            "not the row's hint {source:?}: {what}"
        );
    }
    // Entra's error page for the code is named where onboard has no advice of its own.
    if let Some(code) = answer.code()
        && aadsts_advice(code).is_none()
        && answer.expect["code"].is_null()
    {
        assert!(
            hint.contains(&format!("AADSTS{code}")),
            "the hint names the code: {what}"
        );
    }
}

/// Every final answer a device-code sign-in can meet, each as Entra sends it while the wizard
/// polls: the run ends at once with the answer's exit code, code, hint and IDs.
#[test]
fn device_code_sign_ins_end_as_entras_answers_call_for() {
    for answer in on_road("device_code").iter().filter(|a| !a.continues()) {
        for json in [true, false] {
            let issuer = entra();
            issuer.route("/token", answer.canned());
            let fresh_code = answer.expect["fresh_code"] == true;
            let (run, dir) = invite(&issuer, json, if fresh_code { "4s" } else { "50s" });
            check(answer, "device_code", json, &run, &issuer);
            assert!(
                !dir.path().join("profiles.json").exists(),
                "{}: saved a profile",
                answer.name
            );
            let polls = issuer
                .seen()
                .iter()
                .filter(|s| s.path.ends_with("/token"))
                .count();
            if !fresh_code {
                assert_eq!(polls, 1, "{}: polled on after a final answer", answer.name);
            }
        }
    }
}

/// Entra's answers to a refresh, each as `validate` meets it with a saved credential: one
/// onboarded with the default scopes, and one without Graph's User.Read (which validate asks
/// for), where only a refusal of a scope means the profile cannot be checked.
#[test]
fn refreshes_end_as_entras_answers_call_for() {
    for answer in on_road("refresh_token") {
        for (road, scopes) in [
            (
                "refresh_token",
                &["openid", "profile", "offline_access", "User.Read"][..],
            ),
            (WITHOUT_USER_READ, &["openid", "offline_access"][..]),
        ] {
            for json in [true, false] {
                let issuer = entra();
                issuer.route("/token", answer.canned());
                let (run, _dir) = validate(&issuer, json, scopes);
                check(&answer, road, json, &run, &issuer);
            }
        }
    }
}

/// `authorization_pending` and `slow_down` are no ends: polling goes on (after `slow_down`,
/// 5 s slower), until Entra's next answer ends it.
#[test]
fn pending_and_slow_down_keep_the_device_code_sign_in_polling() {
    let last = answer("authorization_declined");
    for answer in on_road("device_code").iter().filter(|a| a.continues()) {
        let issuer = entra();
        issuer.route_once("/token", answer.canned());
        issuer.route("/token", last.canned());
        let (run, _dir) = invite(&issuer, true, "50s");
        check(&last, "device_code", true, &run, &issuer);
        let polls: Vec<_> = issuer
            .seen()
            .into_iter()
            .filter(|s| s.path.ends_with("/token"))
            .collect();
        assert_eq!(polls.len(), 2, "{}: {}", answer.name, run.describe());
        if let Some(slower) = answer.expect["slower_by_secs"].as_u64() {
            // The issuer's interval is 1 s.
            let gap = polls[1].at - polls[0].at;
            assert!(
                gap >= Duration::from_secs(1 + slower) - Duration::from_millis(100),
                "{}: the next poll came after {gap:?}",
                answer.name
            );
        }
    }
}

/// The corpus is what its README says: every answer names its sources and provenance, sends
/// Entra's headers, and has the body fields Entra sends; every code onboarding meets is in it.
#[test]
fn the_corpus_has_every_code_onboarding_meets() {
    let answers = corpus();
    for a in &answers {
        assert!(
            !a.sources.is_empty() && a.sources.iter().all(|s| s.starts_with("https://")),
            "{}: its sources",
            a.name
        );
        assert!(
            a.provenance.starts_with("documented:") || a.provenance.starts_with("assembled:"),
            "{}: documented or assembled",
            a.name
        );
        let raw = &a.body;
        assert!(raw["error"].is_string(), "{}", a.name);
        for field in [
            "error_description",
            "timestamp",
            "trace_id",
            "correlation_id",
        ] {
            assert!(raw[field].is_string(), "{}: no {field}", a.name);
        }
        let header = |name: &str| a.headers.iter().any(|(n, _)| n == name);
        assert!(
            header("content-type") && header("x-ms-request-id") && header("client-request-id"),
            "{}",
            a.name
        );
    }
    let codes: Vec<u32> = answers.iter().filter_map(Answer::code).collect();
    for code in [
        50105, 7000112, 650056, 650057, 90120, 50097, 530003, 530084, 70043, 50078, 50079, 500011,
        53003, 65001, 90093, 7000218, 700016, 90002, 70000, 50173, 50076,
    ] {
        assert!(codes.contains(&code), "AADSTS{code} is not in the corpus");
    }
    for word in [
        "authorization_pending",
        "slow_down",
        "authorization_declined",
        "expired_token",
        "bad_verification_code",
    ] {
        assert!(
            answers.iter().any(|a| a.body["error"] == word),
            "{word} is not in the corpus"
        );
    }
}
