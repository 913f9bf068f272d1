//! Who may do what. The web layer and the CLI both ask [`authorize`], so the
//! rules live in one place.

use serde::{Deserialize, Serialize};

use crate::model::{Actor, Application, Label, Role};

/// Everything a caller can ask the registry to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read labels, product pages, search, exports, the public feed, verify
    /// the chain.
    ReadPublic,
    /// Submit an application for the resource's organisation.
    SubmitApplication,
    /// Read an application (with its checklist).
    ReadApplication,
    /// Record the supply-chain inquiry and its answer.
    RecordInquiry,
    /// Accept or reject an application.
    DecideApplication,
    /// Record a fee payment.
    RecordFee,
    /// Assign an evaluation body to a ★3/★4 application.
    AssignEvaluationBody,
    /// Attach an evaluation report to an application.
    AttachEvaluationReport,
    /// Issue (certify) a label.
    IssueLabel,
    /// Extend a label's validity with a new self-declaration.
    ExtendLabel,
    /// Withdraw a label.
    WithdrawLabel,
    /// Open or close surveillance, revoke a label.
    Surveillance,
    /// Add update and vulnerability entries, support end, disclosure contact.
    EditSecurityInfo,
    /// Create, list and revoke API tokens.
    ManageTokens,
    /// Read the full event feed (applications included) and rebuild state.
    Administer,
    /// Read and close the reports of suspected counterfeit labels.
    HandleCounterfeitReports,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 16] = [
        Action::ReadPublic,
        Action::SubmitApplication,
        Action::ReadApplication,
        Action::RecordInquiry,
        Action::DecideApplication,
        Action::RecordFee,
        Action::AssignEvaluationBody,
        Action::AttachEvaluationReport,
        Action::IssueLabel,
        Action::ExtendLabel,
        Action::WithdrawLabel,
        Action::Surveillance,
        Action::EditSecurityInfo,
        Action::ManageTokens,
        Action::Administer,
        Action::HandleCounterfeitReports,
    ];
}

/// The thing acted on, as far as authorisation cares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resource<'a> {
    /// Owning (applicant) organisation.
    pub org: Option<&'a str>,
    /// Evaluation body assigned to the application.
    pub evaluation_body: Option<&'a str>,
}

impl<'a> Resource<'a> {
    /// Nothing in particular (registry-wide actions).
    pub fn none() -> Self {
        Resource::default()
    }

    /// Something owned by `org`.
    pub fn owned_by(org: &'a str) -> Self {
        Resource {
            org: Some(org),
            evaluation_body: None,
        }
    }

    /// An application: owned by its organisation, reported on by its assigned evaluation body.
    pub fn application(app: &'a Application) -> Self {
        Resource {
            org: Some(&app.org),
            evaluation_body: app.evaluation_body.as_deref(),
        }
    }

    /// A label: owned by its organisation.
    pub fn label(label: &'a Label) -> Self {
        Resource::owned_by(&label.org)
    }
}

/// A refused authorisation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{role} {org:?} may not {action:?}: {reason}")]
pub struct Denied {
    /// Role of the refused actor.
    pub role: Role,
    /// Organisation of the refused actor.
    pub org: String,
    /// What it tried to do.
    pub action: Action,
    /// Why it may not, in English.
    pub reason: String,
    /// The reason in Japanese (not serialised: the record keeps English).
    #[serde(skip)]
    pub reason_ja: String,
}

impl Denied {
    /// The message in `lang`; [`Lang::En`](jcstar_criteria::Lang::En) is the
    /// `Display` text.
    pub fn message(&self, lang: jcstar_criteria::Lang) -> String {
        match lang {
            jcstar_criteria::Lang::En => self.to_string(),
            jcstar_criteria::Lang::Ja => {
                let reason = if self.reason_ja.is_empty() {
                    &self.reason
                } else {
                    &self.reason_ja
                };
                format!("権限がありません: {reason}")
            }
        }
    }
}

/// Decide whether `actor` may perform `action` on `resource`.
///
/// Public: read only. Vendor: its own organisation's applications and labels
/// (submit, read, extend, withdraw, security information). Evaluation body:
/// read and report on applications assigned to it. Operator: everything.
pub fn authorize(actor: &Actor, action: Action, resource: Resource<'_>) -> Result<(), Denied> {
    let deny = |ja: &str, reason: &str| {
        Err(Denied {
            role: actor.role,
            org: actor.org.clone(),
            action,
            reason: reason.to_string(),
            reason_ja: ja.to_string(),
        })
    };
    if action == Action::ReadPublic {
        return Ok(());
    }
    let own = !actor.org.is_empty() && resource.org == Some(actor.org.as_str());
    let assigned = !actor.org.is_empty() && resource.evaluation_body == Some(actor.org.as_str());
    match actor.role {
        Role::Operator => Ok(()),
        Role::Public => deny(
            "この操作には API トークンが必要です（トークンなしでは閲覧のみできます）",
            "this needs an API token (public access is read-only)",
        ),
        Role::Vendor => match action {
            Action::SubmitApplication
            | Action::ReadApplication
            | Action::ExtendLabel
            | Action::WithdrawLabel
            | Action::EditSecurityInfo => {
                if own {
                    Ok(())
                } else {
                    deny(
                        "事業者は自社の申請とラベルに対してのみ操作できます",
                        "a vendor may act only on its own organisation's applications and labels",
                    )
                }
            }
            _ => deny(
                "この操作は制度運営者のみが行えます",
                "only the operator may do this",
            ),
        },
        Role::EvaluationBody => match action {
            Action::ReadApplication | Action::AttachEvaluationReport => {
                if assigned {
                    Ok(())
                } else {
                    deny(
                        "この申請はこの評価機関に割り当てられていません",
                        "the application is not assigned to this evaluation body",
                    )
                }
            }
            _ => deny(
                "評価機関は割り当てられた申請の閲覧と評価報告書の添付のみ行えます",
                "an evaluation body may only read and report on applications assigned to it",
            ),
        },
    }
}
