//! Brute-force resistance (S1.1-04): send wrong passwords for a known user at
//! a controlled pace, watch how the device reacts, and give a verdict with
//! the numbers behind it.
//!
//! Verdict rule (a project decision; the criterion names no number): the
//! login *resists* when a lockout or rate limit stops guessing and, where its
//! duration is known, trying 10,000 passwords at the pace the device allows
//! would take at least `threshold` (24 hours by default); or when delays grow
//! with each failure so that the same 10,000 guesses, extrapolated, take at
//! least that long. It *does not resist* when guesses keep being evaluated
//! at a pace that gets through 10,000 guesses sooner, or when a random
//! password is accepted. Anything the probe cannot tell apart from a fault
//! (connections dropped without a way to confirm, every reply slower than
//! the deadline, garbage) is *inconclusive*, with the reason.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{Attempt, LoginAdapter, Signal};
use crate::reason::Reason;

/// Guesses in the projection.
pub const PROJECTED_GUESSES: u64 = 10_000;

/// How a brute-force run against one account is bounded and judged.
#[derive(Debug, Clone)]
pub struct BruteOptions {
    /// The account whose password is guessed.
    pub username: String,
    /// Wrong passwords to send at most.
    pub max_attempts: usize,
    /// Pause between attempts.
    pub interval: Duration,
    /// The right password, to confirm that a lockout also blocks it and to
    /// measure how long the lockout lasts.
    pub correct_password: Option<String>,
    /// How long to wait for a lockout to lift.
    pub max_wait: Duration,
    /// Consecutive refusals (or errors) that end the run.
    pub confirm_refusals: usize,
    /// How long 10,000 guesses must take at least for the login to resist (24 hours by default).
    pub threshold: Duration,
}

impl BruteOptions {
    /// Options for `username`: 20 wrong guesses, no pause, up to 2 minutes' wait for a lockout to lift.
    pub fn new(username: &str) -> Self {
        BruteOptions {
            username: username.to_string(),
            max_attempts: 20,
            interval: Duration::ZERO,
            correct_password: None,
            max_wait: Duration::from_secs(120),
            confirm_refusals: 3,
            threshold: Duration::from_secs(24 * 3600),
        }
    }

    /// Attempts the run may send in the worst case, for the warning shown
    /// before it starts (wrong guesses + checks with the right password).
    pub fn worst_case_attempts(&self) -> usize {
        let polls = if self.correct_password.is_some() {
            2 + (self.max_wait.as_millis() / 500) as usize
        } else {
            0
        };
        self.max_attempts + polls
    }
}

pub use jcstar_reason::BruteVerdict;

/// One attempt of the run, as the evidence records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// Position in the run, from 1.
    pub index: usize,
    /// Milliseconds since the run started.
    pub at_ms: u64,
    /// How long the attempt took, in milliseconds.
    pub duration_ms: u64,
    /// Whether this attempt used the supplied correct password.
    pub correct_password: bool,
    /// What came of it.
    pub outcome: Attempt,
}

pub use jcstar_reason::DefenceKind;

/// The defence the device showed, as far as it was measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Defence {
    /// The kind of defence.
    pub kind: DefenceKind,
    /// Wrong guesses the device evaluated before it began refusing.
    pub after_attempts: usize,
    /// What showed it, when an attempt did.
    pub signal: Option<Signal>,
    /// Known length of the refusal window (measured, or from Retry-After).
    pub window_ms: Option<u64>,
    /// With the right password: was it refused while the defence was active?
    pub correct_password_refused: Option<bool>,
    /// With the right password: did it work again within `max_wait`?
    pub lifted: Option<bool>,
}

/// The outcome of a brute-force run against one account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BruteReport {
    /// The account guessed at.
    pub username: String,
    /// Whether the login resists brute force.
    pub verdict: BruteVerdict,
    /// Why the verdict is what it is.
    pub reason: Reason,
    /// Attempts sent in all, the correct password's included.
    pub attempts_sent: usize,
    /// Wrong guesses the device evaluated (not refused).
    pub wrong_guesses_evaluated: usize,
    /// Wrong guesses evaluated per second until the device began refusing.
    pub accepted_rate_per_s: Option<f64>,
    /// Seconds 10,000 guesses would take, when a projection was possible.
    pub projected_10k_secs: Option<f64>,
    /// Seconds 10,000 guesses must take at least to resist.
    pub threshold_secs: u64,
    /// The defence seen, if any.
    pub defence: Option<Defence>,
    /// Median reply time of the wrong guesses evaluated, in milliseconds.
    pub median_latency_ms: Option<u64>,
    /// Wall-clock time of the run, in milliseconds.
    pub elapsed_ms: u64,
    /// Every attempt, in order.
    pub attempts: Vec<AttemptRecord>,
}

