//! The store and matching end to end on real SQLite files and on fresh
//! schemas of the test PostgreSQL server, with fixtures written in the
//! real feed formats.

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

use jcstar_registry::Backend;
use jcstar_registry::testing::TestDb;
use jcstar_vulndb::matcher::{self, Component};
use jcstar_vulndb::sbom::{self, SbomProblem};
use jcstar_vulndb::verdict::{self, Outcome, Rule};
use jcstar_vulndb::vex::{self, VexStatus};
use jcstar_vulndb::{Confirmation, VulnDb};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

async fn open(backend: Backend) -> (TestDb, VulnDb) {
    let t = TestDb::new(backend).await.expect("test database");
    let db = VulnDb::open(&t.url).await.expect("open store");
    (t, db)
}

async fn load_fixtures(db: &VulnDb) -> jcstar_vulndb::ImportReport {
    db.import(&[
        fixture("nvd-cve-2.0-excerpt.json"),
        fixture("known_exploited_vulnerabilities.json"),
        fixture("osv"),
    ])
    .await
    .expect("import")
}

fn vex_docs(names: &[&str]) -> Vec<vex::VexDocument> {
    names
        .iter()
        .map(|n| vex::parse(n, &read(n)).expect("vex"))
        .collect()
}

async fn import_is_idempotent(backend: Backend) {
    let (t, db) = open(backend).await;
    let r = load_fixtures(&db).await;
    assert_eq!((r.added, r.updated, r.kev_added), (8, 0, 2), "{r:?}");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.files.len(), 4);
    let s = db.stats().await.expect("stats");
    assert_eq!(
        (s.nvd, s.osv, s.kev, s.withdrawn, s.imports),
        (6, 2, 2, 0, 1)
    );
    let again = load_fixtures(&db).await;
    assert_eq!(
        (
            again.added,
            again.updated,
            again.unchanged,
            again.kev_unchanged
        ),
        (0, 0, 8, 2)
    );
    let s = db.stats().await.expect("stats");
    assert_eq!((s.nvd, s.osv, s.kev, s.imports), (6, 2, 2, 2));

    let shown = db.show("CVE-2023-48795").await.unwrap().expect("record");
    let c = shown.record.best_cvss().expect("cvss");
    assert_eq!(c.score, Some(5.9));
    assert_eq!(c.vector, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N");
    assert_eq!(shown.related, vec!["DEBIAN-CVE-2023-48795".to_string()]);
    assert!(shown.kev.is_none());
    let log4j = db.show("CVE-2021-44228").await.unwrap().expect("record");
    assert!(log4j.kev.is_some());
    // An OSV id and its score computed from the vector.
    let ghsa = db
        .show("GHSA-jfh8-c2jp-5v3q")
        .await
        .unwrap()
        .expect("record");
    assert_eq!(ghsa.record.best_cvss().and_then(|c| c.score), Some(10.0));
    assert!(ghsa.kev.is_some(), "KEV found through the alias");
    assert!(db.show("CVE-1999-0001").await.unwrap().is_none());
    db.close().await;
    t.cleanup().await.expect("cleanup");
}

