//! `jcstar checklist ...`: create, check and convert a ★1 self-assessment
//! checklist. The rules and formats live in `jcstar-checklist`; this module
//! only resolves paths, refuses unsafe writes and renders the report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use jcstar_checklist::xlsx::WorkbookMap;
use jcstar_checklist::{Checklist, ChecklistError, Format, Outcome, Report, Severity, validate};
use jcstar_criteria::{Catalog, Lang};
use owo_colors::OwoColorize;

use crate::Ctx;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Write a blank checklist: every criterion present and `unanswered`.
    Init(InitArgs),
    /// Check a checklist; exit 0 if it supports a ★1 application, 1 if it has
    /// blocking problems, 2 if it cannot be read.
    Validate(ValidateArgs),
    /// Convert a checklist to a workbook (.xlsx), JSON or TOML.
    Export(ExportArgs),
    /// Read a filled-in workbook (.xlsx) back into a TOML or JSON checklist.
    Import(ImportArgs),
    /// Record a `jcstar probe`/`assess` evidence directory against the
    /// criteria it covers, without changing any answer.
    Attach(crate::cmd_attach::AttachArgs),
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
enum TextFormat {
    Toml,
    Json,
}

#[derive(clap::Args)]
struct InitArgs {
    /// Product name to put on the basic-information sheet.
    #[arg(long)]
    product: String,
    /// Where to write the checklist (.toml, .json or .xlsx).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// File format; by default taken from the output's extension.
    #[arg(long, value_enum)]
    format: Option<TextFormat>,
    /// Overwrite the output if it exists.
    #[arg(long)]
    force: bool,
    /// Criteria catalog to use instead of the built-in ★1 catalog.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// Write the checklist of an application under a mutual-recognition
    /// arrangement (e.g. `uk-psti`): the criteria it deems met are answered
    /// `deemed-met`, and the partner scheme's statement is asked for. See
    /// `jcstar criteria recognition`.
    #[arg(long, value_name = "ARRANGEMENT")]
    recognition: Option<String>,
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// The checklist (.toml, .json or .xlsx).
    file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Criteria catalog to check against instead of the built-in ★1 catalog.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("out").required(true).multiple(true).args(["xlsx", "json", "toml"])))]
struct ExportArgs {
    /// The checklist to convert (.toml, .json or .xlsx).
    file: PathBuf,
    /// Write a workbook (sheets 基本情報 and チェックリスト).
    #[arg(long, value_name = "OUT")]
    xlsx: Option<PathBuf>,
    /// Write JSON.
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Write TOML.
    #[arg(long, value_name = "OUT")]
    toml: Option<PathBuf>,
    /// Overwrite outputs that exist (the input is never overwritten).
    #[arg(long)]
    force: bool,
    /// Catalog for the criterion titles shown in the workbook.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The workbook to read.
    input: PathBuf,
    /// Where to write the checklist (.toml or .json).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// Overwrite the output if it exists (the input is never overwritten).
    #[arg(long)]
    force: bool,
    /// Print what was read as JSON (the output file is written as well).
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Cmd::Init(a) => init(ctx, a),
        Cmd::Validate(a) => validate_cmd(ctx, a),
        Cmd::Export(a) => export(ctx, a),
        Cmd::Import(a) => import(ctx, a),
        Cmd::Attach(a) => crate::cmd_attach::run(ctx, a),
    }
}

/// The built-in ★1 catalog, or the one the user points at.
enum CatalogChoice {
    Builtin,
    File(Box<Catalog>),
}

impl CatalogChoice {
    fn load(path: Option<&Path>) -> anyhow::Result<CatalogChoice> {
        Ok(match path {
            None => CatalogChoice::Builtin,
            Some(p) => CatalogChoice::File(Box::new(
                Catalog::from_path(p)
                    .with_context(|| format!("cannot load catalog {}", p.display()))?,
            )),
        })
    }

    fn get(&self) -> &Catalog {
        match self {
            CatalogChoice::Builtin => Catalog::star1(),
            CatalogChoice::File(c) => c,
        }
    }
}

fn msg(lang: Lang, ja: &str, en: &str) -> String {
    match lang {
        Lang::Ja => ja.to_string(),
        Lang::En => en.to_string(),
    }
}

/// [`jcstar_checklist::output::check_output`], refused in the user's words.
fn check_output(ctx: &Ctx, input: Option<&Path>, out: &Path, force: bool) -> anyhow::Result<()> {
    jcstar_checklist::output::check_output(input, out, force)
        .map_err(|e| anyhow::anyhow!("{}", e.message(ctx.lang)))
}

