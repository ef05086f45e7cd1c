//! The one guard on the two status settings that cannot be taken back:
//! `-e 2` (the rules locked until reboot) and `-f 2` (a kernel panic when
//! records are lost). Each is refused unless the config allows it
//! (`raudit.rules.allow_lock`, `raudit.rules.allow_panic`).
//!
//! Every path from rule text to the kernel compiles its lines with
//! [`compile_line`](super::compile::compile_line), whose `-e`/`-f` handling
//! asks [`check`]: the config's `rules` (at load, so `check-config` and a
//! reload refuse too), `raudit.rules.files`, and `raudit rules
//! load|check|compile` (which never allow either). The refusal says what
//! the setting does and which key allows it. The one setting that is not
//! rule text, `raudit.kernel.backlog_wait_time` (pushed into the set by
//! the plan), is neither.

use std::fmt;

use super::StatusSetting;

/// Which of the two settings are allowed; both refused by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allowed {
    /// `raudit.rules.allow_lock`: `-e 2`.
    pub lock: bool,
    /// `raudit.rules.allow_panic`: `-f 2`.
    pub panic: bool,
}

/// A setting [`check`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// `-e 2`.
    Lock,
    /// `-f 2`.
    Panic,
}

impl Refused {
    /// What the setting does, naming it.
    pub fn what(self) -> &'static str {
        match self {
            Refused::Lock => "`-e 2` locks the rules until reboot",
            Refused::Panic => "`-f 2` panics the kernel when events are lost",
        }
    }

    /// The config key that allows it.
    pub fn key(self) -> &'static str {
        match self {
            Refused::Lock => "raudit.rules.allow_lock",
            Refused::Panic => "raudit.rules.allow_panic",
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; set {}: true to allow it", self.what(), self.key())
    }
}

/// Whether `setting` may be sent under `allowed`.
pub fn check(setting: StatusSetting, allowed: Allowed) -> Result<(), Refused> {
    match setting {
        StatusSetting::Enabled(2) if !allowed.lock => Err(Refused::Lock),
        StatusSetting::Failure(2) if !allowed.panic => Err(Refused::Panic),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_enabled_2_and_failure_2_need_permission() {
        let none = Allowed::default();
        let both = Allowed {
            lock: true,
            panic: true,
        };
        for n in 0..2 {
            assert_eq!(check(StatusSetting::Enabled(n), none), Ok(()));
            assert_eq!(check(StatusSetting::Failure(n), none), Ok(()));
        }
        assert_eq!(check(StatusSetting::Enabled(2), none), Err(Refused::Lock));
        assert_eq!(check(StatusSetting::Failure(2), none), Err(Refused::Panic));
        let lock_only = Allowed {
            lock: true,
            panic: false,
        };
        assert_eq!(check(StatusSetting::Enabled(2), lock_only), Ok(()));
        assert_eq!(
            check(StatusSetting::Failure(2), lock_only),
            Err(Refused::Panic)
        );
        assert_eq!(check(StatusSetting::Failure(2), both), Ok(()));
        assert_eq!(check(StatusSetting::RateLimit(2), none), Ok(()));
        assert_eq!(
            Refused::Panic.to_string(),
            "`-f 2` panics the kernel when events are lost; set raudit.rules.allow_panic: true to allow it"
        );
    }
}
