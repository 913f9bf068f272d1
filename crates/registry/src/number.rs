//! Registration numbers.
//!
//! Format: `JCS<level>-<year>-<sequence>-<check>`, for example
//! `JCS1-2026-000123-X`:
//!
//! - `<level>`: 1 to 4, the label's ★ level;
//! - `<year>`: the (Japan) calendar year of issue;
//! - `<sequence>`: at least six decimal digits, allocated from one counter for
//!   the whole registry inside the transaction that records the issuance, so a
//!   sequence is never handed out twice and never reused, whatever the level or
//!   year;
//! - `<check>`: `0`-`9` or `X`, ISO/IEC 7064 MOD 11-2 (the pure system ORCID
//!   and ISNI use) computed over the digits before it (`12026000123`). As 11 is
//!   prime and each position has its own weight, any single mistyped
//!   character and any swap of two neighbouring characters (the check
//!   character included) is detected; the fixed `JCS` and the hyphens are
//!   checked by the format itself.
//!
//! Parsing accepts lower case and surrounding blanks and normalises to upper
//! case.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::Level;

/// A registration number whose format and check character are valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegistrationNumber {
    level: Level,
    year: u16,
    sequence: u64,
}

/// Why a text is not a registration number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// The text does not have the `JCS<level>-<year>-<sequence>-<check>` form.
    #[error(
        "registration number {input:?}: expected the form JCS<level>-<year>-<sequence>-<check>, e.g. JCS1-2026-000123-X ({detail})"
    )]
    Format {
        /// The text as given.
        input: String,
        /// Which part of the form is wrong.
        detail: String,
    },
    /// The form is right but the check character does not match: probably mistyped.
    #[error(
        "registration number {input:?}: check character is {found} but the rest of the number gives {expected}; the number was probably mistyped"
    )]
    Check {
        /// The text as given.
        input: String,
        /// The check character given.
        found: char,
        /// The check character the rest of the number gives.
        expected: char,
    },
}

impl NumberError {
    /// The message in `lang`; [`Lang::En`](jcstar_criteria::Lang::En) is the
    /// `Display` text.
    pub fn message(&self, lang: jcstar_criteria::Lang) -> String {
        if lang == jcstar_criteria::Lang::En {
            return self.to_string();
        }
        match self {
            NumberError::Format { input, detail } => {
                let detail = match detail.as_str() {
                    "it must have four parts separated by hyphens" => {
                        "ハイフンで区切られた4つの部分が必要です"
                    }
                    "it must start with JCS" => "JCS で始まる必要があります",
                    "the level after JCS must be 1, 2, 3 or 4" => {
                        "JCS の後のレベルは 1、2、3、4 のいずれかです"
                    }
                    "the year must be four digits" => "年は4桁の数字です",
                    "the sequence must be 6 to 18 digits" => "連番は6〜18桁の数字です",
                    "the sequence has extra leading zeros" => "連番の先頭に余分な 0 があります",
                    "the check character must be a digit or X" => "チェック文字は数字または X です",
                    other => other,
                };
                format!(
                    "登録番号 {input:?}: JCS<レベル>-<年>-<連番>-<チェック文字> の形式で入力してください（例: JCS1-2026-000123-X）（{detail}）"
                )
            }
            NumberError::Check {
                input,
                found,
                expected,
            } => format!(
                "登録番号 {input:?}: チェック文字が {found} ですが、番号の残りの部分からは {expected} になります。番号の入力間違いと思われます"
            ),
        }
    }
}

impl RegistrationNumber {
    /// A number for the given parts (used when issuing).
    pub fn new(level: Level, year: u16, sequence: u64) -> Self {
        Self {
            level,
            year,
            sequence,
        }
    }

    /// The ★ level the number encodes.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The calendar year of issue.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The registry-wide sequence number.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    fn body(&self) -> String {
        format!(
            "JCS{}-{:04}-{:06}",
            self.level.number(),
            self.year,
            self.sequence
        )
    }

    /// The check character for this number.
    pub fn check_char(&self) -> char {
        check_char(&self.body())
    }
}

impl fmt::Display for RegistrationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.body(), self.check_char())
    }
}

impl From<RegistrationNumber> for String {
    fn from(n: RegistrationNumber) -> String {
        n.to_string()
    }
}

impl TryFrom<String> for RegistrationNumber {
    type Error = NumberError;
    fn try_from(s: String) -> Result<Self, NumberError> {
        parse_registration_number(&s)
    }
}

impl FromStr for RegistrationNumber {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, NumberError> {
        parse_registration_number(s)
    }
}

