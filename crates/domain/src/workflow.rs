//! The statutory workflow: which decisions exist, from which states, on which tracks, with which
//! data, and what they lead to. Handlers parse a [`RawDecision`] into a [`Decision`] and ask
//! [`Decision::apply`] for its [`Effect`]; who may take it is the policy's question
//! ([`crate::policy::can`]).

use time::Date;

use crate::{AgencyId, CaseState, DomainError, FieldError, ReasonText, Track, UserId};

/// A decision on a case, without its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransitionKind {
    /// The holding agency takes the case up (also a forwarded one: per-hop acceptance).
    StartTriage,
    /// A forwarded case is refused with reasons and goes back to the sender (Art. 24).
    RefuseForwarded,
    /// Triage records the legal track.
    Classify,
    /// Acceptance decision (Art. 29).
    Accept,
    /// Refusal with reasons (Art. 27, 29).
    NotAccept,
    /// Forwarding to the competent agency (Art. 24); a second forwarding needs the agency lead.
    Forward,
    /// Referral with evidence to the investigating agency or procuracy (CPC Art. 144–146).
    ReferCriminal,
    /// The investigating agency's decision, which ends the referral (CPC Art. 147).
    RecordInvestigation,
    /// The investigating agency extends its time to decide (CPC Art. 147: to 2 months, then by
    /// up to 2 more with the procuracy).
    ExtendReferral,
    /// The same matter as an earlier case (linked to the original).
    MarkDuplicate,
    /// Anonymous information archived with reasons (Art. 25).
    Archive,
    /// The lead assigns a handler, who then receives the case key.
    Assign,
    StartVerification,
    /// Suspension pauses the resolution clock (Art. 31).
    Suspend,
    Resume,
    /// Extension of the resolution time: complex +30 days once, especially complex twice (Art. 30).
    Extend,
    /// Termination of the resolution (Art. 32–33).
    Terminate,
    /// Conclusion with a finding (Art. 35).
    Conclude,
    /// Handling of the conclusion (Art. 36).
    Handle,
    /// Publication without the reporter's identity (Art. 40).
    Publish,
    Close,
}

/// A piece of data a decision carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Track,
    ToAgency,
    Reasons,
    DocumentNumber,
    DecisionDate,
    LegalBasis,
    Note,
    Complexity,
    Finding,
    Evidence,
    Delivery,
    Outcome,
    Original,
    Handler,
}

impl Field {
    pub fn code(self) -> &'static str {
        match self {
            Field::Track => "track",
            Field::ToAgency => "to_agency",
            Field::Reasons => "reasons",
            Field::DocumentNumber => "document_number",
            Field::DecisionDate => "decision_date",
            Field::LegalBasis => "legal_basis",
            Field::Note => "note",
            Field::Complexity => "complexity",
            Field::Finding => "finding",
            Field::Evidence => "evidence",
            Field::Delivery => "delivery",
            Field::Outcome => "outcome",
            Field::Original => "original",
            Field::Handler => "handler",
        }
    }
}

use CaseState as S;
use Field as F;
use TransitionKind as K;

/// Tracks on which the full resolution workflow (verification, conclusion, handling) runs.
const RESOLVING: &[Track] = &[
    Track::Denunciation,
    Track::AnonymousInformation,
    Track::Petition,
    Track::InternalReport,
    Track::Retaliation,
];

impl TransitionKind {
    pub const ALL: [TransitionKind; 21] = [
        K::StartTriage,
        K::RefuseForwarded,
        K::Classify,
        K::Accept,
        K::NotAccept,
        K::Forward,
        K::ReferCriminal,
        K::RecordInvestigation,
        K::ExtendReferral,
        K::MarkDuplicate,
        K::Archive,
        K::Assign,
        K::StartVerification,
        K::Suspend,
        K::Resume,
        K::Extend,
        K::Terminate,
        K::Conclude,
        K::Handle,
        K::Publish,
        K::Close,
    ];

