//! Reading a device-evidence directory as `jcstar probe -o DIR` and
//! `jcstar assess -o DIR` write it: `manifest.json` (schema
//! `jcstar.probe.manifest/1`, the SHA-256 of every other file), its
//! `sha256sum -c` twin `MANIFEST.sha256`, and `report.json` whose
//! `verdicts[]` say, per criterion, what the device test found.
//!
//! The checklist reads these files with its own small types rather than the
//! probe's, so that a checklist (and the registry, which validates one) can
//! be checked without the device-test code. Only the fields read here are
//! part of the contract; the probe may add others freely.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `schema` of a `manifest.json` this crate reads.
pub const MANIFEST_SCHEMA: &str = "jcstar.probe.manifest/1";
/// `schema` of a `report.json` this crate reads.
pub const REPORT_SCHEMA: &str = "jcstar.probe.report/1";
/// File listing the SHA-256 of every other file of the evidence directory.
pub const MANIFEST_JSON: &str = "manifest.json";
/// The same list in `sha256sum -c` format.
pub const MANIFEST_SHA256: &str = "MANIFEST.sha256";
/// The test report with the per-criterion verdicts.
pub const REPORT_JSON: &str = "report.json";

/// Largest file read while verifying; evidence directories hold reports and
/// transcripts, so anything bigger is not one.
const MAX_FILE: u64 = 256 * 1024 * 1024;

/// What a device test said about one criterion (or sub-item such as
/// `S1.1-13②`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The device passed the test.
    Pass,
    /// The device failed the test.
    Fail,
    /// The evidence shows this test was not run.
    NotTested,
    /// The test ran but a person has to judge the result.
    NeedsReview,
}

impl Verdict {
    /// The keyword used in files (`pass`, `fail`, `not-tested`, `needs-review`).
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NotTested => "not-tested",
            Verdict::NeedsReview => "needs-review",
        }
    }

    /// The Japanese label for messages and workbooks.
    pub fn label_ja(self) -> &'static str {
        match self {
            Verdict::Pass => "合格",
            Verdict::Fail => "不合格",
            Verdict::NotTested => "未実施",
            Verdict::NeedsReview => "要確認",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// Why an evidence directory cannot be used. Messages name the directory or
/// file and what `jcstar probe` would have written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// The directory does not exist.
    #[error(
        "{}: no such directory; give the evidence directory written by `jcstar probe TARGET -o DIR`",
        dir.display()
    )]
    NoDirectory {
        /// The directory as given.
        dir: PathBuf,
    },

    /// The directory has no `manifest.json`.
    #[error(
        "{}: no {MANIFEST_JSON} in it; this is not an evidence directory written by `jcstar probe -o DIR`",
        dir.display()
    )]
    NoManifest {
        /// The directory as given.
        dir: PathBuf,
    },

    /// A file of the directory cannot be read or is not what the probe writes.
    #[error("{}: {reason}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// The files differ from what the manifest lists; the evidence is refused.
    #[error(
        "{} does not match its manifest (modified: {modified:?}, missing: {missing:?}, unlisted: {unlisted:?}{}); refusing altered evidence",
        dir.display(),
        if *manifests_disagree { ", MANIFEST.sha256 disagrees with manifest.json" } else { "" }
    )]
    Altered {
        /// The evidence directory.
        dir: PathBuf,
        /// Listed files whose SHA-256 differs from the manifest.
        modified: Vec<String>,
        /// Listed files that are not there.
        missing: Vec<String>,
        /// Files present that the manifest does not list.
        unlisted: Vec<String>,
        /// `MANIFEST.sha256` is missing or does not match `manifest.json`.
        manifests_disagree: bool,
    },
}

#[derive(Deserialize)]
struct Manifest {
    schema: String,
    files: Vec<ManifestEntry>,
}

#[derive(Deserialize)]
struct ManifestEntry {
    path: String,
    sha256: String,
}

#[derive(Deserialize)]
struct RawReport {
    schema: String,
    #[serde(default)]
    target: Option<RawTarget>,
    #[serde(default)]
    started: String,
    verdicts: Vec<ReportVerdict>,
}

#[derive(Deserialize)]
struct RawTarget {
    #[serde(default)]
    input: String,
}

/// One entry of `report.json`'s `verdicts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportVerdict {
    /// As the report names it, e.g. `S1.1-12` or `S1.1-13①`.
    pub criterion: String,
    /// What the test found.
    pub verdict: Verdict,
    /// Why, in English.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// The same reasons as data (`jcstar_reason::Reason`), kept as JSON so
    /// that a report with a reason this build does not know still opens;
    /// absent in reports written before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<serde_json::Value>,
}

impl ReportVerdict {
    /// The reasons in `lang`, from the typed `why`; the stored English
    /// `reasons` when the report has none or one this build cannot read.
    pub fn reasons_in(&self, lang: jcstar_criteria::Lang) -> Vec<String> {
        reasons_in(&self.reasons, &self.why, lang)
    }
}

/// `why` written out in `lang`, or `reasons` (English) when `why` is empty
/// or holds a reason this build does not know.
pub fn reasons_in(
    reasons: &[String],
    why: &[serde_json::Value],
    lang: jcstar_criteria::Lang,
) -> Vec<String> {
    if why.is_empty() {
        return reasons.to_vec();
    }
    let typed: Result<Vec<jcstar_reason::Reason>, _> = why
        .iter()
        .map(|v| serde_json::from_value(v.clone()))
        .collect();
    match typed {
        Ok(typed) => typed.iter().map(|r| r.text(lang)).collect(),
        Err(_) => reasons.to_vec(),
    }
}

