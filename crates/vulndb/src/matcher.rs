//! Matching components (from a banner or an SBOM) against the store. Every
//! match carries why it matched: the product key, the version, the range
//! or listed version that contains it, and where in the record that came
//! from.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::banner::Identified;
use crate::model::{
    Affected, Cvss, IndexEntry, Interval, KevEntry, Record, Source, Target, cpe_key, package_key,
};
use crate::purl::Purl;
use crate::version::{self, Scheme};
use crate::vex::{VexApplied, VexDocument};
use crate::{Result, Text, VulnDb};

/// Where a component was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Origin {
    /// Identified from a network banner.
    Banner {
        /// The banner as received.
        banner: String,
        /// Distribution text the banner carries, e.g. `Debian-2+deb12u3`.
        #[serde(skip_serializing_if = "Option::is_none")]
        distro: Option<String>,
    },
    /// Listed in an SBOM.
    Sbom {
        /// The SBOM file.
        file: String,
        /// The component's `bom-ref` or SPDX id, else its JSON path.
        bom_ref: String,
        /// JSON path of the component in the SBOM.
        path: String,
    },
}

/// Something with a name and (ideally) a version to look up.
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    /// Name for people (product or package name).
    pub name: String,
    /// Version to compare; `None` when unknown, and the component is then skipped.
    pub version: Option<String>,
    /// CPE vendor and product pairs.
    pub cpe: Vec<(String, String)>,
    /// Package URL, when the SBOM gives a valid one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Where the component was seen.
    pub origin: Origin,
}

impl Component {
    /// The component a banner identification stands for.
    pub fn from_banner(id: &Identified, banner: &str) -> Component {
        Component {
            name: id.product.clone(),
            version: id.version.clone(),
            cpe: id.cpe.clone(),
            purl: None,
            origin: Origin::Banner {
                banner: banner.to_string(),
                distro: id.distro.clone(),
            },
        }
    }

    fn parsed_purl(&self) -> Option<Purl> {
        self.purl.as_deref().and_then(Purl::parse)
    }

    /// The store keys this component is indexed under.
    pub fn keys(&self) -> Vec<String> {
        let mut k: Vec<String> = self.cpe.iter().map(|(v, p)| cpe_key(v, p)).collect();
        if let Some(p) = self.parsed_purl()
            && let Some(eco) = p.ecosystem()
        {
            k.push(package_key(&eco, &p.osv_name()));
        }
        k
    }
}

/// Why a match should be checked by a person before it counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Confirmation {
    /// The banner shows a distribution package: its maintainers may have
    /// backported the fix without changing the upstream version.
    DistributionBanner {
        /// The distribution text of the banner.
        distro: String,
    },
    /// A distribution package compared against upstream (CPE) ranges.
    DistributionPackage {
        /// The package URL of the distribution package.
        purl: String,
    },
}

impl Confirmation {
    /// The reason in Japanese and English.
    pub fn text(&self) -> Text {
        match self {
            Confirmation::DistributionBanner { distro } => Text::new(
                format!(
                    "バナーがディストリビューションのパッケージ（{distro}）を示しています。修正がバックポートされている可能性があるため、パッケージの変更履歴か VEX で確認が必要です"
                ),
                format!(
                    "the banner shows a distribution package ({distro}); the fix may have been backported, so confirm with the package changelog or a VEX statement"
                ),
            ),
            Confirmation::DistributionPackage { purl } => Text::new(
                format!(
                    "ディストリビューションのパッケージ {purl} を上流の版数範囲と比較しています。バックポートの有無を確認してください"
                ),
                format!(
                    "distribution package {purl} compared against upstream version ranges; check for a backported fix"
                ),
            ),
        }
    }
}

