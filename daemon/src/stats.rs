//! Counters of everything raudit receives, writes and loses, shared by the
//! threads as atomics, and the report made from them: one line on stderr
//! every interval and at exit, and (if configured) a JSON `stats` file
//! replaced atomically. Loss is never silent: every way an event can go
//! missing has a counter here.

use std::fmt::{self, Write as _};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::json;

/// A monotonically increasing counter.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn set(&self, n: u64) {
        self.0.store(n, Ordering::Relaxed);
    }

    /// Sets the counter to `n` unless it is already higher: for a count
    /// mirrored from one source by several threads (the queue's drops and
    /// lost buffers), so a thread that read the source before another
    /// published a newer value never sets it back.
    pub fn raise_to(&self, n: u64) {
        self.0.fetch_max(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Counters of one output.
#[derive(Debug, Default)]
pub struct OutputCounters {
    pub name: String,
    /// The output is configured (a reload can enable or disable one):
    /// reported only then; its counts stay in the totals either way.
    pub enabled: AtomicBool,
    /// Events delivered, as far as the transport can tell.
    pub sent: Counter,
    /// Bytes of the lines handed to the transport (an event's cut version
    /// when that went), counted as handed over: a line a gathering
    /// transport then failed to deliver stays counted here (`sent` and
    /// `errors` say what was delivered).
    pub bytes: Counter,
    /// Events handed to the transport as their marked cut version (it
    /// could not carry them whole), counted as handed over, as `bytes`.
    pub cut: Counter,
    /// Events this output gave up without trying: its backlog was full
    /// (it fell too far behind) or the shutdown deadline passed.
    pub dropped: Counter,
    /// Events given up on after every attempt failed, or refused by the
    /// receiving host after they were sent.
    pub errors: Counter,
    /// Events counted in `sent` that the receiving host refused afterwards
    /// (a datagram's refusal comes with the next send): taken off the next
    /// ones counted, since `sent` is a counter and never goes back (a
    /// Prometheus counter that falls reads as a restart).
    pub sent_owed: Counter,
    /// Failed attempts that were retried.
    pub retries: Counter,
    /// Connections made again after the peer went away.
    pub reconnects: Counter,
    pub reopens: Counter,
    /// Files rotated by the output itself (`output.file.max_bytes`).
    pub rotations: Counter,
    /// Events kept in the spool because the receiver could not take them.
    pub spooled: Counter,
    /// Spooled events lost: the oldest pushed out of a full spool, or an
    /// event larger than the spool.
    pub spool_dropped: Counter,
    /// Spool entries skipped at start: torn (raudit stopped while writing
    /// one), or larger than this run takes (a smaller
    /// `raudit.max_event_bytes` or `queue.buffer_size` than the run that
    /// spooled them).
    pub spool_torn: Counter,
    /// Events in the spool now (a gauge).
    pub spool_events: Counter,
    /// Bytes in the spool now (a gauge).
    pub spool_bytes: Counter,
    /// (Not reported.) What its stream's loss records have told so far
    /// (queue drops, this output's drops, the kernel's lost records,
    /// missed serials, missed serials that came after all:
    /// `output::loss::Losses`): kept here, not in its thread, so that a
    /// thread a reload starts for it does not tell them again.
    pub loss_told: [Counter; 5],
}

impl OutputCounters {
    /// Whether the output is configured now.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::Relaxed);
    }

    /// `n` events delivered: counted in `sent`, less what is owed for
    /// events counted before and refused since (see
    /// [`count_refused`](Self::count_refused)). The output's thread alone
    /// calls this.
    pub fn count_sent(&self, n: u64) {
        let owed = self.sent_owed.get().min(n);
        if owed > 0 {
            self.sent_owed.set(self.sent_owed.get() - owed);
        }
        if n > owed {
            self.sent.add(n - owed);
        }
    }

    /// `n` events the receiving host refused after they were counted as
    /// sent: errors now, and taken off the next ones counted as sent.
    pub fn count_refused(&self, n: u64) {
        self.errors.add(n);
        self.sent_owed.add(n);
    }

    /// This output's counters, in report order (as [`Stats::fields`]).
    pub fn fields(&self) -> [Field; 14] {
        use Kind::{Counter as C, Gauge as G};
        [
            Field::new(
                "sent",
                C,
                "Events delivered by the output, as far as the transport can tell.",
                self.sent.get(),
            ),
            Field::new(
                "bytes",
                C,
                "Bytes of the lines handed to the transport (the cut version's when that went), whether or not it then delivered them (`sent` and `errors` say that).",
                self.bytes.get(),
            ),
            Field::new(
                "cut",
                C,
                "Events handed to the transport as their marked cut version (it could not carry them whole).",
                self.cut.get(),
            ),
            Field::new(
                "dropped",
                C,
                "Events the output gave up without trying (its backlog was full, or the shutdown deadline passed).",
                self.dropped.get(),
            ),
            Field::new(
                "errors",
                C,
                "Events given up on after every attempt failed, or refused by the receiving host.",
                self.errors.get(),
            ),
            Field::new(
                "retries",
                C,
                "Failed write attempts that were retried.",
                self.retries.get(),
            ),
            Field::new(
                "reconnects",
                C,
                "Connections made again after the peer went away.",
                self.reconnects.get(),
            ),
            Field::new(
                "reopens",
                C,
                "Times the output was reopened on SIGHUP or SIGUSR1.",
                self.reopens.get(),
            ),
            Field::new(
                "rotations",
                C,
                "Files the output rotated itself (output.file.max_bytes).",
                self.rotations.get(),
            ),
            Field::new(
                "spooled",
                C,
                "Events kept in the output's spool because the receiver could not take them.",
                self.spooled.get(),
            ),
            Field::new(
                "spool_dropped",
                C,
                "Spooled events lost: the oldest pushed out of a full spool, or an event larger than the spool.",
                self.spool_dropped.get(),
            ),
            Field::new(
                "spool_torn",
                C,
                "Spool entries skipped at start: torn (raudit stopped while writing one), or larger than this run takes.",
                self.spool_torn.get(),
            ),
            Field::new(
                "spool_events",
                G,
                "Events in the output's spool now.",
                self.spool_events.get(),
            ),
            Field::new(
                "spool_bytes",
                G,
                "Bytes in the output's spool now.",
                self.spool_bytes.get(),
            ),
        ]
    }
}

/// What a reported value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A count that only grows while raudit runs.
    Counter,
    /// A level at the moment (a depth, a backlog).
    Gauge,
    /// A sum of other reported counters, for the report's reader; left out
    /// of the metrics, where `sum()` gives it.
    Sum,
    /// Time that only grows while raudit runs, counted in milliseconds and
    /// reported in seconds (`1.250`), the metrics' base unit.
    Seconds,
}

