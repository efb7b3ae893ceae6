//! Submission benchmark: how many reports per second a running minhbach server records, and
//! how long a reporter waits for the receipt.
//!
//! What it measures: durable submissions. The server answers `201 Created` with the receipt
//! only after the transaction that records the case has committed (SQLite with
//! `synchronous=FULL`, so the commit waits for the disk), so every success counted here is a
//! report that survives a crash or a power cut. Each request is a `POST /api/v1/reports` with
//! an anonymous report; it succeeds when the answer is 201 with a JSON body holding a
//! `reference` and a `receipt` of the form `XXXX-XXXX-XXXX-XXXX`. Anything else is a failure.
//!
//! For each concurrency level, that many tasks share a counter of remaining requests and send
//! them back to back over one connection pool. After a few warm-up requests (not counted), it
//! prints the submission rate (successful submissions per second of wall time) and latency
//! percentiles of the successful requests, then a Markdown table of all levels that can be
//! pasted into `docs/benchmarks.md`. It exits with an error if any request failed.
//!
//! Every run adds real cases to the server's database: run it only against a throwaway
//! instance on this machine, for example one started with
//! `minhbach demo --data /tmp/bench-data`, then:
//!
//! ```text
//! cargo run --release -p minhbach --bin bench -- --url http://127.0.0.1:8080
//! cargo run --release -p minhbach --bin bench -- --concurrency 1,4,16,64 --requests 5000
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use minhbach::loadgen::{error_chain, make_report};
use reqwest::StatusCode;
use serde::Deserialize;

/// How many distinct failure messages are printed per level.
const SHOWN_FAILURES: usize = 5;

#[derive(Parser, Debug)]
#[command(
    about = "Submits reports concurrently to a running minhbach server and prints the rate and latencies"
)]
struct Args {
    /// Base address of the server (a throwaway instance on this machine).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Concurrency levels to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,8,64")]
    concurrency: Vec<usize>,
    /// Requests counted per concurrency level.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Category of the submitted reports (must be configured on the server).
    #[arg(long, default_value = "land")]
    category: String,
    /// Requests sent before each level and not counted.
    #[arg(long, default_value_t = 50)]
    warmup: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum FailureKind {
    /// The server answered with another status than 201.
    Status,
    /// No answer: connection refused, reset, timeout...
    Transport,
    /// 201, but the body is not what the API promises.
    BadBody,
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FailureKind::Status => "status",
            FailureKind::Transport => "transport",
            FailureKind::BadBody => "bad-body",
        })
    }
}

struct Failure {
    kind: FailureKind,
    message: String,
}

/// What the tasks of one level observed, merged.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    failures: BTreeMap<FailureKind, usize>,
    messages: Vec<String>,
}

impl Tally {
    fn record_failure(&mut self, failure: Failure) {
        *self.failures.entry(failure.kind).or_default() += 1;
        self.note(failure.message);
    }

    fn note(&mut self, message: String) {
        if self.messages.len() < SHOWN_FAILURES && !self.messages.contains(&message) {
            self.messages.push(message);
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        for (kind, n) in other.failures {
            *self.failures.entry(kind).or_default() += n;
        }
        for message in other.messages {
            self.note(message);
        }
    }

    fn failed(&self) -> usize {
        self.failures.values().sum()
    }
}

/// One line of the results.
struct LevelResult {
    concurrency: usize,
    requests: usize,
    ok: usize,
    failed: usize,
    elapsed: Duration,
    rate: f64,
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
}

impl LevelResult {
    fn new(concurrency: usize, requests: usize, elapsed: Duration, tally: &Tally) -> Self {
        let mut sorted = tally.latencies.clone();
        sorted.sort_unstable();
        let ok = sorted.len();
        let secs = elapsed.as_secs_f64();
        LevelResult {
            concurrency,
            requests,
            ok,
            failed: tally.failed(),
            elapsed,
            rate: if secs > 0.0 { ok as f64 / secs } else { 0.0 },
            p50: percentile(&sorted, 50.0),
            p90: percentile(&sorted, 90.0),
            p99: percentile(&sorted, 99.0),
            max: sorted.last().copied().unwrap_or_default(),
        }
    }

