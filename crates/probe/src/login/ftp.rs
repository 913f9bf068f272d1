//! FTP USER/PASS login (RFC 959 reply codes).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::text::{excerpt, lock_phrase};
use super::{Attempt, LoginAdapter, Signal};

pub struct FtpAdapter {
    addr: SocketAddr,
    timeout: Duration,
}

/// One (possibly multi-line) reply: code and text.
async fn read_reply(
    r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    deadline: Instant,
) -> Result<(u16, String), String> {
    let mut text = String::new();
    let mut first_code: Option<String> = None;
    for _ in 0..64 {
        let mut line = Vec::new();
        let read = tokio::time::timeout_at(deadline, async {
            let mut limited = (&mut *r).take(4096);
            limited.read_until(b'\n', &mut line).await
        })
        .await;
        match read {
            Err(_) => return Err("no FTP reply before the deadline".into()),
            Ok(Err(e)) => return Err(format!("read: {e}")),
            Ok(Ok(0)) => return Err("connection closed".into()),
            Ok(Ok(_)) => {}
        }
        let l = String::from_utf8_lossy(&line).trim_end().to_string();
        text.push_str(&l);
        text.push(' ');
        let code = l.get(..3).unwrap_or_default().to_string();
        let sep = l.get(3..4).unwrap_or(" ");
        match &first_code {
            None => {
                if !code.chars().all(|c| c.is_ascii_digit()) || code.len() != 3 {
                    return Err(format!("not an FTP reply: {}", excerpt(&line, 80)));
                }
                if sep != "-" {
                    return Ok((code.parse().unwrap_or(0), text));
                }
                first_code = Some(code);
            }
            Some(c) => {
                if &code == c && sep == " " {
                    return Ok((c.parse().unwrap_or(0), text));
                }
            }
        }
    }
    Err("FTP reply longer than 64 lines".into())
}

impl FtpAdapter {
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
        let mut r = BufReader::new(r);
        let result = async {
            let (c, t) = read_reply(&mut r, deadline).await?;
            if c == 421 {
                return Ok(refused(c, &t));
            }
            if c != 220 {
                return Err(format!(
                    "unexpected greeting {c}: {}",
                    excerpt(t.as_bytes(), 80)
                ));
            }
            w.write_all(format!("USER {user}\r\n").as_bytes())
                .await
                .map_err(|e| e.to_string())?;
            let (c, t) = read_reply(&mut r, deadline).await?;
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
                _ => return Err(format!("unexpected reply to USER: {c}")),
            }
            w.write_all(format!("PASS {pass}\r\n").as_bytes())
                .await
                .map_err(|e| e.to_string())?;
            let (c, t) = read_reply(&mut r, deadline).await?;
            let _ = w.write_all(b"QUIT\r\n").await;
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
                _ => return Err(format!("unexpected reply to PASS: {c}")),
            })
        }
        .await;
        result.unwrap_or_else(|reason| Attempt::Error { reason })
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
