//! The scheme's rules where data enters the registry: the application is its
//! checklist, a label's level never exceeds its evidence, surveillance takes
//! precedence over withdrawal, label changes, accountable actors, bounded
//! refusals, no existence oracle, sane values, and verification of the
//! materialised state. Each runs on SQLite and PostgreSQL.

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

use chrono::Duration;
use common::*;
use jcstar_registry::*;
use sqlx::Connection;

jcstar_registry::both!(
    the_checklist_is_the_application,
    level_never_exceeds_the_evidence,
    surveillance_takes_precedence_over_withdrawal,
    label_changes_under_the_same_declaration,
    actors_are_named_and_tokens_expire,
    refused_applications_are_bounded,
    other_organisations_applications_do_not_exist,
    dates_amounts_and_unknown_fields,
    verify_names_hand_edited_rows_and_rebuild_repairs_them,
    a_recognition_arrangement_sets_the_fee,
);

fn nc200_checklist() -> serde_json::Value {
    demo::checklist_for(
        "Nihon Camera K.K.",
        "1-1 Example, Osaka",
        "NC Camera",
        "network camera",
        &["NC-200"],
        &["2.1.0"],
    )
}

fn bare(org: &str, checklist: serde_json::Value) -> ApplicationSubmission {
    ApplicationSubmission {
        org: org.into(),
        level: None,
        applicant: Applicant::default(),
        products: Vec::new(),
        disclosure_contact: String::new(),
        checklist,
        requested_valid_until: None,
    }
}

fn invalid_field<T: std::fmt::Debug>(r: Result<T>) -> (String, String) {
    match r {
        Err(Error::Invalid { field, message }) => {
            assert!(
                !message.ja.is_empty() && message.ja != message.en,
                "{field}: a Japanese message is expected beside {:?}",
                message.en
            );
            (field, message.en.into())
        }
        other => panic!("expected invalid input, got {other:?}"),
    }
}

async fn the_checklist_is_the_application(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let vendor = env.vendor("nc");
    // Nothing but the organisation: everything comes from the sheet.
    let app = reg
        .submit_application(&vendor, bare("nc", nc200_checklist()))
        .await
        .unwrap();
    assert_eq!(app.level, Level::Star1);
    assert_eq!(app.applicant.company, "Nihon Camera K.K.");
    assert_eq!(app.applicant.address, "1-1 Example, Osaka");
    assert_eq!(app.applicant.contact, "psirt@example.jp");
    assert_eq!(app.products.len(), 1);
    assert_eq!(app.products[0].name, "NC Camera");
    assert_eq!(app.products[0].model_numbers, vec!["NC-200"]);
    assert_eq!(app.products[0].firmware_versions, vec!["2.1.0"]);
    assert_eq!(app.products[0].product_type, "network camera");

    // A different model number against a checklist for NC-200 is refused,
    // naming both, and nothing is recorded.
    let before = reg.head_seq().await.unwrap();
    let mut sub = bare("nc", nc200_checklist());
    sub.products = vec![Product {
        model_numbers: vec!["XYZ-999".into()],
        ..Product::default()
    }];
    let (field, message) = invalid_field(reg.submit_application(&vendor, sub).await);
    assert_eq!(field, "products[0].model_numbers");
    assert!(
        message.contains("XYZ-999") && message.contains("NC-200"),
        "{message}"
    );
    // A different company likewise.
    let mut sub = bare("nc", nc200_checklist());
    sub.applicant.company = "Other Corp".into();
    let (field, message) = invalid_field(reg.submit_application(&vendor, sub).await);
    assert_eq!(field, "applicant.company");
    assert!(
        message.contains("Other Corp") && message.contains("Nihon Camera K.K."),
        "{message}"
    );
    // Flags that repeat the sheet are fine.
    let mut sub = bare("nc", nc200_checklist());
    sub.products = vec![Product {
        name: "NC Camera".into(),
        model_numbers: vec!["NC-200".into()],
        ..Product::default()
    }];
    reg.submit_application(&vendor, sub).await.unwrap();
    // One checklist, one product.
    let mut sub = bare("nc", nc200_checklist());
    sub.products = vec![Product::default(), Product::default()];
    let (field, _) = invalid_field(reg.submit_application(&vendor, sub).await);
    assert_eq!(field, "products");
    assert_eq!(reg.head_seq().await.unwrap(), before + 2);
    env.done().await;
}

