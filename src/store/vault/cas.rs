//! Compare-and-set bookkeeping over the KV client. Each profile is one entry, its profile's
//! facts, its last validation and its refresh token together, so a validation reads it once
//! and writes it by check-and-set on the version read: two machines rotating one profile never
//! replace a newer token with an older one, and a last validation is merged over another run's
//! change. Remembers the entries this run read or wrote (with their versions, to tell a
//! vanished profile from one never saved), and reads the layout of earlier builds, whose tokens
//! were in entries of their own: the next token write folds it into the profile's entry.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::Client;
use serde_json::{Map, Value};

use super::config::VaultConfig;
use super::kv::{Entry, Folder, Kv, Written};
use crate::error::{Code, Error, Result};
use crate::profiles::{Listed, Profile, ProfilesFile, StoreKind, Validation};
use crate::secret::Secret;
use crate::store::SuccessRecord;

/// How many profiles are read or written at the same time by `list` and `validate --all`.
const PARALLEL_CALLS: usize = 32;

/// The key of the refresh token in a profile's entry.
const TOKEN_KEY: &str = "refresh_token";

/// How many times a write that lost a check-and-set race is tried again over the newer entry.
const CAS_ROUNDS: usize = 5;

/// The same for the write of a rotated token, which must not give up easily: a token not
/// saved is lost. Each round means another run wrote the profile's entry in between.
const TOKEN_ROUNDS: usize = 64;

/// One profile's entry as this run last read or wrote it.
#[derive(Clone, Debug, Default)]
struct Held {
    /// The entry's version; 0 when there is none.
    version: u64,
    /// `None`: the entry holds a token and no profile yet (an onboarding saves the token
    /// first), or there is no entry.
    profile: Option<Profile>,
    /// The refresh token the entry held at `version`, or that the earlier layout's
    /// `credentials/<name>` holds when `legacy`.
    token: Option<Secret>,
    /// Read from the vault and not handed out yet: the next `load` takes it without a call.
    unused: bool,
    /// The token came from `credentials/<name>` (the layout of earlier builds): the next token
    /// write puts it in the profile's entry and removes that one.
    legacy: bool,
}

/// What `load` needs of a held entry, without copying its profile.
struct Loaded {
    /// The entry's own token (not one of the earlier layout).
    token: Option<Secret>,
    has_profile: bool,
    version: u64,
}

impl Loaded {
    fn of(entry: &Held) -> Loaded {
        Loaded {
            token: entry.token.clone().filter(|_| !entry.legacy),
            has_profile: entry.profile.is_some(),
            version: entry.version,
        }
    }
}

impl Held {
    /// The entry's data: the profile's fields and the token.
    fn data(profile: Option<&Profile>, token: Option<&Secret>) -> Result<Value> {
        let mut data = match profile {
            Some(profile) => match serde_json::to_value(profile) {
                Ok(Value::Object(map)) => map,
                _ => return Err(Error::unexpected("could not serialize a profile")),
            },
            None => Map::new(),
        };
        if let Some(token) = token {
            data.insert(
                TOKEN_KEY.to_owned(),
                Value::String(token.expose().to_owned()),
            );
        }
        Ok(Value::Object(data))
    }
}

/// A validation's success written with its rotated token, before the check that proves it
/// has ended: confirmed when the check records its success, replaced when it records a
/// failure, and put back to the record before it when the run ends without either.
struct Pending {
    success: SuccessRecord,
    /// The profile's last validation and scopes before.
    before: (Option<Validation>, Vec<String>),
}

