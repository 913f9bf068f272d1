//! Rendered product pages (HTML per language, and the JSON), kept in memory
//! so that a popular label's page costs a hash lookup instead of two
//! database reads and a template render.
//!
//! An entry is only served while it is provably current:
//! - it carries the registry's write generation at the moment the page's
//!   data was read, and every write committed through this process changes
//!   that number (`Registry::generation`);
//! - it carries the registry clock's date, because "Expired" follows from
//!   the end date with no event, so a page rendered yesterday may be wrong
//!   today although nothing was written;
//! - writes by other processes sharing the database (the `jcstar registry`
//!   CLI, another web node) do not touch this process's counter, so at most
//!   once per [`HEAD_POLL`] one request also reads the event log's head
//!   sequence number and, if it moved, invalidates everything.
//!
//! Entries are bounded in number (least recently used go first), so a crawler
//! walking every label cannot grow the process without limit.

use std::hash::{Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::NaiveDate;
use jcstar_criteria::Lang;
use jcstar_registry::Registry;
use lru::LruCache;

/// How often the shared database's head is compared (writes by other
/// processes become visible within this time).
pub const HEAD_POLL: Duration = Duration::from_secs(1);

/// Default number of cached pages (each some kilobytes).
pub const DEFAULT_ENTRIES: usize = 8192;

/// Which rendering of a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// An HTML page in one language.
    Html(Lang),
    /// The JSON form.
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    /// The number as it appeared in the path: the page's own links are built
    /// from the request path, so two spellings are two renderings.
    number: Box<str>,
    format: Format,
}

/// When a rendering was made: valid only while both still hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    generation: u64,
    today: NaiveDate,
}

/// A rendered page, ready to send.
#[derive(Clone)]
pub struct Cached {
    body: Bytes,
    etag: HeaderValue,
    content_type: HeaderValue,
    vary: Option<HeaderValue>,
    /// The body gzip-compressed, made by the first client that accepts it
    /// and shared by every copy of this entry: browsers all ask for gzip,
    /// and compressing a page once instead of on every request is most of
    /// what serving it costs.
    gzip: Arc<OnceLock<Bytes>>,
}

struct Entry {
    stamp: Stamp,
    page: Cached,
}

/// The cache of rendered product pages (see the module documentation).
pub struct PageCache {
    entries: Mutex<LruCache<Key, Entry>>,
    /// Milliseconds since `epoch` of the last head comparison.
    polled_at_ms: AtomicU64,
    /// Head sequence number seen at the last comparison (-1: none yet).
    head_seen: AtomicI64,
    epoch: Instant,
}

impl PageCache {
    /// A cache holding at most `capacity` pages (at least one).
    pub fn new(capacity: usize) -> PageCache {
        PageCache {
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
            )),
            polled_at_ms: AtomicU64::new(0),
            head_seen: AtomicI64::new(-1),
            epoch: Instant::now(),
        }
    }

    /// The current stamp. Take it BEFORE reading the page's data: a write
    /// that lands in between then makes the new entry stale at once instead
    /// of hiding behind it.
    pub async fn stamp(&self, reg: &Registry) -> Stamp {
        self.poll_head(reg).await;
        Self::current(reg)
    }

    fn current(reg: &Registry) -> Stamp {
        Stamp {
            generation: reg.generation(),
            today: reg.today(),
        }
    }

    /// The current stamp when no head comparison is due, without waiting
    /// for anything (for the front door, which leaves a due comparison to
    /// the request path that can wait for the database).
    pub fn stamp_if_polled(&self, reg: &Registry) -> Option<Stamp> {
        let now_ms = self.epoch.elapsed().as_millis() as u64;
        if self.poll_due(now_ms, self.polled_at_ms.load(Ordering::Relaxed)) {
            return None;
        }
        Some(Self::current(reg))
    }

    fn poll_due(&self, now_ms: u64, last: u64) -> bool {
        self.head_seen.load(Ordering::Acquire) < 0
            || now_ms.saturating_sub(last) >= HEAD_POLL.as_millis() as u64
    }

    async fn poll_head(&self, reg: &Registry) {
        let now_ms = self.epoch.elapsed().as_millis() as u64;
        let last = self.polled_at_ms.load(Ordering::Relaxed);
        let due = self.poll_due(now_ms, last);
        // One request per period does the query; the others go on.
        if !due
            || self
                .polled_at_ms
                .compare_exchange(last, now_ms, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        match reg.head_seq().await {
            Ok(seq) => {
                let before = self.head_seen.swap(seq, Ordering::AcqRel);
                if before >= 0 && before != seq {
                    reg.note_external_change();
                }
            }
            Err(e) => {
                // Without the comparison nothing cached can be trusted.
                tracing::warn!(error = %e, "page cache: head check failed");
                reg.note_external_change();
            }
        }
    }

    /// The page for `number` in `format`, if one rendered under `stamp` is cached; a stale one is
    /// dropped.
    pub fn get(&self, number: &str, format: Format, stamp: Stamp) -> Option<Cached> {
        let key = Key {
            number: number.into(),
            format,
        };
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match entries.get(&key) {
            Some(e) if e.stamp == stamp => Some(e.page.clone()),
            Some(_) => {
                entries.pop(&key);
                None
            }
            None => None,
        }
    }

    /// Caches `body` as the page for `number` in `format`, rendered under `stamp`, and returns it
    /// ready to send.
    pub fn put(
        &self,
        number: &str,
        format: Format,
        stamp: Stamp,
        body: impl Into<Bytes>,
    ) -> Cached {
        let body: Bytes = body.into();
        let page = Cached {
            etag: etag(&body),
            content_type: HeaderValue::from_static(match format {
                Format::Html(_) => "text/html; charset=utf-8",
                Format::Json => "application/json",
            }),
            vary: match format {
                Format::Html(_) => Some(HeaderValue::from_static("Accept-Language")),
                Format::Json => None,
            },
            body,
            gzip: Arc::default(),
        };
        let key = Key {
            number: number.into(),
            format,
        };
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.put(
            key,
            Entry {
                stamp,
                page: page.clone(),
            },
        );
        page
    }
}

