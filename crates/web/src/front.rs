//! The front door: a product page (HTML or JSON) that is already rendered
//! and current is answered here, before routing and before the middleware
//! stack, because on a public registry nearly every request is one (the QR
//! code on a box leads to it).
//!
//! The answer must be the one the full stack would give, byte for byte
//! apart from the `Date` header; `tests/front.rs` holds the two to that. So
//! this path only answers when nothing that the stack would do differently
//! applies:
//! - `GET` of `/labels/{number}` or `/api/v1/labels/{number}`, with no query
//!   or only `lang=ja` / `lang=en`, and no body;
//! - no `Authorization` header (token holders are not rate limited and are
//!   checked by the stack);
//! - no `Accept-Encoding`, or a plain list of encodings without weights
//!   that names gzip (what browsers send: `gzip, deflate, br, zstd`), for
//!   which the stack would choose gzip too; the page is then compressed
//!   once and kept so (any weight, wildcard or `identity` goes to the
//!   stack, which has the whole negotiation);
//! - the page is in the cache and current, and the head of the shared
//!   database was compared within the cache's poll period (when a
//!   comparison is due, the stack does it);
//! - the client's address is within its cheap budget (when it is not, the
//!   stack answers the 429).
//!
//! Everything else, including every miss, goes to the stack unchanged.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Method, Request, header};
use axum::response::Response;
use axum::routing::future::RouteFuture;
use futures_util::future::Either;
use hyper::body::Incoming;
use tower::Service as _;

use crate::AppState;
use crate::cache::Format;
use crate::conn::address_key;
use crate::limit::Class;

/// The application as served: the full router, and the shared state the
/// front door reads (none: every request goes through the router).
#[derive(Clone)]
pub struct App {
    router: Router,
    state: Option<AppState>,
}

impl App {
    pub(crate) fn new(router: Router, state: AppState) -> App {
        App {
            router,
            state: Some(state),
        }
    }

    /// The same application with every request going through the router
    /// (to compare the two answers, and to measure what the front saves).
    pub fn without_front(self) -> App {
        App {
            router: self.router,
            state: None,
        }
    }

    /// How many requests the front door has answered.
    pub fn front_answers(&self) -> u64 {
        self.state.as_ref().map_or(0, |st| {
            st.front_answers.load(std::sync::atomic::Ordering::Relaxed)
        })
    }

    /// The router behind the front door.
    pub fn router(&self) -> &Router {
        &self.router
    }

    pub(crate) fn for_peer(&self, peer: SocketAddr) -> Connection {
        Connection {
            app: self.clone(),
            peer,
        }
    }
}

impl From<Router> for App {
    fn from(router: Router) -> App {
        App {
            router,
            state: None,
        }
    }
}

/// One connection's service: the front door, then the router with the
/// peer's address in the request's extensions.
#[derive(Clone)]
pub(crate) struct Connection {
    app: App,
    peer: SocketAddr,
}

impl hyper::service::Service<Request<Incoming>> for Connection {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, RouteFuture<Infallible>>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        if let Some(st) = &self.app.state
            && let Some(resp) = answer(st, &req, self.peer)
        {
            return Either::Left(ready(Ok(resp)));
        }
        req.extensions_mut()
            .insert(ConnectInfo::<SocketAddr>(self.peer));
        // The router is always ready; a clone is one reference count.
        Either::Right(self.app.router.clone().call(req.map(Body::new)))
    }
}

/// Whether the client asks for gzip: `None` when the front door should
/// leave the negotiation to the stack.
fn wants_gzip(h: &axum::http::HeaderMap) -> Option<bool> {
    let mut values = h.get_all(header::ACCEPT_ENCODING).iter();
    let Some(value) = values.next() else {
        return Some(false);
    };
    if values.next().is_some() {
        return None;
    }
    let value = value.to_str().ok()?;
    let mut gzip = false;
    for token in value.split(',') {
        let token = token.trim();
        if token.contains(';') || token == "*" || token.eq_ignore_ascii_case("identity") {
            return None;
        }
        gzip |= token.eq_ignore_ascii_case("gzip");
    }
    gzip.then_some(true)
}

