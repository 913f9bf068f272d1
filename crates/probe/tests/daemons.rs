//! The probe against real Debian daemons on loopback, each test on a
//! loopback address of its own (127.0.0.101 and up).

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

use std::net::Ipv4Addr;
use std::time::Duration;

use common::*;
use jcstar_probe::{Access, PortState, ServiceKind, Transport, Verdict};
use jcstar_testbed::daemons::*;

const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread")]
async fn busybox_httpd_basic_auth_is_plaintext_login() {
    let ip = Ipv4Addr::new(127, 0, 0, 101);
    let d = BusyboxHttpd {
        basic_auth: Some(("admin".into(), "s3cret".into())),
        realm: Some("camera".into()),
    }
    .start_on(ip)
    .unwrap();
    let o = probe(&ip.to_string(), &[d.port()], &[], LIMIT).await;
    let s = service(&o, Transport::Tcp, d.port());
    assert_eq!(s.kind, ServiceKind::Http);
    assert_eq!(s.details.get("auth").map(String::as_str), Some("basic"));
    assert!(s.plaintext_login);
    assert!(has_finding(&o, "http-plaintext-login", d.port()));
    assert_eq!(verdict(&o, "S1.1-12"), Verdict::Fail);
    assert_eq!(verdict(&o, "S1.1-13①"), Verdict::NeedsReview);
    assert_eq!(verdict(&o, "S1.1-13②"), Verdict::NotTested);
}

#[tokio::test(flavor = "multi_thread")]
async fn busybox_httpd_without_auth_needs_review() {
    let ip = Ipv4Addr::new(127, 0, 0, 102);
    let d = BusyboxHttpd::default().start_on(ip).unwrap();
    let o = probe(&ip.to_string(), &[d.port()], &[], LIMIT).await;
    let s = service(&o, Transport::Tcp, d.port());
    assert_eq!(s.kind, ServiceKind::Http);
    assert!(matches!(s.access, Access::Unauthenticated { .. }));
    assert!(has_finding(&o, "http-no-auth", d.port()));
    assert_eq!(verdict(&o, "S1.1-01"), Verdict::NeedsReview);
}

