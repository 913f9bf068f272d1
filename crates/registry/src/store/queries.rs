//! The read queries behind the public search, the counts, the export pages
//! and the application lists: SQL only, no rules (the caller decides limits
//! and derives the status as of today).

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{Store, fmt_date};
use crate::error::{Error, Result};
use crate::model::*;

/// Whose applications a list shows.
pub(crate) enum AppFilter<'a> {
    All,
    Org(&'a str),
    EvaluationBody(&'a str),
}

fn label_from_row(r: &AnyRow) -> Result<Label> {
    let data: String = r.try_get(0)?;
    serde_json::from_str(&data).map_err(|e| Error::Corrupt(format!("label: {e}")))
}

impl Store {
    /// Applications newest first, optionally of one status.
    pub(crate) async fn applications_page(
        &self,
        filter: AppFilter<'_>,
        status: Option<ApplicationStatus>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Application>> {
        let (clause, who) = match filter {
            AppFilter::All => ("1 = 1", None),
            AppFilter::Org(o) => ("org = $4", Some(o)),
            AppFilter::EvaluationBody(b) => ("evaluation_body = $4", Some(b)),
        };
        let sql = format!(
            "SELECT data FROM applications WHERE {clause} AND ($1 = '' OR status = $1) \
             ORDER BY seq DESC LIMIT $2 OFFSET $3"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(status.map(|s| s.as_str()).unwrap_or(""))
            .bind(limit)
            .bind(offset);
        if let Some(who) = who {
            q = q.bind(who.to_string());
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let data: String = r.try_get(0)?;
                serde_json::from_str(&data).map_err(|e| Error::Corrupt(format!("application: {e}")))
            })
            .collect()
    }

    /// Labels with a sequence number above `after_seq`, in registration order.
    pub(crate) async fn labels_after(&self, after_seq: i64, limit: i64) -> Result<Vec<Label>> {
        let rows = sqlx::query("SELECT data FROM labels WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(label_from_row).collect()
    }

    /// Number of labels per (level, status as of `today`), from one grouped
    /// query over the `labels_counts` index.
    pub(crate) async fn label_counts(
        &self,
        today: NaiveDate,
    ) -> Result<Vec<(Level, LabelStatus, u64)>> {
        let rows = sqlx::query(
            "SELECT level, CASE WHEN stored_status IN ('active', 'under_surveillance') \
         AND valid_until < $1 THEN 'expired' ELSE stored_status END AS status, COUNT(*) \
         FROM labels GROUP BY level, 2",
        )
        .bind(fmt_date(today))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let level: i64 = r.try_get(0)?;
                let status: String = r.try_get(1)?;
                let n: i64 = r.try_get(2)?;
                let level = u8::try_from(level)
                    .ok()
                    .and_then(Level::from_number)
                    .ok_or_else(|| Error::Corrupt(format!("labels: level {level}")))?;
                let status = status
                    .parse::<LabelStatus>()
                    .map_err(|e| Error::Corrupt(format!("labels: status: {e}")))?;
                Ok((level, status, n.max(0) as u64))
            })
            .collect()
    }

    /// The labels that events after `after_seq` were about (at most
    /// `limit` of them): what a reader's copy must reload to catch up.
    pub(crate) async fn labels_touched_since(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT label_number FROM events \
             WHERE seq > $1 AND label_number IS NOT NULL LIMIT $2",
        )
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>(0)?))
            .collect()
    }
}

impl Store {
    /// The labels with these numbers (missing ones are left out), in chunks
    /// of a few hundred numbers per query.
    pub(crate) async fn labels_by_numbers(&self, numbers: &[String]) -> Result<Vec<Label>> {
        let mut out = Vec::with_capacity(numbers.len());
        for chunk in numbers.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT data FROM labels WHERE number IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for n in chunk {
                q = q.bind(n.clone());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(label_from_row(&r)?);
            }
        }
        Ok(out)
    }
}
