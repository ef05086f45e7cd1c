//! SIGHUP (`systemctl reload`): the config file read again and applied
//! without a restart, by the supervisor thread. Nothing stops meanwhile:
//! the receive thread and the output threads keep going, so no event is
//! lost or written twice across a reload.
//!
//! What applies live:
//! - `filters`: handed to the receive thread, which takes the new list
//!   between two receive batches (every event is judged by one list whole);
//! - `rules`, `raudit.rules`, `raudit.kernel`: applied by difference, as at
//!   start (a rule in both sets is never deleted and added again, so no
//!   unaudited window opens), re-read from `raudit.rules.files` too; the
//!   drift watch takes the new set;
//! - `log.flags`;
//! - `output`, when the same outputs stay enabled and no transport limit
//!   changes (the receive thread cuts lines for the smallest): each output
//!   whose settings changed (a file's path, mode, owner or rotation, a
//!   syslog or GELF address, `attempts`, …) is opened anew here and handed
//!   to its output thread, which flushes the old one and writes to the new
//!   one from its next buffer on. An output that fails to open keeps the
//!   old one (reported).
//!
//! Everything else (outputs enabled or disabled, queue, format, mode,
//! socket buffer, …) needs a restart: the sections that changed are named on stderr and in a
//! `reload` control record in every output's stream, and the rest is
//! applied. A config that does not load, or whose rules the kernel
//! refuses, is reported the same way and the running config stays.

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use super::drift_watch::DriftWatch;
use super::plan::{self, Listen, OutputPlan, RunPlan};
use crate::config::Config;
use crate::netlink::Control;
use crate::output::control::{reload_record, ReloadOutcome};
use crate::output::{ControlSender, Replacement};

/// The config file the daemon runs from, and what of it is in force.
#[derive(Debug, Clone)]
pub struct ReloadSource {
    pub path: PathBuf,
    /// The config in force: as loaded at start, with the sections a reload
    /// applied replaced (so a section that needs a restart stays reported
    /// until it is restarted or put back).
    pub running: Config,
}

/// A config section, as compared: its `Debug` text (every config type has
/// one; regexes print their pattern).
type Section = fn(&Config) -> String;

/// Sections a reload applies.
const LIVE: &[(&str, Section)] = &[
    ("output", |c| format!("{:?}", c.output)),
    ("filters", |c| format!("{:?}", c.filters)),
    ("rules", |c| format!("{:?}", c.rules)),
    ("raudit.rules", |c| format!("{:?}", c.raudit.rules)),
    ("raudit.kernel", |c| format!("{:?}", c.raudit.kernel)),
    ("log", |c| format!("{:?}", c.log)),
];

/// Sections that need a restart; anything else that differs is named
/// "other settings".
const RESTART: &[(&str, Section)] = &[
    ("socket_buffer", |c| format!("{:?}", c.socket_buffer)),
    ("events", |c| format!("{:?}", c.events)),
    ("message_tracking", |c| format!("{:?}", c.message_tracking)),
    ("extras", |c| format!("{:?}", c.extras)),
    ("raudit.mode", |c| format!("{:?}", c.raudit.mode)),
    ("raudit.takeover", |c| format!("{:?}", c.raudit.takeover)),
    ("raudit.priority_boost", |c| {
        format!("{:?}", c.raudit.priority_boost)
    }),
    ("raudit.pacing", |c| format!("{:?}", c.raudit.pacing)),
    ("raudit.format", |c| format!("{:?}", c.raudit.format)),
    ("raudit.max_event_bytes", |c| {
        format!("{:?}", c.raudit.max_event_bytes)
    }),
    ("raudit.queue", |c| format!("{:?}", c.raudit.queue)),
    ("raudit.assembler", |c| format!("{:?}", c.raudit.assembler)),
    ("raudit.stats", |c| format!("{:?}", c.raudit.stats)),
    ("raudit.state_file", |c| {
        format!("{:?}", c.raudit.state_file)
    }),
];