    pub fn code(self) -> &'static str {
        match self {
            K::StartTriage => "start_triage",
            K::RefuseForwarded => "refuse_forwarded",
            K::Classify => "classify",
            K::Accept => "accept",
            K::NotAccept => "not_accept",
            K::Forward => "forward",
            K::ReferCriminal => "refer_criminal",
            K::RecordInvestigation => "record_investigation",
            K::ExtendReferral => "extend_referral",
            K::MarkDuplicate => "mark_duplicate",
            K::Archive => "archive",
            K::Assign => "assign",
            K::StartVerification => "start_verification",
            K::Suspend => "suspend",
            K::Resume => "resume",
            K::Extend => "extend",
            K::Terminate => "terminate",
            K::Conclude => "conclude",
            K::Handle => "handle",
            K::Publish => "publish",
            K::Close => "close",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The states a decision can be taken in.
    pub fn from_states(self) -> &'static [CaseState] {
        match self {
            K::StartTriage => &[S::Received, S::Forwarded],
            K::RefuseForwarded => &[S::Forwarded],
            K::Classify | K::Accept | K::MarkDuplicate | K::Archive => &[S::Triage],
            K::NotAccept => &[S::Triage],
            K::Forward => &[S::Received, S::Triage],
            K::ReferCriminal => &[S::Triage, S::Verifying, S::Concluded],
            K::RecordInvestigation | K::ExtendReferral => &[S::CriminalReferral],
            K::Assign => &[
                S::Accepted,
                S::Verifying,
                S::Suspended,
                S::Concluded,
                S::Handling,
            ],
            K::StartVerification => &[S::Accepted],
            K::Suspend => &[S::Verifying],
            K::Resume => &[S::Suspended],
            K::Extend => &[S::Verifying, S::Suspended],
            K::Terminate => &[S::Verifying, S::Suspended],
            K::Conclude => &[S::Verifying],
            K::Handle => &[S::Concluded],
            K::Publish => &[S::Concluded, S::Handling],
            K::Close => &[S::Concluded, S::Handling, S::Published],
        }
    }

    /// The tracks a decision belongs to; `None`: any track, or none chosen yet.
    pub fn tracks(self) -> Option<&'static [Track]> {
        match self {
            K::Accept
            | K::StartVerification
            | K::Suspend
            | K::Resume
            | K::Extend
            | K::Terminate
            | K::Conclude
            | K::Handle
            | K::Publish => Some(RESOLVING),
            K::Archive => Some(&[Track::AnonymousInformation, Track::Petition]),
            _ => None,
        }
    }

    /// Data the decision cannot be taken without.
    pub fn required(self) -> &'static [Field] {
        match self {
            K::StartTriage | K::StartVerification | K::Publish | K::Close => &[],
            K::RefuseForwarded | K::NotAccept | K::Archive => &[F::Reasons],
            K::Classify => &[F::Track],
            K::Accept => &[F::DocumentNumber],
            K::Forward => &[F::ToAgency, F::Reasons],
            K::ReferCriminal => &[F::ToAgency, F::Evidence, F::DocumentNumber],
            K::RecordInvestigation => &[F::Outcome, F::DocumentNumber],
            K::MarkDuplicate => &[F::Original],
            K::Assign => &[F::Handler],
            K::Suspend | K::Terminate => &[F::Reasons, F::DocumentNumber],
            K::Resume => &[F::DocumentNumber],
            K::Extend => &[F::Complexity, F::Reasons],
            K::ExtendReferral => &[F::Reasons],
            K::Conclude => &[F::Finding, F::DocumentNumber],
            K::Handle => &[F::Note],
        }
    }

    /// Data the decision may carry.
    pub fn optional(self) -> &'static [Field] {
        match self {
            K::Accept
            | K::NotAccept
            | K::Forward
            | K::ReferCriminal
            | K::MarkDuplicate
            | K::Archive => &[
                F::Track,
                F::DecisionDate,
                F::LegalBasis,
                F::Note,
                F::Delivery,
            ],
            K::Suspend
            | K::Resume
            | K::Terminate
            | K::Conclude
            | K::RecordInvestigation
            | K::ExtendReferral => &[F::DecisionDate, F::LegalBasis, F::Note],
            K::Publish | K::Close | K::StartVerification => &[F::Note],
            K::Extend => &[F::DecisionDate],
            // A re-denunciation names the case it follows (Law on Denunciation Art. 37).
            K::Classify => &[F::Original],
            _ => &[],
        }
    }

    pub fn fields(self) -> Vec<Field> {
        self.required()
            .iter()
            .chain(self.optional())
            .copied()
            .collect()
    }

    /// The state a decision leads to (for the ones that stay, the same state).
    fn to_state(self, from: CaseState) -> CaseState {
        match self {
            K::StartTriage | K::RefuseForwarded | K::Classify => S::Triage,
            K::Accept => S::Accepted,
            K::NotAccept => S::NotAccepted,
            K::Forward => S::Forwarded,
            K::ReferCriminal => S::CriminalReferral,
            K::RecordInvestigation | K::Close => S::Closed,
            K::MarkDuplicate => S::Duplicate,
            K::Archive => S::Archived,
            K::Assign | K::Extend | K::ExtendReferral => from,
            K::StartVerification | K::Resume => S::Verifying,
            K::Suspend => S::Suspended,
            K::Terminate => S::Terminated,
            K::Conclude => S::Concluded,
            K::Handle => S::Handling,
            K::Publish => S::Published,
        }
    }
}

