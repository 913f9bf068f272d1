//! The registry's error type.

use crate::auth::Denied;
use crate::number::NumberError;
use jcstar_criteria::Lang;

/// A text people read, in Japanese and English. `Display` writes the
/// English one (logs, API clients); [`Msg::get`] picks a language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    // Boxed: errors stay small enough to return by value.
    /// The Japanese text.
    pub ja: Box<str>,
    /// The English text.
    pub en: Box<str>,
}

impl Msg {
    /// A message from its Japanese and English texts.
    pub fn new(ja: impl Into<Box<str>>, en: impl Into<Box<str>>) -> Self {
        Msg {
            ja: ja.into(),
            en: en.into(),
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

/// Shorthand for [`Msg::new`]: Japanese first, then English.
pub(crate) fn t(ja: impl Into<Box<str>>, en: impl Into<Box<str>>) -> Msg {
    Msg::new(ja, en)
}

/// Everything that can go wrong in the registry. Messages name the
/// application, label or field and say what would be accepted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The step is not allowed in the current state (e.g. revoking a withdrawn
    /// label).
    #[error("{subject} is {state}: {reason}")]
    Refused {
        /// `application APP-000001` or `label JCS1-…`.
        subject: Msg,
        /// The current status.
        state: Msg,
        /// Why, and what is needed first.
        reason: Msg,
    },
    /// The checklist failed the automatic format check. The refusal was
    /// recorded as an event under `application_id`.
    #[error("application {application_id}: the checklist failed the format check: {}", problems.join("; "))]
    ChecklistRefused {
        /// The application recorded as refused.
        application_id: String,
        /// What the format check found, one message each.
        problems: Vec<String>,
    },
    /// A field of the request is missing or malformed.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, as the request names it.
        field: String,
        /// What is wrong and what would be accepted.
        message: Msg,
    },
    /// Nothing with this id exists.
    #[error("{what} {id} not found")]
    NotFound {
        /// What was looked up (`application`, `label`, …).
        what: &'static str,
        /// The id given.
        id: String,
    },
    /// The actor may not do this.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// No valid token.
    #[error("the API token is unknown, malformed or revoked")]
    Unauthenticated,
    /// A registration number that is not one.
    #[error(transparent)]
    Number(#[from] NumberError),
    /// The database URL could not be used.
    #[error("database {url}: {message}")]
    Open {
        /// The URL given.
        url: String,
        /// Why it cannot be used.
        message: String,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Stored data that does not decode (a damaged or foreign database).
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// A file could not be read or written.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A bound shared by everyone is reached (e.g. the counterfeit reports
    /// received in a day): try again after `retry_after_secs`.
    #[error("{message}")]
    Saturated {
        /// What is saturated, in Japanese and English.
        message: Msg,
        /// Seconds after which a retry may succeed.
        retry_after_secs: u64,
    },
}

impl Error {
    pub(crate) fn invalid(field: impl Into<String>, message: Msg) -> Self {
        Error::Invalid {
            field: field.into(),
            message,
        }
    }

    pub(crate) fn refused(subject: Msg, state: Msg, reason: Msg) -> Self {
        Error::Refused {
            subject,
            state,
            reason,
        }
    }

    /// The message in `lang`. [`Lang::En`] gives the same text as `Display`.
    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Error::Refused {
                subject,
                state,
                reason,
            } => {
                if state.ja.is_empty() {
                    format!("{}: {}", subject.ja, reason.ja)
                } else {
                    format!("{}（現在の状態: {}）: {}", subject.ja, state.ja, reason.ja)
                }
            }
            Error::ChecklistRefused {
                application_id,
                problems,
            } => format!(
                "申請 {application_id}: チェックリストが形式確認を通りませんでした: {}",
                problems.join("; ")
            ),
            Error::Invalid { field, message } => format!("{field}: {}", message.ja),
            Error::NotFound { what, id } => {
                let what = match *what {
                    "application" => "申請",
                    "label" => "ラベル",
                    "token" => "API トークン",
                    "counterfeit report" => "偽造ラベルの疑いの報告",
                    other => other,
                };
                format!("{what} {id} は見つかりません")
            }
            Error::Denied(d) => d.message(Lang::Ja),
            Error::Unauthenticated => {
                "API トークンが登録されていないか、形式が正しくないか、失効しています".to_string()
            }
            Error::Number(n) => n.message(Lang::Ja),
            Error::Open { url, message } => format!("データベース {url}: {message}"),
            Error::Database(e) => format!("データベースのエラー: {e}"),
            Error::Corrupt(m) => format!("保存されたデータが壊れています: {m}"),
            Error::Io(e) => format!("入出力のエラー: {e}"),
            Error::Saturated { message, .. } => message.ja.to_string(),
        }
    }

    /// True for refusals of the request's content or timing (exit code 1 in the
    /// CLI, 409/422 on the web) as opposed to bad input or faults.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Error::Refused { .. }
                | Error::ChecklistRefused { .. }
                | Error::Denied(_)
                | Error::Saturated { .. }
        )
    }
}

