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

#[cfg(test)]
mod tests {
    use super::*;

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
