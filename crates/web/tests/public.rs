//! The server as the public meets it: slow and numerous clients, rate
//! limits, the chain status, bounded searches, output safety. Real
//! listeners on loopback, raw TCP where a well-behaved client library would
//! hide the behaviour, real SQLite files and PostgreSQL schemas.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use jcstar_registry::testing::TestDb;
use jcstar_registry::{
    Actor, ApplicationSubmission, Backend, Fee, InquiryOutcome, ManualClock, Registry, Role,
};
use jcstar_web::{Budget, RateLimits, ServeOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Server {
    addr: SocketAddr,
    reg: Registry,
    db: Option<TestDb>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(backend: Backend, limits: RateLimits, opts: ServeOptions) -> Server {
        let db = TestDb::new(backend).await.expect("test database");
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 4, 1, 3, 0, 0).unwrap(),
        ));
        let reg = db.open(clock).await.expect("open registry");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let config = jcstar_web::Config {
            base_url: format!("http://{addr}"),
            rate_limits: limits,
            ..Default::default()
        };
        let app = jcstar_web::router(reg.clone(), &config);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(jcstar_web::serve_with(listener, app, opts, async move {
            let _ = rx.await;
        }));
        Server {
            addr,
            reg,
            db: Some(db),
            stop: Some(tx),
            task,
        }
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.task).await;
        self.task.abort();
        self.reg.close().await;
        if let Some(db) = self.db.take() {
            db.cleanup().await.expect("drop test schema");
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A client whose connections come from `source` (any 127.x address is
    /// this machine's loopback).
    fn client_from(source: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .local_address(source.parse::<IpAddr>().unwrap())
            .build()
            .unwrap()
    }
}

fn op() -> Actor {
    Actor::local(Role::Operator, "operator", "test")
}

fn submission(company: &str) -> ApplicationSubmission {
    serde_json::from_value(json!({
        "org": "acme",
        "level": 1,
        "applicant": {"company": company, "address": "1-2-3 Chiyoda, Tokyo", "contact": "+81-3-1234-5678"},
        "products": [{"name": "Camera", "model_numbers": ["CAM-1"],
                      "firmware_versions": ["1.0.0"], "product_type": "network camera"}],
        "disclosure_contact": "psirt@example.jp",
        // The application is its checklist: the sheet says the same.
        "checklist": jcstar_registry::demo::checklist_for(
            company, "1-2-3 Chiyoda, Tokyo", "Camera", "network camera", &["CAM-1"], &["1.0.0"])
    }))
    .unwrap()
}

/// A label of `company`, issued directly through the registry.
async fn issued(reg: &Registry, company: &str) -> String {
    let vendor = Actor::local(Role::Vendor, "acme", "test");
    let op = op();
    let app = reg
        .submit_application(&vendor, submission(company))
        .await
        .unwrap();
    reg.request_inquiry(&op, &app.id, "SC-1").await.unwrap();
    reg.answer_inquiry(&op, &app.id, InquiryOutcome::Clear, "SC-1-A")
        .await
        .unwrap();
    reg.accept_application(&op, &app.id, None).await.unwrap();
    let fee = Fee {
        amount_yen: 1,
        paid_on: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        reference: "F".into(),
    };
    reg.record_fee(&op, &app.id, fee).await.unwrap();
    reg.issue_label(&op, &app.id, None).await.unwrap().number
}

/// Everything the server sends on `stream` until it closes the connection
/// or `limit` passes; the bool says whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (out, false),
        }
    }
}

/// The status line's code of a raw HTTP answer.
fn status_of(raw: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(raw);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"))
}

