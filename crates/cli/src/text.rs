//! Terminal text helpers shared by the commands.

/// Terminal columns of a string: East Asian wide characters take two, so
/// `format!("{:<n}")`, which counts chars, would misalign Japanese columns.
pub fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` padded with spaces to `width` terminal columns.
pub fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(display_width(s))))
}

/// `s` as a table cell of `width` terminal columns: padded like [`pad`],
/// and always followed by at least one space, so an over-long value does
/// not run into the next column.
pub fn column(s: &str, width: usize) -> String {
    format!(
        "{s}{}",
        " ".repeat(width.saturating_sub(display_width(s)).max(1))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(display_width("適合"), 4);
        assert_eq!(display_width("pass"), 4);
        assert_eq!(pad("適合", 6), "適合  ");
        assert_eq!(column("適合", 6), "適合  ");
        assert_eq!(column("適合適合", 6), "適合適合 ");
    }
}
