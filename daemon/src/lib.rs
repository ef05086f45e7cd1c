//! raudit, the daemon: everything with I/O around `raudit-core`.
//!
//! - [`sys`]: the only module with `unsafe` (libc: netlink sockets, …).
//! - [`commands`]: one module per CLI subcommand; `main.rs` only dispatches.
//! - [`cli_compat`]: go-audit's `-config FILE` spelling, rewritten for clap.
//! - [`config`]: the YAML file (go-audit's, extended) as a typed `Config`.
#![deny(unsafe_code)]

pub mod cli_compat;
pub mod commands;
pub mod config;
pub mod netlink;
pub mod replay;
pub mod rules;
#[allow(unsafe_code)]
pub mod sys;
