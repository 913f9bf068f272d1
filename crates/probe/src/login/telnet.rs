//! Telnet login prompts: option negotiation, `login:` / `Password:`, and
//! telling a shell prompt from "Login incorrect".

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::text::{excerpt, lock_phrase};
use super::{Attempt, LoginAdapter, Signal};

/// Strips telnet commands from `input`, appending the text to `text` and
/// the answers the client owes to `reply`. Returns bytes left unprocessed
/// (an incomplete command at the end of the buffer).
pub fn process(input: &[u8], text: &mut Vec<u8>, reply: &mut Vec<u8>) -> Vec<u8> {
    let f = jcstar_wire::telnet::filter(input);
    text.extend_from_slice(&f.text);
    reply.extend_from_slice(&f.reply);
    f.pending
}

/// Guesses at the Telnet `login:` and `Password:` prompts.
pub struct TelnetAdapter {
    addr: SocketAddr,
    timeout: Duration,
}

struct Session {
    stream: TcpStream,
    pending: Vec<u8>,
    text: Vec<u8>,
    deadline: Instant,
}

enum Wait {
    Found(usize),
    Closed,
    Timeout,
}

impl Session {
    /// Reads until `pred` matches the accumulated text (returns the match
    /// index from `pred`), the peer closes, or the deadline passes.
    async fn wait_for(&mut self, pred: impl Fn(&str) -> Option<usize>) -> Wait {
        loop {
            let shown = String::from_utf8_lossy(&self.text).into_owned();
            if let Some(i) = pred(&shown) {
                return Wait::Found(i);
            }
            if self.text.len() > 64 * 1024 {
                return Wait::Timeout;
            }
            let mut buf = [0u8; 4096];
            let read = tokio::time::timeout_at(self.deadline, self.stream.read(&mut buf)).await;
            let n = match read {
                Err(_) => return Wait::Timeout,
                Ok(Err(_)) | Ok(Ok(0)) => return Wait::Closed,
                Ok(Ok(n)) => n,
            };
            let mut input = std::mem::take(&mut self.pending);
            input.extend_from_slice(buf.get(..n).unwrap_or_default());
            let mut reply = Vec::new();
            self.pending = process(&input, &mut self.text, &mut reply);
            if !reply.is_empty() && self.stream.write_all(&reply).await.is_err() {
                return Wait::Closed;
            }
        }
    }

    async fn send_line(&mut self, line: &str) -> bool {
        self.text.clear();
        let mut bytes = line.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        self.stream.write_all(&bytes).await.is_ok()
    }
}

fn ends_with_prompt(text: &str, prompts: &[&str]) -> Option<usize> {
    let lower = text.to_lowercase();
    let trimmed = lower.trim_end();
    prompts.iter().position(|p| trimmed.ends_with(p))
}

const LOGIN_PROMPTS: &[&str] = &["login:", "username:", "user name:", "user:"];
const PASSWORD_PROMPTS: &[&str] = &["password:", "passwd:"];
const FAILURE_TEXT: &[&str] = &[
    "login incorrect",
    "incorrect",
    "authentication failed",
    "login failed",
    "invalid",
    "access denied",
    "bad password",
];

/// What the server said after the password: 0 = failure, 1 = lock, 2 = shell.
fn after_password(text: &str) -> Option<usize> {
    let lower = text.to_lowercase();
    if lock_phrase(&lower).is_some() {
        return Some(1);
    }
    if FAILURE_TEXT.iter().any(|f| lower.contains(f))
        || ends_with_prompt(&lower, LOGIN_PROMPTS).is_some()
    {
        return Some(0);
    }
    let last = lower.trim_end_matches([' ', '\r', '\n']);
    let prompt_end = last.ends_with('$') || last.ends_with('#') || last.ends_with('>');
    if prompt_end && !last.is_empty() {
        return Some(2);
    }
    if lower.contains("last login") || (lower.contains("welcome") && prompt_end) {
        return Some(2);
    }
    None
}

