//! The read queries behind the public search, the counts, the export pages
//! and the application lists: SQL only, no rules (the caller decides limits
//! and derives the status as of today).

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{Store, fmt_date, norm};
use crate::error::{Error, Result};
use crate::model::*;
use crate::number::parse_registration_number;

pub(super) fn like_pattern(s: &str) -> String {
    let mut out = String::from("%");
    for c in norm(s).chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A double-quoted FTS5 string: the trigram tokenizer turns it into a phrase
/// of trigrams, which matches exactly where the text is a substring.
fn fts_phrase(column: &str, text: &str) -> String {
    format!("{column} : \"{}\"", text.replace('"', "\"\""))
}

/// The trigram index only knows strings of three characters or more.
const TRIGRAM: usize = 3;

/// A text criterion of one or two characters has no index to use: it is
/// looked for among the newest this many labels only, so its cost stays
/// bounded however large the registry grows (three or more characters
/// search every label).
pub const SHORT_TEXT_WINDOW: i64 = 10_000;

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

    /// Labels matching `q` in registration order: `limit` + 1 rows from
    /// `offset` (the extra row tells the caller a next page exists). Status
    /// criteria are as of `today`.
    pub(crate) async fn search_labels(
        &self,
        q: &SearchQuery,
        today: NaiveDate,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Label>> {
        let today = fmt_date(today);
        let sqlite = self.backend() == Backend::Sqlite;
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let mut bind = |v: String| {
            binds.push(v);
            format!("${}", binds.len())
        };
        let text_filters = [
            ("search_norm", &q.text),
            ("company_norm", &q.company),
            ("product_norm", &q.product),
            ("model_norm", &q.model),
        ];
        // SQLite: texts of 3+ characters go to the FTS5 trigram index, which
        // then drives the query in registration order (so a page stops after its
        // rows). PostgreSQL: LIKE, served by the pg_trgm GIN indexes. Shorter
        // texts have no trigram: they filter the rows the rest of the query
        // yields, in registration order, stopping once the page is full.
        let mut fts: Vec<String> = Vec::new();
        let mut short_text = false;
        for (col, val) in text_filters {
            if let Some(v) = val.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                let n = norm(v);
                if sqlite && n.chars().count() >= TRIGRAM {
                    fts.push(fts_phrase(col, &n));
                } else {
                    short_text |= n.chars().count() < TRIGRAM;
                    let p = bind(like_pattern(v));
                    clauses.push(format!("labels.{col} LIKE {p} ESCAPE '\\'"));
                }
            }
        }
        if short_text {
            clauses.push(format!(
                "labels.seq > (SELECT COALESCE(MAX(seq), 0) FROM labels) - {SHORT_TEXT_WINDOW}"
            ));
        }
        let fts_match = (!fts.is_empty()).then(|| bind(fts.join(" AND ")));
        if let Some(n) = q.number.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            if let Ok(full) = parse_registration_number(n) {
                // A complete number is an exact match on the primary key.
                let p = bind(full.to_string());
                clauses.push(format!("labels.number = {p}"));
            } else if sqlite {
                // GLOB is case-sensitive, so SQLite serves a constant prefix
                // from the primary-key index (LIKE could not: it folds case).
                let mut prefix = String::new();
                for c in n.to_ascii_uppercase().chars() {
                    if matches!(c, '*' | '?' | '[' | ']') {
                        prefix.push('[');
                        prefix.push(c);
                        prefix.push(']');
                    } else {
                        prefix.push(c);
                    }
                }
                prefix.push('*');
                let p = bind(prefix);
                clauses.push(format!("labels.number GLOB {p}"));
            } else {
                let mut prefix = String::new();
                for c in n.to_ascii_uppercase().chars() {
                    if matches!(c, '%' | '_' | '\\') {
                        prefix.push('\\');
                    }
                    prefix.push(c);
                }
                prefix.push('%');
                let p = bind(prefix);
                clauses.push(format!("labels.number LIKE {p} ESCAPE '\\'"));
            }
        }
        if let Some(level) = q.level {
            let p = bind(level.number().to_string());
            clauses.push(format!("labels.level = CAST({p} AS BIGINT)"));
        }
        if let Some(status) = q.status {
            match status {
                LabelStatus::Active | LabelStatus::UnderSurveillance => {
                    let s = bind(status.as_str().to_string());
                    let d = bind(today.clone());
                    clauses.push(format!(
                        "labels.stored_status = {s} AND labels.valid_until >= {d}"
                    ));
                }
                LabelStatus::Expired => {
                    let d = bind(today.clone());
                    clauses.push(format!(
                    "labels.stored_status IN ('active', 'under_surveillance') AND labels.valid_until < {d}"
                ));
                }
                LabelStatus::Withdrawn | LabelStatus::Revoked => {
                    let s = bind(status.as_str().to_string());
                    clauses.push(format!("labels.stored_status = {s}"));
                }
            }
        }
        let filter = if clauses.is_empty() {
            "1 = 1".to_string()
        } else {
            clauses.join(" AND ")
        };
        let sql = match fts_match {
            Some(m) => format!(
                // CROSS JOIN fixes SQLite's loop order: the index must drive (in
                // rowid order, stopping at the page end); with `labels` outside,
                // each of its rows would re-run the MATCH (seconds).
                "SELECT labels.data FROM labels_fts CROSS JOIN labels ON labels.seq = labels_fts.rowid \
             WHERE labels_fts MATCH {m} AND {filter} ORDER BY labels_fts.rowid LIMIT {} OFFSET {}",
                limit + 1,
                offset
            ),
            None => format!(
                "SELECT labels.data FROM labels WHERE {filter} ORDER BY labels.seq LIMIT {} OFFSET {}",
                limit + 1,
                offset
            ),
        };
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for b in binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(label_from_row).collect()
    }
}

impl Store {
    /// Every label's number with its model numbers as stored for search
    /// (lower case, one a line): one query, no JSON decoding. The bulk
    /// verification normalises these in memory.
    pub(crate) async fn label_models(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT number, model_norm FROM labels")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
            .collect()
    }

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
