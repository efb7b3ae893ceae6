//! The store suite, on SQLite and (with `MINHBACH_TEST_POSTGRES`) on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use minhbach_domain::{AgencyId, CaseState, Role, UserId};
use minhbach_store::*;

#[macro_use]
mod common;

use common::Engine;

async fn open(engine: Engine, dir: &tempfile::TempDir) -> Arc<SqlStore> {
    open_with(&common::config(engine, dir, &common::unique_schema())).await
}

/// A store with the organisation, one agency and one category.
async fn open_with(config: &StoreConfig) -> Arc<SqlStore> {
    let s = Arc::new(SqlStore::open(config).await.unwrap());
    common::create_organisation(&s).await;
    s.create_agency(
        &NewAgency {
            code: "a".into(),
            name_vi: "A".into(),
            name_en: "A".into(),
            kind: "ward".into(),
            superior: None,
            now: 1,
        },
        &AuditEntry::new(1, "test", "agency", None),
    )
    .await
    .unwrap();
    s.upsert_category(
        &Category {
            code: "land".into(),
            name_vi: "Đất".into(),
            name_en: "Land".into(),
            position: 0,
        },
        &AuditEntry::new(1, "test", "cat", None),
    )
    .await
    .unwrap();
    s
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
        exclusions: Vec::new(),
        identity_threshold: None,
        identity_shares: Vec::new(),
        decoy: None,
        track: None,
        link: None,
        nonce_hash: nonce.map(|n| vec![n; 32]),
        demo: false,
        clocks: Vec::new(),
        due_on: None,
        held: false,
        attachments: None,
        registered_by: None,
        source_body: None,
        source_document: None,
        idempotency: None,
        partner: None,
        partner_follows: false,
        regulation: None,
    }
}

async fn references_are_random_with_a_check_digit_and_nonces_single_use(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let s = open(engine, &dir).await;
    let e = AuditEntry::new(100, "reporter", "case.submitted", None);
    let (_, r1) = s.submit(&case(1, Some(1)), &e).await.unwrap();
    let (_, r2) = s.submit(&case(2, Some(2)), &e).await.unwrap();
    assert!(matches!(
        s.submit(&case(3, Some(1)), &e).await,
        Err(StoreError::AlreadySubmitted)
    ));
    // Nothing of the refused submission was written.
    assert!(s.case_by_lookup(&[3; 32]).await.unwrap().is_none());
    let (_, r3) = s.submit(&case(4, None), &e).await.unwrap();
    // Finding L7: references parse with their check digit, are distinct and are not the
    // counter; the counter stays, inside, in receipt order.
    let mut numbers = Vec::new();
    for r in [&r1, &r2, &r3] {
        let parsed: minhbach_domain::Reference = r.parse().unwrap();
        assert_eq!((parsed.prefix.as_str(), parsed.year), ("HN", 2026), "{r}");
        numbers.push(parsed.number);
    }
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 3);
    assert_ne!(numbers, vec![1, 2, 3]);
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM cases ORDER BY id")
        .fetch_all(s.pool())
        .await
        .unwrap();
    assert_eq!(seqs, vec![1, 2, 3]);
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
        wraps: WrapChange::default(),
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
        must_change_password: false,
        totp_enrolled: true,
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
    assert_eq!(s.audit_verify(&[]).await.unwrap(), Ok(log.len()));
    assert_eq!(log.len(), 43);
}

/// Makes every COMMIT of a submission fail: a deferred check that the engine runs at COMMIT
/// (SQLite: a deferred foreign key, PostgreSQL: a deferred constraint trigger).
async fn fail_commits_of_submissions(s: &SqlStore, engine: Engine) {
    let statements: &[&str] = match engine {
        Engine::Sqlite => &[
            "CREATE TABLE fault_parent (id INTEGER PRIMARY KEY)",
            "CREATE TABLE fault_child (parent INTEGER REFERENCES fault_parent (id) \
             DEFERRABLE INITIALLY DEFERRED)",
            "CREATE TRIGGER fault_on_case AFTER INSERT ON cases \
             BEGIN INSERT INTO fault_child VALUES (-1); END",
        ],
        Engine::Postgres => &[
            "CREATE FUNCTION fault_fail() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected failure at commit'; END $$",
            "CREATE CONSTRAINT TRIGGER fault_on_case AFTER INSERT ON cases \
             DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fault_fail()",
        ],
    };
    for sql in statements {
        sqlx::query(sql).execute(s.pool()).await.unwrap();
    }
}

