//! Service identification on one open TCP port, from what the service says.
//!
//! A banner-grab connection and the client-first probes (TLS ClientHello,
//! HTTP GET, MQTT CONNECT, RTSP OPTIONS) run at the same time on separate
//! connections; the first reply that names a protocol decides, and the rest
//! are dropped. Every read is bounded in bytes and time, so a stalling,
//! flooding or garbage-speaking service ends as a described `Unknown`
//! service with flags, never as a hang.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;

use jcstar_wire::{ftp, http, mqtt, telnet, tls};

use crate::report::{Access, Anomaly, Service, ServiceKind};
use crate::transcript::{Transcript, escape_bounded};

/// What runs inside TLS: a child of this module, since it asks the same
/// HTTP and MQTT questions and fills the service the same way.
mod tlsinner;

/// Most bytes read from one connection; hitting it marks the service as flooding.
pub const READ_CAP: usize = 64 * 1024;

/// Timing of the identification exchanges with one port.
#[derive(Debug, Clone)]
pub struct IdentifyConfig {
    /// How long to wait for a server-first greeting.
    pub banner_wait: Duration,
    /// Deadline of each probe exchange (connect + send + first reply).
    pub step_timeout: Duration,
    /// After the first bytes of a reply, how long to keep reading the rest.
    pub settle: Duration,
}

impl Default for IdentifyConfig {
    fn default() -> Self {
        IdentifyConfig {
            banner_wait: Duration::from_millis(400),
            step_timeout: Duration::from_millis(1500),
            settle: Duration::from_millis(60),
        }
    }
}

/// What identification learned about one port.
#[derive(Debug, Clone)]
pub struct Identified {
    /// The service identified (kind `unknown` when nothing matched).
    pub service: Service,
    /// The exchanges with the port.
    pub transcript: Transcript,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    Banner,
    Tls,
    Http,
    Mqtt,
    Rtsp,
}

impl Probe {
    fn name(self) -> &'static str {
        match self {
            Probe::Banner => "banner (nothing sent)",
            Probe::Tls => "tls client hello",
            Probe::Http => "http get /",
            Probe::Mqtt => "mqtt connect (no credentials)",
            Probe::Rtsp => "rtsp options",
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Exchange {
    sent: Vec<u8>,
    got: Vec<u8>,
    capped: bool,
    error: Option<String>,
    timed_out: bool,
}

/// Connects, optionally sends, and reads until the reply settles, the cap,
/// EOF, or the deadline.
async fn exchange(addr: SocketAddr, send: &[u8], wait: Duration, settle: Duration) -> Exchange {
    let mut ex = Exchange {
        sent: send.to_vec(),
        ..Exchange::default()
    };
    let deadline = Instant::now() + wait;
    let mut stream = match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            ex.error = Some(format!("connect: {e}"));
            return ex;
        }
        Err(_) => {
            ex.timed_out = true;
            ex.error = Some("connect timed out".into());
            return ex;
        }
    };
    let _ = stream.set_nodelay(true);
    if !send.is_empty()
        && let Err(e) = tokio::time::timeout_at(deadline, stream.write_all(send))
            .await
            .unwrap_or_else(|_| Err(std::io::Error::other("write timed out")))
    {
        ex.error = Some(format!("write: {e}"));
        return ex;
    }
    read_bounded(&mut stream, &mut ex, deadline, settle).await;
    ex
}

async fn read_bounded<S: AsyncRead + Unpin>(
    stream: &mut S,
    ex: &mut Exchange,
    deadline: Instant,
    settle: Duration,
) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut until = deadline;
    loop {
        match tokio::time::timeout_at(until, stream.read(&mut buf)).await {
            Err(_) => {
                if ex.got.is_empty() {
                    ex.timed_out = true;
                }
                return;
            }
            Ok(Ok(0)) => return,
            Ok(Ok(n)) => {
                let room = READ_CAP.saturating_sub(ex.got.len());
                ex.got
                    .extend_from_slice(buf.get(..n.min(room)).unwrap_or_default());
                if ex.got.len() >= READ_CAP {
                    ex.capped = true;
                    return;
                }
                until = (Instant::now() + settle).min(deadline);
            }
            Ok(Err(e)) => {
                ex.error = Some(format!("read: {e}"));
                return;
            }
        }
    }
}

fn log_exchange(t: &mut Transcript, p: Probe, ex: &Exchange) {
    t.note(&format!("probe: {}", p.name()));
    if !ex.sent.is_empty() {
        t.sent(&ex.sent);
    }
    if !ex.got.is_empty() {
        t.received(&ex.got);
    }
    if ex.capped {
        t.note(&format!("stopped reading at {READ_CAP} bytes"));
    }
    if ex.timed_out {
        t.note("no reply before the deadline");
    }
    if let Some(e) = &ex.error {
        t.note(e);
    }
}

