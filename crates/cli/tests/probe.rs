//! `jcstar probe`, `jcstar probe verify` and `jcstar testbed run` as a user runs them.

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
