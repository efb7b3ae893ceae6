//! The intake desk registers a report for a person who came in, phoned, wrote or was forwarded
//! by another body, and prints the slip that lets the person follow it (issue 8, must-have 1).

use super::reporter::{answers_of, question_groups, QuestionGroup};
use super::*;
use crate::view::FieldErrors;
use minhbach_domain::RawRegistration;

/// How long the slip can be shown again (reloaded, printed) after registering.
const SLIP_MINUTES: i64 = 10;

fn slip_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-mb-slip"
    } else {
        "mb-slip"
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    t: Tr,
    staff_name: String,
    csrf: String,
    channels: Vec<&'static str>,
    categories: Vec<Category>,
    agencies: Vec<Agency>,
    own_agency: i64,
    report: RawReport,
    registration: RawRegistration,
    errors: FieldErrors,
    questions: Vec<QuestionGroup>,
    /// A partner officer forwards to the competent agency (never their own organisation) and
    /// may follow the case if the person agrees.
    partner: bool,
}

impl RegisterPage {
    fn name_of(&self, vi: &str, en: &str) -> String {
        if self.t.is_vi() {
            vi.to_owned()
        } else {
            en.to_owned()
        }
    }

    fn agency_selected(&self, a: &Agency) -> bool {
        match self.report.agency.trim() {
            "" => !self.partner && a.id.0 == self.own_agency,
            chosen => chosen == a.id.0.to_string(),
        }
    }
}

async fn register_page(
    st: &AppState,
    lang: Lang,
    s: &minhbach_app::sessions::StaffSession,
    report: RawReport,
    registration: RawRegistration,
    fields: Vec<FieldError>,
) -> AppResult<RegisterPage> {
    let t = tr(st, lang, "/staff/register").await.for_staff(&s.actor);
    let categories = st.store.categories().await?;
    let questions = question_groups(
        &t,
        &categories,
        minhbach_app::intake::questionnaires(st).await?,
        &report,
        &fields,
    );
    Ok(RegisterPage {
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        channels: minhbach_domain::Channel::REGISTERED
            .iter()
            .map(|c| c.code())
            .collect(),
        categories,
        agencies: st.store.agencies().await?,
        own_agency: s.actor.agency.map_or(0, |a| a.0),
        report,
        registration,
        errors: FieldErrors::new(&t, &fields),
        questions,
        partner: minhbach_domain::can(&s.actor, minhbach_domain::Action::ForwardAsPartner, None),
        t,
    })
}

pub(super) async fn register_form(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
) -> AppResult<Response> {
    if !minhbach_domain::can(&s.actor, minhbach_domain::Action::RegisterReport, None) {
        return Err(DomainError::Forbidden.into());
    }
    Ok(page(
        register_page(
            &st,
            lang,
            &s,
            RawReport::default(),
            RawRegistration::default(),
            Vec::new(),
        )
        .await?,
    ))
}

#[derive(Deserialize)]
pub(super) struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    registration: RawRegistration,
    #[serde(flatten)]
    report: RawReport,
}

impl HasCsrf for RegisterForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn register_submit(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    staff: Staff,
    WebForm(pairs): WebForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    // The fields in order (the answers are named by category and question), then as a form.
    let mut form: RegisterForm = RegisterForm::deserialize(serde::de::value::MapDeserializer::<
        _,
        serde::de::value::Error,
    >::new(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ))
    .map_err(|e| AppError::BadRequest(e.to_string()))?;
    crate::auth::check_csrf(&staff, &st, form.csrf())?;
    let Staff(s, _) = staff;
    form.report.answers = answers_of(&pairs, &form.report.category);
    match minhbach_app::intake::register_on_behalf(&st, &s, form.report.clone(), &form.registration)
        .await
    {
        Ok(done) => {
            let sealed = minhbach_app::intake::seal_shown_receipt(&st, &done, SLIP_MINUTES);
            let secure = st.config.secure_cookies;
            Ok(with_cookie(
                Redirect::to("/staff/register/slip").into_response(),
                session_cookie(slip_cookie(secure), &sealed, secure, SLIP_MINUTES * 60),
            ))
        }
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            let p = register_page(&st, lang, &s, form.report, form.registration, fields).await?;
            let mut r = page(p);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "slip.html")]
