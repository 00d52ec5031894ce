//! The one place real dependencies are built from the command line and the environment: the
//! HTTP client, the terminal, the config directory, the credential stores. The only code that
//! reads environment variables (through [`crate::environment`]) or asks "is this a terminal?".
//! Each part is built when a command first asks for it: a command that sends no request never
//! builds the HTTP client, which reads the system's CA certificates.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::Client;

use crate::cli::{ColorChoice, GlobalArgs, StoreChoice};
use crate::environment::Var;
use crate::error::{Code, Error, Result};
use crate::http::{HttpOptions, build_client};
use crate::profiles::{LocalProfiles, Profiles, StoreKind, default_config_dir};
use crate::secret::Secret;
use crate::store::env::CREDENTIAL_VAR;
use crate::store::vault::{DEFAULT_PREFIX, Vault, VaultConfig, VaultProfiles, VaultStore};
use crate::store::{
    EnvStore, ExportedCredential, FILE_STORE_WARNING, FileStore, KeyringStore, ProfileLocks,
    TimedStore,
};
use crate::ui::term::{
    NoBrowser, NoClipboard, NoSpinner, PlainPrompter, SystemBrowser, SystemClipboard, TermKeys,
    TermOutput, TermPrompter, TermSpinner,
};
use crate::ui::{Browser, Clipboard, Keys, Output, Prompter, Spinner};

/// Everything a command may use, each part built once, when first used.
pub struct Deps {
    http: OnceLock<Client>,
    ca_cert: Option<PathBuf>,
    pub out: Box<dyn Output>,
    pub json: bool,
    /// stdin and stderr are terminals: a person can answer prompts.
    pub interactive: bool,
    /// Where secrets must not be printed by accident (`export`).
    pub stdout_is_terminal: bool,
    config_dir: Option<PathBuf>,
    /// `ONBOARD_CREDENTIAL` as [`take_secret_environment`] took it from the environment.
    exported_credential: Option<OsString>,
    /// `VAULT_TOKEN` (or `BAO_TOKEN`) as [`take_secret_environment`] took it.
    vault_token: Option<OsString>,
    store_choice: Option<StoreChoice>,
    file_store_announced: bool,
    vault_mount: String,
    /// `--allow-authority`: the non-Microsoft sign-in servers whose vault profiles may be used.
    allowed_authorities: Vec<String>,
    /// Built on first use, shared by the profiles and the credential store.
    vault: OnceLock<Arc<Vault>>,
}

/// Proxy environment variables, as set.
#[derive(Clone, Debug, Default)]
pub struct ProxyEnv {
    pub https: Option<String>,
    pub no_proxy: Option<String>,
}

/// The terminal parts of the wizard, each a small trait so that tests can script them.
pub struct WizardUi {
    pub prompter: Box<dyn Prompter>,
    pub spinner: Box<dyn Spinner>,
    pub clipboard: Box<dyn Clipboard>,
    pub browser: Box<dyn Browser>,
    /// Single keys, read while the returned value lives (the terminal is in raw mode then).
    pub keys: Box<dyn Fn() -> Box<dyn Keys> + Send>,
    /// Static lines for screen readers (`--accessible`, `ACCESSIBLE`).
    pub accessible: bool,
}

