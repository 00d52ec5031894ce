//! onboard: connect a customer's Microsoft 365 tenant through OAuth 2.0 device-code sign-in.

pub mod error;
pub mod profiles;
pub mod secret;
pub mod simulate;
pub mod store;
