//! Assess one TLS port and print the report as JSON (used by the benchmark
//! in `bench/tls/run.sh`).
//!
//! Usage: `tls_assess [--summary] HOST:PORT [SERVER_NAME]`
//!
//! `--summary` prints one sorted line per fact instead (`protocol TLSv1.2`,
//! `cipher TLSv1.2 0xC02F`, `cert expired=false self_signed=true`), the form
//! the benchmark also derives from sslscan's XML to compare verdicts.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use jcstar_probe::tls::{TlsOptions, assess};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    let summary = args.next_if(|a| a == "--summary").is_some();
    let Some(target) = args.next() else {
        eprintln!("usage: tls_assess [--summary] HOST:PORT [SERVER_NAME]");
        return ExitCode::from(2);
    };
    let addr: SocketAddr = match target.to_socket_addrs().map(|mut a| a.next()) {
        Ok(Some(a)) => a,
        _ => {
            eprintln!("cannot resolve {target}");
            return ExitCode::from(2);
        }
    };
    let name = args.next();
    let report = assess(addr, name.as_deref(), &TlsOptions::default()).await;
    if summary {
        let mut lines = Vec::new();
        for p in report.protocols.iter().filter(|p| p.accepted) {
            lines.push(format!("protocol {}", p.version.name()));
            for c in &p.ciphers {
                lines.push(format!("cipher {} {}", p.version.name(), c.id));
            }
        }
        if let Some(c) = &report.certificate {
            lines.push(format!(
                "cert expired={} self_signed={}",
                c.expired, c.self_signed
            ));
        }
        lines.sort();
        for l in lines {
            println!("{l}");
        }
        return ExitCode::SUCCESS;
    }
    match serde_json::to_string_pretty(&report) {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot serialize report: {e}");
            ExitCode::from(2)
        }
    }
}
