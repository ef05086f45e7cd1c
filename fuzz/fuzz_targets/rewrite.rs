//! `cargo fuzz run rewrite`: the libFuzzer entry of [`raudit_fuzz::rewrite_target::rewrite`] (its doc says what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    raudit_fuzz::rewrite_target::rewrite(data);
});
