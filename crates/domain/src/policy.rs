//! Who may do what to which case. Every handler reaches a case only through [`can`]; one test
//! below walks every role against every action.

use crate::{AgencyId, CaseState, TransitionKind, UserId};

/// Staff roles (DESIGN.md "People and roles"). Separation of duties is built in: an admin,
/// overseer or auditor never reads report content, whatever else they hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    IntakeOfficer,
    Handler,
    AgencyLead,
    Overseer,
    Admin,
    Auditor,
    /// Holds one share of every reporter identity key; approves or refuses a handler's request
    /// to see a reporter's identity, never reads report content.
    Custodian,
    /// Assesses and decides protection of the people who report; never reads report content.
    ProtectionOfficer,
    /// An officer of a partner organisation (a Front committee, a people's inspection board, an
    /// association): registers reports for people and forwards them to the competent agency,
    /// then follows what it forwarded (state, deadlines, outcome), never the content.
    PartnerOfficer,
    /// An observer for the Fatherland Front (or another body of oversight outside the
    /// administration): sees the compliance figures of every agency, as overseers do, and the
    /// cases behind them as metadata; never a case itself.
    FrontObserver,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::IntakeOfficer,
        Role::Handler,
        Role::AgencyLead,
        Role::Overseer,
        Role::Admin,
        Role::Auditor,
        Role::Custodian,
        Role::ProtectionOfficer,
        Role::PartnerOfficer,
        Role::FrontObserver,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::IntakeOfficer => "intake_officer",
            Role::Handler => "handler",
            Role::AgencyLead => "agency_lead",
            Role::Overseer => "overseer",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
            Role::Custodian => "custodian",
            Role::ProtectionOfficer => "protection_officer",
            Role::PartnerOfficer => "partner_officer",
            Role::FrontObserver => "front_observer",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Roles that read report content, or release a reporter's identity, must sign in with a
    /// second factor (DESIGN.md property 7).
    pub fn requires_second_factor(self) -> bool {
        matches!(
            self,
            Role::IntakeOfficer
                | Role::Handler
                | Role::AgencyLead
                | Role::Custodian
                | Role::ProtectionOfficer
        )
    }

    /// Roles that belong to an agency (they work its cases); the others are organisation-wide
    /// (a custodian may sit in the procuracy, outside every agency of the platform).
    pub fn needs_agency(self) -> bool {
        matches!(
            self,
            Role::IntakeOfficer
                | Role::Handler
                | Role::AgencyLead
                | Role::ProtectionOfficer
                | Role::PartnerOfficer
        )
    }

    /// Roles that receive a wrap of a new case's key when it arrives at their agency: the people
    /// who must be able to open it without anyone else being online.
    pub fn receives_new_cases(self) -> bool {
        matches!(self, Role::IntakeOfficer | Role::AgencyLead)
    }

    /// Roles a lead may assign a case to, to verify and resolve it.
    pub fn takes_assignments(self) -> bool {
        self == Role::Handler
    }
}

/// A signed-in staff member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    /// `None` for organisation-wide roles (admin, overseer, auditor) that belong to no agency.
    pub agency: Option<AgencyId>,
    pub role: Role,
}

