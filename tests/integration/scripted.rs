//! Whole wizards without a pty, in milliseconds: a scripted terminal answers the prompts, and
//! presses keys or acts as the person on the sign-in page once the screen shows what they wait
//! for, recording what was shown; the simulated tenant runs in this process on a loopback port
//! and is reached over real HTTP; the profile and credential go to the file store in a
//! temporary directory. A prompt the script does not expect fails the test. Only the pace is
//! quickened (keys looked at every 2 ms, codes polled every 5 ms). They run here rather than
//! among the library's unit tests because a request sent in a process puts its
//! client-request-id into every later error message of that process.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use clap::Parser;
use tempfile::TempDir;
use textwrap::core::display_width;

use onboard::cli::{Cli, Command};
use onboard::commands::invite::{Pace, Parts, run_with};
use onboard::deps::WizardUi;
use onboard::error::{Kind, Result};
use onboard::http::{HttpOptions, build_client};
use onboard::profiles::{Profiles, SignInFlow};
use onboard::simulate::{AuthorizeAction, AuthorizeOutcome, Settings, SignIn, SimInfo, Simulator};
use onboard::ui::{Browser, Clipboard, Key, Keys, Output, Prompter, Spinner};

/// The scripted terminal is this wide: every line must fit, or be one word that cannot break.
const COLUMNS: usize = 60;

/// Something done on the sign-in page or as the reviewer, then the key pressed, if any.
type Action = Box<dyn FnOnce(&Seen) -> Option<Key> + Send>;

/// What the person at the scripted terminal does next.
enum Step {
    /// Answers a yes/no question whose text contains these words.
    Confirm(&'static str, bool),
    /// Types an answer to a question whose text contains these words.
    Type(&'static str, String),
    /// Once a line containing the text has been shown: acts (on the sign-in page, as the
    /// reviewer), then presses the key it returns, if any.
    Act(&'static str, Action),
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Confirm(words, answer) => write!(f, "Confirm({words:?}, {answer})"),
            Step::Type(words, answer) => write!(f, "Type({words:?}, {answer:?})"),
            Step::Act(after, _) => write!(f, "Act({after:?})"),
        }
    }
}

/// What the terminal showed and what was done with it.
#[derive(Default)]
struct Seen {
    /// Every line shown (warnings as "warning: …"), without colour.
    lines: Vec<String>,
    /// The spinner's messages.
    statuses: Vec<String>,
    copied: Vec<String>,
    opened: Vec<String>,
    /// `lines[..read]` were shown before the last step was taken.
    read: usize,
}

impl Seen {
    fn shown_since_last_step(&self, text: &str) -> bool {
        self.lines[self.read..].iter().any(|l| l.contains(text))
    }

    fn shown(&self, text: &str) -> bool {
        self.lines.iter().any(|l| l.contains(text))
    }

    /// What was copied last: the code, or the sign-in link.
    fn last_copied(&self) -> String {
        self.copied.last().cloned().expect("something was copied")
    }
}

#[derive(Clone)]
struct Scripted {
    seen: Arc<Mutex<Seen>>,
    steps: Arc<Mutex<VecDeque<Step>>>,
}

impl Scripted {
    fn new(steps: Vec<Step>) -> Scripted {
        Scripted {
            seen: Arc::default(),
            steps: Arc::new(Mutex::new(steps.into())),
        }
    }

    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn steps(&self) -> MutexGuard<'_, VecDeque<Step>> {
        self.steps.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, text: &str) {
        let plain = console::strip_ansi_codes(text);
        self.seen()
            .lines
            .extend(plain.split('\n').map(str::to_owned));
    }

    /// The next step, which must be a question containing these words.
    fn next_question(&self, prompt: &str) -> Step {
        self.seen().lines.push(format!("? {prompt}"));
        let step = self.steps().pop_front();
        match step {
            Some(step @ (Step::Confirm(words, _) | Step::Type(words, _)))
                if prompt.contains(words) =>
            {
                let mut seen = self.seen();
                seen.read = seen.lines.len();
                step
            }
            other => panic!("asked {prompt:?}, but the script's next step is {other:?}"),
        }
    }

