//! TLS assessment of one port: protocol versions, cipher suites, key
//! exchange groups and certificate, judged against S1.1-12 (protected
//! transport of information that must be kept confidential).
//!
//! Entry points: [`assess`] (full assessment, returns a serializable
//! [`TlsReport`]) and [`detect`] (does this port speak TLS at all?). Both are
//! safe to call for several ports at once; each bounds its own concurrency.
//!
//! How it works. For every version (SSL 3.0, TLS 1.0, 1.1, 1.2, 1.3) the
//! probe sends hand-built ClientHellos (see `hello.rs`; rustls refuses the
//! old versions by design) offering the whole IANA suite registry, notes the
//! suite the server picks, removes it and asks again until the server
//! refuses: one connection per accepted suite plus one, the versions running
//! concurrently. TLS ≤ 1.2 servers send their certificate in clear right
//! after ServerHello, so no handshake is ever completed; only for a
//! TLS 1.3-only server is a real handshake made (tokio-rustls, with a
//! verifier that accepts anything, since the point is to *read* the
//! certificate, not to trust it).
//!
//! Every connection has a deadline and every read is bounded, so a silent,
//! slow or garbage-speaking service yields a report with a `not_tls` finding
//! or errors, never a hang or a panic.

mod cert;
pub(crate) mod hello;
mod suite_table;
pub mod suites;
mod tls13;

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jcstar_criteria::Text;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::time::Instant;

pub use cert::{CertFacts, KeyInfo};
use hello::{ExchangeError, HelloSpec, KxParams, Reply, ServerHello};
pub use suites::{Strength, WeakReason};
pub(crate) use tls13::unverified_client_config;

/// Suites per hello when a server cannot take the whole registry at once.
const CHUNK: usize = 48;

/// Finite-field DH groups smaller than this raise `tls.weak_dh_group`.
pub const MIN_DH_BITS: u16 = 2048;
/// Below this a DH group is within reach of anyone (LOGJAM: 512-bit groups
/// fall in minutes), not only of a well-funded attacker.
const BROKEN_DH_BITS: u16 = 1024;

/// The criterion every TLS finding bears on.
pub const CRITERION: jcstar_criteria::CriterionId = jcstar_criteria::star1::S1_1_12;

/// Protocol versions the probe tests (SSL 2.0 is not: no device stack that
/// still speaks it would pass anything else either, and its hello differs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TlsVersion {
    /// SSL 3.0: broken (POODLE), must not be offered.
    #[serde(rename = "SSLv3")]
    Ssl3,
    /// TLS 1.0: legacy, deprecated by RFC 8996.
    #[serde(rename = "TLSv1.0")]
    Tls10,
    /// TLS 1.1: legacy, deprecated by RFC 8996.
    #[serde(rename = "TLSv1.1")]
    Tls11,
    /// TLS 1.2: acceptable with strong suites.
    #[serde(rename = "TLSv1.2")]
    Tls12,
    /// TLS 1.3: the current version.
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

impl TlsVersion {
    /// Every version the probe tests, oldest first.
    pub const ALL: [TlsVersion; 5] = [
        TlsVersion::Ssl3,
        TlsVersion::Tls10,
        TlsVersion::Tls11,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    ];

    /// The version number on the wire (0x0304 for TLS 1.3).
    pub fn wire(self) -> u16 {
        match self {
            TlsVersion::Ssl3 => 0x0300,
            TlsVersion::Tls10 => 0x0301,
            TlsVersion::Tls11 => 0x0302,
            TlsVersion::Tls12 => 0x0303,
            TlsVersion::Tls13 => 0x0304,
        }
    }

    /// `SSLv3`, `TLSv1.0`, … (sslscan's spelling).
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Ssl3 => "SSLv3",
            TlsVersion::Tls10 => "TLSv1.0",
            TlsVersion::Tls11 => "TLSv1.1",
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }

    pub(crate) fn hello_version(self) -> u16 {
        match self {
            TlsVersion::Tls13 => 0x0303,
            v => v.wire(),
        }
    }

    pub(crate) fn record_version(self) -> u16 {
        match self {
            TlsVersion::Ssl3 => 0x0300,
            _ => 0x0301,
        }
    }
}

/// Knobs for [`assess`] (serializable so that evidence can record them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsOptions {
    /// Deadline for one connection (connect, send, read the first flight).
    pub timeout: Duration,
    /// Deadline for the whole assessment; what is unfinished by then is
    /// reported as not tested.
    pub budget: Duration,
    /// Connections open at once to this port.
    pub concurrency: usize,
    /// Enumerate every accepted suite (otherwise: versions and certificate).
    pub enumerate_ciphers: bool,
    /// Enumerate key-exchange groups: curves for ECDHE under TLS 1.0-1.2,
    /// all groups under TLS 1.3.
    pub enumerate_groups: bool,
    /// The time certificates are judged at; `None` means the system clock.
    pub now: Option<SystemTime>,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            timeout: Duration::from_secs(5),
            budget: Duration::from_secs(60),
            concurrency: 8,
            enumerate_ciphers: true,
            enumerate_groups: true,
            now: None,
        }
    }
}

