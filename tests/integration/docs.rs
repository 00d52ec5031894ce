//! The documentation's promises: the CI snippets in docs/ci/ run as written against the simulated
//! tenant (with `ONBOARD_CREDENTIAL` as `onboard export` prints it for a profile signed in
//! through it), docs/ci.md includes them verbatim, and README's test command is what CI runs.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::cargo_bin;
use serde_json::{Value, json};

use crate::support::OutputWithin;
use crate::support::onboarded::{onboard_at, onboard_profile, run};
use crate::support::sim::TestSim;

const CI_SNIPPETS: &[&str] = &["docs/ci/github-actions.yml", "docs/ci/azure-pipelines.yml"];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A CI step that runs onboard: its shell script and its `env:` mapping.
struct Step {
    script: String,
    env: serde_json::Map<String, Value>,
}

/// Every mapping with a `run:` (GitHub Actions) or `script:` (Azure Pipelines) whose script has a
/// line that starts with `onboard `.
fn onboard_steps(node: &Value, out: &mut Vec<Step>) {
    match node {
        Value::Object(map) => {
            for key in ["run", "script"] {
                if let Some(Value::String(script)) = map.get(key)
                    && onboard_lines(script).next().is_some()
                {
                    let env = map
                        .get("env")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    out.push(Step {
                        script: script.clone(),
                        env,
                    });
                }
            }
            map.values().for_each(|v| onboard_steps(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| onboard_steps(v, out)),
        _ => {}
    }
}

fn onboard_lines(script: &str) -> impl Iterator<Item = &str> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("onboard "))
}

fn steps_of(path: &str) -> Vec<Step> {
    let document: Value = serde_norway::from_str(&read(path))
        .unwrap_or_else(|e| panic!("{path} is not YAML a CI service reads: {e}"));
    let mut steps = Vec::new();
    onboard_steps(&document, &mut steps);
    assert!(!steps.is_empty(), "{path} runs no onboard command");
    steps
}

/// What `onboard export` prints for the profile: the value of the CI secret.
fn exported(config_dir: &Path, profile: &str) -> String {
    let mut command = onboard_at(config_dir);
    command.args(["--profile", profile, "export"]);
    let run = run(command);
    assert_eq!(run.code, Some(0), "export: {}", run.describe());
    run.stdout
}

/// Runs a step's script as the CI service would (bash, in a fresh directory), with the secret.
fn run_step(step: &Step, credential: &str) -> (i32, String, PathBuf) {
    let work = tempfile::tempdir().unwrap().keep();
    let empty_config = work.join("config");
    let bin_dir = cargo_bin("onboard").parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-e", "-c", &step.script])
        .current_dir(&work)
        .env("PATH", path)
        .env("ONBOARD_CREDENTIAL", credential)
        .env("ONBOARD_CONFIG_DIR", &empty_config)
        .env("NO_COLOR", "1")
        .env_remove("ONBOARD_PROFILE")
        .env_remove("ONBOARD_STORE")
        .output_within()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text, work)
}

#[test]
fn ci_snippets_validate_against_the_simulated_tenant_and_report_exit_codes() {
    let sim = TestSim::start();
    let config = tempfile::tempdir().unwrap();
    let profile = onboard_profile(&sim, config.path());
    let credential = exported(config.path(), &profile);
    for path in CI_SNIPPETS {
        for step in steps_of(path) {
            assert!(
                step.env.contains_key("ONBOARD_CREDENTIAL"),
                "{path}: a step runs onboard without mapping the ONBOARD_CREDENTIAL secret"
            );
            let (code, output, work) = run_step(&step, &credential);
            assert_eq!(code, 0, "{path}:\n{}\n{output}", step.script);
            assert!(output.contains("The connection works."), "{path}: {output}");
            let all: Value = serde_json::from_str(
                &std::fs::read_to_string(work.join("validation.json")).unwrap(),
            )
            .unwrap();
            let result = &all["results"][0];
            assert_eq!(result["valid"], true, "{path}: {all}");
            assert_eq!(result["profile"], profile.as_str(), "{path}: {all}");
            // The reports beside it: the profile's test case, its metric.
            let junit = std::fs::read_to_string(work.join("onboard-junit.xml")).unwrap();
            assert!(junit.contains(&format!("name=\"{profile}\"")), "{junit}");
            let metrics = std::fs::read_to_string(work.join("onboard.prom")).unwrap();
            let valid = format!("onboard_credential_valid{{profile=\"{profile}\"}} 1");
            assert!(metrics.lines().any(|l| l == valid), "{metrics}");
            let _ = std::fs::remove_dir_all(work);
        }
    }

    // Revoked: the same steps fail with exit 4 and tell the reader to sign in again.
    let (status, answer) = sim.control("/revoke", json!({}));
    assert_eq!(status, 200, "{answer}");
    for path in CI_SNIPPETS {
        for step in steps_of(path) {
            let (code, output, work) = run_step(&step, &credential);
            assert_eq!(code, 4, "{path}:\n{output}");
            assert!(output.contains("must sign in again"), "{path}: {output}");
            let _ = std::fs::remove_dir_all(work);
        }
    }
}

