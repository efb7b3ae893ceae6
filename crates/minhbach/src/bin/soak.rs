//! Soak test: steady mixed load on a running minhbach server for a long time, with the server's
//! resident memory (RSS, from `/proc/PID/status`) sampled at a fixed interval, to show whether
//! memory stays flat.
//!
//! The load, at `--rate` operations per second, paced by a timer (not back to back): 2 in 10 are
//! anonymous submissions over the API; 4 in 10 are reporter visits (a session opened with a
//! receipt of an earlier submission, then the case read), half over the API and half as pages
//! (the receipt form, its sign-in, the case page); 4 in 10 are staff reads (the inbox, or a
//! recent case, by an intake officer signed in once at the start), half API, half pages. A
//! visit counts as one operation even when it is several requests. `--fresh-connections` opens
//! a new connection for every request. Every answer other than the expected one
//! counts as an error, and the program exits with an error if any occurred.
//!
//! Run it against a throwaway demo server on this machine, for example:
//!
//! ```text
//! minhbach --data /tmp/soak-data demo &
//! cargo run --release -p minhbach --bin soak -- --pid $! --minutes 60
//! ```

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use minhbach::loadgen::{error_chain, make_report};
use rand::Rng;
use reqwest::StatusCode;
use serde::Deserialize;

#[derive(Parser, Debug)]
#[command(about = "Steady mixed load on a running minhbach server, with its RSS sampled")]
struct Args {
    /// Base address of the server (a throwaway instance on this machine).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Process id of the server, whose memory is sampled.
    #[arg(long)]
    pid: u32,
    /// Operations per second.
    #[arg(long, default_value_t = 50)]
    rate: u32,
    /// How long to run, in minutes.
    #[arg(long, default_value_t = 60)]
    minutes: u64,
    /// Seconds between two memory samples.
    #[arg(long, default_value_t = 60)]
    sample_secs: u64,
    /// Staff account that reads (demo: the City Inspectorate's intake officer).
    #[arg(long, default_value = "tttp.tiepnhan")]
    staff: String,
    #[arg(long, default_value = "minhbach-demo")]
    password: String,
    /// Category of the submitted reports.
    #[arg(long, default_value = "land")]
    category: String,
    /// Open a new connection for every request, as many different browsers would.
    #[arg(long)]
    fresh_connections: bool,
}

/// Receipts and references of recent submissions, for the visits and reads (bounded, so the
/// load generator does not grow either).
#[derive(Default)]
struct Recent {
    cases: VecDeque<(String, String)>,
}

const RECENT: usize = 2000;

struct Load {
    client: reqwest::Client,
    base: String,
    category: String,
    staff_token: String,
    recent: Mutex<Recent>,
    done: AtomicU64,
    errors: AtomicU64,
    first_errors: Mutex<Vec<String>>,
}

#[derive(Deserialize)]
struct Submitted {
    reference: String,
    receipt: String,
}

#[derive(Deserialize)]
struct Token {
    token: String,
}

impl Load {
    fn pick(&self) -> Option<(String, String)> {
        let recent = self.recent.lock().ok()?;
        if recent.cases.is_empty() {
            return None;
        }
        let i = rand::thread_rng().gen_range(0..recent.cases.len());
        recent.cases.get(i).cloned()
    }

    async fn submit(&self) -> Result<(), String> {
        let body = make_report(&self.category);
        let r = self
            .client
            .post(format!("{}/api/v1/reports", self.base))
            .json(&body)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        expect(r.status(), StatusCode::CREATED, "submission")?;
        let s: Submitted = r.json().await.map_err(|e| error_chain(&e))?;
        if let Ok(mut recent) = self.recent.lock() {
            if recent.cases.len() == RECENT {
                recent.cases.pop_front();
            }
            recent.cases.push_back((s.reference, s.receipt));
        }
        Ok(())
    }