/// A suite the server accepted under one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedCipher {
    /// Code point as `0xC02F` (sslscan's spelling).
    pub id: String,
    /// Code point as a number.
    pub code: u16,
    /// IANA registry name.
    pub iana: String,
    /// OpenSSL's name, when it has one.
    pub openssl: Option<String>,
    /// Symmetric key strength in bits, as OpenSSL counts it.
    pub bits: u16,
    /// Strong, or weak for the reasons in `weaknesses`.
    pub strength: Strength,
    /// Why the suite is weak; empty when strong.
    pub weaknesses: Vec<WeakReason>,
    /// Key exchange the server chose for it: a group name or `DH 2048`.
    pub key_exchange: Option<String>,
    /// Size in bits of the finite-field DH prime the server sent in its
    /// ServerKeyExchange (DHE suites under TLS <= 1.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_bits: Option<u16>,
}

/// A key-exchange group the server accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// Code point of the group.
    pub id: u16,
    /// Its name, e.g. `x25519`.
    pub name: String,
}

/// Outcome for one protocol version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolResult {
    /// The version this result is for.
    pub version: TlsVersion,
    /// False when the probe could not find out (error or budget exhausted).
    pub tested: bool,
    /// Whether the server completed a hello under this version.
    pub accepted: bool,
    /// Accepted suites; under server preference in the server's order.
    pub ciphers: Vec<AcceptedCipher>,
    /// `Some(true)`: the server picks by its own preference; `None`: not
    /// determined (fewer than two suites).
    pub server_preference: Option<bool>,
    /// Key-exchange groups the server accepted under this version.
    pub groups: Vec<GroupInfo>,
    /// Why the version counts as refused or untested (alert, downgrade…).
    pub note: Option<String>,
}

/// pass / fail / needs-review / not-tested, as the checklist uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsVerdict {
    /// Nothing found that counts against the criterion.
    Pass,
    /// A person must judge the facts (e.g. a self-signed certificate).
    NeedsReview,
    /// The port fails the criterion (e.g. a legacy version accepted).
    Fail,
    /// Could not be tested.
    NotTested,
}

/// One observation, the criterion it bears on and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFinding {
    /// Stable identifier, e.g. `tls.legacy_version`.
    pub id: String,
    /// The criterion it bears on, e.g. `S1.1-12`.
    pub criterion: jcstar_criteria::CriterionId,
    /// How it bears on the criterion.
    pub verdict: TlsVerdict,
    /// The observation in English and Japanese.
    pub text: Text,
    /// The facts behind it (versions, suite names, dates).
    pub evidence: Vec<String>,
}

/// Everything [`assess`] learned about one port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsReport {
    /// The `IP:port` assessed.
    pub address: String,
    /// The name sent as SNI and checked against the certificate, if any.
    pub server_name: Option<String>,
    /// The port answered at least one ClientHello with TLS.
    pub speaks_tls: bool,
    /// One result per tested protocol version.
    pub protocols: Vec<ProtocolResult>,
    /// Facts about the certificate the server sent, if any.
    pub certificate: Option<CertFacts>,
    /// Where the certificate came from (e.g. `TLSv1.2 ServerHello flight`).
    pub certificate_source: Option<String>,
    /// RFC 5746 secure renegotiation signalled by the server (TLS ≤ 1.2).
    pub secure_renegotiation: Option<bool>,
    /// Every observation, each with its verdict.
    pub findings: Vec<TlsFinding>,
    /// The port's overall verdict on S1.1-12 (worst finding).
    pub verdict: TlsVerdict,
    /// Connections made.
    pub connections: u32,
    /// Wall-clock time of the assessment, in milliseconds.
    pub elapsed_ms: u64,
    /// False when the budget ran out before every test finished.
    pub complete: bool,
    /// Errors met on the way (connections, parsing, budget).
    pub errors: Vec<String>,
}

impl TlsReport {
    /// The result for version `v`, if it was tested.
    pub fn protocol(&self, v: TlsVersion) -> Option<&ProtocolResult> {
        self.protocols.iter().find(|p| p.version == v)
    }

    /// Versions the server accepted.
    pub fn accepted_versions(&self) -> Vec<TlsVersion> {
        self.protocols
            .iter()
            .filter(|p| p.accepted)
            .map(|p| p.version)
            .collect()
    }
}

/// Shared state of one assessment.
struct Ctx {
    addr: SocketAddr,
    sni: Option<String>,
    timeout: Duration,
    deadline: Instant,
    permits: Semaphore,
    connections: AtomicU32,
}

impl Ctx {
    async fn hello(
        &self,
        version: TlsVersion,
        suites: &[u16],
        groups: &[u16],
        full_flight: bool,
    ) -> Result<Reply, ExchangeError> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(ExchangeError::Timeout);
        }
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ExchangeError::Io("semaphore closed".into()))?;
        let deadline = (Instant::now() + self.timeout).min(self.deadline);
        let rec = hello::client_hello(&HelloSpec {
            version,
            suites,
            server_name: self.sni.as_deref(),
            groups,
        });
        self.connections.fetch_add(1, Ordering::Relaxed);
        hello::exchange(self.addr, &rec, full_flight, deadline).await
    }
}

#[derive(Default)]
struct VersionOutcome {
    certs: Vec<Vec<u8>>,
    renegotiation: Option<bool>,
    saw_tls: bool,
    not_tls: Option<Vec<u8>>,
    errors: Vec<String>,
    incomplete: bool,
}

