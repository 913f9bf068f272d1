//! The registry's error type.

use crate::auth::Denied;
use crate::number::NumberError;

/// Everything that can go wrong in the registry. Messages name the
/// application, label or field and say what would be accepted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The step is not allowed in the current state (e.g. revoking a withdrawn
    /// label).
    #[error("{subject} is {state}: {reason}")]
    Refused {
        /// `application APP-000001` or `label JCS1-…`.
        subject: String,
        /// The current status.
        state: String,
        /// Why, and what is needed first.
        reason: String,
    },
    /// The checklist failed the automatic format check. The refusal was
    /// recorded as an event under `application_id`.
    #[error("application {application_id}: the checklist failed the format check: {}", problems.join("; "))]
    ChecklistRefused {
        application_id: String,
        problems: Vec<String>,
    },
    /// A field of the request is missing or malformed.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error(transparent)]
    Denied(#[from] Denied),
    /// No valid token.
    #[error("the API token is unknown, malformed or revoked")]
    Unauthenticated,
    #[error(transparent)]
    Number(#[from] NumberError),
    /// The database URL could not be used.
    #[error("database {url}: {message}")]
    Open { url: String, message: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Stored data that does not decode (a damaged or foreign database).
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A bound shared by everyone is reached (e.g. the counterfeit reports
    /// received in a day): try again after `retry_after_secs`.
    #[error("{message}")]
    Saturated {
        message: String,
        retry_after_secs: u64,
    },
}

impl Error {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn refused(
        subject: impl Into<String>,
        state: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Error::Refused {
            subject: subject.into(),
            state: state.to_string(),
            reason: reason.into(),
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

pub type Result<T, E = Error> = std::result::Result<T, E>;
