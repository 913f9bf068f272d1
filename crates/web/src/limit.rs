//! What anonymous requests may cost: per-address token buckets and a bound
//! on expensive requests running at once.
//!
//! Requests fall into two classes. Cheap ones (product pages, label images,
//! the home page, the OpenAPI document; all served from caches or one
//! indexed read) have a generous bucket per client address. Expensive ones
//! (search, exports, the feed, the chain status, bulk verification) have a small bucket of
//! their own per address, and at most
//! [`RateLimits::expensive_concurrency`] of them run at once for all
//! anonymous clients together, so a crowd searching cannot take the CPU and
//! the database from people opening product pages. A request with a valid
//! API token is never counted against these buckets.
//!
//! Reports of suspected counterfeit labels sent anonymously (`POST
//! /verify-label/report`, `POST /api/v1/counterfeit-reports`) draw from a
//! third, tight bucket per address counted per minute
//! ([`RateLimits::reports`]): a person reports a few labels, a script
//! flooding the operator's queue gets 429. The registry bounds the open
//! reports of a day for all senders together.
//!
//! An address over its budget gets 429 with `Retry-After` (seconds until a
//! request would be accepted again); a full expensive lane gets 503 with
//! `Retry-After: 1` after a short wait. Both answers cost next to nothing.
//!
//! The buckets are governor's GCRA limiters (a well-kept crate; GCRA keeps
//! one timestamp per address instead of a counter and a refill task).
//! Addresses come from the connection (see [`crate::conn`]); behind a
//! reverse proxy name the header it sets in [`crate::Config::client_ip_header`].

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;

use crate::AppState;
use crate::api::Identity;
use crate::conn::address_key;
use crate::error::ApiError;

/// A token bucket: `per_second` refill, `burst` capacity. `per_second == 0`
/// turns the bucket off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Refill rate per second (per minute for [`RateLimits::reports`]); 0 turns the bucket off.
    pub per_second: u32,
    /// Capacity: the burst allowed (0: the refill rate).
    pub burst: u32,
}

/// The anonymous budgets (see the module documentation).
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Per address, cheap requests.
    pub cheap: Budget,
    /// Per address, expensive requests (search, export, feed, chain).
    pub expensive: Budget,
    /// Expensive anonymous requests running at once, all addresses together
    /// (0: no bound).
    pub expensive_concurrency: usize,
    /// How long an expensive request waits for a free lane before 503.
    pub expensive_wait: Duration,
    /// Per address, counterfeit reports: `per_second` is read as per
    /// MINUTE here (a few a minute), `burst` as the bucket's size.
    pub reports: Budget,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            cheap: Budget {
                per_second: 50,
                burst: 200,
            },
            expensive: Budget {
                per_second: 2,
                burst: 20,
            },
            expensive_concurrency: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .max(2),
            expensive_wait: Duration::from_secs(2),
            reports: Budget {
                per_second: 3,
                burst: 3,
            },
        }
    }
}

impl RateLimits {
    /// No per-address limits and no lane bound (tests, trusted networks).
    pub fn off() -> Self {
        let off = Budget {
            per_second: 0,
            burst: 0,
        };
        RateLimits {
            cheap: off,
            expensive: off,
            expensive_concurrency: 0,
            expensive_wait: Duration::ZERO,
            reports: off,
        }
    }
}

/// Which budget a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Per-address budget of ordinary requests.
    Cheap,
    /// Per-address budget of expensive requests (search, export, feeds, chain, verification).
    Expensive,
    /// Sending a counterfeit report.
    Report,
}

/// The class of a request path.
pub fn classify(path: &str) -> Class {
    let expensive = path == "/search"
        || path == "/api/v1/labels"
        || path == "/api/v1/feed"
        || path == "/feed.atom"
        || path == "/api/v1/chain"
        || path.starts_with("/api/v1/export/")
        || path.starts_with("/open-data/")
        || path == "/api/v1/verify"
        || path == "/verify"
        || path == "/csaf/feed.json"
        || path == "/.well-known/csaf/provider-metadata.json"
        || (path.starts_with("/api/v1/labels/") && path.contains("/documents/"));
    if expensive {
        Class::Expensive
    } else {
        Class::Cheap
    }
}

