//! Rows as the store reads and writes them. Byte fields named `*_sealed` or `wrapped` are
//! ciphertext produced by `minhbach-crypto`; the store never sees a key.

use minhbach_domain::{AgencyId, CaseFacts, CaseId, CaseState, Excluded, Role, Track, UserId};

#[derive(Clone, Debug)]
pub struct NewOrganisation {
    pub name: String,
    pub reference_prefix: String,
    pub recovery_public_key: Vec<u8>,
    pub demo: bool,
    pub now: i64,
}

#[derive(Clone, Debug)]
pub struct Organisation {
    pub name: String,
    pub reference_prefix: String,
    pub recovery_public_key: Vec<u8>,
    pub default_agency: Option<AgencyId>,
    pub demo: bool,
}

#[derive(Clone, Debug)]
pub struct NewAgency {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub kind: String,
    /// The body above it (handles denunciations against its head, oversees it).
    pub superior: Option<AgencyId>,
    pub now: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agency {
    pub id: AgencyId,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub kind: String,
    /// The body that handles denunciations against this agency's head, and oversees it.
    pub superior: Option<AgencyId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub position: i64,
}

#[derive(Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub agency: Option<AgencyId>,
    pub role: Role,
    pub password_hash: String,
    pub public_key: Vec<u8>,
    pub kek_salt: Vec<u8>,
    pub secret_key_sealed: Vec<u8>,
    pub secret_key_recovery: Vec<u8>,
    /// The TOTP secret sealed under the server secret; `None` for roles without a second factor.
    pub totp_sealed: Option<Vec<u8>>,
    /// The password is a one-time password: its holder sets their own at the first sign-in.
    pub must_change_password: bool,
    /// The holder has the second factor already (the command line prints it); otherwise they
    /// enrol it from a QR code at the first sign-in.
    pub totp_enrolled: bool,
    pub now: i64,
}

#[derive(Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub agency: Option<AgencyId>,
    pub role: Role,
    pub password_hash: String,
    pub public_key: Vec<u8>,
    pub kek_salt: Vec<u8>,
    pub secret_key_sealed: Vec<u8>,
    pub totp_sealed: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub active: bool,
    /// The password is a one-time password (a new account, a reset): no page opens before the
    /// holder sets their own.
    pub must_change_password: bool,
    /// Whether the holder has enrolled the second factor their role requires.
    pub totp_enrolled: bool,
    pub last_signin_at: Option<i64>,
}

