//! The retry policy: which failures are worth another attempt, and how long to wait before it.
//! Pure decisions only (no sleeping, no I/O), so the policy is unit-tested exactly.

use std::time::Duration;

/// What happened to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// The server answered with this status (and maybe `Retry-After`, in seconds).
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// The connection could not be made: the request never reached the server.
    ConnectFailed,
    /// The request may have reached the server, but no complete answer came back (reset, timeout, cut body).
    Interrupted,
}

/// The retry policy's settings.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    /// Attempts at most, the first included.
    pub(crate) max_attempts: u32,
    /// First backoff step; later ones double, up to `max_backoff`.
    pub(crate) base_backoff: Duration,
    /// Longest backoff step.
    pub(crate) max_backoff: Duration,
    /// Longest `Retry-After` honoured.
    pub(crate) retry_after_cap: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: 8,
            base_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            retry_after_cap: Duration::from_secs(60),
        }
    }
}

impl Policy {
    /// Whether to try again after attempt number `attempt` (1-based) ended as `what`, and after how long.
    /// `idempotent` is true for GETs; POSTs are retried only when the server certainly did nothing
    /// (429, 503, or no connection at all). `jitter` is a number in [0, 1) from the caller's RNG.
    pub(crate) fn next_delay(
        &self,
        attempt: u32,
        what: Attempt,
        idempotent: bool,
        jitter: f64,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let retry_after = match what {
            Attempt::Status {
                status: 429 | 503,
                retry_after,
            } => retry_after,
            Attempt::Status {
                status: 500 | 502 | 504,
                ..
            } if idempotent => None,
            Attempt::Status { .. } => return None,
            Attempt::ConnectFailed => None,
            Attempt::Interrupted if idempotent => None,
            Attempt::Interrupted => return None,
        };
        if let Some(secs) = retry_after {
            // The server said how long; add a little jitter so that parallel callers do not return together.
            let wait = Duration::from_secs(secs).min(self.retry_after_cap);
            return Some(wait + Duration::from_millis((jitter * 100.0) as u64));
        }
        // Exponential backoff with "equal jitter": half fixed, half random.
        let exp = self
            .base_backoff
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(self.max_backoff);
        Some(exp / 2 + exp.mul_f64(jitter / 2.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, retry_after: Option<u64>) -> Attempt {
        Attempt::Status {
            status,
            retry_after,
        }
    }

    #[test]
    fn which_failures_are_retried() {
        let p = Policy::default();
        // Rate limiting and unavailability: any method.
        assert!(p.next_delay(1, status(429, None), false, 0.0).is_some());
        assert!(p.next_delay(1, status(503, None), false, 0.0).is_some());
        // Server errors: GET only.
        for s in [500, 502, 504] {
            assert!(p.next_delay(1, status(s, None), true, 0.0).is_some(), "{s}");
            assert!(
                p.next_delay(1, status(s, None), false, 0.0).is_none(),
                "{s}"
            );
        }
        // Client errors and auth failures: never.
        for s in [400, 401, 403, 404, 409] {
            assert!(p.next_delay(1, status(s, None), true, 0.0).is_none(), "{s}");
        }
        // No connection at all: safe for any method. A broken answer: GET only.
        assert!(p
            .next_delay(1, Attempt::ConnectFailed, false, 0.0)
            .is_some());
        assert!(p.next_delay(1, Attempt::Interrupted, true, 0.0).is_some());
        assert!(p.next_delay(1, Attempt::Interrupted, false, 0.0).is_none());
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let p = Policy::default();
        assert_eq!(
            p.next_delay(1, status(429, Some(2)), true, 0.0),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            p.next_delay(1, status(429, Some(3600)), true, 0.0),
            Some(Duration::from_secs(60))
        );
        let jittered = p.next_delay(1, status(429, Some(2)), true, 0.99).unwrap();
        assert!(jittered > Duration::from_secs(2) && jittered < Duration::from_millis(2100));
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = Policy::default();
        let d = |attempt, jitter| {
            p.next_delay(attempt, status(500, None), true, jitter)
                .unwrap()
        };
        assert_eq!(d(1, 0.0), Duration::from_millis(125));
        assert_eq!(d(2, 0.0), Duration::from_millis(250));
        assert_eq!(d(3, 0.0), Duration::from_millis(500));
        assert!(d(1, 0.999) < Duration::from_millis(250));
        assert_eq!(d(7, 0.0), Duration::from_secs(5));
        assert!(d(7, 0.999) <= Duration::from_secs(10));
    }

    #[test]
    fn attempts_are_bounded() {
        let p = Policy {
            max_attempts: 3,
            ..Policy::default()
        };
        assert!(p.next_delay(2, status(503, None), true, 0.0).is_some());
        assert!(p.next_delay(3, status(503, None), true, 0.0).is_none());
    }
}
