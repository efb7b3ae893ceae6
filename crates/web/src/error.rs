//! Errors as the user sees them. A handler returns [`AppError`]; its response carries only a
//! status and an [`ErrorInfo`] extension, and the `render_errors` middleware (which knows the
//! language and whether the request was for the API) turns that into a translated page or a JSON
//! body. Internal details go to the log, never to the user.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minhbach_domain::{DomainError, FieldError};
use minhbach_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("crypto: {0}")]
    Crypto(#[from] minhbach_crypto::CryptoError),
    #[error("sign-in required")]
    Unauthenticated,
    #[error("bad or missing CSRF token")]
    Csrf,
    #[error("request body too large")]
    TooLarge,
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("malformed receipt")]
    MalformedReceipt,
    #[error("no case for this receipt")]
    UnknownReceipt,
    #[error("too many attempts")]
    Throttled,
    #[error("wrong username or password")]
    BadLogin,
    #[error("the organisation is not set up")]
    NotInitialised,
    #[error("internal: {0}")]
    Internal(String),
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
            AppError::Domain(DomainError::Invalid(fields)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorInfo {
                    code: "error-invalid",
                    fields: fields.clone(),
                },
            ),
            AppError::Domain(DomainError::Forbidden) => {
                simple(StatusCode::FORBIDDEN, "error-forbidden")
            }
            AppError::Domain(e @ DomainError::SecondForwardNeedsLead) => {
                simple(StatusCode::FORBIDDEN, e.code())
            }
            AppError::Domain(DomainError::NotFound) | AppError::Store(StoreError::NotFound) => {
                simple(StatusCode::NOT_FOUND, "error-not-found")
            }
            AppError::Domain(e) => simple(StatusCode::CONFLICT, e.code()),
            AppError::Store(StoreError::Conflict) => simple(StatusCode::CONFLICT, "error-conflict"),
            AppError::Store(StoreError::AlreadySubmitted) => {
                simple(StatusCode::CONFLICT, "error-already-submitted")
            }
            AppError::Unauthenticated => simple(StatusCode::UNAUTHORIZED, "error-unauthenticated"),
            AppError::Csrf => simple(StatusCode::FORBIDDEN, "error-csrf"),
            AppError::TooLarge => simple(StatusCode::PAYLOAD_TOO_LARGE, "error-too-large"),
            AppError::BadRequest(_) => simple(StatusCode::BAD_REQUEST, "error-bad-request"),
            AppError::MalformedReceipt => simple(StatusCode::BAD_REQUEST, "error-receipt-format"),
            AppError::UnknownReceipt => simple(StatusCode::NOT_FOUND, "error-receipt-unknown"),
            AppError::Throttled => simple(StatusCode::TOO_MANY_REQUESTS, "error-throttled"),
            AppError::BadLogin => simple(StatusCode::UNAUTHORIZED, "error-bad-login"),
            AppError::NotInitialised => {
                simple(StatusCode::SERVICE_UNAVAILABLE, "error-not-initialised")
            }
            // Nothing was written, and trying later will work: never a 500, never a receipt.
            AppError::Store(StoreError::Full) => {
                simple(StatusCode::SERVICE_UNAVAILABLE, "error-storage-full")
            }
            AppError::Store(StoreError::Busy) => {
                simple(StatusCode::SERVICE_UNAVAILABLE, "error-busy")
            }
            AppError::Store(_) | AppError::Crypto(_) | AppError::Internal(_) => {
                simple(StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
            }
        }
    }
}

impl AppError {
    /// Seconds after which the same request may succeed, for a 503.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            AppError::Store(StoreError::Full) => Some(300),
            AppError::Store(StoreError::Busy) => Some(5),
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

impl From<minhbach_app::Error> for AppError {
    fn from(e: minhbach_app::Error) -> Self {
        match e {
            minhbach_app::Error::Domain(e) => AppError::Domain(e),
            minhbach_app::Error::Store(e) => AppError::Store(e),
            minhbach_app::Error::Crypto(e) => AppError::Crypto(e),
            minhbach_app::Error::InvalidDocument(m) => AppError::BadRequest(m),
            minhbach_app::Error::NotInitialised => AppError::NotInitialised,
            minhbach_app::Error::Unauthenticated => AppError::Unauthenticated,
            minhbach_app::Error::MalformedReceipt => AppError::MalformedReceipt,
            minhbach_app::Error::UnknownReceipt => AppError::UnknownReceipt,
            minhbach_app::Error::Throttled => AppError::Throttled,
            minhbach_app::Error::BadLogin => AppError::BadLogin,
            minhbach_app::Error::Internal(m) => AppError::Internal(m),
            e @ minhbach_app::Error::AlreadyInitialised => AppError::BadRequest(e.to_string()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
