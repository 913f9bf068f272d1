//! The whole ★1 device run (`jcstar assess`): scan and identification (with
//! the TLS assessment), default credentials, brute-force resistance and, when
//! asked, persistence — as one plan, one entry point and one set of evidence.
//!
//! The run touches only the plan's target: every given service must be on
//! the resolved address, and the address passes the same safety check as
//! `jcstar probe`. Default-credential checks and the brute-force test share
//! one view of each service's lockout: a lockout the default check provokes
//! is waited out (and measured) before the brute-force test, and its numbers
//! count as S1.1-04 evidence. It never prints; the caller gets [`Event`]s
//! and polls [`Progress`].

use jcstar_criteria::{CriterionId, star1};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use jcstar_criteria::{Catalog, Lang};
use serde::{Deserialize, Serialize};

use crate::login::bruteforce::{self, BruteOptions};
use crate::login::creds::{self, Credential};
use crate::login::defaults::{self, DefaultsOptions, DefaultsReport, DefaultsStatus};
use crate::login::persistence::{self, PersistencePlan, PersistenceReport, Step, Tester};
use crate::login::report::{self as lreport, BruteRun, Header, Row};
use crate::login::{Adapter, Attempt, LoginAdapter, LoginKind, ServiceSpec, mask};
use crate::reason::{Done, NotDone, Reason};
use crate::report::{self, Access, Report, ServiceKind};
use crate::transcript::Transcript;
use crate::{ProbeError, ProbeOptions, Progress, evidence, target};

/// The device as the tester named it and the one address it resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessTarget {
    /// As the tester wrote it.
    pub input: String,
    /// The one address the assessment touches.
    pub address: IpAddr,
}

impl AssessTarget {
    /// Resolves and checks the target: one unicast address, never a range,
    /// broadcast or multicast (the check `jcstar probe` applies).
    pub fn resolve(input: &str) -> Result<AssessTarget, ProbeError> {
        let address = target::resolve_blocking(input)?;
        Ok(AssessTarget {
            input: input.trim().to_string(),
            address,
        })
    }
}

/// Which ports the scan covers; `None` in the plan: no scan, only the
/// services the tester gave.
#[derive(Debug, Clone)]
pub struct ScanPlan {
    /// TCP ports: `all`, `top`, `none` or a list.
    pub tcp: String,
    /// UDP ports: `iot`, `top`, `none` or a list.
    pub udp: String,
}

/// The brute-force test's budget and accounts.
#[derive(Debug, Clone)]
pub struct BrutePlan {
    /// Account for every service, unless `users` names one for its kind.
    pub user: Option<String>,
    /// Accounts per login kind (the tester knows the device's accounts).
    pub users: BTreeMap<String, String>,
    /// The correct password of the tester's account: shows whether a lock
    /// also refuses it, and how long the lock lasts.
    pub password: Option<String>,
    /// Wrong passwords per service at most.
    pub attempts: usize,
    /// Pause between attempts.
    pub interval: Duration,
    /// How long to wait for a lockout to lift.
    pub max_wait: Duration,
}

/// Everything one assessment does, decided before it starts.
#[derive(Debug, Clone)]
pub struct AssessPlan {
    /// The device assessed.
    pub target: AssessTarget,
    /// The ports to scan; `None`: no scan.
    pub scan: Option<ScanPlan>,
    /// Services the tester gave in addition to those the scan finds.
    pub services: Vec<ServiceSpec>,
    /// The tester's credentials, tried before the built-in list.
    pub credentials: Vec<Credential>,
    /// Default pairs per service at most.
    pub default_attempts: usize,
    /// Fixed default-check tasks per service; `None`: adaptive.
    pub login_tasks: Option<usize>,
    /// `None`: no brute-force test.
    pub brute: Option<BrutePlan>,
    /// Shortest per-attempt deadline; raised to fit the failure delay each
    /// service shows.
    pub timeout: Duration,
    /// The persistence run, if the tester asked for one.
    pub persistence: Option<PersistencePlan>,
    /// Language of the Markdown/HTML report and its verdict reasons.
    pub lang: Lang,
    /// Shown in the report header (where the evidence will be written).
    pub evidence_dir: String,
    /// The known-vulnerability check (S1.1-13②); `None`: not run.
    pub vulns: Option<crate::vulns::VulnPlan>,
}

/// What the brute-force test is about to do, for the tester to confirm.
#[derive(Debug, Clone, Serialize)]
pub struct BruteAnnouncement {
    /// Attempts per service in the worst case.
    pub worst_case_attempts: usize,
    /// `service description`, account.
    pub services: Vec<(String, String)>,
}

