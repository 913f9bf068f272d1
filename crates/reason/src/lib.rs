//! Why a verdict is what it is, as data: each [`Reason`] keeps the numbers
//! and names it rests on and is written out in the reader's language by
//! [`Reason::text`] (one function per language), so the reports and the
//! terminal follow `--lang` while `report.json` keeps its English text and
//! the typed reason next to it.
//!
//! A crate of its own so that readers of an evidence directory (the
//! checklist, the registry) can write the reasons in the user's language
//! without the device-test code.

use std::fmt;

use jcstar_criteria::Lang;
use serde::{Deserialize, Serialize};

pub mod tester;
pub mod vuln;
pub use tester::{Done, NotDone};

/// A brute-force test's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BruteVerdict {
    /// Guessing 10,000 passwords would take at least the threshold: the login resists brute force.
    Resists,
    /// 10,000 guesses would fit within the threshold: the login does not resist brute force.
    DoesNotResist,
    /// The test could not decide, e.g. because of errors or a defence whose length was not measured.
    Inconclusive,
}

impl BruteVerdict {
    /// The kebab-case name written in the reports, as in `report.json`.
    pub fn name(self) -> &'static str {
        match self {
            BruteVerdict::Resists => "resists",
            BruteVerdict::DoesNotResist => "does-not-resist",
            BruteVerdict::Inconclusive => "inconclusive",
        }
    }
}

/// How a device held off guessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefenceKind {
    /// Logins are refused for a while after a number of wrong guesses.
    Lockout,
    /// Only so many guesses are evaluated in a period.
    RateLimit,
    /// Each failure makes the next reply slower.
    ProgressiveDelay,
    /// The device drops or refuses connections after wrong guesses.
    ConnectionDrop,
}

