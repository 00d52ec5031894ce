//! `profiles.json`: the non-secret facts of each saved onboarding (authority, tenant,
//! registration, account, scopes, which store holds the token), read without a lock and
//! rewritten under one, atomically, keeping fields newer versions added; and each profile's last
//! validation, in a small file of its own under `validations/`, so recording one never rewrites
//! the others. The profile store is a trait with this file implementation and the vault's; stores
//! build on this module, never the other way round.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::atomic_file::{self, BeforeRename, Edit, Versioned};
use crate::error::{Code, Error, Kind, Result};

/// The schema version this build writes. A file with a higher one is read but never rewritten.
pub const PROFILES_VERSION: u32 = 1;

/// The file name inside the config dir.
pub const PROFILES_FILE: &str = "profiles.json";

/// The dir of per-profile validation records inside the config dir.
pub const VALIDATIONS_DIR: &str = "validations";

/// One profile's last validation, in `validations/<hash>.json`. It wins over the
/// `last_validation` that older versions kept in `profiles.json`.
#[derive(Serialize, Deserialize)]
struct ValidationRecord {
    version: u32,
    /// The file name is a hash: the name inside says whose it is.
    profile: String,
    last_validation: Validation,
    /// The scopes the last successful validation was granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfilesFile {
    pub version: u32,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Top-level fields a newer onboard wrote; written back unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ProfilesFile {
    /// Reads the content of `profiles.json` (named `path` in errors). A file that is not ours
    /// is exit 2, and the error never quotes its content.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<ProfilesFile> {
        atomic_file::parse(bytes, path)
    }
}

impl Default for ProfilesFile {
    fn default() -> Self {
        ProfilesFile {
            version: PROFILES_VERSION,
            profiles: BTreeMap::new(),
            extra: Map::new(),
        }
    }
}

impl Versioned for ProfilesFile {
    const VERSION: u32 = PROFILES_VERSION;
    /// Exit 2: the user runs an older onboard than the one that wrote the file.
    const NEWER_KIND: Kind = Kind::Usage;

    fn empty() -> Self {
        ProfilesFile::default()
    }

    fn version(&self) -> u32 {
        self.version
    }
}

/// Which store holds a profile's refresh token; recorded in `profiles.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// The platform's keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// Plaintext files with mode 0600 in the config dir: the explicit fallback.
    File,
    /// A team's OpenBao or HashiCorp Vault (KV version 2), profiles included.
    Vault,
    /// `ONBOARD_CREDENTIAL`, for CI: read-only.
    Environment,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Keyring => "keyring",
            StoreKind::File => "file",
            StoreKind::Vault => "vault",
            StoreKind::Environment => "environment",
        }
    }

    /// Where the credential is, in words for the operator.
    pub fn description(self) -> &'static str {
        match self {
            StoreKind::Keyring => "OS keyring",
            StoreKind::File => "plaintext file store",
            StoreKind::Vault => "team vault",
            StoreKind::Environment => "ONBOARD_CREDENTIAL variable",
        }
    }

    /// Other machines rotate the same tokens in this store, with no lock to share: a refresh
    /// token refused as reused may have been replaced there by another run a moment ago.
    pub fn is_shared(self) -> bool {
        self == StoreKind::Vault
    }
}

impl std::fmt::Display for StoreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the credential's sign-in was made. Entra's protocol tracking follows a device-code
/// sign-in through every refresh, so a policy that blocks the device code flow also stops the
/// credentials born from one. Profiles saved before this was recorded were all device-code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignInFlow {
    #[default]
    DeviceCode,
    AuthorizationCode,
}

impl SignInFlow {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInFlow::DeviceCode => "device_code",
            SignInFlow::AuthorizationCode => "authorization_code",
        }
    }

    /// In words, for `onboard list`.
    pub fn describe(self) -> &'static str {
        match self {
            SignInFlow::DeviceCode => "device code",
            SignInFlow::AuthorizationCode => "browser",
        }
    }
}

