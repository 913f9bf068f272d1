//! Verification for buyers and consumers: a list of model numbers and
//! registration numbers checked at once (`POST /api/v1/verify`, the page
//! `/verify` with a text box and a CSV/xlsx upload), and one registration
//! number checked (`/verify-label`, `GET /api/v1/verify-label/{number}`).
//!
//! Reports (JSON, and CSV with a UTF-8 BOM) carry a detached Ed25519 JWS
//! when the server has signing keys: the API answer in the header
//! `JCStar-Signature`, the page's downloads as a `.jws` file next to each
//! report (see docs/signatures.md). The page's reports are kept in memory
//! for a while ([`REPORTS_KEPT`] most recent, at most [`REPORTS_MAX_BYTES`]
//! together) under a random name.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jcstar_criteria::Lang;
use jcstar_registry::signing::Claims;
use jcstar_registry::verify::{
    self, InputError, InputRow, LabelRef, Outcome, VerifyReport, VerifyRow,
};
use jcstar_registry::{Actor, LabelStatus};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::i18n;
use crate::pages::{Chrome, chrome, html, lang_of};
use crate::query::{self, ApiQuery, LangOnly, QueryParams, Text};

/// The header that carries the detached signature of an API report.
pub const SIGNATURE_HEADER: &str = "jcstar-signature";

/// How many page reports are kept for download.
pub const REPORTS_KEPT: usize = 64;

/// The most bytes all kept reports may take together; the oldest are
/// dropped first (a list of 10,000 rows makes a report of several MB).
pub const REPORTS_MAX_BYTES: usize = 64 * 1024 * 1024;

/// The formats a verification report is given in.
pub const REPORT_FORMATS: [ReportFormat; 3] =
    [ReportFormat::Csv, ReportFormat::Xlsx, ReportFormat::Json];

/// A report kept for the page's download links: each format's bytes and,
/// with signing keys, their detached signatures.
pub struct StoredReport {
    /// Each format's bytes and, when signed, the detached signature (JWS).
    pub files: Vec<(ReportFormat, Vec<u8>, Option<String>)>,
}

impl StoredReport {
    fn size(&self) -> usize {
        self.files
            .iter()
            .map(|(_, b, s)| b.len() + s.as_ref().map_or(0, String::len))
            .sum()
    }
}

/// The most recent page reports, by random name, with their total size.
pub struct Reports {
    inner: Mutex<(lru::LruCache<String, Arc<StoredReport>>, usize)>,
}

impl Default for Reports {
    fn default() -> Self {
        Reports {
            inner: Mutex::new((
                lru::LruCache::new(NonZeroUsize::new(REPORTS_KEPT).unwrap_or(NonZeroUsize::MIN)),
                0,
            )),
        }
    }
}

impl Reports {
    fn put(&self, report: StoredReport) -> Option<String> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).ok()?;
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let size = report.size();
        if size > REPORTS_MAX_BYTES {
            return None;
        }
        let mut guard = self.inner.lock().ok()?;
        let (map, total) = &mut *guard;
        while *total + size > REPORTS_MAX_BYTES || map.len() >= REPORTS_KEPT {
            match map.pop_lru() {
                Some((_, old)) => *total = total.saturating_sub(old.size()),
                None => break,
            }
        }
        map.put(id.clone(), Arc::new(report));
        *total += size;
        Some(id)
    }

    fn get(&self, id: &str) -> Option<Arc<StoredReport>> {
        self.inner.lock().ok()?.0.get(id).cloned()
    }
}

fn sign(st: &AppState, bytes: &[u8]) -> Option<String> {
    st.signer.as_ref().map(|k| {
        k.sign(
            bytes,
            Claims {
                subject: "verification-report".into(),
                signed_at: st.registry.now(),
                registry: Some(st.base_url.to_string()),
            },
        )
    })
}

// ---- API ---------------------------------------------------------------------

