//! Bulk verification: a buyer's list of model numbers and registration
//! numbers answered row by row (labeled or not, level, status as of the
//! registry's clock, validity end, registration number, product page).
//!
//! - A **registration number** is recognised by [`crate::number`]; a wrong
//!   check character is a probable typo and the corrected number is
//!   suggested (never "not labeled"); a well-formed number that was never
//!   issued is reported as such (a label carrying it is counterfeit).
//! - A **model number** is compared after one normalisation, [`model_key`]:
//!   Unicode NFKC, lower case, and hyphens, spaces and dots removed, so
//!   `ＮＣ－２００`, `nc200` and `NC-200` are the same model. A model found in
//!   several labels is `ambiguous` and lists them all.
//!
//! Model rows are looked up in the search index ([`crate::search`], which
//! keeps every label's model numbers in this same form); the labels found
//! are read with one query per 200, never one query per row.
//!
//! Input readers ([`read_text`], [`read_csv`], [`read_xlsx`]) number rows
//! as the user sees them (line of the text or CSV file, row of the sheet)
//! and skip blank rows.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use chrono::{DateTime, NaiveDate, Utc};
use jcstar_criteria::Lang;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use utoipa::ToSchema;

use crate::Registry;
use crate::csv_cell::{UTF8_BOM, neutralise};
use crate::error::{Error, Result};
use crate::events::effective;
use crate::model::{Label, LabelStatus};
use crate::number::{NumberError, parse_registration_number};

/// Most rows one verification answers.
pub const MAX_ROWS: usize = 10_000;

/// Longest row text accepted (characters).
pub const MAX_ROW_CHARS: usize = 200;

/// The normalised form model numbers are compared in: NFKC, lower case,
/// without hyphens (any dash), spaces and dots.
pub fn model_key(s: &str) -> String {
    let lowered: String = if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.nfkc().collect::<String>().to_lowercase()
    };
    lowered
        .chars()
        .filter(|c| {
            !(c.is_whitespace()
                || matches!(
                    c,
                    '-' | '.'
                        | '\u{2010}'
                        | '\u{2011}'
                        | '\u{2012}'
                        | '\u{2013}'
                        | '\u{2014}'
                        | '\u{2015}'
                        | '\u{2212}'
                        | '\u{30FC}'
                        | '\u{FF70}'
                        | '\u{FF0E}'
                        | '\u{3002}'
                        | '\u{30FB}'
                ))
        })
        .collect()
}

/// One row of the user's list: its number as the user sees it (line of a
/// text or CSV file, row of a sheet) and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRow {
    /// Row number as the user sees it (file line or sheet row).
    pub row: u64,
    /// The sheet cell (`B3`) for rows read from a workbook.
    pub cell: Option<String>,
    /// The row's text.
    pub text: String,
}

/// Why a list could not be read. Each names the row (and, for a workbook,
/// the cell) and says what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The list has no row to check.
    #[error("the list is empty: give one model number or registration number per row")]
    Empty,
    /// The list is longer than the limit.
    #[error(
        "the list has more than {max} rows (row {row} is the first beyond); split it into lists of at most {max} rows"
    )]
    TooManyRows {
        /// Most rows accepted.
        max: usize,
        /// The first row beyond the limit.
        row: u64,
    },
    /// A row's text is longer than the limit.
    #[error("row {row}{}: the text has {chars} characters; at most {max} are accepted", cell_note(.cell))]
    TooLong {
        /// The row.
        row: u64,
        /// Its cell, for a workbook.
        cell: Option<String>,
        /// Characters in the text.
        chars: usize,
        /// Most characters accepted.
        max: usize,
    },
    /// A row's text holds a control character.
    #[error("row {row}{}: the text holds a control character; give plain text", cell_note(.cell))]
    Control {
        /// The row.
        row: u64,
        /// Its cell, for a workbook.
        cell: Option<String>,
    },
    /// A CSV row could not be read.
    #[error("row {row}: {message}")]
    Csv {
        /// The row.
        row: u64,
        /// What is wrong.
        message: String,
    },
    /// A workbook cell could not be read.
    #[error("row {row}, cell {cell}: {message}")]
    Cell {
        /// The row.
        row: u64,
        /// The cell (`B3`).
        cell: String,
        /// What is wrong.
        message: String,
    },
    /// The file is not a readable `.xlsx` workbook.
    #[error("the file is not a readable .xlsx workbook ({0}); save it as .xlsx or CSV (UTF-8)")]
    Workbook(String),
}

