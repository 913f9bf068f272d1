//! The probe against simulated devices from the testbed, IPv4 and IPv6.

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

use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::*;
use jcstar_probe::{Access, PortState, ServiceKind, Transport, Verdict};
use jcstar_testbed::{Device, DeviceSpec, Kind};

/// Each test's device listens on a loopback address of its own, so tests
/// running at the same time never reach each other's devices.
fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

fn builtin(name: &str) -> DeviceSpec {
    let all = jcstar_testbed::device::builtin_devices();
    DeviceSpec::parse(all.get(name).unwrap(), name).unwrap()
}

async fn camera_checks(ip: IpAddr, target: &str) {
    let dev = Device::start_on(&builtin("camera.toml"), ip).await.unwrap();
    let o = probe(
        target,
        &dev.tcp_ports(),
        &dev.udp_ports(),
        Duration::from_secs(30),
    )
    .await;
    let http = dev.addr(Kind::Http).unwrap().port();
    let telnet = dev.addr(Kind::Telnet).unwrap().port();
    let rtsp = dev.addr(Kind::Rtsp).unwrap().port();
    let mqtt = dev.addr(Kind::Mqtt).unwrap().port();
    let snmp = dev.addr(Kind::UdpSnmp).unwrap().port();

    let ssdp = dev.addr(Kind::UdpSsdp).unwrap().port();

    // SSDP answered the M-SEARCH on an unusual port, pointing at the HTTP
    // service, whose UPnP description names the model and firmware.
    assert_eq!(port(&o, Transport::Udp, ssdp).state, PortState::Open);
    let s = service(&o, Transport::Udp, ssdp);
    assert_eq!(s.kind, ServiceKind::Ssdp);
    let loc = s.description_url.clone().unwrap_or_default();
    assert!(loc.ends_with(&format!(":{http}/description.xml")), "{loc}");
    let h = service(&o, Transport::Tcp, http);
    assert_eq!(h.kind, ServiceKind::Upnp, "{h:?}");
    let detail = |k: &str| h.details.get(k).map(String::as_str);
    assert_eq!(detail("upnp_modelNumber"), Some("JC-CAM-100"));
    assert_eq!(detail("upnp_firmwareVersion"), Some("1.0.3"));
    assert_eq!(h.product.as_deref(), Some("JC-CAM-100"));
    assert!(
        h.transcripts.iter().any(|t| t.contains("upnp-description")),
        "{:?}",
        h.transcripts
    );
    assert_eq!(
        service(&o, Transport::Tcp, http)
            .details
            .get("auth")
            .map(String::as_str),
        Some("form")
    );
    assert!(has_finding(&o, "http-plaintext-login", http));

    let t = service(&o, Transport::Tcp, telnet);
    assert_eq!(t.kind, ServiceKind::Telnet);
    assert!(matches!(t.access, Access::Unauthenticated { .. }), "{t:?}");
    assert!(has_finding(&o, "unauthenticated-shell", telnet));
    assert!(has_finding(&o, "telnet-plaintext", telnet));

    assert_eq!(service(&o, Transport::Tcp, rtsp).kind, ServiceKind::Rtsp);
    assert_eq!(service(&o, Transport::Tcp, mqtt).kind, ServiceKind::Mqtt);
    assert!(has_finding(&o, "mqtt-anonymous", mqtt));

    assert_eq!(port(&o, Transport::Udp, snmp).state, PortState::Open);
    assert_eq!(service(&o, Transport::Udp, snmp).kind, ServiceKind::Snmp);
    assert!(has_finding(&o, "snmp-default-community", snmp));

    assert_eq!(verdict(&o, "S1.1-01"), Verdict::Fail);
    assert_eq!(verdict(&o, "S1.1-12"), Verdict::Fail);
    assert_eq!(o.report.target.address, ip);
}

