//! One module per command; each takes its arguments and the dependencies it needs.

pub mod invite;
pub mod session;
pub mod simulate;
pub mod validate;
