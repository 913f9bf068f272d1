//! The probe's report model: ports, identified services, findings mapped to
//! criteria, and per-criterion verdicts. Serialized as `report.json` in the
//! evidence directory under the schema name [`SCHEMA`].
//!
//! The TLS and login modules produce [`Finding`]s and read [`Service`]s; they
//! do not need anything else from the scanner.

use jcstar_criteria::CriterionId;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Schema name and major version of `report.json`.
pub const SCHEMA: &str = "jcstar.probe.report/1";

/// The transport a port was scanned over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        })
    }
}

/// What a port scan can honestly say about one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortState {
    /// TCP: handshake completed. UDP: the service replied.
    Open,
    /// TCP: RST. UDP: ICMP port unreachable.
    Closed,
    /// TCP: no answer after all retries, or ICMP unreachable other than port.
    Filtered,
    /// UDP: no reply and no ICMP error; either open and silent, or filtered.
    OpenFiltered,
}

/// The protocol a service speaks, decided from its replies, not its port number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    /// Plain HTTP.
    Http,
    /// HTTP inside TLS.
    Https,
    /// SSH.
    Ssh,
    /// Telnet: a remote shell with credentials in plaintext.
    Telnet,
    /// MQTT without TLS.
    Mqtt,
    /// MQTT inside TLS.
    MqttTls,
    /// FTP control connection.
    Ftp,
    /// RTSP, typical of camera streams.
    Rtsp,
    /// HTTP whose Server header announces UPnP (a device description server).
    Upnp,
    /// SNMP v1/v2c.
    Snmp,
    /// DNS.
    Dns,
    /// DHCP.
    Dhcp,
    /// NTP.
    Ntp,
    /// CoAP, the constrained-device web protocol over UDP.
    Coap,
    /// Multicast DNS (service discovery).
    Mdns,
    /// SSDP, UPnP's discovery protocol.
    Ssdp,
    /// TFTP: file transfer without authentication.
    Tftp,
    /// WS-Discovery, as ONVIF cameras announce themselves.
    WsDiscovery,
    /// NetBIOS name service.
    Netbios,
    /// LLMNR name resolution.
    Llmnr,
    /// IPMI remote management (RMCP).
    Ipmi,
    /// SNMP multiplexing (RFC 1227), e.g. net-snmp's subagent port TCP 199.
    Smux,
    /// TLS wrapping another protocol (other than HTTP and MQTT, which have
    /// their own kinds); `Tls(Unknown)` when the inner protocol was not recognised.
    Tls(Box<ServiceKind>),
    /// Something answered, but not in a protocol the probe recognises.
    Unknown,
}

impl ServiceKind {
    /// Whether the service runs inside TLS.
    pub fn is_tls(&self) -> bool {
        matches!(
            self,
            ServiceKind::Https | ServiceKind::MqttTls | ServiceKind::Tls(_)
        )
    }

    /// A short lowercase name, e.g. `https`, `tls/ftp`.
    pub fn name(&self) -> String {
        match self {
            ServiceKind::Tls(inner) => format!("tls/{}", inner.name()),
            other => serde_json::to_value(other)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "unknown".into()),
        }
    }
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Whether the service lets a client in without credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum Access {
    /// Not determined (the protocol has no login, or the check was not run).
    NotChecked,
    /// Access (a shell, a session, data) was obtained with no credentials.
    Unauthenticated {
        /// What was obtained, e.g. a shell prompt or an MQTT session.
        what: String,
    },
    /// The service demands credentials; `methods` as the service named them
    /// (e.g. `basic`, `digest`, `form`, `password`, `publickey`, `community`).
    Authenticated {
        /// The authentication methods the service offers.
        methods: Vec<String>,
    },
}

/// Behaviour of a port that is itself a finding (the service is broken or
/// hostile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Anomaly {
    /// Sent at least the read cap of bytes unasked.
    Flood,
    /// Accepted connections but answered no probe within its deadline.
    Silent,
    /// Sent bytes no known protocol starts with.
    Garbage,
}

