//! The wizard's browser road (`--flow browser`, or `[b]` after a device-code sign-in that the
//! tenant's Conditional Access refused): the sign-in link, then the loopback listener and the
//! paste prompt waiting together, whichever answers first; then the same steps as the device
//! road.

use std::time::{Duration, Instant};

use super::inputs::Inputs;
use super::{Attempt, Wizard};
use crate::authority::{self, Endpoints};
use crate::error::{Error, Kind, Result};
use crate::flow::TokenSet;
use crate::flow::browser::{self, AuthorizeRequest, Redirect};
use crate::flow::loopback::Loopback;
use crate::output::Event;
use crate::ui::Key;

/// A pasted address longer than this is not one (Entra's codes are about 1,000 characters).
const MAX_PASTE: usize = 16 * 1024;

impl Wizard<'_> {
    /// Step 2 (and 3) on the browser road, from attempt `first` on.
    pub(super) async fn sign_in_browser(
        &mut self,
        inputs: &Inputs,
        endpoints: &Endpoints,
        first: u32,
    ) -> Result<TokenSet> {
        // The phishing guard, as on the device road: the sign-in page must be the authority's.
        let page = endpoints.authorization()?;
        if !inputs.authority.trusts_verification_page(page) {
            return Err(super::untrusted_page(
                &crate::http::host_of(page),
                &inputs.authority,
            ));
        }
        let loopback = Loopback::bind().await?;
        let mut attempt = first;
        let mut approval_pending = false;
        loop {
            self.screen.step(
                2,
                &format!("Sign in as the service account in a browser (attempt {attempt})"),
            );
            let request = AuthorizeRequest::new(
                endpoints,
                &inputs.client_id,
                &inputs.scopes,
                loopback.port(),
                inputs.account.as_deref(),
            )?;
            self.screen.event(&Event::AuthorizeUrl {
                url: request.url.as_str(),
                redirect_uri: &request.redirect_uri,
                attempt,
                client_request_id: crate::http::client_request_id(),
            });
            self.screen.show_authorize(&request, inputs, self.microsoft);
            match self
                .wait_for_browser(inputs, endpoints, &loopback, &request)
                .await?
            {
                Attempt::SignedIn(tokens) => return Ok(*tokens),
                Attempt::Again | Attempt::Browser => {}
                // Admin consent, its link and its words are Microsoft's.
                Attempt::ApprovalNeeded(error) if !self.microsoft => {
                    return Err(super::not_microsoft_consent(error));
                }
                Attempt::ApprovalNeeded(error) => {
                    approval_pending = true;
                    self.approval_detour(inputs, endpoints, error.as_ref())
                        .await?;
                }
            }
            if Instant::now() >= self.deadline {
                return Err(self.gave_up(approval_pending));
            }
            attempt += 1;
        }
    }

    /// Waits for one sign-in: the listener, the keys (a pasted address among them), the demo.
    async fn wait_for_browser(
        &mut self,
        inputs: &Inputs,
        endpoints: &Endpoints,
        loopback: &Loopback,
        request: &AuthorizeRequest,
    ) -> Result<Attempt> {
        let mut keys = self.screen.keys();
        if let (Some(demo), false) = (&self.demo, self.screen.is_interactive()) {
            self.screen.note(&demo.browser_unattended(request));
        }
        let answer = loopback.next(&request.state);
        tokio::pin!(answer);
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        // What was pasted carries the authorization code: wiped when the wait ends.
        let mut typed = zeroize::Zeroizing::new(String::new());
        let redirect = 'waiting: loop {
            tokio::select! {
                redirect = &mut answer => break redirect,
                _ = tick.tick() => {
                    self.screen.waiting_for_browser(&typed);
                    // Every key that arrived since the last tick: a paste is hundreds at once.
                    while let Some(key) = keys.as_mut().and_then(|k| k.poll(Duration::ZERO)) {
                        if !typed.is_empty() {
                            match key {
                                Key::Enter => match browser::read_pasted(&typed, request.port, &request.state) {
                                    Ok(redirect) => break 'waiting redirect,
                                    Err(problem) => {
                                        typed.clear();
                                        self.screen.stop_waiting();
                                        self.screen.note(&format!("Not used: {}.", problem.describe()));
                                    }
                                },
                                Key::Char(c) if typed.len() < MAX_PASTE => typed.push(c),
                                Key::Char(_) => {}
                            }
                            continue;
                        }
                        match key.command() {
                            Key::Enter => self.screen.open_link(&request.url),
                            Key::Char('c') => self.screen.copy_link(request.url.as_str()),
                            Key::Char('a') if self.microsoft => {
                                self.screen.stop_waiting();
                                return Ok(Attempt::ApprovalNeeded(None));
                            }
                            Key::Char('n') => {
                                self.screen.stop_waiting();
                                return Ok(Attempt::Again);
                            }
                            Key::Char('q') => {
                                self.screen.stop_waiting();
                                return Err(Error::interrupted());
                            }
                            Key::Char(c @ ('s' | 'r' | 'd')) if self.demo.is_some() => {
                                if let Some(note) = self.demo.as_ref().and_then(|d| d.act_in_browser(c, request)) {
                                    self.screen.stop_waiting();
                                    self.screen.note(&note);
                                }
                            }
                            // Anything else starts an address being pasted (it keeps its case).
                            Key::Char(_) => {
                                if let Key::Char(c) = key && !c.is_whitespace() {
                                    typed.push(c);
                                }
                            }
                        }
                    }
                }
            }
        };
        self.screen.stop_waiting();
        drop(keys);
        let has_reviewer = authority::has_admin_consent(&inputs.authority, Some(endpoints));
        match redirect {
            Redirect::Code(code) => {
                self.screen.ok("The browser's answer arrived");
                match browser::redeem_code(
                    &self.http,
                    endpoints,
                    &inputs.client_id,
                    request,
                    &code,
                    &inputs.scopes,
                )
                .await
                {
                    Ok(tokens) => Ok(Attempt::SignedIn(Box::new(tokens))),
                    Err(error) => self.after_failed_attempt(error, has_reviewer),
                }
            }
            Redirect::Refused(body) => {
                let host = crate::http::host_of(&request.url);
                let error = browser::refused(&body, &host);
                self.after_failed_attempt(error, has_reviewer)
            }
        }
    }

    /// A device-code sign-in refused with AADSTS53003: Conditional Access, most likely a
    /// policy blocking the device code flow. Interactive, `[b]` continues on the browser road.
    pub(super) fn device_code_refused(&mut self, error: Error) -> Result<Attempt> {
        let mut refused = Error::classified(
            Kind::PermissionMissing,
            error.code.clone(),
            "the tenant's Conditional Access refused the device-code sign-in (AADSTS53003); a policy blocking the device code flow is the likely cause; nothing was saved",
        )
        .with_hint("sign in on the browser road: `onboard invite --flow browser` (the app needs http://localhost under Authentication → Mobile and desktop applications); or the tenant admin excludes the service account from the policy that blocks the device code flow, including Microsoft's managed \"Block device code flow\" policy");
        refused.oauth = error.oauth;
        refused.aadsts = error.aadsts;
        refused.correlation_id = error.correlation_id;
        refused.trace_id = error.trace_id;
        if !self.screen.is_interactive() {
            return Err(refused);
        }
        self.screen.warn(&refused.message);
        self.screen
            .note("The browser road (authorization code with PKCE) is not blocked by that policy.");
        self.screen
            .note("[b] continue in a browser, without starting over  [q] quit");
        let Some(mut keys) = self.screen.keys() else {
            return Err(refused);
        };
        loop {
            let key = tokio::task::block_in_place(|| keys.poll(Duration::from_millis(200)));
            match key.map(Key::command) {
                Some(Key::Char('b')) => return Ok(Attempt::Browser),
                Some(Key::Char('q')) => return Err(refused),
                _ => {}
            }
            if Instant::now() >= self.deadline {
                return Err(refused);
            }
        }
    }
}
