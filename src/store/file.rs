//! The explicit plaintext fallback: one file per profile, `credentials/<hash>.json` in the
//! config dir, mode 0600 in 0700 dirs, replaced atomically under the profile's lock, so saving
//! one profile never rewrites another. Chosen only with `--store file`, and announced with
//! [`FILE_STORE_WARNING`]. The single `credentials.json` of earlier versions is split into
//! these files the first time the store is used.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{BlockingStore, ProfileLock, ProfileLocks};
use crate::atomic_file::{self, Edit, Versioned};
use crate::error::{Error, Kind, Result};
use crate::profiles::StoreKind;
use crate::secret::Secret;

/// The dir of credential files inside the config dir.
pub const CREDENTIALS_DIR: &str = "credentials";

/// The one file of earlier versions, migrated on first use.
pub const LEGACY_CREDENTIALS_FILE: &str = "credentials.json";

/// The schema version this build writes, in both layouts.
const CREDENTIALS_VERSION: u32 = 1;

/// One line for stderr whenever the file store is chosen: what guards the file on this system.
#[cfg(unix)]
pub const FILE_STORE_WARNING: &str = "warning: --store file keeps the refresh token unencrypted \
in the config directory's credentials folder (mode 0600): anyone who can read your files, or \
your backups, can use it";
/// Windows files have no mode bits: the profile folder's access control list is the guard.
#[cfg(not(unix))]
pub const FILE_STORE_WARNING: &str = "warning: --store file keeps the refresh token unencrypted \
in the config directory's credentials folder, guarded only by the access control list of your \
user profile: anyone who can read your files (an administrator, your backups) can use it";

/// One profile's credential file.
#[derive(Serialize, Deserialize)]
struct CredentialFile {
    version: u32,
    /// The file name is a hash: the name inside says whose it is.
    profile: String,
    #[serde(serialize_with = "super::serialize_secret")]
    refresh_token: Secret,
}

/// `credentials.json` of earlier versions: every profile's token in one file.
#[derive(Serialize, Deserialize)]
struct LegacyFile {
    version: u32,
    #[serde(default)]
    credentials: std::collections::BTreeMap<String, LegacyCredential>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl Versioned for LegacyFile {
    const VERSION: u32 = CREDENTIALS_VERSION;
    /// Exit 7: the store cannot be used by this onboard.
    const NEWER_KIND: Kind = Kind::StoreUnavailable;

    fn empty() -> Self {
        LegacyFile {
            version: CREDENTIALS_VERSION,
            credentials: Default::default(),
            extra: Map::new(),
        }
    }

    fn version(&self) -> u32 {
        self.version
    }
}

#[derive(Serialize, Deserialize)]
struct LegacyCredential {
    #[serde(serialize_with = "super::serialize_secret")]
    refresh_token: Secret,
}

/// The credential files of one config dir.
#[derive(Clone, Debug)]
pub struct FileStore {
    dir: PathBuf,
    locks: ProfileLocks,
    /// Set once the legacy file was looked for (and migrated) by this process.
    migrated: OnceLock<()>,
}

impl FileStore {
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        FileStore {
            locks: ProfileLocks::in_config_dir(&dir),
            dir,
            migrated: OnceLock::new(),
        }
    }

    /// The profile's credential file.
    pub fn path(&self, profile: &str) -> PathBuf {
        self.dir
            .join(CREDENTIALS_DIR)
            .join(format!("{}.json", crate::profiles::file_stem(profile)))
    }

    /// Splits the legacy `credentials.json` into one file per profile, once per process. Under
    /// the legacy file's lock, so two processes never migrate at once; a profile that already
    /// has its own file keeps it. The legacy file is deleted only when every credential is
    /// durable in its own file: a migration killed half-way is redone on the next run.
    fn migrate(&self) -> Result<()> {
        if self.migrated.get().is_some() {
            return Ok(());
        }
        let legacy = self.dir.join(LEGACY_CREDENTIALS_FILE);
        if legacy.exists() {
            atomic_file::update(&legacy, None, |file: &mut LegacyFile| {
                for (profile, credential) in &file.credentials {
                    if !self.path(profile).exists() {
                        self.write(profile, &credential.refresh_token)?;
                    }
                }
                Ok(Edit::Keep(()))
            })?;
            atomic_file::remove(&legacy)?;
            let mut lock = legacy.into_os_string();
            lock.push(".lock");
            let _ = std::fs::remove_file(lock);
        }
        let _ = self.migrated.set(());
        Ok(())
    }

    /// `credentials/` must be private: a file there read from, or written through, a folder
    /// others can write is a swapped or stolen token.
    fn check_dir(&self) -> Result<()> {
        atomic_file::check_private_dir(&self.dir.join(CREDENTIALS_DIR))
    }

