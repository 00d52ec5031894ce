//! The token endpoint's answer (`flow::parse_tokens`), id_token claims included: no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = onboard::flow::parse_tokens(data, &["User.Read".to_owned()]);
});
