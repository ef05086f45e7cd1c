#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    raudit_fuzz::rewrite_target::rewrite(data);
});
