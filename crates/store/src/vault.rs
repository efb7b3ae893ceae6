//! The identity vault's rows: the custodian set, each case's wrapped identity shares, requests
//! to release an identity and the custodians' decisions on them. The store sees only wrapped
//! keys and sealed text; `app::identity` decides and does the cryptography.

use minhbach_domain::{AgencyId, CaseId, UserId};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::records::UserRecord;
use crate::sql::{append_audit, user_columns, user_row, SqlStore};
use crate::write::WriteKind;
use crate::{Result, StoreError};

/// State of a disclosure request.
pub const REQUEST_PENDING: &str = "pending";
pub const REQUEST_NOTICE: &str = "notice";
pub const REQUEST_REFUSED: &str = "refused";
pub const REQUEST_CANCELLED: &str = "cancelled";

#[derive(Clone, Debug)]
pub struct NewDisclosureRequest {
    pub case: CaseId,
    pub requester: UserId,
    pub agency: AgencyId,
    pub legal_basis: String,
    /// The request key wrapped under the case key.
    pub key_case: Vec<u8>,
    /// Justification sealed under the request key.
    pub justification_sealed: Vec<u8>,
    pub threshold: i64,
    /// The request key wrapped to each custodian who holds a share of the case.
    pub custodian_keys: Vec<(UserId, Vec<u8>)>,
    pub now: i64,
}

#[derive(Clone, Debug)]
pub struct DisclosureRequest {
    pub id: i64,
    pub case: CaseId,
    pub requester: UserId,
    pub agency: AgencyId,
    pub legal_basis: String,
    pub key_case: Vec<u8>,
    pub justification_sealed: Vec<u8>,
    pub threshold: i64,
    pub custodian_count: i64,
    pub state: String,
    pub approvals: i64,
    pub refusals: i64,
    pub created_at: i64,
    pub quorum_at: Option<i64>,
    /// ISO date from which the release takes effect (requests in notice).
    pub effective_on: Option<String>,
    /// The custodians recorded that telling the reporter first would endanger the
    /// investigation: effective at once, the reporter told after.
    pub notice_withheld: bool,
}

#[derive(Clone, Debug)]
pub struct DisclosureDecisionRow {
    pub request: i64,
    pub custodian: UserId,
    pub key_wrapped: Vec<u8>,
    /// `approve` or `refuse`; `None` while undecided.
    pub decision: Option<String>,
    pub endangers: bool,
    pub reasons_sealed: Option<Vec<u8>>,
    pub share_for_requester: Option<Vec<u8>>,
    pub decided_at: Option<i64>,
}

/// A custodian's decision, with what the request becomes if it completes the quorum.
#[derive(Clone, Debug)]
pub struct DisclosureDecision {
    pub request: i64,
    pub custodian: UserId,
    pub approve: bool,
    pub endangers: bool,
    pub reasons_sealed: Option<Vec<u8>>,
    /// The custodian's share re-wrapped to the requester (approvals).
    pub share_for_requester: Option<Vec<u8>>,
    pub now: i64,
    /// ISO dates: today, and the end of the reporter's notice period if it starts today.
    pub today: String,
    pub notice_ends_on: String,
}

/// What a request became after a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisclosureOutcome {
    Pending,
    /// The quorum is reached; the release takes effect on the date.
    Notice {
        effective_on: String,
        withheld: bool,
    },
    /// Too many refusals for the quorum ever to be reached.
    Refused,
}

