//! Rule drift while running: every `raudit.rules.drift_interval` the
//! supervisor compares the kernel's rules and status with the set loaded
//! at start ([`crate::rules::drift::check`], which counts raudit's own
//! self-exclusion rule as configured). A difference is reported once per
//! distinct state — on stderr, in the stats, and as a `drift` record in
//! the output stream — and, with `drift_restore`, the configured rules are
//! reloaded and the outcome reported with it. An unchanged state is not
//! reported again at the next interval.

use std::time::{Instant, SystemTime};

use crate::netlink::Control;
use crate::output::stream_notice::{drift_record, DriftOutcome};
use crate::output::ControlSender;
use crate::rules::drift::{self, DriftReport};
use crate::stats::Stats;

use super::plan::DriftPlan;

/// The drift timer and the last state reported.
#[derive(Debug)]
pub struct DriftWatch {
    plan: DriftPlan,
    next: Instant,
    /// The last state seen (clean at start: the rules were just loaded).
    last: DriftReport,
}

impl DriftWatch {
    /// The first check is one interval after `now`.
    pub fn new(plan: DriftPlan, now: Instant) -> DriftWatch {
        DriftWatch {
            next: now + plan.interval,
            plan,
            last: DriftReport::default(),
        }
    }

    /// Checks when due; reports and restores as configured.
    pub fn tick(
        &mut self,
        now: Instant,
        control: &Control<'_>,
        stats: &Stats,
        records: &ControlSender,
    ) {
        if now < self.next {
            return;
        }
        self.next = now + self.plan.interval;
        stats.drift_checks.add(1);
        let report = drift::check(control, &self.plan.set);
        if report == self.last {
            return;
        }
        if report.error.is_some() {
            eprintln!("raudit: {report}");
            self.last = report;
            return;
        }
        if report.is_clean() {
            if self.last.error.is_none() {
                eprintln!("raudit: audit rules and status are as configured again");
            }
            self.last = report;
            return;
        }
        stats.drift_detected.add(1);
        eprintln!("raudit: {report}");
        let changes = changes(&report);
        let mut restored = false;
        let mut restore_error = None;
        if self.plan.restore {
            match drift::restore(control, &self.plan.set) {
                Ok(applied) => {
                    restored = true;
                    stats.drift_restores.add(1);
                    eprintln!(
                        "raudit: drift restored: {} rule(s) added, {} deleted, {} setting(s) changed",
                        applied.added, applied.deleted, applied.settings
                    );
                    if applied.order_differs {
                        eprintln!("raudit: {}", super::plan::ORDER_DIFFERS);
                    }
                }
                Err(e) => {
                    stats.drift_restore_failures.add(1);
                    eprintln!("raudit: restoring the audit rules failed: {e}");
                    restore_error = Some(e.to_string());
                }
            }
        }
        let record = drift_record(
            SystemTime::now(),
            &DriftOutcome {
                changes: &changes,
                restored,
                restore_error: restore_error.as_deref(),
            },
        );
        if !records.send(record) {
            eprintln!("raudit: the drift record could not be queued for the outputs");
        }
        // After a restore the kernel is as configured again: the same
        // change made once more is news.
        self.last = if restored {
            DriftReport::default()
        } else {
            report
        };
    }
}

/// One line per difference, as the stderr report words them.
pub fn changes(report: &DriftReport) -> Vec<String> {
    let mut changes = Vec::new();
    for (name, want, got) in &report.status {
        changes.push(format!("{name} is {got}, configured {want}"));
    }
    for m in &report.missing {
        changes.push(format!("rule missing: {m}"));
    }
    for u in &report.unexpected {
        changes.push(format!("rule added: {u}"));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_name_status_then_missing_then_added() {
        let report = DriftReport {
            missing: vec!["-w /etc/shadow -p wa".into()],
            unexpected: vec!["-a always,exit -S open".into()],
            status: vec![("enabled", 1, 0)],
            error: None,
        };
        assert_eq!(
            changes(&report),
            [
                "enabled is 0, configured 1",
                "rule missing: -w /etc/shadow -p wa",
                "rule added: -a always,exit -S open",
            ]
        );
    }
}
