//! Compare-and-set bookkeeping over the KV client: the versions this run read, so that every
//! token write after a read is a check-and-set on that version (two machines rotating one
//! profile never replace a newer token with an older one), the profiles this run has seen (to
//! tell a vanished profile from one never saved), and the profiles read with their versions,
//! written back by check-and-set with only a last validation merged over another run's change.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::{StreamExt, stream};
use reqwest::Client;
use serde_json::{Value, json};

use super::config::VaultConfig;
use super::kv::{Folder, Kv, Written};
use crate::error::{Error, Kind, Result};
use crate::profiles::{Profile, ProfilesFile, StoreKind, Validation};
use crate::secret::Secret;

/// How many profiles are read or written at the same time by `list` and `validate --all`.
const PARALLEL_CALLS: usize = 32;

/// One vault, shared by the credential store and the profile list of a run. Remembers which
/// version of each credential it read, for the check-and-set of the rotated token.
pub struct Vault {
    kv: Kv,
    /// Credential versions read in this run, by profile (0: there was none).
    versions: Mutex<HashMap<String, u64>>,
    /// Profiles this run has seen in the vault, to tell a vanished one from one never saved.
    seen: Mutex<HashSet<String>>,
    /// The profiles this run read or wrote, with their versions: what a later update
    /// changes, by check-and-set, without reading every profile again.
    profiles_read: Mutex<BTreeMap<String, (u64, Profile)>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("addr", &self.kv.config.addr.as_str())
            .field("mount", &self.kv.config.mount)
            .field("prefix", &self.kv.config.prefix)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// `http` must come from the crate's client builder, which follows no redirect (a redirect
    /// would carry the vault token to wherever it points).
    pub fn new(config: VaultConfig, http: Client) -> Vault {
        Vault {
            kv: Kv::new(config, http),
            versions: Mutex::default(),
            seen: Mutex::default(),
            profiles_read: Mutex::default(),
        }
    }

