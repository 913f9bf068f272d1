//! The checklist as a workbook, the form vendors fill in a spreadsheet.
//!
//! Two sheets: `基本情報` (one row per basic-information field: label, value,
//! how to fill it) and `チェックリスト` (one row per answer). Import looks
//! sheets, rows and columns up by their Japanese names, so reordering columns
//! or rows in a spreadsheet program does not break it; anything missing or
//! unreadable is an error naming the sheet, column or cell and what is
//! accepted. Export followed by import gives back the same [`Checklist`].
//!
//! Cells that hold lists (model numbers, versions, methods) keep one item
//! per line. Evidence has plain columns (document name, section/page, file;
//! see the `evidence` module); workbooks written with the earlier one-cell `証跡`
//! syntax are still read.

use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx};
use jcstar_criteria::{Catalog, MethodKind, Text};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, Format, FormatAlign, FormatBorder, Workbook,
    Worksheet,
};

use crate::error::ChecklistError;
use crate::model::{
    Answer, Applicant, CatalogRef, Checklist, CompanionService, Contact, Evaluation, Giteki,
    GitekiMark, Outcome, Product,
};

pub(crate) mod evidence;
mod words;

use jcstar_criteria::Lang;
use words::n;

/// Name of the basic-information sheet (Japanese; the key to its English name).
pub const SHEET_BASIC: &str = "基本情報";
/// Name of the answer sheet (Japanese; the key to its English name).
pub const SHEET_ANSWERS: &str = "チェックリスト";

const COL_ITEM: &str = "項目";
const COL_VALUE: &str = "値";
const COL_HOWTO: &str = "記入方法";

const COL_ID: &str = "適合基準ID";
const COL_TITLE: &str = "タイトル";
const COL_RESULT: &str = "結果";
const COL_NA: &str = "NAであることの理由";
const COL_METHODS: &str = "評価手法";
/// The one-cell evidence column of earlier workbooks; read, never written.
const COL_EVIDENCE_OLD: &str = "証跡";
const COL_EV_NAME: &str = "証跡の文書名";
const COL_EV_SECTION: &str = "証跡の章・ページ";
const COL_EV_FILE: &str = "証跡のファイル";
/// What `attach` recorded of device tests (JSON); hidden, not for people.
const COL_EV_RECORD: &str = "実機テストの記録（変更しないでください）";
const COL_NOTES: &str = "備考";
const COL_STATEMENT: &str = "適合基準（参照）";
const COL_NA_CONDITIONS: &str = "NAとなる条件（参照）";
const COL_PROCEDURE: &str = "評価手順（参照）";

/// Columns of the answer sheet, in export order, with widths. The
/// reference columns are the catalog's text for reading next to the answer;
/// import ignores them. The record column is hidden.
const ANSWER_COLUMNS: [(&str, f64); 13] = [
    (COL_ID, 9.0),
    (COL_TITLE, 16.0),
    (COL_RESULT, 11.0),
    (COL_NA, 18.0),
    (COL_METHODS, 12.0),
    (COL_EV_NAME, 18.0),
    (COL_EV_SECTION, 12.0),
    (COL_EV_FILE, 20.0),
    (COL_NOTES, 18.0),
    (COL_STATEMENT, 36.0),
    (COL_NA_CONDITIONS, 24.0),
    (COL_PROCEDURE, 40.0),
    (COL_EV_RECORD, 20.0),
];

/// The answer columns a vendor fills in; everything else is locked.
const INPUT_COLUMNS: [&str; 7] = [
    COL_RESULT,
    COL_NA,
    COL_METHODS,
    COL_EV_NAME,
    COL_EV_SECTION,
    COL_EV_FILE,
    COL_NOTES,
];

/// Row height (points) that shows every line of the row's wrapped cells:
/// one line per started column width, East Asian characters counting
/// double, as LibreOffice and Excel do not grow rows written by a library.
fn row_height(cells: &[(&str, f64)]) -> f64 {
    let lines = cells
        .iter()
        .map(|(text, width)| {
            let width = width.max(4.0);
            text.split('\n')
                .map(|line| {
                    let units: f64 = line
                        .chars()
                        .map(|c| if (c as u32) < 0x1100 { 1.0 } else { 1.5 })
                        .sum();
                    (units / (width - 1.0)).ceil().max(1.0)
                })
                .sum::<f64>()
        })
        .fold(1.0, f64::max);
    (lines * 13.0 + 4.0).min(409.0)
}

/// Landscape A4, one page wide, header row on every page, page numbers.
fn print_setup(ws: &mut Worksheet, last_row: u32, last_col: u16) -> Result<(), ChecklistError> {
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0).map_err(xw)?;
    ws.set_print_area(0, 0, last_row, last_col).map_err(xw)?;
    ws.set_margins(0.4, 0.4, 0.5, 0.5, 0.3, 0.3);
    ws.set_footer("&P / &N");
    Ok(())
}

/// Fixed text is locked; the sheet is protected without a password (it
/// guards against slips, not people), still letting rows be added and
/// resized.
fn protect(ws: &mut Worksheet) {
    let options = rust_xlsxwriter::ProtectionOptions {
        format_columns: true,
        format_rows: true,
        insert_rows: true,
        ..rust_xlsxwriter::ProtectionOptions::default()
    };
    ws.protect_with_options(&options);
}

/// Rows of the basic-information sheet: label, how to fill it.
mod row {
    pub const SCHEMA: &str = "スキーマバージョン";
    pub const CATALOG_ID: &str = "適合基準カタログID";
    pub const CATALOG_VERSION: &str = "適合基準カタログ版";
    pub const APPLICANT_NAME: &str = "申請者名（会社名）";
    pub const APPLICANT_ADDRESS: &str = "申請者住所";
    pub const CONTACT_PERSON: &str = "担当者名";
    pub const CONTACT_DEPARTMENT: &str = "担当部署";
    pub const CONTACT_EMAIL: &str = "メールアドレス";
    pub const CONTACT_PHONE: &str = "電話番号";
    pub const PRODUCT_NAME: &str = "製品名";
    pub const PRODUCT_TYPE: &str = "製品種別";
    pub const MODEL_NUMBERS: &str = "型番";
    pub const VERSIONS: &str = "ファームウェア/ソフトウェアバージョン";
    pub const COMPANION: &str = "必須付随サービスの有無";
    pub const COMPANION_DESC: &str = "必須付随サービスの内容";
    pub const GITEKI_MARK: &str = "技適マークの種類";
    pub const GITEKI_NUMBER: &str = "技術基準適合認定番号等";
    pub const RECOGNITION: &str = "相互承認制度";
    pub const RECOGNITION_DOC: &str = "相互承認の適合宣言書（文書）";
    pub const RECOGNITION_URL: &str = "相互承認の適合宣言書（URL）";
    pub const EVAL_DATE: &str = "評価日";
    pub const EVALUATOR: &str = "評価者";
}

/// Rows a workbook written before they existed does not have.
const OPTIONAL_ROWS: [&str; 3] = [row::RECOGNITION, row::RECOGNITION_DOC, row::RECOGNITION_URL];

