//! Casework: staff read a case, reply to the reporter and take the decisions of the statutory
//! workflow; what a reader of a case sees, as app-level types that web renders.

use minhbach_crypto::{self as crypto, SymmetricKey};
use minhbach_domain::{
    can, Action, Actor, AgencyId, CaseContext, CaseFacts, CaseState, Decision, DomainError, Effect,
    MessageText, RawDecision, ReasonText, Track, TransitionKind, UserId,
};
use minhbach_store::{
    AuditEntry, CaseChange, CaseRecord, InboxOrder, InboxPage, InboxQuery, InboxViewer, NewMessage,
    Sender,
};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};

pub use crate::access::AgencyName;
use crate::access::{actor_code, staff_case};
use crate::intake::{agency_ids, ReportContent};
use crate::keys::{self, aad};
use crate::sessions::StaffSession;
use crate::{App, Error, Lang, Result};

#[derive(Clone, Serialize)]
pub struct MessageView {
    pub from_reporter: bool,
    pub at: i64,
    pub body: String,
    /// The officer who wrote it, for staff only (the reporter sees the agency).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

#[derive(Clone, Serialize)]
pub struct EventView {
    pub at: i64,
    /// The officer who took the decision, for staff only (the reporter sees the agency).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    pub kind: String,
    pub from_state: Option<&'static str>,
    pub to_state: &'static str,
    pub from_agency: Option<AgencyName>,
    pub to_agency: AgencyName,
    pub reasons: Option<String>,
    pub note: Option<String>,
    pub evidence: Option<String>,
    pub delivery: Option<String>,
    pub document_number: Option<String>,
    pub decision_date: Option<String>,
    pub legal_basis: Option<String>,
    /// Codes of the decision: track, finding, complexity, outcome, original.
    pub detail: std::collections::BTreeMap<String, String>,
}

/// A statutory clock as shown on the case page (and, for the one that applies, to the reporter).
#[derive(Clone, Serialize)]
pub struct ClockView {
    pub clock: String,
    pub rule_id: String,
    /// The legal basis of the rule, in English and in Vietnamese.
    pub source: String,
    pub source_vi: String,
    /// The number is not confirmed against the official text.
    pub unconfirmed: bool,
    pub rule_set: String,
    pub started_on: String,
    /// `None` while suspended.
    pub due_on: Option<String>,
    pub completed_on: Option<String>,
    /// For a finished clock: whether it was met.
    pub met: Option<bool>,
    pub paused: bool,
    pub extensions: usize,
    /// Working days from today to the due date (negative when late).
    pub working_days_left: Option<i64>,
    pub overdue: bool,
}

impl ClockView {
    /// The legal basis in the reader's language.
    pub fn source_in(&self, lang: impl std::borrow::Borrow<Lang>) -> &str {
        if *lang.borrow() == Lang::Vi {
            &self.source_vi
        } else {
            &self.source
        }
    }
}

/// A decision the reader may take now, with the fields its form shows.
#[derive(Clone, Serialize)]
pub struct DecisionForm {
    pub kind: &'static str,
    pub required: Vec<&'static str>,
    pub optional: Vec<&'static str>,
}

impl DecisionForm {
    /// The form of a decision on a case whose track is `track`: the track is asked for only
    /// while the case has none, and then it is required where the decision needs one.
    pub fn of(
        kind: minhbach_domain::TransitionKind,
        track: Option<minhbach_domain::Track>,
    ) -> Self {
        use minhbach_domain::Field;
        let mut required: Vec<&'static str> = kind.required().iter().map(|f| f.code()).collect();
        let mut optional = Vec::new();
        for f in kind.optional() {
            match (f, track, kind.tracks()) {
                (Field::Track, Some(_), _) => {}
                (Field::Track, None, Some(_)) => required.push(f.code()),
                _ => optional.push(f.code()),
            }
        }
        DecisionForm {
            kind: kind.code(),
            required,
            optional,
        }
    }

    pub fn has(&self, field: &str) -> bool {
        self.required.contains(&field) || self.optional.contains(&field)
    }

