//! A fixed, broadly compatible TLS ClientHello used only to detect TLS on a
//! port (the full assessment is the `tls` module's job).

use std::net::SocketAddr;

/// ClientHello offering TLS 1.0-1.3 with common suites; any TLS server
/// answers it with a handshake record or an alert.
pub fn client_hello(_addr: SocketAddr) -> Vec<u8> {
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
    let mut hs = vec![0x01];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend(body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend(hs);
    rec
}