fn cell_note(cell: &Option<String>) -> String {
    cell.as_ref()
        .map(|c| format!(", cell {c}"))
        .unwrap_or_default()
}

impl InputError {
    /// The message in the user's language.
    pub fn message(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, e) => e.to_string(),
            (Lang::Ja, InputError::Empty) => {
                "リストが空です。1行に1つ、型番または登録番号を入力してください。".into()
            }
            (Lang::Ja, InputError::TooManyRows { max, row }) => format!(
                "リストが{max}行を超えています（{row}行目以降）。{max}行以下のリストに分けてください。"
            ),
            (
                Lang::Ja,
                InputError::TooLong {
                    row,
                    cell,
                    chars,
                    max,
                },
            ) => format!(
                "{row}行目{}: {chars}文字あります。{max}文字まで受け付けます。",
                cell.as_ref()
                    .map(|c| format!("（セル{c}）"))
                    .unwrap_or_default()
            ),
            (Lang::Ja, InputError::Control { row, cell }) => format!(
                "{row}行目{}: 制御文字が含まれています。文字だけを入力してください。",
                cell.as_ref()
                    .map(|c| format!("（セル{c}）"))
                    .unwrap_or_default()
            ),
            (Lang::Ja, InputError::Csv { row, message }) => {
                format!("{row}行目: {message}（CSVはUTF-8で保存してください）")
            }
            (Lang::Ja, InputError::Cell { row, cell, message }) => {
                format!("{row}行目（セル{cell}）: {message}")
            }
            (Lang::Ja, InputError::Workbook(e)) => format!(
                "ファイルを.xlsxブックとして読めません（{e}）。.xlsx またはCSV（UTF-8）で保存してください。"
            ),
        }
    }
}

/// Adds a row unless blank; refuses the row beyond [`MAX_ROWS`] and text
/// longer than [`MAX_ROW_CHARS`].
fn push_row(
    out: &mut Vec<InputRow>,
    row: u64,
    cell: Option<String>,
    text: &str,
) -> Result<(), InputError> {
    if text
        .chars()
        .any(|c| c.is_control() && c != '\t' && c != '\n')
    {
        return Err(InputError::Control { row, cell });
    }
    let raw_chars = text.chars().count();
    let text = text.trim();
    if text.is_empty() {
        return Ok(());
    }
    if out.len() >= MAX_ROWS {
        return Err(InputError::TooManyRows { max: MAX_ROWS, row });
    }
    let chars = raw_chars;
    if chars > MAX_ROW_CHARS {
        return Err(InputError::TooLong {
            row,
            cell,
            chars,
            max: MAX_ROW_CHARS,
        });
    }
    out.push(InputRow {
        row,
        cell,
        text: text.to_string(),
    });
    Ok(())
}

/// Rows from a list of texts (the API's `rows`): row `n` is the `n`-th
/// item, counted from 1; blank items are skipped.
pub fn read_list<S: AsRef<str>>(items: &[S]) -> Result<Vec<InputRow>, InputError> {
    if items.len() > MAX_ROWS {
        return Err(InputError::TooManyRows {
            max: MAX_ROWS,
            row: MAX_ROWS as u64 + 1,
        });
    }
    let mut out = Vec::new();
    for (i, t) in items.iter().enumerate() {
        push_row(&mut out, i as u64 + 1, None, t.as_ref())?;
    }
    if out.is_empty() {
        return Err(InputError::Empty);
    }
    Ok(out)
}