    pub fn requires(&self, field: &str) -> bool {
        self.required.contains(&field)
    }
}

/// A case as its reader sees it (decrypted).
#[derive(Clone, Serialize)]
pub struct CaseView {
    pub reference: String,
    pub state: &'static str,
    pub agency: AgencyName,
    pub category: String,
    pub category_vi: String,
    pub category_en: String,
    pub received_at: i64,
    pub anonymous: bool,
    pub demo: bool,
    pub content: ReportContent,
    pub messages: Vec<MessageView>,
    pub events: Vec<EventView>,
    /// Decisions offered now (staff only).
    pub available: Vec<DecisionForm>,
    /// The reader may mark a staff account as accused in this case (intake desk, lead).
    #[serde(skip)]
    pub may_mark_accused: bool,
    /// Staff only: a legal hold keeps the content past its retention period, and whether the
    /// reader (the agency's lead) may place or lift it.
    #[serde(skip)]
    pub legal_hold: bool,
    #[serde(skip)]
    pub may_hold: bool,
    /// The reporter's identity as this officer sees it (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<crate::identity::StaffIdentity>,
    /// Staff only: the risk screen's level and the states of the reporter's protection cases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub protection: Vec<String>,
    /// Releases of the reporter's identity they must be told of (the reporter only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disclosures: Vec<crate::identity::RequestView>,
    pub track: Option<&'static str>,
    /// How many times the case was forwarded; from the second time it is "ping-pong".
    pub forward_hops: u32,
    /// Linked cases: (reference, kind).
    pub links: Vec<(String, String)>,
    pub clocks: Vec<ClockView>,
    /// Evidence files, oldest first.
    pub files: Vec<crate::evidence::FileView>,
    /// How the report arrived (`Channel::code`), and the body that forwarded it with its
    /// document (for staff; a reporter's view leaves them out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_document: Option<String>,
}

impl CaseView {
    pub fn category_name(&self, lang: impl std::borrow::Borrow<Lang>) -> String {
        if *lang.borrow() == Lang::Vi {
            self.category_vi.clone()
        } else {
            self.category_en.clone()
        }
    }

    /// The deadline that applies now: the open clock due first, other than our acknowledgement.
    /// The deadline the reporter waits for: the nearest open clock of the case itself (not the
    /// acknowledgement, not a protection assessment, which the protection section shows).
    pub fn current_deadline(&self) -> Option<&ClockView> {
        self.clocks
            .iter()
            .filter(|c| {
                c.completed_on.is_none()
                    && c.clock != "acknowledge"
                    && c.clock != "protection_assessing"
            })
            .min_by(|a, b| a.due_on.cmp(&b.due_on))
    }

    /// The reasons of the latest decision that has any (shown to the reporter).
    pub fn last_reasons(&self) -> Option<&str> {
        self.events.iter().rev().find_map(|e| e.reasons.as_deref())
    }
}

/// A message is bound to who sent it and when (finding L4): a database writer who flips its
/// sender, gives it another officer or moves it in the conversation makes it fail to open.
fn message_aad(lookup: &[u8], sender: Sender, user: Option<UserId>, at: i64) -> Vec<u8> {
    let user = user.map_or_else(|| "-".to_owned(), |u| u.0.to_string());
    aad(&format!("message-v2/{}/{user}/{at}", sender.code()), lookup)
}

/// A reporter's message sealed with the case key, bound to the case, sender and time (as
/// [`add_message`] seals it), for a write that stores it with something else.
pub(crate) fn seal_reporter_message(
    case: &CaseRecord,
    case_key: &SymmetricKey,
    text: &MessageText,
    at: i64,
) -> Vec<u8> {
    crypto::seal(
        case_key,
        text.as_str().as_bytes(),
        &message_aad(&case.receipt_lookup, Sender::Reporter, None, at),
        &mut OsRng,
    )
}

/// A decision's texts are bound to the decision: its kind, officer, time and resulting state.
fn reasons_aad(lookup: &[u8], kind: &str, user: Option<UserId>, at: i64, to: CaseState) -> Vec<u8> {
    let user = user.map_or_else(|| "-".to_owned(), |u| u.0.to_string());
    aad(
        &format!("reasons-v2/{kind}/{user}/{at}/{}", to.code()),
        lookup,
    )
}

/// Opens a blob under its bound associated data, or under the purpose alone for blobs written
/// before they were bound. A blob sealed bound never opens under the old form, so relabelling
/// it does not help a forger.
fn open_bound(
    key: &SymmetricKey,
    blob: &[u8],
    bound: &[u8],
    legacy: &[u8],
) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    match crypto::open(key, blob, bound) {
        Ok(plain) => Ok(plain),
        Err(_) => Ok(crypto::open(key, blob, legacy)?),
    }
}

