//! Cells of the CSV exports made safe for spreadsheets.
//!
//! A spreadsheet that opens a CSV file treats a cell starting with `=`,
//! `+`, `-` or `@` as a formula (and tab or carriage return can smuggle one
//! in), so a company name such as `=HYPERLINK(...)` would run in the reader's
//! spreadsheet. Following OWASP's CSV injection guidance, such a cell is
//! prefixed with `'`, which spreadsheets show as text and do not evaluate.
//! Quoting and embedded separators are the CSV writer's job.

use std::borrow::Cow;

/// The byte order mark that makes Excel read a CSV file as UTF-8 (without
/// it, Japanese text is read as Shift_JIS and garbled).
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// `cell` as it is written to a CSV export.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_prefixes_are_neutralised() {
        for bad in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+81-3-1234",
            "-1+1",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for fine in ["Acme K.K.", "", "2026-04-01", "株式会社=", "1"] {
            assert_eq!(neutralise(fine), fine);
        }
    }
}