struct Run<'a, A: LoginAdapter> {
    adapter: &'a A,
    opts: &'a BruteOptions,
    start: Instant,
    records: Vec<AttemptRecord>,
}

impl<A: LoginAdapter> Run<'_, A> {
    async fn attempt(
        &mut self,
        pass: &str,
        correct: bool,
        progress: &mut (dyn FnMut(&AttemptRecord) + Send),
    ) -> Attempt {
        let t0 = Instant::now();
        let outcome = self.adapter.try_login(&self.opts.username, pass).await;
        let rec = AttemptRecord {
            index: self.records.len() + 1,
            at_ms: ms(t0.duration_since(self.start)),
            duration_ms: ms(t0.elapsed()),
            correct_password: correct,
            outcome: outcome.clone(),
        };
        progress(&rec);
        self.records.push(rec);
        outcome
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn median(mut v: Vec<u64>) -> Option<u64> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

/// Runs the test. `progress` sees every attempt as it completes.
pub async fn run<A: LoginAdapter>(
    adapter: &A,
    opts: &BruteOptions,
    progress: &mut (dyn FnMut(&AttemptRecord) + Send),
) -> BruteReport {
    let mut run = Run {
        adapter,
        opts,
        start: Instant::now(),
        records: Vec::new(),
    };
    let threshold_secs = opts.threshold.as_secs();
    let mut report = BruteReport {
        username: opts.username.clone(),
        verdict: BruteVerdict::Inconclusive,
        reason: Reason::NoGuessEvaluated,
        attempts_sent: 0,
        wrong_guesses_evaluated: 0,
        accepted_rate_per_s: None,
        projected_10k_secs: None,
        threshold_secs,
        defence: None,
        median_latency_ms: None,
        elapsed_ms: 0,
        attempts: Vec::new(),
    };

    // The right password must work before the test, or nothing after it
    // can be judged.
    if let Some(pw) = &opts.correct_password {
        let a = run.attempt(pw, true, progress).await;
        if !a.is_success() {
            report.reason = Reason::PasswordNotAcceptedBefore {
                signal: a.label().to_string(),
            };
            return finish(report, run);
        }
    }

    let mut first_refusal: Option<(usize, Instant, Attempt)> = None;
    let mut refusals_in_row = 0;
    let mut errors_in_row = 0;
    let mut failures = 0usize;
    let mut first_guess_at: Option<Instant> = None;
    let mut last_failure_at: Option<Instant> = None;
    let mut failure_latencies: Vec<u64> = Vec::new();
    for i in 0..opts.max_attempts {
        if i > 0 && !opts.interval.is_zero() {
            tokio::time::sleep(opts.interval).await;
        }
        let wrong = format!("jc{}", super::random_token(14));
        first_guess_at.get_or_insert_with(Instant::now);
        let a = run.attempt(&wrong, false, progress).await;
        match &a {
            Attempt::Success { signal } => {
                report.verdict = BruteVerdict::DoesNotResist;
                report.reason = Reason::WrongPasswordAccepted {
                    signal: format!("{signal:?}"),
                };
                return finish(report, run);
            }
            Attempt::Failure { .. } => {
                if first_refusal.is_some() {
                    // Refusal lifted within the run; keep counting.
                    refusals_in_row = 0;
                }
                failures += 1;
                errors_in_row = 0;
                last_failure_at = Some(Instant::now());
                if let Some(r) = run.records.last() {
                    failure_latencies.push(r.duration_ms);
                }
            }
            Attempt::LockedOut { .. } | Attempt::RateLimited { .. } => {
                errors_in_row = 0;
                refusals_in_row += 1;
                if first_refusal.is_none() {
                    first_refusal = Some((failures, Instant::now(), a.clone()));
                }
                if refusals_in_row >= opts.confirm_refusals.max(1) {
                    break;
                }
            }
            Attempt::Error { .. } | Attempt::TurnedAway { .. } => {
                errors_in_row += 1;
                if errors_in_row >= opts.confirm_refusals.max(1) {
                    break;
                }
            }
        }
    }
    report.wrong_guesses_evaluated = failures;
    let guess_start = first_guess_at.unwrap_or(run.start);
    let evaluated_span = last_failure_at
        .map(|t| t.duration_since(guess_start))
        .unwrap_or_default();
    if failures > 0 && !evaluated_span.is_zero() {
        report.accepted_rate_per_s = Some(failures as f64 / evaluated_span.as_secs_f64());
    }
    report.median_latency_ms = median(failure_latencies.clone());
    let threshold = opts.threshold.as_secs_f64();

    // 1. The device refused guesses: lockout or rate limit.
    if let Some((after, at, signal_attempt)) = first_refusal {
        let (kind, signal, hinted) = match &signal_attempt {
            Attempt::RateLimited { signal, delay_ms } => {
                (DefenceKind::RateLimit, Some(signal.clone()), *delay_ms)
            }
            Attempt::LockedOut { signal } => (DefenceKind::Lockout, Some(signal.clone()), None),
            _ => (DefenceKind::Lockout, None, None),
        };
        if after == 0 {
            report.reason = Reason::RefusedFromFirstGuess;
            report.defence = Some(Defence {
                kind,
                after_attempts: 0,
                signal,
                window_ms: hinted,
                correct_password_refused: None,
                lifted: None,
            });
            return finish(report, run);
        }
        let spent = at.duration_since(guess_start);
        let mut defence = Defence {
            kind,
            after_attempts: after,
            signal,
            window_ms: hinted,
            correct_password_refused: None,
            lifted: None,
        };
        if let Some(pw) = &opts.correct_password {
            let (refused, lifted_after) = confirm_with_password(&mut run, pw, at, progress).await;
            defence.correct_password_refused = Some(refused);
            if !refused {
                report.verdict = BruteVerdict::DoesNotResist;
                report.reason = Reason::RefusalLetCorrectPasswordIn {
                    defence: kind,
                    after,
                };
                report.defence = Some(defence);
                return finish(report, run);
            }
            defence.lifted = Some(lifted_after.is_some());
            if let Some(d) = lifted_after {
                defence.window_ms = Some(ms(d));
            }
        }
        let window = defence.window_ms.map(Duration::from_millis);
        report.defence = Some(defence);
        match window {
            Some(w) => {
                let per_cycle = (spent + w).as_secs_f64();
                let cycles = (PROJECTED_GUESSES as f64 / after as f64).ceil();
                let projected = cycles * per_cycle;
                report.projected_10k_secs = Some(projected);
                report.verdict = if projected >= threshold {
                    BruteVerdict::Resists
                } else {
                    BruteVerdict::DoesNotResist
                };
                report.reason = Reason::Lock {
                    defence: kind,
                    after,
                    window_s: w.as_secs_f64(),
                    projected_s: projected,
                    threshold_s: threshold,
                };
            }
            None => {
                let lifted = report.defence.as_ref().and_then(|d| d.lifted);
                report.verdict = BruteVerdict::Resists;
                report.reason = match lifted {
                    Some(false) => Reason::LockNotLifted {
                        defence: kind,
                        after,
                        waited_s: opts.max_wait.as_secs_f64(),
                    },
                    _ => Reason::LockNotMeasured {
                        defence: kind,
                        after,
                    },
                };
            }
        }
        return finish(report, run);
    }

    // 2. Connections dropped / no answers.
    let errors = run
        .records
        .iter()
        .filter(|r| !r.correct_password && r.outcome.error_text().is_some())
        .count();
    if errors_in_row >= opts.confirm_refusals.max(1) {
        let last_reason = run
            .records
            .last()
            .map(|r| {
                r.outcome
                    .error_text()
                    .unwrap_or_else(|| r.outcome.label().to_string())
            })
            .unwrap_or_default();
        if failures == 0 {
            report.reason = Reason::NoUsableAnswer { error: last_reason };
            return finish(report, run);
        }
        let Some(pw) = opts.correct_password.clone() else {
            report.reason = Reason::StoppedAnswering {
                failures,
                error: last_reason,
            };
            report.defence = Some(Defence {
                kind: DefenceKind::ConnectionDrop,
                after_attempts: failures,
                signal: Some(Signal::ClosedConnection),
                window_ms: None,
                correct_password_refused: None,
                lifted: None,
            });
            return finish(report, run);
        };
        let at = Instant::now();
        let (refused, lifted_after) = confirm_with_password(&mut run, &pw, at, progress).await;
        let mut defence = Defence {
            kind: DefenceKind::ConnectionDrop,
            after_attempts: failures,
            signal: Some(Signal::ClosedConnection),
            window_ms: lifted_after.map(ms),
            correct_password_refused: Some(refused),
            lifted: Some(lifted_after.is_some()),
        };
        if !refused {
            report.reason = Reason::ConnectionFailuresNotDefence {
                failures,
                error: last_reason,
            };
            report.defence = Some(defence);
            return finish(report, run);
        }
        let spent = at.duration_since(guess_start);
        match lifted_after {
            Some(w) => {
                let projected =
                    (PROJECTED_GUESSES as f64 / failures as f64).ceil() * (spent + w).as_secs_f64();
                report.projected_10k_secs = Some(projected);
                report.verdict = if projected >= threshold {
                    BruteVerdict::Resists
                } else {
                    BruteVerdict::DoesNotResist
                };
                report.reason = Reason::ConnectionsDropped {
                    failures,
                    window_s: w.as_secs_f64(),
                    projected_s: projected,
                    threshold_s: threshold,
                };
            }
            None => {
                defence.lifted = Some(false);
                report.reason = Reason::StoppedAnsweringCorrectRefused {
                    failures,
                    waited_s: opts.max_wait.as_secs_f64(),
                };
            }
        }
        report.defence = Some(defence);
        return finish(report, run);
    }
    if failures == 0 {
        report.reason = Reason::NoGuessEvaluated;
        return finish(report, run);
    }
    if errors * 5 > run.records.len() {
        report.reason = Reason::TooManyErrors {
            errors,
            attempts: run.records.len(),
        };
        return finish(report, run);
    }

    // 3. Every guess was evaluated as wrong. A lock that answers like a
    // wrong password (PAM's pam_faillock behind SSH or telnet) shows only
    // to the right password: try it now.
    if let Some(pw) = opts.correct_password.clone() {
        let (refused, lifted) =
            confirm_with_password(&mut run, &pw, Instant::now(), progress).await;
        if refused {
            return hidden_lock(report, run, &pw, failures, lifted, progress).await;
        }
    }

    // 4. Every guess evaluated: look at the pace.
    if let Some((projected, growing)) = delay_projection(&failure_latencies)
        && growing
    {
        report.projected_10k_secs = Some(projected);
        report.defence = Some(Defence {
            kind: DefenceKind::ProgressiveDelay,
            after_attempts: 0,
            signal: None,
            window_ms: None,
            correct_password_refused: None,
            lifted: None,
        });
        report.verdict = if projected >= threshold {
            BruteVerdict::Resists
        } else {
            BruteVerdict::DoesNotResist
        };
        report.reason = Reason::GrowingDelay {
            first_ms: failure_latencies.first().copied().unwrap_or(0),
            last_ms: failure_latencies.last().copied().unwrap_or(0),
            projected_s: projected,
            threshold_s: threshold,
        };
        return finish(report, run);
    }
    let per_guess = evaluated_span.as_secs_f64() / failures.max(1) as f64;
    let per_guess = per_guess.max(report.median_latency_ms.unwrap_or(0) as f64 / 1000.0);
    let projected = per_guess * PROJECTED_GUESSES as f64;
    report.projected_10k_secs = Some(projected);
    if projected >= threshold {
        report.reason = Reason::SlowFromStart {
            failures,
            median_ms: report.median_latency_ms.unwrap_or(0),
        };
        return finish(report, run);
    }
    report.verdict = BruteVerdict::DoesNotResist;
    report.reason = Reason::NoDefence {
        failures,
        rate_per_s: report.accepted_rate_per_s.unwrap_or(0.0),
        projected_s: projected,
        threshold_s: threshold,
        max_attempts: opts.max_attempts,
        correct_password_checked: opts.correct_password.is_some(),
    };
    finish(report, run)
}

/// The right password was refused after `failures` wrong guesses that all
/// looked like ordinary failures, and worked again `lifted` later. Finds
/// after how many wrong guesses the lock starts (k wrong, then the right
/// one, for k = 1, 2, ...; the right one resets the device's count), waits
/// the lock out once more, and projects from those numbers.
async fn hidden_lock<A: LoginAdapter>(
    mut report: BruteReport,
    mut run: Run<'_, A>,
    pw: &str,
    failures: usize,
    lifted: Option<Duration>,
    progress: &mut (dyn FnMut(&AttemptRecord) + Send),
) -> BruteReport {
    let threshold = report.threshold_secs as f64;
    let mut defence = Defence {
        kind: DefenceKind::Lockout,
        after_attempts: failures,
        signal: None,
        window_ms: lifted.map(ms),
        correct_password_refused: Some(true),
        lifted: Some(lifted.is_some()),
    };
    let Some(window) = lifted else {
        report.reason = Reason::HiddenLockNotLifted {
            failures,
            waited_s: run.opts.max_wait.as_secs_f64(),
        };
        report.defence = Some(defence);
        return finish(report, run);
    };
    let mut found = None;
    'probe: for k in 1..=failures.max(1) {
        let t0 = Instant::now();
        for _ in 0..k {
            let wrong = format!("jc{}", super::random_token(14));
            let a = run.attempt(&wrong, false, progress).await;
            if !matches!(a, Attempt::Failure { .. }) {
                break 'probe;
            }
        }
        let a = run.attempt(pw, true, progress).await;
        if !a.is_success() {
            found = Some((k, t0.elapsed()));
            break;
        }
    }
    let Some((n, spent)) = found else {
        report.reason = Reason::HiddenLockStartUnknown {
            failures,
            window_s: window.as_secs_f64(),
        };
        report.defence = Some(defence);
        return finish(report, run);
    };
    // Leave the account usable, and time the lock a second time.
    let (_, again) = confirm_with_password(&mut run, pw, Instant::now(), progress).await;
    let w = again.unwrap_or(window);
    defence.after_attempts = n;
    defence.window_ms = Some(ms(w));
    let projected = (PROJECTED_GUESSES as f64 / n as f64).ceil() * (spent + w).as_secs_f64();
    report.projected_10k_secs = Some(projected);
    report.verdict = if projected >= threshold {
        BruteVerdict::Resists
    } else {
        BruteVerdict::DoesNotResist
    };
    report.reason = Reason::HiddenLock {
        after: n,
        window_s: w.as_secs_f64(),
        projected_s: projected,
        threshold_s: threshold,
    };
    report.defence = Some(defence);
    finish(report, run)
}

