//! Where the registry lives, and one command's session on it: the
//! registry, the acting person and how results are printed.

use std::process::ExitCode;

use anyhow::Context;
use jcstar_criteria::Lang;
use jcstar_registry::{Actor, Registry, Role, intake};
use serde::Serialize;

use super::text::{app_text, emit, failed, label_text, tr};

/// Where the registry lives.
#[derive(clap::Args, Clone)]
pub struct DbArgs {
    /// Database URL: sqlite://PATH (created if missing) or postgres://USER@HOST:PORT/DB.
    #[arg(
        long,
        global = true,
        env = "JCSTAR_DATABASE",
        default_value = jcstar_registry::DEFAULT_DATABASE_URL
    )]
    pub(super) database: String,
}

pub(super) fn runtime(lang: Lang) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context(tr(
            lang,
            "非同期ランタイムを起動できませんでした",
            "starting the async runtime",
        ))
}

pub(super) async fn open(db: &DbArgs, lang: Lang) -> anyhow::Result<Registry> {
    Registry::open(&db.database)
        .await
        .with_context(|| match lang {
            Lang::Ja => format!("登録簿 {} を開けませんでした", db.database),
            Lang::En => format!("opening the registry at {}", db.database),
        })
}

/// One `jcstar registry` command on an open registry.
pub(super) struct Session {
    pub(super) reg: Registry,
    /// The operator acting (a named person for writes, the shell for reads).
    pub(super) op: Actor,
    pub(super) json: bool,
    pub(super) lang: Lang,
    pub(super) token: Option<String>,
    pub(super) as_name: Option<String>,
}

impl Session {
    /// The person acting in `role` for `org`: the `--token`'s, else `--as`.
    pub(super) async fn acting(&self, role: Role, org: String) -> jcstar_registry::Result<Actor> {
        intake::acting(
            &self.reg,
            self.token.as_deref(),
            self.as_name.as_deref(),
            role,
            &org,
        )
        .await
    }

    pub(super) fn failed(&self, e: jcstar_registry::Error) -> ExitCode {
        failed(self.json, self.lang, e)
    }

    /// A result as JSON or via `text`; an error as a refusal or error.
    pub(super) fn show<T: Serialize>(
        &self,
        r: jcstar_registry::Result<T>,
        text: impl FnOnce(&T) -> String,
    ) -> ExitCode {
        match r {
            Ok(v) => emit(self.json, self.lang, &v, text),
            Err(e) => self.failed(e),
        }
    }

    pub(super) fn app(&self, r: jcstar_registry::Result<jcstar_registry::Application>) -> ExitCode {
        self.show(r, |a| app_text(a, self.lang))
    }

    pub(super) fn label(&self, r: jcstar_registry::Result<jcstar_registry::Label>) -> ExitCode {
        self.show(r, |l| label_text(l, self.lang))
    }
}
