//! The command line, as clap types. Doc comments are the help text; the man pages and shell
//! completions are generated from these same definitions.
//!
//! House rules: every option that takes a value has an uppercase `value_name`; every option
//! that an environment variable can set says so with `env`; every command's help ends with
//! examples.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "onboard",
    version,
    about = "Connect a customer's Microsoft 365 tenant through device-code sign-in, and check that connection",
    long_about = "Connect a customer's Microsoft 365 tenant to the provider's platform through OAuth 2.0 \
device-code sign-in (Microsoft Entra ID), keep the service account's refresh token in the OS keyring, \
and check from CI that the connection still works.

Start with `onboard invite --demo` to see the whole sign-in against a built-in simulated tenant, \
without a Microsoft account. For a real customer, `onboard invite` asks for the tenant, the \
provider's registration (client ID) and the service account, then shows a one-time code to enter \
at Microsoft's sign-in page. `onboard validate` checks the saved connection later, from a shell \
or from CI.",
    after_help = root_after_help(),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The root command's examples, then the exit codes as [`crate::error`] defines them.
fn root_after_help() -> String {
    format!(
        "Examples:
  onboard invite --demo
  onboard invite --tenant contoso.onmicrosoft.com \\
      --client-id 11111111-2222-3333-4444-555555555555 --account svc@contoso.com
  onboard validate --profile contoso.onmicrosoft.com
  onboard completions bash > ~/.local/share/bash-completion/completions/onboard

{}",
        crate::error::exit_codes_summary()
    )
}

/// Options every command takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Which saved profile to use [default: the only one saved]
    ///
    /// A profile is one saved onboarding; its name defaults to the tenant as it was typed at
    /// `onboard invite`. `onboard list` shows them.
    #[arg(
        short = 'p',
        long,
        env = "ONBOARD_PROFILE",
        value_name = "NAME",
        global = true
    )]
    pub profile: Option<String>,

    /// Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME),
    /// ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]
    #[arg(long, env = "ONBOARD_CONFIG_DIR", value_name = "DIR", global = true)]
    pub config_dir: Option<PathBuf>,

    /// Where refresh tokens are kept [default: keyring]
    ///
    /// `keyring` is the OS keyring (Secret Service, Keychain, Credential Manager). `file` is an
    /// explicit plaintext fallback, one file per profile under credentials/ in the config
    /// directory with mode 0600 (on Windows, guarded by the user profile's access control list),
    /// announced with a warning each time it is used. `vault` is a team's OpenBao or HashiCorp
    /// Vault (KV version 2), which then holds the profiles too: VAULT_ADDR and VAULT_TOKEN (or
    /// BAO_ADDR and BAO_TOKEN) say where and as whom, VAULT_NAMESPACE and VAULT_CACERT are
    /// honoured, and entries live under ONBOARD_VAULT_PREFIX (default onboard/) in --vault-mount.
    #[arg(
        long,
        env = "ONBOARD_STORE",
        value_name = "STORE",
        value_enum,
        global = true
    )]
    pub store: Option<StoreChoice>,

    /// With --store vault: the KV version 2 mount that holds onboard's entries
    #[arg(long, value_name = "MOUNT", default_value = crate::store::vault::DEFAULT_MOUNT, global = true)]
    pub vault_mount: String,

    /// A sign-in server that is not one of Microsoft's clouds (HOST, or HOST:PORT for one
    /// port) whose profiles in the vault this machine may use (repeatable; comma separated
    /// in the variable). A vault profile at any other such server is refused before its refresh
    /// token is sent: whoever can write the vault's profiles could otherwise point one at a
    /// server of their own
    #[arg(
        long = "allow-authority",
        env = "ONBOARD_ALLOW_AUTHORITY",
        value_name = "HOST",
        value_delimiter = ',',
        global = true
    )]
    pub allow_authorities: Vec<String>,

    /// Machine-readable output on stdout (JSON; see each command)
    #[arg(long, global = true)]
    pub json: bool,

    /// More detail on stderr (repeat for more); secrets are never printed
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// When to colour output; NO_COLOR turns colour off for `auto`
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// An extra trusted root certificate (PEM file), for corporate TLS inspection
    #[arg(long, env = "ONBOARD_CA_CERT", value_name = "PEM", global = true)]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StoreChoice {
    /// The OS keyring (Secret Service, Keychain, Credential Manager)
    Keyring,
    /// A plaintext file in the config directory, mode 0600
    File,
    /// A team's OpenBao or HashiCorp Vault (KV version 2), profiles included
    Vault,
}

