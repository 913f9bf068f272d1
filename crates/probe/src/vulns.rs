//! S1.1-13②, known vulnerabilities: every identified service's banner and
//! every SBOM component are matched against the offline store of
//! `jcstar-vulndb`, vendor VEX statements are applied, and the written rule
//! ([`Rule`], by default: known exploited or CVSS ≥ 7.0 fails, others need
//! review) gives the criterion's verdict. The matches, the inputs and the
//! rule go to `vulns.json`, which the verdict and its findings cite.
//!
//! A missing or empty store leaves the criterion "not tested" with a reason
//! that says how to import the feeds: never a silent pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jcstar_criteria::star1;
use jcstar_vulndb::matcher::{self, Component, Match};
use jcstar_vulndb::sbom::{self, Sbom, SbomError};
use jcstar_vulndb::verdict::{self, Outcome, Rule};
use jcstar_vulndb::vex::{self, VexDocument, VexError};
use jcstar_vulndb::{Stats, VulnDb};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::findings::S1_1_13_2;
use crate::reason::Reason;
use crate::report::{CriterionVerdict, PortState, Report, Verdict};

mod evidence;
pub use evidence::VULNS_JSON;

/// A file the check read, as the evidence records it.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    /// `sbom`, `vex` or `rule`.
    pub kind: &'static str,
    /// The path as given.
    pub path: String,
    /// SHA-256 of its content, lowercase hex.
    pub sha256: String,
}

/// The vulnerability check of a run, with its inputs read and checked
/// before the device is touched.
#[derive(Debug, Clone)]
pub struct VulnPlan {
    /// The store: a SQLite file path, `sqlite://PATH` or `postgres://...`.
    pub store: String,
    /// The SBOMs read, each with the name errors and the evidence use.
    pub sboms: Vec<(String, Sbom)>,
    /// The VEX documents read.
    pub vex: Vec<VexDocument>,
    /// The verdict rule.
    pub rule: Rule,
    /// Every file read, with its digest.
    pub inputs: Vec<InputFile>,
}

