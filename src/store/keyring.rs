//! The default store: the platform keyring through keyring-core (Secret Service on Linux/BSD,
//! the Keychain on macOS, Credential Manager on Windows), service `onboard`, one entry per
//! profile, plus extra entries for tokens longer than one chunk.
//!
//! Chunking: Windows Credential Manager holds 2,560 bytes per entry and a refresh token is
//! about 1,500 characters but has no upper bound, so a token is stored as UTF-8 bytes
//! (`set_secret`; `set_password` would store UTF-16 on Windows and halve the room) in chunks of
//! [`CHUNK_SIZE`] bytes. The same format is used on every platform, so the Linux tests exercise
//! the splitting that only Windows needs:
//!
//! - entry (service `onboard`, user = profile): the header line
//!   `onboard-chunks/2 parts=N bytes=L fnv1a64=H gen=G` + `\n` + the first chunk;
//! - entries (service `onboard:g<G>:part-2` … `onboard:g<G>:part-N`, user = profile): the
//!   other chunks, under names tied to the save that wrote them (generation `G`, the next of
//!   1, 2, 3 after the previous head's).
//!
//! Part entries use their own service names so no profile name can collide with them. A save
//! writes its parts under its own generation, then replaces the head in one write (the
//! switch), then deletes the previous generation's parts: a save interrupted at any moment
//! leaves the previous token readable, or the new one, never a mix. The parts of an interrupted
//! save are overwritten or swept by the next save, and by delete. The header's length and
//! checksum still catch a damaged entry. Heads of the first format (`onboard-chunks/1`, parts
//! under `onboard:part-N`) are read, and replaced on the next save.
//!
//! Only the Linux path is tested here (against a real Secret Service daemon); the macOS and
//! Windows stores are selected by `cfg` and compile on those targets only.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use keyring_core::{CredentialStore as KeyringBackend, Entry};
use zeroize::Zeroizing;

use super::{BlockingStore, ProfileLock, ProfileLocks};
use crate::error::{Error, Kind, Result};
use crate::profiles::StoreKind;
use crate::secret::Secret;

/// The keyring service name of the head entries.
pub const SERVICE: &str = "onboard";

/// Bytes of token per entry: below Windows' 2,560-byte blob limit with room for the header.
pub const CHUNK_SIZE: usize = 2048;

/// More parts than this is not a refresh token (2048 × 64 = 128 KiB); also bounds the sweep
/// for orphaned parts.
const MAX_PARTS: usize = 64;

const HEADER_MAGIC: &str = "onboard-chunks/2 ";
/// The first format: parts under `onboard:part-N`, the same for every save.
const HEADER_MAGIC_V1: &str = "onboard-chunks/1 ";

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
const KEYRING_NAME: &str = "the Secret Service keyring";
#[cfg(target_os = "macos")]
const KEYRING_NAME: &str = "the macOS Keychain";
#[cfg(windows)]
const KEYRING_NAME: &str = "Windows Credential Manager";
#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    windows
)))]
const KEYRING_NAME: &str = "the keyring";

/// The keyring store. Creating it does not touch the keyring: the connection is made by the
/// first call, which the caller runs under [`super::TimedStore`]'s timeout, because connecting
/// to a Secret Service can itself block.
#[derive(Default)]
pub struct KeyringStore {
    backend: Mutex<Option<Arc<KeyringBackend>>>,
    /// The keyring has no lock of its own: the profile locks are files in the config dir.
    locks: Option<ProfileLocks>,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyringStore")
    }
}

impl KeyringStore {
    pub fn new() -> Self {
        KeyringStore::default()
    }

    /// A store whose [`BlockingStore::lock`] uses these lock files; without them (a bare
    /// [`KeyringStore::new`], as `doctor` uses) nothing is locked.
    pub fn with_locks(mut self, locks: ProfileLocks) -> Self {
        self.locks = Some(locks);
        self
    }

