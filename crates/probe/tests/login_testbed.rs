//! Every adapter against the simulated login services, the default-credential
//! check, and hostile services (garbage, stalls) that must give errors within
//! the deadline.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::time::{Duration, Instant};

use jcstar_probe::login::creds;
use jcstar_probe::login::defaults::{self, DefaultsOptions, DefaultsStatus};
use jcstar_probe::login::{Adapter, Attempt, LoginAdapter, LoginKind, ServiceSpec};
use jcstar_testbed::auth::{AuthConfig, AuthDevice, AuthService, Policy};
use tokio::io::AsyncWriteExt;

const USER: &str = "admin";
const PASS: &str = "Cam-3xq-Secret";

/// A device on `ip`, a loopback address of the test's own, so tests
/// running at the same time never reach each other's devices.
async fn device(ip: &str, password: &str) -> AuthDevice {
    AuthDevice::start_at(
        AuthConfig::new(USER, password, Policy::None),
        &[
            AuthService::Http,
            AuthService::Form,
            AuthService::Telnet,
            AuthService::Ftp,
            AuthService::Mqtt,
        ],
        ip.parse().expect("address"),
    )
    .await
    .expect("testbed device starts")
}

fn specs(dev: &AuthDevice) -> Vec<ServiceSpec> {
    let http = dev.addr(AuthService::Http).expect("http");
    let mut v = vec![
        ServiceSpec::new(LoginKind::HttpBasic, http),
        ServiceSpec::new(LoginKind::HttpDigest, http).with_path("/digest"),
        ServiceSpec::new(
            LoginKind::HttpForm,
            dev.addr(AuthService::Form).expect("form"),
        ),
        ServiceSpec::new(
            LoginKind::Telnet,
            dev.addr(AuthService::Telnet).expect("telnet"),
        ),
        ServiceSpec::new(LoginKind::Ftp, dev.addr(AuthService::Ftp).expect("ftp")),
        ServiceSpec::new(LoginKind::Mqtt, dev.addr(AuthService::Mqtt).expect("mqtt")),
    ];
    let mut v5 = ServiceSpec::new(LoginKind::Mqtt, dev.addr(AuthService::Mqtt).expect("mqtt"));
    v5.mqtt_level = 5;
    v.push(v5);
    v
}

#[tokio::test]
async fn each_adapter_tells_right_from_wrong() {
    let dev = device("127.0.0.71", PASS).await;
    for spec in specs(&dev) {
        let a = Adapter::prepare(&spec, Duration::from_secs(3))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", spec.describe()));
        let ok = a.try_login(USER, PASS).await;
        assert!(
            ok.is_success(),
            "{}: right password gave {ok:?}",
            spec.describe()
        );
        let bad = a.try_login(USER, "wrong-password").await;
        assert!(
            matches!(bad, Attempt::Failure { .. }),
            "{}: wrong password gave {bad:?}",
            spec.describe()
        );
        let bad_user = a.try_login("nobody", PASS).await;
        assert!(
            matches!(bad_user, Attempt::Failure { .. }),
            "{}: wrong user gave {bad_user:?}",
            spec.describe()
        );
    }
}

#[tokio::test]
async fn form_adapter_learns_fields_and_failure_text() {
    let dev = device("127.0.0.72", PASS).await;
    let spec = ServiceSpec::new(
        LoginKind::HttpForm,
        dev.addr(AuthService::Form).expect("form"),
    );
    // The path "/" redirects to /login; the adapter follows it.
    let a = jcstar_probe::login::form::FormAdapter::learn(&spec, Duration::from_secs(3))
        .await
        .expect("form found");
    assert_eq!(a.failure.status, 200);
    assert!(a.failure.has_password_input);
    assert_eq!(
        a.failure.failure_text.as_deref(),
        Some("Invalid user name or password.")
    );
}

