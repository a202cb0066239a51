//! `gproxy-loadgen`: the benchmark's load generator for streams, which off-the-shelf HTTP
//! load tools cannot time (they stop the clock at the response headers, not at the first body
//! byte, and do not keep a thousand slow streams open). `bench/run` drives it; plain request
//! load goes through `oha`.
//!
//! - `stream`: closed loop, `--concurrency` workers POST `--body` until `--requests` or
//!   `--duration` is used up; reports time to first body byte (ttfb) and total time.
//! - `hold`: opens `--count` streams at once and keeps each until it ends or `--hold-secs`
//!   pass (then drops it, as a client that goes away would); reports how many were open at
//!   the same time, so the caller can read the gateway's memory while they were.
//!
//! Output: one JSON object on stdout (`ok`, `errors`, `status`, `error_kinds`, `rps`,
//! `ttfb_ms`/`total_ms` percentiles). An answer counts as an error when its status is not 2xx,
//! the connection fails, or the body lacks `--expect` (a stream cut short).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use clap::{Args, Parser, Subcommand};
use futures_util::StreamExt as _;
use serde_json::{Value, json};

/// Stream load generator for gproxy's benchmarks.
#[derive(Debug, Parser)]
#[command(name = "gproxy-loadgen", version)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Closed-loop streaming requests: ttfb and total latency percentiles.
    Stream(StreamArgs),
    /// Many concurrent long streams held open: how many were open at once.
    Hold(HoldArgs),
}

/// What every request looks like.
#[derive(Debug, Args)]
struct Target {
    /// URL to POST to.
    #[arg(long)]
    url: String,
    /// Sent as `Authorization: Bearer KEY`.
    #[arg(long)]
    key: Option<String>,
    /// Extra header `name: value`; repeatable.
    #[arg(long = "header")]
    headers: Vec<String>,
    /// File holding the JSON request body.
    #[arg(long)]
    body: std::path::PathBuf,
    /// Text the whole response body must contain (e.g. `[DONE]`); a body without it is an
    /// error of kind `incomplete`.
    #[arg(long)]
    expect: Option<String>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
}

#[derive(Debug, Args)]
struct StreamArgs {
    #[command(flatten)]
    target: Target,
    /// Requests to send (measured); the run ends at whichever of this and `--duration` comes first.
    #[arg(long, default_value_t = usize::MAX)]
    requests: usize,
    /// Seconds to run (measured).
    #[arg(long)]
    duration: Option<f64>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Requests sent before measuring, to open connections and warm caches.
    #[arg(long, default_value_t = 0)]
    warmup: usize,
}

#[derive(Debug, Args)]
struct HoldArgs {
    #[command(flatten)]
    target: Target,
    /// Streams to open at once.
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// Drop a stream still open after this many seconds (counted as held, not as an error).
    #[arg(long, default_value_t = 10.0)]
    hold_secs: f64,
}

/// How one request ended.
#[derive(Debug)]
enum Outcome {
    /// 2xx and (when asked) the expected text was seen.
    Ok { ttfb: Duration, total: Duration },
    /// Still streaming when the hold time ran out (hold mode only).
    Held { ttfb: Duration },
    /// HTTP status other than 2xx.
    Status(u16),
    /// Connect, read or timeout failure, or a body without `--expect`; the kind names which.
    Failed(&'static str),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let report = match cli.mode {
        Mode::Stream(args) => run_stream(args).await?,
        Mode::Hold(args) => run_hold(args).await?,
    };
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &report)?;
    writeln!(stdout)?;
    Ok(())
}

/// A prepared request template shared by every worker.
struct Request {
    client: reqwest::Client,
    url: String,
    headers: reqwest::header::HeaderMap,
    body: Bytes,
    expect: Option<Vec<u8>>,
}

impl Request {
    fn new(target: &Target, connections: usize) -> anyhow::Result<Request> {
        let body = std::fs::read(&target.body)
            .with_context(|| format!("reading {}", target.body.display()))?;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        if let Some(key) = &target.key {
            headers.insert(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {key}").parse()?,
            );
        }
        for raw in &target.headers {
            let (name, value) = raw
                .split_once(':')
                .with_context(|| format!("header {raw:?} is not `name: value`"))?;
            headers.insert(
                reqwest::header::HeaderName::from_bytes(name.trim().as_bytes())?,
                value.trim().parse()?,
            );
        }
        let client = reqwest::Client::builder()
            .no_proxy()
            .http1_only()
            .pool_max_idle_per_host(connections)
            .timeout(Duration::from_secs(target.timeout_secs))
            .build()?;
        Ok(Request {
            client,
            url: target.url.clone(),
            headers,
            body: Bytes::from(body),
            expect: target.expect.as_ref().map(|s| s.as_bytes().to_vec()),
        })
    }

