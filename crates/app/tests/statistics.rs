//! The figures (issue 8, must-haves 3 and 6): on a generated set of cases, every published
//! figure equals what this test computes on its own from the raw event and clock rows; a late
//! closure leaves "overdue ever" as it was; `stats verify` passes, and fails once an event row
//! is edited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use minhbach_app::intake;
use minhbach_app::scheduler::{Scheduler, SchedulerSettings};
use minhbach_app::statistics::{self, Query};
use minhbach_domain::statistics::Metric;
use minhbach_domain::Channel;
use sqlx::Row;
use support::{harness_at, Engine, Harness};
use time::macros::{date, datetime};

impl Harness {
    async fn scan(&self) {
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
        .run_once()
        .await
        .unwrap();
    }

    fn days(&self, n: i64) {
        self.clock.advance(time::Duration::days(n));
    }
}

/// The per-agency figures this test expects, computed from the raw rows (not with the
/// application's code): received and resolved at the agency holding the case at the cut-off,
/// forwarded by the agency that forwarded, triage deadlines by the clock's agency, overdue ever
/// when any clock of the case was breached before the cut-off.
async fn expected(h: &Harness, end: i64, day: &str) -> BTreeMap<(i64, &'static str), u64> {
    let pool = h.sql.pool();
    let mut out: BTreeMap<(i64, &'static str), u64> = BTreeMap::new();
    let cases = sqlx::query("SELECT id, received_at FROM cases WHERE received_at < $1")
        .bind(end)
        .fetch_all(pool)
        .await
        .unwrap();
    for c in cases {
        let id: i64 = c.try_get("id").unwrap();
        let mut arrived: i64 = c.try_get("received_at").unwrap();
        let events = sqlx::query(
            "SELECT at, kind, from_agency_id, to_agency_id FROM case_events \
             WHERE case_id = $1 AND at < $2 ORDER BY id",
        )
        .bind(id)
        .bind(end)
        .fetch_all(pool)
        .await
        .unwrap();
        let holder: i64 = events.last().unwrap().try_get("to_agency_id").unwrap();
        *out.entry((holder, "received")).or_default() += 1;
        let kinds: Vec<String> = events.iter().map(|e| e.try_get("kind").unwrap()).collect();
        if kinds
            .iter()
            .any(|k| ["not_accept", "conclude", "archive", "terminate"].contains(&k.as_str()))
        {
            *out.entry((holder, "resolved")).or_default() += 1;
        }
        for e in &events {
            if e.try_get::<String, _>("kind").unwrap() == "forward" {
                let from: i64 = e.try_get("from_agency_id").unwrap();
                let at: i64 = e.try_get("at").unwrap();
                *out.entry((from, "forwarded")).or_default() += 1;
                // Whole days the forwarder held it, from its arrival there.
                let days = ((at - arrived) / 86_400) as u64;
                if days > 0 {
                    *out.entry((from, "forward_days")).or_default() += days;
                }
                arrived = at;
            }
        }
        let clocks = sqlx::query(
            "SELECT clock, agency_id, completed_on, met, breached_at FROM case_clocks \
             WHERE case_id = $1",
        )
        .bind(id)
        .fetch_all(pool)
        .await
        .unwrap();
        let mut breached = false;
        for k in clocks {
            let b = k
                .try_get::<Option<i64>, _>("breached_at")
                .unwrap()
                .is_some_and(|at| at < end);
            breached |= b;
            let done = k
                .try_get::<Option<String>, _>("completed_on")
                .unwrap()
                .filter(|d| d.as_str() <= day);
            if k.try_get::<String, _>("clock").unwrap() == "triage" && (b || done.is_some()) {
                let agency: i64 = k.try_get("agency_id").unwrap();
                *out.entry((agency, "triage_due")).or_default() += 1;
                if done.is_some() && k.try_get::<Option<i64>, _>("met").unwrap() == Some(1) {
                    *out.entry((agency, "triage_on_time")).or_default() += 1;
                }
            }
        }
        if breached {
            *out.entry((holder, "overdue_ever")).or_default() += 1;
        }
    }
    out
}

async fn published_by_agency(h: &Harness) -> BTreeMap<(i64, &'static str), u64> {
    let overseer = h.staff("giamsat").await;
    let q = support::city_query();
    let table = statistics::dashboard(&h.app, &overseer, &q)
        .await
        .unwrap()
        .expect("published");
    let mut out = BTreeMap::new();
    for (agency, counts) in &table.rows {
        for m in [
            Metric::Received,
            Metric::Resolved,
            Metric::Forwarded,
            Metric::ForwardDays,
            Metric::TriageDue,
            Metric::TriageOnTime,
            Metric::OverdueEver,
        ] {
            if counts.get(m) > 0 {
                out.insert((agency.parse().unwrap(), m.code()), counts.get(m));
            }
        }
    }
    out
}

async fn figures_match_the_events_and_verify_catches_an_edit(engine: Engine) {
    let h = harness_at(engine, datetime!(2026-03-02 09:00 +7)).await;
    let hoankiem = h.city.agency("hoankiem").unwrap();
    let caugiay = h.city.agency("caugiay").unwrap();
    let mut refs = Vec::new();
    // Eighteen reports over eighteen days, to three agencies, by three channels.
    for i in 0..18 {
        let agency = ["hoankiem", "caugiay", ""][i % 3];
        let channel = [Channel::Web, Channel::Api][i % 2];
        let done = intake::submit_report(
            &h.app,
            h.report("Báo cáo số liệu", agency),
            channel,
            None,
            true,
        )
        .await
        .unwrap();
        refs.push((agency, done.reference));
        h.days(1);
    }
    let desk = |agency: &str| match agency {
        "hoankiem" => "hoankiem.lanhdao",
        "caugiay" => "caugiay.lanhdao",
        _ => "tttp.lanhdao",
    };
    // Decisions: every fourth is refused at once; every fourth + 1 is accepted and concluded;
    // every fourth + 2 of Hoàn Kiếm's is forwarded to Cầu Giấy; the rest wait.
    for (i, (agency, r)) in refs.iter().enumerate() {
        match i % 4 {
            0 => {
                h.take_decision(desk(agency), r, "start_triage", |_| {})
                    .await;
                h.take_decision(desk(agency), r, "not_accept", |_| {}).await;
            }
            1 => {
                h.take_decision(desk(agency), r, "start_triage", |_| {})
                    .await;
                h.take_decision(desk(agency), r, "accept", |d| {
                    d.track = "denunciation".into()
                })
                .await;
                h.take_decision(desk(agency), r, "start_verification", |_| {})
                    .await;
                h.take_decision(desk(agency), r, "conclude", |d| d.finding = "partly".into())
                    .await;
            }
            2 if *agency == "hoankiem" => {
                h.take_decision(desk(agency), r, "forward", |d| {
                    d.to_agency = caugiay.0.to_string()
                })
                .await;
            }
            _ => {}
        }
    }
    // A month on, the waiting cases are past their triage deadline.
    h.days(30);
    h.scan().await;
    let breach_day = h.app.today();
    h.days(1);
    let published = statistics::publish(&h.app, breach_day, "test")
        .await
        .unwrap();
    assert!(published.is_some());
    assert_eq!(
        statistics::publish(&h.app, breach_day, "test")
            .await
            .unwrap(),
        None,
        "a day is published once"
    );
    assert!(
        statistics::publish(&h.app, h.app.today(), "test")
            .await
            .is_err(),
        "today is not over"
    );
    let end = statistics::cutoff(breach_day).unwrap().end;
    let want = expected(&h, end, &breach_day.to_string()).await;
    assert!(want.get(&(hoankiem.0, "forwarded")).copied().unwrap_or(0) >= 1);
    assert!(
        want.get(&(hoankiem.0, "forward_days"))
            .copied()
            .unwrap_or(0)
            >= 3,
        "held three days before forwarding: {want:?}"
    );
    assert!(want.values().sum::<u64>() > 30);
    assert_eq!(published_by_agency(&h).await, want);
    let overdue_before = want
        .iter()
        .filter(|((_, m), _)| *m == "overdue_ever")
        .map(|(_, v)| *v)
        .sum::<u64>();
    assert!(overdue_before >= 4, "{want:?}");

    // The public figures are the same numbers, where they are shown.
    let public = statistics::public(&h.app, None, None, None)
        .await
        .unwrap()
        .unwrap();
    let mut shown = 0;
    for row in &public.rows {
        for (m, v) in statistics::PUBLIC_COUNTS.iter().zip(&row.counts) {
            if let statistics::Shown::Value(v) = v {
                let want = want.get(&(row.agency.0, m.code())).copied();
                if matches!(m, Metric::Received | Metric::Resolved | Metric::OverdueEver) {
                    assert_eq!(want.unwrap_or(0), *v, "{m:?} of {:?}", row.agency);
                    shown += 1;
                }
                assert!(*v == 0 || *v >= public.threshold);
            }
        }
    }
    assert!(shown > 0);

    // A late closure: a waiting case is refused now, weeks after its deadline.
    let (agency, late) = refs
        .iter()
        .enumerate()
        .find(|(i, (a, _))| i % 4 == 3 && *a == "caugiay")
        .map(|(_, r)| r.clone())
        .unwrap();
    h.take_decision(desk(agency), &late, "start_triage", |_| {})
        .await;
    h.take_decision(desk(agency), &late, "not_accept", |_| {})
        .await;
    let closure_day = h.app.today();
    h.days(1);
    statistics::publish(&h.app, closure_day, "test")
        .await
        .unwrap()
        .unwrap();
    let after = published_by_agency(&h).await;
    let end = statistics::cutoff(closure_day).unwrap().end;
    assert_eq!(after, expected(&h, end, &closure_day.to_string()).await);
    let overdue_after = after
        .iter()
        .filter(|((_, m), _)| *m == "overdue_ever")
        .map(|(_, v)| *v)
        .sum::<u64>();
    assert_eq!(
        overdue_after, overdue_before,
        "overdue ever is never erased"
    );
    assert_eq!(
        after.get(&(caugiay.0, "resolved")).copied().unwrap_or(0),
        want.get(&(caugiay.0, "resolved")).copied().unwrap_or(0) + 1
    );

    // The cases behind a figure: the late closure is among Cầu Giấy's resolved ones.
    let overseer = h.staff("giamsat").await;
    let q = Query {
        agency: Some(caugiay),
        ..support::city_query()
    };
    let (_, behind) = statistics::cases_behind(&h.app, &overseer, &q, Metric::Resolved, None)
        .await
        .unwrap();
    assert!(behind.iter().any(|c| c.reference == late));
    assert_eq!(
        behind.len() as u64,
        after[&(caugiay.0, "resolved")],
        "one case per count"
    );
    // A lead sees their own agency's figures, not another's; a handler none.
    let lead = h.staff("caugiay.lanhdao").await;
    assert!(statistics::dashboard(&h.app, &lead, &q)
        .await
        .unwrap()
        .is_some());
    let other = Query {
        agency: Some(hoankiem),
        ..q.clone()
    };
    assert!(statistics::dashboard(&h.app, &lead, &other).await.is_err());
    let handler = h.staff("caugiay.xuly").await;
    assert!(statistics::dashboard(&h.app, &handler, &q).await.is_err());
    // A period that ends before it starts is refused.
    let reversed = Query {
        from: Some(date!(2026 - 03 - 10)),
        to: Some(date!(2026 - 03 - 01)),
        ..q.clone()
    };
    assert!(statistics::dashboard(&h.app, &overseer, &reversed)
        .await
        .is_err());

    // Everything published verifies against the events and the audit log.
    let checks = statistics::verify(&h.app).await.unwrap();
    assert!(
        checks.len() >= 2,
        "the two days, and the scheduler's own publication"
    );
    assert!(checks.iter().all(|c| c.passed()), "{checks:?}");

    // Someone edits one event row: the forwarding becomes a refusal. Both days now differ.
    sqlx::query(
        "UPDATE case_events SET kind = 'not_accept' WHERE id = \
         (SELECT MIN(id) FROM case_events WHERE kind = 'forward')",
    )
    .execute(h.sql.pool())
    .await
    .unwrap();
    let checks = statistics::verify(&h.app).await.unwrap();
    assert!(checks.iter().all(|c| !c.passed()), "{checks:?}");
    let d = &checks[0].differences;
    assert!(d.iter().any(|d| d.metric == Metric::Forwarded
        && d.published == 1
        && d.recomputed == 0
        && d.cell.agency == hoankiem));

    // Editing the stored figures instead is caught by the digest the audit log recorded.
    sqlx::query("UPDATE case_events SET kind = 'forward' WHERE kind = 'not_accept' AND from_agency_id <> to_agency_id")
        .execute(h.sql.pool())
        .await
        .unwrap();
    assert!(statistics::verify(&h.app)
        .await
        .unwrap()
        .iter()
        .all(|c| c.passed()));
    sqlx::query("UPDATE figure_snapshots SET digest = 'x'")
        .execute(h.sql.pool())
        .await
        .unwrap();
    assert!(statistics::verify(&h.app)
        .await
        .unwrap()
        .iter()
        .all(|c| !c.matches_audit));
}

/// Signs of gaming (must-have 8): an agency that refuses every report stands out against the
/// other wards, and the sign opens the cases behind it.
async fn an_agency_that_refuses_everything_is_flagged_against_its_peers(engine: Engine) {
    let h = harness_at(engine, datetime!(2026-03-02 09:00 +7)).await;
    for i in 0..12 {
        let agency = if i % 2 == 0 { "hoankiem" } else { "caugiay" };
        let done = intake::submit_report(
            &h.app,
            h.report("Dấu hiệu", agency),
            Channel::Web,
            None,
            true,
        )
        .await
        .unwrap();
        let lead = format!("{agency}.lanhdao");
        h.take_decision(&lead, &done.reference, "start_triage", |_| {})
            .await;
        if agency == "hoankiem" {
            h.take_decision(&lead, &done.reference, "not_accept", |_| {})
                .await;
        } else {
            h.take_decision(&lead, &done.reference, "accept", |d| {
                d.track = "denunciation".into()
            })
            .await;
            h.take_decision(&lead, &done.reference, "start_verification", |_| {})
                .await;
            h.take_decision(&lead, &done.reference, "conclude", |d| {
                d.finding = "unfounded".into()
            })
            .await;
        }
    }
    let day = h.app.today();
    h.days(1);
    statistics::publish(&h.app, day, "test")
        .await
        .unwrap()
        .unwrap();
    let overseer = h.staff("giamsat").await;
    let q = support::city_query();
    let (_, signals) = statistics::signals(&h.app, &overseer, &q)
        .await
        .unwrap()
        .unwrap();
    let hoankiem = h.city.agency("hoankiem").unwrap();
    let caugiay = h.city.agency("caugiay").unwrap();
    let flagged: Vec<_> = signals.iter().filter(|s| s.flagged).collect();
    assert!(
        flagged
            .iter()
            .any(|s| s.code == "not_accepted" && s.agency == hoankiem && s.count == 6 && s.of == 6),
        "{flagged:?}"
    );
    assert!(
        !flagged
            .iter()
            .any(|s| s.agency == caugiay && s.code == "not_accepted"),
        "{flagged:?}"
    );
    assert!(signals[0].flagged, "flagged first");
    let behind = Query {
        agency: Some(hoankiem),
        ..q.clone()
    };
    let (_, cases) =
        statistics::cases_behind(&h.app, &overseer, &behind, Metric::NotAccepted, None)
            .await
            .unwrap();
    assert_eq!(cases.len(), 6);
    // A lead sees the signs of their own agency only.
    let lead = h.staff("caugiay.lanhdao").await;
    let (_, own) = statistics::signals(&h.app, &lead, &q)
        .await
        .unwrap()
        .unwrap();
    assert!(own.iter().all(|s| s.agency == caugiay));
}

on_both_engines!(
    figures_match_the_events_and_verify_catches_an_edit,
    an_agency_that_refuses_everything_is_flagged_against_its_peers,
);
