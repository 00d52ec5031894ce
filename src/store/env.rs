//! `ONBOARD_CREDENTIAL`, for CI: the JSON that `onboard export` prints ([`ExportedCredential`]),
//! read once and used instead of a store. It is read-only: a refresh token rotated during
//! `validate` cannot be written back into the CI secret, so [`EnvStore::save`] keeps it in memory
//! for the rest of the run and reports it through [`EnvStore::rotated`]; the caller warns.
//! Entra does not revoke the previous token at once, so the exported one keeps working until it
//! expires unused (90 days, <https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens>).

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use async_trait::async_trait;

use super::CredentialStore;
use crate::error::{Error, Kind, Result};
use crate::profiles::{Connection, Profile, StoreKind};
use crate::secret::Secret;

/// The environment variable CI sets.
pub const CREDENTIAL_VAR: &str = "ONBOARD_CREDENTIAL";

/// The only `version` this build writes and reads.
pub const EXPORT_VERSION: u32 = 1;

/// A profile and its refresh token, as `onboard export` prints it for a CI secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedCredential {
    pub version: u32,
    pub profile: String,
    #[serde(flatten)]
    pub connection: Connection,
    #[serde(serialize_with = "super::serialize_secret")]
    pub refresh_token: Secret,
}

impl ExportedCredential {
    /// What `onboard export` prints for a saved profile.
    pub fn new(name: &str, profile: &Profile, refresh_token: Secret) -> Self {
        ExportedCredential {
            version: EXPORT_VERSION,
            profile: name.to_owned(),
            connection: profile.connection.clone(),
            refresh_token,
        }
    }

    /// One line of JSON (no trailing newline): pastes cleanly into a CI secret field.
    /// This is the one place the token leaves its box on purpose.
    pub fn to_json(&self) -> String {
        // Serializing strings and string lists into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses the content of `ONBOARD_CREDENTIAL`. Errors are exit 2 and never quote the
    /// content, which holds a refresh token.
    pub fn from_json(text: &str) -> Result<Self> {
        let bad = |what: String| {
            Error::new(
                Kind::Usage,
                "bad_credential",
                format!("{CREDENTIAL_VAR} is not a credential onboard can use: {what}"),
            )
            .with_hint(format!(
                "set {CREDENTIAL_VAR} to the whole, unchanged output of `onboard export` (a JSON \
                 object), or unset it to use the saved profiles"
            ))
        };
        if text.trim().is_empty() {
            return Err(bad("it is empty".to_owned()));
        }
        let credential: ExportedCredential = serde_json::from_str(text.trim())
            .map_err(|e| bad(crate::atomic_file::describe_json_error(&e)))?;
        if credential.version != EXPORT_VERSION {
            return Err(bad(format!(
                "its version is {}, this onboard reads version {EXPORT_VERSION}",
                credential.version
            )));
        }
        if credential.refresh_token.expose().is_empty() {
            return Err(bad("its refresh_token is empty".to_owned()));
        }
        Ok(credential)
    }

    /// The profile facts, for code that expects a saved profile.
    pub fn profile(&self, created_at: &str) -> Profile {
        Profile {
            connection: self.connection.clone(),
            store: StoreKind::Environment,
            created_at: created_at.to_owned(),
            last_validation: None,
            extra: serde_json::Map::new(),
        }
    }
}

/// The store backed by `ONBOARD_CREDENTIAL`. Holds exactly one profile.
#[derive(Debug)]
pub struct EnvStore {
    credential: ExportedCredential,
    /// The newest token: the exported one, or one rotated during this run.
    current: Mutex<(Secret, bool)>,
}

impl EnvStore {
    /// `value` is the variable's content; the caller (deps.rs) reads the environment.
    pub fn from_json(value: &str) -> Result<Self> {
        let credential = ExportedCredential::from_json(value)?;
        let current = Mutex::new((credential.refresh_token.clone(), false));
        Ok(EnvStore {
            credential,
            current,
        })
    }

    pub fn credential(&self) -> &ExportedCredential {
        &self.credential
    }

    /// True once `save` replaced the exported token: the caller warns that the CI secret
    /// now holds an older (still valid) token.
    pub fn rotated(&self) -> bool {
        self.current.lock().map(|c| c.1).unwrap_or(false)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, (Secret, bool)>> {
        self.current
            .lock()
            .map_err(|_| Error::unexpected("the in-memory credential was poisoned by a panic"))
    }
}

#[async_trait]
impl CredentialStore for EnvStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Environment
    }