/// An input of the vulnerability check that is refused.
#[derive(Debug, thiserror::Error)]
pub enum VulnInputError {
    /// A file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// An SBOM is refused; the message names the file and field.
    #[error(transparent)]
    Sbom(#[from] SbomError),
    /// A VEX document is refused; the message names the file and field.
    #[error(transparent)]
    Vex(#[from] VexError),
    /// The rule file is refused.
    #[error(
        "{path}: {message} (accepted keys: fail_on_known_exploited, fail_at_cvss, unconfirmed_fails)"
    )]
    Rule {
        /// The rule file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

fn read(kind: &'static str, p: &Path) -> Result<(String, Vec<u8>, InputFile), VulnInputError> {
    let path = p.display().to_string();
    let bytes = std::fs::read(p).map_err(|e| VulnInputError::Read {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let input = InputFile {
        kind,
        path: path.clone(),
        sha256: hex::encode(Sha256::digest(&bytes)),
    };
    Ok((path, bytes, input))
}

impl VulnPlan {
    /// The check against `store` with the default rule and no SBOM or VEX.
    pub fn new(store: impl Into<String>) -> VulnPlan {
        VulnPlan {
            store: store.into(),
            sboms: Vec::new(),
            vex: Vec::new(),
            rule: Rule::default(),
            inputs: Vec::new(),
        }
    }

    /// Reads and checks the SBOMs (CycloneDX 1.4–1.6, SPDX 2.3 JSON), VEX
    /// documents (OpenVEX, CycloneDX VEX) and the rule (TOML). A file that
    /// breaks its format is refused with its path and the field at fault.
    pub fn load(
        store: impl Into<String>,
        sboms: &[PathBuf],
        vex: &[PathBuf],
        rule: Option<&Path>,
    ) -> Result<VulnPlan, VulnInputError> {
        let mut plan = VulnPlan::new(store);
        for p in sboms {
            let (name, bytes, input) = read("sbom", p)?;
            plan.sboms.push((name.clone(), sbom::parse(&name, &bytes)?));
            plan.inputs.push(input);
        }
        for p in vex {
            let (name, bytes, input) = read("vex", p)?;
            plan.vex.push(vex::parse(&name, &bytes)?);
            plan.inputs.push(input);
        }
        if let Some(p) = rule {
            let (name, bytes, input) = read("rule", p)?;
            let text = String::from_utf8(bytes).map_err(|e| VulnInputError::Rule {
                path: name.clone(),
                message: e.to_string(),
            })?;
            plan.rule = Rule::from_toml(&text).map_err(|message| VulnInputError::Rule {
                path: name,
                message,
            })?;
            plan.inputs.push(input);
        }
        Ok(plan)
    }
}

/// The rule in words, Japanese and English.
pub fn rule_text(r: &Rule) -> (String, String) {
    let (mut ja, mut en) = (Vec::new(), Vec::new());
    if r.fail_on_known_exploited {
        ja.push("悪用が確認された脆弱性（CISA KEV）は不適合".to_string());
        en.push("known exploited (CISA KEV) fails".to_string());
    }
    if let Some(t) = r.fail_at_cvss {
        ja.push(format!("CVSS 基本値 {t:.1} 以上は不適合"));
        en.push(format!("CVSS base score >= {t:.1} fails"));
    }
    if r.unconfirmed_fails {
        ja.push("確認が必要な一致も不適合".to_string());
        en.push("unconfirmed matches fail too".to_string());
    } else {
        ja.push("確認が必要な一致は要確認".to_string());
        en.push("unconfirmed matches need review".to_string());
    }
    ja.push("その他の一致は要確認".to_string());
    en.push("other matches need review".to_string());
    (ja.join("、"), en.join("; "))
}

/// One component and where the run saw it.
#[derive(Debug, Clone, Serialize)]
pub struct Seen {
    /// The component as matched.
    pub component: Component,
    /// The ports whose service announced it (`22/tcp`); empty for SBOM components.
    pub ports: Vec<String>,
}

/// The components behind the services of `report`, one per product and
/// banner (a banner seen on several ports lists them all), and the open
/// ports where no product with a version could be identified.
pub fn service_components(report: &Report) -> (Vec<Seen>, Vec<String>) {
    let mut seen: Vec<Seen> = Vec::new();
    let mut unknown = Vec::new();
    for p in report.ports.iter().filter(|p| p.state == PortState::Open) {
        let label = format!("{}/{}", p.port, p.transport);
        let Some(s) = &p.service else {
            unknown.push(label);
            continue;
        };
        let mut texts: Vec<String> = Vec::new();
        texts.extend(s.banner.clone());
        texts.extend(s.self_descriptions.iter().cloned());
        if let (Some(pr), Some(v)) = (&s.product, &s.version) {
            texts.push(format!("{pr}/{v}"));
        }
        let mut products: Vec<String> = Vec::new();
        let mut versioned = false;
        for t in &texts {
            for id in jcstar_vulndb::identify(t) {
                if products.contains(&id.product_id) {
                    continue;
                }
                products.push(id.product_id.clone());
                versioned |= id.version.is_some();
                let c = Component::from_banner(&id, t);
                match seen.iter_mut().find(|x| same_component(&x.component, &c)) {
                    Some(x) => x.ports.push(label.clone()),
                    None => seen.push(Seen {
                        component: c,
                        ports: vec![label.clone()],
                    }),
                }
            }
        }
        if !versioned {
            unknown.push(format!("{label} {}", s.kind.name()));
        }
    }
    (seen, unknown)
}

fn same_component(a: &Component, b: &Component) -> bool {
    a.name == b.name && a.version == b.version && a.origin == b.origin
}

/// Whether `store` names a SQLite file that does not exist (opening it
/// would create an empty one).
fn missing_file(store: &str) -> bool {
    if store.starts_with("postgres://") || store.starts_with("postgresql://") {
        return false;
    }
    let rest = store
        .strip_prefix("sqlite://")
        .or_else(|| store.strip_prefix("sqlite:"))
        .unwrap_or(store);
    let path = rest.split('?').next().unwrap_or(rest);
    !Path::new(path).is_file()
}

/// What the check found: the verdict, its findings and the evidence file.
#[derive(Debug, Clone)]
pub struct VulnCheck {
    /// The S1.1-13② verdict.
    pub verdict: CriterionVerdict,
    /// One finding per match the rule does not clear.
    pub findings: Vec<crate::Finding>,
    /// `vulns.json`, when a store was consulted.
    pub evidence: Option<Vec<u8>>,
}

fn not_tested(why: Reason) -> VulnCheck {
    VulnCheck {
        verdict: CriterionVerdict::new(S1_1_13_2, Verdict::NotTested, vec![why]),
        findings: Vec::new(),
        evidence: None,
    }
}

/// Matches the services of `report` and the plan's SBOM components against
/// the store and judges S1.1-13②.
pub async fn check(plan: &VulnPlan, report: &Report) -> VulnCheck {
    let store = plan.store.clone();
    if missing_file(&store) {
        return not_tested(Reason::VulnDbMissing { store });
    }
    let db = match VulnDb::open(&store).await {
        Ok(db) => db,
        Err(e) => {
            return not_tested(Reason::VulnDbUnusable {
                store,
                error: e.to_string(),
            });
        }
    };
    let r = run(plan, report, &db).await;
    db.close().await;
    match r {
        Ok(c) => c,
        Err(e) => not_tested(Reason::VulnDbUnusable {
            store,
            error: e.to_string(),
        }),
    }
}

async fn run(plan: &VulnPlan, report: &Report, db: &VulnDb) -> jcstar_vulndb::Result<VulnCheck> {
    let stats: Stats = db.stats().await?;
    if stats.nvd + stats.osv == 0 {
        return Ok(not_tested(Reason::VulnDbEmpty {
            store: plan.store.clone(),
        }));
    }
    let (mut seen, mut not_compared) = service_components(report);
    let from_services = seen.len();
    for (_, s) in &plan.sboms {
        for c in &s.components {
            seen.push(Seen {
                component: c.clone(),
                ports: Vec::new(),
            });
        }
        for p in &s.problems {
            if matches!(
                p,
                sbom::SbomProblem::MissingVersion { .. } | sbom::SbomProblem::AbsurdVersion { .. }
            ) {
                not_compared.push(p.to_string());
            }
        }
    }
    let components: Vec<Component> = seen.iter().map(|s| s.component.clone()).collect();
    let mr = matcher::match_components(db, &components, &plan.vex).await?;
    for s in &mr.skipped {
        not_compared.push(format!("{}: {}", s.component, s.reason.en));
    }
    let v = verdict::verdict(&mr.matches, &plan.rule);
    let (rule_ja, rule_en) = rule_text(&plan.rule);
    let mut why = vec![Reason::VulnScope(Box::new(crate::reason::vuln::Scope {
        store: plan.store.clone(),
        records: stats.nvd + stats.osv,
        kev: stats.kev,
        newest: stats.last_modified.clone(),
        from_services,
        from_sboms: seen.len() - from_services,
        vex_documents: plan.vex.len(),
        rule_en,
        rule_ja,
    }))];
    let ports_of = |m: &Match| -> Vec<String> {
        seen.iter()
            .filter(|s| same_component(&s.component, &m.component))
            .flat_map(|s| s.ports.iter().cloned())
            .collect()
    };
    let mut findings = Vec::new();
    for (m, r) in mr.matches.iter().zip(&v.reasons) {
        let ports = ports_of(m);
        why.push(Reason::VulnMatch(Box::new(evidence::matched(m, r, &ports))));
        if r.outcome != Outcome::Pass {
            findings.push(evidence::finding(m, r, &ports));
        }
    }
    if components.is_empty() {
        why.push(Reason::NothingToCompare);
    } else if mr.matches.is_empty() {
        why.push(Reason::NoKnownVulnerability {
            components: components.len(),
        });
    }
    if !not_compared.is_empty() {
        why.push(Reason::VulnNotCompared {
            items: not_compared.clone(),
        });
    }
    let verdict = match v.outcome {
        Outcome::Fail => Verdict::Fail,
        Outcome::Review => Verdict::NeedsReview,
        Outcome::Pass if components.is_empty() || !not_compared.is_empty() => Verdict::NeedsReview,
        Outcome::Pass => Verdict::Pass,
    };
    let bytes = evidence::json(plan, &stats, &seen, &mr, &v, verdict, &not_compared)?;
    Ok(VulnCheck {
        verdict: CriterionVerdict::new(S1_1_13_2, verdict, why),
        findings,
        evidence: Some(bytes),
    })
}

/// Runs the check and puts its result into a finished run: the S1.1-13②
/// verdict replaces the one the scan left, the findings are added and
/// `vulns.json` joins the evidence files.
pub async fn apply(plan: &VulnPlan, report: &mut Report, files: &mut BTreeMap<String, Vec<u8>>) {
    let c = check(plan, report).await;
    report.verdicts.retain(|v| v.criterion != S1_1_13_2);
    let at = report
        .verdicts
        .iter()
        .position(|v| v.criterion.base() == star1::S1_1_13)
        .map_or(report.verdicts.len(), |i| i + 1);
    report.verdicts.insert(at, c.verdict);
    report.findings.extend(c.findings);
    if let Some(b) = c.evidence {
        files.insert(VULNS_JSON.into(), b);
    }
}
