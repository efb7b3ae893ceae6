//! Server-rendered pages. Every reporter page is a plain HTML form: nothing needs JavaScript.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minhbach_domain::{Channel, DomainError, FieldError, RawReport};
use minhbach_store::{Agency, Category, InboxOrder, InboxRow};
use serde::Deserialize;

use crate::auth::{
    reporter_cookie, session_cookie, staff_cookie, Csrf, HasCsrf, LegalDataManager, Reporter,
    Staff, WebForm,
};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::security::{check_form_token, issue_form_token, SessionToken};
use crate::service;
use crate::view::{page, AgencyName, CaseView, ReaderLang, Tr, LANG_COOKIE};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/lang/{code}", get(set_lang))
        .route("/static/style.css", get(stylesheet))
        // Browsers ask for it on every page; there is no icon, and no reason to log a 404.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/report", get(report_form).post(report_submit))
        .route("/status", get(status_login).post(status_open))
        .route("/status/case", get(status_case))
        .route("/status/case/messages", post(status_message))
        .route("/status/logout", post(status_logout))
        .route("/staff", get(|| async { Redirect::to("/staff/inbox") }))
        .route("/staff/login", get(staff_login_page).post(staff_login))
        .route("/staff/logout", post(staff_logout))
        .route("/staff/inbox", get(staff_inbox))
        .route("/staff/cases/{reference}", get(staff_case))
        .route("/staff/cases/{reference}/messages", post(staff_message))
        .route("/staff/cases/{reference}/decision", post(staff_decision))
        .route("/staff/notifications", get(staff_notifications))
        .route(
            "/staff/notifications/{id}/read",
            post(staff_notification_read),
        )
        .route("/admin/legal", get(admin_legal))
        .route("/admin/legal/calendar", post(admin_calendar))
        .route("/admin/legal/rules", post(admin_rules))
}

async fn tr(st: &AppState, lang: Lang, path: &str) -> Tr {
    Tr::for_page(st, lang, path).await
}

const FORM_REPORT: &str = "report";
const FORM_STATUS: &str = "status";
const FORM_LOGIN: &str = "login";

fn form_token(st: &AppState, purpose: &str) -> String {
    issue_form_token(&st.secret, purpose, st.now())
}

fn check_token(st: &AppState, purpose: &str, token: &str) -> AppResult<Vec<u8>> {
    check_form_token(
        &st.secret,
        purpose,
        token,
        st.now(),
        st.config.form_token_hours * 3600,
    )
}

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing {
    t: Tr,
}