/// What the product page path names, when the front door may answer it:
/// the number, the language asked for in the query, JSON or not, gzip or
/// not.
fn product_page<B>(req: &Request<B>) -> Option<(&str, Option<&str>, bool, bool)> {
    if req.method() != Method::GET {
        return None;
    }
    let h = req.headers();
    let gzip = wants_gzip(h)?;
    if h.contains_key(header::AUTHORIZATION)
        || h.contains_key(header::CONTENT_LENGTH)
        || h.contains_key(header::TRANSFER_ENCODING)
    {
        return None;
    }
    let path = req.uri().path();
    let (number, json) = if let Some(n) = path.strip_prefix("/api/v1/labels/") {
        (n, true)
    } else if let Some(n) = path.strip_prefix("/labels/") {
        (n, false)
    } else {
        return None;
    };
    // Percent-escapes and further segments are the router's to decode.
    if number.is_empty()
        || !number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return None;
    }
    // The language is left to the same negotiation the page handler uses.
    let lang = match req.uri().query().map(|q| q.strip_prefix("lang=")) {
        None => None,
        Some(Some(l @ ("ja" | "en"))) => Some(l),
        Some(_) => return None,
    };
    Some((number, lang, json, gzip))
}

/// The cached answer, or `None` for the stack to answer.
fn answer<B>(st: &AppState, req: &Request<B>, peer: SocketAddr) -> Option<Response> {
    let (number, query_lang, json, gzip) = product_page(req)?;
    let headers = req.headers();
    let format = if json {
        Format::Json
    } else {
        Format::Html(crate::i18n::negotiate(
            query_lang,
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ))
    };
    let stamp = st.pages.stamp_if_polled(&st.registry)?;
    let page = st.pages.get(number, format, stamp)?;
    if let Some(key) = st.limiter.client_of(headers, Some(peer)).map(address_key)
        && st.limiter.check(Class::Cheap, key).is_some()
    {
        return None;
    }
    let mut resp = page.respond_encoded(headers, gzip);
    let h = resp.headers_mut();
    for (name, value) in crate::SECURITY_HEADERS {
        h.insert(name, HeaderValue::from_static(value));
    }
    st.front_answers
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Some(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn ae(values: &[&str]) -> Option<bool> {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        }
        wants_gzip(&h)
    }

    #[test]
    fn only_plain_lists_are_negotiated_here() {
        assert_eq!(ae(&[]), Some(false));
        assert_eq!(ae(&["gzip, deflate, br, zstd"]), Some(true));
        assert_eq!(ae(&["GZip"]), Some(true));
        assert_eq!(ae(&[" br ,gzip "]), Some(true));
        // Lists the front door leaves to the stack's negotiation.
        assert_eq!(ae(&["br"]), None);
        assert_eq!(ae(&["deflate, br"]), None);
        assert_eq!(ae(&["gzip;q=0.5"]), None);
        assert_eq!(ae(&["gzip, *"]), None);
        assert_eq!(ae(&["gzip, identity"]), None);
        assert_eq!(ae(&["identity;q=0"]), None);
        assert_eq!(ae(&[""]), None);
        assert_eq!(ae(&["gzip", "br"]), None);
    }

    #[test]
    fn only_product_pages_without_extras_are_answered_here() {
        let req = |method: Method, uri: &str, h: &[(&str, &str)]| {
            let mut b = Request::builder().method(method).uri(uri);
            for (k, v) in h {
                b = b.header(*k, *v);
            }
            b.body(()).unwrap()
        };
        let n = "JCS1-2026-000001-2";
        let page = format!("/labels/{n}");
        let api = format!("/api/v1/labels/{n}");
        let r = req(Method::GET, &page, &[]);
        assert_eq!(product_page(&r), Some((n, None, false, false)));
        let r = req(
            Method::GET,
            &format!("{api}?lang=en"),
            &[("accept-encoding", "gzip")],
        );
        assert_eq!(product_page(&r), Some((n, Some("en"), true, true)));
        for (m, uri, h) in [
            (Method::HEAD, page.clone(), vec![]),
            (Method::POST, page.clone(), vec![]),
            (Method::GET, format!("{page}?lang=en&x=1"), vec![]),
            (Method::GET, format!("{page}?lang=fr"), vec![]),
            (Method::GET, format!("{page}/label.svg"), vec![]),
            (Method::GET, "/labels/JCS1%2D2026".to_string(), vec![]),
            (Method::GET, "/labels/".to_string(), vec![]),
            (Method::GET, "/api/v1/labels".to_string(), vec![]),
            (
                Method::GET,
                page.clone(),
                vec![("authorization", "Bearer x")],
            ),
            (Method::GET, page.clone(), vec![("content-length", "0")]),
            (Method::GET, page.clone(), vec![("accept-encoding", "br")]),
        ] {
            assert_eq!(
                product_page(&req(m.clone(), &uri, &h)),
                None,
                "{m} {uri} {h:?}"
            );
        }
    }
}
