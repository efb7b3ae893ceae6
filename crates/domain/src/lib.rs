//! The rules of minhbach, free of I/O: what a case is, which states it moves through, who may do
//! what to it, and what a valid report looks like. Time is always a parameter.

pub mod case;
pub mod error;
pub mod ids;
pub mod policy;
pub mod report;

pub use case::{CaseState, Channel, Transition, TransitionKind};
pub use error::{DomainError, FieldError};
pub use ids::{AgencyId, CaseId, Reference, UserId};
pub use policy::{can, Action, Actor, CaseFacts, Role};
pub use report::{Identity, MessageText, NewReport, RawReport, ReasonText};
