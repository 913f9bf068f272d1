//! S1.1-13② end to end: Debian's real dropbear (2022.83) on 127.0.0.190,
//! the vulndb fixtures imported into a SQLite file, and
//! `jcstar_probe::assess` matching the SSH banner: CVE-2023-48795 is
//! reported with its evidence, the rule decides the verdict, and the
//! vendor's OpenVEX `not_affected` keeps the criterion from failing.

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
use std::sync::Arc;
use std::time::Duration;

use jcstar_criteria::Lang;
use jcstar_probe::assess::{
    self, AssessOutcome, AssessPlan, AssessTarget, BruteAnnouncement, Event, NoTester, Observer,
    ScanPlan,
};
use jcstar_probe::vulns::{VULNS_JSON, VulnPlan};
use jcstar_probe::{Progress, Verdict, evidence};
use jcstar_testbed::daemons::Dropbear;

const IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 190);

struct Quiet;

impl Observer for Quiet {
    fn event(&mut self, _e: Event<'_>) {}
    fn confirm_brute_force(
        &mut self,
        _a: &BruteAnnouncement,
    ) -> Result<bool, jcstar_probe::assess::Unconfirmed> {
        Ok(false)
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vulndb/tests/fixtures")
        .join(name)
}

async fn store(dir: &Path) -> String {
    let path = dir.join("vulndb.sqlite").display().to_string();
    let db = jcstar_vulndb::VulnDb::open(&path).await.expect("store");
    let r = db
        .import(&[
            fixture("nvd-cve-2.0-excerpt.json"),
            fixture("known_exploited_vulnerabilities.json"),
            fixture("osv"),
        ])
        .await
        .expect("import");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    db.close().await;
    path
}

async fn run(port: u16, vulns: VulnPlan, lang: Lang) -> AssessOutcome {
    let plan = AssessPlan {
        target: AssessTarget::resolve(&IP.to_string()).expect("loopback"),
        scan: Some(ScanPlan {
            tcp: port.to_string(),
            udp: "none".into(),
        }),
        services: Vec::new(),
        credentials: Vec::new(),
        default_attempts: 0,
        login_tasks: None,
        brute: None,
        timeout: Duration::from_secs(3),
        persistence: None,
        lang,
        evidence_dir: "evidence".into(),
        vulns: Some(vulns),
    };
    assess::run::<NoTester>(&plan, None, &mut Quiet, Arc::new(Progress::default()))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn s13(o: &AssessOutcome) -> &jcstar_probe::CriterionVerdict {
    o.report
        .verdicts
        .iter()
        .find(|v| v.criterion == "S1.1-13②")
        .unwrap_or_else(|| panic!("no S1.1-13②: {:#?}", o.report.verdicts))
}

fn vulns_json(o: &AssessOutcome) -> serde_json::Value {
    serde_json::from_slice(o.files.get(VULNS_JSON).expect("vulns.json")).expect("json")
}

#[tokio::test(flavor = "multi_thread")]
async fn old_dropbear_is_reported_and_vex_settles_it() {
    let d = Dropbear::default()
        .start_on(IP)
        .unwrap_or_else(|e| panic!("{e}"));
    let port = d.addr().port();
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = store(tmp.path()).await;

    // The default rule: CVSS 5.9, not known exploited: needs review.
    let o = run(port, VulnPlan::new(db.clone()), Lang::Ja).await;
    let v = s13(&o);
    assert_eq!(v.verdict, Verdict::NeedsReview, "{v:#?}");
    let en = v.reasons_in(Lang::En).join("\n");
    assert!(en.contains("CVE-2023-48795"), "{en}");
    assert!(en.contains(&format!("service {port}/tcp")), "{en}");
    assert!(en.contains("SSH-2.0-dropbear_2022.83"), "{en}");
    assert!(en.contains("5.9 "), "{en}");
    assert!(en.contains("no VEX statement"), "{en}");
    assert!(en.contains("not in CISA KEV"), "{en}");
    let ja = v.reasons_in(Lang::Ja).join("\n");
    assert!(ja.contains("要確認") && ja.contains("VEX なし"), "{ja}");
    let j = vulns_json(&o);
    assert_eq!(j["verdict"], "needs-review");
    let m = &j["matches"][0];
    assert_eq!(m["vuln_id"], "CVE-2023-48795", "{j:#}");
    assert_eq!(m["ports"][0], format!("{port}/tcp"));
    assert_eq!(m["match"]["known_exploited"], false);
    assert_eq!(m["match"]["cvss"]["score"], 5.9);
    assert!(
        m["match"]["cvss"]["vector"]
            .as_str()
            .unwrap()
            .starts_with("CVSS:3.1/")
    );
    assert_eq!(m["match"]["range"], "< 2024.84");
    let f = o
        .report
        .findings
        .iter()
        .find(|f| f.kind == "known-vulnerability")
        .expect("finding");
    assert_eq!(f.evidence, vec![VULNS_JSON.to_string()]);
    let row = o.rows.iter().find(|r| r.id == "S1.1-13").expect("row");
    assert!(row.evidence.contains(&VULNS_JSON.to_string()), "{row:?}");
    assert!(row.tested.iter().any(|t| t.contains("CVE-2023-48795")));
    let md = String::from_utf8(o.files["report.md"].clone()).unwrap();
    assert!(md.contains("CVE-2023-48795") && md.contains("vulns.json"));
    // Written once, listed in the manifest, verified.
    let ev = tmp.path().join("evidence");
    o.write(&ev).expect("write");
    let check = evidence::verify(&ev).expect("verify");
    assert!(check.ok, "{check:?}");
    let manifest = std::fs::read_to_string(ev.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"vulns.json\""));

    // A stricter rule fails it.
    let rule = tmp.path().join("rule.toml");
    std::fs::write(&rule, "fail_at_cvss = 5.0\n").unwrap();
    let plan = VulnPlan::load(db.clone(), &[], &[], Some(&rule)).expect("rule");
    let o = run(port, plan, Lang::En).await;
    assert_eq!(s13(&o).verdict, Verdict::Fail, "{:#?}", s13(&o));

    // The vendor's OpenVEX says not_affected, with a justification: the
    // match is shown with the statement and the criterion does not fail.
    let plan =
        VulnPlan::load(db.clone(), &[], &[fixture("vex-openvex.json")], Some(&rule)).expect("vex");
    let o = run(port, plan, Lang::En).await;
    let v = s13(&o);
    assert_eq!(v.verdict, Verdict::Pass, "{v:#?}");
    let en = v.reasons_in(Lang::En).join("\n");
    assert!(
        en.contains("not_affected, vulnerable_code_not_present"),
        "{en}"
    );
    assert!(en.contains("vex-openvex.json"), "{en}");
    assert!(
        !o.report
            .findings
            .iter()
            .any(|f| f.kind == "known-vulnerability")
    );
    assert_eq!(
        vulns_json(&o)["matches"][0]["match"]["vex"]["status"],
        "not_affected"
    );
    drop(d);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_empty_store_leaves_the_criterion_not_tested() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("none.sqlite").display().to_string();
    // Nothing listens on this port: the check needs no device to say why.
    let o = run(9, VulnPlan::new(missing.clone()), Lang::En).await;
    let v = s13(&o);
    assert_eq!(v.verdict, Verdict::NotTested);
    let en = v.reasons_in(Lang::En).join("\n");
    assert!(
        en.contains(&missing) && en.contains("jcstar vulndb import"),
        "{en}"
    );
    assert!(v.reasons_in(Lang::Ja)[0].contains("取り込み"));
    assert!(!o.files.contains_key(VULNS_JSON));
    assert!(!Path::new(&missing).exists(), "the check created the store");

    let empty = tmp.path().join("empty.sqlite").display().to_string();
    jcstar_vulndb::VulnDb::open(&empty)
        .await
        .expect("create")
        .close()
        .await;
    let o = run(9, VulnPlan::new(empty), Lang::En).await;
    let v = s13(&o);
    assert_eq!(v.verdict, Verdict::NotTested);
    assert!(v.reasons_in(Lang::En)[0].contains("holds no record"));
}

#[test]
fn malformed_vex_and_sbom_are_refused_with_file_and_field() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let vex = tmp.path().join("vendor-vex.json");
    std::fs::write(
        &vex,
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-08-01T00:00:00Z","version":1,
        "statements":[{"vulnerability":{"name":"CVE-2023-48795"},
        "products":[{"@id":"cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2022.83:*:*:*:*:*:*:*"}],
        "status":"not_affected"}]}"#,
    )
    .unwrap();
    let e = VulnPlan::load("x", &[], &[vex], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("vendor-vex.json"), "{e}");
    assert!(e.contains("$.statements[0].justification"), "{e}");

