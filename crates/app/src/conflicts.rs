//! Conflicts of interest on a case: an officer marked as accused, an officer who recuses
//! themselves. Their wraps of the case key are deleted in the same transaction as the
//! exclusion, and the key policy (`keys::holders`) never wraps for them again on this case or a
//! case linked to it. Marking an officer accused also keeps out their chain of command (the
//! leads of their agency).

use minhbach_domain::{
    can, Action, DomainError, Excluded, ExclusionReason, FieldError, ReasonText, UserId,
};
use minhbach_store::{AuditEntry, KeyChange};

use crate::access::{actor_code, staff_case};
use crate::sessions::StaffSession;
use crate::{keys, App, Result};

/// Records exclusions on a case and withdraws the key from everyone they cover.
async fn exclude(
    st: &App,
    s: &StaffSession,
    reference: &str,
    action: Action,
    new: Vec<Excluded>,
    audit_kind: &str,
) -> Result<()> {
    let (case, key) = staff_case(st, s, reference, action).await?;
    let mut exclusions = st.store.exclusions(case.id).await?;
    let fresh: Vec<Excluded> = new
        .into_iter()
        .filter(|e| !exclusions.contains(e))
        .collect();
    exclusions.extend(fresh.iter().copied());
    let current = st.store.case_key_holders(case.id).await?;
    let wraps = keys::plan_wraps(
        st,
        &case.facts(),
        &exclusions,
        &current,
        &key,
        &case.receipt_lookup,
    )
    .await?;
    let now = st.now();
    let detail = serde_json::json!({
        "excluded": fresh.iter().map(|e| match *e {
            Excluded::User(u, r) => serde_json::json!({ "user": u.0, "reason": r.code() }),
            Excluded::LeadsOf(a, r) => serde_json::json!({ "leads_of": a.0, "reason": r.code() }),
        }).collect::<Vec<_>>(),
        "wraps_deleted": wraps.remove.iter().map(|u| u.0).collect::<Vec<_>>(),
    });
    st.store
        .change_keys(
            &KeyChange {
                case: case.id,
                by: s.user.id,
                exclusions: fresh,
                wraps,
                now,
            },
            &AuditEntry::new(now, actor_code(s), audit_kind, Some(case.id)).with_detail(detail),
        )
        .await?;
    Ok(())
}

/// Marks a staff account as accused in the case (an intake officer or lead, from triage on).
/// The accused and the leads of their agency lose the key at once.
pub async fn mark_accused(
    st: &App,
    s: &StaffSession,
    reference: &str,
    accused_username: &str,
) -> Result<()> {
    let invalid = |code| {
        DomainError::Invalid(vec![FieldError {
            field: "accused",
            code,
        }])
    };
    let accused = st
        .store
        .user_by_username(accused_username.trim())
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| invalid("field-unknown-user"))?;
    if accused.id == s.user.id {
        return Err(invalid("field-accused-self").into());
    }
    let mut new = vec![Excluded::User(accused.id, ExclusionReason::Accused)];
    if let Some(agency) = accused.agency {
        new.push(Excluded::LeadsOf(agency, ExclusionReason::ChainOfCommand));
    }
    exclude(
        st,
        s,
        reference,
        Action::MarkAccused,
        new,
        "case.accused_marked",
    )
    .await
}

/// The signed-in officer withdraws from the case; their wrap is deleted at once.
pub async fn recuse(st: &App, s: &StaffSession, reference: &str) -> Result<()> {
    let me: UserId = s.user.id;
    exclude(
        st,
        s,
        reference,
        Action::Recuse,
        vec![Excluded::User(me, ExclusionReason::Recused)],
        "case.recused",
    )
    .await
}

/// The chain-of-command exclusions the signed-in lead's agency may lift: those of agencies that
/// answer to it.
pub async fn chain_exclusions(
    st: &App,
    s: &StaffSession,
) -> Result<Vec<minhbach_store::ChainExclusion>> {
    let Some(agency) = s.actor.agency else {
        return Err(DomainError::Forbidden.into());
    };
    if !can(
        &s.actor,
        Action::OverrideChainOfCommand,
        Some(&facts_of(agency)),
    ) {
        return Err(DomainError::Forbidden.into());
    }
    Ok(st.store.chain_exclusions_under(agency).await?)
}

fn facts_of(agency: minhbach_domain::AgencyId) -> minhbach_domain::CaseFacts {
    minhbach_domain::CaseFacts {
        agency,
        state: minhbach_domain::CaseState::Received,
        assignee: None,
        forward_hops: 0,
    }
}

/// The superior body's lead lifts a chain-of-command exclusion, with reasons: the excluded
/// agency's leads may hold the key again (they get it at the next decision or grant by someone
/// who holds it).
pub async fn override_chain(st: &App, s: &StaffSession, id: i64, reasons: &str) -> Result<()> {
    // Required and bounded; a problem is reported on the form's `reasons` field.
    let reasons = ReasonText::parse(reasons)?;
    let mine = chain_exclusions(st, s).await?;
    let Some(x) = mine.iter().find(|x| x.id == id) else {
        return Err(DomainError::NotFound.into());
    };
    let case = st
        .store
        .case_by_reference(&x.reference)
        .await?
        .ok_or(DomainError::NotFound)?;
    let audit = AuditEntry::new(
        st.now(),
        actor_code(s),
        "case.chain_override",
        Some(case.id),
    )
    .with_detail(serde_json::json!({ "exclusion": id, "leads_of": x.agency.0 }));
    Ok(st
        .store
        .lift_exclusion(id, s.user.id, reasons.as_str(), &audit)
        .await?)
}
