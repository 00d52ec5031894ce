//! Text that servers send (error descriptions, ids, names, codes, instructions), made fit to
//! show before anything else touches it: one line, no escape or control sequence, no
//! bidirectional control, a bounded length. Protocol code applies it where it reads a reply, so
//! whatever onboard styles and prints afterwards holds no sequence of the server's.

use serde::{Deserialize, Deserializer};

/// Descriptions and messages: Entra's longest `error_description` line is about 250 characters.
pub const MAX_TEXT: usize = 300;
/// Correlation, trace and request ids (a GUID is 36), error codes, claims that are ids.
pub const MAX_ID: usize = 100;
/// Names: accounts (a UPN is at most 113 characters at Entra), display names, tenants.
pub const MAX_NAME: usize = 256;
/// Entra's localised device-code instructions.
pub const MAX_MESSAGE: usize = 500;
/// RFC 8628 §6.1 asks for short user codes (Entra's have 9 characters, the RFC's example 9).
pub const MAX_USER_CODE: usize = 32;

/// `text` as one line of printable characters, at most `max` of them:
///
/// - every escape sequence is removed whole (CSI such as SGR colours, conceal and cursor moves;
///   OSC such as window titles and hyperlinks; DCS, SOS, PM, APC; two-character escapes), in
///   its 7-bit (`ESC [`) and 8-bit (`U+009B`) forms, and so is an `ESC` that starts none;
/// - every other control character (C0, DEL, C1) is removed, except that line breaks, tabs and
///   all other Unicode white space (U+2028, U+2029 included) become a space: nothing the server
///   says starts a line of its own;
/// - Unicode bidirectional controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to
///   U+2069) are removed, so a line reads on screen as it is stored;
/// - runs of spaces left by folding are one space, and the ends are trimmed;
/// - past `max` characters the text is cut and ends with `…`.
pub fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut chars = text.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek().copied() {
                Some('[') => {
                    chars.next();
                    skip_csi(&mut chars);
                }
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    chars.next();
                    skip_string(&mut chars);
                }
                // nF escapes (`ESC ( B`): intermediates, then one final character.
                Some(' '..='/') => {
                    while chars.next_if(|c| (' '..='/').contains(c)).is_some() {}
                    chars.next_if(|c| ('0'..='~').contains(c));
                }
                // Two-character escapes (`ESC 7`, `ESC c`, `ESC M`, ...).
                Some('0'..='~') => {
                    chars.next();
                }
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            // Line breaks, tabs and every other Unicode space (U+2028, U+2029, U+0085, ...).
            c if c.is_whitespace() => pending_space = true,
            c if c.is_control() || is_bidi_control(c) => {}
            c => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
    }
    cap(out, max)
}

/// Cuts `text` to `max` characters, the last one `…` when something was cut.
fn cap(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    if max > 0 {
        cut.push('…');
    }
    cut
}

/// Skips a control sequence's parameters, intermediates and final byte (ECMA-48 §5.4); a
/// character that cannot be part of one ends it and is read as text again.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while chars.next_if(|c| ('0'..='?').contains(c)).is_some() {}
    while chars.next_if(|c| (' '..='/').contains(c)).is_some() {}
    chars.next_if(|c| ('@'..='~').contains(c));
}

/// Skips a control string (OSC, DCS, SOS, PM, APC) up to and including its terminator: BEL,
/// `ESC \` or U+009C. An unterminated one runs to the end, as a terminal would swallow it.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

/// Unicode's bidirectional formatting characters: marks, embeddings, overrides and isolates.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A user code as RFC 8628 §6.1 describes them: a short run of letters and digits, perhaps
/// grouped with dashes (`WDJB-MJHT`). ASCII only: anything else would be hard to type, and
/// might look like another character.
pub fn is_user_code(code: &str) -> bool {
    (1..=MAX_USER_CODE).contains(&code.len())
        && code.chars().any(|c| c.is_ascii_alphanumeric())
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A server's space-separated list (scopes), each word made fit to show, empty ones dropped.
pub fn words(list: &str) -> Vec<String> {
    list.split_whitespace()
        .map(|w| one_line(w, MAX_NAME))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Serde: an optional server string through [`one_line`] with [`MAX_TEXT`].
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(|s| one_line(&s, MAX_TEXT)))
}

/// Serde: an optional server id or code through [`one_line`] with [`MAX_ID`].
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(|s| one_line(&s, MAX_ID)))
}

