//! TLS record and handshake headers (RFC 8446 §5.1, §4), and the fixed
//! ClientHello that only detects TLS on a port.

/// Largest record body a conforming peer sends (2^14 plus expansion).
pub const MAX_RECORD: usize = 16384 + 2048;

/// Record content types.
pub const CHANGE_CIPHER_SPEC: u8 = 0x14;
/// Alert record.
pub const ALERT: u8 = 0x15;
/// Handshake record.
pub const HANDSHAKE: u8 = 0x16;
/// Application data record.
pub const APPLICATION_DATA: u8 = 0x17;

/// Handshake message types.
pub const CLIENT_HELLO: u8 = 1;
/// ServerHello.
pub const SERVER_HELLO: u8 = 2;
/// Certificate.
pub const CERTIFICATE: u8 = 11;
/// ServerKeyExchange (TLS 1.2 and earlier).
pub const SERVER_KEY_EXCHANGE: u8 = 12;
/// ServerHelloDone (TLS 1.2 and earlier).
pub const SERVER_HELLO_DONE: u8 = 14;

/// Why bytes are not a TLS header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// Fewer bytes than the header needs: read more.
    #[error("incomplete header")]
    Incomplete,
    /// Not a record a TLS peer sends: unknown content type, a major
    /// version other than 3, a length of 0 or above [`MAX_RECORD`].
    #[error("not a TLS record header")]
    NotTls,
}

/// A record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// Content type, e.g. [`HANDSHAKE`].
    pub content_type: u8,
    /// Legacy record version, e.g. 0x0303.
    pub version: u16,
    /// Body length.
    pub length: usize,
}

/// Size of a record header.
pub const RECORD_HEADER_LEN: usize = 5;
/// Size of a handshake message header.
pub const HANDSHAKE_HEADER_LEN: usize = 4;

/// Parses the 5-byte record header at the start of `b`.
pub fn parse_record_header(b: &[u8]) -> Result<RecordHeader, TlsError> {
    let Some(&[content_type, major, minor, l1, l2]) = b.first_chunk::<5>() else {
        return Err(TlsError::Incomplete);
    };
    let length = usize::from(u16::from_be_bytes([l1, l2]));
    if !(CHANGE_CIPHER_SPEC..=APPLICATION_DATA).contains(&content_type)
        || major != 3
        || length == 0
        || length > MAX_RECORD
    {
        return Err(TlsError::NotTls);
    }
    Ok(RecordHeader {
        content_type,
        version: u16::from_be_bytes([major, minor]),
        length,
    })
}

/// Whether `b` starts like a TLS handshake or alert record (what a server
/// answers a ClientHello with), judged from the first three bytes.
pub fn looks_like_tls(b: &[u8]) -> bool {
    matches!(b, [HANDSHAKE | ALERT, 0x03, 0x00..=0x04, ..])
}

/// A record: its header and body, split off the start of `b`.
pub fn split_record(b: &[u8]) -> Result<(RecordHeader, &[u8], &[u8]), TlsError> {
    let h = parse_record_header(b)?;
    let end = RECORD_HEADER_LEN + h.length;
    let body = b.get(RECORD_HEADER_LEN..end).ok_or(TlsError::Incomplete)?;
    Ok((h, body, b.get(end..).unwrap_or_default()))
}

/// A handshake message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeHeader {
    /// Handshake message type, e.g. [`SERVER_HELLO`].
    pub msg_type: u8,
    /// Body length (24-bit on the wire).
    pub length: usize,
}

/// Parses the 4-byte handshake header at the start of `b`.
pub fn parse_handshake_header(b: &[u8]) -> Result<HandshakeHeader, TlsError> {
    let Some(&[msg_type, a, b2, c]) = b.first_chunk::<4>() else {
        return Err(TlsError::Incomplete);
    };
    Ok(HandshakeHeader {
        msg_type,
        length: (usize::from(a) << 16) | (usize::from(b2) << 8) | usize::from(c),
    })
}

/// A handshake message (type and body) split off the start of `b`;
/// `Incomplete` while its body has not arrived in full.
pub fn split_handshake(b: &[u8]) -> Result<(HandshakeHeader, &[u8], &[u8]), TlsError> {
    let h = parse_handshake_header(b)?;
    let end = HANDSHAKE_HEADER_LEN + h.length;
    let body = b
        .get(HANDSHAKE_HEADER_LEN..end)
        .ok_or(TlsError::Incomplete)?;
    Ok((h, body, b.get(end..).unwrap_or_default()))
}

