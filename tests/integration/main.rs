//! The one integration-test binary: modules per area, shared fixtures in `support`.

mod cli;
mod desktop;
mod doctor;
mod flow;
mod keyring;
mod permissions;
mod profiles;
mod simulator;
mod store;
mod support;
mod token;
mod validate;
mod wizard;