    fn ui(&self) -> WizardUi {
        let keys = self.clone();
        WizardUi {
            prompter: Box::new(self.clone()),
            spinner: Box::new(self.clone()),
            clipboard: Box::new(self.clone()),
            browser: Box::new(self.clone()),
            keys: Box::new(move || Box::new(keys.clone())),
            accessible: false,
        }
    }
}

impl Output for Scripted {
    fn data(&mut self, line: &str) {
        self.record(line);
    }
    fn info(&mut self, line: &str) {
        self.record(line);
    }
    fn warn(&mut self, line: &str) {
        self.record(&format!("warning: {line}"));
    }
    fn notice(&mut self, line: &str) {
        self.record(line);
    }
    fn width(&self) -> Option<usize> {
        Some(COLUMNS)
    }
}

impl Prompter for Scripted {
    fn input(
        &mut self,
        prompt: &str,
        _initial: Option<&str>,
        check: &(dyn Fn(&str) -> std::result::Result<(), String> + Sync),
    ) -> Result<String> {
        // As a terminal's prompter does, a refused answer is said and the question asked again.
        loop {
            let Step::Type(_, answer) = self.next_question(prompt) else {
                panic!("asked {prompt:?} for text, but the script answers yes or no");
            };
            match check(&answer) {
                Ok(()) => return Ok(answer),
                Err(why) => self.record(&format!("? refused: {why}")),
            }
        }
    }

    fn confirm(&mut self, prompt: &str, _default: bool) -> Result<bool> {
        match self.next_question(prompt) {
            Step::Confirm(_, answer) => Ok(answer),
            _ => panic!("asked {prompt:?} yes or no, but the script types text"),
        }
    }
}

impl Keys for Scripted {
    fn poll(&mut self, timeout: Duration) -> Option<Key> {
        let step = {
            let mut steps = self.steps();
            let ready = match steps.front() {
                Some(Step::Act(after, _)) => self.seen().shown_since_last_step(after),
                _ => false,
            };
            if ready { steps.pop_front() } else { None }
        };
        let key = match step {
            Some(Step::Act(_, act)) => act(&self.seen()),
            _ => {
                std::thread::sleep(timeout.min(Duration::from_millis(1)));
                return None;
            }
        };
        let mut seen = self.seen();
        seen.read = seen.lines.len();
        key
    }
}

impl Spinner for Scripted {
    fn show(&mut self, message: &str) {
        self.seen().statuses.push(message.to_owned());
    }
    fn hide(&mut self) {}
}

impl Clipboard for Scripted {
    fn copy(&mut self, text: &str, _until: Duration) -> std::result::Result<(), String> {
        self.seen().copied.push(text.to_owned());
        Ok(())
    }
}

impl Browser for Scripted {
    fn open(&mut self, url: &str) -> std::result::Result<(), String> {
        self.seen().opened.push(url.to_owned());
        Ok(())
    }
}

/// A finished wizard: its result, what the terminal saw, the profiles it saved.
struct Ran {
    result: Result<()>,
    terminal: Scripted,
    profiles: Profiles,
    took: Duration,
    _dir: TempDir,
}

async fn simulator(settings: Settings) -> Arc<Simulator> {
    Arc::new(
        Simulator::start(0, settings)
            .await
            .expect("the simulated tenant starts"),
    )
}

/// `onboard invite --authority SIM ARGS` on a scripted terminal that takes `steps`.
/// The simulated tenant's tenant, registration and account, as a technician passes them.
fn tenant_registration_and_account(info: &SimInfo) -> [&str; 6] {
    [
        "--tenant",
        &info.tenant,
        "--client-id",
        &info.client_id,
        "--account",
        &info.account,
    ]
}

