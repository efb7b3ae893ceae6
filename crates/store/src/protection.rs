//! Protection cases, their measures and steps, the risk screen and decoy codes. The store sees
//! sealed text and wrapped keys only; `app::protection` decides.

use minhbach_domain::{AgencyId, CaseId, UserId};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::records::{ClockUpdate, NewClock};
use crate::sql::{append_audit, insert_clocks, update_clocks, SqlStore};
use crate::write::WriteKind;
use crate::{Result, StoreError};

/// In-app notifications (and mails) to send with a protection change: to the users of `role`
/// in `agency`, of `kind`. Never content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub agency: AgencyId,
    pub role: String,
    pub kind: String,
}

async fn send_alerts(
    tx: &mut crate::write::WriteTx,
    case: CaseId,
    alerts: &[Alert],
    now: i64,
) -> Result<()> {
    for a in alerts {
        crate::jobs::notify(
            tx,
            case,
            &a.kind,
            now,
            "agency_id = $4 AND role = $5",
            &[a.agency.0],
            &[a.role.as_str()],
        )
        .await?;
    }
    Ok(())
}

/// The case's clocks and deadline after a protection step.
#[derive(Clone, Debug, Default)]
pub struct CaseClocksChange {
    pub new_clocks: Vec<NewClock>,
    pub clock_updates: Vec<ClockUpdate>,
    pub due_on: Option<String>,
    pub overdue: bool,
}

#[derive(Clone, Debug)]
pub struct NewProtection {
    pub case: CaseId,
    pub agency: AgencyId,
    pub urgent: bool,
    /// reporter | agency | risk_screen | retaliation
    pub opened_by: String,
    /// Codes of the people covered, comma-separated.
    pub persons: String,
    pub key_case: Vec<u8>,
    pub key_recovery: Vec<u8>,
    pub details_sealed: Option<Vec<u8>>,
    pub officer_keys: Vec<(UserId, Vec<u8>)>,
    pub clocks: CaseClocksChange,
    pub alerts: Vec<Alert>,
    pub now: i64,
}

