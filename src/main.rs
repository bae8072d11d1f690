use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    ExitCode::from(stunscan::run(stunscan::cli::Args::parse()))
}
