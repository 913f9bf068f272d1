//! Brute-force verdicts against the simulated login services: each defence
//! the testbed can switch on must get the verdict the rule in
//! `login::bruteforce` gives it, with the numbers behind it.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::time::Duration;

use jcstar_criteria::Lang;
use jcstar_probe::Verdict as CriterionVerdict;
use jcstar_probe::login::bruteforce::{self, BruteOptions, BruteVerdict, DefenceKind};
use jcstar_probe::login::report::{self as login_report, BruteRun};
use jcstar_probe::login::{Adapter, LoginKind, ServiceSpec};
use jcstar_probe::reason::Reason;
use jcstar_testbed::auth::{AuthConfig, AuthDevice, AuthService, Policy};

const USER: &str = "admin";
const PASS: &str = "Cam-3xq-Secret";

/// A device on `ip`, a loopback address of the test's own, so tests
/// running at the same time never reach each other's devices.
async fn device(ip: &str, policy: Policy, service: AuthService) -> AuthDevice {
    let ip = ip.parse().expect("address");
    AuthDevice::start_at(AuthConfig::new(USER, PASS, policy), &[service], ip)
        .await
        .expect("testbed device starts")
}

async fn adapter(
    dev: &AuthDevice,
    service: AuthService,
    kind: LoginKind,
    timeout: Duration,
) -> Adapter {
    let addr = dev.addr(service).expect("service is running");
    let spec = match kind {
        LoginKind::HttpForm => ServiceSpec::new(kind, addr).with_path("/login"),
        _ => ServiceSpec::new(kind, addr),
    };
    Adapter::prepare(&spec, timeout)
        .await
        .expect("adapter prepares")
}

async fn run(adapter: &Adapter, opts: &BruteOptions) -> bruteforce::BruteReport {
    bruteforce::run(adapter, opts, &mut |_| {}).await
}

fn opts() -> BruteOptions {
    let mut o = BruteOptions::new(USER);
    o.max_attempts = 15;
    o
}

#[tokio::test]
async fn no_protection_does_not_resist() {
    let dev = device("127.0.0.51", Policy::None, AuthService::Http).await;
    let a = adapter(
        &dev,
        AuthService::Http,
        LoginKind::HttpBasic,
        Duration::from_secs(3),
    )
    .await;
    let r = run(&a, &opts()).await;
    assert_eq!(r.verdict, BruteVerdict::DoesNotResist, "{}", r.reason);
    assert_eq!(r.wrong_guesses_evaluated, 15);
    assert!(r.defence.is_none());
    let projected = r.projected_10k_secs.expect("projection");
    assert!(projected < 3600.0, "{projected}");
    assert!(r.accepted_rate_per_s.expect("rate") > 10.0);
}

#[tokio::test]
async fn lockout_after_five_resists() {
    let dev = device(
        "127.0.0.52",
        Policy::Lockout {
            after: 5,
            window_ms: 600_000,
        },
        AuthService::Http,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Http,
        LoginKind::HttpBasic,
        Duration::from_secs(3),
    )
    .await;
    let r = run(&a, &opts()).await;
    assert_eq!(r.verdict, BruteVerdict::Resists, "{}", r.reason);
    let d = r.defence.expect("defence");
    assert_eq!(d.kind, DefenceKind::Lockout);
    assert_eq!(d.after_attempts, 5);
    // 5 evaluated + 3 refusals to confirm, then it stops.
    assert_eq!(r.attempts_sent, 8);
}

