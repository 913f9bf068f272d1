//! A small HTTP/1.1 client with hard bounds, and the Basic and Digest adapters.
//!
//! Hand-written rather than a general client so that every signal a device
//! gives (status, Retry-After, a closed connection, a stall) is visible and
//! so that a reply can never grow past a fixed size.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use jcstar_wire::http;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::digest::{Challenge, DigestState};
use super::text::{excerpt, lock_phrase};
use super::{Attempt, LoginAdapter, ServiceSpec, Signal};

const MAX_HEADER: usize = 64 * 1024;
pub(crate) const MAX_BODY: usize = 256 * 1024;

/// A complete HTTP response, bounded in size.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header fields in order, as sent.
    pub headers: Vec<(String, String)>,
    /// The body, cut at 256 KiB.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header field named `name` (case-insensitive), in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy UTF-8).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Retry-After in milliseconds (seconds form only; dates are ignored).
    pub fn retry_after_ms(&self) -> Option<u64> {
        self.header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| s.saturating_mul(1000))
    }
}

/// Why a request produced no response.
#[derive(Debug)]
pub enum HttpFailure {
    /// The connection could not be made.
    Connect(super::conn::ConnectError),
    /// The peer closed before a complete reply.
    Closed,
    /// No complete reply before the deadline.
    Timeout,
    /// The reply is not HTTP.
    Garbage(String),
}

impl HttpFailure {
    pub(crate) fn into_attempt(self) -> Attempt {
        match self {
            HttpFailure::Connect(e) => Attempt::Error {
                reason: format!("connect: {e}"),
            },
            HttpFailure::Closed => Attempt::Error {
                reason: "connection closed before a complete HTTP reply".into(),
            },
            HttpFailure::Timeout => Attempt::Error {
                reason: "no complete HTTP reply before the deadline".into(),
            },
            HttpFailure::Garbage(e) => Attempt::Error {
                reason: format!("not an HTTP reply: {e}"),
            },
        }
    }
}

/// Where an HTTP request goes: the address, and whether it is HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpTarget {
    /// Address of the server.
    pub addr: SocketAddr,
    /// Whether to speak HTTPS.
    pub tls: bool,
}

impl From<SocketAddr> for HttpTarget {
    fn from(addr: SocketAddr) -> Self {
        HttpTarget { addr, tls: false }
    }
}

/// One request on a fresh connection (`Connection: close`), bounded in time
/// and size; over TLS (any certificate accepted) when the target says so.
pub async fn request(
    addr: impl Into<HttpTarget>,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    timeout: Duration,
) -> Result<Response, HttpFailure> {
    match tokio::time::timeout(
        timeout,
        request_inner(addr.into(), host, method, path, headers, body),
    )
    .await
    {
        Ok(r) => r,
        Err(_) => Err(HttpFailure::Timeout),
    }
}

