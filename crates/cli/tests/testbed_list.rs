//! `jcstar testbed list` run as a real process: text and JSON say the same.

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

#[test]
fn testbed_list_as_text_and_json() {
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_jcstar"))
            .args(args)
            .output()
            .expect("run jcstar");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let text = run(&["testbed", "list"]);
    let json: serde_json::Value =
        serde_json::from_str(&run(&["testbed", "list", "--json"])).unwrap();
    let list = json.as_array().unwrap();
    assert!(list.len() >= 4, "{json}");
    for d in list {
        let name = d["name"].as_str().unwrap();
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} missing from the text list"
        );
        assert!(["device", "login-device"].contains(&d["kind"].as_str().unwrap()));
        assert!(!d["services"].as_array().unwrap().is_empty(), "{name}");
    }
    assert!(list.iter().any(|d| d["name"] == "auth-lockout"));
}
