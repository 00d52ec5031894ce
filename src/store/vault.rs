//! The team store: refresh tokens and profiles in OpenBao or HashiCorp Vault (KV version 2,
//! the same HTTP API on both), so technicians and CI share one set of onboardings. Every
//! token write after a read is a check-and-set on the version that was read, so two machines
//! rotating one profile never replace a newer token with an older one.
//!
//! Layout under the mount: `<prefix>credentials/<name>` holds `{"refresh_token": …}`,
//! `<prefix>profiles/<name>` holds the profile's non-secret facts (what `profiles.json` holds
//! for the local stores). Names are escaped into one path segment.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::{Client, Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use url::Url;

use super::{CredentialStore, StoreKind};
use crate::error::{Code, Error, Result};
use crate::http::{self, Reply};
use crate::profiles::{Profile, ProfilesFile, SharedProfiles};
use crate::secret::Secret;

/// The mount used when `--vault-mount` is not given.
pub const DEFAULT_MOUNT: &str = "secret";
/// The path prefix used when `ONBOARD_VAULT_PREFIX` is not set.
pub const DEFAULT_PREFIX: &str = "onboard/";
/// How many profiles are read or written at the same time by `list` and `validate --all`.
const PARALLEL_CALLS: usize = 32;

/// Where the vault is and how to talk to it, as the environment and `--vault-mount` say.
#[derive(Clone, Debug)]
pub struct VaultConfig {
    /// `VAULT_ADDR` / `BAO_ADDR`: https://, or http:// on a loopback host.
    pub addr: Url,
    /// `VAULT_TOKEN` / `BAO_TOKEN`.
    pub token: Secret,
    /// `VAULT_NAMESPACE` (Vault Enterprise, OpenBao namespaces).
    pub namespace: Option<String>,
    pub mount: String,
    /// Ends with `/` unless empty.
    pub prefix: String,
}

impl VaultConfig {
    /// Checks the address (a URL; https unless loopback) and normalises mount and prefix.
    pub fn new(
        addr: &str,
        token: Secret,
        namespace: Option<String>,
        mount: &str,
        prefix: &str,
    ) -> Result<VaultConfig> {
        let bad_addr = |why: &str| {
            config_error(format!("VAULT_ADDR '{addr}' {why}")).with_hint(
                "set VAULT_ADDR (or BAO_ADDR) to the vault's URL, e.g. https://vault.example.com:8200",
            )
        };
        let url = Url::parse(addr.trim()).map_err(|_| bad_addr("is not a URL"))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(bad_addr("uses http:// to a host that is not this machine")
                    .with_hint("use https:// (tokens must not cross the network in clear); set VAULT_CACERT if the vault's certificate comes from a private CA"));
            }
            _ => return Err(bad_addr("is not an http(s) URL")),
        }
        if url.host_str().is_none() {
            return Err(bad_addr("has no host"));
        }
        let mount = mount.trim_matches('/');
        if mount.is_empty() || !is_plain_path(mount) {
            return Err(Error::usage(format!(
                "--vault-mount '{}' is not a mount path",
                shown(mount)
            ))
            .with_hint(
                "name the KV version 2 mount with letters, digits and - _ . / only, e.g. --vault-mount secret",
            ));
        }
        let prefix = prefix.trim_matches('/');
        if !prefix.is_empty() && !is_plain_path(prefix) {
            return Err(Error::usage(format!(
                "ONBOARD_VAULT_PREFIX '{}' is not a plain path inside the mount",
                shown(prefix)
            ))
            .with_hint(
                "set ONBOARD_VAULT_PREFIX to a path of letters, digits and - _ . / such as onboard/ or teams/msp/onboard/",
            ));
        }
        Ok(VaultConfig {
            addr: url,
            token,
            namespace: namespace.filter(|n| !n.trim().is_empty()),
            mount: mount.to_owned(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        })
    }
}

