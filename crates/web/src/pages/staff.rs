//! The staff pages: sign-in, the inbox, the case page with its decisions, notifications.

use super::*;
use minhbach_app::identity::{RequestView, StaffIdentity};

#[derive(Template)]
#[template(path = "staff_login.html")]
struct StaffLogin {
    t: Tr,
    token: String,
    /// On a demo organisation only: the demo accounts' current code.
    demo_code: Option<String>,
}

pub(super) async fn staff_login_page(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    headers: axum::http::HeaderMap,
) -> Response {
    let t = tr(&st, lang, "/staff/login").await;
    let demo_code = t.demo.then(|| minhbach_app::demo::demo_code(st.now()));
    let (token, set) = bound_form_token(&st, &headers, FORM_LOGIN);
    let r = page(StaffLogin {
        t,
        token,
        demo_code,
    });
    with_binding(r, set)
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

pub(super) async fn staff_login(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    WebForm(form): WebForm<LoginForm>,
) -> AppResult<Response> {
    check_bound_token(&st, &headers, FORM_LOGIN, &form.token)?;
    let secure = st.config.secure_cookies;
    let signed_in =
        minhbach_app::sessions::staff_sign_in(&st, &form.username, &form.password, &form.code)
            .await?;
    let token: SessionToken = match signed_in {
        minhbach_app::sessions::SignIn::Ready(token) => token,
        // A one-time password or a second factor to enrol: the setup page, and nothing else.
        minhbach_app::sessions::SignIn::Setup(token) => {
            let cookie = session_cookie(
                staff_cookie(secure),
                &token.encode(),
                secure,
                minhbach_app::accounts::SETUP_MINUTES * 60,
            );
            return Ok(with_cookie(
                Redirect::to("/staff/setup").into_response(),
                cookie,
            ));
        }
    };
    // The first page the policy lets this person see.
    let actor = st
        .store
        .user_by_username(form.username.trim())
        .await?
        .map(|u| u.actor());
    let home = [
        (minhbach_domain::Action::ViewInbox, "/staff/inbox"),
        (minhbach_domain::Action::ForwardAsPartner, "/partner/cases"),
        (minhbach_domain::Action::ManageOrganisation, "/admin/users"),
        (minhbach_domain::Action::ManageLegalData, "/admin/legal"),
        (
            minhbach_domain::Action::DecideDisclosure,
            "/staff/custodian",
        ),
        (minhbach_domain::Action::ViewProtection, "/staff/protection"),
        (minhbach_domain::Action::VerifyAudit, "/audit"),
        (minhbach_domain::Action::ViewFigures, "/staff/figures"),
    ]
    .into_iter()
    .find(|(action, _)| {
        actor
            .as_ref()
            .is_some_and(|a| minhbach_domain::can(a, *action, None))
    })
    .map_or("/staff/inbox", |(_, page)| page);
    let cookie = session_cookie(
        staff_cookie(secure),
        &token.encode(),
        secure,
        st.settings.staff_session_minutes * 60,
    );
    Ok(with_cookie(Redirect::to(home).into_response(), cookie))
}

pub(super) async fn staff_logout(
    State(st): State<AppState>,
    Csrf(Staff(s, _), _): Csrf<Staff, CsrfOnly>,
) -> AppResult<Response> {
    minhbach_app::sessions::logout(&st, &s.token).await?;
    Ok(signed_out(&st, staff_cookie(st.config.secure_cookies)))
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    t: Tr,
    staff_name: String,
    agency: AgencyName,
    csrf: String,
    rows: Vec<InboxRow>,
    categories: Vec<Category>,
    total: i64,
    total_capped: bool,
    page: u32,
    pages: u32,
    /// `due`, `newest` or `oldest`.
    order: &'static str,
    params: minhbach_app::casework::InboxParams,
    legal: std::sync::Arc<minhbach_app::legal::Legal>,
    today: time::Date,
    /// A lead may give officers who joined later the keys of the agency's open cases.
    may_grant_keys: bool,
    /// Reports held for review at the agency (the intake desk's to release).
    held: usize,
    /// Overseers see every agency's metadata and cannot open cases.
    overseer: bool,
    agencies: Vec<Agency>,
    /// For a lead: each handler's open cases.
    workload: Vec<minhbach_app::casework::WorkloadView>,
}

/// A category's name in the page's language (its code if it is no longer configured).
fn category_name(categories: &[Category], t: &Tr, code: &str) -> String {
    categories.iter().find(|c| c.code == code).map_or_else(
        || code.to_owned(),
        |c| {
            if t.is_vi() {
                c.name_vi.clone()
            } else {
                c.name_en.clone()
            }
        },
    )
}

impl InboxPage {
    fn category_name(&self, code: &str) -> String {
        category_name(&self.categories, &self.t, code)
    }

    fn agency_of(&self, id: &minhbach_domain::AgencyId) -> String {
        AgencyName::find(&self.agencies, *id).name(self.t.lang)
    }

    fn agency_label(&self, a: &Agency) -> String {
        if self.t.is_vi() {
            a.name_vi.clone()
        } else {
            a.name_en.clone()
        }
    }

    fn states(&self) -> Vec<&'static str> {
        minhbach_domain::CaseState::ALL
            .iter()
            .map(|s| s.code())
            .collect()
    }

    fn tracks(&self) -> Vec<&'static str> {
        minhbach_domain::Track::ALL
            .iter()
            .map(|t| t.code())
            .collect()
    }

    /// Whether a filter currently has this value (to keep the form as the reader left it).
    fn channels(&self) -> Vec<&'static str> {
        minhbach_domain::Channel::ALL
            .iter()
            .map(|c| c.code())
            .collect()
    }

    /// The partner organisations, for the filter.
    fn partners(&self) -> Vec<&Agency> {
        self.agencies
            .iter()
            .filter(|a| minhbach_domain::organisation::PARTNER_KINDS.contains(&a.kind.as_str()))
            .collect()
    }

    /// The reference searched for, as typed.
    fn searched(&self) -> &str {
        self.params.q.as_deref().unwrap_or("")
    }

    fn selected(&self, field: &str, value: impl AsRef<str>) -> bool {
        let value = value.as_ref();
        let p = &self.params;
        let current = match field {
            "state" => &p.state,
            "track" => &p.track,
            "category" => &p.category,
            "agency" => &p.agency,
            "overdue" => &p.overdue,
            "due" => &p.due,
            "channel" => &p.channel,
            "partner" => &p.partner,
            _ => return false,
        };
        current.as_deref() == Some(value)
    }

    /// Working days from today to an ISO due date.
    fn days_left(&self, due: &str) -> Option<i64> {
        let due = minhbach_app::clocks::parse_date(due).ok()?;
        Some(self.legal.calendar.working_days_between(self.today, due))
    }

    /// The current filters as a query string, for the pager links.
    fn query(&self) -> String {
        let p = &self.params;
        let mut parts = vec![format!("order={}", self.order)];
        for (k, v) in [
            ("state", &p.state),
            ("track", &p.track),
            ("category", &p.category),
            ("overdue", &p.overdue),
            ("due", &p.due),
            ("channel", &p.channel),
            ("partner", &p.partner),
            ("agency", &p.agency),
            ("q", &p.q),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                let safe: String = v
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                parts.push(format!("{k}={safe}"));
            }
        }
        parts.join("&")
    }
}

