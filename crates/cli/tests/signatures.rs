//! `jcstar registry keys`, `jcstar registry sign` and `jcstar
//! verify-signature` through the built binary: a file the registry signed
//! verifies offline with the published key set, and fails after any change.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::path::Path;
use std::process::{Command, Output};

fn jcstar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args(args)
        .env_remove("JCSTAR_LANG")
        .env_remove("JCSTAR_KEYS")
        .env("NO_COLOR", "1")
        .output()
        .expect("run jcstar")
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_signed_file_verifies_offline_and_fails_after_a_one_byte_change() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    let out = jcstar(&["registry", "keys", "create", "--keys", arg(&keys)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("署名鍵を作りました"), "{}", text(&out));

    let file = tmp.path().join("labels.csv");
    let body = "\u{feff}登録番号,製品名\r\nJCS1-2024-000002-3,ネットワークカメラ\r\n";
    std::fs::write(&file, body).unwrap();
    let out = jcstar(&[
        "registry",
        "sign",
        arg(&file),
        "--subject",
        "labels-snapshot",
        "--keys",
        arg(&keys),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(tmp.path().join("labels.csv.jws").exists());

    // The buyer has only the file, its signature and the published key set.
    let published = tmp.path().join("published-keys.json");
    std::fs::copy(keys.join("keys.json"), &published).unwrap();
    let out = jcstar(&["verify-signature", arg(&file), "--keys", arg(&published)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("署名は有効です"), "{}", text(&out));
    let out = jcstar(&[
        "verify-signature",
        arg(&file),
        "--keys",
        arg(&published),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["subject"], "labels-snapshot");

    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    let out = jcstar(&["verify-signature", arg(&file), "--keys", arg(&published)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("一致しません"), "{}", text(&out));
    let out = jcstar(&[
        "--lang",
        "en",
        "verify-signature",
        arg(&file),
        "--keys",
        arg(&published),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("does not match"), "{}", text(&out));
}

#[test]
fn after_rotation_old_signatures_still_verify_with_the_new_key_set() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    assert_eq!(
        jcstar(&["registry", "keys", "create", "--keys", arg(&keys)])
            .status
            .code(),
        Some(0)
    );
    let file = tmp.path().join("report.json");
    std::fs::write(&file, b"{\"rows\":[]}\n").unwrap();
    assert_eq!(
        jcstar(&["registry", "sign", arg(&file), "--keys", arg(&keys)])
            .status
            .code(),
        Some(0)
    );
    let out = jcstar(&["registry", "keys", "rotate", "--keys", arg(&keys)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = jcstar(&["registry", "keys", "list", "--keys", arg(&keys), "--json"]);
    let set: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(set["keys"].as_array().unwrap().len(), 2);
    assert!(set["keys"][1]["retired"].is_string());
    let out = jcstar(&[
        "verify-signature",
        arg(&file),
        "--keys",
        arg(&keys.join("keys.json")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("失効"), "{}", text(&out));
}

#[test]
fn unusable_input_exits_2_and_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a.csv");
    std::fs::write(&file, "x").unwrap();
    let keys = tmp.path().join("keys.json");
    std::fs::write(&keys, "not json").unwrap();
    let out = jcstar(&["verify-signature", arg(&file), "--keys", arg(&keys)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("keys.json"), "{}", text(&out));
    std::fs::write(&keys, "{\"keys\":[]}").unwrap();
    let out = jcstar(&["verify-signature", arg(&file), "--keys", arg(&keys)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("a.csv.jws"), "{}", text(&out));
    std::fs::write(tmp.path().join("a.csv.jws"), "garbage").unwrap();
    let out = jcstar(&["verify-signature", arg(&file), "--keys", arg(&keys)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// The private key file is a form OpenSSL reads, and OpenSSL derives the
/// same public key that keys.json publishes.
#[test]
fn openssl_reads_the_private_key_and_agrees_on_the_public_key() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    assert_eq!(
        jcstar(&["registry", "keys", "create", "--keys", arg(&keys)])
            .status
            .code(),
        Some(0)
    );
    let out = Command::new("openssl")
        .args(["pkey", "-in"])
        .arg(keys.join("signing-key.pem"))
        .args(["-pubout", "-outform", "DER"])
        .output()
        .expect("openssl is installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let der = out.stdout;
    let set: serde_json::Value =
        serde_json::from_slice(&std::fs::read(keys.join("keys.json")).unwrap()).unwrap();
    let x = set["keys"][0]["x"].as_str().unwrap();
    use base64::Engine as _;
    let public = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(x)
        .unwrap();
    assert_eq!(&der[der.len() - 32..], public.as_slice());
}
