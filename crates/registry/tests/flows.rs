//! The registry's flows, run against a real SQLite file and the real
//! PostgreSQL server (one fresh schema per test).

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

jcstar_registry::both!(
    full_flow_to_revocation,
    issue_then_withdraw,
    expiry_is_derived_from_the_clock,
    failing_checklist_is_refused_and_recorded,
    illegal_transitions_are_refused,
    star3_needs_an_evaluation_report,
    extension_rules,
    security_information,
    search_export_and_feed,
    concurrent_issuance_gives_distinct_numbers,
    tokens_authenticate_and_revoke,
    ownership_is_enforced,
    demo_then_rebuild_equals_live_and_chain_verifies,
    tampering_is_detected,
);

async fn full_flow_to_revocation(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let vendor = env.vendor("acme");
    let app = env.submit("acme", Level::Star1).await;
    assert_eq!(app.status, ApplicationStatus::Submitted);
    assert!(app.format_problems.is_empty());
    assert!(app.id.starts_with("APP-000001-"), "{}", app.id);

    let app = reg
        .request_inquiry(&env.op, &app.id, "SCI-2026-7")
        .await
        .unwrap();
    assert_eq!(app.status, ApplicationStatus::InquiryRequested);
    let app = reg
        .answer_inquiry(&env.op, &app.id, InquiryOutcome::Clear, "SCA-2026-7")
        .await
        .unwrap();
    let inquiry = app.inquiry.clone().unwrap();
    assert_eq!(inquiry.outcome, Some(InquiryOutcome::Clear));
    assert_eq!(inquiry.answer_reference.as_deref(), Some("SCA-2026-7"));
    let app = reg
        .accept_application(&env.op, &app.id, None)
        .await
        .unwrap();
    assert_eq!(app.status, ApplicationStatus::Accepted);
    let app = reg
        .record_fee(&env.op, &app.id, fee(reg.today()))
        .await
        .unwrap();
    assert_eq!(app.fee.as_ref().unwrap().amount_yen, 15_000);

    let label = reg.issue_label(&env.op, &app.id, None).await.unwrap();
    let parsed = parse_registration_number(&label.number).unwrap();
    assert_eq!(parsed.level(), Level::Star1);
    assert_eq!(parsed.year(), 2026);
    assert_eq!(label.status, LabelStatus::Active);
    assert_eq!(label.issued_on, date(2026, 4, 1));
    assert_eq!(label.valid_until, date(2028, 4, 1));
    let app = reg.application(&vendor, &app.id).await.unwrap();
    assert_eq!(app.status, ApplicationStatus::Issued);
    assert_eq!(app.label_number.as_deref(), Some(label.number.as_str()));

    // The page has everything, and a lower-case number finds it too.
    let page = reg
        .product_page(&label.number.to_lowercase())
        .await
        .unwrap();
    assert_eq!(page.label.applicant.company, "acme Corporation");
    assert_eq!(
        page.label.products[0].model_numbers,
        vec!["ACME-100", "X-2"]
    );
    assert_eq!(page.label.products[0].firmware_versions, vec!["1.0.0"]);
    assert_eq!(
        page.label.security.disclosure_contact,
        "security@acme.example.jp"
    );
    assert_eq!(page.history.len(), 1);
    assert_eq!(page.history[0].kind, EventKind::LabelIssued);

    env.clock.advance(Duration::days(10));
    let order = SurveillanceOrder {
        reason: "market survey".into(),
        evidence_demanded: "S1.1-02 evidence".into(),
        correction_deadline: reg.today() + Duration::days(14),
    };
    let l = reg
        .open_surveillance(&env.op, &label.number, order)
        .await
        .unwrap();
    assert_eq!(l.status, LabelStatus::UnderSurveillance);
    // Before the deadline only an override revokes.
    assert_refused(
        reg.revoke_label(&env.op, &label.number, "no fix", None)
            .await,
        "under_surveillance",
        "has not passed",
    );
    env.clock.advance(Duration::days(15));
    let l = reg
        .revoke_label(&env.op, &label.number, "no fix", None)
        .await
        .unwrap();
    assert_eq!(l.status, LabelStatus::Revoked);
    assert_eq!(l.end_reason.as_deref(), Some("no fix"));

    // Revoked stays revoked (and public) even after its validity end.
    env.clock.advance(Duration::days(800));
    let page = reg.product_page(&label.number).await.unwrap();
    assert_eq!(page.label.status, LabelStatus::Revoked);
    let kinds: Vec<_> = page.history.iter().map(|h| (h.kind, h.status)).collect();
    assert_eq!(
        kinds,
        vec![
            (EventKind::LabelIssued, LabelStatus::Active),
            (
                EventKind::SurveillanceOpened,
                LabelStatus::UnderSurveillance
            ),
            (EventKind::LabelRevoked, LabelStatus::Revoked),
        ]
    );
    assert!(page.history.windows(2).all(|w| w[0].at < w[1].at));
    let report = reg.verify_chain().await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.events, 9);
    env.done().await;
}

