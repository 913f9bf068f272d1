//! Arbitrary bytes as a catalog file: loading must return Ok or a typed
//! error, never panic, and an error must name the file it was given.

#![no_main]

use jcstar_criteria::Catalog;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    match Catalog::from_toml_str(src, "fuzz.toml") {
        Ok(catalog) => {
            // Whatever validated must also be usable by the rest of jcstar.
            let _ = catalog.to_oscal(jcstar_criteria::Lang::En);
            for c in &catalog.criteria {
                for r in &c.references {
                    let _ = catalog.map_from(&r.scheme, &r.provision);
                }
                let _ = catalog.suggest(&c.id);
            }
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.toml"), "{e}"),
    }
});
