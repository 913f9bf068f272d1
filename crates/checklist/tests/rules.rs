//! The application rules, checked against the real embedded ★1 catalog.

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

use common::*;
use jcstar_checklist::{Attached, Evidence, Outcome, Report, Severity, TestResultRef, validate};
use jcstar_criteria::{Catalog, MethodKind};

fn has(report: &Report, code: &str, criterion: Option<&str>) -> bool {
    report
        .problems
        .iter()
        .any(|p| p.code == code && p.criterion.as_deref() == criterion)
}

fn codes(report: &Report) -> Vec<(String, Option<String>)> {
    report
        .problems
        .iter()
        .map(|p| (p.code.to_string(), p.criterion.clone()))
        .collect()
}

#[test]
fn the_example_supports_an_application() {
    let base = example_path().parent().map(|p| p.to_path_buf());
    let report = validate(&example(), Catalog::star1(), base.as_deref());
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert!(report.supports_application);
    assert_eq!(report.counts.criteria, 16);
    assert_eq!(report.counts.answered, 16);
    assert_eq!(
        report.counts.conforms + report.counts.deemed_met + report.counts.not_applicable,
        16
    );
    assert!(report.counts.deemed_met > 0 && report.counts.not_applicable > 0);
}

#[test]
fn broken_checklist_reports_every_problem() {
    let path = data("broken.toml");
    let checklist = jcstar_checklist::Checklist::from_path(&path).expect("parses");
    let report = validate(&checklist, Catalog::star1(), path.parent());
    assert!(!report.supports_application);
    let expected: [(&str, Option<&str>); 9] = [
        ("field-malformed", None),
        ("unknown-criterion", Some("S1.1-4")),
        ("duplicate-answer", Some("S1.1-02")),
        ("na-reason-missing", Some("S1.1-12")),
        ("na-not-allowed", Some("S1.1-05")),
        ("deemed-met-without-giteki", Some("S1.1-01")),
        ("evidence-not-found", Some("S1.1-10")),
        ("missing-answer", Some("S1.1-04")),
        ("unanswered", Some("S1.1-16")),
    ];
    for (code, crit) in expected {
        assert!(
            has(&report, code, crit),
            "expected {code} {crit:?} in {:#?}",
            codes(&report)
        );
    }
    let fields: Vec<&str> = report
        .problems
        .iter()
        .filter_map(|p| p.field.as_deref())
        .collect();
    assert!(fields.contains(&"contact.email"), "{fields:?}");
    assert!(fields.contains(&"evaluation.date"), "{fields:?}");
    assert!(
        fields.contains(&"answers[10].evidence[0].path"),
        "{fields:?}"
    );

    // The unknown id points at the closest valid one, in both languages.
    let unknown = report
        .problems
        .iter()
        .find(|p| p.code == "unknown-criterion")
        .expect("unknown-criterion");
    assert!(unknown.hint.ja.contains("S1.1-04") && unknown.hint.en.contains("S1.1-04"));
    assert_eq!(unknown.severity, Severity::Blocking);

    // Every message and hint exists in both languages.
    for p in &report.problems {
        assert!(
            !p.message.ja.is_empty()
                && !p.message.en.is_empty()
                && !p.hint.ja.is_empty()
                && !p.hint.en.is_empty()
        );
    }
}

#[test]
fn problems_are_ordered_deterministically() {
    let path = data("broken.toml");
    let checklist = jcstar_checklist::Checklist::from_path(&path).expect("parses");
    let a = validate(&checklist, Catalog::star1(), path.parent());
    let b = validate(&checklist, Catalog::star1(), path.parent());
    assert_eq!(a, b);
    // Basic information first, then criteria in catalog order, then unknown ids.
    let first_criterion = a
        .problems
        .iter()
        .position(|p| p.criterion.is_some())
        .expect("criterion problems");
    assert!(
        a.problems[..first_criterion]
            .iter()
            .all(|p| p.criterion.is_none())
    );
    assert!(
        a.problems[first_criterion..]
            .iter()
            .all(|p| p.criterion.is_some())
    );
    let ids: Vec<&str> = Catalog::star1()
        .criteria
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let rank = |id: &str| ids.iter().position(|i| *i == id).unwrap_or(usize::MAX);
    let ranks: Vec<usize> = a.problems[first_criterion..]
        .iter()
        .map(|p| rank(p.criterion.as_deref().unwrap_or_default()))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    assert_eq!(a.problems.last().map(|p| p.code), Some("unknown-criterion"));
}

#[test]
fn na_without_reason_and_na_where_not_allowed() {
    let mut c = example();
    let i = c
        .answers
        .iter()
        .position(|a| a.criterion == "S1.1-08")
        .unwrap();
    c.answers[i].na_reason = None;
    let r = validate(&c, Catalog::star1(), None);
    assert!(has(&r, "na-reason-missing", Some("S1.1-08")));
    assert!(!r.supports_application);

    let mut c = example();
    let i = c
        .answers
        .iter()
        .position(|a| a.criterion == "S1.1-16")
        .unwrap();
    c.answers[i].result = Outcome::NotApplicable;
    c.answers[i].na_reason = Some("不要".into());
    let r = validate(&c, Catalog::star1(), None);
    assert!(has(&r, "na-not-allowed", Some("S1.1-16")));
}

