//! Helpers shared by the TLS tests: real TLS servers from Debian packages
//! (openssl s_server, lighttpd) on loopback ports, certificates made with
//! the openssl CLI, and sslscan's XML output parsed for comparison.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The path of a tool a test needs, or a panic naming the package.
pub fn tool(name: &str, candidates: &[&str], package: &str) -> PathBuf {
    for c in candidates {
        let p = Path::new(c);
        if p.exists() {
            return p.to_path_buf();
        }
    }
    panic!("`{name}` not found (looked at {candidates:?}): install the Debian package `{package}`");
}

pub fn openssl() -> PathBuf {
    tool("openssl", &["/usr/bin/openssl"], "openssl")
}

pub fn sslscan_bin() -> PathBuf {
    tool("sslscan", &["/usr/bin/sslscan"], "sslscan")
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p =
            std::env::temp_dir().join(format!("jcstar-tls-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    pub fn path(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed on drop.
pub struct Daemon {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

fn wait_listening(addr: SocketAddr, child: &mut Child, what: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening: {status}");
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    panic!("{what} did not listen on {addr} within 10 s");
}

pub fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run command");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed certificate and key made by `openssl req`.
pub fn self_signed(dir: &TempDir, stem: &str, key: &[&str], extra: &[&str]) -> (PathBuf, PathBuf) {
    let cert = dir.path(&format!("{stem}.crt"));
    let keyf = dir.path(&format!("{stem}.key"));
    let mut c = Command::new(openssl());
    c.args(["req", "-x509", "-nodes", "-days", "30"])
        .args(key)
        .arg("-keyout")
        .arg(&keyf)
        .arg("-out")
        .arg(&cert)
        .args(extra);
    run(&mut c);
    (cert, keyf)
}

/// A self-signed certificate valid only during 2020 (so expired now),
/// made with `openssl ca`, since OpenSSL 3.0's `req`/`x509` cannot set
/// arbitrary validity dates.
pub fn expired_cert(dir: &TempDir) -> (PathBuf, PathBuf) {
    let cnf = dir.path("ca.cnf");
    std::fs::write(
        &cnf,
        format!(
            "[ ca ]\ndefault_ca = d\n[ d ]\ndir = {0}\ndatabase = {0}/index.txt\n\
             new_certs_dir = {0}\nserial = {0}/serial\ndefault_md = sha256\n\
             policy = p\n[ p ]\ncommonName = supplied\n",
            dir.0.display()
        ),
    )
    .expect("write ca.cnf");
    std::fs::write(dir.path("index.txt"), "").expect("index");
    std::fs::write(dir.path("serial"), "1000\n").expect("serial");
    let key = dir.path("expired.key");
    let csr = dir.path("expired.csr");
    let cert = dir.path("expired.crt");
    run(Command::new(openssl())
        .args([
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=expired.device",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&csr));
    run(Command::new(openssl())
        .args(["ca", "-batch", "-notext", "-selfsign", "-config"])
        .arg(&cnf)
        .arg("-keyfile")
        .arg(&key)
        .arg("-in")
        .arg(&csr)
        .arg("-out")
        .arg(&cert)
        .args([
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20210101000000Z",
        ]));
    (cert, key)
}

/// `openssl s_server` with the given protocol/cipher arguments.
pub fn s_server(cert: &Path, key: &Path, args: &[&str]) -> Daemon {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let mut child = Command::new(openssl())
        .arg("s_server")
        .arg("-accept")
        .arg(addr.to_string())
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .args(["-www", "-quiet", "-naccept", "100000"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn openssl s_server");
    wait_listening(addr, &mut child, "openssl s_server");
    Daemon { child, addr }
}

/// lighttpd with TLS 1.2 and 1.3 only, as a modern device web UI would be.
pub fn lighttpd_tls(dir: &TempDir, cert: &Path, key: &Path) -> Daemon {
    let bin = tool("lighttpd", &["/usr/sbin/lighttpd"], "lighttpd");
    let module = Path::new("/usr/lib/lighttpd/mod_openssl.so");
    assert!(
        module.exists(),
        "lighttpd's TLS module is missing: install the Debian package `lighttpd-mod-openssl`"
    );
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let docroot = dir.path("www");
    std::fs::create_dir_all(&docroot).expect("docroot");
    std::fs::write(docroot.join("index.html"), "ok\n").expect("index");
    let conf = dir.path("lighttpd.conf");
    std::fs::write(
        &conf,
        format!(
            "server.modules = (\"mod_openssl\")\n\
             server.document-root = \"{}\"\n\
             server.bind = \"127.0.0.1\"\n\
             server.port = {port}\n\
             server.errorlog = \"{}\"\n\
             ssl.engine = \"enable\"\n\
             ssl.pemfile = \"{}\"\n\
             ssl.privkey = \"{}\"\n\
             ssl.openssl.ssl-conf-cmd = (\"MinProtocol\" => \"TLSv1.2\")\n",
            docroot.display(),
            dir.path("error.log").display(),
            cert.display(),
            key.display()
        ),
    )
    .expect("write lighttpd.conf");
    let mut child = Command::new(bin)
        .arg("-D")
        .arg("-f")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lighttpd");
    wait_listening(addr, &mut child, "lighttpd");
    Daemon { child, addr }
}

/// What sslscan reported, keyed the way the comparison needs it.
#[derive(Debug, Default)]
pub struct Scan {
    /// `SSLv3`, `TLSv1.0` … for every enabled protocol.
    pub protocols: BTreeSet<String>,
    /// Version → accepted (code point, printed name).
    pub ciphers: BTreeMap<String, BTreeSet<(u16, String)>>,
    /// Version → the suite sslscan marks as preferred.
    pub preferred: BTreeMap<String, u16>,
    /// Version → group code points.
    pub groups: BTreeMap<String, BTreeSet<u16>>,
    pub signature_algorithm: Option<String>,
    pub pk_type: Option<String>,
    pub pk_bits: Option<u32>,
    pub pk_curve: Option<String>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub altnames: BTreeSet<String>,
    pub self_signed: Option<bool>,
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
    pub expired: Option<bool>,
}

fn hex16(s: &str) -> u16 {
    u16::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex id")
}

/// `Nov 21 23:06:20 2026 GMT` → unix seconds.
pub fn openssl_date(s: &str) -> i64 {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = months.iter().position(|x| *x == parts[0]).expect("month") as i64 + 1;
    let d: i64 = parts[1].parse().expect("day");
    let hms: Vec<i64> = parts[2]
        .split(':')
        .map(|x| x.parse().expect("time"))
        .collect();
    let y: i64 = parts[3].parse().expect("year");
    // Days from civil date (Howard Hinnant's algorithm).
    let (y2, m2) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    days * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
}

pub fn sslscan(addr: SocketAddr) -> Scan {
    let out = Command::new(sslscan_bin())
        .args(["--no-colour", "--xml=-"])
        .arg(addr.to_string())
        .output()
        .expect("run sslscan");
    let xml = String::from_utf8_lossy(&out.stdout).to_string();
    let doc = roxmltree::Document::parse(&xml).expect("sslscan XML parses");
    let mut s = Scan::default();
    for n in doc.descendants().filter(|n| n.is_element()) {
        match n.tag_name().name() {
            "protocol" if n.attribute("enabled") == Some("1") => {
                let v = n.attribute("version").unwrap_or("");
                let name = match (n.attribute("type"), v) {
                    (Some("ssl"), v) => format!("SSLv{v}"),
                    (_, v) => format!("TLSv{v}"),
                };
                s.protocols.insert(name);
            }
            "cipher" => {
                let v = n.attribute("sslversion").unwrap_or("").to_string();
                let id = hex16(n.attribute("id").unwrap_or("0"));
                let name = n.attribute("cipher").unwrap_or("").to_string();
                if n.attribute("status") == Some("preferred") {
                    s.preferred.insert(v.clone(), id);
                }
                s.ciphers.entry(v).or_default().insert((id, name));
            }
            "group" => {
                let v = n.attribute("sslversion").unwrap_or("").to_string();
                s.groups
                    .entry(v)
                    .or_default()
                    .insert(hex16(n.attribute("id").unwrap_or("0")));
            }
            "signature-algorithm" => s.signature_algorithm = n.text().map(str::to_string),
            "pk" => {
                s.pk_type = n.attribute("type").map(str::to_string);
                s.pk_bits = n.attribute("bits").and_then(|b| b.parse().ok());
                s.pk_curve = n.attribute("curve_name").map(str::to_string);
            }
            "subject" => s.subject = n.text().map(str::to_string),
            "issuer" => s.issuer = n.text().map(str::to_string),
            "altnames" => {
                s.altnames = n
                    .text()
                    .unwrap_or("")
                    .split(',')
                    .map(|x| x.trim().replace("IP Address:", "IP:"))
                    .filter(|x| !x.is_empty())
                    .collect()
            }
            "self-signed" => s.self_signed = n.text().map(|t| t == "true"),
            "not-valid-before" => s.not_before = n.text().map(openssl_date),
            "not-valid-after" => s.not_after = n.text().map(openssl_date),
            "expired" => s.expired = n.text().map(|t| t == "true"),
            _ => {}
        }
    }
    s
}

/// Assert that jcstar's report says what sslscan says about the same port.
pub fn assert_agrees(r: &jcstar_probe::tls::TlsReport, s: &Scan) {
    let mine: BTreeSet<String> = r
        .accepted_versions()
        .iter()
        .map(|v| v.name().to_string())
        .collect();
    assert_eq!(mine, s.protocols, "accepted protocol versions differ");
    for p in &r.protocols {
        let v = p.version.name();
        let mine: BTreeSet<u16> = p.ciphers.iter().map(|c| c.code).collect();
        let theirs: BTreeSet<u16> = s
            .ciphers
            .get(v)
            .map(|c| c.iter().map(|x| x.0).collect())
            .unwrap_or_default();
        assert_eq!(mine, theirs, "{v}: accepted cipher suites differ");
        // sslscan prints OpenSSL's name when its OpenSSL knows the suite and
        // the IANA name otherwise; ours must carry that name.
        for (id, name) in s.ciphers.get(v).into_iter().flatten() {
            let c = p.ciphers.iter().find(|c| c.code == *id).expect("same set");
            assert!(
                c.openssl.as_deref() == Some(name.as_str()) || c.iana == *name,
                "{v} {id:#06x}: sslscan calls it {name}, we have {:?} / {}",
                c.openssl,
                c.iana
            );
        }
        if let Some(theirs) = s.groups.get(v) {
            let mine: BTreeSet<u16> = p.groups.iter().map(|g| g.id).collect();
            let ec_cert = r.certificate.as_ref().is_some_and(|c| c.key.kind == "EC");
            if ec_cert && p.version <= jcstar_probe::tls::TlsVersion::Tls12 {
                // sslscan offers one group at a time; under TLS <= 1.2 an ECDSA
                // server then refuses every group but its certificate's curve.
                // jcstar keeps that curve on offer and so also sees the other
                // groups a real client would get (e.g. x25519).
                assert!(
                    theirs.is_subset(&mine),
                    "{v}: sslscan's groups {theirs:?} not all in ours {mine:?}"
                );
            } else {
                assert_eq!(&mine, theirs, "{v}: key exchange groups differ");
            }
        }
    }
    let c = r.certificate.as_ref().expect("certificate facts");
    assert_eq!(Some(&c.signature_algorithm), s.signature_algorithm.as_ref());
    assert_eq!(Some(&c.key.kind), s.pk_type.as_ref(), "key type");
    match c.key.kind.as_str() {
        // sslscan prints the curve's security level for EC keys; compare the curve.
        "EC" => assert_eq!(c.key.curve, s.pk_curve, "EC curve"),
        _ => assert_eq!(c.key.bits, s.pk_bits, "key bits"),
    }
    assert_eq!(c.subject_cn, s.subject, "subject");
    assert_eq!(c.issuer_cn, s.issuer, "issuer");
    assert_eq!(Some(c.self_signed), s.self_signed, "self-signed");
    assert_eq!(Some(c.not_before_unix), s.not_before, "not before");
    assert_eq!(Some(c.not_after_unix), s.not_after, "not after");
    assert_eq!(Some(c.expired), s.expired, "expired");
    let mine: BTreeSet<String> = c
        .san_dns
        .iter()
        .map(|d| format!("DNS:{d}"))
        .chain(c.san_ip.iter().map(|i| format!("IP:{i}")))
        .collect();
    assert_eq!(mine, s.altnames, "subject alternative names");
}

pub fn finding_ids(r: &jcstar_probe::tls::TlsReport) -> BTreeSet<String> {
    r.findings.iter().map(|f| f.id.clone()).collect()
}
