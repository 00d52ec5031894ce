//! One module per command; each takes its arguments and the dependencies it needs.

pub mod consent_url;
pub mod export;
pub mod invite;
pub mod list;
pub mod remove;
pub mod simulate;
pub mod validate;
