//! HTTP/1.x (and RTSP/1.0, which shares the syntax) message heads, parsed
//! with [`httparse`].

/// Most header fields read from one head; more is an error.
pub const MAX_HEADERS: usize = 128;

/// Why a head could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The head has not ended yet (no blank line): read more.
    #[error("the head has not ended")]
    Incomplete,
    /// More than [`MAX_HEADERS`] header fields.
    #[error("more than {MAX_HEADERS} header fields")]
    TooManyHeaders,
    /// Not an HTTP (or RTSP) head.
    #[error("malformed head: {0}")]
    Malformed(&'static str),
}

/// The protocol named in the start line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP/1.x.
    Http,
    /// RTSP/1.0, which shares HTTP's head syntax (cameras).
    Rtsp,
}

/// A response head: status line and header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// HTTP or RTSP.
    pub protocol: Protocol,
    /// Minor version: 0 or 1.
    pub minor_version: u8,
    /// Status code, e.g. 401 when a login is required.
    pub status: u16,
    /// Reason phrase as sent (lossy UTF-8).
    pub reason: String,
    /// Fields in order, names as sent, values trimmed (lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// Bytes the head took, blank line included; the body starts here.
    pub head_len: usize,
}

/// A request head: request line and header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// Method as sent, e.g. `GET`.
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    /// Minor version: 0 or 1.
    pub minor_version: u8,
    /// Fields in order, names as sent, values trimmed (lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// Bytes the head took, blank line included; the body starts here.
    pub head_len: usize,
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn all<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

fn content_length(headers: &[(String, String)]) -> Option<usize> {
    find(headers, "content-length").and_then(|v| v.trim().parse().ok())
}

impl ResponseHead {
    /// The first field of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }
    /// Every field of that name, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        all(&self.headers, name)
    }
    /// `Content-Length`, when present and a number.
    pub fn content_length(&self) -> Option<usize> {
        content_length(&self.headers)
    }
    /// Whether the body is sent in chunks.
    pub fn is_chunked(&self) -> bool {
        self.all("transfer-encoding")
            .iter()
            .any(|v| v.to_ascii_lowercase().contains("chunked"))
    }
    /// The authentication schemes of every `WWW-Authenticate` field, lower case.
    pub fn auth_schemes(&self) -> Vec<String> {
        self.all("www-authenticate")
            .iter()
            .filter_map(|v| v.split_whitespace().next())
            .map(|m| m.to_ascii_lowercase())
            .collect()
    }
}

impl RequestHead {
    /// The first field of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }
    /// `Content-Length`, when present and a number.
    pub fn content_length(&self) -> Option<usize> {
        content_length(&self.headers)
    }
}

fn fields(raw: &[httparse::Header<'_>]) -> Vec<(String, String)> {
    raw.iter()
        .filter(|h| !h.name.is_empty())
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).trim().to_string(),
            )
        })
        .collect()
}

fn map_err(e: httparse::Error) -> HttpError {
    match e {
        httparse::Error::TooManyHeaders => HttpError::TooManyHeaders,
        httparse::Error::Status => HttpError::Malformed("status line"),
        httparse::Error::Version => HttpError::Malformed("version"),
        httparse::Error::Token => HttpError::Malformed("token"),
        httparse::Error::HeaderName => HttpError::Malformed("header name"),
        httparse::Error::HeaderValue => HttpError::Malformed("header value"),
        httparse::Error::NewLine => HttpError::Malformed("line ending"),
    }
}

/// Parses a response head (`HTTP/1.x` or `RTSP/1.0`). Devices are sloppy,
/// so invalid header lines are skipped and folded lines accepted rather
/// than failing the whole head.
pub fn parse_response_head(bytes: &[u8]) -> Result<ResponseHead, HttpError> {
    // httparse knows only HTTP/1.x; RTSP/1.0 has the same syntax and the
    // same length of version token, so it is parsed as HTTP/1.0 in a copy.
    let rtsp = bytes.starts_with(b"RTSP/1.0");
    let copy;
    let input = if rtsp {
        let mut c = b"HTTP/1.0".to_vec();
        c.extend_from_slice(bytes.get(8..).unwrap_or_default());
        copy = c;
        copy.as_slice()
    } else {
        bytes
    };
    let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut raw);
    let status = httparse::ParserConfig::default()
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_multiple_spaces_in_response_status_delimiters(true)
        .ignore_invalid_headers_in_responses(true)
        .parse_response(&mut resp, input)
        .map_err(map_err)?;
    let httparse::Status::Complete(head_len) = status else {
        return Err(HttpError::Incomplete);
    };
    Ok(ResponseHead {
        protocol: if rtsp { Protocol::Rtsp } else { Protocol::Http },
        minor_version: resp.version.unwrap_or(0),
        status: resp.code.ok_or(HttpError::Malformed("status code"))?,
        reason: resp.reason.unwrap_or_default().to_string(),
        headers: fields(resp.headers),
        head_len,
    })
}

