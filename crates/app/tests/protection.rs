//! Protection as a case of its own, retaliation reports, the risk screen and the decoy code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use minhbach_app::protection::{self, RawMeasure, Request, StepInput};
use minhbach_app::reporter::{self, ReporterSession};
use minhbach_app::scheduler::{Scheduler, SchedulerSettings};
use minhbach_app::{casework, intake, Error};
use minhbach_domain::{Channel, DomainError, RawReport, RiskScreen, Track};
use support::{harness, Engine, Harness};

impl Harness {
    /// A report at the Hoàn Kiếm ward and its reporter's session.
    async fn reporter_of_new_case(&self, decoy: bool) -> (String, ReporterSession, Option<String>) {
        let raw = RawReport {
            decoy: if decoy { "yes".into() } else { String::new() },
            decoy_what: if decoy {
                "Xin cấp lại sổ hộ khẩu".into()
            } else {
                String::new()
            },
            ..self.report("Chủ tịch phường ép tôi rút đơn", "hoankiem")
        };
        let done = intake::submit_report(&self.app, raw, Channel::Api, None, true)
            .await
            .unwrap();
        let s = self.reporter(&done.receipt.expose()).await;
        (done.reference, s, done.decoy.map(|d| d.expose()))
    }

    async fn notified(&self, username: &str) -> Vec<String> {
        let user = self
            .app
            .store
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap();
        self.app
            .store
            .notifications_for(user.id, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.kind)
            .collect()
    }

    /// The reporter asks for protection for themselves alone.
    async fn ask_protection(&self, reporter: &ReporterSession, urgent: bool) {
        protection::reporter_request(
            &self.app,
            reporter,
            &Request {
                urgent,
                persons: &["self".to_owned()],
                details: "",
            },
        )
        .await
        .unwrap();
    }

    /// A scheduler node over the harness's store and clock.
    fn scheduler(&self) -> Scheduler {
        let legal = self.app.legal();
        Scheduler::new(
            self.app.store.clone(),
            self.app.clock.clone(),
            std::sync::Arc::new(move || legal.clone()),
            std::sync::Arc::new(minhbach_app::mail::NoMailer),
            "node-a",
            "http://127.0.0.1",
            SchedulerSettings::default(),
        )
    }

    /// How many "measure due for review" notifications the ward's protection officer has.
    async fn reviews_notified(&self) -> usize {
        self.notified("hoankiem.baove")
            .await
            .into_iter()
            .filter(|k| k == "protection_review")
            .count()
    }

    async fn reporter(&self, receipt: &str) -> ReporterSession {
        let token = reporter::reporter_login(&self.app, receipt, reporter::ReceiptForm::Unbound)
            .await
            .unwrap();
        reporter::reporter_session(&self.app, token).await.unwrap()
    }

    async fn assessment_due(&self, reference: &str) -> Option<String> {
        let case = self
            .app
            .store
            .case_by_reference(reference)
            .await
            .unwrap()
            .unwrap();
        self.app
            .store
            .clocks(case.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.clock == "protection_assessing" && c.completed_on.is_none())
            .filter_map(|c| c.due_on)
            .next_back()
    }

    async fn step(
        &self,
        id: i64,
        step: &str,
        reasons: &str,
        measures: &[RawMeasure],
    ) -> Result<String, Error> {
        let s = self.staff("hoankiem.baove").await;
        protection::decide(
            &self.app,
            &s,
            id,
            &StepInput {
                step,
                reasons,
                measures,
            },
        )
        .await
        .map(|st| st.code().to_owned())
    }
}

fn measure(kind: &str) -> RawMeasure {
    RawMeasure {
        kind: kind.into(),
        carried_by: "Công an phường Hoàn Kiếm".into(),
        starts_on: "2026-03-12".into(),
        review_on: "2026-04-12".into(),
        ends_on: String::new(),
    }
}

