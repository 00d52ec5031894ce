//! Lines laid out for the terminal they are read on: wrapped at word boundaries to its width
//! with their indent kept, key hints kept whole, a status line that fits on one line, and the
//! key hints said in words for accessible mode. Pure text in, text out.

use textwrap::core::display_width;
use textwrap::{Options, WordSeparator, WordSplitter};

/// `text` (one line or several) wrapped to `width` columns at spaces, each line's leading
/// indent kept on its continuation lines (a numbered item's continuation goes under its words).
/// A word wider than the line (a URL, a code) is never broken: it stands on a line of its own,
/// and neither is a command in backticks, which must still run when copied. Colour sequences
/// take no width. `None` (not a terminal): the text as it is.
pub fn wrap(text: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return text.to_owned();
    };
    text.split('\n')
        .map(|line| wrap_line(line, width, None))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `line` wrapped to `width`, its continuation lines indented by `hang` (by default: the
/// line's own indent, and a numbered item's number).
fn wrap_line(line: &str, width: usize, hang: Option<&str>) -> String {
    if display_width(line) <= width {
        return line.to_owned();
    }
    let body = line.trim_start_matches(' ');
    let indent = &line[..line.len() - body.len()];
    let numbered;
    let hang = match hang {
        Some(hang) => hang,
        None => match numbered_item(body) {
            Some(number) => {
                numbered = format!("{indent}{}", " ".repeat(number));
                &numbered
            }
            None => indent,
        },
    };
    let options = Options::new(width)
        .initial_indent(indent)
        .subsequent_indent(hang)
        .break_words(false)
        .word_separator(WordSeparator::AsciiSpace)
        .word_splitter(WordSplitter::NoHyphenation);
    if body.contains(KEPT_SPACE) {
        return textwrap::wrap(body, options).join("\n");
    }
    textwrap::wrap(&keep_code_spans_whole(body), options)
        .join("\n")
        .replace(KEPT_SPACE, " ")
}

/// Stands for a space inside a code span while the line is wrapped: textwrap breaks only at
/// ASCII spaces, and this one is as wide.
const KEPT_SPACE: char = '\u{a0}';

/// `text` with the spaces inside its backtick spans made [`KEPT_SPACE`]s.
fn keep_code_spans_whole(text: &str) -> String {
    let mut inside = false;
    text.chars()
        .map(|c| match c {
            '`' => {
                inside = !inside;
                c
            }
            ' ' if inside => KEPT_SPACE,
            c => c,
        })
        .collect()
}

/// `line` wrapped to `width` as [`wrap`] does, its continuation lines indented by `hang`.
pub fn wrap_hanging(line: &str, width: Option<usize>, hang: &str) -> String {
    match width {
        Some(width) => wrap_line(line, width, Some(hang)),
        None => line.to_owned(),
    }
}

/// The width of a leading "1. " (or "12. "), if the text starts with one.
fn numbered_item(text: &str) -> Option<usize> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && text[digits..].starts_with(". ")).then_some(digits + 2)
}

/// A warning as `warn` prints it ("warning: " first), wrapped: the text without that prefix,
/// its continuation lines indented by two.
pub fn wrap_warning(text: &str, width: Option<usize>) -> String {
    const PREFIX: &str = "warning: ";
    let Some(width) = width else {
        return text.to_owned();
    };
    let wrapped = wrap_line(&format!("{PREFIX}{text}"), width, Some("  "));
    wrapped
        .strip_prefix(PREFIX)
        .map(str::to_owned)
        .unwrap_or(wrapped)
}

/// A status line (a spinner's message) that fits on one line of `width`: parts separated by
/// " · " are dropped from the end until it does; the first part is always kept.
pub fn fit_status(message: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return message.to_owned();
    };
    let mut parts: Vec<&str> = message.split(" · ").collect();
    while parts.len() > 1 && display_width(&parts.join(" · ")) > width {
        parts.pop();
    }
    parts.join(" · ")
}