const BASIC_ROWS: [(&str, &str); 22] = [
    (row::SCHEMA, "変更しないでください（ファイル形式の版）"),
    (row::CATALOG_ID, "変更しないでください"),
    (row::CATALOG_VERSION, "変更しないでください"),
    (row::APPLICANT_NAME, "必須"),
    (row::APPLICANT_ADDRESS, "必須"),
    (row::CONTACT_PERSON, "必須"),
    (row::CONTACT_DEPARTMENT, "任意"),
    (row::CONTACT_EMAIL, "必須（例: security@example.jp）"),
    (row::CONTACT_PHONE, "必須（例: 03-0000-0000）"),
    (row::PRODUCT_NAME, "必須"),
    (row::PRODUCT_TYPE, "必須（例: ネットワークカメラ）"),
    (row::MODEL_NUMBERS, "必須・1行に1つ"),
    (row::VERSIONS, "必須・1行に1つ"),
    (row::COMPANION, "「あり」または「なし」"),
    (row::COMPANION_DESC, "ありの場合は必須（サービス名と役割）"),
    (row::GITEKI_MARK, "T または A（技適がなければ空欄）"),
    (
        row::GITEKI_NUMBER,
        "T: 設計認証番号 / A: 技術基準適合認定番号",
    ),
    (
        row::RECOGNITION,
        "相互承認による申請のときだけ（例: uk-psti）。`jcstar criteria recognition` で一覧",
    ),
    (
        row::RECOGNITION_DOC,
        "相互承認による申請では、この欄か次の URL のどちらかが必須（PSTI: Statement of Compliance）",
    ),
    (row::RECOGNITION_URL, "適合宣言書を公開している URL"),
    (row::EVAL_DATE, "必須（YYYY-MM-DD）"),
    (row::EVALUATOR, "必須"),
];

const YES: &str = "あり";
const NO: &str = "なし";

const METHOD_DOCUMENT: &str = "ドキュメント評価";
const METHOD_DEVICE: &str = "実機テスト";
/// Between two methods in one cell, so that both fit one dropdown entry.
const METHOD_JOIN: &str = "・";

fn xw(e: rust_xlsxwriter::XlsxError) -> ChecklistError {
    ChecklistError::XlsxWrite(e.to_string())
}

/// Builds the Japanese workbook. With a catalog, each answer row shows the
/// criterion's title, statement, NA conditions and evaluation procedure
/// (for reading only; import ignores them).
pub fn to_xlsx_bytes(
    checklist: &Checklist,
    catalog: Option<&Catalog>,
) -> Result<Vec<u8>, ChecklistError> {
    to_xlsx_bytes_in(checklist, catalog, Lang::Ja)
}

/// [`to_xlsx_bytes`] in `lang`: sheet names, headers, labels, dropdown
/// values and the catalog's text. Both read back the same.
pub fn to_xlsx_bytes_in(
    checklist: &Checklist,
    catalog: Option<&Catalog>,
    lang: Lang,
) -> Result<Vec<u8>, ChecklistError> {
    let mut wb = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    // "@" keeps phone numbers, dates and model numbers as typed text.
    let cell = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin)
        .set_num_format("@");
    let note = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_font_color(Color::RGB(0x595959));

    {
        let ws = wb.add_worksheet();
        ws.set_name(n(lang, SHEET_BASIC)).map_err(xw)?;
        write_basic(ws, checklist, lang, &header, &cell, &note)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(n(lang, SHEET_ANSWERS)).map_err(xw)?;
        write_answers(ws, checklist, catalog, lang, &header, &cell)?;
    }
    wb.save_to_buffer().map_err(xw)
}

fn join_list(field: &str, items: &[String]) -> Result<String, ChecklistError> {
    for (i, item) in items.iter().enumerate() {
        if !fits_one_line(item) {
            return Err(ChecklistError::Unrepresentable {
                field: format!("{field}[{i}]"),
                reason: "a list item that is empty, contains a line break or starts or ends with blanks cannot be kept in a one-item-per-line cell".to_string(),
            });
        }
    }
    Ok(items.join("\n"))
}

/// Import trims each line of a list cell (people pad them), so only items
/// without surrounding blanks come back unchanged.
fn fits_one_line(item: &str) -> bool {
    !item.is_empty() && !item.contains(['\n', '\r']) && item.trim() == item
}

fn write_basic(
    ws: &mut Worksheet,
    c: &Checklist,
    lang: Lang,
    header: &Format,
    cell: &Format,
    note: &Format,
) -> Result<(), ChecklistError> {
    let value = |label: &str| -> Result<String, ChecklistError> {
        Ok(match label {
            row::SCHEMA => c.schema_version.to_string(),
            row::CATALOG_ID => c.catalog.id.clone(),
            row::CATALOG_VERSION => c.catalog.version.clone(),
            row::APPLICANT_NAME => c.applicant.name.clone(),
            row::APPLICANT_ADDRESS => c.applicant.address.clone(),
            row::CONTACT_PERSON => c.contact.person.clone(),
            row::CONTACT_DEPARTMENT => c.contact.department.clone().unwrap_or_default(),
            row::CONTACT_EMAIL => c.contact.email.clone(),
            row::CONTACT_PHONE => c.contact.phone.clone(),
            row::PRODUCT_NAME => c.product.name.clone(),
            row::PRODUCT_TYPE => c.product.product_type.clone(),
            row::MODEL_NUMBERS => join_list("product.model-numbers", &c.product.model_numbers)?,
            row::VERSIONS => join_list("product.versions", &c.product.versions)?,
            row::COMPANION => n(
                lang,
                if c.companion_service.essential {
                    YES
                } else {
                    NO
                },
            )
            .to_string(),
            row::COMPANION_DESC => c.companion_service.description.clone().unwrap_or_default(),
            row::GITEKI_MARK => match c.giteki.as_ref().map(|g| g.mark) {
                Some(GitekiMark::T) => "T".to_string(),
                Some(GitekiMark::A) => "A".to_string(),
                None => String::new(),
            },
            row::GITEKI_NUMBER => c
                .giteki
                .as_ref()
                .map(|g| g.number.clone())
                .unwrap_or_default(),
            row::RECOGNITION => c
                .recognition
                .as_ref()
                .map(|r| r.arrangement.clone())
                .unwrap_or_default(),
            row::RECOGNITION_DOC => c
                .recognition
                .as_ref()
                .and_then(|r| r.statement_document.clone())
                .unwrap_or_default(),
            row::RECOGNITION_URL => c
                .recognition
                .as_ref()
                .and_then(|r| r.statement_url.clone())
                .unwrap_or_default(),
            row::EVAL_DATE => c.evaluation.date.clone(),
            row::EVALUATOR => c.evaluation.evaluator.clone(),
            _ => String::new(),
        })
    };
    for (col, title) in [COL_ITEM, COL_VALUE, COL_HOWTO].into_iter().enumerate() {
        ws.write_string_with_format(0, col as u16, n(lang, title), header)
            .map_err(xw)?;
    }
    let input = cell.clone().set_unlocked();
    let fixed = cell.clone().set_background_color(Color::RGB(0xF2F2F2));
    for (i, (label, howto)) in BASIC_ROWS.into_iter().enumerate() {
        let r = i as u32 + 1;
        let v = value(label)?;
        // The rows that identify the file format are not the vendor's to edit.
        let fixed_row = howto.starts_with("変更しないでください");
        let (label, howto) = (n(lang, label), n(lang, howto));
        ws.set_row_height(r, row_height(&[(&v, 60.0), (howto, 40.0), (label, 34.0)]))
            .map_err(xw)?;
        ws.write_string_with_format(r, 0, label, header)
            .map_err(xw)?;
        let f = if fixed_row { &fixed } else { &input };
        ws.write_string_with_format(r, 1, v, f).map_err(xw)?;
        ws.write_string_with_format(r, 2, howto, note).map_err(xw)?;
    }
    let dv = DataValidation::new()
        .allow_list_strings(&[n(lang, YES), n(lang, NO)])
        .map_err(xw)?;
    let companion_row = BASIC_ROWS
        .iter()
        .position(|(l, _)| *l == row::COMPANION)
        .unwrap_or(0) as u32
        + 1;
    ws.add_data_validation(companion_row, 1, companion_row, 1, &dv)
        .map_err(xw)?;
    let dv = DataValidation::new()
        .allow_list_strings(&["T", "A"])
        .map_err(xw)?;
    let mark_row = BASIC_ROWS
        .iter()
        .position(|(l, _)| *l == row::GITEKI_MARK)
        .unwrap_or(0) as u32
        + 1;
    ws.add_data_validation(mark_row, 1, mark_row, 1, &dv)
        .map_err(xw)?;
    ws.set_column_width(0, 34).map_err(xw)?;
    ws.set_column_width(1, 60).map_err(xw)?;
    ws.set_column_width(2, 40).map_err(xw)?;
    ws.set_freeze_panes(1, 0).map_err(xw)?;
    print_setup(ws, BASIC_ROWS.len() as u32, 2)?;
    ws.set_portrait();
    protect(ws);
    Ok(())
}

