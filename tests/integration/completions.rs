//! `onboard completions SHELL` and the committed scripts: bash completes commands, flags and
//! saved profile names; zsh and fish accept the scripts and complete commands or profile names.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::cargo_bin;
use clap::ValueEnum;
use clap_complete::{Generator, Shell};

use crate::support::OutputWithin;
use crate::support::onboard;

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(name)
}

/// PATH with the built `onboard` first, as the scripts call it by name.
fn path_with_onboard() -> String {
    let bin = cargo_bin("onboard");
    let dir = bin.parent().unwrap().display().to_string();
    format!("{dir}:{}", std::env::var("PATH").unwrap_or_default())
}

/// A config dir whose profiles.json holds `names`.
fn config_dir_with(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let profiles: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .map(|name| {
            (
                name.to_string(),
                serde_json::json!({
                    "authority": "https://login.microsoftonline.com/contoso.com/v2.0",
                    "tenant": "contoso.com",
                    "client_id": "11111111-2222-3333-4444-555555555555",
                    "store": "file",
                    "created_at": "2026-01-01T00:00:00Z"
                }),
            )
        })
        .collect();
    std::fs::write(
        dir.path().join("profiles.json"),
        serde_json::json!({"version": 1, "profiles": profiles}).to_string(),
    )
    .unwrap();
    dir
}

/// What bash completes for `words` (the last one is being completed), through the function the
/// sourced script registered for `onboard`.
fn bash_complete(words: &[&str], config_dir: Option<&Path>) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        r#"source '{}'
func=$(complete -p onboard | sed -E 's/.* -F ([^ ]+) .*/\1/')
COMP_WORDS=({})
COMP_CWORD={}
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
"$func" onboard "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script("onboard.bash").display(),
        quoted.join(" "),
        words.len() - 1
    );
    let mut command = Command::new("bash");
    command
        .args(["--norc", "--noprofile", "-c", &program])
        .env("PATH", path_with_onboard())
        .env_remove("ONBOARD_CONFIG_DIR")
        .env_remove("ONBOARD_PROFILE");
    if let Some(dir) = config_dir {
        command.env("ONBOARD_CONFIG_DIR", dir);
    }
    let out = command.output_within().unwrap();
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_a_command_from_its_first_letters() {
    assert_eq!(bash_complete(&["onboard", "inv"], None), ["invite"]);
}

#[test]
fn bash_completes_the_flags_of_validate() {
    let flags = bash_complete(&["onboard", "validate", "--"], None);
    for flag in ["--require-scope", "--json", "--profile", "--config-dir"] {
        assert!(flags.iter().any(|f| f == flag), "{flag} in {flags:?}");
    }
    assert!(flags.iter().all(|f| f.starts_with("--")), "{flags:?}");
}

#[test]
fn bash_does_not_offer_the_hidden_profile_names_command() {
    let commands = bash_complete(&["onboard", ""], None);
    assert!(commands.iter().any(|c| c == "validate"), "{commands:?}");
    assert!(
        !commands.iter().any(|c| c.starts_with("__")),
        "{commands:?}"
    );
}

#[test]
fn bash_completes_saved_profile_names_after_profile() {
    let dir = config_dir_with(&["contoso.com", "fabrikam.com", "contoso.dev"]);
    let mut names = bash_complete(
        &["onboard", "validate", "--profile", "cont"],
        Some(dir.path()),
    );
    names.sort();
    assert_eq!(names, ["contoso.com", "contoso.dev"]);
    let names = bash_complete(&["onboard", "-p", ""], Some(dir.path()));
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn profile_names_command_lists_profiles_json_only() {
    let dir = config_dir_with(&["b.example", "a.example"]);
    let out = onboard()
        .arg("__profiles")
        .env("ONBOARD_CONFIG_DIR", dir.path())
        .output_within()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "a.example\nb.example\n"
    );
    let empty = tempfile::tempdir().unwrap();
    let out = onboard()
        .args(["__profiles", "--config-dir"])
        .arg(empty.path())
        .output_within()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
}