/// Folds in what the default-credential check saw on the same service: the
/// device locked after `after` wrong pairs, and (when measured) worked again
/// `lifted` later. A lock whose length the brute-force run could not
/// measure gets that length; a run that met the lock still in force gets a
/// projection from the wait itself (a lower bound: the lock lasted at least
/// that long).
pub fn apply_lock_from_defaults(report: &mut BruteReport, after: usize, lifted: Option<Duration>) {
    let threshold = report.threshold_secs as f64;
    let still_locked = report.verdict == BruteVerdict::Inconclusive
        && report
            .defence
            .as_ref()
            .is_some_and(|d| d.after_attempts == 0 && d.kind == DefenceKind::Lockout);
    let unmeasured = report.verdict == BruteVerdict::Resists
        && report
            .defence
            .as_ref()
            .is_some_and(|d| d.window_ms.is_none() && d.kind == DefenceKind::Lockout);
    let Some(w) = lifted else {
        if still_locked && after > 0 {
            report.reason = Reason::StillLockedFromDefaults {
                after_pairs: after,
                then: Box::new(report.reason.clone()),
            };
        }
        return;
    };
    if unmeasured || still_locked {
        let n = if unmeasured {
            report
                .defence
                .as_ref()
                .map_or(after, |d| d.after_attempts)
                .max(1)
        } else {
            after.max(1)
        };
        let spent = report
            .attempts
            .iter()
            .find(|r| r.outcome.is_refusal())
            .map_or(0, |r| r.at_ms) as f64
            / 1000.0;
        let cycles = (PROJECTED_GUESSES as f64 / n as f64).ceil();
        let projected = cycles * (spent + w.as_secs_f64());
        report.projected_10k_secs = Some(projected);
        if let Some(d) = report.defence.as_mut() {
            d.window_ms = Some(ms(w));
            d.lifted = Some(true);
        }
        report.verdict = if projected >= threshold {
            BruteVerdict::Resists
        } else {
            BruteVerdict::DoesNotResist
        };
        report.reason = Reason::LockFromDefaults {
            after: n,
            after_pairs: after,
            window_s: w.as_secs_f64(),
            projected_s: projected,
            threshold_s: threshold,
        };
    }
}

