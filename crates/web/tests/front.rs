//! The front door answers current product pages before the middleware
//! stack. Its answers must be the stack's, header for header and byte for
//! byte (apart from `Date`): two servers over one registry, one with the
//! front door and one without, get the same requests and are compared, on
//! real SQLite and PostgreSQL, before and after a write.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use jcstar_registry::testing::{LabelSpec, TestDb, issue_label};
use jcstar_registry::{Actor, Backend, ManualClock, Registry, Role};
use jcstar_web::{App, Budget, RateLimits};
use reqwest::StatusCode;

struct Served {
    addr: SocketAddr,
    app: App,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn serve(reg: &Registry, limits: RateLimits, front: bool) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = jcstar_web::Config {
        base_url: "https://registry.example.jp".into(),
        rate_limits: limits,
        ..Default::default()
    };
    let mut app = jcstar_web::router(reg.clone(), &config);
    if !front {
        app = app.without_front();
    }
    let task = tokio::spawn(jcstar_web::serve(
        listener,
        app.clone(),
        std::future::pending(),
    ));
    Served { addr, app, task }
}

/// Status, headers without `Date` (sorted, names lower case) and body.
type Answer = (StatusCode, Vec<(String, String)>, Vec<u8>);

async fn get(http: &reqwest::Client, s: &Served, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = http.get(format!("http://{}{path}", s.addr));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let gzip = resp
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    // A compressed body is compared by its content: the stack streams it
    // (chunked, its own compressor's bytes), the front door sends it whole.
    let mut hs: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(k, _)| {
            k.as_str() != "date"
                && !(gzip && (k.as_str() == "content-length" || k.as_str() == "transfer-encoding"))
        })
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap().to_string()))
        .collect();
    hs.sort();
    let mut body = resp.bytes().await.unwrap().to_vec();
    if gzip {
        use std::io::Read as _;
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut plain)
            .expect("a gzip body");
        body = plain;
    }
    (status, hs, body)
}

fn etag_of(a: &Answer) -> Option<String> {
    a.1.iter()
        .find(|(k, _)| k == "etag")
        .map(|(_, v)| v.clone())
}

async fn open(backend: Backend) -> (TestDb, Registry) {
    let db = TestDb::new(backend).await.expect("test database");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 4, 1, 3, 0, 0).unwrap(),
    ));
    let reg = db.open(clock).await.expect("open registry");
    (db, reg)
}

async fn label(reg: &Registry) -> String {
    issue_label(
        reg,
        LabelSpec {
            org: "acme",
            company: "Acme Devices",
            product: "Front Camera <b>",
            product_type: "network camera",
            models: &["FC-100"],
        },
    )
    .await
    .expect("issue")
    .number
}

