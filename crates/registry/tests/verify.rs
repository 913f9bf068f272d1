//! Bulk verification against real SQLite and PostgreSQL databases: model
//! numbers in other spellings, ambiguous models, typos, numbers never
//! issued, and a 1,000-row list checked against a brute-force scan.

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

use std::collections::HashMap;
use std::time::Instant;

use common::Env;
use jcstar_registry::verify::{
    self, InputKind, InputRow, Outcome, VerifyReport, model_key, read_list,
};
use jcstar_registry::*;

const BASE: &str = "https://registry.example";

fn rows(texts: &[&str]) -> Vec<InputRow> {
    read_list(texts).expect("rows")
}

fn typo_of(number: &str) -> String {
    let good = number.chars().last().unwrap_or('0');
    let bad = if good == '1' { '2' } else { '1' };
    format!("{}{bad}", &number[..number.len() - 1])
}

async fn spellings_typos_and_unissued(backend: Backend) {
    let env = Env::new(backend).await;
    let acme = env.issued("acme", Level::Star1).await;
    let beta = env.issued("beta", Level::Star3).await;
    let gone = env.issued("gone", Level::Star1).await;
    env.reg
        .withdraw_label(&env.op, &gone.number, "product discontinued")
        .await
        .expect("withdraw");
    let unissued = RegistrationNumber::new(Level::Star1, 2026, 999_999).to_string();
    let report = env
        .reg
        .verify_rows(
            &rows(&[
                "ＡＣＭＥ－１００",
                "",
                "acme100",
                "a.c.m.e 100",
                "X-2",
                &acme.number.to_lowercase(),
                &typo_of(&beta.number),
                &unissued,
                "GONE-100",
                "no-such-model",
                "JCS9-2026-000001-1",
            ]),
            BASE,
        )
        .await
        .expect("verify");
    let by_row: HashMap<u64, &verify::VerifyRow> = report.rows.iter().map(|r| (r.row, r)).collect();
    assert_eq!(report.rows.len(), 10, "the blank row is skipped");
    assert!(!by_row.contains_key(&2));
    for row in [1, 3, 4] {
        let r = by_row[&row];
        assert_eq!(r.outcome, Outcome::Labeled, "row {row}: {r:?}");
        let l = r.label.as_ref().expect("label");
        assert_eq!(l.number, acme.number);
        assert_eq!(l.level, 1);
        assert_eq!(l.status, LabelStatus::Active);
        assert_eq!(l.url, format!("{BASE}/labels/{}", acme.number));
    }
    // Every test label also has the model X-2.
    let r = by_row[&5];
    assert_eq!(r.outcome, Outcome::Ambiguous);
    let mut cands: Vec<&str> = r.candidates.iter().map(|c| c.number.as_str()).collect();
    cands.sort();
    let mut expect = vec![
        acme.number.as_str(),
        beta.number.as_str(),
        gone.number.as_str(),
    ];
    expect.sort();
    assert_eq!(cands, expect);
    let r = by_row[&6];
    assert_eq!((r.kind, r.outcome), (InputKind::Number, Outcome::Labeled));
    let r = by_row[&7];
    assert_eq!(r.outcome, Outcome::ProbableTypo);
    assert!(!r.labeled);
    assert_eq!(r.suggestion.as_deref(), Some(beta.number.as_str()));
    assert_eq!(
        r.suggestion_label.as_ref().map(|l| l.level),
        Some(3),
        "the corrected number's label is shown"
    );
    assert_eq!(by_row[&8].outcome, Outcome::NotIssued);
    let r = by_row[&9];
    assert_eq!(r.outcome, Outcome::Labeled);
    assert_eq!(
        r.label.as_ref().map(|l| l.status),
        Some(LabelStatus::Withdrawn)
    );
    assert_eq!(by_row[&10].outcome, Outcome::NotLabeled);
    let r = by_row[&11];
    assert_eq!(r.outcome, Outcome::InvalidNumber);
    assert!(r.detail.as_deref().unwrap_or("").contains("JCS<level>"));
    assert_eq!(report.summary.rows, 10);
    assert_eq!(report.summary.labeled, 5);
    assert_eq!(report.summary.active, 4);
    assert_eq!(report.summary.not_issued, 1);

    // A label issued after a verification is found by the next one (the
    // model index follows the chain head).
    let delta = env.issued("delta", Level::Star1).await;
    let again = env
        .reg
        .verify_rows(&rows(&["delta100", "X-2"]), BASE)
        .await
        .expect("verify");
    assert_eq!(
        again.rows[0].label.as_ref().map(|l| l.number.as_str()),
        Some(delta.number.as_str())
    );
    assert_eq!(again.rows[1].candidates.len(), 4);

    // Expiry follows the registry's clock.
    env.clock.advance(chrono::Duration::days(365 * 3));
    let later = env
        .reg
        .verify_rows(&rows(&["acme-100"]), BASE)
        .await
        .expect("verify");
    assert_eq!(
        later.rows[0].label.as_ref().map(|l| l.status),
        Some(LabelStatus::Expired)
    );
    env.done().await;
}

