//! Test support for this crate and for `jcstar-web`: a registry on a fresh
//! SQLite file in a temporary directory, or in a fresh schema of the test
//! PostgreSQL server (`JCSTAR_TEST_POSTGRES`, default
//! `postgres://root@127.0.0.1:5432/test`). Not for production use.

use std::str::FromStr;
use std::sync::Arc;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, AssertSqlSafe, Connection};

use crate::{Backend, Clock, Error, Registry, Result};

/// The PostgreSQL server tests use.
pub fn postgres_url() -> String {
    std::env::var("JCSTAR_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".to_string())
}

/// A database that lives as long as this value: the temporary directory or
/// the PostgreSQL schema is removed by [`TestDb::cleanup`] (or, for SQLite,
/// on drop).
pub struct TestDb {
    /// The database kind.
    pub backend: Backend,
    /// The URL to open (includes the schema's search_path for PostgreSQL).
    pub url: String,
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

fn random_suffix() -> String {
    let mut b = [0u8; 6];
    // Uniqueness only matters among concurrent tests; a failed getrandom
    // falls back to the clock and the process id.
    if getrandom::fill(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        return format!("{:x}{:x}", t, std::process::id());
    }
    hex::encode(b)
}

impl TestDb {
    /// A fresh SQLite file in a new temporary directory.
    pub fn sqlite() -> Result<TestDb> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("registry.sqlite").display());
        Ok(TestDb {
            backend: Backend::Sqlite,
            url,
            schema: None,
            _dir: Some(dir),
        })
    }

    /// A fresh schema `jcstar_test_<random>` on the test PostgreSQL server.
    /// Fails with a message naming the server when it is unreachable.
    pub async fn postgres() -> Result<TestDb> {
        let base = postgres_url();
        let schema = format!("jcstar_test_{}", random_suffix());
        let mut conn = connect(&base).await?;
        sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut conn)
            .await?;
        let _ = conn.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Ok(TestDb {
            backend: Backend::Postgres,
            url,
            schema: Some(schema),
            _dir: None,
        })
    }

    /// A fresh database of the given backend.
    pub async fn new(backend: Backend) -> Result<TestDb> {
        match backend {
            Backend::Sqlite => TestDb::sqlite(),
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    /// Open the registry on this database with `clock`.
    pub async fn open(&self, clock: Arc<dyn Clock>) -> Result<Registry> {
        Registry::open_with_clock(&self.url, clock).await
    }

    /// Drop the PostgreSQL schema (no-op for SQLite, whose directory goes on
    /// drop). A TestDb dropped without this (a failed test) drops its schema
    /// in `Drop`.
    pub async fn cleanup(mut self) -> Result<()> {
        if let Some(schema) = self.schema.take() {
            let mut conn = connect(&postgres_url()).await?;
            sqlx::query(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut conn)
                .await?;
            let _ = conn.close().await;
        }
        Ok(())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        // Drop cannot await, and may run inside a runtime: use a helper
        // thread with its own small runtime.
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    if let Ok(mut conn) = connect(&postgres_url()).await {
                        let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                        let _ = sqlx::query(AssertSqlSafe(sql)).execute(&mut conn).await;
                        let _ = conn.close().await;
                    }
                });
            }
        });
        let _ = handle.join();
    }
}

async fn connect(url: &str) -> Result<AnyConnection> {
    sqlx::any::install_default_drivers();
    let opts = AnyConnectOptions::from_str(url).map_err(|e| Error::Open {
        url: url.to_string(),
        message: e.to_string(),
    })?;
    AnyConnection::connect_with(&opts)
        .await
        .map_err(|e| Error::Open {
            url: url.to_string(),
            message: format!(
                "the registry tests need PostgreSQL at this URL (set JCSTAR_TEST_POSTGRES; CI starts one): {e}"
            ),
        })
}

/// Generates one test per backend from an async fn taking the backend:
/// `both!(flows, search)` gives `sqlite::flows`, `postgres::flows`, ...
/// Shared by this crate's and `jcstar-web`'s tests so that every
/// registry test runs on both databases the same way.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}

/// What [`issue_label`] puts on the label.
pub struct LabelSpec<'a> {
    /// The vendor organisation.
    pub org: &'a str,
    /// The applicant company.
    pub company: &'a str,
    /// The product name.
    pub product: &'a str,
    /// The product type.
    pub product_type: &'a str,
    /// The product's model numbers.
    pub models: &'a [&'a str],
}

/// A ★1 label issued through the whole application flow (checklist,
/// inquiry, acceptance, fee, issuance), its texts taken from `spec`.
pub async fn issue_label(reg: &Registry, spec: LabelSpec<'_>) -> Result<crate::Label> {
    use crate::{Actor, ApplicationSubmission, Fee, InquiryOutcome, Role};
    let op = Actor::local(Role::Operator, "ipa", "test operator");
    let vendor = Actor::local(Role::Vendor, spec.org, "test vendor");
    let sub = ApplicationSubmission {
        org: spec.org.into(),
        level: None,
        applicant: crate::Applicant::default(),
        products: Vec::new(),
        disclosure_contact: format!("security@{}.example.jp", spec.org),
        checklist: crate::demo::checklist_for(
            spec.company,
            "1-2-3 Example, Tokyo",
            spec.product,
            spec.product_type,
            spec.models,
            &["1.0.0"],
        ),
        requested_valid_until: None,
    };
    let app = reg.submit_application(&vendor, sub).await?;
    reg.request_inquiry(&op, &app.id, "SCI-1").await?;
    reg.answer_inquiry(&op, &app.id, InquiryOutcome::Clear, "SCA-1")
        .await?;
    reg.accept_application(&op, &app.id, None).await?;
    let fee = Fee {
        amount_yen: 15_000,
        paid_on: reg.today(),
        reference: "INV-1".into(),
    };
    reg.record_fee(&op, &app.id, fee).await?;
    reg.issue_label(&op, &app.id, None).await
}
