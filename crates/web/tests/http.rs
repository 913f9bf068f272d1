//! The web layer over real HTTP: a real listener on 127.0.0.1, a real SQLite
//! file or PostgreSQL schema, and the registry's manual clock.

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

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use jcstar_registry::testing::TestDb;
use jcstar_registry::{
    Actor, ApplicationSubmission, Backend, Fee, InquiryOutcome, Level, ManualClock, Registry, Role,
    SurveillanceOrder, parse_registration_number,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Server {
    base: String,
    reg: Registry,
    clock: Arc<ManualClock>,
    db: Option<TestDb>,
    http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
    /// The operator's signing keys and the open-data directory.
    _files: tempfile::TempDir,
    /// The day whose signed snapshot is in the open-data directory.
    snapshot_day: NaiveDate,
}

impl Server {
    /// The server on a fresh database of `backend`. PostgreSQL comes from
    /// `JCSTAR_TEST_POSTGRES` (default: the local test server); when it is
    /// unreachable the test fails, because a test that passed without its
    /// database would prove nothing.
    async fn start(backend: Backend) -> Server {
        let db = TestDb::new(backend).await.expect("test database");
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 4, 1, 3, 0, 0).unwrap(),
        ));
        let reg = db.open(clock.clone()).await.expect("open registry");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let files = tempfile::tempdir().unwrap();
        let keys = Arc::new(
            jcstar_registry::signing::KeyDir::create(&files.path().join("keys"), reg.now())
                .unwrap(),
        );
        let open_data = files.path().join("open-data");
        let snapshot = jcstar_registry::snapshot::write_daily(&reg, &keys, &open_data, None)
            .await
            .unwrap();
        let config = jcstar_web::Config {
            base_url: base.clone(),
            signer: Some(keys),
            open_data: Some(open_data),
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
            clock,
            db: Some(db),
            http: reqwest::Client::new(),
            task,
            _files: files,
            snapshot_day: snapshot.date,
        }
    }

    async fn stop(mut self) {
        self.task.abort();
        self.reg.close().await;
        if let Some(db) = self.db.take() {
            db.cleanup().await.expect("drop test schema");
        }
    }

    async fn token(&self, role: Role, org: &str) -> String {
        self.reg
            .create_token(role, org, &format!("{role} {org}"))
            .await
            .unwrap()
            .plaintext
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        let s = r.status();
        (s, r.text().await.unwrap())
    }

    async fn get_json(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let s = r.status();
        let text = r.text().await.unwrap();
        (
            s,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let s = r.status();
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("non-JSON answer {s} from {path}: {text}"));
        (s, v)
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, token, &body).await
    }
}

fn submission(org: &str, level: u8, company: &str) -> Value {
    json!({
        "org": org,
        "level": level,
        "applicant": {"company": company, "address": "1-2-3 Chiyoda, Tokyo", "contact": "info@example.jp"},
        "products": [{"name": format!("{company} Camera"), "model_numbers": ["CAM-1", "CAM-1W"],
                      "firmware_versions": ["1.0.0"], "product_type": "network camera"}],
        "disclosure_contact": "psirt@example.jp",
        // The application is its checklist: the sheet must say the same.
        "checklist": jcstar_registry::demo::checklist_for(
            company, "1-2-3 Chiyoda, Tokyo", &format!("{company} Camera"), "network camera",
            &["CAM-1", "CAM-1W"], &["1.0.0"])
    })
}

fn ok(status: StatusCode, body: &Value, what: &str) {
    assert!(status.is_success(), "{what}: {status} {body}");
}

