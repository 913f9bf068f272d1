//! Which address the probe may touch, and which ports it scans.
//!
//! A target is exactly one unicast address: ranges, broadcast, multicast and
//! unspecified addresses are refused before any packet is sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use jcstar_criteria::Lang;

use crate::ProbeError;

/// Parses a literal address or checks the string as a host name; refuses
/// anything that is not a single unicast host. Host names are resolved by
/// [`resolve`], once.
pub fn check_literal(input: &str) -> Result<Option<IpAddr>, ProbeError> {
    let refuse = |reason: Refusal| ProbeError::Target {
        input: input.to_string(),
        reason,
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(refuse(Refusal::Empty));
    }
    if s.contains('/') {
        return Err(refuse(Refusal::Network));
    }
    if s.contains('*')
        || s.contains(',')
        || (s.contains('-') && s.parse::<IpAddr>().is_err() && looks_like_ipv4_range(s))
    {
        return Err(refuse(Refusal::List));
    }
    let literal = s.trim_start_matches('[').trim_end_matches(']');
    let literal = literal.split('%').next().unwrap_or(literal);
    match literal.parse::<IpAddr>() {
        Ok(ip) => {
            check_address(ip).map_err(refuse)?;
            Ok(Some(ip))
        }
        Err(_) => {
            let valid = s.len() <= 253
                && s.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                });
            if valid {
                Ok(None)
            } else {
                Err(refuse(Refusal::NotAHost))
            }
        }
    }
}

fn looks_like_ipv4_range(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
}

/// Why a target is refused. The English text is the `Display`; the
/// Japanese comes from [`Refusal::text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing was given.
    Empty,
    /// A network range in CIDR notation.
    Network,
    /// A list or a range of addresses.
    List,
    /// Neither an address nor a valid host name.
    NotAHost,
    /// `0.0.0.0` or `::`.
    Unspecified(IpAddr),
    /// The IPv4 limited broadcast address.
    Broadcast,
    /// A multicast group.
    Multicast,
    /// The host name did not resolve; the resolver's words.
    Unresolvable(String),
    /// The host name resolved to nothing.
    NoAddress,
    /// The host name resolved to an address that is itself refused.
    ResolvesTo(IpAddr, Box<Refusal>),
    /// The name resolved to one address before the scan and another during it.
    Moved {
        /// The address used before the scan.
        before: IpAddr,
        /// The address the scan resolved to.
        during: IpAddr,
    },
}

impl Refusal {
    /// The reason in the user's language.
    pub fn text(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Refusal::Empty => "対象が空です。IP アドレスかホスト名を一つ指定してください".into(),
            Refusal::Network => "ネットワーク範囲は指定できません（試験するのは一台の機器です）。その機器のアドレスを一つ指定してください".into(),
            Refusal::List => "アドレスの列挙や範囲は指定できません。IP アドレスかホスト名を一つ指定してください".into(),
            Refusal::NotAHost => "IP アドレスでも正しいホスト名でもありません".into(),
            Refusal::Unspecified(ip) => format!("{ip} は未指定アドレスで、機器のアドレスではありません"),
            Refusal::Broadcast => "ブロードキャストアドレスは指定できません（試験するのは一台の機器です）".into(),
            Refusal::Multicast => "マルチキャストアドレスは指定できません（試験するのは一台の機器です）".into(),
            Refusal::Unresolvable(e) => format!("ホスト名を解決できません: {e}"),
            Refusal::NoAddress => "ホスト名を解決してもアドレスが得られません".into(),
            Refusal::ResolvesTo(ip, why) => format!("{ip} に解決されます: {}", why.text(lang)),
            Refusal::Moved { before, during } => format!(
                "走査前は {before}、走査中は {during} に解決されました。アドレスで指定してください"
            ),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Empty => f.write_str("empty target; give one IP address or host name"),
            Refusal::Network => f.write_str(
                "network ranges are refused: the probe tests one device; give its single address",
            ),
            Refusal::List => f.write_str(
                "address lists and ranges are refused: give one IP address or host name",
            ),
            Refusal::NotAHost => f.write_str("not an IP address or a valid host name"),
            Refusal::Unspecified(ip) => {
                write!(f, "{ip} is the unspecified address, not a device")
            }
            Refusal::Broadcast => {
                f.write_str("broadcast addresses are refused: the probe tests one device")
            }
            Refusal::Multicast => {
                f.write_str("multicast addresses are refused: the probe tests one device")
            }
            Refusal::Unresolvable(e) => write!(f, "cannot resolve host name: {e}"),
            Refusal::NoAddress => f.write_str("host name resolved to no address"),
            Refusal::ResolvesTo(ip, why) => write!(f, "resolves to {ip}: {why}"),
            Refusal::Moved { before, during } => write!(
                f,
                "resolved to {during} during the scan but to {before} before it; give the address"
            ),
        }
    }
}

