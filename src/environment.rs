//! The environment variables onboard reads that are not flags, and the one function that reads
//! them. The flags' own variables (`ONBOARD_PROFILE`, ...) are declared with `env` on their clap
//! arguments; the man pages and docs/reference.md list both, and a test holds them to these definitions.
//! Only `deps` calls [`Var::os`] and [`Var::text`].

use std::ffi::OsString;

use crate::store::env::CREDENTIAL_VAR;

/// A variable that changes what onboard does without being a flag. `Var::VARIANTS`
/// ([`strum::VariantArray`]) lists every one, in the order the man pages list them: this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::VariantArray)]
pub enum Var {
    Credential,
    HttpTimeout,
    HttpsProxy,
    NoProxy,
    NoColor,
    Browser,
    Display,
    Ssh,
    VaultAddr,
    VaultToken,
    VaultNamespace,
    VaultCaCert,
    VaultPrefix,
    Accessible,
}

impl Var {
    /// The names read, the documented one first; the first one set wins.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Var::Credential => &[CREDENTIAL_VAR],
            Var::HttpTimeout => &["ONBOARD_HTTP_TIMEOUT"],
            Var::HttpsProxy => &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
            Var::NoProxy => &["NO_PROXY", "no_proxy"],
            Var::NoColor => &["NO_COLOR"],
            Var::Browser => &["BROWSER"],
            Var::Display => &["DISPLAY", "WAYLAND_DISPLAY"],
            Var::Ssh => &["SSH_CONNECTION", "SSH_TTY"],
            Var::VaultAddr => &["VAULT_ADDR", "BAO_ADDR"],
            Var::VaultToken => &["VAULT_TOKEN", "BAO_TOKEN"],
            Var::VaultNamespace => &["VAULT_NAMESPACE", "BAO_NAMESPACE"],
            Var::VaultCaCert => &["VAULT_CACERT", "BAO_CACERT"],
            Var::VaultPrefix => &["ONBOARD_VAULT_PREFIX"],
            Var::Accessible => &["ACCESSIBLE"],
        }
    }

    /// The documented name.
    pub fn name(self) -> &'static str {
        self.names()[0]
    }

    /// What it does, in one or two sentences for the man pages and docs/reference.md.
    pub fn meaning(self) -> &'static str {
        match self {
            Var::Credential => {
                "The JSON that `onboard export` printed, for CI: used instead of the saved \
                 profiles and the credential store."
            }
            Var::HttpTimeout => {
                "The timeout of each HTTP request, a duration such as 10s or 1m (default 30s, at \
                 most 24h)."
            }
            Var::HttpsProxy => "The proxy for HTTPS requests.",
            Var::NoProxy => "Hosts reached without the proxy.",
            Var::NoColor => "When set and not empty, no colour with --color auto.",
            Var::Browser => {
                "The command that opens the sign-in page; also used in SSH sessions and without \
                 a display."
            }
            Var::Display => {
                "A display: without one (on Linux) the code is not copied to the clipboard and \
                 no browser is opened unless BROWSER is set."
            }
            Var::Ssh => {
                "An SSH session: no browser is opened unless BROWSER is set, and the wizard says \
                 why."
            }
            Var::VaultAddr => "With --store vault: the vault's URL.",
            Var::VaultToken => "With --store vault: the vault token; never printed.",
            Var::VaultNamespace => "With --store vault: the namespace (Vault Enterprise, OpenBao).",
            Var::VaultCaCert => {
                "With --store vault: a PEM file with the CA that signed the vault's certificate."
            }
            Var::VaultPrefix => {
                "With --store vault: the path prefix of onboard's entries (default onboard/)."
            }
            Var::Accessible => {
                "When set and not empty: static lines for screen readers, as invite \
                 --accessible (numbered choices, no spinner or box, the time left once a minute); \
                 remove asks the same way and validate --all shows no progress line."
            }
        }
    }

    /// The value of the first of its names that is set, as it is (perhaps empty).
    pub fn os(self) -> Option<OsString> {
        self.names().iter().find_map(std::env::var_os)
    }

    /// Like [`Var::os`], and removes every one of its names from the process environment so
    /// that no child process inherits it. Only safe before any other thread starts.
    pub fn take(self) -> Option<OsString> {
        let value = self.os();
        for name in self.names() {
            // SAFETY: called first thing in `main`, before the runtime or any other thread
            // starts, so nothing reads the environment concurrently.
            unsafe { std::env::remove_var(name) };
        }
        value
    }

    /// The value of the first of its names that is set to text other than blanks.
    pub fn text(self) -> Option<String> {
        self.names()
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }
}

/// This process's whole environment except `vars` (every one of their names), for a child
/// process that must not inherit them.
pub fn without(vars: &[Var]) -> Vec<(OsString, OsString)> {
    std::env::vars_os()
        .filter(|(name, _)| {
            !vars
                .iter()
                .flat_map(|var| var.names())
                .any(|secret| name == secret)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use strum::VariantArray;

    #[test]
    fn every_variable_says_what_it_means_in_a_sentence() {
        for var in Var::VARIANTS {
            assert!(var.meaning().ends_with('.'), "{var:?}");
        }
    }
}
