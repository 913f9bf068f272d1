//! `jcstar checklist` through the built binary: exit codes, messages, and
//! that no command ever changes its input.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jcstar_checklist::{Checklist, Evidence, Outcome, TestResultRef};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example() -> PathBuf {
    repo().join("examples/star1-checklist.toml")
}

fn jcstar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args(args)
        .env_remove("JCSTAR_LANG")
        .env("NO_COLOR", "1")
        .output()
        .expect("run jcstar")
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch folder, removed on drop, holding a copy of the example's
/// evidence so variants of the example resolve their files.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "jcstar-cli-checklist-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("evidence")).unwrap();
        for e in std::fs::read_dir(repo().join("examples/evidence")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.join("evidence").join(e.file_name())).unwrap();
        }
        Scratch(dir)
    }

    fn write(&self, name: &str, c: &Checklist) -> PathBuf {
        let p = self.0.join(name);
        c.write_path(&p, None).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn load_example() -> Checklist {
    Checklist::from_path(&example()).unwrap()
}

/// Runs `validate` on `file` and checks the exit code, that the report
/// mentions `needles`, and that the file is unchanged.
fn expect_validate(file: &Path, code: i32, needles: &[&str]) -> Output {
    let before = std::fs::read(file).unwrap();
    let out = jcstar(&["--lang", "en", "checklist", "validate", arg(file)]);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = format!("{}{}", stdout(&out), stderr(&out));
    for n in needles {
        assert!(text.contains(n), "`{n}` not in:\n{text}");
    }
    assert_eq!(
        std::fs::read(file).unwrap(),
        before,
        "validate changed its input"
    );
    out
}

#[test]
fn example_validates_with_exit_0() {
    let out = expect_validate(&example(), 0, &["Supports a ★1 application", "16/16"]);
    assert!(
        !stdout(&out).contains('\u{1b}'),
        "colour codes with NO_COLOR"
    );
    let ja = jcstar(&["checklist", "validate", arg(&example())]);
    assert_eq!(ja.status.code(), Some(0));
    assert!(stdout(&ja).contains("★1の申請に使えます"));
    for id in ["S1.1-01", "S1.1-16"] {
        assert!(stdout(&ja).contains(id));
    }
}

#[test]
fn json_report() {
    let out = jcstar(&["checklist", "validate", "--json", arg(&example())]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["supports-application"], true);
    assert_eq!(v["counts"]["answered"], 16);
    assert!(v["problems"].as_array().unwrap().is_empty());

    let broken = repo().join("crates/checklist/tests/data/broken.toml");
    let out = jcstar(&["checklist", "validate", "--json", arg(&broken)]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["supports-application"], false);
    let problems = v["problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p["code"] == "unknown-criterion"
        && p["criterion"] == "S1.1-4"
        && p["severity"] == "blocking"
        && p["hint"]["en"].as_str().unwrap().contains("S1.1-04")));
}

