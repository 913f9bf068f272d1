//! The watch: every Active label's latest SBOM matched against the offline
//! vulnerability store (`jcstar-vulndb`), for the operator's surveillance
//! decision.
//!
//! A match counts when its record is known-exploited or rated CVSS 7.0 or
//! higher, and neither the vendor's VEX statements nor the label's security
//! information settle it (a published fix, or `not_affected`). Each run is a
//! `watch_run` event; each match first seen on a label is a
//! `vulnerability_found` event on that label, so its public history says
//! when the vulnerability became known to the registry.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Registry;
use crate::auth::{Action, Resource, authorize};
use crate::commands::Step;
use crate::error::{Error, Result};
use crate::events::Payload;
use crate::model::*;
use crate::secinfo::{VulnStanding, vulnerability_statuses};

/// CVSS base score from which a record counts without being known-exploited.
pub const HIGH_SEVERITY: f64 = 7.0;

/// A vulnerability the watch found in a label's SBOM (payload of
/// `vulnerability_found`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The record's id (CVE or OSV id).
    pub vuln_id: String,
    /// The record's other ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The SBOM component that matched.
    pub component: String,
    /// The component's version.
    pub version: String,
    /// The CVSS base score, when the record has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<f64>,
    /// Whether the vulnerability is in CISA's KEV catalog.
    pub known_exploited: bool,
    /// The firmware version whose SBOM matched.
    pub firmware_version: String,
    /// SHA-256 of that SBOM.
    pub sbom_sha256: String,
    /// Day the registry first found it (Japan).
    pub found_on: NaiveDate,
}

// Scores are read from the store and never NaN.
impl Eq for Finding {}

/// Payload of `watch_run`: what one run looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchRun {
    /// Active labels looked at.
    pub labels: u64,
    /// SBOMs matched (one per label that has one).
    pub sboms: u64,
    /// Unsettled findings after the run.
    pub findings: u64,
    /// Findings first seen in this run.
    pub new_findings: u64,
}

/// One line of the watch list: a label and an unsettled finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WatchItem {
    /// The label's registration number.
    pub number: String,
    /// The vendor organisation holding the label.
    pub org: String,
    /// The first product's name.
    pub product: String,
    /// What was found.
    pub finding: Finding,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WatchReport {
    /// What the run looked at (also recorded as the `watch_run` event).
    pub run: WatchRun,
    /// Every label with an unsettled finding, by registration number.
    pub items: Vec<WatchItem>,
}

fn vulndb_error(e: jcstar_vulndb::Error) -> Error {
    Error::Io(std::io::Error::other(format!("vulnerability store: {e}")))
}

/// Whether the label's own security information settles `f`.
fn settled(label: &Label, f: &Finding) -> bool {
    vulnerability_statuses(&label.security).iter().any(|s| {
        (s.id == f.vuln_id || f.aliases.contains(&s.id))
            && matches!(s.standing, VulnStanding::Fixed | VulnStanding::NotAffected)
    })
}

/// The unsettled findings of one label.
fn open_items(label: &Label) -> Vec<WatchItem> {
    label
        .security
        .findings
        .iter()
        .filter(|f| !settled(label, f))
        .map(|f| WatchItem {
            number: label.number.clone(),
            org: label.org.clone(),
            product: label
                .products
                .first()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            finding: f.clone(),
        })
        .collect()
}

