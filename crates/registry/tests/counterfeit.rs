//! Counterfeit reports against real SQLite and PostgreSQL databases: what
//! the registry said is recorded, anyone may report, only the operator
//! lists and closes, fields are checked, the daily bound holds, and no
//! report reaches the public event log.

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

use common::Env;
use jcstar_registry::counterfeit::Finding;
use jcstar_registry::verify::Outcome;
use jcstar_registry::*;

jcstar_registry::both!(
    reports_record_the_finding_and_stay_out_of_the_log,
    only_the_operator_lists_and_closes,
    fields_are_checked,
    the_daily_bound_refuses_a_flood,
);

fn report(number: &str) -> NewCounterfeitReport {
    NewCounterfeitReport {
        number: number.into(),
        seen_at: Some("Example Shop, https://shop.example/item/1".into()),
        details: Some("bought on 2026-03-30\nlabel looks printed at home".into()),
        contact: Some("buyer@example.jp".into()),
    }
}

async fn reports_record_the_finding_and_stay_out_of_the_log(backend: Backend) {
    let env = Env::new(backend).await;
    let label = env.issued("acme", Level::Star1).await;
    env.reg
        .withdraw_label(&env.op, &label.number, "discontinued")
        .await
        .expect("withdraw");
    let head = env.reg.head_seq().await.expect("head");
    let unissued = RegistrationNumber::new(Level::Star1, 2026, 999_999).to_string();
    let public = Actor::public();
    let a = env
        .reg
        .report_counterfeit(&public, report(&format!("  {unissued} ")))
        .await
        .expect("anonymous report");
    assert!(a.id.starts_with("CFR-") && a.id.len() == 20, "{}", a.id);
    assert_eq!(a.number, unissued);
    assert_eq!(
        a.finding,
        Finding {
            outcome: Outcome::NotIssued,
            label_status: None,
            suggestion: None
        }
    );
    assert_eq!(a.status, ReportStatus::Open);
    assert_eq!(a.received_at, common::t0());

    let b = env
        .reg
        .report_counterfeit(
            &public,
            NewCounterfeitReport {
                number: label.number.clone(),
                seen_at: Some("   ".into()),
                ..Default::default()
            },
        )
        .await
        .expect("report on a withdrawn label");
    assert_eq!(b.finding.outcome, Outcome::Labeled);
    assert_eq!(b.finding.label_status, Some(LabelStatus::Withdrawn));
    assert_eq!(b.seen_at, None, "blank optional text is none");

    let good = label.number.clone();
    let last = good.chars().last().unwrap();
    let typo = format!(
        "{}{}",
        &good[..good.len() - 1],
        if last == '1' { '2' } else { '1' }
    );
    let c = env
        .reg
        .report_counterfeit(&public, report(&typo))
        .await
        .expect("report on a typo");
    assert_eq!(c.finding.outcome, Outcome::ProbableTypo);
    assert_eq!(c.finding.suggestion.as_deref(), Some(good.as_str()));

    // Nothing entered the public event log.
    assert_eq!(env.reg.head_seq().await.expect("head"), head);
    let feed = env
        .reg
        .events_since(FeedScope::All, 0, None, 1000)
        .await
        .expect("feed");
    let all = serde_json::to_string(&feed).expect("json");
    assert!(!all.contains("buyer@example.jp"));
    assert!(!all.contains(&a.id));

    // Newest first; the stored report reads back exactly.
    env.clock.advance(chrono::Duration::minutes(1));
    let d = env
        .reg
        .report_counterfeit(&public, report("JCS9-bad"))
        .await
        .expect("a malformed number is still a report");
    assert_eq!(d.finding.outcome, Outcome::InvalidNumber);
    let list = env
        .reg
        .counterfeit_reports(&env.op, None, 0, 50)
        .await
        .expect("list");
    assert_eq!(list.len(), 4);
    assert_eq!(list[0], d);
    assert!(list.contains(&a));
    env.done().await;
}

