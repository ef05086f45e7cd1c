//! Properties of `encode::go_audit` for random events (bodies of arbitrary
//! bytes: invalid UTF-8, quotes, backslashes, control characters, `uid=`
//! fragments) and random buffer sizes: never panics, always valid JSON that
//! fits, and what is present is the event's records, in order, decoded as
//! go-audit decodes them; a cut is always marked.
//!
//! The same events go through every shape (structured and ECS too) and
//! every entry point (`encode`, `encode_whole`, `encode_within`), with
//! EXECVE records of many arguments so that the marked cut happens.
//!
//! The checks live in `fuzz/src/encode_check.rs` and
//! `fuzz/src/shape_check.rs`, shared with the `encoder` and
//! `encoder_shapes` fuzz targets.

use proptest::prelude::*;

#[path = "../../fuzz/src/encode_check.rs"]
mod encode_check;
#[path = "../../fuzz/src/shape_check.rs"]
mod shape_check;

use encode_check::{check_go_audit, with_events, TestEnrich, MAX_BUFFER, PIECES, TYPES};
use raudit_core::encode::{NoEnrich, MIN_BUFFER};
use raudit_core::record::Timestamp;
use shape_check::{check_shapes, ShapeEnrich};

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

/// An EXECVE body: `argc=N` and arguments quoted, hex or in `aN[i]`
/// pieces, some long, so that a small room cuts them.
fn execve_body() -> impl Strategy<Value = Vec<u8>> {
    let arg = (
        0..3u8,
        prop_oneof![
            "[a-z=-]{0,12}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..40),
            "[a-z]{100,600}".prop_map(String::into_bytes),
        ],
    );
    proptest::collection::vec(arg, 0..24).prop_map(|args| {
        let mut body = format!("argc={}", args.len()).into_bytes();
        for (i, (form, arg)) in args.iter().enumerate() {
            let hex: String = arg.iter().map(|b| format!("{b:02X}")).collect();
            let quoted = !arg.iter().any(|&b| b == b'"' || !(0x21..0x7f).contains(&b));
            match form {
                0 if quoted => {
                    body.extend(format!(" a{i}=\"{}\"", String::from_utf8_lossy(arg)).bytes())
                }
                2 => {
                    body.extend(format!(" a{i}_len={}", arg.len()).bytes());
                    for (part, piece) in hex.as_bytes().chunks(20).enumerate() {
                        body.extend(format!(" a{i}[{part}]=").bytes());
                        body.extend_from_slice(piece);
                    }
                }
                _ => body.extend(format!(" a{i}={hex}").bytes()),
            }
        }
        body
    })
}

/// Events with EXECVE records of many arguments beside the usual records.
fn argument_records() -> impl Strategy<Value = Vec<(u16, Vec<u8>)>> {
    let record = prop_oneof![
        2 => (proptest::sample::select(TYPES), body()),
        2 => execve_body().prop_map(|b| (1309u16, b)),
    ];
    proptest::collection::vec(record, 0..6)
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
    fn every_shape_is_valid_json_within_its_room(
        serial in any::<u32>(),
        ts in timestamp(),
        records in prop_oneof![records(), argument_records()],
        arena in prop_oneof![Just(1usize << 16), 0..512usize],
        size in prop_oneof![0..MIN_BUFFER, size()],
        named in any::<bool>(),
    ) {
        with_events(serial, ts, &records, arena, |event| {
            if named {
                check_shapes(event, size, &mut ShapeEnrich);
            } else {
                check_shapes(event, size, &mut NoEnrich);
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