/// The class of a request: [`classify`], except that showing the bulk
/// verification form is cheap and sending a counterfeit report draws from
/// its own bucket.
pub fn classify_request(method: &axum::http::Method, path: &str) -> Class {
    let post = method == axum::http::Method::POST;
    if post && (path == "/verify-label/report" || path == "/api/v1/counterfeit-reports") {
        Class::Report
    } else if path == "/verify" && !post {
        Class::Cheap
    } else {
        classify(path)
    }
}

type Keyed = DefaultKeyedRateLimiter<IpAddr>;

/// The shared limiter state.
pub struct Limiter {
    cheap: Option<Keyed>,
    expensive: Option<Keyed>,
    reports: Option<Keyed>,
    lanes: Option<Arc<Semaphore>>,
    wait: Duration,
    client_ip_header: Option<HeaderName>,
    checks: AtomicU64,
}

fn keyed(b: Budget) -> Option<Keyed> {
    let rate = NonZeroU32::new(b.per_second)?;
    let burst = NonZeroU32::new(b.burst).unwrap_or(rate);
    Some(RateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

fn keyed_per_minute(b: Budget) -> Option<Keyed> {
    let rate = NonZeroU32::new(b.per_second)?;
    let burst = NonZeroU32::new(b.burst).unwrap_or(rate);
    Some(RateLimiter::keyed(
        Quota::per_minute(rate).allow_burst(burst),
    ))
}

impl Limiter {
    /// Limiters for `limits`; `client_ip_header` names the proxy's client-address header, if any.
    pub fn new(limits: &RateLimits, client_ip_header: Option<HeaderName>) -> Self {
        Limiter {
            cheap: keyed(limits.cheap),
            expensive: keyed(limits.expensive),
            reports: keyed_per_minute(limits.reports),
            lanes: (limits.expensive_concurrency > 0)
                .then(|| Arc::new(Semaphore::new(limits.expensive_concurrency))),
            wait: limits.expensive_wait,
            client_ip_header,
            checks: AtomicU64::new(0),
        }
    }

    /// The client's address: the proxy's header when one is configured
    /// (its last entry, the one the proxy itself added), else the peer.
    fn client(&self, req: &Request) -> Option<IpAddr> {
        self.client_of(
            req.headers(),
            req.extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        )
    }

    /// [`Self::client`] from the parts: the request's headers and the
    /// connection's peer.
    pub(crate) fn client_of(
        &self,
        headers: &axum::http::HeaderMap,
        peer: Option<SocketAddr>,
    ) -> Option<IpAddr> {
        if let Some(h) = &self.client_ip_header {
            return headers
                .get_all(h)
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
        }
        peer.map(|p| p.ip())
    }

    /// Seconds to wait, when `key` is over the budget of `class`.
    pub(crate) fn check(&self, class: Class, key: IpAddr) -> Option<u64> {
        let limiter = match class {
            Class::Cheap => self.cheap.as_ref()?,
            Class::Expensive => self.expensive.as_ref()?,
            Class::Report => self.reports.as_ref()?,
        };
        // Forget idle addresses now and then, so the maps stay small.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            for l in [&self.cheap, &self.expensive, &self.reports]
                .into_iter()
                .flatten()
            {
                l.retain_recent();
                l.shrink_to_fit();
            }
        }
        match limiter.check_key(&key) {
            Ok(()) => None,
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
            }
        }
    }
}

