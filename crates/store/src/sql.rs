//! The one SQL implementation of [`Store`], shared by SQLite and PostgreSQL.

use minhbach_domain::{
    AgencyId, CaseId, CaseState, Excluded, ExclusionReason, Role, Track, UserId,
};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row};

use crate::audit::{chain_hash, AuditEntry, AuditQuery, AuditRecord, CHAIN_VERSION};
use crate::backend::{self, Backend, StoreConfig};
use crate::records::*;
use crate::write::{SpaceGuard, SpaceStatus, WriteKind, WriteTx};
use crate::{Result, Store, StoreError};

pub struct SqlStore {
    pub(crate) backend: Backend,
    pub(crate) read: AnyPool,
    pub(crate) write: AnyPool,
    space: Option<SpaceGuard>,
    audit_key: std::sync::Arc<minhbach_crypto::AuditKey>,
}

impl SqlStore {
    /// Connects and brings the schema up to date.
    pub async fn open(config: &StoreConfig) -> Result<Self> {
        let (backend, read, write) = backend::connect(config).await?;
        backend::migrate(backend, &write).await?;
        Ok(SqlStore {
            backend,
            read,
            write,
            space: config.space.clone(),
            audit_key: std::sync::Arc::new(config.audit_key.clone()),
        })
    }

    /// Opens a write transaction (see [`WriteTx`]), after the free-space guard allows it.
    pub(crate) async fn begin_write(&self, kind: WriteKind) -> Result<WriteTx> {
        if let Some(guard) = &self.space {
            guard.check(kind)?;
        }
        WriteTx::begin(&self.write, self.backend, self.audit_key.clone()).await
    }

    /// Writes a consistent copy of a SQLite database to `file` while it is in use
    /// (`VACUUM INTO`: one read transaction, so the copy is one committed state).
    pub async fn backup_into(&self, file: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Corrupt(
                "backup_into is for SQLite; dump PostgreSQL with pg_dump".into(),
            ));
        }
        let path = file.to_str().ok_or_else(|| {
            StoreError::Corrupt(format!("backup path is not UTF-8: {}", file.display()))
        })?;
        sqlx::query(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The write pool, for tests that inspect or tamper with raw tables.
    pub fn pool(&self) -> &AnyPool {
        &self.write
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

fn flag(b: bool) -> i64 {
    i64::from(b)
}

fn state(code: &str) -> Result<CaseState> {
    CaseState::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("unknown state {code}")))
}

fn track(code: &str) -> Result<Track> {
    Track::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("unknown track {code}")))
}

pub(crate) fn role(code: &str) -> Result<Role> {
    Role::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("unknown role {code}")))
}

/// A random public reference no case holds yet (see [`minhbach_domain::Reference`]). Drawn in
/// the writing transaction: on SQLite it holds the write lock; on PostgreSQL two transactions
/// drawing the same one of 10^8 numbers at once would meet the unique index and one fail.
pub(crate) async fn unused_reference(tx: &mut WriteTx, prefix: &str, year: i32) -> Result<String> {
    use rand::Rng;
    loop {
        let draw = rand::rngs::OsRng.gen_range(0..minhbach_domain::REFERENCE_NUMBERS);
        let reference = minhbach_domain::Reference::new(prefix, year, draw).to_string();
        let taken = sqlx::query("SELECT 1 AS x FROM cases WHERE reference = $1")
            .bind(reference.clone())
            .fetch_optional(&mut **tx)
            .await?
            .is_some();
        if !taken {
            return Ok(reference);
        }
    }
}

/// Appends one audit event inside the caller's transaction. Taking the head row with an UPDATE
/// locks it, so concurrent appenders on PostgreSQL chain one after the other.
pub(crate) async fn append_audit(tx: &mut WriteTx, e: &AuditEntry) -> Result<()> {
    append_audit_many(tx, std::slice::from_ref(e)).await
}

/// Rows per multi-row insert into the audit log (8 parameters each).
const AUDIT_INSERT_ROWS: usize = 20;