fn write_answers(
    ws: &mut Worksheet,
    c: &Checklist,
    catalog: Option<&Catalog>,
    lang: Lang,
    header: &Format,
    cell: &Format,
) -> Result<(), ChecklistError> {
    let fixed = cell.clone().set_background_color(Color::RGB(0xF2F2F2));
    let input = cell.clone().set_unlocked();
    for (col, (title, width)) in ANSWER_COLUMNS.into_iter().enumerate() {
        ws.write_string_with_format(0, col as u16, n(lang, title), header)
            .map_err(xw)?;
        ws.set_column_width(col as u16, width).map_err(xw)?;
    }
    // Narrow columns wrap their headers; the header row grows to show them.
    let heads: Vec<(&str, f64)> = ANSWER_COLUMNS
        .iter()
        .map(|(t, w)| (n(lang, t), *w))
        .collect();
    ws.set_row_height(0, row_height(&heads)).map_err(xw)?;
    for (i, a) in c.answers.iter().enumerate() {
        if !fits_one_line(&a.criterion) {
            return Err(ChecklistError::Unrepresentable {
                field: format!("answers[{i}].criterion"),
                reason: "a criterion id must be one line without surrounding blanks".to_string(),
            });
        }
        let r = i as u32 + 1;
        let cr = catalog.and_then(|cat| cat.criterion(&a.criterion));
        let title = cr
            .map(|cr| cr.title.get(lang).to_string())
            .unwrap_or_default();
        let statement = cr
            .map(|cr| {
                let mut text = cr.statement.get(lang).to_string();
                if let Some(conds) = &cr.conditions {
                    for item in &conds.items {
                        text.push_str(&format!("\n{} {}", item.label, item.text.get(lang)));
                    }
                }
                text
            })
            .unwrap_or_default();
        let na_conditions = cr
            .map(|cr| {
                if cr.na.allowed {
                    cr.na
                        .conditions
                        .iter()
                        .map(|t| {
                            let bullet = if lang == Lang::Ja { "・" } else { "- " };
                            format!("{bullet}{}", t.get(lang))
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                } else {
                    n(lang, "対象外（NA）にはできない").to_string()
                }
            })
            .unwrap_or_default();
        let procedure = cr
            .map(|cr| {
                cr.methods
                    .iter()
                    .filter(|m| m.applies)
                    .map(|m| {
                        let mut text = format!(
                            "【{}】{}",
                            n(lang, method_label(m.kind)),
                            m.examines.get(lang)
                        );
                        if let Some(steps) = &m.steps {
                            for item in &steps.items {
                                text.push_str(&format!("\n{} {}", item.label, item.text.get(lang)));
                            }
                        }
                        if let Some(note) = &m.note {
                            text.push_str(&format!("\n※{}", note.get(lang)));
                        }
                        text
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        let methods = a
            .methods
            .iter()
            .map(|m| n(lang, method_label(*m)))
            .collect::<Vec<_>>()
            .join(n(lang, METHOD_JOIN));
        let ev = evidence::encode(
            &a.evidence,
            match lang {
                Lang::Ja => evidence::WORDS_JA,
                Lang::En => evidence::WORDS_EN,
            },
        );
        // Lines of the three evidence cells belong together, so an item
        // that cannot keep to one line would shift every line after it.
        if evidence::decode(&ev) != (a.evidence.clone(), Vec::new()) {
            return Err(ChecklistError::Unrepresentable {
                field: format!("answers[{i}].evidence"),
                reason: "an evidence name, section or file that is empty, is `-`, spans lines, starts or ends with blanks, or a document named 実機テスト cannot be kept on one line of the evidence columns".to_string(),
            });
        }
        let values = [
            a.criterion.clone(),
            title,
            a.result.label(lang).to_string(),
            a.na_reason.clone().unwrap_or_default(),
            methods,
            ev.name,
            ev.section,
            ev.file,
            a.notes.clone().unwrap_or_default(),
            statement,
            na_conditions,
            procedure,
            ev.record,
        ];
        let sized: Vec<(&str, f64)> = values
            .iter()
            .zip(ANSWER_COLUMNS.iter())
            .map(|(v, (_, w))| (v.as_str(), *w))
            .collect();
        ws.set_row_height(r, row_height(&sized)).map_err(xw)?;
        for (col, v) in values.iter().enumerate() {
            let name = ANSWER_COLUMNS.get(col).map_or("", |(n, _)| *n);
            let f = if INPUT_COLUMNS.contains(&name) {
                &input
            } else {
                &fixed
            };
            ws.write_string_with_format(r, col as u16, v, f)
                .map_err(xw)?;
        }
    }
    // The dropdowns cover the answer rows plus some blank ones so a vendor
    // adding a row still gets them; those rows are left open for input.
    let last = c.answers.len() as u32 + 20;
    for r in c.answers.len() as u32 + 1..=last {
        for col in INPUT_COLUMNS.iter().map(|n| col_index(n)) {
            ws.write_blank(r, col, &input).map_err(xw)?;
        }
        ws.write_blank(r, col_index(COL_ID), &input).map_err(xw)?;
    }
    let labels: Vec<&str> = Outcome::ALL.iter().map(|o| o.label(lang)).collect();
    let dv = DataValidation::new()
        .allow_list_strings(&labels)
        .map_err(xw)?
        .set_error_title(n(lang, "結果の値が不正です"))
        .map_err(xw)?
        .set_error_message(format!(
            "{}{}",
            n(lang, "次のいずれかを選んでください: "),
            labels.join(" / ")
        ))
        .map_err(xw)?
        .set_error_style(DataValidationErrorStyle::Stop);
    let result_col = col_index(COL_RESULT);
    ws.add_data_validation(1, result_col, last, result_col, &dv)
        .map_err(xw)?;
    let (doc, dev) = (n(lang, METHOD_DOCUMENT), n(lang, METHOD_DEVICE));
    let both = format!("{doc}{}{dev}", n(lang, METHOD_JOIN));
    let dv = DataValidation::new()
        .allow_list_strings(&[doc, dev, both.as_str()])
        .map_err(xw)?
        .set_error_style(DataValidationErrorStyle::Information);
    let methods_col = col_index(COL_METHODS);
    ws.add_data_validation(1, methods_col, last, methods_col, &dv)
        .map_err(xw)?;
    let dv = DataValidation::new()
        .allow_any_value()
        .set_input_title(n(lang, "証跡の書き方"))
        .map_err(xw)?
        .set_input_message(match lang {
            Lang::Ja => evidence::HOWTO_JA,
            Lang::En => evidence::HOWTO_EN,
        })
        .map_err(xw)?;
    ws.add_data_validation(1, col_index(COL_EV_NAME), last, col_index(COL_EV_FILE), &dv)
        .map_err(xw)?;
    ws.set_column_hidden(col_index(COL_EV_RECORD)).map_err(xw)?;
    ws.set_freeze_panes(1, 1).map_err(xw)?;
    print_setup(ws, c.answers.len() as u32, ANSWER_COLUMNS.len() as u16 - 2)?;
    protect(ws);
    Ok(())
}

fn col_index(name: &str) -> u16 {
    ANSWER_COLUMNS
        .iter()
        .position(|(n, _)| *n == name)
        .unwrap_or(0) as u16
}

fn method_label(m: MethodKind) -> &'static str {
    match m {
        MethodKind::DocumentReview => METHOD_DOCUMENT,
        MethodKind::DeviceTest => METHOD_DEVICE,
    }
}

fn parse_method(s: &str) -> Option<MethodKind> {
    match s.trim() {
        t if words::is(t, METHOD_DOCUMENT) => Some(MethodKind::DocumentReview),
        t if words::is(t, METHOD_DEVICE) => Some(MethodKind::DeviceTest),
        METHOD_DOCUMENT | "document-review" | "ドキュメント" => {
            Some(MethodKind::DocumentReview)
        }
        METHOD_DEVICE | "device-test" => Some(MethodKind::DeviceTest),
        _ => None,
    }
}

/// `A1`-style name of a zero-based cell position.
fn cell_name(row: u32, col: u32) -> String {
    let mut n = col + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), row + 1)
}

/// Text of a cell as a person would read it: numbers without a trailing
/// `.0`, dates as `YYYY-MM-DD`.
fn cell_text(range: &Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        None | Some(Data::Empty) => String::new(),
        Some(Data::String(s)) => s.clone(),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::Float(f)) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        Some(Data::Bool(b)) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Some(Data::DateTime(dt)) => serial_to_date(dt.as_f64()),
        Some(Data::DateTimeIso(s)) => s.get(..10).unwrap_or(s).to_string(),
        Some(Data::DurationIso(s)) => s.clone(),
        Some(Data::Error(e)) => format!("#{e:?}"),
    }
}

/// Excel serial day (1900 date system, as written by current spreadsheet
/// programs) to a calendar date.
fn serial_to_date(serial: f64) -> String {
    if !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return serial.to_string();
    }
    // Days from 1970-01-01; serial 25569 is 1970-01-01.
    let z = serial.floor() as i64 - 25569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

struct Sheet {
    name: &'static str,
    lang: Lang,
    range: Range<Data>,
    /// Header cells already suggested for missing columns.
    next_free_col: std::cell::Cell<u32>,
}

impl Sheet {
    fn rows(&self) -> (u32, u32) {
        match (self.range.start(), self.range.end()) {
            (Some(s), Some(e)) => (s.0, e.0),
            _ => (0, 0),
        }
    }

    fn last_col(&self) -> u32 {
        self.range.end().map_or(0, |e| e.1)
    }

    /// Column of a header in row 1, if there is one.
    fn column(&self, key: &'static str) -> Option<u32> {
        let name = n(self.lang, key);
        (0..=self.last_col()).find(|&c| {
            let head = cell_text(&self.range, 0, c);
            head.trim() == name || head.trim() == key
        })
    }

    /// Column of each wanted header in row 1; a missing one is recorded
    /// as a problem at a free header cell, where it could be typed.
    fn columns<const N: usize>(
        &self,
        wanted: [&'static str; N],
        bad: &mut Vec<CellProblem>,
    ) -> [Option<u32>; N] {
        let wanted = wanted.map(|k| (k, n(self.lang, k)));
        let expected = wanted.map(|(_, name)| name).join("」「");
        let expected_en = wanted.map(|(_, name)| name).join("`, `");
        wanted.map(|(key, name)| {
            let found = self.column(key);
            if found.is_none() {
                let free = self.last_col() + 1 + self.next_free_col.get();
                self.next_free_col.set(self.next_free_col.get() + 1);
                bad.push(CellProblem {
                    sheet: self.name,
                    cell: cell_name(0, free),
                    value: String::new(),
                    expected: Text {
                        ja: format!(
                            "見出し「{name}」の列がありません。1行目のこのセルに「{name}」と入力し、その列に記入してください（このシートに必要な見出し: 「{expected}」）"
                        ),
                        en: format!(
                            "there is no column `{name}`; type `{name}` into this header cell and fill in the column (this sheet needs the headers `{expected_en}`)"
                        ),
                    },
                });
            }
            found
        })
    }

    /// Records a cell that cannot be read; reading goes on so every such
    /// cell is reported at once.
    fn bad(
        &self,
        out: &mut Vec<CellProblem>,
        row: u32,
        col: u32,
        ja: impl Into<String>,
        en: impl Into<String>,
    ) {
        // A cell of a missing row or column: the missing row or column is
        // reported already.
        if row == u32::MAX || col == u32::MAX {
            return;
        }
        out.push(CellProblem {
            sheet: self.name,
            cell: cell_name(row, col),
            value: cell_text(&self.range, row, col),
            expected: Text {
                ja: ja.into(),
                en: en.into(),
            },
        });
    }

    fn is_number(&self, row: u32, col: u32) -> bool {
        matches!(
            self.range.get_value((row, col)),
            Some(Data::Float(_) | Data::Int(_))
        )
    }
}

/// One workbook cell that could not be read, and what to type there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CellProblem {
    /// The sheet, by name.
    pub sheet: &'static str,
    /// `A1`-style, e.g. `D13`.
    pub cell: String,
    /// The cell as read.
    pub value: String,
    /// What the cell should hold, in Japanese and English.
    pub expected: Text,
}

impl CellProblem {
    /// `チェックリスト!D13`, or the sheet alone when the sheet is missing.
    pub fn place(&self) -> String {
        if self.cell.is_empty() {
            self.sheet.to_string()
        } else {
            format!("{}!{}", self.sheet, self.cell)
        }
    }

    /// The place, what it holds and what to type there, in `lang`.
    pub fn message(&self, lang: jcstar_criteria::Lang) -> String {
        let expected = self.expected.get(lang);
        match (self.value.trim().is_empty(), lang) {
            (true, _) => format!("{}: {expected}", self.place()),
            (false, jcstar_criteria::Lang::Ja) => format!(
                "{}: `{}` は受け付けられません。{expected}",
                self.place(),
                self.value
            ),
            (false, jcstar_criteria::Lang::En) => format!(
                "{}: `{}` is not accepted; {expected}",
                self.place(),
                self.value
            ),
        }
    }
}

/// Where each field of a checklist read from a workbook sits, so problems
/// found later can be shown as `シート!セル` rather than as field paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkbookMap {
    /// Zero-based row of each answer on the answer sheet.
    answer_rows: Vec<u32>,
    /// Answer field name → column.
    answer_cols: Vec<(&'static str, u32)>,
    /// Basic-information field path → row.
    basic_rows: Vec<(&'static str, u32)>,
    basic_value_col: u32,
    /// The workbook's language (its sheet and column names).
    lang: Lang,
}

/// Checklist field paths of the basic-information rows.
const BASIC_FIELD_ROWS: [(&str, &str); 22] = [
    ("schema-version", row::SCHEMA),
    ("catalog.id", row::CATALOG_ID),
    ("catalog.version", row::CATALOG_VERSION),
    ("applicant.name", row::APPLICANT_NAME),
    ("applicant.address", row::APPLICANT_ADDRESS),
    ("contact.person", row::CONTACT_PERSON),
    ("contact.department", row::CONTACT_DEPARTMENT),
    ("contact.email", row::CONTACT_EMAIL),
    ("contact.phone", row::CONTACT_PHONE),
    ("product.name", row::PRODUCT_NAME),
    ("product.type", row::PRODUCT_TYPE),
    ("product.model-numbers", row::MODEL_NUMBERS),
    ("product.versions", row::VERSIONS),
    ("companion-service.essential", row::COMPANION),
    ("companion-service.description", row::COMPANION_DESC),
    ("giteki.mark", row::GITEKI_MARK),
    ("giteki.number", row::GITEKI_NUMBER),
    ("recognition.arrangement", row::RECOGNITION),
    ("recognition.statement-document", row::RECOGNITION_DOC),
    ("recognition.statement-url", row::RECOGNITION_URL),
    ("evaluation.date", row::EVAL_DATE),
    ("evaluation.evaluator", row::EVALUATOR),
];

impl WorkbookMap {
    /// The cell (`シート!A1`) holding `field`, a path as [`crate::Problem`]
    /// gives it (`contact.email`, `answers[3].na-reason`,
    /// `answers[3].evidence[0].path`, `answers[3]`).
    pub fn cell_of(&self, field: &str) -> Option<String> {
        if let Some(rest) = field.strip_prefix("answers[") {
            let (idx, tail) = rest.split_once(']')?;
            let row = *self.answer_rows.get(idx.parse::<usize>().ok()?)?;
            let tail = tail.trim_start_matches('.');
            let name = tail.split(['.', '[']).next().unwrap_or_default();
            let col = match name {
                "" | "criterion" => COL_ID,
                "result" => COL_RESULT,
                "na-reason" => COL_NA,
                "methods" => COL_METHODS,
                "evidence" => match tail.rsplit_once('.').map(|(_, f)| f) {
                    Some("section") => COL_EV_SECTION,
                    Some("path") => COL_EV_FILE,
                    _ => COL_EV_NAME,
                },
                "notes" => COL_NOTES,
                _ => return None,
            };
            let c = self
                .answer_cols
                .iter()
                .find(|(n, _)| *n == col)
                .or_else(|| {
                    // A workbook of the earlier layout keeps all evidence
                    // in one cell.
                    (name == "evidence")
                        .then(|| {
                            self.answer_cols
                                .iter()
                                .find(|(n, _)| *n == COL_EVIDENCE_OLD)
                        })
                        .flatten()
                })?
                .1;
            return Some(format!(
                "{}!{}",
                n(self.lang, SHEET_ANSWERS),
                cell_name(row, c)
            ));
        }
        let row = self
            .basic_rows
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, r)| *r)?;
        Some(format!(
            "{}!{}",
            n(self.lang, SHEET_BASIC),
            cell_name(row, self.basic_value_col)
        ))
    }
}

