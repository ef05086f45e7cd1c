//! Unit tests of the assembler with tiny capacities.

use super::*;

extern crate std;
use std::vec::Vec;

type Tiny<const EV: usize, const RC: usize, const AR: usize> =
    Assembler<[EventSlot; EV], [RecordSlot; RC], [u8; AR]>;

fn tiny<const EV: usize, const RC: usize, const AR: usize>(settings: Settings) -> Tiny<EV, RC, AR> {
    Assembler::new(
        settings,
        [EventSlot::default(); EV],
        [RecordSlot::default(); RC],
        [0; AR],
    )
}

fn rec(msg_type: u16, serial: u32, body: &'static [u8]) -> Record<'static> {
    Record {
        msg_type: MessageType(msg_type),
        timestamp: Timestamp {
            seconds: 1_700_000_000,
            millis: 5,
        },
        serial,
        body,
        node: None,
        enriched: None,
    }
}

/// (serial, completion, [(type, body)]) of each emitted event.
type Seen = Vec<(u32, Completion, Vec<(u16, Vec<u8>)>)>;

fn collect(seen: &mut Seen) -> impl FnMut(&Event<'_>) + '_ {
    move |e: &Event<'_>| {
        let records = e
            .records()
            .map(|r| (r.msg_type.0, r.body.to_vec()))
            .collect();
        seen.push((e.serial(), e.completion(), records));
    }
}

#[test]
fn eoe_completes_the_event_with_its_records_in_order() {
    let mut a = tiny::<4, 8, 256>(Settings::default());
    let mut seen = Seen::new();
    let now = Instant(1000);
    a.push(
        &rec(1300, 7, b"arch=c000003e syscall=59"),
        now,
        &mut collect(&mut seen),
    );
    a.push(
        &rec(1309, 7, b"argc=1 a0=\"ls\""),
        now,
        &mut collect(&mut seen),
    );
    a.push(
        &rec(1327, 7, b"proctitle=6C73"),
        now,
        &mut collect(&mut seen),
    );
    assert!(seen.is_empty());
    assert_eq!(a.next_deadline(), Some(Instant(3000)));
    a.push(&rec(1320, 7, b""), now, &mut collect(&mut seen));
    assert_eq!(seen.len(), 1);
    let (serial, completion, records) = &seen[0];
    assert_eq!((*serial, *completion), (7, Completion::EndOfEvent));
    let types: Vec<u16> = records.iter().map(|r| r.0).collect();
    assert_eq!(types, [1300, 1309, 1327]);
    assert_eq!(records[1].1, b"argc=1 a0=\"ls\"");
    assert_eq!(a.in_flight(), 0);
    assert_eq!(a.next_deadline(), None);
    assert_eq!(a.counters().end_of_event, 1);
}

#[test]
fn syscall_is_found_as_go_audit_finds_it() {
    let mut a = tiny::<4, 8, 256>(Settings::default());
    let mut found = Vec::new();
    let mut emit = |e: &Event<'_>| found.push(e.syscall().map(<[u8]>::to_vec));
    a.push(
        &rec(1300, 1, b"arch=c000003e syscall=59 success=yes"),
        Instant(0),
        &mut emit,
    );
    a.push(&rec(1320, 1, b""), Instant(0), &mut emit);
    a.push(
        &rec(1300, 2, b"arch=c000003e syscall=42"),
        Instant(0),
        &mut emit,
    );
    a.push(&rec(1320, 2, b""), Instant(0), &mut emit);
    a.push(&rec(1300, 3, b"syscall=123456"), Instant(0), &mut emit);
    a.push(&rec(1320, 3, b""), Instant(0), &mut emit);
    assert_eq!(found, [Some(b"59".to_vec()), Some(b"42".to_vec()), None]);
}

/// go-audit's `syscall` as `Event::syscall` found it with `memmem`, before
/// it walked the `=` signs instead.
fn syscall_by_memmem(body: &[u8]) -> Option<&[u8]> {
    let start = memchr::memmem::find(body, b"syscall=")? + 8;
    let rest = body.get(start..)?;
    match memchr::memchr(b' ', rest) {
        Some(end) => rest.get(..end),
        None if rest.len() <= 5 => Some(rest),
        None => None,
    }
}

const SYSCALL_PIECES: &[&[u8]] = &[
    b"syscall", b"sys", b"call", b"=", b" ", b"59", b"123456", b"a", b"\xff",
];

proptest::proptest! {
    #[test]
    fn syscall_agrees_with_the_memmem_search(
        pieces in proptest::collection::vec(
            proptest::sample::select(SYSCALL_PIECES),
            0..16,
        )
    ) {
        let body = pieces.concat();
        let record = EventRecord { msg_type: MessageType::SYSCALL, body: &body };
        let event = Event::single(1, Timestamp::default(), record, Completion::Standalone);
        proptest::prop_assert_eq!(event.syscall(), syscall_by_memmem(&body));
    }
}

fn user_range() -> Settings {
    Settings {
        type_min: 1000,
        type_max: 2999,
        ..Settings::default()
    }
}

#[test]
fn user_space_records_complete_at_the_next_record_or_soon_after() {
    let mut a = tiny::<2, 4, 64>(user_range());
    let mut seen = Seen::new();
    a.push(
        &rec(1112, 40, b"pid=1 msg='op=login res=success'"),
        Instant(0),
        &mut collect(&mut seen),
    );
    assert_eq!(seen.len(), 0, "waits for LSM-context records");
    assert_eq!(a.next_deadline(), Some(Instant(0).after(USER_CONTEXT_WAIT)));
    a.poll(Instant(0).after(USER_CONTEXT_WAIT), &mut collect(&mut seen));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].1, Completion::Standalone);
    assert_eq!(a.in_flight(), 0);
    assert_eq!(a.next_deadline(), None);

    // The next record of another event ends it before it is itself taken.
    a.push(
        &rec(1105, 41, b"pid=2"),
        Instant(1),
        &mut collect(&mut seen),
    );
    a.push(
        &rec(1300, 42, b"syscall=1"),
        Instant(1),
        &mut collect(&mut seen),
    );
    a.push(&rec(1320, 42, b""), Instant(1), &mut collect(&mut seen));
    let serials: Vec<u32> = seen.iter().map(|e| e.0).collect();
    assert_eq!(serials, [40, 41, 42]);
    assert_eq!(a.counters().standalone, 2);
}