/// A list to verify.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// One model number or registration number per item (blank items are
    /// skipped; row numbers in the answer count every item from 1). At most
    /// 10,000 items of at most 200 characters.
    #[schema(max_items = 10000)]
    pub rows: Vec<String>,
}

/// The format of a verification report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// JSON, as the API answers.
    Json,
    /// CSV (UTF-8).
    Csv,
    /// An Excel workbook (.xlsx).
    Xlsx,
}

impl ReportFormat {
    /// File name extension.
    pub fn ext(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Csv => "csv",
            ReportFormat::Xlsx => "xlsx",
        }
    }

    /// The Content-Type the format is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Json => "application/json",
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }

    /// The report in this format.
    pub fn render(self, report: &VerifyReport, lang: Lang) -> Vec<u8> {
        match self {
            ReportFormat::Json => verify::report_json(report),
            ReportFormat::Csv => verify::report_csv(report, lang),
            ReportFormat::Xlsx => verify::report_xlsx(report, lang).unwrap_or_else(|e| {
                // Writing a workbook to memory fails only on a library bug:
                // say so in the file rather than dropping the download.
                tracing::error!(error = %e, "verification workbook failed");
                Vec::new()
            }),
        }
    }
}

/// The verification's parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyParams {
    /// `json` (default), `csv` (UTF-8 with BOM, headers in `lang`) or
    /// `xlsx` (an Excel workbook, headers in `lang`).
    #[serde(default, deserialize_with = "query::blank_none_name")]
    #[param(value_type = Option<String>, pattern = r"^(json|csv|xlsx)?$")]
    pub format: Option<ReportFormat>,
    /// `ja` (default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
}

impl QueryParams for VerifyParams {
    fn accepts(param: &str) -> Option<Text> {
        match param {
            "format" => Some(Text {
                ja: "json または csv",
                en: "json or csv",
            }),
            "lang" => Some(query::LANG),
            _ => None,
        }
    }
}

fn input_error(e: &InputError) -> ApiError {
    let field = match e {
        InputError::TooLong { row, .. } | InputError::Control { row, .. } => {
            format!("rows[{}]", row.saturating_sub(1))
        }
        _ => "rows".to_string(),
    };
    ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        e.to_string(),
        field,
        format!(
            "at most {} items, each a text of at most {} characters without control characters",
            verify::MAX_ROWS,
            verify::MAX_ROW_CHARS
        ),
    )
}

fn report_response(
    st: &AppState,
    report: &VerifyReport,
    format: ReportFormat,
    lang: Lang,
) -> Response {
    let (bytes, content_type, ext) = (
        format.render(report, lang),
        format.content_type(),
        format.ext(),
    );
    let signature = sign(st, &bytes);
    let mut resp = (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"jcstar-verification.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response();
    if let Some(sig) = signature
        && let Ok(v) = HeaderValue::from_str(&sig)
    {
        resp.headers_mut()
            .insert(header::HeaderName::from_static(SIGNATURE_HEADER), v);
    }
    resp
}

/// Verify a list of model numbers and registration numbers: per row,
/// labeled or not, level, status as of the registry's clock, validity end,
/// registration number and product page; `ambiguous` with the candidate
/// labels when a model number is in several labels; a wrong check character
/// is a `probable_typo` with the corrected number; a well-formed number never
/// issued is `not_issued` (a label carrying it is counterfeit). Model numbers
/// match whatever their width, case, hyphens, spaces and dots. With signing
/// keys, the answer's detached JWS is in the `JCStar-Signature` header.
#[utoipa::path(post, path = "/api/v1/verify", tag = "public",
    params(VerifyParams),
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "The report; `format=csv` gives CSV (UTF-8 with BOM), `format=xlsx` an Excel workbook",
            content((VerifyReport = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
            headers(("JCStar-Signature" = String, description = "Detached JWS of the body, when the server signs"))),
        (status = 400, description = "An unknown or repeated parameter, or a body that is not JSON", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON", body = ErrorBody),
        (status = 422, description = "A row or the row count is not accepted; `field` names the row", body = ErrorBody)))]
