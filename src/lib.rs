//! onboard: connect a customer's Microsoft 365 tenant through OAuth 2.0 device-code sign-in.
//! `run` dispatches a parsed command line to its command.

mod atomic_file;
pub mod authority;
pub mod cli;
pub mod commands;
pub mod connection;
pub mod deps;
pub mod environment;
pub mod error;
pub mod flow;
pub mod generate;
pub mod http;
pub mod interrupt;
pub mod oauth;
pub mod output;
pub mod profiles;
pub mod request_id;
pub mod secret;
pub mod simulate;
pub mod store;
pub mod text;
pub mod ui;

use cli::{Cli, Command};
use deps::Deps;
use error::{Error, Result};

/// Runs a parsed command line. The commands that only read local files run at once; the others
/// get a multi-threaded async runtime, built here, so that `list` and a Tab's `__profiles` start
/// as fast as `--version`.
pub fn run(cli: &Cli, deps: &mut Deps) -> Result<()> {
    match &cli.command {
        // With `--store vault` the profiles are read over HTTP, which needs the runtime.
        Command::List(args) if !deps.profiles_are_remote() => commands::list::run_local(args, deps),
        Command::Completions(args) => commands::completions::run(args, deps),
        Command::ProfileNames => commands::completions::profile_names(deps),
        _ => runtime()?.block_on(run_async(cli, deps)),
    }
}

/// The process's one async runtime, built on first use and never dropped: a dropped runtime
/// waits for its blocking tasks, and a keyring call stuck in D-Bus past its timeout must not
/// hold the exit; and a store save that outlived its timeout finishes on the runtime's workers
/// while `main` waits for it.
fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::unexpected(format!("cannot start the async runtime: {e}")))?;
    Ok(RUNTIME.get_or_init(|| runtime))
}

async fn run_async(cli: &Cli, deps: &mut Deps) -> Result<()> {
    let profile = cli.global.profile.as_deref();
    let command = async {
        match &cli.command {
            Command::Invite(args) => commands::invite::run(args, profile, deps).await,
            Command::Validate(args) => commands::validate::run(args, profile, deps).await,
            Command::Export(args) => commands::export::run(args, profile, deps).await,
            Command::Remove(args) => commands::remove::run(args, profile, deps).await,
            Command::ConsentUrl(args) => commands::consent_url::run(args, profile, deps).await,
            Command::Permissions(_) => commands::permissions::run(profile, deps).await,
            Command::Token(args) => commands::token::run(args, profile, deps).await,
            Command::Doctor(args) => commands::doctor::run(args, profile, deps).await,
            Command::Simulate(args) => commands::simulate::run(args, deps).await,
            Command::List(args) => commands::list::run(args, deps).await,
            Command::Completions(_) | Command::ProfileNames => run(cli, deps),
        }
    };
    if matches!(cli.command, Command::Simulate(_)) {
        // The simulated tenant stops on Ctrl-C or SIGTERM by itself.
        return command.await;
    }
    // Ctrl-C, SIGTERM, SIGHUP and a closed output cancel the command once no protected
    // section (a refresh until its token is saved, a save) is open; dropping it unwinds.
    interrupt::listen();
    let result = tokio::select! {
        biased;
        () = interrupt::cancelled() => Err(interrupt::error()),
        result = command => result,
    };
    deps.settle().await;
    // A wait that ended because of the interruption says what arrived. A signal can end a
    // prompt's read (EINTR) before its listener has recorded it: give it a moment.
    if let Err(e) = &result
        && e.kind == error::Kind::Interrupted
    {
        for _ in 0..10 {
            if interrupt::requested().is_some() {
                return Err(interrupt::error());
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
    result
}
