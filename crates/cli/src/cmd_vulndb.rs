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
use jcstar_vulndb::{ImportReport, VulnDb, sbom, vex};
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
                print_import(&r, en);
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
                    print_shown(&s, en);
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

fn print_import(r: &ImportReport, en: bool) {
    // An OSV archive holds tens of thousands of one-record files: list
    // files only when there are few, otherwise the totals say enough.
    const LISTED: usize = 20;
    if r.files.len() > LISTED {
        println!(
            "{} {}",
            r.files.len(),
            if en {
                "files read"
            } else {
                "個のファイルを読み込みました"
            }
        );
    }
    for f in r.files.iter().filter(|_| r.files.len() <= LISTED) {
        println!(
            "{}: {:?}, {} {}, {} {}",
            f.file,
            f.kind,
            f.records,
            if en { "records" } else { "件" },
            f.problems,
            if en { "problems" } else { "件の問題" }
        );
    }
    if en {
        println!(
            "added {}, updated {}, unchanged {}, older copies ignored {}, withdrawn {}, refused {}; KEV added {}, updated {}, unchanged {}; GIT ranges ignored {}",
            r.added,
            r.updated,
            r.unchanged,
            r.older_kept,
            r.withdrawn,
            r.refused,
            r.kev_added,
            r.kev_updated,
            r.kev_unchanged,
            r.git_ranges_ignored
        );
    } else {
        println!(
            "追加 {}、更新 {}、変更なし {}、古い版のため無視 {}、取り下げ {}、拒否 {}。KEV 追加 {}、更新 {}、変更なし {}。GIT 範囲（版数でないため無視） {}",
            r.added,
            r.updated,
            r.unchanged,
            r.older_kept,
            r.withdrawn,
            r.refused,
            r.kev_added,
            r.kev_updated,
            r.kev_unchanged,
            r.git_ranges_ignored
        );
    }
    const SHOWN: usize = 50;
    for p in r.problems.iter().take(SHOWN) {
        eprintln!("jcstar: {p}");
    }
    if r.problems.len() > SHOWN {
        eprintln!(
            "jcstar: {}",
            if en {
                format!(
                    "... and {} more problems (--json lists all)",
                    r.problems.len() - SHOWN
                )
            } else {
                format!(
                    "…ほか {} 件の問題（--json ですべて表示）",
                    r.problems.len() - SHOWN
                )
            }
        );
    }
}

