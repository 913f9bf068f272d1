//! `jcstar assess`: every automatable ★1 device test against one device —
//! scan and identification, TLS, default credentials, brute-force
//! resistance and (with `--power-cycle-cmd`) persistence — written to one
//! evidence directory with a Markdown and an HTML report.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use jcstar_criteria::Catalog;
use jcstar_probe::login::bruteforce::{self, BruteOptions};
use jcstar_probe::login::defaults::{self, DefaultsOptions, DefaultsReport};
use jcstar_probe::login::report::{self as lreport, BruteRun, Header};
use jcstar_probe::login::{Adapter, ServiceKind as LoginKind, ServiceSpec, creds, mask};
use jcstar_probe::{Access, ProbeOptions, Progress, ServiceKind, Verdict, evidence};

use crate::Ctx;
use crate::cmd_persistence;

/// Boxed so that the `Command` enum in main stays small.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    inner: Box<Opts>,
}

#[derive(clap::Args)]
struct Opts {
    /// The device: one IP address or host name.
    target: String,
    /// TCP ports to scan (`all`, `top` or a list).
    #[arg(long, default_value = "all")]
    tcp: String,
    /// UDP ports (`iot`, `top`, `none` or a list).
    #[arg(long, default_value = "iot")]
    udp: String,
    /// Login services to test in addition to those identified, as
    /// KIND[+tls]:PORT[/PATH] (e.g. `http-form:8080/login`, `snmp:161`,
    /// `http-basic+tls:8443`).
    #[arg(long = "service")]
    services: Vec<String>,
    /// Test only the services given with --service (no scan).
    #[arg(long)]
    no_scan: bool,
    /// Extra credentials to try first: `user:password` lines or a TOML list.
    #[arg(long)]
    credentials: Option<PathBuf>,
    /// Default pairs tried per service at most.
    #[arg(long, default_value_t = 10)]
    default_attempts: usize,
    /// Default-credential guesses in flight at once per service, fixed.
    /// Without it SSH starts at 5 (dropbear's limit of unauthenticated
    /// connections per address) and other services at 4, and a service
    /// that closes new connections at once gets one task fewer each time.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    login_tasks: Option<u16>,
    /// Account for the brute-force test (default: the account of an
    /// accepted default pair, else `admin`).
    #[arg(long)]
    user: Option<String>,
    /// The account's correct password: confirms a lockout also blocks it
    /// and measures how long the lockout lasts.
    #[arg(long, env = "JCSTAR_PASSWORD")]
    password: Option<String>,
    /// Wrong passwords sent per service at most.
    #[arg(long, default_value_t = 20)]
    attempts: usize,
    /// Pause between brute-force attempts in milliseconds.
    #[arg(long, default_value_t = 0)]
    interval: u64,
    /// How long to wait for a lockout to lift, in seconds.
    #[arg(long, default_value_t = 60)]
    max_wait: u64,
    /// Skip the brute-force test.
    #[arg(long)]
    no_brute_force: bool,
    /// Do not ask before the brute-force test.
    #[arg(long)]
    yes: bool,
    /// Per-operation deadline in milliseconds.
    #[arg(long, default_value_t = 3000)]
    timeout: u64,
    /// Run the persistence checks with this power-cycle command (needs
    /// --login-for-persistence and --old-password).
    #[arg(long)]
    power_cycle_cmd: Option<String>,
    /// KIND:PORT[/PATH] of the login used by the persistence checks.
    #[arg(long)]
    persistence_login: Option<String>,
    /// Current password for the persistence checks.
    #[arg(long, env = "JCSTAR_OLD_PASSWORD")]
    old_password: Option<String>,
    #[arg(long)]
    change_password_cmd: Option<String>,
    #[arg(long)]
    delete_data_cmd: Option<String>,
    /// Firmware/model sources for the persistence checks (see `probe persistence --info`).
    #[arg(long = "info")]
    info: Vec<String>,
    /// Evidence directory to create (default: `assess-TARGET-TIME`).
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Checklist file to attach the evidence to.
    #[arg(long)]
    checklist: Option<PathBuf>,
    /// Print only JSON (the verdicts and the evidence path).
    #[arg(long)]
    json: bool,
    /// Show passwords in the terminal instead of masking them.
    #[arg(long)]
    show_secrets: bool,
}

