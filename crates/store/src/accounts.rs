//! Staff accounts over their life: the list the administrators see, a password set anew (the
//! staff key sealed again under it), the second factor reset and enrolled, sign-ins and the
//! sessions an account holds. `app::accounts` decides; this module only reads and writes.

use minhbach_domain::UserId;
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::records::UserRecord;
use crate::sql::{append_audit, user_columns, user_row, SqlStore};
use crate::write::WriteKind;
use crate::Result;

/// A staff key sealed under a new password.
#[derive(Clone)]
pub struct Rekey {
    pub password_hash: String,
    pub kek_salt: Vec<u8>,
    pub secret_key_sealed: Vec<u8>,
    /// The new password is a one-time password (a reset): its holder must set their own.
    pub must_change_password: bool,
}

/// One of an account's sessions, as its holder sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session's id (the hash of its token), to tell the current one apart.
    pub token_hash: Vec<u8>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// The open cases assigned to one officer of an agency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub user: UserId,
    pub display_name: String,
    pub role: minhbach_domain::Role,
    pub open: i64,
    pub overdue: i64,
    /// The earliest due date among them (ISO).
    pub next_due: Option<String>,
}

#[async_trait::async_trait]
pub trait AccountStore: Send + Sync {
    /// Each active handler and lead of an agency with the open cases assigned to them (cases in
    /// none of `final_states`), by name.
    async fn workload(
        &self,
        agency: minhbach_domain::AgencyId,
        final_states: &[&str],
    ) -> Result<Vec<Workload>>;
    /// The display names of these accounts (active or not).
    async fn display_names(&self, users: &[UserId]) -> Result<Vec<(UserId, String)>>;
    /// Every staff account, active or not, by username.
    async fn users(&self) -> Result<Vec<UserRecord>>;
    /// The staff key sealed under the recovery key, for a reset through it.
    async fn user_recovery_seal(&self, user: UserId) -> Result<Option<Vec<u8>>>;
    /// Seals the staff key under a new password. With `end_sessions` every session of the
    /// account ends in the same transaction (a reset: whoever held the old one is out).
    async fn rekey(
        &self,
        user: UserId,
        rekey: &Rekey,
        end_sessions: bool,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Replaces the second factor with a new one not yet enrolled, and ends every session of
    /// the account: its holder enrols the new one at the next sign-in.
    async fn reset_second_factor(
        &self,
        user: UserId,
        totp_sealed: &[u8],
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Finishes a first sign-in: the password set by its holder (if it had to change), the
    /// second factor enrolled, the setup session ended; one transaction.
    async fn complete_setup(
        &self,
        user: UserId,
        rekey: Option<&Rekey>,
        setup_session: &[u8],
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Records a sign-in: when, and the audit entry, together.
    async fn record_signin(&self, user: UserId, audit: &AuditEntry) -> Result<()>;
    /// The staff sessions an account holds now, newest first.
    async fn staff_sessions(&self, user: UserId, now: i64) -> Result<Vec<SessionInfo>>;
    /// Ends every session of an account ("sign out everywhere"); returns how many.
    async fn end_sessions(&self, user: UserId, audit: &AuditEntry) -> Result<u64>;
}

async fn delete_sessions(tx: &mut crate::write::WriteTx, user: UserId) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.0)
        .execute(&mut **tx)
        .await?
        .rows_affected())
}

#[async_trait::async_trait]
impl AccountStore for SqlStore {
    async fn workload(
        &self,
        agency: minhbach_domain::AgencyId,
        final_states: &[&str],
    ) -> Result<Vec<Workload>> {
        let finals = (0..final_states.len())
            .map(|i| format!("${}", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let not_final = if final_states.is_empty() {
            String::new()
        } else {
            format!("AND c.state NOT IN ({finals})")
        };
        let sql = format!(
            "SELECT u.id, u.display_name, u.role, COUNT(c.id) AS open_cases, \
             COALESCE(SUM(CASE WHEN c.overdue = 1 THEN 1 ELSE 0 END), 0) AS overdue_cases, \
             MIN(c.due_on) AS next_due \
             FROM users u LEFT JOIN cases c ON c.assignee_id = u.id AND c.agency_id = $1 \
             {not_final} \
             WHERE u.agency_id = $1 AND u.active = 1 AND u.role IN ('handler', 'agency_lead') \
             GROUP BY u.id, u.display_name, u.role ORDER BY u.display_name, u.id"
        );
        let mut q = sqlx::query(&sql).bind(agency.0);
        for s in final_states {
            q = q.bind((*s).to_owned());
        }
        q.fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(Workload {
                    user: UserId(r.try_get("id")?),
                    display_name: r.try_get("display_name")?,
                    role: crate::sql::role(&r.try_get::<String, _>("role")?)?,
                    open: r.try_get("open_cases")?,
                    overdue: r.try_get("overdue_cases")?,
                    next_due: r.try_get("next_due")?,
                })
            })
            .collect()
    }