/// How to reach one tenant's registration as one account: what a saved profile and an
/// exported credential (`onboard export`) share, field for field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Connection {
    /// The authority URL used to sign in.
    pub authority: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// The tenant as the user gave it (GUID or domain).
    pub tenant: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The scopes granted at sign-in.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// A redirect URI registered on the app: Microsoft's admin consent link needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Who the account is, whatever its name becomes: the ID token's `oid` (Graph `/me`'s
    /// `id`) for Microsoft, `sub` (userinfo's `sub`) elsewhere. `account` is for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// How the sign-in was made (absent in older files: the device code).
    #[serde(default)]
    pub sign_in_flow: SignInFlow,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    #[serde(flatten)]
    pub connection: Connection,
    pub store: StoreKind,
    /// RFC 3339.
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_validation: Option<Validation>,
    /// Per-profile fields a newer onboard wrote; written back unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Validation {
    /// RFC 3339.
    pub at: String,
    pub valid: bool,
    pub exit_code: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// RFC 3339: the last time the refresh token was redeemed (and so renewed), which may be
    /// older than `at` when this validation failed before redeeming it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refreshed_at: Option<String>,
    /// RFC 3339: when the credential lapses if nothing refreshes it; absent where the issuer's
    /// policy is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lapses_at: Option<String>,
}

impl Validation {
    /// The last successful refresh: recorded, or (for a record older versions wrote) the time
    /// of a successful validation, which refreshed.
    pub fn refreshed_at(&self) -> Option<jiff::Timestamp> {
        match &self.refreshed_at {
            Some(at) => at.parse().ok(),
            None if self.valid => self.at.parse().ok(),
            None => None,
        }
    }
}

/// Where the profiles live: `profiles.json` in a config dir ([`LocalProfiles`]) or a team's
/// vault (`store::vault::VaultProfiles`). `async-trait`, as for the credential stores: the
/// profile store is chosen at run time and used as a trait object.
#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// The saved profiles; none is an empty file.
    async fn load(&self) -> Result<ProfilesFile>;
    /// `load` with every profile's last validation: what `onboard list` shows.
    async fn load_with_validations(&self) -> Result<ProfilesFile>;
    /// One profile with its last validation, or `None`.
    async fn get(&self, name: &str) -> Result<Option<Profile>>;
    /// The profiles whose names `keep` keeps, with their last validations, each as it is
    /// read: `validate --all` checks the first while a team vault is still sending the rest.
    /// The default reads them all first.
    async fn stream_with_validations(
        &self,
        keep: &(dyn for<'n> Fn(&'n str) -> bool + Sync),
    ) -> Result<Listed> {
        let file = self.load_with_validations().await?;
        let total = file.profiles.len();
        let kept: Vec<(String, Profile)> = file
            .profiles
            .into_iter()
            .filter(|(name, _)| keep(name))
            .collect();
        Ok(Listed {
            total,
            kept: kept.len(),
            profiles: futures_util::stream::iter(kept.into_iter().map(Ok)).boxed(),
        })
    }
    /// Read-modify-write; `change` runs once, and when it fails nothing is written.
    async fn update(
        &self,
        change: &mut (dyn for<'f> FnMut(&'f mut ProfilesFile) -> Result<()> + Send),
    ) -> Result<()>;
    /// Records each profile's last validation (and, after a success, the scopes it was
    /// granted).
    async fn record_validations(
        &self,
        records: Vec<(String, Validation, Option<Vec<String>>)>,
    ) -> Result<()>;
    /// Forgets the profile's last validation (it was removed or onboarded anew).
    async fn forget_validation(&self, name: &str) -> Result<()>;
}

/// The profiles of [`ProfileStore::stream_with_validations`]: how many are saved, how many
/// were kept, and the kept ones as they are read (in no particular order).
pub struct Listed {
    pub total: usize,
    pub kept: usize,
    pub profiles: BoxStream<'static, Result<(String, Profile)>>,
}

/// The profiles of a run, wherever they live. Cheap to clone; holds no open file.
#[derive(Clone)]
pub struct Profiles {
    /// The local config dir, also with a vault (the file store's fallback lives there).
    dir: PathBuf,
    store: Arc<dyn ProfileStore>,
}

impl std::fmt::Debug for Profiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profiles").field("dir", &self.dir).finish()
    }
}