/// The sign-in road of `invite --flow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Flow {
    /// A one-time code entered at the sign-in page (OAuth 2.0 device authorization grant)
    Device,
    /// A browser sign-in whose answer comes back to this machine, or is pasted from another
    /// (authorization code with PKCE), for tenants that block the device code flow
    Browser,
}

/// The store `invite --store-fallback` saves to when the chosen one fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StoreFallback {
    /// The plaintext file store in the config directory, mode 0600
    File,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and NO_COLOR is unset
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Invite(InviteArgs),
    Validate(ValidateArgs),
    Token(TokenArgs),
    Permissions(PermissionsArgs),
    List(ListArgs),
    Export(ExportArgs),
    Remove(RemoveArgs),
    ConsentUrl(ConsentUrlArgs),
    Doctor(DoctorArgs),
    Simulate(SimulateArgs),
    Completions(CompletionsArgs),
    /// The saved profiles' names, one per line, for the shell completion scripts
    #[command(name = "__profiles", hide = true)]
    ProfileNames,
}

/// List the saved profiles and how their last validation went
///
/// Shows each onboarded tenant: its account, tenant, where the credential is stored, and the
/// outcome of the last `onboard validate`. Reads profiles.json only; nothing is sent anywhere
/// (with --store vault, the profiles are read from the vault and nothing else is contacted).
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  onboard list
  onboard list --json | jq -r '.profiles[].profile'
  onboard list --lapsing-within 7d")]
pub struct ListArgs {
    /// Only the profiles whose credential lapses within DURATION unless refreshed (e.g. 7d,
    /// 2w, 36h): the ones to validate this week
    #[arg(long, value_name = "DURATION", value_parser = parse_lapse_window)]
    pub lapsing_within: Option<jiff::SignedDuration>,
}

/// Print a profile's credential as JSON, for a CI secret
///
/// The JSON holds the refresh token: store it as a secret (ONBOARD_CREDENTIAL) and never in a
/// repository. Refuses to write to a terminal unless --force, so the token does not end up in
/// a scrollback buffer.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  (umask 077; onboard export --profile contoso.onmicrosoft.com > credential.json)
  onboard export --profile contoso.onmicrosoft.com | gh secret set ONBOARD_CREDENTIAL")]
pub struct ExportArgs {
    /// Write to a terminal anyway
    #[arg(long)]
    pub force: bool,
}

/// Delete a saved profile and its credential
///
/// Removes the refresh token from the credential store, then the profile from profiles.json.
/// Asks first unless --yes; without a terminal --yes is required. The tenant's consent and the
/// account are not touched: to revoke access, remove the registration's consent in the tenant.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  onboard remove contoso.onmicrosoft.com
  onboard remove --all --yes")]
pub struct RemoveArgs {
    /// The profile to remove
    #[arg(
        value_name = "PROFILE",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub name: Option<String>,

    /// Remove every saved profile
    #[arg(long)]
    pub all: bool,

    /// Do not ask for confirmation
    #[arg(short, long)]
    pub yes: bool,
}

/// Print the admin consent link for the tenant's reviewer
///
/// The reviewer (an Admin Consent Reviewer or a Global Administrator of the customer's tenant)
/// opens the link, signs in and accepts the permissions it names for the whole tenant: the
/// profile's scopes (or --scope), or without them every permission the registration lists;
/// afterwards the service account can sign in with those scopes without "Approval required".
/// Uses the saved profile, or --tenant and --client-id.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  onboard consent-url --profile contoso.onmicrosoft.com
  onboard consent-url --tenant contoso.com --client-id 11111111-2222-3333-4444-555555555555
  onboard consent-url --tenant contoso.com --client-id 11111111-2222-3333-4444-555555555555 \\
    --redirect-uri https://provider.example/consented --scope User.Read --scope Mail.Read")]