#[tokio::test]
async fn spellings_typos_and_unissued_sqlite() {
    spellings_typos_and_unissued(Backend::Sqlite).await;
}

#[tokio::test]
async fn spellings_typos_and_unissued_postgres() {
    spellings_typos_and_unissued(Backend::Postgres).await;
}

/// What each row should answer, by scanning every label.
fn brute_force(labels: &[Label], text: &str) -> (Outcome, Vec<String>) {
    if let Ok(n) = parse_registration_number(text) {
        let n = n.to_string();
        return if labels.iter().any(|l| l.number == n) {
            (Outcome::Labeled, vec![n])
        } else {
            (Outcome::NotIssued, vec![])
        };
    }
    let key = model_key(text);
    let mut found: Vec<String> = labels
        .iter()
        .filter(|l| {
            l.products
                .iter()
                .flat_map(|p| &p.model_numbers)
                .any(|m| model_key(m) == key)
        })
        .map(|l| l.number.clone())
        .collect();
    found.sort();
    match found.len() {
        0 => (Outcome::NotLabeled, found),
        1 => (Outcome::Labeled, found),
        _ => (Outcome::Ambiguous, found),
    }
}

fn numbers_of(r: &verify::VerifyRow) -> Vec<String> {
    let mut v: Vec<String> = r
        .label
        .iter()
        .chain(&r.candidates)
        .map(|l| l.number.clone())
        .collect();
    v.sort();
    v
}

async fn thousand_rows_match_brute_force(backend: Backend) {
    let env = Env::new(backend).await;
    env.issued("acme", Level::Star1).await;
    env.issued("beta", Level::Star1).await;
    seed_bulk(&env.reg, 3000).await.expect("bulk");
    let mut labels = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = env.reg.labels_after(after.as_deref(), 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.number.clone());
        labels.extend(page);
    }
    // A deterministic mix: models in several spellings, numbers, unknown
    // models, numbers never issued.
    let mut texts: Vec<String> = Vec::new();
    for i in 0..1000u64 {
        let l = &labels[(i * 7 % labels.len() as u64) as usize];
        let model = &l.products[0].model_numbers[(i % 2) as usize];
        texts.push(match i % 8 {
            0 => model.clone(),
            1 => model.to_lowercase().replace('-', ""),
            2 => model
                .chars()
                .map(|c| match c {
                    '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
                    c => c,
                })
                .collect(),
            3 => l.number.clone(),
            4 => format!("UNKNOWN-{i}"),
            5 => RegistrationNumber::new(Level::Star2, 2030, 500_000 + i).to_string(),
            6 => "X-2".to_string(),
            _ => format!(" {} ", l.number.to_lowercase()),
        });
    }
    let input = read_list(&texts).expect("rows");
    let started = Instant::now();
    let report: VerifyReport = env.reg.verify_rows(&input, BASE).await.expect("verify");
    let took = started.elapsed();
    assert_eq!(report.rows.len(), 1000);
    for (r, text) in report.rows.iter().zip(&texts) {
        let (outcome, numbers) = brute_force(&labels, text.trim());
        assert_eq!(r.outcome, outcome, "row {} {text:?}", r.row);
        assert_eq!(numbers_of(r), numbers, "row {} {text:?}", r.row);
    }
    eprintln!(
        "{backend:?}: 1,000 rows against {} labels in {took:?}",
        labels.len()
    );
    // The speed target is measured by bench/web, not asserted here: a
    // loaded machine must not fail a correctness test.
    env.done().await;
}

#[tokio::test]
async fn thousand_rows_match_brute_force_sqlite() {
    thousand_rows_match_brute_force(Backend::Sqlite).await;
}

