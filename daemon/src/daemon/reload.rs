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
//!   owner or rotation, a syslog or GELF address, `attempts`, its spool,
//!   …) is opened anew here and handed to its output thread, which
//!   flushes the old one and writes to the new one from its next buffer
//!   on; a changed spool is opened here too and changes in that thread at
//!   the same boundary: the new spool takes the old one's entries over,
//!   sent first and in order (see `output::spool`); an output enabled
//!   gets a thread of its own, and the receive thread hands it every
//!   buffer it submits after it took the change (between two buffers); an
//!   output disabled is taken off the queue's readers the same way, and
//!   its thread writes what its backlog holds, flushes and ends (the queue
//!   never waits for it). What goes beside the lines (facts, the cut for
//!   the smallest transport limit) changes with them, at that buffer
//!   boundary: the queue reserved at start, as address space only, the
//!   most any outputs can need beside its buffers
//!   ([`SideSettings::largest_bytes_per_buffer`](crate::pipeline::SideSettings::largest_bytes_per_buffer)), and the room the new
//!   outputs need is opened ([`Queue::open_side`](crate::queue::Queue::open_side))
//!   before the receive thread is told. An output that fails to open
//!   (or whose spool does not open, or whose room cannot be opened) keeps
//!   the old one, or stays disabled (reported).
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
use crate::output::{Replacement, SpoolChange};

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
    let records = s.records.borrow();
    let line = reload_record(
        SystemTime::now(),
        records.outline(),
        &path.display().to_string(),
        &outcome,
    );
    if !records.send(line) {
        eprintln!("raudit: the reload record could not reach every output (channel full)");
    }
}

/// What a reload does to the spool of an output whose settings went from
/// `old` to `new` (opening a new one here, so an error keeps the output
/// as it is).
fn spool_change(
    old: &OutputPlan,
    new: &OutputPlan,
    plan: &RunPlan,
) -> Result<SpoolChange, super::StartError> {
    Ok(match (old.spool(), new.spool()) {
        (a, b) if a == b => SpoolChange::Keep,
        (Some(a), Some(b)) if same_file(&a.path, &b.path) => SpoolChange::Bound(b.max_bytes),
        (_, Some(b)) => {
            if let Some(user) = spool_user(plan, new.place(), &b.path) {
                return Err(super::StartError(format!(
                    "its spool {} is still another output's ({user}); reload again once that one moved",
                    b.path.display()
                )));
            }
            SpoolChange::Open(Box::new(super::open_spool(new, b, plan)?))
        }
        (Some(_), None) => SpoolChange::Remove,
        (None, None) => SpoolChange::Keep,
    })
}

/// The running output other than the one at `place` whose spool is the
/// file `path`, if any (two spools on one file would overwrite each
/// other's entries).
fn spool_user(plan: &RunPlan, place: usize, path: &std::path::Path) -> Option<&'static str> {
    plan.outputs
        .iter()
        .filter(|o| o.place() != place)
        .find(|o| o.spool().is_some_and(|s| same_file(&s.path, path)))
        .map(OutputPlan::name)
}

/// Whether two paths name one file: the same text, or the same inode.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a == b
        || matches!(
            (std::fs::metadata(a), std::fs::metadata(b)),
            (Ok(x), Ok(y)) if (x.dev(), x.ino()) == (y.dev(), y.ino())
        )
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
        stop_reporting_if_retired(s.stats, readers, place);
    }
}

