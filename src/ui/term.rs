//! The real terminal, clipboard and browser: stdout for results, stderr for people. The only
//! module that imports dialoguer, indicatif, arboard or open.

use std::io::Write;
use std::time::Duration;

use console::{Term, style};
use dialoguer::theme::ColorfulTheme;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Browser, Clipboard, Key, Keys, Output, Prompter, Spinner};
use crate::error::{Error, Kind, Result};

pub struct TermOutput {
    pub quiet: bool,
}

impl Output for TermOutput {
    fn data(&mut self, line: &str) {
        let mut out = std::io::stdout().lock();
        // A closed pipe (`onboard ... | head -1`) is not worth a panic.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    fn info(&mut self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    fn warn(&mut self, line: &str) {
        eprintln!("{} {line}", style("warning:").yellow().bold());
    }
}

/// The error as the user sees it: one line, then the hint. Nothing when the command has
/// already reported it.
pub fn print_error(error: &Error) {
    if error.reported {
        return;
    }
    eprintln!("{} {error}", style("onboard: error:").red().bold());
    if let Some(hint) = &error.hint {
        eprintln!("  {} {hint}", style("hint:").cyan().bold());
    }
}

/// Colours on or off for stdout and stderr alike.
pub fn set_colors(enabled: bool) {
    console::set_colors_enabled(enabled);
    console::set_colors_enabled_stderr(enabled);
}

/// Ctrl-C: puts the terminal back as it was (echo, line editing, cursor) and says so.
pub fn interrupted() {
    keys::restore();
    let _ = Term::stderr().show_cursor();
    eprintln!();
    print_error(&if crate::interrupt::saved() {
        Error::interrupted_after_save()
    } else {
        Error::interrupted()
    });
}

/// dialoguer prompts on stderr, so stdout stays clean for `--json`.
pub struct TermPrompter;

fn prompt_error(error: dialoguer::Error) -> Error {
    let dialoguer::Error::IO(io) = error;
    if io.kind() == std::io::ErrorKind::Interrupted {
        Error::interrupted()
    } else {
        Error::new(
            Kind::Usage,
            "terminal",
            format!("cannot read the answer: {io}"),
        )
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
        let mut input = dialoguer::Input::<String>::with_theme(&theme)
            .with_prompt(prompt)
            .validate_with(|s: &String| check(s.trim()));
        if let Some(initial) = initial {
            input = input.with_initial_text(initial);
        }
        input
            .interact_text_on(&Term::stderr())
            .map(|s| s.trim().to_string())
            .map_err(prompt_error)
    }

    fn confirm(&mut self, prompt: &str, default: bool) -> Result<bool> {
        dialoguer::Confirm::with_theme(&ColorfulTheme::default())
            .with_prompt(prompt)
            .default(default)
            .wait_for_newline(true)
            .interact_on(&Term::stderr())
            .map_err(prompt_error)
    }
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
        bar.set_message(message.to_string());
    }

    fn hide(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Single key presses from the terminal, without waiting for Enter.
pub struct TermKeys {
    _mode: keys::SingleKeyMode,
    /// Keys typed faster than they are asked for (one read can bring several).
    pending: std::collections::VecDeque<Key>,
}

impl TermKeys {
    pub fn new() -> TermKeys {
        TermKeys {
            _mode: keys::SingleKeyMode::enter(),
            pending: Default::default(),
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
        if self.pending.is_empty() {
            self.pending.extend(keys::read(timeout));
        }
        self.pending.pop_front()
    }
}

#[cfg(unix)]
mod keys {
    //! Non-canonical, no-echo input on a Unix terminal, restored on drop and on Ctrl-C.
    //! Ctrl-C still raises SIGINT (ISIG stays on), which the interrupt handler turns into
    //! exit 130.

    use std::sync::Mutex;
    use std::time::Duration;

    use super::Key;

    static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);

    pub struct SingleKeyMode;

    impl SingleKeyMode {
        pub fn enter() -> SingleKeyMode {
            // SAFETY: tcgetattr/tcsetattr on fd 0 with a valid termios; failure leaves the
            // terminal as it was and keys then arrive line by line.
            unsafe {
                let mut termios: libc::termios = std::mem::zeroed();
                if libc::isatty(0) == 1 && libc::tcgetattr(0, &mut termios) == 0 {
                    if let Ok(mut saved) = SAVED.lock() {
                        saved.get_or_insert(termios);
                    }
                    let mut single = termios;
                    single.c_lflag &= !(libc::ICANON | libc::ECHO);
                    single.c_cc[libc::VMIN] = 1;
                    single.c_cc[libc::VTIME] = 0;
                    libc::tcsetattr(0, libc::TCSANOW, &single);
                }
            }
            SingleKeyMode
        }
    }

    impl Drop for SingleKeyMode {
        fn drop(&mut self) {
            restore();
        }
    }

    pub fn restore() {
        if let Ok(mut saved) = SAVED.lock()
            && let Some(termios) = saved.take()
        {
            // SAFETY: restores the attributes read from the same fd.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &termios);
            }
        }
    }

    /// The keys typed within `timeout` (none when nothing was typed).
    pub fn read(timeout: Duration) -> Vec<Key> {
        let mut fds = libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd; read into a local buffer of the given size.
        unsafe {
            if libc::poll(&mut fds, 1, millis) != 1 || fds.revents & libc::POLLIN == 0 {
                return Vec::new();
            }
            let mut buf = [0u8; 64];
            let n = libc::read(0, buf.as_mut_ptr().cast(), buf.len());
            let Ok(n) = usize::try_from(n) else {
                return Vec::new();
            };
            if n == 0 {
                // End of input: nobody will press a key; wait like a silent user would.
                std::thread::sleep(timeout);
                return Vec::new();
            }
            // An escape sequence (arrow keys) means nothing here: drop it whole.
            let typed = &buf[..n];
            let typed = &typed[..typed.iter().position(|b| *b == 0x1b).unwrap_or(n)];
            typed
                .iter()
                .map(|b| match b {
                    b'\r' | b'\n' => Key::Enter,
                    b => Key::Char((*b as char).to_ascii_lowercase()),
                })
                .collect()
        }
    }
}

