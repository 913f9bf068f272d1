//! The workbook format: lossless round trip, the layout a person sees, and
//! the errors a hand-edited workbook can produce.

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

use std::io::{Cursor, Read};
use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use common::*;
use jcstar_checklist::xlsx::{SHEET_ANSWERS, SHEET_BASIC, from_xlsx_bytes, to_xlsx_bytes};
use jcstar_checklist::{Checklist, ChecklistError};
use jcstar_criteria::Catalog;

type Grid = Vec<Vec<String>>;

/// Every sheet as rows of cell text.
fn read_grids(bytes: &[u8]) -> Vec<(String, Grid)> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        let grid = range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::String(s) => s.clone(),
                        Data::Empty => String::new(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        out.push((name, grid));
    }
    out
}

/// A plain workbook (no styles) from grids, as a person might save one.
fn write_grids(sheets: &[(String, Grid)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, grid) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        for (r, row) in grid.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, v).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// The places (`シート!セル`, or a sheet) a workbook error names.
fn places(err: &ChecklistError) -> Vec<String> {
    match err {
        ChecklistError::Cells { problems, .. } => problems.iter().map(|p| p.place()).collect(),
        other => panic!("not a list of places: {other:?}"),
    }
}

fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn round_trip_is_lossless() {
    for original in [everything(), example()] {
        let bytes = to_xlsx_bytes(&original, Some(Catalog::star1())).unwrap();
        let back = from_xlsx_bytes(&bytes, "mem.xlsx").unwrap();
        assert_eq!(back, original);
    }
    // No giteki, no companion service, no answers at all.
    let mut bare = everything();
    bare.giteki = None;
    bare.companion_service = Default::default();
    bare.answers.clear();
    let bytes = to_xlsx_bytes(&bare, None).unwrap();
    assert_eq!(from_xlsx_bytes(&bytes, "mem.xlsx").unwrap(), bare);
}

#[test]
fn a_person_re_saving_the_plain_cells_loses_nothing() {
    let original = everything();
    let bytes = to_xlsx_bytes(&original, Some(Catalog::star1())).unwrap();
    let resaved = write_grids(&read_grids(&bytes));
    assert_eq!(from_xlsx_bytes(&resaved, "resaved.xlsx").unwrap(), original);
}

