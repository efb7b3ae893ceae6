//! The case model and its first states. The full statutory workflow (LEGAL.md) extends
//! [`CaseState`] and [`Transition`]; each state keeps a stable text code that is stored in the
//! database and used as the key of its translated description.

use crate::{AgencyId, DomainError, ReasonText};

/// Where a case is in its life. Stored as [`CaseState::code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaseState {
    /// Recorded, receipt given, nobody has looked at it yet.
    Received,
    /// An intake officer is classifying it and checking competence (Law on Denunciation Art. 24).
    Triage,
    /// Accepted for resolution by the agency that holds it (Art. 29).
    Accepted,
    /// Not accepted, with reasons given to the reporter (Art. 27).
    NotAccepted,
    /// Sent to the competent agency, which now holds it and must take it up (Art. 24).
    Forwarded,
}

impl CaseState {
    pub const ALL: [CaseState; 5] = [
        CaseState::Received,
        CaseState::Triage,
        CaseState::Accepted,
        CaseState::NotAccepted,
        CaseState::Forwarded,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CaseState::Received => "RECEIVED",
            CaseState::Triage => "TRIAGE",
            CaseState::Accepted => "ACCEPTED",
            CaseState::NotAccepted => "NOT_ACCEPTED",
            CaseState::Forwarded => "FORWARDED",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Key of the plain-language text the reporter sees for this state.
    pub fn reporter_text_key(self) -> &'static str {
        match self {
            CaseState::Received => "reporter-state-received",
            CaseState::Triage => "reporter-state-triage",
            CaseState::Accepted => "reporter-state-accepted",
            CaseState::NotAccepted => "reporter-state-not-accepted",
            CaseState::Forwarded => "reporter-state-forwarded",
        }
    }

    /// Key of the short label staff see.
    pub fn label_key(self) -> &'static str {
        match self {
            CaseState::Received => "state-received",
            CaseState::Triage => "state-triage",
            CaseState::Accepted => "state-accepted",
            CaseState::NotAccepted => "state-not-accepted",
            CaseState::Forwarded => "state-forwarded",
        }
    }
}

/// How a report reached the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Web,
    Api,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Api => "api",
        }
    }
}

/// The kind of a transition, without its data: what the access policy reasons about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransitionKind {
    StartTriage,
    Accept,
    NotAccept,
    Forward,
}

impl TransitionKind {
    pub const ALL: [TransitionKind; 4] = [
        TransitionKind::StartTriage,
        TransitionKind::Accept,
        TransitionKind::NotAccept,
        TransitionKind::Forward,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TransitionKind::StartTriage => "start_triage",
            TransitionKind::Accept => "accept",
            TransitionKind::NotAccept => "not_accept",
            TransitionKind::Forward => "forward",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// A decision on a case, with the data the decision requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    StartTriage,
    /// Acceptance; the note is optional (the decision document comes with the full workflow).
    Accept {
        note: Option<ReasonText>,
    },
    /// Refusal: reasons are mandatory because the reporter must be told why (Art. 27).
    NotAccept {
        reasons: ReasonText,
    },
    /// Forwarding to the competent agency, with the reasons it is not ours (Art. 24).
    Forward {
        to: AgencyId,
        reasons: ReasonText,
    },
}

impl Transition {
    pub fn kind(&self) -> TransitionKind {
        match self {
            Transition::StartTriage => TransitionKind::StartTriage,
            Transition::Accept { .. } => TransitionKind::Accept,
            Transition::NotAccept { .. } => TransitionKind::NotAccept,
            Transition::Forward { .. } => TransitionKind::Forward,
        }
    }

    /// The state after this transition, or why it is not allowed from `from` while the case is
    /// held by `holder`.
    pub fn apply(&self, from: CaseState, holder: AgencyId) -> Result<CaseState, DomainError> {
        use CaseState::*;
        match (self, from) {
            (Transition::StartTriage, Received | Forwarded) => Ok(Triage),
            (Transition::Accept { .. }, Triage) => Ok(Accepted),
            (Transition::NotAccept { .. }, Triage) => Ok(NotAccepted),
            (Transition::Forward { to, .. }, Received | Triage) if *to == holder => {
                Err(DomainError::ForwardToSelf)
            }
            (Transition::Forward { .. }, Received | Triage) => Ok(Forwarded),
            _ => Err(DomainError::TransitionNotAllowed),
        }
    }

    /// The transitions offered in the UI for a case in `state`.
    pub fn available(state: CaseState) -> Vec<TransitionKind> {
        TransitionKind::ALL
            .into_iter()
            .filter(|k| {
                matches!(
                    (k, state),
                    (
                        TransitionKind::StartTriage,
                        CaseState::Received | CaseState::Forwarded
                    ) | (
                        TransitionKind::Accept | TransitionKind::NotAccept,
                        CaseState::Triage
                    ) | (
                        TransitionKind::Forward,
                        CaseState::Received | CaseState::Triage
                    )
                )
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reason() -> ReasonText {
        ReasonText::parse("Thuộc thẩm quyền của UBND phường").unwrap()
    }

    fn sample(kind: TransitionKind) -> Transition {
        match kind {
            TransitionKind::StartTriage => Transition::StartTriage,
            TransitionKind::Accept => Transition::Accept { note: None },
            TransitionKind::NotAccept => Transition::NotAccept { reasons: reason() },
            TransitionKind::Forward => Transition::Forward {
                to: AgencyId(2),
                reasons: reason(),
            },
        }
    }

    #[test]
    fn first_states_follow_the_intake_workflow() {
        let holder = AgencyId(1);
        let s = Transition::StartTriage
            .apply(CaseState::Received, holder)
            .unwrap();
        assert_eq!(s, CaseState::Triage);
        assert_eq!(
            sample(TransitionKind::Accept).apply(s, holder).unwrap(),
            CaseState::Accepted
        );
        assert_eq!(
            sample(TransitionKind::NotAccept).apply(s, holder).unwrap(),
            CaseState::NotAccepted
        );
        assert_eq!(
            sample(TransitionKind::Forward).apply(s, holder).unwrap(),
            CaseState::Forwarded
        );
    }

    #[test]
    fn decisions_are_final_for_this_stage() {
        for from in [CaseState::Accepted, CaseState::NotAccepted] {
            for kind in TransitionKind::ALL {
                assert_eq!(
                    sample(kind).apply(from, AgencyId(1)),
                    Err(DomainError::TransitionNotAllowed)
                );
            }
        }
    }

    #[test]
    fn forwarding_to_the_holder_is_refused() {
        let t = Transition::Forward {
            to: AgencyId(1),
            reasons: reason(),
        };
        assert_eq!(
            t.apply(CaseState::Triage, AgencyId(1)),
            Err(DomainError::ForwardToSelf)
        );
    }

    #[test]
    fn state_codes_round_trip() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::from_code(s.code()), Some(s));
        }
        for k in TransitionKind::ALL {
            assert_eq!(TransitionKind::from_code(k.code()), Some(k));
        }
    }

    proptest! {
        /// What the UI offers is exactly what `apply` accepts.
        #[test]
        fn available_matches_apply(s in 0usize..5, k in 0usize..4) {
            let state = CaseState::ALL[s];
            let kind = TransitionKind::ALL[k];
            let offered = Transition::available(state).contains(&kind);
            prop_assert_eq!(offered, sample(kind).apply(state, AgencyId(1)).is_ok());
        }
    }
}
