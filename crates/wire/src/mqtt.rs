//! MQTT 3.1.1 and 5 control packets: CONNECT, CONNACK, SUBSCRIBE, PUBLISH.

/// Packet type nibbles (the high four bits of the first byte).
pub const CONNECT: u8 = 0x10;
/// CONNACK: the broker's answer to CONNECT.
pub const CONNACK: u8 = 0x20;
/// PUBLISH: a message on a topic.
pub const PUBLISH: u8 = 0x30;
/// SUBSCRIBE, with the flag bits the protocol requires (0b0010).
pub const SUBSCRIBE: u8 = 0x82;
/// PINGREQ: a keep-alive from the client.
pub const PINGREQ: u8 = 0xC0;
/// PINGRESP: the broker's answer to PINGREQ.
pub const PINGRESP: u8 = 0xD0;
/// DISCONNECT: the client is leaving.
pub const DISCONNECT: u8 = 0xE0;

/// Largest remaining length accepted from a peer.
pub const MAX_PACKET: usize = 64 * 1024;

/// Why bytes are not (yet) the packet expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MqttError {
    /// The packet has not arrived in full: read more.
    #[error("the packet has not arrived in full")]
    Incomplete,
    /// The remaining-length varint is longer than four bytes.
    #[error("malformed remaining length")]
    BadLength,
    /// Larger than [`MAX_PACKET`].
    #[error("packet of {0} bytes refused")]
    TooLarge(usize),
    /// Another packet type than the one expected.
    #[error("expected packet type 0x{expected:02x}, got 0x{got:02x}")]
    UnexpectedType {
        /// The packet type the caller asked for.
        expected: u8,
        /// The first byte that arrived instead.
        got: u8,
    },
    /// The fields do not fit the packet.
    #[error("malformed {0}")]
    Malformed(&'static str),
}

/// Appends a remaining-length varint.
pub fn encode_varint(out: &mut Vec<u8>, mut n: usize) {
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

/// Decodes a varint at the start of `b`: (value, bytes used).
pub fn decode_varint(b: &[u8]) -> Result<(usize, usize), MqttError> {
    let mut value = 0usize;
    for i in 0..4 {
        let Some(&byte) = b.get(i) else {
            return Err(MqttError::Incomplete);
        };
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(MqttError::BadLength)
}

/// A length-prefixed string (bounded to 65535 bytes).
pub fn encode_str(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len().min(usize::from(u16::MAX));
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(s.get(..len).unwrap_or_default());
}

fn read_str<'a>(b: &'a [u8], pos: &mut usize, what: &'static str) -> Result<&'a [u8], MqttError> {
    let len = b
        .get(*pos..*pos + 2)
        .map(|l| {
            usize::from(u16::from_be_bytes([
                l.first().copied().unwrap_or(0),
                l.get(1).copied().unwrap_or(0),
            ]))
        })
        .ok_or(MqttError::Malformed(what))?;
    let s = b
        .get(*pos + 2..*pos + 2 + len)
        .ok_or(MqttError::Malformed(what))?;
    *pos += 2 + len;
    Ok(s)
}

/// A whole control packet at the start of `b`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The first byte (type and flags).
    pub first: u8,
    /// The variable header and payload, after the remaining length.
    pub body: &'a [u8],
    /// Bytes the packet took.
    pub len: usize,
}

/// Splits off the first packet of `b`.
pub fn parse_packet(b: &[u8]) -> Result<Packet<'_>, MqttError> {
    let first = *b.first().ok_or(MqttError::Incomplete)?;
    let (len, used) = decode_varint(b.get(1..).unwrap_or_default())?;
    if len > MAX_PACKET {
        return Err(MqttError::TooLarge(len));
    }
    let start = 1 + used;
    let body = b.get(start..start + len).ok_or(MqttError::Incomplete)?;
    Ok(Packet {
        first,
        body,
        len: start + len,
    })
}

/// What a CONNECT carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// Protocol level: 3 (3.1), 4 (3.1.1) or 5.
    pub level: u8,
    /// Client identifier; may be empty.
    pub client_id: String,
    /// Keep-alive interval in seconds.
    pub keep_alive: u16,
    /// User name, when the client sent one.
    pub user: Option<String>,
    /// Password bytes, when the client sent one.
    pub password: Option<Vec<u8>>,
}

