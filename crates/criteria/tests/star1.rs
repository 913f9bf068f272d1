//! The embedded ★1 catalog against the facts of the source document.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use jcstar_criteria::{Catalog, ConditionMode, MethodKind, Relation};

fn ids(pred: impl Fn(&jcstar_criteria::Criterion) -> bool) -> Vec<String> {
    Catalog::star1()
        .criteria
        .iter()
        .filter(|c| pred(c))
        .map(|c| c.id.clone())
        .collect()
}

#[test]
fn sixteen_criteria_in_order() {
    let got: Vec<&str> = Catalog::star1().ids().collect();
    let want: Vec<String> = (1..=16).map(|n| format!("S1.1-{n:02}")).collect();
    assert_eq!(got, want);
}

#[test]
fn deemed_met_set_is_01_06_14() {
    assert_eq!(
        ids(|c| c.deemed_met_by_giteki),
        ["S1.1-01", "S1.1-06", "S1.1-14"]
    );
}

#[test]
fn device_test_set_matches_seed() {
    assert_eq!(
        ids(|c| c.requires_device_test()),
        [
            "S1.1-04", "S1.1-06", "S1.1-10", "S1.1-13", "S1.1-14", "S1.1-15"
        ]
    );
    // The seed gives no document review for these four.
    assert_eq!(
        ids(|c| !c.requires_document_review()),
        ["S1.1-04", "S1.1-06", "S1.1-10", "S1.1-14"]
    );
}

#[test]
fn every_criterion_states_both_methods() {
    for c in &Catalog::star1().criteria {
        for kind in [MethodKind::DocumentReview, MethodKind::DeviceTest] {
            assert!(c.method(kind).is_some(), "{} lacks {kind:?}", c.id);
        }
    }
}

#[test]
fn na_rules_match_seed() {
    assert_eq!(
        ids(|c| c.na.allowed),
        [
            "S1.1-01", "S1.1-02", "S1.1-03", "S1.1-04", "S1.1-08", "S1.1-12"
        ]
    );
    for c in &Catalog::star1().criteria {
        assert_eq!(c.na.allowed, c.na.reason_required, "{}", c.id);
    }
    let s04 = Catalog::star1().criterion("S1.1-04").unwrap();
    assert_eq!(
        s04.na.conditions.len(),
        2,
        "S1.1-04 has two NA alternatives"
    );
}

#[test]
fn sub_conditions_and_modes() {
    let cat = Catalog::star1();
    let mode = |id: &str| {
        cat.criterion(id)
            .and_then(|c| c.conditions.as_ref())
            .map(|c| (c.mode, c.items.len()))
    };
    assert_eq!(mode("S1.1-02"), Some((ConditionMode::Any, 2)));
    assert_eq!(mode("S1.1-05"), Some((ConditionMode::All, 3)));
    assert_eq!(mode("S1.1-06"), Some((ConditionMode::All, 3)));
    assert_eq!(mode("S1.1-10"), Some((ConditionMode::Any, 2)));
    assert_eq!(mode("S1.1-12"), Some((ConditionMode::Any, 2)));
    assert_eq!(mode("S1.1-13"), Some((ConditionMode::All, 2)));
    assert_eq!(mode("S1.1-15"), Some((ConditionMode::All, 2)));
    assert_eq!(mode("S1.1-16"), Some((ConditionMode::All, 5)));
    assert_eq!(mode("S1.1-01"), None);
    let labels: Vec<&str> = cat
        .criterion("S1.1-16")
        .unwrap()
        .conditions
        .as_ref()
        .unwrap()
        .items
        .iter()
        .map(|i| i.label.as_str())
        .collect();
    assert_eq!(labels, ["①", "②", "③", "④", "⑤"]);
}

#[test]
fn device_test_steps_of_13_and_15_are_both_required() {
    for id in ["S1.1-13", "S1.1-15"] {
        let c = Catalog::star1().criterion(id).unwrap();
        let steps = c
            .method(MethodKind::DeviceTest)
            .and_then(|m| m.steps.as_ref())
            .unwrap();
        assert_eq!(steps.mode, ConditionMode::All, "{id}");
        assert_eq!(steps.items.len(), 2, "{id}");
    }
    let s12 = Catalog::star1().criterion("S1.1-12").unwrap();
    let doc = s12
        .method(MethodKind::DocumentReview)
        .and_then(|m| m.steps.as_ref())
        .unwrap();
    assert_eq!(doc.mode, ConditionMode::Any);
}

#[test]
fn categories_and_requirements() {
    let cat = Catalog::star1();
    let pairs: Vec<(u32, &str)> = cat
        .criteria
        .iter()
        .map(|c| (c.category, c.requirement.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            (1, "1-3"),
            (1, "1-2"),
            (1, "1-4"),
            (1, "1-5"),
            (2, "2-1"),
            (3, "3-1"),
            (3, "3-3"),
            (3, "3-7"),
            (3, "3-8"),
            (3, "3-14"),
            (4, "4-1"),
            (5, "5-1"),
            (6, "6-1"),
            (9, "9-1"),
            (11, "11-1"),
            (17, "17-2"),
        ]
    );
    for c in &cat.criteria {
        assert!(cat.category(c.category).is_some());
        assert_eq!(
            cat.requirement(&c.requirement).map(|r| r.category),
            Some(c.category)
        );
    }
}

