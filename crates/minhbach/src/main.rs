//! `minhbach`: the server and its administration commands.

mod config;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use minhbach_app::admin::{self, StaffAccount};
use minhbach_app::audit::Checkpoints;
use minhbach_app::clock::{Clock, SystemClock};
use minhbach_app::demo;
use minhbach_crypto::{recovery_key_to_text, ServerSecret};
use minhbach_domain::Role;
use minhbach_store::{SqlStore, Store, StoreConfig};
use minhbach_web::AppState;

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "minhbach",
    version,
    about = "Secure reporting of corruption, waste and misconduct"
)]
struct Cli {
    /// Data directory: the SQLite database, the server secret, and optionally minhbach.toml.
    #[arg(long, global = true, default_value = "data", env = "MINHBACH_DATA")]
    data: PathBuf,
    /// Configuration file (default: <data>/minhbach.toml if it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (creates or migrates the schema).
    Serve {
        /// Seed the demo city first if the database is empty.
        #[arg(long)]
        demo: bool,
        /// Address and port to listen on (overrides `listen` of the configuration).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Create the organisation, its recovery key and the first administrator.
    Init {
        #[arg(long, default_value = "admin")]
        admin_username: String,
        /// Password of the first administrator; read from MINHBACH_ADMIN_PASSWORD if not given.
        #[arg(long, env = "MINHBACH_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: String,
    },
    /// Seed the demo city (if the database is empty), print its logins, and serve.
    Demo {
        /// Seed and print, but do not start the server.
        #[arg(long)]
        no_serve: bool,
        /// Then add this many synthetic cases (load tests; they cannot be opened).
        #[arg(long)]
        cases: Option<u64>,
        /// Address and port to listen on (overrides `listen` of the configuration).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Agencies that receive reports.
    Agency {
        #[command(subcommand)]
        command: AgencyCommand,
    },
    /// Report categories.
    Category {
        #[command(subcommand)]
        command: CategoryCommand,
    },
    /// Deadline rule sets (dated TOML documents, see rules/vn/).
    Rules {
        #[command(subcommand)]
        command: LegalCommand,
    },
    /// The working-day calendar (one TOML document per year, see rules/vn/calendar/).
    Calendar {
        #[command(subcommand)]
        command: LegalCommand,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Legal holds: a case under review, or an important case, keeps its content past its
    /// retention period until the hold is lifted.
    Hold {
        #[command(subcommand)]
        command: HoldCommand,
    },
    /// Audit log commands.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Published figures: publish a day's, or check every publication against the events.
    Stats {
        #[command(subcommand)]
        command: StatsCommand,
    },
    /// The identity custodians: k of them must approve before a reporter's identity is released.
    Custodians {
        #[command(subcommand)]
        command: CustodiansCommand,
    },
    /// Work done with the organisation's recovery key (read from standard input, never an
    /// argument).
    Recovery {
        #[command(subcommand)]
        command: RecoveryCommand,
    },
    /// Write a consistent copy of the data to a new directory while the server runs: the
    /// SQLite database (PostgreSQL: the server key and checkpoints; dump the database with
    /// pg_dump, see docs/operations.md), the server key and the audit checkpoints.
    Backup {
        /// A directory that does not exist yet (or is empty).
        to: PathBuf,
    },
    /// Put a backup taken with `backup` into an empty data directory, after checking that its
    /// key opens its database and its audit log verifies against its checkpoints.
    Restore {
        /// The directory `backup` wrote.
        from: PathBuf,
    },
}

#[derive(Subcommand)]
enum HoldCommand {
    /// Place a legal hold on a case (by its reference, e.g. HN-2026-123456789).
    Place { reference: String },
    /// Lift a legal hold: the case's retention period applies again.
    Lift { reference: String },
}

#[derive(Subcommand)]
enum CustodiansCommand {
    /// Name the custodians (accounts with the custodian role) and the threshold k. Cases recorded
    /// from then on are shared among them; run `recovery reshare` for earlier cases.
    Set {
        #[arg(long)]
        threshold: i64,
        /// Usernames of the custodians.
        #[arg(required = true)]
        usernames: Vec<String>,
    },
}

#[derive(Subcommand)]
enum RecoveryCommand {
    /// Re-share every reporter identity among the custodians in force: cases recorded before
    /// the custodians were set, or after the set changed. Reads the recovery key text on
    /// standard input.
    Reshare,
    /// Reset a staff member's forgotten password: reads the recovery key text on standard
    /// input, seals the account's key under a one-time password (printed) that its holder
    /// replaces at the next sign-in, and ends the account's sessions. No case is lost.
    ResetPassword {
        /// The account's username.
        username: String,
    },
}

#[derive(Subcommand)]
enum AgencyCommand {
    /// Add an agency (ward, department, inspectorate, police, Front committee, partner).
    Add {
        /// Short unique code, e.g. `hoankiem`.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name_vi: String,
        #[arg(long)]
        name_en: String,
        /// ward, department, inspectorate, investigation, front, partner…
        #[arg(long, default_value = "department")]
        kind: String,
        /// Make it the intake agency for reports that name no agency.
        #[arg(long)]
        default: bool,
    },
    /// Set the superior body of an agency: it receives the reports against the agency's head
    /// and oversees its deadlines.
    Superior {
        /// The agency's code.
        code: String,
        /// The superior body's code; `--none` to clear it.
        #[arg(long, conflicts_with = "none", required_unless_present = "none")]
        superior: Option<String>,
        #[arg(long)]
        none: bool,
    },
    /// List agencies.
    List,
}

#[derive(Subcommand)]
enum CategoryCommand {
    /// Add or rename a category.
    Set {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name_vi: String,
        #[arg(long)]
        name_en: String,
        #[arg(long, default_value_t = 100)]
        position: i64,
    },
}

#[derive(Subcommand)]
enum LegalCommand {
    /// Validate and store a document; it takes effect at the next start of the server.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff account; prints the second-factor secret for roles that read content.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// intake_officer, handler, agency_lead, protection_officer, custodian, overseer, admin,
        /// auditor
        #[arg(long)]
        role: String,
        /// Agency code (required for intake officers, handlers and leads).
        #[arg(long)]
        agency: Option<String>,
        /// Initial password; read from MINHBACH_USER_PASSWORD if not given.
        #[arg(long, env = "MINHBACH_USER_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Deactivate a leaver's account: no more sign-in, sessions ended, and every case key it
    /// held deleted.
    Deactivate { username: String },
}

#[derive(Subcommand)]
enum StatsCommand {
    /// Publish the figures as of the end of a day that is over (default: yesterday).
    Publish {
        /// The last day counted, YYYY-MM-DD.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Recompute every published table from the recorded events and report any difference;
    /// exits with status 1 if one differs or does not match its audit record.
    Verify,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the audit log; exits with status 1 if it is broken.
    Verify,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref(), &cli.data)?;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&config.log).unwrap_or_default())
        .with_target(false)
        .init();
    match cli.command {
        Command::Serve { demo, listen } => {
            let config = with_listen(config, listen);
            serve(&cli.data, &config, demo).await
        }
        Command::Demo {
            no_serve,
            cases,
            listen,
        } => {
            let config = with_listen(config, listen);
            let (st, store) = open_parts(&cli.data, &config).await?;
            seed_demo(&st, &config).await?;
            if let Some(n) = cases {
                generate_synthetic(&st, &store, n).await?;
            }
            if no_serve {
                return Ok(());
            }
            start_background(&st, store, &config, &cli.data).await?;
            run(st, &config).await
        }
        Command::Init {
            admin_username,
            admin_password,
        } => init(&cli.data, &config, &admin_username, &admin_password).await,
        Command::Agency { command } => agency_command(&cli.data, &config, command).await,
        Command::Category { command } => category_command(&cli.data, &config, command).await,
        Command::User { command } => user_command(&cli.data, &config, command).await,
        Command::Hold { command } => {
            let st = open(&cli.data, &config).await?;
            let (reference, hold) = match command {
                HoldCommand::Place { reference } => (reference, true),
                HoldCommand::Lift { reference } => (reference, false),
            };
            let changed = minhbach_app::retention::operator_hold(&st, &reference, hold).await?;
            let what = match (hold, changed) {
                (true, true) => "placed",
                (true, false) => "already placed (or the case's content is gone)",
                (false, true) => "lifted",
                (false, false) => "was not placed",
            };
            println!("legal hold on {reference}: {what}");
            Ok(())
        }
        Command::Rules { command } => legal_import(&cli.data, &config, command, false).await,
        Command::Calendar { command } => legal_import(&cli.data, &config, command, true).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit_verify(&cli.data, &config).await,
        Command::Stats { command } => stats(&cli.data, &config, command).await,
        Command::Custodians {
            command:
                CustodiansCommand::Set {
                    threshold,
                    usernames,
                },
        } => {
            let st = open(&cli.data, &config).await?;
            minhbach_app::identity::set_custodians(
                st.store.as_ref(),
                &usernames,
                threshold,
                st.now(),
            )
            .await?;
            println!(
                "custodians set: {threshold} of {} must approve a release",
                usernames.len()
            );
            Ok(())
        }
        Command::Backup { to } => backup(&cli.data, &config, &to).await,
        Command::Restore { from } => restore(&cli.data, &config, &from).await,
        Command::Recovery { command } => {
            let recovery = read_recovery_key()?;
            let st = open(&cli.data, &config).await?;
            match command {
                RecoveryCommand::Reshare => {
                    let n = minhbach_app::identity::reshare_with_recovery(&st, &recovery).await?;
                    println!("{n} reporter identities re-shared among the custodians in force");
                }
                RecoveryCommand::ResetPassword { username } => {
                    let password = minhbach_app::accounts::reset_password_with_recovery(
                        &st, &recovery, &username,
                    )
                    .await?;
                    println!("one-time password for {username} (hand it over in person; it must be changed at the next sign-in):");
                    println!("    {}", password.as_str());
                }
            }
            Ok(())
        }
    }
}

/// Reads the server secret. It is created (readable by the owner only) only for a database with
/// no organisation yet: regenerating the key of a running organisation would silently stop every
/// receipt and second factor, so a missing key is an error that says what to restore.
async fn server_secret(path: &Path, data: &Path, config: &Config) -> anyhow::Result<ServerSecret> {
    if path.exists() {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("{} must hold exactly 32 bytes", path.display()))?;
        return Ok(ServerSecret::from_bytes(bytes));
    }
    let probe = open_store(data, config, None).await?;
    let organised = probe.organisation().await?.is_some();
    probe.close().await;
    if organised {
        bail!(
            "the server key {} is missing but the organisation exists: restore it from the backup \
             taken with this database (a new key would make every receipt unusable)",
            path.display()
        );
    }
    if let Some(dir) = path.parent() {
        minhbach_app::files::create_private_dir(dir)?;
    }
    let secret = ServerSecret::generate(&mut rand::rngs::OsRng);
    write_private(path, secret.to_bytes().as_slice())?;
    tracing::info!(path = %path.display(), "created the server secret");
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("creating {}", path.display()))
}