/// With several LSMs labelling the sender, the kernel sends
/// MAC_TASK_CONTEXTS (and MAC_OBJ_CONTEXTS) under a user record's serial,
/// right behind it: one event.
#[test]
fn lsm_context_records_stay_with_their_user_record() {
    let mut a = tiny::<2, 4, 128>(user_range());
    let mut seen = Seen::new();
    a.push(
        &rec(1107, 50, b"pid=1 msg='avc: denied'"),
        Instant(0),
        &mut collect(&mut seen),
    );
    a.push(
        &rec(1425, 50, b"subj_selinux=u:r:t:s0 subj_apparmor=unconfined"),
        Instant(0),
        &mut collect(&mut seen),
    );
    a.push(
        &rec(1426, 50, b"obj_selinux=o"),
        Instant(0),
        &mut collect(&mut seen),
    );
    assert_eq!(seen.len(), 0);
    a.push(
        &rec(1425, 51, b"other"),
        Instant(0),
        &mut collect(&mut seen),
    );
    assert_eq!(seen.len(), 1);
    let types: Vec<u16> = seen[0].2.iter().map(|r| r.0).collect();
    assert_eq!(types, [1107, 1425, 1426]);
    assert_eq!(seen[0].1, Completion::Standalone);
    a.flush(&mut collect(&mut seen));
    assert_eq!(seen.len(), 2, "the context record of 51 is its own event");
}

