//! Server-rendered pages. Every reporter page is a plain HTML form: nothing needs JavaScript.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::handler::Handler;
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
use crate::security::{check_form_token, issue_form_token, CsrfToken};
use crate::view::{page, AgencyName, CaseView, ReaderLang, Tr, LANG_COOKIE};
use crate::AppState;
use minhbach_app::sessions::SessionToken;

mod account;
mod admin;
mod auditor;
pub(crate) mod figures;
mod files;
mod partner;
mod register;
mod reporter;
mod reviews;
mod staff;

/// The pages. `upload_limit` is the largest body of a form that carries evidence files.
pub fn routes(upload_limit: usize) -> Router<AppState> {
    let uploads = || axum::extract::DefaultBodyLimit::max(upload_limit);
    Router::new()
        .route("/", get(landing))
        .route("/lang/{code}", get(set_lang))
        .route("/static/style.css", get(stylesheet))
        // Browsers ask for it on every page; there is no icon, and no reason to log a 404.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route(
            "/report",
            get(reporter::report_form).post(reporter::report_submit.layer(uploads())),
        )
        .route("/report/receipt", get(reporter::receipt_page))
        .route("/report/receipt/done", post(reporter::receipt_done))
        .route(
            "/status",
            get(reporter::status_login).post(reporter::status_open),
        )
        .route(
            "/retaliation",
            get(reporter::retaliation_page).post(reporter::retaliation_submit),
        )
        .route("/status/case", get(reporter::status_case))
        .route(
            "/status/case/messages",
            post(reporter::status_message.layer(uploads())),
        )
        .route("/status/case/protection", post(reporter::status_protection))
        .route("/status/case/checkin", post(reporter::status_checkin))
        .route("/status/case/escalate", post(reporter::status_escalate))
        .route("/status/case/outcome", post(reporter::status_outcome))
        .route("/status/case/review", post(reporter::status_review))
        .route("/status/case/identity", post(reporter::status_identity))
        .route(
            "/status/case/retaliation",
            post(reporter::status_retaliation),
        )
        .route("/status/logout", post(reporter::status_logout))
        .route("/staff", get(|| async { Redirect::to("/staff/inbox") }))
        .route(
            "/staff/login",
            get(staff::staff_login_page).post(staff::staff_login),
        )
        .route("/staff/logout", post(staff::staff_logout))
        .route(
            "/staff/setup",
            get(account::setup).post(account::setup_submit),
        )
        .route("/staff/account", get(account::account))
        .route("/staff/account/password", post(account::change_password))
        .route(
            "/staff/account/sign-out-everywhere",
            post(account::sign_out_everywhere),
        )
        .route("/admin", get(|| async { Redirect::to("/admin/users") }))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/{id}/{action}", post(admin::user_action))
        .route(
            "/admin/agencies",
            get(admin::agencies).post(admin::create_agency),
        )
        .route(
            "/admin/agencies/{id}/superior",
            post(admin::agency_superior),
        )
        .route(
            "/admin/categories",
            get(admin::categories).post(admin::save_category),
        )
        .route(
            "/admin/categories/{code}/questionnaire",
            post(admin::save_questionnaire),
        )
        .route("/staff/inbox", get(staff::staff_inbox))
        .route(
            "/staff/register",
            get(register::register_form).post(register::register_submit),
        )
        .route("/staff/register/slip", get(register::slip))
        .route("/staff/register/slip.pdf", get(register::slip_pdf))
        .route("/partner/cases", get(partner::cases))
        .route("/partner/cases/{reference}", get(partner::case))
        .route("/staff/register/slip/done", post(register::slip_done))
        .route("/staff/cases/{reference}", get(staff::staff_case))
        .route(
            "/staff/cases/{reference}/files/{id}",
            get(files::staff_file),
        )
        .route(
            "/staff/cases/{reference}/messages",
            post(staff::staff_message),
        )
        .route(
            "/staff/cases/{reference}/decision",
            post(staff::staff_decision),
        )
        .route(
            "/staff/cases/{reference}/accused",
            post(staff::staff_mark_accused),
        )
        .route("/staff/cases/{reference}/recuse", post(staff::staff_recuse))
        .route(
            "/staff/cases/{reference}/regulation",
            post(staff::staff_regulation),
        )
        .route("/regulations", get(figures::regulations))
        .route("/staff/re-reviews", get(reviews::list))
        .route("/staff/re-reviews/{reference}", post(reviews::decide))
        .route("/staff/cases/{reference}/hold", post(staff::staff_hold))
        .route("/staff/keys/grant", post(staff::staff_grant_keys))
        .route(
            "/staff/cases/{reference}/disclosure",
            post(staff::staff_disclosure),
        )
        .route("/staff/custodian", get(staff::custodian_page))
        .route("/staff/protection", get(staff::protection_page))
        .route("/staff/exclusions", get(staff::exclusions_page))
        .route("/staff/held", get(staff::held_page))
        .route("/staff/held/{reference}", post(staff::held_release))
        .route("/staff/exclusions/{id}", post(staff::exclusion_lift))
        .route("/staff/protection/{id}/step", post(staff::protection_step))
        .route("/staff/cases/{reference}/risk", post(staff::staff_risk))
        .route(
            "/staff/custodian/requests/{id}",
            post(staff::custodian_decide),
        )
        .route("/staff/notifications", get(staff::staff_notifications))
        .route(
            "/staff/notifications/{id}/read",
            post(staff::staff_notification_read),
        )
        .route("/oversee/cases/{reference}", get(staff::oversee_case))
        .route("/figures", get(figures::public))
        .route("/open-data/{file}", get(figures::open_data))
        .route("/staff/figures", get(figures::dashboard))
        .route("/staff/figures/cases", get(figures::cases))
        .route("/staff/figures/signals", get(figures::signals))
        .route("/staff/figures/report.xlsx", get(figures::report_xlsx))
        .route("/staff/figures/report.pdf", get(figures::report_pdf))
        .route("/audit", get(auditor::audit_log))
        .route("/audit/export.csv", get(auditor::audit_export))
        .route("/admin/legal", get(admin::admin_legal))
        .route("/admin/legal/calendar", post(admin::admin_calendar))
        .route("/admin/legal/rules", post(admin::admin_rules))
}

