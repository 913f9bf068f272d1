//! The open-data exports: every label as CSV (formula prefixes neutralised)
//! or as one JSON array, written page by page so memory stays bounded. The
//! chunk functions are public so the web server streams the same bytes.

use crate::Registry;
use crate::error::{Error, Result};
use crate::model::*;
use crate::store::fmt_date;

const CSV_HEADER: [&str; 16] = [
    "registration_number",
    "level",
    "status",
    "company",
    "address",
    "contact",
    "products",
    "model_numbers",
    "firmware_versions",
    "product_types",
    "issued_on",
    "valid_until",
    "support_end",
    "disclosure_contact",
    "updates",
    "open_vulnerabilities",
];

fn csv_record(l: &Label) -> [String; 16] {
    let join = |f: &dyn Fn(&Product) -> Vec<String>| {
        l.products.iter().flat_map(f).collect::<Vec<_>>().join("; ")
    };
    let open_vulns = l
        .security
        .vulnerabilities
        .iter()
        .filter(|v| v.state == VulnerabilityState::Investigating)
        .count();
    [
        l.number.clone(),
        l.level.number().to_string(),
        l.status.as_str().to_string(),
        l.applicant.company.clone(),
        l.applicant.address.clone(),
        l.applicant.contact.clone(),
        join(&|p| vec![p.name.clone()]),
        join(&|p| p.model_numbers.clone()),
        join(&|p| p.firmware_versions.clone()),
        join(&|p| vec![p.product_type.clone()]),
        fmt_date(l.issued_on),
        fmt_date(l.valid_until),
        l.security.support_end.map(fmt_date).unwrap_or_default(),
        l.security.disclosure_contact.clone(),
        l.security.updates.len().to_string(),
        open_vulns.to_string(),
    ]
}

/// CSV rows for `labels` (after the header line when `header`): the export
/// is these chunks concatenated, page after page.
pub fn labels_csv(labels: &[Label], header: bool) -> Result<Vec<u8>> {
    let csv_err = |e: csv::Error| Error::Io(std::io::Error::other(e.to_string()));
    let mut w = csv::Writer::from_writer(Vec::new());
    if header {
        w.write_record(CSV_HEADER).map_err(csv_err)?;
    }
    for l in labels {
        w.write_record(
            csv_record(l)
                .iter()
                .map(|c| crate::csv_cell::neutralise(c).into_owned()),
        )
        .map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
}

/// The JSON export is `JSON_EXPORT_OPEN`, then [`labels_json`] chunks, then
/// `JSON_EXPORT_CLOSE`.
pub const JSON_EXPORT_OPEN: &[u8] = b"[";
/// Closes the JSON export array.
pub const JSON_EXPORT_CLOSE: &[u8] = b"\n]\n";

/// Array elements for `labels`; `first`: no label was written before.
pub fn labels_json(labels: &[Label], first: bool) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(labels.len() * 1024);
    for (i, l) in labels.iter().enumerate() {
        if !(first && i == 0) {
            out.push(b',');
        }
        out.push(b'\n');
        serde_json::to_writer(&mut out, l).map_err(|e| Error::Io(e.into()))?;
    }
    Ok(out)
}

pub(crate) async fn export_csv<W: std::io::Write + Send>(
    reg: &Registry,
    mut out: W,
) -> Result<u64> {
    out.write_all(&labels_csv(&[], true)?)?;
    let mut after: Option<String> = None;
    let mut n = 0u64;
    loop {
        let page = crate::queries::labels_after(reg, after.as_deref(), 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.number.clone());
        out.write_all(&labels_csv(&page, false)?)?;
        n += page.len() as u64;
    }
    out.flush()?;
    Ok(n)
}

pub(crate) async fn export_json<W: std::io::Write + Send>(
    reg: &Registry,
    mut out: W,
) -> Result<u64> {
    out.write_all(JSON_EXPORT_OPEN)?;
    let mut after: Option<String> = None;
    let mut n = 0u64;
    loop {
        let page = crate::queries::labels_after(reg, after.as_deref(), 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.number.clone());
        out.write_all(&labels_json(&page, n == 0)?)?;
        n += page.len() as u64;
    }
    out.write_all(JSON_EXPORT_CLOSE)?;
    out.flush()?;
    Ok(n)
}

/// The open-data export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated values, UTF-8.
    Csv,
    /// CSV starting with a UTF-8 byte order mark, so that Excel opens
    /// Japanese text ungarbled.
    CsvExcel,
    /// A JSON array of labels.
    Json,
}

