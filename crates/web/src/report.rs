//! Reports of suspected counterfeit labels: the form on `/verify-label`
//! (`POST /verify-label/report`, form-encoded, no script needed) with its
//! thank-you page, `POST /api/v1/counterfeit-reports` for programs, and the
//! operator's queue (`GET /api/v1/counterfeit-reports`,
//! `POST /api/v1/counterfeit-reports/{id}/close`).
//!
//! The registry checks every field and keeps reports out of the public
//! event log (see `jcstar_registry::counterfeit`). Anonymous senders draw
//! from a tight per-address bucket (see [`crate::limit`]); the registry
//! bounds the open reports of a day for everyone together (503 with
//! `Retry-After`). Bodies are read up to [`REPORT_BODY_MAX`] bytes.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use jcstar_criteria::Lang;
use jcstar_registry::counterfeit::{Finding, ReportStatus};
use jcstar_registry::verify::Outcome;
use jcstar_registry::{CounterfeitReport, Error as RegError, NewCounterfeitReport, counterfeit};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{ApiResult, Caller, Staff};
use crate::error::{ApiError, ApiJson, ErrorBody, parse_json};
use crate::i18n;
use crate::pages::{Chrome, chrome, html, lang_of};
use crate::query::{self, ApiQuery, LangOnly, QueryParams, Text};

/// Largest report body read (a report at its longest, percent-encoded,
/// fits with room to spare).
pub const REPORT_BODY_MAX: usize = 64 * 1024;

/// A report of a suspected counterfeit label, as sent (JSON for the API,
/// form fields for the page).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterfeitReportRequest {
    /// The registration number printed on the label, as read (one line).
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub number: String,
    /// Where the product was seen: a shop's name or a URL (one line).
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub seen_at: Option<String>,
    /// Anything else: date of purchase, what the label looks like (line
    /// breaks and tabs allowed).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub details: Option<String>,
    /// How the operator may reach the sender (optional, one line; never
    /// published).
    #[serde(default)]
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub contact: Option<String>,
}

impl From<CounterfeitReportRequest> for NewCounterfeitReport {
    fn from(r: CounterfeitReportRequest) -> Self {
        NewCounterfeitReport {
            number: r.number,
            seen_at: r.seen_at,
            details: r.details,
            contact: r.contact,
        }
    }
}

/// What the sender gets back: the report's reference and what the
/// registry said about the number.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CounterfeitReceipt {
    /// The report's reference.
    pub id: String,
    /// When the registry received it.
    pub received_at: DateTime<Utc>,
    /// Open until the operator closes it.
    pub status: ReportStatus,
    /// What the registry said about the number on arrival.
    pub finding: Finding,
}

/// The operator's note on closing a report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseReportRequest {
    /// What was done about the report.
    #[schema(min_length = 1, max_length = 2000)]
    pub note: String,
}

/// The queue's parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportListParams {
    /// Only reports in this state.
    #[serde(default, deserialize_with = "query::blank_none_name")]
    pub status: Option<ReportStatus>,
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

impl QueryParams for ReportListParams {
    fn accepts(param: &str) -> Option<Text> {
        Some(match param {
            "status" => Text {
                ja: "open または closed",
                en: "open or closed",
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

/// The body, up to [`REPORT_BODY_MAX`] bytes.
async fn read_body(body: Body) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, REPORT_BODY_MAX)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a report body is at most {REPORT_BODY_MAX} bytes"),
            )
        })
}

// ---- API ---------------------------------------------------------------------

/// Report a suspected counterfeit label (no token needed). The registry
/// records what it says about the number now; the report goes to the
/// operator's queue, never to the public log. Anonymous senders may send a
/// few reports a minute (429 beyond, with `Retry-After`); while the queue
/// holds too many open reports of the last day, 503 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/counterfeit-reports", tag = "reports",
    params(LangOnly),
    request_body = CounterfeitReportRequest,
    responses((status = 201, description = "Received", body = CounterfeitReceipt),
        (status = 400, description = "Not JSON, or an unknown or repeated query parameter", body = ErrorBody),
        (status = 401, description = "An Authorization header that does not authenticate", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "A field is not accepted; `field` names it", body = ErrorBody),
        (status = 429, description = "Too many reports from this address", body = ErrorBody),
        (status = 503, description = "Too many open reports wait; retry later", body = ErrorBody)))]