/// A hint written for the TOML/JSON files, in the words of the workbook:
/// field names become column and row names, keywords the dropdown labels.
pub fn hint_for_workbook(hint: &str) -> String {
    const WORDS: [(&str, &str); 18] = [
        (
            "kind = \"device-test\"",
            "「証跡の文書名」列が「実機テスト」の行",
        ),
        (
            "kind = \"document\"",
            "「証跡の文書名」「証跡の章・ページ」「証跡のファイル」列の行",
        ),
        (
            "set external = true",
            "start the file with (外部保管) in the 「証跡のファイル」 column",
        ),
        ("external = true", "「証跡のファイル」列の先頭に (外部保管)"),
        ("`path`", "「証跡のファイル」列"),
        ("`na-reason`", "「NAであることの理由」列"),
        ("`methods`", "「評価手法」列"),
        ("`notes`", "「備考」列"),
        ("\"device-test\"", "「実機テスト」"),
        ("\"document-review\"", "「ドキュメント評価」"),
        (
            "[giteki]",
            "「技適マークの種類」と「技術基準適合認定番号等」",
        ),
        (
            "conforms / not-applicable / deemed-met",
            "適合 / 対象外(NA) / みなし適合",
        ),
        ("not-applicable", "対象外(NA)"),
        ("does-not-conform", "不適合"),
        ("deemed-met", "みなし適合"),
        ("conforms", "適合"),
        ("`catalog.version`", "「適合基準カタログ版」"),
        ("`catalog.id`", "「適合基準カタログID」"),
    ];
    let mut out = hint.to_string();
    for (from, to) in WORDS {
        out = out.replace(from, to);
    }
    for (field, label) in BASIC_FIELD_ROWS {
        out = out.replace(&format!("`{field}`"), &format!("「{label}」"));
    }
    out
}

