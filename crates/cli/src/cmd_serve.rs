//! `jcstar serve`: the registry's web face (pages, API, label images).

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use jcstar_criteria::Lang;
use jcstar_registry::Registry;

use crate::Ctx;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Registry database: `sqlite://PATH` (created if missing) or `postgres://…`.
    #[arg(long, env = "JCSTAR_DATABASE", default_value = jcstar_registry::DEFAULT_DATABASE_URL)]
    database: String,
    /// Public base URL put in the labels' QR codes (default: http://LISTEN).
    #[arg(long)]
    base_url: Option<String>,
    /// Fill an empty registry with sample products first.
    #[arg(long)]
    demo: bool,
    /// Fill an empty registry with this many generated labels first
    /// (benchmarks; the companies and products are fictional).
    #[arg(long, value_name = "N")]
    seed_bulk: Option<u64>,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// Connections served at once (more wait in the listen backlog).
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Connections one client address may hold at once.
    #[arg(long, default_value_t = 128)]
    max_connections_per_address: usize,
    /// Behind a reverse proxy: the header carrying the client's address
    /// (e.g. x-forwarded-for), used for the per-address limits.
    #[arg(long, value_name = "HEADER")]
    client_ip_header: Option<String>,
    /// Anonymous requests for pages, label images and the like, per client
    /// address: RATE per second with bursts of BURST (default 50/200; 0 turns
    /// the limit off).
    #[arg(long, value_name = "RATE/BURST", value_parser = parse_budget)]
    rate_cheap: Option<jcstar_web::Budget>,
    /// Anonymous searches, exports, feed and chain reads per client address
    /// (default 2/20; 0 turns the limit off).
    #[arg(long, value_name = "RATE/BURST", value_parser = parse_budget)]
    rate_expensive: Option<jcstar_web::Budget>,
    /// Anonymous counterfeit reports per client address: RATE per MINUTE
    /// with bursts of BURST (default 3/3; 0 turns the limit off).
    #[arg(long, value_name = "RATE/BURST", value_parser = parse_budget)]
    rate_reports: Option<jcstar_web::Budget>,
    /// Anonymous searches, exports, feed and chain reads running at once,
    /// all clients together (default: the number of CPUs, at least 2; 0: no
    /// bound).
    #[arg(long, value_name = "N")]
    expensive_lanes: Option<usize>,
    /// The operator's signing key directory (`jcstar registry keys create`):
    /// publishes its public keys at /.well-known/jcstar-keys.json and signs
    /// what the server hands out as proof.
    #[arg(long, value_name = "DIR", env = "JCSTAR_KEYS")]
    keys: Option<std::path::PathBuf>,
    /// Write a signed snapshot of all labels into DIR each day (Japan time)
    /// and serve the snapshots under /open-data. Needs --keys.
    #[arg(long, value_name = "DIR", requires = "keys")]
    open_data: Option<std::path::PathBuf>,
    /// The vulnerability store (`jcstar vulndb import`) the operator's
    /// watch (`POST /api/v1/watch`) runs against.
    #[arg(long, value_name = "URL")]
    vulndb: Option<String>,
    /// Run the watch whenever the --vulndb store has a new import (checked
    /// every minute).
    #[arg(long, requires = "vulndb")]
    watch_after_import: bool,
    /// Print the listening address as one JSON line instead of a message.
    #[arg(long)]
    json: bool,
    /// Send every request through the full middleware stack, also cached
    /// product pages (to measure what the front door saves; see
    /// docs/benchmarks.md).
    #[arg(long, hide = true)]
    no_front_door: bool,
}

/// `ja` or `en`, whichever `lang` is.
fn tr(lang: Lang, ja: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context(tr(
            ctx.lang,
            "非同期ランタイムを起動できませんでした",
            "starting the async runtime",
        ))?;
    rt.block_on(serve(ctx, args))
}

