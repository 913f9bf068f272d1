//! Verification over HTTP on real SQLite and PostgreSQL: the bulk API (JSON
//! and CSV, signed), the page (text and file upload, ja and en, escaping),
//! and the single-number check (typo, never issued, statuses).

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
use jcstar_registry::signing::{KeyDir, verify as verify_jws};
use jcstar_registry::testing::TestDb;
use jcstar_registry::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Server {
    base: String,
    reg: Registry,
    db: Option<TestDb>,
    http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
    keys: Arc<KeyDir>,
    _files: tempfile::TempDir,
}

impl Server {
    async fn start(backend: Backend) -> Server {
        let db = TestDb::new(backend).await.expect("test database");
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 4, 1, 3, 0, 0).unwrap(),
        ));
        let reg = db.open(clock).await.expect("open registry");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let files = tempfile::tempdir().unwrap();
        let keys = Arc::new(KeyDir::create(&files.path().join("keys"), reg.now()).unwrap());
        let config = jcstar_web::Config {
            base_url: base.clone(),
            signer: Some(keys.clone()),
            rate_limits: jcstar_web::RateLimits::off(),
            ..Default::default()
        };
        let app = jcstar_web::router(reg.clone(), &config);
        let task = tokio::spawn(async move {
            let _ = jcstar_web::serve(listener, app, std::future::pending()).await;
        });
        Server {
            base,
            reg,
            db: Some(db),
            http: reqwest::Client::new(),
            task,
            keys,
            _files: files,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn stop(mut self) {
        self.task.abort();
        self.reg.close().await;
        if let Some(db) = self.db.take() {
            db.cleanup().await.expect("cleanup");
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// The form as a browser sends it.
    async fn post_form(&self, path: &str, text: &str, file: Option<&[u8]>) -> (StatusCode, String) {
        let boundary = "----jcstarTestBoundary7d1";
        let mut body: Vec<u8> = Vec::new();
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"rows\"\r\n\r\n{text}\r\n"
            )
            .as_bytes(),
        );
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                if file.is_some() { "list.csv" } else { "" }
            )
            .as_bytes(),
        );
        body.extend(file.unwrap_or_default());
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = self
            .http
            .post(self.url(path))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }
}

/// Issue a ★1 label through the registry's normal flow.
async fn issue(reg: &Registry, org: &str, company: &str, product: &str, models: &[&str]) -> Label {
    jcstar_registry::testing::issue_label(
        reg,
        jcstar_registry::testing::LabelSpec {
            org,
            company,
            product,
            product_type: "network camera",
            models,
        },
    )
    .await
    .expect("issue")
}

fn typo_of(number: &str) -> String {
    let good = number.chars().last().unwrap_or('0');
    let bad = if good == '1' { '2' } else { '1' };
    format!("{}{bad}", &number[..number.len() - 1])
}

