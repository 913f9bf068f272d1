//! `jcstar vulndb` end to end: import the fixtures into a SQLite file and a
//! fresh PostgreSQL schema, look records up, match banners and SBOMs with
//! VEX, and kill an import half-way.

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
use std::time::{Duration, Instant};

use jcstar_registry::Backend;
use jcstar_registry::testing::TestDb;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vulndb/tests/fixtures")
}

fn jcstar(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args(["vulndb", "--vulndb", db])
        .args(args)
        .env_remove("JCSTAR_VULNDB")
        .env_remove("JCSTAR_LANG")
        .output()
        .expect("run jcstar")
}

fn json(db: &str, args: &[&str], code: i32) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = jcstar(db, &all);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn text(db: &str, args: &[&str]) -> (i32, String, String) {
    let out = jcstar(db, args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn flow(backend: Backend) {
    let t = TestDb::new(backend).await.expect("test database");
    let db = t.url.as_str();
    let f = fixtures();
    let p = |n: &str| f.join(n).display().to_string();
    let r = json(
        db,
        &[
            "import",
            &p("nvd-cve-2.0-excerpt.json"),
            &p("known_exploited_vulnerabilities.json"),
            &p("osv"),
        ],
        0,
    );
    assert_eq!(r["added"], 8);
    assert_eq!(r["kev_added"], 2);
    let r = json(db, &["import", &p("osv")], 0);
    assert_eq!(r["unchanged"], 2);
    let s = json(db, &["stats"], 0);
    assert_eq!(
        (s["nvd"].as_i64(), s["osv"].as_i64(), s["kev"].as_i64()),
        (Some(6), Some(2), Some(2))
    );

    let (code, out, _) = text(db, &["show", "CVE-2021-44228"]);
    assert_eq!(code, 0);
    assert!(out.contains("悪用確認済み (CISA KEV)"), "{out}");
    let (code, out, _) = text(db, &["show", "CVE-2021-44228", "--lang", "en"]);
    assert_eq!(code, 0);
    assert!(out.contains("known exploited (CISA KEV)"), "{out}");
    assert!(
        out.contains("cpe apache:log4j: >= 2.13.0, < 2.15.0"),
        "{out}"
    );
    let shown = json(db, &["show", "CVE-2023-48795"], 0);
    assert_eq!(shown["record"]["cvss"][0]["score"], 5.9);
    let (code, _, err) = text(db, &["show", "CVE-1999-0001"]);
    assert_eq!(code, 1);
    assert!(err.contains("CVE-1999-0001"), "{err}");

    // Banner: below the threshold, so review (exit 0); with the vendor's
    // VEX it passes.
    let m = json(db, &["match", "--banner", "SSH-2.0-dropbear_2022.83"], 0);
    assert_eq!(m["report"]["matches"][0]["vuln_id"], "CVE-2023-48795");
    assert_eq!(m["verdict"]["outcome"], "review");
    let m = json(
        db,
        &[
            "match",
            "--banner",
            "SSH-2.0-dropbear_2022.83",
            "--vex",
            &p("vex-openvex.json"),
        ],
        0,
    );
    assert_eq!(m["verdict"]["outcome"], "pass");
    assert_eq!(m["report"]["matches"][0]["vex"]["status"], "not_affected");
    let (code, out, _) = text(db, &["match", "--banner", "dnsmasq-2.77"]);
    assert_eq!(code, 1, "CVSS 9.8 fails: {out}");
    assert!(out.contains("不適合"), "{out}");

    // SBOM: KEV log4j fails; problems are listed by path.
    let m = json(db, &["match", "--sbom", &p("sbom-cyclonedx-1.5.json")], 1);
    assert_eq!(m["verdict"]["outcome"], "fail");
    assert_eq!(m["report"]["matches"][0]["known_exploited"], true);
    assert!(m["sbom_problems"].as_array().is_some_and(|a| a.len() == 4));
    let rule = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        rule.path(),
        "fail_on_known_exploited = false\nfail_at_cvss = 10.0\n",
    )
    .unwrap();
    let m = json(
        db,
        &[
            "match",
            "--sbom",
            &p("sbom-cyclonedx-1.5.json"),
            "--rule",
            &rule.path().display().to_string(),
        ],
        1,
    );
    // Log4Shell's 10.0 still fails; BusyBox's 9.8 is now only for review.
    let outcome_of = |id: &str| {
        m["verdict"]["reasons"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["vuln_id"] == id))
            .map(|r| r["outcome"].clone())
    };
    assert_eq!(outcome_of("GHSA-jfh8-c2jp-5v3q"), Some("fail".into()));
    assert_eq!(outcome_of("CVE-2022-48174"), Some("review".into()));
    let m = json(db, &["match", "--sbom", &p("sbom-spdx-2.3.json")], 1);
    assert_eq!(m["report"]["components"], 4);

    // Invalid VEX: refused with the field's path.
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        bad.path(),
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-2023-48795"},"products":[{"@id":"pkg:deb/debian/dropbear"}],"status":"not_affected"}]}"#,
    )
    .unwrap();
    let (code, _, err) = text(
        db,
        &[
            "match",
            "--banner",
            "SSH-2.0-dropbear_2022.83",
            "--vex",
            &bad.path().display().to_string(),
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("$.statements[0].justification"), "{err}");

    // A truncated feed: named, exit 1, nothing lost.
    let cut = tempfile::NamedTempFile::new().unwrap();
    let full = std::fs::read(f.join("nvd-cve-2.0-excerpt.json")).unwrap();
    std::fs::write(cut.path(), &full[..full.len() / 3]).unwrap();
    let (code, _, err) = text(db, &["import", &cut.path().display().to_string()]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&cut.path().display().to_string()) && err.contains("truncated"),
        "{err}"
    );
    let s = json(db, &["stats"], 0);
    assert_eq!(s["nvd"], 6);
    t.cleanup().await.expect("cleanup");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_sqlite() {
    flow(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_postgres() {
    flow(Backend::Postgres).await
}

/// SIGKILL in the middle of an import leaves the SQLite store as it was.
#[test]
fn killed_import_leaves_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.sqlite").display().to_string();
    let f = fixtures();
    let (code, _, err) = text(
        &db,
        &[
            "import",
            &f.join("nvd-cve-2.0-excerpt.json").display().to_string(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let records: Vec<serde_json::Value> = (0..60_000)
        .map(|i| {
            serde_json::json!({"cve": {"id": format!("CVE-2031-{i:05}"), "lastModified": "2024-01-01T00:00:00.000",
                "configurations": [{"nodes": [{"operator": "OR", "cpeMatch": [
                    {"vulnerable": true, "criteria": format!("cpe:2.3:a:v{i}:p{i}:*:*:*:*:*:*:*:*"), "versionEndExcluding": "1.0"}]}]}]}})
        })
        .collect();
    let big = dir.path().join("big.json");
    std::fs::write(
        &big,
        serde_json::json!({"format": "NVD_CVE", "version": "2.0", "vulnerabilities": records})
            .to_string(),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args([
            "vulndb",
            "--vulndb",
            &db,
            "import",
            &big.display().to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the import has written into the WAL, then kill it.
    let wal = dir.path().join("v.sqlite-wal");
    let start = Instant::now();
    loop {
        let len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if len > 1 << 20 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "import wrote nothing"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "import finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let s = json(&db, &["stats"], 0);
    assert_eq!(s["nvd"], 6);
    assert_eq!(s["imports"], 1);
}
