//! Loading a [`RuleSet`] into the kernel without an unaudited window: the
//! kernel's rules are compared with the set (as the kernel lists them, see
//! [`kernel_form`]); what is missing is added first, then what is extra is
//! deleted, never delete-all-then-add. When the kernel already holds the
//! set, no rule is touched, so a restart leaves no gap. Status settings
//! (`-e`, `-b`, `-f`, `-r`, `--backlog_wait_time`) are sent only when the
//! kernel's value differs. A command the kernel refuses is reported with
//! its errno and text; the others still run.
//!
//! The daemon also keeps its own syscalls out of the stream with a
//! self-exclusion rule (`-A never,exit -S all -F pid=SELF -k
//! raudit-self-exclusion`, first in the list):
//! without it, rules that audit what raudit does (writes to its output
//! file, sends to syslog) make every written event cause another, an
//! event storm (Auditbeat does the same). A pid-based exemption must not
//! outlive its process, or whoever gets the pid next goes unaudited: the
//! daemon removes it at exit, one-shot commands never add it, and at start
//! [`remove_stale_exclusions`] deletes those left by a raudit that died
//! (only rules with raudit's key: a user's own pid exemptions stay).

use std::collections::HashMap;
use std::fmt;

use raudit_core::tables::field::Field;
use raudit_core::wire::rule::RuleData;

use super::compile::{compile_line, CompileOptions, StatusSetting};
use super::{kernel_form, Command, RuleSet};
use crate::netlink::{AuditStatus, Control, ControlError};

/// What [`apply`] did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Kernel rules deleted because the set does not have them.
    pub deleted: usize,
    /// Rules added because the kernel lacked them (the self-exclusion rule
    /// included).
    pub added: usize,
    /// Rules the kernel already held, left alone.
    pub kept: usize,
    /// Status settings sent (those already in effect are not).
    pub settings: usize,
    /// The `lost` count a `--reset-lost` cleared.
    pub lost_reset: Option<u32>,
    /// The kernel now holds the set's rules in another order than the set
    /// (a rule added to the middle of the set is appended; rules already
    /// loaded are not moved, which would open a window). The first
    /// matching rule decides an event and its key, so this is worth saying.
    pub order_differs: bool,
    /// Commands the kernel refused.
    pub rejected: Vec<Rejected>,
}

impl ApplyReport {
    /// Nothing was changed in the kernel.
    pub fn untouched(&self) -> bool {
        self.deleted == 0 && self.added == 0 && self.settings == 0
    }
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
    /// Listing the kernel's rules or status failed; nothing was changed.
    Read(ControlError),
    /// The self-exclusion rule was refused; nothing else was loaded.
    SelfExclusion(ControlError),
    /// Some commands were refused; the report says which and what ran.
    Rejected(ApplyReport),
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::Read(e) => write!(f, "reading the kernel's rules and status: {e}"),
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

/// The key that marks raudit's own self-exclusion rules, so that only
/// those are ever removed as stale (a user's own `never` rule for a pid is
/// left alone).
pub const SELF_EXCLUSION_KEY: &str = "raudit-self-exclusion";

/// The rule that keeps `pid`'s own syscalls out of the audit stream,
/// prepended (`-A`) so it comes before every other exit rule, and marked
/// with [`SELF_EXCLUSION_KEY`].
pub fn self_exclusion(pid: u32) -> Vec<u8> {
    let text = format!("-A never,exit -S all -F pid={pid} -k {SELF_EXCLUSION_KEY}");
    match compile_line(&text, &CompileOptions::host()) {
        Ok(Some(Command::Add(bytes))) => bytes,
        // A fixed, valid rule: compiling it cannot fail.
        _ => Vec::new(),
    }
}

/// The pid a kernel rule exempts, when it is exactly raudit's
/// self-exclusion rule (`-a never,exit -S all -F pid=N -F
/// key=raudit-self-exclusion`).
pub fn exempted_pid(listed: &[u8]) -> Option<u32> {
    let rule = RuleData::new_checked(listed).ok()?;
    let pid = rule.fields().find(|f| f.field == Field::PID)?.value;
    (kernel_form(&self_exclusion(pid)) == listed_form(listed)).then_some(pid)
}

/// Whether `pid` is a running raudit (alive, and its command name is
/// raudit's): its self-exclusion rule is in use.
pub fn is_live_raudit(pid: u32) -> bool {
    crate::sys::process::process_alive(pid)
        && std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|comm| comm.trim_end() == "raudit")
}