/// The facts about a case that access depends on (all in clear in the database).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseFacts {
    pub agency: AgencyId,
    pub state: CaseState,
    /// The handler the case is assigned to, if any.
    pub assignee: Option<UserId>,
    /// How many times the case has been forwarded (a second forwarding is "ping-pong").
    pub forward_hops: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See the list of the agency's cases (metadata only).
    ViewInbox,
    /// Open a case and read its decrypted content and messages.
    ReadCase,
    /// Send a message to the reporter.
    Reply,
    Transition(TransitionKind),
    /// Read and verify the audit log.
    VerifyAudit,
    /// Edit the organisation's dated legal data (deadline rules, working-day calendar).
    ManageLegalData,
    /// Run the organisation: agencies and their superior bodies, categories, staff accounts
    /// (create, deactivate, unlock, reset a second factor). Never any case content.
    ManageOrganisation,
    /// See the metadata (deadlines, states) of every agency's cases, not only one's own.
    ViewEveryAgency,
    /// Mark a staff account as accused in a case (its key is withdrawn from them and their
    /// chain of command): the intake desk and the lead, who work the case from the start.
    MarkAccused,
    /// Withdraw from a case one works on (a conflict of interest of one's own).
    Recuse,
    /// Register a report on behalf of a person who came in, phoned, wrote or was forwarded by
    /// another body: the intake desk and the lead, and partner officers.
    RegisterReport,
    /// Forward what one registers to the competent agency and follow it (state, deadlines,
    /// outcome; never content): partner officers.
    ForwardAsPartner,
    /// Release a report held for review (received beyond the submission budget), which starts
    /// its clocks: the intake desk and the lead.
    ReleaseHeld,
    /// Give the agency's officers who joined later the keys of its open cases.
    GrantKeys,
    /// See how many open cases each handler of the agency holds: the lead, who assigns them.
    ViewWorkload,
    /// See the compliance figures (counts, never content): overseers and Front observers of
    /// every agency, a lead of their own agency and the bodies under it.
    ViewFigures,
    /// See every agency's figures, not only one's own bodies'.
    ViewEveryAgencyFigures,
    /// Record what the agency did with a loophole proposal on its regulation: its lead.
    DecideRegulation,
    /// Decide a reporter's request to review a resolution (Law on Denunciation Art. 37): the
    /// lead of the superior body asked to review it (the facts name that body, not the case's).
    DecideReReview,
    /// Ask the custodians to release the reporter's identity to oneself.
    RequestDisclosure,
    /// Approve or refuse a request to release a reporter's identity.
    DecideDisclosure,
    /// Open protection for the reporter of a case on the agency's own initiative, or take the
    /// risk screen at triage: the officers who work the case.
    OpenProtection,
    /// Assess and decide protection (measures, end, refusal): the agency's protection officer.
    DecideProtection,
    /// See the list of the agency's protection cases.
    ViewProtection,
    /// Lift a chain-of-command exclusion, with reasons: the lead of the superior body of the
    /// excluded agency (`CaseFacts::agency` is that superior body).
    OverrideChainOfCommand,
    /// Place or lift a legal hold, which keeps a case's content past its retention period (a
    /// case under review, an important case): the lead of the case's agency.
    LegalHold,
}

/// Who takes a decision: the receiving desk at intake, the assigned handler during resolution,
/// and the agency lead, who may do both and alone signs extensions, terminations, assignments and
/// a second forwarding of the same case.
fn may_decide(role: Role, kind: TransitionKind, c: &CaseFacts) -> bool {
    use TransitionKind as K;
    let lead = role == Role::AgencyLead;
    let desk = matches!(role, Role::IntakeOfficer | Role::AgencyLead);
    let worker = matches!(role, Role::Handler | Role::AgencyLead);
    match kind {
        // Ping-pong: a case that was already forwarded moves on only on the lead's word.
        K::Forward if c.forward_hops >= 1 => lead,
        K::StartTriage
        | K::RefuseForwarded
        | K::Classify
        | K::Accept
        | K::NotAccept
        | K::Forward
        | K::MarkDuplicate
        | K::Archive => desk,
        K::Assign | K::Extend | K::Terminate => lead,
        // The desk that referred crime information follows it to the investigators' decision.
        K::ReferCriminal | K::ExtendReferral | K::RecordInvestigation => desk || worker,
        K::StartVerification
        | K::Suspend
        | K::Resume
        | K::Conclude
        | K::Handle
        | K::Publish
        | K::Close => worker,
    }
}

