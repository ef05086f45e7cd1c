//! The assembler against a naive reference model (a `BTreeMap` of serial →
//! records with the same completion rules), over random interleavings of
//! several events' records, random capacities and random clock moves.
//!
//! The model and the checks live in `fuzz/src/assembler_check.rs`, shared
//! with the `assembler_ops` fuzz target: record conservation (nothing lost,
//! duplicated or reordered within a serial, oversized records counted),
//! counter consistency, and equality with the model whenever nothing was
//! evicted or dropped.

use proptest::prelude::*;

#[path = "../../fuzz/src/assembler_check.rs"]
mod assembler_check;

use assembler_check::{check, settings, Caps, Op, SERIALS, TYPES};

/// Clock moves: mostly small steps forward, some jumps past any timeout,
/// some steps back (the assembler keeps the latest time it saw).
fn dt() -> impl Strategy<Value = i32> {
    prop_oneof![
        6 => 0..200i32,
        2 => 0..6000i32,
        1 => -500..0i32,
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..24),
        1 => proptest::collection::vec(any::<u8>(), 0..300),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let push = (
        proptest::sample::select(SERIALS),
        proptest::sample::select(TYPES),
        body(),
        dt(),
    )
        .prop_map(|(serial, msg_type, body, dt)| Op::Push {
            serial,
            msg_type,
            body,
            dt,
        });
    prop_oneof![
        12 => push,
        3 => dt().prop_map(|dt| Op::Poll { dt }),
        1 => Just(Op::Flush),
    ]
}

fn caps() -> impl Strategy<Value = Caps> {
    let arena = prop_oneof![0..64usize, 0..=2048usize];
    let lane = prop_oneof![Just(0usize), 0..=4096usize];
    (1..=8usize, 1..=32usize, arena, lane).prop_map(|(events, records, arena, lane)| Caps {
        events,
        records,
        arena,
        lane,
    })
}

/// Capacities no run of [`op`]s can fill: the model comparison always applies.
fn roomy() -> impl Strategy<Value = Caps> {
    (8..=16usize, 600..=800usize).prop_map(|(events, records)| Caps {
        events,
        records,
        arena: records * 300,
        lane: 0,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn assembler_conserves_records_and_matches_the_model(
        caps in caps(),
        range in 0..16usize,
        timeout in prop_oneof![Just(0u64), 0..3000u64],
        track in any::<bool>(),
        ops in proptest::collection::vec(op(), 0..80),
    ) {
        check(&settings(range, timeout, track), caps, &ops);
    }

    #[test]
    fn assembler_with_room_equals_the_model(
        caps in roomy(),
        range in 0..16usize,
        timeout in prop_oneof![Just(0u64), 0..3000u64],
        ops in proptest::collection::vec(op(), 0..80),
    ) {
        let outcome = check(&settings(range, timeout, true), caps, &ops);
        prop_assert!(outcome.compared_with_model, "roomy capacities evicted or dropped");
    }
}