#[tokio::test]
async fn short_lockout_is_measured_with_the_correct_password() {
    let dev = device(
        "127.0.0.53",
        Policy::Lockout {
            after: 5,
            window_ms: 2_000,
        },
        AuthService::Http,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Http,
        LoginKind::HttpBasic,
        Duration::from_secs(3),
    )
    .await;
    let mut o = opts();
    o.correct_password = Some(PASS.into());
    o.max_wait = Duration::from_secs(10);
    let r = run(&a, &o).await;
    let d = r.defence.clone().expect("defence");
    assert_eq!(d.correct_password_refused, Some(true), "{}", r.reason);
    assert_eq!(d.lifted, Some(true));
    let w = d.window_ms.expect("measured window");
    assert!((1_500..5_000).contains(&w), "lockout measured as {w} ms");
    // 2,000 windows of ~2 s: well under a day.
    assert_eq!(r.verdict, BruteVerdict::DoesNotResist, "{}", r.reason);
    // The same device judged against a 10-minute threshold resists.
    dev.reset_counters();
    o.threshold = Duration::from_secs(600);
    let r = run(&a, &o).await;
    assert_eq!(r.verdict, BruteVerdict::Resists, "{}", r.reason);
}

#[tokio::test]
async fn progressive_delay_resists() {
    let dev = device(
        "127.0.0.54",
        Policy::ProgressiveDelay { step_ms: 60 },
        AuthService::Http,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Http,
        LoginKind::HttpBasic,
        Duration::from_secs(5),
    )
    .await;
    let mut o = opts();
    o.max_attempts = 12;
    let r = run(&a, &o).await;
    assert_eq!(r.verdict, BruteVerdict::Resists, "{}", r.reason);
    assert_eq!(
        r.defence.map(|d| d.kind),
        Some(DefenceKind::ProgressiveDelay)
    );
    assert!(r.projected_10k_secs.expect("projection") > 86_400.0);
}

#[tokio::test]
async fn rate_limit_with_retry_after_resists() {
    let dev = device(
        "127.0.0.55",
        Policy::RateLimit {
            per_window: 3,
            window_ms: 60_000,
        },
        AuthService::Http,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Http,
        LoginKind::HttpBasic,
        Duration::from_secs(3),
    )
    .await;
    let r = run(&a, &opts()).await;
    assert_eq!(r.verdict, BruteVerdict::Resists, "{}", r.reason);
    let d = r.defence.expect("defence");
    assert_eq!(d.kind, DefenceKind::RateLimit);
    assert_eq!(d.after_attempts, 3);
    assert!(d.window_ms.expect("Retry-After") >= 59_000);
}

#[tokio::test]
async fn form_with_200_error_text_is_never_a_success() {
    // No protection: every wrong password gets 200 + an error text.
    let dev = device("127.0.0.56", Policy::None, AuthService::Form).await;
    let a = adapter(
        &dev,
        AuthService::Form,
        LoginKind::HttpForm,
        Duration::from_secs(3),
    )
    .await;
    let r = run(&a, &opts()).await;
    assert_eq!(r.verdict, BruteVerdict::DoesNotResist, "{}", r.reason);
    assert_eq!(r.wrong_guesses_evaluated, 15);

    // Lockout answered with 200 and "Account locked": a refusal, not a login.
    let dev = device(
        "127.0.0.57",
        Policy::Lockout {
            after: 5,
            window_ms: 600_000,
        },
        AuthService::Form,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Form,
        LoginKind::HttpForm,
        Duration::from_secs(3),
    )
    .await;
    let r = run(&a, &opts()).await;
    assert_eq!(r.verdict, BruteVerdict::Resists, "{}", r.reason);
    let d = r.defence.expect("defence");
    assert_eq!(d.kind, DefenceKind::Lockout);
    // The adapter's own known-bad attempt counted as one failure.
    assert_eq!(d.after_attempts, 4);
}

#[tokio::test]
async fn dropped_connections_are_inconclusive_without_the_password() {
    let dev = device(
        "127.0.0.58",
        Policy::DropAfter {
            after: 5,
            window_ms: 600_000,
        },
        AuthService::Http,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Http,
        LoginKind::HttpBasic,
        Duration::from_secs(3),
    )
    .await;
    let r = run(&a, &opts()).await;
    assert_eq!(r.verdict, BruteVerdict::Inconclusive, "{}", r.reason);
    assert_eq!(r.defence.map(|d| d.kind), Some(DefenceKind::ConnectionDrop));
    assert!(
        r.reason.to_string().contains("after 5 wrong guesses"),
        "{}",
        r.reason
    );
}

