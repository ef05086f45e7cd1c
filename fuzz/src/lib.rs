//! raudit's fuzz targets: the bodies, shared with the stable test suites.
//!
//! Each target in `fuzz_targets/` is one line calling a body here; the
//! stable tests (`core/tests/fuzz_bodies.rs`, `daemon/tests/fuzz_replay.rs`,
//! and the property tests `assemble_model`/`encode_props`) include the same
//! files with `#[path]`, so what libFuzzer checks is what CI checks.
//!
//! - `record`, `netlink_stream`, `assembler_ops`, `encoder`,
//!   `encoder_shapes` in [`core_targets`];
//! - `user_message` (the nested `msg='…'`) in [`core_targets`] too;
//! - `replay` (the daemon's replay pipeline) in [`replay_target`];
//! - `rewrite` (redaction and field choice, `raudit.redact`/`raudit.fields`)
//!   in [`rewrite_target`];
//! - `config`, `rules`, `gelf`, `syslog` in [`daemon_targets`];
//! - the invariants and the assembler's reference model in
//!   [`assembler_check`], [`encode_check`] and [`shape_check`] (every
//!   JSON shape);
//! - a deterministic generator and seeds from the shared corpus in
//!   [`harness`].

pub mod assembler_check;
pub mod core_targets;
pub mod daemon_targets;
pub mod encode_check;
pub mod harness;
pub mod replay_target;
pub mod rewrite_target;
pub mod shape_check;