fn cipher_entry(version: TlsVersion, sh: &ServerHello) -> AcceptedCipher {
    let info = suites::lookup(sh.cipher);
    let iana = info
        .map(|s| s.iana.to_string())
        .unwrap_or_else(|| format!("UNKNOWN_{:#06X}", sh.cipher));
    let weaknesses = suites::weaknesses(version, &iana);
    let dh_bits = match sh.kx {
        Some(KxParams::DhBits(b)) => Some(b),
        _ => None,
    };
    let key_exchange = match (sh.kx, sh.group) {
        (Some(KxParams::Curve(c)), _) => Some(hello::group_name(c)),
        (Some(KxParams::DhBits(b)), _) => Some(format!("DH {b}")),
        (None, Some(g)) => Some(hello::group_name(g)),
        _ => None,
    };
    AcceptedCipher {
        id: format!("0x{:04X}", sh.cipher),
        code: sh.cipher,
        bits: suites::bits(&iana),
        openssl: info.and_then(|s| s.openssl).map(str::to_string),
        strength: if weaknesses.is_empty() {
            Strength::Strong
        } else {
            Strength::Weak
        },
        weaknesses,
        iana,
        key_exchange,
        dh_bits,
    }
}

fn describe_error(v: TlsVersion, e: &ExchangeError) -> String {
    format!("{}: {e}", v.name())
}

fn alert_name(d: u8) -> String {
    let n = match d {
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure",
        47 => "illegal_parameter",
        50 => "decode_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        109 => "missing_extension",
        112 => "unrecognized_name",
        _ => return format!("alert {d}"),
    };
    n.to_string()
}

/// Is `reply` an acceptance of `version` with one of `offered`?
fn accepted<'a>(version: TlsVersion, reply: &'a Reply, offered: &[u16]) -> Option<&'a ServerHello> {
    match reply {
        Reply::Hello(sh) if sh.version == version.wire() && offered.contains(&sh.cipher) => {
            Some(sh)
        }
        _ => None,
    }
}

async fn scan_version(
    ctx: &Ctx,
    version: TlsVersion,
    opts: &TlsOptions,
) -> (ProtocolResult, VersionOutcome) {
    let mut out = VersionOutcome::default();
    let mut res = ProtocolResult {
        version,
        tested: false,
        accepted: false,
        ciphers: Vec::new(),
        server_preference: None,
        groups: Vec::new(),
        note: None,
    };
    let groups: &[u16] = if version == TlsVersion::Tls13 {
        hello::TLS13_GROUPS
    } else {
        hello::LEGACY_GROUPS
    };
    let full = version != TlsVersion::Tls13;
    let all = suites::offer_list(version);

    let first = ctx.hello(version, &all, groups, full).await;
    // A refusal that is not a clean "no such version / no shared suite" may
    // be a small stack choking on a 350-suite hello (some close the
    // connection or report a decode error): then offer the registry in
    // chunks instead.
    let mut chunked = false;
    match &first {
        Err(ExchangeError::Timeout | ExchangeError::Connect(_)) => {}
        Err(_) => chunked = true,
        Ok(Reply::Closed) => chunked = true,
        Ok(Reply::Alert { description }) => chunked = !matches!(description, 40 | 70 | 71 | 86),
        Ok(_) => {}
    }
    match &first {
        Err(e) if !chunked => {
            res.note = Some(e.to_string());
            out.errors.push(describe_error(version, e));
            out.incomplete = true;
            return (res, out);
        }
        Err(e) => res.note = Some(format!("full-size hello failed ({e}); offered in chunks")),
        Ok(Reply::Hello(sh)) => {
            out.saw_tls = true;
            if sh.version != version.wire() {
                res.note = Some(format!(
                    "server answered with version {:#06x} instead",
                    sh.version
                ));
            } else if !all.contains(&sh.cipher) {
                res.note = Some(format!(
                    "server chose suite {:#06x}, which was not offered",
                    sh.cipher
                ));
            }
        }
        Ok(Reply::Alert { description }) => {
            out.saw_tls = true;
            res.note = Some(format!("refused: {}", alert_name(*description)));
        }
        Ok(Reply::Closed) => res.note = Some("refused: connection closed".into()),
        Ok(Reply::NotTls { first_bytes }) => {
            res.note = Some("the service does not speak TLS".into());
            out.not_tls = Some(first_bytes.clone());
        }
    }
    res.tested = true;

    let record = |sh: &ServerHello, res: &mut ProtocolResult, out: &mut VersionOutcome| {
        out.saw_tls = true;
        // RFC 5746 applies to TLS <= 1.2 only: TLS 1.3 has no renegotiation
        // and its ServerHello never carries renegotiation_info.
        if version <= TlsVersion::Tls12 && out.renegotiation.is_none() {
            out.renegotiation = Some(sh.secure_renegotiation);
        }
        if out.certs.is_empty() && !sh.certificates.is_empty() {
            out.certs = sh.certificates.clone();
        }
        res.accepted = true;
        res.ciphers.push(cipher_entry(version, sh));
    };

    let chunks: Vec<Vec<u16>> = if chunked {
        all.chunks(CHUNK).map(<[u16]>::to_vec).collect()
    } else {
        match &first {
            Ok(reply) => match accepted(version, reply, &all) {
                Some(sh) => {
                    record(sh, &mut res, &mut out);
                    let c = sh.cipher;
                    vec![all.iter().copied().filter(|&x| x != c).collect()]
                }
                None => return (res, out),
            },
            Err(_) => return (res, out),
        }
    };
    // Remove what the server picks and ask again, until it refuses.
    'chunks: for mut offered in chunks {
        while !offered.is_empty() {
            if res.accepted && !opts.enumerate_ciphers {
                break 'chunks;
            }
            match ctx.hello(version, &offered, groups, full).await {
                Ok(reply) => {
                    if matches!(reply, Reply::Alert { .. }) {
                        out.saw_tls = true;
                    }
                    match accepted(version, &reply, &offered) {
                        Some(sh) => {
                            record(sh, &mut res, &mut out);
                            let c = sh.cipher;
                            offered.retain(|&x| x != c);
                        }
                        None => break,
                    }
                }
                Err(e) => {
                    out.errors.push(describe_error(version, &e));
                    out.incomplete = true;
                    break 'chunks;
                }
            }
        }
    }
    if res.accepted && !chunked {
        res.note = None;
    }

    if opts.enumerate_ciphers && res.ciphers.len() >= 2 {
        // Offer the accepted suites in reverse: a server that follows the
        // client's order picks our first; one with its own order does not.
        let reversed: Vec<u16> = res.ciphers.iter().rev().map(|c| c.code).collect();
        let reply = ctx.hello(version, &reversed, groups, false).await;
        if let Some(sh) = reply
            .as_ref()
            .ok()
            .and_then(|r| accepted(version, r, &reversed))
        {
            res.server_preference = Some(reversed.first() != Some(&sh.cipher));
        }
    }

    if opts.enumerate_groups {
        res.groups = scan_groups(ctx, version, &res.ciphers).await;
    }
    (res, out)
}