async fn a_protection_request_walks_every_state_with_its_deadlines(engine: Engine) {
    let h = harness(engine).await;
    let (reference, reporter, _) = h.reporter_of_new_case(false).await;
    // An unknown relative kind is refused and writes nothing.
    let bad = protection::reporter_request(
        &h.app,
        &reporter,
        &Request {
            urgent: false,
            persons: &["cousin".to_owned()],
            details: "",
        },
    )
    .await;
    assert!(matches!(&bad, Err(Error::Domain(DomainError::Invalid(f))) if f[0].field == "persons"));
    assert!(protection::reporter_protections(&h.app, &reporter)
        .await
        .unwrap()
        .is_empty());

    protection::reporter_request(
        &h.app,
        &reporter,
        &Request {
            urgent: false,
            persons: &["self".to_owned(), "child".to_owned()],
            details: "Tôi bị gọi lên làm việc và bị đe dọa điều chuyển công tác",
        },
    )
    .await
    .unwrap();
    // Five working days from Tuesday 10 March 2026: Tuesday 17 March.
    assert_eq!(
        h.assessment_due(&reference).await.as_deref(),
        Some("2026-03-17")
    );

    // The ward's protection officer sees it, with the reporter's account; another ward's does not.
    let officer = h.staff("hoankiem.baove").await;
    let list = protection::officer_list(&h.app, &officer).await.unwrap();
    assert_eq!(list.len(), 1);
    let id = list[0].id;
    assert!(list[0].details.as_deref().unwrap().contains("điều chuyển"));
    assert_eq!(list[0].persons, vec!["self", "child"]);
    let other = h.staff("caugiay.baove").await;
    assert!(matches!(
        protection::officer_view(&h.app, &other, id).await,
        Err(Error::Domain(DomainError::NotFound))
    ));
    // The protection officer reads no report content.
    assert!(matches!(
        casework::staff_case_view(&h.app, &officer, &reference).await,
        Err(Error::Domain(DomainError::NotFound))
    ));

    assert_eq!(
        h.step(id, "start_assessment", "", &[]).await.unwrap(),
        "ASSESSING"
    );
    let none = h.step(id, "activate", "", &[]).await;
    assert!(
        matches!(&none, Err(Error::Domain(DomainError::Invalid(f))) if f[0].field == "measures")
    );
    assert_eq!(
        h.step(id, "activate", "", &[measure("job_position")])
            .await
            .unwrap(),
        "ACTIVE"
    );
    assert_eq!(
        h.assessment_due(&reference).await,
        None,
        "the assessment clock is done"
    );
    assert_eq!(
        h.step(
            id,
            "modify",
            "",
            &[measure("job_position"), measure("life_health")]
        )
        .await
        .unwrap(),
        "MODIFIED"
    );
    let seen = protection::reporter_protections(&h.app, &reporter)
        .await
        .unwrap();
    assert_eq!(seen[0].state, "MODIFIED");
    assert_eq!(seen[0].measures.len(), 2);
    assert!(!seen[0].under_pressure && seen[0].risk.is_none());
    let no_reasons = h.step(id, "end", "", &[]).await;
    assert!(
        matches!(&no_reasons, Err(Error::Domain(DomainError::Invalid(f))) if f[0].field == "reasons")
    );
    assert_eq!(
        h.step(id, "end", "Người bị tố cáo đã bị đình chỉ công tác", &[])
            .await
            .unwrap(),
        "ENDED"
    );
    assert!(matches!(
        h.step(id, "modify", "", &[measure("honour")]).await,
        Err(Error::Domain(DomainError::TransitionNotAllowed))
    ));

    // A retaliation report: a linked case on the retaliation track with its own receipt, and
    // the protection goes back to assessment, urgently (the same day).
    let done =
        protection::submit_retaliation(&h.app, &reporter, "Tôi bị cho thôi việc sau khi phản ánh")
            .await
            .unwrap()
            .unwrap();
    let linked = h
        .app
        .store
        .case_by_reference(&done.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.track, Some(Track::Retaliation));
    let links = h.app.store.links(linked.id).await.unwrap();
    assert!(links
        .iter()
        .any(|l| l.reference == reference && l.kind == "retaliation_of"));
    let seen = protection::reporter_protections(&h.app, &reporter)
        .await
        .unwrap();
    assert_eq!(seen[0].state, "ASSESSING");
    assert_eq!(
        h.assessment_due(&reference).await.as_deref(),
        Some("2026-03-10")
    );
    let log: Vec<String> = h
        .app
        .store
        .audit_log()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(log.iter().any(|a| a == "protection.requested"));
    assert_eq!(log.iter().filter(|a| *a == "protection.decided").count(), 5);

    // Counted once for the report, at the ward that protects: asked, granted, assessed on
    // time, and retaliation reported.
    use minhbach_domain::statistics::Metric;
    let row = h.published_row("hoankiem").await;
    for m in [
        Metric::ProtectionRequested,
        Metric::ProtectionGranted,
        Metric::Retaliation,
        Metric::ProtectionOnTime,
    ] {
        assert_eq!(row.get(m), 1, "{m:?}");
    }
    assert_eq!(row.get(Metric::ProtectionRejected), 0);
    assert_eq!(row.get(Metric::DisclosureRequested), 0);
}

