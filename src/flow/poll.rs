//! Polling the token endpoint until the user has signed in (RFC 8628 §3.4-3.5).
//!
//! `decide` is the whole policy, a pure function from "what the server said" to "what to do
//! next", tested by tables. `poll_for_tokens` is the driver: it sleeps, sends, and reports
//! every poll to the caller. Dropping its future cancels it.

use std::time::{Duration, Instant};

use reqwest::Client;

use super::classify::Grant;
use super::device::DeviceCode;
use super::tokens::{TokenReply, TokenSet, post_token};
use crate::authority::Endpoints;
use crate::error::{Code, Error, Kind, Result};
use crate::http::{Failure, wait_longer};
use crate::oauth::OAuthError;

const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §3.5: on `slow_down` the interval grows by 5 s, for this and all later polls.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Transient failures wait longer each time, never beyond this.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What one poll came back with, already sorted.
#[derive(Debug)]
pub enum Observation {
    Tokens,
    Pending,
    SlowDown,
    /// The server has given its final answer (declined, expired, bad code, ...).
    Terminal(Error),
    /// The network or server failed; it may pass while the code is alive.
    Transient {
        error: Error,
        retry_after: Option<Duration>,
    },
}

#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    PollAfter(Duration),
    Finish,
    Stop(Error),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollState {
    pub interval: Duration,
    pub expires_in: Duration,
    /// When the caller gives up (its `--timeout`), counted like `expires_in` from the code's
    /// issue; `None`: only the code's lifetime counts.
    pub budget: Option<Duration>,
    /// Transient failures in a row.
    pub failures: u32,
}

impl PollState {
    pub fn new(code: &DeviceCode, deadline: Option<Instant>) -> PollState {
        PollState {
            interval: code.interval,
            expires_in: code.expires_in,
            budget: deadline.map(|d| d.saturating_duration_since(code.issued_at)),
            failures: 0,
        }
    }
}

/// The polling policy. `elapsed` is the time since the code was issued.
pub fn decide(state: &mut PollState, observation: Observation, elapsed: Duration) -> Decision {
    let wait = match observation {
        Observation::Tokens => return Decision::Finish,
        Observation::Terminal(error) => return Decision::Stop(error),
        Observation::Pending => {
            state.failures = 0;
            state.interval
        }
        Observation::SlowDown => {
            state.failures = 0;
            state.interval += SLOW_DOWN_STEP;
            state.interval
        }
        Observation::Transient { error, retry_after } => {
            state.failures += 1;
            let backoff = state
                .interval
                .saturating_mul(1 << (state.failures - 1).min(6))
                .min(MAX_BACKOFF);
            // Never sooner than the interval, whatever Retry-After says; never sooner than
            // Retry-After either, however long it is.
            let wait = retry_after.unwrap_or(backoff).max(state.interval);
            // The caller's budget ends the wait; so does a code that will be dead when the
            // server lets onboard back (Retry-After), or is already.
            let past_budget = state.budget.is_some_and(|b| elapsed + wait >= b);
            let past_code = match retry_after {
                Some(_) => elapsed + wait >= state.expires_in,
                None => elapsed >= state.expires_in,
            };
            if past_budget || past_code {
                return Decision::Stop(match retry_after {
                    Some(after) => wait_longer(error, after),
                    None => error,
                });
            }
            wait
        }
    };
    // RFC 8628 leaves expiry to the server (`expired_token`). A code that was alive at this
    // poll gets one more, even when that one falls past `expires_in`: a sign-in finished in
    // the last interval (longer after `slow_down`) is not lost. The grace is that one
    // interval; a code still pending at or past its lifetime gets no further poll.
    if elapsed >= state.expires_in {
        return Decision::Stop(code_expired());
    }
    Decision::PollAfter(wait)
}

/// The code ran out while polling: the same failure as the server's `expired_token`.
fn code_expired() -> Error {
    let mut error = Error::classified(
        Kind::SignInAgain,
        Code::OAuth(OAuthError::ExpiredToken),
        "the code expired before sign-in finished",
    )
    .with_hint("request a new code (run `onboard invite` again) and sign in within the time shown");
    error.oauth = Some(OAuthError::ExpiredToken);
    error
}

/// What the caller sees after each poll, to drive a spinner or a log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollEvent {
    /// Polls sent so far.
    pub polls: u32,
    /// Time left on the code.
    pub remaining: Duration,
    /// The wait before the next poll.
    pub next_poll_in: Duration,
    pub kind: PollEventKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PollEventKind {
    Pending,
    SlowDown { interval: Duration },
    Retrying { reason: String },
}

