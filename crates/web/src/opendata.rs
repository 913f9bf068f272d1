//! The registry's published keys and its signed daily snapshots.
//!
//! `/.well-known/jcstar-keys.json` is the key set a buyer needs to check a
//! signature offline; `/open-data` lists the daily snapshots (written by the
//! registry's [`jcstar_registry::snapshot`]) and `/open-data/{file}` serves
//! them. Only file names the snapshot module produces are ever opened, so
//! no request can reach another file of the directory.

use std::collections::HashMap;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jcstar_criteria::Lang;
use jcstar_registry::signing;
use jcstar_registry::snapshot;

use crate::AppState;
use crate::error::ApiError;
use crate::pages::{Chrome, chrome, html, lang_of};
use crate::query::LangOnly;

/// The registry's public signing keys, retired ones included.
#[utoipa::path(get, path = "/.well-known/jcstar-keys.json", tag = "site",
    responses((status = 200, description = "The registry's signing keys as a JWK Set (RFC 7517): the active Ed25519 key and every retired one, so old signatures still verify. See docs/signatures.md.", content_type = "application/jwk-set+json", body = Object),
        (status = 404, description = "This server signs nothing (started without --keys)", body = crate::error::ErrorBody)))]
pub async fn keys(State(st): State<AppState>) -> Response {
    match &st.signer {
        Some(keys) => (
            [
                (header::CONTENT_TYPE, "application/jwk-set+json"),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            keys.key_set().to_json(),
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "this registry publishes no signing keys",
        )
        .into_response(),
    }
}

struct Day {
    date: String,
    files: Vec<FileLink>,
}

struct FileLink {
    name: String,
    kind: &'static str,
}

#[derive(Template)]
#[template(path = "open_data.html")]
struct OpenDataTpl {
    c: Chrome,
    en: bool,
    signed: bool,
    days: Vec<Day>,
}

/// How many days the page lists; older files stay downloadable by name.
const DAYS_LISTED: usize = 60;

/// The open-data page: live exports and the signed daily snapshots.
#[utoipa::path(get, path = "/open-data", tag = "pages",
    params(LangOnly),
    responses((status = 200, description = "The open-data page", content_type = "text/html", body = String)))]
pub async fn page(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(&params, &headers);
    let en = lang == Lang::En;
    let days = match &st.open_data {
        Some(dir) => {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || snapshot::list(&dir))
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default()
        }
        None => Vec::new(),
    };
    let days = days
        .into_iter()
        .take(DAYS_LISTED)
        .map(|(date, names)| Day {
            date: date.format("%Y-%m-%d").to_string(),
            files: names
                .into_iter()
                .map(|name| FileLink {
                    kind: kind_text(&name, en),
                    name,
                })
                .collect(),
        })
        .collect();
    let title = if en {
        "Open data"
    } else {
        "オープンデータ"
    };
    let tpl = OpenDataTpl {
        c: chrome(lang, title, &uri, &params),
        en,
        signed: st.signer.is_some() && st.open_data.is_some(),
        days,
    };
    html(StatusCode::OK, tpl.render())
}

fn kind_text(name: &str, en: bool) -> &'static str {
    let data = name.trim_end_matches(".jws");
    let signature = data.len() != name.len();
    let kind = match data.rsplit('.').next() {
        Some("csv") if en => "CSV (for Excel, with BOM)",
        Some("csv") => "CSV (Excel 用, BOM 付き)",
        Some("xlsx") if en => "Excel workbook",
        Some("xlsx") => "Excel ブック",
        _ => "JSON",
    };
    match (signature, en) {
        (false, _) => kind,
        (true, true) => match kind {
            "JSON" => "signature of the JSON",
            "Excel workbook" => "signature of the workbook",
            _ => "signature of the CSV",
        },
        (true, false) => match kind {
            "JSON" => "JSON の署名",
            "Excel ブック" => "Excel ブックの署名",
            _ => "CSV の署名",
        },
    }
}

/// One file of a daily snapshot.
#[utoipa::path(get, path = "/open-data/{file}", tag = "public",
    params(("file" = String, Path, pattern = r"^labels-[0-9]{4}-[0-9]{2}-[0-9]{2}\.(json|csv|xlsx)(\.jws)?$",
        description = "e.g. labels-2026-12-07.csv and its signature labels-2026-12-07.csv.jws")),
    responses((status = 200, description = "The file, unchanged since it was signed", body = String),
        (status = 404, description = "No such snapshot file", body = crate::error::ErrorBody)))]
pub async fn file(State(st): State<AppState>, Path(name): Path<String>) -> Response {
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no such snapshot file; see /open-data for the list",
        )
        .into_response()
    };
    let Some(dir) = &st.open_data else {
        return not_found();
    };
    if !snapshot::is_snapshot_file_name(&name) {
        return not_found();
    }
    let Ok(f) = tokio::fs::File::open(dir.join(&name)).await else {
        return not_found();
    };
    let len = f.metadata().await.map(|m| m.len()).ok();
    let content_type = if name.ends_with(".jws") {
        "application/jose"
    } else if name.ends_with(".csv") {
        "text/csv; charset=utf-8"
    } else if name.ends_with(".xlsx") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "application/json"
    };
    let mut resp = Body::from_stream(tokio_util::io::ReaderStream::new(f)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // A day's files never change once written.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(len) = len {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    resp
}

/// Keep today's snapshot written: at start, then every few minutes (cheap
/// when the day's files exist). Runs until the server stops.
pub async fn keep_daily_snapshots(
    registry: jcstar_registry::Registry,
    keys: std::sync::Arc<signing::KeyDir>,
    dir: std::path::PathBuf,
    base_url: String,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
    loop {
        tick.tick().await;
        match snapshot::write_daily(&registry, &keys, &dir, Some(&base_url)).await {
            Ok(s) if s.created => tracing::info!(date = %s.date, "signed daily snapshot written"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "daily snapshot failed"),
        }
    }
}