    /// Sends one request and reads its body to the end, or until `give_up` when set.
    async fn send(&self, give_up: Option<Instant>) -> Outcome {
        let start = Instant::now();
        let sent = self
            .client
            .post(&self.url)
            .headers(self.headers.clone())
            .body(self.body.clone())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(err) => return Outcome::Failed(kind_of(&err)),
        };
        let status = response.status();
        let mut body = response.bytes_stream();
        let mut ttfb = None;
        // The expected text may straddle two chunks: keep the tail of what was read.
        let mut seen = self.expect.is_none();
        let mut tail: Vec<u8> = Vec::new();
        loop {
            let next = match give_up {
                Some(deadline) => {
                    match tokio::time::timeout_at(deadline.into(), body.next()).await {
                        Ok(next) => next,
                        Err(_) => {
                            return match ttfb {
                                Some(ttfb) if status.is_success() => Outcome::Held { ttfb },
                                _ if !status.is_success() => Outcome::Status(status.as_u16()),
                                _ => Outcome::Failed("no_first_byte"),
                            };
                        }
                    }
                }
                None => body.next().await,
            };
            match next {
                None => break,
                Some(Ok(chunk)) => {
                    ttfb.get_or_insert_with(|| start.elapsed());
                    if let Some(expect) = self.expect.as_deref()
                        && !seen
                    {
                        tail.extend_from_slice(&chunk);
                        seen = contains(&tail, expect);
                        let keep = expect.len().saturating_sub(1);
                        if tail.len() > keep {
                            tail.drain(..tail.len() - keep);
                        }
                    }
                }
                Some(Err(err)) => return Outcome::Failed(kind_of(&err)),
            }
        }
        let total = start.elapsed();
        if !status.is_success() {
            return Outcome::Status(status.as_u16());
        }
        if !seen {
            return Outcome::Failed("incomplete");
        }
        Outcome::Ok {
            ttfb: ttfb.unwrap_or(total),
            total,
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

fn kind_of(err: &reqwest::Error) -> &'static str {
    if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connect"
    } else if err.is_body() || err.is_decode() {
        "body"
    } else {
        "request"
    }
}

async fn run_stream(args: StreamArgs) -> anyhow::Result<Value> {
    let concurrency = args.concurrency.max(1);
    let request = Arc::new(Request::new(&args.target, concurrency)?);
    if args.requests == usize::MAX && args.duration.is_none() {
        anyhow::bail!("give --requests or --duration");
    }

    // Warm-up: the same closed loop, results thrown away.
    drive(&request, concurrency, args.warmup, None).await;

    let deadline = args
        .duration
        .map(|secs| Instant::now() + Duration::from_secs_f64(secs));
    let start = Instant::now();
    let outcomes = drive(&request, concurrency, args.requests, deadline).await;
    let elapsed = start.elapsed();
    Ok(summarize("stream", &outcomes, elapsed, concurrency))
}

/// Runs `concurrency` workers until `requests` are sent or `deadline` passes.
async fn drive(
    request: &Arc<Request>,
    concurrency: usize,
    requests: usize,
    deadline: Option<Instant>,
) -> Vec<Outcome> {
    let issued = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (request, issued) = (request.clone(), issued.clone());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while issued.fetch_add(1, Ordering::Relaxed) < requests
                    && deadline.is_none_or(|d| Instant::now() < d)
                {
                    mine.push(request.send(None).await);
                }
                mine
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for worker in workers {
        match worker.await {
            Ok(mine) => outcomes.extend(mine),
            // Only a panic ends a worker early; count it rather than hide it.
            Err(_) => outcomes.push(Outcome::Failed("task")),
        }
    }
    outcomes
}