fn mqtt_connect() -> Vec<u8> {
    // MQTT 3.1.1 CONNECT, clean session, keepalive 30 s, client id "jcstar-probe".
    mqtt::encode_connect(&mqtt::Connect::new(4, "jcstar-probe", None, None))
}

fn http_get(addr: SocketAddr, path: &str) -> Vec<u8> {
    let host = match addr {
        SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    };
    http::encode_request("GET", path, &host, &[], None)
}

fn rtsp_options(addr: SocketAddr) -> Vec<u8> {
    let url = match addr {
        SocketAddr::V4(a) => format!("rtsp://{}:{}/", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("rtsp://[{}]:{}/", a.ip(), a.port()),
    };
    format!("OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: jcstar-probe\r\n\r\n").into_bytes()
}

fn is_tls_record(b: &[u8]) -> bool {
    tls::looks_like_tls(b)
}

fn is_mqtt_connack(b: &[u8]) -> bool {
    mqtt::parse_connack(b).is_ok()
}

/// An SMUX ClosePDU (RFC 1227: `[APPLICATION 1] IMPLICIT INTEGER`, one
/// octet of reason), all an SMUX agent such as net-snmp's answers to a
/// peer that does not open with an SMUX OpenPDU (nmap matches `A\x01\x02`).
fn smux_close_reason(b: &[u8]) -> Option<&'static str> {
    match b {
        [0x41, 0x01, r] => match r {
            0 => Some("goingDown"),
            1 => Some("unsupportedVersion"),
            2 => Some("packetFormat"),
            3 => Some("protocolError"),
            4 => Some("internalError"),
            5 => Some("authenticationFailure"),
            _ => None,
        },
        _ => None,
    }
}

