//! `cargo fuzz run replay`: the libFuzzer entry of [`raudit_fuzz::replay_target::replay`] (its doc says what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| raudit_fuzz::replay_target::replay(data));
