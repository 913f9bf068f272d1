//! Offline vulnerability data for S1.1-13 ② ("no known exploitable
//! vulnerability"): this crate owns the local store of NVD CVE records, OSV
//! records and CISA's Known Exploited Vulnerabilities catalog, the version
//! comparison each ecosystem needs, the identification of daemons from
//! their banners, SBOM (CycloneDX, SPDX) and VEX (OpenVEX, CycloneDX)
//! reading, matching, and the configurable verdict rule.
//!
//! It must not reach the network: feeds are files the user downloaded, so
//! a run is reproducible and works on an isolated test bench. It does not
//! scan devices (that is `jcstar-probe`) and does not print or exit; every
//! failure is a typed error naming the file, record and field.

pub mod banner;
pub mod cvss;
pub mod feed;
pub mod matcher;
pub mod model;
pub mod purl;
pub mod sbom;
pub mod store;
pub mod text;
pub mod verdict;
pub mod version;
pub mod vex;

pub use banner::{Identified, identify};
pub use feed::Problem;
pub use matcher::{Component, Confirmation, Match, MatchReport, Origin};
pub use model::{Cvss, KevEntry, Record, Source};
pub use store::{Backend, DEFAULT_PATH, ImportReport, Stats, VulnDb};
pub use verdict::{Outcome, Rule, Verdict};
pub use version::Scheme;

/// Text in both languages of the project; Japanese is the default.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Text {
    /// The Japanese text.
    pub ja: String,
    /// The English text.
    pub en: String,
}

impl Text {
    /// Text from its Japanese and English versions.
    pub fn new(ja: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            ja: ja.into(),
            en: en.into(),
        }
    }

    /// The English text when `english`, else the Japanese.
    pub fn get(&self, english: bool) -> &str {
        if english { &self.en } else { &self.ja }
    }
}

/// Why an operation on the vulnerability store or its inputs failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store could not be opened or created.
    #[error("cannot open the vulnerability store {url}: {message}")]
    Open {
        /// The store's location as given.
        url: String,
        /// Why it failed.
        message: String,
    },
    /// A feed file, directory or archive to import could not be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why it failed.
        message: String,
    },
    /// The database refused a query.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A record stored as JSON no longer parses.
    #[error("stored data is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// An SBOM could not be used.
    #[error(transparent)]
    Sbom(#[from] sbom::SbomError),
    /// A VEX document could not be used.
    #[error(transparent)]
    Vex(#[from] vex::VexError),
    /// Data inconsistent in another way; the message says how.
    #[error("{0}")]
    Data(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
