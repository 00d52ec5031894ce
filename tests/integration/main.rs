//! The one integration-test binary: modules per area, helpers in `support`.

mod simulator;
mod support;