/// A verified evidence directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceDir {
    /// The directory as given.
    pub dir: PathBuf,
    /// SHA-256 (hex) of `manifest.json`: names this exact set of files.
    pub manifest_sha256: String,
    /// The target as the tester named it.
    pub target: String,
    /// When the test started (RFC 3339).
    pub started: String,
    /// The verdicts of `report.json`, in report order.
    pub verdicts: Vec<ReportVerdict>,
}

impl EvidenceDir {
    /// Verdicts on `criterion` and its sub-items, in report order.
    pub fn verdicts_for<'a>(
        &'a self,
        criterion: &'a str,
    ) -> impl Iterator<Item = &'a ReportVerdict> {
        self.verdicts
            .iter()
            .filter(move |v| jcstar_criteria::base_id(&v.criterion) == criterion)
    }
}

fn unreadable(path: &Path, reason: impl std::fmt::Display) -> EvidenceError {
    EvidenceError::Unreadable {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, EvidenceError> {
    let meta = std::fs::metadata(path).map_err(|e| unreadable(path, e))?;
    if meta.len() > MAX_FILE {
        return Err(unreadable(
            path,
            format!("{} bytes is more than an evidence file holds", meta.len()),
        ));
    }
    std::fs::read(path).map_err(|e| unreadable(path, e))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn list_files(
    root: &Path,
    dir: &Path,
    depth: u32,
    out: &mut Vec<String>,
) -> Result<(), EvidenceError> {
    if depth > 16 {
        return Err(unreadable(dir, "directories nested too deep"));
    }
    for e in std::fs::read_dir(dir).map_err(|e| unreadable(dir, e))? {
        let e = e.map_err(|e| unreadable(dir, e))?;
        let p = e.path();
        let ft = e.file_type().map_err(|e| unreadable(&p, e))?;
        if ft.is_dir() {
            list_files(root, &p, depth + 1, out)?;
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// The SHA-256 of `dir/manifest.json`, without verifying anything else.
pub fn manifest_digest(dir: &Path) -> Result<String, EvidenceError> {
    let mpath = dir.join(MANIFEST_JSON);
    Ok(sha256_hex(&read_bounded(&mpath)?))
}

/// Verifies `dir` against its manifest (every listed file present with its
/// SHA-256, nothing unlisted, both manifests agreeing) and reads the
/// verdicts of its report.
pub fn open(dir: &Path) -> Result<EvidenceDir, EvidenceError> {
    if !dir.is_dir() {
        return Err(EvidenceError::NoDirectory {
            dir: dir.to_path_buf(),
        });
    }
    let mpath = dir.join(MANIFEST_JSON);
    if !mpath.is_file() {
        return Err(EvidenceError::NoManifest {
            dir: dir.to_path_buf(),
        });
    }
    let mbytes = read_bounded(&mpath)?;
    let manifest: Manifest = serde_json::from_slice(&mbytes).map_err(|e| unreadable(&mpath, e))?;
    if manifest.schema != MANIFEST_SCHEMA {
        return Err(unreadable(
            &mpath,
            format!("schema `{}` is not `{MANIFEST_SCHEMA}`", manifest.schema),
        ));
    }
    let mut modified = Vec::new();
    let mut missing = Vec::new();
    for f in &manifest.files {
        let rel = Path::new(&f.path);
        if f.path.is_empty()
            || rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(unreadable(
                &mpath,
                format!("entry `{}` points outside the directory", f.path),
            ));
        }
        let p = dir.join(rel);
        if !p.is_file() {
            missing.push(f.path.clone());
            continue;
        }
        if sha256_hex(&read_bounded(&p)?) != f.sha256.to_ascii_lowercase() {
            modified.push(f.path.clone());
        }
    }
    let mut present = Vec::new();
    list_files(dir, dir, 0, &mut present)?;
    let unlisted: Vec<String> = present
        .into_iter()
        .filter(|p| {
            p != MANIFEST_JSON
                && p != MANIFEST_SHA256
                && !manifest.files.iter().any(|f| &f.path == p)
        })
        .collect();
    let sums: String = manifest
        .files
        .iter()
        .map(|f| format!("{}  {}\n", f.sha256, f.path))
        .collect();
    let manifests_disagree = std::fs::read(dir.join(MANIFEST_SHA256))
        .map(|b| b != sums.as_bytes())
        .unwrap_or(true);
    if !(modified.is_empty() && missing.is_empty() && unlisted.is_empty() && !manifests_disagree) {
        return Err(EvidenceError::Altered {
            dir: dir.to_path_buf(),
            modified,
            missing,
            unlisted,
            manifests_disagree,
        });
    }
    let rpath = dir.join(REPORT_JSON);
    if !manifest.files.iter().any(|f| f.path == REPORT_JSON) {
        return Err(unreadable(
            &rpath,
            format!("the manifest does not list {REPORT_JSON}"),
        ));
    }
    let report: RawReport =
        serde_json::from_slice(&read_bounded(&rpath)?).map_err(|e| unreadable(&rpath, e))?;
    if report.schema != REPORT_SCHEMA {
        return Err(unreadable(
            &rpath,
            format!("schema `{}` is not `{REPORT_SCHEMA}`", report.schema),
        ));
    }
    Ok(EvidenceDir {
        dir: dir.to_path_buf(),
        manifest_sha256: sha256_hex(&mbytes),
        target: report.target.map(|t| t.input).unwrap_or_default(),
        started: report.started,
        verdicts: report.verdicts,
    })
}

/// The evidence directory a device-test reference points into, when the
/// reference names a probe `report.json`.
pub(crate) fn dir_of_report(path: &Path) -> Option<&Path> {
    if path.file_name()? != REPORT_JSON {
        return None;
    }
    path.parent()
}
