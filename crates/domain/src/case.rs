//! The case model: where a case is ([`CaseState`]) and on which legal track ([`Track`]).
//! Codes are stable: they are stored in the database and are the keys of translated texts.

/// Where a case is in its life (LEGAL.md, "States and deadlines").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaseState {
    /// Recorded, receipt given, nobody has taken it up yet.
    Received,
    /// Being classified and checked for competence (Law on Denunciation Art. 24).
    Triage,
    /// Sent to the competent agency, which must take it up or refuse it with reasons (Art. 24).
    Forwarded,
    /// Sent with evidence to the investigating agency or procuracy (Art. 27; CPC Art. 144–147).
    CriminalReferral,
    /// Not accepted, with reasons given to the reporter (Art. 27, 29).
    NotAccepted,
    /// The same matter as an earlier case, linked to it.
    Duplicate,
    /// Archived with reasons (anonymous information not worth inspecting, Art. 25).
    Archived,
    /// Accepted for resolution (Art. 29).
    Accepted,
    /// Verification under way; the resolution clock runs (Art. 30).
    Verifying,
    /// Suspended with reasons; the resolution clock is paused (Art. 31).
    Suspended,
    /// Resolution terminated (withdrawal or another ground, Art. 32–33).
    Terminated,
    /// Concluded, with a finding (Art. 35).
    Concluded,
    /// The conclusion is being acted on (sanctions, restoration, referral; Art. 36).
    Handling,
    /// The conclusion is published without the reporter's identity (Art. 40).
    Published,
    /// The dossier is complete.
    Closed,
}

impl CaseState {
    pub const ALL: [CaseState; 15] = [
        CaseState::Received,
        CaseState::Triage,
        CaseState::Forwarded,
        CaseState::CriminalReferral,
        CaseState::NotAccepted,
        CaseState::Duplicate,
        CaseState::Archived,
        CaseState::Accepted,
        CaseState::Verifying,
        CaseState::Suspended,
        CaseState::Terminated,
        CaseState::Concluded,
        CaseState::Handling,
        CaseState::Published,
        CaseState::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CaseState::Received => "RECEIVED",
            CaseState::Triage => "TRIAGE",
            CaseState::Forwarded => "FORWARDED",
            CaseState::CriminalReferral => "CRIMINAL_REFERRAL",
            CaseState::NotAccepted => "NOT_ACCEPTED",
            CaseState::Duplicate => "DUPLICATE",
            CaseState::Archived => "ARCHIVED",
            CaseState::Accepted => "ACCEPTED",
            CaseState::Verifying => "VERIFYING",
            CaseState::Suspended => "SUSPENDED",
            CaseState::Terminated => "TERMINATED",
            CaseState::Concluded => "CONCLUDED",
            CaseState::Handling => "HANDLING",
            CaseState::Published => "PUBLISHED",
            CaseState::Closed => "CLOSED",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    fn slug(self) -> String {
        self.code().to_ascii_lowercase().replace('_', "-")
    }

    /// Key of the plain-language text the reporter sees for this state.
    pub fn reporter_text_key(self) -> String {
        format!("reporter-state-{}", self.slug())
    }

    /// Key of the short label staff see.
    pub fn label_key(self) -> String {
        format!("state-{}", self.slug())
    }

    /// No further decision is expected: the case is out of the active workload.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CaseState::NotAccepted
                | CaseState::Duplicate
                | CaseState::Archived
                | CaseState::Terminated
                | CaseState::Closed
        )
    }
}

/// The legal track a case follows, chosen at triage (LEGAL.md, "Legal tracks").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Track {
    /// Tố cáo: a named person reports a violation; the full statutory workflow.
    Denunciation,
    /// Nguồn tin về tội phạm: signs of a crime; referred at once and followed.
    CrimeInformation,
    /// Thông tin có nội dung tố cáo (Art. 25): anonymous; assessed, inspected, forwarded or archived.
    AnonymousInformation,
    /// Phản ánh, kiến nghị: feedback on administration; lighter workflow.
    Petition,
    /// Khiếu nại: about a decision affecting the person; routed to the complaints process.
    Complaint,
    /// Báo cáo của cán bộ (Law on Anti-Corruption Art. 66): answered within 15 days.
    InternalReport,
    /// Trả thù, trù dập: a reporter reports retaliation.
    Retaliation,
}

impl Track {
    pub const ALL: [Track; 7] = [
        Track::Denunciation,
        Track::CrimeInformation,
        Track::AnonymousInformation,
        Track::Petition,
        Track::Complaint,
        Track::InternalReport,
        Track::Retaliation,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Track::Denunciation => "denunciation",
            Track::CrimeInformation => "crime_information",
            Track::AnonymousInformation => "anonymous_information",
            Track::Petition => "petition",
            Track::Complaint => "complaint",
            Track::InternalReport => "internal_report",
            Track::Retaliation => "retaliation",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn label_key(self) -> String {
        format!("track-{}", self.code().replace('_', "-"))
    }
}

/// How a report reached the system: the reporter's own web form or an integrator's API call,
/// or registered by an officer for a person who came in, phoned, wrote, or was forwarded by
/// another body (Law on Denunciation 2018 Art. 22-23; Decree 124/2020 Art. 5 on petitions
/// received in person, by post, by email and transferred).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Web,
    Api,
    WalkIn,
    Hotline,
    Letter,
    Email,
    /// Transferred by another state agency, with its document number.
    AgencyTransfer,
    /// Transferred from a citizen-feedback portal (the city's app, the national portal).
    PortalTransfer,
    /// Forwarded by a Fatherland Front committee.
    FrontCommittee,
}

