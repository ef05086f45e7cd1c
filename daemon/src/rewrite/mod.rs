//! Record bodies rewritten between assembly and encoding, so every shape
//! (go-audit's raw text too) writes the same, already rewritten records:
//!
//! - `raudit.redact`: regexes replace secrets in each EXECVE argument (the
//!   `aN[i]` pieces of a long one joined first, hex decoded) and in each
//!   NUL-separated argument of PROCTITLE; the records are written again as
//!   the kernel writes them (quoted when printable, hex otherwise and
//!   when 7,500 bytes or longer, arguments that do not fit a record in
//!   pieces) and the event says `"redacted":N`. An argument
//!   with pieces missing (records the assembler dropped) is written as
//!   the default marker whole: it cannot be matched whole.
//! - `raudit.fields`: per record type, the keys to drop or the only keys
//!   to keep (top-level fields; the rest of the text as it was).
//!
//! The pure rewriting is core's (`raudit_core::record::rewrite`); the
//! regexes and the buffers are here. The buffers grow to the largest event
//! seen and are reused, and the regexes' capture locations are made once:
//! steady state allocates nothing (`tests/tests/alloc_free.rs`). After an
//! event of more than [`KEEP_BYTES`] (a multi-megabyte `execve`) they are
//! given back down to that size before the next, so one large event does
//! not stay resident.

pub mod redact;

use raudit_core::assemble::{Event, RecordSource};
use raudit_core::record::rewrite::{
    decode_value, keep_fields, write_value, BodySink, ExecveWriter,
};
use raudit_core::record::{number, ExecveArg, Fields};
use raudit_core::wire::MessageType;
use regex::bytes::CaptureLocations;

pub use redact::Redaction;

/// What to rewrite, built once from the config (`daemon::plan`).
#[derive(Clone, Debug, Default)]
pub struct RewriteSpec {
    /// `raudit.redact`, applied in order.
    pub redactions: Vec<Redaction>,
    /// `raudit.fields`: one rule per record type.
    pub fields: Vec<FieldRule>,
}

impl RewriteSpec {
    /// Nothing to rewrite: the events go to the encoder untouched.
    pub fn is_empty(&self) -> bool {
        self.redactions.is_empty() && self.fields.is_empty()
    }
}

/// The keys of one record type to drop, or the only ones to keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRule {
    pub msg_type: u16,
    pub keys: Vec<Vec<u8>>,
    /// `keep`: only these; otherwise (`drop`) all but these.
    pub keep: bool,
}

impl FieldRule {
    fn keeps(&self, key: &[u8]) -> bool {
        self.keys.iter().any(|k| k == key) == self.keep
    }
}

/// What the rewriter did, for the stats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RewriteCounts {
    /// Events with at least one secret replaced.
    pub events_redacted: u64,
    /// Secrets replaced.
    pub redactions: u64,
    /// Fields left out by `raudit.fields`.
    pub fields_dropped: u64,
}

/// Rewrites events; its buffers are kept from one event to the next.
pub struct Rewriter {
    spec: RewriteSpec,
    locations: Vec<CaptureLocations>,
    rebuilt: Rebuilt,
    /// Rewritten bodies before `raudit.fields` (`scratch.ends`: where each
    /// record ends).
    scratch: Rebuilt,
    /// The EXECVE arguments decoded and joined: bytes and (index, end).
    args: Vec<u8>,
    /// Per argument: (index, end, a piece of it is missing).
    arg_ends: Vec<(u32, usize, bool)>,
    /// PROCTITLE decoded (apart from `args`: the record may come first).
    title: Vec<u8>,
    /// Redaction steps ping-pong between these.
    work: Vec<u8>,
    other: Vec<u8>,
    counts: RewriteCounts,
}

/// Records rebuilt outside the assembler: their bytes and, per record,
/// its type and where its body ends.
#[derive(Default)]
struct Rebuilt {
    bytes: Vec<u8>,
    records: Vec<(u16, usize, usize)>,
    /// Type of the records [`BodySink::next_record`] opens.
    open_type: u16,
    open_start: usize,
}

impl Rebuilt {
    fn clear(&mut self) {
        self.bytes.clear();
        self.records.clear();
    }

    fn open(&mut self, msg_type: u16) {
        self.open_type = msg_type;
        self.open_start = self.bytes.len();
    }

