//! Guided persistence run (S1.1-06, -10, -14, -15): read the firmware version
//! and model number, change the password, cut the power, delete user data,
//! and check after each step what survived.
//!
//! The steps that need the outside world (changing the password, cutting
//! the power, deleting data) go through a [`Tester`] the caller provides: a
//! command, a prompt to a person, or a testbed control. Every step is
//! recorded with its time and what was observed; the verdicts per criterion
//! say only what these observations show.

use jcstar_criteria::{CriterionId, star1};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use regex::Regex;
use serde::{Deserialize, Serialize};

use jcstar_criteria::Lang;

use super::text::{excerpt, mask};
use super::{Adapter, Attempt, LoginAdapter, ServiceSpec};
use crate::reason::{Done, NotDone, Reason};
use crate::report::{CriterionVerdict, Verdict};

/// Where the device shows its firmware version and model number.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum InfoSource {
    /// An HTTP page (optionally behind Basic authentication).
    HttpPage {
        /// Address of the web server.
        addr: SocketAddr,
        /// Path of the page.
        path: String,
        /// User name and password for Basic authentication, if the page needs it.
        #[serde(default)]
        basic_auth: Option<(String, String)>,
    },
    /// A UPnP device description (XML with `<modelNumber>` etc.).
    Upnp {
        /// Address of the web server.
        addr: SocketAddr,
        /// Path of the description.
        path: String,
    },
    /// The SSH server's version banner.
    SshBanner {
        /// Address of the SSH server.
        addr: SocketAddr,
    },
    /// The Telnet server's greeting.
    TelnetBanner {
        /// Address of the Telnet server.
        addr: SocketAddr,
    },
    /// sysDescr.0 with this community.
    Snmp {
        /// Address of the SNMP agent.
        addr: SocketAddr,
        /// Community string to read with.
        community: String,
    },
    /// The first message on an MQTT topic (retained or published soon).
    MqttTopic {
        /// Address of the broker.
        addr: SocketAddr,
        /// Topic to subscribe to.
        topic: String,
        /// User name for the broker, if it needs one.
        #[serde(default)]
        username: Option<String>,
        /// Password for the broker, if it needs one.
        #[serde(default)]
        password: Option<String>,
    },
}

impl InfoSource {
    /// Where the source is, for the report, e.g. `SSH banner 192.0.2.1:22`.
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
    /// Pattern for the firmware version.
    pub firmware: Regex,
    /// Pattern for the model number.
    pub model: Regex,
}

/// The default firmware-version pattern, e.g. matching `Firmware Version: 1.2.3`.
pub const DEFAULT_FIRMWARE_RE: &str = r#"(?i)(?:firmware|fw|software)[ _-]*(?:version|ver\.?)?["']?\s*[:=]?\s*["']?v?([0-9][0-9A-Za-z._-]*)"#;
/// The default model-number pattern, e.g. matching `Model Number: JC-CAM-100`.
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
    /// Firmware version read, if any.
    pub firmware: Option<String>,
    /// Where it was read.
    pub firmware_source: Option<String>,
    /// Model number read, if any.
    pub model: Option<String>,
    /// Where it was read.
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

/// Why an information source gave nothing to read.
#[derive(Debug, thiserror::Error)]
enum SourceFailure {
    #[error("no HTTP reply: {0:?}")]
    Http(super::http::HttpFailure),
    #[error("HTTP {0}")]
    HttpStatus(u16),
    #[error("no modelNumber/softwareVersion in the description")]
    NoDescriptionFields,
    #[error("no SSH identification line")]
    NoSshBanner,
    #[error("no banner")]
    NoBanner,
    #[error("no answer (wrong community?)")]
    NoSnmpAnswer,
    #[error("{0}")]
    Adapter(String),
}

