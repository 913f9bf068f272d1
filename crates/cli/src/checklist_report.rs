//! The terminal report of `checklist validate`: one line per criterion with
//! its answer, then the problems with their place (cell, for a workbook) and
//! what to change, then whether the checklist supports an application.

use std::io::Write;
use std::path::Path;

use jcstar_checklist::xlsx::WorkbookMap;
use jcstar_checklist::{Checklist, Outcome, Report, Severity};
use jcstar_criteria::{Catalog, Lang};
use owo_colors::OwoColorize;

use crate::text::display_width;

fn outcome_label(lang: Lang, o: Outcome) -> &'static str {
    match lang {
        Lang::Ja => o.label_ja(),
        Lang::En => o.label_en(),
    }
}

pub fn print(
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
