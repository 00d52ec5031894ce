//! The environment variables onboard reads that are not flags, and the one function that reads
//! them. The flags' own variables (`ONBOARD_PROFILE`, ...) are declared with `env` on their clap
//! arguments; the man pages and README list both, and a test holds them to these definitions.
//! Only `deps` calls [`Var::os`] and [`Var::text`].

use std::ffi::OsString;

use crate::store::env::CREDENTIAL_VAR;

/// A variable that changes what onboard does without being a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Var {
    Credential,
    HttpTimeout,
    HttpsProxy,
    NoProxy,
    NoColor,
    Browser,
    Display,
    Ssh,
}

impl Var {
    /// Every variable, in the order the man pages list them.
    pub const ALL: [Var; 8] = [
        Var::Credential,
        Var::HttpTimeout,
        Var::HttpsProxy,
        Var::NoProxy,
        Var::NoColor,
        Var::Browser,
        Var::Display,
        Var::Ssh,
    ];

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
        }
    }

    /// The documented name.
    pub fn name(self) -> &'static str {
        self.names()[0]
    }

    /// What it does, in one or two sentences for the man pages and README.
    pub fn meaning(self) -> &'static str {
        match self {
            Var::Credential => {
                "The JSON that `onboard export` printed, for CI: used instead of the saved \
                 profiles and the credential store."
            }
            Var::HttpTimeout => {
                "The timeout of each HTTP request, a duration such as 10s or 1m (default 30s)."
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
        }
    }

    /// The value of the first of its names that is set, as it is (perhaps empty).
    pub fn os(self) -> Option<OsString> {
        self.names().iter().find_map(std::env::var_os)
    }

    /// The value of the first of its names that is set to text other than blanks.
    pub fn text(self) -> Option<String> {
        self.names()
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_is_listed_once() {
        // A new variable fails to compile here until it has its place in `Var::ALL`.
        let position = |var: Var| match var {
            Var::Credential => 0,
            Var::HttpTimeout => 1,
            Var::HttpsProxy => 2,
            Var::NoProxy => 3,
            Var::NoColor => 4,
            Var::Browser => 5,
            Var::Display => 6,
            Var::Ssh => 7,
        };
        for (i, var) in Var::ALL.into_iter().enumerate() {
            assert_eq!(position(var), i, "{var:?}");
            assert!(var.meaning().ends_with('.'), "{var:?}");
        }
    }
}
