//! jcstar's TLS assessment must agree with sslscan on the same port:
//! accepted protocol versions, accepted cipher suites (by code point and
//! name), key-exchange groups and certificate facts. Servers are real:
//! Debian's `openssl s_server` and `lighttpd`, on loopback.
//!
//! Debian's OpenSSL 3.0 cannot serve SSL 3.0, RC4 or 3DES at all (not even at
//! `@SECLEVEL=0`), so those are not exercised against a live server here;
//! both tools are checked to agree that SSL 3.0 is refused, and the suite
//! classification of RC4/3DES/EXPORT is covered by the unit tests.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

mod tls_common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jcstar_probe::tls::{Strength, TlsOptions, TlsVerdict, TlsVersion, WeakReason, assess};
use tls_common::*;

fn opts() -> TlsOptions {
    TlsOptions {
        budget: Duration::from_secs(30),
        ..TlsOptions::default()
    }
}

#[tokio::test]
async fn legacy_tls10_server_with_null_and_anonymous_suites_agrees_with_sslscan() {
    let dir = TempDir::new("legacy");
    let (cert, key) = self_signed(
        &dir,
        "old",
        &["-newkey", "rsa:1024", "-sha1"],
        &["-subj", "/CN=old.device"],
    );
    let d = s_server(&cert, &key, &["-tls1", "-cipher", "ALL:eNULL:@SECLEVEL=0"]);
    let scan = sslscan(d.addr);
    let r = assess(d.addr, None, &opts()).await;
    assert_agrees(&r, &scan);

    assert_eq!(r.accepted_versions(), vec![TlsVersion::Tls10]);
    let ids = finding_ids(&r);
    for f in [
        "tls.legacy_version",
        "tls.no_modern_version",
        "tls.weak_cipher",
        "tls.cert_key_too_small",
        "tls.cert_weak_signature",
        "tls.cert_self_signed",
        "tls.cert_name_mismatch",
    ] {
        assert!(ids.contains(f), "missing finding {f}: {ids:?}");
    }
    assert_eq!(r.verdict, TlsVerdict::Fail);
    // In the probe report's shape: NULL/anonymous suites make it high.
    let rf = r.report_findings(jcstar_criteria::Lang::En, &["tls/port.json".to_string()]);
    let weak = rf
        .iter()
        .find(|f| f.kind == "tls-weak-cipher")
        .expect("weak cipher finding");
    assert_eq!(weak.severity, jcstar_probe::Severity::High);
    assert_eq!(weak.port.map(|p| p.port), Some(d.addr.port()));
    assert_eq!(weak.criterion, "S1.1-12");
    let tls10 = r.protocol(TlsVersion::Tls10).expect("TLS 1.0 result");
    assert!(tls10.ciphers.iter().all(|c| c.strength == Strength::Weak));
    assert!(
        tls10
            .ciphers
            .iter()
            .any(|c| c.weaknesses.contains(&WeakReason::NullEncryption))
    );
    assert!(
        tls10
            .ciphers
            .iter()
            .any(|c| c.weaknesses.contains(&WeakReason::Anonymous))
    );
    let c = r.certificate.as_ref().expect("certificate");
    assert_eq!(c.key.bits, Some(1024));
    assert_eq!(c.signature_algorithm, "sha1WithRSAEncryption");
}

#[tokio::test]
async fn wide_open_server_all_versions_agrees_with_sslscan() {
    let dir = TempDir::new("open");
    let (cert, key) = self_signed(
        &dir,
        "open",
        &["-newkey", "rsa:2048"],
        &[
            "-subj",
            "/CN=cam.example",
            "-addext",
            "subjectAltName=DNS:cam.example,IP:127.0.0.1",
        ],
    );
    let d = s_server(&cert, &key, &["-cipher", "ALL:@SECLEVEL=0"]);
    let scan = sslscan(d.addr);
    let r = assess(d.addr, None, &opts()).await;
    assert_agrees(&r, &scan);
    assert_eq!(
        r.accepted_versions(),
        vec![
            TlsVersion::Tls10,
            TlsVersion::Tls11,
            TlsVersion::Tls12,
            TlsVersion::Tls13
        ]
    );
    let c = r.certificate.as_ref().expect("certificate");
    assert!(c.name_matches, "127.0.0.1 is in the SANs");
    let by_name = assess(d.addr, Some("cam.example"), &opts()).await;
    assert!(by_name.certificate.as_ref().is_some_and(|c| c.name_matches));
    let wrong = assess(d.addr, Some("other.example"), &opts()).await;
    assert!(finding_ids(&wrong).contains("tls.cert_name_mismatch"));
    // s_server without -serverpref follows the client's order.
    let t12 = r.protocol(TlsVersion::Tls12).expect("TLS 1.2");
    assert_eq!(t12.server_preference, Some(false));
    // The report round-trips through JSON.
    let json = serde_json::to_string(&r).expect("serialize");
    let back: jcstar_probe::tls::TlsReport = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, r);
}

