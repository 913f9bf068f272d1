//! SNMP v1/v2c messages (RFC 1157, RFC 3416) in BER.
//!
//! BER elements are read with [`asn1_rs`] (`Any::from_ber`), already in
//! the dependency tree through `x509-parser`; it takes long-form and
//! indefinite lengths, which agents send although DER forbids them (hence
//! not the DER-only `der` crate). Encoding is the short, fixed subset SNMP
//! requests need, written here with minimal (DER-style) lengths.

use asn1_rs::{Any, Class, FromBer};

/// Universal tags and SNMP PDU tags (identifier octets).
pub const INTEGER: u8 = 0x02;
/// OCTET STRING, e.g. a community or sysDescr value.
pub const OCTET_STRING: u8 = 0x04;
/// NULL, the value placeholder in a request.
pub const NULL: u8 = 0x05;
/// OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// SEQUENCE, the message and variable-binding envelope.
pub const SEQUENCE: u8 = 0x30;
/// GetRequest PDU.
pub const GET_REQUEST: u8 = 0xA0;
/// GetNextRequest PDU.
pub const GET_NEXT_REQUEST: u8 = 0xA1;
/// GetResponse PDU (Response in v2c).
pub const GET_RESPONSE: u8 = 0xA2;

/// 1.3.6.1.2.1.1.1.0 (sysDescr.0), content octets of the OID.
pub const SYS_DESCR: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 1, 0];

/// Most variable bindings read from one message.
pub const MAX_VARBINDS: usize = 64;

/// Why bytes are not an SNMP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SnmpError {
    /// A BER element is cut short or malformed.
    #[error("malformed BER in {0}")]
    Ber(&'static str),
    /// An element has another type than SNMP puts there.
    #[error("unexpected type in {0}")]
    Type(&'static str),
    /// An INTEGER longer than 8 bytes.
    #[error("integer out of range in {0}")]
    Range(&'static str),
}

/// SNMP version field: 0 = v1, 1 = v2c.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// SNMPv1.
    V1,
    /// SNMPv2c.
    V2c,
}

impl Version {
    fn number(self) -> i64 {
        match self {
            Version::V1 => 0,
            Version::V2c => 1,
        }
    }
}

/// One BER element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet (class, constructed bit, tag), or 0xFF for a
    /// multi-byte tag, which SNMP never uses.
    pub identifier: u8,
    /// The content octets.
    pub value: &'a [u8],
}

/// Reads the BER element at the start of `b`: (element, bytes after it).
pub fn read_tlv<'a>(b: &'a [u8], what: &'static str) -> Result<(Tlv<'a>, &'a [u8]), SnmpError> {
    let (rest, any) = Any::from_ber(b).map_err(|_| SnmpError::Ber(what))?;
    let class = match any.class() {
        Class::Universal => 0u8,
        Class::Application => 1,
        Class::ContextSpecific => 2,
        Class::Private => 3,
    };
    let tag = any.tag().0;
    let identifier = if tag < 31 {
        (class << 6) | (u8::from(any.header.is_constructed()) << 5) | tag as u8
    } else {
        0xFF
    };
    Ok((
        Tlv {
            identifier,
            value: any.data,
        },
        rest,
    ))
}

fn expect<'a>(
    b: &'a [u8],
    identifier: u8,
    what: &'static str,
) -> Result<(&'a [u8], &'a [u8]), SnmpError> {
    let (t, rest) = read_tlv(b, what)?;
    if t.identifier != identifier {
        return Err(SnmpError::Type(what));
    }
    Ok((t.value, rest))
}

/// The value of a BER INTEGER's content octets.
pub fn decode_int(content: &[u8], what: &'static str) -> Result<i64, SnmpError> {
    if content.is_empty() || content.len() > 8 {
        return Err(SnmpError::Range(what));
    }
    let negative = content.first().is_some_and(|b| b & 0x80 != 0);
    let mut v: i64 = if negative { -1 } else { 0 };
    for b in content {
        v = (v << 8) | i64::from(*b);
    }
    Ok(v)
}

/// One variable binding: the OID's content octets and the value element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarBind<'a> {
    /// The OID's content octets.
    pub oid: &'a [u8],
    /// The value element as sent.
    pub value: Tlv<'a>,
}

impl<'a> VarBind<'a> {
    /// The value when it is an OCTET STRING.
    pub fn octets(&self) -> Option<&'a [u8]> {
        (self.value.identifier == OCTET_STRING).then_some(self.value.value)
    }
}

/// A v1/v2c message with any PDU of the request/response layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// 0 = v1, 1 = v2c (other numbers are returned as sent).
    pub version: i64,
    /// The community string, SNMP v1/v2c's only credential.
    pub community: &'a [u8],
    /// The PDU's identifier octet, e.g. [`GET_RESPONSE`].
    pub pdu: u8,
    /// Pairs a response with its request.
    pub request_id: i64,
    /// 0 when the agent reports no error.
    pub error_status: i64,
    /// Which variable binding an error concerns (1-based), 0 if none.
    pub error_index: i64,
    /// The variable bindings, at most [`MAX_VARBINDS`].
    pub varbinds: Vec<VarBind<'a>>,
}

impl Message<'_> {
    /// The first binding's value when it is an OCTET STRING.
    pub fn first_octets(&self) -> Option<&[u8]> {
        self.varbinds.first().and_then(VarBind::octets)
    }
}

