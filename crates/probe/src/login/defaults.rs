//! Default-credential check (S1.1-02): try a bounded number of known default
//! pairs against one login service, most likely first.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::creds::Credential;
use super::{Attempt, LoginAdapter, ServiceKind};

#[derive(Debug, Clone)]
pub struct DefaultsOptions {
    /// Pairs to try per service at most; small so that the check itself
    /// does not trigger a lockout.
    pub limit: usize,
    /// Pause between the attempts of one task.
    pub interval: Duration,
    /// Guesses in flight at once. Small by default: embedded servers cap
    /// unauthenticated connections per address (dropbear: 5), and every
    /// guess still in flight when a lockout shows is one more the device
    /// counts against the account.
    pub concurrency: usize,
}

/// Four tasks stay under dropbear's default MAX_UNAUTH_PER_IP of 5 with one
/// connection to spare for the tester.
pub const DEFAULT_CONCURRENCY: usize = 4;

impl Default for DefaultsOptions {
    fn default() -> Self {
        DefaultsOptions {
            limit: 10,
            interval: Duration::ZERO,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairResult {
    pub username: String,
    pub password: String,
    pub source: String,
    pub outcome: Attempt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultsStatus {
    /// A default pair was accepted.
    Fail,
    /// Every pair tried was rejected; only those pairs are covered.
    PassForTested,
    /// The device refused or errored before the list was covered.
    Inconclusive,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DefaultsReport {
    pub service: String,
    pub kind: ServiceKind,
    pub status: DefaultsStatus,
    pub tried: usize,
    pub accepted: Option<PairResult>,
    pub summary: String,
    pub results: Vec<PairResult>,
}

/// Tries `pairs`, most likely first, with up to `opts.concurrency` guesses
/// in flight. Every task stops taking new pairs at the first accepted pair,
/// at the first lockout or rate limit (so as not to lock the device), or
/// after three errors in a row; guesses already in flight are finished and
/// recorded. At most `opts.limit` pairs are ever sent.
pub async fn check<A: LoginAdapter>(
    adapter: &A,
    service: &str,
    kind: ServiceKind,
    pairs: &[Credential],
    opts: &DefaultsOptions,
    progress: &mut (dyn FnMut(&PairResult) + Send),
) -> DefaultsReport {
    let planned: Vec<&Credential> = pairs.iter().take(opts.limit).collect();
    let shared = Mutex::new(Shared {
        next: 0,
        stop: None,
        errors_in_row: 0,
        results: Vec::new(),
        progress,
    });
    let tasks = opts.concurrency.clamp(1, planned.len().max(1));
    let workers = (0..tasks).map(|_| worker(adapter, &planned, opts, &shared));
    futures_util::future::join_all(workers).await;
    let Shared {
        stop,
        results: mut indexed,
        ..
    } = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    indexed.sort_by_key(|(i, _)| *i);
    let results: Vec<PairResult> = indexed.into_iter().map(|(_, r)| r).collect();
    let stop_reason = match stop {
        Some(Stop::Accepted) | None => None,
        Some(Stop::Refused(label)) => Some(format!(
            "the device began refusing logins ({label}) after {} pairs; stopped to avoid locking it",
            results
                .iter()
                .position(|r| r.outcome.is_refusal())
                .map_or(results.len(), |p| p + 1)
        )),
        Some(Stop::Errors(reason)) => Some(format!("three errors in a row, last: {reason}")),
    };
    let tried = results.len();
    let accepted = results.iter().find(|r| r.outcome.is_success()).cloned();
    let rejected = results
        .iter()
        .filter(|r| matches!(r.outcome, Attempt::Failure { .. }))
        .count();
    let (status, summary) = if let Some(a) = &accepted {
        (
            DefaultsStatus::Fail,
            format!(
                "{service} accepted a default pair for user {:?} (source: {})",
                a.username, a.source
            ),
        )
    } else if let Some(reason) = stop_reason {
        (
            DefaultsStatus::Inconclusive,
            format!("{service}: {rejected} of {tried} pairs rejected; {reason}"),
        )
    } else if rejected == 0 {
        (
            DefaultsStatus::Inconclusive,
            format!("{service}: no pair could be tried"),
        )
    } else {
        (
            DefaultsStatus::PassForTested,
            format!(
                "{service}: {rejected} default pairs tried, none accepted (this covers only the pairs tried, not every possible default)"
            ),
        )
    };
    DefaultsReport {
        service: service.to_string(),
        kind,
        status,
        tried,
        accepted,
        summary,
        results,
    }
}

enum Stop {
    Accepted,
    Refused(&'static str),
    Errors(String),
}

struct Shared<'p> {
    /// Index of the next pair to hand out.
    next: usize,
    stop: Option<Stop>,
    /// Errors in a row in completion order; a transient hang-up on one
    /// connection is reset by any later answer on another.
    errors_in_row: usize,
    results: Vec<(usize, PairResult)>,
    progress: &'p mut (dyn FnMut(&PairResult) + Send),
}

async fn worker<A: LoginAdapter>(
    adapter: &A,
    planned: &[&Credential],
    opts: &DefaultsOptions,
    shared: &Mutex<Shared<'_>>,
) {
    let mut first = true;
    loop {
        if !first && !opts.interval.is_zero() {
            tokio::time::sleep(opts.interval).await;
        }
        first = false;
        // The lock is never held across an await.
        let claimed = {
            let Ok(mut s) = shared.lock() else { return };
            if s.stop.is_some() {
                None
            } else {
                let i = s.next;
                s.next += 1;
                planned.get(i).map(|c| (i, *c))
            }
        };
        let Some((index, c)) = claimed else { return };
        let outcome = adapter.try_login(&c.username, &c.password).await;
        let r = PairResult {
            username: c.username.clone(),
            password: c.password.clone(),
            source: c.source.clone(),
            outcome,
        };
        let Ok(mut s) = shared.lock() else { return };
        (s.progress)(&r);
        match &r.outcome {
            Attempt::Success { .. } => {
                s.stop.get_or_insert(Stop::Accepted);
            }
            o @ (Attempt::LockedOut { .. } | Attempt::RateLimited { .. }) => {
                let label = o.label();
                s.stop.get_or_insert(Stop::Refused(label));
            }
            Attempt::Error { reason } => {
                s.errors_in_row += 1;
                if s.errors_in_row >= 3 {
                    let reason = reason.clone();
                    s.stop.get_or_insert(Stop::Errors(reason));
                }
            }
            Attempt::Failure { .. } => s.errors_in_row = 0,
        }
        s.results.push((index, r));
    }
}