// ---- slow and numerous clients (no storage involved: SQLite only) ---------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off_within_ten_seconds() {
    assert_eq!(
        ServeOptions::default().header_read_timeout,
        Duration::from_secs(10)
    );
    let s = Server::start(
        Backend::Sqlite,
        RateLimits::default(),
        ServeOptions::default(),
    )
    .await;
    // Part of a head, then silence.
    let mut partial = TcpStream::connect(s.addr).await.unwrap();
    partial
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // A slowloris: one header byte every half second, never the end.
    let mut trickle = TcpStream::connect(s.addr).await.unwrap();
    let started = Instant::now();
    let trickler = tokio::spawn(async move {
        let head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        for b in head {
            if trickle.write_all(&[*b]).await.is_err() {
                return (started.elapsed(), true);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let (_, closed) = read_until_closed(&mut trickle, Duration::from_secs(5)).await;
        (started.elapsed(), closed)
    });
    let (_, closed) = read_until_closed(&mut partial, Duration::from_secs(13)).await;
    assert!(closed, "a partial head must be closed within the bound");
    assert!(
        started.elapsed() >= Duration::from_secs(8),
        "closed too early: {:?}",
        started.elapsed()
    );
    let (after, closed) = trickler.await.unwrap();
    assert!(closed, "a trickling head must be cut off");
    assert!(after < Duration::from_secs(16), "cut off after {after:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let s = Server::start(
        Backend::Sqlite,
        RateLimits::default(),
        ServeOptions {
            header_read_timeout: Duration::from_secs(2),
            ..ServeOptions::default()
        },
    )
    .await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = c.read(&mut buf).await.unwrap();
    assert_eq!(status_of(&buf[..n]), 200);
    // Kept alive, then idle: closed once the head timeout passes.
    let (_, closed) = read_until_closed(&mut c, Duration::from_secs(6)).await;
    assert!(closed, "an idle keep-alive connection must be closed");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_bounded_per_address_and_in_total() {
    let s = Server::start(
        Backend::Sqlite,
        RateLimits::default(),
        ServeOptions {
            max_connections: 3,
            max_connections_per_address: 2,
            ..ServeOptions::default()
        },
    )
    .await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    // Per address: two idle connections from 127.0.0.1; a third is closed
    // at once, while another address still gets in.
    let a1 = TcpStream::connect(s.addr).await.unwrap();
    let a2 = TcpStream::connect(s.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut a3 = TcpStream::connect(s.addr).await.unwrap();
    let _ = a3.write_all(request).await;
    let (got, closed) = read_until_closed(&mut a3, Duration::from_secs(3)).await;
    assert!(closed && got.is_empty(), "third connection of one address");

    // In total: 127.0.0.2 takes the last slot; a fourth connection waits
    // (no answer) until a slot frees.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut b1 = sock.connect(s.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind("127.0.0.3:0".parse().unwrap()).unwrap();
    let mut c1 = sock.connect(s.addr).await.unwrap();
    c1.write_all(request).await.unwrap();
    let (got, closed) = read_until_closed(&mut c1, Duration::from_millis(800)).await;
    assert!(!closed && got.is_empty(), "over the total: must wait");
    drop((a1, a2));
    let (got, _) = read_until_closed(&mut c1, Duration::from_secs(5)).await;
    assert_eq!(status_of(&got), 200);
    b1.write_all(request).await.unwrap();
    let (got, _) = read_until_closed(&mut b1, Duration::from_secs(5)).await;
    assert_eq!(status_of(&got), 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_content_length_is_refused_at_once() {
    let s = Server::start(
        Backend::Sqlite,
        RateLimits::default(),
        ServeOptions::default(),
    )
    .await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(
        b"POST /api/v1/applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 1000000000000\r\n\r\n{",
    )
    .await
    .unwrap();
    let (got, _) = read_until_closed(&mut c, Duration::from_secs(3)).await;
    assert!(!got.is_empty(), "no answer within 3 s");
    assert_eq!(status_of(&got), 413);
    let text = String::from_utf8_lossy(&got);
    assert!(text.contains("Content-Length"), "{text}");
    s.stop().await;
}

// ---- rate limits (tokens are looked up in the database: both backends) -----

async fn anonymous_budgets_and_tokens(backend: Backend) {
    let limits = RateLimits {
        cheap: Budget {
            per_second: 1,
            burst: 5,
        },
        expensive: Budget {
            per_second: 1,
            burst: 3,
        },
        ..RateLimits::default()
    };
    let s = Server::start(backend, limits, ServeOptions::default()).await;
    let number = issued(&s.reg, "Acme K.K.").await;
    let token = s
        .reg
        .create_token(Role::Operator, "", "ops")
        .await
        .unwrap()
        .plaintext;
    let busy = Server::client_from("127.0.0.1");
    let other = Server::client_from("127.0.0.2");
    let search = s.url("/api/v1/labels?q=acme");
    let page = s.url(&format!("/labels/{number}"));

    // Searches from one address: the burst, then 429 with Retry-After.
    for i in 0..3 {
        let r = busy.get(&search).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "search {i}");
    }
    let r = busy.get(&search).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Retry-After"));
    // The HTML search shares the budget and says so in both languages.
    let r = busy.get(s.url("/search?q=acme")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    let text = r.text().await.unwrap();
    assert!(text.contains("アクセスが集中") && text.contains("Too many requests"));

    // The same address's product pages draw from their own budget.
    let r = busy.get(&page).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // ... which is finite too.
    let mut refused = false;
    for _ in 0..10 {
        if busy.get(&page).send().await.unwrap().status() == StatusCode::TOO_MANY_REQUESTS {
            refused = true;
            break;
        }
    }
    assert!(refused, "the cheap budget must end too");

    // Another address is not slowed by the first one.
    assert_eq!(
        other.get(&page).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        other.get(&search).send().await.unwrap().status(),
        StatusCode::OK
    );

    // A valid token is not limited by the anonymous buckets; an invalid
    // one does not get around them.
    for _ in 0..6 {
        let r = busy.get(&search).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = busy
        .get(&search)
        .bearer_auth("jcs_000000000000_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    s.stop().await;
}

// ---- the chain status --------------------------------------------------------

async fn chain_status_is_incremental_from_its_checkpoint(backend: Backend) {
    use sqlx::Executor;
    let s = Server::start(backend, RateLimits::off(), ServeOptions::default()).await;
    issued(&s.reg, "Acme K.K.").await;
    issued(&s.reg, "Beta K.K.").await;
    let http = reqwest::Client::new();
    let get = || async {
        let r = http.get(s.url("/api/v1/chain")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json::<Value>().await.unwrap()
    };
    let full = s.reg.verify_chain().await.unwrap();
    let first = get().await;
    assert_eq!(first["events"], json!(full.events));
    assert_eq!(first["head_hash"], json!(full.head_hash));
    assert!(first["first_broken"].is_null());

    // Someone with DDL rights edits an event that was already verified,
    // keeping its stored hash: the full verification finds it, the
    // status (which does not re-hash verified events) does not.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&s.db.as_ref().unwrap().url)
        .await
        .unwrap();
    match backend {
        Backend::Sqlite => pool.execute("DROP TRIGGER events_no_update").await.unwrap(),
        Backend::Postgres => pool
            .execute("DROP TRIGGER events_no_update ON events")
            .await
            .unwrap(),
    };
    pool.execute("UPDATE events SET payload = '{\"reference\":\"forged\"}' WHERE seq = 3")
        .await
        .unwrap();
    let again = get().await;
    assert!(again["first_broken"].is_null(), "{again}");
    assert_eq!(again["events"], json!(full.events));
    let report = s.reg.verify_chain().await.unwrap();
    assert_eq!(report.first_broken.unwrap().seq, 3);

    // New events are verified as they come: an altered new event is found.
    issued(&s.reg, "Gamma K.K.").await;
    let (head, _) = {
        let r = get().await;
        assert!(r["first_broken"].is_null(), "{r}");
        (r["events"].as_i64().unwrap(), r)
    };
    assert!(head > full.events);
    issued(&s.reg, "Delta K.K.").await;
    let target = head + 2;
    pool.execute(sqlx::AssertSqlSafe(format!(
        "UPDATE events SET reason = 'forged' WHERE seq = {target}"
    )))
    .await
    .unwrap();
    let r = get().await;
    assert_eq!(r["first_broken"]["seq"], json!(target), "{r}");
    assert!(
        r["first_broken"]["problem"]
            .as_str()
            .unwrap()
            .contains("altered")
    );

    // The checkpointed event itself changed: found without a full run.
    pool.execute(sqlx::AssertSqlSafe(format!(
        "UPDATE events SET hash = '{}' WHERE seq = {}",
        "f".repeat(64),
        target - 1
    )))
    .await
    .unwrap();
    let r = get().await;
    assert_eq!(r["first_broken"]["seq"], json!(target - 1), "{r}");
    pool.close().await;
    s.stop().await;
}

async fn chain_status_catches_up_in_bounded_batches(backend: Backend) {
    let s = Server::start(backend, RateLimits::off(), ServeOptions::default()).await;
    issued(&s.reg, "Acme K.K.").await;
    let full = s.reg.verify_chain().await.unwrap();
    assert!(full.events > 4);
    // A fresh database has its checkpoint at 0: the log is walked 2 events
    // per call, each call reporting how far it got.
    let db2 = TestDb::new(backend).await.unwrap();
    let reg2 = db2
        .open(Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 4, 1, 3, 0, 0).unwrap(),
        )))
        .await
        .unwrap();
    issued(&reg2, "Acme K.K.").await;
    let mut seen = Vec::new();
    loop {
        let r = reg2.chain_status_batch(2).await.unwrap();
        assert!(r.ok(), "{r:?}");
        seen.push(r.events);
        if r.events == full.events {
            break;
        }
        assert!(seen.len() < 100);
    }
    assert_eq!(seen[0], 2);
    assert!(seen.windows(2).all(|w| w[1] - w[0] <= 2 && w[1] > w[0]));
    reg2.close().await;
    db2.cleanup().await.unwrap();
    s.stop().await;
}

// ---- short and Japanese searches ------------------------------------------------

async fn short_and_full_width_searches_reach_every_label(backend: Backend) {
    let s = Server::start(backend, RateLimits::off(), ServeOptions::default()).await;
    let old = issued(&s.reg, "Zq Works K.K.").await;
    jcstar_registry::seed_bulk(&s.reg, 300).await.unwrap();
    let http = reqwest::Client::new();
    let numbers = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_str().unwrap().to_string())
            .collect()
    };
    let get = |path: &str| {
        let http = http.clone();
        let url = s.url(path);
        async move {
            let r = http.get(url).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    // Two characters, one character, full-width: the oldest label is found
    // among the 301, with the count.
    for path in [
        "/api/v1/labels?q=zq",
        "/api/v1/labels?company=zq",
        "/api/v1/labels?company=Z&q=%EF%BC%BA%EF%BD%91",
        "/api/v1/labels?company=%EF%BC%BA%EF%BD%91%E3%80%80%EF%BC%B7%EF%BD%8F%EF%BD%92%EF%BD%8B%EF%BD%93",
    ] {
        let v = get(path).await;
        assert_eq!(numbers(&v), std::slice::from_ref(&old), "{path}");
        assert_eq!(v["total"], 1, "{path}");
    }
    // A count over all pages, and pages that add up to it.
    let first = get("/api/v1/labels?q=-b&per_page=200").await;
    let total = first["total"].as_u64().unwrap();
    assert!(total >= 300, "{first}");
    let second = get("/api/v1/labels?q=-b&per_page=200&page=2").await;
    assert_eq!(
        numbers(&first).len() + numbers(&second).len(),
        total as usize
    );
    // The HTML search shows the count.
    let page = http
        .get(s.url("/search?q=zq&lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("1 found"), "{page}");
    let page = http
        .get(s.url("/search?q=-b"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("{total}件")), "{page}");
    s.stop().await;
}

// ---- output safety ------------------------------------------------------------

async fn csv_exports_neutralise_formulas(backend: Backend) {
    let s = Server::start(backend, RateLimits::off(), ServeOptions::default()).await;
    issued(&s.reg, "=HYPERLINK(\"http://evil.example\",\"x\")").await;
    issued(&s.reg, "@SUM(1+1)").await;
    issued(&s.reg, "株式会社テスト").await;
    let http = reqwest::Client::new();
    let csv = http
        .get(s.url("/api/v1/export/labels.csv"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(csv.starts_with(b"registration_number,"));
    let mut r = csv::Reader::from_reader(&csv[..]);
    let companies: Vec<String> = r.records().map(|rec| rec.unwrap()[3].to_string()).collect();
    assert_eq!(
        companies,
        [
            "'=HYPERLINK(\"http://evil.example\",\"x\")",
            "'@SUM(1+1)",
            "株式会社テスト"
        ]
    );
    // The contact +81-... is a formula to a spreadsheet too.
    assert!(String::from_utf8_lossy(&csv).contains(",'+81-3-1234-5678,"));
    let excel = http
        .get(s.url("/api/v1/export/labels.csv?excel=1"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&excel[..3], b"\xEF\xBB\xBF");
    assert_eq!(&excel[3..], &csv[..]);
    // The CLI's path: the registry's own export.
    let mut out = Vec::new();
    s.reg.export_csv(&mut out).await.unwrap();
    assert_eq!(out, csv.to_vec());
    s.stop().await;
}

async fn every_answer_carries_security_headers(backend: Backend) {
    let s = Server::start(backend, RateLimits::off(), ServeOptions::default()).await;
    let number = issued(&s.reg, "Acme K.K.").await;
    let http = reqwest::Client::new();
    for path in [
        "/".to_string(),
        "/search?q=acme".into(),
        format!("/labels/{number}"),
        format!("/labels/{number}/label.svg"),
        "/labels/JCS1-2026-999999-X".into(),
        "/nowhere".into(),
        "/api/v1/labels".into(),
        "/api/v1/nowhere".into(),
        "/static/site.css".into(),
    ] {
        let r = http.get(s.url(&path)).send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        let ctype = h["content-type"].to_str().unwrap().to_string();
        let body = r.text().await.unwrap();
        if ctype.starts_with("text/html") {
            // Nothing inline that the policy would block.
            assert!(!body.contains("<style"), "{path}");
            assert!(!body.contains(" style="), "{path}");
            assert!(!body.contains("<script"), "{path}");
            assert!(body.contains(r#"href="/static/site.css""#), "{path}");
        }
    }
    s.stop().await;
}

async fn the_public_feed_names_organisations_not_staff(backend: Backend) {
    let s = Server::start(backend, RateLimits::off(), ServeOptions::default()).await;
    let op_token = s
        .reg
        .create_token(Role::Operator, "ipa", "Operator Desk 3")
        .await
        .unwrap();
    let vendor = s
        .reg
        .create_token(Role::Vendor, "acme", "Vendor Staff 7")
        .await
        .unwrap();
    // Writes over HTTP, so the events carry the tokens.
    let http = reqwest::Client::new();
    let post = |path: String, token: String, body: Value| {
        let http = http.clone();
        let url = s.url(&path);
        async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let st = r.status();
            let v: Value = r.json().await.unwrap();
            assert!(st.is_success(), "{path}: {st} {v}");
            v
        }
    };
    let mut sub = serde_json::to_value(submission("Acme K.K.")).unwrap();
    sub["org"] = json!("acme");
    let app = post("/api/v1/applications".into(), vendor.plaintext.clone(), sub).await;
    let id = app["id"].as_str().unwrap().to_string();
    let p = |x: &str| format!("/api/v1/applications/{id}/{x}");
    let op = op_token.plaintext.clone();
    post(p("inquiry"), op.clone(), json!({"reference": "S"})).await;
    post(
        p("inquiry/answer"),
        op.clone(),
        json!({"outcome": "clear", "reference": "S"}),
    )
    .await;
    post(p("accept"), op.clone(), json!({})).await;
    post(
        p("fee"),
        op.clone(),
        json!({"amount_yen": 1, "paid_on": "2026-04-01", "reference": "F"}),
    )
    .await;
    let label = post(p("issue"), op.clone(), json!({})).await;
    let number = label["number"].as_str().unwrap();

    let public = http
        .get(s.url("/api/v1/feed"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let feed: Value = serde_json::from_str(&public).unwrap();
    assert!(!feed["events"].as_array().unwrap().is_empty());
    for secret in [
        "Operator Desk 3",
        "Vendor Staff 7",
        &op_token.id,
        &vendor.id,
    ] {
        assert!(!public.contains(secret), "public feed shows {secret}");
    }
    assert!(feed["events"][0]["actor"]["org"].is_string());
    for path in [
        format!("/labels/{number}"),
        format!("/api/v1/labels/{number}"),
    ] {
        let page = http
            .get(s.url(&path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!page.contains("Operator Desk 3") && !page.contains(&op_token.id));
    }
    // The operator's full feed keeps them (the audit trail).
    let all = http
        .get(s.url("/api/v1/feed?scope=all"))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(all.contains("Operator Desk 3"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_not_found_page_never_links_to_another_host() {
    let s = Server::start(Backend::Sqlite, RateLimits::off(), ServeOptions::default()).await;
    for target in ["//evil.example/x", "/\\evil.example/x", "//evil.example"] {
        let mut c = TcpStream::connect(s.addr).await.unwrap();
        c.write_all(
            format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let (got, _) = read_until_closed(&mut c, Duration::from_secs(5)).await;
        let text = String::from_utf8_lossy(&got);
        assert!(!text.contains("evil.example"), "{target}: {text}");
    }
    s.stop().await;
}

// ---- label images of labels that are not active ------------------------------

async fn images_of_labels_that_are_not_active_say_so(backend: Backend) {
    let s = Server::start(backend, RateLimits::off(), ServeOptions::default()).await;
    let active = issued(&s.reg, "Acme K.K.").await;
    let revoked = issued(&s.reg, "Beta K.K.").await;
    let order = jcstar_registry::SurveillanceOrder {
        reason: "r".into(),
        evidence_demanded: "e".into(),
        correction_deadline: s.reg.today() + chrono::Duration::days(10),
    };
    s.reg
        .open_surveillance(&op(), &revoked, order)
        .await
        .unwrap();
    s.reg
        .revoke_label(&op(), &revoked, "evidence was not produced", Some("test"))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let fetch = |path: String| {
        let http = http.clone();
        let url = s.url(&path);
        async move {
            let r = http.get(url).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            r.bytes().await.unwrap().to_vec()
        }
    };
    let svg = String::from_utf8(fetch(format!("/labels/{revoked}/label.svg")).await).unwrap();
    assert!(svg.contains("<title>REVOKED</title>"), "{svg:.300}");
    assert!(svg.contains("(REVOKED)"));
    let svg_ok = String::from_utf8(fetch(format!("/labels/{active}/label.svg")).await).unwrap();
    assert!(!svg_ok.contains("REVOKED") && !svg_ok.contains(r#"id="status""#));

    let red_at_band = |png: &[u8]| {
        let img = image::load_from_memory(png).unwrap().to_rgb8();
        let p = img.get_pixel(2 * 200, 2 * 120);
        p[0] > 180 && p[1] < 80 && p[2] < 90
    };
    let png = fetch(format!("/labels/{revoked}/label.png")).await;
    assert!(red_at_band(&png), "the revoked label's PNG shows the band");
    // Its QR code still leads to the page that explains the status.
    let gray = image::load_from_memory(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(gray);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    assert_eq!(
        grids[0].decode().unwrap().1,
        s.url(&format!("/labels/{revoked}"))
    );
    let png_ok = fetch(format!("/labels/{active}/label.png")).await;
    assert!(!red_at_band(&png_ok));
    s.stop().await;
}

jcstar_registry::both!(
    anonymous_budgets_and_tokens,
    chain_status_is_incremental_from_its_checkpoint,
    chain_status_catches_up_in_bounded_batches,
    short_and_full_width_searches_reach_every_label,
    csv_exports_neutralise_formulas,
    every_answer_carries_security_headers,
    the_public_feed_names_organisations_not_staff,
    images_of_labels_that_are_not_active_say_so,
);
