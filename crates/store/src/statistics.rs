//! What the figures are computed from (each case's events, clocks and escalation requests, read
//! in batches of cases) and the published figures themselves. `app::statistics` computes and
//! checks; this module only reads and writes.

use minhbach_domain::statistics::{
    ClockFact, DisclosureFact, EventFact, History, ProtectionFact, ReReviewFact,
};
use minhbach_domain::{AgencyId, CaseId};
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::sql::{append_audit, SqlStore};
use crate::write::WriteKind;
use crate::{Result, StoreError};

/// Figures as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FigureSnapshot {
    pub id: i64,
    /// The last day counted (ISO).
    pub as_of: String,
    pub computed_at: i64,
    /// The audit log's sequence number of the publication.
    pub audit_seq: i64,
    /// SHA-256 of `cells`, hex.
    pub digest: String,
    /// The cells as JSON (see `app::statistics`).
    pub cells: String,
}

/// A publication without its cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FigureDay {
    pub id: i64,
    pub as_of: String,
    pub computed_at: i64,
    pub audit_seq: i64,
    pub digest: String,
}

#[async_trait::async_trait]
pub trait StatisticsStore: Send + Sync {
    /// The histories of up to `limit` cases with ids above `after` received before `end`
    /// (events before it only), in id order. Receipt days are taken at `offset`.
    async fn histories(
        &self,
        after: CaseId,
        limit: i64,
        end: i64,
        offset: time::UtcOffset,
    ) -> Result<Vec<(CaseId, History)>>;
    /// Publishes figures; the audit entry is appended in the same transaction and its sequence
    /// number recorded with them. `Ok(None)` if figures as of that day were published already.
    async fn publish_figures(
        &self,
        as_of: &str,
        computed_at: i64,
        digest: &str,
        cells: &str,
        audit: &AuditEntry,
    ) -> Result<Option<i64>>;
    /// The publications, newest first.
    async fn figure_days(&self) -> Result<Vec<FigureDay>>;
    /// The figures of one publication, or the newest one.
    async fn figures(&self, id: Option<i64>) -> Result<Option<FigureSnapshot>>;
}

fn date(s: &str) -> Result<time::Date> {
    time::Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| StoreError::Corrupt(format!("date {s}")))
}

