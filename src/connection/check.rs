//! Proving a connection works and recording what was found: redeem the saved refresh token
//! (saving the rotated one), prove the access token with Graph `/me` or `userinfo`, check the
//! scopes, and keep the outcome in the profile's validation record, with when the credential
//! lapses unless something refreshes it.

use reqwest::Client;

use super::{Session, authority_of};
use crate::error::{Code, Error, Kind, Result};
use crate::flow;
use crate::output::ValidateResult;
use crate::profiles::{Profile, Profiles, SignInFlow, Validation};
use crate::store::TimedStore;

/// How long Entra keeps a refresh token that nothing uses: 90 days of inactivity ("Refresh
/// tokens in the Microsoft identity platform"). Each refresh replaces the token, so a
/// credential lives as long as something refreshes it within that window.
pub const LAPSE_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_hours(90 * 24);

/// `validate --all` counts and names the credentials that lapse within this.
pub const LAPSING_SOON: jiff::SignedDuration = jiff::SignedDuration::from_hours(14 * 24);

/// The profile's last successful refresh and the date its credential lapses if unused, from
/// its last validation record. The lapse is known for Microsoft authorities and the simulated
/// tenant (a record written after a refresh there says so); other issuers' policies are not.
pub fn lapse_of(profile: &Profile) -> (Option<jiff::Timestamp>, Option<jiff::Timestamp>) {
    let Some(validation) = &profile.last_validation else {
        return (None, None);
    };
    let refreshed = validation.refreshed_at();
    let known = validation.lapses_at.is_some()
        || (validation.refreshed_at.is_none() && is_microsoft(profile));
    (refreshed, lapses_from(refreshed, known))
}

fn lapses_from(refreshed: Option<jiff::Timestamp>, known: bool) -> Option<jiff::Timestamp> {
    refreshed
        .filter(|_| known)
        .and_then(|at| at.checked_add(LAPSE_AFTER).ok())
}

fn is_microsoft(profile: &Profile) -> bool {
    authority_of(profile).is_ok_and(|a| a.is_microsoft())
}

/// True when `lapses_at` falls within [`LAPSING_SOON`] of now (or has passed).
pub fn lapses_within(lapses_at: Option<jiff::Timestamp>, within: jiff::SignedDuration) -> bool {
    let now = jiff::Timestamp::now();
    lapses_at.is_some_and(|at| now.checked_add(within).is_ok_and(|limit| at <= limit))
}

/// One profile's validation, as `validate --json` shows it.
#[derive(Debug)]
pub struct Checked {
    pub profile: String,
    pub tenant_id: Option<String>,
    pub tenant_name: Option<String>,
    pub account: Option<String>,
    pub scopes: Vec<String>,
    pub access_token_expires_at: Option<jiff::Timestamp>,
    pub checked_at: jiff::Timestamp,
    /// What proved the token: "Microsoft Graph /me" or "userinfo".
    pub checked_with: &'static str,
    /// How the credential's sign-in was made.
    pub sign_in_flow: SignInFlow,
    /// The last successful refresh: now after a redeem, else the recorded one.
    pub refreshed_at: Option<jiff::Timestamp>,
    /// Whether the issuer's lapse policy is known (Microsoft, the simulated tenant).
    pub lapse_known: bool,
    pub error: Option<Error>,
}

impl Checked {
    /// Before the check: what the profile says.
    pub fn new(name: &str, profile: &Profile) -> Checked {
        let (refreshed_at, lapses_at) = lapse_of(profile);
        Checked {
            profile: name.to_string(),
            tenant_id: profile.connection.tenant_id.clone(),
            tenant_name: None,
            account: profile.connection.account.clone(),
            scopes: profile.connection.scopes.clone(),
            access_token_expires_at: None,
            checked_at: jiff::Timestamp::now(),
            checked_with: "",
            sign_in_flow: profile.connection.sign_in_flow,
            refreshed_at,
            lapse_known: lapses_at.is_some() || (refreshed_at.is_none() && is_microsoft(profile)),
            error: None,
        }
    }