impl From<LocalProfiles> for Profiles {
    fn from(local: LocalProfiles) -> Profiles {
        Profiles {
            dir: local.dir.clone(),
            store: Arc::new(local),
        }
    }
}

/// `<OS config dir>/onboard`, e.g. `~/.config/onboard`. For `deps.rs` only: it reads `HOME` /
/// `XDG_CONFIG_HOME` (through `dirs`), and the rest of the crate takes the dir as a parameter.
pub fn default_config_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("onboard"))
}

impl Profiles {
    /// `profiles.json` in `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        LocalProfiles::at(dir).into()
    }

    /// The profiles kept in `store` (a team's vault); `dir` remains the local config dir.
    pub fn new(dir: impl Into<PathBuf>, store: Arc<dyn ProfileStore>) -> Self {
        Profiles {
            dir: dir.into(),
            store,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The saved profiles; a missing file is an empty one.
    pub async fn load(&self) -> Result<ProfilesFile> {
        self.store.load().await
    }

    /// `load` with every profile's last validation applied: what `onboard list` shows.
    pub async fn load_with_validations(&self) -> Result<ProfilesFile> {
        self.store.load_with_validations().await
    }

    /// [`ProfileStore::stream_with_validations`].
    pub async fn stream_with_validations(
        &self,
        keep: &(dyn for<'n> Fn(&'n str) -> bool + Sync),
    ) -> Result<Listed> {
        self.store.stream_with_validations(keep).await
    }

    /// One profile with its last validation, or exit 3 when there is none by that name.
    pub async fn get(&self, name: &str) -> Result<Profile> {
        self.store
            .get(name)
            .await?
            .ok_or_else(|| not_onboarded(name))
    }

    /// Read-modify-write: applies `change` to the profiles as they are now and writes the
    /// result. When `change` fails nothing is written.
    pub async fn update<T: Send>(
        &self,
        change: impl FnOnce(&mut ProfilesFile) -> Result<T> + Send,
    ) -> Result<T> {
        let mut change = Some(change);
        let mut value = None;
        self.store
            .update(&mut |file| {
                let change = change
                    .take()
                    .ok_or_else(|| Error::unexpected("a profiles change was applied twice"))?;
                value = Some(change(file)?);
                Ok(())
            })
            .await?;
        value.ok_or_else(|| Error::unexpected("a profiles change was never applied"))
    }

    /// Records each profile's last validation (and, after a success, the scopes it was
    /// granted). Locally each goes to the profile's own file, touching no other profile (the
    /// last of concurrent writers wins); a shared store keeps them in the profiles, written in
    /// one check-and-set update. A local record that cannot be written is logged and skipped.
    pub async fn record_validations<'a>(
        &self,
        records: impl IntoIterator<Item = (&'a str, Validation, Option<Vec<String>>)>,
    ) -> Result<()> {
        let records = records
            .into_iter()
            .map(|(name, validation, granted)| (name.to_owned(), validation, granted))
            .collect();
        self.store.record_validations(records).await
    }

    /// Deletes the profile's validation record (the profile was removed or onboarded anew).
    pub async fn forget_validation(&self, name: &str) -> Result<()> {
        self.store.forget_validation(name).await
    }
}

/// `profiles.json` in one config dir, and the validation records beside it. Its calls block
/// (files, a lock held for milliseconds); as a [`ProfileStore`], the writes of validation
/// records run on the blocking pool. Cheap to create; holds no open file.
#[derive(Clone)]
pub struct LocalProfiles {
    dir: PathBuf,
    before_rename: Option<BeforeRename>,
}

impl std::fmt::Debug for LocalProfiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalProfiles")
            .field("dir", &self.dir)
            .finish()
    }
}

impl LocalProfiles {
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        LocalProfiles {
            dir: dir.into(),
            before_rename: None,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(PROFILES_FILE)
    }

    /// Test hook: runs after the new file is written and synced, before it replaces the old
    /// one, with the lock held. Lets a test kill a writer at the worst moment.
    #[doc(hidden)]
    pub fn before_rename(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.before_rename = Some(Arc::new(hook));
        self
    }