async fn issue_then_withdraw(b: Backend) {
    let env = Env::new(b).await;
    let label = env.issued("acme", Level::Star3).await;
    assert!(label.number.starts_with("JCS3-2026-"));
    let vendor = env.vendor("acme");
    let r = env.reg.withdraw_label(&vendor, &label.number, "  ").await;
    assert!(
        matches!(r, Err(Error::Invalid { ref field, .. }) if field == "reason"),
        "{r:?}"
    );
    let l = env
        .reg
        .withdraw_label(
            &vendor,
            &label.number,
            "firmware changed the login protocol",
        )
        .await
        .unwrap();
    assert_eq!(l.status, LabelStatus::Withdrawn);
    let h = env.reg.label_history(&label.number).await.unwrap();
    assert_eq!(h.last().unwrap().kind, EventKind::LabelWithdrawn);
    assert_eq!(
        h.last().unwrap().reason.as_deref(),
        Some("firmware changed the login protocol")
    );
    assert_eq!(h.last().unwrap().actor_role, Role::Vendor);
    env.done().await;
}

async fn expiry_is_derived_from_the_clock(b: Backend) {
    let env = Env::new(b).await;
    let label = env.issued("acme", Level::Star1).await;
    // The last valid day is still active.
    env.clock.set(t0() + Duration::days(731));
    assert_eq!(env.reg.today(), label.valid_until);
    assert_eq!(
        env.reg.label(&label.number).await.unwrap().status,
        LabelStatus::Active
    );
    // Two years and a day: expired, with no event written.
    let head = env
        .reg
        .events_since(FeedScope::All, 0, None, 1000)
        .await
        .unwrap()
        .head_seq;
    env.clock.set(t0() + Duration::days(731 + 1));
    let l = env.reg.label(&label.number).await.unwrap();
    assert_eq!(l.status, LabelStatus::Expired);
    let feed = env
        .reg
        .events_since(FeedScope::All, 0, None, 1000)
        .await
        .unwrap();
    assert_eq!(feed.head_seq, head);
    let found = env
        .reg
        .search(&SearchQuery {
            status: Some(LabelStatus::Expired),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].status, LabelStatus::Expired);
    let active = env
        .reg
        .search(&SearchQuery {
            status: Some(LabelStatus::Active),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(active.items.is_empty());
    // Expired labels cannot be extended or withdrawn.
    assert_refused(
        env.reg
            .extend_label(&env.vendor("acme"), &label.number, None, "new declaration")
            .await,
        "expired",
        "new application",
    );
    assert_refused(
        env.reg
            .withdraw_label(&env.vendor("acme"), &label.number, "x")
            .await,
        "expired",
        "active",
    );
    env.done().await;
}

async fn failing_checklist_is_refused_and_recorded(b: Backend) {
    let env = Env::new(b).await;
    let mut sub = submission("acme", Level::Star1);
    sub.checklist = serde_json::json!([]);
    let r = env.reg.submit_application(&env.vendor("acme"), sub).await;
    let Err(Error::ChecklistRefused {
        application_id,
        problems,
    }) = r
    else {
        panic!("expected a checklist refusal, got {r:?}")
    };
    assert!(!problems.is_empty());
    assert!(problems[0].contains("checklist"), "{problems:?}");
    let app = env.reg.application(&env.op, &application_id).await.unwrap();
    assert_eq!(app.status, ApplicationStatus::FormatRefused);
    assert_eq!(app.format_problems, problems);
    let feed = env
        .reg
        .events_since(FeedScope::All, 0, None, 100)
        .await
        .unwrap();
    let kinds: Vec<_> = feed.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::ApplicationSubmitted,
            EventKind::FormatCheckFailed
        ]
    );
    // Nothing further is possible on a refused application.
    assert_refused(
        env.reg
            .request_inquiry(&env.op, &application_id, "SCI")
            .await,
        "format_refused",
        "format check",
    );
    // A checklist in the right format with an unanswered criterion: the
    // problem names the criterion.
    let mut sub = submission("acme", Level::Star1);
    let answers = sub.checklist["answers"].as_array_mut().expect("answers");
    let removed = answers.remove(0);
    let r = env.reg.submit_application(&env.vendor("acme"), sub).await;
    let Err(Error::ChecklistRefused { problems, .. }) = r else {
        panic!("expected a checklist refusal, got {r:?}")
    };
    let id = removed["criterion"]
        .as_str()
        .or(removed["id"].as_str())
        .unwrap_or("S1.1-01");
    assert!(
        problems.iter().any(|p| p.contains(id)),
        "{id} in {problems:?}"
    );
    // Bad input is not an event.
    let mut sub = submission("acme", Level::Star1);
    let again = sub.products[0].clone();
    sub.products.push(again);
    let r = env.reg.submit_application(&env.vendor("acme"), sub).await;
    assert!(
        matches!(r, Err(Error::Invalid { ref field, .. }) if field == "products"),
        "{r:?}"
    );
    let feed = env
        .reg
        .events_since(FeedScope::All, 0, None, 100)
        .await
        .unwrap();
    assert_eq!(feed.events.len(), 4);
    env.done().await;
}

