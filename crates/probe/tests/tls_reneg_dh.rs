//! Secure renegotiation (RFC 5746) is read from a TLS <= 1.2 ServerHello
//! only, since TLS 1.3 has none; finite-field DH groups under 2048 bits
//! (LOGJAM class) raise a finding with their measured size.
//!
//! Simulated stacks on loopback pin down the reading; real servers
//! (lighttpd, `openssl s_server`) are compared with `openssl s_client
//! -tls1_2`, which reports what the server's TLS 1.2 hello signalled, and
//! with sslscan's measured DH size.

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

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use jcstar_probe::tls::{TlsOptions, TlsVerdict, TlsVersion, assess};
use tls_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn short() -> TlsOptions {
    TlsOptions {
        timeout: Duration::from_millis(800),
        budget: Duration::from_secs(6),
        ..TlsOptions::default()
    }
}

fn opts() -> TlsOptions {
    TlsOptions {
        budget: Duration::from_secs(30),
        ..TlsOptions::default()
    }
}

/// What a simulated stack speaks.
#[derive(Clone, Copy)]
struct Stack {
    tls12: bool,
    tls13: bool,
    /// Answer a TLS 1.2 hello with the renegotiation_info extension.
    renegotiation_info: bool,
}

/// What a ClientHello record offers.
struct ClientHello {
    version: u16,
    suites: Vec<u16>,
    extensions: Vec<(u16, Vec<u8>)>,
    session_id: Vec<u8>,
}

fn parse_client_hello(rec: &[u8]) -> ClientHello {
    let hs = &rec[9..];
    let version = u16::from_be_bytes([hs[0], hs[1]]);
    let sid_len = hs[34] as usize;
    let sid = hs[35..35 + sid_len].to_vec();
    let mut at = 35 + sid_len;
    let n = u16::from_be_bytes([hs[at], hs[at + 1]]) as usize;
    let suites = (0..n / 2)
        .map(|i| u16::from_be_bytes([hs[at + 2 + 2 * i], hs[at + 3 + 2 * i]]))
        .collect();
    at += 2 + n;
    at += 1 + hs[at] as usize;
    let mut exts = Vec::new();
    if at + 2 <= hs.len() {
        let end = at + 2 + u16::from_be_bytes([hs[at], hs[at + 1]]) as usize;
        at += 2;
        while at + 4 <= end {
            let kind = u16::from_be_bytes([hs[at], hs[at + 1]]);
            let len = u16::from_be_bytes([hs[at + 2], hs[at + 3]]) as usize;
            exts.push((kind, hs[at + 4..at + 4 + len].to_vec()));
            at += 4 + len;
        }
    }
    ClientHello {
        version,
        suites,
        extensions: exts,
        session_id: sid,
    }
}

fn server_hello(sid: &[u8], suite: u16, exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x5A; 32]);
    body.push(sid.len() as u8);
    body.extend_from_slice(sid);
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0);
    let mut e = Vec::new();
    for (kind, data) in exts {
        e.extend_from_slice(&kind.to_be_bytes());
        e.extend_from_slice(&(data.len() as u16).to_be_bytes());
        e.extend_from_slice(data);
    }
    body.extend_from_slice(&(e.len() as u16).to_be_bytes());
    body.extend_from_slice(&e);
    let mut msg = vec![0x02, 0x00];
    msg.extend_from_slice(&(body.len() as u16).to_be_bytes());
    msg.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x03];
    rec.extend_from_slice(&(msg.len() as u16).to_be_bytes());
    rec.extend_from_slice(&msg);
    rec
}