    let sbom = tmp.path().join("device-sbom.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[],"dependencies":[{"dependsOn":[]}]}"#,
    )
    .unwrap();
    let e = VulnPlan::load("x", &[sbom], &[], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("device-sbom.json"), "{e}");
    assert!(e.contains("$.dependencies[0].ref"), "{e}");

    let rule = tmp.path().join("rule.toml");
    std::fs::write(&rule, "fail_at_cvss = 11\n").unwrap();
    let e = VulnPlan::load("x", &[], &[], Some(&rule))
        .unwrap_err()
        .to_string();
    assert!(e.contains("rule.toml") && e.contains("fail_at_cvss"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sbom_components_are_matched_and_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = store(tmp.path()).await;
    // Nothing listens and no SBOM: nothing compared is not a pass.
    let o = run(9, VulnPlan::new(db.clone()), Lang::En).await;
    let v = s13(&o);
    assert_eq!(v.verdict, Verdict::NeedsReview, "{v:#?}");
    assert!(v.reasons_in(Lang::En)[1].contains("nothing could be compared"));
    let plan = VulnPlan::load(db, &[fixture("sbom-cyclonedx-1.5.json")], &[], None).expect("sbom");
    let o = run(9, plan, Lang::En).await;
    let v = s13(&o);
    // BusyBox 1.34.1: CVE-2022-48174, CVSS 9.8.
    assert_eq!(v.verdict, Verdict::Fail, "{v:#?}");
    let en = v.reasons_in(Lang::En).join("\n");
    assert!(en.contains("[fail] CVE-2022-48174"), "{en}");
    assert!(en.contains("sbom-cyclonedx-1.5.json: busybox"), "{en}");
    // Debian's dropbear package against the upstream range: to confirm.
    assert!(
        en.contains("needs confirmation: distribution package"),
        "{en}"
    );
    // No version, an absurd one: named, not silently skipped.
    assert!(en.contains("not compared") && en.contains("zlib"), "{en}");
    let j = vulns_json(&o);
    assert_eq!(j["inputs"][0]["kind"], "sbom");
    assert_eq!(j["inputs"][0]["sha256"].as_str().map(str::len), Some(64));
    let f = o
        .report
        .findings
        .iter()
        .find(|f| f.title.contains("CVE-2022-48174"))
        .expect("finding");
    assert_eq!(f.severity, jcstar_probe::Severity::High);
    assert_eq!(f.port, None);
}