#[test]
fn layout_has_japanese_headers_dropdown_frozen_header_and_wrapping() {
    let bytes = to_xlsx_bytes(&example(), Some(Catalog::star1())).unwrap();
    let grids = read_grids(&bytes);
    let names: Vec<&str> = grids.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, [SHEET_BASIC, SHEET_ANSWERS]);
    let answers = &grids[1].1;
    assert_eq!(
        answers[0],
        [
            "適合基準ID",
            "タイトル",
            "結果",
            "NAであることの理由",
            "評価手法",
            "証跡の文書名",
            "証跡の章・ページ",
            "証跡のファイル",
            "備考",
            "適合基準（参照）",
            "NAとなる条件（参照）",
            "評価手順（参照）",
            "実機テストの記録（変更しないでください）"
        ]
    );
    let filled = answers
        .iter()
        .filter(|r| r.iter().any(|c| !c.is_empty()))
        .count();
    assert_eq!(filled, 17);
    // The catalog's text next to each answer: statement with its
    // sub-conditions, NA conditions, and the evaluation procedure.
    let c13 = Catalog::star1().criterion("S1.1-13").unwrap();
    let row13 = &answers[13];
    assert!(row13[9].starts_with(&c13.statement.ja), "{}", row13[9]);
    assert!(row13[11].contains("【実機テスト】"), "{}", row13[11]);
    assert!(answers[5][10].contains("対象外（NA）にはできない") || !answers[5][10].is_empty());
    assert_eq!(answers[1][0], "S1.1-01");
    assert_eq!(answers[1][1], Catalog::star1().criteria[0].title.ja);
    assert_eq!(answers[1][2], "みなし適合");
    let basic = &grids[0].1;
    assert!(
        basic
            .iter()
            .any(|r| r[0] == "型番" && r[1] == "SC-200\nSC-200W\nSC-200W-JP")
    );

    let sheet2 = zip_entry(&bytes, "xl/worksheets/sheet2.xml");
    assert!(
        sheet2.contains(r#"<dataValidation type="list""#),
        "no dropdown"
    );
    assert!(
        sheet2.contains("適合,対象外(NA),不適合,みなし適合,未回答"),
        "dropdown values"
    );
    assert!(sheet2.contains(r#"state="frozen""#), "header not frozen");
    assert!(sheet2.contains("<cols>"), "no column widths");
    let styles = zip_entry(&bytes, "xl/styles.xml");
    assert!(styles.contains(r#"wrapText="1""#), "no wrapped text");

    // Printing: landscape A4, one page wide, the header row on every page.
    assert!(sheet2.contains(r#"orientation="landscape""#), "{sheet2}");
    assert!(sheet2.contains(r#"fitToPage="1""#));
    assert!(sheet2.contains(r#"fitToHeight="0""#));
    let workbook = zip_entry(&bytes, "xl/workbook.xml");
    assert!(workbook.contains("_xlnm.Print_Titles"), "{workbook}");
    // Rows tall enough for their wrapped text.
    assert!(sheet2.contains(r#"customHeight="1""#));
    // Fixed text locked, answers open, the sheet protected.
    assert!(sheet2.contains("<sheetProtection"), "not protected");
    assert!(styles.contains(r#"locked="0""#), "no unlocked cells");
    // The method has a dropdown too.
    assert!(sheet2.contains("ドキュメント評価,実機テスト,ドキュメント評価・実機テスト"));
}

#[test]
fn missing_sheet_is_named() {
    let bytes = to_xlsx_bytes(&example(), None).unwrap();
    let mut grids = read_grids(&bytes);
    grids.retain(|(n, _)| n != SHEET_ANSWERS);
    let err = from_xlsx_bytes(&write_grids(&grids), "book.xlsx").unwrap_err();
    assert_eq!(places(&err), [SHEET_ANSWERS]);
    let msg = err.to_string();
    assert!(
        msg.contains("book.xlsx") && msg.contains("チェックリスト") && msg.contains("基本情報"),
        "{msg}"
    );
}

#[test]
fn missing_column_is_named_with_the_expected_ones() {
    let bytes = to_xlsx_bytes(&example(), None).unwrap();
    let mut grids = read_grids(&bytes);
    let answers = &mut grids[1].1;
    let col = answers[0]
        .iter()
        .position(|h| h == "証跡のファイル")
        .unwrap();
    for row in answers.iter_mut() {
        row.remove(col);
    }
    let err = from_xlsx_bytes(&write_grids(&grids), "book.xlsx").unwrap_err();
    let msg = err.to_string();
    // Suggested where it could go: the first free header cell.
    assert_eq!(places(&err), ["チェックリスト!M1"]);
    assert!(
        msg.contains("no column `証跡のファイル`")
            && msg.contains("`証跡の文書名`, `証跡の章・ページ`"),
        "{msg}"
    );

    let mut grids = read_grids(&bytes);
    grids[0].1[0][1] = "value".into();
    let err = from_xlsx_bytes(&write_grids(&grids), "book.xlsx").unwrap_err();
    assert_eq!(places(&err), ["基本情報!D1"], "{err}");
    assert!(
        err.message(jcstar_criteria::Lang::Ja)
            .contains("見出し「値」の列がありません")
    );
}

#[test]
fn columns_may_be_reordered() {
    let original = example();
    let bytes = to_xlsx_bytes(&original, None).unwrap();
    let mut grids = read_grids(&bytes);
    for row in grids[1].1.iter_mut() {
        row.reverse();
    }
    assert_eq!(
        from_xlsx_bytes(&write_grids(&grids), "r.xlsx").unwrap(),
        original
    );
}

#[test]
fn bad_dropdown_value_names_the_cell_and_the_choices() {
    let bytes = to_xlsx_bytes(&example(), None).unwrap();
    let mut grids = read_grids(&bytes);
    grids[1].1[3][2] = "OK".into();
    let err = from_xlsx_bytes(&write_grids(&grids), "book.xlsx").unwrap_err();
    let ChecklistError::Cells { problems, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].place(), "チェックリスト!C4");
    assert_eq!(problems[0].value, "OK");
    let ja = err.message(jcstar_criteria::Lang::Ja);
    assert!(
        ja.contains("チェックリスト!C4") && ja.contains("次から選んでください"),
        "{ja}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("適合 / 対象外(NA) / 不適合 / みなし適合 / 未回答"),
        "{msg}"
    );

    // Full-width brackets typed by hand are still understood.
    let mut grids = read_grids(&bytes);
    grids[1].1[8][2] = "対象外（NA）".into();
    let c = from_xlsx_bytes(&write_grids(&grids), "book.xlsx").unwrap();
    assert_eq!(
        c.answers[7].result,
        jcstar_checklist::Outcome::NotApplicable
    );
}

#[test]
fn bad_evidence_and_basic_cells_are_located() {
    let bytes = to_xlsx_bytes(&example(), None).unwrap();
    let mut grids = read_grids(&bytes);
    grids[1].1[2][5] = "実機テスト".into();
    grids[1].1[2][6] = "3.2".into();
    let err = from_xlsx_bytes(&write_grids(&grids), "book.xlsx").unwrap_err();
    assert!(
        matches!(&err, ChecklistError::Cells { problems, .. } if problems[0].cell == "G3"),
        "{err:?}"
    );
    assert!(err.to_string().contains("device-test result"), "{err}");

    let mut grids = read_grids(&bytes);
    let row = grids[0]
        .1
        .iter()
        .position(|r| r[0] == "必須付随サービスの有無")
        .unwrap();
    grids[0].1[row][1] = "たぶん".into();
    let err = from_xlsx_bytes(&write_grids(&grids), "book.xlsx").unwrap_err();
    assert!(
        matches!(&err, ChecklistError::Cells { problems, .. } if problems[0].cell == format!("B{}", row + 1)),
        "{err:?}"
    );

    let mut grids = read_grids(&bytes);
    grids[0].1.retain(|r| r[0] != "評価日");
    let n = grids[0].1.len();
    let err = from_xlsx_bytes(&write_grids(&grids), "book.xlsx").unwrap_err();
    assert_eq!(places(&err), [format!("基本情報!A{}", n + 1)], "{err}");
    assert!(
        err.message(jcstar_criteria::Lang::Ja).contains(&format!(
            "行「評価日」がありません。このセルに「評価日」と入力し、値を B{} に記入してください",
            n + 1
        )),
        "{}",
        err.message(jcstar_criteria::Lang::Ja)
    );
}

#[test]
fn garbage_is_a_workbook_error() {
    let err = from_xlsx_bytes(b"PK\x03\x04 not really", "junk.xlsx").unwrap_err();
    assert!(err.to_string().starts_with("junk.xlsx: "), "{err}");
}

/// LibreOffice must read both sheets of the exported workbook. The csv
/// filter's last token (-1) writes every sheet to `<name>-<sheet>.csv`.
#[test]
fn libreoffice_reads_both_sheets() {
    let soffice = [
        "/usr/bin/libreoffice",
        "/usr/bin/soffice",
        "/usr/lib/libreoffice/program/soffice",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .unwrap_or_else(|| {
        panic!("LibreOffice is not installed: install the Debian package libreoffice-calc-nogui")
    });
    let dir = Scratch::new();
    let xlsx = dir.path().join("checklist.xlsx");
    example().write_path(&xlsx, Some(Catalog::star1())).unwrap();
    let profile = dir.path().join("lo-profile");
    let out = Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&xlsx)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |sheet: &str| {
        let p = dir.path().join(format!("checklist-{sheet}.csv"));
        std::fs::read_to_string(&p).unwrap_or_else(|e| {
            let found: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .flatten()
                .map(|e| e.file_name())
                .collect();
            panic!(
                "{}: {e}; files: {found:?}; stdout: {}",
                p.display(),
                String::from_utf8_lossy(&out.stdout)
            )
        })
    };
    let basic = read(SHEET_BASIC);
    assert!(
        basic.contains("申請者名（会社名）,株式会社サンプルデバイス (Example Devices Co., Ltd.)")
            || basic.contains("\"株式会社サンプルデバイス (Example Devices Co., Ltd.)\""),
        "{basic}"
    );
    assert!(basic.contains("psirt@example.jp"), "{basic}");
    assert!(basic.contains("\"SC-200\nSC-200W\nSC-200W-JP\""), "{basic}");
    let answers = read(SHEET_ANSWERS);
    assert!(
        answers.starts_with(
            "適合基準ID,タイトル,結果,NAであることの理由,評価手法,証跡の文書名,証跡の章・ページ,証跡のファイル,備考"
        ),
        "{answers}"
    );
    for needle in [
        "S1.1-01",
        "S1.1-16",
        "みなし適合",
        "対象外(NA)",
        "evidence/s1.1-04-login-bruteforce.json",
    ] {
        assert!(answers.contains(needle), "{needle} missing in {answers}");
    }
    // The workbook LibreOffice read is the one we wrote: same answers.
    let c: Checklist = Checklist::from_path(&xlsx).unwrap();
    assert_eq!(c, example());
}

/// The broken workbooks under tests/data (used by the CLI tests too) fail
/// the way their names say. `JCSTAR_WRITE_FIXTURES=1` regenerates them from
/// the example.
#[test]
fn broken_workbook_fixtures() {
    let bytes = to_xlsx_bytes(&example(), Some(Catalog::star1())).unwrap();
    let no_sheet = {
        let mut g = read_grids(&bytes);
        g.retain(|(n, _)| n != SHEET_ANSWERS);
        write_grids(&g)
    };
    let no_column = {
        let mut g = read_grids(&bytes);
        for row in g[1].1.iter_mut() {
            row.remove(2);
        }
        write_grids(&g)
    };
    let bad_value = {
        let mut g = read_grids(&bytes);
        g[1].1[5][2] = "はい".into();
        write_grids(&g)
    };
    let fixtures = [
        ("missing-sheet.xlsx", no_sheet),
        ("missing-column.xlsx", no_column),
        ("bad-result.xlsx", bad_value),
    ];
    if std::env::var_os("JCSTAR_WRITE_FIXTURES").is_some() {
        for (name, b) in &fixtures {
            std::fs::write(data(name), b).unwrap();
        }
    }
    let read = |name: &str| Checklist::from_path(&data(name)).unwrap_err();
    assert_eq!(places(&read("missing-sheet.xlsx")), ["チェックリスト"]);
    assert!(
        read("missing-column.xlsx")
            .to_string()
            .contains("no column `結果`"),
        "{}",
        read("missing-column.xlsx")
    );
    assert!(
        matches!(read("bad-result.xlsx"), ChecklistError::Cells { problems, .. } if problems[0].cell == "C6" && problems[0].value == "はい")
    );
}

#[test]
fn every_bad_cell_is_reported_at_once_in_both_languages() {
    let bytes = to_xlsx_bytes(&example(), None).unwrap();
    let mut grids = read_grids(&bytes);
    grids[1].1[3][2] = "OK".into();
    grids[1].1[5][4] = "目視".into();
    grids[1].1[2][5] = "実機テスト".into();
    grids[1].1[2][6] = "3.2".into();
    let row = |grids: &Vec<(String, Grid)>, label: &str| {
        grids[0].1.iter().position(|r| r[0] == label).unwrap()
    };
    let r = row(&grids, "必須付随サービスの有無");
    grids[0].1[r][1] = "たぶん".into();
    let err = from_xlsx_bytes(&write_grids(&grids), "book.xlsx").unwrap_err();
    let ChecklistError::Cells { problems, .. } = &err else {
        panic!("{err:?}")
    };
    let places: Vec<String> = problems.iter().map(|p| p.place()).collect();
    for want in [
        "チェックリスト!C4",
        "チェックリスト!E6",
        "チェックリスト!G3",
    ] {
        assert!(places.contains(&want.to_string()), "{places:?}");
    }
    assert!(
        places.contains(&format!("基本情報!B{}", r + 1)),
        "{places:?}"
    );
    let ja = err.message(jcstar_criteria::Lang::Ja);
    assert!(ja.contains("直すところが 4 か所あります"), "{ja}");
    assert!(ja.contains("「あり」か「なし」を選んでください"), "{ja}");
    let en = err.to_string();
    assert!(en.contains("4 place(s) to fix"), "{en}");
}

#[test]
fn excel_typing_accidents_are_caught_or_handled() {
    // Cells typed as numbers, as a spreadsheet program stores `1.0` or a
    // phone number typed without hyphens.
    let c = example();
    let bytes = to_xlsx_bytes(&c, None).unwrap();
    let grids = read_grids(&bytes);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let mut phone_row = 0;
    let mut versions_row = 0;
    for (name, grid) in &grids {
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        for (r, rowv) in grid.iter().enumerate() {
            for (col, v) in rowv.iter().enumerate() {
                let (r, col) = (r as u32, col as u16);
                if name == SHEET_BASIC && col == 1 {
                    match rowv[0].as_str() {
                        "適合基準カタログ版" => {
                            ws.write_number(r, col, 1.0).unwrap();
                            continue;
                        }
                        "電話番号" => {
                            phone_row = r;
                            ws.write_number(r, col, 300000000.0).unwrap();
                            continue;
                        }
                        "ファームウェア/ソフトウェアバージョン" => {
                            versions_row = r;
                            ws.write_number(r, col, 2.1).unwrap();
                            continue;
                        }
                        "評価日" => {
                            let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 11, 16).unwrap();
                            let f = rust_xlsxwriter::Format::new().set_num_format("yyyy/mm/dd");
                            ws.write_datetime_with_format(r, col, &d, &f).unwrap();
                            continue;
                        }
                        _ => {}
                    }
                }
                if !v.is_empty() {
                    ws.write_string(r, col, v).unwrap();
                }
            }
        }
    }
    let err = from_xlsx_bytes(&wb.save_to_buffer().unwrap(), "book.xlsx").unwrap_err();
    let ChecklistError::Cells { problems, .. } = &err else {
        panic!("{err:?}")
    };
    let places: Vec<String> = problems.iter().map(|p| p.place()).collect();
    // The phone number lost its leading 0 and the version may have lost a
    // trailing one: both are named. The catalog version 1 reads as 1.0 and
    // the date as a date, so neither is a problem.
    assert_eq!(
        places,
        vec![
            format!("基本情報!B{}", phone_row + 1),
            format!("基本情報!B{}", versions_row + 1)
        ],
        "{err}"
    );
    assert!(problems[0].expected.ja.contains("先頭の 0"));
}

/// Printed by LibreOffice, the answer sheet comes out on landscape pages
/// with every criterion row whole (each id on exactly one page, with the
/// header row repeated on each).
#[test]
fn printed_by_libreoffice_every_row_is_whole_on_landscape_pages() {
    let soffice = ["/usr/bin/libreoffice", "/usr/bin/soffice"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("LibreOffice is not installed: install libreoffice-calc-nogui");
    for tool in ["/usr/bin/pdfinfo", "/usr/bin/pdftotext"] {
        assert!(
            std::path::Path::new(tool).exists(),
            "{tool} missing: install the Debian package poppler-utils"
        );
    }
    let dir = Scratch::new();
    let xlsx = dir.path().join("checklist.xlsx");
    example().write_path(&xlsx, Some(Catalog::star1())).unwrap();
    let profile = dir.path().join("lo-profile");
    let out = Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&xlsx)
        .output()
        .unwrap();
    let pdf = dir.path().join("checklist.pdf");
    assert!(pdf.exists(), "{}", String::from_utf8_lossy(&out.stderr));
    let info = Command::new("/usr/bin/pdfinfo")
        .args(["-f", "1", "-l", "99"])
        .arg(&pdf)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    assert!(pages >= 2, "{info}");
    let text_of = |page: usize| {
        let o = Command::new("/usr/bin/pdftotext")
            .args(["-f", &page.to_string(), "-l", &page.to_string(), "-layout"])
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let texts: Vec<String> = (1..=pages).map(text_of).collect();
    // Page 1 is the basic-information form; the rest is the answer sheet.
    for (i, t) in texts.iter().enumerate().skip(1) {
        let size = info
            .lines()
            .find(|l| l.starts_with(&format!("Page {:>4} size:", i + 1)))
            .unwrap_or_else(|| panic!("no size for page {}: {info}", i + 1));
        let dims: Vec<f64> = size
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        assert!(dims[1] > dims[2], "page {} is not landscape: {size}", i + 1);
        assert!(t.contains("適合基準ID"), "no header row on page {}", i + 1);
    }
    // Readable: fit to width must not shrink the sheet to a blur. The
    // criterion ids are set in the body font; their glyph boxes show the
    // print scale (11 pt text at 100 %).
    let bbox = Command::new("/usr/bin/pdftotext")
        .args(["-bbox", "-f", "2", "-l", &pages.to_string()])
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let bbox = String::from_utf8_lossy(&bbox.stdout).into_owned();
    let attr = |line: &str, name: &str| -> f64 {
        let at = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        line[at..].split('"').next().unwrap().parse().unwrap()
    };
    let heights: Vec<f64> = bbox
        .lines()
        .filter(|l| l.contains(">S1.1-"))
        .map(|l| attr(l, "yMax") - attr(l, "yMin"))
        .collect();
    assert!(!heights.is_empty(), "{bbox}");
    let smallest = heights.iter().cloned().fold(f64::MAX, f64::min);
    assert!(
        smallest >= 5.5,
        "printed too small to read: text {smallest:.1} pt high"
    );
    // Every criterion row whole: its id, and the end of its longest
    // reference text (the evaluation procedure, last column), on one page.
    let raw_of = |page: usize| {
        let o = Command::new("/usr/bin/pdftotext")
            .args(["-raw", "-f", &page.to_string(), "-l", &page.to_string()])
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
    };
    let raws: Vec<String> = (1..=pages).map(raw_of).collect();
    let grids = read_grids(&std::fs::read(&xlsx).unwrap());
    let sheet = &grids[1].1;
    let procedure = sheet[0]
        .iter()
        .position(|h| h == "評価手順（参照）")
        .unwrap();
    for c in &Catalog::star1().criteria {
        let on: Vec<usize> = texts
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, t)| t.lines().any(|l| l.trim_start().starts_with(&c.id)))
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(on.len(), 1, "{} printed on pages {on:?}", c.id);
        let row = sheet.iter().find(|r| r[0] == c.id).unwrap();
        let text: Vec<char> = row[procedure]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let tail: String = text[text.len().saturating_sub(8)..].iter().collect();
        assert!(
            raws[on[0] - 1].contains(&tail),
            "the end of {}'s row (`{tail}`) is not on its page {}",
            c.id,
            on[0]
        );
    }
}

/// Evidence sits in plain columns: document name, section or page, file,
/// one item per line, with no syntax to learn.
#[test]
fn evidence_is_in_plain_columns() {
    let bytes = to_xlsx_bytes(&example(), Some(Catalog::star1())).unwrap();
    let grids = read_grids(&bytes);
    let sheet = &grids[1].1;
    let col = |name: &str| sheet[0].iter().position(|h| h == name).unwrap();
    let (name, section, file) = (
        col("証跡の文書名"),
        col("証跡の章・ページ"),
        col("証跡のファイル"),
    );
    let row = |id: &str| sheet.iter().find(|r| r[0] == id).unwrap();
    let r = row("S1.1-03");
    assert_eq!(r[name], "SC-200 取扱説明書");
    assert_eq!(r[section], "6.2 パスワードの変更 (p. 34)");
    assert_eq!(r[file], "evidence/manual-excerpt-password.txt");
    let r = row("S1.1-02");
    assert_eq!(r[name], "SC-200 セキュリティ設計書 第3版");
    assert_eq!(r[file], "(外部保管)");
    let r = row("S1.1-04");
    assert_eq!(r[name], "実機テスト");
    assert_eq!(r[section], "-");
    assert_eq!(r[file], "evidence/s1.1-04-login-bruteforce.json");
    for r in sheet {
        for c in [name, section, file] {
            assert!(!r[c].contains(" | "), "mini-syntax in {r:?}");
        }
    }
    // Several items: line n of each column belongs together.
    let mut c = example();
    c.answers[2]
        .evidence
        .push(jcstar_checklist::Evidence::Document(
            jcstar_checklist::DocumentRef {
                name: "設計書".into(),
                section: None,
                path: Some("evidence/design.pdf".into()),
                external: false,
            },
        ));
    let bytes = to_xlsx_bytes(&c, None).unwrap();
    let grids = read_grids(&bytes);
    let r = &grids[1].1[3];
    assert_eq!(r[name], "SC-200 取扱説明書\n設計書");
    assert_eq!(r[section], "6.2 パスワードの変更 (p. 34)\n-");
    assert_eq!(
        r[file],
        "evidence/manual-excerpt-password.txt\nevidence/design.pdf"
    );
    assert_eq!(from_xlsx_bytes(&bytes, "c.xlsx").unwrap(), c);
}

#[test]
fn evidence_that_cannot_keep_to_one_line_is_refused_on_export() {
    let mut c = example();
    c.answers[2]
        .evidence
        .push(jcstar_checklist::Evidence::Document(
            jcstar_checklist::DocumentRef {
                name: "two\nlines".into(),
                section: None,
                path: None,
                external: true,
            },
        ));
    let err = to_xlsx_bytes(&c, None).unwrap_err();
    assert!(
        matches!(&err, ChecklistError::Unrepresentable { field, .. } if field == "answers[2].evidence"),
        "{err:?}"
    );
}

/// Workbooks written before the plain evidence columns (one `証跡` cell,
/// `文書 | name | section | path` lines) still read the same, saved here as
/// that version wrote them.
#[test]
fn workbooks_with_the_earlier_evidence_syntax_still_read() {
    let old = std::fs::read(data("old-evidence-syntax-example.xlsx")).unwrap();
    assert!(
        read_grids(&old)[1].1[0].iter().any(|h| h == "証跡"),
        "the fixture has the one-cell evidence column"
    );
    assert_eq!(from_xlsx_bytes(&old, "old.xlsx").unwrap(), example());

    let mut want = everything();
    if let jcstar_checklist::Evidence::Document(d) = &mut want.answers[1].evidence[0] {
        d.section = Some("3.2 認証\n（補足）".into());
    }
    let old = std::fs::read(data("old-evidence-syntax-everything.xlsx")).unwrap();
    let (c, map) = jcstar_checklist::xlsx::from_xlsx_bytes_mapped(&old, "old.xlsx").unwrap();
    assert_eq!(c, want);
    // Problems about evidence point at the one evidence cell.
    assert_eq!(
        map.cell_of("answers[1].evidence[0].path").as_deref(),
        Some("チェックリスト!F3")
    );
    // Rewriting it in today's layout (as `attach` does) loses nothing.
    assert_eq!(jcstar_checklist::xlsx::what_a_rewrite_loses(&old), None);
}

/// Missing sheets, columns and rows no longer stop the reading: everything
/// to fix is reported in one pass, each with its place and what to type.
#[test]
fn structural_and_cell_problems_are_reported_together() {
    let bytes = to_xlsx_bytes(&example(), None).unwrap();
    let mut grids = read_grids(&bytes);
    // Answer sheet: the result column is gone and a method is misspelt.
    for row in grids[1].1.iter_mut() {
        row.remove(2);
    }
    grids[1].1[5][3] = "目視".into();
    // Basic sheet: two rows gone and a bad yes/no.
    grids[0]
        .1
        .retain(|r| r[0] != "評価日" && r[0] != "担当者名");
    let n = grids[0].1.len();
    let r = grids[0]
        .1
        .iter()
        .position(|r| r[0] == "必須付随サービスの有無")
        .unwrap();
    grids[0].1[r][1] = "たぶん".into();
    let err = from_xlsx_bytes(&write_grids(&grids), "book.xlsx").unwrap_err();
    assert_eq!(
        places(&err),
        [
            "チェックリスト!M1".to_string(),
            "チェックリスト!D6".to_string(),
            format!("基本情報!A{}", n + 1),
            format!("基本情報!A{}", n + 2),
            format!("基本情報!B{}", r + 1),
        ],
        "{err}"
    );
    let ja = err.message(jcstar_criteria::Lang::Ja);
    assert!(ja.contains("直すところが 5 か所あります"), "{ja}");
    assert!(ja.contains("見出し「結果」の列がありません"), "{ja}");
    assert!(ja.contains("行「担当者名」がありません"), "{ja}");
    assert!(!ja.contains("there is no"), "{ja}");

    // Without the answer sheet, the basic sheet's problems still show.
    let mut grids = read_grids(&bytes);
    grids.retain(|(n, _)| n != SHEET_ANSWERS);
    let r = grids[0]
        .1
        .iter()
        .position(|r| r[0] == "必須付随サービスの有無")
        .unwrap();
    grids[0].1[r][1] = "たぶん".into();
    let err = from_xlsx_bytes(&write_grids(&grids), "book.xlsx").unwrap_err();
    assert_eq!(
        places(&err),
        ["チェックリスト".to_string(), format!("基本情報!B{}", r + 1)]
    );
    assert!(
        err.message(jcstar_criteria::Lang::Ja)
            .contains("シート「チェックリスト」がありません（あるシート: 基本情報）"),
        "{}",
        err.message(jcstar_criteria::Lang::Ja)
    );
}

#[test]
fn a_file_that_is_no_workbook_is_named_in_the_users_language() {
    let err = from_xlsx_bytes(b"not a zip", "junk.xlsx").unwrap_err();
    let ja = err.message(jcstar_criteria::Lang::Ja);
    assert!(
        ja.starts_with("junk.xlsx: .xlsx のブックとして読めません"),
        "{ja}"
    );
}

/// `--lang en`: the same workbook with English sheet names, headers,
/// labels, dropdown values and catalog text, read back to the same
/// checklist.
#[test]
fn the_english_workbook_reads_back_the_same() {
    use jcstar_checklist::xlsx::to_xlsx_bytes_in;
    use jcstar_criteria::Lang;
    let cat = Catalog::star1();
    for original in [example(), everything()] {
        let bytes = to_xlsx_bytes_in(&original, Some(cat), Lang::En).unwrap();
        assert_eq!(from_xlsx_bytes(&bytes, "en.xlsx").unwrap(), original);
        assert_eq!(jcstar_checklist::xlsx::language_of(&bytes), Lang::En);
    }
    let bytes = to_xlsx_bytes_in(&example(), Some(cat), Lang::En).unwrap();
    let grids = read_grids(&bytes);
    let names: Vec<&str> = grids.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Basic information", "Checklist"]);
    let basic = &grids[0].1;
    assert_eq!(basic[0][..3], ["Item", "Value", "How to fill in"]);
    assert!(basic.iter().any(|r| r[0] == "Applicant (company name)"));
    let yes_no = if example().companion_service.essential {
        "yes"
    } else {
        "no"
    };
    assert!(
        basic
            .iter()
            .any(|r| r[0] == "Essential companion service" && r[1] == yes_no)
    );
    let sheet = &grids[1].1;
    assert_eq!(
        sheet[0][..9],
        [
            "Criterion ID",
            "Title",
            "Result",
            "Reason for NA",
            "Evaluation methods",
            "Evidence: document",
            "Evidence: section/page",
            "Evidence: file",
            "Notes"
        ]
    );
    let c04 = cat.criterion("S1.1-04").unwrap();
    let row = sheet.iter().find(|r| r[0] == "S1.1-04").unwrap();
    assert_eq!(row[1], c04.title.en);
    assert_eq!(row[2], "conforms");
    assert_eq!(row[5], "device test");
    assert!(row[9].starts_with(&c04.statement.en), "{}", row[9]);
    for r in sheet.iter().skip(1).filter(|r| !r[0].is_empty()) {
        // The fixed text; the rest is the vendor's own.
        for cell in [1, 2, 4, 9, 10, 11].map(|i| &r[i]) {
            assert!(
                !cell.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
                "kana in the English workbook: {cell}"
            );
        }
    }
    let sheet2 = zip_entry(&bytes, "xl/worksheets/sheet2.xml");
    assert!(
        sheet2.contains("conforms,not applicable,does not conform,deemed met (技適),unanswered"),
        "{sheet2}"
    );
    assert!(sheet2.contains("document review,device test,document review + device test"));

    // Problems name the English sheet and speak of English choices.
    let mut grids = read_grids(&bytes);
    grids[1].1[3][2] = "OK".into();
    let err = from_xlsx_bytes(&write_grids(&grids), "en.xlsx").unwrap_err();
    assert_eq!(places(&err), ["Checklist!C4"]);
    assert!(
        err.to_string()
            .contains("choose one of: conforms / not applicable"),
        "{err}"
    );
    // A workbook map points at English cells.
    let (_, map) = jcstar_checklist::xlsx::from_xlsx_bytes_mapped(&bytes, "en.xlsx").unwrap();
    assert_eq!(
        map.cell_of("contact.email").as_deref(),
        Some("Basic information!B9")
    );
    assert!(
        map.hint("give `na-reason`")
            .contains("the “Reason for NA” column")
    );

    // Rewriting it (as `attach` does) keeps it English.
    let dir = Scratch::new();
    let p = dir.path().join("en.xlsx");
    std::fs::write(&p, &bytes).unwrap();
    example().write_preserving(&p, Some(cat)).unwrap();
    let names: Vec<String> = read_grids(&std::fs::read(&p).unwrap())
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["Basic information", "Checklist"]);
}
