//! The team store: refresh tokens and profiles in OpenBao or HashiCorp Vault (KV version 2,
//! the same HTTP API on both), so technicians and CI share one set of onboardings. A profile,
//! its last validation and its refresh token are one entry, read once per run; every write
//! after a read is a check-and-set on the version that was read, so two machines rotating one
//! profile never replace a newer token with an older one.
//!
//! - `config`: where the vault is (address, token, namespace, mount, prefix);
//! - `kv`: the KV version 2 client and its errors;
//! - `cas`: the entries read, the check-and-set writes, the merge of a last validation and
//!   the earlier layout's separate token entries;
//! - here: the two adapters, the credential store and the profile store.

mod cas;
mod config;
mod kv;

use std::sync::Arc;

use async_trait::async_trait;

use super::{CredentialStore, StoreKind, SuccessRecord};
use crate::error::Result;
use crate::profiles::{Listed, Profile, ProfileStore, ProfilesFile, Validation};
use crate::secret::Secret;

pub use cas::Vault;
pub use config::{DEFAULT_MOUNT, DEFAULT_PREFIX, VaultConfig};

/// The profiles kept in the vault: the last validation and the token live in each profile's
/// entry.
pub struct VaultProfiles(pub Arc<Vault>);

#[async_trait]
impl ProfileStore for VaultProfiles {
    async fn load(&self) -> Result<ProfilesFile> {
        self.0.load_profiles().await
    }

    async fn load_with_validations(&self) -> Result<ProfilesFile> {
        self.0.load_profiles().await
    }

    /// Listed once, then each entry read as the checks go: the reads overlap the first
    /// profiles' checks instead of all coming before them.
    async fn stream_with_validations(
        &self,
        keep: &(dyn for<'n> Fn(&'n str) -> bool + Sync),
    ) -> Result<Listed> {
        self.0.stream_profiles(keep).await
    }

    async fn get(&self, name: &str) -> Result<Option<Profile>> {
        self.0.get_profile(name).await
    }

    async fn update(
        &self,
        change: &mut (dyn for<'f> FnMut(&'f mut ProfilesFile) -> Result<()> + Send),
    ) -> Result<()> {
        self.0.update_profiles(change).await
    }

    /// Each in a check-and-set write of its profile's entry, on the version this run read.
    async fn record_validations(
        &self,
        records: Vec<(String, Validation, Option<Vec<String>>)>,
    ) -> Result<()> {
        self.0.record_validations(records).await
    }

    /// The last validation is part of the profile's entry, replaced or removed with it.
    async fn forget_validation(&self, _name: &str) -> Result<()> {
        Ok(())
    }
}

/// The credential store half of [`Vault`]: the token in the profile's entry.
#[derive(Clone, Debug)]
pub struct VaultStore {
    vault: Arc<Vault>,
}

impl VaultStore {
    pub fn new(vault: Arc<Vault>) -> Self {
        VaultStore { vault }
    }
}

#[async_trait]
impl CredentialStore for VaultStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Vault
    }

    async fn save(&self, profile: &str, refresh_token: &Secret) -> Result<()> {
        crate::profiles::validate_name(profile)?;
        self.vault
            .save_credential(profile, refresh_token, None)
            .await
    }

    /// One write: the token and, over a last validation that succeeded, the success.
    async fn save_rotated(
        &self,
        profile: &str,
        refresh_token: &Secret,
        success: &SuccessRecord,
    ) -> Result<()> {
        crate::profiles::validate_name(profile)?;
        self.vault
            .save_credential(profile, refresh_token, Some(success))
            .await
    }

    async fn load(&self, profile: &str) -> Result<Option<Secret>> {
        self.vault.load_credential(profile).await
    }

    async fn delete(&self, profile: &str) -> Result<bool> {
        self.vault.delete_credential(profile).await
    }
}