#[tokio::test(flavor = "multi_thread")]
async fn dropbear_is_ssh() {
    let ip = Ipv4Addr::new(127, 0, 0, 103);
    let d = Dropbear::default().start_on(ip).unwrap();
    let o = probe(&ip.to_string(), &[d.port()], &[], LIMIT).await;
    let s = service(&o, Transport::Tcp, d.port());
    assert_eq!(s.kind, ServiceKind::Ssh);
    assert_eq!(s.product.as_deref(), Some("dropbear"));
    assert!(
        s.banner
            .as_deref()
            .unwrap_or("")
            .starts_with("SSH-2.0-dropbear")
    );
    assert!(
        o.report.findings.iter().all(|f| f.criterion != "S1.1-12"),
        "{:?}",
        o.report.findings
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dropbear_without_passwords_offers_publickey_only() {
    let ip = Ipv4Addr::new(127, 0, 0, 104);
    let d = Dropbear {
        no_password: true,
        ..Dropbear::default()
    }
    .start_on(ip)
    .unwrap();
    let o = probe(&ip.to_string(), &[d.port()], &[], LIMIT).await;
    let s = service(&o, Transport::Tcp, d.port());
    assert_eq!(
        s.access,
        Access::Authenticated {
            methods: vec!["publickey".into()]
        }
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mosquitto_anonymous_and_with_password() {
    let ip = Ipv4Addr::new(127, 0, 0, 105);
    let anon = Mosquitto::default().start_on(ip).unwrap();
    let locked = Mosquitto {
        users: vec![("dev".into(), "pw".into())],
    }
    .start_on(ip)
    .unwrap();
    let o = probe(&ip.to_string(), &[anon.port(), locked.port()], &[], LIMIT).await;
    let a = service(&o, Transport::Tcp, anon.port());
    assert_eq!(a.kind, ServiceKind::Mqtt);
    assert!(matches!(a.access, Access::Unauthenticated { .. }));
    assert!(has_finding(&o, "mqtt-anonymous", anon.port()));
    assert!(has_finding(&o, "mqtt-plaintext", anon.port()));
    // Anonymous access lets the probe read $SYS/broker/version, as nmap's
    // mqtt-subscribe does; the CONNACK bytes are no banner.
    assert_eq!(a.product.as_deref(), Some("mosquitto"), "{a:?}");
    let v = a.version.as_deref().unwrap_or_default();
    assert!(v.starts_with("2."), "{a:?}");
    assert_eq!(
        a.details.get("sys_broker_version"),
        Some(&format!("mosquitto version {v}"))
    );
    assert_eq!(a.banner, None);
    let l = service(&o, Transport::Tcp, locked.port());
    assert_eq!(l.kind, ServiceKind::Mqtt);
    assert!(matches!(l.access, Access::Authenticated { .. }));
    // Without access the broker names nothing, and nothing is invented.
    assert_eq!((&l.product, &l.version, &l.banner), (&None, &None, &None));
    assert!(!has_finding(&o, "mqtt-anonymous", locked.port()));
    assert_eq!(verdict(&o, "S1.1-01"), Verdict::Fail);
}

#[tokio::test(flavor = "multi_thread")]
async fn lighttpd_tls_is_https() {
    let ip = Ipv4Addr::new(127, 0, 0, 106);
    let d = LighttpdTls::default().start_on(ip).unwrap();
    let o = probe(&ip.to_string(), &[d.port()], &[], LIMIT).await;
    let s = service(&o, Transport::Tcp, d.port());
    assert_eq!(s.kind, ServiceKind::Https, "{s:?}");
    assert!(
        s.details
            .get("server")
            .is_some_and(|v| v.contains("lighttpd")),
        "{s:?}"
    );
    assert!(!s.plaintext_login);
}

#[tokio::test(flavor = "multi_thread")]
async fn snmpd_public_community_is_found() {
    let ip = Ipv4Addr::new(127, 0, 0, 107);
    let d = Snmpd::default().start_on(ip).unwrap();
    let o = probe(&ip.to_string(), &[], &[d.port()], LIMIT).await;
    let p = port(&o, Transport::Udp, d.port());
    assert_eq!(p.state, PortState::Open);
    let s = p.service.as_ref().unwrap();
    assert_eq!(s.kind, ServiceKind::Snmp);
    assert_eq!(
        s.details.get("communities").map(String::as_str),
        Some("public")
    );
    assert!(
        s.details
            .get("sysdescr")
            .is_some_and(|v| v.contains("jcstar test camera"))
    );
    assert!(has_finding(&o, "snmp-default-community", d.port()));
    assert_eq!(verdict(&o, "S1.1-01"), Verdict::Fail);
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_udp_port_is_closed() {
    let ip = Ipv4Addr::new(127, 0, 0, 108);
    let free = free_udp_port_on(ip).unwrap();
    let o = probe(&ip.to_string(), &[], &[free], LIMIT).await;
    assert_eq!(port(&o, Transport::Udp, free).state, PortState::Closed);
}

#[tokio::test(flavor = "multi_thread")]
async fn telnetd_shows_a_login_prompt_in_plaintext() {
    let ip = Ipv4Addr::new(127, 0, 0, 109);
    let d = Telnetd::default().start_on(ip).unwrap();
    let o = probe(&ip.to_string(), &[d.port()], &[], LIMIT).await;
    let s = service(&o, Transport::Tcp, d.port());
    assert_eq!(s.kind, ServiceKind::Telnet);
    assert_eq!(
        s.details.get("prompt").map(String::as_str),
        Some("login"),
        "{s:?}"
    );
    assert!(has_finding(&o, "telnet-plaintext", d.port()));
    assert!(!has_finding(&o, "unauthenticated-shell", d.port()));
}

#[tokio::test(flavor = "multi_thread")]
async fn lighttpd_tls10_only_fails_protected_transport() {
    let ip = Ipv4Addr::new(127, 0, 0, 110);
    let d = LighttpdTls {
        ssl_conf_cmd: vec![
            ("MinProtocol".into(), "TLSv1".into()),
            ("MaxProtocol".into(), "TLSv1".into()),
            ("CipherString".into(), "DEFAULT@SECLEVEL=0".into()),
        ],
        ..LighttpdTls::default()
    }
    .start_on(ip)
    .unwrap();
    let o = probe(&ip.to_string(), &[d.port()], &[], Duration::from_secs(90)).await;
    let s = service(&o, Transport::Tcp, d.port());
    assert!(s.kind.is_tls(), "{s:?}");
    assert!(
        has_finding(&o, "tls-legacy-version", d.port()),
        "{:#?}",
        o.report.findings
    );
    assert_eq!(verdict(&o, "S1.1-12"), Verdict::Fail);
    assert!(
        o.report
            .extra
            .get("tls")
            .is_some_and(|t| t.get(d.port().to_string()).is_some())
    );
    assert!(
        o.extra_files
            .contains_key(&format!("tls/tcp-{}.json", d.port()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn net_snmp_smux_on_tcp_199_is_identified() {
    let ip = Ipv4Addr::new(127, 0, 0, 111);
    let d = Snmpd {
        smux: true,
        ..Snmpd::default()
    }
    .start_on(ip)
    .unwrap();
    let o = probe(&ip.to_string(), &[SMUX_PORT], &[d.port()], LIMIT).await;
    // net-snmp answers every probe with an SMUX ClosePDU (nmap: `A\x01\x02`).
    let s = service(&o, Transport::Tcp, SMUX_PORT);
    assert_eq!(s.kind, ServiceKind::Smux, "{s:?}");
    assert!(s.details.contains_key("smux_close"), "{s:?}");
    assert!(!has_finding(&o, "unidentified-service", SMUX_PORT));
    assert_eq!(
        service(&o, Transport::Udp, d.port()).kind,
        ServiceKind::Snmp
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_that_ignores_the_version_topic_names_nothing_and_costs_little() {
    use jcstar_probe::identify::{IdentifyConfig, identify};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Accepts any CONNECT, then reads and never answers (no SUBACK).
    let l = tokio::net::TcpListener::bind((Ipv4Addr::new(127, 0, 0, 112), 0))
        .await
        .unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                if matches!(s.read(&mut buf).await, Ok(n) if n > 0 && buf[0] == 0x10) {
                    let _ = s.write_all(&[0x20, 0x02, 0x00, 0x00]).await;
                }
                while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    let start = std::time::Instant::now();
    let id = identify(addr, &IdentifyConfig::default()).await;
    assert_eq!(id.service.kind, ServiceKind::Mqtt);
    assert!(matches!(id.service.access, Access::Unauthenticated { .. }));
    assert_eq!((id.service.product, id.service.version), (None, None));
    assert!(
        start.elapsed() < Duration::from_millis(1400),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn vsftpd_is_ftp_with_a_plaintext_login() {
    let ip = Ipv4Addr::new(127, 0, 0, 179);
    let d = Vsftpd::default().start_on(ip).unwrap();
    let o = probe(&ip.to_string(), &[d.port()], &[], LIMIT).await;
    let s = service(&o, Transport::Tcp, d.port());
    assert_eq!(s.kind, ServiceKind::Ftp, "{s:?}\n{}", d.log());
    assert_eq!(s.product.as_deref(), Some("vsftpd"), "{s:?}");
    assert_eq!(s.version.as_deref(), Some("3.0.3"), "{s:?}");
    assert!(
        matches!(s.access, Access::Authenticated { .. }),
        "{:?}",
        s.access
    );
    assert!(s.plaintext_login, "{s:?}");
}
