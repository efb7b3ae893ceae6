//! Loophole proposals on regulations: the regulation named in clear with the case, and what the
//! issuing body did about it. `app::regulations` decides; this module only reads and writes.

use minhbach_domain::{AgencyId, CaseId, CaseState, UserId};
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::sql::{append_audit, SqlStore};
use crate::write::WriteKind;
use crate::{Result, StoreError};

/// A proposal as its case and the public page know it: never content, never the reporter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegulationRecord {
    pub case: CaseId,
    pub reference: String,
    /// The body that holds the case: the issuer of the regulation, or whoever it was forwarded to.
    pub agency: AgencyId,
    pub state: CaseState,
    pub received_at: i64,
    pub document: String,
    pub article: String,
    pub outcome: Option<String>,
    pub explanation: Option<String>,
    pub decided_at: Option<i64>,
}

#[async_trait::async_trait]
pub trait RegulationStore: Send + Sync {
    /// The regulation of a loophole proposal's case.
    async fn regulation_of(&self, case: CaseId) -> Result<Option<RegulationRecord>>;
    /// Every proposal, by regulation then newest first, at most `limit`.
    async fn regulations(&self, limit: i64) -> Result<Vec<RegulationRecord>>;
    /// Records the outcome once; `false` if the case is no proposal or one was recorded.
    async fn record_regulation_outcome(
        &self,
        case: CaseId,
        outcome: &str,
        explanation: &str,
        by: UserId,
        audit: &AuditEntry,
    ) -> Result<bool>;
}

const COLUMNS: &str = "r.case_id, c.reference, c.agency_id, c.state, c.received_at, r.document, \
     r.article, r.outcome, r.explanation, r.decided_at";

fn record(r: &sqlx::any::AnyRow) -> Result<RegulationRecord> {
    let state: String = r.try_get("state")?;
    Ok(RegulationRecord {
        case: CaseId(r.try_get("case_id")?),
        reference: r.try_get("reference")?,
        agency: AgencyId(r.try_get("agency_id")?),
        state: CaseState::from_code(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("state {state}")))?,
        received_at: r.try_get("received_at")?,
        document: r.try_get("document")?,
        article: r.try_get("article")?,
        outcome: r.try_get("outcome")?,
        explanation: r.try_get("explanation")?,
        decided_at: r.try_get("decided_at")?,
    })
}

#[async_trait::async_trait]
impl RegulationStore for SqlStore {
    async fn regulation_of(&self, case: CaseId) -> Result<Option<RegulationRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM regulation_proposals r JOIN cases c ON c.id = r.case_id \
             WHERE r.case_id = $1"
        ))
        .bind(case.0)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(record)
        .transpose()
    }

    async fn regulations(&self, limit: i64) -> Result<Vec<RegulationRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM regulation_proposals r JOIN cases c ON c.id = r.case_id \
             ORDER BY r.document, c.received_at DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(record)
        .collect()
    }

    async fn record_regulation_outcome(
        &self,
        case: CaseId,
        outcome: &str,
        explanation: &str,
        by: UserId,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let done = sqlx::query(
            "UPDATE regulation_proposals SET outcome = $1, explanation = $2, decided_at = $3, \
             decided_by = $4 WHERE case_id = $5 AND outcome IS NULL",
        )
        .bind(outcome.to_owned())
        .bind(explanation.to_owned())
        .bind(audit.at)
        .bind(by.0)
        .bind(case.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
