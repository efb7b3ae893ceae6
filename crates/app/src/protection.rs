//! Protection of the person who reports, as a case of its own (Law on Denunciation 2018 ch. VI;
//! Decree 31/2019): requested by the reporter from the status page or opened by the agency (on
//! its own, after a high-risk screen, or after a retaliation report); assessed and decided by
//! the agency's protection officer, with measures that each name the body carrying them out, a
//! start, a review date and an end. The assessment deadline is a clock of the report
//! (`protection_assessing`, from the dated rules), so the overdue scan escalates it once like
//! every other clock.
//!
//! The reporter's account of the threat, the relatives' names and every reason are sealed under
//! a protection key wrapped under the report's case key (the reporter and the case's officers),
//! to each protection officer of the agency and to the recovery key.

use minhbach_crypto::{self as crypto, PublicKey, SymmetricKey};
use minhbach_domain::protection::{parse_persons, MeasureKind, ProtectionState, ProtectionStep};
use minhbach_domain::{
    can, Action, CaseFacts, ClockOp, DomainError, FieldError, ReasonText, RiskScreen, Role,
};
use minhbach_store::{
    Alert, AuditEntry, CaseClocksChange, CaseRecord, NewMeasure, NewProtection, ProtectionChange,
    ProtectionRecord, StoreError,
};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};

use crate::access::{actor_code, staff_case};
use crate::keys::aad;
use crate::reporter::ReporterSession;
use crate::sessions::StaffSession;
use crate::{App, Error, Result};

/// What the reporter (or the officer opening it) writes.
pub struct Request<'a> {
    pub urgent: bool,
    /// Codes of the people to protect: self, spouse, parent, child.
    pub persons: &'a [String],
    /// The threat, and the relatives' names (sealed).
    pub details: &'a str,
}

#[derive(Serialize, Deserialize, Default)]
struct Details {
    details: String,
}

fn invalid(field: &'static str, code: &'static str) -> Error {
    DomainError::Invalid(vec![FieldError { field, code }]).into()
}

fn officer_key_aad(lookup: &[u8], officer: minhbach_domain::UserId) -> Vec<u8> {
    aad(&format!("protection-key-{}", officer.0), lookup)
}

/// The clock operations of opening (or re-opening) an assessment.
fn assessing_rule(urgent: bool) -> &'static str {
    if urgent {
        "protection_assessing_urgent"
    } else {
        "protection_assessing"
    }
}

async fn plan_clocks(st: &App, case: &CaseRecord, ops: &[ClockOp]) -> Result<CaseClocksChange> {
    let rows = st.store.clocks(case.id).await?;
    let plan = crate::clocks::plan(&st.legal(), &rows, ops, case.agency, st.today(), None)?;
    Ok(CaseClocksChange {
        new_clocks: plan.new,
        clock_updates: plan.updates,
        due_on: plan.due_on,
        overdue: plan.overdue,
    })
}

/// Notification kinds of protection (in-app; their links lead to the protection page).
pub const NOTIFY_PROTECTION: &str = "protection_request";
pub const NOTIFY_RETALIATION: &str = "retaliation_reported";

/// Who is told when a reporter needs assessing: the agency's protection officers, and after a
/// retaliation report also the leads of the superior body (or of the default intake agency).
async fn alerts_for(st: &App, case: &CaseRecord, retaliation: bool) -> Result<Vec<Alert>> {
    let mut alerts = vec![Alert {
        agency: case.agency,
        role: Role::ProtectionOfficer.code().to_owned(),
        kind: NOTIFY_PROTECTION.to_owned(),
    }];
    if retaliation {
        let superior = st
            .store
            .agencies()
            .await?
            .into_iter()
            .find(|a| a.id == case.agency)
            .and_then(|a| a.superior)
            .or(st.organisation().await?.default_agency)
            .filter(|s| *s != case.agency);
        if let Some(superior) = superior {
            alerts.push(Alert {
                agency: superior,
                role: Role::AgencyLead.code().to_owned(),
                kind: NOTIFY_RETALIATION.to_owned(),
            });
        }
    }
    Ok(alerts)
}

