//! `jcstar registry surveillance …`: open or close surveillance, or revoke.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;
use jcstar_registry::SurveillanceOrder;

use super::session::Session;

#[derive(Subcommand)]
pub(super) enum SurveillanceCmd {
    /// Open surveillance: the vendor must present evidence by the deadline.
    Open {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// Why: recorded in the event and shown in the public history.
        #[arg(long)]
        reason: String,
        /// Evidence the vendor must present.
        #[arg(long)]
        evidence: String,
        /// Correction deadline (YYYY-MM-DD).
        #[arg(long)]
        deadline: NaiveDate,
    },
    /// Close as cleared: the label is active again.
    Close {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// Why: recorded in the event and shown in the public history.
        #[arg(long)]
        reason: String,
    },
    /// Revoke (after the correction deadline, or with --override).
    Revoke {
        /// Registration number of the label, e.g. JCS1-2026-000123-7.
        number: String,
        /// Why: recorded in the event and shown in the public history.
        #[arg(long)]
        reason: String,
        /// Reason to revoke before the deadline or without surveillance.
        #[arg(long = "override")]
        override_reason: Option<String>,
    },
}

pub(super) async fn run(s: &Session, cmd: SurveillanceCmd) -> ExitCode {
    let (reg, op) = (&s.reg, &s.op);
    let r = match cmd {
        SurveillanceCmd::Open {
            number,
            reason,
            evidence,
            deadline,
        } => {
            let order = SurveillanceOrder {
                reason,
                evidence_demanded: evidence,
                correction_deadline: deadline,
            };
            reg.open_surveillance(op, &number, order).await
        }
        SurveillanceCmd::Close { number, reason } => {
            reg.close_surveillance(op, &number, &reason).await
        }
        SurveillanceCmd::Revoke {
            number,
            reason,
            override_reason,
        } => {
            reg.revoke_label(op, &number, &reason, override_reason.as_deref())
                .await
        }
    };
    s.label(r)
}
