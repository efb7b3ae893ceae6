//! The JSON API, for partner systems and mobile clients: the same operations as the pages,
//! authenticated with bearer tokens. Documented in `openapi.json`, served at `/api/openapi.json`.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use minhbach_domain::{Channel, RawReport};
use serde::{Deserialize, Serialize};

use crate::auth::{Reporter, Staff, WebJson};
use crate::error::{AppError, AppResult};
use crate::view::{local_rfc3339 as datetime, CaseView};
use crate::AppState;

pub const OPENAPI: &str = include_str!("../openapi.json");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/v1/reports", post(submit))
        .route("/v1/categories", get(categories))
        .route("/v1/agencies", get(agencies))
        .route("/v1/channels", get(channels))
        .route("/v1/figures", get(figures))
        .route("/v1/reporter/form", get(reporter_form))
        .route(
            "/v1/reporter/session",
            post(reporter_session).delete(reporter_logout),
        )
        .route("/v1/reporter/case", get(reporter_case))
        .route("/v1/reporter/messages", post(reporter_message))
        .route(
            "/v1/staff/session",
            post(staff_session).delete(staff_logout),
        )
        .route("/v1/staff/inbox", get(inbox))
        .route("/v1/partner/requests", get(partner_requests))
        .route("/v1/partner/requests/{reference}", get(partner_request))
        .route("/v1/staff/reports", post(staff_register))
        .route("/v1/staff/cases/{reference}", get(staff_case))
        .route("/v1/staff/cases/{reference}/messages", post(staff_message))
        .route(
            "/v1/staff/cases/{reference}/transitions",
            post(staff_transition),
        )
        .route("/v1/staff/cases/{reference}/accused", post(staff_accused))
        .route("/v1/staff/cases/{reference}/recusal", post(staff_recuse))
        .route("/v1/staff/keys/grant", post(staff_grant_keys))
        .route(
            "/v1/staff/cases/{reference}/disclosures",
            post(staff_disclosure),
        )
        .route("/v1/custodian/requests", get(custodian_requests))
        .route("/v1/custodian/requests/{id}", post(custodian_decide))
        .layer(axum::middleware::from_fn(
            |mut req: axum::extract::Request, next: axum::middleware::Next| async move {
                req.extensions_mut().insert(crate::auth::BearerOnly);
                next.run(req).await
            },
        ))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// A category, with the extra questions a report of it asks.
#[derive(Serialize)]
struct CategoryInfo {
    code: String,
    name_vi: String,
    name_en: String,
    questions: Vec<minhbach_domain::questionnaire::Question>,
}

/// The categories a report may choose, in the report form's order, with their questions.
async fn categories(State(st): State<AppState>) -> AppResult<Json<Vec<CategoryInfo>>> {
    let questionnaires = minhbach_app::intake::questionnaires(&st).await?;
    Ok(Json(
        st.store
            .categories()
            .await?
            .into_iter()
            .map(|c| CategoryInfo {
                questions: questionnaires
                    .iter()
                    .find(|(code, _)| *code == c.code)
                    .map(|(_, q)| q.questions.clone())
                    .unwrap_or_default(),
                code: c.code,
                name_vi: c.name_vi,
                name_en: c.name_en,
            })
            .collect(),
    ))
}

#[derive(Serialize)]
struct AgencyInfo {
    id: i64,
    code: String,
    name_vi: String,
    name_en: String,
    kind: String,
    /// The superior body (the hierarchy): it handles denunciations against this agency's head.
    superior_id: Option<i64>,
}

/// The agencies a report may name, with their superior bodies.
async fn agencies(State(st): State<AppState>) -> AppResult<Json<Vec<AgencyInfo>>> {
    Ok(Json(
        st.store
            .agencies()
            .await?
            .into_iter()
            .map(|a| AgencyInfo {
                id: a.id.0,
                code: a.code,
                name_vi: a.name_vi,
                name_en: a.name_en,
                kind: a.kind,
                superior_id: a.superior.map(|s| s.0),
            })
            .collect(),
    ))
}