/// A mount or prefix the vault's URL path takes as it is: segments of ASCII letters, digits and
/// `-_.`, none empty, `.` or `..`. Anything else (`%2e%2e`, `?`, `#`, `\\`, spaces) could be
/// decoded or normalised into another path, or end the path early.
fn is_plain_path(path: &str) -> bool {
    path.split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    })
}

/// A rejected value, short and without control characters, for the error line.
fn shown(value: &str) -> String {
    let mut text: String = value.chars().filter(|c| !c.is_control()).take(80).collect();
    if value.chars().count() > 80 {
        text.push('…');
    }
    text
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The two kinds of entries onboard keeps in the vault.
#[derive(Clone, Copy, Debug)]
enum Folder {
    Credentials,
    Profiles,
}

impl Folder {
    fn name(self) -> &'static str {
        match self {
            Folder::Credentials => "credentials",
            Folder::Profiles => "profiles",
        }
    }
}

/// A KV v2 read: the entry's data and its version.
struct Entry {
    data: serde_json::Map<String, Value>,
    version: u64,
}

/// What a check-and-set write found.
enum Written {
    Version(u64),
    /// Someone else wrote the entry since the version given.
    Conflict,
}

#[derive(Deserialize)]
struct ReadReply {
    data: ReadData,
}

#[derive(Deserialize)]
struct ReadData {
    data: Option<serde_json::Map<String, Value>>,
    metadata: Metadata,
}

#[derive(Deserialize)]
struct Metadata {
    version: u64,
}

#[derive(Deserialize)]
struct WriteReply {
    data: Metadata,
}

#[derive(Deserialize)]
struct ListReply {
    data: ListData,
}

#[derive(Deserialize)]
struct ListData {
    #[serde(default)]
    keys: Vec<String>,
}

#[derive(Deserialize, Default)]
struct ErrorsReply {
    #[serde(default)]
    errors: Vec<String>,
}

#[derive(Deserialize)]
struct SealStatus {
    sealed: bool,
}

