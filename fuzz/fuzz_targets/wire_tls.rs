//! Arbitrary bytes as TLS records and handshake messages.

#![no_main]

use jcstar_wire::tls;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    for _ in 0..64 {
        let Ok((head, body, after)) = tls::split_record(rest) else {
            break;
        };
        assert_eq!(body.len(), head.length);
        let mut hs = body;
        while let Ok((h, msg, more)) = tls::split_handshake(hs) {
            assert_eq!(msg.len(), h.length);
            hs = more;
        }
        rest = after;
    }
    let _ = tls::looks_like_tls(data);
});
