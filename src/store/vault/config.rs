//! Where the team vault is and how to reach it: the address (https, or http on loopback), the
//! token, the namespace, the KV version 2 mount and the path prefix, checked and normalised.

use url::Url;

use crate::error::{Error, Kind, Result};
use crate::secret::Secret;

/// The mount used when `--vault-mount` is not given.
pub const DEFAULT_MOUNT: &str = "secret";
/// The path prefix used when `ONBOARD_VAULT_PREFIX` is not set.
pub const DEFAULT_PREFIX: &str = "onboard/";

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
pub(super) fn is_plain_path(path: &str) -> bool {
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
pub(super) fn shown(value: &str) -> String {
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

pub(super) fn config_error(message: impl Into<String>) -> Error {
    Error::new(Kind::StoreUnavailable, "vault_config", message)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