async fn fetch_source(src: &InfoSource, timeout: Duration) -> Result<String, SourceFailure> {
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
            .map_err(SourceFailure::Http)?;
            if r.status >= 400 {
                return Err(SourceFailure::HttpStatus(r.status));
            }
            Ok(strip_tags(&r.body_text()))
        }
        InfoSource::Upnp { addr, path } => {
            let r = super::http::request(*addr, &addr.to_string(), "GET", path, &[], None, timeout)
                .await
                .map_err(SourceFailure::Http)?;
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
                return Err(SourceFailure::NoDescriptionFields);
            }
            Ok(out.join("\n"))
        }
        InfoSource::SshBanner { addr } => super::ssh::banner(*addr, timeout)
            .await
            .ok_or(SourceFailure::NoSshBanner),
        InfoSource::TelnetBanner { addr } => super::telnet::TelnetAdapter::new(*addr, timeout)
            .banner()
            .await
            .ok_or(SourceFailure::NoBanner),
        InfoSource::Snmp { addr, community } => super::snmp::SnmpAdapter::new(*addr, 2, timeout)
            .sys_descr(community)
            .await
            .map_err(SourceFailure::Adapter)?
            .ok_or(SourceFailure::NoSnmpAnswer),
        InfoSource::MqttTopic {
            addr,
            topic,
            username,
            password,
        } => super::mqtt::MqttAdapter::new(*addr, 4, timeout)
            .first_message(topic, username.as_deref(), password.as_deref())
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(SourceFailure::Adapter),
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
    /// Changes the login password to `new`; says how it was done.
    fn change_password(
        &mut self,
        new: &str,
    ) -> impl std::future::Future<Output = Result<Done, NotDone>>;
    /// Cuts the power and restores it; says how it was done.
    fn power_cycle(&mut self) -> impl std::future::Future<Output = Result<Done, NotDone>>;
    /// Deletes user data (factory reset or the product's delete function);
    /// `None` when the run should skip this step.
    fn delete_data(&mut self) -> impl std::future::Future<Output = Option<Result<Done, NotDone>>>;
}

/// What a persistence run uses: the login, the passwords and where to read the device's identity.
#[derive(Debug, Clone)]
pub struct PersistencePlan {
    /// The login service used to check passwords.
    pub login: ServiceSpec,
    /// The account whose password is changed.
    pub username: String,
    /// The password in use before the run (often the factory default).
    pub old_password: String,
    /// The password the run sets.
    pub new_password: String,
    /// Where the firmware version and model number are read.
    pub sources: Vec<InfoSource>,
    /// Patterns that pull them out of the text.
    pub extractors: Extractors,
    /// Deadline of each network operation.
    pub timeout: Duration,
    /// How long to wait for the device to come back after a power cycle.
    pub come_back: Duration,
}

/// One step of the run, as `persistence.json` records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// RFC 3339, UTC.
    pub at: String,
    /// Milliseconds since the run started.
    pub elapsed_ms: u64,
    /// English, for machines; [`Step::kind`] is the typed form.
    pub name: String,
    /// English, for machines; [`Step::observed`] is the typed form.
    pub observation: String,
    /// Whether the step went as hoped; `None` when that does not apply.
    pub ok: Option<bool>,
    /// What the step does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<StepKind>,
    /// What it observed, with the values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<Observation>,
}

impl Step {
    /// The step's name in `lang` (the recorded English one for a step
    /// without its typed form).
    pub fn name_in(&self, lang: Lang) -> String {
        match self.kind {
            Some(k) => k.text(lang).to_string(),
            None => self.name.clone(),
        }
    }

    /// What the step observed in `lang`.
    pub fn observation_in(&self, lang: Lang) -> String {
        match &self.observed {
            Some(o) => o.text(lang),
            None => self.observation.clone(),
        }
    }

    /// The step as the terminal shows it in `lang`, with the `secrets`
    /// masked unless `show`.
    pub fn line(&self, lang: Lang, secrets: &[&str], show: bool) -> String {
        let mut obs = self.observation_in(lang);
        if !show {
            for p in secrets.iter().filter(|p| p.len() >= 3) {
                obs = obs.replace(p, &mask(p));
            }
        }
        let mark = match self.ok {
            Some(true) => "ok ",
            Some(false) => "NG ",
            None => "-- ",
        };
        format!(
            "[{:>6.1}s] {mark} {}: {obs}",
            self.elapsed_ms as f64 / 1000.0,
            self.name_in(lang)
        )
    }
}

