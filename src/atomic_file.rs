//! The discipline for onboard's JSON files in the config dir (`profiles.json`, the per-profile
//! credential and validation files, the legacy `credentials.json`): the one read-modify-write
//! ([`update`]) with an exclusive advisory lock on a sibling `.lock` file, the advisory locks
//! themselves ([`lock_file`]), a schema version that a newer onboard's file is never rewritten
//! past, atomic replacement (temp file in the same dir, fsync, rename, fsync dir), mode 0600 for
//! files and 0700 for the dir, and parse errors that never echo file content.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Kind, Result};

/// A JSON file with a schema version at its top.
pub(crate) trait Versioned: Serialize + DeserializeOwned {
    /// The schema version this build writes. A file with a higher one is read but never
    /// rewritten.
    const VERSION: u32;
    /// The exit kind when the file is newer than this build: what the user cannot do then.
    const NEWER_KIND: Kind;
    /// The content of a file that does not exist yet.
    fn empty() -> Self;
    fn version(&self) -> u32;
}

/// What an update's change asks for: write the file, or leave it untouched.
pub(crate) enum Edit<T> {
    Write(T),
    Keep(T),
}

/// The file at `path`, or `None` when it does not exist yet. No lock: writers replace the file
/// atomically, so a reader always sees a whole file.
pub(crate) fn load<F: DeserializeOwned>(path: &Path) -> Result<Option<F>> {
    read(path)?.map(|bytes| parse(&bytes, path)).transpose()
}

/// The content of the file at `path`; an error names the file and never quotes the content.
pub(crate) fn parse<F: DeserializeOwned>(bytes: &[u8], path: &Path) -> Result<F> {
    serde_json::from_slice(bytes).map_err(|e| parse_error(path, &e))
}

/// Read-modify-write under the lock: re-reads the file (a missing one is [`Versioned::empty`]),
/// refuses a newer schema, applies `change`, and replaces the file atomically when `change`
/// says [`Edit::Write`]. When `change` fails nothing is written.
pub(crate) fn update<F: Versioned, T>(
    path: &Path,
    before_rename: Option<&BeforeRename>,
    change: impl FnOnce(&mut F) -> Result<Edit<T>>,
) -> Result<T> {
    ensure_dir(parent(path))?;
    let _lock = lock(path)?;
    let mut file = load::<F>(path)?.unwrap_or_else(F::empty);
    if file.version() > F::VERSION {
        return Err(Error::new(
            F::NEWER_KIND,
            "newer_file",
            format!(
                "{} was written by a newer onboard (schema version {}; this one knows {})",
                path.display(),
                file.version(),
                F::VERSION
            ),
        )
        .with_hint("upgrade onboard; this version will not rewrite the file"));
    }
    let value = match change(&mut file)? {
        Edit::Keep(value) => return Ok(value),
        Edit::Write(value) => value,
    };
    let mut bytes = serde_json::to_vec_pretty(&file)
        .map_err(|e| Error::unexpected(format!("could not serialize {}: {e}", path.display())))?;
    bytes.push(b'\n');
    write_atomic(path, &bytes, before_rename)?;
    Ok(value)
}

/// How long a writer waits for another onboard process to finish its update. Updates take
/// milliseconds; a lock held longer belongs to a stuck process, and waiting forever would hang.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Called after the new content is durable in the temp file and before the rename: tests use
/// it to kill a writer at the worst moment.
pub(crate) type BeforeRename = std::sync::Arc<dyn Fn() + Send + Sync>;

/// Creates the config dir (and its parents) if missing; a dir onboard creates is 0700.
/// An existing dir keeps its mode: it may be one the user chose with `--config-dir`.
fn ensure_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| io_error("create the directory", dir, &e))
}

/// Holds an exclusive advisory lock until dropped (closing the file releases it, also when the
/// process dies).
pub(crate) struct Lock {
    _file: File,
}

