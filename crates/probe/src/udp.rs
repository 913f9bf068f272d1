//! UDP scan with protocol-specific probes. A UDP port is only called open
//! when something answered; silence is `open|filtered`; an ICMP port
//! unreachable (seen as ECONNREFUSED on a connected socket) is `closed`.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use jcstar_wire::{http, snmp};
use tokio::net::UdpSocket;

use crate::report::{Access, PortState, Service, ServiceKind};
use crate::transcript::{Transcript, escape_bounded};

/// One probe datagram for a port, with the name of what it asks.
pub struct UdpProbe {
    /// What the probe asks, e.g. `dhcp discover`.
    pub name: &'static str,
    /// The datagram to send.
    pub payload: Vec<u8>,
}

/// The SNMP communities tried (read-only defaults that ship enabled far too often).
pub const SNMP_COMMUNITIES: &[&str] = &["public", "private"];

/// The probes sent to a UDP port. A well-known port gets its protocol's
/// probes; any other port gets every probe, so a service on an unusual
/// port is still recognised from its reply rather than its number.
pub fn probes_for(port: u16) -> Vec<UdpProbe> {
    let specific = specific_probes(port);
    if !specific.is_empty() {
        return specific;
    }
    let mut all = Vec::new();
    for p in crate::target::IOT_UDP {
        all.extend(specific_probes(*p));
    }
    all.push(UdpProbe {
        name: "empty datagram",
        payload: Vec::new(),
    });
    all
}

fn specific_probes(port: u16) -> Vec<UdpProbe> {
    let p = |name, payload| UdpProbe { name, payload };
    match port {
        53 => vec![p("dns query . NS", dns_query(0x4a43, &[], 2, false))],
        67 => vec![p("dhcp discover", dhcp_discover())],
        69 => vec![p("tftp read request", tftp_rrq())],
        123 => vec![
            p("ntp mode 3 client", ntp_client()),
            p("ntp mode 6 readvar", ntp_mode6()),
        ],
        137 => vec![p("netbios nbstat", nbstat())],
        161 => SNMP_COMMUNITIES
            .iter()
            .enumerate()
            .map(|(i, c)| {
                p(
                    if i == 0 {
                        "snmp get sysDescr (public)"
                    } else {
                        "snmp get sysDescr (private)"
                    },
                    snmp_get(c, 0x10 + i as u8),
                )
            })
            .collect(),
        623 => vec![p("ipmi get channel auth capabilities", IPMI.to_vec())],
        1900 => vec![p("ssdp m-search", SSDP_MSEARCH.as_bytes().to_vec())],
        3702 => vec![p("ws-discovery probe", WSD_PROBE.as_bytes().to_vec())],
        5060 => vec![p("sip options", sip_options())],
        5353 => vec![p(
            "mdns query _services._dns-sd._udp.local",
            dns_query(0, &["_services", "_dns-sd", "_udp", "local"], 12, true),
        )],
        5355 => vec![p(
            "llmnr query",
            dns_query(0x4a44, &["jcstar-probe"], 1, false),
        )],
        5683 => vec![p("coap get /.well-known/core", COAP_WELL_KNOWN.to_vec())],
        9999 => vec![p("tp-link kasa get_sysinfo", kasa_sysinfo())],
        10001 => vec![p("ubiquiti discovery", vec![1, 0, 0, 0])],
        47808 => vec![p("bacnet who-is", BACNET_WHOIS.to_vec())],
        _ => Vec::new(),
    }
}

