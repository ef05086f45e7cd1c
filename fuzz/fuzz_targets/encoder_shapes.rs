#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    raudit_fuzz::core_targets::encoder_shapes(data);
});
