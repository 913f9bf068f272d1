//! `jcstar criteria ...`: read the criteria catalog, look up cross-scheme
//! references and export it (OSCAL).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use jcstar_criteria::{Catalog, Criterion, Lang};
use serde_json::json;

use crate::Ctx;

/// Read the criteria catalog (★1 by default) and look up references.
#[derive(clap::Args)]
pub struct Args {
    /// Use this catalog file (TOML) instead of the built-in ★1 catalog, e.g.
    /// a revised or ★2 catalog. It is validated before use.
    #[arg(long, global = true, value_name = "FILE")]
    catalog: Option<PathBuf>,

    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand)]
enum Sub {
    /// List every criterion: id, evaluation methods, NA, deemed-met, title.
    List {
        /// Print the full criteria (methods, NA rules, references) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one criterion in full, with its references grouped by scheme.
    Show {
        /// Criterion id, e.g. `S1.1-04` (case does not matter).
        id: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Find the criteria the catalog relates to a provision of another scheme.
    ///
    /// Exit status 1 when nothing relates. The source document only calls
    /// these "related" requirements; a match is not a claim of equivalence.
    Map {
        /// Scheme id (e.g. `etsi-en-303-645`, `uk-psti`, `iec-62443-4-2`,
        /// `ccds`); the scheme's name as the source writes it, or a short
        /// name such as `PSTI`, `CRA`, `NISTIR 8425`, `Singapore CLS`, also
        /// works.
        #[arg(long, value_name = "SCHEME")]
        from: String,
        /// Provision of that scheme, e.g. `5.1-2`, `5.1-2 M`, `Provision
        /// 5.1-2`, `CR1.5`, `ANNEX I 1.(3)(b)`, `ANNEX I 2(8)`, a CCDS
        /// sub-item `1-1【必須】④`, or a part of a cited provision
        /// (`ANNEX I 1.(3)`, `FIA_AFL.1`).
        provision: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export the catalog in another format (OSCAL JSON).
    Export {
        /// Write an OSCAL 1.1.2 catalog (JSON). The only format so far, so
        /// it must be given explicitly.
        #[arg(long, required = true)]
        oscal: bool,
        /// Output file; `-` writes to standard output. Never the catalog
        /// file being read.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// List the glossary: term id, name and definition.
    Terms {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the mutual-recognition arrangements (e.g. UK PSTI): the criteria
    /// deemed met, what must be supplied, the fee, and the source.
    Recognition {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn t<'a>(lang: Lang, ja: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let loaded;
    let catalog: &Catalog = match &args.catalog {
        Some(path) => {
            loaded = Catalog::from_path(path)?;
            &loaded
        }
        None => Catalog::star1(),
    };
    let lang = ctx.lang;
    match args.command {
        Sub::List { json } => list(catalog, lang, json),
        Sub::Show { id, json } => show(catalog, lang, &id, json),
        Sub::Map {
            from,
            provision,
            json,
        } => map(catalog, lang, &from, &provision, json),
        Sub::Export { oscal: _, output } => export(catalog, lang, args.catalog.as_deref(), &output),
        Sub::Terms { json } => terms(catalog, lang, json),
        Sub::Recognition { json } => recognition(lang, json),
    }
}

fn recognition(lang: Lang, json: bool) -> anyhow::Result<ExitCode> {
    let r = jcstar_criteria::Recognition::builtin();
    if json {
        print_json(r)?;
        return Ok(ExitCode::SUCCESS);
    }
    let yen = |n: u64| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, ch) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
        format!("¥{out}")
    };
    for a in &r.arrangements {
        println!(
            "{}  {} (★{}, {} {})",
            a.id,
            a.title.get(lang),
            a.level,
            t(lang, "発効", "in force from"),
            a.in_force_from
        );
        println!(
            "  {} {}",
            t(lang, "みなし適合:", "deemed met:"),
            a.deemed_met.join(", ")
        );
        println!(
            "  {} {}{}",
            t(lang, "必要なもの:", "to supply:"),
            a.statement.get(lang),
            if a.statement_required {
                ""
            } else {
                t(lang, "（任意）", " (optional)")
            }
        );
        println!(
            "  {} {} ({} {})",
            t(lang, "手数料:", "fee:"),
            yen(a.fee_jpy),
            t(lang, "通常", "instead of"),
            yen(a.standard_fee_jpy)
        );
        if let Some(r) = &a.reciprocal {
            println!("  {} {}", t(lang, "相手国側:", "in return:"), r.get(lang));
        }
        println!("  {} {}", t(lang, "出典:", "source:"), a.source.get(lang));
        println!(
            "  {} jcstar checklist init --recognition {} --product NAME -o FILE",
            t(lang, "チェックリスト:", "checklist:"),
            a.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn methods_cell(c: &Criterion) -> String {
    let mut v = Vec::new();
    if c.requires_document_review() {
        v.push("doc");
    }
    if c.requires_device_test() {
        v.push("device");
    }
    v.join("+")
}

fn yes_no(lang: Lang, b: bool) -> &'static str {
    match (lang, b) {
        (Lang::Ja, true) => "可",
        (Lang::Ja, false) => "-",
        (Lang::En, true) => "yes",
        (Lang::En, false) => "-",
    }
}

fn list(cat: &Catalog, lang: Lang, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        print_json(&cat.criteria)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}{}{}{}{}",
        crate::text::column("ID", 10),
        crate::text::column(t(lang, "評価手法", "methods"), 13),
        crate::text::column("NA", 6),
        crate::text::column(t(lang, "技適みなし", "deemed-met"), 12),
        t(lang, "タイトル", "title")
    );
    for c in &cat.criteria {
        println!(
            "{}{}{}{}{}",
            crate::text::column(&c.id, 10),
            crate::text::column(&methods_cell(c), 13),
            crate::text::column(yes_no(lang, c.na.allowed), 6),
            crate::text::column(if c.deemed_met_by_giteki { "T/A" } else { "-" }, 12),
            c.title.get(lang)
        );
    }
    println!();
    println!(
        "{}",
        t(
            lang,
            "doc = ドキュメント評価, device = 実機テスト, NA = 対象外を選べる, T/A = 技適マークの認定番号でみなし適合",
            "doc = document review, device = device test, NA = may be answered not applicable, T/A = deemed met by a 技適 T/A-mark number"
        )
    );
    Ok(ExitCode::SUCCESS)
}

fn unknown_id(cat: &Catalog, lang: Lang, id: &str) -> ExitCode {
    let first = cat.ids().next().unwrap_or("");
    let last = cat.ids().last().unwrap_or("");
    eprintln!(
        "jcstar: {} `{id}`",
        t(
            lang,
            "その ID の適合基準はありません:",
            "no criterion with id"
        )
    );
    let close = cat.suggest(id);
    if !close.is_empty() {
        eprintln!("{} {}", t(lang, "候補:", "did you mean:"), close.join(", "));
    }
    eprintln!(
        "{} {first} … {last} ({})",
        t(lang, "有効な ID:", "valid ids:"),
        cat.criteria.len()
    );
    ExitCode::from(2)
}

// `v[key] = ...` inserts keys into the JSON object serialised here.
#[allow(clippy::indexing_slicing)]
fn show(cat: &Catalog, lang: Lang, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let Some(c) = cat.find_criterion(id) else {
        return Ok(unknown_id(cat, lang, id));
    };
    if json {
        print_json(&jcstar_criteria::show::criterion_json(cat, c)?)?;
    } else {
        print!("{}", jcstar_criteria::show::criterion_text(cat, c, lang));
    }
    Ok(ExitCode::SUCCESS)
}

fn map(
    cat: &Catalog,
    lang: Lang,
    from: &str,
    provision: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let matches = cat.map_from(from, provision)?;
    let scheme = cat.scheme(from);
    if json {
        print_json(&json!({
            "scheme": scheme.map(|s| &s.id),
            "provision": provision,
            "relation": "related",
            "criteria": matches.iter().map(|m| json!({
                "id": m.criterion.id,
                "title": m.criterion.title,
                "provision": m.reference.provision,
                "listed": m.reference.listed,
            })).collect::<Vec<_>>(),
        }))?;
    } else if matches.is_empty() {
        println!(
            "{} {} `{provision}`",
            t(
                lang,
                "関係する適合基準はありません:",
                "no criterion relates to"
            ),
            scheme.map_or(from, |s| s.seed_label.as_str()),
        );
    } else {
        println!(
            "{} `{provision}` ({}):",
            scheme.map_or(from, |s| s.seed_label.as_str()),
            t(
                lang,
                "原典が関係するとする適合基準。同等を意味しない",
                "criteria the source lists as related; not a claim of equivalence"
            )
        );
        for m in &matches {
            println!(
                "  {}  {}  [{} {}]",
                m.criterion.id,
                m.criterion.title.get(lang),
                t(lang, "関係:", "related:"),
                m.reference.listed
            );
        }
    }
    Ok(if matches.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn export(
    cat: &Catalog,
    lang: Lang,
    input: Option<&Path>,
    output: &Path,
) -> anyhow::Result<ExitCode> {
    let mut text = serde_json::to_string_pretty(&cat.to_oscal(lang))?;
    text.push('\n');
    if output == Path::new("-") {
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    if input.is_some_and(|input| jcstar_checklist::output::same_file(input, output)) {
        anyhow::bail!(
            "{}",
            match lang {
                Lang::Ja => format!(
                    "出力先 {} は読み込んでいるカタログと同じです。別の出力ファイルを指定してください",
                    output.display()
                ),
                Lang::En => format!(
                    "refusing to write the export over its input catalog {}: choose another output file",
                    output.display()
                ),
            }
        );
    }
    std::fs::write(output, text).with_context(|| format!("cannot write {}", output.display()))?;
    eprintln!(
        "{} {} ({} {})",
        t(
            lang,
            "OSCAL カタログを書き出しました:",
            "wrote OSCAL catalog"
        ),
        output.display(),
        cat.criteria.len(),
        t(lang, "件の適合基準", "criteria")
    );
    Ok(ExitCode::SUCCESS)
}

fn terms(cat: &Catalog, lang: Lang, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        print_json(&cat.terms)?;
        return Ok(ExitCode::SUCCESS);
    }
    for term in &cat.terms {
        println!("{} ({})", term.name.get(lang), term.id);
        println!("    {}", term.definition.get(lang));
    }
    Ok(ExitCode::SUCCESS)
}
