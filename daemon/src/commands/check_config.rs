//! `raudit check-config FILE`: build the daemon's plan from a config file
//! exactly as its start does ([`daemon::plan::load`]: the YAML,
//! every value and range, users and groups, filter regexes, every rule
//! compiled, the output and stats files' directories), without creating a
//! file or touching the kernel. Every problem goes to stderr, one per line
//! (`FILE:LINE: key.path: message`), and the exit status is 1; otherwise
//! warnings (unknown top-level keys, addresses that do not resolve yet) go
//! to stderr and a one-line summary to stdout, exit 0.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::daemon;

/// Arguments of `raudit check-config`.
#[derive(clap::Args, Debug)]
pub struct CheckConfigArgs {
    /// The config file (go-audit's YAML, with raudit's keys) to check.
    pub file: PathBuf,
}

pub fn run(args: CheckConfigArgs) -> ExitCode {
    match daemon::plan::load(&args.file) {
        Ok((config, plan)) => {
            for warning in &plan.warnings {
                eprintln!("{warning}");
            }
            println!("{}: ok: {}", args.file.display(), config.summary());
            ExitCode::SUCCESS
        }
        Err(problems) => {
            eprintln!("{problems}");
            ExitCode::FAILURE
        }
    }
}
