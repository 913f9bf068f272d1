//! Simulated login services with configurable brute-force defences and power-cut control.
//!
//! One [`AuthDevice`] holds the state a real device keeps: the account, its
//! password, the firmware version and model number, failure counters, and
//! which of these survive a power cut (persistent) or are lost (volatile).
//! Its services (HTTP Basic/Digest with a status page, an HTML form login
//! that answers failures with 200 and an error text, Telnet, FTP, MQTT) all
//! check the same account under the same [`Policy`]. A control endpoint on
//! its own loopback port simulates a power cut, a firmware update and a
//! user-data deletion, so persistence tests can drive the device from a
//! command such as `curl -X POST http://127.0.0.1:PORT/power-cut`.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use jcstar_wire::{http, mqtt, telnet};

/// How the device reacts to failed logins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Policy {
    /// Every guess is evaluated at once.
    None,
    /// After `after` failures every login, right or wrong, is refused for
    /// `window_ms`.
    Lockout {
        /// Failures that start the lockout.
        after: u32,
        /// How long it lasts, in milliseconds.
        window_ms: u64,
    },
    /// Each failure adds `step_ms` to the time the next reply takes.
    ProgressiveDelay {
        /// Milliseconds each failure adds.
        step_ms: u64,
    },
    /// At most `per_window` attempts per `window_ms`; more get HTTP 429 with
    /// Retry-After (or the protocol's equivalent).
    RateLimit {
        /// Attempts evaluated per window.
        per_window: u32,
        /// Length of the window, in milliseconds.
        window_ms: u64,
    },
    /// After `after` failures connections are closed without a reply for
    /// `window_ms`.
    DropAfter {
        /// Failures that start the drops.
        after: u32,
        /// How long connections are dropped, in milliseconds.
        window_ms: u64,
    },
    /// Every reply takes `delay_ms`, whatever happened before.
    Slow {
        /// Milliseconds every reply takes.
        delay_ms: u64,
    },
    /// After `after` failures wrong passwords get the lockout text, but the
    /// right password still works: a lockout in name only.
    MessageOnlyLockout {
        /// Failures after which the lockout text appears.
        after: u32,
    },
    /// After `after` failures every login, right or wrong, is refused for
    /// `window_ms` with the same answer as a wrong password (as PAM's
    /// pam_faillock does behind SSH or telnet): a lock that only the right
    /// password can reveal.
    SilentLockout {
        /// Failures that start the lock.
        after: u32,
        /// How long it lasts, in milliseconds.
        window_ms: u64,
    },
}

/// The device's identity and account, and what survives a power cut.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthConfig {
    /// Account name of the device's single account.
    pub username: String,
    /// Its factory password, restored by a data deletion.
    pub password: String,
    /// Model number the status page reports (read for S1.1-10).
    pub model: String,
    /// Factory firmware version, restored by a deletion unless `firmware_survives_delete`.
    pub firmware: String,
    /// How the services react to failed logins.
    pub policy: Policy,
    /// A changed password is written to flash (survives a power cut).
    #[serde(default = "yes")]
    pub password_persists: bool,
    /// An updated firmware survives a power cut.
    #[serde(default = "yes")]
    pub firmware_persists: bool,
    /// Deleting user data keeps the updated firmware.
    #[serde(default = "yes")]
    pub firmware_survives_delete: bool,
    /// How long the services stay down after a power cut.
    #[serde(default = "default_downtime")]
    pub downtime_ms: u64,
}

fn yes() -> bool {
    true
}
fn default_downtime() -> u64 {
    300
}

impl AuthConfig {
    /// An account with the testbed's default model (`JC-CAM-100`) and firmware (`1.0.0`), where every change persists.
    pub fn new(username: &str, password: &str, policy: Policy) -> Self {
        AuthConfig {
            username: username.into(),
            password: password.into(),
            model: "JC-CAM-100".into(),
            firmware: "1.0.0".into(),
            policy,
            password_persists: true,
            firmware_persists: true,
            firmware_survives_delete: true,
            downtime_ms: default_downtime(),
        }
    }
}

/// The login services a device can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthService {
    /// Basic on `/`, Digest (MD5, qop=auth) on `/digest`, status page on
    /// `/status`, password change on `POST /admin/password`.
    Http,
    /// HTML form on `/login`; failures answer 200 with an error text.
    Form,
    /// Login prompt over plain Telnet.
    Telnet,
    /// FTP `USER`/`PASS` login.
    Ftp,
    /// MQTT 3.1.1 and 5 with username/password.
    Mqtt,
}

#[derive(Debug)]
struct State {
    factory_password: String,
    password: String,
    flash_password: String,
    factory_firmware: String,
    firmware: String,
    flash_firmware: String,
    failures: u32,
    blocked_until: Option<Instant>,
    recent: VecDeque<Instant>,
    down_until: Option<Instant>,
    csrf: HashSet<String>,
    power_cuts: u32,
    counter: u64,
}