async fn illegal_transitions_are_refused(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let app = env.submit("acme", Level::Star1).await;
    assert_refused(
        reg.accept_application(&env.op, &app.id, None).await,
        "submitted",
        "inquiry answered first",
    );
    assert_refused(
        reg.record_fee(&env.op, &app.id, fee(reg.today())).await,
        "submitted",
        "after acceptance",
    );
    assert_refused(
        reg.issue_label(&env.op, &app.id, None).await,
        "submitted",
        "after acceptance and the fee",
    );
    assert_refused(
        reg.answer_inquiry(&env.op, &app.id, InquiryOutcome::Clear, "x")
            .await,
        "submitted",
        "requested inquiry first",
    );
    reg.request_inquiry(&env.op, &app.id, "SCI").await.unwrap();
    reg.answer_inquiry(&env.op, &app.id, InquiryOutcome::Concern, "SCA")
        .await
        .unwrap();
    assert_refused(
        reg.accept_application(&env.op, &app.id, None).await,
        "inquiry_answered",
        "concern",
    );
    reg.accept_application(&env.op, &app.id, Some("concern resolved with the vendor"))
        .await
        .unwrap();
    assert_refused(
        reg.issue_label(&env.op, &app.id, None).await,
        "accepted",
        "fee",
    );
    reg.record_fee(&env.op, &app.id, fee(reg.today()))
        .await
        .unwrap();
    // Longer than two years is refused, shorter is fine.
    assert_refused(
        reg.issue_label(&env.op, &app.id, Some(date(2028, 4, 2)))
            .await,
        "fee_paid",
        "two years",
    );
    let label = reg
        .issue_label(&env.op, &app.id, Some(date(2027, 12, 31)))
        .await
        .unwrap();
    assert_eq!(label.valid_until, date(2027, 12, 31));
    assert_refused(
        reg.issue_label(&env.op, &app.id, None).await,
        "issued",
        "already issued",
    );
    // Revoking a withdrawn label; extending a revoked one.
    reg.withdraw_label(&env.vendor("acme"), &label.number, "spec change")
        .await
        .unwrap();
    assert_refused(
        reg.revoke_label(&env.op, &label.number, "x", Some("override"))
            .await,
        "withdrawn",
        "can be revoked",
    );
    assert_refused(
        reg.open_surveillance(
            &env.op,
            &label.number,
            SurveillanceOrder {
                reason: "r".into(),
                evidence_demanded: "e".into(),
                correction_deadline: reg.today(),
            },
        )
        .await,
        "withdrawn",
        "active label",
    );
    let other = env.issued("beta", Level::Star1).await;
    assert_refused(
        reg.close_surveillance(&env.op, &other.number, "ok").await,
        "active",
        "no open surveillance",
    );
    assert_refused(
        reg.revoke_label(&env.op, &other.number, "x", None).await,
        "active",
        "open surveillance first",
    );
    let revoked = reg
        .revoke_label(
            &env.op,
            &other.number,
            "forged declaration",
            Some("fraud confirmed"),
        )
        .await
        .unwrap();
    assert_eq!(revoked.status, LabelStatus::Revoked);
    assert_refused(
        reg.extend_label(&env.vendor("beta"), &other.number, None, "decl")
            .await,
        "revoked",
        "only an active label",
    );
    // Unknown and mistyped numbers.
    let mut typo = other.number.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == '1' { '2' } else { '1' });
    assert!(matches!(
        reg.label(&typo).await,
        Err(Error::Number(NumberError::Check { .. }))
    ));
    let unknown = RegistrationNumber::new(Level::Star4, 2026, 999_999).to_string();
    assert!(matches!(
        reg.label(&unknown).await,
        Err(Error::NotFound { .. })
    ));
    assert!(reg.verify_chain().await.unwrap().ok());
    env.done().await;
}