pub async fn api_verify(
    State(st): State<AppState>,
    ApiQuery(params): ApiQuery<VerifyParams>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<VerifyRequest>,
) -> Result<Response, ApiError> {
    let lang = i18n::negotiate(
        params.lang.as_deref(),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let rows = match verify::read_list(&req.rows) {
        Ok(r) => r,
        Err(InputError::Empty) => Vec::new(),
        Err(e) => return Err(input_error(&e)),
    };
    let report = st
        .registry
        .verify_rows(&rows, &st.base_url)
        .await
        .map_err(|e| ApiError::from_registry(e, &Actor::public()))?;
    Ok(report_response(
        &st,
        &report,
        params.format.unwrap_or(ReportFormat::Json),
        lang,
    ))
}

/// Check one registration number: `labeled` (see the label's status),
/// `not_issued` (well-formed but never issued: a label carrying it is
/// counterfeit), `probable_typo` (wrong check character; `suggestion` is the
/// corrected number) or `invalid_number`.
#[utoipa::path(get, path = "/api/v1/verify-label/{number}", tag = "public",
    params(("number" = String, Path, max_length = 200, description = "The registration number as printed on the label"),
        LangOnly),
    responses((status = 200, body = VerifyRow),
        (status = 400, description = "An unknown or repeated parameter", body = ErrorBody),
        (status = 422, description = "The number is longer than 200 characters", body = ErrorBody)))]
pub async fn api_verify_label(
    State(st): State<AppState>,
    Path(number): Path<String>,
    ApiQuery(_q): ApiQuery<LangOnly>,
) -> Result<Response, ApiError> {
    if number.chars().count() > verify::MAX_ROW_CHARS {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the number is too long",
            "number",
            "a registration number such as JCS1-2026-000123-K",
        ));
    }
    let row = st
        .registry
        .verify_number(&number, &st.base_url)
        .await
        .map_err(|e| ApiError::from_registry(e, &Actor::public()))?;
    Ok(Json(row).into_response())
}

// ---- pages -------------------------------------------------------------------

/// The verification pages' fixed strings.
pub struct VerifyTr {
    /// Title of the list verification page.
    pub title: &'static str,
    /// How to give the list and how model numbers are matched.
    pub intro: &'static str,
    /// Label of the paste field.
    pub paste: &'static str,
    /// Example for the paste field.
    pub paste_hint: &'static str,
    /// Label of the file field.
    pub upload: &'static str,
    /// Which column of a file is read.
    pub upload_hint: &'static str,
    /// The submit button of the list form.
    pub submit: &'static str,
    /// Heading of the result table.
    pub results: &'static str,
    /// Row-number column.
    pub row: &'static str,
    /// Input column.
    pub input: &'static str,
    /// Outcome column.
    pub outcome: &'static str,
    /// Label column.
    pub label: &'static str,
    /// Heading of the labels an ambiguous row matches.
    pub candidates: &'static str,
    /// Label of the corrected registration number.
    pub suggestion: &'static str,
    /// Heading of the report downloads.
    pub download: &'static str,
    /// Link text of a download's signature.
    pub signature: &'static str,
    /// How to check a signature.
    pub signature_note: &'static str,
    /// Label of the date statuses are given for.
    pub as_of: &'static str,
    /// Heading of the counts per outcome.
    pub summary: &'static str,
    /// Title of the single-label check page.
    pub label_title: &'static str,
    /// What to enter on the single-label check page.
    pub label_intro: &'static str,
    /// Label of the registration-number field.
    pub label_number: &'static str,
    /// The single-label check button.
    pub check: &'static str,
    /// Heading for a well-formed number never issued.
    pub counterfeit_title: &'static str,
    /// What a never-issued number means for the buyer.
    pub counterfeit_text: &'static str,
    /// How to report a suspected counterfeit label.
    pub report_how: &'static str,
    /// Heading for a number with a wrong check character.
    pub typo_title: &'static str,
    /// What a wrong check character means.
    pub typo_text: &'static str,
    /// Words before the corrected number.
    pub did_you_mean: &'static str,
    /// Heading for text that is not a registration number.
    pub invalid_title: &'static str,
    /// Heading for a number that was issued.
    pub found_title: &'static str,
    /// Link to the product information page.
    pub open_page: &'static str,
    /// Warning when the label found is not active.
    pub not_active_warning: &'static str,
    /// Link to the list verification page.
    pub bulk_link: &'static str,
}

