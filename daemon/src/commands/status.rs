//! `raudit status`: the kernel's `AUDIT_GET` fields, printed as
//! `auditctl -s` prints them.

use std::process::ExitCode;

use clap::Args;

use crate::netlink::{AuditStatus, Control};

/// `raudit status` arguments (none yet).
#[derive(Args, Debug)]
pub struct StatusArgs {}

/// Prints the status.
pub fn run(_args: StatusArgs) -> ExitCode {
    let status = Control::open()
        .map_err(|e| e.to_string())
        .and_then(|c| c.status().map_err(|e| e.to_string()));
    match status {
        Ok(s) => {
            print!("{}", format(&s));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("raudit: AUDIT_GET: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The `auditctl -s` lines (without its trailing `loginuid_immutable`).
pub fn format(s: &AuditStatus) -> String {
    let mut out = format!(
        "enabled {}\nfailure {}\npid {}\nrate_limit {}\nbacklog_limit {}\nlost {}\nbacklog {}\n",
        s.enabled, s.failure, s.pid, s.rate_limit, s.backlog_limit, s.lost, s.backlog
    );
    if let Some(w) = s.backlog_wait_time {
        out.push_str(&format!("backlog_wait_time {w}\n"));
    }
    if let Some(w) = s.backlog_wait_time_actual {
        out.push_str(&format!("backlog_wait_time_actual {w}\n"));
    }
    out
}
