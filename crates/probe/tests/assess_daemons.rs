//! `jcstar_probe::assess` against Debian's own login daemons: telnet with
//! `login`'s three-second failure delay (inetutils-telnetd), and OpenSSH
//! whose PAM stack locks an account with pam_faillock (a lock that answers
//! like any wrong password). Needs root (throwaway users, a PAM service of
//! the test's own); a missing package fails the test with its name.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::collections::BTreeMap;
use std::io::Read as _;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jcstar_criteria::Lang;
use jcstar_probe::assess::{
    self, AssessOutcome, AssessPlan, AssessTarget, BruteAnnouncement, BrutePlan, Event, NoTester,
    Observer,
};
use jcstar_probe::login::{LoginKind, ServiceSpec};
use jcstar_probe::{Progress, Verdict};
use jcstar_testbed::daemons::{SystemUser, Telnetd, free_tcp_port_on};

struct Quiet;

impl Observer for Quiet {
    fn event(&mut self, _e: Event<'_>) {}
    fn confirm_brute_force(
        &mut self,
        _a: &BruteAnnouncement,
    ) -> Result<bool, jcstar_probe::assess::Unconfirmed> {
        Ok(true)
    }
}

fn plan(spec: ServiceSpec, user: &SystemUser, attempts: usize) -> AssessPlan {
    let mut users = BTreeMap::new();
    users.insert(spec.kind.name().to_string(), user.name.clone());
    AssessPlan {
        target: AssessTarget::resolve(&spec.addr.ip().to_string()).expect("loopback"),
        scan: None,
        services: vec![spec],
        credentials: Vec::new(),
        default_attempts: 4,
        login_tasks: None,
        brute: Some(BrutePlan {
            user: None,
            users,
            password: Some(user.password.clone()),
            attempts,
            interval: Duration::ZERO,
            max_wait: Duration::from_secs(90),
        }),
        timeout: Duration::from_secs(3),
        persistence: None,
        lang: Lang::En,
        evidence_dir: "evidence".into(),
        vulns: None,
    }
}

async fn run(plan: &AssessPlan) -> AssessOutcome {
    assess::run::<NoTester>(plan, None, &mut Quiet, Arc::new(Progress::default()))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn verdict(o: &AssessOutcome, id: &str) -> Verdict {
    o.report
        .verdicts
        .iter()
        .find(|v| v.criterion == id)
        .map(|v| v.verdict)
        .unwrap_or_else(|| panic!("no {id}: {:#?}", o.report.verdicts))
}

#[tokio::test(flavor = "multi_thread")]
async fn telnet_with_a_three_second_failure_delay_gets_right_verdicts() {
    let user = SystemUser::create().unwrap_or_else(|e| panic!("{e}"));
    let d = Telnetd::default()
        .start_on(Ipv4Addr::new(127, 0, 0, 141))
        .unwrap_or_else(|e| panic!("{e}"));
    let o = run(&plan(
        ServiceSpec::new(LoginKind::Telnet, d.addr()),
        &user,
        6,
    ))
    .await;
    let login = &o.report.extra["login"];
    let account = &login["accounts"][0];
    // The deadline follows the measured delay instead of cutting it off.
    let delay = account["failure_delay_ms"].as_u64().expect("measured");
    assert!(delay >= 1500, "{account:#}");
    assert!(
        account["deadline_ms"].as_u64().unwrap_or(0) > delay,
        "{account:#}"
    );
    assert_eq!(account["account"], user.name.as_str(), "{account:#}");
    // Every default pair was evaluated and refused: the documents decide.
    assert_eq!(verdict(&o, "S1.1-02"), Verdict::NeedsReview, "{login:#}");
    // No lockout: every guess evaluated, 10,000 take well under a day.
    assert_eq!(
        verdict(&o, "S1.1-04"),
        Verdict::Fail,
        "{login:#}\n{}",
        d.log()
    );
    assert_eq!(
        login["brute_force"][0]["report"]["verdict"], "does-not-resist",
        "{login:#}"
    );
}

const SSHD: &str = "/usr/sbin/sshd";

struct Sshd {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    pam: std::path::PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.pam);
    }
}

