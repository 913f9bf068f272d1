//! `jcstar serve` as a real process on a real SQLite file: startup, graceful
//! shutdown, and no acknowledged write lost when the server is SIGKILLed in
//! the middle of a burst of writes.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jcstar_registry::testing::TestDb;
use jcstar_registry::{Registry, Role};
use serde_json::{Value, json};

/// The server process; killed when dropped so a failing test leaves nothing.
struct ServerProc {
    child: Child,
    base: String,
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db_url: &str) -> ServerProc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jcstar"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--json",
            "--database",
            db_url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start jcstar serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let v: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("`serve --json` first line {line:?}: {e}"));
    let listen = v["listen"].as_str().expect("listen address").to_string();
    assert!(listen.starts_with("127.0.0.1:"));
    ServerProc {
        child,
        base: format!("http://{listen}"),
    }
}

fn submission(i: usize) -> Value {
    json!({
        "org": "acme", "level": 1,
        "applicant": {"company": format!("Acme {i}"), "address": "Tokyo", "contact": "info@acme.example"},
        "products": [{"name": format!("Cam {i}"), "model_numbers": [format!("C-{i}")]}],
        "disclosure_contact": "psirt@acme.example",
        "checklist": jcstar_registry::demo::checklist_for(
            &format!("Acme {i}"), "Tokyo", &format!("Cam {i}"), "network camera",
            &[format!("C-{i}").as_str()], &["1.0"])
    })
}

async fn tokens(url: &str) -> (String, String) {
    let reg = Registry::open(url).await.expect("open registry");
    let vendor = reg
        .create_token(Role::Vendor, "acme", "burst")
        .await
        .unwrap()
        .plaintext;
    let op = reg
        .create_token(Role::Operator, "", "check")
        .await
        .unwrap()
        .plaintext;
    reg.close().await;
    (vendor, op)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_no_acknowledged_write() {
    let db = TestDb::sqlite().unwrap();
    let (vendor, op) = tokens(&db.url).await;
    let server = start(&db.url);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut tasks = Vec::new();
    for t in 0..6 {
        let (http, base, vendor, acked) = (
            http.clone(),
            server.base.clone(),
            vendor.clone(),
            acked.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let r = http
                    .post(format!("{base}/api/v1/applications"))
                    .bearer_auth(&vendor)
                    .json(&submission(t * 100_000 + i))
                    .send()
                    .await;
                let Ok(r) = r else { break };
                if r.status().is_success() {
                    let Ok(v) = r.json::<Value>().await else {
                        break;
                    };
                    if let Some(id) = v["id"].as_str() {
                        acked.lock().unwrap().push(id.to_string());
                    }
                } else {
                    panic!("write refused during the burst: {}", r.status());
                }
            }
        }));
    }
    // Let the burst run, then kill the server without warning.
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if acked.lock().unwrap().len() >= 40 {
            break;
        }
    }
    let mut server = server;
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    for t in tasks {
        t.await.expect("writer task");
    }
    let acked = acked.lock().unwrap().clone();
    eprintln!("{} writes acknowledged before SIGKILL", acked.len());
    assert!(
        acked.len() >= 10,
        "the burst got going ({} writes acknowledged)",
        acked.len()
    );

    let server = start(&db.url);
    for id in &acked {
        let r = http
            .get(format!("{}/api/v1/applications/{id}", server.base))
            .bearer_auth(&op)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged application {id} lost");
    }
    let chain: Value = http
        .get(format!("{}/api/v1/chain", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        chain["first_broken"].is_null(),
        "chain broken after SIGKILL: {chain}"
    );
    assert!(chain["events"].as_i64().unwrap() >= acked.len() as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_shuts_down_cleanly() {
    let db = TestDb::sqlite().unwrap();
    let mut server = start(&db.url);
    let r = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, _) = (
        reqwest::get(format!("{}/", server.base))
            .await
            .unwrap()
            .status(),
        (),
    );
    assert_eq!(st, 200);
    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = server.child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = status.expect("server exits within 5 s of SIGTERM");
    assert!(status.success(), "exit status {status}");
}