    /// Connects and reads an entry that does not exist: proves the keyring answers and is
    /// unlocked. For `onboard doctor`.
    pub fn check(&self) -> Result<()> {
        let backend = self.backend()?;
        let entry = entry(&backend, "onboard:check", "onboard")?;
        match entry.get_secret() {
            Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e, "read from", "onboard:check")),
        }
    }

    /// The platform store, connected once and reused; a failed connection is retried on the
    /// next call (the user may have started or unlocked the keyring meanwhile).
    fn backend(&self) -> Result<Arc<KeyringBackend>> {
        let mut slot = self
            .backend
            .lock()
            .map_err(|_| Error::unexpected("the keyring connection was poisoned by a panic"))?;
        if let Some(backend) = slot.as_ref() {
            return Ok(Arc::clone(backend));
        }
        let backend = platform_store()?;
        *slot = Some(Arc::clone(&backend));
        Ok(backend)
    }

    /// The generation of the saved head's parts; `None` when nothing is saved, or for a head
    /// of the first format, a token stored whole or a head that cannot be read.
    fn head_generation(&self, backend: &Arc<KeyringBackend>, profile: &str) -> Option<u64> {
        let head = read(backend, SERVICE, profile).ok()??;
        parse_head(&head)?.generation
    }
}

/// Deletes the parts of `generation` from `from` on, up to the first one missing (parts are
/// written from 2 upwards, so a gap ends them); `true` when one was deleted. They are deleted
/// from the last one down, so a sweep killed half-way leaves the rest still contiguous from
/// `from`, where the next sweep finds them (deleting upwards would leave a gap that hid them).
fn sweep(
    backend: &Arc<KeyringBackend>,
    generation: Option<u64>,
    from: usize,
    profile: &str,
) -> Result<bool> {
    let from = from.max(2);
    let mut end = from;
    while end <= MAX_PARTS && read(backend, &part_service(generation, end), profile)?.is_some() {
        end += 1;
    }
    let mut deleted = false;
    for part in (from..end).rev() {
        deleted |= delete_entry(backend, &part_service(generation, part), profile)?;
    }
    Ok(deleted)
}

/// Saves cycle through this many generations: the head's, the one an interrupted save was
/// writing, and the one whose deletion a save interrupted after its switch never did are
/// always three different names, and every one that is not the head's can be swept.
const GENERATIONS: u64 = 3;

/// The generation a save after one of `generation` writes (`None`: nothing or the first format).
fn next_generation(generation: Option<u64>) -> u64 {
    generation.map_or(1, |g| g % GENERATIONS + 1)
}

/// Every place parts can be left over when the head is of `generation` (`None`: no head, or
/// one of the first format or stored whole): the first format's names and each other generation.
fn leftover_generations(generation: Option<u64>) -> impl Iterator<Item = Option<u64>> {
    std::iter::once(None)
        .chain((1..=GENERATIONS).map(Some))
        .filter(move |g| g.is_none() || *g != generation)
}

impl BlockingStore for KeyringStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Keyring
    }

    fn save(&self, profile: &str, refresh_token: &Secret) -> Result<()> {
        crate::profiles::validate_name(profile)?;
        let backend = self.backend()?;
        let generation = next_generation(self.head_generation(&backend, profile));
        let entries = split(refresh_token.expose().as_bytes(), generation);
        // The new parts under this save's own names: the saved head still names the old ones,
        // so a save interrupted here leaves the previous token whole.
        for (i, chunk) in entries.iter().enumerate().skip(1) {
            entry(&backend, &part_service(Some(generation), i + 1), profile)?
                .set_secret(chunk)
                .map_err(|e| map_error(e, "write to", profile))?;
        }
        // A longer token of an interrupted save under this generation: its extra parts go.
        sweep(&backend, Some(generation), entries.len() + 1, profile)?;
        // The switch: one write, after which readers get the new token.
        entry(&backend, SERVICE, profile)?
            .set_secret(&entries[0])
            .map_err(|e| map_error(e, "write to", profile))?;
        // Then the previous token's parts, and whatever earlier interrupted saves left.
        for leftover in leftover_generations(Some(generation)) {
            sweep(&backend, leftover, 2, profile)?;
        }
        Ok(())
    }

    fn load(&self, profile: &str) -> Result<Option<Secret>> {
        let backend = self.backend()?;
        let Some(head) = read(&backend, SERVICE, profile)? else {
            return Ok(None);
        };
        let Some(header) = parse_head(&head) else {
            // Not written by onboard's chunked format: the whole entry is the token.
            return decode(profile, head).map(Some);
        };
        let mut parts = Vec::with_capacity(header.parts);
        parts.push(Zeroizing::new(header.first.to_vec()));
        for part in 2..=header.parts {
            match read(&backend, &part_service(header.generation, part), profile)? {
                Some(bytes) => parts.push(bytes),
                None => return Err(damaged(profile, &format!("part {part} is missing"))),
            }
        }
        let joined = join(&header, &parts).map_err(|why| damaged(profile, why))?;
        decode(profile, joined).map(Some)
    }

    fn delete(&self, profile: &str) -> Result<bool> {
        let backend = self.backend()?;
        // Head first: once it is gone the profile reads as "not saved", never as damaged.
        let mut deleted = delete_entry(&backend, SERVICE, profile)?;
        // Then the parts of every generation: the head's, and any that interrupted saves left.
        for generation in leftover_generations(None) {
            deleted |= sweep(&backend, generation, 2, profile)?;
        }
        Ok(deleted)
    }

    fn lock(&self, profile: &str, wait: Duration) -> Result<ProfileLock> {
        match &self.locks {
            Some(locks) => locks.lock(profile, wait),
            None => Ok(ProfileLock::none()),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn platform_store() -> Result<Arc<KeyringBackend>> {
    // Reads DBUS_SESSION_BUS_ADDRESS (through zbus) and opens a session with the Secret
    // Service; fails at once when there is no bus or no Secret Service on it.
    let store = zbus_secret_service_keyring_store::Store::new().map_err(connect_error)?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<KeyringBackend>> {
    // Untested here (no macOS machine): compiled by cfg only.
    let store = apple_native_keyring_store::keychain::Store::new().map_err(connect_error)?;
    Ok(store)
}

#[cfg(windows)]
fn platform_store() -> Result<Arc<KeyringBackend>> {
    // Untested here (no Windows machine): compiled by cfg only.
    let store = windows_native_keyring_store::Store::new().map_err(connect_error)?;
    Ok(store)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    windows
)))]
fn platform_store() -> Result<Arc<KeyringBackend>> {
    Err(Error::new(
        Kind::StoreUnavailable,
        "no_keyring",
        "onboard has no keyring support on this operating system",
    )
    .with_hint("use --store file"))
}

