//! The OAuth protocol, free of terminal I/O: device-code request, the polling state machine,
//! the browser road (authorization code + PKCE, its loopback listener), refresh, the identity
//! check, and error classification. Reports progress through callbacks.

mod api;
pub mod browser;
pub mod classify;
mod device;
mod grants;
mod identity;
pub mod jwt;
pub mod loopback;
pub mod poll;
mod tokens;
mod wire;

pub use device::{
    DeviceCode, parse_device_code, request_device_code, request_device_code_retrying,
};
pub use grants::{Grant, permission_grants};
pub use identity::{Identity, organization_name, whoami};
pub use poll::{PollEvent, PollEventKind, poll_for_tokens};
pub use tokens::{
    TokenSet, VALIDATION_SCOPE, missing_scopes, normalize_scopes, parse_tokens, refresh,
    validation_scopes,
};

/// `onboard`'s default scopes, as `invite --help` states them.
pub const DEFAULT_SCOPES: [&str; 4] = ["openid", "profile", "offline_access", "User.Read"];