/// The kernel's own non-syscall events with several records (AVC with
/// its LSM contexts, Landlock's ACCESS + DOMAIN) share a serial and have
/// no EOE: one event at their deadline.
#[test]
fn kernel_events_without_eoe_keep_their_records_together() {
    let settings = Settings {
        type_min: 1300,
        type_max: 1499,
        ..Settings::default()
    };
    let mut a = tiny::<2, 8, 256>(settings);
    let mut seen = Seen::new();
    for (t, body) in [
        (1400u16, &b"avc: denied { read }"[..]),
        (1425, b"subj_selinux=a subj_apparmor=b"),
        (1426, b"obj_selinux=c"),
    ] {
        a.push(&rec(t, 60, body), Instant(0), &mut collect(&mut seen));
    }
    a.poll(Instant(0).after(settings.timeout), &mut collect(&mut seen));
    assert_eq!(seen.len(), 1);
    let types: Vec<u16> = seen[0].2.iter().map(|r| r.0).collect();
    assert_eq!(types, [1400, 1425, 1426]);
}

/// A held user record goes out before events that time out at the same
/// moment, and before older events at flush: the order is the one it had
/// when user records went out at once.
#[test]
fn a_held_user_record_keeps_its_place_in_the_output() {
    let mut a = tiny::<4, 8, 256>(user_range());
    let mut seen = Seen::new();
    a.push(
        &rec(1300, 70, b"syscall=1"),
        Instant(0),
        &mut collect(&mut seen),
    );
    a.push(
        &rec(1112, 71, b"pid=1"),
        Instant(0),
        &mut collect(&mut seen),
    );
    a.flush(&mut collect(&mut seen));
    let serials: Vec<u32> = seen.iter().map(|e| e.0).collect();
    assert_eq!(serials, [71, 70]);

    seen.clear();
    a.push(
        &rec(1300, 72, b"syscall=1"),
        Instant(0),
        &mut collect(&mut seen),
    );
    let late = Instant(0).after(a.settings().timeout);
    a.push(&rec(1112, 73, b"pid=1"), late, &mut collect(&mut seen));
    let serials: Vec<u32> = seen.iter().map(|e| e.0).collect();
    assert_eq!(serials, [73, 72]);
}

/// Without a free slot the user record goes out at once, unstored: no
/// event is evicted to hold it.
#[test]
fn a_full_table_sends_user_records_at_once() {
    let mut a = tiny::<1, 4, 64>(user_range());
    let mut seen = Seen::new();
    a.push(
        &rec(1300, 80, b"syscall=1"),
        Instant(0),
        &mut collect(&mut seen),
    );
    a.push(
        &rec(1112, 81, b"pid=1"),
        Instant(0),
        &mut collect(&mut seen),
    );
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, 81);
    assert_eq!(a.counters().evicted, 0);
    assert_eq!(a.counters().user_unheld, 1);
}

#[test]
fn types_outside_the_range_are_counted_and_dropped_but_eoe_always_ends() {
    let settings = Settings {
        type_min: 1300,
        type_max: 1310,
        ..Settings::default()
    };
    let mut a = tiny::<2, 4, 64>(settings);
    let mut seen = Seen::new();
    a.push(&rec(1300, 9, b"a"), Instant(0), &mut collect(&mut seen));
    a.push(&rec(1327, 9, b"p"), Instant(0), &mut collect(&mut seen));
    a.push(&rec(1112, 10, b"u"), Instant(0), &mut collect(&mut seen));
    a.push(&rec(1320, 9, b""), Instant(0), &mut collect(&mut seen));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].2.len(), 1);
    assert_eq!(a.counters().filtered_type, 2);
}

#[test]
fn deadline_completes_a_lone_event_without_further_records() {
    let mut a = tiny::<2, 4, 64>(Settings::default());
    let mut seen = Seen::new();
    a.push(
        &rec(1400, 3, b"avc"),
        Instant(10_000),
        &mut collect(&mut seen),
    );
    a.poll(Instant(11_999), &mut collect(&mut seen));
    assert!(seen.is_empty());
    a.poll(Instant(12_000), &mut collect(&mut seen));
    assert_eq!(seen.len(), 0, "1400 is outside the default range");
    let settings = Settings {
        type_max: 1499,
        ..Settings::default()
    };
    let mut a = tiny::<2, 4, 64>(settings);
    a.push(
        &rec(1400, 3, b"avc"),
        Instant(10_000),
        &mut collect(&mut seen),
    );
    a.poll(Instant(12_000), &mut collect(&mut seen));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].1, Completion::Timeout);
}