/// Rows from pasted text, one a line (of cells copied from a
/// spreadsheet, the first of each line).
pub fn read_text(text: &str) -> Result<Vec<InputRow>, InputError> {
    // Browsers send CRLF; a lone CR ends a line too.
    let text = text
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    // Cells copied from a spreadsheet arrive tab-separated: the first is read.
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.split('\t').next().unwrap_or(""))
        .collect();
    read_list(&lines)
}

/// Header texts that name the column to read.
fn is_header(cell: &str) -> bool {
    let k = model_key(cell);
    matches!(
        k.as_str(),
        "型番"
            | "型式"
            | "model"
            | "models"
            | "modelnumber"
            | "model_number"
            | "登録番号"
            | "number"
            | "registrationnumber"
            | "registration_number"
    )
}

/// Rows from a CSV file (UTF-8, with or without BOM): the column whose
/// header is 型番, model, 登録番号 or number, else the first column (and
/// then the first row is data).
pub fn read_csv(bytes: &[u8]) -> Result<Vec<InputRow>, InputError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut out = Vec::new();
    let mut column: Option<usize> = None;
    let mut record = csv::StringRecord::new();
    // The reader skips blank lines without telling; the line of a record
    // is counted from its first byte.
    let (mut counted_to, mut line) = (0usize, 1u64);
    loop {
        let mut start = reader.position().byte() as usize;
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let start = start.min(bytes.len());
        line += bytes
            .get(counted_to.min(start)..start)
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted_to = counted_to.max(start);
        let row = line;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let message = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        "the text is not UTF-8; save the file as CSV (UTF-8)".to_string()
                    }
                    _ => e.to_string(),
                };
                return Err(InputError::Csv { row, message });
            }
        }
        let col = match column {
            Some(c) => c,
            None => {
                let header = record.iter().position(is_header);
                column = Some(header.unwrap_or(0));
                if header.is_some() {
                    continue;
                }
                0
            }
        };
        push_row(&mut out, row, None, record.get(col).unwrap_or(""))?;
    }
    if out.is_empty() {
        return Err(InputError::Empty);
    }
    Ok(out)
}

/// `B3` for row index 2, column index 1 (both from 0).
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let r = (c - 1) % 26;
        letters.push(char::from(b'A' + r as u8));
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), row + 1)
}

/// Rows from the first sheet of an .xlsx workbook: same column rule as
/// [`read_csv`]; numbers written as numbers are read as their digits.
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<InputRow>, InputError> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| InputError::Workbook(e.to_string()))?;
    let range = match book.worksheet_range_at(0) {
        Some(r) => r.map_err(|e| InputError::Workbook(e.to_string()))?,
        None => return Err(InputError::Empty),
    };
    let Some((row0, col0)) = range.start() else {
        return Err(InputError::Empty);
    };
    let text_of = |d: &Data, r: u32, c: u32| -> Result<String, InputError> {
        Ok(match d {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            Data::Int(i) => i.to_string(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::Error(e) => {
                return Err(InputError::Cell {
                    row: u64::from(r) + 1,
                    cell: cell_name(r, c),
                    message: format!(
                        "the cell holds the error {e:?}; give a model number or registration number as text"
                    ),
                });
            }
            other => other.to_string(),
        })
    };
    let mut out = Vec::new();
    let mut column: Option<u32> = None;
    for (i, cells) in range.rows().enumerate() {
        let r = row0 + i as u32;
        let col = match column {
            Some(c) => c,
            None => {
                let mut header = None;
                for (j, d) in cells.iter().enumerate() {
                    if let Data::String(s) = d
                        && is_header(s)
                    {
                        header = Some(col0 + j as u32);
                        break;
                    }
                }
                // Without a header, the first column of the sheet (A) is read.
                column = Some(header.unwrap_or(0));
                if header.is_some() {
                    continue;
                }
                0
            }
        };
        let Some(idx) = col.checked_sub(col0) else {
            continue;
        };
        let Some(d) = cells.get(idx as usize) else {
            continue;
        };
        let text = text_of(d, r, col)?;
        push_row(&mut out, u64::from(r) + 1, Some(cell_name(r, col)), &text)?;
    }
    if out.is_empty() {
        return Err(InputError::Empty);
    }
    Ok(out)
}