async fn run_wizard(sim: &Simulator, args: &[&str], steps: Vec<Step>, accessible: bool) -> Ran {
    let info = sim.info();
    let argv = [&["onboard", "invite", "--authority", &info.authority], args].concat();
    let cli = Cli::try_parse_from(argv).expect("the test's command line parses");
    let Command::Invite(args) = &cli.command else {
        panic!("not invite");
    };
    let dir = TempDir::new().expect("a temporary directory");
    let terminal = Scripted::new(steps);
    let mut out = terminal.clone();
    let mut ui = terminal.ui();
    ui.accessible = accessible;
    let profiles = Profiles::at(dir.path());
    let parts = Parts {
        out: &mut out,
        ui,
        json: false,
        interactive: true,
        http: build_client(&HttpOptions::default()).expect("an HTTP client"),
        profiles: profiles.clone(),
        store: onboard::deps::file_store(dir.path()),
        pace: Pace {
            tick: Duration::from_millis(2),
            poll_at_most: Some(Duration::from_millis(5)),
        },
    };
    let started = Instant::now();
    let result = run_with(args, None, parts).await;
    let took = started.elapsed();
    eprintln!(
        "{}: the wizard took {took:?}",
        std::thread::current().name().unwrap_or("?")
    );
    let left = terminal.steps().len();
    assert_eq!(
        left,
        0,
        "steps never taken: {:?}\nshown:\n{}",
        terminal.steps(),
        terminal.seen().lines.join("\n")
    );
    Ran {
        result,
        terminal,
        profiles,
        took,
        _dir: dir,
    }
}

impl Ran {
    fn shown(&self) -> String {
        self.terminal.seen().lines.join("\n")
    }

    /// Every line fits the terminal's width, or is one word that cannot be broken (a URL).
    fn assert_fits(&self) {
        // "? …" lines are the scripted prompter's record of the questions.
        for line in self
            .terminal
            .seen()
            .lines
            .iter()
            .filter(|l| !l.starts_with("? "))
        {
            if display_width(line) > COLUMNS {
                assert!(
                    !line.trim_start().contains(' '),
                    "a line wider than {COLUMNS} columns that could have been wrapped: {line:?}"
                );
            }
        }
        for status in &self.terminal.seen().statuses {
            assert!(display_width(status) + 4 <= COLUMNS, "{status:?}");
        }
    }

    async fn assert_onboarded(&self) {
        if let Err(error) = &self.result {
            panic!(
                "the wizard failed: {error} ({:?})\n{}",
                error.hint,
                self.shown()
            );
        }
        assert!(
            self.terminal.seen().shown("✓ Onboarded"),
            "{}",
            self.shown()
        );
        let saved = self
            .profiles
            .load_with_validations()
            .await
            .expect("profiles.json reads");
        let profile = saved.profiles.values().next().expect("a profile was saved");
        assert!(
            profile.last_validation.as_ref().is_some_and(|v| v.valid),
            "step 6 was recorded"
        );
        // "Whole wizards in milliseconds": generous for a loaded machine.
        assert!(self.took < Duration::from_secs(5), "took {:?}", self.took);
    }
}