/// What a step of the run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// Read the firmware version and model number.
    ReadIdentity,
    /// Prepare the login service.
    PrepareLogin,
    /// Check the old password before the change.
    PasswordBeforeChange,
    /// Change the password.
    ChangePassword,
    /// Cut and restore the power.
    PowerCycle,
    /// Check the passwords after the power cycle.
    PasswordAfterPowerCycle,
    /// Read the firmware version after the power cycle.
    FirmwareAfterPowerCycle,
    /// Delete the user data.
    DeleteData,
    /// Check the password after the deletion.
    PasswordAfterDeletion,
    /// Read the firmware version after the deletion.
    FirmwareAfterDeletion,
}

impl StepKind {
    /// The step's name in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ja => self.ja(),
            Lang::En => self.en(),
        }
    }

    /// English, as `persistence.json` keeps it in `name`.
    pub fn en(self) -> &'static str {
        use StepKind::*;
        match self {
            ReadIdentity => "read firmware version and model number",
            PrepareLogin => "prepare login",
            PasswordBeforeChange => "current password accepted before the change",
            ChangePassword => "change the password",
            PowerCycle => "power cycle",
            PasswordAfterPowerCycle => "password after the power cycle",
            FirmwareAfterPowerCycle => "firmware version after the power cycle",
            DeleteData => "delete user data",
            PasswordAfterDeletion => "user-set password after deletion",
            FirmwareAfterDeletion => "firmware version after deletion",
        }
    }

    fn ja(self) -> &'static str {
        use StepKind::*;
        match self {
            ReadIdentity => "ファームウェアバージョンと型番の読み取り",
            PrepareLogin => "ログインの準備",
            PasswordBeforeChange => "変更前の現在のパスワードでのログイン",
            ChangePassword => "パスワードの変更",
            PowerCycle => "電源の再投入",
            PasswordAfterPowerCycle => "電源の再投入後のパスワード",
            FirmwareAfterPowerCycle => "電源の再投入後のファームウェアバージョン",
            DeleteData => "利用者データの削除",
            PasswordAfterDeletion => "削除後の利用者設定パスワード",
            FirmwareAfterDeletion => "削除後のファームウェアバージョン",
        }
    }
}

/// A login attempt's outcome as a step records it: the label
/// (`success`, `failure`, ...) and, for an error, its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// `success`, `failure`, `locked-out`, `rate-limited` or `error`.
    pub label: String,
    /// The error text, for an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Outcome {
    fn of(a: &Attempt) -> Outcome {
        Outcome {
            label: a.label().to_string(),
            error: a.error_text(),
        }
    }

    fn en(&self) -> String {
        match &self.error {
            Some(e) => format!("error: {e}"),
            None => self.label.clone(),
        }
    }

    fn ja(&self) -> String {
        match &self.error {
            Some(e) => format!("エラー: {e}"),
            None => crate::reason::signal_text(&self.label, Lang::Ja).to_string(),
        }
    }
}

/// What a step observed, with the values it rests on. `how` and `error`
/// are what became of the tester's action (a command or a person).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum Observation {
    /// The identity read.
    Identity {
        /// Firmware version, if found.
        firmware: Option<String>,
        /// Where it was found.
        firmware_source: Option<String>,
        /// Model number, if found.
        model: Option<String>,
        /// Where it was found.
        model_source: Option<String>,
        /// What each source gave or why it failed.
        sources: Vec<String>,
    },
    /// The login service could not be prepared.
    LoginUnusable {
        /// Why.
        error: String,
    },
    /// A login attempt.
    Login {
        /// Its outcome.
        outcome: Outcome,
    },
    /// The password was changed.
    PasswordChanged {
        /// How the change was carried out.
        how: Done,
        /// A login with the new password.
        new: Outcome,
    },
    /// The tester's action was not carried out.
    Failed {
        /// Why.
        error: NotDone,
    },
    /// The login service did not come back after the action.
    NotBack {
        /// How the action was carried out.
        how: Done,
        /// Seconds waited.
        secs: u64,
    },
    /// The login service answered again after the action.
    Back {
        /// How the action was carried out.
        how: Done,
        /// Milliseconds until it answered.
        ms: u64,
    },
    /// Logins with the new and the previous password.
    PasswordsAfter {
        /// With the new password.
        new: Outcome,
        /// With the previous password.
        previous: Outcome,
    },
    /// Firmware versions compared.
    Firmware {
        /// The version now.
        after: Option<String>,
        /// The version before.
        before: Option<String>,
    },
    /// The step was skipped.
    Skipped,
    /// The device answered again after the action.
    DeviceBack {
        /// How the action was carried out.
        how: Done,
        /// Milliseconds until it answered.
        ms: u64,
    },
    /// The device's login service did not come back after the action.
    DeviceNotBack {
        /// How the action was carried out.
        how: Done,
    },
    /// A login with the password set during the run.
    SetPassword {
        /// Its outcome.
        outcome: Outcome,
    },
}