/// The protocol a UDP reply is in, judged from its bytes.
fn classify_reply(d: &[u8]) -> Option<(ServiceKind, &'static str)> {
    if snmp::parse_message(d).is_ok() {
        return Some((ServiceKind::Snmp, "snmp"));
    }
    if d.starts_with(b"HTTP/1.") {
        return Some((ServiceKind::Ssdp, "ssdp"));
    }
    if d.starts_with(b"SIP/2.0") {
        return Some((ServiceKind::Unknown, "sip"));
    }
    if contains(d, b"ProbeMatches") {
        return Some((ServiceKind::WsDiscovery, "ws-discovery"));
    }
    if d.starts_with(&[0x06, 0x00, 0xff, 0x07]) {
        return Some((ServiceKind::Ipmi, "ipmi"));
    }
    match d {
        [b0, _, 0x4a, 0x43, ..] if b0 >> 6 == 1 => return Some((ServiceKind::Coap, "coap")),
        [0, 3 | 5, ..] => return Some((ServiceKind::Tftp, "tftp")),
        [0x4a, 0x43, f, ..] if f & 0x80 != 0 && d.len() >= 12 => {
            return Some((ServiceKind::Dns, "dns"));
        }
        [0x4a, 0x44, f, ..] if f & 0x80 != 0 => return Some((ServiceKind::Llmnr, "llmnr")),
        [0x4a, 0x45, f, ..] if f & 0x80 != 0 => return Some((ServiceKind::Netbios, "netbios")),
        [0, 0, f, ..] if f & 0x80 != 0 && d.len() >= 12 => {
            return Some((ServiceKind::Mdns, "mdns"));
        }
        [b0, ..] if d.len() >= 48 && b0 & 7 == 4 => return Some((ServiceKind::Ntp, "ntp")),
        [b0, b1, ..] if b0 & 7 == 6 && b1 & 0x80 != 0 => return Some((ServiceKind::Ntp, "ntp")),
        [0x81, 0x0a | 0x0b, ..] => return Some((ServiceKind::Unknown, "bacnet")),
        _ => {}
    }
    None
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// What the UDP scan saw on one port.
#[derive(Debug, Clone)]
pub struct UdpResult {
    /// The port probed.
    pub port: u16,
    /// What the replies (or their absence) say about it.
    pub state: PortState,
    /// Why the state was decided, e.g. `icmp port unreachable`.
    pub reason: String,
    /// The service identified from the reply, if any.
    pub service: Option<Service>,
    /// The datagrams sent and received.
    pub transcript: Transcript,
}

/// Probes one UDP port: every probe is sent, each up to `1 + retries` times,
/// and replies are collected until the deadline.
pub async fn probe_port(ip: IpAddr, port: u16, timeout: Duration, retries: u32) -> UdpResult {
    let target = SocketAddr::new(ip, port);
    let mut transcript = Transcript::new(format!("udp/{port}"));
    let bind: SocketAddr = match ip {
        IpAddr::V4(_) => "0.0.0.0:0"
            .parse()
            .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0))),
        IpAddr::V6(_) => SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0)),
    };
    let mk = |state, reason: String, service, transcript| UdpResult {
        port,
        state,
        reason,
        service,
        transcript,
    };
    let sock = match UdpSocket::bind(bind).await {
        Ok(s) => s,
        Err(e) => {
            return mk(
                PortState::OpenFiltered,
                format!("local socket error: {e}"),
                None,
                transcript,
            );
        }
    };
    if let Err(e) = sock.connect(target).await {
        return mk(
            PortState::Filtered,
            format!("connect: {e}"),
            None,
            transcript,
        );
    }
    let probes = probes_for(port);
    let mut replies: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut buf = vec![0u8; 65536];
    'attempts: for _attempt in 0..=retries {
        for pr in &probes {
            transcript.note(&format!("send {}", pr.name));
            transcript.sent(&pr.payload);
            if let Err(e) = sock.send(&pr.payload).await
                && e.kind() == io::ErrorKind::ConnectionRefused
            {
                transcript.note("icmp port unreachable");
                return mk(
                    PortState::Closed,
                    "icmp port unreachable".into(),
                    None,
                    transcript,
                );
            }
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, sock.recv(&mut buf)).await {
                Err(_) => break,
                Ok(Ok(n)) => {
                    let data = buf.get(..n).unwrap_or_default().to_vec();
                    transcript.received(&data);
                    let idx = match_probe(port, &probes, &data);
                    replies.push((idx, data));
                    if replies.len() >= probes.len() * 2 || replies.len() > 16 {
                        break 'attempts;
                    }
                }
                Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    if replies.is_empty() {
                        transcript.note("icmp port unreachable");
                        return mk(
                            PortState::Closed,
                            "icmp port unreachable".into(),
                            None,
                            transcript,
                        );
                    }
                }
                Ok(Err(e)) => {
                    transcript.note(&format!("recv error: {e}"));
                    break;
                }
            }
        }
        if !replies.is_empty() {
            break;
        }
    }
    if replies.is_empty() {
        return mk(PortState::OpenFiltered, "no reply".into(), None, transcript);
    }
    let service = describe(port, &probes, &replies);
    let reason = format!(
        "reply to {}",
        replies
            .first()
            .and_then(|(i, _)| probes.get(*i))
            .map(|p| p.name)
            .unwrap_or("probe")
    );
    mk(PortState::Open, reason, Some(service), transcript)
}

/// Which probe a reply answers (SNMP carries our request id; others: the first).
fn match_probe(_port: u16, probes: &[UdpProbe], data: &[u8]) -> usize {
    {
        if let Some(id) = snmp_request_id(data)
            && let Some(i) = probes
                .iter()
                .position(|p| snmp_request_id(&p.payload) == Some(id))
        {
            return i;
        }
    }
    0
}

