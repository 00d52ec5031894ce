//! The real terminal, clipboard and browser: stdout for results, stderr for people. The only
//! module that imports dialoguer, indicatif, arboard or open.

use std::io::Write;
use std::time::Duration;

use console::{Term, style};
use dialoguer::theme::ColorfulTheme;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Browser, Clipboard, Key, Keys, Output, Prompter, Spinner, printable};
use crate::error::{Code, Error, Result};

pub struct TermOutput {
    pub quiet: bool,
}

impl Output for TermOutput {
    fn width(&self) -> Option<usize> {
        terminal_width()
    }

    fn data(&mut self, line: &str) {
        let mut out = std::io::stdout().lock();
        let written = writeln!(out, "{}", printable(line, console::colors_enabled()))
            .and_then(|()| out.flush());
        ended_if_closed(written);
    }

    fn info(&mut self, line: &str) {
        if !self.quiet {
            to_stderr(&for_stderr(line));
        }
    }

    fn warn(&mut self, line: &str) {
        warn_line(line);
    }

    fn notice(&mut self, line: &str) {
        to_stderr(&for_stderr(line));
    }
}

/// One line on stderr. A closed stderr (`2>&1 | head -1`) is no reason to panic (which would
/// abort the release build): it ends the run as an interruption does, once nothing is being
/// saved.
fn to_stderr(line: &str) {
    let mut err = std::io::stderr().lock();
    ended_if_closed(writeln!(err, "{line}").and_then(|()| err.flush()));
}

/// A write to stdout or stderr that met a closed pipe: nobody reads on, so the run ends.
fn ended_if_closed(written: std::io::Result<()>) {
    if let Err(e) = written
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        crate::interrupt::request(crate::interrupt::Reason::OutputClosed);
    }
}

/// The columns of the terminal on stderr, asked each time (it may have been resized); `None`
/// when stderr is no terminal.
pub fn terminal_width() -> Option<usize> {
    Term::stderr()
        .size_checked()
        .map(|(_, columns)| usize::from(columns))
        .filter(|columns| *columns > 0)
}

/// A warning line on stderr.
pub fn warn_line(line: &str) {
    to_stderr(&format!(
        "{} {}",
        style("warning:").yellow().bold(),
        for_stderr(line)
    ));
}

/// A bug: the panic's one line and where to report it, then exit 1 (the code for
/// "a bug in onboard"). Installed by `main`; it runs before the release build's abort, so the
/// line and the exit code are the same in every build. The terminal is put back first. The one
/// exit outside `main`: the release build aborts on a panic, so there is nothing to unwind to.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        // No Drop runs after this: put the terminal back first.
        restore_terminal();
        print_error(&Error::unexpected(format!(
            "internal error in onboard {}: {what}{place}",
            env!("CARGO_PKG_VERSION")
        )));
        std::process::exit(1);
    }));
}

/// The error as the user sees it: one line, then the hint. Nothing when the command has
/// already reported it.
pub fn print_error(error: &Error) {
    if error.reported {
        return;
    }
    // On a terminal, wrapped to its width at spaces (the hint's continuation under its words).
    let width = terminal_width();
    let line = format!(
        "{} {}",
        style("onboard: error:").red().bold(),
        for_stderr(&error.to_string())
    );
    to_stderr(&super::layout::wrap_hanging(&line, width, "  "));
    if let Some(hint) = &error.hint {
        let line = format!("  {} {}", style("hint:").cyan().bold(), for_stderr(hint));
        to_stderr(&super::layout::wrap_hanging(&line, width, "        "));
    }
}

/// A line for stderr, fit for a terminal ([`printable`]).
fn for_stderr(line: &str) -> std::borrow::Cow<'_, str> {
    printable(line, console::colors_enabled_stderr())
}

/// Colours on or off for stdout and stderr alike. A Windows console gets its escape-sequence
/// processing switched on first; one too old for it gets no colours rather than garbage.
pub fn set_colors(enabled: bool) {
    #[cfg(windows)]
    let enabled = enabled && crossterm::ansi_support::supports_ansi();
    console::set_colors_enabled(enabled);
    console::set_colors_enabled_stderr(enabled);
}