    /// The saved profiles; a missing file is an empty one. No lock: writers replace the file
    /// atomically, so a reader always sees a whole file.
    pub fn load(&self) -> Result<ProfilesFile> {
        let path = self.path();
        tracing::debug!(path = %path.display(), "reading profiles");
        Ok(atomic_file::load(&path)?.unwrap_or_default())
    }

    /// `load` with every profile's last validation record applied: what `onboard list` shows.
    /// Reads one small file per profile.
    pub fn load_with_validations(&self) -> Result<ProfilesFile> {
        let mut file = self.load()?;
        for (name, profile) in &mut file.profiles {
            self.apply_validation(name, profile);
        }
        Ok(file)
    }

    /// One profile with its last validation, or exit 3 when there is none by that name.
    pub fn get(&self, name: &str) -> Result<Profile> {
        let mut profile = self
            .load()?
            .profiles
            .remove(name)
            .ok_or_else(|| not_onboarded(name))?;
        self.apply_validation(name, &mut profile);
        Ok(profile)
    }

    /// Read-modify-write under the lock: re-reads the file, applies `change`, and writes the
    /// result atomically. When `change` fails nothing is written.
    pub fn update<T>(&self, change: impl FnOnce(&mut ProfilesFile) -> Result<T>) -> Result<T> {
        atomic_file::update(&self.path(), self.before_rename.as_ref(), |file| {
            change(file).map(Edit::Write)
        })
    }

    fn validation_path(&self, name: &str) -> PathBuf {
        self.dir
            .join(VALIDATIONS_DIR)
            .join(format!("{}.json", file_stem(name)))
    }

    /// Records each profile's last validation in the profile's own file; a record that cannot
    /// be written is logged and skipped.
    pub fn record_validations<N: AsRef<str>>(
        &self,
        records: impl IntoIterator<Item = (N, Validation, Option<Vec<String>>)>,
    ) {
        for (name, validation, granted) in records {
            let name = name.as_ref();
            if let Err(e) = self.write_validation(name, validation, granted) {
                tracing::warn!("could not record the validation of '{name}': {e}");
            }
        }
    }

    fn write_validation(
        &self,
        name: &str,
        validation: Validation,
        granted: Option<Vec<String>>,
    ) -> Result<()> {
        validate_name(name)?;
        let record = ValidationRecord {
            version: PROFILES_VERSION,
            profile: name.to_owned(),
            last_validation: validation,
            scopes: granted,
        };
        let mut bytes = serde_json::to_vec_pretty(&record)
            .map_err(|e| Error::unexpected(format!("could not serialize a validation: {e}")))?;
        bytes.push(b'\n');
        atomic_file::replace_unlocked(&self.validation_path(name), &bytes)
    }

    /// Deletes the profile's validation record (the profile was removed or onboarded anew).
    pub fn forget_validation(&self, name: &str) -> Result<()> {
        atomic_file::remove(&self.validation_path(name)).map(drop)
    }

