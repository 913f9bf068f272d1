//! Server-rendered HTML: home, search, the product information page, error
//! pages, and the label images. Text is escaped by the templates (askama
//! escapes every `{{ }}` in `.html` templates).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use jcstar_criteria::Lang;
use jcstar_registry::{
    Error as RegError, Label, LabelStatus, LabelSummary, Level, ModelMatch, Product, SearchQuery,
    Surveillance, UpdateEntry,
};

use crate::AppState;
use crate::cache::Format;
use crate::i18n::{self, Tr};
use crate::label::{LabelArt, label_png, label_svg};
use crate::query::{ImageParams, LangOnly, PageQuery, SearchParams};
use jcstar_registry::number::NumberError;

/// What every page's frame needs.
pub struct Chrome {
    /// The page's language code (`ja`, `en`).
    pub lang: &'static str,
    /// The page strings in that language.
    pub t: &'static Tr,
    /// The page title.
    pub title: String,
    /// Link to the same page in the other language.
    pub alt_href: String,
}

pub(crate) fn lang_of(params: &HashMap<String, String>, headers: &HeaderMap) -> Lang {
    i18n::negotiate(
        params.get("lang").map(String::as_str),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

pub(crate) fn chrome(
    lang: Lang,
    title: impl Into<String>,
    uri: &Uri,
    params: &HashMap<String, String>,
) -> Chrome {
    let other = match lang {
        Lang::Ja => "en",
        Lang::En => "ja",
    };
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "lang")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.sort();
    pairs.push(("lang", other));
    let alt_href = format!("{}?{}", local_path(uri.path()), encode_query(&pairs));
    Chrome {
        lang: i18n::code(lang),
        t: i18n::tr(lang),
        title: title.into(),
        alt_href,
    }
}

/// `path` when it can only name a page of this site, else `/`: a request
/// for `//evil.example/x` must not produce a link to another host.
fn local_path(path: &str) -> &str {
    let mut rest = path.chars().skip(1);
    let safe = path.starts_with('/')
        && !matches!(rest.next(), Some('/' | '\\'))
        && !path.contains('\\')
        && !path.chars().any(char::is_control);
    if safe { path } else { "/" }
}

fn encode_query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// An HTML answer; the language depends on headers, so caches must know.
pub(crate) fn html(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    match body {
        Ok(b) => {
            let mut resp = (status, Html(b)).into_response();
            resp.headers_mut()
                .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// One choice of a select field of the search form.
pub struct SelectOption {
    /// The value sent.
    pub value: String,
    /// The text shown.
    pub text: String,
    /// Whether the request chose it.
    pub selected: bool,
}

/// The search form's current values.
pub struct SearchForm {
    /// The keyword field (`q`).
    pub q: String,
    /// The company-name field.
    pub company: String,
    /// The product-name field.
    pub product: String,
    /// The model-number field.
    pub model: String,
    /// The product-type field (`type`).
    pub product_type: String,
    /// The model-number match choices.
    pub model_matches: Vec<SelectOption>,
    /// The registration-number field.
    pub number: String,
    /// Start of the issue-date range.
    pub issued_from: String,
    /// End of the issue-date range.
    pub issued_to: String,
    /// Start of the validity-end range.
    pub valid_until_from: String,
    /// End of the validity-end range.
    pub valid_until_to: String,
    /// Open the folded criteria: one of them is set.
    pub more_open: bool,
    /// The level choices.
    pub levels: Vec<SelectOption>,
    /// The status choices.
    pub statuses: Vec<SelectOption>,
}

impl SearchForm {
    fn new(lang: Lang, params: &HashMap<String, String>) -> Self {
        let get = |k: &str| params.get(k).cloned().unwrap_or_default();
        let level = get("level");
        let status = get("status");
        let model_match = get("model_match");
        let t = i18n::tr(lang);
        let more = [
            "type",
            "model_match",
            "issued_from",
            "issued_to",
            "valid_until_from",
            "valid_until_to",
        ];
        SearchForm {
            q: get("q"),
            company: get("company"),
            product: get("product"),
            model: get("model"),
            product_type: get("type"),
            model_matches: [
                (ModelMatch::Contains, t.match_contains),
                (ModelMatch::Prefix, t.match_prefix),
                (ModelMatch::Exact, t.match_exact),
            ]
            .into_iter()
            .map(|(m, text)| SelectOption {
                value: m.as_str().to_string(),
                text: text.to_string(),
                selected: model_match == m.as_str(),
            })
            .collect(),
            number: get("number"),
            issued_from: get("issued_from"),
            issued_to: get("issued_to"),
            valid_until_from: get("valid_until_from"),
            valid_until_to: get("valid_until_to"),
            more_open: more.iter().any(|k| !get(k).trim().is_empty()),
            levels: Level::ALL
                .iter()
                .map(|l| SelectOption {
                    value: l.number().to_string(),
                    text: l.to_string(),
                    selected: level == l.number().to_string(),
                })
                .collect(),
            statuses: LabelStatus::ALL
                .iter()
                .map(|s| SelectOption {
                    value: s.as_str().to_string(),
                    text: i18n::status_text(*s, lang).to_string(),
                    selected: status == s.as_str(),
                })
                .collect(),
        }
    }
}

/// 12345 as "12,345".
fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The level as four stars, filled up to it (`★★☆☆` for ★2).
pub fn stars(level: Level) -> String {
    (1..=4)
        .map(|i| if i <= level.number() { '★' } else { '☆' })
        .collect()
}

fn level_text(level: Level, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("★{}（レベル{}）", level.number(), level.number()),
        Lang::En => format!("★{} (level {})", level.number(), level.number()),
    }
}

/// One search result.
pub struct ResultRow {
    /// The registration number.
    pub number: String,
    /// The level as stars.
    pub stars: String,
    /// The level in words.
    pub level_text: String,
    /// The status's snake_case name, used as a CSS class.
    pub status_class: &'static str,
    /// The status in words.
    pub status_text: &'static str,
    /// The applicant company.
    pub company: String,
    /// Product names, joined.
    pub products: String,
    /// Model numbers, joined.
    pub models: String,
    /// Last day of validity.
    pub valid_until: String,
}

fn result_row(s: &LabelSummary, lang: Lang) -> ResultRow {
    ResultRow {
        number: s.number.clone(),
        stars: stars(s.level),
        level_text: level_text(s.level, lang),
        status_class: s.status.as_str(),
        status_text: i18n::status_text(s.status, lang),
        company: s.company.clone(),
        products: s.products.join(" / "),
        models: s.model_numbers.join(", "),
        valid_until: s.valid_until.to_string(),
    }
}

/// One line of the home page's counts (per status or per level).
pub struct CountRow {
    /// The status or level as a search parameter value.
    pub value: String,
    /// The status or level in words.
    pub text: String,
    /// Labels counted.
    pub count: u64,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTpl {
    c: Chrome,
    f: SearchForm,
    total: u64,
    by_status: Vec<CountRow>,
    by_level: Vec<CountRow>,
    recent: Vec<ResultRow>,
}

/// The home page: label counts, the newest labels and the search form.
#[utoipa::path(get, path = "/", tag = "pages",
    params(LangOnly),
    responses((status = 200, description = "The page", content_type = "text/html", body = String)))]
pub async fn home(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(&params, &headers);
    let counts = match st.counts().await {
        Ok(c) => c,
        Err(e) => return error_page(lang, &uri, &params, e),
    };
    let recent = st
        .registry
        .search(&SearchQuery {
            limit: 5,
            ..Default::default()
        })
        .await
        .map(|p| p.items.iter().map(|s| result_row(s, lang)).collect())
        .unwrap_or_default();
    let tpl = HomeTpl {
        c: chrome(lang, i18n::tr(lang).home, &uri, &params),
        f: SearchForm::new(lang, &params),
        total: counts.total,
        by_status: LabelStatus::ALL
            .iter()
            .map(|s| CountRow {
                value: s.as_str().into(),
                text: i18n::status_text(*s, lang).into(),
                count: counts.by_status.get(s).copied().unwrap_or(0),
            })
            .collect(),
        by_level: Level::ALL
            .iter()
            .map(|l| CountRow {
                value: l.number().to_string(),
                text: l.to_string(),
                count: counts.by_level.get(l).copied().unwrap_or(0),
            })
            .collect(),
        recent,
    };
    html(StatusCode::OK, tpl.render())
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchTpl {
    c: Chrome,
    f: SearchForm,
    error: Option<String>,
    page: u64,
    /// The number of matching labels, as a phrase.
    hits: String,
    results: Vec<ResultRow>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

/// Results per search page.
pub const HTML_PAGE_SIZE: u64 = 20;

/// The search page: the form and one page of results. Unknown parameters
/// are ignored; a value a parameter does not accept is shown on the page.
#[utoipa::path(get, path = "/search", tag = "pages",
    params(SearchParams),
    responses((status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 400, description = "A parameter's value is not accepted; the page says which", content_type = "text/html", body = String)))]
pub async fn search(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    PageQuery(parsed): PageQuery<SearchParams>,
) -> Response {
    let lang = lang_of(&params, &headers);
    let t = i18n::tr(lang);
    let mut tpl = SearchTpl {
        c: chrome(lang, t.search, &uri, &params),
        f: SearchForm::new(lang, &params),
        error: None,
        page: 1,
        hits: String::new(),
        results: Vec::new(),
        prev_href: None,
        next_href: None,
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            tpl.error = Some(e.message());
            return html(StatusCode::BAD_REQUEST, tpl.render());
        }
    };
    let query = parsed.to_query(HTML_PAGE_SIZE);
    let page = parsed.page();
    tpl.page = page;
    match st.registry.search(&query).await {
        Ok(res) => {
            tpl.hits = t.hits.replace("{n}", &group_digits(res.total));
            tpl.results = res.items.iter().map(|s| result_row(s, lang)).collect();
            let href = |p: u64| {
                let mut pairs: Vec<(&str, String)> = params
                    .iter()
                    .filter(|(k, v)| k.as_str() != "page" && !v.is_empty())
                    .map(|(k, v)| (k.as_str(), v.clone()))
                    .collect();
                pairs.sort();
                pairs.push(("page", p.to_string()));
                let pairs: Vec<(&str, &str)> =
                    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                format!("/search?{}", encode_query(&pairs))
            };
            if page > 1 {
                tpl.prev_href = Some(href(page - 1));
            }
            if res.next_offset.is_some() {
                tpl.next_href = Some(href(page + 1));
            }
            html(StatusCode::OK, tpl.render())
        }
        Err(RegError::Invalid { message, .. }) => {
            tpl.error = Some(message.get(lang).to_string());
            html(StatusCode::BAD_REQUEST, tpl.render())
        }
        Err(e) => error_page(lang, &uri, &params, e),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessageTpl {
    c: Chrome,
    f: SearchForm,
    heading: String,
    text: String,
    detail: Option<String>,
}

fn message_page(
    status: StatusCode,
    lang: Lang,
    uri: &Uri,
    params: &HashMap<String, String>,
    heading: &str,
    text: &str,
    detail: Option<String>,
) -> Response {
    let tpl = MessageTpl {
        c: chrome(lang, heading, uri, params),
        f: SearchForm::new(lang, params),
        heading: heading.to_string(),
        text: text.to_string(),
        detail,
    };
    html(status, tpl.render())
}

/// The page for a registry error on a label path.
fn error_page(lang: Lang, uri: &Uri, params: &HashMap<String, String>, err: RegError) -> Response {
    let t = i18n::tr(lang);
    match err {
        RegError::NotFound { .. } => message_page(
            StatusCode::NOT_FOUND,
            lang,
            uri,
            params,
            t.not_found_title,
            t.not_found_text,
            None,
        ),
        RegError::Number(e) => message_page(
            // A wrong check character names no label that can exist.
            if matches!(e, NumberError::Check { .. }) {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::BAD_REQUEST
            },
            lang,
            uri,
            params,
            t.invalid_number_title,
            t.invalid_number_text,
            Some(e.message(lang)),
        ),
        other => {
            tracing::error!(error = %other, "page failed");
            message_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                lang,
                uri,
                params,
                t.error_title,
                t.error_text,
                None,
            )
        }
    }
}

/// HTML 404 for unknown paths.
pub async fn not_found_page(uri: Uri, headers: HeaderMap) -> Response {
    let params = HashMap::new();
    let lang = lang_of(&params, &headers);
    let t = i18n::tr(lang);
    message_page(
        StatusCode::NOT_FOUND,
        lang,
        &uri,
        &params,
        t.page_not_found,
        t.page_not_found,
        None,
    )
}

/// One event of a label's public history, as the page shows it.
pub struct HistoryRow {
    /// When, in Japan time.
    pub at: String,
    /// The event in words.
    pub event: &'static str,
    /// The reason recorded, if any.
    pub reason: Option<String>,
    /// The status after the event, as a CSS class.
    pub status_class: &'static str,
    /// The status after the event, in words.
    pub status_text: &'static str,
}

/// One vulnerability entry, as the page shows it.
pub struct VulnRow {
    /// Identifier (CVE, JVN …).
    pub id: String,
    /// Title.
    pub title: String,
    /// State in words.
    pub state: &'static str,
    /// State's snake_case name, used as a CSS class.
    pub state_class: String,
    /// Version with the fix, if any.
    pub fixed_in: Option<String>,
    /// Publication date.
    pub published_on: String,
}

/// One known vulnerability's standing, as the page shows it.
pub struct StandingRow {
    /// Identifier (CVE …).
    pub id: String,
    /// Standing in words.
    pub text: &'static str,
    /// Standing's snake_case name, used as a CSS class.
    pub class: &'static str,
    /// Version with the fix, if any.
    pub fixed_in: Option<String>,
    /// Why not affected, if given.
    pub justification: Option<String>,
    /// Day of the deciding statement.
    pub as_of: String,
}

/// One attached document (SBOM or VEX), as the page shows it.
pub struct DocRow {
    /// Firmware version (SBOM) or format (VEX).
    pub title: String,
    /// Format and details in words.
    pub detail: String,
    /// Day attached or published.
    pub on: String,
    /// Its stable address.
    pub href: String,
    /// SHA-256 of the document.
    pub sha256: String,
}

/// The product information page's content.
pub struct LabelView {
    /// The registration number.
    pub number: String,
    /// The level as stars.
    pub stars: String,
    /// The level in words.
    pub level_text: String,
    /// The status's snake_case name, used as a CSS class.
    pub status_class: &'static str,
    /// The status in words.
    pub status_text: &'static str,
    /// The warning for a label that is not active.
    pub banner: Option<&'static str>,
    /// Reason of the withdrawal or revocation.
    pub end_reason: Option<String>,
    /// Day of issuance.
    pub issued_on: String,
    /// Last day of validity.
    pub valid_until: String,
    /// The open surveillance case, if any.
    pub surveillance: Option<Surveillance>,
    /// The applicant company.
    pub company: String,
    /// Its address.
    pub address: String,
    /// Its general contact.
    pub contact: String,
    /// The products covered.
    pub products: Vec<Product>,
    /// Last day of security support, if announced.
    pub support_end: Option<String>,
    /// Contact for vulnerability reports.
    pub disclosure_contact: String,
    /// Published software updates.
    pub updates: Vec<UpdateEntry>,
    /// Known vulnerabilities.
    pub vulns: Vec<VulnRow>,
    /// Each known vulnerability's standing, newest first.
    pub standings: Vec<StandingRow>,
    /// SBOMs, newest first.
    pub sboms: Vec<DocRow>,
    /// VEX documents, newest first.
    pub vex: Vec<DocRow>,
    /// CSAF advisories, newest first.
    pub advisories: Vec<DocRow>,
    /// The label's public history.
    pub history: Vec<HistoryRow>,
    /// Link to the label image (SVG).
    pub svg_href: String,
    /// Link to the label image (PNG).
    pub png_href: String,
    /// Link to the label's JSON.
    pub json_href: String,
}

/// Times are shown in Japan time, the scheme's reference.
fn jst(t: DateTime<Utc>) -> String {
    match FixedOffset::east_opt(9 * 3600) {
        Some(o) => format!("{} JST", t.with_timezone(&o).format("%Y-%m-%d %H:%M")),
        None => format!("{} UTC", t.format("%Y-%m-%d %H:%M")),
    }
}

fn standing_class(s: jcstar_registry::VulnStanding) -> &'static str {
    use jcstar_registry::VulnStanding as S;
    match s {
        S::UnderInvestigation => "under_investigation",
        S::Fixed => "fixed",
        S::NotAffected => "not_affected",
        S::AffectedNoFix => "affected_no_fix",
    }
}

fn doc_href(number: &str, sha256: &str) -> String {
    format!("/api/v1/labels/{number}/documents/{sha256}")
}

fn label_view(label: &Label, history: &[jcstar_registry::HistoryEntry], lang: Lang) -> LabelView {
    let t = i18n::tr(lang);
    let standings = jcstar_registry::secinfo::vulnerability_statuses(&label.security)
        .into_iter()
        .map(|s| StandingRow {
            id: s.id,
            text: i18n::standing_text(s.standing, lang),
            class: standing_class(s.standing),
            fixed_in: s.fixed_in,
            justification: s.justification,
            as_of: s.as_of.to_string(),
        })
        .collect();
    let sboms = label
        .security
        .sboms
        .iter()
        .rev()
        .map(|s| DocRow {
            title: s.firmware_version.clone(),
            detail: format!(
                "{} {} · {} {}",
                s.format, s.spec_version, t.components, s.components
            ),
            on: s.attached_on.to_string(),
            href: doc_href(&label.number, &s.sha256),
            sha256: s.sha256.clone(),
        })
        .collect();
    let vex = label
        .security
        .vex
        .iter()
        .rev()
        .map(|v| DocRow {
            title: v.format.clone(),
            detail: v
                .statements
                .iter()
                .map(|s| format!("{}: {}", s.vulnerability, s.status))
                .collect::<Vec<_>>()
                .join(", "),
            on: v.published_on.to_string(),
            href: doc_href(&label.number, &v.sha256),
            sha256: v.sha256.clone(),
        })
        .collect();
    let banner = match label.status {
        LabelStatus::Active => None,
        LabelStatus::Expired => Some(t.banner_expired),
        LabelStatus::Withdrawn => Some(t.banner_withdrawn),
        LabelStatus::Revoked => Some(t.banner_revoked),
        LabelStatus::UnderSurveillance => Some(t.banner_surveillance),
    };
    LabelView {
        number: label.number.clone(),
        stars: stars(label.level),
        level_text: level_text(label.level, lang),
        status_class: label.status.as_str(),
        status_text: i18n::status_text(label.status, lang),
        banner,
        end_reason: match label.status {
            LabelStatus::Withdrawn | LabelStatus::Revoked => label.end_reason.clone(),
            _ => None,
        },
        issued_on: label.issued_on.to_string(),
        valid_until: label.valid_until.to_string(),
        surveillance: label.surveillance.clone(),
        company: label.applicant.company.clone(),
        address: label.applicant.address.clone(),
        contact: label.applicant.contact.clone(),
        products: label.products.clone(),
        support_end: label.security.support_end.map(|d| d.to_string()),
        disclosure_contact: label.security.disclosure_contact.clone(),
        updates: label.security.updates.iter().rev().cloned().collect(),
        advisories: label
            .security
            .advisories
            .iter()
            .rev()
            .map(|a| DocRow {
                title: format!("{} {}", a.tracking_id, a.title),
                detail: a.cves.join(", "),
                on: a.published_on.to_string(),
                href: doc_href(&label.number, &a.sha256),
                sha256: a.sha256.clone(),
            })
            .collect(),
        standings,
        sboms,
        vex,
        vulns: label
            .security
            .vulnerabilities
            .iter()
            .rev()
            .map(|v| VulnRow {
                id: v.id.clone(),
                title: v.title.clone(),
                state: i18n::vuln_state_text(v.state, lang),
                state_class: serde_json::to_value(v.state)
                    .ok()
                    .and_then(|s| s.as_str().map(str::to_string))
                    .unwrap_or_default(),
                fixed_in: v.fixed_in.clone(),
                published_on: v.published_on.to_string(),
            })
            .collect(),
        history: history
            .iter()
            .map(|h| HistoryRow {
                at: jst(h.at),
                event: i18n::event_text(h.kind, lang),
                reason: h.reason.clone(),
                status_class: h.status.as_str(),
                status_text: i18n::status_text(h.status, lang),
            })
            .collect(),
        svg_href: format!("/labels/{}/label.svg", label.number),
        png_href: format!("/labels/{}/label.png", label.number),
        json_href: format!("/api/v1/labels/{}", label.number),
    }
}

#[derive(Template)]
#[template(path = "label.html")]
struct LabelTpl {
    c: Chrome,
    v: LabelView,
}

/// The product information page of a label.
#[utoipa::path(get, path = "/labels/{number}", tag = "pages",
    params(("number" = String, Path, pattern = r"^[Jj][Cc][Ss][1-4]-[0-9]{4}-([0-9]{6}|[1-9][0-9]{6,17})-[0-9Xx]$",
        description = "Registration number, e.g. JCS1-2026-000123-K; a wrong check character is 404 (no label can have it)"),
        LangOnly),
    responses((status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 400, description = "Not a valid registration number", content_type = "text/html", body = String),
        (status = 404, description = "No such label", content_type = "text/html", body = String)))]
