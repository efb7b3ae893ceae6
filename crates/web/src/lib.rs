//! The HTTP layer of minhbach: routes, authentication extractors, handlers (thin: parse, call an
//! operation of `minhbach_app`, render), templates, translations and the JSON API.

pub mod api;
pub mod auth;
pub mod error;
pub mod i18n;
pub mod pages;
pub mod pdf;
pub mod security;
pub mod upload;

pub mod view;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use minhbach_crypto::ServerSecret;
use minhbach_store::Store;

use crate::i18n::I18n;
use minhbach_app::clock::Clock;

/// Settings of the web layer (the binary fills them from the configuration file).
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// What the operations need (password hashing, session lifetimes, throttles).
    pub app: minhbach_app::AppSettings,
    /// Send cookies with `Secure` and the `__Host-` prefix. Browsers accept them on
    /// `http://localhost`; turn off only for plain-HTTP tests on other hosts.
    pub secure_cookies: bool,
    /// Send HSTS (when served over TLS, usually behind a reverse proxy).
    pub hsts: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a report form stays valid, in hours (reporters take their time).
    pub form_token_hours: i64,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            app: minhbach_app::AppSettings::default(),
            secure_cookies: true,
            hsts: false,
            max_body_bytes: 256 * 1024,
            form_token_hours: 24,
        }
    }
}

/// The web state: the application and what only HTTP needs (translations, web settings).
pub struct Inner {
    pub app: minhbach_app::App,
    pub i18n: I18n,
    pub config: WebConfig,
}

/// Handlers reach the application's store, secret, clock and legal data through the web state.
impl std::ops::Deref for Inner {
    type Target = minhbach_app::App;
    fn deref(&self) -> &minhbach_app::App {
        &self.app
    }
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
        let app =
            minhbach_app::App::new(store, secret, clock, config.app).map_err(|e| e.to_string())?;
        Ok(AppState(Arc::new(Inner {
            app,
            i18n: I18n::load()?,
            config,
        })))
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let hsts = state.config.hsts;
    let max_body = state.config.max_body_bytes;
    // A form with evidence files: every file at its limit, plus the form's text and the
    // multipart framing.
    let upload_limit = state
        .settings
        .evidence_files_max
        .saturating_mul(state.settings.evidence_file_max_bytes)
        .saturating_add(max_body);
    Router::new()
        .merge(pages::routes(upload_limit))
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
