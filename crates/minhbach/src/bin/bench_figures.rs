//! The figures at scale (issue 8): on a database of synthetic cases with their histories (e.g.
//! `minhbach demo --no-serve --cases 1000000`, which also publishes yesterday's figures and
//! prints how long computing them from the events took), it times what the pages do with the
//! published figures, server side and without HTTP:
//!
//! - reading and decoding the newest publication (once per process; then cached);
//! - the overseers' dashboard for the whole city and the current year's 12-month period, by
//!   agency, by month and by channel (the sums of the published cells, as `statistics::dashboard`
//!   does after its scope check);
//! - the public figures of the same period (per-agency and per-month tables with small-cell
//!   suppression, the ranking), exactly `statistics::public`: made (the first reader of a
//!   publication and period) and served (every later one, from the tables made once);
//! - recomputing the figures from the events (what `stats verify` does per publication), once.
//!
//! One client, back to back, after a warm-up; p50/p95/p99/max in milliseconds, as Markdown for
//! `docs/benchmarks.md`.
//!
//! ```text
//! target/release/bench-figures --database-url sqlite:///var/tmp/million/minhbach.db
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use clap::Parser;
use minhbach_app::clock::{Clock, SystemClock};
use minhbach_app::statistics;
use minhbach_app::{App, AppSettings};
use minhbach_crypto::ServerSecret;
use minhbach_domain::periods::{PeriodKind, ReportingRules};
use minhbach_domain::statistics::{dashboard_sums, Filter, GroupBy};
use minhbach_store::{SqlStore, Store, StoreConfig, SyntheticStore};

#[derive(Parser, Debug)]
#[command(about = "Times the dashboard and the public figures on a large database")]
struct Args {
    /// sqlite://path/to/minhbach.db or postgres://user@host/db, with published figures.
    #[arg(long)]
    database_url: String,
    /// Timed calls per measurement.
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// Untimed calls before each measurement.
    #[arg(long, default_value_t = 10)]
    warmup: usize,
    /// Also recompute the figures from the events once (slow at a million cases).
    #[arg(long)]
    recompute: bool,
}

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

async fn time<F, Fut>(name: &str, args: &Args, mut f: F) -> Result<String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    for _ in 0..args.warmup {
        f().await?;
    }
    let mut times = Vec::with_capacity(args.iterations);
    for _ in 0..args.iterations {
        let started = Instant::now();
        f().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(format!(
        "| {name} | {} | {} | {} | {} | {} |",
        times.len(),
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 95.0)),
        ms(percentile(&times, 99.0)),
        ms(times.last().copied().unwrap_or_default())
    ))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let store = Arc::new(SqlStore::open(&StoreConfig::new(args.database_url.clone())).await?);
    let cases: i64 = store
        .cases_per_agency()
        .await?
        .iter()
        .map(|(_, n)| *n)
        .sum();
    let clock = Arc::new(SystemClock);
    let today = clock
        .now()
        .to_offset(minhbach_app::clock::LOCAL_OFFSET)
        .date();
    let dyn_store: Arc<dyn Store> = store.clone();
    // Reading only: any secret will do (nothing is sealed or appended).
    let app = App::new(
        dyn_store,
        ServerSecret::generate(&mut rand::rngs::OsRng),
        clock,
        AppSettings::default(),
    )?;
    let started = Instant::now();
    let figures = statistics::published(&app, None)
        .await?
        .ok_or_else(|| anyhow!("no figures published: run `minhbach stats publish` first"))?;
    let decode = started.elapsed();
    let period = ReportingRules::shipped()?
        .period(PeriodKind::Year, today.year())
        .ok_or_else(|| anyhow!("no period"))?;
    let filter = Filter {
        from: Some(period.from),
        to: Some(period.to),
        ..Filter::default()
    };
    println!(
        "{cases} cases, {} published cells as of {}; the year {} – {}\n",
        figures.cells.len(),
        figures.as_of,
        period.from,
        period.to
    );
    println!(
        "Reading and decoding the publication: {} ms (once per process)\n",
        ms(decode)
    );
    println!("| measurement | runs | p50 ms | p95 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|");
    for by in [GroupBy::Agency, GroupBy::Month, GroupBy::Channel] {
        let f = figures.clone();
        let line = time(
            &format!("dashboard, city, year, by {}", by.code()),
            &args,
            || {
                let f = f.clone();
                let filter = filter.clone();
                async move {
                    // The table and the two charts' sums, as `statistics::dashboard` makes them.
                    std::hint::black_box(dashboard_sums(&f.cells, &filter, by));
                    Ok(())
                }
            },
        )
        .await?;
        println!("{line}");
    }
    let line = time("public figures, year, made", &args, || async {
        // As for the first reader of a publication and period: nothing cached.
        if let Ok(mut c) = app.public_figures_cache.lock() {
            c.clear();
        }
        std::hint::black_box(
            statistics::public(&app, None, Some(period.from), Some(period.to)).await?,
        );
        Ok(())
    })
    .await?;
    println!("{line}");
    let line = time("public figures, year, served", &args, || async {
        // Every later reader: the tables made once for this publication and period.
        std::hint::black_box(
            statistics::public(&app, None, Some(period.from), Some(period.to)).await?,
        );
        Ok(())
    })
    .await?;
    println!("{line}");
    if args.recompute {
        let started = Instant::now();
        let cells = statistics::compute(store.as_ref(), figures.as_of).await?;
        println!(
            "\nRecomputing the figures from the events ({} cells): {:.1} s",
            cells.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
