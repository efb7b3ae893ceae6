//! Inbox and overdue-scan benchmark on a large database (e.g. one million synthetic cases made
//! with `minhbach demo --no-serve --cases 1000000`).
//!
//! It opens the store directly (no HTTP: the figures are the database part of the server time,
//! which is nearly all of it for these pages) and measures:
//!
//! - the inbox exactly as the web layer asks for it: [`Store::inbox`] ordered by deadline, 25 per
//!   page, for the agency with the most cases (or `--agency`): page 1, random pages 1–20, and
//!   the same with the `overdue` filter. Each call runs the page query and the count query.
//!   One client, back to back, after a warm-up; p50/p95/p99/max in milliseconds. Then the
//!   overseers' inbox over every agency, page 1 (`--overseer-iterations`, fewer calls);
//! - the overdue scan, [`JobStore::scan_overdue`], as the scheduler runs it. The first scan
//!   marks the clocks that are past due (a one-shot measurement: it changes the database, so
//!   run it on a copy you can throw away); the second scan finds nothing to do and shows the
//!   fixed cost of a scan at this size.
//!
//! It prints the query plans of the inbox statements (EXPLAIN QUERY PLAN / EXPLAIN) and warns
//! when the page query does not use the `cases_agency_due` index, then Markdown tables for
//! `docs/benchmarks.md`.
//!
//! ```text
//! target/release/bench-inbox --database-url sqlite:///var/tmp/million/minhbach.db
//! target/release/bench-inbox --database-url postgres://postgres@127.0.0.1/minhbach_million
//! ```

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use clap::Parser;
use minhbach_app::clock::{Clock, SystemClock};
use minhbach_domain::{AgencyId, UserId};
use minhbach_store::{
    Backend, InboxFilter, InboxOrder, InboxQuery, InboxViewer, JobStore, SqlStore, Store,
    StoreConfig, SyntheticStore,
};
use rand::Rng;

#[derive(Parser, Debug)]
#[command(about = "Times the inbox by deadline and the overdue scan on a large database")]
struct Args {
    /// sqlite://path/to/minhbach.db or postgres://user@host/db (a throw-away copy: the scan
    /// writes).
    #[arg(long)]
    database_url: String,
    /// Timed calls per inbox measurement.
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// Agency code (default: the agency with the most cases).
    #[arg(long)]
    agency: Option<String>,
    /// Untimed calls before each inbox measurement.
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    /// The scan's "today" (YYYY-MM-DD; default: today in Vietnam).
    #[arg(long)]
    today: Option<String>,
    /// Only the inbox: leave the database unchanged.
    #[arg(long)]
    no_scan: bool,
    /// Timed calls of the overseers' inbox (every agency, page 1; 0: skip it).
    #[arg(long, default_value_t = 20)]
    overseer_iterations: usize,
    /// PostgreSQL: EXPLAIN (ANALYZE, BUFFERS) instead of EXPLAIN.
    #[arg(long)]
    analyze: bool,
}

struct Timing {
    name: String,
    runs: usize,
    rows: usize,
    total: i64,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
}

/// Nearest-rank percentile of sorted durations.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.clamp(1, sorted.len()) - 1)
        .copied()
        .unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// `agency` None: the overseers' inbox over every agency.
fn query(agency: Option<AgencyId>, page: u32, overdue: bool) -> InboxQuery {
    InboxQuery {
        agency,
        // As the server asks for a lead: without the cases they are excluded from.
        viewer: agency.map(|a| InboxViewer {
            user: UserId(1),
            leads: Some(a),
        }),
        order: InboxOrder::DueFirst,
        filter: InboxFilter {
            overdue,
            ..InboxFilter::default()
        },
        page,
        per_page: 25,
    }
}

