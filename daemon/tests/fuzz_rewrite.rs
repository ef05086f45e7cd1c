//! The `rewrite` fuzz target's body as a stable test (no nightly needed):
//! redaction and field choice over its seeds (built-in, plus events of the
//! shared corpus when present), a few thousand deterministic mutations and
//! random inputs, and proptest inputs shaped like the target's (EXECVE
//! and PROCTITLE records built from arguments that hold the secret, field
//! rules over the keys records have). The body and its invariants are in
//! `fuzz/src/rewrite_target.rs`; see `fuzz/README.md`.

#[path = "../../fuzz/src/assembler_check.rs"]
mod assembler_check;
#[path = "../../fuzz/src/core_targets.rs"]
mod core_targets;
#[path = "../../fuzz/src/encode_check.rs"]
mod encode_check;
#[path = "../../fuzz/src/harness.rs"]
mod harness;
#[path = "../../fuzz/src/rewrite_target.rs"]
mod rewrite_target;
#[path = "../../fuzz/src/shape_check.rs"]
mod shape_check;

use proptest::prelude::*;

use harness::{run, Corpus};
use rewrite_target::{rewrite, seeds, KEYS, MAX_SECRET, RECORD_TYPES};

#[test]
fn rewrite_seeds_and_mutations() {
    let corpus = Corpus::shared();
    let events = match &corpus {
        Some(corpus) => corpus.argument_events(300),
        None => {
            println!("shared corpus absent: skipped its events (built-in seeds only)");
            Vec::new()
        }
    };
    let done = std::cell::Cell::new((0u64, 0u64, shape_check::Seen::default()));
    run(
        |data| {
            let d = rewrite(data);
            let (replaced, dropped, seen) = done.get();
            done.set((replaced + d.replaced, dropped + d.dropped, seen + d.shapes));
        },
        &seeds(&events),
        4000,
        0x5eed_0201,
    );
    // The inputs reach redaction, field choice and the marked documents.
    let (replaced, dropped, seen) = done.get();
    println!("{replaced} replaced, {dropped} fields dropped, {seen:?}");
    assert!(replaced > 0 && dropped > 0, "{replaced} {dropped}");
    seen.assert_every_outcome();
}

/// Bytes of one argument as the target reads it: `form len bytes` (an
/// index byte after `form` when its bit 7 says so).
fn argument() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<u8>(),
        any::<u8>(),
        prop_oneof![
            "[a-z=-]{0,12}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..47),
        ],
    )
        .prop_map(|(form, index, arg)| {
            let mut out = vec![form];
            if form & 0x80 != 0 {
                out.push(index);
            }
            out.push(arg.len() as u8);
            out.extend(arg);
            out
        })
}

/// One record as the target reads it: an EXECVE or PROCTITLE built from
/// arguments, or a raw body of a known type.
fn record() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => proptest::collection::vec(argument(), 0..6).prop_map(|args| {
            let mut out = vec![1, args.len() as u8];
            out.extend(args.concat());
            out
        }),
        2 => (any::<bool>(), proptest::collection::vec(argument(), 0..4)).prop_map(|(hex, args)| {
            let mut out = vec![2, args.len() as u8 | if hex { 0x80 } else { 0 }];
            out.extend(args.concat());
            out
        }),
        2 => (0..RECORD_TYPES.len(), "(([a-z_]{1,6}=(\"[ -~]{0,8}\"|[0-9A-F]{0,10}|[a-z]{0,5})|[a-z]{1,4}) ){0,10}")
            .prop_map(|(t, body)| {
                let mut out = vec![3 | (t as u8) << 2, body.len().min(255) as u8];
                out.extend(body.bytes().take(255));
                out
            }),
    ]
}

/// A field rule: a type, up to 4 keys from [`KEYS`], keep or drop.
fn rule() -> impl Strategy<Value = Vec<u8>> {
    (
        0..RECORD_TYPES.len(),
        proptest::collection::vec(0..KEYS.len(), 0..5),
        any::<bool>(),
    )
        .prop_map(|(t, keys, keep)| {
            let mut out = vec![t as u8, keys.len() as u8 | if keep { 0x80 } else { 0 }];
            out.extend(keys.iter().map(|&k| k as u8));
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn rewrite_shaped_inputs(
        redactions in proptest::collection::vec(any::<u8>(), 0..4),
        secret in prop_oneof![
            "[a-z=-]{1,8}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..=MAX_SECRET),
        ],
        rules in proptest::collection::vec(rule(), 0..4),
        records in proptest::collection::vec(record(), 0..8),
        size in prop_oneof![0..200u16, 0..8192u16],
        enrich in any::<bool>(),
        small_arena in any::<bool>(),
    ) {
        let flags = redactions.len() as u8
            | (rules.len() as u8) << 3
            | if enrich { 0x20 } else { 0 }
            | if small_arena { 0x40 } else { 0 };
        let mut input = vec![flags];
        input.extend(size.to_le_bytes());
        input.push(secret.len() as u8);
        input.extend(&secret);
        input.extend(&redactions);
        input.extend(rules.concat());
        input.extend(records.concat());
        let done = rewrite(&input);
        // A secret an argument holds is always found and replaced.
        if done.secret_found > 0 && !small_arena {
            prop_assert!(done.replaced > 0, "{done:?}");
        }
    }
}