/// One reason behind a verdict or a test result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum Reason {
    // --- Scan (S1.1-13①, S1.1-13②, S1.1-12, S1.1-01) ---
    /// What the scan covered.
    Scope {
        /// Number of TCP ports probed.
        tcp_ports: usize,
        /// Whether the whole TCP port range was probed.
        tcp_all: bool,
        /// Number of UDP ports probed.
        udp_ports: usize,
    },
    /// Open ports as `PORT/TRANSPORT KIND`.
    OpenPorts {
        /// Each open port, e.g. `22/tcp ssh`.
        ports: Vec<String>,
    },
    /// UDP ports that gave no reply and no ICMP error.
    OpenFiltered {
        /// The silent UDP ports, as `PORT/udp`.
        ports: Vec<String>,
    },
    /// A finding's title (and explanation when `detail` is set), in both languages.
    Finding {
        /// English title.
        title: String,
        /// Japanese title, when the finding has one.
        title_ja: Option<String>,
        /// English explanation, if any.
        detail: Option<String>,
        /// Japanese explanation, if any; the Japanese text falls back to `detail`.
        detail_ja: Option<String>,
    },
    /// No `--declared` port list was given, so whether each open port is needed is left to review.
    NoDeclaredList,
    /// Only part of the TCP port range was scanned, so an open port may have been missed.
    NotEveryTcpPortScanned,
    /// Every open TCP/UDP port found is on the `--declared` list.
    EveryOpenPortDeclared,
    /// `jcstar probe` runs no vulnerability scan; the tester runs a scanner and keeps its report.
    NoVulnerabilityScan,
    /// No open port was found, so there is no network service to check.
    NoOpenPortNothingToCheck,
    /// Open ports whose service could not be identified.
    ServicesNotIdentified {
        /// The unidentified ports, as `PORT/TRANSPORT`.
        ports: Vec<String>,
    },
    /// TLS services were found but their protocol versions and ciphers were not assessed.
    TlsNotAssessed,
    /// No login or settings service was found running without encryption.
    NoPlaintextLogin,
    /// Traffic the device starts itself (to clouds, other devices) is outside what the probe observes.
    DeviceTrafficNotObserved,
    /// The scan found no open port.
    NoOpenPort,
    /// No identified service gave access without authentication; whether its authentication is adequate is left to the document review.
    NoUnauthenticatedAccess,
    // --- Known vulnerabilities (S1.1-13②) ---
    /// The vulnerability store does not exist: nothing was matched.
    VulnDbMissing {
        /// The store as given (path or URL).
        store: String,
    },
    /// The vulnerability store holds no record: nothing was matched.
    VulnDbEmpty {
        /// The store as given (path or URL).
        store: String,
    },
    /// The vulnerability store could not be opened or read.
    VulnDbUnusable {
        /// The store as given (path or URL).
        store: String,
        /// Why it could not be used.
        error: String,
    },
    /// What was matched against which data.
    VulnScope(Box<vuln::Scope>),
    /// One known vulnerability matched a service or an SBOM component.
    VulnMatch(Box<vuln::Matched>),
    /// No record of the store matched any compared component.
    NoKnownVulnerability {
        /// Components compared.
        components: usize,
    },
    /// No service named a product and version and no SBOM was given:
    /// nothing could be compared, which is not a pass.
    NothingToCompare,
    /// Open services whose product or version could not be identified,
    /// and SBOM components that could not be compared.
    VulnNotCompared {
        /// Each as `22/tcp` or the component's name, with why.
        items: Vec<String>,
    },
    /// A login service over TLS that no login adapter covers yet.
    LoginOverTlsNotCovered {
        /// Port number of the service.
        port: u16,
        /// Transport of the port (`tcp` or `udp`).
        transport: String,
        /// The service kind identified behind TLS.
        kind: String,
    },

    // --- Default credentials (S1.1-02) ---
    /// A default pair was accepted (the password as the evidence writes it: masked).
    DefaultPairAccepted {
        /// The service the pair was tried on.
        service: String,
        /// The accepted user name.
        user: String,
        /// The accepted password, masked as the evidence records it.
        password: String,
        /// Where the default pair came from (the list or document that names it).
        source: String,
    },
    /// The default check of one service was accepted (summary, no password).
    DefaultsAccepted {
        /// The service that accepted the pair.
        service: String,
        /// User name of the accepted pair.
        user: String,
        /// Where the default pair came from.
        source: String,
    },
    /// The device began refusing logins during the default check.
    DefaultsRefused {
        /// The service being checked.
        service: String,
        /// Pairs rejected before the check stopped.
        rejected: usize,
        /// Pairs tried in all.
        tried: usize,
        /// How the device showed the refusal (e.g. a lock message or dropped connections).
        signal: String,
        /// Number of pairs after which the refusals began.
        after_pairs: usize,
    },
    /// The default check of one service stopped after three errors in a row.
    DefaultsErrors {
        /// The service being checked.
        service: String,
        /// Pairs rejected before the check stopped.
        rejected: usize,
        /// Pairs tried in all.
        tried: usize,
        /// The last of the errors.
        last_error: String,
    },
    /// No default pair could be tried on this service.
    DefaultsNoneTried {
        /// The service that could not be checked.
        service: String,
    },
    /// Every default pair tried was rejected; this covers only the pairs tried, not every possible default.
    DefaultsNoneAccepted {
        /// The service checked.
        service: String,
        /// Number of pairs tried and rejected.
        rejected: usize,
    },
    /// No login service was checked for default credentials.
    NoLoginServiceChecked,
    /// No default pair was accepted; that the product has no common default password still needs the document review.
    NoDefaultAcceptedNeedsDocuments,

    // --- Brute force (S1.1-04) ---
    /// No brute-force test was run.
    NoBruteForceTest,
    /// The default check ran into a lock; no brute-force test ran.
    LockSeenByDefaults {
        /// The service whose default check was refused.
        service: String,
        /// How the device showed the refusal.
        signal: String,
        /// Wrong pairs sent before the refusal.
        after_pairs: usize,
        /// Seconds until the lock lifted, when that was seen.
        lifted_after_s: Option<f64>,
    },
    /// One service's brute-force result, with the account it used.
    ServiceResult {
        /// The service tested.
        service: String,
        /// The account whose password was guessed.
        account: String,
        /// The brute-force result.
        verdict: BruteVerdict,
        /// What the result rests on.
        reason: Box<Reason>,
    },
    /// The supplied correct password was refused before any guess, so nothing was sent.
    PasswordNotAcceptedBefore {
        /// How the device answered the correct password.
        signal: String,
    },
    /// A random wrong password was accepted: the login does not check the password.
    WrongPasswordAccepted {
        /// How the acceptance showed.
        signal: String,
    },
    /// The device refused from the first guess, likely still locked by an earlier run.
    RefusedFromFirstGuess,
    /// The device signalled a defence yet still accepted the correct password during it, so the defence stops no right guess.
    RefusalLetCorrectPasswordIn {
        /// The defence the device signalled.
        defence: DefenceKind,
        /// Wrong guesses before it began.
        after: usize,
    },
    /// A lock or rate limit of known length, with the projection.
    Lock {
        /// The kind of defence.
        defence: DefenceKind,
        /// Wrong guesses before it began.
        after: usize,
        /// Seconds it lasted.
        window_s: f64,
        /// Seconds 10,000 guesses would take, projected from the measurement.
        projected_s: f64,
        /// Seconds 10,000 guesses must take at least to resist (24 hours by default).
        threshold_s: f64,
    },
    /// The correct password was refused during the defence and still refused after the wait, so its length is unknown.
    LockNotLifted {
        /// The kind of defence.
        defence: DefenceKind,
        /// Wrong guesses before it began.
        after: usize,
        /// Seconds waited for it to lift.
        waited_s: f64,
    },
    /// A defence began but its length was not measured, as no correct password was supplied.
    LockNotMeasured {
        /// The kind of defence.
        defence: DefenceKind,
        /// Wrong guesses before it began.
        after: usize,
    },
    /// The service gave no answer the test could use.
    NoUsableAnswer {
        /// What went wrong.
        error: String,
    },
    /// The device stopped answering after wrong guesses; without the correct password a defence cannot be told from a fault.
    StoppedAnswering {
        /// Wrong guesses before it stopped.
        failures: usize,
        /// The connection error seen.
        error: String,
    },
    /// Connections failed after wrong guesses, but the correct password then worked at once, so the failures are no defence.
    ConnectionFailuresNotDefence {
        /// Wrong guesses before the failures.
        failures: usize,
        /// The connection error seen.
        error: String,
    },
    /// The device dropped connections, the correct password's included, for a measured time.
    ConnectionsDropped {
        /// Wrong guesses before the drops began.
        failures: usize,
        /// Seconds the drops lasted.
        window_s: f64,
        /// Seconds 10,000 guesses would take, projected from the measurement.
        projected_s: f64,
        /// Seconds 10,000 guesses must take at least to resist.
        threshold_s: f64,
    },
    /// The device stopped answering and the correct password still failed after the wait: a lockout or a crash, which the probe cannot tell apart.
    StoppedAnsweringCorrectRefused {
        /// Wrong guesses before it stopped answering.
        failures: usize,
        /// Seconds waited before the correct password was tried again.
        waited_s: f64,
    },
    /// Not one guess got an answer the test could evaluate.
    NoGuessEvaluated,
    /// So many attempts ended in errors that the measurement is not reliable.
    TooManyErrors {
        /// Attempts that ended in an error.
        errors: usize,
        /// Attempts made.
        attempts: usize,
    },
    /// The reply delay grows with each failure; the projection extrapolates the growth.
    GrowingDelay {
        /// Reply delay after the first failure, in milliseconds.
        first_ms: u64,
        /// Reply delay after the last failure, in milliseconds.
        last_ms: u64,
        /// Seconds 10,000 guesses would take, extrapolated.
        projected_s: f64,
        /// Seconds 10,000 guesses must take at least to resist.
        threshold_s: f64,
    },
    /// Every reply was slow from the first guess; slowness that does not react to failures is no defence.
    SlowFromStart {
        /// Wrong guesses sent without a refusal.
        failures: usize,
        /// Median reply time, in milliseconds.
        median_ms: u64,
    },
    /// Every wrong guess was evaluated with no visible defence.
    /// `correct_password_checked`: whether the correct password was tried
    /// afterwards, which is the only way to see a lock that answers like a
    /// wrong password.
    NoDefence {
        /// Wrong guesses evaluated in a row.
        failures: usize,
        /// Guesses per second, over one connection at a time.
        rate_per_s: f64,
        /// Seconds 10,000 guesses would take at that rate.
        projected_s: f64,
        /// Seconds 10,000 guesses must take at least to resist.
        threshold_s: f64,
        /// The most attempts the test makes; a limit above it would not be seen.
        max_attempts: usize,
        /// Whether the correct password was tried after the guesses (see above).
        correct_password_checked: bool,
    },
    /// After wrong guesses answered like any other, the correct password was refused and still was after the wait: a hidden lock or a fault.
    HiddenLockNotLifted {
        /// Wrong guesses before the correct password was refused.
        failures: usize,
        /// Seconds waited for it to work again.
        waited_s: f64,
    },
    /// A hidden lock refused the correct password for a while, but fewer wrong guesses did not set it again, so what starts it is unknown.
    HiddenLockStartUnknown {
        /// Wrong guesses before the correct password was refused.
        failures: usize,
        /// Seconds the correct password was refused for.
        window_s: f64,
    },
    /// A lock that wrong guesses cannot show: after some failures the correct password is refused too.
    HiddenLock {
        /// Wrong guesses that set the lock.
        after: usize,
        /// Seconds the lock lasted.
        window_s: f64,
        /// Seconds 10,000 guesses would take, projected from the lock.
        projected_s: f64,
        /// Seconds 10,000 guesses must take at least to resist.
        threshold_s: f64,
    },
    /// The default check's lock was still in force when the test began.
    StillLockedFromDefaults {
        /// Wrong default pairs after which the account was locked.
        after_pairs: usize,
        /// What the test found otherwise.
        then: Box<Reason>,
    },
    /// A lockout the default check first set, measured by how long it took to lift.
    LockFromDefaults {
        /// Wrong guesses before the lockout.
        after: usize,
        /// Wrong default pairs after which the default check first locked it.
        after_pairs: usize,
        /// Seconds until it lifted.
        window_s: f64,
        /// Seconds 10,000 guesses would take, projected from the lockout.
        projected_s: f64,
        /// Seconds 10,000 guesses must take at least to resist.
        threshold_s: f64,
    },
    /// Refused from the first guess while a lock set through another service was in force: the device locks its services together.
    SharedDeviceLock {
        /// The service whose wrong guesses set the lock.
        service: String,
        /// The lock as measured on that service.
        then: Box<Reason>,
    },
    /// A defence whose length was measured after the run, by when a wrong guess was evaluated again.
    LockMeasuredAfterRun {
        /// The kind of defence.
        defence: DefenceKind,
        /// Wrong guesses before it began.
        after: usize,
        /// Seconds until a wrong guess was evaluated again.
        window_s: f64,
        /// Seconds 10,000 guesses would take, projected from the defence.
        projected_s: f64,
        /// Seconds 10,000 guesses must take at least to resist.
        threshold_s: f64,
    },
    /// The login service could not be prepared for the test.
    LoginUnusable {
        /// What went wrong.
        error: String,
    },

    // --- Persistence (S1.1-06, S1.1-10, S1.1-14, S1.1-15) ---
    /// This run does not exercise a firmware update; the tester shows the update procedure and its result (S1.1-06①).
    UpdateNotExercised,
    /// The firmware version can be read over the network (S1.1-06②).
    FirmwareReadable {
        /// The version read.
        version: String,
        /// Where it was read from.
        source: String,
    },
    /// No firmware version was found in the sources given; another way to check it (screen, app) must be shown.
    FirmwareNotFound,
    /// The model number is shown over the network (S1.1-10).
    ModelShown {
        /// The model number read.
        model: String,
        /// Where it was read from.
        source: String,
    },
    /// No model number was found over the network; the label on the device or the app must be checked.
    ModelNotFound,
    /// The login service the persistence checks need could not be used.
    PersistenceLoginUnusable {
        /// What went wrong.
        error: String,
    },
    /// The changed password still works after the power cycle and the previous one does not.
    PasswordKept,
    /// After the power cycle the previous (e.g. factory) password works again: the change was lost.
    PasswordLost,
    /// After the power cycle neither the changed nor the previous password logs in.
    PasswordAfterPowerCycle {
        /// What the login with the changed password gave.
        outcome: String,
    },
    /// Firmware versions read before and after the power cycle.
    FirmwareAcrossPowerCycle {
        /// Version before the power cycle.
        before: String,
        /// Version after the power cycle.
        after: String,
    },
    /// The firmware version could not be read, so its persistence is not shown.
    FirmwareNotRead {
        /// The result of the password part.
        then: Box<Reason>,
    },
    /// The password change did not take effect, so the password part was not tested.
    PasswordPartNotTested {
        /// The result of the firmware part.
        then: Box<Reason>,
    },
    /// The power-cycle checks could not be run; the steps say why.
    PowerCycleNotRun,
    /// The firmware version was not compared across a power cycle.
    FirmwareNotCompared,
    /// No data-deletion step was run.
    NoDeletionStep,
    /// The data-deletion step failed.
    DeletionFailed {
        /// Why it was not carried out.
        error: NotDone,
    },
    /// The password the user set no longer works after the deletion.
    UserPasswordErased,
    /// The password the user set still works after the deletion: it was not erased.
    UserPasswordNotErased,
    /// Erasure not shown, because the password change did not take effect.
    ErasureNotShown,
    /// Firmware versions read before and after the deletion.
    FirmwareAcrossDeletion {
        /// Version before the deletion.
        before: String,
        /// Version after the deletion.
        after: String,
    },
}

