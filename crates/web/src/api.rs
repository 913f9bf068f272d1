//! The JSON API under `/api/v1`, described by `/api/openapi.json`.
//!
//! Writes need `Authorization: Bearer <token>` (tokens are created with
//! `jcstar registry token create`); the registry authorises every write by
//! role and organisation. Without a token a write is 401, with a token that
//! may not do it 403.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use jcstar_registry::{
    Action, Actor, Application, ApplicationStatus, ApplicationSubmission, ChainReport, CsafUpload,
    EvaluationReport, Fee, FeedFilter, FeedPage, FeedScope, InquiryOutcome, Label, LabelChange,
    Level, ProductPage, Resource, SbomUpload, SearchPage, SurveillanceOrder, UpdateEntry, Verdict,
    VexUpload, VulnerabilityEntry, authorize,
};
use serde::Deserialize;
use tokio_stream::wrappers::ReceiverStream;
use utoipa::IntoParams;
use utoipa::ToSchema;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::cache::Format;
use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::query::{self, ApiQuery, LangOnly, QueryParams, SearchParams, Switch, Text};

/// Who sent a request. The rate limiter (see [`crate::limit`]) finds out
/// once per request and leaves the answer in the request's extensions, so
/// the token is checked against the database once, not again by the handler.
#[derive(Debug, Clone)]
pub enum Identity {
    /// No `Authorization` header: the public.
    Anonymous,
    /// A valid token.
    Token(Actor),
    /// An `Authorization` header that does not authenticate; the answer a
    /// handler that reads the caller gives.
    Refused(ApiError),
}

impl Identity {
    /// Check the request's bearer token, if any.
    pub async fn of(st: &AppState, headers: &HeaderMap) -> Identity {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Identity::Anonymous;
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Identity::Refused(ApiError::field(
                StatusCode::UNAUTHORIZED,
                "the Authorization header is not a bearer token",
                "Authorization",
                "Bearer <token>",
            ));
        };
        match st.registry.authenticate(token).await {
            Ok(actor) => Identity::Token(actor),
            Err(e) => Identity::Refused(ApiError::from_registry(e, &Actor::public())),
        }
    }
}

/// The caller, from the bearer token (none: the public).
pub struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let identity = match parts.extensions.get::<Identity>() {
            Some(found) => found.clone(),
            // Only when the router runs without its rate limiter.
            None => Identity::of(st, &parts.headers).await,
        };
        match identity {
            Identity::Anonymous => Ok(Caller(Actor::public())),
            Identity::Token(actor) => Ok(Caller(actor)),
            Identity::Refused(e) => Err(e),
        }
    }
}

/// A caller with a token: routes that only staff use answer 401 to a
/// request without one before reading its path or body, so the answer never
/// depends on what exists.
pub struct Staff(pub Actor);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Err(ApiError::field(
                StatusCode::UNAUTHORIZED,
                "this needs an API token (public access is read-only)",
                "Authorization",
                "Bearer <token>",
            ));
        }
        Caller::from_request_parts(parts, st)
            .await
            .map(|Caller(a)| Staff(a))
    }
}

/// Result of an API handler: the answer or an [`ApiError`].
pub type ApiResult<T> = Result<T, ApiError>;

fn reg(actor: &Actor) -> impl FnOnce(jcstar_registry::Error) -> ApiError + '_ {
    move |e| ApiError::from_registry(e, actor)
}

// ---- request bodies ---------------------------------------------------------

/// The supply-chain inquiry was sent.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InquiryRequest {
    /// The inquiry's file or letter number.
    #[schema(min_length = 1, max_length = 2000)]
    pub reference: String,
}

/// The supply-chain inquiry's answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InquiryAnswer {
    /// What the answer found.
    pub outcome: InquiryOutcome,
    /// The answer's file or letter number.
    pub reference: String,
}

/// The operator's acceptance of an application.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// Needed when the inquiry raised a concern.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A reason (rejection, withdrawal, closing surveillance).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why (required).
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// The evaluation body assigned to a ★3/★4 application.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// Organisation of the evaluation body.
    pub org: String,
}

/// An evaluation body's report as attached. The file stays with the
/// evaluation body; its name and digest pin what was reviewed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// Name of the report file.
    pub file_name: String,
    /// SHA-256 of the report file, 64 hex digits (stored in lower case;
    /// blanks around them are ignored).
    #[schema(
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[0-9A-Fa-f]{64}[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub sha256: String,
    /// The evaluation body's summary of its findings.
    pub summary: String,
    /// Whether the product passed.
    pub verdict: Verdict,
    /// The level the evaluation covered.
    #[schema(value_type = u8, minimum = 3, maximum = 4)]
    pub level: Level,
}

impl From<ReportRequest> for EvaluationReport {
    fn from(r: ReportRequest) -> Self {
        EvaluationReport {
            file_name: r.file_name,
            sha256: r.sha256,
            summary: r.summary,
            verdict: r.verdict,
            level: Some(r.level),
        }
    }
}

