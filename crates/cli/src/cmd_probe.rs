//! `jcstar probe`: scan one device, identify its services, map findings to
//! criteria, and optionally keep the evidence; `jcstar probe verify DIR`
//! checks an evidence directory against its manifest.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context;
use jcstar_criteria::Lang;
use jcstar_probe::{Declared, PortState, ProbeOptions, Progress, Verdict, evidence};

use crate::Ctx;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    sub: Option<Sub>,
    /// The device: one IPv4/IPv6 address or host name (ranges, broadcast and
    /// multicast addresses are refused).
    target: Option<String>,
    /// TCP ports: `all` (1-65535), `top` (common and IoT ports) or a list like `22,80,8000-8100`.
    #[arg(long, default_value = "all")]
    tcp: String,
    /// UDP ports: `iot` (DNS, DHCP, TFTP, NTP, NetBIOS, SNMP, IPMI, SSDP, WS-Discovery,
    /// SIP, mDNS, LLMNR, CoAP, Kasa, Ubiquiti, BACnet), `top`, `none` or a list.
    #[arg(long, default_value = "iot")]
    udp: String,
    /// TOML list of the ports the product needs (`[[port]] port = 443 transport = "tcp" service = "https"`).
    #[arg(long)]
    declared: Option<PathBuf>,
    /// Maximum new TCP connections per second (0: unbounded). Default:
    /// unbounded on loopback, 5000/s otherwise.
    #[arg(long)]
    rate: Option<u32>,
    /// Per-connection and per-reply deadline in milliseconds.
    #[arg(long, default_value_t = 1000)]
    timeout: u64,
    /// Print only the JSON report on stdout.
    #[arg(long)]
    json: bool,
    /// Only scan ports; do not identify services (nor assess TLS).
    #[arg(long)]
    scan_only: bool,
    /// Identify services but skip the full TLS assessment of TLS ports.
    #[arg(long)]
    no_tls_assessment: bool,
    /// Evidence directory to create (report.json, transcripts, manifest).
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    #[command(flatten)]
    vuln: VulnArgs,
}

/// The known-vulnerability options `probe` and `assess` share.
#[derive(clap::Args)]
pub(crate) struct VulnArgs {
    /// Vulnerability store for S1.1-13② (known vulnerabilities): a SQLite
    /// file, sqlite://PATH or postgres://...; fill it with `jcstar vulndb
    /// import`. Missing or empty: S1.1-13② is reported not tested.
    #[arg(long, env = "JCSTAR_VULNDB", default_value = jcstar_vulndb::DEFAULT_PATH)]
    pub vulndb: String,
    /// The device's SBOM (CycloneDX 1.4–1.6 or SPDX 2.3 JSON), matched
    /// with the identified services (repeatable).
    #[arg(long)]
    pub sbom: Vec<PathBuf>,
    /// The vendor's VEX statements (OpenVEX or CycloneDX VEX JSON;
    /// repeatable); `not_affected` needs a justification.
    #[arg(long)]
    pub vex: Vec<PathBuf>,
    /// The S1.1-13② rule as TOML (fail_on_known_exploited, fail_at_cvss,
    /// unconfirmed_fails); default: known exploited or CVSS >= 7.0 fails,
    /// other matches need review.
    #[arg(long)]
    pub vuln_rule: Option<PathBuf>,
}

