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

on_both_engines!(the_dashboard_shows_published_figures_their_cases_and_csv_to_overseers_only);

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
    let handler = app.staff_cookie("caugiay.xuly").await;
    assert_eq!(app.get("/staff/figures", Some(&handler)).await.status, 403);
    assert_eq!(
        app.get("/staff/figures/cases?metric=received", Some(&handler))
            .await
            .status,
        403
    );
    assert_eq!(app.get("/staff/figures", None).await.status, 401);
}
