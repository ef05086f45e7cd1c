//! Replay: saved audit streams through the same core pipeline the live
//! daemon runs (parse → assemble → encode), deterministically.
//!
//! Inputs are auditd log files (RAW or ENRICHED, with or without `node=`)
//! or netlink captures (concatenated `nlmsghdr` frames with standard
//! lengths, as the multicast group delivers them). The clock is the records'
//! own timestamps, so a replay gives the same events every time; the end of
//! input completes every in-flight event. Malformed input is reported with
//! its line or byte offset and skipped; the rest of the stream still goes
//! through. Events are written whole, as the daemon writes them: a large
//! event grows in the assembler's lane and its line may be as long as
//! `max_event_bytes`; above that it is the marked cut (`"cut"`).

mod input;

pub use input::{detect_format, Format};

use std::io::{self, BufRead, Write};

use raudit_core::assemble::{Assembler, Counters, Event, EventSlot, RecordSlot, Settings};
use raudit_core::encode::{self, Enrich};
use raudit_core::record::Record;
use raudit_core::time::Instant;

use crate::pipeline::Format as EventFormat;
use crate::rewrite::{RewriteSpec, Rewriter};

/// An assembler whose storage is allocated once, at start, on the heap
/// (the lane last: large events only).
pub type BoxedAssembler = Assembler<Box<[EventSlot]>, Box<[RecordSlot]>, Box<[u8]>, Box<[u8]>>;

/// Storage sizes of the replay assembler.
#[derive(Clone, Copy, Debug)]
pub struct Capacities {
    pub events: usize,
    pub records: usize,
    pub arena_bytes: usize,
    /// The longest line (`raudit.max_event_bytes`), and the size of the
    /// assembler's large-event lane (at least the default's).
    pub event_buffer: usize,
    /// The JSON shape of events (`raudit.format`).
    pub format: EventFormat,
}

impl Default for Capacities {
    /// The default config's (defaults live once, in the config).
    fn default() -> Capacities {
        crate::daemon::plan::replay_settings(None).1
    }
}

/// What a replay counted besides the assembler's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayCounts {
    /// Lines or frames that did not hold a parseable record.
    pub malformed: u64,
    /// Netlink frames that are not audit records (ACKs, replies, DONE).
    pub skipped_frames: u64,
    /// Events written.
    pub written: u64,
    /// Events written with records missing (`"truncated"`).
    pub truncated_output: u64,
    /// Events written as the marked cut (`"cut"`: above `max_event_bytes`).
    pub cut_output: u64,
    /// Bytes of JSON written (newlines included).
    pub bytes: u64,
}

/// Where one malformed piece of input was and what was wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// `line N, byte M`, `byte N` (a frame header) or `frame at byte N,
    /// payload byte M`.
    pub place: String,
    /// What was wrong and what was expected, in words.
    pub what: String,
}

/// The core pipeline with its storage, fed one record at a time.
pub struct Replayer<N: Enrich> {
    assembler: BoxedAssembler,
    writer: EventWriter<N>,
}

/// Encodes completed events as JSON lines (the assembler's emit target).
struct EventWriter<N> {
    buffer: Box<[u8]>,
    format: encode::Shape,
    enrich: N,
    /// `raudit.redact` / `raudit.fields`, when the config has them.
    rewriter: Option<Rewriter>,
    counts: ReplayCounts,
}

impl<N: Enrich> Replayer<N> {
    pub fn new(settings: Settings, capacities: Capacities, enrich: N) -> Replayer<N> {
        // Zeroed allocations this large are fresh pages: the lane costs
        // memory only while a large event is in it.
        let assembler = Assembler::with_lane(
            settings,
            vec![EventSlot::default(); capacities.events].into_boxed_slice(),
            vec![RecordSlot::default(); capacities.records].into_boxed_slice(),
            vec![0u8; capacities.arena_bytes].into_boxed_slice(),
            vec![0u8; crate::pipeline::lane_bytes(capacities.event_buffer)].into_boxed_slice(),
        );
        let buffer = vec![0u8; capacities.event_buffer.max(encode::MIN_BUFFER)].into_boxed_slice();
        let writer = EventWriter {
            buffer,
            format: capacities.format.shape(),
            enrich,
            rewriter: None,
            counts: ReplayCounts::default(),
        };
        Replayer { assembler, writer }
    }