/// Opens a protection case for the reporter of `case`.
async fn open(
    st: &App,
    case: &CaseRecord,
    case_key: &SymmetricKey,
    request: &Request<'_>,
    opened_by: &str,
    actor: &str,
) -> Result<i64> {
    let persons = parse_persons(request.persons)?;
    let details = request.details.trim();
    if details.chars().count() > minhbach_domain::report::MAX_REASON {
        return Err(invalid("details", "field-too-long"));
    }
    let lookup = &case.receipt_lookup;
    let org = st.organisation().await?;
    let recovery = PublicKey::try_from_slice(&org.recovery_public_key)?;
    let key = SymmetricKey::generate(&mut OsRng);
    let mut officer_keys = Vec::new();
    for officer in st
        .store
        .staff_of(case.agency)
        .await?
        .into_iter()
        .filter(|u| u.role == Role::ProtectionOfficer)
    {
        let pk = PublicKey::try_from_slice(&officer.public_key)?;
        officer_keys.push((
            officer.id,
            crypto::wrap_to_public(&pk, &key, &officer_key_aad(lookup, officer.id), &mut OsRng),
        ));
    }
    let details_sealed = (!details.is_empty())
        .then(|| {
            serde_json::to_vec(&Details {
                details: details.to_owned(),
            })
            .map_err(|e| Error::Internal(e.to_string()))
        })
        .transpose()?
        .map(|plain| crypto::seal(&key, &plain, &aad("protection-details", lookup), &mut OsRng));
    let now = st.now();
    let p = NewProtection {
        case: case.id,
        agency: case.agency,
        urgent: request.urgent,
        opened_by: opened_by.to_owned(),
        persons: persons
            .iter()
            .map(|p| p.code())
            .collect::<Vec<_>>()
            .join(","),
        key_case: crypto::wrap_key(
            case_key,
            &key,
            &aad("protection-key-case", lookup),
            &mut OsRng,
        ),
        key_recovery: crypto::wrap_to_public(
            &recovery,
            &key,
            &aad("protection-key-recovery", lookup),
            &mut OsRng,
        ),
        details_sealed,
        officer_keys,
        clocks: plan_clocks(st, case, &[ClockOp::Start(assessing_rule(request.urgent))]).await?,
        alerts: alerts_for(st, case, opened_by == "retaliation").await?,
        now,
    };
    let audit = AuditEntry::new(now, actor, "protection.requested", Some(case.id));
    match st.store.create_protection(&p, &audit).await {
        Err(StoreError::Conflict) => Err(DomainError::ProtectionOpen.into()),
        other => Ok(other?),
    }
}

/// The reporter asks for protection from the status page.
pub async fn reporter_request(st: &App, s: &ReporterSession, request: &Request<'_>) -> Result<()> {
    parse_persons(request.persons)?;
    if s.decoy.is_some() {
        // Nothing of the real case is touched from a decoy session.
        return Ok(());
    }
    open(st, &s.case, &s.case_key, request, "reporter", "reporter")
        .await
        .map(|_| ())
}

/// An officer of the case opens protection on the agency's own initiative.
pub async fn agency_open(
    st: &App,
    s: &StaffSession,
    reference: &str,
    request: &Request<'_>,
) -> Result<i64> {
    let (case, key) = staff_case(st, s, reference, Action::OpenProtection).await?;
    open(st, &case, &key, request, "agency", &actor_code(s)).await
}

