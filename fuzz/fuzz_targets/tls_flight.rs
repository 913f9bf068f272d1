//! Arbitrary bytes as a server's first TLS flight (ServerHello, Certificate,
//! ServerKeyExchange, alerts), read as the assessment reads it.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = jcstar_probe::internal::tls_first_flight(data, true);
    let _ = jcstar_probe::internal::tls_first_flight(data, false);
});
