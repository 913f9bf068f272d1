//! Login adapters per service, default credentials and brute-force resistance.
//!
//! Each adapter turns one username/password guess into an [`Attempt`]: the
//! outcome plus the signal it was read from (status code, message text,
//! protocol code, closed connection, delay). Every network operation runs
//! under a deadline and a reply the adapter does not understand becomes
//! [`Attempt::Error`], so a hostile device cannot make the probe hang, panic,
//! or count a warning page as a successful login.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub mod bruteforce;
pub mod command_tester;
pub mod conn;
pub mod creds;
pub mod defaults;
pub mod digest;
pub mod form;
pub mod ftp;
pub mod http;
pub mod mqtt;
pub mod persistence;
pub mod report;
pub mod snmp;
pub mod ssh;
pub mod telnet;
mod text;

pub use text::{lock_phrase, mask};

/// What the adapter saw that decided the outcome of an attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// An HTTP status code.
    Status {
        /// The status code, e.g. 401.
        code: u16,
    },
    /// A redirect to this location.
    Redirect {
        /// The `Location` header as sent.
        location: String,
    },
    /// Text in the reply (bounded excerpt).
    Message {
        /// The excerpt.
        text: String,
    },
    /// A protocol reply code (FTP, MQTT CONNACK, SSH method result, ...).
    Code {
        /// The code as sent.
        code: u32,
        /// What the protocol says it means.
        meaning: String,
    },
    /// The peer closed the connection (or refused it).
    ClosedConnection,
    /// No answer before the deadline.
    Timeout,
    /// The page changed in a way that blocks automation (e.g. a CAPTCHA).
    PageChanged {
        /// What changed.
        what: String,
    },
}

/// The outcome of one guess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Attempt {
    /// The credentials were accepted.
    Success {
        /// What showed the success.
        signal: Signal,
    },
    /// The credentials were evaluated and refused.
    Failure {
        /// What showed the refusal.
        signal: Signal,
    },
    /// The device refused to evaluate the guess because of a lockout.
    LockedOut {
        /// What showed the lockout.
        signal: Signal,
    },
    /// The device refused to evaluate the guess because of a rate limit.
    RateLimited {
        /// What showed the rate limit.
        signal: Signal,
        /// The delay the device asked for, if it said (Retry-After).
        delay_ms: Option<u64>,
    },
    /// No outcome could be read (connection error, unknown reply, deadline).
    Error {
        /// What went wrong.
        reason: String,
    },
    /// The server closed a new connection before any guess could be sent
    /// (e.g. dropbear's limit of unauthenticated connections per address):
    /// the guess was not evaluated and may be sent again.
    TurnedAway {
        /// What the connection showed.
        detail: String,
    },
}

impl Attempt {
    /// Whether the credentials were accepted.
    pub fn is_success(&self) -> bool {
        matches!(self, Attempt::Success { .. })
    }

    /// The device refused to evaluate the guess (lockout or rate limit).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Attempt::LockedOut { .. } | Attempt::RateLimited { .. }
        )
    }

    /// [`Attempt::TurnedAway`] with `detail`.
    pub fn turned_away(detail: &str) -> Attempt {
        Attempt::TurnedAway {
            detail: detail.to_string(),
        }
    }

    /// Whether the server turned the connection away before any guess.
    pub fn is_turned_away(&self) -> bool {
        matches!(self, Attempt::TurnedAway { .. })
    }

    /// The text of an attempt that has no outcome: the error, or why the
    /// connection was turned away.
    pub fn error_text(&self) -> Option<String> {
        match self {
            Attempt::Error { reason } => Some(reason.clone()),
            Attempt::TurnedAway { detail } => Some(format!("{TURNED_AWAY}: {detail}")),
            _ => None,
        }
    }

    /// A short kebab-case name of the outcome, for logs and transcripts.
    pub fn label(&self) -> &'static str {
        match self {
            Attempt::Success { .. } => "success",
            Attempt::Failure { .. } => "failure",
            Attempt::LockedOut { .. } => "locked-out",
            Attempt::RateLimited { .. } => "rate-limited",
            Attempt::Error { .. } => "error",
            Attempt::TurnedAway { .. } => "turned-away",
        }
    }
}

// How a turned-away attempt reads in reports and transcripts.
const TURNED_AWAY: &str = "the server closed the new connection before any guess";

/// The login services an adapter exists for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginKind {
    /// HTTP Basic authentication.
    HttpBasic,
    /// HTTP Digest authentication (RFC 7616).
    HttpDigest,
    /// An HTML login form.
    HttpForm,
    /// SSH `password` method.
    SshPassword,
    /// SSH `keyboard-interactive` method.
    SshKeyboardInteractive,
    /// Telnet `login:` / `Password:` prompts.
    Telnet,
    /// FTP `USER`/`PASS`.
    Ftp,
    /// MQTT CONNECT with username and password.
    Mqtt,
    /// SNMP v1/v2c community string.
    Snmp,
}