#[tokio::test(flavor = "multi_thread")]
async fn camera_on_ipv4() {
    camera_checks("127.0.0.91".parse().unwrap(), "127.0.0.91").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn camera_on_ipv6() {
    camera_checks("::1".parse().unwrap(), "::1").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hub_is_tls_only_and_declared_ports_pass() {
    let dev = Device::start_on(&builtin("hub.toml"), ip("127.0.0.92"))
        .await
        .unwrap();
    let ports = dev.tcp_ports();
    let mut o = jcstar_probe::ProbeOptions::new("127.0.0.92");
    o.tcp = list(&ports);
    o.udp = "none".into();
    let toml: String = ports
        .iter()
        .map(|p| format!("[[port]]\nport = {p}\n"))
        .collect();
    o.declared = Some(jcstar_probe::Declared::parse(&toml).unwrap());
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        jcstar_probe::probe(&o, Default::default()),
    )
    .await
    .unwrap()
    .unwrap();
    let https = dev.services[0].addr.port();
    let mqtts = dev.services[1].addr.port();
    assert_eq!(
        service(&out, Transport::Tcp, https).kind,
        ServiceKind::Https
    );
    assert_eq!(
        service(&out, Transport::Tcp, mqtts).kind,
        ServiceKind::MqttTls
    );
    // No plaintext service; the self-signed certificate is left for review.
    assert!(
        out.report
            .findings
            .iter()
            .all(|f| f.criterion != "S1.1-12" || f.severity == jcstar_probe::Severity::Low),
        "{:?}",
        out.report.findings
    );
    assert!(has_finding(&out, "tls-cert-self-signed", https));
    assert_eq!(verdict(&out, "S1.1-12"), Verdict::NeedsReview);
    assert!(out.report.extra["tls"][https.to_string()]["speaks_tls"] == true);
    assert!(
        !out.report
            .findings
            .iter()
            .any(|f| f.kind == "undeclared-port")
    );
    // Only some TCP ports were scanned, so the open-port criterion stays under review.
    assert_eq!(verdict(&out, "S1.1-13①"), Verdict::NeedsReview);

    // Declaring only one of the two ports makes the other a failure.
    o.declared =
        Some(jcstar_probe::Declared::parse(&format!("[[port]]\nport = {https}\n")).unwrap());
    let out = jcstar_probe::probe(&o, Default::default()).await.unwrap();
    assert!(has_finding(&out, "undeclared-port", mqtts));
    assert_eq!(verdict(&out, "S1.1-13①"), Verdict::Fail);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_device_yields_findings_without_hanging() {
    let dev = Device::start_on(&builtin("hostile.toml"), ip("127.0.0.93"))
        .await
        .unwrap();
    let started = Instant::now();
    let o = probe(
        "127.0.0.93",
        &dev.tcp_ports(),
        &dev.udp_ports(),
        Duration::from_secs(40),
    )
    .await;
    let took = started.elapsed();
    let slow = dev.services[0].addr.port();
    let flood = dev.services[1].addr.port();
    let garbage = dev.services[2].addr.port();
    let ftp = dev.services[3].addr.port();
    let coap = dev.services[4].addr.port();
    assert!(
        has_finding(&o, "unidentified-silent", slow),
        "{:#?}",
        o.report.findings
    );
    assert!(
        has_finding(&o, "unidentified-flood", flood),
        "{:#?}",
        o.report.findings
    );
    assert!(
        has_finding(&o, "unidentified-garbage", garbage),
        "{:#?}",
        o.report.findings
    );
    let f = service(&o, Transport::Tcp, ftp);
    assert_eq!(f.kind, ServiceKind::Ftp);
    assert_eq!(
        f.details.get("anonymous").map(String::as_str),
        Some("accepted")
    );
    assert!(has_finding(&o, "ftp-anonymous", ftp));
    assert!(has_finding(&o, "ftp-plaintext", ftp));
    assert_eq!(service(&o, Transport::Udp, coap).kind, ServiceKind::Coap);
    // A byte every 200 ms never trips an idle timeout; only the per-port
    // deadline ends it, and the port is still reported.
    let trickle = dev.services[5].addr.port();
    assert_eq!(port(&o, Transport::Tcp, trickle).state, PortState::Open);
    assert!(
        o.report
            .findings
            .iter()
            .any(|f| f.port.map(|p| p.port) == Some(trickle)),
        "{:#?}",
        o.report.findings
    );
    // Every transcript is bounded.
    assert!(o.transcripts.iter().all(|t| t.text.len() <= 64 * 1024));
    assert!(took < Duration::from_secs(20), "probe took {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn evidence_directory_verifies_and_detects_tampering() {
    let dev = Device::start_on(&builtin("camera.toml"), ip("127.0.0.94"))
        .await
        .unwrap();
    let o = probe(
        "127.0.0.94",
        &dev.tcp_ports(),
        &dev.udp_ports(),
        Duration::from_secs(30),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    jcstar_probe::evidence::write(&ev, &o.report, &o.transcripts, &o.extra_files).unwrap();
    let v = jcstar_probe::evidence::verify(&ev).unwrap();
    assert!(v.ok, "{v:?}");
    assert!(v.checked >= 2);
    let back = jcstar_probe::evidence::read_report(&ev).unwrap();
    assert_eq!(back, o.report);
    assert_eq!(back.schema, "jcstar.probe.report/1");
    // Every finding's evidence file exists.
    for f in &o.report.findings {
        for e in &f.evidence {
            assert!(ev.join(e).is_file(), "{e} missing");
        }
    }
    // Writing twice into the same directory is refused.
    assert!(jcstar_probe::evidence::write(&ev, &o.report, &o.transcripts, &o.extra_files).is_err());
    // Tampering with a transcript is detected.
    let t = ev.join(jcstar_probe::evidence::transcript_path(&o.transcripts[0]));
    let mut text = std::fs::read_to_string(&t).unwrap();
    text.push('x');
    std::fs::write(&t, text).unwrap();
    let v = jcstar_probe::evidence::verify(&ev).unwrap();
    assert!(!v.ok);
    assert_eq!(v.modified.len(), 1);
    // So is an added file.
    std::fs::write(ev.join("extra.txt"), "x").unwrap();
    assert_eq!(
        jcstar_probe::evidence::verify(&ev).unwrap().unlisted,
        vec!["extra.txt".to_string()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_targets_send_nothing() {
    for t in [
        "10.0.0.0/8",
        "255.255.255.255",
        "224.0.0.1",
        "0.0.0.0",
        "ff02::1",
    ] {
        let o = jcstar_probe::ProbeOptions::new(t);
        let progress = std::sync::Arc::new(jcstar_probe::Progress::default());
        let err = jcstar_probe::probe(&o, progress.clone()).await.unwrap_err();
        assert!(
            matches!(err, jcstar_probe::ProbeError::Target { .. }),
            "{t}: {err}"
        );
        // Refused before any phase started: no scan progress at all.
        assert_eq!(progress.phase(), "", "{t}");
        assert_eq!(progress.done.load(std::sync::atomic::Ordering::Relaxed), 0);
    }
}
