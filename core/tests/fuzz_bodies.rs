//! The core fuzz targets' bodies as stable tests (no nightly needed): each
//! runs over the seeds (built-in, plus the shared corpus's when present)
//! and a few thousand deterministic pseudo-random inputs and mutations.
//! The bodies and their invariants are in `fuzz/src/`; see `fuzz/README.md`
//! for running them under libFuzzer.

use std::sync::OnceLock;

#[path = "../../fuzz/src/assembler_check.rs"]
mod assembler_check;
#[path = "../../fuzz/src/core_targets.rs"]
mod core_targets;
#[path = "../../fuzz/src/encode_check.rs"]
mod encode_check;
#[path = "../../fuzz/src/harness.rs"]
mod harness;
#[path = "../../fuzz/src/shape_check.rs"]
mod shape_check;

use harness::{all_seeds, run, Corpus};

fn seeds(target: &str) -> Vec<Vec<u8>> {
    static CORPUS: OnceLock<Option<Corpus>> = OnceLock::new();
    all_seeds(target, CORPUS.get_or_init(Corpus::shared).as_ref())
}

#[test]
fn record() {
    run(core_targets::record, &seeds("record"), 20_000, 0x5eed_0001);
}

#[test]
fn netlink_stream() {
    run(
        core_targets::netlink_stream,
        &seeds("netlink_stream"),
        20_000,
        0x5eed_0002,
    );
}

#[test]
fn assembler_ops() {
    run(
        core_targets::assembler_ops,
        &seeds("assembler_ops"),
        5000,
        0x5eed_0003,
    );
}

#[test]
fn encoder() {
    run(core_targets::encoder, &seeds("encoder"), 5000, 0x5eed_0004);
}

/// The inputs reach every outcome in every shape: whole, cut, truncated,
/// nothing written.
#[test]
fn encoder_shapes() {
    let seen = std::cell::Cell::new(shape_check::Seen::default());
    run(
        |data| seen.set(seen.get() + core_targets::encoder_shapes(data)),
        &seeds("encoder_shapes"),
        3000,
        0x5eed_0007,
    );
    let seen = seen.get();
    println!("{seen:?}");
    seen.assert_every_outcome();
}

#[test]
fn user_message() {
    run(
        core_targets::user_message,
        &seeds("user_message"),
        5000,
        0x5eed_0006,
    );
}

/// Pieces user messages are made of, quotes and libaudit's fields among
/// them, for proptest's `user_message` inputs.
const MESSAGE_PIECES: &[&str] = &[
    "text=",
    "exe=\"/usr/sbin/auditctl\"",
    " exe=",
    "res=success",
    "res=failed",
    "msg='",
    "'",
    "\"",
    " ",
    "  ",
    "uid=12345",
    "op=PAM:session_open",
    "acct=\"root\"",
    "avc:",
    "{",
    "}",
    "hostname=?",
    "terminal=pts/0",
    "=",
    "x",
    "2F62696E",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    #[test]
    fn user_message_from_pieces(pieces in proptest::collection::vec(0..MESSAGE_PIECES.len(), 0..24)) {
        let text: String = pieces.iter().map(|&i| MESSAGE_PIECES[i]).collect();
        core_targets::user_message(text.as_bytes());
    }
}
