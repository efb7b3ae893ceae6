//! Access to a case by a signed-in officer: the case with its key, when the policy and the key
//! table both allow it; the actor's code in the audit log; agency names as readers see them.
//! Shared by every capability that acts on a case (casework, conflicts, identity, protection).

use minhbach_crypto::{self as crypto, SymmetricKey};
use minhbach_domain::{can, Action, AgencyId, DomainError, TransitionKind};
use minhbach_store::{Agency, CaseRecord};
use serde::Serialize;

use crate::keys::staff_wrap_aad;
use crate::sessions::StaffSession;
use crate::{App, Lang, Result};

/// An agency's name in both languages.
#[derive(Clone, Debug, Serialize)]
pub struct AgencyName {
    pub id: i64,
    pub name_vi: String,
    pub name_en: String,
}

impl AgencyName {
    pub fn find(agencies: &[Agency], id: AgencyId) -> Self {
        agencies.iter().find(|a| a.id == id).map_or_else(
            || AgencyName {
                id: id.0,
                name_vi: id.to_string(),
                name_en: id.to_string(),
            },
            |a| AgencyName {
                id: a.id.0,
                name_vi: a.name_vi.clone(),
                name_en: a.name_en.clone(),
            },
        )
    }

    pub fn name(&self, lang: impl std::borrow::Borrow<Lang>) -> String {
        if *lang.borrow() == Lang::Vi {
            self.name_vi.clone()
        } else {
            self.name_en.clone()
        }
    }
}

/// Loads a case the staff member may act on, with its key. A case of another agency answers
/// exactly like a case that does not exist.
pub(crate) async fn staff_case(
    st: &App,
    s: &StaffSession,
    reference: &str,
    action: Action,
) -> Result<(CaseRecord, SymmetricKey)> {
    let case = st
        .store
        .case_by_reference(reference)
        .await?
        .ok_or(DomainError::NotFound)?;
    let facts = case.facts();
    // Whoever may not read the case learns nothing about it, not even that it exists.
    if !can(&s.actor, Action::ReadCase, Some(&facts)) {
        return Err(DomainError::NotFound.into());
    }
    // Whoever may read it is told plainly why a decision is not theirs to take.
    if !can(&s.actor, action, Some(&facts)) {
        let ping_pong =
            action == Action::Transition(TransitionKind::Forward) && facts.forward_hops >= 1;
        return Err(if ping_pong {
            DomainError::SecondForwardNeedsLead
        } else {
            DomainError::Forbidden
        }
        .into());
    }
    let wrapped = st
        .store
        .case_key_for(case.id, s.user.id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let key = crypto::unwrap_with_secret(
        &s.secret_key,
        &wrapped,
        &staff_wrap_aad(&case.receipt_lookup, s.user.id),
    )?;
    Ok((case, key))
}

pub(crate) fn actor_code(s: &StaffSession) -> String {
    format!("user:{}", s.user.id.0)
}

/// A lead gives the officers of their agency who joined later (or were reassigned to it) the
/// keys of its open cases, re-wrapping each case key from the lead's own wrap. Each case whose
/// holders change gets its audit event. Returns the number of cases changed.
pub async fn grant_open_cases(st: &App, s: &StaffSession) -> Result<usize> {
    if !can(&s.actor, Action::GrantKeys, None) {
        return Err(DomainError::Forbidden.into());
    }
    let mut changed = 0;
    for id in st.store.cases_held_by(s.user.id).await? {
        let Some(case) = st.store.case(id).await? else {
            continue;
        };
        if case.state.is_final() || Some(case.agency) != s.actor.agency {
            continue;
        }
        let Some(wrapped) = st.store.case_key_for(case.id, s.user.id).await? else {
            continue;
        };
        let key = crypto::unwrap_with_secret(
            &s.secret_key,
            &wrapped,
            &staff_wrap_aad(&case.receipt_lookup, s.user.id),
        )?;
        let exclusions = st.store.exclusions(case.id).await?;
        let current = st.store.case_key_holders(case.id).await?;
        let wraps = crate::keys::plan_wraps(
            st,
            &case.facts(),
            &exclusions,
            &current,
            &key,
            &case.receipt_lookup,
        )
        .await?;
        if wraps.is_empty() {
            continue;
        }
        let now = st.now();
        let detail = serde_json::json!({
            "granted": wraps.add.iter().map(|(u, _)| u.0).collect::<Vec<_>>(),
            "withdrawn": wraps.remove.iter().map(|u| u.0).collect::<Vec<_>>(),
        });
        st.store
            .change_keys(
                &minhbach_store::KeyChange {
                    case: case.id,
                    by: s.user.id,
                    exclusions: Vec::new(),
                    wraps,
                    now,
                },
                &minhbach_store::AuditEntry::new(
                    now,
                    format!("user:{}", s.user.id.0),
                    "case.keys_granted",
                    Some(case.id),
                )
                .with_detail(detail),
            )
            .await?;
        changed += 1;
    }
    Ok(changed)
}
