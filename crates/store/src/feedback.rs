//! The reporter's word after an outcome: satisfied or not, and a request that the superior body
//! review the resolution (Law on Denunciation Art. 37), with the superior's decision.
//! `app::feedback` decides who may do what and when; this module reads and writes, each request
//! exactly once.

use minhbach_domain::{AgencyId, CaseId, CaseState, UserId};
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::jobs::notify_leads;
use crate::records::{ClockUpdate, NewClock};
use crate::sql::{append_audit, insert_clocks, update_clocks, SqlStore};
use crate::write::WriteKind;
use crate::{Result, StoreError};

/// Task and notification kind of a review request (`tasks.kind`, `notifications.kind`).
pub const TASK_RE_REVIEW: &str = "re_review";

/// A request to review a resolution, as the reporter's page and the superior's list show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReReviewRecord {
    pub case: CaseId,
    pub reference: String,
    /// The body whose resolution is contested (the case's agency).
    pub resolver: AgencyId,
    pub state: CaseState,
    /// The superior body that reviews it.
    pub agency: AgencyId,
    pub clock_id: i64,
    pub requested_at: i64,
    /// The review's due date (ISO), from its clock.
    pub due_on: Option<String>,
    pub outcome: Option<String>,
    pub document_number: Option<String>,
    pub decision_date: Option<String>,
    pub decided_at: Option<i64>,
}

/// The superior's written decision on a review.
#[derive(Clone, Copy, Debug)]
pub struct ReReviewDecision<'a> {
    /// `upheld` or `resolve_again`.
    pub outcome: &'a str,
    pub document_number: &'a str,
    /// ISO date the decision bears.
    pub decision_date: &'a str,
    pub by: UserId,
}

/// What a request to review did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReReviewAsked {
    /// Recorded now; the superior's task and clock are open.
    Asked,
    /// Asked before (a second click, or a race): nothing was written.
    AlreadyAsked,
}

#[async_trait::async_trait]
pub trait FeedbackStore: Send + Sync {
    /// Records whether the reporter is satisfied, once: `false` if they answered before.
    async fn answer_outcome(&self, case: CaseId, satisfied: bool, now: i64) -> Result<bool>;
    /// The reporter's answer, if any.
    async fn outcome_answer(&self, case: CaseId) -> Result<Option<bool>>;
    /// Records the request that `superior` review the resolution with the reporter's grounds
    /// (a reporter's message, sealed), opens its clock (`clock`, held by the superior) and
    /// task, and notifies the superior's leads. Exactly once per case, however often or
    /// concurrently it is asked: a repeated request writes nothing, not even its grounds.
    async fn request_re_review(
        &self,
        case: CaseId,
        superior: AgencyId,
        clock: &NewClock,
        grounds_sealed: &[u8],
        now: i64,
    ) -> Result<ReReviewAsked>;
    /// The request of a case, if one was made.
    async fn re_review_of(&self, case: CaseId) -> Result<Option<ReReviewRecord>>;
    /// The requests a body reviews: undecided first (by due date), then the newest decided,
    /// at most `limit`.
    async fn re_reviews_for(&self, agency: AgencyId, limit: i64) -> Result<Vec<ReReviewRecord>>;
    /// Records the superior's decision once and completes its clock (`clock`): `false` if it
    /// was decided before.
    async fn decide_re_review(
        &self,
        case: CaseId,
        decision: ReReviewDecision<'_>,
        clock: &ClockUpdate,
        audit: &AuditEntry,
    ) -> Result<bool>;
}

const COLUMNS: &str = "r.case_id, c.reference, c.agency_id AS resolver, c.state, r.agency_id, \
     r.clock_id, r.requested_at, k.due_on, r.outcome, r.document_number, r.decision_date, \
     r.decided_at";
const FROM: &str = "re_review_requests r JOIN cases c ON c.id = r.case_id \
     JOIN case_clocks k ON k.id = r.clock_id";

fn record(r: &sqlx::any::AnyRow) -> Result<ReReviewRecord> {
    let state: String = r.try_get("state")?;
    Ok(ReReviewRecord {
        case: CaseId(r.try_get("case_id")?),
        reference: r.try_get("reference")?,
        resolver: AgencyId(r.try_get("resolver")?),
        state: CaseState::from_code(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("state {state}")))?,
        agency: AgencyId(r.try_get("agency_id")?),
        clock_id: r.try_get("clock_id")?,
        requested_at: r.try_get("requested_at")?,
        due_on: r.try_get("due_on")?,
        outcome: r.try_get("outcome")?,
        document_number: r.try_get("document_number")?,
        decision_date: r.try_get("decision_date")?,
        decided_at: r.try_get("decided_at")?,
    })
}