#[tokio::test]
async fn lighttpd_modern_tls_agrees_with_sslscan() {
    let dir = TempDir::new("lighttpd");
    let (cert, key) = self_signed(
        &dir,
        "web",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        &[
            "-subj",
            "/CN=router.example",
            "-addext",
            "subjectAltName=DNS:router.example",
        ],
    );
    let d = lighttpd_tls(&dir, &cert, &key);
    let scan = sslscan(d.addr);
    let r = assess(d.addr, Some("router.example"), &opts()).await;
    assert_agrees(&r, &scan);
    assert_eq!(
        r.accepted_versions(),
        vec![TlsVersion::Tls12, TlsVersion::Tls13]
    );
    let ids = finding_ids(&r);
    assert!(!ids.contains("tls.legacy_version"), "{ids:?}");
    assert!(!ids.contains("tls.weak_cipher"), "{ids:?}");
    assert!(!ids.contains("tls.cert_name_mismatch"), "{ids:?}");
    // Self-signed is a matter for the document review, not a failure.
    assert!(ids.contains("tls.cert_self_signed"));
    assert_eq!(r.verdict, TlsVerdict::NeedsReview);
    let c = r.certificate.as_ref().expect("certificate");
    assert_eq!(c.key.curve.as_deref(), Some("prime256v1"));
}

#[tokio::test]
async fn tls13_only_server_certificate_comes_from_a_real_handshake() {
    let dir = TempDir::new("tls13");
    let (cert, key) = self_signed(
        &dir,
        "t13",
        &["-newkey", "rsa:2048"],
        &["-subj", "/CN=t13.device"],
    );
    let d = s_server(&cert, &key, &["-tls1_3"]);
    let scan = sslscan(d.addr);
    let r = assess(d.addr, None, &opts()).await;
    assert_agrees(&r, &scan);
    assert_eq!(r.accepted_versions(), vec![TlsVersion::Tls13]);
    assert_eq!(r.certificate_source.as_deref(), Some("TLSv1.3 handshake"));
    assert_eq!(
        r.certificate.as_ref().and_then(|c| c.subject_cn.as_deref()),
        Some("t13.device")
    );
}

#[tokio::test]
async fn expired_certificate_agrees_with_sslscan_and_fails() {
    let dir = TempDir::new("expired");
    let (cert, key) = expired_cert(&dir);
    let d = s_server(&cert, &key, &[]);
    let scan = sslscan(d.addr);
    assert_eq!(
        scan.expired,
        Some(true),
        "sslscan sees the certificate expired"
    );
    let r = assess(d.addr, None, &opts()).await;
    assert_agrees(&r, &scan);
    assert!(finding_ids(&r).contains("tls.cert_expired"));
    assert_eq!(r.verdict, TlsVerdict::Fail);

    // Judged at an injected time inside its validity, the same certificate
    // is fine; before it, it is not yet valid.
    let at = |secs: u64| TlsOptions {
        now: Some(UNIX_EPOCH + Duration::from_secs(secs)),
        enumerate_ciphers: false,
        enumerate_groups: false,
        ..opts()
    };
    let mid2020 = assess(d.addr, None, &at(1_593_561_600)).await;
    let c = mid2020.certificate.as_ref().expect("certificate");
    assert!(!c.expired && !c.not_yet_valid);
    assert!(!finding_ids(&mid2020).contains("tls.cert_expired"));
    let y2019 = assess(d.addr, None, &at(1_546_300_800)).await;
    assert!(finding_ids(&y2019).contains("tls.cert_not_yet_valid"));
    assert!(SystemTime::now() > UNIX_EPOCH + Duration::from_secs(1_609_459_200));
}

#[tokio::test]
async fn server_preference_order_is_reported_in_the_servers_order() {
    let dir = TempDir::new("pref");
    let (cert, key) = self_signed(
        &dir,
        "pref",
        &["-newkey", "rsa:2048"],
        &["-subj", "/CN=pref.device"],
    );
    let d = s_server(
        &cert,
        &key,
        &[
            "-serverpref",
            "-no_tls1_3",
            "-cipher",
            "AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
        ],
    );
    let scan = sslscan(d.addr);
    let r = assess(d.addr, None, &opts()).await;
    assert_agrees(&r, &scan);
    let t12 = r.protocol(TlsVersion::Tls12).expect("TLS 1.2");
    assert_eq!(t12.server_preference, Some(true));
    let order: Vec<u16> = t12.ciphers.iter().map(|c| c.code).collect();
    assert_eq!(order, vec![0x002F, 0xC030, 0xC02F]);
    assert_eq!(scan.preferred.get("TLSv1.2"), order.first());
}