async fn banners_match(backend: Backend) {
    let (t, db) = open(backend).await;
    load_fixtures(&db).await;
    let r = matcher::match_banner(&db, "SSH-2.0-dropbear_2022.83", &[])
        .await
        .unwrap();
    assert_eq!(r.components, 1);
    assert_eq!(r.matches.len(), 1);
    let m = &r.matches[0];
    assert_eq!(m.vuln_id, "CVE-2023-48795");
    assert_eq!(m.range, "< 2024.84");
    assert_eq!(m.matched_on, "cpe:dropbear_ssh_project:dropbear_ssh");
    assert_eq!(m.cvss.as_ref().and_then(|c| c.score), Some(5.9));
    assert!(!m.known_exploited);
    assert!(m.needs_confirmation.is_none());
    assert!(m.why().en.contains("2022.83"), "{}", m.why().en);
    assert!(m.record_path.contains("cpeMatch[1]"), "{}", m.record_path);
    let v = verdict::verdict(&r.matches, &Rule::default());
    assert_eq!(v.outcome, Outcome::Review, "5.9 is below 7.0");

    // The vendor's VEX settles it.
    let r = matcher::match_banner(
        &db,
        "SSH-2.0-dropbear_2022.83",
        &vex_docs(&["vex-openvex.json"]),
    )
    .await
    .unwrap();
    let applied = r.matches[0].vex.as_ref().expect("vex applied");
    assert_eq!(applied.status, VexStatus::NotAffected);
    assert_eq!(
        verdict::verdict(&r.matches, &Rule::default()).outcome,
        Outcome::Pass
    );

    for fixed in [
        "SSH-2.0-dropbear_2024.84",
        "SSH-2.0-OpenSSH_9.6p1",
        "SSH-2.0-OpenSSH_9.7",
    ] {
        let r = matcher::match_banner(&db, fixed, &[]).await.unwrap();
        assert!(r.matches.is_empty(), "{fixed}: {:?}", r.matches);
    }
    let r = matcher::match_banner(&db, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", &[])
        .await
        .unwrap();
    assert_eq!(r.matches.len(), 1);
    assert_eq!(
        r.matches[0].needs_confirmation,
        Some(Confirmation::DistributionBanner {
            distro: "Debian-2+deb12u3".into()
        })
    );
    // lighttpd's range ends inclusively at 1.4.63.
    let hit = matcher::match_banner(&db, "Server: lighttpd/1.4.63", &[])
        .await
        .unwrap();
    assert_eq!(hit.matches.len(), 1);
    assert_eq!(hit.matches[0].range, ">= 1.4.46, <= 1.4.63");
    let miss = matcher::match_banner(&db, "Server: lighttpd/1.4.64", &[])
        .await
        .unwrap();
    assert!(miss.matches.is_empty());
    let r = matcher::match_banner(&db, "dnsmasq-2.77", &[])
        .await
        .unwrap();
    assert_eq!(r.matches[0].vuln_id, "CVE-2017-14491");
    assert_eq!(
        verdict::verdict(&r.matches, &Rule::default()).outcome,
        Outcome::Fail
    );
    // No version: reported as skipped, not silently passed.
    let r = matcher::match_banner(&db, "Server: GoAhead-Webs", &[])
        .await
        .unwrap();
    assert_eq!((r.components, r.matches.len(), r.skipped.len()), (1, 0, 1));
    db.close().await;
    t.cleanup().await.expect("cleanup");
}

async fn sboms_match(backend: Backend) {
    let (t, db) = open(backend).await;
    load_fixtures(&db).await;
    let s = sbom::parse("sbom-cyclonedx-1.5.json", &read("sbom-cyclonedx-1.5.json")).unwrap();
    assert_eq!(s.components.len(), 6);
    assert!(s.problems.contains(&SbomProblem::MissingVersion {
        component: "zlib".into(),
        path: "$.components[3]".into()
    }));
    assert!(s.problems.iter().any(
        |p| matches!(p, SbomProblem::AbsurdVersion { component, .. } if component == "weird")
    ));
    assert!(s.problems.iter().any(|p| matches!(p, SbomProblem::DependencyCycle { cycle } if cycle == &["lighttpd", "zlib", "lighttpd"])), "{:?}", s.problems);
    assert!(s.problems.iter().any(|p| matches!(p, SbomProblem::UnknownReference { reference, .. } if reference == "nonexistent")));

    let r = matcher::match_components(&db, &s.components, &[])
        .await
        .unwrap();
    let ids: Vec<(&str, &str)> = r
        .matches
        .iter()
        .map(|m| (m.vuln_id.as_str(), m.component.name.as_str()))
        .collect();
    // KEV first, then by score.
    assert_eq!(
        ids,
        vec![
            ("GHSA-jfh8-c2jp-5v3q", "log4j-core"),
            ("CVE-2022-48174", "busybox"),
            ("CVE-2022-22707", "lighttpd"),
            ("CVE-2023-48795", "dropbear"),
        ],
        "{:#?}",
        r.matches
    );
    let log4j = &r.matches[0];
    assert!(log4j.known_exploited);
    assert_eq!(log4j.range, ">= 2.13.0, < 2.15.0");
    // Debian's package carries the fix (OSV Debian:12 range), but against
    // upstream's range the upstream part matches and needs confirmation.
    let dropbear = &r.matches[3];
    assert_eq!(dropbear.version, "2022.83");
    assert!(matches!(
        dropbear.needs_confirmation,
        Some(Confirmation::DistributionPackage { .. })
    ));
    assert_eq!(
        verdict::verdict(&r.matches, &Rule::default()).outcome,
        Outcome::Fail
    );

    let docs = vex_docs(&["vex-openvex.json", "vex-cyclonedx.json"]);
    let r = matcher::match_components(&db, &s.components, &docs)
        .await
        .unwrap();
    let v = verdict::verdict(&r.matches, &Rule::default());
    let outcome_of = |id: &str| {
        v.reasons
            .iter()
            .find(|x| x.vuln_id == id)
            .map(|x| x.outcome)
    };
    assert_eq!(outcome_of("CVE-2022-48174"), Some(Outcome::Pass));
    assert_eq!(outcome_of("GHSA-jfh8-c2jp-5v3q"), Some(Outcome::Review));
    assert_eq!(outcome_of("CVE-2023-48795"), Some(Outcome::Pass));
    assert_eq!(outcome_of("CVE-2022-22707"), Some(Outcome::Review));
    assert_eq!(v.outcome, Outcome::Review);
    assert!(
        v.reasons
            .iter()
            .all(|r| !r.text.ja.is_empty() && !r.text.en.is_empty())
    );

    let s = sbom::parse("sbom-spdx-2.3.json", &read("sbom-spdx-2.3.json")).unwrap();
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    let r = matcher::match_components(&db, &s.components, &[])
        .await
        .unwrap();
    let mut ids: Vec<(String, String)> = r
        .matches
        .iter()
        .map(|m| (m.vuln_id.clone(), m.matched_on.clone()))
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            ("CVE-2017-14491".into(), "cpe:thekelleys:dnsmasq".into()),
            ("CVE-2023-48795".into(), "cpe:openbsd:openssh".into()),
            ("DEBIAN-CVE-2023-48795".into(), "pkg:debian/openssh".into()),
        ]
    );
    db.close().await;
    t.cleanup().await.expect("cleanup");
}