fn lock(path: &Path) -> Result<Lock> {
    let lock_path = sibling(path, ".lock");
    lock_file(&lock_path, LOCK_WAIT).map_err(|e| match e {
        LockError::Busy => Error::new(
            Kind::StoreUnavailable,
            "locked",
            format!(
                "{} is locked by another onboard process (waited {} s)",
                path.display(),
                LOCK_WAIT.as_secs()
            ),
        )
        .with_hint(format!(
            "wait for the other onboard to finish, or end it if it is stuck (see who holds {})",
            lock_path.display()
        )),
        LockError::Failed(e) => e,
    })
}

/// Why [`lock_file`] returned without the lock.
pub(crate) enum LockError {
    /// Another process held it for the whole wait.
    Busy,
    Failed(Error),
}

/// Takes the exclusive lock on `lock_path` (created 0600 if missing, its dir 0700), waiting up
/// to `wait` for another process to release it.
pub(crate) fn lock_file(lock_path: &Path, wait: Duration) -> std::result::Result<Lock, LockError> {
    ensure_dir(parent(lock_path)).map_err(LockError::Failed)?;
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(lock_path)
        .map_err(|e| LockError::Failed(io_error("open the lock file", lock_path, &e)))?;
    // Polling try_lock instead of a blocking lock() so a stuck process cannot hang us.
    let deadline = Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(fs::TryLockError::WouldBlock) => return Err(LockError::Busy),
            Err(fs::TryLockError::Error(e)) => {
                return Err(LockError::Failed(io_error("lock", lock_path, &e)));
            }
        }
    }
}

/// The file's bytes, or `None` when it does not exist yet.
fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("read", path, &e)),
    }
}

/// Replaces `path` with `bytes` so that a reader, or a crash at any moment, sees either the
/// old file or the new one, never a mix. Call with the lock held.
fn write_atomic(path: &Path, bytes: &[u8], before_rename: Option<&BeforeRename>) -> Result<()> {
    let dir = parent(path);
    let temp = synced_temp(path, bytes, true)?;
    if let Some(hook) = before_rename {
        hook();
    }
    temp.persist(path)
        .map_err(|e| io_error("replace", path, &e.error))?;
    sync_dir(dir)
}

/// A temp file of its own beside `path` (mode 0600) holding `bytes`, synced to disk.
/// `clean_up`: first remove the temps that earlier writers killed before their rename left.
fn synced_temp(path: &Path, bytes: &[u8], clean_up: bool) -> Result<tempfile::NamedTempFile> {
    let dir = parent(path);
    ensure_dir(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if clean_up {
        remove_stale_temps(dir, &name);
    }
    // tempfile creates the file with mode 0600 on unix, before any byte is written.
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| io_error("create a temporary file in", dir, &e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| io_error("write", temp.path(), &e))?;
    Ok(temp)
}

/// Replaces the file at `path` with `bytes` (mode 0600) through a temp file of its own beside
/// it, created exclusively (never an existing file or a symlink someone planted) and private
/// from its first byte. A writer killed before its rename leaves that temp file behind; the
/// next save sweeps it. Durable when it returns. The caller holds a lock that keeps other
/// writers of `path` out (the profile's lock).
pub(crate) fn replace_locked(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent(path);
    check_private_dir(dir)?;
    synced_temp(path, bytes, true)?
        .persist(path)
        .map_err(|e| io_error("replace", path, &e.error))?;
    sync_dir(dir)
}

/// A dir that holds secrets or their locks (`credentials/`, `locks/`) must be the user's own
/// real directory that nobody else can write to: whoever can write to it can swap a credential
/// or plant a file where the next save writes. A missing one is fine (created 0700 on first use).
#[cfg(unix)]
pub(crate) fn check_private_dir(dir: &Path) -> Result<()> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error("inspect", dir, &e)),
    };
    let problem = if !meta.is_dir() {
        Some((
            "is not a directory (a symlink?)".to_string(),
            format!("move {} aside; onboard creates it again", dir.display()),
        ))
    } else {
        shared_dir_problem(dir, &meta)
    };
    match problem {
        None => Ok(()),
        Some((what, hint)) => Err(Error::new(
            Kind::StoreUnavailable,
            "unsafe_dir",
            format!("{} {what}", dir.display()),
        )
        .with_hint(hint)),
    }
}