#[tokio::test]
async fn dropped_connections_with_the_password_are_measured() {
    let dev = device(
        "127.0.0.59",
        Policy::DropAfter {
            after: 4,
            window_ms: 2_000,
        },
        AuthService::Telnet,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Telnet,
        LoginKind::Telnet,
        Duration::from_secs(3),
    )
    .await;
    let mut o = opts();
    o.correct_password = Some(PASS.into());
    o.max_wait = Duration::from_secs(10);
    let r = run(&a, &o).await;
    let d = r
        .defence
        .clone()
        .unwrap_or_else(|| panic!("no defence: {r:#?}"));
    assert_eq!(d.kind, DefenceKind::ConnectionDrop);
    assert_eq!(d.correct_password_refused, Some(true));
    assert!(
        d.window_ms.is_some_and(|w| (1_000..6_000).contains(&w)),
        "{d:?}"
    );
    assert_eq!(r.verdict, BruteVerdict::DoesNotResist, "{}", r.reason);
}

#[tokio::test]
async fn a_device_slower_than_the_deadline_is_inconclusive() {
    let dev = device(
        "127.0.0.60",
        Policy::Slow { delay_ms: 3_000 },
        AuthService::Http,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Http,
        LoginKind::HttpBasic,
        Duration::from_millis(500),
    )
    .await;
    let r = run(&a, &opts()).await;
    assert_eq!(r.verdict, BruteVerdict::Inconclusive, "{}", r.reason);
    assert_eq!(r.attempts_sent, 3);
}

#[tokio::test]
async fn mqtt5_ban_and_telnet_lockout_resist() {
    let dev = device(
        "127.0.0.61",
        Policy::Lockout {
            after: 5,
            window_ms: 600_000,
        },
        AuthService::Mqtt,
    )
    .await;
    let addr = dev.addr(AuthService::Mqtt).expect("mqtt");
    let mut spec = ServiceSpec::new(LoginKind::Mqtt, addr);
    spec.mqtt_level = 5;
    let a = Adapter::prepare(&spec, Duration::from_secs(3))
        .await
        .expect("adapter");
    let r = run(&a, &opts()).await;
    assert_eq!(r.verdict, BruteVerdict::Resists, "{}", r.reason);
    assert_eq!(r.defence.map(|d| d.after_attempts), Some(5));

    let dev = device(
        "127.0.0.62",
        Policy::Lockout {
            after: 5,
            window_ms: 600_000,
        },
        AuthService::Telnet,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Telnet,
        LoginKind::Telnet,
        Duration::from_secs(3),
    )
    .await;
    let r = run(&a, &opts()).await;
    assert_eq!(r.verdict, BruteVerdict::Resists, "{}", r.reason);
}

#[tokio::test]
async fn lockout_that_still_admits_the_right_password_does_not_resist() {
    let dev = device(
        "127.0.0.63",
        Policy::MessageOnlyLockout { after: 5 },
        AuthService::Http,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Http,
        LoginKind::HttpBasic,
        Duration::from_secs(3),
    )
    .await;
    let mut o = opts();
    o.correct_password = Some(PASS.into());
    let r = run(&a, &o).await;
    assert_eq!(r.verdict, BruteVerdict::DoesNotResist, "{}", r.reason);
    let d = r.defence.expect("defence");
    assert_eq!(d.kind, DefenceKind::Lockout);
    assert_eq!(d.correct_password_refused, Some(false));
}

#[tokio::test]
async fn lockout_longer_than_the_wait_resists() {
    let dev = device(
        "127.0.0.64",
        Policy::Lockout {
            after: 3,
            window_ms: 600_000,
        },
        AuthService::Http,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Http,
        LoginKind::HttpBasic,
        Duration::from_secs(3),
    )
    .await;
    let mut o = opts();
    o.correct_password = Some(PASS.into());
    o.max_wait = Duration::from_secs(2);
    let r = run(&a, &o).await;
    // The lockout blocks the right password too, and outlasts the wait.
    assert_eq!(
        r.defence.as_ref().and_then(|d| d.correct_password_refused),
        Some(true)
    );
    assert_eq!(r.defence.as_ref().and_then(|d| d.lifted), Some(false));
    assert_eq!(r.verdict, BruteVerdict::Resists, "{}", r.reason);
}

