//! `jcstar criteria map` and `show` speak the user's language throughout,
//! including the relation label next to each match.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::process::{Command, Output};

fn jcstar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args(args)
        .env_remove("JCSTAR_LANG")
        .env("NO_COLOR", "1")
        .output()
        .expect("run jcstar")
}

#[test]
fn the_relation_label_follows_the_language() {
    let ja = jcstar(&["criteria", "map", "--from", "uk-psti", "1(3)"]);
    assert_eq!(
        ja.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ja.stderr)
    );
    let text = String::from_utf8_lossy(&ja.stdout);
    assert!(text.contains("[関係: "), "{text}");
    assert!(!text.contains("related"), "{text}");

    let en = jcstar(&[
        "--lang", "en", "criteria", "map", "--from", "uk-psti", "1(3)",
    ]);
    assert!(String::from_utf8_lossy(&en.stdout).contains("[related: "));

    let show = jcstar(&["criteria", "show", "S1.1-02"]);
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(text.contains("    関係: "), "{text}");
    assert!(!text.contains("related:"), "{text}");
}
