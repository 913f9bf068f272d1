//! Applications under a mutual-recognition arrangement (UK PSTI): the
//! waived criteria, applied only with the partner scheme's statement.

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
use jcstar_checklist::{Checklist, Outcome, RecognitionClaim, validate};
use jcstar_criteria::{Catalog, Recognition};

const WAIVED: [&str; 3] = ["S1.1-02", "S1.1-05", "S1.1-16"];

/// The example as a PSTI application: the three criteria deemed met.
fn psti(statement: bool) -> Checklist {
    let a = Recognition::builtin().get("uk-psti").unwrap();
    let mut c = example();
    for ans in &mut c.answers {
        if a.waives(&ans.criterion) {
            ans.result = Outcome::DeemedMet;
            ans.evidence.clear();
            ans.methods.clear();
        }
    }
    c.recognition = Some(RecognitionClaim {
        arrangement: "uk-psti".into(),
        statement_document: statement.then(|| "SC-200 PSTI Statement of Compliance v1".into()),
        statement_url: None,
    });
    c
}

fn codes_for(r: &jcstar_checklist::Report, id: Option<&str>) -> Vec<&'static str> {
    r.problems
        .iter()
        .filter(|p| p.criterion.as_deref() == id)
        .map(|p| p.code)
        .collect()
}

#[test]
fn the_arrangement_is_data() {
    let a = Recognition::builtin().get("uk-psti").unwrap();
    assert_eq!(a.deemed_met, WAIVED);
    assert!(a.statement_required);
    assert_eq!((a.fee_jpy, a.standard_fee_jpy), (140_000, 198_000));
    assert_eq!(a.partner, "uk-psti");
    assert!(a.source.ja.contains("IPA") && a.source.en.contains("DSIT"));
    // A bad file is refused, naming the arrangement.
    let bad = jcstar_criteria::RECOGNITION_TOML_FOR_TESTS.replace("S1.1-16", "S1.1-99");
    let err = Recognition::from_toml_str(&bad, "r.toml", Catalog::star1()).unwrap_err();
    assert!(
        err.to_string().contains("uk-psti") && err.to_string().contains("S1.1-99"),
        "{err}"
    );
}

#[test]
fn the_waiver_applies_only_with_the_statement() {
    let with = validate(&psti(true), Catalog::star1(), None);
    assert!(with.supports_application, "{:#?}", with.problems);
    assert_eq!(
        with.counts.deemed_met,
        3 + 3,
        "three by 技適, three by PSTI"
    );

    let without = validate(&psti(false), Catalog::star1(), None);
    assert!(!without.supports_application);
    assert!(codes_for(&without, None).contains(&"recognition-statement-missing"));
    for id in WAIVED {
        assert!(
            codes_for(&without, Some(id)).contains(&"recognition-statement-missing"),
            "{id}: {:#?}",
            without.problems
        );
    }

    // A URL is as good as a document.
    let mut url = psti(false);
    url.recognition.as_mut().unwrap().statement_url =
        Some("https://example.jp/psti/sc-200-statement.pdf".into());
    assert!(validate(&url, Catalog::star1(), None).supports_application);

    // Without a claim, the three cannot be deemed met at all.
    let mut none = psti(true);
    none.recognition = None;
    let r = validate(&none, Catalog::star1(), None);
    for id in WAIVED {
        assert!(
            codes_for(&r, Some(id)).contains(&"deemed-met-not-allowed"),
            "{id}"
        );
    }

    // Waived criteria may be left out of a PSTI checklist altogether.
    let mut short = psti(true);
    short
        .answers
        .retain(|a| !WAIVED.contains(&a.criterion.as_str()));
    assert!(validate(&short, Catalog::star1(), None).supports_application);
    let mut short = psti(false);
    short
        .answers
        .retain(|a| !WAIVED.contains(&a.criterion.as_str()));
    let r = validate(&short, Catalog::star1(), None);
    for id in WAIVED {
        assert!(codes_for(&r, Some(id)).contains(&"missing-answer"), "{id}");
    }
}

#[test]
fn an_unknown_arrangement_is_named() {
    let mut c = psti(true);
    c.recognition.as_mut().unwrap().arrangement = "sg-cls".into();
    let r = validate(&c, Catalog::star1(), None);
    let p = r
        .problems
        .iter()
        .find(|p| p.code == "recognition-unknown")
        .unwrap();
    assert_eq!(p.field.as_deref(), Some("recognition.arrangement"));
    assert!(p.hint.en.contains("uk-psti"));
}

#[test]
fn the_psti_template_and_workbook() {
    let a = Recognition::builtin().get("uk-psti").unwrap();
    let t = Checklist::template_for(Catalog::star1(), "cam", a);
    for id in WAIVED {
        assert_eq!(t.answer(id).unwrap().result, Outcome::DeemedMet, "{id}");
    }
    assert_eq!(t.recognition.as_ref().unwrap().arrangement, "uk-psti");
    let r = validate(&t, Catalog::star1(), None);
    assert!(codes_for(&r, None).contains(&"recognition-statement-missing"));

    // The claim goes through the workbook and back.
    let c = psti(true);
    let bytes = jcstar_checklist::xlsx::to_xlsx_bytes(&c, Some(Catalog::star1())).unwrap();
    assert_eq!(
        jcstar_checklist::xlsx::from_xlsx_bytes(&bytes, "p.xlsx").unwrap(),
        c
    );
    // And TOML.
    let text = c
        .to_string_with_format(jcstar_checklist::Format::Toml)
        .unwrap();
    assert!(text.contains("[recognition]"));
    assert_eq!(
        Checklist::from_str_with_format(&text, jcstar_checklist::Format::Toml, "p").unwrap(),
        c
    );
}

#[test]
fn the_init_summary_says_what_was_written() {
    let cat = jcstar_criteria::Catalog::star1();
    let arr = jcstar_criteria::Recognition::builtin()
        .get("uk-psti")
        .unwrap();
    let psti = jcstar_checklist::Checklist::template_for(cat, "cam", arr);
    let s = jcstar_checklist::init_summary(&psti, "p.toml");
    assert!(
        s.ja.contains("3 件（S1.1-02, S1.1-05, S1.1-16）はみなし適合、13 件が未回答"),
        "{}",
        s.ja
    );
    assert!(!s.ja.contains("すべて未回答"), "{}", s.ja);
    assert!(
        s.en.contains("3 (S1.1-02, S1.1-05, S1.1-16) are deemed met"),
        "{}",
        s.en
    );
    assert!(s.en.contains(&arr.statement.en), "{}", s.en);
    let plain = jcstar_checklist::Checklist::template(cat, "cam");
    let s = jcstar_checklist::init_summary(&plain, "c.toml");
    assert!(s.en.contains("16 criteria, 16 unanswered"), "{}", s.en);
}
