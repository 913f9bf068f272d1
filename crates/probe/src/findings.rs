//! Findings from identified services, and per-criterion verdicts that never
//! claim more than the probe tested.

use jcstar_criteria::{CriterionId, star1};
use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ProbeError;
use crate::reason::Reason;
use crate::report::{
    Access, Anomaly, CriterionVerdict, Finding, FindingText, Port, PortRef, PortState, ServiceKind,
    Severity, Transport, Verdict,
};

/// S1.1-01: authenticated access control over IP.
pub const S1_1_01: CriterionId = star1::S1_1_01;
/// S1.1-12: protection against eavesdropping in transit (judged here from TLS and plaintext logins).
pub const S1_1_12: CriterionId = star1::S1_1_12;
/// S1.1-13①: interfaces the product does not need are disabled (open ports).
pub const S1_1_13_1: CriterionId = star1::S1_1_13.item(1);
/// S1.1-13②: the product is scanned for vulnerabilities (not run by the probe).
pub const S1_1_13_2: CriterionId = star1::S1_1_13.item(2);

/// The ports and services the vendor says the product needs (`--declared`).
///
/// ```toml
/// [[port]]
/// port = 443
/// transport = "tcp"        # default tcp
/// service = "https"        # optional; checked against what was identified
/// purpose = "web settings"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declared {
    /// The declared ports, from the `[[port]]` tables.
    #[serde(default, rename = "port")]
    pub ports: Vec<DeclaredPort>,
}

/// One port the vendor declares as needed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredPort {
    /// Port number.
    pub port: u16,
    /// `tcp` (default) or `udp`.
    #[serde(default = "tcp")]
    pub transport: Transport,
    /// The service expected on it, checked against what was identified.
    pub service: Option<String>,
    /// Why the product needs it.
    pub purpose: Option<String>,
}

fn tcp() -> Transport {
    Transport::Tcp
}

/// Why a declared-ports file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DeclaredError {
    /// The file could not be read.
    #[error("cannot read it: {0}")]
    Read(#[from] std::io::Error),
    /// The TOML is malformed or has fields the file does not take; the
    /// parser's message names the line and column.
    #[error(
        "{0}\nexpected [[port]] tables with port = N, optional transport = \"tcp\"|\"udp\", service, purpose"
    )]
    Toml(#[from] toml::de::Error),
    /// A `[[port]]` table gives port 0.
    #[error("[[port]] table {index}: port 0 is not a port a product can need; give 1-65535")]
    PortZero {
        /// Position of the table in the file, from 1.
        index: usize,
    },
}

impl DeclaredError {
    /// The reason in the user's language.
    pub fn text(&self, lang: jcstar_criteria::Lang) -> String {
        match (self, lang) {
            (_, jcstar_criteria::Lang::En) => self.to_string(),
            (DeclaredError::Read(e), _) => format!("読み取れません: {e}"),
            (DeclaredError::Toml(e), _) => format!(
                "{e}\n[[port]] 表（port = 番号、任意で transport = \"tcp\"|\"udp\"、service、purpose）を書いてください"
            ),
            (DeclaredError::PortZero { index }, _) => format!(
                "{index} 番目の [[port]] 表: ポート 0 は製品が必要とするポートではありません。1〜65535 を指定してください"
            ),
        }
    }
}

impl Declared {
    /// Reads a declared-ports file.
    pub fn load(path: &Path) -> Result<Declared, ProbeError> {
        std::fs::read_to_string(path)
            .map_err(DeclaredError::from)
            .and_then(|text| Declared::parse(&text))
            .map_err(|reason| ProbeError::Declared {
                path: path.display().to_string(),
                reason,
            })
    }

    /// Parses declared-ports TOML; the error says where and what is expected.
    pub fn parse(text: &str) -> Result<Declared, DeclaredError> {
        let d: Declared = toml::from_str(text)?;
        if let Some(i) = d.ports.iter().position(|p| p.port == 0) {
            return Err(DeclaredError::PortZero { index: i + 1 });
        }
        Ok(d)
    }

    fn find(&self, r: PortRef) -> Option<&DeclaredPort> {
        self.ports
            .iter()
            .find(|p| p.port == r.port && p.transport == r.transport)
    }
}

/// A title and explanation in English and Japanese.
struct Texts {
    en: (String, String),
    ja: (String, String),
}

