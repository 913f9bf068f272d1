//! Simulated devices: a TOML description of services with switchable
//! weaknesses, served in-process on a loopback address.
//!
//! ```toml
//! name = "camera"
//! [[service]]
//! kind = "http"            # http telnet mqtt ftp rtsp tls raw udp-snmp udp-coap udp-ssdp
//! port = 0                 # 0: any free port (the running device reports it)
//! weaknesses = ["plaintext-login"]
//! ```

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

use jcstar_wire::{http, mqtt, snmp, telnet};

/// Why a device description cannot be used or served.
#[derive(Debug, thiserror::Error)]
pub enum TestbedError {
    /// The description could not be read or parsed.
    #[error("{path}: {reason}")]
    Spec {
        /// Where the description came from.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// One service of the description is invalid.
    #[error("service {index} ({kind}): {reason}")]
    Service {
        /// Position of the service in the description.
        index: usize,
        /// The service's kind.
        kind: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A listening socket could not be bound.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address it tried.
        addr: SocketAddr,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The testbed listens only on loopback; this address is not.
    #[error("the testbed listens only on loopback; {0} is not a loopback address")]
    NotLoopback(IpAddr),
}

/// What a simulated service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// HTTP, with an admin page behind login unless `no-auth`.
    Http,
    /// Telnet with a login prompt, or a shell with `no-auth` or `debug-port`.
    Telnet,
    /// An MQTT broker; `anonymous` lets in clients without credentials.
    Mqtt,
    /// An FTP server; `anonymous` accepts anonymous logins.
    Ftp,
    /// An RTSP camera stream endpoint.
    Rtsp,
    /// TLS with a self-signed certificate around `inner`.
    Tls,
    /// A TCP service that sends `banner` and answers each input with a prompt.
    Raw,
    /// An SNMP agent on UDP.
    UdpSnmp,
    /// A CoAP endpoint on UDP that answers a confirmable GET with a resource list.
    UdpCoap,
    /// Answers SSDP M-SEARCH by unicast with the URL of the UPnP device
    /// description, which the device's plain `http` service serves.
    UdpSsdp,
}

impl Kind {
    /// Whether the service listens on UDP rather than TCP.
    pub fn is_udp(self) -> bool {
        matches!(self, Kind::UdpSnmp | Kind::UdpCoap | Kind::UdpSsdp)
    }
}

/// A weakness a simulated service can be switched to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Weakness {
    /// Access without any credentials (HTTP admin page, telnet shell, RTSP stream).
    NoAuth,
    /// A login form or prompt served without encryption.
    PlaintextLogin,
    /// Needs a real legacy TLS stack; rustls cannot offer TLS 1.0 (use
    /// `daemons::LighttpdTls` with `MinProtocol`/`MaxProtocol` instead).
    #[serde(rename = "tls1.0-only")]
    Tls10Only,
    /// Certificate signed by its own key (always the case in the testbed; the flag documents intent).
    SelfSigned,
    /// A maintenance shell left listening.
    DebugPort,
    /// MQTT or FTP accept anonymous clients.
    Anonymous,
    /// SNMP answers the `public` community.
    SnmpPublic,
    /// Never answers (accepts and stalls).
    Slow,
    /// Answers with random bytes.
    Garbage,
    /// Sends data without end.
    Flood,
    /// Sends one byte at a time, slowly and without end, so that only an
    /// overall deadline (not an idle timeout) ends the conversation.
    Trickle,
}

/// One service of a simulated device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// What the service speaks.
    pub kind: Kind,
    /// Loopback port; 0 picks any free port.
    #[serde(default)]
    pub port: u16,
    /// The weaknesses it shows.
    #[serde(default)]
    pub weaknesses: Vec<Weakness>,
    /// For `raw`: the greeting; for `http`: the Server header.
    pub banner: Option<String>,
    /// For `tls`: what runs inside (`http` default, or `mqtt`).
    pub inner: Option<Kind>,
    /// Credentials the service accepts (where it has a login).
    pub user: Option<String>,
    /// The password for `user`.
    pub password: Option<String>,
}