/// Whether someone else could change what `dir` holds: it is owned by another user, or group
/// or others may write to it. `(what is wrong, what to do)`, or `None` when it is the user's alone.
#[cfg(unix)]
pub(crate) fn shared_dir_problem(dir: &Path, meta: &fs::Metadata) -> Option<(String, String)> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        Some((
            format!("is owned by user {}, not by you", meta.uid()),
            format!(
                "use a config directory of your own (--config-dir), or `chown $(id -u) {}` if it is yours",
                dir.display()
            ),
        ))
    } else if meta.mode() & 0o022 != 0 {
        Some((
            "can be written by other users".to_string(),
            format!("run `chmod go-w {}`", dir.display()),
        ))
    } else {
        None
    }
}

/// Windows guards the folder with the user profile's access control list.
#[cfg(not(unix))]
pub(crate) fn check_private_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

/// Replaces the file at `path` with `bytes` (mode 0600) without any lock: concurrent writers
/// each rename a temp file of their own and the last one wins. For records whose loss in a
/// crash costs nothing but a stale line (the last validation); the directory is not synced.
pub(crate) fn replace_unlocked(path: &Path, bytes: &[u8]) -> Result<()> {
    // No stale-temp clean-up: without a lock it could delete another writer's temp file.
    synced_temp(path, bytes, false)?
        .persist(path)
        .map_err(|e| io_error("replace", path, &e.error))?;
    Ok(())
}

/// Deletes the file at `path`; `false` when there was none. Durable when it returns.
pub(crate) fn remove(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => sync_dir(parent(path)).map(|()| true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error("delete", path, &e)),
    }
}

/// Temp files left by a writer that died before its rename. Only a lock holder writes temp
/// files, and the caller holds the lock, so every one found is stale. Best effort.
fn remove_stale_temps(dir: &Path, name: &str) {
    let prefix = format!(".{name}.");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if file_name.starts_with(&prefix) && file_name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The rename is durable only once the directory entry is on disk.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("sync the directory", dir, &e))
}

/// Windows cannot open a directory as a file; its rename is as durable as it gets.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

/// A file that is not the JSON we expect: exit 2, naming the file, and never overwritten.
/// Only serde's position and, for a missing field, its name are shown: the rest of serde's
/// message can quote values, and `credentials.json` holds secrets.
fn parse_error(path: &Path, e: &serde_json::Error) -> Error {
    let what = describe_json_error(e);
    Error::new(
        Kind::Usage,
        "corrupt_file",
        format!("{} is not a file onboard can read: {what}", path.display()),
    )
    .with_hint(format!(
        "fix or move {} aside (onboard will not overwrite it)",
        path.display()
    ))
}

/// serde_json's message without any value it may quote.
pub(crate) fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {} column {}", e.line(), e.column());
    match e.classify() {
        Category::Syntax => format!("invalid JSON at {at}"),
        Category::Eof => format!("the JSON ends too early at {at}"),
        Category::Io => format!("could not be read ({at})"),
        Category::Data => {
            let text = e.to_string();
            if text.starts_with("missing field `") && !text.contains('"') {
                text
            } else {
                format!("a value has the wrong type or is not allowed, at {at}")
            }
        }
    }
}

fn io_error(action: &str, path: &Path, e: &io::Error) -> Error {
    let hint = match e.kind() {
        io::ErrorKind::PermissionDenied => format!(
            "check the owner and permissions of {}, or choose another directory with --config-dir",
            path.display()
        ),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            "free some disk space and try again".to_owned()
        }
        io::ErrorKind::ReadOnlyFilesystem => {
            "the file system is read-only: choose another directory with --config-dir".to_owned()
        }
        _ => format!(
            "check that {} is a writable directory, or choose another with --config-dir",
            parent(path).display()
        ),
    };
    Error::new(
        Kind::StoreUnavailable,
        "file",
        format!("could not {action} {}: {e}", path.display()),
    )
    .with_hint(hint)
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