/// What happens during the run, in order, for the caller to show.
#[derive(Debug)]
pub enum Event<'a> {
    /// The scan is starting.
    Scanning {
        /// The TCP ports, as given.
        tcp: &'a str,
        /// The UDP ports, as given.
        udp: &'a str,
    },
    /// A found service no adapter covers.
    Skipped(&'a Reason),
    /// The default-credential check is starting.
    DefaultsStarting {
        /// Number of login services it covers.
        services: usize,
        /// Pairs per service at most.
        limit: usize,
    },
    /// The default check of one service is done.
    Defaults(&'a DefaultsReport),
    /// The deadline per attempt, from the service's measured failure delay.
    Deadline {
        /// The service.
        service: &'a str,
        /// Measured reply time of one wrong login, if measured.
        failure_delay_ms: Option<u64>,
        /// The deadline chosen, in milliseconds.
        deadline_ms: u64,
    },
    /// A lockout seen by the default check is being waited out.
    LockoutWait {
        /// The service.
        service: &'a str,
        /// The longest wait.
        max_wait: Duration,
    },
    /// The lockout the default check provoked lifted (or the wait ran out).
    LockoutLifted {
        /// The service.
        service: &'a str,
        /// How long after the check it lifted; `None` if not within the wait.
        after: Option<Duration>,
    },
    /// The brute-force test is about to start; the caller is asked to confirm.
    BruteForce(&'a BruteAnnouncement),
    /// The brute-force test was not run.
    BruteForceSkipped,
    /// One service's brute-force run is done.
    Brute(&'a BruteRun),
    /// A step of the persistence run is done.
    Persistence(&'a Step),
}

/// The caller's side of the run: it sees events and answers the one question.
pub trait Observer {
    /// Called with each event as it happens.
    fn event(&mut self, e: Event<'_>);
    /// Whether the brute-force test may start; `Err` stops the run and says why.
    fn confirm_brute_force(&mut self, a: &BruteAnnouncement) -> Result<bool, Unconfirmed>;
}

/// Why the tester could not be asked whether the brute-force test may start.
#[derive(Debug, thiserror::Error)]
pub enum Unconfirmed {
    /// Nobody is at a terminal to answer, and no standing consent was given.
    #[error(
        "stdin is not a terminal, so the brute-force test cannot be confirmed; pass --yes to confirm in advance"
    )]
    NoTerminal,
    /// Reading the answer failed.
    #[error("reading the answer failed: {0}")]
    Read(#[from] std::io::Error),
}

impl Unconfirmed {
    /// The reason in the user's language.
    pub fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Unconfirmed::NoTerminal, Lang::Ja) => "標準入力が端末ではないため、総当たり試験を始めてよいか確認できません。--yes で事前に同意してください".into(),
            (Unconfirmed::Read(e), Lang::Ja) => format!("回答を読み取れません: {e}"),
        }
    }
}

/// Why an assessment stopped.
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    /// The probe failed.
    #[error(transparent)]
    Probe(#[from] ProbeError),
    /// A service the tester gave is not on the target's address.
    #[error(
        "{service}: not on the target {target}; the assessment touches only the device it was given"
    )]
    OffTarget {
        /// The service, as given.
        service: String,
        /// The target's address.
        target: IpAddr,
    },
    /// The tester's confirmation was not obtained.
    #[error(transparent)]
    NotConfirmed(Unconfirmed),
    /// The built-in credential list could not be read.
    #[error("built-in credential list: {0}")]
    Credentials(String),
    /// An evidence file could not be produced.
    #[error("evidence: {0}")]
    Evidence(String),
}

impl AssessError {
    /// The error in the user's language.
    pub fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (AssessError::Probe(e), _) => e.text(lang),
            (AssessError::OffTarget { service, target }, _) => format!(
                "{service}: 対象 {target} 上のサービスではありません。評価では指定された機器だけに接続します"
            ),
            (AssessError::NotConfirmed(u), _) => u.text(lang),
            (AssessError::Credentials(e), _) => format!("組み込みの認証情報一覧: {e}"),
            (AssessError::Evidence(e), _) => format!("証拠: {e}"),
        }
    }
}

/// One service's login check: the account, deadline and lock seen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceLogin {
    /// The service, named as the reports show it.
    pub service: String,
    /// Which login adapter it uses.
    pub kind: LoginKind,
    /// Account the brute-force test used, and why that one.
    pub account: Option<String>,
    /// Why that account was chosen.
    pub account_source: Option<String>,
    /// Reply time of one wrong login, measured before the checks.
    pub failure_delay_ms: Option<u64>,
    /// Per-attempt deadline used.
    pub deadline_ms: u64,
    /// The default check ran into a lockout or rate limit.
    pub lock_seen_by_defaults: Option<LockSeen>,
}

/// A lockout the default-credential check provoked, and how long it lasted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockSeen {
    /// Wrong pairs the device evaluated before it began refusing.
    pub after_attempts: usize,
    /// How the device showed the refusal.
    pub signal: String,
    /// How long after the default check the login worked again (None: not
    /// within the wait).
    pub lifted_after_ms: Option<u64>,
    /// How the lift was seen: a correct password accepted, or a wrong one
    /// evaluated again.
    pub lifted_by: Option<String>,
}

