//! The KV version 2 client: read an entry with its version, write it (with a check-and-set on
//! a version), delete it, list a folder; and every answer that is not a success turned into one
//! exit-7 error that says what to do. Knows paths and HTTP, not profiles or tokens.
//!
//! Layout under the mount: `<prefix>profiles/<name>` holds the profile's facts (what
//! `profiles.json` holds for the local stores), its last validation and its `refresh_token`;
//! `<prefix>credentials/<name>` held the token in the layout of earlier builds, read until the
//! next token write moves it. Names are escaped into one path segment.

use reqwest::{Client, Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::config::{VaultConfig, config_error};
use crate::error::{Code, Error, Result};
use crate::http::{self, Reply};

/// The folders of onboard's entries in the vault.
#[derive(Clone, Copy, Debug)]
pub(super) enum Folder {
    /// The refresh tokens of the earlier layout.
    Credentials,
    /// One entry per profile: the profile, its last validation and its refresh token.
    Profiles,
}

impl Folder {
    pub(super) fn name(self) -> &'static str {
        match self {
            Folder::Credentials => "credentials",
            Folder::Profiles => "profiles",
        }
    }
}

/// A KV v2 read: the entry's data and its version.
pub(super) struct Entry {
    pub data: serde_json::Map<String, Value>,
    pub version: u64,
}

/// What a check-and-set write found.
pub(super) enum Written {
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

/// The vault's HTTP API, as one token sees it.
pub(super) struct Kv {
    pub config: VaultConfig,
    http: Client,
}

impl Kv {
    /// `http` must come from the crate's client builder, which follows no redirect (a redirect
    /// would carry the vault token to wherever it points).
    pub fn new(config: VaultConfig, http: Client) -> Kv {
        Kv { config, http }
    }

    /// `https://vault:8200`, for messages.
    pub fn addr(&self) -> String {
        self.config.addr.as_str().trim_end_matches('/').to_owned()
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
    pub fn location(&self, folder: Folder, name: &str) -> String {
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

    pub async fn read(&self, folder: Folder, name: &str) -> Result<Option<Entry>> {
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
    pub async fn write(
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
    pub async fn remove(&self, folder: Folder, name: &str) -> Result<bool> {
        let existed = self.read(folder, name).await?.is_some();
        let url = self.api_url("metadata", folder, Some(name))?;
        let what = format!("delete {}", self.location(folder, name));
        let reply = self.send(Method::DELETE, url, None).await?;
        if reply.status.is_success() || reply.status == StatusCode::NOT_FOUND && !existed {
            return Ok(existed);
        }
        Err(self.failure(&reply, &what).await)
    }

    /// Deletes every version of the entry without reading it first; an entry that is not
    /// there is no error.
    pub async fn purge(&self, folder: Folder, name: &str) -> Result<()> {
        let url = self.api_url("metadata", folder, Some(name))?;
        let what = format!("delete {}", self.location(folder, name));
        let reply = self.send(Method::DELETE, url, None).await?;
        if reply.status.is_success() || is_absent(&reply) {
            return Ok(());
        }
        Err(self.failure(&reply, &what).await)
    }

    pub async fn list(&self, folder: Folder) -> Result<Vec<String>> {
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

/// A profile name as one path segment: letters, digits and `-_.@` stay, every other byte is
/// `~` and two hex digits (the vault decodes `%2F` into a path separator, so percent-encoding
/// cannot be used). A name of dots only is escaped whole, so it never reads as `.` or `..`.
pub(super) fn escape_name(name: &str) -> String {
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
}
