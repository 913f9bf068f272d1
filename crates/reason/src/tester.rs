//! What became of an action only the tester (or a command the tester gave)
//! can perform during a persistence run: change the password, cut the power,
//! delete the user data. Typed, so the record says how each step was carried
//! out in either language instead of quoting whatever text the front end
//! produced.

use std::fmt;

use jcstar_criteria::Lang;
use serde::{Deserialize, Serialize};

/// How the action was carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Done {
    /// The tester's command ran and exited successfully with this status.
    Command {
        /// The command's exit status as printed (e.g. `exit status: 0`).
        status: String,
    },
    /// The tester did it by hand and confirmed on the terminal.
    Tester,
    /// A front end's own account of what it did (kept as given).
    Other {
        /// The front end's text, kept verbatim.
        text: String,
    },
}

/// Why the action was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum NotDone {
    /// The tester typed `skip`.
    #[error("the tester skipped this step")]
    Skipped,
    /// The step needs the tester, but nobody is at a terminal to ask.
    #[error("needs the tester but stdin is not a terminal; give the matching --*-cmd option")]
    NoTerminal,
    /// The tester's command ran longer than allowed.
    #[error("the command did not finish within {secs} s")]
    TimedOut {
        /// The time limit the command ran past, in seconds.
        secs: u64,
    },
    /// The tester's command exited with a failure.
    #[error("command failed ({status}): {stderr}")]
    CommandFailed {
        /// The command's exit status as printed.
        status: String,
        /// The start of what the command wrote to standard error.
        stderr: String,
    },
    /// The tester's command could not be started.
    #[error("cannot start the command: {error}")]
    NotStarted {
        /// Why the operating system could not start it.
        error: String,
    },
    /// Anything else that stopped it: the command could not be started, the
    /// terminal could not be read, a front end's own failure.
    #[error("{error}")]
    Failed {
        /// What stopped the action, as text.
        error: String,
    },
}

impl Done {
    /// The account of the action in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (Done::Command { status }, Lang::Ja) => format!("コマンドを実行しました（{status}）"),
            (Done::Command { status }, Lang::En) => format!("command ran ({status})"),
            (Done::Tester, Lang::Ja) => "試験者が実施しました（端末で確認）".into(),
            (Done::Tester, Lang::En) => "done by the tester (confirmed on the terminal)".into(),
            (Done::Other { text }, _) => text.clone(),
        }
    }
}

impl fmt::Display for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl NotDone {
    /// Why the action was not carried out, in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ja => match self {
                NotDone::Skipped => "試験者がこの手順を省略しました".into(),
                NotDone::NoTerminal => {
                    "試験者の操作が必要ですが、標準入力が端末ではありません。対応する --*-cmd オプションを指定してください".into()
                }
                NotDone::TimedOut { secs } => {
                    format!("コマンドが {secs} 秒以内に終了しませんでした")
                }
                NotDone::CommandFailed { status, stderr } => {
                    format!("コマンドが失敗しました（{status}）: {stderr}")
                }
                NotDone::NotStarted { error } => {
                    format!("コマンドを開始できませんでした: {error}")
                }
                NotDone::Failed { error } => error.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages() {
        let d = Done::Command {
            status: "exit status: 0".into(),
        };
        assert_eq!(d.text(Lang::En), "command ran (exit status: 0)");
        assert!(d.text(Lang::Ja).contains("コマンドを実行しました"));
        let n = NotDone::TimedOut { secs: 300 };
        assert!(n.text(Lang::Ja).contains("300 秒"));
        assert!(n.text(Lang::En).contains("300 s"));
    }

    #[test]
    fn serialised_as_tagged_objects() {
        let v = serde_json::to_value(NotDone::Skipped).unwrap_or_default();
        assert_eq!(v["why"], "skipped");
        let v = serde_json::to_value(Done::Tester).unwrap_or_default();
        assert_eq!(v["by"], "tester");
    }
}
