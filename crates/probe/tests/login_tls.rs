//! Login over TLS with a self-signed certificate: lighttpd (HTTPS with
//! mod_auth Basic and Digest) and mosquitto (MQTT on a TLS listener with a
//! password file), each started on a loopback address of its own with its
//! own configuration. A missing package fails the test with the package name.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jcstar_probe::login::{Adapter, Attempt, LoginAdapter, LoginKind, ServiceSpec};
use jcstar_testbed::daemons::free_tcp_port_on;

const USER: &str = "admin";
const PASS: &str = "Tls-Pw-4821";

struct Proc {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Proc {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn need(bin: &str, package: &str) {
    assert!(
        Path::new(bin).exists(),
        "{bin} not found: install the Debian package `{package}`"
    );
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn self_signed(dir: &Path) {
    need("/usr/bin/openssl", "openssl");
    run(Command::new("openssl")
        .args([
            "req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "2",
        ])
        .args(["-subj", "/CN=device.local", "-keyout"])
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem")));
}

fn spawn(dir: tempfile::TempDir, addr: SocketAddr, cmd: &mut Command) -> Proc {
    let log = std::fs::File::create(dir.path().join("daemon.log")).expect("log");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let mut p = Proc { child, addr, dir };
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        let exited = matches!(p.child.try_wait(), Ok(Some(_)));
        assert!(
            !exited && start.elapsed() < Duration::from_secs(15),
            "daemon did not start:\n{}",
            p.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    p
}

fn lighttpd_tls_auth(ip: Ipv4Addr) -> Proc {
    need("/usr/sbin/lighttpd", "lighttpd");
    need("/usr/lib/lighttpd/mod_openssl.so", "lighttpd-mod-openssl");
    let dir = tempfile::Builder::new()
        .prefix("jcstar-lighttpd-auth-")
        .tempdir()
        .expect("temporary directory");
    self_signed(dir.path());
    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("d")).expect("www");
    std::fs::write(www.join("index.html"), "ok\n").expect("index");
    std::fs::write(www.join("d/index.html"), "ok\n").expect("index");
    std::fs::write(dir.path().join("users"), format!("{USER}:{PASS}\n")).expect("users");
    let port = free_tcp_port_on(ip).expect("port");
    let conf = format!(
        "server.modules += (\"mod_openssl\", \"mod_auth\", \"mod_authn_file\")\n\
         server.document-root = \"{www}\"\n\
         server.bind = \"{ip}\"\n\
         server.port = {port}\n\
         index-file.names = (\"index.html\")\n\
         ssl.engine = \"enable\"\n\
         ssl.pemfile = \"{d}/cert.pem\"\n\
         ssl.privkey = \"{d}/key.pem\"\n\
         auth.backend = \"plain\"\n\
         auth.backend.plain.userfile = \"{d}/users\"\n\
         auth.require = (\"/d/\" => (\"method\" => \"digest\", \"realm\" => \"device\", \"require\" => \"valid-user\"),\n\
                         \"/\" => (\"method\" => \"basic\", \"realm\" => \"device\", \"require\" => \"valid-user\"))\n",
        www = www.display(),
        d = dir.path().display(),
    );
    let path = dir.path().join("lighttpd.conf");
    std::fs::write(&path, conf).expect("conf");
    spawn(
        dir,
        SocketAddr::from((ip, port)),
        Command::new("/usr/sbin/lighttpd")
            .arg("-D")
            .arg("-f")
            .arg(&path),
    )
}

fn mosquitto_tls(ip: Ipv4Addr) -> Proc {
    need("/usr/sbin/mosquitto", "mosquitto");
    need("/usr/bin/mosquitto_passwd", "mosquitto");
    let dir = tempfile::Builder::new()
        .prefix("jcstar-mosquitto-tls-")
        .tempdir()
        .expect("temporary directory");
    self_signed(dir.path());
    let pw = dir.path().join("passwd");
    run(Command::new("mosquitto_passwd")
        .args(["-b", "-c"])
        .arg(&pw)
        .args([USER, PASS]));
    let port = free_tcp_port_on(ip).expect("port");
    let conf = format!(
        "user root\npersistence false\nlog_dest stderr\nper_listener_settings true\nlistener {port} {ip}\n\
         certfile {d}/cert.pem\nkeyfile {d}/key.pem\n\
         allow_anonymous false\npassword_file {pw}\n",
        d = dir.path().display(),
        pw = pw.display(),
    );
    let path = dir.path().join("mosquitto.conf");
    std::fs::write(&path, conf).expect("conf");
    spawn(
        dir,
        SocketAddr::from((ip, port)),
        Command::new("/usr/sbin/mosquitto").arg("-c").arg(&path),
    )
}

async fn check(spec: ServiceSpec, log: &dyn Fn() -> String) {
    let what = spec.describe();
    let a = Adapter::prepare(&spec, Duration::from_secs(5))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ok = a.try_login(USER, PASS).await;
    assert!(ok.is_success(), "{what}: {ok:?}\n{}", log());
    let bad = a.try_login(USER, "wrong").await;
    assert!(
        matches!(bad, Attempt::Failure { .. }),
        "{what}: {bad:?}\n{}",
        log()
    );
}

#[tokio::test]
async fn https_basic_and_digest_on_lighttpd() {
    let d = lighttpd_tls_auth(Ipv4Addr::new(127, 0, 0, 161));
    let log = || d.log();
    check(
        ServiceSpec::new(LoginKind::HttpBasic, d.addr).with_tls(true),
        &log,
    )
    .await;
    check(
        ServiceSpec::new(LoginKind::HttpDigest, d.addr)
            .with_path("/d/")
            .with_tls(true),
        &log,
    )
    .await;
    // Without TLS the same port gives no usable answer, never a success.
    let plain = Adapter::prepare(
        &ServiceSpec::new(LoginKind::HttpBasic, d.addr),
        Duration::from_secs(3),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let r = plain.try_login(USER, PASS).await;
    assert!(!r.is_success(), "{r:?}");
}

#[tokio::test]
async fn mqtt_over_tls_on_mosquitto() {
    let d = mosquitto_tls(Ipv4Addr::new(127, 0, 0, 162));
    let log = || d.log();
    for level in [4, 5] {
        let mut spec = ServiceSpec::new(LoginKind::Mqtt, d.addr).with_tls(true);
        spec.mqtt_level = level;
        check(spec, &log).await;
    }
}
