//! The administrator's pages: the dated legal data (working-day calendar, deadline rules).

use super::*;

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
    s: &minhbach_app::sessions::StaffSession,
    error: Option<String>,
    new_calendar: String,
    new_rules: String,
) -> AppResult<AdminLegal> {
    let docs = st.store.legal_documents().await?;
    Ok(AdminLegal {
        t: tr(st, lang, "/admin/legal").await.for_staff(&s.actor),
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        years: docs.calendar_years,
        rule_sets: docs.rule_sets,
        error,
        new_calendar,
        new_rules,
    })
}

pub(super) async fn admin_legal(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    LegalDataManager(s, _): LegalDataManager,
) -> AppResult<Response> {
    Ok(page(
        admin_page(&st, lang, &s, None, String::new(), String::new()).await?,
    ))
}

#[derive(Deserialize)]
pub(super) struct DocumentForm {
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
    s: &minhbach_app::sessions::StaffSession,
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

pub(super) async fn admin_calendar(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Csrf(LegalDataManager(s, _), form): Csrf<LegalDataManager, DocumentForm>,
) -> AppResult<Response> {
    save_legal(&st, lang, &s, &form.document, true).await
}

pub(super) async fn admin_rules(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Csrf(LegalDataManager(s, _), form): Csrf<LegalDataManager, DocumentForm>,
) -> AppResult<Response> {
    save_legal(&st, lang, &s, &form.document, false).await
}
