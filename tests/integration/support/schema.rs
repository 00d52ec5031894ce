//! Every JSON value a test reads from onboard's stdout is checked against the published schema
//! of that output (`docs/schema/`, the committed file a user's script would use), so a field
//! that goes missing or changes type fails the test that read it.

use std::path::Path;
use std::sync::OnceLock;

pub use onboard::output::JsonOutput;
use serde_json::Value;
use strum::VariantArray;

/// The committed schemas, compiled once, in the order of `JsonOutput::VARIANTS`.
fn validators() -> &'static [jsonschema::Validator] {
    static VALIDATORS: OnceLock<Vec<jsonschema::Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        JsonOutput::VARIANTS
            .iter()
            .map(|output| {
                let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(onboard::generate::SCHEMA_DIR)
                    .join(output.file_name());
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let schema: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                // Formats too: a timestamp that is not RFC 3339 fails.
                jsonschema::options()
                    .should_validate_formats(true)
                    .should_ignore_unknown_formats(true)
                    .build(&schema)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            })
            .collect()
    })
}

/// `value`, after checking it against the schema of `output`; fails the test with every
/// mismatch otherwise.
pub fn checked(value: Value, output: JsonOutput) -> Value {
    let problems = problems(&value, output);
    assert!(
        problems.is_empty(),
        "{output:?} output does not match {}/{}:\n{}\n{value}",
        onboard::generate::SCHEMA_DIR,
        output.file_name(),
        problems.join("\n")
    );
    value
}

/// What the schema of `output` finds wrong with `value`, one line each.
pub fn problems(value: &Value, output: JsonOutput) -> Vec<String> {
    let at = JsonOutput::VARIANTS
        .iter()
        .position(|o| *o == output)
        .expect("every output has a schema");
    validators()[at]
        .iter_errors(value)
        .map(|e| format!("{e} (at {})", e.instance_path()))
        .collect()
}

/// `text` parsed as JSON and checked against the schema of `output`.
pub fn parsed(text: &str, output: JsonOutput) -> Value {
    let value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{output:?} output is not JSON ({e}): {text}"));
    checked(value, output)
}

/// The output `onboard ARGS --json` prints: named by the command, the first word that is not a
/// flag; `validate --all` prints the summary.
pub fn output_of(args: &[&str]) -> JsonOutput {
    let command = args.iter().find(|a| !a.starts_with('-')).copied();
    match command {
        Some("validate") if args.contains(&"--all") => JsonOutput::ValidateAll,
        Some("validate") => JsonOutput::Validate,
        Some("list") => JsonOutput::List,
        Some("doctor") => JsonOutput::Doctor,
        Some("permissions") => JsonOutput::Permissions,
        Some("consent-url") => JsonOutput::ConsentUrl,
        Some("export") => JsonOutput::Export,
        Some("simulate") => JsonOutput::Simulate,
        Some("invite") => JsonOutput::InviteEvents,
        other => panic!("no JSON output is known for {other:?}"),
    }
}
