//! Reading and writing checklist files. The format follows the file's
//! extension: `.toml`, `.json` (text) and `.xlsx` (the workbook the operator's
//! own checklist uses, see [`crate::xlsx`]).

use std::path::{Path, PathBuf};

use crate::error::ChecklistError;
use crate::model::Checklist;

/// The extensions [`Format::from_path`] accepts, for error messages.
pub const ACCEPTED_EXTENSIONS: &str = ".toml, .json, .xlsx";

/// A checklist file format, chosen by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `.toml`: the text format vendors edit by hand.
    Toml,
    /// `.json`: for tools.
    Json,
    /// `.xlsx`: a workbook laid out like the operator's own checklist.
    Xlsx,
}

impl Format {
    /// The format named by a path's extension (case-insensitive).
    pub fn from_path(path: &Path) -> Result<Format, ChecklistError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("toml") => Ok(Format::Toml),
            Some("json") => Ok(Format::Json),
            Some("xlsx") => Ok(Format::Xlsx),
            _ => Err(ChecklistError::UnknownExtension {
                path: path.to_path_buf(),
                accepted: ACCEPTED_EXTENSIONS,
            }),
        }
    }

    /// The format's short name, as used in messages (`toml`, `json`, `xlsx`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Toml => "toml",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
        }
    }
}

impl Checklist {
    /// Reads a checklist file; the extension picks the format.
    pub fn from_path(path: &Path) -> Result<Checklist, ChecklistError> {
        let format = Format::from_path(path)?;
        let bytes = std::fs::read(path).map_err(|source| ChecklistError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let origin = path.display().to_string();
        if format == Format::Xlsx {
            return crate::xlsx::from_xlsx_bytes(&bytes, &origin);
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let (line, column) = line_col(e.as_bytes(), e.utf8_error().valid_up_to());
            ChecklistError::Parse {
                file: origin.clone(),
                line,
                column,
                message: "the file is not valid UTF-8 text".to_string(),
            }
        })?;
        Checklist::from_str_with_format(&text, format, &origin)
    }

    /// [`Checklist::from_path`], and for a workbook where each field sits
    /// (to show problems as `シート!セル`).
    pub fn from_path_mapped(
        path: &Path,
    ) -> Result<(Checklist, Option<crate::xlsx::WorkbookMap>), ChecklistError> {
        if Format::from_path(path)? != Format::Xlsx {
            return Checklist::from_path(path).map(|c| (c, None));
        }
        let bytes = std::fs::read(path).map_err(|source| ChecklistError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        crate::xlsx::from_xlsx_bytes_mapped(&bytes, &path.display().to_string())
            .map(|(c, m)| (c, Some(m)))
    }

    /// Parses TOML or JSON text. `origin` names the source in errors (a file
    /// name, or something like `<stdin>`). Parse errors carry 1-based line and
    /// column numbers.
    pub fn from_str_with_format(
        src: &str,
        format: Format,
        origin: &str,
    ) -> Result<Checklist, ChecklistError> {
        let mut checklist: Checklist = match format {
            Format::Toml => toml::from_str(src).map_err(|e| {
                let (line, column) = match e.span() {
                    Some(span) => line_col(src.as_bytes(), span.start),
                    None => (1, 1),
                };
                ChecklistError::Parse {
                    file: origin.to_string(),
                    line,
                    column,
                    message: e.message().trim().to_string(),
                }
            })?,
            Format::Json => serde_json::from_str(src).map_err(|e| ChecklistError::Parse {
                file: origin.to_string(),
                line: e.line(),
                column: e.column(),
                message: strip_json_position(&e.to_string()),
            })?,
            Format::Xlsx => {
                return Err(ChecklistError::NotText {
                    origin: origin.to_string(),
                });
            }
        };
        checklist.normalize();
        Ok(checklist)
    }

    /// The checklist as TOML or JSON text.
    pub fn to_string_with_format(&self, format: Format) -> Result<String, ChecklistError> {
        match format {
            Format::Toml => toml::to_string_pretty(self).map_err(|e| ChecklistError::Serialize {
                format: "toml",
                message: e.to_string(),
            }),
            Format::Json => serde_json::to_string_pretty(self)
                .map(|mut s| {
                    s.push('\n');
                    s
                })
                .map_err(|e| ChecklistError::Serialize {
                    format: "json",
                    message: e.to_string(),
                }),
            Format::Xlsx => Err(ChecklistError::NotText {
                origin: "xlsx".to_string(),
            }),
        }
    }

    /// TOML with a comment naming each answer's criterion (in Japanese and
    /// English), as `jcstar checklist init` writes a template.
    pub fn to_toml_with_titles(
        &self,
        catalog: &jcstar_criteria::Catalog,
    ) -> Result<String, ChecklistError> {
        crate::tomledit::with_titles(&self.to_string_with_format(Format::Toml)?, catalog)
    }

    /// Writes the checklist in the format its extension names. For `.xlsx`
    /// the catalog supplies the criterion titles shown next to each answer.
    ///
    /// The file is written next to its destination and renamed into place,
    /// so an interrupted write never leaves half a checklist behind.
    pub fn write_path(
        &self,
        path: &Path,
        catalog: Option<&jcstar_criteria::Catalog>,
    ) -> Result<(), ChecklistError> {
        self.write_path_in(path, catalog, jcstar_criteria::Lang::Ja)
    }

    /// [`Checklist::write_path`], a workbook being written in `lang` (TOML
    /// and JSON have no language).
    pub fn write_path_in(
        &self,
        path: &Path,
        catalog: Option<&jcstar_criteria::Catalog>,
        lang: jcstar_criteria::Lang,
    ) -> Result<(), ChecklistError> {
        let bytes = match Format::from_path(path)? {
            Format::Xlsx => crate::xlsx::to_xlsx_bytes_in(self, catalog, lang)?,
            f => self.to_string_with_format(f)?.into_bytes(),
        };
        write_atomically(path, &bytes)
    }
}

pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ChecklistError> {
    let io = |source| ChecklistError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp_name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp: PathBuf = path.with_file_name(tmp_name);
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(src: &[u8], offset: usize) -> (usize, usize) {
    let upto = src.get(..offset.min(src.len())).unwrap_or_default();
    let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let tail = upto.get(line_start..).unwrap_or_default();
    let column = String::from_utf8_lossy(tail).chars().count() + 1;
    (line, column)
}

/// serde_json appends " at line L column C"; the error carries those
/// separately, so drop the duplicate.
fn strip_json_position(msg: &str) -> String {
    let cut = msg.rfind(" at line ").and_then(|i| msg.get(..i));
    cut.unwrap_or(msg).to_string()
}
