//! Every failure `onboard` reports: its kind (which decides the exit code), one line that says
//! what happened, a hint that says what to do, and the server's ids for a support ticket. Also
//! the one description of every exit code.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use strum::VariantArray;

use crate::oauth::OAuthError;

/// What kind of failure it is, which decides the exit code. The order is the severity used by
/// `--all` ("highest code wins"); `Kind::VARIANTS` lists them in that order. [`Kind::status`] is the one description of each exit code:
/// `--help`, the man pages and README are derived from it or tested against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, VariantArray)]
pub enum Kind {
    Unexpected,
    Usage,
    NotOnboarded,
    SignInAgain,
    Unreachable,
    PermissionMissing,
    StoreUnavailable,
    Interrupted,
}

/// One exit code as users read it: its number, a short name (`--help`) and its meaning (the man
/// pages and README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitStatus {
    pub code: i32,
    pub name: &'static str,
    pub meaning: &'static str,
}

/// Exit code 0, which no failure carries.
pub const SUCCESS: ExitStatus = ExitStatus {
    code: 0,
    name: "success",
    meaning: "success (validate: every profile valid)",
};

impl Kind {
    pub fn exit_code(self) -> i32 {
        self.status().code
    }

    pub fn status(self) -> ExitStatus {
        let (code, name, meaning) = match self {
            Kind::Unexpected => (
                1,
                "unexpected error",
                "unexpected error: a bug in onboard (please report it)",
            ),
            Kind::Usage => (
                2,
                "usage",
                "usage: bad or missing arguments; a malformed tenant, GUID, UPN or URL; a tenant, \
                 registration or scope that does not exist",
            ),
            Kind::NotOnboarded => (
                3,
                "not onboarded",
                "not onboarded: no saved credential for the profile",
            ),
            Kind::SignInAgain => (
                4,
                "sign in again",
                "sign in again: refresh token expired or revoked, code expired or declined, account \
                 disabled or locked, MFA or a new password needed, the wrong account signed in",
            ),
            Kind::Unreachable => (
                5,
                "service unreachable",
                "service unreachable or failing: network, DNS, TLS, 5xx, 429 after retries; retry \
                 later",
            ),
            Kind::PermissionMissing => (
                6,
                "permission missing",
                "permission missing: consent not granted, admin approval required or pending, \
                 required scope absent, public client flows off, blocked by Conditional Access",
            ),
            Kind::StoreUnavailable => (
                7,
                "credential store unavailable",
                "credential store unavailable: no keyring, locked keyring, store write failed",
            ),
            Kind::Interrupted => (
                130,
                "interrupted",
                "interrupted (Ctrl-C, SIGTERM, SIGHUP, or a closed output); nothing half-saved",
            ),
        };
        ExitStatus {
            code,
            name,
            meaning,
        }
    }
}

/// Every exit code onboard gives, 0 first.
pub fn exit_statuses() -> impl Iterator<Item = ExitStatus> {
    std::iter::once(SUCCESS).chain(Kind::VARIANTS.iter().map(|k| k.status()))
}

/// The one-paragraph summary of the exit codes at the end of `onboard --help`.
pub fn exit_codes_summary() -> String {
    let codes: Vec<String> = exit_statuses()
        .map(|s| format!("{} {}", s.code, s.name))
        .collect();
    format!("Exit codes: {}.", codes.join(", "))
}

/// How `--all` combines the profiles' exit codes.
pub const ALL_PROFILES_EXIT: &str =
    "With --all, the exit code is the highest of the failing profiles'.";

