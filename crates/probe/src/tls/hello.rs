//! Hand-built ClientHello messages and a bounded reader for the server's
//! first flight.
//!
//! rustls (rightly) refuses to speak SSL 3.0, TLS 1.0/1.1 or weak suites, so
//! the probe writes the ClientHello bytes itself and reads only as far as it
//! needs: ServerHello (version, suite, group), and for TLS ≤ 1.2 the
//! Certificate and ServerKeyExchange, which travel in clear before the
//! handshake is finished. It never completes a handshake with these.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use jcstar_wire::tls as wire;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use super::TlsVersion;
use super::suites::{KxKind, kx_kind, lookup};

/// TLS 1.3 marks a HelloRetryRequest with this fixed ServerHello.random.
const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// Upper bound on what one server flight may make us buffer.
const MAX_FLIGHT: usize = 512 * 1024;

pub(crate) const GROUP_X25519: u16 = 0x001D;

/// Groups offered to TLS 1.3 (and enumerated there).
pub(crate) const TLS13_GROUPS: &[u16] = &[
    0x001D, 0x0017, 0x0018, 0x0019, 0x001E, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104, 0x001F, 0x0020,
    0x0021, 0x11EC, 0x11EB, 0x11ED,
];

/// Groups offered to TLS ≤ 1.2: every named curve an old stack might need
/// for its ECDHE suites, so that no suite is missed for want of a curve.
pub(crate) const LEGACY_GROUPS: &[u16] = &[
    0x001D, 0x0017, 0x0018, 0x0019, 0x001E, 0x001A, 0x001B, 0x001C, 0x0016, 0x0015, 0x0014, 0x0013,
    0x0012, 0x0011, 0x0010, 0x000F, 0x000E, 0x000D, 0x000C, 0x000B, 0x000A, 0x0009, 0x0008, 0x0007,
    0x0006, 0x0005, 0x0004, 0x0003, 0x0002, 0x0001, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104,
];

/// Every signature scheme a server might need to sign with, old ones included.
const SIG_ALGS: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B, 0x0401,
    0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602, 0x0203, 0x0201, 0x0202,
];

pub(crate) fn group_name(id: u16) -> String {
    match id {
        0x0001..=0x0016 => format!("legacy curve {id:#06x}"),
        0x0017 => "secp256r1".into(),
        0x0018 => "secp384r1".into(),
        0x0019 => "secp521r1".into(),
        0x001A => "brainpoolP256r1".into(),
        0x001B => "brainpoolP384r1".into(),
        0x001C => "brainpoolP512r1".into(),
        0x001D => "x25519".into(),
        0x001E => "x448".into(),
        0x001F => "brainpoolP256r1tls13".into(),
        0x0020 => "brainpoolP384r1tls13".into(),
        0x0021 => "brainpoolP512r1tls13".into(),
        0x0100 => "ffdhe2048".into(),
        0x0101 => "ffdhe3072".into(),
        0x0102 => "ffdhe4096".into(),
        0x0103 => "ffdhe6144".into(),
        0x0104 => "ffdhe8192".into(),
        0x11EB => "SecP256r1MLKEM768".into(),
        0x11EC => "X25519MLKEM768".into(),
        0x11ED => "SecP384r1MLKEM1024".into(),
        other => format!("group {other:#06x}"),
    }
}

/// 32 unpredictable-enough bytes for client randoms and throwaway key
/// shares. Nothing secret is protected by them: the probe never finishes a
/// handshake it started by hand.
pub(crate) fn random32() -> [u8; 32] {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = Sha256::new();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.update(nanos.to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.finalize().into()
}

/// What to put in one ClientHello.
pub(crate) struct HelloSpec<'a> {
    pub version: TlsVersion,
    pub suites: &'a [u16],
    /// A DNS name for SNI; IP addresses are not sent (RFC 6066).
    pub server_name: Option<&'a str>,
    pub groups: &'a [u16],
}

fn put_u16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_be_bytes());
}

fn put_u24(v: &mut Vec<u8>, x: usize) {
    let b = (x as u32).to_be_bytes();
    v.extend_from_slice(&b[1..]);
}

fn ext(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    put_u16(out, kind);
    put_u16(out, body.len() as u16);
    out.extend_from_slice(body);
}

fn list16(items: &[u16]) -> Vec<u8> {
    let mut v = Vec::with_capacity(2 + items.len() * 2);
    put_u16(&mut v, (items.len() * 2) as u16);
    for &i in items {
        put_u16(&mut v, i);
    }
    v
}