    fn write(&self, profile: &str, refresh_token: &Secret) -> Result<()> {
        let file = CredentialFile {
            version: CREDENTIALS_VERSION,
            profile: profile.to_owned(),
            refresh_token: refresh_token.clone(),
        };
        let mut bytes = serde_json::to_vec_pretty(&file)
            .map_err(|e| Error::unexpected(format!("could not serialize a credential: {e}")))?;
        bytes.push(b'\n');
        atomic_file::replace_locked(&self.path(profile), &bytes)
    }
}

impl BlockingStore for FileStore {
    fn kind(&self) -> StoreKind {
        StoreKind::File
    }

    /// Callers hold the profile's lock ([`BlockingStore::lock`]).
    fn save(&self, profile: &str, refresh_token: &Secret) -> Result<()> {
        crate::profiles::validate_name(profile)?;
        self.check_dir()?;
        self.migrate()?;
        self.write(profile, refresh_token)
    }

    fn load(&self, profile: &str) -> Result<Option<Secret>> {
        self.check_dir()?;
        self.migrate()?;
        let path = self.path(profile);
        let Some(file) = atomic_file::load::<CredentialFile>(&path)? else {
            return Ok(None);
        };
        if file.version > CREDENTIALS_VERSION {
            return Err(Error::new(
                Kind::StoreUnavailable,
                "newer_file",
                format!(
                    "{} was written by a newer onboard (schema version {}; this one knows {})",
                    path.display(),
                    file.version,
                    CREDENTIALS_VERSION
                ),
            )
            .with_hint("upgrade onboard"));
        }
        if file.profile != profile {
            return Err(Error::new(
                Kind::StoreUnavailable,
                "store_damaged",
                format!(
                    "{} holds the credential of profile '{}', not of '{profile}'",
                    path.display(),
                    file.profile
                ),
            )
            .with_hint(format!(
                "move {} aside and onboard '{profile}' again",
                path.display()
            )));
        }
        Ok(Some(file.refresh_token))
    }

    /// Callers hold the profile's lock ([`BlockingStore::lock`]).
    fn delete(&self, profile: &str) -> Result<bool> {
        self.check_dir()?;
        self.migrate()?;
        atomic_file::remove(&self.path(profile))
    }

    fn lock(&self, profile: &str, wait: Duration) -> Result<ProfileLock> {
        self.locks.lock(profile, wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::at(dir.path().join("onboard"));
        assert!(store.load("a").unwrap().is_none());
        assert!(!store.delete("a").unwrap());
        store.save("a", &Secret::new("one")).unwrap();
        store.save("b", &Secret::new("two")).unwrap();
        store.save("a", &Secret::new("three")).unwrap();
        assert_eq!(store.load("a").unwrap().unwrap().expose(), "three");
        assert!(store.delete("a").unwrap());
        assert!(store.load("a").unwrap().is_none());
        assert_eq!(store.load("b").unwrap().unwrap().expose(), "two");
    }

    #[test]
    fn a_corrupt_file_does_not_leak_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::at(dir.path());
        let path = store.path("a");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            r#"{"version":1,"profile":"a","refresh_token":42, "x": "0.AVYA-secret"}"#,
        )
        .unwrap();
        let e = store.load("a").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(!e.message.contains("0.AVYA"), "{}", e.message);
    }

    #[test]
    fn the_legacy_file_is_split_into_one_file_per_profile() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(LEGACY_CREDENTIALS_FILE),
            r#"{"version":1,"credentials":{"a":{"refresh_token":"ta"},"b/c":{"refresh_token":"tb"}}}"#,
        )
        .unwrap();
        // A profile migrated before a crash keeps its own (possibly newer) file.
        let first = FileStore::at(dir.path());
        first.migrated.set(()).unwrap();
        first.save("a", &Secret::new("newer")).unwrap();

        let store = FileStore::at(dir.path());
        assert_eq!(store.load("b/c").unwrap().unwrap().expose(), "tb");
        assert_eq!(store.load("a").unwrap().unwrap().expose(), "newer");
        assert!(!dir.path().join(LEGACY_CREDENTIALS_FILE).exists());
        let files = std::fs::read_dir(dir.path().join(CREDENTIALS_DIR)).unwrap();
        assert_eq!(files.count(), 2);
    }

    #[test]
    fn a_newer_legacy_file_is_not_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let legacy = dir.path().join(LEGACY_CREDENTIALS_FILE);
        std::fs::write(&legacy, r#"{"version":9,"credentials":{}}"#).unwrap();
        let e = FileStore::at(dir.path()).load("a").unwrap_err();
        assert_eq!(e.code, "newer_file");
        assert!(legacy.exists());
    }
}
