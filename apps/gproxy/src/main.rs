//! `gproxy`: parse configuration, start tracing, then serve until SIGTERM/Ctrl-C (the
//! default) or run an operator command (`rotate-master-key`).

use clap::Parser;
use gproxy::cli::Command;
use gproxy::{App, Cli};
use std::io::Write;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => return fail(&err.into()),
    };
    init_tracing();
    let run = async move {
        match cli.command {
            None | Some(Command::Serve) => serve(cli).await,
            Some(Command::RotateMasterKey { ref new_key }) => {
                let new_key = new_key.clone();
                rotate(cli, new_key).await
            }
            Some(Command::Migrate { status }) => migrate(cli, status).await,
            Some(Command::Export { ref output }) => {
                let output = output.clone();
                export(cli, output).await
            }
            Some(Command::Backup { ref output }) => {
                let output = output.clone();
                backup(cli, output).await
            }
            Some(Command::Import { ref file, force }) => {
                let file = file.clone();
                import(cli, file, force).await
            }
        }
    };
    match runtime.block_on(run) {
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

fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// `gproxy rotate-master-key --new-key BASE64`.
#[allow(clippy::print_stdout)]
async fn rotate(cli: Cli, new_key: secrecy::SecretString) -> anyhow::Result<()> {
    let settings = gproxy::load(cli)?;
    let (credentials, keys) = gproxy::app::rotate_master_key(&settings, &new_key).await?;
    println!(
        "re-sealed {credentials} provider credentials and {keys} API keys under the new key; start gproxy with GPROXY_MASTER_KEY set to it"
    );
    Ok(())
}

/// `gproxy migrate [--status]`: one line per migration, then what was applied.
#[allow(clippy::print_stdout)]
async fn migrate(cli: Cli, status_only: bool) -> anyhow::Result<()> {
    let settings = gproxy::load(cli)?;
    let (states, ran) = gproxy::app::migrate(&settings, status_only).await?;
    for s in &states {
        let state = match s.applied_at {
            Some(ms) => format!("applied {}", gproxy::app::utc(ms)),
            None => "pending".to_owned(),
        };
        println!("{:>3}  {:<20}  {}", s.version, state, s.name);
    }
    let pending = states.iter().filter(|s| s.applied_at.is_none()).count();
    if status_only {
        println!("{pending} pending");
    } else if ran.is_empty() {
        println!("the schema is current");
    } else {
        println!("applied {} migration(s): {ran:?}", ran.len());
    }
    Ok(())
}

/// `gproxy export [--output FILE]`.
#[allow(clippy::print_stdout)]
async fn export(cli: Cli, output: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let settings = gproxy::load(cli)?;
    let bundle = gproxy::app::export(&settings).await?;
    tracing::warn!("the export holds every provider credential and API key in plain text");
    match output {
        Some(path) => write_private(&path, &bundle)?,
        None => print!("{bundle}"),
    }
    Ok(())
}

/// Writes `text` to a new file readable by its owner only (it holds secrets).
fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let mut file = open
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// `gproxy backup --output FILE`.
#[allow(clippy::print_stdout)]
async fn backup(cli: Cli, output: std::path::PathBuf) -> anyhow::Result<()> {
    let settings = gproxy::load(cli)?;
    gproxy::app::backup(&settings, &output).await?;
    println!("backed up into {}", output.display());
    Ok(())
}

/// `gproxy import FILE [--force]`.
#[allow(clippy::print_stdout)]
async fn import(cli: Cli, file: std::path::PathBuf, force: bool) -> anyhow::Result<()> {
    let settings = gproxy::load(cli)?;
    gproxy::app::import(&settings, &file, force).await?;
    println!("imported {}", file.display());
    Ok(())
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
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
