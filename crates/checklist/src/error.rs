use std::path::PathBuf;

use jcstar_criteria::Lang;

/// Why a checklist could not be read or written. Each variant names the file
/// (and line, column, sheet or cell) at fault and what would be accepted.
#[derive(Debug, thiserror::Error)]
pub enum ChecklistError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}: unknown checklist file type; accepted extensions: {accepted}", path.display())]
    UnknownExtension {
        path: PathBuf,
        accepted: &'static str,
    },

    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },

    #[error(
        "{origin}: a workbook is binary; read it with Checklist::from_path or xlsx::from_xlsx_bytes"
    )]
    NotText { origin: String },

    #[error("cannot write the checklist as {format}: {message}")]
    Serialize {
        format: &'static str,
        message: String,
    },

    #[error("{file}: not a readable .xlsx workbook: {message}")]
    Workbook { file: String, message: String },

    #[error(
        "{file}: the workbook has no sheet `{sheet}` (sheets found: {found}); export a fresh template with `jcstar checklist export --xlsx` to see the expected layout"
    )]
    MissingSheet {
        file: String,
        sheet: &'static str,
        found: String,
    },

    #[error(
        "{file}: sheet `{sheet}` has no column `{column}` in its header row (row 1); expected columns: {expected}"
    )]
    MissingColumn {
        file: String,
        sheet: &'static str,
        column: &'static str,
        expected: String,
    },

    #[error("{file}: sheet `{sheet}` has no row `{label}` in column A; expected rows: {expected}")]
    MissingRow {
        file: String,
        sheet: &'static str,
        label: &'static str,
        expected: String,
    },

    #[error("{file}: {} cell(s) to fix:{}", problems.len(), problems.iter().map(|p| format!("\n  {}: `{}` is not accepted; {}", p.place(), p.value, p.expected.en)).collect::<String>())]
    Cells {
        file: String,
        problems: Vec<crate::xlsx::CellProblem>,
    },

    #[error("cannot put {field} into a workbook: {reason}")]
    Unrepresentable { field: String, reason: String },

    #[error("cannot build the workbook: {0}")]
    XlsxWrite(String),

    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
}

impl ChecklistError {
    /// The message in `lang`. Errors about workbook cells exist in both
    /// languages; the rest name files and fields and read the same in both.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (ChecklistError::Cells { file, problems }, Lang::Ja) => format!(
                "{file}: 直すセルが {} 個あります:{}",
                problems.len(),
                problems
                    .iter()
                    .map(|p| format!(
                        "\n  {}: `{}` は受け付けられません。{}",
                        p.place(),
                        p.value,
                        p.expected.ja
                    ))
                    .collect::<String>()
            ),
            _ => self.to_string(),
        }
    }
}
