//! The JSON Lines events `invite --json` prints on stdout, one per line as they happen. Each is
//! an object whose `event` names it; `validated` and `error` carry the same object that
//! `validate --json` and a failing command print.

use schemars::JsonSchema;
use serde::Serialize;

use crate::output::{ErrorOutput, ValidateResult};
use crate::profiles::{SignInFlow, StoreKind};

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
        // Strings, numbers and maps of them always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }
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
