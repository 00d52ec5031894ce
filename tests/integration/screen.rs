//! What the wizard prints, as a terminal receives it: in 60 columns every line fits (wrapped at
//! spaces, key hints whole), and in accessible mode nothing moves the cursor or repaints.

use expectrl::{Eof, Expect};
use tempfile::TempDir;

use crate::support::pty::Terminal;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A pty session and every byte the program wrote to it, in order.
struct Recorded {
    t: Terminal,
    bytes: Vec<u8>,
}

impl Recorded {
    fn start(args: &[String], env: &[(&str, &str)], columns: u16) -> (Recorded, TempDir) {
        let dir = TempDir::new().unwrap();
        let t = Terminal::start_sized(dir.path(), args, env, columns);
        (
            Recorded {
                t,
                bytes: Vec::new(),
            },
            dir,
        )
    }

    fn expect(&mut self, text: &str) {
        match self.t.session.expect(text) {
            Ok(found) => self.bytes.extend_from_slice(found.as_bytes()),
            Err(e) => panic!(
                "the wizard never showed {text:?}: {e}; it showed: {}",
                self.text().escape_debug()
            ),
        }
    }

    fn send(&mut self, keys: &str) {
        self.t.send(keys);
    }

    /// Reads to the end of the output, then returns the exit code.
    fn finish(mut self) -> (i32, String) {
        if let Ok(found) = self.t.session.expect(Eof) {
            self.bytes.extend_from_slice(found.as_bytes());
        }
        let text = self.text();
        (self.t.exit_code(), text)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// The lines a terminal shows: the text between line feeds and carriage returns, without
/// escape sequences.
fn screen_lines(text: &str) -> Vec<String> {
    let plain = strip_escapes(text);
    plain
        .split(['\n', '\r'])
        .map(|l| l.trim_end().to_owned())
        .collect()
}

/// `text` without CSI sequences (`ESC [ … final`) and other two-byte escapes.
fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        if chars.next_if_eq(&'[').is_some() {
            for c in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

/// The cursor movements and line repaints a screen reader stumbles on: `ESC [ … A/B/C/D/G/H/K/J`
/// and a carriage return that is not the end of a line.
fn cursor_movements(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
            found.push(format!("a bare \\r at byte {i}"));
        }
        if *b == 0x1b && bytes.get(i + 1) == Some(&b'[') {
            let params = bytes[i + 2..]
                .iter()
                .take_while(|b| b.is_ascii_digit() || **b == b';' || **b == b'?')
                .count();
            if let Some(last) = bytes.get(i + 2 + params)
                && b"ABCDGHKJ".contains(last)
            {
                found.push(
                    String::from_utf8_lossy(&bytes[i..=i + 2 + params])
                        .escape_debug()
                        .to_string(),
                );
            }
        }
    }
    found
}

/// In a 60-column terminal the demo, approval detour included, prints no line wider than the
/// terminal that could have been broken at a space: the terminal never cuts a word ("auth" /
/// "enticate") or a key hint ("[q" / "] quit"). A URL or code wider than that stands alone.
#[test]
fn in_60_columns_every_line_of_the_wizard_fits() {
    let (mut t, _dir) =
        Recorded::start(&args(&["invite", "--demo", "--require-approval"]), &[], 60);
    t.expect("Start the sign-in?");
    t.send("y\r");
    t.expect("attempt 1");
    t.expect("[q] quit");
    t.expect("Waiting for sign-in");
    t.send("s");
    t.expect("press [r]");
    t.send("r");
    t.expect("Step 3 of 6");
    t.expect("Waiting for the reviewer");
    t.send("v");
    t.expect("attempt 2");
    t.expect("Waiting for sign-in");
    t.send("s");
    t.expect("Onboarded");
    t.expect("Check later");
    let (code, text) = t.finish();
    assert_eq!(code, 0, "{}", text.escape_debug());
    let lines = screen_lines(&text);
    // Key hints that do not fit as a row are one to a line.
    assert!(lines.iter().any(|l| l == "  [q] quit"), "{lines:#?}");
    assert_fits_60_columns(&lines);
}

/// A decline in 60 columns: the two questions it asks and the error with its hint fit too.
#[test]
fn in_60_columns_the_questions_and_the_error_fit() {
    let (mut t, _dir) = Recorded::start(&args(&["invite", "--demo"]), &[], 60);
    t.expect("Start the sign-in?");
    t.send("y\r");
    t.expect("[q] quit");
    t.expect("Waiting for sign-in");
    t.send("d");
    t.expect("request approval?");
    t.send("n\r");
    t.expect("Try again with a fresh code?");
    t.send("n\r");
    t.expect("hint:");
    let (code, text) = t.finish();
    assert_ne!(code, 0, "{}", text.escape_debug());
    let lines = screen_lines(&text);
    assert!(
        lines.iter().any(|l| l.starts_with("onboard: error:")),
        "{lines:#?}"
    );
    assert_fits_60_columns(&lines);
}

fn assert_fits_60_columns(lines: &[String]) {
    for line in lines {
        if console::measure_text_width(line) > 60 {
            assert!(
                !line.trim_start().contains(' '),
                "a line wider than 60 columns, which the terminal cuts mid-word: {line:?}\n{lines:#?}"
            );
        }
    }
}

/// Accessible mode (the `ACCESSIBLE` convention, or `--accessible`): the demo runs to exit 0
/// with numbered choices and keys said in words, and nothing it prints moves the cursor or
/// repaints a line.
#[test]
fn accessible_mode_runs_the_demo_without_moving_the_cursor() {
    for (extra, env) in [
        (None, [("ACCESSIBLE", "1")]),
        (Some("--accessible"), [("ONBOARD_UNUSED", "")]),
    ] {
        let mut list = vec!["invite", "--demo"];
        list.extend(extra);
        let (mut t, _dir) = Recorded::start(&args(&list), &env, 120);
        t.expect("1. Yes");
        t.expect("Type 1 or 2 and press Enter");
        t.send("1\r");
        t.expect("The code to enter: ");
        t.expect("Press q to quit.");
        t.expect("Demo: press s to sign in as the service account.");
        t.expect("Waiting for sign-in: the code expires in 15 minutes.");
        t.send("s");
        t.expect("Onboarded");
        t.expect("Check later");
        let (code, text) = t.finish();
        assert_eq!(code, 0, "{extra:?} {env:?}: {}", text.escape_debug());
        let moves = cursor_movements(&text);
        assert!(
            moves.is_empty(),
            "{extra:?} {env:?}: cursor movements {moves:?} in {}",
            text.escape_debug()
        );
        assert!(!text.contains('╭') && !text.contains('│'), "a box: {text}");
    }
}

/// The checker finds what a spinner and a repainted prompt print.
#[test]
fn the_cursor_movement_check_finds_repaints() {
    assert_eq!(cursor_movements("a\r\nb\n"), Vec::<String>::new());
    assert_eq!(cursor_movements("  ⠋ wait\r  ⠙ wait").len(), 1);
    assert_eq!(cursor_movements("\x1b[1A\x1b[2K\x1b[1m").len(), 2);
    assert_eq!(strip_escapes("\x1b[1mbold\x1b[0m"), "bold");
}

/// SIGTERM at an accessible-mode question: the prompt itself returns the interruption, so the
/// run unwinds to `main` and ends with 130 at once, well before the watchdog that ends a run
/// blocked in a terminal read (3 s) would.
#[test]
fn sigterm_at_an_accessible_question_unwinds_at_once() {
    let (mut t, dir) = Recorded::start(&args(&["invite", "--demo", "--accessible"]), &[], 120);
    t.expect("Type 1 or 2 and press Enter");
    let pid = t.t.session.get_process().pid().as_raw();
    let started = std::time::Instant::now();
    // SAFETY: kill with a pid this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    t.expect("terminated (SIGTERM)");
    let (code, text) = t.finish();
    let took = started.elapsed();
    assert_eq!(code, 130, "{}", text.escape_debug());
    assert!(
        took < std::time::Duration::from_millis(2500),
        "took {took:?}: the watchdog ended it, the prompt did not unwind"
    );
    assert!(!dir.path().join("profiles.json").exists());
}