static VJA: VerifyTr = VerifyTr {
    title: "ラベルの一括確認",
    intro: "型番または登録番号を1行に1つずつ貼り付けるか、CSV・Excel（.xlsx）ファイルを選んでください。型番は全角・半角、大文字・小文字、ハイフン・空白・ドットの違いを区別せずに照合します（最大10,000行）。",
    paste: "型番・登録番号のリスト",
    paste_hint: "例: NC-200 / JCS1-2026-000123-K",
    upload: "ファイル（CSV UTF-8 または .xlsx）",
    upload_hint: "1列目、または見出しが「型番」「登録番号」「model」「number」の列を読みます。",
    submit: "確認する",
    results: "確認結果",
    row: "行",
    input: "入力",
    outcome: "結果",
    label: "ラベル",
    candidates: "該当するラベル",
    suggestion: "正しい番号の候補",
    download: "ダウンロード",
    signature: "署名",
    signature_note: "署名は jcstar verify-signature FILE --signature FILE.jws --keys jcstar-keys.json で検証できます。",
    as_of: "基準日",
    summary: "集計",
    label_title: "ラベルの真正性確認",
    label_intro: "製品のラベルに印刷された登録番号を入力してください。",
    label_number: "登録番号",
    check: "確認する",
    counterfeit_title: "この登録番号は発行されていません",
    counterfeit_text: "形式は正しいものの、この登録番号のラベルは発行されていません。この番号が印刷されたラベルは偽造の疑いがあります。購入・使用の前に販売者に確認してください。",
    report_how: "偽造ラベルの疑いは、下のフォームから制度運営者の窓口に報告できます。製品を見かけた場所（店名またはURL）を添えてください。",
    typo_title: "入力誤りの可能性があります",
    typo_text: "最後の文字（チェック文字）が他の部分と一致しません。番号を入力し間違えた可能性があります。",
    did_you_mean: "もしかして",
    invalid_title: "登録番号の形式ではありません",
    found_title: "登録されたラベルです",
    open_page: "製品情報ページを開く",
    not_active_warning: "このラベルは現在有効ではありません。状態を確認してください。",
    bulk_link: "型番・登録番号をまとめて確認する",
};

static VEN: VerifyTr = VerifyTr {
    title: "Verify a list of products",
    intro: "Paste model numbers or registration numbers, one per line, or choose a CSV or Excel (.xlsx) file. Model numbers match whatever their width, case, hyphens, spaces and dots (at most 10,000 rows).",
    paste: "Model numbers and registration numbers",
    paste_hint: "e.g. NC-200 / JCS1-2026-000123-K",
    upload: "File (CSV in UTF-8, or .xlsx)",
    upload_hint: "The first column is read, or the column headed 型番, 登録番号, model or number.",
    submit: "Verify",
    results: "Results",
    row: "Row",
    input: "Input",
    outcome: "Outcome",
    label: "Label",
    candidates: "Matching labels",
    suggestion: "Corrected number",
    download: "Download",
    signature: "signature",
    signature_note: "Check a signature with jcstar verify-signature FILE --signature FILE.jws --keys jcstar-keys.json.",
    as_of: "As of",
    summary: "Summary",
    label_title: "Is this label genuine?",
    label_intro: "Enter the registration number printed on the product's label.",
    label_number: "Registration number",
    check: "Check",
    counterfeit_title: "This registration number was never issued",
    counterfeit_text: "The number is well-formed, but no label with this number was ever issued. A label carrying it is probably counterfeit. Ask the seller before buying or using the product.",
    report_how: "Report a suspected counterfeit label to the scheme operator with the form below, saying where you saw the product (shop name or URL).",
    typo_title: "Probably mistyped",
    typo_text: "The last character (the check character) does not agree with the rest of the number; it was probably mistyped.",
    did_you_mean: "Did you mean",
    invalid_title: "Not a registration number",
    found_title: "A registered label",
    open_page: "Open the product information page",
    not_active_warning: "This label is not active at present: see its status.",
    bulk_link: "Verify many model numbers or registration numbers",
};

