//! Device tests against a target the user names: port scans, service
//! identification, TLS assessment, login checks, and the evidence they leave.
//!
//! It touches only the address it is given, with bounded rates, concurrency
//! and deadlines; a hostile device yields a finding, never a hang or a panic.
//! It never prints: progress is published through a [`Progress`] the caller
//! polls.

// Nested `if let` reads better here than let-chains, which need Rust 1.88.

pub mod assess;
pub mod assess_text;
pub mod evidence;
pub mod findings;
pub mod identify;
pub mod login;
/// Why a verdict is what it is (see [`jcstar_reason`]).
pub mod reason {
    pub use jcstar_reason::*;
}
pub mod report;
pub(crate) mod sshauth;
pub mod target;
pub mod tcp;
pub mod tls;
pub mod transcript;
pub mod udp;
pub mod vulns;

/// Entry points for the fuzz targets in `fuzz/` into parsers that are
/// otherwise private. Not an API: it may change with any release.
#[doc(hidden)]
pub mod internal {
    pub use crate::login::FormOptions;
    pub use crate::login::form::{find_login_form, has_password_input, parse_forms};

    /// The TLS first-flight parser (ServerHello flight) over bytes as read.
    pub fn tls_first_flight(bytes: &[u8], full_flight: bool) -> String {
        format!("{:?}", crate::tls::hello::parse_flight(bytes, full_flight))
    }

    /// The UPnP device-description reader.
    pub fn upnp_description(xml: &str) -> Vec<(&'static str, String)> {
        crate::upnp_description(xml)
    }
}

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

pub use findings::Declared;
pub use report::{
    Access, Anomaly, CriterionVerdict, Finding, FindingText, Port, PortRef, PortState, Report,
    Service, ServiceKind, Severity, Transport, Verdict,
};
pub use transcript::Transcript;

/// Why a probe could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The target is refused: empty, a range or list, or an address the probe may not touch.
    #[error("target `{input}` refused: {reason}")]
    Target {
        /// The target as given.
        input: String,
        /// Why it is refused.
        reason: target::Refusal,
    },
    /// A `--tcp` or `--udp` port list cannot be parsed.
    #[error("port list `{spec}`: {reason}")]
    Ports {
        /// The port list as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The declared-ports file cannot be used.
    #[error("declared-ports file {path}: {reason}")]
    Declared {
        /// Path of the file.
        path: String,
        /// Why it cannot be read or parsed.
        reason: findings::DeclaredError,
    },
    /// An evidence file or directory could not be used.
    #[error("evidence {path}: {reason}")]
    Evidence {
        /// The file or directory concerned.
        path: String,
        /// The error.
        reason: String,
    },
    /// The scan itself failed.
    #[error("scan failed: {0}")]
    Scan(String),
}

impl ProbeError {
    /// The error in the user's language.
    pub fn text(&self, lang: jcstar_criteria::Lang) -> String {
        use jcstar_criteria::Lang;
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (ProbeError::Target { input, reason }, _) => {
                format!("対象 `{input}` は指定できません: {}", reason.text(lang))
            }
            (ProbeError::Ports { spec, reason }, _) => format!("ポート一覧 `{spec}`: {reason}"),
            (ProbeError::Declared { path, reason }, _) => {
                format!("宣言ポートのファイル {path}: {}", reason.text(lang))
            }
            (ProbeError::Evidence { path, reason }, _) => format!("証拠 {path}: {reason}"),
            (ProbeError::Scan(e), _) => format!("走査に失敗しました: {e}"),
        }
    }
}

/// Everything `jcstar probe` can be told.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProbeOptions {
    /// The device to probe: an address or a host name that resolves to one.
    pub target: String,
    /// `all`, `top`, `none` or a list like `22,80,8000-8100`.
    pub tcp: String,
    /// `iot` (default), `top`, `none` or a list.
    pub udp: String,
    /// The ports the manufacturer declares as needed, parsed from `declared_file`.
    #[serde(skip)]
    pub declared: Option<Declared>,
    /// Path of the declared-ports file, as given.
    pub declared_file: Option<String>,
    /// New TCP connections per second; `None`: unbounded on loopback, [`DEFAULT_RATE`] otherwise.
    pub rate: Option<u32>,
    /// Per-attempt deadline of connects and UDP replies.
    pub timeout_ms: u64,
    /// How often an unanswered TCP connect or UDP probe is retried.
    pub retries: u32,
    /// Cap on connections in flight (further lowered to the descriptor budget).
    pub max_in_flight: usize,
    /// Ports identified at the same time.
    pub identify_concurrency: usize,
    /// Skip identification (scan only).
    pub identify: bool,
    /// Run the full TLS assessment (versions, suites, certificate) on every TLS port.
    pub tls_assessment: bool,
}

