//! Storage: one connection pool (SQLite or PostgreSQL through `sqlx::any`),
//! migrations, the append path and the raw reads. SQL here is written once
//! for both backends (`$n` parameters work in both).

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor, Row, Transaction};

use crate::chain::{self, EventFields};
use crate::error::{Error, Result, t};
use crate::model::*;

mod counterfeit;
mod queries;
pub(crate) use queries::AppFilter;

const SQLITE_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/sqlite/0002_search_index.sql"),
    ),
    (
        3,
        include_str!("../../migrations/sqlite/0003_token_expiry.sql"),
    ),
    (
        10,
        include_str!("../../migrations/sqlite/0010_chain_checkpoint.sql"),
    ),
    (
        11,
        include_str!("../../migrations/sqlite/0011_counterfeit_reports.sql"),
    ),
    (
        12,
        include_str!("../../migrations/sqlite/0012_drop_database_search_index.sql"),
    ),
    (
        13,
        include_str!("../../migrations/sqlite/0013_documents.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/postgres/0002_search_index.sql"),
    ),
    (
        3,
        include_str!("../../migrations/postgres/0003_token_expiry.sql"),
    ),
    (
        10,
        include_str!("../../migrations/postgres/0010_chain_checkpoint.sql"),
    ),
    (
        11,
        include_str!("../../migrations/postgres/0011_counterfeit_reports.sql"),
    ),
    (
        12,
        include_str!("../../migrations/postgres/0012_drop_database_search_index.sql"),
    ),
    (
        13,
        include_str!("../../migrations/postgres/0013_documents.sql"),
    ),
];

pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Corrupt(format!("time {s:?}: {e}")))
}

pub(crate) fn fmt_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Bumped after every committed write through this process, so readers
    /// that cache derived data can tell cheaply whether it may be stale.
    generation: Arc<AtomicU64>,
}

/// Turn `sqlite://path` into options that create the file (and its directory).
fn sqlite_url(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if path.is_empty() || path == ":memory:" {
        return Err(Error::Open {
            url: url.to_string(),
            message: "an in-memory database would lose every event; give a file path such as sqlite://./jcstar-data/registry.sqlite".into(),
        });
    }
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| Error::Open {
            url: url.to_string(),
            message: format!("cannot create directory {}: {e}", dir.display()),
        })?;
    }
    let query = match query {
        Some(q) if q.contains("mode=") => q.to_string(),
        Some(q) => format!("{q}&mode=rwc"),
        None => "mode=rwc".to_string(),
    };
    Ok(format!("sqlite://{path}?{query}"))
}

