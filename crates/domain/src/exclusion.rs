//! Conflicts of interest, decided before anyone reads (Law on Denunciation 2018 Art. 13–15 on
//! competence for denunciations against heads; DESIGN.md property 4: the accused and their chain
//! of command never receive any wrap).
//!
//! An exclusion names either one staff account (accused in the case, or recused) or an agency
//! whose leads are kept out (the agency the accused leads, or the agency of an accused officer:
//! their chain of command). Exclusions are kept with the case and apply to its linked cases too;
//! the key policy (`app::keys::holders`) never wraps a case key for an excluded person.

use crate::{AgencyId, Role, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExclusionReason {
    /// Marked as accused in the case by an intake officer or lead.
    Accused,
    /// Withdrew from the case of their own accord.
    Recused,
    /// The leads of an accused officer's agency.
    ChainOfCommand,
    /// The reporter said the person reported leads this agency.
    AccusedLeads,
}

impl ExclusionReason {
    pub const ALL: [ExclusionReason; 4] = [
        ExclusionReason::Accused,
        ExclusionReason::Recused,
        ExclusionReason::ChainOfCommand,
        ExclusionReason::AccusedLeads,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ExclusionReason::Accused => "accused",
            ExclusionReason::Recused => "recused",
            ExclusionReason::ChainOfCommand => "chain_of_command",
            ExclusionReason::AccusedLeads => "accused_leads",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// Who is kept from a case's key, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Excluded {
    /// One staff account.
    User(UserId, ExclusionReason),
    /// Every lead of an agency, present and future.
    LeadsOf(AgencyId, ExclusionReason),
}

impl Excluded {
    /// Whether this exclusion keeps the given staff member out.
    pub fn covers(&self, user: UserId, agency: Option<AgencyId>, role: Role) -> bool {
        match *self {
            Excluded::User(u, _) => u == user,
            Excluded::LeadsOf(a, _) => role == Role::AgencyLead && agency == Some(a),
        }
    }

    pub fn reason(&self) -> ExclusionReason {
        match *self {
            Excluded::User(_, r) | Excluded::LeadsOf(_, r) => r,
        }
    }
}

/// The agency whose leads-exclusions cover this staff member: the one they lead, if they lead.
pub fn led_agency(actor: &crate::Actor) -> Option<AgencyId> {
    actor.agency.filter(|_| actor.role == Role::AgencyLead)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leads_exclusion_covers_present_and_future_leads_of_that_agency_only() {
        let e = Excluded::LeadsOf(AgencyId(3), ExclusionReason::AccusedLeads);
        assert!(e.covers(UserId(1), Some(AgencyId(3)), Role::AgencyLead));
        assert!(e.covers(UserId(99), Some(AgencyId(3)), Role::AgencyLead));
        assert!(!e.covers(UserId(1), Some(AgencyId(3)), Role::IntakeOfficer));
        assert!(!e.covers(UserId(1), Some(AgencyId(4)), Role::AgencyLead));
    }

    #[test]
    fn a_personal_exclusion_covers_that_account_in_any_role() {
        let e = Excluded::User(UserId(5), ExclusionReason::Recused);
        assert!(e.covers(UserId(5), Some(AgencyId(1)), Role::Handler));
        assert!(!e.covers(UserId(6), Some(AgencyId(1)), Role::Handler));
        for r in ExclusionReason::ALL {
            assert_eq!(ExclusionReason::from_code(r.code()), Some(r));
        }
    }
}