/// The person signs in on the simulated page with the code the wizard copied.
fn signs_in(sim: &Arc<Simulator>) -> Step {
    let sim = Arc::clone(sim);
    Step::Act(
        "[n] new code",
        Box::new(move |seen| {
            assert_eq!(sim.approve(&seen.last_copied()), Ok(SignIn::Approved));
            None
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_happy_path_asks_what_is_missing_and_onboards() {
    let sim = simulator(Settings::default()).await;
    let info = sim.info().clone();
    let steps = vec![
        // A refused answer is said, and the question comes again.
        Step::Type("Registration", "not a guid".into()),
        Step::Type("Registration", info.client_id.clone()),
        Step::Type("Service account", info.account.clone()),
        Step::Confirm("Start the sign-in?", true),
        signs_in(&sim),
    ];
    let ran = run_wizard(&sim, &["--tenant", &info.tenant], steps, false).await;
    ran.assert_onboarded().await;
    ran.assert_fits();
    let shown = ran.shown();
    assert!(shown.contains("refused: "), "{shown}");
    assert!(shown.contains("Code copied to the clipboard"), "{shown}");
    assert!(
        shown.contains(&format!("Signed in as {}", info.account)),
        "{shown}"
    );
    // Wider than 60 columns as one row: one hint per line, none split.
    assert!(
        ran.terminal.seen().lines.iter().any(|l| l == "  [q] quit"),
        "{shown}"
    );
    assert!(
        ran.terminal
            .seen()
            .statuses
            .iter()
            .any(|s| s.starts_with("Waiting for sign-in")),
        "the countdown was shown"
    );
}

/// Approval required → the account requests it → the wizard asks, takes the detour → the
/// reviewer approves and Enter is pressed → a second code → signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_approval_detour_ends_onboarded_after_the_reviewer_approves() {
    let sim = simulator(Settings {
        require_approval: true,
        admin_consent_workflow: true,
        ..Settings::default()
    })
    .await;
    let info = sim.info().clone();
    let requests = Arc::clone(&sim);
    let reviewer = Arc::clone(&sim);
    let steps = vec![
        Step::Confirm("Start the sign-in?", true),
        Step::Act(
            "[n] new code",
            Box::new(move |seen| {
                let code = seen.last_copied();
                assert_eq!(requests.approve(&code), Ok(SignIn::ApprovalRequired));
                requests
                    .request_approval(&code)
                    .expect("approval can be requested");
                None
            }),
        ),
        Step::Confirm("Did the account see \"Approval required\"", true),
        Step::Act(
            "[Enter] the reviewer has approved",
            Box::new(move |_| {
                reviewer.reviewer_approves();
                Some(Key::Enter)
            }),
        ),
        signs_in(&sim),
    ];
    let args = tenant_registration_and_account(&info);
    let ran = run_wizard(&sim, &args, steps, false).await;
    ran.assert_onboarded().await;
    ran.assert_fits();
    let shown = ran.shown();
    assert!(shown.contains("Step 3 of 6 · Admin approval"), "{shown}");
    assert!(shown.contains("(attempt 2)"), "{shown}");
}

/// The account declines, did not request approval, and wants no fresh code: the wizard ends
/// with the decline, and nothing is saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decline_ends_the_wizard_and_saves_nothing() {
    let sim = simulator(Settings::default()).await;
    let info = sim.info().clone();
    let declines = Arc::clone(&sim);
    let steps = vec![
        Step::Confirm("Start the sign-in?", true),
        Step::Act(
            "[n] new code",
            Box::new(move |seen| {
                declines
                    .deny(&seen.last_copied())
                    .expect("the code is pending");
                None
            }),
        ),
        Step::Confirm("Did the account see \"Approval required\"", false),
        Step::Confirm("Try again with a fresh code?", false),
    ];
    let args = tenant_registration_and_account(&info);
    let ran = run_wizard(&sim, &args, steps, false).await;
    let error = ran.result.as_ref().expect_err("a declined sign-in fails");
    assert!(
        matches!(error.kind, Kind::SignInAgain | Kind::PermissionMissing),
        "{error}: {:?}",
        error.kind
    );
    assert!(
        ran.shown().contains("Sign-in was declined"),
        "{}",
        ran.shown()
    );
    assert!(
        ran.profiles
            .load()
            .await
            .expect("profiles read")
            .profiles
            .is_empty()
    );
    ran.assert_fits();
}

/// The person signs in with the link the wizard copied, and the browser follows the redirect
/// to the wizard's loopback listener.
fn browses_back(sim: &Arc<Simulator>) -> Step {
    let browser = Arc::clone(sim);
    Step::Act(
        "(or paste the address)",
        Box::new(move |seen| {
            let link = url::Url::parse(&seen.last_copied()).expect("the link was copied");
            let state = link
                .query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned())
                .expect("the link has a state");
            let outcome = browser.authorize(
                link.query().unwrap_or_default(),
                &state,
                AuthorizeAction::Approve,
            );
            let Ok(AuthorizeOutcome::Redirect(location)) = outcome else {
                panic!("the sign-in page did not redirect: {outcome:?}");
            };
            // The browser follows the redirect to the listener on 127.0.0.1 (as "localhost").
            let back = location.replacen("localhost", "127.0.0.1", 1);
            tokio::spawn(async move {
                let client = build_client(&HttpOptions::default()).expect("an HTTP client");
                let _ = client.get(back).send().await;
            });
            None
        }),
    )
}

/// `--flow browser`: the link is copied, the person signs in and the browser comes back to
/// the wizard's loopback listener with the code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_road_ends_onboarded() {
    let sim = simulator(Settings::default()).await;
    let info = sim.info().clone();
    let steps = vec![
        Step::Confirm("Start the sign-in?", true),
        browses_back(&sim),
    ];
    let args = [
        &["--flow", "browser"][..],
        &tenant_registration_and_account(&info),
    ]
    .concat();
    let ran = run_wizard(&sim, &args, steps, false).await;
    ran.assert_onboarded().await;
    ran.assert_fits();
    let saved = ran.profiles.load().await.expect("profiles read");
    let profile = saved.profiles.values().next().expect("a profile");
    assert_eq!(
        profile.connection.sign_in_flow,
        SignInFlow::AuthorizationCode
    );
    assert!(
        ran.shown().contains("The browser's answer arrived"),
        "{}",
        ran.shown()
    );
}

