//! The reports `validate --all` writes beside its normal output: JUnit XML (`--junit`, one
//! test case per profile, for CI test reporters) and OpenMetrics text (`--metrics`, for node
//! exporter's textfile collector). Each replaces its file atomically, so a collector or a CI
//! step never reads half a report.

use std::fmt::Write as _;
use std::path::Path;

use crate::atomic_file;
use crate::cli::ValidateArgs;
use crate::connection::Checked;
use crate::error::{Error, Kind, Result, SUCCESS};

/// Writes the reports that `args` asks for. Runs after the validations are recorded, so a
/// report that cannot be written loses nothing; its failure is exit 1.
pub fn write(results: &[Checked], args: &ValidateArgs) -> Result<()> {
    if let Some(path) = &args.junit {
        save(path, &junit(results), "JUnit report")?;
    }
    if let Some(path) = &args.metrics {
        save(path, &metrics(results), "metrics file")?;
    }
    Ok(())
}

fn save(path: &Path, text: &str, what: &str) -> Result<()> {
    atomic_file::replace_unlocked(path, text.as_bytes()).map_err(|e| {
        Error::new(
            Kind::Unexpected,
            "report_not_written",
            format!(
                "could not write the {what} {}: {}",
                path.display(),
                e.message
            ),
        )
        .with_hint("give a file in a writable directory; the validations themselves were saved")
    })?;
    // Readable by a collector running as another user: a report holds no secret.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)) {
            tracing::warn!("could not make {} readable: {e}", path.display());
        }
    }
    Ok(())
}

/// JUnit XML: one `testsuite` of one `testcase` per profile; a failing profile's `failure`
/// carries the message as its `message`, the error code as its `type`, and the exit code,
/// AADSTS code and hint in its text.
pub fn junit(results: &[Checked]) -> String {
    let failures = results.iter().filter(|c| !c.valid()).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let counts = format!(
        "tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\"",
        results.len()
    );
    let _ = writeln!(xml, "<testsuites name=\"onboard validate\" {counts}>");
    let _ = writeln!(
        xml,
        "  <testsuite name=\"onboard validate\" {counts} timestamp=\"{}\">",
        jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S")
    );
    for checked in results {
        let name = escape(&checked.profile);
        let account = escape(checked.account.as_deref().unwrap_or("-"));
        let _ = write!(
            xml,
            "    <testcase classname=\"onboard.validate\" name=\"{name}\" time=\"0\">"
        );
        match &checked.error {
            None => {
                let _ = write!(
                    xml,
                    "\n      <system-out>{account}: valid (checked with {})</system-out>\n    ",
                    escape(checked.checked_with)
                );
            }
            Some(error) => {
                let mut detail = format!("exit {}", error.exit_code());
                if let Some(aadsts) = error.aadsts {
                    let _ = write!(detail, "; AADSTS{aadsts}");
                }
                let _ = write!(
                    detail,
                    "; account {}",
                    checked.account.as_deref().unwrap_or("-")
                );
                if let Some(hint) = &error.hint {
                    let _ = write!(detail, "; fix: {hint}");
                }
                let _ = write!(
                    xml,
                    "\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    ",
                    escape(&error.to_string()),
                    escape(&error.code),
                    escape(&detail)
                );
            }
        }
        xml.push_str("</testcase>\n");
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// Text for XML content and attributes: the five special characters escaped, and characters
/// XML 1.0 forbids (most control characters) dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if u32::from(c) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

/// OpenMetrics text: per profile whether it is valid, when it was last refreshed and when it
/// lapses (the last two only where known), then how many profiles ended with each exit code.
/// Ends with `# EOF`.
pub fn metrics(results: &[Checked]) -> String {
    let mut text = String::new();
    let mut family = |name: &str, help: &str, samples: Vec<(String, String)>| {
        let _ = writeln!(text, "# TYPE {name} gauge");
        let _ = writeln!(text, "# HELP {name} {help}");
        for (labels, value) in samples {
            let _ = writeln!(text, "{name}{{{labels}}} {value}");
        }
    };
    let label = |checked: &Checked| format!("profile=\"{}\"", label_value(&checked.profile));
    family(
        "onboard_credential_valid",
        "Whether the profile's credential passed its last validation (1) or not (0).",
        results
            .iter()
            .map(|c| (label(c), u8::from(c.valid()).to_string()))
            .collect(),
    );
    family(
        "onboard_credential_refreshed_timestamp_seconds",
        "When the profile's refresh token was last redeemed, in seconds since the epoch.",
        results
            .iter()
            .filter_map(|c| Some((label(c), c.refreshed_at?.as_second().to_string())))
            .collect(),
    );
    family(
        "onboard_credential_lapses_timestamp_seconds",
        "When the profile's credential lapses unless refreshed, in seconds since the epoch.",
        results
            .iter()
            .filter_map(|c| Some((label(c), c.lapses_at()?.as_second().to_string())))
            .collect(),
    );
    let mut codes: Vec<i32> = std::iter::once(SUCCESS.code)
        .chain(Kind::ALL.iter().map(|k| k.exit_code()))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    family(
        "onboard_validate_profiles",
        "How many profiles the run validated, by the exit code each ended with.",
        codes
            .iter()
            .map(|&code| {
                let count = results
                    .iter()
                    .filter(|c| c.error.as_ref().map_or(0, Error::exit_code) == code)
                    .count();
                (format!("exit_code=\"{code}\""), count.to_string())
            })
            .collect(),
    );
    text.push_str("# EOF\n");
    text
}

/// A label value with `\`, `"` and line breaks escaped, as the exposition formats require.
fn label_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}
