//! The operations of minhbach tested without HTTP: the application over a real store (SQLite in
//! a temporary folder, or a schema of its own on PostgreSQL when `MINHBACH_TEST_POSTGRES` holds
//! a URL), a fixed clock, the demo city. Rules of the product are tested here; what is HTTP
//! (statuses, forms, cookies, headers) is tested in `crates/web/tests`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use minhbach_app::clock::Clock;
use minhbach_app::{casework, intake, reporter, Error};
use minhbach_domain::{Channel, DomainError};
use minhbach_store::{SqlStore, Store};
use support::{harness, harness_at, Engine};
use time::macros::datetime;

async fn a_receipt_is_given_only_for_a_committed_report_and_opens_it(engine: Engine) {
    let h = harness(engine).await;
    let text = "Cán bộ địa chính đòi 20 triệu đồng để nhận hồ sơ";
    let done = intake::submit_report(&h.app, h.report(text, "hoankiem"), Channel::Api, None, true)
        .await
        .unwrap();
    // Committed: another connection pool on the same database (another node, or the same
    // server after a restart) finds it.
    let other = SqlStore::open(&h.config).await.unwrap();
    assert!(other
        .case_by_reference(&done.reference)
        .await
        .unwrap()
        .is_some());
    let token = reporter::reporter_login(
        &h.app,
        &done.receipt.expose(),
        reporter::ReceiptForm::Unbound,
    )
    .await
    .unwrap();
    let session = reporter::reporter_session(&h.app, token).await.unwrap();
    let view = reporter::reporter_view(&h.app, &session).await.unwrap();
    assert_eq!(view.reference, done.reference);
    assert_eq!(view.content.what, text);
    assert!(
        view.available.is_empty(),
        "a reporter is offered no decision"
    );
}

async fn wrong_receipts_get_one_answer_and_guessing_cannot_lock_reporters_out(engine: Engine) {
    use reporter::ReceiptForm::{Form, Unbound};
    let h = harness(engine).await;
    let (_, good) = h.city.receipts[0].clone();
    let guesser = [1u8; 32];
    assert!(matches!(
        reporter::reporter_login(&h.app, "not a receipt", Form(&guesser)).await,
        Err(Error::MalformedReceipt)
    ));
    // One form allows a few wrong tries, then that form is paused.
    for _ in 1..h.app.settings.receipt_failures_per_form {
        assert!(matches!(
            reporter::reporter_login(&h.app, "AAAA-BBBB-CCCC-DDDD", Form(&guesser)).await,
            Err(Error::UnknownReceipt)
        ));
    }
    assert!(matches!(
        reporter::reporter_login(&h.app, &good, Form(&guesser)).await,
        Err(Error::Throttled)
    ));
    // Finding M3: far more guesses than the old service-wide limit of 30 a minute, from forms
    // and from callers with no form, do not pause a reporter with a form of their own.
    for i in 0..60u8 {
        let _ = reporter::reporter_login(&h.app, "AAAA-BBBB-CCCC-DDDD", Form(&[i; 32])).await;
        let _ = reporter::reporter_login(&h.app, "AAAA-BBBB-CCCC-DDDD", Unbound).await;
    }
    assert!(matches!(
        reporter::reporter_login(&h.app, "AAAA-BBBB-CCCC-DDDD", Unbound).await,
        Err(Error::Throttled)
    ));
    assert!(reporter::reporter_login(&h.app, &good, Form(&[200; 32]))
        .await
        .is_ok());
    // Only the node-wide ceiling pauses everyone, for a minute.
    let ceiling = h.app.settings.receipt_failures_per_minute;
    for i in 0..ceiling {
        let form = (i as u64).to_be_bytes();
        let _ = reporter::reporter_login(&h.app, "AAAA-BBBB-CCCC-DDDD", Form(&form)).await;
    }
    assert!(matches!(
        reporter::reporter_login(&h.app, &good, Form(&[201; 32])).await,
        Err(Error::Throttled)
    ));
    h.clock.advance(time::Duration::seconds(61));
    assert!(reporter::reporter_login(&h.app, &good, Form(&[201; 32]))
        .await
        .is_ok());
}