/// Issuance of a label from a paid application.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// Shorter validity than the default two years.
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// Extension of a label's validity with a new self-declaration.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendRequest {
    /// New last day of validity; default two years from today, never later.
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
    /// The new self-declaration (reference or text).
    pub declaration: String,
}

/// Revocation of a label.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Why the label is revoked (shown in its public history).
    pub reason: String,
    /// Revoke before the correction deadline passed; says why.
    #[serde(default)]
    pub override_reason: Option<String>,
}

/// The end of security support of a label's products.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportEndRequest {
    /// Last day of security support; null clears it.
    pub support_end: Option<NaiveDate>,
}

/// The contact for vulnerability reports of a label's products.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    /// E-mail address, URL or other contact for vulnerability reports.
    #[schema(min_length = 1, max_length = 2000)]
    pub contact: String,
}

// ---- public reads -----------------------------------------------------------

/// One label with its dated history (the product page's data).
#[utoipa::path(get, path = "/api/v1/labels/{number}", tag = "public",
    params(("number" = String, Path, pattern = r"^[Jj][Cc][Ss][1-4]-[0-9]{4}-([0-9]{6}|[1-9][0-9]{6,17})-[0-9Xx]$",
        description = "Registration number, e.g. JCS1-2026-000123-K; a wrong check character is 404 (no label can have it)"),
        LangOnly),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, description = "Not a valid registration number, or an unknown or repeated parameter", body = ErrorBody),
        (status = 404, description = "No such label", body = ErrorBody)))]
pub async fn get_label(
    State(st): State<AppState>,
    Path(number): Path<String>,
    ApiQuery(_query): ApiQuery<LangOnly>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let stamp = st.pages.stamp(&st.registry).await;
    if let Some(hit) = st.pages.get(&number, Format::Json, stamp) {
        return Ok(hit.respond(&headers));
    }
    let page = st
        .registry
        .product_page(&number)
        .await
        .map_err(reg(&Actor::public()))?;
    let body = serde_json::to_vec(&page).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("serialising the label failed: {e}"),
        )
    })?;
    Ok(st
        .pages
        .put(&number, Format::Json, stamp, body)
        .respond(&headers))
}

/// Search labels; all given criteria must match. When there are more
/// results, the `Link` header names the next page.
#[utoipa::path(get, path = "/api/v1/labels", tag = "public",
    params(SearchParams),
    responses((status = 200, body = SearchPage),
        (status = 400, description = "An unknown or repeated parameter", body = ErrorBody),
        (status = 422, description = "A parameter's value is not accepted", body = ErrorBody)))]
pub async fn list_labels(
    State(st): State<AppState>,
    uri: Uri,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult<Response> {
    let query = params.to_query(50);
    let res = st
        .registry
        .search(&query)
        .await
        .map_err(reg(&Actor::public()))?;
    let mut resp = Json(&res).into_response();
    if res.next_offset.is_some() {
        let mut pairs: Vec<(String, String)> =
            form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        pairs.sort();
        pairs.push(("page".into(), (params.page() + 1).to_string()));
        if let Ok(q) = serde_urlencoded::to_string(&pairs)
            && let Ok(v) = HeaderValue::from_str(&format!("</api/v1/labels?{q}>; rel=\"next\""))
        {
            resp.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(resp)
}

/// The CSV export's parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CsvParams {
    /// `1`: start with a UTF-8 byte order mark, for Excel.
    #[serde(default, deserialize_with = "query::blank_none")]
    #[param(value_type = Option<String>, pattern = r"^(0|1|true|false)?$")]
    pub excel: Option<Switch>,
    /// `ja` (default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
}

impl QueryParams for CsvParams {
    fn accepts(param: &str) -> Option<Text> {
        match param {
            "excel" => Some(Text {
                ja: "1 または 0",
                en: "1 or 0",
            }),
            "lang" => Some(query::LANG),
            _ => None,
        }
    }
}

/// All labels as CSV (one row per label). Cells a spreadsheet would take
/// for a formula start with `'`; `excel=1` adds a UTF-8 byte order mark.
#[utoipa::path(get, path = "/api/v1/export/labels.csv", tag = "public",
    params(CsvParams),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, description = "An unknown or repeated parameter", body = ErrorBody),
        (status = 422, description = "A parameter's value is not accepted", body = ErrorBody)))]
pub async fn export_csv(
    State(st): State<AppState>,
    ApiQuery(params): ApiQuery<CsvParams>,
) -> ApiResult<Response> {
    let format = if params.excel.unwrap_or_default().0 {
        ExportFormat::ExcelCsv
    } else {
        ExportFormat::Csv
    };
    let body = export_stream(st, format).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"labels.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// All labels as one JSON array.
#[utoipa::path(get, path = "/api/v1/export/labels.json", tag = "public",
    params(LangOnly),
    responses((status = 200, body = Vec<Label>),
        (status = 400, description = "An unknown or repeated parameter", body = ErrorBody)))]
