//! MQTT CONNECT with username and password (3.1.1 and 5), read from CONNACK.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use jcstar_wire::mqtt;

use super::{Attempt, LoginAdapter, Signal, conn};

/// A CONNECT packet; `level` 4 = MQTT 3.1.1, 5 = MQTT 5.
pub fn connect_packet(
    level: u8,
    client_id: &str,
    user: Option<&str>,
    pass: Option<&str>,
) -> Vec<u8> {
    mqtt::encode_connect(&mqtt::Connect::new(level, client_id, user, pass))
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

/// Guesses with MQTT CONNECT, reading the CONNACK return or reason code.
pub struct MqttAdapter {
    addr: SocketAddr,
    level: u8,
    timeout: Duration,
    tls: bool,
}

impl MqttAdapter {
    /// An adapter for the broker at `addr`; `level` 5 speaks MQTT 5, anything lower 3.1.1.
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
            let raw = read_packet(&mut s).await.map_err(|_| closed())?;
            let code = match mqtt::parse_connack(&raw) {
                Ok(c) => c.code,
                Err(mqtt::MqttError::UnexpectedType { got, .. }) => {
                    return Err(Attempt::Error {
                        reason: format!("expected CONNACK, got packet type 0x{got:02x}"),
                    });
                }
                Err(e) => {
                    return Err(Attempt::Error {
                        reason: format!("CONNACK: {e}"),
                    });
                }
            };
            let _ = s.write_all(&[mqtt::DISCONNECT, 0x00]).await;
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
            let raw = read_packet(&mut s).await?;
            match mqtt::parse_connack(&raw) {
                Ok(c) if c.code == 0 => {}
                Ok(c) => return Err(format!("CONNECT refused (code {})", c.code)),
                Err(e) => return Err(format!("CONNECT refused ({e})")),
            }
            s.write_all(&mqtt::encode_subscribe(self.level, 1, topic))
                .await
                .map_err(|e| e.to_string())?;
            for _ in 0..32 {
                let raw = read_packet(&mut s).await?;
                let Ok(p) = mqtt::parse_packet(&raw) else {
                    continue;
                };
                if p.first & 0xF0 != mqtt::PUBLISH {
                    continue;
                }
                let (_, payload) =
                    mqtt::parse_publish(self.level, p.first, p.body).map_err(|e| e.to_string())?;
                let payload = payload.to_vec();
                let _ = s.write_all(&[mqtt::DISCONNECT, 0x00]).await;
                return Ok(payload);
            }
            Err("no message on the topic".into())
        };
        tokio::time::timeout(self.timeout, fut)
            .await
            .unwrap_or_else(|_| Err("no message on the topic before the deadline".into()))
    }
}

/// Reads one whole control packet (fixed header included), bounded to
/// [`mqtt::MAX_PACKET`].
async fn read_packet(s: &mut conn::Stream) -> Result<Vec<u8>, String> {
    let closed = |_| "connection closed".to_string();
    let mut raw = vec![s.read_u8().await.map_err(closed)?];
    let len = loop {
        raw.push(s.read_u8().await.map_err(closed)?);
        match mqtt::decode_varint(raw.get(1..).unwrap_or_default()) {
            Ok((len, _)) => break len,
            Err(mqtt::MqttError::Incomplete) => {}
            Err(e) => return Err(e.to_string()),
        }
    };
    if len > mqtt::MAX_PACKET {
        return Err(format!("packet of {len} bytes refused"));
    }
    let start = raw.len();
    raw.resize(start + len, 0);
    s.read_exact(raw.get_mut(start..).unwrap_or_default())
        .await
        .map_err(closed)?;
    Ok(raw)
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
    }
}
