//! Retrying transient failures (network, 5xx, 429) a bounded number of times, with jittered
//! exponential backoff, honouring `Retry-After`; and the per-host throttle that concurrent work
//! shares, so that one `Retry-After` holds back every request to that host, not just one.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use super::host_of;
use crate::error::{Error, Kind};

/// A failed attempt: the error and, when the server said so, how long to wait.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub retry_after: Option<Duration>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            retry_after: None,
        }
    }
}

impl Failure {
    /// Network trouble, 5xx and 429 may pass; everything else will fail again the same way.
    pub fn is_transient(&self) -> bool {
        self.error.kind == Kind::Unreachable
    }
}

#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub base_delay: Duration,
    /// The longest backoff of onboard's own choosing; a server's `Retry-After` may be longer.
    pub max_delay: Duration,
    /// The longest the whole call may spend waiting to retry. A `Retry-After` that would go
    /// beyond it ends the call at once, saying how long the server asked to wait.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            // Entra's token endpoint is known to ask for 60 s: one such wait fits.
            budget: Duration::from_secs(90),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `failures + 1`: the server's `Retry-After` when given (never
    /// shortened: retrying early only earns more throttling), otherwise exponential backoff
    /// with ±25 % jitter so that many profiles do not retry in step.
    pub fn delay(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after;
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16));
        let jitter = 0.75 + 0.5 * random_fraction();
        exp.mul_f64(jitter).min(self.max_delay)
    }
}

fn random_fraction() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
        Err(_) => 0.5,
    }
}

/// The "not before" time of each host, shared by concurrent work (`validate --all`): when a
/// host answers `Retry-After`, every request to it waits until then. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Throttle {
    not_before: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Throttle {
    pub fn new() -> Throttle {
        Throttle::default()
    }

    /// Waits until `host` may be called again.
    pub async fn wait(&self, host: &str) {
        loop {
            let until = self
                .not_before
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(host)
                .copied();
            match until {
                // Another request may push the time further while this one sleeps: look again.
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => return,
            }
        }
    }

    /// Holds back every request to `host` for `delay` (never shortens an earlier hold).
    pub fn defer(&self, host: &str, delay: Duration) {
        let until = Instant::now() + delay;
        let mut map = self
            .not_before
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let entry = map.entry(host.to_owned()).or_insert(until);
        if *entry < until {
            *entry = until;
        }
    }
}

/// A retry policy and, for concurrent work, the throttle it shares and the host it calls.
/// A plain [`RetryPolicy`] converts into one without a throttle.
#[derive(Clone, Debug)]
pub struct Retries {
    pub policy: RetryPolicy,
    throttle: Option<Throttle>,
    host: Option<String>,
}

impl From<RetryPolicy> for Retries {
    fn from(policy: RetryPolicy) -> Retries {
        Retries {
            policy,
            throttle: None,
            host: None,
        }
    }
}

impl Retries {
    /// `policy`, with every host's `Retry-After` shared through `throttle`.
    pub fn shared(policy: RetryPolicy, throttle: Throttle) -> Retries {
        Retries {
            policy,
            throttle: Some(throttle),
            host: None,
        }
    }

    /// The same, for requests to `url`'s host.
    pub fn to(&self, url: &Url) -> Retries {
        Retries {
            host: Some(host_of(url)),
            ..self.clone()
        }
    }

    /// Waits until the host may be called (at once without a throttle).
    pub async fn wait_turn(&self) {
        if let (Some(throttle), Some(host)) = (&self.throttle, &self.host) {
            throttle.wait(host).await;
        }
    }

    fn defer(&self, delay: Duration) {
        if let (Some(throttle), Some(host)) = (&self.throttle, &self.host) {
            throttle.defer(host, delay);
        }
    }
}

/// Runs `attempt` until it succeeds, fails for good, or the attempts run out. With a shared
/// throttle, each attempt first waits for the host's turn, and a `Retry-After` holds the host
/// back for everyone.
pub async fn with_retries<T, F, Fut>(retries: impl Into<Retries>, attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    with_retries_told(retries, attempt, |_, _| {}).await
}