#[test]
fn a_later_record_times_out_older_events_like_go_audit_flush_old() {
    let mut a = tiny::<4, 8, 256>(Settings::default());
    let mut seen = Seen::new();
    a.push(&rec(1300, 1, b"x"), Instant(0), &mut collect(&mut seen));
    a.push(&rec(1300, 2, b"y"), Instant(2500), &mut collect(&mut seen));
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].0, seen[0].1), (1, Completion::Timeout));
}

#[test]
fn full_table_evicts_the_oldest_event_first() {
    let mut a = tiny::<2, 8, 256>(Settings::default());
    let mut seen = Seen::new();
    for serial in 1..=3 {
        a.push(
            &rec(1300, serial, b"s"),
            Instant(0),
            &mut collect(&mut seen),
        );
    }
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].0, seen[0].1), (1, Completion::Evicted));
    assert_eq!(a.counters().evicted, 1);
    a.flush(&mut collect(&mut seen));
    let serials: Vec<u32> = seen.iter().map(|s| s.0).collect();
    assert_eq!(serials, [1, 2, 3]);
}

#[test]
fn full_arena_evicts_oldest_and_an_oversized_record_is_counted() {
    let mut a = tiny::<4, 8, 16>(Settings::default());
    let mut seen = Seen::new();
    a.push(
        &rec(1300, 1, b"0123456789"),
        Instant(0),
        &mut collect(&mut seen),
    );
    a.push(
        &rec(1300, 2, b"abcdefghij"),
        Instant(0),
        &mut collect(&mut seen),
    );
    assert_eq!((seen[0].0, seen[0].1), (1, Completion::Evicted));
    a.push(
        &rec(1302, 2, b"this body is far too large"),
        Instant(0),
        &mut collect(&mut seen),
    );
    a.push(&rec(1320, 2, b""), Instant(0), &mut collect(&mut seen));
    let last = seen.last().unwrap();
    assert_eq!(last.0, 2);
    assert_eq!(last.2.len(), 1);
    assert_eq!(a.counters().dropped_records, 1);
    assert_eq!(a.counters().truncated_events, 1);
}

#[test]
fn event_larger_than_the_arena_without_a_lane_is_one_marked_event() {
    let mut a = tiny::<4, 8, 24>(Settings::default());
    let mut seen = Seen::new();
    for _ in 0..5 {
        a.push(
            &rec(1309, 5, b"0123456789"),
            Instant(0),
            &mut collect(&mut seen),
        );
    }
    a.push(&rec(1320, 5, b""), Instant(0), &mut collect(&mut seen));
    assert_eq!(seen.len(), 1, "one event, never pieces with one serial");
    assert_eq!(seen[0].1, Completion::EndOfEvent);
    let c = a.counters();
    assert_eq!(seen[0].2.len() as u64 + c.dropped_records, 5);
    assert!(c.dropped_records > 0);
    assert_eq!(c.truncated_events, 1);
}

/// An assembler with a 32-byte arena and a lane of `LANE` bytes.
fn laned<const LANE: usize>() -> Assembler<[EventSlot; 4], [RecordSlot; 8], [u8; 32], [u8; LANE]> {
    Assembler::with_lane(
        Settings::default(),
        [EventSlot::default(); 4],
        [RecordSlot::default(); 8],
        [0; 32],
        [0; LANE],
    )
}

