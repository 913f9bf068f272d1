//! Launchers for real daemons from Debian packages, bound to loopback, stopped on drop.
//!
//! Each launcher writes the daemon's configuration into its own temporary
//! directory, binds a loopback address (127.0.0.1 with `start`, any
//! 127.0.0.N with `start_on`) on a port it picks, waits until the daemon
//! answers, and returns a guard that kills the process (and removes the
//! directory) when dropped. Tests give each daemon an address of its own,
//! as the simulated devices have, so that a scan of that address sees that
//! daemon and nothing another test started. A missing binary is an error naming the Debian
//! package to install, so tests fail loudly instead of passing silently.

use std::fmt::Write as _;
use std::io::Read as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a daemon may take to start answering.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a daemon could not be started.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The daemon's binary is not installed.
    #[error("{binary} not found: install the Debian package `{package}`")]
    Missing {
        /// Path of the missing binary.
        binary: &'static str,
        /// Debian package that provides it.
        package: &'static str,
    },
    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A setup command failed.
    #[error("{command} failed: {output}")]
    Command {
        /// The command that was run.
        command: String,
        /// What it printed.
        output: String,
    },
    /// The daemon did not answer in time.
    #[error("{daemon} did not answer on {addr} within {secs} s; its log:\n{log}")]
    NotReady {
        /// Name of the daemon.
        daemon: &'static str,
        /// Address it was expected to answer on.
        addr: SocketAddr,
        /// How long the launcher waited, in seconds.
        secs: u64,
        /// What the daemon logged.
        log: String,
    },
    /// Creating a system user needs root.
    #[error("creating a system user needs root (useradd/chpasswd); run the test as root")]
    NotRoot,
    /// Daemons bind only 127.0.0.N; this address is not one of them.
    #[error("{0} is not a loopback address: daemons bind 127.0.0.N only")]
    NotLoopback(Ipv4Addr),
}

