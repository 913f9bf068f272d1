//! Attaching a probe evidence directory, and answers held against it.
//!
//! The directories are written here in the layout `jcstar probe -o DIR`
//! writes (manifest.json + MANIFEST.sha256 + report.json); the CLI test
//! `probe_attach` runs the real probe against a testbed device.

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

use std::path::Path;

use common::*;
use jcstar_checklist::evidence::Verdict;
use jcstar_checklist::{
    Checklist, ChecklistError, Evidence, Outcome, Severity, attach_to_file, validate,
};
use jcstar_criteria::Catalog;
use sha2::{Digest, Sha256};

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Writes an evidence directory with these verdicts (criterion, verdict,
/// reasons), as `jcstar probe -o` does.
fn write_evidence(dir: &Path, verdicts: &[(&str, &str, &[&str])]) {
    std::fs::create_dir_all(dir.join("transcripts")).unwrap();
    let report = serde_json::json!({
        "schema": "jcstar.probe.report/1",
        "jcstar_version": "0.1.0",
        "target": {"input": "camera.test", "address": "127.0.0.1"},
        "started": "2026-11-16T01:00:00Z",
        "finished": "2026-11-16T01:02:00Z",
        "options": {},
        "stats": {},
        "ports": [],
        "findings": [],
        "verdicts": verdicts.iter().map(|(c, v, r)| serde_json::json!({
            "criterion": c, "verdict": v, "reasons": r,
        })).collect::<Vec<_>>(),
        "extra": {},
    });
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("report.json", serde_json::to_vec_pretty(&report).unwrap()),
        ("transcripts/tcp-23.txt", b"login: admin\r\n".to_vec()),
    ];
    let mut entries = Vec::new();
    let mut sums = String::new();
    for (rel, bytes) in &files {
        std::fs::write(dir.join(rel), bytes).unwrap();
        entries.push(serde_json::json!({"path": rel, "sha256": sha(bytes), "bytes": bytes.len()}));
        sums.push_str(&format!("{}  {rel}\n", sha(bytes)));
    }
    let manifest = serde_json::json!({"schema": "jcstar.probe.manifest/1", "files": entries});
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("MANIFEST.sha256"), sums).unwrap();
}

const FAIL_04: (&str, &str, &[&str]) = (
    "S1.1-04",
    "fail",
    &["telnet accepted admin/admin 20 times without delay"],
);

/// The example checklist, with its evidence files, copied into `dir`.
fn example_in(dir: &Path) -> std::path::PathBuf {
    let src = repo().join("examples");
    std::fs::create_dir_all(dir.join("evidence")).unwrap();
    for e in std::fs::read_dir(src.join("evidence")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join("evidence").join(e.file_name())).unwrap();
    }
    let p = dir.join("checklist.toml");
    std::fs::copy(example_path(), &p).unwrap();
    p
}

fn codes(r: &jcstar_checklist::Report, id: &str) -> Vec<(&'static str, Severity)> {
    r.problems
        .iter()
        .filter(|p| p.criterion.as_deref() == Some(id))
        .map(|p| (p.code, p.severity))
        .collect()
}