fn texts(en_title: String, en_detail: String, ja_title: String, ja_detail: String) -> Texts {
    Texts {
        en: (en_title, en_detail),
        ja: (ja_title, ja_detail),
    }
}

fn finding(
    criterion: CriterionId,
    severity: Severity,
    kind: &str,
    t: Texts,
    port: Option<PortRef>,
    evidence: &[String],
) -> Finding {
    Finding {
        criterion,
        severity,
        kind: kind.into(),
        title: t.en.0,
        detail: t.en.1,
        port,
        evidence: evidence.to_vec(),
        ja: Some(FindingText {
            title: t.ja.0,
            detail: t.ja.1,
        }),
    }
}

/// Japanese text for findings made elsewhere with English only (e.g. by
/// the login checks), keyed by their stable `kind`. The English detail is
/// kept as the Japanese detail's second sentence when it carries data
/// (user names, counts) rather than prose.
pub fn add_japanese(findings: &mut [Finding]) {
    for f in findings.iter_mut().filter(|f| f.ja.is_none()) {
        let on = f.port.map(|p| format!("{p}: ")).unwrap_or_default();
        let (title, lead) = match f.kind.as_str() {
            "default-credentials" => (
                "既定のパスワードでログインできる",
                "出荷時の既定の（推測しやすい）パスワードが受け付けられました。製品ごとに異なるパスワードにするか、初回利用時に変更させる必要があります。",
            ),
            "no-brute-force-defence" => (
                "パスワードの総当たりを防いでいない",
                "誤ったパスワードを続けて試しても、遅延・ロックアウトなどの対策が働きませんでした。",
            ),
            _ => (
                "指摘事項（日本語の説明は未整備）",
                "この種類の指摘には日本語の説明がまだありません。英語の説明を参照してください。",
            ),
        };
        f.ja = Some(FindingText {
            title: format!("{on}{title}"),
            detail: if f.detail.is_empty() {
                lead.to_string()
            } else {
                format!("{lead}（詳細: {}）", f.detail)
            },
        });
    }
}