async fn level_never_exceeds_the_evidence(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let vendor = env.vendor("acme");
    // ★2 needs a ★2 checklist; this one is for ★1.
    let (field, message) = invalid_field(
        reg.submit_application(&vendor, submission("acme", Level::Star2))
            .await,
    );
    assert_eq!(field, "level");
    assert!(
        message.contains("★2") && message.contains("★1"),
        "{message}"
    );

    // A ★3 application on a ★1 checklist: no ★3 label without a passing
    // evaluation report for ★3.
    let app = env.submit("acme", Level::Star3).await;
    reg.assign_evaluation_body(&env.op, &app.id, "lab")
        .await
        .unwrap();
    let lab = Actor::local(Role::EvaluationBody, "lab", "lab person");
    let mut unstated = report_for(Verdict::Pass, Level::Star3);
    unstated.level = None;
    let (field, _) = invalid_field(reg.attach_evaluation_report(&lab, &app.id, unstated).await);
    assert_eq!(field, "level");
    reg.attach_evaluation_report(&lab, &app.id, report_for(Verdict::Pass, Level::Star4))
        .await
        .unwrap();
    reg.request_inquiry(&env.op, &app.id, "SCI").await.unwrap();
    reg.answer_inquiry(&env.op, &app.id, InquiryOutcome::Clear, "SCA")
        .await
        .unwrap();
    assert_refused(
        reg.accept_application(&env.op, &app.id, None).await,
        "inquiry_answered",
        "report for ★3, but the report covers ★4",
    );
    // Evidence for exactly ★3 lets it through.
    let app = env.paid("beta", Level::Star3).await;
    let label = reg.issue_label(&env.op, &app.id, None).await.unwrap();
    assert_eq!(label.level, Level::Star3);
    env.done().await;
}

async fn surveillance_takes_precedence_over_withdrawal(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let label = env.issued("acme", Level::Star1).await;
    let order = SurveillanceOrder {
        reason: "report of a default password".into(),
        evidence_demanded: "S1.1-02 evidence".into(),
        correction_deadline: reg.today() + Duration::days(7),
    };
    reg.open_surveillance(&env.op, &label.number, order)
        .await
        .unwrap();
    assert_refused(
        reg.withdraw_label(&env.vendor("acme"), &label.number, "leaving the market")
            .await,
        "under_surveillance",
        "the operator closes the surveillance or revokes",
    );
    // The operator's revocation still works and is what the public sees.
    env.clock.advance(Duration::days(8));
    let l = reg
        .revoke_label(&env.op, &label.number, "no correction", None)
        .await
        .unwrap();
    assert_eq!(l.status, LabelStatus::Revoked);
    let page = reg.product_page(&label.number).await.unwrap();
    assert_eq!(page.label.status, LabelStatus::Revoked);
    assert!(
        page.history
            .iter()
            .all(|h| h.kind != EventKind::LabelWithdrawn)
    );
    env.done().await;
}

async fn label_changes_under_the_same_declaration(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let vendor = env.vendor("acme");
    let label = env.issued("acme", Level::Star1).await;
    let change = |models: &[&str], versions: &[&str], security_relevant: bool| LabelChange {
        product: None,
        add_model_numbers: models.iter().map(|s| s.to_string()).collect(),
        add_firmware_versions: versions.iter().map(|s| s.to_string()).collect(),
        security_relevant,
        reason: "colour variant, same board and firmware".into(),
    };
    let l = reg
        .change_label(
            &vendor,
            &label.number,
            change(&["ACME-100-W"], &["1.0.1"], false),
        )
        .await
        .unwrap();
    assert_eq!(
        l.products[0].model_numbers,
        vec!["ACME-100", "X-2", "ACME-100-W"]
    );
    assert_eq!(l.products[0].firmware_versions, vec!["1.0.0", "1.0.1"]);
    // In the public history, with its reason and what was added.
    let page = reg.product_page(&label.number).await.unwrap();
    let h = page.history.last().unwrap();
    assert_eq!(h.kind, EventKind::LabelChanged);
    assert_eq!(
        h.reason.as_deref(),
        Some("colour variant, same board and firmware")
    );
    assert_eq!(h.details["added_model_numbers"][0], "ACME-100-W");
    assert_eq!(page.label.products[0].model_numbers.len(), 3);
    // Security-relevant changes need a new application.
    assert_refused(
        reg.change_label(&vendor, &label.number, change(&["ACME-200"], &[], true))
            .await,
        "active",
        "new application",
    );
    assert_refused(
        reg.change_label(&vendor, &label.number, change(&[], &["2.0.0"], false))
            .await,
        "active",
        "new application",
    );
    let (field, _) = invalid_field(
        reg.change_label(&vendor, &label.number, change(&["X-2"], &[], false))
            .await,
    );
    assert_eq!(field, "add_model_numbers");
    let (_, _) = invalid_field(
        reg.change_label(&env.vendor("acme"), &label.number, change(&[], &[], false))
            .await,
    );
    let r = reg
        .change_label(
            &env.vendor("mallory"),
            &label.number,
            change(&["M-1"], &[], false),
        )
        .await;
    assert!(matches!(r, Err(Error::Denied(_))), "{r:?}");
    // The change replays.
    reg.rebuild().await.unwrap();
    assert_eq!(reg.label(&label.number).await.unwrap().products, l.products);
    reg.withdraw_label(&vendor, &label.number, "end of sale")
        .await
        .unwrap();
    assert_refused(
        reg.change_label(&vendor, &label.number, change(&["ACME-100-B"], &[], false))
            .await,
        "withdrawn",
        "only an active label",
    );
    env.done().await;
}