/// The finished run: the report, the files behind it and the rows of the
/// human report.
#[derive(Debug, Clone)]
pub struct AssessOutcome {
    /// The report written as `report.json`.
    pub report: Report,
    /// The raw exchanges behind the report.
    pub transcripts: Vec<Transcript>,
    /// Every further evidence file by relative path (TLS, login,
    /// persistence, report.md, report.html).
    pub files: BTreeMap<String, Vec<u8>>,
    /// The rows of the human report, one per criterion.
    pub rows: Vec<Row>,
}

impl AssessOutcome {
    /// Writes the evidence directory once, with its manifest.
    pub fn write(&self, dir: &std::path::Path) -> Result<(), ProbeError> {
        evidence::write(dir, &self.report, &self.transcripts, &self.files).map(|_| ())
    }
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Login services the scan identified, as adapter specs; and the found
/// login services no adapter covers.
pub fn login_specs(report: &Report) -> (Vec<ServiceSpec>, Vec<Reason>) {
    let ip = report.target.address;
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for p in &report.ports {
        let Some(s) = &p.service else { continue };
        if p.transport != report::Transport::Tcp && s.kind != ServiceKind::Snmp {
            continue;
        }
        let addr = SocketAddr::new(ip, p.port);
        let methods: Vec<String> = match &s.access {
            Access::Authenticated { methods } => methods.clone(),
            _ => Vec::new(),
        };
        let path = s.login_page.clone().unwrap_or_else(|| "/".into());
        match &s.kind {
            ServiceKind::Http | ServiceKind::Https => {
                let tls = s.kind.is_tls();
                for m in &methods {
                    let kind = match m.as_str() {
                        "basic" => LoginKind::HttpBasic,
                        "digest" => LoginKind::HttpDigest,
                        "form" => LoginKind::HttpForm,
                        _ => continue,
                    };
                    out.push(ServiceSpec::new(kind, addr).with_path(&path).with_tls(tls));
                }
            }
            ServiceKind::Ssh => {
                let offers = |m: &str| methods.iter().any(|x| x == m);
                if offers("keyboard-interactive") && !offers("password") {
                    out.push(ServiceSpec::new(LoginKind::SshKeyboardInteractive, addr));
                } else {
                    out.push(ServiceSpec::new(LoginKind::SshPassword, addr));
                }
            }
            ServiceKind::Telnet if !methods.is_empty() => {
                out.push(ServiceSpec::new(LoginKind::Telnet, addr))
            }
            ServiceKind::Ftp if !methods.is_empty() => {
                out.push(ServiceSpec::new(LoginKind::Ftp, addr))
            }
            ServiceKind::Mqtt if !methods.is_empty() => {
                out.push(ServiceSpec::new(LoginKind::Mqtt, addr))
            }
            ServiceKind::MqttTls if !methods.is_empty() => {
                out.push(ServiceSpec::new(LoginKind::Mqtt, addr).with_tls(true))
            }
            ServiceKind::Snmp => out.push(ServiceSpec::new(LoginKind::Snmp, addr)),
            k if k.is_tls() && !methods.is_empty() => {
                skipped.push(Reason::LoginOverTlsNotCovered {
                    port: p.port,
                    transport: p.transport.to_string(),
                    kind: k.to_string(),
                })
            }
            _ => {}
        }
    }
    (out, skipped)
}

/// The account the brute-force test uses on one service, and why.
fn choose_account(
    plan: &BrutePlan,
    kind: LoginKind,
    accepted: Option<&defaults::PairResult>,
    builtin: &[Credential],
) -> (String, &'static str) {
    if let Some(u) = plan.users.get(kind.name()) {
        return (u.clone(), "given for this service");
    }
    if let Some(u) = &plan.user {
        return (u.clone(), "given by the tester");
    }
    if let Some(a) = accepted {
        return (
            a.username.clone(),
            "the account of the accepted default pair",
        );
    }
    match builtin
        .iter()
        .find(|c| c.applies_to(kind) && !c.username.is_empty())
    {
        Some(c) => (
            c.username.clone(),
            "the most common default account for this kind of service",
        ),
        None => ("admin".into(), "no better guess"),
    }
}

/// Whether the deadline of `kind` is fitted to a measured failure delay.
pub fn measures_failure_delay(kind: LoginKind) -> bool {
    matches!(
        kind,
        LoginKind::Telnet
            | LoginKind::Ftp
            | LoginKind::SshPassword
            | LoginKind::SshKeyboardInteractive
    )
}

/// Sends one wrong login for an account nobody has, with a long deadline,
/// and returns how long the refusal took (None: no definite answer).
async fn failure_delay(spec: &ServiceSpec, probe_deadline: Duration) -> Option<Duration> {
    // Only logins handed to the operating system (login, BusyBox login,
    // PAM, OpenSSH) hold a failure back for seconds; measuring others would
    // spend a guess of a lockout budget that may be shared by every service.
    if !measures_failure_delay(spec.kind) {
        return None;
    }
    let a = Adapter::prepare(spec, probe_deadline).await.ok()?;
    let user = format!("jc{}", crate::login::random_token(8));
    let pass = format!("jc{}", crate::login::random_token(14));
    let t0 = Instant::now();
    match a.try_login(&user, &pass).await {
        Attempt::Failure { .. } => Some(t0.elapsed()),
        _ => None,
    }
}

/// Deadline for one attempt: the tester's floor, or twice the failure delay
/// the device showed plus a second, whichever is longer; at most 30 s.
pub fn deadline_for(floor: Duration, failure_delay: Option<Duration>) -> Duration {
    let fitted = failure_delay
        .map(|d| d * 2 + Duration::from_secs(1))
        .unwrap_or_default();
    floor.max(fitted).min(Duration::from_secs(30)).max(floor)
}

/// Waits until a locked login answers again: with the correct password
/// (known from an accepted default pair or the tester) until it is
/// accepted, otherwise until a wrong guess is evaluated again. Polls less
/// often as the wait grows, so it does not keep extending a lock that
/// counts attempts made during it.
async fn wait_for_lift(
    adapter: &Adapter,
    user: &str,
    correct: Option<&str>,
    max_wait: Duration,
    progress: &Progress,
) -> (Option<Duration>, Option<&'static str>) {
    let start = Instant::now();
    let mut poll = Duration::from_secs(2);
    while start.elapsed() < max_wait {
        let left = max_wait.saturating_sub(start.elapsed());
        tokio::time::sleep(poll.min(left)).await;
        let waited = start.elapsed();
        progress.done.fetch_max(waited.as_secs(), Ordering::Relaxed);
        let (pass, by) = match correct {
            Some(p) => (p.to_string(), "the correct password was accepted again"),
            None => (
                format!("jc{}", crate::login::random_token(14)),
                "a wrong password was evaluated again",
            ),
        };
        let a = adapter.try_login(user, &pass).await;
        let lifted = matches!(
            (&a, correct),
            (Attempt::Success { .. }, Some(_)) | (Attempt::Failure { .. }, None)
        );
        if lifted {
            return (Some(start.elapsed()), Some(by));
        }
        poll = (poll + poll / 4).min(Duration::from_secs(10));
    }
    (None, None)
}

/// Measures each service's failure delay (one wrong login each, at once).
async fn measure_delays(
    specs: &[ServiceSpec],
    plan: &AssessPlan,
    progress: &Arc<Progress>,
    observer: &mut dyn Observer,
) -> Vec<Option<Duration>> {
    progress.start("failure delay", specs.len() as u64);
    let probe_deadline = plan.timeout.max(Duration::from_secs(15));
    let delays = futures_util::future::join_all(specs.iter().map(|s| {
        let p = progress.clone();
        async move {
            let d = failure_delay(s, probe_deadline).await;
            p.done.fetch_add(1, Ordering::Relaxed);
            d
        }
    }))
    .await;
    for (s, d) in specs.iter().zip(&delays) {
        observer.event(Event::Deadline {
            service: &s.describe(),
            failure_delay_ms: d.map(ms),
            deadline_ms: ms(deadline_for(plan.timeout, *d)),
        });
    }
    delays
}

struct Checked {
    spec: ServiceSpec,
    deadline: Duration,
    failure_delay: Option<Duration>,
    defaults: DefaultsReport,
}

/// Runs the plan. `tester` performs the persistence steps (power cycle,
/// password change) when the plan has them.
pub async fn run<T: Tester>(
    plan: &AssessPlan,
    tester: Option<&mut T>,
    observer: &mut dyn Observer,
    progress: Arc<Progress>,
) -> Result<AssessOutcome, AssessError> {
    let ip = plan.target.address;
    target::check_address(ip).map_err(|reason| ProbeError::Target {
        input: plan.target.input.clone(),
        reason,
    })?;
    let on_target = |spec: &ServiceSpec| {
        if spec.addr.ip() == ip {
            Ok(())
        } else {
            Err(AssessError::OffTarget {
                service: spec.describe(),
                target: ip,
            })
        }
    };
    for s in &plan.services {
        on_target(s)?;
    }
    if let Some(p) = &plan.persistence {
        on_target(&p.login)?;
    }
    let builtin = creds::builtin().map_err(|e| AssessError::Credentials(e.to_string()))?;
    let started_wall = SystemTime::now();

    // 1. Scan, identification and TLS: the probe's own report and files.
    let mut outcome = match &plan.scan {
        None => None,
        Some(s) => {
            observer.event(Event::Scanning {
                tcp: &s.tcp,
                udp: &s.udp,
            });
            let mut opts = ProbeOptions::new(plan.target.input.clone());
            opts.tcp = s.tcp.clone();
            opts.udp = s.udp.clone();
            let o = crate::probe(&opts, progress.clone()).await?;
            if o.report.target.address != ip {
                return Err(AssessError::Probe(ProbeError::Target {
                    input: plan.target.input.clone(),
                    reason: target::Refusal::Moved {
                        before: ip,
                        during: o.report.target.address,
                    },
                }));
            }
            Some(o)
        }
    };
    let (mut specs, skipped) = outcome
        .as_ref()
        .map(|o| login_specs(&o.report))
        .unwrap_or_default();
    for s in &plan.services {
        if !specs.iter().any(|x| x.kind == s.kind && x.addr == s.addr) {
            specs.push(s.clone());
        }
    }
    for s in &skipped {
        observer.event(Event::Skipped(s));
    }

    // 2. Each service's failure delay sets its deadline; measured before
    // the first phase that sends logins (the brute-force test, after the
    // tester confirmed it, when no default pair is tried).
    let measure_now = plan.default_attempts > 0;
    let delays = if measure_now {
        measure_delays(&specs, plan, &progress, observer).await
    } else {
        vec![None; specs.len()]
    };

    // 3. Default credentials, every service at once.
    observer.event(Event::DefaultsStarting {
        services: specs.len(),
        limit: plan.default_attempts,
    });
    let dopts = DefaultsOptions {
        limit: plan.default_attempts,
        interval: Duration::ZERO,
        concurrency: plan.login_tasks.unwrap_or(defaults::DEFAULT_CONCURRENCY),
        adaptive: plan.login_tasks.is_none(),
    };
    progress.start(
        "default credentials",
        (specs.len() * plan.default_attempts) as u64,
    );
    let mut checked: Vec<Checked> =
        futures_util::future::join_all(specs.iter().zip(&delays).map(|(spec, delay)| {
            let pairs = creds::plan(&plan.credentials, &builtin, spec.kind, dopts.limit);
            let mut dopts = dopts.clone();
            if dopts.adaptive {
                dopts.concurrency = defaults::start_concurrency(spec.kind);
            }
            let deadline = deadline_for(plan.timeout, *delay);
            let p = progress.clone();
            async move {
                let name = spec.describe();
                let report = match Adapter::prepare(spec, deadline).await {
                    Ok(a) => {
                        defaults::check(&a, &name, spec.kind, &pairs, &dopts, &mut |_| {
                            p.done.fetch_add(1, Ordering::Relaxed);
                        })
                        .await
                    }
                    Err(e) => DefaultsReport {
                        service: name,
                        kind: spec.kind,
                        status: DefaultsStatus::Inconclusive,
                        tried: 0,
                        accepted: None,
                        summary: crate::reason::Reason::LoginUnusable {
                            error: e.to_string(),
                        },
                        results: Vec::new(),
                    },
                };
                Checked {
                    spec: spec.clone(),
                    deadline,
                    failure_delay: *delay,
                    defaults: report,
                }
            }
        }))
        .await;
    for c in &checked {
        observer.event(Event::Defaults(&c.defaults));
    }

    // 4. Brute-force resistance, with each service's own account; a lock
    // the default check provoked is waited out first and measured.
    let mut logins: Vec<ServiceLogin> = checked
        .iter()
        .map(|c| ServiceLogin {
            service: c.defaults.service.clone(),
            kind: c.spec.kind,
            account: None,
            account_source: None,
            failure_delay_ms: c.failure_delay.map(ms),
            deadline_ms: ms(c.deadline),
            lock_seen_by_defaults: lock_seen(&c.defaults),
        })
        .collect();
    let mut runs: Vec<BruteRun> = Vec::new();
    if let Some(bp) = &plan.brute {
        let targets: Vec<(usize, String, &'static str, Option<String>)> = checked
            .iter()
            .enumerate()
            .filter(|(_, c)| c.spec.kind.uses_username())
            .map(|(i, c)| {
                let accepted = c.defaults.accepted.as_ref();
                let (user, why) = choose_account(bp, c.spec.kind, accepted, &builtin);
                // The right password is known when the tester gave it for
                // this account, or a default pair for it was accepted.
                let correct = match accepted {
                    Some(a) if a.username == user => Some(a.password.clone()),
                    _ if bp.users.contains_key(c.spec.kind.name()) || bp.user.is_some() => {
                        bp.password.clone()
                    }
                    _ => None,
                };
                (i, user, why, correct)
            })
            .collect();
        if !targets.is_empty() {
            let mut sample = BruteOptions::new("");
            sample.max_attempts = bp.attempts;
            sample.max_wait = bp.max_wait;
            sample.correct_password = bp.password.clone();
            let announcement = BruteAnnouncement {
                // One more when the failure delay is still to be measured.
                worst_case_attempts: sample.worst_case_attempts()
                    + usize::from(
                        !measure_now
                            && targets.iter().any(|(i, ..)| {
                                checked
                                    .get(*i)
                                    .is_some_and(|c| measures_failure_delay(c.spec.kind))
                            }),
                    ),
                services: targets
                    .iter()
                    .filter_map(|(i, u, _, _)| {
                        checked.get(*i).map(|c| (c.spec.describe(), u.clone()))
                    })
                    .collect(),
            };
            observer.event(Event::BruteForce(&announcement));
            if observer
                .confirm_brute_force(&announcement)
                .map_err(AssessError::NotConfirmed)?
            {
                if !measure_now {
                    let brute_specs: Vec<ServiceSpec> = targets
                        .iter()
                        .filter_map(|(i, ..)| checked.get(*i).map(|c| c.spec.clone()))
                        .collect();
                    let measured = measure_delays(&brute_specs, plan, &progress, observer).await;
                    for ((i, ..), d) in targets.iter().zip(measured) {
                        if let Some(c) = checked.get_mut(*i) {
                            c.failure_delay = d;
                            c.deadline = deadline_for(plan.timeout, d);
                        }
                        if let Some(l) = logins.get_mut(*i) {
                            l.failure_delay_ms = d.map(ms);
                            l.deadline_ms = ms(deadline_for(plan.timeout, d));
                        }
                    }
                }
                // Lock waits first (announced), then the runs.
                let waits: Vec<usize> = targets
                    .iter()
                    .filter(|(i, ..)| {
                        logins
                            .get(*i)
                            .is_some_and(|l| l.lock_seen_by_defaults.is_some())
                    })
                    .map(|(i, ..)| *i)
                    .collect();
                if !waits.is_empty() {
                    for &i in &waits {
                        if let Some(l) = logins.get(i) {
                            observer.event(Event::LockoutWait {
                                service: &l.service,
                                max_wait: bp.max_wait,
                            });
                        }
                    }
                    progress.start("lockout wait (s)", bp.max_wait.as_secs());
                    let lifted = futures_util::future::join_all(waits.iter().map(|&i| {
                        let t = targets.iter().find(|t| t.0 == i);
                        let c = checked.get(i);
                        let p = progress.clone();
                        async move {
                            let (Some((_, user, _, correct)), Some(c)) = (t, c) else {
                                return (None, None);
                            };
                            match Adapter::prepare(&c.spec, c.deadline).await {
                                Ok(a) => {
                                    wait_for_lift(&a, user, correct.as_deref(), bp.max_wait, &p)
                                        .await
                                }
                                Err(_) => (None, None),
                            }
                        }
                    }))
                    .await;
                    for (&i, (after, by)) in waits.iter().zip(lifted) {
                        if let Some(l) = logins.get_mut(i) {
                            if let Some(seen) = l.lock_seen_by_defaults.as_mut() {
                                seen.lifted_after_ms = after.map(ms);
                                seen.lifted_by = by.map(str::to_string);
                            }
                            observer.event(Event::LockoutLifted {
                                service: &l.service,
                                after,
                            });
                        }
                    }
                }
                progress.start(
                    "brute force",
                    (targets.len() * announcement.worst_case_attempts) as u64,
                );
                // Every adapter is ready before the first guess, so that one
                // service's guesses cannot lock another's preparation out.
                let adapters = futures_util::future::join_all(targets.iter().map(|(i, ..)| {
                    let c = checked.get(*i);
                    async move {
                        let c = c?;
                        Some(Adapter::prepare(&c.spec, c.deadline).await)
                    }
                }))
                .await;
                runs = futures_util::future::join_all(targets.iter().zip(&adapters).map(
                    |((i, user, _, correct), adapter)| {
                        let c = checked.get(*i);
                        let p = progress.clone();
                        let mut bopts = BruteOptions::new(user);
                        bopts.max_attempts = bp.attempts;
                        bopts.interval = bp.interval;
                        bopts.correct_password = correct.clone();
                        bopts.max_wait = bp.max_wait;
                        async move {
                            let c = c?;
                            let name = c.spec.describe();
                            let mut count = |_: &bruteforce::AttemptRecord| {
                                p.done.fetch_add(1, Ordering::Relaxed);
                            };
                            let report = match adapter.as_ref()? {
                                Ok(a) => bruteforce::run(a, &bopts, &mut count).await,
                                Err(e) => {
                                    let mut r =
                                        bruteforce::run(&Unusable, &bopts, &mut count).await;
                                    r.reason = crate::reason::Reason::LoginUnusable {
                                        error: e.to_string(),
                                    };
                                    r
                                }
                            };
                            Some(BruteRun {
                                service: name,
                                report,
                            })
                        }
                    },
                ))
                .await
                .into_iter()
                .flatten()
                .collect();
                // A lock the run met but could not time (no correct password
                // known) is waited out with wrong guesses and measured.
                let untimed: Vec<usize> = runs
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| bruteforce::needs_timing(&r.report))
                    .map(|(k, _)| k)
                    .collect();
                if !untimed.is_empty() {
                    for &k in &untimed {
                        if let Some(r) = runs.get(k) {
                            observer.event(Event::LockoutWait {
                                service: &r.service,
                                max_wait: bp.max_wait,
                            });
                        }
                    }
                    progress.start("lockout wait (s)", bp.max_wait.as_secs());
                    let lifted = futures_util::future::join_all(untimed.iter().map(|&k| {
                        let a = adapters
                            .get(k)
                            .and_then(|a| a.as_ref())
                            .and_then(|a| a.as_ref().ok());
                        let user = targets.get(k).map(|t| t.1.as_str()).unwrap_or_default();
                        let p = progress.clone();
                        async move {
                            match a {
                                Some(a) => wait_for_lift(a, user, None, bp.max_wait, &p).await.0,
                                None => None,
                            }
                        }
                    }))
                    .await;
                    for (&k, w) in untimed.iter().zip(lifted) {
                        if let Some(r) = runs.get_mut(k) {
                            observer.event(Event::LockoutLifted {
                                service: &r.service,
                                after: w,
                            });
                            if let Some(w) = w {
                                bruteforce::apply_measured_window(&mut r.report, w);
                            }
                        }
                    }
                }
                for (run, (i, user, why, _)) in runs.iter_mut().zip(&targets) {
                    if let Some(l) = logins.get_mut(*i) {
                        l.account = Some(user.clone());
                        l.account_source = Some((*why).to_string());
                        if let Some(seen) = &l.lock_seen_by_defaults {
                            bruteforce::apply_lock_from_defaults(
                                &mut run.report,
                                seen.after_attempts,
                                seen.lifted_after_ms.map(Duration::from_millis),
                            );
                        }
                    }
                }
                bruteforce::share_device_lock(&mut runs);
                for run in &runs {
                    observer.event(Event::Brute(run));
                }
            } else {
                observer.event(Event::BruteForceSkipped);
            }
        }
    }

    // 5. Persistence.
    let persistence_report: Option<PersistenceReport> = match (&plan.persistence, tester) {
        (Some(p), Some(t)) => {
            Some(persistence::run(p, t, &mut |s| observer.event(Event::Persistence(s))).await)
        }
        _ => None,
    };

    // 6. One report: the probe's, with the login and persistence results.
    let finished = rfc3339(SystemTime::now());
    let started = outcome
        .as_ref()
        .map(|o| o.report.started.clone())
        .unwrap_or_else(|| rfc3339(started_wall));
    let (mut report, transcripts, mut files) = match outcome.take() {
        Some(o) => (o.report, o.transcripts, o.extra_files),
        None => (
            Report {
                schema: report::SCHEMA.into(),
                jcstar_version: env!("CARGO_PKG_VERSION").into(),
                target: report::Target {
                    input: plan.target.input.clone(),
                    address: ip,
                },
                started: started.clone(),
                finished: finished.clone(),
                options: serde_json::Value::Null,
                stats: Default::default(),
                ports: Vec::new(),
                findings: Vec::new(),
                verdicts: Vec::new(),
                extra: BTreeMap::new(),
            },
            Vec::new(),
            BTreeMap::new(),
        ),
    };
    report.finished = finished.clone();
    let defaults_reports: Vec<DefaultsReport> =
        checked.iter().map(|c| c.defaults.clone()).collect();
    report
        .findings
        .extend(lreport::findings(&defaults_reports, &runs));
    report.verdicts.retain(|v| {
        let b = v.criterion.base();
        b != star1::S1_1_02 && b != star1::S1_1_04
    });
    report
        .verdicts
        .push(lreport::defaults_verdict(&defaults_reports));
    if plan.brute.is_some() {
        report.verdicts.push(lreport::brute_verdict(&runs));
    } else if let Some(v) = lreport::lock_only_verdict(&logins) {
        report.verdicts.push(v);
    }
    if let Some(p) = &persistence_report {
        report.verdicts.extend(p.verdicts.iter().cloned());
    }
    // Every credential is masked the same way in the evidence.
    let mut dr_evidence = defaults_reports.clone();
    for r in &mut dr_evidence {
        for p in r.results.iter_mut().chain(r.accepted.iter_mut()) {
            p.password = mask(&p.password);
        }
    }
    let login_json = serde_json::json!({
        "services": specs,
        // English, as before the reasons were typed.
        "skipped": skipped.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "accounts": logins,
        "default_credentials": dr_evidence,
        "brute_force": runs,
    });
    report.extra.insert("login".into(), login_json.clone());
    let to_bytes = |v: &serde_json::Value| {
        serde_json::to_vec_pretty(v).map_err(|e| AssessError::Evidence(e.to_string()))
    };
    files.insert("login.json".into(), to_bytes(&login_json)?);
    if let Some(p) = &persistence_report {
        let v = serde_json::to_value(p).map_err(|e| AssessError::Evidence(e.to_string()))?;
        files.insert("persistence.json".into(), to_bytes(&v)?);
    }
    if let Some(v) = &plan.vulns {
        progress.start("known vulnerabilities", 1);
        crate::vulns::apply(v, &mut report, &mut files).await;
        progress.done.fetch_add(1, Ordering::Relaxed);
    }
    let catalog = Catalog::star1();
    let mut rows = lreport::rows(catalog, plan.lang, &report.verdicts);
    for row in &mut rows {
        if let Ok(id) = row.id.parse::<CriterionId>() {
            row.evidence = evidence_of(id, &report, &files);
        }
    }
    let header = Header {
        target: format!("{} ({ip})", plan.target.input),
        started,
        finished,
        jcstar_version: env!("CARGO_PKG_VERSION").into(),
        evidence_dir: plan.evidence_dir.clone(),
    };
    files.insert(
        "report.md".into(),
        lreport::markdown(&header, &rows, plan.lang).into_bytes(),
    );
    files.insert(
        "report.html".into(),
        lreport::html(&header, &rows, plan.lang).into_bytes(),
    );
    Ok(AssessOutcome {
        report,
        transcripts,
        files,
        rows,
    })
}

/// The evidence files behind one criterion's verdict: those its findings
/// cite, the login record for S1.1-02/-04, the persistence run for the
/// criteria it judges, and report.json for any verdict at all.
fn evidence_of(id: CriterionId, report: &Report, files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut out: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.criterion.base() == id)
        .flat_map(|f| f.evidence.iter().cloned())
        .collect();
    let has = |f: &str| files.contains_key(f);
    let persisted = report.extra.contains_key("persistence") || has("persistence.json");
    if (id == star1::S1_1_02 || id == star1::S1_1_04) && has("login.json") {
        out.push("login.json".into());
    }
    if id == star1::S1_1_13 && has(crate::vulns::VULNS_JSON) {
        out.push(crate::vulns::VULNS_JSON.into());
    }
    if persisted
        && [
            star1::S1_1_06,
            star1::S1_1_10,
            star1::S1_1_14,
            star1::S1_1_15,
        ]
        .contains(&id)
    {
        out.push("persistence.json".into());
    }
    let judged = report
        .verdicts
        .iter()
        .any(|v| v.criterion.base() == id && v.verdict != report::Verdict::NotTested);
    if judged {
        out.push(evidence::REPORT_JSON.into());
    }
    out.sort();
    out.dedup();
    out
}

