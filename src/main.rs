//! The `onboard` binary: parse, set up the real dependencies (each is built when first used),
//! run, print the error, exit with its code. The only place the process is ended.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use onboard::cli::Cli;
use onboard::deps::{Deps, init_logging, take_secret_environment};
use onboard::error::Error;
use onboard::ui::term::{install_panic_hook, print_error, restore_terminal, warn_line};

/// How long a store save that outlived its timeout may still take before the process ends.
const SAVE_GRACE: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    install_panic_hook();
    // Before anything can crash or another thread start: no core dump can hold a token, and
    // no child process inherits one.
    onboard::secret::disable_core_dumps();
    let secrets = take_secret_environment();
    let cli = Cli::parse();
    init_logging(cli.global.verbose, cli.global.quiet);
    onboard::interrupt::end_if_stuck(end);
    let result =
        Deps::from_cli(&cli.global, secrets).and_then(|mut deps| onboard::run(&cli, &mut deps));
    onboard::interrupt::finished();
    if onboard::interrupt::saves_running() > 0 {
        warn_line(&format!(
            "waiting up to {} s for the credential store to finish a save",
            SAVE_GRACE.as_secs()
        ));
        if !onboard::interrupt::wait_for_saves(SAVE_GRACE) {
            warn_line(
                "the credential store did not finish the save: check the profile with `onboard validate`",
            );
        }
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if error.kind == onboard::error::Kind::Interrupted {
                restore_terminal();
            }
            print_error(&error);
            exit_code(&error)
        }
    }
}

fn exit_code(error: &Error) -> ExitCode {
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(1))
}

/// Ends the process with `error`'s code, for a cancelled run stuck in a terminal read (a
/// prompt): no protected section is open then.
fn end(error: Error) -> ! {
    restore_terminal();
    print_error(&error);
    std::process::exit(error.exit_code());
}
