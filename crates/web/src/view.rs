//! What templates and API responses show: view models, the translator handed to templates, and
//! the middleware that renders errors in the reader's language.

use askama::Template;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use fluent_bundle::FluentArgs;
use minhbach_domain::CaseState;
use serde::Serialize;

use crate::error::{AppError, ErrorInfo};
use crate::i18n::Lang;
use crate::AppState;

pub use minhbach_app::clock::LOCAL_OFFSET;

pub const LANG_COOKIE: &str = "mb_lang";

/// The reader's language, as an extractor: `?lang=` first, then the language cookie, else
/// Vietnamese.
pub struct ReaderLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReaderLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReaderLang(lang_of(parts)))
    }
}

pub fn lang_of(parts: &Parts) -> Lang {
    let from_query = parts.uri.query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("lang="))
            .and_then(Lang::from_code)
    });
    let from_cookie = || {
        crate::security::cookie(parts, LANG_COOKIE)
            .as_deref()
            .and_then(Lang::from_code)
    };
    from_query.or_else(from_cookie).unwrap_or(Lang::Vi)
}

/// The translator templates call, as `t.get` with a message id.
pub struct Tr {
    pub lang: Lang,
    pub state: AppState,
    /// Path of the current page, for the language switch.
    pub path: String,
    pub demo: bool,
    /// On staff pages: the pages this staff member may open (address, title key).
    pub nav: Vec<(&'static str, &'static str)>,
}

impl Tr {
    /// A translator for one page; the demo banner shows when the organisation is a demo.
    pub async fn for_page(state: &AppState, lang: Lang, path: &str) -> Tr {
        let demo = state
            .store
            .organisation()
            .await
            .ok()
            .flatten()
            .is_some_and(|o| o.demo);
        Tr {
            lang,
            state: state.clone(),
            path: path.to_owned(),
            demo,
            nav: Vec::new(),
        }
    }

    /// The staff bar's links: only the pages the policy lets this person open, so nobody is
    /// offered a page that answers "not allowed".
    pub fn for_staff(mut self, actor: &minhbach_domain::Actor) -> Tr {
        use minhbach_domain::Action;
        self.nav = [
            (Action::ViewInbox, "/staff/inbox", "inbox-title"),
            (Action::ViewFigures, "/staff/figures", "figures-title"),
            (Action::ForwardAsPartner, "/partner/cases", "partner-title"),
            (Action::RegisterReport, "/staff/register", "register-title"),
            (Action::VerifyAudit, "/audit", "audit-title"),
            (
                Action::ManageOrganisation,
                "/admin/users",
                "admin-users-title",
            ),
            (
                Action::ManageOrganisation,
                "/admin/agencies",
                "admin-agencies-title",
            ),
            (
                Action::ManageOrganisation,
                "/admin/categories",
                "admin-categories-title",
            ),
            (Action::ManageLegalData, "/admin/legal", "admin-legal-title"),
            (
                Action::DecideDisclosure,
                "/staff/custodian",
                "custodian-title",
            ),
            (
                Action::ViewProtection,
                "/staff/protection",
                "protection-title",
            ),
        ]
        .into_iter()
        .filter(|(action, _, _)| minhbach_domain::can(actor, *action, None))
        .map(|(_, href, key)| (href, key))
        .chain(reviews_own_body(actor).then_some(("/staff/re-reviews", "re-reviews-title")))
        .chain([
            ("/staff/notifications", "notifications-title"),
            ("/staff/account", "account-title"),
        ])
        .collect();
        self
    }

    /// The language switch: the same page in the other language.
    pub fn other_lang_href(&self) -> String {
        format!(
            "/lang/{}?next={}",
            self.other_lang(),
            crate::security::query_value(crate::security::local_path(Some(&self.path)))
        )
    }

    pub fn get(&self, key: impl AsRef<str>) -> String {
        self.state.i18n.text(self.lang, key.as_ref(), None)
    }

    pub fn with(&self, key: &str, name: &str, value: impl AsRef<str>) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), value.as_ref().to_owned());
        self.state.i18n.text(self.lang, key, Some(&args))
    }

    pub fn time(&self, unix: impl std::borrow::Borrow<i64>) -> String {
        let unix = unix.borrow();
        let format = time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]");
        time::OffsetDateTime::from_unix_timestamp(*unix)
            .map(|t| t.to_offset(LOCAL_OFFSET))
            .ok()
            .and_then(|t| t.format(&format).ok())
            .unwrap_or_default()
    }

    pub fn state_label(&self, code: impl AsRef<str>) -> String {
        let code = code.as_ref();
        CaseState::from_code(code).map_or_else(|| code.to_owned(), |s| self.get(s.label_key()))
    }

    pub fn reporter_state(&self, code: impl AsRef<str>) -> String {
        let code = code.as_ref();
        CaseState::from_code(code)
            .map_or_else(|| code.to_owned(), |s| self.get(s.reporter_text_key()))
    }

    pub fn track_label(&self, code: impl AsRef<str>) -> String {
        self.get(format!("track-{}", code.as_ref().replace('_', "-")))
    }

    pub fn field_label(&self, code: impl AsRef<str>) -> String {
        self.get(format!("field-{}", code.as_ref()))
    }

    pub fn choice_label(&self, field: impl AsRef<str>, code: impl AsRef<str>) -> String {
        self.get(format!(
            "{}-{}",
            field.as_ref(),
            code.as_ref().replace('_', "-")
        ))
    }

    pub fn clock_label(&self, code: impl AsRef<str>) -> String {
        self.get(format!("clock-{}", code.as_ref().replace('_', "-")))
    }

    /// An ISO date shown as day/month/year.
    pub fn date(&self, iso: impl AsRef<str>) -> String {
        let iso = iso.as_ref();
        match (iso.get(0..4), iso.get(5..7), iso.get(8..10)) {
            (Some(y), Some(m), Some(d)) => format!("{d}/{m}/{y}"),
            _ => iso.to_owned(),
        }
    }

    pub fn transition_label(&self, code: impl AsRef<str>) -> String {
        self.get(format!("transition-{}", code.as_ref().replace('_', "-")))
    }

    pub fn is_vi(&self) -> bool {
        self.lang == Lang::Vi
    }

    pub fn other_lang(&self) -> &'static str {
        self.lang.other().code()
    }
}