pub(super) async fn staff_inbox(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    Query(q): Query<minhbach_app::casework::InboxParams>,
) -> AppResult<Response> {
    let order = q.order();
    let page_no = q.page();
    let inbox =
        minhbach_app::casework::inbox(&st, &s, order, q.filter(st.today()), page_no).await?;
    let agencies = st.store.agencies().await?;
    let agency = AgencyName::find(
        &agencies,
        s.actor.agency.unwrap_or(minhbach_domain::AgencyId(0)),
    );
    let pages = u32::try_from((inbox.total.max(1) + 24) / 25).unwrap_or(u32::MAX);
    let workload = if minhbach_domain::can(&s.actor, minhbach_domain::Action::ViewWorkload, None) {
        minhbach_app::casework::workload(&st, &s).await?
    } else {
        Vec::new()
    };
    Ok(page(InboxPage {
        t: tr(&st, lang, "/staff/inbox").await.for_staff(&s.actor),
        staff_name: s.user.display_name.clone(),
        agency,
        csrf: s.token.csrf(&st.secret),
        rows: inbox.rows,
        categories: st.store.categories().await?,
        total: inbox.total,
        total_capped: inbox.total_capped,
        page: page_no,
        pages,
        order: match order {
            InboxOrder::NewestFirst => "newest",
            InboxOrder::OldestFirst => "oldest",
            InboxOrder::DueFirst => "due",
        },
        params: q.clone(),
        legal: st.legal(),
        today: st.today(),
        overseer: minhbach_domain::can(&s.actor, minhbach_domain::Action::ViewEveryAgency, None),
        may_grant_keys: minhbach_domain::can(&s.actor, minhbach_domain::Action::GrantKeys, None),
        held: minhbach_app::intake::held_reports(&st, &s)
            .await
            .map_or(0, |h| h.len()),
        agencies,
        workload,
    }))
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    t: Tr,
    staff_name: String,
    csrf: String,
    case: CaseView,
    forward_targets: Vec<Agency>,
    /// Handlers of the agency: (user id, name).
    handlers: Vec<(i64, String)>,
    identity: IdentityPanel,
    /// A decision that failed validation: what was typed and the errors, shown in its form.
    rejected: Option<(minhbach_domain::RawDecision, Vec<FieldError>)>,
    /// A loophole proposal's regulation and outcome, and whether this officer records it.
    regulation: Option<minhbach_store::RegulationRecord>,
    decides_regulation: bool,
    regulation_errors: crate::view::FieldErrors,
}

