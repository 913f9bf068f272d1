//! FTP USER/PASS login (RFC 959 reply codes).

use std::net::SocketAddr;
use std::time::Duration;

use jcstar_wire::ftp::{self, FtpError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::text::{excerpt, lock_phrase};
use super::{Attempt, LoginAdapter, Signal};

/// Guesses over FTP `USER`/`PASS`, one control connection per guess.
pub struct FtpAdapter {
    addr: SocketAddr,
    timeout: Duration,
}

/// Why no usable FTP reply arrived.
#[derive(Debug, thiserror::Error)]
enum ReplyError {
    #[error("not an FTP reply: {0}")]
    NotAReply(String),
    #[error("FTP reply too long")]
    TooLong,
    #[error("no FTP reply before the deadline")]
    TimedOut,
    #[error("read: {0}")]
    Read(#[from] std::io::Error),
    #[error("connection closed")]
    Closed,
    #[error("unexpected greeting {code}: {text}")]
    Greeting { code: u16, text: String },
    #[error("unexpected reply to {command}: {code}")]
    Unexpected { command: &'static str, code: u16 },
}

/// The control connection's read side with the bytes read past the last
/// reply.
struct Replies {
    r: tokio::net::tcp::OwnedReadHalf,
    buf: Vec<u8>,
}

impl Replies {
    /// One (possibly multi-line) reply: code and text.
    async fn next(&mut self, deadline: Instant) -> Result<(u16, String), ReplyError> {
        loop {
            match ftp::parse_reply(&self.buf) {
                Ok(reply) => {
                    self.buf.drain(..reply.len.min(self.buf.len()));
                    return Ok((reply.code, reply.text()));
                }
                Err(FtpError::Incomplete) => {}
                Err(FtpError::NotAReply) => {
                    return Err(ReplyError::NotAReply(excerpt(&self.buf, 80)));
                }
                Err(FtpError::TooLong) => return Err(ReplyError::TooLong),
            }
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout_at(deadline, self.r.read(&mut chunk)).await {
                Err(_) => return Err(ReplyError::TimedOut),
                Ok(Err(e)) => return Err(ReplyError::Read(e)),
                Ok(Ok(0)) => return Err(ReplyError::Closed),
                Ok(Ok(n)) => self
                    .buf
                    .extend_from_slice(chunk.get(..n).unwrap_or_default()),
            }
        }
    }
}

impl FtpAdapter {
    /// An adapter for the server at `addr`, each guess bounded by `timeout`.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        FtpAdapter { addr, timeout }
    }
}

fn code(code: u16, text: &str) -> Signal {
    Signal::Code {
        code: u32::from(code),
        meaning: excerpt(text.as_bytes(), 120),
    }
}

impl LoginAdapter for FtpAdapter {
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
        let (r, mut w) = stream.into_split();
        let mut r = Replies { r, buf: Vec::new() };
        let result = async {
            let (c, t) = r.next(deadline).await?;
            if c == 421 {
                return Ok(refused(c, &t));
            }
            if c != 220 {
                return Err(ReplyError::Greeting {
                    code: c,
                    text: excerpt(t.as_bytes(), 80),
                });
            }
            w.write_all(&ftp::encode_command("USER", Some(user)))
                .await?;
            let (c, t) = r.next(deadline).await?;
            match c {
                230 => {
                    return Ok(Attempt::Success {
                        signal: code(c, &t),
                    });
                }
                331 | 332 => {}
                421 => return Ok(refused(c, &t)),
                530 => {
                    return Ok(Attempt::Failure {
                        signal: code(c, &t),
                    });
                }
                _ => {
                    return Err(ReplyError::Unexpected {
                        command: "USER",
                        code: c,
                    });
                }
            }
            w.write_all(&ftp::encode_command("PASS", Some(pass)))
                .await?;
            let (c, t) = r.next(deadline).await?;
            let _ = w.write_all(&ftp::encode_command("QUIT", None)).await;
            Ok(match c {
                230 | 202 => Attempt::Success {
                    signal: code(c, &t),
                },
                421 => refused(c, &t),
                530 if lock_phrase(&t).is_some() => Attempt::LockedOut {
                    signal: code(c, &t),
                },
                530 | 430 => Attempt::Failure {
                    signal: code(c, &t),
                },
                _ => {
                    return Err(ReplyError::Unexpected {
                        command: "PASS",
                        code: c,
                    });
                }
            })
        }
        .await;
        result.unwrap_or_else(|e| Attempt::Error {
            reason: e.to_string(),
        })
    }
}

/// 421: the server closes the control connection; with a lockout text it is
/// a lockout, otherwise a refusal to serve (often a connection limit).
fn refused(c: u16, t: &str) -> Attempt {
    if lock_phrase(t).is_some() {
        Attempt::LockedOut { signal: code(c, t) }
    } else {
        Attempt::RateLimited {
            signal: code(c, t),
            delay_ms: None,
        }
    }
}
