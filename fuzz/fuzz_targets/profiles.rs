//! `profiles.json` (`ProfilesFile::parse`): any bytes, no panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = onboard::profiles::ProfilesFile::parse(data, std::path::Path::new("profiles.json"));
});