/// What a single reply tells, if it names a protocol.
fn recognise(p: Probe, b: &[u8]) -> Option<ServiceKind> {
    if b.starts_with(b"SSH-") {
        return Some(ServiceKind::Ssh);
    }
    match p {
        Probe::Tls if is_tls_record(b) => Some(ServiceKind::Tls(Box::new(ServiceKind::Unknown))),
        Probe::Mqtt if is_mqtt_connack(b) => Some(ServiceKind::Mqtt),
        _ if matches!(b, [0xff, 0xfb..=0xfe, ..]) => Some(ServiceKind::Telnet),
        _ if b.starts_with(b"220") && (contains_ci(b, b"ftp") || !contains_ci(b, b"smtp")) => {
            Some(ServiceKind::Ftp)
        }
        _ if b.starts_with(b"RTSP/") => Some(ServiceKind::Rtsp),
        _ if b.starts_with(b"HTTP/") => Some(ServiceKind::Http),
        _ if smux_close_reason(b).is_some() => Some(ServiceKind::Smux),
        _ => None,
    }
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Identifies the service on `addr` (which the scan found open).
pub async fn identify(addr: SocketAddr, cfg: &IdentifyConfig) -> Identified {
    let mut transcript = Transcript::new(format!("tcp/{}", addr.port()));
    let mut set = JoinSet::new();
    let probes: [(Probe, Vec<u8>, Duration); 5] = [
        (Probe::Banner, Vec::new(), cfg.banner_wait),
        (Probe::Tls, tls::detection_client_hello(), cfg.step_timeout),
        (Probe::Http, http_get(addr, "/"), cfg.step_timeout),
        (Probe::Mqtt, mqtt_connect(), cfg.step_timeout),
        (Probe::Rtsp, rtsp_options(addr), cfg.step_timeout),
    ];
    let settle = cfg.settle;
    for (p, send, wait) in probes {
        set.spawn(async move { (p, exchange(addr, &send, wait, settle).await) });
    }
    let mut done: Vec<(Probe, Exchange)> = Vec::new();
    let mut decided: Option<(ServiceKind, Probe)> = None;
    while let Some(res) = set.join_next().await {
        let Ok((p, ex)) = res else { continue };
        log_exchange(&mut transcript, p, &ex);
        let kind = recognise(p, &ex.got);
        done.push((p, ex));
        if let Some(k) = kind {
            decided = Some((k, p));
            break;
        }
    }
    set.abort_all();
    let mut hostility = Vec::new();
    if done.iter().any(|(_, e)| e.capped) {
        hostility.push(Anomaly::Flood);
    }
    let get = |p: Probe| {
        done.iter()
            .find(|(q, _)| *q == p)
            .map(|(_, e)| e.got.clone())
            .unwrap_or_default()
    };
    let service = match decided {
        Some((ServiceKind::Http, p)) => {
            // The reply to another probe (e.g. a 400 to the ClientHello)
            // says HTTP but not how the start page is protected: ask properly.
            // One retry: a loaded device may miss the first request, and
            // falling back to the stray reply would hide its login scheme.
            let reply = if p == Probe::Http {
                get(p)
            } else {
                match fetch(addr, "/", &mut transcript).await {
                    Some(r) => r,
                    None => fetch(addr, "/", &mut transcript)
                        .await
                        .unwrap_or_else(|| get(p)),
                }
            };
            http_service(ServiceKind::Http, &reply, false, &mut transcript, addr, cfg).await
        }
        Some((ServiceKind::Rtsp, p)) => rtsp_service(&get(p)),
        Some((ServiceKind::Ssh, p)) => ssh_service(&get(p), addr, cfg, &mut transcript).await,
        Some((ServiceKind::Mqtt, p)) => {
            let mut s = mqtt_service(ServiceKind::Mqtt, &get(p), false);
            if matches!(s.access, Access::Unauthenticated { .. }) {
                mqtt_broker_version(&mut s, addr, cfg, &mut transcript).await;
            }
            s
        }
        Some((ServiceKind::Smux, p)) => {
            let mut s = Service::new(ServiceKind::Smux);
            if let Some(reason) = smux_close_reason(&get(p)) {
                s.details.insert("smux_close".into(), reason.into());
            }
            s
        }
        Some((ServiceKind::Telnet, _)) => telnet_service(addr, cfg, &mut transcript).await,
        Some((ServiceKind::Ftp, p)) => ftp_service(&get(p), addr, cfg, &mut transcript).await,
        Some((ServiceKind::Tls(_), _)) => tlsinner::inspect(addr, cfg, &mut transcript).await,
        Some((other, _)) => Service::new(other),
        None => {
            // Nothing recognised: describe the first bytes anything sent.
            let first = done
                .iter()
                .map(|(_, e)| &e.got)
                .find(|g| !g.is_empty())
                .cloned();
            let mut s = Service::new(ServiceKind::Unknown);
            match first {
                Some(bytes) => {
                    s.banner = Some(escape_bounded(&bytes, 256));
                    let printable = bytes
                        .iter()
                        .filter(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
                        .count();
                    if prompt_kind(&bytes) == Some(Prompt::Shell) {
                        s.details.insert("prompt".into(), "shell".into());
                        s.access = Access::Unauthenticated {
                            what: "shell prompt on a raw TCP port without login".into(),
                        };
                        s.plaintext_login = true;
                    } else if printable * 10 < bytes.len() * 7
                        && !hostility.contains(&Anomaly::Flood)
                    {
                        hostility.push(Anomaly::Garbage);
                    }
                }
                None => {
                    if done.iter().all(|(_, e)| e.timed_out || e.got.is_empty()) {
                        hostility.push(Anomaly::Silent);
                    }
                    s.details
                        .insert("response".into(), "none to any probe".into());
                }
            }
            s
        }
    };
    let mut service = service;
    if service.banner.is_none()
        && let Some(b) = done
            .iter()
            .find(|(p, _)| *p == Probe::Banner)
            .map(|(_, e)| &e.got)
            .filter(|g| !g.is_empty())
    {
        service.banner = Some(escape_bounded(b, 256));
    }
    service.anomalies = hostility;
    Identified {
        service,
        transcript,
    }
}

/// `GET path` on a fresh connection, logged; the raw reply if any.
pub(crate) async fn fetch(addr: SocketAddr, path: &str, t: &mut Transcript) -> Option<Vec<u8>> {
    let ex = exchange(
        addr,
        &http_get(addr, path),
        Duration::from_secs(2),
        Duration::from_millis(150),
    )
    .await;
    log_exchange(t, Probe::Http, &ex);
    (!ex.got.is_empty()).then_some(ex.got)
}

/// Parsed HTTP (or RTSP) response head.
#[derive(Debug, Default)]
pub(crate) struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// An HTTP or RTSP response head and the body bytes read with it; a head
/// cut short by the read bounds is parsed as far as it goes.
pub(crate) fn parse_head(b: &[u8]) -> Option<Head> {
    let head = http::parse_response_head_truncated(b).ok()?;
    Some(Head {
        status: head.status,
        body: b.get(head.head_len..).unwrap_or_default().to_vec(),
        headers: head
            .headers
            .into_iter()
            .map(|(k, v)| (k, v.chars().take(500).collect()))
            .collect(),
    })
}

fn has_password_form(body: &[u8]) -> bool {
    let lower: Vec<u8> = body.iter().map(u8::to_ascii_lowercase).collect();
    contains_ci(&lower, b"type=\"password\"")
        || contains_ci(&lower, b"type='password'")
        || contains_ci(&lower, b"type=password")
}

/// Fills in an HTTP(S) service from the response to `GET /`, following one
/// same-host redirect to find a login page.
pub(crate) async fn http_service(
    kind: ServiceKind,
    reply: &[u8],
    tls: bool,
    transcript: &mut Transcript,
    addr: SocketAddr,
    cfg: &IdentifyConfig,
) -> Service {
    let mut s = Service::new(kind);
    let Some(mut head) = parse_head(reply) else {
        s.banner = Some(escape_bounded(reply, 256));
        return s;
    };
    s.banner = reply
        .split(|b| *b == b'\n')
        .next()
        .map(|l| escape_bounded(l, 200));
    if let Some(server) = head.header("server") {
        s.details.insert("server".into(), server.to_string());
        s.self_descriptions.push(format!("Server: {server}"));
        let mut it = server
            .split_whitespace()
            .next()
            .unwrap_or(server)
            .splitn(2, '/');
        s.product = it.next().map(str::to_string);
        s.version = it.next().map(str::to_string);
        if contains_ci(server.as_bytes(), b"upnp") {
            s.kind = ServiceKind::Upnp;
        }
    }
    s.details.insert("status".into(), head.status.to_string());
    if (300..400).contains(&head.status)
        && !tls
        && let Some(loc) = head.header("location").map(str::to_string)
    {
        s.details.insert("redirect".into(), loc.clone());
        let path = if loc.starts_with('/') {
            Some(loc.clone())
        } else {
            let own = format!("://{}/", addr);
            let own_v4 = format!("://{}:{}/", addr.ip(), addr.port());
            [own, own_v4]
                .iter()
                .find_map(|o| {
                    loc.find(o.as_str())
                        .map(|i| loc.get(i + o.len() - 1..).unwrap_or("/").to_string())
                })
                .filter(|_| loc.starts_with("http://"))
        };
        if let Some(path) = path {
            let ex = exchange(addr, &http_get(addr, &path), cfg.step_timeout, cfg.settle).await;
            log_exchange(transcript, Probe::Http, &ex);
            if let Some(h) = parse_head(&ex.got) {
                head = h;
                s.login_page = Some(path);
            }
        }
    }
    let auth: Vec<String> = head
        .all("www-authenticate")
        .iter()
        .filter_map(|v| v.split_whitespace().next())
        .map(|m| m.to_ascii_lowercase())
        .collect();
    if head.status == 401 && !auth.is_empty() {
        s.details.insert("auth".into(), auth.join(","));
        s.access = Access::Authenticated {
            methods: auth.clone(),
        };
        s.plaintext_login = !tls;
    } else if has_password_form(&head.body) {
        s.details.insert("auth".into(), "form".into());
        s.access = Access::Authenticated {
            methods: vec!["form".into()],
        };
        s.plaintext_login = !tls;
    } else if (200..300).contains(&head.status) {
        s.details.insert("auth".into(), "none".into());
        s.access = Access::Unauthenticated {
            what: format!(
                "HTTP {} for the start page without credentials",
                head.status
            ),
        };
    }
    s
}

fn rtsp_service(reply: &[u8]) -> Service {
    let mut s = Service::new(ServiceKind::Rtsp);
    s.banner = reply
        .split(|b| *b == b'\n')
        .next()
        .map(|l| escape_bounded(l, 200));
    if let Some(head) = parse_head(reply) {
        s.details.insert("status".into(), head.status.to_string());
        if let Some(v) = head.header("server") {
            s.details.insert("server".into(), v.to_string());
            s.self_descriptions.push(format!("Server: {v}"));
            s.product = Some(v.to_string());
        }
        if let Some(v) = head.header("public") {
            s.details.insert("methods".into(), v.to_string());
        }
        let auth: Vec<String> = head
            .all("www-authenticate")
            .iter()
            .filter_map(|v| v.split_whitespace().next())
            .map(|m| m.to_ascii_lowercase())
            .collect();
        if head.status == 401 {
            s.access = Access::Authenticated { methods: auth };
            s.plaintext_login = true;
        }
    }
    s
}

pub(crate) fn mqtt_service(kind: ServiceKind, reply: &[u8], tls: bool) -> Service {
    // A CONNACK names no product and no version; its bytes stay in the
    // transcript and are not shown as a banner.
    let mut s = Service::new(kind);
    let code = mqtt::parse_connack(reply).ok().map(|c| c.code);
    s.details.insert(
        "connack".into(),
        code.map(|c| c.to_string()).unwrap_or_else(|| "?".into()),
    );
    s.access = match code {
        Some(0) => Access::Unauthenticated {
            what: "MQTT CONNECT without credentials accepted".into(),
        },
        Some(4) | Some(5) => Access::Authenticated {
            methods: vec!["username-password".into()],
        },
        _ => Access::NotChecked,
    };
    s.plaintext_login = !tls;
    s
}

/// The topic mosquitto (and brokers copying it) publish, retained, with
/// their name and version; nmap's `mqtt-subscribe` reads the same.
const MQTT_VERSION_TOPIC: &str = "$SYS/broker/version";

/// With anonymous access, read [`MQTT_VERSION_TOPIC`] for the broker's
/// product and version. Nothing is guessed when the broker does not say.
async fn mqtt_broker_version(
    s: &mut Service,
    addr: SocketAddr,
    cfg: &IdentifyConfig,
    transcript: &mut Transcript,
) {
    transcript.note(&format!(
        "mqtt: subscribe {MQTT_VERSION_TOPIC} without credentials"
    ));
    // A broker that has the topic sends it, retained, right after SUBACK;
    // one that ignores the subscription must not hold identification up
    // for a whole step.
    let wait = cfg.step_timeout.min(cfg.banner_wait * 2);
    let got = crate::login::mqtt::MqttAdapter::new(addr, 4, wait)
        .first_message(MQTT_VERSION_TOPIC, None, None)
        .await;
    match got {
        Ok(payload) => {
            let text = escape_bounded(&payload, 200);
            transcript.note(&format!("mqtt: {MQTT_VERSION_TOPIC} = {text}"));
            s.self_descriptions.push(text.clone());
            s.details.insert("sys_broker_version".into(), text);
            if let Some((product, version)) = broker_product(&payload) {
                s.product = Some(product);
                s.version = Some(version);
            }
        }
        Err(e) => transcript.note(&format!("mqtt: {MQTT_VERSION_TOPIC}: {e}")),
    }
}

/// `mosquitto version 2.0.11` → (`mosquitto`, `2.0.11`); anything else
/// names no product.
fn broker_product(payload: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(payload).ok()?.trim();
    let mut words = text.split_whitespace();
    let (product, keyword, version) = (words.next()?, words.next()?, words.next()?);
    let plausible =
        |w: &str| !w.is_empty() && w.len() <= 64 && w.chars().all(|c| c.is_ascii_graphic());
    (words.next().is_none()
        && keyword.eq_ignore_ascii_case("version")
        && plausible(product)
        && plausible(version)
        && version.starts_with(|c: char| c.is_ascii_digit()))
    .then(|| (product.to_string(), version.to_string()))
}

async fn ssh_service(
    reply: &[u8],
    addr: SocketAddr,
    cfg: &IdentifyConfig,
    transcript: &mut Transcript,
) -> Service {
    let mut s = Service::new(ServiceKind::Ssh);
    let line = reply
        .split(|b| *b == b'\n')
        .find(|l| l.starts_with(b"SSH-"))
        .unwrap_or(reply);
    let line = String::from_utf8_lossy(line).trim().to_string();
    s.banner = Some(escape_bounded(line.as_bytes(), 200));
    // SSH-2.0-dropbear_2022.83 / SSH-2.0-OpenSSH_9.2p1 Debian-2
    if let Some(soft) = line.splitn(3, '-').nth(2) {
        let soft = soft.split_whitespace().next().unwrap_or(soft);
        let mut it = soft.splitn(2, '_');
        s.product = it.next().map(str::to_string);
        s.version = it.next().map(str::to_string);
        s.details.insert(
            "protocol".into(),
            line.split('-').nth(1).unwrap_or("").to_string(),
        );
    }
    // A key exchange costs far more than reading a banner, and embedded SSH
    // servers are slow at it, so it gets a floor of its own.
    let ssh_deadline = (cfg.step_timeout * 2).max(Duration::from_secs(5));
    match ssh_auth_methods_patiently(addr, ssh_deadline, transcript).await {
        Ok(methods) => {
            transcript.note(&format!(
                "ssh none-auth: server offers {}",
                methods.join(",")
            ));
            s.details.insert("auth_methods".into(), methods.join(","));
            s.access = if methods.iter().any(|m| m == "none-accepted") {
                Access::Unauthenticated {
                    what: "SSH accepted the `none` authentication method".into(),
                }
            } else {
                Access::Authenticated { methods }
            };
        }
        Err(e) => {
            transcript.note(&format!("ssh auth methods not determined: {e}"));
        }
    }
    s
}

/// Asks for the SSH auth methods, retrying when the server hangs up at once.
///
/// The identification probes have just opened several connections that
/// never authenticated, and dropbear (like many embedded servers) refuses
/// new connections from an address with too many unauthenticated ones
/// (`MAX_UNAUTH_PER_IP`) until it has reaped them. That refusal is
/// transient, so a few spaced retries within the deadline tell it from a
/// server that really cannot complete a key exchange.
async fn ssh_auth_methods_patiently(
    addr: SocketAddr,
    deadline: Duration,
    transcript: &mut Transcript,
) -> Result<Vec<String>, crate::sshauth::SshFailure> {
    let until = Instant::now() + deadline;
    let mut pause = Duration::from_millis(150);
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let err = match crate::sshauth::auth_methods(addr, left).await {
            Ok(m) => return Ok(m),
            Err(e) => e,
        };
        if Instant::now() + pause >= until || err == crate::sshauth::SshFailure::TimedOut {
            return Err(err);
        }
        transcript.note(&format!("ssh auth methods: {err}; retrying in {pause:?}"));
        tokio::time::sleep(pause).await;
        pause *= 2;
    }
}

/// Telnet: refuse every option, collect the text, and tell a login prompt
/// from a shell prompt given without authentication.
async fn telnet_service(
    addr: SocketAddr,
    cfg: &IdentifyConfig,
    transcript: &mut Transcript,
) -> Service {
    let mut s = Service::new(ServiceKind::Telnet);
    s.plaintext_login = true;
    let deadline = Instant::now() + cfg.step_timeout * 3;
    transcript.note("telnet: negotiate (refuse all options) and read until a prompt");
    let Ok(Ok(mut stream)) = tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await
    else {
        transcript.note("telnet: reconnect failed");
        return s;
    };
    let mut text = Vec::new();
    let mut options = Vec::new();
    let mut pending = Vec::new();
    let mut buf = vec![0u8; 4096];
    let mut total = 0usize;
    let mut nudged = false;
    loop {
        let idle = Instant::now() + Duration::from_millis(700);
        match tokio::time::timeout_at(idle.min(deadline), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                let chunk = buf.get(..n).unwrap_or_default();
                transcript.received(chunk);
                total += n;
                let reply = telnet_filter(chunk, &mut pending, &mut text, &mut options);
                if !reply.is_empty() {
                    transcript.sent(&reply);
                    if stream.write_all(&reply).await.is_err() {
                        break;
                    }
                }
                if prompt_kind(&text).is_some() || total >= READ_CAP {
                    break;
                }
            }
            Err(_) => {
                if Instant::now() >= deadline {
                    break;
                }
                if prompt_kind(&text).is_some() {
                    break;
                }
                if !nudged {
                    // Some daemons print the prompt only after a key press.
                    nudged = true;
                    transcript.sent(b"\r\n");
                    let _ = stream.write_all(b"\r\n").await;
                } else {
                    break;
                }
            }
        }
    }
    if !options.is_empty() {
        s.details.insert("options".into(), options.join(","));
    }
    let tail: Vec<u8> = text.iter().rev().take(200).rev().copied().collect();
    s.banner = Some(escape_bounded(&tail, 200));
    match prompt_kind(&text) {
        Some(Prompt::Login) => {
            s.details.insert("prompt".into(), "login".into());
            s.access = Access::Authenticated {
                methods: vec!["password".into()],
            };
        }
        Some(Prompt::Shell) => {
            s.details.insert("prompt".into(), "shell".into());
            s.access = Access::Unauthenticated {
                what: "Telnet gives a shell prompt without login".into(),
            };
        }
        None => {
            s.details.insert("prompt".into(), "none seen".into());
        }
    }
    s
}

