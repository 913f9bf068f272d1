//! Guided persistence run (S1.1-06, -10, -14, -15): read the firmware version
//! and model number, change the password, cut the power, delete user data,
//! and check after each step what survived.
//!
//! The steps that need the outside world (changing the password, cutting
//! the power, deleting data) go through a [`Tester`] the caller provides: a
//! command, a prompt to a person, or a testbed control. Every step is
//! recorded with its time and what was observed; the verdicts per criterion
//! say only what these observations show.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::text::excerpt;
use super::{Adapter, Attempt, LoginAdapter, ServiceSpec};
use crate::reason::Reason;
use crate::report::{CriterionVerdict, Verdict};

/// Where the device shows its firmware version and model number.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum InfoSource {
    /// An HTTP page (optionally behind Basic authentication).
    HttpPage {
        addr: SocketAddr,
        path: String,
        #[serde(default)]
        basic_auth: Option<(String, String)>,
    },
    /// A UPnP device description (XML with `<modelNumber>` etc.).
    Upnp {
        addr: SocketAddr,
        path: String,
    },
    SshBanner {
        addr: SocketAddr,
    },
    TelnetBanner {
        addr: SocketAddr,
    },
    /// sysDescr.0 with this community.
    Snmp {
        addr: SocketAddr,
        community: String,
    },
    /// The first message on an MQTT topic (retained or published soon).
    MqttTopic {
        addr: SocketAddr,
        topic: String,
        #[serde(default)]
        username: Option<String>,
        #[serde(default)]
        password: Option<String>,
    },
}

impl InfoSource {
    pub fn describe(&self) -> String {
        match self {
            InfoSource::HttpPage { addr, path, .. } => format!("http://{addr}{path}"),
            InfoSource::Upnp { addr, path } => format!("UPnP description http://{addr}{path}"),
            InfoSource::SshBanner { addr } => format!("SSH banner {addr}"),
            InfoSource::TelnetBanner { addr } => format!("Telnet banner {addr}"),
            InfoSource::Snmp { addr, .. } => format!("SNMP sysDescr {addr}"),
            InfoSource::MqttTopic { addr, topic, .. } => format!("MQTT topic {topic:?} on {addr}"),
        }
    }
}

/// Patterns that pull the version and model out of the text a source gave.
#[derive(Debug, Clone)]
pub struct Extractors {
    pub firmware: Regex,
    pub model: Regex,
}

pub const DEFAULT_FIRMWARE_RE: &str = r#"(?i)(?:firmware|fw|software)[ _-]*(?:version|ver\.?)?["']?\s*[:=]?\s*["']?v?([0-9][0-9A-Za-z._-]*)"#;
pub const DEFAULT_MODEL_RE: &str =
    r#"(?i)model[ _-]*(?:number|no\.?|name)?["']?\s*[:=]\s*["']?([A-Za-z0-9][A-Za-z0-9._/-]*)"#;

impl Default for Extractors {
    fn default() -> Self {
        Extractors {
            // Both patterns are constants checked by the unit tests.
            firmware: Regex::new(DEFAULT_FIRMWARE_RE).unwrap_or_else(|_| unreachable!()),
            model: Regex::new(DEFAULT_MODEL_RE).unwrap_or_else(|_| unreachable!()),
        }
    }
}

impl Extractors {
    /// Custom patterns; the first capture group (or the whole match) is the value.
    pub fn new(firmware: Option<&str>, model: Option<&str>) -> Result<Extractors, regex::Error> {
        let d = Extractors::default();
        Ok(Extractors {
            firmware: match firmware {
                Some(r) => Regex::new(r)?,
                None => d.firmware,
            },
            model: match model {
                Some(r) => Regex::new(r)?,
                None => d.model,
            },
        })
    }
}

fn capture(re: &Regex, text: &str) -> Option<String> {
    let c = re.captures(text)?;
    let m = c.get(1).or_else(|| c.get(0))?;
    let v = m.as_str().trim().trim_end_matches(['.', ',']);
    (!v.is_empty()).then(|| v.chars().take(80).collect())
}

/// Firmware version and model number as read from the device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub firmware: Option<String>,
    pub firmware_source: Option<String>,
    pub model: Option<String>,
    pub model_source: Option<String>,
    /// What each source returned (bounded excerpts) or why it failed.
    pub observations: Vec<String>,
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml.get(start..)?.find('<')? + start;
    Some(xml.get(start..end)?.trim().to_string())
}