impl WorkbookMap {
    /// A hint written for the TOML/JSON files, in the words of this
    /// workbook: field names become its column and row names, keywords its
    /// dropdown labels.
    pub fn hint(&self, hint: &str) -> String {
        if self.lang == Lang::Ja {
            return hint_for_workbook(hint);
        }
        let q = |k: &'static str| format!("“{}”", n(Lang::En, k));
        let words: Vec<(&str, String)> = vec![
            (
                "kind = \"device-test\"",
                format!("a line whose {} is {}", q(COL_EV_NAME), q(METHOD_DEVICE)),
            ),
            (
                "kind = \"document\"",
                format!(
                    "a line of the {}, {} and {} columns",
                    q(COL_EV_NAME),
                    q(COL_EV_SECTION),
                    q(COL_EV_FILE)
                ),
            ),
            (
                "set external = true",
                format!("start the {} with (kept elsewhere)", q(COL_EV_FILE)),
            ),
            (
                "external = true",
                format!("(kept elsewhere) at the start of the {}", q(COL_EV_FILE)),
            ),
            ("`path`", format!("the {} column", q(COL_EV_FILE))),
            ("`na-reason`", format!("the {} column", q(COL_NA))),
            ("`methods`", format!("the {} column", q(COL_METHODS))),
            ("`notes`", format!("the {} column", q(COL_NOTES))),
            ("\"device-test\"", q(METHOD_DEVICE)),
            ("\"document-review\"", q(METHOD_DOCUMENT)),
            (
                "[giteki]",
                format!(
                    "the {} and {} rows",
                    q(row::GITEKI_MARK),
                    q(row::GITEKI_NUMBER)
                ),
            ),
            (
                "not-applicable",
                Outcome::NotApplicable.label_en().to_string(),
            ),
            (
                "does-not-conform",
                Outcome::DoesNotConform.label_en().to_string(),
            ),
            ("deemed-met", Outcome::DeemedMet.label_en().to_string()),
        ];
        let mut out = hint.to_string();
        for (from, to) in words {
            out = out.replace(from, &to);
        }
        for (field, label) in BASIC_FIELD_ROWS {
            out = out.replace(&format!("`{field}`"), &q(label));
        }
        out
    }
}