impl Anomaly {
    /// The name used in reports and finding kinds.
    pub fn name(self) -> &'static str {
        match self {
            Anomaly::Flood => "flood",
            Anomaly::Silent => "silent",
            Anomaly::Garbage => "garbage",
        }
    }
}

/// One identified service on one port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// What the service speaks.
    pub kind: ServiceKind,
    /// Product as announced (e.g. `dropbear`, `lighttpd`), when the service says so.
    pub product: Option<String>,
    /// Version as announced, when the service says so.
    pub version: Option<String>,
    /// The service's first line or greeting, printable-escaped and bounded.
    pub banner: Option<String>,
    /// Whether a client gets in without credentials.
    pub access: Access,
    /// Credentials or settings would cross the network unencrypted if used
    /// (a login prompt or form over plaintext).
    pub plaintext_login: bool,
    /// The HTTP path of the login page the start page leads to, when it is
    /// not the start page itself; login tests are aimed at it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_page: Option<String>,
    /// Where the device's UPnP self-description is, as an SSDP reply gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_url: Option<String>,
    /// What the service said about its software beyond its first line: an
    /// HTTP `Server` header (as `Server: …`), the SNMP sysDescr, the MQTT
    /// broker's `$SYS/broker/version`. Known-vulnerability matching reads them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub self_descriptions: Vec<String>,
    /// Behaviour that is itself a finding (the port floods, stays silent or
    /// answers with bytes no protocol starts with).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anomalies: Vec<Anomaly>,
    /// Protocol-specific facts for people to read (`server`, `auth_methods`,
    /// `sysdescr`, `model`, ...). No rule reads them: what a decision needs is
    /// a typed field above.
    pub details: BTreeMap<String, String>,
    /// Evidence files (relative to the evidence directory) with the raw exchange.
    pub transcripts: Vec<String>,
}

impl Service {
    /// A service of `kind` with nothing else known yet.
    pub fn new(kind: ServiceKind) -> Service {
        Service {
            kind,
            product: None,
            version: None,
            banner: None,
            access: Access::NotChecked,
            plaintext_login: false,
            login_page: None,
            description_url: None,
            self_descriptions: Vec::new(),
            anomalies: Vec::new(),
            details: BTreeMap::new(),
            transcripts: Vec::new(),
        }
    }
}

/// One scanned port with what was found on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Port {
    /// TCP or UDP.
    pub transport: Transport,
    /// Port number.
    pub port: u16,
    /// What the scan could tell about the port.
    pub state: PortState,
    /// Why the state was decided (e.g. `syn-ack`, `reply to snmp probe`, `icmp port unreachable`).
    pub reason: String,
    /// The service identified on it, if any.
    pub service: Option<Service>,
}

/// A reference to a port, used by findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortRef {
    /// TCP or UDP.
    pub transport: Transport,
    /// Port number.
    pub port: u16,
}

impl fmt::Display for PortRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.transport)
    }
}

/// How much a finding weighs for the device's security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For the record; no action needed.
    Info,
    /// A minor weakness.
    Low,
    /// A weakness that needs attention.
    Medium,
    /// A serious weakness, e.g. a login in plaintext or without credentials.
    High,
}

/// One observation that bears on a criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Criterion ID with the sub-item where relevant, e.g. `S1.1-12`, `S1.1-13①`.
    pub criterion: CriterionId,
    /// How much the finding weighs.
    pub severity: Severity,
    /// Stable machine key, e.g. `telnet-plaintext`, `undeclared-port`, `tls-legacy-version`.
    pub kind: String,
    /// English title and explanation.
    pub title: String,
    /// English explanation.
    pub detail: String,
    /// The port the finding concerns, if any.
    pub port: Option<PortRef>,
    /// Evidence files (relative to the evidence directory) backing this finding.
    pub evidence: Vec<String>,
    /// Japanese title and explanation. Optional in the schema so reports
    /// written before the texts existed still read back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ja: Option<FindingText>,
}

