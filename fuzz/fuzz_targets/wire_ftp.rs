//! Arbitrary bytes on an FTP control connection: a reply that parses took
//! bytes that were there and has a three-digit code.

#![no_main]

use jcstar_wire::ftp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = ftp::parse_reply(data) {
        assert!(r.len <= data.len());
        assert!(r.code <= 999);
        assert!(!r.lines.is_empty());
        let _ = r.text();
    }
});
