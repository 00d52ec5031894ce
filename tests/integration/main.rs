//! The one integration-test binary: modules per area, shared fixtures in `support`.

mod cli;
mod doctor;
mod flow;
mod permissions;
mod simulator;
mod store;
mod support;
mod token;
mod validate;
