//! The records the store holds, independent of the feed they came from.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::version::{self, Scheme};

/// Where a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// An NVD CVE record (CVE JSON 2.0 feed).
    Nvd,
    /// An OSV record.
    Osv,
}

impl Source {
    /// The lower-case name stored and shown (`nvd`, `osv`).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Nvd => "nvd",
            Source::Osv => "osv",
        }
    }
}

/// One CVSS base score with its vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// "3.0", "3.1" or "4.0".
    pub version: String,
    /// Absent when the source gives only a vector (OSV).
    #[serde(default)]
    pub score: Option<f64>,
    /// The CVSS vector string, e.g. `CVSS:3.1/AV:N/AC:L/...`.
    pub vector: String,
    /// NVD's `Primary` (its own analysis) or `Secondary` (a CNA's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A vulnerability record: one NVD CVE or one OSV entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The record's id: a CVE id for NVD, the OSV id (`GHSA-…`, `DSA-…`) for OSV.
    pub id: String,
    /// The feed the record came from.
    pub source: Source,
    /// Other ids of the same vulnerability (e.g. the CVE of an OSV entry).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Short description (NVD's English description, OSV's `summary`).
    #[serde(default)]
    pub summary: String,
    /// When the record was first published (RFC 3339 UTC), if known.
    #[serde(default)]
    pub published: Option<String>,
    /// Normalised to RFC 3339 UTC, so it orders as a string.
    pub modified: String,
    /// NVD `Rejected`, OSV `withdrawn`.
    #[serde(default)]
    pub withdrawn: bool,
    /// CVSS ratings the record carries.
    #[serde(default)]
    pub cvss: Vec<Cvss>,
    /// The products or packages affected, with their versions.
    #[serde(default)]
    pub affected: Vec<Affected>,
    /// Reference URLs (advisories, fixes).
    #[serde(default)]
    pub references: Vec<String>,
}

impl Record {
    /// The score a verdict uses: CVSS v3.x first, as NVD and most vendors
    /// still rate in it, the primary (NVD) rating before a CNA's; v4 when
    /// it is the only one.
    pub fn best_cvss(&self) -> Option<&Cvss> {
        let rank = |c: &Cvss| {
            let v = if c.version.starts_with('3') {
                2
            } else if c.version.starts_with('4') {
                1
            } else {
                0
            };
            let primary = i32::from(c.kind.as_deref() == Some("Primary"));
            (v, primary, c.version.clone())
        };
        self.cvss.iter().max_by(|a, b| rank(a).cmp(&rank(b)))
    }

    /// The record's id and aliases, for VEX and KEV look-ups.
    pub fn all_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// What an affected entry is about.
// Externally tagged: an internally tagged enum makes serde buffer every
// entry, which dominated matching time over large candidate sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// A CPE 2.3 vendor and product (NVD configurations).
    Cpe {
        /// CPE part: `a` application, `o` operating system, `h` hardware.
        part: String,
        /// CPE vendor, e.g. `openbsd`.
        vendor: String,
        /// CPE product, e.g. `openssh`.
        product: String,
    },
    /// A package of an OSV ecosystem (`Debian:12`, `npm`, `PyPI`, ...).
    Package {
        /// OSV ecosystem, possibly with a release (`Debian:12`).
        ecosystem: String,
        /// Package name as OSV spells it in that ecosystem.
        name: String,
    },
}

impl Target {
    /// The index key: products of any version or ecosystem release share it.
    pub fn key(&self) -> String {
        match self {
            Target::Cpe {
                vendor, product, ..
            } => cpe_key(vendor, product),
            Target::Package { ecosystem, name } => package_key(ecosystem, name),
        }
    }
}

/// The index key of a CPE vendor and product (case folded).
pub fn cpe_key(vendor: &str, product: &str) -> String {
    format!(
        "cpe:{}:{}",
        vendor.to_ascii_lowercase(),
        product.to_ascii_lowercase()
    )
}