#[tokio::test]
async fn default_pairs_are_found_or_reported_as_not_accepted() {
    let builtin = creds::builtin().expect("built-in list");
    // A device still on admin/admin: found with the first pair.
    let dev = device("127.0.0.73", "admin").await;
    let spec = ServiceSpec::new(
        LoginKind::Telnet,
        dev.addr(AuthService::Telnet).expect("telnet"),
    );
    let a = Adapter::prepare(&spec, Duration::from_secs(3))
        .await
        .expect("adapter");
    let plan = creds::plan(&[], &builtin, LoginKind::Telnet, 10);
    let r = defaults::check(
        &a,
        "telnet",
        LoginKind::Telnet,
        &plan,
        &DefaultsOptions::default(),
        &mut |_| {},
    )
    .await;
    assert_eq!(r.status, DefaultsStatus::Fail, "{}", r.summary);
    assert_eq!(
        r.accepted.as_ref().map(|p| p.password.as_str()),
        Some("admin")
    );
    // Only the guesses already in flight with the first one are sent.
    assert!(
        (1..=DefaultsOptions::default().concurrency).contains(&r.tried),
        "{}",
        r.tried
    );

    // A device with its own password: ten pairs, none accepted.
    let dev = device("127.0.0.74", PASS).await;
    for kind in [LoginKind::HttpBasic, LoginKind::Mqtt, LoginKind::Ftp] {
        let addr = match kind {
            LoginKind::HttpBasic => dev.addr(AuthService::Http),
            LoginKind::Mqtt => dev.addr(AuthService::Mqtt),
            _ => dev.addr(AuthService::Ftp),
        }
        .expect("service");
        let a = Adapter::prepare(&ServiceSpec::new(kind, addr), Duration::from_secs(3))
            .await
            .expect("adapter");
        let plan = creds::plan(&[], &builtin, kind, 10);
        let r = defaults::check(
            &a,
            kind.name(),
            kind,
            &plan,
            &DefaultsOptions::default(),
            &mut |_| {},
        )
        .await;
        assert_eq!(r.status, DefaultsStatus::PassForTested, "{}", r.summary);
        assert_eq!(r.tried, 10);
        assert!(r.summary.to_string().contains("none accepted"));
    }

    // A user-supplied pair comes first and is found.
    let user = creds::parse_user_file("mine.txt", &format!("{USER}:{PASS}\n")).expect("parses");
    let plan = creds::plan(&user, &builtin, LoginKind::Ftp, 10);
    let a = Adapter::prepare(
        &ServiceSpec::new(LoginKind::Ftp, dev.addr(AuthService::Ftp).expect("ftp")),
        Duration::from_secs(3),
    )
    .await
    .expect("adapter");
    let r = defaults::check(
        &a,
        "ftp",
        LoginKind::Ftp,
        &plan,
        &DefaultsOptions::default(),
        &mut |_| {},
    )
    .await;
    assert_eq!(r.status, DefaultsStatus::Fail);
    assert!(
        r.accepted
            .is_some_and(|p| p.source.starts_with("user-supplied"))
    );
}

#[tokio::test]
async fn default_check_stops_at_a_lockout() {
    let dev = AuthDevice::start_at(
        AuthConfig::new(
            USER,
            PASS,
            Policy::Lockout {
                after: 3,
                window_ms: 60_000,
            },
        ),
        &[AuthService::Http],
        "127.0.0.76".parse().expect("address"),
    )
    .await
    .expect("device");
    let builtin = creds::builtin().expect("built-in list");
    let a = Adapter::prepare(
        &ServiceSpec::new(
            LoginKind::HttpBasic,
            dev.addr(AuthService::Http).expect("http"),
        ),
        Duration::from_secs(3),
    )
    .await
    .expect("adapter");
    let plan = creds::plan(&[], &builtin, LoginKind::HttpBasic, 10);
    // One guess at a time: the fourth is the first refused, and nothing after.
    let one = DefaultsOptions {
        concurrency: 1,
        ..DefaultsOptions::default()
    };
    let r = defaults::check(&a, "http", LoginKind::HttpBasic, &plan, &one, &mut |_| {}).await;
    assert_eq!(r.status, DefaultsStatus::Inconclusive, "{}", r.summary);
    assert_eq!(r.tried, 4);
    assert!(
        r.summary.to_string().contains("after 4 pairs"),
        "{}",
        r.summary
    );

    // In parallel, at most the guesses already in flight follow the refusal.
    dev.reset_counters();
    let opts = DefaultsOptions::default();
    let mut seen = 0;
    let r = defaults::check(&a, "http", LoginKind::HttpBasic, &plan, &opts, &mut |_| {
        seen += 1
    })
    .await;
    assert_eq!(r.status, DefaultsStatus::Inconclusive, "{}", r.summary);
    assert!(
        (4..=3 + opts.concurrency).contains(&r.tried),
        "{} pairs tried",
        r.tried
    );
    assert_eq!(seen, r.tried);
    assert!(r.results.iter().any(|p| p.outcome.is_refusal()));
}