/// Declares onboard's own failure codes once: the variant, its wire spelling, where the code
/// alone decides it its kind (`_`: the place that builds the error decides), and the hint when
/// it is always the same.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal => $kind:tt $(; hint $hint:literal)?,)*) => {
        /// The machine-readable `code` of a failure (the JSON outputs' `code`, JUnit's failure
        /// `type`): onboard's own, or the word a server sent.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
            /// The OAuth `error` a server sent (`invalid_grant`, `expired_token`, ...), or that
            /// word for the same failure found another way; `flow::classify` decides its kind.
            OAuth(OAuthError),
            /// Microsoft Graph's error `code` (`Authorization_RequestDenied`, ...).
            Graph(String),
        }

        impl Code {
            /// onboard's own codes, in the order declared.
            pub const OWN: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as the JSON outputs spell it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Code::$variant => $wire,)*
                    Code::OAuth(error) => error.as_str(),
                    Code::Graph(code) => code,
                }
            }

            /// The kind this code always is; `None` where the failure's cause decides.
            pub fn kind(&self) -> Option<Kind> {
                match self {
                    $(Code::$variant => codes!(@kind $kind),)*
                    Code::OAuth(_) | Code::Graph(_) => None,
                }
            }

            /// The hint every failure with this code gets, where it is always the same.
            pub fn hint(&self) -> Option<&'static str> {
                match self {
                    $(Code::$variant => None $(.or(Some($hint)))?,)*
                    Code::OAuth(_) | Code::Graph(_) => None,
                }
            }
        }
    };
    (@kind _) => { None };
    (@kind $kind:ident) => { Some(Kind::$kind) };
}