/// Who writes a message: the side, the officer (for staff) and the actor the audit names.
pub(crate) struct Author<'a> {
    pub sender: Sender,
    pub user: Option<UserId>,
    pub actor: &'a str,
}

pub(crate) async fn add_message(
    st: &App,
    case: &CaseRecord,
    case_key: &SymmetricKey,
    author: Author<'_>,
    text: &MessageText,
    files: Option<&crate::evidence::DraftRef>,
) -> Result<()> {
    let Author {
        sender,
        user,
        actor,
    } = author;
    let now = st.now();
    let attachments = match files {
        Some(d) => Some(crate::evidence::adoption(st, d, case_key).await?),
        None => None,
    };
    let count = attachments.as_ref().map_or(0, |a| a.files.len());
    let body_sealed = crypto::seal(
        case_key,
        text.as_str().as_bytes(),
        &message_aad(&case.receipt_lookup, sender, user, now),
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
                attachments,
            },
            &AuditEntry::new(now, actor, "message.added", Some(case.id))
                .with_detail(serde_json::json!({ "sender": sender.code(), "files": count })),
        )
        .await?;
    Ok(())
}

/// Builds what a reader of the case sees, decrypting with the case key.
/// What a decoy code opens: the case's reference, category and agency, closed, with the decoy
/// text as the report and nothing else of the real case.
pub(crate) async fn decoy_view(st: &App, case: &CaseRecord, text: &str) -> Result<CaseView> {
    let content = ReportContent {
        what: text.to_owned(),
        ..ReportContent::default()
    };
    Ok(CaseView {
        state: CaseState::Closed.code(),
        track: None,
        forward_hops: 0,
        // Nothing about who reported: not even that a name was given.
        anonymous: true,
        channel: None,
        source_body: None,
        source_document: None,
        ..case_shell(st, case, content).await?
    })
}

/// A case's view with its header (reference, agency, category, dates) and `content`, and no
/// messages, events, decisions, links or clocks yet.
async fn case_shell(st: &App, case: &CaseRecord, content: ReportContent) -> Result<CaseView> {
    let agencies = st.store.agencies().await?;
    let category = st
        .store
        .categories()
        .await?
        .into_iter()
        .find(|c| c.code == case.category);
    let name = |c: Option<&minhbach_store::Category>, vi: bool| {
        c.map_or_else(
            || case.category.clone(),
            |c| {
                if vi {
                    c.name_vi.clone()
                } else {
                    c.name_en.clone()
                }
            },
        )
    };
    Ok(CaseView {
        reference: case.reference.clone(),
        state: case.state.code(),
        agency: AgencyName::find(&agencies, case.agency),
        category: case.category.clone(),
        category_vi: name(category.as_ref(), true),
        category_en: name(category.as_ref(), false),
        received_at: case.received_at,
        anonymous: case.anonymous,
        demo: case.demo,
        channel: Some(case.channel.clone()),
        source_body: case.source_body.clone(),
        source_document: case.source_document.clone(),
        content,
        messages: Vec::new(),
        events: Vec::new(),
        available: Vec::new(),
        may_mark_accused: false,
        legal_hold: false,
        may_hold: false,
        identity: None,
        risk: None,
        protection: Vec::new(),
        disclosures: Vec::new(),
        track: case.track.map(Track::code),
        forward_hops: case.forward_hops,
        links: Vec::new(),
        clocks: Vec::new(),
        files: Vec::new(),
    })
}

