//! A report arrives: validated, sealed under a fresh case key wrapped for the receiving staff,
//! the reporter's receipt and the recovery key, recorded with its clocks and audit event in one
//! transaction. The receipt is returned only after the commit.

use minhbach_crypto::{self as crypto, PublicKey, Receipt, SymmetricKey};
use minhbach_domain::questionnaire::{Answer, Questionnaire};
use minhbach_domain::{
    AgencyId, CaseFacts, Channel, DomainError, Excluded, ExclusionReason, Identity,
    RawRegistration, RawReport, Registration,
};
use minhbach_store::{AuditEntry, NewCase};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::identity::SealedIdentity;
use crate::keys::{self, aad};
use crate::{App, Error, Result};

/// The encrypted part of a report.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct ReportContent {
    pub what: String,
    pub when: String,
    #[serde(rename = "where")]
    pub where_: String,
    pub who: String,
    /// The answers to the category's questionnaire, with their questions' labels as asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Answer>,
}

/// The questionnaire of a category, if it has one.
pub async fn questionnaire_of(st: &App, category: &str) -> Result<Option<Questionnaire>> {
    let category = category.trim();
    match st
        .store
        .questionnaires()
        .await?
        .into_iter()
        .find(|(c, _)| c == category)
    {
        // Stored documents were checked when saved; one that no longer parses asks nothing
        // rather than refusing every report of the category.
        Some((_, doc)) => Ok(Questionnaire::parse(&doc).ok()),
        None => Ok(None),
    }
}

/// Every category's questionnaire, for the report form.
pub async fn questionnaires(st: &App) -> Result<Vec<(String, Questionnaire)>> {
    Ok(st
        .store
        .questionnaires()
        .await?
        .into_iter()
        .filter_map(|(c, doc)| Questionnaire::parse(&doc).ok().map(|q| (c, q)))
        .filter(|(_, q)| !q.questions.is_empty())
        .collect())
}

/// The ids of the configured agencies (what a form may name).
pub(crate) async fn agency_ids(st: &App) -> Result<Vec<AgencyId>> {
    Ok(st
        .store
        .agencies()
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect())
}

pub struct Submitted {
    pub reference: String,
    pub receipt: Receipt,
    /// The decoy code, when the reporter asked for one.
    pub decoy: Option<Receipt>,
}

/// The decoy page's report when the reporter wrote none.
const DECOY_DEFAULT: &str =
    "Phản ánh về thời gian chờ giải quyết thủ tục hành chính tại bộ phận một cửa.";

/// Records a report as a new case. The receipt is returned only after the commit.
pub async fn submit_report(
    st: &App,
    raw: RawReport,
    channel: Channel,
    nonce_hash: Option<Vec<u8>>,
    demo: bool,
) -> Result<Submitted> {
    record(st, raw, channel, nonce_hash, demo, None).await
}

/// Records a report with the evidence files the reporter confirmed (a draft of
/// [`crate::evidence::prepare`]). `DraftExpired` if the files are gone: then nothing is recorded.
pub async fn submit_report_with_files(
    st: &App,
    raw: RawReport,
    channel: Channel,
    nonce_hash: Option<Vec<u8>>,
    demo: bool,
    files: &crate::evidence::DraftRef,
) -> Result<Submitted> {
    let how = How {
        files: Some(files),
        ..How::new(channel, nonce_hash, demo)
    };
    record_with(st, raw, how).await
}

/// Checks a report's fields without recording anything (before its files are prepared), so a
/// mistake is shown before the reporter confirms the files.
pub async fn check_report(st: &App, raw: &RawReport) -> Result<()> {
    let categories: Vec<String> = st
        .store
        .categories()
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect();
    let agencies = agency_ids(st).await?;
    let questionnaire = questionnaire_of(st, &raw.category).await?;
    let report = raw
        .clone()
        .validate_with(&categories, &agencies, questionnaire.as_ref())?;
    if report.agency.is_none() && st.organisation().await?.default_agency.is_none() {
        return Err(DomainError::Invalid(vec![minhbach_domain::FieldError {
            field: "agency",
            code: "field-required",
        }])
        .into());
    }
    Ok(())
}