/// Many devices count failures per device, not per service: while the
/// brute-force runs go on at once, one service's guesses lock the others.
/// A run refused from its first guess while another run measured such a
/// lock is covered by that same lock: it gets the other run's numbers,
/// named as such. Runs are matched only when the measured one resists.
pub fn share_device_lock(runs: &mut [super::report::BruteRun]) {
    let measured = runs
        .iter()
        .find(|r| {
            r.report.verdict == BruteVerdict::Resists
                && r.report.projected_10k_secs.is_some()
                && r.report
                    .defence
                    .as_ref()
                    .is_some_and(|d| d.window_ms.is_some())
        })
        .map(|r| (r.service.clone(), r.report.clone()));
    let Some((service, m)) = measured else {
        return;
    };
    for r in runs.iter_mut() {
        let first_refused = r.report.verdict == BruteVerdict::Inconclusive
            && r.report.wrong_guesses_evaluated == 0
            && r.report.defence.as_ref().is_some_and(|d| {
                d.after_attempts == 0
                    && matches!(d.kind, DefenceKind::Lockout | DefenceKind::RateLimit)
            });
        if !first_refused {
            continue;
        }
        r.report.verdict = BruteVerdict::Resists;
        r.report.projected_10k_secs = m.projected_10k_secs;
        if let (Some(d), Some(md)) = (r.report.defence.as_mut(), m.defence.as_ref()) {
            d.window_ms = md.window_ms;
        }
        r.report.reason = Reason::SharedDeviceLock {
            service: service.clone(),
            then: Box::new(m.reason.clone()),
        };
    }
}

