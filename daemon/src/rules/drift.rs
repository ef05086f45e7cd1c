//! Drift: the kernel's rules and status compared with the configured
//! [`RuleSet`], to catch changes made behind raudit's back (rules deleted or
//! added, auditing disabled, backlog changed). The daemon calls [`check`] on
//! a timer, reports a non-clean [`DriftReport`] in its stats and output
//! stream, and may call [`restore`].

use std::collections::HashMap;
use std::fmt;

use raudit_core::wire::rule::RuleData;

use super::apply::{
    apply, listed_form, self_exclusion, status_field, wanted_rules, ApplyError, ApplyReport,
};
use super::compile::host_machine;
use super::print::Printer;
use super::{kernel_form, RuleSet};
use crate::netlink::Control;

/// What differs between the kernel and the configured set.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DriftReport {
    /// Configured rules the kernel no longer has (their configured text).
    pub missing: Vec<String>,
    /// Kernel rules not in the configuration (in `auditctl -l` form).
    pub unexpected: Vec<String>,
    /// Status values that differ: `(name, configured, kernel)`.
    pub status: Vec<(&'static str, u32, u32)>,
    /// The kernel could not be asked.
    pub error: Option<String>,
}

impl DriftReport {
    /// Nothing differs and the kernel answered.
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty()
            && self.unexpected.is_empty()
            && self.status.is_empty()
            && self.error.is_none()
    }
}

impl fmt::Display for DriftReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.error {
            return write!(f, "audit drift check failed: {e}");
        }
        if self.is_clean() {
            return f.write_str("audit rules and status as configured");
        }
        let mut parts = Vec::new();
        for (name, want, got) in &self.status {
            parts.push(format!("{name} is {got}, configured {want}"));
        }
        for m in &self.missing {
            parts.push(format!("rule missing: {m}"));
        }
        for u in &self.unexpected {
            parts.push(format!("rule added: {u}"));
        }
        write!(f, "audit configuration changed: {}", parts.join("; "))
    }
}

/// Compares the kernel with `set` (plus raudit's self-exclusion rule).
pub fn check(control: &Control<'_>, set: &RuleSet) -> DriftReport {
    let kernel_rules = match control.list_rules() {
        Ok(r) => r,
        Err(e) => {
            return DriftReport {
                error: Some(e.to_string()),
                ..DriftReport::default()
            }
        }
    };
    let mut report = compare_rules(&kernel_rules, set, std::process::id());
    match control.status() {
        Ok(s) => {
            for (_, setting) in set.status_settings() {
                let Some((name, want, have)) = status_field(setting, &s) else {
                    continue;
                };
                // A field this kernel does not report cannot drift.
                let got = have.unwrap_or(want);
                report.status.retain(|(n, _, _)| *n != name);
                if want != got {
                    report.status.push((name, want, got));
                }
            }
        }
        Err(e) => report.error = Some(e.to_string()),
    }
    report
}

/// The rules part of [`check`]: the kernel's listed rules against the rules
/// `set` ends with (its `-D`, `-d` and `-W` played in order, as [`apply`]
/// loads them) plus the self-exclusion rule of `self_pid`, as a multiset.
fn compare_rules(kernel_rules: &[Vec<u8>], set: &RuleSet, self_pid: u32) -> DriftReport {
    let mut report = DriftReport::default();
    let mut have: HashMap<Vec<u8>, usize> = HashMap::new();
    for rule in kernel_rules {
        *have.entry(listed_form(rule).to_vec()).or_default() += 1;
    }
    let mut expected: Vec<(String, Vec<u8>)> = vec![(
        "raudit self-exclusion".into(),
        kernel_form(&self_exclusion(self_pid)),
    )];
    expected.extend(
        wanted_rules(set)
            .into_iter()
            .map(|(index, form)| (set.entries[index].text.clone(), form)),
    );
    for (text, bytes) in expected {
        match have.get_mut(&bytes) {
            Some(n) if *n > 0 => *n -= 1,
            _ => report.missing.push(text),
        }
    }
    let mut printer = Printer::new(host_machine());
    for rule in kernel_rules {
        if let Some(n) = have.get_mut(listed_form(rule)).filter(|n| **n > 0) {
            *n -= 1;
            let text = match RuleData::new_checked(rule) {
                Ok(r) => printer.rule(&r),
                Err(e) => format!("unreadable rule ({e})"),
            };
            report.unexpected.push(text);
        }
    }
    report
}

/// Puts the configured rules and status back: [`apply`], which adds what
/// is missing before deleting what was added, so restoring opens no
/// unaudited window either.
pub fn restore(control: &Control<'_>, set: &RuleSet) -> Result<ApplyReport, ApplyError> {
    apply(control, set, Some(std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_a_set_deletes_are_not_missing() {
        // apply() loads what the set ends with (its -D, -d and -W played
        // in order); drift expected every -a/-w ever listed, so it reported
        // the deleted ones missing at every check, for ever.
        let lines: Vec<String> = [
            "-a always,exit -F arch=b64 -S kill",
            "-D",
            "-a always,exit -F arch=b64 -S execve -k x",
            "-w /etc/passwd -p wa",
            "-W /etc/passwd -p wa",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let set = RuleSet::from_config_list(&lines).unwrap();
        let (_, execve) = set.rules().nth(1).unwrap();
        let kernel = vec![kernel_form(&self_exclusion(77)), kernel_form(execve)];
        let report = compare_rules(&kernel, &set, 77);
        assert!(report.is_clean(), "{report}");
        // A rule the kernel lacks is still missing, an extra one extra.
        let report = compare_rules(&kernel[..1], &set, 77);
        assert_eq!(
            report.missing,
            ["-a always,exit -F arch=b64 -S execve -k x"]
        );
        let extra = kernel_form(set.rules().next().unwrap().1);
        let report = compare_rules(&[kernel[0].clone(), kernel[1].clone(), extra], &set, 77);
        assert!(report.missing.is_empty(), "{report}");
        assert_eq!(report.unexpected, ["-a always,exit -F arch=b64 -S kill"]);
    }

    #[test]
    fn a_rule_given_twice_is_held_once() {
        // The kernel holds one copy (the second add is refused with
        // EEXIST, which apply counts as kept), so the second copy was
        // reported missing at every check: the same rule in two rules.d
        // files, or as -a and -A, or as exit,always and always,exit.
        let lines: Vec<String> = [
            "-w /etc/passwd -p wa -k identity",
            "-a always,exit -F arch=b64 -S kill",
            "-w /etc/passwd -p wa -k identity",
            "-A exit,always -F arch=b64 -S kill",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let set = RuleSet::from_config_list(&lines).unwrap();
        let kernel: Vec<Vec<u8>> = std::iter::once(self_exclusion(77))
            .chain(set.rules().take(2).map(|(_, b)| b.to_vec()))
            .map(|b| kernel_form(&b))
            .collect();
        let report = compare_rules(&kernel, &set, 77);
        assert!(report.is_clean(), "{report}");
    }
}
