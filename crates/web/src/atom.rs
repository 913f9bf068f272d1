//! `/feed.atom`: the registry's label events as an Atom feed (RFC 4287), for
//! people who follow a vendor, a level or a status in a feed reader. The
//! same filters as `/api/v1/feed`; newest first.
//!
//! It reads a bounded window of the log (the newest [`WINDOW`] events), so
//! an anonymous request costs the same however long the log is, and it
//! answers 304 to a reader that already has the current answer. The XML is
//! written by `atom_syndication`, which escapes every text.

use atom_syndication::{Entry, Feed, FixedDateTime, Link, Person, Text};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jcstar_criteria::Lang;
use jcstar_registry::{Actor, FeedScope};

use crate::AppState;
use crate::api::ApiResult;
use crate::api::{FeedParams, Fresh, log_freshness};
use crate::error::ApiError;
use crate::i18n;
use crate::query::ApiQuery;

/// How many of the newest events the feed looks at.
pub const WINDOW: i64 = 2000;

/// How many entries the feed holds at most.
pub const ENTRIES: usize = 50;

/// Label events as an Atom feed, newest first: the newest events (among the
/// last 2,000 of the log) of the labels the filters select.
#[utoipa::path(get, path = "/feed.atom", tag = "public",
    params(AtomParams),
    responses((status = 200, description = "Atom feed", content_type = "application/atom+xml", body = String),
        (status = 304, description = "Unchanged since the answer whose ETag was sent in If-None-Match"),
        (status = 400, description = "An unknown or repeated parameter", body = crate::error::ErrorBody),
        (status = 422, description = "A parameter's value is not accepted", body = crate::error::ErrorBody)))]
pub async fn feed(
    State(st): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<AtomParams>,
) -> ApiResult<Response> {
    let public = Actor::public();
    let fail = |e| ApiError::from_registry(e, &public);
    let lang = match params.lang.as_deref() {
        Some("en") => Lang::En,
        _ => Lang::Ja,
    };
    let (etag, head) = match log_freshness(&st, &headers, uri.query()).await {
        Ok(Fresh::Changed { etag, head }) => (etag, head),
        Ok(Fresh::NotModified(resp)) => return Ok(resp),
        Err(e) => return Err(fail(e)),
    };
    let mut events = Vec::new();
    let mut after = (head - WINDOW).max(0);
    loop {
        let page = st
            .registry
            .events_filtered(FeedScope::Labels, after, None, 1000, &params.filter())
            .await
            .map_err(fail)?;
        events.extend(page.events);
        match page.next_after_seq {
            Some(n) => after = n,
            None => break,
        }
    }
    let newest: Vec<_> = events.iter().rev().take(ENTRIES).collect();

    let en = lang == Lang::En;
    let self_url = format!("{}{}", st.page_url("").trim_end_matches("/labels/"), uri);
    let base = st.page_url("");
    let base = base.trim_end_matches("/labels/");
    let updated: FixedDateTime = newest
        .first()
        .map(|e| e.at)
        .unwrap_or_else(|| st.registry.now())
        .into();
    let mut feed = Feed::default();
    feed.set_title(Text::plain(if en {
        "JC-STAR label registry: label events"
    } else {
        "JC-STAR ラベル登録簿: ラベルの変更"
    }));
    feed.set_id(self_url.clone());
    feed.set_updated(updated);
    feed.set_lang(Some(if en { "en" } else { "ja" }.to_string()));
    feed.set_authors(vec![person(if en {
        "JC-STAR label registry"
    } else {
        "JC-STAR ラベル登録簿"
    })]);
    feed.set_links(vec![
        link(&self_url, "self", Some("application/atom+xml")),
        link(
            &format!("{base}/?lang={}", if en { "en" } else { "ja" }),
            "alternate",
            Some("text/html"),
        ),
    ]);
    let entries = newest
        .into_iter()
        .map(|e| {
            let number = e.label_number.clone().unwrap_or_default();
            let kind = i18n::event_text(e.kind, lang);
            let mut entry = Entry::default();
            entry.set_title(Text::plain(format!("{number}: {kind}")));
            // The event's place in the log, which never changes.
            entry.set_id(format!(
                "{base}/api/v1/feed?since_seq={}&limit=1",
                e.seq - 1
            ));
            entry.set_updated(FixedDateTime::from(e.at));
            entry.set_published(Some(FixedDateTime::from(e.at)));
            entry.set_links(vec![link(
                &format!(
                    "{}?lang={}",
                    st.page_url(&number),
                    if en { "en" } else { "ja" }
                ),
                "alternate",
                Some("text/html"),
            )]);
            let who = if e.actor.org.is_empty() {
                if en {
                    "scheme operator"
                } else {
                    "制度運営者"
                }
                .to_string()
            } else {
                e.actor.org.clone()
            };
            entry.set_authors(vec![person(&who)]);
            if let Some(r) = e.reason.as_deref().filter(|r| !r.is_empty()) {
                entry.set_summary(Some(Text::plain(r.to_string())));
            }
            entry
        })
        .collect::<Vec<_>>();
    feed.set_entries(entries);
    let body = feed
        .write_to(Vec::new())
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(resp)
}

/// The Atom feed's parameters: those of `/api/v1/feed` that select labels,
/// and the language.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtomParams {
    /// Only events of labels of this ★ level (1 to 4).
    #[serde(default, deserialize_with = "crate::query::strict")]
    #[param(value_type = Option<u8>, minimum = 1, maximum = 4)]
    pub level: Option<jcstar_registry::Level>,
    /// Only events of labels with this status as of today.
    #[serde(default, deserialize_with = "crate::query::strict")]
    pub status: Option<jcstar_registry::LabelStatus>,
    /// Only events of labels whose applicant company name contains this.
    #[serde(default, deserialize_with = "crate::query::text")]
    #[param(max_length = 200, pattern = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$")]
    pub company: Option<String>,
    /// Only events of labels with a product type containing this.
    #[serde(default, rename = "type", deserialize_with = "crate::query::text")]
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

impl crate::query::QueryParams for AtomParams {
    fn accepts(param: &str) -> Option<crate::query::Text> {
        match param {
            "lang" => Some(crate::query::LANG),
            _ => crate::api::feed_filter_accepts(param),
        }
    }

    fn check(&self) -> Result<(), &'static str> {
        if !crate::query::text_ok(&self.company, 200) {
            return Err("company");
        }
        if !crate::query::text_ok(&self.product_type, 200) {
            return Err("type");
        }
        Ok(())
    }
}

impl AtomParams {
    fn filter(&self) -> jcstar_registry::FeedFilter {
        FeedParams {
            level: self.level,
            status: self.status,
            company: self.company.clone(),
            product_type: self.product_type.clone(),
            ..Default::default()
        }
        .filter()
    }
}

fn person(name: &str) -> Person {
    let mut p = Person::default();
    p.set_name(name.to_string());
    p
}

fn link(href: &str, rel: &str, mime: Option<&str>) -> Link {
    let mut l = Link::default();
    l.set_href(href.to_string());
    l.set_rel(rel.to_string());
    l.set_mime_type(mime.map(str::to_string));
    l
}
