//! Bounded, printable records of what was sent and received, kept as evidence.

/// Largest transcript kept per service; the rest is counted, not stored.
pub const TRANSCRIPT_CAP: usize = 64 * 1024;

/// Bytes as printable ASCII: `\r`, `\n`, `\t`, `\\` and `\xNN` escapes.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s
}

/// [`escape`] of at most `max` input bytes, with a marker when cut.
pub fn escape_bounded(bytes: &[u8], max: usize) -> String {
    if bytes.len() > max {
        format!(
            "{}... ({} bytes)",
            escape(bytes.get(..max).unwrap_or(bytes)),
            bytes.len()
        )
    } else {
        escape(bytes)
    }
}

/// One conversation: lines starting `>` (sent), `<` (received), `#` (notes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// Name of the conversation, e.g. `tcp/22`; the evidence file is named after it.
    pub name: String,
    /// The lines recorded so far.
    pub text: String,
    /// Bytes left out after the size cap was reached.
    pub dropped_bytes: u64,
}

impl Transcript {
    /// An empty transcript named `name`.
    pub fn new(name: impl Into<String>) -> Transcript {
        Transcript {
            name: name.into(),
            text: String::new(),
            dropped_bytes: 0,
        }
    }

    fn push(&mut self, prefix: &str, body: &str, raw_len: usize) {
        if self.text.len() + body.len() + 4 > TRANSCRIPT_CAP {
            self.dropped_bytes += raw_len as u64;
            return;
        }
        self.text.push_str(prefix);
        self.text.push_str(body);
        self.text.push('\n');
    }

    /// Records bytes the probe sent, escaped to printable text.
    pub fn sent(&mut self, bytes: &[u8]) {
        self.push("> ", &escape(bytes), bytes.len());
    }

    /// Records bytes the service sent, escaped to printable text.
    pub fn received(&mut self, bytes: &[u8]) {
        self.push("< ", &escape(bytes), bytes.len());
    }

    /// Records a note of the probe's own.
    pub fn note(&mut self, note: &str) {
        self.push("# ", note, note.len());
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The file text, with a trailer when bytes were dropped.
    pub fn render(&self) -> String {
        if self.dropped_bytes > 0 {
            format!(
                "{}# transcript cut at {} bytes; {} more bytes not kept\n",
                self.text, TRANSCRIPT_CAP, self.dropped_bytes
            )
        } else {
            self.text.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_bounds() {
        assert_eq!(escape(b"ab\r\n\xff\\"), "ab\\r\\n\\xff\\\\");
        assert_eq!(escape_bounded(b"abcdef", 3), "abc... (6 bytes)");
        let mut t = Transcript::new("x");
        for _ in 0..100 {
            t.received(&[0u8; 4096]);
        }
        assert!(t.text.len() <= TRANSCRIPT_CAP);
        assert!(t.dropped_bytes > 0);
    }
}
