//! The counterfeit reports' table (see [`crate::counterfeit`]). It is not
//! part of the event log: nothing here touches `events` or the chain head.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, fmt_time, parse_time};
use crate::counterfeit::{CounterfeitReport, ReportStatus, finding_from_columns};
use crate::error::{Error, Result, t};
use crate::model::Backend;

const COLUMNS: &str = "id, received_at, number, finding, label_status, suggestion, seen_at, \
     details, contact, status, closed_at, closed_by, closing_note";

fn report_from_row(r: &AnyRow) -> Result<CounterfeitReport> {
    let received: String = r.try_get(1)?;
    let finding: String = r.try_get(3)?;
    let label_status: Option<String> = r.try_get(4)?;
    let status: String = r.try_get(9)?;
    let closed_at: Option<String> = r.try_get(10)?;
    Ok(CounterfeitReport {
        id: r.try_get(0)?,
        received_at: parse_time(&received)?,
        number: r.try_get(2)?,
        finding: finding_from_columns(&finding, label_status.as_deref(), r.try_get(5)?)?,
        seen_at: r.try_get(6)?,
        details: r.try_get(7)?,
        contact: r.try_get(8)?,
        status: status.parse().map_err(Error::Corrupt)?,
        closed_at: closed_at.as_deref().map(parse_time).transpose()?,
        closed_by: r.try_get(11)?,
        closing_note: r.try_get(12)?,
    })
}

impl Store {
    /// Store a new report unless `max_open` open reports were received at
    /// or after `since`. The row goes in first and the count follows in
    /// the same transaction: on SQLite the insert takes the write lock, on
    /// PostgreSQL an advisory lock serialises the senders, so two reports
    /// arriving together cannot both slip past the bound.
    pub(crate) async fn insert_counterfeit_report(
        &self,
        report: &CounterfeitReport,
        since: DateTime<Utc>,
        max_open: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(74757002)")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO counterfeit_reports (id, received_at, number, finding, label_status, \
             suggestion, seen_at, details, contact, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open')",
        )
        .bind(report.id.clone())
        .bind(fmt_time(report.received_at))
        .bind(report.number.clone())
        .bind(report.finding.outcome.as_str().to_string())
        .bind(report.finding.label_status.map(|s| s.as_str().to_string()))
        .bind(report.finding.suggestion.clone())
        .bind(report.seen_at.clone())
        .bind(report.details.clone())
        .bind(report.contact.clone())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(
            "SELECT COUNT(*) FROM counterfeit_reports WHERE status = 'open' AND received_at >= $1",
        )
        .bind(fmt_time(since))
        .fetch_one(&mut *tx)
        .await?;
        let open: i64 = row.try_get(0)?;
        if open > max_open {
            tx.rollback().await?;
            return Err(Error::Saturated {
                message: t(
                    format!(
                        "報告の受付が上限に達しています（過去24時間に未対応の報告が {max_open} 件届いています）。\
                         しばらくしてからもう一度送ってください"
                    ),
                    format!(
                        "the report queue is full ({max_open} open reports arrived in the last 24 hours); \
                         please try again later"
                    ),
                ),
                retry_after_secs: 3600,
            });
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn counterfeit_reports(
        &self,
        status: Option<ReportStatus>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<CounterfeitReport>> {
        let rows = match status {
            Some(s) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM counterfeit_reports WHERE status = $1 \
                     ORDER BY received_at DESC, id DESC LIMIT $2 OFFSET $3"
                )))
                .bind(s.as_str().to_string())
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM counterfeit_reports \
                     ORDER BY received_at DESC, id DESC LIMIT $1 OFFSET $2"
                )))
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(report_from_row).collect()
    }

    pub(crate) async fn counterfeit_report(&self, id: &str) -> Result<Option<CounterfeitReport>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM counterfeit_reports WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(report_from_row).transpose()
    }

    /// Close an open report; false when it was not open.
    pub(crate) async fn close_counterfeit_report(
        &self,
        id: &str,
        now: DateTime<Utc>,
        by: &str,
        note: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE counterfeit_reports SET status = 'closed', closed_at = $1, closed_by = $2, \
             closing_note = $3 WHERE id = $4 AND status = 'open'",
        )
        .bind(fmt_time(now))
        .bind(by.to_string())
        .bind(note.to_string())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