#[derive(Debug, PartialEq, Eq)]
enum Prompt {
    Login,
    Shell,
}

fn prompt_kind(text: &[u8]) -> Option<Prompt> {
    let t = String::from_utf8_lossy(text);
    let t = t.trim_end_matches([' ', '\0']);
    let last = t
        .rsplit(['\n', '\r'])
        .next()
        .unwrap_or(t)
        .to_ascii_lowercase();
    if last.ends_with("login:")
        || last.ends_with("username:")
        || last.ends_with("password:")
        || last.ends_with("user:")
    {
        Some(Prompt::Login)
    } else if !last.is_empty()
        && (last.ends_with('#')
            || last.ends_with('$')
            || last.ends_with('>')
            || last.ends_with('%'))
    {
        Some(Prompt::Shell)
    } else {
        None
    }
}

/// Strips telnet commands from `chunk` (after the unfinished command kept
/// in `pending` from the last chunk) into `text`, returning the answers to
/// send.
fn telnet_filter(
    chunk: &[u8],
    pending: &mut Vec<u8>,
    text: &mut Vec<u8>,
    options: &mut Vec<String>,
) -> Vec<u8> {
    let mut input = std::mem::take(pending);
    input.extend_from_slice(chunk);
    let f = telnet::filter(&input);
    let room = READ_CAP.saturating_sub(text.len());
    text.extend(f.text.iter().take(room));
    for (verb, opt) in f.options {
        if options.len() < 32 {
            options.push(format!("{}:{opt}", verb.name()));
        }
    }
    *pending = f.pending;
    f.reply
}

