//! The figures over HTTP (issue 8, must-haves 3 and 5): the overseers' dashboard with its CSV
//! export and drill-down, a lead limited to their own bodies, refusals for bad periods, and
//! nobody else.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
mod support;

use minhbach_app::clock::Clock;
use support::{Engine, TestApp};

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::Engine::Sqlite).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if super::support::postgres_url().is_none() {
                    use std::io::Write;
                    let _ = writeln!(std::io::stderr(), "SKIPPED {} on PostgreSQL: set MINHBACH_TEST_POSTGRES to run it", stringify!($name));
                    return;
                }
                super::$name(super::Engine::Postgres).await;
            })*
        }
    };
}

on_both_engines!(
    the_dashboard_shows_published_figures_their_cases_and_csv_to_overseers_only,
    the_public_figures_hide_small_counts_so_that_no_total_gives_them_away,
    a_loophole_proposal_is_answered_and_shown_by_regulation,
    a_partner_sees_the_figures_of_what_it_forwarded,
    the_periodic_report_holds_the_dashboards_figures_in_xlsx_and_pdf,
);

/// Three reports to Hoàn Kiếm and one to Cầu Giấy, published as of the day they came in.
async fn published(app: &TestApp) -> Vec<String> {
    let mut refs = Vec::new();
    for (agency, what) in [
        ("hoankiem", "Thu tiền sai quy định"),
        ("hoankiem", "Cấp phép chậm"),
        ("hoankiem", "Đấu thầu không công khai"),
        ("caugiay", "Sử dụng xe công"),
    ] {
        refs.push(app.submit_api_to("land", what, Some(agency)).await.0);
    }
    let day = app.state.today();
    app.set_time(app.clock.now() + time::Duration::days(1));
    minhbach_app::statistics::publish(&app.state, day, "test")
        .await
        .unwrap()
        .expect("published");
    refs
}