/// What the policy says about the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    Allow {
        delay: Duration,
    },
    Locked,
    /// Locked, answered like a wrong password.
    Silent,
    RateLimited {
        retry_after_s: u64,
    },
    Drop,
}

struct Shared {
    config: AuthConfig,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock would only come from a bug here;
        // keep serving with the state as it was.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_down(&self) -> bool {
        let mut s = self.lock();
        match s.down_until {
            Some(t) if Instant::now() < t => true,
            Some(_) => {
                s.down_until = None;
                false
            }
            None => false,
        }
    }

    /// A `DropAfter` block in force: new connections are closed at once.
    fn is_banned(&self) -> bool {
        matches!(self.config.policy, Policy::DropAfter { .. })
            && self
                .lock()
                .blocked_until
                .is_some_and(|t| Instant::now() < t)
    }

    fn gate(&self) -> Gate {
        let now = Instant::now();
        let mut s = self.lock();
        match &self.config.policy {
            Policy::None | Policy::MessageOnlyLockout { .. } => Gate::Allow {
                delay: Duration::ZERO,
            },
            Policy::Slow { delay_ms } => Gate::Allow {
                delay: Duration::from_millis(*delay_ms),
            },
            Policy::ProgressiveDelay { step_ms } => Gate::Allow {
                delay: Duration::from_millis(step_ms.saturating_mul(u64::from(s.failures))),
            },
            Policy::Lockout { .. } | Policy::DropAfter { .. } | Policy::SilentLockout { .. } => {
                match s.blocked_until {
                    Some(t) if now < t => match self.config.policy {
                        Policy::Lockout { .. } => Gate::Locked,
                        Policy::SilentLockout { .. } => Gate::Silent,
                        _ => Gate::Drop,
                    },
                    Some(_) => {
                        s.blocked_until = None;
                        s.failures = 0;
                        Gate::Allow {
                            delay: Duration::ZERO,
                        }
                    }
                    None => Gate::Allow {
                        delay: Duration::ZERO,
                    },
                }
            }
            Policy::RateLimit {
                per_window,
                window_ms,
            } => {
                let window = Duration::from_millis(*window_ms);
                while s
                    .recent
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= window)
                {
                    s.recent.pop_front();
                }
                if s.recent.len() >= *per_window as usize {
                    let oldest = s.recent.front().copied().unwrap_or(now);
                    let wait = window.saturating_sub(now.duration_since(oldest));
                    Gate::RateLimited {
                        retry_after_s: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                    }
                } else {
                    s.recent.push_back(now);
                    Gate::Allow {
                        delay: Duration::ZERO,
                    }
                }
            }
        }
    }

    fn record(&self, ok: bool) {
        let mut s = self.lock();
        if ok {
            s.failures = 0;
            return;
        }
        s.failures = s.failures.saturating_add(1);
        match self.config.policy {
            Policy::Lockout { after, window_ms }
            | Policy::DropAfter { after, window_ms }
            | Policy::SilentLockout { after, window_ms }
                if s.failures >= after =>
            {
                s.blocked_until = Some(Instant::now() + Duration::from_millis(window_ms));
            }
            _ => {}
        }
    }

    fn password_ok(&self, user: &str, pass: &str) -> bool {
        let s = self.lock();
        user == self.config.username && pass == s.password
    }

    /// Applies the policy to one attempt with `check` deciding the credentials.
    async fn attempt(&self, check: impl FnOnce(&Shared) -> bool) -> Verdict {
        match self.gate() {
            Gate::Allow { delay } => {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let ok = check(self);
                self.record(ok);
                if let Policy::MessageOnlyLockout { after } = self.config.policy
                    && !ok
                    && self.lock().failures > after
                {
                    return Verdict::Locked;
                }
                if ok { Verdict::Ok } else { Verdict::Bad }
            }
            Gate::Locked => Verdict::Locked,
            Gate::Silent => Verdict::Bad,
            Gate::RateLimited { retry_after_s } => Verdict::RateLimited(retry_after_s),
            Gate::Drop => Verdict::Drop,
        }
    }

    fn token(&self) -> String {
        let mut s = self.lock();
        s.counter += 1;
        let seed = format!("{:?}-{}", Instant::now(), s.counter);
        hex_md5(&seed)
    }

    fn identity(&self) -> (String, String) {
        let s = self.lock();
        (self.config.model.clone(), s.firmware.clone())
    }

    fn power_cut(&self) {
        let mut s = self.lock();
        s.password = s.flash_password.clone();
        s.firmware = s.flash_firmware.clone();
        s.failures = 0;
        s.blocked_until = None;
        s.recent.clear();
        s.csrf.clear();
        s.power_cuts += 1;
        s.down_until = Some(Instant::now() + Duration::from_millis(self.config.downtime_ms));
    }

    fn set_password(&self, new: &str) {
        let mut s = self.lock();
        s.password = new.to_string();
        if self.config.password_persists {
            s.flash_password = new.to_string();
        }
    }

    fn update_firmware(&self, version: &str) {
        let mut s = self.lock();
        s.firmware = version.to_string();
        if self.config.firmware_persists {
            s.flash_firmware = version.to_string();
        }
    }

    fn delete_data(&self) {
        let mut s = self.lock();
        s.password = s.factory_password.clone();
        s.flash_password = s.factory_password.clone();
        s.failures = 0;
        s.blocked_until = None;
        if !self.config.firmware_survives_delete {
            s.firmware = s.factory_firmware.clone();
            s.flash_firmware = s.factory_firmware.clone();
        }
        s.down_until = Some(Instant::now() + Duration::from_millis(self.config.downtime_ms));
    }

    fn status_json(&self) -> String {
        let s = self.lock();
        serde_json::json!({
            "model": self.config.model,
            "firmware": s.firmware,
            "power_cuts": s.power_cuts,
            "failures": s.failures,
            "blocked": s.blocked_until.is_some_and(|t| Instant::now() < t),
        })
        .to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Bad,
    Locked,
    RateLimited(u64),
    Drop,
}

