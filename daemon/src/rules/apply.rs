//! Loading a [`RuleSet`] into the kernel: delete every rule, insert the
//! self-exclusion rule (`-a never,exit -F pid=SELF`, so raudit's own writes
//! never feed an event storm, as Auditbeat does), then run the set's
//! commands in order (rules and status settings, so a file's trailing
//! `-e 1` comes last as in auditctl). A rule the kernel refuses is reported
//! with its errno and text; the other commands still run.

use std::fmt;

use super::compile::{compile_line, CompileOptions, StatusSetting};
use super::{Command, Entry, RuleSet};
use crate::netlink::{Control, ControlError};

/// What [`apply`] did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Rules deleted first.
    pub deleted: usize,
    /// Rules added (the self-exclusion rule included).
    pub added: usize,
    /// Rules deleted by `-d`/`-W` commands.
    pub removed: usize,
    /// Status settings applied.
    pub settings: usize,
    /// The `lost` count a `--reset-lost` cleared.
    pub lost_reset: Option<u32>,
    /// Commands the kernel refused.
    pub rejected: Vec<Rejected>,
}

/// A command the kernel refused.
#[derive(Debug)]
pub struct Rejected {
    pub origin: String,
    pub text: String,
    pub error: ControlError,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hint = match self.error.errno() {
            Some(libc::EEXIST) => " (rule exists)",
            _ => "",
        };
        write!(f, "{}: `{}`: {}{hint}", self.origin, self.text, self.error)
    }
}

/// Why [`apply`] failed.
#[derive(Debug)]
pub enum ApplyError {
    /// Listing or deleting the kernel's rules failed; nothing was loaded.
    Clear(ControlError),
    /// The self-exclusion rule was refused; nothing else was loaded.
    SelfExclusion(ControlError),
    /// Some commands were refused; the report says which and what ran.
    Rejected(ApplyReport),
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::Clear(e) => write!(f, "deleting the kernel's rules: {e}"),
            ApplyError::SelfExclusion(e) => write!(f, "loading the self-exclusion rule: {e}"),
            ApplyError::Rejected(r) => {
                write!(f, "{} command(s) refused by the kernel", r.rejected.len())?;
                for x in &r.rejected {
                    write!(f, "\n  {x}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ApplyError {}

/// The rule that keeps `pid`'s own syscalls out of the audit stream.
pub fn self_exclusion(pid: u32) -> Vec<u8> {
    let text = format!("-a never,exit -F pid={pid}");
    match compile_line(&text, &CompileOptions::host()) {
        Ok(Some(Command::Add(bytes))) => bytes,
        // A fixed, valid rule: compiling it cannot fail.
        _ => Vec::new(),
    }
}

/// Deletes the kernel's rules, inserts the self-exclusion rule for
/// `self_pid`, then runs `set` in order.
pub fn apply(
    control: &Control<'_>,
    set: &RuleSet,
    self_pid: u32,
) -> Result<ApplyReport, ApplyError> {
    let mut report = ApplyReport {
        deleted: delete_all(control).map_err(ApplyError::Clear)?,
        ..ApplyReport::default()
    };
    control
        .add_rule(&self_exclusion(self_pid))
        .map_err(ApplyError::SelfExclusion)?;
    report.added += 1;
    for entry in &set.entries {
        if let Err(error) = run(control, entry, &mut report) {
            report.rejected.push(Rejected {
                origin: entry.origin.to_string(),
                text: entry.text.clone(),
                error,
            });
        }
    }
    if report.rejected.is_empty() {
        Ok(report)
    } else {
        Err(ApplyError::Rejected(report))
    }
}

fn run(control: &Control<'_>, entry: &Entry, report: &mut ApplyReport) -> Result<(), ControlError> {
    match &entry.command {
        Command::Add(bytes) => {
            control.add_rule(bytes)?;
            report.added += 1;
        }
        Command::Delete(bytes) => {
            control.delete_rule(bytes)?;
            report.removed += 1;
        }
        // The set starts from an empty kernel list already.
        Command::DeleteAll => {}
        Command::Status(setting) => {
            if let Some(lost) = set_status(control, *setting)? {
                report.lost_reset = Some(lost);
            }
            report.settings += 1;
        }
    }
    Ok(())
}

/// Applies one status setting; returns the old `lost` for `--reset-lost`.
pub fn set_status(
    control: &Control<'_>,
    setting: StatusSetting,
) -> Result<Option<u32>, ControlError> {
    match setting {
        StatusSetting::Enabled(v) => control.set_enabled(v)?,
        StatusSetting::Failure(v) => control.set_failure(v)?,
        StatusSetting::RateLimit(v) => control.set_rate_limit(v)?,
        StatusSetting::BacklogLimit(v) => control.set_backlog_limit(v)?,
        StatusSetting::BacklogWaitTime(v) => control.set_backlog_wait_time(v)?,
        StatusSetting::ResetLost => return control.reset_lost().map(Some),
    }
    Ok(None)
}

/// Deletes every rule the kernel holds; returns how many.
pub fn delete_all(control: &Control<'_>) -> Result<usize, ControlError> {
    let rules = control.list_rules()?;
    for rule in &rules {
        control.delete_rule(rule)?;
    }
    Ok(rules.len())
}
