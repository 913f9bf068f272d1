//! The compact index matching filters on gives the same matches as
//! decoding every candidate record; stores made before the index are
//! migrated when opened, and stores of an unknown schema are refused.

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
use jcstar_vulndb::matcher::{self, Component, Origin};
use jcstar_vulndb::{VulnDb, sbom};
use serde_json::{Value, json};
use sqlx::{AnyPool, AssertSqlSafe, Executor};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

async fn open(backend: Backend) -> (TestDb, VulnDb) {
    let t = TestDb::new(backend).await.expect("test database");
    let db = VulnDb::open(&t.url).await.expect("open store");
    (t, db)
}

async fn load_fixtures(db: &VulnDb) {
    db.import(&[
        fixture("nvd-cve-2.0-excerpt.json"),
        fixture("known_exploited_vulnerabilities.json"),
        fixture("osv"),
    ])
    .await
    .expect("import");
}

fn fixture_components() -> Vec<Component> {
    let mut out = Vec::new();
    for name in ["sbom-cyclonedx-1.5.json", "sbom-spdx-2.3.json"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        out.extend(sbom::parse(name, &bytes).unwrap().components);
    }
    for banner in [
        "SSH-2.0-dropbear_2022.83",
        "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2",
        "SSH-2.0-OpenSSH_8.9",
        "Server: lighttpd/1.4.63",
    ] {
        for id in jcstar_vulndb::identify(banner) {
            out.push(Component::from_banner(&id, banner));
        }
    }
    out
}

/// Both paths, compared as the JSON a user would get.
async fn assert_same(db: &VulnDb, components: &[Component]) -> usize {
    let fast = matcher::match_components(db, components, &[])
        .await
        .unwrap();
    let full = matcher::match_components_exhaustive(db, components, &[])
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&fast).unwrap(),
        serde_json::to_value(&full).unwrap()
    );
    fast.matches.len()
}

/// A small deterministic generator (the data must not change between runs).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

const GENERIC: &[&str] = &[
    "0.9",
    "1.0",
    "1.0.0",
    "1.0.2",
    "1.0.2k",
    "1.0.2l",
    "1.1.1w",
    "2.0",
    "2.0.0-rc1",
    "2.4.1",
    "9.6",
    "9.6p1",
    "9.6p2",
    "10.0",
    "2019.78",
    "2022.83",
    "2024.84",
    "3.0.0.1",
    "1.2a",
    "1.2b",
    "1.10",
    "1.9",
];
const DEBIAN: &[&str] = &[
    "1.0-1",
    "1:1.0-1",
    "1:9.2p1-2",
    "1:9.2p1-2+deb12u2",
    "1:9.2p1-2+deb12u3",
    "2:0.1-1",
    "2022.83-1",
    "2022.83-1+deb12u1",
    "1.0~rc1-1",
    "1.0+dfsg-2",
];
const SEMVER: &[&str] = &[
    "1.0.0",
    "1.0.1",
    "1.2.0-beta.1",
    "1.2.0",
    "2.0.0",
    "2.14.1",
    "2.17.0",
];

fn cpe_match(r: &mut Lcg, vendor: &str, product: &str) -> Value {
    let mut m = json!({"vulnerable": true});
    if r.next(4) == 0 {
        let v = GENERIC[r.next(GENERIC.len())];
        m["criteria"] = format!("cpe:2.3:a:{vendor}:{product}:{v}:*:*:*:*:*:*:*").into();
        return m;
    }
    m["criteria"] = format!("cpe:2.3:a:{vendor}:{product}:*:*:*:*:*:*:*:*").into();
    match r.next(3) {
        0 => m["versionStartIncluding"] = GENERIC[r.next(GENERIC.len())].into(),
        1 => m["versionStartExcluding"] = GENERIC[r.next(GENERIC.len())].into(),
        _ => {}
    }
    match r.next(3) {
        0 => m["versionEndIncluding"] = GENERIC[r.next(GENERIC.len())].into(),
        1 => m["versionEndExcluding"] = GENERIC[r.next(GENERIC.len())].into(),
        _ => {}
    }
    m
}