async fn only_the_receiving_agency_opens_a_case(engine: Engine) {
    let h = harness(engine).await;
    let done = intake::submit_report(
        &h.app,
        h.report("Báo cáo về phường Hoàn Kiếm", "hoankiem"),
        Channel::Api,
        None,
        true,
    )
    .await
    .unwrap();
    let own = h.staff("hoankiem.tiepnhan").await;
    let view = casework::staff_case_view(&h.app, &own, &done.reference)
        .await
        .unwrap();
    assert_eq!(view.content.what, "Báo cáo về phường Hoàn Kiếm");
    // Another agency's officer: the case does not exist for them (and they hold no key).
    let other = h.staff("tttp.tiepnhan").await;
    assert!(matches!(
        casework::staff_case_view(&h.app, &other, &done.reference).await,
        Err(Error::Domain(DomainError::NotFound))
    ));
}

async fn a_later_rule_set_applies_only_to_clocks_started_after_it(engine: Engine) {
    let h = harness_at(engine, datetime!(2026-11-27 09:00 +7)).await;
    let before = h.submit("Trước khi quy định mới có hiệu lực").await;
    // Fri 27 Nov + 7 working days → Tue 8 Dec.
    assert_eq!(h.triage_due(&before).await.as_deref(), Some("2026-12-08"));
    // A new rule set from 1 December gives triage 10 working days.
    let shipped = minhbach_app::legal::SHIPPED_RULE_SETS[1].1;
    let later = shipped
        .replace("effective_from = 2026-07-01", "effective_from = 2026-12-01")
        .replacen(
            "[rules.triage]\nunit = \"working_days\"\namount = 7",
            "[rules.triage]\nunit = \"working_days\"\namount = 10",
            1,
        );
    assert_ne!(later, shipped);
    let at = h.app.now();
    minhbach_app::legal::import_rule_set(h.app.store.as_ref(), &later, "test", at)
        .await
        .unwrap();
    h.app.load_legal().await.unwrap();
    assert_eq!(
        h.triage_due(&before).await.as_deref(),
        Some("2026-12-08"),
        "open clocks keep their rules"
    );
    let now = h.clock.now();
    h.clock.advance(datetime!(2026-12-02 09:00 +7) - now);
    let after = h.submit("Sau khi quy định mới có hiệu lực").await;
    // Wed 2 Dec + 10 working days → Wed 16 Dec.
    assert_eq!(h.triage_due(&after).await.as_deref(), Some("2026-12-16"));
    let bad = minhbach_app::legal::import_rule_set(
        h.app.store.as_ref(),
        "effective_from = 2027-01-01\nsource = \"x\"\n[rules.triage]\nunit = \"weeks\"",
        "test",
        at,
    )
    .await;
    assert!(bad.is_err(), "an invalid rule set is refused");
}

async fn the_audit_chain_verifies_and_detects_an_edited_row(engine: Engine) {
    let h = harness(engine).await;
    h.submit("Kiểm tra nhật ký").await;
    let log = h.app.store.audit_log().await.unwrap();
    assert!(log.len() > 10);
    assert_eq!(h.app.store.audit_verify(&[]).await.unwrap(), Ok(log.len()));
    // The application cannot edit or delete events: the database refuses.
    let edit = "UPDATE audit_log SET detail = '{\"edited\":true}' WHERE seq = 3";
    assert!(sqlx::query(edit).execute(h.sql.pool()).await.is_err());
    assert!(sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(h.sql.pool())
        .await
        .is_err());
    // Someone who owns the tables drops the guard and edits a row: the keyed chain shows it.
    support::drop_audit_guard(&h.sql, engine).await;
    sqlx::query(edit).execute(h.sql.pool()).await.unwrap();
    assert_eq!(
        h.app.store.audit_verify(&[]).await.unwrap(),
        Err(minhbach_store::ChainError::Edited { seq: 3 })
    );
}

