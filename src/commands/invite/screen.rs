//! What the wizard shows and asks: numbered steps, the code, the countdown, the approval
//! explanation, the summary; and in `--json` mode the event stream on stdout. Everything goes
//! through the `ui` traits, so nothing here touches the terminal itself. Lines are wrapped to
//! the terminal's width; in accessible mode nothing is repainted: each state is said once on a
//! line of its own, and each key in words.

use std::time::Duration;

use console::style;
use url::Url;

use super::inputs::Inputs;
use crate::authority::{Authority, Endpoints};
use crate::cli::InviteArgs;
use crate::connection::Checked;
use crate::deps::WizardUi;
use crate::error::{Error, Result};
use crate::flow::browser::AuthorizeRequest;
use crate::flow::{DeviceCode, PollEvent, PollEventKind};
use crate::output::Event;
use crate::profiles::{Profile, Profiles, StoreKind};
use crate::store::TimedStore;
use crate::ui::layout::{Hint, fit_status, hint_lines, wrap, wrap_warning};
use crate::ui::{Browser, Clipboard, Keys, Output, Prompter, Spinner};

const STEPS: u32 = 6;

pub struct Screen<'a> {
    out: &'a mut dyn Output,
    json: bool,
    interactive: bool,
    prompter: Box<dyn Prompter>,
    spinner: Box<dyn Spinner>,
    clipboard: Box<dyn Clipboard>,
    browser: Box<dyn Browser>,
    keys: Box<dyn Fn() -> Box<dyn Keys> + Send>,
    /// Static lines for screen readers: no spinner, no box, keys said in words.
    accessible: bool,
    /// Accessible mode: what was last said while waiting, so it is said once.
    said: Option<String>,
    qr: bool,
    demo: bool,
    /// The verification page's host, when it is not the authority's own (the phishing guard):
    /// the browser opens on it only after the operator confirms.
    untrusted_host: Option<String>,
    waiting: bool,
    last_status: Option<String>,
}

