//! After an outcome, the reporter has the last word (issue 8, must-have 7): whether they are
//! satisfied, and a request that the body directly above the resolver review the resolution
//! (tố cáo tiếp, Law on Denunciation 2018 Art. 37). The request opens the superior's review on
//! its own statutory clock (20 days, the dated rule `re_review`), exactly once; the superior's
//! lead records whether the resolution stands or is to be resolved again. Every step is
//! counted in the figures (`domain::statistics`).

use minhbach_domain::feedback::{self, ReReviewOutcome, REVIEW_RULE, WINDOW_RULE};
use minhbach_domain::{
    can, Action, AgencyId, CaseFacts, ClockOp, DeadlineClock, DomainError, FieldError, MessageText,
};
use minhbach_store::{
    Agency, AuditEntry, CaseRecord, ReReviewAsked, ReReviewDecision, ReReviewRecord,
};
use time::Date;

use crate::access::AgencyName;
use crate::reporter::ReporterSession;
use crate::sessions::StaffSession;
use crate::{App, Error, Result};

/// How many requests a superior's list shows.
pub const LIST_LIMIT: i64 = 200;

/// What the status page shows once the case has an outcome.
#[derive(Clone, Debug)]
pub struct OutcomeView {
    /// Whether the reporter said they were satisfied; `None`: not answered yet.
    pub answer: Option<bool>,
    /// The body that would review the resolution (the agency's superior); `None` when the
    /// body above the resolver does not work on minhbach (the page then says to write to it).
    pub superior: Option<AgencyName>,
    /// The review may be asked for now (a conclusion, within the window, not asked yet).
    pub may_contest: bool,
    /// A review could be asked for, but the body above does not work on minhbach: the page
    /// says to write to it.
    pub write_to_superior: bool,
    /// The last day the status page offers the review; `None` with `may_contest`: no limit
    /// (a rule set without the window rule: the law itself sets none).
    pub contest_until: Option<Date>,
    pub review: Option<ReReviewRecord>,
}

fn invalid(field: &'static str, code: &'static str) -> Error {
    DomainError::Invalid(vec![FieldError { field, code }]).into()
}

/// The local day of a Unix time.
fn local_day(at: i64) -> Result<Date> {
    Ok(time::OffsetDateTime::from_unix_timestamp(at)
        .map_err(|e| Error::Internal(e.to_string()))?
        .to_offset(crate::clock::LOCAL_OFFSET)
        .date())
}

/// The day of the case's last conclusion, if it was concluded.
async fn concluded_on(st: &App, case: &CaseRecord) -> Result<Option<Date>> {
    let events = st.store.events(case.id).await?;
    events
        .iter()
        .rev()
        .find(|e| e.kind == "conclude")
        .map(|e| local_day(e.at))
        .transpose()
}

/// The body that reviews a resolution of `agency`: its superior, or the organisation's
/// default intake agency (the inspectorate) where none is recorded. `None` when that is the
/// agency itself: the body above it (the city's People's Committee) does not work on minhbach.
async fn superior_of(st: &App, agencies: &[Agency], agency: AgencyId) -> Result<Option<AgencyId>> {
    let recorded = agencies
        .iter()
        .find(|a| a.id == agency)
        .and_then(|a| a.superior);
    let superior = match recorded {
        Some(s) => Some(s),
        None => st
            .store
            .organisation()
            .await?
            .and_then(|o| o.default_agency),
    };
    Ok(superior.filter(|s| *s != agency))
}

/// The last day the review may be asked for after a conclusion on `on`, from the dated rule.
fn window_end(st: &App, on: Date) -> Option<Date> {
    let legal = st.legal();
    DeadlineClock::start(&legal.rules, WINDOW_RULE, on)
        .ok()
        .and_then(|c| c.due(&legal.calendar))
}

