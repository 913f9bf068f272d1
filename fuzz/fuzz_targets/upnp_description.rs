//! Arbitrary text as a UPnP device description.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let xml = String::from_utf8_lossy(data);
    for (_, v) in jcstar_probe::internal::upnp_description(&xml) {
        assert!(v.chars().count() <= 200);
    }
});