async fn fetch_source(src: &InfoSource, timeout: Duration) -> Result<String, String> {
    match src {
        InfoSource::HttpPage {
            addr,
            path,
            basic_auth,
        } => {
            let mut headers = Vec::new();
            if let Some((u, p)) = basic_auth {
                headers.push(("Authorization".to_string(), super::http::basic_header(u, p)));
            }
            let r = super::http::request(
                *addr,
                &addr.to_string(),
                "GET",
                path,
                &headers,
                None,
                timeout,
            )
            .await
            .map_err(|e| format!("{e:?}"))?;
            if r.status >= 400 {
                return Err(format!("HTTP {}", r.status));
            }
            Ok(strip_tags(&r.body_text()))
        }
        InfoSource::Upnp { addr, path } => {
            let r = super::http::request(*addr, &addr.to_string(), "GET", path, &[], None, timeout)
                .await
                .map_err(|e| format!("{e:?}"))?;
            let xml = r.body_text();
            let mut out = Vec::new();
            for (tag, label) in [
                ("modelNumber", "Model"),
                ("modelName", "Model name"),
                ("softwareVersion", "Firmware version"),
                ("firmwareVersion", "Firmware version"),
            ] {
                if let Some(v) = xml_element(&xml, tag) {
                    out.push(format!("{label}: {v}"));
                }
            }
            if out.is_empty() {
                return Err("no modelNumber/softwareVersion in the description".into());
            }
            Ok(out.join("\n"))
        }
        InfoSource::SshBanner { addr } => super::ssh::banner(*addr, timeout)
            .await
            .ok_or_else(|| "no SSH identification line".to_string()),
        InfoSource::TelnetBanner { addr } => super::telnet::TelnetAdapter::new(*addr, timeout)
            .banner()
            .await
            .ok_or_else(|| "no banner".to_string()),
        InfoSource::Snmp { addr, community } => super::snmp::SnmpAdapter::new(*addr, 2, timeout)
            .sys_descr(community)
            .await?
            .ok_or_else(|| "no answer (wrong community?)".to_string()),
        InfoSource::MqttTopic {
            addr,
            topic,
            username,
            password,
        } => super::mqtt::MqttAdapter::new(*addr, 4, timeout)
            .first_message(topic, username.as_deref(), password.as_deref())
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
    }
}

/// Reads every source; the first that yields a value wins for each field.
pub async fn read_identity(sources: &[InfoSource], ex: &Extractors, timeout: Duration) -> Identity {
    let mut id = Identity::default();
    for src in sources {
        match fetch_source(src, timeout).await {
            Ok(text) => {
                id.observations.push(format!(
                    "{}: {}",
                    src.describe(),
                    excerpt(text.as_bytes(), 200)
                ));
                if id.firmware.is_none()
                    && let Some(v) = capture(&ex.firmware, &text)
                {
                    id.firmware = Some(v);
                    id.firmware_source = Some(src.describe());
                }
                if id.model.is_none()
                    && let Some(v) = capture(&ex.model, &text)
                {
                    id.model = Some(v);
                    id.model_source = Some(src.describe());
                }
            }
            Err(e) => id.observations.push(format!("{}: {e}", src.describe())),
        }
    }
    id
}

/// The actions only the tester (or a command) can perform.
pub trait Tester {
    /// Changes the login password to `new`; returns what was done.
    fn change_password(
        &mut self,
        new: &str,
    ) -> impl std::future::Future<Output = Result<String, String>>;
    /// Cuts the power and restores it; returns what was done.
    fn power_cycle(&mut self) -> impl std::future::Future<Output = Result<String, String>>;
    /// Deletes user data (factory reset or the product's delete function);
    /// `None` when the run should skip this step.
    fn delete_data(&mut self) -> impl std::future::Future<Output = Option<Result<String, String>>>;
}

