//! Every write goes through [`WriteTx`]: one transaction on one connection of the write pool,
//! which returns to the pool only after a COMMIT that the engine acknowledged.
//!
//! Why not sqlx's `Transaction`: after an error inside a transaction or on COMMIT, it queues a
//! ROLLBACK and puts the connection back in the pool, trusting its own count of open
//! transactions. When the engine disagrees with that count (SQLite after `database or disk is
//! full`: a ROLLBACK that fails, a transaction the engine kept or ended on its own), the next
//! `begin` becomes a nested SAVEPOINT and its "commit" a RELEASE inside a transaction that never
//! ends: later writes were acknowledged and never committed. Here any outcome other than a
//! successful COMMIT (an error in a statement, an error on COMMIT, a cancelled future) closes
//! the connection, and closing rolls back whatever the engine still holds. The pool opens a
//! fresh connection for the next writer, so every write starts clean.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;

use sqlx::pool::PoolConnection;
use sqlx::AnyConnection;
use sqlx::{Any, AnyPool, Executor};

use crate::backend::Backend;
use crate::{Result, StoreError};

/// What a write does, for the free-space guard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteKind {
    /// Records something new: a report, a message, a decision, an administrator's change. Refused
    /// when the data directory is below its free-space reserve.
    Grows,
    /// Small bookkeeping that reading and the deadline alarms depend on: a session, the audit
    /// event of a read, a used second-factor step, job leases, escalations. Goes on inside the
    /// reserve, which is kept for it; fails only when the disk is really full.
    Upkeep,
}

/// Keeps a reserve of free space in the data directory: below it, writes that grow the data are
/// refused before they start (DESIGN.md: an acknowledged report is durable, so the server stops
/// acknowledging before the disk stops writing).
#[derive(Clone, Debug)]
pub struct SpaceGuard {
    pub dir: PathBuf,
    pub reserve_bytes: u64,
}

/// Free space of a data directory against its reserve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpaceStatus {
    pub available_bytes: u64,
    pub reserve_bytes: u64,
}

impl SpaceStatus {
    pub fn low(&self) -> bool {
        self.available_bytes < self.reserve_bytes
    }
}

impl SpaceGuard {
    pub fn status(&self) -> std::io::Result<SpaceStatus> {
        let s = rustix::fs::statvfs(&self.dir).map_err(std::io::Error::from)?;
        Ok(SpaceStatus {
            available_bytes: s.f_bavail.saturating_mul(s.f_frsize),
            reserve_bytes: self.reserve_bytes,
        })
    }

    /// Refuses a write that grows the data while space is below the reserve. A directory whose
    /// space cannot be read counts as low: better a clear refusal than a receipt on a disk that
    /// may be gone.
    pub(crate) fn check(&self, kind: WriteKind) -> Result<()> {
        if kind == WriteKind::Upkeep || self.reserve_bytes == 0 {
            return Ok(());
        }
        match self.status() {
            Ok(s) if !s.low() => Ok(()),
            Ok(_) => Err(StoreError::Full),
            Err(error) => {
                tracing::error!(dir = %self.dir.display(), %error, "cannot read free space");
                Err(StoreError::Full)
            }
        }
    }
}

/// An open write transaction. Dereferences to the connection, so statements run on `&mut *tx`.
pub(crate) struct WriteTx {
    conn: Option<PoolConnection<Any>>,
    audit_key: std::sync::Arc<minhbach_crypto::AuditKey>,
}

impl WriteTx {
    pub(crate) async fn begin(
        pool: &AnyPool,
        backend: Backend,
        audit_key: std::sync::Arc<minhbach_crypto::AuditKey>,
    ) -> Result<Self> {
        let conn = pool.acquire().await?;
        let mut tx = WriteTx {
            conn: Some(conn),
            audit_key,
        };
        // SQLite: take the write lock now (waiting up to busy_timeout), so that a transaction
        // never fails half-way because another process wrote since it began reading.
        let begin = match backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        (&mut *tx).execute(begin).await?;
        Ok(tx)
    }

    /// The key the audit events of this transaction are chained under.
    pub(crate) fn audit_key(&self) -> &minhbach_crypto::AuditKey {
        &self.audit_key
    }

    /// Commits. Success means the engine acknowledged the COMMIT; on any error the connection is
    /// closed (by `Drop`) and nothing of the transaction remains.
    pub(crate) async fn commit(mut self) -> Result<()> {
        (&mut *self).execute("COMMIT").await?;
        // Back to the pool, clean.
        drop(self.conn.take());
        Ok(())
    }

    /// Ends the transaction without keeping anything; the connection goes back to the pool only
    /// if the engine acknowledged the ROLLBACK.
    pub(crate) async fn rollback(mut self) -> Result<()> {
        (&mut *self).execute("ROLLBACK").await?;
        drop(self.conn.take());
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            // Not committed: an error, or the caller went away. Closing the connection ends the
            // transaction in the engine, whatever state it is in; the pool opens a new one.
            conn.close_on_drop();
        }
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match &self.conn {
            Some(c) => c,
            // Only `commit` and `drop` take the connection, and both consume the transaction.
            None => unreachable!("write transaction used after commit"),
        }
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.conn {
            Some(c) => c,
            None => unreachable!("write transaction used after commit"),
        }
    }
}