/// Fails the test unless `shell -n` accepts the committed script `name`.
fn assert_shell_accepts(shell: &str, name: &str) {
    let out = Command::new(shell)
        .arg("-n")
        .arg(script(name))
        .output_within()
        .unwrap_or_else(|e| panic!("{shell} is installed (scripts/install-test-deps.sh): {e}"));
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
}

#[test]
fn zsh_accepts_its_script() {
    assert_shell_accepts("zsh", "_onboard");
}

/// What zsh's completion makes of the command line `line` after one Tab: the committed `_onboard`
/// on `fpath`, compinit, and an interactive zsh in a pseudo-terminal (`zpty`) that has a key
/// run `complete-word` and write the resulting line to a file.
fn zsh_complete(line: &str, config_dir: Option<&Path>) -> String {
    const PROBE: &str = r#"zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "fpath=(${(q)COMPDIR} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'probe() { zle complete-word; print -r -- "[$BUFFER]" > $OUT; }; zle -N probe; bindkey "^T" probe'
zpty -w -n z "$LINE"$'\x14'
for i in {1..1200}; do [[ -s $OUT ]] && break; sleep 0.1; done
zpty -d z
cat $OUT
"#;
    let work = tempfile::tempdir().unwrap();
    let out_file = work.path().join("line");
    let mut command = Command::new("zsh");
    command
        .args(["-f", "-c", PROBE])
        .env("COMPDIR", script(""))
        .env("LINE", line)
        .env("OUT", &out_file)
        .env("PATH", path_with_onboard())
        .env_remove("ONBOARD_CONFIG_DIR")
        .env_remove("ONBOARD_PROFILE");
    if let Some(dir) = config_dir {
        command.env("ONBOARD_CONFIG_DIR", dir);
    }
    let out = command
        .output_within()
        .expect("zsh is installed (scripts/install-test-deps.sh)");
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or_else(|| panic!("no completed line from zsh: {text:?}"))
        .to_owned()
}

#[test]
fn zsh_completes_a_command_from_its_first_letters() {
    assert_eq!(zsh_complete("onboard inv", None), "onboard invite ");
}

#[test]
fn zsh_completes_saved_profile_names_after_profile() {
    let dir = config_dir_with(&["contoso.com", "fabrikam.com"]);
    assert_eq!(
        zsh_complete("onboard validate --profile fab", Some(dir.path())),
        "onboard validate --profile fabrikam.com "
    );
}

#[test]
fn fish_accepts_its_script_and_completes_profile_names() {
    assert_shell_accepts("fish", "onboard.fish");
    let dir = config_dir_with(&["contoso.com", "fabrikam.com"]);
    let out = Command::new("fish")
        .args(["--no-config", "-c"])
        .arg(format!(
            "source '{}'; complete -C 'onboard validate --profile fab'",
            script("onboard.fish").display()
        ))
        .env("PATH", path_with_onboard())
        .env("ONBOARD_CONFIG_DIR", dir.path())
        .output_within()
        .unwrap();
    let candidates = String::from_utf8_lossy(&out.stdout);
    assert_eq!(candidates.trim(), "fabrikam.com", "{candidates}");
}

#[test]
fn completions_command_prints_the_committed_scripts() {
    for &shell in Shell::value_variants() {
        let out = onboard()
            .args(["completions", &shell.to_string()])
            .output_within()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        assert_eq!(
            out.stdout,
            onboard::generate::completion(shell),
            "onboard completions {shell}"
        );
        assert_eq!(
            std::fs::read(script(&shell.file_name("onboard"))).unwrap(),
            out.stdout,
            "completions/{} (run `ONBOARD_BLESS=1 cargo test generated`)",
            shell.file_name("onboard")
        );
    }
}