async fn only_the_operator_lists_and_closes(backend: Backend) {
    let env = Env::new(backend).await;
    let r = env
        .reg
        .report_counterfeit(&Actor::public(), report("JCS1-2026-999999-X"))
        .await
        .expect("report");
    let vendor = env.vendor("acme");
    let body = Actor::local(Role::EvaluationBody, "lab", "lab");
    for who in [Actor::public(), vendor.clone(), body] {
        assert!(matches!(
            env.reg.counterfeit_reports(&who, None, 0, 10).await,
            Err(Error::Denied(_))
        ));
        assert!(matches!(
            env.reg.counterfeit_report(&who, &r.id).await,
            Err(Error::Denied(_))
        ));
        // The same answer for a report that exists and one that does not.
        for id in [r.id.as_str(), "CFR-0000000000000000"] {
            assert!(matches!(
                env.reg.close_counterfeit_report(&who, id, "done").await,
                Err(Error::Denied(_))
            ));
        }
    }
    assert!(matches!(
        env.reg
            .close_counterfeit_report(&env.op, "CFR-0000000000000000", "done")
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        env.reg.close_counterfeit_report(&env.op, &r.id, "  ").await,
        Err(Error::Invalid { .. })
    ));
    let unnamed = Actor {
        token_name: None,
        ..env.op.clone()
    };
    assert!(matches!(
        env.reg.close_counterfeit_report(&unnamed, &r.id, "x").await,
        Err(Error::Invalid { .. })
    ));
    env.clock.advance(chrono::Duration::hours(2));
    let closed = env
        .reg
        .close_counterfeit_report(&env.op, &r.id, "seller contacted; listing removed")
        .await
        .expect("close");
    assert_eq!(closed.status, ReportStatus::Closed);
    assert_eq!(closed.closed_by.as_deref(), Some("test operator"));
    assert_eq!(
        closed.closing_note.as_deref(),
        Some("seller contacted; listing removed")
    );
    assert_eq!(
        closed.closed_at,
        Some(common::t0() + chrono::Duration::hours(2))
    );
    assert!(matches!(
        env.reg
            .close_counterfeit_report(&env.op, &r.id, "again")
            .await,
        Err(Error::Refused { .. })
    ));
    let open = env
        .reg
        .counterfeit_reports(&env.op, Some(ReportStatus::Open), 0, 10)
        .await
        .expect("open");
    assert!(open.is_empty());
    let done = env
        .reg
        .counterfeit_reports(&env.op, Some(ReportStatus::Closed), 0, 10)
        .await
        .expect("closed");
    assert_eq!(done, vec![closed]);
    env.done().await;
}

async fn fields_are_checked(backend: Backend) {
    let env = Env::new(backend).await;
    let p = Actor::public();
    let field_of = |r: Result<CounterfeitReport>| match r {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("expected Invalid, got {other:?}"),
    };
    let mut r = report("");
    assert_eq!(
        field_of(env.reg.report_counterfeit(&p, r.clone()).await),
        "number"
    );
    r.number = "x".repeat(65);
    assert_eq!(
        field_of(env.reg.report_counterfeit(&p, r.clone()).await),
        "number"
    );
    r.number = "JCS1-2026-000001-K".into();
    r.seen_at = Some("s".repeat(501));
    assert_eq!(
        field_of(env.reg.report_counterfeit(&p, r.clone()).await),
        "seen_at"
    );
    r.seen_at = Some("shop\r\n".into());
    assert_eq!(
        field_of(env.reg.report_counterfeit(&p, r.clone()).await),
        "seen_at"
    );
    r.seen_at = None;
    r.details = Some("\u{1b}[31m".into());
    assert_eq!(
        field_of(env.reg.report_counterfeit(&p, r.clone()).await),
        "details"
    );
    r.details = Some("d".repeat(2000));
    r.contact = Some("c".repeat(201));
    assert_eq!(
        field_of(env.reg.report_counterfeit(&p, r.clone()).await),
        "contact"
    );
    r.contact = Some("c".repeat(200));
    r.seen_at = Some("s".repeat(500));
    r.number = "n".repeat(64);
    env.reg
        .report_counterfeit(&p, r)
        .await
        .expect("every field at its longest");
    env.done().await;
}

async fn the_daily_bound_refuses_a_flood(backend: Backend) {
    let env = Env::new(backend).await;
    let p = Actor::public();
    let mut ids = Vec::new();
    for i in 0..3 {
        let r = env
            .reg
            .report_counterfeit_within(&p, report(&format!("JCS1-2026-00000{i}-X")), 3)
            .await
            .expect("within the bound");
        ids.push(r.id);
    }
    match env
        .reg
        .report_counterfeit_within(&p, report("JCS1-2026-000009-X"), 3)
        .await
    {
        Err(e @ Error::Saturated { .. }) => {
            assert!(e.to_string().contains("try again later"), "{e}")
        }
        other => panic!("expected Saturated, got {other:?}"),
    }
    // The refused report was not stored.
    let all = env
        .reg
        .counterfeit_reports(&env.op, None, 0, 100)
        .await
        .expect("list");
    assert_eq!(all.len(), 3);
    // Closing one makes room; so does time.
    env.reg
        .close_counterfeit_report(&env.op, &ids[0], "handled")
        .await
        .expect("close");
    env.reg
        .report_counterfeit_within(&p, report("JCS1-2026-000010-X"), 3)
        .await
        .expect("room after a close");
    assert!(matches!(
        env.reg
            .report_counterfeit_within(&p, report("JCS1-2026-000011-X"), 3)
            .await,
        Err(Error::Saturated { .. })
    ));
    env.clock.advance(chrono::Duration::hours(25));
    env.reg
        .report_counterfeit_within(&p, report("JCS1-2026-000012-X"), 3)
        .await
        .expect("room a day later");
    env.done().await;
}
