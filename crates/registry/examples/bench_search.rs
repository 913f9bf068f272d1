//! Search and page-data latency with many labels, on SQLite and PostgreSQL.
//!
//! cargo run --release -p jcstar-registry --example bench_search -- [LABELS] [sqlite|postgres|both]
//!
//! Seeds LABELS (default 100000) labels through `seed_bulk` into a fresh
//! database, then times a mix of searches and product-page reads and prints
//! p50/p99 per query kind. PostgreSQL uses a fresh schema on the test server
//! (JCSTAR_TEST_POSTGRES) and drops it afterwards.

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
    let queries: Vec<(&str, SearchQuery)> = vec![
        ("first page", SearchQuery::default()),
        (
            "company",
            SearchQuery {
                company: Some("ginga networks 4".into()),
                ..Default::default()
            },
        ),
        (
            "product",
            SearchQuery {
                product: Some("thermostat 99".into()),
                ..Default::default()
            },
        ),
        (
            "model (rare)",
            SearchQuery {
                model: Some(format!("M{:07}", n - 3)),
                ..Default::default()
            },
        ),
        (
            "text (none)",
            SearchQuery {
                text: Some("no such product".into()),
                ..Default::default()
            },
        ),
        (
            "level+status",
            SearchQuery {
                level: Some(Level::Star2),
                status: Some(LabelStatus::Active),
                ..Default::default()
            },
        ),
        (
            "number",
            SearchQuery {
                number: numbers.first().cloned(),
                ..Default::default()
            },
        ),
        (
            "deep page",
            SearchQuery {
                offset: n.saturating_sub(40),
                ..Default::default()
            },
        ),
    ];
    for (name, q) in &queries {
        let mut times = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let page = reg.search(q).await?;
            times.push(t.elapsed());
            std::hint::black_box(page);
        }
        println!(
            "{backend:?}: search {name:<14} p50 {:>7.2} ms  p99 {:>7.2} ms",
            pct(times.clone(), 0.5),
            pct(times, 0.99)
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