impl CasePage {
    /// What was typed into a field of the rejected decision of this kind (empty otherwise).
    fn typed(&self, kind: &str, field: &str) -> String {
        let Some((d, _)) = self.rejected.as_ref().filter(|(d, _)| d.kind == kind) else {
            return String::new();
        };
        match field {
            "track" => &d.track,
            "to_agency" => &d.to_agency,
            "reasons" => &d.reasons,
            "document_number" => &d.document_number,
            "decision_date" => &d.decision_date,
            "legal_basis" => &d.legal_basis,
            "note" => &d.note,
            "complexity" => &d.complexity,
            "finding" => &d.finding,
            "evidence" => &d.evidence,
            "delivery" => &d.delivery,
            "outcome" => &d.outcome,
            "original" => &d.original,
            "handler" => &d.handler,
            _ => "",
        }
        .to_owned()
    }

    /// The error of a field of the rejected decision of this kind.
    fn error_of(&self, kind: &str, field: &str) -> Option<String> {
        let (d, errors) = self.rejected.as_ref()?;
        (d.kind == kind)
            .then(|| errors.iter().find(|e| e.field == field))
            .flatten()
            .map(|e| self.t.get(e.code))
    }

    fn is_rejected(&self, kind: &str) -> bool {
        self.rejected.as_ref().is_some_and(|(d, _)| d.kind == kind)
    }

    fn kind_label(&self, f: &minhbach_app::evidence::FileView) -> String {
        super::files::kind_label(&self.t, f.kind)
    }

    fn size(&self, f: &minhbach_app::evidence::FileView) -> String {
        super::files::size_label(f.size)
    }

