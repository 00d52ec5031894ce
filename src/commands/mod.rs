//! One module per command; each takes its arguments and the dependencies it needs.

pub mod doctor;
pub mod invite;
pub mod permissions;
pub mod session;
pub mod simulate;
pub mod token;
pub mod validate;