/// Match one label's latest SBOM; the serious, unsettled matches.
async fn check_label(
    reg: &Registry,
    db: &jcstar_vulndb::VulnDb,
    label: &Label,
) -> Result<Vec<Finding>> {
    let Some(sref) = label.security.sboms.last() else {
        return Ok(Vec::new());
    };
    let store = &reg.inner.store;
    let Some(body) = store.document(&sref.sha256).await? else {
        return Err(Error::Corrupt(format!(
            "label {}: SBOM {} cited but not kept",
            label.number, sref.sha256
        )));
    };
    let sbom = jcstar_vulndb::sbom::parse(&sref.sha256, body.as_bytes())
        .map_err(|e| Error::Corrupt(format!("label {}: {e}", label.number)))?;
    let mut vex = Vec::new();
    for v in &label.security.vex {
        if let Some(b) = store.document(&v.sha256).await?
            && let Ok(doc) = jcstar_vulndb::vex::parse(&v.sha256, b.as_bytes())
        {
            vex.push(doc);
        }
    }
    let report = jcstar_vulndb::matcher::match_components(db, &sbom.components, &vex)
        .await
        .map_err(vulndb_error)?;
    let today = reg.today();
    let mut out: Vec<Finding> = Vec::new();
    for m in report.matches {
        let score = m.cvss.as_ref().and_then(|c| c.score);
        let serious = m.known_exploited || score.is_some_and(|s| s >= HIGH_SEVERITY);
        let cleared = m.vex.as_ref().is_some_and(|v| {
            matches!(
                v.status,
                jcstar_vulndb::vex::VexStatus::NotAffected | jcstar_vulndb::vex::VexStatus::Fixed
            )
        });
        if !serious || cleared || out.iter().any(|f| f.vuln_id == m.vuln_id) {
            continue;
        }
        let f = Finding {
            vuln_id: m.vuln_id.clone(),
            aliases: m.aliases.clone(),
            component: m.component.name.clone(),
            version: m.version.clone(),
            cvss: score,
            known_exploited: m.known_exploited,
            firmware_version: sref.firmware_version.clone(),
            sbom_sha256: sref.sha256.clone(),
            found_on: today,
        };
        if !settled(label, &f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// Run the watch (operator only): see the module documentation.
pub async fn run(reg: &Registry, actor: &Actor, db: &jcstar_vulndb::VulnDb) -> Result<WatchReport> {
    authorize(actor, Action::Surveillance, Resource::none())?;
    crate::commands::require_named(actor)?;
    let mut run = WatchRun {
        labels: 0,
        sboms: 0,
        findings: 0,
        new_findings: 0,
    };
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = crate::queries::labels_after(reg, after.as_deref(), 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.number.clone());
        for label in page {
            if label.status != LabelStatus::Active {
                continue;
            }
            run.labels += 1;
            if label.security.sboms.is_empty() {
                items.extend(open_items(&label));
                continue;
            }
            run.sboms += 1;
            let found = check_label(reg, db, &label).await?;
            let new: Vec<Finding> = found
                .into_iter()
                .filter(|f| {
                    !label
                        .security
                        .findings
                        .iter()
                        .any(|g| g.vuln_id == f.vuln_id && g.sbom_sha256 == f.sbom_sha256)
                })
                .collect();
            if new.is_empty() {
                items.extend(open_items(&label));
                continue;
            }
            run.new_findings += new.len() as u64;
            let mut step = Step::begin(reg).await?.with_label(&label.number).await?;
            for f in new {
                step.record(actor, None, Payload::VulnerabilityFound(f))
                    .await?;
            }
            let label = step.finish_label().await?;
            items.extend(open_items(&label));
        }
    }
    run.findings = items.len() as u64;
    let mut step = Step::begin(reg).await?;
    step.record(actor, None, Payload::WatchRun(run.clone()))
        .await?;
    step.finish().await?;
    Ok(WatchReport { run, items })
}

/// The watch list as `actor` may see it: the operator every label's
/// unsettled findings, a vendor its own labels' only.
pub async fn list(reg: &Registry, actor: &Actor) -> Result<Vec<WatchItem>> {
    let own = match actor.role {
        Role::Operator => None,
        Role::Vendor if !actor.org.is_empty() => Some(actor.org.as_str()),
        _ => {
            authorize(actor, Action::Surveillance, Resource::none())?;
            return Ok(Vec::new());
        }
    };
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = crate::queries::labels_after(reg, after.as_deref(), 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.number.clone());
        for label in page {
            if own.is_none_or(|o| o == label.org) {
                items.extend(open_items(&label));
            }
        }
    }
    Ok(items)
}