/// A record with the given type, legacy version and body (bodies above
/// 65535 bytes are cut).
pub fn encode_record(content_type: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let body = body
        .get(..body.len().min(usize::from(u16::MAX)))
        .unwrap_or_default();
    let mut rec = vec![content_type];
    rec.extend_from_slice(&version.to_be_bytes());
    rec.extend_from_slice(&(body.len() as u16).to_be_bytes());
    rec.extend_from_slice(body);
    rec
}

/// A handshake message with the given type and body (bodies above 2^24-1
/// bytes are cut).
pub fn encode_handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let body = body.get(..body.len().min(0xFF_FFFF)).unwrap_or_default();
    let mut hs = vec![msg_type];
    let len = (body.len() as u32).to_be_bytes();
    hs.extend_from_slice(len.get(1..).unwrap_or_default());
    hs.extend_from_slice(body);
    hs
}

/// A fixed, broadly compatible ClientHello offering TLS 1.0-1.3 with
/// common suites; any TLS server answers it with a handshake record or an
/// alert. Only for detecting TLS: the assessment builds its own hellos.
pub fn detection_client_hello() -> Vec<u8> {
    let suites: &[u16] = &[
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
        0x009c, 0x009d, 0x002f, 0x0035, 0x000a,
    ];
    let mut body = vec![0x03, 0x03];
    body.extend((0..32u8).map(|i| i.wrapping_mul(37).wrapping_add(11)));
    body.push(0); // no session id
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // null compression
    let mut ext = Vec::new();
    let mut push_ext = |ty: u16, data: &[u8]| {
        ext.extend_from_slice(&ty.to_be_bytes());
        ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
        ext.extend_from_slice(data);
    };
    push_ext(0x000a, &[0, 6, 0, 0x1d, 0, 0x17, 0, 0x18]); // groups: x25519, P-256, P-384
    push_ext(0x000b, &[1, 0]); // point formats
    push_ext(
        0x000d,
        &[0, 16, 4, 3, 5, 3, 8, 4, 8, 5, 8, 6, 4, 1, 5, 1, 2, 1],
    ); // signature algorithms
    push_ext(0x002b, &[8, 3, 4, 3, 3, 3, 2, 3, 1]); // supported versions 1.3..1.0
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend(ext);
    encode_record(HANDSHAKE, 0x0301, &encode_handshake(CLIENT_HELLO, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_hello_is_consistent() {
        let rec = detection_client_hello();
        let (h, body, rest) = split_record(&rec).unwrap();
        assert_eq!((h.content_type, h.version), (HANDSHAKE, 0x0301));
        assert!(rest.is_empty());
        let (hs, _, rest) = split_handshake(body).unwrap();
        assert_eq!((hs.msg_type, hs.length + 4), (CLIENT_HELLO, body.len()));
        assert!(rest.is_empty());
    }

    #[test]
    fn server_replies() {
        // A ServerHello record start (TLS 1.2 record version).
        let hello = [
            0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03,
        ];
        let h = parse_record_header(&hello).unwrap();
        assert_eq!(
            (h.content_type, h.version, h.length),
            (HANDSHAKE, 0x0303, 0x7a)
        );
        assert_eq!(split_record(&hello), Err(TlsError::Incomplete));
        let hs = parse_handshake_header(hello.get(5..).unwrap_or_default()).unwrap();
        assert_eq!((hs.msg_type, hs.length), (SERVER_HELLO, 0x76));
        // lighttpd with OpenSSL (Debian), captured on loopback: the
        // detection hello gets alert 109 (missing_extension), an SSL 3.0
        // hello gets alert 40 (handshake_failure) in an SSL 3.0 record.
        let (h, body, _) = split_record(&[21, 3, 3, 0, 2, 2, 109]).unwrap();
        assert_eq!(
            (h.content_type, h.version, body),
            (ALERT, 0x0303, &[2, 109][..])
        );
        let alert = [21, 3, 0, 0, 2, 2, 40];
        let (h, body, _) = split_record(&alert).unwrap();
        assert_eq!((h.version, body), (0x0300, &[2, 40][..]));
        assert!(looks_like_tls(&alert));
        assert_eq!(parse_record_header(b"HTTP/1.1 400"), Err(TlsError::NotTls));
        assert_eq!(parse_record_header(&[0x16, 3]), Err(TlsError::Incomplete));
        assert!(!looks_like_tls(b"SSH-2.0"));
    }
}
