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
    pub ja: String,
    pub en: String,
}

impl Text {
    pub fn new(ja: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            ja: ja.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, english: bool) -> &str {
        if english { &self.en } else { &self.ja }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open the vulnerability store {url}: {message}")]
    Open { url: String, message: String },
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error(transparent)]
    Sbom(#[from] sbom::SbomError),
    #[error(transparent)]
    Vex(#[from] vex::VexError),
    #[error("{0}")]
    Data(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