pub async fn label_page(
    State(st): State<AppState>,
    Path(number): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang_of(&params, &headers);
    // Other parameters end up in the page's links: render those afresh.
    let cacheable = params.keys().all(|k| k == "lang");
    let format = Format::Html(lang);
    let stamp = st.pages.stamp(&st.registry).await;
    if cacheable && let Some(hit) = st.pages.get(&number, format, stamp) {
        return hit.respond(&headers);
    }
    match st.registry.product_page(&number).await {
        Ok(page) => {
            let title = format!(
                "{} {}",
                page.label.number,
                page.label
                    .products
                    .first()
                    .map(|p| p.name.as_str())
                    .unwrap_or("")
            );
            let tpl = LabelTpl {
                c: chrome(lang, title, &uri, &params),
                v: label_view(&page.label, &page.history, lang),
            };
            match tpl.render() {
                Ok(body) if cacheable => {
                    st.pages.put(&number, format, stamp, body).respond(&headers)
                }
                body => html(StatusCode::OK, body),
            }
        }
        Err(e) => error_page(lang, &uri, &params, e),
    }
}

/// The label image as SVG. A label that is not active carries its status
/// across the image.
#[utoipa::path(get, path = "/labels/{number}/label.svg", tag = "pages",
    params(("number" = String, Path, pattern = r"^[Jj][Cc][Ss][1-4]-[0-9]{4}-([0-9]{6}|[1-9][0-9]{6,17})-[0-9Xx]$",
        description = "Registration number, e.g. JCS1-2026-000123-K"),
        LangOnly),
    responses((status = 200, description = "The label", content_type = "image/svg+xml", body = String),
        (status = 400, description = "Not a valid registration number", content_type = "text/html", body = String),
        (status = 404, description = "No such label", content_type = "text/html", body = String)))]