/// One record that affects one component.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    /// The record's id (CVE or OSV id).
    pub vuln_id: String,
    /// The feed the record came from.
    pub source: Source,
    /// The record's other ids.
    pub aliases: Vec<String>,
    /// The record's short description.
    pub summary: String,
    /// The component that matched.
    pub component: Component,
    /// The store key that led here (`cpe:openbsd:openssh`).
    pub matched_on: String,
    /// The version compared and how.
    pub version: String,
    /// The version scheme of the comparison.
    pub scheme: Scheme,
    /// `< 9.6`, `>= 2.0, < 2.4.1`, `= 1.2.3`, `*` (all versions).
    pub range: String,
    /// Where in the record: `$.vulnerabilities[0].cve.configurations[0]...`.
    pub record_path: String,
    /// The CPE criteria string of the matching NVD configuration, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criteria: Option<String>,
    /// Platform parts of the configuration that were not checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// The rating the verdict uses (see [`crate::Record::best_cvss`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Cvss>,
    /// Whether the vulnerability is in CISA's KEV catalog.
    pub known_exploited: bool,
    /// The KEV entry, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kev: Option<KevEntry>,
    /// Why a person should confirm the match before it counts, if they should.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs_confirmation: Option<Confirmation>,
    /// The VEX statement applied to the match, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vex: Option<VexApplied>,
}

impl Match {
    /// Why it matched, in a sentence.
    pub fn why(&self) -> Text {
        let range = if self.range == "*" {
            Text::new("全版数", "all versions")
        } else {
            Text::new(self.range.clone(), self.range.clone())
        };
        Text::new(
            format!(
                "{} の版数 {} が {} の範囲 {} に含まれます（{}、{}）",
                self.component.name,
                self.version,
                self.matched_on,
                range.ja,
                self.scheme.as_str(),
                self.record_path
            ),
            format!(
                "{} version {} is within {} of {} ({} comparison, {})",
                self.component.name,
                self.version,
                range.en,
                self.matched_on,
                self.scheme.as_str(),
                self.record_path
            ),
        )
    }
}

/// A component that could not be compared, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// The component's name.
    pub component: String,
    /// Why it was not compared.
    pub reason: Text,
}

/// The result of matching components against the store.
#[derive(Debug, Clone, Serialize, Default)]
pub struct MatchReport {
    /// Number of components looked at.
    pub components: usize,
    /// The matches: known exploited first, then by CVSS score, highest first.
    pub matches: Vec<Match>,
    /// Components that could not be compared.
    pub skipped: Vec<Skipped>,
}

/// Is `wanted` (a record's ecosystem, maybe with a release) the same
/// ecosystem as `have` (the component's)? A component without a release
/// matches every release.
fn same_ecosystem(record: &str, have: &str) -> bool {
    let (rb, rr) = record.split_once(':').unwrap_or((record, ""));
    let (hb, hr) = have.split_once(':').unwrap_or((have, ""));
    rb.eq_ignore_ascii_case(hb) && (rr.is_empty() || hr.is_empty() || rr == hr)
}

/// The version of a component to compare with an entry for a CPE
/// (`ecosystem` `None`) or for a package of `ecosystem`, and whether a
/// person should confirm the match; `None` when the entry is about another
/// ecosystem.
fn version_for_entry(
    c: &Component,
    raw_version: &str,
    ecosystem: Option<&str>,
    eco: Option<&str>,
    is_distro_pkg: bool,
) -> Option<(String, Option<Confirmation>)> {
    // A distribution package against an upstream (CPE) range compares the
    // upstream part only.
    let (version, confirm) = match (ecosystem, is_distro_pkg) {
        (None, true) => (
            version::debian_upstream(raw_version).to_string(),
            Some(Confirmation::DistributionPackage {
                purl: c.purl.clone().unwrap_or_default(),
            }),
        ),
        (Some(ecosystem), _) => {
            if !eco.is_some_and(|e| same_ecosystem(ecosystem, e)) {
                return None;
            }
            (raw_version.to_string(), None)
        }
        (None, false) => (raw_version.to_string(), None),
    };
    let confirm = confirm.or_else(|| match &c.origin {
        Origin::Banner {
            distro: Some(d), ..
        } => Some(Confirmation::DistributionBanner { distro: d.clone() }),
        _ => None,
    });
    Some((version, confirm))
}

