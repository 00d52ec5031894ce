//! Where refresh tokens live: the async `CredentialStore` trait and its stores (keyring, file,
//! a team's vault, environment), the per-profile lock that serialises load-refresh-save across
//! processes, the one wrapper that runs a blocking store (keyring, files) on the blocking pool,
//! and the timeout that keeps a silent keyring from hanging the tool.

pub mod env;
pub mod file;
pub mod keyring;
mod lock;
pub mod vault;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::{Code, Error, Result};
use crate::profiles::{StoreKind, Validation};
use crate::secret::Secret;

pub use env::{EnvStore, ExportedCredential};
pub use file::{FILE_STORE_WARNING, FileStore};
pub use keyring::KeyringStore;
pub use lock::{ProfileLock, ProfileLocks};
pub use vault::{Vault, VaultConfig, VaultStore};

/// One refresh token per profile. Async all the way: a store that can only block (D-Bus, a
/// keyring prompt, a file lock) implements [`BlockingStore`] and is wrapped once, by
/// [`TimedStore::blocking`], onto the runtime's blocking pool.
///
/// `async-trait` rather than a native `async fn` in the trait: the stores are chosen at run time
/// and used as `Arc<dyn CredentialStore>`, and a trait with native async methods cannot be a
/// trait object.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    fn kind(&self) -> StoreKind;
    /// Saves or replaces the profile's refresh token.
    async fn save(&self, profile: &str, refresh_token: &Secret) -> Result<()>;
    /// `save` of the token a validation just redeemed, with the record that validation writes
    /// if it succeeds. A store that keeps the last validation in the token's own entry (the
    /// vault) may write both at once and skip the record's own write when it comes; it must
    /// then put the previous record back if the run ends (or is interrupted) before the
    /// validation records its outcome. The default saves the token alone.
    async fn save_rotated(
        &self,
        profile: &str,
        refresh_token: &Secret,
        success: &SuccessRecord,
    ) -> Result<()> {
        let _ = success;
        self.save(profile, refresh_token).await
    }
    /// The profile's refresh token, or `None` when nothing is saved for it.
    async fn load(&self, profile: &str) -> Result<Option<Secret>>;
    /// Deletes the profile's refresh token; `true` when something was deleted.
    async fn delete(&self, profile: &str) -> Result<bool>;
    /// Keeps every other onboard process out of this profile's credential until the guard is
    /// dropped, waiting up to `wait` for one that holds it. Callers hold it around a whole
    /// load-refresh-save (and around the save and delete of an onboarding), so a second process
    /// re-loads the token the first one rotated instead of redeeming a spent one.
    ///
    /// The local stores lock a file per profile in the config dir. A store that several
    /// machines share cannot rely on a local lock: it returns [`ProfileLock::none`] and makes
    /// `save` a check-and-set against the version `load` saw, failing on a conflict so that
    /// the caller re-loads the newer token. The default is no lock (the environment store is
    /// read-only and private to its process).
    async fn lock(&self, profile: &str, wait: Duration) -> Result<ProfileLock> {
        let _ = (profile, wait);
        Ok(ProfileLock::none())
    }
}

/// What a validation records when it succeeds, known as soon as its token is redeemed: the
/// validation (valid, at the time of the refresh) and the scopes the token answer granted.
#[derive(Clone, Debug, PartialEq)]
pub struct SuccessRecord {
    pub validation: Validation,
    pub granted: Vec<String>,
}

/// A store whose calls block the calling thread: the keyring (D-Bus, a prompt) and the files
/// (a lock, a slow disk). The same operations as [`CredentialStore`]; only
/// [`TimedStore::blocking`] calls them, on the blocking pool, and tests call them directly.
pub trait BlockingStore: Send + Sync {
    fn kind(&self) -> StoreKind;
    fn save(&self, profile: &str, refresh_token: &Secret) -> Result<()>;
    fn load(&self, profile: &str) -> Result<Option<Secret>>;
    fn delete(&self, profile: &str) -> Result<bool>;
    fn lock(&self, profile: &str, wait: Duration) -> Result<ProfileLock> {
        let _ = (profile, wait);
        Ok(ProfileLock::none())
    }
}