#[test]
fn a_large_event_grows_whole_in_the_lane_beside_small_ones() {
    let mut a = laned::<1024>();
    let mut seen = Seen::new();
    a.push(&rec(1300, 1, b"small"), Instant(0), &mut collect(&mut seen));
    a.push(
        &rec(1300, 2, b"syscall=59"),
        Instant(0),
        &mut collect(&mut seen),
    );
    for _ in 0..20 {
        a.push(
            &rec(1309, 2, b"a0=41414141"),
            Instant(0),
            &mut collect(&mut seen),
        );
    }
    a.push(
        &rec(1307, 2, b"cwd=\"/\""),
        Instant(0),
        &mut collect(&mut seen),
    );
    a.push(
        &rec(1302, 2, b"item=0"),
        Instant(0),
        &mut collect(&mut seen),
    );
    assert!(seen.is_empty(), "nothing evicted: {seen:?}");
    assert!(
        a.lane_unused(Instant(0), Duration(0)).is_none(),
        "in flight"
    );
    a.push(&rec(1320, 2, b""), Instant(0), &mut collect(&mut seen));
    a.push(&rec(1320, 1, b""), Instant(0), &mut collect(&mut seen));
    assert_eq!(seen.len(), 2);
    let (serial, completion, records) = &seen[0];
    assert_eq!((*serial, *completion), (2, Completion::EndOfEvent));
    assert_eq!(records.len(), 23);
    assert_eq!(records[0], (1300, b"syscall=59".to_vec()));
    assert!(records[1..21]
        .iter()
        .all(|r| r == &(1309, b"a0=41414141".to_vec())));
    assert_eq!(records[22], (1302, b"item=0".to_vec()));
    assert_eq!(seen[1].2, [(1300, b"small".to_vec())]);
    let c = a.counters();
    assert_eq!((c.large_events, c.dropped_records, c.evicted), (1, 0, 0));
    // Kept a while for the next large event, then given up once.
    let keep = Duration::from_millis(1000);
    assert!(a.lane_unused(Instant(999), keep).is_none(), "used lately");
    assert!(a
        .lane_unused(Instant(1000), keep)
        .is_some_and(|(_, touched)| touched > 23 * 12));
    assert!(a.lane_unused(Instant(1000), keep).is_none());
}

#[test]
fn a_full_lane_drops_arguments_and_keeps_the_records_after_them() {
    let mut a = laned::<2048>();
    let mut seen = Seen::new();
    a.push(
        &rec(1300, 3, b"syscall=59"),
        Instant(0),
        &mut collect(&mut seen),
    );
    for _ in 0..100 {
        a.push(
            &rec(1309, 3, b"a0=41414141"),
            Instant(0),
            &mut collect(&mut seen),
        );
    }
    a.push(
        &rec(1307, 3, b"cwd=\"/\""),
        Instant(0),
        &mut collect(&mut seen),
    );
    a.push(
        &rec(1302, 3, b"item=0 name=x"),
        Instant(0),
        &mut collect(&mut seen),
    );
    a.push(
        &rec(1327, 3, b"proctitle=78"),
        Instant(0),
        &mut collect(&mut seen),
    );
    a.push(&rec(1320, 3, b""), Instant(0), &mut collect(&mut seen));
    assert_eq!(seen.len(), 1);
    let types: Vec<u16> = seen[0].2.iter().map(|r| r.0).collect();
    assert_eq!(types.first(), Some(&1300));
    assert_eq!(&types[types.len() - 3..], [1307, 1302, 1327]);
    let c = a.counters();
    assert_eq!(types.len() as u64 + c.dropped_records, 104);
    assert!(c.dropped_records > 0);
    assert_eq!(c.truncated_events, 1);
}

/// Pushes `pushes` (serial, body length, EXECVE or PATH) over tiny
/// storage with a lane of `LANE` bytes, then flushes: a serial comes out
/// twice only when the ring was too full for several events at once
/// (evictions, counted), and every record pushed is either in its event
/// or counted as dropped.
fn pieces_check<const LANE: usize>(pushes: &[(u32, usize, bool)]) {
    let mut a = laned::<LANE>();
    let mut seen = Seen::new();
    let bodies = [0u8; 40];
    for &(serial, len, execve) in pushes {
        let t = if execve { 1309 } else { 1302 };
        let record = Record {
            body: &bodies[..len],
            ..rec(t, serial, b"")
        };
        a.push(&record, Instant(0), &mut collect(&mut seen));
    }
    a.flush(&mut collect(&mut seen));
    let c = a.counters();
    let mut serials: Vec<u32> = seen.iter().map(|s| s.0).collect();
    serials.sort_unstable();
    let before = serials.len();
    serials.dedup();
    assert!(before == serials.len() || c.evicted > 0, "{seen:?}");
    let kept: usize = seen.iter().map(|s| s.2.len()).sum();
    assert_eq!(kept as u64 + c.dropped_records, pushes.len() as u64);
}