#[test]
fn deemed_met_needs_giteki_and_an_eligible_criterion() {
    let mut c = example();
    c.giteki = None;
    let r = validate(&c, Catalog::star1(), None);
    let eligible: Vec<&str> = Catalog::star1()
        .criteria
        .iter()
        .filter(|c| c.deemed_met_by_giteki)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(eligible, ["S1.1-01", "S1.1-06", "S1.1-14"]);
    for id in eligible {
        assert!(has(&r, "deemed-met-without-giteki", Some(id)), "{id}");
    }

    let mut c = example();
    let i = c
        .answers
        .iter()
        .position(|a| a.criterion == "S1.1-02")
        .unwrap();
    c.answers[i].result = Outcome::DeemedMet;
    let r = validate(&c, Catalog::star1(), None);
    assert!(has(&r, "deemed-met-not-allowed", Some("S1.1-02")));
    assert!(!r.supports_application);
}

#[test]
fn device_test_criteria_need_device_test_evidence() {
    let mut c = example();
    let i = c
        .answers
        .iter()
        .position(|a| a.criterion == "S1.1-04")
        .unwrap();
    c.answers[i].evidence.clear();
    let r = validate(&c, Catalog::star1(), None);
    assert!(has(&r, "device-test-evidence-missing", Some("S1.1-04")));
    assert!(!r.supports_application);

    // A result kept elsewhere counts when it says so.
    c.answers[i]
        .evidence
        .push(Evidence::DeviceTest(TestResultRef {
            path: "社内試験記録 TR-1".into(),
            external: true,
            ..Default::default()
        }));
    let r = validate(&c, Catalog::star1(), Some(&repo().join("examples")));
    assert!(r.supports_application, "{:#?}", r.problems);
}

#[test]
fn missing_evidence_file_is_blocking_unless_external_or_no_base_dir() {
    let mut c = example();
    let i = c
        .answers
        .iter()
        .position(|a| a.criterion == "S1.1-13")
        .unwrap();
    c.answers[i]
        .evidence
        .push(Evidence::DeviceTest(TestResultRef {
            path: "evidence/not-there.json".into(),
            external: false,
            ..Default::default()
        }));
    let base = repo().join("examples");
    let r = validate(&c, Catalog::star1(), Some(&base));
    assert!(has(&r, "evidence-not-found", Some("S1.1-13")));
    assert!(!r.supports_application);
    // Without a folder to resolve against, existence is not checked.
    assert!(validate(&c, Catalog::star1(), None).supports_application);
}

#[test]
fn does_not_conform_and_unanswered_block() {
    let mut c = example();
    c.answers[1].result = Outcome::DoesNotConform;
    c.answers[2].result = Outcome::Unanswered;
    let r = validate(&c, Catalog::star1(), None);
    assert!(has(
        &r,
        "does-not-conform",
        Some(c.answers[1].criterion.as_str())
    ));
    assert!(has(&r, "unanswered", Some(c.answers[2].criterion.as_str())));
    assert_eq!(r.blocking().count(), 2, "{:#?}", r.problems);
}

#[test]
fn basic_information_is_checked() {
    let mut c = example();
    c.product.model_numbers.clear();
    c.contact.email = "psirt@".into();
    c.evaluation.date = "2026/11/16".into();
    c.companion_service.description = None;
    let r = validate(&c, Catalog::star1(), None);
    let fields: Vec<&str> = r
        .problems
        .iter()
        .filter_map(|p| p.field.as_deref())
        .collect();
    assert_eq!(
        fields,
        [
            "contact.email",
            "product.model-numbers",
            "companion-service.description",
            "evaluation.date"
        ]
    );
    assert!(r.problems.iter().all(|p| p.severity == Severity::Blocking));
}

#[test]
fn a_template_is_complete_but_unanswered() {
    let t = jcstar_checklist::Checklist::template(Catalog::star1(), "カメラ");
    assert_eq!(t.answers.len(), 16);
    let r = validate(&t, Catalog::star1(), None);
    assert_eq!(r.counts.unanswered, 16);
    assert!(!has(&r, "missing-answer", Some("S1.1-01")));
    assert!(!r.supports_application);
}

#[test]
fn attach_evidence_records_device_tests() {
    let mut c = example();
    let ev = Evidence::DeviceTest(TestResultRef {
        path: "evidence/s1.1-13-port-scan.json".into(),
        external: false,
        ..Default::default()
    });
    let i = c
        .answers
        .iter()
        .position(|a| a.criterion == "S1.1-12")
        .unwrap();
    assert_eq!(c.attach_evidence("S1.1-12", ev.clone()), Attached::Added);
    assert!(c.answers[i].methods.contains(&MethodKind::DeviceTest));
    assert_eq!(
        c.attach_evidence("S1.1-12", ev.clone()),
        Attached::AlreadyPresent
    );
    assert_eq!(
        c.answers[i].evidence.iter().filter(|e| **e == ev).count(),
        1
    );

    let mut t = jcstar_checklist::Checklist::template(Catalog::star1(), "x");
    t.answers.retain(|a| a.criterion != "S1.1-04");
    assert_eq!(t.attach_evidence("S1.1-04", ev), Attached::AddedToNewAnswer);
    assert_eq!(
        t.answer("S1.1-04").map(|a| a.result),
        Some(Outcome::Unanswered)
    );
}

#[test]
fn a_blank_template_counts_nothing_as_answered() {
    let t = jcstar_checklist::Checklist::template(Catalog::star1(), "cam");
    let r = validate(&t, Catalog::star1(), None);
    assert_eq!(r.counts.criteria, 16);
    assert_eq!(r.counts.answered, 0);
    assert_eq!(r.counts.unanswered, 16);
    assert_eq!(
        validate(&example(), Catalog::star1(), None).counts.answered,
        16
    );
}
