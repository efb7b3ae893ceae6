//! After an outcome, the reporter has the last word (issue 8, must-have 7): whether they are
//! satisfied with how their report was dealt with, and, when it was resolved by a conclusion,
//! a request to the body directly above the resolver to review it (tố cáo tiếp, Law on
//! Denunciation 2018 Art. 37). The superior reviews the file within 20 days (the dated rule
//! `re_review`) and either upholds the resolution or orders it resolved again.

use crate::CaseState;

/// The dated rule of how long after the conclusion the status page offers the review.
pub const WINDOW_RULE: &str = "re_review_request";
/// The dated rule of the superior's review (20 days, Art. 37); also the clock's name.
pub const REVIEW_RULE: &str = "re_review";

/// Whether the reporter may say if they are satisfied: a decision on their information was
/// taken (refused, archived, terminated, concluded, or anything after a conclusion).
pub fn has_outcome(state: CaseState) -> bool {
    state.is_final()
        || matches!(
            state,
            CaseState::Concluded | CaseState::Handling | CaseState::Published
        )
}

/// Whether the case was resolved by a conclusion that a review can be asked of (Art. 37
/// concerns the resolution of a denunciation): concluded, or acted on, published or closed
/// after the conclusion (`concluded` says whether a conclusion was recorded).
pub fn may_contest(state: CaseState, concluded: bool) -> bool {
    concluded
        && matches!(
            state,
            CaseState::Concluded | CaseState::Handling | CaseState::Published | CaseState::Closed
        )
}

/// What the superior body decided on the review (Art. 37).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReReviewOutcome {
    /// The resolution was lawful: it stands, and the reporter is told so in writing.
    Upheld,
    /// The resolution was not lawful (the law misapplied, a serious breach of procedure, a
    /// conclusion that does not match the evidence, or new facts): it is resolved again.
    ResolveAgain,
}

impl ReReviewOutcome {
    pub const ALL: [ReReviewOutcome; 2] = [ReReviewOutcome::Upheld, ReReviewOutcome::ResolveAgain];

    pub fn code(self) -> &'static str {
        match self {
            ReReviewOutcome::Upheld => "upheld",
            ReReviewOutcome::ResolveAgain => "resolve_again",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_is_a_final_decision_or_a_conclusion_and_only_a_conclusion_is_contested() {
        for state in CaseState::ALL {
            let expected = matches!(
                state,
                CaseState::NotAccepted
                    | CaseState::Duplicate
                    | CaseState::Archived
                    | CaseState::Terminated
                    | CaseState::Concluded
                    | CaseState::Handling
                    | CaseState::Published
                    | CaseState::Closed
            );
            assert_eq!(has_outcome(state), expected, "{state:?}");
            assert!(!may_contest(state, false), "{state:?} without a conclusion");
            if may_contest(state, true) {
                assert!(has_outcome(state), "{state:?}");
            }
        }
        assert!(!may_contest(CaseState::NotAccepted, true));
        assert!(may_contest(CaseState::Closed, true));
        for o in ReReviewOutcome::ALL {
            assert_eq!(ReReviewOutcome::from_code(o.code()), Some(o));
        }
        assert_eq!(ReReviewOutcome::from_code("maybe"), None);
    }
}
