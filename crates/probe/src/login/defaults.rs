//! Default-credential check (S1.1-02): try a bounded number of known default
//! pairs against one login service, most likely first.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::creds::Credential;
use super::{Attempt, LoginAdapter, LoginKind};
use crate::reason::Reason;

/// How the default-credential check paces itself.
#[derive(Debug, Clone)]
pub struct DefaultsOptions {
    /// Pairs to try per service at most; small so that the check itself
    /// does not trigger a lockout.
    pub limit: usize,
    /// Pause between the attempts of one task.
    pub interval: Duration,
    /// Guesses in flight at once (with `adaptive`, at the start). Small:
    /// embedded servers cap unauthenticated connections per address
    /// (dropbear: 5), and every guess still in flight when a lockout shows
    /// is one more the device counts against the account.
    pub concurrency: usize,
    /// Drop one task each time a task is turned away (the server closed a
    /// new connection before any guess), down to one; otherwise the number
    /// of tasks stays fixed and turned-away guesses are only retried.
    pub adaptive: bool,
}

/// Default tasks for services that do not report being turned away.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// SSH starts at dropbear's MAX_UNAUTH_PER_IP: hydra effectively gets that
/// many connections too, and the adaptive default gives them up when a
/// server allows fewer.
pub const SSH_START_CONCURRENCY: usize = 5;

/// The number of tasks the adaptive default starts with for `kind`.
pub fn start_concurrency(kind: LoginKind) -> usize {
    match kind {
        LoginKind::SshPassword | LoginKind::SshKeyboardInteractive => SSH_START_CONCURRENCY,
        _ => DEFAULT_CONCURRENCY,
    }
}

/// How often one guess is retried after being turned away before it is
/// recorded as an error; the pauses double from [`TURNED_AWAY_PAUSE`] up
/// to a second. Several tasks turned away together retry together and only
/// one of them may get in per round, hence more rounds than tasks.
const TURNED_AWAY_RETRIES: u32 = 6;
const TURNED_AWAY_MAX_PAUSE: Duration = Duration::from_secs(1);
/// Turn-aways of one guess in a row before its task gives way. The first
/// is often transient: when dropbear closes the connections of several
/// tasks at once (after its tries per connection), the replacements arrive
/// before it has counted the old ones out, and shrinking then would cost a
/// task for good on a server whose limit is not reached.
const TURNED_AWAY_SHRINK_AFTER: u32 = 2;
const TURNED_AWAY_PAUSE: Duration = Duration::from_millis(150);

impl Default for DefaultsOptions {
    fn default() -> Self {
        DefaultsOptions {
            limit: 10,
            interval: Duration::ZERO,
            concurrency: DEFAULT_CONCURRENCY,
            adaptive: true,
        }
    }
}

/// One pair tried and what came of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairResult {
    /// User name tried.
    pub username: String,
    /// Password tried.
    pub password: String,
    /// Where the pair is documented.
    pub source: String,
    /// The outcome of the attempt.
    pub outcome: Attempt,
}

/// Outcome of the default check on one service.
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

