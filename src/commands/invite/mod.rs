//! `onboard invite`: the onboarding wizard. Confirm who is onboarded, sign in with a device
//! code or in a browser (taking the admin-consent detour when a reviewer must approve), check
//! who signed in, save the credential, validate it.

mod browser;
mod demo;
pub mod inputs;
mod screen;

use std::time::{Duration, Instant};

use self::demo::Demo;
use self::inputs::{Inputs, Known, parse_invitation};
use self::screen::Screen;
use crate::authority::{self, Endpoints};
use crate::cli::StoreFallback;
use crate::cli::{Flow, InviteArgs};
use crate::connection;
use crate::deps::{Deps, WizardUi};
use crate::error::{Code, Error, Kind, Result};
use crate::flow::loopback::Loopback;
use crate::flow::{self, DeviceCode, PollEvent, TokenSet, classify};
use crate::http::RetryPolicy;
use crate::oauth::OAuthError;
use crate::output::Event;
use crate::profiles::{Connection, Profile, Profiles, SignInFlow, StoreKind};
use crate::store::TimedStore;
use crate::ui::{Key, Output};

pub async fn run(args: &InviteArgs, profile_flag: Option<&str>, deps: &mut Deps) -> Result<()> {
    let demo = if args.demo {
        Some(Demo::start(args.require_approval).await?)
    } else {
        None
    };
    let interactive = deps.interactive && !args.non_interactive;
    let (profiles, store) = match &demo {
        Some(demo) => (demo.profiles(), demo.store()),
        None => (deps.profiles()?, deps.store()?),
    };
    let ui = deps.wizard_ui(args.no_clipboard, args.no_browser, args.accessible);
    let parts = Parts {
        http: deps.http()?,
        json: deps.json,
        out: deps.out.as_mut(),
        ui,
        interactive,
        profiles,
        store,
        pace: Pace::default(),
    };
    wizard(args, profile_flag, parts, demo).await
}

/// What the wizard works with, handed in: the terminal's parts (small traits), where profiles
/// and credentials go, and the HTTP client. [`run`] builds them from the command line; tests
/// build them around a scripted terminal and call [`run_with`].
pub struct Parts<'a> {
    pub out: &'a mut dyn Output,
    pub ui: WizardUi,
    pub json: bool,
    /// A person answers prompts and presses keys.
    pub interactive: bool,
    pub http: reqwest::Client,
    pub profiles: Profiles,
    pub store: TimedStore,
    pub pace: Pace,
}

/// How often the wizard looks at the keys, and how long it may wait between two polls for a
/// code's tokens. For people: every 200 ms, and as the server says. Tests quicken both so that
/// a whole wizard runs in milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    pub tick: Duration,
    /// The longest wait between polls, whatever the code's interval (only tests set it).
    pub poll_at_most: Option<Duration>,
}

impl Default for Pace {
    fn default() -> Pace {
        Pace {
            tick: Duration::from_millis(200),
            poll_at_most: None,
        }
    }
}

/// The wizard on parts handed in (a scripted terminal in tests), without the demo.
pub async fn run_with(
    args: &InviteArgs,
    profile_flag: Option<&str>,
    parts: Parts<'_>,
) -> Result<()> {
    wizard(args, profile_flag, parts, None).await
}

/// The whole wizard on `parts`: steps 1 to 6, the failure reported as it ends.
async fn wizard(
    args: &InviteArgs,
    profile_flag: Option<&str>,
    parts: Parts<'_>,
    demo: Option<Demo>,
) -> Result<()> {
    let mut wizard = Wizard {
        screen: Screen::new(parts.out, parts.ui, parts.json, parts.interactive, args),
        http: parts.http,
        demo,
        profiles: parts.profiles,
        store: parts.store,
        deadline: Instant::now() + args.timeout,
        microsoft: true,
        road: args.flow.unwrap_or(Flow::Device),
        approval_cause: None,
        detours: 0,
        pace: parts.pace,
    };
    let result = wizard.run(args, profile_flag).await;
    if let Err(error) = &result {
        wizard.screen.failed(error);
    }
    result
}