/// An output at `place` that no longer reads the queue (`readers`: a
/// reload retired it) is no longer reported (its counts stay in the
/// totals). Once its thread has ended: reaped here, or joined at shutdown.
pub(crate) fn stop_reporting_if_retired(stats: &crate::stats::Stats, readers: u64, place: usize) {
    if readers & (1 << place) == 0 {
        if let Some(counters) = stats.outputs.get(place) {
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
    // Before any output changes: the room beside the lines they need,
    // opened before the receive thread is told to write it.
    let side = plan::side_settings(new);
    let large_bytes = plan.pipeline.max_event_bytes + 1;
    if let Err(e) = s.queue.open_side(
        side.bytes_per_buffer(plan.buffer_bytes),
        side.bytes_per_buffer(large_bytes),
    ) {
        eprintln!(
            "raudit: outputs not changed: the room they need beside the lines cannot be opened: {e}"
        );
        return false;
    }
    let mut all = true;
    let mut running = Vec::new();
    let at =
        |outputs: &[OutputPlan], place: usize| outputs.iter().find(|o| o.place() == place).cloned();
    for place in 0..OutputPlan::PLACES.len() {
        match (at(&plan.outputs, place), at(new, place)) {
            (None, None) => {}
            (Some(old), Some(next)) if old == next => running.push(old),
            (Some(old), Some(next)) => {
                if replace_output(plan, place, &old, &next, s) {
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

/// Opens output `next` (and its spool, when it changed from `old`'s) and
/// hands it to the thread of `place`.
fn replace_output(
    plan: &RunPlan,
    place: usize,
    old: &OutputPlan,
    next: &OutputPlan,
    s: &Supervised<'_>,
) -> bool {
    let name = next.name();
    let opened = super::open_output(next, plan)
        .and_then(|(output, attempts)| Ok((output, attempts, spool_change(old, next, plan)?)));
    match opened {
        Ok((output, attempts, spool)) => {
            let replacement = Replacement {
                output,
                attempts,
                spool,
            };
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
    if let Some(user) = next.spool().and_then(|s| spool_user(plan, place, &s.path)) {
        eprintln!(
            "raudit: output {name}: not enabled, its spool is still another output's ({user}); reload again once that one moved"
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

/// Puts the kernel's rules and settings back to `before` (read just
/// before a reload's rules were loaded); says how that went.
fn put_back(
    control: &Control<'_>,
    before: Result<crate::rules::RuleSet, crate::netlink::ControlError>,
) -> String {
    let set = match before {
        Ok(set) => set,
        Err(e) => {
            return format!("the kernel's rules could not be read before, so they may now mix the two configs' ({e})")
        }
    };
    match crate::rules::apply(control, &set, Some(std::process::id())) {
        Ok(report) => format!(
            "the kernel's rules and settings were put back as they were ({} added, {} deleted, {} setting(s))",
            report.added, report.deleted, report.settings
        ),
        Err(e) => format!("putting the kernel's rules back as they were failed too: {e}"),
    }
}

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
    let (mut applied, restart) = differences(&source.running, &config);
    let daemon = |listen: Listen| matches!(listen, Listen::Daemon { .. });
    if daemon(plan.listen) && daemon(new.listen) {
        if let Some(apply) = &new.rules {
            // Always, not only when the config's rules changed: the rules
            // files may have.
            // Refused in part, the new rules leave the kernel with some of
            // each config's: put back as it was, as the running config says.
            let before = crate::rules::apply::snapshot(control);
            let in_force = apply(control, s.stats).map_err(|e| {
                format!(
                    "loading the audit rules: {e}; {}",
                    put_back(control, before)
                )
            })?;
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
    let outputs_live = plan.outputs == new.outputs || apply_outputs(plan, &new.outputs, s);
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
    use crate::pipeline::SideSettings;
    use crate::scratch_dir::ScratchDir;

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
    fn no_outputs_need_more_room_beside_the_lines_than_the_start_reserved() {
        let limited = |bytes: u32| {
            format!("output: {{syslog: {{enabled: true, max_message_bytes: {bytes}}}, gelf: {{enabled: true, address: '127.0.0.1:1'}}, otlp: {{enabled: true, endpoint: 'http://127.0.0.1:1/v1/logs'}}}}\n")
        };
        let mut configs = vec![
            "output: {file: {enabled: true, path: /tmp/a.log}}\n".to_string(),
            "output: {syslog: {enabled: true, address: /dev/log}}\n".to_string(),
            "output: {gelf: {enabled: true, address: '127.0.0.1:1'}}\n".to_string(),
        ];
        configs.extend([1024, 2048, 8192, 16 << 10, 1 << 20, 1 << 30].map(limited));
        for capacity in [4096, 16 << 10, (4 << 20) + (256 << 10) + 1] {
            let reserved = SideSettings::largest_bytes_per_buffer(capacity);
            for config in &configs {
                let side = plan::side_settings(&outputs(config));
                assert!(
                    side.bytes_per_buffer(capacity) <= reserved,
                    "{config} in {capacity}"
                );
            }
        }
        // Any limit, whatever validation allows: the largest is bounded.
        for capacity in [1, 2, 100, 4096, 16 << 10] {
            let reserved = SideSettings::largest_bytes_per_buffer(capacity);
            for limit in (1..capacity + 64).chain([usize::MAX]) {
                for facts in [false, true] {
                    let side = SideSettings {
                        facts,
                        cut_limit: Some(limit),
                    };
                    assert!(side.bytes_per_buffer(capacity) <= reserved, "{limit}");
                }
            }
        }
    }

    #[test]
    fn a_reload_refuses_lock_and_panic_from_the_config_and_its_rules_files() {
        let dir = ScratchDir::new("reload-guard");
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
    }

    #[test]
    fn a_changed_spool_is_kept_moved_rebounded_or_removed() {
        let dir = ScratchDir::new("reload-spool");
        let text = |spool: &str| {
            format!("output: {{syslog: {{enabled: true, network: tcp, address: 'h:1'{spool}}}}}\nrules: ['-e 1']\n")
        };
        let (a, b) = (dir.join("a"), dir.join("b"));
        let spooled = |path: &std::path::Path, bytes: u32| {
            text(&format!(
                ", spool: {{path: {}, max_bytes: {bytes}}}",
                path.display()
            ))
        };
        let plan = plan::from_config(&config(&spooled(&a, 1 << 20))).unwrap();
        let at = |t: String| plan::from_config(&config(&t)).unwrap().outputs.remove(0);
        let old = at(spooled(&a, 1 << 20));
        let change = |next: String| spool_change(&old, &at(next), &plan).unwrap();
        assert!(matches!(change(spooled(&a, 1 << 20)), SpoolChange::Keep));
        assert!(matches!(
            change(spooled(&a, 2 << 20)),
            SpoolChange::Bound(n) if n == 2 << 20
        ));
        assert!(matches!(change(text("")), SpoolChange::Remove));
        match change(spooled(&b, 1 << 20)) {
            SpoolChange::Open(_) => assert!(b.exists(), "opened by the reload"),
            other => panic!("{other:?}"),
        }
        let none = at(text(""));
        assert!(matches!(
            spool_change(&none, &at(text("")), &plan).unwrap(),
            SpoolChange::Keep
        ));
        std::fs::write(dir.join("file"), "x").unwrap();
        let blocked = spooled(&dir.join("file").join("c"), 1 << 20);
        assert!(
            spool_change(&none, &at(blocked), &plan).is_err(),
            "a spool that does not open keeps the output as it is"
        );
        // Another running output's spool file: refused, not opened twice.
        let two = |syslog: &str, gelf: &std::path::Path| {
            format!(
                "output: {{syslog: {{enabled: true, network: tcp, address: 'h:1'{syslog}}}, gelf: {{enabled: true, network: tcp, address: 'h:2', spool: {{path: {}}}}}}}\nrules: ['-e 1']\n",
                gelf.display()
            )
        };
        let running = plan::from_config(&config(&two(
            &format!(", spool: {{path: {}}}", a.display()),
            &b,
        )))
        .unwrap();
        let gelf = running.outputs.iter().find(|o| o.name() == "gelf").unwrap();
        // The reload gives GELF syslog's file (and syslog none).
        let onto_a = plan::from_config(&config(&two("", &a))).unwrap();
        let next = onto_a.outputs.iter().find(|o| o.name() == "gelf").unwrap();
        let e = spool_change(gelf, next, &running).map(|_| ()).unwrap_err();
        assert!(e.0.contains("still another output's (syslog)"), "{e}");
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