impl Reason {
    /// The reason in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match lang {
            Lang::Ja => self.ja(),
            Lang::En => self.en(),
        }
    }

    fn en(&self) -> String {
        use Reason::*;
        match self {
            Scope {
                tcp_ports,
                tcp_all,
                udp_ports,
            } => format!(
                "scanned {tcp_ports} TCP port(s){} and {udp_ports} UDP port(s); Bluetooth and USB are not tested by the network probe",
                if *tcp_all { " (all)" } else { "" }
            ),
            OpenPorts { ports } => format!(
                "open: {}",
                if ports.is_empty() {
                    "none".into()
                } else {
                    ports.join(", ")
                }
            ),
            OpenFiltered { ports } => format!(
                "UDP open|filtered (no reply, cannot tell open from filtered): {}",
                ports.join(", ")
            ),
            Finding { title, detail, .. } => match detail {
                Some(d) => format!("{title} — {d}"),
                None => title.clone(),
            },
            NoDeclaredList => {
                "no --declared list: whether each open port is needed must be reviewed".into()
            }
            NotEveryTcpPortScanned => "not every TCP port was scanned".into(),
            EveryOpenPortDeclared => "every open TCP/UDP port found is declared".into(),
            NoVulnerabilityScan => {
                "no vulnerability scan is run by `jcstar probe`; run a scanner and keep its report"
                    .into()
            }
            NoOpenPortNothingToCheck => "no open port: nothing on the network to check".into(),
            ServicesNotIdentified { ports } => {
                format!("services not identified: {}", ports.join(", "))
            }
            TlsNotAssessed => {
                "TLS services found but their protocol versions and ciphers were not assessed"
                    .into()
            }
            NoPlaintextLogin => {
                "no login or settings service found that runs without encryption".into()
            }
            DeviceTrafficNotObserved => "traffic the device itself originates (to clouds, other devices) is not observed by the probe".into(),
            NoOpenPort => "no open port".into(),
            NoUnauthenticatedAccess => "no access without authentication was found on the identified services; whether the authentication is appropriate is a document review".into(),
            VulnDbMissing { .. }
            | VulnDbEmpty { .. }
            | VulnDbUnusable { .. }
            | VulnScope(_)
            | VulnMatch(_)
            | NoKnownVulnerability { .. }
            | NothingToCompare
            | VulnNotCompared { .. } => vuln::text(self, Lang::En),
            LoginOverTlsNotCovered {
                port,
                transport,
                kind,
            } => format!(
                "{port}/{transport}: login over TLS ({kind}) is not covered by the login adapters yet"
            ),

            DefaultPairAccepted {
                service,
                user,
                password,
                source,
            } => format!("{service}: accepted user {user:?} with password {password:?} ({source})"),
            DefaultsAccepted {
                service,
                user,
                source,
            } => format!("{service} accepted a default pair for user {user:?} (source: {source})"),
            DefaultsRefused {
                service,
                rejected,
                tried,
                signal,
                after_pairs,
            } => format!(
                "{service}: {rejected} of {tried} pairs rejected; the device began refusing logins ({signal}) after {after_pairs} pairs; stopped to avoid locking it"
            ),
            DefaultsErrors {
                service,
                rejected,
                tried,
                last_error,
            } => format!(
                "{service}: {rejected} of {tried} pairs rejected; three errors in a row, last: {last_error}"
            ),
            DefaultsNoneTried { service } => format!("{service}: no pair could be tried"),
            DefaultsNoneAccepted { service, rejected } => format!(
                "{service}: {rejected} default pairs tried, none accepted (this covers only the pairs tried, not every possible default)"
            ),
            NoLoginServiceChecked => {
                "no login service was checked for default credentials".into()
            }
            NoDefaultAcceptedNeedsDocuments => "no default pair was accepted; that the product has no common default password still needs the document review".into(),

            NoBruteForceTest => "no brute-force test was run".into(),
            LockSeenByDefaults {
                service,
                signal,
                after_pairs,
                lifted_after_s,
            } => format!(
                "{service}: the default-credential check was refused ({signal}) after {after_pairs} wrong pairs{}",
                match lifted_after_s {
                    Some(s) => format!("; it lifted about {} later", human_en(*s)),
                    None => String::new(),
                }
            ),
            ServiceResult {
                service,
                account,
                verdict,
                reason,
            } => format!(
                "{service} (account {account:?}): {} — {}",
                verdict.name(),
                reason.en()
            ),
            PasswordNotAcceptedBefore { signal } => format!(
                "the supplied password was not accepted before the test ({signal}); nothing was sent"
            ),
            WrongPasswordAccepted { signal } => format!(
                "a random wrong password was accepted ({signal}): the login does not check the password"
            ),
            RefusedFromFirstGuess => "the device refused from the first guess (already locked by an earlier run?); wait for the lockout to lift and run again".into(),
            RefusalLetCorrectPasswordIn { defence, after } => format!(
                "the device signalled a {} after {after} wrong guesses, but the correct password was still accepted during it: the refusal does not stop a right guess",
                defence_en(*defence)
            ),
            Lock {
                defence,
                after,
                window_s,
                projected_s,
                threshold_s,
            } => {
                if projected_s >= threshold_s {
                    format!(
                        "{} after {after} wrong guesses for {}; 10,000 guesses would take {} (threshold {})",
                        defence_en(*defence),
                        human_en(*window_s),
                        human_en(*projected_s),
                        human_en(*threshold_s)
                    )
                } else {
                    format!(
                        "{} after {after} wrong guesses, but it lasts only {}: 10,000 guesses would take {} (< threshold {})",
                        defence_en(*defence),
                        human_en(*window_s),
                        human_en(*projected_s),
                        human_en(*threshold_s)
                    )
                }
            }
            LockNotLifted {
                defence,
                after,
                waited_s,
            } => format!(
                "{} after {after} wrong guesses; the correct password was refused during it and still refused after waiting {}",
                defence_en(*defence),
                human_en(*waited_s)
            ),
            LockNotMeasured { defence, after } => format!(
                "{} after {after} wrong guesses; its duration was not measured (supply the correct password to measure it)",
                defence_en(*defence)
            ),
            NoUsableAnswer { error } => format!("the service gave no usable answer: {error}"),
            StoppedAnswering { failures, error } => format!(
                "after {failures} wrong guesses the device stopped answering ({error}); this may be a defence or a fault, so supply the correct password to tell them apart"
            ),
            ConnectionFailuresNotDefence { failures, error } => format!(
                "after {failures} wrong guesses the connection failed ({error}), but the correct password then worked at once: these failures are not a defence"
            ),
            ConnectionsDropped {
                failures,
                window_s,
                projected_s,
                threshold_s,
            } => format!(
                "after {failures} wrong guesses the device dropped connections, the correct password included, for {}: 10,000 guesses would take {} (threshold {})",
                human_en(*window_s),
                human_en(*projected_s),
                human_en(*threshold_s)
            ),
            StoppedAnsweringCorrectRefused { failures, waited_s } => format!(
                "after {failures} wrong guesses the device stopped answering and the correct password still failed after {}: a lockout or a crash, which the probe cannot tell apart",
                human_en(*waited_s)
            ),
            NoGuessEvaluated => "no guess was evaluated".into(),
            TooManyErrors { errors, attempts } => format!(
                "{errors} of {attempts} attempts ended in errors; the measurement is not reliable"
            ),
            GrowingDelay {
                first_ms,
                last_ms,
                projected_s,
                threshold_s,
            } => format!(
                "the reply delay grows with each failure ({first_ms} ms first, {last_ms} ms last); extrapolated, 10,000 guesses would take {} (threshold {})",
                human_en(*projected_s),
                human_en(*threshold_s)
            ),
            SlowFromStart {
                failures,
                median_ms,
            } => format!(
                "no refusal in {failures} guesses, but every reply is slow ({median_ms} ms median) from the start: slowness that does not react to failures is not a defence, and parallel guessing could not be measured safely"
            ),
            NoDefence {
                failures,
                rate_per_s,
                projected_s,
                threshold_s,
                max_attempts,
                correct_password_checked,
            } => {
                let mut s = format!(
                    "{failures} wrong guesses in a row were evaluated with no lockout, rate limit or growing delay ({rate_per_s:.1} guesses/s from one connection at a time); 10,000 guesses would take {} (< threshold {}). A limit above {max_attempts} attempts would not have been seen",
                    human_en(*projected_s),
                    human_en(*threshold_s)
                );
                if !correct_password_checked {
                    s.push_str(". Limited: no correct password was known, so a lock that answers like a wrong password (e.g. PAM's pam_faillock) could not be detected; run again with the account's correct password to check it");
                }
                s
            }
            HiddenLockNotLifted { failures, waited_s } => format!(
                "after {failures} wrong guesses, each answered like any wrong password, the correct password was refused and still refused after {}: a lock that wrong guesses cannot show, or a fault; its length was not measured",
                human_en(*waited_s)
            ),
            HiddenLockStartUnknown { failures, window_s } => format!(
                "after {failures} wrong guesses the correct password was refused for about {} (a lock that wrong guesses cannot show), but probing with fewer wrong guesses did not lock it again; the number of failures that starts it is unknown",
                human_en(*window_s)
            ),
            HiddenLock {
                after,
                window_s,
                projected_s,
                threshold_s,
            } => format!(
                "a lock that wrong guesses cannot show: after {after} wrong guesses the correct password is refused too (every wrong guess is answered the same), for about {}; 10,000 guesses would take {} (threshold {})",
                human_en(*window_s),
                human_en(*projected_s),
                human_en(*threshold_s)
            ),
            StillLockedFromDefaults { after_pairs, then } => format!(
                "the default-credential check locked the account after {after_pairs} wrong pairs and it was still locked when this test began (the wait for it to lift ran out): {}",
                then.en()
            ),
            LockFromDefaults {
                after,
                after_pairs,
                window_s,
                projected_s,
                threshold_s,
            } => format!(
                "lockout after {after} wrong guesses (the default-credential check first locked it after {after_pairs} wrong pairs); it lifted about {} later: 10,000 guesses would take {} (threshold {})",
                human_en(*window_s),
                human_en(*projected_s),
                human_en(*threshold_s)
            ),
            SharedDeviceLock { service, then } => format!(
                "refused from its first guess while the lock that wrong guesses on {service} set was in force: the device locks its services together ({})",
                then.en()
            ),
            LockMeasuredAfterRun {
                defence,
                after,
                window_s,
                projected_s,
                threshold_s,
            } => format!(
                "{} after {after} wrong guesses; a wrong guess was evaluated again about {} later: 10,000 guesses would take {} (threshold {})",
                defence_en(*defence),
                human_en(*window_s),
                human_en(*projected_s),
                human_en(*threshold_s)
            ),
            LoginUnusable { error } => format!("the login service could not be prepared: {error}"),

            UpdateNotExercised => "whether the firmware can be updated is not exercised by this run; show the update procedure and its result".into(),
            FirmwareReadable { version, source } => {
                format!("firmware version {version} is readable from {source}")
            }
            FirmwareNotFound => "no firmware version found in the sources given; show another way to check it (screen, app)".into(),
            ModelShown { model, source } => format!("model number {model} is shown by {source}"),
            ModelNotFound => "no model number found over the network; check the label on the device body or the app".into(),
            PersistenceLoginUnusable { error } => format!("login service unusable: {error}"),
            PasswordKept => "the changed password still works after the power cycle and the previous one does not".into(),
            PasswordLost => "after the power cycle the previous (e.g. factory) password works again: the change was lost".into(),
            PasswordAfterPowerCycle { outcome } => {
                format!("after the power cycle the changed password gives {outcome}")
            }
            FirmwareAcrossPowerCycle { before, after } => format!(
                "firmware version before {before}, after the power cycle {after}"
            ),
            FirmwareNotRead { then } => format!(
                "{}; the firmware version could not be read, so its persistence is not shown",
                then.en()
            ),
            PasswordPartNotTested { then } => format!(
                "{}; the password part was not tested (the change did not take effect)",
                then.en()
            ),
            PowerCycleNotRun => "the power-cycle checks could not be run (see steps)".into(),
            FirmwareNotCompared => "firmware version not compared across a power cycle".into(),
            NoDeletionStep => "no data-deletion step was run".into(),
            DeletionFailed { error } => format!("the deletion step failed: {}", error.text(Lang::En)),
            UserPasswordErased => {
                "①: the password set by the user no longer works after deletion".into()
            }
            UserPasswordNotErased => {
                "①: the password set by the user still works after deletion: it was not erased"
                    .into()
            }
            ErasureNotShown => "①: not shown (the password change did not take effect)".into(),
            FirmwareAcrossDeletion { before, after } => {
                format!("②: firmware version before {before}, after deletion {after}")
            }
        }
    }

    fn ja(&self) -> String {
        use Reason::*;
        match self {
            Scope {
                tcp_ports,
                tcp_all,
                udp_ports,
            } => format!(
                "TCP {tcp_ports} ポート{}と UDP {udp_ports} ポートを走査しました。Bluetooth と USB はネットワーク試験の対象外です",
                if *tcp_all { "（全ポート）" } else { "" }
            ),
            OpenPorts { ports } => format!(
                "開いているポート: {}",
                if ports.is_empty() {
                    "なし".into()
                } else {
                    ports.join("、")
                }
            ),
            OpenFiltered { ports } => format!(
                "UDP open|filtered（応答がなく、開いているかフィルタされているか区別できません）: {}",
                ports.join("、")
            ),
            Finding {
                title,
                title_ja,
                detail,
                detail_ja,
            } => {
                let t = title_ja.as_deref().unwrap_or(title);
                match (detail_ja, detail) {
                    (Some(d), _) => format!("{t} — {d}"),
                    (None, Some(d)) => format!("{t} — {d}"),
                    (None, None) => t.to_string(),
                }
            }
            NoDeclaredList => "--declared の一覧がないため、開いている各ポートが必要かどうかは確認が必要です".into(),
            NotEveryTcpPortScanned => "すべての TCP ポートは走査していません".into(),
            EveryOpenPortDeclared => "見つかった開いている TCP/UDP ポートはすべて申告済みです".into(),
            NoVulnerabilityScan => "`jcstar probe` は脆弱性スキャンを行いません。スキャナを実行し、その報告を保管してください".into(),
            NoOpenPortNothingToCheck => "開いているポートがなく、ネットワーク上で確認する対象がありません".into(),
            ServicesNotIdentified { ports } => {
                format!("識別できなかったサービス: {}", ports.join("、"))
            }
            TlsNotAssessed => "TLS サービスがありますが、プロトコルバージョンと暗号スイートは評価していません".into(),
            NoPlaintextLogin => "暗号化なしで動くログインや設定のサービスは見つかりませんでした".into(),
            DeviceTrafficNotObserved => "機器自身が発信する通信（クラウドや他の機器へ）はこの試験では観測していません".into(),
            NoOpenPort => "開いているポートがありません".into(),
            NoUnauthenticatedAccess => "識別したサービスに認証なしのアクセスは見つかりませんでした。認証が適切かどうかはドキュメント評価で確認します".into(),
            VulnDbMissing { .. }
            | VulnDbEmpty { .. }
            | VulnDbUnusable { .. }
            | VulnScope(_)
            | VulnMatch(_)
            | NoKnownVulnerability { .. }
            | NothingToCompare
            | VulnNotCompared { .. } => vuln::text(self, Lang::Ja),
            LoginOverTlsNotCovered {
                port,
                transport,
                kind,
            } => format!(
                "{port}/{transport}: TLS 上のログイン（{kind}）にはまだログインアダプタが対応していないため、確認していません"
            ),

            DefaultPairAccepted {
                service,
                user,
                password,
                source,
            } => format!(
                "{service}: ユーザー「{user}」とパスワード「{password}」でログインできました（出典: {}）",
                source_ja(source)
            ),
            DefaultsAccepted {
                service,
                user,
                source,
            } => format!(
                "{service}: ユーザー「{user}」の初期パスワードでログインできました（出典: {}）",
                source_ja(source)
            ),
            DefaultsRefused {
                service,
                rejected,
                tried,
                signal,
                after_pairs,
            } => format!(
                "{service}: {tried} 組中 {rejected} 組が拒否されました。{after_pairs} 組目で機器がログインを拒み始めたため（{}）、ロックさせないよう中止しました",
                signal_ja(signal)
            ),
            DefaultsErrors {
                service,
                rejected,
                tried,
                last_error,
            } => format!(
                "{service}: {tried} 組中 {rejected} 組が拒否されました。エラーが 3 回続いたため中止しました（最後のエラー: {last_error}）"
            ),
            DefaultsNoneTried { service } => format!("{service}: 一組も試せませんでした"),
            DefaultsNoneAccepted { service, rejected } => format!(
                "{service}: 初期パスワード {rejected} 組を試し、いずれも拒否されました（試した組だけが対象で、考えられるすべての初期値ではありません）"
            ),
            NoLoginServiceChecked => "初期パスワードを確認したログインサービスはありません".into(),
            NoDefaultAcceptedNeedsDocuments => "初期パスワードではログインできませんでした。共通の初期パスワードがないことは、引き続きドキュメント評価で確認が必要です".into(),

            NoBruteForceTest => "総当たり試験は実施していません".into(),
            LockSeenByDefaults {
                service,
                signal,
                after_pairs,
                lifted_after_s,
            } => format!(
                "{service}: 初期パスワード確認で誤った組 {after_pairs} 件の後にログインが拒否されました（{}）{}",
                signal_ja(signal),
                match lifted_after_s {
                    Some(s) => format!("。約 {}後に解除されました", human_ja(*s)),
                    None => String::new(),
                }
            ),
            ServiceResult {
                service,
                account,
                verdict,
                reason,
            } => format!(
                "{service}（アカウント「{account}」）: {} — {}",
                brute_verdict_ja(*verdict),
                reason.ja()
            ),
            PasswordNotAcceptedBefore { signal } => format!(
                "指定されたパスワードが試験前に受け付けられなかったため（{}）、何も送っていません",
                signal_ja(signal)
            ),
            WrongPasswordAccepted { signal } => format!(
                "ランダムな誤ったパスワードでログインできました（{signal}）。パスワードを検査していません"
            ),
            RefusedFromFirstGuess => "最初の試行から拒否されました（以前の実行でロック済みの可能性があります）。ロックの解除を待って再実行してください".into(),
            RefusalLetCorrectPasswordIn { defence, after } => format!(
                "誤ったパスワード {after} 回の後に{}を示しましたが、その間も正しいパスワードでログインできました。この拒否は正しい推測を止めません",
                defence_ja(*defence)
            ),
            Lock {
                defence,
                after,
                window_s,
                projected_s,
                threshold_s,
            } => {
                if projected_s >= threshold_s {
                    format!(
                        "誤ったパスワード {after} 回で{}（{}）。1 万回の推測には {}かかります（基準 {}）",
                        defence_ja(*defence),
                        human_ja(*window_s),
                        human_ja(*projected_s),
                        human_ja(*threshold_s)
                    )
                } else {
                    format!(
                        "誤ったパスワード {after} 回で{}が働きますが、続くのは {}だけです。1 万回の推測は {}で済みます（基準 {}未満）",
                        defence_ja(*defence),
                        human_ja(*window_s),
                        human_ja(*projected_s),
                        human_ja(*threshold_s)
                    )
                }
            }
            LockNotLifted {
                defence,
                after,
                waited_s,
            } => format!(
                "誤ったパスワード {after} 回で{}。その間は正しいパスワードも拒否され、{}待っても拒否されたままでした",
                defence_ja(*defence),
                human_ja(*waited_s)
            ),
            LockNotMeasured { defence, after } => format!(
                "誤ったパスワード {after} 回で{}。その長さは測定していません（正しいパスワードを指定すると測定できます）",
                defence_ja(*defence)
            ),
            NoUsableAnswer { error } => {
                format!("サービスから判定に使える応答がありませんでした: {error}")
            }
            StoppedAnswering { failures, error } => format!(
                "誤ったパスワード {failures} 回の後、機器が応答しなくなりました（{error}）。防御か故障かを区別するには正しいパスワードを指定してください"
            ),
            ConnectionFailuresNotDefence { failures, error } => format!(
                "誤ったパスワード {failures} 回の後に接続が失敗しましたが（{error}）、直後に正しいパスワードでログインできました。この失敗は防御ではありません"
            ),
            ConnectionsDropped {
                failures,
                window_s,
                projected_s,
                threshold_s,
            } => format!(
                "誤ったパスワード {failures} 回の後、機器は正しいパスワードも含めて {}接続を切りました。1 万回の推測には {}かかります（基準 {}）",
                human_ja(*window_s),
                human_ja(*projected_s),
                human_ja(*threshold_s)
            ),
            StoppedAnsweringCorrectRefused { failures, waited_s } => format!(
                "誤ったパスワード {failures} 回の後に機器が応答しなくなり、{}後も正しいパスワードでログインできませんでした。ロックアウトか停止かは区別できません",
                human_ja(*waited_s)
            ),
            NoGuessEvaluated => "判定された試行がありません".into(),
            TooManyErrors { errors, attempts } => format!(
                "{attempts} 回の試行のうち {errors} 回がエラーになり、測定は信頼できません"
            ),
            GrowingDelay {
                first_ms,
                last_ms,
                projected_s,
                threshold_s,
            } => format!(
                "失敗のたびに応答の遅延が増えています（最初 {first_ms} ms、最後 {last_ms} ms）。外挿すると 1 万回の推測には {}かかります（基準 {}）",
                human_ja(*projected_s),
                human_ja(*threshold_s)
            ),
            SlowFromStart {
                failures,
                median_ms,
            } => format!(
                "{failures} 回の試行で拒否はありませんが、最初からすべての応答が遅い状態です（中央値 {median_ms} ms）。失敗に反応しない遅さは防御ではなく、並列の推測は安全に測定できませんでした"
            ),
            NoDefence {
                failures,
                rate_per_s,
                projected_s,
                threshold_s,
                max_attempts,
                correct_password_checked,
            } => {
                let mut s = format!(
                    "誤ったパスワード {failures} 回が続けて判定され、ロックアウト、試行回数制限、遅延の増加のいずれもありませんでした（1 接続ずつで毎秒 {rate_per_s:.1} 回）。1 万回の推測は {}で済みます（基準 {}未満）。{max_attempts} 回を超える制限は観測できません",
                    human_ja(*projected_s),
                    human_ja(*threshold_s)
                );
                if !correct_password_checked {
                    s.push_str("。この判定には限界があります: 正しいパスワードが分からないため、誤ったパスワードと同じ応答を返すロック（PAM の pam_faillock など）は検出できません。確認するにはアカウントの正しいパスワードを指定して再実行してください");
                }
                s
            }
            HiddenLockNotLifted { failures, waited_s } => format!(
                "誤ったパスワード {failures} 回（いずれも通常の失敗と同じ応答）の後、正しいパスワードが拒否され、{}後も拒否されたままでした。誤った推測からは見えないロックか、故障です。その長さは測定していません",
                human_ja(*waited_s)
            ),
            HiddenLockStartUnknown { failures, window_s } => format!(
                "誤ったパスワード {failures} 回の後、正しいパスワードが約 {}拒否されました（誤った推測からは見えないロック）。より少ない回数では再びロックされず、ロックが始まる回数は分かりません",
                human_ja(*window_s)
            ),
            HiddenLock {
                after,
                window_s,
                projected_s,
                threshold_s,
            } => format!(
                "誤った推測からは見えないロック: 誤ったパスワード {after} 回の後、正しいパスワードも約 {}拒否されます（誤った推測への応答は常に同じ）。1 万回の推測には {}かかります（基準 {}）",
                human_ja(*window_s),
                human_ja(*projected_s),
                human_ja(*threshold_s)
            ),
            StillLockedFromDefaults { after_pairs, then } => format!(
                "初期パスワード確認で誤った組 {after_pairs} 件の後にアカウントがロックされ、この試験の開始時にもロックされたままでした（解除待ちが時間切れ）: {}",
                then.ja()
            ),
            LockFromDefaults {
                after,
                after_pairs,
                window_s,
                projected_s,
                threshold_s,
            } => format!(
                "誤ったパスワード {after} 回でロックアウト（初期パスワード確認で誤った組 {after_pairs} 件の後に最初にロック）。約 {}後に解除されました。1 万回の推測には {}かかります（基準 {}）",
                human_ja(*window_s),
                human_ja(*projected_s),
                human_ja(*threshold_s)
            ),
            SharedDeviceLock { service, then } => format!(
                "{service} への誤った推測によるロック中に、最初の試行から拒否されました。この機器はサービスをまとめてロックします（{}）",
                then.ja()
            ),
            LockMeasuredAfterRun {
                defence,
                after,
                window_s,
                projected_s,
                threshold_s,
            } => format!(
                "誤ったパスワード {after} 回で{}。約 {}後に誤ったパスワードが再び判定されました。1 万回の推測には {}かかります（基準 {}）",
                defence_ja(*defence),
                human_ja(*window_s),
                human_ja(*projected_s),
                human_ja(*threshold_s)
            ),
            LoginUnusable { error } => {
                format!("ログインサービスを準備できませんでした: {error}")
            }

            UpdateNotExercised => "ファームウェアを更新できるかどうかはこの実行では試験していません。更新手順とその結果を示してください".into(),
            FirmwareReadable { version, source } => {
                format!("ファームウェアバージョン {version} を {source} から読み取れます")
            }
            FirmwareNotFound => "指定された読み取り元にファームウェアバージョンが見つかりませんでした。別の確認方法（画面、アプリ）を示してください".into(),
            ModelShown { model, source } => format!("型番 {model} が {source} に表示されます"),
            ModelNotFound => "ネットワーク経由では型番が見つかりませんでした。機器本体のラベルやアプリで確認してください".into(),
            PersistenceLoginUnusable { error } => {
                format!("ログインサービスを使えません: {error}")
            }
            PasswordKept => "電源の再投入後も変更したパスワードでログインでき、変更前のパスワードではログインできません".into(),
            PasswordLost => "電源の再投入後に変更前（工場出荷時など）のパスワードで再びログインできます。変更が失われました".into(),
            PasswordAfterPowerCycle { outcome } => {
                format!("電源の再投入後、変更したパスワードの結果: {outcome}")
            }
            FirmwareAcrossPowerCycle { before, after } => format!(
                "ファームウェアバージョン: 電源の再投入前 {before}、再投入後 {after}"
            ),
            FirmwareNotRead { then } => format!(
                "{}。ファームウェアバージョンを読み取れず、その維持は示せていません",
                then.ja()
            ),
            PasswordPartNotTested { then } => format!(
                "{}。パスワードの維持は試験していません（変更が反映されませんでした）",
                then.ja()
            ),
            PowerCycleNotRun => "電源の再投入の確認を実施できませんでした（手順の記録を参照）".into(),
            FirmwareNotCompared => "電源の再投入の前後でファームウェアバージョンを比較していません".into(),
            NoDeletionStep => "データ削除の手順は実施していません".into(),
            DeletionFailed { error } => format!("削除の手順が失敗しました: {}", error.text(Lang::Ja)),
            UserPasswordErased => "①: 利用者が設定したパスワードは削除後に使えなくなりました".into(),
            UserPasswordNotErased => "①: 利用者が設定したパスワードが削除後も使えます。消去されていません".into(),
            ErasureNotShown => "①: 示せていません（パスワードの変更が反映されませんでした）".into(),
            FirmwareAcrossDeletion { before, after } => {
                format!("②: ファームウェアバージョン: 削除前 {before}、削除後 {after}")
            }
        }
    }
}