async fn same_answers(backend: Backend) {
    let (db, reg) = open(backend).await;
    let number = label(&reg).await;
    let with = serve(&reg, RateLimits::off(), true).await;
    let without = serve(&reg, RateLimits::off(), false).await;
    let http = reqwest::Client::new();

    let page = format!("/labels/{number}");
    let api = format!("/api/v1/labels/{number}");
    let lower = format!("/labels/{}", number.to_lowercase());
    let requests: Vec<(String, Vec<(&str, &str)>)> = vec![
        (page.clone(), vec![]),
        (format!("{page}?lang=en"), vec![]),
        (format!("{page}?lang=ja"), vec![("accept-language", "en")]),
        (page.clone(), vec![("accept-language", "en-US,en;q=0.9")]),
        (page.clone(), vec![("accept-language", "fr, en;q=0.5")]),
        (lower.clone(), vec![]),
        (api.clone(), vec![]),
        (format!("{api}?lang=en"), vec![]),
        // Not the front door's to answer; listed to show both agree anyway.
        (format!("{page}?lang=en&x=1"), vec![]),
        // What browsers send: answered compressed by both.
        (
            page.clone(),
            vec![("accept-encoding", "gzip, deflate, br, zstd")],
        ),
        (api.clone(), vec![("accept-encoding", "GZIP")]),
        (
            page.clone(),
            vec![("accept-encoding", "gzip"), ("accept-language", "en")],
        ),
        // Weights, wildcards and identity are the stack's to negotiate.
        (
            page.clone(),
            vec![("accept-encoding", "br;q=1.0, gzip;q=0.5")],
        ),
        (
            page.clone(),
            vec![("accept-encoding", "gzip;q=0, identity")],
        ),
        (page.clone(), vec![("accept-encoding", "identity;q=0")]),
        (page.clone(), vec![("accept-encoding", "br")]),
        (format!("{api}?lang=xx"), vec![]),
        ("/labels/JCS1-2026-999999-X".into(), vec![]),
        (format!("{page}/label.svg"), vec![]),
    ];
    for round in ["before", "after a revocation"] {
        for (path, headers) in &requests {
            // The first request of each fills the caches; the second is
            // the one the front door may answer.
            let _ = get(&http, &with, path, headers).await;
            let _ = get(&http, &without, path, headers).await;
            let a = get(&http, &with, path, headers).await;
            let b = get(&http, &without, path, headers).await;
            assert_eq!(
                a, b,
                "{round}: GET {path} {headers:?} differs with the front door"
            );
            // A client that holds the page gets 304 from both.
            if a.0 == StatusCode::OK
                && let Some(tag) = etag_of(&a)
            {
                let mut h = headers.clone();
                h.push(("if-none-match", tag.as_str()));
                let a = get(&http, &with, path, &h).await;
                let b = get(&http, &without, path, &h).await;
                assert_eq!(a.0, StatusCode::NOT_MODIFIED, "{round}: {path}");
                assert_eq!(a, b, "{round}: conditional GET {path} differs");
            }
        }
        assert!(
            with.app.front_answers() >= 12,
            "{round}: the front door answered only {} requests",
            with.app.front_answers()
        );
        assert_eq!(without.app.front_answers(), 0);
        if round == "before" {
            // A revocation through the registry: the next answers must
            // show it on both servers, whose caches were filled before.
            let op = Actor::local(Role::Operator, "ipa", "test operator");
            reg.revoke_label(&op, &number, "test revocation", Some("urgent: test"))
                .await
                .expect("revoke");
        }
    }
    let revoked = get(&http, &with, &api, &[]).await;
    let json: serde_json::Value = serde_json::from_slice(&revoked.2).unwrap();
    assert_eq!(json["label"]["status"], "revoked", "{json}");

    with.task.abort();
    without.task.abort();
    reg.close().await;
    db.cleanup().await.expect("drop test schema");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_door_answers_as_the_stack_does_sqlite() {
    same_answers(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_door_answers_as_the_stack_does_postgres() {
    same_answers(Backend::Postgres).await;
}

/// The front door spends the same cheap budget as the stack: past the
/// burst a cached page is refused with 429 and Retry-After, like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_door_keeps_the_rate_limit() {
    let (db, reg) = open(Backend::Sqlite).await;
    let number = label(&reg).await;
    let limits = RateLimits {
        cheap: Budget {
            per_second: 1,
            burst: 4,
        },
        ..RateLimits::default()
    };
    let with = serve(&reg, limits, true).await;
    let http = reqwest::Client::new();
    let page = format!("/labels/{number}");
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(get(&http, &with, &page, &[]).await);
    }
    let codes: Vec<StatusCode> = statuses.iter().map(|a| a.0).collect();
    assert_eq!(&codes[..4], &[StatusCode::OK; 4], "{codes:?}");
    assert_eq!(codes[4], StatusCode::TOO_MANY_REQUESTS, "{codes:?}");
    assert!(
        statuses[4].1.iter().any(|(k, _)| k == "retry-after"),
        "{:?}",
        statuses[4].1
    );
    assert!(with.app.front_answers() >= 3);
    // After the refill one more is served.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(&http, &with, &page, &[]).await.0, StatusCode::OK);
    with.task.abort();
    reg.close().await;
    db.cleanup().await.expect("drop test schema");
}
