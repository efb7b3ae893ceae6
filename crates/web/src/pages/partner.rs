//! A partner organisation's pages: the cases it forwarded and may follow (issue 8, must-have 2).

use super::*;

#[derive(Template)]
#[template(path = "partner_cases.html")]
struct PartnerCases {
    t: Tr,
    staff_name: String,
    csrf: String,
    cases: Vec<CaseView>,
    /// Its own figures: (the day they were taken, the counts).
    figures: Option<(String, minhbach_domain::statistics::Counts)>,
}

impl PartnerCases {
    fn figure(&self, c: &minhbach_domain::statistics::Counts, code: &str) -> String {
        use minhbach_domain::statistics::Metric;
        let m = |code: &str| Metric::from_code(code).map_or(0, |m| c.get(m));
        match code {
            "resolved" => super::figures::share(m("resolved"), m("received")),
            "resolution_on_time" => {
                super::figures::share(m("resolution_on_time"), m("resolution_due"))
            }
            other => m(other).to_string(),
        }
    }

    fn label(&self, code: &str) -> String {
        self.t.get(format!("figure-{}", code.replace('_', "-")))
    }

    fn codes(&self) -> [&'static str; 5] {
        [
            "received",
            "resolved",
            "within_90",
            "resolution_on_time",
            "overdue_ever",
        ]
    }

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
    let figures = minhbach_app::statistics::partner_figures(&st, &s)
        .await?
        .map(|(f, c)| (f.as_of.to_string(), c));
    Ok(page(PartnerCases {
        figures,
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