/// [`with_retries`], telling `waiting` about each wait (the failure and how long) before it
/// begins, for a command whose person should see why nothing happens.
pub async fn with_retries_told<T, F, Fut>(
    retries: impl Into<Retries>,
    mut attempt: F,
    mut waiting: impl FnMut(&Error, Duration),
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let retries = retries.into();
    let policy = retries.policy;
    let started = Instant::now();
    let mut failures = 0;
    loop {
        retries.wait_turn().await;
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(failure) => {
                failures += 1;
                if let Some(after) = failure.retry_after
                    && failure.is_transient()
                {
                    retries.defer(after);
                }
                if !failure.is_transient() {
                    return Err(failure.error);
                }
                if let Some(after) = failure.retry_after
                    && started.elapsed() + after > policy.budget
                {
                    return Err(wait_longer(failure.error, after));
                }
                if failures >= policy.attempts {
                    return Err(match failure.retry_after {
                        Some(after) => wait_longer(failure.error, after),
                        None => failure.error,
                    });
                }
                let delay = policy.delay(failures, failure.retry_after);
                tracing::info!(
                    "{}; retrying in {:.1} s",
                    failure.error.message,
                    delay.as_secs_f64()
                );
                waiting(&failure.error, delay);
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// The server asked for a wait onboard will not make: the failure, and how long to wait.
pub fn wait_longer(mut error: Error, retry_after: Duration) -> Error {
    let secs = retry_after.as_secs_f64().ceil();
    error.message = format!("{}; the server asks to wait {secs} s", error.message);
    error.hint = Some(format!(
        "wait {secs} s before running the command again (retrying sooner only prolongs the throttling)"
    ));
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            budget: Duration::from_secs(100),
        };
        let first = p.delay(1, None);
        assert!(first >= Duration::from_millis(750) && first <= Duration::from_millis(1250));
        let third = p.delay(3, None);
        assert!(third >= Duration::from_secs(3) && third <= Duration::from_secs(5));
        assert_eq!(p.delay(30, None), Duration::from_secs(10));
        assert_eq!(
            p.delay(1, Some(Duration::from_secs_f64(2.128))),
            Duration::from_secs_f64(2.128)
        );
        // The server's word is never shortened: Entra's token endpoint sends 60.
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(60))),
            Duration::from_secs(60)
        );
    }

    #[tokio::test]
    async fn a_retry_after_beyond_the_budget_stops_at_once_and_says_how_long() {
        let policy = RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            budget: Duration::from_secs(30),
        };
        let started = Instant::now();
        let mut calls = 0;
        let r: Result<(), Error> = with_retries(policy, || {
            calls += 1;
            async {
                Err(Failure {
                    error: Error::new(Code::Throttled, "login.example is throttling"),
                    retry_after: Some(Duration::from_secs(40)),
                })
            }
        })
        .await;
        let error = r.unwrap_err();
        assert_eq!((error.exit_code(), calls), (5, 1));
        assert!(started.elapsed() < Duration::from_secs(1), "no waiting");
        assert!(error.message.contains("wait 40 s"), "{}", error.message);
        assert!(error.hint.unwrap().contains("wait 40 s"));
    }

    #[tokio::test]
    async fn stops_at_the_first_permanent_failure_and_after_the_last_attempt() {
        let policy = RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            budget: Duration::from_secs(1),
        };
        let mut calls = 0;
        let r: Result<(), Error> = with_retries(policy, || {
            calls += 1;
            async { Err(Error::usage("bad").into()) }
        })
        .await;
        assert_eq!((r.unwrap_err().exit_code(), calls), (2, 1));
        let mut calls = 0;
        let r: Result<(), Error> = with_retries(policy, || {
            calls += 1;
            async { Err(Error::new(Code::Network, "down").into()) }
        })
        .await;
        assert_eq!((r.unwrap_err().exit_code(), calls), (5, 3));
    }

    // On tokio's paused clock: waits are exact, and a busy machine cannot blur "no wait".
    #[tokio::test(start_paused = true)]
    async fn a_retry_after_holds_the_host_back_for_everyone_sharing_the_throttle() {
        let throttle = Throttle::new();
        let url = Url::parse("https://graph.example/v1.0/me").unwrap();
        let retries = Retries::shared(RetryPolicy::default(), throttle.clone()).to(&url);
        let start = Instant::now();
        let mut calls = 0;
        let r: Result<u32, Error> = with_retries(retries.clone(), || {
            calls += 1;
            let first = calls == 1;
            async move {
                if first {
                    Err(Failure {
                        error: Error::new(Code::Throttled, "429"),
                        retry_after: Some(Duration::from_millis(200)),
                    })
                } else {
                    Ok(7)
                }
            }
        })
        .await;
        assert_eq!(r.unwrap(), 7);
        assert!(start.elapsed() >= Duration::from_millis(200));
        // Another profile calling the same host now waits for the rest of the hold...
        throttle.defer("graph.example", Duration::from_millis(300));
        let before = Instant::now();
        retries.wait_turn().await;
        assert!(before.elapsed() >= Duration::from_millis(300));
        // ...but not one calling another host.
        let other = Retries::shared(RetryPolicy::default(), throttle.clone())
            .to(&Url::parse("https://login.example/t").unwrap());
        throttle.defer("graph.example", Duration::from_secs(30));
        let before = Instant::now();
        other.wait_turn().await;
        assert_eq!(before.elapsed(), Duration::ZERO);
    }
}
