//! Arbitrary bytes from a Telnet server: filtering must account for every
//! byte (text, answered command or pending tail), split anywhere.

#![no_main]

use jcstar_wire::telnet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = telnet::filter(data);
    assert!(whole.text.len() <= data.len());
    assert!(whole.pending.len() <= data.len());
    assert_eq!(whole.reply.len() % 3, 0);
    // Fed in two pieces, with the pending tail carried over, the text is
    // the same as fed at once.
    let cut = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (a, b) = data.split_at(cut);
    let first = telnet::filter(a);
    let mut rest = first.pending.clone();
    rest.extend_from_slice(b);
    let second = telnet::filter(&rest);
    let mut text = first.text;
    text.extend(second.text);
    assert_eq!(text, whole.text);
});