pub(crate) async fn case_view(
    st: &App,
    case: &CaseRecord,
    case_key: &SymmetricKey,
    staff: Option<&Actor>,
) -> Result<CaseView> {
    let lookup = &case.receipt_lookup;
    let content_plain = crypto::open(case_key, &case.content_sealed, &aad("content", lookup))?;
    let content: ReportContent =
        serde_json::from_slice(&content_plain).map_err(|e| Error::Internal(e.to_string()))?;
    let agencies = st.store.agencies().await?;
    let name = |id: AgencyId| AgencyName::find(&agencies, id);
    let records = st.store.messages(case.id).await?;
    let officers = match staff {
        Some(_) => officer_names(st, case, records.iter().filter_map(|m| m.user)).await?,
        None => Officers::default(),
    };
    let messages = records
        .into_iter()
        .map(|m| {
            let body = open_bound(
                case_key,
                &m.body_sealed,
                &message_aad(lookup, m.sender, m.user, m.created_at),
                &aad("message", lookup),
            )?;
            Ok(MessageView {
                from_reporter: m.sender == Sender::Reporter,
                at: m.created_at,
                body: String::from_utf8_lossy(&body).into_owned(),
                by: officers.of(m.user),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let events = event_views(st, case, Some(case_key), &name, &officers).await?;
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
    let clocks = clock_views(st, case).await?;
    Ok(CaseView {
        messages,
        events,
        available,
        may_mark_accused: staff.is_some_and(|a| can(a, Action::MarkAccused, Some(&case.facts()))),
        legal_hold: staff.is_some() && case.legal_hold_at.is_some(),
        may_hold: staff.is_some_and(|a| can(a, Action::LegalHold, Some(&case.facts()))),
        links: links.into_iter().map(|l| (l.reference, l.kind)).collect(),
        clocks,
        files: crate::evidence::case_files(st, case.id, case_key).await?,
        ..case_shell(st, case, content).await?
    })
    .map(|mut view: CaseView| {
        // The reporter's view says nothing of how the agency received it.
        if staff.is_none() {
            view.channel = None;
            view.source_body = None;
            view.source_document = None;
        }
        view
    })
}

/// The names of the officers who wrote or decided on a case, for staff views; empty for the
/// reporter's.
#[derive(Default)]
struct Officers(Vec<(UserId, String)>);

impl Officers {
    fn of(&self, user: Option<UserId>) -> Option<String> {
        let user = user?;
        self.0
            .iter()
            .find(|(u, _)| *u == user)
            .map(|(_, n)| n.clone())
    }
}

/// The officers named by a case's events and these message authors.
async fn officer_names(
    st: &App,
    case: &CaseRecord,
    authors: impl Iterator<Item = UserId>,
) -> Result<Officers> {
    let mut ids: Vec<UserId> = st
        .store
        .events(case.id)
        .await?
        .iter()
        .filter_map(|e| e.user)
        .chain(authors)
        .collect();
    ids.sort_by_key(|u| u.0);
    ids.dedup();
    Ok(Officers(st.store.display_names(&ids).await?))
}

/// The history of a case, oldest first; the free texts of decisions only with the case key.
async fn event_views(
    st: &App,
    case: &CaseRecord,
    case_key: Option<&SymmetricKey>,
    name: &(dyn Fn(AgencyId) -> AgencyName + Sync),
    officers: &Officers,
) -> Result<Vec<EventView>> {
    let lookup = &case.receipt_lookup;
    st.store
        .events(case.id)
        .await?
        .into_iter()
        .map(|e| {
            let texts: DecisionTexts = match (e.reasons_sealed, case_key) {
                (Some(r), Some(case_key)) => {
                    let bound = reasons_aad(lookup, &e.kind, e.user, e.at, e.to_state);
                    let plain = open_bound(case_key, &r, &bound, &aad("reasons", lookup))?;
                    serde_json::from_slice(&plain).map_err(|e| Error::Internal(e.to_string()))?
                }
                _ => DecisionTexts::default(),
            };
            let detail: std::collections::BTreeMap<String, String> =
                serde_json::from_str(&e.detail).unwrap_or_default();
            Ok(EventView {
                at: e.at,
                by: officers.of(e.user),
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
        .collect::<Result<Vec<_>>>()
}

/// The statutory clocks of a case as its readers see them.
async fn clock_views(st: &App, case: &CaseRecord) -> Result<Vec<ClockView>> {
    let legal = st.legal();
    let today = st.today();
    Ok(st
        .store
        .clocks(case.id)
        .await?
        .iter()
        .map(|row| {
            let clock = crate::clocks::rebuild(&legal, row)?;
            let due = clock.due(&legal.calendar);
            let open = clock.completed_on().is_none();
            Ok(crate::casework::ClockView {
                clock: row.clock.clone(),
                rule_id: row.rule_id.clone(),
                source: clock.rule().source.clone(),
                source_vi: clock
                    .rule()
                    .source_vi
                    .clone()
                    .unwrap_or_else(|| clock.rule().source.clone()),
                unconfirmed: clock.rule().unconfirmed,
                rule_set: row.rule_set.clone(),
                started_on: row.started_on.clone(),
                due_on: due.map(crate::clocks::iso),
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
        .collect::<Result<Vec<_>, DomainError>>()?)
}

/// One officer's open cases, as their lead sees it.
#[derive(Clone, Debug, Serialize)]
pub struct WorkloadView {
    pub name: String,
    pub role: &'static str,
    pub open: i64,
    pub overdue: i64,
    pub next_due: Option<String>,
}

/// The open cases assigned to each handler and lead of the lead's agency, so that assignments
/// can be balanced. Metadata only.
pub async fn workload(st: &App, s: &StaffSession) -> Result<Vec<WorkloadView>> {
    let agency = match s.actor.agency {
        Some(a) if can(&s.actor, Action::ViewWorkload, None) => a,
        _ => return Err(DomainError::Forbidden.into()),
    };
    let finals: Vec<&str> = CaseState::ALL
        .into_iter()
        .filter(|c| c.is_final())
        .map(CaseState::code)
        .collect();
    Ok(st
        .store
        .workload(agency, &finals)
        .await?
        .into_iter()
        .map(|w| WorkloadView {
            name: w.display_name,
            role: w.role.code(),
            open: w.open,
            overdue: w.overdue,
            next_due: w.next_due,
        })
        .collect())
}

/// What an overseer sees of any case: its agency, state, clocks, history and links, never
/// content (no key is used; the decisions' free texts stay sealed). Audited as a read of
/// metadata.
pub async fn overseer_case_view(st: &App, s: &StaffSession, reference: &str) -> Result<CaseView> {
    if !can(&s.actor, Action::ViewEveryAgency, None) {
        return Err(DomainError::Forbidden.into());
    }
    let case = st
        .store
        .case_by_reference(reference.trim())
        .await?
        .ok_or(DomainError::NotFound)?;
    let agencies = st.store.agencies().await?;
    let name = |id: AgencyId| AgencyName::find(&agencies, id);
    let officers = officer_names(st, &case, std::iter::empty()).await?;
    let events = event_views(st, &case, None, &name, &officers).await?;
    let links = st.store.links(case.id).await?;
    let view = CaseView {
        events,
        links: links.into_iter().map(|l| (l.reference, l.kind)).collect(),
        clocks: clock_views(st, &case).await?,
        ..case_shell(st, &case, ReportContent::default()).await?
    };
    st.store
        .audit(&AuditEntry::new(
            st.now(),
            actor_code(s),
            "case.overseen",
            Some(case.id),
        ))
        .await?;
    Ok(view)
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
    /// One channel (`Channel::code`).
    pub channel: Option<String>,
    /// One partner organisation's id: the cases it registered and forwarded.
    pub partner: Option<String>,
    /// A reference number (`HN-2026-123456789`), as typed: case and spaces do not matter.
    pub q: Option<String>,
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
            due_by: (self.due.as_deref() == Some("week")).then(|| crate::clocks::iso(end_of_week)),
            channel: non_empty(&self.channel)
                .and_then(|c| minhbach_domain::Channel::from_code(&c))
                .map(|c| c.code().to_owned()),
            partner: non_empty(&self.partner)
                .and_then(|a| a.parse().ok())
                .map(AgencyId),
            reference: non_empty(&self.q).map(|r| {
                r.chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_uppercase()
            }),
        }
    }
}

pub async fn inbox(
    st: &App,
    s: &StaffSession,
    order: InboxOrder,
    filter: minhbach_store::InboxFilter,
    page: u32,
) -> Result<InboxPage> {
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
            viewer: Some(InboxViewer {
                user: s.user.id,
                leads: minhbach_domain::exclusion::led_agency(&s.actor),
            }),
            order,
            filter,
            page: page.max(1),
            per_page: 25,
        })
        .await?)
}

pub async fn staff_case_view(st: &App, s: &StaffSession, reference: &str) -> Result<CaseView> {
    let (case, key) = staff_case(st, s, reference, Action::ReadCase).await?;
    let mut view = case_view(st, &case, &key, Some(&s.actor)).await?;
    view.identity = Some(crate::identity::identity_for(st, s, &case, &key).await?);
    view.risk = st.store.risk_and_pressure(case.id).await?.0;
    view.protection = st
        .store
        .protections_of_case(case.id)
        .await?
        .into_iter()
        .map(|p| p.state)
        .collect();
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

pub async fn staff_reply(st: &App, s: &StaffSession, reference: &str, body: &str) -> Result<()> {
    let text = MessageText::parse(body)?;
    let (case, key) = staff_case(st, s, reference, Action::Reply).await?;
    add_message(
        st,
        &case,
        &key,
        Author {
            sender: Sender::Staff,
            user: Some(s.user.id),
            actor: &actor_code(s),
        },
        &text,
        None,
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
    st: &App,
    s: &StaffSession,
    reference: &str,
    input: &RawDecision,
) -> Result<CaseState> {
    let agencies = agency_ids(st).await?;
    let decision = input.parse(&agencies)?;
    let (case, key) = staff_case(st, s, reference, Action::Transition(decision.kind)).await?;
    if case.held_at.is_some() {
        return Err(DomainError::Held.into());
    }
    let effect = decision.apply(&CaseContext {
        state: case.state,
        track: case.track,
        agency: case.agency,
        forwarded_by: case.forwarded_by,
    })?;
    let lookup = &case.receipt_lookup;
    let now = st.now();
    let bound = reasons_aad(
        lookup,
        decision.kind.code(),
        Some(s.user.id),
        now,
        effect.state,
    );
    let reasons_sealed = DecisionTexts::of(&decision)
        .map(|t| serde_json::to_vec(&t).map_err(|e| Error::Internal(e.to_string())))
        .transpose()?
        .map(|plain| crypto::seal(&key, &plain, &bound, &mut OsRng));
    let link = match &decision.original {
        Some(original) => {
            let other = st
                .store
                .case_by_reference(original.trim())
                .await?
                // Only a case of the same agency: another agency's reference answers exactly
                // as an unknown one, so the form cannot probe which references exist.
                .filter(|o| o.id != case.id && o.agency == case.agency)
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
    // Access follows the case: after the decision the key is held by exactly whom the key
    // policy names (the new agency's desk, the assigned handler), never by anyone excluded from
    // this case or a case linked to it.
    let mut exclusions = st.store.exclusions(case.id).await?;
    if let Some((other, _)) = &link {
        exclusions.extend(st.store.exclusions(*other).await?);
    }
    if let Some(handler) = decision.handler {
        let staff = st.store.staff_of(case.agency).await?;
        let valid = staff.iter().any(|u| {
            u.id == handler
                && u.role.takes_assignments()
                && !keys::is_excluded(u.id, u.agency, u.role, &exclusions)
        });
        if !valid {
            return Err(DomainError::Invalid(vec![minhbach_domain::FieldError {
                field: "handler",
                code: "field-invalid-choice",
            }])
            .into());
        }
    }
    let after = CaseFacts {
        agency: effect.agency,
        state: effect.state,
        assignee: decision.handler.or(case.assignee),
        forward_hops: case.forward_hops,
    };
    let current = st.store.case_key_holders(case.id).await?;
    let wraps = keys::plan_wraps(st, &after, &exclusions, &current, &key, lookup).await?;
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
    // A written decision cannot be dated after today: its clocks would start in the future.
    // A date before a clock started is refused by the clock itself.
    if on > st.today() {
        return Err(DomainError::Invalid(vec![minhbach_domain::FieldError {
            field: "decision_date",
            code: "field-date-future",
        }])
        .into());
    }
    let ops = minhbach_domain::clock_ops(decision.kind, effect.track);
    let clocks = crate::clocks::plan(
        &st.legal(),
        &rows,
        &ops,
        effect.agency,
        on,
        decision.complexity,
    )?;
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
                wraps,
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

/// What a partner organisation sees of a case it forwarded and may follow: state, agency,
/// clocks and the decisions' kinds and states; never content, reasons, officers' names, links
/// or how the agency received it.
pub(crate) async fn partner_view(st: &App, case: &CaseRecord) -> Result<CaseView> {
    let agencies = st.store.agencies().await?;
    let name = |id: AgencyId| AgencyName::find(&agencies, id);
    let events = event_views(st, case, None, &name, &Officers::default()).await?;
    Ok(CaseView {
        events,
        clocks: clock_views(st, case).await?,
        channel: None,
        source_body: None,
        source_document: None,
        ..case_shell(st, case, ReportContent::default()).await?
    })
}