async fn open_store(
    data: &Path,
    config: &Config,
    audit_key: Option<minhbach_crypto::AuditKey>,
) -> anyhow::Result<Arc<SqlStore>> {
    minhbach_app::files::create_private_dir(data)?;
    if let Some(file) = config.sqlite_file(data) {
        // SQLite gives its -wal and -shm files the mode of the database file.
        minhbach_app::files::ensure_private_file(&file)?;
    }
    let url = config.database_url(data);
    let mut store_config = StoreConfig::new(url.clone());
    store_config.max_connections = config.database_max_connections;
    store_config.space = Some(minhbach_store::SpaceGuard {
        dir: config.space_dir(data),
        reserve_bytes: config.free_space_reserve_mib.saturating_mul(1 << 20),
    });
    if let Some(key) = audit_key {
        store_config.audit_key = key;
    }
    let store = SqlStore::open(&store_config)
        .await
        .with_context(|| format!("opening the database {}", minhbach_store::redact(&url)))?;
    Ok(Arc::new(store))
}

/// The configuration with the `--listen` of the command line, if given.
fn with_listen(mut config: Config, listen: Option<String>) -> Config {
    if let Some(addr) = listen {
        config.listen = addr;
    }
    config
}

async fn open(data: &Path, config: &Config) -> anyhow::Result<AppState> {
    Ok(open_parts(data, config).await?.0)
}

