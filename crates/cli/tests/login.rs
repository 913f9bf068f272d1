//! `jcstar testbed run` with the login devices, `jcstar assess` (safety
//! prompt, masking, `--checklist`) and `jcstar probe persistence` with a
//! power-cycle command, run as a tester would run them.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

fn jcstar() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jcstar"));
    c.arg("--lang").arg("en").stdin(Stdio::null());
    c
}

fn out(cmd: &mut Command) -> Output {
    cmd.output().expect("running jcstar")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A `jcstar testbed run NAME --json` process; killed on drop.
struct Testbed {
    child: Child,
    info: serde_json::Value,
}

impl Testbed {
    /// Starts the device on a loopback address of its own (`127.0.0.N`), so
    /// tests running at the same time never reach each other's devices.
    fn start(name: &str, bind: &str) -> Testbed {
        let mut child = jcstar()
            .args(["testbed", "run", name, "--json", "--bind", bind])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the testbed");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading the testbed's first line");
        let info: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            let mut err = String::new();
            if let Some(mut s) = child.stderr.take() {
                let _ = s.read_to_string(&mut err);
            }
            panic!("{e}: {line:?} {err}")
        });
        Testbed { child, info }
    }

    fn port(&self, kind: &str) -> u16 {
        self.info["services"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["kind"] == kind))
            .and_then(|s| s["addr"].as_str())
            .and_then(|a| a.rsplit_once(':'))
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or_else(|| panic!("no {kind} service in {}", self.info))
    }

    fn control(&self) -> String {
        self.info["control"]
            .as_str()
            .expect("control address")
            .to_string()
    }

    fn status(&self) -> serde_json::Value {
        let reply = http(&self.control(), "GET /status");
        let body = reply.split("\r\n\r\n").nth(1).unwrap_or_default();
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {reply}"))
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http(addr: &str, request_line: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connecting to the control port");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    write!(s, "{request_line} HTTP/1.0\r\nHost: x\r\n\r\n").expect("request");
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply
}

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("jcstar-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temporary directory");
        Dir(d)
    }
    fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn testbed_runs_login_devices_and_sigusr1_cuts_the_power() {
    let list = out(jcstar().args(["testbed", "list"]));
    let listing = String::from_utf8_lossy(&list.stdout);
    for name in [
        "auth-lockout",
        "auth-delay",
        "auth-open",
        "auth-form200",
        "auth-forgets-password",
        "auth-firmware-reverts",
    ] {
        assert!(listing.contains(name), "{name} missing:\n{listing}");
    }

    let tb = Testbed::start("auth-forgets-password", "127.0.0.11");
    assert_eq!(tb.status()["power_cuts"], 0);
    let reply = http(&tb.control(), "POST /password?new=Changed-123");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let kill = out(Command::new("kill")
        .arg("-USR1")
        .arg(tb.child.id().to_string()));
    assert!(kill.status.success(), "{}", text(&kill));
    let mut cuts = serde_json::Value::Null;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        cuts = tb.status()["power_cuts"].clone();
        if cuts == 1 {
            break;
        }
    }
    assert_eq!(cuts, 1, "SIGUSR1 did not cut the power");

    // A description file with an [auth] table; an unknown policy is named
    // with what is accepted.
    let d = Dir::new("tb");
    let bad = d.join("bad.toml");
    std::fs::write(
        &bad,
        "services = [\"http\"]\n[auth]\nusername = \"admin\"\npassword = \"x\"\nmodel = \"M\"\nfirmware = \"1\"\npolicy = { kind = \"tarpit\" }\n",
    )
    .expect("write");
    let o = out(jcstar().args(["testbed", "run"]).arg(&bad));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(e.contains("bad.toml") && e.contains("tarpit"), "{e}");
    assert!(e.contains("progressive-delay"), "{e}");
}

#[test]
fn brute_force_is_announced_and_needs_yes_without_a_terminal() {
    let tb = Testbed::start("auth-open", "127.0.0.12");
    let port = tb.port("http");
    let d = Dir::new("yes");
    let o = out(jcstar()
        .args([
            "assess",
            "127.0.0.12",
            "--no-scan",
            "--default-attempts",
            "0",
        ])
        .args(["--service", &format!("http-basic:{port}/")])
        .args(["--attempts", "7", "-o"])
        .arg(d.join("ev")));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(e.contains("up to 7 login attempts"), "{e}");
    assert!(e.contains("--yes"), "{e}");
    assert_eq!(tb.status()["failures"], 0, "a guess was sent anyway");

    let o = out(jcstar()
        .args([
            "assess",
            "127.0.0.12",
            "--no-scan",
            "--default-attempts",
            "0",
        ])
        .args(["--service", &format!("http-basic:{port}/")])
        .args(["--attempts", "7", "--yes", "-o"])
        .arg(d.join("ev2")));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("does-not-resist"),
        "{}",
        text(&o)
    );
    assert_eq!(tb.status()["failures"], 7);
}

