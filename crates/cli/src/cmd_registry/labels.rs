//! `jcstar registry change`, `show` and `search`.

use std::process::ExitCode;

use jcstar_criteria::Lang;
use jcstar_registry::{Level, SearchQuery};

use super::session::Session;
use super::text::{kind_text, label_text, status_text, tr};

#[derive(clap::Args)]
pub(super) struct ChangeArgs {
    /// Registration number of the label, e.g. JCS1-2026-000123-7.
    pub(super) number: String,
    /// Model number to add (repeat for several).
    #[arg(long = "add-model")]
    pub(super) add_models: Vec<String>,
    /// Firmware version to add (repeat for several).
    #[arg(long = "add-firmware")]
    pub(super) add_firmware: Vec<String>,
    /// The product changed, when the label covers several.
    #[arg(long)]
    pub(super) product: Option<String>,
    /// The change touches a security function (it is then refused:
    /// apply anew).
    #[arg(long)]
    pub(super) security_relevant: bool,
    /// Why: recorded in the event and shown in the public history.
    #[arg(long)]
    pub(super) reason: String,
}

#[derive(clap::Args)]
pub(super) struct SearchArgs {
    /// Text in company, product, model number or registration number.
    pub(super) text: Option<String>,
    /// Applicant company name (search: substring).
    #[arg(long)]
    pub(super) company: Option<String>,
    /// Product name (search: substring).
    #[arg(long)]
    pub(super) product: Option<String>,
    /// Model number (search: substring; hyphens, spaces and dots ignored).
    #[arg(long)]
    pub(super) model: Option<String>,
    /// How --model is compared: contains, prefix or exact.
    #[arg(long, default_value = "contains")]
    pub(super) model_match: jcstar_registry::ModelMatch,
    /// Product type (search: substring).
    #[arg(long = "type")]
    pub(super) product_type: Option<String>,
    /// Registration number or its beginning.
    #[arg(long)]
    pub(super) number: Option<String>,
    /// Label level: 1, 2, 3 or 4.
    #[arg(long)]
    pub(super) level: Option<Level>,
    /// Label status: active, expired, withdrawn, revoked or
    /// under_surveillance.
    #[arg(long)]
    pub(super) status: Option<jcstar_registry::LabelStatus>,
    /// Labels shown at most.
    #[arg(long, default_value_t = 20)]
    pub(super) limit: u64,
    /// Labels skipped first (for the next page).
    #[arg(long, default_value_t = 0)]
    pub(super) offset: u64,
}

pub(super) async fn change(s: &Session, a: ChangeArgs) -> ExitCode {
    let change = jcstar_registry::LabelChange {
        product: a.product,
        add_model_numbers: a.add_models,
        add_firmware_versions: a.add_firmware,
        security_relevant: a.security_relevant,
        reason: a.reason,
    };
    s.label(s.reg.change_label(&s.op, &a.number, change).await)
}

/// A label with its history.
pub(super) async fn show(s: &Session, number: &str) -> ExitCode {
    let lang = s.lang;
    s.show(s.reg.product_page(number).await, |p| {
        let mut text = label_text(&p.label, lang);
        text.push_str(tr(lang, "\n履歴:", "\nhistory:"));
        for h in &p.history {
            text.push_str(&format!(
                "\n  {} {} -> {}{}",
                h.at.format("%Y-%m-%d %H:%M"),
                kind_text(h.kind, lang),
                status_text(h.status, lang),
                h.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ));
        }
        text
    })
}

pub(super) async fn search(s: &Session, a: SearchArgs) -> ExitCode {
    let lang = s.lang;
    let q = SearchQuery {
        text: a.text,
        company: a.company,
        product: a.product,
        model: a.model,
        model_match: a.model_match,
        product_type: a.product_type,
        number: a.number,
        level: a.level,
        status: a.status,
        offset: a.offset,
        limit: a.limit,
        ..SearchQuery::default()
    };
    s.show(s.reg.search(&q).await, |p| {
        std::iter::once(match lang {
            Lang::Ja => format!("ラベル {} 件", p.total),
            Lang::En => format!("{} labels", p.total),
        })
        .chain(p.items.iter().map(|i| {
            format!(
                "{} {} [{}] {} — {}",
                i.number,
                i.level,
                status_text(i.status, lang),
                i.company,
                i.products.join(", ")
            )
        }))
        .collect::<Vec<_>>()
        .join("\n")
    })
}