fn vtr(lang: Lang) -> &'static VerifyTr {
    match lang {
        Lang::Ja => &VJA,
        Lang::En => &VEN,
    }
}

/// A label in a result row.
pub struct LabelCell {
    /// The registration number.
    pub number: String,
    /// The level as stars.
    pub stars: String,
    /// The status's snake_case name, used as a CSS class.
    pub status_class: &'static str,
    /// The status in words.
    pub status_text: &'static str,
    /// Last day of validity.
    pub valid_until: String,
    /// The applicant company.
    pub company: String,
    /// Product names, joined.
    pub products: String,
    /// Link to the product information page.
    pub href: String,
}

fn label_cell(l: &LabelRef, lang: Lang) -> LabelCell {
    LabelCell {
        number: l.number.clone(),
        stars: jcstar_registry::Level::from_number(l.level)
            .map(crate::pages::stars)
            .unwrap_or_default(),
        status_class: l.status.as_str(),
        status_text: i18n::status_text(l.status, lang),
        valid_until: l.valid_until.to_string(),
        company: l.company.clone(),
        products: l.products.join(" / "),
        href: format!("/labels/{}?lang={}", l.number, i18n::code(lang)),
    }
}

/// One result row of the page.
pub struct RowView {
    /// The row number (with the cell for a workbook).
    pub row: String,
    /// The row's text.
    pub input: String,
    /// The outcome as a CSS class.
    pub outcome_class: &'static str,
    /// The outcome in words.
    pub outcome_text: &'static str,
    /// The label found, if exactly one.
    pub label: Option<LabelCell>,
    /// Every label an ambiguous model number matches.
    pub candidates: Vec<LabelCell>,
    /// The corrected registration number, for a probable typo.
    pub suggestion: Option<String>,
    /// Link to check the corrected number.
    pub suggestion_href: Option<String>,
    /// Why the text is not a registration number.
    pub detail: Option<String>,
}

fn outcome_class(o: Outcome) -> &'static str {
    match o {
        Outcome::Labeled => "ok",
        Outcome::Ambiguous => "ambiguous",
        Outcome::NotLabeled => "none",
        Outcome::NotIssued => "counterfeit",
        Outcome::ProbableTypo => "typo",
        Outcome::InvalidNumber => "invalid",
    }
}

fn row_view(r: &VerifyRow, lang: Lang) -> RowView {
    RowView {
        row: match &r.cell {
            Some(c) => format!("{} ({c})", r.row),
            None => r.row.to_string(),
        },
        input: r.input.clone(),
        outcome_class: outcome_class(r.outcome),
        outcome_text: r.outcome.text(lang),
        label: r.label.as_ref().map(|l| label_cell(l, lang)),
        candidates: r.candidates.iter().map(|l| label_cell(l, lang)).collect(),
        suggestion: r.suggestion.clone(),
        suggestion_href: r
            .suggestion
            .as_ref()
            .map(|s| format!("/verify-label?number={s}&lang={}", i18n::code(lang))),
        detail: r.detail.clone(),
    }
}

/// A download link of the report in one format.
pub struct Download {
    /// The link text (the format).
    pub text: String,
    /// Where the report file is.
    pub href: String,
    /// Where its signature is, when signed.
    pub jws_href: Option<String>,
}