#[cfg(not(unix))]
mod keys {
    //! Elsewhere keys arrive a line at a time: a letter and Enter, or Enter alone.

    use std::sync::mpsc::{Receiver, channel};
    use std::sync::{Mutex, OnceLock};
    use std::time::Duration;

    use super::Key;

    pub struct SingleKeyMode;

    impl SingleKeyMode {
        pub fn enter() -> SingleKeyMode {
            SingleKeyMode
        }
    }

    pub fn restore() {}

    fn lines() -> &'static Mutex<Receiver<String>> {
        static LINES: OnceLock<Mutex<Receiver<String>>> = OnceLock::new();
        LINES.get_or_init(|| {
            let (tx, rx) = channel();
            std::thread::spawn(move || {
                let mut line = String::new();
                while std::io::stdin().read_line(&mut line).unwrap_or(0) > 0 {
                    if tx.send(std::mem::take(&mut line)).is_err() {
                        break;
                    }
                }
            });
            Mutex::new(rx)
        })
    }

    pub fn read(timeout: Duration) -> Vec<Key> {
        let Some(line) = lines()
            .lock()
            .ok()
            .and_then(|l| l.recv_timeout(timeout).ok())
        else {
            return Vec::new();
        };
        vec![match line.trim().chars().next() {
            Some(c) => Key::Char(c.to_ascii_lowercase()),
            None => Key::Enter,
        }]
    }
}

/// The system clipboard through arboard.
pub struct SystemClipboard;

impl Clipboard for SystemClipboard {
    fn copy(&mut self, text: &str, until: Duration) -> std::result::Result<(), String> {
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
        // Without a display arboard fails with a connection time-out (stack.md).
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
}

impl Browser for SystemBrowser {
    fn open(&mut self, url: &str) -> std::result::Result<(), String> {
        match &self.command {
            Some(command) => std::process::Command::new(command)
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