#[tokio::test]
async fn thousand_rows_match_brute_force_postgres() {
    thousand_rows_match_brute_force(Backend::Postgres).await;
}

#[test]
fn csv_report_has_bom_and_neutralised_cells() {
    let report = VerifyReport {
        as_of: common::date(2026, 4, 1),
        generated_at: common::t0(),
        registry: BASE.into(),
        summary: Default::default(),
        rows: vec![verify::VerifyRow {
            row: 1,
            cell: None,
            input: "=HYPERLINK(\"http://evil\",\"x\")".into(),
            kind: InputKind::Model,
            outcome: Outcome::Labeled,
            labeled: true,
            label: Some(verify::LabelRef {
                number: "JCS1-2026-000001-K".into(),
                level: 1,
                status: LabelStatus::Revoked,
                valid_until: common::date(2028, 3, 31),
                company: "@SUM(A1) 株式会社".into(),
                products: vec!["+cmd".into()],
                url: format!("{BASE}/labels/JCS1-2026-000001-K"),
            }),
            candidates: vec![],
            suggestion: None,
            suggestion_label: None,
            detail: None,
        }],
    };
    let csv = verify::report_csv(&report, jcstar_criteria::Lang::Ja);
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(csv[3..].to_vec()).expect("utf-8");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().expect("headers").clone();
    assert_eq!(&headers[0], "行");
    let rec = r.records().next().expect("row").expect("csv");
    assert_eq!(&rec[1], "'=HYPERLINK(\"http://evil\",\"x\")");
    assert_eq!(&rec[6], "取消し");
    assert_eq!(&rec[8], "'@SUM(A1) 株式会社");
    assert_eq!(&rec[9], "'+cmd");

    // The workbook carries the same table, every cell as text: the formula
    // a list or a label might hold stays a string (no apostrophe needed).
    let xlsx = verify::report_xlsx(&report, jcstar_criteria::Lang::Ja).expect("xlsx");
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("workbook");
    assert_eq!(book.sheet_names(), ["確認結果"]);
    let range = book.worksheet_range("確認結果").expect("sheet");
    let cell = |r: u32, c: u32| range.get_value((r, c)).cloned();
    assert_eq!(cell(0, 0), Some(Data::String("行".into())));
    assert_eq!(
        cell(1, 1),
        Some(Data::String("=HYPERLINK(\"http://evil\",\"x\")".into()))
    );
    assert_eq!(cell(1, 6), Some(Data::String("取消し".into())));
    assert_eq!(cell(1, 8), Some(Data::String("@SUM(A1) 株式会社".into())));
    let formulas = book.worksheet_formula("確認結果").expect("formulas");
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
}

#[test]
fn xlsx_reads_the_headed_column_and_names_cells() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "製品名").unwrap();
    sheet.write_string(0, 1, "型番").unwrap();
    sheet.write_string(1, 0, "カメラ").unwrap();
    sheet.write_string(1, 1, "ＮＣ－２００").unwrap();
    sheet.write_number(3, 1, 1234.0).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let rows = verify::read_file(&bytes).expect("reads");
    assert_eq!(
        rows.iter()
            .map(|r| (r.row, r.cell.as_deref().unwrap_or(""), r.text.as_str()))
            .collect::<Vec<_>>(),
        [(2, "B2", "ＮＣ－２００"), (4, "B4", "1234")]
    );

    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "NC-200").unwrap();
    sheet.write_string(2, 0, "x".repeat(300)).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let err = verify::read_file(&bytes).unwrap_err();
    assert!(err.to_string().contains("row 3, cell A3"), "{err}");
    assert!(
        err.message(jcstar_criteria::Lang::Ja)
            .contains("3行目（セルA3）")
    );
    let err = verify::read_xlsx(b"PK\x03\x04 not a workbook").unwrap_err();
    assert!(matches!(err, verify::InputError::Workbook(_)), "{err:?}");
}

#[test]
fn pasted_text_takes_the_first_cell_and_any_line_end() {
    let rows = verify::read_text("NC-200\tカメラ\r\n\r\nX-1\rY-2\n").expect("reads");
    assert_eq!(
        rows.iter()
            .map(|r| (r.row, r.text.as_str()))
            .collect::<Vec<_>>(),
        [(1, "NC-200"), (3, "X-1"), (4, "Y-2")]
    );
    let err = verify::read_text("ok\nbad\u{7}\n").unwrap_err();
    assert!(err.to_string().contains("row 2"), "{err}");
}
