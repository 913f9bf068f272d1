//! The vulnerability feed, SBOM and VEX readers and the banner rules on
//! arbitrary bytes: they must report problems, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = jcstar_vulndb::feed::parse_bytes("fuzz.json", data);
    for r in &parsed.records {
        for a in &r.affected {
            for i in &a.ranges {
                let _ = i.contains(a.scheme, "1.0");
            }
        }
    }
    let _ = jcstar_vulndb::sbom::parse("fuzz.json", data);
    let _ = jcstar_vulndb::vex::parse("fuzz.json", data);
    let text = String::from_utf8_lossy(data);
    let _ = jcstar_vulndb::identify(&text);
    if let Some((a, b)) = text.split_once('\n') {
        for s in [
            jcstar_vulndb::Scheme::Generic,
            jcstar_vulndb::Scheme::Debian,
            jcstar_vulndb::Scheme::Semver,
        ] {
            let _ = jcstar_vulndb::version::compare(s, a, b);
        }
    }
});
