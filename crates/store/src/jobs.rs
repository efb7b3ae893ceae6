//! Background work kept in the database: jobs with leases, the deadline scans and the
//! notification queue (in-app list and mail).
//!
//! Every scan is written so that two nodes running it at the same moment do each piece of work
//! once. The pattern: pick candidates without locks, then, per candidate, one transaction whose
//! first write is a conditional UPDATE that re-checks the candidate's condition. Only the
//! transaction for which it changed one row goes on; the others roll back having written nothing.
//! - PostgreSQL (READ COMMITTED): the second UPDATE waits for the first one's row lock, then
//!   re-evaluates its WHERE on the committed row, finds the condition gone and changes nothing.
//! - SQLite: one writer at a time (one write connection per store, and the file lock between
//!   stores); a transaction that starts with a write waits (busy_timeout) and then sees the
//!   committed row.
//!
//! Notifications and mails carry no content: a kind, a case reference and an agency.

use minhbach_domain::{AgencyId, CaseId, CaseState, Role, UserId};
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::sql::{append_audit_many, SqlStore};
use crate::write::{WriteKind, WriteTx};
use crate::Result;

/// Notification kinds (the `notifications.kind` column).
pub const NOTIFY_OVERDUE: &str = "overdue";
pub const NOTIFY_SUPERIOR_FOLLOWUP: &str = "superior_followup";
pub const NOTIFY_DUE_SOON: &str = "due_soon";
pub const NOTIFY_SUSPENSION_REVIEW: &str = "suspension_review";

/// Task kinds (the `tasks.kind` column).
pub const TASK_SUPERIOR_FOLLOWUP: &str = "superior_followup";
pub const TASK_SUSPENSION_REVIEW: &str = "suspension_review";

/// `notifications.mail_sent_at` of a notification that is never to be mailed: the user has no
/// address or is inactive, or the kind has no mail. Kept apart from NULL (to send) so the mail
/// queue does not retry it forever, and from a real time so nobody reads it as sent.
pub const MAIL_SKIPPED: i64 = -1;

/// A claimed job. The lease is ours until `lease_until`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub run_at: i64,
    pub payload: String,
    /// Including this one.
    pub attempts: i64,
    pub lease_until: i64,
}

/// What one overdue scan did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OverdueReport {
    /// Clocks newly marked breached (each with one `deadline.breached` audit event).
    pub breached: u64,
    /// Superior follow-up tasks opened (Law on Denunciation Art. 38).
    pub followup_tasks: u64,
    /// Notifications created, all kinds.
    pub notifications: u64,
}

/// What one due-soon or suspension-review run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReminderReport {
    /// Clocks reminded, or suspended cases reviewed.
    pub items: u64,
    pub notifications: u64,
}

/// A notification to mail, claimed until the lease given to [`JobStore::pending_mails`] ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailToSend {
    pub notification_id: i64,
    pub email: String,
    pub kind: String,
    /// `None` for a notification not tied to a case.
    pub case_reference: Option<String>,
    /// The case's current agency.
    pub agency_name_vi: Option<String>,
}

/// An entry of a staff member's in-app list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub case_reference: Option<String>,
    pub kind: String,
    pub created_at: i64,
    pub read: bool,
}

