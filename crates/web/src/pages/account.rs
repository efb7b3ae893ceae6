//! A staff member's own account: the first sign-in's setup (their own password, the second
//! factor enrolled from a QR code), the account page (password change, sessions, sign out
//! everywhere, last sign-in).

use super::*;
use crate::auth::StaffSetup;
use crate::view::FieldErrors;
use minhbach_app::accounts::{self, SetupView};

/// The enrolment QR code as inline SVG, drawn on the server.
fn qr_svg(uri: &str, label: &str) -> AppResult<String> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| AppError::internal(format!("qr code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    // Inline in HTML: no XML declaration; named for screen readers.
    let start = svg.find("<svg").unwrap_or(0);
    let label = label
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    Ok(svg[start..].replacen(
        "<svg",
        &format!("<svg role=\"img\" aria-label=\"{label}\""),
        1,
    ))
}

#[derive(Template)]
#[template(path = "account_setup.html")]
struct SetupPage {
    t: Tr,
    csrf: String,
    view: SetupView,
    qr: String,
    errors: FieldErrors,
}

async fn setup_page(
    st: &AppState,
    lang: Lang,
    s: &accounts::SetupSession,
    errors: FieldErrors,
) -> AppResult<SetupPage> {
    let t = tr(st, lang, "/staff/setup").await;
    let mut view = accounts::setup_view(st, s).await?;
    // The key in groups of four, as authenticator apps accept it: readable, and it wraps.
    if let Some((_, key)) = view.enrol.as_mut() {
        let chars: Vec<char> = key.chars().collect();
        *key = chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ");
    }
    let qr = match &view.enrol {
        Some((uri, _)) => qr_svg(uri, &t.get("setup-qr-label"))?,
        None => String::new(),
    };
    Ok(SetupPage {
        csrf: s.token.csrf(&st.secret),
        t,
        view,
        qr,
        errors,
    })
}

pub(super) async fn setup(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    StaffSetup(s): StaffSetup,
) -> AppResult<Response> {
    Ok(page(
        setup_page(&st, lang, &s, FieldErrors::default()).await?,
    ))
}

#[derive(Deserialize)]
pub(super) struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    code: String,
}

impl HasCsrf for SetupForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn setup_submit(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Csrf(StaffSetup(s), form): Csrf<StaffSetup, SetupForm>,
) -> AppResult<Response> {
    // Kept to show the page again if a field is refused (the session is consumed otherwise).
    let again = SessionToken::parse(&s.token.encode());
    match accounts::finish_setup(&st, s, &form.new_password, &form.confirm, &form.code).await {
        Ok(token) => {
            let secure = st.config.secure_cookies;
            let cookie = session_cookie(
                staff_cookie(secure),
                &token.encode(),
                secure,
                st.settings.staff_session_minutes * 60,
            );
            Ok(with_cookie(
                Redirect::to("/staff/account?done=setup").into_response(),
                cookie,
            ))
        }
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            let s =
                accounts::setup_session(&st, again.ok_or(minhbach_app::Error::Unauthenticated)?)
                    .await?;
            let t = tr(&st, lang, "/staff/setup").await;
            let errors = FieldErrors::new(&t, &fields);
            let mut r = page(setup_page(&st, lang, &s, errors).await?);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// One session in the list.
struct SessionRow {
    started: i64,
    expires: i64,
    current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    t: Tr,
    staff_name: String,
    csrf: String,
    username: String,
    role: &'static str,
    agency: Option<String>,
    last_signin: Option<i64>,
    sessions: Vec<SessionRow>,
    errors: FieldErrors,
    /// What was just done ("password", "setup"), to say so.
    done: String,
}

async fn account_page(
    st: &AppState,
    lang: Lang,
    s: &minhbach_app::sessions::StaffSession,
    errors: FieldErrors,
    done: String,
) -> AppResult<AccountPage> {
    let t = tr(st, lang, "/staff/account").await.for_staff(&s.actor);
    let agency = match s.user.agency {
        Some(id) => st
            .store
            .agencies()
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .map(|a| if t.is_vi() { a.name_vi } else { a.name_en }),
        None => None,
    };
    let sessions = accounts::sessions(st, s)
        .await?
        .into_iter()
        .map(|(i, current)| SessionRow {
            started: i.created_at,
            expires: i.expires_at,
            current,
        })
        .collect();
    Ok(AccountPage {
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        username: s.user.username.clone(),
        role: s.user.role.code(),
        agency,
        last_signin: s.user.last_signin_at,
        sessions,
        errors,
        done,
        t,
    })
}

#[derive(Deserialize)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn account(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    Query(q): Query<DoneQuery>,
) -> AppResult<Response> {
    let done = match q.done.as_str() {
        "setup" | "password" => q.done,
        _ => String::new(),
    };
    Ok(page(
        account_page(&st, lang, &s, FieldErrors::default(), done).await?,
    ))
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

impl HasCsrf for PasswordForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn change_password(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Csrf(Staff(s, _), form): Csrf<Staff, PasswordForm>,
) -> AppResult<Response> {
    match accounts::change_password(&st, &s, &form.current, &form.new_password, &form.confirm).await
    {
        Ok(()) => Ok(Redirect::to("/staff/account?done=password").into_response()),
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            let t = tr(&st, lang, "/staff/account").await;
            let errors = FieldErrors::new(&t, &fields);
            let mut r = page(account_page(&st, lang, &s, errors, String::new()).await?);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn sign_out_everywhere(
    State(st): State<AppState>,
    Csrf(Staff(s, _), _): Csrf<Staff, CsrfOnly>,
) -> AppResult<Response> {
    accounts::sign_out_everywhere(&st, &s).await?;
    Ok(signed_out(&st, staff_cookie(st.config.secure_cookies)))
}