/// Reads an uploaded file: `.xlsx` (a ZIP file) by its content, anything else
/// as CSV.
pub fn read_file(bytes: &[u8]) -> Result<Vec<InputRow>, InputError> {
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

/// What a row was taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// A model number, looked up among the labels' model numbers.
    Model,
    /// A registration number (it starts like one).
    Number,
}

/// The answer for one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// One label found (see its `status`: it may be expired, withdrawn or
    /// revoked).
    Labeled,
    /// No label has this model number.
    NotLabeled,
    /// Several labels have this model number: see `candidates`.
    Ambiguous,
    /// A well-formed registration number that was never issued: a label
    /// carrying it is counterfeit.
    NotIssued,
    /// The check character is wrong: probably mistyped; see `suggestion`.
    ProbableTypo,
    /// Starts like a registration number but is not one (and is no known
    /// model number).
    InvalidNumber,
}

impl Outcome {
    /// Every outcome, in the order summaries count them.
    pub const ALL: [Outcome; 6] = [
        Outcome::Labeled,
        Outcome::NotLabeled,
        Outcome::Ambiguous,
        Outcome::NotIssued,
        Outcome::ProbableTypo,
        Outcome::InvalidNumber,
    ];

    /// The snake_case name used in reports and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Labeled => "labeled",
            Outcome::NotLabeled => "not_labeled",
            Outcome::Ambiguous => "ambiguous",
            Outcome::NotIssued => "not_issued",
            Outcome::ProbableTypo => "probable_typo",
            Outcome::InvalidNumber => "invalid_number",
        }
    }

    /// Short text for reports and pages.
    pub fn text(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::Ja, Outcome::Labeled) => "ラベルあり",
            (Lang::Ja, Outcome::NotLabeled) => "ラベルなし",
            (Lang::Ja, Outcome::Ambiguous) => "複数のラベルに該当",
            (Lang::Ja, Outcome::NotIssued) => "発行されていない番号（偽造の疑い）",
            (Lang::Ja, Outcome::ProbableTypo) => "入力誤りの可能性",
            (Lang::Ja, Outcome::InvalidNumber) => "登録番号の形式ではありません",
            (Lang::En, Outcome::Labeled) => "labeled",
            (Lang::En, Outcome::NotLabeled) => "not labeled",
            (Lang::En, Outcome::Ambiguous) => "several labels match",
            (Lang::En, Outcome::NotIssued) => "never issued (suspected counterfeit)",
            (Lang::En, Outcome::ProbableTypo) => "probable typo",
            (Lang::En, Outcome::InvalidNumber) => "not a valid registration number",
        }
    }
}

/// A label status in words: the reports', the pages' and the CLI's.
pub fn status_text(status: LabelStatus, lang: Lang) -> &'static str {
    status.text(lang)
}

/// A label as a verification report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LabelRef {
    /// Registration number.
    pub number: String,
    /// ★ level, 1 to 4.
    #[schema(minimum = 1, maximum = 4)]
    pub level: u8,
    /// Status as of the registry's clock (`as_of`).
    pub status: LabelStatus,
    /// Last day of validity (inclusive, Japan date).
    pub valid_until: NaiveDate,
    /// Applicant company.
    pub company: String,
    /// Product names.
    pub products: Vec<String>,
    /// The product information page.
    pub url: String,
}