/// The complete record (header included) carrying the ClientHello.
pub(crate) fn client_hello(spec: &HelloSpec<'_>) -> Vec<u8> {
    let v = spec.version;
    let mut body = Vec::with_capacity(1024);
    put_u16(&mut body, v.hello_version());
    body.extend_from_slice(&random32());
    if v == TlsVersion::Tls13 {
        // Middlebox compatibility mode: a non-empty legacy session id.
        body.push(32);
        body.extend_from_slice(&random32());
    } else {
        body.push(0);
    }
    let mut suites: Vec<u16> = spec.suites.to_vec();
    if v == TlsVersion::Ssl3 {
        // SSL 3.0 has no extensions; signal secure renegotiation this way.
        suites.push(0x00FF);
    }
    body.extend_from_slice(&list16(&suites));
    body.extend_from_slice(&[1, 0]); // compression: null only

    if v != TlsVersion::Ssl3 {
        let mut exts = Vec::with_capacity(512);
        if let Some(name) = spec.server_name {
            let name = name.as_bytes();
            let mut sni = Vec::with_capacity(name.len() + 5);
            put_u16(&mut sni, (name.len() + 3) as u16);
            sni.push(0);
            put_u16(&mut sni, name.len() as u16);
            sni.extend_from_slice(name);
            ext(&mut exts, 0x0000, &sni);
        }
        ext(&mut exts, 0x000A, &list16(spec.groups));
        ext(&mut exts, 0x000B, &[1, 0]);
        ext(&mut exts, 0x000D, &list16(SIG_ALGS));
        ext(&mut exts, 0x0023, &[]);
        ext(&mut exts, 0x0017, &[]);
        ext(&mut exts, 0xFF01, &[0]);
        if v == TlsVersion::Tls13 {
            ext(&mut exts, 0x002B, &[2, 0x03, 0x04]);
            ext(&mut exts, 0x002D, &[1, 1]);
            let mut ks = Vec::with_capacity(40);
            if spec.groups.contains(&GROUP_X25519) {
                put_u16(&mut ks, 36);
                put_u16(&mut ks, GROUP_X25519);
                put_u16(&mut ks, 32);
                // Any 32 bytes are a valid X25519 public key.
                ks.extend_from_slice(&random32());
            } else {
                put_u16(&mut ks, 0);
            }
            ext(&mut exts, 0x0033, &ks);
        }
        put_u16(&mut body, exts.len() as u16);
        body.extend_from_slice(&exts);
    }

    let mut hs = Vec::with_capacity(body.len() + 4);
    hs.push(1);
    put_u24(&mut hs, body.len());
    hs.extend_from_slice(&body);

    let mut rec = Vec::with_capacity(hs.len() + 5);
    rec.push(0x16);
    put_u16(&mut rec, v.record_version());
    put_u16(&mut rec, hs.len() as u16);
    rec.extend_from_slice(&hs);
    rec
}

/// Parameters the server sent for an ephemeral key exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KxParams {
    Curve(u16),
    DhBits(u16),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ServerHello {
    /// The version the server chose (from supported_versions in TLS 1.3).
    pub version: u16,
    pub cipher: u16,
    pub hello_retry: bool,
    /// Group of the server's key share (TLS 1.3) or the one an HRR asks for.
    pub group: Option<u16>,
    pub certificates: Vec<Vec<u8>>,
    pub kx: Option<KxParams>,
    pub secure_renegotiation: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Reply {
    Hello(Box<ServerHello>),
    Alert {
        description: u8,
    },
    /// The peer answered, but not with TLS.
    NotTls {
        first_bytes: Vec<u8>,
    },
    /// The peer closed the connection without a word.
    Closed,
}

#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum ExchangeError {
    #[error("no answer before the deadline")]
    Timeout,
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("i/o error: {0}")]
    Io(String),
    #[error("malformed TLS from the server: {0}")]
    Malformed(String),
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(b: &'a [u8]) -> Self {
        Cursor { b, at: 0 }
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).and_then(|s| s.first().copied())
    }
    fn u16(&mut self) -> Option<u16> {
        match self.take(2)? {
            &[a, b] => Some(u16::from_be_bytes([a, b])),
            _ => None,
        }
    }
    fn u24(&mut self) -> Option<usize> {
        match self.take(3)? {
            &[a, b, c] => Some((usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c)),
            _ => None,
        }
    }
    fn rest(&self) -> usize {
        self.b.len().saturating_sub(self.at)
    }
}

fn malformed(what: &str) -> ExchangeError {
    ExchangeError::Malformed(what.to_string())
}

