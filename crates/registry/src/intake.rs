//! What a person supplies, turned into the registry's inputs: who acts (a
//! token, or a name given at the shell), an application from a checklist
//! file and the fields typed beside it, an evaluation report from its file.
//! Front ends (the command line, tests) parse their flags and call these, so
//! the rules are the same whichever way an application arrives.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::Registry;
use crate::error::{Error, Result, t};
use crate::model::*;

/// The person acting at the shell: the token's person when a token is
/// given, else the person named (`--as NAME`) in `role` of `org`. A change
/// without either is refused: every event records who made it.
pub async fn acting(
    reg: &Registry,
    token: Option<&str>,
    as_name: Option<&str>,
    role: Role,
    org: &str,
) -> Result<Actor> {
    if let Some(t) = token.map(str::trim).filter(|t| !t.is_empty()) {
        return reg.authenticate(t).await;
    }
    match as_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => Ok(Actor::local(role, org, name)),
        None => Err(Error::invalid(
            "--as",
            t(
                "このコマンドは登録簿を変更し、実施者を記録します: --as 氏名（または JCSTAR_AS）で氏名を指定するか、--token で API トークンを指定してください",
                "this command changes the registry and records who did it: give your name with --as NAME (or JCSTAR_AS), or an API token with --token",
            ),
        )),
    }
}

/// Who reads at the shell: direct database access is the operator's, and
/// reads record nothing, so no name is needed.
pub fn shell_reader() -> Actor {
    Actor::local(Role::Operator, "operator", "shell")
}

/// A checklist file that could not be turned into an application.
#[derive(Debug, thiserror::Error)]
pub enum ChecklistFileError {
    /// The checklist file could not be read.
    #[error("reading the checklist {}", path.display())]
    Read {
        /// The checklist file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: Box<jcstar_checklist::ChecklistError>,
    },
    /// The checklist could not be turned into the JSON an application carries.
    #[error("converting {}", path.display())]
    Convert {
        /// The checklist file.
        path: PathBuf,
        /// The conversion error.
        #[source]
        source: serde_json::Error,
    },
}

/// A checklist file (.toml, .json or .xlsx) as the JSON an application
/// carries.
pub fn read_checklist(path: &Path) -> Result<serde_json::Value, ChecklistFileError> {
    let parsed = jcstar_checklist::Checklist::from_path(path).map_err(|source| {
        ChecklistFileError::Read {
            path: path.to_path_buf(),
            source: Box::new(source),
        }
    })?;
    serde_json::to_value(&parsed).map_err(|source| ChecklistFileError::Convert {
        path: path.to_path_buf(),
        source,
    })
}

/// What is typed beside the checklist. The checklist is the application:
/// these fields only fill what its basic-information sheet leaves empty (a
/// field that disagrees with the sheet is refused on submission).
#[derive(Debug, Clone, Default)]
pub struct Typed {
    /// The applying organisation.
    pub org: String,
    /// ★3/★4 when applying for them; ★1/★2 follow from the checklist.
    pub level: Option<Level>,
    /// The applicant company; empty fields come from the sheet.
    pub applicant: Applicant,
    /// Empty: the sheet's product.
    pub product: Product,
    /// Contact for vulnerability reports.
    pub disclosure_contact: String,
    /// A validity end earlier than the default, if wanted.
    pub requested_valid_until: Option<NaiveDate>,
}

impl Typed {
    /// The submission of `checklist` with these fields.
    pub fn submission(self, checklist: serde_json::Value) -> ApplicationSubmission {
        ApplicationSubmission {
            org: self.org,
            level: self.level,
            applicant: self.applicant,
            products: if self.product == Product::default() {
                Vec::new()
            } else {
                vec![self.product]
            },
            disclosure_contact: self.disclosure_contact,
            checklist,
            requested_valid_until: self.requested_valid_until,
        }
    }
}

/// An evaluation report from its file: the file's name and SHA-256 are
/// recorded, not its content.
pub fn evaluation_report(
    file: &Path,
    summary: String,
    verdict: Verdict,
    level: Level,
) -> std::io::Result<EvaluationReport> {
    let bytes = std::fs::read(file)?;
    Ok(EvaluationReport {
        file_name: file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: crate::chain::sha256_hex(&bytes),
        summary,
        verdict,
        level: Some(level),
    })
}
