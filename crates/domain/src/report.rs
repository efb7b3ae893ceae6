//! What a valid report, message and reason look like. Input from forms and the JSON API arrives
//! as [`RawReport`] (all strings) and becomes a [`NewReport`] only through [`RawReport::validate`].

use crate::{AgencyId, DomainError, FieldError};

/// Limits, in characters. Generous for a real account of events, small enough that a single
/// request cannot fill the disk.
pub const MAX_WHAT: usize = 20_000;
pub const MAX_SHORT: usize = 500;
pub const MAX_WHO: usize = 2_000;
pub const MAX_NAME: usize = 200;
pub const MAX_MESSAGE: usize = 10_000;
pub const MAX_REASON: usize = 5_000;
/// The longest regulation number or article of a loophole proposal.
pub const MAX_REGULATION: usize = 200;

/// A report as typed by the reporter, before any check.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawReport {
    pub category: String,
    /// Empty when the reporter does not know which agency is competent.
    pub agency: String,
    pub what: String,
    pub when: String,
    #[serde(rename = "where")]
    pub where_: String,
    pub who: String,
    /// "anonymous" or "confidential".
    pub identity: String,
    pub name: String,
    pub contact: String,
    /// Postal address (named reports; Law on Denunciation 2018 Art. 23).
    pub address: String,
    /// Citizen identity card number (named reports).
    pub citizen_id: String,
    /// "yes" for a second, decoy code that opens an ordinary-looking closed case.
    pub decoy: String,
    /// What the decoy page shows as the report (optional).
    pub decoy_what: String,
    /// "yes" when the person reported holds a leading position in the chosen agency: the case
    /// then goes to its superior body and that agency's leads never receive its key.
    pub accused_lead: String,
    /// Answers to the category's questionnaire, by question key.
    pub answers: std::collections::BTreeMap<String, String>,
    /// A loophole in a regulation (category [`REGULATION_CATEGORY`]): the document's number
    /// and the article, kept in clear so that the outcome can be shown by regulation.
    pub regulation_document: String,
    pub regulation_article: String,
}

/// The category of a proposal to close a loophole in a regulation or an administrative
/// procedure (issue 8, must-have 9): it goes to the body that issued the regulation.
pub const REGULATION_CATEGORY: &str = "regulation";

/// The regulation a loophole proposal points at, in clear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regulation {
    /// The document's number and symbol, e.g. `15/2020/NĐ-CP`.
    pub document: String,
    /// The article, clause or procedure step; may be empty.
    pub article: String,
}

/// Who the reporter is, if they chose to say.
#[derive(Clone, PartialEq, Eq)]
pub enum Identity {
    Anonymous,
    /// Named, but the identity is sealed and shown to nobody without a custodian's approval.
    Confidential {
        name: String,
        contact: String,
        address: String,
        citizen_id: String,
    },
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identity::Anonymous => f.write_str("Anonymous"),
            Identity::Confidential { .. } => f.write_str("Confidential(<sealed>)"),
        }
    }
}

/// A checked report. Its `Debug` hides the content so it can never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct NewReport {
    pub category: String,
    pub agency: Option<AgencyId>,
    pub what: String,
    pub when: String,
    pub where_: String,
    pub who: String,
    pub identity: Identity,
    /// The person reported leads `agency` (which is then required).
    pub accused_lead: bool,
    /// The decoy page's report text, when a decoy code was asked for.
    pub decoy: Option<String>,
    /// The answers to the category's questionnaire, sealed with the content.
    pub answers: Vec<crate::questionnaire::Answer>,
    /// A loophole proposal's regulation.
    pub regulation: Option<Regulation>,
}

impl std::fmt::Debug for NewReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewReport")
            .field("category", &self.category)
            .field("agency", &self.agency)
            .finish_non_exhaustive()
    }
}

fn check_len(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    required: bool,
    max: usize,
) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        errors.push(FieldError {
            field,
            code: "field-required",
        });
    } else if value.chars().count() > max {
        errors.push(FieldError {
            field,
            code: "field-too-long",
        });
    }
    value.to_owned()
}

impl RawReport {
    /// Checks every field and reports every problem at once, so the reporter fixes the form in
    /// one pass. `categories` and `agencies` are the ones currently configured.
    pub fn validate(
        self,
        categories: &[String],
        agencies: &[AgencyId],
    ) -> Result<NewReport, DomainError> {
        self.validate_with(categories, agencies, None)
    }

