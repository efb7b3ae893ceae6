//! Persistence for minhbach behind one trait, [`Store`].
//!
//! SQLite (the embedded default) and PostgreSQL share one body of SQL through sqlx's `Any`
//! driver: the statements are written in the dialect both engines accept (`$n` parameters,
//! `RETURNING`, integer timestamps, byte columns). What differs between the engines lives in
//! [`backend`]: connection setup (SQLite pragmas, a single writer connection), schemas and the
//! migration sets under `migrations/sqlite` and `migrations/postgres`.
//!
//! Every method that changes state is one transaction that also appends its audit event
//! ([`audit`]), so an action and its record commit or fail together.

pub mod accounts;
pub mod audit;
mod backend;
pub mod evidence;
pub mod feedback;
pub mod jobs;
pub mod protection;
mod records;
pub mod regulations;
pub mod retention;
mod sql;
pub mod statistics;
pub mod synthetic;
pub mod vault;
mod write;

pub use accounts::{AccountStore, Rekey, SessionInfo, Workload};
pub use audit::{AuditEntry, AuditQuery, AuditRecord, ChainError, Checkpoint};
pub use backend::{redact, Backend, StoreConfig};
pub use evidence::{Adoption, AttachmentRecord, EvidenceStore, NewAttachment, NewDraft};
pub use feedback::{FeedbackStore, ReReviewAsked, ReReviewDecision, ReReviewRecord};
pub use jobs::{
    Escalation, EscalationState, Job, JobStore, MailToSend, Notification, OverdueReport,
    ReminderReport,
};
pub use protection::{
    Alert, CaseClocksChange, MeasureRecord, NewMeasure, NewProtection, ProtectionChange,
    ProtectionEvent, ProtectionRecord, ProtectionStore,
};
pub use records::*;
pub use regulations::{RegulationRecord, RegulationStore};
pub use retention::{FinishedCase, FinishedQuery, RetentionStore};
pub use sql::{SqlStore, INBOX_COUNT_CAP};
pub use statistics::{FigureDay, FigureSnapshot, StatisticsStore};
pub use synthetic::{SyntheticSpec, SyntheticStore};
pub use vault::{
    DisclosureDecision, DisclosureDecisionRow, DisclosureOutcome, DisclosureRequest,
    NewDisclosureRequest, VaultStore,
};
pub use write::{SpaceGuard, SpaceStatus, WriteKind};