/// What the status page shows after the outcome; `None` before there is one (and in a decoy
/// session, whose page shows nothing of the real case).
pub async fn outcome_view(st: &App, s: &ReporterSession) -> Result<Option<OutcomeView>> {
    if s.decoy.is_some() || !feedback::has_outcome(s.case.state) {
        return Ok(None);
    }
    let answer = st.store.outcome_answer(s.case.id).await?;
    let review = st.store.re_review_of(s.case.id).await?;
    let concluded = concluded_on(st, &s.case).await?;
    let contest_until = concluded.and_then(|d| window_end(st, d));
    let open = contest_until.is_none_or(|end| st.today() <= end);
    let agencies = st.store.agencies().await?;
    let superior = match &review {
        Some(r) => Some(r.agency),
        None => superior_of(st, &agencies, s.case.agency).await?,
    };
    let contestable =
        review.is_none() && open && feedback::may_contest(s.case.state, concluded.is_some());
    let may_contest = contestable && superior.is_some();
    Ok(Some(OutcomeView {
        answer,
        superior: superior.map(|a| AgencyName::find(&agencies, a)),
        may_contest,
        write_to_superior: contestable && superior.is_none(),
        contest_until,
        review,
    }))
}

/// The reporter says whether they are satisfied with the outcome, once. Before an outcome, or a
/// second time, it is refused and nothing is written; a decoy session writes nothing.
pub async fn answer(st: &App, s: &ReporterSession, satisfied: bool) -> Result<()> {
    if s.decoy.is_some() {
        return Ok(());
    }
    if !feedback::has_outcome(s.case.state) {
        return Err(invalid("satisfied", "feedback-no-outcome"));
    }
    if !st
        .store
        .answer_outcome(s.case.id, satisfied, st.now())
        .await?
    {
        return Err(invalid("satisfied", "feedback-answered"));
    }
    Ok(())
}

/// The reporter asks the superior body to review the resolution (Art. 37) on these grounds,
/// which join the case's messages sealed like every other, in the same write as the request. Opens the superior's review with its
/// 20-day clock and notifies its leads; exactly once, however often or concurrently asked. A
/// case that was not concluded, or past the window, is refused and nothing is written.
pub async fn contest(st: &App, s: &ReporterSession, grounds: &str) -> Result<ReReviewAsked> {
    // The grounds are a message: empty or too long is told beside the grounds field.
    let text = MessageText::parse(grounds).map_err(|e| match e {
        DomainError::Invalid(fields) => DomainError::Invalid(
            fields
                .into_iter()
                .map(|f| FieldError {
                    field: "grounds",
                    code: f.code,
                })
                .collect(),
        )
        .into(),
        other => Error::from(other),
    })?;
    if s.decoy.is_some() {
        return Ok(ReReviewAsked::Asked);
    }
    let concluded = concluded_on(st, &s.case).await?;
    let Some(on) = concluded.filter(|_| feedback::may_contest(s.case.state, true)) else {
        return Err(invalid("grounds", "feedback-not-concluded"));
    };
    let today = st.today();
    if window_end(st, on).is_some_and(|end| today > end) {
        return Err(invalid("grounds", "feedback-window-closed"));
    }
    if st.store.re_review_of(s.case.id).await?.is_some() {
        return Ok(ReReviewAsked::AlreadyAsked);
    }
    let agencies = st.store.agencies().await?;
    let Some(superior) = superior_of(st, &agencies, s.case.agency).await? else {
        return Err(invalid("grounds", "feedback-no-superior"));
    };
    let rows = st.store.clocks(s.case.id).await?;
    let plan = crate::clocks::plan(
        &st.legal(),
        &rows,
        &[ClockOp::Start(REVIEW_RULE)],
        superior,
        today,
        None,
    )?;
    let clock = plan
        .new
        .into_iter()
        .next()
        .ok_or_else(|| Error::Internal("the review clock did not start".into()))?;
    // The grounds are stored with the request, in one write: both or neither.
    let now = st.now();
    let grounds = crate::casework::seal_reporter_message(&s.case, &s.case_key, &text, now);
    Ok(st
        .store
        .request_re_review(s.case.id, superior, &clock, &grounds, now)
        .await?)
}

/// The facts the policy checks for a review: the reviewing body.
fn review_facts(agency: AgencyId, r: &ReReviewRecord) -> CaseFacts {
    CaseFacts {
        agency,
        state: r.state,
        assignee: None,
        forward_hops: 0,
    }
}