async fn api_and_pages(backend: Backend) {
    let s = Server::start(backend).await;
    let cam = issue(
        &s.reg,
        "acme",
        "Acme <b>Cams</b> K.K.",
        "=Cam<script>",
        &["NC-200", "Z-1"],
    )
    .await;
    let other = issue(&s.reg, "beta", "Beta K.K.", "Router", &["R-1", "Z-1"]).await;
    let op = Actor::local(Role::Operator, "ipa", "test operator");
    s.reg
        .withdraw_label(&op, &other.number, "discontinued")
        .await
        .unwrap();
    let unissued = RegistrationNumber::new(Level::Star1, 2026, 987_654).to_string();

    // The API: JSON, signed in a header.
    let body = json!({"rows": ["ＮＣ－２００", "", "nc200", "Z-1", typo_of(&cam.number), unissued, "R-1"]});
    let r = s
        .http
        .post(s.url("/api/v1/verify"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let sig = r.headers()["jcstar-signature"]
        .to_str()
        .unwrap()
        .to_string();
    let bytes = r.bytes().await.unwrap().to_vec();
    verify_jws(&bytes, &sig, s.keys.key_set()).expect("the signature verifies");
    let mut changed = bytes.clone();
    let i = changed.len() / 2;
    changed[i] ^= 1;
    assert!(
        verify_jws(&changed, &sig, s.keys.key_set()).is_err(),
        "a changed byte fails"
    );
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0]["row"], 1);
    assert_eq!(rows[0]["outcome"], "labeled");
    assert_eq!(rows[0]["label"]["number"], cam.number.as_str());
    assert_eq!(
        rows[0]["label"]["url"],
        s.url(&format!("/labels/{}", cam.number))
    );
    assert_eq!(rows[1]["row"], 3);
    assert_eq!(rows[1]["outcome"], "labeled");
    assert_eq!(rows[2]["outcome"], "ambiguous");
    assert_eq!(rows[2]["candidates"].as_array().unwrap().len(), 2);
    assert_eq!(rows[3]["outcome"], "probable_typo");
    assert_eq!(rows[3]["suggestion"], cam.number.as_str());
    assert_eq!(rows[4]["outcome"], "not_issued");
    assert_eq!(rows[5]["label"]["status"], "withdrawn");

    // CSV: BOM, neutralised formula cells, signed.
    let r = s
        .http
        .post(s.url("/api/v1/verify?format=csv"))
        .json(&json!({"rows": ["NC-200"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let sig = r.headers()["jcstar-signature"]
        .to_str()
        .unwrap()
        .to_string();
    let csv = r.bytes().await.unwrap().to_vec();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    verify_jws(&csv, &sig, s.keys.key_set()).expect("CSV signature");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.contains(",'=Cam<script>,"), "{text}");
    assert!(text.starts_with("行,"), "{text}");

    // xlsx from the API, signed over its exact bytes.
    let r = s
        .http
        .post(s.url("/api/v1/verify?format=xlsx"))
        .json(&json!({"rows": ["NC-200"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let sig = r.headers()["jcstar-signature"]
        .to_str()
        .unwrap()
        .to_string();
    let xlsx = r.bytes().await.unwrap().to_vec();
    assert!(xlsx.starts_with(b"PK"));
    verify_jws(&xlsx, &sig, s.keys.key_set()).expect("xlsx signature");

    // Limits: too many rows, too long a row, control characters.
    let many: Vec<String> = (0..=verify::MAX_ROWS).map(|i| format!("M{i}")).collect();
    let r = s
        .http
        .post(s.url("/api/v1/verify"))
        .json(&json!({ "rows": many }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = s
        .http
        .post(s.url("/api/v1/verify"))
        .json(&json!({"rows": ["ok", "x".repeat(201)]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["field"], "rows[1]");

    // The single-number API.
    let r: Value = s
        .http
        .get(s.url(&format!("/api/v1/verify-label/{}", typo_of(&cam.number))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["outcome"], "probable_typo");
    assert_eq!(r["suggestion"], cam.number.as_str());

    // The pages: ja by default, en on request, vendor text escaped.
    let (st, page) = s.get("/").await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("href=\"/verify?lang=ja\""));
    assert!(page.contains("href=\"/verify-label?lang=ja\""));
    let (st, page) = s.get("/verify").await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("ラベルの一括確認"));
    assert!(page.contains("enctype=\"multipart/form-data\""));
    let (st, page) = s
        .post_form("/verify", &format!("NC-200\r\n{unissued}\r\nR-1\r\n"), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(
        page.contains("Acme &#60;b&#62;Cams&#60;/b&#62; K.K.")
            || page.contains("Acme &lt;b&gt;Cams"),
        "{page}"
    );
    assert!(!page.contains("<script>"));
    assert!(page.contains("発行されていない番号"));
    assert!(page.contains("取下げ"), "withdrawn shown");
    assert!(page.contains(&format!("/labels/{}?lang=ja", cam.number)));
    let href = page
        .split("href=\"")
        .map(|p| p.split('"').next().unwrap_or(""))
        .find(|h| h.starts_with("/verify/reports/") && h.ends_with(".csv"))
        .expect("CSV download link")
        .to_string();
    let csv = s
        .http
        .get(s.url(&href))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let jws = s.get(&format!("{href}.jws")).await.1;
    verify_jws(&csv, &jws, s.keys.key_set()).expect("page CSV signature");
    // The same report as an Excel workbook, signed too.
    let xlsx_href = href.replace(".csv", ".xlsx");
    assert!(page.contains(&xlsx_href), "xlsx download link");
    let r = s.http.get(s.url(&xlsx_href)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let xlsx = r.bytes().await.unwrap();
    assert!(xlsx.starts_with(b"PK"), "a ZIP container");
    let jws = s.get(&format!("{xlsx_href}.jws")).await.1;
    verify_jws(&xlsx, &jws, s.keys.key_set()).expect("page xlsx signature");
    let (st, _) = s
        .get("/verify/reports/00000000000000000000000000000000.csv")
        .await;
    assert_eq!(st, StatusCode::GONE);
    let (st, _) = s
        .get("/verify/reports/00000000000000000000000000000000.xls")
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    let (st, page) = s
        .post_form("/verify?lang=en", "", Some(b"name,model\nCam,nc 200\n"))
        .await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("<html lang=\"en\""));
    assert!(page.contains("labeled"));
    let (st, page) = s.post_form("/verify?lang=en", "", Some(b"a\n\xff\n")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("row 2"), "{page}");

    // The single-number page.
    let (_, page) = s.get(&format!("/verify-label?number={unissued}")).await;
    assert!(page.contains("この登録番号は発行されていません"), "{page}");
    assert!(page.contains("偽造"));
    let (_, page) = s
        .get(&format!(
            "/verify-label?number={}&lang=en",
            typo_of(&cam.number)
        ))
        .await;
    assert!(page.contains("Probably mistyped"));
    assert!(page.contains(&cam.number));
    let (_, page) = s
        .get(&format!("/verify-label?number={}", other.number))
        .await;
    assert!(page.contains("banner st-withdrawn"), "{page}");
    let (_, page) = s
        .get(&format!("/verify-label?number={}&lang=en", cam.number))
        .await;
    assert!(page.contains("badge st-active"));
    assert!(page.contains("Acme &#60;b&#62;") || page.contains("Acme &lt;b&gt;"));
    s.stop().await;
}

#[tokio::test]
async fn api_and_pages_sqlite() {
    api_and_pages(Backend::Sqlite).await;
}

#[tokio::test]
async fn api_and_pages_postgres() {
    api_and_pages(Backend::Postgres).await;
}