/// The scheduler's side of the store. Times are unix seconds, dates ISO `YYYY-MM-DD` in
/// Vietnam time (the caller computes them from its clock).
#[async_trait::async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Inserts a pending job of `kind` unless one is pending already. True if inserted.
    async fn ensure_periodic(&self, kind: &str, first_run_at: i64) -> Result<bool>;
    /// Takes one due job (run_at ≤ now, not done, lease free or expired) for `lease_secs`.
    async fn claim_job(&self, owner: &str, now: i64, lease_secs: i64) -> Result<Option<Job>>;
    /// Marks the job done if `owner` still holds its lease (false, and nothing written, if
    /// another node took it over), and schedules the next run of a periodic job.
    async fn finish_job(
        &self,
        job_id: i64,
        owner: &str,
        now: i64,
        next_run_at: Option<i64>,
    ) -> Result<bool>;
    /// Releases the lease, records the error and retries at `retry_at`, if `owner` holds it.
    async fn fail_job(&self, job_id: i64, owner: &str, error: &str, retry_at: i64) -> Result<bool>;

    /// Marks every open clock due before `today` breached, once.
    async fn scan_overdue(&self, today: &str, now: i64) -> Result<OverdueReport>;
    /// Reminds, once per clock, of open clocks due from `today` to `window_end` inclusive.
    async fn remind_due_soon(
        &self,
        today: &str,
        window_end: &str,
        now: i64,
    ) -> Result<ReminderReport>;
    /// Asks the agency leads to review suspended cases without an event for `every_days`,
    /// at most once per `every_days` per case.
    async fn review_suspended(&self, now: i64, every_days: i64) -> Result<ReminderReport>;

    /// Claims up to `limit` notifications to mail until `now + lease_secs`. Notifications of
    /// users without an address (or inactive) are marked [`MAIL_SKIPPED`] first.
    async fn pending_mails(&self, now: i64, lease_secs: i64, limit: i64)
        -> Result<Vec<MailToSend>>;
    async fn mail_sent(&self, notification_id: i64, now: i64) -> Result<()>;
    /// The mail will never be sent (no mail for this kind, or a permanently refused address).
    async fn mail_skipped(&self, notification_id: i64) -> Result<()>;

    /// The newest notifications of `user`, unread first.
    async fn notifications_for(&self, user: UserId, limit: i64) -> Result<Vec<Notification>>;
    /// False if the notification is not the user's or was read already.
    async fn mark_read(&self, user: UserId, notification_id: i64, now: i64) -> Result<bool>;
    /// The reporter asks the superior body to act on a missed deadline of their case: records
    /// the request for the earliest open clock whose due date has passed (`today`, ISO), and
    /// opens the superior's follow-up task for that clock unless the overdue scan already did.
    /// Exactly once per clock, whoever comes first and however often it is asked.
    async fn escalate_by_reporter(&self, case: CaseId, today: &str, now: i64)
        -> Result<Escalation>;
    /// Whether the reporter may ask: an open clock is past its due date and not yet asked for.
    async fn escalation_state(&self, case: CaseId, today: &str) -> Result<EscalationState>;
}

const DAY_SECS: i64 = 86_400;

/// Clocks breached per transaction by the overdue scan: a backlog after a day without the
/// scheduler commits in a few large transactions rather than one per clock.
const SCAN_BATCH: usize = 200;

/// Creates `kind` notifications for the active users chosen by `who` (a condition on `users`
/// whose parameters start at `$4`). Returns how many.
pub(crate) async fn notify(
    tx: &mut WriteTx,
    case: CaseId,
    kind: &str,
    now: i64,
    who: &str,
    binds: &[i64],
    roles: &[&str],
) -> Result<u64> {
    let sql = format!(
        "INSERT INTO notifications (user_id, case_id, kind, created_at) \
         SELECT id, $1, $2, $3 FROM users WHERE active = 1 AND ({who})"
    );
    let mut q = sqlx::query(&sql).bind(case.0).bind(kind).bind(now);
    for b in binds {
        q = q.bind(*b);
    }
    for r in roles {
        q = q.bind(*r);
    }
    Ok(q.execute(&mut **tx).await?.rows_affected())
}

/// Notifies the leads of `agency`.
pub(crate) async fn notify_leads(
    tx: &mut WriteTx,
    case: CaseId,
    agency: AgencyId,
    kind: &str,
    now: i64,
) -> Result<u64> {
    notify(
        tx,
        case,
        kind,
        now,
        "agency_id = $4 AND role = $5",
        &[agency.0],
        &[Role::AgencyLead.code()],
    )
    .await
}

/// What the reporter's request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escalation {
    /// Recorded now; `task_opened` is false when the overdue scan had opened it already.
    Asked { task_opened: bool },
    /// Asked before for this deadline: nothing more is done.
    AlreadyAsked,
    /// No deadline of the case has passed: there is nothing to ask yet.
    NotOverdue,
}