#[test]
fn attach_records_the_evidence_and_keeps_the_toml_as_written() {
    let dir = Scratch::new();
    let list = example_in(dir.path());
    let mut text = std::fs::read_to_string(&list).unwrap();
    text.push_str("\n# vendor's own note at the end: keep me\n");
    let text = text.replace(
        "[[answers]]\ncriterion = \"S1.1-13\"",
        "# note on S1.1-13 from the test lab\n[[answers]]\ncriterion = \"S1.1-13\"",
    );
    std::fs::write(&list, &text).unwrap();
    let ev = dir.path().join("lab/run-1");
    write_evidence(
        &ev,
        &[
            ("S1.1-04", "pass", &[]),
            ("S1.1-13①", "pass", &[]),
            (
                "S1.1-13②",
                "not-tested",
                &["no vulnerability scanner was run"],
            ),
            ("S1.1-12", "not-tested", &[]),
        ],
    );
    let before = Checklist::from_path(&list).unwrap();
    let (out, written) = attach_to_file(&list, &ev, None).unwrap();
    assert!(!written.new_file);
    assert_eq!(out.path, "lab/run-1/report.json");
    assert!(!out.external);
    assert_eq!(out.target, "camera.test");

    let after_text = std::fs::read_to_string(&list).unwrap();
    // Every comment line of the original is still there, in order.
    let comments = |s: &str| {
        s.lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(comments(&after_text), comments(&text));
    assert!(after_text.contains("# vendor's own note at the end: keep me"));

    let after = Checklist::from_path(&list).unwrap();
    for id in ["S1.1-04", "S1.1-13"] {
        assert_eq!(
            after.answer(id).unwrap().result,
            before.answer(id).unwrap().result
        );
        let recorded = after
            .answer(id)
            .unwrap()
            .evidence
            .iter()
            .find_map(|e| match e {
                Evidence::DeviceTest(t) if t.path == "lab/run-1/report.json" => Some(t.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{id}: not attached"));
        assert_eq!(
            recorded.manifest_sha256.as_deref(),
            Some(out.manifest_sha256.as_str())
        );
        assert!(
            recorded
                .verdicts
                .iter()
                .all(|v| v.criterion.starts_with(id))
        );
    }
    // Not tested at all: nothing to rest the answer on, nothing attached.
    assert_eq!(after.answer("S1.1-12"), before.answer("S1.1-12"));
    // Only the answers that got evidence changed.
    for a in &before.answers {
        if !["S1.1-04", "S1.1-13"].contains(&a.criterion.as_str()) {
            assert_eq!(after.answer(&a.criterion), Some(a), "{}", a.criterion);
        }
    }

    // S1.1-13 answers conforms, but ② was not run by the probe. The example
    // also cites the lab's own vulnerability-scan record, so that is a
    // warning pointing at it ...
    let r = validate(&after, Catalog::star1(), Some(dir.path()));
    assert!(
        codes(&r, "S1.1-13").contains(&("device-test-not-run", Severity::Warning)),
        "{:#?}",
        r.problems
    );
    // ... and with the probe's result alone it is blocking, naming the
    // file, the sub-item and the finding.
    let mut only_probe = after.clone();
    let i = only_probe
        .answers
        .iter()
        .position(|a| a.criterion == "S1.1-13")
        .unwrap();
    only_probe.answers[i]
        .evidence
        .retain(|e| !e.is_device_test() || e.local_path() == Some("lab/run-1/report.json"));
    let r = validate(&only_probe, Catalog::star1(), Some(dir.path()));
    assert!(!r.supports_application);
    let p = r
        .problems
        .iter()
        .find(|p| p.code == "device-test-not-run")
        .expect("not-run problem");
    assert_eq!(p.criterion.as_deref(), Some("S1.1-13"));
    assert_eq!(p.severity, Severity::Blocking);
    for part in [
        "lab/run-1/report.json",
        "S1.1-13②",
        "no vulnerability scanner",
    ] {
        assert!(p.message.en.contains(part), "{}", p.message.en);
        assert!(p.message.ja.contains(part), "{}", p.message.ja);
    }
    // The same without the files (recorded verdicts).
    let r = validate(&only_probe, Catalog::star1(), None);
    assert!(codes(&r, "S1.1-13").contains(&("device-test-not-run", Severity::Blocking)));

    // Attaching again changes nothing.
    let once = std::fs::read(&list).unwrap();
    attach_to_file(&list, &ev, None).unwrap();
    assert_eq!(std::fs::read(&list).unwrap(), once);
}

#[test]
fn a_failed_test_under_a_conforms_answer_is_blocking_with_or_without_the_files() {
    let dir = Scratch::new();
    let list = example_in(dir.path());
    let ev = dir.path().join("evidence/probe");
    write_evidence(&ev, &[FAIL_04]);
    let (out, _) = attach_to_file(&list, &ev, None).unwrap();
    let row = out.rows.iter().find(|r| r.criterion == "S1.1-04").unwrap();
    assert_eq!(row.verdict, Verdict::Fail);
    assert!(row.contradicts);

    let c = Checklist::from_path(&list).unwrap();
    let with_files = validate(&c, Catalog::star1(), Some(dir.path()));
    assert!(
        codes(&with_files, "S1.1-04")
            .contains(&("answer-contradicts-evidence", Severity::Blocking)),
        "{:#?}",
        with_files.problems
    );
    let p = with_files
        .problems
        .iter()
        .find(|p| p.code == "answer-contradicts-evidence")
        .unwrap();
    assert!(p.message.en.contains("evidence/probe/report.json"));
    assert!(p.message.en.contains("admin/admin"));

    // The registry holds only the checklist (as JSON): the recorded verdict
    // refuses it all the same.
    let json = serde_json::to_value(&c).unwrap();
    let received: Checklist = serde_json::from_value(json).unwrap();
    let without = validate(&received, Catalog::star1(), None);
    assert!(!without.supports_application);
    assert!(
        codes(&without, "S1.1-04").contains(&("answer-contradicts-evidence", Severity::Blocking))
    );
}

#[test]
fn na_and_deemed_met_answers_are_held_against_their_evidence_too() {
    let dir = Scratch::new();
    let list = example_in(dir.path());
    let ev = dir.path().join("evidence/probe");
    write_evidence(
        &ev,
        &[
            ("S1.1-08", "fail", &["debug port open"]),
            ("S1.1-14", "fail", &["settings lost after power cut"]),
        ],
    );
    attach_to_file(&list, &ev, None).unwrap();
    let c = Checklist::from_path(&list).unwrap();
    assert_eq!(c.answer("S1.1-08").unwrap().result, Outcome::NotApplicable);
    assert_eq!(c.answer("S1.1-14").unwrap().result, Outcome::DeemedMet);
    let r = validate(&c, Catalog::star1(), None);
    assert!(codes(&r, "S1.1-08").contains(&("na-contradicts-evidence", Severity::Blocking)));
    assert!(codes(&r, "S1.1-14").contains(&("deemed-met-contradicts-evidence", Severity::Warning)));
}

#[test]
fn replaced_or_altered_evidence_is_a_problem() {
    let dir = Scratch::new();
    let list = example_in(dir.path());
    let ev = dir.path().join("evidence/probe");
    write_evidence(&ev, &[("S1.1-04", "pass", &[])]);
    attach_to_file(&list, &ev, None).unwrap();
    let c = Checklist::from_path(&list).unwrap();
    let r = validate(&c, Catalog::star1(), Some(dir.path()));
    assert!(r.supports_application, "{:#?}", r.problems);

    // Someone re-ran the probe into the same folder: the digest recorded at
    // attach time no longer matches.
    std::fs::remove_dir_all(&ev).unwrap();
    write_evidence(&ev, &[("S1.1-04", "pass", &["second run"])]);
    let r = validate(&c, Catalog::star1(), Some(dir.path()));
    assert!(codes(&r, "S1.1-04").contains(&("evidence-stale", Severity::Blocking)));

    // A file edited by hand breaks the manifest.
    let rp = ev.join("report.json");
    let t = std::fs::read_to_string(&rp).unwrap();
    std::fs::write(&rp, t.replace("second run", "edited")).unwrap();
    let r = validate(&c, Catalog::star1(), Some(dir.path()));
    let p = r
        .problems
        .iter()
        .find(|p| p.code == "evidence-altered")
        .unwrap();
    assert!(p.message.en.contains("report.json"), "{}", p.message.en);

    // And attach refuses it, leaving the checklist alone.
    let before = std::fs::read(&list).unwrap();
    let err = attach_to_file(&list, &ev, None).unwrap_err();
    assert!(matches!(err, ChecklistError::Evidence(_)));
    assert!(
        err.to_string().contains("does not match its manifest"),
        "{err}"
    );
    assert_eq!(std::fs::read(&list).unwrap(), before);
}

#[test]
fn evidence_outside_the_folder_is_relative_and_marked_external() {
    let dir = Scratch::new();
    let list = example_in(&dir.path().join("checklists/sc-200"));
    let ev = dir.path().join("lab/2026-11-16");
    write_evidence(&ev, &[("S1.1-04", "pass", &[])]);
    let (out, _) = attach_to_file(&list, &ev, None).unwrap();
    assert_eq!(out.path, "../../lab/2026-11-16/report.json");
    assert!(out.external);
    let c = Checklist::from_path(&list).unwrap();
    let t = c
        .answer("S1.1-04")
        .unwrap()
        .evidence
        .iter()
        .find_map(|e| match e {
            Evidence::DeviceTest(t) if t.path.starts_with("..") => Some(t),
            _ => None,
        })
        .unwrap();
    assert!(t.external);
    // Still read and checked when it can be reached.
    let r = validate(&c, Catalog::star1(), list.parent());
    assert!(r.supports_application, "{:#?}", r.problems);
    std::fs::write(ev.join("transcripts/extra.txt"), "x").unwrap();
    let r = validate(&c, Catalog::star1(), list.parent());
    assert!(codes(&r, "S1.1-04").contains(&("evidence-altered", Severity::Blocking)));
}

#[test]
fn a_workbook_the_vendor_extended_is_never_overwritten() {
    let dir = Scratch::new();
    let example = example_in(dir.path());
    let c = Checklist::from_path(&example).unwrap();
    let ev = dir.path().join("evidence/probe");
    write_evidence(&ev, &[("S1.1-04", "pass", &[])]);

    // A workbook as jcstar writes it is updated in place.
    let plain = dir.path().join("plain.xlsx");
    c.write_path(&plain, Some(Catalog::star1())).unwrap();
    let (_, w) = attach_to_file(&plain, &ev, Some(Catalog::star1())).unwrap();
    assert!(!w.new_file);
    assert_eq!(w.path, plain);
    let back = Checklist::from_path(&plain).unwrap();
    let t = back
        .answer("S1.1-04")
        .unwrap()
        .evidence
        .iter()
        .find_map(|e| match e {
            Evidence::DeviceTest(t) if t.path == "evidence/probe/report.json" => Some(t),
            _ => None,
        })
        .expect("attached in the workbook");
    assert!(t.manifest_sha256.is_some());
    assert_eq!(t.verdicts.len(), 1);

    // One with a sheet of the vendor's own is left alone; the result goes
    // to a new file next to it.
    let extended = dir.path().join("extended.xlsx");
    c.write_path(&plain, Some(Catalog::star1())).unwrap();
    add_sheet(&plain, &extended, "社内メモ");
    let original = std::fs::read(&extended).unwrap();
    let (_, w) = attach_to_file(&extended, &ev, Some(Catalog::star1())).unwrap();
    assert!(w.new_file);
    assert_eq!(w.path, dir.path().join("extended-attached.xlsx"));
    assert!(w.reason.unwrap().contains("社内メモ"));
    assert_eq!(std::fs::read(&extended).unwrap(), original);
    assert!(Checklist::from_path(&w.path).is_ok());
}

/// Copies the workbook `src` to `dst` with one more sheet, by rewriting the
/// package the way a spreadsheet program would add a sheet.
fn add_sheet(src: &Path, dst: &Path, name: &str) {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut zout = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let fname = f.name().unwrap().to_string();
        let mut s = Vec::new();
        f.read_to_end(&mut s).unwrap();
        let s = match fname.as_str() {
            "xl/workbook.xml" => String::from_utf8(s)
                .unwrap()
                .replace(
                    "</sheets>",
                    &format!("<sheet name=\"{name}\" sheetId=\"9\" r:id=\"rId99\"/></sheets>"),
                )
                .into_bytes(),
            "xl/_rels/workbook.xml.rels" => String::from_utf8(s)
                .unwrap()
                .replace(
                    "</Relationships>",
                    "<Relationship Id=\"rId99\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet9.xml\"/></Relationships>",
                )
                .into_bytes(),
            "[Content_Types].xml" => String::from_utf8(s)
                .unwrap()
                .replace(
                    "</Types>",
                    "<Override PartName=\"/xl/worksheets/sheet9.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>",
                )
                .into_bytes(),
            _ => s,
        };
        zout.start_file(fname, opts).unwrap();
        zout.write_all(&s).unwrap();
    }
    zout.start_file("xl/worksheets/sheet9.xml", opts).unwrap();
    zout.write_all(br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>memo</t></is></c></row></sheetData></worksheet>"#).unwrap();
    zout.finish().unwrap();
}

#[test]
fn a_workbook_with_cell_notes_or_extra_columns_is_never_overwritten() {
    use std::io::{Read, Write};
    let dir = Scratch::new();
    let example = example_in(dir.path());
    let c = Checklist::from_path(&example).unwrap();
    let ev = dir.path().join("evidence/probe");
    write_evidence(&ev, &[("S1.1-04", "pass", &[])]);
    let plain = dir.path().join("plain.xlsx");
    c.write_path(&plain, Some(Catalog::star1())).unwrap();

    // Cell notes live in their own part of the package.
    let noted = dir.path().join("noted.xlsx");
    {
        let mut zin = zip::ZipArchive::new(std::fs::File::open(&plain).unwrap()).unwrap();
        let mut zout = zip::ZipWriter::new(std::fs::File::create(&noted).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        for i in 0..zin.len() {
            let mut f = zin.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            zout.start_file(name, opts).unwrap();
            zout.write_all(&b).unwrap();
        }
        zout.start_file("xl/comments1.xml", opts).unwrap();
        zout.write_all(br#"<?xml version="1.0"?><comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>x</author></authors><commentList/></comments>"#).unwrap();
        zout.finish().unwrap();
    }
    let original = std::fs::read(&noted).unwrap();
    let (_, w) = attach_to_file(&noted, &ev, Some(Catalog::star1())).unwrap();
    assert!(w.new_file);
    assert!(w.reason.as_deref().unwrap().contains("comments1.xml"));
    assert_eq!(std::fs::read(&noted).unwrap(), original);

    // A column of the vendor's own on the answer sheet.
    let extra = dir.path().join("extra-column.xlsx");
    let bytes = jcstar_checklist::xlsx::to_xlsx_bytes(&c, Some(Catalog::star1())).unwrap();
    let mut sheets = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
    use calamine::Reader;
    let mut wb = rust_xlsxwriter::Workbook::new();
    for name in sheets.sheet_names() {
        let range = sheets.worksheet_range(&name).unwrap();
        let ws = wb.add_worksheet();
        ws.set_name(&name).unwrap();
        for (r, row) in range.rows().enumerate() {
            for (col, cell) in row.iter().enumerate() {
                ws.write_string(r as u32, col as u16, cell.to_string())
                    .unwrap();
            }
        }
        if name == "チェックリスト" {
            ws.write_string(0, 20, "社内確認者").unwrap();
            ws.write_string(1, 20, "山田").unwrap();
        }
    }
    wb.save(&extra).unwrap();
    let original = std::fs::read(&extra).unwrap();
    let (_, w) = attach_to_file(&extra, &ev, Some(Catalog::star1())).unwrap();
    assert!(w.new_file, "{w:?}");
    assert!(w.reason.as_deref().unwrap().contains("社内確認者"));
    assert_eq!(std::fs::read(&extra).unwrap(), original);
}