/// Login services the scan identified, as adapter specs.
fn login_specs(report: &jcstar_probe::Report) -> (Vec<ServiceSpec>, Vec<String>) {
    let ip = report.target.address;
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for p in &report.ports {
        let Some(s) = &p.service else { continue };
        let addr = std::net::SocketAddr::new(ip, p.port);
        let methods: Vec<String> = match &s.access {
            Access::Authenticated { methods } => methods.clone(),
            _ => Vec::new(),
        };
        let path = s
            .details
            .get("login_page")
            .cloned()
            .unwrap_or_else(|| "/".into());
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
                let m = s.details.get("auth_methods").cloned().unwrap_or_default();
                if m.contains("keyboard-interactive") && !m.contains("password") {
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
            k if k.is_tls() && !methods.is_empty() => skipped.push(format!(
                "{}/{}: login over TLS ({k}) is not covered by the login adapters yet",
                p.port, p.transport
            )),
            _ => {}
        }
    }
    (out, skipped)
}

fn confirm(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("{question}: stdin is not a terminal; pass --yes to confirm");
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let args = *args.inner;
    let started = now();
    let ip = cmd_persistence::resolve(&args.target)?;
    let timeout = Duration::from_millis(args.timeout.max(1));
    let user_creds = match &args.credentials {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            creds::parse_user_file(&p.display().to_string(), &text)?
        }
        None => Vec::new(),
    };
    let builtin = creds::builtin()?;
    let extra_specs = args
        .services
        .iter()
        .map(|s| cmd_persistence::parse_service(ip, s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let out_dir = args.output.clone().unwrap_or_else(|| {
        let stamp = started.replace([':', '-'], "");
        PathBuf::from(format!(
            "assess-{}-{stamp}",
            args.target.replace([':', '/'], "_")
        ))
    });
    if out_dir.join("report.json").exists() {
        bail!(
            "{} already holds a report; choose a new directory",
            out_dir.display()
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let say = |s: String| {
        if !args.json {
            eprintln!("{s}");
        }
    };

    // 1. Scan and identification (the probe's own report and evidence).
    let mut outcome = if args.no_scan {
        None
    } else {
        say(format!(
            "scanning {} (tcp {}, udp {}) ...",
            args.target, args.tcp, args.udp
        ));
        let mut opts = ProbeOptions::new(args.target.clone());
        opts.tcp = args.tcp.clone();
        opts.udp = args.udp.clone();
        Some(rt.block_on(jcstar_probe::probe(&opts, Arc::new(Progress::default())))?)
    };
    let (mut specs, skipped) = outcome
        .as_ref()
        .map(|o| login_specs(&o.report))
        .unwrap_or_default();
    for s in extra_specs {
        if !specs.iter().any(|x| x.kind == s.kind && x.addr == s.addr) {
            specs.push(s);
        }
    }
    for s in &skipped {
        say(format!("note: {s}"));
    }

    // 2. TLS on every TLS port.
    let mut extra_files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    if let Some(o) = &outcome {
        let tls_ports: Vec<u16> = o
            .report
            .ports
            .iter()
            .filter(|p| p.service.as_ref().is_some_and(|s| s.kind.is_tls()))
            .map(|p| p.port)
            .collect();
        for port in tls_ports {
            say(format!("TLS assessment of port {port} ..."));
            let r = rt.block_on(jcstar_probe::tls::assess(
                std::net::SocketAddr::new(ip, port),
                None,
                &jcstar_probe::tls::TlsOptions::default(),
            ));
            extra_files.insert(format!("tls/{port}.json"), serde_json::to_vec_pretty(&r)?);
        }
    }

    // 3. Default credentials, every service at once.
    say(format!(
        "default credentials: at most {} pairs on each of {} login services",
        args.default_attempts,
        specs.len()
    ));
    let dopts = DefaultsOptions {
        limit: args.default_attempts,
        interval: Duration::ZERO,
        concurrency: args
            .login_tasks
            .map_or(defaults::DEFAULT_CONCURRENCY, usize::from),
        adaptive: args.login_tasks.is_none(),
    };
    let defaults_reports: Vec<DefaultsReport> = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for spec in specs.clone() {
            let plan = creds::plan(&user_creds, &builtin, spec.kind, dopts.limit);
            let mut dopts = dopts.clone();
            if dopts.adaptive {
                dopts.concurrency = defaults::start_concurrency(spec.kind);
            }
            set.spawn(async move {
                let name = spec.describe();
                match Adapter::prepare(&spec, timeout).await {
                    Ok(a) => {
                        defaults::check(&a, &name, spec.kind, &plan, &dopts, &mut |_| {}).await
                    }
                    Err(e) => DefaultsReport {
                        service: name,
                        kind: spec.kind,
                        status: defaults::DefaultsStatus::Inconclusive,
                        tried: 0,
                        accepted: None,
                        summary: e.to_string(),
                        results: Vec::new(),
                    },
                }
            });
        }
        let mut v = Vec::new();
        while let Some(r) = set.join_next().await {
            if let Ok(r) = r {
                v.push(r);
            }
        }
        v.sort_by(|a, b| a.service.cmp(&b.service));
        v
    });
    for r in &defaults_reports {
        let line = match &r.accepted {
            Some(a) if !args.show_secrets => format!(
                "{}: ACCEPTED default pair {:?} / {} ({})",
                r.service,
                a.username,
                mask(&a.password),
                a.source
            ),
            Some(a) => format!(
                "{}: ACCEPTED default pair {:?} / {:?} ({})",
                r.service, a.username, a.password, a.source
            ),
            None => r.summary.clone(),
        };
        say(line);
    }

    // 4. Brute-force resistance, every service at once.
    let brute_specs: Vec<ServiceSpec> = specs
        .iter()
        .filter(|s| s.kind.uses_username())
        .cloned()
        .collect();
    let mut runs: Vec<BruteRun> = Vec::new();
    if !args.no_brute_force && !brute_specs.is_empty() {
        let user = args.user.clone().unwrap_or_else(|| {
            defaults_reports
                .iter()
                .find_map(|r| r.accepted.as_ref().map(|a| a.username.clone()))
                .unwrap_or_else(|| "admin".into())
        });
        let mut bopts = BruteOptions::new(&user);
        bopts.max_attempts = args.attempts;
        bopts.interval = Duration::from_millis(args.interval);
        bopts.correct_password = args.password.clone();
        bopts.max_wait = Duration::from_secs(args.max_wait);
        let q = format!(
            "brute-force test: up to {} login attempts as user {user:?} on each of {} services ({}); this may lock the account",
            bopts.worst_case_attempts(),
            brute_specs.len(),
            brute_specs
                .iter()
                .map(|s| s.describe())
                .collect::<Vec<_>>()
                .join(", ")
        );
        say(q.clone());
        if args.yes || confirm("continue?")? {
            runs = rt.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for spec in brute_specs.clone() {
                    let bopts = bopts.clone();
                    set.spawn(async move {
                        let name = spec.describe();
                        let report = match Adapter::prepare(&spec, timeout).await {
                            Ok(a) => bruteforce::run(&a, &bopts, &mut |_| {}).await,
                            Err(e) => {
                                let mut r =
                                    bruteforce::run(&UnusableAdapter, &bopts, &mut |_| {}).await;
                                r.reason = e.to_string();
                                r
                            }
                        };
                        BruteRun {
                            service: name,
                            report,
                        }
                    });
                }
                let mut v = Vec::new();
                while let Some(r) = set.join_next().await {
                    if let Ok(r) = r {
                        v.push(r);
                    }
                }
                v.sort_by(|a, b| a.service.cmp(&b.service));
                v
            });
            for r in &runs {
                say(format!(
                    "{}: {} — {}",
                    r.service,
                    r.report.verdict.name(),
                    r.report.reason
                ));
            }
        } else {
            say("brute-force test skipped".into());
        }
    }

    // 5. Persistence, when a power-cycle command is given.
    let mut persistence_report = None;
    if let Some(cmd) = &args.power_cycle_cmd {
        let login = args
            .persistence_login
            .clone()
            .context("--power-cycle-cmd needs --persistence-login KIND:PORT")?;
        let old = args
            .old_password
            .clone()
            .context("--power-cycle-cmd needs --old-password (or JCSTAR_OLD_PASSWORD)")?;
        let pargs = cmd_persistence::PersistenceArgs {
            target: args.target.clone(),
            login,
            user: args.user.clone().unwrap_or_else(|| "admin".into()),
            old_password: old,
            new_password: None,
            change_password_cmd: args.change_password_cmd.clone(),
            power_cycle_cmd: Some(cmd.clone()),
            delete_data_cmd: args.delete_data_cmd.clone(),
            delete_data: false,
            info: args.info.clone(),
            firmware_re: None,
            model_re: None,
            timeout: args.timeout,
            come_back: 120,
            json: args.json,
            output: None,
            show_secrets: args.show_secrets,
        };
        let (plan, mut tester) = cmd_persistence::build_plan(&pargs)?;
        let secrets = [plan.old_password.clone(), plan.new_password.clone()];
        let json = args.json;
        let show = args.show_secrets;
        let r = rt.block_on(jcstar_probe::login::persistence::run(
            &plan,
            &mut tester,
            &mut |s| {
                if !json {
                    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
                    eprintln!("{}", cmd_persistence::step_line(s, &refs, show));
                }
            },
        ));
        persistence_report = Some(r);
    }

    // 6. One report: the probe's, with the login and persistence results.
    let finished = now();
    let mut report = match outcome.as_mut() {
        Some(o) => o.report.clone(),
        None => jcstar_probe::Report {
            schema: jcstar_probe::report::SCHEMA.into(),
            jcstar_version: env!("CARGO_PKG_VERSION").into(),
            target: jcstar_probe::report::Target {
                input: args.target.clone(),
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
    };
    report.finished = finished.clone();
    report
        .findings
        .extend(lreport::findings(&defaults_reports, &runs));
    report.verdicts.retain(|v| {
        let b = lreport::base_id(&v.criterion);
        b != "S1.1-02" && b != "S1.1-04"
    });
    report
        .verdicts
        .push(lreport::defaults_verdict(&defaults_reports));
    if !args.no_brute_force {
        report.verdicts.push(lreport::brute_verdict(&runs));
    }
    if let Some(p) = &persistence_report {
        report.verdicts.extend(p.verdicts.iter().cloned());
    }
    // Pairs from the built-in list are public; user-supplied ones are masked.
    let mut dr_evidence = defaults_reports.clone();
    for r in &mut dr_evidence {
        for p in r.results.iter_mut().chain(r.accepted.iter_mut()) {
            p.password = lreport::evidence_password(&p.source, &p.password);
        }
    }
    let login_json = serde_json::json!({
        "services": specs,
        "skipped": skipped,
        "default_credentials": dr_evidence,
        "brute_force": runs,
    });
    report.extra.insert("login".into(), login_json.clone());
    extra_files.insert("login.json".into(), serde_json::to_vec_pretty(&login_json)?);
    if let Some(p) = &persistence_report {
        extra_files.insert("persistence.json".into(), serde_json::to_vec_pretty(p)?);
    }
    let catalog = Catalog::star1();
    let rows = lreport::rows(catalog, ctx.lang, &report.verdicts);
    let header = Header {
        target: format!("{} ({ip})", args.target),
        started,
        finished,
        jcstar_version: env!("CARGO_PKG_VERSION").into(),
        evidence_dir: out_dir.display().to_string(),
    };
    extra_files.insert(
        "report.md".into(),
        lreport::markdown(&header, &rows, ctx.lang).into_bytes(),
    );
    extra_files.insert(
        "report.html".into(),
        lreport::html(&header, &rows, ctx.lang).into_bytes(),
    );
    let transcripts = outcome.map(|o| o.transcripts).unwrap_or_default();
    evidence::write(&out_dir, &report, &transcripts, &extra_files)?;

    if let Some(path) = &args.checklist {
        let mut checklist = jcstar_checklist::Checklist::from_path(path)
            .with_context(|| format!("reading checklist {}", path.display()))?;
        let base = path.parent().unwrap_or(std::path::Path::new("."));
        let rel = pathdiff(&out_dir, base);
        let mut ids: Vec<&str> = report
            .verdicts
            .iter()
            .filter(|v| v.verdict != Verdict::NotTested)
            .map(|v| lreport::base_id(&v.criterion))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for id in &ids {
            checklist.attach_evidence(
                id,
                jcstar_checklist::Evidence::DeviceTest(jcstar_checklist::TestResultRef {
                    path: format!("{rel}/report.json"),
                    external: false,
                    ..Default::default()
                }),
            );
        }
        checklist
            .write_path(path, Some(catalog))
            .with_context(|| format!("writing checklist {}", path.display()))?;
        say(format!(
            "attached the evidence to {} for {}",
            path.display(),
            ids.join(", ")
        ));
    }

    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "evidence": out_dir.display().to_string(),
                "verdicts": rows.iter().map(|r| serde_json::json!({"criterion": r.id, "verdict": r.verdict, "tested": r.tested})).collect::<Vec<_>>(),
            }))?
        );
    } else {
        for r in &rows {
            println!("{:<8} {:<13} {}", r.id, r.verdict.to_string(), r.title);
        }
        println!("evidence: {}", out_dir.display());
    }
    Ok(if rows.iter().any(|r| r.verdict == Verdict::Fail) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `dir` relative to `base` when it lies under it, else as given.
fn pathdiff(dir: &std::path::Path, base: &std::path::Path) -> String {
    let abs = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (d, b) = (abs(dir), abs(base));
    d.strip_prefix(&b)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| d.display().to_string())
}

/// Stands in for a service whose adapter could not be prepared, so the run
/// still yields an (inconclusive) report with the reason.
struct UnusableAdapter;

impl jcstar_probe::login::LoginAdapter for UnusableAdapter {
    async fn try_login(&self, _u: &str, _p: &str) -> jcstar_probe::login::Attempt {
        jcstar_probe::login::Attempt::Error {
            reason: "the login service could not be prepared".into(),
        }
    }
}
