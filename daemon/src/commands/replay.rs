//! `raudit replay`: saved audit streams (auditd logs, netlink captures)
//! through the same assembler and encoder as the live daemon (to be written).

use std::process::ExitCode;

/// Arguments of `raudit replay`.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// Input files; `-` or none reads standard input.
    pub files: Vec<std::path::PathBuf>,
}

pub fn run(_args: ReplayArgs) -> ExitCode {
    ExitCode::FAILURE
}
