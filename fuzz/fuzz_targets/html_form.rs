//! Arbitrary text as a device's web page: the form parser and the login
//! form finder.

#![no_main]

use jcstar_probe::internal::{FormOptions, find_login_form, has_password_input, parse_forms};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let _ = parse_forms(&html);
    let _ = has_password_input(&html);
    let _ = find_login_form(&html, &FormOptions::default());
});
