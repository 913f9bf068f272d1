//! The local store: SQLite (one file, the default) or PostgreSQL through
//! `sqlx::any`, with the same SQL for both. Every import is one
//! transaction, so an interrupted import leaves the store as it was.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor, Row, Transaction};

use crate::feed::{self, FeedKind, Problem};
use crate::model::{IndexEntry, KevEntry, Record};
use crate::{Error, Result};

/// The store a command uses when none is named.
pub const DEFAULT_PATH: &str = "./jcstar-data/vulndb.sqlite";

/// Tables carry a `vulndb_` prefix so that the store may share a
/// PostgreSQL database with the registry.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS vulndb_record (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    modified TEXT NOT NULL,
    withdrawn BIGINT NOT NULL,
    hash TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vulndb_key (
    key TEXT NOT NULL,
    vuln_id TEXT NOT NULL,
    entries TEXT NOT NULL,
    PRIMARY KEY (key, vuln_id)
);
CREATE INDEX IF NOT EXISTS vulndb_key_vuln ON vulndb_key (vuln_id);
CREATE TABLE IF NOT EXISTS vulndb_alias (
    alias TEXT NOT NULL,
    vuln_id TEXT NOT NULL,
    PRIMARY KEY (alias, vuln_id)
);
CREATE INDEX IF NOT EXISTS vulndb_alias_vuln ON vulndb_alias (vuln_id);
CREATE TABLE IF NOT EXISTS vulndb_kev (
    cve_id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vulndb_import (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    report TEXT NOT NULL
);
";

/// The store's own bookkeeping; `schema` is [`SCHEMA_VERSION`].
const META_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS vulndb_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// Version 2 added the compact index (`vulndb_key.entries`); stores
/// without a version are from before it and are migrated when opened.
const SCHEMA_VERSION: i64 = 2;

/// Records read at once when the index is rebuilt.
const REBUILD_BATCH: i64 = 2000;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// SQLite, one file (the default).
    Sqlite,
    /// PostgreSQL, possibly shared with the registry.
    Postgres,
}

/// The vulnerability store.
pub struct VulnDb {
    pool: AnyPool,
    backend: Backend,
}

/// Counts of one import.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ImportReport {
    /// One entry per file read.
    pub files: Vec<FileReport>,
    /// Records new to the store.
    pub added: usize,
    /// Stored records replaced by a changed version.
    pub updated: usize,
    /// Records identical to the stored ones.
    pub unchanged: usize,
    /// A record in the file was older than the one stored; the stored one
    /// stays.
    pub older_kept: usize,
    /// Records newly marked withdrawn (NVD `Rejected`, OSV `withdrawn`).
    pub withdrawn: usize,
    /// KEV entries new to the store.
    pub kev_added: usize,
    /// Stored KEV entries replaced by a changed version.
    pub kev_updated: usize,
    /// KEV entries identical to the stored ones.
    pub kev_unchanged: usize,
    /// Records refused because of a problem (listed in `problems`).
    pub refused: usize,
    /// OSV `GIT` ranges skipped: they name commits, not versions.
    pub git_ranges_ignored: usize,
    /// Every problem found, per file and record.
    pub problems: Vec<Problem>,
}

/// What one file of an import held.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file; a member of a zip archive as `ARCHIVE!MEMBER`.
    pub file: String,
    /// What the file was recognised as.
    pub kind: FeedKind,
    /// Records and KEV entries read from it.
    pub records: usize,
    /// Problems found in it.
    pub problems: usize,
}

/// What the store holds.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// The database the store runs on.
    pub backend: Backend,
    /// Live NVD records.
    pub nvd: i64,
    /// Live OSV records.
    pub osv: i64,
    /// Withdrawn records, kept so old findings can be explained.
    pub withdrawn: i64,
    /// KEV entries.
    pub kev: i64,
    /// Distinct product and package keys indexed.
    pub products: i64,
    /// Imports done so far.
    pub imports: i64,
    /// When the last import was done, if any.
    pub last_import: Option<String>,
    /// The latest `modified` time of any record: how fresh the data is.
    pub last_modified: Option<String>,
}