    fn line(&self) -> String {
        format!(
            "concurrency={} requests={} ok={} failed={} elapsed={:.2}s rate={:.1}/s p50={} p90={} p99={} max={}",
            self.concurrency,
            self.requests,
            self.ok,
            self.failed,
            self.elapsed.as_secs_f64(),
            self.rate,
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max),
        )
    }

    fn row(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {:.2} s | {:.1} | {} | {} | {} | {} |",
            self.concurrency,
            self.requests,
            self.ok,
            self.failed,
            self.elapsed.as_secs_f64(),
            self.rate,
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max),
        )
    }
}

/// Nearest-rank percentile of sorted latencies; zero when there are none.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted.get(index).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1}ms", d.as_secs_f64() * 1000.0)
}

fn shorten(text: &str, max_chars: usize) -> String {
    let mut short: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        short.push('…');
    }
    short
}

#[derive(Deserialize)]
struct Submitted {
    reference: Option<serde_json::Value>,
    receipt: Option<serde_json::Value>,
}

fn receipt_well_formed(receipt: &str) -> bool {
    receipt.chars().count() == 19
        && receipt.chars().enumerate().all(|(i, c)| match i {
            4 | 9 | 14 => c == '-',
            _ => c.is_ascii_alphanumeric(),
        })
}

/// Checks a 201 body: a non-empty `reference` string and a well-formed `receipt` string.
fn check_body(body: &[u8]) -> Result<(), String> {
    let parsed: Submitted = serde_json::from_slice(body).map_err(|e| {
        format!(
            "body is not the expected JSON ({e}): {}",
            shorten(&String::from_utf8_lossy(body), 200)
        )
    })?;
    match parsed.reference {
        Some(serde_json::Value::String(s)) if !s.is_empty() => {}
        Some(other) => return Err(format!("`reference` is not a non-empty string: {other}")),
        None => return Err("no `reference` in the body".to_owned()),
    }
    match parsed.receipt {
        Some(serde_json::Value::String(s)) if receipt_well_formed(&s) => Ok(()),
        // Do not print a receipt, even a malformed one: only its length.
        Some(serde_json::Value::String(s)) => Err(format!(
            "`receipt` is not XXXX-XXXX-XXXX-XXXX ({} chars)",
            s.chars().count()
        )),
        Some(_) => Err("`receipt` is not a string".to_owned()),
        None => Err("no `receipt` in the body".to_owned()),
    }
}

/// One submission, timed from sending the request to having read the whole answer.
async fn submit_one(
    client: &reqwest::Client,
    endpoint: &str,
    category: &str,
) -> Result<Duration, Failure> {
    let report = make_report(category);
    let start = Instant::now();
    let transport = |e: reqwest::Error| Failure {
        kind: FailureKind::Transport,
        message: format!("transport: {}", error_chain(&e)),
    };
    let response = client
        .post(endpoint)
        .json(&report)
        .send()
        .await
        .map_err(transport)?;
    let status = response.status();
    let body = response.bytes().await.map_err(transport)?;
    let latency = start.elapsed();
    if status != StatusCode::CREATED {
        return Err(Failure {
            kind: FailureKind::Status,
            message: format!(
                "status {status}: {}",
                shorten(&String::from_utf8_lossy(&body), 200)
            ),
        });
    }
    check_body(&body).map_err(|message| Failure {
        kind: FailureKind::BadBody,
        message: format!("bad body: {message}"),
    })?;
    Ok(latency)
}