impl Store {
    pub(crate) async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, conn_url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url(url)?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(Error::Open {
                url: url.to_string(),
                message: "expected sqlite://PATH or postgres://USER@HOST:PORT/DB".into(),
            });
        };
        let opts = AnyConnectOptions::from_str(&conn_url).map_err(|e| Error::Open {
            url: url.to_string(),
            message: e.to_string(),
        })?;
        let pool_opts = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; FULL syncs
                            // the WAL on every commit so an acknowledged event
                            // survives a power cut or SIGKILL.
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
                             PRAGMA busy_timeout=60000; PRAGMA foreign_keys=ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
            }
            Backend::Postgres => AnyPoolOptions::new().max_connections(10),
        };
        let pool = pool_opts
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts)
            .await
            .map_err(|e| Error::Open {
                url: url.to_string(),
                message: e.to_string(),
            })?;
        let store = Store {
            pool,
            backend,
            generation: Arc::new(AtomicU64::new(0)),
        };
        store.migrate().await?;
        Ok(store)
    }

    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await
    }

    async fn migrate(&self) -> Result<()> {
        let scripts = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let mut tx = self.begin().await?;
        if self.backend == Backend::Postgres {
            // Two nodes starting at once must not both create the tables.
            sqlx::query("SELECT pg_advisory_xact_lock(74757001)")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<_, _>>()?;
        for (version, sql) in scripts {
            if applied.contains(version) {
                continue;
            }
            sqlx::raw_sql(AssertSqlSafe(*sql)).execute(&mut *tx).await?;
            if *version == 3 {
                // Tokens made before expiry existed get the default lifetime
                // counted from the upgrade, so no deployment is locked out
                // at once and none keeps a token forever.
                let until = Utc::now() + chrono::Duration::days(i64::from(TOKEN_DEFAULT_DAYS));
                sqlx::query("UPDATE tokens SET expires_at = $1 WHERE expires_at IS NULL")
                    .bind(fmt_time(until))
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(fmt_time(Utc::now()))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn begin(&self) -> Result<Transaction<'static, Any>> {
        Ok(self.pool.begin().await?)
    }

    /// See `generation` on [`Store`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(crate) fn bump_generation(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Sequence number and hash of the newest event.
    pub(crate) async fn head(&self) -> Result<(i64, String)> {
        let row = sqlx::query("SELECT seq, hash FROM chain_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// Start a write: the first statement writes the chain head row, which
    /// takes SQLite's write lock (waiting on busy_timeout instead of failing
    /// on a lock upgrade) and PostgreSQL's row lock, so appends are serial.
    pub(crate) async fn write(&self) -> Result<WriteTx> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE chain_head SET touch = touch + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query("SELECT seq, hash FROM chain_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        Ok(WriteTx {
            tx,
            generation: self.generation.clone(),
            head_seq: row.try_get(0)?,
            head_hash: row.try_get(1)?,
            buffering: false,
            pending_events: Vec::new(),
            pending_apps: Vec::new(),
            pending_labels: Vec::new(),
        })
    }

    // ---- tokens -------------------------------------------------------------

    pub(crate) async fn create_token(
        &self,
        now: DateTime<Utc>,
        role: Role,
        org: &str,
        name: &str,
        valid_days: u32,
    ) -> Result<NewToken> {
        let org = org.trim();
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid(
                "name",
                t(
                    "API トークンは組織の特定の人に発行します: その人の氏名を指定してください",
                    "a token belongs to a named person of its organisation: give the person's name",
                ),
            ));
        }
        if valid_days == 0 || valid_days > TOKEN_MAX_DAYS {
            return Err(Error::invalid(
                "valid_days",
                t(
                    format!(
                        "API トークンの有効期間は 1〜{TOKEN_MAX_DAYS} 日です（既定 {TOKEN_DEFAULT_DAYS} 日）"
                    ),
                    format!(
                        "a token lives from 1 to {TOKEN_MAX_DAYS} days (default {TOKEN_DEFAULT_DAYS})"
                    ),
                ),
            ));
        }
        let expires_at = now + chrono::Duration::days(i64::from(valid_days));
        if role == Role::Public {
            return Err(Error::invalid(
                "role",
                t(
                    "一般の閲覧にトークンは不要です。vendor、evaluation-body、operator のいずれかを選んでください",
                    "public access needs no token; choose vendor, evaluation-body or operator",
                ),
            ));
        }
        if org.is_empty() && role != Role::Operator {
            return Err(Error::invalid(
                "org",
                t(
                    format!("{role} のトークンには組織名が必要です"),
                    format!("a {role} token must name its organisation"),
                ),
            ));
        }
        check_text("org", org, 200)?;
        check_text("name", name, 200)?;
        let mut id = [0u8; 6];
        let mut secret = [0u8; 24];
        getrandom::fill(&mut id).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        getrandom::fill(&mut secret)
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        let id = hex::encode(id);
        let plaintext = format!("jcs_{id}_{}", hex::encode(secret));
        sqlx::query(
            "INSERT INTO tokens (id, hash, role, org, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.clone())
        .bind(chain::sha256_hex(plaintext.as_bytes()))
        .bind(role.as_str())
        .bind(org.to_string())
        .bind(name.to_string())
        .bind(fmt_time(now))
        .bind(fmt_time(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(NewToken {
            id,
            plaintext,
            role,
            org: org.to_string(),
            name: name.to_string(),
            expires_at,
        })
    }

    pub(crate) async fn authenticate(&self, now: DateTime<Utc>, token: &str) -> Result<Actor> {
        let token = token.trim();
        if !token.starts_with("jcs_") || token.len() > 200 {
            return Err(Error::Unauthenticated);
        }
        let row = sqlx::query(
            "SELECT id, role, org, name FROM tokens WHERE hash = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(chain::sha256_hex(token.as_bytes()))
        .bind(fmt_time(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Err(Error::Unauthenticated);
        };
        let role: String = row.try_get(1)?;
        Ok(Actor {
            role: Role::from_str(&role).map_err(Error::Corrupt)?,
            org: row.try_get(2)?,
            token_id: Some(row.try_get(0)?),
            token_name: Some(row.try_get(3)?),
        })
    }

    pub(crate) async fn revoke_token(&self, now: DateTime<Utc>, id: &str) -> Result<TokenInfo> {
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(fmt_time(now))
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        self.list_tokens()
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| Error::NotFound {
                what: "token",
                id: id.to_string(),
            })
    }

    pub(crate) async fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT id, role, org, name, created_at, revoked_at, expires_at FROM tokens ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get(1)?;
                let created: String = r.try_get(4)?;
                let revoked: Option<String> = r.try_get(5)?;
                let expires: Option<String> = r.try_get(6)?;
                let expires = expires
                    .ok_or_else(|| Error::Corrupt("tokens: a token without an expiry".into()))?;
                Ok(TokenInfo {
                    id: r.try_get(0)?,
                    role: Role::from_str(&role).map_err(Error::Corrupt)?,
                    org: r.try_get(2)?,
                    name: r.try_get(3)?,
                    created_at: parse_time(&created)?,
                    revoked_at: revoked.as_deref().map(parse_time).transpose()?,
                    expires_at: parse_time(&expires)?,
                })
            })
            .collect()
    }

    // ---- reads --------------------------------------------------------------

    pub(crate) async fn load_application(&self, id: &str) -> Result<Option<Application>> {
        load_application(&self.pool, id).await
    }

    pub(crate) async fn load_label(&self, number: &str) -> Result<Option<Label>> {
        load_label(&self.pool, number).await
    }

    /// The newest `limit` events of `kind`, newest first.
    pub(crate) async fn events_of_kind(&self, kind: EventKind, limit: i64) -> Result<Vec<Event>> {
        let rows = sqlx::query("SELECT * FROM events WHERE kind = $1 ORDER BY seq DESC LIMIT $2")
            .bind(kind.as_str().to_string())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// A kept document's body by its digest.
    pub(crate) async fn document(&self, sha256: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT body FROM documents WHERE sha256 = $1")
            .bind(sha256.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get::<String, _>("body")?),
            None => None,
        })
    }

    pub(crate) async fn events_where(
        &self,
        column: EventColumn,
        value: &str,
    ) -> Result<Vec<Event>> {
        let sql = match column {
            EventColumn::Label => "SELECT * FROM events WHERE label_number = $1 ORDER BY seq",
        };
        let rows = sqlx::query(sql)
            .bind(value.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    pub(crate) async fn events_page(
        &self,
        labels_only: bool,
        after_seq: i64,
        since: Option<DateTime<Utc>>,
        limit: i64,
        filter: &FeedFilter,
        today: NaiveDate,
    ) -> Result<Vec<Event>> {
        let since = since.map(fmt_time).unwrap_or_default();
        if filter.is_empty() {
            let sql = match labels_only {
                true => {
                    "SELECT * FROM events WHERE seq > $1 AND at >= $2 AND label_number IS NOT NULL ORDER BY seq LIMIT $3"
                }
                false => "SELECT * FROM events WHERE seq > $1 AND at >= $2 ORDER BY seq LIMIT $3",
            };
            let rows = sqlx::query(sql)
                .bind(after_seq)
                .bind(since)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
            return rows.iter().map(event_from_row).collect();
        }
        // Label criteria: the event's label as it stands now, joined on its
        // primary key; the events index drives, in log order.
        let mut clauses = vec!["events.seq > $1".to_string(), "events.at >= $2".to_string()];
        let mut binds: Vec<String> = Vec::new();
        let mut bind = |v: String| {
            binds.push(v);
            format!("${}", binds.len() + 3)
        };
        if let Some(level) = filter.level {
            let p = bind(level.number().to_string());
            clauses.push(format!("labels.level = CAST({p} AS BIGINT)"));
        }
        if let Some(status) = filter.status {
            let d = fmt_date(today);
            match status {
                LabelStatus::Active | LabelStatus::UnderSurveillance => {
                    let s = bind(status.as_str().to_string());
                    let d = bind(d);
                    clauses.push(format!(
                        "labels.stored_status = {s} AND labels.valid_until >= {d}"
                    ));
                }
                LabelStatus::Expired => {
                    let d = bind(d);
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
        let sql = format!(
            "SELECT events.* FROM events JOIN labels ON labels.number = events.label_number \
             WHERE {} ORDER BY events.seq LIMIT $3",
            clauses.join(" AND ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(after_seq)
            .bind(since)
            .bind(limit);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(event_from_row).collect()
    }

    pub(crate) async fn verify_chain(&self) -> Result<ChainReport> {
        let mut expected_seq = 1i64;
        let mut prev = chain::GENESIS.to_string();
        let mut first_broken = None;
        'pages: loop {
            let rows = sqlx::query("SELECT * FROM events WHERE seq >= $1 ORDER BY seq LIMIT 2000")
                .bind(expected_seq)
                .fetch_all(&self.pool)
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let raw = RawEvent::from_row(row)?;
                let problem = if raw.seq != expected_seq {
                    Some(format!(
                        "expected event {expected_seq} next but found {} (events missing)",
                        raw.seq
                    ))
                } else if raw.prev_hash != prev {
                    Some(format!(
                        "prev_hash {} does not match the hash {} of event {}",
                        raw.prev_hash,
                        prev,
                        expected_seq - 1
                    ))
                } else {
                    let h = chain::event_hash(&raw.fields());
                    (h != raw.hash).then(|| {
                        format!(
                            "stored hash {} but the event's content hashes to {h}: the event was altered",
                            raw.hash
                        )
                    })
                };
                if let Some(problem) = problem {
                    first_broken = Some(BrokenLink {
                        seq: raw.seq,
                        problem,
                    });
                    break 'pages;
                }
                prev = raw.hash;
                expected_seq += 1;
            }
        }
        let events = expected_seq - 1;
        if first_broken.is_none() {
            let (head_seq, head_hash) = self.head().await?;
            if head_seq != events || head_hash != prev {
                first_broken = Some(BrokenLink {
                    seq: head_seq,
                    problem: format!(
                        "the chain head records event {head_seq} ({head_hash}) but the log ends at {events} ({prev}): events were removed"
                    ),
                });
            }
        }
        Ok(ChainReport {
            events,
            head_hash: prev,
            first_broken,
        })
    }

    pub(crate) async fn state_snapshot(&self) -> Result<serde_json::Value> {
        let apps = sqlx::query(
            "SELECT id, seq, org, evaluation_body, status, level, data FROM applications ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        let labels = sqlx::query(
            "SELECT number, seq, application_id, org, level, stored_status, issued_on, valid_until, \
             company_norm, product_norm, model_norm, search_norm, data FROM labels ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        let apps: Vec<serde_json::Value> = apps
            .iter()
            .map(|r| -> Result<serde_json::Value> {
                Ok(serde_json::json!([
                    r.try_get::<String, _>(0)?,
                    r.try_get::<i64, _>(1)?,
                    r.try_get::<String, _>(2)?,
                    r.try_get::<Option<String>, _>(3)?,
                    r.try_get::<String, _>(4)?,
                    r.try_get::<i64, _>(5)?,
                    r.try_get::<String, _>(6)?,
                ]))
            })
            .collect::<Result<_>>()?;
        let labels: Vec<serde_json::Value> = labels
            .iter()
            .map(|r| -> Result<serde_json::Value> {
                let mut v = vec![serde_json::json!(r.try_get::<String, _>(0)?)];
                v.push(serde_json::json!(r.try_get::<i64, _>(1)?));
                for i in 2..4 {
                    v.push(serde_json::json!(r.try_get::<String, _>(i)?));
                }
                v.push(serde_json::json!(r.try_get::<i64, _>(4)?));
                for i in 5..13 {
                    v.push(serde_json::json!(r.try_get::<String, _>(i)?));
                }
                Ok(serde_json::Value::Array(v))
            })
            .collect::<Result<_>>()?;
        Ok(serde_json::json!({ "applications": apps, "labels": labels }))
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum EventColumn {
    Label,
}

pub(crate) fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(Error::invalid(
            field,
            t(
                format!("{max} 文字までしか受け付けません"),
                format!("at most {max} characters are accepted"),
            ),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::invalid(
            field,
            t(
                "制御文字は受け付けません（改行とタブは受け付けます）",
                "control characters are not accepted (line breaks and tabs are)",
            ),
        ));
    }
    Ok(())
}

/// An event row as stored.
struct RawEvent {
    seq: i64,
    at: String,
    actor_role: String,
    actor_org: String,
    token_id: Option<String>,
    token_name: Option<String>,
    kind: String,
    application_id: Option<String>,
    label_number: Option<String>,
    reason: Option<String>,
    payload: String,
    prev_hash: String,
    hash: String,
}

impl RawEvent {
    fn from_row(r: &AnyRow) -> Result<RawEvent> {
        Ok(RawEvent {
            seq: r.try_get("seq")?,
            at: r.try_get("at")?,
            actor_role: r.try_get("actor_role")?,
            actor_org: r.try_get("actor_org")?,
            token_id: r.try_get("token_id")?,
            token_name: r.try_get("token_name")?,
            kind: r.try_get("kind")?,
            application_id: r.try_get("application_id")?,
            label_number: r.try_get("label_number")?,
            reason: r.try_get("reason")?,
            payload: r.try_get("payload")?,
            prev_hash: r.try_get("prev_hash")?,
            hash: r.try_get("hash")?,
        })
    }

    fn fields(&self) -> EventFields<'_> {
        EventFields {
            seq: self.seq,
            at: &self.at,
            actor_role: &self.actor_role,
            actor_org: &self.actor_org,
            token_id: self.token_id.as_deref(),
            token_name: self.token_name.as_deref(),
            kind: &self.kind,
            application_id: self.application_id.as_deref(),
            label_number: self.label_number.as_deref(),
            reason: self.reason.as_deref(),
            payload: &self.payload,
            prev_hash: &self.prev_hash,
        }
    }

    fn into_event(self) -> Result<Event> {
        Ok(Event {
            seq: self.seq,
            at: parse_time(&self.at)?,
            actor: Actor {
                role: Role::from_str(&self.actor_role).map_err(Error::Corrupt)?,
                org: self.actor_org,
                token_id: self.token_id,
                token_name: self.token_name,
            },
            kind: EventKind::parse(&self.kind).ok_or_else(|| {
                Error::Corrupt(format!("event {}: unknown kind {:?}", self.seq, self.kind))
            })?,
            application_id: self.application_id,
            label_number: self.label_number,
            reason: self.reason,
            payload: serde_json::from_str(&self.payload)
                .map_err(|e| Error::Corrupt(format!("event {}: payload: {e}", self.seq)))?,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

pub(crate) fn event_from_row(r: &AnyRow) -> Result<Event> {
    RawEvent::from_row(r)?.into_event()
}

async fn load_application<'e, E>(ex: E, id: &str) -> Result<Option<Application>>
where
    E: Executor<'e, Database = Any>,
{
    let row = sqlx::query("SELECT data FROM applications WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(ex)
        .await?;
    row.map(|r| {
        let data: String = r.try_get(0)?;
        serde_json::from_str(&data).map_err(|e| Error::Corrupt(format!("application {id}: {e}")))
    })
    .transpose()
}

async fn load_label<'e, E>(ex: E, number: &str) -> Result<Option<Label>>
where
    E: Executor<'e, Database = Any>,
{
    let row = sqlx::query("SELECT data FROM labels WHERE number = $1")
        .bind(number.to_string())
        .fetch_optional(ex)
        .await?;
    row.map(|r| {
        let data: String = r.try_get(0)?;
        serde_json::from_str(&data).map_err(|e| Error::Corrupt(format!("label {number}: {e}")))
    })
    .transpose()
}

/// A materialised row as comparable text, one entry per column.
pub(crate) type RowText = Vec<(String, String)>;

fn row_text(columns: &str, vals: Vec<Val>) -> RowText {
    columns
        .split(',')
        .map(|c| c.trim().to_string())
        .zip(vals.into_iter().map(|v| match v {
            Val::I(i) => i.to_string(),
            Val::S(s) => s,
            Val::O(o) => o.unwrap_or_else(|| "NULL".to_string()),
        }))
        .collect()
}

/// The row `save_application` writes for `app`.
pub(crate) fn expected_application_row(app: &Application) -> Result<RowText> {
    Ok(row_text(APP_COLUMNS, application_row(app)?))
}

/// The row `save_label` writes for `label`.
pub(crate) fn expected_label_row(label: &Label) -> Result<RowText> {
    Ok(row_text(LABEL_COLUMNS, label_row(label)?))
}

impl Store {
    /// Every stored row of `applications` or `labels`, by key, as text.
    pub(crate) async fn stored_rows(
        &self,
        table: StateTable,
    ) -> Result<std::collections::BTreeMap<String, RowText>> {
        let (columns, ints): (&str, &[usize]) = match table {
            StateTable::Applications => (APP_COLUMNS, &[1, 5]),
            StateTable::Labels => (LABEL_COLUMNS, &[1, 4]),
        };
        let names: Vec<String> = columns.split(',').map(|c| c.trim().to_string()).collect();
        let sql = format!("SELECT {columns} FROM {} ORDER BY seq", table.name());
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        let mut out = std::collections::BTreeMap::new();
        for r in &rows {
            let mut text = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                let v = if ints.contains(&i) {
                    r.try_get::<i64, _>(i)?.to_string()
                } else {
                    r.try_get::<Option<String>, _>(i)?
                        .unwrap_or_else(|| "NULL".to_string())
                };
                text.push((name.clone(), v));
            }
            let key = text.first().map(|(_, v)| v.clone()).unwrap_or_default();
            out.insert(key, text);
        }
        Ok(out)
    }

    /// Events after `after_seq`, oldest first (replay outside a write).
    pub(crate) async fn events_after(&self, after_seq: i64, limit: i64) -> Result<Vec<Event>> {
        let rows = sqlx::query("SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_from_row).collect()
    }
}

/// The materialised tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateTable {
    Applications,
    Labels,
}

impl StateTable {
    pub(crate) fn name(self) -> &'static str {
        match self {
            StateTable::Applications => "applications",
            StateTable::Labels => "labels",
        }
    }
}

/// Lower-cased text for substring search.
pub(crate) fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A write transaction positioned at the chain head.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    generation: Arc<AtomicU64>,
    head_seq: i64,
    head_hash: String,
    /// Bulk mode: rows are collected and written with multi-row INSERTs at
    /// `flush`/`commit` (one round trip per chunk instead of per row).
    buffering: bool,
    pending_events: Vec<Vec<Val>>,
    pending_apps: Vec<Vec<Val>>,
    pending_labels: Vec<Vec<Val>>,
}

/// A bound value of a generated INSERT.
pub(crate) enum Val {
    I(i64),
    S(String),
    O(Option<String>),
}

const EVENT_COLUMNS: &str = "seq, at, actor_role, actor_org, token_id, token_name, kind, \
    application_id, label_number, reason, payload, prev_hash, hash";
const APP_COLUMNS: &str = "id, seq, org, evaluation_body, status, level, data";
const LABEL_COLUMNS: &str = "number, seq, application_id, org, level, stored_status, issued_on, \
    valid_until, company_norm, product_norm, model_norm, search_norm, data";

/// Insert `rows` into `table` with as few statements as the parameter
/// limits allow.
async fn insert_rows(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    columns: &str,
    rows: Vec<Vec<Val>>,
) -> Result<()> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    // sqlx looks each parameter up by name, which SQLite does by a linear
    // scan: modest chunks keep that from growing quadratically.
    let per_chunk = (240 / width).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per_chunk).collect();
        let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            for v in row {
                q = match v {
                    Val::I(i) => q.bind(i),
                    Val::S(s) => q.bind(s),
                    Val::O(o) => q.bind(o),
                };
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

fn application_row(app: &Application) -> Result<Vec<Val>> {
    let seq: i64 = crate::commands::application_seq(&app.id)
        .ok_or_else(|| Error::Corrupt(format!("application id {}", app.id)))?;
    let data = serde_json::to_string(app).map_err(|e| Error::Corrupt(e.to_string()))?;
    Ok(vec![
        Val::S(app.id.clone()),
        Val::I(seq),
        Val::S(app.org.clone()),
        Val::O(app.evaluation_body.clone()),
        Val::S(app.status.as_str().to_string()),
        Val::I(i64::from(app.level.number())),
        Val::S(data),
    ])
}

fn label_row(label: &Label) -> Result<Vec<Val>> {
    let seq = crate::number::parse_registration_number(&label.number)?.sequence() as i64;
    let data = serde_json::to_string(label).map_err(|e| Error::Corrupt(e.to_string()))?;
    let company = norm(&label.applicant.company);
    let products = label
        .products
        .iter()
        .map(|p| norm(&p.name))
        .collect::<Vec<_>>()
        .join("\n");
    let models = label
        .products
        .iter()
        .flat_map(|p| p.model_numbers.iter().map(|m| norm(m)))
        .collect::<Vec<_>>()
        .join("\n");
    let search = format!(
        "{}\n{company}\n{products}\n{models}",
        label.number.to_lowercase()
    );
    Ok(vec![
        Val::S(label.number.clone()),
        Val::I(seq),
        Val::S(label.application_id.clone()),
        Val::S(label.org.clone()),
        Val::I(i64::from(label.level.number())),
        Val::S(label.status.as_str().to_string()),
        Val::S(fmt_date(label.issued_on)),
        Val::S(fmt_date(label.valid_until)),
        Val::S(company),
        Val::S(products),
        Val::S(models),
        Val::S(search),
        Val::S(data),
    ])
}

/// An event about to be appended.
pub(crate) struct NewEvent<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a Actor,
    pub kind: EventKind,
    pub application_id: Option<&'a str>,
    pub label_number: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub payload: serde_json::Value,
}

impl WriteTx {
    pub(crate) async fn append(&mut self, ev: NewEvent<'_>) -> Result<Event> {
        let seq = self.head_seq + 1;
        let at = fmt_time(ev.at);
        let payload = serde_json::to_string(&ev.payload)
            .map_err(|e| Error::Corrupt(format!("payload: {e}")))?;
        let fields = EventFields {
            seq,
            at: &at,
            actor_role: ev.actor.role.as_str(),
            actor_org: &ev.actor.org,
            token_id: ev.actor.token_id.as_deref(),
            token_name: ev.actor.token_name.as_deref(),
            kind: ev.kind.as_str(),
            application_id: ev.application_id,
            label_number: ev.label_number,
            reason: ev.reason,
            payload: &payload,
            prev_hash: &self.head_hash,
        };
        let hash = chain::event_hash(&fields);
        let row = vec![
            Val::I(seq),
            Val::S(at),
            Val::S(ev.actor.role.as_str().to_string()),
            Val::S(ev.actor.org.clone()),
            Val::O(ev.actor.token_id.clone()),
            Val::O(ev.actor.token_name.clone()),
            Val::S(ev.kind.as_str().to_string()),
            Val::O(ev.application_id.map(str::to_string)),
            Val::O(ev.label_number.map(str::to_string)),
            Val::O(ev.reason.map(str::to_string)),
            Val::S(payload),
            Val::S(self.head_hash.clone()),
            Val::S(hash.clone()),
        ];
        if self.buffering {
            self.pending_events.push(row);
        } else {
            insert_rows(&mut self.tx, "events", EVENT_COLUMNS, vec![row]).await?;
        }
        let event = Event {
            seq,
            at: parse_time(&fmt_time(ev.at))?,
            actor: ev.actor.clone(),
            kind: ev.kind,
            application_id: ev.application_id.map(str::to_string),
            label_number: ev.label_number.map(str::to_string),
            reason: ev.reason.map(str::to_string),
            payload: ev.payload,
            prev_hash: std::mem::replace(&mut self.head_hash, hash.clone()),
            hash,
        };
        self.head_seq = seq;
        Ok(event)
    }

    /// Applications of `org` submitted at or after `since`, and how many of
    /// them failed the format check (quotas).
    pub(crate) async fn submissions_since(
        &mut self,
        org: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64)> {
        let rows = sqlx::query(
            "SELECT kind, COUNT(*) FROM events WHERE at >= $1 \
             AND kind IN ('application_submitted', 'format_check_failed') \
             AND application_id IN (SELECT id FROM applications WHERE org = $2) GROUP BY kind",
        )
        .bind(fmt_time(since))
        .bind(org.to_string())
        .fetch_all(&mut *self.tx)
        .await?;
        let mut submitted = 0;
        let mut refused = 0;
        for r in &rows {
            let kind: String = r.try_get(0)?;
            let n: i64 = r.try_get(1)?;
            match kind.as_str() {
                "application_submitted" => submitted = n,
                _ => refused = n,
            }
        }
        Ok((submitted, refused))
    }

    /// Next value of a counter (`application` or `label`).
    pub(crate) async fn next_counter(&mut self, name: &str) -> Result<i64> {
        self.reserve_counter(name, 1).await
    }

    /// Reserve `n` consecutive values of a counter; returns the first.
    pub(crate) async fn reserve_counter(&mut self, name: &str, n: i64) -> Result<i64> {
        sqlx::query("UPDATE counters SET value = value + $2 WHERE name = $1")
            .bind(name.to_string())
            .bind(n)
            .execute(&mut *self.tx)
            .await?;
        let row = sqlx::query("SELECT value FROM counters WHERE name = $1")
            .bind(name.to_string())
            .fetch_one(&mut *self.tx)
            .await?;
        let last: i64 = row.try_get(0)?;
        Ok(last - n + 1)
    }

    /// Raise a counter to at least `value` (rebuild, bulk seeding).
    pub(crate) async fn raise_counter(&mut self, name: &str, value: i64) -> Result<()> {
        sqlx::query("UPDATE counters SET value = $1 WHERE name = $2 AND value < $1")
            .bind(value)
            .bind(name.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub(crate) async fn load_application(&mut self, id: &str) -> Result<Option<Application>> {
        load_application(&mut *self.tx, id).await
    }

    pub(crate) async fn load_label(&mut self, number: &str) -> Result<Option<Label>> {
        load_label(&mut *self.tx, number).await
    }

    pub(crate) async fn save_application(&mut self, app: &Application) -> Result<()> {
        let row = application_row(app)?;
        sqlx::query("DELETE FROM applications WHERE id = $1")
            .bind(app.id.clone())
            .execute(&mut *self.tx)
            .await?;
        insert_rows(&mut self.tx, "applications", APP_COLUMNS, vec![row]).await
    }

    /// Store a label's recorded state (its `status` is never `Expired`).
    pub(crate) async fn save_label(&mut self, label: &Label) -> Result<()> {
        let row = label_row(label)?;
        sqlx::query("DELETE FROM labels WHERE number = $1")
            .bind(label.number.clone())
            .execute(&mut *self.tx)
            .await?;
        insert_rows(&mut self.tx, "labels", LABEL_COLUMNS, vec![row]).await
    }

    /// Switch to bulk mode (see `buffering`).
    pub(crate) fn buffer(&mut self) {
        self.buffering = true;
    }

    /// Bulk mode: queue a NEW application row (written at flush).
    pub(crate) fn stage_application(&mut self, app: &Application) -> Result<()> {
        self.pending_apps.push(application_row(app)?);
        Ok(())
    }

    /// Bulk mode: queue a NEW label row (written at flush).
    pub(crate) fn stage_label(&mut self, label: &Label) -> Result<()> {
        self.pending_labels.push(label_row(label)?);
        Ok(())
    }

    /// Write queued rows.
    pub(crate) async fn flush(&mut self) -> Result<()> {
        let events = std::mem::take(&mut self.pending_events);
        insert_rows(&mut self.tx, "events", EVENT_COLUMNS, events).await?;
        let apps = std::mem::take(&mut self.pending_apps);
        insert_rows(&mut self.tx, "applications", APP_COLUMNS, apps).await?;
        let labels = std::mem::take(&mut self.pending_labels);
        insert_rows(&mut self.tx, "labels", LABEL_COLUMNS, labels).await
    }

    /// Empty the materialised state (rebuild).
    /// Keep a document by its digest (a document already kept stays).
    pub(crate) async fn put_document(
        &mut self,
        kind: crate::secinfo::DocumentKind,
        sha256: &str,
        body: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO documents (sha256, kind, body) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256.to_string())
        .bind(kind.as_str().to_string())
        .bind(body.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub(crate) async fn clear_state(&mut self) -> Result<()> {
        sqlx::query("DELETE FROM applications")
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DELETE FROM labels")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Events after `after_seq`, for replay inside this transaction.
    pub(crate) async fn events_after(&mut self, after_seq: i64, limit: i64) -> Result<Vec<Event>> {
        let rows = sqlx::query("SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    pub(crate) async fn count(&mut self, table: &'static str) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let row = sqlx::query(AssertSqlSafe(sql))
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(row.try_get(0)?)
    }

    pub(crate) async fn commit(mut self) -> Result<()> {
        self.flush().await?;
        sqlx::query("UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(self.head_seq)
            .bind(self.head_hash.clone())
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        // After the commit, never before: a reader that saw the old number
        // may have read the old rows, and must see a new number next time.
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}

// ---- chain checkpoint (see `chain::status`) ---------------------------------

/// How a stretch of the chain checked out.
pub(crate) struct ChainStretch {
    /// The last event that checked out (the start when none did).
    pub seq: i64,
    pub hash: String,
    pub broken: Option<BrokenLink>,
}

impl Store {
    /// The event the chain status verified last, and its hash.
    pub(crate) async fn chain_checkpoint(&self) -> Result<(i64, String)> {
        let row = sqlx::query("SELECT seq, hash FROM chain_checkpoint WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// Move the checkpoint forward (never back: another node may have gone
    /// further meanwhile).
    pub(crate) async fn save_chain_checkpoint(
        &self,
        now: DateTime<Utc>,
        seq: i64,
        hash: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE chain_checkpoint SET seq = $1, hash = $2, verified_at = $3 WHERE id = 1 AND seq < $1",
        )
        .bind(seq)
        .bind(hash.to_string())
        .bind(fmt_time(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The stored hash of event `seq`.
    pub(crate) async fn event_hash_at(&self, seq: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT hash FROM events WHERE seq = $1")
            .bind(seq)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
    }

    /// Check at most `max` events after `after_seq`, whose hash is
    /// `after_hash`, in pages.
    pub(crate) async fn verify_stretch(
        &self,
        after_seq: i64,
        after_hash: &str,
        max: i64,
    ) -> Result<ChainStretch> {
        let mut out = ChainStretch {
            seq: after_seq,
            hash: after_hash.to_string(),
            broken: None,
        };
        let end = after_seq.saturating_add(max);
        while out.seq < end {
            let page = (end - out.seq).min(2000);
            let rows = sqlx::query("SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(out.seq)
                .bind(page)
                .fetch_all(&self.pool)
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let raw = RawEvent::from_row(row)?;
                if let Some(problem) = chain::link_problem(
                    out.seq + 1,
                    &out.hash,
                    raw.seq,
                    &raw.prev_hash,
                    &raw.hash,
                    &raw.fields(),
                ) {
                    out.broken = Some(BrokenLink {
                        seq: raw.seq,
                        problem,
                    });
                    return Ok(out);
                }
                out.seq = raw.seq;
                out.hash = raw.hash;
            }
        }
        Ok(out)
    }
}