/// One vault, shared by the credential store and the profile list of a run.
pub struct Vault {
    kv: Kv,
    /// The successes written ahead of their checks' end, by profile.
    pending: Mutex<HashMap<String, Pending>>,
    /// The entries this run read or wrote, by profile: what a later load, token write or
    /// validation record uses without reading it again.
    held: Mutex<HashMap<String, Held>>,
    /// Profiles this run has seen in the vault, to tell a vanished one from one never saved.
    seen: Mutex<HashSet<String>>,
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
            pending: Mutex::default(),
            held: Mutex::default(),
            seen: Mutex::default(),
        }
    }

    fn pending(&self) -> MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn held(&self) -> MutexGuard<'_, HashMap<String, Held>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn held_entry(&self, name: &str) -> Option<Held> {
        self.held().get(name).cloned()
    }

    fn hold(&self, name: &str, held: Held) {
        self.held().insert(name.to_owned(), held);
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
            Code::VaultLost,
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

    /// A profile's entry split into the profile and its token (`Secret` at once, so that the
    /// token never reaches the profile's fields, its `Debug` or an error).
    fn parse_entry(&self, name: &str, entry: Entry) -> Result<Held> {
        let Entry { mut data, version } = entry;
        let token = match data.remove(TOKEN_KEY) {
            None | Some(Value::Null) => None,
            Some(Value::String(token)) => Some(Secret::new(token)),
            Some(_) => {
                return Err(self.bad_entry(name, "its refresh_token is not text".to_owned()));
            }
        };
        let profile = if data.is_empty() {
            None
        } else {
            let mut profile: Profile =
                serde_json::from_value(Value::Object(data)).map_err(|e| {
                    self.bad_entry(
                        name,
                        format!(
                            "it is not a profile onboard can read: {}",
                            crate::atomic_file::describe_json_error(&e)
                        ),
                    )
                })?;
            profile.store = StoreKind::Vault;
            Some(profile)
        };
        Ok(Held {
            version,
            profile,
            token,
            unused: true,
            legacy: false,
        })
    }

    fn bad_entry(&self, name: &str, why: String) -> Error {
        Error::new(
            Code::VaultEntry,
            format!(
                "{} in the vault is damaged: {why}",
                self.kv.location(Folder::Profiles, name)
            ),
        )
        .with_hint(format!(
            "fix the entry, or remove it with `onboard remove --store vault {name}`"
        ))
    }

    /// Reads the profile's entry (and remembers it); `None` when there is none.
    async fn read_entry(&self, name: &str) -> Result<Option<Held>> {
        let Some(entry) = self.kv.read(Folder::Profiles, name).await? else {
            return Ok(None);
        };
        let held = self.parse_entry(name, entry)?;
        self.saw(name);
        self.hold(name, held.clone());
        Ok(Some(held))
    }

    /// The profile's refresh token: the one in the entry this run read, once, without a call;
    /// otherwise read from the vault (a later load, such as the wait for another machine's
    /// rotated token, sees what the vault holds now). A profile saved by an earlier build has
    /// its token in `credentials/<name>`.
    pub(super) async fn load_credential(&self, name: &str) -> Result<Option<Secret>> {
        let cached = {
            let mut held = self.held();
            match held.get_mut(name) {
                Some(entry) if entry.unused => {
                    entry.unused = false;
                    Some(Loaded::of(entry))
                }
                _ => None,
            }
        };
        let loaded = match cached {
            Some(loaded) => loaded,
            None => match self.read_entry(name).await? {
                Some(entry) => Loaded::of(&entry),
                None => {
                    if self.has_seen(name) {
                        return Err(self.vanished(name));
                    }
                    self.hold(name, Held::default());
                    return Ok(None);
                }
            },
        };
        if let Some(token) = loaded.token {
            self.mark_used(name);
            return Ok(Some(token));
        }
        if !loaded.has_profile {
            return Ok(None);
        }
        self.load_legacy(name, loaded.version).await
    }

    /// The token of a profile in the earlier layout, in `credentials/<name>`.
    async fn load_legacy(&self, name: &str, version: u64) -> Result<Option<Secret>> {
        let Some(mut credential) = self.kv.read(Folder::Credentials, name).await? else {
            return Ok(None);
        };
        let token = match credential.data.remove(TOKEN_KEY) {
            Some(Value::String(token)) => Secret::new(token),
            _ => {
                return Err(Error::new(
                    Code::VaultEntry,
                    format!(
                        "{} in the vault has no refresh_token",
                        self.kv.location(Folder::Credentials, name)
                    ),
                )
                .with_hint(format!(
                    "onboard it again with `onboard invite --store vault --profile {name}`"
                )));
            }
        };
        let mut held = self.held();
        // Only over the entry this was read for: another run may have written it meanwhile.
        if let Some(entry) = held.get_mut(name)
            && entry.version == version
        {
            entry.token = Some(token.clone());
            entry.legacy = true;
            entry.unused = false;
        }
        Ok(Some(token))
    }

    fn mark_used(&self, name: &str) {
        if let Some(entry) = self.held().get_mut(name) {
            entry.unused = false;
        }
    }

    /// A check-and-set write of the whole entry, the profile as read and this token, on the
    /// version read (a save before any read of the entry reads it first, so a profile is
    /// never replaced unseen). When another run wrote the entry meanwhile: if it saved another
    /// token, that newer token is kept; if it changed only the profile (its last validation),
    /// this token is written over that. A profile of the earlier layout has its token folded
    /// into the entry, and its `credentials/<name>` removed.
    ///
    /// With `success` (a validation's redeem), the entry also takes the record that
    /// validation writes if it succeeds, when the profile's last validation was a success too:
    /// then a success costs no write of its own. A profile whose last validation failed (or
    /// that has none) keeps it until its check ends, so a run cut short never turns a failure
    /// into a success that was not proven.
    pub(super) async fn save_credential(
        &self,
        name: &str,
        token: &Secret,
        success: Option<&SuccessRecord>,
    ) -> Result<()> {
        let mut entry = match self.held_entry(name) {
            Some(entry) => entry,
            None => self.read_entry(name).await?.unwrap_or_default(),
        };
        for _ in 0..TOKEN_ROUNDS {
            let ahead = success.and_then(|success| ahead_of_check(entry.profile.as_ref(), success));
            let profile = match &ahead {
                Some((profile, _)) => Some(profile),
                None => entry.profile.as_ref(),
            };
            let data = Held::data(profile, Some(token))?;
            match self
                .kv
                .write(Folder::Profiles, name, data, Some(entry.version))
                .await?
            {
                Written::Version(version) => {
                    let profile = match ahead {
                        Some((profile, pending)) => {
                            self.pending().insert(name.to_owned(), pending);
                            Some(profile)
                        }
                        None => entry.profile,
                    };
                    self.hold(
                        name,
                        Held {
                            version,
                            profile,
                            token: Some(token.clone()),
                            unused: false,
                            legacy: false,
                        },
                    );
                    self.saw(name);
                    if entry.legacy {
                        self.remove_legacy(name).await;
                    }
                    return Ok(());
                }
                Written::Conflict => {}
            }
            let Some(newer) = self.kv.read(Folder::Profiles, name).await? else {
                return Err(self.vanished(name));
            };
            let mut newer = self.parse_entry(name, newer)?;
            if newer.version < entry.version {
                return Err(Error::new(
                    Code::VaultConflict,
                    format!(
                        "the vault refused to save profile '{name}': its version went back \
                         while onboard was using it"
                    ),
                )
                .with_hint(
                    "the vault lost recent writes (restored from a snapshot?); check its \
                     storage, then run onboard again",
                ));
            }
            // The token of the earlier layout stays where it was until a write moves it.
            let still_legacy = entry.legacy && newer.token.is_none();
            if !still_legacy && newer.token != entry.token {
                tracing::info!(
                    profile = name,
                    "another run saved a newer refresh token meanwhile; keeping it"
                );
                newer.unused = false;
                self.hold(name, newer);
                return Ok(());
            }
            // Another run changed the profile (its last validation), not the token.
            newer.legacy = entry.legacy;
            if still_legacy {
                newer.token = entry.token;
            }
            entry = newer;
        }
        Err(self.changed_meanwhile(name))
    }

    /// Removes `credentials/<name>` once its token is in the profile's entry. A failure is
    /// logged: the token is saved, and the entry's token is the one read from now on.
    async fn remove_legacy(&self, name: &str) {
        if let Err(e) = self.kv.purge(Folder::Credentials, name).await {
            tracing::warn!(
                profile = name,
                "the token is now in the profile's entry, but the earlier layout's {} could not \
                 be removed: {e}",
                self.kv.location(Folder::Credentials, name)
            );
        }
    }

    /// Removes the profile's entry (token, profile and last validation) and any
    /// `credentials/<name>` of the earlier layout; `true` when either existed.
    pub(super) async fn delete_credential(&self, name: &str) -> Result<bool> {
        let removed = self.kv.remove(Folder::Profiles, name).await?;
        let legacy = self.kv.remove(Folder::Credentials, name).await?;
        // Known to be gone: a later update need not read the profiles again for it.
        self.hold(name, Held::default());
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        Ok(removed || legacy)
    }

    /// Every profile in the vault: one list, then each entry read once (its token kept for
    /// the checks that follow).
    async fn read_profiles(self: &Arc<Self>) -> Result<BTreeMap<String, Profile>> {
        self.stream_profiles(&|_| true)
            .await?
            .profiles
            .try_collect()
            .await
    }

    /// The profiles whose names `keep` keeps, each parsed as its entry arrives
    /// ([`PARALLEL_CALLS`] read at a time, as the stream is polled: ten thousand raw entries are
    /// never held together); an entry removed since the list, or holding only a token (an
    /// onboarding in progress), is skipped.
    pub async fn stream_profiles(
        self: &Arc<Self>,
        keep: &(dyn for<'n> Fn(&'n str) -> bool + Sync),
    ) -> Result<Listed> {
        let names = self.kv.list(Folder::Profiles).await?;
        let total = names.len();
        let kept: Vec<String> = names.into_iter().filter(|name| keep(name)).collect();
        let kept_count = kept.len();
        let vault = Arc::clone(self);
        let profiles = stream::iter(kept)
            .map(move |name| {
                let vault = Arc::clone(&vault);
                async move {
                    let read = vault.read_entry(&name).await;
                    read.map(|entry| entry.and_then(|entry| entry.profile).map(|p| (name, p)))
                }
            })
            .buffer_unordered(PARALLEL_CALLS)
            .filter_map(|read| std::future::ready(read.transpose()))
            .boxed();
        Ok(Listed {
            total,
            kept: kept_count,
            profiles,
        })
    }

    /// The profiles, as `profiles.json` would hold them.
    pub async fn load_profiles(self: &Arc<Self>) -> Result<ProfilesFile> {
        Ok(ProfilesFile {
            profiles: self.read_profiles().await?,
            ..ProfilesFile::default()
        })
    }

    /// One profile, or `None`.
    pub async fn get_profile(&self, name: &str) -> Result<Option<Profile>> {
        Ok(self.read_entry(name).await?.and_then(|entry| entry.profile))
    }

    /// Read-modify-write of the profiles: `change` sees the profiles this run has read (all of
    /// them when it has read no entry yet), so recording one validation among thousands costs
    /// one write. Only the profiles it added, changed or removed are written, each as a
    /// check-and-set on the version read, with the entry's token kept. When another run
    /// changed the same profile meanwhile, a change to its last validation alone is applied
    /// over theirs; any other change is refused.
    pub async fn update_profiles(
        self: &Arc<Self>,
        change: &mut (dyn for<'f> FnMut(&'f mut ProfilesFile) -> Result<()> + Send),
    ) -> Result<()> {
        let known: Option<BTreeMap<String, Profile>> = {
            let held = self.held();
            (!held.is_empty()).then(|| {
                held.iter()
                    .filter_map(|(name, entry)| Some((name.clone(), entry.profile.clone()?)))
                    .collect()
            })
        };
        let before = match known {
            Some(known) => known,
            None => self.read_profiles().await?,
        };
        let mut file = ProfilesFile {
            profiles: before.clone(),
            ..ProfilesFile::default()
        };
        change(&mut file)?;
        // Moved, not copied: at ten thousand profiles every copy of them is megabytes.
        let mut writes: Vec<(String, Option<Profile>)> = Vec::new();
        for (name, old) in before {
            match file.profiles.remove(&name) {
                None => writes.push((name, None)),
                Some(profile) if profile != old => writes.push((name, Some(profile))),
                Some(_) => {}
            }
        }
        writes.extend(
            file.profiles
                .into_iter()
                .map(|(name, profile)| (name, Some(profile))),
        );
        self.apply(writes).await
    }

    /// Records each profile's last validation (and the scopes a success was granted) in its
    /// entry: one check-and-set write per profile on the version this run read (a profile not
    /// read yet is read first), whatever the number of profiles; none when the entry already
    /// holds it. A profile no longer in the vault is skipped.
    pub(super) async fn record_validations(
        self: &Arc<Self>,
        records: Vec<(String, Validation, Option<Vec<String>>)>,
    ) -> Result<()> {
        let results = in_parallel(records, |(name, validation, granted)| {
            let vault = Arc::clone(self);
            async move {
                let pending = vault.pending().remove(&name);
                if let Some(pending) = &pending
                    && confirms(&pending.success, &validation, granted.as_deref())
                {
                    // The entry holds it since the token's write.
                    return Ok(());
                }
                let entry = match vault.held_entry(&name) {
                    Some(entry) if entry.profile.is_some() => Some(entry),
                    _ => vault.read_entry(&name).await?,
                };
                let Some(old) = entry.and_then(|entry| entry.profile) else {
                    return Ok(());
                };
                let mut profile = old.clone();
                profile.last_validation = Some(validation);
                if let Some(granted) = granted {
                    profile.connection.scopes = granted;
                }
                if profile == old {
                    return Ok(());
                }
                let written = vault.put_profile(&name, profile).await;
                if written.is_err()
                    && let Some(pending) = pending
                {
                    // The success written ahead stays until the end of the run puts back the
                    // record before it.
                    vault.pending().insert(name, pending);
                }
                written
            }
        })
        .await;
        results.into_iter().collect()
    }

    /// Puts back the record before each success written ahead of a check that then recorded
    /// nothing (the run was interrupted, or the check's task ended without an outcome): the
    /// vault then says what it said before, with the rotated token. For the end of every run.
    pub async fn settle(self: &Arc<Self>) {
        let pending: Vec<(String, Pending)> = self.pending().drain().collect();
        in_parallel(pending, |(name, pending)| {
            let vault = Arc::clone(self);
            async move {
                let Some(entry) = vault.held_entry(&name) else {
                    return;
                };
                let Some(mut profile) = entry.profile.clone() else {
                    return;
                };
                (profile.last_validation, profile.connection.scopes) = pending.before;
                let token = entry.token.as_ref().filter(|_| !entry.legacy);
                // Only over this run's own write: an entry another run wrote since holds a
                // newer record than the one to put back.
                let written = match Held::data(Some(&profile), token) {
                    Ok(data) => {
                        vault
                            .kv
                            .write(Folder::Profiles, &name, data, Some(entry.version))
                            .await
                    }
                    Err(e) => Err(e),
                };
                match written {
                    Ok(Written::Version(version)) => vault.hold(
                        &name,
                        Held {
                            version,
                            profile: Some(profile),
                            ..entry
                        },
                    ),
                    Ok(Written::Conflict) => {}
                    Err(e) => tracing::warn!(
                        profile = name.as_str(),
                        "could not put back the last validation of a check that did not end: {e}"
                    ),
                }
            }
        })
        .await;
    }

    /// Writes (or, for `None`, removes) the profiles, several at a time; the first error wins.
    async fn apply(self: &Arc<Self>, writes: Vec<(String, Option<Profile>)>) -> Result<()> {
        let results = in_parallel(writes, |(name, new)| {
            let vault = Arc::clone(self);
            async move {
                match new {
                    Some(profile) => vault.put_profile(&name, profile).await,
                    None => {
                        vault.kv.remove(Folder::Profiles, &name).await?;
                        vault.hold(&name, Held::default());
                        Ok(())
                    }
                }
            }
        })
        .await;
        results.into_iter().collect()
    }

    /// A check-and-set write of the profile into its entry, on the version this run holds,
    /// keeping the entry's token (one of the earlier layout stays where it is: only a token
    /// write moves it).
    async fn put_profile(&self, name: &str, profile: Profile) -> Result<()> {
        let mut entry = self.held_entry(name).unwrap_or_default();
        let old = entry.profile.clone();
        let mut profile = profile;
        // A few rounds: each conflict means another run wrote this profile in between.
        for _ in 0..CAS_ROUNDS {
            let token = entry.token.as_ref().filter(|_| !entry.legacy);
            let data = Held::data(Some(&profile), token)?;
            match self
                .kv
                .write(Folder::Profiles, name, data, Some(entry.version))
                .await?
            {
                Written::Version(version) => {
                    self.hold(
                        name,
                        Held {
                            version,
                            profile: Some(profile),
                            ..entry
                        },
                    );
                    return Ok(());
                }
                Written::Conflict => {}
            }
            let current = self.kv.read(Folder::Profiles, name).await?;
            let (Some(old), Some(current)) = (&old, current) else {
                return Err(self.changed_meanwhile(name));
            };
            if !only_validation_differs(old, &profile) {
                return Err(self.changed_meanwhile(name));
            }
            let mut current = self.parse_entry(name, current)?;
            let Some(mut newer) = current.profile.take() else {
                return Err(self.changed_meanwhile(name));
            };
            newer.last_validation = profile.last_validation.clone();
            newer.connection.scopes = profile.connection.scopes.clone();
            profile = newer;
            // A token the other run left in the earlier layout stays there.
            let legacy = entry.legacy && current.token.is_none();
            let legacy_token = entry.token.take().filter(|_| legacy);
            entry = Held {
                token: current.token.or(legacy_token),
                legacy,
                unused: false,
                ..current
            };
        }
        Err(self.changed_meanwhile(name))
    }

    fn changed_meanwhile(&self, name: &str) -> Error {
        Error::new(
            Code::VaultConflict,
            format!("profile '{name}' was changed in the vault by another run meanwhile"),
        )
        .with_hint("look at it with `onboard list --store vault`, then run the command again")
    }
}