/// One reported value: its name in every report, its kind, what it means
/// (the metrics' `# HELP`; one sentence, no backslash or newline) and its
/// value now.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
    pub value: u64,
}

impl Field {
    /// The value as every report shows it: a count, or for
    /// [`Kind::Seconds`] seconds with three decimals.
    pub fn shown(&self) -> Shown {
        Shown(self.kind, self.value)
    }

    const fn new(name: &'static str, kind: Kind, help: &'static str, value: u64) -> Field {
        Field {
            name,
            kind,
            help,
            value,
        }
    }
}

/// A [`Field`]'s value as reported ([`Field::shown`]).
#[derive(Clone, Copy, Debug)]
pub struct Shown(Kind, u64);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Kind::Seconds => write!(f, "{}.{:03}", self.1 / 1000, self.1 % 1000),
            _ => write!(f, "{}", self.1),
        }
    }
}

/// All counters of one daemon run.
#[derive(Debug, Default)]
pub struct Stats {
    /// Audit records accepted from the kernel.
    pub records: Counter,
    /// Netlink frames that were not records (ACK, NLMSG_ERROR, DONE, replies).
    pub control_frames: Counter,
    /// Datagrams or records that could not be parsed.
    pub malformed: Counter,
    /// Receives that failed with ENOBUFS (the kernel dropped datagrams).
    pub enobufs: Counter,
    /// Datagrams longer than the receive buffer (`MSG_TRUNC`).
    pub truncated_receives: Counter,
    /// Datagrams dropped because they did not come from the kernel (sender
    /// port id not 0): forgeries by a local process with `CAP_NET_ADMIN`.
    pub spoofed: Counter,
    /// The port id of the last such sender (0: none yet).
    pub spoofed_sender: Counter,
    /// The first record's serial, with `pipeline::FIRST_SERIAL_KNOWN` set
    /// once there is one.
    pub first_serial: Counter,
    /// Serials between the last one the previous instance wrote and the
    /// first one this instance received (see `daemon::restart`).
    pub missed_across_restart: Counter,
    /// Events completed by the assembler.
    pub events: Counter,
    pub missed_serials: Counter,
    /// Serials counted in `missed_serials` that came after all (later
    /// than `max_out_of_order` allowed): their events were written, so
    /// the net loss is `missed_serials` less these.
    pub late_after_missed: Counter,
    pub late_serials: Counter,
    /// Events completed early because the assembler was full.
    pub evicted: Counter,
    /// Events written when their timeout passed before their end-of-event
    /// record came (a record of theirs that comes later is written as a
    /// second event of the same serial).
    pub timed_out: Counter,
    /// Events with records missing: no room for them in the assembler,
    /// or not even the records without arguments fit the line.
    pub truncated_events: Counter,
    /// Events written as the marked cut (`"cut"`: EXECVE arguments left out
    /// from the middle, every other record whole).
    pub events_cut: Counter,
    /// Lines that took a large buffer (too large for a pooled one).
    pub large_lines: Counter,
    /// Events cut to a pooled buffer because every large one was out.
    pub large_busy: Counter,
    /// Events dropped because no free buffer was left.
    pub queue_drops: Counter,
    /// Times the receive thread waited for a free buffer (the outputs were
    /// behind; the kernel held the events meanwhile), and the
    /// milliseconds it waited (reported in seconds).
    pub queue_waits: Counter,
    pub queue_waited_ms: Counter,
    /// Buffers (and the events in them) lost to a broken queue invariant;
    /// never expected, reported so it could not go unseen.
    pub lost_buffers: Counter,
    /// Receive pacing pauses taken (`raudit.pacing`).
    pub pacing_pauses: Counter,
    /// Events dropped by the config's `filters`.
    pub filter_drops: Counter,
    /// Events with a secret replaced (`raudit.redact`).
    pub events_redacted: Counter,
    /// Secrets replaced (`raudit.redact`).
    pub redactions: Counter,
    /// Fields left out by `raudit.fields`.
    pub fields_dropped: Counter,
    /// User-database lookups not made because their time budget was
    /// spent (the document went without that name or id).
    pub lookups_skipped: Counter,
    /// Kernel `lost` when raudit started and at the last poll (the
    /// kernel's own value: [`Stats::note_kernel_lost`] sets it).
    pub kernel_lost_start: Counter,
    pub kernel_lost: Counter,
    /// Records the kernel lost since raudit started, as reported: each
    /// poll adds what the kernel's counter grew by, so a reset of it does
    /// not take back what was counted (see [`Stats::note_kernel_lost`]).
    pub kernel_lost_counted: Counter,
    /// Kernel `backlog` at the last poll.
    pub kernel_backlog: Counter,
    /// Events in the assembler, waiting for their last record (a gauge,
    /// as the receive thread last published it).
    pub events_in_flight: Counter,
    /// Filled buffers waiting for the output thread (a gauge, set by the
    /// supervisor every tick).
    pub queue_depth: Counter,
    /// Rule drift: comparisons of the kernel's rules and status with the
    /// configured set, changes found (each distinct state once), and
    /// restores that succeeded or failed (`raudit.rules.drift_restore`).
    pub drift_checks: Counter,
    pub drift_detected: Counter,
    pub drift_restores: Counter,
    pub drift_restore_failures: Counter,
    /// SIGHUP reloads whose config was applied (wholly or in the parts
    /// that apply live), and those refused (the config did not load or
    /// the kernel refused its rules: the running config stayed).
    pub reloads_applied: Counter,
    pub reloads_refused: Counter,
    pub outputs: Vec<OutputCounters>,
}