struct Wizard<'a> {
    screen: Screen<'a>,
    http: reqwest::Client,
    demo: Option<Demo>,
    profiles: Profiles,
    store: TimedStore,
    deadline: Instant,
    /// The authority has Microsoft's admin consent (a Microsoft cloud, or the simulated
    /// tenant): known after discovery, and until then assumed, for the words of a timeout.
    microsoft: bool,
    /// The sign-in road: `--flow`, the invitation's `flow=`, or `[b]` after a refusal.
    road: Flow,
    /// The approval error that began the wait for a reviewer, if one did: a wait that runs
    /// out ends with it.
    approval_cause: Option<Error>,
    /// Approval detours taken so far: a second one means the reviewers did not approve.
    detours: u32,
    pace: Pace,
}

/// The sign-in road an attempt takes, with what it holds across attempts.
enum Road {
    /// A code entered at the sign-in page; each attempt asks for a fresh one.
    Device,
    /// A link opened in a browser, answered at this listener (or pasted).
    Browser(Loopback),
}

/// How one sign-in attempt ended.
enum Attempt {
    SignedIn(Box<TokenSet>),
    /// The tenant's reviewer must approve first.
    ApprovalNeeded(Option<Error>),
    /// The code expired or was declined and the operator wants a fresh one.
    Again,
    /// The device code was refused by Conditional Access: continue on the browser road.
    Browser,
}

/// Steps 1 to 4 done: who signed in, with which tokens.
struct SignedIn {
    inputs: Inputs,
    endpoints: Endpoints,
    tokens: TokenSet,
    account: String,
}

