//! Protection of the person who reports, as a case of its own (Law on Denunciation 2018 ch. VI,
//! Art. 47–58; Decree 31/2019/ND-CP): who may be protected, the states a protection case moves
//! through, the measures, and the risk screen at triage. No I/O.

use crate::{DomainError, FieldError};

/// The people a protection request may cover (Law on Denunciation 2018 Art. 47(2): the
/// denouncer and their spouse, parents and children).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Person {
    Myself,
    Spouse,
    Parent,
    Child,
}

impl Person {
    pub const ALL: [Person; 4] = [
        Person::Myself,
        Person::Spouse,
        Person::Parent,
        Person::Child,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Person::Myself => "self",
            Person::Spouse => "spouse",
            Person::Parent => "parent",
            Person::Child => "child",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// Protection measures (Law on Denunciation 2018 Art. 48: confidentiality of information, job
/// position, life and health, property, honour and dignity).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MeasureKind {
    Confidentiality,
    JobPosition,
    LifeHealth,
    Property,
    Honour,
}

impl MeasureKind {
    pub const ALL: [MeasureKind; 5] = [
        MeasureKind::Confidentiality,
        MeasureKind::JobPosition,
        MeasureKind::LifeHealth,
        MeasureKind::Property,
        MeasureKind::Honour,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MeasureKind::Confidentiality => "confidentiality",
            MeasureKind::JobPosition => "job_position",
            MeasureKind::LifeHealth => "life_health",
            MeasureKind::Property => "property",
            MeasureKind::Honour => "honour",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtectionState {
    Requested,
    Assessing,
    Active,
    Modified,
    Ended,
    Rejected,
}

impl ProtectionState {
    pub const ALL: [ProtectionState; 6] = [
        ProtectionState::Requested,
        ProtectionState::Assessing,
        ProtectionState::Active,
        ProtectionState::Modified,
        ProtectionState::Ended,
        ProtectionState::Rejected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProtectionState::Requested => "REQUESTED",
            ProtectionState::Assessing => "ASSESSING",
            ProtectionState::Active => "ACTIVE",
            ProtectionState::Modified => "MODIFIED",
            ProtectionState::Ended => "ENDED",
            ProtectionState::Rejected => "REJECTED",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Measures are in force.
    pub fn protects(self) -> bool {
        matches!(self, ProtectionState::Active | ProtectionState::Modified)
    }
}

/// A decision on a protection case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtectionStep {
    StartAssessment,
    /// Decide to protect, with at least one measure.
    Activate,
    /// Change the measures in force.
    Modify,
    /// End the protection, with reasons.
    End,
    /// Refuse protection, with reasons.
    Reject,
    /// A retaliation report (or a pressure sign) sends it back to assessment.
    Reassess,
}

impl ProtectionStep {
    pub const ALL: [ProtectionStep; 6] = [
        ProtectionStep::StartAssessment,
        ProtectionStep::Activate,
        ProtectionStep::Modify,
        ProtectionStep::End,
        ProtectionStep::Reject,
        ProtectionStep::Reassess,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProtectionStep::StartAssessment => "start_assessment",
            ProtectionStep::Activate => "activate",
            ProtectionStep::Modify => "modify",
            ProtectionStep::End => "end",
            ProtectionStep::Reject => "reject",
            ProtectionStep::Reassess => "reassess",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The state after the step, or `None` if it cannot be taken from `from`.
    pub fn apply(self, from: ProtectionState) -> Option<ProtectionState> {
        use ProtectionState as S;
        match (self, from) {
            (ProtectionStep::StartAssessment, S::Requested) => Some(S::Assessing),
            (ProtectionStep::Activate, S::Requested | S::Assessing) => Some(S::Active),
            (ProtectionStep::Modify, S::Active | S::Modified) => Some(S::Modified),
            (ProtectionStep::End, S::Active | S::Modified) => Some(S::Ended),
            (ProtectionStep::Reject, S::Requested | S::Assessing) => Some(S::Rejected),
            (ProtectionStep::Reassess, S::Active | S::Modified | S::Ended | S::Rejected) => {
                Some(S::Assessing)
            }
            _ => None,
        }
    }

    /// Whether the step needs written reasons.
    pub fn needs_reasons(self) -> bool {
        matches!(self, ProtectionStep::End | ProtectionStep::Reject)
    }

    /// Whether the step sets the measures in force (at least one).
    pub fn sets_measures(self) -> bool {
        matches!(self, ProtectionStep::Activate | ProtectionStep::Modify)
    }
}

/// Parses the people a request covers: at least one, each a known kind.
pub fn parse_persons(codes: &[String]) -> Result<Vec<Person>, DomainError> {
    let mut persons = Vec::new();
    for code in codes.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        match Person::from_code(code) {
            Some(p) if !persons.contains(&p) => persons.push(p),
            Some(_) => {}
            None => {
                return Err(DomainError::Invalid(vec![FieldError {
                    field: "persons",
                    code: "field-invalid-choice",
                }]))
            }
        }
    }
    if persons.is_empty() {
        return Err(DomainError::Invalid(vec![FieldError {
            field: "persons",
            code: "field-required",
        }]));
    }
    persons.sort();
    Ok(persons)
}

/// The short risk screen taken at triage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RiskScreen {
    /// The reporter works under the person reported.
    pub works_under_accused: bool,
    /// The reporter has been threatened.
    pub threatened: bool,
    /// The person reported could identify the reporter from the facts of the report.
    pub identifiable: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

impl RiskLevel {
    pub fn code(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [RiskLevel::Low, RiskLevel::Medium, RiskLevel::High]
            .into_iter()
            .find(|r| r.code() == code)
    }
}

impl RiskScreen {
    /// A threat, or two of the other signs, is a high risk: the agency opens protection itself.
    /// One sign is a medium risk; none is low.
    pub fn level(&self) -> RiskLevel {
        let signs = [self.works_under_accused, self.identifiable]
            .into_iter()
            .filter(|b| *b)
            .count();
        if self.threatened || signs == 2 {
            RiskLevel::High
        } else if signs == 1 {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_leads_where_the_state_machine_says() {
        use ProtectionState as S;
        use ProtectionStep as P;
        let walk = [
            (P::StartAssessment, S::Requested, Some(S::Assessing)),
            (P::Activate, S::Assessing, Some(S::Active)),
            (P::Modify, S::Active, Some(S::Modified)),
            (P::Modify, S::Modified, Some(S::Modified)),
            (P::End, S::Modified, Some(S::Ended)),
            (P::Reassess, S::Ended, Some(S::Assessing)),
            (P::Reject, S::Assessing, Some(S::Rejected)),
            (P::Reassess, S::Rejected, Some(S::Assessing)),
            (P::Activate, S::Active, None),
            (P::End, S::Requested, None),
            (P::Reassess, S::Assessing, None),
        ];
        for (step, from, to) in walk {
            assert_eq!(step.apply(from), to, "{step:?} from {from:?}");
        }
        for s in ProtectionState::ALL {
            assert_eq!(ProtectionState::from_code(s.code()), Some(s));
        }
    }

    #[test]
    fn persons_are_known_kinds_and_at_least_one() {
        let ok = parse_persons(&["child".into(), "self".into(), "child".into()]);
        assert_eq!(ok.ok(), Some(vec![Person::Myself, Person::Child]));
        assert!(parse_persons(&["cousin".into()]).is_err());
        assert!(parse_persons(&[]).is_err());
    }

    #[test]
    fn a_threat_or_two_signs_is_a_high_risk() {
        let s = |w, t, i| RiskScreen {
            works_under_accused: w,
            threatened: t,
            identifiable: i,
        };
        assert_eq!(s(false, false, false).level(), RiskLevel::Low);
        assert_eq!(s(true, false, false).level(), RiskLevel::Medium);
        assert_eq!(s(true, false, true).level(), RiskLevel::High);
        assert_eq!(s(false, true, false).level(), RiskLevel::High);
    }
}
