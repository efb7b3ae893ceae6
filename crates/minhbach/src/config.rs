//! Configuration: an optional TOML file, then `MINHBACH_*` environment variables (one per key,
//! e.g. `MINHBACH_LISTEN=0.0.0.0:8080`). Unknown keys are refused, from either source, so a typo
//! never silently falls back to a default. `docs/configuration.md` lists every key.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use minhbach_crypto::PasswordParams;
use minhbach_web::WebConfig;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: String,
    /// `sqlite://…` or `postgres://…`; default: `minhbach.db` in the data directory.
    pub database_url: Option<String>,
    /// File holding the 32-byte server secret; default: `secrets/server.key` in the data
    /// directory. Every app node of one deployment needs the same file.
    pub server_secret_file: Option<PathBuf>,
    /// Name of the organisation and prefix of reference numbers (used by `init`).
    pub organisation_name: String,
    pub reference_prefix: String,
    pub secure_cookies: bool,
    pub hsts: bool,
    pub staff_session_minutes: i64,
    pub reporter_session_minutes: i64,
    pub max_body_bytes: usize,
    pub receipt_failures_per_minute: usize,
    pub receipt_failures_per_form: usize,
    pub login_failures_per_quarter_hour: usize,
    pub login_failures_global_per_quarter_hour: usize,
    pub reports_per_minute: usize,
    pub reports_ceiling_per_minute: usize,
    pub evidence_files_max: usize,
    pub evidence_file_max_mib: usize,
    pub evidence_draft_minutes: i64,
    /// Public figures show no count below this (shown as "< k"), with complementary
    /// suppression; at least 2.
    pub figures_threshold: u64,
    pub form_token_hours: i64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub database_max_connections: u32,
    /// Free space (MiB) kept in the directory of the database (SQLite) or the data directory:
    /// below it, new reports, messages and decisions are refused with 503 and the operators
    /// alerted, while reading goes on. 0 turns the refusal off.
    pub free_space_reserve_mib: u64,
    /// Operators mailed when free space falls below the reserve and when it recovers
    /// (comma-separated; needs `smtp_host`).
    pub alert_mail_to: String,
    /// Log filter, e.g. `info` or `minhbach=debug`.
    pub log: String,
    /// The address staff use to reach the site, for links in notification mails.
    pub public_url: String,
    /// Run the deadline scheduler (overdue scan, reminders, mail) in this process. Several
    /// nodes may all run it: job leases in the database keep each job to one node.
    pub scheduler: bool,
    /// SMTP relay for notification mails; no mail is sent when `smtp_host` is empty.
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    /// `none`, `starttls` or `tls`.
    pub smtp_tls: String,
    pub smtp_from: String,
    /// Minutes between signed checkpoints of the audit log (each checks the whole log first).
    pub audit_checkpoint_minutes: u64,
}

impl Default for Config {
    fn default() -> Self {
        let web = WebConfig::default();
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            server_secret_file: None,
            organisation_name: "Ủy ban nhân dân Thành phố Hà Nội".into(),
            reference_prefix: "HN".into(),
            secure_cookies: web.secure_cookies,
            hsts: web.hsts,
            staff_session_minutes: web.app.staff_session_minutes,
            reporter_session_minutes: web.app.reporter_session_minutes,
            max_body_bytes: web.max_body_bytes,
            receipt_failures_per_minute: web.app.receipt_failures_per_minute,
            receipt_failures_per_form: web.app.receipt_failures_per_form,
            login_failures_per_quarter_hour: web.app.login_failures_per_quarter_hour,
            login_failures_global_per_quarter_hour: web.app.login_failures_global_per_quarter_hour,
            reports_per_minute: web.app.reports_per_minute,
            reports_ceiling_per_minute: web.app.reports_ceiling_per_minute,
            evidence_files_max: web.app.evidence_files_max,
            evidence_file_max_mib: web.app.evidence_file_max_bytes / (1024 * 1024),
            evidence_draft_minutes: web.app.evidence_draft_minutes,
            figures_threshold: web.app.figures_threshold,
            form_token_hours: web.form_token_hours,
            argon2_memory_kib: web.app.password.memory_kib,
            argon2_iterations: web.app.password.iterations,
            argon2_parallelism: web.app.password.parallelism,
            database_max_connections: 8,
            free_space_reserve_mib: 64,
            alert_mail_to: String::new(),
            log: "info".into(),
            public_url: "http://127.0.0.1:8080".into(),
            scheduler: true,
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_username: None,
            smtp_password: None,
            smtp_tls: "starttls".into(),
            smtp_from: "Minh Bach <no-reply@localhost>".into(),
            audit_checkpoint_minutes: 10,
        }
    }
}

