//! TOML and JSON reading and writing, and what a bad file reports.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

mod common;

use common::*;
use jcstar_checklist::{Checklist, ChecklistError, Format};

#[test]
fn toml_and_json_round_trip_losslessly() {
    for original in [example(), everything()] {
        for format in [Format::Toml, Format::Json] {
            let text = original.to_string_with_format(format).unwrap();
            let back = Checklist::from_str_with_format(&text, format, "mem").unwrap();
            assert_eq!(back, original, "{format:?}");
        }
    }
}

#[test]
fn write_path_picks_the_format_from_the_extension() {
    let dir = Scratch::new();
    let c = everything();
    for name in ["c.toml", "c.json", "c.xlsx", "C.JSON"] {
        let p = dir.path().join(name);
        c.write_path(&p, None).unwrap();
        assert_eq!(Checklist::from_path(&p).unwrap(), c, "{name}");
    }
    let json = std::fs::read_to_string(dir.path().join("c.json")).unwrap();
    assert!(json.trim_start().starts_with('{'));
    let toml = std::fs::read_to_string(dir.path().join("c.toml")).unwrap();
    assert!(toml.starts_with("schema-version = 1"));
}

#[test]
fn unknown_extension_names_the_accepted_ones() {
    let err = Checklist::from_path(std::path::Path::new("checklist.yaml")).unwrap_err();
    assert!(matches!(err, ChecklistError::UnknownExtension { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("checklist.yaml") && msg.contains(".toml, .json, .xlsx"),
        "{msg}"
    );
}

#[test]
fn malformed_toml_reports_file_line_and_column() {
    let path = data("malformed.toml");
    let err = Checklist::from_path(&path).unwrap_err();
    let ChecklistError::Parse {
        file, line, column, ..
    } = &err
    else {
        panic!("expected a parse error, got {err:?}");
    };
    assert!(file.ends_with("malformed.toml"));
    assert_eq!(*line, 11);
    assert!(*column >= 1);
    assert!(
        err.to_string()
            .contains(&format!("malformed.toml:11:{column}"))
    );
}

#[test]
fn malformed_json_reports_file_line_and_column() {
    let err = Checklist::from_path(&data("malformed.json")).unwrap_err();
    let ChecklistError::Parse {
        line,
        column,
        message,
        ..
    } = &err
    else {
        panic!("expected a parse error, got {err:?}");
    };
    assert_eq!(*line, 6);
    assert!(*column > 60, "column {column}");
    assert!(!message.contains(" at line "), "{message}");
}

#[test]
fn misspelt_fields_are_rejected_with_their_position() {
    let text = example().to_string_with_format(Format::Toml).unwrap();
    let bad = text.replacen("na-reason", "na_reason", 1);
    let expected_line = bad
        .lines()
        .position(|l| l.starts_with("na_reason"))
        .unwrap()
        + 1;
    let err = Checklist::from_str_with_format(&bad, Format::Toml, "x.toml").unwrap_err();
    let ChecklistError::Parse { line, message, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*line, expected_line);
    assert!(message.contains("na_reason"), "{message}");

    // Inside an evidence entry too (the variant is chosen by `kind`).
    let bad = r#"{"kind": "device-test", "path": "a.json", "externl": true}"#;
    assert!(serde_json::from_str::<jcstar_checklist::Evidence>(bad).is_err());
    let bad = r#"{"kind": "photo", "path": "a.jpg"}"#;
    assert!(serde_json::from_str::<jcstar_checklist::Evidence>(bad).is_err());
}

#[test]
fn blank_optional_text_reads_as_absent() {
    let mut c = example();
    c.contact.department = Some("   ".into());
    let text = c.to_string_with_format(Format::Json).unwrap();
    let back = Checklist::from_str_with_format(&text, Format::Json, "x.json").unwrap();
    assert_eq!(back.contact.department, None);
}

#[test]
fn invalid_utf8_is_a_parse_error_with_position() {
    let dir = Scratch::new();
    let p = dir.path().join("bad.toml");
    std::fs::write(&p, b"schema-version = 1\n# \xff\xfe\n").unwrap();
    let err = Checklist::from_path(&p).unwrap_err();
    assert!(
        matches!(
            err,
            ChecklistError::Parse {
                line: 2,
                column: 3,
                ..
            }
        ),
        "{err:?}"
    );
}