/// Findings from the scanned ports (open-port, plaintext and access checks).
pub fn port_findings(ports: &[Port], declared: Option<&Declared>) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in ports {
        let r = PortRef {
            transport: p.transport,
            port: p.port,
        };
        let ev: Vec<String> = p
            .service
            .as_ref()
            .map(|s| s.transcripts.clone())
            .unwrap_or_default();
        let kind = p
            .service
            .as_ref()
            .map(|s| s.kind.name())
            .unwrap_or_else(|| "unknown".into());
        if p.state == PortState::Open
            && let Some(d) = declared
        {
            match d.find(r) {
                    None => out.push(finding(
                        S1_1_13_1,
                        Severity::Medium,
                        "undeclared-port",
                        texts(
                            format!("{r} ({kind}) is open but not declared as needed"),
                            "The vendor's list of needed ports does not include this port; disable it or declare why the product needs it.".into(),
                            format!("{r}（{kind}）が開いているが、必要なポートとして申告されていない"),
                            "ベンダーが申告した必要ポートの一覧にこのポートはありません。無効にするか、製品に必要な理由を申告してください。".into(),
                        ),
                        Some(r),
                        &ev,
                    )),
                    Some(dp) => {
                        if let (Some(want), Some(s)) = (&dp.service, &p.service)
                            && !want.eq_ignore_ascii_case(&s.kind.name()) && s.kind != ServiceKind::Unknown {
                                out.push(finding(
                                    S1_1_13_1,
                                    Severity::Low,
                                    "declared-service-mismatch",
                                    texts(
                                        format!("{r} is declared as {want} but speaks {}", s.kind),
                                        "The service found on a declared port differs from the declaration.".into(),
                                        format!("{r} は {want} と申告されているが、実際には {} が応答した", s.kind),
                                        "申告されたポートで見つかったサービスが申告内容と異なります。".into(),
                                    ),
                                    Some(r),
                                    &ev,
                                ));
                            }
                    }
                }
        }
        let Some(s) = &p.service else { continue };
        if s.plaintext_login && !s.kind.is_tls() {
            let (sev, key, what, what_ja) = match s.kind {
                ServiceKind::Telnet => (
                    Severity::High,
                    "telnet-plaintext",
                    "Telnet carries logins and commands unencrypted",
                    "Telnet はログイン情報とコマンドを暗号化せずに送る",
                ),
                ServiceKind::Ftp => (
                    Severity::High,
                    "ftp-plaintext",
                    "FTP carries the password and files unencrypted",
                    "FTP はパスワードとファイルを暗号化せずに送る",
                ),
                ServiceKind::Mqtt => (
                    Severity::Medium,
                    "mqtt-plaintext",
                    "MQTT without TLS carries credentials and messages unencrypted",
                    "TLS なしの MQTT は認証情報とメッセージを暗号化せずに送る",
                ),
                ServiceKind::Http | ServiceKind::Upnp => (
                    Severity::High,
                    "http-plaintext-login",
                    "a login or settings page is served over plain HTTP",
                    "ログイン画面または設定画面が暗号化なしの HTTP で提供されている",
                ),
                ServiceKind::Rtsp => (
                    Severity::Medium,
                    "rtsp-plaintext-login",
                    "RTSP login over an unencrypted connection",
                    "RTSP のログインが暗号化されていない接続で行われる",
                ),
                ServiceKind::Snmp => (
                    Severity::Medium,
                    "snmp-plaintext-community",
                    "SNMP v1/v2c sends the community string unencrypted",
                    "SNMP v1/v2c はコミュニティ名（パスワードに相当）を暗号化せずに送る",
                ),
                _ => (
                    Severity::High,
                    "plaintext-shell",
                    "an interactive shell is reachable over an unencrypted connection",
                    "暗号化されていない接続から対話型シェルに到達できる",
                ),
            };
            out.push(finding(
                S1_1_12,
                sev,
                key,
                texts(
                    format!("{r}: {what}"),
                    format!(
                        "{} identified on {r}; anything entered would cross the network in clear text.",
                        s.kind
                    ),
                    format!("{r}: {what_ja}"),
                    format!(
                        "{r} で {} を確認しました。入力した内容はそのまま読める形でネットワークを流れます。",
                        s.kind
                    ),
                ),
                Some(r),
                &ev,
            ));
        }
        if let Access::Unauthenticated { what } = &s.access {
            let (sev, key) = match s.kind {
                ServiceKind::Telnet | ServiceKind::Unknown => {
                    (Severity::High, "unauthenticated-shell")
                }
                ServiceKind::Mqtt | ServiceKind::MqttTls => (Severity::High, "mqtt-anonymous"),
                ServiceKind::Ftp => (Severity::Medium, "ftp-anonymous"),
                ServiceKind::Snmp => (Severity::High, "snmp-default-community"),
                ServiceKind::Ssh => (Severity::High, "ssh-no-auth"),
                ServiceKind::Http | ServiceKind::Https | ServiceKind::Upnp => {
                    (Severity::Low, "http-no-auth")
                }
                _ => (Severity::Medium, "unauthenticated-access"),
            };
            let (detail, detail_ja) = if key == "http-no-auth" {
                (
                    format!(
                        "{what}. Whether this page exposes settings or protected information needs a human look."
                    ),
                    format!(
                        "認証なしで応答がありました（{what}）。この画面が設定や保護すべき情報を見せるかどうかは人が確認する必要があります。"
                    ),
                )
            } else {
                (
                    format!("{what}."),
                    format!("認証なしで利用できました（{what}）。"),
                )
            };
            out.push(finding(
                S1_1_01,
                sev,
                key,
                texts(
                    format!("{r}: access without authentication ({})", s.kind),
                    detail,
                    format!("{r}: 認証なしで利用できる（{}）", s.kind),
                    detail_ja,
                ),
                Some(r),
                &ev,
            ));
        }
        let hostile = !s.anomalies.is_empty();
        let declared_here = declared.is_some_and(|d| d.find(r).is_some());
        if p.state == PortState::Open
            && s.kind == ServiceKind::Unknown
            && !hostile
            && !declared_here
            && !matches!(s.access, Access::Unauthenticated { .. })
        {
            let first = s.banner.clone().unwrap_or_default();
            let first: String = first.chars().take(60).collect();
            out.push(finding(
                S1_1_13_1,
                Severity::Low,
                "unidentified-service",
                texts(
                    format!("{r}: open port whose service could not be identified"),
                    format!(
                        "No known protocol matched; first bytes: {first:?}. An open port whose purpose cannot be identified is attack surface; check whether the product needs it."
                    ),
                    format!("{r}: 開いているポートのサービスを特定できない"),
                    format!(
                        "既知のプロトコルに一致しませんでした（最初のバイト列: {first:?}）。用途を特定できない開いたポートは攻撃の入口になり得ます。製品に必要なポートかどうか確認してください。"
                    ),
                ),
                Some(r),
                &ev,
            ));
        }
        for (flag, sev, what, what_ja) in [
            (
                Anomaly::Flood,
                Severity::Medium,
                "sends data unasked until the read limit",
                "要求していないデータを読み取り上限まで送り続ける",
            ),
            (
                Anomaly::Garbage,
                Severity::Low,
                "answers with bytes no known protocol starts with",
                "既知のどのプロトコルとも一致しないバイト列を返す",
            ),
            (
                Anomaly::Silent,
                Severity::Low,
                "accepts connections but answers no probe",
                "接続は受け付けるが、どの問い合わせにも応答しない",
            ),
        ] {
            if s.anomalies.contains(&flag) {
                out.push(finding(
                    S1_1_13_1,
                    sev,
                    &format!("unidentified-{}", flag.name()),
                    texts(
                        format!("{r}: open port whose service {what}"),
                        "An open port whose purpose cannot be identified is attack surface; check whether the product needs it.".into(),
                        format!("{r}: 開いているポートのサービスが{what_ja}"),
                        "用途を特定できない開いたポートは攻撃の入口になり得ます。製品に必要なポートかどうか確認してください。".into(),
                    ),
                    Some(r),
                    &ev,
                ));
            }
        }
    }
    out
}