#[derive(Serialize)]
struct ChannelInfo {
    code: &'static str,
    /// An officer registers reports of this channel (`POST /api/v1/staff/reports`).
    registered_by_staff: bool,
}

/// The channels a report can arrive through.
async fn channels() -> Json<Vec<ChannelInfo>> {
    Json(
        Channel::ALL
            .iter()
            .map(|c| ChannelInfo {
                code: c.code(),
                registered_by_staff: Channel::REGISTERED.contains(c),
            })
            .collect(),
    )
}

/// The public figures (no sign-in), as on `/figures` and in its open data.
async fn figures(
    State(st): State<AppState>,
    Query(params): Query<crate::pages::figures::PublicParams>,
) -> AppResult<Json<serde_json::Value>> {
    Ok(Json(
        crate::pages::figures::public_json(&st, &params).await?,
    ))
}

/// A case a partner organisation forwarded and may follow, as its own system reads it: Open311
/// GeoReport v2 names where they fit (`service_request_id`, `status`, `service_code`,
/// `agency_responsible`, `requested_datetime`, `updated_datetime`, `expected_datetime`), then
/// what Open311 has no name for. Metadata only: never the content or the agency's notes.
#[derive(Serialize)]
struct ServiceRequest {
    service_request_id: String,
    /// `open` while a decision is still expected, `closed` after the final one (Open311).
    status: &'static str,
    /// The step the case is at (`CaseState::code`).
    state: &'static str,
    service_code: String,
    service_name: String,
    agency_responsible: String,
    agency_responsible_id: i64,
    requested_datetime: String,
    updated_datetime: String,
    /// The end of the day the current statutory deadline falls on (Vietnam time).
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_datetime: Option<String>,
    /// A statutory deadline of the case has passed with no decision.
    overdue: bool,
    deadlines: Vec<RequestDeadline>,
    decisions: Vec<RequestDecision>,
}

#[derive(Serialize)]
struct RequestDeadline {
    clock: String,
    source: String,
    started_on: String,
    due_on: Option<String>,
    completed_on: Option<String>,
    /// Finished: whether it was kept.
    met: Option<bool>,
    overdue: bool,
}

#[derive(Serialize)]
struct RequestDecision {
    kind: String,
    at: String,
    state: &'static str,
    agency: String,
    document_number: Option<String>,
    decision_date: Option<String>,
    /// The finding of a conclusion and the outcome of an investigation, as codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    finding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
}

impl ServiceRequest {
    fn of(v: minhbach_app::casework::CaseView) -> Self {
        let state = minhbach_domain::CaseState::from_code(v.state);
        let expected_datetime = v
            .current_deadline()
            .and_then(|c| c.due_on.as_ref())
            .map(|d| format!("{d}T23:59:59+07:00"));
        let updated = v.events.iter().map(|e| e.at).max().unwrap_or(v.received_at);
        ServiceRequest {
            status: if state.is_some_and(|s| s.is_final()) {
                "closed"
            } else {
                "open"
            },
            state: v.state,
            service_code: v.category.clone(),
            service_name: v.category_vi.clone(),
            agency_responsible: v.agency.name_vi.clone(),
            agency_responsible_id: v.agency.id,
            requested_datetime: datetime(v.received_at),
            updated_datetime: datetime(updated),
            expected_datetime,
            overdue: v.clocks.iter().any(|c| c.overdue),
            deadlines: v
                .clocks
                .iter()
                .map(|c| RequestDeadline {
                    clock: c.clock.clone(),
                    source: c.source_vi.clone(),
                    started_on: c.started_on.clone(),
                    due_on: c.due_on.clone(),
                    completed_on: c.completed_on.clone(),
                    met: c.met,
                    overdue: c.overdue,
                })
                .collect(),
            decisions: v
                .events
                .iter()
                .map(|e| RequestDecision {
                    kind: e.kind.clone(),
                    at: datetime(e.at),
                    state: e.to_state,
                    agency: e.to_agency.name_vi.clone(),
                    document_number: e.document_number.clone(),
                    decision_date: e.decision_date.clone(),
                    finding: e.detail.get("finding").cloned(),
                    outcome: e.detail.get("outcome").cloned(),
                })
                .collect(),
            service_request_id: v.reference,
        }
    }
}

