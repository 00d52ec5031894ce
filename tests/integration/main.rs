//! The one integration-test binary: modules per area, shared fixtures in `support`.

mod cli;
mod flow;
mod simulator;
mod store;
mod support;
mod validate;
