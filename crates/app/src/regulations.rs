//! Loophole proposals on regulations (issue 8, must-have 9). Anyone points at a regulation or
//! an administrative procedure that opens a door to corruption: a report of the category
//! `regulation` naming the document and article (`intake`), which goes to the body that issued
//! it and runs its deadlines like any case. The body's lead records what was done about it
//! (amended, proposed to the competent level, or rejected with public reasons); the public page
//! lists the proposals by regulation with their outcome, never the reporter or the text.

use minhbach_domain::report::RegulationOutcome;
use minhbach_domain::{Action, DomainError};
use minhbach_store::{AuditEntry, RegulationRecord};

use crate::access::{actor_code, staff_case};
use crate::sessions::StaffSession;
use crate::{App, Result};

/// How many proposals the public page lists.
pub const PUBLIC_LIMIT: i64 = 1_000;

/// The regulation of a case the staff member may read, if it is a loophole proposal.
pub async fn of_case(
    st: &App,
    s: &StaffSession,
    reference: &str,
) -> Result<Option<RegulationRecord>> {
    let (case, _) = staff_case(st, s, reference, Action::ReadCase).await?;
    Ok(st.store.regulation_of(case.id).await?)
}

/// The lead of the agency holding the proposal records what was done about the regulation:
/// once; a second outcome is refused.
pub async fn record_outcome(
    st: &App,
    s: &StaffSession,
    reference: &str,
    outcome: &str,
    explanation: &str,
) -> Result<RegulationOutcome> {
    let (case, _) = staff_case(st, s, reference, Action::DecideRegulation).await?;
    if st.store.regulation_of(case.id).await?.is_none() {
        return Err(DomainError::NotFound.into());
    }
    let (outcome, explanation) = RegulationOutcome::parse(outcome, explanation)?;
    let audit = AuditEntry::new(st.now(), actor_code(s), "regulation.outcome", Some(case.id))
        .with_detail(serde_json::json!({ "outcome": outcome.code() }));
    if !st
        .store
        .record_regulation_outcome(case.id, outcome.code(), &explanation, s.user.id, &audit)
        .await?
    {
        return Err(DomainError::AlreadyDecided.into());
    }
    Ok(outcome)
}

/// Every proposal, by regulation: what anyone may see.
pub async fn public(st: &App) -> Result<Vec<RegulationRecord>> {
    Ok(st.store.regulations(PUBLIC_LIMIT).await?)
}
