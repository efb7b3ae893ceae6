//! The operations of minhbach, shared by the HTML pages and the JSON API: each takes parsed
//! input and an authenticated session, asks the domain policy, does the cryptography, persists
//! through the store (one transaction with its audit event) and returns a view.

use minhbach_crypto::{self as crypto, PublicKey, Receipt, SecretKey, SymmetricKey};
use minhbach_domain::{
    can, Action, Actor, AgencyId, CaseContext, CaseState, Channel, Decision, DomainError, Effect,
    Identity, MessageText, RawDecision, RawReport, ReasonText, Track, TransitionKind, UserId,
};
use minhbach_store::{
    AuditEntry, CaseChange, CaseRecord, InboxOrder, InboxPage, InboxQuery, NewCase, NewMessage,
    NewSession, Organisation, Sender, SessionKind, UserRecord,
};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use minhbach_app::keys::{
    aad, decode_kek_salt, staff_secret_aad, staff_wrap_aad, totp_aad, totp_sealing_key,
    wrap_for_staff,
};

use minhbach_app::intake::ReportContent;

use crate::error::{AppError, AppResult};
use crate::security::SessionToken;
use crate::view::{AgencyName, CaseView, DecisionForm, EventView, MessageView};
use crate::AppState;

#[derive(Serialize, Deserialize)]
struct SealedIdentity {
    name: String,
    contact: String,
}

/// The ids of the configured agencies (what a form may name).
async fn agency_ids(st: &AppState) -> AppResult<Vec<AgencyId>> {
    Ok(st
        .store
        .agencies()
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect())
}

pub async fn organisation(st: &AppState) -> AppResult<Organisation> {
    st.store
        .organisation()
        .await?
        .ok_or(AppError::NotInitialised)
}

pub struct Submitted {
    pub reference: String,
    pub receipt: Receipt,
}

/// Records a report as a new case. The receipt is returned only after the commit.
pub async fn submit_report(
    st: &AppState,
    raw: RawReport,
    channel: Channel,
    nonce_hash: Option<Vec<u8>>,
    demo: bool,
) -> AppResult<Submitted> {
    let org = organisation(st).await?;
    let categories: Vec<String> = st
        .store
        .categories()
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect();
    let agencies = agency_ids(st).await?;
    let report = raw.validate(&categories, &agencies)?;
    let agency = report.agency.or(org.default_agency).ok_or_else(|| {
        DomainError::Invalid(vec![minhbach_domain::FieldError {
            field: "agency",
            code: "field-required",
        }])
    })?;

    let receipt = Receipt::generate(&mut OsRng);
    let lookup = st.secret.receipt_lookup(&receipt).to_vec();
    let receipt_key = st.secret.receipt_key(&receipt);
    let recovery = PublicKey::try_from_slice(&org.recovery_public_key)?;
    let case_key = SymmetricKey::generate(&mut OsRng);

    let content = Zeroizing::new(
        serde_json::to_vec(&ReportContent {
            what: report.what.clone(),
            when: report.when.clone(),
            where_: report.where_.clone(),
            who: report.who.clone(),
        })
        .map_err(|e| AppError::Internal(e.to_string()))?,
    );
    let (identity_sealed, identity_key_reporter, identity_key_recovery) = match &report.identity {
        Identity::Anonymous => (None, None, None),
        Identity::Confidential { name, contact } => {
            // The identity has its own key: whoever opens the case does not see who reported.
            let identity_key = SymmetricKey::generate(&mut OsRng);
            let plain = Zeroizing::new(
                serde_json::to_vec(&SealedIdentity {
                    name: name.clone(),
                    contact: contact.clone(),
                })
                .map_err(|e| AppError::Internal(e.to_string()))?,
            );
            (
                Some(crypto::seal(
                    &identity_key,
                    &plain,
                    &aad("identity", &lookup),
                    &mut OsRng,
                )),
                Some(crypto::wrap_key(
                    &receipt_key,
                    &identity_key,
                    &aad("identity-key-reporter", &lookup),
                    &mut OsRng,
                )),
                Some(crypto::wrap_to_public(
                    &recovery,
                    &identity_key,
                    &aad("identity-key-recovery", &lookup),
                    &mut OsRng,
                )),
            )
        }
    };
    let receiving = st.store.receiving_keys(agency).await?;
    if receiving.is_empty() {
        tracing::warn!(
            agency = agency.0,
            "case recorded for an agency with no receiving staff"
        );
    }
    let now = st.now();
    let year = st
        .clock
        .now()
        .to_offset(minhbach_app::clock::LOCAL_OFFSET)
        .year();
    let clocks = minhbach_app::clocks::plan(
        &st.legal(),
        &[],
        &minhbach_domain::workflow::ON_RECEIPT,
        agency,
        st.today(),
        None,
    )?;
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
        staff_wraps: wrap_for_staff(&receiving, &case_key, &lookup)?,
        nonce_hash,
        demo,
        clocks: clocks.new,
        due_on: clocks.due_on,
    };
    let (_, reference) = st
        .store
        .submit(
            &case,
            &AuditEntry::new(now, "reporter", "case.submitted", None),
        )
        .await?;
    Ok(Submitted { reference, receipt })
}

