//! The signed daily snapshot: written once per Japan day, never replaced,
//! signed over the exact bytes, verifiable with the published key set.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

mod common;

use common::Env;
use jcstar_registry::Backend;
use jcstar_registry::signing::{self, KeyDir, KeySet};
use jcstar_registry::snapshot;

async fn daily_snapshot(backend: Backend) {
    let env = Env::new(backend).await;
    jcstar_registry::seed_demo(&env.reg)
        .await
        .expect("demo data");
    let tmp = tempfile::tempdir().unwrap();
    let keys = KeyDir::create(&tmp.path().join("keys"), env.reg.now()).unwrap();
    let dir = tmp.path().join("open-data");

    let first = snapshot::write_daily(&env.reg, &keys, &dir, Some("https://registry.example"))
        .await
        .unwrap();
    assert!(first.created);
    assert_eq!(first.date, env.reg.today());
    let json = std::fs::read(&first.files[0]).unwrap();
    let labels: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert!(labels.as_array().unwrap().len() >= 3, "{labels}");
    let csv = std::fs::read(&first.files[2]).unwrap();
    assert!(csv.starts_with(jcstar_registry::csv_cell::UTF8_BOM));
    // The workbook: Japanese header, one row per label, the same numbers
    // in the same order as the JSON, dates as dates.
    {
        use calamine::{Data, Reader, Xlsx};
        let mut book: Xlsx<_> = calamine::open_workbook(&first.files[4]).unwrap();
        assert_eq!(book.sheet_names(), vec!["ラベル一覧".to_string()]);
        let range = book.worksheet_range("ラベル一覧").unwrap();
        let rows: Vec<_> = range.rows().collect();
        assert_eq!(rows[0][0], Data::String("登録番号".into()));
        assert_eq!(rows.len() - 1, labels.as_array().unwrap().len());
        for (row, label) in rows[1..].iter().zip(labels.as_array().unwrap()) {
            assert_eq!(rows[0].len(), 16);
            assert_eq!(
                row[0],
                Data::String(label["number"].as_str().unwrap().into())
            );
            assert!(matches!(row[10], Data::DateTime(_)), "{:?}", row[10]);
        }
    }

    let set = KeySet::read(&tmp.path().join("keys/keys.json")).unwrap();
    for (data, sig) in [(0, 1), (2, 3), (4, 5)] {
        let bytes = std::fs::read(&first.files[data]).unwrap();
        let jws = std::fs::read_to_string(&first.files[sig]).unwrap();
        let ok = signing::verify(&bytes, &jws, &set).unwrap();
        assert_eq!(ok.claims.subject, snapshot::SNAPSHOT_SUBJECT);
        assert_eq!(
            ok.claims.registry.as_deref(),
            Some("https://registry.example")
        );
        let mut changed = bytes.clone();
        changed[bytes.len() / 2] ^= 0x20;
        assert!(signing::verify(&changed, &jws, &set).is_err());
    }

    // Later the same day: the day's files stay as they were.
    env.clock.advance(chrono::Duration::seconds(60));
    let again = snapshot::write_daily(&env.reg, &keys, &dir, None)
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(std::fs::read(&first.files[0]).unwrap(), json);

    // A lost signature is made again over the bytes in place.
    std::fs::remove_file(&first.files[3]).unwrap();
    let repaired = snapshot::write_daily(&env.reg, &keys, &dir, None)
        .await
        .unwrap();
    assert!(repaired.created);
    let jws = std::fs::read_to_string(&first.files[3]).unwrap();
    signing::verify(&csv, &jws, &set).unwrap();

    // The next day gets its own files.
    env.clock.advance(chrono::Duration::days(1));
    let next = snapshot::write_daily(&env.reg, &keys, &dir, None)
        .await
        .unwrap();
    assert!(next.created);
    assert_ne!(next.date, first.date);
    let listed = snapshot::list(&dir).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].0, next.date);
    assert_eq!(listed[0].1.len(), 6);
    env.db.cleanup().await.ok();
}

#[tokio::test]
async fn daily_snapshot_sqlite() {
    daily_snapshot(Backend::Sqlite).await;
}

#[tokio::test]
async fn daily_snapshot_postgres() {
    daily_snapshot(Backend::Postgres).await;
}
