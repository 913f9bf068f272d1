//! `jcstar verify-list` through the built binary against `jcstar serve` on a
//! demo registry with signing keys: Japanese output by default, rows named
//! as in the file, the saved report verifies with `jcstar verify-signature`
//! and fails after a one-byte change.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

fn jcstar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args(args)
        .env_remove("JCSTAR_LANG")
        .env_remove("JCSTAR_KEYS")
        .env_remove("JCSTAR_REGISTRY")
        .env("NO_COLOR", "1")
        .output()
        .expect("run jcstar")
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn verify_list_prints_saves_and_signs() {
    let tmp = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", arg(&tmp.path().join("r.sqlite")));
    let keys = tmp.path().join("keys");
    let out = jcstar(&["demo", "--database", &db]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = jcstar(&["registry", "keys", "create", "--keys", arg(&keys)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut child = Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args([
            "serve",
            "--json",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
            "--keys",
            arg(&keys),
        ])
        .env_remove("JCSTAR_LANG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let stdout = child.stdout.take().expect("stdout");
    let _serve = Serve(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let started: serde_json::Value = serde_json::from_str(&line).expect("serve prints JSON");
    let url = started["base_url"].as_str().expect("base_url").to_string();

    // The demo registry has SR-AX3000 (active) and KC-IN2 (withdrawn).
    let list = tmp.path().join("list.csv");
    std::fs::write(
        &list,
        "\u{feff}製品,型番\nルータ,ｓｒ－ａｘ３０００\n\nカメラ,KC IN2\n,JCS1-2026-999999-3\n",
    )
    .unwrap();
    let report = tmp.path().join("report.csv");
    let out = jcstar(&[
        "verify-list",
        arg(&list),
        "--registry",
        &url,
        "--out",
        arg(&report),
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("行 2\tｓｒ－ａｘ３０００\tラベルあり\tJCS1-"),
        "{t}"
    );
    assert!(t.contains("行 4\tKC IN2\tラベルあり"), "{t}");
    assert!(t.contains("取下げ"), "{t}");
    assert!(
        t.contains("行 5\tJCS1-2026-999999-3\t発行されていない番号"),
        "{t}"
    );
    let csv = std::fs::read(&report).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let sig = tmp.path().join("report.csv.jws");
    let out = jcstar(&[
        "verify-signature",
        arg(&report),
        "--signature",
        arg(&sig),
        "--keys",
        arg(&keys.join("keys.json")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut bytes = csv.clone();
    let i = bytes.len() / 2;
    bytes[i] ^= 1;
    std::fs::write(&report, &bytes).unwrap();
    let out = jcstar(&[
        "verify-signature",
        arg(&report),
        "--signature",
        arg(&sig),
        "--keys",
        arg(&keys.join("keys.json")),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // An .xlsx name saves the workbook, signed over its exact bytes.
    let book = tmp.path().join("report.xlsx");
    let out = jcstar(&[
        "verify-list",
        arg(&list),
        "--registry",
        &url,
        "--out",
        arg(&book),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(std::fs::read(&book).unwrap().starts_with(b"PK"));
    let out = jcstar(&[
        "verify-signature",
        arg(&book),
        "--signature",
        arg(&tmp.path().join("report.xlsx.jws")),
        "--keys",
        arg(&keys.join("keys.json")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // English and JSON on request.
    let out = jcstar(&[
        "--lang",
        "en",
        "verify-list",
        arg(&list),
        "--registry",
        &url,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"][0]["row"], 2);
    assert_eq!(v["rows"][2]["outcome"], "not_issued");

    // A registry that cannot be used is said so, in Japanese by default.
    let out = jcstar(&[
        "verify-list",
        arg(&list),
        "--registry",
        "https://registry.example",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("http:// のURLだけ"), "{}", text(&out));

    // An unreadable list names the row.
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, b"ok\n\xff\xfe\n").unwrap();
    let out = jcstar(&["verify-list", arg(&bad), "--registry", &url]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("2行目"), "{}", text(&out));
}