async fn simulated(mut s: TcpStream, stack: Stack) {
    let mut buf = vec![0u8; 16384];
    let mut got = 0;
    loop {
        match s.read(&mut buf[got..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => got += n,
        }
        if got >= 5 && got >= 5 + u16::from_be_bytes([buf[3], buf[4]]) as usize {
            break;
        }
    }
    let ClientHello {
        version,
        suites,
        extensions: exts,
        session_id: sid,
    } = parse_client_hello(&buf[..got]);
    let alert = |d: u8| vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, d];
    let offers13 = exts
        .iter()
        .any(|(k, d)| *k == 0x002B && d.windows(2).any(|w| w == [0x03, 0x04]));
    let reply = if offers13 && stack.tls13 && suites.contains(&0x1301) {
        let mut share = vec![0x00, 0x1D, 0x00, 0x20];
        share.extend_from_slice(&[0x11; 32]);
        server_hello(&sid, 0x1301, &[(0x002B, vec![0x03, 0x04]), (0x0033, share)])
    } else if !offers13 && version == 0x0303 && stack.tls12 && suites.contains(&0xC02F) {
        let exts = if stack.renegotiation_info {
            vec![(0xFF01, vec![0x00])]
        } else {
            Vec::new()
        };
        server_hello(&[], 0xC02F, &exts)
    } else if suites.contains(&0x1301) || suites.contains(&0xC02F) {
        alert(70)
    } else {
        alert(40)
    };
    let _ = s.write_all(&reply).await;
}

async fn serve(stack: Stack) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(simulated(s, stack));
        }
    });
    addr
}

#[tokio::test]
async fn renegotiation_is_read_from_the_tls12_hello_when_tls13_is_also_accepted() {
    for renegotiation_info in [true, false] {
        let addr = serve(Stack {
            tls12: true,
            tls13: true,
            renegotiation_info,
        })
        .await;
        let r = assess(addr, None, &short()).await;
        assert_eq!(
            r.accepted_versions(),
            vec![TlsVersion::Tls12, TlsVersion::Tls13],
            "{:?}",
            r.errors
        );
        assert_eq!(r.secure_renegotiation, Some(renegotiation_info));
    }
}

#[tokio::test]
async fn renegotiation_is_unknown_when_only_tls13_is_accepted() {
    let addr = serve(Stack {
        tls12: false,
        tls13: true,
        renegotiation_info: true,
    })
    .await;
    let r = assess(addr, None, &short()).await;
    assert_eq!(r.accepted_versions(), vec![TlsVersion::Tls13]);
    assert_eq!(r.secure_renegotiation, None);
}

