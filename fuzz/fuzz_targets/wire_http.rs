//! Arbitrary bytes as an HTTP/RTSP response or request head: a head that
//! parses must describe bytes that were there.

#![no_main]

use jcstar_wire::http;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = http::parse_response_head(data) {
        assert!(h.head_len <= data.len());
        let _ = (h.auth_schemes(), h.content_length(), h.is_chunked());
    }
    if let Ok(h) = http::parse_response_head_truncated(data) {
        assert!(h.head_len <= data.len());
    }
    if let Ok(h) = http::parse_request_head(data) {
        assert!(h.head_len <= data.len());
        let _ = h.content_length();
    }
});