/// What the partner organisation forwarded and may follow (the person agreed at intake),
/// newest first.
async fn partner_requests(
    State(st): State<AppState>,
    Staff(s, _): Staff,
) -> AppResult<Json<Vec<ServiceRequest>>> {
    let cases = minhbach_app::partners::forwarded(&st, &s).await?;
    Ok(Json(cases.into_iter().map(ServiceRequest::of).collect()))
}

/// One forwarded case; any other answers 404, exactly like a reference that does not exist.
async fn partner_request(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    Path(reference): Path<String>,
) -> AppResult<Json<ServiceRequest>> {
    let case = minhbach_app::partners::forwarded_case(&st, &s, &reference).await?;
    Ok(Json(ServiceRequest::of(case)))
}

#[derive(Serialize)]
struct Submitted {
    reference: String,
    /// Shown once: the client must give it to the reporter and never store it.
    receipt: String,
}

async fn submit(
    State(st): State<AppState>,
    WebJson(report): WebJson<RawReport>,
) -> AppResult<Response> {
    let demo = st.organisation().await?.demo;
    let done = minhbach_app::intake::submit_report(&st, report, Channel::Api, None, demo).await?;
    Ok((
        StatusCode::CREATED,
        Json(Submitted {
            reference: done.reference,
            receipt: done.receipt.expose(),
        }),
    )
        .into_response())
}

/// A report registered on a person's behalf, in Open311 GeoReport v2 terms where they fit.
#[derive(Serialize)]
struct Registered {
    service_request_id: String,
    /// Shown once, on the first answer only: the client prints it for the person.
    #[serde(skip_serializing_if = "Option::is_none")]
    receipt: Option<String>,
    /// True when this answer is to a retry with the same idempotency key.
    replayed: bool,
}

#[derive(Deserialize)]
struct RegisterBody {
    #[serde(flatten)]
    registration: minhbach_domain::RawRegistration,
    #[serde(flatten)]
    report: RawReport,
}

/// Registers a report on behalf of a person (intake officers and leads; integrators acting for
/// them). With an `Idempotency-Key` header a retry never creates a second case: it answers 200
/// with the first case's reference and no receipt; the same key with another body is refused.
async fn staff_register(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    headers: axum::http::HeaderMap,
    WebJson(body): WebJson<RegisterBody>,
) -> AppResult<Response> {
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| AppError::BadRequest("Idempotency-Key".into()))?,
        ),
    };
    let done =
        minhbach_app::intake::register_idempotent(&st, &s, body.report, &body.registration, key)
            .await?;
    Ok(match done {
        minhbach_app::intake::Registered::New(done) => (
            StatusCode::CREATED,
            Json(Registered {
                service_request_id: done.reference,
                receipt: Some(done.receipt.expose()),
                replayed: false,
            }),
        )
            .into_response(),
        minhbach_app::intake::Registered::Replayed(reference) => (
            StatusCode::OK,
            Json(Registered {
                service_request_id: reference,
                receipt: None,
                replayed: true,
            }),
        )
            .into_response(),
    })
}

#[derive(Deserialize)]
struct ReceiptBody {
    #[serde(default)]
    receipt: String,
    /// A receipt form from `GET /v1/reporter/form`: its own budget of wrong tries. Without
    /// one, tries count against a small pool shared by every caller without a form.
    #[serde(default)]
    form: String,
}

