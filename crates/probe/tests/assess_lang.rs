//! The assessment report follows the tester's language: a whole
//! `jcstar_probe::assess` run against a simulated device, its Markdown and
//! HTML reports and verdict reasons written in Japanese (the default) or
//! English, from the same typed reasons.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use jcstar_criteria::Lang;
use jcstar_probe::assess::{
    self, AssessOutcome, AssessPlan, AssessTarget, BruteAnnouncement, BrutePlan, Event, NoTester,
    Observer, ScanPlan,
};
use jcstar_probe::login::{LoginKind, ServiceSpec};
use jcstar_probe::{Progress, Verdict};
use jcstar_testbed::auth::{AuthConfig, AuthDevice, AuthService, Policy};

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

/// A device with a password of its own and no brute-force defence, on a
/// loopback address no other test uses.
async fn device(ip: &str) -> AuthDevice {
    let ip: IpAddr = ip.parse().expect("address");
    AuthDevice::start_on(
        AuthConfig::new("admin", "Cam-3xq-Secret", Policy::None),
        &[
            (AuthService::Http, SocketAddr::new(ip, 0)),
            (AuthService::Telnet, SocketAddr::new(ip, 0)),
        ],
        SocketAddr::new(ip, 0),
    )
    .await
    .expect("testbed device starts")
}

async fn assess(dev: &AuthDevice, ip: &str, lang: Lang) -> AssessOutcome {
    let http = dev.addr(AuthService::Http).expect("http");
    let telnet = dev.addr(AuthService::Telnet).expect("telnet");
    let plan = AssessPlan {
        target: AssessTarget::resolve(ip).expect("loopback"),
        scan: Some(ScanPlan {
            tcp: format!("{},{}", http.port(), telnet.port()),
            udp: "none".into(),
        }),
        services: vec![
            ServiceSpec::new(LoginKind::HttpBasic, http),
            ServiceSpec::new(LoginKind::Telnet, telnet),
        ],
        credentials: Vec::new(),
        default_attempts: 3,
        login_tasks: None,
        brute: Some(BrutePlan {
            user: Some("admin".into()),
            users: Default::default(),
            password: None,
            attempts: 8,
            interval: Duration::ZERO,
            max_wait: Duration::from_secs(5),
        }),
        timeout: Duration::from_secs(3),
        persistence: None,
        lang,
        evidence_dir: "evidence".into(),
        vulns: None,
    };
    assess::run::<NoTester>(&plan, None, &mut Quiet, Arc::new(Progress::default()))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn file(o: &AssessOutcome, name: &str) -> String {
    String::from_utf8(o.files.get(name).cloned().expect(name)).expect("utf-8")
}

/// Three English words in a row: a sentence left untranslated. Names the
/// report quotes verbatim (service kinds, file names, code) have no spaces.
fn english_run(s: &str) -> Option<String> {
    let words: Vec<&str> = s.split(|c: char| c.is_whitespace()).collect();
    words
        .windows(3)
        .find(|w| {
            w.iter().all(|x| {
                let t = x.trim_matches(|c: char| !c.is_ascii_alphabetic());
                t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic())
            })
        })
        .map(|w| w.join(" "))
}

#[tokio::test(flavor = "multi_thread")]
async fn report_reasons_follow_the_language() {
    let ip = "127.0.0.41";
    let dev = device(ip).await;
    let o = assess(&dev, ip, Lang::Ja).await;

    // Every criterion the run cites, in verdicts and findings, is one the
    // catalog has (sub-conditions included).
    let catalog = jcstar_criteria::Catalog::star1();
    for id in o
        .report
        .verdicts
        .iter()
        .map(|v| v.criterion)
        .chain(o.report.findings.iter().map(|f| f.criterion))
    {
        assert!(id.exists_in(catalog), "{id} is not in the ★1 catalog");
    }

    // The machine fields stay as they were: English reasons next to the
    // typed ones.
    let s104 = o
        .report
        .verdicts
        .iter()
        .find(|v| v.criterion == "S1.1-04")
        .expect("S1.1-04");
    assert!(!s104.why.is_empty());
    assert!(
        s104.reasons
            .iter()
            .any(|r| r.contains("wrong guesses in a row")),
        "{s104:#?}"
    );
    // No correct password known: a lock answering like a wrong password
    // cannot be ruled out, so the criterion is not failed outright.
    assert_eq!(s104.verdict, Verdict::NeedsReview, "{s104:#?}");

    // Every line the tester reads is Japanese.
    let tested: Vec<&String> = o.rows.iter().flat_map(|r| &r.tested).collect();
    assert!(tested.len() >= 6, "{tested:#?}");
    for t in &tested {
        assert!(english_run(t).is_none(), "English left in {t:?}");
    }
    let md = file(&o, "report.md");
    let html = file(&o, "report.html");
    for needle in [
        "実機評価レポート",
        "初期パスワード",
        "誤ったパスワード 8 回",
        "この判定には限界があります",
        "開いているポート",
        "機器自身が発信する通信",
        "耐性なし",
    ] {
        assert!(md.contains(needle), "{needle} not in\n{md}");
        assert!(html.contains(needle), "{needle} not in the HTML");
    }
    for line in md.lines().filter(|l| l.starts_with("  - ")) {
        assert!(english_run(line).is_none(), "English left in {line:?}");
    }
    assert!(html.contains("<html lang=\"ja\">"));

    // The same run in English reads as before.
    dev.reset_counters();
    let o = assess(&dev, ip, Lang::En).await;
    let md = file(&o, "report.md");
    for needle in [
        "device assessment",
        "default pairs tried, none accepted",
        "8 wrong guesses in a row were evaluated",
        "Limited: no correct password was known",
        "open: ",
        "does-not-resist",
    ] {
        assert!(md.contains(needle), "{needle} not in\n{md}");
    }
    assert!(
        !md.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
        "kana in the English report:\n{md}"
    );
}

/// The note on a login over TLS no adapter covers reads in the tester's
/// language; `login.json` keeps it in English.
#[test]
fn tls_login_note_follows_the_language() {
    use jcstar_probe::report::{
        Access, Port, PortState, Report, Service, ServiceKind as Kind, Transport,
    };
    let mut report: Report = serde_json::from_value(serde_json::json!({
        "schema": "jcstar.probe.report/1",
        "jcstar_version": "0",
        "target": {"input": "127.0.0.1", "address": "127.0.0.1"},
        "started": "", "finished": "", "options": {},
        "stats": {"tcp_scanned": 1, "tcp_open": 1, "tcp_closed": 0, "tcp_filtered": 0,
                  "udp_scanned": 0, "duration_ms": 0},
        "ports": [], "findings": [], "verdicts": [], "extra": {}
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let mut svc = Service::new(Kind::Tls(Box::new(Kind::Telnet)));
    svc.access = Access::Authenticated {
        methods: vec!["password".into()],
    };
    report.ports.push(Port {
        transport: Transport::Tcp,
        port: 8443,
        state: PortState::Open,
        reason: "syn-ack".into(),
        service: Some(svc),
    });
    let (_, skipped) = assess::login_specs(&report);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    let ja = skipped[0].text(Lang::Ja);
    assert!(
        english_run(&ja).is_none() && ja.contains("8443/tcp"),
        "{ja}"
    );
    assert!(ja.contains("確認していません"), "{ja}");
    let en = skipped[0].text(Lang::En);
    assert!(en.contains("is not covered by the login adapters"), "{en}");
}