/// The one access decision. `case` is `None` for actions that concern no particular case.
pub fn can(actor: &Actor, action: Action, case: Option<&CaseFacts>) -> bool {
    let works_case = |c: &CaseFacts| {
        Some(c.agency) == actor.agency
            && match actor.role {
                Role::IntakeOfficer | Role::AgencyLead => true,
                Role::Handler => c.assignee == Some(actor.user),
                Role::Overseer
                | Role::Admin
                | Role::Auditor
                | Role::Custodian
                | Role::ProtectionOfficer
                | Role::PartnerOfficer
                | Role::FrontObserver => false,
            }
    };
    match (action, case) {
        // Overseers see the metadata of every agency's cases (deadlines, states), never content.
        (Action::ViewInbox, None) => matches!(
            actor.role,
            Role::IntakeOfficer | Role::Handler | Role::AgencyLead | Role::Overseer
        ),
        (Action::ReadCase | Action::Reply | Action::Recuse, Some(c)) => works_case(c),
        (Action::MarkAccused | Action::ReleaseHeld, Some(c)) => {
            works_case(c) && matches!(actor.role, Role::IntakeOfficer | Role::AgencyLead)
        }
        (Action::GrantKeys | Action::ViewWorkload, None) => actor.role == Role::AgencyLead,
        (Action::RegisterReport, None) => {
            matches!(
                actor.role,
                Role::IntakeOfficer | Role::AgencyLead | Role::PartnerOfficer
            ) && actor.agency.is_some()
        }
        (Action::ForwardAsPartner, None) => {
            actor.role == Role::PartnerOfficer && actor.agency.is_some()
        }
        // The person who verifies the denunciation, or the lead who signs its decisions.
        (Action::RequestDisclosure, Some(c)) => {
            works_case(c) && matches!(actor.role, Role::Handler | Role::AgencyLead)
        }
        (Action::DecideDisclosure, None) => actor.role == Role::Custodian,
        (Action::OpenProtection, Some(c)) => works_case(c),
        (Action::DecideProtection, Some(c)) => {
            actor.role == Role::ProtectionOfficer && actor.agency == Some(c.agency)
        }
        (Action::ViewProtection, None) => actor.role == Role::ProtectionOfficer,
        (Action::OverrideChainOfCommand | Action::LegalHold, Some(c)) => {
            actor.role == Role::AgencyLead && actor.agency == Some(c.agency)
        }
        (Action::Transition(kind), Some(c)) => works_case(c) && may_decide(actor.role, kind, c),
        (Action::VerifyAudit, None) => actor.role == Role::Auditor,
        (Action::ManageLegalData | Action::ManageOrganisation, None) => actor.role == Role::Admin,
        (Action::ViewEveryAgency, None) => actor.role == Role::Overseer,
        (Action::ViewFigures, None) => match actor.role {
            Role::Overseer | Role::FrontObserver => true,
            Role::AgencyLead => actor.agency.is_some(),
            _ => false,
        },
        (Action::DecideRegulation, Some(c)) => works_case(c) && actor.role == Role::AgencyLead,
        (Action::DecideReReview, Some(c)) => {
            actor.role == Role::AgencyLead && actor.agency == Some(c.agency)
        }
        (Action::ViewEveryAgencyFigures, None) => {
            matches!(actor.role, Role::Overseer | Role::FrontObserver)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, agency: i64) -> Actor {
        Actor {
            user: UserId(7),
            agency: Some(AgencyId(agency)),
            role,
        }
    }

    fn case(agency: i64, assignee: Option<i64>) -> CaseFacts {
        CaseFacts {
            agency: AgencyId(agency),
            state: CaseState::Received,
            assignee: assignee.map(UserId),
            forward_hops: 0,
        }
    }

    fn all_actions() -> Vec<Action> {
        let mut v = vec![
            Action::ViewInbox,
            Action::ReadCase,
            Action::Reply,
            Action::VerifyAudit,
            Action::ManageLegalData,
            Action::ManageOrganisation,
            Action::ViewEveryAgency,
            Action::MarkAccused,
            Action::ReleaseHeld,
            Action::LegalHold,
            Action::Recuse,
            Action::GrantKeys,
            Action::ViewWorkload,
            Action::ViewFigures,
            Action::ViewEveryAgencyFigures,
            Action::DecideRegulation,
            Action::DecideReReview,
            Action::RegisterReport,
            Action::ForwardAsPartner,
            Action::RequestDisclosure,
            Action::DecideDisclosure,
            Action::OpenProtection,
            Action::DecideProtection,
            Action::ViewProtection,
            Action::OverrideChainOfCommand,
        ];
        v.extend(TransitionKind::ALL.into_iter().map(Action::Transition));
        v
    }

    /// Who may take a decision on a case of their own agency (assigned to them, for handlers).
    fn decides(role: Role, kind: TransitionKind) -> bool {
        use TransitionKind as K;
        let desk = [
            K::StartTriage,
            K::RefuseForwarded,
            K::Classify,
            K::Accept,
            K::NotAccept,
            K::Forward,
            K::MarkDuplicate,
            K::Archive,
        ];
        let lead_only = [K::Assign, K::Extend, K::Terminate];
        match role {
            Role::AgencyLead => true,
            Role::IntakeOfficer => {
                desk.contains(&kind)
                    || matches!(
                        kind,
                        K::ReferCriminal | K::ExtendReferral | K::RecordInvestigation
                    )
            }
            Role::Handler => !desk.contains(&kind) && !lead_only.contains(&kind),
            _ => false,
        }
    }

    /// The whole access table, role by role. A change to `can` that is not reflected here fails.
    #[test]
    fn every_role_against_every_action() {
        use Role::*;
        for role in Role::ALL {
            for action in all_actions() {
                let own = can(&actor(role, 1), action, Some(&case(1, None)));
                let own_assigned = can(&actor(role, 1), action, Some(&case(1, Some(7))));
                let other = can(&actor(role, 2), action, Some(&case(1, Some(7))));
                let no_case = can(&actor(role, 1), action, None);
                let (expected_own, expected_assigned) = match action {
                    Action::ReadCase | Action::Reply | Action::Recuse | Action::OpenProtection => (
                        matches!(role, IntakeOfficer | AgencyLead),
                        matches!(role, IntakeOfficer | AgencyLead | Handler),
                    ),
                    Action::MarkAccused | Action::ReleaseHeld => (
                        matches!(role, IntakeOfficer | AgencyLead),
                        matches!(role, IntakeOfficer | AgencyLead),
                    ),
                    Action::RequestDisclosure => {
                        (role == AgencyLead, matches!(role, AgencyLead | Handler))
                    }
                    Action::DecideProtection => {
                        (role == ProtectionOfficer, role == ProtectionOfficer)
                    }
                    Action::OverrideChainOfCommand
                    | Action::LegalHold
                    | Action::DecideRegulation
                    | Action::DecideReReview => (role == AgencyLead, role == AgencyLead),
                    Action::Transition(kind) => {
                        let handler = role == Handler;
                        (decides(role, kind) && !handler, decides(role, kind))
                    }
                    _ => (false, false),
                };
                let expected_no_case = match action {
                    Action::ViewInbox => {
                        matches!(role, IntakeOfficer | Handler | AgencyLead | Overseer)
                    }
                    Action::VerifyAudit => role == Auditor,
                    Action::ManageLegalData | Action::ManageOrganisation => role == Admin,
                    Action::ViewEveryAgency => role == Overseer,
                    Action::ViewFigures => matches!(role, Overseer | FrontObserver | AgencyLead),
                    Action::ViewEveryAgencyFigures => matches!(role, Overseer | FrontObserver),
                    Action::GrantKeys | Action::ViewWorkload => role == AgencyLead,
                    Action::RegisterReport => {
                        matches!(role, IntakeOfficer | AgencyLead | PartnerOfficer)
                    }
                    Action::ForwardAsPartner => role == PartnerOfficer,
                    Action::DecideDisclosure => role == Custodian,
                    Action::ViewProtection => role == ProtectionOfficer,
                    _ => false,
                };
                assert_eq!(own, expected_own, "{role:?} {action:?} own case");
                assert_eq!(
                    own_assigned, expected_assigned,
                    "{role:?} {action:?} assigned"
                );
                assert!(
                    !other,
                    "{role:?} {action:?} must never reach another agency's case"
                );
                assert_eq!(
                    no_case, expected_no_case,
                    "{role:?} {action:?} without case"
                );
            }
        }
    }

    #[test]
    fn a_second_forwarding_needs_the_agency_lead() {
        let mut c = case(1, None);
        c.forward_hops = 1;
        let forward = Action::Transition(TransitionKind::Forward);
        assert!(!can(&actor(Role::IntakeOfficer, 1), forward, Some(&c)));
        assert!(can(&actor(Role::AgencyLead, 1), forward, Some(&c)));
    }

    #[test]
    fn admins_overseers_auditors_and_custodians_never_read_content() {
        for role in [
            Role::Admin,
            Role::Overseer,
            Role::Auditor,
            Role::Custodian,
            Role::ProtectionOfficer,
        ] {
            assert!(!can(
                &actor(role, 1),
                Action::ReadCase,
                Some(&case(1, Some(7)))
            ));
        }
    }
}
