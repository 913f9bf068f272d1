//! Arbitrary bytes as an SNMP v1/v2c message (BER).

#![no_main]

use jcstar_wire::snmp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = snmp::parse_message(data) {
        assert!(m.community.len() <= data.len());
        assert!(m.varbinds.len() <= snmp::MAX_VARBINDS);
        let _ = m.first_octets();
    }
    let _ = snmp::read_tlv(data, "fuzz");
});