impl LoginKind {
    /// Every kind, in the order of [`LoginKind::name`]'s list.
    pub const ALL: [LoginKind; 9] = [
        LoginKind::HttpBasic,
        LoginKind::HttpDigest,
        LoginKind::HttpForm,
        LoginKind::SshPassword,
        LoginKind::SshKeyboardInteractive,
        LoginKind::Telnet,
        LoginKind::Ftp,
        LoginKind::Mqtt,
        LoginKind::Snmp,
    ];

    /// The name used on the command line and in reports, e.g. `ssh-password`.
    pub fn name(self) -> &'static str {
        match self {
            LoginKind::HttpBasic => "http-basic",
            LoginKind::HttpDigest => "http-digest",
            LoginKind::HttpForm => "http-form",
            LoginKind::SshPassword => "ssh-password",
            LoginKind::SshKeyboardInteractive => "ssh-keyboard-interactive",
            LoginKind::Telnet => "telnet",
            LoginKind::Ftp => "ftp",
            LoginKind::Mqtt => "mqtt",
            LoginKind::Snmp => "snmp",
        }
    }

    /// Reads a name, also accepting the short forms `http`, `ssh`, `form` and `digest`.
    pub fn parse(s: &str) -> Option<LoginKind> {
        LoginKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .or(match s {
                "http" => Some(LoginKind::HttpBasic),
                "ssh" => Some(LoginKind::SshPassword),
                "form" => Some(LoginKind::HttpForm),
                "digest" => Some(LoginKind::HttpDigest),
                _ => None,
            })
    }

    /// SNMP has no user name: the "password" is the community string.
    pub fn uses_username(self) -> bool {
        self != LoginKind::Snmp
    }
}

/// Options of the HTML form adapter; anything left `None` is learned.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FormOptions {
    /// Name of the user-name field.
    pub user_field: Option<String>,
    /// Name of the password field.
    pub pass_field: Option<String>,
    /// Text whose presence in the reply means the login worked.
    pub success_marker: Option<String>,
    /// Text whose presence in the reply means the login failed.
    pub failure_marker: Option<String>,
}

/// One login service to test.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceSpec {
    /// Which adapter to use.
    pub kind: LoginKind,
    /// Address of the service.
    pub addr: SocketAddr,
    /// Host name for the HTTP Host header; the address when empty.
    #[serde(default)]
    pub host: String,
    /// HTTP path of the protected resource or the login page.
    #[serde(default = "default_path")]
    pub path: String,
    /// Options of the HTML form adapter.
    #[serde(default)]
    pub form: FormOptions,
    /// MQTT protocol level: 4 (3.1.1) or 5.
    #[serde(default = "default_mqtt_level")]
    pub mqtt_level: u8,
    /// SNMP version: 1 or 2 (v2c).
    #[serde(default = "default_snmp_version")]
    pub snmp_version: u8,
    /// The service runs inside TLS (HTTPS, MQTT on 8883, implicit FTPS).
    #[serde(default)]
    pub tls: bool,
}

fn default_path() -> String {
    "/".to_string()
}
fn default_mqtt_level() -> u8 {
    4
}
fn default_snmp_version() -> u8 {
    2
}

impl ServiceSpec {
    /// A service with default options: path `/`, MQTT 3.1.1, SNMP v2c, no TLS.
    pub fn new(kind: LoginKind, addr: SocketAddr) -> Self {
        ServiceSpec {
            kind,
            addr,
            host: String::new(),
            path: default_path(),
            form: FormOptions::default(),
            mqtt_level: default_mqtt_level(),
            snmp_version: default_snmp_version(),
            tls: false,
        }
    }

    /// Sets whether the service runs inside TLS.
    pub fn with_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    pub(crate) fn http_target(&self) -> http::HttpTarget {
        http::HttpTarget {
            addr: self.addr,
            tls: self.tls,
        }
    }

    /// Sets the HTTP path.
    pub fn with_path(mut self, path: &str) -> Self {
        self.path = path.to_string();
        self
    }

    /// A one-line description, e.g. `ssh-password 127.0.0.1:22`.
    pub fn describe(&self) -> String {
        match self.kind {
            LoginKind::HttpBasic | LoginKind::HttpDigest | LoginKind::HttpForm => {
                let scheme = if self.tls { "https" } else { "http" };
                format!("{} {scheme}://{}{}", self.kind.name(), self.addr, self.path)
            }
            _ if self.tls => format!("{} {} (TLS)", self.kind.name(), self.addr),
            _ => format!("{} {}", self.kind.name(), self.addr),
        }
    }

    pub(crate) fn host_header(&self) -> String {
        if self.host.is_empty() {
            self.addr.to_string()
        } else {
            self.host.clone()
        }
    }
}