/// A lock that answers like a wrong password (pam_faillock's way) cannot be
/// seen without the right password: the result says so, in both languages,
/// and the criterion is left to review instead of failing the device.
#[tokio::test]
async fn silent_lockout_without_the_password_is_a_limited_verdict() {
    let dev = device(
        "127.0.0.65",
        Policy::SilentLockout {
            after: 5,
            window_ms: 600_000,
        },
        AuthService::Http,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Http,
        LoginKind::HttpBasic,
        Duration::from_secs(3),
    )
    .await;
    let r = run(&a, &opts()).await;
    // Every guess looks evaluated: nothing shows the lock.
    assert_eq!(r.wrong_guesses_evaluated, 15, "{}", r.reason);
    assert_eq!(r.verdict, BruteVerdict::DoesNotResist, "{}", r.reason);
    assert!(
        matches!(
            r.reason,
            Reason::NoDefence {
                correct_password_checked: false,
                ..
            }
        ),
        "{:?}",
        r.reason
    );
    let en = r.reason.text(Lang::En);
    assert!(
        en.contains("Limited") && en.contains("correct password"),
        "{en}"
    );
    let ja = r.reason.text(Lang::Ja);
    assert!(
        ja.contains("限界") && ja.contains("正しいパスワード"),
        "{ja}"
    );
    assert!(login_report::limited(&r));

    let v = login_report::brute_verdict(&[BruteRun {
        service: "http-basic".into(),
        report: r.clone(),
    }]);
    assert_eq!(v.verdict, CriterionVerdict::NeedsReview, "{v:#?}");
    assert!(v.reasons_in(Lang::Ja).iter().any(|t| t.contains("限界")));
    assert!(v.reasons.iter().any(|t| t.contains("Limited")));

    // The same device without any lock, with the right password tried
    // afterwards: the verdict is not limited and the criterion fails.
    let open = device("127.0.0.66", Policy::None, AuthService::Http).await;
    let a = adapter(
        &open,
        AuthService::Http,
        LoginKind::HttpBasic,
        Duration::from_secs(3),
    )
    .await;
    let mut o = opts();
    o.correct_password = Some(PASS.into());
    let r = run(&a, &o).await;
    assert_eq!(r.verdict, BruteVerdict::DoesNotResist, "{}", r.reason);
    assert!(!login_report::limited(&r));
    assert!(!r.reason.text(Lang::En).contains("Limited"));
    let v = login_report::brute_verdict(&[BruteRun {
        service: "http-basic".into(),
        report: r,
    }]);
    assert_eq!(v.verdict, CriterionVerdict::Fail, "{v:#?}");
}

/// With the right password the silent lock shows: it is refused after the
/// wrong guesses, and the lock's start and length are measured.
#[tokio::test]
async fn silent_lockout_is_found_with_the_password() {
    let dev = device(
        "127.0.0.67",
        Policy::SilentLockout {
            after: 5,
            window_ms: 2_000,
        },
        AuthService::Http,
    )
    .await;
    let a = adapter(
        &dev,
        AuthService::Http,
        LoginKind::HttpBasic,
        Duration::from_secs(3),
    )
    .await;
    let mut o = opts();
    o.correct_password = Some(PASS.into());
    o.max_wait = Duration::from_secs(10);
    o.threshold = Duration::from_secs(600);
    let r = run(&a, &o).await;
    assert!(
        matches!(r.reason, Reason::HiddenLock { after: 5, .. }),
        "{:?}",
        r.reason
    );
    assert_eq!(r.verdict, BruteVerdict::Resists, "{}", r.reason);
    let d = r.defence.clone().expect("defence");
    assert_eq!(d.correct_password_refused, Some(true));
    assert!(r.reason.text(Lang::Ja).contains("見えないロック"));
}
