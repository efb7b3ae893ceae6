//! The figures (issue 8, must-haves 3 and 5): the overseers' dashboard with its drill-down to the
//! cases behind each number and its CSV export, and the charts drawn here as SVG.

use minhbach_app::statistics::{self as stats, Query as FigureQuery};
use minhbach_domain::statistics::{Counts, GroupBy, Metric};
use minhbach_domain::AgencyId;

use super::*;

/// The dashboard's parameters, as the filter form sends them.
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct FigureParams {
    #[serde(default)]
    publication: String,
    /// A periodic report's period, `YYYY-q1` … `YYYY-12m`: sets `from` and `to`.
    #[serde(default)]
    period: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    partner: String,
    #[serde(default)]
    by: String,
    #[serde(default)]
    metric: String,
    #[serde(default)]
    row: String,
    #[serde(default)]
    format: String,
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// A periodic report's period (`2026-q4`), with its official cut-off dates.
pub(super) fn reporting_period(code: &str) -> Option<minhbach_domain::periods::Period> {
    use minhbach_domain::periods::PeriodKind;
    let (year, kind) = code.trim().split_once('-')?;
    reporting_rules()?.period(PeriodKind::from_code(kind)?, year.parse().ok()?)
}

/// The shipped reporting rules, read once per process (every figures page lists the periods).
pub(super) fn reporting_rules() -> Option<&'static minhbach_domain::periods::ReportingRules> {
    static RULES: std::sync::LazyLock<Option<minhbach_domain::periods::ReportingRules>> =
        std::sync::LazyLock::new(|| minhbach_domain::periods::ReportingRules::shipped().ok());
    RULES.as_ref()
}

/// `key=value&…` of the filled parameters, for links.
fn query_string(pairs: &[(&str, &String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", crate::security::query_value(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
}

/// The periods offered: every periodic report of this year and the last, newest first, with a
/// label that shows its cut-off dates.
pub(super) fn period_choices(t: &Tr, today: time::Date) -> Vec<(String, String)> {
    use minhbach_domain::periods::PeriodKind;
    let mut out = Vec::new();
    for year in [today.year() + 1, today.year(), today.year() - 1] {
        for kind in PeriodKind::ALL.iter().rev() {
            let code = format!("{year}-{}", kind.code());
            if let Some(p) = reporting_period(&code) {
                if p.from <= today {
                    let name = t.with(&format!("period-{}", kind.code()), "year", year.to_string());
                    let label = format!(
                        "{name} ({} – {})",
                        t.date(p.from.to_string()),
                        t.date(p.to.to_string())
                    );
                    out.push((code, label));
                }
            }
        }
    }
    out
}

/// Reads `period` (which wins) or `from` and `to`.
fn period_or_days(
    period: &str,
    from: &str,
    to: &str,
    errors: &mut Vec<FieldError>,
) -> (Option<time::Date>, Option<time::Date>) {
    if let Some(code) = some(period) {
        return match reporting_period(&code) {
            Some(p) => (Some(p.from), Some(p.to)),
            None => {
                errors.push(FieldError {
                    field: "period",
                    code: "figures-bad-period",
                });
                (None, None)
            }
        };
    }
    (day("from", from, errors), day("to", to, errors))
}

fn day(field: &'static str, s: &str, errors: &mut Vec<FieldError>) -> Option<time::Date> {
    let s = some(s)?;
    match time::Date::parse(&s, &time::format_description::well_known::Iso8601::DATE) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError {
                field,
                code: "figures-bad-date",
            });
            None
        }
    }
}

impl FigureParams {
    /// The query, or the fields that could not be read.
    fn query(&self) -> Result<FigureQuery, Vec<FieldError>> {
        let mut errors = Vec::new();
        let id = |s: &str| some(s).and_then(|v| v.parse::<i64>().ok());
        let (from, to) = period_or_days(&self.period, &self.from, &self.to, &mut errors);
        let q = FigureQuery {
            publication: id(&self.publication),
            agency: id(&self.agency).map(AgencyId),
            from,
            to,
            category: some(&self.category),
            channel: some(&self.channel),
            partner: id(&self.partner).map(AgencyId),
            by: GroupBy::from_code(&self.by).unwrap_or(GroupBy::Agency),
        };
        if errors.is_empty() {
            Ok(q)
        } else {
            Err(errors)
        }
    }

    /// The query string of these parameters without the drill-down's, for links.
    fn query_string(&self) -> String {
        query_string(&[
            ("publication", &self.publication),
            ("period", &self.period),
            ("agency", &self.agency),
            ("from", &self.from),
            ("to", &self.to),
            ("category", &self.category),
            ("channel", &self.channel),
            ("partner", &self.partner),
            ("by", &self.by),
        ])
    }
}

/// A column of a figures table: a count, a count out of another (shown with its share), or a
/// sum over a count (shown as the average).
pub(super) struct Column {
    pub metric: Metric,
    pub of: Option<Metric>,
    pub average: bool,
}

const fn col(metric: Metric, of: Option<Metric>) -> Column {
    Column {
        metric,
        of,
        average: false,
    }
}

const fn avg(metric: Metric, of: Metric) -> Column {
    Column {
        metric,
        of: Some(of),
        average: true,
    }
}

