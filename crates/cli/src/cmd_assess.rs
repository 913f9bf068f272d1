//! `jcstar assess`: every automatable ★1 device test against one device,
//! run by `jcstar_probe::assess`. This file parses the flags into a plan,
//! shows progress, asks before the brute-force test, and prints.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use jcstar_criteria::Lang;
use jcstar_probe::assess::{
    self, AssessPlan, AssessTarget, BruteAnnouncement, BrutePlan, Event, Observer, ScanPlan,
    Unconfirmed,
};
use jcstar_probe::assess_text::Secrets;
use jcstar_probe::login::creds;
use jcstar_probe::login::report::verdict_word;
use jcstar_probe::{Progress, Verdict};

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
    /// Account for the brute-force test: NAME for every service, or
    /// KIND=NAME for one kind (e.g. `ssh-password=root`), repeatable.
    /// Default per service: the account of a default pair it accepted, else
    /// the most common default account for that kind of service.
    #[arg(long = "user")]
    users: Vec<String>,
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
    #[arg(long, default_value_t = 120)]
    max_wait: u64,
    /// Skip the brute-force test.
    #[arg(long)]
    no_brute_force: bool,
    /// Do not ask before the brute-force test.
    #[arg(long)]
    yes: bool,
    /// Shortest per-attempt deadline in milliseconds; each login service's
    /// deadline is raised to fit the failure delay it shows.
    #[arg(long, default_value_t = 3000)]
    timeout: u64,
    /// Run the persistence checks with this power-cycle command (needs
    /// --persistence-login and --old-password).
    #[arg(long)]
    power_cycle_cmd: Option<String>,
    /// KIND:PORT[/PATH] of the login used by the persistence checks.
    #[arg(long)]
    persistence_login: Option<String>,
    /// Current password for the persistence checks.
    #[arg(long, env = "JCSTAR_OLD_PASSWORD")]
    old_password: Option<String>,
    /// Shell command that changes the password for the persistence checks
    /// (see `probe persistence --change-password-cmd`).
    #[arg(long)]
    change_password_cmd: Option<String>,
    /// Shell command that deletes user data for the persistence checks.
    #[arg(long)]
    delete_data_cmd: Option<String>,
    /// Firmware/model sources for the persistence checks (see `probe persistence --info`).
    #[arg(long = "info")]
    info: Vec<String>,
    #[command(flatten)]
    vuln: crate::cmd_probe::VulnArgs,
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

