//! Adaptive pacing per endpoint family: how fast the client sends the requests of one family (`GET jobs/list`,
//! `GET clusters/get`, ...), learnt from the workspace's answers. A family starts unpaced (only the client's
//! concurrency limits it) or at its published ceiling; a 429 or 503 holds the whole family for the server's
//! `Retry-After` and cuts its rate multiplicatively, once per congestion episode; successes raise it additively
//! (AIMD), never above the ceiling. Requests of a paced family are spaced evenly. It only waits; it never fails
//! a request and decides no retry (`retry` does).
//!
//! A congestion episode is a throttle of a request sent after the family's last decrease, while the family is
//! at or above its probe level: the rate it was sending at when it was last cut. A throttle below that level,
//! right after a cut, is taken as noise: the family still waits out the `Retry-After`, but its rate is not cut
//! again, so that sporadic 429s or 503s (a flaky gateway) do not drive it to the floor, while a real limit,
//! which throttles again only once the rate has climbed back past it, is met with a cut each time. Before its
//! first success a family has no rate to cut from: it only waits.
//!
//! Why not a fixed default rate: databricks-api.md §3 recommends a 15 requests/s token bucket (the Go SDK's
//! default), but issue 16 overrides it deliberately: that cap, not the API, set the pace of a large export. The
//! published per-endpoint limits stay as ceilings, and `[client] rate_limit` stays as a hard ceiling for the
//! whole workspace (`ratelimit`, default none).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Requests of a family in flight at first. After the family's first [`WINDOW`] without a throttle, each
/// success adds one more, up to the client's `max_concurrency`, until it is first throttled (a slow start, as
/// TCP's: a workspace that answers everything is read at the concurrency it serves). A workspace whose limit is
/// low meets at most this many requests before the family is paced; one that let a whole second of them
/// through at this concurrency has a limit high enough that the larger overshoot of a grown window is a small
/// share. 8 was drsync's fixed limit before issue 16, shared by the whole workspace then.
pub(crate) const INITIAL_IN_FLIGHT: usize = 8;

/// The window over which the rate a family achieved is measured.
const WINDOW: Duration = Duration::from_secs(1);
/// The multiplicative decrease: a throttled family goes on at this share of the rate it achieved.
const DECREASE: f64 = 0.7;
/// The additive increase, in requests per second gained per second of successes at the current rate.
const INCREASE: f64 = 1.0;
/// The lowest rate a decrease leads to, in requests per second: below it, the server's `Retry-After` holds do
/// the pacing.
const MIN_RATE: f64 = 2.0;

/// The endpoint family of a request: the method and the path without its `/api/2.x/` prefix (`GET jobs/list`),
/// except that every `permissions/...` path is one family per method, as the published limit is per workspace
/// for permissions (Databricks resource limits page, as quoted in issue 16). Paths outside `/api/` (the OAuth
/// and host metadata documents) are their own families.
pub(crate) fn family(method: &str, path: &str) -> String {
    let rest = path.trim_start_matches('/');
    let rest = match rest.strip_prefix("api/") {
        Some(after) => match after.split_once('/') {
            Some((version, rest)) if version.starts_with("2.") => rest,
            _ => after,
        },
        None => rest,
    };
    if rest == "permissions" || rest.starts_with("permissions/") {
        return format!("{method} permissions");
    }
    // Objects addressed by an id in the path: one family per endpoint, not per object.
    for base in ["pipelines/", "sql/warehouses/"] {
        if let Some(id_and_op) = rest.strip_prefix(base) {
            let op = id_and_op.split_once('/').map_or("", |(_, op)| op);
            return if op.is_empty() {
                format!("{method} {base}{{id}}")
            } else {
                format!("{method} {base}{{id}}/{op}")
            };
        }
    }
    format!("{method} {rest}")
}

/// The published limit of a family, in requests per second per workspace, where there is one: a ceiling the
/// pacing never exceeds. Source: Databricks resource limits page, as quoted in issue 16 (jobs/list and jobs/get
/// are not listed, so they have none).
pub(crate) fn ceiling(family: &str) -> Option<f64> {
    match family {
        "POST jobs/create" | "POST jobs/run-now" => Some(20.0),
        "GET jobs/runs/get" => Some(100.0),
        "POST jobs/runs/submit" => Some(35.0),
        "GET permissions" => Some(100.0),
        "PATCH permissions" => Some(30.0),
        _ => None,
    }
}

