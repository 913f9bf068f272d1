//! Arbitrary bytes as a checklist: TOML, JSON and xlsx reading must never
//! panic, validation must never panic, and whatever parses must survive a
//! round trip through its own format and (when representable) the workbook.
#![no_main]

use jcstar_checklist::{Checklist, Format, validate, xlsx};
use jcstar_criteria::Catalog;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let catalog = Catalog::star1();
    if let Ok(text) = std::str::from_utf8(data) {
        for format in [Format::Toml, Format::Json] {
            let Ok(checklist) = Checklist::from_str_with_format(text, format, "fuzz") else {
                continue;
            };
            let report = validate(&checklist, catalog, None);
            assert_eq!(
                report.supports_application,
                report.blocking().next().is_none()
            );
            for out in [Format::Toml, Format::Json] {
                let written = checklist
                    .to_string_with_format(out)
                    .expect("a parsed checklist can be written");
                let back = Checklist::from_str_with_format(&written, out, "fuzz")
                    .expect("a written checklist can be read");
                assert_eq!(back, checklist, "{out:?} round trip");
            }
            if let Ok(bytes) = xlsx::to_xlsx_bytes(&checklist, Some(catalog)) {
                let back = xlsx::from_xlsx_bytes(&bytes, "fuzz.xlsx")
                    .expect("an exported workbook can be imported");
                assert_eq!(back, checklist, "xlsx round trip");
            }
        }
    }
    if let Ok(checklist) = xlsx::from_xlsx_bytes(data, "fuzz.xlsx") {
        let _ = validate(&checklist, catalog, None);
    }
});