/// Polls until tokens arrive, the server gives a final answer, or the code expires (the server
/// says so, or one poll past `expires_in` still finds it pending). The first
/// poll waits one interval, like every later one: no request is ever sent faster. A server
/// that asks (Retry-After) for a wait beyond `deadline` ends the polling at once.
pub async fn poll_for_tokens(
    client: &Client,
    endpoints: &Endpoints,
    client_id: &str,
    code: &DeviceCode,
    scopes: &[String],
    deadline: Option<Instant>,
    on_event: &mut (dyn FnMut(&PollEvent) + Send),
) -> Result<TokenSet> {
    let form = [
        ("grant_type", DEVICE_CODE_GRANT),
        ("client_id", client_id),
        ("device_code", code.device_code.expose()),
    ];
    drive(
        code,
        deadline,
        || post_token(client, endpoints, client_id, &form, scopes),
        on_event,
    )
    .await
    .map_err(|error| super::classify::for_the_tenant_admin(error, endpoints))
}

/// The polling loop, with the request as a parameter so that tests can run it on tokio's paused
/// clock. Time is read from tokio's clock, which is the system's outside tests.
async fn drive<F, Fut>(
    code: &DeviceCode,
    deadline: Option<Instant>,
    mut send: F,
    on_event: &mut (dyn FnMut(&PollEvent) + Send),
) -> Result<TokenSet>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<TokenReply>>,
{
    let mut state = PollState::new(code, deadline);
    let mut wait = state.interval;
    let mut polls = 0;
    let started = tokio::time::Instant::now();
    let age_at_start = code.issued_at.elapsed();
    loop {
        tokio::time::sleep(wait).await;
        polls += 1;
        let (observation, tokens) = observe(send().await);
        let kind = match &observation {
            Observation::Pending => PollEventKind::Pending,
            Observation::SlowDown => PollEventKind::SlowDown {
                interval: state.interval + SLOW_DOWN_STEP,
            },
            Observation::Transient { error, .. } => PollEventKind::Retrying {
                reason: error.message.clone(),
            },
            Observation::Tokens | Observation::Terminal(_) => PollEventKind::Pending,
        };
        let elapsed = age_at_start + started.elapsed();
        match decide(&mut state, observation, elapsed) {
            Decision::Finish => {
                return tokens.ok_or_else(|| Error::unexpected("tokens without a token set"));
            }
            Decision::Stop(error) => return Err(error),
            Decision::PollAfter(next) => {
                wait = next;
                on_event(&PollEvent {
                    polls,
                    remaining: code.expires_in.saturating_sub(elapsed),
                    next_poll_in: next,
                    kind,
                });
            }
        }
    }
}