/// How complex a case is, for extensions (Art. 30): the deadline rules own the notion.
pub use crate::rules::Complexity;

/// The finding of a conclusion (Art. 35).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finding {
    Substantiated,
    PartlySubstantiated,
    Unfounded,
}

/// The investigating agency's decision on crime information (CPC Art. 147).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Prosecute,
    NotProsecute,
    Suspended,
}

macro_rules! coded {
    ($t:ty { $($v:ident = $c:literal),* $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),*];
            pub fn code(self) -> &'static str {
                match self { $(<$t>::$v => $c),* }
            }
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }
    };
}

coded!(Finding { Substantiated = "substantiated", PartlySubstantiated = "partly", Unfounded = "unfounded" });
coded!(Outcome { Prosecute = "prosecute", NotProsecute = "not_prosecute", Suspended = "suspended" });

/// A decision as typed in a form or sent to the API: every field a string.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawDecision {
    pub kind: String,
    pub track: String,
    pub to_agency: String,
    pub reasons: String,
    pub document_number: String,
    /// ISO date, e.g. 2026-11-27; the day of the decision if empty.
    pub decision_date: String,
    pub legal_basis: String,
    pub note: String,
    pub complexity: String,
    pub finding: String,
    pub evidence: String,
    pub delivery: String,
    pub outcome: String,
    pub original: String,
    pub handler: String,
}

/// A checked decision with its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub kind: TransitionKind,
    pub track: Option<Track>,
    pub to_agency: Option<AgencyId>,
    pub reasons: Option<ReasonText>,
    pub document_number: Option<String>,
    pub decision_date: Option<Date>,
    pub legal_basis: Option<String>,
    pub note: Option<ReasonText>,
    pub complexity: Option<Complexity>,
    pub finding: Option<Finding>,
    pub evidence: Option<ReasonText>,
    pub delivery: Option<ReasonText>,
    pub outcome: Option<Outcome>,
    /// Reference number of the original case (duplicates).
    pub original: Option<String>,
    pub handler: Option<UserId>,
}

const MAX_DOCUMENT_NUMBER: usize = 100;
const MAX_LEGAL_BASIS: usize = 500;