fn nvd_record(r: &mut Lcg, i: usize) -> Value {
    let mut matches = Vec::new();
    for _ in 0..=r.next(3) {
        let p = r.next(6);
        matches.push(cpe_match(r, &format!("vendor{p}"), &format!("product{p}")));
    }
    json!({"cve": {
        "id": format!("CVE-2031-{i:05}"),
        "sourceIdentifier": "cve@mitre.org",
        "published": "2024-01-01T00:00:00.000",
        "lastModified": "2024-02-01T00:00:00.000",
        "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": format!("generated {i}")}],
        "metrics": {"cvssMetricV31": [{"source": "nvd@nist.gov", "type": "Primary",
            "cvssData": {"version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "baseScore": 9.8, "baseSeverity": "CRITICAL"}}]},
        "configurations": [{"nodes": [{"operator": "OR", "negate": false, "cpeMatch": matches}]}],
        "references": []
    }})
}

fn osv_record(r: &mut Lcg, i: usize) -> Value {
    let (ecosystem, name, pool) = match r.next(3) {
        0 => ("Debian:12", format!("pkg{}", r.next(3)), DEBIAN),
        1 => ("Debian", format!("pkg{}", r.next(3)), DEBIAN),
        _ => ("npm", format!("lib{}", r.next(3)), SEMVER),
    };
    let mut events =
        vec![json!({"introduced": if r.next(2) == 0 { "0" } else { pool[r.next(pool.len())] }})];
    if r.next(3) != 0 {
        events.push(json!({"fixed": pool[r.next(pool.len())]}));
    }
    let mut affected = json!({
        "package": {"ecosystem": ecosystem, "name": name},
        "ranges": [{"type": "ECOSYSTEM", "events": events}]
    });
    if r.next(3) == 0 {
        affected["versions"] = json!([pool[r.next(pool.len())]]);
    }
    json!({
        "schema_version": "1.6.0",
        "id": format!("OSV-GEN-{i:04}"),
        "modified": "2024-02-01T00:00:00Z",
        "aliases": [format!("CVE-2032-{i:05}")],
        "summary": format!("generated {i}"),
        "affected": [affected]
    })
}

fn generated_components(r: &mut Lcg) -> Vec<Component> {
    let mut out = Vec::new();
    let sbom = |i: usize| Origin::Sbom {
        file: "generated.cdx.json".into(),
        bom_ref: format!("c{i}"),
        path: format!("$.components[{i}]"),
    };
    for i in 0..300 {
        let (version, cpe, purl) = match r.next(4) {
            0 | 1 => {
                let p = r.next(6);
                let v = if r.next(20) == 0 {
                    "not a version!".to_string()
                } else {
                    GENERIC[r.next(GENERIC.len())].to_string()
                };
                (v, vec![(format!("vendor{p}"), format!("product{p}"))], None)
            }
            2 => {
                // A Debian package, also named by an upstream CPE.
                let v = DEBIAN[r.next(DEBIAN.len())];
                let p = r.next(3);
                let cpe = if r.next(2) == 0 {
                    vec![(format!("vendor{p}"), format!("product{p}"))]
                } else {
                    vec![]
                };
                let distro = if r.next(2) == 0 {
                    "?distro=debian-12"
                } else {
                    ""
                };
                (
                    v.to_string(),
                    cpe,
                    Some(format!(
                        "pkg:deb/debian/pkg{p}@{}{distro}",
                        v.replace(':', "%3A")
                    )),
                )
            }
            _ => {
                let v = SEMVER[r.next(SEMVER.len())];
                (
                    v.to_string(),
                    vec![],
                    Some(format!("pkg:npm/lib{}@{v}", r.next(3))),
                )
            }
        };
        out.push(Component {
            name: format!("component{i}"),
            version: if r.next(30) == 0 { None } else { Some(version) },
            cpe,
            purl,
            origin: sbom(i),
        });
    }
    out
}

async fn index_gives_the_same_matches(backend: Backend) {
    let (t, db) = open(backend).await;
    load_fixtures(&db).await;
    let n = assert_same(&db, &fixture_components()).await;
    assert!(n >= 4, "{n}");

    let dir = tempfile::tempdir().unwrap();
    let mut r = Lcg(20261208);
    let nvd: Vec<Value> = (0..400).map(|i| nvd_record(&mut r, i)).collect();
    std::fs::write(
        dir.path().join("nvdcve-2.0-gen.json"),
        serde_json::to_vec(&json!({
            "resultsPerPage": nvd.len(), "startIndex": 0, "totalResults": nvd.len(),
            "format": "NVD_CVE", "version": "2.0", "timestamp": "2024-08-01T00:00:00.000",
            "vulnerabilities": nvd
        }))
        .unwrap(),
    )
    .unwrap();
    for i in 0..150 {
        std::fs::write(
            dir.path().join(format!("OSV-GEN-{i:04}.json")),
            serde_json::to_vec(&osv_record(&mut r, i)).unwrap(),
        )
        .unwrap();
    }
    let rep = db.import(&[dir.path().to_path_buf()]).await.unwrap();
    assert_eq!(rep.added, 550, "{:?}", rep.problems);
    let comps = generated_components(&mut r);
    let n = assert_same(&db, &comps).await;
    assert!(n > 100, "{n}");
    let fast = matcher::match_components(&db, &comps, &[]).await.unwrap();
    assert!(!fast.skipped.is_empty());

    // Withdrawn and changed records: the index follows them.
    let mut all = fixture_components();
    all.extend(comps);
    let before = matcher::match_components(&db, &all, &[]).await.unwrap();
    let gone = before
        .matches
        .iter()
        .map(|m| m.vuln_id.clone())
        .find(|i| i.starts_with("CVE-2031-") && i != "CVE-2031-00000")
        .unwrap();
    assert!(before.matches.iter().any(|m| m.vuln_id == "CVE-2031-00000"));
    let mut changed = nvd_record(&mut Lcg(20261208), 0);
    changed["cve"]["lastModified"] = "2024-03-01T00:00:00.000".into();
    changed["cve"]["configurations"] = json!([]);
    let mut withdrawn = nvd_record(&mut Lcg(2), gone[9..].parse().unwrap());
    withdrawn["cve"]["lastModified"] = "2024-03-01T00:00:00.000".into();
    withdrawn["cve"]["vulnStatus"] = "Rejected".into();
    let list = vec![changed, withdrawn];
    std::fs::write(
        dir.path().join("nvdcve-2.0-gen.json"),
        serde_json::to_vec(&json!({
            "resultsPerPage": list.len(), "startIndex": 0, "totalResults": list.len(),
            "format": "NVD_CVE", "version": "2.0", "timestamp": "2024-08-01T00:00:00.000",
            "vulnerabilities": list
        }))
        .unwrap(),
    )
    .unwrap();
    let rep = db
        .import(&[dir.path().join("nvdcve-2.0-gen.json")])
        .await
        .unwrap();
    assert_eq!((rep.updated, rep.withdrawn), (1, 1), "{rep:?}");
    assert_same(&db, &all).await;
    let after = matcher::match_components(&db, &all, &[]).await.unwrap();
    assert!(
        !after
            .matches
            .iter()
            .any(|m| m.vuln_id == "CVE-2031-00000" || m.vuln_id == gone)
    );
    assert!(after.matches.len() < before.matches.len());
    db.close().await;
    t.cleanup().await.expect("cleanup");
}

/// Turn a store back into what the previous schema made: no version, a
/// key table without the compact index.
async fn make_old(url: &str) {
    let pool = AnyPool::connect(url).await.unwrap();
    pool.execute(AssertSqlSafe(
        "DROP TABLE vulndb_meta; \
         CREATE TABLE old_key AS SELECT key, vuln_id FROM vulndb_key; \
         DROP TABLE vulndb_key; \
         CREATE TABLE vulndb_key (key TEXT NOT NULL, vuln_id TEXT NOT NULL, PRIMARY KEY (key, vuln_id)); \
         CREATE INDEX vulndb_key_vuln ON vulndb_key (vuln_id); \
         INSERT INTO vulndb_key (key, vuln_id) SELECT key, vuln_id FROM old_key; \
         DROP TABLE old_key;",
    ))
    .await
    .unwrap();
    pool.close().await;
}

async fn old_stores_are_migrated(backend: Backend) {
    let (t, db) = open(backend).await;
    load_fixtures(&db).await;
    let comps = fixture_components();
    let before = matcher::match_components(&db, &comps, &[]).await.unwrap();
    let stats = db.stats().await.unwrap();
    db.close().await;
    make_old(&t.url).await;

    let db = VulnDb::open(&t.url).await.expect("old store opens");
    let after = matcher::match_components(&db, &comps, &[]).await.unwrap();
    assert_eq!(
        serde_json::to_value(&before).unwrap(),
        serde_json::to_value(&after).unwrap()
    );
    assert_eq!(db.stats().await.unwrap().products, stats.products);
    assert_same(&db, &comps).await;
    // Imports keep working on the migrated store.
    load_fixtures(&db).await;
    db.close().await;

    // A store of a later schema is refused, unchanged.
    let pool = AnyPool::connect(&t.url).await.unwrap();
    pool.execute("UPDATE vulndb_meta SET value = '99' WHERE name = 'schema'")
        .await
        .unwrap();
    pool.close().await;
    let e = match VulnDb::open(&t.url).await {
        Ok(_) => panic!("a store of schema 99 should be refused"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("schema version 99"), "{e}");
    assert!(e.contains("import the feeds again"), "{e}");
    t.cleanup().await.expect("cleanup");
}

jcstar_registry::both!(index_gives_the_same_matches, old_stores_are_migrated,);