#[derive(Debug, Clone)]
pub struct PersistencePlan {
    /// The login service used to check passwords.
    pub login: ServiceSpec,
    pub username: String,
    /// The password in use before the run (often the factory default).
    pub old_password: String,
    pub new_password: String,
    pub sources: Vec<InfoSource>,
    pub extractors: Extractors,
    pub timeout: Duration,
    /// How long to wait for the device to come back after a power cycle.
    pub come_back: Duration,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// RFC 3339, UTC.
    pub at: String,
    pub elapsed_ms: u64,
    pub name: String,
    pub observation: String,
    pub ok: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersistenceReport {
    pub login: String,
    pub before: Identity,
    pub after_power_cycle: Option<Identity>,
    pub after_delete: Option<Identity>,
    pub steps: Vec<Step>,
    pub verdicts: Vec<CriterionVerdict>,
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

struct Recorder {
    start: Instant,
    steps: Vec<Step>,
}

impl Recorder {
    fn step(
        &mut self,
        name: &str,
        observation: String,
        ok: Option<bool>,
        progress: &mut dyn FnMut(&Step),
    ) {
        let s = Step {
            at: now_rfc3339(),
            elapsed_ms: u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX),
            name: name.to_string(),
            observation,
            ok,
        };
        progress(&s);
        self.steps.push(s);
    }
}

/// A value read from the device as the tester reads it: `1.0.1`, or
/// "not found".
fn shown(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "not found".into())
}

fn describe_attempt(a: &Attempt) -> String {
    match a {
        Attempt::Error { reason } => format!("error: {reason}"),
        other => other.label().to_string(),
    }
}