/// The answer for one row of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VerifyRow {
    /// The row as the user numbers it (list position, file line or sheet row).
    pub row: u64,
    /// The sheet cell, for rows read from a workbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// The row's text as given.
    pub input: String,
    /// Whether the row was read as a model number or a registration number.
    pub kind: InputKind,
    /// What the registry found.
    pub outcome: Outcome,
    /// True when exactly one label was found (whatever its status).
    pub labeled: bool,
    /// The label found (`labeled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<LabelRef>,
    /// Every label with this model number (`ambiguous`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<LabelRef>,
    /// The corrected registration number (`probable_typo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// The label with the corrected number, when it was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion_label: Option<LabelRef>,
    /// Why a registration number was not accepted (`invalid_number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Rows per outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VerifySummary {
    /// Rows checked.
    pub rows: u64,
    /// Rows with exactly one label (whatever its status).
    pub labeled: u64,
    /// Labeled rows whose label is active (not expired, withdrawn, revoked
    /// or under surveillance).
    pub active: u64,
    /// Rows with no label.
    pub not_labeled: u64,
    /// Rows matching several labels.
    pub ambiguous: u64,
    /// Registration numbers never issued.
    pub not_issued: u64,
    /// Registration numbers with a wrong check character.
    pub probable_typo: u64,
    /// Rows that look like registration numbers but are not.
    pub invalid_number: u64,
}

/// A verification report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VerifyReport {
    /// The Japan date statuses are given for.
    pub as_of: NaiveDate,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// The registry that answered (its public base URL).
    pub registry: String,
    /// Rows per outcome.
    pub summary: VerifySummary,
    /// One answer per row, in list order.
    pub rows: Vec<VerifyRow>,
}

fn label_ref(l: &Label, base_url: &str) -> LabelRef {
    LabelRef {
        number: l.number.clone(),
        level: l.level.number(),
        status: l.status,
        valid_until: l.valid_until,
        company: l.applicant.company.clone(),
        products: l.products.iter().map(|p| p.name.clone()).collect(),
        url: format!("{}/labels/{}", base_url.trim_end_matches('/'), l.number),
    }
}

/// What a row asks for, before the registry is read.
enum Ask {
    Number(String),
    Typo {
        suggestion: String,
    },
    Model {
        key: String,
        bad_number: Option<String>,
    },
}

fn ask_of(text: &str) -> Ask {
    let t: String = text.trim().nfkc().collect();
    match parse_registration_number(&t) {
        Ok(n) => Ask::Number(n.to_string()),
        Err(NumberError::Check { expected, .. }) => {
            let upper = t.trim().to_ascii_uppercase();
            let mut s: String = upper[..upper.len() - 1].to_string();
            s.push(expected);
            Ask::Typo { suggestion: s }
        }
        Err(e @ NumberError::Format { .. }) => {
            let looks = t.trim().to_ascii_uppercase().starts_with("JCS")
                && t.trim()[3..].starts_with(|c: char| c.is_ascii_digit());
            Ask::Model {
                key: model_key(&t),
                bad_number: looks.then(|| e.to_string()),
            }
        }
    }
}