fn parse_server_hello(body: &[u8]) -> Result<ServerHello, ExchangeError> {
    let mut c = Cursor::new(body);
    let legacy = c.u16().ok_or_else(|| malformed("short ServerHello"))?;
    let random = c
        .take(32)
        .ok_or_else(|| malformed("short ServerHello random"))?;
    let sid_len = c.u8().ok_or_else(|| malformed("short ServerHello"))? as usize;
    c.take(sid_len)
        .ok_or_else(|| malformed("ServerHello session id overruns"))?;
    let cipher = c
        .u16()
        .ok_or_else(|| malformed("ServerHello without suite"))?;
    c.u8()
        .ok_or_else(|| malformed("ServerHello without compression"))?;
    let mut sh = ServerHello {
        version: legacy,
        cipher,
        hello_retry: random == HRR_RANDOM,
        ..ServerHello::default()
    };
    if c.rest() >= 2 {
        let len = c.u16().unwrap_or(0) as usize;
        let exts = c
            .take(len)
            .ok_or_else(|| malformed("ServerHello extensions overrun"))?;
        let mut e = Cursor::new(exts);
        while e.rest() >= 4 {
            let kind = e.u16().unwrap_or(0);
            let len = e.u16().unwrap_or(0) as usize;
            let data = e
                .take(len)
                .ok_or_else(|| malformed("ServerHello extension overruns"))?;
            let mut d = Cursor::new(data);
            match kind {
                0x002B => sh.version = d.u16().unwrap_or(legacy),
                0x0033 => sh.group = d.u16(),
                0xFF01 => sh.secure_renegotiation = true,
                _ => {}
            }
        }
    }
    Ok(sh)
}

fn parse_certificates(body: &[u8]) -> Vec<Vec<u8>> {
    let mut c = Cursor::new(body);
    let Some(total) = c.u24() else {
        return Vec::new();
    };
    let Some(list) = c.take(total) else {
        return Vec::new();
    };
    let mut l = Cursor::new(list);
    let mut out = Vec::new();
    while l.rest() >= 3 {
        let Some(len) = l.u24() else { break };
        let Some(der) = l.take(len) else { break };
        out.push(der.to_vec());
    }
    out
}

fn parse_ske(body: &[u8], kind: KxKind) -> Option<KxParams> {
    let mut c = Cursor::new(body);
    match kind {
        KxKind::Ecdhe => {
            // curve_type 3 = named_curve
            if c.u8()? != 3 {
                return None;
            }
            c.u16().map(KxParams::Curve)
        }
        KxKind::Dhe => {
            let len = c.u16()? as usize;
            let p = c.take(len)?;
            let lead = p.iter().position(|&b| b != 0)?;
            let first = *p.get(lead)?;
            let bits = (p.len() - lead) * 8 - first.leading_zeros() as usize;
            Some(KxParams::DhBits(bits as u16))
        }
        KxKind::Other => None,
    }
}

/// Connect, send `hello`, read the server's first flight.
///
/// With `full_flight` (TLS ≤ 1.2) reading continues after ServerHello up to
/// ServerHelloDone to collect the certificate chain and key-exchange
/// parameters; otherwise it stops at ServerHello.
pub(crate) async fn exchange(
    addr: SocketAddr,
    hello: &[u8],
    full_flight: bool,
    deadline: Instant,
) -> Result<Reply, ExchangeError> {
    let mut stream = match timeout_at(deadline, TcpStream::connect(addr)).await {
        Err(_) => return Err(ExchangeError::Timeout),
        Ok(Err(e)) => return Err(ExchangeError::Connect(e.to_string())),
        Ok(Ok(s)) => s,
    };
    let _ = stream.set_nodelay(true);
    match timeout_at(deadline, stream.write_all(hello)).await {
        Err(_) => return Err(ExchangeError::Timeout),
        Ok(Err(e)) => return Err(ExchangeError::Io(e.to_string())),
        Ok(Ok(())) => {}
    }
    read_flight(&mut stream, full_flight, deadline).await
}

/// The server's first flight, record by record, without IO: what
/// [`read_flight`] reads goes through here, and so does [`parse_flight`].
pub(crate) struct Flight {
    full_flight: bool,
    /// Handshake bytes so far (messages may span records).
    hs: Vec<u8>,
    /// How much of `hs` is parsed.
    parsed: usize,
    /// Record bytes taken so far, headers included.
    total: usize,
    hello: Option<ServerHello>,
}

