#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| raudit_fuzz::core_targets::user_message(data));