fn print_shown(s: &jcstar_vulndb::store::Shown, en: bool) {
    let r = &s.record;
    let l = |ja: &'static str, e: &'static str| if en { e } else { ja };
    println!("{} ({})", r.id, r.source.as_str());
    if r.withdrawn {
        println!(
            "  {}",
            l("※ 取り下げられた記録です", "** withdrawn record **")
        );
    }
    if !r.aliases.is_empty() {
        println!("  {}: {}", l("別名", "aliases"), r.aliases.join(", "));
    }
    if !s.related.is_empty() {
        println!(
            "  {}: {}",
            l("関連する記録", "related records"),
            s.related.join(", ")
        );
    }
    println!(
        "  {}: {}",
        l("公開", "published"),
        r.published.as_deref().unwrap_or("-")
    );
    println!("  {}: {}", l("更新", "modified"), r.modified);
    for c in &r.cvss {
        println!(
            "  CVSS v{}: {} {}",
            c.version,
            c.score.map_or("-".to_string(), |s| format!("{s:.1}")),
            c.vector
        );
    }
    match &s.kev {
        Some(k) => println!(
            "  {}: {} ({} {})",
            l("悪用確認済み (CISA KEV)", "known exploited (CISA KEV)"),
            k.name,
            l("掲載日", "added"),
            k.date_added
        ),
        None => println!(
            "  {}",
            l("CISA KEV には掲載されていません", "not in CISA KEV")
        ),
    }
    if !r.summary.is_empty() {
        println!("  {}: {}", l("概要（原文）", "summary"), r.summary);
    }
    println!("  {}:", l("影響を受ける製品", "affects"));
    for a in &r.affected {
        let what = match &a.target {
            jcstar_vulndb::model::Target::Cpe {
                vendor, product, ..
            } => format!("cpe {vendor}:{product}"),
            jcstar_vulndb::model::Target::Package { ecosystem, name } => {
                format!("{ecosystem} {name}")
            }
        };
        let mut ranges: Vec<String> = a.ranges.iter().map(|i| i.describe()).collect();
        ranges.extend(a.versions.iter().map(|v| format!("= {v}")));
        println!("    {what}: {}", ranges.join(" | "));
        if !a.requires.is_empty() {
            println!(
                "      {}: {}",
                l("前提となる構成", "requires"),
                a.requires.join(", ")
            );
        }
    }
    for u in r.references.iter().take(10) {
        println!("  {}: {u}", l("参考", "reference"));
    }
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
        print_match(&identified, m.banner.is_some(), &problems, &report, &v, en);
    }
    Ok(if v.outcome == Outcome::Fail {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_match(
    identified: &[jcstar_vulndb::Identified],
    banner: bool,
    problems: &[sbom::SbomProblem],
    r: &MatchReport,
    v: &Verdict,
    en: bool,
) {
    let l = |ja: &'static str, e: &'static str| if en { e } else { ja };
    if banner && identified.is_empty() {
        println!(
            "{}",
            l(
                "バナーから製品を特定できませんでした",
                "no product identified from the banner"
            )
        );
    }
    for i in identified {
        println!(
            "{}: {} {}{}",
            l("特定", "identified"),
            i.product,
            i.version
                .as_deref()
                .unwrap_or(l("（版数不明）", "(version unknown)")),
            i.distro
                .as_ref()
                .map(|d| format!(" [{d}]"))
                .unwrap_or_default()
        );
    }
    for p in problems {
        println!("{}: {p}", l("SBOM の問題", "SBOM problem"));
    }
    for s in &r.skipped {
        println!(
            "{}: {}: {}",
            l("照合せず", "not matched"),
            s.component,
            s.reason.get(en)
        );
    }
    println!(
        "{}: {} / {}: {}",
        l("構成要素", "components"),
        r.components,
        l("該当する脆弱性", "matches"),
        r.matches.len()
    );
    for m in &r.matches {
        println!();
        let score = m
            .cvss
            .as_ref()
            .map(|c| {
                format!(
                    "CVSS v{} {} {}",
                    c.version,
                    c.score.map_or("-".into(), |s| format!("{s:.1}")),
                    c.vector
                )
            })
            .unwrap_or_else(|| l("CVSS なし", "no CVSS").into());
        println!(
            "{} [{}]{}",
            m.vuln_id,
            score,
            if m.known_exploited {
                l(" 悪用確認済み (KEV)", " KNOWN EXPLOITED (KEV)")
            } else {
                ""
            }
        );
        if !m.aliases.is_empty() {
            println!("  {}: {}", l("別名", "aliases"), m.aliases.join(", "));
        }
        println!("  {}: {}", l("根拠", "why"), m.why().get(en));
        if !m.requires.is_empty() {
            println!(
                "  {}: {}",
                l("未確認の前提構成", "unchecked platform"),
                m.requires.join(", ")
            );
        }
        if let Some(c) = &m.needs_confirmation {
            println!(
                "  {}: {}",
                l("要確認", "needs confirmation"),
                c.text().get(en)
            );
        }
        if let Some(x) = &m.vex {
            println!(
                "  VEX: {} {} ({} {})",
                x.status.as_str(),
                x.justification.as_deref().unwrap_or(""),
                x.file,
                x.path
            );
        }
    }
    println!();
    println!("S1.1-13 ②: {}", v.outcome.text().get(en));
    for reason in &v.reasons {
        println!(
            "  [{}] {}",
            reason.outcome.text().get(en),
            reason.text.get(en)
        );
    }
    if v.reasons.is_empty() {
        println!(
            "  {}",
            l(
                "既知の脆弱性は見つかりませんでした（取り込んだデータの範囲で）",
                "no known vulnerability found (within the imported data)"
            )
        );
    }
}
