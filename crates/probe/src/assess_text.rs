//! The assessment's events and phases as lines a tester reads, in Japanese
//! or English. Kept beside the run so that every front end (the CLI today,
//! the web later) shows the same words and masks secrets the same way.

use jcstar_criteria::Lang;

use crate::assess::{BruteAnnouncement, Event};
use crate::login::mask;
use crate::reason::{Reason, source_text};

/// How a front end wants secrets shown in event lines.
#[derive(Debug, Clone, Copy)]
pub struct Secrets<'a> {
    /// Passwords the tester supplied, masked in persistence lines too.
    pub known: &'a [&'a str],
    /// `--show-secrets`: print passwords as they are.
    pub show: bool,
}

impl Secrets<'_> {
    fn password(&self, p: &str) -> String {
        if self.show { format!("{p:?}") } else { mask(p) }
    }
}

impl Event<'_> {
    /// The event as one line in `lang`.
    pub fn line(&self, lang: Lang, secrets: Secrets<'_>) -> String {
        let ja = lang == Lang::Ja;
        match self {
            Event::Scanning { tcp, udp } if ja => {
                format!("走査しています（TCP {tcp}、UDP {udp}）...")
            }
            Event::Scanning { tcp, udp } => format!("scanning (tcp {tcp}, udp {udp}) ..."),
            Event::Skipped(s) if ja => format!("注意: {}", s.text(lang)),
            Event::Skipped(s) => format!("note: {}", s.text(lang)),
            Event::Deadline {
                service,
                failure_delay_ms,
                deadline_ms,
            } => match (failure_delay_ms, ja) {
                (Some(d), true) => format!(
                    "{service}: 誤ったログインは {d} ms 後に拒否されます。1 回あたりの待ち時間の上限は {deadline_ms} ms です"
                ),
                (None, true) => format!(
                    "{service}: 失敗時の遅延は測定していません。1 回あたりの待ち時間の上限は {deadline_ms} ms です"
                ),
                (Some(d), false) => format!(
                    "{service}: a wrong login is refused after {d} ms; deadline per attempt {deadline_ms} ms"
                ),
                (None, false) => format!(
                    "{service}: failure delay not measured; deadline per attempt {deadline_ms} ms"
                ),
            },
            Event::DefaultsStarting { services, limit } if ja => format!(
                "初期パスワードの確認: ログインサービス {services} 件それぞれで最大 {limit} 組を試します"
            ),
            Event::DefaultsStarting { services, limit } => format!(
                "default credentials: at most {limit} pairs on each of {services} login services"
            ),
            Event::Defaults(r) => match &r.accepted {
                Some(a) if ja => format!(
                    "{}: 初期パスワードでログインできました: ユーザー「{}」/ {}（出典: {}）",
                    r.service,
                    a.username,
                    secrets.password(&a.password),
                    source_text(&a.source, lang)
                ),
                Some(a) => format!(
                    "{}: ACCEPTED default pair {:?} / {} ({})",
                    r.service,
                    a.username,
                    secrets.password(&a.password),
                    source_text(&a.source, lang)
                ),
                None => r.summary.text(lang),
            },
            Event::LockoutWait { service, max_wait } if ja => format!(
                "{service}: ロックアウトを検出しました。解除まで最大 {} 秒待ちます",
                max_wait.as_secs()
            ),
            Event::LockoutWait { service, max_wait } => format!(
                "{service}: the login ran into a lockout; waiting up to {} s for it to lift",
                max_wait.as_secs()
            ),
            Event::LockoutLifted { service, after } => match (after, ja) {
                (Some(d), true) => format!(
                    "{service}: {:.1} 秒後に再びログインできるようになりました",
                    d.as_secs_f64()
                ),
                (None, true) => format!("{service}: 待ち時間の終わりでもロックされたままです"),
                (Some(d), false) => format!(
                    "{service}: login works again after {:.1} s",
                    d.as_secs_f64()
                ),
                (None, false) => format!("{service}: still locked at the end of the wait"),
            },
            Event::BruteForce(a) => a.question(lang),
            Event::BruteForceSkipped if ja => "総当たり試験は省略しました".into(),
            Event::BruteForceSkipped => "brute-force test skipped".into(),
            Event::Brute(r) => Reason::ServiceResult {
                service: r.service.clone(),
                account: r.report.username.clone(),
                verdict: r.report.verdict,
                reason: Box::new(r.report.reason.clone()),
            }
            .text(lang),
            Event::Persistence(s) => s.line(lang, secrets.known, secrets.show),
        }
    }
}

impl BruteAnnouncement {
    /// What the brute-force test is about to do, said before the tester confirms.
    pub fn question(&self, lang: Lang) -> String {
        match lang {
            Lang::Ja => format!(
                "総当たり試験: {} 件のサービス（{}）それぞれで最大 {} 回ログインを試みます。アカウントがロックされることがあります",
                self.services.len(),
                self.services
                    .iter()
                    .map(|(s, u)| format!("{s}、アカウント「{u}」"))
                    .collect::<Vec<_>>()
                    .join("; "),
                self.worst_case_attempts
            ),
            Lang::En => format!(
                "brute-force test: up to {} login attempts on each of {} services ({}); this may lock the accounts",
                self.worst_case_attempts,
                self.services.len(),
                self.services
                    .iter()
                    .map(|(s, u)| format!("{s} as {u:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// The name of a phase of [`crate::Progress`] in `lang`.
pub fn phase_text(name: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return name.to_string();
    }
    match name {
        "tcp scan" => "TCP 走査",
        "udp scan" => "UDP 走査",
        "identify" => "サービス識別",
        "tls" => "TLS 評価",
        "failure delay" => "失敗時の遅延測定",
        "default credentials" => "初期パスワード確認",
        "brute force" => "総当たり試験",
        "lockout wait (s)" => "ロック解除待ち（秒）",
        "known vulnerabilities" => "既知の脆弱性の照合",
        other => other,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_phase_the_run_sets_has_a_japanese_name() {
        let src = include_str!("assess.rs").to_string()
            + include_str!("lib.rs")
            + include_str!("vulns.rs");
        let mut seen = 0;
        for (i, _) in src.match_indices(".start(\"") {
            let rest = src.get(i + 8..).unwrap_or_default();
            let name = rest.split('"').next().unwrap_or_default();
            seen += 1;
            assert_ne!(
                phase_text(name, Lang::Ja),
                name,
                "phase {name:?} has no Japanese name"
            );
        }
        assert!(seen > 0, "no phase names found in the run's source");
    }

    #[test]
    fn lines_follow_the_language() {
        let e = Event::LockoutWait {
            service: "ssh 127.0.0.1:22",
            max_wait: Duration::from_secs(60),
        };
        let s = Secrets {
            known: &[],
            show: false,
        };
        assert!(e.line(Lang::Ja, s).contains("60 秒"));
        assert!(e.line(Lang::En, s).contains("60 s"));
    }
}