#[test]
fn all_references_and_terms_resolve() {
    let cat = Catalog::star1();
    let want_schemes = [
        "etsi-en-303-645",
        "uk-psti",
        "nistir-8425",
        "eu-cra",
        "sg-cls",
        "iec-62443-4-1",
        "iec-62443-4-2",
        "jp-terminal-equipment-rules",
        "ccds",
        "bmsec",
        "rbss",
        "jp-specific-use-pp",
    ];
    let got: Vec<&str> = cat.schemes.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(got, want_schemes);
    let mut n = 0;
    for c in &cat.criteria {
        for r in &c.references {
            n += 1;
            assert!(cat.scheme(&r.scheme).is_some(), "{}: {}", c.id, r.scheme);
            assert_eq!(r.relation, Relation::Related);
            assert!(!r.provision.is_empty() && !r.listed.is_empty());
        }
        for t in &c.terms {
            assert!(cat.term(t).is_some(), "{}: term {t}", c.id);
        }
    }
    assert!(n > 100, "expected the seed's full reference lists, got {n}");
    for t in [
        "protected-information-asset",
        "auth-value",
        "constrained-device",
    ] {
        assert!(cat.term(t).is_some(), "{t}");
    }
    assert!(
        cat.terms.len() >= 40,
        "glossary has {} terms",
        cat.terms.len()
    );
}

#[test]
fn every_criterion_relates_to_etsi() {
    for c in &Catalog::star1().criteria {
        assert!(
            c.references.iter().any(|r| r.scheme == "etsi-en-303-645"),
            "{} has no ETSI reference",
            c.id
        );
    }
}

fn related(scheme: &str, provision: &str) -> Vec<String> {
    Catalog::star1()
        .map_from(scheme, provision)
        .unwrap()
        .iter()
        .map(|m| m.criterion.id.clone())
        .collect()
}

#[test]
fn reference_spot_checks() {
    assert_eq!(related("etsi-en-303-645", "5.1-2"), ["S1.1-02"]);
    assert_eq!(related("etsi-en-303-645", "5.1-2 M"), ["S1.1-02"]);
    assert_eq!(related("etsi-en-303-645", "Provision 5.1-2"), ["S1.1-02"]);
    assert_eq!(related("ETSI EN 303 645", "５．１-２"), ["S1.1-02"]);
    assert_eq!(
        related("iec-62443-4-2", "CR1.5"),
        ["S1.1-01", "S1.1-03", "S1.1-11"]
    );
    assert_eq!(
        related("iec-62443-4-2", "cr 1.5"),
        ["S1.1-01", "S1.1-03", "S1.1-11"]
    );
    assert_eq!(
        related("uk-psti", "SCHEDULE 1: 1-(3)"),
        ["S1.1-01", "S1.1-02"]
    );
    assert_eq!(related("uk-psti", "2-(3)"), ["S1.1-05"]);
    assert_eq!(
        related("eu-cra", "ANNEX I 2.(8)"),
        ["S1.1-06", "S1.1-07", "S1.1-09"]
    );
    assert_eq!(related("sg-cls", "[*]5.1-3"), ["S1.1-01"]);
    assert_eq!(
        related("ccds", "1-1"),
        ["S1.1-01", "S1.1-02", "S1.1-04", "S1.1-14"]
    );
    assert_eq!(related("ccds", "1-1-2"), ["S1.1-03"]);
    assert_eq!(
        related("jp-terminal-equipment-rules", "第三十四条の十(一)"),
        ["S1.1-01", "S1.1-04"]
    );
    assert_eq!(related("bmsec", "VA-1"), ["S1.1-13"]);
    assert_eq!(
        related("jp-specific-use-pp", "FMT_SMF"),
        ["S1.1-06", "S1.1-07", "S1.1-08", "S1.1-09"]
    );
    assert!(related("etsi-en-303-645", "5.1-1").is_empty());
    // ETSI 5.1-2 must not match 5.1-2x or a prefix of it.
    assert!(related("etsi-en-303-645", "5.1").is_empty());
}

#[test]
fn listed_text_is_kept_verbatim() {
    let c = Catalog::star1().criterion("S1.1-02").unwrap();
    let etsi: Vec<&str> = c
        .references
        .iter()
        .filter(|r| r.scheme == "etsi-en-303-645")
        .map(|r| r.listed.as_str())
        .collect();
    assert_eq!(etsi, ["5.1-2 M C (2)"]);
    let c = Catalog::star1().criterion("S1.1-05").unwrap();
    let cra: Vec<&str> = c
        .references
        .iter()
        .filter(|r| r.scheme == "eu-cra")
        .map(|r| r.provision.as_str())
        .collect();
    assert_eq!(
        cra,
        ["ANNEX I 2.(5)", "ANNEX I 2.(6)", "ANNEX II 1", "ANNEX II 2"]
    );
}

