//! The explicit plaintext fallback: `credentials.json` in the config dir, mode 0600 in a 0700
//! dir, written like `profiles.json` (lock, atomic replace). Chosen only with `--store file`,
//! and announced with [`FILE_STORE_WARNING`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::json_file;
use super::{CredentialStore, StoreKind};
use crate::error::{Error, Kind, Result};
use crate::secret::Secret;

/// The file name inside the config dir.
pub const CREDENTIALS_FILE: &str = "credentials.json";

/// The schema version this build writes.
const CREDENTIALS_VERSION: u32 = 1;

/// One line for stderr whenever the file store is chosen: what guards the file on this system.
#[cfg(unix)]
pub const FILE_STORE_WARNING: &str = "warning: --store file keeps the refresh token unencrypted \
in credentials.json (mode 0600): anyone who can read your files, or your backups, can use it";
/// Windows files have no mode bits: the profile folder's access control list is the guard.
#[cfg(not(unix))]
pub const FILE_STORE_WARNING: &str = "warning: --store file keeps the refresh token unencrypted \
in credentials.json, guarded only by the access control list of your user profile: anyone who \
can read your files (an administrator, your backups) can use it";

#[derive(Serialize, Deserialize)]
struct CredentialsFile {
    version: u32,
    #[serde(default)]
    credentials: BTreeMap<String, StoredCredential>,
    #[serde(flatten)]
    extra: Map<String, Value>,
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
}

impl FileStore {
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        FileStore { dir: dir.into() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(CREDENTIALS_FILE)
    }

    fn read(&self, path: &Path) -> Result<Option<CredentialsFile>> {
        let Some(bytes) = json_file::read(path)? else {
            return Ok(None);
        };
        let file: CredentialsFile =
            serde_json::from_slice(&bytes).map_err(|e| json_file::parse_error(path, &e))?;
        Ok(Some(file))
    }

    /// Read-modify-write under the lock; `change` returns whether to write.
    fn update<T>(&self, change: impl FnOnce(&mut CredentialsFile) -> (bool, T)) -> Result<T> {
        let path = self.path();
        json_file::ensure_dir(&self.dir)?;
        let _lock = json_file::lock(&path)?;
        let mut file = self.read(&path)?.unwrap_or_else(|| CredentialsFile {
            version: CREDENTIALS_VERSION,
            credentials: BTreeMap::new(),
            extra: Map::new(),
        });
        if file.version > CREDENTIALS_VERSION {
            return Err(Error::new(
                Kind::StoreUnavailable,
                "newer_file",
                format!(
                    "{} was written by a newer onboard (schema version {})",
                    path.display(),
                    file.version
                ),
            )
            .with_hint("upgrade onboard; this version will not rewrite the file"));
        }
        let (write, value) = change(&mut file);
        if write {
            let mut bytes = serde_json::to_vec_pretty(&file)
                .map_err(|e| Error::unexpected(format!("could not serialize credentials: {e}")))?;
            bytes.push(b'\n');
            json_file::write_atomic(&path, &bytes, None)?;
        }
        Ok(value)
    }
}

impl CredentialStore for FileStore {
    fn kind(&self) -> StoreKind {
        StoreKind::File
    }

    fn save(&self, profile: &str, refresh_token: &Secret) -> Result<()> {
        crate::profiles::validate_name(profile)?;
        self.update(|file| {
            let entry = file
                .credentials
                .entry(profile.to_owned())
                .or_insert_with(|| StoredCredential {
                    refresh_token: refresh_token.clone(),
                    extra: Map::new(),
                });
            entry.refresh_token = refresh_token.clone();
            (true, ())
        })
    }

    fn load(&self, profile: &str) -> Result<Option<Secret>> {
        let path = self.path();
        Ok(self
            .read(&path)?
            .and_then(|mut f| f.credentials.remove(profile))
            .map(|c| c.refresh_token))
    }

    fn delete(&self, profile: &str) -> Result<bool> {
        if !self.path().exists() {
            return Ok(false);
        }
        self.update(|file| {
            let removed = file.credentials.remove(profile).is_some();
            (removed, removed)
        })
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