/// The application state and the store behind it (the scheduler needs the store's job methods).
async fn open_parts(data: &Path, config: &Config) -> anyhow::Result<(AppState, Arc<SqlStore>)> {
    let secret = server_secret(&config.secret_file(data), data, config).await?;
    let audit_key = minhbach_crypto::AuditKey::derive(&secret);
    let store = open_store(data, config, Some(audit_key)).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let st = AppState::new(store.clone(), secret, clock, config.web())
        .map_err(|e| anyhow::anyhow!("start-up data: {e}"))?;
    minhbach_app::audit::check_server_key(&st).await?;
    st.load_legal()
        .await
        .map_err(|e| anyhow::anyhow!("loading deadline rules and calendar: {e}"))?;
    Ok((st, store))
}

async fn serve(data: &Path, config: &Config, demo: bool) -> anyhow::Result<()> {
    let (st, store) = open_parts(data, config).await?;
    if demo {
        seed_demo(&st, config).await?;
    } else if st.store.organisation().await?.is_none() {
        eprintln!("The organisation is not set up yet: run `minhbach init` (or `minhbach demo` to try it).");
    }
    start_background(&st, store, config, data).await?;
    run(st, config).await
}

/// Starts what runs beside the server: the free-space monitor and, if configured, the scheduler.
/// Also checks the audit log against its signed checkpoints: a server does not start on a log
/// that was rewritten, and while it runs it signs a checkpoint every few minutes.
async fn start_background(
    st: &AppState,
    store: Arc<SqlStore>,
    config: &Config,
    data: &Path,
) -> anyhow::Result<()> {
    let checkpoints = Checkpoints::new(config.checkpoint_file(data), &st.secret);
    let outcome = minhbach_app::audit::verify(st.store.as_ref(), &checkpoints, st.now()).await;
    minhbach_app::audit::record_status(&st.audit_status, st.now(), &outcome);
    if let Err(e) = outcome? {
        bail!("the audit log does not verify ({e}); run `minhbach audit verify` and restore from a backup");
    }
    minhbach_app::audit::spawn_checkpoints(
        st.store.clone(),
        st.clock.clone(),
        checkpoints,
        std::time::Duration::from_secs(config.audit_checkpoint_minutes.max(1) * 60),
        st.audit_status.clone(),
    );
    let mailer = minhbach_app::mail::mailer(config.smtp()?.as_ref())
        .map_err(|e| anyhow::anyhow!("mail: {e}"))?;
    minhbach_app::space::SpaceMonitor::new(
        st.store.clone(),
        mailer.clone(),
        config.alert_addresses(),
    )
    .spawn(std::time::Duration::from_secs(15));
    if config.scheduler {
        start_scheduler(st, store, mailer, config);
    }
    spawn_public_warmer(st.clone(), std::time::Duration::from_secs(60));
    Ok(())
}