async fn an_overdue_urgent_assessment_escalates_once(engine: Engine) {
    let h = harness(engine).await;
    let (reference, reporter, _) = h.reporter_of_new_case(false).await;
    h.ask_protection(&reporter, true).await;
    // Urgent: due the same day.
    assert_eq!(
        h.assessment_due(&reference).await.as_deref(),
        Some("2026-03-10")
    );
    h.clock.advance(time::Duration::days(2));
    let scheduler = h.scheduler();
    scheduler.run_once().await.unwrap();
    scheduler.run_once().await.unwrap();
    let log = h.app.store.audit_log().await.unwrap();
    let breached: Vec<_> = log
        .iter()
        .filter(|e| e.action == "deadline.breached" && e.detail.contains("protection_assessing"))
        .collect();
    assert_eq!(breached.len(), 1, "{breached:?}");
}

async fn a_high_risk_screen_opens_protection_and_is_shown_on_the_case(engine: Engine) {
    let h = harness(engine).await;
    let (reference, reporter, _) = h.reporter_of_new_case(false).await;
    let desk = h.staff("hoankiem.tiepnhan").await;
    let level = protection::screen_risk(
        &h.app,
        &desk,
        &reference,
        RiskScreen {
            works_under_accused: true,
            threatened: false,
            identifiable: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(level.code(), "high");
    let view = casework::staff_case_view(&h.app, &desk, &reference)
        .await
        .unwrap();
    assert_eq!(view.risk.as_deref(), Some("high"));
    assert_eq!(view.protection, vec!["REQUESTED".to_owned()]);
    let seen = protection::reporter_protections(&h.app, &reporter)
        .await
        .unwrap();
    assert_eq!(seen[0].opened_by, "risk_screen");
    // The reporter asking again while it is in progress gets a clear answer.
    assert!(matches!(
        protection::reporter_request(
            &h.app,
            &reporter,
            &Request {
                urgent: false,
                persons: &["self".to_owned()],
                details: "",
            },
        )
        .await,
        Err(Error::Domain(DomainError::ProtectionOpen))
    ));
}

async fn the_decoy_code_shows_an_ordinary_closed_case_and_flags_the_real_one(engine: Engine) {
    let h = harness(engine).await;
    let (reference, real, decoy) = h.reporter_of_new_case(true).await;
    let decoy = decoy.expect("a decoy code");
    reporter::reporter_message(&h.app, &real, "Tin nhắn thật SECRETTHREAD", None)
        .await
        .unwrap();
    let fake = h.reporter(&decoy).await;
    let view = reporter::reporter_view(&h.app, &fake).await.unwrap();
    assert_eq!(view.reference, reference);
    assert_eq!(view.state, "CLOSED");
    assert_eq!(view.content.what, "Xin cấp lại sổ hộ khẩu");
    assert!(view.messages.is_empty());
    // Nothing the decoy session does reaches the real case.
    reporter::reporter_message(&h.app, &fake, "bị ép", None)
        .await
        .unwrap();
    assert!(protection::submit_retaliation(&h.app, &fake, "x")
        .await
        .unwrap()
        .is_none());
    let real_view = reporter::reporter_view(&h.app, &real).await.unwrap();
    assert_eq!(real_view.messages.len(), 1);
    // The flag is set (after the answer) and only the protection officer sees it.
    let mut flagged = Vec::new();
    for _ in 0..50 {
        let officer = h.staff("hoankiem.baove").await;
        flagged = protection::under_pressure(&h.app, &officer).await.unwrap();
        if !flagged.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].0, reference);
    let desk = h.staff("hoankiem.tiepnhan").await;
    assert!(matches!(
        protection::under_pressure(&h.app, &desk).await,
        Err(Error::Domain(DomainError::Forbidden))
    ));
    let staff_view = serde_json::to_string(
        &casework::staff_case_view(&h.app, &desk, &reference)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(!staff_view.contains("pressure"));
    let log = h.app.store.audit_log().await.unwrap();
    assert!(log
        .iter()
        .all(|e| !e.action.contains("decoy") && !e.action.contains("pressure")));
}

async fn a_closed_case_asks_the_reporter_at_30_60_and_90_days(engine: Engine) {
    let h = harness(engine).await;
    let done = intake::submit_report(
        &h.app,
        h.report("Cán bộ thu tiền sai quy định", "hoankiem"),
        Channel::Api,
        None,
        true,
    )
    .await
    .unwrap();
    let (reference, receipt) = (done.reference, done.receipt.expose());
    let desk = h.staff("hoankiem.tiepnhan").await;
    for d in [
        minhbach_domain::RawDecision {
            kind: "start_triage".into(),
            ..Default::default()
        },
        minhbach_domain::RawDecision {
            kind: "not_accept".into(),
            reasons: "Không thuộc thẩm quyền".into(),
            ..Default::default()
        },
    ] {
        casework::staff_transition(&h.app, &desk, &reference, &d)
            .await
            .unwrap();
    }
    // A session lasts half an hour: the reporter comes back with the receipt each time.
    let again = || h.reporter(&receipt);
    assert!(protection::checkins(&h.app, &again().await)
        .await
        .unwrap()
        .is_empty());
    h.clock.advance(time::Duration::days(31));
    let due = protection::checkins(&h.app, &again().await).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].rule, "checkin_30");
    protection::answer_checkin(&h.app, &again().await, "checkin_30", true)
        .await
        .unwrap();
    assert!(matches!(
        protection::answer_checkin(&h.app, &again().await, "checkin_30", false).await,
        Err(Error::Domain(DomainError::AlreadyDecided))
    ));
    assert!(
        protection::answer_checkin(&h.app, &again().await, "checkin_60", false)
            .await
            .is_err()
    );
    h.clock.advance(time::Duration::days(60));
    let due = protection::checkins(&h.app, &again().await).await.unwrap();
    assert_eq!(due.len(), 3);
    assert_eq!(due[0].answer, Some(true));
    assert_eq!(due[2].answer, None);
    let log = h.app.store.audit_log().await.unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "protection.checkin_answered"));
}