codes! {
    /// Bad or missing arguments.
    Usage = "usage" => Usage,
    /// The ID token could not be read or was not for this sign-in.
    BadIdToken = "bad_id_token" => Usage,
    /// A prompt needs a terminal and there is none.
    Terminal = "terminal" => Usage,
    /// A server redirected somewhere onboard does not follow.
    RedirectRefused = "redirect_refused" => Usage,
    /// The authority has no OpenID Connect discovery document.
    NoDiscovery = "no_discovery" => Usage,
    /// A file of onboard's is not one it can read.
    CorruptFile = "corrupt_file" => Usage,
    /// `ONBOARD_CREDENTIAL` is not what `onboard export` prints.
    BadCredential = "bad_credential" => Usage,
    /// The simulated tenant cannot listen on the port asked for.
    PortUnavailable = "port_unavailable" => Usage,
    /// A saved profile signs in at a server that is not a Microsoft cloud, which this machine does not allow.
    AuthorityNotAllowed = "authority_not_allowed" => Usage,
    /// The profile exists and replacing it was not confirmed.
    ProfileExists = "profile_exists" => Usage,
    /// The identity provider does not say which account signed in, and no `--account` names it.
    UnknownAccount = "unknown_account" => Usage,
    /// The sign-in page is not on the authority's host.
    UntrustedSignInPage = "untrusted_sign_in_page" => Usage,
    /// A bug in onboard.
    Internal = "internal" => Unexpected;
        hint "this is a bug in onboard: please report it with the command you ran",
    /// The HTTP client could not be built.
    HttpClient = "http_client" => Unexpected,
    /// A report file (`--junit`, `--metrics`) could not be written.
    ReportNotWritten = "report_not_written" => Unexpected,
    /// `simulate --tls` could not make its certificates.
    Tls = "tls" => Unexpected,
    /// No saved credential for the profile.
    NotOnboarded = "not_onboarded" => NotOnboarded,
    /// The sign-in was in another tenant.
    WrongTenant = "wrong_tenant" => SignInAgain;
        hint "sign in with the service account of the invited tenant (use a private browser window to avoid a cached account)",
    /// Another account signed in.
    WrongAccount = "wrong_account" => SignInAgain,
    /// The sign-in was declined, or the account requested admin approval (Entra answers both alike).
    DeclinedOrApprovalRequested = "declined_or_approval_requested" => SignInAgain,
    /// No answer: connection, DNS, TLS or timeout.
    Network = "network" => Unreachable,
    /// No loopback port for the browser sign-in.
    LoopbackUnavailable = "loopback_unavailable" => Unreachable,
    /// Something answered that is not the server onboard expected.
    UnexpectedResponse = "unexpected_response" => Unreachable,
    /// An answer larger than onboard reads.
    ResponseTooLarge = "response_too_large" => Unreachable,
    /// HTTP 429 after the retries.
    Throttled = "throttled" => Unreachable,
    /// The discovery document is malformed.
    BadDiscovery = "bad_discovery" => Unreachable,
    /// `doctor`: a host name does not resolve.
    Dns = "dns" => Unreachable,
    /// A `--require-scope` was not granted.
    ScopeMissing = "scope_missing" => PermissionMissing,
    /// The server gave no refresh token.
    NoRefreshToken = "no_refresh_token" => PermissionMissing,
    /// Admin approval is still pending.
    ApprovalPending = "approval_pending" => PermissionMissing,
    /// `ONBOARD_CREDENTIAL` is read-only.
    EnvironmentStore = "environment_store" => StoreUnavailable,
    /// Others could change the config directory.
    UnsafeConfigDir = "unsafe_config_dir" => StoreUnavailable,
    /// Another onboard process holds a file's lock.
    Locked = "locked" => StoreUnavailable,
    /// Others could change a private directory.
    UnsafeDir = "unsafe_dir" => StoreUnavailable,
    /// A file could not be read or written.
    File = "file" => StoreUnavailable,
    /// Another onboard process is using the profile.
    ProfileLocked = "profile_locked" => StoreUnavailable,
    /// A saved credential is damaged.
    StoreDamaged = "store_damaged" => StoreUnavailable,
    /// The credential store did not answer in time.
    StoreTimeout = "store_timeout" => StoreUnavailable,
    /// `doctor`: the credential store failed its probe.
    StoreProbe = "store_probe" => StoreUnavailable,
    /// No keyring is available.
    NoKeyring = "no_keyring" => StoreUnavailable,
    /// The keyring is locked or refused access.
    KeyringLocked = "keyring_locked" => StoreUnavailable,
    /// Several keyring entries match the profile.
    KeyringAmbiguous = "keyring_ambiguous" => StoreUnavailable,
    /// Any other keyring failure.
    KeyringFailed = "keyring_failed" => StoreUnavailable,
    /// The vault's settings are missing or wrong.
    VaultConfig = "vault_config" => StoreUnavailable,
    /// The vault does not answer.
    VaultUnreachable = "vault_unreachable" => StoreUnavailable,
    /// The vault answered with a redirect.
    VaultRedirect = "vault_redirect" => StoreUnavailable,
    /// The vault refused the token.
    VaultForbidden = "vault_forbidden" => StoreUnavailable,
    /// No KV engine at the mount.
    VaultNoRoute = "vault_no_route" => StoreUnavailable,
    /// The vault is sealed.
    VaultSealed = "vault_sealed" => StoreUnavailable,
    /// The vault is throttling.
    VaultThrottled = "vault_throttled" => StoreUnavailable,
    /// The vault is failing (5xx).
    VaultFailing = "vault_failing" => StoreUnavailable,
    /// Any other refusal by the vault.
    VaultRefused = "vault_refused" => StoreUnavailable,
    /// The mount is not a KV version 2 engine.
    VaultNotKv2 = "vault_not_kv2" => StoreUnavailable,
    /// A profile the vault held earlier in this run is gone.
    VaultLost = "vault_lost" => StoreUnavailable,
    /// A vault entry lacks what onboard wrote in it.
    VaultEntry = "vault_entry" => StoreUnavailable,
    /// Another writer changed the entry first.
    VaultConflict = "vault_conflict" => StoreUnavailable,
    /// Ctrl-C, a signal or a closed output.
    Interrupted = "interrupted" => Interrupted,
    /// A file written by a newer onboard (its kind depends on the file).
    NewerFile = "newer_file" => _,
    /// `invite --demo` could not set up its tenant or store.
    Demo = "demo" => _,
    /// `doctor`: checks failed (the worst one's kind).
    Doctor = "doctor" => _,
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Tests and scripts hold the wire spelling: `assert_eq!(error.code, "invalid_grant")`.
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A failure as the JSON outputs carry it: `validate`'s `error`, `permissions`' `grants_error`,
/// the `error` event of `invite --json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ErrorOutput {
    /// The exit code this failure gives (2 usage, 3 not onboarded, 4 sign in again, ...).
    pub exit_code: i32,
    /// A stable machine-readable code: the server's OAuth `error` when it sent one
    /// (`invalid_grant`), otherwise onboard's own (`network`, `scope_missing`, ...).
    pub code: Code,
    /// The first AADSTS code Microsoft sent (`AADSTS700082`).
    pub aadsts: Option<String>,
    /// One line: what happened.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// Microsoft's correlation ID, for a support ticket.
    pub correlation_id: Option<String>,
    /// Microsoft's trace ID, for a support ticket.
    pub trace_id: Option<String>,
    /// The `client-request-id` this run sent: the tenant's admin finds the sign-in by it.
    pub client_request_id: Option<String>,
}