async fn actors_are_named_and_tokens_expire(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    // Nobody: refused, nothing recorded.
    let anonymous = Actor {
        role: Role::Vendor,
        org: "acme".into(),
        token_id: None,
        token_name: None,
    };
    let (field, _) = invalid_field(
        reg.submit_application(&anonymous, submission("acme", Level::Star1))
            .await,
    );
    assert_eq!(field, "actor");
    let nameless = Actor::local(Role::Operator, "ipa", "  ");
    let app = env.submit("acme", Level::Star1).await;
    let (field, _) = invalid_field(reg.request_inquiry(&nameless, &app.id, "SCI").await);
    assert_eq!(field, "actor");
    // A token belongs to a named person, expires after 90 days by default,
    // and every event written with it records that person.
    assert!(reg.create_token(Role::Vendor, "acme", " ").await.is_err());
    assert!(
        reg.create_token_for_days(Role::Vendor, "acme", "Hanako", 0)
            .await
            .is_err()
    );
    let t = reg
        .create_token(Role::Vendor, "acme", "Hanako Yamada")
        .await
        .unwrap();
    assert_eq!(t.expires_at, reg.now() + Duration::days(90));
    let listed = reg.list_tokens().await.unwrap();
    assert_eq!(listed[0].expires_at, t.expires_at);
    let actor = reg.authenticate(&t.plaintext).await.unwrap();
    let app = reg
        .submit_application(&actor, submission("acme", Level::Star1))
        .await
        .unwrap();
    let feed = reg
        .events_since(FeedScope::All, 0, None, 100)
        .await
        .unwrap();
    let ev = feed
        .events
        .iter()
        .find(|e| e.application_id.as_deref() == Some(app.id.as_str()))
        .unwrap();
    assert_eq!(ev.actor.token_name.as_deref(), Some("Hanako Yamada"));
    assert_eq!(ev.actor.token_id.as_deref(), Some(t.id.as_str()));
    let short = reg
        .create_token_for_days(Role::Vendor, "acme", "Taro", 1)
        .await
        .unwrap();
    env.clock.advance(Duration::days(2));
    assert!(matches!(
        reg.authenticate(&short.plaintext).await,
        Err(Error::Unauthenticated)
    ));
    reg.authenticate(&t.plaintext).await.unwrap();
    env.clock.advance(Duration::days(89));
    assert!(matches!(
        reg.authenticate(&t.plaintext).await,
        Err(Error::Unauthenticated)
    ));
    env.done().await;
}

async fn refused_applications_are_bounded(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let vendor = env.vendor("acme");
    let mut failing = submission("acme", Level::Star1);
    failing.checklist["answers"]
        .as_array_mut()
        .expect("answers")
        .clear();
    let body = serde_json::to_string(&failing.checklist).unwrap();
    let r = reg.submit_application(&vendor, failing.clone()).await;
    let Err(Error::ChecklistRefused { application_id, .. }) = r else {
        panic!("expected a refusal, got {r:?}")
    };
    // Stored as the digest and the problems, not the checklist.
    let feed = reg.events_since(FeedScope::All, 0, None, 10).await.unwrap();
    let stored = &feed.events[0].payload["submission"]["checklist"];
    assert_eq!(
        stored["sha256"],
        jcstar_registry::chain::sha256_hex(body.as_bytes())
    );
    assert_eq!(stored["bytes"], body.len());
    assert!(stored.get("answers").is_none(), "{stored}");
    let app = reg.application(&env.op, &application_id).await.unwrap();
    assert_eq!(app.status, ApplicationStatus::FormatRefused);
    assert!(!app.format_problems.is_empty());
    // A per-organisation quota of recorded refusals a day.
    for _ in 1..REFUSED_PER_ORG_PER_DAY {
        let r = reg.submit_application(&vendor, failing.clone()).await;
        assert!(matches!(r, Err(Error::ChecklistRefused { .. })), "{r:?}");
    }
    let head = reg.head_seq().await.unwrap();
    assert_refused(
        reg.submit_application(&vendor, failing.clone()).await,
        "over its daily quota of refused applications",
        "jcstar checklist validate",
    );
    assert_eq!(reg.head_seq().await.unwrap(), head, "not recorded");
    // Other organisations and passing checklists are not affected.
    env.submit("acme", Level::Star1).await;
    env.submit("beta", Level::Star1).await;
    // The next day the quota starts again.
    env.clock.advance(Duration::days(1));
    let r = reg.submit_application(&vendor, failing).await;
    assert!(matches!(r, Err(Error::ChecklistRefused { .. })), "{r:?}");
    env.done().await;
}

