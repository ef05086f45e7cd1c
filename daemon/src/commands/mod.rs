//! One module per `raudit` subcommand. Each exposes a clap `Args` struct and
//! a `run(args) -> ExitCode`; `main.rs` only parses and dispatches.

pub mod check_config;
pub mod generate;
pub mod replay;
pub mod rules;
pub mod run;
pub mod status;