pub async fn export_json(
    State(st): State<AppState>,
    ApiQuery(_query): ApiQuery<LangOnly>,
) -> ApiResult<Response> {
    let body = export_stream(st, ExportFormat::Json).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"labels.json\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Clone, Copy, PartialEq)]
enum ExportFormat {
    Csv,
    ExcelCsv,
    Json,
}

/// Labels read per query while exporting.
const EXPORT_PAGE: u64 = 500;

/// The export as a streamed body: one page of labels is read, encoded and
/// handed to the connection at a time, and the bounded channel makes a slow
/// client slow the reading down, so memory stays flat however large the
/// registry. The first page is read before answering, so an unreachable
/// database is an error status rather than a cut-off 200. Each page is read
/// separately: a label changed during the export appears once, in the state
/// of the moment its page was read.
async fn export_stream(st: AppState, format: ExportFormat) -> ApiResult<Body> {
    let encode = move |labels: &[jcstar_registry::Label], first: bool| match format {
        ExportFormat::Csv | ExportFormat::ExcelCsv => jcstar_registry::labels_csv(labels, first),
        ExportFormat::Json => jcstar_registry::labels_json(labels, first),
    };
    let public = Actor::public();
    let first_page = st
        .registry
        .labels_after(None, EXPORT_PAGE)
        .await
        .map_err(reg(&public))?;
    let mut head = match format {
        ExportFormat::Csv => Vec::new(),
        ExportFormat::ExcelCsv => jcstar_registry::csv_cell::UTF8_BOM.to_vec(),
        ExportFormat::Json => jcstar_registry::JSON_EXPORT_OPEN.to_vec(),
    };
    head.extend(encode(&first_page, true).map_err(reg(&public))?);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let fail = |e: jcstar_registry::Error| {
            tracing::error!(error = %e, "export stopped");
            std::io::Error::other(e.to_string())
        };
        if tx.send(Ok(Bytes::from(head))).await.is_err() {
            return;
        }
        let mut after = first_page.last().map(|l| l.number.clone());
        while let Some(last) = after.take() {
            let page = match st.registry.labels_after(Some(&last), EXPORT_PAGE).await {
                Ok(p) => p,
                Err(e) => {
                    let _ = tx.send(Err(fail(e))).await;
                    return;
                }
            };
            if page.is_empty() {
                break;
            }
            let chunk = match encode(&page, false) {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.send(Err(fail(e))).await;
                    return;
                }
            };
            // The client went away: stop reading.
            if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                return;
            }
            after = page.last().map(|l| l.number.clone());
        }
        if format == ExportFormat::Json {
            let _ = tx
                .send(Ok(Bytes::from_static(jcstar_registry::JSON_EXPORT_CLOSE)))
                .await;
        }
    });
    Ok(Body::from_stream(ReceiverStream::new(rx)))
}

/// The feed's parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Return events with a larger sequence number (default 0).
    #[serde(default, deserialize_with = "query::strict")]
    #[param(minimum = 0)]
    pub since_seq: Option<i64>,
    /// RFC 3339 time; events at or after it. Unlike the other parameters,
    /// an empty value is refused: it is not a time.
    #[serde(default, deserialize_with = "rfc3339")]
    pub since: Option<DateTime<Utc>>,
    /// 1 to 1000, default 100.
    #[serde(default, deserialize_with = "query::strict")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// `labels` (default) or `all` (applications too; operator token).
    /// Unlike most parameters an empty value is refused: the feed's scope
    /// decides what a caller sees, so it is never guessed.
    #[serde(default)]
    #[param(inline)]
    pub scope: Option<FeedScope>,
    /// Only events of labels of this ★ level (1 to 4).
    #[serde(default, deserialize_with = "query::strict")]
    #[param(value_type = Option<u8>, minimum = 1, maximum = 4)]
    pub level: Option<Level>,
    /// Only events of labels with this status as of today.
    #[serde(default, deserialize_with = "query::strict")]
    pub status: Option<jcstar_registry::LabelStatus>,
    /// Only events of labels whose applicant company name contains this
    /// (compared as search compares: NFKC, case, spaces).
    #[serde(default, deserialize_with = "query::text")]
    #[param(max_length = 200, pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$")]
    pub company: Option<String>,
    /// Only events of labels with a product type containing this (e.g.
    /// "camera").
    #[serde(default, rename = "type", deserialize_with = "query::text")]
    #[param(
        rename = "type",
        max_length = 200,
        pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
    )]
    pub product_type: Option<String>,
    /// `ja` (default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
}

impl FeedParams {
    /// The label criteria.
    pub fn filter(&self) -> FeedFilter {
        FeedFilter {
            level: self.level,
            status: self.status,
            company: self.company.clone(),
            product_type: self.product_type.clone(),
        }
    }
}

/// What the feeds' label filters accept.
pub fn feed_filter_accepts(param: &str) -> Option<Text> {
    Some(match param {
        "level" => Text {
            ja: "1、2、3、4 のいずれか",
            en: "1, 2, 3 or 4",
        },
        "status" => Text {
            ja: "active、expired、withdrawn、revoked、under_surveillance のいずれか",
            en: "active, expired, withdrawn, revoked or under_surveillance",
        },
        "company" | "type" => query::TEXT_200,
        _ => return None,
    })
}

