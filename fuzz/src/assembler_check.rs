//! The assembler against a naive reference model, shared by the
//! `assembler_ops` fuzz target and the `assemble_model` property test.
//!
//! [`check`] runs a sequence of [`Op`]s through the real [`Assembler`] (over
//! `Vec` storage of the given [`Caps`]) and through [`Model`] (a plain
//! `BTreeMap` of serial → records with the same completion rules and no
//! capacity limits), then asserts:
//! - conservation: every pushed record of an in-range, non-EOE type comes out
//!   at most once, in arrival order within its serial, with identical bytes,
//!   and those that do not come out are counted in `dropped_records` (no
//!   room in the arena or the lane: the assembler drops rather than split
//!   an event);
//! - counters add up (`events` is the sum of the five completion kinds,
//!   `records`, `filtered_type`, `standalone`, `truncated_events`), and
//!   `in_flight()`/`next_deadline()` are empty after the final flush;
//! - when nothing was evicted or dropped and every user-space record could
//!   wait for its LSM-context records, the emitted events equal the model's
//!   exactly (serial, timestamp, records, order, completion), and so do
//!   `in_flight()` and `next_deadline()` after every step.
//!
//! Violations panic (`assert!`), which proptest shrinks and libFuzzer keeps.
#![allow(dead_code)]

use std::collections::BTreeMap;

use raudit_core::assemble::{
    Assembler, Completion, Counters, Event, EventSlot, RecordSlot, Settings, USER_CONTEXT_WAIT,
};
use raudit_core::record::{Record, Timestamp};
use raudit_core::time::{Duration, Instant};
use raudit_core::wire::MessageType;

/// Record types the generators draw from: kernel types in and out of the
/// default range, EOE (twice, so events often end), user-space types, the
/// LSM-context records that join a user-space record, and numbers no range
/// keeps.
pub const TYPES: &[u16] = &[
    1300, 1302, 1307, 1309, 1327, 1320, 1320, 1400, 1006, 1005, 1112, 1100, 1299, 2100, 2999, 1000,
    1425, 1426, 9999, 0,
];

/// The LSM-context record types (as the assembler's rule).
fn is_lsm_context(msg_type: u16) -> bool {
    matches!(msg_type, 1425 | 1426)
}

/// Serials the generators draw from: a small set so that events interleave,
/// plus the end of the serial space.
pub const SERIALS: &[u32] = &[1, 2, 3, 4, 5, 6, u32::MAX];

/// `(type_min, type_max)` settings the generators draw from.
pub const RANGES: &[(u16, u16)] = &[
    (1300, 1399),
    (1000, 2999),
    (1300, 1310),
    (1100, 1320),
    (0, u16::MAX),
    (1320, 1320),
    (1400, 1300),
];

/// Storage sizes of the assembler under test.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    pub events: usize,
    pub records: usize,
    pub arena: usize,
    /// Bytes of the large-event lane (0: none).
    pub lane: usize,
}

/// One step of a run. `dt` moves the caller's clock (milliseconds, may go
/// back; the clock saturates at 0) before the step.
#[derive(Clone, Debug)]
pub enum Op {
    Push {
        serial: u32,
        msg_type: u16,
        body: Vec<u8>,
        dt: i32,
    },
    Poll {
        dt: i32,
    },
    Flush,
}

/// One record of an emitted event: type and body.
pub type Rec = (u16, Vec<u8>);

/// An emitted event, copied out of the `emit` callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emitted {
    pub serial: u32,
    pub timestamp: Timestamp,
    pub completion: Completion,
    pub records: Vec<Rec>,
    pub dropped: u32,
}

impl Emitted {
    fn of(event: &Event<'_>) -> Emitted {
        let records: Vec<Rec> = event
            .records()
            .map(|r| (r.msg_type.0, r.body.to_vec()))
            .collect();
        assert_eq!(
            records.len(),
            event.record_count() as usize,
            "records() yields record_count() records"
        );
        Emitted {
            serial: event.serial(),
            timestamp: event.timestamp(),
            completion: event.completion(),
            records,
            dropped: event.dropped_records(),
        }
    }
}

/// What a run did: events emitted and whether the model comparison applied.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    pub events: usize,
    pub compared_with_model: bool,
}

/// `in_flight()` and `next_deadline()` after each step.
type Trace = Vec<(usize, Option<Instant>)>;

