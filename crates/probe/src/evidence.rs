//! The evidence directory: `report.json`, one transcript per service, and a
//! manifest (`manifest.json` and a `sha256sum -c` compatible
//! `MANIFEST.sha256`) with the SHA-256 of every other file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ProbeError;
use crate::report::Report;
use crate::transcript::Transcript;

/// Schema name and major version of `manifest.json`.
pub const MANIFEST_SCHEMA: &str = "jcstar.probe.manifest/1";
/// File name of the manifest, which lists every evidence file with its hash.
pub const MANIFEST_JSON: &str = "manifest.json";
/// File name of the same hashes in `sha256sum` format, checkable without jcstar.
pub const MANIFEST_SHA256: &str = "MANIFEST.sha256";
/// File name of the report.
pub const REPORT_JSON: &str = "report.json";

/// The list of evidence files, so that later changes can be detected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_SCHEMA`] when written by this version.
    pub schema: String,
    /// Every file in the directory but the manifests themselves.
    pub files: Vec<ManifestEntry>,
}

/// One evidence file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Path relative to the evidence directory.
    pub path: String,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// The file name a transcript is stored under.
pub fn transcript_path(t: &Transcript) -> String {
    let safe: String = t
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("transcripts/{safe}.txt")
}

fn werr(path: &Path, e: impl std::fmt::Display) -> ProbeError {
    ProbeError::Evidence {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn sha256_file(path: &Path) -> Result<(String, u64), ProbeError> {
    let bytes = std::fs::read(path).map_err(|e| werr(path, e))?;
    Ok((hex::encode(Sha256::digest(&bytes)), bytes.len() as u64))
}

/// Writes the directory (created if missing; it must not already hold a report).
pub fn write(
    dir: &Path,
    report: &Report,
    transcripts: &[Transcript],
    extra: &BTreeMap<String, Vec<u8>>,
) -> Result<Vec<PathBuf>, ProbeError> {
    if dir.join(REPORT_JSON).exists() {
        return Err(werr(
            dir,
            "already holds a report.json; evidence is never overwritten, choose a new directory",
        ));
    }
    std::fs::create_dir_all(dir.join("transcripts")).map_err(|e| werr(dir, e))?;
    let mut written = Vec::new();
    let mut put = |rel: &str, bytes: &[u8]| -> Result<(), ProbeError> {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| werr(parent, e))?;
        }
        std::fs::write(&p, bytes).map_err(|e| werr(&p, e))?;
        written.push(rel.to_string());
        Ok(())
    };
    let json = serde_json::to_vec_pretty(report).map_err(|e| werr(dir, e))?;
    put(REPORT_JSON, &json)?;
    for t in transcripts.iter().filter(|t| !t.is_empty()) {
        put(&transcript_path(t), t.render().as_bytes())?;
    }
    for (rel, bytes) in extra {
        put(rel, bytes)?;
    }
    written.sort();
    let mut files = Vec::new();
    for rel in &written {
        let (sha256, bytes) = sha256_file(&dir.join(rel))?;
        files.push(ManifestEntry {
            path: rel.clone(),
            sha256,
            bytes,
        });
    }
    let manifest = Manifest {
        schema: MANIFEST_SCHEMA.into(),
        files,
    };
    let mj = serde_json::to_vec_pretty(&manifest).map_err(|e| werr(dir, e))?;
    std::fs::write(dir.join(MANIFEST_JSON), mj).map_err(|e| werr(dir, e))?;
    let sums: String = manifest
        .files
        .iter()
        .map(|f| format!("{}  {}\n", f.sha256, f.path))
        .collect();
    std::fs::write(dir.join(MANIFEST_SHA256), sums).map_err(|e| werr(dir, e))?;
    Ok(written.iter().map(|r| dir.join(r)).collect())
}

/// Result of checking a directory against its manifest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// Number of files checked.
    pub checked: usize,
    /// Whether the directory matches its manifest.
    pub ok: bool,
    /// Files whose SHA-256 differs from the manifest.
    pub modified: Vec<String>,
    /// Files listed but absent.
    pub missing: Vec<String>,
    /// Files present but not listed.
    pub unlisted: Vec<String>,
    /// `MANIFEST.sha256` disagrees with `manifest.json`.
    pub manifests_disagree: bool,
    /// Files `report.json` cites (finding evidence, service transcripts)
    /// that the manifest does not list.
    #[serde(default)]
    pub cited_not_listed: Vec<String>,
}

