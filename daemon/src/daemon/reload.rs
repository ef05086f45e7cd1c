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
//! - `output`: each output whose settings changed (a file's path, mode,
//!   owner or rotation, a syslog or GELF address, `attempts`, …) is opened
//!   anew here and handed to its output thread, which flushes the old one
//!   and writes to the new one from its next buffer on; an output enabled
//!   gets a thread of its own, and the receive thread hands it every
//!   buffer it submits after it took the change (between two buffers); an
//!   output disabled is taken off the queue's readers the same way, and
//!   its thread writes what its backlog holds, flushes and ends (the queue
//!   never waits for it). What goes beside the lines (facts, the cut for
//!   the smallest transport limit) changes with them, at that buffer
//!   boundary, within the side room the queue was given at start; a
//!   change needing more room needs a restart. An output that fails to
//!   open keeps the old one, or stays disabled (reported).
//!
//! Everything else (queue, format, mode, socket buffer, …) needs a
//! restart: the sections that changed are named on stderr and in a
//! `reload` control record in every output's stream, and the rest is
//! applied. A config that does not load, or whose rules the kernel
//! refuses, is reported the same way and the running config stays.

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use super::drift_watch::DriftWatch;
use super::plan::{self, Listen, OutputPlan, RunPlan};
use super::Supervised;
use crate::config::Config;
use crate::netlink::Control;
use crate::output::stream_notice::{reload_record, ReloadOutcome};
use crate::output::Replacement;
use crate::pipeline::SideSettings;

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
    ("raudit.redact", |c| format!("{:?}", c.raudit.redact)),
    ("raudit.fields", |c| format!("{:?}", c.raudit.fields)),
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
pub(crate) fn reload(
    plan: &mut RunPlan,
    control: &Control<'_>,
    s: &Supervised<'_>,
    drift: &mut Option<DriftWatch>,
) {
    let stats = s.stats;
    let Some(source) = plan.reload.as_ref() else {
        eprintln!("raudit: SIGHUP: running the built-in default config, nothing to read again (outputs reopened)");
        return;
    };
    let path = source.path.clone();
    let outcome = match try_reload(plan, control, s, drift) {
        Ok((applied, restart)) => {
            stats.reloads_applied.add(1);
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
            stats.reloads_refused.add(1);
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
    if !s.records.borrow().send(line) {
        eprintln!("raudit: the reload record could not reach every output (channel full)");
    }
}

/// Whether `new` outputs can run live: what goes beside their lines fits
/// the side room the queue's buffers (of `buffer_bytes`, and the large
/// ones of `large_bytes`) were given at start (`room`).
fn outputs_apply_live(
    room: SideSettings,
    new: &[OutputPlan],
    buffer_bytes: usize,
    large_bytes: usize,
) -> bool {
    let side = plan::side_settings(new);
    [buffer_bytes, large_bytes]
        .iter()
        .all(|&capacity| side.bytes_per_buffer(capacity) <= room.bytes_per_buffer(capacity))
}

/// Whether every output in both `old` and `new` keeps its spool (its
/// thread keeps the spool file it opened at start).
fn spools_unchanged(old: &[OutputPlan], new: &[OutputPlan]) -> bool {
    old.iter().all(|o| {
        new.iter()
            .find(|n| n.place() == o.place())
            .is_none_or(|n| n.spool() == o.spool())
    })
}

/// The output threads of outputs a reload disabled that have finished:
/// joined, and their counters no longer reported (their counts stay in
/// the totals).
pub(crate) fn reap_retired(s: &Supervised<'_>) {
    let readers = s.queue.readers();
    let mut writers = s.writers.borrow_mut();
    let (done, running): (Vec<_>, Vec<_>) = std::mem::take(&mut *writers)
        .into_iter()
        .partition(|(place, handle)| readers & (1 << place) == 0 && handle.is_finished());
    *writers = running;
    for (place, handle) in done {
        if handle.join().is_err() {
            eprintln!("raudit: an output thread panicked");
        }
        if let Some(counters) = s.stats.outputs.get(place) {
            counters.set_enabled(false);
        }
    }
}

/// Applies `new` outputs: each changed one reopened, each enabled one
/// started, each disabled one retired; then the receive thread is told
/// which outputs read and what goes beside the lines. False when one of
/// them could not be (reported; it stays as it was).
fn apply_outputs(plan: &mut RunPlan, new: &[OutputPlan], s: &Supervised<'_>) -> bool {
    reap_retired(s);
    let mut all = true;
    let mut running = Vec::new();
    let at =
        |outputs: &[OutputPlan], place: usize| outputs.iter().find(|o| o.place() == place).cloned();
    for place in 0..OutputPlan::PLACES.len() {
        match (at(&plan.outputs, place), at(new, place)) {
            (None, None) => {}
            (Some(old), Some(next)) if old == next => running.push(old),
            (Some(old), Some(next)) => {
                if replace_output(plan, place, &next, s) {
                    running.push(next);
                } else {
                    running.push(old);
                    all = false;
                }
            }
            (None, Some(next)) => {
                if enable_output(plan, place, &next, s) {
                    running.push(next);
                } else {
                    all = false;
                }
            }
            (Some(old), None) => {
                s.queue.set_retired(place, true);
                s.records.borrow_mut().close(place);
                eprintln!(
                    "raudit: output {}: disabled; it writes what it holds and stops",
                    old.name()
                );
            }
        }
    }
    plan.outputs = running;
    let side = plan::side_settings(&plan.outputs);
    plan.pipeline.side = side;
    plan.pipeline
        .outputs_update
        .offer((OutputPlan::readers(&plan.outputs), side));
    all
}

/// Opens output `next` and hands it to the thread of `place`.
fn replace_output(plan: &RunPlan, place: usize, next: &OutputPlan, s: &Supervised<'_>) -> bool {
    let name = next.name();
    match super::open_output(next, plan) {
        Ok((output, attempts)) => {
            let replacement = Replacement { output, attempts };
            match s.records.borrow().replace(place, replacement) {
                Ok(()) => {
                    eprintln!("raudit: output {name}: reopened with its new settings");
                    true
                }
                Err(_) => {
                    eprintln!(
                        "raudit: output {name}: its thread still has the previous reload's output to take; kept as it is"
                    );
                    false
                }
            }
        }
        Err(e) => {
            eprintln!("raudit: output {name}: not changed, the new settings do not open: {e}");
            false
        }
    }
}

/// Opens output `next` and starts its thread at `place` (it reads the
/// queue once the receive thread takes the new readers).
fn enable_output(plan: &RunPlan, place: usize, next: &OutputPlan, s: &Supervised<'_>) -> bool {
    let name = next.name();
    if s.writers.borrow().iter().any(|(p, _)| *p == place) {
        eprintln!(
            "raudit: output {name}: not enabled, its previous thread is still writing what it held; reload again"
        );
        return false;
    }
    let sink = match super::open_sink(next, plan) {
        Ok(sink) => sink,
        Err(e) => {
            eprintln!("raudit: output {name}: not enabled, it does not open: {e}");
            return false;
        }
    };
    let control = s.records.borrow_mut().open(place);
    s.queue.set_retired(place, false);
    match crate::output::spawn_writer(
        s.queue,
        place,
        sink,
        s.stats,
        s.writer_settings,
        Some(control),
        plan.priority_boost,
    ) {
        Ok(handle) => {
            if let Some(counters) = s.stats.outputs.get(place) {
                counters.set_enabled(true);
            }
            s.writers.borrow_mut().push((place, handle));
            eprintln!("raudit: output {name}: enabled");
            true
        }
        Err(e) => {
            s.records.borrow_mut().close(place);
            eprintln!("raudit: output {name}: not enabled, its thread does not start: {e}");
            false
        }
    }
}

type Applied = (Vec<&'static str>, Vec<&'static str>);

/// The config file read again and its plan, checked as at start (the
/// rules compiled through the same [`guard`](crate::rules::guard)).
fn read_again(path: &std::path::Path) -> Result<(Config, RunPlan), String> {
    let config = Config::load(path).map_err(|e| e.to_string())?;
    let new = plan::from_config(&config)?;
    Ok((config, new))
}

fn try_reload(
    plan: &mut RunPlan,
    control: &Control<'_>,
    s: &Supervised<'_>,
    drift: &mut Option<DriftWatch>,
) -> Result<Applied, String> {
    let Some(source) = plan.reload.as_ref() else {
        return Err("no config file".into());
    };
    let (config, new) = read_again(&source.path)?;
    let (mut applied, mut restart) = differences(&source.running, &config);
    let large_bytes = plan.pipeline.max_event_bytes + 1;
    let outputs_live =
        outputs_apply_live(plan.side_room, &new.outputs, plan.buffer_bytes, large_bytes)
            && spools_unchanged(&plan.outputs, &new.outputs);
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
    let outputs_live =
        outputs_live && (plan.outputs == new.outputs || apply_outputs(plan, &new.outputs, s));
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
    fn outputs_change_live_within_the_side_room_of_the_start() {
        let live = |start: &[OutputPlan], new: &[OutputPlan]| {
            outputs_apply_live(plan::side_settings(start), new, 16 << 10, 4 << 20)
        };
        let file = outputs("output: {file: {enabled: true, path: /tmp/a.log}}\n");
        let moved = outputs("output: {file: {enabled: true, path: /tmp/b.log, max_bytes: 8192}}\n");
        assert!(live(&file, &moved), "a file's settings");
        let stdout = outputs("output: {stdout: {enabled: true}}\n");
        assert!(live(&file, &stdout), "another output");
        let both =
            outputs("output: {file: {enabled: true, path: /tmp/a.log}, stdout: {enabled: true}}\n");
        assert!(
            live(&file, &both) && live(&both, &file),
            "one added, one removed"
        );
        let syslog = outputs("output: {syslog: {enabled: true, address: /dev/log}}\n");
        let retried = outputs("output: {syslog: {enabled: true, attempts: 5}}\n");
        assert!(live(&syslog, &retried), "a syslog's attempts");
        let limited = outputs("output: {syslog: {enabled: true, max_message_bytes: 2048}}\n");
        assert!(
            !live(&syslog, &limited),
            "the pooled buffers now need cut versions they had no room for"
        );
        assert!(!live(&limited, &syslog), "a larger cut needs more room");
        assert!(!live(&file, &limited), "no side room at all was given");
        let gelf = outputs("output: {gelf: {enabled: true, address: '127.0.0.1:1'}}\n");
        assert!(!live(&syslog, &gelf), "GELF's facts need room");
    }

    #[test]
    fn a_reload_refuses_lock_and_panic_from_the_config_and_its_rules_files() {
        let dir = std::env::temp_dir().join(format!("raudit-reload-guard-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("raudit.yaml");
        let rules = dir.join("lock.rules");
        std::fs::write(&rules, "-e 2\n").unwrap();
        std::fs::write(
            &file,
            "output: {stdout: {enabled: true}}\nrules: ['-f 2']\n",
        )
        .unwrap();
        let e = read_again(&file).map(|_| ()).unwrap_err();
        assert!(e.contains("`-f 2` panics the kernel"), "{e}");
        let from_files = format!(
            "output: {{stdout: {{enabled: true}}}}\nraudit: {{rules: {{files: ['{}']}}}}\n",
            rules.display()
        );
        std::fs::write(&file, &from_files).unwrap();
        let e = read_again(&file).map(|_| ()).unwrap_err();
        assert!(
            e.contains("lock.rules:1:") && e.contains("locks the rules"),
            "{e}"
        );
        std::fs::write(
            &file,
            from_files.replace("{files:", "{allow_lock: true, files:"),
        )
        .unwrap();
        assert!(read_again(&file).is_ok(), "allowed");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_changed_spool_needs_a_restart() {
        let syslog = outputs("output: {syslog: {enabled: true, address: /dev/log}}\n");
        let spooled = outputs("output: {syslog: {enabled: true, network: tcp, address: 'h:1', spool: {path: /tmp/s}}}\n");
        assert!(!spools_unchanged(&syslog, &spooled), "another spool");
        assert!(spools_unchanged(&spooled, &spooled), "the same spool");
        let file = outputs("output: {file: {enabled: true, path: /tmp/a.log}}\n");
        assert!(
            spools_unchanged(&file, &spooled),
            "an output added with its spool"
        );
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