impl Flight {
    pub(crate) fn new(full_flight: bool) -> Self {
        Flight {
            full_flight,
            hs: Vec::new(),
            parsed: 0,
            total: 0,
            hello: None,
        }
    }

    /// Whether a ServerHello has been seen.
    fn has_hello(&self) -> bool {
        self.hello.is_some()
    }

    /// The ServerHello so far, else `err`.
    pub(crate) fn finish(self, err: ExchangeError) -> Result<Reply, ExchangeError> {
        finish_or(self.hello, err)
    }

    /// Takes one record; `Some` once the flight is decided.
    pub(crate) fn record(
        &mut self,
        content_type: u8,
        body: &[u8],
    ) -> Option<Result<Reply, ExchangeError>> {
        self.total += body.len() + wire::RECORD_HEADER_LEN;
        if self.total > MAX_FLIGHT {
            return Some(finish_or(
                self.hello.take(),
                malformed("server flight exceeds 512 KiB"),
            ));
        }
        match content_type {
            wire::ALERT => {
                if let Some(h) = self.hello.take() {
                    return Some(Ok(Reply::Hello(Box::new(h))));
                }
                let description = body.get(1).copied().unwrap_or(0);
                Some(Ok(Reply::Alert { description }))
            }
            wire::HANDSHAKE => {
                self.hs.extend_from_slice(body);
                // Handshake messages may span records: parse what is complete.
                while let Ok((head, msg, _)) =
                    wire::split_handshake(self.hs.get(self.parsed..).unwrap_or_default())
                {
                    self.parsed += wire::HANDSHAKE_HEADER_LEN + head.length;
                    match head.msg_type {
                        wire::SERVER_HELLO => {
                            let sh = match parse_server_hello(msg) {
                                Ok(sh) => sh,
                                Err(e) => return Some(Err(e)),
                            };
                            if !self.full_flight || sh.version >= 0x0304 || sh.hello_retry {
                                return Some(Ok(Reply::Hello(Box::new(sh))));
                            }
                            self.hello = Some(sh);
                        }
                        wire::CERTIFICATE => {
                            if let Some(h) = self.hello.as_mut() {
                                h.certificates = parse_certificates(msg);
                            }
                        }
                        wire::SERVER_KEY_EXCHANGE => {
                            if let Some(h) = self.hello.as_mut() {
                                let kind = lookup(h.cipher)
                                    .map(|s| kx_kind(s.iana))
                                    .unwrap_or(KxKind::Other);
                                h.kx = parse_ske(msg, kind);
                            }
                        }
                        wire::SERVER_HELLO_DONE => {
                            return Some(finish_or(
                                self.hello.take(),
                                malformed("ServerHelloDone first"),
                            ));
                        }
                        _ => {}
                    }
                }
                None
            }
            // ChangeCipherSpec or encrypted data: the clear part is over.
            _ => Some(finish_or(
                self.hello.take(),
                malformed("encrypted data before ServerHello"),
            )),
        }
    }
}

/// The first flight from bytes already read, as [`read_flight`] would see
/// them if the server then closed the connection. For tests and fuzzing.
pub(crate) fn parse_flight(bytes: &[u8], full_flight: bool) -> Result<Reply, ExchangeError> {
    let mut flight = Flight::new(full_flight);
    let mut rest = bytes;
    loop {
        match wire::split_record(rest) {
            Ok((head, body, after)) => {
                if let Some(r) = flight.record(head.content_type, body) {
                    return r;
                }
                rest = after;
            }
            Err(wire::TlsError::NotTls) => {
                if flight.has_hello() {
                    return flight.finish(malformed("invalid record header"));
                }
                if rest.len() == bytes.len() {
                    let first = rest.get(..64).unwrap_or(rest).to_vec();
                    return Ok(Reply::NotTls { first_bytes: first });
                }
                return Err(malformed("invalid record header"));
            }
            Err(wire::TlsError::Incomplete) => {
                if flight.has_hello() {
                    return flight.finish(ExchangeError::Io("connection closed".into()));
                }
                if bytes.is_empty() {
                    return Ok(Reply::Closed);
                }
                if rest.len() < wire::RECORD_HEADER_LEN {
                    return Ok(Reply::NotTls {
                        first_bytes: rest.to_vec(),
                    });
                }
                return Err(ExchangeError::Io("connection closed".into()));
            }
        }
    }
}