impl UserRecord {
    /// Who this account is to the access policy.
    pub fn actor(&self) -> minhbach_domain::Actor {
        minhbach_domain::Actor {
            user: self.id,
            agency: self.agency,
            role: self.role,
        }
    }
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A case to record at submission. `reference_prefix` and `year` choose the counter; the store
/// allocates the sequence inside the transaction.
#[derive(Clone, Debug)]
pub struct NewCase {
    pub reference_prefix: String,
    pub year: i32,
    pub receipt_lookup: Vec<u8>,
    pub agency: AgencyId,
    pub category: String,
    pub channel: String,
    pub anonymous: bool,
    pub now: i64,
    pub content_sealed: Vec<u8>,
    pub case_key_reporter: Vec<u8>,
    pub case_key_recovery: Vec<u8>,
    pub identity_sealed: Option<Vec<u8>>,
    pub identity_key_reporter: Option<Vec<u8>>,
    pub identity_key_recovery: Option<Vec<u8>>,
    /// Wraps of the case key for the staff the key policy names.
    pub staff_wraps: Vec<(UserId, Vec<u8>)>,
    /// Conflicts of interest known at submission (the accused leads the chosen agency).
    pub exclusions: Vec<Excluded>,
    /// The identity key split k of n: k, and each custodian's wrapped share.
    pub identity_threshold: Option<i64>,
    pub identity_shares: Vec<(UserId, Vec<u8>)>,
    /// A decoy code: its receipt lookup and the decoy page's content, sealed under its key.
    pub decoy: Option<(Vec<u8>, Vec<u8>)>,
    /// A track known at submission (a retaliation report) and a link to the original case.
    pub track: Option<Track>,
    pub link: Option<(CaseId, String)>,
    /// Hash of the single-use form token, if the submission came from a form.
    pub nonce_hash: Option<Vec<u8>>,
    pub demo: bool,
    /// The clocks that start on receipt, and the nearest due date among them.
    pub clocks: Vec<NewClock>,
    pub due_on: Option<String>,
    /// Received beyond the submission budget: recorded, but no clock starts until released.
    pub held: bool,
    /// Evidence files the reporter confirmed, taken from their draft.
    pub attachments: Option<crate::Adoption>,
    /// Registered by an officer on a person's behalf: who, and the body (and its document)
    /// that forwarded the report, in clear.
    pub registered_by: Option<UserId>,
    pub source_body: Option<String>,
    pub source_document: Option<String>,
    /// An integrator's idempotency key, as MACs.
    pub idempotency: Option<Idempotency>,
    /// The partner organisation that registered and forwarded it, and whether the person let
    /// it follow the case.
    pub partner: Option<AgencyId>,
    pub partner_follows: bool,
    /// A loophole proposal: the regulation's number and article, in clear.
    pub regulation: Option<(String, String)>,
}

/// An idempotency key of an integrator's request: the key and the request, as MACs under the
/// server secret.
#[derive(Clone, Debug)]
pub struct Idempotency {
    pub user: UserId,
    pub key_hash: Vec<u8>,
    pub request_mac: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct CaseRecord {
    pub id: CaseId,
    pub reference: String,
    /// Keyed hash of the receipt; also binds every sealed blob of the case to this case.
    pub receipt_lookup: Vec<u8>,
    pub agency: AgencyId,
    pub category: String,
    pub state: CaseState,
    pub channel: String,
    pub anonymous: bool,
    pub assignee: Option<UserId>,
    pub track: Option<Track>,
    pub forward_hops: u32,
    pub forwarded_by: Option<AgencyId>,
    pub received_at: i64,
    pub updated_at: i64,
    pub content_sealed: Vec<u8>,
    pub case_key_reporter: Vec<u8>,
    pub identity_sealed: Option<Vec<u8>>,
    /// The identity key wrapped under the reporter's receipt key.
    pub identity_key_reporter: Option<Vec<u8>>,
    /// The k the identity key was split with among the custodians, if it was.
    pub identity_threshold: Option<i64>,
    pub demo: bool,
    /// When the report was held for review (received beyond the submission budget).
    pub held_at: Option<i64>,
    /// When its content was destroyed at the end of its retention period.
    pub purged_at: Option<i64>,
    /// Since when a legal hold keeps its content.
    pub legal_hold_at: Option<i64>,
    /// The body that forwarded the report and its document (registered by an officer).
    pub source_body: Option<String>,
    pub source_document: Option<String>,
    /// The partner that forwarded it, if it may follow the case.
    pub partner_following: Option<AgencyId>,
}

impl CaseRecord {
    pub fn facts(&self) -> CaseFacts {
        CaseFacts {
            agency: self.agency,
            state: self.state,
            assignee: self.assignee,
            forward_hops: self.forward_hops,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    Reporter,
    Staff,
}

impl Sender {
    pub fn code(self) -> &'static str {
        match self {
            Sender::Reporter => "reporter",
            Sender::Staff => "staff",
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewMessage {
    pub case: CaseId,
    pub sender: Sender,
    pub user: Option<UserId>,
    pub now: i64,
    pub body_sealed: Vec<u8>,
    /// Evidence files sent with the message, taken from their draft.
    pub attachments: Option<crate::Adoption>,
}

#[derive(Clone, Debug)]
pub struct MessageRecord {
    pub id: i64,
    pub sender: Sender,
    pub user: Option<UserId>,
    pub created_at: i64,
    pub body_sealed: Vec<u8>,
}

/// A decision applied to a case, guarded by the state and agency it was read in.
#[derive(Clone, Debug)]
pub struct CaseChange {
    pub case: CaseId,
    pub user: UserId,
    pub kind: String,
    pub expected_state: CaseState,
    pub expected_agency: AgencyId,
    pub new_state: CaseState,
    pub new_agency: AgencyId,
    pub new_track: Option<Track>,
    /// The case leaves for another agency: hops + 1, and the sender is remembered.
    pub forwarded: bool,
    /// Set the assigned handler.
    pub assignee: Option<UserId>,
    /// The decision's free-text parts (reasons, note, evidence), sealed under the case key.
    pub reasons_sealed: Option<Vec<u8>>,
    pub document_number: Option<String>,
    pub decision_date: Option<String>,
    pub legal_basis: Option<String>,
    /// Codes only (finding, complexity, outcome, target agency…), as JSON.
    pub detail: String,
    /// The staff wraps to delete and to add, as the key policy decides after the decision.
    pub wraps: WrapChange,
    /// A link to another case (duplicate of, re-denunciation of).
    pub link: Option<(CaseId, String)>,
    pub new_clocks: Vec<NewClock>,
    pub clock_updates: Vec<ClockUpdate>,
    /// The nearest open due date after the decision, and whether an open clock is overdue.
    pub due_on: Option<String>,
    pub overdue: bool,
    pub now: i64,
}

/// A chain-of-command exclusion, as its superior body sees it (no content).
#[derive(Clone, Debug, serde::Serialize)]
pub struct ChainExclusion {
    pub id: i64,
    pub reference: String,
    /// The agency whose leads are kept out.
    pub agency: AgencyId,
    pub created_at: i64,
}

/// Who loses and who gains a wrap of a case key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WrapChange {
    pub remove: Vec<UserId>,
    pub add: Vec<(UserId, Vec<u8>)>,
}

impl WrapChange {
    pub fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.add.is_empty()
    }
}

/// A change of who holds a case's key outside a decision: an exclusion recorded (accused,
/// recused) or officers who joined later granted the key.
#[derive(Clone, Debug)]
pub struct KeyChange {
    pub case: CaseId,
    pub by: UserId,
    pub exclusions: Vec<Excluded>,
    pub wraps: WrapChange,
    pub now: i64,
}

#[derive(Clone, Debug)]
pub struct EventRecord {
    pub at: i64,
    pub user: Option<UserId>,
    pub kind: String,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    pub from_agency: Option<AgencyId>,
    pub to_agency: AgencyId,
    pub reasons_sealed: Option<Vec<u8>>,
    pub document_number: Option<String>,
    pub decision_date: Option<String>,
    pub legal_basis: Option<String>,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseLink {
    pub case: CaseId,
    pub reference: String,
    pub kind: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboxOrder {
    NewestFirst,
    OldestFirst,
    /// Nearest deadline first; cases without an open deadline last.
    DueFirst,
}

#[derive(Clone, Debug)]
pub struct InboxQuery {
    /// `None`: every agency (overseers, who see metadata only).
    pub agency: Option<AgencyId>,
    /// Leave out the cases this staff member is excluded from (accused, recused, or a lead of
    /// an agency whose leads are kept out), so they do not even see that the case exists.
    pub viewer: Option<InboxViewer>,
    pub order: InboxOrder,
    pub filter: InboxFilter,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InboxViewer {
    pub user: UserId,
    /// The agency the viewer leads, if they are a lead.
    pub leads: Option<AgencyId>,
}

/// Inbox filters (all optional, combined with AND).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InboxFilter {
    /// Overseers only: one agency.
    pub agency: Option<AgencyId>,
    pub state: Option<CaseState>,
    pub track: Option<Track>,
    pub category: Option<String>,
    pub overdue: bool,
    /// Only cases due on or before this ISO date (e.g. the end of this week).
    pub due_by: Option<String>,
    /// Only cases that came through this channel (`Channel::code`).
    pub channel: Option<String>,
    /// Only cases this partner organisation registered and forwarded.
    pub partner: Option<AgencyId>,
    /// The case with this reference (exact; the reference is unique).
    pub reference: Option<String>,
}

#[derive(Clone, Debug)]
pub struct InboxRow {
    pub id: CaseId,
    pub reference: String,
    pub agency: AgencyId,
    pub category: String,
    pub state: CaseState,
    pub received_at: i64,
    pub updated_at: i64,
    pub anonymous: bool,
    pub demo: bool,
    pub track: Option<Track>,
    pub due_on: Option<String>,
    pub overdue: bool,
}

#[derive(Clone, Debug)]
pub struct InboxPage {
    pub rows: Vec<InboxRow>,
    /// Exact up to the cap; see `total_capped`.
    pub total: i64,
    /// More cases match than `total` says.
    pub total_capped: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Staff,
    Reporter,
    /// A staff member who signed in with a one-time password or without an enrolled second
    /// factor: this session opens only the page that sets them, never a case.
    StaffSetup,
}

impl SessionKind {
    pub fn code(self) -> &'static str {
        match self {
            SessionKind::Staff => "staff",
            SessionKind::Reporter => "reporter",
            SessionKind::StaffSetup => "staff_setup",
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewSession {
    pub token_hash: Vec<u8>,
    pub kind: SessionKind,
    pub user: Option<UserId>,
    pub case: Option<CaseId>,
    /// The staff secret key, or the reporter's case key, sealed under a key derived from the
    /// session token that only the client holds.
    pub sealed_key: Vec<u8>,
    pub now: i64,
    pub expires_at: i64,
}

#[derive(Clone, Debug)]
pub struct SessionRecord {
    pub kind: SessionKind,
    pub user: Option<UserId>,
    pub case: Option<CaseId>,
    pub sealed_key: Vec<u8>,
    pub expires_at: i64,
}

/// A clock to start (dates are ISO `YYYY-MM-DD`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewClock {
    pub clock: String,
    pub rule_id: String,
    /// `effective_from` of the rule set the clock runs under.
    pub rule_set: String,
    pub agency: AgencyId,
    pub started_on: String,
    pub due_on: Option<String>,
}

/// A stored clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockRow {
    pub id: i64,
    pub clock: String,
    pub rule_id: String,
    pub rule_set: String,
    pub agency: AgencyId,
    pub started_on: String,
    /// Suspensions, resumptions and extensions, replayed to rebuild the clock (JSON).
    pub ops: String,
    pub due_on: Option<String>,
    pub completed_on: Option<String>,
    pub met: Option<bool>,
    pub breached_at: Option<i64>,
}

/// A change to a stored clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockUpdate {
    pub id: i64,
    pub ops: String,
    pub due_on: Option<String>,
    pub completed_on: Option<String>,
    pub met: Option<bool>,
}

/// The dated legal data documents kept in the database.
#[derive(Clone, Debug, Default)]
pub struct LegalDocuments {
    /// (effective_from, TOML)
    pub rule_sets: Vec<(String, String)>,
    /// (year, TOML)
    pub calendar_years: Vec<(i64, String)>,
}