/// Default connection rate for non-loopback targets: gentle enough for a
/// small device's TCP stack, still a full scan in well under a minute.
pub const DEFAULT_RATE: u32 = 5000;

impl ProbeOptions {
    /// Defaults: every TCP port, the IoT UDP list, identification and the TLS assessment on.
    pub fn new(target: impl Into<String>) -> ProbeOptions {
        ProbeOptions {
            target: target.into(),
            tcp: "all".into(),
            udp: "iot".into(),
            declared: None,
            declared_file: None,
            rate: None,
            timeout_ms: 1000,
            retries: 2,
            max_in_flight: 4096,
            identify_concurrency: 64,
            identify: true,
            tls_assessment: true,
        }
    }
}

/// Live progress: the phase and its counters, polled by the caller.
#[derive(Debug, Default)]
pub struct Progress {
    /// Name of the phase running now.
    pub phase: Mutex<String>,
    /// Units of work in this phase.
    pub total: AtomicU64,
    /// Units of work done in this phase.
    pub done: AtomicU64,
    /// Set by the caller to stop the probe early.
    pub cancel: AtomicBool,
}

impl Progress {
    fn start(&self, phase: &str, total: u64) {
        if let Ok(mut p) = self.phase.lock() {
            *p = phase.to_string();
        }
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }
    /// The phase running now.
    pub fn phase(&self) -> String {
        self.phase.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

/// The report plus the raw transcripts and extra evidence files behind it.
#[derive(Debug, Clone)]
pub struct ProbeOutcome {
    /// The report written as `report.json`.
    pub report: Report,
    /// The raw exchanges behind the report, one per service.
    pub transcripts: Vec<Transcript>,
    /// Further evidence files by relative path (e.g. TLS assessments).
    pub extra_files: BTreeMap<String, Vec<u8>>,
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// Runs the whole probe: resolve, TCP scan, UDP scan, identification, findings.
pub async fn probe(
    opts: &ProbeOptions,
    progress: Arc<Progress>,
) -> Result<ProbeOutcome, ProbeError> {
    let started_wall = SystemTime::now();
    let started = Instant::now();
    let tcp_ports = target::parse_ports(&opts.tcp, target::TOP_TCP, "--tcp")?;
    let udp_ports = match opts.udp.trim() {
        "iot" | "default" => target::IOT_UDP.to_vec(),
        other => target::parse_ports(other, target::TOP_UDP, "--udp")?,
    };
    let ip = target::resolve(&opts.target).await?;
    let timeout = Duration::from_millis(opts.timeout_ms.max(1));
    let rate = match opts.rate {
        Some(0) => None,
        Some(r) => Some(r),
        None if target::is_loopback(ip) => None,
        None => Some(DEFAULT_RATE),
    };

    // TCP
    progress.start("tcp scan", tcp_ports.len() as u64);
    let cfg = tcp::TcpScanConfig {
        addr: ip,
        ports: tcp_ports.clone(),
        timeout,
        retries: opts.retries,
        max_in_flight: opts.max_in_flight.min(tcp::fd_budget()).max(1),
        rate,
        threads: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
    };
    let p2 = progress.clone();
    let tcp_result = tokio::task::spawn_blocking(move || tcp::scan(&cfg, &p2.done, &p2.cancel))
        .await
        .map_err(|e| ProbeError::Scan(e.to_string()))?
        .map_err(|e| ProbeError::Scan(format!("tcp: {e}")))?;

    // UDP: every port at once; the list is short and each socket is cheap.
    progress.start("udp scan", udp_ports.len() as u64);
    let mut udp_set = tokio::task::JoinSet::new();
    for port in udp_ports.clone() {
        let p2 = progress.clone();
        udp_set.spawn(async move {
            let r = udp::probe_port(ip, port, timeout, 1).await;
            p2.done.fetch_add(1, Ordering::Relaxed);
            r
        });
    }
    let mut udp_results = Vec::new();
    while let Some(r) = udp_set.join_next().await {
        if let Ok(r) = r {
            udp_results.push(r);
        }
    }
    udp_results.sort_by_key(|r| r.port);

    // Identification of every open TCP port, concurrently.
    progress.start("identify", tcp_result.open.len() as u64);
    let icfg = identify::IdentifyConfig::default();
    let sem = Arc::new(tokio::sync::Semaphore::new(
        opts.identify_concurrency.max(1),
    ));
    let mut id_set = tokio::task::JoinSet::new();
    if opts.identify {
        for &port in &tcp_result.open {
            let icfg = icfg.clone();
            let sem = sem.clone();
            let p2 = progress.clone();
            id_set.spawn(async move {
                let _permit = sem.acquire_owned().await.ok();
                let r = identify::identify(SocketAddr::new(ip, port), &icfg).await;
                p2.done.fetch_add(1, Ordering::Relaxed);
                (port, r)
            });
        }
    }
    let mut identified: BTreeMap<u16, identify::Identified> = BTreeMap::new();
    while let Some(r) = id_set.join_next().await {
        if let Ok((port, r)) = r {
            identified.insert(port, r);
        }
    }

    let mut transcripts = Vec::new();
    let mut ports = Vec::new();
    for &port in &tcp_result.open {
        let service = identified.remove(&port).map(|mut id| {
            if !id.transcript.is_empty() {
                id.service
                    .transcripts
                    .push(evidence::transcript_path(&id.transcript));
                transcripts.push(id.transcript);
            }
            id.service
        });
        ports.push(Port {
            transport: Transport::Tcp,
            port,
            state: PortState::Open,
            reason: "tcp handshake completed".into(),
            service,
        });
    }
    for r in udp_results {
        let mut service = r.service;
        if let Some(s) = service.as_mut()
            && !r.transcript.is_empty()
        {
            s.transcripts.push(evidence::transcript_path(&r.transcript));
        }
        if !r.transcript.is_empty() {
            transcripts.push(r.transcript);
        }
        ports.push(Port {
            transport: Transport::Udp,
            port: r.port,
            state: r.state,
            reason: r.reason,
            service,
        });
    }
    upnp_from_ssdp(ip, &mut ports, &mut transcripts).await;

    let mut findings = findings::port_findings(&ports, opts.declared.as_ref());
    let mut extra = BTreeMap::new();
    let mut extra_files = BTreeMap::new();
    let tls_ports: Vec<u16> = ports
        .iter()
        .filter(|p| p.transport == Transport::Tcp)
        .filter(|p| p.service.as_ref().is_some_and(|s| s.kind.is_tls()))
        .map(|p| p.port)
        .collect();
    let mut tls_assessed = tls_ports.is_empty();
    if opts.tls_assessment && !tls_ports.is_empty() {
        progress.start("tls", tls_ports.len() as u64);
        let server_name = target::check_literal(&opts.target)
            .ok()
            .flatten()
            .is_none()
            .then(|| opts.target.trim().to_string());
        let mut set = tokio::task::JoinSet::new();
        for port in tls_ports {
            let sn = server_name.clone();
            let p2 = progress.clone();
            let topts = tls::TlsOptions {
                timeout: timeout.max(Duration::from_secs(2)),
                ..tls::TlsOptions::default()
            };
            set.spawn(async move {
                let r = tls::assess(SocketAddr::new(ip, port), sn.as_deref(), &topts).await;
                p2.done.fetch_add(1, Ordering::Relaxed);
                (port, r)
            });
        }
        let mut by_port = serde_json::Map::new();
        let mut all_complete = true;
        while let Some(r) = set.join_next().await {
            let Ok((port, r)) = r else {
                all_complete = false;
                continue;
            };
            all_complete &= r.complete && r.speaks_tls;
            let file = format!("tls/tcp-{port}.json");
            if let Ok(bytes) = serde_json::to_vec_pretty(&r) {
                extra_files.insert(file.clone(), bytes);
            }
            findings.extend(tls_findings(port, &r, &file));
            by_port.insert(
                port.to_string(),
                serde_json::to_value(&r).unwrap_or_default(),
            );
        }
        extra.insert("tls".to_string(), serde_json::Value::Object(by_port));
        tls_assessed = all_complete;
    }
    let cov = findings::Coverage {
        tcp_ports: tcp_ports.len(),
        tcp_all: tcp_ports.len() == usize::from(u16::MAX),
        udp_ports: udp_ports.len(),
        tls_assessed,
    };
    findings::add_japanese(&mut findings);
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.port.cmp(&b.port)));
    let verdicts = findings::verdicts(&ports, &findings, opts.declared.as_ref(), &cov);
    let stats = report::ScanStats {
        tcp_scanned: tcp_ports.len() as u32,
        tcp_open: tcp_result.open.len() as u32,
        tcp_closed: tcp_result.closed,
        tcp_filtered: tcp_result.filtered.len() as u32,
        udp_scanned: udp_ports.len() as u32,
        duration_ms: started.elapsed().as_millis() as u64,
    };
    let mut options = serde_json::to_value(opts).unwrap_or(serde_json::Value::Null);
    if let Some(o) = options.as_object_mut() {
        o.insert("rate_effective".into(), serde_json::json!(rate));
        o.insert("udp_ports".into(), serde_json::json!(udp_ports));
    }
    let report = Report {
        schema: report::SCHEMA.into(),
        jcstar_version: env!("CARGO_PKG_VERSION").into(),
        target: report::Target {
            input: opts.target.clone(),
            address: ip,
        },
        started: rfc3339(started_wall),
        finished: rfc3339(SystemTime::now()),
        options,
        stats,
        ports,
        findings,
        verdicts,
        extra,
    };
    Ok(ProbeOutcome {
        report,
        transcripts,
        extra_files,
    })
}

/// The TLS module's failing and doubtful findings as report findings, by
/// the TLS report's own conversion (one severity rule for `probe`, `assess`
/// and the TLS report), with the port in front of each title.
fn tls_findings(port: u16, r: &tls::TlsReport, file: &str) -> Vec<Finding> {
    r.report_findings(jcstar_criteria::Lang::En, &[file.to_string()])
        .into_iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|mut f| {
            f.title = format!("{port}/tcp: {}", f.title);
            if let Some(ja) = &mut f.ja {
                ja.title = format!("{port}/tcp: {}", ja.title);
            }
            f
        })
        .collect()
}

