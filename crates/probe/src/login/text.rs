//! Text helpers shared by the adapters: lockout phrases, masking, excerpts.

/// Phrases that mean the device refuses to evaluate guesses for a while.
/// They are matched case-insensitively; deliberately specific so that an
/// ordinary page mentioning a "locked door" is not taken for a lockout.
const LOCK_PHRASES: &[&str] = &[
    "locked out",
    "account locked",
    "account is locked",
    "account has been locked",
    "temporarily locked",
    "temporarily blocked",
    "temporarily disabled",
    "too many",
    "try again later",
    "try again in",
    "rate limit",
    "captcha",
    "アカウントがロック",
    "ロックされ",
    "しばらくしてから",
];

/// The lockout phrase found in `text`, if any.
pub fn lock_phrase(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    LOCK_PHRASES.iter().copied().find(|p| lower.contains(p))
}

/// `secret` → `s*****t`-style mask that keeps the length hint small.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    match chars.len() {
        0 => "(empty)".to_string(),
        1 | 2 => "*".repeat(chars.len()),
        n => {
            let first = chars.first().copied().unwrap_or('*');
            let last = chars.last().copied().unwrap_or('*');
            format!("{first}{}{last}", "*".repeat(n - 2))
        }
    }
}

/// Printable, bounded excerpt of device output for evidence and signals.
pub(crate) fn excerpt(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for c in text.chars() {
        if out.len() >= max {
            out.push('…');
            break;
        }
        if c == '\n' || c == '\r' || c == '\t' {
            out.push(' ');
        } else if !c.is_control() {
            out.push(c);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_phrases_are_specific() {
        assert_eq!(lock_phrase("Too many failed attempts"), Some("too many"));
        assert_eq!(lock_phrase("The front door is locked"), None);
        assert_eq!(
            lock_phrase("アカウントがロックされました"),
            Some("アカウントがロック")
        );
    }

    #[test]
    fn masks_keep_only_ends() {
        assert_eq!(mask("xc3511"), "x****1");
        assert_eq!(mask(""), "(empty)");
        assert_eq!(mask("ab"), "**");
    }
}
