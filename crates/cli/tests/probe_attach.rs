//! `jcstar probe --json -o DIR`, `jcstar probe verify DIR` and
//! `jcstar checklist attach FILE --evidence DIR` through the built binary,
//! with evidence from a real probe run against a testbed device.

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

use jcstar_checklist::{Checklist, Evidence, Outcome};

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let p = std::env::temp_dir().join(format!(
            "jcstar-attach-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn jcstar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args(args)
        .env_remove("JCSTAR_LANG")
        .output()
        .expect("running jcstar")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Probes the testbed camera inside a private network namespace with
/// `--json -o DIR`; returns (stdout, stderr, exit code).
fn probe_camera(work: &Path, evidence: &Path) -> (Vec<u8>, String, i32) {
    let bin = env!("CARGO_BIN_EXE_jcstar");
    let w = work.display();
    let script = format!(
        "ip link set lo up && {bin} testbed run camera --json > {w}/tb.json & TB=$!; \
         for i in $(seq 1 50); do [ -s {w}/tb.json ] && break; sleep 0.1; done; \
         {bin} --lang en probe 127.0.0.1 --tcp all --udp none --json -o {ev} > {w}/stdout 2> {w}/stderr; \
         echo $? > {w}/rc; kill $TB",
        ev = evidence.display()
    );
    let out = Command::new("/usr/bin/unshare")
        .args(["--net", "--", "/bin/sh", "-c", &script])
        .output()
        .expect("unshare (util-linux) is needed");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rc: i32 = std::fs::read_to_string(work.join("rc"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (
        std::fs::read(work.join("stdout")).unwrap(),
        std::fs::read_to_string(work.join("stderr")).unwrap(),
        rc,
    )
}

#[test]
fn probe_json_evidence_verify_and_attach() {
    let dir = Scratch::new("flow");
    let ev = dir.0.join("evidence");
    let (stdout, stderr, rc) = probe_camera(&dir.0, &ev);

    // The camera fails S1.1-01 and S1.1-12: exit 1, and stdout is one JSON
    // document with nothing before or after it.
    assert_eq!(rc, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not only JSON ({e}): {}", text(&stdout)));
    assert_eq!(report["schema"], "jcstar.probe.report/1");
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    // Every finding carries both languages.
    for f in findings {
        assert!(!f["title"].as_str().unwrap().is_empty(), "{f}");
        let ja = f["ja"]["title"].as_str().unwrap_or_default();
        assert!(
            ja.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)
                || ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "no Japanese title: {f}"
        );
    }
    // The report on stdout is the report kept as evidence.
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ev.join("report.json")).unwrap()).unwrap();
    assert_eq!(kept, report);

    let v = jcstar(&["--lang", "en", "probe", "verify", s(&ev), "--json"]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
    let vj: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(vj["ok"], true);

    // A fresh checklist: every answer unanswered.
    let list = dir.0.join("checklist.toml");
    let o = jcstar(&["checklist", "init", "--product", "camera", "-o", s(&list)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let before = Checklist::from_path(&list).unwrap();

    let o = jcstar(&[
        "--lang",
        "en",
        "checklist",
        "attach",
        s(&list),
        "--evidence",
        s(&ev),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["external"], false, "{out}");
    assert_eq!(out["evidence"], "evidence/report.json");
    let rows = out["criteria"].as_array().unwrap();
    let row = |c: &str| {
        rows.iter()
            .find(|r| r["criterion"] == c)
            .unwrap_or_else(|| panic!("{c} missing: {out}"))
    };
    assert_eq!(row("S1.1-12")["verdict"], "fail");
    assert_eq!(row("S1.1-12")["answer"], "unanswered");
    assert_eq!(row("S1.1-01")["verdict"], "fail");
    // Not tested by the probe: shown, never attached.
    assert_eq!(row("S1.1-13②")["verdict"], "not-tested");
    assert!(row("S1.1-13②")["attached"].is_null());

    let after = Checklist::from_path(&list).unwrap();
    for c in ["S1.1-01", "S1.1-12", "S1.1-13"] {
        let a = after.answer(c).unwrap();
        // The answer is the tester's: still unanswered despite the verdicts.
        assert_eq!(a.result, Outcome::Unanswered, "{c}");
        assert_eq!(a.result, before.answer(c).unwrap().result, "{c}");
        assert!(
            format!("{:?}", a.methods).contains("DeviceTest"),
            "{c}: {:?}",
            a.methods
        );
        assert!(
            a.evidence
                .iter()
                .any(|e| matches!(e, Evidence::DeviceTest(t)
                if t.path == "evidence/report.json" && !t.external)),
            "{c}: {:?}",
            a.evidence
        );
    }
    // Criteria the probe does not bear on are untouched.
    assert_eq!(after.answer("S1.1-02"), before.answer("S1.1-02"));

    // Attaching again changes nothing.
    let once = std::fs::read(&list).unwrap();
    let o = jcstar(&["checklist", "attach", s(&list), "--evidence", s(&ev)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(&list).unwrap(), once);

    // Tampering with the report is refused, naming the file, and the
    // checklist is left as it was.
    let report_path = ev.join("report.json");
    let t = std::fs::read_to_string(&report_path).unwrap();
    std::fs::write(&report_path, t.replacen("\"fail\"", "\"pass\"", 1)).unwrap();
    let o = jcstar(&[
        "--lang",
        "en",
        "checklist",
        "attach",
        s(&list),
        "--evidence",
        s(&ev),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("does not match its manifest") && err.contains("report.json"),
        "{err}"
    );
    assert_eq!(std::fs::read(&list).unwrap(), once);

    // So is an extra file dropped into the directory.
    std::fs::write(&report_path, t).unwrap();
    std::fs::write(ev.join("transcripts/extra.txt"), "x").unwrap();
    let o = jcstar(&[
        "--lang",
        "en",
        "checklist",
        "attach",
        s(&list),
        "--evidence",
        s(&ev),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("transcripts/extra.txt"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn attach_without_an_evidence_directory_says_what_is_expected() {
    let dir = Scratch::new("missing");
    let list = dir.0.join("checklist.toml");
    let o = jcstar(&["checklist", "init", "--product", "x", "-o", s(&list)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let before = std::fs::read(&list).unwrap();

    let missing = dir.0.join("no-such-dir");
    let o = jcstar(&[
        "--lang",
        "en",
        "checklist",
        "attach",
        s(&list),
        "--evidence",
        s(&missing),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(s(&missing)) && err.contains("no such directory"),
        "{err}"
    );
    assert!(err.contains("jcstar probe"), "{err}");

    // A directory that is not evidence (no manifest) is refused too.
    let empty = dir.0.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = jcstar(&[
        "--lang",
        "en",
        "checklist",
        "attach",
        s(&list),
        "--evidence",
        s(&empty),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("manifest.json"), "{err}");
    assert_eq!(std::fs::read(&list).unwrap(), before);
}

/// An evidence directory as `jcstar probe -o` writes it, with these
/// verdicts (typed reasons when `typed`, English text only otherwise, as
/// reports written before the typed reasons were).
fn write_evidence(dir: &Path, verdicts: &[jcstar_probe::report::CriterionVerdict], typed: bool) {
    use sha2::{Digest, Sha256};
    let sha = |b: &[u8]| hex::encode(Sha256::digest(b));
    std::fs::create_dir_all(dir).unwrap();
    let mut vs = serde_json::to_value(verdicts).unwrap();
    if !typed {
        for v in vs.as_array_mut().unwrap() {
            v.as_object_mut().unwrap().remove("why");
        }
    }
    let report = serde_json::json!({
        "schema": "jcstar.probe.report/1",
        "jcstar_version": "0.1.0",
        "target": {"input": "camera.test", "address": "127.0.0.1"},
        "started": "2026-11-16T01:00:00Z",
        "finished": "2026-11-16T01:02:00Z",
        "options": {}, "stats": {}, "ports": [], "findings": [],
        "verdicts": vs,
        "extra": {},
    });
    let bytes = serde_json::to_vec_pretty(&report).unwrap();
    std::fs::write(dir.join("report.json"), &bytes).unwrap();
    let manifest = serde_json::json!({
        "schema": "jcstar.probe.manifest/1",
        "files": [{"path": "report.json", "sha256": sha(&bytes), "bytes": bytes.len()}],
    });
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("MANIFEST.sha256"),
        format!("{}  report.json\n", sha(&bytes)),
    )
    .unwrap();
}

#[test]
fn attach_prints_the_reasons_in_the_users_language() {
    use jcstar_probe::Verdict;
    use jcstar_probe::reason::{DefenceKind, Reason};
    use jcstar_probe::report::CriterionVerdict;
    let dir = Scratch::new("lang");
    let verdicts = vec![
        CriterionVerdict::new(
            jcstar_criteria::star1::S1_1_04,
            Verdict::Pass,
            vec![Reason::Lock {
                defence: DefenceKind::Lockout,
                after: 5,
                window_s: 600.0,
                projected_s: 1_200_000.0,
                threshold_s: 86_400.0,
            }],
        ),
        CriterionVerdict::new(
            jcstar_criteria::star1::S1_1_13.item(1),
            Verdict::NeedsReview,
            vec![Reason::NoDeclaredList],
        ),
    ];
    let ev = dir.0.join("ev");
    write_evidence(&ev, &verdicts, true);
    let old = dir.0.join("old");
    write_evidence(&old, &verdicts, false);
    let list = dir.0.join("checklist.toml");
    let o = jcstar(&["checklist", "init", "--product", "x", "-o", s(&list)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));

    // Japanese by default.
    let o = jcstar(&["checklist", "attach", s(&list), "--evidence", s(&ev)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("誤ったパスワード 5 回でロックアウト") && out.contains("13.9 日"),
        "{out}"
    );
    assert!(out.contains("--declared"), "{out}");
    assert!(
        !out.contains("wrong guesses") && !out.contains("must be reviewed"),
        "{out}"
    );

    // English on request, from the same typed reasons.
    let o = jcstar(&[
        "--lang",
        "en",
        "checklist",
        "attach",
        s(&list),
        "--evidence",
        s(&ev),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("lockout after 5 wrong guesses for 10.0 min"),
        "{out}"
    );
    assert!(
        out.contains("whether each open port is needed must be reviewed"),
        "{out}"
    );

    // --json keeps the English text whatever the language.
    let o = jcstar(&[
        "checklist",
        "attach",
        s(&list),
        "--evidence",
        s(&ev),
        "--json",
    ]);
    let out = text(&o.stdout);
    assert!(out.contains("lockout after 5 wrong guesses"), "{out}");

    // A report written before the typed reasons: its English text.
    let o = jcstar(&["checklist", "attach", s(&list), "--evidence", s(&old)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("lockout after 5 wrong guesses"), "{out}");
}
