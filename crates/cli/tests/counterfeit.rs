//! `jcstar registry counterfeit-reports` and `counterfeit-close` on SQLite
//! and PostgreSQL: the queue in Japanese (default), English and JSON, and
//! closing as a named operator.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use jcstar_registry::testing::TestDb;
use jcstar_registry::{Actor, Backend, NewCounterfeitReport, SystemClock};

fn jcstar(db: &str, dir: &Path, who: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jcstar"));
    c.args(args)
        .arg("--database")
        .arg(db)
        .current_dir(dir)
        .env_remove("JCSTAR_DATABASE")
        .env_remove("JCSTAR_TOKEN")
        .env_remove("JCSTAR_LANG")
        .env_remove("JCSTAR_AS");
    if let Some(w) = who {
        c.env("JCSTAR_AS", w);
    }
    c.output().expect("run jcstar")
}

fn stdout(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

async fn queue(backend: Backend) {
    let db = TestDb::new(backend).await.expect("test database");
    let url = db.url.clone();
    let reg = db.open(Arc::new(SystemClock)).await.expect("open");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let r = reg
        .report_counterfeit(
            &Actor::public(),
            NewCounterfeitReport {
                number: "JCS1-2026-999999-X".into(),
                seen_at: Some("Example Shop".into()),
                details: Some("two\nlines".into()),
                contact: Some("buyer@example.jp".into()),
            },
        )
        .await
        .expect("report");

    let ja = stdout(&jcstar(
        &url,
        dir,
        None,
        &["registry", "counterfeit-reports"],
    ));
    assert!(ja.contains(&r.id), "{ja}");
    assert!(
        ja.contains("未対応") && ja.contains("見かけた場所: Example Shop"),
        "{ja}"
    );
    assert!(ja.contains("連絡先: buyer@example.jp"));
    let en = stdout(&jcstar(
        &url,
        dir,
        None,
        &["registry", "counterfeit-reports", "--lang", "en"],
    ));
    assert!(
        en.contains("[open]") && en.contains("seen at: Example Shop"),
        "{en}"
    );

    // Closing needs a named person.
    let o = jcstar(
        &url,
        dir,
        None,
        &["registry", "counterfeit-close", &r.id, "--note", "done"],
    );
    assert_eq!(o.status.code(), Some(2));
    let o = jcstar(
        &url,
        dir,
        Some("Operator Person"),
        &[
            "registry",
            "counterfeit-close",
            &r.id,
            "--note",
            "listing removed",
        ],
    );
    let text = stdout(&o);
    assert!(
        text.contains("対応済み") && text.contains("listing removed"),
        "{text}"
    );
    let o = jcstar(
        &url,
        dir,
        Some("Operator Person"),
        &["registry", "counterfeit-close", &r.id, "--note", "again"],
    );
    assert_eq!(o.status.code(), Some(1), "closing twice is refused");

    let open = stdout(&jcstar(
        &url,
        dir,
        None,
        &[
            "registry",
            "counterfeit-reports",
            "--status",
            "open",
            "--json",
        ],
    ));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&open).unwrap(),
        serde_json::json!([])
    );
    let closed = stdout(&jcstar(
        &url,
        dir,
        None,
        &[
            "registry",
            "counterfeit-reports",
            "--status",
            "closed",
            "--json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&closed).unwrap();
    assert_eq!(v[0]["id"], r.id.as_str());
    assert_eq!(v[0]["closed_by"], "Operator Person");
    let none = stdout(&jcstar(
        &url,
        dir,
        None,
        &["registry", "counterfeit-reports", "--status", "open"],
    ));
    assert!(none.contains("報告はありません"), "{none}");
    let bad = jcstar(
        &url,
        dir,
        None,
        &["registry", "counterfeit-reports", "--status", "maybe"],
    );
    assert_eq!(bad.status.code(), Some(2));

    reg.close().await;
    db.cleanup().await.expect("cleanup");
}

#[tokio::test]
async fn queue_sqlite() {
    queue(Backend::Sqlite).await;
}

#[tokio::test]
async fn queue_postgres() {
    queue(Backend::Postgres).await;
}