/// A finding's title and explanation in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingText {
    /// Title.
    pub title: String,
    /// Explanation.
    pub detail: String,
}

impl Finding {
    /// Title in `lang`, falling back to English where no Japanese exists.
    pub fn title_in(&self, lang: jcstar_criteria::Lang) -> &str {
        match (lang, &self.ja) {
            (jcstar_criteria::Lang::Ja, Some(t)) => &t.title,
            _ => &self.title,
        }
    }

    /// Explanation in `lang`, falling back to English.
    pub fn detail_in(&self, lang: jcstar_criteria::Lang) -> &str {
        match (lang, &self.ja) {
            (jcstar_criteria::Lang::Ja, Some(t)) => &t.detail,
            _ => &self.detail,
        }
    }
}

/// Outcome for one criterion, never claiming more than was tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The device meets the criterion as far as the probe tested it.
    Pass,
    /// The device fails the criterion.
    Fail,
    /// The probe could not test the criterion.
    NotTested,
    /// The probe's result must be confirmed by a person or documents.
    NeedsReview,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NotTested => "not-tested",
            Verdict::NeedsReview => "needs-review",
        })
    }
}

/// The verdict for one criterion, with the reasons it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionVerdict {
    /// e.g. `S1.1-12`, `S1.1-13①`.
    pub criterion: CriterionId,
    /// The outcome.
    pub verdict: Verdict,
    /// The reasons in English: stable text for tools that read `report.json`.
    pub reasons: Vec<String>,
    /// The same reasons as data, written out in the reader's language by
    /// [`CriterionVerdict::reasons_in`]. Absent in reports written before
    /// they existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<crate::reason::Reason>,
}

impl CriterionVerdict {
    /// A verdict with its reasons (the English text is derived from them).
    pub fn new(
        criterion: CriterionId,
        verdict: Verdict,
        why: Vec<crate::reason::Reason>,
    ) -> CriterionVerdict {
        CriterionVerdict {
            criterion,
            verdict,
            reasons: why.iter().map(ToString::to_string).collect(),
            why,
        }
    }

    /// The reasons in `lang`; the stored English text when the report
    /// carries no typed reasons.
    pub fn reasons_in(&self, lang: jcstar_criteria::Lang) -> Vec<String> {
        if self.why.is_empty() {
            self.reasons.clone()
        } else {
            self.why.iter().map(|r| r.text(lang)).collect()
        }
    }
}

/// The target as named and as resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// As the user wrote it.
    pub input: String,
    /// The one address probed.
    pub address: std::net::IpAddr,
}

/// Counts of the TCP scan (closed/filtered ports are not listed one by one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanStats {
    /// TCP ports probed.
    pub tcp_scanned: u32,
    /// TCP ports found open.
    pub tcp_open: u32,
    /// TCP ports that answered with a reset.
    pub tcp_closed: u32,
    /// TCP ports that gave no answer or an ICMP error.
    pub tcp_filtered: u32,
    /// UDP ports probed.
    pub udp_scanned: u32,
    /// Wall-clock time of the whole run, in milliseconds.
    pub duration_ms: u64,
}

/// The whole `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`] when written by this version.
    pub schema: String,
    /// Version of jcstar that wrote the report.
    pub jcstar_version: String,
    /// The device probed.
    pub target: Target,
    /// RFC 3339, UTC.
    pub started: String,
    /// When the probe finished, RFC 3339, UTC.
    pub finished: String,
    /// The options the probe ran with, as given.
    pub options: serde_json::Value,
    /// Counts of the scan.
    pub stats: ScanStats,
    /// Open TCP ports, and every UDP port probed.
    pub ports: Vec<Port>,
    /// Every observation, each mapped to a criterion.
    pub findings: Vec<Finding>,
    /// One verdict per criterion the probe assesses.
    pub verdicts: Vec<CriterionVerdict>,
    /// Per-module results that have their own shape (e.g. `tls` assessments by port).
    pub extra: BTreeMap<String, serde_json::Value>,
}
