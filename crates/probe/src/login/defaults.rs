//! Default-credential check (S1.1-02): try a bounded number of known default
//! pairs against one login service, most likely first.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::creds::Credential;
use super::{Attempt, LoginAdapter, ServiceKind};

#[derive(Debug, Clone)]
pub struct DefaultsOptions {
    /// Pairs to try per service at most; small so that the check itself
    /// does not trigger a lockout.
    pub limit: usize,
    pub interval: Duration,
}

impl Default for DefaultsOptions {
    fn default() -> Self {
        DefaultsOptions {
            limit: 10,
            interval: Duration::ZERO,
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

/// Tries `pairs` in order; stops at the first accepted pair, at the first
/// lockout or rate limit (so as not to lock the device), or after three
/// errors in a row.
pub async fn check<A: LoginAdapter>(
    adapter: &A,
    service: &str,
    kind: ServiceKind,
    pairs: &[Credential],
    opts: &DefaultsOptions,
    progress: &mut (dyn FnMut(&PairResult) + Send),
) -> DefaultsReport {
    let mut results = Vec::new();
    let mut errors_in_row = 0;
    let mut stop_reason: Option<String> = None;
    for (i, c) in pairs.iter().take(opts.limit).enumerate() {
        if i > 0 && !opts.interval.is_zero() {
            tokio::time::sleep(opts.interval).await;
        }
        let outcome = adapter.try_login(&c.username, &c.password).await;
        let r = PairResult {
            username: c.username.clone(),
            password: c.password.clone(),
            source: c.source.clone(),
            outcome,
        };
        progress(&r);
        let outcome = r.outcome.clone();
        results.push(r);
        match outcome {
            Attempt::Success { .. } => break,
            Attempt::LockedOut { .. } | Attempt::RateLimited { .. } => {
                stop_reason = Some(format!(
                    "the device began refusing logins ({}) after {} pairs; stopped to avoid locking it",
                    outcome.label(),
                    results.len()
                ));
                break;
            }
            Attempt::Error { reason } => {
                errors_in_row += 1;
                if errors_in_row >= 3 {
                    stop_reason = Some(format!("three errors in a row, last: {reason}"));
                    break;
                }
            }
            Attempt::Failure { .. } => errors_in_row = 0,
        }
    }
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
