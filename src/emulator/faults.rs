//! Fault injection: latency, error statuses with `Retry-After`, connection resets and truncated bodies.
//! Decisions are deterministic under a seed: the n-th request for the same method and path always meets the
//! same fate, whatever the order in which concurrent requests arrive.

use super::error::Error;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// What an injected fault does to a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this HTTP status (429 and 503 carry `Retry-After`).
    Status(u16),
    /// Close the connection without an answer.
    Reset,
    /// Send a 200 whose JSON body is cut off halfway.
    Truncate,
}

/// One `--fault KIND:RATE[:PATH_PREFIX]` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// What happens.
    pub kind: FaultKind,
    /// The share of matching requests it happens to, from 0.0 to 1.0.
    pub rate: f64,
    /// Only requests whose path starts with this; all requests when `None`.
    pub path_prefix: Option<String>,
}

impl std::str::FromStr for Fault {
    type Err = Error;

    /// Parse `429:0.3`, `500:1.0:/api/2.1/clusters/list`, `reset:0.1` or `truncate:0.2:/api/2.2/jobs`.
    fn from_str(spec: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::Spec {
            what: "fault",
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let mut parts = spec.splitn(3, ':');
        let kind =
            match parts.next().unwrap_or_default() {
                "reset" => FaultKind::Reset,
                "truncate" => FaultKind::Truncate,
                s => match s.parse::<u16>() {
                    Ok(code) if (400..600).contains(&code) => FaultKind::Status(code),
                    _ => return Err(bad(
                        "the kind must be an HTTP status from 400 to 599, `reset` or `truncate`",
                    )),
                },
            };
        let rate = parts
            .next()
            .ok_or_else(|| bad("expected KIND:RATE[:PATH_PREFIX]"))?
            .parse::<f64>()
            .ok()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or_else(|| bad("the rate must be a number from 0.0 to 1.0"))?;
        let path_prefix = match parts.next() {
            None => None,
            Some(p) if p.starts_with('/') => Some(p.to_string()),
            Some(_) => return Err(bad("the path prefix must start with `/`")),
        };
        Ok(Fault {
            kind,
            rate,
            path_prefix,
        })
    }
}

/// The fault rules and the per-request counters that make them deterministic.
#[derive(Debug)]
pub(crate) struct Injector {
    faults: Vec<Fault>,
    seed: u64,
    counters: Mutex<HashMap<String, u64>>,
}

impl Injector {
    pub(crate) fn new(faults: Vec<Fault>, seed: u64) -> Self {
        Injector {
            faults,
            seed,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// The fault, if any, for this request. The first matching rule whose dice roll hits wins.
    pub(crate) fn decide(&self, method: &str, path: &str) -> Option<FaultKind> {
        if self.faults.is_empty() {
            return None;
        }
        let key = format!("{method} {path}");
        let n = {
            let mut counters = self.counters.lock().expect("fault counters poisoned");
            let c = counters.entry(key.clone()).or_insert(0);
            *c += 1;
            *c
        };
        for (i, fault) in self.faults.iter().enumerate() {
            if let Some(prefix) = &fault.path_prefix {
                if !path.starts_with(prefix.as_str()) {
                    continue;
                }
            }
            if unit_roll(self.seed, &key, n, i) < fault.rate {
                return Some(fault.kind);
            }
        }
        None
    }
}

/// A number in [0, 1) determined by the seed, the request key, its ordinal and the rule.
fn unit_roll(seed: u64, key: &str, n: u64, rule: usize) -> f64 {
    // SipHash with fixed keys: stable across runs and platforms for the same inputs.
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new_with_keys(seed, 0x6472_7379_6e63);
    key.hash(&mut h);
    n.hash(&mut h);
    rule.hash(&mut h);
    // 53 bits of mantissa.
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let f: Fault = "429:0.3".parse().unwrap();
        assert_eq!(f.kind, FaultKind::Status(429));
        assert!((f.rate - 0.3).abs() < 1e-9);
        assert_eq!(f.path_prefix, None);
        let f: Fault = "500:1.0:/api/2.1/clusters/list".parse().unwrap();
        assert_eq!(f.path_prefix.as_deref(), Some("/api/2.1/clusters/list"));
        assert_eq!("reset:0.5".parse::<Fault>().unwrap().kind, FaultKind::Reset);
        assert_eq!(
            "truncate:1".parse::<Fault>().unwrap().kind,
            FaultKind::Truncate
        );
        for bad in ["", "429", "429:2", "200:0.5", "x:0.1", "429:0.1:api"] {
            assert!(bad.parse::<Fault>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn deterministic_and_close_to_rate() {
        let faults = vec!["429:0.3".parse().unwrap()];
        let a = Injector::new(faults.clone(), 7);
        let b = Injector::new(faults, 7);
        let run = |inj: &Injector| {
            (0..1000)
                .map(|_| inj.decide("GET", "/api/2.2/jobs/list").is_some())
                .collect::<Vec<_>>()
        };
        let (ra, rb) = (run(&a), run(&b));
        assert_eq!(ra, rb);
        let hits = ra.iter().filter(|x| **x).count();
        assert!((230..370).contains(&hits), "hits = {hits}");
    }

    #[test]
    fn prefix_limits_the_rule() {
        let inj = Injector::new(vec!["500:1.0:/api/2.1/clusters/list".parse().unwrap()], 1);
        assert_eq!(
            inj.decide("GET", "/api/2.1/clusters/list"),
            Some(FaultKind::Status(500))
        );
        assert_eq!(inj.decide("GET", "/api/2.2/jobs/list"), None);
    }
}