/// FTP: banner, then whether `anonymous` may log in.
async fn ftp_service(
    banner: &[u8],
    addr: SocketAddr,
    cfg: &IdentifyConfig,
    transcript: &mut Transcript,
) -> Service {
    let mut s = Service::new(ServiceKind::Ftp);
    s.plaintext_login = true;
    s.banner = banner
        .split(|b| *b == b'\n')
        .next()
        .map(|l| escape_bounded(l, 200));
    if let Some((product, version)) = ftp_product(banner) {
        s.product = Some(product.to_string());
        s.version = version;
    }
    // A refused PASS comes back only after the server's failure delay
    // (vsftpd 1 s, PAM's pam_faildelay about 3 s), so the anonymous check
    // gets a floor that outlasts it.
    let deadline = Instant::now() + (cfg.step_timeout * 2).max(Duration::from_secs(6));
    transcript.note("ftp: try anonymous login");
    let result = tokio::time::timeout_at(deadline, async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let greeting = read_reply(&mut stream, transcript).await?;
        if greeting != 220 {
            return None;
        }
        let user = ftp::encode_command("USER", Some("anonymous"));
        send_line(&mut stream, &user, transcript).await?;
        let r = read_reply(&mut stream, transcript).await?;
        if r == 230 {
            return Some(true);
        }
        if r != 331 {
            return Some(false);
        }
        let pass = ftp::encode_command("PASS", Some("jcstar-probe@example.invalid"));
        send_line(&mut stream, &pass, transcript).await?;
        let r = read_reply(&mut stream, transcript).await?;
        let _ = send_line(&mut stream, &ftp::encode_command("QUIT", None), transcript).await;
        Some(r == 230)
    })
    .await;
    match result {
        Ok(Some(true)) => {
            s.details.insert("anonymous".into(), "accepted".into());
            s.access = Access::Unauthenticated {
                what: "FTP anonymous login accepted".into(),
            };
        }
        Ok(Some(false)) => {
            s.details.insert("anonymous".into(), "refused".into());
            s.access = Access::Authenticated {
                methods: vec!["password".into()],
            };
        }
        _ => {
            s.details
                .insert("anonymous".into(), "not determined".into());
        }
    }
    s
}