/// A reporter who came back with their receipt.
pub struct ReporterSession {
    pub token: SessionToken,
    pub case: CaseRecord,
    pub case_key: SymmetricKey,
}

const THROTTLE_ALL: &str = "receipts";

/// Opens a reporter session from a receipt. Wrong receipts all get the same answer, and too many
/// of them in a minute (from anyone: reporters are not identified) pause lookups.
pub async fn reporter_login(st: &AppState, receipt_text: &str) -> AppResult<SessionToken> {
    let now = st.now();
    if st.receipt_throttle.blocked(THROTTLE_ALL, now) {
        return Err(AppError::Throttled);
    }
    let Ok(receipt) = Receipt::parse(receipt_text) else {
        st.receipt_throttle.failure(THROTTLE_ALL, now);
        return Err(AppError::MalformedReceipt);
    };
    let lookup = st.secret.receipt_lookup(&receipt);
    let Some(case) = st.store.case_by_lookup(&lookup).await? else {
        st.receipt_throttle.failure(THROTTLE_ALL, now);
        return Err(AppError::UnknownReceipt);
    };
    let receipt_key = st.secret.receipt_key(&receipt);
    let case_key = crypto::unwrap_key(
        &receipt_key,
        &case.case_key_reporter,
        &aad("wrap-reporter", &lookup),
    )?;
    start_session(
        st,
        SessionKind::Reporter,
        None,
        Some(case.id),
        st.settings.reporter_session_minutes,
        |key| crypto::wrap_key(key, &case_key, b"minhbach/v1/session-reporter", &mut OsRng),
    )
    .await
}

/// Stores a new session: the hash of a fresh token and, sealed under the token's key, what the
/// session needs (a case key or a staff secret key). Returns the token for the client.
async fn start_session(
    st: &AppState,
    kind: SessionKind,
    user: Option<UserId>,
    case: Option<minhbach_domain::CaseId>,
    minutes: i64,
    seal: impl FnOnce(&SymmetricKey) -> Vec<u8>,
) -> AppResult<SessionToken> {
    let token = SessionToken::generate();
    let now = st.now();
    let session = NewSession {
        token_hash: token.id(),
        kind,
        user,
        case,
        sealed_key: seal(&token.key()),
        now,
        expires_at: now + minutes * 60,
    };
    st.store.create_session(&session).await?;
    Ok(token)
}

