//! Telnet (RFC 854) command filtering and option negotiation, client side.
//!
//! The stance is the usual client's: the client enables nothing itself
//! (every `DO` gets `WONT`), lets the server echo and suppress go-ahead
//! (`WILL ECHO`/`WILL SGA` get `DO`), and refuses every other server option
//! (`DONT`). Subnegotiations are skipped.

/// Interpret As Command: starts every Telnet command.
pub const IAC: u8 = 255;
/// DONT: asks the peer to stop (or not start) using an option.
pub const DONT: u8 = 254;
/// DO: asks the peer to use an option.
pub const DO: u8 = 253;
/// WONT: refuses to use an option.
pub const WONT: u8 = 252;
/// WILL: offers to use an option.
pub const WILL: u8 = 251;
/// SB: starts a subnegotiation.
pub const SB: u8 = 250;
/// SE: ends a subnegotiation.
pub const SE: u8 = 240;
/// ECHO option (RFC 857).
pub const OPT_ECHO: u8 = 1;
/// SUPPRESS-GO-AHEAD option (RFC 858).
pub const OPT_SGA: u8 = 3;
/// TERMINAL-TYPE option (RFC 1091).
pub const OPT_TTYPE: u8 = 24;

/// An option negotiation verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// The sender offers to use the option.
    Will,
    /// The sender refuses to use the option.
    Wont,
    /// The sender asks the receiver to use the option.
    Do,
    /// The sender asks the receiver not to use the option.
    Dont,
}

impl Verb {
    fn from_byte(b: u8) -> Option<Verb> {
        match b {
            WILL => Some(Verb::Will),
            WONT => Some(Verb::Wont),
            DO => Some(Verb::Do),
            DONT => Some(Verb::Dont),
            _ => None,
        }
    }
    /// The command byte.
    pub fn byte(self) -> u8 {
        match self {
            Verb::Will => WILL,
            Verb::Wont => WONT,
            Verb::Do => DO,
            Verb::Dont => DONT,
        }
    }
    /// Lower-case name: `will`, `wont`, `do`, `dont`.
    pub fn name(self) -> &'static str {
        match self {
            Verb::Will => "will",
            Verb::Wont => "wont",
            Verb::Do => "do",
            Verb::Dont => "dont",
        }
    }
}

/// `IAC verb option`.
pub fn command(verb: Verb, option: u8) -> [u8; 3] {
    [IAC, verb.byte(), option]
}

/// What one chunk of input held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filtered {
    /// The text with every command removed (NUL dropped, `IAC IAC` as 0xff).
    pub text: Vec<u8>,
    /// The answers owed to the peer (client stance, see the module doc).
    pub reply: Vec<u8>,
    /// Option negotiations seen, in order.
    pub options: Vec<(Verb, u8)>,
    /// Bytes at the end that are an unfinished command: keep them and
    /// prepend them to the next chunk.
    pub pending: Vec<u8>,
}

/// The answer a client gives to the server's `verb option`, if any.
pub fn answer(verb: Verb, option: u8) -> Option<[u8; 3]> {
    match verb {
        Verb::Do => Some(command(Verb::Wont, option)),
        Verb::Will if option == OPT_ECHO || option == OPT_SGA => Some(command(Verb::Do, option)),
        Verb::Will => Some(command(Verb::Dont, option)),
        Verb::Wont | Verb::Dont => None,
    }
}

/// Strips commands from `input` (see [`Filtered`]).
pub fn filter(input: &[u8]) -> Filtered {
    let mut out = Filtered::default();
    let mut i = 0usize;
    while let Some(&b) = input.get(i) {
        if b != IAC {
            if b != 0 {
                out.text.push(b);
            }
            i += 1;
            continue;
        }
        let Some(&cmd) = input.get(i + 1) else {
            out.pending = input.get(i..).unwrap_or_default().to_vec();
            return out;
        };
        if cmd == IAC {
            out.text.push(IAC);
            i += 2;
        } else if let Some(verb) = Verb::from_byte(cmd) {
            let Some(&opt) = input.get(i + 2) else {
                out.pending = input.get(i..).unwrap_or_default().to_vec();
                return out;
            };
            out.options.push((verb, opt));
            if let Some(a) = answer(verb, opt) {
                out.reply.extend_from_slice(&a);
            }
            i += 3;
        } else if cmd == SB {
            let rest = input.get(i + 2..).unwrap_or_default();
            match rest.windows(2).position(|w| w == [IAC, SE]) {
                Some(end) => i += 2 + end + 2,
                None => {
                    out.pending = input.get(i..).unwrap_or_default().to_vec();
                    return out;
                }
            }
        } else {
            // NOP, GA, AYT, ...: two bytes, nothing to show.
            i += 2;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busybox_telnetd_greeting() {
        // What BusyBox telnetd sends first (DO ECHO, DO NAWS, WILL ECHO,
        // WILL SGA, from its source), then a CR NUL LF and the prompt.
        let input = [
            IAC, DO, 1, IAC, DO, 31, IAC, WILL, 1, IAC, WILL, 3, b'\r', 0, b'\n', b'l', b'o', b'g',
            b'i', b'n', b':', b' ',
        ];
        let f = filter(&input);
        assert_eq!(f.text, b"\r\nlogin: ");
        assert_eq!(
            f.reply,
            [IAC, WONT, 1, IAC, WONT, 31, IAC, DO, 1, IAC, DO, 3]
        );
        assert_eq!(
            f.options,
            vec![
                (Verb::Do, 1),
                (Verb::Do, 31),
                (Verb::Will, 1),
                (Verb::Will, 3)
            ]
        );
        assert!(f.pending.is_empty());
    }

    #[test]
    fn inetutils_telnetd_opening() {
        // Debian's inetutils-telnetd, captured on loopback: WILL AUTH,
        // WILL ENCRYPT, DO TTYPE, TSPEED, XDISPLOC, NEW-ENVIRON, OLD-ENVIRON.
        let input = [
            255, 251, 37, 255, 251, 38, 255, 253, 24, 255, 253, 32, 255, 253, 35, 255, 253, 39,
            255, 253, 36,
        ];
        let f = filter(&input);
        assert!(f.text.is_empty() && f.pending.is_empty());
        assert_eq!(f.options.len(), 7);
        assert_eq!(
            f.reply,
            [
                IAC, DONT, 37, IAC, DONT, 38, IAC, WONT, 24, IAC, WONT, 32, IAC, WONT, 35, IAC,
                WONT, 39, IAC, WONT, 36
            ]
        );
    }

    #[test]
    fn strips_subnegotiation_and_keeps_unfinished_tail() {
        let input = [
            IAC, DO, 24, b'h', b'i', IAC, WILL, OPT_ECHO, IAC, WILL, 5, IAC, SB, 24, 1, IAC, SE,
            b'!', IAC,
        ];
        let f = filter(&input);
        assert_eq!(f.text, b"hi!");
        assert_eq!(
            f.reply,
            vec![IAC, WONT, 24, IAC, DO, OPT_ECHO, IAC, DONT, 5]
        );
        assert_eq!(f.pending, vec![IAC]);
        assert_eq!(filter(&[IAC, SB, 24, 1]).pending, vec![IAC, SB, 24, 1]);
        assert_eq!(filter(&[IAC, DO]).pending, vec![IAC, DO]);
        assert_eq!(filter(&[IAC, IAC, b'x']).text, vec![IAC, b'x']);
    }
}
