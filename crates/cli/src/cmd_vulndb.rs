//! `jcstar vulndb`: import the offline vulnerability feeds, look records
//! up, and match a banner or an SBOM (with VEX) for S1.1-13 ②.
//!
//! Exit codes: 0 done (for `match`: no failing match); 1 some input was
//! refused (`import`: bad records or files, the rest imported) or a match
//! fails the rule (`match`); 2 unreadable input or I/O.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use jcstar_criteria::Lang;
use jcstar_vulndb::matcher::{self, MatchReport};
use jcstar_vulndb::verdict::{self, Outcome, Rule, Verdict};
use jcstar_vulndb::{VulnDb, sbom, text, vex};
use serde::Serialize;

use crate::Ctx;

#[derive(clap::Args)]
pub struct Args {
    /// The store: a SQLite file path (created if missing), sqlite://PATH or
    /// postgres://USER@HOST:PORT/DB.
    #[arg(long, global = true, env = "JCSTAR_VULNDB", default_value = jcstar_vulndb::DEFAULT_PATH)]
    vulndb: String,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Load NVD CVE JSON 2.0 feeds, OSV records (files, directories, zip)
    /// and the CISA KEV catalog. Re-importing is safe; one transaction.
    Import {
        /// Feed files (.json, .json.gz, .zip) or directories of them.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// What the store holds.
    Stats,
    /// One record by id (CVE, GHSA, DEBIAN-CVE, ...) or alias.
    Show {
        /// The record's id or alias.
        id: String,
    },
    /// Match a banner or an SBOM and give the S1.1-13 ② verdict.
    Match(MatchArgs),
}

#[derive(clap::Args)]
struct MatchArgs {
    /// A service banner, e.g. "SSH-2.0-dropbear_2022.83" or "Server: lighttpd/1.4.69".
    #[arg(long, required_unless_present = "sbom", conflicts_with = "sbom")]
    banner: Option<String>,
    /// A CycloneDX 1.4–1.6 or SPDX 2.3 JSON SBOM.
    #[arg(long)]
    sbom: Option<PathBuf>,
    /// OpenVEX or CycloneDX VEX documents to apply (repeatable).
    #[arg(long)]
    vex: Vec<PathBuf>,
    /// The verdict rule as TOML (fail_on_known_exploited, fail_at_cvss,
    /// unconfirmed_fails); defaults: true, 7.0, false.
    #[arg(long)]
    rule: Option<PathBuf>,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn print_json<T: Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(run_async(ctx, args))
}

async fn run_async(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let en = ctx.lang == Lang::En;
    let db = VulnDb::open(&args.vulndb)
        .await
        .with_context(|| format!("opening the vulnerability store {}", args.vulndb))?;
    let code = match args.command {
        Cmd::Import { files } => {
            let r = db.import(&files).await?;
            if args.json {
                print_json(&r)?;
            } else {
                print!("{}", text::import_summary(&r, en));
                for line in text::import_problems(&r, en) {
                    eprintln!("jcstar: {line}");
                }
            }
            if r.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Cmd::Stats => {
            let s = db.stats().await?;
            if args.json {
                print_json(&s)?;
            } else {
                let l = |ja: &'static str, e: &'static str| if en { e } else { ja };
                println!("{}: {:?}", l("保存先", "backend"), s.backend);
                println!("{}: {}", l("NVD の CVE", "NVD CVE records"), s.nvd);
                println!("{}: {}", l("OSV の記録", "OSV records"), s.osv);
                println!("{}: {}", l("取り下げ済み", "withdrawn"), s.withdrawn);
                println!("{}: {}", l("KEV 掲載", "KEV entries"), s.kev);
                println!(
                    "{}: {}",
                    l("製品・パッケージ", "products and packages"),
                    s.products
                );
                println!("{}: {}", l("取り込み回数", "imports"), s.imports);
                println!(
                    "{}: {}",
                    l("最終取り込み", "last import"),
                    s.last_import.as_deref().unwrap_or("-")
                );
                println!(
                    "{}: {}",
                    l("最新の更新日時", "newest record change"),
                    s.last_modified.as_deref().unwrap_or("-")
                );
            }
            ExitCode::SUCCESS
        }
        Cmd::Show { id } => match db.show(&id).await? {
            Some(s) => {
                if args.json {
                    print_json(&s)?;
                } else {
                    print!("{}", text::shown(&s, en));
                }
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "jcstar: {}",
                    if en {
                        format!("{id}: no such record or alias in {}", args.vulndb)
                    } else {
                        format!("{id}: {} に該当する記録も別名もありません", args.vulndb)
                    }
                );
                ExitCode::from(1)
            }
        },
        Cmd::Match(m) => run_match(&db, m, args.json, en).await?,
    };
    db.close().await;
    Ok(code)
}

#[derive(Serialize)]
struct MatchOutput<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    identified: Vec<jcstar_vulndb::Identified>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sbom_problems: Vec<sbom::SbomProblem>,
    report: &'a MatchReport,
    verdict: &'a Verdict,
}

async fn run_match(db: &VulnDb, m: MatchArgs, json: bool, en: bool) -> anyhow::Result<ExitCode> {
    let rule = match &m.rule {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Rule::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => Rule::default(),
    };
    let mut docs = Vec::new();
    for p in &m.vex {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        docs.push(vex::parse(&p.display().to_string(), &bytes)?);
    }
    let (identified, problems, report) = if let Some(b) = &m.banner {
        let ids = jcstar_vulndb::identify(b);
        let comps: Vec<matcher::Component> = ids
            .iter()
            .map(|i| matcher::Component::from_banner(i, b))
            .collect();
        let r = matcher::match_components(db, &comps, &docs).await?;
        (ids, Vec::new(), r)
    } else if let Some(p) = &m.sbom {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        let s = sbom::parse(&p.display().to_string(), &bytes)?;
        let r = matcher::match_components(db, &s.components, &docs).await?;
        (Vec::new(), s.problems, r)
    } else {
        anyhow::bail!("give --banner or --sbom");
    };
    let v = verdict::verdict(&report.matches, &rule);
    if json {
        print_json(&MatchOutput {
            identified: identified.clone(),
            sbom_problems: problems.clone(),
            report: &report,
            verdict: &v,
        })?;
    } else {
        print!(
            "{}",
            text::match_text(&identified, m.banner.is_some(), &problems, &report, &v, en)
        );
    }
    Ok(if v.outcome == Outcome::Fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