pub async fn api_report(
    State(st): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(_q): ApiQuery<LangOnly>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    if !crate::error::content_type_is(&headers, "application/json") {
        return Err(ApiError::field(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the request body must be JSON",
            "Content-Type",
            "application/json",
        ));
    }
    let bytes = read_body(body).await?;
    let req: CounterfeitReportRequest = parse_json(&bytes)?;
    let r = st
        .registry
        .report_counterfeit(&actor, req.into())
        .await
        .map_err(|e| ApiError::from_registry(e, &actor))?;
    tracing::info!(report = %r.id, outcome = r.finding.outcome.as_str(), "counterfeit report received");
    Ok((
        StatusCode::CREATED,
        Json(CounterfeitReceipt {
            id: r.id,
            received_at: r.received_at,
            status: r.status,
            finding: r.finding,
        }),
    )
        .into_response())
}

/// Operator: the reports of suspected counterfeit labels, newest first,
/// with the senders' contacts.
#[utoipa::path(get, path = "/api/v1/counterfeit-reports", tag = "reports",
    params(ReportListParams),
    responses((status = 200, body = Vec<CounterfeitReport>),
        (status = 400, description = "An unknown or repeated parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "A parameter's value is not accepted", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_list(
    State(st): State<AppState>,
    Staff(actor): Staff,
    ApiQuery(params): ApiQuery<ReportListParams>,
) -> ApiResult<Response> {
    let page = params.page.unwrap_or(1);
    let per_page = params.per_page.unwrap_or(50);
    let list = st
        .registry
        .counterfeit_reports(&actor, params.status, (page - 1) * per_page, per_page)
        .await
        .map_err(|e| ApiError::from_registry(e, &actor))?;
    Ok(Json(list).into_response())
}

/// Operator: close a report with a note saying what was done.
#[utoipa::path(post, path = "/api/v1/counterfeit-reports/{id}/close", tag = "reports",
    params(("id" = String, Path, max_length = 100, description = "The report's id, e.g. CFR-0123456789ABCDEF"), LangOnly),
    request_body = CloseReportRequest,
    responses((status = 200, body = CounterfeitReport),
        (status = 400, description = "Not JSON, or an unknown or repeated query parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The report is closed already", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn api_close(
    State(st): State<AppState>,
    Staff(actor): Staff,
    Path(id): Path<String>,
    ApiQuery(_q): ApiQuery<LangOnly>,
    ApiJson(req): ApiJson<CloseReportRequest>,
) -> ApiResult<Response> {
    let r = st
        .registry
        .close_counterfeit_report(&actor, &id, &req.note)
        .await
        .map_err(|e| ApiError::from_registry(e, &actor))?;
    Ok(Json(r).into_response())
}

// ---- page --------------------------------------------------------------------

/// The report form's and the thank-you page's fixed strings.
pub struct ReportTr {
    /// Heading of the report form.
    pub heading: &'static str,
    /// What happens to a report and that the contact is optional.
    pub intro: &'static str,
    /// Label of the registration-number field.
    pub number: &'static str,
    /// Label of the where-seen field.
    pub seen_at: &'static str,
    /// Example for the where-seen field.
    pub seen_at_hint: &'static str,
    /// Label of the details field.
    pub details: &'static str,
    /// Label of the contact field.
    pub contact: &'static str,
    /// What the contact field takes.
    pub contact_hint: &'static str,
    /// The submit button.
    pub submit: &'static str,
    /// Title of the thank-you page.
    pub thanks_title: &'static str,
    /// What the operator does next.
    pub next_steps: &'static str,
    /// Label of the report's reference.
    pub reference: &'static str,
    /// Label of the registry's finding at receipt.
    pub finding: &'static str,
    /// Title of the page when sending failed.
    pub error_title: &'static str,
    /// Shown when too many reports are waiting.
    pub busy: &'static str,
    /// Shown when the request is not the form.
    pub not_a_form: &'static str,
    /// Link back to the number check.
    pub back: &'static str,
}

static RJA: ReportTr = ReportTr {
    heading: "偽造ラベルの疑いを報告する",
    intro: "この報告は制度運営者の窓口に届きます。わかる範囲で記入してください。連絡先は任意です（運営者が詳しく確認する場合にだけ使い、公開しません）。",
    number: "登録番号",
    seen_at: "製品を見かけた場所（店名またはURL）",
    seen_at_hint: "例: ○○電機 △△店 / https://shop.example/item/123",
    details: "詳細（購入日、ラベルの様子など）",
    contact: "連絡先（任意）",
    contact_hint: "メールアドレスまたは電話番号",
    submit: "報告を送信する",
    thanks_title: "報告を受け付けました",
    next_steps: "制度運営者が内容を確認し、必要に応じて販売者や事業者に照会します。連絡先を記入した場合は、確認のため連絡することがあります。個別の調査結果はお知らせできない場合があります。ラベルが取り消された場合は、製品情報ページと公開の変更履歴に反映されます。",
    reference: "受付番号",
    finding: "登録簿の確認結果（受付時点）",
    error_title: "報告を送信できませんでした",
    busy: "現在、報告が集中しているため受け付けられません。時間をおいて、もう一度お試しください。",
    not_a_form: "フォームの内容を読み取れませんでした。確認ページから、もう一度送信してください。",
    back: "登録番号の確認に戻る",
};

static REN: ReportTr = ReportTr {
    heading: "Report a suspected counterfeit label",
    intro: "The report goes to the scheme operator's queue. Fill in what you know. The contact is optional (used only if the operator needs to ask you; never published).",
    number: "Registration number",
    seen_at: "Where you saw the product (shop name or URL)",
    seen_at_hint: "e.g. Example Electronics, Shibuya / https://shop.example/item/123",
    details: "Details (date of purchase, what the label looks like)",
    contact: "Your contact (optional)",
    contact_hint: "E-mail address or telephone number",
    submit: "Send the report",
    thanks_title: "Thank you: your report was received",
    next_steps: "The scheme operator reviews the report and, where needed, asks the seller or the vendor. If you gave a contact, the operator may get in touch to ask for more. The operator may not be able to tell you the outcome; if a label is revoked, its product page and the public change log show it.",
    reference: "Reference",
    finding: "What the registry said (when received)",
    error_title: "The report could not be sent",
    busy: "Too many reports are waiting right now; please try again later.",
    not_a_form: "The form could not be read; please send it again from the verification page.",
    back: "Back to checking a number",
};

/// The report page strings in `lang`.
pub fn rtr(lang: Lang) -> &'static ReportTr {
    match lang {
        Lang::Ja => &RJA,
        Lang::En => &REN,
    }
}

/// The form's values (prefilled or as sent).
#[derive(Debug, Clone, Default)]
pub struct ReportFormView {
    /// The registration number.
    pub number: String,
    /// Where the product was seen.
    pub seen_at: String,
    /// The details.
    pub details: String,
    /// The sender's contact.
    pub contact: String,
    /// Shown unfolded (a number never issued).
    pub open: bool,
}

/// A received report as the thank-you page shows it.
pub struct ReceiptView {
    /// The report's reference.
    pub id: String,
    /// The registration number as sent.
    pub number: String,
    /// The registry's finding, in words.
    pub finding: String,
    /// Where the product was seen, if given.
    pub seen_at: Option<String>,
    /// The details, if given.
    pub details: Option<String>,
}

#[derive(Template)]
#[template(path = "counterfeit_report.html")]
struct ReportTpl {
    c: Chrome,
    rt: &'static ReportTr,
    form: ReportFormView,
    error: Option<String>,
    receipt: Option<ReceiptView>,
}

/// What the registry said, in words.
pub fn finding_text(f: &Finding, lang: Lang) -> String {
    let mut s = f.outcome.text(lang).to_string();
    if let Some(st) = f.label_status
        && f.outcome == Outcome::Labeled
    {
        s.push_str(&format!(" ({})", i18n::status_text(st, lang)));
    }
    if let Some(n) = &f.suggestion {
        s.push_str(&format!(" → {n}"));
    }
    s
}

fn field_message(field: &str, lang: Lang) -> String {
    let (ja, en) = match field {
        "number" => (
            format!(
                "登録番号を1行で入力してください（{}文字以内）。",
                counterfeit::MAX_NUMBER_CHARS
            ),
            format!(
                "Give the registration number on one line (at most {} characters).",
                counterfeit::MAX_NUMBER_CHARS
            ),
        ),
        "seen_at" => (
            format!(
                "見かけた場所は1行で入力してください（{}文字以内）。",
                counterfeit::MAX_SEEN_AT_CHARS
            ),
            format!(
                "Give where you saw the product on one line (at most {} characters).",
                counterfeit::MAX_SEEN_AT_CHARS
            ),
        ),
        "details" => (
            format!(
                "詳細は{}文字以内で入力してください（制御文字は使えません）。",
                counterfeit::MAX_DETAILS_CHARS
            ),
            format!(
                "Details take at most {} characters (no control characters).",
                counterfeit::MAX_DETAILS_CHARS
            ),
        ),
        "contact" => (
            format!(
                "連絡先は1行で入力してください（{}文字以内）。",
                counterfeit::MAX_CONTACT_CHARS
            ),
            format!(
                "Give the contact on one line (at most {} characters).",
                counterfeit::MAX_CONTACT_CHARS
            ),
        ),
        _ => (
            rtr(Lang::Ja).not_a_form.into(),
            rtr(Lang::En).not_a_form.into(),
        ),
    };
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// The form on the verification page: a report of a suspected counterfeit
/// label. Answers a thank-you page saying what happens next, or the form
/// again naming the field at fault. Anonymous senders may send a few
/// reports a minute (429 beyond); while too many open reports of the last
/// day wait, 503 with `Retry-After`.
#[utoipa::path(post, path = "/verify-label/report", tag = "pages",
    params(LangOnly),
    request_body(content = CounterfeitReportRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The thank-you page", content_type = "text/html", body = String),
        (status = 400, description = "Not a form, or a field the form does not have", content_type = "text/html", body = String),
        (status = 413, description = "The body is too large", content_type = "text/html", body = String),
        (status = 422, description = "A field is not accepted; the page names it", content_type = "text/html", body = String),
        (status = 429, description = "Too many reports from this address", content_type = "text/plain", body = String),
        (status = 503, description = "Too many open reports wait; retry later", content_type = "text/html", body = String)))]
pub async fn report_submit(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    Caller(actor): Caller,
    body: Body,
) -> Response {
    let lang = lang_of(&params, &headers);
    let rt = rtr(lang);
    let mut tpl = ReportTpl {
        c: chrome(lang, rt.heading, &uri, &params),
        rt,
        form: ReportFormView {
            open: true,
            ..ReportFormView::default()
        },
        error: None,
        receipt: None,
    };
    let fail = |mut tpl: ReportTpl, status: StatusCode, msg: String| {
        tpl.c.title = tpl.rt.error_title.to_string();
        tpl.error = Some(msg);
        html(status, tpl.render())
    };
    if !crate::error::content_type_is(&headers, "application/x-www-form-urlencoded") {
        return fail(tpl, StatusCode::BAD_REQUEST, rt.not_a_form.into());
    }
    let bytes = match read_body(body).await {
        Ok(b) => b,
        Err(e) => return fail(tpl, e.status, rt.not_a_form.into()),
    };
    let mut req: CounterfeitReportRequest = match serde_urlencoded::from_bytes(&bytes) {
        Ok(r) => r,
        Err(_) => return fail(tpl, StatusCode::BAD_REQUEST, rt.not_a_form.into()),
    };
    // Browsers send a text area's line breaks as CR LF (HTML's form
    // submission); the registry takes line feeds.
    req.details = req.details.map(|d| d.replace("\r\n", "\n"));
    tpl.form = ReportFormView {
        number: req.number.clone(),
        seen_at: req.seen_at.clone().unwrap_or_default(),
        details: req.details.clone().unwrap_or_default(),
        contact: req.contact.clone().unwrap_or_default(),
        open: true,
    };
    match st.registry.report_counterfeit(&actor, req.into()).await {
        Ok(r) => {
            tracing::info!(report = %r.id, outcome = r.finding.outcome.as_str(), "counterfeit report received");
            tpl.c.title = rt.thanks_title.to_string();
            tpl.receipt = Some(ReceiptView {
                id: r.id,
                number: r.number,
                finding: finding_text(&r.finding, lang),
                seen_at: r.seen_at,
                details: r.details,
            });
            html(StatusCode::OK, tpl.render())
        }
        Err(RegError::Invalid { field, .. }) => {
            let msg = field_message(&field, lang);
            fail(tpl, StatusCode::UNPROCESSABLE_ENTITY, msg)
        }
        Err(RegError::Saturated {
            retry_after_secs, ..
        }) => {
            let mut resp = fail(tpl, StatusCode::SERVICE_UNAVAILABLE, rt.busy.into());
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "counterfeit report failed");
            fail(
                tpl,
                StatusCode::INTERNAL_SERVER_ERROR,
                i18n::tr(lang).error_text.to_string(),
            )
        }
    }
}