/// What the status page offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EscalationState {
    NotOverdue,
    MayAsk,
    Asked,
}

impl SqlStore {
    /// Breaches a batch of clocks in one transaction: set-based statements instead of a
    /// dozen per clock. Exactly once: only the clocks this transaction moves from
    /// `breached_at IS NULL` are reported, notified, tasked and audited.
    async fn breach_batch(&self, ids: &[i64], today: &str, now: i64) -> Result<OverdueReport> {
        let mut report = OverdueReport::default();
        let list = |first: usize, n: usize| {
            (first..first + n)
                .map(|k| format!("${k}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        // The cases first, as a decision locks them (cases, then clocks, then the audit head),
        // so that a scan and a decision on the same case queue instead of deadlocking.
        let sql = format!(
            "UPDATE cases SET overdue = 1 WHERE id IN (SELECT case_id FROM case_clocks \
             WHERE id IN ({}) AND breached_at IS NULL AND completed_on IS NULL \
             AND due_on IS NOT NULL AND due_on < $1)",
            list(2, ids.len())
        );
        let mut q = sqlx::query(&sql).bind(today);
        for id in ids {
            q = q.bind(*id);
        }
        q.execute(&mut *tx).await?;
        let sql = format!(
            "UPDATE case_clocks SET breached_at = $1 WHERE id IN ({}) AND breached_at IS NULL \
             AND completed_on IS NULL AND due_on IS NOT NULL AND due_on < $2 \
             RETURNING id, case_id, clock, rule_id, due_on",
            list(3, ids.len())
        );
        let mut q = sqlx::query(&sql).bind(now).bind(today);
        for id in ids {
            q = q.bind(*id);
        }
        let won = q.fetch_all(&mut *tx).await?;
        if won.is_empty() {
            tx.rollback().await?;
            return Ok(report);
        }
        let mut won_ids = Vec::with_capacity(won.len());
        let mut entries = Vec::with_capacity(won.len());
        for r in &won {
            won_ids.push(r.try_get::<i64, _>("id")?);
            let name: String = r.try_get("clock")?;
            let rule_id: String = r.try_get("rule_id")?;
            let due_on: String = r.try_get("due_on")?;
            let case = CaseId(r.try_get("case_id")?);
            entries.push(
                AuditEntry::new(now, "system", "deadline.breached", Some(case)).with_detail(
                    serde_json::json!({ "clock": name, "rule_id": rule_id, "due_on": due_on }),
                ),
            );
        }
        report.breached = won_ids.len() as u64;

        // The agency lead and every overseer are alerted (LEGAL.md, "When a deadline passes").
        let sql = format!(
            "INSERT INTO notifications (user_id, case_id, kind, created_at) \
             SELECT u.id, c.case_id, $1, $2 FROM case_clocks c JOIN users u ON u.active = 1 \
             AND ((u.role = $3 AND u.agency_id = c.agency_id) OR u.role = $4) \
             WHERE c.id IN ({})",
            list(5, won_ids.len())
        );
        let mut q = sqlx::query(&sql)
            .bind(NOTIFY_OVERDUE)
            .bind(now)
            .bind(Role::AgencyLead.code())
            .bind(Role::Overseer.code());
        for id in &won_ids {
            q = q.bind(*id);
        }
        report.notifications += q.execute(&mut *tx).await?.rows_affected();

        // Law on Denunciation Art. 38: a missed resolution deadline opens the superior body's
        // follow-up (it demands a report within 5 WD). Without a recorded superior, the
        // organisation's default intake agency (the inspectorate) follows up.
        let sql = format!(
            "INSERT INTO tasks (case_id, kind, agency_id, clock_id, created_at) \
             SELECT c.case_id, $1, COALESCE(a.superior_id, o.default_agency_id), c.id, $2 \
             FROM case_clocks c JOIN agencies a ON a.id = c.agency_id \
             LEFT JOIN organisation o ON o.id = 1 \
             WHERE c.clock = $3 AND COALESCE(a.superior_id, o.default_agency_id) IS NOT NULL \
             AND c.id IN ({}) \
             ON CONFLICT (clock_id, kind) DO NOTHING RETURNING case_id, agency_id",
            list(4, won_ids.len())
        );
        let mut q = sqlx::query(&sql)
            .bind(TASK_SUPERIOR_FOLLOWUP)
            .bind(now)
            .bind("resolution");
        for id in &won_ids {
            q = q.bind(*id);
        }
        let opened = q.fetch_all(&mut *tx).await?;
        report.followup_tasks = opened.len() as u64;
        for t in &opened {
            let case = CaseId(t.try_get("case_id")?);
            let superior = AgencyId(t.try_get("agency_id")?);
            report.notifications +=
                notify_leads(&mut tx, case, superior, NOTIFY_SUPERIOR_FOLLOWUP, now).await?;
        }
        append_audit_many(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn remind_clock(&self, clock_id: i64, today: &str, now: i64) -> Result<u64> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        // Once per clock: reminded_at moves from NULL in one transaction only.
        let Some(clock) = sqlx::query(
            "UPDATE case_clocks SET reminded_at = $1 \
             WHERE id = $2 AND reminded_at IS NULL AND completed_on IS NULL \
             AND breached_at IS NULL AND due_on IS NOT NULL AND due_on >= $3 \
             RETURNING case_id, agency_id",
        )
        .bind(now)
        .bind(clock_id)
        .bind(today)
        .fetch_optional(&mut *tx)
        .await?
        else {
            tx.rollback().await?;
            return Ok(0);
        };
        let case = CaseId(clock.try_get("case_id")?);
        let agency: i64 = clock.try_get("agency_id")?;
        // The receiving staff of the clock's agency and the assigned handler, each once.
        let n = notify(
            &mut tx,
            case,
            NOTIFY_DUE_SOON,
            now,
            "(agency_id = $4 AND role IN ($5, $6)) \
             OR id = (SELECT assignee_id FROM cases WHERE id = $1)",
            &[agency],
            &[Role::IntakeOfficer.code(), Role::AgencyLead.code()],
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn review_case(&self, case: CaseId, cutoff: i64, now: i64) -> Result<Option<u64>> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        // A no-op write that locks the case (PostgreSQL) or takes the writer (SQLite), so two
        // nodes cannot both find "no recent review" and both open one.
        let Some(row) = sqlx::query(
            "UPDATE cases SET overdue = overdue WHERE id = $1 AND state = $2 RETURNING agency_id",
        )
        .bind(case.0)
        .bind(CaseState::Suspended.code())
        .fetch_optional(&mut *tx)
        .await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        let agency = AgencyId(row.try_get("agency_id")?);
        let due: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM cases c WHERE c.id = $1 AND {SUSPENSION_DUE}"
        ))
        .bind(case.0)
        .bind(cutoff)
        .bind(TASK_SUSPENSION_REVIEW)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if due == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO tasks (case_id, kind, agency_id, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(case.0)
        .bind(TASK_SUSPENSION_REVIEW)
        .bind(agency.0)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let n = notify_leads(&mut tx, case, agency, NOTIFY_SUSPENSION_REVIEW, now).await?;
        tx.commit().await?;
        Ok(Some(n))
    }
}

/// A suspended case (`c`) needs a review when nothing happened on it since `$2` and no review
/// was opened since `$2` ($3 = the task kind): so the first review comes `every_days` after the
/// suspension (or the last event), and the next ones every `every_days` while nothing moves.
const SUSPENSION_DUE: &str =
    "COALESCE((SELECT MAX(e.at) FROM case_events e WHERE e.case_id = c.id), \
     c.updated_at) <= $2 \
     AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.case_id = c.id AND t.kind = $3 \
     AND t.created_at > $2)";

#[async_trait::async_trait]
impl JobStore for SqlStore {
    async fn escalate_by_reporter(
        &self,
        case: CaseId,
        today: &str,
        now: i64,
    ) -> Result<Escalation> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        // The case first, as a decision and the overdue scan lock it first.
        sqlx::query("UPDATE cases SET updated_at = updated_at WHERE id = $1")
            .bind(case.0)
            .execute(&mut *tx)
            .await?;
        let clock = sqlx::query(
            "SELECT id, clock, agency_id FROM case_clocks WHERE case_id = $1 \
             AND completed_on IS NULL AND due_on IS NOT NULL AND due_on < $2 \
             ORDER BY due_on, id LIMIT 1",
        )
        .bind(case.0)
        .bind(today.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(clock) = clock else {
            tx.rollback().await?;
            return Ok(Escalation::NotOverdue);
        };
        let clock_id: i64 = clock.try_get("id")?;
        let name: String = clock.try_get("clock")?;
        let asked = sqlx::query(
            "INSERT INTO escalation_requests (case_id, clock_id, requested_at) \
             VALUES ($1, $2, $3) ON CONFLICT (clock_id) DO NOTHING",
        )
        .bind(case.0)
        .bind(clock_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if asked == 0 {
            tx.rollback().await?;
            return Ok(Escalation::AlreadyAsked);
        }
        let opened = sqlx::query(
            "INSERT INTO tasks (case_id, kind, agency_id, clock_id, created_at) \
             SELECT c.case_id, $1, COALESCE(a.superior_id, o.default_agency_id), c.id, $2 \
             FROM case_clocks c JOIN agencies a ON a.id = c.agency_id \
             LEFT JOIN organisation o ON o.id = 1 \
             WHERE c.id = $3 AND COALESCE(a.superior_id, o.default_agency_id) IS NOT NULL \
             ON CONFLICT (clock_id, kind) DO NOTHING RETURNING agency_id",
        )
        .bind(TASK_SUPERIOR_FOLLOWUP)
        .bind(now)
        .bind(clock_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(t) = &opened {
            let superior = AgencyId(t.try_get("agency_id")?);
            notify_leads(&mut tx, case, superior, NOTIFY_SUPERIOR_FOLLOWUP, now).await?;
        }
        crate::sql::append_audit(
            &mut tx,
            &AuditEntry::new(now, "reporter", "case.escalated_by_reporter", Some(case))
                .with_detail(serde_json::json!({ "clock": name, "task_opened": opened.is_some() })),
        )
        .await?;
        tx.commit().await?;
        Ok(Escalation::Asked {
            task_opened: opened.is_some(),
        })
    }

    async fn escalation_state(&self, case: CaseId, today: &str) -> Result<EscalationState> {
        let row = sqlx::query(
            "SELECT c.id, (SELECT COUNT(*) FROM escalation_requests e WHERE e.clock_id = c.id) \
             AS asked FROM case_clocks c WHERE c.case_id = $1 AND c.completed_on IS NULL \
             AND c.due_on IS NOT NULL AND c.due_on < $2 ORDER BY c.due_on, c.id LIMIT 1",
        )
        .bind(case.0)
        .bind(today.to_owned())
        .fetch_optional(&self.read)
        .await?;
        Ok(match row {
            None => EscalationState::NotOverdue,
            Some(r) if r.try_get::<i64, _>("asked")? > 0 => EscalationState::Asked,
            Some(_) => EscalationState::MayAsk,
        })
    }

    async fn ensure_periodic(&self, kind: &str, first_run_at: i64) -> Result<bool> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        // The partial unique index jobs_one_pending_per_kind allows one pending job per kind;
        // both engines accept it as the conflict target.
        let done = sqlx::query(
            "INSERT INTO jobs (kind, run_at) VALUES ($1, $2) \
             ON CONFLICT (kind) WHERE done_at IS NULL DO NOTHING",
        )
        .bind(kind)
        .bind(first_run_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_job(&self, owner: &str, now: i64, lease_secs: i64) -> Result<Option<Job>> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        // The outer WHERE repeats the lease condition: on PostgreSQL a concurrent claimer that
        // waited for the row lock re-checks it on the committed row and gets nothing.
        let row = sqlx::query(
            "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $3 \
                 AND (lease_until IS NULL OR lease_until < $3) ORDER BY run_at, id LIMIT 1) \
             AND done_at IS NULL AND (lease_until IS NULL OR lease_until < $3) \
             RETURNING id, kind, run_at, payload, attempts, lease_until",
        )
        .bind(owner)
        .bind(now.saturating_add(lease_secs))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.map(|r| {
            Ok(Job {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                run_at: r.try_get("run_at")?,
                payload: r.try_get("payload")?,
                attempts: r.try_get("attempts")?,
                lease_until: r.try_get("lease_until")?,
            })
        })
        .transpose()
    }

    async fn finish_job(
        &self,
        job_id: i64,
        owner: &str,
        now: i64,
        next_run_at: Option<i64>,
    ) -> Result<bool> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        let done = sqlx::query(
            "UPDATE jobs SET done_at = $1, lease_until = NULL, last_error = NULL \
             WHERE id = $2 AND lease_owner = $3 AND done_at IS NULL",
        )
        .bind(now)
        .bind(job_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(next) = next_run_at {
            sqlx::query(
                "INSERT INTO jobs (kind, run_at, payload) \
                 SELECT kind, $1, payload FROM jobs WHERE id = $2 \
                 ON CONFLICT (kind) WHERE done_at IS NULL DO NOTHING",
            )
            .bind(next)
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn fail_job(&self, job_id: i64, owner: &str, error: &str, retry_at: i64) -> Result<bool> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        let error: String = error.chars().take(1000).collect();
        let done = sqlx::query(
            "UPDATE jobs SET last_error = $1, run_at = $2, lease_owner = NULL, lease_until = NULL \
             WHERE id = $3 AND lease_owner = $4 AND done_at IS NULL",
        )
        .bind(error)
        .bind(retry_at)
        .bind(job_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn scan_overdue(&self, today: &str, now: i64) -> Result<OverdueReport> {
        let ids = sqlx::query(
            "SELECT id FROM case_clocks WHERE completed_on IS NULL AND due_on IS NOT NULL \
             AND due_on < $1 AND breached_at IS NULL ORDER BY id",
        )
        .bind(today)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("id"))
        .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut report = OverdueReport::default();
        // Batches per durable transaction: a backlog costs one commit per batch.
        for batch in ids.chunks(SCAN_BATCH) {
            let one = self.breach_batch(batch, today, now).await?;
            report.breached += one.breached;
            report.followup_tasks += one.followup_tasks;
            report.notifications += one.notifications;
        }
        Ok(report)
    }

    async fn remind_due_soon(
        &self,
        today: &str,
        window_end: &str,
        now: i64,
    ) -> Result<ReminderReport> {
        let ids = sqlx::query(
            "SELECT id FROM case_clocks WHERE completed_on IS NULL AND due_on IS NOT NULL \
             AND due_on >= $1 AND due_on <= $2 AND reminded_at IS NULL AND breached_at IS NULL \
             ORDER BY id",
        )
        .bind(today)
        .bind(window_end)
        .fetch_all(&self.read)
        .await?;
        let mut report = ReminderReport::default();
        for r in ids {
            let clock: i64 = r.try_get("id")?;
            let n = self.remind_clock(clock, today, now).await?;
            // A clock reminded by another node meanwhile adds nothing here.
            if n > 0 {
                report.items += 1;
                report.notifications += n;
            }
        }
        Ok(report)
    }

    async fn review_suspended(&self, now: i64, every_days: i64) -> Result<ReminderReport> {
        let cutoff = now.saturating_sub(every_days.saturating_mul(DAY_SECS));
        let rows = sqlx::query(&format!(
            "SELECT c.id FROM cases c WHERE c.state = $1 AND {SUSPENSION_DUE} ORDER BY c.id"
        ))
        .bind(CaseState::Suspended.code())
        .bind(cutoff)
        .bind(TASK_SUSPENSION_REVIEW)
        .fetch_all(&self.read)
        .await?;
        let mut report = ReminderReport::default();
        for r in rows {
            let case = CaseId(r.try_get("id")?);
            if let Some(n) = self.review_case(case, cutoff, now).await? {
                report.items += 1;
                report.notifications += n;
            }
        }
        Ok(report)
    }

    async fn pending_mails(
        &self,
        now: i64,
        lease_secs: i64,
        limit: i64,
    ) -> Result<Vec<MailToSend>> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        sqlx::query(
            "UPDATE notifications SET mail_sent_at = $1 WHERE mail_sent_at IS NULL \
             AND user_id IN (SELECT id FROM users WHERE email IS NULL OR email = '' \
                 OR active = 0)",
        )
        .bind(MAIL_SKIPPED)
        .execute(&mut *tx)
        .await?;
        // As for jobs: the outer WHERE repeats the lease condition, so rows another node claimed
        // meanwhile are skipped on PostgreSQL after its commit.
        let claimed = sqlx::query(
            "UPDATE notifications SET mail_lease_until = $1 \
             WHERE id IN (SELECT id FROM notifications WHERE mail_sent_at IS NULL \
                 AND (mail_lease_until IS NULL OR mail_lease_until < $2) ORDER BY id LIMIT $3) \
             AND mail_sent_at IS NULL AND (mail_lease_until IS NULL OR mail_lease_until < $2) \
             RETURNING id",
        )
        .bind(now.saturating_add(lease_secs))
        .bind(now)
        .bind(limit.max(0))
        .fetch_all(&mut *tx)
        .await?;
        let mut ids = claimed
            .iter()
            .map(|r| r.try_get::<i64, _>("id"))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        ids.sort_unstable();
        let mut mails = Vec::with_capacity(ids.len());
        for id in ids {
            let r = sqlx::query(
                "SELECT n.id, n.kind, u.email, c.reference, a.name_vi FROM notifications n \
                 JOIN users u ON u.id = n.user_id \
                 LEFT JOIN cases c ON c.id = n.case_id \
                 LEFT JOIN agencies a ON a.id = c.agency_id WHERE n.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            mails.push(MailToSend {
                notification_id: r.try_get("id")?,
                email: r.try_get("email")?,
                kind: r.try_get("kind")?,
                case_reference: r.try_get("reference")?,
                agency_name_vi: r.try_get("name_vi")?,
            });
        }
        tx.commit().await?;
        Ok(mails)
    }

    async fn mail_sent(&self, notification_id: i64, now: i64) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        sqlx::query(
            "UPDATE notifications SET mail_sent_at = $1, mail_lease_until = NULL \
             WHERE id = $2 AND mail_sent_at IS NULL",
        )
        .bind(now)
        .bind(notification_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn mail_skipped(&self, notification_id: i64) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        sqlx::query(
            "UPDATE notifications SET mail_sent_at = $1, mail_lease_until = NULL \
             WHERE id = $2 AND mail_sent_at IS NULL",
        )
        .bind(MAIL_SKIPPED)
        .bind(notification_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn notifications_for(&self, user: UserId, limit: i64) -> Result<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT n.id, c.reference, n.kind, n.created_at, n.read_at FROM notifications n \
             LEFT JOIN cases c ON c.id = n.case_id WHERE n.user_id = $1 \
             ORDER BY CASE WHEN n.read_at IS NULL THEN 0 ELSE 1 END, n.id DESC LIMIT $2",
        )
        .bind(user.0)
        .bind(limit.max(0))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Notification {
                    id: r.try_get("id")?,
                    case_reference: r.try_get("reference")?,
                    kind: r.try_get("kind")?,
                    created_at: r.try_get("created_at")?,
                    read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
                })
            })
            .collect()
    }

    async fn mark_read(&self, user: UserId, notification_id: i64, now: i64) -> Result<bool> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        let done = sqlx::query(
            "UPDATE notifications SET read_at = $1 \
             WHERE id = $2 AND user_id = $3 AND read_at IS NULL",
        )
        .bind(now)
        .bind(notification_id)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
