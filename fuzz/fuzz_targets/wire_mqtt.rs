//! Arbitrary bytes from an MQTT broker (CONNACK, PUBLISH) or client
//! (CONNECT, for the testbed's broker side).

#![no_main]

use jcstar_wire::mqtt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = mqtt::parse_connack(data) {
        assert!(c.len <= data.len());
    }
    if let Ok(p) = mqtt::parse_packet(data) {
        assert!(p.len <= data.len());
        let _ = mqtt::parse_publish(4, p.first, p.body);
        let _ = mqtt::parse_publish(5, p.first, p.body);
        if let Ok(c) = mqtt::parse_connect(p.body) {
            // What parsed encodes and parses back to itself.
            let again = mqtt::encode_connect(&c);
            let q = mqtt::parse_packet(&again).map(|q| q.body.to_vec());
            if let Ok(body) = q
                && c.level >= 4
            {
                assert_eq!(mqtt::parse_connect(&body).map(|d| d.user), Ok(c.user));
            }
        }
    }
});