    fn removed_list(&self, f: &minhbach_app::evidence::FileView) -> String {
        f.removed
            .iter()
            .map(|r| super::files::removed_label(&self.t, *r))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The reporter's identity as the case page shows it.
#[derive(Default)]
struct IdentityPanel {
    anonymous: bool,
    /// (name, contact, address, citizen id) once released to this officer.
    disclosed: Option<(String, String, String, String)>,
    requests: Vec<RequestView>,
    may_request: bool,
    custodians: bool,
}

impl IdentityPanel {
    fn of(identity: Option<&StaffIdentity>) -> Self {
        match identity {
            None | Some(StaffIdentity::Anonymous) => IdentityPanel {
                anonymous: true,
                ..IdentityPanel::default()
            },
            Some(StaffIdentity::Sealed {
                requests,
                may_request,
                custodians,
            }) => IdentityPanel {
                requests: requests.clone(),
                may_request: *may_request,
                custodians: *custodians,
                ..IdentityPanel::default()
            },
            Some(StaffIdentity::Disclosed {
                name,
                contact,
                address,
                citizen_id,
                requests,
            }) => IdentityPanel {
                disclosed: Some((
                    name.clone(),
                    contact.clone(),
                    address.clone(),
                    citizen_id.clone(),
                )),
                requests: requests.clone(),
                ..IdentityPanel::default()
            },
        }
    }
}

impl CasePage {
    fn agency_name(&self, a: &Agency) -> String {
        if self.t.is_vi() {
            a.name_vi.clone()
        } else {
            a.name_en.clone()
        }
    }

    fn field_id(&self, kind: &str, field: &str) -> String {
        format!("{kind}-{field}")
    }

    fn is(&self, field: &str, name: &str) -> bool {
        field == name
    }

    fn is_text(&self, field: &str) -> bool {
        matches!(field, "reasons" | "note" | "evidence" | "delivery")
    }

    fn tracks(&self) -> Vec<&'static str> {
        minhbach_domain::Track::ALL
            .iter()
            .map(|t| t.code())
            .collect()
    }

    fn choices(&self, field: &str) -> Vec<&'static str> {
        use minhbach_domain::workflow::{Complexity, Finding, Outcome};
        match field {
            "complexity" => Complexity::ALL.iter().map(|c| c.code()).collect(),
            "finding" => Finding::ALL.iter().map(|c| c.code()).collect(),
            "outcome" => Outcome::ALL.iter().map(|c| c.code()).collect(),
            _ => Vec::new(),
        }
    }
}

pub(super) async fn staff_case(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    Path(reference): Path<String>,
) -> AppResult<Response> {
    Ok(page(case_page(&st, lang, &s, &reference, None).await?))
}

async fn case_page(
    st: &AppState,
    lang: Lang,
    s: &minhbach_app::sessions::StaffSession,
    reference: &str,
    rejected: Option<(minhbach_domain::RawDecision, Vec<FieldError>)>,
) -> AppResult<CasePage> {
    case_page_with(st, lang, s, reference, rejected, Vec::new()).await
}

async fn case_page_with(
    st: &AppState,
    lang: Lang,
    s: &minhbach_app::sessions::StaffSession,
    reference: &str,
    rejected: Option<(minhbach_domain::RawDecision, Vec<FieldError>)>,
    regulation_errors: Vec<FieldError>,
) -> AppResult<CasePage> {
    let case = minhbach_app::casework::staff_case_view(st, s, reference).await?;
    let forward_targets = st
        .store
        .agencies()
        .await?
        .into_iter()
        .filter(|a| a.id.0 != case.agency.id)
        .collect();
    let handlers = st
        .store
        .staff_of(minhbach_domain::AgencyId(case.agency.id))
        .await?
        .into_iter()
        .filter(|u| u.role.takes_assignments())
        .map(|u| (u.id.0, u.display_name))
        .collect();
    let regulation = minhbach_app::regulations::of_case(st, s, reference).await?;
    let decides_regulation = regulation.as_ref().is_some_and(|r| r.outcome.is_none())
        && st
            .store
            .case_by_reference(reference)
            .await?
            .is_some_and(|c| {
                minhbach_domain::can(
                    &s.actor,
                    minhbach_domain::Action::DecideRegulation,
                    Some(&c.facts()),
                )
            });
    let t = tr(st, lang, &format!("/staff/cases/{reference}"))
        .await
        .for_staff(&s.actor);
    let regulation_errors = crate::view::FieldErrors::new(&t, &regulation_errors);
    Ok(CasePage {
        t,
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        identity: IdentityPanel::of(case.identity.as_ref()),
        case,
        forward_targets,
        handlers,
        rejected,
        regulation,
        decides_regulation,
        regulation_errors,
    })
}

#[derive(Deserialize)]
pub(super) struct RegulationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    explanation: String,
}