    /// The check ended with `error` (one that never reached the server, or a panic).
    pub fn failed(mut self, error: Error) -> Checked {
        self.error = Some(error);
        self
    }

    /// The text line: ✓ or ✗, profile, account, then what proved it or what is wrong and the fix.
    pub fn line(&self) -> String {
        let account = self.account.as_deref().unwrap_or("-");
        match &self.error {
            None => format!(
                "✓ {}  {account}  valid (checked with {})",
                self.profile, self.checked_with
            ),
            Some(error) => {
                let mut line = format!("✗ {}  {account}  {error}", self.profile);
                if let Some(hint) = &error.hint {
                    line.push_str(&format!("; fix: {hint}"));
                }
                line.push_str(&format!(" (exit {})", error.exit_code()));
                line
            }
        }
    }

    pub fn valid(&self) -> bool {
        self.error.is_none()
    }

    /// When the credential lapses if nothing refreshes it; `None` where that is unknown.
    pub fn lapses_at(&self) -> Option<jiff::Timestamp> {
        lapses_from(self.refreshed_at, self.lapse_known)
    }

    /// What `validate --json` prints for this profile.
    pub fn to_output(&self) -> ValidateResult {
        ValidateResult {
            profile: self.profile.clone(),
            valid: self.valid(),
            tenant_id: self.tenant_id.clone(),
            account: self.account.clone(),
            scopes: self.scopes.clone(),
            access_token_expires_at: self.access_token_expires_at.map(|t| t.to_string()),
            checked_at: self.checked_at.to_string(),
            sign_in_flow: self.sign_in_flow,
            refreshed_at: self.refreshed_at.map(|t| t.to_string()),
            lapses_at: self.lapses_at().map(|t| t.to_string()),
            error: self.error.as_ref().map(Error::to_output),
        }
    }
}

/// Redeems, saves the rotated token, proves the access token, checks scopes, and records the
/// outcome in `profiles.json` when `profiles` is given. Never fails: the outcome is in `error`.
pub async fn check(
    http: &Client,
    store: &TimedStore,
    profiles: Option<&Profiles>,
    name: &str,
    profile: &Profile,
    require_scopes: &[String],
) -> Checked {
    // The wizard's own profile: its sign-in server is the one this command line named.
    let own = authority_of(profile)
        .map(|a| vec![crate::http::host_of(&a.base).to_ascii_lowercase()])
        .unwrap_or_default();
    let checked = check_in(
        &Session::new(http.clone()).allowing(own),
        store,
        name,
        profile,
        require_scopes,
    )
    .await;
    if let Some(profiles) = profiles {
        record(profiles, std::slice::from_ref(&checked)).await;
    }
    checked
}

/// `check` within a session shared with other profiles; records nothing.
pub async fn check_in(
    session: &Session,
    store: &TimedStore,
    name: &str,
    profile: &Profile,
    require_scopes: &[String],
) -> Checked {
    let mut checked = Checked::new(name, profile);
    if let Err(error) = prove(session, store, name, profile, require_scopes, &mut checked).await {
        checked.error = Some(error);
    }
    checked.checked_at = jiff::Timestamp::now();
    checked
}