/// Parses a v1/v2c message (request or response PDU; not traps).
pub fn parse_message(b: &[u8]) -> Result<Message<'_>, SnmpError> {
    let (msg, _) = expect(b, SEQUENCE, "message")?;
    let (version, rest) = expect(msg, INTEGER, "version")?;
    let (community, rest) = expect(rest, OCTET_STRING, "community")?;
    let (pdu, _) = read_tlv(rest, "pdu")?;
    if !(0xA0..=0xA8).contains(&pdu.identifier) || pdu.identifier == 0xA4 {
        return Err(SnmpError::Type("pdu"));
    }
    let (rid, rest) = expect(pdu.value, INTEGER, "request id")?;
    let (status, rest) = expect(rest, INTEGER, "error status")?;
    let (index, rest) = expect(rest, INTEGER, "error index")?;
    let (mut list, _) = expect(rest, SEQUENCE, "varbind list")?;
    let mut varbinds = Vec::new();
    while !list.is_empty() && varbinds.len() < MAX_VARBINDS {
        let (vb, rest) = expect(list, SEQUENCE, "varbind")?;
        let (oid, vrest) = expect(vb, OID, "name")?;
        let (value, _) = read_tlv(vrest, "value")?;
        varbinds.push(VarBind { oid, value });
        list = rest;
    }
    Ok(Message {
        version: decode_int(version, "version")?,
        community,
        pdu: pdu.identifier,
        request_id: decode_int(rid, "request id")?,
        error_status: decode_int(status, "error status")?,
        error_index: decode_int(index, "error index")?,
        varbinds,
    })
}

/// A BER element with a minimal length.
pub fn encode_tlv(identifier: u8, content: &[u8]) -> Vec<u8> {
    let content = content
        .get(..content.len().min(usize::from(u16::MAX)))
        .unwrap_or_default();
    let n = content.len();
    let mut out = vec![identifier];
    if n < 128 {
        out.push(n as u8);
    } else if n < 256 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.push(0x82);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    }
    out.extend_from_slice(content);
    out
}

/// An INTEGER in the fewest content octets.
pub fn encode_int(v: i64) -> Vec<u8> {
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
    encode_tlv(INTEGER, bytes.get(start..).unwrap_or_default())
}

/// A value for [`encode_message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// NULL, as in a Get request.
    Null,
    /// An OCTET STRING with these bytes.
    Octets(&'a [u8]),
}

/// A message with one PDU; `error_status` and `error_index` are 0.
pub fn encode_message(
    version: Version,
    community: &[u8],
    pdu: u8,
    request_id: i64,
    varbinds: &[(&[u8], Value<'_>)],
) -> Vec<u8> {
    let mut list = Vec::new();
    for (oid, value) in varbinds {
        let v = match value {
            Value::Null => vec![NULL, 0],
            Value::Octets(o) => encode_tlv(OCTET_STRING, o),
        };
        list.extend(encode_tlv(SEQUENCE, &[encode_tlv(OID, oid), v].concat()));
    }
    let body = [
        encode_int(request_id),
        encode_int(0),
        encode_int(0),
        encode_tlv(SEQUENCE, &list),
    ]
    .concat();
    encode_tlv(
        SEQUENCE,
        &[
            encode_int(version.number()),
            encode_tlv(OCTET_STRING, community),
            encode_tlv(pdu, &body),
        ]
        .concat(),
    )
}

/// GetRequest for sysDescr.0.
pub fn encode_get_sys_descr(version: Version, community: &[u8], request_id: i64) -> Vec<u8> {
    encode_message(
        version,
        community,
        GET_REQUEST,
        request_id,
        &[(SYS_DESCR, Value::Null)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Debian's net-snmp snmpd answering our v2c GetRequest for
    /// sysDescr.0 (community `public`, request id 0x10), captured on loopback.
    const SNMPD_RESPONSE: &[u8] = &[
        48, 56, 2, 1, 1, 4, 6, 112, 117, 98, 108, 105, 99, 162, 43, 2, 1, 16, 2, 1, 0, 2, 1, 0, 48,
        32, 48, 30, 6, 8, 43, 6, 1, 2, 1, 1, 1, 0, 4, 18, 106, 99, 115, 116, 97, 114, 32, 116, 101,
        115, 116, 32, 99, 97, 109, 101, 114, 97,
    ];

    #[test]
    fn snmpd_response() {
        let m = parse_message(SNMPD_RESPONSE).unwrap();
        assert_eq!((m.version, m.community), (1, &b"public"[..]));
        assert_eq!(
            (m.pdu, m.request_id, m.error_status),
            (GET_RESPONSE, 0x10, 0)
        );
        assert_eq!(m.varbinds.len(), 1);
        assert_eq!(m.first_octets(), Some(&b"jcstar test camera"[..]));
    }

    #[test]
    fn request_round_trip() {
        let req = encode_get_sys_descr(Version::V2c, b"public", 0x11);
        // The request the probe has always sent for id 0x11.
        assert_eq!(
            req,
            vec![
                0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa0,
                0x19, 0x02, 0x01, 0x11, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c,
                0x06, 0x08, 0x2b, 6, 1, 2, 1, 1, 1, 0, 0x05, 0x00
            ]
        );
        let m = parse_message(&req).unwrap();
        assert_eq!((m.pdu, m.request_id), (GET_REQUEST, 0x11));
        assert_eq!(m.varbinds.first().map(|v| v.oid), Some(SYS_DESCR));
        assert_eq!(encode_int(-1), vec![2, 1, 0xff]);
        assert_eq!(encode_int(128), vec![2, 2, 0, 128]);
        assert_eq!(
            encode_tlv(4, &[0; 200]).get(..3),
            Some(&[4u8, 0x81, 200][..])
        );
    }

    #[test]
    fn garbage_is_rejected() {
        assert!(parse_message(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(parse_message(&[]).is_err());
        assert!(parse_message(&[0x30, 0x03, 0x02, 0x01]).is_err());
        assert!(parse_message(&[0x30, 0x85, 1]).is_err());
        assert!(parse_message(b"garbage").is_err());
    }
}
