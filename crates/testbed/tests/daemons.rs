//! Each launcher starts its real daemon on loopback and the daemon answers.

use std::io::{Read, Write};
use std::net::TcpStream;
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
    let d = BusyboxHttpd {
        basic_auth: Some(("admin".into(), "secret".into())),
        realm: Some("camera".into()),
    }
    .start()
    .unwrap();
    let r = read_some(d.addr(), b"GET / HTTP/1.0\r\n\r\n");
    let r = String::from_utf8_lossy(&r);
    assert!(r.starts_with("HTTP/1.") && r.contains("401"), "{r}");
    assert!(r.contains("WWW-Authenticate: Basic"), "{r}");
}

#[test]
fn dropbear_banner() {
    let d = Dropbear::default().start().unwrap();
    let r = read_some(d.addr(), b"");
    assert!(r.starts_with(b"SSH-2.0-dropbear"), "{r:?}");
}

#[test]
fn mosquitto_anonymous_and_password() {
    let d = Mosquitto::default().start().unwrap();
    // CONNECT, protocol MQTT 3.1.1, clean session, keepalive 10, client id "t".
    let connect = b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x0a\x00\x01t";
    let r = read_some(d.addr(), connect);
    assert_eq!(r, b"\x20\x02\x00\x00");
    let d = Mosquitto {
        users: vec![("u".into(), "p".into())],
    }
    .start()
    .unwrap();
    let r = read_some(d.addr(), connect);
    assert_eq!(r.first(), Some(&0x20));
    assert_ne!(r.get(3), Some(&0), "anonymous must be refused: {r:?}");
}

#[test]
fn lighttpd_tls_handshake_byte() {
    let d = LighttpdTls::default().start().unwrap();
    assert!(d.dir().join("cert.pem").is_file());
    // Plain HTTP to a TLS port gets no HTTP answer.
    let r = read_some(d.addr(), b"GET / HTTP/1.0\r\n\r\n");
    assert!(!r.starts_with(b"HTTP/1.1 200"), "{r:?}");
}

#[test]
fn snmpd_public() {
    let d = Snmpd::default().start().unwrap();
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
    let d = Telnetd::default().start().unwrap();
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