pub struct ConsentUrlArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// A redirect URI registered on the app, where the reviewer lands afterwards; Microsoft's
    /// link needs one (default: the profile's). Without one, the Entra admin center route is shown
    #[arg(long, value_name = "URL")]
    pub redirect_uri: Option<String>,

    /// A scope the reviewer is asked to consent to (repeatable), as given to `onboard invite
    /// --scope` [default: the profile's scopes; with --tenant/--client-id, every permission the
    /// registration lists (.default)]. The link asks for these by name, so a scope the
    /// registration does not list is granted too
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
}

/// Onboard a tenant: sign in as its service account and save the credential
///
/// Walks through the provider's onboarding wizard in numbered steps:
///
/// 1. Confirm the customer's tenant, the provider's registration (client ID) and the service
///    account that will sign in.
///
/// 2. Show a one-time code (copied to the clipboard) and open Microsoft's sign-in page, where
///    the service account enters the code and signs in.
///
/// 3. Wait for the sign-in. When the tenant's Admin Consent Reviewer must approve the
///    registration first: explain why, show the reviewer's consent link, wait for the approval, and
///    sign in again with a fresh code.
///
/// 4. Check that the expected account and tenant signed in, save the refresh token in the OS
///    keyring and the profile in profiles.json, and validate it as `onboard validate` would.
///
/// Values come from flags, from an invitation URL the provider sent (flags win), or from
/// prompts. Without a terminal (or with --non-interactive) it never prompts: every value must
/// be given, and "To sign in, open URL and enter the code CODE" is printed on stderr. With
/// --json, stdout carries one JSON event per line: device_code, approval_required, signed_in,
/// validated, error.
///
/// New to onboard? `onboard invite --demo` runs the whole wizard against a built-in simulated
/// tenant; nothing touches your keyring or profiles.json.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  onboard invite --demo
  onboard invite --tenant contoso.onmicrosoft.com \\
      --client-id 11111111-2222-3333-4444-555555555555 --account svc@contoso.com
  onboard invite \\
      'https://provider.example/onboard?tenant=contoso.com&client_id=1111...&account=svc@contoso.com'
  onboard invite --non-interactive --json --tenant contoso.com \\
      --client-id 11111111-2222-3333-4444-555555555555 --account svc@contoso.com")]
pub struct InviteArgs {
    /// The invitation URL the provider sent; its query prefills the wizard (tenant, client_id,
    /// account, scope, cloud or a Microsoft cloud's authority, profile, redirect_uri, flow). Any
    /// other issuer comes only from --authority
    #[arg(value_name = "INVITATION")]
    pub invitation: Option<String>,

    #[command(flatten)]
    pub target: TargetArgs,

    /// The service account that signs in (a UPN such as svc@contoso.com)
    #[arg(long, value_name = "UPN", help_heading = "Who signs in")]
    pub account: Option<String>,

    /// A scope to request (repeatable) [default: openid profile offline_access User.Read]
    #[arg(long = "scope", value_name = "SCOPE", help_heading = "Who signs in")]
    pub scopes: Vec<String>,

    /// A redirect URI registered on the app; without one Microsoft's admin consent link does
    /// not work and the reviewer is shown the Entra admin center route instead
    #[arg(long, value_name = "URL", help_heading = "Who signs in")]
    pub redirect_uri: Option<String>,

    /// How the service account signs in: `device` (a code entered at the sign-in page) or
    /// `browser` (for tenants whose Conditional Access blocks the device code flow; the app
    /// needs http://localhost registered on its "Mobile and desktop applications" platform)
    /// [default: device]
    #[arg(long, value_name = "FLOW", value_enum, help_heading = "Sign-in")]
    pub flow: Option<Flow>,

    /// Do not open a browser; print the sign-in URL instead
    #[arg(long, help_heading = "Sign-in")]
    pub no_browser: bool,

    /// Do not copy the code to the clipboard
    #[arg(long, help_heading = "Sign-in")]
    pub no_clipboard: bool,