#[test]
fn found_credentials_are_masked_unless_show_secrets_and_attach_to_the_checklist() {
    let tb = Testbed::start("auth-open", "127.0.0.13");
    let port = tb.port("telnet");
    let d = Dir::new("mask");
    let checklist = d.join("checklist.toml");
    let o = out(jcstar()
        .args(["checklist", "init", "--product", "Cam", "--output"])
        .arg(&checklist));
    assert!(o.status.success(), "{}", text(&o));
    let assess = |extra: &[&str], ev: &Path| {
        out(jcstar()
            .args(["assess", "127.0.0.13", "--no-scan", "--no-brute-force"])
            .args(["--service", &format!("telnet:{port}")])
            .args(extra)
            .arg("-o")
            .arg(ev))
    };
    let o = assess(
        &["--checklist", checklist.to_str().expect("utf-8")],
        &d.join("ev"),
    );
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(e.contains("ACCEPTED default pair"), "{e}");
    assert!(e.contains("a***n"), "{e}");
    assert!(!e.contains("/ \"admin\""), "password shown: {e}");
    assert!(e.contains("attached the evidence"), "{e}");
    let cl = std::fs::read_to_string(&checklist).expect("checklist");
    assert!(cl.contains("ev/report.json"), "{cl}");
    let o = out(jcstar().args(["checklist", "validate"]).arg(&checklist));
    assert_ne!(o.status.code(), Some(2), "{}", text(&o));

    let o = assess(&["--show-secrets"], &d.join("ev2"));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("\"admin\" / \"admin\""), "{e}");
    // The evidence masks every password the same way, built-in or not.
    let login = std::fs::read_to_string(d.join("ev2/login.json")).expect("login.json");
    assert!(login.contains("a***n"), "{login}");
    assert!(!login.contains("\"password\": \"admin\""), "{login}");
}

#[test]
fn assess_checklist_reference_is_the_one_checklist_attach_writes() {
    let tb = Testbed::start("auth-open", "127.0.0.16");
    let port = tb.port("telnet");
    let d = Dir::new("ref");
    std::fs::create_dir_all(d.join("forms")).expect("mkdir");
    let init = |p: &Path| {
        let o = out(jcstar()
            .args(["checklist", "init", "--product", "Cam", "--output"])
            .arg(p));
        assert!(o.status.success(), "{}", text(&o));
    };
    // The evidence lies outside the checklist's folder: an external reference.
    let by_assess = d.join("forms/by-assess.toml");
    let by_attach = d.join("forms/by-attach.toml");
    init(&by_assess);
    init(&by_attach);
    let o = out(jcstar()
        .args(["assess", "127.0.0.16", "--no-scan", "--no-brute-force"])
        .args(["--service", &format!("telnet:{port}")])
        .arg("--checklist")
        .arg(&by_assess)
        .arg("-o")
        .arg(d.join("ev")));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let o = out(jcstar()
        .args(["checklist", "attach"])
        .arg(&by_attach)
        .arg("--evidence")
        .arg(d.join("ev"))
        .arg("--json"));
    assert!(o.status.success(), "{}", text(&o));
    let attach: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(attach["external"], true, "{attach}");
    let evidence = attach["evidence"].as_str().expect("path");
    let cl = std::fs::read_to_string(&by_assess).expect("checklist");
    assert!(cl.contains(evidence), "{evidence} not in\n{cl}");
    assert!(cl.contains("external = true"), "{cl}");
    assert!(!cl.contains("external = false"), "{cl}");
}

fn persistence(tb: &Testbed, d: &Dir) -> serde_json::Value {
    persistence_in(tb, d, jcstar(), true).0
}