async fn read_flight(
    stream: &mut TcpStream,
    full_flight: bool,
    deadline: Instant,
) -> Result<Reply, ExchangeError> {
    let mut flight = Flight::new(full_flight);
    let mut total = 0usize;
    loop {
        let mut hdr = [0u8; wire::RECORD_HEADER_LEN];
        let mut got = 0;
        while got < hdr.len() {
            let into = hdr.get_mut(got..).unwrap_or_default();
            let n = match timeout_at(deadline, stream.read(into)).await {
                Err(_) => return flight.finish(ExchangeError::Timeout),
                Ok(Err(e)) => return flight.finish(ExchangeError::Io(e.to_string())),
                Ok(Ok(n)) => n,
            };
            if n == 0 {
                if flight.has_hello() {
                    return flight.finish(ExchangeError::Timeout);
                }
                if got == 0 && total == 0 {
                    return Ok(Reply::Closed);
                }
                return Ok(Reply::NotTls {
                    first_bytes: hdr.get(..got).unwrap_or_default().to_vec(),
                });
            }
            got += n;
        }
        let head = match wire::parse_record_header(&hdr) {
            Ok(h) => h,
            Err(_) => {
                if flight.has_hello() {
                    return flight.finish(malformed("invalid record header"));
                }
                if total == 0 {
                    let mut first = hdr.to_vec();
                    let mut more = [0u8; 59];
                    if let Ok(Ok(n)) = tokio::time::timeout(
                        std::time::Duration::from_millis(50),
                        stream.read(&mut more),
                    )
                    .await
                    {
                        first.extend_from_slice(more.get(..n).unwrap_or(&[]));
                    }
                    return Ok(Reply::NotTls { first_bytes: first });
                }
                return Err(malformed("invalid record header"));
            }
        };
        let mut body = vec![0u8; head.length];
        match timeout_at(deadline, stream.read_exact(&mut body)).await {
            Err(_) => return flight.finish(ExchangeError::Timeout),
            Ok(Err(e)) => return flight.finish(ExchangeError::Io(e.to_string())),
            Ok(Ok(_)) => {}
        }
        total += head.length + wire::RECORD_HEADER_LEN;
        if let Some(r) = flight.record(head.content_type, &body) {
            return r;
        }
    }
}

fn finish_or(hello: Option<ServerHello>, err: ExchangeError) -> Result<Reply, ExchangeError> {
    match hello {
        Some(h) => Ok(Reply::Hello(Box::new(h))),
        None => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_lengths_are_consistent() {
        let suites = super::super::suites::offer_list(TlsVersion::Tls12);
        for v in TlsVersion::ALL {
            let rec = client_hello(&HelloSpec {
                version: v,
                suites: &suites,
                server_name: Some("device.example"),
                groups: TLS13_GROUPS,
            });
            let rec_len = u16::from_be_bytes([rec[3], rec[4]]) as usize;
            assert_eq!(rec_len + 5, rec.len());
            let hs_len = ((rec[6] as usize) << 16) | ((rec[7] as usize) << 8) | rec[8] as usize;
            assert_eq!(hs_len + 4, rec_len);
            assert_eq!(rec[5], 1);
        }
    }

    #[test]
    fn flight_without_io() {
        // OpenSSL's answer to a hello it refuses: alert "protocol version".
        assert!(matches!(
            parse_flight(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46], true),
            Ok(Reply::Alert { description: 0x46 })
        ));
        assert!(matches!(
            parse_flight(b"HTTP/1.1 400 Bad Request\r\n", true),
            Ok(Reply::NotTls { .. })
        ));
        assert!(matches!(parse_flight(&[], true), Ok(Reply::Closed)));
        // A ServerHello cut short is malformed, not a panic.
        let hello = client_hello(&HelloSpec {
            version: TlsVersion::Tls12,
            suites: &[0xc02f],
            server_name: None,
            groups: LEGACY_GROUPS,
        });
        let mut as_server = hello.clone();
        if let Some(t) = as_server.get_mut(5) {
            *t = 2;
        }
        assert!(parse_flight(&as_server, true).is_err());
        assert!(matches!(
            parse_flight(hello.get(..3).unwrap_or_default(), true),
            Ok(Reply::NotTls { .. })
        ));
    }

    #[test]
    fn server_hello_parser_rejects_truncation_without_panicking() {
        for n in 0..40 {
            let _ = parse_server_hello(&vec![3u8; n]);
        }
        assert!(parse_certificates(&[0xFF, 0xFF, 0xFF, 1]).is_empty());
        assert_eq!(parse_ske(&[0, 0], KxKind::Dhe), None);
        assert_eq!(
            parse_ske(&[0, 2, 0x01, 0x00], KxKind::Dhe),
            Some(KxParams::DhBits(9))
        );
    }
}