/// The range or listed version of an entry that contains `version`.
fn entry_hit(
    scheme: Scheme,
    ranges: &[Interval],
    versions: &[String],
    version: &str,
) -> Option<String> {
    if versions
        .iter()
        .any(|v| version::compare(scheme, version, v) == Ok(std::cmp::Ordering::Equal))
    {
        return Some(format!("= {version}"));
    }
    ranges
        .iter()
        .find(|iv| iv.contains(scheme, version).unwrap_or(false))
        .map(Interval::describe)
}

/// The component's ecosystem and whether it is a distribution package.
fn component_ecosystem(c: &Component) -> (Option<String>, bool) {
    let eco = c.parsed_purl().as_ref().and_then(Purl::ecosystem);
    let is_distro_pkg = eco
        .as_deref()
        .is_some_and(|e| matches!(Scheme::for_ecosystem(e), Scheme::Debian));
    (eco, is_distro_pkg)
}

/// The records whose compact index entries say they affect a component,
/// or cannot compare its version (so the full match reports why): only
/// these are read and decoded in full.
async fn candidate_ids(
    db: &VulnDb,
    components: &[Component],
    keys: &[String],
) -> Result<Vec<String>> {
    let mut by_key: HashMap<String, Vec<(String, Vec<IndexEntry>)>> = HashMap::new();
    for (key, id, entries) in db.index_for_keys(keys).await? {
        by_key.entry(key).or_default().push((id, entries));
    }
    let mut wanted: HashSet<&str> = HashSet::new();
    for c in components {
        let Some(raw_version) = c.version.as_deref() else {
            continue;
        };
        let (eco, is_distro_pkg) = component_ecosystem(c);
        for key in c.keys() {
            for (id, entries) in by_key.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
                if wanted.contains(id.as_str()) {
                    continue;
                }
                let affects = entries.iter().any(|e| {
                    let Some((version, _)) = version_for_entry(
                        c,
                        raw_version,
                        e.ecosystem.as_deref(),
                        eco.as_deref(),
                        is_distro_pkg,
                    ) else {
                        return false;
                    };
                    version::validate(e.scheme, &version).is_err()
                        || entry_hit(e.scheme, &e.ranges, &e.versions, &version).is_some()
                });
                if affects {
                    wanted.insert(id.as_str());
                }
            }
        }
    }
    let mut ids: Vec<String> = wanted.into_iter().map(str::to_string).collect();
    ids.sort();
    Ok(ids)
}

/// Match `components` against the store and apply `vex` when given.
/// Candidates are filtered on the store's compact index first; only the
/// records that match are decoded in full.
pub async fn match_components(
    db: &VulnDb,
    components: &[Component],
    vex: &[VexDocument],
) -> Result<MatchReport> {
    let keys = component_keys(components);
    let ids = candidate_ids(db, components, &keys).await?;
    let records = db.records_by_ids(&ids).await?;
    match_records(db, components, vex, records).await
}

/// [`match_components`] without the index: every record under the
/// components' keys is decoded and compared. Slower; the reference the
/// index is checked against.
pub async fn match_components_exhaustive(
    db: &VulnDb,
    components: &[Component],
    vex: &[VexDocument],
) -> Result<MatchReport> {
    let keys = component_keys(components);
    let records = db.records_for_keys(&keys).await?;
    match_records(db, components, vex, records).await
}

fn component_keys(components: &[Component]) -> Vec<String> {
    let set: HashSet<String> = components.iter().flat_map(Component::keys).collect();
    let mut v: Vec<String> = set.into_iter().collect();
    v.sort();
    v
}