fn loopback(ip: Ipv4Addr) -> Result<Ipv4Addr, DaemonError> {
    if ip.is_loopback() {
        Ok(ip)
    } else {
        Err(DaemonError::NotLoopback(ip))
    }
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> DaemonError {
    let what = what.into();
    move |source| DaemonError::Io { what, source }
}

fn require(binary: &'static str, package: &'static str) -> Result<PathBuf, DaemonError> {
    let p = PathBuf::from(binary);
    if p.is_file() {
        Ok(p)
    } else {
        Err(DaemonError::Missing { binary, package })
    }
}

/// A free TCP port on 127.0.0.1 (the small race with other binders is accepted in tests).
pub fn free_tcp_port() -> Result<u16, DaemonError> {
    free_tcp_port_on(Ipv4Addr::LOCALHOST)
}

/// A free TCP port on `ip`.
pub fn free_tcp_port_on(ip: Ipv4Addr) -> Result<u16, DaemonError> {
    let l = TcpListener::bind((ip, 0)).map_err(io(format!("binding a probe TCP port on {ip}")))?;
    Ok(l.local_addr().map_err(io("local_addr"))?.port())
}

/// A free UDP port on 127.0.0.1.
pub fn free_udp_port() -> Result<u16, DaemonError> {
    free_udp_port_on(Ipv4Addr::LOCALHOST)
}

/// A free UDP port on `ip`.
pub fn free_udp_port_on(ip: Ipv4Addr) -> Result<u16, DaemonError> {
    let s = UdpSocket::bind((ip, 0)).map_err(io(format!("binding a probe UDP port on {ip}")))?;
    Ok(s.local_addr().map_err(io("local_addr"))?.port())
}

fn run_ok(cmd: &mut Command) -> Result<(), DaemonError> {
    let out = cmd.output().map_err(io(format!("running {cmd:?}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(DaemonError::Command {
            command: format!("{cmd:?}"),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        })
    }
}

/// A running daemon; killed (and its temporary directory removed) on drop.
#[derive(Debug)]
pub struct Daemon {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Daemon {
    /// The address the daemon listens on (TCP, or UDP for snmpd).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The port the daemon listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
    /// The daemon's name, as in error messages.
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// The temporary directory holding the configuration (and e.g. `cert.pem`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
    /// What the daemon wrote to stdout/stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }
    /// The process id of the daemon.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(
    name: &'static str,
    dir: tempfile::TempDir,
    addr: SocketAddr,
    cmd: &mut Command,
    ready: impl Fn(SocketAddr) -> bool,
) -> Result<Daemon, DaemonError> {
    let log_path = dir.path().join("daemon.log");
    let log = std::fs::File::create(&log_path).map_err(io("creating daemon.log"))?;
    let log2 = log.try_clone().map_err(io("cloning daemon.log"))?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .spawn()
        .map_err(io(format!("starting {name}")))?;
    let mut d = Daemon {
        name,
        child,
        addr,
        dir,
    };
    let start = Instant::now();
    loop {
        if ready(addr) {
            return Ok(d);
        }
        let exited = matches!(d.child.try_wait(), Ok(Some(_)));
        if exited || start.elapsed() > READY_TIMEOUT {
            return Err(DaemonError::NotReady {
                daemon: name,
                addr,
                secs: READY_TIMEOUT.as_secs(),
                log: d.log(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn tcp_ready(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

fn tempdir(name: &str) -> Result<tempfile::TempDir, DaemonError> {
    tempfile::Builder::new()
        .prefix(&format!("jcstar-{name}-"))
        .tempdir()
        .map_err(io("creating a temporary directory"))
}

fn write(path: &Path, text: &str) -> Result<(), DaemonError> {
    std::fs::write(path, text).map_err(io(format!("writing {}", path.display())))
}

/// busybox httpd serving a small page; with `basic_auth` the whole site needs
/// HTTP basic authentication in `realm`.
#[derive(Debug, Clone, Default)]
pub struct BusyboxHttpd {
    /// User name and password the site requires, if any.
    pub basic_auth: Option<(String, String)>,
    /// Realm of the basic authentication (busybox's default when unset).
    pub realm: Option<String>,
}

impl BusyboxHttpd {
    /// Listens on 127.0.0.1.
    pub fn start(&self) -> Result<Daemon, DaemonError> {
        self.start_on(Ipv4Addr::LOCALHOST)
    }

    /// Listens on `ip` (a 127.0.0.N address).
    pub fn start_on(&self, ip: Ipv4Addr) -> Result<Daemon, DaemonError> {
        let ip = loopback(ip)?;
        let bin = require("/bin/busybox", "busybox")?;
        let dir = tempdir("httpd")?;
        let www = dir.path().join("www");
        std::fs::create_dir(&www).map_err(io("creating www"))?;
        write(
            &www.join("index.html"),
            "<html><head><title>Device admin</title></head><body>settings</body></html>\n",
        )?;
        let conf = dir.path().join("httpd.conf");
        let mut text = String::new();
        if let Some((u, p)) = &self.basic_auth {
            let _ = writeln!(text, "/:{u}:{p}");
        }
        write(&conf, &text)?;
        let port = free_tcp_port_on(ip)?;
        let addr = SocketAddr::from((ip, port));
        let mut cmd = Command::new(bin);
        cmd.arg("httpd")
            .arg("-f")
            .arg("-p")
            .arg(format!("{ip}:{port}"))
            .arg("-h")
            .arg(&www)
            .arg("-c")
            .arg(&conf);
        if let Some(r) = &self.realm {
            cmd.arg("-r").arg(r);
        }
        spawn("busybox httpd", dir, addr, &mut cmd, tcp_ready)
    }
}

/// dropbear SSH server with a freshly generated ed25519 host key.
#[derive(Debug, Clone, Default)]
pub struct Dropbear {
    /// `-s`: disable password logins.
    pub no_password: bool,
    /// `-w`: disallow root logins.
    pub no_root: bool,
    /// Further raw flags.
    pub extra_args: Vec<String>,
}

impl Dropbear {
    /// Listens on 127.0.0.1.
    pub fn start(&self) -> Result<Daemon, DaemonError> {
        self.start_on(Ipv4Addr::LOCALHOST)
    }

    /// Listens on `ip` (a 127.0.0.N address).
    pub fn start_on(&self, ip: Ipv4Addr) -> Result<Daemon, DaemonError> {
        let ip = loopback(ip)?;
        let bin = require("/usr/sbin/dropbear", "dropbear-bin")?;
        let keygen = require("/usr/bin/dropbearkey", "dropbear-bin")?;
        let dir = tempdir("dropbear")?;
        let key = dir.path().join("host_ed25519");
        run_ok(
            Command::new(keygen)
                .arg("-t")
                .arg("ed25519")
                .arg("-f")
                .arg(&key),
        )?;
        let port = free_tcp_port_on(ip)?;
        let addr = SocketAddr::from((ip, port));
        let mut cmd = Command::new(bin);
        cmd.arg("-F")
            .arg("-E")
            .arg("-r")
            .arg(&key)
            .arg("-P")
            .arg(dir.path().join("dropbear.pid"))
            .arg("-p")
            .arg(format!("{ip}:{port}"));
        if self.no_password {
            cmd.arg("-s");
        }
        if self.no_root {
            cmd.arg("-w");
        }
        cmd.args(&self.extra_args);
        spawn("dropbear", dir, addr, &mut cmd, ssh_ready)
    }
}

fn ssh_ready(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).is_ok() && &buf == b"SSH-"
}

/// mosquitto MQTT broker; anonymous unless `users` is non-empty.
#[derive(Debug, Clone, Default)]
pub struct Mosquitto {
    /// User name and password pairs the broker accepts; empty allows anonymous clients.
    pub users: Vec<(String, String)>,
}

impl Mosquitto {
    /// Listens on 127.0.0.1.
    pub fn start(&self) -> Result<Daemon, DaemonError> {
        self.start_on(Ipv4Addr::LOCALHOST)
    }

    /// Listens on `ip` (a 127.0.0.N address).
    pub fn start_on(&self, ip: Ipv4Addr) -> Result<Daemon, DaemonError> {
        let ip = loopback(ip)?;
        let bin = require("/usr/sbin/mosquitto", "mosquitto")?;
        let dir = tempdir("mosquitto")?;
        let port = free_tcp_port_on(ip)?;
        let addr = SocketAddr::from((ip, port));
        let mut conf =
            format!("user root\npersistence false\nlog_dest stderr\nlistener {port} {ip}\n");
        if self.users.is_empty() {
            conf.push_str("allow_anonymous true\n");
        } else {
            let pw = dir.path().join("passwd");
            let tool = require("/usr/bin/mosquitto_passwd", "mosquitto")?;
            for (i, (u, p)) in self.users.iter().enumerate() {
                let mut c = Command::new(&tool);
                if i == 0 {
                    c.arg("-c");
                }
                run_ok(c.arg("-b").arg(&pw).arg(u).arg(p))?;
            }
            let _ = writeln!(
                conf,
                "allow_anonymous false\npassword_file {}",
                pw.display()
            );
        }
        let path = dir.path().join("mosquitto.conf");
        write(&path, &conf)?;
        let mut cmd = Command::new(bin);
        cmd.arg("-c").arg(&path);
        spawn("mosquitto", dir, addr, &mut cmd, tcp_ready)
    }
}

/// lighttpd serving HTTPS with a self-signed certificate made by `openssl req`.
#[derive(Debug, Clone)]
pub struct LighttpdTls {
    /// Pairs for `ssl.openssl.ssl-conf-cmd`, e.g. `("MinProtocol", "TLSv1.2")`
    /// or `("CipherString", "DEFAULT@SECLEVEL=0")`.
    pub ssl_conf_cmd: Vec<(String, String)>,
    /// `openssl req -newkey` argument, e.g. `rsa:2048` or `ec -pkeyopt ec_paramgen_curve:P-256` is not
    /// supported here; use `rsa:BITS`.
    pub key: String,
    /// Certificate subject common name.
    pub common_name: String,
    /// Validity in days (`openssl req -days`).
    pub days: u32,
}

impl Default for LighttpdTls {
    fn default() -> Self {
        LighttpdTls {
            ssl_conf_cmd: Vec::new(),
            key: "rsa:2048".into(),
            common_name: "localhost".into(),
            days: 30,
        }
    }
}

impl LighttpdTls {
    /// Listens on 127.0.0.1.
    pub fn start(&self) -> Result<Daemon, DaemonError> {
        self.start_on(Ipv4Addr::LOCALHOST)
    }

    /// Listens on `ip` (a 127.0.0.N address).
    pub fn start_on(&self, ip: Ipv4Addr) -> Result<Daemon, DaemonError> {
        let ip = loopback(ip)?;
        let bin = require("/usr/sbin/lighttpd", "lighttpd")?;
        let openssl = require("/usr/bin/openssl", "openssl")?;
        let dir = tempdir("lighttpd")?;
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        run_ok(
            Command::new(openssl)
                .args(["req", "-x509", "-nodes", "-newkey", &self.key, "-keyout"])
                .arg(&key)
                .arg("-out")
                .arg(&cert)
                .arg("-days")
                .arg(self.days.to_string())
                .arg("-subj")
                .arg(format!("/CN={}", self.common_name)),
        )?;
        let www = dir.path().join("www");
        std::fs::create_dir(&www).map_err(io("creating www"))?;
        write(
            &www.join("index.html"),
            "<html><head><title>Hub</title></head><body>ok</body></html>\n",
        )?;
        let port = free_tcp_port_on(ip)?;
        let addr = SocketAddr::from((ip, port));
        let mut conf = format!(
            "server.modules += (\"mod_openssl\")\n\
             server.document-root = \"{www}\"\n\
             server.bind = \"{ip}\"\n\
             server.port = {port}\n\
             index-file.names = (\"index.html\")\n\
             ssl.engine = \"enable\"\n\
             ssl.pemfile = \"{cert}\"\n\
             ssl.privkey = \"{key}\"\n",
            www = www.display(),
            cert = cert.display(),
            key = key.display()
        );
        if !self.ssl_conf_cmd.is_empty() {
            let pairs: Vec<String> = self
                .ssl_conf_cmd
                .iter()
                .map(|(k, v)| format!("\"{k}\" => \"{v}\""))
                .collect();
            let _ = writeln!(conf, "ssl.openssl.ssl-conf-cmd = ({})", pairs.join(", "));
        }
        let path = dir.path().join("lighttpd.conf");
        write(&path, &conf)?;
        let mut cmd = Command::new(bin);
        cmd.arg("-D").arg("-f").arg(&path);
        spawn("lighttpd", dir, addr, &mut cmd, tcp_ready)
    }
}

/// snmpd answering SNMP v1/v2c on UDP for the given communities, to
/// clients on loopback.
#[derive(Debug, Clone)]
pub struct Snmpd {
    /// Communities given read-only access (`public` by default).
    pub ro_communities: Vec<String>,
    /// Communities given read-write access.
    pub rw_communities: Vec<String>,
    /// The `sysDescr` value the agent reports.
    pub sys_descr: String,
    /// Also run net-snmp's SMUX (RFC 1227) on TCP 199 of the daemon's
    /// address (needs root to bind port 199). Off: the SMUX module is not
    /// loaded, so that daemons on other addresses do not collide on 199.
    pub smux: bool,
}

impl Default for Snmpd {
    fn default() -> Self {
        Snmpd {
            ro_communities: vec!["public".into()],
            rw_communities: Vec::new(),
            sys_descr: "jcstar test camera".into(),
            smux: false,
        }
    }
}

/// The TCP port SMUX listens on (fixed by RFC 1227 and net-snmp).
pub const SMUX_PORT: u16 = 199;

impl Snmpd {
    /// Listens on 127.0.0.1.
    pub fn start(&self) -> Result<Daemon, DaemonError> {
        self.start_on(Ipv4Addr::LOCALHOST)
    }

    /// Listens on UDP (and TCP 199 for SMUX) of `ip` (a 127.0.0.N address).
    pub fn start_on(&self, ip: Ipv4Addr) -> Result<Daemon, DaemonError> {
        let ip = loopback(ip)?;
        let bin = require("/usr/sbin/snmpd", "snmpd")?;
        let dir = tempdir("snmpd")?;
        let mut conf = String::new();
        // Clients reach 127.0.0.N from any loopback source address.
        for c in &self.ro_communities {
            let _ = writeln!(conf, "rocommunity {c} 127.0.0.0/8");
        }
        for c in &self.rw_communities {
            let _ = writeln!(conf, "rwcommunity {c} 127.0.0.0/8");
        }
        let _ = writeln!(conf, "sysDescr {}", self.sys_descr);
        if self.smux {
            let _ = writeln!(conf, "smuxsocket {ip}");
        }
        let path = dir.path().join("snmpd.conf");
        write(&path, &conf)?;
        let port = free_udp_port_on(ip)?;
        let addr = SocketAddr::from((ip, port));
        let community = self
            .ro_communities
            .first()
            .or(self.rw_communities.first())
            .cloned()
            .unwrap_or_else(|| "public".into());
        let mut cmd = Command::new(bin);
        cmd.arg("-f")
            .arg("-Lo")
            .arg("-C")
            .arg("-c")
            .arg(&path)
            .arg("-p")
            .arg(dir.path().join("snmpd.pid"));
        if !self.smux {
            cmd.arg("-I").arg("-smux");
        }
        cmd.arg(format!("udp:{ip}:{port}"));
        let smux = self.smux;
        spawn("snmpd", dir, addr, &mut cmd, move |a| {
            snmp_ready(a, &community) && (!smux || tcp_ready(SocketAddr::new(a.ip(), SMUX_PORT)))
        })
    }
}

/// An SNMPv1 GetRequest for sysDescr.0 with the given community.
pub fn snmp_get_sysdescr(community: &str, request_id: u8) -> Vec<u8> {
    jcstar_wire::snmp::encode_get_sys_descr(
        jcstar_wire::snmp::Version::V1,
        community.as_bytes(),
        i64::from(request_id),
    )
}

fn snmp_ready(addr: SocketAddr, community: &str) -> bool {
    let Ok(s) = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)) else {
        return false;
    };
    if s.connect(addr).is_err() {
        return false;
    }
    let _ = s.set_read_timeout(Some(Duration::from_millis(300)));
    if s.send(&snmp_get_sysdescr(community, 1)).is_err() {
        return false;
    }
    let mut buf = [0u8; 1500];
    matches!(s.recv(&mut buf), Ok(n) if n > 0)
}

/// inetutils telnetd started per connection by inetutils-inetd in the foreground.
#[derive(Debug, Clone, Default)]
pub struct Telnetd {}

impl Telnetd {
    /// Listens on 127.0.0.1.
    pub fn start(&self) -> Result<Daemon, DaemonError> {
        self.start_on(Ipv4Addr::LOCALHOST)
    }

    /// Listens on `ip` (a 127.0.0.N address).
    pub fn start_on(&self, ip: Ipv4Addr) -> Result<Daemon, DaemonError> {
        let ip = loopback(ip)?;
        let inetd = require("/usr/sbin/inetutils-inetd", "inetutils-inetd")?;
        let telnetd = require("/usr/sbin/telnetd", "inetutils-telnetd")?;
        let dir = tempdir("telnetd")?;
        let port = free_tcp_port_on(ip)?;
        let addr = SocketAddr::from((ip, port));
        let path = dir.path().join("inetd.conf");
        write(
            &path,
            &format!(
                "{ip}:{port} stream tcp nowait root {} telnetd\n",
                telnetd.display()
            ),
        )?;
        let mut cmd = Command::new(inetd);
        cmd.arg("-d").arg(&path);
        spawn("inetutils-inetd", dir, addr, &mut cmd, tcp_ready)
    }
}

/// vsftpd, standalone, for local accounts (see [`SystemUser`]) through PAM;
/// anonymous logins off unless `anonymous`. Its own login defences stay at
/// their defaults: a one-second delay after a failed login and a hang-up
/// after three (`delay_failed_login`, `max_login_fails`).
#[derive(Debug, Clone, Default)]
pub struct Vsftpd {
    /// `anonymous_enable`.
    pub anonymous: bool,
}

impl Vsftpd {
    /// Listens on 127.0.0.1.
    pub fn start(&self) -> Result<Daemon, DaemonError> {
        self.start_on(Ipv4Addr::LOCALHOST)
    }

    /// Listens on `ip` (a 127.0.0.N address). Needs root: vsftpd checks
    /// passwords through PAM and drops to the user.
    pub fn start_on(&self, ip: Ipv4Addr) -> Result<Daemon, DaemonError> {
        let ip = loopback(ip)?;
        let bin = require("/usr/sbin/vsftpd", "vsftpd")?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return Err(DaemonError::NotRoot);
        }
        let dir = tempdir("vsftpd")?;
        // vsftpd refuses a chroot directory anyone may write to, and the
        // temporary directory is the daemon's own.
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).map_err(io("creating the empty directory"))?;
        let port = free_tcp_port_on(ip)?;
        let addr = SocketAddr::from((ip, port));
        let conf = dir.path().join("vsftpd.conf");
        write(
            &conf,
            &format!(
                "listen=YES\nlisten_ipv6=NO\nlisten_address={ip}\nlisten_port={port}\n\
                 background=NO\nanonymous_enable={}\nlocal_enable=YES\nwrite_enable=NO\n\
                 pam_service_name=vsftpd\nsecure_chroot_dir={}\n\
                 seccomp_sandbox=NO\nconnect_from_port_20=NO\npasv_enable=NO\n\
                 xferlog_enable=NO\nuse_localtime=NO\n",
                if self.anonymous { "YES" } else { "NO" },
                empty.display()
            ),
        )?;
        let mut cmd = Command::new(bin);
        cmd.arg(&conf);
        spawn("vsftpd", dir, addr, &mut cmd, ftp_ready)
    }
}

fn ftp_ready(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).is_ok() && &buf == b"220 "
}

/// A throwaway local account with a random password, removed on drop.
#[derive(Debug)]
pub struct SystemUser {
    /// Login name (`jcs` and a random suffix).
    pub name: String,
    /// Its random password.
    pub password: String,
}

impl SystemUser {
    /// Creates `jcs` + random suffix with a random password (needs root).
    pub fn create() -> Result<SystemUser, DaemonError> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return Err(DaemonError::NotRoot);
        }
        let mut rnd = [0u8; 12];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut rnd))
            .map_err(io("reading /dev/urandom"))?;
        let hex: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
        let name = format!("jcs{}", &hex[..8]);
        let password = format!("Pw-{}", &hex[8..]);
        run_ok(
            Command::new("useradd")
                .args(["-M", "-s", "/bin/sh", "-d", "/tmp"])
                .arg(&name),
        )?;
        let user = SystemUser { name, password };
        let mut child = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(io("running chpasswd"))?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write as _;
            writeln!(stdin, "{}:{}", user.name, user.password)
                .map_err(io("writing to chpasswd"))?;
        }
        let out = child
            .wait_with_output()
            .map_err(io("waiting for chpasswd"))?;
        if !out.status.success() {
            return Err(DaemonError::Command {
                command: "chpasswd".into(),
                output: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        Ok(user)
    }
}

impl Drop for SystemUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel")
            .arg(&self.name)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