fn entry(backend: &Arc<KeyringBackend>, service: &str, profile: &str) -> Result<Entry> {
    Entry::new_in_store(backend, service, profile).map_err(|e| map_error(e, "use", profile))
}

fn read(
    backend: &Arc<KeyringBackend>,
    service: &str,
    profile: &str,
) -> Result<Option<Zeroizing<Vec<u8>>>> {
    match entry(backend, service, profile)?.get_secret() {
        Ok(bytes) => Ok(Some(Zeroizing::new(bytes))),
        Err(keyring_core::Error::NoEntry) => Ok(None),
        Err(e) => Err(map_error(e, "read from", profile)),
    }
}

fn delete_entry(backend: &Arc<KeyringBackend>, service: &str, profile: &str) -> Result<bool> {
    match entry(backend, service, profile)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring_core::Error::NoEntry) => Ok(false),
        Err(e) => Err(map_error(e, "delete from", profile)),
    }
}

fn decode(profile: &str, bytes: Zeroizing<Vec<u8>>) -> Result<Secret> {
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Secret::new(text)),
        Err(_) => Err(damaged(profile, "it is not UTF-8 text")),
    }
}

/// The service name of a part: of the first format (`None`), or of a generation.
fn part_service(generation: Option<u64>, part: usize) -> String {
    match generation {
        None => format!("{SERVICE}:part-{part}"),
        Some(g) => format!("{SERVICE}:g{g}:part-{part}"),
    }
}

/// The header of a head entry, and the first chunk that follows it.
#[derive(Debug, PartialEq, Eq)]
struct Head<'a> {
    /// `None` for the first format.
    generation: Option<u64>,
    parts: usize,
    bytes: usize,
    fnv: u64,
    first: &'a [u8],
}

/// The entries for a token saved as `generation`: the head (header + first chunk), then the
/// other chunks.
fn split(token: &[u8], generation: u64) -> Vec<Zeroizing<Vec<u8>>> {
    let chunks: Vec<&[u8]> = if token.is_empty() {
        vec![&[][..]]
    } else {
        token.chunks(CHUNK_SIZE).collect()
    };
    let header = format!(
        "{HEADER_MAGIC}parts={} bytes={} fnv1a64={:016x} gen={generation}\n",
        chunks.len(),
        token.len(),
        fnv1a64(token)
    );
    let mut entries = Vec::with_capacity(chunks.len());
    let mut head = Zeroizing::new(Vec::with_capacity(header.len() + chunks[0].len()));
    head.extend_from_slice(header.as_bytes());
    head.extend_from_slice(chunks[0]);
    entries.push(head);
    for chunk in &chunks[1..] {
        entries.push(Zeroizing::new(chunk.to_vec()));
    }
    entries
}