/// Runs `probe persistence` with `cmd` (which sets the language) and
/// returns `persistence.json` and the terminal's step lines (none with
/// `json`).
fn persistence_in(
    tb: &Testbed,
    d: &Dir,
    mut cmd: Command,
    json: bool,
) -> (serde_json::Value, String) {
    let http = tb.port("http");
    let control = tb.control();
    let (host, cport) = control.rsplit_once(':').expect("host:port");
    // Changes the password through the device's control port, as a tester's
    // script would through the device's own web page.
    let change = format!(
        "bash -c 'exec 3<>/dev/tcp/{host}/{cport}; printf \"POST /password?new=%s HTTP/1.0\\r\\n\\r\\n\" \"$JCSTAR_NEW_PASSWORD\" >&3; cat <&3 >/dev/null'"
    );
    cmd.args(["probe", "persistence", host]);
    if json {
        cmd.arg("--json");
    }
    let o = out(cmd
        .args(["--login", &format!("http-basic:{http}/")])
        .args(["--old-password", "admin", "--come-back", "20"])
        .args(["--info", &format!("http:{http}/status")])
        .args(["--change-password-cmd", &change])
        .args([
            "--power-cycle-cmd",
            &format!("kill -USR1 {}", tb.child.id()),
        ])
        .arg("-o")
        .arg(d.join("p")));
    let run =
        std::fs::read(d.join("p/persistence.json")).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    let run: serde_json::Value =
        serde_json::from_slice(&run).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    if json {
        let printed: serde_json::Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
        assert_eq!(printed["steps"], run["steps"]);
    }
    let lines = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.starts_with('['))
        .collect::<Vec<_>>()
        .join("\n");
    (run, lines)
}

/// The English step names, as `persistence.json` keeps them.
const STEP_NAMES_EN: [&str; 5] = [
    "read firmware version and model number",
    "current password accepted before the change",
    "change the password",
    "power cycle",
    "firmware version after the power cycle",
];

fn verdict(r: &serde_json::Value, id: &str) -> String {
    r["verdicts"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["criterion"] == id))
        .and_then(|v| v["verdict"].as_str())
        .unwrap_or_else(|| panic!("no verdict for {id}: {r}"))
        .to_string()
}

#[test]
fn persistence_with_a_power_cycle_command_against_testbed_devices() {
    let d = Dir::new("persist");
    let tb = Testbed::start("auth-forgets-password", "127.0.0.14");
    let r = persistence(&tb, &d);
    assert_eq!(verdict(&r, "S1.1-14"), "fail", "{r:#}");
    assert_eq!(tb.status()["power_cuts"], 1);
    assert!(d.join("p/persistence.json").exists());
    // A real evidence directory: it verifies and attaches to a checklist.
    let o = out(jcstar().args(["probe", "verify"]).arg(d.join("p")));
    assert!(o.status.success(), "{}", text(&o));
    let checklist = d.join("checklist.toml");
    let o = out(jcstar()
        .args(["checklist", "init", "--product", "Cam", "--output"])
        .arg(&checklist));
    assert!(o.status.success(), "{}", text(&o));
    let o = out(jcstar()
        .args(["checklist", "attach"])
        .arg(&checklist)
        .arg("--evidence")
        .arg(d.join("p")));
    assert!(o.status.success(), "{}", text(&o));
    let cl = std::fs::read_to_string(&checklist).expect("checklist");
    assert!(cl.contains("p/report.json"), "{cl}");
    // Values print as values.
    let steps = r["steps"].to_string();
    assert!(!steps.contains("Some("), "{steps}");
    drop(tb);

    let d = Dir::new("persist-ok");
    let tb = Testbed::start("auth-open", "127.0.0.15");
    let r = persistence(&tb, &d);
    assert_eq!(verdict(&r, "S1.1-14"), "pass", "{r:#}");
    assert_eq!(r["before"]["firmware"], "1.0.0", "{r:#}");
    drop(tb);

    // The step lines follow the language: Japanese by default, with no
    // English step line; English with `--lang en`. persistence.json keeps
    // its English name and observation either way.
    let d = Dir::new("persist-ja");
    let tb = Testbed::start("auth-open", "127.0.0.17");
    let mut ja = Command::new(env!("CARGO_BIN_EXE_jcstar"));
    ja.stdin(Stdio::null());
    let (r, lines) = persistence_in(&tb, &d, ja, false);
    drop(tb);
    assert_eq!(verdict(&r, "S1.1-14"), "pass", "{r:#}");
    assert!(lines.lines().count() >= 5, "{lines}");
    for line in lines.lines() {
        for en in STEP_NAMES_EN.iter().chain(&[
            "new password",
            "login service",
            "before:",
            "command ran",
            "not found",
        ]) {
            assert!(
                !line.contains(en),
                "English {en:?} in a Japanese step line:\n{lines}"
            );
        }
    }
    assert!(lines.contains("電源の再投入: "), "{lines}");
    assert!(lines.contains("コマンドを実行しました"), "{lines}");
    let names: Vec<&str> = r["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    for en in STEP_NAMES_EN {
        assert!(names.contains(&en), "{names:?}");
    }
    assert!(
        r["steps"]
            .to_string()
            .contains("login service answered again after"),
        "{r:#}"
    );

    let d = Dir::new("persist-en");
    let tb = Testbed::start("auth-open", "127.0.0.18");
    let (r, lines) = persistence_in(&tb, &d, jcstar(), false);
    assert_eq!(verdict(&r, "S1.1-14"), "pass", "{r:#}");
    for en in STEP_NAMES_EN {
        assert!(lines.contains(&format!("{en}: ")), "{en:?} not in\n{lines}");
    }
    assert!(
        lines.contains("login service answered again after"),
        "{lines}"
    );
    assert!(!lines.contains("電源"), "{lines}");
}