struct SlipPage {
    t: Tr,
    staff_name: String,
    csrf: String,
    shown: Option<minhbach_app::intake::ShownReceipt>,
    organisation: String,
    agency: String,
    /// Where the person follows the case: this site's status page.
    status_url: String,
    printed_at: i64,
}

/// What a slip shows, from the short-lived cookie set at registration.
struct SlipData {
    shown: Option<minhbach_app::intake::ShownReceipt>,
    organisation: String,
    agency: String,
    status_url: String,
}

async fn slip_data(st: &AppState, t: &Tr, headers: &axum::http::HeaderMap) -> AppResult<SlipData> {
    let shown = crate::security::cookie_in(headers, slip_cookie(st.config.secure_cookies))
        .and_then(|v| minhbach_app::intake::open_shown_receipt(st, &v));
    let org = st.organisation().await?;
    let agency = match &shown {
        Some(r) => match st.store.case_by_reference(&r.reference).await? {
            Some(c) => {
                minhbach_app::casework::AgencyName::find(&st.store.agencies().await?, c.agency)
                    .name(t.lang)
            }
            None => String::new(),
        },
        None => String::new(),
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("");
    let scheme = if st.config.secure_cookies && !host.starts_with("127.0.0.1") {
        "https"
    } else {
        "http"
    };
    Ok(SlipData {
        shown,
        organisation: org.name,
        agency,
        status_url: format!("{scheme}://{host}/status"),
    })
}

pub(super) async fn slip(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    let t = tr(&st, lang, "/staff/register/slip")
        .await
        .for_staff(&s.actor);
    let data = slip_data(&st, &t, &headers).await?;
    let mut r = page(SlipPage {
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        shown: data.shown,
        organisation: data.organisation,
        agency: data.agency,
        status_url: data.status_url,
        printed_at: st.now(),
        t,
    });
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The same slip as a PDF to print or hand over, while the slip is shown (never stored).
pub(super) async fn slip_pdf(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    use crate::pdf::Block;
    let t = tr(&st, lang, "/staff/register/slip")
        .await
        .for_staff(&s.actor);
    let data = slip_data(&st, &t, &headers).await?;
    let Some(r) = data.shown else {
        return Err(DomainError::NotFound.into());
    };
    let blocks = vec![
        Block::Title(t.get("slip-title")),
        Block::Text(data.organisation),
        Block::Text(format!("{}: {}", t.get("slip-reference"), r.reference)),
        Block::Text(format!("{}: {}", t.get("case-agency"), data.agency)),
        Block::Text(format!("{}: {}", t.get("slip-date"), t.time(st.now()))),
        Block::Heading(t.get("slip-code-title")),
        Block::Code(r.receipt.clone()),
        Block::Text(t.get("slip-keep-1")),
        Block::Text(t.get("slip-keep-2")),
        Block::Text(t.get("slip-keep-3")),
        Block::Heading(t.get("slip-follow-title")),
        Block::Text(t.with("slip-follow", "url", &data.status_url)),
        Block::Heading(t.get("slip-next-title")),
        Block::Text(t.get("slip-next")),
    ];
    let bytes = crate::pdf::render(&t.get("slip-title"), &blocks).map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}.pdf\"", r.reference),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The slip was handed over: it is not shown again.
pub(super) async fn slip_done(
    State(st): State<AppState>,
    Csrf(Staff(_, _), _): Csrf<Staff, CsrfOnly>,
) -> Response {
    let secure = st.config.secure_cookies;
    with_cookie(
        Redirect::to("/staff/register").into_response(),
        session_cookie(slip_cookie(secure), "", secure, 0),
    )
}
