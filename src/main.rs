//! The `onboard` binary: parse, set up the real dependencies (each is built when first used),
//! run, print the error, exit with its code.

use std::process::ExitCode;

use clap::Parser;
use onboard::cli::Cli;
use onboard::deps::{Deps, init_logging};
use onboard::ui::term::print_error;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose, cli.global.quiet);
    let result = Deps::from_cli(&cli.global).and_then(|mut deps| onboard::run(&cli, &mut deps));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            print_error(&error);
            ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(1))
        }
    }
}