/// Records the demo city's sample reports: the operator's seeding is not a burst of reports and
/// does not count against the submission budget.
pub(crate) async fn seed_report(st: &App, raw: RawReport) -> Result<Submitted> {
    let how = How {
        budgeted: false,
        ..How::new(Channel::Web, None, true)
    };
    record_with(st, raw, how).await
}

const BUDGET: &[u8] = b"reports";

/// A report held for review, as the intake desk lists it (metadata only).
#[derive(Clone, Debug)]
pub struct HeldReport {
    pub reference: String,
    pub category: String,
    pub channel: String,
    pub received_at: i64,
}

/// Reports held at the officer's agency, oldest first.
pub async fn held_reports(st: &App, s: &crate::sessions::StaffSession) -> Result<Vec<HeldReport>> {
    let Some(agency) = s.user.agency else {
        return Ok(Vec::new());
    };
    let probe = minhbach_domain::CaseFacts {
        agency,
        state: minhbach_domain::CaseState::Received,
        assignee: None,
        forward_hops: 0,
    };
    if !minhbach_domain::can(&s.actor, minhbach_domain::Action::ReleaseHeld, Some(&probe)) {
        return Err(DomainError::Forbidden.into());
    }
    Ok(st
        .store
        .held_cases(agency, 500)
        .await?
        .into_iter()
        .map(|c| HeldReport {
            reference: c.reference,
            category: c.category,
            channel: c.channel,
            received_at: c.received_at,
        })
        .collect())
}

/// Releases a held report: its receipt clocks start from the day it was received, as the law
/// counts them, so a real report held in a burst loses no time it was owed. Returns false if it
/// was already released.
pub async fn release_held(
    st: &App,
    s: &crate::sessions::StaffSession,
    reference: &str,
) -> Result<bool> {
    let case = st
        .store
        .case_by_reference(reference.trim())
        .await?
        .ok_or(DomainError::NotFound)?;
    if !minhbach_domain::can(
        &s.actor,
        minhbach_domain::Action::ReleaseHeld,
        Some(&case.facts()),
    ) {
        return Err(DomainError::NotFound.into());
    }
    if case.held_at.is_none() {
        return Ok(false);
    }
    let received = crate::clock::local_date(case.received_at)?;
    let clocks = crate::clocks::plan(
        &st.legal(),
        &[],
        &minhbach_domain::workflow::ON_RECEIPT,
        case.agency,
        received,
        None,
    )?;
    let now = st.now();
    Ok(st
        .store
        .release_held(
            case.id,
            &clocks.new,
            clocks.due_on,
            now,
            &AuditEntry::new(
                now,
                crate::access::actor_code(s),
                "case.released",
                Some(case.id),
            ),
        )
        .await?)
}

/// Records a report as a new case; a retaliation report names the case it is linked to.
pub(crate) async fn record(
    st: &App,
    raw: RawReport,
    channel: Channel,
    nonce_hash: Option<Vec<u8>>,
    demo: bool,
    retaliation_of: Option<(minhbach_domain::CaseId, minhbach_domain::Track)>,
) -> Result<Submitted> {
    let how = How {
        retaliation_of,
        ..How::new(channel, nonce_hash, demo)
    };
    record_with(st, raw, how).await
}

/// How a report came in, besides its fields.
struct How<'a> {
    channel: Channel,
    nonce_hash: Option<Vec<u8>>,
    demo: bool,
    retaliation_of: Option<(minhbach_domain::CaseId, minhbach_domain::Track)>,
    /// Counts against the submission budget (everything but the operator's demo seeding).
    budgeted: bool,
    /// Evidence files the reporter confirmed.
    files: Option<&'a crate::evidence::DraftRef>,
    /// Registered by an officer on a person's behalf.
    registered: Option<(minhbach_domain::UserId, &'a Registration)>,
    /// An integrator's idempotency key.
    idempotency: Option<minhbach_store::Idempotency>,
    /// Registered by a partner officer, who forwards it: the partner organisation.
    partner: Option<AgencyId>,
}