/// The dashboard's three tables.
pub(super) const VOLUME: &[Column] = &[
    col(Metric::Received, None),
    col(Metric::Resolved, Some(Metric::Received)),
    col(Metric::Within30, Some(Metric::Received)),
    col(Metric::Within60, Some(Metric::Received)),
    col(Metric::Within90, Some(Metric::Received)),
    col(Metric::OverdueNow, None),
    col(Metric::OverdueEver, None),
    col(Metric::Escalated, None),
];
pub(super) const DEADLINES: &[Column] = &[
    col(Metric::AckOnTime, Some(Metric::AckDue)),
    col(Metric::TriageOnTime, Some(Metric::TriageDue)),
    col(Metric::ResolutionOnTime, Some(Metric::ResolutionDue)),
    col(Metric::CriminalOnTime, Some(Metric::CriminalDue)),
];
pub(super) const FLOW: &[Column] = &[
    col(Metric::Forwarded, None),
    avg(Metric::ForwardDays, Metric::Forwarded),
    col(Metric::PingPong, None),
    col(Metric::Referred, None),
    col(Metric::Substantiated, None),
    col(Metric::Partly, None),
    col(Metric::Unfounded, None),
    col(Metric::NotAccepted, None),
    col(Metric::Archived, None),
    col(Metric::Duplicate, None),
    col(Metric::Terminated, None),
    col(Metric::Prosecuted, None),
    col(Metric::NotProsecuted, None),
];

pub(super) const REPORTERS: &[Column] = &[
    col(Metric::Satisfied, None),
    col(Metric::Dissatisfied, None),
    col(Metric::Contested, None),
    col(Metric::ReReviewOnTime, Some(Metric::ReReviewDue)),
    col(Metric::ResolveAgain, Some(Metric::Contested)),
];

pub(super) const PROTECTION: &[Column] = &[
    col(Metric::ProtectionRequested, None),
    col(Metric::ProtectionOnTime, Some(Metric::ProtectionDue)),
    col(Metric::ProtectionGranted, None),
    col(Metric::ProtectionRejected, None),
    col(Metric::Retaliation, None),
    col(Metric::DisclosureRequested, None),
    col(
        Metric::DisclosureApproved,
        Some(Metric::DisclosureRequested),
    ),
];

/// The dashboard's tables, each with the message key of its title.
pub(super) const TABLES: [(&str, &[Column]); 5] = [
    ("figures-volume", VOLUME),
    ("figures-deadlines", DEADLINES),
    ("figures-flow", FLOW),
    ("figures-reporters", REPORTERS),
    ("figures-protection", PROTECTION),
];

/// The message key of a metric's label.
pub(super) fn label_key(m: Metric) -> String {
    format!("figure-{}", m.code().replace('_', "-"))
}

/// `n / d (p %)`, or the count alone.
pub(super) fn share(n: u64, d: u64) -> String {
    match (n * 100 + d / 2).checked_div(d) {
        Some(p) => format!("{n} / {d} ({p} %)"),
        None => format!("{n} / 0"),
    }
}

/// A table cell: the count, or the count out of its denominator with the share.
pub(super) fn cell(c: &Counts, col: &Column) -> String {
    match col.of {
        Some(of) if col.average => match c.get(of) {
            0 => "—".to_owned(),
            d => format!("{:.1}", c.get(col.metric) as f64 / d as f64),
        },
        Some(of) => share(c.get(col.metric), c.get(of)),
        None => c.get(col.metric).to_string(),
    }
}

/// A bar of a chart, in the chart's own units.
pub(super) struct Bar {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub class: &'static str,
    /// Shown as the bar's tooltip and read by screen readers.
    pub title: String,
}

/// A text of a chart.
pub(super) struct Label {
    pub x: u32,
    pub y: u32,
    pub text: String,
    pub anchor: &'static str,
}

/// A chart drawn on the server: readable without JavaScript, scaled by its `viewBox`.
pub(super) struct Chart {
    pub width: u32,
    pub height: u32,
    pub bars: Vec<Bar>,
    pub labels: Vec<Label>,
    pub summary: String,
}

/// Received and resolved per month, side by side.
pub(super) fn trend_chart(t: &Tr, months: &[(String, Option<u64>, Option<u64>)]) -> Option<Chart> {
    if months.is_empty() {
        return None;
    }
    let slot = 40u32;
    let plot = 160u32;
    let top = 10u32;
    let max = months
        .iter()
        .flat_map(|(_, a, b)| [a.unwrap_or(0), b.unwrap_or(0)])
        .max()
        .unwrap_or(0)
        .max(1);
    let mut chart = Chart {
        width: 40 + slot * months.len() as u32,
        height: top + plot + 30,
        bars: Vec::new(),
        labels: vec![Label {
            x: 36,
            y: top + 8,
            text: max.to_string(),
            anchor: "end",
        }],
        summary: t.get("figures-trend-summary"),
    };
    let received = t.get(label_key(Metric::Received));
    let resolved = t.get(label_key(Metric::Resolved));
    for (i, (month, a, b)) in months.iter().enumerate() {
        let x = 40 + slot * i as u32;
        for (j, (v, class, name)) in [(a, "received", &received), (b, "resolved", &resolved)]
            .into_iter()
            .enumerate()
        {
            let h = v.map_or(0, |v| (v * u64::from(plot) / max) as u32);
            chart.bars.push(Bar {
                x: x + 4 + 16 * j as u32,
                y: top + plot - h,
                w: 14,
                h,
                class,
                title: format!(
                    "{month} — {name}: {}",
                    v.map_or_else(|| t.get("figures-hidden"), |v| v.to_string())
                ),
            });
        }
        chart.labels.push(Label {
            x: x + slot / 2,
            y: top + plot + 16,
            text: month.get(2..).unwrap_or(month).to_owned(),
            anchor: "middle",
        });
    }
    Some(chart)
}