async fn other_organisations_applications_do_not_exist(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let app = env.submit("acme", Level::Star1).await;
    let second = env.submit("acme", Level::Star1).await;
    // Ids carry a random part: one cannot be derived from another.
    let suffix = |id: &str| id.rsplit('-').next().unwrap_or_default().to_string();
    assert_eq!(suffix(&app.id).len(), 8);
    assert_ne!(suffix(&app.id), suffix(&second.id));
    let mallory = env.vendor("mallory");
    let missing = format!("{}X", &app.id[..app.id.len() - 1]);
    let as_message = |r: Result<Application>, id: &str| match r {
        Err(e @ Error::NotFound { .. }) => e.to_string().replace(id, "ID"),
        other => panic!("expected not found, got {other:?}"),
    };
    let theirs = as_message(reg.application(&mallory, &app.id).await, &app.id);
    let nothing = as_message(reg.application(&mallory, &missing).await, &missing);
    assert_eq!(theirs, nothing);
    let lab = Actor::local(Role::EvaluationBody, "lab", "lab person");
    let theirs = as_message(
        reg.attach_evaluation_report(&lab, &app.id, report(Verdict::Pass))
            .await,
        &app.id,
    );
    let nothing = as_message(
        reg.attach_evaluation_report(&lab, &missing, report(Verdict::Pass))
            .await,
        &missing,
    );
    assert_eq!(theirs, nothing);
    // The public is refused before any lookup, the same for both.
    let a = reg.application(&Actor::public(), &app.id).await;
    let b2 = reg.application(&Actor::public(), &missing).await;
    assert!(matches!(a, Err(Error::Denied(_))) && matches!(b2, Err(Error::Denied(_))));
    env.done().await;
}

async fn dates_amounts_and_unknown_fields(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let app = env.submit("acme", Level::Star1).await;
    reg.request_inquiry(&env.op, &app.id, "SCI").await.unwrap();
    reg.answer_inquiry(&env.op, &app.id, InquiryOutcome::Clear, "SCA")
        .await
        .unwrap();
    reg.accept_application(&env.op, &app.id, None)
        .await
        .unwrap();
    for (amount, on) in [
        (0, date(2026, 4, 1)),
        (MAX_FEE_YEN + 1, date(2026, 4, 1)),
        (15_000, date(1, 1, 1)),
        (15_000, date(9999, 12, 31)),
    ] {
        let fee = Fee {
            amount_yen: amount,
            paid_on: on,
            reference: "INV".into(),
        };
        let (field, _) = invalid_field(reg.record_fee(&env.op, &app.id, fee).await);
        assert!(field == "amount_yen" || field == "paid_on", "{field}");
    }
    reg.record_fee(&env.op, &app.id, fee(reg.today()))
        .await
        .unwrap();
    let (field, _) = invalid_field(
        reg.issue_label(&env.op, &app.id, Some(date(9999, 1, 1)))
            .await,
    );
    assert_eq!(field, "valid_until");
    let label = reg.issue_label(&env.op, &app.id, None).await.unwrap();
    let (field, _) = invalid_field(
        reg.set_support_end(&env.op, &label.number, Some(date(1, 1, 1)))
            .await,
    );
    assert_eq!(field, "support_end");
    // Unknown fields are refused, not ignored.
    let mut v = serde_json::to_value(submission("acme", Level::Star1)).unwrap();
    v["is_admin"] = serde_json::json!(true);
    assert!(serde_json::from_value::<ApplicationSubmission>(v).is_err());
    let mut v = serde_json::to_value(fee(reg.today())).unwrap();
    v["discount"] = serde_json::json!(100);
    assert!(serde_json::from_value::<Fee>(v).is_err());
    let mut v = serde_json::to_value(submission("acme", Level::Star1)).unwrap();
    v["products"][0]["colour"] = serde_json::json!("red");
    assert!(serde_json::from_value::<ApplicationSubmission>(v).is_err());
    env.done().await;
}