fn describe(port: u16, probes: &[UdpProbe], replies: &[(usize, Vec<u8>)]) -> Service {
    let first = replies
        .first()
        .map(|(_, d)| d.as_slice())
        .unwrap_or_default();
    let mut details = BTreeMap::new();
    let mut description_url = None;
    let mut communities: Vec<&str> = Vec::new();
    let classified = classify_reply(first);
    if let Some((_, proto)) = classified {
        details.insert("protocol".to_string(), proto.to_string());
    }
    let by_content = classified.map(|(k, _)| k);
    let port_kind = match by_content {
        Some(ServiceKind::Unknown) | None => port,
        Some(ServiceKind::Snmp) => 161,
        Some(ServiceKind::Ssdp) => 1900,
        Some(ServiceKind::Coap) => 5683,
        Some(_) => 0,
    };
    let kind = match port_kind {
        161 if first.first() == Some(&snmp::SEQUENCE) => {
            for (_, d) in replies {
                let community = snmp_request_id(d)
                    .and_then(|id| SNMP_COMMUNITIES.get(usize::from(id.wrapping_sub(0x10))));
                if let Some(c) = community
                    && snmp_error_status(d) == Some(0)
                    && !communities.contains(c)
                {
                    communities.push(c);
                }
                if let Some(descr) = snmp_first_string(d) {
                    details.entry("sysdescr".to_string()).or_insert(descr);
                }
            }
            details.insert("communities".into(), communities.join(","));
            ServiceKind::Snmp
        }
        53 => ServiceKind::Dns,
        67 | 68 => ServiceKind::Dhcp,
        69 => ServiceKind::Tftp,
        123 => ServiceKind::Ntp,
        137 => ServiceKind::Netbios,
        623 => ServiceKind::Ipmi,
        1900 if let Ok(head) = http::parse_response_head_truncated(first)
            && head.status == 200
            && head.protocol == http::Protocol::Http =>
        {
            for (k, v) in &head.headers {
                let k = k.to_ascii_lowercase();
                if matches!(k.as_str(), "location" | "server" | "st" | "usn") {
                    details.insert(k, v.chars().take(300).collect());
                }
            }
            description_url = head
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("location"))
                .map(|(_, v)| v.chars().take(300).collect());
            ServiceKind::Ssdp
        }
        3702 => ServiceKind::WsDiscovery,
        5353 => ServiceKind::Mdns,
        5355 => ServiceKind::Llmnr,
        5683 if first.first().map(|b| b >> 6) == Some(1) => {
            // CoAP version 1 reply; the payload after 0xff is the link-format list.
            if let Some(pos) = first.iter().position(|b| *b == 0xff) {
                let payload = first.get(pos + 1..).unwrap_or_default();
                details.insert("resources".into(), escape_bounded(payload, 300));
            }
            ServiceKind::Coap
        }
        _ => by_content.unwrap_or(ServiceKind::Unknown),
    };
    let mut s = Service::new(kind);
    s.banner = Some(escape_bounded(first, 200));
    s.self_descriptions.extend(details.get("sysdescr").cloned());
    s.details = details;
    s.description_url = description_url;
    s.details.insert(
        "probe".into(),
        replies
            .first()
            .and_then(|(i, _)| probes.get(*i))
            .map(|p| p.name.to_string())
            .unwrap_or_default(),
    );
    if s.kind == ServiceKind::Snmp {
        s.access = if communities.is_empty() {
            Access::Authenticated {
                methods: vec!["community".into()],
            }
        } else {
            Access::Unauthenticated {
                what: format!(
                    "SNMP read with default community: {}",
                    communities.join(",")
                ),
            }
        };
        // SNMP v1/v2c communities travel in clear text.
        s.plaintext_login = true;
    }
    s
}