fn hex_md5(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A login device described in TOML, for `jcstar testbed run`:
///
/// ```toml
/// description = "locks the account for 60 s after 5 failures"
/// services = ["http", "form", "telnet", "ftp", "mqtt"]
/// control_port = 0          # loopback port of the control endpoint; 0 = any
/// [auth]
/// username = "admin"
/// password = "s3cret"
/// model = "JC-CAM-100"
/// firmware = "1.0.0"
/// policy = { kind = "lockout", after = 5, window_ms = 60000 }
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthDeviceSpec {
    /// Free text shown by `jcstar testbed list`.
    #[serde(default)]
    pub description: String,
    /// The login services to run.
    pub services: Vec<AuthService>,
    /// Loopback port of the control endpoint; 0 picks any free port.
    #[serde(default)]
    pub control_port: u16,
    /// The account, identity and defences the services share.
    pub auth: AuthConfig,
}

/// A description that cannot be used, with where and what is accepted.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {reason}")]
pub struct AuthSpecError {
    /// Where the description came from (file name or built-in name).
    pub origin: String,
    /// What is wrong with it.
    pub reason: String,
}

impl AuthDeviceSpec {
    /// Reads a description, saying in the error which services and policy kinds exist.
    pub fn parse(text: &str, origin: &str) -> Result<AuthDeviceSpec, AuthSpecError> {
        let err = |reason: String| AuthSpecError {
            origin: origin.to_string(),
            reason,
        };
        let spec: AuthDeviceSpec = toml::from_str(text).map_err(|e| {
            err(format!(
                "{e}(services are http, form, telnet, ftp, mqtt; policy kinds are none, lockout, progressive-delay, rate-limit, drop-after, slow, message-only-lockout)"
            ))
        })?;
        if spec.services.is_empty() {
            return Err(err(
                "services: at least one of http, form, telnet, ftp, mqtt is needed".into(),
            ));
        }
        if spec.auth.username.is_empty() {
            return Err(err("auth.username: must not be empty".into()));
        }
        Ok(spec)
    }

    /// Whether `text` looks like an auth device description (it has an
    /// `[auth]` table) rather than a scanner device description.
    pub fn is_auth_description(text: &str) -> bool {
        toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("auth"))
    }

    /// Starts it on `ip` (a loopback address).
    pub async fn start(&self, ip: std::net::IpAddr) -> std::io::Result<AuthDevice> {
        let with_ports: Vec<(AuthService, SocketAddr)> = self
            .services
            .iter()
            .map(|s| (*s, SocketAddr::new(ip, 0)))
            .collect();
        AuthDevice::start_on(
            self.auth.clone(),
            &with_ports,
            SocketAddr::new(ip, self.control_port),
        )
        .await
    }
}

/// The built-in login devices, one per brute-force and persistence case.
pub fn builtin_auth_devices() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "auth-lockout",
            r#"description = "locks the account for 60 s after 5 failed logins"