impl<'a> Screen<'a> {
    pub fn new(
        out: &'a mut dyn Output,
        ui: WizardUi,
        json: bool,
        interactive: bool,
        args: &InviteArgs,
    ) -> Screen<'a> {
        Screen {
            out,
            json,
            interactive,
            prompter: ui.prompter,
            spinner: ui.spinner,
            clipboard: ui.clipboard,
            browser: ui.browser,
            keys: ui.keys,
            accessible: ui.accessible,
            said: None,
            qr: args.qr,
            demo: args.demo,
            untrusted_host: None,
            waiting: false,
            last_status: None,
        }
    }

    pub fn is_interactive(&self) -> bool {
        self.interactive
    }

    pub fn prompter(&mut self) -> Option<&mut dyn Prompter> {
        if self.interactive {
            Some(self.prompter.as_mut())
        } else {
            None
        }
    }

    pub fn keys(&self) -> Option<Box<dyn Keys>> {
        self.interactive.then(|| (self.keys)())
    }

    /// One JSON Lines event on stdout (only with `--json`).
    pub fn event(&mut self, event: &Event) {
        if self.json {
            self.out.data(&event.to_line());
        }
    }

    pub fn failed(&mut self, error: &Error) {
        self.stop_waiting();
        self.event(&Event::Error(error.to_output()));
    }

    /// A line for the operator, wrapped to the terminal's width; the spinner makes way and
    /// comes back on the next tick.
    fn line(&mut self, text: &str) {
        let text = wrap(text, self.out.width());
        self.laid_out(&text);
    }

    /// Lines already laid out for the terminal's width.
    fn laid_out(&mut self, text: &str) {
        if self.waiting && !self.accessible {
            self.spinner.hide();
            self.waiting = false;
        }
        self.out.info(text);
    }

    /// A line kept by `--quiet`, wrapped.
    fn notice(&mut self, text: &str) {
        self.stop_waiting();
        let text = wrap(text, self.out.width());
        self.out.notice(&text);
    }

    /// Rows of key hints: each row on a line when it fits, otherwise one hint per line; in
    /// accessible mode each key said in words on a line of its own.
    pub fn hints(&mut self, rows: &[Vec<Hint>]) {
        for row in rows {
            if self.accessible {
                for hint in row {
                    self.note(&hint.said());
                }
                continue;
            }
            for line in hint_lines(row, "  ", self.out.width()) {
                self.laid_out(&style(line).dim().to_string());
            }
        }
    }

    /// Accessible mode: `message` on a line of its own, unless it is what was last said while
    /// waiting.
    fn say_once(&mut self, message: String) {
        if self.said.as_deref() != Some(message.as_str()) {
            self.note(&message);
            self.said = Some(message);
        }
        self.waiting = true;
    }

    /// The spinner's message, cut to what fits beside it on one line.
    fn spin(&mut self, message: &str) {
        let width = self.out.width().map(|w| w.saturating_sub(4));
        self.spinner.show(&fit_status(message, width));
    }

    pub fn banner(&mut self, demo: Option<String>) {
        self.line(&format!(
            "{} {}",
            style("onboard").bold(),
            style("· connect a Microsoft 365 tenant to the provider's platform").dim()
        ));
        if let Some(demo) = demo {
            self.line(&format!("{} {demo}", style("Demo:").yellow().bold()));
        }
    }

    pub fn step(&mut self, number: u32, title: &str) {
        self.line("");
        self.line(&format!(
            "{} {}",
            style(format!("Step {number} of {STEPS} ·")).cyan().bold(),
            style(title).bold()
        ));
    }

    pub fn note(&mut self, text: &str) {
        self.line(&format!("  {text}"));
    }

    pub fn ok(&mut self, text: &str) {
        self.line(&format!("  {} {text}", style("✓").green().bold()));
    }

    pub fn warn(&mut self, text: &str) {
        let text = wrap_warning(text, self.out.width());
        self.out.warn(&text);
    }

    pub fn ask(&mut self, question: &str, default: bool) -> Result<bool> {
        if !self.interactive {
            return Ok(default);
        }
        tokio::task::block_in_place(|| self.prompter.confirm(question, default))
    }

    pub fn confirm_summary(&mut self, inputs: &Inputs, endpoints: &Endpoints) -> Result<bool> {
        let rows = [
            (
                "Tenant",
                match (&inputs.tenant, &endpoints.tenant_id) {
                    (Some(t), Some(id)) if t != id => format!("{t} (ID {id})"),
                    (Some(t), _) => t.clone(),
                    (None, Some(id)) => id.clone(),
                    (None, None) => "as the identity provider decides".into(),
                },
            ),
            ("Registration", inputs.client_id.clone()),
            ("Account", inputs.account_label().to_owned()),
            ("Scopes", inputs.scopes.join(" ")),
            ("Sign-in at", inputs.authority.describe()),
            ("Profile", inputs.profile.clone()),
        ];
        let microsoft = crate::authority::has_admin_consent(&inputs.authority, Some(endpoints));
        if microsoft {
            self.ok("The tenant exists");
        } else {
            self.ok("The identity provider answers");
        }
        for (label, value) in rows {
            if label == "Sign-in at" && !inputs.authority.is_microsoft() {
                continue;
            }
            self.line(&format!("  {:<13} {value}", style(label).dim()));
        }
        if !inputs.authority.is_microsoft() {
            // On its own line, and kept by --quiet: whoever signs in must know whose page it
            // is before a code exists.
            let simulated = if self.demo {
                " (the simulated tenant)"
            } else {
                ""
            };
            self.notice(&format!(
                "  {} {}{simulated}",
                style("Sign-in at a non-Microsoft server:").yellow().bold(),
                crate::http::host_of(&inputs.authority.base)
            ));
        }
        self.ask("Start the sign-in?", true)
    }

    /// `microsoft`: the authority is Microsoft's (or the simulated tenant), whose instructions
    /// are shown and whose accounts can meet "Approval required".
    pub fn show_code(
        &mut self,
        code: &DeviceCode,
        inputs: &Inputs,
        authority: &Authority,
        microsoft: bool,
    ) {
        let url = code.verification_uri.as_str();
        let host = crate::http::host_of(&code.verification_uri);
        if !self.interactive {
            // A fixed line, for logs and for a person reading a CI job: without it
            // nobody can sign in, so --quiet does not hide it.
            self.notice(&format!(
                "To sign in, open {url} and enter the code {}",
                code.user_code
            ));
            return;
        }
        let width = code.user_code.chars().count() + 8;
        self.line("");
        if self.accessible {
            self.note(&format!(
                "The code to enter: {}",
                style(&code.user_code).bold().yellow()
            ));
        } else {
            self.line(&format!("    ╭{}╮", "─".repeat(width)));
            self.line(&format!(
                "    │    {}    │",
                style(&code.user_code).bold().yellow()
            ));
            self.line(&format!("    ╰{}╯", "─".repeat(width)));
        }
        // Entra's own instructions, in the language of the request: for an operator who reads
        // that language better than onboard's English. One line (see `text`), said to be the
        // server's, and only from Microsoft's (or the simulated) sign-in service.
        if let Some(message) = code.message.as_deref().filter(|_| microsoft) {
            self.line(&format!(
                "  {} {}",
                style(format!("{} says:", crate::http::host_of(&authority.base))).dim(),
                style(message).dim()
            ));
        }
        self.line("");
        let until = code.expires_in;
        match self.clipboard.copy(&code.user_code, until) {
            Ok(()) => self.ok("Code copied to the clipboard"),
            Err(why) => self.note(&format!("Copy the code by hand: {why}")),
        }
        self.line(&format!(
            "  Open {} {}",
            style(url).underlined(),
            style(format!("(host: {host})")).bold()
        ));
        self.line(&format!(
            "  enter the code, and sign in as {}.",
            style(inputs.account_label()).bold()
        ));
        let opens = page_to_open(code);
        self.untrusted_host = untrusted_page(code, authority);
        if let Some(host) = &self.untrusted_host {
            self.warn(&format!(
                "the sign-in page is on {host}, which is not {}'s: make sure this is expected before signing in",
                authority.describe()
            ));
        }
        if self.qr {
            self.show_qr(opens);
        }
        // The exact address Enter opens: with the code filled in, it differs from the one above.
        let mut rows = vec![vec![
            Hint::new(
                "Enter",
                format!("open {opens} in your browser"),
                format!("to open {opens} in your browser"),
            ),
            Hint::new("c", "copy the code again", "to copy the code again"),
        ]];
        let mut again = Vec::new();
        if microsoft {
            again.push(approval_hint());
        }
        again.push(Hint::new("n", "new code", "for a new code"));
        again.push(quit_hint());
        rows.push(again);
        if self.demo {
            rows.push(demo_hints());
        }
        self.line("");
        self.hints(&rows);
    }

    fn show_qr(&mut self, url: &Url) {
        if self.accessible {
            self.note("No QR code in accessible mode: use the address above.");
            return;
        }
        match qrcode::QrCode::new(url.as_str()) {
            Ok(code) => {
                let text = code
                    .render::<qrcode::render::unicode::Dense1x2>()
                    .quiet_zone(true)
                    .build();
                for row in text.lines() {
                    self.line(&format!("    {row}"));
                }
            }
            Err(e) => self.note(&format!("No QR code: {e}")),
        }
    }

    pub fn open_browser(&mut self, code: &DeviceCode) {
        let url = page_to_open(code).to_string();
        self.stop_waiting();
        if !self.interactive {
            // Nobody could confirm an unexpected host, and nobody is there to use the page.
            return;
        }
        if let Some(host) = self.untrusted_host.clone() {
            let question =
                format!("The sign-in page is on {host}, not the expected host. Open it anyway?");
            match self.ask(&question, false) {
                Ok(true) => {}
                Ok(false) | Err(_) => {
                    self.note(&format!(
                        "Not opened: check the address, then open {url} yourself"
                    ));
                    return;
                }
            }
        }
        match self.browser.open(&url) {
            Ok(()) => {
                self.ok(&format!("Opened {url} in the browser"));
            }
            Err(why) => self.note(&format!("{why}: open {url} yourself")),
        }
    }

    pub fn copy_code(&mut self, code: &DeviceCode) {
        self.stop_waiting();
        match self.clipboard.copy(&code.user_code, code.expires_in) {
            Ok(()) => self.ok("Code copied to the clipboard"),
            Err(why) => self.note(&format!("Copy the code by hand: {why}")),
        }
    }

    pub fn copy_link(&mut self, link: &str) {
        self.stop_waiting();
        match self.clipboard.copy(link, Duration::from_secs(1800)) {
            Ok(()) => self.ok("Link copied to the clipboard"),
            Err(why) => self.note(&format!("Copy the link by hand: {why}")),
        }
    }

    pub fn poll_event(&mut self, event: &PollEvent) {
        let status = match &event.kind {
            PollEventKind::Pending => return,
            PollEventKind::SlowDown { interval } => format!(
                "The server asked to poll less often: every {} s now",
                interval.as_secs()
            ),
            PollEventKind::Retrying { reason } => format!(
                "{reason}; retrying in {} s",
                event.next_poll_in.as_secs().max(1)
            ),
        };
        if self.interactive && !self.accessible {
            self.last_status = Some(status);
        } else {
            self.line(&format!("  {status}"));
        }
    }

    /// The spinner line with the time left on the code.
    pub fn waiting(&mut self, code: &DeviceCode) {
        if !self.interactive {
            return;
        }
        let left = code.expires_in.saturating_sub(code.issued_at.elapsed());
        if self.accessible {
            // Once a minute, on a line of its own.
            let minutes = left.as_secs().div_ceil(60);
            let unit = if minutes == 1 { "minute" } else { "minutes" };
            self.say_once(format!(
                "Waiting for sign-in: the code expires in {minutes} {unit}."
            ));
            return;
        }
        self.waiting = true;
        let mut message = format!("Waiting for sign-in · code expires in {}", clock(left));
        if let Some(status) = &self.last_status {
            message.push_str(&format!(" · {status}"));
        }
        self.spin(&message);
    }

    pub fn waiting_for_reviewer(&mut self) {
        if self.interactive && self.accessible {
            self.say_once("Waiting for the reviewer: press Enter once they have approved.".into());
        } else if self.interactive && !self.waiting {
            self.waiting = true;
            self.spin("Waiting for the reviewer · press Enter once they have approved");
        }
    }

    pub fn stop_waiting(&mut self) {
        if self.waiting {
            if !self.accessible {
                self.spinner.hide();
            }
            self.waiting = false;
        }
        self.said = None;
        self.last_status = None;
    }

    /// `microsoft`: the authority has Microsoft's admin consent, so a missing link needs a word.
    pub fn explain_approval(&mut self, inputs: &Inputs, link: Option<&Url>, microsoft: bool) {
        let lines = [
            format!(
                "The tenant requires an administrator to approve the registration {} before {} can use it.",
                inputs.client_id,
                inputs.account_label()
            ),
            "1. If the page says \"Approval required\", the account enters a reason and clicks \"Request approval\"".into(),
            "   (skip this if it was done already): the tenant's Admin Consent Reviewers get an email.".into(),
            "   If it says \"Need admin approval\" with no such button, the tenant's admin consent workflow is off".into(),
            "   and nobody is told: send a Global Administrator (or Cloud Application Administrator) step 2 yourself.".into(),
            "2. A reviewer opens Entra admin center → Enterprise applications → Admin consent requests,".into(),
            "   picks the request, clicks \"Review permissions and consent\" and accepts".into(),
            "   (or, with no request: Enterprise applications → the app → Permissions → \"Grant admin consent\").".into(),
        ];
        for line in lines {
            self.note(&line);
        }
        if let Some(link) = link {
            self.note("   Or the reviewer opens this link and accepts:");
            self.note(&format!("   {}", style(link.as_str()).underlined()));
            if self.interactive {
                match self
                    .clipboard
                    .copy(link.as_str(), Duration::from_secs(1800))
                {
                    Ok(()) => self.ok("Link copied to the clipboard"),
                    Err(why) => self.note(&format!("   Copy the link by hand: {why}")),
                }
            }
        } else if microsoft {
            self.note(&format!(
                "   No direct link: {}.",
                crate::authority::NO_LINK_REASON
            ));
        }
        self.note("3. Then the service account signs in again with a fresh code.");
        if self.interactive {
            let mut keys = vec![Hint::new(
                "Enter",
                "the reviewer has approved",
                "once the reviewer has approved",
            )];
            if link.is_some() {
                keys.push(Hint::new("c", "copy the link", "to copy the link"));
            }
            keys.push(quit_hint());
            if self.demo {
                keys.push(
                    Hint::new("v", "approve as the reviewer", "to approve as the reviewer").demo(),
                );
            }
            self.hints(&[keys]);
        } else {
            self.note("Waiting for the approval: a fresh code follows.");
        }
    }

    pub fn file_store(&mut self, profiles: &Profiles) -> TimedStore {
        self.warn(crate::store::FILE_STORE_WARNING.trim_start_matches("warning: "));
        crate::deps::file_store(profiles.dir())
    }

    pub fn summary(
        &mut self,
        inputs: &Inputs,
        profile: &Profile,
        checked: &Checked,
        store: StoreKind,
        demo: bool,
    ) {
        if let Some(error) = &checked.error {
            self.line(&format!(
                "  {} {}",
                style("✗").red().bold(),
                validated_words(checked)
            ));
            if let Some(hint) = &error.hint {
                self.note(&format!("hint: {hint}"));
            }
            return;
        }
        self.ok(&validated_words(checked));
        self.line("");
        self.line(&format!(
            "{} {}",
            style("✓ Onboarded").green().bold(),
            style(&inputs.profile).bold()
        ));
        let tenant = match (&checked.tenant_name, &profile.connection.tenant_id) {
            (Some(name), Some(id)) => format!("{name} ({id})"),
            (None, Some(id)) => format!("{} ({id})", profile.connection.tenant),
            (_, None) => profile.connection.tenant.clone(),
        };
        let rows = [
            ("Tenant", tenant),
            (
                "Account",
                checked
                    .account
                    .clone()
                    .or(profile.connection.account.clone())
                    .unwrap_or_default(),
            ),
            ("Scopes", checked.scopes.join(" ")),
            (
                "Stored in",
                format!(
                    "the {} (profile \"{}\")",
                    store.description(),
                    inputs.profile
                ),
            ),
            (
                "Check later",
                if demo {
                    "onboard validate (demo profiles are removed when the demo ends)".into()
                } else {
                    format!("onboard validate --profile {}", inputs.profile)
                },
            ),
        ];
        for (label, value) in rows {
            self.line(&format!("  {:<12} {value}", style(label).dim()));
        }
    }
}