    /// Also show the sign-in URL as a QR code, to sign in on a phone
    #[arg(long, help_heading = "Sign-in")]
    pub qr: bool,

    /// Static lines for screen readers: numbered choices instead of repainted prompts, no
    /// spinner or box, the time left said once a minute, each key said in words (also when
    /// ACCESSIBLE is set and not empty)
    #[arg(long, help_heading = "Sign-in")]
    pub accessible: bool,

    /// Never prompt; a missing value is an error naming its flag (implied when stdin is not a
    /// terminal)
    #[arg(long, help_heading = "Sign-in")]
    pub non_interactive: bool,

    /// Give up on the wizard after this long, e.g. 90s, 15m, 1h30m (at most 24h); once the
    /// credential is being saved, the save and the final validation always finish
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration, help_heading = "Sign-in")]
    pub timeout: std::time::Duration,

    /// Replace a saved profile of the same name without asking (needed to replace one
    /// non-interactively)
    #[arg(long, help_heading = "Saving")]
    pub force: bool,

    /// Where to save the sign-in's credential when the keyring cannot take it, instead of
    /// losing it (`file`: the plaintext file store, with its warning)
    #[arg(long, value_name = "STORE", value_enum, help_heading = "Saving")]
    pub store_fallback: Option<StoreFallback>,

    /// Run against the built-in simulated tenant; nothing is saved outside a temporary directory
    #[arg(long, help_heading = "Demo")]
    pub demo: bool,

    /// With --demo: the simulated tenant demands admin approval (shows the approval detour)
    #[arg(long, requires = "demo", help_heading = "Demo")]
    pub require_approval: bool,
}

/// Where to sign in and with which registration.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The customer's tenant: its GUID or a verified domain such as contoso.onmicrosoft.com
    #[arg(long, value_name = "TENANT", help_heading = "Where to sign in")]
    pub tenant: Option<String>,

    /// The provider's app registration: its application (client) ID, a GUID
    #[arg(long, value_name = "GUID", help_heading = "Where to sign in")]
    pub client_id: Option<String>,

    /// The Microsoft cloud [default: global]
    #[arg(
        long,
        value_name = "CLOUD",
        value_enum,
        conflicts_with = "authority",
        help_heading = "Where to sign in"
    )]
    pub cloud: Option<crate::authority::Cloud>,

    /// Any OpenID Connect issuer instead of a Microsoft cloud (https://, or http:// on loopback)
    #[arg(long, value_name = "URL", help_heading = "Where to sign in")]
    pub authority: Option<String>,
}

/// Check that a saved credential still works (for people and for CI)
///
/// Redeems the saved refresh token, saves the rotated one at once, and proves the new access
/// token works with one call (Microsoft Graph /me for Microsoft authorities, the userinfo
/// endpoint otherwise). The outcome is recorded in profiles.json (see `onboard list`). Never
/// prompts and never opens a browser.
///
/// Prints one line per profile (valid or not, the account, what is wrong and the fix) and a summary;
/// with --json one object, or with --all {"results":[...],"valid":N,"invalid":M}. The exit code
/// says what to do (4 sign in again, 5 service failing, 6 permission or scope missing, ...);
/// with --all the highest of the failing profiles'. Profiles run concurrently (--jobs), share
/// one connection pool, and back off together when a host answers 429 with Retry-After.
///
/// In CI, set ONBOARD_CREDENTIAL to the JSON that `onboard export` printed; no keyring is
/// needed then.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  onboard validate
  onboard validate --profile contoso.onmicrosoft.com
  onboard validate --json --require-scope Mail.Read
  onboard validate --all --jobs 16
  onboard validate --all --shard 2/4 --junit junit.xml --metrics onboard.prom
  ONBOARD_CREDENTIAL=\"$SECRET\" onboard validate --json")]
pub struct ValidateArgs {
    /// Fail with exit code 6 when this scope was not granted (repeatable)
    #[arg(long = "require-scope", value_name = "SCOPE")]
    pub require_scopes: Vec<String>,

    /// Validate every saved profile (--profile is then ignored)
    #[arg(long)]
    pub all: bool,

