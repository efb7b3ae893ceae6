//! Questionnaires per category: the extra questions a report of that category asks (a land
//! report asks for the plot; a procurement report for the tender), written by an administrator
//! as a TOML document, checked here, and answered by the reporter. The answers are sealed with
//! the report's content, labels included, so that a later change of the questionnaire never
//! changes what a report said.
//!
//! ```toml
//! [[question]]
//! key = "has_permit"
//! label_vi = "Công trình có giấy phép xây dựng không?"
//! label_en = "Does the building have a permit?"
//! type = "yes_no"
//! required = true
//!
//! [[question]]
//! key = "permit_number"
//! label_vi = "Số giấy phép"
//! label_en = "Permit number"
//! type = "text"
//! shown_if = { question = "has_permit", answer = "yes" }
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// At most this many questions per category: enough for a real form, few enough to answer.
pub const MAX_QUESTIONS: usize = 20;
/// At most this many choices per question.
pub const MAX_OPTIONS: usize = 20;
/// The largest questionnaire document.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024;
/// The longest label.
pub const MAX_LABEL_CHARS: usize = 300;
/// The longest answer to a short question, and to a long one.
pub const MAX_SHORT_ANSWER: usize = 500;
pub const MAX_LONG_ANSWER: usize = 5_000;

/// The form field of the n-th question's answer, as validation errors name it.
pub const ANSWER_FIELDS: [&str; MAX_QUESTIONS] = [
    "answer-0",
    "answer-1",
    "answer-2",
    "answer-3",
    "answer-4",
    "answer-5",
    "answer-6",
    "answer-7",
    "answer-8",
    "answer-9",
    "answer-10",
    "answer-11",
    "answer-12",
    "answer-13",
    "answer-14",
    "answer-15",
    "answer-16",
    "answer-17",
    "answer-18",
    "answer-19",
];

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    LongText,
    Number,
    Date,
    YesNo,
    Choice,
}

impl Kind {
    pub fn code(&self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::LongText => "long_text",
            Kind::Number => "number",
            Kind::Date => "date",
            Kind::YesNo => "yes_no",
            Kind::Choice => "choice",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub code: String,
    pub label_vi: String,
    pub label_en: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ShownIf {
    /// The key of an earlier question.
    pub question: String,
    /// The answer to it that shows this one (a choice's code, "yes" or "no").
    pub answer: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub key: String,
    pub label_vi: String,
    pub label_en: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub options: Vec<Choice>,
    #[serde(default)]
    pub shown_if: Option<ShownIf>,
}

/// A checked questionnaire.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    #[serde(default, rename = "question")]
    pub questions: Vec<Question>,
}

/// An answer as sealed with the report: the question's key and labels, and what was answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub key: String,
    pub label_vi: String,
    pub label_en: String,
    /// What was answered: the text, the number, the ISO date, "yes"/"no", a choice's code.
    pub value: String,
    /// The answer as a reader sees it, in each language (a choice's label, Có/Yes).
    pub text_vi: String,
    pub text_en: String,
}