impl ServiceSpec {
    /// Whether the service shows weakness `w`.
    pub fn has(&self, w: Weakness) -> bool {
        self.weaknesses.contains(&w)
    }
}

/// A simulated device as described in TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    /// Name shown in `jcstar testbed list` and the reports.
    pub name: String,
    /// Free text describing the device.
    #[serde(default)]
    pub description: String,
    /// Model and firmware reported by the services that report them.
    pub model: Option<String>,
    /// Firmware version, where the services report it.
    pub firmware: Option<String>,
    /// The services, from the `[[service]]` tables.
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceSpec>,
}

impl DeviceSpec {
    /// Reads a description from `text`; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<DeviceSpec, TestbedError> {
        let spec: DeviceSpec = toml::from_str(text).map_err(|e| TestbedError::Spec {
            path: origin.to_string(),
            reason: e.to_string(),
        })?;
        for (i, s) in spec.services.iter().enumerate() {
            if s.has(Weakness::Tls10Only) {
                return Err(TestbedError::Service {
                    index: i,
                    kind: format!("{:?}", s.kind),
                    reason: "tls1.0-only cannot be simulated with rustls; use the real lighttpd launcher (daemons::LighttpdTls)".into(),
                });
            }
            if s.kind == Kind::UdpSsdp && !spec.services.iter().any(|o| o.kind == Kind::Http) {
                return Err(TestbedError::Service {
                    index: i,
                    kind: "udp-ssdp".into(),
                    reason: "udp-ssdp announces the UPnP description served by the device's http service; add a [[service]] with kind = \"http\"".into(),
                });
            }
            if s.inner.is_some() && s.kind != Kind::Tls {
                return Err(TestbedError::Service {
                    index: i,
                    kind: format!("{:?}", s.kind),
                    reason: "`inner` is only for kind = \"tls\"".into(),
                });
            }
        }
        Ok(spec)
    }

    /// Reads a description from a file.
    pub fn load(path: &Path) -> Result<DeviceSpec, TestbedError> {
        let text = std::fs::read_to_string(path).map_err(|e| TestbedError::Spec {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        DeviceSpec::parse(&text, &path.display().to_string())
    }
}

/// One listening service of a running device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listening {
    /// What the service speaks.
    pub kind: Kind,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Whether it listens on UDP.
    pub udp: bool,
    /// The weaknesses it shows.
    pub weaknesses: Vec<Weakness>,
}

/// A device being served; its tasks stop when it is dropped.
#[derive(Debug)]
pub struct RunningDevice {
    /// The device's name from its description.
    pub name: String,
    /// Its services, with the addresses they were bound to.
    pub services: Vec<Listening>,
    tasks: Vec<JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl RunningDevice {
    /// The address of the first service of this kind.
    pub fn addr(&self, kind: Kind) -> Option<SocketAddr> {
        self.services
            .iter()
            .find(|s| s.kind == kind)
            .map(|s| s.addr)
    }
    /// The TCP ports in use, sorted.
    pub fn tcp_ports(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self
            .services
            .iter()
            .filter(|s| !s.udp)
            .map(|s| s.addr.port())
            .collect();
        v.sort_unstable();
        v
    }
    /// The UDP ports in use, sorted.
    pub fn udp_ports(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self
            .services
            .iter()
            .filter(|s| s.udp)
            .map(|s| s.addr.port())
            .collect();
        v.sort_unstable();
        v
    }
}

impl Drop for RunningDevice {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts simulated devices from their descriptions.
pub struct Device;

impl Device {
    /// Starts every service on 127.0.0.1 (needs a tokio runtime).
    pub async fn start(spec: &DeviceSpec) -> Result<RunningDevice, TestbedError> {
        Device::start_on(spec, IpAddr::V4(Ipv4Addr::LOCALHOST)).await
    }