/// Why an address is not a single unicast host, if it is not.
pub fn check_address(ip: IpAddr) -> Result<(), Refusal> {
    match ip {
        IpAddr::V4(v4) => {
            if v4.is_unspecified() {
                Err(Refusal::Unspecified(ip))
            } else if v4 == Ipv4Addr::BROADCAST {
                Err(Refusal::Broadcast)
            } else if v4.is_multicast() {
                Err(Refusal::Multicast)
            } else {
                Ok(())
            }
        }
        IpAddr::V6(v6) => {
            if v6.is_unspecified() {
                Err(Refusal::Unspecified(ip))
            } else if v6.is_multicast() {
                Err(Refusal::Multicast)
            } else if let Some(v4) = v6.to_ipv4_mapped() {
                check_address(IpAddr::V4(v4))
            } else {
                Ok(())
            }
        }
    }
}

/// Resolves the target once to a single address (IPv4 preferred when a name
/// has both), re-checking the result.
pub async fn resolve(input: &str) -> Result<IpAddr, ProbeError> {
    if let Some(ip) = check_literal(input)? {
        return Ok(ip);
    }
    let host = input.trim();
    let addrs: Vec<IpAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| ProbeError::Target {
            input: input.to_string(),
            reason: Refusal::Unresolvable(e.to_string()),
        })?
        .map(|a| a.ip())
        .collect();
    choose(input, &addrs)
}

/// [`resolve`] for callers outside an async runtime (the command line
/// resolves before it starts one); the same checks, the same choice.
pub fn resolve_blocking(input: &str) -> Result<IpAddr, ProbeError> {
    use std::net::ToSocketAddrs;
    if let Some(ip) = check_literal(input)? {
        return Ok(ip);
    }
    let host = input.trim();
    let addrs: Vec<IpAddr> = (host, 0)
        .to_socket_addrs()
        .map_err(|e| ProbeError::Target {
            input: input.to_string(),
            reason: Refusal::Unresolvable(e.to_string()),
        })?
        .map(|a| a.ip())
        .collect();
    choose(input, &addrs)
}

fn choose(input: &str, addrs: &[IpAddr]) -> Result<IpAddr, ProbeError> {
    let ip = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| ProbeError::Target {
            input: input.to_string(),
            reason: Refusal::NoAddress,
        })?;
    check_address(ip).map_err(|reason| ProbeError::Target {
        input: input.to_string(),
        reason: Refusal::ResolvesTo(ip, Box::new(reason)),
    })?;
    Ok(ip)
}

/// Whether the address is loopback (so the default rate cap does not apply).
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6 == Ipv6Addr::LOCALHOST,
    }
}

