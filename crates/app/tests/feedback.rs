//! After an outcome the reporter has the last word (issue 8, must-have 7): satisfied or not,
//! once; a request that the superior body review the resolution (Law on Denunciation Art. 37),
//! exactly once under concurrency, within the window of the dated rules; the superior's lead
//! records the outcome on the review's clock; and every step is counted in the figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use minhbach_app::reporter::{self, ReceiptForm, ReporterSession};
use minhbach_app::{feedback, intake, statistics};
use minhbach_domain::statistics::Metric;
use minhbach_domain::{Channel, DomainError};
use minhbach_store::ReReviewAsked;
use sqlx::Row;
use support::{harness, Engine, Harness};

on_both_engines!(
    the_reporter_answers_once_and_asks_one_review_that_the_superior_decides,
    a_review_is_refused_before_a_conclusion_and_after_its_window,
);

impl Harness {
    /// A fresh reporter session (it reads the case as it is now).
    async fn reporter(&self, receipt: &str) -> ReporterSession {
        let token = reporter::reporter_login(&self.app, receipt, ReceiptForm::Unbound)
            .await
            .unwrap();
        reporter::reporter_session(&self.app, token).await.unwrap()
    }

    async fn rows(&self, sql: &str) -> i64 {
        sqlx::query(sql)
            .fetch_one(self.sql.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    /// A report to Hoàn Kiếm ward, and its receipt.
    async fn report_to_ward(&self, what: &str) -> (String, String) {
        let done = intake::submit_report(
            &self.app,
            self.report(what, "hoankiem"),
            Channel::Api,
            None,
            true,
        )
        .await
        .unwrap();
        (done.reference, done.receipt.expose())
    }

    async fn conclude(&self, reference: &str) {
        let lead = "hoankiem.lanhdao";
        self.take_decision(lead, reference, "start_triage", |_| {})
            .await;
        self.take_decision(lead, reference, "accept", |d| {
            d.track = "denunciation".into()
        })
        .await;
        self.take_decision(lead, reference, "start_verification", |_| {})
            .await;
        self.take_decision(lead, reference, "conclude", |d| {
            d.finding = "unfounded".into()
        })
        .await;
    }
}

fn refused_with(e: minhbach_app::Error, code: &str) {
    match e {
        minhbach_app::Error::Domain(DomainError::Invalid(fields)) => {
            assert!(fields.iter().any(|f| f.code == code), "{fields:?}")
        }
        other => panic!("expected {code}, got {other}"),
    }
}

async fn the_reporter_answers_once_and_asks_one_review_that_the_superior_decides(engine: Engine) {
    let h = harness(engine).await;
    let (reference, receipt) = h.report_to_ward("Cán bộ phường thu tiền sai").await;
    let s = h.reporter(&receipt).await;
    // No outcome yet: nothing offered, and asking writes nothing.
    assert!(feedback::outcome_view(&h.app, &s).await.unwrap().is_none());
    refused_with(
        feedback::answer(&h.app, &s, true).await.unwrap_err(),
        "feedback-no-outcome",
    );
    refused_with(
        feedback::contest(&h.app, &s, "Kết luận sai")
            .await
            .unwrap_err(),
        "feedback-not-concluded",
    );
    assert_eq!(h.rows("SELECT COUNT(*) FROM outcome_feedback").await, 0);
    assert_eq!(h.rows("SELECT COUNT(*) FROM re_review_requests").await, 0);

    h.conclude(&reference).await;
    let concluded_on = h.app.today();
    let s = h.reporter(&receipt).await;
    let view = feedback::outcome_view(&h.app, &s).await.unwrap().unwrap();
    assert_eq!(view.answer, None);
    assert!(view.may_contest);
    assert_eq!(view.superior.unwrap().id, h.city.agency("tttp").unwrap().0);
    assert_eq!(
        view.contest_until,
        Some(concluded_on + time::Duration::days(30)),
        "the dated rule re_review_request: 30 calendar days"
    );

    // Satisfied or not: once.
    feedback::answer(&h.app, &s, false).await.unwrap();
    refused_with(
        feedback::answer(&h.app, &s, true).await.unwrap_err(),
        "feedback-answered",
    );
    let view = feedback::outcome_view(&h.app, &s).await.unwrap().unwrap();
    assert_eq!(view.answer, Some(false));

    // Grounds are required; a request without them writes nothing.
    refused_with(
        feedback::contest(&h.app, &s, "   ").await.unwrap_err(),
        "field-required",
    );
    assert_eq!(h.rows("SELECT COUNT(*) FROM re_review_requests").await, 0);

    // Six clicks at once: one request, one clock, one task, one copy of the grounds.
    let messages_before = h.rows("SELECT COUNT(*) FROM messages").await;
    let h = Arc::new(h);
    let mut asks = Vec::new();
    for _ in 0..6 {
        let h = h.clone();
        let s = h.reporter(&receipt).await;
        asks.push(tokio::spawn(async move {
            feedback::contest(&h.app, &s, "Kết luận không phù hợp với chứng cứ GROUNDS7").await
        }));
    }
    let mut asked = 0;
    for a in asks {
        match a.await.unwrap().unwrap() {
            ReReviewAsked::Asked => asked += 1,
            ReReviewAsked::AlreadyAsked => {}
        }
    }
    assert_eq!(asked, 1, "exactly one request is recorded");
    for (sql, n) in [
        ("SELECT COUNT(*) FROM re_review_requests", 1),
        (
            "SELECT COUNT(*) FROM case_clocks WHERE clock = 're_review'",
            1,
        ),
        ("SELECT COUNT(*) FROM tasks WHERE kind = 're_review'", 1),
        ("SELECT COUNT(*) FROM messages", messages_before + 1),
    ] {
        assert_eq!(h.rows(sql).await, n, "{sql}");
    }
    assert!(
        h.rows("SELECT COUNT(*) FROM notifications WHERE kind = 're_review'")
            .await
            >= 1
    );
    // The grounds are sealed like every message: not in the database in clear.
    let dump: Vec<u8> = sqlx::query("SELECT body_sealed FROM messages")
        .fetch_all(h.sql.pool())
        .await
        .unwrap()
        .iter()
        .flat_map(|r| r.try_get::<Vec<u8>, _>("body_sealed").unwrap())
        .collect();
    assert!(!dump.windows(7).any(|w| w == b"GROUNDS"));
    // The agency reads them with the case.
    let lead = h.staff("hoankiem.lanhdao").await;
    let case = minhbach_app::casework::staff_case_view(&h.app, &lead, &reference)
        .await
        .unwrap();
    assert!(case.messages.iter().any(|m| m.body.contains("GROUNDS7")));

    // The reporter sees who reviews it and by when (20 calendar days, Art. 37).
    let s = h.reporter(&receipt).await;
    let view = feedback::outcome_view(&h.app, &s).await.unwrap().unwrap();
    assert!(!view.may_contest);
    let review = view.review.unwrap();
    assert_eq!(
        review.due_on.as_deref(),
        Some(minhbach_app::clocks::iso(h.app.today() + time::Duration::days(20)).as_str())
    );

    // Only the superior's lead decides; the ward's lead and another body get "not found".
    let reviews = feedback::reviews(&h.app, &h.staff("tttp.lanhdao").await)
        .await
        .unwrap();
    assert_eq!(reviews.len(), 1);
    assert!(feedback::reviews(&h.app, &h.staff("tttp.xuly").await)
        .await
        .is_err());
    for who in ["hoankiem.lanhdao", "caugiay.lanhdao"] {
        let e = feedback::decide(
            &h.app,
            &h.staff(who).await,
            &reference,
            "upheld",
            "1/QĐ",
            "",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(e, minhbach_app::Error::Domain(DomainError::NotFound)),
            "{who}: {e}"
        );
    }
    let superior = h.staff("tttp.lanhdao").await;
    for (outcome, doc, date, code) in [
        ("maybe", "12/QĐ-TTTP", "", "field-invalid-choice"),
        ("resolve_again", " ", "", "field-required"),
        (
            "resolve_again",
            "12/QĐ-TTTP",
            "2099-01-01",
            "field-date-future",
        ),
        (
            "resolve_again",
            "12/QĐ-TTTP",
            "2020-01-01",
            "field-date-before-start",
        ),
        (
            "resolve_again",
            "12/QĐ-TTTP",
            "05/12/2026",
            "field-date-format",
        ),
    ] {
        refused_with(
            feedback::decide(&h.app, &superior, &reference, outcome, doc, date)
                .await
                .unwrap_err(),
            code,
        );
    }
    assert_eq!(
        h.rows("SELECT COUNT(*) FROM re_review_requests WHERE outcome IS NOT NULL")
            .await,
        0,
        "refusals write nothing"
    );
    h.clock.advance(time::Duration::days(5));
    feedback::decide(
        &h.app,
        &superior,
        &reference,
        "resolve_again",
        "12/QĐ-TTTP",
        "",
    )
    .await
    .unwrap();
    refused_with(
        feedback::decide(&h.app, &superior, &reference, "upheld", "13/QĐ-TTTP", "")
            .await
            .unwrap_err(),
        "feedback-decided",
    );
    assert_eq!(
        h.rows("SELECT COUNT(*) FROM case_clocks WHERE clock = 're_review' AND met = 1")
            .await,
        1,
        "decided within its 20 days"
    );
    let s = h.reporter(&receipt).await;
    let review = feedback::outcome_view(&h.app, &s)
        .await
        .unwrap()
        .unwrap()
        .review
        .unwrap();
    assert_eq!(review.outcome.as_deref(), Some("resolve_again"));
    assert_eq!(review.document_number.as_deref(), Some("12/QĐ-TTTP"));

    // Counted: the ward's reporter was not satisfied, contested, and the resolution is to be
    // redone; the city inspectorate reviewed on time.
    let rows = h.published_rows(&["hoankiem", "tttp"]).await;
    let (ward, city) = (rows[0], rows[1]);
    for m in [
        Metric::Dissatisfied,
        Metric::Contested,
        Metric::ResolveAgain,
    ] {
        assert_eq!(ward.get(m), 1, "{m:?}");
    }
    assert_eq!(ward.get(Metric::Satisfied), 0);
    assert_eq!(city.get(Metric::ReReviewDue), 1);
    assert_eq!(city.get(Metric::ReReviewOnTime), 1);
    let checks = statistics::verify(&h.app).await.unwrap();
    assert!(checks.iter().all(|c| c.passed()), "{checks:?}");
}

async fn a_review_is_refused_before_a_conclusion_and_after_its_window(engine: Engine) {
    let h = harness(engine).await;
    // Not accepted: an outcome to say something about, but no resolution to review.
    let (refused, receipt) = h.report_to_ward("Không thụ lý").await;
    h.take_decision("hoankiem.lanhdao", &refused, "start_triage", |_| {})
        .await;
    h.take_decision("hoankiem.lanhdao", &refused, "not_accept", |_| {})
        .await;
    let s = h.reporter(&receipt).await;
    let view = feedback::outcome_view(&h.app, &s).await.unwrap().unwrap();
    assert!(!view.may_contest);
    feedback::answer(&h.app, &s, true).await.unwrap();
    refused_with(
        feedback::contest(&h.app, &s, "Xin xem xét")
            .await
            .unwrap_err(),
        "feedback-not-concluded",
    );

    // Concluded, then 31 days pass: the window of the dated rule is closed.
    let (late, receipt) = h.report_to_ward("Quá hạn đề nghị").await;
    h.conclude(&late).await;
    h.clock.advance(time::Duration::days(31));
    let s = h.reporter(&receipt).await;
    let view = feedback::outcome_view(&h.app, &s).await.unwrap().unwrap();
    assert!(!view.may_contest);
    refused_with(
        feedback::contest(&h.app, &s, "Xin xem xét")
            .await
            .unwrap_err(),
        "feedback-window-closed",
    );
    assert_eq!(h.rows("SELECT COUNT(*) FROM re_review_requests").await, 0);
    assert_eq!(
        h.rows("SELECT COUNT(*) FROM case_clocks WHERE clock = 're_review'")
            .await,
        0
    );

    // Resolved by the city inspectorate, which has no body above it on minhbach: the page says
    // to write to that body, and a request here is refused.
    let done = intake::submit_report(
        &h.app,
        h.report("Thanh tra thành phố giải quyết", ""),
        Channel::Api,
        None,
        true,
    )
    .await
    .unwrap();
    let lead = "tttp.lanhdao";
    h.take_decision(lead, &done.reference, "start_triage", |_| {})
        .await;
    h.take_decision(lead, &done.reference, "accept", |d| {
        d.track = "denunciation".into()
    })
    .await;
    h.take_decision(lead, &done.reference, "start_verification", |_| {})
        .await;
    h.take_decision(lead, &done.reference, "conclude", |d| {
        d.finding = "partly".into()
    })
    .await;
    let s = h.reporter(&done.receipt.expose()).await;
    let view = feedback::outcome_view(&h.app, &s).await.unwrap().unwrap();
    assert!(!view.may_contest && view.write_to_superior && view.superior.is_none());
    refused_with(
        feedback::contest(&h.app, &s, "Xin xem xét")
            .await
            .unwrap_err(),
        "feedback-no-superior",
    );
    assert_eq!(h.rows("SELECT COUNT(*) FROM re_review_requests").await, 0);

    // A decoy session is answered as if it worked and changes nothing.
    let (_, receipt) = h.report_to_ward("Có mã giả").await;
    let s = h.reporter(&receipt).await;
    let decoy = ReporterSession {
        decoy: Some("Nội dung giả".into()),
        ..s
    };
    assert!(feedback::outcome_view(&h.app, &decoy)
        .await
        .unwrap()
        .is_none());
    feedback::answer(&h.app, &decoy, false).await.unwrap();
    assert_eq!(h.rows("SELECT COUNT(*) FROM outcome_feedback").await, 1);
}