/// Groups the server accepts, one connection per accepted group plus one.
async fn scan_groups(ctx: &Ctx, version: TlsVersion, ciphers: &[AcceptedCipher]) -> Vec<GroupInfo> {
    let (suites, mut groups): (Vec<u16>, Vec<u16>) = match version {
        TlsVersion::Tls13 => (
            ciphers.iter().map(|c| c.code).collect(),
            hello::TLS13_GROUPS.to_vec(),
        ),
        TlsVersion::Tls10 | TlsVersion::Tls11 | TlsVersion::Tls12 => (
            ciphers
                .iter()
                .filter(|c| suites::kx_kind(&c.iana) == suites::KxKind::Ecdhe)
                .map(|c| c.code)
                .collect(),
            hello::LEGACY_GROUPS
                .iter()
                .copied()
                .filter(|g| *g < 0x0100)
                .collect(),
        ),
        _ => return Vec::new(),
    };
    let mut found = Vec::new();
    if suites.is_empty() {
        return found;
    }
    while !groups.is_empty() {
        let full = version != TlsVersion::Tls13;
        let Ok(reply) = ctx.hello(version, &suites, &groups, full).await else {
            break;
        };
        let Some(sh) = accepted(version, &reply, &suites) else {
            break;
        };
        let chosen = match (version, sh.kx) {
            (TlsVersion::Tls13, _) => sh.group,
            (_, Some(KxParams::Curve(c))) => Some(c),
            _ => None,
        };
        match chosen {
            Some(g) if groups.contains(&g) => {
                found.push(GroupInfo {
                    id: g,
                    name: hello::group_name(g),
                });
                groups.retain(|&x| x != g);
            }
            _ => break,
        }
    }
    found.sort_by_key(|g| g.id);
    found
}

fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// Assess the TLS service at `addr`.
///
/// `server_name` is sent as SNI (when it is a DNS name) and is the name the
/// certificate is checked against; without it the certificate is checked
/// against the IP address. Never panics and never outlives
/// `opts.budget` by more than one connection timeout; a service that does
/// not speak TLS yields a report with a `tls.not_tls` finding.
pub async fn assess(addr: SocketAddr, server_name: Option<&str>, opts: &TlsOptions) -> TlsReport {
    let start = Instant::now();
    let sni = server_name
        .filter(|n| n.parse::<IpAddr>().is_err() && !n.is_empty())
        .map(str::to_string);
    let ctx = Ctx {
        addr,
        sni: sni.clone(),
        timeout: opts.timeout,
        deadline: start + opts.budget,
        permits: Semaphore::new(opts.concurrency.max(1)),
        connections: AtomicU32::new(0),
    };

    let (s3, t10, t11, t12, t13) = tokio::join!(
        scan_version(&ctx, TlsVersion::Ssl3, opts),
        scan_version(&ctx, TlsVersion::Tls10, opts),
        scan_version(&ctx, TlsVersion::Tls11, opts),
        scan_version(&ctx, TlsVersion::Tls12, opts),
        scan_version(&ctx, TlsVersion::Tls13, opts),
    );
    let outcomes = [s3, t10, t11, t12, t13];

    let mut errors = Vec::new();
    let mut complete = true;
    let mut speaks_tls = false;
    let mut not_tls: Option<Vec<u8>> = None;
    let mut certs: Option<(TlsVersion, Vec<Vec<u8>>)> = None;
    let mut renegotiation = None;
    let mut protocols = Vec::new();
    // Highest version first, so the certificate a modern client sees wins.
    for (res, out) in outcomes.into_iter().rev() {
        errors.extend(out.errors);
        complete &= !out.incomplete;
        speaks_tls |= out.saw_tls;
        if not_tls.is_none() {
            not_tls = out.not_tls;
        }
        if certs.is_none() && !out.certs.is_empty() {
            certs = Some((res.version, out.certs));
        }
        if renegotiation.is_none() {
            renegotiation = out.renegotiation;
        }
        protocols.push(res);
    }
    protocols.reverse();

    let now_unix = unix(opts.now.unwrap_or_else(SystemTime::now));
    let checked_name = server_name
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| addr.ip().to_string());
    let mut certificate_source = certs
        .as_ref()
        .map(|(v, _)| format!("{} ServerHello flight", v.name()));
    let mut chain = certs.map(|(_, c)| c);
    let tls13_accepted = protocols
        .iter()
        .any(|p| p.version == TlsVersion::Tls13 && p.accepted);
    if chain.is_none() && tls13_accepted {
        let deadline = (Instant::now() + opts.timeout).min(ctx.deadline);
        ctx.connections.fetch_add(1, Ordering::Relaxed);
        match tls13::fetch_chain(addr, sni.as_deref(), deadline).await {
            Ok(c) if !c.is_empty() => {
                chain = Some(c);
                certificate_source = Some("TLSv1.3 handshake".into());
            }
            Ok(_) => errors.push("TLSv1.3: server sent no certificate".into()),
            Err(e) => {
                complete = false;
                errors.push(format!("TLSv1.3 certificate: {e}"));
            }
        }
    }
    let certificate = chain
        .as_deref()
        .and_then(|c| cert::facts(c, &checked_name, now_unix));
    if chain.is_some() && certificate.is_none() {
        errors.push("the server's certificate could not be parsed".into());
    }

    let mut report = TlsReport {
        address: addr.to_string(),
        server_name: server_name.map(str::to_string),
        speaks_tls,
        protocols,
        certificate,
        certificate_source,
        secure_renegotiation: renegotiation,
        findings: Vec::new(),
        verdict: TlsVerdict::NotTested,
        connections: ctx.connections.load(Ordering::Relaxed),
        elapsed_ms: start.elapsed().as_millis() as u64,
        complete,
        errors,
    };
    report.findings = findings(&report, not_tls.as_deref());
    report.verdict = overall(&report);
    report
}

/// Quick check: does the service at `addr` answer a ClientHello with TLS
/// (a ServerHello or an alert)? At most two connections, both within
/// `timeout`: the full-registry hello, and, if the service drops that
/// without a word, a compact one with the suites small stacks implement.
pub async fn detect(addr: SocketAddr, timeout: Duration) -> bool {
    const COMPACT: &[u16] = &[
        0xC02F, 0xC02B, 0xC030, 0xC02C, 0xCCA8, 0xCCA9, 0xC013, 0xC009, 0xC014, 0xC00A, 0x009C,
        0x009D, 0x002F, 0x0035, 0xC0AE, 0xC0AC, 0x00A8, 0x008C, 0x000A,
    ];
    let deadline = Instant::now() + timeout;
    let full = suites::offer_list(TlsVersion::Tls12);
    for list in [&full[..], COMPACT] {
        let rec = hello::client_hello(&HelloSpec {
            version: TlsVersion::Tls12,
            suites: list,
            server_name: None,
            groups: hello::LEGACY_GROUPS,
        });
        match hello::exchange(addr, &rec, false, deadline).await {
            Ok(Reply::Hello(_) | Reply::Alert { .. }) => return true,
            Ok(Reply::Closed) | Err(ExchangeError::Io(_) | ExchangeError::Malformed(_)) => {}
            _ => return false,
        }
    }
    false
}

fn text(ja: impl Into<String>, en: impl Into<String>) -> Text {
    Text {
        ja: ja.into(),
        en: en.into(),
    }
}

fn finding(id: &str, verdict: TlsVerdict, t: Text, evidence: Vec<String>) -> TlsFinding {
    TlsFinding {
        id: id.to_string(),
        criterion: CRITERION,
        verdict,
        text: t,
        evidence,
    }
}