async fn a_failed_commit_leaves_no_open_transaction_and_the_next_write_commits(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let schema = common::unique_schema();
    let config = common::config(engine, &dir, &schema);
    let s = open_with(&config).await;
    let e = AuditEntry::new(100, "reporter", "case.submitted", None);
    let (_, first) = s.submit(&case(1, Some(1)), &e).await.unwrap();
    fail_commits_of_submissions(&s, engine).await;

    // The failing COMMIT is an error, never a reference handed out as if recorded.
    for i in 2..5u8 {
        let failed = s.submit(&case(i, Some(i)), &e).await;
        assert!(failed.is_err(), "a failed COMMIT was reported as success");
    }
    let drop = match engine {
        Engine::Sqlite => "DROP TRIGGER fault_on_case",
        Engine::Postgres => "DROP TRIGGER fault_on_case ON cases",
    };
    sqlx::query(drop).execute(s.pool()).await.unwrap();

    // The next write starts clean and commits for good: a second store on the same database
    // (another process, as after a restart) sees it, and nothing of the failed ones.
    let (_, next) = s.submit(&case(9, Some(9)), &e).await.unwrap();
    let other = SqlStore::open(&config).await.unwrap();
    for reference in [&first, &next] {
        assert!(
            other.case_by_reference(reference).await.unwrap().is_some(),
            "{reference} acknowledged but not committed"
        );
    }
    assert_ne!(first, next);
    for i in 2..5u8 {
        assert!(other.case_by_lookup(&[i; 32]).await.unwrap().is_none());
    }
    // The form nonces of the failed submissions were not burnt: the reporter can send again.
    other.submit(&case(2, Some(2)), &e).await.unwrap();
    let log = other.audit_log().await.unwrap();
    assert_eq!(other.audit_verify(&[]).await.unwrap(), Ok(log.len()));
}

on_both_engines!(
    references_are_random_with_a_check_digit_and_nonces_single_use,
    a_stale_decision_is_refused_without_writing,
    concurrent_appends_keep_one_unbroken_chain,
    a_failed_commit_leaves_no_open_transaction_and_the_next_write_commits
);

/// SQLite's "database or disk is full", produced by a page limit on the writer connection: the
/// submission fails as `Full` (a 503 for the user), and the connection that hit it is closed, so
/// the next write runs on a fresh one and commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_disk_full_is_reported_as_full_and_the_writer_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(Engine::Sqlite, &dir, "");
    let s = open_with(&config).await;
    let e = AuditEntry::new(100, "reporter", "case.submitted", None);
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(s.pool())
        .await
        .unwrap();
    sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
        .execute(s.pool())
        .await
        .unwrap();
    let mut big = case(1, Some(1));
    big.content_sealed = vec![5; 64 * 1024];
    assert!(matches!(s.submit(&big, &e).await, Err(StoreError::Full)));
    let (_, reference) = s.submit(&big, &e).await.unwrap();
    let other = SqlStore::open(&config).await.unwrap();
    assert!(other.case_by_reference(&reference).await.unwrap().is_some());
}

/// Below the free-space reserve, writes that grow the data are refused before they start, and
/// the bookkeeping of reading (sessions, read audit) goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn below_the_reserve_growth_is_refused_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config(Engine::Sqlite, &dir, "");
    let s = open_with(&config).await;
    let e = AuditEntry::new(100, "reporter", "case.submitted", None);
    let (id, _) = s.submit(&case(1, None), &e).await.unwrap();
    s.close().await;
    config.space = Some(SpaceGuard {
        dir: dir.path().to_path_buf(),
        reserve_bytes: u64::MAX,
    });
    let s = SqlStore::open(&config).await.unwrap();
    assert!(s.space().unwrap().unwrap().low());
    assert!(matches!(
        s.submit(&case(2, None), &e).await,
        Err(StoreError::Full)
    ));
    assert!(s.case_by_lookup(&[2; 32]).await.unwrap().is_none());
    s.audit(&AuditEntry::new(101, "reporter", "case.read", Some(id)))
        .await
        .unwrap();
    s.create_session(&NewSession {
        token_hash: vec![1; 32],
        kind: SessionKind::Reporter,
        user: None,
        case: Some(id),
        sealed_key: vec![2; 48],
        now: 101,
        expires_at: 1000,
    })
    .await
    .unwrap();
    assert!(s.session(&[1; 32], 102).await.unwrap().is_some());
}
