//! The JSON that onboard prints on stdout: every `--json` output and every JSON Lines event as a
//! type. The JSON Schema in `docs/schema/` is generated from these types ([`JsonOutput::schema`]),
//! so a script can check what it parses; the integration tests check everything they read
//! against it. Field order is the order of the fields here.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde::Serialize;
use strum::VariantArray;

pub use crate::error::ErrorOutput;
use crate::profiles::{SignInFlow, StoreKind, Validation};

/// `onboard validate --json` for one profile.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ValidateResult {
    pub profile: String,
    /// True when the credential redeemed and the access token proved to work.
    pub valid: bool,
    pub tenant_id: Option<String>,
    /// The account the token acts as.
    pub account: Option<String>,
    /// The scopes granted to the access token.
    pub scopes: Vec<String>,
    /// RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    pub access_token_expires_at: Option<String>,
    /// RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    pub checked_at: String,
    pub sign_in_flow: SignInFlow,
    /// The last successful refresh (RFC 3339).
    #[schemars(extend("format" = "date-time"))]
    pub refreshed_at: Option<String>,
    /// When the credential lapses if nothing refreshes it (RFC 3339); null where unknown.
    #[schemars(extend("format" = "date-time"))]
    pub lapses_at: Option<String>,
    /// Why the profile is not valid; null when it is.
    pub error: Option<ErrorOutput>,
}

/// `onboard validate --all --json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ValidateSummary {
    pub results: Vec<ValidateResult>,
    pub valid: usize,
    pub invalid: usize,
    /// Credentials that lapse within 14 days.
    pub lapsing: usize,
    /// Credentials signed in through the device code flow.
    pub device_code_born: usize,
    /// `K/N` with `--shard`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// `onboard list --json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ListOutput {
    pub profiles: Vec<ListedProfile>,
}

/// One saved profile in `onboard list --json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ListedProfile {
    pub profile: String,
    pub tenant: String,
    pub tenant_id: Option<String>,
    pub client_id: String,
    pub account: Option<String>,
    pub authority: String,
    pub cloud: Option<String>,
    pub scopes: Vec<String>,
    /// `keyring`, `file`, `vault` or `environment`.
    pub store: StoreKind,
    pub sign_in_flow: SignInFlow,
    pub created_at: String,
    /// The last `onboard validate`'s outcome; null before the first.
    pub last_validation: Option<Validation>,
    /// The last successful refresh (RFC 3339).
    #[schemars(extend("format" = "date-time"))]
    pub refreshed_at: Option<String>,
    /// When the credential lapses if nothing refreshes it (RFC 3339); null where unknown.
    #[schemars(extend("format" = "date-time"))]
    pub lapses_at: Option<String>,
}

/// `onboard doctor --json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct DoctorReport {
    pub checks: Vec<DoctorCheck>,
    /// True when no check failed.
    pub ok: bool,
    /// The exit code: the worst failed check's, 0 when none failed.
    pub exit_code: i32,
}

/// One check of `onboard doctor --json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct DoctorCheck {
    pub check: String,
    pub status: CheckStatus,
    pub detail: String,
    /// What to do, for a check that did not pass.
    pub fix: Option<String>,
    /// The exit code the failure gives; 0 for a check that did not fail.
    pub exit_code: i32,
}

/// How a doctor check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    Warn,
    Fail,
    Skip,
}

/// `onboard permissions --json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PermissionsOutput {
    pub profile: String,
    pub tenant_id: Option<String>,
    pub account: Option<String>,
    pub client_id: String,
    /// The scopes granted to the token.
    pub scopes: Vec<String>,
    /// The access token's `scp` claim, when it can be read.
    pub token_scp: Option<Vec<String>>,
    /// The tenant's delegated permission grants for the registration; null where they are not
    /// recorded (not Microsoft) or not readable (`grants_error` says why).
    pub grants: Option<Vec<GrantOutput>>,
    pub grants_error: Option<ErrorOutput>,
}

/// One delegated permission grant in the tenant.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct GrantOutput {
    /// `AllPrincipals` (admin consent) or `Principal` (one user's consent).
    pub consent_type: String,
    pub principal_id: Option<String>,
    /// The object ID of the resource's service principal.
    pub resource_id: String,
    pub scopes: Vec<String>,
}

