//! What commands need from a terminal, as small traits, so tests can script them.
//! `term.rs` is the real thing and the only module that touches the terminal, the clipboard
//! or the browser.

pub mod layout;
pub mod term;

use std::borrow::Cow;
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
    /// A line a person must act on (where to sign in), shown even with `--quiet`.
    fn notice(&mut self, line: &str);
    /// The width in columns of the terminal a person reads stderr on; `None` when it is no
    /// terminal (a log, a pipe), where lines are not wrapped.
    fn width(&self) -> Option<usize> {
        None
    }
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
    /// As typed (a pasted address keeps its case).
    Char(char),
}

impl Key {
    /// The key as a command: caps lock or Shift make no difference.
    pub fn command(self) -> Key {
        match self {
            Key::Char(c) => Key::Char(c.to_ascii_lowercase()),
            other => other,
        }
    }
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

/// Text as it may reach a terminal. Servers and invitation links put words in front of the
/// user (error descriptions, Graph messages, tenant names, codes, claims), and a control
/// character among them could move the cursor, rewrite earlier lines, set the window title,
/// hide a warning or reverse what a line says. Every line `term` prints passes through here:
/// C0 controls (except newline and tab), DEL, C1 controls and Unicode bidirectional controls
/// are removed. With `keep_colour`, complete SGR sequences (`ESC [ digits ; m`, the colours
/// and weights `console` writes) stay; every other escape sequence loses its ESC and so
/// shows as harmless text. This is the second net: what servers say has already been made one
/// line without any escape sequence where it was read ([`crate::text`]), so the colours that
/// survive here are onboard's own.
pub fn printable(text: &str, keep_colour: bool) -> Cow<'_, str> {
    if !text.chars().any(is_unprintable) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b'
            && keep_colour
            && let Some(len) = sgr_len(rest)
        {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        if !is_unprintable(c) {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

fn is_unprintable(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        // Bidirectional marks, embeddings, overrides and isolates.
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The length of the SGR sequence `text` starts with, if it starts with one.
fn sgr_len(text: &str) -> Option<usize> {
    let params = text.strip_prefix("\x1b[")?;
    let digits = params
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (params.as_bytes().get(digits) == Some(&b'm')).then_some(2 + digits + 1)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let hostile = "AADSTS1: bad\x1b[2J\x1b]0;pwned\x07\u{9b}31m\r\u{202e}txt.exe\u{7f}";
        assert_eq!(
            printable(hostile, false),
            "AADSTS1: bad[2J]0;pwned31mtxt.exe"
        );
        assert_eq!(
            printable(hostile, true),
            "AADSTS1: bad[2J]0;pwned31mtxt.exe"
        );
        assert_eq!(printable("a\tb\nc", false), "a\tb\nc");
    }

    #[test]
    fn colour_stays_only_when_asked_for() {
        let styled = "\x1b[1m\x1b[33mCODE\x1b[0m";
        assert_eq!(printable(styled, true), styled);
        assert_eq!(printable(styled, false), "[1m[33mCODE[0m");
        // An SGR cut short is not one.
        assert_eq!(printable("\x1b[31", true), "[31");
    }
}
