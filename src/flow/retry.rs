//! Retrying transient failures (network, 5xx, 429) a bounded number of times, with jittered
//! exponential backoff, honouring `Retry-After`.

use std::future::Future;
use std::time::Duration;

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
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `failures + 1`: the server's `Retry-After` when given (capped),
    /// otherwise exponential backoff with ±25 % jitter so that many profiles do not retry in step.
    pub fn delay(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_delay);
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

/// Runs `attempt` until it succeeds, fails for good, or the attempts run out.
pub async fn with_retries<T, F, Fut>(policy: RetryPolicy, mut attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let mut failures = 0;
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(failure) => {
                failures += 1;
                if !failure.is_transient() || failures >= policy.attempts {
                    return Err(failure.error);
                }
                let delay = policy.delay(failures, failure.retry_after);
                tracing::info!(
                    "{}; retrying in {:.1} s",
                    failure.error.message,
                    delay.as_secs_f64()
                );
                tokio::time::sleep(delay).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
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
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(999))),
            Duration::from_secs(10)
        );
    }

    #[tokio::test]
    async fn stops_at_the_first_permanent_failure_and_after_the_last_attempt() {
        let policy = RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
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
            async { Err(Error::new(Kind::Unreachable, "network", "down").into()) }
        })
        .await;
        assert_eq!((r.unwrap_err().exit_code(), calls), (5, 3));
    }
}