fn dns_query(id: u16, labels: &[&str], qtype: u16, unicast_response: bool) -> Vec<u8> {
    let mut q = Vec::new();
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    if id == 0 {
        // mDNS: no recursion desired.
        if let Some(b) = q.get_mut(2) {
            *b = 0;
        }
    }
    for l in labels {
        q.push(l.len() as u8);
        q.extend_from_slice(l.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    let class: u16 = if unicast_response { 0x8001 } else { 1 };
    q.extend_from_slice(&class.to_be_bytes());
    q
}

fn dhcp_discover() -> Vec<u8> {
    let mut p = vec![0u8; 240];
    if let Some(h) = p.get_mut(..4) {
        h.copy_from_slice(&[1, 1, 6, 0]);
    }
    if let Some(x) = p.get_mut(4..8) {
        x.copy_from_slice(&[0x4a, 0x43, 0x53, 0x54]);
    }
    if let Some(m) = p.get_mut(28..34) {
        m.copy_from_slice(&[0x02, 0x4a, 0x43, 0x53, 0x54, 0x01]);
    }
    if let Some(c) = p.get_mut(236..240) {
        c.copy_from_slice(&[99, 130, 83, 99]);
    }
    p.extend_from_slice(&[53, 1, 1, 255]);
    p
}

fn tftp_rrq() -> Vec<u8> {
    let mut p = vec![0, 1];
    p.extend_from_slice(b"jcstar-probe-nonexistent");
    p.push(0);
    p.extend_from_slice(b"octet");
    p.push(0);
    p
}

fn ntp_client() -> Vec<u8> {
    let mut p = vec![0u8; 48];
    if let Some(b) = p.first_mut() {
        *b = 0x23; // LI 0, version 4, mode 3
    }
    p
}

fn ntp_mode6() -> Vec<u8> {
    // version 2, mode 6, opcode 2 (read variables), sequence 1.
    vec![0x16, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]
}

fn nbstat() -> Vec<u8> {
    let mut p = vec![0x4a, 0x45, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x20];
    // "*" padded with NULs, first-level encoded.
    let mut name = [0u8; 16];
    name[0] = b'*';
    for b in name {
        p.push(b'A' + (b >> 4));
        p.push(b'A' + (b & 0x0f));
    }
    p.extend_from_slice(&[0, 0, 0x21, 0, 1]);
    p
}

/// SNMPv2c GetRequest for sysDescr.0.
pub fn snmp_get(community: &str, request_id: u8) -> Vec<u8> {
    snmp::encode_get_sys_descr(
        snmp::Version::V2c,
        community.as_bytes(),
        i64::from(request_id),
    )
}

/// The request id of an SNMP message, as the probes set it (one byte).
fn snmp_request_id(data: &[u8]) -> Option<u8> {
    let m = snmp::parse_message(data).ok()?;
    u8::try_from(m.request_id).ok()
}

fn snmp_error_status(data: &[u8]) -> Option<i64> {
    snmp::parse_message(data).ok().map(|m| m.error_status)
}

fn snmp_first_string(data: &[u8]) -> Option<String> {
    let m = snmp::parse_message(data).ok()?;
    m.first_octets().map(|v| escape_bounded(v, 300))
}

const IPMI: &[u8] = &[
    0x06, 0x00, 0xff, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x20, 0x18,
    0xc8, 0x81, 0x00, 0x38, 0x8e, 0x04, 0xb5,
];

const SSDP_MSEARCH: &str = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n";

const WSD_PROBE: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
    "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" ",
    "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" ",
    "xmlns:wsd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\">",
    "<soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>",
    "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>",
    "<wsa:MessageID>urn:uuid:6a0c5b7e-4a43-5354-4152-000000000001</wsa:MessageID></soap:Header>",
    "<soap:Body><wsd:Probe/></soap:Body></soap:Envelope>"
);

fn sip_options() -> Vec<u8> {
    concat!(
        "OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/UDP nm;branch=z9hG4bK-jcstar;rport\r\n",
        "Max-Forwards: 70\r\nTo: <sip:nm@nm>\r\nFrom: <sip:nm@nm>;tag=jcstar\r\n",
        "Call-ID: jcstar-probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    .as_bytes()
    .to_vec()
}

/// CoAP confirmable GET /.well-known/core, message id 0x4a43.
const COAP_WELL_KNOWN: &[u8] = &[
    0x40, 0x01, 0x4a, 0x43, 0xbb, b'.', b'w', b'e', b'l', b'l', b'-', b'k', b'n', b'o', b'w', b'n',
    0x04, b'c', b'o', b'r', b'e',
];

const BACNET_WHOIS: &[u8] = &[
    0x81, 0x0b, 0x00, 0x0c, 0x01, 0x20, 0xff, 0xff, 0x00, 0xff, 0x10, 0x08,
];

fn kasa_sysinfo() -> Vec<u8> {
    // The Kasa local protocol "encrypts" with an autokey XOR starting at 171.
    let mut key = 171u8;
    br#"{"system":{"get_sysinfo":{}}}"#
        .iter()
        .map(|b| {
            let c = b ^ key;
            key = c;
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snmp_request_round_trips_through_the_ber_walker() {
        let req = snmp_get("public", 0x11);
        // A request has the same layout as a response up to the PDU tag.
        assert_eq!(snmp_request_id(&req), Some(0x11));
        assert_eq!(snmp_error_status(&req), Some(0));
        assert!(snmp_request_id(&[0x30, 0x85, 1]).is_none());
        assert!(snmp_request_id(b"garbage").is_none());
    }
}