/// Accessible mode: the code on a line of its own without a box, each key in words, the time
/// left said as a line, and no spinner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accessible_mode_says_everything_in_static_lines() {
    let sim = simulator(Settings::default()).await;
    let info = sim.info().clone();
    let steps = vec![
        Step::Confirm("Start the sign-in?", true),
        Step::Act("Press q to quit.", {
            let sim = Arc::clone(&sim);
            Box::new(move |seen| {
                assert_eq!(sim.approve(&seen.last_copied()), Ok(SignIn::Approved));
                None
            })
        }),
    ];
    let args = tenant_registration_and_account(&info);
    let ran = run_wizard(&sim, &args, steps, true).await;
    ran.assert_onboarded().await;
    ran.assert_fits();
    let shown = ran.shown();
    assert!(!shown.contains('╭') && !shown.contains('│'), "{shown}");
    assert!(shown.contains("The code to enter: "), "{shown}");
    assert!(shown.contains("Press n for a new code."), "{shown}");
    assert!(
        shown.contains("Waiting for sign-in: the code expires in 15 minutes."),
        "{shown}"
    );
    assert!(ran.terminal.seen().statuses.is_empty(), "no spinner");
}

/// Conditional Access refuses the device code (AADSTS53003): [b] goes on in the browser in the
/// same loop, as attempt 2, and the credential records the browser road.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b_after_a_refused_device_code_goes_on_in_the_browser() {
    let sim = simulator(Settings::default()).await;
    let info = sim.info().clone();
    let policy = build_client(&HttpOptions::default())
        .expect("an HTTP client")
        .post(format!("{}/tenant", info.control))
        .json(&serde_json::json!({"device_code_policy": "on"}))
        .send()
        .await
        .expect("the control API answers");
    assert!(policy.status().is_success(), "{}", policy.status());
    let steps = vec![
        Step::Confirm("Start the sign-in?", true),
        signs_in(&sim),
        Step::Act(
            "[b] continue in a browser",
            Box::new(|_| Some(Key::Char('b'))),
        ),
        browses_back(&sim),
    ];
    let args = tenant_registration_and_account(&info);
    let ran = run_wizard(&sim, &args, steps, false).await;
    ran.assert_onboarded().await;
    ran.assert_fits();
    assert!(
        ran.shown().contains("in a browser\n(attempt 2)"),
        "{}",
        ran.shown()
    );
    let saved = ran.profiles.load().await.expect("profiles read");
    let profile = saved.profiles.values().next().expect("a profile");
    assert_eq!(
        profile.connection.sign_in_flow,
        SignInFlow::AuthorizationCode
    );
}