/// One count of the summary.
pub struct SummaryItem {
    /// The outcome as a CSS class.
    pub class: &'static str,
    /// The outcome in words.
    pub text: &'static str,
    /// Rows with this outcome.
    pub count: u64,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyTpl {
    c: Chrome,
    v: &'static VerifyTr,
    text: String,
    error: Option<String>,
    as_of: Option<String>,
    summary: Vec<SummaryItem>,
    rows: Vec<RowView>,
    downloads: Vec<Download>,
}

fn verify_tpl(lang: Lang, uri: &Uri, params: &HashMap<String, String>) -> VerifyTpl {
    let v = vtr(lang);
    VerifyTpl {
        c: chrome(lang, v.title, uri, params),
        v,
        text: String::new(),
        error: None,
        as_of: None,
        summary: Vec::new(),
        rows: Vec::new(),
        downloads: Vec::new(),
    }
}

/// The bulk verification page: a text box and a file upload.
#[utoipa::path(get, path = "/verify", tag = "pages",
    params(LangOnly),
    responses((status = 200, description = "The page", content_type = "text/html", body = String)))]
pub async fn verify_page(
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(&params, &headers);
    html(StatusCode::OK, verify_tpl(lang, &uri, &params).render())
}

/// The bulk verification form as sent by a browser.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct VerifyUpload {
    /// Model numbers and registration numbers, one per line (line ends CRLF,
    /// LF or CR; each line at most 200 characters).
    #[schema(pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$")]
    rows: Option<String>,
    /// A CSV (UTF-8) or .xlsx file; used when given, instead of `rows`.
    #[schema(value_type = Option<String>, format = Binary)]
    file: Option<Vec<u8>>,
}

/// The form's answer: the results as a table, with download links (CSV
/// with BOM, JSON, and their signatures when the server signs). A list that
/// cannot be read is answered 422 with the page naming the row.
#[utoipa::path(post, path = "/verify", tag = "pages",
    params(LangOnly),
    request_body(content = VerifyUpload, content_type = "multipart/form-data"),
    responses((status = 200, description = "The results page", content_type = "text/html", body = String),
        (status = 400, description = "Not a multipart form", content_type = "text/html", body = String),
        (status = 422, description = "The list cannot be read; the page names the row", content_type = "text/html", body = String)))]
pub async fn verify_submit(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let lang = lang_of(&params, &headers);
    let mut tpl = verify_tpl(lang, &uri, &params);
    let mut text = String::new();
    let mut file: Option<Vec<u8>> = None;
    let bad_form = |mut tpl: VerifyTpl, msg: String| {
        tpl.error = Some(msg);
        html(StatusCode::BAD_REQUEST, tpl.render())
    };
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(e) => return bad_form(tpl, e.body_text()),
    };
    loop {
        match multipart.next_field().await {
            Ok(None) => break,
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let bytes = match field.bytes().await {
                    Ok(b) => b,
                    Err(e) => return bad_form(tpl, e.body_text()),
                };
                match name.as_str() {
                    "rows" => text = String::from_utf8_lossy(&bytes).into_owned(),
                    "file" if !bytes.is_empty() => file = Some(bytes.to_vec()),
                    _ => {}
                }
            }
            Err(e) => return bad_form(tpl, e.body_text()),
        }
    }
    let rows: Result<Vec<InputRow>, InputError> = match &file {
        Some(f) => verify::read_file(f),
        None => verify::read_text(&text),
    };
    tpl.text = text;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => {
            tpl.error = Some(e.message(lang));
            return html(StatusCode::UNPROCESSABLE_ENTITY, tpl.render());
        }
    };
    let report = match st.registry.verify_rows(&rows, &st.base_url).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "verification failed");
            tpl.error = Some(i18n::tr(lang).error_text.to_string());
            return html(StatusCode::INTERNAL_SERVER_ERROR, tpl.render());
        }
    };
    let stored = StoredReport {
        files: REPORT_FORMATS
            .iter()
            .map(|f| {
                let bytes = f.render(&report, lang);
                let jws = sign(&st, &bytes);
                (*f, bytes, jws)
            })
            .collect(),
    };
    let signed = st.signer.is_some();
    if let Some(id) = st.reports.put(stored) {
        for f in REPORT_FORMATS {
            let text = match f {
                ReportFormat::Csv => "CSV",
                ReportFormat::Xlsx => "Excel (.xlsx)",
                ReportFormat::Json => "JSON",
            };
            let ext = f.ext();
            tpl.downloads.push(Download {
                text: text.into(),
                href: format!("/verify/reports/{id}.{ext}"),
                jws_href: signed.then(|| format!("/verify/reports/{id}.{ext}.jws")),
            });
        }
    }
    let s = &report.summary;
    tpl.summary = [
        (Outcome::Labeled, s.labeled),
        (Outcome::NotLabeled, s.not_labeled),
        (Outcome::Ambiguous, s.ambiguous),
        (Outcome::NotIssued, s.not_issued),
        (Outcome::ProbableTypo, s.probable_typo),
        (Outcome::InvalidNumber, s.invalid_number),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(o, n)| SummaryItem {
        class: outcome_class(o),
        text: o.text(lang),
        count: n,
    })
    .collect();
    tpl.as_of = Some(report.as_of.to_string());
    tpl.rows = report.rows.iter().map(|r| row_view(r, lang)).collect();
    html(StatusCode::OK, tpl.render())
}

