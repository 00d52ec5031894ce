//! Redeeming a saved refresh token, with the rotated one saved at once, through one HTTP
//! client, one discovery per authority and one per-host throttle however many profiles run at
//! the same time.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Client;

use super::authority_of;
use crate::authority::{Authority, DiscoveryCache, Endpoints};
use crate::error::{Code, Error, Kind, Result};
use crate::flow::{self, TokenSet};
use crate::http::{Retries, RetryPolicy, Throttle};
use crate::profiles::Profile;
use crate::secret::Secret;
use crate::store::{SuccessRecord, TimedStore};

/// The HTTP client, the discovery cache and the throttle, shared by every profile of a run.
/// Cheap to clone.
#[derive(Clone)]
pub struct Session {
    pub http: Client,
    pub retries: Retries,
    discovery: Arc<DiscoveryCache>,
    /// The non-Microsoft sign-in servers (`host` or `host:port`, lower case) whose shared
    /// profiles this machine may redeem.
    allowed: Arc<[String]>,
}

impl Session {
    pub fn new(http: Client) -> Session {
        Session {
            http,
            retries: Retries::shared(RetryPolicy::default(), Throttle::new()),
            discovery: Arc::default(),
            allowed: Arc::new([]),
        }
    }

    /// Allows shared profiles at these non-Microsoft sign-in servers (`--allow-authority`).
    pub fn allowing(mut self, hosts: Vec<String>) -> Session {
        self.allowed = hosts.into();
        self
    }

    /// A profile read from a shared store names its own sign-in server, and whoever can write
    /// there could name theirs: one that is not Microsoft's is used only when this machine
    /// allows it, before any request (its discovery included) is sent.
    pub fn check_shared(
        &self,
        store: &TimedStore,
        name: &str,
        authority: &Authority,
    ) -> Result<()> {
        if !store.kind().is_shared() || authority.is_microsoft() {
            return Ok(());
        }
        let host = crate::http::host_of(&authority.base).to_ascii_lowercase();
        let bare = authority
            .base
            .host_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if self.allowed.iter().any(|a| *a == host || *a == bare) {
            return Ok(());
        }
        Err(Error::new(
            Code::AuthorityNotAllowed,
            format!(
                "profile '{name}' in the {} signs in at {host}, which is not a Microsoft cloud, \
                 and this machine does not allow that server",
                store.kind().description()
            ),
        )
        .with_hint(format!(
            "if {host} is your identity provider, allow it on this machine with \
             --allow-authority {host} (or ONBOARD_ALLOW_AUTHORITY); otherwise someone changed \
             the profile in the vault: check who can write its profiles"
        )))
    }

    /// The authority's endpoints, discovered once per run.
    pub async fn endpoints(&self, authority: &Authority) -> Result<Endpoints> {
        self.discovery
            .discover(&self.http, authority, &self.retries)
            .await
    }

    /// Loads the profile's refresh token, redeems it (for `scopes`, or the original ones when
    /// empty) and saves the rotated token before anything else can fail, all under the
    /// profile's lock: a second process waits, then loads the token this one rotated.
    pub async fn redeem(
        &self,
        store: &TimedStore,
        name: &str,
        profile: &Profile,
        scopes: &[String],
    ) -> Result<(Endpoints, TokenSet)> {
        self.redeem_as(store, name, profile, scopes, false)
            .await
            .map(|(endpoints, tokens, _)| (endpoints, tokens))
    }

    /// `redeem` for a validation: the rotated token is saved with the record the validation
    /// writes if it succeeds (see [`crate::store::CredentialStore::save_rotated`]). Also
    /// returns the time of the refresh.
    pub async fn redeem_validating(
        &self,
        store: &TimedStore,
        name: &str,
        profile: &Profile,
        scopes: &[String],
    ) -> Result<(Endpoints, TokenSet, jiff::Timestamp)> {
        self.redeem_as(store, name, profile, scopes, true).await
    }

    async fn redeem_as(
        &self,
        store: &TimedStore,
        name: &str,
        profile: &Profile,
        scopes: &[String],
        validating: bool,
    ) -> Result<(Endpoints, TokenSet, jiff::Timestamp)> {
        let authority = authority_of(profile)?;
        self.check_shared(store, name, &authority)?;
        // Discovery first, outside the lock: it needs no credential.
        let endpoints = self.endpoints(&authority).await?;
        let _lock = store.lock(name).await?;
        let mut refresh_token = store.load(name).await?.ok_or_else(|| {
            Error::new(
                Code::NotOnboarded,
                format!(
                    "no saved credential for profile '{name}' in the {}",
                    store.kind().description()
                ),
            )
            .with_hint(format!("onboard it with `onboard invite --profile {name}`"))
        })?;
        // From before the refresh is sent until its rotated token is saved, an interruption
        // (Ctrl-C, SIGTERM, SIGHUP) waits: the server may rotate the token the moment it
        // answers, and servers that refuse reused refresh tokens would otherwise lock the
        // profile out. Once one is pending, no refresh starts.
        let protected = crate::interrupt::Protected::enter()?;
        // In a shared store another machine may rotate the token between our read and our
        // refresh; an issuer that refuses reused tokens then says "sign in again". Take the
        // token that run saved instead, a bounded number of times.
        let mut rounds = 0;
        let mut tokens = loop {
            let refreshed = flow::refresh(
                &self.http,
                &endpoints,
                &profile.connection.client_id,
                &refresh_token,
                scopes,
                self.retries.clone(),
            )
            .await;
            match refreshed {
                Err(e)
                    if e.kind == Kind::SignInAgain && store.kind().is_shared() && rounds < 64 =>
                {
                    rounds += 1;
                    match newer_token(store, name, &refresh_token).await? {
                        Some(newer) => refresh_token = newer,
                        None => return Err(e),
                    }
                }
                other => break other?,
            }
        };
        // An answer without `scope` grants what was asked for: with nothing asked, the
        // profile's own scopes, which must not be erased.
        if scopes.is_empty() && tokens.scopes.is_empty() {
            tokens.scopes = profile.connection.scopes.clone();
        }
        let refreshed_at = jiff::Timestamp::now();
        if let Some(rotated) = &tokens.refresh_token
            && rotated != &refresh_token
        {
            // Saved before anything else can fail: servers that refuse reused refresh tokens
            // would otherwise lock the profile out.
            if validating {
                let success = SuccessRecord {
                    validation: super::check::success(refreshed_at, endpoints.graph.is_some()),
                    granted: tokens.scopes.clone(),
                };
                store.save_rotated(name, rotated, success).await?;
            } else {
                store.save(name, rotated).await?;
            }
            crate::interrupt::mark_rotated_saved();
        }
        protected.leave()?;
        Ok((endpoints, tokens, refreshed_at))
    }
}

/// How long a run whose refresh token was refused waits for another run's rotated token to
/// appear in a shared store: longer than one token request plus one store write.
pub const SHARED_ROTATION_WAIT: Duration = Duration::from_secs(5);

/// In a shared store, the token that replaced `used` since it was read, waiting up to
/// [`SHARED_ROTATION_WAIT`] for another run to save it; `None` when none came.
async fn newer_token(store: &TimedStore, name: &str, used: &Secret) -> Result<Option<Secret>> {
    let deadline = tokio::time::Instant::now() + SHARED_ROTATION_WAIT;
    loop {
        if let Some(current) = store.load(name).await?
            && &current != used
        {
            return Ok(Some(current));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
