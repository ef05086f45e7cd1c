//! `cargo fuzz run netlink_stream`: the libFuzzer entry of [`raudit_fuzz::core_targets::netlink_stream`] (its doc says what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| raudit_fuzz::core_targets::netlink_stream(data));