/// `None` when the entry does not start with onboard's header (a token stored whole).
fn parse_head(head: &[u8]) -> Option<Head<'_>> {
    let (rest, first_format) = match head.strip_prefix(HEADER_MAGIC.as_bytes()) {
        Some(rest) => (rest, false),
        None => (head.strip_prefix(HEADER_MAGIC_V1.as_bytes())?, true),
    };
    let newline = rest.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&rest[..newline]).ok()?;
    let (mut parts, mut bytes, mut fnv, mut generation) = (None, None, None, None);
    for field in line.split(' ') {
        match field.split_once('=')? {
            ("parts", v) => parts = v.parse().ok(),
            ("bytes", v) => bytes = v.parse().ok(),
            ("fnv1a64", v) => fnv = u64::from_str_radix(v, 16).ok(),
            ("gen", v) => generation = v.parse::<u64>().ok(),
            _ => {}
        }
    }
    let parts = parts.filter(|&p| (1..=MAX_PARTS).contains(&p))?;
    let generation = match first_format {
        true => None,
        false => Some(generation.filter(|g| (1..=GENERATIONS).contains(g))?),
    };
    Some(Head {
        generation,
        parts,
        bytes: bytes?,
        fnv: fnv?,
        first: &rest[newline + 1..],
    })
}

/// Joins the chunks back, checking them against the header.
fn join(
    head: &Head<'_>,
    parts: &[Zeroizing<Vec<u8>>],
) -> std::result::Result<Zeroizing<Vec<u8>>, &'static str> {
    if parts.len() != head.parts {
        return Err("the number of parts does not match its header");
    }
    let mut joined = Zeroizing::new(Vec::with_capacity(head.bytes));
    for part in parts {
        joined.extend_from_slice(part);
    }
    if joined.len() != head.bytes || fnv1a64(&joined) != head.fnv {
        return Err("its parts come from different saves");
    }
    Ok(joined)
}

/// FNV-1a: detects parts from two saves; not a security check (the keyring is the boundary).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn damaged(profile: &str, why: &str) -> Error {
    Error::new(
        Kind::StoreUnavailable,
        "store_damaged",
        format!("the saved credential of profile '{profile}' in {KEYRING_NAME} is damaged: {why}"),
    )
    .with_hint(format!(
        "remove it with `onboard remove {profile}` and onboard again"
    ))
}

/// The store could not be opened at all.
fn connect_error(e: keyring_core::Error) -> Error {
    let detail = describe(&e);
    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
    let hint = "no Secret Service answered on the D-Bus session bus: start one (in a D-Bus \
                session: `gnome-keyring-daemon --unlock --components=secrets`, reading the \
                keyring password on stdin) or use --store file";
    #[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
    let hint = "check that you are logged in to a desktop session, or use --store file";
    Error::new(
        Kind::StoreUnavailable,
        "no_keyring",
        format!("{KEYRING_NAME} is not available: {detail}"),
    )
    .with_hint(hint)
}

/// Any other keyring failure. Never formats the error with `{:?}`: `BadEncoding` and
/// `BadDataFormat` carry the secret's bytes.
fn map_error(e: keyring_core::Error, action: &str, profile: &str) -> Error {
    let detail = describe(&e);
    let (code, hint) = match &e {
        keyring_core::Error::NoStorageAccess(_) => (
            "keyring_locked",
            format!(
                "unlock {KEYRING_NAME} (on a desktop: log out and in, or unlock it in the \
                 passwords app; headless: `gnome-keyring-daemon --replace --unlock \
                 --components=secrets` reading the password on stdin), or use --store file"
            ),
        ),
        keyring_core::Error::Ambiguous(_) => (
            "keyring_ambiguous",
            format!(
                "several entries in {KEYRING_NAME} match service '{SERVICE}' and profile \
                 '{profile}': delete the extra ones (e.g. with secret-tool or the passwords app)"
            ),
        ),
        keyring_core::Error::BadEncoding(_) | keyring_core::Error::BadDataFormat(..) => (
            "store_damaged",
            format!("remove it with `onboard remove {profile}` and onboard again"),
        ),
        _ => (
            "keyring_failed",
            format!("check that {KEYRING_NAME} is running and unlocked, or use --store file"),
        ),
    };
    Error::new(
        Kind::StoreUnavailable,
        code,
        format!("could not {action} {KEYRING_NAME} (profile '{profile}'): {detail}"),
    )
    .with_hint(hint)
}

