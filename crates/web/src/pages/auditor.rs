//! The auditor's page: the audit log with filters, the chain's status and a CSV export. Events
//! carry metadata and codes only, never content.

use minhbach_app::audit::{AuditFilter, AuditPage, AuditRow, ChainStatus};

use super::*;

/// Events listed on the page; the export takes more.
const PAGE_ROWS: i64 = 200;
const EXPORT_ROWS: i64 = 100_000;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditLogPage {
    t: Tr,
    staff_name: String,
    csrf: String,
    filter: AuditFilter,
    page: AuditPage,
    export: String,
}

impl AuditLogPage {
    fn status(&self) -> Option<&ChainStatus> {
        self.page.status.as_ref()
    }

    fn status_text(&self, s: &ChainStatus) -> String {
        match &s.outcome {
            Ok((events, seq)) => {
                let mut args = fluent_bundle::FluentArgs::new();
                args.set("events", *events);
                args.set("seq", *seq);
                args.set("time", self.t.time(s.checked_at));
                self.t
                    .state
                    .i18n
                    .text(self.t.lang, "audit-chain-intact", Some(&args))
            }
            Err(problem) => self.t.with("audit-chain-broken", "problem", problem),
        }
    }
}

/// The query string of the same filters, for the export link.
fn query_of(f: &AuditFilter) -> String {
    [
        ("case", &f.case),
        ("actor", &f.actor),
        ("action", &f.action),
        ("from", &f.from),
        ("to", &f.to),
    ]
    .iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| format!("{k}={}", crate::security::query_value(v.trim())))
    .collect::<Vec<_>>()
    .join("&")
}

pub(super) async fn audit_log(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    Query(filter): Query<AuditFilter>,
) -> AppResult<Response> {
    let page = minhbach_app::audit::search(&st, &s, &filter, PAGE_ROWS).await?;
    Ok(super::page(AuditLogPage {
        t: tr(&st, lang, "/audit").await.for_staff(&s.actor),
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        export: query_of(&filter),
        filter,
        page,
    }))
}

/// One CSV field: quoted when it holds a separator, a quote or a line break, and defused when
/// a spreadsheet would read it as a formula.
pub(super) fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

fn csv_line(row: &AuditRow) -> String {
    let at = crate::view::local_rfc3339(row.at);
    [
        row.seq.to_string(),
        at,
        row.actor.clone(),
        row.action.clone(),
        row.reference.clone().unwrap_or_default(),
        row.detail.clone(),
    ]
    .iter()
    .map(|f| csv_field(f))
    .collect::<Vec<_>>()
    .join(",")
}

/// The same events as CSV (UTF-8), for the auditor's own tools.
pub(super) async fn audit_export(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    Query(filter): Query<AuditFilter>,
) -> AppResult<Response> {
    let page = minhbach_app::audit::search(&st, &s, &filter, EXPORT_ROWS).await?;
    let mut body = String::from("seq,at,actor,action,reference,detail\r\n");
    for row in &page.rows {
        body.push_str(&csv_line(row));
        body.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-log.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("case.read"), "case.read");
        assert_eq!(
            csv_field("{\"a\":1,\"b\":2}"),
            "\"{\"\"a\"\":1,\"\"b\"\":2}\""
        );
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1"), "'-1");
    }
}
