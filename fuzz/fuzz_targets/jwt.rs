//! JWT claims (`flow::jwt::decode`): any text, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = onboard::flow::jwt::decode(text);
    }
});
