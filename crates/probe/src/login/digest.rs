//! HTTP Digest access authentication (RFC 7616), client side.

use md5::Md5;
use sha2::{Digest, Sha256};

/// The hash a Digest challenge names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// MD5, the RFC 2617 default.
    Md5,
    /// MD5 with the session key (`MD5-sess`).
    Md5Sess,
    /// SHA-256.
    Sha256,
    /// SHA-256 with the session key (`SHA-256-sess`).
    Sha256Sess,
}

impl Algorithm {
    fn parse(s: &str) -> Option<Algorithm> {
        match s.to_ascii_uppercase().as_str() {
            "MD5" => Some(Algorithm::Md5),
            "MD5-SESS" => Some(Algorithm::Md5Sess),
            "SHA-256" => Some(Algorithm::Sha256),
            "SHA-256-SESS" => Some(Algorithm::Sha256Sess),
            _ => None,
        }
    }

    /// Whether the hash is SHA-256 rather than MD5.
    pub fn is_sha256(self) -> bool {
        matches!(self, Algorithm::Sha256 | Algorithm::Sha256Sess)
    }

    fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    fn hash(self, data: &str) -> String {
        if self.is_sha256() {
            hex::encode(Sha256::digest(data.as_bytes()))
        } else {
            hex::encode(Md5::digest(data.as_bytes()))
        }
    }
}

/// A parsed `WWW-Authenticate: Digest ...` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The protection space the credentials apply to.
    pub realm: String,
    /// The server's nonce.
    pub nonce: String,
    /// Opaque data the client must send back unchanged.
    pub opaque: Option<String>,
    /// The hash to use.
    pub algorithm: Algorithm,
    /// `qop=auth` offered (auth-int is not used: it needs the body).
    pub qop_auth: bool,
    /// The server says the nonce expired, not that the credentials were wrong.
    pub stale: bool,
}

impl Challenge {
    /// Parses one header value; `None` when it is not a usable Digest challenge.
    pub fn parse(header: &str) -> Option<Challenge> {
        let rest = header.trim();
        let (scheme, params) = rest.split_once(char::is_whitespace)?;
        if !scheme.eq_ignore_ascii_case("digest") {
            return None;
        }
        let params = parse_params(params);
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        let algorithm = match get("algorithm") {
            Some(a) => Algorithm::parse(&a)?,
            None => Algorithm::Md5,
        };
        let qop = get("qop");
        Some(Challenge {
            realm: get("realm").unwrap_or_default(),
            nonce: get("nonce")?,
            opaque: get("opaque"),
            algorithm,
            qop_auth: qop
                .as_deref()
                .is_some_and(|q| q.split(',').any(|t| t.trim().eq_ignore_ascii_case("auth"))),
            stale: get("stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }
}

/// `name=value, name="quoted \"value\""` lists (RFC 7235 auth-param).
pub(crate) fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.trim().is_empty() && chars.peek().is_none() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => break,
                        _ => value.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
                value = value.trim().to_string();
            }
        }
        out.push((name.trim().to_string(), value));
        if chars.peek().is_none() {
            break;
        }
    }
    out
}

/// A challenge plus the nonce count, so one nonce serves several guesses.
#[derive(Debug, Clone)]
pub struct DigestState {
    /// The challenge being answered.
    pub challenge: Challenge,
    nc: u32,
}

impl DigestState {
    /// State for a fresh challenge; the nonce count starts at 0.
    pub fn new(challenge: Challenge) -> Self {
        DigestState { challenge, nc: 0 }
    }

    /// The `Authorization` header value for one request.
    pub fn authorization(&mut self, user: &str, pass: &str, method: &str, uri: &str) -> String {
        self.nc = self.nc.wrapping_add(1);
        let cnonce = super::random_token(16);
        self.authorization_with(user, pass, method, uri, &cnonce)
    }

    fn authorization_with(
        &self,
        user: &str,
        pass: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
    ) -> String {
        let c = &self.challenge;
        let alg = c.algorithm;
        let nc = format!("{:08x}", self.nc);
        let mut ha1 = alg.hash(&format!("{user}:{}:{pass}", c.realm));
        if matches!(alg, Algorithm::Md5Sess | Algorithm::Sha256Sess) {
            ha1 = alg.hash(&format!("{ha1}:{}:{cnonce}", c.nonce));
        }
        let ha2 = alg.hash(&format!("{method}:{uri}"));
        let response = if c.qop_auth {
            alg.hash(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", c.nonce))
        } else {
            alg.hash(&format!("{ha1}:{}:{ha2}", c.nonce))
        };
        let mut h = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", algorithm={}, response=\"{}\"",
            quote(user),
            quote(&c.realm),
            quote(&c.nonce),
            quote(uri),
            alg.name(),
            response
        );
        if c.qop_auth {
            h.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
        }
        if let Some(o) = &c.opaque {
            h.push_str(&format!(", opaque=\"{}\"", quote(o)));
        }
        h
    }
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Server side of the same computation, used by the testbed to check a
/// client's header; returns the expected `response` value.
#[allow(clippy::too_many_arguments)]
pub fn expected_response(
    algorithm: &str,
    user: &str,
    realm: &str,
    pass: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    qop: Option<(&str, &str)>,
) -> Option<String> {
    let alg = Algorithm::parse(algorithm)?;
    let ha1 = alg.hash(&format!("{user}:{realm}:{pass}"));
    let ha2 = alg.hash(&format!("{method}:{uri}"));
    Some(match qop {
        Some((nc, cnonce)) => alg.hash(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")),
        None => alg.hash(&format!("{ha1}:{nonce}:{ha2}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7616 §3.9.1 example: user Mufasa, password "Circle of Life".
    const CHALLENGE: &str = r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

    #[test]
    fn rfc7616_sha256_example() {
        let c = Challenge::parse(CHALLENGE).expect("challenge parses");
        assert_eq!(c.algorithm, Algorithm::Sha256);
        assert!(c.qop_auth);
        let mut s = DigestState::new(c);
        s.nc = 1;
        let h = s.authorization_with(
            "Mufasa",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        );
        assert!(
            h.contains(
                "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""
            ),
            "{h}"
        );
    }

    #[test]
    fn rfc7616_md5_example() {
        let md5 = CHALLENGE.replace("SHA-256", "MD5");
        let mut s = DigestState::new(Challenge::parse(&md5).expect("parses"));
        s.nc = 1;
        let h = s.authorization_with(
            "Mufasa",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        );
        assert!(
            h.contains("response=\"8ca523f5e9506fed4657c9700eebdbec\""),
            "{h}"
        );
    }

    #[test]
    fn rejects_other_schemes_and_garbage() {
        assert!(Challenge::parse("Basic realm=\"x\"").is_none());
        assert!(Challenge::parse("Digest realm=\"x\"").is_none());
        assert!(Challenge::parse("Digest nonce=\"a\", algorithm=ROT13").is_none());
        assert!(Challenge::parse("\u{0}\u{1}").is_none());
        assert_eq!(parse_params(r#"a="x\"y", b=2,,c"#).len(), 3);
    }
}