/// Ecosystem releases (`Debian:12`) share the key of the ecosystem; the
/// release is checked when matching. PyPI names are normalised as pip does.
pub fn package_key(ecosystem: &str, name: &str) -> String {
    let base = ecosystem
        .split(':')
        .next()
        .unwrap_or(ecosystem)
        .to_ascii_lowercase();
    let name = if base == "pypi" {
        name.to_ascii_lowercase().replace(['_', '.'], "-")
    } else if base == "debian" || base == "ubuntu" || base == "alpine" {
        name.to_ascii_lowercase()
    } else {
        name.to_string()
    };
    format!("pkg:{base}/{name}")
}

/// One end of a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bound {
    /// The version at this end.
    pub version: String,
    /// Whether the version itself belongs to the range.
    pub inclusive: bool,
}

/// A contiguous range; a missing end is unbounded.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Interval {
    /// Lower end; `None` for no lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Bound>,
    /// Upper end; `None` for no upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Bound>,
}

impl Interval {
    /// Whether `v` lies in the range under `scheme`; an error when a version cannot be compared.
    pub fn contains(&self, scheme: Scheme, v: &str) -> Result<bool, version::VersionError> {
        if let Some(s) = &self.start {
            let o = version::compare(scheme, v, &s.version)?;
            if o == Ordering::Less || (o == Ordering::Equal && !s.inclusive) {
                return Ok(false);
            }
        }
        if let Some(e) = &self.end {
            let o = version::compare(scheme, v, &e.version)?;
            if o == Ordering::Greater || (o == Ordering::Equal && !e.inclusive) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// `>= 1.0, < 2.0`; `all versions` is the caller's to word.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.start {
            parts.push(format!(
                "{} {}",
                if s.inclusive { ">=" } else { ">" },
                s.version
            ));
        }
        if let Some(e) = &self.end {
            parts.push(format!(
                "{} {}",
                if e.inclusive { "<=" } else { "<" },
                e.version
            ));
        }
        if parts.is_empty() {
            "*".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// One product or package a record affects, with the versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// The product or package.
    pub target: Target,
    /// How its versions compare.
    pub scheme: Scheme,
    /// Affected when the version is in any interval ...
    #[serde(default)]
    pub ranges: Vec<Interval>,
    /// ... or equal to one of these.
    #[serde(default)]
    pub versions: Vec<String>,
    /// Other configuration parts the record requires (an NVD AND node:
    /// "this application on that platform"), shown but not checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// Where in the source record this came from, for the "why" of a match.
    pub path: String,
    /// The CPE criteria string, when the entry came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria: Option<String>,
}

/// What matching needs of one [`Affected`] entry to decide whether a
/// version is affected, stored next to the full record under the entry's
/// key at import time, so matching decodes full records only for real
/// matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// The OSV ecosystem of a package entry (`Debian:12`); `None` for a
    /// CPE entry.
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    /// How the versions compare.
    #[serde(rename = "s")]
    pub scheme: Scheme,
    /// The affected ranges.
    #[serde(rename = "r", default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Interval>,
    /// The affected versions.
    #[serde(rename = "v", default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

impl IndexEntry {
    /// The compact form of `a`.
    pub fn of(a: &Affected) -> IndexEntry {
        IndexEntry {
            ecosystem: match &a.target {
                Target::Cpe { .. } => None,
                Target::Package { ecosystem, .. } => Some(ecosystem.clone()),
            },
            scheme: a.scheme,
            ranges: a.ranges.clone(),
            versions: a.versions.clone(),
        }
    }
}

/// A CISA Known Exploited Vulnerabilities entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KevEntry {
    /// The CVE id.
    pub cve_id: String,
    /// KEV `vendorProject`.
    #[serde(default)]
    pub vendor_project: String,
    /// KEV `product`.
    #[serde(default)]
    pub product: String,
    /// KEV `vulnerabilityName`.
    #[serde(default)]
    pub name: String,
    /// When CISA added it (`dateAdded`, `YYYY-MM-DD`).
    #[serde(default)]
    pub date_added: String,
    /// CISA's remediation deadline for US federal agencies (`dueDate`).
    #[serde(default)]
    pub due_date: String,
    /// What CISA asks be done (`requiredAction`).
    #[serde(default)]
    pub required_action: String,
    /// KEV `knownRansomwareCampaignUse`: `Known` or `Unknown`.
    #[serde(default)]
    pub known_ransomware: String,
}