/// The risk screen at triage. A high risk opens protection on the agency's own initiative (if
/// none is open) and is shown on the case.
pub async fn screen_risk(
    st: &App,
    s: &StaffSession,
    reference: &str,
    screen: RiskScreen,
) -> Result<minhbach_domain::RiskLevel> {
    let (case, key) = staff_case(st, s, reference, Action::OpenProtection).await?;
    let level = screen.level();
    let audit = AuditEntry::new(
        st.now(),
        actor_code(s),
        "protection.risk_screened",
        Some(case.id),
    )
    .with_detail(serde_json::json!({ "level": level.code() }));
    st.store.set_risk(case.id, level.code(), &audit).await?;
    if level == minhbach_domain::RiskLevel::High {
        let request = Request {
            urgent: screen.threatened,
            persons: &["self".to_owned()],
            details: "",
        };
        match open(st, &case, &key, &request, "risk_screen", &actor_code(s)).await {
            Ok(_) | Err(Error::Domain(DomainError::ProtectionOpen)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(level)
}

/// A measure as typed by the protection officer.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawMeasure {
    pub kind: String,
    pub carried_by: String,
    pub starts_on: String,
    pub review_on: String,
    pub ends_on: String,
}

fn parse_measures(raw: &[RawMeasure]) -> Result<Vec<NewMeasure>> {
    let mut out = Vec::new();
    for m in raw.iter().filter(|m| !m.kind.trim().is_empty()) {
        let kind = MeasureKind::from_code(m.kind.trim())
            .ok_or_else(|| invalid("measures", "field-invalid-choice"))?;
        let carried_by = m.carried_by.trim();
        if carried_by.is_empty() || carried_by.chars().count() > 300 {
            return Err(invalid("carried_by", "field-required"));
        }
        let date = |s: &str, field| {
            crate::clocks::parse_date(s.trim()).map_err(|_| invalid(field, "field-invalid-date"))
        };
        let starts = date(&m.starts_on, "starts_on")?;
        let review = date(&m.review_on, "review_on")?;
        let ends = match m.ends_on.trim() {
            "" => None,
            s => Some(date(s, "ends_on")?),
        };
        if review < starts || ends.is_some_and(|e| e < starts) {
            return Err(invalid("review_on", "field-date-before-start"));
        }
        out.push(NewMeasure {
            kind: kind.code().to_owned(),
            carried_by: carried_by.to_owned(),
            starts_on: crate::clocks::iso(starts),
            review_on: crate::clocks::iso(review),
            ends_on: ends.map(crate::clocks::iso),
        });
    }
    if out.is_empty() {
        return Err(invalid("measures", "field-required"));
    }
    Ok(out)
}

/// A step decided by the protection officer.
pub struct StepInput<'a> {
    pub step: &'a str,
    pub reasons: &'a str,
    pub measures: &'a [RawMeasure],
}

/// The protection officer of the agency takes a step. A protection case of another agency is
/// answered as if it did not exist.
pub async fn decide(
    st: &App,
    s: &StaffSession,
    id: i64,
    input: &StepInput<'_>,
) -> Result<ProtectionState> {
    let p = officer_case(st, s, id).await?;
    let step = ProtectionStep::from_code(input.step.trim())
        .ok_or_else(|| invalid("step", "field-invalid-choice"))?;
    let from = ProtectionState::from_code(&p.state)
        .ok_or_else(|| Error::Internal(format!("protection state {}", p.state)))?;
    let to = step.apply(from).ok_or(DomainError::TransitionNotAllowed)?;
    let reasons = match input.reasons.trim() {
        "" if step.needs_reasons() => return Err(invalid("reasons", "field-required")),
        "" => None,
        r => Some(ReasonText::parse(r)?),
    };
    let measures = step
        .sets_measures()
        .then(|| parse_measures(input.measures))
        .transpose()?;
    let case = st.store.case(p.case).await?.ok_or(DomainError::NotFound)?;
    let key = officer_key(st, s, &p, &case).await?;
    let reasons_sealed = reasons.map(|r| {
        crypto::seal(
            &key,
            r.as_str().as_bytes(),
            &aad("protection-reasons", &case.receipt_lookup),
            &mut OsRng,
        )
    });
    let ops: Vec<ClockOp> = match step {
        ProtectionStep::Activate | ProtectionStep::Reject => {
            vec![ClockOp::Complete("protection_assessing")]
        }
        ProtectionStep::Reassess => vec![ClockOp::Start(assessing_rule(p.urgent))],
        _ => Vec::new(),
    };
    apply_step(
        st,
        &p,
        &case,
        step,
        to,
        reasons_sealed,
        measures,
        &ops,
        &actor_code(s),
    )
    .await?;
    Ok(to)
}

#[allow(clippy::too_many_arguments)]
async fn apply_step(
    st: &App,
    p: &ProtectionRecord,
    case: &CaseRecord,
    step: ProtectionStep,
    to: ProtectionState,
    reasons_sealed: Option<Vec<u8>>,
    measures: Option<Vec<NewMeasure>>,
    ops: &[ClockOp],
    actor: &str,
) -> Result<()> {
    let now = st.now();
    // Back to assessment after a retaliation report: the officers and the superior are told.
    let alerts = if step == ProtectionStep::Reassess {
        alerts_for(st, case, true).await?
    } else {
        Vec::new()
    };
    let change = ProtectionChange {
        protection: p.id,
        case: case.id,
        actor: actor.to_owned(),
        step: step.code().to_owned(),
        expected_state: p.state.clone(),
        new_state: to.code().to_owned(),
        reasons_sealed,
        measures,
        clocks: plan_clocks(st, case, ops).await?,
        alerts,
        now,
    };
    let audit = AuditEntry::new(now, actor, "protection.decided", Some(case.id));
    Ok(st.store.protection_step(&change, &audit).await?)
}

/// A protection case the signed-in protection officer may decide, or `NotFound`.
async fn officer_case(st: &App, s: &StaffSession, id: i64) -> Result<ProtectionRecord> {
    let p = st
        .store
        .protection(id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let facts = CaseFacts {
        agency: p.agency,
        state: minhbach_domain::CaseState::Received,
        assignee: None,
        forward_hops: 0,
    };
    if !can(&s.actor, Action::DecideProtection, Some(&facts)) {
        return Err(DomainError::NotFound.into());
    }
    Ok(p)
}

async fn officer_key(
    st: &App,
    s: &StaffSession,
    p: &ProtectionRecord,
    case: &CaseRecord,
) -> Result<SymmetricKey> {
    let wrapped = st
        .store
        .protection_key_for(p.id, s.user.id)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok(crypto::unwrap_with_secret(
        &s.secret_key,
        &wrapped,
        &officer_key_aad(&case.receipt_lookup, s.user.id),
    )?)
}

/// A retaliation report, or another sign of danger, sends the reporter's protection back to
/// assessment, or opens one (urgent) if there is none in progress.
pub(crate) async fn reassess(
    st: &App,
    case: &CaseRecord,
    case_key: Option<&SymmetricKey>,
    actor: &str,
) -> Result<()> {
    let protections = st.store.protections_of_case(case.id).await?;
    let in_assessment = |p: &ProtectionRecord| {
        p.state == ProtectionState::Requested.code() || p.state == ProtectionState::Assessing.code()
    };
    let pending = protections.iter().any(in_assessment);
    let open_case = protections.iter().rfind(|p| !in_assessment(p)).cloned();
    if pending {
        return Ok(());
    }
    match open_case {
        Some(p) => {
            let from = ProtectionState::from_code(&p.state).ok_or(DomainError::NotFound)?;
            let to = ProtectionStep::Reassess
                .apply(from)
                .ok_or(DomainError::TransitionNotAllowed)?;
            let ops = [ClockOp::Start(assessing_rule(true))];
            apply_step(
                st,
                &p,
                case,
                ProtectionStep::Reassess,
                to,
                None,
                None,
                &ops,
                actor,
            )
            .await
        }
        None => match case_key {
            Some(case_key) => {
                let request = Request {
                    urgent: true,
                    persons: &["self".to_owned()],
                    details: "",
                };
                open(st, case, case_key, &request, "retaliation", actor)
                    .await
                    .map(|_| ())
            }
            // Reported with the reference alone: nobody here holds the key to open a protection
            // case, so the protection officers and the superior are told, and act.
            None => Ok(st
                .store
                .alert(case.id, &alerts_for(st, case, true).await?, st.now())
                .await?),
        },
    }
}

/// A measure as shown.
#[derive(Clone, Debug, Serialize)]
pub struct MeasureView {
    pub kind: String,
    pub carried_by: String,
    pub starts_on: String,
    pub review_on: String,
    pub ends_on: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepView {
    pub at: i64,
    pub step: String,
    pub to_state: String,
    pub reasons: Option<String>,
}

/// A protection case as the reporter or the protection officer sees it.
#[derive(Clone, Debug, Serialize)]
pub struct ProtectionView {
    pub id: i64,
    pub reference: String,
    pub state: String,
    pub urgent: bool,
    pub opened_by: String,
    pub persons: Vec<String>,
    /// The reporter's account (both the reporter and the officer see it).
    pub details: Option<String>,
    pub measures: Vec<MeasureView>,
    pub steps: Vec<StepView>,
    /// The assessment's due date while it is open.
    pub assessment_due_on: Option<String>,
    /// Protection officer only: the risk screen's level and whether a decoy code was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub under_pressure: bool,
    pub created_at: i64,
}

async fn view(
    st: &App,
    p: &ProtectionRecord,
    case: &CaseRecord,
    key: &SymmetricKey,
    officer: bool,
) -> Result<ProtectionView> {
    let lookup = &case.receipt_lookup;
    let details = match &p.details_sealed {
        Some(sealed) => {
            let plain = crypto::open(key, sealed, &aad("protection-details", lookup))?;
            let d: Details =
                serde_json::from_slice(&plain).map_err(|e| Error::Internal(e.to_string()))?;
            Some(d.details)
        }
        None => None,
    };
    let mut steps = Vec::new();
    for e in st.store.protection_events(p.id).await? {
        let reasons = match &e.reasons_sealed {
            Some(sealed) => Some(
                String::from_utf8_lossy(&crypto::open(
                    key,
                    sealed,
                    &aad("protection-reasons", lookup),
                )?)
                .into_owned(),
            ),
            None => None,
        };
        steps.push(StepView {
            at: e.at,
            step: e.step,
            to_state: e.to_state,
            reasons,
        });
    }
    let measures = st
        .store
        .protection_measures(p.id)
        .await?
        .into_iter()
        .filter(|m| !m.withdrawn)
        .map(|m| MeasureView {
            kind: m.kind,
            carried_by: m.carried_by,
            starts_on: m.starts_on,
            review_on: m.review_on,
            ends_on: m.ends_on,
        })
        .collect();
    let assessment_due_on = st
        .store
        .clocks(case.id)
        .await?
        .into_iter()
        .filter(|c| c.clock == "protection_assessing" && c.completed_on.is_none())
        .filter_map(|c| c.due_on)
        .next_back();
    let (risk, pressure) = if officer {
        st.store.risk_and_pressure(case.id).await?
    } else {
        (None, None)
    };
    Ok(ProtectionView {
        id: p.id,
        reference: case.reference.clone(),
        state: p.state.clone(),
        urgent: p.urgent,
        opened_by: p.opened_by.clone(),
        persons: p.persons.split(',').map(str::to_owned).collect(),
        details,
        measures,
        steps,
        assessment_due_on,
        risk,
        under_pressure: pressure.is_some(),
        created_at: p.created_at,
    })
}

/// The reporter's protection cases, opened with the case key.
pub async fn reporter_protections(st: &App, s: &ReporterSession) -> Result<Vec<ProtectionView>> {
    let mut out = Vec::new();
    if s.decoy.is_some() {
        return Ok(out);
    }
    for p in st.store.protections_of_case(s.case.id).await? {
        let key = crypto::unwrap_key(
            &s.case_key,
            &p.key_case,
            &aad("protection-key-case", &s.case.receipt_lookup),
        )?;
        out.push(view(st, &p, &s.case, &key, false).await?);
    }
    Ok(out)
}

/// The protection cases of the officer's agency, newest activity first.
pub async fn officer_list(st: &App, s: &StaffSession) -> Result<Vec<ProtectionView>> {
    if !can(&s.actor, Action::ViewProtection, None) {
        return Err(DomainError::Forbidden.into());
    }
    let agency = s.actor.agency.ok_or(DomainError::Forbidden)?;
    let mut out = Vec::new();
    for p in st.store.protections_of_agency(agency).await? {
        let Some(case) = st.store.case(p.case).await? else {
            continue;
        };
        // A case recorded before this officer joined has no key for them: listed, not opened.
        match officer_key(st, s, &p, &case).await {
            Ok(key) => out.push(view(st, &p, &case, &key, true).await?),
            Err(Error::Domain(DomainError::NotFound)) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// One protection case, as its officer sees it.
pub async fn officer_view(st: &App, s: &StaffSession, id: i64) -> Result<ProtectionView> {
    let p = officer_case(st, s, id).await?;
    let case = st.store.case(p.case).await?.ok_or(DomainError::NotFound)?;
    let key = officer_key(st, s, &p, &case).await?;
    view(st, &p, &case, &key, true).await
}

/// The agency's reports whose reporter opened the decoy code: they may be under pressure.
/// Shown to the protection officer only.
pub async fn under_pressure(st: &App, s: &StaffSession) -> Result<Vec<(String, i64)>> {
    if !can(&s.actor, Action::ViewProtection, None) {
        return Err(DomainError::Forbidden.into());
    }
    let agency = s.actor.agency.ok_or(DomainError::Forbidden)?;
    Ok(st.store.pressured_cases(agency).await?)
}

/// The check-ins after closure, from the dated rules.
pub const CHECKINS: [&str; 3] = ["checkin_30", "checkin_60", "checkin_90"];

/// A check-in the reporter is asked: "has anything happened to you since?"
#[derive(Clone, Debug, Serialize)]
pub struct Checkin {
    pub rule: &'static str,
    pub due_on: String,
    /// `None` while unanswered.
    pub answer: Option<bool>,
}

/// The check-ins due so far on a closed case: at 30, 60 and 90 days after its closure.
pub async fn checkins(st: &App, s: &ReporterSession) -> Result<Vec<Checkin>> {
    if s.decoy.is_some() || !s.case.state.is_final() {
        return Ok(Vec::new());
    }
    let Some(closed_at) = st.store.events(s.case.id).await?.last().map(|e| e.at) else {
        return Ok(Vec::new());
    };
    let closed_on = crate::clock::local_date(closed_at)?;
    let answers = st.store.checkins(s.case.id).await?;
    let legal = st.legal();
    let today = st.today();
    let mut out = Vec::new();
    for rule in CHECKINS {
        let Some(due) = minhbach_domain::DeadlineClock::start(&legal.rules, rule, closed_on)
            .ok()
            .and_then(|c| c.due(&legal.calendar))
        else {
            continue;
        };
        if due <= today {
            out.push(Checkin {
                rule,
                due_on: crate::clocks::iso(due),
                answer: answers.iter().find(|(r, _)| r == rule).map(|(_, a)| *a),
            });
        }
    }
    Ok(out)
}

/// The reporter answers a check-in, once. "Yes" is followed by the retaliation form.
pub async fn answer_checkin(st: &App, s: &ReporterSession, rule: &str, yes: bool) -> Result<()> {
    let due = checkins(st, s).await?;
    let Some(c) = due.iter().find(|c| c.rule == rule) else {
        return Err(invalid("checkin", "field-invalid-choice"));
    };
    if c.answer.is_some() {
        return Err(DomainError::AlreadyDecided.into());
    }
    let audit = AuditEntry::new(
        st.now(),
        "reporter",
        "protection.checkin_answered",
        Some(s.case.id),
    )
    .with_detail(serde_json::json!({ "checkin": rule, "something_happened": yes }));
    match st
        .store
        .answer_checkin(s.case.id, c.rule, yes, &audit)
        .await
    {
        Err(StoreError::Conflict) => Err(DomainError::AlreadyDecided.into()),
        other => Ok(other?),
    }
}

/// A retaliation report from the reporter of `original`: a new case on the retaliation track,
/// linked to the original, with its own receipt and clocks; the reporter's protection goes back
/// to assessment (or is opened, urgently).
pub async fn submit_retaliation(
    st: &App,
    s: &ReporterSession,
    what: &str,
) -> Result<Option<crate::intake::Submitted>> {
    if s.decoy.is_some() {
        // Nothing of the real case is touched from a decoy session.
        minhbach_domain::MessageText::parse(what)?;
        return Ok(None);
    }
    let original = &s.case;
    let raw = minhbach_domain::RawReport {
        category: original.category.clone(),
        agency: original.agency.0.to_string(),
        what: what.to_owned(),
        identity: "anonymous".into(),
        ..minhbach_domain::RawReport::default()
    };
    let done = crate::intake::record(
        st,
        raw,
        minhbach_domain::Channel::Web,
        None,
        original.demo,
        Some((original.id, minhbach_domain::Track::Retaliation)),
    )
    .await?;
    reassess(st, original, Some(&s.case_key), "reporter").await?;
    Ok(Some(done))
}

/// A retaliation report from the landing page, naming the original report by its reference
/// (the reporter may have lost the receipt): a case of its own on the retaliation track, linked
/// to the original, with its own receipt; the original's protection goes back to assessment, or
/// its protection officers and superior body are alerted.
pub async fn submit_retaliation_by_reference(
    st: &App,
    reference: &str,
    what: &str,
    nonce_hash: Option<Vec<u8>>,
) -> Result<crate::intake::Submitted> {
    let original = st
        .store
        .case_by_reference(reference.trim())
        .await?
        .ok_or_else(|| {
            DomainError::Invalid(vec![minhbach_domain::FieldError {
                field: "reference",
                code: "field-unknown-case",
            }])
        })?;
    let raw = minhbach_domain::RawReport {
        category: original.category.clone(),
        agency: original.agency.0.to_string(),
        what: what.to_owned(),
        identity: "anonymous".into(),
        ..minhbach_domain::RawReport::default()
    };
    let done = crate::intake::record(
        st,
        raw,
        minhbach_domain::Channel::Web,
        nonce_hash,
        original.demo,
        Some((original.id, minhbach_domain::Track::Retaliation)),
    )
    .await?;
    reassess(st, &original, None, "reporter").await?;
    Ok(done)
}
