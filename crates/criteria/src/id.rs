//! Criterion ids as a type. Device tests, checklists and reports cite a
//! criterion (`S1.1-04`) or one sub-condition of it (`S1.1-13②`); keeping
//! the id typed means one parser, one "without the sub-condition" rule and
//! one place that knows the circled-digit markers, and lets a test prove
//! that every id a component emits exists in the catalog.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Catalog;

/// `S<level>.<category>-<number>` with an optional sub-condition ①–⑳.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CriterionId {
    level: u8,
    category: u8,
    number: u8,
    item: Option<u8>,
}

/// Why a text is not a criterion id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a criterion id; expected the form S1.1-04 or S1.1-13②")]
pub struct BadId {
    /// The text as given.
    pub text: String,
}

const CIRCLED: [char; 20] = [
    '①', '②', '③', '④', '⑤', '⑥', '⑦', '⑧', '⑨', '⑩', '⑪', '⑫', '⑬', '⑭', '⑮', '⑯', '⑰', '⑱', '⑲',
    '⑳',
];

impl CriterionId {
    /// `S<level>.<category>-<number>`, e.g. `new(1, 1, 4)` is `S1.1-04`.
    pub const fn new(level: u8, category: u8, number: u8) -> Self {
        CriterionId {
            level,
            category,
            number,
            item: None,
        }
    }

    /// The sub-condition `n` (1 = ①) of this criterion.
    pub const fn item(self, n: u8) -> Self {
        CriterionId {
            item: Some(n),
            ..self
        }
    }

    /// The criterion this id belongs to, without a sub-condition.
    pub const fn base(self) -> Self {
        CriterionId { item: None, ..self }
    }

    /// The sub-condition's number (1 = ①), if the id names one.
    pub fn sub_condition(self) -> Option<u8> {
        self.item
    }

    /// The sub-condition's label as the catalog writes it (`②`).
    pub fn item_label(self) -> Option<char> {
        self.item
            .and_then(|n| CIRCLED.get(usize::from(n).checked_sub(1)?).copied())
    }

    /// Whether the catalog has this criterion and, for a sub-condition id,
    /// that sub-condition.
    pub fn exists_in(self, catalog: &Catalog) -> bool {
        let base = self.base().to_string();
        let Some(c) = catalog.criterion(&base) else {
            return false;
        };
        match self.item_label() {
            None => true,
            Some(label) => c.conditions.as_ref().is_some_and(|cs| {
                cs.items
                    .iter()
                    .any(|i| i.label.chars().eq(std::iter::once(label)))
            }),
        }
    }
}