    /// With --all: how many profiles to validate at the same time
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256), requires = "all")]
    pub jobs: u16,

    /// With --all: also write a JUnit XML report to FILE, one test case per profile (replaced
    /// atomically)
    #[arg(long, value_name = "FILE", value_parser = parse_report_path, requires = "all")]
    pub junit: Option<PathBuf>,

    /// With --all: also write OpenMetrics text to FILE, for node exporter's textfile collector
    /// (replaced atomically)
    #[arg(long, value_name = "FILE", value_parser = parse_report_path, requires = "all")]
    pub metrics: Option<PathBuf>,

    /// With --all: validate only shard K of N, written K/N (1 ≤ K ≤ N): the profiles whose
    /// name hashes to it, so that N CI jobs sharing a vault validate each profile exactly once
    #[arg(long, value_name = "SHARD", value_parser = parse_shard, requires = "all")]
    pub shard: Option<Shard>,
}

/// One share of the profiles: shard `k` of `n`, by the FNV-1a hash of the profile name, so a
/// profile stays in its shard whatever other profiles come and go, on every machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
}

impl Shard {
    /// Whether the profile `name` belongs to this shard.
    pub fn holds(self, name: &str) -> bool {
        // 64-bit FNV-1a: fixed, unlike the standard library's randomly keyed hasher.
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        hash % u64::from(self.n) == u64::from(self.k - 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// `K/N` with 1 ≤ K ≤ N.
pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let bad = || format!("'{text}' is not a shard such as 1/4 (K/N with 1 ≤ K ≤ N)");
    let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
    let k: u32 = k.parse().map_err(|_| bad())?;
    let n: u32 = n.parse().map_err(|_| bad())?;
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok(Shard { k, n })
}

/// A file to write a report to: not a directory.
fn parse_report_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    if text.is_empty() || path.is_dir() || text.ends_with('/') {
        return Err(format!(
            "'{text}' is a directory: give a file to write the report to"
        ));
    }
    Ok(path)
}

/// A window such as `7d`, `2w` or `36h` (jiff's friendly or ISO 8601 durations), days
/// counted as 24 hours; more than zero.
pub fn parse_lapse_window(text: &str) -> Result<jiff::SignedDuration, String> {
    let bad = || format!("'{text}' is not a duration such as 7d, 2w or 36h");
    let span: jiff::Span = text.trim().parse().map_err(|_| bad())?;
    let duration = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| bad())?;
    if duration <= jiff::SignedDuration::ZERO {
        return Err(format!(
            "'{text}' is not more than zero: give a duration such as 7d"
        ));
    }
    Ok(duration)
}

/// Show the delegated permissions the registration holds in the tenant
///
/// Redeems the profile's refresh token (saving the rotated one) and shows the scopes the token
/// endpoint granted, the access token's `scp` claim, and, for Microsoft authorities, the
/// tenant's consent grants from Microsoft Graph (servicePrincipals, then
/// oauth2PermissionGrants). Reading the grants needs Application.Read.All and
/// Directory.Read.All: when the account lacks them, this is said and the command still
/// succeeds. Works with ONBOARD_CREDENTIAL in CI.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  onboard permissions --profile contoso.onmicrosoft.com
  onboard permissions --json | jq -r '.scopes[]'
  ONBOARD_CREDENTIAL=\"$SECRET\" onboard permissions --json")]
pub struct PermissionsArgs {}

/// Print a fresh access token on stdout, and nothing else
///
/// Redeems the profile's refresh token, saves the rotated one, and prints the new access token
/// alone on stdout, for scripts. Anything else (warnings, errors) goes to stderr. --json does
/// not change the output. Works with ONBOARD_CREDENTIAL in CI. Treat the output as a password:
/// it grants what the service account may do, for about an hour.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  curl -H \"Authorization: Bearer $(onboard token)\" https://graph.microsoft.com/v1.0/me
  onboard token --profile contoso.onmicrosoft.com --scope Mail.Read
  ONBOARD_CREDENTIAL=\"$SECRET\" onboard token")]
pub struct TokenArgs {
    /// A scope for the access token, a subset of those granted at sign-in (repeatable)
    /// [default: the scopes granted at sign-in]
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
}

