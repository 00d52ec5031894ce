//! The `onboard` binary: parse, set up the real dependencies (each is built when first used),
//! run, print the error, exit with its code.

use std::process::ExitCode;

use clap::Parser;
use onboard::cli::Cli;
use onboard::deps::{Deps, init_logging, take_exported_credential};
use onboard::ui::term::{install_panic_hook, print_error};

fn main() -> ExitCode {
    install_panic_hook();
    let exported_credential = take_exported_credential();
    let cli = Cli::parse();
    init_logging(cli.global.verbose, cli.global.quiet);
    let result = Deps::from_cli(&cli.global, exported_credential)
        .and_then(|mut deps| onboard::run(&cli, &mut deps));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            print_error(&error);
            ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(1))
        }
    }
}