async fn tr(st: &AppState, lang: Lang, path: &str) -> Tr {
    Tr::for_page(st, lang, path).await
}

const FORM_REPORT: &str = "report";
pub(crate) const FORM_STATUS: &str = "status";
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

/// The cookie that binds a sign-in form to the browser it was given to.
fn binding_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-mb-form"
    } else {
        "mb-form"
    }
}

/// A sign-in form (staff login, receipt) whose token is bound to a cookie of this browser, with
/// the `Set-Cookie` to send when the browser has none yet. Another site can post the form with
/// its own token, but not with this browser's cookie (`SameSite=Strict`), so it cannot sign the
/// visitor in to an account or case of its choosing (login CSRF, finding L5).
fn bound_form_token(
    st: &AppState,
    headers: &axum::http::HeaderMap,
    purpose: &str,
) -> (String, Option<String>) {
    let secure = st.config.secure_cookies;
    let existing = crate::security::cookie_in(headers, binding_cookie(secure))
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()));
    let (binding, set) = match existing {
        Some(v) => (v, None),
        None => {
            let v = hex::encode(rand::random::<[u8; 16]>());
            let set = crate::auth::session_cookie(
                binding_cookie(secure),
                &v,
                secure,
                st.config.form_token_hours * 3600,
            );
            (v, Some(set))
        }
    };
    (form_token(st, &format!("{purpose}:{binding}")), set)
}

/// Checks a bound sign-in form: the token must have been given to the browser that posts it.
fn check_bound_token(
    st: &AppState,
    headers: &axum::http::HeaderMap,
    purpose: &str,
    token: &str,
) -> AppResult<Vec<u8>> {
    let binding = crate::security::cookie_in(headers, binding_cookie(st.config.secure_cookies))
        .ok_or(AppError::Csrf)?;
    check_token(st, &format!("{purpose}:{binding}"), token)
}

/// A page with the binding cookie set when it is new.
fn with_binding(r: Response, set: Option<String>) -> Response {
    match set {
        Some(c) => with_cookie(r, c),
        None => r,
    }
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
    let next = crate::security::local_path(q.next.as_deref());
    let mut r = Redirect::to(next).into_response();
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
        include_str!("../../static/style.css"),
    )
        .into_response()
}

fn with_cookie(mut r: Response, value: String) -> Response {
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
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

fn signed_out(st: &AppState, name: &str) -> Response {
    with_cookie(
        Redirect::to("/").into_response(),
        session_cookie(name, "", st.config.secure_cookies, 0),
    )
}

/// A message to the other side of a case (reporter or staff), with the session's CSRF token.
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