/// The profile with `success` as its last validation, and what it replaces, when the profile's
/// last validation was a success: a check that succeeded before is written as succeeding again
/// with its rotated token, and its own record then costs nothing.
fn ahead_of_check(
    profile: Option<&Profile>,
    success: &SuccessRecord,
) -> Option<(Profile, Pending)> {
    let profile = profile?;
    if !profile.last_validation.as_ref().is_some_and(|v| v.valid) {
        return None;
    }
    let mut ahead = profile.clone();
    ahead.last_validation = Some(success.validation.clone());
    ahead.connection.scopes = success.granted.clone();
    let pending = Pending {
        success: success.clone(),
        before: (
            profile.last_validation.clone(),
            profile.connection.scopes.clone(),
        ),
    };
    Some((ahead, pending))
}

/// Whether a check's record is the success written ahead of it: the same in everything but
/// `at`, which is the check's end, a moment after the refresh.
fn confirms(success: &SuccessRecord, validation: &Validation, granted: Option<&[String]>) -> bool {
    let ahead = &success.validation;
    validation.valid
        && ahead.valid
        && validation.exit_code == ahead.exit_code
        && validation.code == ahead.code
        && validation.message == ahead.message
        && validation.refreshed_at == ahead.refreshed_at
        && validation.lapses_at == ahead.lapses_at
        && granted == Some(success.granted.as_slice())
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

#[cfg(test)]
mod tests {
    use serde_json::json;

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

    fn vault() -> Vault {
        let config = VaultConfig::new(
            "http://127.0.0.1:1",
            Secret::new("vault-token"),
            None,
            "secret",
            "onboard/",
        )
        .unwrap();
        let http = crate::http::build_client(&crate::http::HttpOptions::default()).unwrap();
        Vault::new(config, http)
    }

    fn entry(data: Value) -> Entry {
        let Value::Object(data) = data else { panic!() };
        Entry { data, version: 3 }
    }

    #[test]
    fn an_entry_splits_into_its_profile_and_a_token_kept_secret() {
        let vault = vault();
        let held = vault
            .parse_entry(
                "contoso",
                entry(json!({
                    "authority": "https://login.microsoftonline.com/contoso/v2.0",
                    "tenant": "contoso", "client_id": "c", "store": "vault",
                    "created_at": "2026-11-27T10:00:00Z",
                    "refresh_token": "rt-never-shown",
                })),
            )
            .unwrap();
        assert_eq!(held.version, 3);
        assert_eq!(
            held.token.as_ref().map(Secret::expose),
            Some("rt-never-shown")
        );
        let profile = held.profile.clone().unwrap();
        assert!(profile.extra.is_empty(), "{:?}", profile.extra);
        let shown = format!("{held:?}");
        assert!(!shown.contains("rt-never-shown"), "{shown}");
        // Written back whole: the same profile and token.
        let data = Held::data(Some(&profile), held.token.as_ref()).unwrap();
        let again = vault.parse_entry("contoso", entry(data)).unwrap();
        assert_eq!(again.profile, Some(profile));
        assert_eq!(again.token, held.token);
    }

    #[test]
    fn a_success_goes_ahead_of_its_check_only_over_a_success() {
        let mut profile: Profile = serde_json::from_value(json!({
            "authority": "https://login.microsoftonline.com/contoso/v2.0",
            "tenant": "contoso", "client_id": "c", "store": "vault",
            "created_at": "2026-11-27T10:00:00Z", "scopes": ["User.Read"],
        }))
        .unwrap();
        let at: jiff::Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let success = SuccessRecord {
            validation: Validation {
                at: at.to_string(),
                valid: true,
                exit_code: 0,
                code: None,
                message: None,
                refreshed_at: Some(at.to_string()),
                lapses_at: Some("2027-03-01T10:00:00Z".into()),
            },
            granted: vec!["User.Read".into(), "Mail.Read".into()],
        };
        // None yet, or a failure: kept until the check ends.
        assert!(ahead_of_check(Some(&profile), &success).is_none());
        let mut failed = success.validation.clone();
        failed.valid = false;
        profile.last_validation = Some(failed);
        assert!(ahead_of_check(Some(&profile), &success).is_none());
        profile.last_validation = Some(success.validation.clone());
        let (ahead, pending) = ahead_of_check(Some(&profile), &success).unwrap();
        assert_eq!(ahead.connection.scopes, success.granted);
        assert_eq!(pending.before.1, vec!["User.Read".to_owned()]);
        // The check's own record, ending later, confirms it; a failure or other scopes do not.
        let mut ended = success.validation.clone();
        ended.at = "2026-12-01T10:00:01Z".into();
        assert!(confirms(&success, &ended, Some(&success.granted)));
        assert!(!confirms(&success, &ended, Some(&["User.Read".to_owned()])));
        ended.valid = false;
        ended.exit_code = 5;
        assert!(!confirms(&success, &ended, None));
    }

    #[test]
    fn an_entry_with_a_token_alone_is_not_a_profile_yet() {
        let vault = vault();
        let held = vault
            .parse_entry("new", entry(json!({ "refresh_token": "rt" })))
            .unwrap();
        assert!(held.profile.is_none());
        assert!(held.token.is_some());
        // The earlier layout's profile entry: a profile, no token.
        let held = vault
            .parse_entry(
                "old",
                entry(json!({
                    "authority": "https://login.microsoftonline.com/contoso/v2.0",
                    "tenant": "contoso", "client_id": "c", "store": "vault",
                    "created_at": "2026-11-27T10:00:00Z",
                })),
            )
            .unwrap();
        assert!(held.profile.is_some() && held.token.is_none());
        let e = vault
            .parse_entry("bad", entry(json!({ "refresh_token": 7, "x": "y" })))
            .unwrap_err();
        assert_eq!(e.code, "vault_entry");
    }
}
