//! The per-profile lock of the local stores: one lock file per profile under `locks/` in the
//! config dir, held with an exclusive advisory lock that the OS releases when the holder exits,
//! also by kill -9.

use std::path::PathBuf;
use std::time::Duration;

use crate::atomic_file::{self, LockError};
use crate::error::{Error, Kind, Result};

/// The lock dir's name inside the config dir.
const LOCKS_DIR: &str = "locks";

/// Held while one process loads, refreshes and saves a profile's credential; dropping it lets
/// the next process in.
#[must_use = "the profile is unlocked as soon as the guard is dropped"]
pub struct ProfileLock {
    _held: Option<atomic_file::Lock>,
}

impl ProfileLock {
    /// No lock: for stores that need none (read-only, or check-and-set).
    pub fn none() -> ProfileLock {
        ProfileLock { _held: None }
    }
}

/// The lock files of one config dir.
#[derive(Clone, Debug)]
pub struct ProfileLocks {
    dir: PathBuf,
}

impl ProfileLocks {
    /// Lock files under `config_dir/locks`.
    pub fn in_config_dir(config_dir: impl Into<PathBuf>) -> ProfileLocks {
        ProfileLocks {
            dir: config_dir.into().join(LOCKS_DIR),
        }
    }

    /// Takes the profile's lock, waiting up to `wait` for another process to release it.
    pub fn lock(&self, profile: &str, wait: Duration) -> Result<ProfileLock> {
        crate::profiles::validate_name(profile)?;
        // Whoever can write to locks/ could hold every profile's lock, or swap a lock file.
        atomic_file::check_private_dir(&self.dir)?;
        let path = self
            .dir
            .join(format!("{}.lock", crate::profiles::file_stem(profile)));
        match atomic_file::lock_file(&path, wait) {
            Ok(held) => Ok(ProfileLock { _held: Some(held) }),
            Err(LockError::Failed(e)) => Err(e),
            Err(LockError::Busy) => Err(Error::new(
                Kind::StoreUnavailable,
                "profile_locked",
                format!(
                    "profile '{profile}' stayed locked by another onboard process for {} s",
                    wait.as_secs()
                ),
            )
            .with_hint(format!(
                "another onboard is validating or saving this profile: wait for it, or end it if \
                 it is stuck (it holds {})",
                path.display()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_and_then_gives_up_with_exit_7() {
        let dir = tempfile::tempdir().unwrap();
        let locks = ProfileLocks::in_config_dir(dir.path());
        let held = locks.lock("p", Duration::ZERO).unwrap();
        let e = locks
            .lock("p", Duration::from_millis(50))
            .err()
            .expect("locked");
        assert_eq!(e.exit_code(), 7);
        assert_eq!(e.code, "profile_locked");
        // Another profile is independent.
        let _other = locks.lock("q", Duration::ZERO).unwrap();
        drop(held);
        let _again = locks.lock("p", Duration::ZERO).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn lock_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("onboard");
        let _held = ProfileLocks::in_config_dir(&config)
            .lock("p", Duration::ZERO)
            .unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&config.join(LOCKS_DIR)), 0o700);
        let file = std::fs::read_dir(config.join(LOCKS_DIR))
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(mode(&file.path()), 0o600);
    }
}
