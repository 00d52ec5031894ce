//! A connection's life, the one place every command goes through for it: choosing the profile
//! to act on ([`select`]), redeeming its refresh token with the rotated one saved at once
//! ([`Session::redeem`]), proving the access token works and recording what was found
//! ([`check`], [`record`]), saving a fresh sign-in from either road, device code or browser
//! ([`save_onboarding`]), and removing it ([`remove_onboarding`]).
//!
//! Commands use this module and never one another; it knows nothing of terminals or of the
//! command line's types.

mod check;
mod onboarding;
mod redeem;
mod select;

pub use check::{
    Checked, LAPSE_AFTER, LAPSING_SOON, check, check_in, date_of, lapse_of, lapses_within, record,
};
pub use onboarding::{remove_onboarding, save_onboarding};
pub use redeem::{SHARED_ROTATION_WAIT, Session};
pub use select::{
    Selected, from_environment, no_profile, only_profile, rotated_warning, saved, select,
};

use crate::authority::Authority;
use crate::error::Result;
use crate::profiles::Profile;

/// The authority a profile was saved with, checked as if it had been typed.
pub fn authority_of(profile: &Profile) -> Result<Authority> {
    Authority::from_saved(
        &profile.connection.authority,
        profile.connection.cloud.as_deref(),
    )
}
