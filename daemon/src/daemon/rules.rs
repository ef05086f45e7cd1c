//! Loading the config's rules once the pid is ours: every existing rule
//! deleted (as go-audit's `auditctl -D`), then the set's rules and status
//! settings in order. Stand-in for `rules::apply` until it lands there.

use crate::netlink::Control;
use crate::rules::{Command, RuleSet, StatusSetting};

pub fn apply(control: &Control<'_>, set: &RuleSet) -> Result<(), String> {
    let existing = control
        .list_rules()
        .map_err(|e| format!("listing rules: {e}"))?;
    for rule in existing {
        control
            .delete_rule(&rule)
            .map_err(|e| format!("deleting an existing rule: {e}"))?;
    }
    for entry in &set.entries {
        let result = match &entry.command {
            Command::Add(rule) => control.add_rule(rule),
            Command::Delete(rule) => control.delete_rule(rule),
            Command::DeleteAll => Ok(()),
            Command::Status(setting) => match *setting {
                StatusSetting::Enabled(v) => control.set_enabled(v),
                StatusSetting::Failure(v) => control.set_failure(v),
                StatusSetting::RateLimit(v) => control.set_rate_limit(v),
                StatusSetting::BacklogLimit(v) => control.set_backlog_limit(v),
                StatusSetting::BacklogWaitTime(v) => control.set_backlog_wait_time(v),
                StatusSetting::ResetLost => control.reset_lost().map(|_| ()),
            },
        };
        result.map_err(|e| format!("{} ({}): {e}", entry.origin, entry.text))?;
    }
    Ok(())
}