/// Puts the terminal back as it was (echo, line editing, cursor) after an interruption, a
/// panic or a cancelled run, and starts a fresh line after the `^C` the terminal echoed.
pub fn restore_terminal() {
    use std::io::IsTerminal;
    let _ = crossterm::terminal::disable_raw_mode();
    // Only a terminal has a cursor: a log or a pipe gets no escape sequence.
    if std::io::stderr().is_terminal() {
        let stderr = Term::stderr();
        let _ = stderr.show_cursor();
        let _ = stderr.write_line("");
    }
}

/// The columns dialoguer's theme puts around a question: "? " before it, and " (y/n) › yes"
/// or " › " after.
const CONFIRM_AROUND: usize = 2 + 13;
const INPUT_AROUND: usize = 2 + 3;

/// A question wrapped to the terminal's width, less what the theme puts around it. dialoguer
/// counts a prompt's lines by its line feeds, so a question wrapped here is cleared whole when
/// it is answered, where one the terminal wrapped would leave a line behind.
fn fit_prompt(prompt: &str, around: usize) -> String {
    let width = terminal_width()
        .map(|w| w.saturating_sub(around))
        .filter(|w| *w >= 20);
    super::layout::wrap_hanging(prompt, width, "  ")
}

/// dialoguer prompts on stderr, so stdout stays clean for `--json`.
pub struct TermPrompter;

fn prompt_error(error: dialoguer::Error) -> Error {
    let dialoguer::Error::IO(io) = error;
    if io.kind() == std::io::ErrorKind::Interrupted {
        Error::interrupted()
    } else {
        Error::new(Code::Terminal, format!("cannot read the answer: {io}"))
            .with_hint("run in a terminal, or pass every value as a flag with --non-interactive")
    }
}

impl Prompter for TermPrompter {
    fn input(
        &mut self,
        prompt: &str,
        initial: Option<&str>,
        check: &(dyn Fn(&str) -> std::result::Result<(), String> + Sync),
    ) -> Result<String> {
        let theme = ColorfulTheme::default();
        let prompt = fit_prompt(prompt, INPUT_AROUND);
        let mut input = dialoguer::Input::<String>::with_theme(&theme)
            .with_prompt(for_stderr(&prompt))
            .validate_with(|s: &String| check(s.trim()));
        if let Some(initial) = initial {
            input = input.with_initial_text(for_stderr(initial));
        }
        input
            .interact_text_on(&Term::stderr())
            .map(|s| s.trim().to_string())
            .map_err(prompt_error)
    }

    fn confirm(&mut self, prompt: &str, default: bool) -> Result<bool> {
        let prompt = fit_prompt(prompt, CONFIRM_AROUND);
        dialoguer::Confirm::with_theme(&ColorfulTheme::default())
            .with_prompt(for_stderr(&prompt))
            .default(default)
            .wait_for_newline(true)
            .interact_on(&Term::stderr())
            .map_err(prompt_error)
    }
}

/// Prompts as static lines for screen readers (accessible mode): the question on a line of its
/// own, the choices numbered, the answer read as a whole line the terminal echoes; nothing is
/// repainted or cleared.
pub struct PlainPrompter;

impl PlainPrompter {
    fn say(&self, text: &str) {
        to_stderr(&for_stderr(&super::layout::wrap(text, terminal_width())));
    }

    fn read_answer(&self) -> Result<String> {
        wait_for_a_line()?;
        let mut answer = String::new();
        match std::io::stdin().read_line(&mut answer) {
            Ok(0) => Err(prompt_error(dialoguer::Error::IO(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the terminal closed",
            )))),
            Ok(_) => Ok(answer.trim().to_owned()),
            Err(e) => Err(prompt_error(dialoguer::Error::IO(e))),
        }
    }
}

impl Prompter for PlainPrompter {
    fn input(
        &mut self,
        prompt: &str,
        initial: Option<&str>,
        check: &(dyn Fn(&str) -> std::result::Result<(), String> + Sync),
    ) -> Result<String> {
        loop {
            match initial {
                Some(initial) => self.say(&format!(
                    "{prompt}: type it and press Enter, or press Enter alone for {initial}"
                )),
                None => self.say(&format!("{prompt}: type it and press Enter")),
            }
            let answer = self.read_answer()?;
            let answer = match (answer.is_empty(), initial) {
                (true, Some(initial)) => initial.trim().to_owned(),
                _ => answer,
            };
            match check(&answer) {
                Ok(()) => return Ok(answer),
                Err(why) => self.say(&format!("Not accepted: {why}")),
            }
        }
    }

