//! `gproxy-mock`: the mock upstream as a standalone server for benchmarks and end-to-end
//! tests. Prints `listening on http://HOST:PORT` once bound, then serves until SIGTERM or
//! Ctrl-C. Scripted over HTTP: `POST /__mock/replies`, `GET`/`DELETE /__mock/requests`.

use std::io::{IsTerminal as _, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::Parser;
use gproxy_testkit::{MockOptions, MockUpstream, Reply};

/// Mock LLM upstream speaking OpenAI, Anthropic and Gemini.
#[derive(Debug, Parser)]
#[command(name = "gproxy-mock", version)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to bind; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Delay before the response headers of every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Content deltas per streamed reply.
    #[arg(long, default_value_t = 3)]
    chunks: usize,
    /// Delay between stream events, in milliseconds.
    #[arg(long, default_value_t = 0)]
    chunk_delay_ms: u64,
    /// Reject requests that do not present this key with a 401.
    #[arg(long)]
    expected_key: Option<String>,
    /// Keep only the newest N requests in the request log (0: keep all).
    #[arg(long, default_value_t = 10_000)]
    record_limit: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let args = Args::parse();
    let opts = MockOptions {
        port: args.port,
        expected_key: args.expected_key,
        latency: Duration::from_millis(args.latency_ms),
        record_limit: (args.record_limit > 0).then_some(args.record_limit),
        default_reply: Some(
            Reply::default()
                .with_chunks(args.chunks)
                .with_chunk_delay(Duration::from_millis(args.chunk_delay_ms)),
        ),
    };
    let mock = MockUpstream::bind(SocketAddr::new(args.host, args.port), opts).await?;

    // The one stdout line: scripts wait for it to learn the port, so flush it at once.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", mock.base_url())?;
    stdout.flush()?;
    drop(stdout);

    shutdown_signal().await?;
    tracing::info!("shutting down");
    mock.shutdown();
    mock.join().await;
    Ok(())
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            res = tokio::signal::ctrl_c() => res?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}
