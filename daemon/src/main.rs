//! `raudit`: command-line entry point. Parses the CLI and dispatches to
//! `raudit::commands`; holds no logic of its own.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use raudit::commands;

#[derive(Parser, Debug)]
#[command(
    name = "raudit",
    version,
    about = "Linux audit daemon: kernel audit events as JSON"
)]
struct Cli {
    /// Config file (go-audit's YAML; go-audit's `-config FILE` works too).
    /// Without one, raudit audits every execve and writes JSON to stdout.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run saved audit streams (auditd logs or netlink captures) through the pipeline.
    Replay(commands::replay::ReplayArgs),
}

/// go-audit's single-dash flags (`-config FILE`, `-config=FILE`,
/// `-version`) in clap's spelling, so existing unit files keep working.
fn normalize_go_flags(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    args.map(|arg| {
        let Some(text) = arg.to_str() else { return arg };
        if text == "-config" || text.starts_with("-config=") || text == "-version" {
            format!("-{text}").into()
        } else {
            arg
        }
    })
    .collect()
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(normalize_go_flags(std::env::args_os()));
    match cli.command {
        Some(Command::Replay(args)) => commands::replay::run(args),
        None => commands::run::run(cli.config),
    }
}