async fn the_dashboard_shows_published_figures_their_cases_and_csv_to_overseers_only(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let overseer = app.staff_cookie("giamsat").await;
    let before = app.get("/staff/figures", Some(&overseer)).await;
    assert_eq!(before.status, 200);
    assert!(
        before.body.contains("Chưa có số liệu nào được công bố"),
        "{}",
        before.body
    );

    let refs = published(&app).await;
    // A day later: a new session.
    let overseer = app.staff_cookie("giamsat").await;
    let hoankiem = app.agency("hoankiem");
    let page = app.get("/staff/figures", Some(&overseer)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Ủy ban nhân dân phường Hoàn Kiếm"));
    assert!(page.body.contains("<svg"), "charts drawn on the server");
    let at = page.body.find("/staff/figures/cases").unwrap();
    assert!(
        page.body
            .contains(&format!("metric=received&#38;row={hoankiem}")),
        "{}",
        &page.body[at..at + 120]
    );
    let drill = app
        .get(
            &format!("/staff/figures/cases?metric=received&row={hoankiem}"),
            Some(&overseer),
        )
        .await;
    assert_eq!(drill.status, 200);
    for r in &refs[..3] {
        assert!(
            drill.body.contains(r.as_str()),
            "{r} behind Hoàn Kiếm's figure"
        );
    }
    assert!(!drill.body.contains(refs[3].as_str()), "Cầu Giấy's is not");
    assert!(
        !drill.body.contains("Thu tiền sai quy định"),
        "never content"
    );
    // The list downloads as CSV, like every table of the figures.
    assert!(drill.body.contains("&#38;format=csv"), "{}", drill.body);
    let drill_csv = app
        .get(
            &format!("/staff/figures/cases?metric=received&row={hoankiem}&format=csv"),
            Some(&overseer),
        )
        .await;
    assert!(drill_csv
        .header("content-type")
        .unwrap()
        .starts_with("text/csv"));
    assert!(drill_csv
        .body
        .starts_with("reference,agency,state,category,channel,received_at\r\n"));
    assert!(
        drill_csv
            .body
            .lines()
            .skip(1)
            .all(|l| l.contains(",Ủy ban nhân dân phường Hoàn Kiếm,")),
        "{}",
        drill_csv.body
    );
    for r in &refs[..3] {
        assert!(drill_csv.body.contains(r.as_str()));
    }

    let csv = app.get("/staff/figures?format=csv", Some(&overseer)).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let header = csv.body.lines().nth(1).unwrap();
    assert!(
        header.starts_with("row,label,received,resolved,"),
        "{header}"
    );
    let total = csv.body.lines().last().unwrap();
    assert!(total.starts_with("total,"), "{total}");
    let hk = csv
        .body
        .lines()
        .find(|l| l.starts_with(&format!("{hoankiem},")))
        .unwrap();
    let received: u64 = hk.split(',').nth(2).unwrap().parse().unwrap();
    assert!(received >= 3, "{hk}");

    // The official reporting periods: Q4 2026 counts from 15 September to 14 December.
    let q4 = app
        .get("/staff/figures?period=2026-q4&format=csv", Some(&overseer))
        .await;
    assert_eq!(q4.status, 200);
    let page = app
        .get("/staff/figures?period=2026-q4", Some(&overseer))
        .await;
    assert!(
        page.body.contains("Quý IV/2026 (15/09/2026 – 14/12/2026)"),
        "{}",
        page.body
    );
    let odd = app
        .get("/staff/figures?period=2026-q9", Some(&overseer))
        .await;
    assert!(odd.body.contains("Chọn một kỳ báo cáo trong danh sách."));

    // Bad periods are told beside their field and nothing is shown.
    let bad = app
        .get("/staff/figures?from=2026-13-01", Some(&overseer))
        .await;
    assert_eq!(bad.status, 200);
    assert!(bad.body.contains("Nhập ngày theo dạng NNNN-TT-NN."));
    let reversed = app
        .get(
            "/staff/figures?from=2026-11-30&to=2026-11-01",
            Some(&overseer),
        )
        .await;
    assert!(reversed.body.contains("Kỳ kết thúc trước khi bắt đầu."));
    assert!(!reversed.body.contains("<svg"));

    // A lead sees their own agency, not another's; a handler and a reporter nothing.
    let lead = app.staff_cookie("caugiay.lanhdao").await;
    assert_eq!(app.get("/staff/figures", Some(&lead)).await.status, 200);
    assert_eq!(
        app.get(&format!("/staff/figures?agency={hoankiem}"), Some(&lead))
            .await
            .status,
        403
    );
    let drill = app
        .get("/staff/figures/cases?metric=received", Some(&lead))
        .await;
    assert!(drill.body.contains(refs[3].as_str()));
    assert!(!drill.body.contains(refs[0].as_str()), "not their agency's");
    let signals = app.get("/staff/figures/signals", Some(&overseer)).await;
    assert_eq!(signals.status, 200);
    assert!(signals.body.contains("Dấu hiệu bất thường"));
    assert!(signals.body.contains("Kết thúc vào phút chót"));
    let signals_csv = app
        .get("/staff/figures/signals?format=csv", Some(&overseer))
        .await;
    assert!(signals_csv
        .body
        .starts_with("signal,agency,count,of,peers_per_mille,flagged\r\n"));
    assert!(signals_csv
        .body
        .contains("Ủy ban nhân dân phường Hoàn Kiếm"));
    let handler = app.staff_cookie("caugiay.xuly").await;
    assert_eq!(app.get("/staff/figures", Some(&handler)).await.status, 403);
    assert_eq!(
        app.get("/staff/figures/signals", Some(&handler))
            .await
            .status,
        403
    );
    assert_eq!(
        app.get("/staff/figures/cases?metric=received", Some(&handler))
            .await
            .status,
        403
    );
    assert_eq!(app.get("/staff/figures", None).await.status, 401);
}

/// The public page and its open data (must-have 5): no count below the threshold, and no hidden
/// count that the published totals give away.
async fn the_public_figures_hide_small_counts_so_that_no_total_gives_them_away(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let none = app.get("/figures", None).await;
    assert_eq!(none.status, 200);
    assert!(none.body.contains("Chưa có số liệu nào được công bố"));
    assert_eq!(app.get("/open-data/figures.json", None).await.status, 404);

    // Eight reports to Hoàn Kiếm, two to Cầu Giấy (and the demo's three samples).
    for i in 0..10 {
        let agency = if i < 8 { "hoankiem" } else { "caugiay" };
        app.submit_api_to("land", &format!("Phản ánh số {i}"), Some(agency))
            .await;
    }
    let day = app.state.today();
    app.set_time(app.clock.now() + time::Duration::days(1));
    minhbach_app::statistics::publish(&app.state, day, "test")
        .await
        .unwrap()
        .unwrap();

    let page = app.get("/figures", None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(">ẩn</td>"), "hidden counts read ẩn");
    assert!(
        !page.body.contains("&#60; 5"),
        "never < 5: a count hidden with a small one need not be small"
    );
    assert!(page.body.contains("Ủy ban nhân dân phường Hoàn Kiếm"));
    let en = app.get("/figures?lang=en", None).await;
    assert!(en.body.contains("Is every report resolved on time?"));

    let data = app.get("/open-data/figures.json", None).await;
    assert_eq!(data.status, 200);
    let v = data.json();
    assert!(v["licence"].as_str().unwrap().contains("CC BY 4.0"));
    assert_eq!(v["threshold"], 5);
    assert!(v["audit_seq"].as_i64().unwrap() > 0);
    // No number below the threshold anywhere in the published data.
    fn numbers(v: &serde_json::Value, out: &mut Vec<u64>) {
        match v {
            serde_json::Value::Number(n) => out.extend(n.as_u64()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| numbers(x, out)),
            serde_json::Value::Object(o) => o
                .iter()
                .filter(|(k, _)| !["audit_seq", "threshold"].contains(&k.as_str()))
                .for_each(|(_, x)| numbers(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    numbers(&v["agencies"], &mut all);
    numbers(&v["total"], &mut all);
    numbers(&v["months"], &mut all);
    assert!(all.iter().all(|n| *n == 0 || *n >= 5), "{all:?}");
    let hidden = |x: &serde_json::Value| x.as_str() == Some("hidden");
    let agencies = v["agencies"].as_array().unwrap();
    let row = |code: &str| agencies.iter().find(|a| a["agency"] == code).unwrap();
    assert_eq!(row("hoankiem")["received"], 9, "8 and the demo's sample");
    assert!(hidden(&row("caugiay")["received"]), "2 is hidden");
    // The attacker: a column whose total is shown and in which one count alone is hidden
    // gives it away. None may exist.
    for column in [
        "received",
        "resolved",
        "within_90",
        "overdue_ever",
        "not_accepted",
    ] {
        let hidden_cells = agencies.iter().filter(|a| hidden(&a[column])).count();
        if !hidden(&v["total"][column]) {
            assert_ne!(
                hidden_cells, 1,
                "{column}: the total gives the hidden count away"
            );
        }
    }
    // The month table: its totals (per month) and the agencies' received totals are its
    // margins; with one month, a hidden agency count equals nothing shown.
    for m in v["months"].as_array().unwrap() {
        let r = &m["received"];
        assert!(hidden(r) || r.as_u64().unwrap() >= 5);
    }

    // The API answers the same.
    let api = app.get("/api/v1/figures", None).await;
    assert_eq!(api.status, 200);
    assert_eq!(api.json()["agencies"], v["agencies"]);
    let bad = app.get("/api/v1/figures?from=yesterday", None).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["fields"][0]["code"], "figures-bad-date");

    let csv = app.get("/open-data/figures.csv", None).await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("# minhbach: CC BY 4.0"));
    assert!(csv.body.contains(",hidden,"));
    // A reversed period is refused in the reader's language, and the open data says 422.
    let reversed = app
        .get("/figures?from=2026-12-01&to=2026-11-01", None)
        .await;
    assert!(reversed.body.contains("Kỳ kết thúc trước khi bắt đầu."));
    assert_eq!(
        app.get(
            "/open-data/figures.json?from=2026-12-01&to=2026-11-01",
            None
        )
        .await
        .status,
        422
    );
    assert_eq!(app.get("/open-data/other.txt", None).await.status, 404);
}

/// Loophole proposals (must-have 9): the form asks for the regulation, the issuing body's lead
/// records the outcome on the case page, and the public page shows it by regulation only.
async fn a_loophole_proposal_is_answered_and_shown_by_regulation(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let form = app.get("/report?category=regulation", None).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("id=\"regulation_document\""));
    assert!(form
        .body
        .contains("<details id=\"regulation\" class=\"questions\" open>"));
    let empty = app.get("/regulations", None).await;
    assert!(empty.body.contains("Chưa có kẽ hở nào được chỉ ra."));

    let sxd = app.agency("sxd").to_string();
    let r = app
        .post_json(
            "/api/v1/reports",
            serde_json::json!({
                "category": "regulation",
                "agency": sxd,
                "what": "Quy trình cho phép một cán bộ tự quyết định mức phí thẩm định",
                "regulation_document": "15/2020/NĐ-CP",
                "regulation_article": "Điều 5",
            }),
            None,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let reference = r.json()["reference"].as_str().unwrap().to_owned();

    let lead = app.staff_cookie("sxd.lanhdao").await;
    let case = app
        .get(&format!("/staff/cases/{reference}"), Some(&lead))
        .await;
    assert!(case.body.contains("15/2020/NĐ-CP"));
    let csrf = support::hidden(&case.body, "csrf");
    let path = format!("/staff/cases/{reference}/regulation");
    let refused = app
        .post_form(
            &path,
            &[("csrf", &csrf), ("outcome", "rejected")],
            Some(&lead),
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("field-error"),
        "the reason is asked beside its field"
    );
    let done = app
        .post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("outcome", "amended"),
                (
                    "explanation",
                    "Đã sửa Điều 5: mức phí do Hội đồng quyết định.",
                ),
            ],
            Some(&lead),
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let handler = app.staff_cookie("sxd.xuly").await;
    let csrf_h = support::hidden(&app.get("/staff/inbox", Some(&handler)).await.body, "csrf");
    let again = app
        .post_form(
            &path,
            &[("csrf", &csrf_h), ("outcome", "amended")],
            Some(&handler),
        )
        .await;
    assert!(
        again.status == 403 || again.status == 404,
        "{}",
        again.status
    );

    let public = app.get("/regulations", None).await;
    assert!(public.body.contains("15/2020/NĐ-CP"));
    assert!(public.body.contains("Đã sửa đổi quy định, thủ tục"));
    assert!(public
        .body
        .contains("Đã sửa Điều 5: mức phí do Hội đồng quyết định."));
    assert!(
        !public.body.contains("tự quyết định mức phí thẩm định"),
        "never the text"
    );
    assert!(!public.body.contains(&reference), "never the case");
}

/// A partner's page shows its own figures: the reports it forwarded, whoever may follow them.
async fn a_partner_sees_the_figures_of_what_it_forwarded(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let token = app.staff_token("mttq.doitac").await;
    for what in [
        "Phản ánh thứ nhất qua Mặt trận",
        "Phản ánh thứ hai qua Mặt trận",
    ] {
        let r = app
            .post_json(
                "/api/v1/staff/reports",
                serde_json::json!({
                    "channel": "walk_in",
                    "category": "land",
                    "agency": app.agency("hoankiem").to_string(),
                    "what": what,
                }),
                Some(&token),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let partner = app.staff_cookie("mttq.doitac").await;
    let before = app.get("/partner/cases", Some(&partner)).await;
    assert!(before.body.contains("Chưa có số liệu nào được công bố"));
    let day = app.state.today();
    app.set_time(app.clock.now() + time::Duration::days(1));
    minhbach_app::statistics::publish(&app.state, day, "test")
        .await
        .unwrap()
        .unwrap();
    let partner = app.staff_cookie("mttq.doitac").await;
    let page = app.get("/partner/cases", Some(&partner)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Số liệu của chúng tôi"), "{}", page.body);
    // Two received, none resolved yet: only the partner's, not the demo's three samples.
    assert!(
        page.body.contains("<dt>Tiếp nhận</dt><dd>2</dd>"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("<dt>Đã giải quyết</dt><dd>0 / 2 (0 %)</dd>"));
}

/// The numbers of the total row of the first worksheet of a workbook, in column order.
fn xlsx_total_row(bytes: &[u8]) -> Vec<u64> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let last = xml.rsplit("<row ").next().unwrap();
    // Cells of shared strings (t="s") hold an index, not a number.
    last.split("<c ")
        .skip(1)
        .filter(|c| !c.contains("t=\"s\""))
        .filter_map(|c| {
            c.split("<v>")
                .nth(1)?
                .split("</v>")
                .next()?
                .parse::<f64>()
                .ok()
        })
        .map(|v| v as u64)
        .collect()
}

/// The periodic report of Q4 2026 (must-have 4): the workbook's total row is the dashboard's
/// CSV total, metric by metric, and the PDF carries the same period, cut-off dates, audit
/// position and totals in Vietnamese text that can be extracted, diacritics included.
async fn the_periodic_report_holds_the_dashboards_figures_in_xlsx_and_pdf(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    published(&app).await;
    let overseer = app.staff_cookie("giamsat").await;
    let csv = app
        .get("/staff/figures?period=2026-q4&format=csv", Some(&overseer))
        .await;
    let total: Vec<u64> = csv
        .body
        .lines()
        .last()
        .unwrap()
        .split(',')
        .skip(2)
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(total[0] >= 4, "the four reports: {total:?}");

    let (status, headers, xlsx) = app
        .get_bytes("/staff/figures/report.xlsx?period=2026-q4", &overseer)
        .await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    assert_eq!(xlsx_total_row(&xlsx), total, "XLSX total = dashboard total");

    let (status, headers, pdf) = app
        .get_bytes("/staff/figures/report.pdf?period=2026-q4", &overseer)
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).unwrap();
    for words in [
        "Báo cáo định kỳ công tác tiếp nhận, giải quyết phản ánh, tố cáo",
        "Quý IV/2026",
        "15/09/2026 – 14/12/2026",
        "Nghị định 09/2019/NĐ-CP",
        "Ủy ban nhân dân phường Hoàn Kiếm",
        "Tiếp nhận và giải quyết — Kênh tiếp nhận",
    ] {
        assert!(text.contains(words), "{words} in {text}");
    }
    let audit = csv.body.lines().next().unwrap();
    let seq = audit.rsplit(' ').next().unwrap().trim_end_matches(')');
    assert!(text.contains(seq), "audit position {seq}");
    // The received total of the volume table by agency: the first number of its total row.
    let after = &text[text.find("Tổng").unwrap()..];
    let first: u64 = after
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap();
    assert_eq!(first, total[0], "{after}");

    // A report needs an official period; a handler gets nothing.
    let bad = app
        .get("/staff/figures/report.pdf?period=2026-q9", Some(&overseer))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("Chọn một kỳ báo cáo trong danh sách."),
        "{}",
        bad.body
    );
    let handler = app.staff_cookie("caugiay.xuly").await;
    assert_eq!(
        app.get("/staff/figures/report.pdf?period=2026-q4", Some(&handler))
            .await
            .status,
        403
    );
}