    /// The profile's validation record over what profiles.json says. A record that cannot be
    /// read is only logged: it is a cache of the last result, never worth failing a command.
    fn apply_validation(&self, name: &str, profile: &mut Profile) {
        let path = self.validation_path(name);
        match atomic_file::load::<ValidationRecord>(&path) {
            Ok(Some(record)) if record.profile == name => {
                profile.last_validation = Some(record.last_validation);
                if let Some(scopes) = record.scopes {
                    profile.connection.scopes = scopes;
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("ignoring the validation record of '{name}': {e}"),
        }
    }
}

/// `profiles.json` is read and rewritten in place (a lock held for milliseconds); only the
/// validation records, written as each of thousands of checks ends, go to the blocking pool,
/// so their disk syncs overlap the other checks' network waits.
#[async_trait]
impl ProfileStore for LocalProfiles {
    async fn load(&self) -> Result<ProfilesFile> {
        LocalProfiles::load(self)
    }

    async fn load_with_validations(&self) -> Result<ProfilesFile> {
        LocalProfiles::load_with_validations(self)
    }

    async fn get(&self, name: &str) -> Result<Option<Profile>> {
        match LocalProfiles::get(self, name) {
            Ok(profile) => Ok(Some(profile)),
            Err(e) if e.kind == Kind::NotOnboarded => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn update(
        &self,
        change: &mut (dyn for<'f> FnMut(&'f mut ProfilesFile) -> Result<()> + Send),
    ) -> Result<()> {
        LocalProfiles::update(self, |file| change(file))
    }

    async fn record_validations(
        &self,
        records: Vec<(String, Validation, Option<Vec<String>>)>,
    ) -> Result<()> {
        let local = self.clone();
        tokio::task::spawn_blocking(move || local.record_validations(records))
            .await
            .map_err(|e| Error::unexpected(format!("recording the validations failed: {e}")))
    }

    async fn forget_validation(&self, name: &str) -> Result<()> {
        LocalProfiles::forget_validation(self, name)
    }
}

/// Exit 3: nothing saved under this name.
pub fn not_onboarded(name: &str) -> Error {
    Error::new(
        Code::NotOnboarded,
        format!("no saved profile named '{name}'"),
    )
    .with_hint("run `onboard list` to see the saved profiles, or `onboard invite` to onboard")
}

/// The file name (without extension) of a profile's own files (credential, lock, validation
/// record): a hash of the exact name, because a name may hold `/`, be longer than a file name
/// may be, or differ from another only in case on a case-insensitive file system. The files
/// themselves name their profile.
pub fn file_stem(name: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, name.as_bytes());
    digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A profile name becomes a keyring entry's user name and a JSON key: it must be non-empty,
/// printable and of a sane length.
pub fn validate_name(name: &str) -> Result<()> {
    let problem = if name.trim().is_empty() {
        Some("is empty")
    } else if name.chars().any(char::is_control) {
        Some("contains control characters")
    } else if name.len() > 256 {
        Some("is longer than 256 bytes")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(Error::usage(format!("the profile name {p}"))
            .with_hint("choose another name with --profile")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Profile {
        Profile {
            connection: Connection {
                authority: "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0".into(),
                cloud: Some("global".into()),
                tenant: "contoso.onmicrosoft.com".into(),
                tenant_id: Some("00000000-0000-0000-0000-000000000001".into()),
                client_id: "00000000-0000-0000-0000-000000000002".into(),
                account: Some("svc@contoso.onmicrosoft.com".into()),
                scopes: vec!["User.Read".into(), "offline_access".into()],
                redirect_uri: None,
                account_id: None,
                sign_in_flow: SignInFlow::DeviceCode,
            },
            store: StoreKind::Keyring,
            created_at: "2026-11-27T10:00:00Z".into(),
            last_validation: None,
            extra: Map::new(),
        }
    }

    /// Profiles saved before `sign_in_flow` was recorded were all device-code sign-ins.
    #[test]
    fn a_profile_without_sign_in_flow_was_born_from_the_device_code() {
        let old = br#"{"version":1,"profiles":{"p":{"authority":"https://login.microsoftonline.com/contoso.com/v2.0","tenant":"contoso.com","client_id":"c","store":"keyring","created_at":"2026-01-01T00:00:00Z"}}}"#;
        let file = ProfilesFile::parse(old, Path::new("profiles.json")).unwrap();
        assert_eq!(
            file.profiles["p"].connection.sign_in_flow,
            SignInFlow::DeviceCode
        );
        let mut browser = sample();
        browser.connection.sign_in_flow = SignInFlow::AuthorizationCode;
        let text = serde_json::to_string(&browser).unwrap();
        assert!(
            text.contains(r#""sign_in_flow":"authorization_code""#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Profile>(&text).unwrap(), browser);
    }

    #[test]
    fn unknown_fields_survive_a_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let profiles = LocalProfiles::at(dir.path());
        let text = r#"{
          "version": 1,
          "default_profile": "contoso",
          "profiles": {
            "contoso": {
              "authority": "https://login.microsoftonline.com/contoso/v2.0",
              "tenant": "contoso", "client_id": "c", "store": "file",
              "created_at": "2026-11-27T10:00:00Z",
              "future_field": {"nested": [1, 2]}
            }
          }
        }"#;
        std::fs::write(profiles.path(), text).unwrap();
        profiles
            .update(|f| {
                f.profiles.insert("fabrikam".into(), sample());
                Ok(())
            })
            .unwrap();
        let raw: Value = serde_json::from_slice(&std::fs::read(profiles.path()).unwrap()).unwrap();
        assert_eq!(raw["default_profile"], "contoso");
        assert_eq!(raw["profiles"]["contoso"]["future_field"]["nested"][1], 2);
        assert_eq!(raw["profiles"]["contoso"]["store"], "file");
        assert_eq!(raw["profiles"]["fabrikam"]["store"], "keyring");
        let back = profiles.load().unwrap();
        assert_eq!(back.profiles["fabrikam"], sample());
    }

    #[test]
    fn a_corrupt_file_is_named_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let profiles = LocalProfiles::at(dir.path());
        std::fs::write(profiles.path(), "{\"version\": 1, \"profiles\": {").unwrap();
        let e = profiles.load().unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.message.contains("profiles.json"), "{}", e.message);
        assert!(e.hint.unwrap().contains("move"));
        let e = profiles.update(|_| Ok(())).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let text = std::fs::read_to_string(profiles.path()).unwrap();
        assert_eq!(text, "{\"version\": 1, \"profiles\": {");
    }

    #[test]
    fn a_wrongly_typed_value_is_not_quoted_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let profiles = LocalProfiles::at(dir.path());
        std::fs::write(profiles.path(), r#"{"version": "sekrit-value"}"#).unwrap();
        let e = profiles.load().unwrap_err();
        assert!(!e.message.contains("sekrit"), "{}", e.message);
    }

    #[test]
    fn a_newer_version_is_read_but_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let profiles = LocalProfiles::at(dir.path());
        std::fs::write(profiles.path(), r#"{"version": 2, "profiles": {}}"#).unwrap();
        assert_eq!(profiles.load().unwrap().version, 2);
        let e = profiles.update(|_| Ok(())).unwrap_err();
        assert_eq!(e.code, "newer_file");
        assert!(e.hint.unwrap().contains("upgrade"));
    }

    #[test]
    fn a_missing_file_is_empty_and_a_missing_profile_is_exit_3() {
        let dir = tempfile::tempdir().unwrap();
        let profiles = LocalProfiles::at(dir.path().join("sub"));
        assert!(profiles.load().unwrap().profiles.is_empty());
        assert_eq!(profiles.get("x").unwrap_err().exit_code(), 3);
    }

    #[test]
    fn a_validation_is_recorded_on_its_profile() {
        let dir = tempfile::tempdir().unwrap();
        let profiles = LocalProfiles::at(dir.path());
        profiles
            .update(|f| {
                f.profiles.insert("p".into(), sample());
                Ok(())
            })
            .unwrap();
        let v = Validation {
            at: "2026-11-27T11:00:00Z".into(),
            valid: false,
            exit_code: 4,
            code: Some("invalid_grant".into()),
            message: Some("refresh token expired".into()),
            refreshed_at: None,
            lapses_at: None,
        };
        let before = std::fs::read(profiles.path()).unwrap();
        profiles.record_validations([("p", v.clone(), Some(vec!["User.Read".into()]))]);
        assert_eq!(
            std::fs::read(profiles.path()).unwrap(),
            before,
            "profiles.json is not rewritten"
        );
        let p = profiles.get("p").unwrap();
        assert_eq!(p.last_validation, Some(v.clone()));
        assert_eq!(p.connection.scopes, vec!["User.Read".to_string()]);
        assert_eq!(
            profiles.load_with_validations().unwrap().profiles["p"].last_validation,
            Some(v)
        );
        profiles.forget_validation("p").unwrap();
        assert_eq!(profiles.get("p").unwrap().last_validation, None);
    }

    #[test]
    fn profile_names_are_checked() {
        assert!(validate_name("contoso.onmicrosoft.com").is_ok());
        assert_eq!(validate_name("").unwrap_err().exit_code(), 2);
        assert_eq!(validate_name("a\nb").unwrap_err().exit_code(), 2);
    }
}