/// What an answer says about the pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feedback {
    /// A success: the rate may grow.
    Success,
    /// 429 or 503: too fast. `retry_after` is the server's `Retry-After`, capped by the client.
    Throttled { retry_after: Option<Duration> },
    /// Anything else (another error, a broken connection): says nothing about the pace.
    Neutral,
}

/// A request let through: when, so that a throttle answered to it can tell whether it was sent before the
/// family's last decrease (and so belongs to the episode already reacted to).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    sent: Instant,
}

/// One family's state.
#[derive(Debug)]
struct Family {
    /// Requests per second; `None`: unpaced (only the client's concurrency limits it).
    rate: Option<f64>,
    ceiling: Option<f64>,
    /// When a paced family may send its next request.
    next_slot: Instant,
    /// No request of the family is sent before this (the server's `Retry-After`).
    hold_until: Option<Instant>,
    /// The family's first request.
    first: Instant,
    /// When its rate was last decreased: throttles of requests sent before it belong to that episode.
    last_decrease: Option<Instant>,
    /// The rate it was sending at when it was last cut from a paced rate (see the module's documentation).
    probe_level: Option<f64>,
    /// Whether any request of the family has succeeded yet.
    succeeded: bool,
    /// Recent answers (success or throttle) and when they came, the last [`WINDOW`] of them.
    answers: VecDeque<(Instant, bool)>,
    /// Its requests in flight: `in_flight` permits, growing by one per success until the first throttle.
    window: Arc<Semaphore>,
    in_flight: usize,
    growing: bool,
}

impl Family {
    fn new(ceiling: Option<f64>, max_in_flight: usize, now: Instant) -> Self {
        let in_flight = INITIAL_IN_FLIGHT.min(max_in_flight).max(1);
        Family {
            window: Arc::new(Semaphore::new(in_flight)),
            in_flight,
            growing: true,
            rate: ceiling,
            ceiling,
            next_slot: now,
            hold_until: None,
            first: now,
            last_decrease: None,
            probe_level: None,
            succeeded: false,
            answers: VecDeque::new(),
        }
    }

    /// When the next request may go, as seen at `now`.
    fn ready_at(&self, now: Instant) -> Instant {
        let mut ready = now;
        if let Some(hold) = self.hold_until {
            ready = ready.max(hold);
        }
        if self.rate.is_some() {
            ready = ready.max(self.next_slot);
        }
        ready
    }

    /// Successes and answers per second over the last [`WINDOW`], counted over the whole window even when the
    /// family is younger: what a server let through in one second is about its limit (a token bucket lets its
    /// burst and its rate through, at most about twice its limit), while dividing the first moments' answers by
    /// a shorter span makes them look like any rate at all (30 answers in 80 ms would read as 375 per second).
    fn achieved(&mut self, now: Instant) -> (f64, f64) {
        self.forget_before(now);
        let span = WINDOW.as_secs_f64();
        let successes = self.answers.iter().filter(|(_, ok)| *ok).count();
        (successes as f64 / span, self.answers.len() as f64 / span)
    }

    fn record(&mut self, now: Instant, success: bool) {
        self.answers.push_back((now, success));
        self.succeeded |= success;
        self.forget_before(now);
    }

    fn forget_before(&mut self, now: Instant) {
        while self
            .answers
            .front()
            .is_some_and(|(t, _)| now.saturating_duration_since(*t) > WINDOW)
        {
            self.answers.pop_front();
        }
    }

    fn capped(&self, rate: f64) -> f64 {
        self.ceiling.map_or(rate, |c| rate.min(c))
    }
}

/// The pacing of every family of one workspace's requests.
#[derive(Debug)]
pub(crate) struct Pacer {
    families: Mutex<HashMap<String, Family>>,
    /// Requests of one family in flight at most (`max_concurrency`).
    max_in_flight: usize,
}