/// The run met a lockout or rate limit after some evaluated guesses but
/// could not time it (no correct password was known).
pub fn needs_timing(report: &BruteReport) -> bool {
    report.verdict == BruteVerdict::Resists
        && report.defence.as_ref().is_some_and(|d| {
            d.window_ms.is_none()
                && d.after_attempts > 0
                && matches!(d.kind, DefenceKind::Lockout | DefenceKind::RateLimit)
        })
}

/// Sets the length of a lock measured after the run (the login answered
/// again `w` after the run ended) and the projection that follows from it.
pub fn apply_measured_window(report: &mut BruteReport, w: Duration) {
    let threshold = report.threshold_secs as f64;
    let Some(d) = report.defence.as_mut() else {
        return;
    };
    let n = d.after_attempts.max(1);
    d.window_ms = Some(ms(w));
    d.lifted = Some(true);
    let kind = d.kind;
    let spent = report
        .attempts
        .iter()
        .find(|r| r.outcome.is_refusal())
        .map_or(0, |r| r.at_ms) as f64
        / 1000.0;
    let projected = (PROJECTED_GUESSES as f64 / n as f64).ceil() * (spent + w.as_secs_f64());
    report.projected_10k_secs = Some(projected);
    report.verdict = if projected >= threshold {
        BruteVerdict::Resists
    } else {
        BruteVerdict::DoesNotResist
    };
    report.reason = Reason::LockMeasuredAfterRun {
        defence: kind,
        after: n,
        window_s: w.as_secs_f64(),
        projected_s: projected,
        threshold_s: threshold,
    };
}