/// What rewriting this workbook from its checklist would throw away, if
/// anything: sheets, cell notes, drawings or columns the vendor added.
/// `None` when a rewrite keeps everything the workbook holds.
pub fn what_a_rewrite_loses(bytes: &[u8]) -> Option<String> {
    let mut wb: Xlsx<_> = match Xlsx::new(Cursor::new(bytes)) {
        Ok(wb) => wb,
        Err(e) => return Some(format!("the workbook could not be read in full ({e})")),
    };
    let extra: Vec<String> = wb
        .sheet_names()
        .into_iter()
        .filter(|s| {
            ![Lang::Ja, Lang::En]
                .iter()
                .any(|l| s == n(*l, SHEET_BASIC) || s == n(*l, SHEET_ANSWERS))
        })
        .collect();
    if !extra.is_empty() {
        return Some(format!(
            "it has sheets that are not part of the checklist: {}",
            extra.join(", ")
        ));
    }
    let zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => return Some(format!("the workbook could not be read in full ({e})")),
    };
    const ADDED: [&str; 8] = [
        "comments",
        "threadedComments",
        "drawings/",
        "media/",
        "vbaProject",
        "charts/",
        "pivot",
        "tables/",
    ];
    if let Some(name) = zip
        .file_names()
        .filter_map(Result::ok)
        .find(|n| ADDED.iter().any(|a| n.contains(a)))
    {
        return Some(format!(
            "it holds cell notes, drawings or other additions ({name})"
        ));
    }
    let lang = lang_of_sheets(&wb.sheet_names());
    let mut known: Vec<&str> = ANSWER_COLUMNS.iter().map(|(c, _)| n(lang, c)).collect();
    known.push(n(lang, COL_EVIDENCE_OLD));
    for (sheet, cols) in [
        (n(lang, SHEET_ANSWERS), known),
        (
            n(lang, SHEET_BASIC),
            [COL_ITEM, COL_VALUE, COL_HOWTO]
                .map(|c| n(lang, c))
                .to_vec(),
        ),
    ] {
        let Ok(range) = wb.worksheet_range(sheet) else {
            continue;
        };
        let last = range.end().map_or(0, |e| e.1);
        for c in 0..=last {
            let head = cell_text(&range, 0, c);
            if !head.trim().is_empty() && !cols.contains(&head.trim()) {
                return Some(format!(
                    "sheet {sheet} has a column `{}` that is not part of the checklist",
                    head.trim()
                ));
            }
        }
        if last as usize >= cols.len() {
            let (_, rows) = (range.start(), range.end().map_or(0, |e| e.0));
            for r in 1..=rows {
                for c in cols.len() as u32..=last {
                    if !cell_text(&range, r, c).trim().is_empty() {
                        return Some(format!(
                            "sheet {sheet} has text outside the checklist's columns ({})",
                            cell_name(r, c)
                        ));
                    }
                }
            }
        }
    }
    None
}

/// Reads a workbook written by [`to_xlsx_bytes`] (and edited by a person).
/// `origin` names the file in errors.
pub fn from_xlsx_bytes(bytes: &[u8], origin: &str) -> Result<Checklist, ChecklistError> {
    from_xlsx_bytes_mapped(bytes, origin).map(|(c, _)| c)
}

/// The language a workbook is written in, by its sheet names; Japanese
/// unless it has an English sheet and no Japanese one.
fn lang_of_sheets(names: &[String]) -> Lang {
    let has = |lang, key| names.iter().any(|s| s == n(lang, key));
    let en = has(Lang::En, SHEET_ANSWERS) || has(Lang::En, SHEET_BASIC);
    let ja = has(Lang::Ja, SHEET_ANSWERS) || has(Lang::Ja, SHEET_BASIC);
    if en && !ja { Lang::En } else { Lang::Ja }
}

/// The language of the workbook `bytes` (Japanese when unreadable), so a
/// rewrite keeps it.
pub fn language_of(bytes: &[u8]) -> Lang {
    match Xlsx::new(Cursor::new(bytes)) {
        Ok(wb) => lang_of_sheets(&wb.sheet_names()),
        Err(_) => Lang::Ja,
    }
}

