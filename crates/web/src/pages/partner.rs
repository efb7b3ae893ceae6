//! A partner organisation's pages: the cases it forwarded and may follow (issue 8, must-have 2).

use super::*;

#[derive(Template)]
#[template(path = "partner_cases.html")]
struct PartnerCases {
    t: Tr,
    staff_name: String,
    csrf: String,
    cases: Vec<CaseView>,
}

impl PartnerCases {
    /// The nearest open deadline of a case, and whether it has passed.
    fn next_due(&self, c: &CaseView) -> Option<(String, bool)> {
        c.clocks
            .iter()
            .filter(|k| k.completed_on.is_none())
            .filter_map(|k| k.due_on.clone().map(|d| (d, k.overdue)))
            .min()
    }
}

pub(super) async fn cases(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
) -> AppResult<Response> {
    let cases = minhbach_app::partners::forwarded(&st, &s).await?;
    Ok(page(PartnerCases {
        t: tr(&st, lang, "/partner/cases").await.for_staff(&s.actor),
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        cases,
    }))
}

#[derive(Template)]
#[template(path = "partner_case.html")]
struct PartnerCase {
    t: Tr,
    staff_name: String,
    csrf: String,
    case: CaseView,
}

pub(super) async fn case(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    Path(reference): Path<String>,
) -> AppResult<Response> {
    let case = minhbach_app::partners::forwarded_case(&st, &s, &reference).await?;
    Ok(page(PartnerCase {
        t: tr(&st, lang, &format!("/partner/cases/{reference}"))
            .await
            .for_staff(&s.actor),
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        case,
    }))
}
