//! `jcstar registry export`, `events`, `verify` and `rebuild`, and
//! `jcstar demo`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use jcstar_criteria::Lang;
use jcstar_registry::{ExportFormat, FeedScope};

use super::session::{DbArgs, Session, open, runtime};
use super::text::{emit, failed, kind_text, verify_text};
use crate::Ctx;

#[derive(clap::Args)]
pub(super) struct ExportArgs {
    #[arg(
        long,
        conflicts_with_all = ["json_format", "xlsx"],
        required_unless_present_any = ["json_format", "xlsx"]
    )]
    /// Write CSV.
    pub(super) csv: bool,
    /// JSON array of labels.
    #[arg(long = "json-format", id = "json_format", conflicts_with = "xlsx")]
    pub(super) json_format: bool,
    /// Excel workbook: one sheet, header in the language of --lang,
    /// dates as dates, filters on the header row.
    #[arg(long)]
    pub(super) xlsx: bool,
    /// CSV for Excel: starts with a UTF-8 byte order mark, so Japanese
    /// text opens ungarbled. (Cells that a spreadsheet would take for a
    /// formula are prefixed with ' in every CSV export.)
    #[arg(long, requires = "csv")]
    pub(super) excel: bool,
    /// Output file.
    #[arg(short, long)]
    pub(super) output: PathBuf,
}

pub(super) async fn export(s: &Session, a: ExportArgs) -> anyhow::Result<ExitCode> {
    let (lang, output) = (s.lang, &a.output);
    let r = if a.xlsx {
        s.reg.export_xlsx(output, lang).await
    } else {
        let file = std::fs::File::create(output).with_context(|| match lang {
            Lang::Ja => format!("{} を作成できませんでした", output.display()),
            Lang::En => format!("creating {}", output.display()),
        })?;
        let format = match (a.csv, a.excel) {
            (true, true) => ExportFormat::CsvExcel,
            (true, false) => ExportFormat::Csv,
            (false, _) => ExportFormat::Json,
        };
        s.reg.export(format, std::io::BufWriter::new(file)).await
    };
    Ok(match r {
        Ok(n) => emit(
            s.json,
            lang,
            &serde_json::json!({ "labels": n, "file": output.display().to_string() }),
            |_| written(n, output, lang),
        ),
        Err(e) => s.failed(e),
    })
}

fn written(n: u64, output: &Path, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("ラベル {n} 件を {} に書き出しました", output.display()),
        Lang::En => format!("{n} labels written to {}", output.display()),
    }
}

/// The change feed after `after`.
pub(super) async fn events(s: &Session, after: i64, limit: u64, all: bool) -> ExitCode {
    let lang = s.lang;
    let scope = if all {
        FeedScope::All
    } else {
        FeedScope::Labels
    };
    s.show(s.reg.events_since(scope, after, None, limit).await, |p| {
        p.events
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {}",
                    e.seq,
                    e.at.format("%Y-%m-%dT%H:%M:%SZ"),
                    kind_text(e.kind, lang),
                    e.label_number
                        .as_deref()
                        .or(e.application_id.as_deref())
                        .unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

pub(super) async fn verify(s: &Session) -> ExitCode {
    match s.reg.verify().await {
        Ok(report) => {
            let code = emit(s.json, s.lang, &report, |r| verify_text(r, s.lang));
            if report.ok { code } else { ExitCode::from(1) }
        }
        Err(e) => s.failed(e),
    }
}

pub(super) async fn rebuild(s: &Session) -> ExitCode {
    let lang = s.lang;
    s.show(s.reg.rebuild().await, |r| match lang {
        Lang::Ja => format!(
            "イベント {} 件から作り直しました: 申請 {} 件、ラベル {} 件",
            r.events, r.applications, r.labels
        ),
        Lang::En => format!(
            "rebuilt from {} events: {} applications, {} labels",
            r.events, r.applications, r.labels
        ),
    })
}

#[derive(clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Print machine-readable JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run_demo(ctx: &Ctx, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let lang = ctx.lang;
    runtime(lang)?.block_on(async {
        let reg = open(&args.db, lang).await?;
        let code = match jcstar_registry::seed_demo(&reg).await {
            Ok(numbers) => emit(
                args.json,
                lang,
                &serde_json::json!({ "database": args.db.database, "labels": numbers }),
                |_| {
                    let head = match lang {
                        Lang::Ja => format!(
                            "デモ用の登録簿を {} に作りました: ラベル {} 件",
                            args.db.database,
                            numbers.len()
                        ),
                        Lang::En => format!(
                            "demo registry filled at {}: {} labels",
                            args.db.database,
                            numbers.len()
                        ),
                    };
                    format!("{head}\n{}", numbers.join("\n"))
                },
            ),
            Err(e) => failed(args.json, lang, e),
        };
        reg.close().await;
        Ok(code)
    })
}