/// The default check of one service.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DefaultsReport {
    /// The service, named as the reports show it.
    pub service: String,
    /// Which adapter was used.
    pub kind: LoginKind,
    /// The outcome.
    pub status: DefaultsStatus,
    /// Number of pairs tried.
    pub tried: usize,
    /// The pair that was accepted, if any.
    pub accepted: Option<PairResult>,
    /// Why the status is what it is.
    pub summary: Reason,
    /// Every pair tried, in order.
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
    kind: LoginKind,
    pairs: &[Credential],
    opts: &DefaultsOptions,
    progress: &mut (dyn FnMut(&PairResult) + Send),
) -> DefaultsReport {
    let planned: Vec<&Credential> = pairs.iter().take(opts.limit).collect();
    let tasks = opts.concurrency.clamp(1, planned.len().max(1));
    let shared = Mutex::new(Shared {
        next: 0,
        stop: None,
        errors_in_row: 0,
        active: tasks,
        allowed: tasks,
        results: Vec::new(),
        progress,
    });
    let workers = (0..tasks).map(|_| worker(adapter, &planned, opts, &shared));
    futures_util::future::join_all(workers).await;
    let Shared {
        stop,
        results: mut indexed,
        ..
    } = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    indexed.sort_by_key(|(i, _)| *i);
    let results: Vec<PairResult> = indexed.into_iter().map(|(_, r)| r).collect();
    let tried = results.len();
    let accepted = results.iter().find(|r| r.outcome.is_success()).cloned();
    let rejected = results
        .iter()
        .filter(|r| matches!(r.outcome, Attempt::Failure { .. }))
        .count();
    let service_name = service.to_string();
    let stop_reason = match stop {
        Some(Stop::Accepted) | None => None,
        Some(Stop::Refused(label)) => Some(Reason::DefaultsRefused {
            service: service_name.clone(),
            rejected,
            tried,
            signal: label.to_string(),
            after_pairs: results
                .iter()
                .position(|r| r.outcome.is_refusal())
                .map_or(results.len(), |p| p + 1),
        }),
        Some(Stop::Errors(reason)) => Some(Reason::DefaultsErrors {
            service: service_name.clone(),
            rejected,
            tried,
            last_error: reason,
        }),
    };
    let (status, summary) = if let Some(a) = &accepted {
        (
            DefaultsStatus::Fail,
            Reason::DefaultsAccepted {
                service: service_name,
                user: a.username.clone(),
                source: a.source.clone(),
            },
        )
    } else if let Some(reason) = stop_reason {
        (DefaultsStatus::Inconclusive, reason)
    } else if rejected == 0 {
        (
            DefaultsStatus::Inconclusive,
            Reason::DefaultsNoneTried {
                service: service_name,
            },
        )
    } else {
        (
            DefaultsStatus::PassForTested,
            Reason::DefaultsNoneAccepted {
                service: service_name,
                rejected,
            },
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
    /// Tasks still running, and how many may run: a task that finds more
    /// running than allowed retires instead of taking a new pair.
    active: usize,
    allowed: usize,
    results: Vec<(usize, PairResult)>,
    progress: &'p mut (dyn FnMut(&PairResult) + Send),
}

impl Shared<'_> {
    /// One task was turned away: allow one task fewer (never none).
    fn shrink(&mut self) {
        self.allowed = self.allowed.saturating_sub(1).max(1);
    }

    /// Whether the calling task should stop now; if so it is counted out.
    fn retire(&mut self) -> bool {
        if self.stop.is_some() || self.active > self.allowed {
            self.active -= 1;
            true
        } else {
            false
        }
    }
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
            if s.retire() {
                None
            } else {
                let i = s.next;
                s.next += 1;
                planned.get(i).map(|c| (i, *c))
            }
        };
        let Some((index, c)) = claimed else { return };
        let outcome = attempt(adapter, c, opts, shared).await;
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
            o @ (Attempt::Error { .. } | Attempt::TurnedAway { .. }) => {
                s.errors_in_row += 1;
                if s.errors_in_row >= 3 {
                    let reason = o.error_text().unwrap_or_default();
                    s.stop.get_or_insert(Stop::Errors(reason));
                }
            }
            Attempt::Failure { .. } => s.errors_in_row = 0,
        }
        s.results.push((index, r));
    }
}

