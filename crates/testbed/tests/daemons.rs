//! Each launcher starts its real daemon on the loopback address it is given
//! (each test its own 127.0.0.N) and the daemon answers there.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

use jcstar_testbed::daemons::*;

fn read_some(addr: std::net::SocketAddr, send: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s.write_all(send).unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).unwrap_or(0);
    buf.truncate(n);
    buf
}

#[test]
fn busybox_httpd_basic_auth() {
    let ip = Ipv4Addr::new(127, 0, 0, 171);
    let d = BusyboxHttpd {
        basic_auth: Some(("admin".into(), "secret".into())),
        realm: Some("camera".into()),
    }
    .start_on(ip)
    .unwrap();
    assert_eq!(d.addr().ip(), ip);
    let r = read_some(d.addr(), b"GET / HTTP/1.0\r\n\r\n");
    let r = String::from_utf8_lossy(&r);
    assert!(r.starts_with("HTTP/1.") && r.contains("401"), "{r}");
    assert!(r.contains("WWW-Authenticate: Basic"), "{r}");
}

#[test]
fn dropbear_banner() {
    let ip = Ipv4Addr::new(127, 0, 0, 172);
    let d = Dropbear::default().start_on(ip).unwrap();
    assert_eq!(d.addr().ip(), ip);
    let r = read_some(d.addr(), b"");
    assert!(r.starts_with(b"SSH-2.0-dropbear"), "{r:?}");
}

#[test]
fn mosquitto_anonymous_and_password() {
    let ip = Ipv4Addr::new(127, 0, 0, 173);
    let d = Mosquitto::default().start_on(ip).unwrap();
    // CONNECT, protocol MQTT 3.1.1, clean session, keepalive 10, client id "t".
    let connect = b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x0a\x00\x01t";
    assert_eq!(d.addr().ip(), ip);
    let r = read_some(d.addr(), connect);
    assert_eq!(r, b"\x20\x02\x00\x00");
    let d = Mosquitto {
        users: vec![("u".into(), "p".into())],
    }
    .start_on(ip)
    .unwrap();
    let r = read_some(d.addr(), connect);
    assert_eq!(r.first(), Some(&0x20));
    assert_ne!(r.get(3), Some(&0), "anonymous must be refused: {r:?}");
}

#[test]
fn lighttpd_tls_handshake_byte() {
    let ip = Ipv4Addr::new(127, 0, 0, 174);
    let d = LighttpdTls::default().start_on(ip).unwrap();
    assert!(d.dir().join("cert.pem").is_file());
    // Plain HTTP to a TLS port gets no HTTP answer.
    assert_eq!(d.addr().ip(), ip);
    let r = read_some(d.addr(), b"GET / HTTP/1.0\r\n\r\n");
    assert!(!r.starts_with(b"HTTP/1.1 200"), "{r:?}");
}

#[test]
fn snmpd_public() {
    let ip = Ipv4Addr::new(127, 0, 0, 175);
    let d = Snmpd::default().start_on(ip).unwrap();
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.send_to(&snmp_get_sysdescr("public", 7), d.addr())
        .unwrap();
    let mut buf = [0u8; 1500];
    let n = s.recv(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.contains("jcstar test camera"), "{text}");
}

#[test]
fn telnetd_negotiates() {
    let ip = Ipv4Addr::new(127, 0, 0, 176);
    let d = Telnetd::default().start_on(ip).unwrap();
    assert_eq!(d.addr().ip(), ip);
    let r = read_some(d.addr(), b"");
    assert_eq!(r.first(), Some(&0xff), "telnet IAC expected: {r:?}");
}

#[test]
fn system_user_lifecycle() {
    let name;
    {
        let u = SystemUser::create().unwrap();
        name = u.name.clone();
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
        assert!(passwd.contains(&format!("{name}:")));
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    assert!(!passwd.contains(&format!("{name}:")));
}

#[test]
fn snmpd_smux_listens_on_tcp_199_of_its_own_address() {
    let ip = Ipv4Addr::new(127, 0, 0, 178);
    let d = Snmpd {
        smux: true,
        ..Snmpd::default()
    }
    .start_on(ip)
    .unwrap();
    // net-snmp closes an SMUX peer that does not open properly.
    let r = read_some(std::net::SocketAddr::from((ip, SMUX_PORT)), b"\r\n\r\n");
    assert_eq!(r.first(), Some(&0x41), "SMUX ClosePDU expected: {r:?}");
    assert_eq!(d.addr().ip(), ip);
}

#[test]
fn only_loopback_addresses_are_accepted() {
    let e = Dropbear::default()
        .start_on(Ipv4Addr::new(192, 0, 2, 1))
        .unwrap_err();
    assert!(matches!(e, DaemonError::NotLoopback(_)), "{e}");
    assert!(e.to_string().contains("127.0.0.N"), "{e}");
}
