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
use crate::rules::ApplyReport;
use crate::stats::Stats;

use super::plan::DriftPlan;

/// The drift timer and the last state reported.
#[derive(Debug)]
pub struct DriftWatch {
    plan: DriftPlan,
    next: Instant,
    /// The last state seen (clean at start: the rules were just loaded).
    last: DriftReport,
    /// The last restore failed and the kernel still differs: tried again
    /// at each check until it works.
    restore_pending: bool,
}

impl DriftWatch {
    /// The first check is one interval after `now`.
    pub fn new(plan: DriftPlan, now: Instant) -> DriftWatch {
        DriftWatch {
            next: now + plan.interval,
            plan,
            last: DriftReport::default(),
            restore_pending: false,
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
        let set = std::sync::Arc::clone(&self.plan.set);
        self.tick_with(
            now,
            || drift::check(control, &set),
            || drift::restore(control, &set).map_err(|e| e.to_string()),
            stats,
            records,
        );
    }

    /// [`tick`](Self::tick) with the kernel's answers given by `check`
    /// and `restore`.
    fn tick_with(
        &mut self,
        now: Instant,
        check: impl FnOnce() -> DriftReport,
        restore: impl FnOnce() -> Result<ApplyReport, String>,
        stats: &Stats,
        records: &ControlSender,
    ) {
        if now < self.next {
            return;
        }
        self.next = now + self.plan.interval;
        stats.drift_checks.add(1);
        let report = check();
        if report == self.last {
            // Unchanged: not reported again; a restore that failed is
            // tried again each interval (a timed-out listing, a busy
            // kernel), said once it works.
            let retry = self.restore_pending && !report.is_clean() && report.error.is_none();
            if retry && self.restore(restore, stats).is_ok() {
                self.restore_pending = false;
                self.last = DriftReport::default();
                send(records, &changes(&report), true, None);
            }
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
            self.restore_pending = false;
            self.last = report;
            return;
        }
        stats.drift_detected.add(1);
        eprintln!("raudit: {report}");
        let changes = changes(&report);
        let mut restored = false;
        let mut restore_error = None;
        if self.plan.restore {
            match self.restore(restore, stats) {
                Ok(_) => restored = true,
                Err(e) => restore_error = Some(e),
            }
        }
        self.restore_pending = self.plan.restore && !restored;
        send(records, &changes, restored, restore_error.as_deref());
        // After a restore the kernel is as configured again: the same
        // change made once more is news.
        self.last = if restored {
            DriftReport::default()
        } else {
            report
        };
    }

    /// Loads the configured rules again; counts and says how it went.
    fn restore(
        &self,
        restore: impl FnOnce() -> Result<ApplyReport, String>,
        stats: &Stats,
    ) -> Result<ApplyReport, String> {
        match restore() {
            Ok(applied) => {
                stats.drift_restores.add(1);
                if let Some(before) = applied.lost_reset {
                    stats.note_kernel_lost_reset(before);
                }
                eprintln!(
                    "raudit: drift restored: {} rule(s) added, {} deleted, {} setting(s) changed",
                    applied.added, applied.deleted, applied.settings
                );
                if applied.order_differs {
                    eprintln!("raudit: {}", super::plan::ORDER_DIFFERS);
                }
                Ok(applied)
            }
            Err(e) => {
                stats.drift_restore_failures.add(1);
                eprintln!("raudit: restoring the audit rules failed: {e}");
                Err(e)
            }
        }
    }
}

/// Sends the `drift` record of `changes` to the outputs.
fn send(records: &ControlSender, changes: &[String], restored: bool, error: Option<&str>) {
    let record = drift_record(
        SystemTime::now(),
        records.outline(),
        &DriftOutcome {
            changes,
            restored,
            restore_error: error,
        },
    );
    if !records.send(record) {
        eprintln!("raudit: the drift record could not be queued for the outputs");
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
    use crate::output::control_channels;
    use std::time::Duration;

    /// A watch that restores, checking every minute from its start; empty
    /// stats.
    fn restoring_watch() -> (Instant, DriftWatch, Stats) {
        let plan = DriftPlan {
            set: std::sync::Arc::default(),
            interval: Duration::from_secs(60),
            restore: true,
        };
        let start = Instant::now();
        (start, DriftWatch::new(plan, start), Stats::new(&[]))
    }

    /// A restore that fails once (a timed-out rule listing, a busy
    /// kernel) is tried again at the next check, though the kernel's
    /// state did not change, and its success is counted and told; a
    /// drift that stays is not told again meanwhile.
    #[test]
    fn a_failed_restore_is_tried_again_at_the_next_check() {
        let (start, mut watch, stats) = restoring_watch();
        let (sender, receivers) = control_channels(1);
        let drifted = || DriftReport {
            missing: vec!["-w /etc/shadow -p wa".into()],
            ..DriftReport::default()
        };
        let mut restores = 0;
        let mut check = |at: u64, works: bool| {
            let now = start + Duration::from_secs(60 * at);
            watch.tick_with(
                now,
                drifted,
                || {
                    restores += 1;
                    if works {
                        Ok(ApplyReport::default())
                    } else {
                        Err("timed out".into())
                    }
                },
                &stats,
                &sender,
            );
        };
        check(1, false);
        check(2, false);
        check(3, true);
        check(4, true); // restored: the same drift again is news
        assert_eq!(restores, 4, "tried at every check until it worked");
        assert_eq!(
            (
                stats.drift_detected.get(),
                stats.drift_restore_failures.get(),
                stats.drift_restores.get()
            ),
            (2, 2, 2)
        );
        let told: Vec<serde_json::Value> = std::iter::from_fn(|| receivers[0].try_next())
            .map(|l| serde_json::from_slice(&l).unwrap())
            .collect();
        let restored: Vec<bool> = told
            .iter()
            .map(|r| r["raudit"]["restored"].as_bool().unwrap())
            .collect();
        assert_eq!(restored, [false, true, true], "{told:?}");
    }

    /// A restore whose rules hold `--reset-lost` tells the stats what the
    /// kernel had lost up to the reset: losses after the last poll are
    /// counted, and the next poll counts from 0.
    #[test]
    fn a_restore_that_resets_lost_counts_the_losses_before_the_reset() {
        let (start, mut watch, stats) = restoring_watch();
        stats.start_kernel_lost(10);
        let (sender, _receivers) = control_channels(1);
        watch.tick_with(
            start + Duration::from_secs(60),
            || DriftReport {
                missing: vec!["-a always,exit -S execve".into()],
                ..DriftReport::default()
            },
            || {
                Ok(ApplyReport {
                    lost_reset: Some(14),
                    ..ApplyReport::default()
                })
            },
            &stats,
            &sender,
        );
        assert_eq!(
            stats.kernel_lost_delta(),
            4,
            "lost between the last poll and the reset"
        );
        stats.note_kernel_lost(20);
        assert_eq!(stats.kernel_lost_delta(), 24, "all 20 lost since the reset");
    }

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
