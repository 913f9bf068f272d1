//! Security information over HTTP: the vendor attaches an SBOM and a VEX
//! document and publishes an update with its token; the product page (both
//! languages) and the JSON API show each vulnerability's standing, the
//! documents are served at stable addresses; the operator runs the watch
//! and the vendor sees its own list.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use jcstar_registry::testing::{LabelSpec, TestDb, issue_label};
use jcstar_registry::{Backend, ManualClock, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

jcstar_registry::both!(security_information_over_http);

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../vulndb/tests/fixtures")
        .join(name)
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixture(name)).unwrap()).unwrap()
}

async fn security_information_over_http(b: Backend) {
    let db = TestDb::new(b).await.expect("test database");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 4, 1, 3, 0, 0).unwrap(),
    ));
    let reg = db.open(clock.clone()).await.expect("open registry");
    let vulndb = Arc::new(jcstar_vulndb::VulnDb::open(&db.url).await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = jcstar_web::Config {
        base_url: base.clone(),
        rate_limits: jcstar_web::RateLimits::off(),
        vulndb: Some(jcstar_web::VulnStore(vulndb.clone())),
        ..Default::default()
    };
    let app = jcstar_web::router(reg.clone(), &config);
    let task = tokio::spawn(async move {
        let _ = jcstar_web::serve(listener, app, std::future::pending()).await;
    });
    let label = issue_label(
        &reg,
        LabelSpec {
            org: "acme",
            company: "<b>Acme</b>",
            product: "Camera",
            product_type: "network camera",
            models: &["CAM-1"],
        },
    )
    .await
    .unwrap();
    let n = label.number.clone();
    let vendor = reg
        .create_token(Role::Vendor, "acme", "v")
        .await
        .unwrap()
        .plaintext;
    let other = reg
        .create_token(Role::Vendor, "other", "o")
        .await
        .unwrap()
        .plaintext;
    let op = reg
        .create_token(Role::Operator, "", "op")
        .await
        .unwrap()
        .plaintext;
    let http = reqwest::Client::new();
    let post = |path: String, token: Option<String>, body: Value| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move {
            let mut req = http.post(url).json(&body);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.unwrap();
            let s = r.status();
            let v: Value = r.json().await.unwrap();
            (s, v)
        }
    };
    let get = |path: String, token: Option<String>| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move {
            let mut req = http.get(url);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.unwrap();
            let s = r.status();
            (s, r.text().await.unwrap())
        }
    };

    // No token: 401; another vendor: 403.
    let sbom =
        json!({"firmware_version": "1.0.0", "document": fixture_json("sbom-cyclonedx-1.5.json")});
    let (s, _) = post(format!("/api/v1/labels/{n}/sboms"), None, sbom.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = post(
        format!("/api/v1/labels/{n}/sboms"),
        Some(other),
        sbom.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, l) = post(
        format!("/api/v1/labels/{n}/sboms"),
        Some(vendor.clone()),
        sbom,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    let sha = l["security"]["sboms"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();

    // A VEX statement without justification: 422 naming the field.
    let mut bad = fixture_json("vex-openvex.json");
    bad["statements"][0]
        .as_object_mut()
        .unwrap()
        .remove("justification");
    bad["statements"][0]
        .as_object_mut()
        .unwrap()
        .remove("impact_statement");
    let (s, e) = post(
        format!("/api/v1/labels/{n}/vex"),
        Some(vendor.clone()),
        json!({"document": bad}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("statements[0].justification"), "{e}");
    let (s, l) = post(
        format!("/api/v1/labels/{n}/vex"),
        Some(vendor.clone()),
        json!({"document": fixture_json("vex-openvex.json")}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    let (s, l) = post(
        format!("/api/v1/labels/{n}/updates"),
        Some(vendor.clone()),
        json!({"version": "1.0.1", "released_on": "2026-04-01", "notes": "<script>x</script>",
               "fixes": ["CVE-2022-48174"], "how_to_apply": "<i>auto</i>"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{l}");

    let csaf: Value = serde_json::from_str(include_str!(
        "../../registry/tests/fixtures/csaf-advisory.json"
    ))
    .unwrap();
    // Affected, fix still to come: the watch below must still list it.
    let mut csaf = csaf;
    csaf["vulnerabilities"][0]["product_status"] = json!({"known_affected": ["CAM-1.0.0"]});
    let mut bad = csaf.clone();
    bad["vulnerabilities"][0]["product_status"]["known_affected"][0] = json!("CAM-9");
    let (s, e) = post(
        format!("/api/v1/labels/{n}/advisories"),
        Some(vendor.clone()),
        json!({"document": bad}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e.to_string()
            .contains("vulnerabilities[0].product_status.known_affected[0]"),
        "{e}"
    );
    let (s, l) = post(
        format!("/api/v1/labels/{n}/advisories"),
        Some(vendor.clone()),
        json!({"document": csaf}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    let csaf_sha = l["security"]["advisories"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = get(format!("/api/v1/labels/{n}/documents/{csaf_sha}"), None).await;
    assert_eq!(s, StatusCode::OK);

    // The registry as a CSAF provider: metadata → ROLIE feed → advisory.
    let (s, meta) = get("/.well-known/csaf/provider-metadata.json".into(), None).await;
    assert_eq!(s, StatusCode::OK);
    let meta: Value = serde_json::from_str(&meta).unwrap();
    assert_eq!(meta["role"], "csaf_provider");
    assert_eq!(meta["metadata_version"], "2.0");
    let feed_url = meta["distributions"][0]["rolie"]["feeds"][0]["url"]
        .as_str()
        .unwrap();
    let (s, feed) = get(feed_url.trim_start_matches(&base).to_string(), None).await;
    assert_eq!(s, StatusCode::OK);
    let feed: Value = serde_json::from_str(&feed).unwrap();
    let entry = &feed["feed"]["entry"][0];
    assert_eq!(entry["id"], "ACME-SA-2026-001");
    let src = entry["content"]["src"].as_str().unwrap();
    assert!(
        src.ends_with(&format!("/api/v1/labels/{n}/documents/{csaf_sha}")),
        "{src}"
    );

    // The document at its stable address, byte for byte.
    let (s, body) = get(format!("/api/v1/labels/{n}/documents/{sha}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(jcstar_registry::secinfo::sha256_hex(body.as_bytes()), sha);
    let (s, _) = get(
        format!("/api/v1/labels/{n}/documents/{}", "0".repeat(64)),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The page: standings, escaped text, both languages.
    let (s, page) = get(format!("/labels/{n}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("脆弱性ごとの状況"), "{page}");
    assert!(page.contains("CVE-2023-48795") && page.contains("影響なし"));
    assert!(page.contains("CVE-2022-48174") && page.contains("修正済み"));
    assert!(page.contains("&#60;script&#62;x") && !page.contains("<script>x"));
    assert!(page.contains("&#60;i&#62;auto") && !page.contains("<i>auto"));
    assert!(page.contains(&format!("/api/v1/labels/{n}/documents/{sha}")));
    assert!(page.contains("セキュリティアドバイザリ（CSAF）") && page.contains("ACME-SA-2026-001"));
    let (_, page) = get(format!("/labels/{n}?lang=en"), None).await;
    assert!(page.contains("Not affected") && page.contains("Fixed"));
    let (_, json) = get(format!("/api/v1/labels/{n}"), None).await;
    let json: Value = serde_json::from_str(&json).unwrap();
    let standing = |id: &str| {
        json["vulnerability_status"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["standing"].clone())
    };
    assert_eq!(standing("CVE-2023-48795"), Some(json!("not_affected")));
    assert_eq!(standing("CVE-2022-48174"), Some(json!("fixed")));

    // The watch: a record arrives, the operator runs it, the vendor sees it.
    vulndb
        .import(&[
            fixture("osv/GHSA-jfh8-c2jp-5v3q.json"),
            fixture("known_exploited_vulnerabilities.json"),
        ])
        .await
        .unwrap();
    let (s, _) = post("/api/v1/watch".into(), Some(vendor.clone()), json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, r) = post("/api/v1/watch".into(), Some(op.clone()), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["items"][0]["number"], n.as_str());
    assert_eq!(r["items"][0]["finding"]["vuln_id"], "GHSA-jfh8-c2jp-5v3q");
    let (s, list) = get("/api/v1/watch".into(), Some(vendor)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("GHSA-jfh8-c2jp-5v3q"));
    let (_, page) = get(format!("/labels/{n}"), None).await;
    assert!(page.contains("影響あり・修正なし"));

    // The server's own watch runs once at start and again after an import.
    let runs = || async {
        reg.events_since(jcstar_registry::FeedScope::All, 0, None, 1000)
            .await
            .unwrap()
            .events
            .iter()
            .filter(|e| {
                e.kind == jcstar_registry::EventKind::WatchRun
                    && e.actor.token_name.as_deref() == Some("jcstar serve (watch after import)")
            })
            .count()
    };
    let watcher = tokio::spawn(jcstar_web::csaf::keep_watching(
        reg.clone(),
        jcstar_web::VulnStore(vulndb.clone()),
        std::time::Duration::from_millis(50),
    ));
    let wait_for = |n: usize| async move {
        for _ in 0..200 {
            if runs().await >= n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("no watch run number {n}");
    };
    wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(runs().await, 1, "no new import, no new run");
    vulndb
        .import(&[fixture("nvd-cve-2.0-excerpt.json")])
        .await
        .unwrap();
    wait_for(2).await;
    watcher.abort();

    task.abort();
    vulndb.close().await;
    reg.close().await;
    db.cleanup().await.unwrap();
}