/// Whether `listed` is the self-exclusion rule of a running raudit daemon
/// other than `self_pid`: its own business, which `rules load` and
/// `rules delete-all` beside the daemon must not take away (its own
/// writes would be audited, and under a watch on its log, audited again).
pub fn exemption_in_use(
    listed: &[u8],
    self_pid: Option<u32>,
    is_live: impl Fn(u32) -> bool,
) -> bool {
    exempted_pid(listed).is_some_and(|pid| Some(pid) != self_pid && is_live(pid))
}

/// A listed rule's exact bytes (head and strings, no padding).
pub fn listed_form(rule: &[u8]) -> &[u8] {
    RuleData::new_checked(rule).map_or(rule, |r| r.as_bytes())
}

/// Deletes the self-exclusion rules of pids that are not `me` and for which
/// `is_live_raudit` is false (an earlier raudit killed before it could
/// remove its own). Returns the pids whose rules were deleted.
pub fn remove_stale_exclusions(
    control: &Control<'_>,
    me: u32,
    is_live_raudit: impl Fn(u32) -> bool,
) -> Result<Vec<u32>, ControlError> {
    let mut removed = Vec::new();
    for rule in control.list_rules()? {
        let Some(pid) = exempted_pid(&rule) else {
            continue;
        };
        if pid == me || is_live_raudit(pid) {
            continue;
        }
        match control.delete_rule(&rule) {
            Ok(()) => removed.push(pid),
            Err(e) if e.errno() == Some(libc::ENOENT) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

/// The rules the set ends with (its `-D` and `-d` commands played in
/// order), in kernel form, each with its index in `set.entries`. A rule
/// the set already has is not wanted twice: the kernel holds one copy (it
/// refuses the second with EEXIST), so drift would miss the second for
/// ever.
pub(super) fn wanted_rules(set: &RuleSet) -> Vec<(usize, Vec<u8>)> {
    let mut wanted: Vec<(usize, Vec<u8>)> = Vec::new();
    for (index, entry) in set.entries.iter().enumerate() {
        match &entry.command {
            Command::Add(bytes) => {
                let form = kernel_form(bytes);
                if !wanted.iter().any(|(_, w)| *w == form) {
                    wanted.push((index, form));
                }
            }
            Command::Delete(bytes) => {
                let form = kernel_form(bytes);
                if let Some(at) = wanted.iter().position(|(_, w)| *w == form) {
                    wanted.remove(at);
                }
            }
            Command::DeleteAll => wanted.clear(),
            Command::Status(_) => {}
        }
    }
    wanted
}

/// Makes the kernel's rules equal to `set` (plus the self-exclusion rule
/// of `self_pid` when given): adds what is missing, then deletes what is
/// extra (but not the self-exclusion rule of another running raudit);
/// then sends the status settings whose value differs.
pub fn apply(
    control: &Control<'_>,
    set: &RuleSet,
    self_pid: Option<u32>,
) -> Result<ApplyReport, ApplyError> {
    let listed = control.list_rules().map_err(ApplyError::Read)?;
    let mut have: HashMap<Vec<u8>, usize> = HashMap::new();
    for rule in &listed {
        *have.entry(listed_form(rule).to_vec()).or_default() += 1;
    }
    let mut report = ApplyReport::default();
    // Added after the extra rules went: refused with EEXIST while a rule the
    // kernel counts as equal (but listed differently) was still there.
    let mut retry: Vec<usize> = Vec::new();
    if let Some(pid) = self_pid {
        let rule = self_exclusion(pid);
        match take(&mut have, &kernel_form(&rule)) {
            true => report.kept += 1,
            false => {
                control.add_rule(&rule).map_err(ApplyError::SelfExclusion)?;
                report.added += 1;
            }
        }
    }
    let wanted = wanted_rules(set);
    for (index, form) in &wanted {
        let index = *index;
        if take(&mut have, form) {
            report.kept += 1;
            continue;
        }
        let Command::Add(bytes) = &set.entries[index].command else {
            continue;
        };
        match control.add_rule(bytes) {
            Ok(()) => report.added += 1,
            Err(e) if e.errno() == Some(libc::EEXIST) => retry.push(index),
            Err(error) => reject(&mut report, set, index, error),
        }
    }
    for rule in &listed {
        let in_use = exemption_in_use(rule, self_pid, is_live_raudit);
        if take(&mut have, listed_form(rule)) && !in_use {
            match control.delete_rule(rule) {
                Ok(()) => report.deleted += 1,
                Err(e) if e.errno() == Some(libc::ENOENT) => {}
                Err(error) => report.rejected.push(Rejected {
                    origin: "kernel".into(),
                    text: "deleting a rule not in the configuration".into(),
                    error,
                }),
            }
        }
    }
    for index in retry {
        let Command::Add(bytes) = &set.entries[index].command else {
            continue;
        };
        match control.add_rule(bytes) {
            Ok(()) => report.added += 1,
            // Still there: the kernel's own form of this very rule.
            Err(e) if e.errno() == Some(libc::EEXIST) => report.kept += 1,
            Err(error) => reject(&mut report, set, index, error),
        }
    }
    apply_settings(control, set, &mut report)?;
    if let Ok(now) = control.list_rules() {
        report.order_differs = !same_order(&wanted, &now);
    }
    if report.rejected.is_empty() {
        Ok(report)
    } else {
        Err(ApplyError::Rejected(report))
    }
}

/// The kernel's rules (`listed`), restricted to the wanted ones, come in
/// the wanted order.
fn same_order(wanted: &[(usize, Vec<u8>)], listed: &[Vec<u8>]) -> bool {
    let mut next = wanted.iter().map(|(_, form)| form.as_slice());
    listed
        .iter()
        .map(|rule| listed_form(rule))
        .filter(|form| wanted.iter().any(|(_, w)| w.as_slice() == *form))
        .all(|form| next.next() == Some(form))
}

/// Takes one `form` out of the multiset; false when there is none left.
fn take(have: &mut HashMap<Vec<u8>, usize>, form: &[u8]) -> bool {
    match have.get_mut(form) {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    }
}

fn reject(report: &mut ApplyReport, set: &RuleSet, index: usize, error: ControlError) {
    let entry = &set.entries[index];
    report.rejected.push(Rejected {
        origin: entry.origin.to_string(),
        text: entry.text.clone(),
        error,
    });
}

/// Sends each status setting, in order, whose value the kernel does not
/// already have (`--reset-lost` always runs).
fn apply_settings(
    control: &Control<'_>,
    set: &RuleSet,
    report: &mut ApplyReport,
) -> Result<(), ApplyError> {
    let mut status = None;
    for (entry, setting) in set.status_settings() {
        if status.is_none() {
            status = Some(control.status().map_err(ApplyError::Read)?);
        }
        if status.as_ref().is_some_and(|s| in_effect(s, setting)) {
            continue;
        }
        match set_status(control, setting) {
            Ok(lost) => {
                report.settings += 1;
                if lost.is_some() {
                    report.lost_reset = lost;
                }
                // A later setting of the same kind compares with this one.
                status = status.map(|s| s.and(request(setting)));
            }
            Err(error) => report.rejected.push(Rejected {
                origin: entry.origin.to_string(),
                text: entry.text.clone(),
                error,
            }),
        }
    }
    Ok(())
}

/// The kernel's rules and settings as they are now, as a set [`apply`]
/// puts back: what a reload the kernel refused part of returns to. The
/// locked values (`enabled 2`, `failure 2`) are left out: raudit never
/// sets them, and a locked kernel could not have been changed.
pub fn snapshot(control: &Control<'_>) -> Result<RuleSet, ControlError> {
    let listed = control.list_rules()?;
    let status = control.status()?;
    let mut set = RuleSet::from_kernel(&listed);
    for (key, setting) in snapshot_settings(&status) {
        set.push_setting(key, setting);
    }
    Ok(set)
}

/// The settings of `status` a [`snapshot`] puts back.
fn snapshot_settings(status: &AuditStatus) -> impl Iterator<Item = (&'static str, StatusSetting)> {
    let unlocked = |v: u32| (v < 2).then_some(v);
    [
        (
            "kernel: enabled",
            unlocked(status.enabled).map(StatusSetting::Enabled),
        ),
        (
            "kernel: failure",
            unlocked(status.failure).map(StatusSetting::Failure),
        ),
        (
            "kernel: rate_limit",
            Some(StatusSetting::RateLimit(status.rate_limit)),
        ),
        (
            "kernel: backlog_limit",
            Some(StatusSetting::BacklogLimit(status.backlog_limit)),
        ),
        (
            "kernel: backlog_wait_time",
            status.backlog_wait_time.map(StatusSetting::BacklogWaitTime),
        ),
    ]
    .into_iter()
    .filter_map(|(key, setting)| setting.map(|s| (key, s)))
}

/// The kernel already has this setting's value.
pub fn in_effect(s: &AuditStatus, setting: StatusSetting) -> bool {
    status_field(setting, s).is_some_and(|(_, want, have)| have == Some(want))
}

/// The `audit_status` field a setting sets: its name (as `auditctl -s`
/// prints it), the value the setting wants and the kernel's value in `s`
/// (`None` when this kernel does not report the field). `None` for
/// `--reset-lost`, an action rather than a state.
pub fn status_field(
    setting: StatusSetting,
    s: &AuditStatus,
) -> Option<(&'static str, u32, Option<u32>)> {
    Some(match setting {
        StatusSetting::Enabled(v) => ("enabled", v, Some(s.enabled)),
        StatusSetting::Failure(v) => ("failure", v, Some(s.failure)),
        StatusSetting::RateLimit(v) => ("rate_limit", v, Some(s.rate_limit)),
        StatusSetting::BacklogLimit(v) => ("backlog_limit", v, Some(s.backlog_limit)),
        StatusSetting::BacklogWaitTime(v) => ("backlog_wait_time", v, s.backlog_wait_time),
        StatusSetting::ResetLost => return None,
    })
}

/// Applies one status setting; returns the old `lost` for `--reset-lost`.
pub fn set_status(
    control: &Control<'_>,
    setting: StatusSetting,
) -> Result<Option<u32>, ControlError> {
    let code = control.set_status(&request(setting))?;
    Ok((setting == StatusSetting::ResetLost).then_some(code as u32))
}

/// The `AUDIT_SET` request a setting is sent as (core's builders).
pub fn request(setting: StatusSetting) -> AuditStatus {
    match setting {
        StatusSetting::Enabled(v) => AuditStatus::set_enabled(v),
        StatusSetting::Failure(v) => AuditStatus::set_failure(v),
        StatusSetting::RateLimit(v) => AuditStatus::set_rate_limit(v),
        StatusSetting::BacklogLimit(v) => AuditStatus::set_backlog_limit(v),
        StatusSetting::BacklogWaitTime(v) => AuditStatus::set_backlog_wait_time(v),
        StatusSetting::ResetLost => AuditStatus::reset_lost(),
    }
}

/// Deletes every rule the kernel holds but the self-exclusion rules of
/// running raudit daemons ([`exemption_in_use`]); returns how many it
/// deleted and the pids whose exemption it kept.
pub fn delete_all(control: &Control<'_>) -> Result<(usize, Vec<u32>), ControlError> {
    let (mut deleted, mut kept) = (0, Vec::new());
    for rule in control.list_rules()? {
        if exemption_in_use(&rule, None, is_live_raudit) {
            kept.extend(exempted_pid(&rule));
            continue;
        }
        control.delete_rule(&rule)?;
        deleted += 1;
    }
    Ok((deleted, kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(lines: &[&str]) -> RuleSet {
        let lines: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        RuleSet::from_config_list(&lines).unwrap()
    }

    #[test]
    fn the_set_ends_with_what_its_delete_commands_leave() {
        let s = set(&[
            "-a always,exit -F arch=b64 -S kill",
            "-D",
            "-a always,exit -F arch=b64 -S execve",
            "-w /etc/passwd -p wa",
            "-W /etc/passwd -p wa",
            "-e 1",
        ]);
        let wanted = wanted_rules(&s);
        assert_eq!(wanted.len(), 1);
        assert_eq!(
            s.entries[wanted[0].0].text,
            "-a always,exit -F arch=b64 -S execve"
        );
    }

    #[test]
    fn a_self_exclusion_rule_is_recognised_and_nothing_else() {
        let own = kernel_form(&self_exclusion(4321));
        assert_eq!(exempted_pid(&own), Some(4321));
        // A user's own exemption of a pid, without raudit's key.
        let users = set(&["-a never,exit -F pid=4321"]);
        let users = kernel_form(users.rules().next().unwrap().1);
        assert_eq!(exempted_pid(&users), None);
        let other = set(&["-a never,exit -F pid=4321 -F uid=0"]);
        let other = kernel_form(other.rules().next().unwrap().1);
        assert_eq!(exempted_pid(&other), None);
        let always = set(&["-a always,exit -F pid=4321"]);
        let always = kernel_form(always.rules().next().unwrap().1);
        assert_eq!(exempted_pid(&always), None);
    }

    /// `rules load` and `rules delete-all` keep a running daemon's
    /// exemption; a dead one's, or the caller's own, is theirs to delete.
    #[test]
    fn only_another_live_raudits_exemption_is_in_use() {
        let live = |pid| pid == 4321;
        let own = kernel_form(&self_exclusion(4321));
        assert!(exemption_in_use(&own, None, live));
        assert!(!exemption_in_use(&own, Some(4321), live));
        let dead = kernel_form(&self_exclusion(999));
        assert!(!exemption_in_use(&dead, None, live));
        let users = set(&["-a never,exit -F pid=4321"]);
        let users = kernel_form(users.rules().next().unwrap().1);
        assert!(!exemption_in_use(&users, None, live));
    }

    #[test]
    fn the_order_of_the_wanted_rules_is_compared_and_others_ignored() {
        let s = set(&[
            "-a always,exit -F arch=b64 -S kill -k first",
            "-a always,exit -F arch=b64 -S execve -k second",
        ]);
        let wanted = wanted_rules(&s);
        let (a, b) = (wanted[0].1.clone(), wanted[1].1.clone());
        let other = kernel_form(&self_exclusion(7));
        assert!(same_order(&wanted, &[other.clone(), a.clone(), b.clone()]));
        assert!(same_order(&wanted, &[a.clone(), other, b.clone()]));
        assert!(!same_order(&wanted, &[b, a]));
    }

    #[test]
    fn settings_in_effect_are_not_sent_again() {
        let s = AuditStatus {
            enabled: 1,
            backlog_limit: 8192,
            backlog_wait_time: Some(60000),
            ..AuditStatus::default()
        };
        assert!(in_effect(&s, StatusSetting::Enabled(1)));
        assert!(!in_effect(&s, StatusSetting::Enabled(0)));
        assert!(in_effect(&s, StatusSetting::BacklogLimit(8192)));
        assert!(in_effect(&s, StatusSetting::BacklogWaitTime(60000)));
        assert!(!in_effect(&s, StatusSetting::ResetLost));
    }

    #[test]
    fn each_setting_is_sent_as_its_own_field_and_is_then_in_effect() {
        let settings = [
            StatusSetting::Enabled(0),
            StatusSetting::Failure(0),
            StatusSetting::RateLimit(100),
            StatusSetting::BacklogLimit(320),
            StatusSetting::BacklogWaitTime(0),
        ];
        let read = AuditStatus {
            enabled: 1,
            failure: 1,
            backlog_limit: 8192,
            backlog_wait_time: Some(60000),
            lost: 5,
            ..AuditStatus::default()
        };
        for setting in settings {
            let sent = request(setting);
            assert_eq!(sent.mask.count_ones(), 1, "{setting:?}: one field");
            assert!(!in_effect(&read, setting), "{setting:?}");
            assert!(in_effect(&read.and(sent), setting), "{setting:?}");
        }
        assert_eq!(read.and(request(StatusSetting::ResetLost)).lost, 0);
    }
}