/// Serde: an optional server name through [`one_line`] with [`MAX_NAME`].
pub fn name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(|s| one_line(&s, MAX_NAME)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_go_whole() {
        for (hostile, shown) in [
            ("bad\u{1b}[2Jnow", "badnow"),
            ("a\u{1b}[8mhidden\u{1b}[0m", "ahidden"),
            ("a\u{1b}[38;2;1;2;3mb", "ab"),
            ("title\u{1b}]0;pwned\u{7}x", "titlex"),
            (
                "link\u{1b}]8;;https://evil\u{1b}\\here\u{1b}]8;;\u{1b}\\",
                "linkhere",
            ),
            ("c1\u{9b}31mred", "c1red"),
            ("osc\u{9d}0;t\u{9c}x", "oscx"),
            ("dcs\u{1b}Pq#0\u{1b}\\x", "dcsx"),
            ("charset\u{1b}(Bx", "charsetx"),
            ("save\u{1b}7x", "savex"),
            ("lone\u{1b}", "lone"),
            ("unterminated\u{1b}]0;everything after", "unterminated"),
            ("rtl\u{202e}exe.txt\u{2066}x", "rtlexe.txtx"),
            ("bell\u{7}del\u{7f}nul\u{0}", "belldelnul"),
        ] {
            assert_eq!(one_line(hostile, MAX_TEXT), shown, "{hostile:?}");
        }
    }

    #[test]
    fn line_breaks_fold_into_one_space() {
        assert_eq!(
            one_line("AADSTS1: a\r\nTrace ID: b\n", MAX_TEXT),
            "AADSTS1: a Trace ID: b"
        );
        assert_eq!(one_line("  x \t\u{2028} y\u{85}z  ", MAX_TEXT), "x y z");
        assert_eq!(
            one_line("keeps  inner  spaces", MAX_TEXT),
            "keeps inner spaces"
        );
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(one_line("abcdef", 4), "abc…");
        assert_eq!(one_line("abcd", 4), "abcd");
        assert_eq!(one_line("ab cdef", 4), "ab…");
        assert_eq!(one_line("äöüßé", 3), "äö…");
    }

    #[test]
    fn user_codes_are_short_runs_of_letters_digits_and_dashes() {
        for ok in ["GVNRPQQGE", "WDJB-MJHT", "123-456", "a"] {
            assert!(is_user_code(ok), "{ok}");
        }
        for bad in [
            "",
            "-",
            "ABCD EFGH",
            "ABCD\nTo sign in",
            "ABCD\u{1b}[8m",
            "ÄBCD",
            "ABCD\u{202e}",
            &"A".repeat(MAX_USER_CODE + 1),
        ] {
            assert!(!is_user_code(bad), "{bad:?}");
        }
    }

    proptest! {
        /// What docs/security.md promises of server text, for any string: one line, no control
        /// character (so no escape sequence can start), no bidirectional control, no
        /// whitespace at the ends, at most the cap; and a second pass changes nothing.
        #[test]
        fn any_string_becomes_one_safe_line(text in any::<String>(), max in 1usize..400) {
            let shown = one_line(&text, max);
            prop_assert!(shown.chars().count() <= max);
            for c in shown.chars() {
                prop_assert!(!c.is_control(), "{c:?} in {shown:?}");
                prop_assert!(!is_bidi_control(c), "{c:?} in {shown:?}");
                prop_assert!(!matches!(c, '\u{2028}' | '\u{2029}'), "{c:?} in {shown:?}");
            }
            prop_assert_eq!(shown.trim(), shown.as_str());
            prop_assert!(!shown.contains("  "));
            prop_assert_eq!(one_line(&shown, max), shown);
        }

        /// Strings made of the dangerous parts themselves, which `any::<String>()` rarely
        /// assembles: ESC, CSI, brackets, digits, semicolons, terminators and line breaks.
        #[test]
        fn sequences_of_escape_parts_never_survive(
            parts in prop::collection::vec(
                prop::sample::select(vec![
                    "\u{1b}", "[", "]", "8", "0", ";", "m", "\u{7}", "\\", "\u{9b}", "\u{9c}",
                    "\u{9d}", "\n", "\r", "P", "(", "B", "✓ Onboarded", "x", " ",
                ]),
                0..40,
            )
        ) {
            let shown = one_line(&parts.concat(), MAX_TEXT);
            prop_assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        }
    }
}