fn nvd_feed(records: &[serde_json::Value]) -> String {
    serde_json::json!({
        "format": "NVD_CVE", "version": "2.0", "timestamp": "2024-09-01T00:00:00.000",
        "vulnerabilities": records,
    })
    .to_string()
}

fn terrapin(modified: &str, status: &str, end: &str) -> serde_json::Value {
    serde_json::json!({"cve": {
        "id": "CVE-2023-48795", "published": "2023-12-18T16:15:10.897",
        "lastModified": modified, "vulnStatus": status,
        "descriptions": [{"lang": "en", "value": "Terrapin"}],
        "configurations": [{"nodes": [{"operator": "OR", "cpeMatch": [
            {"vulnerable": true, "criteria": "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:*:*:*:*:*:*:*:*", "versionEndExcluding": end}
        ]}]}]
    }})
}

async fn updates_withdrawals_and_bad_input(backend: Backend) {
    let (t, db) = open(backend).await;
    load_fixtures(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    // An older copy does not replace the stored record.
    let old = w(
        "old.json",
        nvd_feed(&[terrapin("2023-12-20T00:00:00.000", "Analyzed", "2099.1")]),
    );
    let r = db.import(&[old]).await.unwrap();
    assert_eq!((r.older_kept, r.updated), (1, 0));

    // A bad record in a newer feed is refused by name; the stored one
    // still matches, and the good record beside it is imported.
    let mut good = terrapin("2024-06-01T00:00:00.000", "Modified", "2024.84");
    good["cve"]["id"] = "CVE-2024-0001".into();
    let bad = w(
        "bad.json",
        nvd_feed(&[terrapin("2024-06-01T00:00:00.000", "Modified", ""), good]),
    );
    let r = db.import(std::slice::from_ref(&bad)).await.unwrap();
    assert_eq!((r.refused, r.added), (1, 1), "{r:?}");
    let p = &r.problems[0];
    assert_eq!(p.record.as_deref(), Some("CVE-2023-48795"));
    assert_eq!(
        p.field,
        "$.vulnerabilities[0].cve.configurations[0].nodes[0].cpeMatch[0].versionEndExcluding"
    );
    assert!(p.to_string().contains("bad.json"), "{p}");
    let m = matcher::match_banner(&db, "SSH-2.0-dropbear_2022.83", &[])
        .await
        .unwrap();
    assert!(m.matches.iter().any(|m| m.vuln_id == "CVE-2023-48795"));

    // Truncated, unknown version, not JSON, not a feed: named, counted,
    // and the other files still go in.
    let full = String::from_utf8(read("nvd-cve-2.0-excerpt.json")).unwrap();
    let cut = w("truncated.json", full[..full.len() / 2].to_string());
    let v3 = w(
        "v3.json",
        full.replace("\"version\": \"2.0\"", "\"version\": \"3.0\""),
    );
    let junk = w("junk.json", "\u{1}\u{2} not json".into());
    let other = w("other.json", "{\"hello\": 1}".into());
    let newer = w(
        "newer.json",
        nvd_feed(&[terrapin("2024-07-01T00:00:00.000", "Modified", "2024.85")]),
    );
    let r = db.import(&[cut, v3, junk, other, newer]).await.unwrap();
    assert_eq!(r.problems.len(), 4, "{:#?}", r.problems);
    assert!(
        r.problems[0].message.contains("ends early"),
        "{}",
        r.problems[0]
    );
    assert_eq!(r.problems[1].field, "$.version");
    assert!(r.problems[1].message.contains("3.0"));
    assert_eq!(r.updated, 1);
    let shown = db.show("CVE-2023-48795").await.unwrap().unwrap();
    assert_eq!(shown.record.modified, "2024-07-01T00:00:00.000Z");

    // Rejected: marked withdrawn, no longer matched, still shown.
    let rej = w(
        "rej.json",
        nvd_feed(&[terrapin("2024-08-01T00:00:00.000", "Rejected", "2024.85")]),
    );
    let r = db.import(std::slice::from_ref(&rej)).await.unwrap();
    assert_eq!(r.withdrawn, 1);
    let r = db.import(&[rej]).await.unwrap();
    assert_eq!((r.withdrawn, r.unchanged), (0, 1));
    let m = matcher::match_banner(&db, "SSH-2.0-dropbear_2022.83", &[])
        .await
        .unwrap();
    assert!(m.matches.iter().all(|m| m.vuln_id != "CVE-2023-48795"));
    let shown = db.show("CVE-2023-48795").await.unwrap().unwrap();
    assert!(shown.record.withdrawn);
    assert_eq!(db.stats().await.unwrap().withdrawn, 1);

    // OSV withdrawn, from a zip, with a GIT range counted.
    let zpath = dir.path().join("osv.zip");
    {
        let f = std::fs::File::create(&zpath).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default();
        let mut ghsa: serde_json::Value =
            serde_json::from_slice(&read("osv/GHSA-jfh8-c2jp-5v3q.json")).unwrap();
        ghsa["modified"] = "2025-01-01T00:00:00Z".into();
        ghsa["withdrawn"] = "2025-01-01T00:00:00Z".into();
        z.start_file("GHSA-jfh8-c2jp-5v3q.json", opts).unwrap();
        std::io::Write::write_all(&mut z, ghsa.to_string().as_bytes()).unwrap();
        let git = serde_json::json!({"id": "OSV-TEST-GIT", "modified": "2025-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "example"},
              "ranges": [{"type": "GIT", "repo": "https://example.org/r.git", "events": [{"introduced": "0"}, {"fixed": "abc"}]},
                         {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}]}]});
        z.start_file("sub/OSV-TEST-GIT.json", opts).unwrap();
        std::io::Write::write_all(&mut z, git.to_string().as_bytes()).unwrap();
        z.finish().unwrap();
    }
    let r = db.import(&[zpath]).await.unwrap();
    assert_eq!(
        (r.withdrawn, r.added, r.git_ranges_ignored),
        (1, 1, 1),
        "{r:?}"
    );
    assert_eq!(r.files.len(), 2);
    db.close().await;
    t.cleanup().await.expect("cleanup");
}

