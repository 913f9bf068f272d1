//! MQTT CONNECT with username and password (3.1.1 and 5), read from CONNACK.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use super::{Attempt, LoginAdapter, Signal, conn};

fn push_varint(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            break;
        }
    }
}

fn push_str(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len().min(usize::from(u16::MAX));
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(s.get(..len).unwrap_or_default());
}

/// A CONNECT packet; `level` 4 = MQTT 3.1.1, 5 = MQTT 5.
pub fn connect_packet(
    level: u8,
    client_id: &str,
    user: Option<&str>,
    pass: Option<&str>,
) -> Vec<u8> {
    let mut body = Vec::new();
    push_str(&mut body, b"MQTT");
    body.push(level);
    let mut flags = 0x02; // clean session / clean start
    if user.is_some() {
        flags |= 0x80;
    }
    if pass.is_some() {
        flags |= 0x40;
    }
    body.push(flags);
    body.extend_from_slice(&30u16.to_be_bytes());
    if level >= 5 {
        body.push(0); // no properties
    }
    push_str(&mut body, client_id.as_bytes());
    if let Some(u) = user {
        push_str(&mut body, u.as_bytes());
    }
    if let Some(p) = pass {
        push_str(&mut body, p.as_bytes());
    }
    let mut pkt = vec![0x10];
    push_varint(&mut pkt, body.len());
    pkt.extend_from_slice(&body);
    pkt
}

/// What a CONNACK reason/return code means for a login guess.
pub fn classify_connack(level: u8, code: u8) -> Attempt {
    let signal = |meaning: &str| Signal::Code {
        code: u32::from(code),
        meaning: meaning.to_string(),
    };
    if level >= 5 {
        match code {
            0x00 => Attempt::Success {
                signal: signal("Success"),
            },
            0x86 => Attempt::Failure {
                signal: signal("Bad User Name or Password"),
            },
            0x87 => Attempt::Failure {
                signal: signal("Not authorized"),
            },
            0x8A => Attempt::LockedOut {
                signal: signal("Banned"),
            },
            0x89 => Attempt::RateLimited {
                signal: signal("Server busy"),
                delay_ms: None,
            },
            0x97 => Attempt::RateLimited {
                signal: signal("Quota exceeded"),
                delay_ms: None,
            },
            0x9F => Attempt::RateLimited {
                signal: signal("Connection rate exceeded"),
                delay_ms: None,
            },
            c => Attempt::Error {
                reason: format!("CONNACK reason code 0x{c:02x}"),
            },
        }
    } else {
        match code {
            0 => Attempt::Success {
                signal: signal("Connection Accepted"),
            },
            4 => Attempt::Failure {
                signal: signal("bad user name or password"),
            },
            5 => Attempt::Failure {
                signal: signal("not authorized"),
            },
            3 => Attempt::RateLimited {
                signal: signal("Server unavailable"),
                delay_ms: None,
            },
            c => Attempt::Error {
                reason: format!("CONNACK return code {c}"),
            },
        }
    }
}

pub struct MqttAdapter {
    addr: SocketAddr,
    level: u8,
    timeout: Duration,
    tls: bool,
}

impl MqttAdapter {
    pub fn new(addr: SocketAddr, level: u8, timeout: Duration) -> Self {
        let level = if level >= 5 { 5 } else { 4 };
        MqttAdapter {
            addr,
            level,
            timeout,
            tls: false,
        }
    }

    /// MQTT inside TLS (usually port 8883); any certificate is accepted.
    pub fn with_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// CONNECT with the given credentials (or none) and the CONNACK code.
    pub async fn connack(&self, user: Option<&str>, pass: Option<&str>) -> Result<u8, Attempt> {
        let deadline = Instant::now() + self.timeout;
        let fut = async {
            let mut s =
                conn::connect(self.addr, self.tls, "")
                    .await
                    .map_err(|e| Attempt::Error {
                        reason: format!("connect: {e}"),
                    })?;
            let id = format!("jcstar-{}", super::random_token(8));
            s.write_all(&connect_packet(self.level, &id, user, pass))
                .await
                .map_err(|_| closed())?;
            let mut head = [0u8; 2];
            s.read_exact(&mut head).await.map_err(|_| closed())?;
            let [kind, first_len] = head;
            if kind != 0x20 {
                return Err(Attempt::Error {
                    reason: format!("expected CONNACK, got packet type 0x{kind:02x}"),
                });
            }
            // Remaining length: varint; CONNACK is small, bound it anyway.
            let mut len = usize::from(first_len & 0x7f);
            let mut shift = 7;
            let mut more = first_len & 0x80 != 0;
            while more {
                let b = s.read_u8().await.map_err(|_| closed())?;
                len |= usize::from(b & 0x7f) << shift;
                shift += 7;
                more = b & 0x80 != 0;
                if shift > 21 {
                    return Err(Attempt::Error {
                        reason: "malformed CONNACK length".into(),
                    });
                }
            }
            if !(2..=1024).contains(&len) {
                return Err(Attempt::Error {
                    reason: format!("CONNACK of implausible length {len}"),
                });
            }
            let mut body = vec![0u8; len];
            s.read_exact(&mut body).await.map_err(|_| closed())?;
            let code = body.get(1).copied().unwrap_or(0xff);
            let _ = s.write_all(&[0xE0, 0x00]).await;
            Ok(code)
        };
        match tokio::time::timeout_at(deadline, fut).await {
            Ok(r) => r,
            Err(_) => Err(Attempt::Error {
                reason: "no CONNACK before the deadline".into(),
            }),
        }
    }
}

