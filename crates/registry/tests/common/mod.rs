#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use jcstar_registry::testing::TestDb;
use jcstar_registry::*;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 1, 0, 0)
        .single()
        .expect("valid start time")
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

pub struct Env {
    pub db: TestDb,
    pub reg: Registry,
    pub clock: Arc<ManualClock>,
    pub op: Actor,
}

impl Env {
    pub async fn new(backend: Backend) -> Env {
        let db = TestDb::new(backend)
            .await
            .unwrap_or_else(|e| panic!("test database for {backend:?}: {e}"));
        let clock = Arc::new(ManualClock::new(t0()));
        let reg = db
            .open(clock.clone())
            .await
            .unwrap_or_else(|e| panic!("open {backend:?}: {e}"));
        Env {
            db,
            reg,
            clock,
            op: Actor::local(Role::Operator, "ipa", "test operator"),
        }
    }

    pub async fn done(self) {
        self.reg.close().await;
        self.db.cleanup().await.expect("cleanup");
    }

    pub fn vendor(&self, org: &str) -> Actor {
        Actor::local(Role::Vendor, org, "test vendor")
    }

    /// A ★1 application of `org` submitted and format-checked.
    pub async fn submit(&self, org: &str, level: Level) -> Application {
        self.reg
            .submit_application(&self.vendor(org), submission(org, level))
            .await
            .expect("submit")
    }

    /// Run the flow up to FeePaid.
    pub async fn paid(&self, org: &str, level: Level) -> Application {
        let app = self.submit(org, level).await;
        if level.needs_evaluation() {
            self.reg
                .assign_evaluation_body(&self.op, &app.id, "lab")
                .await
                .expect("assign");
            self.reg
                .attach_evaluation_report(
                    &Actor::local(Role::EvaluationBody, "lab", "lab"),
                    &app.id,
                    report(Verdict::Pass),
                )
                .await
                .expect("report");
        }
        self.accept(&app).await;
        self.reg
            .record_fee(&self.op, &app.id, fee(self.reg.today()))
            .await
            .expect("fee")
    }

    /// The inquiry sent and answered clear, then the application accepted.
    pub async fn accept(&self, app: &Application) -> Application {
        self.reg
            .request_inquiry(&self.op, &app.id, "SCI-1")
            .await
            .expect("inquiry");
        self.reg
            .answer_inquiry(&self.op, &app.id, InquiryOutcome::Clear, "SCA-1")
            .await
            .expect("answer");
        self.reg
            .accept_application(&self.op, &app.id, None)
            .await
            .expect("accept")
    }

    pub async fn issued(&self, org: &str, level: Level) -> Label {
        let app = self.paid(org, level).await;
        self.reg
            .issue_label(&self.op, &app.id, None)
            .await
            .expect("issue")
    }
}

pub fn fee(on: NaiveDate) -> Fee {
    Fee {
        amount_yen: 15_000,
        paid_on: on,
        reference: "INV-1".into(),
    }
}

pub fn report(verdict: Verdict) -> EvaluationReport {
    report_for(verdict, Level::Star3)
}

pub fn report_for(verdict: Verdict, level: Level) -> EvaluationReport {
    EvaluationReport {
        file_name: "report.pdf".into(),
        sha256: "ab".repeat(32),
        summary: "tested".into(),
        verdict,
        level: Some(level),
    }
}

/// An application whose flags repeat its checklist's basic-information
/// sheet (they must agree with it).
pub fn submission(org: &str, level: Level) -> ApplicationSubmission {
    let model = format!("{}-100", org.to_uppercase());
    ApplicationSubmission {
        org: org.to_string(),
        level: Some(level),
        applicant: Applicant {
            company: format!("{org} Corporation"),
            address: "1-2-3 Example, Tokyo".into(),
            contact: format!("info@{org}.example.jp"),
        },
        products: vec![Product {
            name: format!("{org} Camera"),
            model_numbers: vec![model.clone(), "X-2".into()],
            firmware_versions: vec!["1.0.0".into()],
            product_type: "network camera".into(),
        }],
        disclosure_contact: format!("security@{org}.example.jp"),
        checklist: checklist(org),
        requested_valid_until: None,
    }
}

/// The checklist `submission(org, …)` describes.
pub fn checklist(org: &str) -> serde_json::Value {
    let model = format!("{}-100", org.to_uppercase());
    jcstar_registry::demo::checklist_for(
        &format!("{org} Corporation"),
        "1-2-3 Example, Tokyo",
        &format!("{org} Camera"),
        "network camera",
        &[model.as_str(), "X-2"],
        &["1.0.0"],
    )
}

/// `checklist(org)` as an application under the UK PSTI arrangement: the
/// criteria it deems met answered so, its statement of compliance named.
pub fn psti_checklist(org: &str) -> serde_json::Value {
    let a = jcstar_criteria::Recognition::builtin()
        .get("uk-psti")
        .expect("the uk-psti arrangement");
    let mut c: jcstar_checklist::Checklist =
        serde_json::from_value(checklist(org)).expect("checklist");
    for ans in &mut c.answers {
        if a.waives(&ans.criterion) {
            ans.result = jcstar_checklist::Outcome::DeemedMet;
            ans.evidence.clear();
            ans.methods.clear();
        }
    }
    c.recognition = Some(jcstar_checklist::RecognitionClaim {
        arrangement: a.id.clone(),
        statement_document: Some("PSTI Statement of Compliance v1".into()),
        statement_url: None,
    });
    serde_json::to_value(c).expect("checklist as JSON")
}

/// Expect a refusal whose message names `state` and contains `needle`.
pub fn assert_refused<T: std::fmt::Debug>(r: Result<T>, state: &str, needle: &str) {
    match r {
        Err(Error::Refused {
            state: s, reason, ..
        }) => {
            assert_eq!(&*s.en, state, "state in refusal ({reason})");
            assert!(
                reason.en.contains(needle),
                "refusal reason {reason:?} should mention {needle:?}"
            );
            assert!(
                !reason.ja.is_empty() && reason.ja != reason.en && !s.ja.is_empty(),
                "refusal {reason:?} needs a Japanese reason and state"
            );
        }
        other => panic!("expected a refusal in state {state}, got {other:?}"),
    }
}