impl Deps {
    /// `secrets` is what [`take_secret_environment`] returned.
    pub fn from_cli(global: &GlobalArgs, secrets: SecretEnvironment) -> Result<Deps> {
        let colors = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                Var::NoColor.os().is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
            }
        };
        crate::ui::term::set_colors(colors);
        Ok(Deps {
            http: OnceLock::new(),
            ca_cert: global.ca_cert.clone(),
            vault_mount: global.vault_mount.clone(),
            allowed_authorities: global
                .allow_authorities
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            vault: OnceLock::new(),
            out: Box::new(TermOutput {
                quiet: global.quiet,
            }),
            json: global.json,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            config_dir: global.config_dir.clone().or_else(default_config_dir),
            exported_credential: secrets.credential,
            vault_token: secrets.vault_token,
            store_choice: global.store,
            file_store_announced: false,
        })
    }

    /// `--ca-cert` and `ONBOARD_HTTP_TIMEOUT` over the defaults.
    fn http_options(&self) -> Result<HttpOptions> {
        let mut options = HttpOptions::default();
        if let Some(timeout) = http_timeout_override()? {
            options.timeout = timeout;
            options.connect_timeout = options.connect_timeout.min(timeout);
        }
        if let Some(path) = &self.ca_cert {
            options = options.with_ca_file(path)?;
        }
        Ok(options)
    }

    /// The HTTP client, built on first use with `--ca-cert` and `ONBOARD_HTTP_TIMEOUT` (a
    /// handle: clones share one connection pool).
    pub fn http(&self) -> Result<Client> {
        if let Some(client) = self.http.get() {
            return Ok(client.clone());
        }
        let client = build_client(&self.http_options()?)?;
        Ok(self.http.get_or_init(|| client).clone())
    }

    /// `--allow-authority`: the non-Microsoft sign-in servers (`host` or `host:port`, lower
    /// case) whose profiles in a shared store this machine may use.
    pub fn allowed_authorities(&self) -> Vec<String> {
        self.allowed_authorities.clone()
    }

    /// The profiles live in a team's vault, not in a local file.
    pub fn profiles_are_remote(&self) -> bool {
        self.store_choice == Some(StoreChoice::Vault)
    }

    /// `profiles.json` in the config dir; with `--store vault`, the profiles in the vault.
    pub fn profiles(&self) -> Result<Profiles> {
        if self.profiles_are_remote() {
            // The config dir is not needed when everything lives in the vault.
            let dir = self.config_dir.clone().unwrap_or_default();
            return Ok(Profiles::new(dir, Arc::new(VaultProfiles(self.vault()?))));
        }
        Ok(self.local_profiles()?.into())
    }

    /// `profiles.json` in the config dir, whatever `--store` says.
    pub fn local_profiles(&self) -> Result<LocalProfiles> {
        let dir = self.config_dir.as_deref().ok_or_else(|| {
            Error::usage("no config directory could be found (HOME is not set?)")
                .with_hint("name one with --config-dir or ONBOARD_CONFIG_DIR")
        })?;
        check_config_dir(dir)?;
        Ok(LocalProfiles::at(dir))
    }

    /// The store chosen with `--store` (the OS keyring by default).
    pub fn store(&mut self) -> Result<TimedStore> {
        let kind = match self.store_choice {
            Some(StoreChoice::File) => StoreKind::File,
            Some(StoreChoice::Vault) => StoreKind::Vault,
            Some(StoreChoice::Keyring) | None => StoreKind::Keyring,
        };
        self.store_for(kind)
    }

    /// The team vault from `VAULT_ADDR`, `VAULT_TOKEN` (or `BAO_ADDR`, `BAO_TOKEN`),
    /// `VAULT_NAMESPACE`, `VAULT_CACERT`, `--vault-mount` and `ONBOARD_VAULT_PREFIX`; built once.
    fn vault(&self) -> Result<Arc<Vault>> {
        if let Some(vault) = self.vault.get() {
            return Ok(Arc::clone(vault));
        }
        let store_error =
            |code: Code, message: String, hint: &str| Error::new(code, message).with_hint(hint);
        let addr = Var::VaultAddr.text().ok_or_else(|| {
            store_error(
                Code::VaultConfig,
                "--store vault needs the vault's address, and VAULT_ADDR is not set".into(),
                "set VAULT_ADDR (or BAO_ADDR) to the vault's URL, e.g. https://vault.example.com:8200",
            )
        })?;
        let token = self
            .vault_token
            .as_ref()
            .and_then(|t| t.to_str())
            .filter(|t| !t.trim().is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
            store_error(
                Code::VaultConfig,
                "--store vault needs a vault token, and VAULT_TOKEN is not set".into(),
                "log in (`bao login` or `vault login`) and set VAULT_TOKEN (or BAO_TOKEN) to the token; in CI use the pipeline's vault login",
            )
        })?;
        let prefix = Var::VaultPrefix
            .text()
            .unwrap_or_else(|| DEFAULT_PREFIX.into());
        let config = VaultConfig::new(
            &addr,
            Secret::new(token),
            Var::VaultNamespace.text(),
            &self.vault_mount,
            &prefix,
        )?;
        let mut options = self.http_options()?;
        if let Some(path) = Var::VaultCaCert.text() {
            let pem = std::fs::read(&path).map_err(|e| {
                store_error(
                    Code::VaultConfig,
                    format!("cannot read VAULT_CACERT {path}: {e}"),
                    "set VAULT_CACERT to the PEM file of the CA that signed the vault's certificate",
                )
            })?;
            if reqwest::Certificate::from_pem_bundle(&pem).map_or(true, |c| c.is_empty()) {
                return Err(store_error(
                    Code::VaultConfig,
                    format!("VAULT_CACERT {path} holds no PEM certificate"),
                    "set VAULT_CACERT to a PEM file (-----BEGIN CERTIFICATE-----)",
                ));
            }
            let mut bundle = options.extra_ca_pem.take().unwrap_or_default();
            bundle.push(b'\n');
            bundle.extend_from_slice(&pem);
            options.extra_ca_pem = Some(bundle);
        }
        let vault = Arc::new(Vault::new(config, build_client(&options)?));
        Ok(Arc::clone(self.vault.get_or_init(|| vault)))
    }

    /// At the end of a run, finished or interrupted: a team vault puts back the last
    /// validation of each profile whose success it wrote with the rotated token ahead of a
    /// check that then recorded nothing. Nothing to do when no vault was used.
    pub async fn settle(&self) {
        if let Some(vault) = self.vault.get() {
            // Held as a save is: an interruption does not end the process meanwhile.
            let _saving = crate::interrupt::Saving::start();
            vault.settle().await;
        }
    }

    /// The store a saved profile names.
    pub fn store_for(&mut self, kind: StoreKind) -> Result<TimedStore> {
        match kind {
            StoreKind::Keyring => {
                let mut keyring = KeyringStore::new();
                if let Some(dir) = &self.config_dir {
                    keyring = keyring.with_locks(ProfileLocks::in_config_dir(dir));
                }
                let store = TimedStore::blocking(Arc::new(keyring))
                    .with_lock_wait(profile_lock_wait(&self.http_options()?));
                // On a desktop a locked keyring asks for its password: give a person time to
                // answer. Without one, fail fast rather than hang a script.
                Ok(if self.interactive {
                    store.with_timeout(Duration::from_secs(120))
                } else {
                    store
                })
            }
            StoreKind::File => {
                if !self.file_store_announced {
                    self.file_store_announced = true;
                    self.out
                        .warn(FILE_STORE_WARNING.trim_start_matches("warning: "));
                }
                Ok(file_store(self.profiles()?.dir())
                    .with_lock_wait(profile_lock_wait(&self.http_options()?)))
            }
            StoreKind::Vault => Ok(TimedStore::new(Arc::new(VaultStore::new(self.vault()?)))),
            StoreKind::Environment => Err(Error::new(
                Code::EnvironmentStore,
                "this profile's credential came from ONBOARD_CREDENTIAL, which is not set now",
            )
            .with_hint(format!(
                "set {CREDENTIAL_VAR} to the JSON that `onboard export` printed"
            ))),
        }
    }

    /// The proxy settings reqwest honours (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, upper or
    /// lower case), for `doctor` to say whether one applies.
    pub fn proxy_env(&self) -> ProxyEnv {
        ProxyEnv {
            https: Var::HttpsProxy.text(),
            no_proxy: Var::NoProxy.text(),
        }
    }

    /// A progress line on stderr for long runs, only when a person watches a terminal (never
    /// with `--json` or in CI logs).
    /// Not in accessible mode (`ACCESSIBLE`), where a repainted line is noise to a screen reader.
    pub fn progress(&self) -> Option<Box<dyn Spinner>> {
        (!self.json && !accessible_environment() && std::io::stderr().is_terminal())
            .then(|| Box::new(TermSpinner::new()) as Box<dyn Spinner>)
    }

    /// `ONBOARD_CREDENTIAL`, when set: the credential and a store that reads it.
    pub fn env_credential(&self) -> Result<Option<(ExportedCredential, TimedStore)>> {
        let Some(value) = self.exported_credential.clone() else {
            return Ok(None);
        };
        let value = value.into_string().map_err(|_| {
            Error::usage(format!("{CREDENTIAL_VAR} is not valid UTF-8"))
                .with_hint("set it to the JSON that `onboard export` printed")
        })?;
        let store = EnvStore::from_json(&value)?;
        let credential = store.credential().clone();
        Ok(Some((credential, TimedStore::new(Arc::new(store)))))
    }

    /// Questions on the terminal; with `ACCESSIBLE` set, as static lines with numbered choices.
    pub fn prompter(&self) -> Box<dyn Prompter> {
        if accessible_environment() {
            Box::new(PlainPrompter)
        } else {
            Box::new(TermPrompter)
        }
    }

    /// Prompts, spinner, clipboard and browser for the wizard, each replaced by a reason when
    /// it cannot work here (no display, an SSH session, the user said no). `accessible`
    /// (`--accessible`, or `ACCESSIBLE` set): prompts as static lines, and no spinner.
    pub fn wizard_ui(&self, no_clipboard: bool, no_browser: bool, accessible: bool) -> WizardUi {
        let accessible = accessible || accessible_environment();
        let display = Var::Display.text().is_some();
        let ssh = Var::Ssh.os().is_some();
        let needs_display = cfg!(all(unix, not(target_os = "macos")));
        let clipboard: Box<dyn Clipboard> = if no_clipboard {
            Box::new(NoClipboard("--no-clipboard".into()))
        } else if needs_display && !display {
            Box::new(NoClipboard(if ssh {
                "this is an SSH session without a display".into()
            } else {
                "no display (DISPLAY and WAYLAND_DISPLAY are unset)".into()
            }))
        } else {
            Box::new(SystemClipboard::default())
        };
        let browser_command = Var::Browser.text();
        let browser: Box<dyn Browser> = if no_browser {
            Box::new(NoBrowser("--no-browser".into()))
        } else if browser_command.is_none() && ssh && !display {
            Box::new(NoBrowser("this is an SSH session".into()))
        } else if browser_command.is_none() && needs_display && !display {
            Box::new(NoBrowser("no display to show a browser".into()))
        } else {
            Box::new(SystemBrowser {
                command: browser_command,
                environment: browser_environment(),
            })
        };
        WizardUi {
            prompter: if accessible {
                Box::new(PlainPrompter)
            } else {
                self.prompter()
            },
            spinner: if accessible {
                Box::new(NoSpinner)
            } else {
                Box::new(TermSpinner::new())
            },
            clipboard,
            browser,
            keys: Box::new(|| Box::new(TermKeys::new())),
            accessible,
        }
    }
}

