//! The HTTP layer of minhbach: routes, authentication extractors, handlers (thin: parse, call
//! [`service`], render), templates, translations and the JSON API.

pub mod api;
pub mod auth;
pub mod demo;
pub mod error;
pub mod i18n;
pub mod pages;
pub mod security;
pub mod service;
pub mod view;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use minhbach_crypto::{PasswordParams, ServerSecret};
use minhbach_store::Store;

use crate::i18n::I18n;
use crate::security::Throttle;
use minhbach_app::clock::Clock;

/// Settings of the web layer (the binary fills them from the configuration file).
#[derive(Clone, Debug)]
pub struct WebConfig {
    pub password: PasswordParams,
    /// Send cookies with `Secure` and the `__Host-` prefix. Browsers accept them on
    /// `http://localhost`; turn off only for plain-HTTP tests on other hosts.
    pub secure_cookies: bool,
    /// Send HSTS (when served over TLS, usually behind a reverse proxy).
    pub hsts: bool,
    pub staff_session_minutes: i64,
    pub reporter_session_minutes: i64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Wrong receipts accepted per minute across the whole service before lookups pause.
    pub receipt_failures_per_minute: usize,
    /// Failed logins per account per 15 minutes before that account is paused.
    pub login_failures_per_quarter_hour: usize,
    /// How long a report form stays valid, in hours (reporters take their time).
    pub form_token_hours: i64,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            password: PasswordParams::DEFAULT,
            secure_cookies: true,
            hsts: false,
            staff_session_minutes: 8 * 60,
            reporter_session_minutes: 30,
            max_body_bytes: 256 * 1024,
            receipt_failures_per_minute: 30,
            login_failures_per_quarter_hour: 10,
            form_token_hours: 24,
        }
    }
}

pub struct Inner {
    /// Deadline rules and the working-day calendar in force (replaced when an admin imports).
    pub legal: std::sync::RwLock<Arc<minhbach_app::legal::Legal>>,
    pub store: Arc<dyn Store>,
    pub secret: ServerSecret,
    pub clock: Arc<dyn Clock>,
    pub i18n: I18n,
    pub config: WebConfig,
    pub receipt_throttle: Throttle,
    pub login_throttle: Throttle,
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        secret: ServerSecret,
        clock: Arc<dyn Clock>,
        config: WebConfig,
    ) -> Result<Self, String> {
        let shipped = minhbach_app::legal::Legal::shipped().map_err(|e| e.to_string())?;
        Ok(AppState(Arc::new(Inner {
            legal: std::sync::RwLock::new(Arc::new(shipped)),
            store,
            secret,
            clock,
            i18n: I18n::load()?,
            receipt_throttle: Throttle::new(config.receipt_failures_per_minute, 60),
            login_throttle: Throttle::new(config.login_failures_per_quarter_hour, 15 * 60),
            config,
        })))
    }

    pub fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// Today in Vietnam (UTC+7): the day deadlines are counted from.
    pub fn today(&self) -> time::Date {
        self.clock
            .now()
            .to_offset(minhbach_app::clock::LOCAL_OFFSET)
            .date()
    }

    pub fn legal(&self) -> Arc<minhbach_app::legal::Legal> {
        match self.legal.read() {
            Ok(l) => l.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Loads the rule sets and calendar stored in the database (storing the shipped ones that
    /// are missing). Call at start-up and after an import.
    pub async fn load_legal(&self) -> error::AppResult<()> {
        let loaded = minhbach_app::legal::Legal::load(self.store.as_ref(), self.now()).await?;
        match self.legal.write() {
            Ok(mut l) => *l = Arc::new(loaded),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(loaded),
        }
        Ok(())
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let hsts = state.config.hsts;
    let max_body = state.config.max_body_bytes;
    Router::new()
        .merge(pages::routes())
        .nest("/api", api::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            view::render_errors,
        ))
        .layer(axum::middleware::from_fn(security::security_headers))
        .layer(axum::middleware::from_fn(
            move |mut req: axum::extract::Request, next: axum::middleware::Next| async move {
                if hsts {
                    req.extensions_mut().insert(security::Hsts);
                }
                next.run(req).await
            },
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}