pub(crate) async fn verify_rows(
    reg: &Registry,
    rows: &[InputRow],
    base_url: &str,
) -> Result<VerifyReport> {
    if rows.len() > MAX_ROWS {
        return Err(Error::invalid(
            "rows",
            crate::error::t(
                format!(
                    "{} 行が指定されました。一度に回答するのは {MAX_ROWS} 行までです",
                    rows.len()
                ),
                format!(
                    "{} rows given; at most {MAX_ROWS} are answered at once",
                    rows.len()
                ),
            ),
        ));
    }
    let today = reg.today();
    let asks: Vec<Ask> = rows.iter().map(|r| ask_of(&r.text)).collect();
    let wanted: HashSet<&str> = asks
        .iter()
        .filter_map(|a| match a {
            Ask::Model { key, .. } if !key.is_empty() => Some(key.as_str()),
            _ => None,
        })
        .collect();
    // The index of every label's model numbers (only when a row asks for a
    // model): which labels have a wanted model.
    let mut by_model: HashMap<String, Vec<String>> = HashMap::new();
    if !wanted.is_empty() {
        let wanted: Vec<&str> = wanted.into_iter().collect();
        by_model = crate::search::numbers_by_model_key(reg, &wanted).await?;
    }
    let mut needed: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for a in &asks {
        let ns: Vec<&String> = match a {
            Ask::Number(n) => vec![n],
            Ask::Typo { suggestion } => vec![suggestion],
            Ask::Model { key, .. } => by_model
                .get(key)
                .map(|v| v.iter().collect())
                .unwrap_or_default(),
        };
        for n in ns {
            if seen.insert(n.as_str()) {
                needed.push(n.clone());
            }
        }
    }
    // The labels asked for or found, read in chunks; a number missing here
    // was never issued.
    let labels: HashMap<String, LabelRef> = reg
        .inner
        .store
        .labels_by_numbers(&needed)
        .await?
        .into_iter()
        .map(|l| {
            let l = effective(l, today);
            (l.number.clone(), label_ref(&l, base_url))
        })
        .collect();
    let mut summary = VerifySummary::default();
    let mut out = Vec::with_capacity(rows.len());
    for (r, a) in rows.iter().zip(asks) {
        let mut v = VerifyRow {
            row: r.row,
            cell: r.cell.clone(),
            input: r.text.clone(),
            kind: InputKind::Model,
            outcome: Outcome::NotLabeled,
            labeled: false,
            label: None,
            candidates: Vec::new(),
            suggestion: None,
            suggestion_label: None,
            detail: None,
        };
        match a {
            Ask::Number(n) => {
                v.kind = InputKind::Number;
                match labels.get(&n) {
                    Some(l) => {
                        v.outcome = Outcome::Labeled;
                        v.labeled = true;
                        v.label = Some(l.clone());
                    }
                    None => v.outcome = Outcome::NotIssued,
                }
            }
            Ask::Typo { suggestion } => {
                v.kind = InputKind::Number;
                v.outcome = Outcome::ProbableTypo;
                v.suggestion_label = labels.get(&suggestion).cloned();
                v.suggestion = Some(suggestion);
            }
            Ask::Model { key, bad_number } => {
                let found: Vec<LabelRef> = by_model
                    .get(&key)
                    .map(|ns| ns.iter().filter_map(|n| labels.get(n).cloned()).collect())
                    .unwrap_or_default();
                match found.len() {
                    0 => {
                        if let Some(d) = bad_number {
                            v.kind = InputKind::Number;
                            v.outcome = Outcome::InvalidNumber;
                            v.detail = Some(d);
                        }
                    }
                    1 => {
                        v.outcome = Outcome::Labeled;
                        v.labeled = true;
                        v.label = found.into_iter().next();
                    }
                    _ => {
                        v.outcome = Outcome::Ambiguous;
                        v.candidates = found;
                    }
                }
            }
        }
        summary.rows += 1;
        match v.outcome {
            Outcome::Labeled => {
                summary.labeled += 1;
                if v.label.as_ref().map(|l| l.status) == Some(LabelStatus::Active) {
                    summary.active += 1;
                }
            }
            Outcome::NotLabeled => summary.not_labeled += 1,
            Outcome::Ambiguous => summary.ambiguous += 1,
            Outcome::NotIssued => summary.not_issued += 1,
            Outcome::ProbableTypo => summary.probable_typo += 1,
            Outcome::InvalidNumber => summary.invalid_number += 1,
        }
        out.push(v);
    }
    Ok(VerifyReport {
        as_of: today,
        generated_at: reg.now(),
        registry: base_url.trim_end_matches('/').to_string(),
        summary,
        rows: out,
    })
}

pub(crate) async fn verify_number(reg: &Registry, text: &str, base_url: &str) -> Result<VerifyRow> {
    let t: String = text.trim().nfkc().collect();
    if let Err(e @ NumberError::Format { .. }) = parse_registration_number(&t) {
        // Only a registration number is asked for here.
        return Ok(VerifyRow {
            row: 1,
            cell: None,
            input: text.trim().to_string(),
            kind: InputKind::Number,
            outcome: Outcome::InvalidNumber,
            labeled: false,
            label: None,
            candidates: Vec::new(),
            suggestion: None,
            suggestion_label: None,
            detail: Some(e.to_string()),
        });
    }
    let rows = [InputRow {
        row: 1,
        cell: None,
        text: text.trim().to_string(),
    }];
    let mut report = verify_rows(reg, &rows, base_url).await?;
    report.rows.pop().ok_or_else(|| {
        Error::invalid(
            "number",
            crate::error::t("登録番号が必要です", "a registration number is required"),
        )
    })
}