async fn the_protection_officer_and_the_superior_are_alerted(engine: Engine) {
    let h = harness(engine).await;
    let (_, reporter, _) = h.reporter_of_new_case(false).await;
    h.ask_protection(&reporter, false).await;
    assert!(h
        .notified("hoankiem.baove")
        .await
        .contains(&"protection_request".to_owned()));
    assert!(!h
        .notified("tttp.lanhdao")
        .await
        .contains(&"retaliation_reported".to_owned()));
    let officer = h.staff("hoankiem.baove").await;
    let id = protection::officer_list(&h.app, &officer).await.unwrap()[0].id;
    h.step(id, "reject", "Chưa có dấu hiệu bị đe dọa", &[])
        .await
        .unwrap();
    protection::submit_retaliation(&h.app, &reporter, "Tôi bị điều chuyển công tác")
        .await
        .unwrap();
    // The ward's superior body in the demo is the City Inspectorate.
    assert!(h
        .notified("tttp.lanhdao")
        .await
        .contains(&"retaliation_reported".to_owned()));
}

async fn a_measure_due_for_review_is_flagged_once_and_retaliation_can_be_reported_by_reference(
    engine: Engine,
) {
    let h = harness(engine).await;
    let (reference, reporter, _) = h.reporter_of_new_case(false).await;
    h.ask_protection(&reporter, false).await;
    let officer = h.staff("hoankiem.baove").await;
    let id = protection::officer_list(&h.app, &officer).await.unwrap()[0].id;
    h.step(id, "activate", "", &[measure("confidentiality")])
        .await
        .unwrap();
    let scheduler = h.scheduler();
    scheduler.run_once().await.unwrap();
    assert_eq!(h.reviews_notified().await, 0, "not before 12 April");
    h.clock.advance(time::Duration::days(40));
    scheduler.run_once().await.unwrap();
    h.clock.advance(time::Duration::hours(2));
    scheduler.run_once().await.unwrap();
    assert_eq!(h.reviews_notified().await, 1, "once");

    // From the landing page, with the reference alone: a linked case, the original's
    // protection back to assessment, the superior told.
    let done = protection::submit_retaliation_by_reference(
        &h.app,
        &reference,
        "Tôi bị hạ bậc lương",
        None,
    )
    .await
    .unwrap();
    let linked = h
        .app
        .store
        .case_by_reference(&done.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.track, Some(Track::Retaliation));
    let seen = protection::reporter_protections(&h.app, &reporter)
        .await
        .unwrap();
    assert_eq!(seen[0].state, "ASSESSING");
    assert!(h
        .notified("tttp.lanhdao")
        .await
        .contains(&"retaliation_reported".to_owned()));
    let unknown =
        protection::submit_retaliation_by_reference(&h.app, "HN-2026-999999", "x", None).await;
    assert!(
        matches!(&unknown, Err(Error::Domain(DomainError::Invalid(f))) if f[0].field == "reference")
    );
}

on_both_engines!(
    a_measure_due_for_review_is_flagged_once_and_retaliation_can_be_reported_by_reference,
    a_closed_case_asks_the_reporter_at_30_60_and_90_days,
    the_protection_officer_and_the_superior_are_alerted,
    a_protection_request_walks_every_state_with_its_deadlines,
    an_overdue_urgent_assessment_escalates_once,
    a_high_risk_screen_opens_protection_and_is_shown_on_the_case,
    the_decoy_code_shows_an_ordinary_closed_case_and_flags_the_real_one,
);