/// Tries the right password during the refusal (is it refused too?), then
/// polls until it works or `max_wait` passes. Returns (refused during the
/// refusal, how long after `since` it worked again).
async fn confirm_with_password<A: LoginAdapter>(
    run: &mut Run<'_, A>,
    pw: &str,
    since: Instant,
    progress: &mut (dyn FnMut(&AttemptRecord) + Send),
) -> (bool, Option<Duration>) {
    let a = run.attempt(pw, true, progress).await;
    if a.is_success() {
        return (false, None);
    }
    let deadline = Instant::now() + run.opts.max_wait;
    let mut poll = Duration::from_millis(500);
    while Instant::now() < deadline {
        tokio::time::sleep(poll.min(deadline.saturating_duration_since(Instant::now()))).await;
        let a = run.attempt(pw, true, progress).await;
        if a.is_success() {
            return (true, Some(since.elapsed()));
        }
        // Poll less often as the wait grows, so the probe does not keep
        // extending a lockout that counts attempts made during it.
        poll = (poll + poll / 4).min(Duration::from_secs(10));
    }
    (true, None)
}

/// Fits delay = a + b·i over the failures; returns the extrapolated time for
/// 10,000 guesses and whether the delay clearly grows.
fn delay_projection(lat_ms: &[u64]) -> Option<(f64, bool)> {
    let n = lat_ms.len();
    if n < 6 {
        return None;
    }
    let third = n / 3;
    let early = median(lat_ms.get(..third)?.to_vec())? as f64;
    let late = median(lat_ms.get(n - third..)?.to_vec())? as f64;
    let growing = late >= 2.0 * early.max(1.0) && late - early >= 200.0;
    let nf = n as f64;
    let mean_i = (nf - 1.0) / 2.0;
    let mean_y = lat_ms.iter().map(|&v| v as f64).sum::<f64>() / nf;
    let mut num = 0.0;
    let mut den = 0.0;
    for (i, &y) in lat_ms.iter().enumerate() {
        let di = i as f64 - mean_i;
        num += di * (y as f64 - mean_y);
        den += di * di;
    }
    let b = if den > 0.0 { num / den } else { 0.0 };
    // The fitted slope must agree: over the run it must add at least as
    // much as the medians moved, or the "growth" is noise (a flat 3.4 s
    // failure delay with one slow early reply is not a defence).
    let growing = growing && b > 0.0 && b * (nf - 1.0) >= 200.0;
    let a = mean_y - b * mean_i;
    let g = PROJECTED_GUESSES as f64;
    // Sum of a + b·i for i in 0..g, never below the fastest reply seen.
    let floor = lat_ms.iter().copied().min().unwrap_or(0) as f64;
    let total_ms = (a * g + b * g * (g - 1.0) / 2.0).max(floor * g);
    Some((total_ms / 1000.0, growing))
}