/// Like [`parse_response_head`], but a head cut short (the reply was
/// truncated, or the peer closed before the blank line) is completed with
/// a blank line and parsed as far as it goes.
pub fn parse_response_head_truncated(bytes: &[u8]) -> Result<ResponseHead, HttpError> {
    match parse_response_head(bytes) {
        Err(HttpError::Incomplete) => {
            let mut c = bytes.to_vec();
            c.extend_from_slice(b"\r\n\r\n");
            let mut h = parse_response_head(&c)?;
            h.head_len = h.head_len.min(bytes.len());
            Ok(h)
        }
        r => r,
    }
}

/// Parses a request head (what a client sends; used by the testbed).
pub fn parse_request_head(bytes: &[u8]) -> Result<RequestHead, HttpError> {
    let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut raw);
    let status = req.parse(bytes).map_err(map_err)?;
    let httparse::Status::Complete(head_len) = status else {
        return Err(HttpError::Incomplete);
    };
    Ok(RequestHead {
        method: req.method.unwrap_or_default().to_string(),
        target: req.path.unwrap_or_default().to_string(),
        minor_version: req.version.unwrap_or(1),
        headers: fields(req.headers),
        head_len,
    })
}

/// Where the head ends: the offset just past the first blank line.
pub fn head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
}

/// An HTTP/1.1 request with `Host`, `User-Agent: jcstar-probe`,
/// `Accept: */*`, `Connection: close`, the given fields and, with a body,
/// `Content-Length`.
pub fn encode_request(
    method: &str,
    target: &str,
    host: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> Vec<u8> {
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: jcstar-probe\r\nAccept: */*\r\nConnection: close\r\n"
    );
    for (k, v) in headers {
        req.push_str(k);
        req.push_str(": ");
        req.push_str(v);
        req.push_str("\r\n");
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    if let Some(b) = body {
        bytes.extend_from_slice(b);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    // BusyBox httpd (Debian's busybox) answering `GET /` behind Basic auth,
    // captured on loopback.
    const BUSYBOX_401: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nDate: Mon, 07 Dec 2026 22:14:31 GMT\r\nConnection: close\r\nContent-type: text/html\r\nWWW-Authenticate: Basic realm=\"camera\"\r\n\r\n<HTML><HEAD><TITLE>401 Unauthorized</TITLE></HEAD>\n";

    #[test]
    fn busybox_httpd_401() {
        let h = parse_response_head(BUSYBOX_401).unwrap();
        assert_eq!(
            (h.protocol, h.minor_version, h.status),
            (Protocol::Http, 1, 401)
        );
        assert_eq!(h.reason, "Unauthorized");
        assert_eq!(h.header("content-type"), Some("text/html"));
        assert_eq!(h.auth_schemes(), vec!["basic"]);
        assert_eq!(h.content_length(), None);
        assert_eq!(
            BUSYBOX_401.get(h.head_len..h.head_len + 6),
            Some(&b"<HTML>"[..])
        );
    }

    #[test]
    fn rtsp_and_truncation() {
        let r = b"RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest realm=\"cam\"\r\n\r\n";
        let h = parse_response_head(r).unwrap();
        assert_eq!((h.protocol, h.status), (Protocol::Rtsp, 401));
        assert_eq!(
            parse_response_head(b"HTTP/1.1 200 OK\r\nServer: x"),
            Err(HttpError::Incomplete)
        );
        let t = parse_response_head_truncated(b"HTTP/1.1 200 OK\r\nServer: x").unwrap();
        assert_eq!(t.header("server"), Some("x"));
        assert!(parse_response_head(b"\xff\xfe garbage").is_err());
        assert!(parse_response_head_truncated(b"SSH-2.0-x\r\n").is_err());
    }

    #[test]
    fn request_round_trip() {
        let req = encode_request(
            "POST",
            "/login",
            "127.0.0.1:80",
            &[("Content-Type".into(), "x".into())],
            Some(b"a=b"),
        );
        let h = parse_request_head(&req).unwrap();
        assert_eq!((h.method.as_str(), h.target.as_str()), ("POST", "/login"));
        assert_eq!(h.content_length(), Some(3));
        assert_eq!(req.get(h.head_len..), Some(&b"a=b"[..]));
        assert_eq!(head_end(&req), Some(h.head_len));
    }
}
