//! The one integration-test binary: modules per area, shared fixtures in `support`.

mod cli;
mod completions;
mod desktop;
mod docs;
mod doctor;
mod faults;
mod file_layout;
mod flow;
mod generated;
mod help;
mod hygiene;
mod interop;
mod keyring;
mod layers;
mod permissions;
mod profiles;
mod properties;
mod races;
mod saving;
mod simulator;
mod store;
mod support;
mod token;
mod validate;
mod wizard;