    fn confirm(&mut self, prompt: &str, default: bool) -> Result<bool> {
        let (first, second) = if default {
            ("yes", "no")
        } else {
            ("no", "yes")
        };
        loop {
            self.say(prompt);
            self.say(&format!("  1. {}", capital(first)));
            self.say(&format!("  2. {}", capital(second)));
            self.say(&format!(
                "Type 1 or 2 and press Enter (Enter alone: {first})"
            ));
            let answer = self.read_answer()?.to_ascii_lowercase();
            match answer.as_str() {
                "" | "1" => return Ok(default),
                "2" => return Ok(!default),
                "y" | "yes" => return Ok(true),
                "n" | "no" => return Ok(false),
                _ => self.say(&format!(
                    "Not an answer: type 1 for {first} or 2 for {second}."
                )),
            }
        }
    }
}

/// Waits until stdin has a line to read, or the run is asked to end: then the prompt returns
/// the interruption, which unwinds to `main` (destructors run) instead of leaving a thread
/// blocked in a read for `main`'s watchdog to end.
#[cfg(unix)]
fn wait_for_a_line() -> Result<()> {
    use std::os::fd::AsRawFd;
    let fd = std::io::stdin().as_raw_fd();
    loop {
        if crate::interrupt::requested().is_some() {
            return Err(crate::interrupt::error());
        }
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd, valid for the length of the call.
        let ready = unsafe { libc::poll(&mut poll, 1, 100) };
        let interrupted =
            ready < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted;
        // A line, the end of input, or an error: the read says which.
        if ready != 0 && !interrupted {
            return Ok(());
        }
    }
}

/// Elsewhere the read blocks, and `main`'s watchdog ends a run interrupted meanwhile.
#[cfg(not(unix))]
fn wait_for_a_line() -> Result<()> {
    Ok(())
}