#[test]
fn unknown_scheme_lists_known_ids() {
    let err = Catalog::star1().map_from("iso-27001", "A.5").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("iso-27001")
            && msg.contains("etsi-en-303-645")
            && msg.contains("jp-specific-use-pp"),
        "{msg}"
    );
}

#[test]
fn references_grouped_by_scheme() {
    let cat = Catalog::star1();
    let c = cat.criterion("S1.1-11").unwrap();
    let groups = cat.references_by_scheme(c);
    let names: Vec<&str> = groups.iter().map(|g| g.scheme.id.as_str()).collect();
    assert_eq!(
        names,
        [
            "etsi-en-303-645",
            "nistir-8425",
            "sg-cls",
            "iec-62443-4-2",
            "ccds",
            "jp-specific-use-pp"
        ]
    );
    let iec = groups
        .iter()
        .find(|g| g.scheme.id == "iec-62443-4-2")
        .unwrap();
    assert_eq!(iec.references.len(), 13);
}

#[test]
fn english_text_has_no_kana() {
    // Catches a Japanese sentence pasted into an `en` field; kanji such as
    // 技適 may legitimately appear as a name.
    let kana = |s: &str| s.chars().any(|c| ('\u{3040}'..='\u{30FF}').contains(&c));
    let cat = Catalog::star1();
    for c in &cat.criteria {
        assert!(!kana(&c.title.en) && !kana(&c.statement.en), "{}", c.id);
        for m in &c.methods {
            assert!(!kana(&m.examines.en), "{}", c.id);
        }
        for t in &c.na.conditions {
            assert!(!kana(&t.en), "{}", c.id);
        }
    }
    for t in &cat.terms {
        assert!(!kana(&t.definition.en) && !kana(&t.name.en), "{}", t.id);
        assert!(
            kana(&t.definition.ja) || t.definition.ja.chars().any(|c| c > '\u{4E00}'),
            "{}",
            t.id
        );
    }
}

#[test]
fn suggestions_for_mistyped_ids() {
    let cat = Catalog::star1();
    assert_eq!(
        cat.find_criterion(" s1.1-03 ").map(|c| c.id.as_str()),
        Some("S1.1-03")
    );
    assert_eq!(cat.suggest("S1.1-3").first(), Some(&"S1.1-03"));
    assert_eq!(cat.suggest("3").first(), Some(&"S1.1-03"));
    assert_eq!(cat.suggest("S1.1-013").first(), Some(&"S1.1-13"));
    assert!(cat.suggest("completely different").is_empty());
}

/// The wording corrections of the catalog review against seed 002.
#[test]
fn wording_follows_the_seed() {
    let cat = Catalog::star1();
    for id in ["S1.1-01", "S1.1-06", "S1.1-14"] {
        let c = cat.criterion(id).unwrap();
        // Only certifications that include the terminal-equipment security
        // standards count.
        assert!(
            c.statement
                .ja
                .contains("端末機器セキュリティに係る技術基準を含めた技術基準適合認定"),
            "{id}: {}",
            c.statement.ja
        );
        assert!(
            c.statement.en.contains("terminal-equipment security"),
            "{id}"
        );
    }
    // The seed's defined term, which covers public security parameters too.
    let cat4 = cat.categories.iter().find(|c| c.number == 4).unwrap();
    assert!(
        cat4.title.ja.contains("機密セキュリティパラメータ"),
        "{}",
        cat4.title.ja
    );
    let r41 = cat.requirements.iter().find(|r| r.id == "4-1").unwrap();
    assert!(r41.statement.ja.contains("機密セキュリティパラメータ"));
    assert!(!format!("{:?}{:?}", cat4, r41).contains("秘匿すべき"));
    // Unique per device, not per product.
    let r12 = cat.requirements.iter().find(|r| r.id == "1-2").unwrap();
    assert!(
        r12.statement.ja.contains("機器ごとに固有"),
        "{}",
        r12.statement.ja
    );
    // The seed says 「実機テスト：なし」 for -02 and -12, nothing more.
    for id in ["S1.1-02", "S1.1-12"] {
        let m = cat
            .criterion(id)
            .unwrap()
            .method(MethodKind::DeviceTest)
            .unwrap();
        assert!(!m.applies);
        assert_eq!(m.examines.ja, "実機テストは行わない。", "{id}");
    }
    // -06 and -10 name no more than the seed does; -14 says what the seed says.
    for id in ["S1.1-06", "S1.1-10"] {
        let m = cat
            .criterion(id)
            .unwrap()
            .method(MethodKind::DeviceTest)
            .unwrap();
        assert!(
            m.examines.ja.starts_with("実機テストにより評価する"),
            "{id}"
        );
    }
    let m = cat
        .criterion("S1.1-14")
        .unwrap()
        .method(MethodKind::DeviceTest)
        .unwrap();
    assert!(
        m.examines
            .ja
            .contains("ソフトウェアを更新した製品に対して、実機テストにより評価する")
    );
    assert!(!m.examines.ja.contains("電源"));
}