/// Every evidence file a report cites: finding evidence and service
/// transcripts.
pub fn cited_files(report: &serde_json::Value) -> Vec<String> {
    let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    if let Some(findings) = report.get("findings").and_then(|f| f.as_array()) {
        for f in findings {
            out.extend(strings(f.get("evidence")));
        }
    }
    if let Some(ports) = report.get("ports").and_then(|p| p.as_array()) {
        for p in ports {
            out.extend(strings(p.get("service").and_then(|s| s.get("transcripts"))));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), ProbeError> {
    for e in std::fs::read_dir(dir).map_err(|e| werr(dir, e))? {
        let e = e.map_err(|e| werr(dir, e))?;
        let p = e.path();
        if p.is_dir() {
            list_files(root, &p, out)?;
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Checks every file listed in `manifest.json`, and that nothing was added.
pub fn verify(dir: &Path) -> Result<Verification, ProbeError> {
    let mpath = dir.join(MANIFEST_JSON);
    let text = std::fs::read(&mpath).map_err(|e| werr(&mpath, e))?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| werr(&mpath, e))?;
    if manifest.schema != MANIFEST_SCHEMA {
        return Err(werr(
            &mpath,
            format!("schema `{}` is not `{MANIFEST_SCHEMA}`", manifest.schema),
        ));
    }
    let mut v = Verification::default();
    for f in &manifest.files {
        if f.path.contains("..") || f.path.starts_with('/') {
            return Err(werr(
                &mpath,
                format!("entry `{}` points outside the directory", f.path),
            ));
        }
        let p = dir.join(&f.path);
        if !p.is_file() {
            v.missing.push(f.path.clone());
            continue;
        }
        let (sha, _) = sha256_file(&p)?;
        v.checked += 1;
        if sha != f.sha256 {
            v.modified.push(f.path.clone());
        }
    }
    let mut present = Vec::new();
    list_files(dir, dir, &mut present)?;
    for p in present {
        if p != MANIFEST_JSON && p != MANIFEST_SHA256 && !manifest.files.iter().any(|f| f.path == p)
        {
            v.unlisted.push(p);
        }
    }
    let sums: String = manifest
        .files
        .iter()
        .map(|f| format!("{}  {}\n", f.sha256, f.path))
        .collect();
    let on_disk = std::fs::read_to_string(dir.join(MANIFEST_SHA256)).unwrap_or_default();
    v.manifests_disagree = on_disk != sums;
    // A report that cites a file the manifest does not vouch for points at
    // evidence nobody can check.
    if let Ok(bytes) = std::fs::read(dir.join(REPORT_JSON))
        && let Ok(report) = serde_json::from_slice::<serde_json::Value>(&bytes)
    {
        v.cited_not_listed = cited_files(&report)
            .into_iter()
            .filter(|c| !manifest.files.iter().any(|f| &f.path == c))
            .collect();
    }
    v.ok = v.modified.is_empty()
        && v.missing.is_empty()
        && v.unlisted.is_empty()
        && v.cited_not_listed.is_empty()
        && !v.manifests_disagree;
    Ok(v)
}

/// Reads `report.json` from an evidence directory.
pub fn read_report(dir: &Path) -> Result<Report, ProbeError> {
    let p = dir.join(REPORT_JSON);
    let bytes = std::fs::read(&p).map_err(|e| werr(&p, e))?;
    let r: Report = serde_json::from_slice(&bytes).map_err(|e| werr(&p, e))?;
    if r.schema != crate::report::SCHEMA {
        return Err(werr(
            &p,
            format!("schema `{}` is not `{}`", r.schema, crate::report::SCHEMA),
        ));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_citing(file: &str) -> Report {
        let mut r: Report = serde_json::from_value(serde_json::json!({
            "schema": crate::report::SCHEMA,
            "jcstar_version": "0",
            "target": {"input": "127.0.0.1", "address": "127.0.0.1"},
            "started": "s",
            "finished": "f",
            "options": null,
            "stats": {"tcp_scanned": 0, "tcp_open": 0, "tcp_closed": 0, "tcp_filtered": 0, "udp_scanned": 0, "duration_ms": 0},
            "ports": [],
            "findings": [],
            "verdicts": [],
            "extra": {},
        }))
        .expect("a minimal report");
        r.findings.push(crate::report::Finding {
            criterion: jcstar_criteria::star1::S1_1_12,
            severity: crate::report::Severity::Medium,
            kind: "tls".into(),
            title: "t".into(),
            detail: "d".into(),
            port: None,
            evidence: vec![file.into()],
            ja: None,
        });
        r
    }

    #[test]
    fn verify_fails_when_the_report_cites_an_unlisted_file() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut extra = BTreeMap::new();
        extra.insert("tls/tcp-443.json".to_string(), b"{}".to_vec());
        let good = dir.path().join("good");
        write(&good, &report_citing("tls/tcp-443.json"), &[], &extra).expect("write");
        let v = verify(&good).expect("verify");
        assert!(v.ok, "{v:?}");

        let bad = dir.path().join("bad");
        write(&bad, &report_citing("tls/443.json"), &[], &extra).expect("write");
        let v = verify(&bad).expect("verify");
        assert!(!v.ok, "{v:?}");
        assert_eq!(v.cited_not_listed, vec!["tls/443.json".to_string()]);
    }
}