/// One horizontal bar per agency: the share of its resolution deadlines kept.
pub(super) fn compliance_chart(t: &Tr, rows: &[(String, u64, u64)]) -> Option<Chart> {
    let rows: Vec<_> = rows.iter().filter(|(_, _, d)| *d > 0).collect();
    if rows.is_empty() {
        return None;
    }
    let line = 22u32;
    let mut chart = Chart {
        width: 640,
        height: line * rows.len() as u32 + 10,
        bars: Vec::new(),
        labels: Vec::new(),
        summary: t.get("figures-compliance-summary"),
    };
    for (i, (name, n, d)) in rows.iter().enumerate() {
        let y = 5 + line * i as u32;
        let pct = (n * 100 / d) as u32;
        chart.bars.push(Bar {
            x: 300,
            y,
            w: pct * 3,
            h: line - 6,
            class: if pct >= 90 { "good" } else { "late" },
            title: format!("{name}: {}", share(*n, *d)),
        });
        let short: String = name.chars().take(40).collect();
        chart.labels.push(Label {
            x: 294,
            y: y + 12,
            text: short,
            anchor: "end",
        });
        chart.labels.push(Label {
            x: 304 + pct * 3,
            y: y + 12,
            text: format!("{pct} %"),
            anchor: "start",
        });
    }
    Some(chart)
}

pub(super) struct RowView {
    pub key: String,
    pub label: String,
    pub counts: Counts,
}

#[derive(Template)]
#[template(path = "figures.html")]
struct FiguresPage {
    t: Tr,
    staff_name: String,
    csrf: String,
    params: FigureParams,
    errors: crate::view::FieldErrors,
    publications: Vec<(i64, String)>,
    agencies: Vec<Agency>,
    categories: Vec<Category>,
    table: Option<stats::Table>,
    rows: Vec<RowView>,
    trend: Option<Chart>,
    compliance: Option<Chart>,
    base: String,
    periods: Vec<(String, String)>,
}

impl FiguresPage {
    fn selected(&self, field: &str, value: impl AsRef<str>) -> bool {
        let p = &self.params;
        let current = match field {
            "publication" => &p.publication,
            "period" => &p.period,
            "agency" => &p.agency,
            "category" => &p.category,
            "channel" => &p.channel,
            "partner" => &p.partner,
            "by" => &p.by,
            _ => return false,
        };
        current == value.as_ref()
    }

    fn channels(&self) -> Vec<&'static str> {
        Channel::ALL.iter().map(|c| c.code()).collect()
    }

    fn groups(&self) -> &'static [GroupBy] {
        GroupBy::ALL
    }

    fn partners(&self) -> Vec<&Agency> {
        self.agencies
            .iter()
            .filter(|a| minhbach_domain::organisation::PARTNER_KINDS.contains(&a.kind.as_str()))
            .collect()
    }

    fn agency_label(&self, a: &Agency) -> String {
        name_of(a, &self.t)
    }

    /// The address of the cases behind a figure.
    fn drill(&self, m: &Metric, row: Option<&str>) -> String {
        let mut q = format!("/staff/figures/cases?metric={}", m.code());
        if !self.base.is_empty() {
            q.push('&');
            q.push_str(&self.base);
        }
        if let Some(r) = row {
            q.push_str("&row=");
            q.push_str(&crate::security::query_value(r));
        }
        q
    }

    fn cell(&self, c: &Counts, col: &Column) -> String {
        cell(c, col)
    }

    fn label(&self, m: impl std::borrow::Borrow<Metric>) -> String {
        self.t.get(label_key(*m.borrow()))
    }

    fn means(&self, m: impl std::borrow::Borrow<Metric>) -> String {
        self.t.get(format!("{}-means", label_key(*m.borrow())))
    }

    fn group_label(&self, g: &&GroupBy) -> String {
        self.t.get(format!("figures-by-{}", g.code()))
    }

    fn by_key(&self) -> String {
        format!(
            "figures-by-{}",
            GroupBy::from_code(&self.params.by)
                .unwrap_or(GroupBy::Agency)
                .code()
        )
    }

    fn columns(&self) -> [(&'static str, &'static [Column]); 5] {
        TABLES
    }
}

/// An agency's name in the reader's language.
pub(super) fn name_of(a: &Agency, t: &Tr) -> String {
    if t.is_vi() {
        a.name_vi.clone()
    } else {
        a.name_en.clone()
    }
}

/// Row labels: agency and partner names, category names, channel names, months as they are.
async fn row_label(
    st: &AppState,
    t: &Tr,
    by: GroupBy,
    agencies: &[Agency],
    categories: &[Category],
    key: &str,
) -> String {
    let _ = st;
    match by {
        GroupBy::Agency | GroupBy::Partner => agencies
            .iter()
            .find(|a| a.id.0.to_string() == key)
            .map(|a| name_of(a, t))
            .unwrap_or_else(|| {
                if key == "-" {
                    t.get("figures-no-partner")
                } else {
                    key.to_owned()
                }
            }),
        GroupBy::Category => categories
            .iter()
            .find(|c| c.code == key)
            .map(|c| {
                if t.is_vi() {
                    c.name_vi.clone()
                } else {
                    c.name_en.clone()
                }
            })
            .unwrap_or_else(|| key.to_owned()),
        GroupBy::Channel => t.choice_label("channel", key),
        GroupBy::Month => key.to_owned(),
    }
}

