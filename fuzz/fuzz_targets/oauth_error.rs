//! OAuth error bodies with Microsoft's fields (`OAuthErrorBody::parse`): no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = onboard::oauth::OAuthErrorBody::parse(data);
});
