//! SSH password and keyboard-interactive login (russh client).
//!
//! Connections are reused across guesses while the server allows it (most
//! servers accept several attempts per connection), which is also what an
//! attacker would do; a connection the server closed is replaced once.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle, KeyboardInteractiveAuthResponse};
use russh::keys::PublicKeyOrCertificate;

use super::{Attempt, LoginAdapter, Signal};
use crate::sshauth::SshFailure;

/// Which SSH authentication method carries the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshMethod {
    /// The `password` method.
    Password,
    /// The `keyboard-interactive` method, answering the password prompt.
    KeyboardInteractive,
}

/// The russh client handler: accepts any host key and keeps the server's banner.
pub struct Client {
    banner: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    // The probe only guesses passwords; it never trusts the host key for
    // anything, so any key is accepted.
    async fn check_server_key(
        &mut self,
        _key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }

    async fn auth_banner(
        &mut self,
        banner: &str,
        _session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        if let Ok(mut b) = self.banner.lock() {
            *b = Some(banner.chars().take(512).collect());
        }
        Ok(())
    }
}

/// Guesses over SSH, reusing connections between guesses where the server allows.
pub struct SshAdapter {
    addr: SocketAddr,
    method: SshMethod,
    timeout: Duration,
    config: Arc<client::Config>,
    pool: Mutex<Vec<Handle<Client>>>,
}

enum Outcome {
    Done(Attempt, Option<Handle<Client>>),
    /// The connection failed under us; a fresh one may succeed.
    Broken(String),
}

impl SshAdapter {
    /// An adapter for the server at `addr` using `method`, each guess bounded by `timeout`.
    pub fn new(addr: SocketAddr, method: SshMethod, timeout: Duration) -> Self {
        let config = client::Config {
            inactivity_timeout: Some(timeout.saturating_mul(4)),
            nodelay: true,
            ..Default::default()
        };
        SshAdapter {
            addr,
            method,
            timeout,
            config: Arc::new(config),
            pool: Mutex::new(Vec::new()),
        }
    }

    /// Connects, retrying once after a short pause when the server hangs
    /// up at once: dropbear drops new connections from an address that
    /// already holds MAX_UNAUTH_PER_IP unauthenticated ones, and a
    /// connection it has just closed still counts until it reaps the child.
    /// A hang-up that persists means too many connections, which the caller
    /// (the default-credential check) answers with fewer of them.
    async fn connect(&self) -> Result<Handle<Client>, SshFailure> {
        match self.connect_once().await {
            Err(SshFailure::HungUp(_)) => {
                tokio::time::sleep(Duration::from_millis(150)).await;
                self.connect_once().await
            }
            other => other,
        }
    }

    async fn connect_once(&self) -> Result<Handle<Client>, SshFailure> {
        let handler = Client {
            banner: Arc::new(Mutex::new(None)),
        };
        match tokio::time::timeout(
            self.timeout,
            client::connect(self.config.clone(), self.addr, handler),
        )
        .await
        {
            Ok(Ok(h)) => Ok(h),
            Ok(Err(e)) => Err(SshFailure::from_russh(&e)),
            Err(_) => Err(SshFailure::TimedOut),
        }
    }

    async fn attempt_on(&self, mut handle: Handle<Client>, user: &str, pass: &str) -> Outcome {
        let fut = async {
            match self.method {
                SshMethod::Password => handle
                    .authenticate_password(user, pass)
                    .await
                    .map(|r| r.success()),
                SshMethod::KeyboardInteractive => {
                    let mut resp = handle
                        .authenticate_keyboard_interactive_start(user, None)
                        .await?;
                    for _ in 0..4 {
                        match resp {
                            KeyboardInteractiveAuthResponse::Success => return Ok(true),
                            KeyboardInteractiveAuthResponse::Failure { .. } => return Ok(false),
                            KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                                let answers = prompts
                                    .iter()
                                    .map(|p| {
                                        if p.echo {
                                            user.to_string()
                                        } else {
                                            pass.to_string()
                                        }
                                    })
                                    .collect();
                                resp = handle
                                    .authenticate_keyboard_interactive_respond(answers)
                                    .await?;
                            }
                        }
                    }
                    Ok(false)
                }
            }
        };
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(Ok(true)) => Outcome::Done(
                Attempt::Success {
                    signal: Signal::Code {
                        code: 52,
                        meaning: "SSH_MSG_USERAUTH_SUCCESS".into(),
                    },
                },
                None,
            ),
            Ok(Ok(false)) => Outcome::Done(
                Attempt::Failure {
                    signal: Signal::Code {
                        code: 51,
                        meaning: "SSH_MSG_USERAUTH_FAILURE".into(),
                    },
                },
                Some(handle),
            ),
            Ok(Err(e)) => Outcome::Broken(e.to_string()),
            Err(_) => Outcome::Done(
                Attempt::Error {
                    reason: "no SSH authentication reply before the deadline".into(),
                },
                None,
            ),
        }
    }
}

impl LoginAdapter for SshAdapter {
    async fn try_login(&self, user: &str, pass: &str) -> Attempt {
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        let mut last_err;
        let mut fresh_tries = 0;
        let mut next = pooled;
        loop {
            let (handle, reused) = match next.take() {
                Some(h) => (h, true),
                None => {
                    fresh_tries += 1;
                    match self.connect().await {
                        Ok(h) => (h, false),
                        Err(e) => {
                            return match e {
                                SshFailure::HungUp(why) => Attempt::turned_away(&why),
                                SshFailure::Refused => Attempt::Error {
                                    reason: "connection refused".into(),
                                },
                                SshFailure::TimedOut => Attempt::Error {
                                    reason: "SSH handshake did not finish before the deadline"
                                        .into(),
                                },
                                SshFailure::Protocol(why) => Attempt::Error { reason: why },
                            };
                        }
                    }
                }
            };
            match self.attempt_on(handle, user, pass).await {
                Outcome::Done(attempt, keep) => {
                    if let Some(h) = keep
                        && let Ok(mut p) = self.pool.lock()
                        && p.len() < 64
                    {
                        p.push(h);
                    }
                    return attempt;
                }
                Outcome::Broken(e) => {
                    last_err = e;
                    // A reused connection the server has since closed (e.g.
                    // after its per-connection limit) says nothing about
                    // this guess; a fresh connection that breaks does.
                    if reused || fresh_tries < 2 {
                        continue;
                    }
                    break;
                }
            }
        }
        Attempt::Error {
            reason: format!("connection closed during authentication: {last_err}"),
        }
    }
}

/// The SSH identification line of the server (e.g. `SSH-2.0-dropbear_2022.83`).
pub async fn banner(addr: SocketAddr, timeout: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
        let mut buf = vec![0u8; 512];
        let mut len = 0;
        while len < buf.len() {
            let n = s.read(buf.get_mut(len..)?).await.ok()?;
            if n == 0 {
                break;
            }
            len += n;
            if buf.get(..len)?.contains(&b'\n') {
                break;
            }
        }
        let text = String::from_utf8_lossy(buf.get(..len)?).into_owned();
        text.lines()
            .find(|l| l.starts_with("SSH-"))
            .map(|l| l.trim().to_string())
    };
    tokio::time::timeout(timeout, fut).await.ok().flatten()
}
