//! The adapters against real daemons from Debian packages on loopback:
//! dropbear (password, keyboard-interactive, its per-connection limit),
//! busybox httpd (Basic), mosquitto (password file), inetutils telnetd with
//! /bin/login, snmpd (communities), vsftpd (local accounts through PAM).
//! A missing package fails the test with
//! the package name.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::net::Ipv4Addr;
use std::time::Duration;

use jcstar_probe::login::bruteforce::{self, BruteOptions, BruteVerdict};
use jcstar_probe::login::{Adapter, Attempt, LoginAdapter, LoginKind, ServiceSpec};
use jcstar_testbed::daemons::{
    self, BusyboxHttpd, Dropbear, Mosquitto, Snmpd, SystemUser, Telnetd, Vsftpd,
};

fn must<T>(r: Result<T, daemons::DaemonError>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

async fn adapter(kind: LoginKind, addr: std::net::SocketAddr, timeout: Duration) -> Adapter {
    Adapter::prepare(&ServiceSpec::new(kind, addr), timeout)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn dropbear_password_login() {
    let ip = Ipv4Addr::new(127, 0, 0, 121);
    let user = must(SystemUser::create());
    let d = must(Dropbear::default().start_on(ip));
    let a = adapter(LoginKind::SshPassword, d.addr(), Duration::from_secs(5)).await;
    let ok = a.try_login(&user.name, &user.password).await;
    assert!(ok.is_success(), "{ok:?}\n{}", d.log());
    let bad = a.try_login(&user.name, "not-the-password").await;
    assert!(matches!(bad, Attempt::Failure { .. }), "{bad:?}");
    let nobody = a.try_login("jcs-no-such-user", &user.password).await;
    assert!(matches!(nobody, Attempt::Failure { .. }), "{nobody:?}");
}

#[tokio::test]
async fn dropbear_keyboard_interactive_is_not_offered() {
    let ip = Ipv4Addr::new(127, 0, 0, 122);
    // Dropbear's server implements password and public-key authentication
    // only: keyboard-interactive is refused even with the right password.
    // The adapter must report that as a failure, not an error or a success.
    let user = must(SystemUser::create());
    let d = must(Dropbear::default().start_on(ip));
    let a = adapter(
        LoginKind::SshKeyboardInteractive,
        d.addr(),
        Duration::from_secs(5),
    )
    .await;
    let r = a.try_login(&user.name, &user.password).await;
    assert!(matches!(r, Attempt::Failure { .. }), "{r:?}");
}

#[tokio::test]
async fn dropbear_closes_after_max_tries_per_connection_but_is_not_resistant() {
    let ip = Ipv4Addr::new(127, 0, 0, 123);
    let user = must(SystemUser::create());
    // -T 3: at most three authentication attempts per connection.
    let d = must(
        Dropbear {
            extra_args: vec!["-T".into(), "3".into()],
            ..Default::default()
        }
        .start_on(ip),
    );
    // One connection, driven by hand: the fourth attempt finds it closed.
    {
        use russh::client;
        struct H;
        impl client::Handler for H {
            type Error = russh::Error;
            async fn check_server_key(
                &mut self,
                _k: &russh::keys::PublicKeyOrCertificate,
            ) -> Result<bool, Self::Error> {
                Ok(true)
            }
        }
        let mut h = client::connect(std::sync::Arc::new(client::Config::default()), d.addr(), H)
            .await
            .expect("ssh connect");
        for i in 0..3 {
            let r = h
                .authenticate_password(&user.name, format!("wrong{i}"))
                .await;
            assert!(matches!(r, Ok(ref a) if !a.success()), "attempt {i}: {r:?}");
        }
        let fourth = tokio::time::timeout(
            Duration::from_secs(5),
            h.authenticate_password(&user.name, "wrong3"),
        )
        .await
        .expect("no hang");
        assert!(
            fourth.is_err(),
            "dropbear kept the connection open: {fourth:?}"
        );
    }
    // The adapter reconnects, so the per-connection limit only slows guessing
    // down a little: dropbear on its own does not resist.
    let a = adapter(LoginKind::SshPassword, d.addr(), Duration::from_secs(5)).await;
    let mut o = BruteOptions::new(&user.name);
    o.max_attempts = 10;
    o.correct_password = Some(user.password.clone());
    let r = bruteforce::run(&a, &o, &mut |_| {}).await;
    assert_eq!(r.verdict, BruteVerdict::DoesNotResist, "{}", r.reason);
    assert_eq!(r.wrong_guesses_evaluated, 10);
}

#[tokio::test]
async fn busybox_httpd_basic_auth() {
    let ip = Ipv4Addr::new(127, 0, 0, 124);
    let d = must(
        BusyboxHttpd {
            basic_auth: Some(("admin".into(), "Bx-77-secret".into())),
            realm: None,
        }
        .start_on(ip),
    );
    let a = adapter(LoginKind::HttpBasic, d.addr(), Duration::from_secs(3)).await;
    assert!(a.try_login("admin", "Bx-77-secret").await.is_success());
    let bad = a.try_login("admin", "admin").await;
    assert!(
        matches!(
            bad,
            Attempt::Failure {
                signal: jcstar_probe::login::Signal::Status { code: 401 }
            }
        ),
        "{bad:?}"
    );
    let mut o = BruteOptions::new("admin");
    o.max_attempts = 20;
    let r = bruteforce::run(&a, &o, &mut |_| {}).await;
    assert_eq!(r.verdict, BruteVerdict::DoesNotResist, "{}", r.reason);
}

#[tokio::test]
async fn mosquitto_password_file_both_protocol_levels() {
    let ip = Ipv4Addr::new(127, 0, 0, 125);
    let d = must(
        Mosquitto {
            users: vec![("sensor".into(), "Mq-5-secret".into())],
        }
        .start_on(ip),
    );
    for level in [4u8, 5] {
        let mut spec = ServiceSpec::new(LoginKind::Mqtt, d.addr());
        spec.mqtt_level = level;
        let a = Adapter::prepare(&spec, Duration::from_secs(3))
            .await
            .expect("adapter");
        let ok = a.try_login("sensor", "Mq-5-secret").await;
        assert!(ok.is_success(), "level {level}: {ok:?}\n{}", d.log());
        let bad = a.try_login("sensor", "wrong").await;
        assert!(
            matches!(bad, Attempt::Failure { .. }),
            "level {level}: {bad:?}"
        );
    }
}

#[tokio::test]
async fn telnetd_login_prompts() {
    let ip = Ipv4Addr::new(127, 0, 0, 126);
    let user = must(SystemUser::create());
    let d = must(Telnetd::default().start_on(ip));
    // /bin/login waits a few seconds after a failure.
    let a = adapter(LoginKind::Telnet, d.addr(), Duration::from_secs(12)).await;
    let ok = a.try_login(&user.name, &user.password).await;
    assert!(ok.is_success(), "{ok:?}\n{}", d.log());
    let bad = a.try_login(&user.name, "wrong-password").await;
    assert!(matches!(bad, Attempt::Failure { .. }), "{bad:?}");
}

#[tokio::test]
async fn snmpd_communities() {
    let ip = Ipv4Addr::new(127, 0, 0, 127);
    let d = must(
        Snmpd {
            ro_communities: vec!["s3cret-ro".into()],
            rw_communities: Vec::new(),
            sys_descr: "JC camera fw 2.4.1".into(),
            smux: false,
        }
        .start_on(ip),
    );
    for version in [1u8, 2] {
        let mut spec = ServiceSpec::new(LoginKind::Snmp, d.addr());
        spec.snmp_version = version;
        let a = Adapter::prepare(&spec, Duration::from_secs(2))
            .await
            .expect("adapter");
        let ok = a.try_login("", "s3cret-ro").await;
        match &ok {
            Attempt::Success {
                signal: jcstar_probe::login::Signal::Message { text },
            } => assert!(text.contains("JC camera fw 2.4.1"), "{text}"),
            other => panic!("v{version}: {other:?}"),
        }
        let bad = a.try_login("", "public").await;
        assert!(
            matches!(
                bad,
                Attempt::Failure {
                    signal: jcstar_probe::login::Signal::Timeout
                }
            ),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn dropbear_parallel_default_check_finds_the_last_pair() {
    let ip = Ipv4Addr::new(127, 0, 0, 128);
    use jcstar_probe::login::creds;
    use jcstar_probe::login::defaults::{self, DefaultsOptions, DefaultsStatus};
    let user = must(SystemUser::create());
    let d = must(Dropbear::default().start_on(ip));
    let a = adapter(LoginKind::SshPassword, d.addr(), Duration::from_secs(5)).await;
    let mut text: String = (0..23)
        .map(|i| format!("{}:wrong-{i}\n", user.name))
        .collect();
    text.push_str(&format!("{}:{}\n", user.name, user.password));
    let list = creds::parse_user_file("list.txt", &text).expect("parses");
    // Four connections, several guesses on each: under dropbear's limit of
    // five unauthenticated connections per address, so no guess is lost.
    let opts = DefaultsOptions {
        limit: 24,
        ..DefaultsOptions::default()
    };
    let r = defaults::check(&a, "ssh", LoginKind::SshPassword, &list, &opts, &mut |_| {}).await;
    assert_eq!(r.status, DefaultsStatus::Fail, "{}\n{}", r.summary, d.log());
    assert_eq!(r.tried, 24);
    assert!(
        r.results
            .iter()
            .all(|p| !matches!(p.outcome, Attempt::Error { .. })),
        "{:#?}",
        r.results
    );
}

#[tokio::test]
async fn vsftpd_local_account_login() {
    let ip = Ipv4Addr::new(127, 0, 0, 180);
    let user = must(SystemUser::create());
    let d = must(Vsftpd::default().start_on(ip));
    let a = adapter(LoginKind::Ftp, d.addr(), Duration::from_secs(5)).await;
    let ok = a.try_login(&user.name, &user.password).await;
    assert!(ok.is_success(), "{ok:?}\n{}", d.log());
    // vsftpd answers a wrong password with 530 after its one-second delay.
    let bad = a.try_login(&user.name, "not-the-password").await;
    assert!(
        matches!(bad, Attempt::Failure { .. }),
        "{bad:?}\n{}",
        d.log()
    );
    let nobody = a.try_login("jcs-no-such-user", &user.password).await;
    assert!(matches!(nobody, Attempt::Failure { .. }), "{nobody:?}");
    // Anonymous logins are off: the anonymous account is refused like any other.
    let anon = a.try_login("anonymous", "probe@example.invalid").await;
    assert!(matches!(anon, Attempt::Failure { .. }), "{anon:?}");
}
