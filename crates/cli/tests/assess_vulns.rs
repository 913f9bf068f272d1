//! `jcstar assess` and S1.1-13② as a tester runs it: the vulndb fixtures
//! imported with `jcstar vulndb import`, Debian's real dropbear (2022.83)
//! on 127.0.0.190, the report in Japanese (default) and English, the
//! vendor's VEX, a stricter rule, and bad SBOM/VEX files refused before
//! the device is touched.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use jcstar_testbed::daemons::Dropbear;

const IP: &str = "127.0.0.190";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vulndb/tests/fixtures")
        .join(name)
}

fn jcstar() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jcstar"));
    c.env_remove("JCSTAR_VULNDB")
        .env_remove("JCSTAR_LANG")
        .stdin(Stdio::null());
    c
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The S1.1-13 row and the lines under it in the terminal output.
fn row13(stdout: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for l in stdout.lines() {
        if l.starts_with("S1.1-") {
            inside = l.starts_with("S1.1-13");
        }
        if inside {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

fn assess(port: u16, db: &str, out: &Path, lang: Option<&str>, extra: &[&Path]) -> Output {
    let mut c = jcstar();
    if let Some(l) = lang {
        c.args(["--lang", l]);
    }
    c.args(["assess", IP, "--udp", "none", "--no-brute-force"])
        .args(["--tcp", &port.to_string(), "--default-attempts", "0"])
        .args(["--vulndb", db])
        .arg("-o")
        .arg(out);
    let mut flag = "";
    for e in extra {
        let s = e.to_str().unwrap();
        if s.starts_with("--") {
            flag = s;
            continue;
        }
        c.arg(flag).arg(e);
    }
    c.output().expect("run jcstar")
}

#[test]
fn assess_reports_cve_2023_48795_on_an_old_dropbear() {
    let d = Dropbear::default()
        .start_on(IP.parse::<Ipv4Addr>().unwrap())
        .unwrap_or_else(|e| panic!("{e}"));
    let port = d.addr().port();
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("vulndb.sqlite").display().to_string();
    let o = jcstar()
        .args(["vulndb", "--vulndb", &db, "import"])
        .arg(fixture("nvd-cve-2.0-excerpt.json"))
        .arg(fixture("known_exploited_vulnerabilities.json"))
        .arg(fixture("osv"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));

    // Japanese by default.
    let ja = tmp.path().join("ja");
    let o = assess(port, &db, &ja, None, &[]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let row = row13(&stdout);
    assert!(row.contains("要確認"), "{}", text(&o));
    assert!(row.contains("S1.1-13② 要確認"), "{row}");
    assert!(
        row.contains("CVE-2023-48795") && row.contains("VEX なし"),
        "{row}"
    );
    assert!(row.contains(&format!("{port}/tcp のサービス")), "{row}");
    let html = std::fs::read_to_string(ja.join("report.html")).unwrap();
    assert!(html.contains("CVE-2023-48795") && html.contains("vulns.json"));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ja.join("report.json")).unwrap()).unwrap();
    let v = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["criterion"] == "S1.1-13②")
        .expect("S1.1-13②");
    assert_eq!(v["verdict"], "needs-review", "{v:#}");
    let vulns: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ja.join("vulns.json")).unwrap()).unwrap();
    assert_eq!(vulns["matches"][0]["vuln_id"], "CVE-2023-48795");
    let o = jcstar()
        .args(["--lang", "en", "probe", "verify"])
        .arg(&ja)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));

    // English, with a rule that fails CVSS 5.0 and up.
    let rule = tmp.path().join("rule.toml");
    std::fs::write(&rule, "fail_at_cvss = 5.0\n").unwrap();
    let en = tmp.path().join("en");
    // The checklist answers S1.1-13 "conforms": assess --checklist records
    // the evidence, and validate finds the contradiction as for S1.1-04.
    let cl = tmp.path().join("checklist.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/star1-checklist.toml"),
        &cl,
    )
    .unwrap();
    let o = assess(
        port,
        &db,
        &en,
        Some("en"),
        &[
            Path::new("--vuln-rule"),
            &rule,
            Path::new("--checklist"),
            &cl,
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let row = row13(&String::from_utf8_lossy(&o.stdout));
    assert!(row.starts_with("S1.1-13  fail"), "{row}");
    assert!(row.contains("[fail] CVE-2023-48795"), "{row}");
    assert!(row.contains("CVSS base score >= 5.0 fails"), "{row}");
    let md = std::fs::read_to_string(en.join("report.md")).unwrap();
    assert!(md.contains("CVE-2023-48795") && md.contains("FAIL"));
    let o = jcstar()
        .args(["--lang", "en", "checklist", "validate"])
        .arg(&cl)
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("S1.1-13 is answered conforms") && l.contains("(S1.1-13②)"))
        .unwrap_or_else(|| panic!("no S1.1-13 contradiction in\n{out}"));
    assert!(
        line.starts_with("  blocking") && line.contains("says fail"),
        "{line}"
    );
    assert!(line.contains("CVE-2023-48795"), "{line}");

    // The vendor's VEX: not affected, with a justification.
    let vex = tmp.path().join("vex");
    let o = assess(
        port,
        &db,
        &vex,
        Some("en"),
        &[
            Path::new("--vuln-rule"),
            &rule,
            Path::new("--vex"),
            &fixture("vex-openvex.json"),
        ],
    );
    let row = row13(&String::from_utf8_lossy(&o.stdout));
    assert!(
        !row.starts_with("S1.1-13  fail") && !row.contains("FAIL"),
        "{}",
        text(&o)
    );
    assert!(row.contains("S1.1-13② pass"), "{row}");
    assert!(
        row.contains("VEX: not_affected, vulnerable_code_not_present"),
        "{row}"
    );

    // probe gives the same verdict from the same options.
    let pr = tmp.path().join("probe");
    let o = jcstar()
        .args(["--lang", "en", "probe", IP, "--udp", "none"])
        .args(["--tcp", &port.to_string(), "--vulndb", &db, "--vex"])
        .arg(fixture("vex-openvex.json"))
        .arg("-o")
        .arg(&pr)
        .output()
        .unwrap();
    let out = text(&o);
    assert!(out.contains("S1.1-13② pass"), "{out}");
    assert!(out.contains("[pass] CVE-2023-48795"), "{out}");
    assert!(pr.join("vulns.json").is_file());
    let o = jcstar()
        .args(["--lang", "en", "probe", "verify"])
        .arg(&pr)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    drop(d);
}

