//! Reports of suspected counterfeit labels: a consumer who was told that
//! a registration number was never issued (or found a label that is
//! revoked, withdrawn or expired) tells the operator where the product was
//! seen. Anyone may send a report; only the operator reads and closes them.
//!
//! Reports are not events: they are kept in their own table, out of the
//! public log, because they may carry the sender's contact. What the
//! registry said about the number when the report arrived is recorded with
//! it (see [`Finding`]), so the operator sees what the sender saw.
//!
//! Every field is checked here, in one place: the number is required (at
//! most [`MAX_NUMBER_CHARS`] characters), where the product was seen and
//! the contact are optional single lines (at most [`MAX_SEEN_AT_CHARS`] and
//! [`MAX_CONTACT_CHARS`]), the details optional text with line breaks and
//! tabs (at most [`MAX_DETAILS_CHARS`]). Anonymous senders cannot grow the
//! table without bound: once [`OPEN_REPORTS_PER_DAY`] open reports arrived
//! in the last 24 hours, further reports are refused with
//! [`Error::Saturated`] until the operator closes some or time passes.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Registry;
use crate::auth::{Action, Resource, authorize};
use crate::commands::{random_suffix, require_named};
use crate::error::{Error, Result, t};
use crate::model::{Actor, LabelStatus};
use crate::store::check_text;
use crate::verify::Outcome;

/// Longest registration number accepted in a report (as typed).
pub const MAX_NUMBER_CHARS: usize = 64;
/// Longest "where the product was seen" (a shop's name or a URL).
pub const MAX_SEEN_AT_CHARS: usize = 500;
/// Longest details text.
pub const MAX_DETAILS_CHARS: usize = 2000;
/// Longest reporter contact.
pub const MAX_CONTACT_CHARS: usize = 200;
/// Longest closing note.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Open reports received in the last 24 hours beyond which new reports are
/// refused (see [`Registry::report_counterfeit`]).
pub const OPEN_REPORTS_PER_DAY: i64 = 500;

/// A report as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCounterfeitReport {
    /// The registration number as typed (required).
    pub number: String,
    /// Where the product was seen: a shop's name or a URL.
    pub seen_at: Option<String>,
    /// What the sender wants to add (line breaks allowed).
    pub details: Option<String>,
    /// How the operator may reach the sender (optional).
    pub contact: Option<String>,
}

/// Open until the operator closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// No operator has closed the report yet.
    Open,
    /// The operator has closed the report.
    Closed,
}

impl ReportStatus {
    /// The snake_case name stored and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Open => "open",
            ReportStatus::Closed => "closed",
        }
    }
}

impl std::fmt::Display for ReportStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReportStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(ReportStatus::Open),
            "closed" => Ok(ReportStatus::Closed),
            _ => Err(format!("status {s:?}: expected open or closed")),
        }
    }
}

/// What the registry said about the reported number when the report
/// arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    /// `not_issued` (a label carrying it is counterfeit), `probable_typo`,
    /// `labeled` (see `label_status`) or `invalid_number`.
    pub outcome: Outcome,
    /// The label's status then (`labeled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_status: Option<LabelStatus>,
    /// The corrected number (`probable_typo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// A report as the operator reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CounterfeitReport {
    /// `CFR-` and 16 random characters: one id tells nothing of another.
    pub id: String,
    /// When the registry received the report.
    pub received_at: DateTime<Utc>,
    /// The number as typed.
    pub number: String,
    /// What the registry said about the number on arrival.
    pub finding: Finding,
    /// Where the product was seen: a shop's name or a URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_at: Option<String>,
    /// What the sender added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// How the operator may reach the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Open or closed.
    pub status: ReportStatus,
    /// When the operator closed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The operator's person who closed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
    /// The operator's note on closing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing_note: Option<String>,
}

