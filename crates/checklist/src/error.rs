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

    /// Everything in a workbook that needs fixing, found in one pass:
    /// missing sheets, columns and rows as well as unreadable cells.
    #[error("{file}: {} place(s) to fix:{}", problems.len(), problems.iter().map(|p| format!("\n  {}", p.message(Lang::En))).collect::<String>())]
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