impl Stats {
    /// Counters for these outputs, in this order.
    pub fn new(output_names: &[&str]) -> Stats {
        Stats {
            outputs: output_names
                .iter()
                .map(|name| OutputCounters {
                    name: (*name).to_owned(),
                    enabled: AtomicBool::new(true),
                    ..OutputCounters::default()
                })
                .collect(),
            ..Stats::default()
        }
    }

    /// Output errors of every output, summed.
    pub fn output_errors(&self) -> u64 {
        self.outputs.iter().map(|o| o.errors.get()).sum()
    }

    /// Events dropped by an output (not by all), every output summed.
    pub fn output_drops(&self) -> u64 {
        self.outputs.iter().map(|o| o.dropped.get()).sum()
    }

    /// The kernel's `lost` when raudit started: counted from there.
    pub fn start_kernel_lost(&self, lost: u32) {
        self.kernel_lost_start.set(u64::from(lost));
        self.kernel_lost.set(u64::from(lost));
    }

    /// The kernel's `lost` as an `AUDIT_GET` just read it (the supervisor
    /// alone calls this). The kernel's counter is a u32 that
    /// `--reset-lost` (raudit's rules, or auditctl beside it) sets back to
    /// 0: below the value read last it was reset (or, after 4 billion
    /// losses, wrapped), and what it says is what was lost since. Each
    /// poll adds what was lost since the last one, so the reported count
    /// never goes back (it used to be `now - start`, which fell from 99
    /// to 0 when a counter reset from 100 grew back to 100).
    pub fn note_kernel_lost(&self, lost: u32) {
        let (now, last) = (u64::from(lost), self.kernel_lost.get());
        let grew = now.checked_sub(last).unwrap_or(now);
        self.kernel_lost_counted.add(grew);
        self.kernel_lost.set(now);
    }