/// When SSDP answered with a description URL on the target itself, fetch
/// it and mark that TCP port as UPnP with the device's self-description.
async fn upnp_from_ssdp(ip: IpAddr, ports: &mut [Port], transcripts: &mut Vec<Transcript>) {
    let loc = ports
        .iter()
        .filter(|p| p.transport == Transport::Udp)
        .filter_map(|p| p.service.as_ref())
        .find_map(|s| s.description_url.clone());
    let Some(loc) = loc else { return };
    let Some(rest) = loc.strip_prefix("http://") else {
        return;
    };
    let (hostport, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let Ok(sa) = hostport.parse::<SocketAddr>() else {
        return;
    };
    if sa.ip() != ip {
        return;
    }
    let Some(port) = ports
        .iter_mut()
        .find(|p| p.transport == Transport::Tcp && p.port == sa.port())
    else {
        return;
    };
    let mut t = Transcript::new(format!("tcp/{}-upnp-description", sa.port()));
    let body = identify::fetch(sa, &path, &mut t).await;
    let Some(head) = body.as_deref().and_then(identify::parse_head) else {
        return;
    };
    let xml = String::from_utf8_lossy(&head.body);
    let service = port
        .service
        .get_or_insert_with(|| Service::new(ServiceKind::Upnp));
    service.kind = ServiceKind::Upnp;
    for (tag, v) in upnp_description(&xml) {
        if tag == "modelName" {
            service.product = Some(v.clone());
        }
        service.details.insert(format!("upnp_{tag}"), v);
    }
    service.transcripts.push(evidence::transcript_path(&t));
    transcripts.push(t);
}

/// The device facts a UPnP device description states: (element, text)
/// for each element it has, text trimmed and bounded.
fn upnp_description(xml: &str) -> Vec<(&'static str, String)> {
    [
        "friendlyName",
        "manufacturer",
        "modelName",
        "modelNumber",
        "serialNumber",
        "firmwareVersion",
        "softwareVersion",
    ]
    .into_iter()
    .filter_map(|tag| xml_tag(xml, tag).map(|v| (tag, v)))
    .collect()
}

fn xml_tag(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml.get(start..)?.find('<')? + start;
    Some(xml.get(start..end)?.trim().chars().take(200).collect())
}
