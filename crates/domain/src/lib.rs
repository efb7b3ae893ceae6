//! The rules of minhbach, free of I/O: what a case is, which states it moves through, who may do
//! what to it, and what a valid report looks like. Time is always a parameter.

pub mod calendar;
pub mod case;
pub mod deadline;
pub mod disclosure;
pub mod error;
pub mod exclusion;
pub mod feedback;
pub mod ids;
pub mod organisation;
pub mod periods;
pub mod policy;
pub mod protection;
pub mod questionnaire;
pub mod report;
pub mod retention;
pub mod rules;
pub mod statistics;
pub mod workflow;

pub use calendar::{Calendar, CalendarDay, CalendarYear, DayKind};
pub use case::{CaseState, Channel, RawRegistration, Registration, Track};
pub use deadline::{DeadlineClock, DeadlineError, ExtensionGrant, Pause};
pub use error::{DomainError, FieldError};
pub use exclusion::{Excluded, ExclusionReason};
pub use ids::{AgencyId, CaseId, Reference, UserId, REFERENCE_NUMBERS};
pub use policy::{can, Action, Actor, CaseFacts, Role};
pub use protection::{MeasureKind, Person, ProtectionState, ProtectionStep, RiskLevel, RiskScreen};
pub use report::{Identity, MessageText, NewReport, RawReport, ReasonText};
pub use retention::Retention;
pub use rules::{Complexity, DataError, Rule, RuleBook, RuleKind, RuleSet, Unit};
pub use workflow::{
    clock_ops, resolution_rule, CaseContext, ClockOp, Decision, Effect, Field, RawDecision,
    TransitionKind,
};
