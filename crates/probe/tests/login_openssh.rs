//! SSH keyboard-interactive against Debian's OpenSSH server (package
//! openssh-server) with PAM, started on a loopback port with its own
//! sshd_config and a throwaway user; also its `MaxAuthTries` limit, which
//! closes a connection after N failures but does not stop guessing on new
//! connections. Needs root (sshd and the user); a missing package fails the
//! test with the package name.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::io::Read as _;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jcstar_probe::login::bruteforce::{self, BruteOptions, BruteVerdict};
use jcstar_probe::login::defaults::{self, DefaultsOptions, DefaultsStatus};
use jcstar_probe::login::{Adapter, Attempt, LoginAdapter, LoginKind, ServiceSpec, creds};
use jcstar_testbed::daemons::{SystemUser, free_tcp_port_on};

const SSHD: &str = "/usr/sbin/sshd";

struct Sshd {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Sshd {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn banner_ready(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).is_ok() && &buf == b"SSH-"
}

/// sshd offering only keyboard-interactive (answered by PAM), with at most
/// `max_auth_tries` failures per connection.
/// sshd on `ip`, a loopback address of the test's own.
fn start_sshd(ip: Ipv4Addr, max_auth_tries: u32) -> Sshd {
    assert!(
        Path::new(SSHD).exists(),
        "{SSHD} not found: install the Debian package `openssh-server`"
    );
    let dir = tempfile::Builder::new()
        .prefix("jcstar-sshd-")
        .tempdir()
        .expect("temporary directory");
    let key = dir.path().join("host_ed25519");
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key));
    // sshd refuses to start without its privilege-separation directory.
    std::fs::create_dir_all("/run/sshd").expect("creating /run/sshd");
    let port = free_tcp_port_on(ip).expect("free port");
    let config = format!(
        "Port {port}\nListenAddress {ip}\nHostKey {key}\nPidFile {pid}\n\
         UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication no\n\
         PubkeyAuthentication no\nPermitRootLogin no\nMaxAuthTries {max_auth_tries}\n\
         StrictModes no\nLogLevel VERBOSE\n",
        key = key.display(),
        pid = dir.path().join("sshd.pid").display(),
    );
    let config_path = dir.path().join("sshd_config");
    std::fs::write(&config_path, config).expect("writing sshd_config");
    let log = std::fs::File::create(dir.path().join("sshd.log")).expect("sshd.log");
    let child = Command::new(SSHD)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(&config_path)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone log"))
        .stderr(log)
        .spawn()
        .expect("starting sshd");
    let addr = SocketAddr::from((ip, port));
    let mut d = Sshd { child, addr, dir };
    let start = Instant::now();
    while !banner_ready(addr) {
        let exited = matches!(d.child.try_wait(), Ok(Some(_)));
        assert!(
            !exited && start.elapsed() < Duration::from_secs(15),
            "sshd did not start:\n{}",
            d.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    d
}

async fn kbd_adapter(addr: SocketAddr) -> Adapter {
    Adapter::prepare(
        &ServiceSpec::new(LoginKind::SshKeyboardInteractive, addr),
        Duration::from_secs(10),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn openssh_keyboard_interactive_success_and_failure() {
    let user = SystemUser::create().unwrap_or_else(|e| panic!("{e}"));
    let d = start_sshd(Ipv4Addr::new(127, 0, 0, 151), 6);
    let a = kbd_adapter(d.addr).await;
    let ok = a.try_login(&user.name, &user.password).await;
    assert!(ok.is_success(), "{ok:?}\n{}", d.log());
    let bad = a.try_login(&user.name, "not-the-password").await;
    assert!(
        matches!(bad, Attempt::Failure { .. }),
        "{bad:?}\n{}",
        d.log()
    );

    // The password method is not offered: the right password is refused.
    let pw = Adapter::prepare(
        &ServiceSpec::new(LoginKind::SshPassword, d.addr),
        Duration::from_secs(10),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let r = pw.try_login(&user.name, &user.password).await;
    assert!(matches!(r, Attempt::Failure { .. }), "{r:?}");

    // The default check in parallel finds the user's pair placed last.
    let text = format!(
        "{u}:wrong-a\n{u}:wrong-b\n{u}:wrong-c\n{u}:{p}\n",
        u = user.name,
        p = user.password
    );
    let list = creds::parse_user_file("list.txt", &text).expect("parses");
    let opts = DefaultsOptions {
        limit: 4,
        ..DefaultsOptions::default()
    };
    let r = defaults::check(
        &a,
        "ssh",
        LoginKind::SshKeyboardInteractive,
        &list,
        &opts,
        &mut |_| {},
    )
    .await;
    assert_eq!(r.status, DefaultsStatus::Fail, "{}\n{}", r.summary, d.log());
    assert_eq!(r.tried, 4);
}

#[tokio::test]
async fn max_auth_tries_closes_connections_but_does_not_stop_guessing() {
    let user = SystemUser::create().unwrap_or_else(|e| panic!("{e}"));
    let d = start_sshd(Ipv4Addr::new(127, 0, 0, 152), 2);
    let a = kbd_adapter(d.addr).await;
    let mut opts = BruteOptions::new(&user.name);
    opts.max_attempts = 5;
    opts.correct_password = Some(user.password.clone());
    let r = bruteforce::run(&a, &opts, &mut |_| {}).await;
    // Five wrong guesses over several connections, each evaluated: the
    // per-connection limit is no defence against a client that reconnects.
    assert_eq!(r.wrong_guesses_evaluated, 5, "{}\n{}", r.reason, d.log());
    assert_eq!(r.verdict, BruteVerdict::DoesNotResist, "{}", r.reason);
    let log = d.log();
    assert!(
        log.contains("Too many authentication failures")
            || log.contains("maximum authentication attempts exceeded"),
        "sshd never applied MaxAuthTries:\n{log}"
    );
}