pub(super) async fn dashboard(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    Query(params): Query<FigureParams>,
) -> AppResult<Response> {
    let t = tr(&st, lang, "/staff/figures").await.for_staff(&s.actor);
    // Refused before anything is read: a handler gets 403, not an empty page.
    stats::scope(&st, &s).await?;
    let agencies = st.store.agencies().await?;
    let categories = st.store.categories().await?;
    let (query, mut errors) = match params.query() {
        Ok(q) => (Some(q), Vec::new()),
        Err(e) => (None, e),
    };
    let table = match &query {
        Some(q) => match stats::dashboard(&st, &s, q).await {
            Ok(t) => t,
            Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => {
                errors = fields;
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let by = query.as_ref().map_or(GroupBy::Agency, |q| q.by);
    let mut rows = Vec::new();
    let mut trend = None;
    let mut compliance = None;
    if let Some(table) = &table {
        for (key, counts) in &table.rows {
            rows.push(RowView {
                label: row_label(&st, &t, by, &agencies, &categories, key).await,
                key: key.clone(),
                counts: *counts,
            });
        }
        if params.format == "csv" {
            return Ok(csv_response(&t, &rows, &table.total, table, "figures.csv"));
        }
        let months: Vec<_> = table
            .months
            .iter()
            .map(|(m, c)| {
                (
                    m.clone(),
                    Some(c.get(Metric::Received)),
                    Some(c.get(Metric::Resolved)),
                )
            })
            .collect();
        trend = trend_chart(&t, &months);
        let mut per_agency = Vec::new();
        for (key, c) in &table.agencies {
            per_agency.push((
                row_label(&st, &t, GroupBy::Agency, &agencies, &categories, key).await,
                c.get(Metric::ResolutionOnTime),
                c.get(Metric::ResolutionDue),
            ));
        }
        compliance = compliance_chart(&t, &per_agency);
    }
    let publications = stats::publications(&st)
        .await?
        .into_iter()
        .map(|(id, d)| (id, d.to_string()))
        .collect();
    let errors = crate::view::FieldErrors::new(&t, &errors);
    let periods = period_choices(&t, st.today());
    Ok(page(FiguresPage {
        periods,
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        base: params.query_string(),
        t,
        params,
        errors,
        publications,
        agencies,
        categories,
        table,
        rows,
        trend,
        compliance,
    }))
}

/// The table as CSV: one line per row, every metric, then the total.
fn csv_response(
    t: &Tr,
    rows: &[RowView],
    total: &Counts,
    table: &stats::Table,
    name: &str,
) -> Response {
    let mut body = format!(
        "# {}: {} ({} {})\r\nrow,label",
        t.get("figures-as-of"),
        table.figures.as_of,
        t.get("figures-audit-position"),
        table.figures.audit_seq
    );
    for m in Metric::ALL {
        body.push(',');
        body.push_str(m.code());
    }
    body.push_str("\r\n");
    let total_row = RowView {
        key: "total".into(),
        label: t.get("figures-total"),
        counts: *total,
    };
    for r in rows.iter().chain(std::iter::once(&total_row)) {
        body.push_str(&super::auditor::csv_field(&r.key));
        body.push(',');
        body.push_str(&super::auditor::csv_field(&r.label));
        for m in Metric::ALL {
            body.push(',');
            body.push_str(&r.counts.get(*m).to_string());
        }
        body.push_str("\r\n");
    }
    csv_attachment(name, body)
}

/// A CSV file to download.
fn csv_attachment(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// CSV lines (CRLF) of fields, each quoted as it needs and defused against formulas.
fn csv_lines(lines: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut body = String::new();
    for line in lines {
        let fields: Vec<String> = line.iter().map(|f| super::auditor::csv_field(f)).collect();
        body.push_str(&fields.join(","));
        body.push_str("\r\n");
    }
    body
}

#[derive(Template)]
#[template(path = "figures_cases.html")]
struct FigureCases {
    t: Tr,
    staff_name: String,
    csrf: String,
    metric: Metric,
    row: Option<String>,
    as_of: String,
    cases: Vec<stats::CaseLine>,
    agencies: Vec<Agency>,
    back: String,
    /// This list as CSV.
    csv: String,
    limit: usize,
    /// Overseers open a case's metadata, a lead the case itself; a Front observer sees the
    /// list only.
    case_base: Option<&'static str>,
}

impl FigureCases {
    fn at_limit(&self) -> bool {
        self.cases.len() >= self.limit
    }

    fn agency_name(&self, id: &AgencyId) -> String {
        AgencyName::find(&self.agencies, *id).name(self.t.lang)
    }
}

/// The cases behind one number of the dashboard: metadata only.
pub(super) async fn cases(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    Query(params): Query<FigureParams>,
) -> AppResult<Response> {
    let t = tr(&st, lang, "/staff/figures/cases")
        .await
        .for_staff(&s.actor);
    let metric = Metric::from_code(&params.metric).ok_or(DomainError::NotFound)?;
    let q = params.query().map_err(DomainError::Invalid)?;
    let row = some(&params.row);
    let (figures, cases) = stats::cases_behind(&st, &s, &q, metric, row.as_deref()).await?;
    let agencies = st.store.agencies().await?;
    if params.format == "csv" {
        let header = [
            "reference",
            "agency",
            "state",
            "category",
            "channel",
            "received_at",
        ];
        let lines = cases.iter().map(|c| {
            vec![
                c.reference.clone(),
                AgencyName::find(&agencies, c.agency).name(t.lang),
                c.state.code().to_owned(),
                c.category.clone(),
                c.channel.clone(),
                crate::view::local_rfc3339(c.received_at),
            ]
        });
        let body = csv_lines(std::iter::once(header.map(str::to_owned).to_vec()).chain(lines));
        return Ok(csv_attachment(
            &format!("figures-{}-cases.csv", metric.code()),
            body,
        ));
    }
    let mut csv = format!(
        "/staff/figures/cases?metric={}&{}",
        metric.code(),
        params.query_string()
    );
    if let Some(r) = &row {
        csv.push_str("&row=");
        csv.push_str(&crate::security::query_value(r));
    }
    csv.push_str("&format=csv");
    let row = match &row {
        Some(key) => {
            let categories = st.store.categories().await?;
            Some(row_label(&st, &t, q.by, &agencies, &categories, key).await)
        }
        None => None,
    };
    Ok(page(FigureCases {
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        back: format!("/staff/figures?{}", params.query_string()),
        csv,
        t,
        metric,
        row,
        as_of: figures.as_of.to_string(),
        cases,
        agencies,
        limit: stats::DRILL_LIMIT,
        case_base: [
            (minhbach_domain::Action::ViewEveryAgency, "/oversee/cases/"),
            (minhbach_domain::Action::ViewInbox, "/staff/cases/"),
        ]
        .into_iter()
        .find(|(action, _)| minhbach_domain::can(&s.actor, *action, None))
        .map(|(_, base)| base),
    }))
}

type PublicQuery = (Option<i64>, Option<time::Date>, Option<time::Date>);

/// The public page's parameters.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct PublicParams {
    #[serde(default)]
    publication: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl PublicParams {
    /// The publication and the period of receipt asked for.
    fn read(&self) -> Result<PublicQuery, Vec<FieldError>> {
        let mut errors = Vec::new();
        let (from, to) = period_or_days(&self.period, &self.from, &self.to, &mut errors);
        if errors.is_empty() {
            Ok((
                some(&self.publication).and_then(|v| v.parse().ok()),
                from,
                to,
            ))
        } else {
            Err(errors)
        }
    }

    fn query_string(&self) -> String {
        query_string(&[
            ("publication", &self.publication),
            ("period", &self.period),
            ("from", &self.from),
            ("to", &self.to),
        ])
    }
}

/// A hidden count in the open data. The same mark for a count below the threshold and for one
/// hidden with it: "< k" would be false for the second, and telling them apart would say which
/// counts are small.
pub(super) const HIDDEN: &str = "hidden";

/// The licence of the open data, stated with every download.
pub(super) const LICENCE: &str = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)";

pub(super) struct PublicRowView {
    pub name: String,
    pub counts: Vec<stats::Shown>,
    pub on_time: Option<(u64, u64)>,
}

#[derive(Template)]
#[template(path = "figures_public.html")]
struct PublicPage {
    t: Tr,
    params: PublicParams,
    errors: crate::view::FieldErrors,
    publications: Vec<(i64, String)>,
    figures: Option<std::sync::Arc<stats::PublicFigures>>,
    rows: Vec<PublicRowView>,
    ranking: Vec<(String, u64, u64)>,
    trend: Option<Chart>,
    base: String,
    periods: Vec<(String, String)>,
}

impl PublicPage {
    fn columns(&self) -> &'static [Metric] {
        stats::PUBLIC_COUNTS
    }

    fn label(&self, m: &&Metric) -> String {
        self.t.get(label_key(**m))
    }

    fn means(&self, m: &&Metric) -> String {
        self.t.get(format!("{}-means", label_key(**m)))
    }

    fn shown(&self, v: &stats::Shown) -> String {
        match v {
            stats::Shown::Value(n) => n.to_string(),
            stats::Shown::Suppressed => self.t.get("public-figures-hidden-term"),
        }
    }

    fn share(&self, on_time: &Option<(u64, u64)>) -> String {
        on_time.map_or_else(|| "—".to_owned(), |(n, d)| share(n, d))
    }

    fn selected(&self, id: &i64) -> bool {
        self.params.publication == id.to_string()
    }

    fn period_selected(&self, code: &str) -> bool {
        self.params.period == code
    }

    fn rank_share(&self, n: &u64, d: &u64) -> String {
        share(*n, *d)
    }
}

pub(super) async fn public(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Query(params): Query<PublicParams>,
) -> AppResult<Response> {
    let t = tr(&st, lang, "/figures").await;
    let (figures, errors) = match params.read() {
        Ok((publication, from, to)) => match stats::public(&st, publication, from, to).await {
            Ok(f) => (f, Vec::new()),
            Err(minhbach_app::Error::Domain(DomainError::Invalid(fields))) => (None, fields),
            Err(e) => return Err(e.into()),
        },
        Err(e) => (None, e),
    };
    let agencies = st.store.agencies().await?;
    let name = |id: AgencyId| {
        agencies
            .iter()
            .find(|a| a.id == id)
            .map(|a| name_of(a, &t))
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    let mut ranking = Vec::new();
    let mut trend = None;
    if let Some(f) = &figures {
        rows = f
            .rows
            .iter()
            .map(|r| PublicRowView {
                name: name(r.agency),
                counts: r.counts.clone(),
                on_time: r.on_time,
            })
            .collect();
        ranking = f
            .ranking
            .iter()
            .map(|(a, n, d)| (name(*a), *n, *d))
            .collect();
        let value = |s: &stats::Shown| match s {
            stats::Shown::Value(v) => Some(*v),
            stats::Shown::Suppressed => None,
        };
        let months: Vec<_> = f
            .months
            .iter()
            .map(|(m, a, b)| (m.clone(), value(a), value(b)))
            .collect();
        trend = trend_chart(&t, &months);
    }
    let publications = stats::publications(&st)
        .await?
        .into_iter()
        .map(|(id, d)| (id, d.to_string()))
        .collect();
    let errors = crate::view::FieldErrors::new(&t, &errors);
    let periods = period_choices(&t, st.today());
    Ok(page(PublicPage {
        periods,
        base: params.query_string(),
        t,
        params,
        errors,
        publications,
        figures,
        rows,
        ranking,
        trend,
    }))
}

/// An agency's code and names as the open data gives them.
fn open_data_names(agencies: &[Agency], id: AgencyId) -> (String, String, String) {
    agencies
        .iter()
        .find(|a| a.id == id)
        .map(|a| (a.code.clone(), a.name_vi.clone(), a.name_en.clone()))
        .unwrap_or_default()
}

/// The public figures as JSON, with the licence, the day and the audit position they were
/// published at, and small counts hidden exactly as on the page (also `GET /api/v1/figures`).
pub(crate) async fn public_json(
    st: &AppState,
    params: &PublicParams,
) -> AppResult<serde_json::Value> {
    let (publication, from, to) = params.read().map_err(DomainError::Invalid)?;
    let f = stats::public(st, publication, from, to)
        .await?
        .ok_or(DomainError::NotFound)?;
    let agencies = st.store.agencies().await?;
    let code = |id: AgencyId| open_data_names(&agencies, id);
    let shown = |v: &stats::Shown| match v {
        stats::Shown::Value(n) => serde_json::json!(n),
        stats::Shown::Suppressed => serde_json::json!(HIDDEN),
    };
    let rows: Vec<serde_json::Value> = f
        .rows
        .iter()
        .map(|r| {
            let (code, vi, en) = code(r.agency);
            let mut o = serde_json::Map::new();
            o.insert("agency".into(), code.into());
            o.insert("name_vi".into(), vi.into());
            o.insert("name_en".into(), en.into());
            for (m, v) in stats::PUBLIC_COUNTS.iter().zip(&r.counts) {
                o.insert(m.code().into(), shown(v));
            }
            o.insert(
                "resolution_on_time".into(),
                r.on_time.map_or(serde_json::Value::Null, |(n, _)| n.into()),
            );
            o.insert(
                "resolution_due".into(),
                r.on_time.map_or(serde_json::Value::Null, |(_, d)| d.into()),
            );
            serde_json::Value::Object(o)
        })
        .collect();
    let totals: serde_json::Map<String, serde_json::Value> = stats::PUBLIC_COUNTS
        .iter()
        .zip(&f.totals)
        .map(|(m, v)| (m.code().to_owned(), shown(v)))
        .collect();
    let months: Vec<serde_json::Value> = f
        .months
        .iter()
        .map(
            |(m, a, b)| serde_json::json!({"month": m, "received": shown(a), "resolved": shown(b)}),
        )
        .collect();
    Ok(serde_json::json!({
        "licence": LICENCE,
        "as_of": f.figures.as_of.to_string(),
        "audit_seq": f.figures.audit_seq,
        "digest": f.figures.digest,
        "from": from.map(|d| d.to_string()),
        "to": to.map(|d| d.to_string()),
        "threshold": f.threshold,
        "agencies": rows,
        "total": totals,
        "months": months,
    }))
}

/// The public figures as open data: CSV or JSON (see [`public_json`]).
pub(super) async fn open_data(
    State(st): State<AppState>,
    Path(file): Path<String>,
    Query(params): Query<PublicParams>,
) -> AppResult<Response> {
    if file == "figures.json" {
        let body = public_json(&st, &params).await?;
        return Ok((
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response());
    }
    let (publication, from, to) = params.read().map_err(DomainError::Invalid)?;
    let f = stats::public(&st, publication, from, to)
        .await?
        .ok_or(DomainError::NotFound)?;
    let agencies = st.store.agencies().await?;
    let code = |id: AgencyId| open_data_names(&agencies, id);
    match file.as_str() {
        "figures.csv" => {
            let mut body = format!(
                "# minhbach: {LICENCE}; as of the end of {}; audit event {}; counts below {} and those hidden with them shown as hidden\r\nagency,name_vi,name_en",
                f.figures.as_of, f.figures.audit_seq, f.threshold
            );
            for m in stats::PUBLIC_COUNTS {
                body.push(',');
                body.push_str(m.code());
            }
            body.push_str(",resolution_on_time,resolution_due\r\n");
            let text = |v: &stats::Shown| match v {
                stats::Shown::Value(n) => n.to_string(),
                stats::Shown::Suppressed => HIDDEN.to_owned(),
            };
            for r in &f.rows {
                let (code, vi, en) = code(r.agency);
                for v in [code, vi, en] {
                    body.push_str(&super::auditor::csv_field(&v));
                    body.push(',');
                }
                for v in &r.counts {
                    body.push_str(&super::auditor::csv_field(&text(v)));
                    body.push(',');
                }
                match r.on_time {
                    Some((n, d)) => body.push_str(&format!("{n},{d}")),
                    None => body.push(','),
                }
                body.push_str("\r\n");
            }
            body.push_str("total,,");
            for v in &f.totals {
                body.push(',');
                body.push_str(&super::auditor::csv_field(&text(v)));
            }
            body.push_str(",,\r\n");
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"minhbach-figures.csv\"",
                    ),
                ],
                body,
            )
                .into_response())
        }
        _ => Err(DomainError::NotFound.into()),
    }
}

