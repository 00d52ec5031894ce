//! The one place real dependencies are built from the command line and the environment: the
//! HTTP client, the terminal, the config directory, the credential stores. The only code that
//! reads environment variables or asks "is this a terminal?".

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Client;

use crate::cli::{ColorChoice, GlobalArgs, StoreChoice};
use crate::error::{Error, Kind, Result};
use crate::http::{HttpOptions, build_client};
use crate::profiles::{Profiles, StoreKind, default_config_dir};
use crate::store::env::CREDENTIAL_VAR;
use crate::store::{
    EnvStore, ExportedCredential, FILE_STORE_WARNING, FileStore, KeyringStore, ProfileLocks,
    TimedStore,
};
use crate::ui::term::{
    NoBrowser, NoClipboard, SystemBrowser, SystemClipboard, TermKeys, TermOutput, TermPrompter,
    TermSpinner,
};
use crate::ui::{Browser, Clipboard, Keys, Output, Prompter, Spinner};

/// Everything a command may use, built once.
pub struct Deps {
    pub http: Client,
    pub out: Box<dyn Output>,
    pub json: bool,
    /// stdin and stderr are terminals: a person can answer prompts.
    pub interactive: bool,
    /// Where secrets must not be printed by accident (`export`).
    pub stdout_is_terminal: bool,
    config_dir: Option<PathBuf>,
    store_choice: Option<StoreChoice>,
    file_store_announced: bool,
    /// How long a process waits for another one's hold on a profile.
    lock_wait: Duration,
}

/// Proxy environment variables, as set.
#[derive(Clone, Debug, Default)]
pub struct ProxyEnv {
    pub https: Option<String>,
    pub no_proxy: Option<String>,
}

/// The terminal parts of the wizard.
pub struct WizardUi {
    pub prompter: Box<dyn Prompter>,
    pub spinner: Box<dyn Spinner>,
    pub clipboard: Box<dyn Clipboard>,
    pub browser: Box<dyn Browser>,
    pub keys: fn() -> Box<dyn Keys>,
}

impl Deps {
    pub fn from_cli(global: &GlobalArgs) -> Result<Deps> {
        let colors = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        };
        crate::ui::term::set_colors(colors);
        let mut options = HttpOptions::default();
        if let Some(timeout) = http_timeout_override()? {
            options.timeout = timeout;
            options.connect_timeout = options.connect_timeout.min(timeout);
        }
        if let Some(path) = &global.ca_cert {
            options = options.with_ca_file(path)?;
        }
        let lock_wait = profile_lock_wait(&options);
        Ok(Deps {
            lock_wait,
            http: build_client(&options)?,
            out: Box::new(TermOutput {
                quiet: global.quiet,
            }),
            json: global.json,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            config_dir: global.config_dir.clone().or_else(default_config_dir),
            store_choice: global.store,
            file_store_announced: false,
        })
    }

    pub fn profiles(&self) -> Result<Profiles> {
        self.config_dir.as_deref().map(Profiles::at).ok_or_else(|| {
            Error::usage("no config directory could be found (HOME is not set?)")
                .with_hint("name one with --config-dir or ONBOARD_CONFIG_DIR")
        })
    }

    /// The store chosen with `--store` (the OS keyring by default).
    pub fn store(&mut self) -> Result<TimedStore> {
        let kind = match self.store_choice {
            Some(StoreChoice::File) => StoreKind::File,
            Some(StoreChoice::Keyring) | None => StoreKind::Keyring,
        };
        self.store_for(kind)
    }

    /// The store a saved profile names.
    pub fn store_for(&mut self, kind: StoreKind) -> Result<TimedStore> {
        match kind {
            StoreKind::Keyring => {
                let mut keyring = KeyringStore::new();
                if let Some(dir) = &self.config_dir {
                    keyring = keyring.with_locks(ProfileLocks::in_config_dir(dir));
                }
                let store = TimedStore::new(Arc::new(keyring)).with_lock_wait(self.lock_wait);
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
                Ok(file_store(self.profiles()?.dir()).with_lock_wait(self.lock_wait))
            }
            StoreKind::Environment => Err(Error::new(
                Kind::StoreUnavailable,
                "environment_store",
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
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        ProxyEnv {
            https: first(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]),
            no_proxy: first(&["NO_PROXY", "no_proxy"]),
        }
    }

    /// A progress line on stderr for long runs, only when a person watches a terminal (never
    /// with `--json` or in CI logs).
    pub fn progress(&self) -> Option<Box<dyn Spinner>> {
        (!self.json && std::io::stderr().is_terminal())
            .then(|| Box::new(TermSpinner::new()) as Box<dyn Spinner>)
    }

    /// `ONBOARD_CREDENTIAL`, when set: the credential and a store that reads it.
    pub fn env_credential(&self) -> Result<Option<(ExportedCredential, TimedStore)>> {
        let Some(value) = std::env::var_os(CREDENTIAL_VAR) else {
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

    pub fn prompter(&self) -> Box<dyn Prompter> {
        Box::new(TermPrompter)
    }

    /// Prompts, spinner, clipboard and browser for the wizard, each replaced by a reason when
    /// it cannot work here (no display, an SSH session, the user said no).
    pub fn wizard_ui(&self, no_clipboard: bool, no_browser: bool) -> WizardUi {
        let display = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
        let ssh = ["SSH_CONNECTION", "SSH_TTY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some());
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
            Box::new(SystemClipboard)
        };
        let browser_command = std::env::var("BROWSER").ok().filter(|b| !b.is_empty());
        let browser: Box<dyn Browser> = if no_browser {
            Box::new(NoBrowser("--no-browser".into()))
        } else if browser_command.is_none() && ssh && !display {
            Box::new(NoBrowser("this is an SSH session".into()))
        } else if browser_command.is_none() && needs_display && !display {
            Box::new(NoBrowser("no display to show a browser".into()))
        } else {
            Box::new(SystemBrowser {
                command: browser_command,
            })
        };
        WizardUi {
            prompter: self.prompter(),
            spinner: Box::new(TermSpinner::new()),
            clipboard,
            browser,
            keys: || Box::new(TermKeys::new()),
        }
    }
}

/// The environment variable that shortens (or lengthens) the HTTP timeout: a duration such as
/// `2s` or `1m`. For tests and slow links; the default is [`HttpOptions::default`]'s 30 s.
pub const HTTP_TIMEOUT_VAR: &str = "ONBOARD_HTTP_TIMEOUT";

fn http_timeout_override() -> Result<Option<std::time::Duration>> {
    let Some(value) = std::env::var_os(HTTP_TIMEOUT_VAR) else {
        return Ok(None);
    };
    let value = value.to_string_lossy();
    crate::cli::parse_duration(&value).map(Some).map_err(|e| {
        Error::usage(format!("{HTTP_TIMEOUT_VAR}: {e}")).with_hint(format!(
            "set {HTTP_TIMEOUT_VAR} to a duration such as 10s or 1m, or unset it"
        ))
    })
}

/// How long to wait for another process's hold on a profile: longer than the longest refresh
/// exchange the holder can be in, every attempt timing out and backing off as long as allowed.
fn profile_lock_wait(options: &HttpOptions) -> Duration {
    let policy = crate::http::RetryPolicy::default();
    (options.timeout + policy.max_delay) * policy.attempts
}

/// The plaintext file store in `dir`.
pub fn file_store(dir: &Path) -> TimedStore {
    TimedStore::new(Arc::new(FileStore::at(dir)))
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