impl HasCsrf for RegulationForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The lead records what the agency did with a loophole proposal's regulation.
pub(super) async fn staff_regulation(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Path(reference): Path<String>,
    Csrf(Staff(s, _), form): Csrf<Staff, RegulationForm>,
) -> AppResult<Response> {
    match minhbach_app::regulations::record_outcome(
        &st,
        &s,
        &reference,
        &form.outcome,
        &form.explanation,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/staff/cases/{reference}#regulation")).into_response()),
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            let mut r = page(case_page_with(&st, lang, &s, &reference, None, fields).await?);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct DisclosureForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    justification: String,
    #[serde(default)]
    legal_basis: String,
}

impl HasCsrf for DisclosureForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn staff_disclosure(
    State(st): State<AppState>,
    Path(reference): Path<String>,
    Csrf(Staff(s, _), form): Csrf<Staff, DisclosureForm>,
) -> AppResult<Response> {
    minhbach_app::identity::request_disclosure(
        &st,
        &s,
        &reference,
        &form.justification,
        &form.legal_basis,
    )
    .await?;
    Ok(Redirect::to(&format!("/staff/cases/{reference}#identity")).into_response())
}

#[derive(Template)]
#[template(path = "custodian.html")]
struct CustodianPage {
    t: Tr,
    staff_name: String,
    csrf: String,
    requests: Vec<minhbach_app::identity::CustodianRequest>,
}

pub(super) async fn custodian_page(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
) -> AppResult<Response> {
    let requests = minhbach_app::identity::custodian_requests(&st, &s).await?;
    Ok(page(CustodianPage {
        t: tr(&st, lang, "/staff/custodian").await.for_staff(&s.actor),
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        requests,
    }))
}

#[derive(Deserialize)]
pub(super) struct CustodianForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    endangers: String,
}

impl HasCsrf for CustodianForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn custodian_decide(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(Staff(s, _), form): Csrf<Staff, CustodianForm>,
) -> AppResult<Response> {
    let answer = minhbach_app::identity::Answer::parse(
        &form.decision,
        &form.reasons,
        matches!(form.endangers.as_str(), "yes" | "on"),
    )?;
    minhbach_app::identity::decide(&st, &s, id, &answer).await?;
    Ok(Redirect::to(&format!("/staff/custodian#request-{id}")).into_response())
}

#[derive(Deserialize)]
pub(super) struct AccusedForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    accused: String,
}

impl HasCsrf for AccusedForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn staff_mark_accused(
    State(st): State<AppState>,
    Path(reference): Path<String>,
    Csrf(Staff(s, _), form): Csrf<Staff, AccusedForm>,
) -> AppResult<Response> {
    minhbach_app::conflicts::mark_accused(&st, &s, &reference, &form.accused).await?;
    // Marking one's own lead withdraws one's key too: the inbox is the page that still opens.
    Ok(Redirect::to("/staff/inbox").into_response())
}

#[derive(Deserialize)]
pub(super) struct HoldForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    hold: String,
}

impl HasCsrf for HoldForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The agency's lead places or lifts a legal hold (the content outlives its retention period).
pub(super) async fn staff_hold(
    State(st): State<AppState>,
    Path(reference): Path<String>,
    Csrf(Staff(s, _), form): Csrf<Staff, HoldForm>,
) -> AppResult<Response> {
    minhbach_app::retention::legal_hold(&st, &s, &reference, form.hold == "yes").await?;
    Ok(Redirect::to(&format!("/staff/cases/{reference}#hold")).into_response())
}

pub(super) async fn staff_recuse(
    State(st): State<AppState>,
    Path(reference): Path<String>,
    Csrf(Staff(s, _), _form): Csrf<Staff, CsrfOnly>,
) -> AppResult<Response> {
    minhbach_app::conflicts::recuse(&st, &s, &reference).await?;
    Ok(Redirect::to("/staff/inbox").into_response())
}

pub(super) async fn staff_grant_keys(
    State(st): State<AppState>,
    Csrf(Staff(s, _), _form): Csrf<Staff, CsrfOnly>,
) -> AppResult<Response> {
    minhbach_app::access::grant_open_cases(&st, &s).await?;
    Ok(Redirect::to("/staff/inbox").into_response())
}

pub(super) async fn staff_message(
    State(st): State<AppState>,
    Path(reference): Path<String>,
    Csrf(Staff(s, _), form): Csrf<Staff, MessageForm>,
) -> AppResult<Response> {
    minhbach_app::casework::staff_reply(&st, &s, &reference, &form.body).await?;
    Ok(Redirect::to(&format!("/staff/cases/{reference}#messages")).into_response())
}

#[derive(Deserialize)]
pub(super) struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    decision: minhbach_domain::RawDecision,
}

