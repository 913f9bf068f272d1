//! `jcstar checklist ...`: create, check and convert a ★1 self-assessment
//! checklist. The rules and formats live in `jcstar-checklist`; this module
//! only resolves paths, refuses unsafe writes and renders the report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use jcstar_checklist::{Checklist, Format, result_json, validate};
use jcstar_criteria::{Catalog, Lang};

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
            let out = result_json::error_json(&a.file.display().to_string(), &e, ctx.lang);
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
        let out = result_json::report_json(&a.file.display().to_string(), &report, map.as_ref())?;
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        crate::checklist_report::print(
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