impl Connect {
    /// Clean session, keep-alive 30 s, no will.
    pub fn new(level: u8, client_id: &str, user: Option<&str>, password: Option<&str>) -> Self {
        Connect {
            level,
            client_id: client_id.to_string(),
            keep_alive: 30,
            user: user.map(str::to_string),
            password: password.map(|p| p.as_bytes().to_vec()),
        }
    }
}

/// A CONNECT packet (protocol name `MQTT`, clean session, no properties).
pub fn encode_connect(c: &Connect) -> Vec<u8> {
    let mut body = Vec::new();
    encode_str(&mut body, b"MQTT");
    body.push(c.level);
    let mut flags = 0x02;
    if c.user.is_some() {
        flags |= 0x80;
    }
    if c.password.is_some() {
        flags |= 0x40;
    }
    body.push(flags);
    body.extend_from_slice(&c.keep_alive.to_be_bytes());
    if c.level >= 5 {
        body.push(0); // no properties
    }
    encode_str(&mut body, c.client_id.as_bytes());
    if let Some(u) = &c.user {
        encode_str(&mut body, u.as_bytes());
    }
    if let Some(p) = &c.password {
        encode_str(&mut body, p);
    }
    let mut pkt = vec![CONNECT];
    encode_varint(&mut pkt, body.len());
    pkt.extend_from_slice(&body);
    pkt
}

/// Parses the body of a CONNECT (after the fixed header); the testbed's
/// broker side. Accepts `MQTT` and the 3.1 name `MQIsdp`.
pub fn parse_connect(body: &[u8]) -> Result<Connect, MqttError> {
    let mut pos = 0;
    let name = read_str(body, &mut pos, "protocol name")?;
    if name != b"MQTT" && name != b"MQIsdp" {
        return Err(MqttError::Malformed("protocol name"));
    }
    let head = body
        .get(pos..pos + 4)
        .ok_or(MqttError::Malformed("connect flags"))?;
    let [level, flags, k1, k2] =
        <[u8; 4]>::try_from(head).map_err(|_| MqttError::Malformed("connect flags"))?;
    pos += 4;
    if level >= 5 {
        let (len, used) = decode_varint(body.get(pos..).unwrap_or_default())
            .map_err(|_| MqttError::Malformed("properties"))?;
        pos = pos
            .checked_add(used + len)
            .filter(|p| *p <= body.len())
            .ok_or(MqttError::Malformed("properties"))?;
    }
    let client_id = String::from_utf8_lossy(read_str(body, &mut pos, "client id")?).into_owned();
    if flags & 0x04 != 0 {
        if level >= 5 {
            let (len, used) = decode_varint(body.get(pos..).unwrap_or_default())
                .map_err(|_| MqttError::Malformed("will properties"))?;
            pos = pos
                .checked_add(used + len)
                .filter(|p| *p <= body.len())
                .ok_or(MqttError::Malformed("will properties"))?;
        }
        read_str(body, &mut pos, "will topic")?;
        read_str(body, &mut pos, "will message")?;
    }
    let user = if flags & 0x80 != 0 {
        Some(String::from_utf8_lossy(read_str(body, &mut pos, "user name")?).into_owned())
    } else {
        None
    };
    let password = if flags & 0x40 != 0 {
        Some(read_str(body, &mut pos, "password")?.to_vec())
    } else {
        None
    };
    Ok(Connect {
        level,
        client_id,
        keep_alive: u16::from_be_bytes([k1, k2]),
        user,
        password,
    })
}

/// A CONNACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connack {
    /// Whether the broker kept a session from an earlier connection.
    pub session_present: bool,
    /// Return code (3.1.1) or reason code (5).
    pub code: u8,
    /// Bytes the packet took.
    pub len: usize,
}

/// Parses a CONNACK at the start of `b`.
pub fn parse_connack(b: &[u8]) -> Result<Connack, MqttError> {
    if let Some(&got) = b.first()
        && got != CONNACK
    {
        return Err(MqttError::UnexpectedType {
            expected: CONNACK,
            got,
        });
    }
    let p = parse_packet(b)?;
    match p.body {
        [flags, code, ..] => Ok(Connack {
            session_present: flags & 1 != 0,
            code: *code,
            len: p.len,
        }),
        _ => Err(MqttError::Malformed("CONNACK")),
    }
}