/// Appends several events in order, taking the head once: what a batch of scheduler work
/// records without paying three statements per event.
pub(crate) async fn append_audit_many(tx: &mut WriteTx, entries: &[AuditEntry]) -> Result<()> {
    let Ok(n) = i64::try_from(entries.len()) else {
        return Err(StoreError::Corrupt("too many audit events".into()));
    };
    if n == 0 {
        return Ok(());
    }
    // Moving the head by n takes its row lock: concurrent appenders chain one after the other.
    let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(n)
        .fetch_one(&mut **tx)
        .await?;
    let last: i64 = head.try_get("seq")?;
    let mut prev: Vec<u8> = head.try_get("hash")?;
    let mut rows = Vec::with_capacity(entries.len());
    for (k, e) in (0i64..).zip(entries) {
        let seq = last - n + 1 + k;
        let hash = chain_hash(tx.audit_key(), &prev, seq, e);
        rows.push((seq, e, std::mem::replace(&mut prev, hash.clone()), hash));
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(prev)
        .execute(&mut **tx)
        .await?;
    for chunk in rows.chunks(AUDIT_INSERT_ROWS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|r| {
                let b = r * 8;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, {CHAIN_VERSION})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_log (seq, at, actor, action, case_id, detail, prev_hash, hash, v) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (seq, e, prev_hash, hash) in chunk {
            q = q
                .bind(*seq)
                .bind(e.at)
                .bind(e.actor.clone())
                .bind(e.action.clone())
                .bind(e.case.map(|c| c.0))
                .bind(e.detail.clone())
                .bind(prev_hash.clone())
                .bind(hash.clone());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Inbox totals are exact up to this many cases.
pub const INBOX_COUNT_CAP: i64 = 10_000;

/// The SQL of an inbox query: the page (whose last two parameters are LIMIT and OFFSET) and
/// the count, sharing the filter values. Benchmarks explain exactly these statements.
pub(crate) struct InboxStatements {
    pub(crate) page: String,
    pub(crate) count: String,
    pub(crate) values: Vec<Value>,
    pub(crate) per_page: i64,
    pub(crate) offset: i64,
}

impl InboxStatements {
    pub(crate) fn of(q: &InboxQuery) -> Self {
        let order = match q.order {
            InboxOrder::NewestFirst => "received_at DESC, id DESC",
            InboxOrder::OldestFirst => "received_at ASC, id ASC",
            InboxOrder::DueFirst => "due_on ASC NULLS LAST, id ASC",
        };
        // The filter is built from fixed fragments; every value is a bound parameter.
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut param = |value: Value, template: &str| {
            values.push(value);
            conditions.push(template.replace('?', &format!("${}", values.len())));
        };
        if let Some(agency) = q.agency {
            param(Value::Int(agency.0), "agency_id = ?");
        }
        if let Some(v) = q.viewer {
            param(
                Value::Int(v.user.0),
                "id NOT IN (SELECT case_id FROM case_exclusions WHERE user_id = ?)",
            );
            if let Some(a) = v.leads {
                param(
                    Value::Int(a.0),
                    "id NOT IN (SELECT case_id FROM case_exclusions WHERE agency_id = ? \
                     AND lifted_at IS NULL)",
                );
            }
        }
        if let Some(st) = q.filter.state {
            param(Value::Text(st.code().to_owned()), "state = ?");
        }
        if let Some(t) = q.filter.track {
            param(Value::Text(t.code().to_owned()), "track = ?");
        }
        if let Some(c) = &q.filter.channel {
            param(Value::Text(c.clone()), "channel = ?");
        }
        if let Some(p) = q.filter.partner {
            param(Value::Int(p.0), "partner_id = ?");
        }
        if let Some(r) = &q.filter.reference {
            param(Value::Text(r.clone()), "reference = ?");
        }
        if let Some(c) = &q.filter.category {
            param(Value::Text(c.clone()), "category = ?");
        }
        if let Some(d) = &q.filter.due_by {
            param(Value::Text(d.clone()), "due_on <= ?");
        }
        if q.filter.overdue {
            conditions.push("overdue = 1".to_owned());
        }
        let filter = if conditions.is_empty() {
            "1 = 1".to_owned()
        } else {
            conditions.join(" AND ")
        };
        let limit_at = values.len() + 1;
        let per_page = i64::from(q.per_page.clamp(1, 200));
        let offset = i64::from(q.page.max(1) - 1) * per_page;
        InboxStatements {
            page: format!(
                "SELECT id, reference, agency_id, category, state, received_at, updated_at, \
                 anonymous, demo, track, due_on, overdue FROM cases WHERE {filter} \
                 ORDER BY {order} LIMIT ${limit_at} OFFSET ${}",
                limit_at + 1
            ),
            // Counting stops past the cap: "more than 10 000" is all a reader needs, and an
            // exact count of a million rows would cost more than the page itself.
            count: format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM cases WHERE {filter} LIMIT {}) capped",
                INBOX_COUNT_CAP + 1
            ),
            values,
            per_page,
            offset,
        }
    }
}

/// A value bound to a dynamically assembled query.
pub(crate) enum Value {
    Int(i64),
    Text(String),
}

pub(crate) fn bind_values<'q>(
    mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    values: &[Value],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for v in values {
        query = match v {
            Value::Int(i) => query.bind(*i),
            Value::Text(t) => query.bind(t.clone()),
        };
    }
    query
}

pub(crate) async fn insert_clocks(
    tx: &mut WriteTx,
    case: CaseId,
    clocks: &[NewClock],
    now: i64,
) -> Result<()> {
    for c in clocks {
        sqlx::query(
            "INSERT INTO case_clocks (case_id, clock, rule_id, rule_set, agency_id, started_on, \
             due_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(case.0)
        .bind(c.clock.clone())
        .bind(c.rule_id.clone())
        .bind(c.rule_set.clone())
        .bind(c.agency.0)
        .bind(c.started_on.clone())
        .bind(c.due_on.clone())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(crate) async fn update_clocks(
    tx: &mut WriteTx,
    case: CaseId,
    updates: &[ClockUpdate],
) -> Result<()> {
    for u in updates {
        sqlx::query(
            "UPDATE case_clocks SET ops = $1, due_on = $2, completed_on = $3, met = $4 \
             WHERE id = $5 AND case_id = $6",
        )
        .bind(u.ops.clone())
        .bind(u.due_on.clone())
        .bind(u.completed_on.clone())
        .bind(u.met.map(flag))
        .bind(u.id)
        .bind(case.0)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Deletes the wraps of those who lose a case key and writes (or replaces) those of who gain it.
async fn apply_wraps(tx: &mut WriteTx, case: CaseId, w: &WrapChange) -> Result<()> {
    for user in &w.remove {
        sqlx::query("DELETE FROM case_keys WHERE case_id = $1 AND user_id = $2")
            .bind(case.0)
            .bind(user.0)
            .execute(&mut **tx)
            .await?;
    }
    for (user, wrapped) in &w.add {
        // Defence in depth: whoever an exclusion names in person never gets a wrap, even if a
        // decision planned before the exclusion committed.
        sqlx::query(
            "INSERT INTO case_keys (case_id, user_id, wrapped) SELECT $1, $2, $3 \
             WHERE NOT EXISTS (SELECT 1 FROM case_exclusions WHERE case_id = $1 AND user_id = $2) \
             ON CONFLICT (case_id, user_id) DO UPDATE SET wrapped = excluded.wrapped",
        )
        .bind(case.0)
        .bind(user.0)
        .bind(wrapped.clone())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_exclusions(
    tx: &mut WriteTx,
    case: CaseId,
    exclusions: &[Excluded],
    by: Option<UserId>,
    now: i64,
) -> Result<()> {
    for e in exclusions {
        let (user, agency) = match *e {
            Excluded::User(u, _) => (Some(u.0), None),
            Excluded::LeadsOf(a, _) => (None, Some(a.0)),
        };
        sqlx::query(
            "INSERT INTO case_exclusions (case_id, user_id, agency_id, reason, by_user_id, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(case.0)
        .bind(user)
        .bind(agency)
        .bind(e.reason().code())
        .bind(by.map(|u| u.0))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_wraps(tx: &mut WriteTx, case: CaseId, wraps: &[(UserId, Vec<u8>)]) -> Result<()> {
    for (user, wrapped) in wraps {
        sqlx::query("INSERT INTO case_keys (case_id, user_id, wrapped) VALUES ($1, $2, $3)")
            .bind(case.0)
            .bind(user.0)
            .bind(wrapped.clone())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

const USER_COLUMNS: &str = "id, username, display_name, agency_id, role, password_hash, \
     public_key, kek_salt, secret_key_sealed, totp_sealed, totp_last_step, active, \
     must_change_password, totp_enrolled, last_signin_at";

/// The user columns with a table prefix (`u.`) for joins.
pub(crate) fn user_columns(prefix: &str) -> String {
    USER_COLUMNS
        .split(", ")
        .map(|c| format!("{prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) async fn insert_identity_shares(
    tx: &mut WriteTx,
    case: CaseId,
    shares: &[(UserId, Vec<u8>)],
) -> Result<()> {
    for (custodian, wrapped) in shares {
        sqlx::query(
            "INSERT INTO identity_shares (case_id, custodian_id, wrapped) VALUES ($1, $2, $3)",
        )
        .bind(case.0)
        .bind(custodian.0)
        .bind(wrapped.clone())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(crate) fn user_row(r: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: UserId(r.try_get("id")?),
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        agency: r.try_get::<Option<i64>, _>("agency_id")?.map(AgencyId),
        role: role(&r.try_get::<String, _>("role")?)?,
        password_hash: r.try_get("password_hash")?,
        public_key: r.try_get("public_key")?,
        kek_salt: r.try_get("kek_salt")?,
        secret_key_sealed: r.try_get("secret_key_sealed")?,
        totp_sealed: r.try_get("totp_sealed")?,
        totp_last_step: r.try_get("totp_last_step")?,
        active: r.try_get::<i64, _>("active")? != 0,
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
        totp_enrolled: r.try_get::<i64, _>("totp_enrolled")? != 0,
        last_signin_at: r.try_get("last_signin_at")?,
    })
}

const CASE_COLUMNS: &str =
    "id, reference, receipt_lookup, agency_id, category, state, channel, anonymous, \
     assignee_id, track, forward_hops, forwarded_by, received_at, updated_at, content_sealed, \
     case_key_reporter, identity_sealed, identity_key_reporter, identity_threshold, demo, held_at, \
     purged_at, legal_hold_at, source_body, source_document, partner_id, partner_follows";

fn case_row(r: &AnyRow) -> Result<CaseRecord> {
    Ok(CaseRecord {
        id: CaseId(r.try_get("id")?),
        reference: r.try_get("reference")?,
        receipt_lookup: r.try_get("receipt_lookup")?,
        agency: AgencyId(r.try_get("agency_id")?),
        category: r.try_get("category")?,
        state: state(&r.try_get::<String, _>("state")?)?,
        channel: r.try_get("channel")?,
        anonymous: r.try_get::<i64, _>("anonymous")? != 0,
        assignee: r.try_get::<Option<i64>, _>("assignee_id")?.map(UserId),
        track: r
            .try_get::<Option<String>, _>("track")?
            .as_deref()
            .map(track)
            .transpose()?,
        forward_hops: u32::try_from(r.try_get::<i64, _>("forward_hops")?).unwrap_or(u32::MAX),
        forwarded_by: r.try_get::<Option<i64>, _>("forwarded_by")?.map(AgencyId),
        received_at: r.try_get("received_at")?,
        updated_at: r.try_get("updated_at")?,
        content_sealed: r.try_get("content_sealed")?,
        case_key_reporter: r.try_get("case_key_reporter")?,
        identity_sealed: r.try_get("identity_sealed")?,
        identity_key_reporter: r.try_get("identity_key_reporter")?,
        identity_threshold: r.try_get("identity_threshold")?,
        demo: r.try_get::<i64, _>("demo")? != 0,
        held_at: r.try_get("held_at")?,
        purged_at: r.try_get("purged_at")?,
        legal_hold_at: r.try_get("legal_hold_at")?,
        source_body: r.try_get("source_body")?,
        source_document: r.try_get("source_document")?,
        partner_following: r
            .try_get::<Option<i64>, _>("partner_id")?
            .filter(|_| r.try_get::<i64, _>("partner_follows").is_ok_and(|f| f != 0))
            .map(AgencyId),
    })
}

fn audit_row(r: &AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        case: r.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
        detail: r.try_get("detail")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
        version: r.try_get("v")?,
    })
}

fn agency_row(r: &AnyRow) -> Result<Agency> {
    Ok(Agency {
        id: AgencyId(r.try_get("id")?),
        code: r.try_get("code")?,
        name_vi: r.try_get("name_vi")?,
        name_en: r.try_get("name_en")?,
        kind: r.try_get("kind")?,
        superior: r.try_get::<Option<i64>, _>("superior_id")?.map(AgencyId),
    })
}

#[async_trait::async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    fn space(&self) -> Option<std::io::Result<SpaceStatus>> {
        self.space.as_ref().map(SpaceGuard::status)
    }

    async fn organisation(&self) -> Result<Option<Organisation>> {
        let row = sqlx::query(
            "SELECT name, reference_prefix, recovery_public_key, default_agency_id, demo \
             FROM organisation WHERE id = 1",
        )
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(Organisation {
                name: r.try_get("name")?,
                reference_prefix: r.try_get("reference_prefix")?,
                recovery_public_key: r.try_get("recovery_public_key")?,
                default_agency: r
                    .try_get::<Option<i64>, _>("default_agency_id")?
                    .map(AgencyId),
                demo: r.try_get::<i64, _>("demo")? != 0,
            })
        })
        .transpose()
    }

    async fn create_organisation(&self, org: &NewOrganisation, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        sqlx::query(
            "INSERT INTO organisation (id, name, reference_prefix, recovery_public_key, demo, \
             created_at) VALUES (1, $1, $2, $3, $4, $5)",
        )
        .bind(org.name.clone())
        .bind(org.reference_prefix.clone())
        .bind(org.recovery_public_key.clone())
        .bind(flag(org.demo))
        .bind(org.now)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_default_agency(&self, agency: AgencyId, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let done = sqlx::query("UPDATE organisation SET default_agency_id = $1 WHERE id = 1")
            .bind(agency.0)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_agency(&self, a: &NewAgency, audit: &AuditEntry) -> Result<AgencyId> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let row = sqlx::query(
            "INSERT INTO agencies (code, name_vi, name_en, kind, created_at, superior_id) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(a.code.clone())
        .bind(a.name_vi.clone())
        .bind(a.name_en.clone())
        .bind(a.kind.clone())
        .bind(a.now)
        .bind(a.superior.map(|s| s.0))
        .fetch_one(&mut *tx)
        .await?;
        let id = AgencyId(row.try_get("id")?);
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn agencies(&self) -> Result<Vec<Agency>> {
        sqlx::query(
            "SELECT id, code, name_vi, name_en, kind, superior_id FROM agencies ORDER BY id",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(agency_row)
        .collect()
    }

    async fn upsert_category(&self, c: &Category, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        sqlx::query(
            "INSERT INTO categories (code, name_vi, name_en, position) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (code) DO UPDATE SET name_vi = excluded.name_vi, \
             name_en = excluded.name_en, position = excluded.position",
        )
        .bind(c.code.clone())
        .bind(c.name_vi.clone())
        .bind(c.name_en.clone())
        .bind(c.position)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn categories(&self) -> Result<Vec<Category>> {
        let rows = sqlx::query(
            "SELECT code, name_vi, name_en, position FROM categories ORDER BY position, code",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Category {
                    code: r.try_get("code")?,
                    name_vi: r.try_get("name_vi")?,
                    name_en: r.try_get("name_en")?,
                    position: r.try_get("position")?,
                })
            })
            .collect()
    }

    async fn partner_cases(&self, partner: AgencyId, limit: i64) -> Result<Vec<CaseRecord>> {
        sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE partner_id = $1 AND partner_follows = 1 \
             ORDER BY received_at DESC, id DESC LIMIT $2"
        ))
        .bind(partner.0)
        .bind(limit)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(case_row)
        .collect()
    }

    async fn questionnaires(&self) -> Result<Vec<(String, String)>> {
        sqlx::query("SELECT category, document FROM category_questionnaires ORDER BY category")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("category")?, r.try_get("document")?)))
            .collect()
    }

    async fn set_questionnaire(
        &self,
        category: &str,
        document: &str,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        if document.trim().is_empty() {
            sqlx::query("DELETE FROM category_questionnaires WHERE category = $1")
                .bind(category.to_owned())
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO category_questionnaires (category, document, updated_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (category) DO UPDATE \
                 SET document = excluded.document, updated_at = excluded.updated_at",
            )
            .bind(category.to_owned())
            .bind(document.to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_user(&self, u: &NewUser, audit: &AuditEntry) -> Result<UserId> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let row = sqlx::query(
            "INSERT INTO users (username, display_name, agency_id, role, password_hash, \
             public_key, kek_salt, secret_key_sealed, secret_key_recovery, totp_sealed, active, \
             created_at, must_change_password, totp_enrolled) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $13) RETURNING id",
        )
        .bind(u.username.clone())
        .bind(u.display_name.clone())
        .bind(u.agency.map(|a| a.0))
        .bind(u.role.code())
        .bind(u.password_hash.clone())
        .bind(u.public_key.clone())
        .bind(u.kek_salt.clone())
        .bind(u.secret_key_sealed.clone())
        .bind(u.secret_key_recovery.clone())
        .bind(u.totp_sealed.clone())
        .bind(u.now)
        .bind(i64::from(u.must_change_password))
        .bind(i64::from(u.totp_enrolled))
        .fetch_one(&mut *tx)
        .await?;
        let id = UserId(row.try_get("id")?);
        let mut audit = audit.clone();
        audit.detail = serde_json::json!({ "user": id.0, "role": u.role.code() }).to_string();
        append_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn user(&self, id: UserId) -> Result<Option<UserRecord>> {
        sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(user_row)
            .transpose()
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username.to_owned())
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(user_row)
        .transpose()
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1 \
             WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn submit(&self, c: &NewCase, audit: &AuditEntry) -> Result<(CaseId, String)> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        if let Some(nonce) = &c.nonce_hash {
            let fresh = sqlx::query(
                "INSERT INTO form_nonces (nonce_hash, used_at) VALUES ($1, $2) \
                 ON CONFLICT (nonce_hash) DO NOTHING",
            )
            .bind(nonce.clone())
            .bind(c.now)
            .execute(&mut *tx)
            .await?;
            if fresh.rows_affected() == 0 {
                return Err(StoreError::AlreadySubmitted);
            }
        }
        // An integrator's idempotency key: the first request with it wins; a retry (even a
        // concurrent one, which waits here for the first to commit) is told the first case.
        if let Some(k) = &c.idempotency {
            let fresh = sqlx::query(
                "INSERT INTO idempotency_keys (user_id, key_hash, request_mac, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, key_hash) DO NOTHING",
            )
            .bind(k.user.0)
            .bind(k.key_hash.clone())
            .bind(k.request_mac.clone())
            .bind(c.now)
            .execute(&mut *tx)
            .await?;
            if fresh.rows_affected() == 0 {
                tx.rollback().await?;
                let first = sqlx::query(
                    "SELECT k.request_mac, c.reference FROM idempotency_keys k \
                     LEFT JOIN cases c ON c.id = k.case_id \
                     WHERE k.user_id = $1 AND k.key_hash = $2",
                )
                .bind(k.user.0)
                .bind(k.key_hash.clone())
                .fetch_one(&self.read)
                .await?;
                let mac: Vec<u8> = first.try_get("request_mac")?;
                return Err(StoreError::Replayed {
                    reference: first.try_get("reference")?,
                    same_request: mac == k.request_mac,
                });
            }
        }
        let counter = format!("reference:{}:{}", c.reference_prefix, c.year);
        let seq: i64 = sqlx::query(
            "INSERT INTO counters (name, value) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .bind(counter)
        .fetch_one(&mut *tx)
        .await?
        .try_get("value")?;
        let reference = unused_reference(&mut tx, &c.reference_prefix, c.year).await?;
        let row = sqlx::query(
            "INSERT INTO cases (reference, receipt_lookup, agency_id, category, state, channel, \
             anonymous, received_at, updated_at, content_sealed, case_key_reporter, \
             case_key_recovery, identity_sealed, identity_key_reporter, identity_key_recovery, demo, \
             due_on, seq, held_at, registered_by, source_body, source_document, partner_id, \
             partner_follows) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21, $22, $23) RETURNING id",
        )
        .bind(reference.clone())
        .bind(c.receipt_lookup.clone())
        .bind(c.agency.0)
        .bind(c.category.clone())
        .bind(CaseState::Received.code())
        .bind(c.channel.clone())
        .bind(flag(c.anonymous))
        .bind(c.now)
        .bind(c.content_sealed.clone())
        .bind(c.case_key_reporter.clone())
        .bind(c.case_key_recovery.clone())
        .bind(c.identity_sealed.clone())
        .bind(c.identity_key_reporter.clone())
        .bind(c.identity_key_recovery.clone())
        .bind(flag(c.demo))
        .bind(c.due_on.clone())
        .bind(seq)
        .bind(c.held.then_some(c.now))
        .bind(c.registered_by.map(|u| u.0))
        .bind(c.source_body.clone())
        .bind(c.source_document.clone())
        .bind(c.partner.map(|p| p.0))
        .bind(flag(c.partner_follows))
        .fetch_one(&mut *tx)
        .await?;
        let id = CaseId(row.try_get("id")?);
        if let Some(k) = &c.idempotency {
            sqlx::query(
                "UPDATE idempotency_keys SET case_id = $1 WHERE user_id = $2 AND key_hash = $3",
            )
            .bind(id.0)
            .bind(k.user.0)
            .bind(k.key_hash.clone())
            .execute(&mut *tx)
            .await?;
        }
        insert_exclusions(&mut tx, id, &c.exclusions, None, c.now).await?;
        if let Some(track) = c.track {
            sqlx::query("UPDATE cases SET track = $1 WHERE id = $2")
                .bind(track.code())
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        }
        if let Some((other, kind)) = &c.link {
            sqlx::query(
                "INSERT INTO case_links (case_id, linked_case_id, kind, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id.0)
            .bind(other.0)
            .bind(kind.clone())
            .bind(c.now)
            .execute(&mut *tx)
            .await?;
        }
        if let Some((lookup, sealed)) = &c.decoy {
            sqlx::query(
                "INSERT INTO decoys (receipt_lookup, case_id, content_sealed, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(lookup.clone())
            .bind(id.0)
            .bind(sealed.clone())
            .bind(c.now)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(k) = c.identity_threshold {
            insert_identity_shares(&mut tx, id, &c.identity_shares).await?;
            sqlx::query("UPDATE cases SET identity_threshold = $1 WHERE id = $2")
                .bind(k)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        }
        insert_wraps(&mut tx, id, &c.staff_wraps).await?;
        insert_clocks(&mut tx, id, &c.clocks, c.now).await?;
        if let Some((document, article)) = &c.regulation {
            sqlx::query(
                "INSERT INTO regulation_proposals (case_id, document, article) VALUES ($1, $2, $3)",
            )
            .bind(id.0)
            .bind(document.clone())
            .bind(article.clone())
            .execute(&mut *tx)
            .await?;
        }
        if let Some(files) = &c.attachments {
            crate::evidence::adopt(&mut tx, id, None, files).await?;
        }
        sqlx::query(
            "INSERT INTO case_events (case_id, at, kind, to_state, to_agency_id) \
             VALUES ($1, $2, 'submitted', $3, $4)",
        )
        .bind(id.0)
        .bind(c.now)
        .bind(CaseState::Received.code())
        .bind(c.agency.0)
        .execute(&mut *tx)
        .await?;
        let mut audit = audit.clone();
        audit.case = Some(id);
        audit.detail = serde_json::json!({
            "agency": c.agency.0,
            "category": c.category,
            "channel": c.channel,
            "wrapped_for": c.staff_wraps.iter().map(|(u, _)| u.0).collect::<Vec<_>>(),
        })
        .to_string();
        append_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok((id, reference))
    }

    async fn case_by_lookup(&self, lookup: &[u8]) -> Result<Option<CaseRecord>> {
        sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE receipt_lookup = $1"
        ))
        .bind(lookup.to_vec())
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(case_row)
        .transpose()
    }

    async fn case_by_reference(&self, reference: &str) -> Result<Option<CaseRecord>> {
        sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE reference = $1"
        ))
        .bind(reference.to_owned())
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(case_row)
        .transpose()
    }

    async fn held_cases(&self, agency: AgencyId, limit: i64) -> Result<Vec<CaseRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE agency_id = $1 AND held_at IS NOT NULL \
             ORDER BY held_at, id LIMIT $2"
        ))
        .bind(agency.0)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(case_row).collect()
    }

    async fn release_held(
        &self,
        case: CaseId,
        clocks: &[NewClock],
        due_on: Option<String>,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let released = sqlx::query(
            "UPDATE cases SET held_at = NULL, due_on = $1, updated_at = $2 \
             WHERE id = $3 AND held_at IS NOT NULL",
        )
        .bind(due_on)
        .bind(now)
        .bind(case.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if released == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_clocks(&mut tx, case, clocks, now).await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn case(&self, id: CaseId) -> Result<Option<CaseRecord>> {
        sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(case_row)
            .transpose()
    }

    async fn case_key_for(&self, case: CaseId, user: UserId) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT wrapped FROM case_keys WHERE case_id = $1 AND user_id = $2")
            .bind(case.0)
            .bind(user.0)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| r.try_get("wrapped")).transpose()?)
    }

    async fn messages(&self, case: CaseId) -> Result<Vec<MessageRecord>> {
        let rows = sqlx::query(
            "SELECT id, sender, user_id, created_at, body_sealed FROM messages \
             WHERE case_id = $1 ORDER BY id",
        )
        .bind(case.0)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let sender = match r.try_get::<String, _>("sender")?.as_str() {
                    "reporter" => Sender::Reporter,
                    "staff" => Sender::Staff,
                    other => return Err(StoreError::Corrupt(format!("unknown sender {other}"))),
                };
                Ok(MessageRecord {
                    id: r.try_get("id")?,
                    sender,
                    user: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
                    created_at: r.try_get("created_at")?,
                    body_sealed: r.try_get("body_sealed")?,
                })
            })
            .collect()
    }

    async fn events(&self, case: CaseId) -> Result<Vec<EventRecord>> {
        let rows = sqlx::query(
            "SELECT at, user_id, kind, from_state, to_state, from_agency_id, to_agency_id, \
             reasons_sealed, document_number, decision_date, legal_basis, detail \
             FROM case_events WHERE case_id = $1 ORDER BY id",
        )
        .bind(case.0)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EventRecord {
                    at: r.try_get("at")?,
                    user: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
                    kind: r.try_get("kind")?,
                    from_state: r
                        .try_get::<Option<String>, _>("from_state")?
                        .map(|s| state(&s))
                        .transpose()?,
                    to_state: state(&r.try_get::<String, _>("to_state")?)?,
                    from_agency: r.try_get::<Option<i64>, _>("from_agency_id")?.map(AgencyId),
                    to_agency: AgencyId(r.try_get("to_agency_id")?),
                    reasons_sealed: r.try_get("reasons_sealed")?,
                    document_number: r.try_get("document_number")?,
                    decision_date: r.try_get("decision_date")?,
                    legal_basis: r.try_get("legal_basis")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    async fn add_message(&self, m: &NewMessage, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let message: i64 = sqlx::query(
            "INSERT INTO messages (case_id, sender, user_id, created_at, body_sealed) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(m.case.0)
        .bind(m.sender.code())
        .bind(m.user.map(|u| u.0))
        .bind(m.now)
        .bind(m.body_sealed.clone())
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        if let Some(files) = &m.attachments {
            crate::evidence::adopt(&mut tx, m.case, Some(message), files).await?;
        }
        sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
            .bind(m.now)
            .bind(m.case.0)
            .execute(&mut *tx)
            .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn transition(&self, c: &CaseChange, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let done = sqlx::query(
            "UPDATE cases SET state = $1, agency_id = $2, updated_at = $3, \
             track = COALESCE($4, track), \
             forward_hops = forward_hops + $5, \
             forwarded_by = CASE WHEN $5 = 1 THEN agency_id WHEN $2 <> agency_id THEN NULL ELSE forwarded_by END, \
             assignee_id = COALESCE($6, assignee_id), due_on = $10, overdue = $11 \
             WHERE id = $7 AND state = $8 AND agency_id = $9",
        )
        .bind(c.new_state.code())
        .bind(c.new_agency.0)
        .bind(c.now)
        .bind(c.new_track.map(Track::code))
        .bind(i64::from(c.forwarded))
        .bind(c.assignee.map(|u| u.0))
        .bind(c.case.0)
        .bind(c.expected_state.code())
        .bind(c.expected_agency.0)
        .bind(c.due_on.clone())
        .bind(flag(c.overdue))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        update_clocks(&mut tx, c.case, &c.clock_updates).await?;
        insert_clocks(&mut tx, c.case, &c.new_clocks, c.now).await?;
        apply_wraps(&mut tx, c.case, &c.wraps).await?;
        if let Some((other, kind)) = &c.link {
            sqlx::query(
                "INSERT INTO case_links (case_id, linked_case_id, kind, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (case_id, linked_case_id) DO NOTHING",
            )
            .bind(c.case.0)
            .bind(other.0)
            .bind(kind.clone())
            .bind(c.now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO case_events (case_id, at, user_id, kind, from_state, to_state, \
             from_agency_id, to_agency_id, reasons_sealed, document_number, decision_date, \
             legal_basis, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(c.case.0)
        .bind(c.now)
        .bind(c.user.0)
        .bind(c.kind.clone())
        .bind(c.expected_state.code())
        .bind(c.new_state.code())
        .bind(c.expected_agency.0)
        .bind(c.new_agency.0)
        .bind(c.reasons_sealed.clone())
        .bind(c.document_number.clone())
        .bind(c.decision_date.clone())
        .bind(c.legal_basis.clone())
        .bind(c.detail.clone())
        .execute(&mut *tx)
        .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn exclusions(&self, case: CaseId) -> Result<Vec<Excluded>> {
        let rows = sqlx::query(
            "SELECT user_id, agency_id, reason FROM case_exclusions WHERE lifted_at IS NULL \
             AND (case_id = $1 \
             OR case_id IN (SELECT linked_case_id FROM case_links WHERE case_id = $1) \
             OR case_id IN (SELECT case_id FROM case_links WHERE linked_case_id = $1)) \
             ORDER BY id",
        )
        .bind(case.0)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let code: String = r.try_get("reason")?;
                let reason = ExclusionReason::from_code(&code)
                    .ok_or_else(|| StoreError::Corrupt(format!("exclusion reason {code}")))?;
                let user: Option<i64> = r.try_get("user_id")?;
                let agency: Option<i64> = r.try_get("agency_id")?;
                match (user, agency) {
                    (Some(u), _) => Ok(Excluded::User(UserId(u), reason)),
                    (None, Some(a)) => Ok(Excluded::LeadsOf(AgencyId(a), reason)),
                    (None, None) => Err(StoreError::Corrupt("exclusion of nobody".into())),
                }
            })
            .collect()
    }

    async fn chain_exclusions_under(&self, superior: AgencyId) -> Result<Vec<ChainExclusion>> {
        let rows = sqlx::query(
            "SELECT x.id, c.reference, x.agency_id, x.created_at FROM case_exclusions x \
             JOIN cases c ON c.id = x.case_id JOIN agencies a ON a.id = x.agency_id \
             WHERE x.reason = 'chain_of_command' AND x.lifted_at IS NULL \
             AND COALESCE(a.superior_id, (SELECT default_agency_id FROM organisation \
             WHERE id = 1)) = $1 ORDER BY x.id DESC LIMIT 200",
        )
        .bind(superior.0)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ChainExclusion {
                    id: r.try_get("id")?,
                    reference: r.try_get("reference")?,
                    agency: AgencyId(r.try_get("agency_id")?),
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn lift_exclusion(
        &self,
        id: i64,
        by: UserId,
        reasons: &str,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let done = sqlx::query(
            "UPDATE case_exclusions SET lifted_at = $1, lifted_by = $2, lift_reasons = $3 \
             WHERE id = $4 AND lifted_at IS NULL AND reason = 'chain_of_command'",
        )
        .bind(audit.at)
        .bind(by.0)
        .bind(reasons.to_owned())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn case_key_holders(&self, case: CaseId) -> Result<Vec<UserId>> {
        let rows = sqlx::query("SELECT user_id FROM case_keys WHERE case_id = $1 ORDER BY user_id")
            .bind(case.0)
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| Ok(UserId(r.try_get("user_id")?)))
            .collect()
    }

    async fn cases_held_by(&self, user: UserId) -> Result<Vec<CaseId>> {
        let rows = sqlx::query("SELECT case_id FROM case_keys WHERE user_id = $1 ORDER BY case_id")
            .bind(user.0)
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| Ok(CaseId(r.try_get("case_id")?)))
            .collect()
    }

    async fn change_keys(&self, c: &KeyChange, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        insert_exclusions(&mut tx, c.case, &c.exclusions, Some(c.by), c.now).await?;
        apply_wraps(&mut tx, c.case, &c.wraps).await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn deactivate_user(&self, user: UserId, audit: &AuditEntry) -> Result<u64> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let done = sqlx::query("UPDATE users SET active = 0 WHERE id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        // A leaver keeps no key and no session: the wraps go in the same transaction.
        let wraps = sqlx::query("DELETE FROM case_keys WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        let mut audit = audit.clone();
        audit.detail = serde_json::json!({ "user": user.0, "wraps_deleted": wraps }).to_string();
        append_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(wraps)
    }

    async fn set_agency_superior(
        &self,
        agency: AgencyId,
        superior: Option<AgencyId>,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let done = sqlx::query("UPDATE agencies SET superior_id = $1 WHERE id = $2")
            .bind(superior.map(|a| a.0))
            .bind(agency.0)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn links(&self, case: CaseId) -> Result<Vec<CaseLink>> {
        let rows = sqlx::query(
            "SELECT c.id, c.reference, l.kind FROM case_links l JOIN cases c ON c.id = l.linked_case_id \
             WHERE l.case_id = $1 \
             UNION ALL \
             SELECT c.id, c.reference, 'linked_from:' || l.kind FROM case_links l \
             JOIN cases c ON c.id = l.case_id WHERE l.linked_case_id = $1",
        )
        .bind(case.0)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseLink {
                    case: CaseId(r.try_get("id")?),
                    reference: r.try_get("reference")?,
                    kind: r.try_get("kind")?,
                })
            })
            .collect()
    }

    async fn staff_of(&self, agency: AgencyId) -> Result<Vec<UserRecord>> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE agency_id = $1 AND active = 1 ORDER BY username"
        ))
        .bind(agency.0)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(user_row)
        .collect()
    }

    async fn inbox(&self, q: &InboxQuery) -> Result<InboxPage> {
        let st = InboxStatements::of(q);
        let rows = bind_values(sqlx::query(&st.page), &st.values)
            .bind(st.per_page)
            .bind(st.offset)
            .fetch_all(&self.read)
            .await?;
        let total: i64 = bind_values(sqlx::query(&st.count), &st.values)
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        let rows = rows
            .iter()
            .map(|r| {
                Ok(InboxRow {
                    id: CaseId(r.try_get("id")?),
                    reference: r.try_get("reference")?,
                    agency: AgencyId(r.try_get("agency_id")?),
                    category: r.try_get("category")?,
                    state: state(&r.try_get::<String, _>("state")?)?,
                    received_at: r.try_get("received_at")?,
                    updated_at: r.try_get("updated_at")?,
                    anonymous: r.try_get::<i64, _>("anonymous")? != 0,
                    demo: r.try_get::<i64, _>("demo")? != 0,
                    track: r
                        .try_get::<Option<String>, _>("track")?
                        .as_deref()
                        .map(track)
                        .transpose()?,
                    due_on: r.try_get("due_on")?,
                    overdue: r.try_get::<i64, _>("overdue")? != 0,
                })
            })
            .collect::<Result<_>>()?;
        Ok(InboxPage {
            rows,
            total: total.min(INBOX_COUNT_CAP),
            total_capped: total > INBOX_COUNT_CAP,
        })
    }

    async fn clocks(&self, case: CaseId) -> Result<Vec<ClockRow>> {
        let rows = sqlx::query(
            "SELECT id, clock, rule_id, rule_set, agency_id, started_on, ops, due_on, completed_on, \
             met, breached_at FROM case_clocks WHERE case_id = $1 ORDER BY id",
        )
        .bind(case.0)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ClockRow {
                    id: r.try_get("id")?,
                    clock: r.try_get("clock")?,
                    rule_id: r.try_get("rule_id")?,
                    rule_set: r.try_get("rule_set")?,
                    agency: AgencyId(r.try_get("agency_id")?),
                    started_on: r.try_get("started_on")?,
                    ops: r.try_get("ops")?,
                    due_on: r.try_get("due_on")?,
                    completed_on: r.try_get("completed_on")?,
                    met: r.try_get::<Option<i64>, _>("met")?.map(|m| m != 0),
                    breached_at: r.try_get("breached_at")?,
                })
            })
            .collect()
    }

    async fn legal_documents(&self) -> Result<LegalDocuments> {
        let rule_sets =
            sqlx::query("SELECT effective_from, document FROM rule_sets ORDER BY effective_from")
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("effective_from")?, r.try_get("document")?)))
                .collect::<Result<_>>()?;
        let calendar_years = sqlx::query("SELECT year, document FROM calendar_years ORDER BY year")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("year")?, r.try_get("document")?)))
            .collect::<Result<_>>()?;
        Ok(LegalDocuments {
            rule_sets,
            calendar_years,
        })
    }

    async fn save_rule_set(
        &self,
        effective_from: &str,
        document: &str,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        sqlx::query(
            "INSERT INTO rule_sets (effective_from, document, imported_at) VALUES ($1, $2, $3) \
             ON CONFLICT (effective_from) DO UPDATE SET document = excluded.document, \
             imported_at = excluded.imported_at",
        )
        .bind(effective_from.to_owned())
        .bind(document.to_owned())
        .bind(audit.at)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn save_calendar_year(
        &self,
        year: i64,
        document: &str,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        sqlx::query(
            "INSERT INTO calendar_years (year, document, imported_at) VALUES ($1, $2, $3) \
             ON CONFLICT (year) DO UPDATE SET document = excluded.document, \
             imported_at = excluded.imported_at",
        )
        .bind(year)
        .bind(document.to_owned())
        .bind(audit.at)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, s: &NewSession) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, kind, user_id, case_id, sealed_key, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(s.token_hash.clone())
        .bind(s.kind.code())
        .bind(s.user.map(|u| u.0))
        .bind(s.case.map(|c| c.0))
        .bind(s.sealed_key.clone())
        .bind(s.now)
        .bind(s.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, token_hash: &[u8], now: i64) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT kind, user_id, case_id, sealed_key, expires_at FROM sessions \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash.to_vec())
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            let kind = match r.try_get::<String, _>("kind")?.as_str() {
                "staff" => SessionKind::Staff,
                "reporter" => SessionKind::Reporter,
                "staff_setup" => SessionKind::StaffSetup,
                other => return Err(StoreError::Corrupt(format!("unknown session kind {other}"))),
            };
            Ok(SessionRecord {
                kind,
                user: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
                case: r.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
                sealed_key: r.try_get("sealed_key")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_vec())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: i64) -> Result<u64> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        append_audit(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_log(&self) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, case_id, detail, prev_hash, hash, v FROM audit_log \
             ORDER BY seq",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(audit_row).collect()
    }

    async fn audit_search(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
        // Every filter is always bound; an absent one matches everything.
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, case_id, detail, prev_hash, hash, v FROM audit_log \
             WHERE ($1 = 0 OR case_id = $2) AND ($3 = '' OR actor = $3) \
             AND ($4 = '' OR action = $4) AND at >= $5 AND at < $6 \
             ORDER BY seq DESC LIMIT $7",
        )
        .bind(i64::from(q.case.is_some()))
        .bind(q.case.map_or(0, |c| c.0))
        .bind(q.actor.clone())
        .bind(q.action.clone())
        .bind(q.from)
        .bind(q.until)
        .bind(q.limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(audit_row).collect()
    }

    async fn audit_head(&self) -> Result<(i64, Vec<u8>)> {
        let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.read)
            .await?;
        Ok((r.try_get("seq")?, r.try_get("hash")?))
    }

    async fn audit_verify(
        &self,
        checkpoints: &[crate::Checkpoint],
    ) -> Result<std::result::Result<usize, crate::ChainError>> {
        // Head first: events appended while the log is read only make the log longer than it.
        let head = self.audit_head().await?;
        let mut records = self.audit_log().await?;
        records.retain(|r| r.seq <= head.0);
        Ok(crate::audit::verify(
            &self.audit_key,
            &records,
            Some(head),
            checkpoints,
        ))
    }

    async fn key_check(&self) -> Result<Option<Vec<u8>>> {
        let r = sqlx::query("SELECT key_check FROM organisation WHERE id = 1")
            .fetch_optional(&self.read)
            .await?;
        Ok(match r {
            Some(r) => r.try_get("key_check")?,
            None => None,
        })
    }

    async fn set_key_check(&self, value: &[u8]) -> Result<Vec<u8>> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        sqlx::query("UPDATE organisation SET key_check = $1 WHERE id = 1 AND key_check IS NULL")
            .bind(value.to_vec())
            .execute(&mut *tx)
            .await?;
        let r = sqlx::query("SELECT key_check FROM organisation WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        let stored: Option<Vec<u8>> = match r {
            Some(r) => r.try_get("key_check")?,
            None => None,
        };
        Ok(stored.unwrap_or_else(|| value.to_vec()))
    }
}