/// The unexpired session a token stands for.
async fn live_session(
    st: &AppState,
    token: &SessionToken,
) -> AppResult<minhbach_store::SessionRecord> {
    st.store
        .session(&token.id(), st.now())
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// Resumes a reporter session from its token.
pub async fn reporter_session(st: &AppState, token: SessionToken) -> AppResult<ReporterSession> {
    let record = live_session(st, &token).await?;
    let (SessionKind::Reporter, Some(case_id)) = (record.kind, record.case) else {
        return Err(AppError::Unauthenticated);
    };
    let case_key = crypto::unwrap_key(
        &token.key(),
        &record.sealed_key,
        b"minhbach/v1/session-reporter",
    )
    .map_err(|_| AppError::Unauthenticated)?;
    let case = st
        .store
        .case(case_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(ReporterSession {
        token,
        case,
        case_key,
    })
}

pub async fn reporter_view(st: &AppState, s: &ReporterSession) -> AppResult<CaseView> {
    let mut view = case_view(st, &s.case, &s.case_key, None).await?;
    // The reporter sees the state, the agency, the reasons given and the deadline; not the
    // agency's internal notes, evidence lists, document numbers or other cases.
    view.links.clear();
    for e in &mut view.events {
        e.note = None;
        e.evidence = None;
        e.delivery = None;
        e.document_number = None;
        e.legal_basis = None;
        e.detail.clear();
    }
    st.store
        .audit(&AuditEntry::new(
            st.now(),
            "reporter",
            "case.read",
            Some(s.case.id),
        ))
        .await?;
    Ok(view)
}

pub async fn reporter_message(st: &AppState, s: &ReporterSession, body: &str) -> AppResult<()> {
    let text = MessageText::parse(body)?;
    add_message(
        st,
        &s.case,
        &s.case_key,
        Sender::Reporter,
        None,
        &text,
        "reporter",
    )
    .await
}

async fn add_message(
    st: &AppState,
    case: &CaseRecord,
    case_key: &SymmetricKey,
    sender: Sender,
    user: Option<UserId>,
    text: &MessageText,
    actor: &str,
) -> AppResult<()> {
    let now = st.now();
    let body_sealed = crypto::seal(
        case_key,
        text.as_str().as_bytes(),
        &aad("message", &case.receipt_lookup),
        &mut OsRng,
    );
    st.store
        .add_message(
            &NewMessage {
                case: case.id,
                sender,
                user,
                now,
                body_sealed,
            },
            &AuditEntry::new(now, actor, "message.added", Some(case.id))
                .with_detail(serde_json::json!({ "sender": sender.code() })),
        )
        .await?;
    Ok(())
}

/// Builds what a reader of the case sees, decrypting with the case key.
async fn case_view(
    st: &AppState,
    case: &CaseRecord,
    case_key: &SymmetricKey,
    staff: Option<&Actor>,
) -> AppResult<CaseView> {
    let lookup = &case.receipt_lookup;
    let content_plain = crypto::open(case_key, &case.content_sealed, &aad("content", lookup))?;
    let content: ReportContent =
        serde_json::from_slice(&content_plain).map_err(|e| AppError::Internal(e.to_string()))?;
    let agencies = st.store.agencies().await?;
    let name = |id: AgencyId| AgencyName::find(&agencies, id);
    let categories = st.store.categories().await?;
    let category = categories.into_iter().find(|c| c.code == case.category);
    let messages = st
        .store
        .messages(case.id)
        .await?
        .into_iter()
        .map(|m| {
            let body = crypto::open(case_key, &m.body_sealed, &aad("message", lookup))?;
            Ok(MessageView {
                from_reporter: m.sender == Sender::Reporter,
                at: m.created_at,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let events = st
        .store
        .events(case.id)
        .await?
        .into_iter()
        .map(|e| {
            let texts: DecisionTexts = match e.reasons_sealed {
                Some(r) => {
                    let plain = crypto::open(case_key, &r, &aad("reasons", lookup))?;
                    serde_json::from_slice(&plain).map_err(|e| AppError::Internal(e.to_string()))?
                }
                None => DecisionTexts::default(),
            };
            let detail: std::collections::BTreeMap<String, String> =
                serde_json::from_str(&e.detail).unwrap_or_default();
            Ok(EventView {
                at: e.at,
                kind: e.kind,
                from_state: e.from_state.map(|s| s.code()),
                to_state: e.to_state.code(),
                from_agency: e.from_agency.map(name),
                to_agency: name(e.to_agency),
                reasons: texts.reasons,
                note: texts.note,
                evidence: texts.evidence,
                delivery: texts.delivery,
                document_number: e.document_number,
                decision_date: e.decision_date,
                legal_basis: e.legal_basis,
                detail,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    // Staff are offered the decisions the workflow allows and the policy lets them take.
    let available = match staff {
        Some(actor) => Decision::available(case.state, case.track)
            .into_iter()
            .filter(|k| can(actor, Action::Transition(*k), Some(&case.facts())))
            .map(|k| DecisionForm::of(k, case.track))
            .collect(),
        None => Vec::new(),
    };
    let links = st.store.links(case.id).await?;
    let legal = st.legal();
    let today = st.today();
    let clocks = st
        .store
        .clocks(case.id)
        .await?
        .iter()
        .map(|row| {
            let clock = minhbach_app::clocks::rebuild(&legal, row)?;
            let due = clock.due(&legal.calendar);
            let open = clock.completed_on().is_none();
            Ok(crate::view::ClockView {
                clock: row.clock.clone(),
                rule_id: row.rule_id.clone(),
                source: clock.rule().source.clone(),
                unconfirmed: clock.rule().unconfirmed,
                rule_set: row.rule_set.clone(),
                started_on: row.started_on.clone(),
                due_on: due.map(minhbach_app::clocks::iso),
                completed_on: row.completed_on.clone(),
                met: row.met,
                paused: clock.is_paused(),
                extensions: clock.extension_count(),
                working_days_left: (open && due.is_some())
                    .then(|| clock.working_days_left(today, &legal.calendar)),
                overdue: open
                    && (row.breached_at.is_some() || clock.is_overdue(today, &legal.calendar)),
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    Ok(CaseView {
        reference: case.reference.clone(),
        state: case.state.code(),
        agency: name(case.agency),
        category: case.category.clone(),
        category_vi: category
            .as_ref()
            .map_or_else(|| case.category.clone(), |c| c.name_vi.clone()),
        category_en: category
            .as_ref()
            .map_or_else(|| case.category.clone(), |c| c.name_en.clone()),
        received_at: case.received_at,
        anonymous: case.anonymous,
        demo: case.demo,
        content,
        messages,
        events,
        available,
        track: case.track.map(Track::code),
        forward_hops: case.forward_hops,
        links: links.into_iter().map(|l| (l.reference, l.kind)).collect(),
        clocks,
    })
}

/// A signed-in staff member with their unsealed private key.
pub struct StaffSession {
    pub token: SessionToken,
    pub user: UserRecord,
    pub actor: Actor,
    pub secret_key: SecretKey,
}

/// Checks the second factor of a staff member whose role requires one. The step is burnt in the
/// database, so the same code never opens two sessions.
async fn check_second_factor(st: &AppState, user: &UserRecord, code: &str) -> AppResult<bool> {
    if !user.role.requires_second_factor() {
        return Ok(true);
    }
    let Some(sealed) = &user.totp_sealed else {
        return Ok(false);
    };
    let plain = crypto::open(
        &totp_sealing_key(&st.secret),
        sealed,
        &totp_aad(&user.username),
    )?;
    let secret = crypto::TotpSecret::from_bytes(&plain)?;
    let now = u64::try_from(st.now()).unwrap_or(0);
    let last = user.totp_last_step.and_then(|s| u64::try_from(s).ok());
    match secret.verify(code, now, last) {
        Some(step) => Ok(st
            .store
            .use_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX))
            .await?),
        None => Ok(false),
    }
}

pub async fn staff_login(
    st: &AppState,
    username: &str,
    password: &str,
    code: &str,
) -> AppResult<SessionToken> {
    let now = st.now();
    let username = username.trim();
    if st.login_throttle.blocked(username, now) {
        return Err(AppError::Throttled);
    }
    let user = st
        .store
        .user_by_username(username)
        .await?
        .filter(|u| u.active);
    let Some(user) = user else {
        // Same work as for a real account, so timing does not reveal which usernames exist.
        crypto::dummy_verify(password, st.settings.password);
        st.login_throttle.failure(username, now);
        return Err(AppError::BadLogin);
    };
    if !crypto::verify_password(password, &user.password_hash)
        || !check_second_factor(st, &user, code).await?
    {
        st.login_throttle.failure(username, now);
        return Err(AppError::BadLogin);
    }
    let (salt, params) =
        decode_kek_salt(&user.kek_salt).ok_or_else(|| AppError::Internal("bad kek salt".into()))?;
    let kek = crypto::password_kek(password, salt, params)?;
    let sk = crypto::open_secret_key(
        &kek,
        &user.secret_key_sealed,
        &staff_secret_aad(&user.username),
    )?;
    let token = start_session(
        st,
        SessionKind::Staff,
        Some(user.id),
        None,
        st.settings.staff_session_minutes,
        |key| crypto::seal_secret_key(key, &sk, b"minhbach/v1/session-staff", &mut OsRng),
    )
    .await?;
    st.store
        .audit(&AuditEntry::new(
            now,
            format!("user:{}", user.id.0),
            "staff.signin",
            None,
        ))
        .await?;
    Ok(token)
}

pub async fn staff_session(st: &AppState, token: SessionToken) -> AppResult<StaffSession> {
    let record = live_session(st, &token).await?;
    let (SessionKind::Staff, Some(user_id)) = (record.kind, record.user) else {
        return Err(AppError::Unauthenticated);
    };
    let user = st
        .store
        .user(user_id)
        .await?
        .filter(|u| u.active)
        .ok_or(AppError::Unauthenticated)?;
    let secret_key = crypto::open_secret_key(
        &token.key(),
        &record.sealed_key,
        b"minhbach/v1/session-staff",
    )
    .map_err(|_| AppError::Unauthenticated)?;
    let actor = user.actor();
    Ok(StaffSession {
        token,
        user,
        actor,
        secret_key,
    })
}

pub async fn logout(st: &AppState, token: &SessionToken) -> AppResult<()> {
    st.store.delete_session(&token.id()).await?;
    Ok(())
}

/// Inbox query parameters, shared by the page and the API.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct InboxParams {
    /// `due` (default: nearest deadline first), `newest` or `oldest`.
    pub order: Option<String>,
    pub page: Option<u32>,
    pub state: Option<String>,
    pub track: Option<String>,
    pub category: Option<String>,
    /// Overseers: one agency's id.
    pub agency: Option<String>,
    /// `1` or `true`: only overdue cases.
    pub overdue: Option<String>,
    /// `week`: due by the end of this week.
    pub due: Option<String>,
}

impl InboxParams {
    pub fn order(&self) -> InboxOrder {
        match self.order.as_deref() {
            Some("newest") => InboxOrder::NewestFirst,
            Some("oldest") => InboxOrder::OldestFirst,
            _ => InboxOrder::DueFirst,
        }
    }

    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    /// Unknown values are ignored rather than refused: a filter link never breaks the inbox.
    pub fn filter(&self, today: time::Date) -> minhbach_store::InboxFilter {
        let non_empty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let end_of_week =
            today + time::Duration::days(i64::from(6 - today.weekday().number_days_from_monday()));
        minhbach_store::InboxFilter {
            agency: non_empty(&self.agency)
                .and_then(|a| a.parse().ok())
                .map(AgencyId),
            state: non_empty(&self.state).and_then(|s| CaseState::from_code(&s)),
            track: non_empty(&self.track).and_then(|t| Track::from_code(&t)),
            category: non_empty(&self.category),
            overdue: matches!(self.overdue.as_deref(), Some("1" | "true" | "on")),
            due_by: (self.due.as_deref() == Some("week"))
                .then(|| minhbach_app::clocks::iso(end_of_week)),
        }
    }
}

pub async fn inbox(
    st: &AppState,
    s: &StaffSession,
    order: InboxOrder,
    filter: minhbach_store::InboxFilter,
    page: u32,
) -> AppResult<InboxPage> {
    if !can(&s.actor, Action::ViewInbox, None) {
        return Err(DomainError::Forbidden.into());
    }
    // Agency staff see their own agency; overseers every agency, or the one they filter on.
    let agency = if can(&s.actor, Action::ViewEveryAgency, None) {
        filter.agency
    } else {
        Some(s.actor.agency.ok_or(DomainError::Forbidden)?)
    };
    Ok(st
        .store
        .inbox(&InboxQuery {
            agency,
            order,
            filter,
            page: page.max(1),
            per_page: 25,
        })
        .await?)
}

/// Loads a case the staff member may act on, with its key. A case of another agency answers
/// exactly like a case that does not exist.
async fn staff_case(
    st: &AppState,
    s: &StaffSession,
    reference: &str,
    action: Action,
) -> AppResult<(CaseRecord, SymmetricKey)> {
    let case = st
        .store
        .case_by_reference(reference)
        .await?
        .ok_or(DomainError::NotFound)?;
    let facts = case.facts();
    // Whoever may not read the case learns nothing about it, not even that it exists.
    if !can(&s.actor, Action::ReadCase, Some(&facts)) {
        return Err(DomainError::NotFound.into());
    }
    // Whoever may read it is told plainly why a decision is not theirs to take.
    if !can(&s.actor, action, Some(&facts)) {
        let ping_pong =
            action == Action::Transition(TransitionKind::Forward) && facts.forward_hops >= 1;
        return Err(if ping_pong {
            DomainError::SecondForwardNeedsLead
        } else {
            DomainError::Forbidden
        }
        .into());
    }
    let wrapped = st
        .store
        .case_key_for(case.id, s.user.id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let key = crypto::unwrap_with_secret(
        &s.secret_key,
        &wrapped,
        &staff_wrap_aad(&case.receipt_lookup, s.user.id),
    )?;
    Ok((case, key))
}

fn actor_code(s: &StaffSession) -> String {
    format!("user:{}", s.user.id.0)
}

pub async fn staff_case_view(
    st: &AppState,
    s: &StaffSession,
    reference: &str,
) -> AppResult<CaseView> {
    let (case, key) = staff_case(st, s, reference, Action::ReadCase).await?;
    let view = case_view(st, &case, &key, Some(&s.actor)).await?;
    st.store
        .audit(&AuditEntry::new(
            st.now(),
            actor_code(s),
            "case.read",
            Some(case.id),
        ))
        .await?;
    Ok(view)
}

pub async fn staff_reply(
    st: &AppState,
    s: &StaffSession,
    reference: &str,
    body: &str,
) -> AppResult<()> {
    let text = MessageText::parse(body)?;
    let (case, key) = staff_case(st, s, reference, Action::Reply).await?;
    add_message(
        st,
        &case,
        &key,
        Sender::Staff,
        Some(s.user.id),
        &text,
        &actor_code(s),
    )
    .await
}

/// The free-text parts of a decision, sealed together under the case key.
#[derive(Serialize, Deserialize, Default)]
struct DecisionTexts {
    #[serde(skip_serializing_if = "Option::is_none")]
    reasons: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery: Option<String>,
}

impl DecisionTexts {
    fn of(d: &Decision) -> Option<Self> {
        let t = |r: &Option<ReasonText>| r.as_ref().map(|r| r.as_str().to_owned());
        let texts = DecisionTexts {
            reasons: t(&d.reasons),
            note: t(&d.note),
            evidence: t(&d.evidence),
            delivery: t(&d.delivery),
        };
        let empty = texts.reasons.is_none()
            && texts.note.is_none()
            && texts.evidence.is_none()
            && texts.delivery.is_none();
        (!empty).then_some(texts)
    }
}

/// Codes of a decision (never free text), kept in clear with the event.
fn decision_detail(d: &Decision, effect: &Effect, referred_to: Option<&str>) -> String {
    let mut detail = serde_json::Map::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            detail.insert(k.to_owned(), serde_json::Value::String(v.to_owned()));
        }
    };
    put("track", effect.track.map(Track::code));
    put("complexity", d.complexity.map(|c| c.code()));
    put("finding", d.finding.map(|f| f.code()));
    put("outcome", d.outcome.map(|o| o.code()));
    put("original", d.original.as_deref());
    put("referred_to", referred_to);
    serde_json::Value::Object(detail).to_string()
}

pub async fn staff_transition(
    st: &AppState,
    s: &StaffSession,
    reference: &str,
    input: &RawDecision,
) -> AppResult<CaseState> {
    let agencies = agency_ids(st).await?;
    let decision = input.parse(&agencies)?;
    let (case, key) = staff_case(st, s, reference, Action::Transition(decision.kind)).await?;
    let effect = decision.apply(&CaseContext {
        state: case.state,
        track: case.track,
        agency: case.agency,
        forwarded_by: case.forwarded_by,
    })?;
    let lookup = &case.receipt_lookup;
    let reasons_sealed = DecisionTexts::of(&decision)
        .map(|t| serde_json::to_vec(&t).map_err(|e| AppError::Internal(e.to_string())))
        .transpose()?
        .map(|plain| crypto::seal(&key, &plain, &aad("reasons", lookup), &mut OsRng));
    // Access follows the case: a new holder's receiving staff get the key, and only they.
    let new_wraps = if effect.agency == case.agency {
        None
    } else {
        let receiving = st.store.receiving_keys(effect.agency).await?;
        Some(wrap_for_staff(&receiving, &key, lookup)?)
    };
    let mut extra_wraps = Vec::new();
    if let Some(handler) = decision.handler {
        let staff = st.store.staff_of(case.agency).await?;
        let Some(h) = staff
            .iter()
            .find(|u| u.id == handler && u.role.takes_assignments())
        else {
            return Err(DomainError::Invalid(vec![minhbach_domain::FieldError {
                field: "handler",
                code: "field-invalid-choice",
            }])
            .into());
        };
        extra_wraps = wrap_for_staff(&[(h.id, h.public_key.clone())], &key, lookup)?;
    }
    let link = match &decision.original {
        Some(original) => {
            let other = st
                .store
                .case_by_reference(original.trim())
                .await?
                .filter(|o| o.id != case.id)
                .ok_or_else(|| {
                    DomainError::Invalid(vec![minhbach_domain::FieldError {
                        field: "original",
                        code: "field-unknown-case",
                    }])
                })?;
            {
                let kind = if decision.kind == TransitionKind::MarkDuplicate {
                    "duplicate_of"
                } else {
                    "re_denunciation_of"
                };
                Some((other.id, kind.to_owned()))
            }
        }
        None => None,
    };
    // A referral stays with the agency that follows it; the investigating body is recorded.
    let referred_to = match (decision.kind, decision.to_agency) {
        (TransitionKind::ReferCriminal, Some(to)) => st
            .store
            .agencies()
            .await?
            .into_iter()
            .find(|a| a.id == to)
            .map(|a| a.name_vi),
        _ => None,
    };
    let rows = st.store.clocks(case.id).await?;
    let on = decision.decision_date.unwrap_or_else(|| st.today());
    let ops = minhbach_domain::clock_ops(decision.kind, effect.track);
    let clocks = minhbach_app::clocks::plan(
        &st.legal(),
        &rows,
        &ops,
        effect.agency,
        on,
        decision.complexity,
    )?;
    let now = st.now();
    let kind = decision.kind.code();
    let decision_date = decision.decision_date.map(|d| d.to_string());
    st.store
        .transition(
            &CaseChange {
                case: case.id,
                user: s.user.id,
                kind: kind.to_owned(),
                expected_state: case.state,
                expected_agency: case.agency,
                new_state: effect.state,
                new_agency: effect.agency,
                new_track: effect.track.filter(|t| Some(*t) != case.track),
                forwarded: decision.kind == TransitionKind::Forward,
                assignee: decision.handler,
                reasons_sealed,
                document_number: decision.document_number.clone(),
                decision_date,
                legal_basis: decision.legal_basis.clone(),
                detail: decision_detail(&decision, &effect, referred_to.as_deref()),
                new_wraps,
                extra_wraps,
                link,
                new_clocks: clocks.new,
                clock_updates: clocks.updates,
                due_on: clocks.due_on,
                overdue: clocks.overdue,
                now,
            },
            &AuditEntry::new(now, actor_code(s), "case.transition", Some(case.id)).with_detail(
                serde_json::json!({
                    "kind": kind,
                    "from": case.state.code(),
                    "to": effect.state.code(),
                    "from_agency": case.agency.0,
                    "to_agency": effect.agency.0,
                    "track": effect.track.map(Track::code),
                }),
            ),
        )
        .await?;
    Ok(effect.state)
}
