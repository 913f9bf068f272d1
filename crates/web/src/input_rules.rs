//! The registry's input rules, stated in the OpenAPI document.
//!
//! The request types are the registry's own, so their shapes come from the
//! derive; what a derive cannot see are the checks the registry makes when
//! data enters (no control characters, a required text is not blank, dates
//! from 2000 to 2099). This module writes those into every schema a request
//! body reaches, so that a client generating requests from the document
//! (Schemathesis in CI) gets exactly the registry's answer: what the
//! document allows is accepted unless a rule between fields or a label's
//! state says no, and what it forbids is refused.
//!
//! It must not invent rules: each one mirrors a check in
//! `jcstar_registry::commands`, and the Schemathesis run fails when the two
//! disagree in either direction.

use std::collections::BTreeSet;

use utoipa::openapi::schema::{ArrayItems, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{KnownFormat, OpenApi, RefOr};

/// Any accepted text: no control characters except line feed and tab
/// (Rust's `char::is_control` is Unicode's Cc: U+0000–U+001F,
/// U+007F–U+009F).
const TEXT: &str = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$";

/// A required text: as [`TEXT`], with at least one character that is not
/// white space in the sense of Rust's `str::trim` (Unicode White_Space).
const NON_BLANK: &str = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x08\x0b-\x1f\x7f-\x9f]*$";

/// Longest accepted text (the registry's `MAX_TEXT`).
const MAX_TEXT: usize = 2000;

/// Dates the registry accepts: 2000-01-01 to 2099-12-31. The whole
/// calendar is spelled out (month lengths, 29 February in leap years) so that
/// a generator working from the pattern makes only real dates.
pub(crate) const DATE: &str = r"^(20[0-9]{2}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))|20([02468][048]|[13579][26])-02-29)$";

/// Text fields the registry requires (`required(...)` in its commands), by
/// schema; `[]` marks the items of a list.
const REQUIRED: &[(&str, &[&str])] = &[
    ("InquiryRequest", &["reference"]),
    ("InquiryAnswer", &["reference"]),
    ("ReasonRequest", &["reason"]),
    ("AssignRequest", &["org"]),
    ("ExtendRequest", &["declaration"]),
    ("RevokeRequest", &["reason"]),
    ("ContactRequest", &["contact"]),
    ("ApplicationSubmission", &["org"]),
    ("Product", &["model_numbers[]", "firmware_versions[]"]),
    ("Fee", &["reference"]),
    ("ReportRequest", &["file_name", "summary"]),
    ("SurveillanceOrder", &["reason", "evidence_demanded"]),
    ("UpdateEntry", &["version"]),
    ("VulnerabilityEntry", &["id", "title"]),
    // jcstar_registry::counterfeit: the closing note (the report's number
    // carries its own single-line pattern).
    ("CloseReportRequest", &["note"]),
    (
        "LabelChange",
        &["reason", "add_model_numbers[]", "add_firmware_versions[]"],
    ),
];

/// Shorter limits than [`MAX_TEXT`].
const MAX_LENGTH: &[(&str, &str, usize)] = &[
    ("VulnerabilityEntry", "fixed_in", 200),
    // jcstar_registry::verify::MAX_ROW_CHARS
    ("VerifyRequest", "rows", 200),
    ("VerifyUpload", "rows", 500_000),
];

/// Lists with a bound on their length.
const MAX_ITEMS: &[(&str, &str, usize)] = &[
    ("Product", "model_numbers", 500),
    ("LabelChange", "add_model_numbers", 100),
    ("LabelChange", "add_firmware_versions", 100),
    // jcstar_registry::verify::MAX_ROWS
    ("VerifyRequest", "rows", 10_000),
];