/// Map what was observed to S1.1-12.
///
/// Judgements, and why:
/// - SSL 3.0, TLS 1.0 and TLS 1.1 accepted: fail. All three are deprecated
///   (RFC 7568, RFC 8996) and a client can be pushed down to them.
/// - A weak suite accepted (NULL, EXPORT, anonymous, RC4, DES/3DES, RC2,
///   IDEA, MD5, or any CBC suite under a legacy version): fail, since the
///   information the criterion protects could then be read.
/// - A finite-field DH group under 2048 bits (DHE suites, read from the
///   ServerKeyExchange): fail, the LOGJAM class (RFC 7919 and NIST SP
///   800-57 ask for 2048 bits at least).
/// - Expired or not-yet-valid certificate: fail; an RSA key under 2048 bits
///   (or EC under 224): fail; SHA-1/MD5 signature: fail when a CA signed it
///   (the signature is what vouches for the key), needs-review when
///   self-signed (nobody verifies that signature anyway).
/// - Self-signed certificate: needs-review, not fail. Devices on a home or
///   plant network usually cannot obtain a publicly trusted certificate;
///   whether the product pins or lets the user install its certificate is a
///   question for the document review, not something the port shows.
/// - Name mismatch: needs-review, for the same reason (devices are reached
///   by addresses their certificate cannot know in advance).
fn findings(r: &TlsReport, not_tls: Option<&[u8]>) -> Vec<TlsFinding> {
    use TlsVerdict::*;
    let mut f = Vec::new();
    if !r.speaks_tls {
        let ev = match not_tls {
            Some(b) => vec![format!("first bytes: {}", printable(b))],
            None => r.errors.clone(),
        };
        f.push(finding(
            "tls.not_tls",
            NotTested,
            text(
                "このポートは TLS で応答しなかったため、TLS の評価はできなかった",
                "the port did not answer with TLS, so TLS could not be assessed",
            ),
            ev,
        ));
        return f;
    }

    let legacy: Vec<&str> = r
        .protocols
        .iter()
        .filter(|p| p.accepted && p.version <= TlsVersion::Tls11)
        .map(|p| p.version.name())
        .collect();
    if !legacy.is_empty() {
        f.push(finding(
            "tls.legacy_version",
            Fail,
            text(
                format!("廃止されたプロトコルを受け入れる: {}", legacy.join(", ")),
                format!(
                    "deprecated protocol versions accepted: {}",
                    legacy.join(", ")
                ),
            ),
            legacy.iter().map(|s| s.to_string()).collect(),
        ));
    }
    let modern = r
        .protocols
        .iter()
        .any(|p| p.accepted && p.version >= TlsVersion::Tls12);
    if !modern {
        f.push(finding(
            "tls.no_modern_version",
            Fail,
            text(
                "TLS 1.2 と TLS 1.3 のどちらも受け入れない",
                "neither TLS 1.2 nor TLS 1.3 is accepted",
            ),
            Vec::new(),
        ));
    }

    let mut weak = Vec::new();
    for p in &r.protocols {
        for c in p.ciphers.iter().filter(|c| c.strength == Strength::Weak) {
            let why: Vec<&str> = c.weaknesses.iter().map(|w| w.describe()).collect();
            weak.push(format!(
                "{} {} ({})",
                p.version.name(),
                c.openssl.as_deref().unwrap_or(&c.iana),
                why.join("; ")
            ));
        }
    }
    if !weak.is_empty() {
        f.push(finding(
            "tls.weak_cipher",
            Fail,
            text(
                format!("弱い暗号スイートを {} 件受け入れる", weak.len()),
                format!("{} weak cipher suite(s) accepted", weak.len()),
            ),
            weak,
        ));
    }

    let mut dh: Vec<(u16, String)> = Vec::new();
    for p in r
        .protocols
        .iter()
        .filter(|p| p.version <= TlsVersion::Tls12)
    {
        for c in &p.ciphers {
            if let Some(bits) = c.dh_bits.filter(|&b| b < MIN_DH_BITS) {
                dh.push((
                    bits,
                    format!(
                        "{} {} (DH {bits})",
                        p.version.name(),
                        c.openssl.as_deref().unwrap_or(&c.iana)
                    ),
                ));
            }
        }
    }
    if !dh.is_empty() {
        let sizes: BTreeSet<u16> = dh.iter().map(|(b, _)| *b).collect();
        let sizes: Vec<String> = sizes.iter().map(u16::to_string).collect();
        let sizes = sizes.join(", ");
        f.push(finding(
            "tls.weak_dh_group",
            Fail,
            text(
                format!(
                    "鍵交換に {MIN_DH_BITS} ビット未満の有限体 DH グループを使用する ({sizes} ビット、LOGJAM の類)"
                ),
                format!(
                    "finite-field DH group under {MIN_DH_BITS} bits used for key exchange ({sizes} bits; LOGJAM class)"
                ),
            ),
            dh.into_iter().map(|(_, e)| e).collect(),
        ));
    }

    match &r.certificate {
        None => {
            let anonymous_only = r.protocols.iter().filter(|p| p.accepted).all(|p| {
                p.ciphers
                    .iter()
                    .all(|c| c.weaknesses.contains(&WeakReason::Anonymous))
            });
            f.push(finding(
                "tls.no_certificate",
                if anonymous_only { Fail } else { NotTested },
                text(
                    "サーバ証明書を取得できなかった",
                    "the server certificate could not be obtained",
                ),
                r.errors.clone(),
            ));
        }
        Some(c) => {
            if c.expired {
                f.push(finding(
                    "tls.cert_expired",
                    Fail,
                    text(
                        format!("サーバ証明書の有効期限が切れている ({})", c.not_after),
                        format!("the server certificate expired on {}", c.not_after),
                    ),
                    vec![format!("not_after {}", c.not_after)],
                ));
            }
            if c.not_yet_valid {
                f.push(finding(
                    "tls.cert_not_yet_valid",
                    Fail,
                    text(
                        format!("サーバ証明書はまだ有効でない ({} から)", c.not_before),
                        format!(
                            "the server certificate is not valid before {}",
                            c.not_before
                        ),
                    ),
                    vec![format!("not_before {}", c.not_before)],
                ));
            }
            let small = match (c.key.kind.as_str(), c.key.bits) {
                ("RSA" | "DSA", Some(b)) => b < 2048,
                ("EC", Some(b)) => b < 224,
                _ => false,
            };
            if small {
                f.push(finding(
                    "tls.cert_key_too_small",
                    Fail,
                    text(
                        format!(
                            "サーバ証明書の鍵長が不足している ({} {} ビット)",
                            c.key.kind,
                            c.key.bits.unwrap_or(0)
                        ),
                        format!(
                            "the server key is too small ({} {} bits; at least RSA 2048 / EC 224 expected)",
                            c.key.kind,
                            c.key.bits.unwrap_or(0)
                        ),
                    ),
                    vec![format!("{} {}", c.key.kind, c.key.bits.unwrap_or(0))],
                ));
            }
            if c.weak_signature_hash {
                f.push(finding(
                    "tls.cert_weak_signature",
                    if c.self_signed { NeedsReview } else { Fail },
                    text(
                        format!(
                            "証明書の署名に弱いハッシュを使用している ({})",
                            c.signature_algorithm
                        ),
                        format!(
                            "the certificate is signed with a weak hash ({})",
                            c.signature_algorithm
                        ),
                    ),
                    vec![c.signature_algorithm.clone()],
                ));
            }
            if c.self_signed {
                f.push(finding(
                    "tls.cert_self_signed",
                    NeedsReview,
                    text(
                        "自己署名証明書: 利用者が真正性を確認する手段 (証明書の固定や導入手順) を文書で確認すること",
                        "self-signed certificate: check in the documents how users can verify it (pinning, installing the device certificate)",
                    ),
                    vec![format!("subject = issuer = {}", c.subject)],
                ));
            }
            if !c.name_matches {
                f.push(finding(
                    "tls.cert_name_mismatch",
                    NeedsReview,
                    text(
                        format!("証明書が接続先 {} を含まない", c.checked_name),
                        format!("the certificate does not name {}", c.checked_name),
                    ),
                    c.san_dns
                        .iter()
                        .chain(c.san_ip.iter())
                        .cloned()
                        .chain(c.subject_cn.clone())
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect(),
                ));
            }
        }
    }
    if !r.complete {
        f.push(finding(
            "tls.incomplete",
            NotTested,
            text(
                "一部の試験が時間内に終わらなかった",
                "part of the assessment did not finish in time",
            ),
            r.errors.clone(),
        ));
    }
    f
}

