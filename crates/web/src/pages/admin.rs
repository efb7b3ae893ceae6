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

// The admin console: accounts, agencies, categories. Never any case content.

use crate::auth::Administrator;
use crate::view::FieldErrors;
use minhbach_app::accounts::{self, AccountForm};
use minhbach_app::admin::{AgencyForm, CategoryForm};
use minhbach_domain::organisation::AGENCY_KINDS;
use minhbach_domain::{AgencyId, Role, UserId};

/// An agency id typed in a form: empty is none; anything else that is not a number names no
/// agency (and is refused as unknown).
fn agency_field(s: &str) -> Option<AgencyId> {
    let s = s.trim();
    (!s.is_empty()).then(|| AgencyId(s.parse().unwrap_or(-1)))
}

fn agency_name(t: &Tr, a: &Agency) -> String {
    if t.is_vi() {
        a.name_vi.clone()
    } else {
        a.name_en.clone()
    }
}

fn refused(mut r: Response) -> Response {
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
}

struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: &'static str,
    agency: String,
    active: bool,
    /// Its holder has not yet set their password or enrolled the second factor.
    pending: bool,
    second_factor: bool,
    last_signin: Option<i64>,
    /// The administrator's own account, which they cannot deactivate.
    is_self: bool,
}

#[derive(Default)]
pub(super) struct AccountDraft {
    username: String,
    display_name: String,
    role: String,
    agency: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct AdminUsers {
    t: Tr,
    staff_name: String,
    csrf: String,
    rows: Vec<UserRow>,
    roles: Vec<&'static str>,
    agencies: Vec<(i64, String)>,
    form: AccountDraft,
    errors: FieldErrors,
    /// A refused action on a row: the message.
    notice: Option<String>,
    /// The account just created, and its one-time password (shown this once).
    created: Option<(String, String)>,
    done: String,
}

async fn users_page(
    st: &AppState,
    lang: Lang,
    s: &minhbach_app::sessions::StaffSession,
    form: AccountDraft,
    errors: FieldErrors,
) -> AppResult<AdminUsers> {
    let t = tr(st, lang, "/admin/users").await.for_staff(&s.actor);
    let agencies = st.store.agencies().await?;
    let name_of = |id: Option<AgencyId>| {
        id.and_then(|id| agencies.iter().find(|a| a.id == id))
            .map(|a| agency_name(&t, a))
            .unwrap_or_default()
    };
    let rows = accounts::list(st, &s.actor)
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.id.0,
            is_self: u.id == s.user.id,
            pending: accounts::needs_setup(&u),
            second_factor: u.role.requires_second_factor(),
            agency: name_of(u.agency),
            username: u.username,
            display_name: u.display_name,
            role: u.role.code(),
            active: u.active,
            last_signin: u.last_signin_at,
        })
        .collect();
    Ok(AdminUsers {
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        rows,
        roles: Role::ALL.iter().map(|r| r.code()).collect(),
        agencies: agencies
            .iter()
            .map(|a| (a.id.0, agency_name(&t, a)))
            .collect(),
        form,
        errors,
        notice: None,
        created: None,
        done: String::new(),
        t,
    })
}

#[derive(Deserialize)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn users(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Administrator(s, _): Administrator,
    Query(q): Query<DoneQuery>,
) -> AppResult<Response> {
    let mut p = users_page(
        &st,
        lang,
        &s,
        AccountDraft::default(),
        FieldErrors::default(),
    )
    .await?;
    if matches!(
        q.done.as_str(),
        "deactivated" | "unlocked" | "second-factor"
    ) {
        p.done = q.done;
    }
    Ok(page(p))
}

#[derive(Deserialize)]
pub(super) struct NewAccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    agency: String,
}

