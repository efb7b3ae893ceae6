//! The reporter's pages: the report form and its receipt, returning with the receipt, the
//! case page and its messages. All of them work without JavaScript.

use minhbach_app::evidence::DraftRef;

use super::*;
use crate::upload::UploadForm;

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
    /// The categories' extra questions.
    questions: Vec<QuestionGroup>,
}

/// One category's extra questions on the report form. Without JavaScript every group is on the
/// page; only the chosen category's answers are read.
pub(super) struct QuestionGroup {
    pub(super) title: String,
    /// Open when its category is chosen.
    pub(super) open: bool,
    pub(super) fields: Vec<QuestionField>,
}

pub(super) struct QuestionField {
    /// `answer.<category>.<key>`
    pub(super) name: String,
    pub(super) id: String,
    pub(super) label: String,
    pub(super) kind: &'static str,
    pub(super) required: bool,
    /// "Only if you answered … to …".
    pub(super) condition: Option<String>,
    pub(super) value: String,
    /// (code, label) of a choice; yes and no for a yes/no question.
    pub(super) options: Vec<(String, String)>,
    pub(super) error: Option<String>,
}

/// The form field of an answer: `answer.<category>.<key>`.
const ANSWER_PREFIX: &str = "answer.";

/// The answers given for `category` among a form's fields.
pub(super) fn answers_of(
    pairs: &[(String, String)],
    category: &str,
) -> std::collections::BTreeMap<String, String> {
    let prefix = format!("{ANSWER_PREFIX}{}.", category.trim());
    pairs
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(&prefix)
                .map(|key| (key.to_owned(), v.clone()))
        })
        .collect()
}

pub(super) fn question_groups(
    t: &Tr,
    categories: &[Category],
    questionnaires: Vec<(String, minhbach_domain::questionnaire::Questionnaire)>,
    values: &RawReport,
    errors: &[FieldError],
) -> Vec<QuestionGroup> {
    use minhbach_domain::questionnaire::{Kind, ANSWER_FIELDS};
    let vi = t.is_vi();
    let pick = |a: &str, b: &str| if vi { a.to_owned() } else { b.to_owned() };
    questionnaires
        .into_iter()
        .filter_map(|(code, q)| {
            let category = categories.iter().find(|c| c.code == code)?;
            let chosen = values.category.trim() == code;
            let fields = q
                .questions
                .iter()
                .enumerate()
                .map(|(i, question)| {
                    let options = match question.kind {
                        Kind::Choice => question
                            .options
                            .iter()
                            .map(|o| (o.code.clone(), pick(&o.label_vi, &o.label_en)))
                            .collect(),
                        Kind::YesNo => vec![
                            ("yes".to_owned(), t.get("answer-yes")),
                            ("no".to_owned(), t.get("answer-no")),
                        ],
                        _ => Vec::new(),
                    };
                    let condition = question.shown_if.as_ref().and_then(|c| {
                        let on = q.questions.iter().find(|x| x.key == c.question)?;
                        let answer = match on.kind {
                            Kind::YesNo => t.get(format!("answer-{}", c.answer)),
                            _ => on
                                .options
                                .iter()
                                .find(|o| o.code == c.answer)
                                .map(|o| pick(&o.label_vi, &o.label_en))?,
                        };
                        let mut args = fluent_bundle::FluentArgs::new();
                        args.set("answer", answer);
                        args.set("question", pick(&on.label_vi, &on.label_en));
                        Some(
                            t.state
                                .i18n
                                .text(t.lang, "report-question-only-if", Some(&args)),
                        )
                    });
                    QuestionField {
                        name: format!("{ANSWER_PREFIX}{code}.{}", question.key),
                        id: format!("answer-{code}-{}", question.key),
                        label: pick(&question.label_vi, &question.label_en),
                        kind: question.kind.code(),
                        required: question.required,
                        condition,
                        value: if chosen {
                            values
                                .answers
                                .get(&question.key)
                                .cloned()
                                .unwrap_or_default()
                        } else {
                            String::new()
                        },
                        options,
                        error: errors
                            .iter()
                            .find(|e| chosen && e.field == ANSWER_FIELDS[i])
                            .map(|e| t.get(e.code)),
                    }
                })
                .collect();
            Some(QuestionGroup {
                title: t.with(
                    "report-questions-for",
                    "category",
                    pick(&category.name_vi, &category.name_en),
                ),
                open: chosen,
                fields,
            })
        })
        .collect()
}

