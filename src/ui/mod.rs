//! What commands need from a terminal, as small traits, so tests can script them.
//! `term.rs` is the real thing and the only module that touches the terminal, the clipboard
//! or the browser.

pub mod term;

use std::time::Duration;

use crate::error::Result;

/// Where a command's words go. `data` is stdout (results, JSON); the rest is stderr.
pub trait Output: Send {
    /// A line of the command's result on stdout.
    fn data(&mut self, line: &str);
    /// Progress and explanations for a person; hidden by `--quiet`.
    fn info(&mut self, line: &str);
    /// Something the user should know even with `--quiet`.
    fn warn(&mut self, line: &str);
}

/// Questions with typed answers.
pub trait Prompter: Send {
    /// Asks until `check` accepts the answer.
    fn input(
        &mut self,
        prompt: &str,
        initial: Option<&str>,
        check: &(dyn Fn(&str) -> std::result::Result<(), String> + Sync),
    ) -> Result<String>;
    fn confirm(&mut self, prompt: &str, default: bool) -> Result<bool>;
}

/// A single key pressed while something else goes on (a spinner, a wait).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Enter,
    Char(char),
}

pub trait Keys: Send {
    /// Waits up to `timeout` for a key; `None` when none was pressed.
    fn poll(&mut self, timeout: Duration) -> Option<Key>;
}

/// A spinner line with a message that changes (the countdown).
pub trait Spinner: Send {
    fn show(&mut self, message: &str);
    /// Removes the spinner line, so that ordinary lines can follow.
    fn hide(&mut self);
}

pub trait Clipboard: Send {
    /// Puts `text` on the clipboard and keeps it there until `until` (X11 and Wayland
    /// clipboards die with their owner). `Err` says why not, in words for the user.
    fn copy(&mut self, text: &str, until: Duration) -> std::result::Result<(), String>;
}

pub trait Browser: Send {
    /// `Err` says why no browser was opened, in words for the user.
    fn open(&mut self, url: &str) -> std::result::Result<(), String>;
}
