//! `--help` speaks Japanese by default and English with `--lang en` or
//! `JCSTAR_LANG=en`.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::process::Command;

fn help(args: &[&str], env_lang: Option<&str>) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jcstar"));
    c.args(args).env_remove("JCSTAR_LANG");
    if let Some(l) = env_lang {
        c.env("JCSTAR_LANG", l);
    }
    let out = c.output().expect("run jcstar");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn help_is_japanese_by_default() {
    let h = help(&["registry", "apply", "--help"], None);
    for want in [
        "使い方:",
        "オプション:",
        "申請事業者 `--org` として申請を提出します",
        "チェックリスト（.toml、.json または .xlsx）",
        "ヘルプを表示します",
        "[環境変数: JCSTAR_DATABASE]",
    ] {
        assert!(h.contains(want), "missing {want:?} in:\n{h}");
    }
    for unwanted in [
        "Usage:",
        "Options:",
        "Print help",
        "Submit an application",
        "[default:",
    ] {
        assert!(!h.contains(unwanted), "{unwanted:?} in:\n{h}");
    }
    let top = help(&["--help"], None);
    assert!(top.contains("コマンド:") && top.contains("登録簿"), "{top}");
    assert!(!top.contains("Commands:"), "{top}");
    let show = help(&["registry", "show", "-h"], None);
    assert!(
        show.contains("引数:") && show.contains("登録番号"),
        "{show}"
    );
}

#[test]
fn help_is_english_on_request() {
    for h in [
        help(&["--lang", "en", "registry", "apply", "--help"], None),
        help(&["registry", "apply", "--help", "--lang=en"], None),
        help(&["registry", "apply", "--help"], Some("en")),
    ] {
        assert!(h.contains("Usage:"), "{h}");
        assert!(h.contains("Submit an application as the vendor"), "{h}");
        assert!(!h.contains("使い方"), "{h}");
    }
    // The flag wins over the environment.
    let h = help(&["--lang", "ja", "registry", "--help"], Some("en"));
    assert!(h.contains("使い方:"), "{h}");
}

#[test]
fn command_line_errors_follow_the_language() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_jcstar"))
            .args(args)
            .env_remove("JCSTAR_LANG")
            .output()
            .expect("run jcstar");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let ja = run(&["registry", "applyy"]);
    assert!(ja.contains("'applyy' というコマンドはありません"), "{ja}");
    assert!(
        ja.contains("もしかして: 'apply'") && ja.contains("使い方:"),
        "{ja}"
    );
    let ja = run(&["registry", "show"]);
    assert!(
        ja.contains("必須の引数が指定されていません") && ja.contains("<NUMBER>"),
        "{ja}"
    );
    let en = run(&["--lang", "en", "registry", "show"]);
    assert!(en.contains("error:") && en.contains("Usage:"), "{en}");
}

#[test]
fn testbed_run_help_says_any_127_0_0_n_address() {
    // Every device gets a loopback address of its own: the help must not
    // suggest that only 127.0.0.1 or ::1 work.
    for h in [
        help(&["testbed", "run", "--help"], None),
        help(&["--lang", "en", "testbed", "run", "--help"], None),
    ] {
        assert!(h.contains("--bind"), "{h}");
        assert!(h.contains("127.0.0.N") && h.contains("127.0.0.2"), "{h}");
    }
}