    async fn display_names(&self, users: &[UserId]) -> Result<Vec<(UserId, String)>> {
        let mut out = Vec::with_capacity(users.len());
        for u in users {
            let row = sqlx::query("SELECT display_name FROM users WHERE id = $1")
                .bind(u.0)
                .fetch_optional(&self.read)
                .await?;
            if let Some(r) = row {
                out.push((*u, r.try_get("display_name")?));
            }
        }
        Ok(out)
    }

    async fn users(&self) -> Result<Vec<UserRecord>> {
        sqlx::query(&format!(
            "SELECT {} FROM users ORDER BY username",
            user_columns("")
        ))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(user_row)
        .collect()
    }

    async fn user_recovery_seal(&self, user: UserId) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query("SELECT secret_key_recovery FROM users WHERE id = $1")
                .bind(user.0)
                .fetch_optional(&self.read)
                .await?
                .map(|r| r.try_get("secret_key_recovery"))
                .transpose()?,
        )
    }

    async fn rekey(
        &self,
        user: UserId,
        rekey: &Rekey,
        end_sessions: bool,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        update_keys(&mut tx, user, rekey).await?;
        if end_sessions {
            delete_sessions(&mut tx, user).await?;
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn reset_second_factor(
        &self,
        user: UserId,
        totp_sealed: &[u8],
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let done = sqlx::query(
            "UPDATE users SET totp_sealed = $1, totp_enrolled = 0, totp_last_step = NULL \
             WHERE id = $2 AND active = 1",
        )
        .bind(totp_sealed.to_vec())
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(crate::StoreError::NotFound);
        }
        delete_sessions(&mut tx, user).await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn complete_setup(
        &self,
        user: UserId,
        rekey: Option<&Rekey>,
        setup_session: &[u8],
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        if let Some(rekey) = rekey {
            update_keys(&mut tx, user, rekey).await?;
        }
        sqlx::query("UPDATE users SET totp_enrolled = 1 WHERE id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(setup_session.to_vec())
            .execute(&mut *tx)
            .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_signin(&self, user: UserId, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        sqlx::query("UPDATE users SET last_signin_at = $1 WHERE id = $2")
            .bind(audit.at)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn staff_sessions(&self, user: UserId, now: i64) -> Result<Vec<SessionInfo>> {
        sqlx::query(
            "SELECT token_hash, created_at, expires_at FROM sessions \
             WHERE user_id = $1 AND kind = 'staff' AND expires_at > $2 \
             ORDER BY created_at DESC",
        )
        .bind(user.0)
        .bind(now)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(SessionInfo {
                token_hash: r.try_get("token_hash")?,
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .collect()
    }

    async fn end_sessions(&self, user: UserId, audit: &AuditEntry) -> Result<u64> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        let n = delete_sessions(&mut tx, user).await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(n)
    }
}

async fn update_keys(tx: &mut crate::write::WriteTx, user: UserId, k: &Rekey) -> Result<()> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = $1, kek_salt = $2, secret_key_sealed = $3, \
         must_change_password = $4 WHERE id = $5 AND active = 1",
    )
    .bind(k.password_hash.clone())
    .bind(k.kek_salt.clone())
    .bind(k.secret_key_sealed.clone())
    .bind(i64::from(k.must_change_password))
    .bind(user.0)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(crate::StoreError::NotFound);
    }
    Ok(())
}