    fn close(&mut self) {
        self.records
            .push((self.open_type, self.open_start, self.bytes.len()));
    }

    fn body(&self, index: usize) -> Option<(u16, &[u8])> {
        let &(msg_type, start, end) = self.records.get(index)?;
        Some((msg_type, self.bytes.get(start..end)?))
    }
}

impl BodySink for Rebuilt {
    fn put(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    fn next_record(&mut self) {
        self.close();
        self.open(self.open_type);
    }
}

impl RecordSource for Rebuilt {
    fn record_at(&self, index: u32) -> Option<(u16, &[u8], u32)> {
        let (msg_type, body) = self.body(index as usize)?;
        Some((msg_type, body, index.saturating_add(1)))
    }
}

/// One EXECVE argument as its fields are gathered: whether a piece of it
/// is missing.
struct Gathering {
    index: u32,
    /// Where its decoded bytes start in the gathered arguments.
    start: usize,
    /// The piece expected next (`aN[i]`; 0 for an unsplit `aN`).
    next: u32,
    /// A piece came out of order, or the first was not piece 0.
    gap: bool,
    /// `aN_len`: the kernel's length of the whole argument (hex-encoded,
    /// twice the bytes, when split: the kernel encodes every argument it
    /// splits).
    declared: Option<u64>,
}

impl Gathering {
    fn new(index: u32, start: usize) -> Gathering {
        Gathering {
            index,
            start,
            next: 0,
            gap: false,
            declared: None,
        }
    }

    fn piece(&mut self, piece: u32) {
        self.gap |= piece != self.next;
        self.next = piece.saturating_add(1);
    }

    /// The argument's entry in the gathered list: (index, `end`, whether
    /// pieces are missing).
    fn end(&self, end: usize, cut_short: bool) -> (u32, usize, bool) {
        (self.index, end, self.incomplete(end, cut_short))
    }

    /// Whether pieces are missing, its decoded bytes ending at `end`: a
    /// gap, or (in an event whose records were cut short) fewer bytes
    /// than `aN_len` says, as when its last pieces were dropped.
    fn incomplete(&self, end: usize, cut_short: bool) -> bool {
        let gathered = end.saturating_sub(self.start) as u64;
        self.gap
            || (cut_short
                && self
                    .declared
                    .is_some_and(|declared| gathered.saturating_mul(2) < declared))
    }
}

/// What each buffer keeps between events; beyond it, the memory goes back.
pub const KEEP_BYTES: usize = 1 << 20;

const EXECVE: u16 = MessageType::EXECVE.0;
const PROCTITLE: u16 = 1327;

impl Rewriter {
    pub fn new(spec: RewriteSpec) -> Rewriter {
        Rewriter {
            locations: spec.redactions.iter().map(Redaction::locations).collect(),
            spec,
            rebuilt: Rebuilt::default(),
            scratch: Rebuilt::default(),
            args: Vec::new(),
            arg_ends: Vec::new(),
            title: Vec::new(),
            work: Vec::new(),
            other: Vec::new(),
            counts: RewriteCounts::default(),
        }
    }

    /// What it did so far.
    pub fn counts(&self) -> RewriteCounts {
        self.counts
    }