impl VulnArgs {
    /// Reads the SBOM, VEX and rule files before any packet is sent, so a
    /// bad file stops the run at once.
    pub(crate) fn plan(
        &self,
    ) -> Result<jcstar_probe::vulns::VulnPlan, jcstar_probe::vulns::VulnInputError> {
        jcstar_probe::vulns::VulnPlan::load(
            self.vulndb.clone(),
            &self.sbom,
            &self.vex,
            self.vuln_rule.as_deref(),
        )
    }
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Check an evidence directory against its SHA-256 manifest.
    Verify {
        /// The evidence directory written with `-o`.
        dir: PathBuf,
        /// Print the verification result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Guided power-cut and data-deletion run (S1.1-06, -10, -14, -15): the
    /// password and firmware version must survive both.
    Persistence(Box<crate::cmd_persistence::PersistenceArgs>),
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    match args.sub {
        Some(Sub::Verify { dir, json }) => return verify(ctx, &dir, json),
        Some(Sub::Persistence(a)) => return crate::cmd_persistence::run(ctx, *a),
        None => {}
    }
    let Some(target) = args.target.clone() else {
        anyhow::bail!("give a target: `jcstar probe ADDRESS` (or `jcstar probe verify DIR`)");
    };
    let mut opts = ProbeOptions::new(target);
    opts.tcp = args.tcp.clone();
    opts.udp = args.udp.clone();
    opts.rate = args.rate;
    opts.timeout_ms = args.timeout;
    opts.identify = !args.scan_only;
    opts.tls_assessment = !args.scan_only && !args.no_tls_assessment;
    if let Some(p) = &args.declared {
        opts.declared = Some(Declared::load(p)?);
        opts.declared_file = Some(p.display().to_string());
    }
    let vulns = args.vuln.plan()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let progress = Arc::new(Progress::default());
    let show_bar = !args.json && std::io::stderr().is_terminal();
    let outcome = rt.block_on(async {
        let ticker = show_bar.then(|| crate::bar::spawn(progress.clone(), ctx.lang));
        let r = match jcstar_probe::probe(&opts, progress.clone()).await {
            Ok(mut o) => {
                jcstar_probe::vulns::apply(&vulns, &mut o.report, &mut o.extra_files).await;
                Ok(o)
            }
            Err(e) => Err(e),
        };
        progress.cancel.store(true, Ordering::Relaxed);
        if let Some(t) = ticker {
            let _ = t.await;
        }
        r
    })?;
    if let Some(dir) = &args.output {
        evidence::write(
            dir,
            &outcome.report,
            &outcome.transcripts,
            &outcome.extra_files,
        )?;
    }
    let report = &outcome.report;
    let failed = report.verdicts.iter().any(|v| v.verdict == Verdict::Fail);
    if args.json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print_human(ctx.lang, &outcome, args.output.as_ref());
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_human(lang: Lang, o: &jcstar_probe::ProbeOutcome, dir: Option<&PathBuf>) {
    let r = &o.report;
    let ja = matches!(lang, Lang::Ja);
    println!(
        "{} {} ({}) — {} ms, TCP {} scanned / {} open, UDP {} probed",
        if ja { "対象" } else { "target" },
        r.target.input,
        r.target.address,
        r.stats.duration_ms,
        r.stats.tcp_scanned,
        r.stats.tcp_open,
        r.stats.udp_scanned
    );
    println!();
    println!(
        "{}",
        if ja {
            "ポートとサービス:"
        } else {
            "Ports and services:"
        }
    );
    for p in &r.ports {
        if p.transport == jcstar_probe::Transport::Udp && p.state == PortState::Closed {
            continue;
        }
        let state = serde_json::to_value(p.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let (kind, info) = match &p.service {
            Some(s) => {
                let mut info = Vec::new();
                if let Some(pr) = &s.product {
                    info.push(match &s.version {
                        Some(v) => format!("{pr} {v}"),
                        None => pr.clone(),
                    });
                }
                for k in [
                    "auth",
                    "auth_methods",
                    "prompt",
                    "communities",
                    "anonymous",
                    "sysdescr",
                    "tls_version",
                    "connack",
                    "smux_close",
                ] {
                    if let Some(v) = s.details.get(k) {
                        info.push(format!("{k}={v}"));
                    }
                }
                for a in &s.anomalies {
                    info.push(format!("{}=yes", a.name()));
                }
                if info.is_empty()
                    && let Some(b) = &s.banner
                {
                    info.push(b.chars().take(60).collect());
                }
                (s.kind.name(), info.join(" "))
            }
            None => ("-".to_string(), String::new()),
        };
        println!(
            "  {:>5}/{:<3} {:<13} {:<10} {}",
            p.port, p.transport, state, kind, info
        );
    }
    println!();
    println!("{}", if ja { "指摘事項:" } else { "Findings:" });
    if r.findings.is_empty() {
        println!("  {}", if ja { "なし" } else { "none" });
    }
    for f in &r.findings {
        println!("  [{:?}] {} {}", f.severity, f.criterion, f.title_in(lang));
        println!("      {}", f.detail_in(lang));
    }
    println!();
    println!(
        "{}",
        if ja {
            "適合基準ごとの判定:"
        } else {
            "Verdicts per criterion:"
        }
    );
    for v in &r.verdicts {
        println!(
            "  {:<10} {}",
            v.criterion,
            jcstar_probe::login::report::verdict_word(v.verdict, lang)
        );
        for reason in v.reasons_in(lang) {
            println!("      - {reason}");
        }
    }
    if let Some(d) = dir {
        println!();
        println!("{}: {}", if ja { "証跡" } else { "evidence" }, d.display());
    }
}

fn verify(ctx: &Ctx, dir: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let v = evidence::verify(dir)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let ja = matches!(ctx.lang, Lang::Ja);
        if v.ok {
            println!(
                "{}: {} {}",
                dir.display(),
                v.checked,
                if ja {
                    "ファイルがマニフェストと一致"
                } else {
                    "files match the manifest"
                }
            );
        } else {
            println!(
                "{}: {}",
                dir.display(),
                if ja {
                    "マニフェストと不一致"
                } else {
                    "does NOT match its manifest"
                }
            );
            for f in &v.modified {
                println!("  modified: {f}");
            }
            for f in &v.missing {
                println!("  missing:  {f}");
            }
            for f in &v.unlisted {
                println!("  unlisted: {f}");
            }
            if v.manifests_disagree {
                println!("  MANIFEST.sha256 disagrees with manifest.json");
            }
        }
    }
    Ok(if v.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