impl TelnetAdapter {
    /// An adapter for the server at `addr`, each guess bounded by `timeout`.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        TelnetAdapter { addr, timeout }
    }

    /// Connects and returns the first text the server shows (a banner),
    /// bounded; `None` when nothing came before the deadline.
    pub async fn banner(&self) -> Option<String> {
        let stream = tokio::time::timeout(self.timeout, TcpStream::connect(self.addr))
            .await
            .ok()?
            .ok()?;
        let mut s = Session {
            stream,
            pending: Vec::new(),
            text: Vec::new(),
            deadline: Instant::now() + self.timeout,
        };
        let _ = s.wait_for(|t| ends_with_prompt(t, LOGIN_PROMPTS)).await;
        let shown = excerpt(&s.text, 400);
        (!shown.is_empty()).then_some(shown)
    }
}

impl LoginAdapter for TelnetAdapter {
    async fn try_login(&self, user: &str, pass: &str) -> Attempt {
        let deadline = Instant::now() + self.timeout;
        let stream = match tokio::time::timeout_at(deadline, TcpStream::connect(self.addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                return Attempt::Error {
                    reason: format!("connect: {e}"),
                };
            }
            Err(_) => {
                return Attempt::Error {
                    reason: "connect: no answer before the deadline".into(),
                };
            }
        };
        let _ = stream.set_nodelay(true);
        let mut s = Session {
            stream,
            pending: Vec::new(),
            text: Vec::new(),
            deadline,
        };
        let first = s
            .wait_for(|t| {
                ends_with_prompt(t, LOGIN_PROMPTS)
                    .map(|_| 0)
                    .or_else(|| ends_with_prompt(t, PASSWORD_PROMPTS).map(|_| 1))
                    .or_else(|| lock_phrase(t).map(|_| 2))
            })
            .await;
        match first {
            Wait::Found(0) => {
                if !s.send_line(user).await {
                    return closed();
                }
                match s.wait_for(|t| ends_with_prompt(t, PASSWORD_PROMPTS)).await {
                    Wait::Found(_) => {}
                    Wait::Closed => return closed(),
                    Wait::Timeout => {
                        return no_answer("no password prompt after the user name", &s.text);
                    }
                }
            }
            // A password-only prompt (some devices have no user name).
            Wait::Found(1) => {}
            Wait::Found(_) => {
                return Attempt::LockedOut {
                    signal: Signal::Message {
                        text: excerpt(&s.text, 160),
                    },
                };
            }
            Wait::Closed => return closed(),
            Wait::Timeout => return no_answer("no login prompt", &s.text),
        }
        if !s.send_line(pass).await {
            return closed();
        }
        match s.wait_for(after_password).await {
            Wait::Found(2) => Attempt::Success {
                signal: Signal::Message {
                    text: excerpt(&s.text, 160),
                },
            },
            Wait::Found(1) => Attempt::LockedOut {
                signal: Signal::Message {
                    text: excerpt(&s.text, 160),
                },
            },
            Wait::Found(_) => Attempt::Failure {
                signal: Signal::Message {
                    text: excerpt(&s.text, 160),
                },
            },
            // Closing right after a wrong password is how some devices say no.
            Wait::Closed => Attempt::Failure {
                signal: Signal::ClosedConnection,
            },
            Wait::Timeout => no_answer("no recognisable answer after the password", &s.text),
        }
    }
}

fn closed() -> Attempt {
    Attempt::Error {
        reason: "connection closed before the login finished".into(),
    }
}

fn no_answer(what: &str, text: &[u8]) -> Attempt {
    Attempt::Error {
        reason: format!("{what} before the deadline (saw: {:?})", excerpt(text, 120)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_outcomes() {
        assert_eq!(after_password("\r\nLogin incorrect\r\nlogin: "), Some(0));
        assert_eq!(after_password("Linux box 6.1\r\nuser@box:~$ "), Some(2));
        assert_eq!(
            after_password("Too many failures, try again later"),
            Some(1)
        );
        assert_eq!(after_password("\r\n"), None);
    }
}
