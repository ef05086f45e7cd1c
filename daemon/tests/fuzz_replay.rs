//! The `replay` fuzz target's body as a stable test: the daemon's replay
//! pipeline over the seeds (built-in, plus chunks of the shared corpus when
//! present) and a few thousand deterministic pseudo-random inputs and
//! mutations, read both as auditd logs and as netlink captures. The body
//! is `fuzz/src/replay_target.rs`; see `fuzz/README.md`.

#[path = "../../fuzz/src/assembler_check.rs"]
mod assembler_check;
#[path = "../../fuzz/src/core_targets.rs"]
mod core_targets;
#[path = "../../fuzz/src/encode_check.rs"]
mod encode_check;
#[path = "../../fuzz/src/harness.rs"]
mod harness;
#[path = "../../fuzz/src/replay_target.rs"]
mod replay_target;
#[path = "../../fuzz/src/shape_check.rs"]
mod shape_check;

use harness::{all_seeds, run, Corpus};

#[test]
fn replay() {
    let corpus = Corpus::shared();
    let seeds = all_seeds("replay", corpus.as_ref());
    run(replay_target::replay, &seeds, 3000, 0x5eed_0005);
}
