//! The signed daily snapshot of all labels: the open-data export as JSON, as
//! Excel-ready CSV and as a workbook, one set per Japan calendar day, each with a detached
//! signature (see [`crate::signing`]), so a procurer can keep the file of the
//! day of a purchase as proof of what the registry listed.
//!
//! A day's files are written once and never replaced: they are written under
//! temporary names and linked into place with a call that fails when the
//! name exists, so several web nodes sharing one directory agree on one
//! snapshot per day. A crash between data file and signature leaves a data
//! file without signature, which the next run signs.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::Registry;
use crate::export::ExportFormat;
use crate::signing::{Claims, KeyDir};

/// Subject recorded in a snapshot's signature.
pub const SNAPSHOT_SUBJECT: &str = "labels-snapshot";

/// One day's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// The day the snapshot is of.
    pub date: NaiveDate,
    /// Data files and their signatures, in the directory.
    pub files: Vec<PathBuf>,
    /// False when the day's snapshot already existed and was left alone.
    pub created: bool,
}

/// Why a snapshot could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A file of the snapshot directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Reading the registry failed.
    #[error(transparent)]
    Registry(#[from] crate::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file names of one day's snapshot, data file first then signature,
/// JSON, then CSV, then the workbook.
pub fn file_names(date: NaiveDate) -> [String; 6] {
    let stem = format!("labels-{}", date.format("%Y-%m-%d"));
    [
        format!("{stem}.json"),
        format!("{stem}.json.jws"),
        format!("{stem}.csv"),
        format!("{stem}.csv.jws"),
        format!("{stem}.xlsx"),
        format!("{stem}.xlsx.jws"),
    ]
}

/// True for names [`file_names`] produces: the only names the web server
/// serves from the snapshot directory.
pub fn is_snapshot_file_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("labels-") else {
        return false;
    };
    let (Some(date), Some(ext)) = (rest.get(..10), rest.get(10..)) else {
        return false;
    };
    date.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        && NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
        && matches!(
            ext,
            ".json" | ".json.jws" | ".csv" | ".csv.jws" | ".xlsx" | ".xlsx.jws"
        )
}

/// Write today's snapshot into `dir` unless it is there already.
/// `registry_url`, when given, is recorded in the signatures.
pub async fn write_daily(
    reg: &Registry,
    keys: &KeyDir,
    dir: &Path,
    registry_url: Option<&str>,
) -> Result<Snapshot, SnapshotError> {
    let date = reg.today();
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let names = file_names(date);
    let mut created = false;
    for (data, format) in [
        (&names[0], Some(ExportFormat::Json)),
        (&names[2], Some(ExportFormat::CsvExcel)),
        (&names[4], None),
    ] {
        let data_path = dir.join(data);
        if !data_path.exists() {
            let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
            match format {
                Some(format) => {
                    reg.export(format, std::io::BufWriter::new(tmp.as_file_mut()))
                        .await?;
                }
                // The workbook is for people: Japanese, the scheme's language.
                None => {
                    reg.export_xlsx(tmp.path(), jcstar_criteria::Lang::Ja)
                        .await?;
                }
            }
            std::fs::File::open(tmp.path())
                .and_then(|f| f.sync_all())
                .map_err(io(&data_path))?;
            created |= link_new(tmp.path(), &data_path)?;
        }
        let sig_path = dir.join(format!("{data}.jws"));
        if !sig_path.exists() {
            // Sign the bytes that are in place, whichever node wrote them.
            let bytes = std::fs::read(&data_path).map_err(io(&data_path))?;
            let jws = keys.sign(
                &bytes,
                Claims {
                    subject: SNAPSHOT_SUBJECT.into(),
                    signed_at: reg.now(),
                    registry: registry_url.map(str::to_string),
                },
            );
            let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
            std::io::Write::write_all(tmp.as_file_mut(), format!("{jws}\n").as_bytes())
                .map_err(io(&sig_path))?;
            tmp.as_file().sync_all().map_err(io(&sig_path))?;
            created |= link_new(tmp.path(), &sig_path)?;
        }
    }
    Ok(Snapshot {
        date,
        files: names.iter().map(|n| dir.join(n)).collect(),
        created,
    })
}

/// Give `tmp` the name `path` unless that name exists (then another writer
/// won; ours is dropped with the temporary file).
fn link_new(tmp: &Path, path: &Path) -> Result<bool, SnapshotError> {
    match std::fs::hard_link(tmp, path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io(path)(e)),
    }
}

/// The snapshots in `dir`, newest first: (date, file names present).
pub fn list(dir: &Path) -> Result<Vec<(NaiveDate, Vec<String>)>, SnapshotError> {
    let mut days: std::collections::BTreeMap<NaiveDate, Vec<String>> = Default::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !is_snapshot_file_name(&name) {
            continue;
        }
        if let Some(Ok(date)) = name
            .get(7..17)
            .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
        {
            days.entry(date).or_default().push(name);
        }
    }
    let mut out: Vec<_> = days.into_iter().rev().collect();
    for (_, names) in &mut out {
        names.sort();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_snapshot_names_are_recognised() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        for n in file_names(d) {
            assert!(is_snapshot_file_name(&n), "{n}");
        }
        for bad in [
            "labels-2026-12-07.json/../x",
            "../labels-2026-12-07.json",
            "labels-2026-13-07.json",
            "labels-2026-12-07.exe",
            "labels-2026-12-07.json.jws.bak",
            "labels-.json",
            "labels-",
            "labels-ａ",
            "labels-2026-12-0ａ.json",
            "labels-+2026-1-07.json",
            "keys.json",
            "signing-key.pem",
        ] {
            assert!(!is_snapshot_file_name(bad), "{bad}");
        }
    }
}