    /// Keeps the rotated token in memory only; see the module comment.
    async fn save(&self, profile: &str, refresh_token: &Secret) -> Result<()> {
        if profile != self.credential.profile {
            return Err(other_profile(profile, &self.credential.profile));
        }
        *self.lock()? = (refresh_token.clone(), true);
        Ok(())
    }

    /// Asking for another profile is a usage error rather than "not onboarded": in CI the
    /// likely cause is a `--profile` that does not match the exported credential.
    async fn load(&self, profile: &str) -> Result<Option<Secret>> {
        if profile != self.credential.profile {
            return Err(other_profile(profile, &self.credential.profile));
        }
        Ok(Some(self.lock()?.0.clone()))
    }

    /// Deleting a CI secret is done where it is defined, not here.
    async fn delete(&self, _profile: &str) -> Result<bool> {
        Err(Error::usage(format!(
            "the credential in {CREDENTIAL_VAR} cannot be removed by onboard"
        ))
        .with_hint(format!(
            "delete the CI secret where it is defined, or unset {CREDENTIAL_VAR} to manage the \
             saved profiles"
        )))
    }
}

fn other_profile(asked: &str, held: &str) -> Error {
    Error::usage(format!(
        "{CREDENTIAL_VAR} holds the profile '{held}', not '{asked}'"
    ))
    .with_hint(format!(
        "drop --profile to use '{held}', or unset {CREDENTIAL_VAR} to use the saved profiles"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORTED: &str = r#"{"version":1,"profile":"contoso","authority":"https://login.microsoftonline.com/contoso/v2.0","tenant":"contoso","client_id":"c","scopes":["User.Read"],"refresh_token":"0.AVYA-rt"}"#;

    #[test]
    fn export_then_parse_is_lossless() {
        let parsed = ExportedCredential::from_json(EXPORTED).unwrap();
        assert_eq!(parsed.refresh_token.expose(), "0.AVYA-rt");
        let again = ExportedCredential::from_json(&parsed.to_json()).unwrap();
        assert_eq!(again, parsed);
        // The shared Connection fields sit between `profile` and `refresh_token`, as before;
        // an export from before `sign_in_flow` was recorded reads as a device-code sign-in.
        assert_eq!(
            parsed.connection.sign_in_flow,
            crate::profiles::SignInFlow::DeviceCode
        );
        assert_eq!(
            parsed.to_json(),
            EXPORTED.replace(
                r#","refresh_token""#,
                r#","sign_in_flow":"device_code","refresh_token""#
            )
        );
        assert!(!format!("{parsed:?}").contains("0.AVYA"));
    }

    #[test]
    fn bad_content_is_exit_2_and_never_echoed() {
        for text in [
            "",
            "0.AVYA-rt",
            r#"{"version":1,"refresh_token":"0.AVYA-rt"}"#,
            r#"{"version":2,"profile":"p","authority":"a","tenant":"t","client_id":"c","refresh_token":"0.AVYA-rt"}"#,
            r#"{"version":1,"profile":"p","authority":"a","tenant":"t","client_id":"c","refresh_token":["0.AVYA-rt"]}"#,
            r#"{"version":"0.AVYA-rt"}"#,
        ] {
            let e = EnvStore::from_json(text).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{text}");
            let shown = format!("{} {:?}", e, e.hint);
            assert!(shown.contains(CREDENTIAL_VAR), "{shown}");
            assert!(!shown.contains("0.AVYA"), "{shown}");
        }
    }

    #[tokio::test]
    async fn a_rotated_token_is_kept_in_memory() {
        let store = EnvStore::from_json(EXPORTED).unwrap();
        assert!(!store.rotated());
        let e = store.load("other").await.unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.message.contains("contoso"), "{}", e.message);
        store.save("contoso", &Secret::new("new")).await.unwrap();
        assert!(store.rotated());
        assert_eq!(
            store.load("contoso").await.unwrap().unwrap().expose(),
            "new"
        );
        assert_eq!(store.delete("contoso").await.unwrap_err().exit_code(), 2);
    }
}