    /// Starts every service on `ip`, which must be a loopback address.
    pub async fn start_on(spec: &DeviceSpec, ip: IpAddr) -> Result<RunningDevice, TestbedError> {
        if !ip.is_loopback() {
            return Err(TestbedError::NotLoopback(ip));
        }
        let mut services = Vec::new();
        let mut tasks = Vec::new();
        let mut dir = None;
        let spec = Arc::new(spec.clone());
        // SSDP replies carry the HTTP service's address, known only once
        // everything is bound, so those responders start last.
        let mut ssdp: Vec<UdpSocket> = Vec::new();
        for (i, s) in spec.services.iter().enumerate() {
            let addr = SocketAddr::new(ip, s.port);
            let svc = Arc::new(s.clone());
            let (local, task) = if s.kind.is_udp() {
                let sock = UdpSocket::bind(addr)
                    .await
                    .map_err(|source| TestbedError::Bind { addr, source })?;
                let local = sock
                    .local_addr()
                    .map_err(|source| TestbedError::Bind { addr, source })?;
                if s.kind == Kind::UdpSsdp {
                    ssdp.push(sock);
                    services.push(Listening {
                        kind: s.kind,
                        addr: local,
                        udp: true,
                        weaknesses: s.weaknesses.clone(),
                    });
                    continue;
                }
                let spec2 = spec.clone();
                (local, tokio::spawn(serve_udp(sock, svc, spec2)))
            } else {
                let l = TcpListener::bind(addr)
                    .await
                    .map_err(|source| TestbedError::Bind { addr, source })?;
                let local = l
                    .local_addr()
                    .map_err(|source| TestbedError::Bind { addr, source })?;
                let tls = if s.kind == Kind::Tls {
                    if dir.is_none() {
                        dir = Some(
                            tempfile::Builder::new()
                                .prefix("jcstar-testbed-")
                                .tempdir()
                                .map_err(|e| TestbedError::Service {
                                    index: i,
                                    kind: "tls".into(),
                                    reason: e.to_string(),
                                })?,
                        );
                    }
                    let d = dir
                        .as_ref()
                        .map(|d| d.path().to_path_buf())
                        .unwrap_or_default();
                    Some(tls_acceptor(&d, i).map_err(|reason| TestbedError::Service {
                        index: i,
                        kind: "tls".into(),
                        reason,
                    })?)
                } else {
                    None
                };
                let spec2 = spec.clone();
                (local, tokio::spawn(serve_tcp(l, svc, spec2, tls)))
            };
            services.push(Listening {
                kind: s.kind,
                addr: local,
                udp: s.kind.is_udp(),
                weaknesses: s.weaknesses.clone(),
            });
            tasks.push(task);
        }
        let location = services
            .iter()
            .find(|l| l.kind == Kind::Http)
            .map(|l| format!("http://{}/description.xml", l.addr));
        for sock in ssdp {
            let loc = location.clone().unwrap_or_default();
            tasks.push(tokio::spawn(serve_ssdp(sock, loc, spec.clone())));
        }
        Ok(RunningDevice {
            name: spec.name.clone(),
            services,
            tasks,
            _dir: dir,
        })
    }
}

/// A self-signed certificate made with `openssl req`, loaded into rustls.
fn tls_acceptor(dir: &Path, index: usize) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let cert = dir.join(format!("cert{index}.pem"));
    let key = dir.join(format!("key{index}.pem"));
    let out = std::process::Command::new("/usr/bin/openssl")
        .args([
            "req",
            "-x509",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-days", "30", "-subj", "/CN=testbed.local"])
        .output()
        .map_err(|e| format!("running openssl (install the Debian package `openssl`): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl req failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .map_err(|e| e.to_string())?
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::from_pem_file(&key).map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| e.to_string())?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn serve_tcp(
    l: TcpListener,
    s: Arc<ServiceSpec>,
    d: Arc<DeviceSpec>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    loop {
        let Ok((stream, _)) = l.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let s = s.clone();
        let d = d.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            // No connection lives longer than a minute, whatever the client does.
            let work = async {
                match tls {
                    Some(acc) => {
                        let Ok(Ok(t)) =
                            tokio::time::timeout(Duration::from_secs(10), acc.accept(stream)).await
                        else {
                            return;
                        };
                        let inner = s.inner.unwrap_or(Kind::Http);
                        session(inner, t, &s, &d).await;
                    }
                    None => session(s.kind, stream, &s, &d).await,
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(60), work).await;
        });
    }
}

async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    kind: Kind,
    mut io: S,
    s: &ServiceSpec,
    d: &DeviceSpec,
) {
    if s.has(Weakness::Slow) {
        // Accept and stall: never a byte back.
        tokio::time::sleep(Duration::from_secs(60)).await;
        return;
    }
    if s.has(Weakness::Flood) {
        let chunk: Vec<u8> = (0..16384u32).map(|i| (i % 251) as u8).collect();
        while io.write_all(&chunk).await.is_ok() {}
        return;
    }
    if s.has(Weakness::Trickle) {
        for b in b"trickle ".iter().cycle() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if io.write_all(&[*b]).await.is_err() {
                return;
            }
        }
        return;
    }
    if s.has(Weakness::Garbage) {
        let mut x: u32 = 0x9e37_79b9;
        let junk: Vec<u8> = (0..512)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x & 0xff) as u8
            })
            .collect();
        let _ = io.write_all(&junk).await;
        let mut buf = [0u8; 1024];
        while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(5), io.read(&mut buf)).await
        {
            if n == 0 || io.write_all(junk.get(..n).unwrap_or(&junk)).await.is_err() {
                break;
            }
        }
        return;
    }
    match kind {
        Kind::Http => http(io, s, d).await,
        Kind::Telnet => telnet(io, s).await,
        Kind::Mqtt => mqtt(io, s).await,
        Kind::Ftp => ftp(io, s).await,
        Kind::Rtsp => rtsp(io, s).await,
        Kind::Raw => raw(io, s).await,
        Kind::Tls | Kind::UdpSnmp | Kind::UdpCoap | Kind::UdpSsdp => {}
    }
}

