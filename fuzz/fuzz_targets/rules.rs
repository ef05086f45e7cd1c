//! `cargo fuzz run rules`: the libFuzzer entry of [`raudit_fuzz::daemon_targets::rules`] (its doc says what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| raudit_fuzz::daemon_targets::rules(data));
