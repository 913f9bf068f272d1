use std::path::PathBuf;

use jcstar_criteria::Lang;

/// Why a checklist could not be read or written. Each variant names the file
/// (and line, column, sheet or cell) at fault and what would be accepted.
#[derive(Debug, thiserror::Error)]
pub enum ChecklistError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The checklist file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The file's extension names no checklist format.
    #[error("{}: unknown checklist file type; accepted extensions: {accepted}", path.display())]
    UnknownExtension {
        /// The file named.
        path: PathBuf,
        /// The extensions that are accepted (see [`crate::ACCEPTED_EXTENSIONS`]).
        accepted: &'static str,
    },

    /// TOML or JSON text that is malformed, not UTF-8, or not a checklist.
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        /// The file (or other source) the text came from.
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The parser's description of what is wrong.
        message: String,
    },

    /// A workbook was given where TOML or JSON text was expected.
    #[error(
        "{origin}: a workbook is binary; read it with Checklist::from_path or xlsx::from_xlsx_bytes"
    )]
    NotText {
        /// The source named in the call (a file name, or `xlsx` when writing).
        origin: String,
    },

    /// The checklist could not be turned into TOML or JSON text.
    #[error("cannot write the checklist as {format}: {message}")]
    Serialize {
        /// The format being written (`toml` or `json`).
        format: &'static str,
        /// The serialiser's message.
        message: String,
    },

    /// The file is not an `.xlsx` workbook that can be opened.
    #[error("{file}: not a readable .xlsx workbook: {message}")]
    Workbook {
        /// The file.
        file: String,
        /// Why it cannot be opened.
        message: String,
    },

    /// Everything in a workbook that needs fixing, found in one pass:
    /// missing sheets, columns and rows as well as unreadable cells.
    #[error("{file}: {} place(s) to fix:{}", problems.len(), problems.iter().map(|p| format!("\n  {}", p.message(Lang::En))).collect::<String>())]
    Cells {
        /// The workbook file.
        file: String,
        /// Every place to fix, with sheet and cell.
        problems: Vec<crate::xlsx::CellProblem>,
    },

    /// A value that a workbook cell cannot hold without changing it (e.g. a list item with a line
    /// break).
    #[error("cannot put {field} into a workbook: {reason}")]
    Unrepresentable {
        /// The checklist field, e.g. `product.model-numbers[2]`.
        field: String,
        /// Why the value does not fit a cell.
        reason: String,
    },

    /// The workbook writer failed.
    #[error("cannot build the workbook: {0}")]
    XlsxWrite(String),

    /// An evidence directory could not be read or verified.
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
}

impl ChecklistError {
    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            ChecklistError::Io { path, source } => {
                format!("{}: 読み書きできません（{source}）", path.display())
            }
            ChecklistError::UnknownExtension { path, accepted } => format!(
                "{}: チェックリストのファイル形式が分かりません。拡張子は {accepted} のいずれかにしてください",
                path.display()
            ),
            ChecklistError::Parse {
                file,
                line,
                column,
                message,
            } => format!("{file}:{line}:{column}: 読み取れません（{message}）"),
            ChecklistError::NotText { origin } => format!(
                "{origin}: ブック（.xlsx）はテキストではありません。Checklist::from_path か xlsx::from_xlsx_bytes で読んでください"
            ),
            ChecklistError::Serialize { format, message } => {
                format!("チェックリストを {format} で書き出せません: {message}")
            }
            ChecklistError::Workbook { file, message } => format!(
                "{file}: .xlsx のブックとして読めません（{message}）。表計算ソフトで .xlsx 形式で保存し直してください"
            ),
            ChecklistError::Cells { file, problems } => format!(
                "{file}: 直すところが {} か所あります:{}",
                problems.len(),
                problems
                    .iter()
                    .map(|p| format!("\n  {}", p.message(Lang::Ja)))
                    .collect::<String>()
            ),
            ChecklistError::Unrepresentable { field, reason } => {
                format!("{field} はブックに書けません（{reason}）")
            }
            ChecklistError::XlsxWrite(m) => format!("ブックを作れません: {m}"),
            ChecklistError::Evidence(e) => e.to_string(),
        }
    }
}
