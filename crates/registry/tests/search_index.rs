//! The search index must return exactly what a plain filter over every
//! label returns (written here without the index, from the stated rules:
//! NFKC, lower case, white space runs as one; model numbers also without
//! hyphens, spaces and dots), for long, short, Japanese and full-width texts,
//! with exact counts, after writes, and after `rebuild`.

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
use jcstar_registry::verify::model_key;
use jcstar_registry::*;
use unicode_normalization::UnicodeNormalization;

/// One label as the brute-force filter sees it.
struct Row {
    number: String,
    company: String,
    products: Vec<String>,
    models: Vec<String>,
    model_keys: Vec<String>,
    types: Vec<String>,
    level: Level,
    status: LabelStatus,
    issued_on: chrono::NaiveDate,
    valid_until: chrono::NaiveDate,
}

fn norm(s: &str) -> String {
    let lower = s.nfkc().collect::<String>().to_lowercase();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn all_labels(reg: &Registry) -> Vec<Row> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = reg.labels_after(after.as_deref(), 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.number.clone());
        for l in page {
            let models: Vec<&String> = l.products.iter().flat_map(|p| &p.model_numbers).collect();
            out.push(Row {
                number: l.number.to_lowercase(),
                company: norm(&l.applicant.company),
                products: l.products.iter().map(|p| norm(&p.name)).collect(),
                models: models.iter().map(|m| norm(m)).collect(),
                model_keys: models.iter().map(|m| model_key(m)).collect(),
                types: l.products.iter().map(|p| norm(&p.product_type)).collect(),
                level: l.level,
                status: l.status,
                issued_on: l.issued_on,
                valid_until: l.valid_until,
            });
        }
    }
    out
}

/// Every match over all pages, and the count each page gave.
async fn found(reg: &Registry, q: SearchQuery) -> (Vec<String>, u64) {
    let mut out = Vec::new();
    let mut q = SearchQuery { limit: 200, ..q };
    let mut total = None;
    loop {
        let page = reg.search(&q).await.unwrap();
        assert!(
            total.is_none_or(|t| t == page.total),
            "counts differ by page"
        );
        total = Some(page.total);
        out.extend(page.items.iter().map(|i| i.number.to_lowercase()));
        match page.next_offset {
            Some(o) => q.offset = o,
            None => break,
        }
    }
    (out, total.unwrap_or(0))
}

fn any(v: &[String], needle: &str) -> bool {
    v.iter().any(|s| s.contains(needle))
}

/// The model rule: the normalised text within a model number, or the
/// model-number form within a model number's form.
fn model_hit(l: &Row, t: &str, how: ModelMatch) -> bool {
    let (n, c) = (norm(t), model_key(t));
    let test = |hay: &str, needle: &str| match how {
        ModelMatch::Contains => hay.contains(needle),
        ModelMatch::Prefix => hay.starts_with(needle),
        ModelMatch::Exact => hay == needle,
    };
    l.models.iter().any(|m| test(m, &n))
        || (!c.is_empty() && l.model_keys.iter().any(|m| test(m, &c)))
}

async fn check_against_scan(reg: &Registry, texts: &[&str]) {
    let labels = all_labels(reg).await;
    for &t in texts {
        let needle = norm(t);
        let compact = model_key(t);
        let expect = |pick: &dyn Fn(&Row) -> bool| {
            labels
                .iter()
                .filter(|l| pick(l))
                .map(|l| l.number.clone())
                .collect::<Vec<_>>()
        };
        let with = |f: &dyn Fn(&mut SearchQuery)| {
            let mut q = SearchQuery::default();
            f(&mut q);
            q
        };
        let cases: Vec<(&str, SearchQuery, Vec<String>)> = vec![
            (
                "q",
                with(&|q| q.text = Some(t.into())),
                expect(&|l| {
                    l.number.contains(&needle)
                        || l.company.contains(&needle)
                        || any(&l.products, &needle)
                        || any(&l.models, &needle)
                        || any(&l.model_keys, &needle)
                        || any(&l.types, &needle)
                        || (!compact.is_empty() && any(&l.model_keys, &compact))
                }),
            ),
            (
                "company",
                with(&|q| q.company = Some(t.into())),
                expect(&|l| l.company.contains(&needle)),
            ),
            (
                "product",
                with(&|q| q.product = Some(t.into())),
                expect(&|l| any(&l.products, &needle)),
            ),
            (
                "type",
                with(&|q| q.product_type = Some(t.into())),
                expect(&|l| any(&l.types, &needle)),
            ),
            (
                "model",
                with(&|q| q.model = Some(t.into())),
                expect(&|l| model_hit(l, t, ModelMatch::Contains)),
            ),
            (
                "model prefix",
                with(&|q| {
                    q.model = Some(t.into());
                    q.model_match = ModelMatch::Prefix;
                }),
                expect(&|l| model_hit(l, t, ModelMatch::Prefix)),
            ),
            (
                "model exact",
                with(&|q| {
                    q.model = Some(t.into());
                    q.model_match = ModelMatch::Exact;
                }),
                expect(&|l| model_hit(l, t, ModelMatch::Exact)),
            ),
        ];
        for (field, q, want) in cases {
            let (got, total) = found(reg, q).await;
            assert_eq!(got, want, "{field}={t:?}");
            assert_eq!(total as usize, want.len(), "count of {field}={t:?}");
        }
    }
    // Two texts, a level, a status and a date range together.
    let today = reg.today();
    let from = labels.iter().map(|l| l.issued_on).min().unwrap();
    let q = SearchQuery {
        company: Some("Ginga".into()),
        model: Some("-b".into()),
        level: Some(Level::Star1),
        status: Some(LabelStatus::Active),
        issued_from: Some(from),
        valid_until_from: Some(today),
        ..Default::default()
    };
    let want: Vec<String> = labels
        .iter()
        .filter(|l| {
            l.company.contains("ginga")
                && model_hit(l, "-b", ModelMatch::Contains)
                && l.level == Level::Star1
                && l.status == LabelStatus::Active
                && l.valid_until >= today
                && l.issued_on >= from
        })
        .map(|l| l.number.clone())
        .collect();
    let (got, total) = found(reg, q).await;
    assert_eq!(got, want);
    assert_eq!(total as usize, want.len());
    assert!(!got.is_empty());
    // An empty date range finds nothing; one that ends before every label
    // too.
    let before = from.pred_opt().unwrap();
    let (got, total) = found(
        reg,
        SearchQuery {
            issued_to: Some(before),
            ..Default::default()
        },
    )
    .await;
    assert!(got.is_empty() && total == 0);
}