async fn serve(ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    init_logging();
    let lang = ctx.lang;
    let registry = Registry::open(&args.database)
        .await
        .with_context(|| match lang {
            Lang::Ja => format!("登録簿のデータベース {} を開けませんでした", args.database),
            Lang::En => format!("opening the registry database {}", args.database),
        })?;
    let mut seeded = Vec::new();
    if args.demo {
        match jcstar_registry::seed_demo_if_empty(&registry)
            .await
            .context(tr(
                lang,
                "デモデータを登録簿に入れられませんでした",
                "filling the registry with demo data",
            ))? {
            Some(numbers) => seeded = numbers,
            None if !args.json => eprintln!(
                "{}",
                match ctx.lang {
                    Lang::Ja => "jcstar: レジストリが空ではないため、デモデータは追加しません",
                    Lang::En => "jcstar: the registry is not empty; demo data not added",
                }
            ),
            None => {}
        }
    }
    if let Some(n) = args.seed_bulk {
        let added = jcstar_registry::seed_bulk_if_empty(&registry, n)
            .await
            .context(tr(
                lang,
                "生成したラベルを登録簿に入れられませんでした",
                "filling the registry with generated labels",
            ))?;
        if added.is_none() && !args.json {
            eprintln!(
                "{}",
                tr(
                    lang,
                    "jcstar: レジストリが空ではないため、--seed-bulk は行いません",
                    "jcstar: the registry is not empty; --seed-bulk skipped",
                )
            );
        }
    }
    // The search index is built in the background: pages answer at once,
    // and the first searches wait for the index rather than the start-up.
    {
        let registry = registry.clone();
        let msg = match ctx.lang {
            Lang::Ja => "jcstar: 検索索引を作れませんでした（検索時に再試行します）",
            Lang::En => "jcstar: building the search index failed (searches will retry)",
        };
        tokio::spawn(async move {
            if let Err(e) = registry.warm_search().await {
                eprintln!("{msg}: {e}");
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| match lang {
            Lang::Ja => format!("{} で待ち受けられませんでした", args.listen),
            Lang::En => format!("listening on {}", args.listen),
        })?;
    let addr = listener.local_addr()?;
    let base_url = args
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_string();
    let client_ip_header = args
        .client_ip_header
        .as_deref()
        .map(|h| {
            jcstar_web::HeaderName::from_bytes(h.trim().to_ascii_lowercase().as_bytes())
                .with_context(|| match lang {
                    Lang::Ja => format!("--client-ip-header {h:?} はヘッダー名ではありません"),
                    Lang::En => format!("--client-ip-header {h:?} is not a header name"),
                })
        })
        .transpose()?;
    let mut rate_limits = jcstar_web::RateLimits::default();
    if let Some(b) = args.rate_cheap {
        rate_limits.cheap = b;
    }
    if let Some(b) = args.rate_expensive {
        rate_limits.expensive = b;
    }
    if let Some(b) = args.rate_reports {
        rate_limits.reports = b;
    }
    if let Some(n) = args.expensive_lanes {
        rate_limits.expensive_concurrency = n;
    }
    let signer = match &args.keys {
        Some(dir) => Some(std::sync::Arc::new(
            jcstar_registry::signing::KeyDir::open(dir)
                .map_err(|e| anyhow::anyhow!("--keys: {}", e.message(ctx.lang)))?,
        )),
        None => None,
    };
    if let (Some(keys), Some(dir)) = (&signer, &args.open_data) {
        tokio::spawn(jcstar_web::opendata::keep_daily_snapshots(
            registry.clone(),
            keys.clone(),
            dir.clone(),
            base_url.clone(),
        ));
    }
    let vulndb = match &args.vulndb {
        Some(url) => Some(jcstar_web::VulnStore(std::sync::Arc::new(
            jcstar_vulndb::VulnDb::open(url)
                .await
                .map_err(|e| anyhow::anyhow!("--vulndb {url}: {e}"))?,
        ))),
        None => None,
    };
    if let (true, Some(store)) = (args.watch_after_import, &vulndb) {
        tokio::spawn(jcstar_web::csaf::keep_watching(
            registry.clone(),
            store.clone(),
            std::time::Duration::from_secs(60),
        ));
    }
    let config = jcstar_web::Config {
        base_url: base_url.clone(),
        body_limit: args.body_limit,
        client_ip_header,
        rate_limits,
        signer,
        open_data: args.open_data.clone(),
        vulndb,
        ..Default::default()
    };
    let serve_options = jcstar_web::ServeOptions {
        max_connections: args.max_connections,
        max_connections_per_address: args.max_connections_per_address,
        ..Default::default()
    };
    let mut app = jcstar_web::router(registry.clone(), &config);
    if args.no_front_door {
        app = app.without_front();
    }
    {
        let mut out = std::io::stdout().lock();
        if args.json {
            let line = serde_json::json!({
                "listen": addr.to_string(),
                "url": format!("http://{addr}/"),
                "base_url": base_url,
                "database": args.database,
                "demo_labels": seeded,
            });
            writeln!(out, "{line}")?;
        } else {
            match ctx.lang {
                Lang::Ja => writeln!(
                    out,
                    "jcstar: ラベル登録簿を http://{addr}/ で公開しています（データベース: {}）",
                    args.database
                )?,
                Lang::En => writeln!(
                    out,
                    "jcstar: serving the label registry at http://{addr}/ (database: {})",
                    args.database
                )?,
            }
            if !seeded.is_empty() {
                writeln!(
                    out,
                    "jcstar: {}: {}",
                    tr(lang, "デモ用のラベル", "demo labels"),
                    seeded.join(", ")
                )?;
            }
        }
        out.flush()?;
    }
    jcstar_web::serve_with(listener, app, serve_options, shutdown_signal())
        .await
        .context(tr(lang, "HTTP の配信が止まりました", "serving HTTP"))?;
    registry.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `RATE/BURST` (or `RATE`, burst = rate; `0`: off).
fn parse_budget(s: &str) -> Result<jcstar_web::Budget, String> {
    let (rate, burst) = match s.split_once('/') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let num = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| match crate::help_ja::lang() {
                Lang::Ja => format!("{s:?}: RATE/BURST の形の整数で指定してください（例: 50/200）"),
                Lang::En => format!("{s:?}: expected RATE/BURST with whole numbers, e.g. 50/200"),
            })
    };
    let per_second = num(rate)?;
    let burst = match burst {
        Some(b) => num(b)?,
        None => per_second,
    };
    Ok(jcstar_web::Budget { per_second, burst })
}

/// Ctrl-C or SIGTERM: stop accepting, finish requests in flight.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Request logs on stderr when `RUST_LOG` asks for them.
fn init_logging() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
}