impl Observation {
    /// The observation in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match lang {
            Lang::Ja => self.ja(),
            Lang::En => self.en(),
        }
    }

    /// English, as `persistence.json` keeps it in `observation`.
    pub fn en(&self) -> String {
        use Observation::*;
        match self {
            Identity {
                firmware,
                firmware_source,
                model,
                model_source,
                sources,
            } => format!(
                "firmware {} ({}), model {} ({}); {}",
                shown(firmware),
                shown(firmware_source),
                shown(model),
                shown(model_source),
                sources.join(" | ")
            ),
            LoginUnusable { error } => error.clone(),
            Login { outcome } => outcome.en(),
            SetPassword { outcome } => {
                format!("the password set during the run: {}", outcome.en())
            }
            PasswordChanged { how, new } => format!("{how}; new password: {}", new.en()),
            Failed { error } => format!("failed: {}", error.text(Lang::En)),
            NotBack { how, secs } => {
                format!("{how}; the login service did not come back within {secs} s")
            }
            Back { how, ms } => format!("{how}; login service answered again after {ms} ms"),
            PasswordsAfter { new, previous } => format!(
                "new password: {}; previous password: {}",
                new.en(),
                previous.en()
            ),
            Firmware { after, before } => {
                format!("{} (before: {})", shown(after), shown(before))
            }
            Skipped => "skipped".into(),
            DeviceBack { how, ms } => format!("{how}; device answered again after {ms} ms"),
            DeviceNotBack { how } => format!("{how}; the login service did not come back"),
        }
    }

    fn ja(&self) -> String {
        use Observation::*;
        match self {
            Identity {
                firmware,
                firmware_source,
                model,
                model_source,
                sources,
            } => format!(
                "ファームウェア {}（{}）、型番 {}（{}）。{}",
                shown_ja(firmware),
                shown_ja(firmware_source),
                shown_ja(model),
                shown_ja(model_source),
                sources.join(" | ")
            ),
            LoginUnusable { error } => format!("ログインサービスを使えません: {error}"),
            Login { outcome } => outcome.ja(),
            SetPassword { outcome } => {
                format!("実行中に設定したパスワードの結果: {}", outcome.ja())
            }
            PasswordChanged { how, new } => {
                format!(
                    "{}。新しいパスワードの結果: {}",
                    how.text(Lang::Ja),
                    new.ja()
                )
            }
            Failed { error } => format!("失敗しました: {}", error.text(Lang::Ja)),
            NotBack { how, secs } => format!(
                "{}。ログインサービスが {secs} 秒以内に応答を再開しませんでした",
                how.text(Lang::Ja)
            ),
            Back { how, ms } => format!(
                "{}。{ms} ミリ秒後にログインサービスが再び応答しました",
                how.text(Lang::Ja)
            ),
            PasswordsAfter { new, previous } => format!(
                "新しいパスワードの結果: {}、変更前のパスワードの結果: {}",
                new.ja(),
                previous.ja()
            ),
            Firmware { after, before } => {
                format!("{}（開始時: {}）", shown_ja(after), shown_ja(before))
            }
            Skipped => "省略しました".into(),
            DeviceBack { how, ms } => {
                format!(
                    "{}。{ms} ミリ秒後に機器が再び応答しました",
                    how.text(Lang::Ja)
                )
            }
            DeviceNotBack { how } => {
                format!(
                    "{}。ログインサービスが応答を再開しませんでした",
                    how.text(Lang::Ja)
                )
            }
        }
    }
}

