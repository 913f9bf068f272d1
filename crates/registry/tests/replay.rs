//! A log written by an earlier version of the registry (the fixture was made
//! with the code before the typed event payloads existed) still verifies,
//! every payload decodes into its typed form and encodes back to the same
//! bytes, and a rebuild yields the state that version had materialised.

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

use std::collections::BTreeMap;

use common::*;
use jcstar_registry::*;
use sqlx::Connection;

jcstar_registry::both!(a_log_from_the_previous_version_replays);

const LOG: &str = include_str!("fixtures/chain-v1.jsonl");
const STATE: &str = include_str!("fixtures/chain-v1-state.jsonl");

#[test]
fn every_stored_payload_reencodes_byte_identical() {
    let mut kinds = std::collections::BTreeSet::new();
    for line in LOG.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let kind = EventKind::parse(row["kind"].as_str().unwrap()).unwrap();
        let stored = row["payload"].as_str().unwrap();
        let again =
            events::reencode(kind, stored).unwrap_or_else(|e| panic!("event {}: {e}", row["seq"]));
        assert_eq!(again, stored, "event {} ({kind})", row["seq"]);
        kinds.insert(kind.as_str());
    }
    // The fixture covers every kind the previous version could write:
    // all but label_changed, sbom_attached, vex_published,
    // vulnerability_found, watch_run and csaf_published, which came later.
    assert_eq!(kinds.len(), EventKind::ALL.len() - 6, "{kinds:?}");
}

async fn a_log_from_the_previous_version_replays(b: Backend) {
    let env = Env::new(b).await;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&env.db.url).await.unwrap();
    let mut head = (0i64, String::new());
    for line in LOG.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        let s = |k: &str| r[k].as_str().map(str::to_string);
        sqlx::query(
            "INSERT INTO events (seq, at, actor_role, actor_org, token_id, token_name, kind, \
             application_id, label_number, reason, payload, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(r["seq"].as_i64().unwrap())
        .bind(s("at"))
        .bind(s("actor_role"))
        .bind(s("actor_org"))
        .bind(s("token_id"))
        .bind(s("token_name"))
        .bind(s("kind"))
        .bind(s("application_id"))
        .bind(s("label_number"))
        .bind(s("reason"))
        .bind(s("payload"))
        .bind(s("prev_hash"))
        .bind(s("hash"))
        .execute(&mut conn)
        .await
        .unwrap();
        head = (r["seq"].as_i64().unwrap(), s("hash").unwrap());
    }
    sqlx::query("UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(head.0)
        .bind(head.1.clone())
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let reg = &env.reg;
    let chain = reg.verify_chain().await.unwrap();
    assert!(chain.ok(), "{chain:?}");
    assert_eq!(chain.head_hash, head.1);
    let rebuilt = reg.rebuild().await.unwrap();
    assert_eq!(rebuilt.events, head.0);
    assert!(reg.verify_state().await.unwrap().ok());

    // The rebuilt rows carry exactly what the previous version stored.
    let mut want: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for line in STATE.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        want.insert(
            format!(
                "{} {}",
                r["table"].as_str().unwrap(),
                r["key"].as_str().unwrap()
            ),
            r["data"].clone(),
        );
    }
    let snapshot = reg.state_snapshot().await.unwrap();
    let mut have: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for (table, rows) in [
        ("applications", &snapshot["applications"]),
        ("labels", &snapshot["labels"]),
    ] {
        for row in rows.as_array().unwrap() {
            let key = row[0].as_str().unwrap();
            let data = row.as_array().unwrap().last().unwrap().as_str().unwrap();
            have.insert(
                format!("{table} {key}"),
                serde_json::from_str(data).unwrap(),
            );
        }
    }
    assert_eq!(have.len(), want.len());
    for (k, v) in &want {
        assert_eq!(have.get(k), Some(v), "{k}");
    }
    // The old registry goes on: new events append to the old chain.
    let app = env.submit("acme", Level::Star1).await;
    assert!(app.id.starts_with("APP-000013-"), "{}", app.id);
    assert!(reg.verify_chain().await.unwrap().ok());
    env.done().await;
}