    /// `event` rewritten, or `None` when nothing in it changes (encode
    /// the original).
    pub fn apply<'s>(&'s mut self, event: &Event<'_>) -> Option<Event<'s>> {
        let redacting = !self.spec.redactions.is_empty();
        let touched = event.records().any(|r| {
            let t = r.msg_type.0;
            (redacting && (t == EXECVE || t == PROCTITLE)) || self.rule(t).is_some()
        });
        if !touched {
            return None;
        }
        self.give_back_large();
        self.rebuilt.clear();
        let mut redacted = 0u32;
        let mut dropped = 0u32;
        // The arguments, rewritten as a whole when any changed.
        let argv_redacted = if redacting {
            self.redact_argv(event)
        } else {
            0
        };
        redacted = redacted.saturating_add(argv_redacted);
        let mut argv_written = false;
        for record in event.records() {
            let t = record.msg_type.0;
            self.scratch.clear();
            let body: &[u8] = match t {
                EXECVE if argv_redacted > 0 => {
                    if argv_written {
                        continue; // all arguments went with the first EXECVE
                    }
                    argv_written = true;
                    self.write_argv(event);
                    &[]
                }
                PROCTITLE if redacting => {
                    let n = self.redact_proctitle(record.body);
                    redacted = redacted.saturating_add(n);
                    if n == 0 {
                        record.body
                    } else {
                        &[]
                    }
                }
                _ => record.body,
            };
            if self.scratch.records.is_empty() {
                dropped = dropped.saturating_add(self.emit(t, body));
            } else {
                let scratch = std::mem::take(&mut self.scratch);
                for i in 0..scratch.records.len() {
                    if let Some((t, body)) = scratch.body(i) {
                        dropped = dropped.saturating_add(self.emit(t, body));
                    }
                }
                self.scratch = scratch;
            }
        }
        if redacted > 0 {
            self.counts.events_redacted += 1;
            self.counts.redactions += u64::from(redacted);
        }
        self.counts.fields_dropped += u64::from(dropped);
        if redacted == 0 && dropped == 0 {
            return None;
        }
        let count = u32::try_from(self.rebuilt.records.len()).unwrap_or(u32::MAX);
        Some(event.rebuilt(&self.rebuilt, (0, count), redacted))
    }

    /// Buffers a large event grew beyond [`KEEP_BYTES`] shrink back.
    fn give_back_large(&mut self) {
        for buffer in [
            &mut self.rebuilt.bytes,
            &mut self.scratch.bytes,
            &mut self.args,
            &mut self.title,
            &mut self.work,
            &mut self.other,
        ] {
            if buffer.capacity() > KEEP_BYTES {
                buffer.clear();
                buffer.shrink_to(KEEP_BYTES);
            }
        }
    }

    fn rule(&self, msg_type: u16) -> Option<&FieldRule> {
        self.spec.fields.iter().find(|r| r.msg_type == msg_type)
    }

    /// Appends one record to the rebuilt event, its fields chosen;
    /// returns how many were left out.
    fn emit(&mut self, msg_type: u16, body: &[u8]) -> u32 {
        self.rebuilt.open(msg_type);
        let dropped = match self.spec.fields.iter().find(|r| r.msg_type == msg_type) {
            Some(rule) => keep_fields(body, |k| rule.keeps(k), &mut self.rebuilt),
            None => {
                self.rebuilt.put(body);
                0
            }
        };
        self.rebuilt.close();
        dropped
    }

    /// Gathers the event's arguments (pieces joined, hex decoded) and
    /// redacts each; returns the secrets replaced. An argument some of
    /// whose pieces are missing (the assembler dropped the records that
    /// held them: an event over its room) cannot be matched whole — the
    /// pieces kept either side of a gap could hold a secret whose lead-in
    /// was dropped — so what is left of it is replaced as a whole by
    /// [`DEFAULT_REPLACE`](redact::DEFAULT_REPLACE), counted as one
    /// ([`Gathering`] tells).
    fn redact_argv(&mut self, event: &Event<'_>) -> u32 {
        self.args.clear();
        self.arg_ends.clear();
        let cut_short = event.dropped_records() > 0;
        let mut current: Option<Gathering> = None;
        // The last `aN_len` (it comes before its argument's first piece).
        let mut declared: Option<(u32, Option<u64>)> = None;
        for record in event.records().filter(|r| r.msg_type.0 == EXECVE) {
            for field in Fields::new(record.body) {
                let Some(arg) = ExecveArg::parse(field.key) else {
                    continue;
                };
                if arg.is_len {
                    let length = number::parse_u64(field.value.text(), 10);
                    match current.as_mut() {
                        Some(c) if c.index == arg.index => c.declared = length,
                        _ => declared = Some((arg.index, length)),
                    }
                    continue;
                }
                if current.as_ref().is_none_or(|c| c.index != arg.index) {
                    if let Some(done) = current.take() {
                        self.arg_ends.push(done.end(self.args.len(), cut_short));
                    }
                    let mut next = Gathering::new(arg.index, self.args.len());
                    next.declared = declared
                        .take()
                        .filter(|&(index, _)| index == arg.index)
                        .and_then(|(_, length)| length);
                    current = Some(next);
                }
                let Some(gathering) = current.as_mut() else {
                    continue;
                };
                gathering.piece(arg.part.unwrap_or(0));
                let args = &mut self.args;
                decode_value(field.value, &mut |b| args.extend_from_slice(b));
            }
        }
        if let Some(done) = current {
            self.arg_ends.push(done.end(self.args.len(), cut_short));
        }
        // Each argument redacted into `other`, replacing `args` when done.
        self.other.clear();
        let mut replaced = 0u32;
        let mut start = 0usize;
        for i in 0..self.arg_ends.len() {
            let (index, end, gap) = self.arg_ends[i];
            let arg = self.args.get(start..end).unwrap_or_default();
            if gap {
                self.other
                    .extend_from_slice(redact::DEFAULT_REPLACE.as_bytes());
                replaced = replaced.saturating_add(1);
            } else {
                replaced = replaced.saturating_add(redact_piece(
                    &self.spec.redactions,
                    &mut self.locations,
                    [&mut self.work, &mut self.scratch.bytes],
                    arg,
                    &mut self.other,
                ));
            }
            self.arg_ends[i] = (index, self.other.len(), false);
            start = end;
        }
        self.scratch.bytes.clear();
        std::mem::swap(&mut self.args, &mut self.other);
        replaced
    }