impl RawDecision {
    /// Parses the fields the decision's kind uses; reports every problem at once. Fields the kind
    /// does not use are ignored.
    pub fn parse(&self, agencies: &[AgencyId]) -> Result<Decision, DomainError> {
        let Some(kind) = TransitionKind::from_code(self.kind.trim()) else {
            return Err(DomainError::Invalid(vec![FieldError {
                field: "kind",
                code: "field-invalid-choice",
            }]));
        };
        let mut errors = Vec::new();
        let mut d = Decision {
            kind,
            track: None,
            to_agency: None,
            reasons: None,
            document_number: None,
            decision_date: None,
            legal_basis: None,
            note: None,
            complexity: None,
            finding: None,
            evidence: None,
            delivery: None,
            outcome: None,
            original: None,
            handler: None,
        };
        for field in kind.fields() {
            let raw = self.raw(field).trim();
            let required = kind.required().contains(&field);
            if raw.is_empty() {
                if required {
                    errors.push(FieldError {
                        field: field.code(),
                        code: "field-required",
                    });
                }
                continue;
            }
            let bad = |code| FieldError {
                field: field.code(),
                code,
            };
            let text = |max: usize| {
                if raw.chars().count() > max {
                    Err(bad("field-too-long"))
                } else {
                    Ok(raw.to_owned())
                }
            };
            let reason = || ReasonText::parse(raw).map_err(|_| bad("field-too-long"));
            let choice = |ok: bool| {
                if ok {
                    Ok(())
                } else {
                    Err(bad("field-invalid-choice"))
                }
            };
            let result = match field {
                F::Track => Track::from_code(raw)
                    .map(|t| d.track = Some(t))
                    .ok_or(bad("field-invalid-choice")),
                F::ToAgency => raw
                    .parse::<i64>()
                    .ok()
                    .map(AgencyId)
                    .filter(|a| agencies.contains(a))
                    .map(|a| d.to_agency = Some(a))
                    .ok_or(bad("field-unknown-agency")),
                F::Reasons => reason().map(|r| d.reasons = Some(r)),
                F::Note => reason().map(|r| d.note = Some(r)),
                F::Evidence => reason().map(|r| d.evidence = Some(r)),
                F::Delivery => reason().map(|r| d.delivery = Some(r)),
                F::DocumentNumber => text(MAX_DOCUMENT_NUMBER).map(|t| d.document_number = Some(t)),
                F::LegalBasis => text(MAX_LEGAL_BASIS).map(|t| d.legal_basis = Some(t)),
                F::Original => text(40).map(|t| d.original = Some(t)),
                F::DecisionDate => {
                    let format = time::macros::format_description!("[year]-[month]-[day]");
                    Date::parse(raw, &format)
                        .map(|x| d.decision_date = Some(x))
                        .map_err(|_| bad("field-invalid-date"))
                }
                F::Complexity => Complexity::from_code(raw)
                    .map(|c| d.complexity = Some(c))
                    .ok_or(bad("field-invalid-choice")),
                F::Finding => Finding::from_code(raw)
                    .map(|f| d.finding = Some(f))
                    .ok_or(bad("field-invalid-choice")),
                F::Outcome => Outcome::from_code(raw)
                    .map(|o| d.outcome = Some(o))
                    .ok_or(bad("field-invalid-choice")),
                F::Handler => {
                    let parsed = raw.parse::<i64>().ok().map(UserId);
                    choice(parsed.is_some()).map(|_| d.handler = parsed)
                }
            };
            if let Err(e) = result {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(d)
        } else {
            Err(DomainError::Invalid(errors))
        }
    }

    fn raw(&self, field: Field) -> &str {
        match field {
            F::Track => &self.track,
            F::ToAgency => &self.to_agency,
            F::Reasons => &self.reasons,
            F::DocumentNumber => &self.document_number,
            F::DecisionDate => &self.decision_date,
            F::LegalBasis => &self.legal_basis,
            F::Note => &self.note,
            F::Complexity => &self.complexity,
            F::Finding => &self.finding,
            F::Evidence => &self.evidence,
            F::Delivery => &self.delivery,
            F::Outcome => &self.outcome,
            F::Original => &self.original,
            F::Handler => &self.handler,
        }
    }
}

/// What the workflow needs to know about a case to apply a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseContext {
    pub state: CaseState,
    pub track: Option<Track>,
    pub agency: AgencyId,
    /// The agency that forwarded the case to its holder, if it was forwarded.
    pub forwarded_by: Option<AgencyId>,
}

/// What a decision changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    pub state: CaseState,
    pub agency: AgencyId,
    pub track: Option<Track>,
}

impl Decision {
    /// The effect of this decision on a case, or why it is not possible.
    pub fn apply(&self, c: &CaseContext) -> Result<Effect, DomainError> {
        if !self.kind.from_states().contains(&c.state) {
            return Err(DomainError::TransitionNotAllowed);
        }
        let track = self.track.or(c.track);
        if let Some(allowed) = self.kind.tracks() {
            match track {
                None => {
                    return Err(DomainError::Invalid(vec![FieldError {
                        field: "track",
                        code: "field-required",
                    }]))
                }
                Some(t) if !allowed.contains(&t) => return Err(DomainError::WrongTrack),
                Some(_) => {}
            }
        }
        let agency = match self.kind {
            K::Forward => match self.to_agency {
                Some(to) if to == c.agency => return Err(DomainError::ForwardToSelf),
                Some(to) => to,
                None => return Err(DomainError::TransitionNotAllowed),
            },
            K::RefuseForwarded => c.forwarded_by.ok_or(DomainError::TransitionNotAllowed)?,
            _ => c.agency,
        };
        Ok(Effect {
            state: self.kind.to_state(c.state),
            agency,
            track,
        })
    }