services = ["http", "form", "telnet", "ftp", "mqtt"]
[auth]
username = "admin"
password = "Jc-Lock-2024"
model = "JC-CAM-100"
firmware = "1.0.0"
policy = { kind = "lockout", after = 5, window_ms = 60000 }
"#,
        ),
        (
            "auth-delay",
            r#"description = "each failed login adds 400 ms to the next reply"
services = ["http", "form", "telnet", "ftp", "mqtt"]
[auth]
username = "admin"
password = "Jc-Delay-2024"
model = "JC-CAM-100"
firmware = "1.0.0"
policy = { kind = "progressive-delay", step_ms = 400 }
"#,
        ),
        (
            "auth-open",
            r#"description = "no brute-force protection, factory password admin/admin"
services = ["http", "form", "telnet", "ftp", "mqtt"]
[auth]
username = "admin"
password = "admin"
model = "JC-CAM-100"
firmware = "1.0.0"
policy = { kind = "none" }
"#,
        ),
        (
            "auth-form200",
            r#"description = "form login answering failures with 200 and an error text, lockout after 5"
services = ["form"]
[auth]
username = "admin"
password = "Jc-Form-2024"
model = "JC-CAM-100"
firmware = "1.0.0"
policy = { kind = "lockout", after = 5, window_ms = 60000 }
"#,
        ),
        (
            "auth-forgets-password",
            r#"description = "a changed password is lost on a power cut (POST /power-cut on the control port)"
services = ["http", "telnet"]
[auth]
username = "admin"
password = "admin"
model = "JC-CAM-100"
firmware = "1.0.0"
policy = { kind = "none" }
password_persists = false
"#,
        ),
        (
            "auth-firmware-reverts",
            r#"description = "an updated firmware reverts on a power cut or a user-data deletion"
services = ["http", "telnet"]
[auth]
username = "admin"
password = "admin"
model = "JC-CAM-100"
firmware = "1.0.0"
policy = { kind = "none" }
firmware_persists = false
firmware_survives_delete = false
"#,
        ),
    ]
}

/// A running simulated device; its services stop when it is dropped.
pub struct AuthDevice {
    shared: Arc<Shared>,
    services: Vec<(AuthService, SocketAddr)>,
    control: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for AuthDevice {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl AuthDevice {
    /// Starts the services on loopback ports chosen by the system.
    pub async fn start(
        config: AuthConfig,
        services: &[AuthService],
    ) -> std::io::Result<AuthDevice> {
        Self::start_at(config, services, std::net::Ipv4Addr::LOCALHOST.into()).await
    }

    /// Starts the services on `ip` (a loopback address such as
    /// `127.0.0.N`, so that tests running at the same time each have a
    /// device of their own) on ports chosen by the system.
    pub async fn start_at(
        config: AuthConfig,
        services: &[AuthService],
        ip: std::net::IpAddr,
    ) -> std::io::Result<AuthDevice> {
        let with_ports: Vec<(AuthService, SocketAddr)> = services
            .iter()
            .map(|s| (*s, SocketAddr::new(ip, 0)))
            .collect();
        Self::start_on(config, &with_ports, SocketAddr::new(ip, 0)).await
    }

    /// Starts the services on the given loopback addresses (port 0 = any).
    pub async fn start_on(
        config: AuthConfig,
        services: &[(AuthService, SocketAddr)],
        control: SocketAddr,
    ) -> std::io::Result<AuthDevice> {
        for a in services.iter().map(|(_, a)| a).chain([&control]) {
            if !a.ip().is_loopback() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("{a}: the testbed listens only on loopback addresses"),
                ));
            }
        }
        let state = State {
            factory_password: config.password.clone(),
            password: config.password.clone(),
            flash_password: config.password.clone(),
            factory_firmware: config.firmware.clone(),
            firmware: config.firmware.clone(),
            flash_firmware: config.firmware.clone(),
            failures: 0,
            blocked_until: None,
            recent: VecDeque::new(),
            down_until: None,
            csrf: HashSet::new(),
            power_cuts: 0,
            counter: 0,
        };
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(state),
        });
        let mut tasks = Vec::new();
        let mut bound = Vec::new();
        for (kind, addr) in services {
            let listener = TcpListener::bind(addr).await?;
            bound.push((*kind, listener.local_addr()?));
            tasks.push(tokio::spawn(serve(listener, shared.clone(), *kind)));
        }
        let control_listener = TcpListener::bind(control).await?;
        let control = control_listener.local_addr()?;
        tasks.push(tokio::spawn(serve_control(
            control_listener,
            shared.clone(),
        )));
        Ok(AuthDevice {
            shared,
            services: bound,
            control,
            tasks,
        })
    }

    /// Where `service` listens, if the device runs it.
    pub fn addr(&self, service: AuthService) -> Option<SocketAddr> {
        self.services
            .iter()
            .find(|(k, _)| *k == service)
            .map(|(_, a)| *a)
    }

    /// Every service and where it listens.
    pub fn services(&self) -> &[(AuthService, SocketAddr)] {
        &self.services
    }

    /// The control endpoint: `POST /power-cut`, `POST /delete-data`,
    /// `POST /firmware?version=V`, `POST /password?new=P`, `GET /status`.
    pub fn control_addr(&self) -> SocketAddr {
        self.control
    }

    /// Simulates a power cut: unsaved changes are lost, counters reset, services stay down for `downtime_ms`.
    pub fn power_cut(&self) {
        self.shared.power_cut();
    }

    /// Installs firmware `version`; it persists across a power cut when `firmware_persists`.
    pub fn update_firmware(&self, version: &str) {
        self.shared.update_firmware(version);
    }

    /// Changes the account's password; it is written to flash when `password_persists`.
    pub fn set_password(&self, new: &str) {
        self.shared.set_password(new);
    }

    /// Deletes user data: the factory password returns, counters reset and services go down for a while.
    pub fn delete_data(&self) {
        self.shared.delete_data();
    }

    /// The firmware version the device runs now.
    pub fn firmware(&self) -> String {
        self.shared.identity().1
    }

    /// Clears failure counters and blocks (as if the lockout had expired).
    pub fn reset_counters(&self) {
        let mut s = self.shared.lock();
        s.failures = 0;
        s.blocked_until = None;
        s.recent.clear();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>, kind: AuthService) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            if shared.is_down() || shared.is_banned() {
                // Powered off, or the client is banned (fail2ban-style):
                // the connection is closed at once.
                drop(stream);
                return;
            }
            let _ = tokio::time::timeout(Duration::from_secs(60), async {
                match kind {
                    AuthService::Http => http_conn(stream, &shared, false).await,
                    AuthService::Form => http_conn(stream, &shared, true).await,
                    AuthService::Telnet => telnet_conn(stream, &shared).await,
                    AuthService::Ftp => ftp_conn(stream, &shared).await,
                    AuthService::Mqtt => mqtt_conn(stream, &shared).await,
                }
            })
            .await;
        });
    }
}

struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn read_request<R: AsyncRead + Unpin>(r: &mut R) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head = loop {
        match http::parse_request_head(&buf) {
            Ok(h) => break h,
            Err(http::HttpError::Incomplete) => {}
            Err(_) => return None,
        }
        if buf.len() > 32 * 1024 {
            return None;
        }
        let n = r.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(chunk.get(..n)?);
    };
    let (path, query) = match head.target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (head.target.clone(), String::new()),
    };
    let len = head.content_length().unwrap_or(0).min(64 * 1024);
    let mut body = buf.get(head.head_len..)?.to_vec();
    while body.len() < len {
        let n = r.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(chunk.get(..n)?);
    }
    body.truncate(len);
    Some(Request {
        method: head.method,
        path,
        query,
        headers: head.headers,
        body,
    })
}

fn form_value(encoded: &str, name: &str) -> Option<String> {
    encoded.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (url_decode(k) == name).then(|| url_decode(v))
    })
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'+') => out.push(b' '),
            Some(b'%') => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            Some(&b) => out.push(b),
            None => break,
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &str) {
    let mut out = format!("HTTP/1.1 {status}\r\nServer: jcstar-testbed\r\nConnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    let _ = stream.write_all(out.as_bytes()).await;
    let _ = stream.shutdown().await;
}

const LOCK_PAGE: &str =
    "<html><body><p>Account locked: too many failed attempts. Try again later.</p></body></html>";

fn basic_credentials(req: &Request) -> Option<(String, String)> {
    use base64::Engine;
    let v = req.header("authorization")?;
    let token = v.strip_prefix("Basic ")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

fn digest_params(v: &str) -> Vec<(String, String)> {
    v.split(',')
        .filter_map(|p| {
            let (k, val) = p.split_once('=')?;
            Some((
                k.trim().to_string(),
                val.trim().trim_matches('"').to_string(),
            ))
        })
        .collect()
}

fn digest_ok(shared: &Shared, req: &Request, realm: &str) -> bool {
    let Some(v) = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Digest "))
    else {
        return false;
    };
    let params = digest_params(v);
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let user = get("username");
    let nonce = get("nonce");
    if !shared.lock().csrf.contains(nonce) {
        return false;
    }
    let pass = shared.lock().password.clone();
    if user != shared.config.username {
        return false;
    }
    let ha1 = hex_md5(&format!("{user}:{realm}:{pass}"));
    let ha2 = hex_md5(&format!("{}:{}", req.method, get("uri")));
    let expected = hex_md5(&format!(
        "{ha1}:{nonce}:{}:{}:auth:{ha2}",
        get("nc"),
        get("cnonce")
    ));
    expected == get("response")
}

async fn http_conn(mut stream: TcpStream, shared: &Shared, form: bool) {
    let Some(req) = read_request(&mut stream).await else {
        return;
    };
    let (model, firmware) = shared.identity();
    if req.path == "/status" {
        let body = format!(
            "<html><body><h1>Device status</h1><p>Model: {model}</p><p>Firmware version: {firmware}</p></body></html>"
        );
        respond(&mut stream, "200 OK", &[], &body).await;
        return;
    }
    if form {
        form_conn(stream, shared, req).await;
        return;
    }
    let realm = "jcstar-testbed";
    let digest = req.path == "/digest";
    if req.header("authorization").is_none() {
        let challenge = if digest {
            let nonce = shared.token();
            shared.lock().csrf.insert(nonce.clone());
            format!("Digest realm=\"{realm}\", qop=\"auth\", algorithm=MD5, nonce=\"{nonce}\"")
        } else {
            format!("Basic realm=\"{realm}\"")
        };
        respond(
            &mut stream,
            "401 Unauthorized",
            &[("WWW-Authenticate", challenge)],
            "<p>Authentication required</p>",
        )
        .await;
        return;
    }
    let creds = basic_credentials(&req);
    let verdict = shared
        .attempt(|s| {
            if digest {
                digest_ok(s, &req, realm)
            } else {
                creds.as_ref().is_some_and(|(u, p)| s.password_ok(u, p))
            }
        })
        .await;
    match verdict {
        Verdict::Ok => {
            if req.method == "POST" && req.path == "/admin/password" {
                let body = String::from_utf8_lossy(&req.body).into_owned();
                match form_value(&body, "new") {
                    Some(new) if !new.is_empty() => {
                        shared.set_password(&new);
                        respond(&mut stream, "200 OK", &[], "<p>Password changed</p>").await;
                    }
                    _ => respond(&mut stream, "400 Bad Request", &[], "<p>new= missing</p>").await,
                }
                return;
            }
            let body = format!(
                "<html><body><p>Welcome, administrator.</p><p>Model: {model}</p><p>Firmware version: {firmware}</p></body></html>"
            );
            respond(&mut stream, "200 OK", &[], &body).await;
        }
        Verdict::Bad => {
            let challenge = if digest {
                let nonce = shared.token();
                shared.lock().csrf.insert(nonce.clone());
                format!("Digest realm=\"{realm}\", qop=\"auth\", algorithm=MD5, nonce=\"{nonce}\"")
            } else {
                format!("Basic realm=\"{realm}\"")
            };
            respond(
                &mut stream,
                "401 Unauthorized",
                &[("WWW-Authenticate", challenge)],
                "<p>Authentication required</p>",
            )
            .await;
        }
        Verdict::Locked => respond(&mut stream, "403 Forbidden", &[], LOCK_PAGE).await,
        Verdict::RateLimited(s) => {
            respond(
                &mut stream,
                "429 Too Many Requests",
                &[("Retry-After", s.to_string())],
                "<p>Slow down</p>",
            )
            .await
        }
        Verdict::Drop => {}
    }
}

fn login_page(token: &str, message: &str) -> String {
    format!(
        "<html><head><title>Camera login</title></head><body>{message}<form method=\"post\" action=\"/login\">\
<input type=\"hidden\" name=\"csrf_token\" value=\"{token}\">\
<label>User <input type=\"text\" name=\"user\"></label>\
<label>Password <input type=\"password\" name=\"pass\"></label>\
<input type=\"submit\" name=\"login\" value=\"Log in\"></form></body></html>"
    )
}

async fn form_conn(mut stream: TcpStream, shared: &Shared, req: Request) {
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/") => {
            respond(
                &mut stream,
                "302 Found",
                &[("Location", "/login".to_string())],
                "",
            )
            .await;
        }
        ("GET", "/login") => {
            let token = shared.token();
            shared.lock().csrf.insert(token.clone());
            respond(&mut stream, "200 OK", &[], &login_page(&token, "")).await;
        }
        ("POST", "/login") => {
            let body = String::from_utf8_lossy(&req.body).into_owned();
            let token = form_value(&body, "csrf_token").unwrap_or_default();
            let fresh = shared.lock().csrf.remove(&token);
            let next = shared.token();
            shared.lock().csrf.insert(next.clone());
            if !fresh {
                let page = login_page(
                    &next,
                    "<p class=\"error\">Session expired, please retry.</p>",
                );
                respond(&mut stream, "200 OK", &[], &page).await;
                return;
            }
            let user = form_value(&body, "user").unwrap_or_default();
            let pass = form_value(&body, "pass").unwrap_or_default();
            match shared.attempt(|s| s.password_ok(&user, &pass)).await {
                Verdict::Ok => {
                    let session = shared.token();
                    respond(
                        &mut stream,
                        "302 Found",
                        &[
                            ("Location", "/home".to_string()),
                            ("Set-Cookie", format!("session={session}; HttpOnly")),
                        ],
                        "",
                    )
                    .await;
                }
                Verdict::Bad => {
                    let page = login_page(
                        &next,
                        "<p class=\"error\">Invalid user name or password.</p>",
                    );
                    respond(&mut stream, "200 OK", &[], &page).await;
                }
                // A 200 page, as many devices do: only the text says locked.
                Verdict::Locked => respond(&mut stream, "200 OK", &[], LOCK_PAGE).await,
                Verdict::RateLimited(s) => {
                    respond(
                        &mut stream,
                        "429 Too Many Requests",
                        &[("Retry-After", s.to_string())],
                        "<p>Slow down</p>",
                    )
                    .await
                }
                Verdict::Drop => {}
            }
        }
        ("GET", "/home") => {
            let (model, firmware) = shared.identity();
            let body =
                format!("<p>Dashboard</p><p>Model: {model}</p><p>Firmware version: {firmware}</p>");
            respond(&mut stream, "200 OK", &[], &body).await;
        }
        _ => respond(&mut stream, "404 Not Found", &[], "<p>Not found</p>").await,
    }
}

