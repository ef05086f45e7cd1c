//! `cargo fuzz run user_message`: the libFuzzer entry of [`raudit_fuzz::core_targets::user_message`] (its doc says what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| raudit_fuzz::core_targets::user_message(data));
