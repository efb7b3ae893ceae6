//! The errors of the operations. Each says what went wrong in terms a caller can act on; `web`
//! turns them into statuses and translated messages.

use minhbach_domain::DomainError;
use minhbach_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule of the product refused it (invalid input, forbidden, wrong state).
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("crypto: {0}")]
    Crypto(#[from] minhbach_crypto::CryptoError),
    /// The organisation is not set up yet (`minhbach init`).
    #[error("the organisation is not set up")]
    NotInitialised,
    /// The organisation exists already: `init` runs once.
    #[error("the organisation already exists")]
    AlreadyInitialised,
    #[error("sign-in required")]
    Unauthenticated,
    #[error("malformed receipt")]
    MalformedReceipt,
    #[error("no case for this receipt")]
    UnknownReceipt,
    #[error("too many attempts")]
    Throttled,
    /// More reports arrived in the last minute than the service takes at all: nothing was
    /// recorded, the reporter sends it again a minute later.
    #[error("too many reports at once")]
    TooManyReports,
    #[error("wrong username or password")]
    BadLogin,
    /// The account has a one-time password or a second factor to enrol: its holder signs in
    /// once in a browser to set them.
    #[error("finish setting up the account: sign in once in a browser")]
    SetupRequired,
    #[error("internal: {0}")]
    Internal(String),
    /// The server secret is not the one the organisation was set up with.
    #[error("the server key does not match this database: restore secrets/server.key from the backup taken with it")]
    WrongServerKey,
    /// A document given to import (rule set, calendar year) is not valid.
    #[error("invalid document: {0}")]
    InvalidDocument(String),
    /// An operator's command names something that does not exist or would break a rule of the
    /// organisation's set-up (an unknown account, a cycle of superior bodies).
    #[error("refused: {0}")]
    Refused(String),
    /// An evidence file was not accepted (`code` is `minhbach_evidence::Refused::code`, or
    /// "too-many"); nothing of the upload was kept.
    #[error("file not accepted: {code}")]
    FileRefused { name: String, code: &'static str },
    /// The files waiting for confirmation are gone (expired, or the form's key does not open
    /// them): the reporter chooses them again.
    #[error("the files waiting for confirmation have expired")]
    DraftExpired,
    /// The case ended and its content was destroyed at the end of its retention period.
    #[error("the case's content was deleted at the end of its retention period")]
    CasePurged,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
