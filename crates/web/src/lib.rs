//! The HTTP face of the registry: public product information pages, search,
//! open data, the JSON API with its OpenAPI description, and the label images.
//!
//! It holds no state of its own beyond caches (the home page's counts, and
//! rendered product pages that are dropped on any write, see [`cache`]):
//! every answer comes from `jcstar-registry`, which also decides who may do
//! what. It does not open databases or handle signals (the CLI does).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use jcstar_registry::{LabelStatus, Level, Registry};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::routes;

pub mod api;
pub mod atom;
pub mod cache;
pub mod client;
pub mod conn;
pub mod csaf;
pub mod error;
pub mod front;
pub mod i18n;
mod input_rules;
pub mod label;
pub mod limit;
pub mod opendata;
pub mod pages;
pub mod query;
pub mod report;
pub mod verify;

pub use axum::http::HeaderName;
pub use conn::{ServeOptions, serve_with};
pub use error::{ApiError, ErrorBody};
pub use front::App;
pub use limit::{Budget, RateLimits};

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Public base URL (scheme, host, optional path prefix, no trailing
    /// slash); the label's QR code holds `{base_url}/labels/{number}`.
    pub base_url: String,
    /// Largest request body accepted (413 beyond).
    pub body_limit: usize,
    /// Longest time a request may take (408 beyond).
    pub request_timeout: Duration,
    /// What anonymous requests may cost (see [`limit`]).
    pub rate_limits: RateLimits,
    /// Behind a reverse proxy: the header in which it passes the client's
    /// address (e.g. `x-forwarded-for`; its last entry is used). Without
    /// it, the connection's peer address is the client.
    pub client_ip_header: Option<header::HeaderName>,
    /// The operator's signing keys: their public set is published at
    /// `/.well-known/jcstar-keys.json` and they sign what the server hands
    /// out as proof.
    pub signer: Option<Arc<jcstar_registry::signing::KeyDir>>,
    /// Where the signed daily snapshots live (served under `/open-data/`).
    pub open_data: Option<std::path::PathBuf>,
    /// The vulnerability store the operator's watch runs against
    /// (`POST /api/v1/watch`); without it that call answers 409.
    pub vulndb: Option<VulnStore>,
}

/// The vulnerability store of the watch, shared by every request.
#[derive(Clone)]
pub struct VulnStore(pub Arc<jcstar_vulndb::VulnDb>);

impl std::fmt::Debug for VulnStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VulnStore({:?})", self.0.backend())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: "http://127.0.0.1:8080".into(),
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            rate_limits: RateLimits::default(),
            client_ip_header: None,
            signer: None,
            open_data: None,
            vulndb: None,
        }
    }
}

impl Shared {}

/// Label counts shown on the home page.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Labels in the registry, whatever their status.
    pub total: u64,
    /// Labels per status as of today.
    pub by_status: HashMap<LabelStatus, u64>,
    /// Labels per ★ level.
    pub by_level: HashMap<Level, u64>,
}

struct CountsCache {
    at: Instant,
    today: NaiveDate,
    counts: Counts,
}

/// Counts older than this are recounted, so writes made elsewhere (the CLI,
/// another web node) show up.
const COUNTS_MAX_AGE: Duration = Duration::from_secs(60);

/// What every handler sees. Axum clones the state for every request (and
/// every middleware layer clones it again), so it is one shared allocation:
/// a clone is one reference count, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The server's shared parts (see [`AppState`]).
pub struct Shared {
    /// The registry every answer comes from.
    pub registry: Registry,
    base_url: Arc<str>,
    counts: Arc<tokio::sync::Mutex<Option<CountsCache>>>,
    /// Rendered product pages (see [`cache`]).
    pub pages: Arc<cache::PageCache>,
    /// The anonymous rate limits (see [`limit`]).
    pub limiter: Arc<limit::Limiter>,
    /// One chain status computation at a time; the others wait for it and
    /// share its answer.
    pub chain: Arc<tokio::sync::Mutex<()>>,
    /// The OpenAPI document, rendered once.
    openapi_json: Arc<str>,
    /// The operator's signing keys, when the server signs what it hands out.
    pub signer: Option<Arc<jcstar_registry::signing::KeyDir>>,
    /// Where the signed daily snapshots live, when configured.
    pub open_data: Option<Arc<std::path::Path>>,
    /// The vulnerability store of the watch, when configured.
    pub vulndb: Option<VulnStore>,
    /// The verification page's recent reports (see [`verify`]).
    pub reports: Arc<verify::Reports>,
    /// Requests the front door answered (see [`front`]).
    pub front_answers: std::sync::atomic::AtomicU64,
}

impl AppState {
    /// State with the default rate limits and no proxy header.
    pub fn new(registry: Registry, base_url: &str) -> Self {
        AppState::with_limits(registry, base_url, &RateLimits::default(), None)
    }

    /// State with the given rate limits and, behind a proxy, the client address header.
    pub fn with_limits(
        registry: Registry,
        base_url: &str,
        limits: &RateLimits,
        client_ip_header: Option<header::HeaderName>,
    ) -> Self {
        AppState(Arc::new(Shared::new(
            registry,
            base_url,
            limits,
            client_ip_header,
        )))
    }
}