/// Product and version from an FTP greeting, for the servers whose
/// greeting says so (patterns as in nmap's service probes).
fn ftp_product(greeting: &[u8]) -> Option<(&'static str, Option<String>)> {
    use std::sync::LazyLock;
    static PATTERNS: LazyLock<Vec<(regex::bytes::Regex, &'static str)>> = LazyLock::new(|| {
        [
            // 220 (vsFTPd 3.0.3) / 220 vsFTPd 2.3.4 ready...
            (r"^220[ -]\(?vsFTPd ([0-9][-.\w]*)", "vsftpd"),
            // 220 ProFTPD 1.3.8 Server (Debian) [::ffff:127.0.0.1]
            (r"^220[ -]ProFTPD(?: ([0-9][-.\w]*))?", "ProFTPD"),
            // 220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------
            (r"^220[ -].*Pure-FTPd(?: ([0-9][-.\w]*))?", "Pure-FTPd"),
            // 220 host FTP server (GNU inetutils 2.4) ready.
            (
                r"^220[ -].*\(GNU inetutils ([0-9][-.\w]*)\)",
                "GNU inetutils ftpd",
            ),
            // 220-FileZilla Server 1.7.0
            (
                r"^220[ -]FileZilla Server(?: version)? ([0-9][-.\w]*)",
                "FileZilla Server",
            ),
        ]
        .into_iter()
        .filter_map(|(p, name)| Some((regex::bytes::Regex::new(p).ok()?, name)))
        .collect()
    });
    greeting
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .take(32)
        .find_map(|line| {
            PATTERNS.iter().find_map(|(re, name)| {
                let caps = re.captures(line)?;
                let version = caps
                    .get(1)
                    .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned());
                Some((*name, version))
            })
        })
}

