//! `jcstar registry counterfeit-reports` and `counterfeit-close`: the
//! operator's queue of suspected counterfeit labels from the shell (thin:
//! the registry checks and stores; this prints).

use std::process::ExitCode;

use jcstar_criteria::Lang;
use jcstar_registry::counterfeit::{CounterfeitReport, Finding, ReportStatus};
use jcstar_registry::verify::Outcome;
use jcstar_registry::{Actor, Registry};

use crate::cmd_registry::{emit, failed};

fn status_text(s: ReportStatus, lang: Lang) -> &'static str {
    match (s, lang) {
        (ReportStatus::Open, Lang::Ja) => "未対応",
        (ReportStatus::Closed, Lang::Ja) => "対応済み",
        (ReportStatus::Open, Lang::En) => "open",
        (ReportStatus::Closed, Lang::En) => "closed",
    }
}

fn finding_text(f: &Finding, lang: Lang) -> String {
    let mut s = f.outcome.text(lang).to_string();
    if let Some(st) = f.label_status
        && f.outcome == Outcome::Labeled
    {
        s.push_str(&format!(" ({})", st.text(lang)));
    }
    if let Some(n) = &f.suggestion {
        s.push_str(&format!(" → {n}"));
    }
    s
}

/// One report as text, in `lang`.
pub fn report_text(r: &CounterfeitReport, lang: Lang) -> String {
    let (seen, details, contact, closed) = match lang {
        Lang::Ja => ("見かけた場所", "詳細", "連絡先", "対応"),
        Lang::En => ("seen at", "details", "contact", "closed"),
    };
    let mut s = format!(
        "{} [{}] {} {}\n  {}",
        r.id,
        status_text(r.status, lang),
        r.received_at.format("%Y-%m-%d %H:%M UTC"),
        r.number,
        finding_text(&r.finding, lang)
    );
    if let Some(v) = &r.seen_at {
        s.push_str(&format!("\n  {seen}: {v}"));
    }
    if let Some(v) = &r.details {
        s.push_str(&format!("\n  {details}: {}", v.replace('\n', "\n    ")));
    }
    if let Some(v) = &r.contact {
        s.push_str(&format!("\n  {contact}: {v}"));
    }
    if let (Some(at), Some(note)) = (r.closed_at, &r.closing_note) {
        s.push_str(&format!(
            "\n  {closed}: {} {}: {}",
            at.format("%Y-%m-%d %H:%M UTC"),
            r.closed_by.as_deref().unwrap_or(""),
            note.replace('\n', "\n    ")
        ));
    }
    s
}

pub async fn list(
    reg: &Registry,
    actor: &Actor,
    status: Option<ReportStatus>,
    page: u64,
    per_page: u64,
    json: bool,
    lang: Lang,
) -> ExitCode {
    let per_page = per_page.clamp(1, 500);
    let offset = page.max(1).saturating_sub(1).saturating_mul(per_page);
    match reg
        .counterfeit_reports(actor, status, offset, per_page)
        .await
    {
        Ok(list) => emit(json, lang, &list, |list| {
            if list.is_empty() {
                return match lang {
                    Lang::Ja => "報告はありません。".to_string(),
                    Lang::En => "No reports.".to_string(),
                };
            }
            list.iter()
                .map(|r| report_text(r, lang))
                .collect::<Vec<_>>()
                .join("\n\n")
        }),
        Err(e) => failed(json, lang, e),
    }
}

pub async fn close(
    reg: &Registry,
    actor: &Actor,
    id: &str,
    note: &str,
    json: bool,
    lang: Lang,
) -> ExitCode {
    match reg.close_counterfeit_report(actor, id, note).await {
        Ok(r) => emit(json, lang, &r, |r| report_text(r, lang)),
        Err(e) => failed(json, lang, e),
    }
}