/// Times `iterations` inbox calls; `random_pages` picks the page uniformly in 1–20 per call.
async fn time_inbox(
    store: &SqlStore,
    (iterations, warmup): (usize, usize),
    name: &str,
    agency: Option<AgencyId>,
    overdue: bool,
    random_pages: bool,
) -> Result<Timing> {
    let mut rng = rand::thread_rng();
    let mut pick = || {
        if random_pages {
            rng.gen_range(1..=20)
        } else {
            1
        }
    };
    for _ in 0..warmup {
        store.inbox(&query(agency, pick(), overdue)).await?;
    }
    let mut times = Vec::with_capacity(iterations);
    let (mut rows, mut total) = (0, 0);
    for _ in 0..iterations {
        let q = query(agency, pick(), overdue);
        let started = Instant::now();
        let page = store.inbox(&q).await?;
        times.push(started.elapsed());
        rows += page.rows.len();
        total = page.total;
    }
    times.sort_unstable();
    let t = Timing {
        name: name.to_owned(),
        runs: times.len(),
        rows: rows / times.len().max(1),
        total,
        p50: percentile(&times, 50.0),
        p95: percentile(&times, 95.0),
        p99: percentile(&times, 99.0),
        max: times.last().copied().unwrap_or_default(),
    };
    println!(
        "{name}: p50 {} ms, p95 {} ms, p99 {} ms, max {} ms ({} rows/page, {} matching)",
        ms(t.p50),
        ms(t.p95),
        ms(t.p99),
        ms(t.max),
        t.rows,
        t.total
    );
    Ok(t)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let mut config = StoreConfig::new(args.database_url.clone());
    config.max_connections = 4;
    let store = SqlStore::open(&config).await?;
    let engine = match store.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };

    // Exact cases per agency (the inbox's own count stops at its cap), to pick the busiest.
    let counts = store.cases_per_agency().await?;
    let mut per_agency = Vec::new();
    for a in store.agencies().await? {
        let total = counts
            .iter()
            .find(|(id, _)| *id == a.id)
            .map_or(0, |(_, n)| *n);
        per_agency.push((a, total));
    }
    let cases: i64 = per_agency.iter().map(|(_, n)| n).sum();
    let (agency, agency_cases) = match &args.agency {
        Some(code) => per_agency
            .iter()
            .find(|(a, _)| &a.code == code)
            .ok_or_else(|| anyhow!("no agency with code {code}"))?,
        None => per_agency
            .iter()
            .max_by_key(|(_, n)| *n)
            .ok_or_else(|| anyhow!("no agencies: seed the demo first"))?,
    };
    println!(
        "{engine}: {cases} cases; agency {} ({}) holds {agency_cases}",
        agency.code, agency.name_en
    );

    // Query plans.
    let mut without_index = Vec::new();
    let overseer = args.overseer_iterations > 0;
    for (who, overdue) in [
        (Some(agency.id), false),
        (Some(agency.id), true),
        (None, false),
    ] {
        if who.is_none() && !overseer {
            continue;
        }
        let plan = store
            .explain_inbox(&query(who, 1, overdue), args.analyze)
            .await?;
        println!();
        for line in &plan {
            println!("  {line}");
        }
        let page_plan: Vec<&String> = plan
            .iter()
            .skip(1)
            .take_while(|l| !l.starts_with("-- count"))
            .collect();
        if who.is_some() && !page_plan.iter().any(|l| l.contains("cases_agency_due")) {
            without_index.push(if overdue {
                "overdue filter"
            } else {
                "no filter"
            });
        }
    }
    println!();
    for which in without_index {
        println!("NOTE: the page query ({which}) does not use the cases_agency_due index.");
    }

    let runs = (args.iterations, args.warmup);
    let id = Some(agency.id);
    let mut inbox = vec![
        time_inbox(&store, runs, "page 1", id, false, false).await?,
        time_inbox(&store, runs, "random page 1–20", id, false, true).await?,
        time_inbox(&store, runs, "overdue, page 1", id, true, false).await?,
        time_inbox(&store, runs, "overdue, random page 1–20", id, true, true).await?,
    ];
    if overseer {
        let runs = (args.overseer_iterations, args.warmup.min(2));
        let name = "overseers: every agency, page 1";
        inbox.push(time_inbox(&store, runs, name, None, false, false).await?);
    }

    let mut scans = Vec::new();
    if !args.no_scan {
        let clock = SystemClock;
        let now = clock.now();
        let today = match &args.today {
            Some(t) => t.clone(),
            None => {
                let d = now.to_offset(minhbach_app::clock::LOCAL_OFFSET).date();
                format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
            }
        };
        for label in ["first scan", "second scan (nothing to do)"] {
            let candidates = store.overdue_candidates(&today).await?;
            let started = Instant::now();
            let report = store.scan_overdue(&today, now.unix_timestamp()).await?;
            let elapsed = started.elapsed();
            println!(
                "{label} (today {today}): {candidates} candidates, {} breached, {} follow-up \
                 tasks, {} notifications in {} ms",
                report.breached,
                report.followup_tasks,
                report.notifications,
                ms(elapsed)
            );
            scans.push((label, report, elapsed));
        }
    }

    println!();
    println!(
        "{engine}, {cases} cases, agency `{}` ({agency_cases} cases):",
        agency.code
    );
    println!();
    println!(
        "| inbox by deadline, 25 per page | calls | matching | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for t in &inbox {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            t.name,
            t.runs,
            t.total,
            ms(t.p50),
            ms(t.p95),
            ms(t.p99),
            ms(t.max)
        );
    }
    if !scans.is_empty() {
        println!();
        println!("| overdue scan | clocks breached | follow-up tasks | notifications | elapsed (ms) | per clock (ms) |");
        println!("|---|---:|---:|---:|---:|---:|");
        for (label, r, elapsed) in &scans {
            let per = if r.breached > 0 {
                ms(elapsed.div_f64(r.breached as f64))
            } else {
                "–".to_owned()
            };
            println!(
                "| {label} | {} | {} | {} | {} | {per} |",
                r.breached,
                r.followup_tasks,
                r.notifications,
                ms(*elapsed)
            );
        }
    }
    store.close().await;
    Ok(())
}