/// Pre-flight checks before calling a customer, each with its fix
///
/// Checks, in order: whether a proxy (HTTPS_PROXY, NO_PROXY) applies; DNS and HTTPS (TLS) to
/// the sign-in host; the clock against the server's Date header (a warning beyond 5 minutes);
/// that the tenant exists (OpenID discovery); that Microsoft Graph answers; that the
/// registration accepts device-code sign-in (a device-code request that is never used, so
/// AADSTS7000218, 700016 or 90133 show up now, not during the call); and that the credential
/// store can save, read and delete a probe entry. What to check comes from --tenant,
/// --client-id, --cloud or --authority, else from the saved profile. Prints one line per check
/// (passed, warning, failed or skipped) with its fix; the exit code is the worst failing check's.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  onboard doctor --tenant contoso.onmicrosoft.com --client-id 11111111-2222-3333-4444-555555555555
  onboard doctor --profile contoso.onmicrosoft.com --json
  HTTPS_PROXY=http://proxy.corp:3128 onboard doctor --cloud usgov --tenant contoso.us")]
pub struct DoctorArgs {
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Run the simulated tenant on loopback and print its authority URL
///
/// A local server that behaves like Microsoft Entra ID v2.0 and the parts of Microsoft Graph
/// that onboard uses, for demos, training and testing pipelines without a Microsoft account.
/// Point any command at it with --authority URL.
///
/// Its first line on stdout says where it is (with --json: one JSON object with authority,
/// tenant, tenant_id, client_id, account and control, and ca_cert with --tls). A control API under /_sim lets scripts
/// approve or deny codes, require admin approval, revoke tokens and inject faults (see the
/// README). Stops on Ctrl-C or SIGTERM with exit code 0.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  onboard simulate --port 8400
  onboard simulate --json --require-approval --interval 1 --expires-in 60
  onboard simulate --tls --json
  curl -X POST -d '{\"user_code\":\"ABCDEFGHJ\"}' http://127.0.0.1:8400/_sim/approve")]
pub struct SimulateArgs {
    /// Port to listen on, on 127.0.0.1 (0 picks a free one)
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub port: u16,

    /// The simulated tenant's domain; its service account is svc@ this domain
    #[arg(long, value_name = "DOMAIN", default_value = "contoso.onmicrosoft.com")]
    pub tenant: String,

    /// Polling interval the simulated tenant asks for, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub interval: u64,

    /// Lifetime of each device code, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub expires_in: u64,

    /// Demand admin consent: sign-in meets "Approval required" until the reviewer approves
    #[arg(long)]
    pub require_approval: bool,

    /// Latency added to every response, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Serve https, with a certificate for 127.0.0.1 and localhost from a certificate authority
    /// made at start. The CA's PEM file (in a private temporary directory, removed when the
    /// tenant stops) is printed as ca_cert; clients trust it with --ca-cert or their own setting
    /// (REQUESTS_CA_BUNDLE for Python)
    #[arg(long)]
    pub tls: bool,
}

/// Print a shell completion script
///
/// Prints the completion script for SHELL on stdout; install it where your shell looks for
/// completions (see the README). The bash, zsh and fish scripts also complete the names of
/// saved profiles after --profile, by running `onboard __profiles` (which reads profiles.json
/// only: no network, no keyring). The same scripts are shipped in the completions/ directory.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  onboard completions bash > ~/.local/share/bash-completion/completions/onboard
  onboard completions zsh > ~/.zfunc/_onboard
  onboard completions fish > ~/.config/fish/completions/onboard.fish
  onboard completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_name = "SHELL", value_enum)]
    pub shell: clap_complete::Shell,
}