#[async_trait::async_trait]
impl StatisticsStore for SqlStore {
    async fn histories(
        &self,
        after: CaseId,
        limit: i64,
        end: i64,
        offset: time::UtcOffset,
    ) -> Result<Vec<(CaseId, History)>> {
        let cases = sqlx::query(
            "SELECT id, received_at, category, channel, partner_id FROM cases \
             WHERE id > $1 AND received_at < $2 ORDER BY id LIMIT $3",
        )
        .bind(after.0)
        .bind(end)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        let Some(last) = cases.last() else {
            return Ok(vec![]);
        };
        let (first, last): (i64, i64) = (cases[0].try_get("id")?, last.try_get("id")?);
        let mut out = Vec::with_capacity(cases.len());
        let mut index = std::collections::HashMap::with_capacity(cases.len());
        for r in &cases {
            let received_at: i64 = r.try_get("received_at")?;
            let received_on = time::OffsetDateTime::from_unix_timestamp(received_at)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?
                .to_offset(offset)
                .date();
            let id: i64 = r.try_get("id")?;
            index.insert(id, out.len());
            out.push((
                CaseId(id),
                History {
                    received_at,
                    received_on,
                    category: r.try_get("category")?,
                    channel: r.try_get("channel")?,
                    partner: r.try_get::<Option<i64>, _>("partner_id")?.map(AgencyId),
                    events: vec![],
                    clocks: vec![],
                    escalations: vec![],
                    feedback: None,
                    re_review: None,
                    protections: vec![],
                    disclosures: vec![],
                },
            ));
        }
        let events = sqlx::query(
            "SELECT case_id, at, kind, from_agency_id, to_agency_id, detail FROM case_events \
             WHERE case_id >= $1 AND case_id <= $2 AND at < $3 ORDER BY case_id, id",
        )
        .bind(first)
        .bind(last)
        .bind(end)
        .fetch_all(&self.read)
        .await?;
        for r in &events {
            let Some(i) = index.get(&r.try_get::<i64, _>("case_id")?) else {
                continue;
            };
            let detail: String = r.try_get("detail")?;
            let detail: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&detail).unwrap_or_default();
            let code = |k: &str| detail.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            out[*i].1.events.push(EventFact {
                at: r.try_get("at")?,
                kind: r.try_get("kind")?,
                from_agency: r.try_get::<Option<i64>, _>("from_agency_id")?.map(AgencyId),
                to_agency: AgencyId(r.try_get("to_agency_id")?),
                finding: code("finding"),
                outcome: code("outcome"),
            });
        }
        let clocks = sqlx::query(
            "SELECT case_id, clock, agency_id, completed_on, met, breached_at, due_on FROM case_clocks \
             WHERE case_id >= $1 AND case_id <= $2 ORDER BY case_id, id",
        )
        .bind(first)
        .bind(last)
        .fetch_all(&self.read)
        .await?;
        for r in &clocks {
            let Some(i) = index.get(&r.try_get::<i64, _>("case_id")?) else {
                continue;
            };
            let completed: Option<String> = r.try_get("completed_on")?;
            let due: Option<String> = r.try_get("due_on")?;
            out[*i].1.clocks.push(ClockFact {
                clock: r.try_get("clock")?,
                agency: AgencyId(r.try_get("agency_id")?),
                completed_on: completed.as_deref().map(date).transpose()?,
                met: r.try_get::<Option<i64>, _>("met")?.map(|m| m != 0),
                breached_at: r.try_get("breached_at")?,
                due_on: due.as_deref().map(date).transpose()?,
            });
        }
        let escalations = sqlx::query(
            "SELECT case_id, requested_at FROM escalation_requests \
             WHERE case_id >= $1 AND case_id <= $2 ORDER BY case_id, id",
        )
        .bind(first)
        .bind(last)
        .fetch_all(&self.read)
        .await?;
        for r in &escalations {
            if let Some(i) = index.get(&r.try_get::<i64, _>("case_id")?) {
                out[*i].1.escalations.push(r.try_get("requested_at")?);
            }
        }
        let answers = sqlx::query(
            "SELECT case_id, satisfied, answered_at FROM outcome_feedback \
             WHERE case_id >= $1 AND case_id <= $2",
        )
        .bind(first)
        .bind(last)
        .fetch_all(&self.read)
        .await?;
        for r in &answers {
            if let Some(i) = index.get(&r.try_get::<i64, _>("case_id")?) {
                let satisfied: i64 = r.try_get("satisfied")?;
                out[*i].1.feedback = Some((r.try_get("answered_at")?, satisfied == 1));
            }
        }
        let reviews = sqlx::query(
            "SELECT case_id, requested_at, decided_at, outcome FROM re_review_requests \
             WHERE case_id >= $1 AND case_id <= $2",
        )
        .bind(first)
        .bind(last)
        .fetch_all(&self.read)
        .await?;
        for r in &reviews {
            if let Some(i) = index.get(&r.try_get::<i64, _>("case_id")?) {
                out[*i].1.re_review = Some(ReReviewFact {
                    requested_at: r.try_get("requested_at")?,
                    decided_at: r.try_get("decided_at")?,
                    outcome: r.try_get("outcome")?,
                });
            }
        }
        // Protection cases with their steps (codes and states only, never the sealed texts).
        let steps = sqlx::query(
            "SELECT p.id, p.case_id, p.agency_id, p.opened_by, p.created_at, e.at, e.step, \
             e.to_state FROM protection_cases p \
             LEFT JOIN protection_events e ON e.protection_id = p.id \
             WHERE p.case_id >= $1 AND p.case_id <= $2 ORDER BY p.case_id, p.id, e.id",
        )
        .bind(first)
        .bind(last)
        .fetch_all(&self.read)
        .await?;
        let mut current: Option<i64> = None;
        for r in &steps {
            let Some(i) = index.get(&r.try_get::<i64, _>("case_id")?) else {
                continue;
            };
            let id: i64 = r.try_get("id")?;
            let protections = &mut out[*i].1.protections;
            if current != Some(id) {
                current = Some(id);
                protections.push(ProtectionFact {
                    agency: AgencyId(r.try_get("agency_id")?),
                    opened_at: r.try_get("created_at")?,
                    opened_by: r.try_get("opened_by")?,
                    steps: vec![],
                });
            }
            if let (Some(at), Some(step), Some(to)) = (
                r.try_get::<Option<i64>, _>("at")?,
                r.try_get::<Option<String>, _>("step")?,
                r.try_get::<Option<String>, _>("to_state")?,
            ) {
                if let Some(p) = protections.last_mut() {
                    p.steps.push((at, step, to));
                }
            }
        }
        let disclosures = sqlx::query(
            "SELECT case_id, agency_id, created_at, quorum_at FROM disclosure_requests \
             WHERE case_id >= $1 AND case_id <= $2 ORDER BY case_id, id",
        )
        .bind(first)
        .bind(last)
        .fetch_all(&self.read)
        .await?;
        for r in &disclosures {
            if let Some(i) = index.get(&r.try_get::<i64, _>("case_id")?) {
                out[*i].1.disclosures.push(DisclosureFact {
                    agency: AgencyId(r.try_get("agency_id")?),
                    requested_at: r.try_get("created_at")?,
                    approved_at: r.try_get("quorum_at")?,
                });
            }
        }
        Ok(out)
    }

    async fn publish_figures(
        &self,
        as_of: &str,
        computed_at: i64,
        digest: &str,
        cells: &str,
        audit: &AuditEntry,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let taken = sqlx::query("SELECT id FROM figure_snapshots WHERE as_of = $1")
            .bind(as_of.to_owned())
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Ok(None);
        }
        append_audit(&mut tx, audit).await?;
        let seq: i64 = sqlx::query("SELECT seq FROM audit_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?
            .try_get("seq")?;
        let id: i64 = sqlx::query(
            "INSERT INTO figure_snapshots (as_of, computed_at, audit_seq, digest, cells) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(as_of.to_owned())
        .bind(computed_at)
        .bind(seq)
        .bind(digest.to_owned())
        .bind(cells.to_owned())
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        Ok(Some(id))
    }

    async fn figure_days(&self) -> Result<Vec<FigureDay>> {
        let rows = sqlx::query(
            "SELECT id, as_of, computed_at, audit_seq, digest FROM figure_snapshots \
             ORDER BY as_of DESC",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FigureDay {
                    id: r.try_get("id")?,
                    as_of: r.try_get("as_of")?,
                    computed_at: r.try_get("computed_at")?,
                    audit_seq: r.try_get("audit_seq")?,
                    digest: r.try_get("digest")?,
                })
            })
            .collect()
    }

    async fn figures(&self, id: Option<i64>) -> Result<Option<FigureSnapshot>> {
        let row = sqlx::query(
            "SELECT id, as_of, computed_at, audit_seq, digest, cells FROM figure_snapshots \
             WHERE id = $1 OR $1 = 0 ORDER BY as_of DESC LIMIT 1",
        )
        .bind(id.unwrap_or(0))
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(FigureSnapshot {
                id: r.try_get("id")?,
                as_of: r.try_get("as_of")?,
                computed_at: r.try_get("computed_at")?,
                audit_seq: r.try_get("audit_seq")?,
                digest: r.try_get("digest")?,
                cells: r.try_get("cells")?,
            })
        })
        .transpose()
    }
}