/// Polls with `password` until the login service gives a definite answer
/// (accepted or refused) or `limit` passes. Returns that answer.
async fn wait_until_back(
    adapter: &Adapter,
    user: &str,
    password: &str,
    limit: Duration,
) -> Option<(Attempt, Duration)> {
    let start = Instant::now();
    // Give the device a moment to actually go down after the command returns.
    tokio::time::sleep(Duration::from_millis(200)).await;
    while start.elapsed() < limit {
        let a = adapter.try_login(user, password).await;
        if !matches!(a, Attempt::Error { .. }) {
            return Some((a, start.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}

fn cv(criterion: &str, verdict: Verdict, reason: Reason) -> CriterionVerdict {
    CriterionVerdict::new(criterion, verdict, vec![reason])
}

/// Runs the whole guided sequence.
pub async fn run<T: Tester>(
    plan: &PersistencePlan,
    tester: &mut T,
    progress: &mut dyn FnMut(&Step),
) -> PersistenceReport {
    let mut rec = Recorder {
        start: Instant::now(),
        steps: Vec::new(),
    };
    let user = plan.username.as_str();
    let mut report = PersistenceReport {
        login: plan.login.describe(),
        before: Identity::default(),
        after_power_cycle: None,
        after_delete: None,
        steps: Vec::new(),
        verdicts: Vec::new(),
    };

    let before = read_identity(&plan.sources, &plan.extractors, plan.timeout).await;
    rec.step(
        "read firmware version and model number",
        format!(
            "firmware {} ({}), model {} ({}); {}",
            shown(&before.firmware),
            before.firmware_source.as_deref().unwrap_or("not found"),
            shown(&before.model),
            before.model_source.as_deref().unwrap_or("not found"),
            before.observations.join(" | ")
        ),
        Some(before.firmware.is_some()),
        progress,
    );
    report.before = before.clone();

    // Sub-items that only need the identity.
    let mut verdicts = vec![
        cv("S1.1-06①", Verdict::NeedsReview, Reason::UpdateNotExercised),
        match &before.firmware {
            Some(v) => cv(
                "S1.1-06②",
                Verdict::Pass,
                Reason::FirmwareReadable {
                    version: v.clone(),
                    source: before.firmware_source.as_deref().unwrap_or("?").into(),
                },
            ),
            None => cv("S1.1-06②", Verdict::NeedsReview, Reason::FirmwareNotFound),
        },
        match &before.model {
            Some(m) => cv(
                "S1.1-10",
                Verdict::Pass,
                Reason::ModelShown {
                    model: m.clone(),
                    source: before.model_source.as_deref().unwrap_or("?").into(),
                },
            ),
            None => cv("S1.1-10", Verdict::NeedsReview, Reason::ModelNotFound),
        },
    ];

    let adapter = match Adapter::prepare(&plan.login, plan.timeout).await {
        Ok(a) => a,
        Err(e) => {
            rec.step("prepare login", e.to_string(), Some(false), progress);
            verdicts.push(cv(
                "S1.1-14",
                Verdict::NotTested,
                Reason::PersistenceLoginUnusable {
                    error: e.to_string(),
                },
            ));
            verdicts.push(cv(
                "S1.1-15",
                Verdict::NotTested,
                Reason::PersistenceLoginUnusable {
                    error: e.to_string(),
                },
            ));
            report.steps = rec.steps;
            report.verdicts = verdicts;
            return report;
        }
    };

    let old_ok = adapter.try_login(user, &plan.old_password).await;
    rec.step(
        "current password accepted before the change",
        describe_attempt(&old_ok),
        Some(old_ok.is_success()),
        progress,
    );

    let changed = tester.change_password(&plan.new_password).await;
    let new_ok = match &changed {
        Ok(how) => {
            let a = adapter.try_login(user, &plan.new_password).await;
            rec.step(
                "change the password",
                format!("{how}; new password: {}", describe_attempt(&a)),
                Some(a.is_success()),
                progress,
            );
            a.is_success()
        }
        Err(e) => {
            rec.step(
                "change the password",
                format!("failed: {e}"),
                Some(false),
                progress,
            );
            false
        }
    };

    // Power cycle.
    let cycled = tester.power_cycle().await;
    let mut pw_verdict: Option<(bool, Reason)> = None;
    let mut fw_verdict: Option<(bool, Reason)> = None;
    match cycled {
        Err(e) => rec.step("power cycle", format!("failed: {e}"), Some(false), progress),
        Ok(how) => {
            let probe_pw = if new_ok {
                &plan.new_password
            } else {
                &plan.old_password
            };
            match wait_until_back(&adapter, user, probe_pw, plan.come_back).await {
                None => rec.step(
                    "power cycle",
                    format!(
                        "{how}; the login service did not come back within {} s",
                        plan.come_back.as_secs()
                    ),
                    Some(false),
                    progress,
                ),
                Some((_, after)) => {
                    rec.step(
                        "power cycle",
                        format!(
                            "{how}; login service answered again after {} ms",
                            after.as_millis()
                        ),
                        Some(true),
                        progress,
                    );
                    if new_ok {
                        let n = adapter.try_login(user, &plan.new_password).await;
                        let o = adapter.try_login(user, &plan.old_password).await;
                        let kept = n.is_success() && !o.is_success();
                        rec.step(
                            "password after the power cycle",
                            format!(
                                "new password: {}; previous password: {}",
                                describe_attempt(&n),
                                describe_attempt(&o)
                            ),
                            Some(kept),
                            progress,
                        );
                        pw_verdict = Some((
                            kept,
                            if kept {
                                Reason::PasswordKept
                            } else if o.is_success() {
                                Reason::PasswordLost
                            } else {
                                Reason::PasswordAfterPowerCycle {
                                    outcome: describe_attempt(&n),
                                }
                            },
                        ));
                    }
                    let after = read_identity(&plan.sources, &plan.extractors, plan.timeout).await;
                    let same = after.firmware.is_some() && after.firmware == before.firmware;
                    rec.step(
                        "firmware version after the power cycle",
                        format!(
                            "{} (before: {})",
                            shown(&after.firmware),
                            shown(&before.firmware)
                        ),
                        Some(same),
                        progress,
                    );
                    if before.firmware.is_some() {
                        fw_verdict = Some((
                            same,
                            Reason::FirmwareAcrossPowerCycle {
                                before: shown(&before.firmware),
                                after: shown(&after.firmware),
                            },
                        ));
                    }
                    report.after_power_cycle = Some(after);
                }
            }
        }
    }
    // S1.1-14 and S1.1-06③.
    verdicts.push(match (&pw_verdict, &fw_verdict) {
        (Some((true, a)), Some((true, b))) => {
            CriterionVerdict::new("S1.1-14", Verdict::Pass, vec![a.clone(), b.clone()])
        }
        (Some((false, a)), _) | (_, Some((false, a))) => cv("S1.1-14", Verdict::Fail, a.clone()),
        (Some((true, a)), None) => cv(
            "S1.1-14",
            Verdict::NeedsReview,
            Reason::FirmwareNotRead {
                then: Box::new(a.clone()),
            },
        ),
        (None, Some((true, b))) => cv(
            "S1.1-14",
            Verdict::NeedsReview,
            Reason::PasswordPartNotTested {
                then: Box::new(b.clone()),
            },
        ),
        (None, None) => cv("S1.1-14", Verdict::NotTested, Reason::PowerCycleNotRun),
    });
    verdicts.push(match &fw_verdict {
        Some((true, b)) => cv("S1.1-06③", Verdict::Pass, b.clone()),
        Some((false, b)) => cv("S1.1-06③", Verdict::Fail, b.clone()),
        None => cv("S1.1-06③", Verdict::NotTested, Reason::FirmwareNotCompared),
    });

    // User-data deletion.
    match tester.delete_data().await {
        None => {
            rec.step("delete user data", "skipped".into(), None, progress);
            verdicts.push(cv("S1.1-15", Verdict::NotTested, Reason::NoDeletionStep));
        }
        Some(Err(e)) => {
            rec.step(
                "delete user data",
                format!("failed: {e}"),
                Some(false),
                progress,
            );
            verdicts.push(cv(
                "S1.1-15",
                Verdict::Fail,
                Reason::DeletionFailed {
                    error: e.to_string(),
                },
            ));
        }
        Some(Ok(how)) => {
            // After deletion the device may answer to the factory password
            // again; either answer means it is back.
            let back =
                match wait_until_back(&adapter, user, &plan.old_password, plan.come_back).await {
                    Some(b) => Some(b),
                    None => {
                        wait_until_back(&adapter, user, &plan.new_password, Duration::from_secs(1))
                            .await
                    }
                };
            rec.step(
                "delete user data",
                match &back {
                    Some((_, d)) => {
                        format!("{how}; device answered again after {} ms", d.as_millis())
                    }
                    None => format!("{how}; the login service did not come back"),
                },
                Some(back.is_some()),
                progress,
            );
            let n = adapter.try_login(user, &plan.new_password).await;
            let erased = new_ok && !n.is_success();
            rec.step(
                "user-set password after deletion",
                format!("the password set during the run: {}", describe_attempt(&n)),
                Some(erased),
                progress,
            );
            let after = read_identity(&plan.sources, &plan.extractors, plan.timeout).await;
            let kept = after.firmware.is_some() && after.firmware == before.firmware;
            rec.step(
                "firmware version after deletion",
                format!(
                    "{} (before: {})",
                    shown(&after.firmware),
                    shown(&before.firmware)
                ),
                Some(kept),
                progress,
            );
            let mut reasons = Vec::new();
            let erase_ok = if new_ok {
                reasons.push(if erased {
                    Reason::UserPasswordErased
                } else {
                    Reason::UserPasswordNotErased
                });
                Some(erased)
            } else {
                reasons.push(Reason::ErasureNotShown);
                None
            };
            reasons.push(Reason::FirmwareAcrossDeletion {
                before: shown(&before.firmware),
                after: shown(&after.firmware),
            });
            let verdict = match (erase_ok, before.firmware.is_some(), kept) {
                (Some(false), _, _) | (_, true, false) => Verdict::Fail,
                (Some(true), true, true) => Verdict::Pass,
                _ => Verdict::NeedsReview,
            };
            verdicts.push(CriterionVerdict::new("S1.1-15", verdict, reasons));
            report.after_delete = Some(after);
        }
    }
    report.steps = rec.steps;
    report.verdicts = verdicts;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_patterns_read_common_layouts() {
        let ex = Extractors::default();
        for (text, fw) in [
            ("Model: JC-CAM-100 Firmware version: 1.2.3", "1.2.3"),
            (r#"{"model":"X1","firmware":"2.0.1-b7"}"#, "2.0.1-b7"),
            ("Linux cam 4.9; FW v3.10.2 build 5", "3.10.2"),
            ("Software Version = V1.0.0.12", "1.0.0.12"),
        ] {
            assert_eq!(capture(&ex.firmware, text).as_deref(), Some(fw), "{text}");
        }
        assert_eq!(
            capture(&ex.model, "Model: JC-CAM-100 Firmware").as_deref(),
            Some("JC-CAM-100")
        );
        assert_eq!(
            capture(&ex.model, r#"{"model":"X1"}"#).as_deref(),
            Some("X1")
        );
        assert_eq!(capture(&ex.model, "no such thing"), None);
        assert_eq!(
            xml_element(
                "<root><modelNumber> CAM-9 </modelNumber></root>",
                "modelNumber"
            )
            .as_deref(),
            Some("CAM-9")
        );
    }
}
