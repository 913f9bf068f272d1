//! Counterfeit reports over HTTP on real SQLite and PostgreSQL: the form on
//! the verification page, its thank-you page (ja and en), the JSON API, the
//! operator's queue (vendors and the public cannot read it), escaping, and
//! the per-address limit on anonymous reports.

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
use jcstar_registry::*;
use jcstar_web::{Budget, RateLimits};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Server {
    base: String,
    reg: Registry,
    db: Option<TestDb>,
    http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(backend: Backend, rate_limits: RateLimits) -> Server {
        let db = TestDb::new(backend).await.expect("test database");
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 4, 1, 3, 0, 0).unwrap(),
        ));
        let reg = db.open(clock).await.expect("open registry");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let config = jcstar_web::Config {
            base_url: base.clone(),
            rate_limits,
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

    /// The report form as a browser sends it.
    async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap())
            .send()
            .await
            .unwrap()
    }

    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

async fn issue(reg: &Registry) -> Label {
    jcstar_registry::testing::issue_label(
        reg,
        jcstar_registry::testing::LabelSpec {
            org: "acme",
            company: "Acme K.K.",
            product: "Acme Camera",
            product_type: "network camera",
            models: &["AC-100"],
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

fn escaped_script(page: &str) -> bool {
    !page.contains("<script>")
        && (page.contains("&lt;script&gt;") || page.contains("&#60;script&#62;"))
}

async fn form_page_api_and_queue(backend: Backend) {
    let s = Server::start(backend, RateLimits::off()).await;
    let label = issue(&s.reg).await;
    let unissued = RegistrationNumber::new(Level::Star1, 2026, 999_999).to_string();

    // The verification page offers the form, unfolded, for a number never
    // issued; folded for a typo; not at all for an active label.
    let (st, page) = s.get(&format!("/verify-label?number={unissued}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("action=\"/verify-label/report?lang=ja\""),
        "{page}"
    );
    assert!(page.contains("<details class=\"report\" open>"));
    assert!(page.contains(&format!("name=\"number\" value=\"{unissued}\"")));
    assert!(page.contains("偽造ラベルの疑いを報告する"));
    let (_, page) = s
        .get(&format!("/verify-label?number={unissued}&lang=en"))
        .await;
    assert!(page.contains("Report a suspected counterfeit label"));
    assert!(page.contains("action=\"/verify-label/report?lang=en\""));
    let (_, page) = s
        .get(&format!("/verify-label?number={}", typo_of(&label.number)))
        .await;
    assert!(page.contains("<details class=\"report\">"), "{page}");
    let (_, page) = s
        .get(&format!("/verify-label?number={}", label.number))
        .await;
    assert!(!page.contains("/verify-label/report"));

    // The form: a thank-you page saying what happens next; every field
    // shown is escaped.
    let r = s
        .post_form(
            "/verify-label/report",
            &[
                ("number", unissued.as_str()),
                ("seen_at", "Example Shop <b>Shibuya</b>"),
                ("details", "<script>alert(1)</script>\nline two"),
                ("contact", "buyer@example.jp"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("報告を受け付けました"), "{page}");
    assert!(page.contains("制度運営者が内容を確認し"));
    assert!(page.contains("発行されていない番号"));
    assert!(page.contains("CFR-"));
    assert!(escaped_script(&page), "{page}");
    assert!(!page.contains("<b>Shibuya"));
    assert!(
        !page.contains("buyer@example.jp"),
        "the contact is not echoed"
    );
    let r = s
        .post_form(
            "/verify-label/report?lang=en",
            &[
                ("number", label.number.as_str()),
                ("seen_at", ""),
                ("details", "as a browser sends\r\na text area"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Thank you: your report was received"),
        "{page}"
    );
    assert!(page.contains("The scheme operator reviews the report"));

    // A refused field: the form again, naming it, with what was typed.
    let r = s
        .post_form(
            "/verify-label/report",
            &[
                ("number", unissued.as_str()),
                ("contact", "a\r\nb"),
                ("details", "<script>x</script>"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("連絡先は1行で"), "{page}");
    assert!(escaped_script(&page), "{page}");
    let r = s
        .post_form("/verify-label/report", &[("seen_at", "x")])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "no number: not the form"
    );
    let r = s
        .post_form("/verify-label/report", &[("number", "x"), ("evil", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = s
        .http
        .post(s.url("/verify-label/report"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("number=x&details={}", "a".repeat(70_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // The API for programs.
    let (st, body) = s
        .api(
            reqwest::Method::POST,
            "/api/v1/counterfeit-reports",
            None,
            Some(json!({"number": typo_of(&label.number), "details": "from a script"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert_eq!(body["finding"]["outcome"], "probable_typo");
    assert_eq!(body["finding"]["suggestion"], label.number.as_str());
    assert_eq!(body["status"], "open");
    let api_id = body["id"].as_str().unwrap().to_string();
    let (st, body) = s
        .api(
            reqwest::Method::POST,
            "/api/v1/counterfeit-reports",
            None,
            Some(json!({"number": "x", "contact": "c".repeat(201)})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "contact");
    let (st, body) = s
        .api(
            reqwest::Method::POST,
            "/api/v1/counterfeit-reports",
            None,
            Some(json!({"number": "x", "extra": 1})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["field"].as_str().unwrap().contains("extra"), "{body}");

    // The queue: the operator reads it; vendors and the public cannot.
    let op = s
        .reg
        .create_token(Role::Operator, "", "ops person")
        .await
        .unwrap()
        .plaintext;
    let vendor = s
        .reg
        .create_token(Role::Vendor, "acme", "vendor person")
        .await
        .unwrap()
        .plaintext;
    let (st, body) = s
        .api(
            reqwest::Method::GET,
            "/api/v1/counterfeit-reports",
            None,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    let (st, _) = s
        .api(
            reqwest::Method::GET,
            "/api/v1/counterfeit-reports",
            Some(&vendor),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, list) = s
        .api(
            reqwest::Method::GET,
            "/api/v1/counterfeit-reports?status=open",
            Some(&op),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert!(list.iter().any(|r| r["id"] == api_id.as_str()));
    let first = list
        .iter()
        .find(|r| r["number"] == unissued.as_str())
        .expect("the form's report");
    assert_eq!(first["contact"], "buyer@example.jp");
    assert_eq!(first["seen_at"], "Example Shop <b>Shibuya</b>");
    assert_eq!(first["finding"]["outcome"], "not_issued");
    let withdrawn = list
        .iter()
        .find(|r| r["number"] == label.number.as_str())
        .unwrap();
    assert!(withdrawn.get("seen_at").is_none(), "blank is absent");
    assert_eq!(withdrawn["details"], "as a browser sends\na text area");

    // Closing: the operator only; the same answer whether the id exists.
    for id in [api_id.as_str(), "CFR-0000000000000000"] {
        let (st, _) = s
            .api(
                reqwest::Method::POST,
                &format!("/api/v1/counterfeit-reports/{id}/close"),
                Some(&vendor),
                Some(json!({"note": "x"})),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = s
            .api(
                reqwest::Method::POST,
                &format!("/api/v1/counterfeit-reports/{id}/close"),
                None,
                Some(json!({"note": "x"})),
            )
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    let (st, closed) = s
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/counterfeit-reports/{api_id}/close"),
            Some(&op),
            Some(json!({"note": "a typo; the label is genuine"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{closed}");
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["closed_by"], "ops person");
    let (st, _) = s
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/counterfeit-reports/{api_id}/close"),
            Some(&op),
            Some(json!({"note": "again"})),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, _) = s
        .api(
            reqwest::Method::POST,
            "/api/v1/counterfeit-reports/CFR-0000000000000000/close",
            Some(&op),
            Some(json!({"note": "x"})),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, list) = s
        .api(
            reqwest::Method::GET,
            "/api/v1/counterfeit-reports?status=closed",
            Some(&op),
            None,
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    // A label that is no longer active offers the form too, folded.
    s.reg
        .withdraw_label(
            &Actor::local(Role::Operator, "ipa", "test operator"),
            &label.number,
            "discontinued",
        )
        .await
        .unwrap();
    let (_, page) = s
        .get(&format!("/verify-label?number={}&lang=en", label.number))
        .await;
    assert!(page.contains("<details class=\"report\">"), "{page}");

    // Nothing of it is in the public feed.
    let (_, feed) = s.get("/api/v1/feed").await;
    assert!(!feed.contains("buyer@example.jp") && !feed.contains("CFR-"));

    // The operations are in the OpenAPI document.
    let (_, doc) = s.get("/api/openapi.json").await;
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert!(doc["paths"]["/api/v1/counterfeit-reports"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/counterfeit-reports"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/counterfeit-reports/{id}/close"]["post"].is_object());
    assert!(doc["paths"]["/verify-label/report"]["post"].is_object());
    let req = &doc["components"]["schemas"]["CounterfeitReportRequest"]["properties"];
    assert_eq!(req["number"]["maxLength"], 64);
    assert_eq!(req["details"]["maxLength"], 2000);
    s.stop().await;
}

async fn anonymous_reports_are_limited_per_address(backend: Backend) {
    let limits = RateLimits {
        reports: Budget {
            per_second: 3,
            burst: 3,
        },
        ..RateLimits::off()
    };
    let s = Server::start(backend, limits).await;
    let unissued = RegistrationNumber::new(Level::Star1, 2026, 999_999).to_string();
    for i in 0..3 {
        let r = s
            .post_form("/verify-label/report", &[("number", unissued.as_str())])
            .await;
        assert_eq!(r.status(), StatusCode::OK, "report {i}");
    }
    let r = s
        .post_form("/verify-label/report", &[("number", unissued.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    // The API shares the bucket and answers in JSON.
    let (st, body) = s
        .api(
            reqwest::Method::POST,
            "/api/v1/counterfeit-reports",
            None,
            Some(json!({"number": unissued})),
        )
        .await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("counterfeit reports")
    );
    // Reading pages is not affected.
    let (st, _) = s.get(&format!("/verify-label?number={unissued}")).await;
    assert_eq!(st, StatusCode::OK);
    // Only the three accepted reports were stored.
    let op = Actor::local(Role::Operator, "ipa", "test operator");
    let all = s.reg.counterfeit_reports(&op, None, 0, 100).await.unwrap();
    assert_eq!(all.len(), 3);
    s.stop().await;
}

#[tokio::test]
async fn form_page_api_and_queue_sqlite() {
    form_page_api_and_queue(Backend::Sqlite).await;
}

#[tokio::test]
async fn form_page_api_and_queue_postgres() {
    form_page_api_and_queue(Backend::Postgres).await;
}

#[tokio::test]
async fn anonymous_reports_are_limited_per_address_sqlite() {
    anonymous_reports_are_limited_per_address(Backend::Sqlite).await;
}

#[tokio::test]
async fn anonymous_reports_are_limited_per_address_postgres() {
    anonymous_reports_are_limited_per_address(Backend::Postgres).await;
}

/// The registry's daily bound on open reports: every sender gets 503 with
/// `Retry-After`, the page in words, the API in JSON.
#[tokio::test]
async fn a_full_queue_answers_503_sqlite() {
    let s = Server::start(Backend::Sqlite, RateLimits::off()).await;
    let public = Actor::public();
    for i in 0..jcstar_registry::counterfeit::OPEN_REPORTS_PER_DAY {
        s.reg
            .report_counterfeit(
                &public,
                NewCounterfeitReport {
                    number: format!("JCS1-2026-{i:06}-X"),
                    ..Default::default()
                },
            )
            .await
            .expect("within the bound");
    }
    let r = s
        .post_form(
            "/verify-label/report?lang=en",
            &[("number", "JCS1-2026-000001-X")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    let page = r.text().await.unwrap();
    assert!(page.contains("Too many reports are waiting"), "{page}");
    let (st, body) = s
        .api(
            reqwest::Method::POST,
            "/api/v1/counterfeit-reports",
            None,
            Some(json!({"number": "JCS1-2026-000001-X"})),
        )
        .await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["error"].as_str().unwrap().contains("try again later"));
    s.stop().await;
}
