//! Properties of `encode::go_audit` for random events (bodies of arbitrary
//! bytes: invalid UTF-8, quotes, backslashes, control characters, `uid=`
//! fragments) and random buffer sizes: never panics, always valid JSON that
//! fits, and what is present is the event's records, in order, decoded as
//! go-audit decodes them; a cut is always marked.
//!
//! The checks live in `fuzz/src/encode_check.rs`, shared with the `encoder`
//! fuzz target.

use proptest::prelude::*;

#[path = "../../fuzz/src/encode_check.rs"]
mod encode_check;

use encode_check::{check_go_audit, with_events, TestEnrich, MAX_BUFFER, PIECES, TYPES};
use raudit_core::encode::{NoEnrich, MIN_BUFFER};
use raudit_core::record::Timestamp;

fn body() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => proptest::sample::select(PIECES).prop_map(<[u8]>::to_vec),
        2 => proptest::collection::vec(any::<u8>(), 0..12),
        1 => "[a-z=]{0,40}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn records() -> impl Strategy<Value = Vec<(u16, Vec<u8>)>> {
    let record = (proptest::sample::select(TYPES), body());
    proptest::collection::vec(record, 0..12)
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    let seconds = prop_oneof![Just(u64::MAX), 0..2_000_000_000u64];
    (seconds, 0..=999u16).prop_map(|(seconds, millis)| Timestamp { seconds, millis })
}

fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        MIN_BUFFER..MIN_BUFFER + 256,
        MIN_BUFFER..=MAX_BUFFER,
        Just(MAX_BUFFER),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(800))]

    #[test]
    fn go_audit_output_is_valid_json_and_faithful(
        serial in any::<u32>(),
        ts in timestamp(),
        records in records(),
        arena in prop_oneof![Just(1usize << 16), 0..512usize],
        size in size(),
        named in any::<bool>(),
    ) {
        with_events(serial, ts, &records, arena, |event| {
            if named {
                check_go_audit(event, size, &mut TestEnrich);
            } else {
                check_go_audit(event, size, &mut NoEnrich);
            }
        });
    }

    #[test]
    fn go_audit_refuses_buffers_below_the_minimum(
        records in records(),
        size in 0..MIN_BUFFER,
    ) {
        with_events(1, Timestamp::default(), &records, 1 << 16, |event| {
            check_go_audit(event, size, &mut NoEnrich);
        });
    }
}