impl MqttAdapter {
    /// Connects (with credentials if given), subscribes to `topic` and
    /// returns the payload of the first message on it (bounded to 64 KiB).
    pub async fn first_message(
        &self,
        topic: &str,
        user: Option<&str>,
        pass: Option<&str>,
    ) -> Result<Vec<u8>, String> {
        let fut = async {
            let mut s = conn::connect(self.addr, self.tls, "")
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let id = format!("jcstar-{}", super::random_token(8));
            s.write_all(&connect_packet(self.level, &id, user, pass))
                .await
                .map_err(|e| e.to_string())?;
            let (kind, body) = read_packet(&mut s).await?;
            if kind != 0x20 || body.get(1).copied() != Some(0) {
                return Err(format!(
                    "CONNECT refused (packet 0x{kind:02x}, code {:?})",
                    body.get(1)
                ));
            }
            let mut sub = Vec::new();
            sub.extend_from_slice(&1u16.to_be_bytes());
            if self.level >= 5 {
                sub.push(0);
            }
            push_str(&mut sub, topic.as_bytes());
            sub.push(0);
            let mut pkt = vec![0x82];
            push_varint(&mut pkt, sub.len());
            pkt.extend_from_slice(&sub);
            s.write_all(&pkt).await.map_err(|e| e.to_string())?;
            for _ in 0..32 {
                let (kind, body) = read_packet(&mut s).await?;
                if kind & 0xF0 != 0x30 {
                    continue;
                }
                let tlen = usize::from(u16::from_be_bytes([
                    body.first().copied().unwrap_or(0),
                    body.get(1).copied().unwrap_or(0),
                ]));
                let mut pos = 2 + tlen;
                if (kind >> 1) & 0x03 > 0 {
                    pos += 2; // packet identifier for QoS 1/2
                }
                if self.level >= 5 {
                    let (plen, used) = varint_at(&body, pos).ok_or("malformed properties")?;
                    pos += used + plen;
                }
                let _ = s.write_all(&[0xE0, 0x00]).await;
                return Ok(body.get(pos..).unwrap_or_default().to_vec());
            }
            Err("no message on the topic".into())
        };
        tokio::time::timeout(self.timeout, fut)
            .await
            .unwrap_or_else(|_| Err("no message on the topic before the deadline".into()))
    }
}

fn varint_at(data: &[u8], mut pos: usize) -> Option<(usize, usize)> {
    let mut len = 0usize;
    let mut shift = 0;
    let start = pos;
    loop {
        let b = *data.get(pos)?;
        pos += 1;
        len |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some((len, pos - start));
        }
        shift += 7;
        if shift > 21 {
            return None;
        }
    }
}

async fn read_packet(s: &mut conn::Stream) -> Result<(u8, Vec<u8>), String> {
    let kind = s
        .read_u8()
        .await
        .map_err(|_| "connection closed".to_string())?;
    let mut head = Vec::new();
    for _ in 0..4 {
        let b = s
            .read_u8()
            .await
            .map_err(|_| "connection closed".to_string())?;
        head.push(b);
        if b & 0x80 == 0 {
            break;
        }
    }
    let (len, _) = varint_at(&head, 0).ok_or("malformed packet length")?;
    if len > 64 * 1024 {
        return Err(format!("packet of {len} bytes refused"));
    }
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)
        .await
        .map_err(|_| "connection closed".to_string())?;
    Ok((kind, body))
}

fn closed() -> Attempt {
    Attempt::Error {
        reason: "connection closed before CONNACK".into(),
    }
}

impl LoginAdapter for MqttAdapter {
    async fn try_login(&self, user: &str, pass: &str) -> Attempt {
        match self.connack(Some(user), Some(pass)).await {
            Ok(code) => classify_connack(self.level, code),
            Err(a) => a,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_packet_layout() {
        let p = connect_packet(4, "c", Some("u"), Some("p"));
        assert_eq!(
            p,
            vec![
                0x10, 19, 0, 4, b'M', b'Q', b'T', b'T', 4, 0xC2, 0, 30, 0, 1, b'c', 0, 1, b'u', 0,
                1, b'p'
            ]
        );
        let mut long = Vec::new();
        push_varint(&mut long, 321);
        assert_eq!(long, vec![0xC1, 0x02]);
    }
}