    /// raudit's own `--reset-lost` (rules applied at start, a reload or a
    /// drift restore) answered that the kernel had lost `before` records
    /// when it set its counter back to 0: what grew up to the reset is
    /// counted, and the next poll counts from 0 (not from `before`, which
    /// would miss the losses after the reset until they passed it).
    pub fn note_kernel_lost_reset(&self, before: u32) {
        self.note_kernel_lost(before);
        self.kernel_lost.set(0);
    }

    /// Records the kernel lost since raudit started (see
    /// [`note_kernel_lost`](Self::note_kernel_lost)).
    pub fn kernel_lost_delta(&self) -> u64 {
        self.kernel_lost_counted.get()
    }

    /// The report's scalar fields, in report order: the one list the
    /// stderr line, the stats file and the metrics are all made from.
    pub fn fields(&self) -> [Field; 39] {
        use Kind::{Counter as C, Gauge as G, Sum as S};
        [
            Field::new(
                "records",
                C,
                "Audit records accepted from the kernel.",
                self.records.get(),
            ),
            Field::new(
                "events",
                C,
                "Events completed by the assembler.",
                self.events.get(),
            ),
            Field::new(
                "kernel_lost",
                C,
                "Records the kernel lost (its lost counter) since raudit started.",
                self.kernel_lost_delta(),
            ),
            Field::new(
                "kernel_backlog",
                G,
                "Records waiting in the kernel's audit backlog at the last poll.",
                self.kernel_backlog.get(),
            ),
            Field::new(
                "events_in_flight",
                G,
                "Events in the assembler waiting for their last record.",
                self.events_in_flight.get(),
            ),
            Field::new(
                "queue_depth",
                G,
                "Filled buffers waiting for the output thread.",
                self.queue_depth.get(),
            ),
            Field::new(
                "enobufs",
                C,
                "Receives that failed with ENOBUFS: the kernel dropped datagrams.",
                self.enobufs.get(),
            ),
            Field::new(
                "truncated_receives",
                C,
                "Datagrams longer than the receive buffer (MSG_TRUNC).",
                self.truncated_receives.get(),
            ),
            Field::new(
                "missed_serials",
                C,
                "Event serials never seen (gaps in the kernel's sequence).",
                self.missed_serials.get(),
            ),
            Field::new(
                "late_after_missed",
                C,
                "Missed event serials that came after all (written; not lost).",
                self.late_after_missed.get(),
            ),
            Field::new(
                "missed_across_restart",
                C,
                "Event serials missed between the previous raudit and this one (state file).",
                self.missed_across_restart.get(),
            ),
            Field::new(
                "late_serials",
                C,
                "Event serials that arrived after later ones.",
                self.late_serials.get(),
            ),
            Field::new(
                "evicted",
                C,
                "Events completed early because the assembler was full.",
                self.evicted.get(),
            ),
            Field::new(
                "timed_out",
                C,
                "Events written at their timeout, before their end-of-event record came.",
                self.timed_out.get(),
            ),
            Field::new(
                "truncated_events",
                C,
                "Events written with records missing.",
                self.truncated_events.get(),
            ),
            Field::new(
                "events_cut",
                C,
                "Events written as the marked cut (EXECVE arguments left out).",
                self.events_cut.get(),
            ),
            Field::new(
                "large_lines",
                C,
                "Event lines that took a large buffer.",
                self.large_lines.get(),
            ),
            Field::new(
                "large_busy",
                C,
                "Events cut to a pooled buffer because every large buffer was busy.",
                self.large_busy.get(),
            ),
            Field::new(
                "queue_drops",
                C,
                "Events dropped because no free buffer was left.",
                self.queue_drops.get(),
            ),
            Field::new(
                "queue_waits",
                C,
                "Times the receive thread waited for a free buffer while the outputs caught up.",
                self.queue_waits.get(),
            ),
            Field::new(
                "queue_waited_seconds",
                Kind::Seconds,
                "Seconds the receive thread waited for a free buffer.",
                self.queue_waited_ms.get(),
            ),
            Field::new(
                "lost_buffers",
                C,
                "Buffers of events lost to a broken queue invariant (never expected).",
                self.lost_buffers.get(),
            ),
            Field::new(
                "filter_drops",
                C,
                "Events dropped by the config's filters.",
                self.filter_drops.get(),
            ),
            Field::new(
                "events_redacted",
                C,
                "Events with a secret replaced before encoding (raudit.redact).",
                self.events_redacted.get(),
            ),
            Field::new(
                "redactions",
                C,
                "Secrets replaced in EXECVE arguments and PROCTITLE (raudit.redact).",
                self.redactions.get(),
            ),
            Field::new(
                "fields_dropped",
                C,
                "Record fields left out by raudit.fields.",
                self.fields_dropped.get(),
            ),
            Field::new(
                "lookups_skipped",
                C,
                "User-database lookups not made because their time budget was spent (no name or id for that key).",
                self.lookups_skipped.get(),
            ),
            Field::new(
                "output_errors",
                S,
                "Events given up on by any output after every attempt.",
                self.output_errors(),
            ),
            Field::new(
                "output_drops",
                S,
                "Events given up without trying by any output (its own backlog full).",
                self.output_drops(),
            ),
            Field::new(
                "malformed",
                C,
                "Datagrams or records that could not be parsed.",
                self.malformed.get(),
            ),
            Field::new(
                "spoofed",
                C,
                "Datagrams dropped because they did not come from the kernel (sender port id not 0).",
                self.spoofed.get(),
            ),
            Field::new(
                "control_frames",
                C,
                "Netlink frames that were not records (acks, errors, replies).",
                self.control_frames.get(),
            ),
            Field::new(
                "pacing_pauses",
                C,
                "Pauses between receives taken to gather records into batches.",
                self.pacing_pauses.get(),
            ),
            Field::new(
                "drift_checks",
                C,
                "Comparisons of the kernel's rules and status with the configured set.",
                self.drift_checks.get(),
            ),
            Field::new(
                "drift_detected",
                C,
                "Rule drift found (each distinct state once).",
                self.drift_detected.get(),
            ),
            Field::new(
                "drift_restores",
                C,
                "Configured rules reloaded after drift.",
                self.drift_restores.get(),
            ),
            Field::new(
                "drift_restore_failures",
                C,
                "Reloads after drift that failed.",
                self.drift_restore_failures.get(),
            ),
            Field::new(
                "reloads_applied",
                C,
                "SIGHUP reloads whose config was applied (the parts that apply live).",
                self.reloads_applied.get(),
            ),
            Field::new(
                "reloads_refused",
                C,
                "SIGHUP reloads refused (the config did not load or the kernel refused its rules); the running config stayed.",
                self.reloads_refused.get(),
            ),
        ]
    }

