//! `cargo fuzz run assembler_ops`: the libFuzzer entry of [`raudit_fuzz::core_targets::assembler_ops`] (its doc says what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| raudit_fuzz::core_targets::assembler_ops(data));
