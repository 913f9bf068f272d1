//! SNMP community check: a v1/v2c GetRequest for sysDescr.0.
//!
//! An agent silently drops a request with a wrong community, so silence
//! until the deadline counts as a failure (with [`Signal::Timeout`]), while an
//! ICMP port-unreachable is an error.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::text::excerpt;
use super::{Attempt, LoginAdapter, Signal};

/// 1.3.6.1.2.1.1.1.0 (sysDescr.0), BER-encoded.
const SYS_DESCR: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 1, 0];

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 128 {
        out.push(n as u8);
    } else if n < 256 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        let n = n.min(usize::from(u16::MAX));
        out.push(0x82);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    }
    out.extend_from_slice(content);
    out
}

fn int(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (a, b) = (
            bytes.get(start).copied().unwrap_or(0),
            bytes.get(start + 1).copied().unwrap_or(0),
        );
        if (a == 0 && b & 0x80 == 0) || (a == 0xff && b & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    tlv(0x02, bytes.get(start..).unwrap_or_default())
}

/// GetRequest for sysDescr.0; `version` 1 = v1, 2 = v2c.
pub fn get_request(version: u8, community: &str, request_id: i32) -> Vec<u8> {
    let varbind = tlv(0x30, &[tlv(0x06, SYS_DESCR), vec![0x05, 0x00]].concat());
    let varbinds = tlv(0x30, &varbind);
    let pdu = tlv(
        0xA0,
        &[int(i64::from(request_id)), int(0), int(0), varbinds].concat(),
    );
    let v = if version <= 1 { 0 } else { 1 };
    tlv(
        0x30,
        &[int(v), tlv(0x04, community.as_bytes()), pdu].concat(),
    )
}

/// Reads one TLV: (tag, content, rest).
fn read_tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *data.first()?;
    let first = *data.get(1)?;
    let (len, hdr) = if first & 0x80 == 0 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*data.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let content = data.get(hdr..hdr.checked_add(len)?)?;
    let rest = data.get(hdr + len..)?;
    Some((tag, content, rest))
}

fn read_int(content: &[u8]) -> Option<i64> {
    if content.is_empty() || content.len() > 8 {
        return None;
    }
    let mut v: i64 = if content.first()? & 0x80 != 0 { -1 } else { 0 };
    for b in content {
        v = (v << 8) | i64::from(*b);
    }
    Some(v)
}

/// A parsed GetResponse: request id, error status, first value as text.
#[derive(Debug, PartialEq, Eq)]
pub struct GetResponse {
    pub request_id: i64,
    pub error_status: i64,
    pub value: Option<String>,
}

pub fn parse_response(data: &[u8]) -> Option<GetResponse> {
    let (tag, msg, _) = read_tlv(data)?;
    if tag != 0x30 {
        return None;
    }
    let (_, _version, rest) = read_tlv(msg)?;
    let (_, _community, rest) = read_tlv(rest)?;
    let (pdu_tag, pdu, _) = read_tlv(rest)?;
    if pdu_tag != 0xA2 {
        return None;
    }
    let (_, rid, rest) = read_tlv(pdu)?;
    let (_, status, rest) = read_tlv(rest)?;
    let (_, _index, rest) = read_tlv(rest)?;
    let (_, varbinds, _) = read_tlv(rest)?;
    let value = read_tlv(varbinds)
        .and_then(|(_, vb, _)| read_tlv(vb))
        .and_then(|(_, _oid, rest)| read_tlv(rest))
        .and_then(|(t, v, _)| (t == 0x04).then(|| excerpt(v, 512)));
    Some(GetResponse {
        request_id: read_int(rid)?,
        error_status: read_int(status)?,
        value,
    })
}

pub struct SnmpAdapter {
    addr: SocketAddr,
    version: u8,
    timeout: Duration,
}

impl SnmpAdapter {
    pub fn new(addr: SocketAddr, version: u8, timeout: Duration) -> Self {
        SnmpAdapter {
            addr,
            version,
            timeout,
        }
    }

    /// sysDescr.0 with this community: `Ok(Some(text))` on an answer,
    /// `Ok(None)` on silence, `Err` on an ICMP error or a socket failure.
    pub async fn sys_descr(&self, community: &str) -> Result<Option<String>, String> {
        let bind: SocketAddr = if self.addr.is_ipv6() {
            "[::]:0".parse().map_err(|e| format!("{e}"))?
        } else {
            "0.0.0.0:0".parse().map_err(|e| format!("{e}"))?
        };
        let sock = UdpSocket::bind(bind).await.map_err(|e| e.to_string())?;
        sock.connect(self.addr).await.map_err(|e| e.to_string())?;
        let rid = i32::from_le_bytes(
            super::random_token(4)
                .as_bytes()
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .unwrap_or([1, 2, 3, 4]),
        ) & 0x3fff_ffff;
        let pkt = get_request(self.version, community, rid);
        let deadline = Instant::now() + self.timeout;
        // Two sends: UDP may drop one.
        for round in 0..2 {
            sock.send(&pkt).await.map_err(|e| e.to_string())?;
            let round_deadline = if round == 0 {
                Instant::now() + self.timeout / 2
            } else {
                deadline
            };
            let mut buf = vec![0u8; 65_536];
            loop {
                match tokio::time::timeout_at(round_deadline, sock.recv(&mut buf)).await {
                    Err(_) => break,
                    Ok(Err(e)) => return Err(e.to_string()),
                    Ok(Ok(n)) => {
                        if let Some(r) = parse_response(buf.get(..n).unwrap_or_default())
                            && r.request_id == i64::from(rid)
                        {
                            return Ok(Some(r.value.unwrap_or_default()));
                        }
                    }
                }
            }
        }
        Ok(None)
    }
}

impl LoginAdapter for SnmpAdapter {
    async fn try_login(&self, _user: &str, pass: &str) -> Attempt {
        match self.sys_descr(pass).await {
            Ok(Some(descr)) => Attempt::Success {
                signal: Signal::Message {
                    text: format!("sysDescr: {descr}"),
                },
            },
            Ok(None) => Attempt::Failure {
                signal: Signal::Timeout,
            },
            Err(e) => Attempt::Error {
                reason: format!("SNMP: {e}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips_through_parser_shape() {
        let req = get_request(2, "public", 0x1234);
        let (tag, msg, rest) = read_tlv(&req).expect("tlv");
        assert_eq!(tag, 0x30);
        assert!(rest.is_empty());
        let (_, v, _) = read_tlv(msg).expect("version");
        assert_eq!(read_int(v), Some(1));
        // A response is the same with tag 0xA2 and a value.
        let varbind = tlv(
            0x30,
            &[tlv(0x06, SYS_DESCR), tlv(0x04, b"Linux cam 1.2")].concat(),
        );
        let pdu = tlv(
            0xA2,
            &[int(0x1234), int(0), int(0), tlv(0x30, &varbind)].concat(),
        );
        let resp = tlv(0x30, &[int(1), tlv(0x04, b"public"), pdu].concat());
        assert_eq!(
            parse_response(&resp),
            Some(GetResponse {
                request_id: 0x1234,
                error_status: 0,
                value: Some("Linux cam 1.2".into())
            })
        );
        assert_eq!(int(-1), vec![2, 1, 0xff]);
        assert_eq!(int(128), vec![2, 2, 0, 128]);
    }

    #[test]
    fn garbage_is_rejected() {
        assert_eq!(parse_response(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(parse_response(&[]), None);
        assert_eq!(parse_response(&[0x30, 0x03, 0x02, 0x01]), None);
    }
}
