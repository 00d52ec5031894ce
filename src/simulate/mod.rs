//! The simulated tenant (being built).