#[tokio::test]
async fn parallel_check_finds_the_last_pair_and_keeps_the_budget() {
    let dev = device("127.0.0.75", PASS).await;
    let addr = dev.addr(AuthService::Http).expect("http");
    let a = Adapter::prepare(
        &ServiceSpec::new(LoginKind::HttpBasic, addr),
        Duration::from_secs(3),
    )
    .await
    .expect("adapter");
    let mut text: String = (0..199).map(|i| format!("{USER}:wrong-{i}\n")).collect();
    text.push_str(&format!("{USER}:{PASS}\n"));
    let list = creds::parse_user_file("list.txt", &text).expect("parses");
    for tasks in [1, 4, 16] {
        let opts = DefaultsOptions {
            limit: 200,
            concurrency: tasks,
            ..DefaultsOptions::default()
        };
        let r = defaults::check(&a, "http", LoginKind::HttpBasic, &list, &opts, &mut |_| {}).await;
        assert_eq!(
            r.status,
            DefaultsStatus::Fail,
            "{tasks} tasks: {}",
            r.summary
        );
        assert_eq!(r.tried, 200, "{tasks} tasks");
        assert_eq!(r.accepted.as_ref().map(|p| p.password.as_str()), Some(PASS));
        // Results come back in list order whatever order they finished in.
        assert_eq!(r.results.last().map(|p| p.password.as_str()), Some(PASS));
        assert_eq!(
            r.results.first().map(|p| p.password.as_str()),
            Some("wrong-0")
        );
    }
    // A budget smaller than the list is never exceeded.
    let opts = DefaultsOptions {
        limit: 37,
        concurrency: 8,
        ..DefaultsOptions::default()
    };
    let r = defaults::check(&a, "http", LoginKind::HttpBasic, &list, &opts, &mut |_| {}).await;
    assert_eq!(r.tried, 37);
    assert_eq!(r.status, DefaultsStatus::PassForTested, "{}", r.summary);
}

/// A TCP service that answers every connection with `reply` and then either
/// closes or stalls.
async fn hostile(reply: &'static [u8], stall: bool) -> std::net::SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.78:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let _ = s.write_all(reply).await;
                if stall {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn hostile_services_give_errors_within_the_deadline() {
    let garbage: &'static [u8] = b"\xff\xfe\x00garbage\x1b[2J\r\n\xff\xff\xff\xff\x10\x20";
    let huge: &'static [u8] = Box::leak(vec![b'A'; 2_000_000].into_boxed_slice());
    let timeout = Duration::from_millis(800);
    for (reply, stall) in [
        (garbage, false),
        (garbage, true),
        (&b""[..], true),
        (huge, false),
    ] {
        let addr = hostile(reply, stall).await;
        for kind in [
            LoginKind::HttpBasic,
            LoginKind::HttpDigest,
            LoginKind::SshPassword,
            LoginKind::Telnet,
            LoginKind::Ftp,
            LoginKind::Mqtt,
        ] {
            let t0 = Instant::now();
            let a = Adapter::prepare(&ServiceSpec::new(kind, addr), timeout)
                .await
                .expect("adapter");
            let r = a.try_login("root", "x").await;
            assert!(
                r.error_text().is_some(),
                "{} against garbage (stall {stall}) gave {r:?}",
                kind.name()
            );
            assert!(
                t0.elapsed() < timeout * 3,
                "{} took {:?}",
                kind.name(),
                t0.elapsed()
            );
        }
        // The form adapter cannot even learn a form from it.
        let form = Adapter::prepare(&ServiceSpec::new(LoginKind::HttpForm, addr), timeout).await;
        assert!(form.is_err());
    }
}

#[tokio::test]
async fn form_adapter_will_not_learn_from_a_lockout_page() {
    let dev = AuthDevice::start_at(
        AuthConfig::new(
            USER,
            PASS,
            Policy::Lockout {
                after: 2,
                window_ms: 60_000,
            },
        ),
        &[AuthService::Http, AuthService::Form],
        "127.0.0.77".parse().expect("address"),
    )
    .await
    .expect("device");
    let form = ServiceSpec::new(
        LoginKind::HttpForm,
        dev.addr(AuthService::Form).expect("form"),
    )
    .with_path("/login");
    // Learnt while the account is open: fine.
    Adapter::prepare(&form, Duration::from_secs(3))
        .await
        .expect("learns on an open account");
    dev.reset_counters();
    // The shared account is locked through another service first.
    let basic = Adapter::prepare(
        &ServiceSpec::new(
            LoginKind::HttpBasic,
            dev.addr(AuthService::Http).expect("http"),
        ),
        Duration::from_secs(3),
    )
    .await
    .expect("adapter");
    for _ in 0..3 {
        basic.try_login(USER, "wrong").await;
    }
    let err = Adapter::prepare(&form, Duration::from_secs(3))
        .await
        .err()
        .expect("a locked device must not be learnt from");
    assert!(err.to_string().contains("refusing logins"), "{err}");
}
