//! One error type for the rules. Each variant has a stable code that is also the key of its
//! translated message in `locales/*/main.ftl`, so the public message never leaks internals.

/// A field that failed validation, with the message key that explains why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("transition not allowed from this state")]
    TransitionNotAllowed,
    #[error("not permitted")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("forwarding to the agency that already holds the case")]
    ForwardToSelf,
    #[error("this decision does not belong to the case's legal track")]
    WrongTrack,
    #[error("a case forwarded once moves on only on the agency lead's decision")]
    SecondForwardNeedsLead,
    #[error("deadline: {0}")]
    Deadline(#[from] crate::deadline::DeadlineError),
    /// The case has no identity to release: the reporter stayed anonymous.
    #[error("the reporter is anonymous: there is no identity to release")]
    NoIdentity,
    /// No custodian holds a share of this case's identity key yet.
    #[error("no custodians hold this identity")]
    NoCustodians,
    /// Another request to release this identity is still waiting for the custodians.
    #[error("a request is already open")]
    DisclosureOpen,
    /// This custodian already decided on the request, or the request is closed.
    #[error("already decided")]
    AlreadyDecided,
    /// The report was held for review (received beyond the submission budget): an intake
    /// officer releases it before any decision.
    #[error("the report is held for review")]
    Held,
    /// The reporter already has a protection case in progress.
    #[error("a protection case is already in progress")]
    ProtectionOpen,
}

impl DomainError {
    /// The message key shown to the user.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Invalid(_) => "error-invalid",
            DomainError::TransitionNotAllowed => "error-transition",
            DomainError::Forbidden => "error-forbidden",
            DomainError::NotFound => "error-not-found",
            DomainError::ForwardToSelf => "error-forward-self",
            DomainError::WrongTrack => "error-wrong-track",
            DomainError::SecondForwardNeedsLead => "error-ping-pong",
            DomainError::Deadline(e) => e.code(),
            DomainError::NoIdentity => "error-no-identity",
            DomainError::NoCustodians => "error-no-custodians",
            DomainError::DisclosureOpen => "error-disclosure-open",
            DomainError::AlreadyDecided => "error-already-decided",
            DomainError::ProtectionOpen => "error-protection-open",
            DomainError::Held => "error-held",
        }
    }

    pub(crate) fn field(field: &'static str, code: &'static str) -> Self {
        DomainError::Invalid(vec![FieldError { field, code }])
    }
}
