//! Retention and secure deletion (issue 11, must-have 5): when a finished case's period ends,
//! the scheduler destroys its keys and sealed blobs and keeps its metadata; a legal hold keeps
//! it whatever the period says.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use minhbach_app::clock::Clock;
use minhbach_app::reporter::{self, ReceiptForm};
use minhbach_app::scheduler::{Scheduler, SchedulerSettings};
use minhbach_app::{casework, intake, retention, Error};
use minhbach_domain::{Channel, RawDecision};
use sqlx::Row;
use support::{harness, Engine, Harness};

impl Harness {
    /// A report the City Inspectorate does not accept (a final state of the "dismissed" class,
    /// five years). Returns the reference and the receipt.
    async fn dismissed(&self, what: &str) -> (String, String) {
        let done =
            intake::submit_report(&self.app, self.report(what, ""), Channel::Api, None, true)
                .await
                .unwrap();
        let officer = self.staff("tttp.tiepnhan").await;
        for (kind, reasons) in [
            ("start_triage", ""),
            ("not_accept", "Không thuộc thẩm quyền"),
        ] {
            let d = RawDecision {
                kind: kind.into(),
                reasons: reasons.into(),
                ..RawDecision::default()
            };
            casework::staff_transition(&self.app, &officer, &done.reference, &d)
                .await
                .unwrap();
        }
        (done.reference, done.receipt.expose())
    }

    fn scheduler(&self) -> Scheduler {
        let legal = self.app.legal();
        Scheduler::new(
            self.app.store.clone(),
            self.app.clock.clone(),
            Arc::new(move || legal.clone()),
            Arc::new(minhbach_app::mail::NoMailer),
            "node-a",
            "http://127.0.0.1",
            SchedulerSettings::default(),
        )
    }

    async fn count(&self, sql: &str, reference: &str) -> i64 {
        sqlx::query(sql)
            .bind(reference.to_owned())
            .fetch_one(self.sql.pool())
            .await
            .unwrap()
            .get::<i64, _>("n")
    }

    /// How many places still hold something of the case's content or keys.
    async fn content_left(&self, reference: &str) -> i64 {
        let case = "(SELECT id FROM cases WHERE reference = $1)";
        let mut n = 0;
        for sql in [
            format!("SELECT COUNT(*) AS n FROM case_keys WHERE case_id = {case}"),
            format!("SELECT COUNT(*) AS n FROM identity_shares WHERE case_id = {case}"),
            format!("SELECT COUNT(*) AS n FROM sessions WHERE case_id = {case}"),
            format!(
                "SELECT COUNT(*) AS n FROM messages WHERE case_id = {case} \
                 AND LENGTH(body_sealed) > 0"
            ),
            format!(
                "SELECT COUNT(*) AS n FROM case_events WHERE case_id = {case} \
                 AND reasons_sealed IS NOT NULL"
            ),
            "SELECT COUNT(*) AS n FROM cases WHERE reference = $1 AND (LENGTH(content_sealed) > 0 \
             OR LENGTH(case_key_reporter) > 0 OR LENGTH(case_key_recovery) > 0 \
             OR identity_sealed IS NOT NULL)"
                .to_owned(),
        ] {
            n += self.count(&sql, reference).await;
        }
        n
    }
}

on_both_engines!(a_finished_case_loses_its_content_when_its_period_ends_and_a_held_one_keeps_it,);

async fn a_finished_case_loses_its_content_when_its_period_ends_and_a_held_one_keeps_it(
    engine: Engine,
) {
    let h = harness(engine).await;
    let (gone, receipt) = h.dismissed("Phản ánh sẽ hết hạn lưu trữ").await;
    let (held, _) = h
        .dismissed("Phản ánh đang được thanh tra xem xét lại")
        .await;
    let s = reporter::reporter_session(
        &h.app,
        reporter::reporter_login(&h.app, &receipt, ReceiptForm::Unbound)
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    reporter::reporter_message(&h.app, &s, "Tôi bổ sung thêm thông tin", None)
        .await
        .unwrap();
    let lead = h.staff("tttp.lanhdao").await;
    assert!(retention::legal_hold(&h.app, &lead, &held, true)
        .await
        .unwrap());
    // Another agency's lead cannot hold (or learn of) it.
    let other = h.staff("caugiay.lanhdao").await;
    assert!(retention::legal_hold(&h.app, &other, &gone, true)
        .await
        .is_err());
    assert!(h.content_left(&gone).await > 0);

    // Four years on: the five-year period of a dismissed report has not ended.
    h.clock.advance(time::Duration::days(4 * 365));
    let run = h.scheduler().run_once().await.unwrap();
    assert_eq!(run.cases_purged, 0, "{run:?}");
    assert!(h.content_left(&gone).await > 0);

    // Five years and a day after it was dismissed: its keys and blobs are destroyed.
    h.clock.advance(time::Duration::days(366 + 2));
    let purged = retention::sweep(&*h.app.store, &h.app.legal(), h.clock.now())
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert_eq!(h.content_left(&gone).await, 0);
    assert!(
        h.content_left(&held).await > 0,
        "the held case keeps its content"
    );
    // The reporter is told, not shown an error; the metadata stays for the statistics.
    assert!(matches!(
        reporter::reporter_login(&h.app, &receipt, ReceiptForm::Unbound).await,
        Err(Error::CasePurged)
    ));
    let record = h.app.store.case_by_reference(&gone).await.unwrap().unwrap();
    assert_eq!(record.state.code(), "NOT_ACCEPTED");
    assert_eq!(record.category, "land");
    assert!(record.purged_at.is_some());
    assert_eq!(
        h.count(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'case.purged' AND case_id = \
             (SELECT id FROM cases WHERE reference = $1)",
            &gone
        )
        .await,
        1
    );
    // Nothing more to do on the next run; lifting the hold lets the period apply.
    let again = retention::sweep(&*h.app.store, &h.app.legal(), h.clock.now())
        .await
        .unwrap();
    assert_eq!(again, 0);
    let lead = h.staff("tttp.lanhdao").await;
    assert!(retention::legal_hold(&h.app, &lead, &held, false)
        .await
        .unwrap());
    h.clock.advance(time::Duration::days(1));
    let run = h.scheduler().run_once().await.unwrap();
    assert_eq!(run.cases_purged, 1, "{run:?}");
    assert_eq!(h.content_left(&held).await, 0);
    // The audit chain still verifies after the purges.
    assert!(h.app.store.audit_verify(&[]).await.unwrap().is_ok());
}