/// Keeps the public page's default tables (every day of the newest publication) made, so that
/// its readers are served from them: checked every `every` (a cache hit while nothing new was
/// published), so a new publication's tables are made within that time of it, by this task
/// rather than by a reader.
fn spawn_public_warmer(st: AppState, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = minhbach_app::statistics::public(&st.app, None, None, None).await {
                tracing::warn!(error = %e, "the public figures could not be made");
            }
        }
    });
}

/// Starts the in-process scheduler: overdue scan, reminders, suspension reviews, mail.
fn start_scheduler(
    st: &AppState,
    store: Arc<SqlStore>,
    mailer: Arc<dyn minhbach_app::mail::Mailer>,
    config: &Config,
) {
    use minhbach_app::scheduler::{node_name, Scheduler, SchedulerSettings};
    let legal = st.clone();
    let calendar = Arc::new(move || legal.legal());
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into());
    Scheduler::new(
        store,
        st.clock.clone(),
        calendar,
        mailer,
        node_name(&host),
        &config.public_url,
        SchedulerSettings::default(),
    )
    .spawn();
}

async fn run(st: AppState, config: &Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    println!("minhbach is listening on http://{addr}/");
    axum::serve(listener, minhbach_web::router(st))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// The recovery key's text, read from standard input (never an argument, which other users
/// of the machine could see).
fn read_recovery_key() -> anyhow::Result<minhbach_crypto::SecretKey> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
    minhbach_crypto::recovery_key_from_text(text.trim())
        .map_err(|e| anyhow::anyhow!("recovery key: {e}"))
}