#[cfg(test)]
impl Default for Pacer {
    fn default() -> Self {
        Pacer::new(INITIAL_IN_FLIGHT)
    }
}

impl Pacer {
    /// Pacing with at most `max_in_flight` requests of one family in flight.
    pub(crate) fn new(max_in_flight: usize) -> Self {
        Pacer {
            families: Mutex::new(HashMap::new()),
            max_in_flight: max_in_flight.max(1),
        }
    }

    /// The concurrency limit of `family`'s requests: a request holds one of its permits while in flight.
    pub(crate) fn window(&self, family: &str) -> Arc<Semaphore> {
        let mut families = self.families.lock().expect("pacer poisoned");
        let max = self.max_in_flight;
        let f = families
            .entry(family.to_string())
            .or_insert_with(|| Family::new(ceiling(family), max, Instant::now()));
        Arc::clone(&f.window)
    }

    /// Wait until a request of `family` may be sent, and take its slot.
    pub(crate) async fn acquire(&self, family: &str) -> Ticket {
        loop {
            let wait = {
                let mut families = self.families.lock().expect("pacer poisoned");
                let max = self.max_in_flight;
                let now = Instant::now();
                let f = families
                    .entry(family.to_string())
                    .or_insert_with(|| Family::new(ceiling(family), max, now));
                let ready = f.ready_at(now);
                if ready <= now {
                    if let Some(rate) = f.rate {
                        // Even spacing: the next slot is one interval after this request, never earlier, so a
                        // family that was idle does not save up a burst.
                        f.next_slot = f.next_slot.max(now) + Duration::from_secs_f64(1.0 / rate);
                    }
                    return Ticket { sent: now };
                }
                ready - now
            };
            // Sleep, then look again: a hold or a decrease may have come in meanwhile.
            tokio::time::sleep(wait).await;
        }
    }

    /// Learn from the answer to a request of `family` that `ticket` let through.
    pub(crate) fn complete(&self, family: &str, ticket: Ticket, feedback: Feedback) {
        if feedback == Feedback::Neutral {
            return;
        }
        let mut families = self.families.lock().expect("pacer poisoned");
        let max = self.max_in_flight;
        let now = Instant::now();
        let f = families
            .entry(family.to_string())
            .or_insert_with(|| Family::new(ceiling(family), max, now));
        match feedback {
            Feedback::Neutral => {}
            Feedback::Success => {
                f.record(now, true);
                if f.growing
                    && f.in_flight < max
                    && now.saturating_duration_since(f.first) >= WINDOW
                {
                    f.in_flight += 1;
                    f.window.add_permits(1);
                }
                if let Some(rate) = f.rate {
                    // About INCREASE more per second while every request at this rate succeeds.
                    f.rate = Some(f.capped(rate + INCREASE / rate));
                }
            }
            Feedback::Throttled { retry_after } => {
                // The concurrency the workspace serves is found: from here on the rate paces the family.
                f.growing = false;
                if let Some(wait) = retry_after {
                    // The whole family waits, so the requests still queued do not each meet the same answer.
                    let until = now + wait;
                    f.hold_until = Some(f.hold_until.map_or(until, |h| h.max(until)));
                }
                f.record(now, false);
                // Requests sent before the last cut were answered for the rate it already cut.
                let after_the_last_cut = f.last_decrease.is_none_or(|d| ticket.sent > d);
                let at_probe_level = match (f.rate, f.probe_level) {
                    (Some(rate), Some(level)) => rate >= level,
                    _ => true,
                };
                if after_the_last_cut && at_probe_level && f.succeeded {
                    let (achieved, answered) = f.achieved(now);
                    // A family younger than the window has answered for only part of it, so its counts read
                    // as a fraction of what it sends: a paced family (one with a published ceiling, say) cuts
                    // from the rate it sends at then, and that is its probe level. Counted as achieved, a 429
                    // in the first 100 ms of a family paced at 100/s made it about 7/s, and sporadic 429s
                    // kept it there (issue 17's notes: reading grants took minutes under random 429s).
                    let young = now.saturating_duration_since(f.first) < WINDOW;
                    let (achieved, answered) = match f.rate {
                        Some(rate) if young => (rate, rate),
                        _ => (achieved, answered),
                    };
                    let from = f.rate.map_or(achieved, |r| r.min(achieved));
                    let rate = f.capped((from * DECREASE).max(MIN_RATE));
                    tracing::debug!(
                        family,
                        achieved,
                        rate,
                        retry_after_ms = retry_after.map(|d| d.as_millis() as u64),
                        "throttled: pacing the family"
                    );
                    if let Some(sending) = f.rate {
                        f.probe_level = Some(sending.min(answered));
                    }
                    f.rate = Some(rate);
                    f.last_decrease = Some(now);
                }
            }
        }
    }

