//! `jcstar probe persistence`: the guided power-cycle and data-deletion run.
//! Reached through `cmd_probe`, which owns the `probe` command line.

use std::io::{BufRead, IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use jcstar_criteria::Lang;
use jcstar_probe::Verdict;
use jcstar_probe::assess::AssessTarget;
use jcstar_probe::login::command_tester::{Ask, CommandTester};
use jcstar_probe::login::persistence::{self, Extractors, InfoSource, PersistencePlan};
use jcstar_probe::login::{LoginKind, ServiceSpec, random_token};
use jcstar_probe::reason::{Done, NotDone};

use crate::Ctx;

#[derive(clap::Args, Debug, Clone)]
pub struct PersistenceArgs {
    /// The device: one IP address or host name.
    pub target: String,
    /// The login service used to check passwords, as KIND:PORT[/PATH]
    /// (kinds: http-basic, http-digest, http-form, ssh, ssh-keyboard-interactive, telnet, ftp, mqtt).
    #[arg(long)]
    pub login: String,
    /// Account name on the device.
    #[arg(long, default_value = "admin")]
    pub user: String,
    /// The password in use now (often the factory default).
    #[arg(long, env = "JCSTAR_OLD_PASSWORD")]
    pub old_password: String,
    /// The password to change to (default: a random one).
    #[arg(long, env = "JCSTAR_NEW_PASSWORD")]
    pub new_password: Option<String>,
    /// Shell command that changes the password; it sees the new password in
    /// $JCSTAR_NEW_PASSWORD and the old one in $JCSTAR_OLD_PASSWORD. Without
    /// it the tester is asked to change it by hand.
    #[arg(long)]
    pub change_password_cmd: Option<String>,
    /// Shell command that cuts the power and restores it. Without it the
    /// tester is asked to do so.
    #[arg(long)]
    pub power_cycle_cmd: Option<String>,
    /// Shell command that deletes user data (factory reset).
    #[arg(long)]
    pub delete_data_cmd: Option<String>,
    /// Ask the tester to delete user data when no command is given.
    #[arg(long)]
    pub delete_data: bool,
    /// Where the firmware version and model number are shown, repeatable:
    /// `http:PORT/PATH`, `upnp:PORT/PATH`, `ssh-banner:PORT`,
    /// `telnet-banner:PORT`, `snmp:PORT:COMMUNITY`, `mqtt:PORT:TOPIC`.
    #[arg(long = "info")]
    pub info: Vec<String>,
    /// Regular expression for the firmware version (first group = value).
    #[arg(long)]
    pub firmware_re: Option<String>,
    /// Regular expression for the model number (first group = value).
    #[arg(long)]
    pub model_re: Option<String>,
    /// Per-operation deadline in milliseconds.
    #[arg(long, default_value_t = 5000)]
    pub timeout: u64,
    /// How long to wait for the device to come back, in seconds.
    #[arg(long, default_value_t = 300)]
    pub come_back: u64,
    /// Print only JSON.
    #[arg(long)]
    pub json: bool,
    /// Evidence directory to create (report.json, persistence.json, manifest),
    /// attachable with `checklist attach`.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Show passwords in the terminal instead of masking them.
    #[arg(long)]
    pub show_secrets: bool,
}

/// Resolves the one target the user named, with the safety check `probe`
/// and `assess` apply (no ranges, broadcast or multicast).
pub fn resolve(target: &str) -> anyhow::Result<IpAddr> {
    Ok(jcstar_probe::target::resolve_blocking(target)?)
}

/// `KIND:PORT[/PATH]` → a service spec.
pub fn parse_service(ip: IpAddr, s: &str) -> anyhow::Result<ServiceSpec> {
    let (kind, rest) = s
        .split_once(':')
        .with_context(|| format!("{s:?}: expected KIND[+tls]:PORT[/PATH]"))?;
    // `+tls` (or the aliases https, mqtts) runs the login inside TLS.
    let (kind, tls) = match kind {
        "https" => ("http-basic", true),
        "mqtts" => ("mqtt", true),
        k => match k.strip_suffix("+tls") {
            Some(base) => (base, true),
            None => (k, false),
        },
    };
    let kind = LoginKind::parse(kind).with_context(|| {
        format!(
            "{s:?}: unknown service kind; accepted: {} (each optionally with +tls), https, mqtts",
            LoginKind::ALL.map(|k| k.name()).join(", ")
        )
    })?;
    if tls
        && !matches!(
            kind,
            LoginKind::HttpBasic | LoginKind::HttpDigest | LoginKind::HttpForm | LoginKind::Mqtt
        )
    {
        anyhow::bail!(
            "{s:?}: +tls is supported for http-basic, http-digest, http-form and mqtt only"
        );
    }
    let (port, path) = match rest.split_once('/') {
        Some((p, path)) => (p, format!("/{path}")),
        None => (rest, "/".to_string()),
    };
    let port: u16 = port
        .parse()
        .with_context(|| format!("{s:?}: port must be a number 1-65535"))?;
    let mut spec = ServiceSpec::new(kind, SocketAddr::new(ip, port))
        .with_path(&path)
        .with_tls(tls);
    if kind == LoginKind::Snmp {
        spec.snmp_version = 2;
    }
    Ok(spec)
}

/// `http:PORT/PATH` etc. → an information source.
pub fn parse_info(ip: IpAddr, s: &str) -> anyhow::Result<InfoSource> {
    let bad = || {
        anyhow::anyhow!(
            "--info {s:?}: expected http:PORT/PATH, upnp:PORT/PATH, ssh-banner:PORT, telnet-banner:PORT, snmp:PORT:COMMUNITY or mqtt:PORT:TOPIC"
        )
    };
    let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
    let port_of = |p: &str| p.parse::<u16>().map_err(|_| bad());
    Ok(match kind {
        "http" | "upnp" => {
            let (p, path) = rest.split_once('/').unwrap_or((rest, ""));
            let addr = SocketAddr::new(ip, port_of(p)?);
            let path = format!("/{path}");
            if kind == "http" {
                InfoSource::HttpPage {
                    addr,
                    path,
                    basic_auth: None,
                }
            } else {
                InfoSource::Upnp { addr, path }
            }
        }
        "ssh-banner" => InfoSource::SshBanner {
            addr: SocketAddr::new(ip, port_of(rest)?),
        },
        "telnet-banner" => InfoSource::TelnetBanner {
            addr: SocketAddr::new(ip, port_of(rest)?),
        },
        "snmp" => {
            let (p, c) = rest.split_once(':').ok_or_else(bad)?;
            InfoSource::Snmp {
                addr: SocketAddr::new(ip, port_of(p)?),
                community: c.to_string(),
            }
        }
        "mqtt" => {
            let (p, t) = rest.split_once(':').ok_or_else(bad)?;
            InfoSource::MqttTopic {
                addr: SocketAddr::new(ip, port_of(p)?),
                topic: t.to_string(),
                username: None,
                password: None,
            }
        }
        _ => return Err(bad()),
    })
}

/// Asks on the terminal and waits for Enter (`skip` skips the step).
pub struct TerminalAsk;

impl Ask for TerminalAsk {
    async fn ask(&mut self, question: String, lang: Lang) -> Result<Done, NotDone> {
        if !std::io::stdin().is_terminal() {
            return Err(NotDone::NoTerminal);
        }
        tokio::task::spawn_blocking(move || {
            match lang {
                Lang::Ja => eprint!(
                    "{question} 終わったら Enter を押してください（省略するには skip と入力）: "
                ),
                Lang::En => eprint!("{question} Press Enter when done (or type `skip`): "),
            }
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| NotDone::Failed {
                    error: e.to_string(),
                })?;
            if line.trim() == "skip" {
                Err(NotDone::Skipped)
            } else {
                Ok(Done::Tester)
            }
        })
        .await
        .map_err(|e| NotDone::Failed {
            error: e.to_string(),
        })?
    }
}