/// A single line: no control characters at all.
fn check_line(field: &str, value: &str, max: usize) -> Result<()> {
    check_text(field, value, max)?;
    if value.contains(['\n', '\t']) {
        return Err(Error::invalid(
            field,
            t(
                "1行で入力してください: 制御文字（改行やタブを含む）は受け付けません",
                "a single line is expected: control characters (line breaks and tabs included) are not accepted",
            ),
        ));
    }
    Ok(())
}

/// Blank optional text is no text.
fn optional(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The report with every field checked and trimmed.
fn checked(r: NewCounterfeitReport) -> Result<NewCounterfeitReport> {
    check_line("number", &r.number, MAX_NUMBER_CHARS)?;
    if r.number.trim().is_empty() {
        return Err(Error::invalid(
            "number",
            t(
                "ラベルに印刷された登録番号を入力してください",
                "give the registration number printed on the label",
            ),
        ));
    }
    if let Some(s) = &r.seen_at {
        check_line("seen_at", s, MAX_SEEN_AT_CHARS)?;
    }
    if let Some(s) = &r.details {
        check_text("details", s, MAX_DETAILS_CHARS)?;
    }
    if let Some(s) = &r.contact {
        check_line("contact", s, MAX_CONTACT_CHARS)?;
    }
    Ok(NewCounterfeitReport {
        number: r.number.trim().to_string(),
        seen_at: optional(r.seen_at),
        details: optional(r.details),
        contact: optional(r.contact),
    })
}

pub(crate) fn new_report_id() -> Result<String> {
    Ok(format!("CFR-{}{}", random_suffix()?, random_suffix()?))
}

fn operator_only(actor: &Actor) -> Result<()> {
    authorize(actor, Action::HandleCounterfeitReports, Resource::none())?;
    Ok(())
}

impl Registry {
    /// Record a report of a suspected counterfeit label. Anyone may send
    /// one (the public included); the registry records what it says about
    /// the number now. Refused with [`Error::Saturated`] while
    /// [`OPEN_REPORTS_PER_DAY`] open reports of the last 24 hours wait.
    pub async fn report_counterfeit(
        &self,
        actor: &Actor,
        report: NewCounterfeitReport,
    ) -> Result<CounterfeitReport> {
        self.report_counterfeit_within(actor, report, OPEN_REPORTS_PER_DAY)
            .await
    }

    /// [`Registry::report_counterfeit`] with another bound on the open
    /// reports of the last 24 hours.
    pub async fn report_counterfeit_within(
        &self,
        actor: &Actor,
        report: NewCounterfeitReport,
        max_open_per_day: i64,
    ) -> Result<CounterfeitReport> {
        authorize(actor, Action::ReadPublic, Resource::none())?;
        let r = checked(report)?;
        let row = self.verify_number(&r.number, "").await?;
        let finding = Finding {
            outcome: row.outcome,
            label_status: row.label.as_ref().map(|l| l.status),
            suggestion: row.suggestion,
        };
        let now = self.now();
        let report = CounterfeitReport {
            id: new_report_id()?,
            received_at: crate::store::parse_time(&crate::store::fmt_time(now))?,
            number: r.number,
            finding,
            seen_at: r.seen_at,
            details: r.details,
            contact: r.contact,
            status: ReportStatus::Open,
            closed_at: None,
            closed_by: None,
            closing_note: None,
        };
        let since = now - chrono::Duration::hours(24);
        self.inner
            .store
            .insert_counterfeit_report(&report, since, max_open_per_day)
            .await?;
        Ok(report)
    }

    /// Reports, newest first, optionally by status (operator only; anyone
    /// else is refused whatever exists). `limit` is capped at 500.
    pub async fn counterfeit_reports(
        &self,
        actor: &Actor,
        status: Option<ReportStatus>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<CounterfeitReport>> {
        operator_only(actor)?;
        let limit = limit.clamp(1, 500) as i64;
        let offset = offset.min(i64::MAX as u64) as i64;
        self.inner
            .store
            .counterfeit_reports(status, offset, limit)
            .await
    }

    /// One report (operator only).
    pub async fn counterfeit_report(&self, actor: &Actor, id: &str) -> Result<CounterfeitReport> {
        operator_only(actor)?;
        self.inner
            .store
            .counterfeit_report(id.trim())
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "counterfeit report",
                id: id.trim().to_string(),
            })
    }

    /// Close an open report with a note saying what was done (operator
    /// only, as a named person).
    pub async fn close_counterfeit_report(
        &self,
        actor: &Actor,
        id: &str,
        note: &str,
    ) -> Result<CounterfeitReport> {
        operator_only(actor)?;
        require_named(actor)?;
        check_text("note", note, MAX_NOTE_CHARS)?;
        let note = note.trim();
        if note.is_empty() {
            return Err(Error::invalid(
                "note",
                t(
                    "報告に対して何をしたかを書いてください（メモが必要です）",
                    "say what was done about the report (a note is required)",
                ),
            ));
        }
        let id = id.trim();
        let current = self.counterfeit_report(actor, id).await?;
        if current.status == ReportStatus::Closed {
            return Err(Error::refused(
                t(
                    format!("偽造ラベルの疑いの報告 {id}"),
                    format!("counterfeit report {id}"),
                ),
                t("終了", ReportStatus::Closed.to_string()),
                t(
                    "すでに終了しています。メモは記録されたとおりに残ります",
                    "it was closed already; its note stays as written",
                ),
            ));
        }
        let by = actor.token_name.clone().unwrap_or_default();
        let closed = self
            .inner
            .store
            .close_counterfeit_report(id, self.now(), &by, note)
            .await?;
        if !closed {
            return Err(Error::refused(
                t(
                    format!("偽造ラベルの疑いの報告 {id}"),
                    format!("counterfeit report {id}"),
                ),
                t("終了", ReportStatus::Closed.to_string()),
                t(
                    "その間に他の人が終了しました",
                    "it was closed meanwhile by someone else",
                ),
            ));
        }
        self.counterfeit_report(actor, id).await
    }
}