impl ReportFormPage {
    fn files_hint(&self) -> String {
        files_hint(&self.t, &self.t.state)
    }

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
    let t = tr(st, lang, "/report").await;
    let categories = st.store.categories().await?;
    let questions = question_groups(
        &t,
        &categories,
        minhbach_app::intake::questionnaires(st).await?,
        &values,
        &errors,
    );
    Ok(ReportFormPage {
        t,
        token: form_token(st, FORM_REPORT),
        categories,
        agencies: st.store.agencies().await?,
        values,
        errors,
        notice,
        questions,
    })
}

#[derive(Deserialize)]
pub(super) struct ReportPrefill {
    /// A category to start with (`/report?category=regulation` from the loophole link).
    #[serde(default)]
    category: String,
}

pub(super) async fn report_form(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Query(prefill): Query<ReportPrefill>,
) -> AppResult<Response> {
    st.organisation().await?;
    let values = RawReport {
        category: prefill.category.trim().chars().take(32).collect(),
        ..RawReport::default()
    };
    Ok(page(
        report_page(&st, lang, values, Vec::new(), None).await?,
    ))
}

#[derive(Deserialize)]
pub(super) struct ReportForm {
    #[serde(default)]
    token: String,
    /// The confirmed files' draft and its key (from the confirmation page).
    #[serde(default)]
    draft: String,
    #[serde(default)]
    draft_key: String,
    #[serde(flatten)]
    report: RawReport,
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    t: Tr,
    /// The receipt while it is still shown; `None` once written down or expired.
    shown: Option<minhbach_app::intake::ShownReceipt>,
    minutes: i64,
}

impl ReceiptPage {
    fn shown_for(&self) -> String {
        self.t
            .with("receipt-reload", "minutes", self.minutes.to_string())
    }
}

/// How long the receipt page can be reloaded after a report is sent.
const RECEIPT_MINUTES: i64 = 15;

fn receipt_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-mb-receipt"
    } else {
        "mb-receipt"
    }
}

/// After a report is recorded: a redirect to the receipt page, with the receipt sealed in a
/// short-lived cookie, so that reloading shows the receipt again and never re-sends the form.
fn show_receipt(st: &AppState, done: &minhbach_app::intake::Submitted) -> Response {
    let sealed = minhbach_app::intake::seal_shown_receipt(st, done, RECEIPT_MINUTES);
    let secure = st.config.secure_cookies;
    with_cookie(
        Redirect::to("/report/receipt").into_response(),
        session_cookie(
            receipt_cookie(secure),
            &sealed,
            secure,
            RECEIPT_MINUTES * 60,
        ),
    )
}

/// The receipt page: the receipt while its cookie lasts, else what to do without it.
pub(super) async fn receipt_page(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    headers: axum::http::HeaderMap,
) -> Response {
    let shown = crate::security::cookie_in(&headers, receipt_cookie(st.config.secure_cookies))
        .and_then(|v| minhbach_app::intake::open_shown_receipt(&st, &v));
    page(ReceiptPage {
        t: tr(&st, lang, "/report/receipt").await,
        shown,
        minutes: RECEIPT_MINUTES,
    })
}