/// The requests the lead's body reviews (metadata only: the grounds are the case's sealed
/// messages, which stay with the agency that holds the case).
pub async fn reviews(st: &App, s: &StaffSession) -> Result<Vec<ReReviewRecord>> {
    let agency = s.actor.agency.ok_or(DomainError::Forbidden)?;
    let probe = CaseFacts {
        agency,
        state: minhbach_domain::CaseState::Concluded,
        assignee: None,
        forward_hops: 0,
    };
    if !can(&s.actor, Action::DecideReReview, Some(&probe)) {
        return Err(DomainError::Forbidden.into());
    }
    Ok(st.store.re_reviews_for(agency, LIST_LIMIT).await?)
}

/// The superior's lead records the review's outcome with its written decision, once, and the
/// review's clock is completed (kept or late). Another body's request is not found.
pub async fn decide(
    st: &App,
    s: &StaffSession,
    reference: &str,
    outcome: &str,
    document_number: &str,
    decision_date: &str,
) -> Result<()> {
    let case = st
        .store
        .case_by_reference(reference.trim())
        .await?
        .ok_or(DomainError::NotFound)?;
    let review = st
        .store
        .re_review_of(case.id)
        .await?
        .ok_or(DomainError::NotFound)?;
    if !can(
        &s.actor,
        Action::DecideReReview,
        Some(&review_facts(review.agency, &review)),
    ) {
        return Err(DomainError::NotFound.into());
    }
    if review.outcome.is_some() {
        return Err(invalid("outcome", "feedback-decided"));
    }
    let mut errors = Vec::new();
    let outcome = ReReviewOutcome::from_code(outcome.trim());
    if outcome.is_none() {
        errors.push(FieldError {
            field: "outcome",
            code: "field-invalid-choice",
        });
    }
    let document_number = document_number.trim();
    if document_number.is_empty() {
        errors.push(FieldError {
            field: "document_number",
            code: "field-required",
        });
    } else if document_number.chars().count() > 100 {
        errors.push(FieldError {
            field: "document_number",
            code: "field-too-long",
        });
    }
    let today = st.today();
    let decision_date = decision_date.trim();
    let parsed = if decision_date.is_empty() {
        Ok(today)
    } else {
        crate::clocks::parse_date(decision_date)
    };
    let date = match parsed {
        Ok(d) if d > today => {
            errors.push(FieldError {
                field: "decision_date",
                code: "field-date-future",
            });
            None
        }
        Ok(d) if d < local_day(review.requested_at)? => {
            errors.push(FieldError {
                field: "decision_date",
                code: "field-date-before-start",
            });
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError {
                field: "decision_date",
                code: "field-date-format",
            });
            None
        }
    };
    let (Some(outcome), Some(date), true) = (outcome, date, errors.is_empty()) else {
        return Err(DomainError::Invalid(errors).into());
    };
    let rows = st.store.clocks(case.id).await?;
    let plan = crate::clocks::plan(
        &st.legal(),
        &rows,
        &[ClockOp::Complete(REVIEW_RULE)],
        review.agency,
        date,
        None,
    )?;
    let clock = plan
        .updates
        .into_iter()
        .find(|u| u.id == review.clock_id)
        .ok_or_else(|| Error::Internal("the review clock is not open".into()))?;
    let decided = st
        .store
        .decide_re_review(
            case.id,
            ReReviewDecision {
                outcome: outcome.code(),
                document_number,
                decision_date: &crate::clocks::iso(date),
                by: s.user.id,
            },
            &clock,
            &AuditEntry::new(
                st.now(),
                format!("user:{}", s.user.id.0),
                "case.re_review_decided",
                Some(case.id),
            )
            .with_detail(serde_json::json!({
                "outcome": outcome.code(),
                "document_number": document_number,
                "met": clock.met,
            })),
        )
        .await?;
    if !decided {
        return Err(invalid("outcome", "feedback-decided"));
    }
    Ok(())
}
