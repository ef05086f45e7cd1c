//! Shared helpers for the live rule tests: the machine-wide test lock, and a
//! guard that saves the kernel's rules and status and restores them on drop,
//! even when the test fails.
#![allow(dead_code)]

use std::fs::File;

use raudit::netlink::{AuditStatus, Control};
use raudit::sys::poll::lock_exclusive;
use raudit_core::wire::status;

/// Holds `/run/raudit-live.lock` and the kernel state to put back.
pub struct LiveGuard {
    _lock: File,
    pub control: Control<'static>,
    saved_rules: Vec<Vec<u8>>,
    saved_status: AuditStatus,
}

/// Takes the lock and saves the state. Live tests carry
/// `#[cfg_attr(raudit_no_live, ignore = ...)]` (see `tests/build_env.rs`),
/// so they are built as ignored without `CAP_AUDIT_CONTROL`; one that runs
/// and cannot reach the kernel's audit interface fails, saying why.
pub fn live() -> LiveGuard {
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open("/run/raudit-live.lock")
        .unwrap_or_else(|e| panic!("live test: cannot open /run/raudit-live.lock: {e}"));
    if let Err(e) = lock_exclusive(&lock) {
        panic!("live test: cannot lock /run/raudit-live.lock: {e}");
    }
    let control =
        Control::open().unwrap_or_else(|e| panic!("live test: no audit netlink socket: {e}"));
    let saved_status = control
        .status()
        .unwrap_or_else(|e| panic!("live test: AUDIT_GET failed (needs CAP_AUDIT_CONTROL): {e}"));
    let saved_rules = control
        .list_rules()
        .unwrap_or_else(|e| panic!("live test: AUDIT_LIST_RULES failed: {e}"));
    LiveGuard {
        _lock: lock,
        control,
        saved_rules,
        saved_status,
    }
}

impl LiveGuard {
    /// Deletes every rule the kernel holds.
    pub fn clear_rules(&self) {
        if let Ok(rules) = self.control.list_rules() {
            for rule in rules {
                let _ = self.control.delete_rule(&rule);
            }
        }
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.clear_rules();
        for rule in &self.saved_rules {
            if let Err(e) = self.control.add_rule(rule) {
                eprintln!("live guard: could not restore a rule: {e}");
            }
        }
        let s = self.saved_status;
        let restore = AuditStatus {
            mask: status::AUDIT_STATUS_FAILURE
                | status::AUDIT_STATUS_RATE_LIMIT
                | status::AUDIT_STATUS_BACKLOG_LIMIT
                | if s.backlog_wait_time.is_some() {
                    status::AUDIT_STATUS_BACKLOG_WAIT_TIME
                } else {
                    0
                },
            ..s
        };
        if let Err(e) = self.control.set_status(&restore) {
            eprintln!("live guard: could not restore status: {e}");
        }
        // enabled last, and only 0/1 (2 is never set by tests).
        if s.enabled <= 1 {
            if let Err(e) = self
                .control
                .set_status(&AuditStatus::set_enabled(s.enabled))
            {
                eprintln!("live guard: could not restore enabled: {e}");
            }
        }
    }
}