/// TCP ports commonly open on IoT devices and small servers: nmap's most
/// frequent TCP ports plus IoT protocols (MQTT, CoAP-over-TCP, RTSP,
/// ONVIF, Modbus, BACnet, Tuya, Hikvision/Dahua SDK ports, ADB, ...).
pub const TOP_TCP: &[u16] = &[
    7, 9, 13, 21, 22, 23, 25, 26, 37, 53, 79, 80, 81, 82, 83, 84, 85, 88, 102, 106, 110, 111, 113,
    119, 135, 139, 143, 144, 179, 199, 389, 427, 443, 444, 445, 465, 502, 503, 513, 514, 515, 543,
    544, 548, 554, 587, 631, 646, 873, 990, 993, 995, 1025, 1026, 1027, 1028, 1029, 1080, 1110,
    1433, 1720, 1723, 1755, 1883, 1900, 1911, 2000, 2001, 2049, 2121, 2323, 2375, 2376, 2404, 2717,
    3000, 3128, 3306, 3389, 3986, 4444, 4567, 4899, 5000, 5001, 5009, 5051, 5060, 5061, 5101, 5190,
    5357, 5432, 5555, 5631, 5666, 5683, 5800, 5900, 6000, 6001, 6379, 6646, 6668, 7000, 7001, 7070,
    7547, 8000, 8001, 8008, 8009, 8080, 8081, 8083, 8088, 8089, 8443, 8554, 8800, 8883, 8888, 8899,
    9000, 9001, 9080, 9090, 9100, 9443, 9527, 9999, 10000, 10001, 20000, 32768, 34567, 37777,
    44818, 47808, 49152, 49153, 49154, 49155, 49156, 49157, 50000, 55443,
];

/// UDP ports IoT devices really expose (see [`crate::udp::probes_for`] for what is sent).
pub const IOT_UDP: &[u16] = &[
    53, 67, 68, 69, 123, 137, 161, 623, 1900, 3702, 5060, 5353, 5355, 5683, 5684, 9999, 10001,
    47808,
];

/// `--udp top`: the IoT list plus other UDP services often left enabled.
pub const TOP_UDP: &[u16] = &[
    53, 67, 68, 69, 111, 123, 137, 138, 161, 162, 500, 514, 520, 623, 1194, 1434, 1701, 1900, 3478,
    3702, 4500, 5060, 5353, 5355, 5683, 5684, 6666, 6667, 9999, 10001, 11211, 47808,
];

/// Parses `all`, `top`, `none` or a list like `22,80,8000-8100`.
pub fn parse_ports(spec: &str, top: &[u16], what: &str) -> Result<Vec<u16>, ProbeError> {
    let bad = |reason: String| ProbeError::Ports {
        spec: spec.to_string(),
        reason: format!(
            "{what}: {reason}; accepted: all, top, none, or a list like 22,80,8000-8100"
        ),
    };
    let s = spec.trim();
    match s {
        "all" => return Ok((1..=u16::MAX).collect()),
        "top" => {
            let mut v = top.to_vec();
            v.sort_unstable();
            v.dedup();
            return Ok(v);
        }
        "none" | "" => return Ok(Vec::new()),
        _ => {}
    }
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        let num = |x: &str| -> Result<u16, ProbeError> {
            match x.trim().parse::<u16>() {
                Ok(0) => Err(bad("port 0 is not scannable".into())),
                Ok(p) => Ok(p),
                Err(_) => Err(bad(format!("`{x}` is not a port number 1-65535"))),
            }
        };
        if let Some((a, b)) = part.split_once('-') {
            let (a, b) = (num(a)?, num(b)?);
            if a > b {
                return Err(bad(format!("range `{part}` is reversed")));
            }
            out.extend(a..=b);
        } else {
            out.push(num(part)?);
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_ranges_broadcast_multicast() {
        for bad in [
            "10.0.0.0/8",
            "192.168.1.0/24",
            "255.255.255.255",
            "224.0.0.1",
            "0.0.0.0",
            "::",
            "ff02::1",
            "10.0.0.1-20",
            "",
        ] {
            assert!(check_literal(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            check_literal("127.0.0.1").unwrap(),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            check_literal("[::1]").unwrap(),
            Some("::1".parse().unwrap())
        );
        assert_eq!(check_literal("camera.local").unwrap(), None);
    }

    #[test]
    fn port_lists() {
        assert_eq!(parse_ports("all", TOP_TCP, "tcp").unwrap().len(), 65535);
        assert_eq!(
            parse_ports("22,80,8000-8002,22", TOP_TCP, "tcp").unwrap(),
            vec![22, 80, 8000, 8001, 8002]
        );
        assert!(parse_ports("0", TOP_TCP, "tcp").is_err());
        assert!(parse_ports("70000", TOP_TCP, "tcp").is_err());
        assert!(parse_ports("90-80", TOP_TCP, "tcp").is_err());
        assert!(parse_ports("none", TOP_TCP, "tcp").unwrap().is_empty());
    }
}