    /// [`Self::validate`], with the answers to the chosen category's questionnaire checked in
    /// the same pass.
    pub fn validate_with(
        self,
        categories: &[String],
        agencies: &[AgencyId],
        questionnaire: Option<&crate::questionnaire::Questionnaire>,
    ) -> Result<NewReport, DomainError> {
        let mut errors = Vec::new();
        let answers = match questionnaire.map(|q| q.answers(&self.answers)) {
            None => Vec::new(),
            Some(Ok(answers)) => answers,
            Some(Err(wrong)) => {
                errors.extend(wrong);
                Vec::new()
            }
        };
        let category = self.category.trim().to_owned();
        if category.is_empty() {
            errors.push(FieldError {
                field: "category",
                code: "field-required",
            });
        } else if !categories.contains(&category) {
            errors.push(FieldError {
                field: "category",
                code: "field-unknown-category",
            });
        }
        let agency = match self.agency.trim() {
            "" => None,
            s => match s.parse::<i64>().map(AgencyId) {
                Ok(id) if agencies.contains(&id) => Some(id),
                _ => {
                    errors.push(FieldError {
                        field: "agency",
                        code: "field-unknown-agency",
                    });
                    None
                }
            },
        };
        let what = check_len(&mut errors, "what", &self.what, true, MAX_WHAT);
        let when = check_len(&mut errors, "when", &self.when, false, MAX_SHORT);
        let where_ = check_len(&mut errors, "where", &self.where_, false, MAX_SHORT);
        let who = check_len(&mut errors, "who", &self.who, false, MAX_WHO);
        let identity = match self.identity.trim() {
            "" | "anonymous" => Identity::Anonymous,
            "confidential" => named_identity(
                &mut errors,
                &self.name,
                &self.contact,
                &self.address,
                &self.citizen_id,
            ),
            _ => {
                errors.push(FieldError {
                    field: "identity",
                    code: "field-invalid-choice",
                });
                Identity::Anonymous
            }
        };
        let accused_lead = match self.accused_lead.trim() {
            "" | "no" => false,
            "yes" => true,
            _ => {
                errors.push(FieldError {
                    field: "accused_lead",
                    code: "field-invalid-choice",
                });
                false
            }
        };
        // Whoever says the accused leads an agency must say which one.
        if accused_lead && agency.is_none() && self.agency.trim().is_empty() {
            errors.push(FieldError {
                field: "agency",
                code: "field-required-accused-lead",
            });
        }
        let decoy = match self.decoy.trim() {
            "" | "no" => None,
            "yes" => Some(check_len(
                &mut errors,
                "decoy_what",
                &self.decoy_what,
                false,
                MAX_SHORT,
            )),
            _ => {
                errors.push(FieldError {
                    field: "decoy",
                    code: "field-invalid-choice",
                });
                None
            }
        };
        // A loophole proposal names its regulation; other reports carry none.
        let regulation = (category == REGULATION_CATEGORY).then(|| Regulation {
            document: check_len(
                &mut errors,
                "regulation_document",
                &self.regulation_document,
                true,
                MAX_REGULATION,
            ),
            article: check_len(
                &mut errors,
                "regulation_article",
                &self.regulation_article,
                false,
                MAX_REGULATION,
            ),
        });
        if !errors.is_empty() {
            return Err(DomainError::Invalid(errors));
        }
        Ok(NewReport {
            category,
            agency,
            what,
            when,
            where_,
            who,
            identity,
            accused_lead,
            decoy,
            answers,
            regulation,
        })
    }
}

/// The identity of a named report: a name (required), contact, address and citizen identity
/// number (12 digits, or 9 on the old cards). Problems are added to `errors`.
fn named_identity(
    errors: &mut Vec<FieldError>,
    name: &str,
    contact: &str,
    address: &str,
    citizen_id: &str,
) -> Identity {
    let name = check_len(errors, "name", name, true, MAX_NAME);
    let contact = check_len(errors, "contact", contact, false, MAX_SHORT);
    let address = check_len(errors, "address", address, false, MAX_SHORT);
    let citizen_id = citizen_id.trim().to_owned();
    let well_formed =
        citizen_id.chars().all(|c| c.is_ascii_digit()) && matches!(citizen_id.len(), 9 | 12);
    if !citizen_id.is_empty() && !well_formed {
        errors.push(FieldError {
            field: "citizen_id",
            code: "field-citizen-id",
        });
    }
    Identity::Confidential {
        name,
        contact,
        address,
        citizen_id,
    }
}