/// The phishing guard: the host of the sign-in page (shown or opened) when `authority` does not
/// vouch for it ([`Authority::trusts_verification_page`]), `None` when it does.
pub fn untrusted_page(code: &DeviceCode, authority: &Authority) -> Option<String> {
    let trusted = authority.trusts_verification_page(&code.verification_uri)
        && authority.trusts_verification_page(page_to_open(code));
    (!trusted).then(|| crate::http::host_of(&code.verification_uri))
}

/// The browser road's screens.
impl Screen<'_> {
    /// The sign-in link, and how its answer comes back: to this machine's listener, or pasted.
    pub fn show_authorize(&mut self, request: &AuthorizeRequest, inputs: &Inputs, microsoft: bool) {
        let url = request.url.as_str();
        if !self.interactive {
            self.notice(&format!(
                "To sign in, open {url} in a browser; onboard waits for its answer at {}",
                request.redirect_uri
            ));
            return;
        }
        self.line(&format!(
            "  Open this link in a browser and sign in as {}:",
            style(inputs.account_label()).bold()
        ));
        self.line(&format!("  {}", style(url).underlined()));
        self.line(&format!(
            "  {}",
            style(format!("(host: {})", crate::http::host_of(&request.url))).bold()
        ));
        match self.clipboard.copy(url, Duration::from_secs(1800)) {
            Ok(()) => self.ok("Link copied to the clipboard"),
            Err(why) => self.note(&format!("Copy the link by hand: {why}")),
        }
        if self.qr {
            self.show_qr(&request.url);
        }
        self.line("");
        self.note(&format!(
            "Signing in on this machine: the browser comes back to onboard at {} by itself.",
            request.redirect_uri
        ));
        self.note(&format!(
            "On another machine: after signing in, that browser lands on an address starting with {}/ that does not load.",
            request.redirect_uri
        ));
        self.note("Have it copied from the address bar and sent to you, then paste it here and press Enter.");
        self.line("");
        let mut rows = vec![vec![
            Hint::new(
                "Enter",
                "open the link in this machine's browser",
                "to open the link in this machine's browser",
            ),
            Hint::new("c", "copy the link again", "to copy the link again"),
        ]];
        let mut again = Vec::new();
        if microsoft {
            again.push(approval_hint());
        }
        again.push(Hint::new("n", "new link", "for a new link"));
        again.push(quit_hint());
        again.push(Hint::new(
            "",
            "(or paste the address)",
            "or paste the address the browser landed on, then press Enter",
        ));
        rows.push(again);
        if self.demo {
            rows.push(demo_hints());
        }
        self.hints(&rows);
    }

    /// Enter on the browser road: this machine's browser opens the link.
    pub fn open_link(&mut self, url: &Url) {
        self.stop_waiting();
        if !self.interactive {
            return;
        }
        match self.browser.open(url.as_str()) {
            Ok(()) => self.ok("Opened the sign-in link in the browser"),
            Err(why) => self.note(&format!(
                "{why}: open the link yourself, or send it to the person signing in"
            )),
        }
    }

    /// The spinner line while the listener and the paste prompt wait together.
    pub fn waiting_for_browser(&mut self, typed: &str) {
        if !self.interactive {
            return;
        }
        if self.accessible {
            self.say_once(if typed.is_empty() {
                "Waiting for the browser's answer, or for the address it landed on to be pasted."
                    .into()
            } else {
                // Not echoed: the address carries the authorization code.
                "An address is being pasted: press Enter when it is all in.".into()
            });
            return;
        }
        self.waiting = true;
        let message = if typed.is_empty() {
            "Waiting for the browser's answer · or paste the address it landed on".to_owned()
        } else {
            // Not echoed: the address carries the authorization code.
            format!(
                "Address: {} characters pasted · Enter to use it",
                typed.chars().count()
            )
        };
        self.spin(&message);
    }
}

