//! The store suite, on SQLite and (with `MINHBACH_TEST_POSTGRES`) on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use minhbach_domain::{AgencyId, CaseState, Role, UserId};
use minhbach_store::*;

#[macro_use]
mod common;

use common::Engine;

async fn open(engine: Engine, dir: &tempfile::TempDir) -> Arc<SqlStore> {
    let config = common::config(engine, dir, &common::unique_schema());
    let store = Arc::new(SqlStore::open(&config).await.unwrap());
    let audit = |a: &str| AuditEntry::new(1, "test", a, None);
    common::create_organisation(&store).await;
    store
        .create_agency(
            &NewAgency {
                code: "a".into(),
                name_vi: "A".into(),
                name_en: "A".into(),
                kind: "ward".into(),
                now: 1,
            },
            &audit("agency"),
        )
        .await
        .unwrap();
    store
        .upsert_category(
            &Category {
                code: "land".into(),
                name_vi: "Đất".into(),
                name_en: "Land".into(),
                position: 0,
            },
            &audit("cat"),
        )
        .await
        .unwrap();
    store
}

fn case(lookup: u8, nonce: Option<u8>) -> NewCase {
    NewCase {
        reference_prefix: "HN".into(),
        year: 2026,
        receipt_lookup: vec![lookup; 32],
        agency: AgencyId(1),
        category: "land".into(),
        channel: "web".into(),
        anonymous: true,
        now: 100,
        content_sealed: vec![9; 40],
        case_key_reporter: vec![8; 40],
        case_key_recovery: vec![7; 40],
        identity_sealed: None,
        identity_key_reporter: None,
        identity_key_recovery: None,
        staff_wraps: Vec::new(),
        nonce_hash: nonce.map(|n| vec![n; 32]),
        demo: false,
        clocks: Vec::new(),
        due_on: None,
    }
}

async fn references_are_sequential_per_year_and_nonces_single_use(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let s = open(engine, &dir).await;
    let e = AuditEntry::new(100, "reporter", "case.submitted", None);
    let (_, r1) = s.submit(&case(1, Some(1)), &e).await.unwrap();
    let (_, r2) = s.submit(&case(2, Some(2)), &e).await.unwrap();
    assert_eq!(
        (r1.as_str(), r2.as_str()),
        ("HN-2026-000001", "HN-2026-000002")
    );
    assert!(matches!(
        s.submit(&case(3, Some(1)), &e).await,
        Err(StoreError::AlreadySubmitted)
    ));
    // Nothing of the refused submission was written, not even its reference number.
    assert!(s.case_by_lookup(&[3; 32]).await.unwrap().is_none());
    let (_, r3) = s.submit(&case(4, None), &e).await.unwrap();
    assert_eq!(r3, "HN-2026-000003");
}

async fn a_stale_decision_is_refused_without_writing(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let s = open(engine, &dir).await;
    let e = AuditEntry::new(100, "reporter", "case.submitted", None);
    let (id, _) = s.submit(&case(1, None), &e).await.unwrap();
    let change = CaseChange {
        case: id,
        user: UserId(1),
        kind: "start_triage".into(),
        expected_state: CaseState::Received,
        expected_agency: AgencyId(1),
        new_state: CaseState::Triage,
        new_agency: AgencyId(1),
        new_track: None,
        forwarded: false,
        assignee: None,
        reasons_sealed: None,
        document_number: None,
        decision_date: None,
        legal_basis: None,
        detail: "{}".into(),
        new_wraps: None,
        extra_wraps: Vec::new(),
        link: None,
        new_clocks: Vec::new(),
        clock_updates: Vec::new(),
        due_on: None,
        overdue: false,
        now: 200,
    };
    // users(1) does not exist yet: create one so the event's foreign key holds.
    let u = NewUser {
        username: "u".into(),
        display_name: "U".into(),
        agency: Some(AgencyId(1)),
        role: Role::IntakeOfficer,
        password_hash: "x".into(),
        public_key: vec![0; 32],
        kek_salt: vec![0; 28],
        secret_key_sealed: vec![0; 60],
        secret_key_recovery: vec![0; 90],
        totp_sealed: None,
        now: 1,
    };
    let user = s
        .create_user(&u, &AuditEntry::new(1, "cli", "user.created", None))
        .await
        .unwrap();
    let change = CaseChange { user, ..change };
    let audit = AuditEntry::new(200, "user:1", "case.transition", Some(id));
    s.transition(&change, &audit).await.unwrap();
    let before = s.audit_log().await.unwrap().len();
    assert!(matches!(
        s.transition(&change, &audit).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        s.audit_log().await.unwrap().len(),
        before,
        "a refused decision leaves no audit event"
    );
    assert_eq!(s.events(id).await.unwrap().len(), 2);
}

async fn concurrent_appends_keep_one_unbroken_chain(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let s = open(engine, &dir).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.audit(&AuditEntry::new(i, format!("user:{i}"), "case.read", None))
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let log = s.audit_log().await.unwrap();
    assert_eq!(
        audit::verify(&log, Some(s.audit_head().await.unwrap())),
        Ok(log.len())
    );
    assert_eq!(log.len(), 43);
}

on_both_engines!(
    references_are_sequential_per_year_and_nonces_single_use,
    a_stale_decision_is_refused_without_writing,
    concurrent_appends_keep_one_unbroken_chain
);
