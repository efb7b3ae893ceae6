//! The application: what every operation needs, whoever calls it (the web layer, the command
//! line, the scheduler).

use std::sync::{Arc, RwLock};

use minhbach_crypto::{PasswordParams, ServerSecret};
use minhbach_store::Store;

use crate::clock::{Clock, LOCAL_OFFSET};
use crate::legal::Legal;
use crate::throttle::Throttle;

/// Settings of the operations (the binary fills them from the configuration file).
#[derive(Clone, Copy, Debug)]
pub struct AppSettings {
    pub password: PasswordParams,
    pub staff_session_minutes: i64,
    pub reporter_session_minutes: i64,
    /// Wrong receipts accepted per minute across the whole node before every lookup pauses: a
    /// ceiling far above what real reporters mistype, so that guessing cannot lock them out.
    pub receipt_failures_per_minute: usize,
    /// Wrong receipts accepted on one receipt form (HTML, or an API token) in its lifetime.
    pub receipt_failures_per_form: usize,
    /// Failed logins per account per 15 minutes before that account is paused.
    pub login_failures_per_quarter_hour: usize,
    /// Failed logins per 15 minutes across the node before every sign-in pauses: bounds the
    /// password-hashing work strangers can cause.
    pub login_failures_global_per_quarter_hour: usize,
    /// Reports per minute on this node beyond which new reports are held for an intake officer
    /// to release instead of starting their clocks.
    pub reports_per_minute: usize,
    /// Reports per minute on this node beyond which new reports are refused (the form is shown
    /// again with its text, to send a minute later).
    pub reports_ceiling_per_minute: usize,
    /// Evidence files: at most this many per report or message, each at most this many bytes,
    /// and the minutes a reporter has to confirm them.
    pub evidence_files_max: usize,
    pub evidence_file_max_bytes: usize,
    pub evidence_draft_minutes: i64,
    /// Public figures: no count below this is shown outside the agency (small-cell
    /// suppression, with complementary suppression so that no hidden count can be solved).
    pub figures_threshold: u64,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            password: PasswordParams::DEFAULT,
            staff_session_minutes: 8 * 60,
            reporter_session_minutes: 30,
            receipt_failures_per_minute: 600,
            receipt_failures_per_form: 5,
            login_failures_per_quarter_hour: 10,
            login_failures_global_per_quarter_hour: 200,
            reports_per_minute: 60,
            reports_ceiling_per_minute: 600,
            evidence_files_max: 5,
            evidence_file_max_bytes: 10 * 1024 * 1024,
            evidence_draft_minutes: 60,
            figures_threshold: 5,
        }
    }
}

pub struct App {
    pub store: Arc<dyn Store>,
    pub secret: ServerSecret,
    pub clock: Arc<dyn Clock>,
    /// Deadline rules and the working-day calendar in force (replaced when an admin imports).
    pub legal: RwLock<Arc<Legal>>,
    /// Wrong receipts: node-wide ceiling, per form, and for callers that bring no form.
    pub receipt_throttle: Throttle,
    pub receipt_form_throttle: Throttle,
    pub receipt_unbound_throttle: Throttle,
    /// Failed sign-ins: per account and node-wide.
    pub login_throttle: Throttle,
    pub login_global_throttle: Throttle,
    /// Reports received in the last minute: past the first budget they are held, past the
    /// second refused.
    pub report_budget: Throttle,
    pub report_ceiling: Throttle,
    /// Password hashing (Argon2id) runs on the blocking pool, at most this many at once, so
    /// sign-in attempts never hold the async workers that serve every page.
    pub password_work: tokio::sync::Semaphore,
    /// Evidence files are parsed and stripped on the blocking pool, at most this many at once.
    pub evidence_work: tokio::sync::Semaphore,
    /// The last verification of the audit log by this process (start, then every checkpoint).
    pub audit_status: crate::audit::ChainStatusCell,
    pub settings: AppSettings,
    /// Custodians' public keys with their multiplication tables, built once per process: every
    /// named submission wraps a share to each of them.
    pub prepared_keys: std::sync::Mutex<
        std::collections::HashMap<[u8; 32], Arc<minhbach_crypto::PreparedPublicKey>>,
    >,
    /// The newest published figures this process read (see `statistics::published`).
    pub figures_cache: std::sync::Mutex<Option<Arc<crate::statistics::Figures>>>,
    /// The public tables made from it (see `statistics::public`).
    pub public_figures_cache: crate::statistics::PublicCache,
}

impl App {
    /// The application with the shipped legal data; call [`App::load_legal`] to read the
    /// database's.
    pub fn new(
        store: Arc<dyn Store>,
        secret: ServerSecret,
        clock: Arc<dyn Clock>,
        settings: AppSettings,
    ) -> crate::Result<Self> {
        Ok(App {
            legal: RwLock::new(Arc::new(Legal::shipped()?)),
            store,
            secret,
            clock,
            receipt_throttle: Throttle::new(settings.receipt_failures_per_minute, 60),
            receipt_form_throttle: Throttle::new(settings.receipt_failures_per_form, 24 * 3600),
            receipt_unbound_throttle: Throttle::new(
                (settings.receipt_failures_per_minute / 20).max(1),
                60,
            ),
            login_throttle: Throttle::new(settings.login_failures_per_quarter_hour, 15 * 60),
            login_global_throttle: Throttle::new(
                settings.login_failures_global_per_quarter_hour,
                15 * 60,
            ),
            report_budget: Throttle::new(settings.reports_per_minute, 60),
            report_ceiling: Throttle::new(settings.reports_ceiling_per_minute, 60),
            password_work: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            ),
            evidence_work: tokio::sync::Semaphore::new(2),
            audit_status: Default::default(),
            settings,
            prepared_keys: std::sync::Mutex::new(std::collections::HashMap::new()),
            figures_cache: std::sync::Mutex::new(None),
            public_figures_cache: Default::default(),
        })
    }

    pub fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// Today in Vietnam (UTC+7): the day deadlines are counted from.
    pub fn today(&self) -> time::Date {
        self.clock.now().to_offset(LOCAL_OFFSET).date()
    }

    /// The organisation, or `NotInitialised` before `minhbach init`.
    pub async fn organisation(&self) -> crate::Result<minhbach_store::Organisation> {
        self.store
            .organisation()
            .await?
            .ok_or(crate::Error::NotInitialised)
    }

    /// A public key prepared for repeated wrapping (cached; a few custodians at most).
    pub fn prepared_key(
        &self,
        key: &minhbach_crypto::PublicKey,
    ) -> crate::Result<Arc<minhbach_crypto::PreparedPublicKey>> {
        let mut cache = match self.prepared_keys.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(p) = cache.get(key.as_bytes()) {
            return Ok(p.clone());
        }
        let prepared = Arc::new(minhbach_crypto::PreparedPublicKey::new(key)?);
        cache.insert(*key.as_bytes(), prepared.clone());
        Ok(prepared)
    }

    pub fn legal(&self) -> Arc<Legal> {
        match self.legal.read() {
            Ok(l) => l.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Loads the rule sets and calendar stored in the database (storing the shipped ones that
    /// are missing). Call at start-up and after an import.
    pub async fn load_legal(&self) -> crate::Result<()> {
        let loaded = Legal::load(self.store.as_ref(), self.now()).await?;
        match self.legal.write() {
            Ok(mut l) => *l = Arc::new(loaded),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(loaded),
        }
        Ok(())
    }
}
