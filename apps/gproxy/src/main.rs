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
        .init();
    let settings = gproxy::load(cli)?;
    let app = App::build(settings).await?;
    banner(&app)?;
    app.run(shutdown_signal()).await?;
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
            admin.name, admin.api_key
        )?;
        writeln!(
            out,
            "log in with POST /login {{\"name\":\"{}\",\"password\":\"<that key>\"}}",
            admin.name
        )?;
    }
    out.flush()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests and writing queued records");
}
