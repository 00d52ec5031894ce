//! Invitation links (`invite::inputs::parse_invitation`): any text, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = onboard::commands::invite::inputs::parse_invitation(text);
    }
});