/// The timestamp given to the record of step `index` (unique per step, so an
/// event's timestamp names the record that opened it).
pub fn stamp(index: usize) -> Timestamp {
    Timestamp {
        seconds: index as u64,
        millis: (index % 1000) as u16,
    }
}

fn advance(clock: u64, dt: i32) -> u64 {
    clock.saturating_add_signed(i64::from(dt))
}

/// Runs `ops` through the assembler and the model and asserts the
/// properties listed in the module doc.
pub fn check(settings: &Settings, caps: Caps, ops: &[Op]) -> Outcome {
    let (real, real_trace, counters) = run_real(settings, caps, ops);
    check_conservation(settings, caps, ops, &real, &counters);
    check_counters(settings, ops, &real, &counters);
    let compared =
        counters.evicted == 0 && counters.dropped_records == 0 && counters.user_unheld == 0;
    if compared {
        let mut model = Model::new(*settings);
        let model_trace = model.run(ops);
        assert_eq!(
            real.len(),
            model.out.len(),
            "event count differs from model"
        );
        for (i, (r, m)) in real.iter().zip(&model.out).enumerate() {
            assert_eq!(r, m, "event {i} differs from the model's");
        }
        assert_eq!(real_trace, model_trace, "in_flight/next_deadline differ");
        assert_eq!(counters.orphan_eoe, model.orphan_eoe, "orphan_eoe");
        assert_eq!(counters.truncated_events, 0);
    }
    Outcome {
        events: real.len(),
        compared_with_model: compared,
    }
}