async fn read_until<S: AsyncRead + Unpin>(io: &mut S, end: &[u8], max: usize) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while !got.windows(end.len()).any(|w| w == end) {
        let n = tokio::time::timeout(Duration::from_secs(10), io.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return if got.is_empty() { None } else { Some(got) };
        }
        got.extend_from_slice(buf.get(..n)?);
        if got.len() > max {
            break;
        }
    }
    Some(got)
}

/// `user=…&pass=…` in the body of a POST to the login form.
fn form_fields_ok(req: &str, body_at: usize, s: &ServiceSpec) -> bool {
    let (Some(u), Some(p)) = (&s.user, &s.password) else {
        return false;
    };
    let body = req.get(body_at..).unwrap_or_default();
    let field = |name: &str| {
        body.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == name).then(|| percent_decode(v))
        })
    };
    field("user").as_deref() == Some(u.as_str()) && field("pass").as_deref() == Some(p.as_str())
}

fn percent_decode(v: &str) -> String {
    let mut out = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(x) => {
                        out.push(x);
                        i += 2;
                    }
                    None => out.push(c),
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn basic_ok(req: &str, s: &ServiceSpec) -> bool {
    let (Some(u), Some(p)) = (&s.user, &s.password) else {
        return false;
    };
    let want = base64(format!("{u}:{p}").as_bytes());
    req.lines().any(|l| {
        let l = l.trim();
        l.get(..14)
            .is_some_and(|h| h.eq_ignore_ascii_case("authorization:"))
            && l.ends_with(&want)
    })
}

fn base64(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(*c.first().unwrap_or(&0)) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(
                    *T.get(((n >> (18 - 6 * i)) & 63) as usize).unwrap_or(&b'='),
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn http<S: AsyncRead + AsyncWrite + Unpin>(mut io: S, s: &ServiceSpec, d: &DeviceSpec) {
    let Some(req) = read_until(&mut io, b"\r\n\r\n", 16384).await else {
        return;
    };
    let Ok(head) = http::parse_request_head(&req) else {
        // Not an HTTP/1.x request (an RTSP OPTIONS, say): what a web server says.
        let _ = io
            .write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await;
        let _ = io.shutdown().await;
        return;
    };
    let path = head.target.clone();
    // The form posts its fields in the body: read what Content-Length says
    // (bounded) past the head already read.
    let want = head.content_length().unwrap_or(0).min(4096);
    let mut req = String::from_utf8_lossy(&req).to_string();
    let head_end = head.head_len.min(req.len());
    while req.len() < head_end + want {
        let mut buf = [0u8; 1024];
        match tokio::time::timeout(Duration::from_secs(10), io.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                req.push_str(&String::from_utf8_lossy(buf.get(..n).unwrap_or_default()))
            }
            _ => break,
        }
    }
    let form_ok = path == "/login" && req.starts_with("POST") && form_fields_ok(&req, head_end, s);
    let server = s
        .banner
        .clone()
        .unwrap_or_else(|| "jcstar-testbed/1.0".into());
    let (status, extra, body) = if path == "/description.xml" {
        (
            "200 OK",
            "Content-Type: text/xml; charset=\"utf-8\"\r\n".to_string(),
            upnp_description(d),
        )
    } else if s.has(Weakness::NoAuth) || basic_ok(&req, s) || form_ok {
        (
            "200 OK",
            "Content-Type: text/html\r\n".into(),
            format!(
                "<html><title>{} settings</title><body>admin settings</body></html>",
                d.name
            ),
        )
    } else if s.has(Weakness::PlaintextLogin) {
        (
            "200 OK",
            "Content-Type: text/html\r\n".into(),
            "<html><form method=post action=/login><input name=user><input type=\"password\" name=pass><input type=submit></form></html>".into(),
        )
    } else {
        (
            "401 Unauthorized",
            format!("WWW-Authenticate: Basic realm=\"{}\"\r\n", d.name),
            "unauthorized".into(),
        )
    };
    let resp = format!(
        "HTTP/1.1 {status}\r\nServer: {server}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = io.write_all(resp.as_bytes()).await;
    let _ = io.shutdown().await;
}

async fn telnet<S: AsyncRead + AsyncWrite + Unpin>(mut io: S, s: &ServiceSpec) {
    let opening = [
        telnet::command(telnet::Verb::Will, telnet::OPT_ECHO),
        telnet::command(telnet::Verb::Will, telnet::OPT_SGA),
        telnet::command(telnet::Verb::Do, telnet::OPT_TTYPE),
    ]
    .concat();
    if io.write_all(&opening).await.is_err() {
        return;
    }
    let open = s.has(Weakness::NoAuth) || s.has(Weakness::DebugPort);
    let prompt: &[u8] = if open {
        b"\r\nBusyBox v1.31.1 built-in shell (ash)\r\n/ # "
    } else {
        b"\r\ncamera login: "
    };
    if io.write_all(prompt).await.is_err() {
        return;
    }
    let mut buf = [0u8; 1024];
    let mut line = Vec::new();
    let mut asked_password = false;
    let mut pending = Vec::new();
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(30), io.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        // The client's answers to our options need no answer back.
        pending.extend_from_slice(buf.get(..n).unwrap_or_default());
        let f = telnet::filter(&pending);
        pending = f.pending;
        for b in f.text {
            if b < 0x20 && b != b'\r' && b != b'\n' || b > 0x7e {
                continue;
            }
            if b == b'\n' || b == b'\r' {
                let reply: &[u8] = if open {
                    b"\r\n/ # "
                } else if !asked_password && !line.is_empty() {
                    asked_password = true;
                    b"\r\nPassword: "
                } else if asked_password {
                    asked_password = false;
                    b"\r\nLogin incorrect\r\ncamera login: "
                } else {
                    b""
                };
                line.clear();
                if !reply.is_empty() && io.write_all(reply).await.is_err() {
                    return;
                }
            } else if line.len() < 256 {
                line.push(b);
            }
        }
    }
}

async fn mqtt<S: AsyncRead + AsyncWrite + Unpin>(mut io: S, s: &ServiceSpec) {
    let mut buf = [0u8; 1024];
    let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(10), io.read(&mut buf)).await else {
        return;
    };
    let pkt = buf.get(..n).unwrap_or_default();
    // Anything but a whole CONNECT: drop like a broker does.
    let Ok(p) = mqtt::parse_packet(pkt) else {
        return;
    };
    if p.first != mqtt::CONNECT {
        return;
    }
    let Ok(connect) = mqtt::parse_connect(p.body) else {
        return;
    };
    let has_user = connect.user.is_some();
    let rc = if s.has(Weakness::Anonymous) || s.has(Weakness::NoAuth) || has_user {
        0
    } else {
        5
    };
    let _ = io.write_all(&mqtt::encode_connack(connect.level, rc)).await;
    if rc != 0 {
        return;
    }
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(30), io.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        if buf.first() == Some(&0xc0) && io.write_all(&[0xd0, 0]).await.is_err() {
            break; // PINGREQ -> PINGRESP
        }
    }
}