/// Result with the registry's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Action, Resource, authorize};
    use crate::events::{Before, transition};
    use crate::model::{ApplicationStatus, EventKind, LabelStatus, Role};

    /// Japanese text: not empty, not the English, and written in Japanese.
    fn assert_japanese(ja: &str, en: &str) {
        assert!(!ja.trim().is_empty(), "no Japanese beside {en:?}");
        assert_ne!(ja, en, "the Japanese is the English");
        assert!(
            ja.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)
                || ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "not Japanese: {ja:?}"
        );
    }

    /// Both languages of an error: English is `Display`, Japanese differs.
    fn assert_bilingual(e: &Error) {
        assert_eq!(e.message(Lang::En), e.to_string());
        assert_japanese(&e.message(Lang::Ja), &e.to_string());
    }

    #[test]
    fn every_transition_refusal_is_bilingual() {
        use ApplicationStatus as A;
        let apps = [
            A::FormatRefused,
            A::Submitted,
            A::InquiryRequested,
            A::InquiryAnswered,
            A::Accepted,
            A::Rejected,
            A::FeePaid,
            A::Issued,
        ];
        let mut befores = vec![Before::Nothing];
        befores.extend(apps.iter().map(|&s| Before::App(s)));
        for recorded in LabelStatus::ALL {
            for today in LabelStatus::ALL {
                befores.push(Before::Label { recorded, today });
            }
        }
        let mut refusals = 0;
        for kind in EventKind::ALL {
            for &before in &befores {
                if let Err(reason) = transition(kind, before) {
                    assert_japanese(&reason.ja, &reason.en);
                    refusals += 1;
                }
            }
        }
        assert!(refusals > 100, "{refusals}");
    }

    #[test]
    fn refusal_in_both_languages() {
        let e = Error::refused(
            t("ラベル JCS1-2026-000001-8", "label JCS1-2026-000001-8"),
            t(LabelStatus::Withdrawn.text(Lang::Ja), "withdrawn"),
            t(
                "取り下げられるのは有効なラベルだけです",
                "only an active label can be withdrawn",
            ),
        );
        assert_eq!(
            e.message(Lang::En),
            "label JCS1-2026-000001-8 is withdrawn: only an active label can be withdrawn"
        );
        assert_eq!(
            e.message(Lang::Ja),
            "ラベル JCS1-2026-000001-8（現在の状態: 取下げ）: 取り下げられるのは有効なラベルだけです"
        );
        let e = Error::invalid(
            "reason",
            t("却下には理由が必要です", "a rejection needs a reason"),
        );
        assert_eq!(e.message(Lang::En), "reason: a rejection needs a reason");
        assert_eq!(e.message(Lang::Ja), "reason: 却下には理由が必要です");
    }

    #[test]
    fn the_other_errors_are_bilingual() {
        for e in [
            Error::NotFound {
                what: "label",
                id: "JCS1-2026-000001-8".into(),
            },
            Error::NotFound {
                what: "application",
                id: "APP-000001-abc".into(),
            },
            Error::NotFound {
                what: "counterfeit report",
                id: "CR-1".into(),
            },
            Error::NotFound {
                what: "token",
                id: "t1".into(),
            },
            Error::Unauthenticated,
            Error::ChecklistRefused {
                application_id: "APP-000001-abc".into(),
                problems: vec!["S1.1-01: no answer".into()],
            },
            Error::Saturated {
                message: t("受付が上限に達しています", "the queue is full"),
                retry_after_secs: 1,
            },
            Error::Corrupt("bad row".into()),
        ] {
            assert_bilingual(&e);
        }
        for bad in [
            "JCS1-2026",
            "XYZ1-2026-000001-8",
            "JCS9-2026-000001-8",
            "JCS1-26-000001-8",
            "JCS1-2026-1-8",
            "JCS1-2026-0000001-8",
            "JCS1-2026-000001-Q",
        ] {
            let e = Error::from(crate::parse_registration_number(bad).unwrap_err());
            assert_bilingual(&e);
            // The detail is translated too.
            assert!(
                !e.message(Lang::Ja).contains(" must "),
                "{}",
                e.message(Lang::Ja)
            );
        }
        let n = crate::RegistrationNumber::new(crate::Level::Star1, 2026, 1).to_string();
        let wrong_check = format!(
            "{}{}",
            &n[..n.len() - 1],
            if n.ends_with('0') { '1' } else { '0' }
        );
        let e = Error::from(crate::parse_registration_number(&wrong_check).unwrap_err());
        assert!(
            matches!(e, Error::Number(NumberError::Check { .. })),
            "{e:?}"
        );
        assert_bilingual(&e);
    }

    #[test]
    fn every_denial_is_bilingual() {
        let mut denials = 0;
        for role in Role::ALL {
            let actor = crate::model::Actor {
                role,
                org: "Acme".into(),
                token_id: None,
                token_name: Some("A. Person".into()),
            };
            for action in Action::ALL {
                for resource in [Resource::none(), Resource::owned_by("Other")] {
                    if let Err(d) = authorize(&actor, action, resource) {
                        assert_japanese(&d.reason_ja, &d.reason);
                        assert_bilingual(&Error::Denied(d));
                        denials += 1;
                    }
                }
            }
        }
        assert!(denials > 10, "{denials}");
    }
}