/// ISO/IEC 7064 MOD 11-2 over the digits of `s` (other characters are
/// skipped): `0`-`9`, or `X` for ten.
fn check_char(s: &str) -> char {
    let mut p: u32 = 0;
    for d in s.bytes().filter(u8::is_ascii_digit) {
        p = ((p + u32::from(d - b'0')) * 2) % 11;
    }
    match (12 - p) % 11 {
        10 => 'X',
        v => char::from(b'0' + v as u8),
    }
}

/// Parse and verify a registration number (format and check character).
pub fn parse_registration_number(input: &str) -> Result<RegistrationNumber, NumberError> {
    let fmt_err = |detail: &str| NumberError::Format {
        input: input.to_string(),
        detail: detail.to_string(),
    };
    let norm = input.trim().to_ascii_uppercase();
    let parts: Vec<&str> = norm.split('-').collect();
    let [prefix, year, seq, check] = parts.as_slice() else {
        return Err(fmt_err("it must have four parts separated by hyphens"));
    };
    let level = prefix
        .strip_prefix("JCS")
        .ok_or_else(|| fmt_err("it must start with JCS"))?;
    let level = match level {
        "1" => Level::Star1,
        "2" => Level::Star2,
        "3" => Level::Star3,
        "4" => Level::Star4,
        _ => return Err(fmt_err("the level after JCS must be 1, 2, 3 or 4")),
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fmt_err("the year must be four digits"));
    }
    let year: u16 = year
        .parse()
        .map_err(|_| fmt_err("the year must be four digits"))?;
    if seq.len() < 6 || seq.len() > 18 || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fmt_err("the sequence must be 6 to 18 digits"));
    }
    let sequence: u64 = seq
        .parse()
        .map_err(|_| fmt_err("the sequence must be 6 to 18 digits"))?;
    // A longer-than-needed zero padding would make a second spelling of the
    // same number; only the canonical width is accepted.
    if seq.len() > 6 && seq.starts_with('0') {
        return Err(fmt_err("the sequence has extra leading zeros"));
    }
    let mut chars = check.chars();
    let (Some(found), None) = (chars.next(), chars.next()) else {
        return Err(fmt_err("the check character must be a digit or X"));
    };
    if !(found.is_ascii_digit() || found == 'X') {
        return Err(fmt_err("the check character must be a digit or X"));
    }
    let n = RegistrationNumber::new(level, year, sequence);
    let expected = n.check_char();
    if expected != found {
        return Err(NumberError::Check {
            input: input.to_string(),
            found,
            expected,
        });
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let n = RegistrationNumber::new(Level::Star1, 2026, 123);
        let s = n.to_string();
        assert!(s.starts_with("JCS1-2026-000123-"), "{s}");
        assert_eq!(parse_registration_number(&s), Ok(n.clone()));
        assert_eq!(
            parse_registration_number(&format!("  {} ", s.to_lowercase())),
            Ok(n)
        );
    }

    #[test]
    fn wrong_check_is_named() {
        let n = RegistrationNumber::new(Level::Star2, 2027, 42).to_string();
        let good = n.chars().last().unwrap_or('0');
        let bad = if good == '1' { '2' } else { '1' };
        let typo = format!("{}{bad}", &n[..n.len() - 1]);
        let err = parse_registration_number(&typo).unwrap_err();
        assert!(matches!(err, NumberError::Check { .. }));
        assert!(err.to_string().contains("mistyped"), "{err}");
    }

    /// Every single-character substitution and every swap of neighbouring
    /// characters in many numbers is rejected.
    #[test]
    fn detects_single_typos_and_adjacent_swaps() {
        for level in [Level::Star1, Level::Star2, Level::Star3, Level::Star4] {
            for seq in (0..300u64).chain([999_999, 1_000_000, 123_456_789]) {
                let n = RegistrationNumber::new(level, 2026, seq).to_string();
                let bytes = n.as_bytes();
                for i in 0..bytes.len() {
                    for &c in b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
                        if c == bytes[i] || bytes[i] == b'-' {
                            continue;
                        }
                        let mut t = bytes.to_vec();
                        t[i] = c;
                        let t = String::from_utf8(t).unwrap_or_default();
                        assert!(parse_registration_number(&t).is_err(), "{n} -> {t}");
                    }
                    if i + 1 < bytes.len() && bytes[i] != bytes[i + 1] {
                        let mut t = bytes.to_vec();
                        t.swap(i, i + 1);
                        let t = String::from_utf8(t).unwrap_or_default();
                        assert!(parse_registration_number(&t).is_err(), "{n} -> {t}");
                    }
                }
            }
        }
    }

    #[test]
    fn format_errors_say_what_is_expected() {
        for bad in [
            "",
            "JCS5-2026-000001-A",
            "XYZ1-2026-000001-A",
            "JCS1-26-000001-A",
            "JCS1-2026-01-A",
        ] {
            let err = parse_registration_number(bad).unwrap_err();
            assert!(err.to_string().contains("JCS<level>"), "{err}");
        }
    }
}