proptest::proptest! {
    #[test]
    fn no_event_goes_out_in_pieces_unless_the_ring_is_crowded(
        pushes in proptest::collection::vec((0u32..3, 0usize..40, proptest::bool::ANY), 0..80),
    ) {
        pieces_check::<256>(&pushes);
        pieces_check::<65536>(&pushes);
    }
}

#[test]
fn orphan_eoe_is_counted() {
    let mut a = tiny::<2, 4, 64>(Settings::default());
    a.push(&rec(1320, 99, b""), Instant(0), &mut |_: &Event<'_>| {});
    assert_eq!(a.counters().orphan_eoe, 1);
}

#[test]
fn zero_capacity_storage_drops_and_counts_without_panicking() {
    let mut a: Assembler<[EventSlot; 0], [RecordSlot; 0], [u8; 0]> =
        Assembler::new(Settings::default(), [], [], []);
    a.push(&rec(1300, 1, b"x"), Instant(0), &mut |_: &Event<'_>| {});
    a.push(&rec(1320, 1, b""), Instant(0), &mut |_: &Event<'_>| {});
    assert_eq!(a.counters().dropped_records, 1);
}

#[test]
fn serial_gaps_are_tracked_across_the_stream() {
    let mut a = tiny::<4, 16, 256>(Settings::default());
    let mut sink = |_: &Event<'_>| {};
    for serial in [49, 59, 60, 62, 61] {
        a.push(&rec(1300, serial, b"x"), Instant(0), &mut sink);
    }
    a.flush(&mut sink);
    let c = a.counters();
    assert_eq!(c.missed_serials, 9);
    assert_eq!(c.late_serials, 1);
    assert_eq!(c.worst_lag, 1);
}

#[test]
fn the_oldest_serial_in_flight_is_the_first_event_still_open() {
    let mut a = tiny::<4, 8, 256>(Settings::default());
    let mut seen = Seen::new();
    let now = Instant(1000);
    assert_eq!(a.oldest_serial(), None);
    a.push(&rec(1300, 7, b"syscall=59"), now, &mut collect(&mut seen));
    a.push(&rec(1300, 8, b"syscall=59"), now, &mut collect(&mut seen));
    assert_eq!(a.oldest_serial(), Some(7));
    // 8 completes first: 7 is still the oldest in flight.
    a.push(&rec(1320, 8, b""), now, &mut collect(&mut seen));
    assert_eq!(a.oldest_serial(), Some(7));
    a.push(&rec(1320, 7, b""), now, &mut collect(&mut seen));
    assert_eq!(a.oldest_serial(), None);
}

/// `push_untimed` stores records as `push` does but completes no event
/// whose deadline passed: a record of a due event still joins it, and the
/// caller's `poll` completes what is due afterwards.
#[test]
fn push_untimed_leaves_due_events_to_poll() {
    let mut a = tiny::<4, 8, 256>(Settings::default());
    let mut seen = Seen::new();
    a.push(
        &rec(1300, 7, b"syscall=59"),
        Instant(0),
        &mut collect(&mut seen),
    );
    // Long after its deadline (2 s), the rest of its records.
    let late = Instant(5000);
    a.push_untimed(&rec(1302, 7, b"item=0"), late, &mut collect(&mut seen));
    a.push_untimed(
        &rec(1327, 7, b"proctitle=6C73"),
        late,
        &mut collect(&mut seen),
    );
    // A new event opened meanwhile takes its deadline from `late`.
    a.push_untimed(&rec(1300, 8, b"syscall=2"), late, &mut collect(&mut seen));
    assert!(seen.is_empty());
    assert_eq!(a.next_deadline(), Some(Instant(2000)));
    a.poll(late, &mut collect(&mut seen));
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].0, seen[0].1), (7, Completion::Timeout));
    let types: Vec<u16> = seen[0].2.iter().map(|r| r.0).collect();
    assert_eq!(types, [1300, 1302, 1327]);
    assert_eq!(a.next_deadline(), Some(Instant(7000)));
}