fn overall(r: &TlsReport) -> TlsVerdict {
    if !r.speaks_tls {
        return TlsVerdict::NotTested;
    }
    if r.findings.iter().any(|f| f.verdict == TlsVerdict::Fail) {
        return TlsVerdict::Fail;
    }
    if r.findings
        .iter()
        .any(|f| f.verdict == TlsVerdict::NotTested)
    {
        return TlsVerdict::NotTested;
    }
    if r.findings
        .iter()
        .any(|f| f.verdict == TlsVerdict::NeedsReview)
    {
        return TlsVerdict::NeedsReview;
    }
    TlsVerdict::Pass
}

impl TlsVerdict {
    /// The probe report's verdict type for the same outcome.
    pub fn to_report(self) -> crate::report::Verdict {
        use crate::report::Verdict;
        match self {
            TlsVerdict::Pass => Verdict::Pass,
            TlsVerdict::Fail => Verdict::Fail,
            TlsVerdict::NeedsReview => Verdict::NeedsReview,
            TlsVerdict::NotTested => Verdict::NotTested,
        }
    }
}

/// Evidence lines copied into a report finding's detail, at most.
const DETAIL_LINES: usize = 12;

impl TlsReport {
    /// The findings in the probe report's shape, for the TCP port assessed:
    /// kinds `tls-legacy-version`, `tls-weak-cipher`, `tls-cert-expired`, …
    /// Severity: high for what lets anyone read the traffic (NULL, anonymous
    /// or export suites, SSL 3.0, no TLS 1.2/1.3, a DH group under 1024
    /// bits), medium for other
    /// failures, low for needs-review, info for not-tested. `evidence` names
    /// the evidence files (e.g. this report's JSON) backing every finding.
    pub fn report_findings(
        &self,
        lang: jcstar_criteria::Lang,
        evidence: &[String],
    ) -> Vec<crate::report::Finding> {
        use crate::report::{Finding, PortRef, Severity, Transport};
        let port = self.address.parse::<SocketAddr>().ok().map(|a| PortRef {
            transport: Transport::Tcp,
            port: a.port(),
        });
        let broken = |f: &TlsFinding| match f.id.as_str() {
            "tls.no_modern_version" => true,
            "tls.legacy_version" => f.evidence.iter().any(|e| e == "SSLv3"),
            "tls.weak_dh_group" => self.protocols.iter().any(|p| {
                p.ciphers
                    .iter()
                    .any(|c| c.dh_bits.is_some_and(|b| b < BROKEN_DH_BITS))
            }),
            "tls.weak_cipher" => f.evidence.iter().any(|e| {
                [
                    WeakReason::NullEncryption,
                    WeakReason::Anonymous,
                    WeakReason::Export,
                ]
                .iter()
                .any(|w| e.contains(w.describe()))
            }),
            _ => false,
        };
        self.findings
            .iter()
            .map(|f| {
                let severity = match f.verdict {
                    TlsVerdict::Fail if broken(f) => Severity::High,
                    TlsVerdict::Fail => Severity::Medium,
                    TlsVerdict::NeedsReview => Severity::Low,
                    TlsVerdict::Pass | TlsVerdict::NotTested => Severity::Info,
                };
                let mut detail: Vec<String> =
                    f.evidence.iter().take(DETAIL_LINES).cloned().collect();
                if f.evidence.len() > DETAIL_LINES {
                    detail.push(format!("… {} more", f.evidence.len() - DETAIL_LINES));
                }
                Finding {
                    criterion: f.criterion,
                    severity,
                    kind: f.id.replace(['.', '_'], "-"),
                    title: f.text.get(lang).to_string(),
                    detail: detail.join("; "),
                    port,
                    evidence: evidence.to_vec(),
                    ja: Some(crate::report::FindingText {
                        title: f.text.ja.clone(),
                        detail: detail.join("; "),
                    }),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dhe_suite(code: u16, iana: &str, dh_bits: Option<u16>) -> AcceptedCipher {
        AcceptedCipher {
            id: format!("0x{code:04X}"),
            code,
            iana: iana.to_string(),
            openssl: None,
            bits: 128,
            strength: Strength::Strong,
            weaknesses: Vec::new(),
            key_exchange: dh_bits.map(|b| format!("DH {b}")),
            dh_bits,
        }
    }

    /// A TLS 1.2-only report whose suites carry the given DH sizes.
    fn report_with_dh(sizes: &[Option<u16>]) -> TlsReport {
        let ciphers = sizes
            .iter()
            .enumerate()
            .map(|(i, b)| dhe_suite(0x009E + i as u16, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", *b))
            .collect();
        let mut r = TlsReport {
            address: "127.0.0.1:443".into(),
            server_name: None,
            speaks_tls: true,
            protocols: vec![ProtocolResult {
                version: TlsVersion::Tls12,
                tested: true,
                accepted: true,
                ciphers,
                server_preference: None,
                groups: Vec::new(),
                note: None,
            }],
            certificate: None,
            certificate_source: None,
            secure_renegotiation: Some(true),
            findings: Vec::new(),
            verdict: TlsVerdict::NotTested,
            connections: 1,
            elapsed_ms: 1,
            complete: true,
            errors: Vec::new(),
        };
        r.findings = findings(&r, None);
        r.verdict = overall(&r);
        r
    }

    fn dh_finding(r: &TlsReport) -> Option<&TlsFinding> {
        r.findings.iter().find(|f| f.id == "tls.weak_dh_group")
    }

    #[test]
    fn dh_group_under_2048_bits_fails_with_its_measured_size() {
        let r = report_with_dh(&[Some(1024), Some(2048)]);
        let f = dh_finding(&r).expect("weak DH finding");
        assert_eq!(f.verdict, TlsVerdict::Fail);
        assert_eq!(f.criterion, CRITERION);
        assert!(f.text.ja.contains("1024 ビット"), "{}", f.text.ja);
        assert!(f.text.ja.contains("2048 ビット未満"), "{}", f.text.ja);
        assert!(f.text.en.contains("1024 bits"), "{}", f.text.en);
        assert!(f.text.en.contains("LOGJAM"), "{}", f.text.en);
        // Only the suite with the small group is cited.
        assert_eq!(f.evidence.len(), 1, "{:?}", f.evidence);
        assert!(f.evidence[0].contains("DH 1024"), "{:?}", f.evidence);
        assert_eq!(r.verdict, TlsVerdict::Fail);

        // Medium like the other failures that need a strong attacker
        // (a 1024-bit RSA key), in both languages.
        for lang in [jcstar_criteria::Lang::Ja, jcstar_criteria::Lang::En] {
            let rf = r.report_findings(lang, &["tls/tcp-443.json".to_string()]);
            let f = rf
                .iter()
                .find(|f| f.kind == "tls-weak-dh-group")
                .expect("report finding");
            assert_eq!(f.severity, crate::report::Severity::Medium);
            assert!(f.title.contains("1024"), "{}", f.title);
            assert!(f.ja.as_ref().is_some_and(|t| t.title.contains("1024")));
        }
    }

    #[test]
    fn every_distinct_small_size_is_named_and_512_bits_is_high() {
        let r = report_with_dh(&[Some(1024), Some(512), Some(1024)]);
        let f = dh_finding(&r).expect("weak DH finding");
        assert!(f.text.en.contains("(512, 1024 bits"), "{}", f.text.en);
        assert!(f.text.ja.contains("(512, 1024 ビット"), "{}", f.text.ja);
        assert_eq!(f.evidence.len(), 3);
        let rf = r.report_findings(jcstar_criteria::Lang::Ja, &[]);
        let f = rf
            .iter()
            .find(|f| f.kind == "tls-weak-dh-group")
            .expect("report finding");
        assert_eq!(f.severity, crate::report::Severity::High);
    }

    #[test]
    fn dh_groups_of_2048_bits_or_more_and_ecdhe_raise_nothing() {
        for sizes in [vec![Some(2048)], vec![Some(4096), None], vec![None]] {
            let r = report_with_dh(&sizes);
            assert!(dh_finding(&r).is_none(), "{sizes:?}: {:?}", r.findings);
            assert_eq!(r.verdict, TlsVerdict::NotTested, "no certificate here");
        }
    }

    #[test]
    fn dh_bits_are_optional_in_stored_reports() {
        let c = dhe_suite(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", None);
        let json = serde_json::to_value(&c).expect("serialize");
        assert!(json.get("dh_bits").is_none());
        let back: AcceptedCipher = serde_json::from_value(json).expect("old shape reads");
        assert_eq!(back, c);
    }
}