pub(crate) fn finding_from_columns(
    outcome: &str,
    label_status: Option<&str>,
    suggestion: Option<String>,
) -> Result<Finding> {
    let outcome = Outcome::ALL
        .into_iter()
        .find(|o| o.as_str() == outcome)
        .ok_or_else(|| Error::Corrupt(format!("counterfeit report finding {outcome:?}")))?;
    let label_status = label_status
        .map(LabelStatus::from_str)
        .transpose()
        .map_err(Error::Corrupt)?;
    Ok(Finding {
        outcome,
        label_status,
        suggestion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(number: &str) -> NewCounterfeitReport {
        NewCounterfeitReport {
            number: number.into(),
            ..Default::default()
        }
    }

    #[test]
    fn fields_are_checked_in_one_place() {
        assert!(checked(r("JCS1-2026-000001-K")).is_ok());
        assert!(checked(r("  ")).is_err());
        assert!(checked(r(&"x".repeat(65))).is_err());
        assert!(checked(r("a\nb")).is_err());
        let mut x = r("n");
        x.details = Some("line\nbreak\ttab".into());
        assert!(checked(x.clone()).is_ok());
        x.details = Some("bell\u{7}".into());
        assert!(checked(x.clone()).is_err());
        x.details = Some("d".repeat(2001));
        assert!(checked(x).is_err());
        let mut y = r("n");
        y.seen_at = Some("shop\nname".into());
        assert!(checked(y.clone()).is_err());
        y.seen_at = Some("   ".into());
        assert_eq!(checked(y).unwrap().seen_at, None);
        let mut z = r("n");
        z.contact = Some("c".repeat(201));
        assert!(checked(z).is_err());
    }

    #[test]
    fn ids_are_random() {
        let a = new_report_id().unwrap();
        let b = new_report_id().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 20);
        assert!(a.starts_with("CFR-"));
    }
}