#[test]
fn malformed_files_exit_2_with_line_and_column() {
    let data = repo().join("crates/checklist/tests/data");
    let out = expect_validate(&data.join("malformed.toml"), 2, &["malformed.toml:11:"]);
    assert!(stdout(&out).is_empty());
    expect_validate(&data.join("malformed.json"), 2, &["malformed.json:6:"]);

    let out = jcstar(&[
        "checklist",
        "validate",
        "--json",
        arg(&data.join("malformed.toml")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["line"], 11);

    let out = jcstar(&["checklist", "validate", "checklist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(".toml, .json, .xlsx"));
}

type Mutation = Box<dyn Fn(&mut Checklist)>;

#[test]
fn each_rule_violation_exits_1_and_names_the_criterion() {
    let dir = Scratch::new("rules");
    let cases: Vec<(&str, Mutation, &[&str])> = vec![
        (
            "wrong-id",
            Box::new(|c| c.answers[3].criterion = "S1.1-4".into()),
            &["S1.1-4", "did you mean `S1.1-04`?"],
        ),
        (
            "duplicate",
            Box::new(|c| {
                let a = c.answers[2].clone();
                c.answers.push(a)
            }),
            &["S1.1-03 is answered twice"],
        ),
        (
            "na-no-reason",
            Box::new(|c| c.answers[7].na_reason = None),
            &["S1.1-08 is not-applicable but gives no reason", "na-reason"],
        ),
        (
            "na-not-allowed",
            Box::new(|c| {
                c.answers[4].result = Outcome::NotApplicable;
                c.answers[4].na_reason = Some("x".into())
            }),
            &["S1.1-05 cannot be answered not-applicable"],
        ),
        (
            "deemed-no-giteki",
            Box::new(|c| c.giteki = None),
            &["S1.1-01 is deemed met but the basic information has no 技適 number"],
        ),
        (
            "missing-evidence",
            Box::new(|c| {
                c.attach_evidence(
                    "S1.1-13",
                    Evidence::DeviceTest(TestResultRef {
                        path: "evidence/gone.json".into(),
                        external: false,
                        ..Default::default()
                    }),
                );
            }),
            &["evidence file `evidence/gone.json` does not exist"],
        ),
    ];
    for (name, mutate, needles) in cases {
        let mut c = load_example();
        mutate(&mut c);
        for ext in ["toml", "json"] {
            let file = dir.write(&format!("{name}.{ext}"), &c);
            let out = expect_validate(&file, 1, needles);
            assert!(stdout(&out).contains("blocking"), "{name}");
        }
    }
}

#[test]
fn init_writes_a_template_and_refuses_to_overwrite() {
    let dir = Scratch::new("init");
    let out_path = dir.0.join("new.toml");
    let out = jcstar(&[
        "checklist",
        "init",
        "--product",
        "テスト機器",
        "-o",
        arg(&out_path),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let c = Checklist::from_path(&out_path).unwrap();
    assert_eq!(c.product.name, "テスト機器");
    assert_eq!(c.answers.len(), 16);
    assert!(c.answers.iter().all(|a| a.result == Outcome::Unanswered));
    expect_validate(&out_path, 1, &["S1.1-01 is not answered yet"]);

    let before = std::fs::read(&out_path).unwrap();
    let again = jcstar(&["checklist", "init", "--product", "別", "-o", arg(&out_path)]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"));
    assert_eq!(std::fs::read(&out_path).unwrap(), before);
    let forced = jcstar(&[
        "checklist",
        "init",
        "--product",
        "別",
        "-o",
        arg(&out_path),
        "--force",
    ]);
    assert_eq!(forced.status.code(), Some(0));
    assert_eq!(Checklist::from_path(&out_path).unwrap().product.name, "別");

    let json = dir.0.join("new.json");
    let out = jcstar(&[
        "checklist",
        "init",
        "--product",
        "x",
        "-o",
        arg(&json),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(&json).unwrap().starts_with('{'));
    let out = jcstar(&[
        "checklist",
        "init",
        "--product",
        "x",
        "-o",
        arg(&dir.0.join("y.toml")),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn export_and_import_round_trip_and_never_overwrite_the_input() {
    let dir = Scratch::new("export");
    let src = dir.write("c.toml", &load_example());
    let xlsx = dir.0.join("c.xlsx");
    let json = dir.0.join("c.json");
    let out = jcstar(&[
        "checklist",
        "export",
        arg(&src),
        "--xlsx",
        arg(&xlsx),
        "--json",
        arg(&json),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let back = dir.0.join("back.toml");
    let out = jcstar(&["checklist", "import", arg(&xlsx), "-o", arg(&back)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(Checklist::from_path(&back).unwrap(), load_example());
    assert_eq!(Checklist::from_path(&json).unwrap(), load_example());
    expect_validate(&xlsx, 0, &["Supports"]);

    // The input, however it is spelt, is never the output, even with --force.
    let before = std::fs::read(&src).unwrap();
    let dotted = dir.0.join(".").join("c.toml");
    for target in [arg(&src), arg(&dotted)] {
        let out = jcstar(&[
            "checklist",
            "export",
            arg(&src),
            "--toml",
            target,
            "--force",
        ]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("is the input file")
                || stderr(&out).contains("入力ファイルと同じ"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(std::fs::read(&src).unwrap(), before);
    let xbefore = std::fs::read(&xlsx).unwrap();
    let out = jcstar(&[
        "checklist",
        "import",
        arg(&xlsx),
        "-o",
        arg(&xlsx),
        "--force",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&xlsx).unwrap(), xbefore);
    // An existing output needs --force.
    let out = jcstar(&["checklist", "import", arg(&xlsx), "-o", arg(&back)]);
    assert_eq!(out.status.code(), Some(2));
    // The extension must match the flag.
    let out = jcstar(&[
        "checklist",
        "export",
        arg(&src),
        "--xlsx",
        arg(&dir.0.join("x.json")),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn importing_a_broken_workbook_names_sheet_column_or_cell() {
    let dir = Scratch::new("import");
    let data = repo().join("crates/checklist/tests/data");
    let cases = [
        (
            "missing-sheet.xlsx",
            "チェックリスト: シート「チェックリスト」がありません",
            "チェックリスト: the workbook has no sheet `チェックリスト`",
        ),
        (
            "missing-column.xlsx",
            "見出し「結果」の列がありません",
            "there is no column `結果`",
        ),
        (
            "bad-result.xlsx",
            "チェックリスト!C6: `はい` は受け付けられません。次から選んでください: 適合 / 対象外(NA) / 不適合 / みなし適合 / 未回答",
            "チェックリスト!C6: `はい` is not accepted; choose one of: 適合 / 対象外(NA) / 不適合 / みなし適合 / 未回答",
        ),
    ];
    for (name, needle, needle_en) in cases {
        let bad = data.join(name);
        let before = std::fs::read(&bad).unwrap();
        let target = dir.0.join("o.toml");
        let out = jcstar(&["checklist", "import", arg(&bad), "-o", arg(&target)]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(stderr(&out).contains(needle), "{name}: {}", stderr(&out));
        assert_eq!(std::fs::read(&bad).unwrap(), before);
        assert!(!target.exists());
        expect_validate(&bad, 2, &[needle_en]);
    }
}

#[test]
fn help_is_available_everywhere() {
    for sub in [
        vec![],
        vec!["init"],
        vec!["validate"],
        vec!["export"],
        vec!["import"],
    ] {
        let mut args = vec!["checklist"];
        args.extend(sub.iter().copied());
        args.push("--help");
        let out = jcstar(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(stdout(&out).contains("使い方:"), "{args:?}");
    }
}

#[test]
fn init_names_each_criterion_and_an_empty_template_counts_nothing_answered() {
    let dir = Scratch::new("init-titles");
    let p = dir.0.join("blank.toml");
    let o = jcstar(&["checklist", "init", "--product", "cam", "-o", arg(&p)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&p).unwrap();
    // Every answer is headed by its criterion's title, both languages.
    for cr in &jcstar_criteria::Catalog::star1().criteria {
        let head = format!(
            "# {} {}\n# {}\n[[answers]]\ncriterion = \"{}\"",
            cr.id, cr.title.ja, cr.title.en, cr.id
        );
        assert!(text.contains(&head), "{head} not in:\n{text}");
    }
    let o = jcstar(&["checklist", "validate", arg(&p), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["counts"]["answered"], 0, "{v}");
    assert_eq!(v["counts"]["unanswered"], 16, "{v}");
    let o = jcstar(&["--lang", "en", "checklist", "validate", arg(&p)]);
    assert!(stdout(&o).contains("(0/16 answered)"), "{}", stdout(&o));
}

#[test]
fn import_reports_as_json() {
    let dir = Scratch::new("import-json");
    let xlsx = dir.0.join("c.xlsx");
    load_example()
        .write_path(&xlsx, Some(jcstar_criteria::Catalog::star1()))
        .unwrap();
    let out = dir.0.join("c.toml");
    let o = jcstar(&["checklist", "import", arg(&xlsx), "-o", arg(&out), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&o)));
    assert_eq!(v["answers"], 16);
    assert_eq!(v["supports-application"], true, "{v}");
    assert_eq!(
        v["checklist"]["product"]["name"],
        load_example().product.name
    );
    assert_eq!(Checklist::from_path(&out).unwrap(), load_example());
}

/// Writes a probe evidence directory (the layout of `jcstar probe -o`).
fn write_evidence(dir: &Path, verdicts: serde_json::Value) {
    use sha2::{Digest, Sha256};
    std::fs::create_dir_all(dir).unwrap();
    let report = serde_json::json!({
        "schema": "jcstar.probe.report/1",
        "target": {"input": "camera.test", "address": "127.0.0.1"},
        "started": "2026-11-16T01:00:00Z",
        "verdicts": verdicts,
    });
    let bytes = serde_json::to_vec_pretty(&report).unwrap();
    std::fs::write(dir.join("report.json"), &bytes).unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));
    let manifest = serde_json::json!({"schema": "jcstar.probe.manifest/1", "files": [
        {"path": "report.json", "sha256": sha, "bytes": bytes.len()}
    ]});
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
    std::fs::write(dir.join("MANIFEST.sha256"), format!("{sha}  report.json\n")).unwrap();
}

#[test]
fn a_checklist_contradicting_its_evidence_is_refused_by_validate_and_registry_apply() {
    let dir = Scratch::new("contradiction");
    let list = dir.write("c.toml", &load_example());
    let ev = dir.0.join("evidence/probe-1");
    write_evidence(
        &ev,
        serde_json::json!([
            {"criterion": "S1.1-04", "verdict": "fail", "reasons": ["admin/admin accepted 50 times"]},
        ]),
    );
    let o = jcstar(&[
        "--lang",
        "en",
        "checklist",
        "attach",
        arg(&list),
        "--evidence",
        arg(&ev),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["contradictions"], 1, "{v}");
    assert_eq!(v["evidence"], "evidence/probe-1/report.json");

    expect_validate(
        &list,
        1,
        &[
            "S1.1-04",
            "evidence/probe-1/report.json",
            "says fail",
            "admin/admin accepted 50 times",
        ],
    );

    // The registry receives only the checklist; the recorded verdict is
    // enough to refuse it.
    let o = Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args([
            "--lang",
            "en",
            "registry",
            "apply",
            "--checklist",
            arg(&list),
            "--org",
            "acme",
        ])
        .current_dir(&dir.0)
        .env_remove("JCSTAR_DATABASE")
        .env("JCSTAR_AS", "Vendor Tester")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("S1.1-04") && err.contains("answer-contradicts-evidence"),
        "{err}"
    );
    assert!(err.contains("admin/admin accepted 50 times"), "{err}");
}

#[test]
fn problems_in_a_workbook_name_the_cell_and_speak_of_its_columns() {
    let dir = Scratch::new("xlsx-cells");
    let mut c = load_example();
    let i = c
        .answers
        .iter()
        .position(|a| a.criterion == "S1.1-08")
        .unwrap();
    c.answers[i].na_reason = None;
    c.contact.email = "psirt-at-example".into();
    let xlsx = dir.0.join("c.xlsx");
    c.write_path(&xlsx, Some(jcstar_criteria::Catalog::star1()))
        .unwrap();
    // Row 1 is the header; answer i sits on row i + 2, NA reasons in column D.
    let cell = format!("チェックリスト!D{}", i + 2);
    let o = jcstar(&["checklist", "validate", arg(&xlsx)]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains(&format!("[S1.1-08 {cell}]")), "{text}");
    assert!(text.contains("「NAであることの理由」列"), "{text}");
    assert!(!text.contains("`na-reason`"), "{text}");
    assert!(text.contains("[基本情報!B9]"), "{text}");

    let o = jcstar(&["checklist", "validate", arg(&xlsx), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "na-reason-missing")
        .unwrap();
    assert_eq!(p["cell"], cell.as_str());
}

#[test]
fn init_writes_the_psti_variant() {
    let dir = Scratch::new("psti");
    let p = dir.0.join("psti.toml");
    let o = jcstar(&[
        "checklist",
        "init",
        "--recognition",
        "uk-psti",
        "--product",
        "cam",
        "-o",
        arg(&p),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The message says what was written: three criteria deemed met, the
    // statement still to give; not "all unanswered".
    let said = stdout(&o);
    assert!(said.contains("S1.1-02, S1.1-05, S1.1-16"), "{said}");
    assert!(said.contains("13 件が未回答"), "{said}");
    assert!(!said.contains("すべて未回答"), "{said}");
    let c = Checklist::from_path(&p).unwrap();
    assert_eq!(c.recognition.as_ref().unwrap().arrangement, "uk-psti");
    for id in ["S1.1-02", "S1.1-05", "S1.1-16"] {
        assert_eq!(c.answer(id).unwrap().result, Outcome::DeemedMet, "{id}");
    }
    let o = jcstar(&["checklist", "validate", arg(&p), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "recognition-statement-missing"),
        "{v}"
    );
    // The workbook carries the claim.
    let x = dir.0.join("psti.xlsx");
    let o = jcstar(&[
        "checklist",
        "init",
        "--recognition",
        "uk-psti",
        "--product",
        "cam",
        "-o",
        arg(&x),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(Checklist::from_path(&x).unwrap().recognition, c.recognition);
    // An unknown arrangement is refused, naming the known ones.
    let o = jcstar(&[
        "--lang",
        "en",
        "checklist",
        "init",
        "--recognition",
        "sg-cls",
        "--product",
        "cam",
        "-o",
        arg(&dir.0.join("x.toml")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("uk-psti"), "{}", stderr(&o));
}

#[test]
fn lang_en_writes_and_reads_the_english_workbook() {
    let dir = Scratch::new("en-xlsx");
    let x = dir.0.join("en.xlsx");
    let o = jcstar(&[
        "--lang",
        "en",
        "checklist",
        "init",
        "--product",
        "cam",
        "-o",
        arg(&x),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bytes = std::fs::read(&x).unwrap();
    assert_eq!(
        jcstar_checklist::xlsx::language_of(&bytes),
        jcstar_criteria::Lang::En
    );
    let o = jcstar(&["--lang", "en", "checklist", "validate", arg(&x)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("Basic information!B"), "{}", stdout(&o));
    // Export of the example in English reads back the same.
    let out = dir.0.join("example-en.xlsx");
    let o = jcstar(&[
        "--lang",
        "en",
        "checklist",
        "export",
        arg(&example()),
        "--xlsx",
        arg(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(Checklist::from_path(&out).unwrap(), load_example());
}