/// An entity tag for an answer about the event log: events never change,
/// and a label's status changes only by an event or by the date, so the
/// same request gets the same answer while the log's head and the date
/// stay the same.
pub fn log_etag(head_seq: i64, today: chrono::NaiveDate, query: Option<&str>) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    query.unwrap_or("").hash(&mut h);
    format!(
        "\"{}-{head_seq}-{today}-{:016x}\"",
        env!("CARGO_PKG_VERSION"),
        h.finish()
    )
}

/// What a caller of a log-derived answer needs.
pub enum Fresh {
    /// Answer, with this entity tag; the log's head it was made for.
    Changed {
        /// The entity tag to send.
        etag: String,
        /// Sequence number of the newest event the answer covers.
        head: i64,
    },
    /// The caller has the current answer: this 304.
    NotModified(Response),
}

/// The log's entity tag for this request, or the 304 for a caller that
/// already has the answer (one small query: the log's head).
pub async fn log_freshness(
    st: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> jcstar_registry::Result<Fresh> {
    let head = st.registry.head_seq().await?;
    let etag = log_etag(head, st.registry.today(), query);
    if !not_modified(headers, &etag) {
        return Ok(Fresh::Changed { etag, head });
    }
    let mut resp = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    Ok(Fresh::NotModified(resp))
}

/// True when `If-None-Match` names `etag` (or `*`).
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

fn rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(serde::de::Error::custom),
    }
}

impl QueryParams for FeedParams {
    fn accepts(param: &str) -> Option<Text> {
        Some(match param {
            "since_seq" => Text {
                ja: "0以上の整数",
                en: "a whole number ≥ 0",
            },
            "since" => Text {
                ja: "RFC 3339 形式の日時（例: 2026-04-01T00:00:00Z）",
                en: "an RFC 3339 time such as 2026-04-01T00:00:00Z",
            },
            "limit" => Text {
                ja: "1〜1000の整数",
                en: "a whole number from 1 to 1000",
            },
            "scope" => Text {
                ja: "labels または all",
                en: "labels or all",
            },
            "level" | "status" | "company" | "type" => return feed_filter_accepts(param),
            "lang" => query::LANG,
            _ => return None,
        })
    }

    fn check(&self) -> Result<(), &'static str> {
        if self.since_seq.is_some_and(|n| n < 0) {
            return Err("since_seq");
        }
        if !query::text_ok(&self.company, 200) {
            return Err("company");
        }
        if !query::text_ok(&self.product_type, 200) {
            return Err("type");
        }
        if self.limit.is_some_and(|n| !(1..=1000).contains(&n)) {
            return Err("limit");
        }
        Ok(())
    }
}