#[async_trait::async_trait]
pub trait VaultStore: Send + Sync {
    /// The active custodians of the set in force, and its threshold.
    async fn custodians(&self) -> Result<(Option<i64>, Vec<UserRecord>)>;
    /// Replaces the custodian set and its threshold.
    async fn set_custodians(
        &self,
        users: &[UserId],
        threshold: i64,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// The k a case's identity key was split with, and the custodians' wrapped shares.
    async fn identity_shares(&self, case: CaseId) -> Result<(Option<i64>, Vec<(UserId, Vec<u8>)>)>;
    /// The identity key of a case wrapped to the recovery key, for cases with an identity.
    async fn identity_recovery_wraps(&self) -> Result<Vec<(CaseId, Vec<u8>, Vec<u8>)>>;
    /// Replaces a case's shares (re-sharing), cancelling its open requests.
    async fn replace_identity_shares(
        &self,
        case: CaseId,
        threshold: i64,
        shares: &[(UserId, Vec<u8>)],
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Replaces the sealed identity of a case (the reporter corrected it; same identity key).
    async fn update_identity(&self, case: CaseId, sealed: &[u8], audit: &AuditEntry) -> Result<()>;
    /// Records a request; `Conflict` if the case already has an open one (pending or notice
    /// not yet in effect is still open: one request at a time).
    async fn create_disclosure_request(
        &self,
        request: &NewDisclosureRequest,
        audit: &AuditEntry,
    ) -> Result<i64>;
    async fn disclosure_request(&self, id: i64) -> Result<Option<DisclosureRequest>>;
    /// The requests of a case, oldest first.
    async fn disclosure_requests(&self, case: CaseId) -> Result<Vec<DisclosureRequest>>;
    async fn disclosure_decisions(&self, request: i64) -> Result<Vec<DisclosureDecisionRow>>;
    /// The requests a custodian was asked about, newest first, with their row.
    async fn custodian_requests(
        &self,
        custodian: UserId,
    ) -> Result<Vec<(DisclosureRequest, DisclosureDecisionRow)>>;
    /// Records a decision once (`Conflict` if this custodian already decided or the request is
    /// no longer pending), counting it toward the quorum in the same transaction.
    async fn decide_disclosure(
        &self,
        decision: &DisclosureDecision,
        audit: &AuditEntry,
    ) -> Result<DisclosureOutcome>;
}

const REQUEST_COLUMNS: &str = "id, case_id, requester_id, agency_id, legal_basis, key_case, \
     justification_sealed, threshold, custodian_count, state, approvals, refusals, created_at, \
     quorum_at, effective_on, notice_withheld";

fn request_row(r: &AnyRow) -> Result<DisclosureRequest> {
    Ok(DisclosureRequest {
        id: r.try_get("id")?,
        case: CaseId(r.try_get("case_id")?),
        requester: UserId(r.try_get("requester_id")?),
        agency: AgencyId(r.try_get("agency_id")?),
        legal_basis: r.try_get("legal_basis")?,
        key_case: r.try_get("key_case")?,
        justification_sealed: r.try_get("justification_sealed")?,
        threshold: r.try_get("threshold")?,
        custodian_count: r.try_get("custodian_count")?,
        state: r.try_get("state")?,
        approvals: r.try_get("approvals")?,
        refusals: r.try_get("refusals")?,
        created_at: r.try_get("created_at")?,
        quorum_at: r.try_get("quorum_at")?,
        effective_on: r.try_get("effective_on")?,
        notice_withheld: r.try_get::<i64, _>("notice_withheld")? != 0,
    })
}

fn decision_row(r: &AnyRow) -> Result<DisclosureDecisionRow> {
    Ok(DisclosureDecisionRow {
        request: r.try_get("request_id")?,
        custodian: UserId(r.try_get("custodian_id")?),
        key_wrapped: r.try_get("key_wrapped")?,
        decision: r.try_get("decision")?,
        endangers: r.try_get::<i64, _>("endangers")? != 0,
        reasons_sealed: r.try_get("reasons_sealed")?,
        share_for_requester: r.try_get("share_for_requester")?,
        decided_at: r.try_get("decided_at")?,
    })
}

#[async_trait::async_trait]
impl VaultStore for SqlStore {
    async fn custodians(&self) -> Result<(Option<i64>, Vec<UserRecord>)> {
        let threshold: Option<i64> =
            sqlx::query("SELECT custodian_threshold FROM organisation WHERE id = 1")
                .fetch_optional(&self.read)
                .await?
                .map(|r| r.try_get("custodian_threshold"))
                .transpose()?
                .flatten();
        let users = sqlx::query(&format!(
            "SELECT {} FROM users u JOIN custodians c ON c.user_id = u.id \
             WHERE u.active = 1 ORDER BY u.id",
            user_columns("u.")
        ))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(user_row)
        .collect::<Result<Vec<_>>>()?;
        Ok((threshold, users))
    }

    async fn set_custodians(
        &self,
        users: &[UserId],
        threshold: i64,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        sqlx::query("DELETE FROM custodians")
            .execute(&mut *tx)
            .await?;
        for u in users {
            sqlx::query("INSERT INTO custodians (user_id, added_at) VALUES ($1, $2)")
                .bind(u.0)
                .bind(audit.at)
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query("UPDATE organisation SET custodian_threshold = $1 WHERE id = 1")
            .bind(threshold)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn identity_shares(&self, case: CaseId) -> Result<(Option<i64>, Vec<(UserId, Vec<u8>)>)> {
        let threshold: Option<i64> =
            sqlx::query("SELECT identity_threshold FROM cases WHERE id = $1")
                .bind(case.0)
                .fetch_optional(&self.read)
                .await?
                .map(|r| r.try_get("identity_threshold"))
                .transpose()?
                .flatten();
        let shares = sqlx::query(
            "SELECT custodian_id, wrapped FROM identity_shares WHERE case_id = $1 \
             ORDER BY custodian_id",
        )
        .bind(case.0)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| Ok((UserId(r.try_get("custodian_id")?), r.try_get("wrapped")?)))
        .collect::<Result<Vec<_>>>()?;
        Ok((threshold, shares))
    }

    async fn identity_recovery_wraps(&self) -> Result<Vec<(CaseId, Vec<u8>, Vec<u8>)>> {
        sqlx::query(
            "SELECT id, receipt_lookup, identity_key_recovery FROM cases \
             WHERE identity_key_recovery IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok((
                CaseId(r.try_get("id")?),
                r.try_get("receipt_lookup")?,
                r.try_get("identity_key_recovery")?,
            ))
        })
        .collect()
    }