impl HasCsrf for DecisionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn staff_decision(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Path(reference): Path<String>,
    Csrf(Staff(s, _), form): Csrf<Staff, DecisionForm>,
) -> AppResult<Response> {
    match minhbach_app::casework::staff_transition(&st, &s, &reference, &form.decision).await {
        Ok(_) => {}
        // The form again, with what was typed and each error beside its field.
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            let p = case_page(&st, lang, &s, &reference, Some((form.decision, fields))).await?;
            let mut r = page(p);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    }
    // After forwarding, the case has left this agency: back to the inbox.
    let to = if form.decision.kind == "forward" {
        "/staff/inbox".to_owned()
    } else {
        format!("/staff/cases/{reference}")
    };
    Ok(Redirect::to(&to).into_response())
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    t: Tr,
    staff_name: String,
    csrf: String,
    items: Vec<minhbach_store::Notification>,
}

/// In-app notifications: what needs attention on which case (never content).
pub(super) async fn staff_notifications(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
) -> AppResult<Response> {
    let items = st.store.notifications_for(s.user.id, 100).await?;
    Ok(page(NotificationsPage {
        t: tr(&st, lang, "/staff/notifications")
            .await
            .for_staff(&s.actor),
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        items,
    }))
}

pub(super) async fn staff_notification_read(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(Staff(s, _), _): Csrf<Staff, CsrfOnly>,
) -> AppResult<Response> {
    st.store.mark_read(s.user.id, id, st.now()).await?;
    Ok(Redirect::to("/staff/notifications").into_response())
}

#[derive(Template)]
#[template(path = "protection.html")]
struct ProtectionPage {
    t: Tr,
    staff_name: String,
    csrf: String,
    cases: Vec<minhbach_app::protection::ProtectionView>,
    /// Reports whose reporter used the decoy code: (reference, when).
    pressure: Vec<(String, i64)>,
    steps: Vec<&'static str>,
    measure_kinds: Vec<&'static str>,
}

pub(super) async fn protection_page(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
) -> AppResult<Response> {
    use minhbach_domain::protection::{MeasureKind, ProtectionStep};
    let cases = minhbach_app::protection::officer_list(&st, &s).await?;
    let pressure = minhbach_app::protection::under_pressure(&st, &s).await?;
    Ok(page(ProtectionPage {
        pressure,
        t: tr(&st, lang, "/staff/protection").await.for_staff(&s.actor),
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        cases,
        steps: ProtectionStep::ALL
            .into_iter()
            .filter(|s| *s != ProtectionStep::Reassess)
            .map(ProtectionStep::code)
            .collect(),
        measure_kinds: MeasureKind::ALL
            .into_iter()
            .map(MeasureKind::code)
            .collect(),
    }))
}

#[derive(Deserialize)]
pub(super) struct ProtectionStepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    m1_kind: String,
    #[serde(default)]
    m1_carried_by: String,
    #[serde(default)]
    m1_starts_on: String,
    #[serde(default)]
    m1_review_on: String,
    #[serde(default)]
    m1_ends_on: String,
    #[serde(default)]
    m2_kind: String,
    #[serde(default)]
    m2_carried_by: String,
    #[serde(default)]
    m2_starts_on: String,
    #[serde(default)]
    m2_review_on: String,
    #[serde(default)]
    m2_ends_on: String,
}

impl HasCsrf for ProtectionStepForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn protection_step(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(Staff(s, _), f): Csrf<Staff, ProtectionStepForm>,
) -> AppResult<Response> {
    use minhbach_app::protection::{RawMeasure, StepInput};
    let measures = [
        RawMeasure {
            kind: f.m1_kind,
            carried_by: f.m1_carried_by,
            starts_on: f.m1_starts_on,
            review_on: f.m1_review_on,
            ends_on: f.m1_ends_on,
        },
        RawMeasure {
            kind: f.m2_kind,
            carried_by: f.m2_carried_by,
            starts_on: f.m2_starts_on,
            review_on: f.m2_review_on,
            ends_on: f.m2_ends_on,
        },
    ];
    let input = StepInput {
        step: &f.step,
        reasons: &f.reasons,
        measures: &measures,
    };
    minhbach_app::protection::decide(&st, &s, id, &input).await?;
    Ok(Redirect::to(&format!("/staff/protection#protection-{id}")).into_response())
}

