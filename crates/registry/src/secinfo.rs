//! Security information documents a vendor attaches to a label: SBOMs per
//! firmware version and VEX documents.
//!
//! The documents themselves are kept, byte for byte, in a content-addressed
//! table (`documents`, keyed by SHA-256) written in the same transaction as
//! the event; the event carries the digest and a summary, so the hash chain
//! covers the content while the public event feed stays small.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Largest SBOM or VEX document accepted, in bytes (the API's request body
/// limit is 1 MiB, the document is sent inside it).
pub const MAX_DOCUMENT_BYTES: usize = 768 * 1024;

/// What kind of document is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// A CycloneDX or SPDX JSON SBOM.
    Sbom,
    /// An OpenVEX or CycloneDX VEX document.
    Vex,
    /// A CSAF 2.0 advisory.
    Csaf,
}

impl DocumentKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Sbom => "sbom",
            DocumentKind::Vex => "vex",
            DocumentKind::Csaf => "csaf",
        }
    }
}

/// An SBOM as the API receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SbomUpload {
    /// The firmware version the SBOM describes (one the label lists).
    pub firmware_version: String,
    /// The SBOM: CycloneDX 1.4–1.6 JSON or SPDX 2.3 JSON.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

/// A VEX document as the API receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VexUpload {
    /// The VEX document: OpenVEX or CycloneDX VEX JSON.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

/// A CSAF 2.0 advisory as the API receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CsafUpload {
    /// The advisory: CSAF 2.0 JSON.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

/// An SBOM attached to a label (payload of `sbom_attached`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SbomRef {
    /// The firmware version it describes.
    pub firmware_version: String,
    /// SHA-256 of the document's bytes (lowercase hex); its stable address.
    pub sha256: String,
    /// `cyclonedx` or `spdx`.
    pub format: String,
    /// The specification version the document declares.
    pub spec_version: String,
    /// Number of components read from it.
    pub components: u64,
    /// Size of the document in bytes.
    pub bytes: u64,
    /// Day it was attached (Japan).
    pub attached_on: NaiveDate,
}

/// One statement of a published VEX document, as the product page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VexLine {
    /// The vulnerability's id (CVE or other).
    pub vulnerability: String,
    /// `not_affected`, `affected`, `fixed` or `under_investigation`.
    pub status: String,
    /// Why the products are not affected (justification keyword).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The statement's free text (impact, action or analysis detail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The products named (purl, CPE or bom-ref).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
}

/// A VEX document published for a label (payload of `vex_published`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VexRef {
    /// SHA-256 of the document's bytes (lowercase hex); its stable address.
    pub sha256: String,
    /// `openvex` or `cyclonedx`.
    pub format: String,
    /// Size of the document in bytes.
    pub bytes: u64,
    /// Day it was published (Japan).
    pub published_on: NaiveDate,
    /// Its statements, in document order.
    pub statements: Vec<VexLine>,
}

/// A stored document, as served at its stable address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// SBOM or VEX.
    pub kind: DocumentKind,
    /// SHA-256 of `body`.
    pub sha256: String,
    /// The document exactly as attached.
    pub body: String,
}

/// Where a known vulnerability of a label stands, as the product page says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VulnStanding {
    /// The vendor is investigating.
    UnderInvestigation,
    /// A published update fixes it.
    Fixed,
    /// The products are not affected.
    NotAffected,
    /// The products are affected and no fix is published.
    AffectedNoFix,
}

/// One known vulnerability of a label and where it stands, from the
/// vendor's vulnerability entries, VEX statements and updates (the newest
/// statement wins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VulnStatus {
    /// The vulnerability's id.
    pub id: String,
    /// Where it stands.
    pub standing: VulnStanding,
    /// The version that fixes it, when fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_in: Option<String>,
    /// Why not affected (VEX justification), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// Day of the statement that decided it.
    pub as_of: NaiveDate,
}