#[test]
fn bad_vex_and_sbom_are_refused_before_the_device_is_touched() {
    let tmp = tempfile::tempdir().unwrap();
    let vex = tmp.path().join("vendor-vex.json");
    std::fs::write(
        &vex,
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-08-01T00:00:00Z","version":1,
        "statements":[{"vulnerability":{"name":"CVE-2023-48795"},"products":[{"@id":"pkg:deb/debian/dropbear@2022.83"}],"status":"not_affected"}]}"#,
    )
    .unwrap();
    let sbom = tmp.path().join("device-sbom.json");
    std::fs::write(&sbom, r#"{"bomFormat":"CycloneDX","specVersion":"2.0"}"#).unwrap();
    for (flag, file, field) in [
        ("--vex", &vex, "$.statements[0].justification"),
        ("--sbom", &sbom, "$.specVersion"),
    ] {
        let out = tmp.path().join(flag.trim_start_matches('-'));
        // Port 9 on this address has no listener; the run must stop before the scan.
        let o = assess(9, "none.sqlite", &out, Some("en"), &[Path::new(flag), file]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(file.file_name().unwrap().to_str().unwrap()),
            "{err}"
        );
        assert!(err.contains(field), "{err}");
        assert!(!out.exists(), "evidence written for a refused input");
    }
}