async fn ftp<S: AsyncRead + AsyncWrite + Unpin>(mut io: S, s: &ServiceSpec) {
    if io
        .write_all(b"220 jcstar testbed FTP server ready\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut user = String::new();
    while let Some(line) = read_until(&mut io, b"\n", 1024).await {
        let line = String::from_utf8_lossy(&line).trim().to_string();
        let (cmd, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let reply = match cmd.to_ascii_uppercase().as_str() {
            "USER" => {
                user = arg.to_string();
                "331 Please specify the password.\r\n".to_string()
            }
            "PASS" => {
                let anon = s.has(Weakness::Anonymous) && (user == "anonymous" || user == "ftp");
                let ok =
                    s.user.as_deref() == Some(user.as_str()) && s.password.as_deref() == Some(arg);
                if anon || ok {
                    "230 Login successful.\r\n".into()
                } else {
                    "530 Login incorrect.\r\n".into()
                }
            }
            "QUIT" => {
                let _ = io.write_all(b"221 Goodbye.\r\n").await;
                return;
            }
            _ => "502 Command not implemented.\r\n".into(),
        };
        if io.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn rtsp<S: AsyncRead + AsyncWrite + Unpin>(mut io: S, s: &ServiceSpec) {
    while let Some(req) = read_until(&mut io, b"\r\n\r\n", 16384).await {
        let req = String::from_utf8_lossy(&req).to_string();
        let cseq = req
            .lines()
            .find_map(|l| l.strip_prefix("CSeq:").map(|v| v.trim().to_string()))
            .unwrap_or_else(|| "0".into());
        let method = req.split_whitespace().next().unwrap_or("");
        let resp = if method == "OPTIONS" || s.has(Weakness::NoAuth) {
            format!(
                "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nServer: jcstar-testbed-rtsp\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n"
            )
        } else {
            format!(
                "RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nWWW-Authenticate: Digest realm=\"camera\", nonce=\"4a43\"\r\n\r\n"
            )
        };
        if io.write_all(resp.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn raw<S: AsyncRead + AsyncWrite + Unpin>(mut io: S, s: &ServiceSpec) {
    let banner = s.banner.clone().unwrap_or_else(|| {
        if s.has(Weakness::DebugPort) || s.has(Weakness::NoAuth) {
            "debug console\r\n# ".into()
        } else {
            "READY\r\n".into()
        }
    });
    if io.write_all(banner.as_bytes()).await.is_err() {
        return;
    }
    let mut buf = [0u8; 1024];
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(30), io.read(&mut buf)).await {
        if n == 0 || io.write_all(b"\r\n# ").await.is_err() {
            break;
        }
    }
}

async fn serve_udp(sock: UdpSocket, s: Arc<ServiceSpec>, d: Arc<DeviceSpec>) {
    let mut buf = vec![0u8; 2048];
    loop {
        let Ok((n, from)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        let req = buf.get(..n).unwrap_or_default();
        let reply = match s.kind {
            Kind::UdpSnmp => snmp_reply(req, &s, &d),
            Kind::UdpCoap => coap_reply(req),
            _ => None,
        };
        if let Some(r) = reply {
            let _ = sock.send_to(&r, from).await;
        }
    }
}

/// A UPnP device description (UPnP Device Architecture 1.0 layout).
/// `firmwareVersion` is not a standard element but is what many vendors
/// add; `softwareVersion` carries the same value the way others do.
fn upnp_description(d: &DeviceSpec) -> String {
    let model = xml_escape(d.model.as_deref().unwrap_or_default());
    let fw = xml_escape(d.firmware.as_deref().unwrap_or_default());
    format!(
        "<?xml version=\"1.0\"?>\r\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\">\
<specVersion><major>1</major><minor>0</minor></specVersion><device>\
<deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType>\
<friendlyName>{n}</friendlyName><manufacturer>jcstar testbed</manufacturer>\
<modelDescription>{desc}</modelDescription><modelName>{model}</modelName>\
<modelNumber>{model}</modelNumber><serialNumber>0000-{n}</serialNumber>\
<firmwareVersion>{fw}</firmwareVersion><softwareVersion>{fw}</softwareVersion>\
<UDN>{udn}</UDN><presentationURL>/</presentationURL></device></root>\r\n",
        n = xml_escape(&d.name),
        desc = xml_escape(&d.description),
        udn = ssdp_udn(d),
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A stable UUID-shaped device name derived from the device name, so that
/// repeated runs announce the same USN.
fn ssdp_udn(d: &DeviceSpec) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in d.name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!(
        "uuid:4a43{:04x}-{:04x}-4000-8000-{:012x}",
        (h >> 48) & 0xffff,
        (h >> 32) & 0xffff,
        h & 0xffff_ffff_ffff
    )
}

/// The search targets this device matches: everything, the root device,
/// its device type, or its own UUID.
fn ssdp_matches(st: &str, udn: &str) -> bool {
    st == "ssdp:all"
        || st == "upnp:rootdevice"
        || st == "urn:schemas-upnp-org:device:Basic:1"
        || st == udn
}

/// The unicast reply to one M-SEARCH datagram, or `None` when the datagram
/// is not a discovery request this device matches (real devices stay
/// silent then).
fn ssdp_reply(req: &[u8], location: &str, d: &DeviceSpec) -> Option<Vec<u8>> {
    let head = http::parse_request_head(req).ok()?;
    if head.method != "M-SEARCH" || head.target != "*" {
        return None;
    }
    let man = head.header("man") == Some("\"ssdp:discover\"");
    let st = head.header("st").map(str::to_string);
    let udn = ssdp_udn(d);
    let st = st?;
    if !man || !ssdp_matches(&st, &udn) || location.is_empty() {
        return None;
    }
    let usn = if st == udn {
        udn.clone()
    } else {
        format!("{udn}::{st}")
    };
    Some(
        format!(
            "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: {location}\r\nSERVER: Linux/5.10 UPnP/1.0 jcstar-testbed/1.0\r\nST: {st}\r\nUSN: {usn}\r\n\r\n"
        )
        .into_bytes(),
    )
}

/// SSDP on the device's own loopback address: replies go only to the
/// sender of the M-SEARCH, never to the multicast group.
async fn serve_ssdp(sock: UdpSocket, location: String, d: Arc<DeviceSpec>) {
    let mut buf = vec![0u8; 2048];
    loop {
        let Ok((n, from)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        if from.ip().is_multicast() || !from.ip().is_loopback() {
            continue;
        }
        if let Some(r) = ssdp_reply(buf.get(..n).unwrap_or_default(), &location, &d) {
            let _ = sock.send_to(&r, from).await;
        }
    }
}

fn coap_reply(req: &[u8]) -> Option<Vec<u8>> {
    // Only answer a confirmable GET; echo message id and token.
    let b0 = *req.first()?;
    if b0 >> 6 != 1 || req.get(1) != Some(&0x01) {
        return None;
    }
    let tkl = usize::from(b0 & 0x0f);
    let mut r = vec![0x60 | (b0 & 0x0f), 0x45, *req.get(2)?, *req.get(3)?];
    r.extend_from_slice(req.get(4..4 + tkl)?);
    r.extend_from_slice(&[0xc1, 0x28, 0xff]); // Content-Format: 40 (link-format)
    r.extend_from_slice(b"</sensors/temp>;rt=\"temperature\",</config>;rt=\"settings\"");
    Some(r)
}

/// Answers an SNMP v1/v2c GetRequest for the communities the weaknesses allow.
fn snmp_reply(req: &[u8], s: &ServiceSpec, d: &DeviceSpec) -> Option<Vec<u8>> {
    let m = snmp::parse_message(req).ok()?;
    if m.pdu != snmp::GET_REQUEST {
        return None;
    }
    let version = match m.version {
        0 => snmp::Version::V1,
        1 => snmp::Version::V2c,
        _ => return None,
    };
    let mut allowed: Vec<&[u8]> = Vec::new();
    if s.has(Weakness::SnmpPublic) {
        allowed.push(b"public");
    }
    if let Some(p) = &s.password {
        allowed.push(p.as_bytes());
    }
    if !allowed.contains(&m.community) {
        return None; // wrong community: real agents stay silent
    }
    let descr = format!(
        "{} {} firmware {}",
        d.name,
        d.model.clone().unwrap_or_default(),
        d.firmware.clone().unwrap_or_default()
    );
    Some(snmp::encode_message(
        version,
        m.community,
        snmp::GET_RESPONSE,
        m.request_id,
        &[(snmp::SYS_DESCR, snmp::Value::Octets(descr.as_bytes()))],
    ))
}

/// Device descriptions shipped with the testbed, by file name.
pub fn builtin_devices() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("camera.toml", include_str!("../devices/camera.toml")),
        ("hub.toml", include_str!("../devices/hub.toml")),
        ("hostile.toml", include_str!("../devices/hostile.toml")),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera() -> DeviceSpec {
        DeviceSpec::parse(
            builtin_devices()
                .get("camera.toml")
                .copied()
                .unwrap_or_default(),
            "camera.toml",
        )
        .unwrap()
    }

    #[test]
    fn ssdp_answers_only_discovery_it_matches() {
        let d = camera();
        let loc = "http://127.0.0.1:8080/description.xml";
        let ask = |st: &str| {
            format!(
                "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: {st}\r\n\r\n"
            )
        };
        let r =
            String::from_utf8(ssdp_reply(ask("ssdp:all").as_bytes(), loc, &d).unwrap()).unwrap();
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(r.contains(&format!("LOCATION: {loc}\r\n")), "{r}");
        assert!(r.contains("USN: uuid:4a43"), "{r}");
        assert!(ssdp_reply(ask("upnp:rootdevice").as_bytes(), loc, &d).is_some());
        assert!(
            ssdp_reply(
                ask("urn:schemas-upnp-org:device:Printer:1").as_bytes(),
                loc,
                &d
            )
            .is_none()
        );
        // Not discovery, or a NOTIFY: silence.
        let no_man = "M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n\r\n";
        assert!(ssdp_reply(no_man.as_bytes(), loc, &d).is_none());
        assert!(ssdp_reply(b"NOTIFY * HTTP/1.1\r\n\r\n", loc, &d).is_none());
        assert!(ssdp_reply(&[0xff, 0x00, 0x30], loc, &d).is_none());
    }

    #[test]
    fn description_names_model_and_firmware() {
        let x = upnp_description(&camera());
        assert!(x.contains("<modelNumber>JC-CAM-100</modelNumber>"), "{x}");
        assert!(
            x.contains("<firmwareVersion>1.0.3</firmwareVersion>"),
            "{x}"
        );
    }

    #[test]
    fn ssdp_needs_an_http_service() {
        let e = DeviceSpec::parse("name = \"x\"\n[[service]]\nkind = \"udp-ssdp\"\n", "x.toml")
            .unwrap_err();
        assert!(e.to_string().contains("kind = \"http\""), "{e}");
    }
}
