//! One module per command; each takes its arguments and the dependencies it needs.

pub mod completions;
pub mod invite;
pub mod simulate;
pub mod validate;