/// Errors before any guess could be made (the service cannot be driven).
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The service could not be reached.
    #[error("{service}: cannot connect: {reason}")]
    Connect {
        /// The service, as [`ServiceSpec::describe`] writes it.
        service: String,
        /// The connection error.
        reason: String,
    },
    /// No usable login form at the given path.
    #[error("{service}: no login form found at {path}: {reason}")]
    NoForm {
        /// The service, as [`ServiceSpec::describe`] writes it.
        service: String,
        /// The HTTP path looked at.
        path: String,
        /// Why no form was found.
        reason: String,
    },
    /// The service does not speak the protocol expected.
    #[error("{service}: the reply is not {expected}: {reason}")]
    Protocol {
        /// The service, as [`ServiceSpec::describe`] writes it.
        service: String,
        /// What reply was expected.
        expected: String,
        /// What was wrong with the reply.
        reason: String,
    },
}

/// Drives guesses against one service.
pub trait LoginAdapter {
    /// Sends one guess and reads what came of it; never panics or hangs on the reply.
    fn try_login(
        &self,
        user: &str,
        pass: &str,
    ) -> impl std::future::Future<Output = Attempt> + Send;
}

/// Any of the adapters, chosen at run time from a [`ServiceSpec`].
pub enum Adapter {
    /// HTTP Basic.
    HttpBasic(http::BasicAdapter),
    /// HTTP Digest.
    HttpDigest(http::DigestAdapter),
    /// HTML form.
    HttpForm(form::FormAdapter),
    /// SSH, password or keyboard-interactive.
    Ssh(ssh::SshAdapter),
    /// Telnet.
    Telnet(telnet::TelnetAdapter),
    /// FTP.
    Ftp(ftp::FtpAdapter),
    /// MQTT.
    Mqtt(mqtt::MqttAdapter),
    /// SNMP community.
    Snmp(snmp::SnmpAdapter),
}

impl Adapter {
    /// Builds the adapter; the form adapter fetches the page and makes one
    /// known-bad attempt to learn what failure looks like.
    pub async fn prepare(spec: &ServiceSpec, timeout: Duration) -> Result<Adapter, LoginError> {
        Ok(match spec.kind {
            LoginKind::HttpBasic => Adapter::HttpBasic(http::BasicAdapter::new(spec, timeout)),
            LoginKind::HttpDigest => Adapter::HttpDigest(http::DigestAdapter::new(spec, timeout)),
            LoginKind::HttpForm => {
                Adapter::HttpForm(form::FormAdapter::learn(spec, timeout).await?)
            }
            LoginKind::SshPassword => Adapter::Ssh(ssh::SshAdapter::new(
                spec.addr,
                ssh::SshMethod::Password,
                timeout,
            )),
            LoginKind::SshKeyboardInteractive => Adapter::Ssh(ssh::SshAdapter::new(
                spec.addr,
                ssh::SshMethod::KeyboardInteractive,
                timeout,
            )),
            LoginKind::Telnet => Adapter::Telnet(telnet::TelnetAdapter::new(spec.addr, timeout)),
            LoginKind::Ftp => Adapter::Ftp(ftp::FtpAdapter::new(spec.addr, timeout)),
            LoginKind::Mqtt => Adapter::Mqtt(
                mqtt::MqttAdapter::new(spec.addr, spec.mqtt_level, timeout).with_tls(spec.tls),
            ),
            LoginKind::Snmp => Adapter::Snmp(snmp::SnmpAdapter::new(
                spec.addr,
                spec.snmp_version,
                timeout,
            )),
        })
    }
}

impl LoginAdapter for Adapter {
    async fn try_login(&self, user: &str, pass: &str) -> Attempt {
        match self {
            Adapter::HttpBasic(a) => a.try_login(user, pass).await,
            Adapter::HttpDigest(a) => a.try_login(user, pass).await,
            Adapter::HttpForm(a) => a.try_login(user, pass).await,
            Adapter::Ssh(a) => a.try_login(user, pass).await,
            Adapter::Telnet(a) => a.try_login(user, pass).await,
            Adapter::Ftp(a) => a.try_login(user, pass).await,
            Adapter::Mqtt(a) => a.try_login(user, pass).await,
            Adapter::Snmp(a) => a.try_login(user, pass).await,
        }
    }
}

/// A guess nobody would choose: used for known-bad attempts.
pub fn random_token(len: usize) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(len);
    let mut block = 0;
    while out.len() < len {
        use sha2::Digest;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let hash = sha2::Sha256::new()
            .chain_update(nanos.to_le_bytes())
            .chain_update(n.to_le_bytes())
            .chain_update([block])
            .finalize();
        for b in hash {
            if out.len() >= len {
                break;
            }
            if let Some(&c) = ALPHABET.get(usize::from(b) % ALPHABET.len()) {
                out.push(char::from(c));
            }
        }
        block = block.wrapping_add(1);
    }
    out
}
