//! Security information a vendor attaches to a label (SBOM, VEX, updates
//! with the vulnerabilities they fix, end of support) and the registry's
//! watch, on SQLite and PostgreSQL.

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

use std::path::PathBuf;

use common::*;
use jcstar_registry::secinfo::sha256_hex;
use jcstar_registry::*;

jcstar_registry::both!(
    sbom_vex_and_updates,
    documents_are_refused_with_the_field_at_fault,
    nothing_is_attached_to_a_withdrawn_label,
    csaf_advisories_are_checked_and_kept,
    watch_lists_a_label_after_a_new_record_is_imported,
);

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../vulndb/tests/fixtures")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn update(version: &str, on: chrono::NaiveDate, fixes: &[&str]) -> UpdateEntry {
    UpdateEntry {
        version: version.into(),
        released_on: on,
        notes: "<b>fixes</b>".into(),
        fixes: fixes.iter().map(|s| s.to_string()).collect(),
        how_to_apply: "Settings → Update".into(),
    }
}

fn invalid_field(e: Error) -> String {
    match e {
        Error::Invalid { field, .. } => field,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

async fn sbom_vex_and_updates(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let vendor = env.vendor("acme");
    let label = env.issued("acme", Level::Star1).await;
    let n = &label.number;

    let sbom = read("sbom-cyclonedx-1.5.json");
    let l = reg.attach_sbom(&vendor, n, "1.0.0", &sbom).await.unwrap();
    let s = &l.security.sboms[0];
    assert_eq!(s.sha256, sha256_hex(&sbom));
    assert_eq!(
        (s.format.as_str(), s.spec_version.as_str()),
        ("cyclonedx", "1.5")
    );
    assert_eq!(s.components, 6);
    let doc = reg.document(n, &s.sha256).await.unwrap();
    assert_eq!(doc.kind, DocumentKind::Sbom);
    assert_eq!(doc.body.as_bytes(), &sbom[..]);
    // SPDX too; the same bytes twice are kept once, cited twice.
    let spdx = read("sbom-spdx-2.3.json");
    reg.attach_sbom(&env.op, n, "1.0.0", &spdx).await.unwrap();
    let l = reg.attach_sbom(&vendor, n, "1.0.0", &spdx).await.unwrap();
    assert_eq!(l.security.sboms.len(), 3);
    assert_eq!(l.security.sboms[1].format, "spdx");

    let vex = read("vex-openvex.json");
    let l = reg.publish_vex(&vendor, n, &vex).await.unwrap();
    let v = &l.security.vex[0];
    assert_eq!(v.format, "openvex");
    assert_eq!(v.statements[0].vulnerability, "CVE-2023-48795");
    assert_eq!(v.statements[0].status, "not_affected");
    assert_eq!(
        v.statements[0].justification.as_deref(),
        Some("vulnerable_code_not_present")
    );
    assert_eq!(
        reg.document(n, &v.sha256).await.unwrap().kind,
        DocumentKind::Vex
    );
    reg.publish_vex(&vendor, n, &read("vex-cyclonedx.json"))
        .await
        .unwrap();

    env.clock.advance(chrono::Duration::days(3));
    reg.add_update(
        &vendor,
        n,
        update("1.0.1", reg.today(), &["CVE-2021-44228"]),
    )
    .await
    .unwrap();
    reg.set_support_end(&vendor, n, Some(date(2031, 3, 31)))
        .await
        .unwrap();

    let page = reg.product_page(n).await.unwrap();
    let status = &page.vulnerability_status;
    let log4j = status.iter().find(|s| s.id == "CVE-2021-44228").unwrap();
    assert_eq!(log4j.standing, VulnStanding::Fixed);
    assert_eq!(log4j.fixed_in.as_deref(), Some("1.0.1"));
    let dropbear = status.iter().find(|s| s.id == "CVE-2023-48795").unwrap();
    assert_eq!(dropbear.standing, VulnStanding::NotAffected);
    // Newest first.
    assert_eq!(status[0].id, "CVE-2021-44228");
    let kinds: Vec<EventKind> = page.history.iter().map(|h| h.kind).collect();
    assert!(kinds.contains(&EventKind::SbomAttached));
    assert!(kinds.contains(&EventKind::VexPublished));
    // The feed carries the digest, not the document.
    let sbom_event = page
        .history
        .iter()
        .find(|h| h.kind == EventKind::SbomAttached)
        .unwrap();
    assert_eq!(sbom_event.details["sha256"], sha256_hex(&sbom));
    assert!(sbom_event.details.get("document").is_none());

    // Unknown digest: not found; another label's document is not served.
    assert!(matches!(
        reg.document(n, &"0".repeat(64)).await,
        Err(Error::NotFound { .. })
    ));
    let report = reg.verify().await.unwrap();
    assert!(report.ok, "{report:?}");
    let before = reg.state_snapshot().await.unwrap();
    reg.rebuild().await.unwrap();
    assert_eq!(reg.state_snapshot().await.unwrap(), before);
    env.done().await;
}

async fn documents_are_refused_with_the_field_at_fault(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let vendor = env.vendor("acme");
    let label = env.issued("acme", Level::Star1).await;
    let n = &label.number;
    let sbom = read("sbom-cyclonedx-1.5.json");

    let e = reg
        .attach_sbom(&vendor, n, "9.9.9", &sbom)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(e), "firmware_version");
    let e = reg
        .attach_sbom(&vendor, n, "1.0.0", b"{\"hello\": 1}")
        .await
        .unwrap_err();
    assert_eq!(invalid_field(e), "document");
    let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
    let e = reg
        .attach_sbom(&vendor, n, "1.0.0", &big)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(e), "document");
    // Another vendor may not attach to acme's label.
    assert!(matches!(
        reg.attach_sbom(&env.vendor("other"), n, "1.0.0", &sbom)
            .await,
        Err(Error::Denied(_))
    ));

    // not_affected without a justification: refused at that statement.
    let vex = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a",
        "timestamp":"2024-08-01T00:00:00Z","version":1,"statements":[
        {"vulnerability":{"name":"CVE-2023-48795"},
         "products":[{"@id":"pkg:generic/dropbear@2022.83"}],"status":"not_affected"}]}"#;
    let e = reg.publish_vex(&vendor, n, vex).await.unwrap_err();
    assert_eq!(invalid_field(e), "document.statements[0].justification");

    let e = reg
        .add_update(
            &vendor,
            n,
            update("1.0.1", reg.today(), &["CVE-2021-44228", "log4shell"]),
        )
        .await
        .unwrap_err();
    assert_eq!(invalid_field(e), "fixes[1]");

    let l = reg.label(n).await.unwrap();
    assert!(l.security.sboms.is_empty() && l.security.vex.is_empty());
    assert!(l.security.updates.is_empty());
    env.done().await;
}