/// The refusal: the API's JSON error, or for pages a short text in both
/// languages (a page template would cost what the limit is saving).
fn too_many(retry_after: u64, status: StatusCode, message: &str, api: bool) -> Response {
    let mut resp = if api {
        ApiError::new(status, message).into_response()
    } else {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "アクセスが集中しています。しばらく待ってから、もう一度お試しください。\n\
             Too many requests; please wait a moment and try again.\n",
        )
            .into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&retry_after.max(1).to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// The middleware: authenticated requests pass; anonymous ones draw from
/// their address's bucket, and expensive ones wait for a lane. The identity
/// found here goes on to the handler in the request's extensions.
pub async fn limit(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let limiter = st.limiter.clone();
    let identity = Identity::of(&st, req.headers()).await;
    let authenticated = matches!(identity, Identity::Token(_));
    req.extensions_mut().insert(identity);
    if authenticated {
        return next.run(req).await;
    }
    let class = classify_request(req.method(), req.uri().path());
    let api = req.uri().path().starts_with("/api/");
    if let Some(key) = limiter.client(&req).map(address_key)
        && let Some(secs) = limiter.check(class, key)
    {
        return too_many(
            secs,
            StatusCode::TOO_MANY_REQUESTS,
            match class {
                Class::Cheap => {
                    "too many requests from this address; retry after the time given in Retry-After, or use an API token"
                }
                Class::Expensive => {
                    "too many searches, exports or feed reads from this address; retry after the time given in Retry-After, or use an API token"
                }
                Class::Report => {
                    "too many counterfeit reports from this address; retry after the time given in Retry-After"
                }
            },
            api,
        );
    }
    if class == Class::Expensive
        && let Some(lanes) = &limiter.lanes
    {
        let permit = tokio::time::timeout(limiter.wait, lanes.clone().acquire_owned()).await;
        let Ok(Ok(permit)) = permit else {
            return too_many(
                1,
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is busy with other searches and exports; retry in a moment",
                api,
            );
        };
        let resp = next.run(req).await;
        drop(permit);
        return resp;
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(classify("/search"), Class::Expensive);
        assert_eq!(classify("/api/v1/labels"), Class::Expensive);
        assert_eq!(classify("/api/v1/export/labels.csv"), Class::Expensive);
        assert_eq!(classify("/api/v1/chain"), Class::Expensive);
        assert_eq!(classify("/api/v1/feed"), Class::Expensive);
        assert_eq!(classify("/feed.atom"), Class::Expensive);
        assert_eq!(classify("/labels/JCS1-2026-000001-K"), Class::Cheap);
        assert_eq!(classify("/api/v1/labels/JCS1-2026-000001-K"), Class::Cheap);
        assert_eq!(
            classify("/labels/JCS1-2026-000001-K/label.png"),
            Class::Cheap
        );
        assert_eq!(classify("/"), Class::Cheap);
        assert_eq!(classify("/api/v1/verify"), Class::Expensive);
        assert_eq!(classify("/verify"), Class::Expensive);
        assert_eq!(classify("/verify-label"), Class::Cheap);
        use axum::http::Method;
        assert_eq!(
            classify_request(&Method::POST, "/verify-label/report"),
            Class::Report
        );
        assert_eq!(
            classify_request(&Method::POST, "/api/v1/counterfeit-reports"),
            Class::Report
        );
        assert_eq!(
            classify_request(&Method::GET, "/api/v1/counterfeit-reports"),
            Class::Cheap
        );
        assert_eq!(classify_request(&Method::GET, "/verify"), Class::Cheap);
        assert_eq!(classify_request(&Method::POST, "/verify"), Class::Expensive);
    }

    #[test]
    fn a_bucket_refuses_beyond_its_burst_with_a_wait() {
        let l = Limiter::new(
            &RateLimits {
                expensive: Budget {
                    per_second: 1,
                    burst: 3,
                },
                ..RateLimits::default()
            },
            None,
        );
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(l.check(Class::Expensive, a), None);
        }
        assert_eq!(l.check(Class::Expensive, a), Some(1));
        // Another address has its own bucket; the cheap class is separate.
        assert_eq!(l.check(Class::Expensive, b), None);
        assert_eq!(l.check(Class::Cheap, a), None);
    }
}
