//! What templates and API responses show: view models, the translator handed to templates, and
//! the middleware that renders errors in the reader's language.

use askama::Template;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use fluent_bundle::FluentArgs;
use minhbach_domain::{AgencyId, CaseState};
use minhbach_store::Agency;
use serde::Serialize;

use crate::error::{AppError, ErrorInfo};
use crate::i18n::Lang;
use crate::AppState;
use minhbach_app::intake::ReportContent;

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
        }
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

/// An agency's name in both languages.
#[derive(Clone, Debug, Serialize)]
pub struct AgencyName {
    pub id: i64,
    pub name_vi: String,
    pub name_en: String,
}

impl AgencyName {
    pub fn find(agencies: &[Agency], id: AgencyId) -> Self {
        agencies.iter().find(|a| a.id == id).map_or_else(
            || AgencyName {
                id: id.0,
                name_vi: id.to_string(),
                name_en: id.to_string(),
            },
            |a| AgencyName {
                id: a.id.0,
                name_vi: a.name_vi.clone(),
                name_en: a.name_en.clone(),
            },
        )
    }

    pub fn name(&self, t: &Tr) -> String {
        if t.is_vi() {
            self.name_vi.clone()
        } else {
            self.name_en.clone()
        }
    }
}

#[derive(Clone, Serialize)]
pub struct MessageView {
    pub from_reporter: bool,
    pub at: i64,
    pub body: String,
}

#[derive(Clone, Serialize)]
pub struct EventView {
    pub at: i64,
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
    /// The legal basis of the rule.
    pub source: String,
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
    pub track: Option<&'static str>,
    /// How many times the case was forwarded; from the second time it is "ping-pong".
    pub forward_hops: u32,
    /// Linked cases: (reference, kind).
    pub links: Vec<(String, String)>,
    pub clocks: Vec<ClockView>,
}

impl CaseView {
    pub fn category_name(&self, t: &Tr) -> String {
        if t.is_vi() {
            self.category_vi.clone()
        } else {
            self.category_en.clone()
        }
    }

    /// The deadline that applies now: the open clock due first, other than our acknowledgement.
    pub fn current_deadline(&self) -> Option<&ClockView> {
        self.clocks
            .iter()
            .filter(|c| c.completed_on.is_none() && c.clock != "acknowledge")
            .min_by(|a, b| a.due_on.cmp(&b.due_on))
    }

    /// The reasons of the latest decision that has any (shown to the reporter).
    pub fn last_reasons(&self) -> Option<&str> {
        self.events.iter().rev().find_map(|e| e.reasons.as_deref())
    }
}

/// Renders a template into a response; a template error is an internal error.
pub fn page(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => AppError::Internal(format!("template: {e}")).into_response(),
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
