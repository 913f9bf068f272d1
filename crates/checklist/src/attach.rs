//! Attaching a device-evidence directory to a checklist: the one place that
//! decides which criteria a probe or assess run bears on, how the checklist
//! refers to the evidence, and what it records of it. `jcstar checklist
//! attach` and `jcstar assess --checklist` both go through here.
//!
//! Answers are never changed: whether the product conforms stays the
//! vendor's call. What the evidence said is recorded next to the reference
//! (the manifest digest and the verdicts), so [`crate::validate`] can hold
//! the answer against it later, with or without the files.

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::error::ChecklistError;
use crate::evidence::{self, EvidenceDir, Verdict};
use crate::format::Format;
use crate::model::{Attached, Checklist, Evidence, Outcome, RecordedVerdict, TestResultRef};

/// One verdict of the evidence and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AttachRow {
    /// As the evidence names it, e.g. `S1.1-13①`.
    pub criterion: String,
    /// What the evidence found.
    pub verdict: Verdict,
    /// The reasons in English, as `report.json` keeps them.
    pub reasons: Vec<String>,
    /// The same reasons as data (see [`AttachRow::reasons_in`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<serde_json::Value>,
    /// The answer the checklist gives to the criterion (unchanged).
    pub answer: Option<Outcome>,
    /// `None` for a test the evidence shows as not run: nothing to rest on.
    pub attached: Option<Attached>,
    /// The answer says the opposite of the evidence (e.g. conforms while the
    /// test failed); `validate` reports it as a problem.
    pub contradicts: bool,
}

impl AttachRow {
    /// The reasons in `lang`: written out from the report's typed reasons,
    /// or its English text for a report written before they existed.
    pub fn reasons_in(&self, lang: jcstar_criteria::Lang) -> Vec<String> {
        evidence::reasons_in(&self.reasons, &self.why, lang)
    }
}

/// What [`Checklist::attach_evidence_dir`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AttachOutcome {
    /// The reference as stored (without the per-criterion verdicts).
    pub path: String,
    /// The evidence is outside the checklist's folder.
    pub external: bool,
    /// SHA-256 (hex) of the evidence's `manifest.json`, as recorded in the checklist.
    pub manifest_sha256: String,
    /// The test target as the tester named it.
    pub target: String,
    /// When the test started (RFC 3339).
    pub started: String,
    /// One row per verdict of the report, in report order.
    pub rows: Vec<AttachRow>,
}

/// Where [`attach_to_file`] wrote the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Written {
    /// The file written: the checklist itself, or a new file next to it.
    pub path: PathBuf,
    /// The original could not be rewritten without losing something the
    /// vendor added (e.g. another sheet), so the result went to a new file.
    pub new_file: bool,
    /// Why a new file was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The path of `target` relative to the folder `base`, with `..` where it
/// leaves it. `None` when there is no relative way (another drive).
pub fn relative_path(target: &Path, base: &Path) -> Option<(String, bool)> {
    let abs = |p: &Path| std::fs::canonicalize(p).ok();
    let (t, b) = (abs(target)?, abs(base)?);
    let tc: Vec<Component> = t.components().collect();
    let bc: Vec<Component> = b.components().collect();
    if tc.first() != bc.first() {
        return None;
    }
    let common = tc.iter().zip(&bc).take_while(|(x, y)| x == y).count();
    let ups = bc.len().saturating_sub(common);
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), ups).collect();
    parts.extend(
        tc.iter()
            .skip(common)
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some((parts.join("/"), ups > 0))
}

