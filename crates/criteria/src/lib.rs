//! The JC-STAR criteria catalogs as data: the model, loading and validation of
//! the embedded ★1 catalog (and any catalog file a user points at), the
//! cross-scheme reference lookups, the mutual-recognition arrangements
//! ([`Recognition`]: which criteria a partner scheme's products are deemed
//! to meet, and the fee) and exports such as OSCAL.
//!
//! This crate owns what the scheme *requires*. It must not know about any
//! particular product, checklist answer, device or registry record, and it
//! never prints or exits: callers get typed errors naming the file and entry.

use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

mod id;
mod load;
mod lookup;
mod model;
mod oscal;
pub mod recognition;
pub mod show;

pub use id::{BadId, CriterionId, base_id, star1};
pub use load::{CatalogError, Problem};
pub use lookup::{LookupError, Match, SchemeReferences, normalise_provision};
pub use model::*;
pub use oscal::{OSCAL_NS, OSCAL_VERSION, control_id};
pub use recognition::{Arrangement, Recognition};
/// The shipped arrangements file, for tests that alter it.
pub const RECOGNITION_TOML_FOR_TESTS: &str = recognition::RECOGNITION_TOML;

/// The embedded ★1 catalog source. Kept at the workspace root so the data is
/// reviewed as data; the binary carries it, so no file is needed at run time.
pub const STAR1_TOML: &str = include_str!("../../../criteria/star1.toml");

/// The file name errors in the embedded catalog are reported against.
pub const STAR1_ORIGIN: &str = "criteria/star1.toml";

/// A loaded and validated catalog: one level of the scheme with its
/// categories, requirements, criteria, glossary and the schemes it refers to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Catalog {
    /// Identity of the catalog: level, title, source document and revision.
    pub meta: CatalogMeta,
    /// The security-requirement categories, in the order the source lists them.
    pub categories: Vec<Category>,
    /// The security requirements the criteria implement, each inside a category.
    pub requirements: Vec<Requirement>,
    /// Other schemes and documents the criteria are related to (ETSI EN 303 645, UK PSTI …).
    pub schemes: Vec<Scheme>,
    /// The glossary (用語定義) the criteria's terms refer to.
    pub terms: Vec<Term>,
    /// The conformity criteria (適合基準) of this level, in catalog order.
    pub criteria: Vec<Criterion>,
}

impl Catalog {
    /// The embedded ★1 catalog, parsed and validated on first use.
    ///
    /// The data is compiled in and a test loads it, so a failure here is a
    /// build defect, not bad user input; it is reported loudly rather than
    /// hidden behind an empty catalog.
    pub fn star1() -> &'static Catalog {
        static STAR1: OnceLock<Catalog> = OnceLock::new();
        STAR1.get_or_init(|| match Catalog::from_toml_str(STAR1_TOML, STAR1_ORIGIN) {
            Ok(c) => c,
            Err(e) => panic!("the embedded ★1 catalog is invalid: {e}"),
        })
    }

    /// Load and validate a catalog file.
    pub fn from_path(path: &Path) -> Result<Catalog, CatalogError> {
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| CatalogError::Io {
            origin: origin.clone(),
            source,
        })?;
        let src = String::from_utf8(bytes).map_err(|e| CatalogError::Parse {
            origin: origin.clone(),
            line: 0,
            column: 0,
            entry: None,
            message: format!(
                "the file is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        })?;
        Catalog::from_toml_str(&src, &origin)
    }

    /// Parse and validate catalog TOML; `origin` names the source in errors.
    pub fn from_toml_str(src: &str, origin: &str) -> Result<Catalog, CatalogError> {
        load::parse(src, origin)
    }

    /// The criterion with this exact id.
    pub fn criterion(&self, id: &str) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.id == id)
    }

    /// Criterion ids in catalog order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.criteria.iter().map(|c| c.id.as_str())
    }

    /// Look a criterion up the way a person types it: exact, or ignoring case
    /// and surrounding space (`s1.1-03`).
    pub fn find_criterion(&self, input: &str) -> Option<&Criterion> {
        let t = input.trim();
        self.criterion(t)
            .or_else(|| self.criteria.iter().find(|c| c.id.eq_ignore_ascii_case(t)))
    }

    /// Criterion ids close to `input`, best first, for "did you mean" hints.
    /// Also matches a bare number (`3` or `03` → `S<level>.1-03`).
    pub fn suggest(&self, input: &str) -> Vec<&str> {
        let t = input.trim().to_ascii_uppercase();
        let tail = t.rsplit(['-', '.']).next().unwrap_or("");
        let mut scored: Vec<(f64, &str)> = self
            .criteria
            .iter()
            .map(|c| {
                let id = c.id.as_str();
                let num_match = tail.parse::<u32>().ok().is_some_and(|n| {
                    id.rsplit('-').next().and_then(|x| x.parse::<u32>().ok()) == Some(n)
                });
                let score = strsim::normalized_levenshtein(&t, &id.to_ascii_uppercase())
                    + if num_match { 0.5 } else { 0.0 };
                (score, id)
            })
            .filter(|(score, _)| *score >= 0.6)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(3).map(|(_, id)| id).collect()
    }

    /// The glossary term with this exact id.
    pub fn term(&self, id: &str) -> Option<&Term> {
        self.terms.iter().find(|t| t.id == id)
    }

    /// The security-requirement category with this number.
    pub fn category(&self, number: u32) -> Option<&Category> {
        self.categories.iter().find(|c| c.number == number)
    }

    /// The security requirement with this exact id, e.g. `1-3`.
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }
}

/// Language of user-facing text. Japanese is the scheme's own language and the
/// default everywhere; English is offered for foreign vendors and procurers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Japanese, the scheme's own language.
    #[default]
    Ja,
    /// English.
    En,
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" | "jp" | "japanese" => Ok(Lang::Ja),
            "en" | "english" => Ok(Lang::En),
            other => Err(format!("unknown language `{other}`: expected `ja` or `en`")),
        }
    }
}

/// A piece of text the catalog carries in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// The Japanese text, as the scheme publishes it.
    pub ja: String,
    /// The English text.
    pub en: String,
}

impl Text {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }
}
