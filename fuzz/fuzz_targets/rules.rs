#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| raudit_fuzz::daemon_targets::rules(data));