    async fn replace_identity_shares(
        &self,
        case: CaseId,
        threshold: i64,
        shares: &[(UserId, Vec<u8>)],
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        sqlx::query("DELETE FROM identity_shares WHERE case_id = $1")
            .bind(case.0)
            .execute(&mut *tx)
            .await?;
        crate::sql::insert_identity_shares(&mut tx, case, shares).await?;
        sqlx::query("UPDATE cases SET identity_threshold = $1 WHERE id = $2")
            .bind(threshold)
            .bind(case.0)
            .execute(&mut *tx)
            .await?;
        // Shares of the old split cannot be combined with the new ones.
        sqlx::query("UPDATE disclosure_requests SET state = $1 WHERE case_id = $2 AND state = $3")
            .bind(REQUEST_CANCELLED)
            .bind(case.0)
            .bind(REQUEST_PENDING)
            .execute(&mut *tx)
            .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_identity(&self, case: CaseId, sealed: &[u8], audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let done = sqlx::query(
            "UPDATE cases SET identity_sealed = $1 WHERE id = $2 AND identity_sealed IS NOT NULL",
        )
        .bind(sealed.to_vec())
        .bind(case.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_disclosure_request(
        &self,
        q: &NewDisclosureRequest,
        audit: &AuditEntry,
    ) -> Result<i64> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let open: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM disclosure_requests WHERE case_id = $1 AND state = $2",
        )
        .bind(q.case.0)
        .bind(REQUEST_PENDING)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if open > 0 {
            return Err(StoreError::Conflict);
        }
        let id: i64 = sqlx::query(
            "INSERT INTO disclosure_requests (case_id, requester_id, agency_id, legal_basis, \
             key_case, justification_sealed, threshold, custodian_count, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(q.case.0)
        .bind(q.requester.0)
        .bind(q.agency.0)
        .bind(q.legal_basis.clone())
        .bind(q.key_case.clone())
        .bind(q.justification_sealed.clone())
        .bind(q.threshold)
        .bind(i64::try_from(q.custodian_keys.len()).unwrap_or(i64::MAX))
        .bind(REQUEST_PENDING)
        .bind(q.now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        for (custodian, wrapped) in &q.custodian_keys {
            sqlx::query(
                "INSERT INTO disclosure_decisions (request_id, custodian_id, key_wrapped) \
                 VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(custodian.0)
            .bind(wrapped.clone())
            .execute(&mut *tx)
            .await?;
        }
        let mut audit = audit.clone();
        audit.detail = serde_json::json!({
            "request": id,
            "legal_basis": q.legal_basis,
            "custodians": q.custodian_keys.iter().map(|(u, _)| u.0).collect::<Vec<_>>(),
        })
        .to_string();
        append_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn disclosure_request(&self, id: i64) -> Result<Option<DisclosureRequest>> {
        sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM disclosure_requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(request_row)
        .transpose()
    }

    async fn disclosure_requests(&self, case: CaseId) -> Result<Vec<DisclosureRequest>> {
        sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM disclosure_requests WHERE case_id = $1 ORDER BY id"
        ))
        .bind(case.0)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(request_row)
        .collect()
    }

    async fn disclosure_decisions(&self, request: i64) -> Result<Vec<DisclosureDecisionRow>> {
        sqlx::query(
            "SELECT request_id, custodian_id, key_wrapped, decision, endangers, reasons_sealed, \
             share_for_requester, decided_at FROM disclosure_decisions WHERE request_id = $1 \
             ORDER BY custodian_id",
        )
        .bind(request)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(decision_row)
        .collect()
    }

    async fn custodian_requests(
        &self,
        custodian: UserId,
    ) -> Result<Vec<(DisclosureRequest, DisclosureDecisionRow)>> {
        let ids: Vec<i64> = sqlx::query(
            "SELECT request_id FROM disclosure_decisions WHERE custodian_id = $1 \
             ORDER BY request_id DESC LIMIT 200",
        )
        .bind(custodian.0)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| r.try_get("request_id"))
        .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for id in ids {
            let Some(request) = self.disclosure_request(id).await? else {
                continue;
            };
            if let Some(row) = self
                .disclosure_decisions(id)
                .await?
                .into_iter()
                .find(|d| d.custodian == custodian)
            {
                out.push((request, row));
            }
        }
        Ok(out)
    }

    async fn decide_disclosure(
        &self,
        d: &DisclosureDecision,
        audit: &AuditEntry,
    ) -> Result<DisclosureOutcome> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let done = sqlx::query(
            "UPDATE disclosure_decisions SET decision = $1, endangers = $2, reasons_sealed = $3, \
             share_for_requester = $4, decided_at = $5 \
             WHERE request_id = $6 AND custodian_id = $7 AND decision IS NULL",
        )
        .bind(if d.approve { "approve" } else { "refuse" })
        .bind(i64::from(d.approve && d.endangers))
        .bind(d.reasons_sealed.clone())
        .bind(d.share_for_requester.clone())
        .bind(d.now)
        .bind(d.request)
        .bind(d.custodian.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        // The counters are updated on the request row, which serialises concurrent decisions:
        // the quorum is reached exactly once.
        let row = sqlx::query(
            "UPDATE disclosure_requests SET approvals = approvals + $1, refusals = refusals + $2, \
             endangers = endangers + $3 WHERE id = $4 AND state = $5 \
             RETURNING approvals, refusals, endangers, threshold, custodian_count",
        )
        .bind(i64::from(d.approve))
        .bind(i64::from(!d.approve))
        .bind(i64::from(d.approve && d.endangers))
        .bind(d.request)
        .bind(REQUEST_PENDING)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::Conflict)?;
        let n = |c: &str| row.try_get::<i64, _>(c);
        let (approvals, refusals, endangers) = (n("approvals")?, n("refusals")?, n("endangers")?);
        let (threshold, count) = (n("threshold")?, n("custodian_count")?);
        let outcome = if approvals >= threshold {
            let withheld = endangers >= threshold;
            let effective_on = if withheld {
                d.today.clone()
            } else {
                d.notice_ends_on.clone()
            };
            sqlx::query(
                "UPDATE disclosure_requests SET state = $1, quorum_at = $2, effective_on = $3, \
                 notice_withheld = $4 WHERE id = $5",
            )
            .bind(REQUEST_NOTICE)
            .bind(d.now)
            .bind(effective_on.clone())
            .bind(i64::from(withheld))
            .bind(d.request)
            .execute(&mut *tx)
            .await?;
            DisclosureOutcome::Notice {
                effective_on,
                withheld,
            }
        } else if count - refusals < threshold {
            sqlx::query("UPDATE disclosure_requests SET state = $1 WHERE id = $2")
                .bind(REQUEST_REFUSED)
                .bind(d.request)
                .execute(&mut *tx)
                .await?;
            DisclosureOutcome::Refused
        } else {
            DisclosureOutcome::Pending
        };
        let mut audit = audit.clone();
        audit.detail = serde_json::json!({
            "request": d.request,
            "decision": if d.approve { "approve" } else { "refuse" },
            "approvals": approvals,
            "refusals": refusals,
            "threshold": threshold,
            "outcome": match &outcome {
                DisclosureOutcome::Pending => "pending",
                DisclosureOutcome::Notice { withheld: false, .. } => "notice",
                DisclosureOutcome::Notice { withheld: true, .. } => "notice_withheld",
                DisclosureOutcome::Refused => "refused",
            },
        })
        .to_string();
        append_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}