async fn send_line<S: AsyncWrite + Unpin>(
    s: &mut S,
    line: &[u8],
    t: &mut Transcript,
) -> Option<()> {
    t.sent(line);
    s.write_all(line).await.ok()
}

/// Reads one complete reply (RFC 959, multi-line included) and returns its
/// code; `None` on EOF, a read error or bytes that are no FTP reply.
async fn read_reply<S: AsyncRead + Unpin>(s: &mut S, t: &mut Transcript) -> Option<u16> {
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    let reply = loop {
        match ftp::parse_reply(&got) {
            Ok(r) => break Some(r),
            Err(ftp::FtpError::Incomplete) => {}
            Err(_) => break None,
        }
        let n = s.read(&mut buf).await.ok()?;
        if n == 0 {
            break None;
        }
        got.extend_from_slice(buf.get(..n).unwrap_or_default());
    };
    t.received(&got);
    reply.map(|r| r.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts() {
        assert_eq!(
            prompt_kind(b"Debian GNU/Linux\r\nhost login: "),
            Some(Prompt::Login)
        );
        assert_eq!(prompt_kind(b"BusyBox v1.35\r\n/ # "), Some(Prompt::Shell));
        assert_eq!(prompt_kind(b"welcome\r\n"), None);
    }

    #[test]
    fn telnet_answers_options_across_chunks() {
        let mut text = Vec::new();
        let mut opts = Vec::new();
        let mut pending = Vec::new();
        let r = telnet_filter(
            &[0xff, 0xfd, 24, b'h', b'i', 0xff, 0xfb, 5, 0xff],
            &mut pending,
            &mut text,
            &mut opts,
        );
        assert_eq!(r, vec![0xff, 0xfc, 24, 0xff, 0xfe, 5]);
        assert_eq!(text, b"hi");
        // The IAC cut off at the end of the chunk is finished by the next.
        let r = telnet_filter(&[0xfb, 1, b'!'], &mut pending, &mut text, &mut opts);
        assert_eq!(r, vec![0xff, 0xfd, 1]);
        assert_eq!(text, b"hi!");
        assert_eq!(opts, vec!["do:24", "will:5", "will:1"]);
    }

    #[test]
    fn ftp_greetings_name_their_product() {
        // Greetings as the servers send them (vsftpd 3.0.3 on Debian 11,
        // ProFTPD 1.3.8 on Debian 12, inetutils ftpd 2.4, Pure-FTPd).
        type Want = Option<(&'static str, Option<&'static str>)>;
        let cases: &[(&[u8], Want)] = &[
            (b"220 (vsFTPd 3.0.3)\r\n", Some(("vsftpd", Some("3.0.3")))),
            (
                b"220 vsFTPd 2.3.4 ready...\r\n",
                Some(("vsftpd", Some("2.3.4"))),
            ),
            (
                b"220 ProFTPD 1.3.8 Server (Debian) [::ffff:127.0.0.1]\r\n",
                Some(("ProFTPD", Some("1.3.8"))),
            ),
            (
                b"220 ProFTPD Server (ProFTPD Default Installation) [127.0.0.1]\r\n",
                Some(("ProFTPD", None)),
            ),
            (
                b"220 cam FTP server (GNU inetutils 2.4) ready.\r\n",
                Some(("GNU inetutils ftpd", Some("2.4"))),
            ),
            (
                b"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n220-You are user number 1 of 50 allowed.\r\n",
                Some(("Pure-FTPd", None)),
            ),
            // BusyBox ftpd and custom greetings name nothing: no guess.
            (b"220 Operation successful\r\n", None),
            (b"220 Welcome to the camera\r\n", None),
            (b"\xff\xfe\x00garbage", None),
        ];
        for (greeting, want) in cases {
            let got = ftp_product(greeting);
            let got = got.as_ref().map(|(p, v)| (*p, v.as_deref()));
            assert_eq!(got, *want, "{:?}", String::from_utf8_lossy(greeting));
        }
    }

    #[test]
    fn mosquitto_version_topic_names_product_and_version() {
        assert_eq!(
            broker_product(b"mosquitto version 2.0.11"),
            Some(("mosquitto".into(), "2.0.11".into()))
        );
        // Nothing that does not say "<product> version <number>".
        for other in [
            &b"2.0.11"[..],
            b"version 2.0.11",
            b"mosquitto version",
            b"mosquitto version 2.0.11 extra words",
            b"\x20\x02\x00\x00",
            b"a version b",
            b"\xff version 1",
        ] {
            assert_eq!(broker_product(other), None, "{other:?}");
        }
    }

    #[test]
    fn mqtt_connack_is_not_a_banner() {
        let s = mqtt_service(ServiceKind::Mqtt, &[0x20, 0x02, 0x00, 0x00], false);
        assert_eq!(s.banner, None);
        assert_eq!(s.product, None);
        assert_eq!(s.version, None);
        assert_eq!(s.details.get("connack").map(String::as_str), Some("0"));
    }

    #[test]
    fn smux_close_pdu_is_recognised() {
        // What net-snmp 5.9 sends on TCP 199 to an HTTP GET (packetFormat)
        // and to a TLS ClientHello or MQTT CONNECT (protocolError).
        for (reply, reason) in [
            (&[0x41u8, 0x01, 0x02][..], "packetFormat"),
            (&[0x41, 0x01, 0x03][..], "protocolError"),
        ] {
            assert_eq!(smux_close_reason(reply), Some(reason));
            for p in [
                Probe::Banner,
                Probe::Http,
                Probe::Tls,
                Probe::Mqtt,
                Probe::Rtsp,
            ] {
                assert_eq!(recognise(p, reply), Some(ServiceKind::Smux), "{p:?}");
            }
        }
        for other in [
            &[0x41u8, 0x01][..],
            &[0x41, 0x01, 0x09],
            &[0x41, 0x02, 0x00, 0x02],
            b"A\x01\x02\r\n",
        ] {
            assert_eq!(smux_close_reason(other), None, "{other:?}");
        }
    }

    #[test]
    fn http_head() {
        let h = parse_head(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nServer: busybox\r\n\r\nbody").unwrap();
        assert_eq!(h.status, 401);
        assert_eq!(h.header("server"), Some("busybox"));
        assert!(parse_head(b"\xff\xfe garbage").is_none());
    }
}