/// `[a]`: the account met the approval page.
fn approval_hint() -> Hint {
    Hint::new(
        "a",
        "the account sees \"Approval required\" or \"Need admin approval\"",
        "if the account sees \"Approval required\" or \"Need admin approval\"",
    )
}

fn quit_hint() -> Hint {
    Hint::new("q", "quit", "to quit")
}

/// The demo's keys, which act as the account on the simulated sign-in page.
fn demo_hints() -> Vec<Hint> {
    vec![
        Hint::new(
            "s",
            "sign in as the service account",
            "to sign in as the service account",
        )
        .demo(),
        Hint::new("r", "request approval", "to request approval").demo(),
        Hint::new("d", "decline", "to decline").demo(),
    ]
}

/// What Enter and the QR code open: the page with the code filled in when the server named one
/// (on the same site: see `parse_device_code`), else the plain page.
fn page_to_open(code: &DeviceCode) -> &Url {
    code.verification_uri_complete
        .as_ref()
        .unwrap_or(&code.verification_uri)
}

/// The wizard's validation and `onboard validate` are the same check.
fn validated_words(checked: &Checked) -> String {
    match &checked.error {
        None => format!(
            "The credential works: {} can call {} as {}",
            checked.profile,
            checked.checked_with,
            checked.account.as_deref().unwrap_or("the service account")
        ),
        Some(error) => format!("Validation failed: {error}"),
    }
}

