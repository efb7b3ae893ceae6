//! Errors as the user sees them. A handler returns [`AppError`]; its response carries only a
//! status and an [`ErrorInfo`] extension, and the `render_errors` middleware (which knows the
//! language and whether the request was for the API) turns that into a translated page or a JSON
//! body. Internal details go to the log, never to the user.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minhbach_app::Error;
use minhbach_domain::{DomainError, FieldError};
use minhbach_store::StoreError;

/// What a handler can fail with: an operation's error, or a problem of the request itself.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    App(#[from] minhbach_app::Error),
    #[error("bad or missing CSRF token")]
    Csrf,
    #[error("request body too large")]
    TooLarge,
    #[error("malformed request: {0}")]
    BadRequest(String),
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError::App(e.into())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::App(e.into())
    }
}

impl From<minhbach_crypto::CryptoError> for AppError {
    fn from(e: minhbach_crypto::CryptoError) -> Self {
        AppError::App(e.into())
    }
}

impl AppError {
    pub fn internal(message: impl Into<String>) -> Self {
        AppError::App(Error::Internal(message.into()))
    }
}

/// What the error renderer needs; attached to the response as an extension.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub code: &'static str,
    pub fields: Vec<FieldError>,
}

impl AppError {
    pub fn status_and_info(&self) -> (StatusCode, ErrorInfo) {
        let simple = |status, code| {
            (
                status,
                ErrorInfo {
                    code,
                    fields: Vec::new(),
                },
            )
        };
        match self {
            AppError::App(Error::Domain(DomainError::Invalid(fields))) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorInfo {
                    code: "error-invalid",
                    fields: fields.clone(),
                },
            ),
            AppError::App(Error::Domain(DomainError::Forbidden)) => {
                simple(StatusCode::FORBIDDEN, "error-forbidden")
            }
            AppError::App(Error::Domain(e @ DomainError::SecondForwardNeedsLead)) => {
                simple(StatusCode::FORBIDDEN, e.code())
            }
            AppError::App(
                Error::Domain(DomainError::NotFound) | Error::Store(StoreError::NotFound),
            ) => simple(StatusCode::NOT_FOUND, "error-not-found"),
            AppError::App(Error::Domain(e)) => simple(StatusCode::CONFLICT, e.code()),
            AppError::App(Error::Store(StoreError::Conflict)) => {
                simple(StatusCode::CONFLICT, "error-conflict")
            }
            AppError::App(Error::Store(StoreError::AlreadySubmitted)) => {
                simple(StatusCode::CONFLICT, "error-already-submitted")
            }
            AppError::App(Error::Unauthenticated) => {
                simple(StatusCode::UNAUTHORIZED, "error-unauthenticated")
            }
            AppError::Csrf => simple(StatusCode::FORBIDDEN, "error-csrf"),
            AppError::TooLarge => simple(StatusCode::PAYLOAD_TOO_LARGE, "error-too-large"),
            AppError::BadRequest(_)
            | AppError::App(
                Error::InvalidDocument(_) | Error::Refused(_) | Error::AlreadyInitialised,
            ) => simple(StatusCode::BAD_REQUEST, "error-bad-request"),
            AppError::App(Error::MalformedReceipt) => {
                simple(StatusCode::BAD_REQUEST, "error-receipt-format")
            }
            AppError::App(Error::UnknownReceipt) => {
                simple(StatusCode::NOT_FOUND, "error-receipt-unknown")
            }
            AppError::App(Error::Throttled) => {
                simple(StatusCode::TOO_MANY_REQUESTS, "error-throttled")
            }
            AppError::App(Error::BadLogin) => simple(StatusCode::UNAUTHORIZED, "error-bad-login"),
            AppError::App(Error::SetupRequired) => {
                simple(StatusCode::FORBIDDEN, "error-setup-required")
            }
            AppError::App(Error::NotInitialised) => {
                simple(StatusCode::SERVICE_UNAVAILABLE, "error-not-initialised")
            }
            // Nothing was written, and trying later will work: never a 500, never a receipt.
            AppError::App(Error::Store(StoreError::Full)) => {
                simple(StatusCode::SERVICE_UNAVAILABLE, "error-storage-full")
            }
            AppError::App(Error::Store(StoreError::Busy)) => {
                simple(StatusCode::SERVICE_UNAVAILABLE, "error-busy")
            }
            AppError::App(Error::TooManyReports) => {
                simple(StatusCode::SERVICE_UNAVAILABLE, "error-too-many-reports")
            }
            AppError::App(Error::FileRefused { .. }) => {
                simple(StatusCode::UNPROCESSABLE_ENTITY, "error-file-refused")
            }
            AppError::App(Error::DraftExpired) => simple(StatusCode::GONE, "error-draft-expired"),
            AppError::App(Error::CasePurged) => simple(StatusCode::GONE, "error-case-purged"),
            AppError::App(
                Error::Store(_) | Error::Crypto(_) | Error::Internal(_) | Error::WrongServerKey,
            ) => simple(StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
        }
    }
}

impl AppError {
    /// Seconds after which the same request may succeed, for a 503.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            AppError::App(Error::Store(StoreError::Full)) => Some(300),
            AppError::App(Error::Store(StoreError::Busy)) => Some(5),
            AppError::App(Error::TooManyReports) => Some(60),
            _ => None,
        }
    }

    /// A refusal that wrote nothing and may succeed later (storage full, database busy).
    pub fn is_unavailable(&self) -> bool {
        self.retry_after().is_some()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, info) = self.status_and_info();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = status.into_response();
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response.extensions_mut().insert(info);
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;
