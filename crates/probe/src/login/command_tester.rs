//! A [`Tester`] for the persistence run that performs each action with the
//! tester's shell command where one is given and otherwise asks the tester
//! to do it by hand.
//!
//! The questions are worded here, in both languages, so that every front
//! end asks the same thing; how a question reaches the tester (a terminal
//! prompt, a web form) is the front end's [`Ask`].

use std::time::Duration;

use jcstar_criteria::Lang;

use super::persistence::Tester;
use crate::reason::{Done, NotDone};

/// How long a tester's command may run.
pub const COMMAND_LIMIT: Duration = Duration::from_secs(300);

/// The front end's way of putting a question to the tester and waiting
/// until it is done (or skipped).
pub trait Ask {
    /// Asks `question` in `lang`; `Ok` once the tester says it is done.
    fn ask(
        &mut self,
        question: String,
        lang: Lang,
    ) -> impl std::future::Future<Output = Result<Done, NotDone>>;
}

/// Commands where given, the tester otherwise.
pub struct CommandTester<A> {
    /// The password in use before the run; given to commands as
    /// `JCSTAR_OLD_PASSWORD`.
    pub old: String,
    /// Command that changes the password (`JCSTAR_NEW_PASSWORD` holds the new one).
    pub change_cmd: Option<String>,
    /// Command that cuts the power and restores it.
    pub power_cmd: Option<String>,
    /// Command that deletes the user data.
    pub delete_cmd: Option<String>,
    /// Without a delete command: ask the tester to delete the data (else skip the step).
    pub delete_prompt: bool,
    /// Whether the new password may be shown in the question as it is
    /// (it is shown once in any case: the tester has to type it).
    pub show_secrets: bool,
    /// Language of the questions.
    pub lang: Lang,
    /// How questions reach the tester.
    pub asker: A,
}

/// Runs a shell command with the passwords in its environment, bounded in time.
pub async fn run_command(cmd: &str, old: &str, new: &str) -> Result<Done, NotDone> {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("JCSTAR_OLD_PASSWORD", old)
        .env("JCSTAR_NEW_PASSWORD", new)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| NotDone::NotStarted {
            error: e.to_string(),
        })?;
    match tokio::time::timeout(COMMAND_LIMIT, child.wait_with_output()).await {
        Err(_) => Err(NotDone::TimedOut {
            secs: COMMAND_LIMIT.as_secs(),
        }),
        Ok(Err(e)) => Err(NotDone::Failed {
            error: e.to_string(),
        }),
        Ok(Ok(out)) if out.status.success() => Ok(Done::Command {
            status: out.status.to_string(),
        }),
        Ok(Ok(out)) => Err(NotDone::CommandFailed {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr)
                .chars()
                .take(300)
                .collect(),
        }),
    }
}

/// The question that asks for a new password.
pub fn change_password_question(lang: Lang, new: &str, show_secrets: bool) -> String {
    match (lang, show_secrets) {
        (Lang::Ja, true) => format!("機器のパスワードを {new} に変更してください。"),
        (Lang::Ja, false) => format!(
            "機器のパスワードを {new} に変更してください（表示はこの一度だけで、保存しません）。"
        ),
        (Lang::En, true) => format!("Change the device password to: {new}."),
        (Lang::En, false) => {
            format!("Change the device password to: {new} (shown once, not stored).")
        }
    }
}

/// The question that asks for a power cycle.
pub fn power_cycle_question(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "機器の電源を切り、10 秒待ってから入れ直してください。",
        Lang::En => "Cut the device's power, wait 10 s, and restore it.",
    }
}

/// The question that asks for the user data to be deleted.
pub fn delete_data_question(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => {
            "利用者データを削除してください（工場出荷時設定への初期化、または製品の削除機能）。"
        }
        Lang::En => "Delete the user data (factory reset / the product's delete function).",
    }
}

impl<A: Ask> Tester for CommandTester<A> {
    async fn change_password(&mut self, new: &str) -> Result<Done, NotDone> {
        match &self.change_cmd {
            Some(c) => run_command(c, &self.old, new).await,
            None => {
                let q = change_password_question(self.lang, new, self.show_secrets);
                self.asker.ask(q, self.lang).await
            }
        }
    }

    async fn power_cycle(&mut self) -> Result<Done, NotDone> {
        match &self.power_cmd {
            Some(c) => run_command(c, &self.old, "").await,
            None => {
                let q = power_cycle_question(self.lang).to_string();
                self.asker.ask(q, self.lang).await
            }
        }
    }

    async fn delete_data(&mut self) -> Option<Result<Done, NotDone>> {
        match &self.delete_cmd {
            Some(c) => Some(run_command(c, &self.old, "").await),
            None if self.delete_prompt => {
                let q = delete_data_question(self.lang).to_string();
                Some(self.asker.ask(q, self.lang).await)
            }
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commands_get_the_passwords_and_report_failure() {
        let ok = run_command(
            "test \"$JCSTAR_OLD_PASSWORD\" = old && test \"$JCSTAR_NEW_PASSWORD\" = new",
            "old",
            "new",
        )
        .await;
        assert!(matches!(ok, Ok(Done::Command { .. })), "{ok:?}");
        let bad = run_command("echo nope >&2; exit 3", "old", "new").await;
        match bad {
            Err(NotDone::CommandFailed { stderr, .. }) => assert_eq!(stderr.trim(), "nope"),
            other => panic!("{other:?}"),
        }
    }

    struct Scripted(Vec<String>);
    impl Ask for Scripted {
        async fn ask(&mut self, question: String, _lang: Lang) -> Result<Done, NotDone> {
            self.0.push(question);
            Ok(Done::Tester)
        }
    }

    #[tokio::test]
    async fn without_commands_the_tester_is_asked_in_their_language() {
        let mut t = CommandTester {
            old: "old".into(),
            change_cmd: None,
            power_cmd: None,
            delete_cmd: None,
            delete_prompt: false,
            show_secrets: false,
            lang: Lang::Ja,
            asker: Scripted(Vec::new()),
        };
        assert!(t.change_password("N3w").await.is_ok());
        assert!(t.power_cycle().await.is_ok());
        assert!(t.delete_data().await.is_none(), "no prompt asked for");
        assert_eq!(t.asker.0.len(), 2);
        assert!(t.asker.0.iter().all(|q| q.contains("ください")));
        assert!(t.asker.0.first().is_some_and(|q| q.contains("N3w")));
    }
}