fn run_real(settings: &Settings, caps: Caps, ops: &[Op]) -> (Vec<Emitted>, Trace, Counters) {
    let mut a = Assembler::with_lane(
        *settings,
        vec![EventSlot::default(); caps.events],
        vec![RecordSlot::default(); caps.records],
        vec![0u8; caps.arena],
        vec![0u8; caps.lane],
    );
    let mut out = Vec::new();
    let mut trace = Trace::new();
    let mut clock = 0u64;
    for (index, op) in ops.iter().enumerate() {
        let mut emit = |e: &Event<'_>| out.push(Emitted::of(e));
        match op {
            Op::Push {
                serial,
                msg_type,
                body,
                dt,
            } => {
                clock = advance(clock, *dt);
                let record = Record {
                    msg_type: MessageType(*msg_type),
                    timestamp: stamp(index),
                    serial: *serial,
                    body,
                    node: None,
                    enriched: None,
                };
                a.push(&record, Instant(clock), &mut emit);
            }
            Op::Poll { dt } => {
                clock = advance(clock, *dt);
                a.poll(Instant(clock), &mut emit);
            }
            Op::Flush => a.flush(&mut emit),
        }
        trace.push((a.in_flight(), a.next_deadline()));
    }
    a.flush(&mut |e: &Event<'_>| out.push(Emitted::of(e)));
    assert_eq!(a.in_flight(), 0, "in flight after flush");
    assert_eq!(a.next_deadline(), None, "deadline after flush");
    (out, trace, a.counters())
}

fn in_range(settings: &Settings, msg_type: u16) -> bool {
    (settings.type_min..=settings.type_max).contains(&msg_type)
}

/// Every kept record comes out once, in order within its serial; records
/// larger than the arena are counted as dropped; nothing else is lost.
fn check_conservation(
    settings: &Settings,
    caps: Caps,
    ops: &[Op],
    real: &[Emitted],
    counters: &Counters,
) {
    let _ = caps;
    let mut want_user: Vec<(u32, Rec)> = Vec::new();
    let mut want: BTreeMap<u32, Vec<Rec>> = BTreeMap::new();
    for op in ops {
        let Op::Push {
            serial,
            msg_type,
            body,
            ..
        } = op
        else {
            continue;
        };
        let t = MessageType(*msg_type);
        if t == MessageType::EOE || !in_range(settings, *msg_type) {
            continue;
        }
        if t.is_user_space() {
            want_user.push((*serial, (*msg_type, body.clone())));
        } else {
            want.entry(*serial)
                .or_default()
                .push((*msg_type, body.clone()));
        }
    }
    let mut got_user = Vec::new();
    // Per serial, the records not (yet) seen come out of: each record
    // comes out at most once.
    let mut pool = want.clone();
    let mut got_dropped = 0u64;
    let mut take = |serial: u32, records: &[Rec]| {
        let wanted = want.get(&serial).map(Vec::as_slice).unwrap_or_default();
        // Within one event, in arrival order.
        let mut rest = wanted.iter();
        for r in records {
            assert!(
                rest.any(|w| w == r),
                "serial {serial}: a record out of order or altered"
            );
        }
        let left = pool.get_mut(&serial).expect("a serial nobody pushed");
        for r in records {
            let at = left.iter().position(|w| w == r);
            let at = at.unwrap_or_else(|| panic!("serial {serial}: a record duplicated"));
            left.remove(at);
        }
    };
    for e in real {
        got_dropped += u64::from(e.dropped);
        if e.completion == Completion::Standalone {
            // The user-space record, then the LSM-context records that
            // followed it under its serial (those without room dropped and
            // counted).
            let (first, contexts) = e.records.split_first().expect("standalone: a record");
            got_user.push((e.serial, first.clone()));
            for r in contexts {
                assert!(is_lsm_context(r.0), "standalone with {r:?}");
            }
            if !contexts.is_empty() {
                take(e.serial, contexts);
            }
            continue;
        }
        assert!(
            !e.records.is_empty() || e.dropped > 0,
            "an event with nothing in it was emitted: {e:?}"
        );
        for r in &e.records {
            assert!(!MessageType(r.0).is_user_space(), "user record stored");
            assert!(in_range(settings, r.0) && r.0 != MessageType::EOE.0);
        }
        if !e.records.is_empty() {
            take(e.serial, &e.records);
        }
    }
    assert_eq!(got_user, want_user, "standalone records lost or reordered");
    let missing: u64 = pool.values().map(|left| left.len() as u64).sum();
    assert_eq!(counters.dropped_records, missing, "dropped_records");
    assert_eq!(got_dropped, missing, "dropped records of events");
}

fn check_counters(settings: &Settings, ops: &[Op], real: &[Emitted], c: &Counters) {
    let pushes = ops.iter().filter(|op| matches!(op, Op::Push { .. }));
    let (mut records, mut filtered, mut user) = (0u64, 0u64, 0u64);
    for op in pushes {
        let Op::Push { msg_type, .. } = op else {
            continue;
        };
        records += 1;
        if *msg_type == MessageType::EOE.0 {
            continue;
        }
        if !in_range(settings, *msg_type) {
            filtered += 1;
        } else if MessageType(*msg_type).is_user_space() {
            user += 1;
        }
    }
    assert_eq!(c.records, records, "records");
    assert_eq!(c.filtered_type, filtered, "filtered_type");
    assert_eq!(c.standalone, user, "standalone");
    assert_eq!(
        c.events,
        c.end_of_event + c.standalone + c.timed_out + c.evicted + c.flushed,
        "events is the sum of the completion kinds: {c:?}"
    );
    assert_eq!(c.events, real.len() as u64, "events counts emitted events");
    let count = |k: Completion| real.iter().filter(|e| e.completion == k).count() as u64;
    assert_eq!(c.end_of_event, count(Completion::EndOfEvent));
    assert_eq!(c.timed_out, count(Completion::Timeout));
    assert_eq!(c.evicted, count(Completion::Evicted));
    assert_eq!(c.flushed, count(Completion::Flushed));
    let truncated = real.iter().filter(|e| e.dropped > 0).count() as u64;
    assert_eq!(c.truncated_events, truncated, "truncated_events");
}

/// One in-flight event of the model.
#[derive(Debug)]
struct Open {
    opened: u64,
    timestamp: Timestamp,
    deadline: u64,
    records: Vec<Rec>,
}

/// The reference: no storage limits, completion rules stated plainly.
pub struct Model {
    settings: Settings,
    now: u64,
    opened: u64,
    open: BTreeMap<u32, Open>,
    pub out: Vec<Emitted>,
    pub orphan_eoe: u64,
    /// The user-space event waiting for its LSM-context records, and
    /// when it stops waiting.
    user: Option<(Emitted, u64)>,
}

impl Model {
    pub fn new(settings: Settings) -> Model {
        Model {
            settings,
            now: 0,
            opened: 0,
            open: BTreeMap::new(),
            out: Vec::new(),
            orphan_eoe: 0,
            user: None,
        }
    }

    fn run(&mut self, ops: &[Op]) -> Trace {
        let mut trace = Trace::new();
        let mut clock = 0u64;
        for (index, op) in ops.iter().enumerate() {
            match op {
                Op::Push {
                    serial,
                    msg_type,
                    body,
                    dt,
                } => {
                    clock = advance(clock, *dt);
                    self.push(index, *serial, *msg_type, body, clock);
                }
                Op::Poll { dt } => {
                    clock = advance(clock, *dt);
                    self.now = self.now.max(clock);
                    self.expire();
                }
                Op::Flush => self.flush(),
            }
            let user = self.user.as_ref().map(|&(_, deadline)| deadline);
            let deadline = self.open.values().map(|o| o.deadline).chain(user).min();
            let in_flight = self.open.len() + usize::from(self.user.is_some());
            trace.push((in_flight, deadline.map(Instant)));
        }
        self.flush();
        trace
    }

    fn push(&mut self, index: usize, serial: u32, msg_type: u16, body: &[u8], clock: u64) {
        self.now = self.now.max(clock);
        let t = MessageType(msg_type);
        let joins = self
            .user
            .as_ref()
            .is_some_and(|(u, _)| u.serial == serial && is_lsm_context(msg_type));
        if !joins {
            self.complete_user();
        }
        if t == MessageType::EOE {
            match self.open.remove(&serial) {
                Some(open) => self.emit(serial, open, Completion::EndOfEvent),
                None => self.orphan_eoe += 1,
            }
        } else if !in_range(&self.settings, msg_type) {
            // filtered
        } else if t.is_user_space() {
            let deadline = Instant(self.now).after(USER_CONTEXT_WAIT).0;
            let held = Emitted {
                serial,
                timestamp: stamp(index),
                completion: Completion::Standalone,
                records: vec![(msg_type, body.to_vec())],
                dropped: 0,
            };
            self.user = Some((held, deadline));
        } else if joins {
            if let Some((u, _)) = self.user.as_mut() {
                u.records.push((msg_type, body.to_vec()));
            }
        } else {
            let (now, timeout) = (self.now, self.settings.timeout);
            let opened = &mut self.opened;
            let open = self.open.entry(serial).or_insert_with(|| {
                *opened += 1;
                Open {
                    opened: *opened,
                    timestamp: stamp(index),
                    deadline: Instant(now).after(timeout).0,
                    records: Vec::new(),
                }
            });
            open.records.push((msg_type, body.to_vec()));
        }
        self.expire();
    }

    /// Completes every event whose deadline is at or before now, oldest
    /// first.
    fn expire(&mut self) {
        let now = self.now;
        // The waiting user-space event goes first when anything is due (it
        // would have gone out before what is older).
        let user_due = self.user.as_ref().is_some_and(|&(_, d)| d <= now);
        if user_due || self.open.values().any(|o| o.deadline <= now) {
            self.complete_user();
        }
        self.complete_where(|open| open.deadline <= now, Completion::Timeout);
    }

    fn flush(&mut self) {
        self.complete_user();
        self.complete_where(|_| true, Completion::Flushed);
    }

    fn complete_user(&mut self) {
        if let Some((held, _)) = self.user.take() {
            self.out.push(held);
        }
    }

    fn complete_where(&mut self, due: impl Fn(&Open) -> bool, completion: Completion) {
        let mut serials: Vec<(u64, u32)> = self
            .open
            .iter()
            .filter(|(_, open)| due(open))
            .map(|(serial, open)| (open.opened, *serial))
            .collect();
        serials.sort_unstable();
        for (_, serial) in serials {
            if let Some(open) = self.open.remove(&serial) {
                self.emit(serial, open, completion);
            }
        }
    }

    fn emit(&mut self, serial: u32, open: Open, completion: Completion) {
        self.out.push(Emitted {
            serial,
            timestamp: open.timestamp,
            completion,
            records: open.records,
            dropped: 0,
        });
    }
}

/// Settings from the generators' choices: a type range, a timeout, serial
/// tracking on or off.
pub fn settings(range: usize, timeout_ms: u64, track_serials: bool) -> Settings {
    let (type_min, type_max) = RANGES[range % RANGES.len()];
    Settings {
        timeout: Duration::from_millis(timeout_ms),
        type_min,
        type_max,
        track_serials,
        max_out_of_order: 8,
    }
}