    /// The counters of the outputs configured now, in order.
    pub fn enabled_outputs(&self) -> impl Iterator<Item = &OutputCounters> {
        self.outputs.iter().filter(|o| o.is_enabled())
    }

    /// The one-line report: `raudit stats: records=… file.events=…`.
    pub fn line(&self, when: &str) -> String {
        let mut line = format!("raudit stats ({when}):");
        for field in self.fields() {
            let _ = write!(line, " {}={}", field.name, field.shown());
        }
        for output in self.enabled_outputs() {
            for field in output.fields() {
                let _ = write!(line, " {}.{}={}", output.name, field.name, field.shown());
            }
        }
        line
    }

    /// The report as one JSON object and `\n`: every field, then
    /// `"outputs":{NAME:{…},…}` ([`crate::json`]).
    pub fn json(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut report = json::Object::open(&mut out);
        for field in self.fields() {
            match field.kind {
                Kind::Seconds => report.raw(field.name, field.shown().to_string().as_bytes()),
                _ => report.number(field.name, field.value),
            };
        }
        let mut outputs = report.object("outputs");
        for output in self.enabled_outputs() {
            let mut one = outputs.object(&output.name);
            for field in output.fields() {
                one.number(field.name, field.value);
            }
            one.close();
        }
        outputs.close();
        report.close();
        out.push(b'\n');
        out
    }