async fn star3_needs_an_evaluation_report(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let app = env.submit("acme", Level::Star3).await;
    let lab = Actor::local(Role::EvaluationBody, "lab", "lab");
    let other_lab = Actor::local(Role::EvaluationBody, "other-lab", "lab");
    // Before assignment the body does not see the application at all; the
    // operator is told why.
    let r = reg
        .attach_evaluation_report(&lab, &app.id, report(Verdict::Pass))
        .await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    assert_refused(
        reg.attach_evaluation_report(&env.op, &app.id, report(Verdict::Pass))
            .await,
        "submitted",
        "no evaluation body is assigned",
    );
    reg.request_inquiry(&env.op, &app.id, "SCI").await.unwrap();
    reg.answer_inquiry(&env.op, &app.id, InquiryOutcome::Clear, "SCA")
        .await
        .unwrap();
    assert_refused(
        reg.accept_application(&env.op, &app.id, None).await,
        "inquiry_answered",
        "evaluation report",
    );
    reg.assign_evaluation_body(&env.op, &app.id, "lab")
        .await
        .unwrap();
    let r = reg
        .attach_evaluation_report(&other_lab, &app.id, report(Verdict::Pass))
        .await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    assert!(matches!(
        reg.application(&other_lab, &app.id).await,
        Err(Error::NotFound { .. })
    ));
    let mut bad = report(Verdict::Pass);
    bad.sha256 = "xyz".into();
    let r = reg.attach_evaluation_report(&lab, &app.id, bad).await;
    assert!(
        matches!(r, Err(Error::Invalid { ref field, .. }) if field == "sha256"),
        "{r:?}"
    );
    reg.attach_evaluation_report(&lab, &app.id, report(Verdict::Fail))
        .await
        .unwrap();
    assert_refused(
        reg.accept_application(&env.op, &app.id, None).await,
        "inquiry_answered",
        "verdict is fail",
    );
    let a = reg
        .attach_evaluation_report(&lab, &app.id, report(Verdict::Pass))
        .await
        .unwrap();
    assert_eq!(a.evaluation_report.unwrap().verdict, Verdict::Pass);
    assert_eq!(reg.application(&lab, &app.id).await.unwrap().id, app.id);
    let listed = reg.list_applications(&lab, None, 0, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    reg.accept_application(&env.op, &app.id, None)
        .await
        .unwrap();
    reg.record_fee(&env.op, &app.id, fee(reg.today()))
        .await
        .unwrap();
    let label = reg.issue_label(&env.op, &app.id, None).await.unwrap();
    assert!(label.number.starts_with("JCS3-"));
    // ★1 takes no evaluation body.
    let one = env.submit("acme", Level::Star1).await;
    assert_refused(
        reg.assign_evaluation_body(&env.op, &one.id, "lab").await,
        "submitted",
        "self-declared",
    );
    env.done().await;
}

async fn extension_rules(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let vendor = env.vendor("acme");
    let label = env.issued("acme", Level::Star1).await;
    env.clock.advance(Duration::days(365));
    let today = reg.today();
    assert_refused(
        reg.extend_label(
            &vendor,
            &label.number,
            Some(today + Duration::days(800)),
            "decl",
        )
        .await,
        "active",
        "at most two years",
    );
    assert_refused(
        reg.extend_label(&vendor, &label.number, Some(label.valid_until), "decl")
            .await,
        "active",
        "later than the current",
    );
    let l = reg
        .extend_label(&vendor, &label.number, None, "new self-declaration 2027")
        .await
        .unwrap();
    assert_eq!(l.valid_until, date(2029, 4, 1));
    let h = reg.label_history(&label.number).await.unwrap();
    assert_eq!(h[1].kind, EventKind::LabelExtended);
    assert_eq!(h[1].details["previous_valid_until"], "2028-04-01");
    env.done().await;
}

async fn security_information(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let vendor = env.vendor("acme");
    let label = env.issued("acme", Level::Star1).await;
    reg.add_update(
        &vendor,
        &label.number,
        UpdateEntry {
            version: "1.0.1".into(),
            released_on: date(2026, 5, 1),
            notes: "<script>alert(1)</script>".into(),
            fixes: Vec::new(),
            how_to_apply: String::new(),
        },
    )
    .await
    .unwrap();
    let v = VulnerabilityEntry {
        id: "CVE-2026-0001".into(),
        title: "overflow".into(),
        state: VulnerabilityState::Fixed,
        fixed_in: None,
        published_on: date(2026, 5, 2),
        updated_on: None,
    };
    let r = reg
        .record_vulnerability(&vendor, &label.number, v.clone())
        .await;
    assert!(
        matches!(r, Err(Error::Invalid { ref field, .. }) if field == "fixed_in"),
        "{r:?}"
    );
    let mut investigating = v.clone();
    investigating.state = VulnerabilityState::Investigating;
    reg.record_vulnerability(&vendor, &label.number, investigating)
        .await
        .unwrap();
    let mut fixed = v.clone();
    fixed.fixed_in = Some("1.0.1".into());
    env.clock.advance(Duration::days(3));
    let l = reg
        .record_vulnerability(&vendor, &label.number, fixed)
        .await
        .unwrap();
    assert_eq!(l.security.vulnerabilities.len(), 1);
    assert_eq!(
        l.security.vulnerabilities[0].state,
        VulnerabilityState::Fixed
    );
    assert_eq!(
        l.security.vulnerabilities[0].updated_on,
        Some(date(2026, 4, 4))
    );
    reg.set_support_end(&vendor, &label.number, Some(date(2030, 12, 31)))
        .await
        .unwrap();
    let l = reg
        .set_disclosure_contact(&vendor, &label.number, "https://acme.example.jp/psirt")
        .await
        .unwrap();
    assert_eq!(l.security.support_end, Some(date(2030, 12, 31)));
    assert_eq!(
        l.security.disclosure_contact,
        "https://acme.example.jp/psirt"
    );
    assert_eq!(l.security.updates[0].notes, "<script>alert(1)</script>");
    let r = reg
        .add_update(
            &env.vendor("mallory"),
            &label.number,
            UpdateEntry {
                version: "9".into(),
                released_on: date(2026, 5, 1),
                notes: String::new(),
                fixes: Vec::new(),
                how_to_apply: String::new(),
            },
        )
        .await;
    assert!(matches!(r, Err(Error::Denied(_))), "{r:?}");
    let h = reg.label_history(&label.number).await.unwrap();
    assert_eq!(h.len(), 6);
    env.done().await;
}

async fn search_export_and_feed(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let a = env.issued("acme", Level::Star1).await;
    let b2 = env.issued("beta", Level::Star3).await;
    let c = env.issued("gamma_%", Level::Star1).await;
    let q = |f: fn(&mut SearchQuery)| {
        let mut q = SearchQuery::default();
        f(&mut q);
        q
    };
    let numbers = |p: SearchPage| p.items.into_iter().map(|i| i.number).collect::<Vec<_>>();
    assert_eq!(
        numbers(
            reg.search(&q(|q| q.company = Some("BETA corp".into())))
                .await
                .unwrap()
        ),
        vec![b2.number.clone()]
    );
    assert_eq!(
        numbers(
            reg.search(&q(|q| q.model = Some("acme-1".into())))
                .await
                .unwrap()
        ),
        vec![a.number.clone()]
    );
    assert_eq!(
        numbers(
            reg.search(&q(|q| q.product = Some("Gamma_%".into())))
                .await
                .unwrap()
        ),
        vec![c.number.clone()]
    );
    // LIKE wildcards in the query are literal.
    assert!(
        reg.search(&q(|q| q.company = Some("%".into())))
            .await
            .unwrap()
            .items
            .len()
            == 1
    );
    assert_eq!(
        numbers(
            reg.search(&q(|q| q.level = Some(Level::Star3)))
                .await
                .unwrap()
        ),
        vec![b2.number.clone()]
    );
    let by_number = SearchQuery {
        number: Some(a.number.to_lowercase()),
        ..Default::default()
    };
    assert_eq!(
        numbers(reg.search(&by_number).await.unwrap()),
        vec![a.number.clone()]
    );
    assert_eq!(
        reg.search(&q(|q| q.text = Some("x-2".into())))
            .await
            .unwrap()
            .items
            .len(),
        3
    );
    let p1 = reg.search(&q(|q| q.limit = 2)).await.unwrap();
    assert_eq!(p1.items.len(), 2);
    assert_eq!(p1.next_offset, Some(2));
    let p2 = reg
        .search(&SearchQuery {
            offset: 2,
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(numbers(p2.clone()), vec![c.number.clone()]);
    assert_eq!(p2.next_offset, None);

    let mut csv = Vec::new();
    assert_eq!(reg.export_csv(&mut csv).await.unwrap(), 3);
    let mut rdr = csv::Reader::from_reader(csv.as_slice());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][0], a.number.as_str());
    assert_eq!(&rows[1][3], "beta Corporation");
    let mut json = Vec::new();
    assert_eq!(reg.export_json(&mut json).await.unwrap(), 3);
    let labels: Vec<Label> = serde_json::from_slice(&json).unwrap();
    assert_eq!(labels[2].number, c.number);

    // The public feed shows label events only, paginated by seq.
    let feed = reg
        .events_since(FeedScope::Labels, 0, None, 2)
        .await
        .unwrap();
    assert_eq!(feed.events.len(), 2);
    assert!(feed.events.iter().all(|e| e.label_number.is_some()));
    let next = feed.next_after_seq.unwrap();
    let rest = reg
        .events_since(FeedScope::Labels, next, None, 2)
        .await
        .unwrap();
    assert_eq!(rest.events.len(), 1);
    assert_eq!(
        rest.events[0].label_number.as_deref(),
        Some(c.number.as_str())
    );
    assert_eq!(rest.next_after_seq, None);
    let all = reg
        .events_since(FeedScope::All, 0, None, 1000)
        .await
        .unwrap();
    assert_eq!(all.events.len() as i64, all.head_seq);
    assert!(
        all.events
            .windows(2)
            .all(|w| w[1].seq == w[0].seq + 1 && w[1].prev_hash == w[0].hash)
    );
    env.clock.advance(Duration::hours(1));
    let later = reg.now();
    reg.withdraw_label(&env.vendor("acme"), &a.number, "eol")
        .await
        .unwrap();
    let since = reg
        .events_since(FeedScope::Labels, 0, Some(later), 100)
        .await
        .unwrap();
    assert_eq!(since.events.len(), 1);
    assert_eq!(since.events[0].kind, EventKind::LabelWithdrawn);
    env.done().await;
}

async fn concurrent_issuance_gives_distinct_numbers(b: Backend) {
    let env = Env::new(b).await;
    let mut apps = Vec::new();
    for i in 0..100 {
        apps.push(env.paid(&format!("org{i}"), Level::Star1).await.id);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for id in apps {
        let reg = env.reg.clone();
        let op = env.op.clone();
        tasks.spawn(async move { reg.issue_label(&op, &id, None).await });
    }
    let mut numbers = std::collections::BTreeSet::new();
    while let Some(r) = tasks.join_next().await {
        let label = r.expect("task").expect("issue");
        parse_registration_number(&label.number).expect("valid number");
        numbers.insert(label.number);
    }
    assert_eq!(numbers.len(), 100);
    let seqs: std::collections::BTreeSet<u64> = numbers
        .iter()
        .map(|n| parse_registration_number(n).unwrap().sequence())
        .collect();
    assert_eq!(seqs, (1..=100).collect());
    assert!(env.reg.verify_chain().await.unwrap().ok());
    env.done().await;
}

async fn tokens_authenticate_and_revoke(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let t = reg
        .create_token(Role::Vendor, "acme", "ci upload")
        .await
        .unwrap();
    assert!(t.plaintext.starts_with("jcs_"));
    let actor = reg.authenticate(&t.plaintext).await.unwrap();
    assert_eq!(actor.role, Role::Vendor);
    assert_eq!(actor.org, "acme");
    assert_eq!(actor.token_id.as_deref(), Some(t.id.as_str()));
    assert!(matches!(
        reg.authenticate("jcs_nope_x").await,
        Err(Error::Unauthenticated)
    ));
    assert!(matches!(
        reg.authenticate("").await,
        Err(Error::Unauthenticated)
    ));
    assert!(reg.create_token(Role::Vendor, "", "x").await.is_err());
    assert!(reg.create_token(Role::Public, "x", "x").await.is_err());
    // The secret is not stored in clear anywhere we can list.
    let listed = serde_json::to_string(&reg.list_tokens().await.unwrap()).unwrap();
    assert!(!listed.contains(&t.plaintext));
    // Events record the token used.
    let app = reg
        .submit_application(&actor, submission("acme", Level::Star1))
        .await
        .unwrap();
    let feed = reg.events_since(FeedScope::All, 0, None, 10).await.unwrap();
    assert_eq!(
        feed.events[0].actor.token_id.as_deref(),
        Some(t.id.as_str())
    );
    assert_eq!(
        feed.events[0].application_id.as_deref(),
        Some(app.id.as_str())
    );
    let info = reg.revoke_token(&t.id).await.unwrap();
    assert!(info.revoked_at.is_some());
    assert!(matches!(
        reg.authenticate(&t.plaintext).await,
        Err(Error::Unauthenticated)
    ));
    assert!(matches!(
        reg.revoke_token("nope").await,
        Err(Error::NotFound { .. })
    ));
    env.done().await;
}

async fn ownership_is_enforced(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let acme = env.vendor("acme");
    let mallory = env.vendor("mallory");
    let r = reg
        .submit_application(&mallory, submission("acme", Level::Star1))
        .await;
    assert!(matches!(r, Err(Error::Denied(_))), "{r:?}");
    let app = env.submit("acme", Level::Star1).await;
    assert!(matches!(
        reg.application(&mallory, &app.id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        reg.application(&Actor::public(), &app.id).await,
        Err(Error::Denied(_))
    ));
    let r = reg.request_inquiry(&acme, &app.id, "x").await;
    assert!(
        matches!(r, Err(Error::Denied(_))),
        "vendor cannot run operator steps: {r:?}"
    );
    assert_eq!(
        reg.list_applications(&acme, None, 0, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        reg.list_applications(&mallory, None, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        reg.list_applications(&env.op, Some(ApplicationStatus::Submitted), 0, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let label = env.issued("acme", Level::Star1).await;
    let r = reg.withdraw_label(&mallory, &label.number, "x").await;
    assert!(matches!(r, Err(Error::Denied(_))), "{r:?}");
    let r = reg
        .open_surveillance(
            &acme,
            &label.number,
            SurveillanceOrder {
                reason: "r".into(),
                evidence_demanded: "e".into(),
                correction_deadline: reg.today(),
            },
        )
        .await;
    assert!(matches!(r, Err(Error::Denied(_))), "{r:?}");
    // Denials are not events.
    let feed = reg
        .events_since(FeedScope::All, 0, None, 1000)
        .await
        .unwrap();
    assert!(feed.events.iter().all(|e| e.actor.org != "mallory"));
    env.done().await;
}

async fn demo_then_rebuild_equals_live_and_chain_verifies(b: Backend) {
    let env = Env::new(b).await;
    env.clock.set(chrono::Utc::now());
    let numbers = seed_demo(&env.reg).await.unwrap();
    assert_eq!(numbers.len(), 8);
    let statuses: std::collections::BTreeSet<&'static str> = {
        let mut s = std::collections::BTreeSet::new();
        for n in &numbers {
            s.insert(env.reg.label(n).await.unwrap().status.as_str());
        }
        s
    };
    for st in LabelStatus::ALL {
        assert!(
            statuses.contains(st.as_str()),
            "demo lacks status {st}: {statuses:?}"
        );
    }
    let levels: std::collections::BTreeSet<u8> = {
        let mut s = std::collections::BTreeSet::new();
        for n in &numbers {
            s.insert(env.reg.label(n).await.unwrap().level.number());
        }
        s
    };
    // ★2 needs a ★2 checklist, and no ★2 catalog exists yet.
    assert_eq!(levels, [1, 3].into_iter().collect());
    let r = seed_demo(&env.reg).await;
    assert!(
        matches!(r, Err(Error::Refused { .. })),
        "demo on a non-empty registry: {r:?}"
    );
    // More flows on top, then rebuild.
    env.issued("acme", Level::Star1).await;
    seed_bulk(&env.reg, 50).await.unwrap();
    assert_eq!(
        env.reg
            .search(&SearchQuery {
                limit: 200,
                ..Default::default()
            })
            .await
            .unwrap()
            .items
            .len(),
        59
    );
    let live = env.reg.state_snapshot().await.unwrap();
    let report = env.reg.rebuild().await.unwrap();
    assert_eq!(report.labels, 59);
    let rebuilt = env.reg.state_snapshot().await.unwrap();
    assert_eq!(live, rebuilt);
    let chain = env.reg.verify_chain().await.unwrap();
    assert!(chain.ok(), "{chain:?}");
    assert_eq!(chain.events, report.events);
    // Numbers continue after a rebuild (never reused).
    let next = env.issued("after", Level::Star1).await;
    assert_eq!(
        parse_registration_number(&next.number).unwrap().sequence(),
        60
    );
    env.done().await;
}

async fn tampering_is_detected(b: Backend) {
    use sqlx::Executor;
    let env = Env::new(b).await;
    env.issued("acme", Level::Star1).await;
    env.issued("beta", Level::Star1).await;
    assert!(env.reg.verify_chain().await.unwrap().ok());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&env.db.url).await.unwrap();
    // The triggers refuse changes to the log.
    let r = pool
        .execute("UPDATE events SET reason = 'x' WHERE seq = 3")
        .await;
    assert!(r.unwrap_err().to_string().contains("append-only"));
    let r = pool.execute("DELETE FROM events WHERE seq = 3").await;
    assert!(r.unwrap_err().to_string().contains("append-only"));
    // Someone with DDL rights drops the trigger and edits an event.
    match b {
        Backend::Sqlite => pool.execute("DROP TRIGGER events_no_update").await.unwrap(),
        Backend::Postgres => pool
            .execute("DROP TRIGGER events_no_update ON events")
            .await
            .unwrap(),
    };
    pool.execute("UPDATE events SET payload = '{\"reference\":\"forged\"}' WHERE seq = 3")
        .await
        .unwrap();
    let report = env.reg.verify_chain().await.unwrap();
    let broken = report.first_broken.expect("tampering must be detected");
    assert_eq!(broken.seq, 3);
    assert!(broken.problem.contains("altered"), "{}", broken.problem);
    pool.close().await;
    env.done().await;
}