async fn prove(
    session: &Session,
    store: &TimedStore,
    name: &str,
    profile: &Profile,
    require_scopes: &[String],
    checked: &mut Checked,
) -> Result<()> {
    // At a Microsoft authority, Graph's User.Read is asked for explicitly, so that a profile
    // onboarded with other scopes can still be checked with /me.
    let authority = authority_of(profile)?;
    session.check_shared(store, name, &authority)?;
    let endpoints = session.endpoints(&authority).await?;
    let scopes = match &endpoints.graph {
        Some(graph) => flow::validation_scopes(&profile.connection.scopes, graph),
        None => Vec::new(),
    };
    let (endpoints, tokens, refreshed_at) = session
        .redeem_validating(store, name, profile, &scopes)
        .await
        .map_err(|error| device_code_blocked(cannot_check(error, name, profile), name, profile))?;
    // The redeem renewed the credential: its lapse starts again from then.
    checked.refreshed_at = Some(refreshed_at);
    checked.lapse_known = endpoints.graph.is_some();
    checked.access_token_expires_at = Some(tokens.expires_at);
    checked.scopes = tokens.scopes.clone();
    if let Some(tid) = tokens.claims.tid.clone() {
        checked.tenant_id = Some(tid);
    }
    let identity = flow::whoami(
        &session.http,
        &endpoints,
        &tokens.access_token,
        session.retries.clone(),
    )
    .await?;
    checked.checked_with = identity.source;
    let connection = &profile.connection;
    if let (Some(actual), Some(expected)) = (&identity.account, &connection.account)
        && !identity.is(connection.account_id.as_deref(), Some(expected))
    {
        return Err(Error::new(
            Code::WrongAccount,
            format!("profile '{name}' acts as {actual}, not as its service account {expected}"),
        )
        .with_hint(format!(
            "run `onboard invite --profile {name}` again and sign in as {expected}"
        )));
    }
    if let Some(account) = identity.account {
        checked.account = Some(account);
    }
    checked.tenant_name = flow::organization_name(
        &session.http,
        &endpoints,
        &tokens.access_token,
        &session.retries,
    )
    .await;
    let missing = flow::missing_scopes(require_scopes, &tokens.scopes);
    if !missing.is_empty() {
        return Err(Error::new(
            Code::ScopeMissing,
            format!("profile '{name}' lacks the required scope {}", missing.join(", ")),
        )
        .with_hint("grant it to the registration (API permissions), have the tenant's reviewer consent (`onboard consent-url`), then run `onboard invite` again"));
    }
    Ok(())
}

/// A refusal of Graph's User.Read for a profile onboarded without it: validate says that the
/// profile cannot be checked, rather than only that consent is missing. Only a refusal of a
/// scope counts (a consent code, or a scope the registration does not list): an account not
/// assigned to the app, a disabled app or a Conditional Access block keep their own advice.
fn cannot_check(mut error: Error, name: &str, profile: &Profile) -> Error {
    let had_it = profile
        .connection
        .scopes
        .iter()
        .any(|s| s.eq_ignore_ascii_case(flow::VALIDATION_SCOPE));
    let of_a_scope = error.aadsts.is_none_or(|code| {
        flow::classify::is_approval_code(code) || matches!(code, 650056 | 650057)
    });
    if error.kind == Kind::PermissionMissing && of_a_scope && !had_it {
        error.message = format!(
            "profile '{name}' cannot be checked: Microsoft Graph's {} was refused ({})",
            flow::VALIDATION_SCOPE,
            error.message
        );
        error.hint = Some(format!(
            "validate calls Graph /me, which needs {}: add it to the registration's API permissions and have the tenant's reviewer consent (`onboard consent-url`)",
            flow::VALIDATION_SCOPE
        ));
    }
    error
}

/// AADSTS53003 on refreshing a device-code-born credential: the tenant now blocks the device
/// code flow, and Entra's protocol tracking stops the tokens that came from such a sign-in
/// (<https://learn.microsoft.com/en-us/entra/identity/conditional-access/concept-authentication-flows>).
fn device_code_blocked(mut error: Error, name: &str, profile: &Profile) -> Error {
    if error.aadsts == Some(53003) && profile.connection.sign_in_flow == SignInFlow::DeviceCode {
        error.message = format!(
            "profile '{name}' was refused by the tenant's Conditional Access (AADSTS53003): the tenant now blocks the device code flow, which also stops tokens that came from device-code sign-ins"
        );
        error.hint = Some(format!(
            "sign in again on the browser road: `onboard invite --flow browser --force --profile {name}`; or the tenant admin excludes the service account from the policy that blocks the device code flow (including Microsoft's managed \"Block device code flow\" policy)"
        ));
    }
    error
}