async fn verify_names_hand_edited_rows_and_rebuild_repairs_them(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let label = env.issued("acme", Level::Star1).await;
    let other = env.issued("beta", Level::Star1).await;
    reg.revoke_label(&env.op, &label.number, "forged report", Some("evidence"))
        .await
        .unwrap();
    let clean = reg.verify_state().await.unwrap();
    assert!(clean.ok(), "{clean:?}");
    assert_eq!(clean.labels, 2);
    // Show the revoked label as active by hand, and drop another's row.
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&env.db.url).await.unwrap();
    sqlx::query(
        "UPDATE labels SET stored_status = 'active', data = REPLACE(data, '\"status\":\"revoked\"', '\"status\":\"active\"') WHERE number = $1",
    )
    .bind(label.number.clone())
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query("DELETE FROM labels WHERE number = $1")
        .bind(other.number.clone())
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert_eq!(
        reg.label(&label.number).await.unwrap().status,
        LabelStatus::Active,
        "the edit took"
    );
    // The chain is intact, so only the state check can tell.
    assert!(reg.verify_chain().await.unwrap().ok());
    let report = reg.verify_state().await.unwrap();
    assert!(!report.ok());
    let about = |key: &str, needle: &str| {
        report
            .differences
            .iter()
            .any(|d| d.table == "labels" && d.key == key && d.problem.contains(needle))
    };
    assert!(about(&label.number, "stored_status"), "{report:?}");
    assert!(about(&label.number, "data.status"), "{report:?}");
    assert!(about(&other.number, "missing"), "{report:?}");
    reg.rebuild().await.unwrap();
    assert!(reg.verify_state().await.unwrap().ok());
    assert_eq!(
        reg.label(&label.number).await.unwrap().status,
        LabelStatus::Revoked
    );
    env.done().await;
}

async fn a_recognition_arrangement_sets_the_fee(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let psti = jcstar_criteria::Recognition::builtin()
        .get("uk-psti")
        .expect("uk-psti");
    let mut s = submission("uk", Level::Star1);
    s.checklist = psti_checklist("uk");
    let app = reg
        .submit_application(&env.vendor("uk"), s)
        .await
        .expect("a PSTI checklist with its statement passes");
    let app = env.accept(&app).await;
    let paid = |amount_yen| Fee {
        amount_yen,
        paid_on: reg.today(),
        reference: "INV-PSTI".into(),
    };

    // The standard fee is refused, naming both amounts and the arrangement.
    let (field, message) = invalid_field(
        reg.record_fee(&env.op, &app.id, paid(psti.standard_fee_jpy))
            .await,
    );
    assert_eq!(field, "amount_yen");
    for needle in ["198000 yen was given", "uk-psti", "140000 yen"] {
        assert!(message.contains(needle), "{needle:?} in {message:?}");
    }
    let still = reg.application(&env.op, &app.id).await.unwrap();
    assert_eq!(
        still.status,
        ApplicationStatus::Accepted,
        "nothing recorded"
    );
    assert!(still.fee.is_none());

    // The arrangement's fee is recorded, and the label issued.
    let app = reg
        .record_fee(&env.op, &app.id, paid(psti.fee_jpy))
        .await
        .unwrap();
    assert_eq!(app.fee.as_ref().map(|f| f.amount_yen), Some(140_000));
    reg.issue_label(&env.op, &app.id, None).await.unwrap();

    // Without an arrangement the amount is not compared with a tariff.
    let plain = env.paid("jp", Level::Star1).await;
    assert_eq!(plain.fee.as_ref().map(|f| f.amount_yen), Some(15_000));

    // A claim of an arrangement the registry does not know cannot have its
    // fee checked. The format check refuses such a checklist at submission,
    // so the claim is planted in the stored application.
    let mut s = submission("xx", Level::Star1);
    s.checklist = psti_checklist("xx");
    let app = reg.submit_application(&env.vendor("xx"), s).await.unwrap();
    let app = env.accept(&app).await;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&env.db.url).await.unwrap();
    sqlx::query(
        "UPDATE applications SET data = REPLACE(data, '\"uk-psti\"', '\"sg-cls\"') WHERE id = $1",
    )
    .bind(app.id.clone())
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let (field, message) = invalid_field(reg.record_fee(&env.op, &app.id, paid(140_000)).await);
    assert_eq!(field, "checklist.recognition.arrangement");
    assert!(
        message.contains("sg-cls") && message.contains("uk-psti"),
        "{message}"
    );
    env.done().await;
}