fn shown_ja(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "見つかりません".into())
}

/// The outcome of a persistence run (S1.1-06, -10, -14, -15).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersistenceReport {
    /// The login service used, described.
    pub login: String,
    /// The identity read before any change.
    pub before: Identity,
    /// The identity read after the power cycle, if it ran.
    pub after_power_cycle: Option<Identity>,
    /// The identity read after the data deletion, if it ran.
    pub after_delete: Option<Identity>,
    /// Every step, in order.
    pub steps: Vec<Step>,
    /// The verdicts of the criteria the run bears on.
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
        kind: StepKind,
        observed: Observation,
        ok: Option<bool>,
        progress: &mut dyn FnMut(&Step),
    ) {
        let s = Step {
            at: now_rfc3339(),
            elapsed_ms: u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX),
            name: kind.en().to_string(),
            observation: observed.en(),
            ok,
            kind: Some(kind),
            observed: Some(observed),
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
    match a.error_text() {
        Some(e) => format!("error: {e}"),
        None => a.label().to_string(),
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
        if a.error_text().is_none() {
            return Some((a, start.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}

fn cv(criterion: CriterionId, verdict: Verdict, reason: Reason) -> CriterionVerdict {
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
        StepKind::ReadIdentity,
        Observation::Identity {
            firmware: before.firmware.clone(),
            firmware_source: before.firmware_source.clone(),
            model: before.model.clone(),
            model_source: before.model_source.clone(),
            sources: before.observations.clone(),
        },
        Some(before.firmware.is_some()),
        progress,
    );
    report.before = before.clone();

    // Sub-items that only need the identity.
    let mut verdicts = vec![
        cv(
            star1::S1_1_06.item(1),
            Verdict::NeedsReview,
            Reason::UpdateNotExercised,
        ),
        match &before.firmware {
            Some(v) => cv(
                star1::S1_1_06.item(2),
                Verdict::Pass,
                Reason::FirmwareReadable {
                    version: v.clone(),
                    source: before.firmware_source.as_deref().unwrap_or("?").into(),
                },
            ),
            None => cv(
                star1::S1_1_06.item(2),
                Verdict::NeedsReview,
                Reason::FirmwareNotFound,
            ),
        },
        match &before.model {
            Some(m) => cv(
                star1::S1_1_10,
                Verdict::Pass,
                Reason::ModelShown {
                    model: m.clone(),
                    source: before.model_source.as_deref().unwrap_or("?").into(),
                },
            ),
            None => cv(star1::S1_1_10, Verdict::NeedsReview, Reason::ModelNotFound),
        },
    ];

    let adapter = match Adapter::prepare(&plan.login, plan.timeout).await {
        Ok(a) => a,
        Err(e) => {
            rec.step(
                StepKind::PrepareLogin,
                Observation::LoginUnusable {
                    error: e.to_string(),
                },
                Some(false),
                progress,
            );
            verdicts.push(cv(
                star1::S1_1_14,
                Verdict::NotTested,
                Reason::PersistenceLoginUnusable {
                    error: e.to_string(),
                },
            ));
            verdicts.push(cv(
                star1::S1_1_15,
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
        StepKind::PasswordBeforeChange,
        Observation::Login {
            outcome: Outcome::of(&old_ok),
        },
        Some(old_ok.is_success()),
        progress,
    );

    let changed = tester.change_password(&plan.new_password).await;
    let new_ok = match &changed {
        Ok(how) => {
            let a = adapter.try_login(user, &plan.new_password).await;
            rec.step(
                StepKind::ChangePassword,
                Observation::PasswordChanged {
                    how: how.clone(),
                    new: Outcome::of(&a),
                },
                Some(a.is_success()),
                progress,
            );
            a.is_success()
        }
        Err(e) => {
            rec.step(
                StepKind::ChangePassword,
                Observation::Failed { error: e.clone() },
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
        Err(e) => rec.step(
            StepKind::PowerCycle,
            Observation::Failed { error: e },
            Some(false),
            progress,
        ),
        Ok(how) => {
            let probe_pw = if new_ok {
                &plan.new_password
            } else {
                &plan.old_password
            };
            match wait_until_back(&adapter, user, probe_pw, plan.come_back).await {
                None => rec.step(
                    StepKind::PowerCycle,
                    Observation::NotBack {
                        how,
                        secs: plan.come_back.as_secs(),
                    },
                    Some(false),
                    progress,
                ),
                Some((_, after)) => {
                    rec.step(
                        StepKind::PowerCycle,
                        Observation::Back {
                            how,
                            ms: u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                        },
                        Some(true),
                        progress,
                    );
                    if new_ok {
                        let n = adapter.try_login(user, &plan.new_password).await;
                        let o = adapter.try_login(user, &plan.old_password).await;
                        let kept = n.is_success() && !o.is_success();
                        rec.step(
                            StepKind::PasswordAfterPowerCycle,
                            Observation::PasswordsAfter {
                                new: Outcome::of(&n),
                                previous: Outcome::of(&o),
                            },
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
                        StepKind::FirmwareAfterPowerCycle,
                        Observation::Firmware {
                            after: after.firmware.clone(),
                            before: before.firmware.clone(),
                        },
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
            CriterionVerdict::new(star1::S1_1_14, Verdict::Pass, vec![a.clone(), b.clone()])
        }
        (Some((false, a)), _) | (_, Some((false, a))) => {
            cv(star1::S1_1_14, Verdict::Fail, a.clone())
        }
        (Some((true, a)), None) => cv(
            star1::S1_1_14,
            Verdict::NeedsReview,
            Reason::FirmwareNotRead {
                then: Box::new(a.clone()),
            },
        ),
        (None, Some((true, b))) => cv(
            star1::S1_1_14,
            Verdict::NeedsReview,
            Reason::PasswordPartNotTested {
                then: Box::new(b.clone()),
            },
        ),
        (None, None) => cv(star1::S1_1_14, Verdict::NotTested, Reason::PowerCycleNotRun),
    });
    verdicts.push(match &fw_verdict {
        Some((true, b)) => cv(star1::S1_1_06.item(3), Verdict::Pass, b.clone()),
        Some((false, b)) => cv(star1::S1_1_06.item(3), Verdict::Fail, b.clone()),
        None => cv(
            star1::S1_1_06.item(3),
            Verdict::NotTested,
            Reason::FirmwareNotCompared,
        ),
    });

    // User-data deletion.
    match tester.delete_data().await {
        None => {
            rec.step(StepKind::DeleteData, Observation::Skipped, None, progress);
            verdicts.push(cv(
                star1::S1_1_15,
                Verdict::NotTested,
                Reason::NoDeletionStep,
            ));
        }
        Some(Err(e)) => {
            rec.step(
                StepKind::DeleteData,
                Observation::Failed { error: e.clone() },
                Some(false),
                progress,
            );
            verdicts.push(cv(
                star1::S1_1_15,
                Verdict::Fail,
                Reason::DeletionFailed { error: e.clone() },
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
                StepKind::DeleteData,
                match &back {
                    Some((_, d)) => Observation::DeviceBack {
                        how,
                        ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
                    },
                    None => Observation::DeviceNotBack { how },
                },
                Some(back.is_some()),
                progress,
            );
            let n = adapter.try_login(user, &plan.new_password).await;
            let erased = new_ok && !n.is_success();
            rec.step(
                StepKind::PasswordAfterDeletion,
                Observation::SetPassword {
                    outcome: Outcome::of(&n),
                },
                Some(erased),
                progress,
            );
            let after = read_identity(&plan.sources, &plan.extractors, plan.timeout).await;
            let kept = after.firmware.is_some() && after.firmware == before.firmware;
            rec.step(
                StepKind::FirmwareAfterDeletion,
                Observation::Firmware {
                    after: after.firmware.clone(),
                    before: before.firmware.clone(),
                },
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
            verdicts.push(CriterionVerdict::new(star1::S1_1_15, verdict, reasons));
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