/// The reporter's corrected or completed identity, checked like the report form's.
pub fn parse_identity(
    name: &str,
    contact: &str,
    address: &str,
    citizen_id: &str,
) -> Result<Identity, DomainError> {
    let mut errors = Vec::new();
    let identity = named_identity(&mut errors, name, contact, address, citizen_id);
    if errors.is_empty() {
        Ok(identity)
    } else {
        Err(DomainError::Invalid(errors))
    }
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, DomainError> {
                let mut errors = Vec::new();
                let v = check_len(&mut errors, $field, s, true, $max);
                match errors.pop() {
                    Some(e) => Err(DomainError::field(e.field, e.code)),
                    None => Ok(Self(v)),
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "(<{} chars>)"), self.0.chars().count())
            }
        }
    };
}

bounded_text!(
    /// The text of a message between the reporter and the agency: not empty, bounded.
    MessageText,
    "body",
    MAX_MESSAGE
);
bounded_text!(
    /// Reasons for a decision (refusal, forwarding): mandatory and bounded.
    ReasonText,
    "reasons",
    MAX_REASON
);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cats() -> Vec<String> {
        vec!["land".into(), "other".into()]
    }

    fn raw() -> RawReport {
        RawReport {
            category: "land".into(),
            what: "Cán bộ phường thu tiền trái phép".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_minimal_anonymous_report_is_valid() {
        let r = raw().validate(&cats(), &[AgencyId(1)]).unwrap();
        assert_eq!(r.identity, Identity::Anonymous);
        assert_eq!(r.agency, None);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = RawReport {
            category: "weather".into(),
            agency: "99".into(),
            what: "   ".into(),
            when: "x".repeat(MAX_SHORT + 1),
            identity: "confidential".into(),
            ..Default::default()
        };
        let Err(DomainError::Invalid(errors)) = bad.validate(&cats(), &[AgencyId(1)]) else {
            panic!("expected invalid");
        };
        let fields: Vec<_> = errors.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            vec![
                ("category", "field-unknown-category"),
                ("agency", "field-unknown-agency"),
                ("what", "field-required"),
                ("when", "field-too-long"),
                ("name", "field-required"),
            ]
        );
    }

    #[test]
    fn oversized_text_is_refused_at_the_limit_plus_one() {
        let mut r = raw();
        r.what = "đ".repeat(MAX_WHAT);
        assert!(r.clone().validate(&cats(), &[]).is_ok());
        r.what.push('đ');
        assert!(r.validate(&cats(), &[]).is_err());
    }

    #[test]
    fn debug_never_shows_content() {
        let mut r = raw();
        r.identity = "confidential".into();
        r.name = "Nguyễn Văn Secret".into();
        let r = r.validate(&cats(), &[]).unwrap();
        let dbg = format!("{r:?} {:?}", r.identity);
        assert!(
            !dbg.contains("Secret") && !dbg.contains("trái phép"),
            "{dbg}"
        );
        assert!(!format!("{:?}", MessageText::parse("bí mật").unwrap()).contains("bí mật"));
    }

    #[test]
    fn empty_messages_and_reasons_are_refused() {
        assert!(MessageText::parse("  ").is_err());
        assert!(ReasonText::parse("").is_err());
        assert!(MessageText::parse(&"a".repeat(MAX_MESSAGE + 1)).is_err());
    }
}

/// What the issuing body did with a loophole proposal (issue 8, must-have 9), shown on the
/// public page by regulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegulationOutcome {
    /// The body amended its regulation or procedure.
    Amended,
    /// The body proposed the change to the level competent to make it.
    Proposed,
    /// Rejected, with reasons given in public.
    Rejected,
}

impl RegulationOutcome {
    pub const ALL: [RegulationOutcome; 3] = [
        RegulationOutcome::Amended,
        RegulationOutcome::Proposed,
        RegulationOutcome::Rejected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RegulationOutcome::Amended => "amended",
            RegulationOutcome::Proposed => "proposed",
            RegulationOutcome::Rejected => "rejected",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code.trim())
    }

    /// Checks an outcome as typed: a known outcome, and the public explanation (required with a
    /// rejection, which must give its reasons).
    pub fn parse(outcome: &str, explanation: &str) -> Result<(Self, String), DomainError> {
        let mut errors = Vec::new();
        let parsed = Self::from_code(outcome);
        if parsed.is_none() {
            errors.push(FieldError {
                field: "outcome",
                code: "field-invalid-choice",
            });
        }
        let required = parsed == Some(RegulationOutcome::Rejected);
        let explanation = check_len(
            &mut errors,
            "explanation",
            explanation,
            required,
            MAX_REASON,
        );
        match parsed {
            Some(o) if errors.is_empty() => Ok((o, explanation)),
            _ => Err(DomainError::Invalid(errors)),
        }
    }
}