fn observe(reply: Result<TokenReply>) -> (Observation, Option<TokenSet>) {
    match reply {
        Err(error) if error.kind == Kind::Unreachable => (
            Observation::Transient {
                error,
                retry_after: None,
            },
            None,
        ),
        Err(error) => (Observation::Terminal(error), None),
        Ok(TokenReply::OAuth { body, .. }) if body.error == OAuthError::AuthorizationPending => {
            (Observation::Pending, None)
        }
        Ok(TokenReply::OAuth { body, .. }) if body.error == OAuthError::SlowDown => {
            (Observation::SlowDown, None)
        }
        Ok(reply) => match reply.into_result_for(Grant::DeviceCode) {
            Ok(tokens) => (Observation::Tokens, Some(tokens)),
            Err(Failure { error, retry_after }) => {
                if error.kind == Kind::Unreachable {
                    (Observation::Transient { error, retry_after }, None)
                } else {
                    (Observation::Terminal(error), None)
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
    use url::Url;

    use super::*;
    use crate::flow::tokens::sort_reply;
    use crate::http::Reply;
    use crate::secret::Secret;

    fn state(interval: u64, expires_in: u64) -> PollState {
        PollState {
            interval: Duration::from_secs(interval),
            expires_in: Duration::from_secs(expires_in),
            budget: None,
            failures: 0,
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn transient(retry_after: Option<f64>) -> Observation {
        Observation::Transient {
            error: Error::classified(
                Kind::Unreachable,
                Code::OAuth(OAuthError::ServerError),
                "login.example is failing",
            ),
            retry_after: retry_after.map(Duration::from_secs_f64),
        }
    }

    fn terminal(code: &str, kind: Kind) -> Observation {
        Observation::Terminal(Error::classified(kind, Code::OAuth(code.into()), code))
    }

    /// Every polling answer of docs/protocol.md, row by row.
    #[test]
    fn each_server_answer_has_its_next_step() {
        let mut s = state(5, 900);
        assert_eq!(
            decide(&mut s, Observation::Pending, secs(5)),
            Decision::PollAfter(secs(5))
        );
        assert_eq!(
            decide(&mut s, Observation::Tokens, secs(10)),
            Decision::Finish
        );
        for (code, kind) in [
            ("authorization_declined", Kind::SignInAgain),
            ("access_denied", Kind::SignInAgain),
            ("expired_token", Kind::SignInAgain),
            ("code_expired", Kind::SignInAgain),
            ("bad_verification_code", Kind::Unexpected),
            ("invalid_grant", Kind::SignInAgain),
        ] {
            match decide(&mut state(5, 900), terminal(code, kind), secs(5)) {
                Decision::Stop(e) => assert_eq!(e.code, code),
                other => panic!("{code}: {other:?}"),
            }
        }
    }

    #[test]
    fn slow_down_adds_five_seconds_and_keeps_them() {
        let mut s = state(5, 900);
        assert_eq!(
            decide(&mut s, Observation::SlowDown, secs(5)),
            Decision::PollAfter(secs(10))
        );
        assert_eq!(
            decide(&mut s, Observation::Pending, secs(15)),
            Decision::PollAfter(secs(10))
        );
        assert_eq!(
            decide(&mut s, Observation::SlowDown, secs(25)),
            Decision::PollAfter(secs(15))
        );
        assert_eq!(s.interval, secs(15));
    }

    #[test]
    fn transient_failures_back_off_but_never_poll_faster_than_the_interval() {
        let mut s = state(5, 900);
        assert_eq!(
            decide(&mut s, transient(None), secs(5)),
            Decision::PollAfter(secs(5))
        );
        assert_eq!(
            decide(&mut s, transient(None), secs(10)),
            Decision::PollAfter(secs(10))
        );
        assert_eq!(
            decide(&mut s, transient(None), secs(20)),
            Decision::PollAfter(secs(20))
        );
        // Retry-After shorter than the interval still waits the interval.
        assert_eq!(
            decide(&mut s, transient(Some(0.5)), secs(40)),
            Decision::PollAfter(secs(5))
        );
        // A fractional Retry-After above the interval is honoured.
        assert_eq!(
            decide(&mut s, transient(Some(7.25)), secs(45)),
            Decision::PollAfter(Duration::from_secs_f64(7.25))
        );
        // Success resets the backoff.
        assert_eq!(
            decide(&mut s, Observation::Pending, secs(60)),
            Decision::PollAfter(secs(5))
        );
        assert_eq!(s.failures, 0);
        for _ in 0..20 {
            let _ = decide(&mut s, transient(None), secs(61));
        }
        assert_eq!(
            decide(&mut s, transient(None), secs(62)),
            Decision::PollAfter(MAX_BACKOFF)
        );
    }

    #[test]
    fn a_long_retry_after_is_waited_in_full_unless_it_passes_the_budget() {
        // Entra's token endpoint is known to ask for 60 s: that is the wait, not 30.
        let mut s = state(5, 900);
        assert_eq!(
            decide(&mut s, transient(Some(60.0)), secs(5)),
            Decision::PollAfter(secs(60))
        );
        // The caller's --timeout is 40 s after the code was issued: stop now, saying how long.
        let mut s = state(5, 900);
        s.budget = Some(secs(40));
        match decide(&mut s, transient(Some(60.0)), secs(5)) {
            Decision::Stop(e) => {
                assert_eq!(e.exit_code(), 5);
                assert!(e.message.contains("wait 60 s"), "{}", e.message);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_code_alive_at_this_poll_gets_one_more_and_none_after_its_lifetime() {
        // RFC 8628 leaves expiry to the server: the poll after the last interval is sent,
        // even when it falls past `expires_in`, so a sign-in finished meanwhile is not lost.
        for (elapsed, interval) in [(896, 5), (899, 5), (895, 30)] {
            assert_eq!(
                decide(
                    &mut state(interval, 900),
                    Observation::Pending,
                    secs(elapsed)
                ),
                Decision::PollAfter(secs(interval)),
                "{elapsed}"
            );
        }
        // After slow_down, the longer interval is the grace.
        let mut s = state(5, 900);
        assert_eq!(
            decide(&mut s, Observation::SlowDown, secs(898)),
            Decision::PollAfter(secs(10))
        );
        // Still pending at or past its lifetime: the code is dead, nothing more is sent.
        for elapsed in [900, 903, 1000] {
            match decide(&mut state(5, 900), Observation::Pending, secs(elapsed)) {
                Decision::Stop(e) => {
                    assert_eq!((e.code.as_str(), e.exit_code()), ("expired_token", 4))
                }
                other => panic!("{elapsed}: {other:?}"),
            }
        }
        // A dropped connection just before expiry also gets its one more poll.
        assert_eq!(
            decide(&mut state(5, 900), transient(None), secs(898)),
            Decision::PollAfter(secs(5))
        );
        // A server outage that outlives the code reports the outage, not a bare expiry.
        match decide(&mut state(5, 900), transient(Some(30.0)), secs(880)) {
            Decision::Stop(e) => assert_eq!(e.exit_code(), 5),
            other => panic!("{other:?}"),
        }
    }

    // ---- the driver, on tokio's paused clock: sleeps take no time, and each poll's time is exact

    const PENDING: &str = r#"{"error":"authorization_pending","error_codes":[70016]}"#;
    const SLOW_DOWN: &str = r#"{"error":"slow_down"}"#;
    const TOKENS: &str =
        r#"{"access_token":"at","refresh_token":"rt","expires_in":3600,"scope":"User.Read"}"#;

    fn answer(status: u16, body: &str, retry_after: Option<&str>) -> Result<Reply> {
        let mut headers = HeaderMap::new();
        if let Some(value) = retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        }
        Ok(Reply {
            url: Url::parse("https://login.example/tenant/oauth2/v2.0/token").unwrap(),
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.as_bytes().to_vec().into(),
        })
    }

    fn connection_dropped() -> Result<Reply> {
        Err(Error::new(
            Code::Network,
            "login.example closed the connection",
        ))
    }

    fn device_code(interval: u64, expires_in: u64) -> DeviceCode {
        DeviceCode {
            user_code: "ABCDEFGHI".into(),
            device_code: Secret::new("device-code"),
            verification_uri: Url::parse("https://login.example/devicelogin").unwrap(),
            verification_uri_complete: None,
            expires_in: secs(expires_in),
            interval: secs(interval),
            message: None,
            issued_at: std::time::Instant::now(),
        }
    }

    /// What the driver did against a token endpoint that gives `answers` in order.
    struct Run {
        result: Result<TokenSet>,
        /// When each poll was sent, from the start.
        polls: Vec<Duration>,
        events: Vec<PollEvent>,
        /// When the driver returned.
        ended: Duration,
    }

    async fn run(code: &DeviceCode, answers: Vec<Result<Reply>>) -> Run {
        let start = tokio::time::Instant::now();
        let answers = RefCell::new(VecDeque::from(answers));
        let polls = RefCell::new(Vec::new());
        let mut events = Vec::new();
        let result = drive(
            code,
            None,
            || {
                polls.borrow_mut().push(start.elapsed());
                let answer = answers
                    .borrow_mut()
                    .pop_front()
                    .expect("a poll after the token endpoint's last scripted answer");
                async move { answer.map(|reply| sort_reply(reply, &[])) }
            },
            &mut |e: &PollEvent| events.push(e.clone()),
        )
        .await;
        Run {
            result,
            polls: polls.into_inner(),
            events,
            ended: start.elapsed(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_poll_waits_one_interval_and_none_follows_the_tokens() {
        let code = device_code(5, 900);
        let run = run(
            &code,
            vec![
                answer(400, PENDING, None),
                answer(400, PENDING, None),
                answer(200, TOKENS, None),
            ],
        )
        .await;
        assert_eq!(run.result.unwrap().scopes, ["User.Read"]);
        assert_eq!(run.polls, [secs(5), secs(10), secs(15)]);
        assert_eq!(run.ended, secs(15), "no wait after the tokens");
        let kinds: Vec<_> = run.events.iter().map(|e| e.kind.clone()).collect();
        assert_eq!(kinds, [PollEventKind::Pending, PollEventKind::Pending]);
        assert_eq!(run.events[1].polls, 2);
        // The code's age counts from its arrival: 10 s of polling and the instant before it.
        let remaining = run.events[1].remaining;
        assert!(
            remaining <= secs(890) && remaining > secs(889),
            "{remaining:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn slow_down_adds_five_seconds_to_this_and_every_later_poll() {
        let code = device_code(5, 900);
        let run = run(
            &code,
            vec![
                answer(400, PENDING, None),
                answer(400, SLOW_DOWN, None),
                answer(400, PENDING, None),
                answer(200, TOKENS, None),
            ],
        )
        .await;
        assert!(run.result.is_ok());
        assert_eq!(run.polls, [secs(5), secs(10), secs(20), secs(30)]);
        assert_eq!(
            run.events[1].kind,
            PollEventKind::SlowDown { interval: secs(10) }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_outages_and_dropped_connections_back_off_until_tokens_arrive() {
        let code = device_code(5, 900);
        let run = run(
            &code,
            vec![
                answer(429, "", Some("7.5")),
                answer(503, "<html>Service Unavailable</html>", None),
                connection_dropped(),
                answer(200, TOKENS, None),
            ],
        )
        .await;
        assert!(run.result.is_ok(), "{:?}", run.result.err());
        // Retry-After 7.5 s (above the interval) is honoured; then 2× and 4× the interval.
        assert_eq!(
            run.polls,
            [
                secs(5),
                Duration::from_millis(12_500),
                Duration::from_millis(22_500),
                Duration::from_millis(42_500)
            ]
        );
        assert!(
            run.events
                .iter()
                .all(|e| matches!(e.kind, PollEventKind::Retrying { .. })),
            "{:?}",
            run.events
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_driver_stops_after_one_poll_past_the_codes_lifetime() {
        let code = device_code(5, 12);
        let run = run(
            &code,
            vec![
                answer(400, PENDING, None),
                answer(400, PENDING, None),
                answer(400, PENDING, None),
            ],
        )
        .await;
        let error = run.result.unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.exit_code()),
            ("expired_token", 4)
        );
        assert_eq!(run.polls, [secs(5), secs(10), secs(15)]);
        assert_eq!(run.ended, secs(15), "no wait after the last poll");
    }

    #[tokio::test(start_paused = true)]
    async fn a_sign_in_finished_in_the_last_interval_is_not_lost() {
        // Code of 12 s, interval 5: polls at 5 and 10 are pending; the person finishes at 11.
        let last = run(
            &device_code(5, 12),
            vec![
                answer(400, PENDING, None),
                answer(400, PENDING, None),
                answer(200, TOKENS, None),
            ],
        )
        .await;
        assert!(last.result.is_ok(), "{:?}", last.result.err());
        assert_eq!(last.polls, [secs(5), secs(10), secs(15)]);
        // Longer after slow_down: code of 22 s; slow_down at 10 makes the interval 10, so the
        // poll at 20 is pending and the last one, at 30, brings the tokens.
        let slowed = run(
            &device_code(5, 22),
            vec![
                answer(400, PENDING, None),
                answer(400, SLOW_DOWN, None),
                answer(400, PENDING, None),
                answer(200, TOKENS, None),
            ],
        )
        .await;
        assert!(slowed.result.is_ok(), "{:?}", slowed.result.err());
        assert_eq!(slowed.polls, [secs(5), secs(10), secs(20), secs(30)]);
        // The server has the last word: its expired_token ends the polling as it is.
        let expired = r#"{"error":"expired_token","error_codes":[70019]}"#;
        let ended = run(
            &device_code(5, 12),
            vec![
                answer(400, PENDING, None),
                answer(400, PENDING, None),
                answer(400, expired, None),
            ],
        )
        .await;
        assert_eq!(ended.result.unwrap_err().code, "expired_token");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_device_code_with_an_unknown_code_says_where_to_look_it_up() {
        // No refresh token exists yet: the hint must not speak of one.
        let refused = r#"{"error":"invalid_grant","error_description":"AADSTS9999999: Something new.","error_codes":[9999999]}"#;
        let run = run(&device_code(5, 900), vec![answer(400, refused, None)]).await;
        let error = run.result.unwrap_err();
        let hint = error.hint.unwrap_or_default();
        assert!(
            hint.contains("https://login.microsoftonline.com/error?code=9999999"),
            "{hint}"
        );
        assert!(!hint.contains("refresh token"), "{hint}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_final_answer_ends_polling_at_once() {
        let code = device_code(5, 900);
        let declined = r#"{"error":"authorization_declined","error_codes":[65004]}"#;
        let run = run(
            &code,
            vec![answer(400, PENDING, None), answer(400, declined, None)],
        )
        .await;
        let error = run.result.unwrap_err();
        assert_eq!(error.code, "authorization_declined");
        assert_eq!(run.polls, [secs(5), secs(10)]);
    }
}
