//! Helpers shared by the probe's integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use jcstar_probe::{Port, ProbeOptions, ProbeOutcome, Progress, Service, Transport};

/// Probes `target` on exactly `tcp` ports and `udp` ports; panics if the
/// probe does not return by itself within `limit`.
pub async fn probe(target: &str, tcp: &[u16], udp: &[u16], limit: Duration) -> ProbeOutcome {
    let mut o = ProbeOptions::new(target);
    o.tcp = list(tcp);
    o.udp = list(udp);
    let r = tokio::time::timeout(
        limit,
        jcstar_probe::probe(&o, Arc::new(Progress::default())),
    )
    .await
    .expect("the probe must return by itself before the safety timeout");
    r.expect("probe failed")
}

pub fn list(p: &[u16]) -> String {
    if p.is_empty() {
        "none".into()
    } else {
        p.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
    }
}

pub fn port(o: &ProbeOutcome, t: Transport, p: u16) -> &Port {
    o.report
        .ports
        .iter()
        .find(|x| x.transport == t && x.port == p)
        .unwrap_or_else(|| panic!("{p}/{t} not in report: {:#?}", o.report.ports))
}

pub fn service(o: &ProbeOutcome, t: Transport, p: u16) -> &Service {
    port(o, t, p)
        .service
        .as_ref()
        .unwrap_or_else(|| panic!("{p}/{t} has no service"))
}

pub fn has_finding(o: &ProbeOutcome, kind: &str, p: u16) -> bool {
    o.report
        .findings
        .iter()
        .any(|f| f.kind == kind && f.port.map(|x| x.port) == Some(p))
}

pub fn verdict(o: &ProbeOutcome, criterion: &str) -> jcstar_probe::Verdict {
    o.report
        .verdicts
        .iter()
        .find(|v| v.criterion == criterion)
        .map(|v| v.verdict)
        .unwrap_or_else(|| panic!("no verdict for {criterion}"))
}