/// Law on Denunciation Art. 38: a missed resolution deadline is escalated to the superior body
/// once, even when two scheduler nodes run on one database at the same moment.
async fn two_scheduler_nodes_escalate_a_missed_resolution_deadline_exactly_once(engine: Engine) {
    use minhbach_app::scheduler::{Scheduler, SchedulerSettings};
    use minhbach_domain::RawDecision;

    let h = harness_at(engine, datetime!(2026-11-02 09:00 +7)).await;
    let reference = intake::submit_report(
        &h.app,
        h.report("Chậm giải quyết", "caugiay"),
        Channel::Api,
        None,
        true,
    )
    .await
    .unwrap()
    .reference;
    let officer = h.staff("caugiay.tiepnhan").await;
    for decision in [
        RawDecision {
            kind: "start_triage".into(),
            ..RawDecision::default()
        },
        RawDecision {
            kind: "accept".into(),
            track: "denunciation".into(),
            document_number: "3/QĐ".into(),
            ..RawDecision::default()
        },
    ] {
        casework::staff_transition(&h.app, &officer, &reference, &decision)
            .await
            .unwrap();
    }
    // Resolution: 30 calendar days from Mon 2 Nov → Wed 2 Dec. On 10 Dec it is missed.
    let now = h.clock.now();
    h.clock.advance(datetime!(2026-12-10 09:00 +7) - now);
    let legal = h.app.legal();
    let node = |store: Arc<dyn Store>, name: &str| {
        let legal = legal.clone();
        Scheduler::new(
            store,
            h.app.clock.clone(),
            Arc::new(move || legal.clone()),
            Arc::new(minhbach_app::mail::NoMailer),
            name,
            "http://127.0.0.1",
            SchedulerSettings::default(),
        )
    };
    let second: Arc<dyn Store> = Arc::new(SqlStore::open(&h.config).await.unwrap());
    let a = node(h.app.store.clone(), "node-a");
    let b = node(second, "node-b");
    let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert!(ra.overdue.followup_tasks + rb.overdue.followup_tasks >= 1);

    let case = h
        .app
        .store
        .case_by_reference(&reference)
        .await
        .unwrap()
        .unwrap();
    let count = |sql: &'static str| {
        let (pool, id) = (h.sql.pool().clone(), case.id.0);
        async move {
            use sqlx::Row;
            sqlx::query(sql)
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
                .get::<i64, _>("n")
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM tasks WHERE case_id = $1 AND kind = 'superior_followup'")
            .await,
        1
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) AS n FROM case_clocks WHERE case_id = $1 AND breached_at IS NOT NULL"
        )
        .await,
        1
    );
    let log = h.app.store.audit_log().await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "deadline.breached" && e.case == Some(case.id))
            .count(),
        1
    );
    // The superior body (the default intake agency, the City Inspectorate) is told, once.
    let lead = h
        .app
        .store
        .user_by_username("tttp.lanhdao")
        .await
        .unwrap()
        .unwrap();
    let notes = h.app.store.notifications_for(lead.id, 50).await.unwrap();
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.case_reference.as_deref() == Some(reference.as_str())
                && n.kind == minhbach_store::jobs::NOTIFY_SUPERIOR_FOLLOWUP)
            .count(),
        1,
        "{notes:?}"
    );
    assert_eq!(h.app.store.audit_verify(&[]).await.unwrap(), Ok(log.len()));
}

