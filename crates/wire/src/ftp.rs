//! FTP control-connection replies (RFC 959 §4.2): `NNN text` on one line,
//! or `NNN-text` … `NNN text` over several.

/// Most lines read for one reply.
pub const MAX_LINES: usize = 64;
/// Longest reply, in bytes.
pub const MAX_REPLY: usize = 16 * 1024;

/// Why bytes are not (yet) one FTP reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FtpError {
    /// The reply has not ended: read more.
    #[error("the reply has not ended")]
    Incomplete,
    /// The first line does not start with a three-digit code.
    #[error("not an FTP reply")]
    NotAReply,
    /// More than [`MAX_LINES`] lines or [`MAX_REPLY`] bytes.
    #[error("reply too long")]
    TooLong,
}

/// One complete reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code, e.g. 220 for the greeting or 530 for a refused login.
    pub code: u16,
    /// The lines' text (code and separator removed), in order.
    pub lines: Vec<String>,
    /// Bytes the reply took from the input.
    pub len: usize,
}

impl Reply {
    /// The lines joined with spaces.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }
}

fn code_of(line: &[u8]) -> Option<u16> {
    let digits = line.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0')),
    )
}

fn text_of(line: &[u8]) -> String {
    String::from_utf8_lossy(line.get(4..).unwrap_or_default())
        .trim_end()
        .to_string()
}

/// Parses the first complete reply at the start of `bytes`.
pub fn parse_reply(bytes: &[u8]) -> Result<Reply, FtpError> {
    let mut at = 0usize;
    let mut first: Option<u16> = None;
    let mut lines = Vec::new();
    for _ in 0..MAX_LINES {
        let rest = bytes.get(at..).unwrap_or_default();
        let Some(nl) = rest.iter().position(|b| *b == b'\n') else {
            // Judge the first line as early as possible.
            if first.is_none() && rest.len() >= 3 && code_of(rest).is_none() {
                return Err(FtpError::NotAReply);
            }
            return Err(if bytes.len() > MAX_REPLY {
                FtpError::TooLong
            } else {
                FtpError::Incomplete
            });
        };
        let line = rest.get(..nl).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        at += nl + 1;
        if at > MAX_REPLY {
            return Err(FtpError::TooLong);
        }
        let code = code_of(line);
        let sep = line.get(3).copied();
        match first {
            None => {
                let code = code.ok_or(FtpError::NotAReply)?;
                lines.push(text_of(line));
                if sep != Some(b'-') {
                    return Ok(Reply {
                        code,
                        lines,
                        len: at,
                    });
                }
                first = Some(code);
            }
            Some(c) => {
                if code == Some(c) && sep != Some(b'-') {
                    lines.push(text_of(line));
                    return Ok(Reply {
                        code: c,
                        lines,
                        len: at,
                    });
                }
                lines.push(String::from_utf8_lossy(line).trim_end().to_string());
            }
        }
    }
    Err(FtpError::TooLong)
}

/// A command line: `VERB arg\r\n` (or `VERB\r\n`). Line breaks in `arg`
/// are dropped so an argument cannot add a command.
pub fn encode_command(verb: &str, arg: Option<&str>) -> Vec<u8> {
    let mut out = verb.as_bytes().to_vec();
    if let Some(a) = arg {
        out.push(b' ');
        out.extend(a.bytes().filter(|b| *b != b'\r' && *b != b'\n'));
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vsftpd_greeting_and_login() {
        // Captured on loopback from Debian 12's vsftpd 3.0.3: the greeting,
        // the reply to USER and the refusal of a wrong password.
        let r = parse_reply(b"220 (vsFTPd 3.0.3)\r\n").unwrap();
        assert_eq!(
            (r.code, r.text().as_str(), r.len),
            (220, "(vsFTPd 3.0.3)", 20)
        );
        let r = parse_reply(b"331 Please specify the password.\r\n").unwrap();
        assert_eq!(r.code, 331);
        let r = parse_reply(b"530 Login incorrect.\r\n").unwrap();
        assert_eq!(r.code, 530);
    }

    #[test]
    fn multi_line() {
        // ProFTPD-style banner over three lines; an inner line with another
        // code does not end it.
        let b = b"220-Welcome\r\n230 not the end\r\n220 ready\r\nNEXT";
        let r = parse_reply(b).unwrap();
        assert_eq!(r.code, 220);
        assert_eq!(r.lines.len(), 3);
        assert_eq!(b.get(r.len..), Some(&b"NEXT"[..]));
        assert_eq!(parse_reply(b"220-Welcome\r\n"), Err(FtpError::Incomplete));
        assert_eq!(parse_reply(b"220 part"), Err(FtpError::Incomplete));
        assert_eq!(parse_reply(b"SSH-2.0-x\r\n"), Err(FtpError::NotAReply));
        assert_eq!(parse_reply(b"SSH"), Err(FtpError::NotAReply));
    }

    #[test]
    fn commands() {
        assert_eq!(
            encode_command("USER", Some("a\r\nDELE x")),
            b"USER aDELE x\r\n"
        );
        assert_eq!(encode_command("QUIT", None), b"QUIT\r\n");
    }
}