#[async_trait::async_trait]
impl FeedbackStore for SqlStore {
    async fn answer_outcome(&self, case: CaseId, satisfied: bool, now: i64) -> Result<bool> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        let done = sqlx::query(
            "INSERT INTO outcome_feedback (case_id, satisfied, answered_at) VALUES ($1, $2, $3) \
             ON CONFLICT (case_id) DO NOTHING",
        )
        .bind(case.0)
        .bind(i64::from(satisfied))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        append_audit(
            &mut tx,
            &AuditEntry::new(now, "reporter", "case.outcome_answered", Some(case))
                .with_detail(serde_json::json!({ "satisfied": satisfied })),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn outcome_answer(&self, case: CaseId) -> Result<Option<bool>> {
        Ok(
            sqlx::query("SELECT satisfied FROM outcome_feedback WHERE case_id = $1")
                .bind(case.0)
                .fetch_optional(&self.read)
                .await?
                .map(|r| r.try_get::<i64, _>("satisfied"))
                .transpose()?
                .map(|v| v == 1),
        )
    }

    async fn request_re_review(
        &self,
        case: CaseId,
        superior: AgencyId,
        clock: &NewClock,
        grounds_sealed: &[u8],
        now: i64,
    ) -> Result<ReReviewAsked> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        // The case first, as a decision and the overdue scan lock it first.
        sqlx::query("UPDATE cases SET updated_at = updated_at WHERE id = $1")
            .bind(case.0)
            .execute(&mut *tx)
            .await?;
        let asked = sqlx::query("SELECT 1 FROM re_review_requests WHERE case_id = $1")
            .bind(case.0)
            .fetch_optional(&mut *tx)
            .await?;
        if asked.is_some() {
            tx.rollback().await?;
            return Ok(ReReviewAsked::AlreadyAsked);
        }
        insert_clocks(&mut tx, case, std::slice::from_ref(clock), now).await?;
        let clock_id: i64 =
            sqlx::query("SELECT MAX(id) AS id FROM case_clocks WHERE case_id = $1 AND clock = $2")
                .bind(case.0)
                .bind(clock.clock.clone())
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
        // The unique key settles a race that got past the check above: the loser rolls back.
        let inserted = sqlx::query(
            "INSERT INTO re_review_requests (case_id, agency_id, clock_id, requested_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO NOTHING",
        )
        .bind(case.0)
        .bind(superior.0)
        .bind(clock_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(ReReviewAsked::AlreadyAsked);
        }
        sqlx::query(
            "INSERT INTO tasks (case_id, kind, agency_id, clock_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(case.0)
        .bind(TASK_RE_REVIEW)
        .bind(superior.0)
        .bind(clock_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO messages (case_id, sender, user_id, created_at, body_sealed) \
             VALUES ($1, $2, NULL, $3, $4)",
        )
        .bind(case.0)
        .bind(crate::Sender::Reporter.code())
        .bind(now)
        .bind(grounds_sealed.to_vec())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(case.0)
            .execute(&mut *tx)
            .await?;
        notify_leads(&mut tx, case, superior, TASK_RE_REVIEW, now).await?;
        append_audit(
            &mut tx,
            &AuditEntry::new(now, "reporter", "case.re_review_requested", Some(case))
                .with_detail(serde_json::json!({ "superior": superior.0, "due_on": clock.due_on })),
        )
        .await?;
        tx.commit().await?;
        Ok(ReReviewAsked::Asked)
    }

    async fn re_review_of(&self, case: CaseId) -> Result<Option<ReReviewRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE r.case_id = $1"
        ))
        .bind(case.0)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(record)
        .transpose()
    }

    async fn re_reviews_for(&self, agency: AgencyId, limit: i64) -> Result<Vec<ReReviewRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE r.agency_id = $1 \
             ORDER BY CASE WHEN r.decided_at IS NULL THEN 0 ELSE 1 END, k.due_on, \
             r.decided_at DESC LIMIT $2"
        ))
        .bind(agency.0)
        .bind(limit)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(record)
        .collect()
    }

    async fn decide_re_review(
        &self,
        case: CaseId,
        decision: ReReviewDecision<'_>,
        clock: &ClockUpdate,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        sqlx::query("UPDATE cases SET updated_at = updated_at WHERE id = $1")
            .bind(case.0)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query(
            "UPDATE re_review_requests SET outcome = $1, document_number = $2, \
             decision_date = $3, decided_at = $4, decided_by = $5 \
             WHERE case_id = $6 AND outcome IS NULL",
        )
        .bind(decision.outcome.to_owned())
        .bind(decision.document_number.to_owned())
        .bind(decision.decision_date.to_owned())
        .bind(audit.at)
        .bind(decision.by.0)
        .bind(case.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        update_clocks(&mut tx, case, std::slice::from_ref(clock)).await?;
        sqlx::query(
            "UPDATE tasks SET done_at = $1 WHERE clock_id = $2 AND kind = $3 AND done_at IS NULL",
        )
        .bind(audit.at)
        .bind(clock.id)
        .bind(TASK_RE_REVIEW)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