/// [`from_xlsx_bytes`], also telling where each field sits. Every cell that
/// cannot be read is reported at once, in [`ChecklistError::Cells`].
pub fn from_xlsx_bytes_mapped(
    bytes: &[u8],
    origin: &str,
) -> Result<(Checklist, WorkbookMap), ChecklistError> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| ChecklistError::Workbook {
        file: origin.to_string(),
        message: e.to_string(),
    })?;
    let names = wb.sheet_names();
    let lang = lang_of_sheets(&names);
    let mut problems = Vec::new();
    let mut open = |key: &'static str, problems: &mut Vec<CellProblem>| -> Option<Sheet> {
        let name = n(lang, key);
        if !names.iter().any(|n| n == name) {
            let found = names.join(", ");
            problems.push(CellProblem {
                sheet: name,
                cell: String::new(),
                value: String::new(),
                expected: Text {
                    ja: format!(
                        "シート「{name}」がありません（あるシート: {found}）。シート名を「{name}」に直すか、`jcstar checklist init` か `export --xlsx` で作った様式に書き写してください"
                    ),
                    en: format!(
                        "the workbook has no sheet `{name}` (sheets found: {found}); rename the sheet to `{name}`, or copy the answers into a workbook made by `jcstar checklist init` or `export --xlsx`"
                    ),
                },
            });
            return None;
        }
        match wb.worksheet_range(name) {
            Ok(range) => Some(Sheet {
                name,
                lang,
                range,
                next_free_col: std::cell::Cell::new(0),
            }),
            Err(e) => {
                problems.push(CellProblem {
                    sheet: name,
                    cell: String::new(),
                    value: String::new(),
                    expected: Text {
                        ja: format!("シート「{name}」を読めません（{e}）。表計算ソフトで開いて保存し直してください"),
                        en: format!("sheet `{name}` cannot be read ({e}); open and save it again in a spreadsheet program"),
                    },
                });
                None
            }
        }
    };
    let basic = open(SHEET_BASIC, &mut problems);
    let answers = open(SHEET_ANSWERS, &mut problems);
    let mut map = WorkbookMap {
        lang,
        ..WorkbookMap::default()
    };
    // Each sheet is read even when the other is missing, so one pass
    // reports everything that needs fixing.
    let read = answers
        .map(|s| read_answers(&s, &mut problems, &mut map))
        .unwrap_or_default();
    let checklist = basic.map(|s| read_basic(&s, read, &mut problems, &mut map));
    match checklist {
        Some(mut checklist) if problems.is_empty() => {
            checklist.normalize();
            Ok((checklist, map))
        }
        _ => Err(ChecklistError::Cells {
            file: origin.to_string(),
            problems,
        }),
    }
}

fn read_basic(
    s: &Sheet,
    answers: Vec<Answer>,
    bad: &mut Vec<CellProblem>,
    map: &mut WorkbookMap,
) -> Checklist {
    let [item_col, value_col] = s.columns([COL_ITEM, COL_VALUE], bad);
    let (first, last) = s.rows();
    let find = |key: &'static str| -> Option<u32> {
        let item_col = item_col?;
        let label = n(s.lang, key);
        (first.max(1)..=last).find(|&r| {
            let t = cell_text(&s.range, r, item_col);
            t.trim() == label || t.trim() == key
        })
    };
    if item_col.is_some() {
        let mut free_row = last + 1;
        for (key, _) in BASIC_ROWS {
            if OPTIONAL_ROWS.contains(&key) || find(key).is_some() {
                continue;
            }
            let label = n(s.lang, key);
            let value = cell_name(free_row, value_col.unwrap_or(1));
            bad.push(CellProblem {
                sheet: s.name,
                cell: cell_name(free_row, item_col.unwrap_or(0)),
                value: String::new(),
                expected: Text {
                    ja: format!(
                        "行「{label}」がありません。このセルに「{label}」と入力し、値を {value} に記入してください"
                    ),
                    en: format!(
                        "there is no row `{label}`; type `{label}` into this cell and its value into {value}"
                    ),
                },
            });
            free_row += 1;
        }
    }
    let value_col = value_col.unwrap_or(u32::MAX);
    map.basic_value_col = value_col;
    map.basic_rows = BASIC_FIELD_ROWS
        .iter()
        .filter_map(|(f, l)| Some((*f, find(l)?)))
        .collect();
    // A missing row or column reads as empty; it is already reported.
    let find = |key: &'static str| find(key).unwrap_or(u32::MAX);
    let text = |key: &'static str| cell_text(&s.range, find(key), value_col);
    let opt = |key: &'static str| Some(text(key)).filter(|v| !v.trim().is_empty());
    let list = |key: &'static str| -> Vec<String> {
        text(key)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };

    let schema_row = find(row::SCHEMA);
    let schema_version = match cell_text(&s.range, schema_row, value_col)
        .trim()
        .parse::<u32>()
    {
        Ok(v) => v,
        Err(_) => {
            s.bad(
                bad,
                schema_row,
                value_col,
                "1 のような整数を入力してください（変更しないでください）",
                "expected a whole number such as 1 (do not change it)",
            );
            0
        }
    };

    // Excel turns `1.0` typed into a cell into the number 1.
    let version_row = find(row::CATALOG_VERSION);
    let mut catalog_version = text(row::CATALOG_VERSION);
    if s.is_number(version_row, value_col) && !catalog_version.contains('.') {
        catalog_version.push_str(".0");
    }

    // A phone number typed as a number has lost its leading 0.
    let phone_row = find(row::CONTACT_PHONE);
    if s.is_number(phone_row, value_col) {
        s.bad(
            bad,
            phone_row,
            value_col,
            "電話番号が数値として保存され、先頭の 0 が失われています。文字列として入力してください（例: '03-0000-0000 のように先頭に ' を付けるか、ハイフン付きで入力）",
            "the phone number was stored as a number and lost its leading 0; type it as text (e.g. 03-0000-0000 with hyphens, or prefix it with ')",
        );
    }
    // A version typed as a number can lose trailing zeros (2.10 → 2.1).
    let versions_row = find(row::VERSIONS);
    if s.is_number(versions_row, value_col) {
        s.bad(
            bad,
            versions_row,
            value_col,
            "バージョンが数値として保存されています（2.10 が 2.1 になるなど）。先頭に ' を付けて文字列として入力してください",
            "the version was stored as a number (2.10 would become 2.1); type it as text, prefixed with '",
        );
    }
    let models_row = find(row::MODEL_NUMBERS);
    if s.is_number(models_row, value_col) {
        s.bad(
            bad,
            models_row,
            value_col,
            "型番が数値として保存されています（先頭の 0 などが失われます）。先頭に ' を付けて文字列として入力してください",
            "the model number was stored as a number (leading zeros are lost); type it as text, prefixed with '",
        );
    }

    let companion_row = find(row::COMPANION);
    let companion = cell_text(&s.range, companion_row, value_col);
    let essential = match companion.trim() {
        v if words::is(v, YES) => true,
        v if v.is_empty() || words::is(v, NO) => false,
        _ => {
            let (yes, no) = (n(s.lang, YES), n(s.lang, NO));
            s.bad(
                bad,
                companion_row,
                value_col,
                format!("「{yes}」か「{no}」を選んでください"),
                format!("choose `{yes}` or `{no}`"),
            );
            false
        }
    };

    let mark_row = find(row::GITEKI_MARK);
    let mark = match cell_text(&s.range, mark_row, value_col).trim() {
        "" => None,
        "T" | "t" | "Ｔ" => Some(GitekiMark::T),
        "A" | "a" | "Ａ" => Some(GitekiMark::A),
        _ => {
            s.bad(
                bad,
                mark_row,
                value_col,
                "T か A を選ぶか、技適がなければ空欄にしてください",
                "expected `T`, `A` or an empty cell",
            );
            None
        }
    };
    let number = text(row::GITEKI_NUMBER);
    let giteki = match mark {
        Some(mark) => Some(Giteki { mark, number }),
        None if number.trim().is_empty() => None,
        None => {
            s.bad(
                bad,
                mark_row,
                value_col,
                format!(
                    "「{}」に番号があるので、マークの種類 T か A を選んでください",
                    n(s.lang, row::GITEKI_NUMBER)
                ),
                format!(
                    "a 技適 number is given in `{}`, so the mark must be `T` or `A`",
                    n(s.lang, row::GITEKI_NUMBER)
                ),
            );
            None
        }
    };

    Checklist {
        schema_version,
        catalog: CatalogRef {
            id: text(row::CATALOG_ID),
            version: catalog_version,
        },
        applicant: Applicant {
            name: text(row::APPLICANT_NAME),
            address: text(row::APPLICANT_ADDRESS),
        },
        contact: Contact {
            person: text(row::CONTACT_PERSON),
            department: opt(row::CONTACT_DEPARTMENT),
            email: text(row::CONTACT_EMAIL),
            phone: text(row::CONTACT_PHONE),
        },
        product: Product {
            name: text(row::PRODUCT_NAME),
            product_type: text(row::PRODUCT_TYPE),
            model_numbers: list(row::MODEL_NUMBERS),
            versions: list(row::VERSIONS),
        },
        companion_service: CompanionService {
            essential,
            description: opt(row::COMPANION_DESC),
        },
        giteki,
        recognition: opt(row::RECOGNITION).map(|arrangement| crate::model::RecognitionClaim {
            arrangement: arrangement.trim().to_string(),
            statement_document: opt(row::RECOGNITION_DOC),
            statement_url: opt(row::RECOGNITION_URL),
        }),
        evaluation: Evaluation {
            date: text(row::EVAL_DATE),
            evaluator: text(row::EVALUATOR),
        },
        answers,
    }
}