async fn run_hold(args: HoldArgs) -> anyhow::Result<Value> {
    let request = Arc::new(Request::new(&args.target, args.count)?);
    let start = Instant::now();
    let give_up = start + Duration::from_secs_f64(args.hold_secs);
    let open = Arc::new(AtomicUsize::new(0));
    let peak_open = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(args.count);
    for _ in 0..args.count {
        let (request, open, peak_open) = (request.clone(), open.clone(), peak_open.clone());
        tasks.push(tokio::spawn(async move {
            let now_open = open.fetch_add(1, Ordering::Relaxed) + 1;
            peak_open.fetch_max(now_open, Ordering::Relaxed);
            let outcome = request.send(Some(give_up)).await;
            open.fetch_sub(1, Ordering::Relaxed);
            outcome
        }));
    }
    let mut outcomes = Vec::with_capacity(args.count);
    for task in tasks {
        match task.await {
            Ok(outcome) => outcomes.push(outcome),
            Err(_) => outcomes.push(Outcome::Failed("task")),
        }
    }
    let elapsed = start.elapsed();
    let mut report = summarize("hold", &outcomes, elapsed, args.count);
    let held = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Held { .. }))
        .count();
    report["held"] = json!(held);
    report["peak_in_flight"] = json!(peak_open.load(Ordering::Relaxed));
    report["hold_secs"] = json!(args.hold_secs);
    Ok(report)
}

/// Counts and percentiles of one run.
fn summarize(mode: &str, outcomes: &[Outcome], elapsed: Duration, concurrency: usize) -> Value {
    let mut ttfb = Vec::new();
    let mut total = Vec::new();
    let mut status: BTreeMap<String, usize> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut ok = 0;
    for outcome in outcomes {
        match outcome {
            Outcome::Ok { ttfb: t, total: d } => {
                ok += 1;
                ttfb.push(*t);
                total.push(*d);
                *status.entry("200".into()).or_default() += 1;
            }
            Outcome::Held { ttfb: t } => {
                ok += 1;
                ttfb.push(*t);
                *status.entry("200".into()).or_default() += 1;
            }
            Outcome::Status(code) => *status.entry(code.to_string()).or_default() += 1,
            Outcome::Failed(kind) => *kinds.entry(kind).or_default() += 1,
        }
    }
    let secs = elapsed.as_secs_f64();
    json!({
        "mode": mode,
        "concurrency": concurrency,
        "requests": outcomes.len(),
        "ok": ok,
        "errors": outcomes.len() - ok,
        "status": status,
        "error_kinds": kinds,
        "elapsed_s": secs,
        "rps": if secs > 0.0 { ok as f64 / secs } else { 0.0 },
        "ttfb_ms": percentiles(&mut ttfb),
        "total_ms": percentiles(&mut total),
    })
}

/// p50/p90/p99/max in milliseconds (nearest rank), or `null` for an empty sample.
fn percentiles(sample: &mut [Duration]) -> Value {
    if sample.is_empty() {
        return Value::Null;
    }
    sample.sort_unstable();
    let at = |q: f64| {
        let rank = ((q * sample.len() as f64).ceil() as usize).clamp(1, sample.len());
        sample[rank - 1].as_secs_f64() * 1e3
    };
    json!({"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": at(1.0)})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut sample: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let p = percentiles(&mut sample);
        assert_eq!(p["p50"], 50.0);
        assert_eq!(p["p99"], 99.0);
        assert_eq!(p["max"], 100.0);
        assert_eq!(percentiles(&mut []), Value::Null);
    }

    #[test]
    fn summary_counts_statuses_and_failures() {
        let ms = Duration::from_millis;
        let outcomes = [
            Outcome::Ok {
                ttfb: ms(1),
                total: ms(5),
            },
            Outcome::Held { ttfb: ms(2) },
            Outcome::Status(501),
            Outcome::Failed("incomplete"),
        ];
        let report = summarize("stream", &outcomes, Duration::from_secs(1), 2);
        assert_eq!(report["ok"], 2);
        assert_eq!(report["errors"], 2);
        assert_eq!(report["status"]["501"], 1);
        assert_eq!(report["error_kinds"]["incomplete"], 1);
        assert_eq!(report["total_ms"]["max"], 5.0);
    }

    #[test]
    fn expected_text_is_found_anywhere() {
        assert!(contains(b"data: [DONE]\n\n", b"[DONE]"));
        assert!(!contains(b"data: [DON", b"[DONE]"));
    }
}