/// The persistence tester of the command line.
pub type CmdTester = CommandTester<TerminalAsk>;

pub fn build_plan(
    args: &PersistenceArgs,
    lang: Lang,
) -> anyhow::Result<(PersistencePlan, CmdTester)> {
    let ip = resolve(&args.target)?;
    let login = parse_service(ip, &args.login)?;
    let mut sources = args
        .info
        .iter()
        .map(|s| parse_info(ip, s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // Pages behind the login are read with it.
    if matches!(login.kind, LoginKind::HttpBasic | LoginKind::HttpDigest) {
        for s in &mut sources {
            if let InfoSource::HttpPage { basic_auth, .. } = s
                && basic_auth.is_none()
            {
                *basic_auth = Some((args.user.clone(), args.old_password.clone()));
            }
        }
    }
    if sources.is_empty() {
        // Without hints, read what the login service itself shows.
        sources.push(match login.kind {
            LoginKind::SshPassword | LoginKind::SshKeyboardInteractive => {
                InfoSource::SshBanner { addr: login.addr }
            }
            LoginKind::Telnet => InfoSource::TelnetBanner { addr: login.addr },
            _ => InfoSource::HttpPage {
                addr: login.addr,
                path: login.path.clone(),
                basic_auth: Some((args.user.clone(), args.old_password.clone())),
            },
        });
    }
    let extractors = Extractors::new(args.firmware_re.as_deref(), args.model_re.as_deref())
        .context("--firmware-re/--model-re")?;
    let new_password = args
        .new_password
        .clone()
        .unwrap_or_else(|| format!("Jc-{}", random_token(14)));
    let plan = PersistencePlan {
        login,
        username: args.user.clone(),
        old_password: args.old_password.clone(),
        new_password,
        sources,
        extractors,
        timeout: Duration::from_millis(args.timeout.max(1)),
        come_back: Duration::from_secs(args.come_back.max(1)),
    };
    let tester = CmdTester {
        old: args.old_password.clone(),
        change_cmd: args.change_password_cmd.clone(),
        power_cmd: args.power_cycle_cmd.clone(),
        delete_cmd: args.delete_data_cmd.clone(),
        delete_prompt: args.delete_data,
        show_secrets: args.show_secrets,
        lang,
        asker: TerminalAsk,
    };
    Ok((plan, tester))
}

pub fn run(ctx: &Ctx, args: PersistenceArgs) -> anyhow::Result<ExitCode> {
    let (plan, mut tester) = build_plan(&args, ctx.lang)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let secrets = [plan.old_password.clone(), plan.new_password.clone()];
    let json = args.json;
    let show = args.show_secrets;
    let lang = ctx.lang;
    let report = rt.block_on(persistence::run(&plan, &mut tester, &mut |s| {
        if !json {
            let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
            eprintln!("{}", s.line(lang, &refs, show));
        }
    }));
    let text = serde_json::to_string_pretty(&report)?;
    if let Some(dir) = &args.output {
        // A real evidence directory (report.json with the verdicts, the
        // run as persistence.json, a manifest), so `checklist attach` and
        // `probe verify` take it like any other.
        let target = AssessTarget::resolve(&args.target)?;
        jcstar_probe::assess::persistence_outcome(&target, &report)?
            .write(dir)
            .with_context(|| format!("writing the evidence to {}", dir.display()))?;
    }
    if json {
        println!("{text}");
    } else {
        for v in &report.verdicts {
            println!(
                "{:<10} {:<13} {}",
                v.criterion,
                jcstar_probe::login::report::verdict_word(v.verdict, ctx.lang),
                v.reasons_in(ctx.lang).join("; ")
            );
        }
    }
    Ok(
        if report.verdicts.iter().any(|v| v.verdict == Verdict::Fail) {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}
