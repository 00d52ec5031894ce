//! One module per command; each takes its arguments and the dependencies it needs. A command
//! never uses another: what they share (a connection's life) is in `crate::connection`.

pub mod completions;
pub mod consent_url;
pub mod doctor;
pub mod export;
pub mod invite;
pub mod list;
pub mod permissions;
pub mod remove;
pub mod simulate;
pub mod token;
pub mod validate;