/// Write the input rules into every schema a request body reaches.
pub(crate) fn apply(doc: &mut OpenApi) {
    let mut reached = BTreeSet::new();
    let mut todo: Vec<String> = Vec::new();
    for item in doc.paths.paths.values() {
        for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
            .into_iter()
            .flatten()
        {
            if let Some(body) = &op.request_body {
                for content in body.content.values() {
                    if let Some(s) = &content.schema {
                        refs_in(s, &mut todo);
                    }
                }
            }
        }
    }
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    while let Some(name) = todo.pop() {
        if reached.insert(name.clone())
            && let Some(s) = components.schemas.get(&name)
        {
            refs_in(s, &mut todo);
        }
    }
    for name in &reached {
        let Some(RefOr::T(Schema::Object(obj))) = components.schemas.get_mut(name) else {
            continue;
        };
        let required: &[&str] = REQUIRED
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| *f)
            .unwrap_or(&[]);
        for (field, prop) in obj.properties.iter_mut() {
            let RefOr::T(schema) = prop else { continue };
            let max = MAX_LENGTH
                .iter()
                .find(|(n, f, _)| n == name && f == field)
                .map(|(_, _, m)| *m)
                .unwrap_or(MAX_TEXT);
            match schema {
                Schema::Object(_) => {
                    text_rules(schema, required.contains(&field.as_str()), max);
                }
                Schema::Array(array) => {
                    if let Some((_, _, m)) =
                        MAX_ITEMS.iter().find(|(n, f, _)| n == name && f == field)
                    {
                        array.max_items = Some(*m);
                    }
                    if let ArrayItems::RefOrSchema(items) = &mut array.items
                        && let RefOr::T(item) = items.as_mut()
                    {
                        let item_required = required.contains(&format!("{field}[]").as_str());
                        text_rules(item, item_required, max);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Text and date rules for one string (or nullable string) schema.
fn text_rules(schema: &mut Schema, required: bool, max: usize) {
    let Schema::Object(o) = schema else { return };
    let is_string = match &o.schema_type {
        SchemaType::Type(Type::String) => true,
        SchemaType::Array(types) => types.contains(&Type::String),
        _ => false,
    };
    if !is_string || o.enum_values.is_some() {
        return;
    }
    match &o.format {
        Some(SchemaFormat::KnownFormat(KnownFormat::Date)) => {
            o.pattern = Some(DATE.into());
        }
        Some(_) => {}
        None if o.pattern.is_none() => {
            o.max_length = Some(o.max_length.map_or(max, |m| m.min(max)));
            if required {
                o.min_length = Some(1);
                o.pattern = Some(NON_BLANK.into());
            } else {
                o.pattern = Some(TEXT.into());
            }
        }
        None => {}
    }
}

/// The component names a schema refers to.
fn refs_in(schema: &RefOr<Schema>, out: &mut Vec<String>) {
    // Walking the JSON form reaches every nesting (allOf/oneOf, arrays,
    // properties) without a case per construct.
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if k == "$ref"
                        && let Some(name) = x
                            .as_str()
                            .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    {
                        out.push(name.to_string());
                    }
                    walk(x, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    if let Ok(v) = serde_json::to_value(schema) {
        walk(&v, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> serde_json::Value {
        let (_, openapi) = crate::routes();
        serde_json::to_value(openapi).unwrap()
    }

    #[test]
    fn request_schemas_carry_the_registry_rules() {
        let d = doc();
        let s = &d["components"]["schemas"];
        assert_eq!(s["Fee"]["properties"]["reference"]["pattern"], NON_BLANK);
        assert_eq!(s["Fee"]["properties"]["reference"]["minLength"], 1);
        assert_eq!(s["Fee"]["properties"]["paid_on"]["pattern"], DATE);
        assert_eq!(
            s["Product"]["properties"]["model_numbers"]["items"]["pattern"],
            NON_BLANK
        );
        assert_eq!(s["Product"]["properties"]["model_numbers"]["maxItems"], 500);
        assert_eq!(s["Applicant"]["properties"]["company"]["pattern"], TEXT);
        assert_eq!(
            s["VulnerabilityEntry"]["properties"]["fixed_in"]["maxLength"],
            200
        );
        // Every schema named in the tables exists and was reached: a
        // renamed type would otherwise lose its rules silently.
        for (name, fields) in REQUIRED {
            for f in *fields {
                let f = f.trim_end_matches("[]");
                assert!(
                    s[name]["properties"][f].is_object(),
                    "{name}.{f} is not in the document"
                );
            }
        }
    }

    #[test]
    fn the_date_pattern_is_the_calendar_from_2000_to_2099() {
        let re = regex::Regex::new(DATE).unwrap();
        let mut d = chrono::NaiveDate::from_ymd_opt(1999, 12, 1).unwrap();
        let lo = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let hi = chrono::NaiveDate::from_ymd_opt(2099, 12, 31).unwrap();
        let mut matched = 0;
        while d < chrono::NaiveDate::from_ymd_opt(2100, 2, 1).unwrap() {
            let s = d.format("%Y-%m-%d").to_string();
            assert_eq!(re.is_match(&s), d >= lo && d <= hi, "{s}");
            matched += usize::from(re.is_match(&s));
            d = d.succ_opt().unwrap();
        }
        assert_eq!(matched, 36525);
        for bad in [
            "2001-02-29",
            "2100-02-29",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-1-1",
        ] {
            assert!(!re.is_match(bad), "{bad}");
        }
    }

    #[test]
    fn the_patterns_say_what_the_registry_checks() {
        let text = regex::Regex::new(TEXT).unwrap();
        let non_blank = regex::Regex::new(NON_BLANK).unwrap();
        for (s, ok_text, ok_required) in [
            ("", true, false),
            ("   ", true, false),
            ("\u{3000}\t\n", true, false),
            ("a", true, true),
            ("テスト 1", true, true),
            ("line\nbreak\ttab", true, true),
            ("bell\u{7}", false, false),
            ("cr\r", false, false),
            ("\u{85}", false, false),
            ("x\u{9f}", false, false),
            ("\u{feff}", true, true),
        ] {
            assert_eq!(text.is_match(s), ok_text, "{s:?}");
            assert_eq!(non_blank.is_match(s), ok_required, "{s:?}");
            let control = s.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
            assert_eq!(!control, ok_text, "{s:?}");
            assert_eq!(!control && !s.trim().is_empty(), ok_required, "{s:?}");
        }
    }
}
