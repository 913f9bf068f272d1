//! `jcstar verify-list FILE`: a list of model numbers and registration
//! numbers (CSV, .xlsx or one per line) checked against a registry server.
//! Reading the list and the request are library functions
//! (`jcstar_registry::verify`, `jcstar_web::client`); this only parses
//! flags and prints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use jcstar_criteria::Lang;
use jcstar_registry::verify::{self, Outcome, VerifyReport, status_text};
use jcstar_web::client::{self, RemoteReport};
use jcstar_web::verify::ReportFormat;

use crate::Ctx;

#[derive(clap::Args)]
pub struct Args {
    /// The list: CSV (UTF-8), .xlsx (first sheet), or one entry per line.
    /// The column headed 型番, 登録番号, model or number is read, else the
    /// first.
    pub file: PathBuf,
    /// The registry server's base URL (plain HTTP; a registry served over
    /// HTTPS needs a local TLS proxy for now).
    #[arg(long, env = "JCSTAR_REGISTRY", default_value = "http://127.0.0.1:8080")]
    pub registry: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also save the report as the server sent it: CSV (UTF-8 with BOM) when
    /// the name ends in .csv, an Excel workbook when it ends in .xlsx, else
    /// JSON; its detached signature, when the server signs, goes next to it
    /// as OUT.jws.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "ja",
        Lang::En => "en",
    }
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let lang = ctx.lang;
    let bytes = std::fs::read(&args.file).with_context(|| format!("{}", args.file.display()))?;
    let rows = match verify::read_file(&bytes) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("jcstar: {}: {}", args.file.display(), e.message(lang));
            return Ok(ExitCode::from(2));
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let code = lang_code(lang);
    let fail = |e: client::ClientError| {
        eprintln!("jcstar: {}", e.message(lang));
        ExitCode::from(2)
    };
    let json = match rt.block_on(client::verify_remote(
        &args.registry,
        &rows,
        ReportFormat::Json,
        code,
    )) {
        Ok(r) => r,
        Err(e) => return Ok(fail(e)),
    };
    let report = match client::with_cells(&json.body, &rows, &args.registry) {
        Ok(r) => r,
        Err(e) => return Ok(fail(e)),
    };
    if let Some(out) = &args.out {
        let ext = out
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let format = match ext.as_deref() {
            Some("csv") => Some(ReportFormat::Csv),
            Some("xlsx") => Some(ReportFormat::Xlsx),
            _ => None,
        };
        let saved: RemoteReport = match format {
            Some(f) => match rt.block_on(client::verify_remote(&args.registry, &rows, f, code)) {
                Ok(r) => r,
                Err(e) => return Ok(fail(e)),
            },
            None => json,
        };
        std::fs::write(out, &saved.body).with_context(|| format!("{}", out.display()))?;
        let mut sig_path = out.clone().into_os_string();
        sig_path.push(".jws");
        let sig_path = PathBuf::from(sig_path);
        if let Some(sig) = &saved.signature {
            std::fs::write(&sig_path, format!("{sig}\n"))
                .with_context(|| format!("{}", sig_path.display()))?;
        }
        let note = match (lang, saved.signature.is_some()) {
            (Lang::Ja, true) => format!(
                "レポートを保存しました: {}（署名: {}）",
                out.display(),
                sig_path.display()
            ),
            (Lang::Ja, false) => format!(
                "レポートを保存しました: {}（このサーバーは署名しません）",
                out.display()
            ),
            (Lang::En, true) => format!(
                "Report saved: {} (signature: {})",
                out.display(),
                sig_path.display()
            ),
            (Lang::En, false) => format!(
                "Report saved: {} (this server does not sign)",
                out.display()
            ),
        };
        eprintln!("{note}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, lang);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(report: &VerifyReport, lang: Lang) {
    let s = &report.summary;
    match lang {
        Lang::Ja => println!(
            "{} 時点（{}）: {}行 — ラベルあり {}（うち有効 {}）、ラベルなし {}、複数該当 {}、未発行の番号 {}、入力誤りの可能性 {}、形式不正 {}",
            report.as_of,
            report.registry,
            s.rows,
            s.labeled,
            s.active,
            s.not_labeled,
            s.ambiguous,
            s.not_issued,
            s.probable_typo,
            s.invalid_number
        ),
        Lang::En => println!(
            "As of {} ({}): {} rows — labeled {} ({} active), not labeled {}, ambiguous {}, never issued {}, probable typos {}, invalid numbers {}",
            report.as_of,
            report.registry,
            s.rows,
            s.labeled,
            s.active,
            s.not_labeled,
            s.ambiguous,
            s.not_issued,
            s.probable_typo,
            s.invalid_number
        ),
    }
    let row_word = if lang == Lang::Ja { "行" } else { "row" };
    for r in &report.rows {
        let place = match &r.cell {
            Some(c) => format!("{row_word} {} ({c})", r.row),
            None => format!("{row_word} {}", r.row),
        };
        let mut line = format!("{place}\t{}\t{}", r.input, r.outcome.text(lang));
        let describe = |l: &verify::LabelRef| {
            format!(
                "{} ★{} {} {} {}",
                l.number,
                l.level,
                status_text(l.status, lang),
                l.valid_until,
                l.url
            )
        };
        match r.outcome {
            Outcome::Labeled => {
                if let Some(l) = &r.label {
                    line.push_str(&format!("\t{}", describe(l)));
                }
            }
            Outcome::Ambiguous => {
                let c: Vec<String> = r.candidates.iter().map(describe).collect();
                line.push_str(&format!("\t{}", c.join(" / ")));
            }
            Outcome::ProbableTypo => {
                if let Some(sug) = &r.suggestion {
                    let word = if lang == Lang::Ja {
                        "正しくは"
                    } else {
                        "did you mean"
                    };
                    line.push_str(&format!("\t{word} {sug}"));
                }
            }
            Outcome::NotIssued => {
                line.push_str(if lang == Lang::Ja {
                    "\tこの番号のラベルは偽造の疑いがあります"
                } else {
                    "\ta label carrying this number is probably counterfeit"
                });
            }
            Outcome::InvalidNumber => {
                if let Some(d) = &r.detail {
                    line.push_str(&format!("\t{d}"));
                }
            }
            Outcome::NotLabeled => {}
        }
        println!("{line}");
    }
}
