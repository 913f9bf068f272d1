//! The search index (SQLite FTS5 trigram, PostgreSQL pg_trgm) must return
//! exactly what a plain substring filter over every label returns, for long
//! and short texts, after writes, and after `rebuild`.

mod common;

use common::Env;
use jcstar_registry::*;

/// A label's searchable text, lower-cased: number, company, products, models.
type Row = (String, String, Vec<String>, Vec<String>);

async fn all_labels(reg: &Registry) -> Vec<Row> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = reg.labels_after(after.as_deref(), 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.number.clone());
        for l in page {
            out.push((
                l.number.to_lowercase(),
                l.applicant.company.to_lowercase(),
                l.products.iter().map(|p| p.name.to_lowercase()).collect(),
                l.products
                    .iter()
                    .flat_map(|p| p.model_numbers.iter().map(|m| m.to_lowercase()))
                    .collect(),
            ));
        }
    }
    out
}

async fn found(reg: &Registry, q: SearchQuery) -> Vec<String> {
    let mut out = Vec::new();
    let mut q = SearchQuery { limit: 200, ..q };
    loop {
        let page = reg.search(&q).await.unwrap();
        out.extend(page.items.iter().map(|i| i.number.to_lowercase()));
        match page.next_offset {
            Some(o) => q.offset = o,
            None => break,
        }
    }
    out
}

async fn check_against_scan(reg: &Registry, texts: &[&str]) {
    let labels = all_labels(reg).await;
    for &t in texts {
        let needle = t.trim().to_lowercase();
        let expect = |pick: &dyn Fn(&Row) -> bool| {
            labels
                .iter()
                .filter(|l| pick(l))
                .map(|l| l.0.clone())
                .collect::<Vec<_>>()
        };
        let any = |v: &[String]| v.iter().any(|s| s.contains(&needle));
        let cases: [(&str, SearchQuery, Vec<String>); 4] = [
            (
                "q",
                SearchQuery {
                    text: Some(t.into()),
                    ..Default::default()
                },
                expect(&|l| {
                    l.0.contains(&needle) || l.1.contains(&needle) || any(&l.2) || any(&l.3)
                }),
            ),
            (
                "company",
                SearchQuery {
                    company: Some(t.into()),
                    ..Default::default()
                },
                expect(&|l| l.1.contains(&needle)),
            ),
            (
                "product",
                SearchQuery {
                    product: Some(t.into()),
                    ..Default::default()
                },
                expect(&|l| any(&l.2)),
            ),
            (
                "model",
                SearchQuery {
                    model: Some(t.into()),
                    ..Default::default()
                },
                expect(&|l| any(&l.3)),
            ),
        ];
        for (field, q, want) in cases {
            assert_eq!(found(reg, q).await, want, "{field}={t:?}");
        }
    }
    // Two texts and a level together.
    let q = SearchQuery {
        company: Some("Ginga".into()),
        model: Some("-b".into()),
        level: Some(Level::Star1),
        ..Default::default()
    };
    let want: Vec<String> = labels
        .iter()
        .filter(|l| l.1.contains("ginga") && l.3.iter().any(|m| m.contains("-b")))
        .map(|l| l.0.clone())
        .collect();
    let got = found(reg, q).await;
    assert!(got.iter().all(|n| want.contains(n)));
    assert!(!got.is_empty());
}

const TEXTS: &[&str] = &[
    "ginga",
    "GINGA NET",
    "k.k.",
    " 12 ",
    "m00001",
    "0001-b",
    "1-b",
    "-b",
    "b",
    "zz",
    "x",
    "camera",
    "no such text at all",
    "\"quoted\"",
    "a\"b",
    "%",
    "_",
    "jcs1-",
];

async fn index_matches_a_full_scan(b: Backend) {
    let env = Env::new(b).await;
    seed_bulk(&env.reg, 240).await.unwrap();
    check_against_scan(&env.reg, TEXTS).await;

    // A later write changes what matches: the index follows in the same
    // transaction.
    let first = env.reg.labels_after(None, 1).await.unwrap().remove(0);
    let late = env.issued("late-co", Level::Star1).await;
    assert_eq!(
        found(
            &env.reg,
            SearchQuery {
                text: Some(late.number.clone()),
                ..Default::default()
            }
        )
        .await,
        vec![late.number.to_lowercase()]
    );
    env.reg
        .withdraw_label(&env.op, &first.number, "spec change")
        .await
        .unwrap();
    check_against_scan(&env.reg, TEXTS).await;

    env.reg.rebuild().await.unwrap();
    check_against_scan(&env.reg, TEXTS).await;
    env.done().await;
}

async fn counts_match_the_labels(b: Backend) {
    let env = Env::new(b).await;
    seed_bulk(&env.reg, 30).await.unwrap();
    let first = env.reg.labels_after(None, 1).await.unwrap().remove(0);
    env.reg
        .withdraw_label(&env.op, &first.number, "spec change")
        .await
        .unwrap();
    let mut want = std::collections::HashMap::new();
    for l in env.reg.labels_after(None, 1000).await.unwrap() {
        *want.entry((l.level, l.status)).or_insert(0u64) += 1;
    }
    let got: std::collections::HashMap<_, _> = env
        .reg
        .label_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|(l, s, n)| ((l, s), n))
        .collect();
    assert_eq!(got, want);
    // Expiry is derived from today's date, so the counts move with it.
    env.clock.advance(chrono::Duration::days(3 * 366));
    let got = env.reg.label_counts().await.unwrap();
    assert!(
        got.iter()
            .all(|(_, s, _)| matches!(s, LabelStatus::Expired | LabelStatus::Withdrawn)),
        "{got:?}"
    );
    env.done().await;
}

jcstar_registry::both!(index_matches_a_full_scan, counts_match_the_labels,);