pub async fn label_image_svg(
    State(st): State<AppState>,
    Path(number): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    label_image(st, number, uri, headers, params, None).await
}

/// The label image as PNG. A label that is not active carries its status
/// across the image.
#[utoipa::path(get, path = "/labels/{number}/label.png", tag = "pages",
    params(("number" = String, Path, pattern = r"^[Jj][Cc][Ss][1-4]-[0-9]{4}-([0-9]{6}|[1-9][0-9]{6,17})-[0-9Xx]$",
        description = "Registration number, e.g. JCS1-2026-000123-K"),
        ImageParams),
    responses((status = 200, description = "The label", content_type = "image/png", body = Vec<u8>),
        (status = 400, description = "Not a valid registration number, or a scale out of range", content_type = "text/html", body = String),
        (status = 404, description = "No such label", content_type = "text/html", body = String)))]
pub async fn label_image_png(
    State(st): State<AppState>,
    Path(number): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    PageQuery(image): PageQuery<ImageParams>,
) -> Response {
    let lang = lang_of(&params, &headers);
    let scale = match image {
        Ok(p) => p.scale.unwrap_or(2.0),
        Err(e) => {
            let t = i18n::tr(lang);
            return message_page(
                StatusCode::BAD_REQUEST,
                lang,
                &uri,
                &params,
                t.invalid_query,
                &e.message(),
                None,
            );
        }
    };
    label_image(st, number, uri, headers, params, Some(scale)).await
}