/// What the scan covered, for the verdict reasons.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// Number of TCP ports scanned.
    pub tcp_ports: usize,
    /// Whether the whole TCP port range was scanned.
    pub tcp_all: bool,
    /// Number of UDP ports scanned.
    pub udp_ports: usize,
    /// Whether the TLS assessment ran.
    pub tls_assessed: bool,
}

/// Verdicts for the criteria the probe bears on.
pub fn verdicts(
    ports: &[Port],
    findings: &[Finding],
    declared: Option<&Declared>,
    cov: &Coverage,
) -> Vec<CriterionVerdict> {
    let open: Vec<String> = ports
        .iter()
        .filter(|p| p.state == PortState::Open)
        .map(|p| {
            let k = p
                .service
                .as_ref()
                .map(|s| s.kind.name())
                .unwrap_or_else(|| "?".into());
            format!("{}/{} {}", p.port, p.transport, k)
        })
        .collect();
    let openfiltered: Vec<String> = ports
        .iter()
        .filter(|p| p.state == PortState::OpenFiltered)
        .map(|p| format!("{}/{}", p.port, p.transport))
        .collect();
    let of = |c: CriterionId| -> Vec<&Finding> {
        findings.iter().filter(|f| f.criterion == c).collect()
    };
    let title = |f: &Finding| Reason::Finding {
        title: f.title.clone(),
        title_ja: f.ja.as_ref().map(|t| t.title.clone()),
        detail: None,
        detail_ja: None,
    };
    let title_detail = |f: &Finding| Reason::Finding {
        title: f.title.clone(),
        title_ja: f.ja.as_ref().map(|t| t.title.clone()),
        detail: Some(f.detail.clone()),
        detail_ja: f.ja.as_ref().map(|t| t.detail.clone()),
    };
    let scope = Reason::Scope {
        tcp_ports: cov.tcp_ports,
        tcp_all: cov.tcp_all,
        udp_ports: cov.udp_ports,
    };
    let mut out = Vec::new();

    // S1.1-13 ①
    let f13 = of(S1_1_13_1);
    let mut reasons = vec![
        scope,
        Reason::OpenPorts {
            ports: open.clone(),
        },
    ];
    if !openfiltered.is_empty() {
        reasons.push(Reason::OpenFiltered {
            ports: openfiltered.clone(),
        });
    }
    for f in &f13 {
        reasons.push(title(f));
    }
    let undeclared = f13.iter().any(|f| f.kind == "undeclared-port");
    let verdict = match declared {
        None => {
            reasons.insert(0, Reason::NoDeclaredList);
            Verdict::NeedsReview
        }
        Some(_) if undeclared => Verdict::Fail,
        Some(_) if !cov.tcp_all => {
            reasons.insert(0, Reason::NotEveryTcpPortScanned);
            Verdict::NeedsReview
        }
        Some(_) if !f13.is_empty() || !openfiltered.is_empty() => Verdict::NeedsReview,
        Some(_) => {
            reasons.insert(0, Reason::EveryOpenPortDeclared);
            Verdict::Pass
        }
    };
    out.push(CriterionVerdict::new(S1_1_13_1, verdict, reasons));

    out.push(CriterionVerdict::new(
        S1_1_13_2,
        Verdict::NotTested,
        vec![Reason::NoVulnerabilityScan],
    ));

    // S1.1-12
    let f12 = of(S1_1_12);
    let unknown: Vec<String> = ports
        .iter()
        .filter(|p| p.state == PortState::Open)
        .filter(|p| {
            p.service.as_ref().is_none_or(|s| {
                matches!(s.kind, ServiceKind::Unknown)
                    || matches!(&s.kind, ServiceKind::Tls(i) if **i == ServiceKind::Unknown)
            })
        })
        .map(|p| format!("{}/{}", p.port, p.transport))
        .collect();
    let f12_fail: Vec<&&Finding> = f12
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .collect();
    let (verdict, mut reasons) = if !f12_fail.is_empty() {
        (
            Verdict::Fail,
            f12_fail.iter().map(|f| title(f)).collect::<Vec<_>>(),
        )
    } else if !f12.is_empty() {
        (
            Verdict::NeedsReview,
            f12.iter().map(|f| title_detail(f)).collect::<Vec<_>>(),
        )
    } else if open.is_empty() {
        (Verdict::NotTested, vec![Reason::NoOpenPortNothingToCheck])
    } else if !unknown.is_empty() {
        (
            Verdict::NeedsReview,
            vec![Reason::ServicesNotIdentified { ports: unknown }],
        )
    } else if !cov.tls_assessed
        && ports
            .iter()
            .any(|p| p.service.as_ref().is_some_and(|s| s.kind.is_tls()))
    {
        (Verdict::NeedsReview, vec![Reason::TlsNotAssessed])
    } else {
        (Verdict::Pass, vec![Reason::NoPlaintextLogin])
    };
    reasons.push(Reason::DeviceTrafficNotObserved);
    out.push(CriterionVerdict::new(S1_1_12, verdict, reasons));

    // S1.1-01
    let f01 = of(S1_1_01);
    let hard: Vec<&&Finding> = f01
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .collect();
    let (verdict, reasons) = if !hard.is_empty() {
        (Verdict::Fail, hard.iter().map(|f| title(f)).collect())
    } else if !f01.is_empty() {
        (
            Verdict::NeedsReview,
            f01.iter().map(|f| title_detail(f)).collect(),
        )
    } else if open.is_empty() {
        (Verdict::NotTested, vec![Reason::NoOpenPort])
    } else {
        (Verdict::NeedsReview, vec![Reason::NoUnauthenticatedAccess])
    };
    out.push(CriterionVerdict::new(S1_1_01, verdict, reasons));
    out
}

/// Open ports, as a set, for comparisons.
pub fn open_set(ports: &[Port], t: Transport) -> BTreeSet<u16> {
    ports
        .iter()
        .filter(|p| p.transport == t && p.state == PortState::Open)
        .map(|p| p.port)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_file() {
        let d = Declared::parse("[[port]]\nport = 443\nservice = \"https\"\n[[port]]\nport = 5353\ntransport = \"udp\"\n").unwrap();
        assert_eq!(d.ports.len(), 2);
        assert_eq!(d.ports[1].transport, Transport::Udp);
        assert!(Declared::parse("[[port]]\nport = 0\n").is_err());
        assert!(Declared::parse("[[port]]\nprt = 1\n").is_err());
        let catalog = jcstar_criteria::Catalog::star1();
        for id in [
            S1_1_01,
            S1_1_12,
            S1_1_13_1,
            S1_1_13_2,
            crate::tls::CRITERION,
        ] {
            assert!(id.exists_in(catalog), "{id} is not in the ★1 catalog");
        }
        assert_eq!(S1_1_13_1.base(), star1::S1_1_13);
    }
}