/// `onboard consent-url --json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ConsentUrlOutput {
    /// The admin consent link; null when none can work (no registered redirect URI).
    pub admin_consent_url: Option<String>,
    pub client_id: String,
    /// Without a link: where in the admin center the reviewer grants consent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_center_route: Option<String>,
    /// Without a link: why there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_link_because: Option<String>,
}

/// One JSON Lines event of `invite --json`, printed as it happens; `event` names it, first.
/// `validated` and `error` carry the same object that `validate --json` and a failing command
/// print.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event<'a> {
    /// A code to enter on the sign-in page.
    DeviceCode {
        user_code: &'a str,
        verification_uri: &'a str,
        /// Seconds.
        expires_in: u64,
        /// Seconds between polls.
        interval: u64,
        /// 1 for the first code, 2 after a fresh one, ...
        attempt: u32,
        /// This run's `client-request-id`: the tenant admin finds the sign-in by it.
        client_request_id: &'a str,
    },
    /// The browser road's sign-in link, and where the browser is sent after sign-in.
    AuthorizeUrl {
        url: &'a str,
        /// `http://localhost:PORT`: the listener that awaits the browser.
        redirect_uri: &'a str,
        /// 1 for the first link, 2 after a fresh one, ...
        attempt: u32,
        /// This run's `client-request-id`, as on the device road.
        client_request_id: &'a str,
    },
    /// A reviewer must approve: the link to send, and the code that said so.
    ApprovalRequired {
        admin_consent_url: Option<&'a str>,
        /// `AADSTS…` when Microsoft sent a number, otherwise the OAuth error.
        #[serde(skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// The credential is saved.
    SignedIn {
        profile: &'a str,
        tenant_id: Option<&'a str>,
        account: &'a str,
        scopes: &'a [String],
        store: StoreKind,
        sign_in_flow: SignInFlow,
    },
    /// The first validation of the saved credential: what `onboard validate --json` prints.
    Validated(ValidateResult),
    /// The failure that ends the command.
    Error(ErrorOutput),
}

impl Event<'_> {
    /// One line of JSON.
    pub fn to_line(&self) -> String {
        to_line(self)
    }
}

/// One line of JSON, as onboard prints it. The output types hold strings, numbers and lists of
/// them, whose serialisation cannot fail.
pub fn to_line<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Every JSON document or event family onboard prints, each with its schema file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, VariantArray)]
pub enum JsonOutput {
    Validate,
    ValidateAll,
    List,
    Doctor,
    Permissions,
    ConsentUrl,
    Export,
    Simulate,
    InviteEvents,
}