fn capital(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// No spinner (accessible mode, where the wizard says each state once on a line of its own).
pub struct NoSpinner;

impl Spinner for NoSpinner {
    fn show(&mut self, _message: &str) {}
    fn hide(&mut self) {}
}

pub struct TermSpinner {
    bar: Option<ProgressBar>,
}

impl TermSpinner {
    pub fn new() -> TermSpinner {
        TermSpinner { bar: None }
    }
}

impl Default for TermSpinner {
    fn default() -> Self {
        TermSpinner::new()
    }
}

impl Spinner for TermSpinner {
    fn show(&mut self, message: &str) {
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("  {spinner:.cyan} {msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        bar.set_message(for_stderr(message).into_owned());
    }

    fn hide(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Single key presses from the terminal, without waiting for Enter, read through crossterm's
/// event API on every platform. The terminal is in raw mode while this lives (the wizard holds
/// one only while it waits for a key) and is put back when it is dropped, or by [`restore_terminal`].
pub struct TermKeys {
    _raw: RawMode,
}

impl TermKeys {
    pub fn new() -> TermKeys {
        TermKeys {
            _raw: RawMode::enter(),
        }
    }
}

impl Default for TermKeys {
    fn default() -> Self {
        TermKeys::new()
    }
}

impl Keys for TermKeys {
    fn poll(&mut self, timeout: Duration) -> Option<Key> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            // An interruption (a signal, Ctrl-C read as a key) ends every wait for a key as
            // `q` does, so the wizard unwinds from wherever it waits.
            if crate::interrupt::requested().is_some() {
                return Some(QUIT);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let event = match crossterm::event::poll(left) {
                Ok(true) => crossterm::event::read(),
                Ok(false) => return None,
                Err(e) => Err(e),
            };
            let Ok(event) = event else {
                // No terminal to read from: nobody will press a key; wait like a silent user.
                std::thread::sleep(left);
                return None;
            };
            match key_action(&event) {
                KeyAction::Key(key) => return Some(key),
                KeyAction::Interrupt => {
                    crate::interrupt::request(crate::interrupt::Reason::Interrupt);
                    return Some(QUIT);
                }
                KeyAction::Ignore if left.is_zero() => return None,
                KeyAction::Ignore => {}
            }
        }
    }
}

/// The key that ends every wait of the wizard.
const QUIT: Key = Key::Char('q');

/// What a terminal event means to the wizard.
#[derive(Debug, PartialEq, Eq)]
enum KeyAction {
    Key(Key),
    /// Ctrl-C: in raw mode it arrives as a key, not as a signal.
    Interrupt,
    /// Releases (Windows reports them), arrows, function keys, resizes, pastes.
    Ignore,
}

fn key_action(event: &crossterm::event::Event) -> KeyAction {
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers};
    let Event::Key(key) = event else {
        return KeyAction::Ignore;
    };
    if key.kind == KeyEventKind::Release {
        return KeyAction::Ignore;
    }
    let control = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('c') if control => KeyAction::Interrupt,
        // A line feed in raw mode on Unix reads as Ctrl-J.
        KeyCode::Enter => KeyAction::Key(Key::Enter),
        KeyCode::Char('j') if control => KeyAction::Key(Key::Enter),
        // The case stays: a pasted address is typed through here ([`Key::command`] folds it).
        KeyCode::Char(c) if !control && !key.modifiers.contains(KeyModifiers::ALT) => {
            KeyAction::Key(Key::Char(c))
        }
        _ => KeyAction::Ignore,
    }
}

/// crossterm's raw mode (no echo, no line editing, Ctrl-C as a key), left on drop.
struct RawMode;

impl RawMode {
    fn enter() -> RawMode {
        // On a panic, [`install_panic_hook`]'s hook leaves raw mode.
        // Without a terminal keys cannot be read; `poll` then waits out its timeout.
        if crossterm::terminal::enable_raw_mode().is_ok() {
            keep_output_processing();
        }
        RawMode
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Raw mode on Unix also stops turning "\n" into "\r\n", which would make a staircase of the
/// lines printed while the wizard waits (notes, the spinner making way). Input stays raw; the
/// terminal's own settings come back whole when raw mode ends.
#[cfg(unix)]
fn keep_output_processing() {
    use std::io::IsTerminal;
    use std::os::fd::AsRawFd;
    // The terminal crossterm put in raw mode: stdin's, or the controlling one.
    let tty = match std::io::stdin().is_terminal() {
        true => None,
        false => std::fs::File::options().write(true).open("/dev/tty").ok(),
    };
    let fd = tty.as_ref().map_or(0, |tty| tty.as_raw_fd());
    // SAFETY: tcgetattr/tcsetattr on an open descriptor with a termios they filled in.
    unsafe {
        let mut termios: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut termios) == 0 {
            termios.c_oflag |= libc::OPOST;
            libc::tcsetattr(fd, libc::TCSANOW, &termios);
        }
    }
}

/// The Windows console keeps processing output in raw mode.
#[cfg(not(unix))]
fn keep_output_processing() {}

/// The system clipboard through arboard. What it copied (the code, the consent link) is taken
/// back when the wizard ends, if the clipboard still holds it: a clipboard manager, or the
/// macOS and Windows clipboards, would otherwise keep it for good.
#[derive(Default)]
pub struct SystemClipboard {
    copied: Option<String>,
}

impl Drop for SystemClipboard {
    fn drop(&mut self) {
        let Some(copied) = self.copied.take() else {
            return;
        };
        let Ok(mut clipboard) = arboard::Clipboard::new() else {
            return;
        };
        // Only onboard's own text: something the user copied since stays.
        if clipboard.get_text().is_ok_and(|now| now == copied) {
            let _ = clipboard.clear();
        }
    }
}

impl Clipboard for SystemClipboard {
    fn copy(&mut self, text: &str, until: Duration) -> std::result::Result<(), String> {
        let copied = self.put(text, until);
        if copied.is_ok() {
            self.copied = Some(text.to_string());
        }
        copied
    }
}

impl SystemClipboard {
    fn put(&mut self, text: &str, until: Duration) -> std::result::Result<(), String> {
        let mut clipboard = arboard::Clipboard::new().map_err(|e| clipboard_reason(&e))?;
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            use arboard::SetExtLinux;
            // X11 and Wayland clipboards are served by their owner: a thread keeps serving the
            // code until it expires (or someone copies something else). An error in the first
            // moments means it never reached the clipboard.
            let (tx, rx) = std::sync::mpsc::channel();
            let text = text.to_string();
            let deadline = std::time::Instant::now() + until;
            std::thread::spawn(move || {
                let result = clipboard.set().wait_until(deadline).text(text);
                let _ = tx.send(result);
            });
            match rx.recv_timeout(Duration::from_millis(250)) {
                Ok(Err(e)) => Err(clipboard_reason(&e)),
                _ => Ok(()),
            }
        }
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        {
            let _ = until;
            clipboard
                .set_text(text.to_string())
                .map_err(|e| clipboard_reason(&e))
        }
    }
}

fn clipboard_reason(error: &arboard::Error) -> String {
    match error {
        arboard::Error::ClipboardNotSupported => "this system has no clipboard".into(),
        // Without a display arboard fails with a connection time-out, not a clearer error.
        _ => "no clipboard could be reached (no display?)".into(),
    }
}

/// A clipboard that is known to be out of reach, and why.
pub struct NoClipboard(pub String);

impl Clipboard for NoClipboard {
    fn copy(&mut self, _: &str, _: Duration) -> std::result::Result<(), String> {
        Err(self.0.clone())
    }
}

/// The user's browser: `$BROWSER` when set (as gh and git do), otherwise the system opener.
pub struct SystemBrowser {
    pub command: Option<String>,
    /// The whole environment `$BROWSER` gets: without the variables that can hold secrets.
    pub environment: Vec<(std::ffi::OsString, std::ffi::OsString)>,
}

impl Browser for SystemBrowser {
    fn open(&mut self, url: &str) -> std::result::Result<(), String> {
        match &self.command {
            Some(command) => std::process::Command::new(command)
                .env_clear()
                .envs(self.environment.iter().map(|(k, v)| (k, v)))
                .arg(url)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .map(drop)
                .map_err(|e| format!("could not run $BROWSER ({command}): {e}")),
            // Ok only means an opener started, not that a browser showed the page: the URL is
            // always printed first.
            None => {
                open::that_detached(url).map_err(|e| format!("no browser could be started: {e}"))
            }
        }
    }
}

/// A browser that is known to be out of reach, and why.
pub struct NoBrowser(pub String);

impl Browser for NoBrowser {
    fn open(&mut self, _: &str) -> std::result::Result<(), String> {
        Err(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

    use super::{Key, KeyAction, key_action};

    fn press(code: KeyCode, modifiers: KeyModifiers) -> Event {
        Event::Key(KeyEvent::new_with_kind(
            code,
            modifiers,
            KeyEventKind::Press,
        ))
    }

    #[test]
    fn each_wizard_key_acts_on_its_press() {
        for c in ['c', 'a', 'n', 'q', 'v', 's', 'r', 'd'] {
            assert_eq!(
                key_action(&press(KeyCode::Char(c), KeyModifiers::NONE)),
                KeyAction::Key(Key::Char(c))
            );
        }
        assert_eq!(
            key_action(&press(KeyCode::Enter, KeyModifiers::NONE)),
            KeyAction::Key(Key::Enter)
        );
        // Caps lock or Shift: the same key.
        assert_eq!(
            key_action(&press(KeyCode::Char('C'), KeyModifiers::SHIFT)),
            KeyAction::Key(Key::Char('C'))
        );
        assert_eq!(Key::Char('C').command(), Key::Char('c'));
        // A line feed from a Unix terminal in raw mode.
        assert_eq!(
            key_action(&press(KeyCode::Char('j'), KeyModifiers::CONTROL)),
            KeyAction::Key(Key::Enter)
        );
    }

    #[test]
    fn a_windows_key_release_does_not_act_twice() {
        let release = Event::Key(KeyEvent::new_with_kind(
            KeyCode::Char('c'),
            KeyModifiers::NONE,
            KeyEventKind::Release,
        ));
        assert_eq!(key_action(&release), KeyAction::Ignore);
        let repeat = Event::Key(KeyEvent::new_with_kind(
            KeyCode::Char('c'),
            KeyModifiers::NONE,
            KeyEventKind::Repeat,
        ));
        assert_eq!(key_action(&repeat), KeyAction::Key(Key::Char('c')));
    }

    #[test]
    fn ctrl_c_interrupts_and_other_keys_are_ignored() {
        assert_eq!(
            key_action(&press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            KeyAction::Interrupt
        );
        for ignored in [
            press(KeyCode::Up, KeyModifiers::NONE),
            press(KeyCode::F(1), KeyModifiers::NONE),
            press(KeyCode::Esc, KeyModifiers::NONE),
            press(KeyCode::Char('x'), KeyModifiers::ALT),
            Event::Resize(80, 24),
            Event::FocusGained,
        ] {
            assert_eq!(key_action(&ignored), KeyAction::Ignore, "{ignored:?}");
        }
    }
}
