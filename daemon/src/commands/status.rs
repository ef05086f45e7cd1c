//! `raudit status`: the kernel's `AUDIT_GET` fields and the
//! `loginuid_immutable` feature (`AUDIT_GET_FEATURE`), printed as
//! `auditctl -s` prints them.

use std::process::ExitCode;

use clap::Args;

use crate::netlink::{AuditStatus, Control, Features};

/// `raudit status` arguments (none yet).
#[derive(Args, Debug)]
pub struct StatusArgs {}

/// Prints the status.
pub fn run(_args: StatusArgs) -> ExitCode {
    let status = Control::open().map_err(|e| e.to_string()).and_then(|c| {
        let status = c.status().map_err(|e| e.to_string())?;
        // Kernels without AUDIT_GET_FEATURE: the line is left out.
        Ok((status, c.features().ok()))
    });
    match status {
        Ok((s, features)) => {
            print!("{}", format(&s, features.as_ref()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("raudit: AUDIT_GET: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The `auditctl -s` lines.
pub fn format(s: &AuditStatus, features: Option<&Features>) -> String {
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
    if let Some(f) = features {
        let (on, locked) = f.loginuid_immutable();
        out.push_str(&format!(
            "loginuid_immutable {} {}\n",
            u8::from(on),
            if locked { "locked" } else { "unlocked" }
        ));
    }
    out
}