/// Sends `total` requests with `concurrency` tasks and returns what they saw and the wall time.
async fn run_level(
    client: &reqwest::Client,
    endpoint: &Arc<str>,
    category: &Arc<str>,
    concurrency: usize,
    total: usize,
) -> Result<(Tally, Duration)> {
    let remaining = Arc::new(AtomicI64::new(
        i64::try_from(total).context("too many requests")?,
    ));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let client = client.clone();
        let endpoint = Arc::clone(endpoint);
        let category = Arc::clone(category);
        let remaining = Arc::clone(&remaining);
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            while remaining.fetch_sub(1, Ordering::Relaxed) > 0 {
                match submit_one(&client, &endpoint, &category).await {
                    Ok(latency) => tally.latencies.push(latency),
                    Err(failure) => tally.record_failure(failure),
                }
            }
            tally
        }));
    }
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.context("a benchmark task panicked")?);
    }
    Ok((tally, start.elapsed()))
}

fn print_failures(label: &str, tally: &Tally) {
    if tally.failed() == 0 {
        return;
    }
    let kinds: Vec<String> = tally
        .failures
        .iter()
        .map(|(kind, n)| format!("{kind}={n}"))
        .collect();
    eprintln!("  {label} failures: {}", kinds.join(" "));
    for message in &tally.messages {
        eprintln!("    {message}");
    }
}

/// Fails with instructions when nothing answers at `base`.
async fn check_server(client: &reqwest::Client, base: &str) -> Result<()> {
    let url = format!("{base}/api/openapi.json");
    let problem = match client.get(&url).send().await {
        Ok(response) if response.status().is_success() => return Ok(()),
        Ok(response) => format!("{url} answered {}", response.status()),
        Err(e) => format!("could not reach {url}: {}", error_chain(&e)),
    };
    bail!(
        "no minhbach server at {base} ({problem}).\n\
         Start a throwaway server on this machine first, for example:\n  \
         minhbach demo --data /tmp/bench-data\n\
         or, with a configuration of your own:\n  \
         minhbach serve\n\
         then run the benchmark again with --url pointing at it."
    )
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.concurrency.is_empty() || args.concurrency.contains(&0) {
        bail!("--concurrency must be a list of positive numbers, such as 1,8,64");
    }
    if args.requests == 0 {
        bail!("--requests must be positive");
    }
    let base = args.url.trim_end_matches('/').to_owned();
    let max_concurrency = args.concurrency.iter().copied().max().unwrap_or(1);

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(max_concurrency)
        .timeout(Duration::from_secs(30))
        // Measure the server, not a proxy that the environment may name.
        .no_proxy()
        .build()
        .context("building the HTTP client")?;

    check_server(&client, &base).await?;

    let endpoint: Arc<str> = Arc::from(format!("{base}/api/v1/reports"));
    let category: Arc<str> = Arc::from(args.category.as_str());
    println!(
        "benchmarking {endpoint}: category={} requests={} per level, warmup={}, concurrency={:?}",
        args.category, args.requests, args.warmup, args.concurrency
    );

    let mut results = Vec::with_capacity(args.concurrency.len());
    let mut warmup_failed = 0;
    for &concurrency in &args.concurrency {
        if args.warmup > 0 {
            let (warm, _) = run_level(
                &client,
                &endpoint,
                &category,
                concurrency.min(args.warmup),
                args.warmup,
            )
            .await?;
            warmup_failed += warm.failed();
            print_failures(&format!("concurrency={concurrency} warmup"), &warm);
        }
        let (tally, elapsed) =
            run_level(&client, &endpoint, &category, concurrency, args.requests).await?;
        let result = LevelResult::new(concurrency, args.requests, elapsed, &tally);
        println!("{}", result.line());
        print_failures(&format!("concurrency={concurrency}"), &tally);
        results.push(result);
    }

    println!();
    println!(
        "| concurrency | requests | ok | failed | elapsed | rate (/s) | p50 | p90 | p99 | max |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for result in &results {
        println!("{}", result.row());
    }

    let failed: usize = results.iter().map(|r| r.failed).sum::<usize>() + warmup_failed;
    if failed > 0 {
        bail!("{failed} request(s) failed (including {warmup_failed} during warm-up)");
    }
    Ok(())
}