impl HasCsrf for NewAccountForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn create_user(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Csrf(Administrator(s, _), f): Csrf<Administrator, NewAccountForm>,
) -> AppResult<Response> {
    let form = AccountForm {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        role: f.role.clone(),
        agency: agency_field(&f.agency),
    };
    match accounts::create_account(&st, &s.actor, &form).await {
        Ok(created) => {
            let mut p = users_page(
                &st,
                lang,
                &s,
                AccountDraft::default(),
                FieldErrors::default(),
            )
            .await?;
            p.created = Some((
                created.username,
                created.one_time_password.as_str().to_owned(),
            ));
            let mut r = page(p);
            // The one-time password must not stay in a cache.
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(r)
        }
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            let t = tr(&st, lang, "/admin/users").await;
            let draft = AccountDraft {
                username: f.username,
                display_name: f.display_name,
                role: f.role,
                agency: f.agency,
            };
            let p = users_page(&st, lang, &s, draft, FieldErrors::new(&t, &fields)).await?;
            Ok(refused(page(p)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Deactivate, unlock, or reset the second factor of one account.
pub(super) async fn user_action(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Path((id, action)): Path<(i64, String)>,
    Csrf(Administrator(s, _), _): Csrf<Administrator, CsrfOnly>,
) -> AppResult<Response> {
    let user = UserId(id);
    let done = match action.as_str() {
        "deactivate" => accounts::deactivate(&st, &s.actor, user)
            .await
            .map(|_| "deactivated"),
        "unlock" => accounts::unlock(&st, &s.actor, user)
            .await
            .map(|()| "unlocked"),
        "second-factor" => accounts::reset_second_factor(&st, &s.actor, user)
            .await
            .map(|()| "second-factor"),
        _ => return Err(minhbach_app::Error::Domain(DomainError::NotFound).into()),
    };
    match done {
        Ok(done) => Ok(Redirect::to(&format!("/admin/users?done={done}")).into_response()),
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            let mut p = users_page(
                &st,
                lang,
                &s,
                AccountDraft::default(),
                FieldErrors::default(),
            )
            .await?;
            p.notice = fields.first().map(|f| p.t.get(f.code));
            Ok(refused(page(p)))
        }
        Err(e) => Err(e.into()),
    }
}

struct AgencyRow {
    id: i64,
    code: String,
    name: String,
    kind: String,
    superior: Option<i64>,
}

#[derive(Default)]
pub(super) struct AgencyDraft {
    code: String,
    name_vi: String,
    name_en: String,
    kind: String,
    superior: String,
}

#[derive(Template)]
#[template(path = "admin_agencies.html")]
struct AdminAgencies {
    t: Tr,
    staff_name: String,
    csrf: String,
    rows: Vec<AgencyRow>,
    kinds: Vec<&'static str>,
    form: AgencyDraft,
    errors: FieldErrors,
    /// A refused change of superior: the agency's id and the message.
    row_error: Option<(i64, String)>,
    saved: bool,
}

async fn agencies_page(
    st: &AppState,
    lang: Lang,
    s: &minhbach_app::sessions::StaffSession,
    form: AgencyDraft,
    errors: FieldErrors,
) -> AppResult<AdminAgencies> {
    let t = tr(st, lang, "/admin/agencies").await.for_staff(&s.actor);
    let agencies = st.store.agencies().await?;
    let rows = agencies
        .iter()
        .map(|a| AgencyRow {
            id: a.id.0,
            code: a.code.clone(),
            name: agency_name(&t, a),
            kind: a.kind.clone(),
            superior: a.superior.map(|x| x.0),
        })
        .collect();
    Ok(AdminAgencies {
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        rows,
        kinds: AGENCY_KINDS.to_vec(),
        form,
        errors,
        row_error: None,
        saved: false,
        t,
    })
}

pub(super) async fn agencies(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Administrator(s, _): Administrator,
    Query(q): Query<DoneQuery>,
) -> AppResult<Response> {
    let mut p = agencies_page(
        &st,
        lang,
        &s,
        AgencyDraft::default(),
        FieldErrors::default(),
    )
    .await?;
    p.saved = q.done == "saved";
    Ok(page(p))
}

#[derive(Deserialize)]
pub(super) struct NewAgencyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_vi: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    superior: String,
}

impl HasCsrf for NewAgencyForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn create_agency(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Csrf(Administrator(s, _), f): Csrf<Administrator, NewAgencyForm>,
) -> AppResult<Response> {
    let form = AgencyForm {
        code: f.code.clone(),
        name_vi: f.name_vi.clone(),
        name_en: f.name_en.clone(),
        kind: f.kind.clone(),
        superior: agency_field(&f.superior),
    };
    match minhbach_app::admin::add_agency(&st, &s.actor, &form).await {
        Ok(_) => Ok(Redirect::to("/admin/agencies?done=saved").into_response()),
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            let t = tr(&st, lang, "/admin/agencies").await;
            let draft = AgencyDraft {
                code: f.code,
                name_vi: f.name_vi,
                name_en: f.name_en,
                kind: f.kind,
                superior: f.superior,
            };
            let p = agencies_page(&st, lang, &s, draft, FieldErrors::new(&t, &fields)).await?;
            Ok(refused(page(p)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct SuperiorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    superior: String,
}

impl HasCsrf for SuperiorForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn agency_superior(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Path(id): Path<i64>,
    Csrf(Administrator(s, _), f): Csrf<Administrator, SuperiorForm>,
) -> AppResult<Response> {
    let superior = agency_field(&f.superior);
    match minhbach_app::admin::change_superior(&st, &s.actor, AgencyId(id), superior).await {
        Ok(()) => Ok(Redirect::to("/admin/agencies?done=saved").into_response()),
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            let mut p = agencies_page(
                &st,
                lang,
                &s,
                AgencyDraft::default(),
                FieldErrors::default(),
            )
            .await?;
            p.row_error = fields.first().map(|e| (id, p.t.get(e.code)));
            Ok(refused(page(p)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Default)]
pub(super) struct CategoryDraft {
    code: String,
    name_vi: String,
    name_en: String,
    position: String,
}

#[derive(Template)]
#[template(path = "admin_categories.html")]
struct AdminCategories {
    t: Tr,
    staff_name: String,
    csrf: String,
    rows: Vec<Category>,
    form: CategoryDraft,
    errors: FieldErrors,
    saved: bool,
    /// Each category's questionnaire document (empty: none), as stored or as just typed.
    questionnaires: Vec<(String, String)>,
    /// A refused questionnaire: its category and the reason.
    questionnaire_error: Option<(String, String)>,
}

impl AdminCategories {
    fn document_of(&self, code: &str) -> &str {
        self.questionnaires
            .iter()
            .find(|(c, _)| c == code)
            .map_or("", |(_, d)| d.as_str())
    }

    fn error_of(&self, code: &str) -> Option<&str> {
        self.questionnaire_error
            .as_ref()
            .filter(|(c, _)| c == code)
            .map(|(_, e)| e.as_str())
    }
}

async fn categories_page(
    st: &AppState,
    lang: Lang,
    s: &minhbach_app::sessions::StaffSession,
    form: CategoryDraft,
    errors: FieldErrors,
) -> AppResult<AdminCategories> {
    Ok(AdminCategories {
        t: tr(st, lang, "/admin/categories").await.for_staff(&s.actor),
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        rows: st.store.categories().await?,
        form,
        errors,
        saved: false,
        questionnaires: st.store.questionnaires().await?,
        questionnaire_error: None,
    })
}

pub(super) async fn categories(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Administrator(s, _): Administrator,
    Query(q): Query<DoneQuery>,
) -> AppResult<Response> {
    let mut p = categories_page(
        &st,
        lang,
        &s,
        CategoryDraft::default(),
        FieldErrors::default(),
    )
    .await?;
    p.saved = q.done == "saved";
    Ok(page(p))
}

#[derive(Deserialize)]
pub(super) struct CategorySaveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_vi: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    position: String,
}

impl HasCsrf for CategorySaveForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub(super) async fn save_category(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Csrf(Administrator(s, _), f): Csrf<Administrator, CategorySaveForm>,
) -> AppResult<Response> {
    let form = CategoryForm {
        code: f.code.clone(),
        name_vi: f.name_vi.clone(),
        name_en: f.name_en.clone(),
        position: f.position.clone(),
    };
    match minhbach_app::admin::save_category(&st, &s.actor, &form).await {
        Ok(()) => Ok(Redirect::to("/admin/categories?done=saved").into_response()),
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            let t = tr(&st, lang, "/admin/categories").await;
            let draft = CategoryDraft {
                code: f.code,
                name_vi: f.name_vi,
                name_en: f.name_en,
                position: f.position,
            };
            let p = categories_page(&st, lang, &s, draft, FieldErrors::new(&t, &fields)).await?;
            Ok(refused(page(p)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct QuestionnaireForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    document: String,
}

impl HasCsrf for QuestionnaireForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Saves a category's questionnaire, or shows the page again with the reason and the text.
pub(super) async fn save_questionnaire(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Path(code): Path<String>,
    Csrf(Administrator(s, _), f): Csrf<Administrator, QuestionnaireForm>,
) -> AppResult<Response> {
    match minhbach_app::admin::save_questionnaire(&st, &s.actor, &code, &f.document).await {
        Ok(()) => Ok(Redirect::to("/admin/categories?done=saved").into_response()),
        Err(minhbach_app::Error::InvalidDocument(reason)) => {
            let mut p = categories_page(
                &st,
                lang,
                &s,
                CategoryDraft::default(),
                FieldErrors::default(),
            )
            .await?;
            p.questionnaires.retain(|(c, _)| *c != code);
            p.questionnaires.push((code.clone(), f.document));
            p.questionnaire_error = Some((code, reason));
            Ok(refused(page(p)))
        }
        Err(e) => Err(e.into()),
    }
}
