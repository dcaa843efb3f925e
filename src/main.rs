//! The `fleetsim` binary: parses the command line and hands over to `fleetsim::cli::run`.

use std::process::ExitCode;

fn main() -> ExitCode {
    fleetsim::cli::main_with_args(std::env::args_os())
}
