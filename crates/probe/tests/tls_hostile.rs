//! A service that is not TLS, stalls, floods or sends broken TLS must give a
//! report (with a `tls.not_tls` finding or errors), never a hang or a panic.
//! The hostile services are small tokio listeners on loopback.

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
use std::time::{Duration, Instant};

use jcstar_probe::tls::{TlsOptions, TlsVerdict, assess, detect};
use tls_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serve every connection with `behaviour` until the test ends.
async fn serve<F, Fut>(behaviour: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(behaviour(s));
        }
    });
    addr
}

fn short() -> TlsOptions {
    TlsOptions {
        timeout: Duration::from_millis(500),
        budget: Duration::from_secs(4),
        ..TlsOptions::default()
    }
}

#[tokio::test]
async fn ssh_banner_is_reported_as_not_tls() {
    let addr = serve(|mut s| async move {
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n").await;
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
    })
    .await;
    let r = assess(addr, None, &short()).await;
    assert!(!r.speaks_tls);
    assert_eq!(r.verdict, TlsVerdict::NotTested);
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "tls.not_tls")
        .expect("not_tls finding");
    assert!(f.evidence.iter().any(|e| e.contains("SSH-2.0")), "{f:?}");
    assert!(r.accepted_versions().is_empty());
    assert!(!detect(addr, Duration::from_millis(500)).await);
}