fn changed(sections: &[(&'static str, Section)], old: &Config, new: &Config) -> Vec<&'static str> {
    sections
        .iter()
        .filter(|(_, text)| text(old) != text(new))
        .map(|(name, _)| *name)
        .collect()
}

/// What differs between the running config and a new one: (applied live,
/// needing a restart).
pub fn differences(old: &Config, new: &Config) -> (Vec<&'static str>, Vec<&'static str>) {
    let live = changed(LIVE, old, new);
    let mut restart = changed(RESTART, old, new);
    // A `raudit` key not listed above (added later) still needs a restart.
    let mut raudit = old.raudit.clone();
    raudit.rules = new.raudit.rules.clone();
    raudit.kernel = new.raudit.kernel;
    let listed = restart.iter().any(|s| s.starts_with("raudit."));
    if !listed && format!("{raudit:?}") != format!("{:?}", new.raudit) {
        restart.push("raudit (another key)");
    }
    if live.is_empty() && restart.is_empty() && format!("{old:?}") != format!("{new:?}") {
        restart.push("other settings");
    }
    (live, restart)
}

/// `running` with the live sections of `new` (the outputs when
/// `outputs` says they were applied).
fn with_live_sections(running: &Config, new: &Config, outputs: bool) -> Config {
    let mut next = running.clone();
    if outputs {
        next.output = new.output.clone();
    }
    next.filters = new.filters.clone();
    next.rules = new.rules.clone();
    next.raudit.rules = new.raudit.rules.clone();
    next.raudit.kernel = new.raudit.kernel;
    next.log = new.log;
    next
}

/// Reads the config again and applies what can change live (see the
/// module doc); reports the outcome on stderr and into the stream.
pub fn reload(
    plan: &mut RunPlan,
    control: &Control<'_>,
    records: &ControlSender,
    drift: &mut Option<DriftWatch>,
) {
    let Some(source) = plan.reload.as_ref() else {
        eprintln!("raudit: SIGHUP: running the built-in default config, nothing to read again (outputs reopened)");
        return;
    };
    let path = source.path.clone();
    let outcome = match try_reload(plan, control, records, drift) {
        Ok((applied, restart)) => {
            eprintln!(
                "raudit: config {} reloaded: changed and applied: [{}]; changed, needs a restart (not applied): [{}]",
                path.display(),
                applied.join(", "),
                restart.join(", ")
            );
            ReloadOutcome {
                applied,
                restart_needed: restart,
                error: None,
            }
        }
        Err(e) => {
            eprintln!(
                "raudit: config {} not reloaded, the running config stays: {e}",
                path.display()
            );
            ReloadOutcome {
                applied: Vec::new(),
                restart_needed: Vec::new(),
                error: Some(e),
            }
        }
    };
    let line = reload_record(SystemTime::now(), &path.display().to_string(), &outcome);
    if !records.send(line) {
        eprintln!("raudit: the reload record could not reach every output (channel full)");
    }
}

/// Whether `new` outputs can replace `old` ones live: the same outputs,
/// in the same order, the same lines to cut beside them, and the same
/// spools (an output thread keeps its spool file).
fn outputs_apply_live(old: &[OutputPlan], new: &[OutputPlan]) -> bool {
    let names = |outputs: &[OutputPlan]| outputs.iter().map(OutputPlan::name).collect::<Vec<_>>();
    names(old) == names(new)
        && plan::side_settings(old) == plan::side_settings(new)
        && old
            .iter()
            .map(OutputPlan::spool)
            .eq(new.iter().map(OutputPlan::spool))
}

/// Opens each output whose plan changed and hands it to its thread; false
/// when one of them could not be.
fn replace_outputs(plan: &mut RunPlan, new: &[OutputPlan], records: &ControlSender) -> bool {
    let mut all = true;
    for (index, next) in new.iter().enumerate() {
        if plan.outputs.get(index) == Some(next) {
            continue;
        }
        let name = next.name();
        match super::open_output(next, plan) {
            Ok((output, attempts)) => {
                match records.replace(index, Replacement { output, attempts }) {
                    Ok(()) => {
                        eprintln!("raudit: output {name}: reopened with its new settings");
                        if let Some(slot) = plan.outputs.get_mut(index) {
                            *slot = next.clone();
                        }
                    }
                    Err(_) => {
                        eprintln!(
                            "raudit: output {name}: its thread still has the previous reload's output to take; kept as it is"
                        );
                        all = false;
                    }
                }
            }
            Err(e) => {
                eprintln!("raudit: output {name}: not changed, the new settings do not open: {e}");
                all = false;
            }
        }
    }
    all
}

type Applied = (Vec<&'static str>, Vec<&'static str>);

fn try_reload(
    plan: &mut RunPlan,
    control: &Control<'_>,
    records: &ControlSender,
    drift: &mut Option<DriftWatch>,
) -> Result<Applied, String> {
    let Some(source) = plan.reload.as_ref() else {
        return Err("no config file".into());
    };
    let config = Config::load(&source.path).map_err(|e| e.to_string())?;
    let new = plan::from_config(&config)?;
    let (mut applied, mut restart) = differences(&source.running, &config);
    let outputs_live = outputs_apply_live(&plan.outputs, &new.outputs);
    if !outputs_live {
        applied.retain(|s| *s != "output");
        if source.running.output != config.output {
            restart.insert(0, "output");
        }
    }
    let daemon = |listen: Listen| matches!(listen, Listen::Daemon { .. });
    if daemon(plan.listen) && daemon(new.listen) {
        if let Some(apply) = &new.rules {
            // Always, not only when the config's rules changed: the rules
            // files may have.
            let in_force = apply(control).map_err(|e| format!("loading the audit rules: {e}"))?;
            *drift = new.drift.map(|mut d| {
                if let Some(set) = in_force {
                    d.set = set;
                }
                DriftWatch::new(d, Instant::now())
            });
            plan.enables_auditing = new.enables_auditing;
        }
    } else {
        // Read-only mode loads no rules.
        applied.retain(|s| !s.starts_with("rules") && !s.starts_with("raudit."));
    }
    // An output that did not open keeps the old one, and the section
    // stays as it runs (reported on stderr; a later reload tries again).
    let outputs_live = outputs_live && replace_outputs(plan, &new.outputs, records);
    if !outputs_live {
        applied.retain(|s| *s != "output");
    }
    plan.pipeline
        .filter_update
        .offer(new.pipeline.filters.clone());
    crate::logging::set_flags(new.log_flags);
    if let Some(source) = plan.reload.as_mut() {
        source.running = with_live_sections(&source.running, &config, outputs_live);
    }
    Ok((applied, restart))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::from_yaml_str(text, "test.yaml").unwrap()
    }

    const BASE: &str =
        "output: {stdout: {enabled: true}}\nrules: ['-a always,exit -F arch=b64 -S execve']\n";

    #[test]
    fn sections_are_sorted_into_live_and_restart() {
        let old = config(BASE);
        assert_eq!(differences(&old, &old), (vec![], vec![]));
        let new = config(&format!(
            "{BASE}filters: [{{syscall: 49, message_type: 1306, regex: 'saddr=(10..|0A..)'}}]\n"
        ));
        assert_eq!(differences(&old, &new), (vec!["filters"], vec![]));
        let new = config("output: {stdout: {enabled: true}}\nrules: ['-w /etc/passwd -p wa']\nraudit: {queue: {policy: block}}\n");
        assert_eq!(
            differences(&old, &new),
            (vec!["rules"], vec!["raudit.queue"])
        );
        let new = config("output: {file: {enabled: true, path: /tmp/x.log}}\nrules: ['-a always,exit -F arch=b64 -S execve']\n");
        assert_eq!(differences(&old, &new), (vec!["output"], vec![]));
    }

    fn outputs(text: &str) -> Vec<OutputPlan> {
        plan::from_config(&config(&format!("{text}rules: ['-e 1']\n")))
            .unwrap()
            .outputs
    }

    #[test]
    fn outputs_change_live_only_with_the_same_outputs_and_cuts() {
        let file = outputs("output: {file: {enabled: true, path: /tmp/a.log}}\n");
        let moved = outputs("output: {file: {enabled: true, path: /tmp/b.log, max_bytes: 8192}}\n");
        assert!(outputs_apply_live(&file, &moved), "a file's settings");
        let stdout = outputs("output: {stdout: {enabled: true}}\n");
        assert!(!outputs_apply_live(&file, &stdout), "another output");
        let syslog = outputs("output: {syslog: {enabled: true, address: /dev/log}}\n");
        let retried = outputs("output: {syslog: {enabled: true, attempts: 5}}\n");
        assert!(outputs_apply_live(&syslog, &retried), "a syslog's attempts");
        let limited = outputs("output: {syslog: {enabled: true, max_message_bytes: 2048}}\n");
        assert!(!outputs_apply_live(&syslog, &limited), "another cut");
        let spooled = outputs("output: {syslog: {enabled: true, spool: {path: /tmp/s}}}\n");
        assert!(!outputs_apply_live(&syslog, &spooled), "another spool");
        assert!(outputs_apply_live(&spooled, &spooled), "the same spool");
    }

    #[test]
    fn a_section_needing_a_restart_stays_reported_until_restarted() {
        let old = config(BASE);
        let new = config(&format!(
            "{BASE}raudit: {{format: structured}}\nfilters: []\n"
        ));
        let running = with_live_sections(&old, &new, true);
        let (_, restart) = differences(&running, &new);
        assert_eq!(restart, ["raudit.format"], "still differs from what runs");
    }
}