    /// The current rate of `family`, `None` when unpaced (for tests and logs).
    #[cfg(test)]
    fn rate(&self, family: &str) -> Option<f64> {
        self.families
            .lock()
            .expect("pacer poisoned")
            .get(family)
            .and_then(|f| f.rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOBS_GET: &str = "GET jobs/get";

    #[test]
    fn families() {
        assert_eq!(family("GET", "/api/2.2/jobs/list"), "GET jobs/list");
        assert_eq!(family("GET", "/api/2.1/jobs/list"), "GET jobs/list");
        assert_eq!(family("GET", "/api/2.1/clusters/get"), "GET clusters/get");
        assert_eq!(
            family("GET", "/api/2.0/preview/scim/v2/Me"),
            "GET preview/scim/v2/Me"
        );
        assert_eq!(
            family("GET", "/api/2.0/permissions/jobs/123"),
            "GET permissions"
        );
        assert_eq!(
            family("PATCH", "/api/2.0/permissions/clusters/0923-x"),
            "PATCH permissions"
        );
        assert_eq!(family("POST", "/oidc/v1/token"), "POST oidc/v1/token");
        assert_eq!(
            family("GET", "/api/2.0/pipelines/1f6e2a7c-3b8d"),
            "GET pipelines/{id}"
        );
        assert_eq!(family("GET", "/api/2.0/pipelines"), "GET pipelines");
        assert_eq!(
            family("POST", "/api/2.0/sql/warehouses/4e8a/edit"),
            "POST sql/warehouses/{id}/edit"
        );
        assert_eq!(ceiling("POST jobs/create"), Some(20.0));
        assert_eq!(ceiling("GET permissions"), Some(100.0));
        assert_eq!(ceiling("PATCH permissions"), Some(30.0));
        assert_eq!(ceiling("GET jobs/list"), None);
        assert_eq!(ceiling("GET jobs/get"), None);
    }

    /// Let `n` requests of `family` through one after the other, each answered at once with `feedback`.
    async fn run(p: &Pacer, family: &str, n: usize, feedback: Feedback) {
        for _ in 0..n {
            let t = p.acquire(family).await;
            p.complete(family, t, feedback);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_starts_at_eight_grows_after_a_calm_second_and_stops_at_the_first_throttle() {
        let p = Pacer::new(64);
        let permits = |p: &Pacer| p.window(JOBS_GET).available_permits();
        assert_eq!(permits(&p), INITIAL_IN_FLIGHT);
        // The first second: no growth, however many succeed.
        run(&p, JOBS_GET, 500, Feedback::Success).await;
        assert_eq!(permits(&p), INITIAL_IN_FLIGHT);
        // Then one more per success, up to the maximum.
        tokio::time::advance(WINDOW).await;
        run(&p, JOBS_GET, 10, Feedback::Success).await;
        assert_eq!(permits(&p), INITIAL_IN_FLIGHT + 10);
        run(&p, JOBS_GET, 100, Feedback::Success).await;
        assert_eq!(permits(&p), 64);
        // A family throttled stays where it was.
        let other = "GET clusters/get";
        run(&p, other, 5, Feedback::Success).await;
        tokio::time::advance(WINDOW).await;
        run(&p, other, 3, Feedback::Success).await;
        run(&p, other, 1, Feedback::Throttled { retry_after: None }).await;
        run(&p, other, 50, Feedback::Success).await;
        assert_eq!(p.window(other).available_permits(), INITIAL_IN_FLIGHT + 3);
        // A lower maximum is the start, too.
        assert_eq!(Pacer::new(2).window(JOBS_GET).available_permits(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn unpaced_until_throttled() {
        let p = Pacer::default();
        let start = Instant::now();
        run(&p, JOBS_GET, 1000, Feedback::Success).await;
        assert!(start.elapsed() < Duration::from_millis(1));
        assert_eq!(p.rate(JOBS_GET), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_ceiling_paces_from_the_start() {
        let p = Pacer::default();
        let start = Instant::now();
        // 101 requests at 100/s: the first goes at once, the others 10 ms apart.
        run(&p, "GET permissions", 101, Feedback::Success).await;
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(999) && took < Duration::from_millis(1010),
            "{took:?}"
        );
        assert_eq!(p.rate("GET permissions"), Some(100.0), "never above it");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_holds_the_whole_family_and_the_rate_drops_from_what_was_achieved() {
        let p = Pacer::default();
        // 40 successes in the first second (40/s achieved), then a 429 with Retry-After: 2 s.
        for _ in 0..40 {
            let t = p.acquire(JOBS_GET).await;
            p.complete(JOBS_GET, t, Feedback::Success);
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let t = p.acquire(JOBS_GET).await;
        let throttled_at = Instant::now();
        p.complete(
            JOBS_GET,
            t,
            Feedback::Throttled {
                retry_after: Some(Duration::from_secs(2)),
            },
        );
        let rate = p.rate(JOBS_GET).unwrap();
        assert!((rate - 40.0 * DECREASE).abs() < 1.5, "{rate}");
        // Nothing of the family goes before the Retry-After has passed; another family is not held.
        p.acquire("GET clusters/get").await;
        assert_eq!(Instant::now(), throttled_at);
        p.acquire(JOBS_GET).await;
        assert_eq!(Instant::now() - throttled_at, Duration::from_secs(2));
        // Then requests are spaced evenly at the new rate: no burst after the hold.
        let start = Instant::now();
        p.acquire(JOBS_GET).await;
        let gap = start.elapsed().as_secs_f64();
        assert!((gap - 1.0 / rate).abs() < 0.002, "{gap} for {rate}/s");
    }

    #[tokio::test(start_paused = true)]
    async fn one_decrease_per_episode() {
        let p = Pacer::default();
        for _ in 0..50 {
            let t = p.acquire(JOBS_GET).await;
            p.complete(JOBS_GET, t, Feedback::Success);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Eight requests in flight together, all throttled: one decrease, not eight.
        let mut in_flight = Vec::new();
        for _ in 0..8 {
            in_flight.push(p.acquire(JOBS_GET).await);
        }
        let throttled = Feedback::Throttled {
            retry_after: Some(Duration::from_secs(1)),
        };
        for t in in_flight {
            p.complete(JOBS_GET, t, throttled);
        }
        let after_one = p.rate(JOBS_GET).unwrap();
        assert!((after_one - 50.0 * DECREASE).abs() < 1.5, "{after_one}");
        // A request sent after the decrease and throttled again starts a new episode.
        let t = p.acquire(JOBS_GET).await;
        p.complete(JOBS_GET, t, throttled);
        let after_two = p.rate(JOBS_GET).unwrap();
        assert!(after_two < after_one, "{after_two} < {after_one}");
        // However often it is throttled, it keeps the floor; the holds do the rest.
        for _ in 0..50 {
            let t = p.acquire(JOBS_GET).await;
            p.complete(JOBS_GET, t, throttled);
        }
        assert_eq!(p.rate(JOBS_GET), Some(MIN_RATE));
    }

    #[tokio::test(start_paused = true)]
    async fn successes_raise_the_rate_additively_up_to_the_ceiling() {
        let p = Pacer::default();
        run(&p, JOBS_GET, 1, Feedback::Success).await;
        run(&p, JOBS_GET, 1, Feedback::Throttled { retry_after: None }).await;
        let cut = p.rate(JOBS_GET).unwrap();
        // Ten seconds of successes at the current rate: about INCREASE more each second.
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            run(&p, JOBS_GET, 1, Feedback::Success).await;
        }
        let rate = p.rate(JOBS_GET).unwrap();
        assert!(
            (rate - (cut + 10.0 * INCREASE)).abs() < 1.0,
            "{cut} -> {rate}"
        );
        // Neutral answers change nothing.
        run(&p, JOBS_GET, 1, Feedback::Neutral).await;
        assert_eq!(p.rate(JOBS_GET), Some(rate));
        // A family with a ceiling never goes above it.
        run(&p, "PATCH permissions", 200, Feedback::Success).await;
        assert_eq!(p.rate("PATCH permissions"), Some(30.0));
    }

    #[tokio::test(start_paused = true)]
    async fn before_a_first_success_a_throttle_only_holds() {
        let p = Pacer::default();
        let t = p.acquire(JOBS_GET).await;
        p.complete(
            JOBS_GET,
            t,
            Feedback::Throttled {
                retry_after: Some(Duration::from_secs(1)),
            },
        );
        assert_eq!(p.rate(JOBS_GET), None, "no rate to cut from");
        let start = Instant::now();
        p.acquire(JOBS_GET).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(1),
            "but the hold holds"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_family_throttled_in_its_first_second_cuts_from_its_rate_and_rides_out_noise() {
        let p = Pacer::default();
        let family = "GET permissions";
        // 20 requests at the published 100/s (200 ms), then a 429: cut from 100/s, not from 20 answers a second.
        run(&p, family, 20, Feedback::Success).await;
        run(&p, family, 1, Feedback::Throttled { retry_after: None }).await;
        let cut = p.rate(family).unwrap();
        assert!((cut - 100.0 * DECREASE).abs() < 0.5, "{cut}");
        // Then a sporadic 429 among every eight answers, for a minute: noise below the probe level, and a cut
        // each time the rate has climbed back to it; the family stays near its ceiling, never near the floor.
        let start = Instant::now();
        let mut lowest = cut;
        while start.elapsed() < Duration::from_secs(60) {
            run(&p, family, 7, Feedback::Success).await;
            run(&p, family, 1, Feedback::Throttled { retry_after: None }).await;
            lowest = lowest.min(p.rate(family).unwrap());
        }
        assert!(lowest > 100.0 * DECREASE * DECREASE - 1.0, "{lowest}");
    }

    #[tokio::test(start_paused = true)]
    async fn throttles_below_the_probe_level_are_noise_until_the_rate_climbs_back() {
        let p = Pacer::default();
        let throttled = Feedback::Throttled { retry_after: None };
        // Unpaced at 100 successes a second, then cut to about 70/s.
        for _ in 0..100 {
            run(&p, JOBS_GET, 1, Feedback::Success).await;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        run(&p, JOBS_GET, 1, throttled).await;
        let first = p.rate(JOBS_GET).unwrap();
        assert!((first - 70.0).abs() < 2.0, "{first}");
        // A second of successes at that rate, then a throttle: cut again, from the paced rate (about 71/s),
        // which becomes the probe level.
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(1) {
            run(&p, JOBS_GET, 1, Feedback::Success).await;
        }
        let level = p.rate(JOBS_GET).unwrap();
        run(&p, JOBS_GET, 1, throttled).await;
        let second = p.rate(JOBS_GET).unwrap();
        assert!(second < level * 0.75, "{second} after {level}");
        // Throttles now, below the probe level, are noise: the rate keeps climbing.
        for _ in 0..20 {
            run(&p, JOBS_GET, 3, Feedback::Success).await;
            run(&p, JOBS_GET, 1, throttled).await;
        }
        let climbing = p.rate(JOBS_GET).unwrap();
        assert!(climbing > second, "{climbing} > {second}");
        // Back at the probe level, a throttle is congestion again.
        while p.rate(JOBS_GET).unwrap() < level {
            run(&p, JOBS_GET, 1, Feedback::Success).await;
        }
        run(&p, JOBS_GET, 1, throttled).await;
        let third = p.rate(JOBS_GET).unwrap();
        assert!(third < level * 0.75, "{third} after reaching {level}");
    }
}