/// The periodic report's period: its code (`2026-q4`) and official dates, or a localized error.
fn report_period(
    params: &FigureParams,
) -> Result<(String, minhbach_domain::periods::Period), DomainError> {
    let bad = || {
        DomainError::Invalid(vec![FieldError {
            field: "period",
            code: "figures-bad-period",
        }])
    };
    let code = some(&params.period).ok_or_else(bad)?;
    let period = reporting_period(&code).ok_or_else(bad)?;
    Ok((code, period))
}

/// The period's name in `t`'s language ("Quý IV năm 2026").
fn report_title(t: &Tr, code: &str) -> String {
    let (year, kind) = code.split_once('-').unwrap_or((code, ""));
    t.with(&format!("period-{kind}"), "year", year)
}

/// The lines under a periodic report's title: the official cut-off dates and their source, the
/// day the figures were taken and their audit position.
fn report_lines(
    t: &Tr,
    period: &minhbach_domain::periods::Period,
    figures: &stats::Figures,
) -> [String; 3] {
    let rule = reporting_rules().map(|r| r.in_force(period.from));
    let source = rule
        .map(|r| {
            if t.is_vi() {
                r.source_vi.clone()
            } else {
                r.source.clone()
            }
        })
        .unwrap_or_default();
    [
        format!(
            "{} {} – {} ({source})",
            t.get("figures-report-cutoff"),
            t.date(period.from.to_string()),
            t.date(period.to.to_string()),
        ),
        t.with(
            "figures-published",
            "day",
            t.date(figures.as_of.to_string()),
        ),
        t.with("figures-audit-at", "seq", figures.audit_seq.to_string()),
    ]
}