/// The lock a default check ran into, if it did.
fn lock_seen(r: &DefaultsReport) -> Option<LockSeen> {
    let pos = r.results.iter().position(|p| p.outcome.is_refusal())?;
    let after = r
        .results
        .iter()
        .take(pos)
        .filter(|p| matches!(p.outcome, Attempt::Failure { .. }))
        .count();
    let signal = r
        .results
        .get(pos)
        .map(|p| p.outcome.label().to_string())
        .unwrap_or_default();
    Some(LockSeen {
        after_attempts: after,
        signal,
        lifted_after_ms: None,
        lifted_by: None,
    })
}

/// The evidence of a persistence run on its own (`probe persistence -o`):
/// a report with its verdicts and the run as `persistence.json`.
pub fn persistence_outcome(
    target: &AssessTarget,
    p: &PersistenceReport,
) -> Result<AssessOutcome, AssessError> {
    let started = p
        .steps
        .first()
        .map(|s| s.at.clone())
        .unwrap_or_else(|| rfc3339(SystemTime::now()));
    let finished = p
        .steps
        .last()
        .map(|s| s.at.clone())
        .unwrap_or_else(|| started.clone());
    let value = serde_json::to_value(p).map_err(|e| AssessError::Evidence(e.to_string()))?;
    let bytes =
        serde_json::to_vec_pretty(&value).map_err(|e| AssessError::Evidence(e.to_string()))?;
    let mut extra = BTreeMap::new();
    extra.insert("persistence".to_string(), value);
    let report = Report {
        schema: report::SCHEMA.into(),
        jcstar_version: env!("CARGO_PKG_VERSION").into(),
        target: report::Target {
            input: target.input.clone(),
            address: target.address,
        },
        started,
        finished,
        options: serde_json::Value::Null,
        stats: Default::default(),
        ports: Vec::new(),
        findings: Vec::new(),
        verdicts: p.verdicts.clone(),
        extra,
    };
    let mut files = BTreeMap::new();
    files.insert("persistence.json".to_string(), bytes);
    Ok(AssessOutcome {
        report,
        transcripts: Vec::new(),
        files,
        rows: Vec::new(),
    })
}