/// A key the operator may press, and what it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// As printed between brackets (`Enter`, `c`); empty for a hint that is no key (`or paste
    /// the address`).
    pub key: &'static str,
    /// After the key: "[n] new code".
    pub does: String,
    /// In a sentence that starts "Press n": "for a new code".
    pub spoken: String,
    /// Only the demo offers it.
    pub demo: bool,
}

impl Hint {
    pub fn new(key: &'static str, does: impl Into<String>, spoken: impl Into<String>) -> Hint {
        Hint {
            key,
            does: does.into(),
            spoken: spoken.into(),
            demo: false,
        }
    }

    /// A hint of the demo's.
    pub fn demo(mut self) -> Hint {
        self.demo = true;
        self
    }

    /// "[n] new code".
    fn shown(&self) -> String {
        if self.key.is_empty() {
            self.does.clone()
        } else {
            format!("[{}] {}", self.key, self.does)
        }
    }

    /// The hint in words, for a screen reader: "Press n for a new code."
    pub fn said(&self) -> String {
        let demo = if self.demo { "Demo: " } else { "" };
        if self.key.is_empty() {
            return format!("{demo}{}.", capitalised(&self.spoken));
        }
        let press = if self.demo { "press" } else { "Press" };
        format!("{demo}{press} {} {}.", self.key, self.spoken)
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A row of hints after `indent`: on one line when it fits in `width`, otherwise one hint per
/// line, so that no hint is ever split between lines (a hint wider than the terminal by itself
/// wraps on its own, its continuation under its words). "demo: " goes before the first of the
/// demo's hints on a line.
pub fn hint_lines(row: &[Hint], indent: &str, width: Option<usize>) -> Vec<String> {
    let mut line = indent.to_owned();
    let mut demo = false;
    for (i, hint) in row.iter().enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        if hint.demo && !demo {
            line.push_str("demo: ");
        }
        demo = hint.demo;
        line.push_str(&hint.shown());
    }
    let Some(width) = width.filter(|w| display_width(&line) > *w) else {
        return vec![line];
    };
    row.iter()
        .map(|hint| {
            let demo = if hint.demo { "demo: " } else { "" };
            let line = format!("{indent}{demo}{}", hint.shown());
            let under =
                display_width(demo) + hint.key.len() + if hint.key.is_empty() { 0 } else { 3 };
            wrap_line(
                &line,
                width,
                Some(&format!("{indent}{}", " ".repeat(under))),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_in_backticks_is_never_broken() {
        let hint = "hint: to keep it in a file only you can read, run `(umask 077; onboard export > credential.json)` instead";
        let wrapped = wrap(hint, Some(40));
        assert!(
            wrapped
                .lines()
                .any(|line| line.trim() == "`(umask 077; onboard export > credential.json)`"),
            "{wrapped}"
        );
        assert!(!wrapped.contains(KEPT_SPACE), "{wrapped}");
        assert_eq!(
            wrapped.split_whitespace().collect::<Vec<_>>(),
            hint.split_whitespace().collect::<Vec<_>>()
        );
    }

    fn widest(text: &str) -> usize {
        text.lines().map(display_width).max().unwrap_or(0)
    }

    #[test]
    fn lines_wrap_at_spaces_with_their_indent() {
        let line = "  The tenant requires an administrator to approve the registration before anyone can authenticate.";
        let wrapped = wrap(line, Some(60));
        assert!(widest(&wrapped) <= 60, "{wrapped}");
        assert!(
            wrapped
                .lines()
                .all(|l| l.starts_with("  ") && !l.starts_with("   ")),
            "{wrapped}"
        );
        assert!(
            wrapped.contains("authenticate."),
            "a word was cut: {wrapped}"
        );
        assert_eq!(wrapped.replace("\n  ", " "), line);
        // Wide enough, or not a terminal: as it was.
        assert_eq!(wrap(line, Some(200)), line);
        assert_eq!(wrap(line, None), line);
    }

    #[test]
    fn urls_and_codes_are_never_broken_nor_split_at_hyphens() {
        let url = "https://login.microsoftonline.com/contoso-tenant.onmicrosoft.com/oauth2/v2.0/devicecode-complete?otc=ABCD-EFGH";
        let wrapped = wrap(
            &format!("  Open {url} (host: login.microsoftonline.com)"),
            Some(60),
        );
        assert!(
            wrapped.lines().any(|l| l == format!("  {url}")),
            "{wrapped}"
        );
        let code = wrap(
            "  enter the code ABCD-EFGH-IJKL and sign in as the service account",
            Some(30),
        );
        assert!(code.contains("ABCD-EFGH-IJKL"), "{code}");
    }

    #[test]
    fn colour_takes_no_width_and_numbered_items_hang_under_their_words() {
        let styled = format!(
            "  {} {}",
            console::style("Step 1 of 6 ·").cyan().bold(),
            "x ".repeat(30)
        );
        assert!(wrap(&styled, Some(60)).lines().count() == 2);
        let item = wrap(
            "  1. If the page says \"Approval required\", the account enters a reason and clicks",
            Some(40),
        );
        assert!(
            item.lines()
                .skip(1)
                .all(|l| l.starts_with("     ") && !l.starts_with("      ")),
            "{item}"
        );
    }

    #[test]
    fn hints_stay_whole_and_go_one_per_line_when_the_row_does_not_fit() {
        let row = [
            Hint::new(
                "a",
                "the account sees \"Approval required\"",
                "if the account sees \"Approval required\"",
            ),
            Hint::new("n", "new code", "for a new code"),
            Hint::new("q", "quit", "to quit"),
        ];
        assert_eq!(
            hint_lines(&row, "  ", Some(120)),
            ["  [a] the account sees \"Approval required\"  [n] new code  [q] quit"]
        );
        assert_eq!(
            hint_lines(&row, "  ", Some(60)),
            [
                "  [a] the account sees \"Approval required\"",
                "  [n] new code",
                "  [q] quit"
            ]
        );
        let long = [Hint::new(
            "Enter",
            "open https://microsoft.com/devicelogin in your browser now please",
            "",
        )];
        let lines = hint_lines(&long, "  ", Some(40));
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0]
                .lines()
                .skip(1)
                .all(|l| l.starts_with("          ")),
            "{lines:?}"
        );
        let demo = [
            Hint::new("s", "sign in", "to sign in").demo(),
            Hint::new("d", "decline", "to decline").demo(),
        ];
        assert_eq!(
            hint_lines(&demo, "  ", None),
            ["  demo: [s] sign in  [d] decline"]
        );
    }

    #[test]
    fn hints_said_in_words() {
        assert_eq!(Hint::new("q", "quit", "to quit").said(), "Press q to quit.");
        assert_eq!(
            Hint::new("s", "sign in", "to sign in").demo().said(),
            "Demo: press s to sign in."
        );
        assert_eq!(
            Hint::new("", "(or paste the address)", "or paste the address").said(),
            "Or paste the address."
        );
    }

    #[test]
    fn a_status_drops_its_last_parts_to_fit() {
        let status = "Waiting for the reviewer · press Enter once they have approved";
        assert_eq!(fit_status(status, Some(56)), "Waiting for the reviewer");
        assert_eq!(fit_status(status, Some(120)), status);
        assert_eq!(fit_status("Waiting", Some(3)), "Waiting");
    }

    #[test]
    fn a_warning_wraps_after_its_prefix() {
        let text = "the sign-in page is on login.evil.example, which is not Microsoft's: make sure this is expected";
        let wrapped = wrap_warning(text, Some(60));
        let first = wrapped.lines().next().unwrap_or_default();
        assert!(display_width(first) + "warning: ".len() <= 60, "{wrapped}");
        assert!(
            wrapped.lines().skip(1).all(|l| l.starts_with("  ")),
            "{wrapped}"
        );
    }
}
