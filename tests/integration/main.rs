//! The one integration-test binary: modules per area, shared fixtures in `support`.

mod cli;
mod desktop;
mod flow;
mod profiles;
mod simulator;
mod store;
mod support;
mod wizard;