    /// A reporter's visit with a browser: the receipt form, the case page.
    async fn visit_pages(&self) -> Result<(), String> {
        let Some((_, receipt)) = self.pick() else {
            return self.submit().await;
        };
        let form = self
            .client
            .get(format!("{}/status", self.base))
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        expect(form.status(), StatusCode::OK, "receipt form")?;
        let form = form.text().await.map_err(|e| error_chain(&e))?;
        let token = hidden_value(&form, "token").ok_or("no form token on /status")?;
        let r = self
            .client
            .post(format!("{}/status", self.base))
            .form(&[("token", token.as_str()), ("receipt", receipt.as_str())])
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        expect(r.status(), StatusCode::SEE_OTHER, "receipt sign-in")?;
        let cookie = r
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .ok_or("no session cookie")?
            .to_owned();
        let r = self
            .client
            .get(format!("{}/status/case", self.base))
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        expect(r.status(), StatusCode::OK, "case page")?;
        r.bytes().await.map_err(|e| error_chain(&e))?;
        Ok(())
    }

    /// A staff member's page: the inbox or a recent case.
    async fn staff_page(&self, inbox: bool) -> Result<(), String> {
        let url = match (inbox, self.pick()) {
            (false, Some((reference, _))) => format!("{}/staff/cases/{reference}", self.base),
            _ => format!("{}/staff/inbox", self.base),
        };
        let r = self
            .client
            .get(url)
            .header(
                reqwest::header::COOKIE,
                format!("__Host-mb-staff={}", self.staff_token),
            )
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        expect(r.status(), StatusCode::OK, "staff page")?;
        r.bytes().await.map_err(|e| error_chain(&e))?;
        Ok(())
    }

    async fn visit(&self) -> Result<(), String> {
        let Some((_, receipt)) = self.pick() else {
            return self.submit().await;
        };
        let r = self
            .client
            .post(format!("{}/api/v1/reporter/session", self.base))
            .json(&serde_json::json!({ "receipt": receipt }))
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        expect(r.status(), StatusCode::OK, "reporter session")?;
        let token: Token = r.json().await.map_err(|e| error_chain(&e))?;
        let r = self
            .client
            .get(format!("{}/api/v1/reporter/case", self.base))
            .bearer_auth(&token.token)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        expect(r.status(), StatusCode::OK, "reporter case")?;
        r.bytes().await.map_err(|e| error_chain(&e))?;
        Ok(())
    }

    async fn staff_read(&self, inbox: bool) -> Result<(), String> {
        let url = match (inbox, self.pick()) {
            (false, Some((reference, _))) => {
                format!("{}/api/v1/staff/cases/{reference}", self.base)
            }
            _ => format!("{}/api/v1/staff/inbox", self.base),
        };
        let r = self
            .client
            .get(url)
            .bearer_auth(&self.staff_token)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        expect(r.status(), StatusCode::OK, "staff read")?;
        r.bytes().await.map_err(|e| error_chain(&e))?;
        Ok(())
    }

    async fn operation(&self, n: u64) {
        // Half over the API, half as pages in a browser.
        let result = match n % 10 {
            0 | 5 => self.submit().await,
            1 | 6 => self.visit().await,
            3 | 8 => self.visit_pages().await,
            2 => self.staff_read(true).await,
            7 => self.staff_page(true).await,
            4 => self.staff_read(false).await,
            _ => self.staff_page(false).await,
        };
        self.done.fetch_add(1, Ordering::Relaxed);
        if let Err(message) = result {
            self.errors.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut first) = self.first_errors.lock() {
                if first.len() < 5 {
                    first.push(message);
                }
            }
        }
    }
}

struct Sample {
    secs: u64,
    rss: u64,
    anon: u64,
    done: u64,
    errors: u64,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The value of a hidden form field in a page.
fn hidden_value(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &page[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

fn expect(got: StatusCode, want: StatusCode, what: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: status {got}"))
    }
}

/// Resident memory of a process in KiB: in all, and the part that is heap and stacks (anonymous;
/// the rest is mapped files and shared memory such as SQLite's WAL index).
fn rss_kib(pid: u32) -> Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status (is the server running?)"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no {name} line"))
    };
    Ok((field("VmRSS:")?, field("RssAnon:")?))
}