/// Environment variables that belong to the test suite, not to the server.
const IGNORED_ENV_PREFIX: &str = "MINHBACH_TEST_";
/// Environment variables the command line reads itself (its data directory, and passwords that
/// must never be command-line arguments): not configuration keys.
const CLI_ENV: [&str; 3] = [
    "MINHBACH_DATA",
    "MINHBACH_ADMIN_PASSWORD",
    "MINHBACH_USER_PASSWORD",
];

impl Config {
    /// Reads `file` (if given, else `<data>/minhbach.toml` if it exists), then the environment.
    pub fn load(file: Option<&Path>, data: &Path) -> anyhow::Result<Self> {
        Self::from_sources(file, data, std::env::vars())
    }

    pub fn from_sources(
        file: Option<&Path>,
        data: &Path,
        env: impl Iterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let default_file = data.join("minhbach.toml");
        let path = file
            .map(Path::to_path_buf)
            .or_else(|| default_file.exists().then_some(default_file));
        let mut table = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                text.parse::<toml::Table>()
                    .with_context(|| format!("parsing {}", p.display()))?
            }
            None => toml::Table::new(),
        };
        for (name, value) in env {
            let Some(key) = name.strip_prefix("MINHBACH_") else {
                continue;
            };
            if name.starts_with(IGNORED_ENV_PREFIX) || CLI_ENV.contains(&name.as_str()) {
                continue;
            }
            table.insert(key.to_ascii_lowercase(), env_value(&value));
        }
        let source = path.map_or_else(
            || "environment".to_owned(),
            |p| format!("{} and environment", p.display()),
        );
        let config: Config = toml::Value::Table(table).try_into().with_context(|| {
            format!("invalid configuration in {source} (see docs/configuration.md)")
        })?;
        if config.reference_prefix.is_empty()
            || !config
                .reference_prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            bail!("reference_prefix must be upper-case letters and digits, e.g. HN");
        }
        Ok(config)
    }

    pub fn database_url(&self, data: &Path) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", data.join("minhbach.db").display()))
    }

    /// The directory whose free space the store guards: the SQLite database's, else the data
    /// directory (PostgreSQL answers a full disk of its own with an error the store recognises).
    pub fn space_dir(&self, data: &Path) -> PathBuf {
        self.sqlite_file(data)
            .and_then(|file| file.parent().map(Path::to_path_buf))
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or_else(|| data.to_path_buf())
    }

    /// The SQLite database file, if the database is SQLite.
    pub fn sqlite_file(&self, data: &Path) -> Option<PathBuf> {
        let url = self.database_url(data);
        url.strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or(rest))
            .filter(|file| !file.is_empty() && *file != ":memory:")
            .map(PathBuf::from)
    }

    /// The signed checkpoints of the audit log, beside the database.
    pub fn checkpoint_file(&self, data: &Path) -> PathBuf {
        data.join("audit").join("checkpoints")
    }

    pub fn alert_addresses(&self) -> Vec<String> {
        self.alert_mail_to
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn secret_file(&self, data: &Path) -> PathBuf {
        self.server_secret_file
            .clone()
            .unwrap_or_else(|| data.join("secrets").join("server.key"))
    }

    pub fn password_params(&self) -> PasswordParams {
        PasswordParams {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
        }
    }

    /// SMTP settings, if mail is configured.
    pub fn smtp(&self) -> anyhow::Result<Option<minhbach_app::mail::SmtpSettings>> {
        if self.smtp_host.trim().is_empty() {
            return Ok(None);
        }
        let tls = self
            .smtp_tls
            .parse()
            .map_err(|e| anyhow::anyhow!("smtp_tls: {e}"))?;
        Ok(Some(minhbach_app::mail::SmtpSettings {
            host: self.smtp_host.clone(),
            port: self.smtp_port,
            username: self.smtp_username.clone(),
            password: self.smtp_password.clone(),
            tls,
            from: self.smtp_from.clone(),
        }))
    }

    pub fn web(&self) -> WebConfig {
        WebConfig {
            app: minhbach_app::AppSettings {
                password: self.password_params(),
                staff_session_minutes: self.staff_session_minutes,
                reporter_session_minutes: self.reporter_session_minutes,
                receipt_failures_per_minute: self.receipt_failures_per_minute,
                receipt_failures_per_form: self.receipt_failures_per_form,
                login_failures_per_quarter_hour: self.login_failures_per_quarter_hour,
                login_failures_global_per_quarter_hour: self.login_failures_global_per_quarter_hour,
                reports_per_minute: self.reports_per_minute,
                reports_ceiling_per_minute: self.reports_ceiling_per_minute,
                evidence_files_max: self.evidence_files_max,
                evidence_file_max_bytes: self.evidence_file_max_mib.saturating_mul(1024 * 1024),
                evidence_draft_minutes: self.evidence_draft_minutes,
                figures_threshold: self.figures_threshold.max(2),
            },
            secure_cookies: self.secure_cookies,
            hsts: self.hsts,
            max_body_bytes: self.max_body_bytes,
            form_token_hours: self.form_token_hours,
        }
    }
}

