//! The one integration-test binary: modules per area, shared fixtures in `support`.

mod cli;
mod desktop;
mod flow;
mod keyring;
mod profiles;
mod simulator;
mod store;
mod support;
mod wizard;