impl How<'_> {
    fn new(channel: Channel, nonce_hash: Option<Vec<u8>>, demo: bool) -> Self {
        How {
            channel,
            nonce_hash,
            demo,
            retaliation_of: None,
            budgeted: true,
            files: None,
            registered: None,
            idempotency: None,
            partner: None,
        }
    }
}

/// Registers a report on behalf of a person who came in, phoned, wrote or was forwarded by
/// another body: the channel, and the forwarding body and its document, are recorded in clear;
/// the content and the identity are sealed exactly as for a web report, and the person gets the
/// receipt (on the printed slip) to follow the case like any reporter. A report that names no
/// agency goes to the officer's own. Both the report and the registration are checked in one
/// pass; bad input writes nothing.
pub async fn register_on_behalf(
    st: &App,
    s: &crate::sessions::StaffSession,
    raw: RawReport,
    registration: &RawRegistration,
) -> Result<Submitted> {
    match register_idempotent(st, s, raw, registration, None).await? {
        Registered::New(done) => Ok(done),
        Registered::Replayed(_) => Err(Error::Internal("replayed without a key".into())),
    }
}

/// What a registration with an idempotency key did.
pub enum Registered {
    New(Submitted),
    /// The key was used before for the same request: the first case's reference, and no new
    /// receipt (the first one was given once).
    Replayed(String),
}

/// The longest idempotency key taken.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The request as the idempotency check compares it: every field, under a MAC (report text
/// is never kept, not even hashed without a key).
fn request_mac(st: &App, raw: &RawReport, r: &RawRegistration) -> Vec<u8> {
    let mut text = String::new();
    for part in [
        &raw.category,
        &raw.agency,
        &raw.what,
        &raw.when,
        &raw.where_,
        &raw.who,
        &raw.identity,
        &raw.name,
        &raw.contact,
        &raw.address,
        &raw.citizen_id,
        &raw.decoy,
        &raw.decoy_what,
        &raw.accused_lead,
        &r.channel,
        &r.source_body,
        &r.source_document,
    ] {
        text.push_str(part);
        text.push('\0');
    }
    for (k, v) in &raw.answers {
        text.push_str(k);
        text.push('=');
        text.push_str(v);
        text.push('\0');
    }
    st.secret
        .mac("idempotency-request", text.as_bytes())
        .to_vec()
}

/// [`register_on_behalf`] for integrators: with an idempotency key, a retry never creates a
/// second case, and a key reused with a different request is refused.
pub async fn register_idempotent(
    st: &App,
    s: &crate::sessions::StaffSession,
    mut raw: RawReport,
    registration: &RawRegistration,
    idempotency_key: Option<&str>,
) -> Result<Registered> {
    // The request as it came, before the agency defaults to the officer's.
    let request = request_mac(st, &raw, registration);
    let Some(own) = s
        .actor
        .agency
        .filter(|_| minhbach_domain::can(&s.actor, minhbach_domain::Action::RegisterReport, None))
    else {
        return Err(DomainError::Forbidden.into());
    };
    // A partner forwards to the competent agency, never to itself; an agency's desk registers
    // for its own agency unless another is chosen.
    let partner = minhbach_domain::can(&s.actor, minhbach_domain::Action::ForwardAsPartner, None)
        .then_some(own);
    let mut checked_registration = registration.validate();
    let chosen = raw.agency.trim().to_owned();
    if partner.is_some() && (chosen.is_empty() || chosen == own.0.to_string()) {
        let wrong = minhbach_domain::FieldError {
            field: "agency",
            code: "error-partner-forward",
        };
        checked_registration = match checked_registration {
            Ok(_) => Err(DomainError::Invalid(vec![wrong])),
            Err(DomainError::Invalid(mut f)) => {
                f.push(wrong);
                Err(DomainError::Invalid(f))
            }
            Err(e) => Err(e),
        };
    } else if chosen.is_empty() {
        raw.agency = own.0.to_string();
    }
    // Every mistake at once: the report's and the registration's.
    let checked_report = check_report(st, &raw).await;
    let mut registration = match (checked_registration, checked_report) {
        (Ok(r), Ok(())) => r,
        (Err(DomainError::Invalid(mut a)), Err(Error::Domain(DomainError::Invalid(b)))) => {
            a.extend(b);
            return Err(DomainError::Invalid(a).into());
        }
        (Err(e), _) => return Err(e.into()),
        (_, Err(e)) => return Err(e),
    };
    if let Some(p) = partner {
        // The forwarding body is the partner itself, named in clear like any transfer.
        if registration.source_body.is_none() {
            registration.source_body = st
                .store
                .agencies()
                .await?
                .into_iter()
                .find(|a| a.id == p)
                .map(|a| a.name_vi);
        }
    } else {
        registration.partner_follows = false;
    }
    let idempotency = match idempotency_key.map(str::trim) {
        None => None,
        Some(k) if k.is_empty() || k.len() > MAX_IDEMPOTENCY_KEY => {
            return Err(DomainError::Invalid(vec![minhbach_domain::FieldError {
                field: "idempotency_key",
                code: "error-idempotency-key",
            }])
            .into())
        }
        Some(k) => Some(minhbach_store::Idempotency {
            user: s.user.id,
            key_hash: st.secret.mac("idempotency-key", k.as_bytes()).to_vec(),
            request_mac: request.clone(),
        }),
    };
    let how = How {
        registered: Some((s.user.id, &registration)),
        partner,
        idempotency,
        // An officer at the desk is not a burst of anonymous submissions.
        budgeted: false,
        ..How::new(registration.channel, None, st.organisation().await?.demo)
    };
    match record_with(st, raw, how).await {
        Ok(done) => Ok(Registered::New(done)),
        Err(Error::Store(minhbach_store::StoreError::Replayed {
            reference: Some(reference),
            same_request: true,
        })) => Ok(Registered::Replayed(reference)),
        Err(Error::Store(minhbach_store::StoreError::Replayed { .. })) => {
            Err(DomainError::Invalid(vec![minhbach_domain::FieldError {
                field: "idempotency_key",
                code: "error-idempotency-mismatch",
            }])
            .into())
        }
        Err(e) => Err(e),
    }
}