    fn remember_version(&self, name: &str, version: u64) {
        self.versions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), version);
    }

    fn remembered_version(&self, name: &str) -> Option<u64> {
        self.versions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .copied()
    }

    fn saw(&self, name: &str) {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned());
    }

    fn has_seen(&self, name: &str) -> bool {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(name)
    }

    /// The vault lost an entry this run had read: a dev-mode server that restarted keeps
    /// nothing, and a real one may have been restored from an older snapshot.
    fn vanished(&self, name: &str) -> Error {
        Error::new(
            Kind::StoreUnavailable,
            "vault_lost",
            format!(
                "profile '{name}' was in the vault at {} earlier in this run and is gone now: \
                 the vault lost its data (was it restarted in dev mode, which keeps nothing in \
                 memory, or restored?) or someone removed the profile",
                self.kv.addr()
            ),
        )
        .with_hint(format!(
            "check the vault's storage with its operators; if the profile is really gone, \
             onboard it again with `onboard invite --store vault --profile {name}`"
        ))
    }

    pub(super) async fn load_credential(&self, name: &str) -> Result<Option<Secret>> {
        let entry = self.kv.read(Folder::Credentials, name).await?;
        let Some(entry) = entry else {
            if self.has_seen(name) {
                return Err(self.vanished(name));
            }
            self.remember_version(name, 0);
            return Ok(None);
        };
        let token = entry
            .data
            .get("refresh_token")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::new(
                    Kind::StoreUnavailable,
                    "vault_entry",
                    format!(
                        "{} in the vault has no refresh_token",
                        self.kv.location(Folder::Credentials, name)
                    ),
                )
                .with_hint(format!(
                    "onboard it again with `onboard invite --store vault --profile {name}`"
                ))
            })?;
        self.remember_version(name, entry.version);
        self.saw(name);
        Ok(Some(Secret::new(token)))
    }

    /// After a read: check-and-set on the version read, and on a conflict keep the newer
    /// token another run saved. Without a read (a fresh sign-in): replaces whatever is there.
    pub(super) async fn save_credential(&self, name: &str, token: &Secret) -> Result<()> {
        let data = json!({ "refresh_token": token.expose() });
        let cas = self.remembered_version(name);
        match self.kv.write(Folder::Credentials, name, data, cas).await? {
            Written::Version(version) => {
                self.remember_version(name, version);
                self.saw(name);
                Ok(())
            }
            Written::Conflict => match self.kv.read(Folder::Credentials, name).await? {
                Some(newer) if cas.is_some_and(|read| newer.version > read) => {
                    tracing::info!(
                        profile = name,
                        "another run saved a newer refresh token meanwhile; keeping it"
                    );
                    self.remember_version(name, newer.version);
                    Ok(())
                }
                Some(_) => Err(Error::new(
                    Kind::StoreUnavailable,
                    "vault_conflict",
                    format!(
                        "the vault refused to save profile '{name}': its version went back \
                         while onboard was using it"
                    ),
                )
                .with_hint(
                    "the vault lost recent writes (restored from a snapshot?); check its \
                     storage, then run onboard again",
                )),
                None => Err(self.vanished(name)),
            },
        }
    }

    pub(super) async fn delete_credential(&self, name: &str) -> Result<bool> {
        let removed = self.kv.remove(Folder::Credentials, name).await?;
        self.versions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        Ok(removed)
    }

    /// Every profile in the vault, with the version of its entry.
    async fn read_profiles(self: &Arc<Self>) -> Result<BTreeMap<String, (u64, Profile)>> {
        let names = self.kv.list(Folder::Profiles).await?;
        let entries = in_parallel(names, |name| {
            let vault = Arc::clone(self);
            async move {
                // Parsed as it arrives: the raw JSON of ten thousand profiles held until the
                // last one came was most of the memory `list` used.
                let read = match vault.kv.read(Folder::Profiles, &name).await {
                    Ok(Some(entry)) => vault
                        .parse_profile(&name, entry.data)
                        .map(|profile| Some((entry.version, profile))),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                };
                (name, read)
            }
        })
        .await;
        let mut profiles = BTreeMap::new();
        for (name, read) in entries {
            // Removed between the list and the read: not a profile any more.
            let Some(versioned) = read? else { continue };
            self.saw(&name);
            profiles.insert(name, versioned);
        }
        *self.read_profiles_lock() = profiles.clone();
        Ok(profiles)
    }

    fn parse_profile(&self, name: &str, data: serde_json::Map<String, Value>) -> Result<Profile> {
        let mut profile: Profile = serde_json::from_value(Value::Object(data)).map_err(|e| {
            Error::new(
                Kind::StoreUnavailable,
                "vault_entry",
                format!(
                    "{} in the vault is not a profile onboard can read: {}",
                    self.kv.location(Folder::Profiles, name),
                    crate::atomic_file::describe_json_error(&e)
                ),
            )
            .with_hint(format!(
                "fix the entry, or remove it with `onboard remove --store vault {name}`"
            ))
        })?;
        profile.store = StoreKind::Vault;
        Ok(profile)
    }

    /// The profiles, as `profiles.json` would hold them.
    pub async fn load_profiles(self: &Arc<Self>) -> Result<ProfilesFile> {
        let profiles = self.read_profiles().await?;
        Ok(ProfilesFile {
            profiles: profiles.into_iter().map(|(n, (_, p))| (n, p)).collect(),
            ..ProfilesFile::default()
        })
    }

    /// One profile, or `None`.
    pub async fn get_profile(&self, name: &str) -> Result<Option<Profile>> {
        match self.kv.read(Folder::Profiles, name).await? {
            Some(entry) => {
                self.saw(name);
                let profile = self.parse_profile(name, entry.data)?;
                self.read_profiles_lock()
                    .insert(name.to_owned(), (entry.version, profile.clone()));
                Ok(Some(profile))
            }
            None => Ok(None),
        }
    }

    fn read_profiles_lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, (u64, Profile)>> {
        self.profiles_read
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Read-modify-write of the profiles: `change` sees the profiles this run has read (all of
    /// them when it has read none yet), so recording one validation among thousands costs one
    /// write. Only the profiles it added, changed or removed are written, each as a
    /// check-and-set on the version read. When another run changed the same profile
    /// meanwhile, a change to its last validation alone is applied over theirs; any other
    /// change is refused.
    pub async fn update_profiles(
        self: &Arc<Self>,
        change: &mut (dyn for<'f> FnMut(&'f mut ProfilesFile) -> Result<()> + Send),
    ) -> Result<()> {
        let known = self.read_profiles_lock().clone();
        let before = if known.is_empty() {
            self.read_profiles().await?
        } else {
            known
        };
        let mut file = ProfilesFile {
            profiles: before
                .iter()
                .map(|(n, (_, p))| (n.clone(), p.clone()))
                .collect(),
            ..ProfilesFile::default()
        };
        change(&mut file)?;
        // Moved, not copied: at ten thousand profiles every copy of them is megabytes.
        let mut writes: Vec<ProfileWrite> = Vec::new();
        for (name, old) in before {
            match file.profiles.remove(&name) {
                None => writes.push((name, Some(old), None)),
                Some(profile) if profile != old.1 => writes.push((name, Some(old), Some(profile))),
                Some(_) => {}
            }
        }
        writes.extend(
            file.profiles
                .into_iter()
                .map(|(name, profile)| (name, None, Some(profile))),
        );
        self.apply(writes).await
    }

    /// Records each profile's last validation (and the scopes a success was granted) in its
    /// entry: one check-and-set write per profile on the version this run read (a profile not
    /// read yet is read first), whatever the number of profiles. A profile no longer in the
    /// vault is skipped.
    pub(super) async fn record_validations(
        self: &Arc<Self>,
        records: Vec<(String, Validation, Option<Vec<String>>)>,
    ) -> Result<()> {
        let results = in_parallel(records, |(name, validation, granted)| {
            let vault = Arc::clone(self);
            async move {
                let known = vault.read_profiles_lock().get(&name).cloned();
                let old = match known {
                    Some(old) => old,
                    None => {
                        if vault.get_profile(&name).await?.is_none() {
                            return Ok(());
                        }
                        match vault.read_profiles_lock().get(&name).cloned() {
                            Some(old) => old,
                            None => return Ok(()),
                        }
                    }
                };
                let mut profile = old.1.clone();
                profile.last_validation = Some(validation);
                if let Some(granted) = granted {
                    profile.connection.scopes = granted;
                }
                if profile == old.1 {
                    return Ok(());
                }
                vault.put_profile(&name, Some(&old), &profile).await
            }
        })
        .await;
        results.into_iter().collect()
    }

    /// Writes (or, for `None`, removes) the profiles, several at a time; the first error wins.
    async fn apply(self: &Arc<Self>, writes: Vec<ProfileWrite>) -> Result<()> {
        let results = in_parallel(writes, |(name, old, new)| {
            let vault = Arc::clone(self);
            async move {
                match new {
                    Some(profile) => vault.put_profile(&name, old.as_ref(), &profile).await,
                    None => {
                        vault.kv.remove(Folder::Profiles, &name).await?;
                        vault.read_profiles_lock().remove(&name);
                        Ok(())
                    }
                }
            }
        })
        .await;
        results.into_iter().collect()
    }

    async fn put_profile(
        &self,
        name: &str,
        old: Option<&(u64, Profile)>,
        profile: &Profile,
    ) -> Result<()> {
        let mut cas = old.map_or(0, |(v, _)| *v);
        let mut profile = profile.clone();
        // A few rounds: each conflict means another run wrote this profile in between.
        for _ in 0..5 {
            let data = serde_json::to_value(&profile)
                .map_err(|e| Error::unexpected(format!("could not serialize a profile: {e}")))?;
            match self
                .kv
                .write(Folder::Profiles, name, data, Some(cas))
                .await?
            {
                Written::Version(version) => {
                    self.read_profiles_lock()
                        .insert(name.to_owned(), (version, profile));
                    return Ok(());
                }
                Written::Conflict => {}
            }
            let current = self.kv.read(Folder::Profiles, name).await?;
            let (Some((_, old)), Some(current)) = (old, current) else {
                return Err(self.changed_meanwhile(name));
            };
            if !only_validation_differs(old, &profile) {
                return Err(self.changed_meanwhile(name));
            }
            let mut newer = self.parse_profile(name, current.data)?;
            newer.last_validation = profile.last_validation.clone();
            newer.connection.scopes = profile.connection.scopes.clone();
            profile = newer;
            cas = current.version;
        }
        Err(self.changed_meanwhile(name))
    }

    fn changed_meanwhile(&self, name: &str) -> Error {
        Error::new(
            Kind::StoreUnavailable,
            "vault_conflict",
            format!("profile '{name}' was changed in the vault by another run meanwhile"),
        )
        .with_hint("look at it with `onboard list --store vault`, then run the command again")
    }
}