fn confirm(question: &str) -> Result<bool, Unconfirmed> {
    if !std::io::stdin().is_terminal() {
        return Err(Unconfirmed::NoTerminal);
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

/// Shows the run's events on stderr (nothing with --json).
struct Terminal {
    lang: Lang,
    quiet: bool,
    yes: bool,
    show_secrets: bool,
    secrets: Vec<String>,
}

impl Terminal {
    fn say(&self, s: String) {
        if !self.quiet {
            eprintln!("{s}");
        }
    }
}

impl Observer for Terminal {
    fn event(&mut self, e: Event<'_>) {
        let known: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        let secrets = Secrets {
            known: &known,
            show: self.show_secrets,
        };
        self.say(e.line(self.lang, secrets));
    }

    fn confirm_brute_force(&mut self, _a: &BruteAnnouncement) -> Result<bool, Unconfirmed> {
        if self.yes {
            return Ok(true);
        }
        confirm(match self.lang {
            Lang::Ja => "続けますか?",
            Lang::En => "continue?",
        })
    }
}

/// `NAME` or `KIND=NAME` values of `--user`.
fn accounts(values: &[String]) -> anyhow::Result<(Option<String>, BTreeMap<String, String>)> {
    let mut all = None;
    let mut per = BTreeMap::new();
    for v in values {
        match v.split_once('=') {
            Some((kind, name)) => {
                let k = jcstar_probe::login::LoginKind::parse(kind).with_context(|| {
                    format!(
                        "--user {v:?}: unknown service kind {kind:?}; accepted: {}",
                        jcstar_probe::login::LoginKind::ALL
                            .map(|k| k.name())
                            .join(", ")
                    )
                })?;
                per.insert(k.name().to_string(), name.to_string());
            }
            None => all = Some(v.clone()),
        }
    }
    Ok((all, per))
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let args = *args.inner;
    let target = AssessTarget::resolve(&args.target)?;
    let ip = target.address;
    let credentials = match &args.credentials {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            creds::parse_user_file(&p.display().to_string(), &text)?
        }
        None => Vec::new(),
    };
    let services = args
        .services
        .iter()
        .map(|s| cmd_persistence::parse_service(ip, s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let out_dir = args.output.clone().unwrap_or_else(|| {
        let stamp = now().replace([':', '-'], "");
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
    let vulns = args.vuln.plan()?;
    let (user, users) = accounts(&args.users)?;
    let brute = (!args.no_brute_force).then(|| BrutePlan {
        user: user.clone(),
        users,
        password: args.password.clone(),
        attempts: args.attempts,
        interval: Duration::from_millis(args.interval),
        max_wait: Duration::from_secs(args.max_wait),
    });
    let mut persistence = None;
    let mut tester = None;
    let mut secrets = Vec::new();
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
            user: user.clone().unwrap_or_else(|| "admin".into()),
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
        let (plan, t) = cmd_persistence::build_plan(&pargs, ctx.lang)?;
        secrets = vec![plan.old_password.clone(), plan.new_password.clone()];
        persistence = Some(plan);
        tester = Some(t);
    }
    let plan = AssessPlan {
        target,
        scan: (!args.no_scan).then(|| ScanPlan {
            tcp: args.tcp.clone(),
            udp: args.udp.clone(),
        }),
        services,
        credentials,
        default_attempts: args.default_attempts,
        login_tasks: args.login_tasks.map(usize::from),
        brute,
        timeout: Duration::from_millis(args.timeout.max(1)),
        persistence,
        lang: ctx.lang,
        evidence_dir: out_dir.display().to_string(),
        vulns: Some(vulns),
    };
    let mut term = Terminal {
        lang: ctx.lang,
        quiet: args.json,
        yes: args.yes,
        show_secrets: args.show_secrets,
        secrets,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let progress = Arc::new(Progress::default());
    let show_bar = !args.json && std::io::stderr().is_terminal();
    let outcome = rt.block_on(async {
        let ticker = show_bar.then(|| crate::bar::spawn(progress.clone(), ctx.lang));
        let r = assess::run(&plan, tester.as_mut(), &mut term, progress.clone()).await;
        progress.cancel.store(true, Ordering::Relaxed);
        if let Some(t) = ticker {
            let _ = t.await;
        }
        r
    })?;
    outcome.write(&out_dir)?;

    if let Some(path) = &args.checklist {
        let ids = attach(path, &out_dir, ctx.lang)?;
        term.say(match ctx.lang {
            Lang::Ja => format!(
                "{} に証跡を添付しました（{}）",
                path.display(),
                ids.join("、")
            ),
            Lang::En => format!(
                "attached the evidence to {} for {}",
                path.display(),
                ids.join(", ")
            ),
        });
    }

    let rows = &outcome.rows;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "evidence": out_dir.display().to_string(),
                "verdicts": rows.iter().map(|r| serde_json::json!({"criterion": r.id, "verdict": r.verdict, "tested": r.tested})).collect::<Vec<_>>(),
            }))?
        );
    } else {
        let ja = ctx.lang == Lang::Ja;
        for r in rows {
            println!(
                "{:<8} {} {}",
                r.id,
                crate::text::pad(&verdict_word(r.verdict, ctx.lang), 13),
                r.title
            );
            for t in &r.tested {
                println!("           - {t}");
            }
        }
        println!(
            "{}: {}",
            if ja { "証跡" } else { "evidence" },
            out_dir.display()
        );
    }
    Ok(if rows.iter().any(|r| r.verdict == Verdict::Fail) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Records the evidence on the checklist the way `checklist attach` does
/// (the same library call: verification, reference, digest).
fn attach(
    path: &std::path::Path,
    dir: &std::path::Path,
    lang: jcstar_criteria::Lang,
) -> anyhow::Result<Vec<String>> {
    let (outcome, _written) =
        jcstar_checklist::attach_to_file(path, dir, Some(jcstar_criteria::Catalog::star1()))
            .map_err(|e| anyhow::anyhow!(e.message(lang)))?;
    let mut ids: Vec<String> = outcome
        .rows
        .iter()
        .filter(|r| r.attached.is_some())
        .map(|r| jcstar_criteria::base_id(&r.criterion).to_string())
        .collect();
    ids.dedup();
    Ok(ids)
}