async fn record_with(st: &App, raw: RawReport, how: How<'_>) -> Result<Submitted> {
    let How {
        channel,
        nonce_hash,
        demo,
        retaliation_of,
        budgeted,
        files,
        registered,
        idempotency,
        partner,
    } = how;
    let org = st.organisation().await?;
    // The submission budget (finding M7): a burst is recorded but held, and only a flood far
    // beyond it is refused. Nothing is lost either way: a held report has its receipt, and a
    // refused one is shown again to send later.
    let now = st.now();
    if budgeted && st.report_ceiling.blocked(BUDGET, now) {
        return Err(Error::TooManyReports);
    }
    let held = budgeted && st.report_budget.blocked(BUDGET, now);
    let categories: Vec<String> = st
        .store
        .categories()
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect();
    let configured = st.store.agencies().await?;
    let agencies: Vec<AgencyId> = configured.iter().map(|a| a.id).collect();
    let questionnaire = questionnaire_of(st, &raw.category).await?;
    let report = raw.validate_with(&categories, &agencies, questionnaire.as_ref())?;
    let chosen = report.agency.or(org.default_agency).ok_or_else(|| {
        DomainError::Invalid(vec![minhbach_domain::FieldError {
            field: "agency",
            code: "field-required",
        }])
    })?;
    // Conflict of interest, decided before anyone reads: a report against the head of the
    // chosen agency goes to its superior body (Law on Denunciation 2018 Art. 13-15), and that
    // agency's leads are kept from the key for good, wherever the case goes later.
    let (agency, exclusions) = if report.accused_lead {
        let superior = configured
            .iter()
            .find(|a| a.id == chosen)
            .and_then(|a| a.superior)
            .or(org.default_agency.filter(|d| *d != chosen))
            .unwrap_or(chosen);
        (
            superior,
            vec![Excluded::LeadsOf(chosen, ExclusionReason::AccusedLeads)],
        )
    } else {
        (chosen, Vec::new())
    };

    let receipt = Receipt::generate(&mut OsRng);
    let lookup = st.secret.receipt_lookup(&receipt).to_vec();
    let receipt_key = st.secret.receipt_key(&receipt);
    let recovery = PublicKey::try_from_slice(&org.recovery_public_key)?;
    let case_key = SymmetricKey::generate(&mut OsRng);
    let attachments = match files {
        Some(d) => Some(crate::evidence::adoption(st, d, &case_key).await?),
        None => None,
    };

    let content = Zeroizing::new(
        serde_json::to_vec(&ReportContent {
            what: report.what.clone(),
            when: report.when.clone(),
            where_: report.where_.clone(),
            who: report.who.clone(),
            answers: report.answers.clone(),
        })
        .map_err(|e| Error::Internal(e.to_string()))?,
    );
    // The identity has its own key: whoever opens the case does not see who reported. The key
    // is wrapped to the reporter and the recovery key, and split among the custodians.
    let mut identity = None;
    if let Identity::Confidential {
        name,
        contact,
        address,
        citizen_id,
    } = &report.identity
    {
        let identity_key = SymmetricKey::generate(&mut OsRng);
        let plain = Zeroizing::new(
            serde_json::to_vec(&SealedIdentity {
                name: name.clone(),
                contact: contact.clone(),
                address: address.clone(),
                citizen_id: citizen_id.clone(),
            })
            .map_err(|e| Error::Internal(e.to_string()))?,
        );
        let (threshold, shares) =
            crate::identity::split_for_custodians(st, &identity_key, &lookup).await?;
        identity = Some((
            crypto::seal(&identity_key, &plain, &aad("identity", &lookup), &mut OsRng),
            crypto::wrap_key(
                &receipt_key,
                &identity_key,
                &aad("identity-key-reporter", &lookup),
                &mut OsRng,
            ),
            crypto::wrap_to_public(
                &recovery,
                &identity_key,
                &aad("identity-key-recovery", &lookup),
                &mut OsRng,
            ),
            threshold,
            shares,
        ));
    }
    let (
        identity_sealed,
        identity_key_reporter,
        identity_key_recovery,
        identity_threshold,
        identity_shares,
    ) = match identity {
        Some((sealed, reporter, recovery, threshold, shares)) => (
            Some(sealed),
            Some(reporter),
            Some(recovery),
            threshold,
            shares,
        ),
        None => (None, None, None, None, Vec::new()),
    };
    // A decoy code opens an ordinary-looking closed case: its own lookup, and the decoy page's
    // text sealed under its own key.
    let decoy = report.decoy.as_ref().map(|_| Receipt::generate(&mut OsRng));
    let decoy_row = match (&decoy, &report.decoy) {
        (Some(code), Some(text)) => {
            let decoy_lookup = st.secret.receipt_lookup(code).to_vec();
            let text = if text.is_empty() {
                DECOY_DEFAULT
            } else {
                text.as_str()
            };
            let sealed = crypto::seal(
                &st.secret.receipt_key(code),
                text.as_bytes(),
                &aad("decoy", &decoy_lookup),
                &mut OsRng,
            );
            Some((decoy_lookup, sealed))
        }
        _ => None,
    };
    let facts = CaseFacts {
        agency,
        state: minhbach_domain::CaseState::Received,
        assignee: None,
        forward_hops: 0,
    };
    // Nobody holds the key yet: the key policy's holders are exactly the wraps to write.
    let staff_wraps = keys::plan_wraps(st, &facts, &exclusions, &[], &case_key, &lookup)
        .await?
        .add;
    if staff_wraps.is_empty() {
        tracing::warn!(
            agency = agency.0,
            "case recorded for an agency with no receiving staff"
        );
    }
    let year = st.clock.now().to_offset(crate::clock::LOCAL_OFFSET).year();
    let clocks = if held {
        crate::clocks::ClockPlan::default()
    } else {
        crate::clocks::plan(
            &st.legal(),
            &[],
            &minhbach_domain::workflow::ON_RECEIPT,
            agency,
            st.today(),
            None,
        )?
    };
    let case = NewCase {
        reference_prefix: org.reference_prefix.clone(),
        year,
        receipt_lookup: lookup.clone(),
        agency,
        category: report.category.clone(),
        channel: channel.code().to_owned(),
        anonymous: report.identity == Identity::Anonymous,
        now,
        content_sealed: crypto::seal(&case_key, &content, &aad("content", &lookup), &mut OsRng),
        case_key_reporter: crypto::wrap_key(
            &receipt_key,
            &case_key,
            &aad("wrap-reporter", &lookup),
            &mut OsRng,
        ),
        case_key_recovery: crypto::wrap_to_public(
            &recovery,
            &case_key,
            &aad("wrap-recovery", &lookup),
            &mut OsRng,
        ),
        identity_sealed,
        identity_key_reporter,
        identity_key_recovery,
        staff_wraps,
        exclusions,
        identity_threshold,
        identity_shares,
        decoy: decoy_row,
        // A retaliation report is on its track from the start; so is a loophole proposal, on
        // the petition track (kiến nghị) with its deadlines from the dated rules.
        track: retaliation_of.map(|(_, t)| t).or(report
            .regulation
            .is_some()
            .then_some(minhbach_domain::Track::Petition)),
        link: retaliation_of.map(|(c, _)| (c, "retaliation_of".to_owned())),
        nonce_hash,
        demo,
        clocks: clocks.new,
        due_on: clocks.due_on,
        held,
        attachments,
        registered_by: registered.map(|(u, _)| u),
        source_body: registered.and_then(|(_, r)| r.source_body.clone()),
        source_document: registered.and_then(|(_, r)| r.source_document.clone()),
        idempotency,
        partner,
        partner_follows: partner.is_some() && registered.is_some_and(|(_, r)| r.partner_follows),
        regulation: report
            .regulation
            .as_ref()
            .map(|r| (r.document.clone(), r.article.clone())),
    };
    let mut detail = serde_json::Map::new();
    if held {
        detail.insert("held".into(), true.into());
    }
    let audit = match registered {
        Some((user, r)) => {
            detail.insert("channel".into(), r.channel.code().into());
            AuditEntry::new(now, format!("user:{}", user.0), "case.registered", None)
        }
        None => AuditEntry::new(now, "reporter", "case.submitted", None),
    };
    let audit = if detail.is_empty() {
        audit
    } else {
        audit.with_detail(serde_json::Value::Object(detail))
    };
    let (_, reference) = st.store.submit(&case, &audit).await?;
    if budgeted {
        st.report_budget.failure(BUDGET, now);
        st.report_ceiling.failure(BUDGET, now);
    }
    Ok(Submitted {
        reference,
        receipt,
        decoy,
    })
}