fn print_recovery(recovery: &minhbach_crypto::SecretKey) {
    println!();
    println!("ORGANISATION RECOVERY KEY — shown once, not kept on the server:");
    println!();
    println!("    {}", recovery_key_to_text(recovery));
    println!();
    println!("Write it down and keep it offline, split among the organisation's custodians.");
    println!("It is the only way to re-open staff keys after a lost password and to recover");
    println!("cases if every entitled officer leaves. Anyone holding it can read every case.");
    println!();
}

async fn seed_demo(st: &AppState, config: &Config) -> anyhow::Result<()> {
    if st.store.organisation().await?.is_some() {
        println!("The database already holds an organisation; not seeding the demo again.");
        println!(
            "Demo logins (if it is the demo): <agency>.tiepnhan / .xuly / .lanhdao / .baove, \
             giamho.thanhtra / .mttq / .vienkiemsat, password {}",
            demo::DEMO_PASSWORD
        );
        return Ok(());
    }
    let city = demo::seed(st, config.password_params())
        .await
        .map_err(|e| anyhow::anyhow!("seeding the demo: {e}"))?;
    minhbach_app::audit::check_server_key(st).await?;
    print_recovery(&city.recovery);
    println!(
        "DEMO DATA — every account below has the password: {}",
        demo::DEMO_PASSWORD
    );
    println!();
    for login in &city.logins {
        println!(
            "    {:<20} {:<16} {}",
            login.username,
            login.role.code(),
            login.agency.as_deref().unwrap_or("-")
        );
    }
    println!();
    println!("Sample reports and their receipts (use them on /status):");
    for (reference, receipt) in &city.receipts {
        println!("    {reference}   {receipt}");
    }
    println!();
    Ok(())
}