impl JsonSchema for Code {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Code".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let own: Vec<&str> = Code::OWN.iter().map(Code::as_str).collect();
        json_schema!({
            "type": "string",
            "description": "onboard's own code (listed in `examples`), or the word the server sent (an OAuth `error` such as `invalid_grant`, a Microsoft Graph error code).",
            "minLength": 1,
            "examples": own
        })
    }
}

/// A failure as the user sees it. `message` is one line; `hint` says what to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    /// A stable machine-readable code: the OAuth `error` when a server gave one
    /// (`invalid_grant`, `expired_token`), otherwise onboard's own (`network`, `usage`, ...).
    pub code: Code,
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
    /// A failure whose code decides its kind ([`Code::kind`]) and, where it is always the same,
    /// its hint ([`Code::hint`]).
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        let kind = code.kind().unwrap_or(Kind::Unexpected);
        Error::classified(kind, code, message)
    }

    /// A failure whose kind its cause decides: a server's answer, the file it is about.
    pub fn classified(kind: Kind, code: Code, message: impl Into<String>) -> Self {
        Error {
            kind,
            hint: code.hint().map(str::to_owned),
            code,
            oauth: None,
            aadsts: None,
            message: one_line(&message.into()),
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
        Error::new(Code::Usage, message)
    }

    pub fn unexpected(message: impl Into<String>) -> Self {
        Error::new(Code::Internal, message)
    }

    pub fn interrupted() -> Self {
        Error::new(Code::Interrupted, "interrupted; nothing was saved")
    }

    /// Interrupted after the wizard saved the credential: it stays saved.
    pub fn interrupted_after_save() -> Self {
        Error::new(
            Code::Interrupted,
            "interrupted after the credential was saved",
        )
        .with_hint("check the saved profile with `onboard validate --profile NAME`")
    }

    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }

    /// Whether the server's correlation ID is this run's `client-request-id`: Entra names the
    /// ID it was sent that way, so it is one ID, to be named once.
    pub fn correlates_to_this_run(&self) -> bool {
        matches!(
            (&self.correlation_id, crate::request_id::sent_request_id()),
            (Some(c), Some(r)) if c.eq_ignore_ascii_case(r)
        )
    }

    /// The ids Microsoft support asks for, as one suffix for the message line.
    pub fn support_ids(&self) -> Option<String> {
        match (&self.correlation_id, &self.trace_id) {
            (None, None) => {
                crate::request_id::sent_request_id().map(|r| format!("client request ID {r}"))
            }
            (c, t) => {
                let same = self.correlates_to_this_run();
                let mut parts = Vec::new();
                match c {
                    Some(c) if same => parts.push(format!("correlation and client request ID {c}")),
                    Some(c) => parts.push(format!("correlation ID {c}")),
                    None => {}
                }
                if let Some(t) = t {
                    parts.push(format!("trace ID {t}"));
                }
                if let Some(r) = crate::request_id::sent_request_id()
                    && !same
                {
                    parts.push(format!("client request ID {r}"));
                }
                Some(parts.join(", "))
            }
        }
    }

    /// The error object of the JSON outputs.
    pub fn to_output(&self) -> ErrorOutput {
        ErrorOutput {
            exit_code: self.exit_code(),
            code: self.code.clone(),
            aadsts: self.aadsts.map(|n| format!("AADSTS{n}")),
            message: self.message.clone(),
            hint: self.hint.clone(),
            correlation_id: self.correlation_id.clone(),
            trace_id: self.trace_id.clone(),
            client_request_id: crate::request_id::sent_request_id().map(str::to_owned),
        }
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

/// Servers and OS errors put line breaks (and worse) in their text; a message stays one line
/// of printable characters.
fn one_line(text: &str) -> String {
    crate::text::one_line(text, MAX_MESSAGE)
}

/// Longer than any message onboard writes around a server's words.
const MAX_MESSAGE: usize = 2000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_the_documented_numbers() {
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
    fn every_kind_is_listed_once_in_order_of_severity() {
        // A new kind fails to compile here until it has its place in the order of severity.
        let position = |kind: Kind| match kind {
            Kind::Unexpected => 0,
            Kind::Usage => 1,
            Kind::NotOnboarded => 2,
            Kind::SignInAgain => 3,
            Kind::Unreachable => 4,
            Kind::PermissionMissing => 5,
            Kind::StoreUnavailable => 6,
            Kind::Interrupted => 7,
        };
        for (i, &kind) in Kind::VARIANTS.iter().enumerate() {
            assert_eq!(position(kind), i, "{kind:?}");
        }
        assert!(Kind::VARIANTS.windows(2).all(|w| w[0] < w[1]));
        let codes: Vec<i32> = exit_statuses().map(|s| s.code).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "{codes:?}");
        for status in exit_statuses() {
            assert!(status.meaning.starts_with(status.name), "{status:?}");
            assert!(!status.meaning.contains("  "), "{}", status.meaning);
        }
    }

    #[test]
    fn own_codes_are_distinct_snake_case_words_that_no_server_word_shadows() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::OWN {
            let wire = code.as_str();
            assert!(seen.insert(wire), "{wire} twice");
            assert!(
                wire.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{wire}"
            );
            assert!(
                matches!(OAuthError::from(wire), OAuthError::Other(_)),
                "{wire} is an OAuth word: use Code::OAuth"
            );
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, wire);
        }
        let oauth = Code::OAuth(OAuthError::InvalidGrant);
        assert_eq!(serde_json::to_value(&oauth).unwrap(), "invalid_grant");
        assert_eq!(
            Code::Graph("Authorization_RequestDenied".into()).as_str(),
            "Authorization_RequestDenied"
        );
    }

    #[test]
    fn a_code_that_decides_its_kind_and_hint_gives_them() {
        let e = Error::new(Code::WrongTenant, "m");
        assert_eq!(e.kind, Kind::SignInAgain);
        assert!(e.hint.as_deref().unwrap().contains("invited tenant"));
        let e = Error::new(Code::Network, "m");
        assert_eq!((e.kind, e.hint), (Kind::Unreachable, None));
        assert_eq!(Error::unexpected("m").exit_code(), 1);
        assert!(Error::unexpected("m").hint.unwrap().contains("bug"));
    }

    #[test]
    fn messages_are_one_line() {
        let e = Error::new(Code::Network, "AADSTS1: a\r\nTrace ID: b\n").with_hint("do\nthis");
        assert_eq!(e.message, "AADSTS1: a Trace ID: b");
        assert_eq!(e.hint.as_deref(), Some("do this"));
    }

    #[test]
    fn support_ids_are_shown_after_the_message() {
        let mut e = Error::classified(
            Kind::SignInAgain,
            Code::OAuth(OAuthError::InvalidGrant),
            "refresh token expired",
        );
        e.correlation_id = Some("c-1".into());
        e.trace_id = Some("t-2".into());
        assert_eq!(
            e.to_string(),
            "refresh token expired (correlation ID c-1, trace ID t-2)"
        );
    }
}