impl Channel {
    pub const ALL: [Channel; 9] = [
        Channel::Web,
        Channel::Api,
        Channel::WalkIn,
        Channel::Hotline,
        Channel::Letter,
        Channel::Email,
        Channel::AgencyTransfer,
        Channel::PortalTransfer,
        Channel::FrontCommittee,
    ];

    /// The channels an officer registers a report through on a person's behalf.
    pub const REGISTERED: [Channel; 7] = [
        Channel::WalkIn,
        Channel::Hotline,
        Channel::Letter,
        Channel::Email,
        Channel::AgencyTransfer,
        Channel::PortalTransfer,
        Channel::FrontCommittee,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Api => "api",
            Channel::WalkIn => "walk_in",
            Channel::Hotline => "hotline",
            Channel::Letter => "letter",
            Channel::Email => "email",
            Channel::AgencyTransfer => "agency_transfer",
            Channel::PortalTransfer => "portal_transfer",
            Channel::FrontCommittee => "front_committee",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Forwarded by another body, which is named (and, for an agency, its document).
    pub fn is_forwarded(self) -> bool {
        matches!(
            self,
            Channel::AgencyTransfer | Channel::PortalTransfer | Channel::FrontCommittee
        )
    }
}

/// How an officer says a report reached them, as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawRegistration {
    pub channel: String,
    /// The body that forwarded it (an agency, a portal, a Front committee).
    pub source_body: String,
    /// The forwarding body's document number (required for a transfer from an agency).
    pub source_document: String,
    /// "yes": the person lets the partner organisation that registers it follow the case.
    pub partner_follows: String,
}

/// A checked registration: the channel, and the forwarding body and document in clear (they
/// are metadata, never the person's identity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub channel: Channel,
    pub source_body: Option<String>,
    pub source_document: Option<String>,
    /// The person lets the registering partner follow the case.
    pub partner_follows: bool,
}

impl RawRegistration {
    pub fn validate(&self) -> Result<Registration, crate::DomainError> {
        use crate::FieldError;
        let mut errors = Vec::new();
        let channel =
            Channel::from_code(self.channel.trim()).filter(|c| Channel::REGISTERED.contains(c));
        if channel.is_none() {
            errors.push(FieldError {
                field: "channel",
                code: "field-unknown-channel",
            });
        }
        let body = self.source_body.trim();
        let document = self.source_document.trim();
        let forwarded = channel.is_some_and(Channel::is_forwarded);
        if forwarded && body.is_empty() {
            errors.push(FieldError {
                field: "source_body",
                code: "field-required",
            });
        }
        if body.chars().count() > 200 || body.chars().any(char::is_control) {
            errors.push(FieldError {
                field: "source_body",
                code: "field-too-long",
            });
        }
        if channel == Some(Channel::AgencyTransfer) && document.is_empty() {
            errors.push(FieldError {
                field: "source_document",
                code: "field-required",
            });
        }
        if document.chars().count() > 100 || document.chars().any(char::is_control) {
            errors.push(FieldError {
                field: "source_document",
                code: "field-too-long",
            });
        }
        match channel {
            Some(channel) if errors.is_empty() => Ok(Registration {
                channel,
                source_body: (forwarded && !body.is_empty()).then(|| body.to_owned()),
                source_document: (forwarded && !document.is_empty()).then(|| document.to_owned()),
                partner_follows: matches!(self.partner_follows.trim(), "yes" | "on" | "1" | "true"),
            }),
            _ => Err(crate::DomainError::Invalid(errors)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_names_its_channel_and_a_transfer_its_source() {
        let reg = |channel: &str, body: &str, doc: &str| RawRegistration {
            channel: channel.into(),
            source_body: body.into(),
            source_document: doc.into(),
            partner_follows: String::new(),
        };
        let walk_in = reg("walk_in", "ignored", "ignored").validate().unwrap();
        assert_eq!(
            (
                walk_in.channel,
                walk_in.source_body,
                walk_in.source_document
            ),
            (Channel::WalkIn, None, None)
        );
        let transfer = reg("agency_transfer", "Thanh tra Bộ Xây dựng", "125/TTr-XD")
            .validate()
            .unwrap();
        assert_eq!(transfer.source_document.as_deref(), Some("125/TTr-XD"));
        let codes = |r: RawRegistration| match r.validate() {
            Err(crate::DomainError::Invalid(f)) => f.iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("expected invalid, got {other:?}"),
        };
        let v: Vec<_> = codes(reg("web", "", ""));
        assert_eq!(v, [("channel", "field-unknown-channel")]);
        let v: Vec<_> = codes(reg("pigeon", "", ""));
        assert_eq!(v, [("channel", "field-unknown-channel")]);
        let v: Vec<_> = codes(reg("agency_transfer", " ", ""));
        assert_eq!(
            v,
            [
                ("source_body", "field-required"),
                ("source_document", "field-required")
            ]
        );
        for c in Channel::ALL {
            assert_eq!(Channel::from_code(c.code()), Some(c));
        }
    }

    #[test]
    fn codes_round_trip() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::from_code(s.code()), Some(s));
        }
        for t in Track::ALL {
            assert_eq!(Track::from_code(t.code()), Some(t));
        }
        assert_eq!(CaseState::NotAccepted.label_key(), "state-not-accepted");
        assert_eq!(
            Track::CrimeInformation.label_key(),
            "track-crime-information"
        );
    }
}