/// A report of the page, while it is kept: `{id}.csv`, `{id}.xlsx`,
/// `{id}.json`, and their detached signatures (`{id}.csv.jws`, …).
#[utoipa::path(get, path = "/verify/reports/{report}", tag = "pages",
    params(("report" = String, Path, pattern = r"^[0-9a-f]{32}\.(csv|xlsx|json)(\.jws)?$",
        description = "The report's file name from the results page")),
    responses((status = 200, description = "The report (CSV, Excel workbook or JSON) or its detached signature (JWS)",
            content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "application/json"), (String = "application/jose"))),
        (status = 400, description = "Not a report file name", content_type = "text/plain", body = String),
        (status = 410, description = "The report is no longer kept (or the server has no signing keys): verify the list again", content_type = "text/plain", body = String)))]
pub async fn report_file(State(st): State<AppState>, Path(report): Path<String>) -> Response {
    let parts: Vec<&str> = report.split('.').collect();
    let (id, ext, jws) = match parts.as_slice() {
        [id, ext] => (*id, *ext, false),
        [id, ext, "jws"] => (*id, *ext, true),
        _ => ("", "", false),
    };
    let valid_id = id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    let format = REPORT_FORMATS.into_iter().find(|f| f.ext() == ext);
    if !valid_id || format.is_none() {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "レポートのファイル名ではありません。\nNot a report file name.\n",
        )
            .into_response();
    }
    let gone = || {
        (
            StatusCode::GONE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "このレポートは保存期間を過ぎました。もう一度確認してください。\nThis report is no longer kept; verify the list again.\n",
        )
            .into_response()
    };
    let Some(r) = st.reports.get(id) else {
        return gone();
    };
    let Some((f, bytes, sig)) = r.files.iter().find(|(f, _, _)| Some(*f) == format) else {
        return gone();
    };
    let (body, content_type): (Vec<u8>, &str) = match (jws, sig) {
        (false, _) => (bytes.clone(), f.content_type()),
        (true, Some(s)) => (s.clone().into_bytes(), "application/jose"),
        (true, None) => return gone(),
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"jcstar-verification-{report}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "verify_label.html")]
struct VerifyLabelTpl {
    c: Chrome,
    v: &'static VerifyTr,
    number: String,
    outcome: Option<&'static str>,
    row: Option<RowView>,
    /// Set for a label that is not active.
    warning: bool,
    rt: &'static crate::report::ReportTr,
    /// The counterfeit report form, when the answer calls for one.
    report: Option<crate::report::ReportFormView>,
}

/// The page parameters of `/verify-label`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyLabelParams {
    /// The registration number as printed on the label.
    #[param(max_length = 200)]
    pub number: Option<String>,
    /// `ja` (default) or `en`.
    pub lang: Option<String>,
}