/// Signs the staff member in, with the code a demo server shows on its sign-in page (tried again
/// if the code changed between the page and the sign-in).
async fn staff_sign_in(client: &reqwest::Client, base: &str, args: &Args) -> Result<String> {
    let mut last = StatusCode::OK;
    for _ in 0..5 {
        let page = client
            .get(format!("{base}/staff/login?lang=en"))
            .send()
            .await?
            .text()
            .await?;
        let code = page
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .context("no demo code on the sign-in page: the soak test needs a demo server")?
            .to_owned();
        let r = client
            .post(format!("{base}/api/v1/staff/session"))
            .json(&serde_json::json!({ "username": args.staff, "password": args.password, "code": code }))
            .send()
            .await?;
        if r.status() == StatusCode::OK {
            return Ok(r.json::<Token>().await?.token);
        }
        last = r.status();
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    bail!("staff sign-in of {} answered {last}", args.staff)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.rate == 0 || args.minutes == 0 || args.sample_secs == 0 {
        bail!("--rate, --minutes and --sample-secs must be positive");
    }
    let base = args.url.trim_end_matches('/').to_owned();
    let mut client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if args.fresh_connections {
        client = client.pool_max_idle_per_host(0);
    }
    let client = client.build()?;
    let staff_token = staff_sign_in(&client, &base, &args).await?;
    let load = Arc::new(Load {
        client,
        base,
        category: args.category.clone(),
        staff_token,
        recent: Mutex::new(Recent::default()),
        done: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        first_errors: Mutex::new(Vec::new()),
    });

    let start = Instant::now();
    let end = start + Duration::from_secs(args.minutes * 60);
    let mut samples: Vec<Sample> = Vec::new();
    let sample = |samples: &mut Vec<Sample>| -> Result<()> {
        let (rss, anon) = rss_kib(args.pid)?;
        let row = Sample {
            secs: start.elapsed().as_secs(),
            rss,
            anon,
            done: load.done.load(Ordering::Relaxed),
            errors: load.errors.load(Ordering::Relaxed),
        };
        println!(
            "t={:>5}s rss={:.1} MiB (heap {:.1}) operations={} errors={}",
            row.secs,
            mib(row.rss),
            mib(row.anon),
            row.done,
            row.errors
        );
        samples.push(row);
        Ok(())
    };
    sample(&mut samples)?;

    let mut pace = tokio::time::interval(Duration::from_secs(1) / args.rate);
    pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next_sample = start + Duration::from_secs(args.sample_secs);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(256));
    let mut n = 0u64;
    while Instant::now() < end {
        pace.tick().await;
        let permit = in_flight.clone().acquire_owned().await?;
        let load = load.clone();
        tokio::spawn(async move {
            load.operation(n).await;
            drop(permit);
        });
        n += 1;
        if Instant::now() >= next_sample {
            sample(&mut samples)?;
            next_sample += Duration::from_secs(args.sample_secs);
        }
    }
    // Let the last operations finish.
    let _ = in_flight.acquire_many(256).await?;
    sample(&mut samples)?;

    println!();
    println!("| minute | RSS (MiB) | of which heap (MiB) | operations | errors |");
    println!("|---:|---:|---:|---:|---:|");
    for s in &samples {
        println!(
            "| {:.1} | {:.1} | {:.1} | {} | {} |",
            s.secs as f64 / 60.0,
            mib(s.rss),
            mib(s.anon),
            s.done,
            s.errors
        );
    }
    let half = &samples[samples.len() / 2..];
    let lo = half.iter().map(|s| s.rss).min().unwrap_or(0);
    let hi = half.iter().map(|s| s.rss).max().unwrap_or(0);
    println!();
    println!(
        "second half: RSS {:.1} to {:.1} MiB, spread {:.1} % of the lowest",
        mib(lo),
        mib(hi),
        if lo > 0 {
            (hi - lo) as f64 * 100.0 / lo as f64
        } else {
            0.0
        }
    );
    let errors = load.errors.load(Ordering::Relaxed);
    if errors > 0 {
        let first = load
            .first_errors
            .lock()
            .map(|f| f.join("; "))
            .unwrap_or_default();
        bail!("{errors} operation(s) failed, first: {first}");
    }
    Ok(())
}
