//! The registry as a CSAF provider (and, with [`keep_watching`], the watch
//! run by the server after each import into its vulnerability store): `/.well-known/csaf/provider-metadata.json`
//! (CSAF 2.0, section 7.1.7) naming one ROLIE feed, `/csaf/feed.json`, whose
//! entries point at each advisory's stable address
//! (`/api/v1/labels/{number}/documents/{sha256}`).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::ApiResult;
use crate::error::ApiError;
use crate::query::{ApiQuery, LangOnly};

const CSAF_SCHEMA: &str = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json";

fn registry_error(e: jcstar_registry::Error) -> ApiError {
    ApiError::from_registry(e, &jcstar_registry::Actor::public())
}

/// The provider metadata: who publishes, where the ROLIE feed is.
#[utoipa::path(get, path = "/.well-known/csaf/provider-metadata.json", tag = "public",
    params(LangOnly),
    responses((status = 200, description = "CSAF 2.0 provider metadata", content_type = "application/json", body = Object),
        (status = 400, description = "An unknown or repeated parameter", body = crate::error::ErrorBody)))]
pub async fn provider_metadata(
    State(st): State<AppState>,
    ApiQuery(_q): ApiQuery<LangOnly>,
) -> ApiResult<Response> {
    let base = st.base_url();
    let updated = st
        .registry
        .advisories()
        .await
        .map_err(registry_error)?
        .first()
        .map(|a| a.at)
        .unwrap_or_else(|| st.registry.now());
    Ok(Json(json!({
        "canonical_url": format!("{base}/.well-known/csaf/provider-metadata.json"),
        "distributions": [{
            "rolie": {"feeds": [{
                "summary": "CSAF advisories published for JC-STAR labeled products",
                "tlp_label": "WHITE",
                "url": format!("{base}/csaf/feed.json"),
            }]}
        }],
        "last_updated": updated.to_rfc3339(),
        "list_on_CSAF_aggregators": true,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": true,
        "publisher": {
            "category": "coordinator",
            "name": "JC-STAR label registry",
            "namespace": base,
        },
        "role": "csaf_provider",
    }))
    .into_response())
}

/// The ROLIE feed of every advisory, newest first.
#[utoipa::path(get, path = "/csaf/feed.json", tag = "public",
    params(LangOnly),
    responses((status = 200, description = "ROLIE feed (JSON) of the CSAF advisories", content_type = "application/json", body = Object),
        (status = 400, description = "An unknown or repeated parameter", body = crate::error::ErrorBody)))]
pub async fn rolie_feed(
    State(st): State<AppState>,
    ApiQuery(_q): ApiQuery<LangOnly>,
) -> ApiResult<Response> {
    let base = st.base_url();
    let list = st.registry.advisories().await.map_err(registry_error)?;
    let entries: Vec<Value> = list
        .iter()
        .map(|p| {
            let a = &p.advisory;
            let url = format!("{base}/api/v1/labels/{}/documents/{}", p.number, a.sha256);
            json!({
                "id": a.tracking_id,
                "title": a.title,
                "link": [{"rel": "self", "href": url}],
                "published": p.at.to_rfc3339(),
                "updated": p.at.to_rfc3339(),
                "summary": {"content": format!("{} ({})", a.title, p.number)},
                "content": {"type": "application/json", "src": url},
                "format": {"schema": CSAF_SCHEMA, "version": "2.0"},
            })
        })
        .collect();
    let updated = list
        .first()
        .map(|a| a.at)
        .unwrap_or_else(|| st.registry.now());
    Ok(Json(json!({
        "feed": {
            "id": format!("{base}/csaf/feed.json"),
            "title": "JC-STAR label registry CSAF advisories",
            "link": [{"rel": "self", "href": format!("{base}/csaf/feed.json")}],
            "category": [{
                "scheme": "urn:ietf:params:rolie:category:information-type",
                "term": "csaf",
            }],
            "updated": updated.to_rfc3339(),
            "entry": entries,
        }
    }))
    .into_response())
}

/// Run the watch whenever the vulnerability store has seen a new import
/// (checked every `every`), as the server's own operator process: each run
/// and each new finding are events like those of `jcstar registry watch`.
pub async fn keep_watching(
    registry: jcstar_registry::Registry,
    store: crate::VulnStore,
    every: std::time::Duration,
) {
    let actor = jcstar_registry::Actor::local(
        jcstar_registry::Role::Operator,
        "",
        "jcstar serve (watch after import)",
    );
    let mut seen: Option<(i64, Option<String>)> = None;
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let stats = match store.0.stats().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "vulnerability store unreadable");
                continue;
            }
        };
        let now = (stats.imports, stats.last_import);
        if seen.as_ref() == Some(&now) {
            continue;
        }
        match registry.watch(&actor, &store.0).await {
            Ok(r) => {
                tracing::info!(
                    labels = r.run.labels,
                    findings = r.run.findings,
                    new = r.run.new_findings,
                    "watch run after an import"
                );
                seen = Some(now);
            }
            Err(e) => tracing::error!(error = %e, "watch failed"),
        }
    }
}
