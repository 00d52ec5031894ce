//! The one integration-test binary: modules per area, shared fixtures in `support`.

mod cli;
mod completions;
mod desktop;
mod docs;
mod doctor;
mod flow;
mod generated;
mod help;
mod keyring;
mod permissions;
mod profiles;
mod simulator;
mod store;
mod support;
mod token;
mod validate;
mod wizard;
