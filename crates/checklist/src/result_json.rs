//! The machine-readable result of checking a checklist (`checklist validate
//! --json`, and anything else that wants the same answer): the report's
//! fields plus, for a workbook, the cell each problem points at.

use jcstar_criteria::Lang;
use serde_json::{Value, json};

use crate::xlsx::WorkbookMap;
use crate::{ChecklistError, Report};

/// The report as JSON, with the file it came from and, when the checklist
/// was a workbook, a `cell` (such as `チェックリスト!E12`) on each problem
/// that names a field. Fails only if the report cannot be written as JSON,
/// which would be a fault of this crate, so the caller hears of it rather
/// than getting a result without the report.
pub fn report_json(
    file: &str,
    report: &Report,
    map: Option<&WorkbookMap>,
) -> Result<Value, serde_json::Error> {
    let mut out = json!({ "file": file });
    let fields = match serde_json::to_value(report)? {
        Value::Object(fields) => fields,
        other => {
            return Err(serde::ser::Error::custom(format!(
                "a checklist report serialised to {other}, not an object"
            )));
        }
    };
    if let Some(obj) = out.as_object_mut() {
        obj.extend(fields);
    }
    if let (Some(map), Some(problems)) =
        (map, out.get_mut("problems").and_then(Value::as_array_mut))
    {
        for p in problems.iter_mut() {
            let cell = p
                .get("field")
                .and_then(Value::as_str)
                .and_then(|f| map.cell_of(f));
            if let (Some(cell), Some(obj)) = (cell, p.as_object_mut()) {
                obj.insert("cell".into(), cell.into());
            }
        }
    }
    Ok(out)
}

/// A checklist that could not be read, as JSON: the message in `lang` and,
/// where known, the line and column or the cells at fault.
pub fn error_json(file: &str, e: &ChecklistError, lang: Lang) -> Value {
    let mut err = json!({ "message": e.message(lang) });
    if let Some(obj) = err.as_object_mut() {
        if let ChecklistError::Parse { line, column, .. } = e {
            obj.insert("line".into(), (*line).into());
            obj.insert("column".into(), (*column).into());
        }
        if let ChecklistError::Cells { problems, .. } = e
            && let Ok(v) = serde_json::to_value(problems)
        {
            obj.insert("cells".into(), v);
        }
    }
    json!({
        "file": file,
        "supports-application": false,
        "error": err,
    })
}