/// The report as JSON (pretty, with a final newline): the bytes that are
/// signed.
pub fn report_json(report: &VerifyReport) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(report).unwrap_or_default();
    out.push(b'\n');
    out
}

/// The report as a table: column titles and one row of texts per input
/// row, in `lang` (what the CSV and the workbook both show).
fn report_table(report: &VerifyReport, lang: Lang) -> ([&'static str; 14], Vec<[String; 14]>) {
    let headers: [&'static str; 14] = match lang {
        Lang::Ja => [
            "行",
            "入力",
            "種別",
            "結果",
            "登録番号",
            "レベル",
            "状態",
            "有効期限",
            "事業者",
            "製品",
            "製品ページ",
            "候補",
            "訂正候補",
            "備考",
        ],
        Lang::En => [
            "row",
            "input",
            "kind",
            "outcome",
            "registration number",
            "level",
            "status",
            "valid until",
            "company",
            "products",
            "product page",
            "candidates",
            "suggestion",
            "note",
        ],
    };
    let mut rows = Vec::with_capacity(report.rows.len());
    for r in &report.rows {
        let kind = match (lang, r.kind) {
            (Lang::Ja, InputKind::Model) => "型番",
            (Lang::Ja, InputKind::Number) => "登録番号",
            (Lang::En, InputKind::Model) => "model",
            (Lang::En, InputKind::Number) => "number",
        };
        let l = r.label.as_ref();
        let candidates = r
            .candidates
            .iter()
            .map(|c| {
                format!(
                    "{} ★{} {} {}",
                    c.number,
                    c.level,
                    status_text(c.status, lang),
                    c.company
                )
            })
            .collect::<Vec<_>>()
            .join(" / ");
        let note = match (r.outcome, lang) {
            (Outcome::NotIssued, Lang::Ja) => {
                "この登録番号は発行されていません。この番号のラベルは偽造の疑いがあります。"
                    .to_string()
            }
            (Outcome::NotIssued, Lang::En) => {
                "This registration number was never issued; a label carrying it is probably counterfeit.".to_string()
            }
            _ => r.detail.clone().unwrap_or_default(),
        };
        let row = r
            .cell
            .clone()
            .map_or(r.row.to_string(), |c| format!("{} ({c})", r.row));
        let cells: [String; 14] = [
            row,
            r.input.clone(),
            kind.to_string(),
            r.outcome.text(lang).to_string(),
            l.map(|l| l.number.clone()).unwrap_or_default(),
            l.map(|l| format!("★{}", l.level)).unwrap_or_default(),
            l.map(|l| status_text(l.status, lang).to_string())
                .unwrap_or_default(),
            l.map(|l| l.valid_until.to_string()).unwrap_or_default(),
            l.map(|l| l.company.clone()).unwrap_or_default(),
            l.map(|l| l.products.join(" / ")).unwrap_or_default(),
            l.map(|l| l.url.clone()).unwrap_or_default(),
            candidates,
            r.suggestion.clone().unwrap_or_default(),
            note,
        ];
        rows.push(cells);
    }
    (headers, rows)
}

/// The report as CSV for spreadsheets: UTF-8 with BOM, headers in `lang`,
/// one line per row (an ambiguous row lists its candidates in one cell),
/// every cell neutralised against formulas.
pub fn report_csv(report: &VerifyReport, lang: Lang) -> Vec<u8> {
    let (headers, rows) = report_table(report, lang);
    let mut out = UTF8_BOM.to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let _ = w.write_record(headers);
        for cells in &rows {
            let _ = w.write_record(cells.iter().map(|c| neutralise(c).into_owned()));
        }
        let _ = w.flush();
    }
    out
}

