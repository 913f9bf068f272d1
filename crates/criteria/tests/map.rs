//! `criteria map`: every citation of seed 002 finds its criterion, in the
//! seed's spelling and in the variants people type.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use jcstar_criteria::Catalog;

fn ids(scheme: &str, provision: &str) -> Vec<String> {
    Catalog::star1()
        .map_from(scheme, provision)
        .unwrap_or_else(|e| panic!("{scheme} {provision}: {e}"))
        .iter()
        .map(|m| m.criterion.id.clone())
        .collect()
}

#[test]
fn every_citation_of_the_seed_finds_its_criterion() {
    let cat = Catalog::star1();
    let mut checked = 0;
    for c in &cat.criteria {
        for r in &c.references {
            // By the provision id, by the text as the seed lists it, and by
            // each listed item on its own.
            let mut asks = vec![r.provision.clone(), r.listed.clone()];
            asks.extend(
                r.listed
                    .split('、')
                    .filter(|seg| seg.contains(r.provision.as_str()))
                    .map(str::to_string),
            );
            for ask in asks {
                let got = ids(&r.scheme, &ask);
                assert!(
                    got.contains(&c.id),
                    "{} {ask:?} → {got:?}, not {}",
                    r.scheme,
                    c.id
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "{checked}");
}

#[test]
fn ccds_sub_items_pick_only_their_criterion() {
    assert_eq!(
        ids("ccds", "1-1 アクセス制御及び認証【必須】④"),
        ["S1.1-01"]
    );
    assert_eq!(ids("ccds", "1-1【必須】④"), ["S1.1-01"]);
    assert_eq!(ids("ccds", "1-1 ④"), ["S1.1-01"]);
    assert_eq!(ids("ccds", "1-1【必須】②"), ["S1.1-02"]);
    assert_eq!(ids("ccds", "1-3【推奨】②"), ["S1.1-08"]);
    assert_eq!(ids("ccds", "1-3【推奨】①"), ["S1.1-06"]);
    // The parent still finds every criterion citing it.
    let all = ids("ccds", "1-1");
    assert!(
        all.len() >= 4 && all.contains(&"S1.1-01".to_string()),
        "{all:?}"
    );
}

#[test]
fn spelling_and_citation_variants() {
    // The seed spells NISTIR's category both ways.
    for spelling in [
        "インターフェイスの論理アクセス 2-b",
        "インターフェイスへの論理アクセス 2-b",
    ] {
        assert_eq!(ids("nistir-8425", spelling), ["S1.1-01"], "{spelling}");
    }
    assert!(
        ids("nistir-8425", "インターフェイスの論理アクセス 2-a").contains(&"S1.1-11".to_string())
    );
    assert!(ids("uk-psti", "1(3)").contains(&"S1.1-02".to_string()));
    assert_eq!(ids("uk-psti", "1(3)"), ids("uk-psti", "SCHEDULE 1: 1-(3)"));
    assert_eq!(
        ids("eu-cra", "ANNEX I 2(8)"),
        ids("eu-cra", "ANNEX I 2.(8)")
    );
    assert!(!ids("eu-cra", "ANNEX I 2(8)").is_empty());
    // The parent of a cited provision finds what cites its parts.
    assert!(ids("eu-cra", "ANNEX I 1.(3)").contains(&"S1.1-12".to_string()));
    assert!(ids("jp-terminal-equipment-rules", "第三十四条の十").contains(&"S1.1-02".to_string()));
    // A component of a cited family.
    assert_eq!(ids("jp-specific-use-pp", "FIA_AFL.1"), ["S1.1-04"]);
}

#[test]
fn scheme_names_people_type() {
    let cat = Catalog::star1();
    for (typed, id) in [
        ("NISTIR 8425", "nistir-8425"),
        ("Singapore CLS", "sg-cls"),
        ("PSTI", "uk-psti"),
        ("CRA", "eu-cra"),
        ("ｃｒａ", "eu-cra"),
        ("ETSI EN 303 645", "etsi-en-303-645"),
    ] {
        assert_eq!(
            cat.scheme(typed).map(|s| s.id.as_str()),
            Some(id),
            "{typed}"
        );
    }
}