async fn interrupted_import_changes_nothing(backend: Backend) {
    let (t, db) = open(backend).await;
    load_fixtures(&db).await;
    let before = db.stats().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let many: Vec<serde_json::Value> = (0..20_000)
        .map(|i| {
            let mut r = terrapin("2024-06-01T00:00:00.000", "Analyzed", "2024.84");
            r["cve"]["id"] = format!("CVE-2030-{i:05}").into();
            r
        })
        .collect();
    let p = dir.path().join("big.json");
    std::fs::write(&p, nvd_feed(&many)).unwrap();
    // Dropping the import future mid-way (as Ctrl-C does) rolls back.
    let res = tokio::time::timeout(std::time::Duration::from_millis(300), db.import(&[p])).await;
    assert!(res.is_err(), "the import should still have been running");
    let after = db.stats().await.unwrap();
    assert_eq!((after.nvd, after.imports), (before.nvd, before.imports));
    db.close().await;
    t.cleanup().await.expect("cleanup");
}

jcstar_registry::both!(
    import_is_idempotent,
    banners_match,
    sboms_match,
    updates_withdrawals_and_bad_input,
    interrupted_import_changes_nothing,
);

#[test]
fn vex_documents_are_checked() {
    let e = vex::parse(
        "v.json",
        br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-2023-48795"},"products":[{"@id":"pkg:deb/debian/dropbear"}],"status":"not_affected"}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "$.statements[0].justification");
    let e = vex::parse(
        "v.json",
        br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"X"},"products":[{"@id":"pkg:deb/debian/dropbear"}],"status":"not_affected","justification":"trust_me"}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "$.statements[0].justification");
    let e = vex::parse(
        "v.json",
        br#"{"bomFormat":"CycloneDX","specVersion":"1.5","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"not_affected"},"affects":[{"ref":"x"}]}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "$.vulnerabilities[0].analysis.justification");
    let e = vex::parse(
        "v.json",
        br#"{"bomFormat":"CycloneDX","specVersion":"1.5","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"fine"},"affects":[{"ref":"x"}]}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "$.vulnerabilities[0].analysis.state");
    assert!(
        e.to_string()
            .starts_with("v.json: field $.vulnerabilities[0].analysis.state")
    );
    let e = vex::parse("v.json", b"{\"a\":").unwrap_err();
    assert_eq!(e.path, "$");
}

#[test]
fn sbom_errors_are_named() {
    let e = sbom::parse(
        "s.json",
        br#"{"bomFormat":"CycloneDX","specVersion":"1.2"}"#,
    )
    .unwrap_err();
    assert!(
        matches!(e, sbom::SbomError::UnsupportedVersion { ref path, .. } if path == "$.specVersion")
    );
    let e = sbom::parse("s.json", br#"{"spdxVersion":"SPDX-2.1"}"#).unwrap_err();
    assert!(matches!(e, sbom::SbomError::UnsupportedVersion { .. }));
    assert!(matches!(
        sbom::parse("s.json", b"[1,2").unwrap_err(),
        sbom::SbomError::Json { .. }
    ));
    assert!(matches!(
        sbom::parse("s.json", b"{}").unwrap_err(),
        sbom::SbomError::UnknownFormat { .. }
    ));
    // Deep nesting is cut, not followed into a stack overflow.
    let mut c = serde_json::json!({"name": "leaf", "version": "1.0"});
    for i in 0..50 {
        c = serde_json::json!({"name": format!("n{i}"), "version": "1.0", "components": [c]});
    }
    let doc =
        serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [c]});
    let s = sbom::parse("s.json", doc.to_string().as_bytes()).unwrap();
    assert!(
        s.problems
            .iter()
            .any(|p| matches!(p, SbomProblem::TooDeep { .. }))
    );
    // Deeper still is refused by the JSON reader's own limit, by name.
    let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    assert!(matches!(
        sbom::parse("s.json", deep.as_bytes()).unwrap_err(),
        sbom::SbomError::Json { .. }
    ));
    // A long dependency chain with a cycle at its end.
    let deps: Vec<serde_json::Value> = (0..5000)
        .map(|i| serde_json::json!({"ref": format!("c{i}"), "dependsOn": [format!("c{}", (i + 1) % 5000)]}))
        .collect();
    let comps: Vec<serde_json::Value> = (0..5000)
        .map(|i| serde_json::json!({"bom-ref": format!("c{i}"), "name": format!("c{i}"), "version": "1.0"}))
        .collect();
    let doc = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.4", "components": comps, "dependencies": deps});
    let s = sbom::parse("s.json", doc.to_string().as_bytes()).unwrap();
    let cycles: Vec<_> = s
        .problems
        .iter()
        .filter_map(|p| match p {
            SbomProblem::DependencyCycle { cycle } => Some(cycle.len()),
            _ => None,
        })
        .collect();
    assert_eq!(cycles, vec![5001]);
}