async fn init(data: &Path, config: &Config, username: &str, password: &str) -> anyhow::Result<()> {
    if password.chars().count() < 12 {
        bail!("the administrator password must have at least 12 characters");
    }
    let st = open(data, config).await?;
    let now = st.now();
    let recovery = admin::create_organisation(
        st.store.as_ref(),
        &config.organisation_name,
        &config.reference_prefix,
        false,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let account = StaffAccount {
        username,
        display_name: username,
        password,
        agency: None,
        role: Role::Admin,
        totp: None,
    };
    admin::create_staff(
        st.store.as_ref(),
        &st.secret,
        &account,
        config.password_params(),
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the administrator: {e}"))?;
    minhbach_app::audit::check_server_key(&st).await?;
    println!(
        "Created the organisation “{}” and the administrator “{username}”.",
        config.organisation_name
    );
    print_recovery(&recovery);
    Ok(())
}

async fn audit_verify(data: &Path, config: &Config) -> anyhow::Result<()> {
    let st = open(data, config).await?;
    let checkpoints = Checkpoints::new(config.checkpoint_file(data), &st.secret);
    match minhbach_app::audit::verify(st.store.as_ref(), &checkpoints, st.now()).await? {
        Ok(v) => {
            println!(
                "audit log OK: {} events, chain intact, {} signed checkpoints agree",
                v.events, v.checkpoints
            );
            println!(
                "new checkpoint at event {} in {}; checkpoint public key {}",
                v.written.seq,
                checkpoints.path().display(),
                checkpoints.public_key()
            );
            Ok(())
        }
        Err(e) => {
            eprintln!("AUDIT LOG BROKEN: {e}");
            std::process::exit(1);
        }
    }
}

async fn stats(data: &Path, config: &Config, command: StatsCommand) -> anyhow::Result<()> {
    let st = open(data, config).await?;
    match command {
        StatsCommand::Publish { as_of } => {
            let day = match as_of {
                Some(d) => {
                    time::Date::parse(&d, &time::format_description::well_known::Iso8601::DATE)
                        .map_err(|_| anyhow::anyhow!("--as-of takes a date as YYYY-MM-DD"))?
                }
                None => st
                    .today()
                    .previous_day()
                    .ok_or_else(|| anyhow::anyhow!("date out of range"))?,
            };
            match minhbach_app::statistics::publish(&st, day, "cli")
                .await
                .map_err(|e| anyhow::anyhow!("publishing the figures as of {day}: {e}"))?
            {
                Some(_) => println!("published the figures as of the end of {day}"),
                None => println!("the figures as of the end of {day} were published already"),
            }
            Ok(())
        }
        StatsCommand::Verify => {
            let checks = minhbach_app::statistics::verify(&st).await?;
            let mut failed = 0;
            for c in &checks {
                if c.passed() {
                    println!("{}: OK (published at audit event {})", c.as_of, c.audit_seq);
                    continue;
                }
                failed += 1;
                if !c.matches_audit {
                    println!(
                        "{}: the stored figures do not match the digest recorded at audit event {}",
                        c.as_of, c.audit_seq
                    );
                }
                for d in &c.differences {
                    println!(
                        "{}: agency {} received {} {} {} partner {:?}: {} published {}, recomputed {}",
                        c.as_of,
                        d.cell.agency.0,
                        time::Date::from_julian_day(d.cell.received)
                            .map(|d| d.to_string())
                            .unwrap_or_default(),
                        d.cell.category,
                        d.cell.channel,
                        d.cell.partner.map(|p| p.0),
                        d.metric.code(),
                        d.published,
                        d.recomputed
                    );
                }
            }
            if checks.is_empty() {
                println!("no figures published yet");
            }
            if failed > 0 {
                eprintln!("FIGURES DIFFER: {failed} of {} publications", checks.len());
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

/// Files a backup holds, relative to its directory (and to the data directory).
const BACKUP_DB: &str = "minhbach.db";
const BACKUP_KEY: &str = "secrets/server.key";
const BACKUP_CHECKPOINTS: &str = "audit/checkpoints";

async fn backup(data: &Path, config: &Config, to: &Path) -> anyhow::Result<()> {
    if to.exists() && std::fs::read_dir(to)?.next().is_some() {
        bail!(
            "{} is not empty: back up into a new directory",
            to.display()
        );
    }
    let (st, store) = open_parts(data, config).await?;
    // The log is checked and a checkpoint signed first; the checkpoints are copied before the
    // database, so the copy of the log is never shorter than the copied checkpoints.
    let checkpoints = Checkpoints::new(config.checkpoint_file(data), &st.secret);
    if let Err(e) = minhbach_app::audit::verify(st.store.as_ref(), &checkpoints, st.now()).await? {
        bail!("the audit log does not verify ({e}): not backing up a broken log");
    }
    minhbach_app::files::create_private_dir(&to.join("secrets"))?;
    minhbach_app::files::create_private_dir(&to.join("audit"))?;
    copy_private(&config.secret_file(data), &to.join(BACKUP_KEY))?;
    copy_private(&config.checkpoint_file(data), &to.join(BACKUP_CHECKPOINTS))?;
    match config.sqlite_file(data) {
        Some(_) => {
            let file = to.join(BACKUP_DB);
            store.backup_into(&file).await?;
            minhbach_app::files::restrict(&file, 0o600)?;
            println!("backup written to {}", to.display());
        }
        None => println!(
            "server key and audit checkpoints written to {}; now dump the PostgreSQL database \
             with pg_dump (see docs/operations.md)",
            to.display()
        ),
    }
    Ok(())
}

fn copy_private(from: &Path, to: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(from).with_context(|| format!("reading {}", from.display()))?;
    let mut f = minhbach_app::files::open_private_append(to)?;
    use std::io::Write;
    f.write_all(&bytes)?;
    f.sync_all()?;
    Ok(())
}

async fn restore(data: &Path, config: &Config, from: &Path) -> anyhow::Result<()> {
    let Some(db) = config.sqlite_file(data) else {
        bail!("with PostgreSQL, restore the database with pg_restore and copy the server key and checkpoints (docs/operations.md)");
    };
    let key = config.secret_file(data);
    let checkpoints = config.checkpoint_file(data);
    for existing in [&db, &key, &checkpoints] {
        if existing.exists() {
            bail!(
                "{} exists: restore into an empty data directory",
                existing.display()
            );
        }
    }
    for part in [BACKUP_DB, BACKUP_KEY, BACKUP_CHECKPOINTS] {
        if !from.join(part).exists() {
            bail!("{} is not a backup: {part} is missing", from.display());
        }
    }
    minhbach_app::files::create_private_dir(data)?;
    if let Some(dir) = key.parent() {
        minhbach_app::files::create_private_dir(dir)?;
    }
    if let Some(dir) = checkpoints.parent() {
        minhbach_app::files::create_private_dir(dir)?;
    }
    copy_private(&from.join(BACKUP_KEY), &key)?;
    copy_private(&from.join(BACKUP_CHECKPOINTS), &checkpoints)?;
    copy_private(&from.join(BACKUP_DB), &db)?;
    // Serve nothing that does not check out: the key must open this database and the log must
    // verify against the checkpoints taken with it.
    let checked = async {
        let st = open(data, config).await?;
        let signed = Checkpoints::new(&checkpoints, &st.secret);
        match minhbach_app::audit::verify(st.store.as_ref(), &signed, st.now()).await? {
            Ok(v) => Ok(v.events),
            Err(e) => Err(anyhow::anyhow!("the audit log does not verify: {e}")),
        }
    }
    .await;
    match checked {
        Ok(events) => {
            println!(
                "restored from {}: {events} audit events verified",
                from.display()
            );
            Ok(())
        }
        Err(e) => {
            for f in [&db, &key, &checkpoints] {
                let _ = std::fs::remove_file(f);
            }
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
            }
            bail!("the backup in {} was not restored: {e}", from.display())
        }
    }
}

async fn legal_import(
    data: &Path,
    config: &Config,
    command: LegalCommand,
    calendar: bool,
) -> anyhow::Result<()> {
    let LegalCommand::Import { file } = command;
    let document =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let st = open(data, config).await?;
    let store = st.store.as_ref();
    if calendar {
        let year =
            minhbach_app::legal::import_calendar_year(store, &document, "cli", st.now()).await?;
        println!("calendar {year} imported");
    } else {
        let from = minhbach_app::legal::import_rule_set(store, &document, "cli", st.now()).await?;
        println!("rule set in force from {from} imported; it applies to clocks that start on or after that date");
    }
    Ok(())
}

async fn agency_command(
    data: &Path,
    config: &Config,
    command: AgencyCommand,
) -> anyhow::Result<()> {
    let st = open(data, config).await?;
    let store = st.store.as_ref();
    match command {
        AgencyCommand::Add {
            code,
            name_vi,
            name_en,
            kind,
            default,
        } => {
            let id =
                admin::create_agency(store, &code, &name_vi, &name_en, &kind, st.now()).await?;
            if default {
                let audit = minhbach_store::AuditEntry::new(
                    st.now(),
                    "cli",
                    "organisation.default_agency",
                    None,
                );
                store.set_default_agency(id, &audit).await?;
            }
            println!(
                "agency {code} created (id {id}){}",
                if default {
                    ", default intake agency"
                } else {
                    ""
                }
            );
        }
        AgencyCommand::Superior { code, superior, .. } => {
            let agencies = store.agencies().await?;
            let find = |c: &str| {
                agencies
                    .iter()
                    .find(|a| a.code == c)
                    .map(|a| a.id)
                    .ok_or_else(|| {
                        anyhow::anyhow!("no agency with code {c} (see `minhbach agency list`)")
                    })
            };
            let agency = find(&code)?;
            let superior_id = superior.as_deref().map(find).transpose()?;
            admin::set_superior(store, agency, superior_id, st.now()).await?;
            match superior {
                Some(s) => println!("the superior body of {code} is now {s}"),
                None => println!("{code} has no superior body now"),
            }
        }
        AgencyCommand::List => {
            let default = store.organisation().await?.and_then(|o| o.default_agency);
            for a in store.agencies().await? {
                let mark = if Some(a.id) == default {
                    " (default intake)"
                } else {
                    ""
                };
                println!("{:<12} {:<14} {}{mark}", a.code, a.kind, a.name_vi);
            }
        }
    }
    Ok(())
}

async fn category_command(
    data: &Path,
    config: &Config,
    command: CategoryCommand,
) -> anyhow::Result<()> {
    let st = open(data, config).await?;
    let CategoryCommand::Set {
        code,
        name_vi,
        name_en,
        position,
    } = command;
    let category = minhbach_store::Category {
        code: code.clone(),
        name_vi,
        name_en,
        position,
    };
    admin::create_category(st.store.as_ref(), category, st.now()).await?;
    println!("category {code} saved");
    Ok(())
}

async fn user_command(data: &Path, config: &Config, command: UserCommand) -> anyhow::Result<()> {
    let (username, name, role, agency, password) = match command {
        UserCommand::Add {
            username,
            name,
            role,
            agency,
            password,
        } => (username, name, role, agency, password),
        UserCommand::Deactivate { username } => {
            let st = open(data, config).await?;
            let wraps = admin::deactivate_user(st.store.as_ref(), &username, st.now()).await?;
            println!("user {username} deactivated; {wraps} case keys withdrawn");
            return Ok(());
        }
    };
    let role = Role::from_code(&role).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown role {role}: intake_officer, handler, agency_lead, protection_officer, custodian, overseer, admin or auditor"
        )
    })?;
    if password.chars().count() < 12 {
        bail!("the password must have at least 12 characters");
    }
    let st = open(data, config).await?;
    let agency_id = match &agency {
        Some(code) => Some(
            st.store
                .agencies()
                .await?
                .into_iter()
                .find(|a| &a.code == code)
                .map(|a| a.id)
                .ok_or_else(|| {
                    anyhow::anyhow!("no agency with code {code} (see `minhbach agency list`)")
                })?,
        ),
        None if role.needs_agency() => bail!("role {} needs --agency", role.code()),
        None => None,
    };
    let account = StaffAccount {
        username: &username,
        display_name: &name,
        password: &password,
        agency: agency_id,
        role,
        totp: None,
    };
    let (id, totp) = admin::create_staff(
        st.store.as_ref(),
        &st.secret,
        &account,
        config.password_params(),
        st.now(),
    )
    .await?;
    println!("user {username} created (id {id}, role {})", role.code());
    if let Some(totp) = totp {
        let uri = totp
            .otpauth_uri("Minh Bach", &username)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!();
        println!(
            "Second factor: give this to {username} privately, to add to an authenticator app"
        );
        println!(
            "    secret: {}",
            totp.to_base32().map_err(|e| anyhow::anyhow!("{e}"))?
        );
        println!("    {uri}");
        println!("It is shown once; the server keeps it only sealed under its secret.");
    }
    Ok(())
}

/// `minhbach demo --cases N`: adds N synthetic cases (minhbach_store::synthetic), printing
/// progress every 100,000 and the elapsed time.
async fn generate_synthetic(st: &AppState, store: &SqlStore, n: u64) -> anyhow::Result<()> {
    use minhbach_store::{SyntheticSpec, SyntheticStore};
    let started = std::time::Instant::now();
    let mut spec = SyntheticSpec::new(n, st.today(), st.now());
    let reported = Arc::new(std::sync::atomic::AtomicU64::new(0));
    spec.progress = Some(Arc::new(move |done: u64| {
        let step = done / 100_000;
        if step > reported.swap(step, std::sync::atomic::Ordering::Relaxed) || done == n {
            println!(
                "synthetic cases: {done} / {n} ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }));
    println!("Adding {n} synthetic cases (demo data: random bytes, they cannot be opened)…");
    let added = store
        .generate_cases(&spec)
        .await
        .map_err(|e| anyhow::anyhow!("generating synthetic cases: {e}"))?;
    println!(
        "Added {added} synthetic cases in {:.1} s (including ANALYZE).",
        started.elapsed().as_secs_f64()
    );
    // Their history lies in the past: yesterday's figures can be published at once (the
    // scheduler would do it within the hour).
    let started = std::time::Instant::now();
    if let Some(yesterday) = st.today().previous_day() {
        if minhbach_app::statistics::publish(st, yesterday, "cli")
            .await
            .map_err(|e| anyhow::anyhow!("publishing the figures: {e}"))?
            .is_some()
        {
            println!(
                "Published the figures as of the end of {yesterday} in {:.1} s.",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}