/// The longest duration onboard takes: no wizard or HTTP request waits longer than a day, and
/// anything beyond is a typo (or an attempt to overflow a clock).
pub const MAX_DURATION: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// `30m`, `90s`, `1h`, `1h30m`, or plain seconds; more than zero and at most [`MAX_DURATION`].
/// Besides plain seconds this is jiff's duration syntax: its friendly format (`1h 30m`,
/// `90 seconds`, `500ms`) or ISO 8601 (`PT30M`); days and longer units are refused.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let not_a_duration = || format!("'{text}' is not a duration such as 30m, 90s or 1h");
    let duration = match text.parse::<u64>() {
        Ok(secs) => std::time::Duration::from_secs(secs),
        Err(_) => text
            .parse::<jiff::SignedDuration>()
            .ok()
            .and_then(|signed| std::time::Duration::try_from(signed).ok())
            .ok_or_else(not_a_duration)?,
    };
    if duration.is_zero() {
        return Err(format!(
            "'{text}' is zero: give a duration such as 30m, 90s or 1h"
        ));
    }
    if duration > MAX_DURATION {
        return Err(format!(
            "'{text}' is longer than the most onboard waits ({}h)",
            MAX_DURATION.as_secs() / 3600
        ));
    }
    Ok(duration)
}

/// The clap command, for generating completions and man pages.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("30m").unwrap().as_secs(), 1800);
        assert_eq!(parse_duration("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(parse_duration("45").unwrap().as_secs(), 45);
        assert_eq!(parse_duration("24h").unwrap(), MAX_DURATION);
        assert_eq!(parse_duration(" 1h 30m ").unwrap().as_secs(), 5400);
        assert_eq!(parse_duration("PT30M").unwrap().as_secs(), 1800);
        assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
        for bad in [
            "",
            "m",
            "10x",
            "5m3",
            "-5m",
            "1d",
            "1w",
            "99999999999999999999h",
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains("is not a duration such as 30m"), "{bad}: {e}");
        }
        for zero in ["0s", "0", "0m0s", "PT0S"] {
            let e = parse_duration(zero).unwrap_err();
            assert!(e.contains("is zero"), "{zero}: {e}");
        }
        for absurd in ["24h1s", "86401", "25h", "18446744073709551615"] {
            let e = parse_duration(absurd).unwrap_err();
            assert!(
                e.contains("longer than the most onboard waits (24h)"),
                "{absurd}: {e}"
            );
        }
    }

    #[test]
    fn lapse_windows_read_days_and_weeks_as_24_hour_days() {
        let hours = |text: &str| parse_lapse_window(text).map(|d| d.as_secs() / 3600);
        assert_eq!(hours("7d"), Ok(168));
        assert_eq!(hours("2w"), Ok(336));
        assert_eq!(hours("36h"), Ok(36));
        assert_eq!(hours("P14D"), Ok(336));
        for bad in ["", "soon", "0d", "-7d", "7"] {
            assert!(parse_lapse_window(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_are_read_only_within_their_count() {
        assert_eq!(parse_shard("3/4"), Ok(Shard { k: 3, n: 4 }));
        assert_eq!(parse_shard("1/1"), Ok(Shard { k: 1, n: 1 }));
        for bad in ["5/4", "0/4", "1/0", "4", "a/b", "-1/4", "1/4/2", ""] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_name_is_in_exactly_one_shard_and_shards_do_not_move() {
        let names: Vec<String> = (0..1000).map(|i| format!("tenant-{i}.example")).collect();
        for n in 1..=8 {
            let mut sizes = vec![0usize; n as usize];
            for name in &names {
                let holders: Vec<u32> = (1..=n).filter(|&k| Shard { k, n }.holds(name)).collect();
                assert_eq!(holders.len(), 1, "{name} in {holders:?} of {n}");
                sizes[holders[0] as usize - 1] += 1;
            }
            // A fair share: no shard holds more than twice its part.
            assert!(
                sizes.iter().all(|&s| s * n as usize <= 2 * names.len()),
                "{sizes:?}"
            );
        }
        // A fixed hash (64-bit FNV-1a), the same on every machine and every run: these
        // places are part of the interface, since CI matrices depend on them.
        let places: Vec<u32> = ["contoso", "fabrikam", "tenant-01", "a"]
            .iter()
            .map(|name| {
                (1..=4)
                    .find(|&k| Shard { k, n: 4 }.holds(name))
                    .unwrap_or(0)
            })
            .collect();
        assert_eq!(places, [1, 3, 4, 1]);
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        command().debug_assert();
    }
}