    /// The redacted arguments as EXECVE records, into `scratch`.
    fn write_argv(&mut self, event: &Event<'_>) {
        let argc = event
            .records()
            .filter(|r| r.msg_type.0 == EXECVE)
            .find_map(|r| Fields::new(r.body).find(|f| f.key == b"argc"))
            .map_or(&b"0"[..], |f| f.value.text());
        self.scratch.open(EXECVE);
        let mut writer = ExecveWriter::start(argc, &mut self.scratch);
        let mut start = 0usize;
        for &(index, end, _) in &self.arg_ends {
            let arg = self.args.get(start..end).unwrap_or_default();
            writer.arg(index, arg, &mut self.scratch);
            start = end;
        }
        self.scratch.close();
    }

    /// A PROCTITLE body with each NUL-separated argument redacted, into
    /// `scratch` when something was replaced; returns how many.
    fn redact_proctitle(&mut self, body: &[u8]) -> u32 {
        let Some(field) = Fields::new(body).find(|f| f.key == b"proctitle") else {
            return 0;
        };
        self.title.clear();
        let title = &mut self.title;
        decode_value(field.value, &mut |b| title.extend_from_slice(b));
        self.other.clear();
        let mut replaced = 0u32;
        for (i, arg) in self.title.split(|&b| b == 0).enumerate() {
            if i > 0 {
                self.other.push(0);
            }
            replaced = replaced.saturating_add(redact_piece(
                &self.spec.redactions,
                &mut self.locations,
                [&mut self.work, &mut self.scratch.bytes],
                arg,
                &mut self.other,
            ));
        }
        self.scratch.bytes.clear();
        if replaced > 0 {
            self.scratch.open(PROCTITLE);
            self.scratch.put(b"proctitle=");
            write_value(&self.other, &mut self.scratch);
            self.scratch.close();
        }
        replaced
    }
}

/// Every redaction in turn over `text` (rewritten in place, `spare` the
/// other buffer); returns the matches replaced.
/// `piece` with every redaction applied, appended to `out`; the number of
/// secrets replaced. `work` holds the piece while it is rewritten, `spare`
/// is `redact_all`'s.
fn redact_piece(
    redactions: &[Redaction],
    locations: &mut [CaptureLocations],
    [work, spare]: [&mut Vec<u8>; 2],
    piece: &[u8],
    out: &mut Vec<u8>,
) -> u32 {
    work.clear();
    work.extend_from_slice(piece);
    let replaced = redact_all(redactions, locations, work, spare);
    out.extend_from_slice(work);
    replaced
}

fn redact_all(
    redactions: &[Redaction],
    locations: &mut [CaptureLocations],
    text: &mut Vec<u8>,
    spare: &mut Vec<u8>,
) -> u32 {
    let mut replaced = 0u32;
    for (redaction, locs) in redactions.iter().zip(locations.iter_mut()) {
        spare.clear();
        let n = redaction.apply(text, locs, spare);
        if n > 0 {
            std::mem::swap(text, spare);
            replaced = replaced.saturating_add(n);
        }
    }
    replaced
}

#[cfg(test)]
mod tests;