/// Whether `after` is `before` with only its last validation (and the scopes it found)
/// changed.
fn only_validation_differs(before: &Profile, after: &Profile) -> bool {
    let mut after = after.clone();
    after.last_validation = before.last_validation.clone();
    after.connection.scopes = before.connection.scopes.clone();
    &after == before
}

/// Runs `work` on every item, at most [`PARALLEL_CALLS`] at a time, in the order they end. The
/// calls only wait on the vault, so they share this task; a future is made only when a slot is
/// free, so ten thousand of them never hold their memory all together.
async fn in_parallel<I, T, F, Fut>(items: I, work: F) -> Vec<T>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = T>,
{
    stream::iter(items)
        .map(work)
        .buffer_unordered(PARALLEL_CALLS)
        .collect()
        .await
}

/// A profile to write (`Some`) or remove (`None`), with the version read before.
type ProfileWrite = (String, Option<(u64, Profile)>, Option<Profile>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_alone_may_be_applied_over_another_runs_change() {
        let profile: Profile = serde_json::from_value(json!({
            "authority": "https://login.microsoftonline.com/contoso/v2.0",
            "tenant": "contoso", "client_id": "c", "store": "vault",
            "created_at": "2026-11-27T10:00:00Z"
        }))
        .unwrap();
        let mut validated = profile.clone();
        validated.last_validation = Some(crate::profiles::Validation {
            at: "2026-11-30T10:00:00Z".into(),
            valid: true,
            exit_code: 0,
            code: None,
            message: None,
            refreshed_at: None,
            lapses_at: None,
        });
        validated.connection.scopes = vec!["User.Read".into()];
        assert!(only_validation_differs(&profile, &validated));
        let mut moved = validated.clone();
        moved.connection.client_id = "d".into();
        assert!(!only_validation_differs(&profile, &moved));
    }
}