/// "I have written it down": the receipt is forgotten by this browser too.
pub(super) async fn receipt_done(State(st): State<AppState>) -> Response {
    let secure = st.config.secure_cookies;
    with_cookie(
        Redirect::to("/status").into_response(),
        session_cookie(receipt_cookie(secure), "", secure, 0),
    )
}

/// Records the report and shows the receipt, once. A form problem shows the form again with
/// everything the reporter typed, so nothing is lost. With files, it first shows what was
/// removed from them, and the report is recorded when the reporter confirms.
pub(super) async fn report_submit(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    mut upload: UploadForm,
) -> AppResult<Response> {
    let mut form: ReportForm = upload.parse()?;
    form.report.answers = answers_of(&upload.pairs, &form.report.category);
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
    if let Some((name, code)) = &upload.refused {
        let notice = files::file_notice(&st, lang, name, code);
        return again(Vec::new(), Some(notice), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let demo = st.organisation().await?.demo;
    let draft = DraftRef::from_form(&form.draft, &form.draft_key);
    let result = if !upload.files.is_empty() {
        // Files: the fields are checked first, then the files cleaned and shown for confirmation.
        let prepared = match minhbach_app::intake::check_report(&st, &form.report).await {
            Ok(()) => minhbach_app::evidence::prepare(&st, std::mem::take(&mut upload.files)).await,
            Err(e) => Err(e),
        };
        match prepared {
            Ok(d) => {
                let t = tr(&st, lang, "/report").await;
                let carried = upload.carried();
                return Ok(page(files::ConfirmFiles::new(
                    t, &st, "/report", "/report", carried, d,
                )));
            }
            Err(e) => Err(AppError::from(e)),
        }
    } else {
        match &draft {
            Some(d) => {
                minhbach_app::intake::submit_report_with_files(
                    &st,
                    form.report.clone(),
                    Channel::Web,
                    Some(nonce),
                    demo,
                    d,
                )
                .await
            }
            None => {
                minhbach_app::intake::submit_report(
                    &st,
                    form.report.clone(),
                    Channel::Web,
                    Some(nonce),
                    demo,
                )
                .await
            }
        }
        .map_err(AppError::from)
    };
    match result {
        Ok(done) => Ok(show_receipt(&st, &done)),
        Err(AppError::App(minhbach_app::Error::Domain(DomainError::Invalid(errors)))) => {
            again(errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::App(minhbach_app::Error::FileRefused { name, code })) => {
            let notice = files::file_notice(&st, lang, &name, code);
            again(Vec::new(), Some(notice), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        // The confirmed files are gone: the report was not recorded; the form comes back with
        // its text, to choose the files again.
        Err(AppError::App(minhbach_app::Error::DraftExpired)) => {
            let notice = st.i18n.text(lang, "error-draft-expired", None);
            again(Vec::new(), Some(notice), StatusCode::GONE).await
        }
        // Storage full or database busy: nothing recorded, no receipt; the text stays with the
        // reporter to send again.
        Err(e) if e.is_unavailable() => {
            let key = match e {
                AppError::App(minhbach_app::Error::Store(minhbach_store::StoreError::Full)) => {
                    "error-storage-full-form"
                }
                AppError::App(minhbach_app::Error::TooManyReports) => "error-too-many-reports",
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
    /// Why the code did not open a case (a translated message), shown beside the field.
    error: Option<String>,
}

pub(super) async fn status_login(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    headers: axum::http::HeaderMap,
) -> Response {
    let (token, set) = bound_form_token(&st, &headers, FORM_STATUS);
    let r = page(StatusLogin {
        t: tr(&st, lang, "/status").await,
        token,
        error: None,
    });
    with_binding(r, set)
}

#[derive(Deserialize)]
pub(super) struct ReceiptForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    receipt: String,
}

pub(super) async fn status_open(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    headers: axum::http::HeaderMap,
    WebForm(form): WebForm<ReceiptForm>,
) -> AppResult<Response> {
    let nonce = check_bound_token(&st, &headers, FORM_STATUS, &form.token)?;
    let opened = minhbach_app::reporter::reporter_login(
        &st,
        &form.receipt,
        minhbach_app::reporter::ReceiptForm::Form(&nonce),
    )
    .await;
    let token = match opened {
        Ok(token) => token,
        // The form again, with what to do next; the code typed is not shown back.
        Err(e @ (minhbach_app::Error::MalformedReceipt | minhbach_app::Error::UnknownReceipt)) => {
            let (status, key) = match e {
                minhbach_app::Error::MalformedReceipt => {
                    (StatusCode::BAD_REQUEST, "error-receipt-format")
                }
                _ => (StatusCode::NOT_FOUND, "error-receipt-unknown"),
            };
            let (token, set) = bound_form_token(&st, &headers, FORM_STATUS);
            let t = tr(&st, lang, "/status").await;
            let mut r = page(StatusLogin {
                error: Some(t.get(key)),
                t,
                token,
            });
            *r.status_mut() = status;
            return Ok(with_binding(r, set));
        }
        Err(e) => return Err(e.into()),
    };
    let secure = st.config.secure_cookies;
    let cookie = session_cookie(
        reporter_cookie(secure),
        &token.encode(),
        secure,
        st.settings.reporter_session_minutes * 60,
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
    protections: Vec<minhbach_app::protection::ProtectionView>,
    /// Check-ins after closure that are due.
    checkins: Vec<minhbach_app::protection::Checkin>,
    /// Open the retaliation form (after "yes" to a check-in).
    open_retaliation: bool,
    /// A named reporter's own identity, to read and correct.
    my_identity: Option<minhbach_app::identity::SealedIdentity>,
    csrf: String,
    /// A message that could not be sent, shown again in the box.
    draft: String,
    notice: Option<String>,
    /// `may_ask`, `asked` or empty: the offer to ask the superior body to act.
    escalation: &'static str,
    /// Just asked: say so.
    escalated: bool,
    /// After an outcome: the reporter's word on it and the review by the superior body.
    outcome: Option<minhbach_app::feedback::OutcomeView>,
    /// Refusals of the outcome forms, beside their fields, and the grounds typed.
    outcome_errors: crate::view::FieldErrors,
    grounds: String,
    /// Just answered, or just asked for the review: say so.
    outcome_done: Option<&'static str>,
}

fn escalation_code(e: minhbach_store::EscalationState) -> &'static str {
    match e {
        minhbach_store::EscalationState::MayAsk => "may_ask",
        minhbach_store::EscalationState::Asked => "asked",
        minhbach_store::EscalationState::NotOverdue => "",
    }
}

impl StatusCase {
    /// The page as it stands, with a message draft and notice to show again.
    async fn load(
        st: &AppState,
        lang: Lang,
        s: &minhbach_app::reporter::ReporterSession,
        draft: String,
        notice: Option<String>,
    ) -> AppResult<Self> {
        Ok(StatusCase {
            t: tr(st, lang, "/status/case").await,
            case: minhbach_app::reporter::reporter_view(st, s).await?,
            protections: minhbach_app::protection::reporter_protections(st, s).await?,
            checkins: minhbach_app::protection::checkins(st, s).await?,
            open_retaliation: false,
            my_identity: minhbach_app::reporter::reporter_identity(st, s).await?,
            csrf: s.token.csrf(&st.secret),
            draft,
            notice,
            escalation: escalation_code(minhbach_app::reporter::escalation_state(st, s).await?),
            escalated: false,
            outcome: minhbach_app::feedback::outcome_view(st, s).await?,
            outcome_errors: crate::view::FieldErrors::default(),
            grounds: String::new(),
            outcome_done: None,
        })
    }

    fn files_hint(&self) -> String {
        files_hint(&self.t, &self.t.state)
    }

    /// The name of the body that reviews (or would review) the resolution.
    fn superior_name(&self) -> String {
        self.outcome
            .as_ref()
            .and_then(|o| o.superior.as_ref())
            .map(|a| a.name(self.t.lang))
            .unwrap_or_default()
    }

    fn size(&self, f: &minhbach_app::evidence::FileView) -> String {
        files::size_label(f.size)
    }
}

/// What may be attached, and how much.
fn files_hint(t: &Tr, st: &AppState) -> String {
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("max", st.settings.evidence_files_max);
    args.set("mib", st.settings.evidence_file_max_bytes / (1024 * 1024));
    st.i18n.text(t.lang, "files-hint", Some(&args))
}

#[derive(Deserialize)]
pub(super) struct StatusQuery {
    #[serde(default)]
    retaliation: Option<String>,
    #[serde(default)]
    escalated: Option<String>,
    /// `answered` or `review`: what was just done in the outcome section.
    #[serde(default)]
    done: Option<String>,
}

pub(super) async fn status_case(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Reporter(s, _): Reporter,
    Query(q): Query<StatusQuery>,
) -> AppResult<Response> {
    let mut view = StatusCase::load(&st, lang, &s, String::new(), None).await?;
    view.open_retaliation = q.retaliation.is_some();
    view.escalated = q.escalated.is_some();
    view.outcome_done = match q.done.as_deref() {
        Some("answered") => Some("feedback-thanks"),
        Some("review") => Some("feedback-review-asked"),
        _ => None,
    };
    Ok(page(view))
}

#[derive(Deserialize)]
pub(super) struct OutcomeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    satisfied: String,
    #[serde(default)]
    grounds: String,
}

impl crate::auth::HasCsrf for OutcomeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The page again with the outcome form's refusal beside its field (422).
async fn outcome_refused(
    st: &AppState,
    lang: Lang,
    s: &minhbach_app::reporter::ReporterSession,
    fields: Vec<FieldError>,
    grounds: String,
) -> AppResult<Response> {
    let mut view = StatusCase::load(st, lang, s, String::new(), None).await?;
    view.outcome_errors = crate::view::FieldErrors::new(&view.t, &fields);
    view.grounds = grounds;
    let mut r = page(view);
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

/// The reporter says whether they are satisfied with the outcome.
pub(super) async fn status_outcome(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Csrf(Reporter(s, _), form): Csrf<Reporter, OutcomeForm>,
) -> AppResult<Response> {
    let satisfied = match form.satisfied.as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(vec![FieldError {
            field: "satisfied",
            code: "field-invalid-choice",
        }]),
    };
    let result = match satisfied {
        Ok(v) => minhbach_app::feedback::answer(&st, &s, v).await,
        Err(e) => Err(DomainError::Invalid(e).into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/status/case?done=answered#outcome").into_response()),
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            outcome_refused(&st, lang, &s, fields, String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The reporter asks the superior body to review the resolution (Art. 37).
pub(super) async fn status_review(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Csrf(Reporter(s, _), form): Csrf<Reporter, OutcomeForm>,
) -> AppResult<Response> {
    match minhbach_app::feedback::contest(&st, &s, &form.grounds).await {
        Ok(_) => Ok(Redirect::to("/status/case?done=review#outcome").into_response()),
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            outcome_refused(&st, lang, &s, fields, form.grounds).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The reporter asks the superior body to act on a missed deadline.
pub(super) async fn status_escalate(
    State(st): State<AppState>,
    Csrf(Reporter(s, _), _): Csrf<Reporter, CsrfOnly>,
) -> AppResult<Response> {
    minhbach_app::reporter::escalate(&st, &s).await?;
    Ok(Redirect::to("/status/case?escalated=1#escalation").into_response())
}

#[derive(Deserialize)]
pub(super) struct ReporterMessageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    draft: String,
    #[serde(default)]
    draft_key: String,
}

/// A message to the agency, with files if the reporter chose some: then what was removed from
/// them is shown first, and the message is sent when the reporter confirms.
pub(super) async fn status_message(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    reporter: Reporter,
    mut upload: UploadForm,
) -> AppResult<Response> {
    let form: ReporterMessageForm = upload.parse()?;
    crate::auth::check_csrf(&reporter, &st, &form.csrf)?;
    let Reporter(s, _) = reporter;
    let result = if let Some((name, code)) = &upload.refused {
        Err(AppError::App(minhbach_app::Error::FileRefused {
            name: name.clone(),
            code,
        }))
    } else if !upload.files.is_empty() {
        let prepared = match minhbach_domain::MessageText::parse(&form.body) {
            Ok(_) => minhbach_app::evidence::prepare(&st, std::mem::take(&mut upload.files)).await,
            Err(e) => Err(e.into()),
        };
        match prepared {
            Ok(d) => {
                let t = tr(&st, lang, "/status/case").await;
                let carried = upload.carried();
                return Ok(page(files::ConfirmFiles::new(
                    t,
                    &st,
                    "/status/case/messages",
                    "/status/case#messages",
                    carried,
                    d,
                )));
            }
            Err(e) => Err(AppError::from(e)),
        }
    } else {
        let draft = DraftRef::from_form(&form.draft, &form.draft_key);
        minhbach_app::reporter::reporter_message(&st, &s, &form.body, draft.as_ref())
            .await
            .map_err(AppError::from)
    };
    let notice_key = match &result {
        Err(AppError::App(minhbach_app::Error::FileRefused { name, code })) => Some((
            files::file_notice(&st, lang, name, code),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(AppError::App(minhbach_app::Error::DraftExpired)) => Some((
            st.i18n.text(lang, "error-draft-expired", None),
            StatusCode::GONE,
        )),
        _ => None,
    };
    if let Some((notice, status)) = notice_key {
        let mut r = page(StatusCase::load(&st, lang, &s, form.body, Some(notice)).await?);
        *r.status_mut() = status;
        return Ok(r);
    }
    match result {
        Ok(()) => Ok(Redirect::to("/status/case#messages").into_response()),
        // Storage full or database busy: the case page again, with the message in its box.
        Err(e) if e.is_unavailable() => {
            let key = match e {
                AppError::App(minhbach_app::Error::Store(minhbach_store::StoreError::Full)) => {
                    "error-storage-full-message"
                }
                _ => "error-busy",
            };
            let notice = st.i18n.text(lang, key, None);
            let mut r = page(StatusCase::load(&st, lang, &s, form.body, Some(notice)).await?);
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            if let Some(seconds) = e.retry_after() {
                r.headers_mut().insert(header::RETRY_AFTER, seconds.into());
            }
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn status_logout(
    State(st): State<AppState>,
    Csrf(Reporter(s, _), _): Csrf<Reporter, CsrfOnly>,
) -> AppResult<Response> {
    minhbach_app::sessions::logout(&st, &s.token).await?;
    Ok(signed_out(&st, reporter_cookie(st.config.secure_cookies)))
}

#[derive(Deserialize)]
pub(super) struct ProtectionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    urgent: String,
    /// One checkbox per person (value "yes"): self, spouse, parent, child.
    #[serde(default)]
    person_self: String,
    #[serde(default)]
    person_spouse: String,
    #[serde(default)]
    person_parent: String,
    #[serde(default)]
    person_child: String,
    #[serde(default)]
    details: String,
}

impl HasCsrf for ProtectionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The reporter asks for protection for themselves and named relatives.
pub(super) async fn status_protection(
    State(st): State<AppState>,
    Csrf(Reporter(s, _), form): Csrf<Reporter, ProtectionForm>,
) -> AppResult<Response> {
    let persons: Vec<String> = [
        ("self", &form.person_self),
        ("spouse", &form.person_spouse),
        ("parent", &form.person_parent),
        ("child", &form.person_child),
    ]
    .into_iter()
    .filter(|(_, v)| v.as_str() == "yes")
    .map(|(k, _)| k.to_owned())
    .collect();
    let request = minhbach_app::protection::Request {
        urgent: form.urgent == "yes",
        persons: &persons,
        details: &form.details,
    };
    minhbach_app::protection::reporter_request(&st, &s, &request).await?;
    Ok(Redirect::to("/status/case#protection").into_response())
}

/// "I am being retaliated against": a linked case of its own, with its own receipt.
pub(super) async fn status_retaliation(
    State(st): State<AppState>,
    Csrf(Reporter(s, _), form): Csrf<Reporter, MessageForm>,
) -> AppResult<Response> {
    match minhbach_app::protection::submit_retaliation(&st, &s, &form.body).await? {
        Some(done) => Ok(show_receipt(&st, &done)),
        None => Ok(Redirect::to("/status/case").into_response()),
    }
}

#[derive(Deserialize)]
pub(super) struct CheckinForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    checkin: String,
    #[serde(default)]
    answer: String,
}

impl HasCsrf for CheckinForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// "Has anything happened to you since your case was closed?" Yes opens the retaliation form.
pub(super) async fn status_checkin(
    State(st): State<AppState>,
    Csrf(Reporter(s, _), form): Csrf<Reporter, CheckinForm>,
) -> AppResult<Response> {
    let yes = form.answer == "yes";
    minhbach_app::protection::answer_checkin(&st, &s, &form.checkin, yes).await?;
    let to = if yes {
        "/status/case?retaliation=1#retaliation"
    } else {
        "/status/case#protection"
    };
    Ok(Redirect::to(to).into_response())
}

#[derive(Deserialize)]
pub(super) struct IdentityForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    citizen_id: String,
}

impl HasCsrf for IdentityForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// A named reporter corrects or completes their identity; it stays sealed.
pub(super) async fn status_identity(
    State(st): State<AppState>,
    Csrf(Reporter(s, _), f): Csrf<Reporter, IdentityForm>,
) -> AppResult<Response> {
    minhbach_app::reporter::update_identity(
        &st,
        &s,
        &f.name,
        &f.contact,
        &f.address,
        &f.citizen_id,
    )
    .await?;
    Ok(Redirect::to("/status/case#identity").into_response())
}

#[derive(Template)]
#[template(path = "retaliation.html")]
struct RetaliationPage {
    t: Tr,
    token: String,
    reference: String,
    what: String,
    errors: Vec<FieldError>,
}

impl RetaliationPage {
    fn error_for(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| self.t.get(e.code))
    }
}

/// "I am being retaliated against", from the landing page: the original report's reference and
/// what happened. Works without the receipt.
pub(super) async fn retaliation_page(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
) -> Response {
    page(RetaliationPage {
        t: tr(&st, lang, "/retaliation").await,
        token: form_token(&st, FORM_REPORT),
        reference: String::new(),
        what: String::new(),
        errors: Vec::new(),
    })
}

#[derive(Deserialize)]
pub(super) struct RetaliationForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    what: String,
}

pub(super) async fn retaliation_submit(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    WebForm(form): WebForm<RetaliationForm>,
) -> AppResult<Response> {
    let nonce = check_token(&st, FORM_REPORT, &form.token)?;
    match minhbach_app::protection::submit_retaliation_by_reference(
        &st,
        &form.reference,
        &form.what,
        Some(nonce),
    )
    .await
    {
        Ok(done) => Ok(show_receipt(&st, &done)),
        Err(minhbach_app::Error::Domain(DomainError::Invalid(errors))) => {
            let mut r = page(RetaliationPage {
                t: tr(&st, lang, "/retaliation").await,
                token: form_token(&st, FORM_REPORT),
                reference: form.reference,
                what: form.what,
                errors,
            });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}
