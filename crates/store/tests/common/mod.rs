//! What the store's test binaries share: the engines, how to reach each, and the macro that runs
//! every test on both (PostgreSQL when `MINHBACH_TEST_POSTGRES` holds a URL; each test then uses
//! its own schema).

use minhbach_store::{AuditEntry, NewOrganisation, SqlStore, Store, StoreConfig};

#[derive(Clone, Copy)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The store configuration of a test: a database file in `dir`, or `schema` on PostgreSQL. Every
/// store opened from it (two nodes of one deployment) chains the audit log under one key.
pub fn config(engine: Engine, dir: &tempfile::TempDir, schema: &str) -> StoreConfig {
    let mut c = bare_config(engine, dir, schema);
    c.audit_key =
        minhbach_crypto::AuditKey::derive(&minhbach_crypto::ServerSecret::from_bytes([1; 32]));
    c
}

fn bare_config(engine: Engine, dir: &tempfile::TempDir, schema: &str) -> StoreConfig {
    match engine {
        Engine::Sqlite => {
            StoreConfig::new(format!("sqlite://{}", dir.path().join("s.db").display()))
        }
        Engine::Postgres => {
            let mut c =
                StoreConfig::new(std::env::var("MINHBACH_TEST_POSTGRES").unwrap_or_default());
            c.schema = Some(schema.to_owned());
            c
        }
    }
}

/// Creates the organisation every store test starts from.
pub async fn create_organisation(store: &SqlStore) {
    let org = NewOrganisation {
        name: "T".into(),
        reference_prefix: "HN".into(),
        recovery_public_key: vec![1; 32],
        demo: false,
        now: 1,
    };
    store
        .create_organisation(&org, &AuditEntry::new(1, "test", "org", None))
        .await
        .unwrap();
}

/// A schema name no other test uses.
pub fn unique_schema() -> String {
    format!("t_{:012x}", rand::random::<u64>() >> 16)
}

/// Runs each named `async fn(Engine)` as a test on SQLite and one on PostgreSQL.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Engine::Sqlite).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if std::env::var("MINHBACH_TEST_POSTGRES").map_or(true, |v| v.is_empty()) {
                    // Straight to stderr: the test harness would swallow eprintln! of a passing test.
                    use std::io::Write;
                    let _ = writeln!(std::io::stderr(), "SKIPPED {} on PostgreSQL: set MINHBACH_TEST_POSTGRES to run it", stringify!($name));
                    return;
                }
                super::$name(super::Engine::Postgres).await;
            })*
        }
    };
}
