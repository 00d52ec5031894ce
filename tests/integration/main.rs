//! The one integration-test binary: modules per area, shared fixtures in `support`.

mod cli;
mod faults;
mod flow;
mod hygiene;
mod interop;
mod properties;
mod simulator;
mod store;
mod support;