/// A strong validator derived from the bytes themselves, so equal pages get
/// equal tags across restarts and nodes.
fn etag(body: &[u8]) -> HeaderValue {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    HeaderValue::from_str(&format!("\"{:016x}-{:x}\"", h.finish(), body.len()))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

fn matches_if_none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(tag) = etag.to_str() else {
        return false;
    };
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t == tag || t.strip_prefix("W/") == Some(tag))
}

impl Cached {
    /// Whether the stack's compression layer would compress this page for
    /// a client that accepts it (its default rule: 32 bytes or more).
    pub fn compressible(&self) -> bool {
        self.body.len() >= 32
    }

    /// The body gzip-compressed (default level, as the stack's compression
    /// layer uses), made once.
    pub fn gzip(&self) -> Bytes {
        self.gzip
            .get_or_init(|| {
                use std::io::Write as _;
                let mut enc = flate2::write::GzEncoder::new(
                    Vec::with_capacity(self.body.len() / 3),
                    flate2::Compression::default(),
                );
                // Writing into a Vec cannot fail.
                let _ = enc.write_all(&self.body);
                Bytes::from(enc.finish().unwrap_or_default())
            })
            .clone()
    }

    /// [`Self::respond`] with the body gzip-compressed when `gzip` is set
    /// and there is a body worth compressing; the headers then say so as
    /// the compression layer's would.
    pub fn respond_encoded(&self, request: &HeaderMap, gzip: bool) -> Response {
        let mut resp = self.respond(request);
        if resp.status() != StatusCode::OK || !self.compressible() {
            return resp;
        }
        // The compression layer announces that the answer depends on
        // Accept-Encoding whenever it could have compressed it.
        resp.headers_mut()
            .append(header::VARY, HeaderValue::from_static("accept-encoding"));
        if gzip {
            *resp.body_mut() = Body::from(self.gzip());
            resp.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        resp
    }

    /// 200 with the body, or 304 when the client already holds these bytes.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let not_modified = matches_if_none_match(request, &self.etag);
        let mut resp = if not_modified {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            Response::new(Body::from(self.body.clone()))
        };
        let h = resp.headers_mut();
        if !not_modified {
            h.insert(header::CONTENT_TYPE, self.content_type.clone());
        }
        h.insert(header::ETAG, self.etag.clone());
        // Statuses change (surveillance, revocation, expiry): caches must ask.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if let Some(v) = &self.vary {
            h.insert(header::VARY, v.clone());
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let tag = etag(b"page");
        let t = tag.to_str().unwrap().to_string();
        let mut h = HeaderMap::new();
        assert!(!matches_if_none_match(&h, &tag));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{t}")).unwrap(),
        );
        assert!(matches_if_none_match(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!matches_if_none_match(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches_if_none_match(&h, &tag));
        assert_ne!(etag(b"page"), etag(b"page2"));
    }
}