/// Runs `script` in a fresh network namespace with only its loopback up.
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
fn one_plain_assess_finds_that_a_lockout_device_resists() {
    // The default check runs into the device's lockout (5 failures, 60 s);
    // the run waits it out, measures it and then tests brute force.
    let d = Dir::new("lockout");
    let dd = d.0.display();
    let bin = env!("CARGO_BIN_EXE_jcstar");
    let script = format!(
        "{bin} testbed run auth-lockout --json > {dd}/tb.json & TB=$!; \
         for i in $(seq 1 50); do [ -s {dd}/tb.json ] && break; sleep 0.1; done; \
         {bin} --lang en assess 127.0.0.1 --udp none --yes --json -o {dd}/ev \
         > {dd}/out 2> {dd}/err; echo $? > {dd}/rc; kill $TB"
    );
    let o = in_netns(&script);
    assert!(o.status.success(), "{}", text(&o));
    let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap_or_default();
    let log = format!("rc {}\n{}\n{}", read("rc"), read("out"), read("err"));
    let report: serde_json::Value =
        serde_json::from_str(&read("ev/report.json")).unwrap_or_else(|e| panic!("{e}: {log}"));
    let s104 = report["verdicts"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["criterion"] == "S1.1-04"))
        .unwrap_or_else(|| panic!("no S1.1-04: {log}"));
    assert_eq!(s104["verdict"], "pass", "{s104:#}\n{log}");
    let login = &report["extra"]["login"];
    let runs = login["brute_force"].as_array().expect("runs");
    assert!(runs.len() >= 4, "{login:#}");
    for r in runs {
        assert_eq!(r["report"]["verdict"], "resists", "{r:#}");
        // The numbers behind it: the lock's length and the projection.
        assert!(
            r["report"]["projected_10k_secs"].as_f64().is_some(),
            "{r:#}"
        );
        assert!(
            r["report"]["defence"]["window_ms"].as_u64().is_some(),
            "{r:#}"
        );
    }
    // The default check's lock is on record with its numbers.
    let accounts = login["accounts"].as_array().expect("accounts");
    assert!(
        accounts
            .iter()
            .any(|a| a["lock_seen_by_defaults"]["after_attempts"]
                .as_u64()
                .is_some()),
        "{login:#}"
    );
    assert!(
        accounts.iter().all(|a| a["account"].is_string()),
        "the account is reported: {login:#}"
    );
}

#[test]
fn the_camera_web_form_accepts_its_factory_password_and_assess_finds_it() {
    let d = Dir::new("camform");
    let dd = d.0.display();
    let bin = env!("CARGO_BIN_EXE_jcstar");
    let script = format!(
        "{bin} testbed run camera --json > {dd}/tb.json & TB=$!; \
         for i in $(seq 1 50); do [ -s {dd}/tb.json ] && break; sleep 0.1; done; \
         {bin} --lang en assess 127.0.0.1 --udp none --no-brute-force -o {dd}/ev \
         > {dd}/out 2> {dd}/err; echo $? > {dd}/rc; kill $TB"
    );
    let o = in_netns(&script);
    assert!(o.status.success(), "{}", text(&o));
    let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap_or_default();
    let log = format!("rc {}\n{}\n{}", read("rc"), read("out"), read("err"));
    let login: serde_json::Value =
        serde_json::from_str(&read("ev/login.json")).unwrap_or_else(|e| panic!("{e}: {log}"));
    let form = login["default_credentials"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["kind"] == "http-form"))
        .unwrap_or_else(|| panic!("the form login was not tried: {login:#}\n{log}"));
    assert_eq!(form["status"], "fail", "{form:#}");
    assert_eq!(form["accepted"]["username"], "admin", "{form:#}");
    assert_eq!(form["accepted"]["password"], "a***n", "{form:#}");
    assert!(read("err").contains("ACCEPTED default pair"), "{log}");
}