/// `ACCESSIBLE` set and not empty: the convention screen-reader users set for terminal programs.
fn accessible_environment() -> bool {
    Var::Accessible.text().is_some()
}

/// The variables that hold secrets, taken out of the process environment.
#[derive(Default)]
pub struct SecretEnvironment {
    /// `ONBOARD_CREDENTIAL`.
    pub credential: Option<OsString>,
    /// `VAULT_TOKEN`, else `BAO_TOKEN`.
    pub vault_token: Option<OsString>,
}

/// Takes `ONBOARD_CREDENTIAL`, `VAULT_TOKEN` and `BAO_TOKEN` out of the process environment,
/// so that no child process (the browser, a clipboard helper) inherits the refresh token or
/// the vault token they hold. Call it first in `main`, before any thread starts.
pub fn take_secret_environment() -> SecretEnvironment {
    SecretEnvironment {
        credential: Var::Credential.take(),
        vault_token: Var::VaultToken.take(),
    }
}

/// The environment a browser is started with: this process's, without any variable that can
/// hold a secret (`ONBOARD_CREDENTIAL`, `VAULT_TOKEN`, `BAO_TOKEN`), even one set again
/// after [`take_secret_environment`].
fn browser_environment() -> Vec<(OsString, OsString)> {
    crate::environment::without(&[Var::Credential, Var::VaultToken])
}