#[derive(Deserialize)]
pub(super) struct RiskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    works_under_accused: String,
    #[serde(default)]
    threatened: String,
    #[serde(default)]
    identifiable: String,
}

impl HasCsrf for RiskForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn staff_risk(
    State(st): State<AppState>,
    Path(reference): Path<String>,
    Csrf(Staff(s, _), f): Csrf<Staff, RiskForm>,
) -> AppResult<Response> {
    let screen = minhbach_domain::RiskScreen {
        works_under_accused: f.works_under_accused == "yes",
        threatened: f.threatened == "yes",
        identifiable: f.identifiable == "yes",
    };
    minhbach_app::protection::screen_risk(&st, &s, &reference, screen).await?;
    Ok(Redirect::to(&format!("/staff/cases/{reference}#protection")).into_response())
}

#[derive(Template)]
#[template(path = "exclusions.html")]
struct ExclusionsPage {
    t: Tr,
    staff_name: String,
    csrf: String,
    items: Vec<minhbach_store::ChainExclusion>,
    agencies: Vec<Agency>,
}

impl ExclusionsPage {
    fn agency_name(&self, id: i64) -> String {
        self.agencies
            .iter()
            .find(|a| a.id.0 == id)
            .map(|a| {
                if self.t.is_vi() {
                    a.name_vi.clone()
                } else {
                    a.name_en.clone()
                }
            })
            .unwrap_or_default()
    }
}

/// A superior body's lead: the chain-of-command exclusions of its subordinate agencies.
pub(super) async fn exclusions_page(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
) -> AppResult<Response> {
    let items = minhbach_app::conflicts::chain_exclusions(&st, &s).await?;
    Ok(page(ExclusionsPage {
        t: tr(&st, lang, "/staff/exclusions").await.for_staff(&s.actor),
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        items,
        agencies: st.store.agencies().await?,
    }))
}

#[derive(Deserialize)]
pub(super) struct ReasonsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reasons: String,
}

impl HasCsrf for ReasonsForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn exclusion_lift(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(Staff(s, _), f): Csrf<Staff, ReasonsForm>,
) -> AppResult<Response> {
    minhbach_app::conflicts::override_chain(&st, &s, id, &f.reasons).await?;
    Ok(Redirect::to("/staff/exclusions").into_response())
}

#[derive(Template)]
#[template(path = "held.html")]
struct HeldPage {
    t: Tr,
    staff_name: String,
    csrf: String,
    items: Vec<minhbach_app::intake::HeldReport>,
    categories: Vec<Category>,
}

impl HeldPage {
    fn category_name(&self, code: &str) -> String {
        category_name(&self.categories, &self.t, code)
    }
}

/// The intake desk: reports held for review because they arrived in a burst.
pub(super) async fn held_page(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
) -> AppResult<Response> {
    let items = minhbach_app::intake::held_reports(&st, &s).await?;
    Ok(page(HeldPage {
        t: tr(&st, lang, "/staff/held").await.for_staff(&s.actor),
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        items,
        categories: st.store.categories().await?,
    }))
}

pub(super) async fn held_release(
    State(st): State<AppState>,
    Path(reference): Path<String>,
    Csrf(Staff(s, _), _f): Csrf<Staff, CsrfOnly>,
) -> AppResult<Response> {
    minhbach_app::intake::release_held(&st, &s, &reference).await?;
    Ok(Redirect::to("/staff/held").into_response())
}

#[derive(Template)]
#[template(path = "oversee_case.html")]
struct OverseeCasePage {
    t: Tr,
    staff_name: String,
    csrf: String,
    case: CaseView,
}

/// An overseer's view of any case: metadata, clocks and history, never content.
pub(super) async fn oversee_case(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    Path(reference): Path<String>,
) -> AppResult<Response> {
    let case = minhbach_app::casework::overseer_case_view(&st, &s, &reference).await?;
    Ok(page(OverseeCasePage {
        t: tr(&st, lang, &format!("/oversee/cases/{}", case.reference))
            .await
            .for_staff(&s.actor),
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        case,
    }))
}