#[derive(Clone, Debug)]
pub struct ProtectionRecord {
    pub id: i64,
    pub case: CaseId,
    pub agency: AgencyId,
    pub state: String,
    pub urgent: bool,
    pub opened_by: String,
    pub persons: String,
    pub key_case: Vec<u8>,
    pub details_sealed: Option<Vec<u8>>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMeasure {
    pub kind: String,
    pub carried_by: String,
    pub starts_on: String,
    pub review_on: String,
    pub ends_on: Option<String>,
}

#[derive(Clone, Debug)]
pub struct MeasureRecord {
    pub kind: String,
    pub carried_by: String,
    pub starts_on: String,
    pub review_on: String,
    pub ends_on: Option<String>,
    pub withdrawn: bool,
}

#[derive(Clone, Debug)]
pub struct ProtectionEvent {
    pub at: i64,
    pub actor: String,
    pub step: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub reasons_sealed: Option<Vec<u8>>,
}

/// A step on a protection case, guarded by the state it was read in.
#[derive(Clone, Debug)]
pub struct ProtectionChange {
    pub protection: i64,
    pub case: CaseId,
    pub actor: String,
    pub step: String,
    pub expected_state: String,
    pub new_state: String,
    pub reasons_sealed: Option<Vec<u8>>,
    /// The measures in force from now on (replacing those in force), when the step sets them.
    pub measures: Option<Vec<NewMeasure>>,
    pub clocks: CaseClocksChange,
    pub alerts: Vec<Alert>,
    pub now: i64,
}

#[async_trait::async_trait]
pub trait ProtectionStore: Send + Sync {
    /// Records a protection case (`Conflict` if the report already has one that is not ended
    /// or rejected).
    async fn create_protection(&self, p: &NewProtection, audit: &AuditEntry) -> Result<i64>;
    async fn protection(&self, id: i64) -> Result<Option<ProtectionRecord>>;
    async fn protections_of_case(&self, case: CaseId) -> Result<Vec<ProtectionRecord>>;
    async fn protections_of_agency(&self, agency: AgencyId) -> Result<Vec<ProtectionRecord>>;
    async fn protection_key_for(&self, id: i64, user: UserId) -> Result<Option<Vec<u8>>>;
    async fn protection_measures(&self, id: i64) -> Result<Vec<MeasureRecord>>;
    async fn protection_events(&self, id: i64) -> Result<Vec<ProtectionEvent>>;
    async fn protection_step(&self, c: &ProtectionChange, audit: &AuditEntry) -> Result<()>;
    async fn set_risk(&self, case: CaseId, level: &str, audit: &AuditEntry) -> Result<()>;
    /// The case's risk level and when a sign of pressure was last seen.
    async fn risk_and_pressure(&self, case: CaseId) -> Result<(Option<String>, Option<i64>)>;
    /// Tells the protection officers, once, of every measure in force whose review date has
    /// come. Returns how many measures.
    async fn remind_protection_reviews(&self, today: &str, now: i64) -> Result<u64>;
    /// Notifies without any other change (a retaliation report about a case whose reporter
    /// has no protection case to reopen).
    async fn alert(&self, case: CaseId, alerts: &[Alert], now: i64) -> Result<()>;
    /// The reporter's answers to the check-ins after closure: (rule id, answer).
    async fn checkins(&self, case: CaseId) -> Result<Vec<(String, bool)>>;
    /// Records an answer once (`Conflict` if this check-in was answered).
    async fn answer_checkin(
        &self,
        case: CaseId,
        rule_id: &str,
        answer: bool,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// References of the agency's cases whose reporter may be under pressure, with when.
    async fn pressured_cases(&self, agency: AgencyId) -> Result<Vec<(String, i64)>>;
    /// A decoy code's case and sealed content.
    async fn decoy(&self, lookup: &[u8]) -> Result<Option<(CaseId, Vec<u8>)>>;
    /// Records that the decoy code was used (the reporter may be under pressure). On purpose
    /// not an audit event: the audit log is read by auditors, and only the protection officer
    /// may learn of it; a reporter's sign-in is not audited either.
    async fn mark_pressure(&self, case: CaseId, now: i64) -> Result<()>;
}

const PROTECTION_COLUMNS: &str = "id, case_id, agency_id, state, urgent, opened_by, persons, \
     key_case, details_sealed, created_at, updated_at";

fn protection_row(r: &AnyRow) -> Result<ProtectionRecord> {
    Ok(ProtectionRecord {
        id: r.try_get("id")?,
        case: CaseId(r.try_get("case_id")?),
        agency: AgencyId(r.try_get("agency_id")?),
        state: r.try_get("state")?,
        urgent: r.try_get::<i64, _>("urgent")? != 0,
        opened_by: r.try_get("opened_by")?,
        persons: r.try_get("persons")?,
        key_case: r.try_get("key_case")?,
        details_sealed: r.try_get("details_sealed")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

async fn apply_case_clocks(
    tx: &mut crate::write::WriteTx,
    case: CaseId,
    c: &CaseClocksChange,
    now: i64,
) -> Result<()> {
    update_clocks(tx, case, &c.clock_updates).await?;
    insert_clocks(tx, case, &c.new_clocks, now).await?;
    sqlx::query("UPDATE cases SET due_on = $1, overdue = $2 WHERE id = $3")
        .bind(c.due_on.clone())
        .bind(i64::from(c.overdue))
        .bind(case.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl ProtectionStore for SqlStore {
    async fn create_protection(&self, p: &NewProtection, audit: &AuditEntry) -> Result<i64> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let open: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM protection_cases WHERE case_id = $1 \
             AND state NOT IN ('ENDED', 'REJECTED')",
        )
        .bind(p.case.0)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if open > 0 {
            return Err(StoreError::Conflict);
        }
        let id: i64 = sqlx::query(
            "INSERT INTO protection_cases (case_id, agency_id, state, urgent, opened_by, persons, \
             key_case, key_recovery, details_sealed, created_at, updated_at) \
             VALUES ($1, $2, 'REQUESTED', $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(p.case.0)
        .bind(p.agency.0)
        .bind(i64::from(p.urgent))
        .bind(p.opened_by.clone())
        .bind(p.persons.clone())
        .bind(p.key_case.clone())
        .bind(p.key_recovery.clone())
        .bind(p.details_sealed.clone())
        .bind(p.now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        for (user, wrapped) in &p.officer_keys {
            sqlx::query(
                "INSERT INTO protection_keys (protection_id, user_id, wrapped) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(user.0)
            .bind(wrapped.clone())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO protection_events (protection_id, at, actor, step, to_state) \
             VALUES ($1, $2, $3, 'requested', 'REQUESTED')",
        )
        .bind(id)
        .bind(p.now)
        .bind(audit.actor.clone())
        .execute(&mut *tx)
        .await?;
        apply_case_clocks(&mut tx, p.case, &p.clocks, p.now).await?;
        send_alerts(&mut tx, p.case, &p.alerts, p.now).await?;
        let mut audit = audit.clone();
        audit.detail = serde_json::json!({
            "protection": id,
            "urgent": p.urgent,
            "opened_by": p.opened_by,
            "persons": p.persons,
        })
        .to_string();
        append_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn protection(&self, id: i64) -> Result<Option<ProtectionRecord>> {
        sqlx::query(&format!(
            "SELECT {PROTECTION_COLUMNS} FROM protection_cases WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(protection_row)
        .transpose()
    }

    async fn protections_of_case(&self, case: CaseId) -> Result<Vec<ProtectionRecord>> {
        sqlx::query(&format!(
            "SELECT {PROTECTION_COLUMNS} FROM protection_cases WHERE case_id = $1 ORDER BY id"
        ))
        .bind(case.0)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(protection_row)
        .collect()
    }

    async fn protections_of_agency(&self, agency: AgencyId) -> Result<Vec<ProtectionRecord>> {
        sqlx::query(&format!(
            "SELECT {PROTECTION_COLUMNS} FROM protection_cases WHERE agency_id = $1 \
             ORDER BY updated_at DESC, id DESC LIMIT 200"
        ))
        .bind(agency.0)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(protection_row)
        .collect()
    }

    async fn protection_key_for(&self, id: i64, user: UserId) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query(
            "SELECT wrapped FROM protection_keys WHERE protection_id = $1 AND user_id = $2",
        )
        .bind(id)
        .bind(user.0)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| r.try_get("wrapped")).transpose()?)
    }

    async fn protection_measures(&self, id: i64) -> Result<Vec<MeasureRecord>> {
        sqlx::query(
            "SELECT kind, carried_by, starts_on, review_on, ends_on, withdrawn_at \
             FROM protection_measures WHERE protection_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(MeasureRecord {
                kind: r.try_get("kind")?,
                carried_by: r.try_get("carried_by")?,
                starts_on: r.try_get("starts_on")?,
                review_on: r.try_get("review_on")?,
                ends_on: r.try_get("ends_on")?,
                withdrawn: r.try_get::<Option<i64>, _>("withdrawn_at")?.is_some(),
            })
        })
        .collect()
    }

    async fn protection_events(&self, id: i64) -> Result<Vec<ProtectionEvent>> {
        sqlx::query(
            "SELECT at, actor, step, from_state, to_state, reasons_sealed \
             FROM protection_events WHERE protection_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(ProtectionEvent {
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                step: r.try_get("step")?,
                from_state: r.try_get("from_state")?,
                to_state: r.try_get("to_state")?,
                reasons_sealed: r.try_get("reasons_sealed")?,
            })
        })
        .collect()
    }

    async fn protection_step(&self, c: &ProtectionChange, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let done = sqlx::query(
            "UPDATE protection_cases SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4",
        )
        .bind(c.new_state.clone())
        .bind(c.now)
        .bind(c.protection)
        .bind(c.expected_state.clone())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        if let Some(measures) = &c.measures {
            sqlx::query(
                "UPDATE protection_measures SET withdrawn_at = $1 \
                 WHERE protection_id = $2 AND withdrawn_at IS NULL",
            )
            .bind(c.now)
            .bind(c.protection)
            .execute(&mut *tx)
            .await?;
            for m in measures {
                sqlx::query(
                    "INSERT INTO protection_measures (protection_id, kind, carried_by, starts_on, \
                     review_on, ends_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(c.protection)
                .bind(m.kind.clone())
                .bind(m.carried_by.clone())
                .bind(m.starts_on.clone())
                .bind(m.review_on.clone())
                .bind(m.ends_on.clone())
                .bind(c.now)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query(
            "INSERT INTO protection_events (protection_id, at, actor, step, from_state, to_state, \
             reasons_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c.protection)
        .bind(c.now)
        .bind(c.actor.clone())
        .bind(c.step.clone())
        .bind(c.expected_state.clone())
        .bind(c.new_state.clone())
        .bind(c.reasons_sealed.clone())
        .execute(&mut *tx)
        .await?;
        apply_case_clocks(&mut tx, c.case, &c.clocks, c.now).await?;
        send_alerts(&mut tx, c.case, &c.alerts, c.now).await?;
        let mut audit = audit.clone();
        audit.detail = serde_json::json!({
            "protection": c.protection,
            "step": c.step,
            "from": c.expected_state,
            "to": c.new_state,
            "measures": c.measures.as_ref().map(|m| m.iter().map(|m| m.kind.clone()).collect::<Vec<_>>()),
        })
        .to_string();
        append_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_risk(&self, case: CaseId, level: &str, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        sqlx::query("UPDATE cases SET risk_level = $1 WHERE id = $2")
            .bind(level.to_owned())
            .bind(case.0)
            .execute(&mut *tx)
            .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn risk_and_pressure(&self, case: CaseId) -> Result<(Option<String>, Option<i64>)> {
        let row = sqlx::query("SELECT risk_level, pressure_at FROM cases WHERE id = $1")
            .bind(case.0)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((row.try_get("risk_level")?, row.try_get("pressure_at")?))
    }

    async fn remind_protection_reviews(&self, today: &str, now: i64) -> Result<u64> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        let due = sqlx::query(
            "UPDATE protection_measures SET review_notified_at = $1 \
             WHERE withdrawn_at IS NULL AND review_notified_at IS NULL AND review_on <= $2 \
             AND protection_id IN (SELECT id FROM protection_cases \
             WHERE state IN ('ACTIVE', 'MODIFIED')) \
             RETURNING protection_id",
        )
        .bind(now)
        .bind(today.to_owned())
        .fetch_all(&mut *tx)
        .await?;
        let mut ids: Vec<i64> = due
            .iter()
            .map(|r| r.try_get("protection_id"))
            .collect::<Result<_, _>>()?;
        ids.sort_unstable();
        ids.dedup();
        for id in &ids {
            let row = sqlx::query("SELECT case_id, agency_id FROM protection_cases WHERE id = $1")
                .bind(*id)
                .fetch_one(&mut *tx)
                .await?;
            let case = CaseId(row.try_get("case_id")?);
            let alert = Alert {
                agency: AgencyId(row.try_get("agency_id")?),
                role: minhbach_domain::Role::ProtectionOfficer.code().to_owned(),
                kind: "protection_review".to_owned(),
            };
            send_alerts(&mut tx, case, &[alert], now).await?;
        }
        if !due.is_empty() {
            let audit = AuditEntry::new(now, "scheduler", "protection.reviews_due", None)
                .with_detail(serde_json::json!({ "measures": due.len(), "protections": ids }));
            append_audit(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(due.len() as u64)
    }

    async fn alert(&self, case: CaseId, alerts: &[Alert], now: i64) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        send_alerts(&mut tx, case, alerts, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn checkins(&self, case: CaseId) -> Result<Vec<(String, bool)>> {
        sqlx::query("SELECT rule_id, answer FROM checkins WHERE case_id = $1 ORDER BY rule_id")
            .bind(case.0)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("rule_id")?, r.try_get::<i64, _>("answer")? != 0)))
            .collect()
    }

    async fn answer_checkin(
        &self,
        case: CaseId,
        rule_id: &str,
        answer: bool,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let done = sqlx::query(
            "INSERT INTO checkins (case_id, rule_id, answer, answered_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (case_id, rule_id) DO NOTHING",
        )
        .bind(case.0)
        .bind(rule_id.to_owned())
        .bind(i64::from(answer))
        .bind(audit.at)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn pressured_cases(&self, agency: AgencyId) -> Result<Vec<(String, i64)>> {
        sqlx::query(
            "SELECT reference, pressure_at FROM cases WHERE agency_id = $1 \
             AND pressure_at IS NOT NULL ORDER BY pressure_at DESC LIMIT 200",
        )
        .bind(agency.0)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("reference")?, r.try_get("pressure_at")?)))
        .collect()
    }

    async fn decoy(&self, lookup: &[u8]) -> Result<Option<(CaseId, Vec<u8>)>> {
        let row =
            sqlx::query("SELECT case_id, content_sealed FROM decoys WHERE receipt_lookup = $1")
                .bind(lookup.to_vec())
                .fetch_optional(&self.read)
                .await?;
        row.map(|r| Ok((CaseId(r.try_get("case_id")?), r.try_get("content_sealed")?)))
            .transpose()
    }

    async fn mark_pressure(&self, case: CaseId, now: i64) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        sqlx::query("UPDATE cases SET pressure_at = $1 WHERE id = $2")
            .bind(now)
            .bind(case.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