/// The SHA-256 of `bytes` in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Whether `s` looks like a CVE id (`CVE-YYYY-NNNN…`).
pub fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && (4..=19).contains(&num.len())
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// Every known vulnerability of `info` with its standing, newest decision
/// first. A finding of the registry's watch counts as affected with no fix;
/// a CSAF advisory's product status counts like a VEX statement;
/// a `fixes` list of an update makes a vulnerability fixed in that version;
/// of statements on the same day, updates win over VEX, VEX over entries,
/// entries over findings; a later statement overrides an earlier one.
pub fn vulnerability_statuses(info: &crate::SecurityInfo) -> Vec<VulnStatus> {
    use crate::VulnerabilityState as S;
    let mut all: Vec<(NaiveDate, u8, VulnStatus)> = Vec::new();
    for f in &info.findings {
        all.push((
            f.found_on,
            0,
            VulnStatus {
                id: f.vuln_id.clone(),
                standing: VulnStanding::AffectedNoFix,
                fixed_in: None,
                justification: None,
                as_of: f.found_on,
            },
        ));
    }
    for v in &info.vulnerabilities {
        let standing = match v.state {
            S::Investigating => VulnStanding::UnderInvestigation,
            S::Fixed => VulnStanding::Fixed,
            S::Mitigated | S::NotAffected => VulnStanding::NotAffected,
        };
        let day = v.updated_on.unwrap_or(v.published_on);
        all.push((
            day,
            0,
            VulnStatus {
                id: v.id.clone(),
                standing,
                fixed_in: v.fixed_in.clone(),
                justification: None,
                as_of: day,
            },
        ));
    }
    for vex in &info.vex {
        for s in &vex.statements {
            let standing = match s.status.as_str() {
                "not_affected" => VulnStanding::NotAffected,
                "fixed" => VulnStanding::Fixed,
                "affected" => VulnStanding::AffectedNoFix,
                _ => VulnStanding::UnderInvestigation,
            };
            all.push((
                vex.published_on,
                1,
                VulnStatus {
                    id: s.vulnerability.clone(),
                    standing,
                    fixed_in: None,
                    justification: s.justification.clone(),
                    as_of: vex.published_on,
                },
            ));
        }
    }
    for a in &info.advisories {
        for s in &a.statements {
            let standing = match s.status.as_str() {
                "not_affected" => VulnStanding::NotAffected,
                "fixed" => VulnStanding::Fixed,
                "affected" => VulnStanding::AffectedNoFix,
                _ => VulnStanding::UnderInvestigation,
            };
            all.push((
                a.published_on,
                1,
                VulnStatus {
                    id: s.vulnerability.clone(),
                    standing,
                    fixed_in: None,
                    justification: None,
                    as_of: a.published_on,
                },
            ));
        }
    }
    for u in &info.updates {
        for id in &u.fixes {
            all.push((
                u.released_on,
                2,
                VulnStatus {
                    id: id.clone(),
                    standing: VulnStanding::Fixed,
                    fixed_in: Some(u.version.clone()),
                    justification: None,
                    as_of: u.released_on,
                },
            ));
        }
    }
    // Stable sort by day and rank, then keep the last word per id.
    all.sort_by_key(|(d, rank, _)| (*d, *rank));
    let mut out: Vec<VulnStatus> = Vec::new();
    for (_, _, s) in all {
        match out.iter_mut().find(|x| x.id == s.id) {
            Some(slot) => *slot = s,
            None => out.push(s),
        }
    }
    // A finding is known by the record's id (an OSV id, say) while the
    // vendor speaks of its CVE: a later fix or not_affected under an alias
    // settles the finding too.
    for f in &info.findings {
        let settled = out
            .iter()
            .filter(|s| f.aliases.contains(&s.id) && s.as_of >= f.found_on)
            .filter(|s| matches!(s.standing, VulnStanding::Fixed | VulnStanding::NotAffected))
            .max_by_key(|s| s.as_of)
            .cloned();
        if let (Some(by), Some(slot)) = (settled, out.iter_mut().find(|s| s.id == f.vuln_id))
            && slot.standing == VulnStanding::AffectedNoFix
        {
            slot.standing = by.standing;
            slot.fixed_in = by.fixed_in;
            slot.justification = by.justification;
            slot.as_of = by.as_of;
        }
    }
    out.sort_by(|a, b| b.as_of.cmp(&a.as_of).then_with(|| a.id.cmp(&b.id)));
    out
}