impl fmt::Display for Reason {
    /// English, as `report.json` keeps it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en())
    }
}

/// The source of a default pair in Japanese: the built-in list's sources
/// are English citations, kept in `login.json`.
fn source_ja(source: &str) -> String {
    match source
        .strip_prefix("user-supplied (")
        .and_then(|s| s.strip_suffix(')'))
    {
        Some(file) => format!("指定された資格情報ファイル {file}"),
        None => "組み込みの初期パスワード一覧、詳細は login.json".into(),
    }
}

/// The source of a default pair as the terminal and reports write it in
/// `lang`.
pub fn source_text(source: &str, lang: Lang) -> String {
    match lang {
        Lang::Ja => source_ja(source),
        Lang::En => source.to_string(),
    }
}

/// An attempt's outcome label (`locked-out`, ...) as the terminal and
/// reports write it in `lang`.
pub fn signal_text(label: &str, lang: Lang) -> &str {
    match lang {
        Lang::Ja => signal_ja(label),
        Lang::En => label,
    }
}

/// An attempt's outcome label (`locked-out`, ...) in Japanese.
fn signal_ja(label: &str) -> &str {
    match label {
        "success" => "ログイン成功",
        "failure" => "ログイン失敗",
        "locked-out" => "ロックアウト",
        "rate-limited" => "試行回数制限",
        "error" => "エラー",
        other => other,
    }
}

