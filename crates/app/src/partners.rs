//! Partner organisations (issue 8, must-have 2): a Front committee, a people's inspection board
//! or an association registers reports for people and forwards them to the competent agency
//! (`intake::register_idempotent`), then follows what it forwarded, if the person agreed at
//! intake: state, responsible body, deadlines, on time or late, outcome. Never another case,
//! never the content or what the agency adds internally.

use minhbach_domain::{can, Action, DomainError};
use minhbach_store::AuditEntry;

use crate::casework::CaseView;
use crate::sessions::StaffSession;
use crate::{App, Result};

/// How many forwarded cases the partner's page lists.
pub const LIST_LIMIT: i64 = 500;

fn partner_of(s: &StaffSession) -> Result<minhbach_domain::AgencyId> {
    match s.actor.agency {
        Some(a) if can(&s.actor, Action::ForwardAsPartner, None) => Ok(a),
        _ => Err(DomainError::Forbidden.into()),
    }
}

/// The cases the partner forwarded and may follow, newest first, as metadata.
pub async fn forwarded(st: &App, s: &StaffSession) -> Result<Vec<CaseView>> {
    let partner = partner_of(s)?;
    let mut out = Vec::new();
    for case in st.store.partner_cases(partner, LIST_LIMIT).await? {
        out.push(crate::casework::partner_view(st, &case).await?);
    }
    Ok(out)
}

/// One forwarded case; any other case (or one the person did not let the partner follow) is
/// not found, exactly like a case that does not exist.
pub async fn forwarded_case(st: &App, s: &StaffSession, reference: &str) -> Result<CaseView> {
    let partner = partner_of(s)?;
    let case = st
        .store
        .case_by_reference(reference.trim())
        .await?
        .filter(|c| c.partner_following == Some(partner))
        .ok_or(DomainError::NotFound)?;
    let view = crate::casework::partner_view(st, &case).await?;
    st.store
        .audit(&AuditEntry::new(
            st.now(),
            format!("user:{}", s.user.id.0),
            "case.followed_by_partner",
            Some(case.id),
        ))
        .await?;
    Ok(view)
}