/// The folder a checklist file lives in (`.` for a bare file name).
pub fn folder_of(checklist_path: &Path) -> &Path {
    checklist_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Whether `answer` says the opposite of `verdict`.
pub(crate) fn contradicts(answer: Outcome, verdict: Verdict) -> bool {
    match answer {
        Outcome::Conforms => matches!(verdict, Verdict::Fail | Verdict::NotTested),
        Outcome::NotApplicable | Outcome::DeemedMet => verdict == Verdict::Fail,
        Outcome::DoesNotConform | Outcome::Unanswered => false,
    }
}

impl Checklist {
    /// Verifies the evidence directory `dir` against its manifest, then
    /// attaches a device-test reference to its `report.json` to every
    /// criterion the report has a verdict on (other than not-tested),
    /// recording the manifest digest and the verdicts on that criterion and
    /// its sub-items. `checklist_path` is where the checklist lives: the
    /// reference is relative to its folder, and marked `external` (still
    /// relative, e.g. `../lab/x/report.json`) when the evidence is outside.
    ///
    /// Nothing is changed when the directory does not verify.
    pub fn attach_evidence_dir(
        &mut self,
        checklist_path: &Path,
        dir: &Path,
    ) -> Result<AttachOutcome, ChecklistError> {
        let ev = evidence::open(dir)?;
        Ok(self.attach_opened(checklist_path, &ev))
    }

    fn attach_opened(&mut self, checklist_path: &Path, ev: &EvidenceDir) -> AttachOutcome {
        let report = ev.dir.join(evidence::REPORT_JSON);
        let (path, external) = match relative_path(&report, folder_of(checklist_path)) {
            Some(r) => r,
            None => (report.display().to_string(), true),
        };
        let mut bases: Vec<&str> = Vec::new();
        for v in &ev.verdicts {
            let b = jcstar_criteria::base_id(&v.criterion);
            if !bases.contains(&b) {
                bases.push(b);
            }
        }
        let mut rows = Vec::new();
        for base in bases {
            let on_base: Vec<&evidence::ReportVerdict> = ev.verdicts_for(base).collect();
            let tested = on_base.iter().any(|v| v.verdict != Verdict::NotTested);
            let attached = tested.then(|| {
                self.attach_evidence(
                    base,
                    Evidence::DeviceTest(TestResultRef {
                        path: path.clone(),
                        external,
                        manifest_sha256: Some(ev.manifest_sha256.clone()),
                        verdicts: on_base
                            .iter()
                            .map(|v| RecordedVerdict {
                                criterion: v.criterion.clone(),
                                verdict: v.verdict,
                                reasons: v.reasons.clone(),
                            })
                            .collect(),
                    }),
                )
            });
            let answer = self.answer(base).map(|a| a.result);
            for v in on_base {
                rows.push(AttachRow {
                    criterion: v.criterion.clone(),
                    verdict: v.verdict,
                    reasons: v.reasons.clone(),
                    why: v.why.clone(),
                    answer,
                    attached: attached.filter(|_| v.verdict != Verdict::NotTested),
                    contradicts: attached.is_some()
                        && answer.is_some_and(|a| contradicts(a, v.verdict)),
                });
            }
        }
        AttachOutcome {
            path,
            external,
            manifest_sha256: ev.manifest_sha256.clone(),
            target: ev.target.clone(),
            started: ev.started.clone(),
            rows,
        }
    }
}

/// Reads the checklist at `checklist_path`, attaches the evidence directory
/// `dir` (see [`Checklist::attach_evidence_dir`]) and writes the checklist
/// back without losing what the vendor wrote around it: a TOML file keeps
/// its comments and layout; a workbook the vendor extended (another sheet,
/// cell notes, extra columns) is left alone and the result goes to a new
/// file next to it, named in [`Written`]. `catalog` supplies the criterion
/// texts of a rewritten workbook.
pub fn attach_to_file(
    checklist_path: &Path,
    dir: &Path,
    catalog: Option<&jcstar_criteria::Catalog>,
) -> Result<(AttachOutcome, Written), ChecklistError> {
    let ev = evidence::open(dir)?;
    let mut checklist = Checklist::from_path(checklist_path)?;
    let outcome = checklist.attach_opened(checklist_path, &ev);
    let written = checklist.write_preserving(checklist_path, catalog)?;
    Ok((outcome, written))
}

impl Checklist {
    /// Writes the checklist over the file it was read from, keeping what the
    /// file holds beyond the checklist itself (see [`attach_to_file`]).
    pub fn write_preserving(
        &self,
        path: &Path,
        catalog: Option<&jcstar_criteria::Catalog>,
    ) -> Result<Written, ChecklistError> {
        let in_place = Written {
            path: path.to_path_buf(),
            new_file: false,
            reason: None,
        };
        match Format::from_path(path)? {
            Format::Toml => {
                let old = std::fs::read_to_string(path).map_err(|source| ChecklistError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
                let text = crate::tomledit::update(&old, self)?;
                if text != old {
                    crate::format::write_atomically(path, text.as_bytes())?;
                }
                Ok(in_place)
            }
            Format::Json => {
                self.write_path(path, catalog)?;
                Ok(in_place)
            }
            Format::Xlsx => {
                let old = std::fs::read(path).map_err(|source| ChecklistError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
                // The rewrite keeps the workbook's language.
                let lang = crate::xlsx::language_of(&old);
                match crate::xlsx::what_a_rewrite_loses(&old) {
                    None => {
                        self.write_path_in(path, catalog, lang)?;
                        Ok(in_place)
                    }
                    Some(reason) => {
                        let new = free_sibling(path);
                        self.write_path_in(&new, catalog, lang)?;
                        Ok(Written {
                            path: new,
                            new_file: true,
                            reason: Some(reason),
                        })
                    }
                }
            }
        }
    }
}

/// `name-attached.xlsx`, or `name-attached-2.xlsx` … when that exists.
fn free_sibling(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "checklist".into());
    let ext = path
        .extension()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "xlsx".into());
    (1..)
        .map(|n| {
            let name = if n == 1 {
                format!("{stem}-attached.{ext}")
            } else {
                format!("{stem}-attached-{n}.{ext}")
            };
            path.with_file_name(name)
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| path.with_extension("attached.xlsx"))
}