use minhbach_domain::{AgencyId, CaseId, Excluded, UserId};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The disk is full, or the data directory is below its free-space reserve: nothing was
    /// written.
    #[error("storage full: nothing was written")]
    Full,
    /// The database stayed locked or out of connections past the wait: nothing was written.
    #[error("database busy: nothing was written")]
    Busy,
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The row changed since it was read (a concurrent decision): nothing was written.
    #[error("conflict: the record changed meanwhile")]
    Conflict,
    /// A single-use form token was presented a second time: nothing was written.
    #[error("already submitted")]
    AlreadySubmitted,
    /// An idempotency key was used before: nothing was written. `reference` is the first
    /// case's; `same_request` says whether the request was the same.
    #[error("idempotency key used before")]
    Replayed {
        reference: Option<String>,
        same_request: bool,
    },
    #[error("not found")]
    NotFound,
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    /// Sorts out the failures a user should hear about as "try again later" rather than as an
    /// internal error: a full disk and a database that stayed busy.
    fn from(e: sqlx::Error) -> Self {
        if matches!(e, sqlx::Error::PoolTimedOut) {
            return StoreError::Busy;
        }
        if let sqlx::Error::Database(db) = &e {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // Extended result codes: the primary code is the low byte.
                match code.parse::<u32>().map(|n| n & 0xff) {
                    Ok(13) => return StoreError::Full,    // SQLITE_FULL
                    Ok(5 | 6) => return StoreError::Busy, // SQLITE_BUSY, SQLITE_LOCKED
                    _ => {}
                }
            } else {
                // SQLSTATEs of PostgreSQL.
                match code.as_ref() {
                    "53100" => return StoreError::Full,           // disk_full
                    "53300" | "55P03" => return StoreError::Busy, // too many connections, lock
                    _ => {}
                }
            }
        }
        StoreError::Database(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything minhbach keeps. One implementation today ([`SqlStore`], for both engines); the
/// trait keeps the web layer independent of it.
#[async_trait::async_trait]
pub trait Store:
    JobStore
    + VaultStore
    + ProtectionStore
    + EvidenceStore
    + RetentionStore
    + AccountStore
    + StatisticsStore
    + RegulationStore
    + FeedbackStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;
    /// Free space of the data directory against its reserve, when a guard is configured.
    fn space(&self) -> Option<std::io::Result<SpaceStatus>>;

    // Organisation, agencies, categories, users.
    async fn organisation(&self) -> Result<Option<Organisation>>;
    async fn create_organisation(&self, org: &NewOrganisation, audit: &AuditEntry) -> Result<()>;
    async fn set_default_agency(&self, agency: AgencyId, audit: &AuditEntry) -> Result<()>;
    async fn create_agency(&self, agency: &NewAgency, audit: &AuditEntry) -> Result<AgencyId>;
    async fn agencies(&self) -> Result<Vec<Agency>>;
    async fn upsert_category(&self, category: &Category, audit: &AuditEntry) -> Result<()>;
    async fn categories(&self) -> Result<Vec<Category>>;
    /// The cases a partner forwarded and may follow, newest first.
    async fn partner_cases(&self, partner: AgencyId, limit: i64) -> Result<Vec<CaseRecord>>;
    /// The questionnaire documents of the categories that have one: (category, document).
    async fn questionnaires(&self) -> Result<Vec<(String, String)>>;
    /// Sets (or, with an empty document, removes) a category's questionnaire.
    async fn set_questionnaire(
        &self,
        category: &str,
        document: &str,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn create_user(&self, user: &NewUser, audit: &AuditEntry) -> Result<UserId>;
    async fn user(&self, id: UserId) -> Result<Option<UserRecord>>;
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>>;
    /// Records that a TOTP step was used; false if it (or a later one) already was, so a code
    /// is accepted once even when two logins race.
    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool>;

    // Cases.
    /// Records a new case with its wraps and, if given, burns the single-use form nonce in the
    /// same transaction. Returns the id and the allocated reference sequence.
    async fn submit(&self, case: &NewCase, audit: &AuditEntry) -> Result<(CaseId, String)>;
    async fn case_by_lookup(&self, receipt_lookup: &[u8]) -> Result<Option<CaseRecord>>;
    async fn case_by_reference(&self, reference: &str) -> Result<Option<CaseRecord>>;
    async fn case(&self, id: CaseId) -> Result<Option<CaseRecord>>;
    /// Reports held for review at an agency (received beyond the submission budget), oldest
    /// first, at most `limit`.
    async fn held_cases(&self, agency: AgencyId, limit: i64) -> Result<Vec<CaseRecord>>;
    /// Releases a held report: its receipt clocks start. False if it was not held (any more).
    async fn release_held(
        &self,
        case: CaseId,
        clocks: &[NewClock],
        due_on: Option<String>,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<bool>;
    async fn case_key_for(&self, case: CaseId, user: UserId) -> Result<Option<Vec<u8>>>;
    async fn messages(&self, case: CaseId) -> Result<Vec<MessageRecord>>;
    async fn events(&self, case: CaseId) -> Result<Vec<EventRecord>>;
    async fn add_message(&self, message: &NewMessage, audit: &AuditEntry) -> Result<()>;
    /// Applies a decision if the case is still in the state and agency it was read in.
    async fn transition(&self, change: &CaseChange, audit: &AuditEntry) -> Result<()>;
    async fn inbox(&self, query: &InboxQuery) -> Result<InboxPage>;
    /// The clocks of a case, in the order they started.
    async fn clocks(&self, case: CaseId) -> Result<Vec<ClockRow>>;
    /// The rule sets and calendar years stored in the database.
    async fn legal_documents(&self) -> Result<LegalDocuments>;
    async fn save_rule_set(
        &self,
        effective_from: &str,
        document: &str,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn save_calendar_year(&self, year: i64, document: &str, audit: &AuditEntry)
        -> Result<()>;
    /// Cases linked to this one, in both directions (`linked_from:<kind>` for incoming links).
    async fn links(&self, case: CaseId) -> Result<Vec<CaseLink>>;
    /// Active staff of an agency.
    async fn staff_of(&self, agency: AgencyId) -> Result<Vec<UserRecord>>;

    // Who holds a case key (the decision is `app::keys`; the store only records it).
    /// The exclusions of a case and of every case linked to it, in either direction.
    async fn exclusions(&self, case: CaseId) -> Result<Vec<Excluded>>;
    /// Chain-of-command exclusions in force on cases whose excluded agency answers to `superior`.
    async fn chain_exclusions_under(&self, superior: AgencyId) -> Result<Vec<ChainExclusion>>;
    /// Lifts a chain-of-command exclusion (a superior's override), with reasons.
    async fn lift_exclusion(
        &self,
        id: i64,
        by: UserId,
        reasons: &str,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// The staff who hold a wrap of the case key.
    async fn case_key_holders(&self, case: CaseId) -> Result<Vec<UserId>>;
    /// The cases whose key the staff member holds.
    async fn cases_held_by(&self, user: UserId) -> Result<Vec<CaseId>>;
    /// Records exclusions and changes wraps in one transaction with its audit event.
    async fn change_keys(&self, change: &KeyChange, audit: &AuditEntry) -> Result<()>;
    /// Deactivates an account, deleting all its wraps and sessions in the same transaction.
    /// Returns how many wraps were deleted.
    async fn deactivate_user(&self, user: UserId, audit: &AuditEntry) -> Result<u64>;
    async fn set_agency_superior(
        &self,
        agency: AgencyId,
        superior: Option<AgencyId>,
        audit: &AuditEntry,
    ) -> Result<()>;

    // Sessions.
    async fn create_session(&self, session: &NewSession) -> Result<()>;
    async fn session(&self, token_hash: &[u8], now: i64) -> Result<Option<SessionRecord>>;
    async fn delete_session(&self, token_hash: &[u8]) -> Result<()>;
    async fn delete_expired_sessions(&self, now: i64) -> Result<u64>;

    // Audit.
    /// Appends an event that comes with no other change (a read of content).
    async fn audit(&self, entry: &AuditEntry) -> Result<()>;
    async fn audit_log(&self) -> Result<Vec<AuditRecord>>;
    /// Events of the log matching a query, newest first.
    async fn audit_search(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>>;
    /// The last sequence number and hash, kept apart from the log to detect truncation.
    async fn audit_head(&self) -> Result<(i64, Vec<u8>)>;
    /// Checks the chain under the store's key against the head and the signed checkpoints
    /// (whose signatures the caller has checked).
    async fn audit_verify(
        &self,
        checkpoints: &[Checkpoint],
    ) -> Result<std::result::Result<usize, ChainError>>;

    /// The stored check value of the server secret, if one has been recorded.
    async fn key_check(&self) -> Result<Option<Vec<u8>>>;
    /// Records the check value when none is recorded yet; returns the one in force.
    async fn set_key_check(&self, value: &[u8]) -> Result<Vec<u8>>;
}