/// `mm:ss`, or `h:mm:ss` past an hour.
pub fn clock(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    use super::*;
    use crate::authority::Cloud;
    use crate::secret::Secret;
    use crate::ui::Key;

    /// What the fakes saw (lines on the terminal, URLs opened), and the questions the test
    /// expects, in order, each as (words the question contains, the answer).
    #[derive(Default)]
    struct Seen {
        lines: Vec<String>,
        opened: Vec<String>,
        script: VecDeque<(&'static str, bool)>,
    }

    /// The questions a test expects, in order: (words the question contains, the answer).
    type Script = &'static [(&'static str, bool)];

    #[derive(Clone, Default)]
    struct Fake {
        seen: Arc<Mutex<Seen>>,
    }

    impl Fake {
        /// A fake whose prompter answers exactly these questions, in this order.
        fn answering(script: Script) -> Fake {
            let fake = Fake::default();
            fake.seen().script = script.iter().copied().collect();
            fake
        }

        fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
            self.seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }

        /// Fails unless every scripted question was asked.
        fn assert_all_asked(&self) {
            let left = &self.seen().script;
            assert!(left.is_empty(), "questions never asked: {left:?}");
        }
    }

    impl Output for Fake {
        fn data(&mut self, line: &str) {
            self.seen().lines.push(line.into());
        }
        fn info(&mut self, line: &str) {
            self.seen().lines.push(line.into());
        }
        fn warn(&mut self, line: &str) {
            self.seen().lines.push(format!("warning: {line}"));
        }
        fn notice(&mut self, line: &str) {
            self.seen().lines.push(line.into());
        }
    }

    impl Prompter for Fake {
        fn input(
            &mut self,
            prompt: &str,
            _initial: Option<&str>,
            _check: &(dyn Fn(&str) -> std::result::Result<(), String> + Sync),
        ) -> Result<String> {
            panic!("unexpected prompt: {prompt}")
        }
        fn confirm(&mut self, prompt: &str, _default: bool) -> Result<bool> {
            let next = self.seen().script.pop_front();
            match next {
                Some((words, answer)) if prompt.contains(words) => Ok(answer),
                Some((words, _)) => {
                    panic!("asked {prompt:?}, but the test expected a question about {words:?}")
                }
                None => panic!("asked {prompt:?}, which the test did not script"),
            }
        }
    }

    impl Spinner for Fake {
        fn show(&mut self, _message: &str) {}
        fn hide(&mut self) {}
    }

    impl Clipboard for Fake {
        fn copy(&mut self, _text: &str, _until: Duration) -> std::result::Result<(), String> {
            Err("no clipboard in tests".into())
        }
    }

    impl Browser for Fake {
        fn open(&mut self, url: &str) -> std::result::Result<(), String> {
            self.seen().opened.push(url.into());
            Ok(())
        }
    }

    struct NoKeys;

    impl Keys for NoKeys {
        fn poll(&mut self, _timeout: Duration) -> Option<Key> {
            None
        }
    }

    fn screen(fake: &Fake, interactive: bool) -> Screen<'static> {
        // The screen borrows its output for the whole wizard; a test's may live forever.
        let out: &'static mut Fake = Box::leak(Box::new(fake.clone()));
        Screen {
            out,
            json: false,
            interactive,
            prompter: Box::new(fake.clone()),
            spinner: Box::new(fake.clone()),
            clipboard: Box::new(fake.clone()),
            browser: Box::new(fake.clone()),
            keys: Box::new(|| Box::new(NoKeys)),
            accessible: false,
            said: None,
            qr: false,
            demo: false,
            untrusted_host: None,
            waiting: false,
            last_status: None,
        }
    }

    fn code(uri: &str) -> DeviceCode {
        DeviceCode {
            user_code: "ABCD-EFGH".into(),
            device_code: Secret::new("device-code"),
            verification_uri: Url::parse(uri).unwrap(),
            verification_uri_complete: None,
            expires_in: Duration::from_secs(900),
            interval: Duration::from_secs(5),
            message: None,
            issued_at: Instant::now(),
        }
    }

    fn inputs(authority: Authority) -> Inputs {
        Inputs {
            authority,
            tenant: Some("contoso.com".into()),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
            account: Some("svc@contoso.com".into()),
            scopes: vec![],
            profile: "contoso.com".into(),
            redirect_uri: None,
        }
    }

    /// The phishing guard: a verification page on an unexpected host is announced, and the
    /// browser opens on it only when the operator says yes; the expected host opens at once.
    #[tokio::test(flavor = "multi_thread")]
    async fn an_unexpected_sign_in_host_opens_only_after_confirmation() {
        let microsoft = Authority::microsoft(Cloud::Global, "contoso.com");
        let rows: [(&str, Script, bool); 3] = [
            // (verification URI, the question and the operator's answer, opened?)
            ("https://microsoft.com/devicelogin", &[], true),
            (
                "https://login.evil.example/devicelogin",
                &[("login.evil.example", false)],
                false,
            ),
            (
                "https://login.evil.example/devicelogin",
                &[("login.evil.example", true)],
                true,
            ),
        ];
        for (uri, script, opened) in rows {
            let fake = Fake::answering(script);
            let mut screen = screen(&fake, true);
            let code = code(uri);
            screen.show_code(&code, &inputs(microsoft.clone()), &microsoft, true);
            screen.open_browser(&code);
            fake.assert_all_asked();
            let seen = fake.seen();
            assert_eq!(!seen.opened.is_empty(), opened, "{uri} ({script:?})");
            if !script.is_empty() {
                assert!(
                    seen.lines
                        .iter()
                        .any(|l| l.starts_with("warning:") && l.contains("login.evil.example")),
                    "{:?}",
                    seen.lines
                );
            }
        }
    }

    /// Without a person at the terminal no browser opens, whatever the host.
    #[tokio::test(flavor = "multi_thread")]
    async fn non_interactive_never_opens_a_browser() {
        let microsoft = Authority::microsoft(Cloud::Global, "contoso.com");
        // No question is scripted: one asked fails the test.
        let fake = Fake::default();
        let mut screen = screen(&fake, false);
        for uri in [
            "https://microsoft.com/devicelogin",
            "https://login.evil.example/devicelogin",
        ] {
            let code = code(uri);
            screen.show_code(&code, &inputs(microsoft.clone()), &microsoft, true);
            screen.open_browser(&code);
        }
        assert!(fake.seen().opened.is_empty());
    }

    /// Accessible mode says the time left on a line of its own when the minute changes, not on
    /// every tick.
    #[test]
    fn accessible_mode_says_the_time_left_once_a_minute() {
        let fake = Fake::default();
        let mut screen = screen(&fake, true);
        screen.accessible = true;
        let mut code = code("https://microsoft.com/devicelogin");
        for _ in 0..5 {
            screen.waiting(&code);
        }
        // A minute and a bit later.
        if let Some(earlier) = Instant::now().checked_sub(Duration::from_secs(61)) {
            code.issued_at = earlier;
        }
        for _ in 0..5 {
            screen.waiting(&code);
        }
        let said: Vec<String> = fake
            .seen()
            .lines
            .iter()
            .filter(|l| l.contains("expires in"))
            .cloned()
            .collect();
        assert_eq!(
            said,
            [
                "  Waiting for sign-in: the code expires in 15 minutes.",
                "  Waiting for sign-in: the code expires in 14 minutes.",
            ]
        );
    }

    #[test]
    fn clocks_read_like_clocks() {
        assert_eq!(clock(Duration::from_secs(761)), "12:41");
        assert_eq!(clock(Duration::from_secs(5)), "0:05");
        assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
    }
}