/// The fleet's recipe needs a team vault, which the snippets' test does not start: its steps
/// are checked by `vault::four_shards_at_once_validate_every_profile_exactly_once_and_lose_nothing`,
/// and here it must be YAML, in docs/ci.md, and shard as its matrix says.
const FLEET_SNIPPET: &str = "docs/ci/github-actions-fleet.yml";

#[test]
fn the_fleet_recipe_shards_over_its_matrix() {
    let document: Value = serde_norway::from_str(&read(FLEET_SNIPPET)).unwrap();
    let job = &document["jobs"]["validate"];
    let shards = job["strategy"]["matrix"]["shard"].as_array().unwrap();
    let n = shards.len();
    assert_eq!(shards, &(1..=n).map(|k| json!(k)).collect::<Vec<_>>());
    let mut steps = Vec::new();
    onboard_steps(job, &mut steps);
    assert_eq!(steps.len(), 1);
    assert!(
        steps[0]
            .script
            .contains(&format!("--shard ${{{{ matrix.shard }}}}/{n}")),
        "{}",
        steps[0].script
    );
}

/// The page the CI recipes are shown on.
const CI_PAGE: &str = "docs/ci.md";

#[test]
fn the_ci_page_includes_the_ci_snippets_verbatim() {
    let page = read(CI_PAGE);
    for path in CI_SNIPPETS.iter().chain([&FLEET_SNIPPET]) {
        let block = format!("```yaml\n{}```\n", read(path));
        assert!(
            page.contains(&block),
            "{CI_PAGE} does not include {path} verbatim in a ```yaml block"
        );
    }
}

/// The command `.ci/run` hands over to, e.g. `bash scripts/test.sh`.
fn ci_test_command() -> String {
    let run = read(".ci/run");
    run.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("exec "))
        .expect(".ci/run execs the test command")
        .trim()
        .to_owned()
}
/// The lines of the first fenced code block, without trailing `# comments`.
fn first_code_block(markdown: &str) -> Vec<String> {
    markdown
        .lines()
        .skip_while(|l| !l.starts_with("```"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .map(|l| l.split(" #").next().unwrap_or(l).trim().to_owned())
        .collect()
}

#[test]
fn the_readme_starts_with_the_command_ci_runs() {
    let command = ci_test_command();
    let block = first_code_block(&read("README.md"));
    assert!(
        block.contains(&command),
        "README.md's first code block {block:?} lacks `{command}`, which .ci/run runs"
    );
    assert!(
        block
            .iter()
            .any(|l| l == "cargo run --release -- invite --demo"),
        "README.md's first code block {block:?} lacks the demo"
    );
}

/// The words match the code: Microsoft's device code page lists `/common` and `/consumers` as
/// valid tenants, so the docs give onboard's own reason for refusing them (not AADSTS90133);
/// and they say that a Conditional Access block of device code (AADSTS53003) also stops the
/// refreshes of tokens a device-code sign-in gave (protocol tracking).
#[test]
fn the_docs_give_onboards_reason_for_reserved_tenants_and_say_53003_stops_refreshes() {
    for path in ["docs/troubleshooting.md", "docs/protocol.md"] {
        let text = read(path).split_whitespace().collect::<Vec<_>>().join(" ");
        let sentences: Vec<&str> = text.split(". ").collect();
        let refusing: Vec<&&str> = sentences
            .iter()
            .filter(|s| s.contains("refuses") && s.contains("`/consumers`"))
            .collect();
        assert!(
            !refusing.is_empty(),
            "{path} does not say onboard refuses /consumers"
        );
        for sentence in refusing {
            assert!(
                sentence.contains("one customer's tenant") && !sentence.contains("because of"),
                "{path}: {sentence}"
            );
        }
        assert!(
            sentences
                .iter()
                .any(|s| s.contains("AADSTS53003") && s.contains("refreshes")),
            "{path} does not say that AADSTS53003 also stops refreshes"
        );
        assert!(text.contains("protocol tracking"), "{path}");
    }
}
