//! The reporter can push (issue 8, must-have 7): once a deadline of their case has passed with
//! no decision, the status page asks the superior body to act; the follow-up task opens at
//! once, exactly once per deadline, even when the reporter clicks many times while the overdue
//! scan runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use minhbach_app::intake;
use minhbach_app::reporter::{self, ReceiptForm};
use minhbach_app::scheduler::{Scheduler, SchedulerSettings};
use minhbach_domain::Channel;
use minhbach_store::{Escalation, EscalationState};
use sqlx::Row;
use support::{harness, Engine, Harness};

impl Harness {
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
        let case = self
            .app
            .store
            .case_by_reference(reference)
            .await
            .unwrap()
            .unwrap();
        sqlx::query(sql)
            .bind(case.id.0)
            .fetch_one(self.sql.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }
}

async fn the_reporter_s_push_opens_one_superior_task_under_concurrency(engine: Engine) {
    let h = harness(engine).await;
    let done = intake::submit_report(
        &h.app,
        h.report("Chưa ai xử lý", ""),
        Channel::Api,
        None,
        true,
    )
    .await
    .unwrap();
    let token = reporter::reporter_login(&h.app, &done.receipt.expose(), ReceiptForm::Unbound)
        .await
        .unwrap();
    let s = reporter::reporter_session(&h.app, token).await.unwrap();

    // Nothing is overdue yet: nothing to ask.
    assert_eq!(
        reporter::escalation_state(&h.app, &s).await.unwrap(),
        EscalationState::NotOverdue
    );
    assert_eq!(
        reporter::escalate(&h.app, &s).await.unwrap(),
        Escalation::NotOverdue
    );

    // Three weeks without a decision: the triage deadline (7 working days) has passed.
    h.clock.advance(time::Duration::days(21));
    assert_eq!(
        reporter::escalation_state(&h.app, &s).await.unwrap(),
        EscalationState::MayAsk
    );
    let app = Arc::new(h);
    let mut pushes = Vec::new();
    for _ in 0..6 {
        let h = app.clone();
        let token = reporter::reporter_login(&h.app, &done.receipt.expose(), ReceiptForm::Unbound)
            .await
            .unwrap();
        let s = reporter::reporter_session(&h.app, token).await.unwrap();
        pushes.push(tokio::spawn(
            async move { reporter::escalate(&h.app, &s).await },
        ));
    }
    let scan = {
        let h = app.clone();
        tokio::spawn(async move { h.scheduler().run_once().await })
    };
    let mut asked = 0;
    for p in pushes {
        match p.await.unwrap() {
            Ok(Escalation::Asked { .. }) => asked += 1,
            Ok(Escalation::AlreadyAsked) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    scan.await.unwrap().unwrap();
    assert_eq!(asked, 1, "exactly one push is recorded");
    let h = &app;
    let reference = &done.reference;
    assert_eq!(
        h.count(
            "SELECT COUNT(*) FROM escalation_requests WHERE case_id = $1",
            reference
        )
        .await,
        1
    );
    assert_eq!(
        h.count(
            "SELECT COUNT(*) FROM tasks WHERE case_id = $1 AND kind = 'superior_followup'",
            reference
        )
        .await,
        1,
        "one follow-up task for the missed deadline"
    );
    // The superior body's leads were told.
    assert!(
        h.count(
            "SELECT COUNT(*) FROM notifications WHERE case_id = $1 AND kind = 'superior_followup'",
            reference
        )
        .await
            >= 1
    );
    assert_eq!(
        reporter::escalation_state(&h.app, &s).await.unwrap(),
        EscalationState::Asked
    );
    assert_eq!(
        reporter::escalate(&h.app, &s).await.unwrap(),
        Escalation::AlreadyAsked
    );
    // Another scan later opens nothing more.
    h.clock.advance(time::Duration::days(1));
    h.scheduler().run_once().await.unwrap();
    assert_eq!(
        h.count(
            "SELECT COUNT(*) FROM tasks WHERE case_id = $1 AND kind = 'superior_followup'",
            reference
        )
        .await,
        1
    );
    let log = h.app.store.audit_log().await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|a| a.action == "case.escalated_by_reporter")
            .count(),
        1
    );
}

on_both_engines!(the_reporter_s_push_opens_one_superior_task_under_concurrency);