pub(crate) async fn export<W: std::io::Write + Send>(
    reg: &Registry,
    format: ExportFormat,
    mut out: W,
) -> Result<u64> {
    match format {
        ExportFormat::Csv => export_csv(reg, out).await,
        ExportFormat::CsvExcel => {
            out.write_all(crate::csv_cell::UTF8_BOM)?;
            export_csv(reg, out).await
        }
        ExportFormat::Json => export_json(reg, out).await,
    }
}

/// Column titles of the workbook export, in the order of the CSV columns.
fn xlsx_header(lang: jcstar_criteria::Lang) -> [&'static str; 16] {
    match lang {
        jcstar_criteria::Lang::Ja => [
            "登録番号",
            "レベル",
            "状態",
            "申請者",
            "所在地",
            "連絡先",
            "製品名",
            "型番",
            "ファームウェア",
            "製品類型",
            "発行日",
            "有効期限",
            "サポート終了日",
            "脆弱性連絡先",
            "アップデート数",
            "調査中の脆弱性",
        ],
        jcstar_criteria::Lang::En => [
            "Registration number",
            "Level",
            "Status",
            "Applicant",
            "Address",
            "Contact",
            "Products",
            "Model numbers",
            "Firmware versions",
            "Product types",
            "Issued on",
            "Valid until",
            "Support ends",
            "Vulnerability contact",
            "Updates",
            "Open vulnerabilities",
        ],
    }
}

/// Every label as an Excel workbook at `path`: one sheet, a header row that
/// stays in view with filters on it, dates as dates and counts as numbers.
/// Text is written as text cells, which a spreadsheet never evaluates, so
/// no formula prefix needs neutralising. Rows are written page by page in
/// the library's constant-memory mode, so memory stays flat however many
/// labels there are.
pub(crate) async fn export_xlsx(
    reg: &Registry,
    path: &std::path::Path,
    lang: jcstar_criteria::Lang,
) -> Result<u64> {
    use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook};
    let xerr = |e: rust_xlsxwriter::XlsxError| Error::Io(std::io::Error::other(e.to_string()));
    let mut book = Workbook::new();
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = dir {
        // The constant-memory mode spills rows to temporary files: keep
        // them beside the result rather than in a shared temporary place.
        book.set_tempdir(dir).map_err(xerr)?;
    }
    let sheet = book.add_worksheet_with_constant_memory().map_err(xerr)?;
    let name = if lang == jcstar_criteria::Lang::Ja {
        "ラベル一覧"
    } else {
        "Labels"
    };
    sheet.set_name(name).map_err(xerr)?;
    let bold = Format::new()
        .set_bold()
        .set_background_color("#DDEBF7")
        .set_align(FormatAlign::Center);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let widths = [
        20, 7, 12, 28, 36, 28, 28, 24, 18, 18, 12, 12, 14, 28, 10, 12,
    ];
    for (c, (title, w)) in xlsx_header(lang).iter().zip(widths).enumerate() {
        let c = c as u16;
        sheet.set_column_width(c, w).map_err(xerr)?;
        sheet
            .write_string_with_format(0, c, *title, &bold)
            .map_err(xerr)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xerr)?;
    // Printed: A4 landscape, every column on one page width, the header
    // repeated on each page.
    sheet.set_paper_size(9);
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0).map_err(xerr)?;
    let mut row: u32 = 0;
    let mut after: Option<String> = None;
    loop {
        let page = crate::queries::labels_after(reg, after.as_deref(), 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.number.clone());
        for l in &page {
            row += 1;
            let rec = csv_record(l);
            for (c, cell) in rec.iter().enumerate() {
                let c = c as u16;
                match c {
                    1 => sheet.write_number(row, c, f64::from(l.level.number())),
                    2 => sheet.write_string(row, c, l.status.text(lang)),
                    10..=12 if !cell.is_empty() => match ExcelDateTime::parse_from_str(cell) {
                        Ok(d) => sheet.write_datetime_with_format(row, c, &d, &date),
                        Err(_) => sheet.write_string(row, c, cell),
                    },
                    14 | 15 => sheet.write_number(row, c, cell.parse::<f64>().unwrap_or(0.0)),
                    _ if cell.is_empty() => continue,
                    _ => sheet.write_string(row, c, cell),
                }
                .map_err(xerr)?;
            }
        }
    }
    sheet.autofilter(0, 0, row, 15).map_err(xerr)?;
    book.save(path).map_err(xerr)?;
    Ok(u64::from(row))
}