impl JsonOutput {
    /// Its schema's file name in `docs/schema/`.
    pub fn file_name(self) -> &'static str {
        match self {
            JsonOutput::Validate => "validate.schema.json",
            JsonOutput::ValidateAll => "validate-all.schema.json",
            JsonOutput::List => "list.schema.json",
            JsonOutput::Doctor => "doctor.schema.json",
            JsonOutput::Permissions => "permissions.schema.json",
            JsonOutput::ConsentUrl => "consent-url.schema.json",
            JsonOutput::Export => "export.schema.json",
            JsonOutput::Simulate => "simulate.schema.json",
            JsonOutput::InviteEvents => "invite-events.schema.json",
        }
    }

    /// The command that prints it, and how.
    pub fn written_by(self) -> &'static str {
        match self {
            JsonOutput::Validate => "`onboard validate --json`: one object",
            JsonOutput::ValidateAll => {
                "`onboard validate --all --json`: one object, the results and their counts"
            }
            JsonOutput::List => "`onboard list --json`: one object",
            JsonOutput::Doctor => "`onboard doctor --json`: one object",
            JsonOutput::Permissions => "`onboard permissions --json`: one object",
            JsonOutput::ConsentUrl => "`onboard consent-url --json`: one object",
            JsonOutput::Export => {
                "`onboard export`: one object, also what `ONBOARD_CREDENTIAL` holds"
            }
            JsonOutput::Simulate => "`onboard simulate --json`: its first line",
            JsonOutput::InviteEvents => {
                "`onboard invite --json`: JSON Lines, each line one event, named by `event`"
            }
        }
    }

    /// Its JSON Schema (draft 2020-12), for what onboard serialises.
    pub fn schema(self) -> Schema {
        let generator = SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator();
        let mut schema = match self {
            JsonOutput::Validate => generator.into_root_schema_for::<ValidateResult>(),
            JsonOutput::ValidateAll => generator.into_root_schema_for::<ValidateSummary>(),
            JsonOutput::List => generator.into_root_schema_for::<ListOutput>(),
            JsonOutput::Doctor => generator.into_root_schema_for::<DoctorReport>(),
            JsonOutput::Permissions => generator.into_root_schema_for::<PermissionsOutput>(),
            JsonOutput::ConsentUrl => generator.into_root_schema_for::<ConsentUrlOutput>(),
            JsonOutput::Export => {
                generator.into_root_schema_for::<crate::store::ExportedCredential>()
            }
            JsonOutput::Simulate => generator.into_root_schema_for::<crate::simulate::SimInfo>(),
            JsonOutput::InviteEvents => generator.into_root_schema_for::<Event<'static>>(),
        };
        schema.insert("description".into(), self.written_by().into());
        schema
    }

    /// The schema file's text: pretty-printed, with a final newline.
    pub fn schema_text(self) -> String {
        let mut text = serde_json::to_string_pretty(&self.schema()).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// `docs/schema/README.md`: which command writes which schema.
pub fn schema_readme() -> String {
    let mut text = String::from(
        "# JSON Schemas of onboard's output\n\n\
         Generated from the types that onboard serialises (draft 2020-12); a test fails when \
         they are stale.\nCheck what you parse against the file for the command you run.\n\n\
         | file | written by |\n|---|---|\n",
    );
    for output in JsonOutput::VARIANTS {
        text.push_str(&format!(
            "| [`{0}`]({0}) | {1} |\n",
            output.file_name(),
            output.written_by()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_name_themselves_first_and_keep_the_documented_fields() {
        let line = Event::DeviceCode {
            user_code: "ABCD-EFGH",
            verification_uri: "https://microsoft.com/devicelogin",
            expires_in: 900,
            interval: 5,
            attempt: 1,
            client_request_id: "0f1e2d3c-4b5a-4697-8877-665544332211",
        }
        .to_line();
        assert_eq!(
            line,
            r#"{"event":"device_code","user_code":"ABCD-EFGH","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5,"attempt":1,"client_request_id":"0f1e2d3c-4b5a-4697-8877-665544332211"}"#
        );
        let line = Event::ApprovalRequired {
            admin_consent_url: None,
            code: None,
        }
        .to_line();
        assert_eq!(
            line,
            r#"{"event":"approval_required","admin_consent_url":null}"#
        );
        let scopes = ["User.Read".to_owned()];
        let line = Event::SignedIn {
            profile: "p",
            tenant_id: Some("t"),
            account: "a@t",
            scopes: &scopes,
            store: StoreKind::Keyring,
            sign_in_flow: SignInFlow::AuthorizationCode,
        }
        .to_line();
        assert_eq!(
            line,
            r#"{"event":"signed_in","profile":"p","tenant_id":"t","account":"a@t","scopes":["User.Read"],"store":"keyring","sign_in_flow":"authorization_code"}"#
        );
        let line = Event::AuthorizeUrl {
            url: "https://login.example/t/oauth2/v2.0/authorize?x=1",
            redirect_uri: "http://localhost:50123",
            attempt: 1,
            client_request_id: "0f1e2d3c-4b5a-4697-8877-665544332211",
        }
        .to_line();
        assert_eq!(
            line,
            r#"{"event":"authorize_url","url":"https://login.example/t/oauth2/v2.0/authorize?x=1","redirect_uri":"http://localhost:50123","attempt":1,"client_request_id":"0f1e2d3c-4b5a-4697-8877-665544332211"}"#
        );
        let error = crate::error::Error::usage("bad");
        let line = Event::Error(error.to_output()).to_line();
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["event"], "error");
        assert_eq!(parsed["exit_code"], 2);
        assert_eq!(parsed["message"], "bad");
    }
}