/// apply → inquiry → accept → fee → issue, all over HTTP; returns the number.
async fn issue_over_http(s: &Server, vendor: &str, op: &str, org: &str, company: &str) -> String {
    let (st, app) = s
        .post(
            "/api/v1/applications",
            Some(vendor),
            submission(org, 1, company),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{app}");
    assert_eq!(app["status"], "submitted");
    let id = app["id"].as_str().unwrap().to_string();
    let p = |x: &str| format!("/api/v1/applications/{id}/{x}");
    let (st, b) = s
        .post(&p("inquiry"), Some(op), json!({"reference": "SC-2026-001"}))
        .await;
    ok(st, &b, "inquiry");
    assert_eq!(b["status"], "inquiry_requested");
    let (st, b) = s
        .post(
            &p("inquiry/answer"),
            Some(op),
            json!({"outcome": "clear", "reference": "SC-2026-001-A"}),
        )
        .await;
    ok(st, &b, "answer");
    let (st, b) = s.post(&p("accept"), Some(op), json!({})).await;
    ok(st, &b, "accept");
    assert_eq!(b["status"], "accepted");
    let (st, b) = s
        .post(
            &p("fee"),
            Some(op),
            json!({"amount_yen": 10000, "paid_on": "2026-04-01", "reference": "INV-1"}),
        )
        .await;
    ok(st, &b, "fee");
    let (st, label) = s.post(&p("issue"), Some(op), json!({})).await;
    assert_eq!(st, StatusCode::CREATED, "{label}");
    let number = label["number"].as_str().unwrap().to_string();
    parse_registration_number(&number).expect("issued number is valid");
    assert_eq!(label["status"], "active");
    number
}

async fn flows(backend: Backend) {
    let s = Server::start(backend).await;
    let op = s.token(Role::Operator, "").await;
    let vendor = s.token(Role::Vendor, "acme").await;

    // 1. apply → check → inquiry → fee → issue → page → surveillance → revoke.
    let n1 = issue_over_http(&s, &vendor, &op, "acme", "Acme Devices K.K.").await;
    let (st, page) = s.get(&format!("/labels/{n1}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains(&n1) && page.contains("有効") && page.contains("Acme Devices K.K."));
    assert!(page.contains("lang=\"ja\""));
    let (_, en) = s.get(&format!("/labels/{n1}?lang=en")).await;
    assert!(en.contains("Active") && en.contains("lang=\"en\""));
    let r = s
        .http
        .get(s.url(&format!("/labels/{n1}")))
        .header("Accept-Language", "en-US,en;q=0.9,ja;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Current status"));

    let lp = |x: &str| format!("/api/v1/labels/{n1}/{x}");
    let (st, b) = s
        .post(&lp("updates"), Some(&vendor), json!({"version": "1.0.1", "released_on": "2026-04-01", "notes": "fixes login throttling"}))
        .await;
    ok(st, &b, "update");
    let (st, b) = s
        .post(&lp("vulnerabilities"), Some(&vendor), json!({"id": "CVE-2026-0001", "title": "weak session id", "state": "fixed", "fixed_in": "1.0.1", "published_on": "2026-03-30"}))
        .await;
    ok(st, &b, "vulnerability");
    let (st, b) = s
        .send(
            reqwest::Method::PUT,
            &lp("support-end"),
            Some(&vendor),
            &json!({"support_end": "2030-12-31"}),
        )
        .await;
    ok(st, &b, "support end");
    let (_, page) = s.get(&format!("/labels/{n1}?lang=en")).await;
    assert!(
        page.contains("fixes login throttling")
            && page.contains("CVE-2026-0001")
            && page.contains("2030-12-31")
    );

    let deadline = (s.reg.today() + Duration::days(30)).to_string();
    let (st, b) = s
        .post(&lp("surveillance"), Some(&op), json!({"reason": "report of default password", "evidence_demanded": "test logs", "correction_deadline": deadline}))
        .await;
    ok(st, &b, "surveillance");
    assert_eq!(b["status"], "under_surveillance");
    let (_, page) = s.get(&format!("/labels/{n1}?lang=en")).await;
    assert!(page.contains("UNDER SURVEILLANCE") && page.contains("report of default password"));
    // Before the deadline a revocation needs an override reason.
    let (st, b) = s
        .post(&lp("revoke"), Some(&op), json!({"reason": "not corrected"}))
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}");
    s.clock.advance(Duration::days(31));
    let (st, b) = s
        .post(
            &lp("revoke"),
            Some(&op),
            json!({"reason": "not corrected in time"}),
        )
        .await;
    ok(st, &b, "revoke");
    assert_eq!(b["status"], "revoked");
    let (st, page) = s.get(&format!("/labels/{n1}")).await;
    assert_eq!(st, StatusCode::OK, "a revoked label's page stays online");
    assert!(
        page.contains("このラベルは取り消されました") && page.contains("not corrected in time")
    );
    let (_, page) = s.get(&format!("/labels/{n1}?lang=en")).await;
    assert!(page.contains("REVOKED"));
    let (st, b) = s
        .post(&lp("extend"), Some(&vendor), json!({"declaration": "new"}))
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "extending a revoked label: {b}");
    let (_, j) = s.get_json(&format!("/api/v1/labels/{n1}"), None).await;
    assert_eq!(j["label"]["status"], "revoked");
    let kinds: Vec<&str> = j["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    for k in [
        "label_issued",
        "update_published",
        "surveillance_opened",
        "label_revoked",
    ] {
        assert!(kinds.contains(&k), "history {kinds:?} lacks {k}");
    }

    // 2. apply → issue → withdraw.
    let n2 = issue_over_http(&s, &vendor, &op, "acme", "Acme Second").await;
    let (st, b) = s
        .post(
            &format!("/api/v1/labels/{n2}/withdraw"),
            Some(&vendor),
            json!({"reason": "security-relevant hardware change"}),
        )
        .await;
    ok(st, &b, "withdraw");
    let (_, page) = s.get(&format!("/labels/{n2}?lang=en")).await;
    assert!(page.contains("WITHDRAWN") && page.contains("security-relevant hardware change"));
    let (st, _) = s
        .post(
            &format!("/api/v1/labels/{n2}/revoke"),
            Some(&op),
            json!({"reason": "x", "override_reason": "y"}),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::CONFLICT,
        "revoking a withdrawn label is refused"
    );

    // 3. issue → time passes → expired.
    let n3 = issue_over_http(&s, &vendor, &op, "acme", "Acme Third").await;
    let (_, j) = s.get_json(&format!("/api/v1/labels/{n3}"), None).await;
    let until =
        NaiveDate::parse_from_str(j["label"]["valid_until"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert!(until <= s.reg.today() + Duration::days(2 * 366));
    s.clock
        .set(Utc.from_utc_datetime(&(until + Duration::days(2)).and_hms_opt(0, 0, 0).unwrap()));
    let (_, j) = s.get_json(&format!("/api/v1/labels/{n3}"), None).await;
    assert_eq!(j["label"]["status"], "expired");
    let (_, page) = s.get(&format!("/labels/{n3}?lang=en")).await;
    assert!(page.contains("EXPIRED"));

    // Search, exports, feed.
    let (_, j) = s.get_json("/api/v1/labels?status=revoked", None).await;
    let items = j["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["number"], n1.as_str());
    let (_, j) = s
        .get_json("/api/v1/labels?company=acme%20second", None)
        .await;
    assert_eq!(j["items"][0]["number"], n2.as_str());
    let (_, j) = s.get_json("/api/v1/labels?per_page=2", None).await;
    assert_eq!(j["items"].as_array().unwrap().len(), 2);
    assert!(j["next_offset"].is_number());
    let (st, html) = s.get("/search?q=Acme&lang=en").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains(&n1) && html.contains(&n2) && html.contains(&n3));
    let (st, html) = s.get("/").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("登録ラベル数: 3"), "home shows the count");
    let (st, csv) = s.get("/api/v1/export/labels.csv").await;
    assert_eq!(st, StatusCode::OK);
    assert!(csv.lines().count() >= 4 && csv.contains(&n1) && csv.contains(&n3));
    let (_, j) = s.get_json("/api/v1/export/labels.json", None).await;
    assert_eq!(j.as_array().unwrap().len(), 3);
    let (_, f) = s.get_json("/api/v1/feed?since_seq=0&limit=5", None).await;
    assert_eq!(f["events"].as_array().unwrap().len(), 5);
    let next = f["next_after_seq"].as_i64().expect("a next cursor");
    let (_, f2) = s
        .get_json(&format!("/api/v1/feed?since_seq={next}&limit=1000"), None)
        .await;
    assert!(f2["events"][0]["seq"].as_i64().unwrap() > next);
    assert!(f2["next_after_seq"].is_null());
    let (_, f3) = s
        .get_json("/api/v1/feed?since=2100-01-01T00:00:00Z", None)
        .await;
    assert_eq!(f3["events"].as_array().unwrap().len(), 0);
    let (_, c) = s.get_json("/api/v1/chain", None).await;
    assert!(c["first_broken"].is_null(), "{c}");

    // The label image's QR code leads to the page.
    let r = s
        .http
        .get(s.url(&format!("/labels/{n1}/label.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    let png = r.bytes().await.unwrap();
    assert_eq!(decode_qr(&png), format!("{}/labels/{n1}", s.base));
    let (st, svg) = s.get(&format!("/labels/{n1}/label.svg")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(svg.starts_with("<svg"));

    s.stop().await;
}

fn decode_qr(png: &[u8]) -> String {
    let img = image_from_png(png);
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

fn image_from_png(png: &[u8]) -> image::GrayImage {
    image::load_from_memory(png).unwrap().to_luma8()
}

// ---- who may do what --------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Public,
    VendorOwn,
    VendorOther,
    EvalAssigned,
    EvalOther,
    Operator,
}

#[derive(Clone, Copy, Debug)]
enum Stage {
    Submitted,
    InquiryRequested,
    InquiryAnswered,
    Accepted,
    FeePaid,
}

#[derive(Clone, Copy, Debug)]
enum Prep {
    Nothing,
    /// A ★3 application of `acme` assigned to `evalco`, at a stage.
    App(Stage),
    /// An unassigned ★3 application (for assigning a body).
    AppUnassigned,
    Label,
    LabelUnderSurveillance,
}

fn local_sub(company: &str, level: Level) -> ApplicationSubmission {
    serde_json::from_value(submission("acme", level.number(), company)).unwrap()
}

async fn prepare(reg: &Registry, prep: Prep) -> String {
    let op = Actor::local(Role::Operator, "operator", "test");
    let vendor = Actor::local(Role::Vendor, "acme", "test");
    let body = Actor::local(Role::EvaluationBody, "evalco", "test");
    let to_stage = |id: String, stage: Stage, level3: bool| {
        let (op, body) = (op.clone(), body.clone());
        async move {
            let order = [
                Stage::Submitted,
                Stage::InquiryRequested,
                Stage::InquiryAnswered,
                Stage::Accepted,
                Stage::FeePaid,
            ];
            let upto = order.iter().position(|s| matches!((s, &stage), (a, b) if std::mem::discriminant(a) == std::mem::discriminant(b))).unwrap();
            if upto >= 1 {
                reg.request_inquiry(&op, &id, "SC-1").await.unwrap();
            }
            if upto >= 2 {
                reg.answer_inquiry(&op, &id, InquiryOutcome::Clear, "SC-1-A")
                    .await
                    .unwrap();
            }
            if upto >= 3 {
                if level3 {
                    let report = serde_json::from_value(json!({"file_name": "r.pdf", "sha256": "a".repeat(64), "summary": "ok", "verdict": "pass", "level": 3})).unwrap();
                    reg.attach_evaluation_report(&body, &id, report)
                        .await
                        .unwrap();
                }
                reg.accept_application(&op, &id, None).await.unwrap();
            }
            if upto >= 4 {
                let fee = Fee {
                    amount_yen: 1,
                    paid_on: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
                    reference: "F".into(),
                };
                reg.record_fee(&op, &id, fee).await.unwrap();
            }
            id
        }
    };
    match prep {
        Prep::Nothing => String::new(),
        Prep::AppUnassigned => {
            reg.submit_application(&vendor, local_sub("Acme", Level::Star3))
                .await
                .unwrap()
                .id
        }
        Prep::App(stage) => {
            let app = reg
                .submit_application(&vendor, local_sub("Acme", Level::Star3))
                .await
                .unwrap();
            reg.assign_evaluation_body(&op, &app.id, "evalco")
                .await
                .unwrap();
            to_stage(app.id, stage, true).await
        }
        Prep::Label | Prep::LabelUnderSurveillance => {
            let app = reg
                .submit_application(&vendor, local_sub("Acme", Level::Star1))
                .await
                .unwrap();
            let id = to_stage(app.id, Stage::FeePaid, false).await;
            let label = reg
                .issue_label(&op, &id, Some(reg.today() + Duration::days(365)))
                .await
                .unwrap();
            if matches!(prep, Prep::LabelUnderSurveillance) {
                let order = SurveillanceOrder {
                    reason: "r".into(),
                    evidence_demanded: "e".into(),
                    correction_deadline: reg.today() + Duration::days(10),
                };
                reg.open_surveillance(&op, &label.number, order)
                    .await
                    .unwrap();
            }
            label.number
        }
    }
}

async fn role_action_matrix(backend: Backend) {
    use Who::*;
    let s = Server::start(backend).await;
    let tokens = [
        (Public, None),
        (VendorOwn, Some(s.token(Role::Vendor, "acme").await)),
        (VendorOther, Some(s.token(Role::Vendor, "other").await)),
        (
            EvalAssigned,
            Some(s.token(Role::EvaluationBody, "evalco").await),
        ),
        (
            EvalOther,
            Some(s.token(Role::EvaluationBody, "evalx").await),
        ),
        (Operator, Some(s.token(Role::Operator, "").await)),
    ];
    type Req = (
        &'static str,
        &'static str,
        String,
        Prep,
        Value,
        &'static [Who],
    );
    let apps = |x: &str| format!("/api/v1/applications/{{}}/{x}");
    let labels = |x: &str| format!("/api/v1/labels/{{}}/{x}");
    let report = json!({"file_name": "r.pdf", "sha256": "b".repeat(64), "summary": "tested", "verdict": "pass", "level": 3});
    let cases: Vec<Req> = vec![
        (
            "submit",
            "POST",
            "/api/v1/applications".into(),
            Prep::Nothing,
            submission("acme", 1, "Acme"),
            &[VendorOwn, Operator],
        ),
        (
            "read application",
            "GET",
            "/api/v1/applications/{}".into(),
            Prep::App(Stage::Submitted),
            Value::Null,
            &[VendorOwn, EvalAssigned, Operator],
        ),
        (
            "request inquiry",
            "POST",
            apps("inquiry"),
            Prep::App(Stage::Submitted),
            json!({"reference": "R"}),
            &[Operator],
        ),
        (
            "answer inquiry",
            "POST",
            apps("inquiry/answer"),
            Prep::App(Stage::InquiryRequested),
            json!({"outcome": "clear", "reference": "R"}),
            &[Operator],
        ),
        (
            "attach report",
            "POST",
            apps("evaluation-report"),
            Prep::App(Stage::InquiryAnswered),
            report,
            &[EvalAssigned, Operator],
        ),
        (
            "assign body",
            "POST",
            apps("evaluation-body"),
            Prep::AppUnassigned,
            json!({"org": "evalco"}),
            &[Operator],
        ),
        (
            "reject",
            "POST",
            apps("reject"),
            Prep::App(Stage::InquiryAnswered),
            json!({"reason": "no"}),
            &[Operator],
        ),
        (
            "fee",
            "POST",
            apps("fee"),
            Prep::App(Stage::Accepted),
            json!({"amount_yen": 5, "paid_on": "2026-04-01", "reference": "F"}),
            &[Operator],
        ),
        (
            "issue",
            "POST",
            apps("issue"),
            Prep::App(Stage::FeePaid),
            json!({}),
            &[Operator],
        ),
        (
            "extend",
            "POST",
            labels("extend"),
            Prep::Label,
            json!({"declaration": "D-2"}),
            &[VendorOwn, Operator],
        ),
        (
            "withdraw",
            "POST",
            labels("withdraw"),
            Prep::Label,
            json!({"reason": "spec change"}),
            &[VendorOwn, Operator],
        ),
        (
            "open surveillance",
            "POST",
            labels("surveillance"),
            Prep::Label,
            json!({"reason": "r", "evidence_demanded": "e", "correction_deadline": "2026-05-01"}),
            &[Operator],
        ),
        (
            "close surveillance",
            "POST",
            labels("surveillance/close"),
            Prep::LabelUnderSurveillance,
            json!({"reason": "cleared"}),
            &[Operator],
        ),
        (
            "revoke",
            "POST",
            labels("revoke"),
            Prep::LabelUnderSurveillance,
            json!({"reason": "r", "override_reason": "urgent"}),
            &[Operator],
        ),
        (
            "add update",
            "POST",
            labels("updates"),
            Prep::Label,
            json!({"version": "2", "released_on": "2026-04-01"}),
            &[VendorOwn, Operator],
        ),
        (
            "record vulnerability",
            "POST",
            labels("vulnerabilities"),
            Prep::Label,
            json!({"id": "CVE-1", "title": "t", "state": "investigating", "published_on": "2026-04-01"}),
            &[VendorOwn, Operator],
        ),
        (
            "support end",
            "PUT",
            labels("support-end"),
            Prep::Label,
            json!({"support_end": "2030-01-01"}),
            &[VendorOwn, Operator],
        ),
        (
            "disclosure contact",
            "PUT",
            labels("disclosure-contact"),
            Prep::Label,
            json!({"contact": "sec@acme.example"}),
            &[VendorOwn, Operator],
        ),
        (
            "full feed",
            "GET",
            "/api/v1/feed?scope=all".into(),
            Prep::Nothing,
            Value::Null,
            &[Operator],
        ),
    ];
    // Accepting needs an answered inquiry and a passing report.
    let mut cases = cases;
    cases.push((
        "accept",
        "POST",
        apps("accept"),
        Prep::App(Stage::InquiryAnswered),
        json!({}),
        &[Operator],
    ));
    let mut failures = Vec::new();
    for (name, method, path, prep, body, allowed) in &cases {
        for (who, token) in &tokens {
            let mut target = prepare(&s.reg, *prep).await;
            if matches!(prep, Prep::App(Stage::InquiryAnswered)) && *name == "accept" {
                let report = serde_json::from_value(json!({"file_name": "r.pdf", "sha256": "c".repeat(64), "summary": "ok", "verdict": "pass", "level": 3})).unwrap();
                s.reg
                    .attach_evaluation_report(
                        &Actor::local(Role::EvaluationBody, "evalco", "t"),
                        &target,
                        report,
                    )
                    .await
                    .unwrap();
            }
            if target.is_empty() {
                target = "-".into();
            }
            let path = path.replace("{}", &target);
            let mut req = s.http.request(method.parse().unwrap(), s.url(&path));
            if !body.is_null() {
                req = req.json(body);
            }
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.unwrap();
            let status = r.status();
            let text = r.text().await.unwrap();
            // An application the caller may not see answers as a missing one.
            let can_read = matches!(who, VendorOwn | Operator)
                || (*who == EvalAssigned && !matches!(prep, Prep::AppUnassigned));
            let hidden = path.starts_with("/api/v1/applications/") && !can_read;
            let expected = if allowed.contains(who) {
                "2xx"
            } else if *who == Public {
                "401"
            } else if hidden {
                "404"
            } else {
                "403"
            };
            let got_ok = match expected {
                "2xx" => status.is_success(),
                "401" => status == StatusCode::UNAUTHORIZED,
                "404" => status == StatusCode::NOT_FOUND,
                _ => status == StatusCode::FORBIDDEN,
            };
            if !got_ok {
                failures.push(format!(
                    "{name} by {who:?}: expected {expected}, got {status}: {text}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // A malformed or unknown token is 401 even for a public read-only route's writes.
    let (st, b) = s
        .post(
            "/api/v1/applications",
            Some("jcs_nope_nope"),
            submission("acme", 1, "A"),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{b}");
    s.stop().await;
}

// ---- bad input --------------------------------------------------------------

async fn bad_input_is_a_4xx_json_naming_the_field(backend: Backend) {
    let s = Server::start(backend).await;
    let vendor = s.token(Role::Vendor, "acme").await;
    let post_raw = |body: Vec<u8>, ctype: &'static str| {
        let req = s
            .http
            .post(s.url("/api/v1/applications"))
            .bearer_auth(&vendor)
            .header("content-type", ctype)
            .body(body);
        async move {
            let r = req.send().await.unwrap();
            let st = r.status();
            let v: Value = serde_json::from_str(&r.text().await.unwrap()).expect("JSON error body");
            (st, v)
        }
    };
    // Oversized.
    let mut big = submission("acme", 1, "A");
    big["applicant"]["address"] = Value::String("x".repeat(2 * 1024 * 1024));
    // The server answers 413 and closes as soon as the limit is crossed,
    // while the client may still be uploading; the kernel can then reset the
    // connection before the client reads the answer. Such a transport error
    // says nothing about the answer, so the upload is tried again; any HTTP
    // answer is checked.
    let big = serde_json::to_vec(&big).unwrap();
    let mut answer = None;
    for _ in 0..5 {
        let req = s
            .http
            .post(s.url("/api/v1/applications"))
            .bearer_auth(&vendor)
            .header("content-type", "application/json")
            .body(big.clone());
        if let Ok(r) = req.send().await {
            let st = r.status();
            if let Ok(text) = r.text().await {
                answer = Some((st, text));
                break;
            }
        }
    }
    let (st, text) = answer.expect("the server never answered the oversized upload");
    let v: Value = serde_json::from_str(&text).expect("JSON error body");
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["error"].as_str().unwrap().contains("limit"));
    // Malformed JSON.
    let (st, v) = post_raw(b"{\"org\": \"acme\",".to_vec(), "application/json").await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["field"].is_string() && v["expected"].is_string());
    // Missing field (the product may come from the checklist, the
    // organisation may not).
    let mut m = submission("acme", 1, "A");
    m.as_object_mut().unwrap().remove("org");
    let (st, v) = post_raw(serde_json::to_vec(&m).unwrap(), "application/json").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "org");
    // Unknown field.
    let mut u = submission("acme", 1, "A");
    u["is_admin"] = json!(true);
    let (st, v) = post_raw(serde_json::to_vec(&u).unwrap(), "application/json").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // Wrong type, nested.
    let mut w = submission("acme", 1, "A");
    w["products"][0]["model_numbers"] = json!("CAM-1");
    let (st, v) = post_raw(serde_json::to_vec(&w).unwrap(), "application/json").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "products[0].model_numbers");
    assert!(v["expected"].as_str().unwrap().contains("sequence"), "{v}");
    let mut w = submission("acme", 1, "A");
    w["level"] = json!(7);
    let (st, v) = post_raw(serde_json::to_vec(&w).unwrap(), "application/json").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "level");
    // Not JSON at all.
    let (st, v) = post_raw(b"org=acme".to_vec(), "application/x-www-form-urlencoded").await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{v}");
    assert_eq!(v["field"], "Content-Type");
    // A checklist that fails the format check is refused with its problems.
    let mut c = submission("acme", 1, "A");
    c["checklist"] = json!({});
    let (st, v) = post_raw(serde_json::to_vec(&c).unwrap(), "application/json").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "checklist");
    assert!(!v["problems"].as_array().unwrap().is_empty());
    // Date of the wrong shape in a label write.
    let (st, v) = s
        .post(
            "/api/v1/labels/JCS1-2026-000001-X/updates",
            Some(&vendor),
            json!({"version": "1", "released_on": "yesterday"}),
        )
        .await;
    assert!(st.is_client_error(), "{st} {v}");
    assert_eq!(v["field"], "released_on");
    // Query parameters.
    let (st, v) = s.get_json("/api/v1/labels?level=9", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["field"], "level");
    let (st, v) = s.get_json("/api/v1/feed?since=last-week", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["field"], "since");
    let (st, html) = s.get("/search?status=bogus&lang=en").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("Invalid search criteria"));

    // Registration numbers: malformed vs unknown.
    let good = jcstar_registry::RegistrationNumber::new(Level::Star1, 2026, 999).to_string();
    let mut bad = good.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == '0' { '1' } else { '0' });
    // A wrong check character names no label that can exist: 404, with
    // the hint that the number was mistyped.
    let (st, html) = s.get(&format!("/labels/{bad}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(
        html.contains("登録番号が正しくありません") && html.contains("入力間違い"),
        "{html}"
    );
    assert!(!html.contains("check character"), "{html}");
    let (st, html) = s.get(&format!("/labels/{bad}?lang=en")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(html.contains("check character"), "{html}");
    let (st, v) = s.get_json(&format!("/api/v1/labels/{bad}"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(v["field"], "number");
    assert!(v["error"].as_str().unwrap().contains("mistyped"), "{v}");
    // Not the form of a number at all: 400.
    for malformed in [
        "JCS1-2026-000999-Q",
        "JCS7-2026-000999-1",
        "JCS1-26-000999-1",
    ] {
        let (st, _) = s.get(&format!("/labels/{malformed}/label.svg")).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{malformed}");
        let (st, v) = s
            .get_json(&format!("/api/v1/labels/{malformed}"), None)
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{malformed}");
        assert_eq!(v["field"], "number");
    }
    let (st, html) = s.get(&format!("/labels/{good}?lang=en")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(html.contains("Label not found"));
    let (st, v) = s.get_json(&format!("/api/v1/labels/{good}"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(v["error"].is_string());
    let (st, v) = s.get_json("/api/v1/nothing-here", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(v["error"].is_string());
    let (st, _) = s.get("/no/such/page").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    s.stop().await;
}

// ---- escaping ---------------------------------------------------------------

async fn vendor_text_is_escaped_on_every_page(backend: Backend) {
    let s = Server::start(backend).await;
    let op = s.token(Role::Operator, "").await;
    let vendor = s.token(Role::Vendor, "evil").await;
    let payloads = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
    ];
    let both = format!("{} {}", payloads[0], payloads[1]);
    let sub = json!({
        "org": "evil", "level": 1,
        "applicant": {"company": format!("Evil {both}"), "address": both, "contact": both},
        "products": [{"name": format!("Cam {both}"), "model_numbers": [both.clone(), payloads[1]],
                      "firmware_versions": [both.clone()], "product_type": both}],
        "disclosure_contact": both,
        "checklist": jcstar_registry::demo::checklist_for(
            &format!("Evil {both}"), &both, &format!("Cam {both}"), &both,
            &[both.as_str(), payloads[1]], &[both.as_str()])
    });
    let (st, app) = s.post("/api/v1/applications", Some(&vendor), sub).await;
    assert_eq!(st, StatusCode::CREATED, "{app}");
    let id = app["id"].as_str().unwrap();
    let p = |x: &str| format!("/api/v1/applications/{id}/{x}");
    s.post(&p("inquiry"), Some(&op), json!({"reference": "r"}))
        .await;
    s.post(
        &p("inquiry/answer"),
        Some(&op),
        json!({"outcome": "clear", "reference": "r"}),
    )
    .await;
    s.post(&p("accept"), Some(&op), json!({})).await;
    s.post(
        &p("fee"),
        Some(&op),
        json!({"amount_yen": 1, "paid_on": "2026-04-01", "reference": "r"}),
    )
    .await;
    let (st, label) = s.post(&p("issue"), Some(&op), json!({})).await;
    assert_eq!(st, StatusCode::CREATED, "{label}");
    let n = label["number"].as_str().unwrap().to_string();
    let l = |x: &str| format!("/api/v1/labels/{n}/{x}");
    for (path, body) in [
        (
            l("updates"),
            json!({"version": both, "released_on": "2026-04-01", "notes": both}),
        ),
        (
            l("vulnerabilities"),
            json!({"id": both, "title": both, "state": "fixed", "fixed_in": both, "published_on": "2026-04-01"}),
        ),
    ] {
        let (st, b) = s.post(&path, Some(&vendor), body).await;
        ok(st, &b, &path);
    }
    let (st, b) = s
        .post(&l("withdraw"), Some(&vendor), json!({"reason": both}))
        .await;
    ok(st, &b, "withdraw");
    let pages = [
        format!("/labels/{n}"),
        format!("/labels/{n}?lang=en"),
        "/search?q=Evil".to_string(),
        format!("/search?q={}", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
        "/".to_string(),
        format!("/labels/{}", "%3Cscript%3E"),
        format!(
            "/nothing?lang={}",
            "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
        ),
    ];
    for page in &pages {
        let (_, html) = s.get(page).await;
        for bad in ["<script>alert", "<img src=x", "onerror=alert(1)>"] {
            assert!(!html.contains(bad), "{page} contains unescaped {bad:?}");
        }
    }
    // askama writes numeric character references; compare in one spelling.
    let norm = |h: String| {
        h.replace("&#60;", "&lt;")
            .replace("&#62;", "&gt;")
            .replace("&#34;", "&quot;")
            .replace("&#38;", "&amp;")
    };
    let (_, html) = s.get(&format!("/labels/{n}")).await;
    let html = norm(html);
    // Every field is there, escaped: 2 payloads × many fields.
    let count = html
        .matches("&lt;script&gt;alert(1)&lt;/script&gt;")
        .count();
    assert!(count >= 10, "escaped text shown {count} times: {html}");
    assert!(
        html.matches("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;")
            .count()
            >= 10
    );
    let (_, html) = s.get("/search?q=Evil").await;
    assert!(norm(html).contains("Evil &lt;script&gt;"));
    let (_, html) = s.get("/").await;
    assert!(norm(html).contains("Evil &lt;script&gt;"));
    s.stop().await;
}

// ---- concurrency and the API description ------------------------------------

async fn hundred_concurrent_issuances_get_distinct_valid_numbers(backend: Backend) {
    let s = Server::start(backend).await;
    let op = s.token(Role::Operator, "").await;
    let mut ids = Vec::new();
    let vendor = Actor::local(Role::Vendor, "acme", "t");
    let opa = Actor::local(Role::Operator, "operator", "t");
    for i in 0..100 {
        let app = s
            .reg
            .submit_application(&vendor, local_sub(&format!("Acme {i}"), Level::Star1))
            .await
            .unwrap();
        s.reg.request_inquiry(&opa, &app.id, "r").await.unwrap();
        s.reg
            .answer_inquiry(&opa, &app.id, InquiryOutcome::Clear, "r")
            .await
            .unwrap();
        s.reg.accept_application(&opa, &app.id, None).await.unwrap();
        let fee = Fee {
            amount_yen: 1,
            paid_on: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
            reference: "F".into(),
        };
        s.reg.record_fee(&opa, &app.id, fee).await.unwrap();
        ids.push(app.id);
    }
    let mut tasks = Vec::new();
    for id in ids {
        let http = s.http.clone();
        let url = s.url(&format!("/api/v1/applications/{id}/issue"));
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(op)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let st = r.status();
            let v: Value = r.json().await.unwrap();
            (st, v)
        }));
    }
    let mut numbers = std::collections::BTreeSet::new();
    for t in tasks {
        let (st, v) = t.await.unwrap();
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let n = v["number"].as_str().unwrap().to_string();
        parse_registration_number(&n).expect("valid number");
        numbers.insert(n);
    }
    assert_eq!(numbers.len(), 100);
    s.stop().await;
}

async fn openapi_describes_every_operation_and_real_fields(backend: Backend) {
    let s = Server::start(backend).await;
    let (st, doc) = s.get_json("/api/openapi.json", None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/labels",
        "/api/v1/labels/{number}",
        "/api/v1/export/labels.csv",
        "/api/v1/export/labels.json",
        "/api/v1/feed",
        "/api/v1/chain",
        "/api/v1/applications",
        "/api/v1/applications/{id}",
        "/api/v1/applications/{id}/inquiry",
        "/api/v1/applications/{id}/inquiry/answer",
        "/api/v1/applications/{id}/accept",
        "/api/v1/applications/{id}/reject",
        "/api/v1/applications/{id}/fee",
        "/api/v1/applications/{id}/evaluation-body",
        "/api/v1/applications/{id}/evaluation-report",
        "/api/v1/applications/{id}/issue",
        "/api/v1/labels/{number}/extend",
        "/api/v1/labels/{number}/changes",
        "/api/v1/labels/{number}/withdraw",
        "/api/v1/labels/{number}/surveillance",
        "/api/v1/labels/{number}/surveillance/close",
        "/api/v1/labels/{number}/revoke",
        "/api/v1/labels/{number}/updates",
        "/api/v1/labels/{number}/vulnerabilities",
        "/api/v1/labels/{number}/support-end",
        "/api/v1/labels/{number}/disclosure-contact",
    ] {
        assert!(paths.contains_key(p), "OpenAPI lacks {p}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Every field the real API sends is documented.
    jcstar_registry::seed_demo(&s.reg).await.unwrap();
    let schemas = &doc["components"]["schemas"];
    let (_, page) = s.get_json("/api/v1/search-not-here", None).await;
    assert!(page["error"].is_string());
    let (_, list) = s.get_json("/api/v1/labels", None).await;
    let number = list["items"][0]["number"].as_str().unwrap().to_string();
    let (_, page) = s.get_json(&format!("/api/v1/labels/{number}"), None).await;
    let (_, feed) = s.get_json("/api/v1/feed", None).await;
    for (name, value) in [
        ("ProductPage", &page),
        ("Label", &page["label"]),
        ("HistoryEntry", &page["history"][0]),
        ("SecurityInfo", &page["label"]["security"]),
        ("SearchPage", &list),
        ("LabelSummary", &list["items"][0]),
        ("FeedPage", &feed),
        ("Event", &feed["events"][0]),
    ] {
        let props = schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("schema {name}"));
        for key in value.as_object().unwrap().keys() {
            assert!(
                props.contains_key(key),
                "{name}.{key} is sent but not documented"
            );
        }
    }
    s.stop().await;
}

/// The token is checked once per request, by the rate limiter: the handler
/// takes the caller from the identity the limiter left in the request and
/// does not look at the header again (here it names a token that does not
/// exist, which a second check would refuse).
async fn the_token_is_checked_once(backend: Backend) {
    use axum::extract::FromRequestParts;
    use jcstar_web::api::{Caller, Identity};
    let s = Server::start(backend).await;
    let state = jcstar_web::AppState::new(s.reg.clone(), &s.base);
    let operator = Actor::local(Role::Operator, "ipa", "Operator");
    let (mut parts, ()) = axum::http::Request::builder()
        .header("authorization", "Bearer jcs_nosuch_token")
        .body(())
        .unwrap()
        .into_parts();
    parts.extensions.insert(Identity::Token(operator.clone()));
    let Caller(actor) = Caller::from_request_parts(&mut parts, &state)
        .await
        .expect("caller from the limiter's identity");
    assert_eq!(actor, operator);
    // Without the limiter's identity the extractor checks the token itself.
    parts.extensions.clear();
    assert!(
        Caller::from_request_parts(&mut parts, &state)
            .await
            .is_err()
    );
    // Through the whole server: a valid token is accepted, an unknown one
    // refused with 401.
    let op = s.token(Role::Operator, "ipa").await;
    let (st, _) = s.get_json("/api/v1/feed?scope=all", Some(&op)).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s
        .get_json("/api/v1/feed?scope=all", Some("jcs_nosuch_token"))
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    s.stop().await;
}

/// Query parameters: the API refuses unknown and repeated ones, every
/// error names the parameter and what it accepts, in Japanese unless
/// English is asked for; pages ignore unknown parameters.
async fn query_parameters_are_typed_and_named(backend: Backend) {
    let s = Server::start(backend).await;
    jcstar_registry::seed_demo(&s.reg).await.unwrap();

    let (st, v) = s.get_json("/api/v1/labels?levle=2", None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["field"], "levle");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("パラメータ levle はありません"),
        "{v}"
    );
    assert!(v["expected"].as_str().unwrap().contains("per_page"), "{v}");

    let (st, v) = s
        .get_json("/api/v1/labels?level=1&level=2&lang=en", None)
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["field"], "level");
    assert_eq!(
        v["error"],
        "parameter level is given more than once; give it once"
    );

    let (st, v) = s.get_json("/api/v1/labels?level=9", None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["field"], "level");
    assert!(v["error"].as_str().unwrap().contains("「9」"), "{v}");
    assert_eq!(v["expected"], "1、2、3、4 のいずれか");
    // English by Accept-Language too.
    let r = s
        .http
        .get(s.url("/api/v1/feed?limit=0"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["error"],
        "parameter limit: \"0\" is not accepted; expected a whole number from 1 to 1000"
    );
    let (st, v) = s
        .get_json("/api/v1/feed?scope=everything&lang=en", None)
        .await;
    assert_eq!(
        (st, &v["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("scope"))
    );
    let (st, v) = s
        .get_json("/api/v1/export/labels.csv?excel=yes", None)
        .await;
    assert_eq!(
        (st, &v["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("excel"))
    );
    let (st, v) = s.get_json("/api/v1/chain?verbose=1", None).await;
    assert_eq!(
        (st, &v["field"]),
        (StatusCode::BAD_REQUEST, &json!("verbose"))
    );
    // Empty values are absent (forms send every field); lang is known.
    let (st, _) = s
        .get_json("/api/v1/labels?q=&level=&status=&lang=ja", None)
        .await;
    assert_eq!(st, StatusCode::OK);

    // Pages: unknown parameters are ignored, bad values named on the page.
    let (st, _) = s.get("/search?q=Acme&utm_source=x&lang=en").await;
    assert_eq!(st, StatusCode::OK);
    let (st, html) = s.get("/search?per_page=500&lang=en").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("parameter per_page"), "{html}");
    let (st, html) = s.get("/search?per_page=500").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("パラメータ per_page"), "{html}");
    let (_, list) = s.get_json("/api/v1/labels", None).await;
    let number = list["items"][0]["number"].as_str().unwrap().to_string();
    let (st, html) = s
        .get(&format!("/labels/{number}/label.png?scale=huge&lang=en"))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("a number from 0.5 to 8"), "{html}");
    let r = s
        .http
        .get(s.url(&format!("/labels/{number}/label.png?scale=1")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    s.stop().await;
}

/// The OpenAPI document and the router come from the same declarations;
/// this checks it from outside. The router's route table is read from its
/// `Debug` form (axum lists the paths there); every documented operation
/// answers (neither the not-found fallback nor 405), and every method the
/// document does not list for a path is 405.
async fn every_route_is_documented_and_every_documented_route_served(backend: Backend) {
    let s = Server::start(backend).await;
    jcstar_registry::seed_demo(&s.reg).await.unwrap();
    let (st, doc) = s.get_json("/api/openapi.json", None).await;
    assert_eq!(st, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    let documented: std::collections::BTreeSet<String> = paths.keys().cloned().collect();

    let (router, _) = jcstar_web::routes();
    let table = format!("{router:?}");
    let mut served = std::collections::BTreeSet::new();
    for piece in table.split('"').skip(1).step_by(2) {
        if piece.starts_with('/') && !piece.contains("__private__axum") {
            served.insert(piece.to_string());
        }
    }
    assert!(
        served.contains("/labels/{number}"),
        "route table not found in {table}"
    );
    assert_eq!(
        served, documented,
        "routes served (left) and documented (right) differ"
    );

    let (_, list) = s.get_json("/api/v1/labels", None).await;
    let number = list["items"][0]["number"].as_str().unwrap().to_string();
    // A document of that label, for the documents route.
    let op = Actor::local(Role::Operator, "ipa", "test operator");
    let vex = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a",
        "timestamp":"2026-04-01T00:00:00Z","version":1,"statements":[
        {"vulnerability":{"name":"CVE-2023-48795"},
         "products":[{"@id":"pkg:generic/dropbear@2022.83"}],"status":"affected"}]}"#;
    let l = s.reg.publish_vex(&op, &number, vex).await.unwrap();
    let sha = l.security.vex[0].sha256.clone();
    let methods = ["get", "post", "put", "patch", "delete"];
    for (path, ops) in paths {
        let url = path
            .replace("{number}", &number)
            .replace("{id}", "APP-000001")
            .replace("{sha256}", &sha)
            .replace(
                "{file}",
                &jcstar_registry::snapshot::file_names(s.snapshot_day)[0],
            );
        for m in methods {
            let method = reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            let r = s
                .http
                .request(method, s.url(&url))
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = r.status();
            if ops.get(m).is_some() {
                assert!(
                    status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{m} {path} is documented but answers {status}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{m} {path} is not documented but answers {status}"
                );
            }
        }
    }
    s.stop().await;
}

// ---- the product page cache --------------------------------------------------

/// Every way a product page's content can change must show on the very next
/// request although pages are cached: a write through this server, the date
/// passing the end of validity, and a write by another process on the same
/// database (seen within the cache's head poll).
async fn page_cache_never_serves_stale(backend: Backend) {
    let s = Server::start(backend).await;
    let op = s.token(Role::Operator, "").await;
    let vendor = s.token(Role::Vendor, "acme").await;
    let n = issue_over_http(&s, &vendor, &op, "acme", "Cache Test K.K.").await;
    let page = format!("/labels/{n}?lang=en");
    let api = format!("/api/v1/labels/{n}");

    let first = s.http.get(s.url(&page)).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let body = first.text().await.unwrap();
    assert!(body.contains("Active"));
    // Served again from the cache: same bytes, same validator, 304 on match.
    let again = s.http.get(s.url(&page)).send().await.unwrap();
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(again.text().await.unwrap(), body);
    let cond = s
        .http
        .get(s.url(&page))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cond.status(), StatusCode::NOT_MODIFIED);
    let (_, j) = s.get_json(&api, None).await;
    assert_eq!(j["label"]["status"], "active");
    assert_eq!(j["history"].as_array().unwrap().len(), 1);

    // 1. A write through this server: a security-information entry and a
    //    status change, each visible at once in HTML, JSON and the 304 path.
    let (st, b) = s
        .post(
            &format!("{api}/updates"),
            Some(&vendor),
            json!({"version": "2.0.0", "released_on": "2026-04-01", "notes": "cache-busting update"}),
        )
        .await;
    ok(st, &b, "update");
    let (_, body) = s.get(&page).await;
    assert!(
        body.contains("cache-busting update"),
        "stale page after update"
    );
    let (_, j) = s.get_json(&api, None).await;
    assert_eq!(j["label"]["security"]["updates"][0]["version"], "2.0.0");
    let deadline = (s.reg.today() + Duration::days(30)).to_string();
    let (st, b) = s
        .post(
            &format!("{api}/surveillance"),
            Some(&op),
            json!({"reason": "cache check", "evidence_demanded": "logs", "correction_deadline": deadline}),
        )
        .await;
    ok(st, &b, "surveillance");
    let cond = s
        .http
        .get(s.url(&page))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cond.status(), StatusCode::OK, "old validator still matched");
    assert!(cond.text().await.unwrap().contains("UNDER SURVEILLANCE"));
    let (_, j) = s.get_json(&api, None).await;
    assert_eq!(j["label"]["status"], "under_surveillance");
    let (st, b) = s
        .post(
            &format!("{api}/surveillance/close"),
            Some(&op),
            json!({"reason": "fixed"}),
        )
        .await;
    ok(st, &b, "close surveillance");
    let (_, body) = s.get(&page).await;
    assert!(body.contains("Active") && !body.contains("UNDER SURVEILLANCE"));

    // 2. No write at all: the end date passes.
    let valid_until: NaiveDate = j["label"]["valid_until"].as_str().unwrap().parse().unwrap();
    let days = (valid_until - s.reg.today()).num_days() + 1;
    s.clock.advance(Duration::days(days));
    let (_, body) = s.get(&page).await;
    assert!(
        body.contains("EXPIRED") || body.contains("Expired"),
        "cached page outlived its end date"
    );
    let (_, j) = s.get_json(&api, None).await;
    assert_eq!(j["label"]["status"], "expired");

    // 3. Another process writes to the same database (its own registry
    //    handle, so this server's write counter does not move).
    let other =
        s.db.as_ref()
            .unwrap()
            .open(s.clock.clone())
            .await
            .expect("second handle");
    // Two years on, the vendor's 90-day token has expired; the other
    // process acts as the vendor's named person directly.
    assert!(other.authenticate(&vendor).await.is_err());
    let vendor_actor = Actor::local(Role::Vendor, "acme", "Acme staff");
    other
        .set_disclosure_contact(&vendor_actor, &n, "psirt-external@example.jp")
        .await
        .unwrap();
    tokio::time::sleep(jcstar_web::cache::HEAD_POLL + std::time::Duration::from_millis(200)).await;
    // The first request after the poll period compares the head.
    let (_, body) = s.get(&page).await;
    assert!(
        body.contains("psirt-external@example.jp"),
        "a write by another process stayed invisible after the poll period"
    );
    other.close().await;

    // Pages with other parameters are not cached but still right.
    let (st, body) = s.get(&format!("/labels/{n}?lang=en&x=1")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(body.contains("psirt-external@example.jp"));
    s.stop().await;
}

jcstar_registry::both!(
    flows,
    role_action_matrix,
    bad_input_is_a_4xx_json_naming_the_field,
    vendor_text_is_escaped_on_every_page,
    hundred_concurrent_issuances_get_distinct_valid_numbers,
    openapi_describes_every_operation_and_real_fields,
    every_route_is_documented_and_every_documented_route_served,
    query_parameters_are_typed_and_named,
    the_token_is_checked_once,
    page_cache_never_serves_stale,
);
