//! Retention: finished cases whose content may be destroyed, the destruction itself, and legal
//! holds. `app::retention` decides which class applies and when; this module only reads and
//! writes.

use minhbach_domain::CaseId;
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::sql::{append_audit, SqlStore};
use crate::write::WriteKind;
use crate::Result;

/// Which finished cases to look for: those of a retention class.
#[derive(Clone, Debug, Default)]
pub struct FinishedQuery {
    /// Final state codes.
    pub states: Vec<String>,
    /// Only these tracks (empty: any track, and none).
    pub tracks: Vec<String>,
    /// Not these tracks (another class names them).
    pub exclude_tracks: Vec<String>,
    /// Finished at or after (unix seconds).
    pub from: i64,
    /// Finished before (unix seconds).
    pub before: i64,
    pub limit: i64,
}

/// A finished case that still holds its content and is not held.
#[derive(Clone, Debug)]
pub struct FinishedCase {
    pub id: CaseId,
    pub reference: String,
    pub state: String,
    pub track: Option<String>,
    /// When it reached its final state (its last state change).
    pub finished_at: i64,
}

#[async_trait::async_trait]
pub trait RetentionStore: Send + Sync {
    /// Finished cases of a query that still hold their content, are not under legal hold, and
    /// have no protection case or identity request still open; oldest first.
    async fn finished_cases(&self, q: &FinishedQuery) -> Result<Vec<FinishedCase>>;
    /// Destroys a case's content: every wrap of its key (staff, receipt, recovery), its
    /// identity and shares, and every sealed blob (report, messages, reasons, files, decoy,
    /// protection and disclosure texts). Returns false, writing nothing, if the case was
    /// purged already or is under legal hold.
    async fn purge_case(&self, case: CaseId, now: i64, audit: &AuditEntry) -> Result<bool>;
    /// Places (`Some(by)`) or lifts (`None`) a legal hold. Returns false if nothing changed.
    async fn set_legal_hold(
        &self,
        case: CaseId,
        by: Option<&str>,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<bool>;
}

/// Statements that destroy one case's content: the case id is `$1`, and an empty blob `$2`
/// where a column may not be NULL.
const PURGE: &[&str] = &[
    "DELETE FROM case_keys WHERE case_id = $1",
    // A reporter's open session holds the case key sealed under its token.
    "DELETE FROM sessions WHERE case_id = $1",
    "DELETE FROM identity_shares WHERE case_id = $1",
    "DELETE FROM decoys WHERE case_id = $1",
    "UPDATE messages SET body_sealed = $2 WHERE case_id = $1",
    "UPDATE case_events SET reasons_sealed = NULL WHERE case_id = $1",
    "DELETE FROM attachment_chunks WHERE attachment_id IN \
     (SELECT id FROM attachments WHERE case_id = $1)",
    "DELETE FROM attachments WHERE case_id = $1",
    "UPDATE disclosure_decisions SET key_wrapped = $2, reasons_sealed = NULL, \
     share_for_requester = NULL WHERE request_id IN \
     (SELECT id FROM disclosure_requests WHERE case_id = $1)",
    "UPDATE disclosure_requests SET key_case = $2, justification_sealed = $2 WHERE case_id = $1",
    "DELETE FROM protection_keys WHERE protection_id IN \
     (SELECT id FROM protection_cases WHERE case_id = $1)",
    "UPDATE protection_events SET reasons_sealed = NULL WHERE protection_id IN \
     (SELECT id FROM protection_cases WHERE case_id = $1)",
    "UPDATE protection_cases SET key_case = $2, key_recovery = $2, details_sealed = NULL \
     WHERE case_id = $1",
];

#[async_trait::async_trait]
impl RetentionStore for SqlStore {
    async fn finished_cases(&self, q: &FinishedQuery) -> Result<Vec<FinishedCase>> {
        if q.states.is_empty() {
            return Ok(Vec::new());
        }
        // $1 from, $2 before, $3 limit, then the states, tracks and excluded tracks.
        let mut next = 4;
        let mut list = |n: usize| {
            let l = (next..next + n)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            next += n;
            l
        };
        let states = list(q.states.len());
        let tracks = if q.tracks.is_empty() {
            String::new()
        } else {
            format!("AND c.track IN ({})", list(q.tracks.len()))
        };
        let exclude = if q.exclude_tracks.is_empty() {
            String::new()
        } else {
            format!(
                "AND (c.track IS NULL OR c.track NOT IN ({}))",
                list(q.exclude_tracks.len())
            )
        };
        let sql = format!(
            "SELECT c.id, c.reference, c.state, c.track, MAX(e.at) AS finished_at \
             FROM cases c JOIN case_events e ON e.case_id = c.id \
             WHERE c.state IN ({states}) {tracks} {exclude} \
             AND c.purged_at IS NULL AND c.legal_hold_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM protection_cases p WHERE p.case_id = c.id \
                 AND p.state NOT IN ('ENDED', 'REJECTED')) \
             AND NOT EXISTS (SELECT 1 FROM disclosure_requests d WHERE d.case_id = c.id \
                 AND d.state IN ('{pending}', '{notice}')) \
             GROUP BY c.id, c.reference, c.state, c.track \
             HAVING MAX(e.at) >= $1 AND MAX(e.at) < $2 ORDER BY finished_at, c.id LIMIT $3",
            pending = crate::vault::REQUEST_PENDING,
            notice = crate::vault::REQUEST_NOTICE,
        );
        let mut query = sqlx::query(&sql).bind(q.from).bind(q.before).bind(q.limit);
        for v in q.states.iter().chain(&q.tracks).chain(&q.exclude_tracks) {
            query = query.bind(v.clone());
        }
        query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(FinishedCase {
                    id: CaseId(r.try_get("id")?),
                    reference: r.try_get("reference")?,
                    state: r.try_get("state")?,
                    track: r.try_get("track")?,
                    finished_at: r.try_get("finished_at")?,
                })
            })
            .collect()
    }

    async fn purge_case(&self, case: CaseId, now: i64, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        let done = sqlx::query(
            "UPDATE cases SET content_sealed = $1, case_key_reporter = $1, \
             case_key_recovery = $1, identity_sealed = NULL, identity_key_reporter = NULL, \
             identity_key_recovery = NULL, purged_at = $2 \
             WHERE id = $3 AND purged_at IS NULL AND legal_hold_at IS NULL",
        )
        .bind(Vec::<u8>::new())
        .bind(now)
        .bind(case.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        for statement in PURGE {
            let q = sqlx::query(statement).bind(case.0);
            let q = if statement.contains("$2") {
                q.bind(Vec::<u8>::new())
            } else {
                q
            };
            q.execute(&mut *tx).await?;
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_legal_hold(
        &self,
        case: CaseId,
        by: Option<&str>,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let changed = match by {
            Some(by) => sqlx::query(
                "UPDATE cases SET legal_hold_at = $1, legal_hold_by = $2 \
                 WHERE id = $3 AND legal_hold_at IS NULL AND purged_at IS NULL",
            )
            .bind(now)
            .bind(by.to_owned())
            .bind(case.0),
            None => sqlx::query(
                "UPDATE cases SET legal_hold_at = NULL, legal_hold_by = NULL \
                 WHERE id = $1 AND legal_hold_at IS NOT NULL",
            )
            .bind(case.0),
        }
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