/// `ONBOARD_HTTP_TIMEOUT`, which shortens (or lengthens) the HTTP timeout: for tests and slow
/// links; the default is [`HttpOptions::default`]'s 30 s.
fn http_timeout_override() -> Result<Option<std::time::Duration>> {
    let Some(value) = Var::HttpTimeout.os() else {
        return Ok(None);
    };
    let value = value.to_string_lossy();
    let name = Var::HttpTimeout.name();
    crate::cli::parse_duration(&value).map(Some).map_err(|e| {
        Error::usage(format!("{name}: {e}")).with_hint(format!(
            "set {name} to a duration such as 10s or 1m, or unset it"
        ))
    })
}

/// An existing config directory must be the user's alone: whoever else may write to it can
/// replace profiles.json (pointing a profile at their own server) or the file store. A missing
/// one is created 0700 when first written.
#[cfg(unix)]
fn check_config_dir(dir: &Path) -> Result<()> {
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(());
    };
    let problem = crate::atomic_file::shared_dir_problem(dir, &meta);
    match problem {
        None => Ok(()),
        Some((what, hint)) => Err(Error::new(
            Code::UnsafeConfigDir,
            format!("the config directory {} {what}", dir.display()),
        )
        .with_hint(hint)),
    }
}

#[cfg(not(unix))]
fn check_config_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

/// How long to wait for another process's hold on a profile: longer than the longest refresh
/// exchange the holder can be in, every attempt timing out and backing off as long as allowed.
fn profile_lock_wait(options: &HttpOptions) -> Duration {
    let policy = crate::http::RetryPolicy::default();
    (options.timeout + policy.max_delay) * policy.attempts
}

/// The plaintext file store in `dir`.
pub fn file_store(dir: &Path) -> TimedStore {
    TimedStore::blocking(Arc::new(FileStore::at(dir)))
}

/// `-v` shows what is sent where (never a secret: URLs without queries, statuses, sizes).
pub fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => tracing::Level::ERROR,
        (false, 0) => tracing::Level::WARN,
        (false, 1) => tracing::Level::INFO,
        (false, _) => tracing::Level::DEBUG,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}