/// The record of a validation that succeeds after refreshing its token at `refreshed_at`, as
/// [`record`] writes it but for `at`, the time the check ends: what a store may save with the
/// rotated token (`CredentialStore::save_rotated`).
pub(super) fn success(refreshed_at: jiff::Timestamp, lapse_known: bool) -> Validation {
    Validation {
        at: refreshed_at.to_string(),
        valid: true,
        exit_code: 0,
        code: None,
        message: None,
        refreshed_at: Some(refreshed_at.to_string()),
        lapses_at: lapses_from(Some(refreshed_at), lapse_known).map(|t| t.to_string()),
    }
}

/// Records each outcome in its profile's validation record: one small file per profile, so
/// the cost per profile does not grow with the number of profiles.
pub async fn record(profiles: &Profiles, results: &[Checked]) {
    let records = results.iter().map(|checked| {
        let validation = Validation {
            at: checked.checked_at.to_string(),
            valid: checked.valid(),
            exit_code: checked.error.as_ref().map_or(0, Error::exit_code),
            code: checked.error.as_ref().map(|e| e.code.to_string()),
            message: checked.error.as_ref().map(|e| e.message.clone()),
            refreshed_at: checked.refreshed_at.map(|t| t.to_string()),
            lapses_at: checked.lapses_at().map(|t| t.to_string()),
        };
        let granted = checked.valid().then(|| checked.scopes.clone());
        (checked.profile.as_str(), validation, granted)
    });
    if let Err(e) = profiles.record_validations(records).await {
        tracing::warn!("could not record the validations: {e}");
    }
}

/// The calendar date (UTC) of a timestamp, as `list` and the summary show a lapse.
pub fn date_of(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(authority: &str, validation: serde_json::Value) -> Profile {
        serde_json::from_value(json!({
            "authority": authority, "tenant": "contoso", "client_id": "c",
            "store": "file", "created_at": "2026-01-01T00:00:00Z",
            "last_validation": validation,
        }))
        .unwrap()
    }

    #[test]
    fn a_lapse_is_90_days_after_the_last_refresh_where_the_policy_is_known() {
        let refreshed: jiff::Timestamp = "2026-10-01T12:00:00Z".parse().unwrap();
        let lapses: jiff::Timestamp = "2026-12-30T12:00:00Z".parse().unwrap();
        let recorded = json!({
            "at": "2026-11-01T00:00:00Z", "valid": false, "exit_code": 5,
            "refreshed_at": "2026-10-01T12:00:00Z", "lapses_at": "2026-12-30T12:00:00Z",
        });
        // Recorded after a refresh at a Microsoft authority or the simulated tenant.
        let p = profile("http://127.0.0.1:1/tenant/v2.0", recorded.clone());
        assert_eq!(lapse_of(&p), (Some(refreshed), Some(lapses)));
        // Another issuer: the refresh is known, its lapse is not.
        let mut other = recorded;
        other.as_object_mut().unwrap().remove("lapses_at");
        let p = profile("https://idp.example.com", other.clone());
        assert_eq!(lapse_of(&p), (Some(refreshed), None));
        // An older record, without either date: a valid validation refreshed; Microsoft's
        // authority says the policy.
        let old = json!({ "at": "2026-10-01T12:00:00Z", "valid": true, "exit_code": 0 });
        let p = profile(
            "https://login.microsoftonline.com/contoso/v2.0",
            old.clone(),
        );
        assert_eq!(lapse_of(&p), (Some(refreshed), Some(lapses)));
        let p = profile("https://idp.example.com", old);
        assert_eq!(lapse_of(&p), (Some(refreshed), None));
        let never = profile(
            "https://login.microsoftonline.com/contoso/v2.0",
            json!(null),
        );
        assert_eq!(lapse_of(&never), (None, None));
    }

    #[test]
    fn lapsing_within_counts_the_past_and_the_window_but_not_beyond() {
        let now = jiff::Timestamp::now();
        let day = jiff::SignedDuration::from_hours(24);
        assert!(lapses_within(Some(now - day), LAPSING_SOON));
        assert!(lapses_within(Some(now + day * 13), LAPSING_SOON));
        assert!(!lapses_within(Some(now + day * 15), LAPSING_SOON));
        assert!(!lapses_within(None, LAPSING_SOON));
    }
}
