//! Fault injection: error statuses with `Retry-After`, connection resets, truncated bodies and slow replies,
//! each counted as it is injected (so a test can show that the faults it asked for fired), and changes made to
//! the workspace at a given request (so a test can change it while a listing runs, at a known point).
//! Decisions are deterministic under a seed: the n-th request for the same method and path always meets the
//! same fate, whatever the order in which concurrent requests arrive.

use super::error::Error;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::Duration;

/// What an injected fault does to a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this HTTP status (429 and 503 carry `Retry-After`).
    Status(u16),
    /// Close the connection without an answer.
    Reset,
    /// Send a 200 whose JSON body is cut off halfway.
    Truncate,
    /// Answer as usual, but only after this long (a slow or stuck server).
    Delay(Duration),
}

impl FaultKind {
    /// The kind as `--fault` names it and the fault counters count it: `429`, `reset`, `truncate`, `delay`.
    pub fn name(&self) -> String {
        match self {
            FaultKind::Status(code) => code.to_string(),
            FaultKind::Reset => "reset".to_string(),
            FaultKind::Truncate => "truncate".to_string(),
            FaultKind::Delay(_) => "delay".to_string(),
        }
    }
}

/// A change made to the workspace just before a given request is answered: what a concurrent user (or another
/// process) does while drsync reads the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Delete this job (as `jobs/delete` does).
    DeleteJob(i64),
    /// Delete this cluster for good, with its libraries (as `clusters/permanent-delete` does).
    DeleteCluster(String),
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

    /// Parse `429:0.3`, `500:1.0:/api/2.1/clusters/list`, `reset:0.1`, `truncate:0.2:/api/2.2/jobs` or
    /// `delay=5000:1.0:/api/2.2/jobs/list` (milliseconds).
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
                s => match (s.strip_prefix("delay="), s.parse::<u16>()) {
                    (Some(ms), _) => match ms.parse::<u64>() {
                        Ok(ms) => FaultKind::Delay(Duration::from_millis(ms)),
                        Err(_) => return Err(bad("a delay is `delay=MILLISECONDS`")),
                    },
                    (None, Ok(code)) if (400..600).contains(&code) => FaultKind::Status(code),
                    _ => return Err(bad(
                        "the kind must be an HTTP status from 400 to 599, `reset`, `truncate` or `delay=MILLISECONDS`",
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

/// The fault rules and the per-request counters that make them deterministic, what was injected, and the
/// changes still to make.
#[derive(Debug)]
pub(crate) struct Injector {
    faults: Mutex<Vec<Fault>>,
    seed: u64,
    counters: Mutex<HashMap<String, u64>>,
    /// Faults injected, by kind name and `METHOD path`.
    injected: Mutex<BTreeMap<(String, String), u64>>,
    /// Changes to make before answering the n-th request to `METHOD path`.
    changes: Mutex<Vec<(String, u64, Change)>>,
}

impl Injector {
    pub(crate) fn new(faults: Vec<Fault>, seed: u64) -> Self {
        Injector {
            faults: Mutex::new(faults),
            seed,
            counters: Mutex::new(HashMap::new()),
            injected: Mutex::new(BTreeMap::new()),
            changes: Mutex::new(Vec::new()),
        }
    }

    /// Replace the fault rules (a workspace that starts or stops failing).
    pub(crate) fn set_faults(&self, faults: Vec<Fault>) {
        *self.faults.lock().expect("faults poisoned") = faults;
    }

    /// Make `change` just before the `n`-th request to `request` (`METHOD path`, counted from 1) is answered.
    pub(crate) fn change_at(&self, request: &str, n: u64, change: Change) {
        self.changes
            .lock()
            .expect("changes poisoned")
            .push((request.to_string(), n, change));
    }

    /// The changes due at the `n`-th request to `request`, taken out of the list (each is made once).
    pub(crate) fn changes_due(&self, request: &str, n: u64) -> Vec<Change> {
        let mut changes = self.changes.lock().expect("changes poisoned");
        if changes.is_empty() {
            return Vec::new();
        }
        let mut due = Vec::new();
        changes.retain(|(r, at, change)| {
            if r == request && *at == n {
                due.push(change.clone());
                false
            } else {
                true
            }
        });
        due
    }

    /// Faults injected so far, by kind name (`429`, `reset`, ...), over every request or over those to
    /// `request` (`METHOD path`) only.
    pub(crate) fn injected(&self, request: Option<&str>) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for ((kind, key), n) in self.injected.lock().expect("fault counts poisoned").iter() {
            if request.is_none_or(|r| r == key) {
                *out.entry(kind.clone()).or_insert(0) += n;
            }
        }
        out
    }

    /// The fault, if any, for this request. The first matching rule whose dice roll hits wins.
    pub(crate) fn decide(&self, method: &str, path: &str) -> Option<FaultKind> {
        let faults = self.faults.lock().expect("faults poisoned").clone();
        if faults.is_empty() {
            return None;
        }
        let key = format!("{method} {path}");
        let n = {
            let mut counters = self.counters.lock().expect("fault counters poisoned");
            let c = counters.entry(key.clone()).or_insert(0);
            *c += 1;
            *c
        };
        for (i, fault) in faults.iter().enumerate() {
            if let Some(prefix) = &fault.path_prefix {
                if !path.starts_with(prefix.as_str()) {
                    continue;
                }
            }
            if unit_roll(self.seed, &key, n, i) < fault.rate {
                *self
                    .injected
                    .lock()
                    .expect("fault counts poisoned")
                    .entry((fault.kind.name(), key))
                    .or_insert(0) += 1;
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
        assert_eq!(
            "delay=1500:1.0:/api/2.2/jobs/list"
                .parse::<Fault>()
                .unwrap()
                .kind,
            FaultKind::Delay(Duration::from_millis(1500))
        );
        for bad in [
            "",
            "429",
            "429:2",
            "200:0.5",
            "x:0.1",
            "429:0.1:api",
            "delay:1.0",
            "delay=x:1.0",
        ] {
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
        // Every fault injected is counted, under its kind and request.
        assert_eq!(
            a.injected(None),
            BTreeMap::from([("429".into(), hits as u64)])
        );
        assert_eq!(a.injected(Some("GET /api/2.2/jobs/list")), a.injected(None));
        assert!(a.injected(Some("GET /api/2.2/jobs/get")).is_empty());
    }

    #[test]
    fn changes_are_made_once_at_their_request() {
        let inj = Injector::new(Vec::new(), 0);
        inj.change_at("GET /api/2.2/jobs/get", 2, Change::DeleteJob(7));
        assert!(inj.changes_due("GET /api/2.2/jobs/get", 1).is_empty());
        assert!(inj.changes_due("GET /api/2.2/jobs/list", 2).is_empty());
        assert_eq!(
            inj.changes_due("GET /api/2.2/jobs/get", 2),
            vec![Change::DeleteJob(7)]
        );
        assert!(inj.changes_due("GET /api/2.2/jobs/get", 2).is_empty());
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