async fn request_inner(
    target: HttpTarget,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> Result<Response, HttpFailure> {
    let mut stream = super::conn::connect(target.addr, target.tls, host)
        .await
        .map_err(HttpFailure::Connect)?;
    let bytes = http::encode_request(method, path, host, headers, body);
    stream
        .write_all(&bytes)
        .await
        .map_err(|_| HttpFailure::Closed)?;

    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let head = loop {
        match http::parse_response_head(&buf) {
            Ok(h) => break h,
            Err(http::HttpError::Incomplete) => {}
            Err(_) => return Err(HttpFailure::Garbage(first_line(&buf))),
        }
        if buf.len() > MAX_HEADER {
            return Err(HttpFailure::Garbage(
                "header section larger than 64 KiB".into(),
            ));
        }
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|_| HttpFailure::Closed)?;
        if n == 0 {
            if buf.is_empty() {
                return Err(HttpFailure::Closed);
            }
            return Err(HttpFailure::Garbage(format!(
                "reply ended inside the header: {}",
                excerpt(&buf, 80)
            )));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    };
    if head.protocol != http::Protocol::Http || !(100..1000).contains(&head.status) {
        return Err(HttpFailure::Garbage(first_line(&buf)));
    }
    let status = head.status;
    let chunked = head.is_chunked();
    let length = head.content_length();
    let headers = head.headers;
    let mut body: Vec<u8> = buf.get(head.head_len..).unwrap_or_default().to_vec();
    let resp_no_body = method == "HEAD" || status == 204 || status == 304 || status < 200;
    if !resp_no_body {
        loop {
            if let Some(len) = length
                && body.len() >= len
            {
                body.truncate(len);
                break;
            }
            if chunked && find(&body, b"0\r\n\r\n").is_some() {
                break;
            }
            if body.len() >= MAX_BODY {
                break;
            }
            let n = match stream.read(&mut chunk).await {
                Ok(n) => n,
                Err(_) => break,
            };
            if n == 0 {
                break;
            }
            body.extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
        body.truncate(MAX_BODY);
        if chunked {
            body = dechunk(&body);
        }
    } else {
        body.clear();
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// The status line (or whatever came first), for an error message.
fn first_line(buf: &[u8]) -> String {
    let line = buf
        .split(|b| *b == b'\r' || *b == b'\n')
        .next()
        .unwrap_or_default();
    excerpt(line, 80)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(eol) = find(rest, b"\r\n") {
        let size_line = String::from_utf8_lossy(rest.get(..eol).unwrap_or_default()).into_owned();
        let size_hex = size_line.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_hex, 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        let start = eol + 2;
        let end = start.saturating_add(size).min(rest.len());
        out.extend_from_slice(rest.get(start..end).unwrap_or_default());
        rest = rest
            .get(end.saturating_add(2).min(rest.len())..)
            .unwrap_or_default();
    }
    out
}

/// Reads an HTTP reply to a login guess (Basic/Digest): 401 is a failure,
/// 2xx/3xx a success unless the page says the account is locked.
pub(crate) fn classify_auth_response(resp: &Response) -> Attempt {
    let body = resp.body_text();
    let phrase = lock_phrase(&body);
    match resp.status {
        429 | 503 => Attempt::RateLimited {
            signal: Signal::Status { code: resp.status },
            delay_ms: resp.retry_after_ms(),
        },
        423 => Attempt::LockedOut {
            signal: Signal::Status { code: 423 },
        },
        s if phrase.is_some() && (s == 401 || s == 403 || (200..400).contains(&s)) => {
            Attempt::LockedOut {
                signal: Signal::Message {
                    text: format!("HTTP {s}: {}", excerpt(body.as_bytes(), 160)),
                },
            }
        }
        401 | 403 => Attempt::Failure {
            signal: Signal::Status { code: resp.status },
        },
        s if (200..300).contains(&s) => Attempt::Success {
            signal: Signal::Status { code: s },
        },
        s if (300..400).contains(&s) => Attempt::Success {
            signal: Signal::Redirect {
                location: resp.header("location").unwrap_or_default().to_string(),
            },
        },
        s => Attempt::Error {
            reason: format!("unexpected HTTP status {s}"),
        },
    }
}

/// HTTP Basic authentication (RFC 7617).
pub struct BasicAdapter {
    addr: HttpTarget,
    host: String,
    path: String,
    timeout: Duration,
}

impl BasicAdapter {
    /// An adapter for the service in `spec`, each guess bounded by `timeout`.
    pub fn new(spec: &ServiceSpec, timeout: Duration) -> Self {
        BasicAdapter {
            addr: spec.http_target(),
            host: spec.host_header(),
            path: spec.path.clone(),
            timeout,
        }
    }
}

/// The `Authorization` header value for Basic credentials.
pub fn basic_header(user: &str, pass: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    format!("Basic {token}")
}

impl LoginAdapter for BasicAdapter {
    async fn try_login(&self, user: &str, pass: &str) -> Attempt {
        let headers = vec![("Authorization".to_string(), basic_header(user, pass))];
        match request(
            self.addr,
            &self.host,
            "GET",
            &self.path,
            &headers,
            None,
            self.timeout,
        )
        .await
        {
            Ok(resp) => classify_auth_response(&resp),
            Err(e) => e.into_attempt(),
        }
    }
}

/// HTTP Digest authentication (RFC 7616: MD5, MD5-sess, SHA-256, SHA-256-sess).
pub struct DigestAdapter {
    addr: HttpTarget,
    host: String,
    path: String,
    timeout: Duration,
    state: Mutex<Option<DigestState>>,
}

impl DigestAdapter {
    /// An adapter for the service in `spec`, each guess bounded by `timeout`.
    pub fn new(spec: &ServiceSpec, timeout: Duration) -> Self {
        DigestAdapter {
            addr: spec.http_target(),
            host: spec.host_header(),
            path: spec.path.clone(),
            timeout,
            state: Mutex::new(None),
        }
    }

    async fn fetch_challenge(&self) -> Result<Challenge, Attempt> {
        let resp = request(
            self.addr,
            &self.host,
            "GET",
            &self.path,
            &[],
            None,
            self.timeout,
        )
        .await
        .map_err(HttpFailure::into_attempt)?;
        challenge_from(&resp).ok_or_else(|| Attempt::Error {
            reason: format!(
                "HTTP {} without a Digest challenge in WWW-Authenticate",
                resp.status
            ),
        })
    }

    fn store(&self, challenge: Challenge) {
        if let Ok(mut guard) = self.state.lock() {
            *guard = Some(DigestState::new(challenge));
        }
    }
}

fn challenge_from(resp: &Response) -> Option<Challenge> {
    resp.headers_named("www-authenticate")
        .filter_map(Challenge::parse)
        // Prefer SHA-256 when the server offers both (RFC 7616 §3.7).
        .max_by_key(|c| c.algorithm.is_sha256())
}

impl LoginAdapter for DigestAdapter {
    async fn try_login(&self, user: &str, pass: &str) -> Attempt {
        for round in 0..2 {
            let cached = self.state.lock().ok().and_then(|g| g.clone());
            let mut state = match cached {
                Some(s) => s,
                None => match self.fetch_challenge().await {
                    Ok(c) => DigestState::new(c),
                    Err(a) => return a,
                },
            };
            let auth = state.authorization(user, pass, "GET", &self.path);
            if let Ok(mut guard) = self.state.lock() {
                *guard = Some(state.clone());
            }
            let headers = vec![("Authorization".to_string(), auth)];
            let resp = match request(
                self.addr,
                &self.host,
                "GET",
                &self.path,
                &headers,
                None,
                self.timeout,
            )
            .await
            {
                Ok(r) => r,
                Err(e) => return e.into_attempt(),
            };
            if resp.status == 401 {
                if let Some(c) = challenge_from(&resp) {
                    let stale = c.stale;
                    self.store(c);
                    // A stale nonce says nothing about the password: retry once.
                    if stale && round == 0 {
                        continue;
                    }
                } else if let Ok(mut guard) = self.state.lock() {
                    *guard = None;
                }
            }
            return classify_auth_response(&resp);
        }
        Attempt::Error {
            reason: "server kept declaring the Digest nonce stale".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n"),
            b"hello world"
        );
        assert_eq!(dechunk(b"zz\r\n"), b"");
        assert_eq!(dechunk(b"ffff\r\nab"), b"ab");
    }

    #[test]
    fn basic_header_matches_rfc7617_example() {
        assert_eq!(
            basic_header("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }
}