/// A [`BlockingStore`] as an async one: each call runs on tokio's blocking pool. A call the
/// caller stopped waiting for (its timeout passed) goes on there, and what it returns is
/// dropped there (a lock taken too late is released at once). The runtime is never dropped
/// while the process runs (see `lib.rs`), so a call stuck in D-Bus cannot hold the exit.
struct OffRuntime(Arc<dyn BlockingStore>);

impl OffRuntime {
    async fn run<T, F>(&self, profile: &str, call: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn BlockingStore, &str) -> Result<T> + Send + 'static,
    {
        let store = Arc::clone(&self.0);
        let profile = profile.to_owned();
        tokio::task::spawn_blocking(move || call(store.as_ref(), &profile))
            .await
            .map_err(|e| {
                Error::unexpected(format!(
                    "the credential store call ended without an answer: {e}"
                ))
            })?
    }
}

#[async_trait]
impl CredentialStore for OffRuntime {
    fn kind(&self) -> StoreKind {
        self.0.kind()
    }

    async fn save(&self, profile: &str, refresh_token: &Secret) -> Result<()> {
        let token = refresh_token.clone();
        self.run(profile, move |store, profile| store.save(profile, &token))
            .await
    }

    async fn load(&self, profile: &str) -> Result<Option<Secret>> {
        self.run(profile, |store, profile| store.load(profile))
            .await
    }

    async fn delete(&self, profile: &str) -> Result<bool> {
        self.run(profile, |store, profile| store.delete(profile))
            .await
    }

    async fn lock(&self, profile: &str, wait: Duration) -> Result<ProfileLock> {
        self.run(profile, move |store, profile| store.lock(profile, wait))
            .await
    }
}

/// The default time a store call may take before the tool gives up on it.
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(10);

/// The default wait for another process's hold on a profile: longer than the longest refresh
/// exchange with the default HTTP client (3 attempts of up to 30 s, each followed by up to
/// 30 s of back-off). Deps derives the real value from the client's timeout.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(180);

/// A store whose every call gives up after a timeout, so a locked keyring waiting for a
/// prompt nobody sees, a D-Bus peer or a vault that never answers, ends in exit 7 instead of
/// a hang. A call that times out may still complete later (the keyring may answer after all);
/// callers treat a timeout as "unknown", never as "not saved".
#[derive(Clone)]
pub struct TimedStore {
    inner: Arc<dyn CredentialStore>,
    timeout: Duration,
    lock_wait: Duration,
}

impl TimedStore {
    pub fn new(inner: Arc<dyn CredentialStore>) -> Self {
        TimedStore {
            inner,
            timeout: DEFAULT_STORE_TIMEOUT,
            lock_wait: DEFAULT_LOCK_WAIT,
        }
    }