/// A receipt form for an API client: what the HTML status page gives a browser.
async fn reporter_form(State(st): State<AppState>) -> Json<Token> {
    Json(Token {
        token: crate::security::issue_form_token(&st.secret, crate::pages::FORM_STATUS, st.now()),
        expires_in: st.config.form_token_hours * 3600,
    })
}

#[derive(Serialize)]
struct Token {
    token: String,
    expires_in: i64,
}

async fn reporter_session(
    State(st): State<AppState>,
    WebJson(body): WebJson<ReceiptBody>,
) -> AppResult<Json<Token>> {
    use minhbach_app::reporter::ReceiptForm;
    let nonce = match body.form.trim() {
        "" => None,
        form => Some(crate::security::check_form_token(
            &st.secret,
            crate::pages::FORM_STATUS,
            form,
            st.now(),
            st.config.form_token_hours * 3600,
        )?),
    };
    let form = nonce
        .as_deref()
        .map_or(ReceiptForm::Unbound, ReceiptForm::Form);
    let token = minhbach_app::reporter::reporter_login(&st, &body.receipt, form).await?;
    Ok(Json(Token {
        token: token.encode(),
        expires_in: st.settings.reporter_session_minutes * 60,
    }))
}

async fn reporter_logout(
    State(st): State<AppState>,
    Reporter(s, _): Reporter,
) -> AppResult<StatusCode> {
    minhbach_app::sessions::logout(&st, &s.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reporter_case(
    State(st): State<AppState>,
    Reporter(s, _): Reporter,
) -> AppResult<Json<CaseView>> {
    Ok(Json(minhbach_app::reporter::reporter_view(&st, &s).await?))
}

#[derive(Deserialize)]
struct MessageBody {
    #[serde(default)]
    body: String,
}

async fn reporter_message(
    State(st): State<AppState>,
    Reporter(s, _): Reporter,
    WebJson(m): WebJson<MessageBody>,
) -> AppResult<StatusCode> {
    minhbach_app::reporter::reporter_message(&st, &s, &m.body, None).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize)]
struct LoginBody {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// The six-digit second-factor code (required for roles that read content).
    #[serde(default)]
    code: String,
}

async fn staff_session(
    State(st): State<AppState>,
    WebJson(body): WebJson<LoginBody>,
) -> AppResult<Json<Token>> {
    let token =
        minhbach_app::sessions::staff_login(&st, &body.username, &body.password, &body.code)
            .await?;
    Ok(Json(Token {
        token: token.encode(),
        expires_in: st.settings.staff_session_minutes * 60,
    }))
}

async fn staff_logout(State(st): State<AppState>, Staff(s, _): Staff) -> AppResult<StatusCode> {
    minhbach_app::sessions::logout(&st, &s.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct InboxItem {
    reference: String,
    /// The agency holding the case (overseers see several).
    agency: i64,
    track: Option<&'static str>,
    /// Nearest open deadline (ISO date), if any.
    due_on: Option<String>,
    overdue: bool,
    category: String,
    state: &'static str,
    received_at: i64,
    updated_at: i64,
    anonymous: bool,
    demo: bool,
}

#[derive(Serialize)]
struct Inbox {
    /// Exact up to 10 000; see `total_capped`.
    total: i64,
    /// More than `total` cases match.
    total_capped: bool,
    page: u32,
    per_page: u32,
    cases: Vec<InboxItem>,
}

async fn inbox(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    Query(q): Query<minhbach_app::casework::InboxParams>,
) -> AppResult<Json<Inbox>> {
    let order = q.order();
    let page = q.page();
    let inbox = minhbach_app::casework::inbox(&st, &s, order, q.filter(st.today()), page).await?;
    Ok(Json(Inbox {
        total: inbox.total,
        total_capped: inbox.total_capped,
        page,
        per_page: 25,
        cases: inbox
            .rows
            .into_iter()
            .map(|r| InboxItem {
                reference: r.reference,
                agency: r.agency.0,
                track: r.track.map(|t| t.code()),
                due_on: r.due_on,
                overdue: r.overdue,
                category: r.category,
                state: r.state.code(),
                received_at: r.received_at,
                updated_at: r.updated_at,
                anonymous: r.anonymous,
                demo: r.demo,
            })
            .collect(),
    }))
}

async fn staff_case(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    Path(reference): Path<String>,
) -> AppResult<Json<CaseView>> {
    Ok(Json(
        minhbach_app::casework::staff_case_view(&st, &s, &reference).await?,
    ))
}

async fn staff_message(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    Path(reference): Path<String>,
    WebJson(m): WebJson<MessageBody>,
) -> AppResult<StatusCode> {
    minhbach_app::casework::staff_reply(&st, &s, &reference, &m.body).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Serialize)]
struct StateBody {
    state: &'static str,
}

async fn staff_transition(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    Path(reference): Path<String>,
    WebJson(d): WebJson<minhbach_domain::RawDecision>,
) -> AppResult<Json<StateBody>> {
    let state = minhbach_app::casework::staff_transition(&st, &s, &reference, &d).await?;
    Ok(Json(StateBody {
        state: state.code(),
    }))
}

#[derive(Deserialize)]
struct AccusedBody {
    #[serde(default)]
    username: String,
}

async fn staff_accused(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    Path(reference): Path<String>,
    WebJson(b): WebJson<AccusedBody>,
) -> AppResult<StatusCode> {
    minhbach_app::conflicts::mark_accused(&st, &s, &reference, &b.username).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn staff_recuse(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    Path(reference): Path<String>,
) -> AppResult<StatusCode> {
    minhbach_app::conflicts::recuse(&st, &s, &reference).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct Granted {
    cases: usize,
}

async fn staff_grant_keys(
    State(st): State<AppState>,
    Staff(s, _): Staff,
) -> AppResult<Json<Granted>> {
    let cases = minhbach_app::access::grant_open_cases(&st, &s).await?;
    Ok(Json(Granted { cases }))
}

#[derive(Deserialize)]
struct DisclosureBody {
    #[serde(default)]
    justification: String,
    #[serde(default)]
    legal_basis: String,
}

#[derive(Serialize)]
struct RequestId {
    id: i64,
}

async fn staff_disclosure(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    Path(reference): Path<String>,
    WebJson(b): WebJson<DisclosureBody>,
) -> AppResult<(StatusCode, Json<RequestId>)> {
    let id = minhbach_app::identity::request_disclosure(
        &st,
        &s,
        &reference,
        &b.justification,
        &b.legal_basis,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(RequestId { id })))
}

async fn custodian_requests(
    State(st): State<AppState>,
    Staff(s, _): Staff,
) -> AppResult<Json<Vec<minhbach_app::identity::CustodianRequest>>> {
    Ok(Json(
        minhbach_app::identity::custodian_requests(&st, &s).await?,
    ))
}

#[derive(Deserialize)]
struct CustodianBody {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    endangers: bool,
}

#[derive(Serialize)]
struct Outcome {
    /// pending | notice | refused
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    effective_on: Option<String>,
    notice_withheld: bool,
}

async fn custodian_decide(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    Path(id): Path<i64>,
    WebJson(b): WebJson<CustodianBody>,
) -> AppResult<Json<Outcome>> {
    let answer = minhbach_app::identity::Answer::parse(&b.decision, &b.reasons, b.endangers)?;
    let outcome = minhbach_app::identity::decide(&st, &s, id, &answer).await?;
    use minhbach_store::DisclosureOutcome as O;
    Ok(Json(match outcome {
        O::Pending => Outcome {
            state: "pending",
            effective_on: None,
            notice_withheld: false,
        },
        O::Notice {
            effective_on,
            withheld,
        } => Outcome {
            state: "notice",
            effective_on: Some(effective_on),
            notice_withheld: withheld,
        },
        O::Refused => Outcome {
            state: "refused",
            effective_on: None,
            notice_withheld: false,
        },
    }))
}