/// The report as an Excel workbook (.xlsx): one sheet with a bold, frozen
/// header row and filters, printed A4 landscape one page wide. Every cell
/// is written as text, so nothing in a buyer's list or a label can become a
/// formula.
pub fn report_xlsx(report: &VerifyReport, lang: Lang) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, FormatAlign, Workbook};
    let xerr = |e: rust_xlsxwriter::XlsxError| Error::Io(std::io::Error::other(e.to_string()));
    let (headers, rows) = report_table(report, lang);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name(match lang {
            Lang::Ja => "確認結果",
            Lang::En => "Verification",
        })
        .map_err(xerr)?;
    let bold = Format::new()
        .set_bold()
        .set_background_color("#DDEBF7")
        .set_align(FormatAlign::Center);
    let widths = [8, 22, 10, 14, 22, 7, 12, 12, 28, 28, 40, 40, 22, 40];
    for (c, (title, w)) in headers.iter().zip(widths).enumerate() {
        let c = c as u16;
        sheet.set_column_width(c, w).map_err(xerr)?;
        sheet
            .write_string_with_format(0, c, *title, &bold)
            .map_err(xerr)?;
    }
    for (i, cells) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, cell) in cells.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(row, c as u16, cell).map_err(xerr)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xerr)?;
    sheet
        .autofilter(0, 0, rows.len() as u32, headers.len() as u16 - 1)
        .map_err(xerr)?;
    sheet.set_paper_size(9);
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0).map_err(xerr)?;
    book.save_to_buffer().map_err(xerr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_keys() {
        assert_eq!(model_key("ＮＣ－２００"), "nc200");
        assert_eq!(model_key("nc200"), "nc200");
        assert_eq!(model_key("NC-200"), "nc200");
        assert_eq!(model_key(" N.C 2\u{2010}00 "), "nc200");
    }

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(2, 1), "B3");
        assert_eq!(cell_name(9, 26), "AA10");
    }

    #[test]
    fn csv_column_by_header_and_bom() {
        let rows = read_csv("\u{feff}名前,型番\nカメラ,NC-200\n,\nルータ,\"R 1\"\n".as_bytes())
            .expect("reads");
        assert_eq!(
            rows.iter()
                .map(|r| (r.row, r.text.as_str()))
                .collect::<Vec<_>>(),
            [(2, "NC-200"), (4, "R 1")]
        );
        let rows = read_csv(b"NC-200\n\nX-1\n").expect("reads");
        assert_eq!(
            rows.iter()
                .map(|r| (r.row, r.text.as_str()))
                .collect::<Vec<_>>(),
            [(1, "NC-200"), (3, "X-1")]
        );
    }

    #[test]
    fn csv_errors_name_the_row() {
        let err = read_csv(b"a\nb\n\xff\xfe\n").unwrap_err();
        assert!(matches!(err, InputError::Csv { row: 3, .. }), "{err:?}");
        assert!(err.message(Lang::Ja).contains("3行目"));
        let many: String = (0..=MAX_ROWS).map(|i| format!("M{i}\n")).collect();
        let err = read_csv(many.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            InputError::TooManyRows {
                max: MAX_ROWS,
                row: MAX_ROWS as u64 + 1
            }
        );
        assert_eq!(read_text("\n \n"), Err(InputError::Empty));
    }

    #[test]
    fn typo_suggests_the_corrected_number() {
        let n =
            crate::number::RegistrationNumber::new(crate::model::Level::Star1, 2026, 5).to_string();
        let good = n.chars().last().unwrap_or('0');
        let bad = if good == '1' { '2' } else { '1' };
        let typo = format!("{}{bad}", &n[..n.len() - 1]).to_lowercase();
        match ask_of(&typo) {
            Ask::Typo { suggestion } => assert_eq!(suggestion, n),
            _ => panic!("not a typo"),
        }
    }
}