fn defence_en(k: DefenceKind) -> &'static str {
    match k {
        DefenceKind::Lockout => "lockout",
        DefenceKind::RateLimit => "rate limit",
        DefenceKind::ProgressiveDelay => "growing delay",
        DefenceKind::ConnectionDrop => "connection drop",
    }
}

fn defence_ja(k: DefenceKind) -> &'static str {
    match k {
        DefenceKind::Lockout => "ロックアウト",
        DefenceKind::RateLimit => "試行回数制限",
        DefenceKind::ProgressiveDelay => "遅延の増加",
        DefenceKind::ConnectionDrop => "接続の切断",
    }
}

/// A brute-force result in Japanese.
pub fn brute_verdict_ja(v: BruteVerdict) -> &'static str {
    match v {
        BruteVerdict::Resists => "耐性あり",
        BruteVerdict::DoesNotResist => "耐性なし",
        BruteVerdict::Inconclusive => "判定不能",
    }
}

/// A brute-force result in `lang`.
pub fn brute_verdict(v: BruteVerdict, lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => brute_verdict_ja(v),
        Lang::En => v.name(),
    }
}

/// 5400.0 → "1.5 h".
pub fn human_en(secs: f64) -> String {
    if secs >= 86_400.0 {
        format!("{:.1} days", secs / 86_400.0)
    } else if secs >= 3600.0 {
        format!("{:.1} h", secs / 3600.0)
    } else if secs >= 60.0 {
        format!("{:.1} min", secs / 60.0)
    } else {
        format!("{secs:.1} s")
    }
}

