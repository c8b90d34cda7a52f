//! `msp`: the command line of the Mon soutien psy information system.

mod cli;
mod commands;
mod files;
mod french_cli;
mod progress;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