/// One vault, shared by the credential store and the profile list of a run. Remembers which
/// version of each credential it read, for the check-and-set of the rotated token.
pub struct Vault {
    config: VaultConfig,
    http: Client,
    /// The runtime the HTTP client lives on: store calls arrive on plain threads.
    runtime: tokio::runtime::Handle,
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
            .field("addr", &self.config.addr.as_str())
            .field("mount", &self.config.mount)
            .field("prefix", &self.config.prefix)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// `http` must come from the crate's client builder, which follows no redirect (a redirect would
    /// carry the vault token to wherever it points). Call within the tokio runtime.
    pub fn new(config: VaultConfig, http: Client) -> Result<Vault> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::unexpected("the vault store was set up outside the async runtime")
        })?;
        Ok(Vault {
            config,
            http,
            runtime,
            versions: Mutex::default(),
            seen: Mutex::default(),
            profiles_read: Mutex::default(),
        })
    }

    /// `https://vault:8200`, for messages.
    fn addr(&self) -> String {
        self.config.addr.as_str().trim_end_matches('/').to_owned()
    }

    /// Runs `future` to completion from synchronous code: on a plain thread directly, on a
    /// runtime worker without stalling the runtime's other tasks.
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| handle.block_on(future))
            }
            _ => self.runtime.block_on(future),
        }
    }

    fn api_url(&self, api: &str, folder: Folder, name: Option<&str>) -> Result<Url> {
        let mut path = format!(
            "{}/{api}/{}{}/",
            self.config.mount,
            self.config.prefix,
            folder.name()
        );
        if let Some(name) = name {
            path.push_str(&escape_name(name));
        }
        self.endpoint(&path)
    }

    /// `VAULT_ADDR` + `/v1/` + `path` (the address may carry a path of its own).
    fn endpoint(&self, path: &str) -> Result<Url> {
        let base = self.config.addr.path().trim_end_matches('/');
        self.config
            .addr
            .join(&format!("{base}/v1/{path}"))
            .map_err(|e| config_error(format!("cannot form a vault URL: {e}")))
    }

    /// Where an entry is, in the vault's own terms, for messages.
    fn location(&self, folder: Folder, name: &str) -> String {
        format!(
            "{}/{}{}/{}",
            self.config.mount,
            self.config.prefix,
            folder.name(),
            escape_name(name)
        )
    }

    async fn send(&self, method: Method, url: Url, body: Option<Value>) -> Result<Reply> {
        let mut request = self
            .http
            .request(method, url)
            .header("X-Vault-Request", "true");
        let mut token = reqwest::header::HeaderValue::from_str(self.config.token.expose())
            .map_err(|_| {
                config_error("VAULT_TOKEN holds characters a token cannot have")
                    .with_hint("set VAULT_TOKEN (or BAO_TOKEN) to the token `bao login` or `vault login` printed")
            })?;
        token.set_sensitive(true);
        request = request.header("X-Vault-Token", token);
        if let Some(namespace) = &self.config.namespace {
            request = request.header("X-Vault-Namespace", namespace);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let request = request
            .build()
            .map_err(|e| Error::unexpected(format!("cannot build the vault request: {e}")))?;
        http::execute(&self.http, request)
            .await
            .map_err(|e| self.unreachable(e))
    }

    /// A transport failure talking to the vault: the credential store is unavailable.
    fn unreachable(&self, e: Error) -> Error {
        Error::new(
            Code::VaultUnreachable,
            format!("the vault at {}: {}", self.addr(), e.message),
        )
        .with_hint(
            "check VAULT_ADDR and that the vault is running and reachable from here; if its \
             certificate comes from a private CA, set VAULT_CACERT to that CA's PEM file",
        )
    }

    /// Any answer that is not the success the caller looks for.
    async fn failure(&self, reply: &Reply, what: &str) -> Error {
        let errors = serde_json::from_slice::<ErrorsReply>(&reply.body)
            .unwrap_or_default()
            .errors;
        let said = if errors.is_empty() {
            String::new()
        } else {
            format!(": {}", truncate(&errors.join("; "), 200))
        };
        let addr = self.addr();
        let status = reply.status;
        let error =
            |code: Code, message: String, hint: &str| Error::new(code, message).with_hint(hint);
        if status.is_redirection() {
            let to = reply
                .headers
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .unwrap_or("elsewhere");
            return error(
                Code::VaultRedirect,
                format!("the vault at {addr} redirected {what} to {to}"),
                "set VAULT_ADDR to the address the vault redirects to (its active node); onboard \
                 does not follow redirects with the vault token",
            );
        }
        match status {
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => error(
                Code::VaultForbidden,
                format!("the vault at {addr} refused to {what}{said}"),
                &format!(
                    "VAULT_TOKEN may have expired (log in again), or its policy lacks this path: \
                     onboard needs read, create and update on {m}/data/{p}*, list on \
                     {m}/metadata/{p}* and delete there for `onboard remove`",
                    m = self.config.mount,
                    p = self.config.prefix
                ),
            ),
            StatusCode::NOT_FOUND => error(
                Code::VaultNoRoute,
                format!("the vault at {addr} has no such path to {what}{said}"),
                &format!(
                    "check --vault-mount (now '{}'; it must be a KV version 2 mount, see `bao \
                     secrets list`) and VAULT_NAMESPACE",
                    self.config.mount
                ),
            ),
            StatusCode::SERVICE_UNAVAILABLE if self.sealed().await => error(
                Code::VaultSealed,
                format!("the vault at {addr} is sealed"),
                "ask the vault's operators to unseal it (`bao operator unseal` or `vault \
                 operator unseal`), then run onboard again",
            ),
            StatusCode::TOO_MANY_REQUESTS => error(
                Code::VaultThrottled,
                format!("the vault at {addr} is rate-limiting requests ({status})"),
                "lower --jobs, or ask the vault's operators to raise the rate limit quota for \
                 this path",
            ),
            s if s.is_server_error() => error(
                Code::VaultFailing,
                format!("the vault at {addr} failed to {what} ({status}){said}"),
                "the vault has a problem or is in standby: retry later, or ask its operators",
            ),
            _ => error(
                Code::VaultRefused,
                format!("the vault at {addr} refused to {what} ({status}){said}"),
                "check VAULT_ADDR, --vault-mount and ONBOARD_VAULT_PREFIX",
            ),
        }
    }

    /// Whether the vault says it is sealed (its seal status needs no token).
    async fn sealed(&self) -> bool {
        let Ok(url) = self.endpoint("sys/seal-status") else {
            return false;
        };
        match self.send(Method::GET, url, None).await {
            Ok(reply) if reply.status.is_success() => {
                serde_json::from_slice::<SealStatus>(&reply.body).is_ok_and(|s| s.sealed)
            }
            _ => false,
        }
    }

    fn not_kv2(&self, what: &str) -> Error {
        Error::new(
            Code::VaultNotKv2,
            format!(
                "the vault at {} answered {what} with something that is not KV version 2",
                self.addr()
            ),
        )
        .with_hint(format!(
            "--vault-mount must name a KV version 2 mount (now '{}'); enable one with `bao \
             secrets enable -version=2 -path={} kv`",
            self.config.mount, self.config.mount
        ))
    }

    async fn read(&self, folder: Folder, name: &str) -> Result<Option<Entry>> {
        let url = self.api_url("data", folder, Some(name))?;
        let what = format!("read {}", self.location(folder, name));
        let reply = self.send(Method::GET, url, None).await?;
        if is_absent(&reply) {
            return Ok(None);
        }
        if !reply.status.is_success() {
            return Err(self.failure(&reply, &what).await);
        }
        let parsed: ReadReply =
            serde_json::from_slice(&reply.body).map_err(|_| self.not_kv2(&what))?;
        Ok(parsed.data.data.map(|data| Entry {
            data,
            version: parsed.data.metadata.version,
        }))
    }

    /// Writes `data`; with `cas`, only over that version (0: only when there is none yet).
    async fn write(
        &self,
        folder: Folder,
        name: &str,
        data: Value,
        cas: Option<u64>,
    ) -> Result<Written> {
        let url = self.api_url("data", folder, Some(name))?;
        let what = format!("write {}", self.location(folder, name));
        let body = match cas {
            Some(version) => json!({ "options": { "cas": version }, "data": data }),
            None => json!({ "data": data }),
        };
        let reply = self.send(Method::POST, url, Some(body)).await?;
        if reply.status.is_success() {
            let parsed: WriteReply =
                serde_json::from_slice(&reply.body).map_err(|_| self.not_kv2(&what))?;
            return Ok(Written::Version(parsed.data.version));
        }
        if let Some(expected) = cas
            && reply.status == StatusCode::BAD_REQUEST
        {
            // A check-and-set mismatch is a 400; tell it from other 400s by the version now.
            let now = self.read(folder, name).await?.map_or(0, |e| e.version);
            if now != expected {
                return Ok(Written::Conflict);
            }
        }
        Err(self.failure(&reply, &what).await)
    }

    /// Deletes every version of the entry; `true` when there was one.
    async fn remove(&self, folder: Folder, name: &str) -> Result<bool> {
        let existed = self.read(folder, name).await?.is_some();
        let url = self.api_url("metadata", folder, Some(name))?;
        let what = format!("delete {}", self.location(folder, name));
        let reply = self.send(Method::DELETE, url, None).await?;
        if reply.status.is_success() || reply.status == StatusCode::NOT_FOUND && !existed {
            return Ok(existed);
        }
        Err(self.failure(&reply, &what).await)
    }

    async fn list(&self, folder: Folder) -> Result<Vec<String>> {
        let mut url = self.api_url("metadata", folder, None)?;
        url.set_query(Some("list=true"));
        let what = format!(
            "list {}/{}{}/",
            self.config.mount,
            self.config.prefix,
            folder.name()
        );
        let reply = self.send(Method::GET, url, None).await?;
        if is_absent(&reply) {
            return Ok(Vec::new());
        }
        if !reply.status.is_success() {
            return Err(self.failure(&reply, &what).await);
        }
        let parsed: ListReply =
            serde_json::from_slice(&reply.body).map_err(|_| self.not_kv2(&what))?;
        Ok(parsed
            .data
            .keys
            .iter()
            // Sub-folders end with '/': not ours.
            .filter(|k| !k.ends_with('/'))
            .filter_map(|k| unescape_name(k))
            .collect())
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
            Code::VaultLost,
            format!(
                "profile '{name}' was in the vault at {} earlier in this run and is gone now: \
                 the vault lost its data (was it restarted in dev mode, which keeps nothing in \
                 memory, or restored?) or someone removed the profile",
                self.addr()
            ),
        )
        .with_hint(format!(
            "check the vault's storage with its operators; if the profile is really gone, \
             onboard it again with `onboard invite --store vault --profile {name}`"
        ))
    }

    async fn load_credential(&self, name: &str) -> Result<Option<Secret>> {
        let entry = self.read(Folder::Credentials, name).await?;
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
                    Code::VaultEntry,
                    format!(
                        "{} in the vault has no refresh_token",
                        self.location(Folder::Credentials, name)
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
    async fn save_credential(&self, name: &str, token: &Secret) -> Result<()> {
        let data = json!({ "refresh_token": token.expose() });
        let cas = self.remembered_version(name);
        match self.write(Folder::Credentials, name, data, cas).await? {
            Written::Version(version) => {
                self.remember_version(name, version);
                self.saw(name);
                Ok(())
            }
            Written::Conflict => match self.read(Folder::Credentials, name).await? {
                Some(newer) if cas.is_some_and(|read| newer.version > read) => {
                    tracing::info!(
                        profile = name,
                        "another run saved a newer refresh token meanwhile; keeping it"
                    );
                    self.remember_version(name, newer.version);
                    Ok(())
                }
                Some(_) => Err(Error::new(
                    Code::VaultConflict,
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

    async fn delete_credential(&self, name: &str) -> Result<bool> {
        let removed = self.remove(Folder::Credentials, name).await?;
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
        let names = self.list(Folder::Profiles).await?;
        let entries = in_parallel(names, |name| {
            let vault = Arc::clone(self);
            async move {
                // Parsed as it arrives: the raw JSON of ten thousand profiles held until the
                // last one came was most of the memory `list` used.
                let read = match vault.read(Folder::Profiles, &name).await {
                    Ok(Some(entry)) => vault
                        .parse_profile(&name, entry.data)
                        .map(|profile| Some((entry.version, profile))),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                };
                (name, read)
            }
        })
        .await?;
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
                Code::VaultEntry,
                format!(
                    "{} in the vault is not a profile onboard can read: {}",
                    self.location(Folder::Profiles, name),
                    crate::json_file::describe_json_error(&e)
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
    pub fn load_profiles(self: &Arc<Self>) -> Result<ProfilesFile> {
        let profiles = self.block_on(self.read_profiles())?;
        Ok(ProfilesFile {
            profiles: profiles.into_iter().map(|(n, (_, p))| (n, p)).collect(),
            ..ProfilesFile::default()
        })
    }

    /// One profile, or `None`.
    pub fn get_profile(&self, name: &str) -> Result<Option<Profile>> {
        self.block_on(async {
            match self.read(Folder::Profiles, name).await? {
                Some(entry) => {
                    self.saw(name);
                    let profile = self.parse_profile(name, entry.data)?;
                    self.read_profiles_lock()
                        .insert(name.to_owned(), (entry.version, profile.clone()));
                    Ok(Some(profile))
                }
                None => Ok(None),
            }
        })
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
    pub fn update_profiles<T>(
        self: &Arc<Self>,
        change: impl FnOnce(&mut ProfilesFile) -> Result<T>,
    ) -> Result<T> {
        let known = self.read_profiles_lock().clone();
        let before = if known.is_empty() {
            self.block_on(self.read_profiles())?
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
        let value = change(&mut file)?;
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
        self.block_on(self.apply(writes))?;
        Ok(value)
    }

    /// Writes (or, for `None`, removes) the profiles, several at a time; the first error wins.
    async fn apply(self: &Arc<Self>, writes: Vec<ProfileWrite>) -> Result<()> {
        let results = in_parallel(writes, |(name, old, new)| {
            let vault = Arc::clone(self);
            async move {
                match new {
                    Some(profile) => vault.put_profile(&name, old.as_ref(), &profile).await,
                    None => {
                        vault.remove(Folder::Profiles, &name).await?;
                        vault.read_profiles_lock().remove(&name);
                        Ok(())
                    }
                }
            }
        })
        .await?;
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
            match self.write(Folder::Profiles, name, data, Some(cas)).await? {
                Written::Version(version) => {
                    self.read_profiles_lock()
                        .insert(name.to_owned(), (version, profile));
                    return Ok(());
                }
                Written::Conflict => {}
            }
            let current = self.read(Folder::Profiles, name).await?;
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
            Code::VaultConflict,
            format!("profile '{name}' was changed in the vault by another run meanwhile"),
        )
        .with_hint("look at it with `onboard list --store vault`, then run the command again")
    }
}

/// A 404 without error text: the entry (or folder) does not exist, or its last version was
/// deleted. A missing mount or namespace is a 404 that says why.
fn is_absent(reply: &Reply) -> bool {
    reply.status == StatusCode::NOT_FOUND
        && serde_json::from_slice::<ErrorsReply>(&reply.body)
            .map(|e| e.errors)
            .unwrap_or_default()
            .is_empty()
}

/// Whether `after` is `before` with only its last validation (and the scopes it found)
/// changed.
fn only_validation_differs(before: &Profile, after: &Profile) -> bool {
    let mut after = after.clone();
    after.last_validation = before.last_validation.clone();
    after.connection.scopes = before.connection.scopes.clone();
    &after == before
}

/// Runs `work` on every item, at most [`PARALLEL_CALLS`] at a time. Each is spawned only when
/// a slot is free: ten thousand futures spawned at once would hold their memory all together.
async fn in_parallel<I, T, F, Fut>(items: I, work: F) -> Result<Vec<T>>
where
    I: IntoIterator,
    F: Fn(I::Item) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut items = items.into_iter();
    let mut tasks = JoinSet::new();
    let mut results = Vec::new();
    loop {
        while tasks.len() < PARALLEL_CALLS {
            let Some(item) = items.next() else { break };
            tasks.spawn(work(item));
        }
        match tasks.join_next().await {
            Some(joined) => results
                .push(joined.map_err(|e| Error::unexpected(format!("a vault call failed: {e}")))?),
            None => return Ok(results),
        }
    }
}

/// A profile to write (`Some`) or remove (`None`), with the version read before.
type ProfileWrite = (String, Option<(u64, Profile)>, Option<Profile>);

/// The profiles kept in the vault, for [`crate::profiles::Profiles::shared`].
pub struct VaultProfiles(pub Arc<Vault>);

impl SharedProfiles for VaultProfiles {
    fn load(&self) -> Result<ProfilesFile> {
        self.0.load_profiles()
    }

    fn get(&self, name: &str) -> Result<Option<Profile>> {
        self.0.get_profile(name)
    }

    fn update(&self, change: &mut dyn FnMut(&mut ProfilesFile) -> Result<()>) -> Result<()> {
        self.0.update_profiles(change)
    }
}

/// The credential store half of [`Vault`].
#[derive(Clone, Debug)]
pub struct VaultStore {
    vault: Arc<Vault>,
}

impl VaultStore {
    pub fn new(vault: Arc<Vault>) -> Self {
        VaultStore { vault }
    }
}

impl CredentialStore for VaultStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Vault
    }

    fn save(&self, profile: &str, refresh_token: &Secret) -> Result<()> {
        crate::profiles::validate_name(profile)?;
        self.vault
            .block_on(self.vault.save_credential(profile, refresh_token))
    }

    fn load(&self, profile: &str) -> Result<Option<Secret>> {
        self.vault.block_on(self.vault.load_credential(profile))
    }

    fn delete(&self, profile: &str) -> Result<bool> {
        self.vault.block_on(self.vault.delete_credential(profile))
    }
}

fn config_error(message: impl Into<String>) -> Error {
    Error::new(Code::VaultConfig, message)
}

/// A profile name as one path segment: letters, digits and `-_.@` stay, every other byte is
/// `~` and two hex digits (the vault decodes `%2F` into a path separator, so percent-encoding
/// cannot be used). A name of dots only is escaped whole, so it never reads as `.` or `..`.
fn escape_name(name: &str) -> String {
    let all_dots = name.bytes().all(|b| b == b'.');
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'@')
            || (b == b'.' && !all_dots);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("~{b:02X}"));
        }
    }
    out
}

fn unescape_name(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'~' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_one_path_segment_and_back() {
        for name in [
            "contoso.onmicrosoft.com",
            "a/b",
            "..",
            ".",
            "with space",
            "tilde~x",
            "ünï",
            "%2F",
        ] {
            let segment = escape_name(name);
            assert!(
                !segment.contains('/') && !segment.contains('%'),
                "{segment}"
            );
            assert!(segment != "." && segment != "..", "{segment}");
            assert_eq!(unescape_name(&segment).as_deref(), Some(name));
        }
        assert_eq!(
            escape_name("contoso.onmicrosoft.com"),
            "contoso.onmicrosoft.com"
        );
        assert_eq!(unescape_name("~G1"), None);
    }

    #[test]
    fn the_address_must_be_https_unless_loopback() {
        let config =
            |addr: &str| VaultConfig::new(addr, Secret::new("t"), None, "secret", "onboard");
        assert!(config("https://vault.example.com:8200").is_ok());
        assert!(config("http://127.0.0.1:8200").is_ok());
        assert!(config("http://localhost:8200").is_ok());
        let e = config("http://vault.example.com:8200").unwrap_err();
        assert_eq!(e.exit_code(), 7);
        assert!(e.hint.unwrap().contains("https://"));
        assert_eq!(config("vault:8200").unwrap_err().exit_code(), 7);
        assert_eq!(config("not a url").unwrap_err().exit_code(), 7);
    }

    #[test]
    fn mount_and_prefix_are_normalised() {
        let c = VaultConfig::new(
            "http://127.0.0.1:1",
            Secret::new("t"),
            Some(" ".into()),
            "/kv/",
            "/teams/x",
        )
        .unwrap();
        assert_eq!(c.mount, "kv");
        assert_eq!(c.prefix, "teams/x/");
        assert_eq!(c.namespace, None);
        let c =
            VaultConfig::new("http://127.0.0.1:1", Secret::new("t"), None, "secret", "").unwrap();
        assert_eq!(c.prefix, "");
        assert!(
            VaultConfig::new(
                "http://127.0.0.1:1",
                Secret::new("t"),
                None,
                "secret",
                "../x"
            )
            .is_err()
        );
        assert!(VaultConfig::new("http://127.0.0.1:1", Secret::new("t"), None, "", "x").is_err());
        for bad in [
            "%2e%2e",
            "a/%2e%2e/b",
            "a?list=true",
            "a#b",
            "a b",
            "a\\b",
            "a//b",
            "./a",
            "a/..",
            "ü",
        ] {
            for (mount, prefix) in [(bad, "onboard"), ("secret", bad)] {
                let e =
                    VaultConfig::new("http://127.0.0.1:1", Secret::new("t"), None, mount, prefix)
                        .unwrap_err();
                assert_eq!(e.exit_code(), 2, "{mount} {prefix}");
            }
        }
    }

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
