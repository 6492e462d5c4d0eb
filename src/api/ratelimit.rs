//! The hard client-side rate limit, `[client] rate_limit`: a token bucket shared by every request to one
//! workspace, for those who want a fixed ceiling on top of the adaptive pacing (`pacing`). It only waits; it
//! never fails a request.

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// A token bucket of `burst` tokens refilled at `per_second`.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    /// `per_second <= 0` means no limit.
    pub(crate) fn new(per_second: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        RateLimiter {
            per_second,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Wait until a request may be sent.
    pub(crate) async fn acquire(&self) {
        if self.per_second <= 0.0 {
            return;
        }
        let wait = {
            let mut state = self.state.lock().await;
            let (tokens, last) = &mut *state;
            let now = Instant::now();
            *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second)
                .min(self.burst);
            *last = now;
            // Take the token now (possibly going negative) and wait for the debt: requests are served in order.
            *tokens -= 1.0;
            if *tokens >= 0.0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64(-*tokens / self.per_second)
            }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_at_the_rate() {
        let rl = RateLimiter::new(10.0, 1);
        let start = Instant::now();
        for _ in 0..11 {
            rl.acquire().await;
        }
        // The first is free, the other ten wait 100 ms each.
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(999) && took < Duration::from_millis(1100),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn burst_allows_a_quick_start() {
        let rl = RateLimiter::new(10.0, 5);
        let start = Instant::now();
        for _ in 0..5 {
            rl.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(1));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_means_unlimited() {
        let rl = RateLimiter::new(0.0, 1);
        let start = Instant::now();
        for _ in 0..1000 {
            rl.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(1));
    }
}
