//! Every failure `onboard` reports: its kind (which is the contract's exit code), one line that
//! says what happened, a hint that says what to do, and the server's ids for a support ticket.

use std::fmt;

use serde::Serialize;
use serde_json::{Value, json};

use crate::oauth::OAuthError;

/// The contract's exit codes. The order is the severity used by `--all` ("highest code wins").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Kind {
    /// 1: a bug in onboard.
    Unexpected,
    /// 2: bad or missing arguments.
    Usage,
    /// 3: no saved credential for the profile.
    NotOnboarded,
    /// 4: the account must sign in again.
    SignInAgain,
    /// 5: network, TLS, 5xx, or 429 after retries.
    Unreachable,
    /// 6: consent, admin approval or a required scope is missing.
    PermissionMissing,
    /// 7: the credential store cannot be used.
    StoreUnavailable,
    /// 130: Ctrl-C.
    Interrupted,
}

impl Kind {
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Unexpected => 1,
            Kind::Usage => 2,
            Kind::NotOnboarded => 3,
            Kind::SignInAgain => 4,
            Kind::Unreachable => 5,
            Kind::PermissionMissing => 6,
            Kind::StoreUnavailable => 7,
            Kind::Interrupted => 130,
        }
    }
}

/// A failure as the user sees it. `message` is one line; `hint` says what to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    /// A stable machine-readable code: the OAuth `error` when a server gave one
    /// (`invalid_grant`, `expired_token`), otherwise onboard's own (`network`, `usage`, ...).
    pub code: String,
    /// The OAuth `error` the server sent, if any: what code decides on, never `code`'s text.
    pub oauth: Option<OAuthError>,
    /// The first AADSTS number Microsoft sent, if any.
    pub aadsts: Option<u32>,
    pub message: String,
    pub hint: Option<String>,
    pub correlation_id: Option<String>,
    pub trace_id: Option<String>,
    /// The command already showed this failure (e.g. `validate`'s per-profile lines): `main`
    /// exits with its code without printing it again.
    pub reported: bool,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            kind,
            code: code.into(),
            oauth: None,
            aadsts: None,
            message: one_line(&message.into()),
            hint: None,
            correlation_id: None,
            trace_id: None,
            reported: false,
        }
    }

    /// Marks the error as already shown to the user; only its exit code remains to be given.
    pub fn mark_reported(mut self) -> Self {
        self.reported = true;
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(one_line(&hint.into()));
        self
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(Kind::Usage, "usage", message)
    }

    pub fn unexpected(message: impl Into<String>) -> Self {
        Error::new(Kind::Unexpected, "internal", message)
            .with_hint("this is a bug in onboard: please report it with the command you ran")
    }

    pub fn interrupted() -> Self {
        Error::new(
            Kind::Interrupted,
            "interrupted",
            "interrupted; nothing was saved",
        )
    }

    /// Interrupted after the wizard saved the credential: it stays saved.
    pub fn interrupted_after_save() -> Self {
        Error::new(
            Kind::Interrupted,
            "interrupted",
            "interrupted after the credential was saved",
        )
        .with_hint("check the saved profile with `onboard validate --profile NAME`")
    }

    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }

    /// The ids Microsoft support asks for, as one suffix for the message line.
    pub fn support_ids(&self) -> Option<String> {
        match (&self.correlation_id, &self.trace_id) {
            (None, None) => None,
            (c, t) => {
                let mut parts = Vec::new();
                if let Some(c) = c {
                    parts.push(format!("correlation ID {c}"));
                }
                if let Some(t) = t {
                    parts.push(format!("trace ID {t}"));
                }
                Some(parts.join(", "))
            }
        }
    }

    /// The contract's error object: `{"exit_code","code","aadsts","message","hint"}`.
    pub fn to_json(&self) -> Value {
        json!({
            "exit_code": self.exit_code(),
            "code": self.code,
            "aadsts": self.aadsts.map(|n| format!("AADSTS{n}")),
            "message": self.message,
            "hint": self.hint,
            "correlation_id": self.correlation_id,
            "trace_id": self.trace_id,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(ids) = self.support_ids() {
            write!(f, " ({ids})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Servers and OS errors put line breaks in their text; a message stays on one line.
fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_contract() {
        let table = [
            (Kind::Unexpected, 1),
            (Kind::Usage, 2),
            (Kind::NotOnboarded, 3),
            (Kind::SignInAgain, 4),
            (Kind::Unreachable, 5),
            (Kind::PermissionMissing, 6),
            (Kind::StoreUnavailable, 7),
            (Kind::Interrupted, 130),
        ];
        for (kind, code) in table {
            assert_eq!(kind.exit_code(), code, "{kind:?}");
        }
    }

    #[test]
    fn messages_are_one_line() {
        let e =
            Error::new(Kind::Unreachable, "x", "AADSTS1: a\r\nTrace ID: b\n").with_hint("do\nthis");
        assert_eq!(e.message, "AADSTS1: a Trace ID: b");
        assert_eq!(e.hint.as_deref(), Some("do this"));
    }

    #[test]
    fn support_ids_are_shown_after_the_message() {
        let mut e = Error::new(Kind::SignInAgain, "invalid_grant", "refresh token expired");
        e.correlation_id = Some("c-1".into());
        e.trace_id = Some("t-2".into());
        assert_eq!(
            e.to_string(),
            "refresh token expired (correlation ID c-1, trace ID t-2)"
        );
    }
}