impl fmt::Display for CriterionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S{}.{}-{:02}", self.level, self.category, self.number)?;
        if let Some(c) = self.item_label() {
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl FromStr for CriterionId {
    type Err = BadId;

    fn from_str(s: &str) -> Result<Self, BadId> {
        let bad = || BadId {
            text: s.to_string(),
        };
        let rest = s.trim().strip_prefix('S').ok_or_else(bad)?;
        let (level, rest) = rest.split_once('.').ok_or_else(bad)?;
        let (category, rest) = rest.split_once('-').ok_or_else(bad)?;
        let digits_end = rest
            .char_indices()
            .find(|(_, c)| !c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let (number, marker) = rest.split_at(digits_end);
        let num = |t: &str, min_len: usize| -> Result<u8, BadId> {
            if t.len() < min_len || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            t.parse().map_err(|_| bad())
        };
        let mut chars = marker.chars();
        let item = match (chars.next(), chars.next()) {
            (None, _) => None,
            (Some(c), None) => Some(
                CIRCLED
                    .iter()
                    .position(|x| *x == c)
                    .and_then(|i| u8::try_from(i + 1).ok())
                    .ok_or_else(bad)?,
            ),
            _ => return Err(bad()),
        };
        Ok(CriterionId {
            level: num(level, 1)?,
            category: num(category, 1)?,
            number: num(number, 2)?,
            item,
        })
    }
}

impl Serialize for CriterionId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CriterionId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl PartialEq<str> for CriterionId {
    fn eq(&self, other: &str) -> bool {
        other.parse::<CriterionId>().is_ok_and(|o| o == *self)
    }
}

impl PartialEq<&str> for CriterionId {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

/// The id without its sub-condition marker, as text: `S1.1-13②` →
/// `S1.1-13`; text that is not an id comes back trimmed of anything after
/// its leading `S<level>.<category>-<number>` part.
pub fn base_id(id: &str) -> &str {
    let end = id
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '-'))
        .map_or(id.len(), |(i, _)| i);
    id.get(..end).unwrap_or(id)
}

/// The ★1 criteria (and sub-conditions) that jcstar's own components cite.
pub mod star1 {
    use super::CriterionId;

    /// S1.1-01: Authenticated access control over IP.
    pub const S1_1_01: CriterionId = CriterionId::new(1, 1, 1);
    /// S1.1-02: Strength of default passwords.
    pub const S1_1_02: CriterionId = CriterionId::new(1, 1, 2);
    /// S1.1-03: Authentication values can be changed.
    pub const S1_1_03: CriterionId = CriterionId::new(1, 1, 3);
    /// S1.1-04: Brute-force resistance of network login.
    pub const S1_1_04: CriterionId = CriterionId::new(1, 1, 4);
    /// S1.1-05: Published vulnerability disclosure policy.
    pub const S1_1_05: CriterionId = CriterionId::new(1, 1, 5);
    /// S1.1-06: Software updates and version check.
    pub const S1_1_06: CriterionId = CriterionId::new(1, 1, 6);
    /// S1.1-07: Updates are easy to apply.
    pub const S1_1_07: CriterionId = CriterionId::new(1, 1, 7);
    /// S1.1-08: Integrity check before updating software.
    pub const S1_1_08: CriterionId = CriterionId::new(1, 1, 8);
    /// S1.1-09: Policy for prioritising security updates.
    pub const S1_1_09: CriterionId = CriterionId::new(1, 1, 9);
    /// S1.1-10: Model number visible to users.
    pub const S1_1_10: CriterionId = CriterionId::new(1, 1, 10);
    /// S1.1-11: Secure storage of information assets to protect.
    pub const S1_1_11: CriterionId = CriterionId::new(1, 1, 11);
    /// S1.1-12: Protection against eavesdropping in transit.
    pub const S1_1_12: CriterionId = CriterionId::new(1, 1, 12);
    /// S1.1-13: Unneeded interfaces disabled and vulnerability scan.
    pub const S1_1_13: CriterionId = CriterionId::new(1, 1, 13);
    /// S1.1-14: Settings and updates survive power and network loss.
    pub const S1_1_14: CriterionId = CriterionId::new(1, 1, 14);
    /// S1.1-15: User data deletion that keeps the firmware version.
    pub const S1_1_15: CriterionId = CriterionId::new(1, 1, 15);
    /// S1.1-16: Security information for users.
    pub const S1_1_16: CriterionId = CriterionId::new(1, 1, 16);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_catalog_spelling() {
        for s in ["S1.1-04", "S1.1-13②", "S1.1-06③", "S2.3-10"] {
            let id: CriterionId = s.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(id.to_string(), s);
        }
        let id: CriterionId = "S1.1-13②".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(id.base(), star1::S1_1_13);
        assert_eq!(id.sub_condition(), Some(2));
        assert_eq!(star1::S1_1_13.item(2), id);
    }

    #[test]
    fn refuses_what_is_not_an_id() {
        for s in [
            "",
            "S1",
            "S1.1-4",
            "S1.1-04x",
            "S1.1-04②③",
            "T1.1-04",
            "S1.1-04 ",
            "S1.1-",
        ] {
            if s == "S1.1-04 " {
                // Surrounding space is forgiven, as people type it.
                assert!(s.parse::<CriterionId>().is_ok());
                continue;
            }
            assert!(s.parse::<CriterionId>().is_err(), "{s:?} accepted");
        }
    }

    #[test]
    fn base_id_of_text() {
        assert_eq!(base_id("S1.1-13②"), "S1.1-13");
        assert_eq!(base_id("S1.1-06③ (telnet)"), "S1.1-06");
        assert_eq!(base_id("S1.1-04"), "S1.1-04");
    }

    #[test]
    fn every_star1_constant_is_in_the_catalog() {
        let cat = Catalog::star1();
        for id in [
            star1::S1_1_01,
            star1::S1_1_02,
            star1::S1_1_03,
            star1::S1_1_04,
            star1::S1_1_05,
            star1::S1_1_06,
            star1::S1_1_07,
            star1::S1_1_08,
            star1::S1_1_09,
            star1::S1_1_10,
            star1::S1_1_11,
            star1::S1_1_12,
            star1::S1_1_13,
            star1::S1_1_14,
            star1::S1_1_15,
            star1::S1_1_16,
        ] {
            assert!(id.exists_in(cat), "{id} not in the ★1 catalog");
        }
        assert!(star1::S1_1_13.item(2).exists_in(cat));
        assert!(!star1::S1_1_13.item(9).exists_in(cat));
    }
}