/// Events after a sequence number and/or since a time, oldest first. Poll
/// with the `next_after_seq` of the previous page (also in the `Link`
/// header). `scope=all` (applications too) needs an operator token.
#[utoipa::path(get, path = "/api/v1/feed", tag = "public",
    params(FeedParams),
    responses((status = 200, body = FeedPage),
        (status = 304, description = "Unchanged since the answer whose ETag was sent in If-None-Match"),
        (status = 400, description = "An unknown or repeated parameter", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "A parameter's value is not accepted", body = ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn feed(
    State(st): State<AppState>,
    Caller(actor): Caller,
    uri: Uri,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> ApiResult<Response> {
    let since_seq = params.since_seq.unwrap_or(0);
    let since = params.since;
    let limit = params.limit.unwrap_or(100);
    let scope = params.scope.unwrap_or_default();
    if scope == FeedScope::All {
        authorize(&actor, Action::Administer, Resource::none())
            .map_err(|d| ApiError::from_registry(d.into(), &actor))?;
    }
    let etag = match log_freshness(&st, &headers, uri.query()).await {
        Ok(Fresh::Changed { etag, .. }) => etag,
        Ok(Fresh::NotModified(resp)) => return Ok(resp),
        Err(e) => return Err(reg(&actor)(e)),
    };
    let mut page = st
        .registry
        .events_filtered(scope, since_seq, since, limit, &params.filter())
        .await
        .map_err(reg(&actor))?;
    if scope == FeedScope::Labels {
        // The public feed names the acting role and organisation, never the
        // staff member or token behind it.
        for e in &mut page.events {
            e.actor = Actor {
                role: e.actor.role,
                org: std::mem::take(&mut e.actor.org),
                ..Actor::public()
            };
        }
    }
    let mut resp = Json(&page).into_response();
    // The page was read after the head: it is at least as new as the tag
    // (a write in between only makes the next request refetch).
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(next) = page.next_after_seq {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("since_seq", &next.to_string());
        q.append_pair("limit", &limit.to_string());
        if scope == FeedScope::All {
            q.append_pair("scope", "all");
        }
        if let Some(t) = since {
            q.append_pair("since", &t.to_rfc3339());
        }
        if let Some(l) = params.level {
            q.append_pair("level", &l.number().to_string());
        }
        if let Some(st) = params.status {
            q.append_pair("status", st.as_str());
        }
        if let Some(c) = &params.company {
            q.append_pair("company", c);
        }
        if let Ok(v) =
            HeaderValue::from_str(&format!("</api/v1/feed?{}>; rel=\"next\"", q.finish()))
        {
            resp.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(resp)
}

/// The event log's hash chain as far as it has been verified: the server
/// continues from its last checkpoint (bounded work per call), so `events`
/// may trail the newest event while a long log is caught up. A full
/// re-verification is the operator's `jcstar registry verify`.
#[utoipa::path(get, path = "/api/v1/chain", tag = "public",
    params(LangOnly),
    responses((status = 200, body = ChainReport),
        (status = 400, description = "An unknown or repeated parameter", body = ErrorBody)))]
pub async fn chain(
    State(st): State<AppState>,
    ApiQuery(_query): ApiQuery<LangOnly>,
) -> ApiResult<Response> {
    // One computation at a time; the callers queued behind it find the
    // checkpoint at the head and answer at once.
    let _one = st.chain.lock().await;
    let report = st
        .registry
        .chain_status()
        .await
        .map_err(reg(&Actor::public()))?;
    Ok(Json(report).into_response())
}

// ---- applications -----------------------------------------------------------

/// Submit an application with its checklist. The checklist is format-checked
/// at once: a failing one is refused (422) with every problem listed, and the
/// refusal is recorded.
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications",
    params(LangOnly),
    request_body = ApplicationSubmission,
    responses((status = 201, body = Application),
        (status = 400, description = "Not JSON, or an unknown or repeated query parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn submit_application(
    State(st): State<AppState>,
    Staff(actor): Staff,
    ApiQuery(_query): ApiQuery<LangOnly>,
    ApiJson(sub): ApiJson<ApplicationSubmission>,
) -> ApiResult<Response> {
    let app = st
        .registry
        .submit_application(&actor, sub)
        .await
        .map_err(reg(&actor))?;
    Ok((StatusCode::CREATED, Json(app)).into_response())
}

/// The application list's parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationListParams {
    /// Only applications in this state.
    #[serde(default, deserialize_with = "query::blank_none_name")]
    pub status: Option<ApplicationStatus>,
    /// Page, 1-based.
    #[serde(default, deserialize_with = "query::blank_none")]
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<u64>,
    /// 1 to 200, default 50.
    #[serde(default, deserialize_with = "query::blank_none")]
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
    /// `ja` (default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
}

impl QueryParams for ApplicationListParams {
    fn accepts(param: &str) -> Option<Text> {
        Some(match param {
            "status" => Text {
                ja: "format_refused、submitted、inquiry_requested、inquiry_answered、accepted、rejected、fee_paid、issued のいずれか",
                en: "format_refused, submitted, inquiry_requested, inquiry_answered, accepted, rejected, fee_paid or issued",
            },
            "page" => Text {
                ja: "1〜100000の整数",
                en: "a whole number from 1 to 100000",
            },
            "per_page" => Text {
                ja: "1〜200の整数",
                en: "a whole number from 1 to 200",
            },
            "lang" => query::LANG,
            _ => return None,
        })
    }

    fn check(&self) -> Result<(), &'static str> {
        if self.page.is_some_and(|n| !(1..=100_000).contains(&n)) {
            return Err("page");
        }
        if self.per_page.is_some_and(|n| !(1..=200).contains(&n)) {
            return Err("per_page");
        }
        Ok(())
    }
}

/// Applications the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/applications", tag = "applications",
    params(ApplicationListParams),
    responses((status = 200, body = Vec<Application>),
        (status = 400, description = "An unknown or repeated parameter", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 422, description = "A parameter's value is not accepted", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_applications(
    State(st): State<AppState>,
    Staff(actor): Staff,
    ApiQuery(params): ApiQuery<ApplicationListParams>,
) -> ApiResult<Response> {
    if actor.role == jcstar_registry::Role::Public {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "applications are not public: give an API token",
        ));
    }
    let status = params.status;
    let page = params.page.unwrap_or(1);
    let per_page = params.per_page.unwrap_or(50);
    let apps = st
        .registry
        .list_applications(&actor, status, (page - 1) * per_page, per_page)
        .await
        .map_err(reg(&actor))?;
    Ok(Json(apps).into_response())
}

/// One application (vendor: own; evaluation body: assigned; operator: any).
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications",
    params(("id" = String, Path, description = "Application id, e.g. APP-000042"), LangOnly),
    responses((status = 200, body = Application),
        (status = 400, description = "An unknown or repeated parameter", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_application(
    State(st): State<AppState>,
    Staff(actor): Staff,
    Path(id): Path<String>,
    ApiQuery(_query): ApiQuery<LangOnly>,
) -> ApiResult<Response> {
    let app = st
        .registry
        .application(&actor, &id)
        .await
        .map_err(reg(&actor))?;
    Ok(Json(app).into_response())
}

macro_rules! app_write {
    ($(#[$doc:meta])* $name:ident, $path:literal, $body:ty, |$st:ident, $actor:ident, $id:ident, $b:ident| $call:expr) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, tag = "applications",
            params(("id" = String, Path, description = "Application id, e.g. APP-000042"), LangOnly),
            request_body = $body,
            responses((status = 200, body = Application),
                (status = 400, description = "Not JSON, or an unknown or repeated query parameter", body = ErrorBody),
                (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
                (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
                (status = 404, body = ErrorBody), (status = 409, description = "Not allowed in the current state", body = ErrorBody),
                (status = 422, body = ErrorBody)),
            security(("bearer" = [])))]
        pub async fn $name(
            State($st): State<AppState>,
            Staff($actor): Staff,
            Path($id): Path<String>,
            ApiQuery(_query): ApiQuery<LangOnly>,
            ApiJson($b): ApiJson<$body>,
        ) -> ApiResult<Response> {
            let app = $call.await.map_err(reg(&$actor))?;
            Ok(Json(app).into_response())
        }
    };
}

app_write!(
    /// Operator: record that the supply-chain inquiry was sent.
    request_inquiry, "/api/v1/applications/{id}/inquiry", InquiryRequest,
    |st, actor, id, b| st.registry.request_inquiry(&actor, &id, &b.reference));
app_write!(
    /// Operator: record the inquiry's answer.
    answer_inquiry, "/api/v1/applications/{id}/inquiry/answer", InquiryAnswer,
    |st, actor, id, b| st.registry.answer_inquiry(&actor, &id, b.outcome, &b.reference));
app_write!(
    /// Operator: accept the application.
    accept_application, "/api/v1/applications/{id}/accept", AcceptRequest,
    |st, actor, id, b| st.registry.accept_application(&actor, &id, b.reason.as_deref()));
app_write!(
    /// Operator: reject the application (reason required).
    reject_application, "/api/v1/applications/{id}/reject", ReasonRequest,
    |st, actor, id, b| st.registry.reject_application(&actor, &id, &b.reason));
app_write!(
    /// Operator: record the fee as paid.
    record_fee, "/api/v1/applications/{id}/fee", Fee,
    |st, actor, id, b| st.registry.record_fee(&actor, &id, b));
app_write!(
    /// Operator: assign the evaluation body of a ★3/★4 application.
    assign_evaluation_body, "/api/v1/applications/{id}/evaluation-body", AssignRequest,
    |st, actor, id, b| st.registry.assign_evaluation_body(&actor, &id, &b.org));
app_write!(
    /// Assigned evaluation body: attach the evaluation report.
    attach_evaluation_report, "/api/v1/applications/{id}/evaluation-report", ReportRequest,
    |st, actor, id, b| st.registry.attach_evaluation_report(&actor, &id, b.into()));

/// Operator: issue (certify) the label of a paid application.
#[utoipa::path(post, path = "/api/v1/applications/{id}/issue", tag = "applications",
    params(("id" = String, Path, description = "Application id, e.g. APP-000042"), LangOnly),
    request_body = IssueRequest,
    responses((status = 201, body = Label),
        (status = 400, description = "Not JSON, or an unknown or repeated query parameter", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn issue_label(
    State(st): State<AppState>,
    Staff(actor): Staff,
    Path(id): Path<String>,
    ApiQuery(_query): ApiQuery<LangOnly>,
    ApiJson(b): ApiJson<IssueRequest>,
) -> ApiResult<Response> {
    let label = st
        .registry
        .issue_label(&actor, &id, b.valid_until)
        .await
        .map_err(reg(&actor))?;
    st.invalidate_counts();
    let mut resp = (StatusCode::CREATED, Json(&label)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/labels/{}", label.number)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

// ---- labels -----------------------------------------------------------------

macro_rules! label_write {
    ($(#[$doc:meta])* $name:ident, $method:ident, $path:literal, $body:ty, |$st:ident, $actor:ident, $n:ident, $b:ident| $call:expr) => {
        $(#[$doc])*
        #[utoipa::path($method, path = $path, tag = "labels",
            params(("number" = String, Path, pattern = r"^[Jj][Cc][Ss][1-4]-[0-9]{4}-([0-9]{6}|[1-9][0-9]{6,17})-[0-9Xx]$",
                description = "Registration number, e.g. JCS1-2026-000123-K"), LangOnly),
            request_body = $body,
            responses((status = 200, body = Label),
                (status = 400, description = "Not a valid registration number, not JSON, or an unknown or repeated query parameter", body = ErrorBody),
                (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
                (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
                (status = 404, body = ErrorBody), (status = 409, description = "Not allowed in the label's state", body = ErrorBody),
                (status = 422, body = ErrorBody)),
            security(("bearer" = [])))]
        pub async fn $name(
            State($st): State<AppState>,
            Staff($actor): Staff,
            Path($n): Path<String>,
            ApiQuery(_query): ApiQuery<LangOnly>,
            ApiJson($b): ApiJson<$body>,
        ) -> ApiResult<Response> {
            let label = $call.await.map_err(reg(&$actor))?;
            $st.invalidate_counts();
            Ok(Json(label).into_response())
        }
    };
}

label_write!(
    /// Vendor (own) or operator: extend the validity with a new self-declaration.
    extend_label, post, "/api/v1/labels/{number}/extend", ExtendRequest,
    |st, actor, n, b| st.registry.extend_label(&actor, &n, b.valid_until, &b.declaration));
label_write!(
    /// Vendor (own) or operator: add model numbers or firmware versions
    /// covered by the same self-declaration (reason required).
    change_label, post, "/api/v1/labels/{number}/changes", LabelChange,
    |st, actor, n, b| st.registry.change_label(&actor, &n, b));
label_write!(
    /// Vendor (own) or operator: withdraw the label (reason required). Refused
    /// (409) while surveillance is open.
    withdraw_label, post, "/api/v1/labels/{number}/withdraw", ReasonRequest,
    |st, actor, n, b| st.registry.withdraw_label(&actor, &n, &b.reason));
label_write!(
    /// Operator: open surveillance (reason, evidence demanded, correction deadline).
    open_surveillance, post, "/api/v1/labels/{number}/surveillance", SurveillanceOrder,
    |st, actor, n, b| st.registry.open_surveillance(&actor, &n, b));
label_write!(
    /// Operator: close surveillance as cleared (the label is Active again).
    close_surveillance, post, "/api/v1/labels/{number}/surveillance/close", ReasonRequest,
    |st, actor, n, b| st.registry.close_surveillance(&actor, &n, &b.reason));
label_write!(
    /// Operator: revoke a label under surveillance (after the correction
    /// deadline, or earlier with `override_reason`).
    revoke_label, post, "/api/v1/labels/{number}/revoke", RevokeRequest,
    |st, actor, n, b| st.registry.revoke_label(&actor, &n, &b.reason, b.override_reason.as_deref()));
label_write!(
    /// Vendor (own) or operator: publish a software update entry.
    add_update, post, "/api/v1/labels/{number}/updates", UpdateEntry,
    |st, actor, n, b| st.registry.add_update(&actor, &n, b));
label_write!(
    /// Vendor (own) or operator: record a vulnerability (same id: new state).
    record_vulnerability, post, "/api/v1/labels/{number}/vulnerabilities", VulnerabilityEntry,
    |st, actor, n, b| st.registry.record_vulnerability(&actor, &n, b));
label_write!(
    /// Vendor (own) or operator: set or clear the end of security support.
    set_support_end, put, "/api/v1/labels/{number}/support-end", SupportEndRequest,
    |st, actor, n, b| st.registry.set_support_end(&actor, &n, b.support_end));
label_write!(
    /// Vendor (own) or operator: set the vulnerability disclosure contact.
    set_disclosure_contact, put, "/api/v1/labels/{number}/disclosure-contact", ContactRequest,
    |st, actor, n, b| st.registry.set_disclosure_contact(&actor, &n, &b.contact));

label_write!(
    /// Vendor (own) or operator: attach an SBOM (CycloneDX 1.4–1.6 or SPDX
    /// 2.3 JSON) to a firmware version the label lists. Kept as sent under
    /// its SHA-256; the product page links it.
    attach_sbom, post, "/api/v1/labels/{number}/sboms", SbomUpload,
    |st, actor, n, b| attach_sbom_call(&st, &actor, &n, b));
label_write!(
    /// Vendor (own) or operator: publish a VEX document (OpenVEX or
    /// CycloneDX VEX JSON); `not_affected` needs a justification. A refusal
    /// names the offending field by its path.
    publish_vex, post, "/api/v1/labels/{number}/vex", VexUpload,
    |st, actor, n, b| publish_vex_call(&st, &actor, &n, b));

label_write!(
    /// Vendor (own) or operator: publish a CSAF 2.0 advisory. Checked before
    /// it is kept: the required fields, `document.category`, and that every
    /// product id the vulnerabilities and relationships name is defined in
    /// the product tree; a refusal names the field by its path.
    publish_csaf, post, "/api/v1/labels/{number}/advisories", CsafUpload,
    |st, actor, n, b| publish_csaf_call(&st, &actor, &n, b));

async fn publish_csaf_call(
    st: &AppState,
    actor: &Actor,
    number: &str,
    b: CsafUpload,
) -> jcstar_registry::Result<Label> {
    let bytes = document_bytes(&b.document)?;
    st.registry.publish_csaf(actor, number, &bytes).await
}

fn document_bytes(v: &serde_json::Value) -> jcstar_registry::Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| jcstar_registry::Error::Corrupt(format!("document: {e}")))
}

async fn attach_sbom_call(
    st: &AppState,
    actor: &Actor,
    number: &str,
    b: SbomUpload,
) -> jcstar_registry::Result<Label> {
    let bytes = document_bytes(&b.document)?;
    st.registry
        .attach_sbom(actor, number, &b.firmware_version, &bytes)
        .await
}

async fn publish_vex_call(
    st: &AppState,
    actor: &Actor,
    number: &str,
    b: VexUpload,
) -> jcstar_registry::Result<Label> {
    let bytes = document_bytes(&b.document)?;
    st.registry.publish_vex(actor, number, &bytes).await
}

/// A label's SBOM, VEX or CSAF document by its SHA-256, exactly as attached.
/// The address never changes and the content never does.
#[utoipa::path(get, path = "/api/v1/labels/{number}/documents/{sha256}", tag = "public",
    params(("number" = String, Path, pattern = r"^[Jj][Cc][Ss][1-4]-[0-9]{4}-([0-9]{6}|[1-9][0-9]{6,17})-[0-9Xx]$",
        description = "Registration number, e.g. JCS1-2026-000123-K"),
        ("sha256" = String, Path, pattern = r"^[0-9a-fA-F]{64}$", description = "SHA-256 of the document (hex)"),
        LangOnly),
    responses(
        (status = 200, description = "The document", content_type = "application/json", body = Object),
        (status = 400, description = "Not a valid registration number, or an unknown or repeated parameter", body = ErrorBody),
        (status = 404, description = "No such label, or the label has no such document", body = ErrorBody)))]
pub async fn get_document(
    State(st): State<AppState>,
    Path((number, sha256)): Path<(String, String)>,
    ApiQuery(_query): ApiQuery<LangOnly>,
) -> ApiResult<Response> {
    let doc = st
        .registry
        .document(&number, &sha256)
        .await
        .map_err(reg(&Actor::public()))?;
    let mut resp = Body::from(doc.body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("\"sha256-{}\"", doc.sha256)) {
        h.insert(header::ETAG, v);
    }
    Ok(resp)
}

/// Operator: run the watch now. Every active label's latest SBOM is
/// matched against the server's vulnerability store; the labels that a
/// known-exploited or CVSS >= 7.0 record affects, with no fix and no VEX
/// statement settling it, are listed. The run and each new finding are
/// events. 409 when the server has no vulnerability store (`serve --vulndb`).
#[utoipa::path(post, path = "/api/v1/watch", tag = "labels",
    params(LangOnly),
    responses((status = 200, body = jcstar_registry::watch::WatchReport),
        (status = 400, description = "An unknown or repeated query parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "No vulnerability store configured", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn run_watch(
    State(st): State<AppState>,
    Staff(actor): Staff,
    ApiQuery(_query): ApiQuery<LangOnly>,
) -> ApiResult<Response> {
    let Some(db) = st.vulndb.clone() else {
        authorize(&actor, Action::Surveillance, Resource::none())
            .map_err(|d| ApiError::from_registry(d.into(), &actor))?;
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "this server has no vulnerability store: start it with `jcstar serve --vulndb PATH`",
        ));
    };
    let report = st
        .registry
        .watch(&actor, &db.0)
        .await
        .map_err(reg(&actor))?;
    st.invalidate_counts();
    Ok(Json(report).into_response())
}

/// Operator: every label with an unsettled finding of the watch; a vendor:
/// its own labels'.
#[utoipa::path(get, path = "/api/v1/watch", tag = "labels",
    params(LangOnly),
    responses((status = 200, body = Vec<jcstar_registry::watch::WatchItem>),
        (status = 400, description = "An unknown or repeated query parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn watch_list(
    State(st): State<AppState>,
    Staff(actor): Staff,
    ApiQuery(_query): ApiQuery<LangOnly>,
) -> ApiResult<Response> {
    let items = st.registry.watch_list(&actor).await.map_err(reg(&actor))?;
    Ok(Json(items).into_response())
}

// ---- the router -------------------------------------------------------------

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "jcstar registry API", description = "JC-STAR label registry: public label data, open data exports, the event feed, and the operator/vendor/evaluation-body workflow. Writes need `Authorization: Bearer <token>`; tokens are created with `jcstar registry token create`."),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody)),
    tags((name = "pages", description = "HTML pages and label images (Japanese by default, `lang=en` for English)"),
         (name = "site", description = "This document, the stylesheet, liveness"),
         (name = "public", description = "Read without a token"),
         (name = "applications", description = "Application workflow"),
         (name = "labels", description = "Label lifecycle and security information"),
         (name = "reports", description = "Reports of suspected counterfeit labels: anyone sends, the operator reads and closes")))]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    use utoipa::OpenApi as _;
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_labels))
        .routes(routes!(get_label))
        .routes(routes!(export_csv))
        .routes(routes!(export_json))
        .routes(routes!(feed))
        .routes(routes!(chain))
        .routes(routes!(submit_application, list_applications))
        .routes(routes!(get_application))
        .routes(routes!(request_inquiry))
        .routes(routes!(answer_inquiry))
        .routes(routes!(accept_application))
        .routes(routes!(reject_application))
        .routes(routes!(record_fee))
        .routes(routes!(assign_evaluation_body))
        .routes(routes!(attach_evaluation_report))
        .routes(routes!(issue_label))
        .routes(routes!(extend_label))
        .routes(routes!(change_label))
        .routes(routes!(withdraw_label))
        .routes(routes!(open_surveillance))
        .routes(routes!(close_surveillance))
        .routes(routes!(revoke_label))
        .routes(routes!(add_update))
        .routes(routes!(record_vulnerability))
        .routes(routes!(set_support_end))
        .routes(routes!(set_disclosure_contact))
        .routes(routes!(attach_sbom))
        .routes(routes!(publish_vex))
        .routes(routes!(publish_csaf))
        .routes(routes!(get_document))
        .routes(routes!(run_watch, watch_list))
}