    /// The decisions offered for a case in `state` on `track`.
    pub fn available(state: CaseState, track: Option<Track>) -> Vec<TransitionKind> {
        TransitionKind::ALL
            .into_iter()
            .filter(|k| k.from_states().contains(&state))
            .filter(|k| match (k.tracks(), track) {
                (Some(allowed), Some(t)) => allowed.contains(&t),
                // Before classification, decisions that need a track carry it themselves.
                (Some(_), None) => k.optional().contains(&F::Track),
                (None, _) => true,
            })
            .collect()
    }
}

/// What a decision does to the case's clocks. Rule ids refer to the dated rule sets in
/// `rules/vn/`; the clock a rule drives is named in the rule itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClockOp {
    /// Start the rule's clock for the agency that holds the case after the decision.
    Start(&'static str),
    /// Stop the named clock: its step is done (met or late).
    Complete(&'static str),
    Pause(&'static str),
    Resume(&'static str),
    Extend(&'static str),
    /// Stop every open clock (closure, a final decision).
    CompleteAll,
}

/// The rule of the resolution clock on each track (its rule id is also the clock's name).
pub fn resolution_rule(track: Option<Track>) -> &'static str {
    match track {
        // Law on Anti-Corruption Art. 66: an official's report is answered within 15 days.
        Some(Track::InternalReport) => "internal_report",
        _ => "resolution",
    }
}

/// The clocks a new case starts with (Law on Denunciation Art. 24; our acknowledgement promise).
pub const ON_RECEIPT: [ClockOp; 2] = [ClockOp::Start("acknowledge"), ClockOp::Start("triage")];

/// The clock operations of a decision.
pub fn clock_ops(kind: TransitionKind, track: Option<Track>) -> Vec<ClockOp> {
    use ClockOp::*;
    let resolution = resolution_rule(track);
    match kind {
        K::StartTriage | K::Classify | K::Assign | K::StartVerification => {
            vec![Complete("acknowledge")]
        }
        // Per-hop accountability: the receiving agency gets its own triage deadline (Art. 24).
        K::Forward => vec![Complete("acknowledge"), Complete("triage"), Start("triage")],
        K::RefuseForwarded => vec![Complete("triage"), Start("triage")],
        K::Accept => vec![
            Complete("acknowledge"),
            Complete("triage"),
            Start(resolution),
        ],
        K::NotAccept | K::MarkDuplicate | K::Archive => vec![CompleteAll],
        // CPC Art. 147: the investigating agency decides within 20 days, extensible.
        K::ReferCriminal => {
            vec![
                Complete("acknowledge"),
                Complete("triage"),
                Complete(resolution),
                Start("criminal_decision"),
            ]
        }
        K::RecordInvestigation => vec![CompleteAll],
        K::ExtendReferral => vec![Extend("criminal_decision")],
        // Art. 34: the suspended time does not count.
        K::Suspend => vec![Pause(resolution)],
        K::Resume => vec![Resume(resolution)],
        K::Extend => vec![Extend(resolution)],
        K::Terminate => vec![CompleteAll],
        K::Conclude => vec![Complete(resolution), Start("handling")],
        K::Handle => vec![Complete("handling"), Start("publication")],
        K::Publish => vec![Complete("publication")],
        K::Close => vec![CompleteAll],
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn raw(kind: &str) -> RawDecision {
        RawDecision {
            kind: kind.into(),
            ..Default::default()
        }
    }

    fn ctx(state: CaseState, track: Option<Track>) -> CaseContext {
        CaseContext {
            state,
            track,
            agency: AgencyId(1),
            forwarded_by: Some(AgencyId(9)),
        }
    }

    #[test]
    fn a_denunciation_walks_from_receipt_to_closure() {
        let mut c = ctx(S::Received, None);
        let steps: Vec<RawDecision> = vec![
            raw("start_triage"),
            RawDecision {
                track: "denunciation".into(),
                ..raw("classify")
            },
            RawDecision {
                document_number: "12/QĐ-TTTP".into(),
                ..raw("accept")
            },
            raw("start_verification"),
            RawDecision {
                reasons: "Chờ kết quả giám định".into(),
                document_number: "15/QĐ".into(),
                ..raw("suspend")
            },
            RawDecision {
                document_number: "16/QĐ".into(),
                ..raw("resume")
            },
            RawDecision {
                complexity: "complex".into(),
                reasons: "Nhiều nội dung".into(),
                ..raw("extend")
            },
            RawDecision {
                finding: "partly".into(),
                document_number: "20/KL".into(),
                ..raw("conclude")
            },
            RawDecision {
                note: "Kiểm điểm, thu hồi tiền".into(),
                ..raw("handle")
            },
            raw("publish"),
            raw("close"),
        ];
        let expected = [
            S::Triage,
            S::Triage,
            S::Accepted,
            S::Verifying,
            S::Suspended,
            S::Verifying,
            S::Verifying,
            S::Concluded,
            S::Handling,
            S::Published,
            S::Closed,
        ];
        for (step, want) in steps.iter().zip(expected) {
            let d = step.parse(&[AgencyId(1), AgencyId(2)]).unwrap();
            let e = d.apply(&c).unwrap();
            assert_eq!(e.state, want, "{}", step.kind);
            c.state = e.state;
            c.track = e.track;
        }
        assert_eq!(c.track, Some(Track::Denunciation));
    }

    #[test]
    fn missing_decision_fields_are_all_reported() {
        let Err(DomainError::Invalid(errors)) = raw("refer_criminal").parse(&[AgencyId(2)]) else {
            panic!()
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["to_agency", "evidence", "document_number"]);
        let Err(DomainError::Invalid(errors)) = RawDecision {
            decision_date: "27/11/2026".into(),
            ..raw("accept")
        }
        .parse(&[]) else {
            panic!()
        };
        assert!(errors
            .iter()
            .any(|e| e.field == "decision_date" && e.code == "field-invalid-date"));
    }

    #[test]
    fn acceptance_needs_a_track_on_the_resolving_tracks() {
        let accept = RawDecision {
            document_number: "1/QĐ".into(),
            ..raw("accept")
        }
        .parse(&[])
        .unwrap();
        assert!(matches!(
            accept.apply(&ctx(S::Triage, None)),
            Err(DomainError::Invalid(_))
        ));
        assert_eq!(
            accept.apply(&ctx(S::Triage, Some(Track::Complaint))),
            Err(DomainError::WrongTrack)
        );
        let with_track = Decision {
            track: Some(Track::Petition),
            ..accept
        };
        assert_eq!(
            with_track.apply(&ctx(S::Triage, None)).unwrap().track,
            Some(Track::Petition)
        );
    }

    #[test]
    fn refusing_a_forwarded_case_sends_it_back() {
        let d = RawDecision {
            reasons: "Không thuộc thẩm quyền".into(),
            ..raw("refuse_forwarded")
        }
        .parse(&[])
        .unwrap();
        let e = d.apply(&ctx(S::Forwarded, None)).unwrap();
        assert_eq!((e.state, e.agency), (S::Triage, AgencyId(9)));
    }

    #[test]
    fn what_is_offered_is_what_apply_accepts_given_the_required_data() {
        let full = RawDecision {
            track: "denunciation".into(),
            to_agency: "2".into(),
            reasons: "r".into(),
            document_number: "1".into(),
            complexity: "complex".into(),
            finding: "unfounded".into(),
            evidence: "e".into(),
            outcome: "prosecute".into(),
            original: "HN-2026-000001".into(),
            handler: "5".into(),
            note: "n".into(),
            ..Default::default()
        };
        for state in CaseState::ALL {
            for track in [
                None,
                Some(Track::Denunciation),
                Some(Track::Complaint),
                Some(Track::CrimeInformation),
            ] {
                let offered = Decision::available(state, track);
                for kind in TransitionKind::ALL {
                    let mut d = RawDecision {
                        kind: kind.code().into(),
                        ..full.clone()
                    }
                    .parse(&[AgencyId(2)])
                    .unwrap();
                    match (track, kind.tracks()) {
                        // The case has its track: the decision does not change it.
                        (Some(_), _) => d.track = None,
                        // Unclassified: a decision that may carry a track carries a fitting one.
                        (None, Some(allowed)) if d.track.is_some() => d.track = Some(allowed[0]),
                        _ => {}
                    }
                    let ok = d.apply(&ctx(state, track)).is_ok();
                    assert_eq!(offered.contains(&kind), ok, "{state:?} {track:?} {kind:?}");
                }
            }
        }
    }
}
