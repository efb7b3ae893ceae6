//! Authentication as extractors: a handler that names [`Staff`] or [`Reporter`] in its signature
//! cannot run without a valid session, and one that takes [`Csrf`] form data cannot run without a
//! matching token. What a session may do to a case is then the domain policy's decision.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::{Form, Json};
use serde::de::DeserializeOwned;

use minhbach_domain::{can, Action, DomainError};

use crate::error::AppError;
use crate::security::{cookie, csrf_matches, CsrfToken};
use crate::AppState;
use minhbach_app::reporter::ReporterSession;
use minhbach_app::sessions::SessionToken;
use minhbach_app::sessions::StaffSession;

pub fn staff_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-mb-staff"
    } else {
        "mb-staff"
    }
}

pub fn reporter_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-mb-reporter"
    } else {
        "mb-reporter"
    }
}

/// A `Set-Cookie` value for a session cookie (or its removal when `value` is empty).
pub fn session_cookie(name: &str, value: &str, secure: bool, max_age_secs: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let max_age = if value.is_empty() { 0 } else { max_age_secs };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// Where the session token came from: a cookie (browser; state changes need a CSRF token) or a
/// bearer header (API client; no ambient credential, so no CSRF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Cookie,
    Bearer,
}

/// Marks a request to the JSON API: it is authenticated by bearer tokens only. A browser sends
/// its session cookie to the API too, and the API takes no CSRF token, so a cookie there would
/// let another site act in the user's name (finding L1).
#[derive(Clone, Copy, Debug)]
pub struct BearerOnly;

fn token(parts: &Parts, cookie_name: &str) -> Option<(SessionToken, Via)> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(SessionToken::parse);
    match bearer {
        Some(t) => Some((t, Via::Bearer)),
        None if parts.extensions.get::<BearerOnly>().is_some() => None,
        None => cookie(parts, cookie_name)
            .and_then(|c| SessionToken::parse(&c))
            .map(|t| (t, Via::Cookie)),
    }
}

/// A signed-in staff member.
pub struct Staff(pub StaffSession, pub Via);

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, AppError> {
        let (t, via) = token(parts, staff_cookie(st.config.secure_cookies))
            .ok_or(minhbach_app::Error::Unauthenticated)?;
        Ok(Staff(
            minhbach_app::sessions::staff_session(st, t).await?,
            via,
        ))
    }
}

/// A signed-in staff member whom the policy lets edit the dated legal data (administrators).
pub struct LegalDataManager(pub StaffSession, pub Via);

impl FromRequestParts<AppState> for LegalDataManager {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, AppError> {
        let Staff(s, via) = Staff::from_request_parts(parts, st).await?;
        if !can(&s.actor, Action::ManageLegalData, None) {
            return Err(DomainError::Forbidden.into());
        }
        Ok(LegalDataManager(s, via))
    }
}

/// A signed-in staff member whom the policy lets run the organisation (the admin console).
pub struct Administrator(pub StaffSession, pub Via);

impl FromRequestParts<AppState> for Administrator {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, AppError> {
        let Staff(s, via) = Staff::from_request_parts(parts, st).await?;
        if !can(&s.actor, Action::ManageOrganisation, None) {
            return Err(DomainError::Forbidden.into());
        }
        Ok(Administrator(s, via))
    }
}

/// A staff member in the middle of a first sign-in (or after a reset): a setup session, which
/// opens only the page that sets the password and enrols the second factor. Browser only.
pub struct StaffSetup(pub minhbach_app::accounts::SetupSession);

impl FromRequestParts<AppState> for StaffSetup {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, AppError> {
        let t = cookie(parts, staff_cookie(st.config.secure_cookies))
            .and_then(|c| SessionToken::parse(&c))
            .ok_or(minhbach_app::Error::Unauthenticated)?;
        Ok(StaffSetup(
            minhbach_app::accounts::setup_session(st, t).await?,
        ))
    }
}

/// A reporter who opened their case with the receipt.
pub struct Reporter(pub ReporterSession, pub Via);

impl FromRequestParts<AppState> for Reporter {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, AppError> {
        let (t, via) = token(parts, reporter_cookie(st.config.secure_cookies))
            .ok_or(minhbach_app::Error::Unauthenticated)?;
        Ok(Reporter(
            minhbach_app::reporter::reporter_session(st, t).await?,
            via,
        ))
    }
}

/// Form data whose body problems (too large, not a form) become our translated errors.
pub struct WebForm<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for WebForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, AppError> {
        match Form::<T>::from_request(req, st).await {
            Ok(Form(v)) => Ok(WebForm(v)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::TooLarge)
            }
            Err(e) => Err(AppError::BadRequest(e.body_text())),
        }
    }
}

/// JSON whose body problems become our errors.
pub struct WebJson<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for WebJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, AppError> {
        match Json::<T>::from_request(req, st).await {
            Ok(Json(v)) => Ok(WebJson(v)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::TooLarge)
            }
            Err(e) => Err(AppError::BadRequest(e.body_text())),
        }
    }
}

/// A form that carries the session's CSRF token in a `csrf` field.
pub trait HasCsrf {
    fn csrf(&self) -> &str;
}

/// A session whose pages carry a CSRF token.
pub trait CsrfSession {
    fn session_token(&self) -> &SessionToken;
    fn via(&self) -> Via;
}

impl CsrfSession for Staff {
    fn session_token(&self) -> &SessionToken {
        &self.0.token
    }
    fn via(&self) -> Via {
        self.1
    }
}

impl CsrfSession for LegalDataManager {
    fn session_token(&self) -> &SessionToken {
        &self.0.token
    }
    fn via(&self) -> Via {
        self.1
    }
}

impl CsrfSession for Administrator {
    fn session_token(&self) -> &SessionToken {
        &self.0.token
    }
    fn via(&self) -> Via {
        self.1
    }
}

impl CsrfSession for StaffSetup {
    fn session_token(&self) -> &SessionToken {
        &self.0.token
    }
    fn via(&self) -> Via {
        Via::Cookie
    }
}

impl CsrfSession for Reporter {
    fn session_token(&self) -> &SessionToken {
        &self.0.token
    }
    fn via(&self) -> Via {
        self.1
    }
}

/// Checks a form's CSRF token against the session's (a bearer-token call carries none).
pub fn check_csrf<S: CsrfSession>(session: &S, st: &AppState, given: &str) -> Result<(), AppError> {
    let expected = session.session_token().csrf(&st.secret);
    if session.via() == Via::Cookie && !csrf_matches(&expected, given) {
        return Err(AppError::Csrf);
    }
    Ok(())
}

/// A session plus form data whose CSRF token has been checked.
pub struct Csrf<S, T>(pub S, pub T);

impl<S, T> FromRequest<AppState> for Csrf<S, T>
where
    S: FromRequestParts<AppState, Rejection = AppError> + CsrfSession + Send,
    T: DeserializeOwned + HasCsrf + Send,
{
    type Rejection = AppError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        let session = S::from_request_parts(&mut parts, st).await?;
        let WebForm(form) =
            WebForm::<T>::from_request(Request::from_parts(parts, body), st).await?;
        check_csrf(&session, st, form.csrf())?;
        Ok(Csrf(session, form))
    }
}