    /// Writes the JSON report to `path` (through a temporary file and a
    /// rename, so readers never see half a report).
    pub fn write_file(&self, path: &Path) -> io::Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        std::fs::write(&tmp, self.json())?;
        std::fs::rename(&tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_counted_in_milliseconds_is_reported_in_seconds_everywhere() {
        let stats = Stats::new(&["file"]);
        stats.queue_waited_ms.add(1250);
        assert!(stats.line("exit").contains(" queue_waited_seconds=1.250 "));
        let json: serde_json::Value = serde_json::from_slice(&stats.json()).unwrap();
        assert_eq!(json["queue_waited_seconds"], 1.25);
        let mut out = vec![0u8; crate::metrics::EXPOSITION_BYTES];
        let len = crate::metrics::render(&stats, &mut out).unwrap();
        let text = String::from_utf8_lossy(&out[..len]);
        assert!(
            text.contains("\nraudit_queue_waited_seconds_total 1.250\n"),
            "{text}"
        );
        stats.queue_waited_ms.add(7);
        assert!(stats.line("exit").contains(" queue_waited_seconds=1.257 "));
    }

    #[test]
    fn kernel_lost_after_a_reset_or_a_wrap_is_not_near_u64_max() {
        let stats = Stats::new(&["file"]);
        // The kernel had lost 100 at start; the rules' --reset-lost
        // cleared it; 3 more were lost.
        stats.start_kernel_lost(100);
        stats.note_kernel_lost(3);
        assert_eq!(stats.kernel_lost_delta(), 3);
        // Counted on from the start value as usual.
        let stats = Stats::new(&["file"]);
        stats.start_kernel_lost(100);
        stats.note_kernel_lost(107);
        assert_eq!(stats.kernel_lost_delta(), 7);
        // The u32 counter wrapped: what it says now, not 1.8e19.
        let stats = Stats::new(&["file"]);
        stats.start_kernel_lost(u32::MAX - 1);
        stats.note_kernel_lost(2);
        assert_eq!(stats.kernel_lost_delta(), 2);
    }

    #[test]
    fn kernel_lost_never_goes_backwards_across_a_reset() {
        // What the supervisor does with each AUDIT_GET: the kernel had
        // lost 100 at start, a --reset-lost cleared it, then it lost more.
        let stats = Stats::new(&["file"]);
        stats.start_kernel_lost(100);
        let mut seen = Vec::new();
        for lost in [100u32, 0, 3, 99, 100, 107] {
            stats.note_kernel_lost(lost);
            seen.push(stats.kernel_lost_delta());
        }
        // Every record lost since the reset, and a counter never falls.
        assert_eq!(seen, [0, 0, 3, 99, 100, 107]);
    }

    #[test]
    fn kernel_lost_counts_up_to_raudits_own_reset_and_all_after_it() {
        // The kernel had lost 100 at start and 5 more before raudit's
        // --reset-lost answered 105; then 150 were lost before the next
        // poll. Read alone, 150 ≥ 100 looked like 50 more.
        let stats = Stats::new(&["file"]);
        stats.start_kernel_lost(100);
        stats.note_kernel_lost_reset(105);
        assert_eq!(stats.kernel_lost_delta(), 5);
        stats.note_kernel_lost(150);
        assert_eq!(stats.kernel_lost_delta(), 155);
        stats.note_kernel_lost(151);
        assert_eq!(stats.kernel_lost_delta(), 156);
    }

    #[test]
    fn report_names_every_loss_counter_and_output() {
        let stats = Stats::new(&["file", "stdout"]);
        stats.records.add(3);
        stats.start_kernel_lost(10);
        stats.note_kernel_lost(14);
        stats.outputs[0].errors.add(2);
        let line = stats.line("interval");
        for key in [
            "records=3",
            "kernel_lost=4",
            "enobufs=0",
            "truncated_receives=0",
            "missed_serials=0",
            "late_after_missed=0",
            "missed_across_restart=0",
            "late_serials=0",
            "evicted=0",
            "timed_out=0",
            "truncated_events=0",
            "events_cut=0",
            "large_lines=0",
            "large_busy=0",
            "queue_drops=0",
            "queue_waits=0",
            "queue_waited_seconds=0.000",
            "lost_buffers=0",
            "queue_depth=0",
            "events_in_flight=0",
            "filter_drops=0",
            "events_redacted=0",
            "redactions=0",
            "fields_dropped=0",
            "lookups_skipped=0",
            "spoofed=0",
            "drift_checks=0",
            "drift_detected=0",
            "drift_restores=0",
            "output_errors=2",
            "output_drops=0",
            "file.errors=2",
            "file.sent=0",
            "file.cut=0",
            "file.dropped=0",
            "file.reconnects=0",
            "stdout.bytes=0",
        ] {
            assert!(line.contains(key), "{key} missing from {line}");
        }
        let json: serde_json::Value = serde_json::from_slice(&stats.json()).unwrap();
        assert_eq!(json["kernel_lost"], 4);
        assert_eq!(json["outputs"]["file"]["errors"], 2);
    }
}