async fn nothing_is_attached_to_a_withdrawn_label(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let vendor = env.vendor("acme");
    let label = env.issued("acme", Level::Star1).await;
    let n = &label.number;
    reg.withdraw_label(&vendor, n, "discontinued")
        .await
        .unwrap();
    let sbom = read("sbom-cyclonedx-1.5.json");
    for r in [
        reg.attach_sbom(&vendor, n, "1.0.0", &sbom).await,
        reg.attach_sbom(&env.op, n, "1.0.0", &sbom).await,
        reg.publish_vex(&vendor, n, &read("vex-openvex.json")).await,
        reg.add_update(&vendor, n, update("1.0.1", reg.today(), &[]))
            .await,
    ] {
        assert!(matches!(r, Err(Error::Refused { .. })), "{r:?}");
    }
    env.done().await;
}

async fn watch_lists_a_label_after_a_new_record_is_imported(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let vendor = env.vendor("acme");
    let label = env.issued("acme", Level::Star1).await;
    let quiet = env.issued("other", Level::Star1).await;
    let n = &label.number;
    let db = jcstar_vulndb::VulnDb::open(&env.db.url).await.unwrap();
    reg.attach_sbom(&vendor, n, "1.0.0", &read("sbom-cyclonedx-1.5.json"))
        .await
        .unwrap();

    // An empty store: nothing found, the run is still recorded.
    let r = reg.watch(&env.op, &db).await.unwrap();
    assert_eq!((r.run.labels, r.run.sboms, r.run.findings), (2, 1, 0));
    assert!(r.items.is_empty());

    // Log4Shell arrives (OSV record and CISA's KEV entry).
    db.import(&[
        fixture("osv/GHSA-jfh8-c2jp-5v3q.json"),
        fixture("known_exploited_vulnerabilities.json"),
    ])
    .await
    .unwrap();
    env.clock.advance(chrono::Duration::days(1));
    let r = reg.watch(&env.op, &db).await.unwrap();
    let ids: Vec<(&str, &str)> = r
        .items
        .iter()
        .map(|i| (i.number.as_str(), i.finding.vuln_id.as_str()))
        .collect();
    assert_eq!(ids, vec![(n.as_str(), "GHSA-jfh8-c2jp-5v3q")]);
    assert!(r.items[0].finding.known_exploited);
    assert_eq!(r.run.new_findings, 1);
    assert_eq!(r.items[0].finding.found_on, reg.today());

    // The public history says when; the page shows it affected, no fix.
    let page = reg.product_page(n).await.unwrap();
    let found = page
        .history
        .iter()
        .find(|h| h.kind == EventKind::VulnerabilityFound)
        .unwrap();
    assert_eq!(found.details["vuln_id"], "GHSA-jfh8-c2jp-5v3q");
    let st = page
        .vulnerability_status
        .iter()
        .find(|s| s.id == "GHSA-jfh8-c2jp-5v3q")
        .unwrap();
    assert_eq!(st.standing, VulnStanding::AffectedNoFix);

    // Again: still listed, nothing new. The vendor sees its own list only.
    let r = reg.watch(&env.op, &db).await.unwrap();
    assert_eq!((r.run.findings, r.run.new_findings), (1, 0));
    assert_eq!(reg.watch_list(&vendor).await.unwrap().len(), 1);
    assert!(
        reg.watch_list(&env.vendor("other"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        reg.watch(&vendor, &db).await,
        Err(Error::Denied(_))
    ));
    let _ = quiet;

    // A published fix (by its CVE alias) settles it.
    reg.add_update(
        &vendor,
        n,
        update("1.0.1", reg.today(), &["CVE-2021-44228"]),
    )
    .await
    .unwrap();
    assert!(reg.watch_list(&env.op).await.unwrap().is_empty());
    let page = reg.product_page(n).await.unwrap();
    let st = page
        .vulnerability_status
        .iter()
        .find(|s| s.id == "GHSA-jfh8-c2jp-5v3q")
        .unwrap();
    assert_eq!(st.standing, VulnStanding::Fixed);
    assert_eq!(st.fixed_in.as_deref(), Some("1.0.1"));
    let r = reg.watch(&env.op, &db).await.unwrap();
    assert!(r.items.is_empty());

    let runs = reg
        .events_since(FeedScope::All, 0, None, 1000)
        .await
        .unwrap()
        .events
        .iter()
        .filter(|e| e.kind == EventKind::WatchRun)
        .count();
    assert_eq!(runs, 4);
    assert!(reg.verify().await.unwrap().ok);
    db.close().await;
    env.done().await;
}

async fn csaf_advisories_are_checked_and_kept(b: Backend) {
    let env = Env::new(b).await;
    let reg = &env.reg;
    let vendor = env.vendor("acme");
    let label = env.issued("acme", Level::Star1).await;
    let n = &label.number;
    let good = include_bytes!("fixtures/csaf-advisory.json");
    let l = reg.publish_csaf(&vendor, n, good).await.unwrap();
    let a = &l.security.advisories[0];
    assert_eq!(a.tracking_id, "ACME-SA-2026-001");
    assert_eq!(a.category, "csaf_security_advisory");
    assert_eq!(a.cves, vec!["CVE-2021-44228".to_string()]);
    assert_eq!(a.statements[0].status, "fixed");
    let page = reg.product_page(n).await.unwrap();
    let st = page
        .vulnerability_status
        .iter()
        .find(|s| s.id == "CVE-2021-44228")
        .unwrap();
    assert_eq!(st.standing, VulnStanding::Fixed);
    assert_eq!(a.sha256, sha256_hex(good));
    let doc = reg.document(n, &a.sha256).await.unwrap();
    assert_eq!(doc.kind, DocumentKind::Csaf);
    assert_eq!(doc.body.as_bytes(), &good[..]);

    let v: serde_json::Value = serde_json::from_slice(good).unwrap();
    let refused = |mut f: Box<dyn FnMut(&mut serde_json::Value)>| {
        let mut d = v.clone();
        f(&mut d);
        serde_json::to_vec(&d).unwrap()
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            refused(Box::new(|d| {
                d["document"]["category"] = "csaf_whatever".into()
            })),
            "document.document.category",
        ),
        (
            refused(Box::new(|d| {
                d["document"]["tracking"]
                    .as_object_mut()
                    .unwrap()
                    .remove("id");
            })),
            "document.document.tracking.id",
        ),
        (
            refused(Box::new(|d| d["document"]["csaf_version"] = "1.2".into())),
            "document.document.csaf_version",
        ),
        (
            refused(Box::new(|d| {
                d["vulnerabilities"][0]["product_status"]["fixed"][0] = "CAM-9".into()
            })),
            "document.vulnerabilities[0].product_status.fixed[0]",
        ),
        (
            refused(Box::new(|d| {
                d["vulnerabilities"][0]["remediations"][0]["product_ids"][0] = "X".into()
            })),
            "document.vulnerabilities[0].remediations[0].product_ids[0]",
        ),
        (
            refused(Box::new(|d| {
                d["vulnerabilities"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("notes");
            })),
            "document.vulnerabilities[0].notes",
        ),
        (
            refused(Box::new(|d| {
                d.as_object_mut().unwrap().remove("product_tree");
            })),
            "document.product_tree",
        ),
    ];
    for (bytes, field) in cases {
        let e = reg.publish_csaf(&vendor, n, &bytes).await.unwrap_err();
        assert_eq!(invalid_field(e), field);
    }
    assert_eq!(reg.label(n).await.unwrap().security.advisories.len(), 1);
    let h = reg.label_history(n).await.unwrap();
    assert!(h.iter().any(|e| e.kind == EventKind::CsafPublished));
    assert!(reg.verify().await.unwrap().ok);
    env.done().await;
}
