//! The device authorization answer (`flow::parse_device_code`): any bytes, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = onboard::flow::parse_device_code(data);
});