/// What a label image of a label that is not active says across it. The
/// image's text is drawn from Latin outlines, so it is English; the QR code
/// leads to the product page, which explains the status in the reader's
/// language.
pub fn status_stamp(status: LabelStatus) -> Option<&'static str> {
    match status {
        LabelStatus::Active => None,
        LabelStatus::Expired => Some("EXPIRED"),
        LabelStatus::Withdrawn => Some("WITHDRAWN"),
        LabelStatus::Revoked => Some("REVOKED"),
        LabelStatus::UnderSurveillance => Some("UNDER SURVEILLANCE"),
    }
}

async fn label_image(
    st: AppState,
    number: String,
    uri: Uri,
    headers: HeaderMap,
    params: HashMap<String, String>,
    png_scale: Option<f32>,
) -> Response {
    let lang = lang_of(&params, &headers);
    let label = match st.registry.label(&number).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, &uri, &params, e),
    };
    let url = st.page_url(&label.number);
    let status = status_stamp(label.status);
    let art = LabelArt {
        level: label.level.number(),
        number: &label.number,
        url: &url,
        status,
    };
    let disposition = |ext: &str| format!("inline; filename=\"{}.{ext}\"", label.number);
    if let Some(scale) = png_scale {
        let bytes = tokio::task::spawn_blocking({
            let number = label.number.clone();
            let url = url.clone();
            let level = label.level.number();
            move || {
                label_png(
                    &LabelArt {
                        level,
                        number: &number,
                        url: &url,
                        status,
                    },
                    scale,
                )
            }
        })
        .await;
        match bytes {
            Ok(Ok(b)) => (
                [
                    (header::CONTENT_TYPE, "image/png".to_string()),
                    (header::CONTENT_DISPOSITION, disposition("png")),
                ],
                b,
            )
                .into_response(),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "label PNG");
                (StatusCode::INTERNAL_SERVER_ERROR, "label rendering failed").into_response()
            }
            Err(e) => {
                tracing::error!(error = %e, "label PNG task");
                (StatusCode::INTERNAL_SERVER_ERROR, "label rendering failed").into_response()
            }
        }
    } else {
        match label_svg(&art) {
            Ok(svg) => (
                [
                    (header::CONTENT_TYPE, "image/svg+xml".to_string()),
                    (header::CONTENT_DISPOSITION, disposition("svg")),
                ],
                svg,
            )
                .into_response(),
            Err(e) => {
                tracing::error!(error = %e, "label SVG");
                (StatusCode::INTERNAL_SERVER_ERROR, "label rendering failed").into_response()
            }
        }
    }
}