fn read_answers(s: &Sheet, bad: &mut Vec<CellProblem>, map: &mut WorkbookMap) -> Vec<Answer> {
    let found = s.columns([COL_ID, COL_RESULT, COL_NA, COL_METHODS, COL_NOTES], bad);
    // A missing column reads as empty; it is already reported.
    let cols = found.map(|c| c.unwrap_or(u32::MAX));
    let [id_c, result_c, na_c, methods_c, notes_c] = cols;
    // Evidence: the plain columns, the one-cell column of earlier
    // workbooks, or both (a person may have added the new ones).
    let old_c = s.column(COL_EVIDENCE_OLD);
    let plain = [COL_EV_NAME, COL_EV_SECTION, COL_EV_FILE].map(|n| s.column(n));
    let plain_c = match plain {
        [None, None, None] if old_c.is_some() => None,
        _ => Some(
            s.columns([COL_EV_NAME, COL_EV_SECTION, COL_EV_FILE], bad)
                .map(|c| c.unwrap_or(u32::MAX)),
        ),
    };
    let record_c = s.column(COL_EV_RECORD);
    map.answer_cols = [COL_ID, COL_RESULT, COL_NA, COL_METHODS, COL_NOTES]
        .into_iter()
        .zip(found)
        .filter_map(|(n, c)| Some((n, c?)))
        .collect();
    if let Some(c) = old_c {
        map.answer_cols.push((COL_EVIDENCE_OLD, c));
    }
    if let Some(pc) = plain_c {
        map.answer_cols.extend(
            [COL_EV_NAME, COL_EV_SECTION, COL_EV_FILE]
                .into_iter()
                .zip(pc)
                .filter(|(_, c)| *c != u32::MAX),
        );
    }
    let mut read_cols: Vec<u32> = cols.to_vec();
    read_cols.extend(old_c);
    read_cols.extend(plain_c.into_iter().flatten());
    let (_, last) = s.rows();
    let accepted: Vec<&str> = Outcome::ALL.iter().map(|o| o.label(s.lang)).collect();
    let mut answers = Vec::new();
    for r in 1..=last {
        let get = |c: u32| cell_text(&s.range, r, c);
        // A row holding only `-` in the evidence columns is as blank as
        // one with nothing.
        if read_cols
            .iter()
            .all(|&c| get(c).lines().all(|l| evidence::is_blank(l.trim())))
        {
            continue;
        }
        let criterion = get(id_c).trim().to_string();
        if criterion.is_empty() {
            s.bad(
                bad,
                r,
                id_c,
                "記入のある行には S1.1-01 のような適合基準IDが必要です",
                "every filled row needs a criterion id such as S1.1-01",
            );
        }
        let result = Outcome::from_label(&get(result_c)).unwrap_or_else(|| {
            s.bad(
                bad,
                r,
                result_c,
                format!("次から選んでください: {}", accepted.join(" / ")),
                format!("choose one of: {}", accepted.join(" / ")),
            );
            Outcome::Unanswered
        });
        let mut methods = Vec::new();
        for line in get(methods_c)
            .split(['\n', '・', '、', '+', ','])
            .filter(|l| !l.trim().is_empty())
        {
            match parse_method(line) {
                Some(m) => methods.push(m),
                None => s.bad(
                    bad,
                    r,
                    methods_c,
                    format!(
                        "1行に1つ、「{}」か「{}」と入力してください",
                        n(s.lang, METHOD_DOCUMENT),
                        n(s.lang, METHOD_DEVICE)
                    ),
                    format!(
                        "one method per line: `{}` or `{}`",
                        n(s.lang, METHOD_DOCUMENT),
                        n(s.lang, METHOD_DEVICE)
                    ),
                ),
            }
        }
        let mut items = Vec::new();
        if let Some(c) = old_c {
            for line in get(c).lines().filter(|l| !l.trim().is_empty()) {
                match evidence::decode_legacy_line(line) {
                    Some(e) => items.push(e),
                    None => s.bad(
                        bad,
                        r,
                        c,
                        evidence::LEGACY_SYNTAX_JA,
                        evidence::LEGACY_SYNTAX_EN,
                    ),
                }
            }
        }
        if let Some([name_c, section_c, file_c]) = plain_c {
            let cells = evidence::EvidenceCells {
                name: get(name_c),
                section: get(section_c),
                file: get(file_c),
                record: record_c.map(get).unwrap_or_default(),
            };
            let (read, problems) = evidence::decode(&cells);
            items.extend(read);
            for (part, ja, en) in problems {
                let c = match part {
                    evidence::Part::Section => section_c,
                    evidence::Part::Record => record_c.unwrap_or(name_c),
                };
                s.bad(bad, r, c, ja, en);
            }
        }
        let opt = |c: u32| Some(get(c)).filter(|v| !v.trim().is_empty());
        map.answer_rows.push(r);
        answers.push(Answer {
            criterion,
            result,
            na_reason: opt(na_c),
            methods,
            notes: opt(notes_c),
            evidence: items,
        });
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(1, 26), "AA2");
    }

    #[test]
    fn serial_dates() {
        assert_eq!(serial_to_date(25569.0), "1970-01-01");
        assert_eq!(serial_to_date(46337.0), "2026-11-11");
        assert_eq!(serial_to_date(45351.0), "2024-02-29");
    }
}