/// An environment value is read as a TOML value when it is one (numbers, booleans), else as a
/// string.
fn env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !v.is_table() && !v.is_array())
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn defaults_use_sqlite_in_the_data_directory() {
        let c = Config::from_sources(None, Path::new("/tmp/none"), env(&[])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(
            c.database_url(Path::new("data")),
            "sqlite://data/minhbach.db"
        );
    }

    #[test]
    fn free_space_is_guarded_where_the_database_lives() {
        let data = Path::new("/srv/minhbach");
        let c = Config::from_sources(None, data, env(&[])).unwrap();
        assert_eq!(c.space_dir(data), Path::new("/srv/minhbach"));
        assert_eq!(c.free_space_reserve_mib, 64);
        let c = Config::from_sources(
            None,
            data,
            env(&[
                ("MINHBACH_DATABASE_URL", "sqlite:///var/db/m.db?mode=rwc"),
                (
                    "MINHBACH_ALERT_MAIL_TO",
                    "ops@example.org, , it@example.org",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(c.space_dir(data), Path::new("/var/db"));
        assert_eq!(c.alert_addresses(), ["ops@example.org", "it@example.org"]);
        let c = Config::from_sources(
            None,
            data,
            env(&[("MINHBACH_DATABASE_URL", "postgres://u@h/db")]),
        )
        .unwrap();
        assert_eq!(c.space_dir(data), Path::new("/srv/minhbach"));
    }

    #[test]
    fn environment_overrides_the_file_and_is_typed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nhsts = false\n").unwrap();
        let c = Config::from_sources(
            Some(&file),
            dir.path(),
            env(&[
                ("MINHBACH_HSTS", "true"),
                ("MINHBACH_MAX_BODY_BYTES", "1024"),
                ("MINHBACH_TEST_POSTGRES", "x"),
                ("MINHBACH_DATA", "/srv/minhbach"),
                ("MINHBACH_ADMIN_PASSWORD", "not a config key"),
                ("MINHBACH_USER_PASSWORD", "not one either"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert!(c.hsts);
        assert_eq!(c.max_body_bytes, 1024);
    }

    #[test]
    fn unknown_keys_are_refused_from_file_and_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "lisen = \"0.0.0.0:9000\"\n").unwrap();
        let err = Config::from_sources(Some(&file), dir.path(), env(&[])).unwrap_err();
        assert!(format!("{err:#}").contains("lisen"), "{err:#}");
        let err = Config::from_sources(None, dir.path(), env(&[("MINHBACH_DATABSE_URL", "x")]))
            .unwrap_err();
        assert!(format!("{err:#}").contains("databse_url"), "{err:#}");
    }
}
