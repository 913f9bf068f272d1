//! The guided persistence run against testbed devices that keep or lose the
//! changed password and the updated firmware across a power cut and a
//! user-data deletion.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::net::SocketAddr;
use std::time::Duration;

use jcstar_probe::login::http::{basic_header, request};
use jcstar_probe::login::persistence::{self, Extractors, InfoSource, PersistencePlan, Tester};
use jcstar_probe::login::{LoginKind, ServiceSpec};
use jcstar_probe::reason::{Done, NotDone};
use jcstar_probe::report::Verdict;
use jcstar_testbed::auth::{AuthConfig, AuthDevice, AuthService, Policy};

const USER: &str = "admin";
const FACTORY: &str = "admin";
const NEW: &str = "N3w-Passw0rd-41";

/// Drives the device the way a tester would: the password through the
/// device's own admin page, the power cut and deletion through the
/// testbed's control endpoint.
struct ControlTester {
    http: SocketAddr,
    control: SocketAddr,
    delete: bool,
}

async fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Done, NotDone> {
    let r = request(
        addr,
        &addr.to_string(),
        "POST",
        path,
        headers,
        Some(body),
        Duration::from_secs(3),
    )
    .await
    .map_err(|e| NotDone::Failed {
        error: format!("{e:?}"),
    })?;
    if r.status == 200 {
        Ok(Done::Other {
            text: format!("POST {path}: HTTP 200"),
        })
    } else {
        Err(NotDone::Failed {
            error: format!("POST {path}: HTTP {}", r.status),
        })
    }
}

impl Tester for ControlTester {
    async fn change_password(&mut self, new: &str) -> Result<Done, NotDone> {
        let headers = vec![("Authorization".to_string(), basic_header(USER, FACTORY))];
        post(
            self.http,
            "/admin/password",
            &headers,
            format!("new={new}").as_bytes(),
        )
        .await
    }
    async fn power_cycle(&mut self) -> Result<Done, NotDone> {
        post(self.control, "/power-cut", &[], b"").await
    }
    async fn delete_data(&mut self) -> Option<Result<Done, NotDone>> {
        if self.delete {
            Some(post(self.control, "/delete-data", &[], b"").await)
        } else {
            None
        }
    }
}

/// Runs the checks against a device on `ip`, a loopback address no other
/// test uses.
async fn run(
    ip: &str,
    config: AuthConfig,
    update_to: Option<&str>,
) -> persistence::PersistenceReport {
    let ip = ip.parse().expect("address");
    let dev = AuthDevice::start_at(config, &[AuthService::Http], ip)
        .await
        .expect("device");
    if let Some(v) = update_to {
        dev.update_firmware(v);
    }
    let http = dev.addr(AuthService::Http).expect("http");
    let plan = PersistencePlan {
        login: ServiceSpec::new(LoginKind::HttpBasic, http),
        username: USER.into(),
        old_password: FACTORY.into(),
        new_password: NEW.into(),
        sources: vec![InfoSource::HttpPage {
            addr: http,
            path: "/status".into(),
            basic_auth: None,
        }],
        extractors: Extractors::default(),
        timeout: Duration::from_secs(3),
        come_back: Duration::from_secs(10),
    };
    let mut t = ControlTester {
        http,
        control: dev.control_addr(),
        delete: true,
    };
    let r = persistence::run(&plan, &mut t, &mut |_| {}).await;
    // Every criterion the run cites is one the ★1 catalog has.
    for v in &r.verdicts {
        assert!(
            v.criterion.exists_in(jcstar_criteria::Catalog::star1()),
            "{} is not in the ★1 catalog",
            v.criterion
        );
    }
    r
}

fn verdict(r: &persistence::PersistenceReport, id: &str) -> Verdict {
    r.verdicts
        .iter()
        .find(|v| v.criterion == id)
        .map(|v| v.verdict)
        .unwrap_or_else(|| panic!("no verdict for {id}: {:#?}", r.verdicts))
}

fn config() -> AuthConfig {
    AuthConfig::new(USER, FACTORY, Policy::None)
}

#[tokio::test]
async fn a_device_that_keeps_everything_passes() {
    let r = run("127.0.0.81", config(), Some("1.1.0")).await;
    assert_eq!(r.before.firmware.as_deref(), Some("1.1.0"));
    assert_eq!(r.before.model.as_deref(), Some("JC-CAM-100"));
    for id in ["S1.1-06②", "S1.1-06③", "S1.1-10", "S1.1-14", "S1.1-15"] {
        assert_eq!(verdict(&r, id), Verdict::Pass, "{id}: {:#?}", r.steps);
    }
    assert_eq!(verdict(&r, "S1.1-06①"), Verdict::NeedsReview);
    assert!(r.steps.iter().all(|s| !s.at.is_empty()));
    assert!(r.steps.len() >= 8, "{:#?}", r.steps);
}

#[tokio::test]
async fn a_device_that_forgets_the_password_fails_s1_1_14() {
    let mut c = config();
    c.password_persists = false;
    let r = run("127.0.0.82", c, None).await;
    assert_eq!(verdict(&r, "S1.1-14"), Verdict::Fail, "{:#?}", r.steps);
    let reason = r
        .verdicts
        .iter()
        .find(|v| v.criterion == "S1.1-14")
        .map(|v| v.reasons.join(" "));
    assert!(reason.is_some_and(|t| t.contains("works again")));
    // The firmware was kept, so that sub-item passes.
    assert_eq!(verdict(&r, "S1.1-06③"), Verdict::Pass);
}

#[tokio::test]
async fn firmware_reverting_after_a_power_cut_fails() {
    let mut c = config();
    c.firmware_persists = false;
    let r = run("127.0.0.83", c, Some("1.1.0")).await;
    assert_eq!(verdict(&r, "S1.1-06③"), Verdict::Fail, "{:#?}", r.steps);
    assert_eq!(verdict(&r, "S1.1-14"), Verdict::Fail);
    assert_eq!(
        r.after_power_cycle.and_then(|i| i.firmware).as_deref(),
        Some("1.0.0")
    );
}

#[tokio::test]
async fn firmware_reverting_after_data_deletion_fails_s1_1_15() {
    let mut c = config();
    c.firmware_survives_delete = false;
    let r = run("127.0.0.84", c, Some("1.1.0")).await;
    assert_eq!(verdict(&r, "S1.1-14"), Verdict::Pass, "{:#?}", r.steps);
    assert_eq!(verdict(&r, "S1.1-15"), Verdict::Fail);
}
