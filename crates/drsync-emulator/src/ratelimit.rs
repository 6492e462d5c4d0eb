//! The server-side rate limit (`--rate-limit N`): a token bucket per endpoint family, as a workspace limits
//! requests per workspace and per endpoint (databricks-api.md §3 "Rate limiting"), answering beyond it 429
//! `REQUEST_LIMIT_EXCEEDED` with `Retry-After`, and counting each refusal. It decides and counts only; it does
//! not sleep or answer.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use tokio::time::Instant;

/// The endpoint family a request counts against: the method and the path without its `/api/2.x/` prefix
/// (`GET jobs/list`, the same bucket for 2.1 and 2.2), except that every `permissions/...` path is one family
/// per method, as the published limit for permissions is per workspace (Databricks resource limits page, as
/// quoted in issue 16).
pub(crate) fn family(method: &str, path: &str) -> String {
    let mut rest = path.trim_start_matches('/');
    if let Some(after) = rest.strip_prefix("api/") {
        rest = match after.split_once('/') {
            Some((version, tail)) if version.starts_with("2.") => tail,
            _ => after,
        };
    }
    if rest.split('/').next() == Some("permissions") {
        format!("{method} permissions")
    } else {
        format!("{method} {rest}")
    }
}

/// Token buckets of `per_second` tokens a second, each holding at most one second's worth (`burst` =
/// `per_second`, at least 1): the emulator's model of a workspace's per-endpoint limit. A refused request takes
/// no token (a workspace does not document otherwise; this way a client that waits as told is let through).
#[derive(Debug)]
pub(crate) struct RateLimit {
    per_second: f64,
    burst: f64,
    /// Tokens left and when they were counted, per family.
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    /// Refusals, per `METHOD path`.
    refused: Mutex<BTreeMap<String, u64>>,
}

impl RateLimit {
    pub(crate) fn new(per_second: f64) -> Self {
        RateLimit {
            per_second,
            burst: per_second.max(1.0),
            buckets: Mutex::new(HashMap::new()),
            refused: Mutex::new(BTreeMap::new()),
        }
    }

    /// Take a token for a request to `METHOD path`; `Err(seconds)` when there is none, with the whole seconds
    /// until one is free (at least 1), for `Retry-After`.
    pub(crate) fn admit(&self, method: &str, path: &str) -> Result<(), u64> {
        let now = Instant::now();
        let verdict = {
            let mut buckets = self.buckets.lock().expect("rate limit poisoned");
            let (tokens, last) = buckets
                .entry(family(method, path))
                .or_insert((self.burst, now));
            *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second)
                .min(self.burst);
            *last = now;
            if *tokens >= 1.0 {
                *tokens -= 1.0;
                Ok(())
            } else {
                let secs = ((1.0 - *tokens) / self.per_second).ceil();
                Err((secs as u64).max(1))
            }
        };
        if verdict.is_err() {
            *self
                .refused
                .lock()
                .expect("rate limit poisoned")
                .entry(format!("{method} {path}"))
                .or_insert(0) += 1;
        }
        verdict
    }

    /// Requests refused so far, over every request or over those to `request` (`METHOD path`) only.
    pub(crate) fn refused(&self, request: Option<&str>) -> u64 {
        let refused = self.refused.lock().expect("rate limit poisoned");
        match request {
            None => refused.values().sum(),
            Some(r) => refused.get(r).copied().unwrap_or(0),
        }
    }

    /// Requests refused so far, per `METHOD path`.
    pub(crate) fn refused_by_path(&self) -> BTreeMap<String, u64> {
        self.refused.lock().expect("rate limit poisoned").clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn families() {
        assert_eq!(family("GET", "/api/2.2/jobs/list"), "GET jobs/list");
        assert_eq!(family("GET", "/api/2.1/jobs/list"), "GET jobs/list");
        assert_eq!(
            family("GET", "/api/2.0/permissions/jobs/12"),
            "GET permissions"
        );
        assert_eq!(
            family("PATCH", "/api/2.0/permissions/clusters/x"),
            "PATCH permissions"
        );
        assert_eq!(family("GET", "/api/2.1/clusters/get"), "GET clusters/get");
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_one_second_then_the_rate() {
        let rl = RateLimit::new(5.0);
        for _ in 0..5 {
            assert_eq!(rl.admit("GET", "/api/2.2/jobs/list"), Ok(()));
        }
        assert_eq!(rl.admit("GET", "/api/2.2/jobs/list"), Err(1));
        // Another family has its own bucket.
        assert_eq!(rl.admit("GET", "/api/2.1/clusters/get"), Ok(()));
        // One token every 200 ms; a refusal took none.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(rl.admit("GET", "/api/2.1/jobs/list"), Ok(()));
        assert_eq!(rl.admit("GET", "/api/2.2/jobs/list"), Err(1));
        assert_eq!(rl.refused(None), 2);
        assert_eq!(rl.refused(Some("GET /api/2.2/jobs/list")), 2);
        assert_eq!(rl.refused(Some("GET /api/2.1/jobs/list")), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_whole_seconds_until_a_token() {
        let rl = RateLimit::new(0.25);
        assert_eq!(rl.admit("GET", "/api/2.2/jobs/get"), Ok(()));
        // At 0.25/s the next token is 4 s away.
        assert_eq!(rl.admit("GET", "/api/2.2/jobs/get"), Err(4));
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(rl.admit("GET", "/api/2.2/jobs/get"), Err(2));
    }
}