/// The periodic report (quarter, 6, 9 or 12 months) as a workbook: one sheet by agency, one by
/// month and one by channel, every metric with its Vietnamese and English name, under the
/// period's official cut-off dates, the day the figures were taken and their audit position.
pub(super) async fn report_xlsx(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    Query(params): Query<FigureParams>,
) -> AppResult<Response> {
    use rust_xlsxwriter::{Format, Workbook};
    let (code, period) = report_period(&params)?;
    let vi = tr(&st, Lang::Vi, "/staff/figures").await;
    let en = tr(&st, Lang::En, "/staff/figures").await;
    let mut q = params.query().map_err(DomainError::Invalid)?;
    let agencies = st.store.agencies().await?;
    let categories = st.store.categories().await?;
    let bold = Format::new().set_bold();
    let mut book = Workbook::new();
    let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::internal(format!("xlsx: {e}"));
    for by in [GroupBy::Agency, GroupBy::Month, GroupBy::Channel] {
        q.by = by;
        let table = stats::dashboard(&st, &s, &q)
            .await?
            .ok_or(DomainError::NotFound)?;
        let sheet = book.add_worksheet();
        sheet
            .set_name(vi.get(format!("figures-by-{}", by.code())))
            .map_err(xlsx)?;
        let title = format!(
            "{} — {}",
            report_title(&vi, &code),
            report_title(&en, &code)
        );
        let [cutoff, published, audit] = report_lines(&vi, &period, &table.figures);
        let lines = [title, cutoff, published, audit];
        for (i, line) in lines.iter().enumerate() {
            sheet.write_string(i as u32, 0, line).map_err(xlsx)?;
        }
        let top = lines.len() as u32 + 1;
        sheet
            .write_string_with_format(top, 0, vi.get(format!("figures-by-{}", by.code())), &bold)
            .map_err(xlsx)?;
        sheet
            .write_string_with_format(
                top + 1,
                0,
                en.get(format!("figures-by-{}", by.code())),
                &bold,
            )
            .map_err(xlsx)?;
        for (j, m) in Metric::ALL.iter().enumerate() {
            let col = j as u16 + 1;
            sheet
                .write_string_with_format(top, col, vi.get(label_key(*m)), &bold)
                .map_err(xlsx)?;
            sheet
                .write_string_with_format(top + 1, col, en.get(label_key(*m)), &bold)
                .map_err(xlsx)?;
        }
        let mut row = top + 2;
        for (key, counts) in &table.rows {
            let label = row_label(&st, &vi, by, &agencies, &categories, key).await;
            sheet.write_string(row, 0, label).map_err(xlsx)?;
            for (j, m) in Metric::ALL.iter().enumerate() {
                sheet
                    .write_number(row, j as u16 + 1, counts.get(*m) as f64)
                    .map_err(xlsx)?;
            }
            row += 1;
        }
        sheet
            .write_string_with_format(row, 0, vi.get("figures-total"), &bold)
            .map_err(xlsx)?;
        for (j, m) in Metric::ALL.iter().enumerate() {
            sheet
                .write_number_with_format(row, j as u16 + 1, table.total.get(*m) as f64, &bold)
                .map_err(xlsx)?;
        }
        sheet.set_column_width(0, 40).map_err(xlsx)?;
    }
    let bytes = book.save_to_buffer().map_err(xlsx)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"minhbach-{code}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The periodic report as PDF, in the reader's language: the tables of the dashboard
/// (received and resolved, deadlines kept, forwarding and outcomes, what reporters said,
/// protection and disclosure) by agency, by month and by
/// channel, with a total row, under the same heading lines as the workbook. Landscape A4, the
/// font embedded (Vietnamese text stays searchable and copyable).
pub(super) async fn report_pdf(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    Query(params): Query<FigureParams>,
) -> AppResult<Response> {
    use crate::pdf::{Block, Orientation, Table};
    let t = tr(&st, lang, "/staff/figures").await.for_staff(&s.actor);
    let (code, period) = report_period(&params)?;
    let mut q = params.query().map_err(DomainError::Invalid)?;
    let agencies = st.store.agencies().await?;
    let categories = st.store.categories().await?;
    let title = format!(
        "{} — {}",
        t.get("figures-report-title"),
        report_title(&t, &code)
    );
    let mut blocks = vec![Block::Title(title.clone())];
    for by in [GroupBy::Agency, GroupBy::Month, GroupBy::Channel] {
        q.by = by;
        let table = stats::dashboard(&st, &s, &q)
            .await?
            .ok_or(DomainError::NotFound)?;
        if blocks.len() == 1 {
            blocks.extend(
                report_lines(&t, &period, &table.figures)
                    .into_iter()
                    .map(Block::Text),
            );
        }
        let mut labels = Vec::with_capacity(table.rows.len());
        for key in table.rows.keys() {
            labels.push(row_label(&st, &t, by, &agencies, &categories, key).await);
        }
        let rows: Vec<(&String, &Counts)> = labels.iter().zip(table.rows.values()).collect();
        let total = t.get("figures-total");
        for (name, columns) in TABLES {
            blocks.push(Block::Heading(format!(
                "{} — {}",
                t.get(name),
                t.get(format!("figures-by-{}", by.code()))
            )));
            let header = std::iter::once(t.get(format!("figures-by-{}", by.code())))
                .chain(columns.iter().map(|c| t.get(label_key(c.metric))))
                .collect();
            let rows = rows
                .iter()
                .copied()
                .chain(std::iter::once((&total, &table.total)))
                .map(|(label, counts)| {
                    // "(63 %)" stays on one line when a share wraps.
                    std::iter::once(label.clone())
                        .chain(
                            columns
                                .iter()
                                .map(|c| cell(counts, c).replace(" %", "\u{a0}%")),
                        )
                        .collect()
                })
                .collect();
            blocks.push(Block::Table(Table { header, rows }));
        }
    }
    let bytes = crate::pdf::render_on(Orientation::Landscape, &title, &blocks)
        .map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"minhbach-{code}.pdf\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// One proposal as the public sees it.
pub(super) struct ProposalRow {
    pub article: String,
    pub body: String,
    /// Month received, `MM/YYYY`.
    pub month: String,
    pub outcome: Option<String>,
    pub explanation: Option<String>,
}

/// One regulation on the public page, with the proposals that point at it.
pub(super) struct RegulationGroup {
    pub document: String,
    pub proposals: Vec<ProposalRow>,
}

#[derive(Template)]
#[template(path = "regulations.html")]
struct RegulationsPage {
    t: Tr,
    groups: Vec<RegulationGroup>,
}

impl RegulationsPage {
    fn outcome(&self, o: &Option<String>) -> String {
        match o {
            Some(code) => self.t.get(format!("regulation-outcome-{code}")),
            None => self.t.get("regulation-pending"),
        }
    }
}

/// Loophole proposals by regulation, with what the issuing body did: never the reporter, never
/// the text of the proposal.
pub(super) async fn regulations(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
) -> AppResult<Response> {
    let t = tr(&st, lang, "/regulations").await;
    let agencies = st.store.agencies().await?;
    let mut groups: Vec<RegulationGroup> = Vec::new();
    for r in minhbach_app::regulations::public(&st).await? {
        let body = agencies
            .iter()
            .find(|a| a.id == r.agency)
            .map(|a| name_of(a, &t))
            .unwrap_or_default();
        let month = minhbach_app::clock::local_date(r.received_at)
            .map(|d| format!("{:02}/{}", u8::from(d.month()), d.year()))
            .unwrap_or_default();
        let entry = ProposalRow {
            article: r.article,
            body,
            month,
            outcome: r.outcome,
            explanation: r.explanation,
        };
        match groups.last_mut().filter(|g| g.document == r.document) {
            Some(g) => g.proposals.push(entry),
            None => groups.push(RegulationGroup {
                document: r.document,
                proposals: vec![entry],
            }),
        }
    }
    Ok(page(RegulationsPage { t, groups }))
}

#[derive(Template)]
#[template(path = "figures_signals.html")]
struct SignalsPage {
    t: Tr,
    staff_name: String,
    csrf: String,
    as_of: Option<String>,
    signals: Vec<stats::Signal>,
    agencies: Vec<Agency>,
    base: String,
}

impl SignalsPage {
    fn agency(&self, id: &AgencyId) -> String {
        AgencyName::find(&self.agencies, *id).name(self.t.lang)
    }

    fn label(&self, code: &str) -> String {
        self.t.get(format!("signal-{}", code.replace('_', "-")))
    }

    fn means(&self, code: &str) -> String {
        self.t
            .get(format!("signal-{}-means", code.replace('_', "-")))
    }

    fn share(&self, s: &stats::Signal) -> String {
        share(s.count, s.of)
    }

    fn peers(&self, s: &stats::Signal) -> String {
        s.peers_per_mille.map_or_else(
            || self.t.get("signals-no-peers"),
            |m| format!("{} %", (m + 5) / 10),
        )
    }

    fn drill(&self, s: &stats::Signal) -> String {
        let mut q = format!(
            "/staff/figures/cases?metric={}&by=agency&row={}",
            s.metric.code(),
            s.agency.0
        );
        if !self.base.is_empty() {
            q.push('&');
            q.push_str(&self.base);
        }
        q
    }

    fn codes(&self) -> Vec<&'static str> {
        stats::SIGNALS.iter().map(|(c, _, _)| *c).collect()
    }

    /// This table as CSV.
    fn csv(&self) -> String {
        if self.base.is_empty() {
            "/staff/figures/signals?format=csv".to_owned()
        } else {
            format!("/staff/figures/signals?{}&format=csv", self.base)
        }
    }
}

/// Signs of gaming, for overseers and leads: each signal explained, with the cases behind it.
pub(super) async fn signals(
    State(st): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Staff(s, _): Staff,
    Query(params): Query<FigureParams>,
) -> AppResult<Response> {
    let t = tr(&st, lang, "/staff/figures/signals")
        .await
        .for_staff(&s.actor);
    let mut q = params.query().map_err(DomainError::Invalid)?;
    q.by = GroupBy::Agency;
    let found = stats::signals(&st, &s, &q).await?;
    let agencies = st.store.agencies().await?;
    if params.format == "csv" {
        let header = [
            "signal",
            "agency",
            "count",
            "of",
            "peers_per_mille",
            "flagged",
        ];
        let signals = found
            .as_ref()
            .map(|(_, s)| s.as_slice())
            .unwrap_or_default();
        let lines = signals.iter().map(|g| {
            vec![
                g.code.to_owned(),
                AgencyName::find(&agencies, g.agency).name(t.lang),
                g.count.to_string(),
                g.of.to_string(),
                g.peers_per_mille.map(|m| m.to_string()).unwrap_or_default(),
                g.flagged.to_string(),
            ]
        });
        let body = csv_lines(std::iter::once(header.map(str::to_owned).to_vec()).chain(lines));
        return Ok(csv_attachment("figures-signals.csv", body));
    }
    let base = FigureParams {
        by: String::new(),
        ..params.clone()
    }
    .query_string();
    Ok(page(SignalsPage {
        staff_name: s.user.display_name.clone(),
        csrf: s.token.csrf(&st.secret),
        as_of: found.as_ref().map(|(f, _)| f.as_of.to_string()),
        signals: found.map(|(_, s)| s).unwrap_or_default(),
        agencies,
        base,
        t,
    }))
}