    /// A blocking store (keyring, files), its calls run on the runtime's blocking pool.
    pub fn blocking(inner: Arc<dyn BlockingStore>) -> Self {
        TimedStore::new(Arc::new(OffRuntime(inner)))
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long [`TimedStore::lock`] waits for another process's hold on a profile.
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    pub fn kind(&self) -> StoreKind {
        self.inner.kind()
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A save that outlives the timeout is not abandoned: it runs as a task of its own, which
    /// keeps the run from being cancelled until it ends, and `main` waits for it before the
    /// process ends.
    pub async fn save(&self, profile: &str, refresh_token: &Secret) -> Result<()> {
        self.save_as(profile, refresh_token, None).await
    }

    /// [`CredentialStore::save_rotated`], as [`TimedStore::save`] runs a save.
    pub async fn save_rotated(
        &self,
        profile: &str,
        refresh_token: &Secret,
        success: SuccessRecord,
    ) -> Result<()> {
        self.save_as(profile, refresh_token, Some(success)).await
    }

    async fn save_as(
        &self,
        profile: &str,
        refresh_token: &Secret,
        success: Option<SuccessRecord>,
    ) -> Result<()> {
        let saving = crate::interrupt::Saving::start();
        let store = Arc::clone(&self.inner);
        let profile = profile.to_owned();
        let token = refresh_token.clone();
        let task = tokio::spawn(async move {
            let _saving = saving;
            match success {
                Some(success) => store.save_rotated(&profile, &token, &success).await,
                None => store.save(&profile, &token).await,
            }
        });
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(Error::unexpected(format!(
                "the credential store's save ended without an answer: {e}"
            ))),
            Err(_) => {
                let mut e = timeout_error(self.inner.kind(), self.timeout);
                e.message.push_str(
                    "; the save may still complete, and onboard waits for it before it ends",
                );
                Err(e)
            }
        }
    }

    pub async fn load(&self, profile: &str) -> Result<Option<Secret>> {
        self.within(self.timeout, self.inner.load(profile)).await
    }

    pub async fn delete(&self, profile: &str) -> Result<bool> {
        self.within(self.timeout, self.inner.delete(profile)).await
    }

    /// The profile to oneself until the guard drops; see [`CredentialStore::lock`].
    pub async fn lock(&self, profile: &str) -> Result<ProfileLock> {
        let wait = self.lock_wait;
        // The store gives up after `wait`; the margin covers opening the lock file.
        self.within(wait + self.timeout, self.inner.lock(profile, wait))
            .await
    }

    async fn within<T>(
        &self,
        timeout: Duration,
        call: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        tokio::time::timeout(timeout, call)
            .await
            .unwrap_or_else(|_| Err(timeout_error(self.inner.kind(), timeout)))
    }
}

fn timeout_error(kind: StoreKind, timeout: Duration) -> Error {
    let secs = timeout.as_secs_f64();
    let secs = if secs.fract() == 0.0 {
        format!("{secs:.0}")
    } else {
        format!("{secs:.1}")
    };
    let (what, hint) = match kind {
        StoreKind::Keyring => (
            "the keyring",
            format!(
                "the keyring did not answer within {secs} s: unlock it (it may be waiting for a \
                 password prompt), or use --store file"
            ),
        ),
        StoreKind::File => (
            "the file store",
            format!(
                "the credential file was not readable or writable within {secs} s (a slow or \
                 network file system?); try again, or choose another directory with --config-dir"
            ),
        ),
        StoreKind::Vault => (
            "the vault",
            format!(
                "the vault did not answer within {secs} s: check VAULT_ADDR and the network, \
                 then retry"
            ),
        ),
        StoreKind::Environment => (
            "ONBOARD_CREDENTIAL",
            format!("reading ONBOARD_CREDENTIAL took more than {secs} s; try again"),
        ),
    };
    Error::new(
        Code::StoreTimeout,
        format!("{what} did not answer within {secs} s"),
    )
    .with_hint(hint)
}

/// The one serializer for a secret, used by the formats that must hold it in clear: the file
/// store's files and `onboard export`'s output. `Secret` itself is not `Serialize`, so a
/// token cannot end up in other JSON by accident.
pub(crate) fn serialize_secret<S: serde::Serializer>(
    secret: &Secret,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A store slower than its timeout. A stand-in: neither the keyring nor the file system
    /// can be made slow on demand here, and the point is what the wrapper does meanwhile.
    struct Slow {
        saved: Mutex<Option<Secret>>,
        delay: Duration,
    }

    impl BlockingStore for Slow {
        fn kind(&self) -> StoreKind {
            StoreKind::File
        }
        fn save(&self, _: &str, refresh_token: &Secret) -> Result<()> {
            std::thread::sleep(self.delay);
            *self.saved.lock().unwrap() = Some(refresh_token.clone());
            Ok(())
        }
        fn load(&self, _: &str) -> Result<Option<Secret>> {
            Ok(self.saved.lock().unwrap().clone())
        }
        fn delete(&self, _: &str) -> Result<bool> {
            Ok(self.saved.lock().unwrap().take().is_some())
        }
    }

    #[test]
    fn a_save_past_its_timeout_is_waited_for_not_abandoned() {
        let slow = Arc::new(Slow {
            saved: Mutex::new(None),
            delay: Duration::from_millis(400),
        });
        let store = TimedStore::blocking(slow.clone()).with_timeout(Duration::from_millis(50));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_time()
            .build()
            .unwrap();
        let e = runtime
            .block_on(store.save("p", &Secret::new("rotated")))
            .unwrap_err();
        assert_eq!(e.code, "store_timeout");
        assert!(e.message.contains("may still complete"), "{}", e.message);
        // The save goes on; what ends the process waits for it.
        assert!(crate::interrupt::saves_running() > 0);
        assert!(crate::interrupt::wait_for_saves(Duration::from_secs(10)));
        assert_eq!(
            slow.saved.lock().unwrap().as_ref().map(Secret::expose),
            Some("rotated")
        );
    }
}