/// 5400.0 → "1.5 時間".
pub fn human_ja(secs: f64) -> String {
    if secs >= 86_400.0 {
        format!("{:.1} 日", secs / 86_400.0)
    } else if secs >= 3600.0 {
        format!("{:.1} 時間", secs / 3600.0)
    } else if secs >= 60.0 {
        format!("{:.1} 分", secs / 60.0)
    } else {
        format!("{secs:.1} 秒")
    }
}

/// A length of time in `lang`.
pub fn human(secs: f64, lang: Lang) -> String {
    match lang {
        Lang::Ja => human_ja(secs),
        Lang::En => human_en(secs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_reason_in_both_languages() {
        let r = Reason::Lock {
            defence: DefenceKind::Lockout,
            after: 5,
            window_s: 60.0,
            projected_s: 200_000.0,
            threshold_s: 86_400.0,
        };
        assert_eq!(
            r.text(Lang::En),
            "lockout after 5 wrong guesses for 1.0 min; 10,000 guesses would take 2.3 days (threshold 1.0 days)"
        );
        let ja = r.text(Lang::Ja);
        assert!(ja.contains("ロックアウト") && ja.contains("2.3 日"), "{ja}");
        // The built-in list's English citations stay in login.json.
        let accepted = Reason::DefaultPairAccepted {
            service: "telnet 127.0.0.1:23".into(),
            user: "admin".into(),
            password: "a***n".into(),
            source: "Mirai botnet source code, credential table of the telnet scanner (2016)"
                .into(),
        };
        let ja = accepted.text(Lang::Ja);
        assert!(!ja.contains("Mirai") && ja.contains("組み込み"), "{ja}");
        assert!(accepted.text(Lang::En).contains("Mirai"));
        // The typed reason survives report.json.
        let back: Reason =
            serde_json::from_value(serde_json::to_value(&r).expect("json")).expect("back");
        assert_eq!(back, r);
    }
}
