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
    Csv,
    /// CSV starting with a UTF-8 byte order mark, so that Excel opens
    /// Japanese text ungarbled.
    CsvExcel,
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