/// What `openssl s_client -tls1_2` says about the server's TLS 1.2 hello.
fn s_client_tls12_secure_renegotiation(addr: SocketAddr) -> bool {
    let out = Command::new(openssl())
        .args(["s_client", "-tls1_2", "-connect"])
        .arg(addr.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("run openssl s_client");
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("Secure Renegotiation IS supported") {
        true
    } else if text.contains("Secure Renegotiation IS NOT supported") {
        false
    } else {
        panic!("s_client printed no renegotiation line: {text}");
    }
}

#[tokio::test]
async fn lighttpd_with_tls12_and_tls13_supports_secure_renegotiation() {
    let dir = TempDir::new("reneg-lighttpd");
    let (cert, key) = self_signed(
        &dir,
        "web",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        &["-subj", "/CN=router.example"],
    );
    let d = lighttpd_tls(&dir, &cert, &key);
    let r = assess(d.addr, None, &opts()).await;
    assert_eq!(
        r.accepted_versions(),
        vec![TlsVersion::Tls12, TlsVersion::Tls13]
    );
    assert!(s_client_tls12_secure_renegotiation(d.addr));
    assert_eq!(r.secure_renegotiation, Some(true));
}

#[tokio::test]
async fn s_server_tls13_only_has_no_renegotiation_reading() {
    let dir = TempDir::new("reneg-tls13");
    let (cert, key) = self_signed(&dir, "t13", &["-newkey", "rsa:2048"], &["-subj", "/CN=t13"]);
    let d = s_server(&cert, &key, &["-tls1_3"]);
    let r = assess(d.addr, None, &opts()).await;
    assert_eq!(r.accepted_versions(), vec![TlsVersion::Tls13]);
    assert_eq!(r.secure_renegotiation, None);
}

/// DH parameters made by `openssl genpkey` (`dh_rfc5114:1` is the 1024-bit
/// RFC 5114 group, `group:ffdhe2048` the RFC 7919 one): no slow prime search.
fn dh_params(dir: &TempDir, stem: &str, opt: &str) -> std::path::PathBuf {
    let out = dir.path(&format!("{stem}.pem"));
    run(Command::new(openssl())
        .args([
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            opt,
            "-out",
        ])
        .arg(&out));
    out
}

/// sslscan's `dhebits` for every accepted suite, by (version, code point).
fn sslscan_dhe_bits(addr: SocketAddr) -> Vec<(String, u16, u16)> {
    let out = Command::new(sslscan_bin())
        .args(["--no-colour", "--xml=-"])
        .arg(addr.to_string())
        .output()
        .expect("run sslscan");
    let xml = String::from_utf8_lossy(&out.stdout).to_string();
    let doc = roxmltree::Document::parse(&xml).expect("sslscan XML parses");
    doc.descendants()
        .filter(|n| n.has_tag_name("cipher"))
        .filter_map(|n| {
            let bits = n.attribute("dhebits")?.parse().ok()?;
            let id = u16::from_str_radix(n.attribute("id")?.trim_start_matches("0x"), 16).ok()?;
            Some((n.attribute("sslversion")?.to_string(), id, bits))
        })
        .collect()
}

#[tokio::test]
async fn dh_group_of_1024_bits_is_a_finding_with_the_size_sslscan_measures() {
    let dir = TempDir::new("dh1024");
    let (cert, key) = self_signed(&dir, "dh", &["-newkey", "rsa:2048"], &["-subj", "/CN=dh"]);
    let dh = dh_params(&dir, "dh1024", "dh_rfc5114:1");
    let dh = dh.to_str().expect("utf-8 path");
    let d = s_server(
        &cert,
        &key,
        &[
            "-no_tls1_3",
            "-dhparam",
            dh,
            "-cipher",
            "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        ],
    );
    let theirs = sslscan_dhe_bits(d.addr);
    assert_eq!(theirs, vec![("TLSv1.2".to_string(), 0x009E, 1024)]);
    let r = assess(d.addr, None, &opts()).await;
    let t12 = r.protocol(TlsVersion::Tls12).expect("TLS 1.2");
    let dhe = t12
        .ciphers
        .iter()
        .find(|c| c.code == 0x009E)
        .expect("DHE suite accepted");
    assert_eq!(dhe.dh_bits, Some(1024));
    let ecdhe = t12
        .ciphers
        .iter()
        .find(|c| c.code == 0xC02F)
        .expect("ECDHE suite accepted");
    assert_eq!(ecdhe.dh_bits, None);

    let f = r
        .findings
        .iter()
        .find(|f| f.id == "tls.weak_dh_group")
        .expect("weak DH finding");
    assert_eq!(f.verdict, TlsVerdict::Fail);
    assert!(f.text.ja.contains("1024 ビット"), "{}", f.text.ja);
    assert!(f.text.en.contains("1024 bits"), "{}", f.text.en);
    assert_eq!(
        f.evidence,
        vec!["TLSv1.2 DHE-RSA-AES128-GCM-SHA256 (DH 1024)".to_string()]
    );
    assert_eq!(r.verdict, TlsVerdict::Fail);
    let rf = r.report_findings(jcstar_criteria::Lang::Ja, &[]);
    let f = rf
        .iter()
        .find(|f| f.kind == "tls-weak-dh-group")
        .expect("report finding");
    assert_eq!(f.severity, jcstar_probe::Severity::Medium);
    assert!(f.title.contains("1024 ビット"), "{}", f.title);
}

#[tokio::test]
async fn dh_group_of_2048_bits_raises_no_finding() {
    let dir = TempDir::new("dh2048");
    let (cert, key) = self_signed(&dir, "dh", &["-newkey", "rsa:2048"], &["-subj", "/CN=dh"]);
    let dh = dh_params(&dir, "ffdhe2048", "group:ffdhe2048");
    let dh = dh.to_str().expect("utf-8 path");
    let d = s_server(
        &cert,
        &key,
        &[
            "-no_tls1_3",
            "-dhparam",
            dh,
            "-cipher",
            "DHE-RSA-AES128-GCM-SHA256",
        ],
    );
    let r = assess(d.addr, None, &opts()).await;
    let t12 = r.protocol(TlsVersion::Tls12).expect("TLS 1.2");
    assert_eq!(
        t12.ciphers.iter().map(|c| c.dh_bits).collect::<Vec<_>>(),
        vec![Some(2048)]
    );
    assert!(
        !r.findings.iter().any(|f| f.id == "tls.weak_dh_group"),
        "{:?}",
        r.findings
    );
}
