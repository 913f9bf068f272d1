//! The change feed's label filters and entity tags, and the Atom feed, as a
//! feed reader or an aggregator meets them: real listener on loopback, the
//! demo registry on SQLite and on PostgreSQL.

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
use jcstar_registry::testing::TestDb;
use jcstar_registry::{Actor, Backend, LabelStatus, ManualClock, Role};
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_NONE_MATCH};

async fn feeds(backend: Backend) {
    let db = TestDb::new(backend).await.expect("test database");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap(),
    ));
    let reg = db.open(clock).await.expect("open registry");
    jcstar_registry::seed_demo(&reg).await.expect("demo data");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The anonymous limits are tested on their own; here a reader pages
    // through feeds faster than one address may.
    let config = jcstar_web::Config {
        base_url: format!("http://{addr}"),
        rate_limits: jcstar_web::RateLimits::off(),
        ..Default::default()
    };
    let app = jcstar_web::router(reg.clone(), &config);
    let server = tokio::spawn(jcstar_web::serve(listener, app, std::future::pending()));
    let url = |p: &str| format!("http://{addr}{p}");
    let http = reqwest::Client::new();
    let json = |r: reqwest::Response| async move {
        assert_eq!(r.status(), StatusCode::OK);
        r.json::<serde_json::Value>().await.unwrap()
    };

    // Filters: every event returned belongs to a label that matches, and
    // every matching label event is returned.
    let all = json(
        http.get(url("/api/v1/feed?limit=1000"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let all = all["events"].as_array().unwrap().clone();
    let label = |n: &str| {
        let reg = reg.clone();
        let n = n.to_string();
        async move { reg.label(&n).await.unwrap() }
    };
    for (query, keep) in [
        (
            "level=3",
            Box::new(|l: &jcstar_registry::Label| l.level.number() == 3)
                as Box<dyn Fn(&jcstar_registry::Label) -> bool>,
        ),
        (
            "status=revoked",
            Box::new(|l: &jcstar_registry::Label| l.status == LabelStatus::Revoked),
        ),
        (
            "status=expired",
            Box::new(|l: &jcstar_registry::Label| l.status == LabelStatus::Expired),
        ),
        (
            "company=%E3%81%95%E3%81%8F%E3%82%89",
            Box::new(|l: &jcstar_registry::Label| l.applicant.company.contains("さくら")),
        ),
        (
            // Full-width and upper case: compared as search compares.
            "company=%EF%BC%AB%EF%BC%B5%EF%BC%AD%EF%BC%AF",
            Box::new(|l: &jcstar_registry::Label| {
                l.applicant.company.to_lowercase().contains("kumo")
            }),
        ),
        (
            "type=camera&level=1",
            Box::new(|l: &jcstar_registry::Label| {
                l.level.number() == 1
                    && l.products.iter().any(|p| p.product_type.contains("camera"))
            }),
        ),
    ] {
        let got = json(
            http.get(url(&format!("/api/v1/feed?limit=1000&{query}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let got: Vec<i64> = got["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        let mut want = Vec::new();
        for e in &all {
            if keep(&label(e["label_number"].as_str().unwrap()).await) {
                want.push(e["seq"].as_i64().unwrap());
            }
        }
        assert!(!want.is_empty(), "{query}: the demo data has no such label");
        assert_eq!(got, want, "{query}");
    }
    // A filtered feed followed page by page gives the same events as one
    // large page.
    let mut after = 0i64;
    let mut paged = Vec::new();
    for _ in 0..100 {
        let p = json(
            http.get(url(&format!(
                "/api/v1/feed?type=camera&limit=1&since_seq={after}"
            )))
            .send()
            .await
            .unwrap(),
        )
        .await;
        paged.extend(
            p["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_i64().unwrap()),
        );
        match p["next_after_seq"].as_i64() {
            Some(n) => after = n,
            None => break,
        }
    }
    let whole = json(
        http.get(url("/api/v1/feed?type=camera&limit=1000"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let whole: Vec<i64> = whole["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert!(whole.len() > 1);
    assert_eq!(paged, whole);
    let bad = http.get(url("/api/v1/feed?level=7")).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Entity tags: the same question gets 304 until the log moves on.
    let first = http
        .get(url("/api/v1/feed?status=active"))
        .send()
        .await
        .unwrap();
    let tag = first.headers()[ETAG].to_str().unwrap().to_string();
    let again = http
        .get(url("/api/v1/feed?status=active"))
        .header(IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let other = http
        .get(url("/api/v1/feed?status=revoked"))
        .header(IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        StatusCode::OK,
        "another question, another tag"
    );
    let operator = Actor::local(Role::Operator, "", "Feed Test Operator");
    let active = reg
        .search(&jcstar_registry::SearchQuery {
            status: Some(LabelStatus::Active),
            ..Default::default()
        })
        .await
        .unwrap();
    let target = active.items[0].number.clone();
    reg.withdraw_label(&operator, &target, "<b>product discontinued</b> & replaced")
        .await
        .unwrap();
    let moved = http
        .get(url("/api/v1/feed?status=active"))
        .header(IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::OK);
    assert_ne!(moved.headers()[ETAG].to_str().unwrap(), tag);

    // Atom: parses, newest first, Japanese by default, text escaped, and
    // the withdrawal with its reason is the newest entry.
    let resp = http.get(url("/feed.atom")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let tag = resp.headers()[ETAG].to_str().unwrap().to_string();
    let body = resp.bytes().await.unwrap();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(!text.contains("<b>product"), "reason not escaped: {text}");
    let feed = atom_syndication::Feed::read_from(&body[..]).unwrap();
    assert!(feed.title().as_str().contains("ラベル"));
    let entries = feed.entries();
    assert!(entries.len() > 3);
    assert!(entries.windows(2).all(|w| w[0].updated() >= w[1].updated()));
    let newest = &entries[0];
    assert!(
        newest.title().as_str().starts_with(&target),
        "{}",
        newest.title().as_str()
    );
    assert_eq!(
        newest.summary().map(|s| s.as_str()),
        Some("<b>product discontinued</b> & replaced")
    );
    assert!(
        newest.links()[0]
            .href()
            .ends_with(&format!("/labels/{target}?lang=ja"))
    );
    let again = http
        .get(url("/feed.atom"))
        .header(IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let en = http
        .get(url("/feed.atom?lang=en&status=withdrawn"))
        .send()
        .await
        .unwrap();
    let feed = atom_syndication::Feed::read_from(&en.bytes().await.unwrap()[..]).unwrap();
    assert!(feed.title().as_str().contains("label events"));
    assert!(
        feed.entries()
            .iter()
            .any(|e| e.title().as_str().starts_with(&target))
    );
    let unknown = http.get(url("/feed.atom?vendor=x")).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);

    server.abort();
    reg.close().await;
    db.cleanup().await.ok();
}

#[tokio::test]
async fn feeds_sqlite() {
    feeds(Backend::Sqlite).await;
}

#[tokio::test]
async fn feeds_postgres() {
    feeds(Backend::Postgres).await;
}
