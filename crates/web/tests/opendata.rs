//! The published key set and the signed daily snapshots as a buyer meets
//! them: download, verify offline, and nothing else of the directory
//! reachable. Real listener on loopback, real SQLite file.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use jcstar_registry::signing::{self, KeyDir, KeySet};
use jcstar_registry::testing::TestDb;
use jcstar_registry::{Backend, ManualClock, snapshot};
use reqwest::StatusCode;

#[tokio::test]
async fn snapshots_are_served_as_signed_and_verify_with_the_published_keys() {
    let db = TestDb::new(Backend::Sqlite).await.expect("test database");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 4, 1, 3, 0, 0).unwrap(),
    ));
    let reg = db.open(clock).await.expect("open registry");
    jcstar_registry::seed_demo(&reg).await.expect("demo data");
    let tmp = tempfile::tempdir().unwrap();
    let keys = Arc::new(KeyDir::create(&tmp.path().join("keys"), reg.now()).unwrap());
    let dir = tmp.path().join("open-data");
    // A file beside the snapshots that must never be served.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("secret.txt"), "not for the public").unwrap();
    let made = snapshot::write_daily(&reg, &keys, &dir, None)
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = jcstar_web::Config {
        base_url: format!("http://{addr}"),
        signer: Some(keys.clone()),
        open_data: Some(dir.clone()),
        ..Default::default()
    };
    let app = jcstar_web::router(reg.clone(), &config);
    let server = tokio::spawn(jcstar_web::serve(listener, app, std::future::pending()));
    let url = |p: &str| format!("http://{addr}{p}");
    let http = reqwest::Client::new();

    let resp = http
        .get(url("/.well-known/jcstar-keys.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let published = KeySet::parse(&resp.bytes().await.unwrap(), "keys".as_ref()).unwrap();
    assert_eq!(published.active().unwrap().kid, keys.kid());

    let page = http.get(url("/open-data")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let names = snapshot::file_names(made.date);
    for n in &names {
        assert!(html.contains(&format!("/open-data/{n}")), "{n} not listed");
    }
    assert!(html.contains("署名付き日次スナップショット"));
    assert!(!html.contains("secret.txt"));

    for (data, sig) in [
        (&names[0], &names[1]),
        (&names[2], &names[3]),
        (&names[4], &names[5]),
    ] {
        let resp = http
            .get(url(&format!("/open-data/{data}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()[reqwest::header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let body = resp.bytes().await.unwrap();
        let jws = http
            .get(url(&format!("/open-data/{sig}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let ok = signing::verify(&body, &jws, &published).unwrap();
        assert_eq!(ok.claims.subject, snapshot::SNAPSHOT_SUBJECT);
    }

    for bad in [
        "/open-data/secret.txt",
        "/open-data/..%2Fkeys%2Fsigning-key.pem",
        "/open-data/labels-2026-04-01.json%2F..%2F..%2Fkeys%2Fsigning-key.pem",
        "/open-data/labels-1999-01-01.json",
    ] {
        let resp = http.get(url(bad)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{bad}");
        let body = resp.text().await.unwrap();
        assert!(!body.contains("PRIVATE KEY") && !body.contains("not for the public"));
    }
    // Dot segments as raw bytes (an HTTP client would resolve them away
    // before sending).
    for raw in [
        "/open-data/%2e%2e/keys/signing-key.pem",
        "/open-data/../keys/signing-key.pem",
        "/open-data/%2e%2e",
    ] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(
            format!("GET {raw} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).await.unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 404") || answer.starts_with("HTTP/1.1 400"),
            "{raw}: {answer}"
        );
        assert!(!answer.contains("PRIVATE KEY"), "{raw}");
    }
    server.abort();
    reg.close().await;
}

#[tokio::test]
async fn without_keys_nothing_is_published_and_the_page_says_so() {
    let db = TestDb::new(Backend::Sqlite).await.expect("test database");
    let reg = db
        .open(Arc::new(jcstar_registry::SystemClock))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = jcstar_web::router(reg.clone(), &jcstar_web::Config::default());
    let server = tokio::spawn(jcstar_web::serve(listener, app, std::future::pending()));
    let http = reqwest::Client::new();
    let resp = http
        .get(format!("http://{addr}/.well-known/jcstar-keys.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let html = http
        .get(format!("http://{addr}/open-data?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("does not publish signed snapshots"), "{html}");
    server.abort();
    reg.close().await;
}