#[test]
fn verdict_rule_is_configurable() {
    let r = Rule::from_toml("fail_at_cvss = 5.0\nunconfirmed_fails = true\n").unwrap();
    assert_eq!(r.fail_at_cvss, Some(5.0));
    assert!(r.fail_on_known_exploited);
    assert!(Rule::from_toml("fail_at_cvss = 11.0").is_err());
    assert!(Rule::from_toml("fail_at = 1.0").is_err());
    let comp = Component {
        name: "dropbear".into(),
        version: Some("2022.83".into()),
        cpe: vec![("dropbear_ssh_project".into(), "dropbear_ssh".into())],
        purl: None,
        origin: jcstar_vulndb::Origin::Banner {
            banner: "SSH-2.0-dropbear_2022.83".into(),
            distro: None,
        },
    };
    let m = jcstar_vulndb::Match {
        vuln_id: "CVE-2023-48795".into(),
        source: jcstar_vulndb::Source::Nvd,
        aliases: vec![],
        summary: String::new(),
        component: comp,
        matched_on: "cpe:dropbear_ssh_project:dropbear_ssh".into(),
        version: "2022.83".into(),
        scheme: jcstar_vulndb::Scheme::Generic,
        range: "< 2024.84".into(),
        record_path: "$".into(),
        criteria: None,
        requires: vec![],
        cvss: Some(jcstar_vulndb::Cvss {
            version: "3.1".into(),
            score: Some(5.9),
            vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N".into(),
            kind: None,
        }),
        known_exploited: false,
        kev: None,
        needs_confirmation: None,
        vex: None,
    };
    assert_eq!(
        verdict::verdict(std::slice::from_ref(&m), &Rule::default()).outcome,
        Outcome::Review
    );
    assert_eq!(
        verdict::verdict(std::slice::from_ref(&m), &r).outcome,
        Outcome::Fail
    );
    let mut kev = m.clone();
    kev.known_exploited = true;
    assert_eq!(
        verdict::verdict(&[kev.clone()], &Rule::default()).outcome,
        Outcome::Fail
    );
    kev.needs_confirmation = Some(Confirmation::DistributionBanner {
        distro: "Debian".into(),
    });
    let v = verdict::verdict(&[kev], &Rule::default());
    assert_eq!(v.outcome, Outcome::Review);
    assert!(v.reasons[0].text.ja.contains("確認"));
    assert_eq!(
        verdict::verdict(&[], &Rule::default()).outcome,
        Outcome::Pass
    );
}
