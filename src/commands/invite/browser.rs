//! The wizard's browser road (`--flow browser`, or `[b]` after a device-code sign-in that the
//! tenant's Conditional Access refused): the sign-in link, then the loopback listener and the
//! paste prompt waiting together, whichever answers first; then the same steps as the device
//! road.

use std::time::{Duration, Instant};

use super::inputs::Inputs;
use super::{Attempt, Wizard};
use crate::authority::{self, Endpoints};
use crate::error::{Error, Kind, Result};
use crate::flow::browser::{self, AuthorizeRequest, Redirect};
use crate::flow::loopback::Loopback;
use crate::output::Event;
use crate::ui::Key;
use crate::ui::layout::Hint;

/// A pasted address longer than this is not one (Entra's codes are about 1,000 characters).
const MAX_PASTE: usize = 16 * 1024;

impl Wizard<'_> {
    /// One attempt on the browser road: a fresh sign-in link, shown, then the wait for its
    /// answer.
    pub(super) async fn browser_attempt(
        &mut self,
        inputs: &Inputs,
        endpoints: &Endpoints,
        loopback: &Loopback,
        attempt: u32,
    ) -> Result<Attempt> {
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
        self.wait_for_browser(inputs, endpoints, loopback, &request)
            .await
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
        let mut tick = tokio::time::interval(self.pace.tick);
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
        self.screen.hints(&[vec![
            Hint::new(
                "b",
                "continue in a browser, without starting over",
                "to continue in a browser, without starting over",
            ),
            Hint::new("q", "quit", "to quit"),
        ]]);
        let Some(mut keys) = self.screen.keys() else {
            return Err(refused);
        };
        loop {
            let tick = self.pace.tick;
            let key = tokio::task::block_in_place(|| keys.poll(tick));
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