/// A record as `show` presents it, with what else the store knows.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    /// The record.
    pub record: Record,
    /// Its KEV entry, if the vulnerability is known to be exploited.
    pub kev: Option<KevEntry>,
    /// Other records naming this one as an alias (OSV entries of a CVE).
    pub related: Vec<String>,
}

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
            url: url.into(),
            message: "give a file path such as ./jcstar-data/vulndb.sqlite".into(),
        });
    }
    if let Some(dir) = Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| Error::Open {
            url: url.into(),
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

fn hash_of<T: Serialize>(x: &T) -> Result<String> {
    let bytes = serde_json::to_vec(x)?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// One input after expansion: a name for messages and its bytes.
struct Input {
    name: String,
    bytes: Vec<u8>,
}

/// Feeds are big (an NVD year is a few hundred megabytes) but a file
/// larger than this is not a feed.
const MAX_INPUT: u64 = 4 << 30;

fn is_feed_name(n: &str) -> bool {
    let n = n.to_ascii_lowercase();
    n.ends_with(".json") || n.ends_with(".json.gz") || n.ends_with(".zip")
}

fn expand(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| Error::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::Read {
                path: path.display().to_string(),
                message: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let is_dir = p.is_dir();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if is_dir || is_feed_name(name) {
                expand(&p, out)?;
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// Read a file, or each JSON member of a zip, or a gzip stream.
fn read_inputs(path: &Path, problems: &mut Vec<Problem>) -> Result<Vec<Input>> {
    let name = path.display().to_string();
    let io = |e: std::io::Error| Error::Read {
        path: name.clone(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT).read_to_end(&mut bytes).map_err(io)?;
    if bytes.starts_with(b"PK\x03\x04") {
        let mut zip = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
            Ok(z) => z,
            Err(e) => {
                problems.push(Problem {
                    file: name,
                    record: None,
                    field: "$".into(),
                    message: format!("not a readable zip archive: {e}"),
                });
                return Ok(Vec::new());
            }
        };
        let mut out = Vec::new();
        for i in 0..zip.len() {
            let mut entry = match zip.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(Problem {
                        file: format!("{name}!#{i}"),
                        record: None,
                        field: "$".into(),
                        message: format!("unreadable zip member: {e}"),
                    });
                    continue;
                }
            };
            let member = entry
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| format!("#{i}"));
            if entry.is_dir() || !member.to_ascii_lowercase().ends_with(".json") {
                continue;
            }
            let mut b = Vec::new();
            if let Err(e) = (&mut entry).take(MAX_INPUT).read_to_end(&mut b) {
                problems.push(Problem {
                    file: format!("{name}!{member}"),
                    record: None,
                    field: "$".into(),
                    message: format!("unreadable zip member: {e}"),
                });
                continue;
            }
            out.push(Input {
                name: format!("{name}!{member}"),
                bytes: b,
            });
        }
        return Ok(out);
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut b = Vec::new();
        let dec = flate2::read::GzDecoder::new(bytes.as_slice());
        if let Err(e) = dec.take(MAX_INPUT).read_to_end(&mut b) {
            problems.push(Problem {
                file: name,
                record: None,
                field: "$".into(),
                message: format!("not a readable gzip stream (truncated download?): {e}"),
            });
            return Ok(Vec::new());
        }
        return Ok(vec![Input { name, bytes: b }]);
    }
    Ok(vec![Input { name, bytes }])
}

/// The index rows of `rec`: per key, the compact form of its entries
/// under that key, in the record's order.
async fn write_keys(tx: &mut Transaction<'static, Any>, rec: &Record) -> Result<()> {
    let mut keys: Vec<(String, Vec<IndexEntry>)> = Vec::new();
    for a in &rec.affected {
        let k = a.target.key();
        match keys.iter_mut().find(|(key, _)| *key == k) {
            Some((_, entries)) => entries.push(IndexEntry::of(a)),
            None => keys.push((k, vec![IndexEntry::of(a)])),
        }
    }
    for (k, entries) in keys {
        sqlx::query("INSERT INTO vulndb_key (key, vuln_id, entries) VALUES ($1, $2, $3)")
            .bind(k)
            .bind(rec.id.clone())
            .bind(serde_json::to_string(&entries)?)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Fill the (empty) key table from every stored record.
async fn rebuild_index(tx: &mut Transaction<'static, Any>) -> Result<()> {
    let mut after = String::new();
    loop {
        let rows =
            sqlx::query("SELECT id, data FROM vulndb_record WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after.clone())
                .bind(REBUILD_BATCH)
                .fetch_all(&mut **tx)
                .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get(0)?;
        for row in rows {
            let rec: Record = serde_json::from_str(&row.try_get::<String, _>(1)?)?;
            write_keys(tx, &rec).await?;
        }
    }
}

struct Stored {
    modified: String,
    hash: String,
    withdrawn: bool,
}

impl VulnDb {
    /// Open (and create) the store. `url` is `sqlite://PATH`,
    /// `postgres://...`, or a plain file path for SQLite.
    pub async fn open(url: &str) -> Result<VulnDb> {
        sqlx::any::install_default_drivers();
        let (backend, conn_url) =
            if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                (Backend::Postgres, url.to_string())
            } else {
                (Backend::Sqlite, sqlite_url(url)?)
            };
        let opts = AnyConnectOptions::from_str(&conn_url).map_err(|e| Error::Open {
            url: url.into(),
            message: e.to_string(),
        })?;
        let pool_opts = match backend {
            Backend::Sqlite => AnyPoolOptions::new().max_connections(4).after_connect(
                |conn, _meta| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=60000;",
                        )
                        .await?;
                        Ok(())
                    })
                },
            ),
            Backend::Postgres => AnyPoolOptions::new().max_connections(4),
        };
        let pool = pool_opts
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts)
            .await
            .map_err(|e| Error::Open {
                url: url.into(),
                message: e.to_string(),
            })?;
        let db = VulnDb { pool, backend };
        let mut tx = db.pool.begin().await?;
        if backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(74757010)")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::raw_sql(AssertSqlSafe(META_SCHEMA))
            .execute(&mut *tx)
            .await?;
        let version = sqlx::query("SELECT value FROM vulndb_meta WHERE name = 'schema'")
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()?;
        match version.as_deref().map(str::parse::<i64>) {
            Some(Ok(SCHEMA_VERSION)) => {
                sqlx::raw_sql(AssertSqlSafe(SCHEMA))
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                // A new store, or one made before the compact index: the
                // key table is derived from the records, so it is rebuilt
                // from them, in this transaction.
                sqlx::raw_sql("DROP TABLE IF EXISTS vulndb_key")
                    .execute(&mut *tx)
                    .await?;
                sqlx::raw_sql(AssertSqlSafe(SCHEMA))
                    .execute(&mut *tx)
                    .await?;
                rebuild_index(&mut tx).await?;
                sqlx::query("INSERT INTO vulndb_meta (name, value) VALUES ('schema', $1)")
                    .bind(SCHEMA_VERSION.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            Some(_) => {
                return Err(Error::Open {
                    url: url.into(),
                    message: format!(
                        "the store has schema version {}, which this jcstar does not know (it knows {SCHEMA_VERSION}); use the jcstar that made it, or import the feeds again into a new store",
                        version.unwrap_or_default()
                    ),
                });
            }
        }
        tx.commit().await?;
        Ok(db)
    }

    /// Which database the store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the store's database connections.
    pub async fn close(&self) {
        self.pool.close().await
    }

    /// Import feed files, directories of them and zip archives, in one
    /// transaction. Bad records are refused and counted; unreadable paths
    /// stop the import before anything is written.
    pub async fn import(&self, paths: &[PathBuf]) -> Result<ImportReport> {
        let mut files = Vec::new();
        for p in paths {
            expand(p, &mut files)?;
        }
        let mut report = ImportReport::default();
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            // Two imports at once would each read the other's old state.
            sqlx::query("SELECT pg_advisory_xact_lock(74757011)")
                .execute(&mut *tx)
                .await?;
        }
        let mut stored: HashMap<String, Stored> = HashMap::new();
        for row in sqlx::query("SELECT id, modified, hash, withdrawn FROM vulndb_record")
            .fetch_all(&mut *tx)
            .await?
        {
            stored.insert(
                row.try_get::<String, _>(0)?,
                Stored {
                    modified: row.try_get(1)?,
                    hash: row.try_get(2)?,
                    withdrawn: row.try_get::<i64, _>(3)? != 0,
                },
            );
        }
        let mut kev_stored: HashMap<String, String> = HashMap::new();
        for row in sqlx::query("SELECT cve_id, hash FROM vulndb_kev")
            .fetch_all(&mut *tx)
            .await?
        {
            kev_stored.insert(row.try_get(0)?, row.try_get(1)?);
        }
        for path in &files {
            let inputs = read_inputs(path, &mut report.problems)?;
            for input in inputs {
                let parsed = feed::parse_bytes(&input.name, &input.bytes);
                drop(input.bytes);
                let refused = parsed
                    .problems
                    .iter()
                    .filter(|p| p.record.is_some())
                    .count();
                report.refused += refused;
                report.git_ranges_ignored += parsed.git_ranges_ignored;
                report.files.push(FileReport {
                    file: input.name.clone(),
                    kind: parsed.kind.unwrap_or(FeedKind::Unknown),
                    records: parsed.records.len() + parsed.kev.len(),
                    problems: parsed.problems.len(),
                });
                report.problems.extend(parsed.problems);
                for rec in parsed.records {
                    self.apply_record(&mut tx, &mut stored, rec, &mut report)
                        .await?;
                }
                for k in parsed.kev {
                    let hash = hash_of(&k)?;
                    match kev_stored.get(&k.cve_id) {
                        Some(h) if *h == hash => {
                            report.kev_unchanged += 1;
                            continue;
                        }
                        Some(_) => report.kev_updated += 1,
                        None => report.kev_added += 1,
                    }
                    sqlx::query(
                        "INSERT INTO vulndb_kev (cve_id, hash, data) VALUES ($1, $2, $3) \
                         ON CONFLICT (cve_id) DO UPDATE SET hash = excluded.hash, data = excluded.data",
                    )
                    .bind(k.cve_id.clone())
                    .bind(hash.clone())
                    .bind(serde_json::to_string(&k)?)
                    .execute(&mut *tx)
                    .await?;
                    kev_stored.insert(k.cve_id, hash);
                }
            }
        }
        let seq: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 FROM vulndb_import")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let mut summary = report.clone();
        // The log keeps counts; the full problem list is the caller's.
        summary.problems.truncate(100);
        sqlx::query("INSERT INTO vulndb_import (seq, at, report) VALUES ($1, $2, $3)")
            .bind(seq)
            .bind(
                chrono::Utc::now()
                    .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                    .to_string(),
            )
            .bind(serde_json::to_string(&summary)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn apply_record(
        &self,
        tx: &mut Transaction<'static, Any>,
        stored: &mut HashMap<String, Stored>,
        rec: Record,
        report: &mut ImportReport,
    ) -> Result<()> {
        let hash = hash_of(&rec)?;
        let old = stored.get(&rec.id);
        if let Some(old) = old {
            if old.modified > rec.modified {
                report.older_kept += 1;
                return Ok(());
            }
            if old.hash == hash {
                report.unchanged += 1;
                return Ok(());
            }
        }
        if rec.withdrawn {
            if let Some(old) = old {
                if old.withdrawn {
                    report.unchanged += 1;
                    return Ok(());
                }
                // Keep what the record said, marked withdrawn, so `show`
                // can still explain an old finding.
                let row = sqlx::query("SELECT data FROM vulndb_record WHERE id = $1")
                    .bind(rec.id.clone())
                    .fetch_one(&mut **tx)
                    .await?;
                let mut prev: Record = serde_json::from_str(&row.try_get::<String, _>(0)?)?;
                prev.withdrawn = true;
                prev.modified = rec.modified.clone();
                sqlx::query(
                    "UPDATE vulndb_record SET withdrawn = 1, modified = $2, hash = $3, data = $4 WHERE id = $1",
                )
                .bind(rec.id.clone())
                .bind(rec.modified.clone())
                .bind(hash.clone())
                .bind(serde_json::to_string(&prev)?)
                .execute(&mut **tx)
                .await?;
            } else {
                self.write_record(tx, &rec, &hash, false).await?;
            }
            report.withdrawn += 1;
        } else {
            let existed = old.is_some();
            self.write_record(tx, &rec, &hash, existed).await?;
            if existed {
                report.updated += 1;
            } else {
                report.added += 1;
            }
        }
        stored.insert(
            rec.id.clone(),
            Stored {
                modified: rec.modified,
                hash,
                withdrawn: rec.withdrawn,
            },
        );
        Ok(())
    }

    async fn write_record(
        &self,
        tx: &mut Transaction<'static, Any>,
        rec: &Record,
        hash: &str,
        existed: bool,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO vulndb_record (id, source, modified, withdrawn, hash, data) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET source = excluded.source, modified = excluded.modified, \
             withdrawn = excluded.withdrawn, hash = excluded.hash, data = excluded.data",
        )
        .bind(rec.id.clone())
        .bind(rec.source.as_str())
        .bind(rec.modified.clone())
        .bind(i64::from(rec.withdrawn))
        .bind(hash.to_string())
        .bind(serde_json::to_string(rec)?)
        .execute(&mut **tx)
        .await?;
        if existed {
            for table in ["vulndb_key", "vulndb_alias"] {
                sqlx::query(AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE vuln_id = $1"
                )))
                .bind(rec.id.clone())
                .execute(&mut **tx)
                .await?;
            }
        }
        write_keys(tx, rec).await?;
        let aliases: HashSet<&String> = rec.aliases.iter().filter(|a| **a != rec.id).collect();
        for a in aliases {
            sqlx::query("INSERT INTO vulndb_alias (alias, vuln_id) VALUES ($1, $2)")
                .bind(a.clone())
                .bind(rec.id.clone())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Counts of what the store holds.
    pub async fn stats(&self) -> Result<Stats> {
        let count = |sql: &'static str| async move {
            let row = sqlx::query(sql).fetch_one(&self.pool).await?;
            Ok::<i64, Error>(row.try_get::<i64, _>(0)?)
        };
        let last_import = sqlx::query("SELECT at FROM vulndb_import ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()?;
        let last_modified = sqlx::query("SELECT MAX(modified) FROM vulndb_record")
            .fetch_one(&self.pool)
            .await?
            .try_get::<Option<String>, _>(0)?;
        Ok(Stats {
            backend: self.backend,
            nvd: count("SELECT COUNT(*) FROM vulndb_record WHERE source = 'nvd' AND withdrawn = 0")
                .await?,
            osv: count("SELECT COUNT(*) FROM vulndb_record WHERE source = 'osv' AND withdrawn = 0")
                .await?,
            withdrawn: count("SELECT COUNT(*) FROM vulndb_record WHERE withdrawn <> 0").await?,
            kev: count("SELECT COUNT(*) FROM vulndb_kev").await?,
            products: count("SELECT COUNT(DISTINCT key) FROM vulndb_key").await?,
            imports: count("SELECT COUNT(*) FROM vulndb_import").await?,
            last_import,
            last_modified,
        })
    }

    /// A record by id, or by an alias when no record has that id.
    pub async fn show(&self, id: &str) -> Result<Option<Shown>> {
        let id = id.trim();
        let mut rec = self.record(id).await?;
        if rec.is_none() {
            let row = sqlx::query(
                "SELECT vuln_id FROM vulndb_alias WHERE alias = $1 ORDER BY vuln_id LIMIT 1",
            )
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
            if let Some(row) = row {
                rec = self.record(&row.try_get::<String, _>(0)?).await?;
            }
        }
        let Some(record) = rec else {
            return Ok(None);
        };
        let mut kev = None;
        for i in record.all_ids() {
            if let Some(k) = self.kev(i).await? {
                kev = Some(k);
                break;
            }
        }
        let mut related: Vec<String> = Vec::new();
        for i in record.all_ids() {
            for row in
                sqlx::query("SELECT vuln_id FROM vulndb_alias WHERE alias = $1 ORDER BY vuln_id")
                    .bind(i.to_string())
                    .fetch_all(&self.pool)
                    .await?
            {
                let r: String = row.try_get(0)?;
                if r != record.id && !related.contains(&r) {
                    related.push(r);
                }
            }
        }
        Ok(Some(Shown {
            record,
            kev,
            related,
        }))
    }

    /// The record with exactly this id.
    pub async fn record(&self, id: &str) -> Result<Option<Record>> {
        let row = sqlx::query("SELECT data FROM vulndb_record WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(serde_json::from_str(&r.try_get::<String, _>(0)?)?)),
            None => Ok(None),
        }
    }

    /// The KEV entry of `cve`, if CISA lists it.
    pub async fn kev(&self, cve: &str) -> Result<Option<KevEntry>> {
        let row = sqlx::query("SELECT data FROM vulndb_kev WHERE cve_id = $1")
            .bind(cve.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(serde_json::from_str(&r.try_get::<String, _>(0)?)?)),
            None => Ok(None),
        }
    }

    /// The rows of `sql` for every value of `values`: the `{}` in `sql`
    /// becomes a list of placeholders, at most 200 at a time, because
    /// bounded IN lists keep each statement's size sane on both backends.
    async fn rows_in(&self, sql: &str, values: &[String]) -> Result<Vec<sqlx::any::AnyRow>> {
        let mut rows = Vec::new();
        for chunk in values.chunks(200) {
            let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let mut q = sqlx::query(AssertSqlSafe(sql.replace("{}", &params.join(", "))));
            for v in chunk {
                q = q.bind(v.clone());
            }
            rows.extend(q.fetch_all(&self.pool).await?);
        }
        Ok(rows)
    }

    /// Live (not withdrawn) records that have an affected entry under one
    /// of `keys`, each once.
    pub async fn records_for_keys(&self, keys: &[String]) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let sql = "SELECT r.id, r.data FROM vulndb_key k JOIN vulndb_record r ON r.id = k.vuln_id \
             WHERE k.key IN ({}) AND r.withdrawn = 0";
        for row in self.rows_in(sql, keys).await? {
            let id: String = row.try_get(0)?;
            if seen.insert(id) {
                out.push(serde_json::from_str(&row.try_get::<String, _>(1)?)?);
            }
        }
        Ok(out)
    }

    /// The compact index of live records under any of `keys`: each row is
    /// the key, the record's id and the record's entries under that key.
    pub async fn index_for_keys(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, String, Vec<IndexEntry>)>> {
        let mut out = Vec::new();
        let sql = "SELECT k.key, k.vuln_id, k.entries FROM vulndb_key k \
             JOIN vulndb_record r ON r.id = k.vuln_id \
             WHERE k.key IN ({}) AND r.withdrawn = 0";
        for row in self.rows_in(sql, keys).await? {
            let entries: Vec<IndexEntry> = serde_json::from_str(&row.try_get::<String, _>(2)?)?;
            out.push((row.try_get(0)?, row.try_get(1)?, entries));
        }
        Ok(out)
    }

    /// Live records with any of `ids`, each once, in the order of `ids`.
    pub async fn records_by_ids(&self, ids: &[String]) -> Result<Vec<Record>> {
        let mut found: HashMap<String, Record> = HashMap::new();
        let sql = "SELECT id, data FROM vulndb_record WHERE id IN ({}) AND withdrawn = 0";
        for row in self.rows_in(sql, ids).await? {
            let id: String = row.try_get(0)?;
            let rec: Record = serde_json::from_str(&row.try_get::<String, _>(1)?)?;
            found.insert(id, rec);
        }
        let mut out = Vec::new();
        for id in ids {
            if let Some(r) = found.remove(id) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// KEV entries for any of `ids`.
    pub async fn kev_for(&self, ids: &[String]) -> Result<HashMap<String, KevEntry>> {
        let mut out = HashMap::new();
        let sql = "SELECT data FROM vulndb_kev WHERE cve_id IN ({})";
        for row in self.rows_in(sql, ids).await? {
            let k: KevEntry = serde_json::from_str(&row.try_get::<String, _>(0)?)?;
            out.insert(k.cve_id.clone(), k);
        }
        Ok(out)
    }
}