/// Reads one line from a telnet client, dropping telnet commands (the
/// client's answers to our options need no answer back).
async fn telnet_line(stream: &mut TcpStream) -> Option<String> {
    let mut out = Vec::new();
    let mut pending = Vec::new();
    loop {
        pending.push(stream.read_u8().await.ok()?);
        let f = telnet::filter(&pending);
        pending = f.pending;
        for b in f.text {
            match b {
                b'\n' => return Some(String::from_utf8_lossy(&out).into_owned()),
                b'\r' => {}
                _ => out.push(b),
            }
        }
        if out.len() > 1024 || pending.len() > 1024 {
            return None;
        }
    }
}

async fn telnet_conn(mut stream: TcpStream, shared: &Shared) {
    let (model, firmware) = shared.identity();
    // WILL ECHO, WILL SUPPRESS-GO-AHEAD, DO TERMINAL-TYPE: what small devices send.
    let mut bytes: Vec<u8> = vec![255, 251, 1, 255, 251, 3, 255, 253, 24];
    bytes.extend_from_slice(format!("\r\n{model} firmware {firmware}\r\n\r\nlogin: ").as_bytes());
    if stream.write_all(&bytes).await.is_err() {
        return;
    }
    let Some(user) = telnet_line(&mut stream).await else {
        return;
    };
    if stream.write_all(b"Password: ").await.is_err() {
        return;
    }
    let Some(pass) = telnet_line(&mut stream).await else {
        return;
    };
    match shared.attempt(|s| s.password_ok(&user, &pass)).await {
        Verdict::Ok => {
            let _ = stream
                .write_all(
                    format!("\r\nBusyBox v1.36 built-in shell (ash)\r\n{user}@cam:~$ ").as_bytes(),
                )
                .await;
            let _ = tokio::time::timeout(Duration::from_secs(2), telnet_line(&mut stream)).await;
        }
        Verdict::Bad => {
            let _ = stream.write_all(b"\r\nLogin incorrect\r\n").await;
        }
        Verdict::Locked | Verdict::RateLimited(_) => {
            let _ = stream
                .write_all(b"\r\nToo many failed logins, try again later\r\n")
                .await;
        }
        Verdict::Drop => {}
    }
}