const TEXTS: &[&str] = &[
    "ginga",
    "GINGA NET",
    "GINGA　 NET",
    "ｇｉｎｇａ",
    "k.k.",
    " 12 ",
    "m00001",
    "M0000012B",
    "m 0000 012",
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
    // Japanese and full-width forms (labels below).
    "ギンガ",
    "ｷﾞﾝｶﾞ",
    "電機",
    "電",
    "カメラ",
    "ＮＣ－２００",
    "nc200",
    "NC 200",
    "nc-20",
    "ネットワークカメラ",
    "-",
];

/// A label with these texts, through the whole application flow.
async fn issue_with(
    env: &Env,
    org: &str,
    company: &str,
    product: &str,
    kind: &str,
    models: &[&str],
) {
    jcstar_registry::testing::issue_label(
        &env.reg,
        jcstar_registry::testing::LabelSpec {
            org,
            company,
            product,
            product_type: kind,
            models,
        },
    )
    .await
    .expect("issue");
}

async fn index_matches_a_full_scan(b: Backend) {
    let env = Env::new(b).await;
    seed_bulk(&env.reg, 240).await.unwrap();
    issue_with(
        &env,
        "ginga-jp",
        "ギンガ電機株式会社",
        "ネットワークカメラ ＧＣ",
        "ネットワークカメラ",
        &["NC-200", "ＮＣ－２０００"],
    )
    .await;
    issue_with(
        &env,
        "kana",
        "ｷﾞﾝｶﾞ ﾃﾞﾝｷ",
        "見守りカメラ",
        "camera",
        &["NC200", "nc.20.0 b"],
    )
    .await;
    check_against_scan(&env.reg, TEXTS).await;
    // What a buyer types finds what the label says, however it is written.
    let companies = |q: SearchQuery| {
        let reg = env.reg.clone();
        async move {
            let page = reg.search(&q).await.unwrap();
            let mut c: Vec<String> = page.items.into_iter().map(|i| i.company).collect();
            c.sort();
            c
        }
    };
    let model = |m: &str, how: ModelMatch| SearchQuery {
        model: Some(m.into()),
        model_match: how,
        ..Default::default()
    };
    let both = vec!["ギンガ電機株式会社".to_string(), "ｷﾞﾝｶﾞ ﾃﾞﾝｷ".to_string()];
    assert_eq!(
        companies(model("ＮＣ－２００", ModelMatch::Exact)).await,
        both
    );
    assert_eq!(companies(model("nc 200", ModelMatch::Exact)).await, both);
    assert_eq!(
        companies(model("NC2000", ModelMatch::Exact)).await,
        both[..1]
    );
    assert_eq!(companies(model("ｎｃ２０", ModelMatch::Prefix)).await, both);
    assert_eq!(
        companies(SearchQuery {
            text: Some("ｷﾞﾝｶﾞ".into()),
            ..Default::default()
        })
        .await,
        both
    );
    assert_eq!(
        companies(SearchQuery {
            product_type: Some("ネットワーク".into()),
            ..Default::default()
        })
        .await,
        both[..1]
    );

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
        .await
        .0,
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

/// Two server processes on one database: each keeps its own index, and a
/// label one of them issues (or withdraws) is found by the other within the
/// index's head check.
async fn another_node_follows_the_log(b: Backend) {
    let env = Env::new(b).await;
    seed_bulk(&env.reg, 20).await.unwrap();
    let other = env.db.open(env.clock.clone()).await.unwrap();
    let by_company = |reg: Registry, c: &'static str| async move {
        reg.search(&SearchQuery {
            company: Some(c.into()),
            ..Default::default()
        })
        .await
        .unwrap()
    };
    assert_eq!(by_company(other.clone(), "late-co").await.total, 0);
    let late = env.issued("late-co", Level::Star1).await;
    let mut seen = false;
    for _ in 0..40 {
        if by_company(other.clone(), "late-co").await.total == 1 {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "the other node never saw the new label");
    env.reg
        .withdraw_label(&env.op, &late.number, "discontinued")
        .await
        .unwrap();
    let active = |reg: Registry| async move {
        reg.search(&SearchQuery {
            company: Some("late-co".into()),
            status: Some(LabelStatus::Active),
            ..Default::default()
        })
        .await
        .unwrap()
        .total
    };
    let mut followed = false;
    for _ in 0..40 {
        if active(other.clone()).await == 0 {
            followed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        followed,
        "the other node still shows the withdrawn label as active"
    );
    other.close().await;
    env.done().await;
}

jcstar_registry::both!(
    index_matches_a_full_scan,
    counts_match_the_labels,
    another_node_follows_the_log,
);
