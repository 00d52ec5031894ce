//! The one integration-test binary: modules per area, shared fixtures in `support`.

mod cli;
mod completions;
mod docs;
mod flow;
mod generated;
mod help;
mod simulator;
mod store;
mod support;