pub use minhbach_app::casework::{
    AgencyName, CaseView, ClockView, DecisionForm, EventView, MessageView,
};

/// A form's field errors, translated: the page shows each beside its field and links it to its
/// input (`aria-invalid`, `aria-describedby` with the id `<field>-error`).
#[derive(Clone, Debug, Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn new(t: &Tr, fields: &[minhbach_domain::FieldError]) -> Self {
        FieldErrors(fields.iter().map(|f| (f.field, t.get(f.code))).collect())
    }

    /// The message for a field, if it failed.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Renders a template into a response; a template error is an internal error.
pub fn page(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => AppError::internal(format!("template: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub t: Tr,
    pub message: String,
    pub fields: Vec<String>,
    pub back: String,
}

#[derive(Serialize)]
struct ApiError {
    error: &'static str,
    message: String,
    fields: Vec<ApiFieldError>,
}

#[derive(Serialize)]
struct ApiFieldError {
    field: &'static str,
    code: &'static str,
    message: String,
}

/// Where "go back" leads from a failed request: the page the form was on (the Referer header is
/// never sent, by our own policy).
fn back_link(path: &str) -> String {
    let page = ["/decision", "/messages"]
        .iter()
        .find_map(|suffix| path.strip_suffix(suffix))
        .unwrap_or(path);
    match page {
        "/status/logout" | "/staff/logout" => "/".to_owned(),
        p if p.starts_with("/staff/")
            || p.starts_with("/status")
            || p == "/report"
            || p.starts_with("/admin/") =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Turns an error response (status + [`ErrorInfo`]) into a translated page or JSON body.
/// Rejections produced by axum itself (unknown route, wrong method) get the same treatment.
pub async fn render_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let lang = lang_of(&parts);
    let is_api = parts.uri.path().starts_with("/api/");
    let back = back_link(parts.uri.path());
    let path = parts.uri.path().to_owned();
    let response = next.run(Request::from_parts(parts, body)).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // Pages that render their own error (a form shown again with its input) pass through.
    let own_body = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    if own_body && response.extensions().get::<ErrorInfo>().is_none() {
        return response;
    }
    let info = response
        .extensions()
        .get::<ErrorInfo>()
        .cloned()
        .unwrap_or_else(|| ErrorInfo {
            code: match status.as_u16() {
                404 => "error-not-found",
                405 => "error-method",
                413 => "error-too-large",
                415 | 400 | 422 => "error-bad-request",
                _ => "error-internal",
            },
            fields: Vec::new(),
        });
    let text = |key: &str| state.i18n.text(lang, key, None);
    let fields: Vec<(&'static str, &'static str, String)> = info
        .fields
        .iter()
        .map(|f| {
            (
                f.field,
                f.code,
                format!("{}: {}", text(&format!("field-{}", f.field)), text(f.code)),
            )
        })
        .collect();
    let mut out = if is_api {
        axum::Json(ApiError {
            error: info.code,
            message: text(info.code),
            fields: fields
                .into_iter()
                .map(|(field, code, message)| ApiFieldError {
                    field,
                    code,
                    message,
                })
                .collect(),
        })
        .into_response()
    } else {
        page(ErrorPage {
            t: Tr::for_page(&state, lang, &path).await,
            message: text(info.code),
            fields: fields.into_iter().map(|(_, _, m)| m).collect(),
            back,
        })
    };
    *out.status_mut() = status;
    if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
        out.headers_mut().insert(header::RETRY_AFTER, retry.clone());
    }
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

/// Whether the person decides requests to review resolutions addressed to their own body (the
/// policy is asked about that body).
fn reviews_own_body(actor: &minhbach_domain::Actor) -> bool {
    actor.agency.is_some_and(|agency| {
        minhbach_domain::can(
            actor,
            minhbach_domain::Action::DecideReReview,
            Some(&minhbach_domain::CaseFacts {
                agency,
                state: minhbach_domain::CaseState::Concluded,
                assignee: None,
                forward_hops: 0,
            }),
        )
    })
}

/// A Unix time as RFC 3339 in Vietnam time (exports and the API).
pub fn local_rfc3339(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .map(|t| t.to_offset(LOCAL_OFFSET))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
