//! `jcstar registry` and `jcstar demo` end to end, on a SQLite file and on a
//! fresh PostgreSQL schema.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::path::Path;
use std::process::{Command, Output};

use jcstar_registry::Backend;
use jcstar_registry::testing::TestDb;

fn jcstar(db: &str, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args(args)
        .arg("--database")
        .arg(db)
        .current_dir(dir)
        .env_remove("JCSTAR_DATABASE")
        .env_remove("JCSTAR_TOKEN")
        .env_remove("JCSTAR_LANG")
        .env("JCSTAR_AS", "Test Operator")
        .output()
        .expect("run jcstar")
}

/// `jcstar` without a named person.
fn anonymous(db: &str, dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args(args)
        .arg("--database")
        .arg(db)
        .current_dir(dir)
        .env_remove("JCSTAR_DATABASE")
        .env_remove("JCSTAR_TOKEN")
        .env_remove("JCSTAR_AS")
        .env_remove("JCSTAR_LANG")
        .output()
        .expect("run jcstar");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok_json(db: &str, dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = jcstar(db, dir, &all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn code(db: &str, dir: &Path, args: &[&str]) -> (i32, String) {
    let out = jcstar(db, dir, args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn flow(backend: Backend) {
    let db = TestDb::new(backend).await.expect("test database");
    let url = db.url.clone();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    // The flags below repeat the checklist's basic-information sheet.
    let good = jcstar_registry::demo::checklist_for(
        "Acme K.K.",
        "Tokyo",
        "Acme Cam",
        "network camera",
        &["AC-1", "AC-1B"],
        &["1.0"],
    );
    std::fs::write(dir.join("good.json"), good.to_string()).expect("write");
    // Right format, but one criterion left unanswered.
    let mut bad = good.clone();
    bad["answers"].as_array_mut().expect("answers").remove(0);
    std::fs::write(dir.join("bad.json"), bad.to_string()).expect("write");
    std::fs::write(dir.join("broken.json"), "[]").expect("write");
    std::fs::write(dir.join("report.pdf"), b"%PDF-1.7 test").expect("write");

    let token = ok_json(
        &url,
        dir,
        &[
            "registry",
            "token",
            "create",
            "--role",
            "vendor",
            "--org",
            "acme",
            "--name",
            "Hanako Yamada",
        ],
    );
    assert!(token["plaintext"].as_str().unwrap().starts_with("jcs_"));
    assert!(token["expires_at"].is_string());
    let (c, err) = code(
        &url,
        dir,
        &[
            "registry", "token", "create", "--role", "vendor", "--name", "Taro",
        ],
    );
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("org"), "{err}");

    let apply = |checklist: &str| {
        vec![
            "registry",
            "apply",
            "--checklist",
            checklist,
            "--org",
            "acme",
            "--company",
            "Acme K.K.",
            "--address",
            "Tokyo",
            "--contact",
            "info@acme.example.jp",
            "--product",
            "Acme Cam",
            "--model",
            "AC-1",
            "--model",
            "AC-1B",
            "--firmware",
            "1.0",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let bad: Vec<String> = apply("bad.json");
    let bad: Vec<&str> = bad.iter().map(String::as_str).collect();
    let (c, err) = code(&url, dir, &bad);
    assert_eq!(c, 1, "failing checklist is a refusal: {err}");
    assert!(
        err.contains("形式確認") && err.contains("APP-000001"),
        "{err}"
    );
    assert!(
        err.contains("S1.1-01"),
        "the problem names the criterion: {err}"
    );
    let broken: Vec<String> = apply("broken.json");
    let broken: Vec<&str> = broken.iter().map(String::as_str).collect();
    let (c, err) = code(&url, dir, &broken);
    assert_eq!(c, 2, "an unreadable checklist file is bad input: {err}");

    let good: Vec<String> = apply("good.json");
    let good: Vec<&str> = good.iter().map(String::as_str).collect();
    let app = ok_json(&url, dir, &good);
    let id = app["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("APP-000002-"), "{id}");
    // A flag that disagrees with the checklist is refused, naming both.
    let mut other: Vec<String> = apply("good.json");
    other.extend(["--model".to_string(), "XYZ-999".to_string()]);
    let other: Vec<&str> = other.iter().map(String::as_str).collect();
    let (c, err) = code(&url, dir, &other);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("XYZ-999") && err.contains("AC-1B"), "{err}");
    // Changes are made by a named person.
    let (c, err) = anonymous(&url, dir, &["registry", "accept", &id]);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("--as"), "{err}");
    // Refusals are in Japanese by default, in English with --lang en.
    let (c, err) = code(&url, dir, &["registry", "issue", &id]);
    assert_eq!(c, 1, "{err}");
    assert_eq!(
        err.trim(),
        format!(
            "jcstar: 受け付けられません: 申請 {id}（現在の状態: 受付（照会待ち））: ラベルは受理と手数料の支払いの後に発行します"
        ),
        "names the state: {err}"
    );
    let (c, err) = code(&url, dir, &["registry", "issue", &id, "--lang", "en"]);
    assert_eq!(c, 1, "{err}");
    assert_eq!(
        err.trim(),
        format!(
            "jcstar: refused: application {id} is submitted: a label is issued after acceptance and the fee"
        ),
        "names the state: {err}"
    );
    ok_json(
        &url,
        dir,
        &[
            "registry",
            "inquiry",
            "request",
            &id,
            "--reference",
            "SCI-1",
        ],
    );
    ok_json(
        &url,
        dir,
        &[
            "registry",
            "inquiry",
            "answer",
            &id,
            "--clear",
            "--reference",
            "SCA-1",
        ],
    );
    ok_json(&url, dir, &["registry", "accept", &id]);
    ok_json(
        &url,
        dir,
        &[
            "registry",
            "fee",
            &id,
            "--amount",
            "15000",
            "--reference",
            "INV-1",
        ],
    );
    let label = ok_json(&url, dir, &["registry", "issue", &id]);
    let number = label["number"].as_str().unwrap().to_string();
    assert_eq!(label["status"], "active");
    let page = ok_json(&url, dir, &["registry", "show", &number]);
    assert_eq!(page["label"]["products"][0]["model_numbers"][1], "AC-1B");
    assert_eq!(page["history"][0]["kind"], "label_issued");
    let changed = ok_json(
        &url,
        dir,
        &[
            "registry",
            "change",
            &number,
            "--add-model",
            "AC-1C",
            "--reason",
            "new colour, same board",
        ],
    );
    assert_eq!(changed["products"][0]["model_numbers"][2], "AC-1C");
    let (c, err) = code(
        &url,
        dir,
        &[
            "registry",
            "change",
            &number,
            "--add-firmware",
            "2.0",
            "--reason",
            "new major release",
        ],
    );
    assert_eq!(c, 1, "{err}");
    assert!(err.contains("新しく申請"), "{err}");

    let far = "2099-01-01";
    let (c, err) = code(
        &url,
        dir,
        &[
            "registry",
            "extend",
            &number,
            "--valid-until",
            far,
            "--declaration",
            "d",
        ],
    );
    assert_eq!(c, 1, "{err}");
    assert!(err.contains("2年"), "{err}");
    let (c, err) = code(
        &url,
        dir,
        &[
            "registry",
            "surveillance",
            "open",
            &number,
            "--reason",
            "r",
            "--evidence",
            "e",
            "--deadline",
            "2001-01-01",
        ],
    );
    assert_eq!(c, 2, "a past deadline is bad input: {err}");
    ok_json(
        &url,
        dir,
        &[
            "registry",
            "surveillance",
            "open",
            &number,
            "--reason",
            "r",
            "--evidence",
            "e",
            "--deadline",
            far,
        ],
    );
    let (c, err) = code(
        &url,
        dir,
        &[
            "registry",
            "surveillance",
            "revoke",
            &number,
            "--reason",
            "no fix",
        ],
    );
    assert_eq!(c, 1, "{err}");
    assert!(err.contains("是正期限"), "{err}");
    let l = ok_json(
        &url,
        dir,
        &[
            "registry",
            "surveillance",
            "revoke",
            &number,
            "--reason",
            "no fix",
            "--override",
            "vendor confirmed it will not fix",
        ],
    );
    assert_eq!(l["status"], "revoked");
    let (c, err) = code(
        &url,
        dir,
        &["registry", "withdraw", &number, "--reason", "x"],
    );
    assert_eq!(c, 1, "{err}");
    assert!(
        err.contains("取消し") && err.contains("取り下げられるのは有効なラベルだけです"),
        "{err}"
    );
    let (c, _) = code(&url, dir, &["registry", "show", "JCS1-2026-000001-0"]);
    assert_eq!(c, 2);

    let ex = ok_json(
        &url,
        dir,
        &["registry", "export", "--csv", "-o", "labels.csv"],
    );
    assert_eq!(ex["labels"], 1);
    let csv = std::fs::read_to_string(dir.join("labels.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with(&number));
    ok_json(
        &url,
        dir,
        &["registry", "export", "--csv", "--excel", "-o", "excel.csv"],
    );
    let excel = std::fs::read(dir.join("excel.csv")).unwrap();
    assert_eq!(
        &excel[..3],
        b"\xEF\xBB\xBF",
        "Excel variant starts with a BOM"
    );
    assert_eq!(&excel[3..], csv.as_bytes());
    ok_json(
        &url,
        dir,
        &["registry", "export", "--json-format", "-o", "labels.json"],
    );
    let labels: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("labels.json")).unwrap()).unwrap();
    assert_eq!(labels[0]["status"], "revoked");
    let x = ok_json(
        &url,
        dir,
        &["registry", "export", "--xlsx", "-o", "labels.xlsx"],
    );
    assert_eq!(x["labels"], 1);
    let xlsx = std::fs::read(dir.join("labels.xlsx")).unwrap();
    assert!(xlsx.starts_with(b"PK"), "a workbook is a zip file");
    let feed = ok_json(&url, dir, &["registry", "events"]);
    assert_eq!(feed["events"].as_array().unwrap().len(), 4);
    assert_eq!(feed["events"][0]["actor"]["token_name"], "Test Operator");
    let v = ok_json(&url, dir, &["registry", "verify"]);
    assert!(v["chain"]["first_broken"].is_null(), "{v}");
    assert_eq!(v["ok"], true, "{v}");
    let r = ok_json(&url, dir, &["registry", "rebuild"]);
    assert_eq!(r["labels"], 1);
    assert_eq!(r["applications"], 2);
    let (c, err) = code(&url, dir, &["demo"]);
    assert_eq!(c, 1, "demo refuses a non-empty registry: {err}");
    db.cleanup().await.expect("cleanup");
}

#[tokio::test]
async fn registry_cli_flow_sqlite() {
    flow(Backend::Sqlite).await
}

#[tokio::test]
async fn registry_cli_flow_postgres() {
    flow(Backend::Postgres).await
}

#[test]
fn demo_fills_the_default_database_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_jcstar"))
            .args(args)
            .current_dir(tmp.path())
            .env_remove("JCSTAR_DATABASE")
            .output()
            .expect("run jcstar")
    };
    let out = run(&["demo", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["labels"].as_array().map(Vec::len), Some(8));
    assert!(tmp.path().join("jcstar-data/registry.sqlite").is_file());
    let out = run(&[
        "registry",
        "search",
        "--status",
        "under_surveillance",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(run(&["demo"]).status.code(), Some(1));
}