fn describe(e: &keyring_core::Error) -> String {
    use keyring_core::Error as K;
    match e {
        K::PlatformFailure(inner) => inner.to_string(),
        K::NoStorageAccess(inner) => format!("the keyring is locked or refused access ({inner})"),
        K::NoEntry => "no entry".to_owned(),
        K::BadEncoding(_) => "the entry is not UTF-8 text".to_owned(),
        K::BadDataFormat(..) => "the entry's data is malformed".to_owned(),
        K::BadStoreFormat(why) => format!("the keyring's data is malformed: {why}"),
        K::TooLong(name, limit) => format!("{name} is longer than the keyring allows ({limit})"),
        K::Invalid(name, why) => format!("{name} is invalid: {why}"),
        K::Ambiguous(entries) => format!("{} entries match", entries.len()),
        K::NoDefaultStore => "no keyring store is set up".to_owned(),
        K::NotSupportedByStore(why) => format!("not supported by the keyring: {why}"),
        _ => "unknown keyring error".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(token: &[u8]) -> Vec<u8> {
        let entries = split(token, 2);
        for e in &entries {
            assert!(e.len() <= 2560, "entry of {} bytes", e.len());
        }
        let head = parse_head(&entries[0]).unwrap();
        let mut parts = vec![Zeroizing::new(head.first.to_vec())];
        parts.extend(entries[1..].iter().cloned());
        join(&head, &parts).unwrap().to_vec()
    }

    #[test]
    fn tokens_split_into_chunks_and_join_back() {
        for len in [0, 1, 1500, 2047, 2048, 2049, 4096, 6 * 1024, 10_000] {
            let token: Vec<u8> = (0..len).map(|i| b"abcXYZ.-_0123"[i % 13]).collect();
            let entries = split(&token, 1);
            assert_eq!(entries.len(), len.div_ceil(CHUNK_SIZE).max(1), "len {len}");
            assert_eq!(roundtrip(&token), token, "len {len}");
        }
    }

    #[test]
    fn parts_from_two_saves_are_detected() {
        let a: Vec<u8> = vec![b'a'; 5000];
        let b: Vec<u8> = vec![b'b'; 5000];
        let (ea, eb) = (split(&a, 1), split(&b, 2));
        let head = parse_head(&ea[0]).unwrap();
        let mixed = vec![
            Zeroizing::new(head.first.to_vec()),
            eb[1].clone(),
            ea[2].clone(),
        ];
        assert!(join(&head, &mixed).is_err());
        assert!(join(&head, &mixed[..2]).is_err());
    }

    #[test]
    fn a_token_stored_whole_is_not_mistaken_for_a_header() {
        assert_eq!(parse_head(b"0.AVYA-plain-token"), None);
        assert_eq!(
            parse_head(b"onboard-chunks/1 parts=999 bytes=1 fnv1a64=0\nx"),
            None
        );
        // The second format names its generation; without one it is not a header.
        assert_eq!(
            parse_head(b"onboard-chunks/2 parts=2 bytes=1 fnv1a64=0\nx"),
            None
        );
    }

    #[test]
    fn each_save_names_its_parts_after_its_generation() {
        let entries = split(&[b'x'; 5000], 3);
        let head = parse_head(&entries[0]).unwrap();
        assert_eq!(head.generation, Some(3));
        assert_eq!(part_service(head.generation, 2), "onboard:g3:part-2");
        // Three names in turn: never the head's own, nor the one before it.
        assert_eq!(
            [None, Some(1), Some(2), Some(3)].map(next_generation),
            [1, 2, 3, 1]
        );
        let others: Vec<_> = leftover_generations(Some(2)).collect();
        assert_eq!(others, [None, Some(1), Some(3)]);
        let v1 = parse_head(b"onboard-chunks/1 parts=2 bytes=1 fnv1a64=0\nx").unwrap();
        assert_eq!(v1.generation, None);
        assert_eq!(part_service(v1.generation, 2), "onboard:part-2");
    }

    #[test]
    fn keyring_errors_never_show_the_secret() {
        let e = map_error(
            keyring_core::Error::BadEncoding(b"0.AVYA-secret".to_vec()),
            "read from",
            "p",
        );
        let shown = format!("{e} {:?}", e.hint);
        assert!(!shown.contains("AVYA"), "{shown}");
        assert_eq!(e.exit_code(), 7);
    }
}