/// 5400.0 → "1.5 h".
pub fn human(secs: f64) -> String {
    crate::reason::human_en(secs)
}

fn finish<A: LoginAdapter>(mut report: BruteReport, run: Run<'_, A>) -> BruteReport {
    report.attempts_sent = run.records.len();
    report.elapsed_ms = ms(run.start.elapsed());
    report.attempts = run.records;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_sees_linear_growth() {
        let lat: Vec<u64> = (0..12).map(|i| 5 + 100 * i).collect();
        let (secs, growing) = delay_projection(&lat).expect("enough samples");
        assert!(growing);
        // ~0.1 s · 10,000² / 2 = 5e6 s.
        assert!(secs > 4.0e6 && secs < 6.0e6, "{secs}");
        // PAM's failure delay: flat around 3.4 s, noisy.
        let pam: Vec<u64> = [3437, 3401, 3420, 3398, 3415, 3402, 3399, 3410, 3395]
            .into_iter()
            .collect();
        let (_, growing) = delay_projection(&pam).expect("enough samples");
        assert!(!growing);
        let flat = vec![3u64; 12];
        let (secs, growing) = delay_projection(&flat).expect("enough samples");
        assert!(!growing);
        assert!((secs - 30.0).abs() < 1.0, "{secs}");
    }

    #[test]
    fn human_units() {
        assert_eq!(human(5400.0), "1.5 h");
        assert_eq!(human(30.0), "30.0 s");
        assert_eq!(human(172_800.0), "2.0 days");
    }
}
