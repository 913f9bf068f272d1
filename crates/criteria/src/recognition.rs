//! Mutual-recognition arrangements as data (`criteria/recognition.toml`):
//! which criteria a product recognised under a partner scheme is deemed to
//! meet, what must be supplied to claim it, and the fee the arrangement
//! sets. The checklist rules apply the waiver; the registry reads the fee.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::{Catalog, Text};

/// The shipped arrangements file, compiled in.
pub const RECOGNITION_TOML: &str = include_str!("../../../criteria/recognition.toml");
/// The file name errors in the shipped arrangements are reported against.
pub const RECOGNITION_ORIGIN: &str = "criteria/recognition.toml";

/// One arrangement with a partner scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Arrangement {
    /// Stable id, e.g. `uk-psti`; the checklist names it.
    pub id: String,
    /// The catalog's scheme id of the partner scheme.
    pub partner: String,
    /// Name of the arrangement.
    pub title: Text,
    /// The label level the arrangement applies to.
    pub level: u32,
    /// `YYYY-MM-DD`.
    pub in_force_from: String,
    /// Criteria deemed met (and waived on the checklist) for a product
    /// recognised under the partner scheme.
    pub deemed_met: Vec<String>,
    /// Whether the partner scheme's statement (document or URL) must be
    /// supplied to claim the waiver.
    pub statement_required: bool,
    /// What that statement is.
    pub statement: Text,
    /// Fee of an application under the arrangement, in yen.
    pub fee_jpy: u64,
    /// The fee it replaces, in yen.
    pub standard_fee_jpy: u64,
    /// What the partner recognises in return, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reciprocal: Option<Text>,
    /// Where the arrangement is published.
    pub source: Text,
}

/// The mutual-recognition arrangements jcstar knows, as read from a recognition file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recognition {
    /// One entry per partner-scheme arrangement.
    pub arrangements: Vec<Arrangement>,
}

/// Why a recognition file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecognitionError {
    /// The file is not valid TOML or does not have the expected shape.
    #[error("{origin}: {message}")]
    Parse {
        /// The file the arrangements were read from.
        origin: String,
        /// The parser's message.
        message: String,
    },
    /// An arrangement is inconsistent with itself or with the catalog.
    #[error("{origin}: arrangement `{arrangement}`: {message}")]
    Invalid {
        /// The file the arrangements were read from.
        origin: String,
        /// Id of the arrangement at fault.
        arrangement: String,
        /// What is wrong.
        message: String,
    },
}

impl Recognition {
    /// The arrangements shipped with jcstar, checked against the ★1 catalog.
    pub fn builtin() -> &'static Recognition {
        static R: OnceLock<Recognition> = OnceLock::new();
        R.get_or_init(|| {
            match Recognition::from_toml_str(RECOGNITION_TOML, RECOGNITION_ORIGIN, Catalog::star1())
            {
                Ok(r) => r,
                Err(e) => panic!("the embedded recognition data is invalid: {e}"),
            }
        })
    }

    /// Parses and checks arrangements: ids unique, partner a scheme of the
    /// catalog, deemed-met criteria in the catalog, fees set.
    pub fn from_toml_str(
        src: &str,
        origin: &str,
        catalog: &Catalog,
    ) -> Result<Recognition, RecognitionError> {
        let r: Recognition = toml::from_str(src).map_err(|e| RecognitionError::Parse {
            origin: origin.to_string(),
            message: e.message().trim().to_string(),
        })?;
        let invalid = |a: &Arrangement, message: String| RecognitionError::Invalid {
            origin: origin.to_string(),
            arrangement: a.id.clone(),
            message,
        };
        for (i, a) in r.arrangements.iter().enumerate() {
            if r.arrangements.iter().take(i).any(|b| b.id == a.id) {
                return Err(invalid(a, "the id is used twice".into()));
            }
            if !catalog.schemes.iter().any(|s| s.id == a.partner) {
                return Err(invalid(
                    a,
                    format!("partner `{}` is not a scheme of the catalog", a.partner),
                ));
            }
            if let Some(c) = a.deemed_met.iter().find(|c| catalog.criterion(c).is_none()) {
                return Err(invalid(a, format!("criterion `{c}` is not in the catalog")));
            }
            if a.deemed_met.is_empty() || a.fee_jpy == 0 || a.standard_fee_jpy == 0 {
                return Err(invalid(
                    a,
                    "deemed-met, fee-jpy and standard-fee-jpy must be given".into(),
                ));
            }
        }
        Ok(r)
    }

    /// The arrangement with this exact id, e.g. `uk-psti`.
    pub fn get(&self, id: &str) -> Option<&Arrangement> {
        self.arrangements.iter().find(|a| a.id == id)
    }
}

impl Arrangement {
    /// Whether the arrangement deems `criterion` met, so the checklist waives it.
    pub fn waives(&self, criterion: &str) -> bool {
        self.deemed_met.iter().any(|c| c == criterion)
    }
}
