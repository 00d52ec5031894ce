//! onboard: connect a customer's Microsoft 365 tenant through OAuth 2.0 device-code sign-in.

pub mod authority;
pub mod error;
pub mod flow;
pub mod http;
pub mod secret;
pub mod simulate;