/// Findings M1 and M2: sign-in attempts by strangers are bounded in size, per account and
/// across the node, and flooding with new names neither unlocks a paused account nor goes on
/// costing password hashing.
async fn sign_in_attempts_are_bounded(engine: Engine) {
    use minhbach_app::sessions::staff_login;
    let h = harness(engine).await;
    let huge = "a".repeat(200 * 1024);
    assert!(matches!(
        staff_login(&h.app, &huge, "x", "").await,
        Err(Error::BadLogin)
    ));
    let per_account = h.app.settings.login_failures_per_quarter_hour;
    for _ in 0..per_account {
        assert!(matches!(
            staff_login(&h.app, "tttp.lanhdao", "wrong password", "").await,
            Err(Error::BadLogin)
        ));
    }
    assert!(matches!(
        staff_login(&h.app, "tttp.lanhdao", "wrong password", "").await,
        Err(Error::Throttled)
    ));
    let global = h.app.settings.login_failures_global_per_quarter_hour;
    for i in per_account..global {
        assert!(matches!(
            staff_login(&h.app, &format!("stranger-{i}"), "guess", "").await,
            Err(Error::BadLogin)
        ));
    }
    // The node-wide budget is spent: no more hashing for anyone for a quarter of an hour.
    assert!(matches!(
        staff_login(&h.app, "stranger-new", "guess", "").await,
        Err(Error::Throttled)
    ));
    assert!(matches!(
        staff_login(&h.app, "tttp.lanhdao", "wrong password", "").await,
        Err(Error::Throttled)
    ));
    h.clock.advance(time::Duration::minutes(16));
    assert!(matches!(
        staff_login(&h.app, "stranger-new", "guess", "").await,
        Err(Error::BadLogin)
    ));
}

/// Finding L4: a message and a decision's reasons are bound to their sender, officer, time and
/// decision. A database writer who flips a sender, or swaps two messages' places, makes the
/// case fail to open instead of telling a different story.
async fn messages_and_reasons_are_bound_to_their_sender_and_place(engine: Engine) {
    let h = harness(engine).await;
    let done = intake::submit_report(
        &h.app,
        h.report("Ràng buộc tin nhắn", "hoankiem"),
        Channel::Api,
        None,
        true,
    )
    .await
    .unwrap();
    let token = reporter::reporter_login(
        &h.app,
        &done.receipt.expose(),
        reporter::ReceiptForm::Unbound,
    )
    .await
    .unwrap();
    let reporter_session = reporter::reporter_session(&h.app, token).await.unwrap();
    reporter::reporter_message(&h.app, &reporter_session, "Tôi là người báo cáo", None)
        .await
        .unwrap();
    let officer = h.staff("hoankiem.tiepnhan").await;
    casework::staff_reply(&h.app, &officer, &done.reference, "Chúng tôi đã nhận")
        .await
        .unwrap();
    let view = casework::staff_case_view(&h.app, &officer, &done.reference)
        .await
        .unwrap();
    assert_eq!(view.messages.len(), 2);
    let tamper = |sql: &'static str| {
        let pool = h.sql.pool().clone();
        async move { sqlx::query(sql).execute(&pool).await.unwrap() }
    };
    // The officer's reply passed off as the reporter's.
    tamper("UPDATE messages SET sender = 'reporter', user_id = NULL WHERE sender = 'staff'").await;
    assert!(casework::staff_case_view(&h.app, &officer, &done.reference)
        .await
        .is_err());
    tamper("UPDATE messages SET sender = 'staff', user_id = (SELECT id FROM users WHERE username = 'hoankiem.tiepnhan') WHERE body_sealed = (SELECT body_sealed FROM messages ORDER BY id DESC LIMIT 1)").await;
    assert!(
        casework::staff_case_view(&h.app, &officer, &done.reference)
            .await
            .is_ok(),
        "put back, it opens"
    );
    // The two messages' times swapped, to change their order.
    tamper("UPDATE messages SET created_at = created_at + 100000 WHERE sender = 'reporter'").await;
    assert!(casework::staff_case_view(&h.app, &officer, &done.reference)
        .await
        .is_err());
}

