//! The explicit plaintext fallback: `credentials.json` in the config dir, mode 0600 in a 0700
//! dir, written like `profiles.json` (lock, atomic replace). Chosen only with `--store file`,
//! and announced with [`FILE_STORE_WARNING`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{CredentialStore, ProfileLock, ProfileLocks};
use crate::error::{Kind, Result};
use crate::json_file::{self, Edit, Versioned};
use crate::profiles::StoreKind;
use crate::secret::Secret;

/// The file name inside the config dir.
pub const CREDENTIALS_FILE: &str = "credentials.json";

/// The schema version this build writes.
const CREDENTIALS_VERSION: u32 = 1;

/// One line for stderr whenever the file store is chosen.
pub const FILE_STORE_WARNING: &str = "warning: --store file keeps the refresh token unencrypted \
in credentials.json (mode 0600): anyone who can read your files, or your backups, can use it";

#[derive(Serialize, Deserialize)]
struct CredentialsFile {
    version: u32,
    #[serde(default)]
    credentials: BTreeMap<String, StoredCredential>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl Versioned for CredentialsFile {
    const VERSION: u32 = CREDENTIALS_VERSION;
    /// Exit 7: the store cannot be used by this onboard.
    const NEWER_KIND: Kind = Kind::StoreUnavailable;

    fn empty() -> Self {
        CredentialsFile {
            version: CREDENTIALS_VERSION,
            credentials: BTreeMap::new(),
            extra: Map::new(),
        }
    }

    fn version(&self) -> u32 {
        self.version
    }
}

#[derive(Serialize, Deserialize)]
struct StoredCredential {
    #[serde(serialize_with = "super::serialize_secret")]
    refresh_token: Secret,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// `credentials.json` in one config dir.
#[derive(Clone, Debug)]
pub struct FileStore {
    dir: PathBuf,
    locks: ProfileLocks,
}

impl FileStore {
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        FileStore {
            locks: ProfileLocks::in_config_dir(&dir),
            dir,
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(CREDENTIALS_FILE)
    }
}

impl CredentialStore for FileStore {
    fn kind(&self) -> StoreKind {
        StoreKind::File
    }

    fn save(&self, profile: &str, refresh_token: &Secret) -> Result<()> {
        crate::profiles::validate_name(profile)?;
        json_file::update(&self.path(), None, |file: &mut CredentialsFile| {
            let entry = file
                .credentials
                .entry(profile.to_owned())
                .or_insert_with(|| StoredCredential {
                    refresh_token: refresh_token.clone(),
                    extra: Map::new(),
                });
            entry.refresh_token = refresh_token.clone();
            Ok(Edit::Write(()))
        })
    }

    fn load(&self, profile: &str) -> Result<Option<Secret>> {
        Ok(json_file::load::<CredentialsFile>(&self.path())?
            .and_then(|mut f| f.credentials.remove(profile))
            .map(|c| c.refresh_token))
    }

    fn delete(&self, profile: &str) -> Result<bool> {
        if !self.path().exists() {
            return Ok(false);
        }
        json_file::update(&self.path(), None, |file: &mut CredentialsFile| {
            Ok(if file.credentials.remove(profile).is_some() {
                Edit::Write(true)
            } else {
                Edit::Keep(false)
            })
        })
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
        std::fs::write(
            store.path(),
            r#"{"version":1,"credentials":{"a":{"refresh_token":42, "x": "0.AVYA-secret"}}}"#,
        )
        .unwrap();
        let e = store.load("a").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(!e.message.contains("0.AVYA"), "{}", e.message);
        assert!(store.save("a", &Secret::new("x")).is_err());
    }
}