async fn ftp_conn(mut stream: TcpStream, shared: &Shared) {
    let (model, firmware) = shared.identity();
    if stream
        .write_all(format!("220 {model} FTP server (firmware {firmware}) ready\r\n").as_bytes())
        .await
        .is_err()
    {
        return;
    }
    let mut user = String::new();
    loop {
        let Some(line) = telnet_line(&mut stream).await else {
            return;
        };
        let (cmd, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let reply = match cmd.to_ascii_uppercase().as_str() {
            "USER" => {
                user = arg.to_string();
                "331 Password required\r\n".to_string()
            }
            "PASS" => match shared.attempt(|s| s.password_ok(&user, arg)).await {
                Verdict::Ok => "230 Login successful\r\n".into(),
                Verdict::Bad => "530 Login incorrect\r\n".into(),
                Verdict::Locked | Verdict::RateLimited(_) => {
                    let _ = stream
                        .write_all(b"421 Too many failed logins, try again later\r\n")
                        .await;
                    return;
                }
                Verdict::Drop => return,
            },
            "QUIT" => {
                let _ = stream.write_all(b"221 Bye\r\n").await;
                return;
            }
            _ => "502 Command not implemented\r\n".into(),
        };
        if stream.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// One whole MQTT packet: (first byte, body), bounded to 64 KiB.
async fn mqtt_packet(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let kind = stream.read_u8().await.ok()?;
    let mut head = Vec::new();
    let len = loop {
        head.push(stream.read_u8().await.ok()?);
        match mqtt::decode_varint(&head) {
            Ok((len, _)) => break len,
            Err(mqtt::MqttError::Incomplete) => {}
            Err(_) => return None,
        }
    };
    if len > mqtt::MAX_PACKET {
        return None;
    }
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await.ok()?;
    Some((kind, body))
}

async fn mqtt_conn(mut stream: TcpStream, shared: &Shared) {
    let Some((mqtt::CONNECT, body)) = mqtt_packet(&mut stream).await else {
        return;
    };
    let Ok(connect) = mqtt::parse_connect(&body) else {
        return;
    };
    let level = connect.level;
    let user = connect.user;
    let pass = connect
        .password
        .map(|p| String::from_utf8_lossy(&p).into_owned());
    let v5 = level >= 5;
    let verdict = shared
        .attempt(|s| match (&user, &pass) {
            (Some(u), Some(p)) => s.password_ok(u, p),
            _ => false,
        })
        .await;
    let code: u8 = match (verdict, v5) {
        (Verdict::Ok, _) => 0,
        (Verdict::Bad, false) => 4,
        (Verdict::Bad, true) => 0x86,
        (Verdict::Locked, false) | (Verdict::RateLimited(_), false) => 3,
        (Verdict::Locked, true) => 0x8A,
        (Verdict::RateLimited(_), true) => 0x9F,
        (Verdict::Drop, _) => return,
    };
    let connack = mqtt::encode_connack(level, code);
    if stream.write_all(&connack).await.is_err() || code != 0 {
        return;
    }
    // Logged in: any SUBSCRIBE gets the device's info as a retained message.
    while let Some((kind, body)) = mqtt_packet(&mut stream).await {
        match kind & 0xF0 {
            0x80 => {
                let id = [
                    body.first().copied().unwrap_or(0),
                    body.get(1).copied().unwrap_or(1),
                ];
                let [id0, id1] = id;
                let suback: Vec<u8> = if v5 {
                    vec![0x90, 4, id0, id1, 0, 0]
                } else {
                    vec![0x90, 3, id0, id1, 0]
                };
                let (model, firmware) = shared.identity();
                let topic = b"device/info";
                let payload = format!("{{\"model\":\"{model}\",\"firmware\":\"{firmware}\"}}");
                let mut publish = vec![0x31];
                let mut rest = Vec::new();
                rest.extend_from_slice(&(topic.len() as u16).to_be_bytes());
                rest.extend_from_slice(topic);
                if v5 {
                    rest.push(0);
                }
                rest.extend_from_slice(payload.as_bytes());
                publish.push(rest.len() as u8);
                publish.extend_from_slice(&rest);
                if stream.write_all(&suback).await.is_err()
                    || stream.write_all(&publish).await.is_err()
                {
                    return;
                }
            }
            0xC0 => {
                let _ = stream.write_all(&[0xD0, 0]).await;
            }
            0xE0 => return,
            _ => {}
        }
    }
}

async fn serve_control(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let Some(req) = read_request(&mut stream).await else {
                return;
            };
            let body = String::from_utf8_lossy(&req.body).into_owned();
            let arg = |name: &str| form_value(&req.query, name).or_else(|| form_value(&body, name));
            match (req.method.as_str(), req.path.as_str()) {
                ("POST", "/power-cut") => shared.power_cut(),
                ("POST", "/delete-data") => shared.delete_data(),
                ("POST", "/firmware") => match arg("version") {
                    Some(v) => shared.update_firmware(&v),
                    None => {
                        respond(&mut stream, "400 Bad Request", &[], "version= missing").await;
                        return;
                    }
                },
                ("POST", "/password") => match arg("new") {
                    Some(v) => shared.set_password(&v),
                    None => {
                        respond(&mut stream, "400 Bad Request", &[], "new= missing").await;
                        return;
                    }
                },
                ("GET", "/status") => {}
                _ => {
                    respond(&mut stream, "404 Not Found", &[], "unknown control").await;
                    return;
                }
            }
            let status = shared.status_json();
            respond(&mut stream, "200 OK", &[], &status).await;
        });
    }
}

#[cfg(test)]
mod spec_tests {
    use super::*;

    #[test]
    fn builtin_login_devices_parse_and_errors_name_the_field() {
        for (name, text) in builtin_auth_devices() {
            let spec = AuthDeviceSpec::parse(text, name).unwrap_or_else(|e| panic!("{e}"));
            assert!(!spec.description.is_empty(), "{name}");
            assert!(AuthDeviceSpec::is_auth_description(text), "{name}");
        }
        let e = AuthDeviceSpec::parse("services = []\n[auth]\nusername = \"a\"\npassword = \"b\"\nmodel = \"m\"\nfirmware = \"1\"\npolicy = { kind = \"none\" }\n", "x.toml")
            .expect_err("no services");
        assert!(e.to_string().starts_with("x.toml: services"), "{e}");
        let e = AuthDeviceSpec::parse("services = [\"gopher\"]\n", "y.toml").expect_err("bad");
        assert!(
            e.to_string().contains("y.toml") && e.to_string().contains("gopher"),
            "{e}"
        );
        assert!(!AuthDeviceSpec::is_auth_description("name = \"cam\"\n"));
    }
}
