//! Fixtures shared by the integration tests.

pub mod hostile;
pub mod keyring;
pub mod onboarded;
// A Unix pseudo-terminal (expectrl, waitpid). On Windows the key reading is covered by the
// unit tests of src/ui/term.rs and the commands by the Wine suite.
#[cfg(unix)]
pub mod pty;
pub mod sim;
pub mod vault;

use assert_cmd::cargo::cargo_bin;

/// The commands `onboard --help` lists: only those that work.
pub const WORKING_COMMANDS: &[&str] = &[
    "invite",
    "validate",
    "token",
    "permissions",
    "list",
    "export",
    "remove",
    "consent-url",
    "doctor",
    "simulate",
    "completions",
    "help",
];

/// onboard's settings in the environment: no test command inherits the developer's.
pub const ONBOARD_SETTINGS: [&str; 8] = [
    "ONBOARD_PROFILE",
    "ONBOARD_CONFIG_DIR",
    "ONBOARD_STORE",
    "ONBOARD_CREDENTIAL",
    "ONBOARD_CA_CERT",
    "ONBOARD_HTTP_TIMEOUT",
    "ONBOARD_ALLOW_AUTHORITY",
    "ONBOARD_VAULT_PREFIX",
];

/// The real binary, isolated from the user's config directory and keyring settings.
pub fn onboard() -> std::process::Command {
    let mut command = std::process::Command::new(cargo_bin("onboard"));
    for var in ONBOARD_SETTINGS {
        command.env_remove(var);
    }
    command.env("NO_COLOR", "1");
    command
}

/// A blocking HTTP client for tests (reqwest is built without a default TLS provider).
pub fn http() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::new()
}