async fn landing(State(st): State<AppState>, ReaderLang(lang): ReaderLang) -> Response {
    page(Landing {
        t: tr(&st, lang, "/").await,
    })
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Remembers the chosen language in a cookie and returns to the page the reader was on.
async fn set_lang(Path(code): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let lang = Lang::from_code(&code).unwrap_or(Lang::Vi);
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    let mut r = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/style.css"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "report_form.html")]
struct ReportFormPage {
    t: Tr,
    token: String,
    categories: Vec<Category>,
    agencies: Vec<Agency>,
    values: RawReport,
    errors: Vec<FieldError>,
    notice: Option<String>,
}

impl ReportFormPage {
    fn error_for(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| self.t.get(e.code))
    }

    fn category_name(&self, c: &Category) -> String {
        if self.t.is_vi() {
            c.name_vi.clone()
        } else {
            c.name_en.clone()
        }
    }

    fn agency_name(&self, a: &Agency) -> String {
        if self.t.is_vi() {
            a.name_vi.clone()
        } else {
            a.name_en.clone()
        }
    }

    fn agency_selected(&self, a: &Agency) -> bool {
        self.values.agency.trim() == a.id.to_string()
    }

    fn confidential(&self) -> bool {
        self.values.identity == "confidential"
    }
}

async fn report_page(
    st: &AppState,
    lang: Lang,
    values: RawReport,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> AppResult<ReportFormPage> {
    Ok(ReportFormPage {
        t: tr(st, lang, "/report").await,
        token: form_token(st, FORM_REPORT),
        categories: st.store.categories().await?,
        agencies: st.store.agencies().await?,
        values,
        errors,
        notice,
    })
}

async fn report_form(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
) -> AppResult<Response> {
    service::organisation(&st).await?;
    Ok(page(
        report_page(&st, lang, RawReport::default(), Vec::new(), None).await?,
    ))
}

#[derive(Deserialize)]
struct ReportForm {
    #[serde(default)]
    token: String,
    #[serde(flatten)]
    report: RawReport,
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    t: Tr,
    reference: String,
    receipt: String,
}

/// Records the report and shows the receipt, once. A form problem shows the form again with
/// everything the reporter typed, so nothing is lost.
async fn report_submit(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    WebForm(form): WebForm<ReportForm>,
) -> AppResult<Response> {
    let again = |errors, notice, status| {
        let st = st.clone();
        let values = form.report.clone();
        async move {
            let mut r = page(report_page(&st, lang, values, errors, notice).await?);
            *r.status_mut() = status;
            Ok::<_, AppError>(r)
        }
    };
    let nonce = match check_token(&st, FORM_REPORT, &form.token) {
        Ok(n) => n,
        Err(_) => {
            return again(
                Vec::new(),
                Some(st.i18n.text(lang, "error-csrf-form", None)),
                StatusCode::FORBIDDEN,
            )
            .await
        }
    };
    let demo = service::organisation(&st).await?.demo;
    match service::submit_report(&st, form.report.clone(), Channel::Web, Some(nonce), demo).await {
        Ok(done) => Ok(page(ReceiptPage {
            t: tr(&st, lang, "/report").await,
            reference: done.reference,
            receipt: done.receipt.expose(),
        })),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            again(errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        // Storage full or database busy: nothing recorded, no receipt; the text stays with the
        // reporter to send again.
        Err(e) if e.is_unavailable() => {
            let key = match e {
                AppError::Store(minhbach_store::StoreError::Full) => "error-storage-full-form",
                _ => "error-busy",
            };
            let mut r = again(
                Vec::new(),
                Some(st.i18n.text(lang, key, None)),
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await?;
            if let Some(seconds) = e.retry_after() {
                r.headers_mut().insert(header::RETRY_AFTER, seconds.into());
            }
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "status_login.html")]
struct StatusLogin {
    t: Tr,
    token: String,
}

async fn status_login(State(st): State<AppState>, ReaderLang(lang): ReaderLang) -> Response {
    page(StatusLogin {
        t: tr(&st, lang, "/status").await,
        token: form_token(&st, FORM_STATUS),
    })
}

#[derive(Deserialize)]
struct ReceiptForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    receipt: String,
}

fn with_cookie(mut r: Response, value: String) -> Response {
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn status_open(
    State(st): State<AppState>,
    WebForm(form): WebForm<ReceiptForm>,
) -> AppResult<Response> {
    check_token(&st, FORM_STATUS, &form.token)?;
    let token = service::reporter_login(&st, &form.receipt).await?;
    let secure = st.config.secure_cookies;
    let cookie = session_cookie(
        reporter_cookie(secure),
        &token.encode(),
        secure,
        st.config.reporter_session_minutes * 60,
    );
    Ok(with_cookie(
        Redirect::to("/status/case").into_response(),
        cookie,
    ))
}

#[derive(Template)]
#[template(path = "status_case.html")]
struct StatusCase {
    t: Tr,
    case: CaseView,
    csrf: String,
    /// A message that could not be sent, shown again in the box.
    draft: String,
    notice: Option<String>,
}

async fn status_case(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Reporter(s, _): Reporter,
) -> AppResult<Response> {
    let case = service::reporter_view(&st, &s).await?;
    Ok(page(StatusCase {
        t: tr(&st, lang, "/status/case").await,
        case,
        csrf: s.token.csrf(&st.secret),
        draft: String::new(),
        notice: None,
    }))
}

#[derive(Deserialize)]
struct MessageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

impl HasCsrf for MessageForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

impl HasCsrf for CsrfOnly {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn status_message(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Csrf(Reporter(s, _), form): Csrf<Reporter, MessageForm>,
) -> AppResult<Response> {
    match service::reporter_message(&st, &s, &form.body).await {
        Ok(()) => Ok(Redirect::to("/status/case#messages").into_response()),
        // Storage full or database busy: the case page again, with the message in its box.
        Err(e) if e.is_unavailable() => {
            let key = match e {
                AppError::Store(minhbach_store::StoreError::Full) => "error-storage-full-message",
                _ => "error-busy",
            };
            let mut r = page(StatusCase {
                t: tr(&st, lang, "/status/case").await,
                case: service::reporter_view(&st, &s).await?,
                csrf: s.token.csrf(&st.secret),
                draft: form.body,
                notice: Some(st.i18n.text(lang, key, None)),
            });
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            if let Some(seconds) = e.retry_after() {
                r.headers_mut().insert(header::RETRY_AFTER, seconds.into());
            }
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

fn signed_out(st: &AppState, name: &str) -> Response {
    with_cookie(
        Redirect::to("/").into_response(),
        session_cookie(name, "", st.config.secure_cookies, 0),
    )
}

async fn status_logout(
    State(st): State<AppState>,
    Csrf(Reporter(s, _), _): Csrf<Reporter, CsrfOnly>,
) -> AppResult<Response> {
    service::logout(&st, &s.token).await?;
    Ok(signed_out(&st, reporter_cookie(st.config.secure_cookies)))
}

#[derive(Template)]
#[template(path = "staff_login.html")]
struct StaffLogin {
    t: Tr,
    token: String,
    /// On a demo organisation only: the demo accounts' current code.
    demo_code: Option<String>,
}

async fn staff_login_page(State(st): State<AppState>, ReaderLang(lang): ReaderLang) -> Response {
    let t = tr(&st, lang, "/staff/login").await;
    let demo_code = t.demo.then(|| crate::demo::demo_code(st.now()));
    page(StaffLogin {
        t,
        token: form_token(&st, FORM_LOGIN),
        demo_code,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

async fn staff_login(
    State(st): State<AppState>,
    WebForm(form): WebForm<LoginForm>,
) -> AppResult<Response> {
    check_token(&st, FORM_LOGIN, &form.token)?;
    let token: SessionToken =
        service::staff_login(&st, &form.username, &form.password, &form.code).await?;
    // The first page the policy lets this person see.
    let actor = st
        .store
        .user_by_username(form.username.trim())
        .await?
        .map(|u| u.actor());
    let home = [
        (minhbach_domain::Action::ViewInbox, "/staff/inbox"),
        (minhbach_domain::Action::ManageLegalData, "/admin/legal"),
    ]
    .into_iter()
    .find(|(action, _)| {
        actor
            .as_ref()
            .is_some_and(|a| minhbach_domain::can(a, *action, None))
    })
    .map_or("/staff/inbox", |(_, page)| page);
    let secure = st.config.secure_cookies;
    let cookie = session_cookie(
        staff_cookie(secure),
        &token.encode(),
        secure,
        st.config.staff_session_minutes * 60,
    );
    Ok(with_cookie(Redirect::to(home).into_response(), cookie))
}

async fn staff_logout(
    State(st): State<AppState>,
    Csrf(Staff(s, _), _): Csrf<Staff, CsrfOnly>,
) -> AppResult<Response> {
    service::logout(&st, &s.token).await?;
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
    params: service::InboxParams,
    legal: std::sync::Arc<minhbach_app::legal::Legal>,
    today: time::Date,
    /// Overseers see every agency's metadata and cannot open cases.
    overseer: bool,
    agencies: Vec<Agency>,
}

impl InboxPage {
    fn category_name(&self, code: &str) -> String {
        self.categories.iter().find(|c| c.code == code).map_or_else(
            || code.to_owned(),
            |c| {
                if self.t.is_vi() {
                    c.name_vi.clone()
                } else {
                    c.name_en.clone()
                }
            },
        )
    }

    fn agency_of(&self, id: &minhbach_domain::AgencyId) -> String {
        AgencyName::find(&self.agencies, *id).name(&self.t)
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
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                let safe: String = v
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                parts.push(format!("{k}={safe}"));
            }
        }
        parts.join("&")
    }
}

async fn staff_inbox(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    Query(q): Query<service::InboxParams>,
) -> AppResult<Response> {
    let order = q.order();
    let page_no = q.page();
    let inbox = service::inbox(&st, &s, order, q.filter(st.today()), page_no).await?;
    let agencies = st.store.agencies().await?;
    let agency = AgencyName::find(
        &agencies,
        s.actor.agency.unwrap_or(minhbach_domain::AgencyId(0)),
    );
    let pages = u32::try_from((inbox.total.max(1) + 24) / 25).unwrap_or(u32::MAX);
    Ok(page(InboxPage {
        t: tr(&st, lang, "/staff/inbox").await,
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
        agencies,
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

async fn staff_case(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    Path(reference): Path<String>,
) -> AppResult<Response> {
    let case = service::staff_case_view(&st, &s, &reference).await?;
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
    Ok(page(CasePage {
        t: tr(&st, lang, &format!("/staff/cases/{reference}")).await,
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        case,
        forward_targets,
        handlers,
    }))
}

async fn staff_message(
    State(st): State<AppState>,
    Path(reference): Path<String>,
    Csrf(Staff(s, _), form): Csrf<Staff, MessageForm>,
) -> AppResult<Response> {
    service::staff_reply(&st, &s, &reference, &form.body).await?;
    Ok(Redirect::to(&format!("/staff/cases/{reference}#messages")).into_response())
}

#[derive(Deserialize)]
struct DecisionForm {
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

async fn staff_decision(
    State(st): State<AppState>,
    Path(reference): Path<String>,
    Csrf(Staff(s, _), form): Csrf<Staff, DecisionForm>,
) -> AppResult<Response> {
    service::staff_transition(&st, &s, &reference, &form.decision).await?;
    // After forwarding, the case has left this agency: back to the inbox.
    let to = if form.decision.kind == "forward" {
        "/staff/inbox".to_owned()
    } else {
        format!("/staff/cases/{reference}")
    };
    Ok(Redirect::to(&to).into_response())
}

#[derive(Template)]
#[template(path = "admin_legal.html")]
struct AdminLegal {
    t: Tr,
    staff_name: String,
    csrf: String,
    years: Vec<(i64, String)>,
    rule_sets: Vec<(String, String)>,
    error: Option<String>,
    new_calendar: String,
    new_rules: String,
}

async fn admin_page(
    st: &AppState,
    lang: Lang,
    s: &service::StaffSession,
    error: Option<String>,
    new_calendar: String,
    new_rules: String,
) -> AppResult<AdminLegal> {
    let docs = st.store.legal_documents().await?;
    Ok(AdminLegal {
        t: tr(st, lang, "/admin/legal").await,
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        years: docs.calendar_years,
        rule_sets: docs.rule_sets,
        error,
        new_calendar,
        new_rules,
    })
}

async fn admin_legal(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    LegalDataManager(s, _): LegalDataManager,
) -> AppResult<Response> {
    Ok(page(
        admin_page(&st, lang, &s, None, String::new(), String::new()).await?,
    ))
}

#[derive(Deserialize)]
struct DocumentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    document: String,
}

impl HasCsrf for DocumentForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Saves a legal document, or shows the page again with the error and the text kept.
async fn save_legal(
    st: &AppState,
    lang: Lang,
    s: &service::StaffSession,
    document: &str,
    calendar: bool,
) -> AppResult<Response> {
    let actor = format!("user:{}", s.user.id.0);
    let saved = if calendar {
        minhbach_app::legal::import_calendar_year(st.store.as_ref(), document, &actor, st.now())
            .await
            .map(|_| ())
    } else {
        minhbach_app::legal::import_rule_set(st.store.as_ref(), document, &actor, st.now())
            .await
            .map(|_| ())
    };
    match saved {
        Ok(()) => {
            st.load_legal().await?;
            Ok(Redirect::to("/admin/legal").into_response())
        }
        Err(minhbach_app::Error::InvalidDocument(message)) => {
            let (cal, rules) = if calendar {
                (document.to_owned(), String::new())
            } else {
                (String::new(), document.to_owned())
            };
            let mut r = page(admin_page(st, lang, s, Some(message), cal, rules).await?);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

async fn admin_calendar(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Csrf(LegalDataManager(s, _), form): Csrf<LegalDataManager, DocumentForm>,
) -> AppResult<Response> {
    save_legal(&st, lang, &s, &form.document, true).await
}

async fn admin_rules(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Csrf(LegalDataManager(s, _), form): Csrf<LegalDataManager, DocumentForm>,
) -> AppResult<Response> {
    save_legal(&st, lang, &s, &form.document, false).await
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
async fn staff_notifications(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
) -> AppResult<Response> {
    let items = st.store.notifications_for(s.user.id, 100).await?;
    Ok(page(NotificationsPage {
        t: tr(&st, lang, "/staff/notifications").await,
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        items,
    }))
}

async fn staff_notification_read(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(Staff(s, _), _): Csrf<Staff, CsrfOnly>,
) -> AppResult<Response> {
    st.store.mark_read(s.user.id, id, st.now()).await?;
    Ok(Redirect::to("/staff/notifications").into_response())
}