    /// Rewrites events as `spec` says before encoding them (the
    /// config's `raudit.redact` and `raudit.fields`).
    pub fn with_rewrite(mut self, spec: RewriteSpec) -> Replayer<N> {
        self.writer.rewriter = (!spec.is_empty()).then(|| Rewriter::new(spec));
        self
    }

    /// Runs one record through; completed events go to `out` as JSON lines.
    pub fn push(&mut self, record: &Record<'_>, out: &mut impl Write) -> io::Result<()> {
        let ts = record.timestamp;
        let now = Instant(
            ts.seconds
                .saturating_mul(1000)
                .saturating_add(u64::from(ts.millis)),
        );
        let writer = &mut self.writer;
        let mut failure = Ok(());
        self.assembler.push(record, now, &mut |event: &Event<'_>| {
            if failure.is_ok() {
                failure = writer.write(event, out);
            }
        });
        failure
    }

    /// Completes everything in flight (end of input).
    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        let writer = &mut self.writer;
        let mut failure = Ok(());
        self.assembler.flush(&mut |event: &Event<'_>| {
            if failure.is_ok() {
                failure = writer.write(event, out);
            }
        });
        failure
    }

    pub fn note_malformed(&mut self) {
        self.writer.counts.malformed += 1;
    }

    pub fn note_skipped_frame(&mut self) {
        self.writer.counts.skipped_frames += 1;
    }

    pub fn counts(&self) -> &ReplayCounts {
        &self.writer.counts
    }

    pub fn assembler_counters(&self) -> Counters {
        self.assembler.counters()
    }

    /// Replays one input in `format`; malformed pieces go to `report`.
    pub fn run_input(
        &mut self,
        input: &mut dyn BufRead,
        format: Format,
        out: &mut impl Write,
        report: &mut dyn FnMut(Malformed),
    ) -> io::Result<()> {
        match format {
            Format::Log => input::replay_log(self, input, out, report),
            Format::Netlink => {
                let mut bytes = Vec::new();
                input.read_to_end(&mut bytes)?;
                input::replay_netlink(self, &bytes, out, report)
            }
            Format::Auto => unreachable_auto(),
        }
    }
}

fn unreachable_auto() -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        "format must be resolved before replay",
    ))
}

impl<N: Enrich> EventWriter<N> {
    fn write(&mut self, event: &Event<'_>, out: &mut impl Write) -> io::Result<()> {
        let rewritten = self.rewriter.as_mut().and_then(|r| r.apply(event));
        let event = rewritten.as_ref().unwrap_or(event);
        let encoded = self
            .format
            .encode(event, &mut self.enrich, &mut self.buffer);
        if encoded.truncated {
            self.counts.truncated_output += 1;
        }
        if encoded.cut.is_some() {
            self.counts.cut_output += 1;
        }
        let json = self.buffer.get(..encoded.len).unwrap_or_default();
        out.write_all(json)?;
        out.write_all(b"\n")?;
        self.counts.written += 1;
        self.counts.bytes += json.len() as u64 + 1;
        Ok(())
    }
}

/// The final counters as `key=value` pairs, for stderr.
pub fn summary(counts: &ReplayCounts, c: &Counters) -> String {
    format!(
        "records={} events={} written={} bytes={} malformed={} skipped_frames={} \
         filtered_type={} end_of_event={} standalone={} timed_out={} flushed={} \
         evicted={} truncated_events={} truncated_output={} cut_output={} large_events={} \
         dropped_records={} \
         orphan_eoe={} missed_serials={} late_serials={} worst_lag={} late_after_missed={}",
        c.records,
        c.events,
        counts.written,
        counts.bytes,
        counts.malformed,
        counts.skipped_frames,
        c.filtered_type,
        c.end_of_event,
        c.standalone,
        c.timed_out,
        c.flushed,
        c.evicted,
        c.truncated_events,
        counts.truncated_output,
        counts.cut_output,
        c.large_events,
        c.dropped_records,
        c.orphan_eoe,
        c.missed_serials,
        c.late_serials,
        c.worst_lag,
        c.late_after_missed,
    )
}

#[cfg(test)]
mod tests;