/// One guess. A turned-away guess was never evaluated, so it is sent again
/// (the budget counts pairs, not connections) after a growing pause; with
/// `adaptive` a repeated turn-away also lowers the number of tasks, so that
/// one task retires once its guess is answered.
async fn attempt<A: LoginAdapter>(
    adapter: &A,
    c: &Credential,
    opts: &DefaultsOptions,
    shared: &Mutex<Shared<'_>>,
) -> Attempt {
    let mut pause = TURNED_AWAY_PAUSE;
    let mut shrunk = false;
    let mut retries = 0;
    loop {
        let outcome = adapter.try_login(&c.username, &c.password).await;
        if !outcome.is_turned_away() || retries >= TURNED_AWAY_RETRIES {
            return outcome;
        }
        retries += 1;
        if opts.adaptive
            && !shrunk
            && retries >= TURNED_AWAY_SHRINK_AFTER
            && let Ok(mut s) = shared.lock()
        {
            s.shrink();
            shrunk = true;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(TURNED_AWAY_MAX_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::login::Signal;

    fn shared(tasks: usize, progress: &mut (dyn FnMut(&PairResult) + Send)) -> Shared<'_> {
        Shared {
            next: 0,
            stop: None,
            errors_in_row: 0,
            active: tasks,
            allowed: tasks,
            results: Vec::new(),
            progress,
        }
    }

    #[test]
    fn each_turn_away_retires_one_task_but_never_the_last() {
        let mut noop = |_: &PairResult| {};
        let mut s = shared(3, &mut noop);
        assert!(!s.retire());
        s.shrink();
        assert!(s.retire(), "three running, two allowed");
        assert!(!s.retire(), "two running, two allowed");
        s.shrink();
        s.shrink();
        s.shrink();
        assert!(s.retire());
        assert_eq!((s.active, s.allowed), (1, 1));
        assert!(!s.retire(), "the last task keeps going");
        s.stop = Some(Stop::Accepted);
        assert!(s.retire());
    }

    /// A server that admits at most `capacity` guesses at once and turns
    /// the others away before reading them.
    struct Capped {
        capacity: usize,
        in_flight: AtomicUsize,
        turned_away: AtomicUsize,
        evaluated: Mutex<Vec<String>>,
    }

    impl LoginAdapter for Capped {
        async fn try_login(&self, _user: &str, pass: &str) -> Attempt {
            if self.in_flight.fetch_add(1, Ordering::SeqCst) >= self.capacity {
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                self.turned_away.fetch_add(1, Ordering::SeqCst);
                return Attempt::turned_away("connection reset by peer");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            if let Ok(mut e) = self.evaluated.lock() {
                e.push(pass.to_string());
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            Attempt::Failure {
                signal: Signal::Code {
                    code: 51,
                    meaning: "SSH_MSG_USERAUTH_FAILURE".into(),
                },
            }
        }
    }

    #[tokio::test]
    async fn adaptive_check_settles_at_the_server_limit_and_sends_every_pair_once() {
        for capacity in [1, 2, 4] {
            let adapter = Capped {
                capacity,
                in_flight: AtomicUsize::new(0),
                turned_away: AtomicUsize::new(0),
                evaluated: Mutex::new(Vec::new()),
            };
            let pairs: Vec<Credential> = (0..60)
                .map(|i| Credential {
                    username: "admin".into(),
                    password: format!("pw{i}"),
                    source: "test".into(),
                    services: Vec::new(),
                })
                .collect();
            let opts = DefaultsOptions {
                limit: 50,
                concurrency: 5,
                ..DefaultsOptions::default()
            };
            let r = check(
                &adapter,
                "capped",
                LoginKind::SshPassword,
                &pairs,
                &opts,
                &mut |_| {},
            )
            .await;
            assert_eq!(r.status, DefaultsStatus::PassForTested, "{}", r.summary);
            assert_eq!(r.tried, 50);
            assert!(r.results.iter().all(|p| p.outcome.label() == "failure"));
            let mut evaluated = adapter.evaluated.into_inner().unwrap_or_default();
            evaluated.sort();
            let mut want: Vec<String> = (0..50).map(|i| format!("pw{i}")).collect();
            want.sort();
            assert_eq!(evaluated, want, "capacity {capacity}");
            // Each surplus task is turned away for its first guess only and
            // then one task retires, so the count stays far below one per
            // guess.
            let surplus = 5 - capacity;
            let turned = adapter.turned_away.load(Ordering::SeqCst);
            assert!(
                turned >= surplus * TURNED_AWAY_SHRINK_AFTER as usize
                    && turned <= surplus * (1 + TURNED_AWAY_RETRIES as usize),
                "capacity {capacity}: {turned} turn-aways"
            );
        }
    }
}