/// Check one registration number: a registered label with its status, a
/// number never issued (counterfeit warning and how to report it), or a
/// probable typo with the corrected number.
#[utoipa::path(get, path = "/verify-label", tag = "pages",
    params(VerifyLabelParams),
    responses((status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 400, description = "The number is longer than 200 characters", content_type = "text/html", body = String)))]
pub async fn verify_label_page(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(&params, &headers);
    let v = vtr(lang);
    let number: String = params.get("number").cloned().unwrap_or_default();
    let too_long = number.chars().count() > verify::MAX_ROW_CHARS;
    let number: String = number.chars().take(verify::MAX_ROW_CHARS).collect();
    let mut tpl = VerifyLabelTpl {
        c: chrome(lang, v.label_title, &uri, &params),
        v,
        number: number.clone(),
        outcome: None,
        row: None,
        warning: false,
        rt: crate::report::rtr(lang),
        report: None,
    };
    if too_long {
        tpl.outcome = Some("invalid");
        tpl.row = Some(RowView {
            row: "1".into(),
            input: number,
            outcome_class: "invalid",
            outcome_text: Outcome::InvalidNumber.text(lang),
            label: None,
            candidates: Vec::new(),
            suggestion: None,
            suggestion_href: None,
            detail: Some(format!(
                "{} > {}",
                params.get("number").map(|n| n.chars().count()).unwrap_or(0),
                verify::MAX_ROW_CHARS
            )),
        });
        return html(StatusCode::BAD_REQUEST, tpl.render());
    }
    if !number.trim().is_empty() {
        match st.registry.verify_number(&number, &st.base_url).await {
            Ok(r) => {
                tpl.outcome = Some(outcome_class(r.outcome));
                tpl.warning = r
                    .label
                    .as_ref()
                    .is_some_and(|l| l.status != LabelStatus::Active);
                // A number never issued, a mistyped one and a label that is
                // not active may all be on a counterfeit: offer the report
                // form (unfolded for a number never issued).
                let suspicious = match r.outcome {
                    Outcome::NotIssued | Outcome::ProbableTypo => true,
                    Outcome::Labeled => tpl.warning,
                    _ => false,
                };
                if suspicious {
                    tpl.report = Some(crate::report::ReportFormView {
                        number: r.input.chars().take(64).collect(),
                        open: r.outcome == Outcome::NotIssued,
                        ..Default::default()
                    });
                }
                tpl.row = Some(row_view(&r, lang));
            }
            Err(e) => {
                tracing::error!(error = %e, "verify-label failed");
                return html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Ok(i18n::tr(lang).error_text.to_string()),
                );
            }
        }
    }
    html(StatusCode::OK, tpl.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(bytes: usize) -> StoredReport {
        StoredReport {
            files: vec![(ReportFormat::Json, vec![b'{'; bytes], None)],
        }
    }

    #[test]
    fn reports_are_bounded_by_count_and_size() {
        let r = Reports::default();
        let first = r.put(report(10)).expect("kept");
        for _ in 0..REPORTS_KEPT {
            r.put(report(10)).expect("kept");
        }
        assert!(r.get(&first).is_none(), "the oldest is dropped by count");
        let big = r.put(report(REPORTS_MAX_BYTES / 2)).expect("kept");
        let second = r.put(report(REPORTS_MAX_BYTES / 2)).expect("kept");
        assert!(r.get(&second).is_some());
        assert!(r.get(&big).is_some());
        let third = r.put(report(REPORTS_MAX_BYTES / 2)).expect("kept");
        assert!(r.get(&third).is_some());
        assert!(
            r.get(&big).is_none() || r.get(&second).is_none(),
            "the total stays within the bound"
        );
        assert!(r.put(report(REPORTS_MAX_BYTES + 1)).is_none());
    }
}