fn is_key(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn label_ok(s: &str) -> bool {
    !s.trim().is_empty() && s.chars().count() <= MAX_LABEL_CHARS && !s.chars().any(char::is_control)
}

impl Questionnaire {
    /// Reads and checks a questionnaire document; every problem is named, in English, for the
    /// administrator who wrote it (with the question's key).
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(format!(
                "the document has {} bytes; at most {MAX_DOCUMENT_BYTES}",
                text.len()
            ));
        }
        let q: Questionnaire = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        q.check()?;
        Ok(q)
    }

    fn check(&self) -> Result<(), String> {
        if self.questions.len() > MAX_QUESTIONS {
            return Err(format!(
                "{} questions; at most {MAX_QUESTIONS}",
                self.questions.len()
            ));
        }
        for (i, q) in self.questions.iter().enumerate() {
            let earlier = &self.questions[..i];
            if !is_key(&q.key) {
                return Err(format!(
                    "question {}: a key has 1 to 32 lowercase letters, digits or _, starting with a letter",
                    i + 1
                ));
            }
            if earlier.iter().any(|e| e.key == q.key) {
                return Err(format!("{}: the key is used twice", q.key));
            }
            if !label_ok(&q.label_vi) || !label_ok(&q.label_en) {
                return Err(format!(
                    "{}: both labels are needed, at most {MAX_LABEL_CHARS} characters",
                    q.key
                ));
            }
            match (&q.kind, q.options.len()) {
                (Kind::Choice, 2..=MAX_OPTIONS) => {}
                (Kind::Choice, _) => {
                    return Err(format!(
                        "{}: a choice has 2 to {MAX_OPTIONS} options",
                        q.key
                    ))
                }
                (_, 0) => {}
                (_, _) => return Err(format!("{}: only a choice has options", q.key)),
            }
            for (j, o) in q.options.iter().enumerate() {
                if !is_key(&o.code) || q.options[..j].iter().any(|p| p.code == o.code) {
                    return Err(format!("{}: option codes are distinct keys", q.key));
                }
                if !label_ok(&o.label_vi) || !label_ok(&o.label_en) {
                    return Err(format!("{}: every option needs both labels", q.key));
                }
            }
            if let Some(cond) = &q.shown_if {
                let Some(on) = earlier.iter().find(|e| e.key == cond.question) else {
                    return Err(format!(
                        "{}: shown_if names {}, which is not an earlier question",
                        q.key, cond.question
                    ));
                };
                let possible = match on.kind {
                    Kind::YesNo => ["yes", "no"].contains(&cond.answer.as_str()),
                    Kind::Choice => on.options.iter().any(|o| o.code == cond.answer),
                    _ => false,
                };
                if !possible {
                    return Err(format!(
                        "{}: shown_if needs a yes/no or choice question and one of its answers",
                        q.key
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether a question is asked, given the answers so far.
    pub fn is_shown(&self, q: &Question, answers: &BTreeMap<String, String>) -> bool {
        match &q.shown_if {
            None => true,
            Some(c) => answers.get(&c.question).map(|a| a.trim()) == Some(c.answer.as_str()),
        }
    }

    /// Checks the answers (by question key) and returns those of the questions asked, in the
    /// questionnaire's order. A question that is not shown has its answer dropped; a required
    /// one must be answered only when it is shown. Unknown keys are ignored.
    pub fn answers(
        &self,
        given: &BTreeMap<String, String>,
    ) -> Result<Vec<Answer>, Vec<FieldError>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for (i, q) in self.questions.iter().enumerate() {
            let field = ANSWER_FIELDS[i];
            let value = given.get(&q.key).map_or("", |v| v.trim());
            if !self.is_shown(q, given) {
                continue;
            }
            if value.is_empty() {
                if q.required {
                    errors.push(FieldError {
                        field,
                        code: "field-required",
                    });
                }
                continue;
            }
            let max = if q.kind == Kind::LongText {
                MAX_LONG_ANSWER
            } else {
                MAX_SHORT_ANSWER
            };
            let valid = value.chars().count() <= max
                && match q.kind {
                    Kind::Text | Kind::LongText => true,
                    Kind::Number => value.replace([',', '.', ' '], "").parse::<u64>().is_ok(),
                    Kind::Date => time::Date::parse(
                        value,
                        time::macros::format_description!("[year]-[month]-[day]"),
                    )
                    .is_ok(),
                    Kind::YesNo => value == "yes" || value == "no",
                    Kind::Choice => q.options.iter().any(|o| o.code == value),
                };
            if !valid {
                errors.push(FieldError {
                    field,
                    code: "field-invalid-answer",
                });
                continue;
            }
            let (text_vi, text_en) = match q.kind {
                Kind::YesNo if value == "yes" => ("Có".to_owned(), "Yes".to_owned()),
                Kind::YesNo => ("Không".to_owned(), "No".to_owned()),
                Kind::Choice => q
                    .options
                    .iter()
                    .find(|o| o.code == value)
                    .map(|o| (o.label_vi.clone(), o.label_en.clone()))
                    .unwrap_or_default(),
                _ => (value.to_owned(), value.to_owned()),
            };
            out.push(Answer {
                key: q.key.clone(),
                label_vi: q.label_vi.clone(),
                label_en: q.label_en.clone(),
                value: value.to_owned(),
                text_vi,
                text_en,
            });
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const LAND: &str = r#"
[[question]]
key = "has_permit"
label_vi = "Công trình có giấy phép xây dựng không?"
label_en = "Does the building have a permit?"
type = "yes_no"
required = true

[[question]]
key = "permit_number"
label_vi = "Số giấy phép"
label_en = "Permit number"
type = "text"
required = true
shown_if = { question = "has_permit", answer = "yes" }

[[question]]
key = "use"
label_vi = "Mục đích sử dụng đất"
label_en = "Land use"
type = "choice"
options = [
  { code = "housing", label_vi = "Đất ở", label_en = "Housing" },
  { code = "farming", label_vi = "Đất nông nghiệp", label_en = "Farming" },
]

[[question]]
key = "since"
label_vi = "Từ ngày"
label_en = "Since"
type = "date"
"#;

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn answers_follow_the_conditions_types_and_requirements() {
        let q = Questionnaire::parse(LAND).unwrap();
        // "No permit": the permit number is not asked, and dropped if given.
        let a = q
            .answers(&given(&[
                ("has_permit", "no"),
                ("permit_number", "x"),
                ("use", "housing"),
            ]))
            .unwrap();
        let keys: Vec<_> = a.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["has_permit", "use"]);
        // "Yes": now the number is required.
        let e = q.answers(&given(&[("has_permit", "yes")])).unwrap_err();
        assert_eq!(
            e,
            [FieldError {
                field: "answer-1",
                code: "field-required"
            }]
        );
        // Wrong types.
        let e = q
            .answers(&given(&[
                ("has_permit", "maybe"),
                ("use", "castle"),
                ("since", "31/12/2025"),
            ]))
            .unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            [
                ("answer-0", "field-invalid-answer"),
                ("answer-2", "field-invalid-answer"),
                ("answer-3", "field-invalid-answer")
            ]
        );
        let a = q
            .answers(&given(&[
                ("has_permit", "yes"),
                ("permit_number", "12/GPXD"),
                ("since", "2025-12-31"),
            ]))
            .unwrap();
        assert_eq!(a.len(), 3);
        let a = q
            .answers(&given(&[("has_permit", "no"), ("use", "farming")]))
            .unwrap();
        assert_eq!(
            (a[0].text_vi.as_str(), a[0].text_en.as_str()),
            ("Không", "No")
        );
        assert_eq!(
            (a[1].value.as_str(), a[1].text_vi.as_str()),
            ("farming", "Đất nông nghiệp")
        );
    }

    #[test]
    fn a_bad_questionnaire_is_refused_with_a_reason() {
        let bad = [
            (LAND.replace("key = \"since\"", "key = \"use\""), "twice"),
            (LAND.replace("question = \"has_permit\"", "question = \"since\""), "earlier"),
            (LAND.replace("type = \"date\"", "type = \"photo\""), "photo"),
            (LAND.replace("label_en = \"Since\"", "label_en = \"\""), "labels"),
            (format!("{LAND}\nextra = 1\n"), "extra"),
            ("[[question]]\nkey = \"Bad Key\"\nlabel_vi = \"a\"\nlabel_en = \"a\"\ntype = \"text\"\n".to_owned(), "key"),
        ];
        for (doc, why) in bad {
            assert!(Questionnaire::parse(&doc).is_err(), "{why}");
        }
        let many: String = (0..=MAX_QUESTIONS)
            .map(|i| format!("[[question]]\nkey = \"q{i}\"\nlabel_vi = \"a\"\nlabel_en = \"a\"\ntype = \"text\"\n"))
            .collect();
        assert!(Questionnaire::parse(&many)
            .unwrap_err()
            .contains("at most 20"));
        let huge = format!("# {}\n{LAND}", "x".repeat(MAX_DOCUMENT_BYTES));
        assert!(Questionnaire::parse(&huge).unwrap_err().contains("bytes"));
        assert_eq!(Questionnaire::parse("").unwrap().questions.len(), 0);
    }
}
