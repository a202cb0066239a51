//! `gproxy`: parse configuration, start tracing, build the app, serve until SIGTERM/Ctrl-C.

use clap::Parser;
use gproxy::{App, Cli};
use std::io::Write;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => return fail(&err.into()),
    };
    match runtime.block_on(serve(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

/// Reports a start-up failure as one line with its causes, no backtrace.
#[allow(clippy::print_stderr)]
fn fail(err: &anyhow::Error) -> std::process::ExitCode {
    eprintln!("error: {err:#}");
    std::process::ExitCode::FAILURE
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let settings = gproxy::load(cli)?;
    let app = App::build(settings).await?;
    let shutdown = shutdown_signal()?;
    banner(&app)?;
    app.run(shutdown).await?;
    tracing::info!("stopped; all records written");
    Ok(())
}

/// The start-up banner on stdout: where to connect and, once, a generated admin key.
#[allow(clippy::print_stdout)]
fn banner(app: &App) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "gproxy listening on http://{}", app.local_addr())?;
    if let Some(admin) = app.generated_admin() {
        writeln!(
            out,
            "created admin user `{}` with API key (shown once): {}",
            admin.name,
            // The one place a secret is shown, on purpose: the operator must learn it.
            secrecy::ExposeSecret::expose_secret(&admin.api_key)
        )?;
        writeln!(
            out,
            "log in with POST /login {{\"name\":\"{}\",\"password\":\"<that key>\"}}",
            admin.name
        )?;
    }
    out.flush()
}

/// Registers SIGTERM and Ctrl-C handlers now (before the banner tells anyone the server is
/// up, so an early signal is never fatal) and returns the future that resolves on either.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
            tracing::info!(
                "shutting down: finishing in-flight requests and writing queued records"
            );
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!(
                "shutting down: finishing in-flight requests and writing queued records"
            );
        })
    }
}