/// A CONNACK for `level` (5 adds an empty property list).
pub fn encode_connack(level: u8, code: u8) -> Vec<u8> {
    if level >= 5 {
        vec![CONNACK, 3, 0, code, 0]
    } else {
        vec![CONNACK, 2, 0, code]
    }
}

/// SUBSCRIBE to one topic at QoS 0.
pub fn encode_subscribe(level: u8, packet_id: u16, topic: &str) -> Vec<u8> {
    let mut body = packet_id.to_be_bytes().to_vec();
    if level >= 5 {
        body.push(0);
    }
    encode_str(&mut body, topic.as_bytes());
    body.push(0);
    let mut pkt = vec![SUBSCRIBE];
    encode_varint(&mut pkt, body.len());
    pkt.extend_from_slice(&body);
    pkt
}

/// The topic and payload of a PUBLISH (`first` is its first byte).
pub fn parse_publish(level: u8, first: u8, body: &[u8]) -> Result<(String, &[u8]), MqttError> {
    if first & 0xF0 != PUBLISH {
        return Err(MqttError::UnexpectedType {
            expected: PUBLISH,
            got: first,
        });
    }
    let mut pos = 0;
    let topic = String::from_utf8_lossy(read_str(body, &mut pos, "topic")?).into_owned();
    if (first >> 1) & 0x03 > 0 {
        pos += 2; // packet identifier for QoS 1/2
    }
    if level >= 5 {
        let (len, used) = decode_varint(body.get(pos..).unwrap_or_default())
            .map_err(|_| MqttError::Malformed("properties"))?;
        pos = pos.saturating_add(used).saturating_add(len);
    }
    let payload = body.get(pos..).ok_or(MqttError::Malformed("PUBLISH"))?;
    Ok((topic, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_layout() {
        let p = encode_connect(&Connect::new(4, "c", Some("u"), Some("p")));
        assert_eq!(
            p,
            vec![
                0x10, 19, 0, 4, b'M', b'Q', b'T', b'T', 4, 0xC2, 0, 30, 0, 1, b'c', 0, 1, b'u', 0,
                1, b'p'
            ]
        );
        let back = parse_connect(p.get(2..).unwrap_or_default()).unwrap();
        assert_eq!(back, Connect::new(4, "c", Some("u"), Some("p")));
        let v5 = encode_connect(&Connect::new(5, "jcstar-probe", None, None));
        assert_eq!(
            parse_connect(v5.get(2..).unwrap_or_default())
                .unwrap()
                .level,
            5
        );
        let mut long = Vec::new();
        encode_varint(&mut long, 321);
        assert_eq!(long, vec![0xC1, 0x02]);
        assert_eq!(decode_varint(&long), Ok((321, 2)));
        assert_eq!(decode_varint(&[0xff; 5]), Err(MqttError::BadLength));
    }

    #[test]
    fn mosquitto_connacks() {
        // mosquitto (Debian) with a password file, captured on loopback:
        // 3.1.1 CONNECT without credentials gets "not authorised"; MQTT 5
        // with a wrong password gets 0x87 "not authorized" and an empty
        // property list.
        assert_eq!(
            parse_connack(&[0x20, 0x02, 0x00, 0x05]),
            Ok(Connack {
                session_present: false,
                code: 5,
                len: 4
            })
        );
        assert_eq!(parse_connack(&[32, 3, 0, 135, 0]).map(|c| c.code), Ok(0x87));
        assert_eq!(
            parse_connack(&[0x20, 0x02, 0x00]),
            Err(MqttError::Incomplete)
        );
        assert!(matches!(
            parse_connack(b"HTTP/1.1 400"),
            Err(MqttError::UnexpectedType { .. })
        ));
        assert_eq!(
            parse_connack(&[0x20, 0x00]),
            Err(MqttError::Malformed("CONNACK"))
        );
    }

    #[test]
    fn publish() {
        let body = [0, 3, b'a', b'/', b'b', b'h', b'i'];
        assert_eq!(
            parse_publish(4, 0x30, &body),
            Ok(("a/b".to_string(), &b"hi"[..]))
        );
        assert!(parse_publish(4, 0x32, &[0, 9]).is_err());
        assert_eq!(
            encode_subscribe(4, 1, "t"),
            vec![0x82, 6, 0, 1, 0, 1, b't', 0]
        );
    }
}