impl Shared {
    fn new(
        registry: Registry,
        base_url: &str,
        limits: &RateLimits,
        client_ip_header: Option<header::HeaderName>,
    ) -> Self {
        Shared {
            registry,
            base_url: Arc::from(base_url.trim_end_matches('/')),
            counts: Arc::new(tokio::sync::Mutex::new(None)),
            pages: Arc::new(cache::PageCache::new(cache::DEFAULT_ENTRIES)),
            limiter: Arc::new(limit::Limiter::new(limits, client_ip_header)),
            chain: Arc::new(tokio::sync::Mutex::new(())),
            openapi_json: Arc::from(""),
            signer: None,
            open_data: None,
            vulndb: None,
            reports: Arc::new(verify::Reports::default()),
            front_answers: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The public base URL (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The public URL of a label's product page.
    pub fn page_url(&self, number: &str) -> String {
        format!("{}/labels/{number}", self.base_url)
    }

    /// Drop the cached counts (after a write through this server).
    pub fn invalidate_counts(&self) {
        if let Ok(mut guard) = self.counts.try_lock() {
            *guard = None;
        }
    }

    /// Label counts by status (as of today) and level.
    pub async fn counts(&self) -> jcstar_registry::Result<Counts> {
        let mut guard = self.counts.lock().await;
        let today = self.registry.today();
        if let Some(c) = guard.as_ref()
            && c.today == today
            && c.at.elapsed() < COUNTS_MAX_AGE
        {
            return Ok(c.counts.clone());
        }
        let mut counts = Counts::default();
        for (level, status, n) in self.registry.label_counts().await? {
            counts.total += n;
            *counts.by_status.entry(status).or_default() += n;
            *counts.by_level.entry(level).or_default() += n;
        }
        *guard = Some(CountsCache {
            at: Instant::now(),
            today,
            counts: counts.clone(),
        });
        Ok(counts)
    }
}

/// Every route of the server with its OpenAPI description: the document
/// served at `/api/openapi.json` is generated from the same declarations
/// that route requests, so it lists exactly what the server answers.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let all = api::routes()
        .routes(routes!(pages::home))
        .routes(routes!(pages::search))
        .routes(routes!(pages::label_page))
        .routes(routes!(pages::label_image_svg))
        .routes(routes!(pages::label_image_png))
        .routes(routes!(openapi_document))
        .routes(routes!(stylesheet))
        .routes(routes!(healthz))
        .routes(routes!(opendata::keys))
        .routes(routes!(opendata::page))
        .routes(routes!(opendata::file))
        .routes(routes!(atom::feed))
        .routes(routes!(csaf::provider_metadata))
        .routes(routes!(csaf::rolie_feed))
        .routes(routes!(verify::api_verify))
        .routes(routes!(verify::api_verify_label))
        .routes(routes!(verify::verify_page, verify::verify_submit))
        .routes(routes!(verify::report_file))
        .routes(routes!(verify::verify_label_page))
        .routes(routes!(report::report_submit))
        .routes(routes!(report::api_report, report::api_list))
        .routes(routes!(report::api_close));
    let (router, mut doc) = all.split_for_parts();
    input_rules::apply(&mut doc);
    (router, doc)
}

/// The whole application: pages, label images, API, OpenAPI description,
/// behind the front door that answers current product pages (see
/// [`front`]).
pub fn router(registry: Registry, config: &Config) -> App {
    let mut shared = Shared::new(
        registry,
        &config.base_url,
        &config.rate_limits,
        config.client_ip_header.clone(),
    );
    shared.signer = config.signer.clone();
    shared.open_data = config.open_data.as_deref().map(Arc::from);
    shared.vulndb = config.vulndb.clone();
    let body_limit = config.body_limit;
    let (routes, openapi) = routes();
    shared.openapi_json = Arc::from(
        openapi
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")),
    );
    let state = AppState(Arc::new(shared));
    let app = routes
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), limit::limit))
        .with_state(state.clone())
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            refuse_oversized(body_limit, req, next)
        }))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; the failure was logged",
                )
                .into_response()
            },
        ));
    App::new(
        with_security_headers(app).layer(TraceLayer::new_for_http()),
        state,
    )
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "site",
    responses((status = 200, description = "The OpenAPI document of this server", body = Object)))]
async fn openapi_document(State(st): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        st.openapi_json.to_string(),
    )
        .into_response()
}

/// Liveness: answers `ok` while the server runs.
#[utoipa::path(get, path = "/healthz", tag = "site",
    responses((status = 200, description = "`ok`", content_type = "text/plain", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// The policy every answer carries. Pages load only this server's
/// stylesheet and images; nothing runs scripts or frames the pages.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The headers every answer carries (the front door sets the same).
pub const SECURITY_HEADERS: [(header::HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

fn with_security_headers(mut app: Router) -> Router {
    for (name, value) in SECURITY_HEADERS {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    app
}

static STYLESHEET: &str = include_str!("../static/site.css");

/// The pages' stylesheet.
#[utoipa::path(get, path = "/static/site.css", tag = "site",
    responses((status = 200, description = "The stylesheet", content_type = "text/css", body = String)))]
async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// A body announced larger than the limit is refused before any of it is
/// read (the body limit alone would wait for the bytes to arrive).
async fn refuse_oversized(limit: usize, req: Request, next: Next) -> Response {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u128>().ok());
    if let Some(n) = announced
        && n > limit as u128
    {
        return ApiError::field(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body of {n} bytes exceeds the limit of {limit} bytes"),
            "Content-Length",
            format!("at most {limit} bytes"),
        )
        .into_response();
    }
    next.run(req).await
}

async fn fallback(uri: Uri, headers: axum::http::HeaderMap) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no API endpoint at {}; see /api/openapi.json", uri.path()),
        )
        .into_response()
    } else {
        pages::not_found_page(uri, headers).await
    }
}

/// Serve `app` on `listener` with the default connection limits (see
/// [`ServeOptions`]) until `shutdown` completes, then finish the requests in
/// flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: impl Into<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, ServeOptions::default(), shutdown).await
}