async fn match_records(
    db: &VulnDb,
    components: &[Component],
    vex: &[VexDocument],
    mut records: Vec<Record>,
) -> Result<MatchReport> {
    let mut report = MatchReport {
        components: components.len(),
        ..Default::default()
    };
    records.sort_by(|a, b| a.id.cmp(&b.id));
    // Keys are computed once per affected entry, not per component.
    let mut by_key: HashMap<String, Vec<(&Record, &Affected)>> = HashMap::new();
    for r in &records {
        for a in &r.affected {
            by_key.entry(a.target.key()).or_default().push((r, a));
        }
    }
    let ids: Vec<String> = records
        .iter()
        .flat_map(|r| r.all_ids().map(str::to_string))
        .filter(|i| i.starts_with("CVE-"))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let kev = db.kev_for(&ids).await?;
    for c in components {
        let Some(raw_version) = c.version.as_deref() else {
            report.skipped.push(Skipped {
                component: c.name.clone(),
                reason: Text::new(
                    "版数が不明なため照合できません",
                    "no version, so it cannot be compared",
                ),
            });
            continue;
        };
        let (eco, is_distro_pkg) = component_ecosystem(c);
        let mut matched: HashSet<&str> = HashSet::new();
        let mut bad_version: Option<String> = None;
        for key in c.keys() {
            for (rec, a) in by_key.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
                let (rec, a) = (*rec, *a);
                if matched.contains(rec.id.as_str()) {
                    continue;
                }
                {
                    let ecosystem = match &a.target {
                        Target::Cpe { .. } => None,
                        Target::Package { ecosystem, .. } => Some(ecosystem.as_str()),
                    };
                    let Some((version, confirm)) =
                        version_for_entry(c, raw_version, ecosystem, eco.as_deref(), is_distro_pkg)
                    else {
                        continue;
                    };
                    if let Err(e) = version::validate(a.scheme, &version) {
                        bad_version = Some(e.to_string());
                        continue;
                    }
                    let Some(range) = entry_hit(a.scheme, &a.ranges, &a.versions, &version) else {
                        continue;
                    };
                    let kev_entry = rec.all_ids().find_map(|i| kev.get(i)).cloned();
                    matched.insert(rec.id.as_str());
                    report.matches.push(Match {
                        vuln_id: rec.id.clone(),
                        source: rec.source,
                        aliases: rec.aliases.clone(),
                        summary: rec.summary.clone(),
                        component: c.clone(),
                        matched_on: key.clone(),
                        version,
                        scheme: a.scheme,
                        range,
                        record_path: a.path.clone(),
                        criteria: a.criteria.clone(),
                        requires: a.requires.clone(),
                        cvss: rec.best_cvss().cloned(),
                        known_exploited: kev_entry.is_some(),
                        kev: kev_entry,
                        needs_confirmation: confirm,
                        vex: None,
                    });
                }
            }
        }
        if let Some(e) = bad_version
            && matched.is_empty()
        {
            report.skipped.push(Skipped {
                component: c.name.clone(),
                reason: Text::new(
                    format!("版数を比較できません: {e}"),
                    format!("the version cannot be compared: {e}"),
                ),
            });
        }
    }
    for m in &mut report.matches {
        m.vex = crate::vex::apply(vex, m);
    }
    report.matches.sort_by(|a, b| {
        let sa = a.cvss.as_ref().and_then(|c| c.score).unwrap_or(-1.0);
        let sb = b.cvss.as_ref().and_then(|c| c.score).unwrap_or(-1.0);
        b.known_exploited
            .cmp(&a.known_exploited)
            .then(sb.total_cmp(&sa))
            .then_with(|| a.vuln_id.cmp(&b.vuln_id))
    });
    Ok(report)
}

/// Identify `banner` and match what it reveals.
pub async fn match_banner(db: &VulnDb, banner: &str, vex: &[VexDocument]) -> Result<MatchReport> {
    let comps: Vec<Component> = crate::banner::identify(banner)
        .iter()
        .map(|i| Component::from_banner(i, banner))
        .collect();
    match_components(db, &comps, vex).await
}
