//! Search and page-data latency with many labels, on SQLite and PostgreSQL.
//!
//! cargo run --release -p jcstar-registry --example bench_search -- [LABELS] [sqlite|postgres|both]
//!
//! Seeds LABELS (default 100000) labels through `seed_bulk` into a fresh
//! database, then times a mix of searches and product-page reads and prints
//! p50/p99 per query kind. PostgreSQL uses a fresh schema on the test server
//! (JCSTAR_TEST_POSTGRES) and drops it afterwards.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use jcstar_registry::testing::TestDb;
use jcstar_registry::*;

fn pct(mut v: Vec<Duration>, p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(f64::NAN)
}

async fn run(backend: Backend, n: u64) -> Result<()> {
    let db = TestDb::new(backend).await?;
    let reg = db.open(Arc::new(SystemClock)).await?;
    let t = Instant::now();
    seed_bulk(&reg, n).await?;
    let seed = t.elapsed();
    println!(
        "{backend:?}: seeded {n} labels in {:.1} s ({:.0} labels/s)",
        seed.as_secs_f64(),
        n as f64 / seed.as_secs_f64()
    );
    // A second handle, as a server process starting on this database: its
    // first search builds the in-memory index.
    let reg2 = db.open(Arc::new(SystemClock)).await?;
    let t = Instant::now();
    reg2.warm_search().await?;
    println!(
        "{backend:?}: search index built from {n} labels in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    reg2.close().await;
    let numbers: Vec<String> = reg
        .search(&SearchQuery {
            offset: n / 2,
            limit: 50,
            ..Default::default()
        })
        .await?
        .items
        .into_iter()
        .map(|i| i.number)
        .collect();
    const COMPANIES: [&str; 10] = [
        "aoba", "benten", "chidori", "daikoku", "ebisu", "fukurou", "ginga", "hotaru", "inari",
        "jizo",
    ];
    const NAMES: [&str; 10] = [
        "aoba devices",
        "benten electric",
        "chidori systems",
        "daikoku labs",
        "ebisu home",
        "fukurou tech",
        "ginga networks",
        "hotaru sensors",
        "inari robotics",
        "jizo security",
    ];
    const WORDS: [&str; 8] = [
        "router",
        "camera",
        "plug",
        "gateway",
        "thermostat",
        "lock",
        "speaker",
        "hub",
    ];
    // Each class: 40 different queries (so the result cache cannot answer
    // them), then the same query 40 times (the cache answers).
    let class = |name: &'static str, f: &dyn Fn(usize) -> SearchQuery| {
        (name, (0..40).map(f).collect::<Vec<_>>())
    };
    let classes: Vec<(&str, Vec<SearchQuery>)> = vec![
        class("text 3+ chars", &|i| {
            // Company "<name> <k> K.K." exists for k % 10 = the name's place.
            let k = 100 + i * 37;
            SearchQuery {
                text: Some(format!("{} {k}", NAMES[k % 10])),
                ..Default::default()
            }
        }),
        class("text 1-2 chars", &|i| SearchQuery {
            company: Some(
                ["ab", "en", "ch", "x", "ku", "is", "ou", "ng", "ta", "ri"][i % 10].into(),
            ),
            level: Some(if i < 10 { Level::Star1 } else { Level::Star2 }),
            status: (i >= 20).then_some(LabelStatus::Active),
            ..Default::default()
        }),
        class("common word", &|i| SearchQuery {
            text: Some(WORDS[i % 8].into()),
            status: [
                None,
                Some(LabelStatus::Active),
                Some(LabelStatus::Expired),
                Some(LabelStatus::Withdrawn),
                Some(LabelStatus::Revoked),
            ][i / 8],
            ..Default::default()
        }),
        class("exact model", &|i| SearchQuery {
            model: Some(format!("M{:07}", (i as u64 * 7919) % n)),
            model_match: ModelMatch::Exact,
            ..Default::default()
        }),
        class("company + level", &|i| SearchQuery {
            company: Some(COMPANIES[i % 10].into()),
            level: Some(if i % 20 < 10 {
                Level::Star1
            } else {
                Level::Star2
            }),
            status: (i >= 20).then_some(LabelStatus::Active),
            ..Default::default()
        }),
    ];
    for (name, qs) in &classes {
        let mut cold = Vec::new();
        for q in qs {
            let t = Instant::now();
            let page = reg.search(q).await?;
            cold.push(t.elapsed());
            std::hint::black_box(page);
        }
        let mut warm = Vec::new();
        for _ in 0..40 {
            let t = Instant::now();
            std::hint::black_box(reg.search(&qs[0]).await?);
            warm.push(t.elapsed());
        }
        println!(
            "{backend:?}: search {name:<16} distinct p50 {:>6.2} ms p99 {:>6.2} ms | repeated p50 {:>6.3} ms",
            pct(cold.clone(), 0.5),
            pct(cold, 0.99),
            pct(warm, 0.5)
        );
    }
    let mut times = Vec::new();
    for _ in 0..10 {
        for num in &numbers {
            let t = Instant::now();
            std::hint::black_box(reg.product_page(num).await?);
            times.push(t.elapsed());
        }
    }
    println!(
        "{backend:?}: product_page      p50 {:>7.2} ms  p99 {:>7.2} ms",
        pct(times.clone(), 0.5),
        pct(times, 0.99)
    );
    reg.close().await;
    db.cleanup().await
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let which = args.get(2).map(String::as_str).unwrap_or("both");
    if which != "postgres" {
        run(Backend::Sqlite, n).await?;
    }
    if which != "sqlite" {
        run(Backend::Postgres, n).await?;
    }
    Ok(())
}
