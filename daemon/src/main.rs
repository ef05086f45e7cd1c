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
    /// Check a config file: every problem, one per line, or a summary.
    CheckConfig(commands::check_config::CheckConfigArgs),
    /// Compile, check, load, list or delete audit rules (auditctl syntax).
    Rules(commands::rules::RulesArgs),
    /// Print the kernel's audit status (like `auditctl -s`).
    Status(commands::status::StatusArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(raudit::cli_compat::normalize_go_flags(
        std::env::args_os().collect(),
    ));
    match cli.command {
        Some(Command::Replay(args)) => commands::replay::run(args),
        Some(Command::CheckConfig(args)) => commands::check_config::run(args),
        Some(Command::Rules(args)) => commands::rules::run(args),
        Some(Command::Status(args)) => commands::status::run(args),
        None => commands::run::run(cli.config),
    }
}
