//! The superior body's requests to review a resolution (Law on Denunciation Art. 37): the lead
//! sees what reporters asked of its body and records each review's outcome with its decision.

use super::*;

#[derive(Template)]
#[template(path = "re_reviews.html")]
struct ReviewsPage {
    t: Tr,
    staff_name: String,
    csrf: String,
    agencies: Vec<Agency>,
    reviews: Vec<minhbach_store::ReReviewRecord>,
    today: String,
    /// The request a refused decision was for, its errors and what was typed.
    refused: Option<(String, crate::view::FieldErrors, ReviewForm)>,
}

impl ReviewsPage {
    fn agency(&self, id: &minhbach_domain::AgencyId) -> String {
        AgencyName::find(&self.agencies, *id).name(self.t.lang)
    }

    fn outcomes(&self) -> [&'static str; 2] {
        minhbach_domain::feedback::ReReviewOutcome::ALL.map(|o| o.code())
    }

    fn late(&self, r: &minhbach_store::ReReviewRecord) -> bool {
        r.outcome.is_none() && r.due_on.as_ref().is_some_and(|d| *d < self.today)
    }

    /// The error of a field of this request's form, if its decision was refused.
    fn error(&self, reference: &str, field: &str) -> Option<&str> {
        self.refused
            .as_ref()
            .filter(|(r, _, _)| r == reference)
            .and_then(|(_, e, _)| e.get(field))
    }

    /// What was typed in this request's form before a refusal.
    fn typed(&self, reference: &str, field: &str) -> String {
        let Some((_, _, f)) = self.refused.as_ref().filter(|(r, _, _)| r == reference) else {
            return String::new();
        };
        match field {
            "outcome" => f.outcome.clone(),
            "document_number" => f.document_number.clone(),
            "decision_date" => f.decision_date.clone(),
            _ => String::new(),
        }
    }
}

async fn reviews_page(
    st: &AppState,
    lang: Lang,
    s: &minhbach_app::sessions::StaffSession,
    refused: Option<(String, Vec<FieldError>, ReviewForm)>,
) -> AppResult<ReviewsPage> {
    let reviews = minhbach_app::feedback::reviews(st, s).await?;
    let t = tr(st, lang, "/staff/re-reviews").await.for_staff(&s.actor);
    let refused = refused.map(|(r, e, f)| (r, crate::view::FieldErrors::new(&t, &e), f));
    Ok(ReviewsPage {
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        agencies: st.store.agencies().await?,
        reviews,
        today: minhbach_app::clocks::iso(st.today()),
        refused,
        t,
    })
}

pub(super) async fn list(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
) -> AppResult<Response> {
    Ok(page(reviews_page(&st, lang, &s, None).await?))
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    document_number: String,
    #[serde(default)]
    decision_date: String,
}

impl HasCsrf for ReviewForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The lead records the review's outcome; a refusal shows the list again with the errors
/// beside that request's fields.
pub(super) async fn decide(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Path(reference): Path<String>,
    Csrf(Staff(s, _), form): Csrf<Staff, ReviewForm>,
) -> AppResult<Response> {
    match minhbach_app::feedback::decide(
        &st,
        &s,
        &reference,
        &form.outcome,
        &form.document_number,
        &form.decision_date,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/staff/re-reviews").into_response()),
        Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
            let mut r = page(reviews_page(&st, lang, &s, Some((reference, fields, form))).await?);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}
