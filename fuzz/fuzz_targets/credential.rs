//! `ONBOARD_CREDENTIAL` (`ExportedCredential::from_json`): any text, no panic, and a parsed
//! credential survives `to_json` unchanged.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(credential) = onboard::store::ExportedCredential::from_json(text) {
        let again = onboard::store::ExportedCredential::from_json(&credential.to_json());
        assert_eq!(again.ok(), Some(credential));
    }
});
