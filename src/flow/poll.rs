//! Polling the token endpoint until the user has signed in (RFC 8628 §3.4-3.5).
//!
//! `decide` is the whole policy, a pure function from "what the server said" to "what to do
//! next", tested by tables. `poll_for_tokens` is the driver: it sleeps, sends, and reports
//! every poll to the caller. Dropping its future cancels it.

use std::time::{Duration, Instant};

use reqwest::Client;

use super::device::DeviceCode;
use super::tokens::{TokenReply, TokenSet, post_token};
use crate::authority::Endpoints;
use crate::error::{Error, Kind, Result};
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
            let limit = state
                .budget
                .map_or(state.expires_in, |b| b.min(state.expires_in));
            if elapsed + wait >= limit {
                return Decision::Stop(match retry_after {
                    Some(after) => wait_longer(error, after),
                    None => error,
                });
            }
            wait
        }
    };
    if elapsed + wait >= state.expires_in {
        return Decision::Stop(code_expired());
    }
    Decision::PollAfter(wait)
}

/// The code ran out while polling: the same failure as the server's `expired_token`.
fn code_expired() -> Error {
    let mut error = Error::new(
        Kind::SignInAgain,
        OAuthError::ExpiredToken.as_str(),
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

/// Polls until tokens arrive, the server gives a final answer, or the code expires. The first
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
    let mut state = PollState::new(code, deadline);
    let mut wait = state.interval;
    let mut polls = 0;
    let form = [
        ("grant_type", DEVICE_CODE_GRANT),
        ("client_id", client_id),
        ("device_code", code.device_code.expose()),
    ];
    loop {
        tokio::time::sleep(wait).await;
        polls += 1;
        let (observation, tokens) =
            observe(post_token(client, &endpoints.token, &form, scopes).await);
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
        let elapsed = code.issued_at.elapsed();
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
        Err(error) => (
            Observation::Transient {
                error,
                retry_after: None,
            },
            None,
        ),
        Ok(TokenReply::OAuth { body, .. }) if body.error == OAuthError::AuthorizationPending => {
            (Observation::Pending, None)
        }
        Ok(TokenReply::OAuth { body, .. }) if body.error == OAuthError::SlowDown => {
            (Observation::SlowDown, None)
        }
        Ok(reply) => match reply.into_result() {
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
    use super::*;

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
            error: Error::new(
                Kind::Unreachable,
                "server_error",
                "login.example is failing",
            ),
            retry_after: retry_after.map(Duration::from_secs_f64),
        }
    }

    fn terminal(code: &str, kind: Kind) -> Observation {
        Observation::Terminal(Error::new(kind, code, code))
    }

    /// entra-facts.md §2, row by row.
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
    fn nothing_is_sent_after_the_code_expires() {
        let mut s = state(5, 900);
        match decide(&mut s, Observation::Pending, secs(896)) {
            Decision::Stop(e) => assert_eq!((e.code.as_str(), e.exit_code()), ("expired_token", 4)),
            other => panic!("{other:?}"),
        }
        // A server outage that outlives the code reports the outage, not a bare expiry.
        match decide(&mut state(5, 900), transient(Some(30.0)), secs(880)) {
            Decision::Stop(e) => assert_eq!(e.exit_code(), 5),
            other => panic!("{other:?}"),
        }
    }
}