impl Sshd {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

fn banner_ready(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).is_ok() && &buf == b"SSH-"
}

/// sshd under a name of its own, so that PAM reads a service file of the
/// test's own (OpenSSH names its PAM service after the program): three
/// failures lock the account for 60 s, answered like any wrong password.
fn start_faillock_sshd() -> Sshd {
    assert!(
        Path::new(SSHD).exists(),
        "{SSHD} not found: install the Debian package `openssh-server`"
    );
    assert!(
        Path::new("/usr/lib/x86_64-linux-gnu/security/pam_faillock.so").exists()
            || Path::new("/lib/x86_64-linux-gnu/security/pam_faillock.so").exists(),
        "pam_faillock.so not found: install the Debian package `libpam-modules`"
    );
    let dir = tempfile::Builder::new()
        .prefix("jcstar-faillock-")
        .tempdir()
        .expect("temporary directory");
    let tag: String = dir
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("x")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    let name = format!("jcsfl{}", tag.chars().rev().take(8).collect::<String>());
    let bin = dir.path().join(&name);
    std::os::unix::fs::symlink(SSHD, &bin).expect("symlink");
    let tally = dir.path().join("tally");
    std::fs::create_dir_all(&tally).expect("tally dir");
    let fl = format!("deny=3 unlock_time=60 dir={}", tally.display());
    let pam = Path::new("/etc/pam.d").join(&name);
    std::fs::write(
        &pam,
        format!(
            "auth required pam_faillock.so preauth {fl}\n\
             auth [success=1 default=bad] pam_unix.so\n\
             auth [default=die] pam_faillock.so authfail {fl}\n\
             auth sufficient pam_faillock.so authsucc {fl}\n\
             auth required pam_deny.so\n\
             account required pam_unix.so\n\
             session required pam_permit.so\n"
        ),
    )
    .expect("writing the PAM service file");
    let key = dir.path().join("host_ed25519");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen");
    assert!(out.status.success(), "ssh-keygen failed");
    std::fs::create_dir_all("/run/sshd").expect("creating /run/sshd");
    let ip = Ipv4Addr::new(127, 0, 0, 142);
    let port = free_tcp_port_on(ip).expect("free port");
    let config = format!(
        "Port {port}\nListenAddress {ip}\nHostKey {key}\nPidFile {pid}\n\
         UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication no\n\
         PubkeyAuthentication no\nPermitRootLogin no\nMaxAuthTries 6\n\
         StrictModes no\nLogLevel VERBOSE\n",
        key = key.display(),
        pid = dir.path().join("sshd.pid").display(),
    );
    let config_path = dir.path().join("sshd_config");
    std::fs::write(&config_path, config).expect("writing sshd_config");
    let log = std::fs::File::create(dir.path().join("sshd.log")).expect("sshd.log");
    let child = Command::new(&bin)
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
    let mut d = Sshd {
        child,
        addr,
        dir,
        pam,
    };
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

#[tokio::test(flavor = "multi_thread")]
async fn openssh_with_pam_faillock_resists_and_the_lock_is_found_with_the_right_password() {
    let user = SystemUser::create().unwrap_or_else(|e| panic!("{e}"));
    let d = start_faillock_sshd();
    let o = run(&plan(
        ServiceSpec::new(LoginKind::SshKeyboardInteractive, d.addr),
        &user,
        6,
    ))
    .await;
    let login = &o.report.extra["login"];
    let r = &login["brute_force"][0]["report"];
    assert_eq!(r["verdict"], "resists", "{r:#}\n{}", d.log());
    assert_eq!(r["defence"]["after_attempts"], 3, "{r:#}");
    assert_eq!(r["defence"]["correct_password_refused"], true, "{r:#}");
    assert!(
        r["defence"]["window_ms"].as_u64().unwrap_or(0) >= 50_000,
        "{r:#}"
    );
    assert_eq!(verdict(&o, "S1.1-04"), Verdict::Pass, "{login:#}");
    assert_ne!(verdict(&o, "S1.1-02"), Verdict::Fail, "{login:#}");
}
