//! `jcstar registry security …` (the security information of a label: SBOM,
//! VEX, CSAF advisories, updates, end of support) and `jcstar registry watch`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use jcstar_criteria::Lang;
use jcstar_registry::UpdateEntry;
use jcstar_registry::watch::{WatchItem, WatchReport};

use super::session::Session;
use super::text::tr;

#[derive(Subcommand)]
pub(super) enum SecurityCmd {
    /// Attach an SBOM (CycloneDX 1.4–1.6 or SPDX 2.3 JSON) to a firmware version.
    Sbom {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// The firmware version the SBOM describes (one the label lists).
        #[arg(long)]
        firmware: String,
        /// The SBOM file.
        file: PathBuf,
    },
    /// Publish a VEX document (OpenVEX or CycloneDX VEX JSON).
    Vex {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// The VEX file.
        file: PathBuf,
    },
    /// Publish a CSAF 2.0 advisory (JSON).
    Csaf {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// The CSAF file.
        file: PathBuf,
    },
    /// Publish a security update.
    Update {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// The version released.
        #[arg(long)]
        release: String,
        /// Day of release (YYYY-MM-DD).
        #[arg(long)]
        date: NaiveDate,
        /// What the update changes.
        #[arg(long, default_value = "")]
        notes: String,
        /// A vulnerability it fixes (CVE id); repeat for several.
        #[arg(long = "fixes", value_name = "CVE")]
        fixes: Vec<String>,
        /// How to apply it.
        #[arg(long, default_value = "")]
        how_to_apply: String,
    },
    /// State the last day of security support (or --clear it).
    SupportEnd {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// Last day of support (YYYY-MM-DD).
        #[arg(long, required_unless_present = "clear", conflicts_with = "clear")]
        date: Option<NaiveDate>,
        /// No announced date.
        #[arg(long)]
        clear: bool,
    },
}

fn read(path: &PathBuf, lang: Lang) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| match lang {
        Lang::Ja => format!("{} を読めませんでした", path.display()),
        Lang::En => format!("reading {}", path.display()),
    })
}

pub(super) async fn run(s: &Session, cmd: SecurityCmd) -> anyhow::Result<ExitCode> {
    let (reg, op) = (&s.reg, &s.op);
    let r = match cmd {
        SecurityCmd::Sbom {
            number,
            firmware,
            file,
        } => {
            let bytes = read(&file, s.lang)?;
            reg.attach_sbom(op, &number, &firmware, &bytes).await
        }
        SecurityCmd::Vex { number, file } => {
            let bytes = read(&file, s.lang)?;
            reg.publish_vex(op, &number, &bytes).await
        }
        SecurityCmd::Csaf { number, file } => {
            let bytes = read(&file, s.lang)?;
            reg.publish_csaf(op, &number, &bytes).await
        }
        SecurityCmd::Update {
            number,
            release,
            date,
            notes,
            fixes,
            how_to_apply,
        } => {
            let entry = UpdateEntry {
                version: release,
                released_on: date,
                notes,
                fixes,
                how_to_apply,
            };
            reg.add_update(op, &number, entry).await
        }
        SecurityCmd::SupportEnd {
            number,
            date,
            clear: _,
        } => reg.set_support_end(op, &number, date).await,
    };
    Ok(s.label(r))
}

fn item_line(i: &WatchItem, lang: Lang) -> String {
    let f = &i.finding;
    let score = f
        .cvss
        .map(|c| format!("CVSS {c:.1}"))
        .unwrap_or_else(|| "CVSS -".into());
    let kev = if f.known_exploited {
        tr(lang, "、悪用が確認済み（KEV）", ", known exploited (KEV)")
    } else {
        ""
    };
    match lang {
        Lang::Ja => format!(
            "{} {} ({}): {} — {} {}（ファームウェア {}、{score}{kev}、{} に検出）",
            i.number,
            i.product,
            i.org,
            f.vuln_id,
            f.component,
            f.version,
            f.firmware_version,
            f.found_on
        ),
        Lang::En => format!(
            "{} {} ({}): {} — {} {} (firmware {}, {score}{kev}, found {})",
            i.number,
            i.product,
            i.org,
            f.vuln_id,
            f.component,
            f.version,
            f.firmware_version,
            f.found_on
        ),
    }
}

pub(super) fn watch_text(r: &WatchReport, lang: Lang) -> String {
    let mut out = match lang {
        Lang::Ja => format!(
            "監視: 有効なラベル {} 件、SBOM {} 件を照合。未解決の検出 {} 件（今回新たに {} 件）",
            r.run.labels, r.run.sboms, r.run.findings, r.run.new_findings
        ),
        Lang::En => format!(
            "watch: {} active labels, {} SBOMs matched; {} unsettled findings ({} new)",
            r.run.labels, r.run.sboms, r.run.findings, r.run.new_findings
        ),
    };
    for i in &r.items {
        out.push('\n');
        out.push_str(&item_line(i, lang));
    }
    out
}

pub(super) fn list_text(items: &[WatchItem], lang: Lang) -> String {
    if items.is_empty() {
        return tr(lang, "未解決の検出はありません", "no unsettled finding").to_string();
    }
    items
        .iter()
        .map(|i| item_line(i, lang))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `registry watch`: run the watch against the store at `vulndb`, or with
/// `list` only show the current list.
pub(super) async fn watch(s: &Session, vulndb: &str, list: bool) -> anyhow::Result<ExitCode> {
    if list {
        let r = s.reg.watch_list(&s.op).await;
        return Ok(s.show(r, |items| list_text(items, s.lang)));
    }
    let db = jcstar_vulndb::VulnDb::open(vulndb)
        .await
        .with_context(|| match s.lang {
            Lang::Ja => format!("脆弱性データベース {vulndb} を開けませんでした"),
            Lang::En => format!("opening the vulnerability store {vulndb}"),
        })?;
    let r = s.reg.watch(&s.op, &db).await;
    db.close().await;
    Ok(s.show(r, |r| watch_text(r, s.lang)))
}
