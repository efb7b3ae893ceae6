//! What differs between the engines: how to connect, which pragmas, which migrations.

use std::time::Duration;

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// `sqlite://path/to/minhbach.db` or `postgres://user@host/db`.
    pub url: String,
    /// PostgreSQL only: a schema to create and use (tests isolate themselves this way).
    pub schema: Option<String>,
    pub max_connections: u32,
    /// Refuse writes that grow the data when the data directory has less free space than this.
    pub space: Option<crate::SpaceGuard>,
    /// The key of the audit chain, derived from the server secret in production. [`Self::new`]
    /// draws a random one (tools, tests): stores opened with the same config share it, but no
    /// other process can verify what they chain.
    pub audit_key: minhbach_crypto::AuditKey,
}

impl StoreConfig {
    pub fn new(url: impl Into<String>) -> Self {
        StoreConfig {
            url: url.into(),
            schema: None,
            max_connections: 8,
            space: None,
            audit_key: minhbach_crypto::AuditKey::random(&mut rand::rngs::OsRng),
        }
    }
}

/// A read pool and a write pool. On SQLite the write pool has one connection, so writers queue
/// in the application instead of failing with SQLITE_BUSY, while readers run in parallel (WAL).
/// On PostgreSQL both are the same pool.
pub(crate) async fn connect(config: &StoreConfig) -> Result<(Backend, AnyPool, AnyPool)> {
    install_default_drivers();
    let backend = Backend::from_url(&config.url).ok_or_else(|| {
        crate::StoreError::Corrupt(format!(
            "unsupported database URL scheme: {}",
            redact(&config.url)
        ))
    })?;
    match backend {
        Backend::Sqlite => {
            let url = if config.url.contains('?') {
                config.url.clone()
            } else {
                format!("{}?mode=rwc", config.url)
            };
            let options = || {
                AnyPoolOptions::new()
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // Durable commits (the receipt is shown only after one), integrity,
                            // and a wait instead of an error when the file is briefly locked.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
            };
            let write = options().max_connections(1).connect(&url).await?;
            let read = options()
                .max_connections(config.max_connections.max(1))
                .connect(&url)
                .await?;
            Ok((backend, read, write))
        }
        Backend::Postgres => {
            if let Some(schema) = &config.schema {
                let admin = AnyPoolOptions::new()
                    .max_connections(1)
                    .connect(&config.url)
                    .await?;
                admin
                    .execute(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"").as_str())
                    .await?;
                admin.close().await;
            }
            let schema = config.schema.clone();
            let pool = AnyPoolOptions::new()
                .max_connections(config.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(move |conn, _| {
                    let schema = schema.clone();
                    Box::pin(async move {
                        if let Some(schema) = schema {
                            conn.execute(format!("SET search_path TO \"{schema}\"").as_str())
                                .await?;
                        }
                        Ok(())
                    })
                })
                .connect(&config.url)
                .await?;
            Ok((backend, pool.clone(), pool))
        }
    }
}

pub(crate) async fn migrate(backend: Backend, pool: &AnyPool) -> Result<()> {
    match backend {
        Backend::Sqlite => sqlx::migrate!("../../migrations/sqlite").run(pool).await?,
        Backend::Postgres => {
            sqlx::migrate!("../../migrations/postgres")
                .run(pool)
                .await?
        }
    }
    Ok(())
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
