//! `raudit` with no subcommand: run the daemon, from `--config FILE`
//! (go-audit's YAML, extended) or, with no config, the built-in default:
//! JSON on stdout, every `execve` audited (64- and 32-bit).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::daemon;

/// Runs until SIGTERM/SIGINT; a start-up failure exits non-zero.
pub fn run(config: Option<PathBuf>) -> ExitCode {
    let plan = match config {
        Some(path) => match daemon::plan::from_config_file(&path) {
            Ok(plan) => plan,
            Err(e) => {
                eprintln!("raudit: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => match daemon::plan::builtin_default() {
            Ok(plan) => plan,
            Err(e) => {
                eprintln!("raudit: built-in config: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    for warning in &plan.warnings {
        eprintln!("raudit: {warning}");
    }
    // The CLI, YAML and rule compilation are behind us: their pages go
    // before the daemon's own start-up touches its code.
    daemon::release_startup_memory();
    match daemon::run(plan) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => daemon::exit_on(&e),
    }
}
