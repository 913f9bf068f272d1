//! `jcstar probe`, `jcstar probe verify` and `jcstar testbed run` as a user runs them.

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

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let p =
            std::env::temp_dir().join(format!("jcstar-cli-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn jcstar() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jcstar"))
}

fn run(args: &[&str]) -> Output {
    jcstar().args(args).output().expect("running jcstar")
}

#[test]
fn refuses_ranges_broadcast_and_multicast() {
    for t in ["10.0.0.0/8", "255.255.255.255", "224.0.0.1"] {
        let o = run(&["--lang", "en", "probe", t, "--json"]);
        assert_eq!(o.status.code(), Some(2), "{t}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("refused"), "{t}: {err}");
        assert!(o.stdout.is_empty(), "{t}: nothing on stdout");
    }
    // Japanese by default: the refusal is the library's own Japanese text,
    // not the English one behind a Japanese prefix.
    for (t, word) in [
        ("10.0.0.0/8", "ネットワーク範囲"),
        ("255.255.255.255", "ブロードキャスト"),
        ("224.0.0.1", "マルチキャスト"),
        ("", "対象が空"),
    ] {
        let o = run(&["probe", t, "--json"]);
        assert_eq!(o.status.code(), Some(2), "{t}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("指定できません") && err.contains(word),
            "{t}: {err}"
        );
        assert!(!err.contains("refused"), "{t}: {err}");
    }
}

/// Runs `script` in a fresh network namespace (its own loopback), so other
/// services on this machine cannot change the open-port set mid-test.
fn in_netns(script: &str) -> Output {
    assert!(
        Path::new("/usr/bin/unshare").exists() && Path::new("/usr/sbin/ip").exists(),
        "needs unshare (util-linux) and ip (iproute2)"
    );
    Command::new("/usr/bin/unshare")
        .args(["--net", "--", "/bin/sh", "-c"])
        .arg(format!("ip link set lo up && {script}"))
        .output()
        .expect("unshare")
}

#[test]
fn full_scan_open_set_equals_nmap() {
    assert!(
        Path::new("/usr/bin/nmap").exists(),
        "nmap is missing: install the Debian package `nmap`"
    );
    let dir = TempDir::new("nmap");
    let d = dir.path().display();
    let bin = env!("CARGO_BIN_EXE_jcstar");
    let script = format!(
        "{bin} testbed run camera --json > {d}/tb.json & TB=$!; \
         for i in $(seq 1 50); do [ -s {d}/tb.json ] && break; sleep 0.1; done; \
         nmap -sT -p- -Pn -n -oG {d}/nmap.txt 127.0.0.1 > /dev/null; \
         {bin} probe 127.0.0.1 --tcp all --udp none --json > {d}/probe.json; \
         echo $? > {d}/rc; kill $TB"
    );
    let out = in_netns(&script);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tb: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("tb.json")).unwrap()).unwrap();
    let mut expected: Vec<u16> = tb["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["udp"] == false)
        .map(|s| {
            s["addr"]
                .as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    expected.sort_unstable();
    let nmap = std::fs::read_to_string(dir.path().join("nmap.txt")).unwrap();
    let mut nmap_open: Vec<u16> = nmap
        .split([',', ' ', '\t'])
        .filter(|f| f.contains("/open/tcp"))
        .filter_map(|f| f.trim().split('/').next()?.parse().ok())
        .collect();
    nmap_open.sort_unstable();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("probe.json")).unwrap()).unwrap();
    let mut ours: Vec<u16> = report["ports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["transport"] == "tcp" && p["state"] == "open")
        .map(|p| p["port"].as_u64().unwrap() as u16)
        .collect();
    ours.sort_unstable();
    assert_eq!(ours, nmap_open, "jcstar vs nmap open TCP ports");
    assert_eq!(ours, expected, "open ports vs the testbed's listeners");
    assert_eq!(report["stats"]["tcp_scanned"], 65535);
}

#[test]
fn evidence_dir_verifies_and_tampering_is_detected() {
    let dir = TempDir::new("evidence");
    let ev = dir.path().join("evidence");
    let evs = ev.display().to_string();
    let bin = env!("CARGO_BIN_EXE_jcstar");
    let d = dir.path().display();
    let script = format!(
        "{bin} testbed run hostile --json > {d}/tb.json & TB=$!; \
         for i in $(seq 1 50); do [ -s {d}/tb.json ] && break; sleep 0.1; done; \
         {bin} --lang en probe 127.0.0.1 --tcp all --udp 1-100 -o {evs} > {d}/out.txt; \
         echo $? > {d}/rc; kill $TB"
    );
    let out = in_netns(&script);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let human = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    let rc = std::fs::read_to_string(dir.path().join("rc")).unwrap();
    // The hostile device has anonymous FTP, which fails S1.1-01: exit 1.
    assert_eq!(rc.trim(), "1", "{human}");
    assert!(human.contains("ftp"), "{human}");
    assert!(
        human.contains("S1.1-13②") && human.contains("not-tested"),
        "{human}"
    );

    let o = run(&["--lang", "en", "probe", "verify", &evs]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let sums = std::fs::read_to_string(ev.join("MANIFEST.sha256")).unwrap();
    assert!(sums.contains("report.json"));
    // sha256sum agrees with our manifest.
    let check = Command::new("sha256sum")
        .arg("-c")
        .arg("MANIFEST.sha256")
        .current_dir(&ev)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    let report = ev.join("report.json");
    let text = std::fs::read_to_string(&report).unwrap();
    std::fs::write(&report, text.replacen("\"high\"", "\"low\"", 1)).unwrap();
    let o = run(&["--lang", "en", "probe", "verify", &evs, "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["modified"], serde_json::json!(["report.json"]));
}

#[test]
fn assess_refuses_multicast_like_probe() {
    // In a namespace of its own, so that even a regression sends nothing
    // beyond this test's loopback.
    let dir = TempDir::new("assess-mcast");
    let d = dir.path().display();
    let bin = env!("CARGO_BIN_EXE_jcstar");
    let script = format!(
        "{bin} --lang en assess 224.0.0.1 --no-scan --service telnet:23 --yes -o {d}/ev \
         > {d}/out 2> {d}/err; echo $? > {d}/rc"
    );
    let out = in_netns(&script);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    let err = read("err");
    assert_eq!(read("rc").trim(), "2", "{err}");
    assert!(
        err.contains("refused") && err.contains("multicast"),
        "{err}"
    );
    assert!(
        !dir.path().join("ev").exists(),
        "evidence written for a refused target"
    );
}

#[test]
fn assess_writes_tls_evidence_once_and_cites_only_listed_files() {
    let dir = TempDir::new("assess-tls");
    let ev = dir.path().join("ev");
    let evs = ev.display().to_string();
    let d = dir.path().display();
    let bin = env!("CARGO_BIN_EXE_jcstar");
    let script = format!(
        "{bin} testbed run hub --json > {d}/tb.json & TB=$!; \
         for i in $(seq 1 50); do [ -s {d}/tb.json ] && break; sleep 0.1; done; \
         {bin} --lang en assess 127.0.0.1 --udp none --no-brute-force --default-attempts 0 \
         -o {evs} > {d}/out 2> {d}/err; echo $? > {d}/rc; kill $TB"
    );
    let out = in_netns(&script);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = std::fs::read_to_string(dir.path().join("err")).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ev.join("manifest.json")).expect(&err)).unwrap();
    let listed: Vec<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    let tls: Vec<&String> = listed.iter().filter(|p| p.starts_with("tls/")).collect();
    assert!(!tls.is_empty(), "no TLS evidence: {listed:?}");
    // One file per TLS port, under one name.
    assert!(
        tls.iter().all(|p| p.starts_with("tls/tcp-")),
        "TLS assessed twice: {tls:?}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ev.join("report.json")).unwrap()).unwrap();
    let mut cited = 0;
    for f in report["findings"].as_array().unwrap() {
        for e in f["evidence"].as_array().unwrap() {
            let e = e.as_str().unwrap();
            cited += 1;
            assert!(
                listed.iter().any(|l| l == e),
                "{e} cited, not written: {listed:?}"
            );
        }
    }
    for p in report["ports"].as_array().unwrap() {
        for t in p["service"]["transcripts"].as_array().into_iter().flatten() {
            let t = t.as_str().unwrap();
            cited += 1;
            assert!(listed.iter().any(|l| l == t), "{t} cited, not written");
        }
    }
    assert!(cited > 0, "{report}");
    let o = run(&["--lang", "en", "probe", "verify", &evs, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(0), "{v}");
    assert_eq!(v["cited_not_listed"], serde_json::json!([]));

    // A report citing a file the manifest does not list fails verification.
    let text = std::fs::read_to_string(ev.join("report.json")).unwrap();
    let first = tls[0].as_str();
    let moved = text.replace(first, "tls/elsewhere.json");
    assert_ne!(moved, text);
    std::fs::write(ev.join("report.json"), &moved).unwrap();
    let o = run(&["--lang", "en", "probe", "verify", &evs, "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["cited_not_listed"],
        serde_json::json!(["tls/elsewhere.json"])
    );
}