/// A receipt as the reporter's browser keeps it for a short while after submitting, so that
/// reloading the receipt page shows it again instead of sending the form twice.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ShownReceipt {
    pub reference: String,
    pub receipt: String,
    pub decoy: Option<String>,
    /// Unix seconds after which it is no longer shown.
    pub until: i64,
}

const SHOWN_RECEIPT_AAD: &[u8] = b"shown-receipt v1";

fn shown_receipt_key(st: &App) -> SymmetricKey {
    SymmetricKey::from_bytes(st.secret.mac("shown-receipt", b""))
}

/// The receipt sealed under a key derived from the server secret, in hex (for a cookie that
/// lives `minutes`). Only this server can open it; the database never sees it.
pub fn seal_shown_receipt(st: &App, done: &Submitted, minutes: i64) -> String {
    let shown = ShownReceipt {
        reference: done.reference.clone(),
        receipt: done.receipt.expose(),
        decoy: done.decoy.as_ref().map(Receipt::expose),
        until: st.now() + minutes * 60,
    };
    let json = Zeroizing::new(serde_json::to_vec(&shown).unwrap_or_default());
    hex::encode(crypto::seal(
        &shown_receipt_key(st),
        &json,
        SHOWN_RECEIPT_AAD,
        &mut OsRng,
    ))
}

/// Opens what [`seal_shown_receipt`] made, while it is still to be shown.
pub fn open_shown_receipt(st: &App, sealed: &str) -> Option<ShownReceipt> {
    let blob = hex::decode(sealed).ok()?;
    let json = crypto::open(&shown_receipt_key(st), &blob, SHOWN_RECEIPT_AAD).ok()?;
    let shown: ShownReceipt = serde_json::from_slice(&json).ok()?;
    (shown.until > st.now()).then_some(shown)
}