/// The tester of a plan without persistence steps: `run::<NoTester>(plan, None, ..)`.
pub enum NoTester {}

impl Tester for NoTester {
    async fn change_password(&mut self, _new: &str) -> Result<Done, NotDone> {
        match *self {}
    }
    async fn power_cycle(&mut self) -> Result<Done, NotDone> {
        match *self {}
    }
    async fn delete_data(&mut self) -> Option<Result<Done, NotDone>> {
        match *self {}
    }
}

/// Stands in for a service whose adapter could not be prepared, so the run
/// still yields an (inconclusive) report with the reason.
struct Unusable;

impl LoginAdapter for Unusable {
    async fn try_login(&self, _u: &str, _p: &str) -> Attempt {
        Attempt::Error {
            reason: "the login service could not be prepared".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_follows_the_failure_delay() {
        let floor = Duration::from_secs(3);
        assert_eq!(deadline_for(floor, None), floor);
        assert_eq!(deadline_for(floor, Some(Duration::from_millis(50))), floor);
        // PAM's 3 s failure delay: twice that plus a second.
        assert_eq!(
            deadline_for(floor, Some(Duration::from_secs(3))),
            Duration::from_secs(7)
        );
        assert_eq!(
            deadline_for(floor, Some(Duration::from_secs(60))),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn multicast_targets_are_refused_before_anything_is_sent() {
        for bad in ["224.0.0.1", "255.255.255.255", "ff02::1", "10.0.0.0/8"] {
            assert!(AssessTarget::resolve(bad).is_err(), "{bad} accepted");
        }
        assert!(AssessTarget::resolve("127.0.0.2").is_ok());
    }
}
