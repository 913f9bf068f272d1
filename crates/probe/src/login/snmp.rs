//! SNMP community check: a v1/v2c GetRequest for sysDescr.0.
//!
//! An agent silently drops a request with a wrong community, so silence
//! until the deadline counts as a failure (with [`Signal::Timeout`]), while an
//! ICMP port-unreachable is an error.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;

use jcstar_wire::snmp;

use super::text::excerpt;
use super::{Attempt, LoginAdapter, Signal};

/// GetRequest for sysDescr.0; `version` 1 = v1, 2 = v2c.
pub fn get_request(version: u8, community: &str, request_id: i32) -> Vec<u8> {
    let v = if version <= 1 {
        snmp::Version::V1
    } else {
        snmp::Version::V2c
    };
    snmp::encode_get_sys_descr(v, community.as_bytes(), i64::from(request_id))
}

/// A parsed GetResponse: request id, error status, first value as text.
#[derive(Debug, PartialEq, Eq)]
pub struct GetResponse {
    /// Matches the response to its request.
    pub request_id: i64,
    /// 0 when the agent reports no error.
    pub error_status: i64,
    /// The first value, as bounded text (sysDescr.0).
    pub value: Option<String>,
}

/// Reads a GetResponse; `None` for anything else.
pub fn parse_response(data: &[u8]) -> Option<GetResponse> {
    let m = snmp::parse_message(data).ok()?;
    if m.pdu != snmp::GET_RESPONSE {
        return None;
    }
    Some(GetResponse {
        request_id: m.request_id,
        error_status: m.error_status,
        value: m.first_octets().map(|v| excerpt(v, 512)),
    })
}

/// Tries a community string with a GetRequest for sysDescr.0; an answer means it is accepted.
pub struct SnmpAdapter {
    addr: SocketAddr,
    version: u8,
    timeout: Duration,
}

impl SnmpAdapter {
    /// An adapter for the agent at `addr`; `version` 1 is SNMPv1, else v2c; replies awaited up to `timeout`.
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
    fn response_to_our_request() {
        let resp = snmp::encode_message(
            snmp::Version::V2c,
            b"public",
            snmp::GET_RESPONSE,
            0x1234,
            &[(snmp::SYS_DESCR, snmp::Value::Octets(b"Linux cam 1.2"))],
        );
        assert_eq!(
            parse_response(&resp),
            Some(GetResponse {
                request_id: 0x1234,
                error_status: 0,
                value: Some("Linux cam 1.2".into())
            })
        );
        // Our own request is not a response.
        assert_eq!(parse_response(&get_request(2, "public", 0x1234)), None);
    }

    #[test]
    fn garbage_is_rejected() {
        assert_eq!(parse_response(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(parse_response(&[]), None);
        assert_eq!(parse_response(&[0x30, 0x03, 0x02, 0x01]), None);
    }
}