impl Wizard<'_> {
    async fn run(&mut self, args: &InviteArgs, profile_flag: Option<&str>) -> Result<()> {
        // --timeout bounds the steps that wait for people. It never cuts into step 5: a save
        // stopped half-way could leave a credential without its profile, or lose the token.
        let signed_in =
            tokio::time::timeout(args.timeout, self.until_signed_in(args, profile_flag)).await;
        let SignedIn {
            inputs,
            endpoints,
            tokens,
            account,
        } = match signed_in {
            Ok(signed_in) => signed_in?,
            Err(_) => {
                // A wait for the reviewer ends as one, with the error that began it when known.
                let pending = self.detours > 0;
                return Err(self.timed_out(args.timeout, pending));
            }
        };
        self.screen.step(5, "Save the credential");
        self.save(args, &inputs, &endpoints, &tokens, &account)
            .await?;
        // Step 6 redeems the saved token and saves the rotated one: it runs to its end too,
        // bounded by the HTTP client's timeouts.
        self.screen.step(6, "Validate");
        let profile = self.profiles.get(&inputs.profile).await?;
        let checked = connection::check(
            &self.http,
            &self.store,
            Some(&self.profiles),
            &inputs.profile,
            &profile,
            &[],
        )
        .await;
        self.screen.event(&Event::Validated(checked.to_output()));
        self.screen.summary(
            &inputs,
            &profile,
            &checked,
            self.store.kind(),
            self.demo.is_some(),
        );
        match checked.error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Steps 1 to 4.
    async fn until_signed_in(
        &mut self,
        args: &InviteArgs,
        profile_flag: Option<&str>,
    ) -> Result<SignedIn> {
        self.screen.banner(self.demo.as_ref().map(|d| d.describe()));
        let inputs = self.gather(args, profile_flag)?;
        self.confirm_replace(&inputs.profile, args.force).await?;
        let http = self.http.clone();
        let retries = self.retries();
        let screen = &mut self.screen;
        let endpoints = authority::discover_retrying(&http, &inputs.authority, retries, |e, d| {
            screen.note(&retry_note(e, d));
        })
        .await
        .map_err(for_the_wizard)?;
        match self.road {
            Flow::Device => endpoints.device_authorization().map(|_| ())?,
            Flow::Browser => endpoints.authorization().map(|_| ())?,
        }
        if !self.screen.confirm_summary(&inputs, &endpoints)? {
            return Err(Error::interrupted());
        }
        let tokens = self.sign_in(&inputs, &endpoints).await?;
        self.screen.step(4, "Check who signed in");
        let account = self.check_identity(&inputs, &endpoints, &tokens).await?;
        Ok(SignedIn {
            inputs,
            endpoints,
            tokens,
            account,
        })
    }

    /// A saved profile of the same name is replaced only when the operator says so: asked
    /// before the sign-in, or `--force`.
    async fn confirm_replace(&mut self, name: &str, force: bool) -> Result<()> {
        let Some(saved) = self.profiles.load().await?.profiles.remove(name) else {
            return Ok(());
        };
        let who = format!(
            "{}, tenant {}",
            saved
                .connection
                .account
                .as_deref()
                .unwrap_or("unknown account"),
            saved
                .connection
                .tenant_id
                .as_deref()
                .unwrap_or(&saved.connection.tenant)
        );
        if force {
            self.screen.note(&format!(
                "The saved profile '{name}' ({who}) will be replaced (--force)."
            ));
            return Ok(());
        }
        let exists = || {
            Error::new(
                Code::ProfileExists,
                format!("a profile named '{name}' is already saved ({who})"),
            )
        };
        if !self.screen.is_interactive() {
            return Err(exists()
                .with_hint("add --force to replace it, or choose another name with --profile"));
        }
        if self.screen.ask(
            &format!("Profile '{name}' is already saved ({who}). Replace it after the sign-in?"),
            false,
        )? {
            Ok(())
        } else {
            Err(exists().with_hint("choose another name with --profile; nothing was changed"))
        }
    }

    fn gather(&mut self, args: &InviteArgs, profile_flag: Option<&str>) -> Result<Inputs> {
        let invitation = match &args.invitation {
            Some(link) => parse_invitation(link)?,
            None => Default::default(),
        };
        // A flag wins over the invitation's `flow=`.
        if let (None, Some(flow)) = (args.flow, invitation.flow) {
            self.road = flow;
        }
        let mut known = Known::merge(args, profile_flag, invitation)?;
        if let Some(demo) = &self.demo {
            demo.prefill(&mut known);
        }
        self.screen.step(1, "Who is being onboarded");
        // Prompts block on the terminal: keep the runtime's other worker free for Ctrl-C.
        let inputs = tokio::task::block_in_place(|| known.resolve(self.screen.prompter()))?;
        crate::profiles::validate_name(&inputs.profile)?;
        Ok(inputs)
    }

    /// Step 2 (and 3 when approval is needed): sign-in attempts until tokens arrive. One loop
    /// for both roads: an attempt on the road taken, then what it led to (tokens, a fresh code
    /// or link, the approval detour, the browser road after a Conditional Access refusal, or
    /// the end).
    async fn sign_in(&mut self, inputs: &Inputs, endpoints: &Endpoints) -> Result<TokenSet> {
        self.microsoft = authority::has_admin_consent(&inputs.authority, Some(endpoints));
        let mut road = self.take_road(inputs, endpoints).await?;
        let mut attempt = 1;
        let mut approval_pending = false;
        loop {
            let outcome = match &road {
                Road::Device => self.device_attempt(inputs, endpoints, attempt).await?,
                Road::Browser(loopback) => {
                    self.browser_attempt(inputs, endpoints, loopback, attempt)
                        .await?
                }
            };
            match outcome {
                Attempt::SignedIn(tokens) => return Ok(*tokens),
                Attempt::Again => {}
                // Admin consent, its link and its words are Microsoft's: another identity
                // provider's refusal ends here.
                Attempt::ApprovalNeeded(error) if !self.microsoft => {
                    return Err(not_microsoft_consent(error));
                }
                Attempt::ApprovalNeeded(error) => {
                    approval_pending = true;
                    self.approval_detour(inputs, endpoints, error.as_ref())
                        .await?;
                }
                Attempt::Browser => {
                    self.road = Flow::Browser;
                    road = self.take_road(inputs, endpoints).await?;
                }
            }
            if Instant::now() >= self.deadline {
                return Err(self.gave_up(approval_pending));
            }
            attempt += 1;
        }
    }

    /// Sets out on `self.road`: the browser road checks its sign-in page (the phishing guard,
    /// as the device road does for each code) and opens its listener.
    async fn take_road(&mut self, inputs: &Inputs, endpoints: &Endpoints) -> Result<Road> {
        match self.road {
            Flow::Device => Ok(Road::Device),
            Flow::Browser => {
                let page = endpoints.authorization()?;
                if !inputs.authority.trusts_verification_page(page) {
                    return Err(untrusted_page(
                        &crate::http::host_of(page),
                        &inputs.authority,
                    ));
                }
                Ok(Road::Browser(Loopback::bind().await?))
            }
        }
    }

    /// One attempt on the device road: a fresh code, shown, then the wait for it.
    async fn device_attempt(
        &mut self,
        inputs: &Inputs,
        endpoints: &Endpoints,
        attempt: u32,
    ) -> Result<Attempt> {
        self.screen.step(
            2,
            &format!("Sign in as the service account (attempt {attempt})"),
        );
        let http = self.http.clone();
        let retries = self.retries();
        let screen = &mut self.screen;
        let code = flow::request_device_code_retrying(
            &http,
            endpoints,
            &inputs.client_id,
            &inputs.scopes,
            retries,
            |e, d| screen.note(&retry_note(e, d)),
        )
        .await
        .map_err(for_the_wizard)?;
        // The phishing guard, before the code is shown anywhere: without a person to
        // confirm an unexpected sign-in page, a run without a terminal stops here.
        if !self.screen.is_interactive()
            && let Some(host) = screen::untrusted_page(&code, &inputs.authority)
        {
            return Err(untrusted_page(&host, &inputs.authority));
        }
        self.screen.event(&Event::DeviceCode {
            user_code: &code.user_code,
            verification_uri: code.verification_uri.as_str(),
            expires_in: code.expires_in.as_secs(),
            interval: code.interval.as_secs(),
            attempt,
            client_request_id: crate::http::client_request_id(),
        });
        self.screen
            .show_code(&code, inputs, &inputs.authority, self.microsoft);
        self.wait(inputs, endpoints, &code).await
    }

    /// Waits for one code: polls, counts down, and reacts to keys.
    async fn wait(
        &mut self,
        inputs: &Inputs,
        endpoints: &Endpoints,
        code: &DeviceCode,
    ) -> Result<Attempt> {
        let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel::<PollEvent>();
        let mut on_event = move |e: &PollEvent| {
            let _ = events_tx.send(e.clone());
        };
        let http = self.http.clone();
        // Tests poll sooner than the code's interval says (see `Pace`).
        let paced;
        let polled = match self.pace.poll_at_most {
            Some(most) if code.interval > most => {
                paced = DeviceCode {
                    interval: most,
                    ..code.clone()
                };
                &paced
            }
            _ => code,
        };
        let poll = flow::poll_for_tokens(
            &http,
            endpoints,
            &inputs.client_id,
            polled,
            &inputs.scopes,
            Some(self.deadline),
            &mut on_event,
        );
        tokio::pin!(poll);
        let mut tick = tokio::time::interval(self.pace.tick);
        let mut keys = self.screen.keys();
        if let (Some(demo), false) = (&self.demo, self.screen.is_interactive()) {
            self.screen.note(&demo.sign_in_unattended(code));
        }
        let result = loop {
            tokio::select! {
                result = &mut poll => break result,
                _ = tick.tick() => {
                    while let Ok(event) = events_rx.try_recv() {
                        self.screen.poll_event(&event);
                    }
                    self.screen.waiting(code);
                    let Some(key) = keys.as_mut().and_then(|k| k.poll(Duration::ZERO)) else { continue };
                    match key.command() {
                        Key::Enter => self.screen.open_browser(code),
                        Key::Char('c') => self.screen.copy_code(code),
                        Key::Char('a') if authority::has_admin_consent(&inputs.authority, Some(endpoints)) => {
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
                        Key::Char(c) => {
                            if let Some(note) = self.demo.as_ref().and_then(|d| d.act_as_user(c, code)) {
                                self.screen.note(&note);
                            }
                        }
                    }
                }
            }
        };
        self.screen.stop_waiting();
        drop(keys);
        match result {
            Ok(tokens) => Ok(Attempt::SignedIn(Box::new(tokens))),
            Err(error) => {
                let has_reviewer = authority::has_admin_consent(&inputs.authority, Some(endpoints));
                self.after_failed_attempt(error, has_reviewer)
            }
        }
    }

    /// Decides what a failed attempt leads to: the approval detour, a fresh code, or the end.
    /// `has_reviewer`: the authority is Microsoft's, where an account may request approval.
    fn after_failed_attempt(&mut self, error: Error, has_reviewer: bool) -> Result<Attempt> {
        if error.aadsts == Some(53003) && self.road == Flow::Device {
            return self.device_code_refused(error);
        }
        let needs_approval = error.kind == Kind::PermissionMissing
            && (error.aadsts.is_some_and(classify::is_approval_code)
                || matches!(
                    error.oauth,
                    Some(OAuthError::AuthorizationDeclined | OAuthError::ConsentRequired)
                ));
        if needs_approval {
            return Ok(Attempt::ApprovalNeeded(Some(error)));
        }
        match error.oauth {
            Some(OAuthError::ExpiredToken | OAuthError::CodeExpired) => {
                self.screen
                    .note("The code expired before sign-in finished.");
                if !self.screen.is_interactive() || self.screen.ask("Get a fresh code?", true)? {
                    return Ok(Attempt::Again);
                }
                Err(error)
            }
            // The demo itself pressed "Request approval": it knows what the decline means.
            Some(OAuthError::AuthorizationDeclined | OAuthError::AccessDenied)
                if self.demo.as_ref().is_some_and(Demo::take_approval_request) =>
            {
                Ok(Attempt::ApprovalNeeded(Some(error)))
            }
            // Microsoft answers a plain decline and "Request approval" alike: nobody is there to
            // ask which it was, so the script gets a code of its own and both ways out.
            Some(OAuthError::AuthorizationDeclined | OAuthError::AccessDenied)
                if has_reviewer && !self.screen.is_interactive() =>
            {
                Err(declined_or_approval_requested(error))
            }
            Some(OAuthError::AuthorizationDeclined | OAuthError::AccessDenied)
                if self.screen.is_interactive() =>
            {
                self.screen
                    .note(&format!("Sign-in was declined: {}", error.message));
                if has_reviewer
                    && self.screen.ask(
                        "Did the account see \"Approval required\" and request approval?",
                        false,
                    )?
                {
                    return Ok(Attempt::ApprovalNeeded(Some(error)));
                }
                if self.screen.ask("Try again with a fresh code?", true)? {
                    return Ok(Attempt::Again);
                }
                Err(error)
            }
            _ => Err(error),
        }
    }

    /// Step 3: a reviewer must approve the registration; then the account signs in again.
    async fn approval_detour(
        &mut self,
        inputs: &Inputs,
        endpoints: &Endpoints,
        cause: Option<&Error>,
    ) -> Result<()> {
        // Without a registered redirect URI Entra answers the link with an error page: the
        // reviewer gets the admin center route instead.
        let link = inputs.redirect_uri.as_deref().and_then(|redirect| {
            authority::admin_consent_url(
                &inputs.authority,
                Some(endpoints),
                &inputs.client_id,
                &inputs.scopes,
                Some(redirect),
            )
        });
        let microsoft = authority::has_admin_consent(&inputs.authority, Some(endpoints));
        self.screen.event(&Event::ApprovalRequired {
            admin_consent_url: link.as_ref().map(|l| l.as_str()),
            code: cause.map(|error| match error.aadsts {
                Some(code) => format!("AADSTS{code}"),
                None => error.code.to_string(),
            }),
        });
        if let Some(cause) = cause {
            self.approval_cause = Some(cause.clone());
        }
        if !self.screen.is_interactive() {
            // Nobody is there to press a key: in the demo the reviewer approves at once.
            if let Some(demo) = &self.demo {
                self.screen.step(3, "Admin approval");
                self.screen
                    .explain_approval(inputs, link.as_ref(), microsoft);
                self.screen.note(&demo.reviewer_approves());
                return Ok(());
            }
            // Without a terminal nobody can have requested approval: waiting gains nothing.
            return Err(approval_without_terminal(cause.cloned(), inputs));
        }
        self.screen.step(3, "Admin approval");
        if self.detours > 0 {
            self.screen.note("Approval is still needed: no reviewer has approved. A request that was denied or expired can be made again from the sign-in page (a blocked app fails with AADSTS7000112 instead).");
        }
        self.detours += 1;
        self.screen
            .explain_approval(inputs, link.as_ref(), microsoft);
        let mut keys = self.screen.keys();
        loop {
            self.screen.waiting_for_reviewer();
            let key = match keys.as_mut() {
                Some(k) => tokio::task::block_in_place(|| k.poll(self.pace.tick)),
                None => Some(Key::Enter),
            };
            match key.map(Key::command) {
                Some(Key::Enter) => break,
                Some(Key::Char('q')) => {
                    self.screen.stop_waiting();
                    return Err(Error::interrupted());
                }
                Some(Key::Char('c')) => {
                    if let Some(link) = &link {
                        self.screen.copy_link(link.as_str());
                    }
                }
                Some(Key::Char('v')) => {
                    if let Some(demo) = &self.demo {
                        let note = demo.reviewer_approves();
                        self.screen.stop_waiting();
                        self.screen.note(&note);
                        break;
                    }
                }
                _ => {}
            }
            if Instant::now() >= self.deadline {
                self.screen.stop_waiting();
                return Err(self.gave_up(true));
            }
        }
        self.screen.stop_waiting();
        Ok(())
    }

    /// Step 4: the right tenant and the right account, or nothing is saved.
    async fn check_identity(
        &mut self,
        inputs: &Inputs,
        endpoints: &Endpoints,
        tokens: &TokenSet,
    ) -> Result<String> {
        if let (Some(expected), Some(actual)) = (&endpoints.tenant_id, &tokens.claims.tid)
            && !expected.eq_ignore_ascii_case(actual)
        {
            return Err(Error::new(
                Code::WrongTenant,
                format!(
                    "the sign-in was for tenant {actual}, but {} is tenant {expected}; nothing was saved",
                    inputs.tenant.as_deref().unwrap_or("the invitation")
                ),
            ));
        }
        // Without an account claim in the tokens, ask who the token acts as (Graph /me or
        // userinfo) rather than trusting --account. Another provider's last resort is `sub`.
        let named = tokens.claims.account().or(match endpoints.graph {
            Some(_) => None,
            None => tokens.claims.sub.as_deref(),
        });
        let signed_in = match named {
            Some(account) => Some(account.to_string()),
            None => flow::whoami(
                &self.http,
                endpoints,
                &tokens.access_token,
                RetryPolicy::default(),
            )
            .await
            .ok()
            .and_then(|identity| identity.account),
        };
        match (&signed_in, &inputs.account) {
            (Some(actual), Some(expected)) if !actual.eq_ignore_ascii_case(expected) => {
                return Err(Error::new(
                    Code::WrongAccount,
                    format!("signed in as {actual}, but the service account is {expected}; nothing was saved"),
                )
                .with_hint(format!("run `onboard invite` again and sign in as {expected} (use a private browser window to avoid a cached account)")));
            }
            (Some(actual), Some(_)) => self.screen.ok(&format!("Signed in as {actual}")),
            (Some(actual), None) => self.screen.warn(&format!(
                "no --account was given: accepting {actual}, the account that signed in"
            )),
            (None, Some(expected)) => self.screen.warn(&format!(
                "the identity provider does not say which account signed in: {expected} could not be confirmed"
            )),
            (None, None) => {
                return Err(Error::new(
                    Code::UnknownAccount,
                    "the identity provider does not say which account signed in, and no --account was given; nothing was saved",
                )
                .with_hint("run `onboard invite` again with --account naming the service account"));
            }
        }
        if let Some(tid) = &tokens.claims.tid {
            self.screen.ok(&format!("Tenant {tid}"));
        }
        let missing = flow::missing_scopes(&inputs.scopes, &tokens.scopes);
        if missing.is_empty() {
            self.screen
                .ok(&format!("Granted: {}", tokens.scopes.join(" ")));
        } else {
            self.screen.warn(&format!(
                "Not granted: {} (granted: {}). Ask the tenant's reviewer to consent to them (`onboard consent-url`).",
                missing.join(" "),
                tokens.scopes.join(" ")
            ));
        }
        Ok(signed_in
            .or_else(|| inputs.account.clone())
            .unwrap_or_default())
    }

    /// Step 5: credential first, then the profile that points at it. Ctrl-C waits for it.
    async fn save(
        &mut self,
        args: &InviteArgs,
        inputs: &Inputs,
        endpoints: &Endpoints,
        tokens: &TokenSet,
        account: &str,
    ) -> Result<()> {
        let refresh_token = tokens.refresh_token.as_ref().ok_or_else(|| {
            Error::new(Code::NoRefreshToken, "the server gave no refresh token; nothing was saved")
                .with_hint("the offline_access scope was not granted: allow it for the registration, or ask the identity provider's admin")
        })?;
        let profile = Profile {
            connection: Connection {
                authority: inputs.authority.base.to_string(),
                cloud: inputs.authority.cloud.map(|c| c.name().to_string()),
                tenant: inputs
                    .tenant
                    .clone()
                    .unwrap_or_else(|| crate::http::host_of(&inputs.authority.base)),
                tenant_id: endpoints
                    .tenant_id
                    .clone()
                    .or_else(|| tokens.claims.tid.clone()),
                client_id: inputs.client_id.clone(),
                account: Some(account.to_string()),
                scopes: tokens.scopes.clone(),
                redirect_uri: inputs.redirect_uri.clone(),
                // Graph's `/me` answers with the object id, userinfo with `sub`.
                account_id: if endpoints.graph.is_some() {
                    tokens.claims.oid.clone()
                } else {
                    tokens.claims.sub.clone()
                },
                sign_in_flow: self.sign_in_flow(),
            },
            store: self.store.kind(),
            created_at: jiff::Timestamp::now().to_string(),
            last_validation: None,
            extra: Default::default(),
        };
        let _guard = crate::interrupt::Protected::enter()?;
        let saved = connection::save_onboarding(
            &self.store,
            &self.profiles,
            &inputs.profile,
            profile.clone(),
            refresh_token,
        )
        .await;
        match saved {
            Ok(()) => {}
            Err(error)
                if error.kind == Kind::StoreUnavailable && self.store.kind() != StoreKind::File =>
            {
                let fall_back = if args.store_fallback == Some(StoreFallback::File) {
                    self.screen.warn(&format!(
                        "{error}; saving in the file store instead (--store-fallback file)"
                    ));
                    true
                } else if self.screen.is_interactive() {
                    self.screen.warn(&error.to_string());
                    self.screen.ask(
                        "Save it in the plaintext file store instead (mode 0600)?",
                        false,
                    )?
                } else {
                    false
                };
                if !fall_back {
                    return Err(token_not_kept(error));
                }
                self.store = self.screen.file_store(&self.profiles);
                connection::save_onboarding(
                    &self.store,
                    &self.profiles,
                    &inputs.profile,
                    profile,
                    refresh_token,
                )
                .await?;
            }
            Err(error) => return Err(error),
        }
        crate::interrupt::mark_saved();
        self.screen.ok(&format!(
            "Saved as profile '{}' in the {}",
            inputs.profile,
            self.store.kind().description()
        ));
        self.screen.event(&Event::SignedIn {
            profile: &inputs.profile,
            tenant_id: tokens
                .claims
                .tid
                .as_deref()
                .or(endpoints.tenant_id.as_deref()),
            account,
            scopes: &tokens.scopes,
            store: self.store.kind(),
            sign_in_flow: self.sign_in_flow(),
        });
        Ok(())
    }

    /// Retries as `validate` makes them, within what is left of `--timeout`.
    fn retries(&self) -> RetryPolicy {
        RetryPolicy {
            budget: self.deadline.saturating_duration_since(Instant::now()),
            ..RetryPolicy::default()
        }
    }

    fn sign_in_flow(&self) -> SignInFlow {
        match self.road {
            Flow::Device => SignInFlow::DeviceCode,
            Flow::Browser => SignInFlow::AuthorizationCode,
        }
    }

    fn gave_up(&self, approval_pending: bool) -> Error {
        if approval_pending {
            let mut error = Error::new(Code::ApprovalPending, "admin approval is still pending; nothing was saved")
                .with_hint("once the tenant's reviewer has approved (`onboard consent-url` gives the link), run `onboard invite` again");
            // The error that began the wait is the cause: its code and IDs are the handles.
            if let Some(cause) = &self.approval_cause {
                error.message = format!(
                    "admin approval is still pending ({}); nothing was saved",
                    cause.message
                );
                error.oauth = cause.oauth.clone();
                error.aadsts = cause.aadsts;
                error.correlation_id = cause.correlation_id.clone();
                error.trace_id = cause.trace_id.clone();
            }
            error
        } else {
            let error = Error::classified(
                Kind::SignInAgain,
                Code::OAuth(OAuthError::ExpiredToken),
                "nobody signed in before the time ran out; nothing was saved",
            );
            if self.microsoft {
                error.with_hint("run `onboard invite` again, or allow more time with --timeout; if the account saw \"Approval required\", send the tenant's reviewer the link from `onboard consent-url` first")
            } else {
                error.with_hint("run `onboard invite` again, or allow more time with --timeout")
            }
        }
    }

    fn timed_out(&mut self, timeout: Duration, approval_pending: bool) -> Error {
        self.screen.stop_waiting();
        let mut error = self.gave_up(approval_pending);
        if approval_pending {
            return error;
        }
        error.message = format!(
            "the wizard timed out after {}; nothing was saved",
            screen::clock(timeout)
        );
        if self.road == Flow::Browser {
            error = error.with_hint("run `onboard invite --flow browser` again, or allow more time with --timeout; if the browser showed AADSTS50011, register http://localhost on the app (Entra admin center → App registrations → the registration → Authentication → Add a platform → Mobile and desktop applications)");
        }
        error
    }
}

/// The code a script sees when the sign-in ended declined without anyone to ask: Entra's answer
/// after "Request approval" is the same as after a plain decline (AADSTS65004).
fn declined_or_approval_requested(cause: Error) -> Error {
    let mut error = Error::new(
        Code::DeclinedOrApprovalRequested,
        format!("the sign-in was declined, or the account requested admin approval (Microsoft answers both alike): {}", cause.message),
    )
    .with_hint("if the account saw \"Approval required\", send the tenant's reviewer the link from `onboard consent-url` and run `onboard invite` again once approved; otherwise run `onboard invite` again and accept");
    error.oauth = cause.oauth;
    error.aadsts = cause.aadsts;
    error.correlation_id = cause.correlation_id;
    error.trace_id = cause.trace_id;
    error
}

/// The wait before a retry, said.
fn retry_note(error: &Error, delay: Duration) -> String {
    format!(
        "{}; trying again in {} s",
        error.message,
        delay.as_secs_f64().ceil()
    )
}

/// A failure after the retries: `--jobs` is `validate --all`'s, not the wizard's.
fn for_the_wizard(mut error: Error) -> Error {
    if let Some(hint) = &error.hint
        && hint.contains("--jobs")
    {
        error.hint = Some(hint.replace(
            "retry later; with --all lower --jobs",
            "run `onboard invite` again later, or allow more time with --timeout",
        ));
    }
    error
}

/// An approval error with nobody at a terminal: no approval request can have been filed, so
/// the run ends at once with the error's code and IDs and the way to the reviewer.
fn approval_without_terminal(cause: Option<Error>, inputs: &Inputs) -> Error {
    let mut error = cause.unwrap_or_else(|| {
        Error::classified(
            Kind::PermissionMissing,
            Code::OAuth(OAuthError::ConsentRequired),
            "the tenant wants admin consent for this registration",
        )
    });
    error.kind = Kind::PermissionMissing;
    error.message = format!(
        "{}; without a terminal no approval request can be filed, nothing was saved",
        error.message
    );
    error.hint = Some(match &inputs.redirect_uri {
        Some(_) => "send the tenant's Admin Consent Reviewer the link from `onboard consent-url` (with this run's --tenant, --client-id and --redirect-uri), then run `onboard invite` again once they approved".to_owned(),
        // Without a registered redirect URI there is no link: the reviewer's route instead.
        None => format!(
            "ask the tenant's Admin Consent Reviewer to grant consent to the application (client) ID {}: {}; then run `onboard invite` again",
            inputs.client_id,
            authority::ADMIN_CENTER_ROUTE
        ),
    });
    error
}

/// Another identity provider refused for want of consent: it has no admin consent workflow
/// onboard knows, so no link and no Microsoft route, only its own administrator.
fn not_microsoft_consent(cause: Option<Error>) -> Error {
    let mut error = cause.unwrap_or_else(|| {
        Error::classified(
            Kind::PermissionMissing,
            Code::OAuth(OAuthError::ConsentRequired),
            "the identity provider wants consent for this registration",
        )
    });
    error.hint = Some("this is not a Microsoft sign-in, so there is no admin consent link: ask the identity provider's administrator to allow the registration for the account, then run `onboard invite` again".into());
    error.message = format!("{}; nothing was saved", error.message);
    error
}

/// The device-code answer names a sign-in page the authority does not vouch for, and nobody is
/// at a terminal to confirm it.
fn untrusted_page(host: &str, authority: &authority::Authority) -> Error {
    Error::new(
        Code::UntrustedSignInPage,
        format!(
            "the sign-in page is on {host}, which is not {}'s; no sign-in was shown and nothing was saved",
            authority.describe()
        ),
    )
    .with_hint("something answered in place of the sign-in service (check HTTPS_PROXY and --authority); to go ahead anyway, run `onboard invite` on a terminal, where this host can be confirmed")
}

/// The store refused the sign-in's token and nothing else may take it: say how to keep the
/// next one, since this one ends with the process.
fn token_not_kept(mut error: Error) -> Error {
    let retry = "the token from this sign-in was not kept: run `onboard invite` again with \
                 --store-fallback file (saves in the plaintext file store only if the keyring \
                 fails) or --store file";
    error.hint = Some(match error.hint.take() {
        Some(why) => format!("{why}; {retry}"),
        None => retry.to_owned(),
    });
    error.message = format!("{}; nothing was saved", error.message);
    error
}