const TEMPLATE_HEADER: &str = "\
# ★1 self-assessment checklist (チェックリスト). Fill in every field, then run
#   jcstar checklist validate <this file>
#
# result (結果) of each answer:
#   conforms          適合
#   not-applicable    対象外 (NA): give na-reason (NAであることの理由)
#   does-not-conform  不適合 (blocks an application)
#   deemed-met        みなし適合: only {deemed}, and only with [giteki]
#   unanswered        未回答 (blocks an application)
# methods: \"document-review\" (ドキュメント評価), \"device-test\" (実機テスト)
# evidence (証跡), one table per item, paths relative to this file:
#   [[answers.evidence]]  kind = \"document\", name = \"...\", section = \"...\", path = \"...\"
#   [[answers.evidence]]  kind = \"device-test\", path = \"evidence/....json\"
#   add external = true for evidence kept outside this folder.
# 技適 number, if the product has one:
#   [giteki]  mark = \"T\" (設計認証番号) or \"A\" (技術基準適合認定番号), number = \"...\"
# Application under a mutual-recognition arrangement (see `jcstar criteria recognition`):
#   [recognition]  arrangement = \"uk-psti\", statement-document = \"...\" or statement-url = \"https://...\"

";

fn init(ctx: &Ctx, a: InitArgs) -> anyhow::Result<ExitCode> {
    let by_ext = Format::from_path(&a.output)?;
    if let Some(f) = a.format {
        let wanted = match f {
            TextFormat::Toml => Format::Toml,
            TextFormat::Json => Format::Json,
        };
        if wanted != by_ext {
            bail!(
                "--format {} does not match the extension of {}; name the file .{}",
                wanted.name(),
                a.output.display(),
                wanted.name()
            );
        }
    }
    if a.product.trim().is_empty() {
        bail!("--product must not be empty");
    }
    check_output(ctx, None, &a.output, a.force)?;
    let catalog = CatalogChoice::load(a.catalog.as_deref())?;
    let checklist = match a.recognition.as_deref() {
        None => Checklist::template(catalog.get(), a.product.trim()),
        Some(id) => {
            let known = jcstar_criteria::Recognition::builtin();
            let Some(arr) = known.get(id) else {
                let ids: Vec<&str> = known.arrangements.iter().map(|a| a.id.as_str()).collect();
                bail!(
                    "{}",
                    msg(
                        ctx.lang,
                        &format!(
                            "相互承認 `{id}` はありません。次のいずれかを指定してください: {}",
                            ids.join(", ")
                        ),
                        &format!(
                            "no recognition arrangement `{id}`; use one of: {}",
                            ids.join(", ")
                        ),
                    )
                );
            };
            Checklist::template_for(catalog.get(), a.product.trim(), arr)
        }
    };
    if by_ext == Format::Toml {
        // TOML can carry the instructions next to the fields.
        let deemed: Vec<&str> = catalog
            .get()
            .criteria
            .iter()
            .filter(|c| c.deemed_met_by_giteki)
            .map(|c| c.id.as_str())
            .collect();
        let text = format!(
            "{}{}",
            TEMPLATE_HEADER.replace("{deemed}", &deemed.join(", ")),
            checklist.to_toml_with_titles(catalog.get())?
        );
        std::fs::write(&a.output, text)
            .with_context(|| format!("cannot write {}", a.output.display()))?;
    } else {
        checklist.write_path_in(&a.output, Some(catalog.get()), ctx.lang)?;
    }
    println!(
        "{}",
        jcstar_checklist::init_summary(&checklist, &a.output.display().to_string()).get(ctx.lang)
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads a checklist, with errors in the user's language.
fn read(ctx: &Ctx, path: &Path) -> anyhow::Result<Checklist> {
    Checklist::from_path(path).map_err(|e| anyhow::anyhow!(e.message(ctx.lang)))
}

fn validate_cmd(ctx: &Ctx, a: ValidateArgs) -> anyhow::Result<ExitCode> {
    let catalog = CatalogChoice::load(a.catalog.as_deref())?;
    let (checklist, map) = match Checklist::from_path_mapped(&a.file) {
        Ok(c) => c,
        Err(e) if a.json => {
            let mut err = serde_json::json!({ "message": e.message(ctx.lang) });
            if let ChecklistError::Parse { line, column, .. } = &e {
                err["line"] = (*line).into();
                err["column"] = (*column).into();
            }
            if let ChecklistError::Cells { problems, .. } = &e {
                err["cells"] = serde_json::to_value(problems)?;
            }
            let out = serde_json::json!({
                "file": a.file.display().to_string(),
                "supports-application": false,
                "error": err,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
            eprintln!("jcstar: error: {}", e.message(ctx.lang));
            return Ok(ExitCode::from(2));
        }
        Err(e) => anyhow::bail!("{}", e.message(ctx.lang)),
    };
    let base = a.file.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    });
    let report = validate(&checklist, catalog.get(), base);
    if a.json {
        let mut out = serde_json::json!({ "file": a.file.display().to_string() });
        if let (Some(obj), serde_json::Value::Object(fields)) =
            (out.as_object_mut(), serde_json::to_value(&report)?)
        {
            obj.extend(fields);
        }
        // A workbook's problems also say which cell to change.
        if let (Some(map), Some(problems)) = (&map, out["problems"].as_array_mut()) {
            for p in problems.iter_mut() {
                if let Some(cell) = p["field"].as_str().and_then(|f| map.cell_of(f)) {
                    p["cell"] = cell.into();
                }
            }
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_report(
            ctx.lang,
            &a.file,
            &checklist,
            catalog.get(),
            &report,
            map.as_ref(),
        )?;
    }
    Ok(if report.supports_application {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn outcome_label(lang: Lang, o: Outcome) -> &'static str {
    match lang {
        Lang::Ja => o.label_ja(),
        Lang::En => o.label_en(),
    }
}

fn print_report(
    lang: Lang,
    file: &Path,
    c: &Checklist,
    catalog: &Catalog,
    report: &Report,
    map: Option<&WorkbookMap>,
) -> anyhow::Result<()> {
    let mut out = anstream::stdout().lock();
    let ja = lang == Lang::Ja;
    let l = |j: &'static str, e: &'static str| if ja { j } else { e };

    writeln!(
        out,
        "{} {}",
        l("チェックリスト:", "Checklist:").bold(),
        file.display()
    )?;
    writeln!(
        out,
        "  {} {} [{}]",
        l("製品:", "Product:"),
        c.product.name,
        c.product.model_numbers.join(", ")
    )?;
    if !c.product.versions.is_empty() {
        writeln!(
            out,
            "  {} {}",
            l("バージョン:", "Versions:"),
            c.product.versions.join(", ")
        )?;
    }
    writeln!(out, "  {} {}", l("申請者:", "Applicant:"), c.applicant.name)?;
    writeln!(
        out,
        "  {} {} {} ({} {})",
        l("適合基準:", "Catalog:"),
        catalog.meta.id,
        catalog.meta.version,
        catalog.criteria.len(),
        l("件", "criteria")
    )?;
    writeln!(out)?;

    let width = catalog
        .criteria
        .iter()
        .map(|cr| cr.id.chars().count())
        .max()
        .unwrap_or(7);
    let label_width = Outcome::ALL
        .iter()
        .map(|o| display_width(outcome_label(lang, *o)))
        .chain([display_width(l("回答なし", "missing"))])
        .max()
        .unwrap_or(16);
    for cr in &catalog.criteria {
        let answer = c.answer(&cr.id);
        let blocking = report.problems.iter().any(|p| {
            p.severity == Severity::Blocking && p.criterion.as_deref() == Some(cr.id.as_str())
        });
        let warned = report.problems.iter().any(|p| {
            p.severity == Severity::Warning && p.criterion.as_deref() == Some(cr.id.as_str())
        });
        let mark = if blocking {
            "✗".red().bold().to_string()
        } else if warned {
            "!".yellow().bold().to_string()
        } else {
            "✓".green().to_string()
        };
        let (label, styled) = match answer.map(|a| a.result) {
            None => {
                let s = l("回答なし", "missing");
                (s, s.red().to_string())
            }
            Some(o) => {
                let s = outcome_label(lang, o);
                let styled = match o {
                    Outcome::Conforms | Outcome::DeemedMet => s.green().to_string(),
                    Outcome::NotApplicable => s.cyan().to_string(),
                    Outcome::DoesNotConform => s.red().to_string(),
                    Outcome::Unanswered => s.yellow().to_string(),
                };
                (s, styled)
            }
        };
        // Pad by display width: Japanese labels are double-width.
        let pad = (label_width + 2).saturating_sub(display_width(label));
        let evidence = answer.map_or(0, |a| a.evidence.len());
        let ev = if evidence > 0 {
            format!(" ({}{evidence})", l("証跡 ", "evidence: "))
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {mark} {:<width$}  {styled}{:pad$}{}{}",
            cr.id,
            "",
            cr.title.get(lang),
            ev.dimmed()
        )?;
    }

    if !report.problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", l("問題:", "Problems:").bold())?;
        for p in &report.problems {
            let tag = match p.severity {
                Severity::Blocking => l("要修正", "blocking").red().bold().to_string(),
                Severity::Warning => l("警告", "warning").yellow().bold().to_string(),
            };
            // In a workbook the place is the cell, and the hint speaks of
            // its columns and dropdown labels rather than file keys.
            let cell = map.and_then(|m| p.field.as_deref().and_then(|f| m.cell_of(f)));
            let field = cell.clone().or_else(|| p.field.clone());
            let place = match (&p.criterion, &field) {
                (Some(c), Some(f)) => format!("{c} {f}"),
                (Some(c), None) => c.clone(),
                (None, Some(f)) => f.clone(),
                (None, None) => String::new(),
            };
            let hint = match map {
                Some(m) => m.hint(p.hint.get(lang)),
                None => p.hint.get(lang).to_string(),
            };
            writeln!(out, "  {tag} [{}] {}", place.bold(), p.message.get(lang))?;
            writeln!(out, "      {} {}", "→".dimmed(), hint)?;
        }
    }

    writeln!(out)?;
    let n = &report.counts;
    let blocking = report.blocking().count();
    let warnings = report.warnings().count();
    if report.supports_application {
        let line = if ja {
            format!(
                "✔ ★1の申請に使えます: {}/{} 件回答済み（適合 {}、みなし適合 {}、対象外 {}）、警告 {warnings} 件",
                n.answered, n.criteria, n.conforms, n.deemed_met, n.not_applicable
            )
        } else {
            format!(
                "✔ Supports a ★1 application: {}/{} answered ({} conform, {} deemed met, {} not applicable), {warnings} warning(s)",
                n.answered, n.criteria, n.conforms, n.deemed_met, n.not_applicable
            )
        };
        writeln!(out, "{}", line.green().bold())?;
    } else {
        let line = if ja {
            format!(
                "✘ まだ申請に使えません: 要修正 {blocking} 件、警告 {warnings} 件（{}/{} 件回答済み）",
                n.answered, n.criteria
            )
        } else {
            format!(
                "✘ Does not support an application yet: {blocking} blocking problem(s), {warnings} warning(s) ({}/{} answered)",
                n.answered, n.criteria
            )
        };
        writeln!(out, "{}", line.red().bold())?;
    }
    Ok(())
}

/// Terminal columns of a string: East Asian wide characters take two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let cp = c as u32;
            let wide = (0x1100..=0x115F).contains(&cp)
                || (0x2E80..=0xA4CF).contains(&cp)
                || (0xAC00..=0xD7A3).contains(&cp)
                || (0xF900..=0xFAFF).contains(&cp)
                || (0xFE30..=0xFE4F).contains(&cp)
                || (0xFF00..=0xFF60).contains(&cp)
                || (0xFFE0..=0xFFE6).contains(&cp);
            if wide { 2 } else { 1 }
        })
        .sum()
}

fn export(ctx: &Ctx, a: ExportArgs) -> anyhow::Result<ExitCode> {
    let outputs: Vec<(&PathBuf, Format)> = [
        (a.xlsx.as_ref(), Format::Xlsx),
        (a.json.as_ref(), Format::Json),
        (a.toml.as_ref(), Format::Toml),
    ]
    .into_iter()
    .filter_map(|(p, f)| p.map(|p| (p, f)))
    .collect();
    for (out, wanted) in &outputs {
        let by_ext = Format::from_path(out)?;
        if by_ext != *wanted {
            bail!(
                "--{} {}: the file name must end in .{}",
                wanted.name(),
                out.display(),
                wanted.name()
            );
        }
        check_output(ctx, Some(&a.file), out, a.force)?;
    }
    let checklist = read(ctx, &a.file)?;
    let catalog = CatalogChoice::load(a.catalog.as_deref())?;
    for (out, _) in &outputs {
        checklist.write_path_in(out, Some(catalog.get()), ctx.lang)?;
        println!(
            "{}",
            msg(
                ctx.lang,
                &format!("{} を書き出しました", out.display()),
                &format!("wrote {}", out.display())
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn import(ctx: &Ctx, a: ImportArgs) -> anyhow::Result<ExitCode> {
    Format::from_path(&a.output)?;
    check_output(ctx, Some(&a.input), &a.output, a.force)?;
    let checklist = read(ctx, &a.input)?;
    checklist.write_path(&a.output, Some(Catalog::star1()))?;
    if a.json {
        let report = validate(
            &checklist,
            Catalog::star1(),
            Some(jcstar_checklist::folder_of(&a.input)),
        );
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "input": a.input.display().to_string(),
                "output": a.output.display().to_string(),
                "answers": checklist.answers.len(),
                "counts": report.counts,
                "supports-application": report.supports_application,
                "checklist": checklist,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}",
        msg(
            ctx.lang,
            &format!(
                "{} を読み込み、{} に書き出しました（回答 {} 件）",
                a.input.display(),
                a.output.display(),
                checklist.answers.len()
            ),
            &format!(
                "read {} and wrote {} ({} answers)",
                a.input.display(),
                a.output.display(),
                checklist.answers.len()
            ),
        )
    );
    Ok(ExitCode::SUCCESS)
}
