//! The documentation's promises: the CI snippets in docs/ci/ run as written against the simulated
//! tenant (with `ONBOARD_CREDENTIAL` as `onboard export` prints it for a profile signed in
//! through it), docs/ci.md includes them verbatim, and README's test command is what CI runs.
//! And the docs stay honest: every `onboard` command line in a shell block of README.md and
//! docs/*.md parses with the real command line definition, every repository path they name
//! exists, and every relative link (and its `#anchor`) resolves.

use std::collections::BTreeSet;
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

/// The pages a reader is sent to: README.md, CHANGELOG.md and every page under docs/.
fn pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_owned(), "CHANGELOG.md".to_owned()];
    let mut docs: Vec<String> = std::fs::read_dir(repo("docs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// A fenced code block: its info string (`sh`, `yaml`, or empty), the line number of its first
/// line, and its lines.
struct Block {
    info: String,
    line: usize,
    lines: Vec<String>,
}

/// The fenced code blocks of a page, and its text outside them (blank lines in their place, so
/// that line numbers still hold).
fn blocks_and_prose(markdown: &str) -> (Vec<Block>, Vec<String>) {
    let mut blocks = Vec::new();
    let mut prose = Vec::new();
    let mut open: Option<(String, Block)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match open.take() {
            None if trimmed.starts_with("```") => {
                let indent = line.len() - trimmed.len();
                let info = trimmed.trim_start_matches('`').trim().to_owned();
                let block = Block {
                    info,
                    line: i + 2,
                    lines: Vec::new(),
                };
                open = Some((" ".repeat(indent), block));
                prose.push(String::new());
            }
            None => prose.push(line.to_owned()),
            Some((_, block)) if trimmed.starts_with("```") => {
                blocks.push(block);
                prose.push(String::new());
            }
            Some((indent, mut block)) => {
                block
                    .lines
                    .push(line.strip_prefix(&indent).unwrap_or(line).to_owned());
                open = Some((indent, block));
                prose.push(String::new());
            }
        }
    }
    (blocks, prose)
}

/// The blocks a reader types into a shell.
fn is_shell(block: &Block) -> bool {
    matches!(
        block.info.as_str(),
        "" | "sh" | "bash" | "shell" | "console" | "powershell"
    )
}

/// A shell line cut into words and operators, as a shell would (quotes, backslashes, comments),
/// without expanding anything.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            '#' if !in_word => break,
            c if c.is_whitespace() || "|;&<>()".contains(c) => {
                // `2>` is one redirection, not the word `2` and an operator.
                let fd = in_word
                    && "<>".contains(c)
                    && !word.is_empty()
                    && word.chars().all(|d| d.is_ascii_digit());
                let mut op = if fd {
                    in_word = false;
                    std::mem::take(&mut word)
                } else {
                    String::new()
                };
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                if !c.is_whitespace() {
                    op.push(c);
                    while let Some(&next) = chars.peek() {
                        if "|&<>".contains(next) {
                            op.push(next);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    // `>&1`, `2>&-`: the descriptor is part of the redirection.
                    if op.ends_with('&') && op.contains(['<', '>']) {
                        while let Some(&next) = chars.peek() {
                            if next.is_ascii_digit() || next == '-' {
                                op.push(next);
                                chars.next();
                            } else {
                                break;
                            }
                        }
                    }
                    words.push(op);
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The `onboard` invocations of a shell line, each as its arguments after the program name:
/// `onboard ARGS` and `cargo run … -- ARGS`, wherever they stand in a pipeline or list, without
/// redirections and their targets.
fn onboard_invocations(line: &str) -> Vec<Vec<String>> {
    let words = shell_words(line);
    let is_redirection = |w: &str| {
        w.contains(['<', '>']) && w.chars().all(|c| c.is_ascii_digit() || "<>&-".contains(c))
    };
    let is_operator = |w: &str| !is_redirection(w) && w.chars().all(|c| "|;&()".contains(c));
    let mut found = Vec::new();
    for command in words.split(|w| is_operator(w)) {
        let mut args = Vec::new();
        let mut skip_target = false;
        for word in command {
            if skip_target {
                skip_target = false;
            } else if is_redirection(word) {
                // `2>&1` names no target; `>`, `>>`, `2>` and `<` take the next word.
                skip_target = !(word.contains('&')
                    && word.ends_with(|c: char| c.is_ascii_digit() || c == '-'));
            } else {
                args.push(word.clone());
            }
        }
        // Leading `NAME=value` assignments belong to the shell.
        let start = args
            .iter()
            .position(|w| !(w.contains('=') && w.starts_with(|c: char| c.is_ascii_uppercase())))
            .unwrap_or(args.len());
        let args = &args[start..];
        match args.first().map(String::as_str) {
            Some("onboard") => found.push(args[1..].to_vec()),
            Some("cargo") if args.get(1).is_some_and(|w| w == "run") => {
                if let Some(dash) = args.iter().position(|w| w == "--") {
                    found.push(args[dash + 1..].to_vec());
                }
            }
            _ => {}
        }
    }
    found
}

/// The inline code spans of a page's prose, as `(line number, text)`; a span may run over a line
/// break, which becomes a space.
fn code_spans(prose: &[String]) -> Vec<(usize, String)> {
    let text = prose.join("\n");
    let mut spans = Vec::new();
    let mut at = 0;
    for (n, part) in text.split('`').enumerate() {
        if n % 2 == 1 {
            let line = text[..at].matches('\n').count() + 1;
            spans.push((line, part.replace('\n', " ")));
        }
        at += part.len() + 1;
    }
    spans
}

/// Whether a command is usage notation rather than a line to type: `[optional]`, `a|b`, `…`,
/// `<key>`, or an upper-case placeholder such as `NAME` or `K/N`.
fn is_synopsis(text: &str, args: &[String]) -> bool {
    text.contains(['[', '|', '…', '<'])
        || args.iter().any(|a| {
            a.chars().any(|c| c.is_ascii_uppercase())
                && a.chars()
                    .all(|c| c.is_ascii_uppercase() || c == '/' || c == '_')
        })
}

/// An `onboard` command line of the docs.
struct Documented {
    line: usize,
    text: String,
    /// The arguments after the program's name.
    args: Vec<String>,
    /// In running text, where `onboard remove` may name a command without its arguments.
    inline: bool,
}

/// Every `onboard` command line in the shell blocks and the inline code of `page` (other than
/// usage notation).
fn documented_commands(page: &str, markdown: &str) -> Vec<Documented> {
    let (blocks, prose) = blocks_and_prose(markdown);
    let mut found = Vec::new();
    for (line, span) in code_spans(&prose) {
        if span.starts_with("onboard ") {
            for args in onboard_invocations(&span) {
                if !is_synopsis(&span, &args) {
                    found.push(Documented {
                        line,
                        text: span.clone(),
                        args,
                        inline: true,
                    });
                }
            }
        }
    }
    for block in blocks.iter().filter(|b| is_shell(b)) {
        let mut joined = String::new();
        let mut first = block.line;
        for (i, line) in block.lines.iter().enumerate() {
            if joined.is_empty() {
                first = block.line + i;
            }
            match line.trim_end().strip_suffix('\\') {
                Some(continued) => {
                    joined.push_str(continued);
                    joined.push(' ');
                }
                None => {
                    joined.push_str(line);
                    let text = std::mem::take(&mut joined);
                    let command = text.trim().trim_start_matches("$ ");
                    for args in onboard_invocations(command) {
                        found.push(Documented {
                            line: first,
                            text: command.to_owned(),
                            args,
                            inline: false,
                        });
                    }
                }
            }
        }
        assert!(
            joined.is_empty(),
            "{page}:{first}: a continued line ends the block"
        );
    }
    found
}

/// Why `onboard ARGS` does not parse, or `None` when it does (a request for help or the
/// version is a parse that ends there). In running text a command may be named without the
/// arguments it requires.
fn parse_problem(args: &[String], inline: bool) -> Option<String> {
    use clap::Parser;
    use clap::error::ErrorKind;
    match onboard::cli::Cli::try_parse_from(
        std::iter::once("onboard").chain(args.iter().map(String::as_str)),
    ) {
        Ok(_) => None,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => None,
        Err(e) if inline && e.kind() == ErrorKind::MissingRequiredArgument => None,
        Err(e) => Some(e.to_string().lines().next().unwrap_or_default().to_owned()),
    }
}

/// The parse problems of every `onboard` command line in these pages, as `page:line: …`.
fn stale_commands(pages: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (page, markdown) in pages {
        for command in documented_commands(page, markdown) {
            if let Some(problem) = parse_problem(&command.args, command.inline) {
                problems.push(format!(
                    "{page}:{}: `{}`: {problem}",
                    command.line, command.text
                ));
            }
        }
    }
    problems
}

fn read_pages() -> Vec<(String, String)> {
    pages()
        .into_iter()
        .map(|p| (read(&p), p))
        .map(|(text, p)| (p, text))
        .collect()
}

#[test]
fn every_onboard_command_in_the_docs_parses() {
    let pages = read_pages();
    let count: usize = pages
        .iter()
        .map(|(page, text)| documented_commands(page, text).len())
        .sum();
    assert!(count >= 10, "only {count} onboard command lines were found");
    let problems = stale_commands(&pages);
    assert!(
        problems.is_empty(),
        "command lines in the docs that onboard refuses:\n{}",
        problems.join("\n")
    );
}

/// The top-level entries of the repository a path in the docs can start with.
const ROOTS: [&str; 8] = [
    "src/",
    "tests/",
    "docs/",
    "scripts/",
    "man/",
    "completions/",
    "fuzz/",
    ".ci/",
];

/// Paths the docs name before they exist, each with the reason.
const NOT_YET: [(&str, &str); 1] = [(
    "docs/release-signers",
    "the maintainers' allowed-signers line comes with the first signed release",
)];

/// The repository paths a page names: code spans and shell words that start with one of
/// [`ROOTS`], or name a file at the top of the repository, as `(line number, path)`.
fn named_paths(markdown: &str) -> Vec<(usize, String)> {
    let (blocks, prose) = blocks_and_prose(markdown);
    let mut candidates: Vec<(usize, String)> = Vec::new();
    candidates.extend(code_spans(&prose));
    for block in blocks.iter().filter(|b| is_shell(b)) {
        for (i, line) in block.lines.iter().enumerate() {
            for word in shell_words(line) {
                candidates.push((block.line + i, word));
            }
        }
    }
    let top_files = ["Cargo.toml", "Cargo.lock", "README.md", "CHANGELOG.md"];
    candidates
        .into_iter()
        .filter_map(|(line, text)| {
            let text = text.trim();
            let path = text.split_whitespace().next()?;
            let path = path.trim_end_matches([',', ':', ')', '.']);
            let rooted = ROOTS.iter().any(|r| path.starts_with(r)) || top_files.contains(&path);
            // A span that is a path and nothing else; `tests/integration/…` stands for many.
            (rooted && path == text.trim_end_matches([',', ':', ')', '.']) && !path.contains('…'))
                .then(|| (line, path.to_owned()))
        })
        .collect()
}

/// Whether a path named in the docs is in the repository: a `*` or a `<placeholder>` stands for
/// any entry of its directory.
fn exists_in_repo(path: &str) -> bool {
    match path.find(['*', '<']) {
        Some(star) => {
            let dir = &path[..path[..star].rfind('/').map_or(0, |slash| slash + 1)];
            repo(dir).is_dir()
        }
        None => repo(path).exists(),
    }
}

#[test]
fn every_repository_path_the_docs_name_exists() {
    let mut missing = Vec::new();
    let mut checked = 0;
    for (page, text) in read_pages() {
        for (line, path) in named_paths(&text) {
            checked += 1;
            if NOT_YET.iter().any(|(p, _)| *p == path) {
                continue;
            }
            if !exists_in_repo(&path) {
                missing.push(format!("{page}:{line}: {path}"));
            }
        }
    }
    assert!(checked >= 50, "only {checked} paths were found");
    assert!(
        missing.is_empty(),
        "paths the docs name that are not in the repository:\n{}",
        missing.join("\n")
    );
    for (path, why) in NOT_YET {
        assert!(
            !repo(path).exists(),
            "{path} exists now ({why}): take it off NOT_YET"
        );
    }
}

/// GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped, spaces
/// as `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a page's headings; a repeated heading gets `-1`, `-2`, … as on GitHub.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let (_, prose) = blocks_and_prose(markdown);
    let mut seen = BTreeSet::new();
    for line in &prose {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let base = anchor(heading.trim_start_matches('#'));
        let mut name = base.clone();
        let mut n = 0;
        while seen.contains(&name) {
            n += 1;
            name = format!("{base}-{n}");
        }
        seen.insert(name);
    }
    seen
}

/// Every `[text](target)` link of a page's prose, as `(line number, target)`.
fn links(markdown: &str) -> Vec<(usize, String)> {
    let (_, prose) = blocks_and_prose(markdown);
    let mut found = Vec::new();
    for (i, line) in prose.iter().enumerate() {
        // Code spans hold no links.
        let text: String = line
            .split('`')
            .enumerate()
            .filter(|(n, _)| n % 2 == 0)
            .map(|(_, part)| part)
            .collect::<Vec<_>>()
            .join(" ");
        for (at, _) in text.match_indices("](") {
            let rest = &text[at + 2..];
            if let Some(end) = rest.find(')') {
                found.push((i + 1, rest[..end].to_owned()));
            }
        }
    }
    found
}

/// Why a link of `page` does not resolve, or `None`.
fn broken_link(page: &str, target: &str) -> Option<String> {
    if target.starts_with("https://")
        || target.starts_with("http://")
        || target.starts_with("mailto:")
    {
        return None;
    }
    let (file, fragment) = match target.split_once('#') {
        Some((file, fragment)) => (file, Some(fragment)),
        None => (target, None),
    };
    let path = if file.is_empty() {
        PathBuf::from(page)
    } else {
        Path::new(page).parent().unwrap_or(Path::new("")).join(file)
    };
    // Resolve `..` without touching the file system, so that a link cannot leave the repository.
    let mut parts: Vec<String> = Vec::new();
    for part in path.components() {
        if part == std::path::Component::ParentDir {
            if parts.pop().is_none() {
                return Some(format!("{target} leaves the repository"));
            }
        } else if let std::path::Component::Normal(p) = part {
            parts.push(p.to_string_lossy().into_owned());
        }
    }
    let relative = parts.join("/");
    if !repo(&relative).exists() {
        return Some(format!("{relative} does not exist"));
    }
    match fragment {
        Some(fragment) if relative.ends_with(".md") => {
            let anchors = anchors(&read(&relative));
            (!anchors.contains(fragment)).then(|| format!("{relative} has no heading #{fragment}"))
        }
        _ => None,
    }
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for (page, text) in read_pages() {
        for (line, target) in links(&text) {
            checked += 1;
            if let Some(why) = broken_link(&page, &target) {
                broken.push(format!("{page}:{line}: ({target}): {why}"));
            }
        }
    }
    assert!(checked >= 40, "only {checked} links were found");
    assert!(
        broken.is_empty(),
        "links in the docs that lead nowhere:\n{}",
        broken.join("\n")
    );
}

/// The checks themselves: a stale flag, a removed file and a link to a heading that is gone are
/// each caught; what is fine passes.
#[test]
fn the_docs_checks_catch_stale_lines() {
    let page = "```sh\n\
        onboard validate --all --json > out.json   # a comment --no-such-flag\n\
        VAR=1 onboard list --lapsing-within 7d | jq . && cargo run --release -- invite --demo\n\
        onboard export --profile 'a b' \\\n  --force 2>&1\n\
        onboard validate --al\n\
        ```\n\
        Run `src/no_such_file.rs` or `scripts/test.sh`; see [here](#nowhere) and [there](#a-heading).\n\
        Then `onboard list --lapsing-within\n7d` or `onboard token [--scope S]`, not `onboard lsit`; `onboard remove` asks.\n\
        ## A heading\n";
    let pages = [("docs/example.md".to_owned(), page.to_owned())];
    let commands = documented_commands("docs/example.md", page);
    assert_eq!(
        commands
            .iter()
            .map(|c| c.args.join(" "))
            .collect::<Vec<_>>(),
        [
            "list --lapsing-within 7d",
            "lsit",
            "remove",
            "validate --all --json",
            "list --lapsing-within 7d",
            "invite --demo",
            "export --profile a b --force",
            "validate --al",
        ]
    );
    let problems = stale_commands(&pages);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with("docs/example.md:10: `onboard lsit`"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("docs/example.md:6: `onboard validate --al`"),
        "{problems:?}"
    );

    let paths: Vec<String> = named_paths(page).into_iter().map(|(_, p)| p).collect();
    assert_eq!(paths, ["src/no_such_file.rs", "scripts/test.sh"]);
    assert!(!exists_in_repo(&paths[0]) && exists_in_repo(&paths[1]));
    assert!(exists_in_repo("man/*.1") && exists_in_repo("src/commands/<command>"));
    assert!(!exists_in_repo("src/no_such_dir/<command>"));

    let targets: Vec<String> = links(page).into_iter().map(|(_, t)| t).collect();
    assert_eq!(targets, ["#nowhere", "#a-heading"]);
    assert_eq!(
        anchor("Keeping a fleet alive (`docs/ci/x.yml`)"),
        "keeping-a-fleet-alive-docscixyml"
    );
    assert!(broken_link("README.md", "docs/guide.md").is_none());
    assert!(broken_link("docs/ci.md", "../README.md#exit-codes").is_none());
    assert!(broken_link("docs/ci.md", "../README.md#no-such-heading").is_some());
    assert!(broken_link("docs/ci.md", "gone.md").is_some());
    assert!(broken_link("README.md", "../outside.md").is_some());
}
