//! `jcstar criteria` run as a real process.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn jcstar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args(args)
        .env_remove("JCSTAR_LANG")
        .output()
        .expect("run jcstar")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("jcstar-cli-criteria-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn list_json_has_sixteen_criteria() {
    let o = jcstar(&["criteria", "list", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 16);
    assert_eq!(arr[0]["id"], "S1.1-01");
    assert_eq!(arr[15]["id"], "S1.1-16");
    assert_eq!(arr[3]["methods"][1]["kind"], "device-test");
    assert_eq!(arr[3]["methods"][1]["applies"], true);
    assert_eq!(arr[1]["references"][0]["relation"], "related");
}

#[test]
fn list_table_in_both_languages() {
    let ja = jcstar(&["criteria", "list"]);
    assert!(ja.status.success());
    assert!(stdout(&ja).contains("初期パスワードの強度"));
    let en = jcstar(&["--lang", "en", "criteria", "list"]);
    let out = stdout(&en);
    assert!(out.contains("Strength of default passwords"), "{out}");
    let s13 = out.lines().find(|l| l.starts_with("S1.1-13")).unwrap();
    assert!(s13.contains("doc+device"), "{s13}");
    let s14 = out.lines().find(|l| l.starts_with("S1.1-14")).unwrap();
    assert!(s14.contains("T/A"), "{s14}");
}

#[test]
fn show_groups_references_as_related() {
    let o = jcstar(&["--lang", "en", "criteria", "show", "s1.1-02"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("S1.1-02"));
    assert!(out.contains("related: 5.1-2 M C (2)"), "{out}");
    assert!(out.contains("(any one suffices)"), "{out}");
    assert!(out.contains("not a claim of equivalence"), "{out}");

    let o = jcstar(&["criteria", "show", "S1.1-01", "--json"]);
    let v = json(&o);
    assert_eq!(v["deemed-met-by-giteki"], true);
    let groups = v["references-by-scheme"].as_array().unwrap();
    assert_eq!(groups[0]["scheme"], "etsi-en-303-645");
    assert!(groups.iter().all(|g| g["relation"] == "related"));
    let iec = groups
        .iter()
        .find(|g| g["scheme"] == "iec-62443-4-2")
        .unwrap();
    assert_eq!(iec["references"][0]["provision"], "CR1.5");
}

#[test]
fn show_unknown_id_exits_2_with_hints() {
    let o = jcstar(&["--lang", "en", "criteria", "show", "S1.1-3"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("did you mean: S1.1-03"), "{err}");
    assert!(err.contains("S1.1-01 … S1.1-16"), "{err}");
}

#[test]
fn map_finds_related_criteria() {
    let o = jcstar(&[
        "criteria",
        "map",
        "--from",
        "etsi-en-303-645",
        "5.1-2 M",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["relation"], "related");
    let ids: Vec<&str> = v["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["S1.1-02"]);

    let o = jcstar(&[
        "--lang",
        "en",
        "criteria",
        "map",
        "--from",
        "iec-62443-4-2",
        "CR1.5",
    ]);
    let out = stdout(&o);
    assert!(
        out.contains("S1.1-01") && out.contains("S1.1-03") && out.contains("S1.1-11"),
        "{out}"
    );
}

#[test]
fn map_nothing_found_exits_1() {
    let o = jcstar(&[
        "--lang",
        "en",
        "criteria",
        "map",
        "--from",
        "etsi-en-303-645",
        "5.13-1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("no criterion relates"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn map_unknown_scheme_lists_known_ids() {
    let o = jcstar(&["criteria", "map", "--from", "iso-27001", "A.5"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("etsi-en-303-645") && err.contains("jp-specific-use-pp"),
        "{err}"
    );
}

#[test]
fn export_oscal_writes_a_catalog() {
    let dir = temp_dir("export");
    let out = dir.join("star1.json");
    let o = jcstar(&["criteria", "export", "--oscal", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["catalog"]["metadata"]["oscal-version"], "1.1.2");
    let controls: usize = v["catalog"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["controls"].as_array().unwrap().len())
        .sum();
    assert_eq!(controls, 16);
    // Reproducible: a second export is byte-identical.
    let first = std::fs::read(&out).unwrap();
    let o = jcstar(&["criteria", "export", "--oscal", "-o", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert_eq!(first, std::fs::read(&out).unwrap());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn export_refuses_to_overwrite_its_input() {
    let dir = temp_dir("overwrite");
    let cat = dir.join("catalog.toml");
    std::fs::write(&cat, jcstar_criteria::STAR1_TOML).unwrap();
    let p = cat.to_str().unwrap();
    let o = jcstar(&["criteria", "--catalog", p, "export", "--oscal", "-o", p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("読み込んでいるカタログと同じ"),
        "{}",
        stderr(&o)
    );
    // Another spelling of the same file is the same file.
    let other = dir.join(".").join("catalog.toml");
    let o = jcstar(&[
        "--lang",
        "en",
        "criteria",
        "--catalog",
        p,
        "export",
        "--oscal",
        "-o",
        other.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("refusing"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&cat).unwrap(),
        jcstar_criteria::STAR1_TOML
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn catalog_option_uses_and_validates_another_file() {
    let dir = temp_dir("catalog");
    let good = dir.join("good.toml");
    let edited =
        jcstar_criteria::STAR1_TOML.replace("初期パスワードの強度", "初期パスワードの強さ");
    std::fs::write(&good, edited).unwrap();
    let o = jcstar(&["criteria", "list", "--catalog", good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("初期パスワードの強さ"));

    let bad = dir.join("bad.toml");
    let dup = jcstar_criteria::STAR1_TOML.replacen("id = \"S1.1-02\"", "id = \"S1.1-01\"", 1);
    std::fs::write(&bad, dup).unwrap();
    let o = jcstar(&["criteria", "list", "--catalog", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad.toml") && err.contains("criterion S1.1-01") && err.contains("duplicate"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn terms_json() {
    let o = jcstar(&["criteria", "terms", "--json"]);
    assert!(o.status.success());
    let v = json(&o);
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"constrained-device") && ids.contains(&"auth-value"),
        "{ids:?}"
    );
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["list", "show", "map", "export", "terms"] {
        let o = jcstar(&["criteria", sub, "--help"]);
        assert!(o.status.success(), "{sub}");
        assert!(stdout(&o).lines().count() > 3, "{sub}");
    }
}

#[test]
fn recognition_lists_the_psti_arrangement() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args(["criteria", "recognition", "--json"])
        .env_remove("JCSTAR_LANG")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let a = &v["arrangements"][0];
    assert_eq!(a["id"], "uk-psti");
    assert_eq!(
        a["deemed-met"],
        serde_json::json!(["S1.1-02", "S1.1-05", "S1.1-16"])
    );
    assert_eq!(a["fee-jpy"], 140000);
    assert_eq!(a["standard-fee-jpy"], 198000);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args(["--lang", "en", "criteria", "recognition"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("¥140,000") && text.contains("¥198,000"),
        "{text}"
    );
    assert!(text.contains("statement of compliance"), "{text}");
}
