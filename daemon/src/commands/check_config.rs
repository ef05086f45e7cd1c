//! `raudit check-config FILE`: read a config file as the daemon would and
//! report every problem, one per line (`FILE:LINE: key.path: message`) on
//! stderr, exiting 1; or print a one-line summary of what is enabled and
//! exit 0. Touches nothing: no socket, no output file, no rules.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;

/// Arguments of `raudit check-config`.
#[derive(clap::Args, Debug)]
pub struct CheckConfigArgs {
    /// The config file (go-audit's YAML, with raudit's keys) to check.
    pub file: PathBuf,
}

pub fn run(args: CheckConfigArgs) -> ExitCode {
    match Config::load(&args.file) {
        Ok(config) => {
            println!("{}: ok: {}", args.file.display(), config.summary());
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            ExitCode::FAILURE
        }
    }
}
