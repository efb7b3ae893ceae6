//! The application as the binary builds it, over a real store (SQLite in a temporary folder, or
//! a schema of its own on PostgreSQL when `MINHBACH_TEST_POSTGRES` holds a URL), a fixed clock
//! and the demo city; shared by the operation test binaries.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use minhbach_app::clock::{Clock, FixedClock};
use minhbach_app::demo::{self, DemoCity};
use minhbach_app::sessions::StaffSession;
use minhbach_app::{casework, intake, sessions, App, AppSettings};
use minhbach_crypto::{PasswordParams, ServerSecret};
use minhbach_domain::{Channel, RawReport};
use minhbach_store::{SqlStore, Store, StoreConfig};
use time::macros::datetime;

#[derive(Clone, Copy)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The application as the binary builds it, over the demo city.
pub struct Harness {
    pub app: App,
    pub sql: Arc<SqlStore>,
    pub clock: Arc<FixedClock>,
    pub config: StoreConfig,
    pub city: DemoCity,
    _dir: tempfile::TempDir,
}

pub async fn harness(engine: Engine) -> Harness {
    harness_at(engine, datetime!(2026-03-10 09:00 +7)).await
}

pub async fn harness_at(engine: Engine, start: time::OffsetDateTime) -> Harness {
    harness_with(engine, start, |_| {}).await
}

/// The harness with some settings changed (budgets, throttles).
pub async fn harness_with(
    engine: Engine,
    start: time::OffsetDateTime,
    change: impl FnOnce(&mut AppSettings),
) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let config = match engine {
        Engine::Sqlite => {
            StoreConfig::new(format!("sqlite://{}", dir.path().join("app.db").display()))
        }
        Engine::Postgres => {
            let mut c =
                StoreConfig::new(std::env::var("MINHBACH_TEST_POSTGRES").unwrap_or_default());
            c.schema = Some(format!("t_{:012x}", rand::random::<u64>() >> 16));
            c
        }
    };
    let sql = Arc::new(SqlStore::open(&config).await.unwrap());
    let store: Arc<dyn Store> = sql.clone();
    let clock = Arc::new(FixedClock::new(start));
    let mut settings = AppSettings {
        password: PasswordParams::TEST,
        ..AppSettings::default()
    };
    change(&mut settings);
    let app = App::new(
        store,
        ServerSecret::generate(&mut rand::rngs::OsRng),
        clock.clone(),
        settings,
    )
    .unwrap();
    app.load_legal().await.unwrap();
    let city = demo::seed(&app, PasswordParams::TEST).await.unwrap();
    Harness {
        app,
        sql,
        clock,
        config,
        city,
        _dir: dir,
    }
}

impl Harness {
    pub fn report(&self, what: &str, agency: &str) -> RawReport {
        RawReport {
            category: "land".into(),
            agency: self
                .city
                .agency(agency)
                .map(|a| a.0.to_string())
                .unwrap_or_default(),
            what: what.into(),
            identity: "anonymous".into(),
            ..RawReport::default()
        }
    }

    pub async fn submit(&self, what: &str) -> String {
        intake::submit_report(&self.app, self.report(what, ""), Channel::Api, None, true)
            .await
            .unwrap()
            .reference
    }

    /// The due date of a case's triage clock, as the City Inspectorate's officer sees it.
    pub async fn triage_due(&self, reference: &str) -> Option<String> {
        let officer = self.staff("tttp.tiepnhan").await;
        casework::staff_case_view(&self.app, &officer, reference)
            .await
            .unwrap()
            .clocks
            .into_iter()
            .find(|c| c.clock == "triage")
            .and_then(|c| c.due_on)
    }

    /// `who` takes a decision of `kind` on the case, with reasons and a document number;
    /// `change` fills in what the decision needs.
    pub async fn take_decision(
        &self,
        who: &str,
        reference: &str,
        kind: &str,
        change: impl Fn(&mut minhbach_domain::RawDecision),
    ) {
        let s = self.staff(who).await;
        let mut d = minhbach_domain::RawDecision {
            kind: kind.into(),
            reasons: "Lý do".into(),
            document_number: "1/QĐ".into(),
            ..minhbach_domain::RawDecision::default()
        };
        change(&mut d);
        casework::staff_transition(&self.app, &s, reference, &d)
            .await
            .unwrap_or_else(|e| panic!("{kind} on {reference}: {e}"));
    }

    /// Publishes today's figures (the clock moves on to the next day) and returns the row of
    /// `agency` (a demo code) as the overseer's dashboard sums it.
    pub async fn published_row(&self, agency: &str) -> minhbach_domain::statistics::Counts {
        self.published_rows(&[agency]).await[0]
    }

    /// As [`Self::published_row`], for several agencies from one publication.
    pub async fn published_rows(
        &self,
        agencies: &[&str],
    ) -> Vec<minhbach_domain::statistics::Counts> {
        let day = self.app.today();
        self.clock.advance(time::Duration::days(1));
        minhbach_app::statistics::publish(&self.app, day, "test")
            .await
            .unwrap()
            .expect("published");
        let overseer = self.staff("giamsat").await;
        let table = minhbach_app::statistics::dashboard(&self.app, &overseer, &city_query())
            .await
            .unwrap()
            .unwrap();
        agencies
            .iter()
            .map(|a| {
                let id = self.city.agency(a).unwrap().0.to_string();
                table.rows.get(&id).copied().unwrap_or_default()
            })
            .collect()
    }

    /// Signs a demo account in with its current second-factor code (a code works once, so the
    /// clock moves on a step first).
    pub async fn staff(&self, username: &str) -> StaffSession {
        self.clock.advance(time::Duration::seconds(30));
        let code = demo::demo_code(self.clock.now().unix_timestamp());
        let token = sessions::staff_login(&self.app, username, demo::DEMO_PASSWORD, &code)
            .await
            .unwrap();
        sessions::staff_session(&self.app, token).await.unwrap()
    }
}

/// The figures of the whole city from the newest publication, a row per agency.
pub fn city_query() -> minhbach_app::statistics::Query {
    minhbach_app::statistics::Query {
        publication: None,
        agency: None,
        from: None,
        to: None,
        category: None,
        channel: None,
        partner: None,
        by: minhbach_domain::statistics::GroupBy::Agency,
    }
}

/// Runs each named test on SQLite, and on PostgreSQL when `MINHBACH_TEST_POSTGRES` is set (it
/// says loudly that it skips otherwise).
#[macro_export]
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

/// Drops the triggers that keep the audit log append-only, as someone who owns the tables can:
/// what the keyed chain and the checkpoints must still catch.
pub async fn drop_audit_guard(sql: &SqlStore, engine: Engine) {
    let statements: &[&str] = match engine {
        Engine::Sqlite => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
        Engine::Postgres => &[
            "DROP TRIGGER audit_log_no_change ON audit_log",
            "DROP TRIGGER audit_log_no_truncate ON audit_log",
        ],
    };
    for s in statements {
        sqlx::query(s).execute(sql.pool()).await.unwrap();
    }
}