/// Finding M7: a burst of anonymous reports neither starts a flood of statutory clocks nor
/// loses a report. Past the budget, reports are recorded with their receipts but held, with no
/// clock; past the ceiling they are refused, to be sent again. An intake officer releases a held
/// report and its clocks then count from the day it was received.
async fn a_burst_of_reports_is_held_not_clocked_and_released_by_the_desk(engine: Engine) {
    let h = support::harness_with(engine, time::macros::datetime!(2026-03-10 09:00 +7), |s| {
        s.reports_per_minute = 3;
        s.reports_ceiling_per_minute = 5;
    })
    .await;
    let mut refs = Vec::new();
    for i in 0..5 {
        refs.push(h.submit(&format!("Phản ánh {i}")).await);
    }
    assert!(matches!(
        intake::submit_report(
            &h.app,
            h.report("Phản ánh thứ sáu", ""),
            Channel::Api,
            None,
            true
        )
        .await,
        Err(Error::TooManyReports)
    ));
    let clocks = |reference: String| {
        let h = &h;
        async move {
            let case = h
                .app
                .store
                .case_by_reference(&reference)
                .await
                .unwrap()
                .unwrap();
            (
                case.held_at.is_some(),
                h.app.store.clocks(case.id).await.unwrap().len(),
            )
        }
    };
    for r in &refs[..3] {
        let (held, n) = clocks(r.clone()).await;
        assert!(!held && n > 0, "{r}");
    }
    for r in &refs[3..] {
        assert_eq!(clocks(r.clone()).await, (true, 0), "{r}");
    }
    // Held, it cannot be decided on; the desk lists and releases it, two days later.
    let desk = h.staff("tttp.tiepnhan").await;
    let decided = casework::staff_transition(
        &h.app,
        &desk,
        &refs[3],
        &minhbach_domain::RawDecision {
            kind: "start_triage".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(
        decided,
        Err(Error::Domain(minhbach_domain::DomainError::Held))
    ));
    let listed = intake::held_reports(&h.app, &desk).await.unwrap();
    assert_eq!(listed.len(), 2);
    h.clock.advance(time::Duration::days(2));
    let desk = h.staff("tttp.tiepnhan").await;
    assert!(intake::release_held(&h.app, &desk, &refs[3]).await.unwrap());
    assert!(
        !intake::release_held(&h.app, &desk, &refs[3]).await.unwrap(),
        "once"
    );
    let (held, n) = clocks(refs[3].clone()).await;
    assert!(!held && n > 0);
    let case = h
        .app
        .store
        .case_by_reference(&refs[3])
        .await
        .unwrap()
        .unwrap();
    let rows = h.app.store.clocks(case.id).await.unwrap();
    assert!(
        rows.iter().all(|c| c.started_on == "2026-03-10"),
        "{rows:?}"
    );
    // A handler may not release; another agency's desk is told it does not exist.
    let handler = h.staff("tttp.xuly").await;
    assert!(intake::release_held(&h.app, &handler, &refs[4])
        .await
        .is_err());
    let other = h.staff("caugiay.tiepnhan").await;
    assert!(matches!(
        intake::release_held(&h.app, &other, &refs[4]).await,
        Err(Error::Domain(minhbach_domain::DomainError::NotFound))
    ));
    // A minute later the budget is back.
    h.clock.advance(time::Duration::seconds(61));
    let fresh = h.submit("Sau một phút").await;
    assert!(!clocks(fresh).await.0, "not held");
}

on_both_engines!(
    a_receipt_is_given_only_for_a_committed_report_and_opens_it,
    a_burst_of_reports_is_held_not_clocked_and_released_by_the_desk,
    messages_and_reasons_are_bound_to_their_sender_and_place,
    sign_in_attempts_are_bounded,
    wrong_receipts_get_one_answer_and_guessing_cannot_lock_reporters_out,
    only_the_receiving_agency_opens_a_case,
    a_later_rule_set_applies_only_to_clocks_started_after_it,
    the_audit_chain_verifies_and_detects_an_edited_row,
    two_scheduler_nodes_escalate_a_missed_resolution_deadline_exactly_once,
);
