//! `jcstar registry token …`: API tokens.

use std::process::ExitCode;

use clap::Subcommand;
use jcstar_criteria::Lang;
use jcstar_registry::Role;

use super::session::Session;
use super::text::{role_text, tr};

#[derive(Subcommand)]
pub(super) enum TokenCmd {
    /// Create a token; its secret is printed once.
    Create {
        /// vendor, evaluation-body or operator.
        #[arg(long)]
        role: Role,
        /// The organisation (not needed for the operator).
        #[arg(long, default_value = "")]
        org: String,
        /// The person of the organisation the token belongs to.
        #[arg(long, value_name = "PERSON")]
        name: String,
        /// Days until the token expires (1 to 366).
        #[arg(long, default_value_t = jcstar_registry::TOKEN_DEFAULT_DAYS)]
        valid_days: u32,
    },
    /// List the tokens (without their secrets).
    List,
    /// Revoke a token.
    Revoke {
        /// Token id (as printed by `token list`).
        id: String,
    },
}

pub(super) async fn run(s: &Session, cmd: TokenCmd) -> ExitCode {
    let lang = s.lang;
    match cmd {
        TokenCmd::Create {
            role,
            org,
            name,
            valid_days,
        } => s.show(
            s.reg
                .create_token_for_days(role, &org, &name, valid_days)
                .await,
            |t| {
                let expires = t.expires_at.format("%Y-%m-%d %H:%M UTC");
                let role = role_text(t.role, lang);
                match lang {
                    Lang::Ja => format!(
                        "トークン {}（{role} {:?}、{}、有効期限 {expires}）\n{}\n（この秘密の値が表示されるのは今回だけです）",
                        t.id, t.org, t.name, t.plaintext
                    ),
                    Lang::En => format!(
                        "token {} ({role} {:?}, {}, expires {expires})\n{}\n(the secret is shown only now)",
                        t.id, t.org, t.name, t.plaintext
                    ),
                }
            },
        ),
        TokenCmd::List => s.show(s.reg.list_tokens().await, |ts| {
            ts.iter()
                .map(|t| {
                    format!(
                        "{} {} {:?} {} {} {}{}",
                        t.id,
                        role_text(t.role, lang),
                        t.org,
                        t.name,
                        tr(lang, "有効期限", "expires"),
                        t.expires_at.format("%Y-%m-%d"),
                        if t.revoked_at.is_some() {
                            tr(lang, "（失効済み）", " (revoked)")
                        } else {
                            ""
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        }),
        TokenCmd::Revoke { id } => s.show(s.reg.revoke_token(&id).await, |t| match lang {
            Lang::Ja => format!("トークン {} を失効させました", t.id),
            Lang::En => format!("token {} revoked", t.id),
        }),
    }
}