#[tokio::test]
async fn silent_service_ends_within_the_budget() {
    let addr = serve(|mut s| async move {
        // Read and never answer.
        let mut buf = [0u8; 4096];
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
    let start = Instant::now();
    let r = assess(addr, None, &short()).await;
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
    assert!(!r.speaks_tls);
    assert!(!r.complete);
    assert!(!r.errors.is_empty());
    assert!(r.findings.iter().any(|f| f.id == "tls.not_tls"));
    let start = Instant::now();
    assert!(!detect(addr, Duration::from_millis(300)).await);
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn endless_handshake_records_are_cut_off() {
    let addr = serve(|mut s| async move {
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf).await;
        // A handshake message that claims 16 MB, sent in full-size records
        // for as long as the client reads.
        let mut first = vec![0x16, 0x03, 0x03, 0x40, 0x00, 0x02, 0xFF, 0xFF, 0xFF];
        first.resize(5 + 0x4000, 0);
        if s.write_all(&first).await.is_err() {
            return;
        }
        let mut rec = vec![0x16, 0x03, 0x03, 0x40, 0x00];
        rec.resize(5 + 0x4000, 0x41);
        while s.write_all(&rec).await.is_ok() {}
    })
    .await;
    let start = Instant::now();
    let r = assess(addr, None, &short()).await;
    assert!(start.elapsed() < Duration::from_secs(6));
    assert!(r.accepted_versions().is_empty());
    assert!(
        r.errors.iter().any(|e| e.contains("512 KiB")),
        "{:?}",
        r.errors
    );
}

#[tokio::test]
async fn truncated_and_lying_server_hellos_do_not_panic() {
    for body in [
        // ServerHello of length 3.
        vec![0x02, 0x00, 0x00, 0x03, 0x03, 0x03, 0x00],
        // ServerHello whose session id overruns it.
        {
            let mut b = vec![0x02, 0x00, 0x00, 0x26, 0x03, 0x03];
            b.extend_from_slice(&[0u8; 32]);
            b.push(0xFF);
            b.push(0x00);
            b
        },
        // A well-formed ServerHello choosing a suite nobody offered.
        {
            let mut b = vec![0x02, 0x00, 0x00, 0x26, 0x03, 0x03];
            b.extend_from_slice(&[7u8; 32]);
            b.extend_from_slice(&[0x00, 0xFF, 0xFE, 0x00]);
            b
        },
    ] {
        let addr = serve(move |mut s| {
            let body = body.clone();
            async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let mut rec = vec![0x16, 0x03, 0x03];
                rec.extend_from_slice(&(body.len() as u16).to_be_bytes());
                rec.extend_from_slice(&body);
                let _ = s.write_all(&rec).await;
            }
        })
        .await;
        let r = assess(addr, None, &short()).await;
        assert!(r.accepted_versions().is_empty(), "{r:?}");
    }
}

#[tokio::test]
async fn closing_service_is_not_tls_and_detect_sees_a_real_server() {
    let addr = serve(|s| async move { drop(s) }).await;
    let r = assess(addr, None, &short()).await;
    assert!(!r.speaks_tls);
    assert!(r.findings.iter().any(|f| f.id == "tls.not_tls"));

    let dir = TempDir::new("detect");
    let (cert, key) = self_signed(&dir, "d", &["-newkey", "rsa:2048"], &["-subj", "/CN=d"]);
    let d = s_server(&cert, &key, &["-tls1_3"]);
    assert!(detect(d.addr, Duration::from_secs(2)).await);
    // Nothing listening: refused, quickly.
    let closed: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    assert!(!detect(closed, Duration::from_secs(2)).await);
    let r = assess(closed, None, &short()).await;
    assert!(!r.speaks_tls && !r.errors.is_empty());
}

/// A small embedded stack: TLS 1.2 only, three suites, and it drops the
/// connection when a ClientHello offers more than 64 suites.
async fn picky_stack(mut s: TcpStream) {
    const SUPPORTED: [u16; 3] = [0xC02F, 0x009C, 0x002F];
    let mut buf = vec![0u8; 8192];
    let mut got = 0;
    // Read the whole ClientHello record.
    loop {
        match s.read(&mut buf[got..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => got += n,
        }
        if got >= 5 && got >= 5 + u16::from_be_bytes([buf[3], buf[4]]) as usize {
            break;
        }
    }
    let hs = &buf[9..got];
    let client_version = u16::from_be_bytes([hs[0], hs[1]]);
    let sid_len = hs[34] as usize;
    let at = 35 + sid_len;
    let n = u16::from_be_bytes([hs[at], hs[at + 1]]) as usize / 2;
    if n > 64 {
        return; // drop without a word
    }
    let offered: Vec<u16> = (0..n)
        .map(|i| u16::from_be_bytes([hs[at + 2 + 2 * i], hs[at + 3 + 2 * i]]))
        .collect();
    let alert = |d: u8| vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, d];
    if client_version != 0x0303 {
        let _ = s.write_all(&alert(70)).await;
        return;
    }
    let Some(&pick) = offered.iter().find(|c| SUPPORTED.contains(c)) else {
        let _ = s.write_all(&alert(40)).await;
        return;
    };
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[9u8; 32]);
    body.push(0);
    body.extend_from_slice(&pick.to_be_bytes());
    body.push(0);
    let mut msg = vec![0x02, 0x00, 0x00, body.len() as u8];
    msg.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x03, 0x00, msg.len() as u8];
    rec.extend_from_slice(&msg);
    let _ = s.write_all(&rec).await;
}

#[tokio::test]
async fn stack_that_chokes_on_large_hellos_is_enumerated_in_chunks() {
    let addr = serve(picky_stack).await;
    let r = assess(addr, None, &short()).await;
    assert!(r.speaks_tls);
    assert_eq!(
        r.accepted_versions(),
        vec![jcstar_probe::tls::TlsVersion::Tls12]
    );
    let t12 = r
        .protocol(jcstar_probe::tls::TlsVersion::Tls12)
        .expect("TLS 1.2");
    let mut codes: Vec<u16> = t12.ciphers.iter().map(|c| c.code).collect();
    codes.sort_unstable();
    assert_eq!(codes, vec![0x002F, 0x009C, 0xC02F]);
    assert!(r.complete, "{:?}", r.errors);
}

#[tokio::test]
async fn ipv6_loopback_is_assessed_like_ipv4() {
    let l = TcpListener::bind("[::1]:0")
        .await
        .expect("bind [::1]: the test host needs IPv6 loopback");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(picky_stack(s));
        }
    });
    assert!(detect(addr, Duration::from_secs(2)).await);
    let r = assess(addr, None, &short()).await;
    assert_eq!(
        r.accepted_versions(),
        vec![jcstar_probe::tls::TlsVersion::Tls12]
    );
    assert_eq!(r.address, addr.to_string());
}
