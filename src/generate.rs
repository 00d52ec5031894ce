//! The files generated from the clap definition ([`crate::cli::command`]): the shell completion
//! scripts in `completions/` and the man pages in `man/`. Output is deterministic (no dates), so
//! the committed copies can be compared byte for byte; `onboard completions SHELL` prints the same
//! scripts.
//!
//! Profile names are completed by a few lines added to the bash, zsh and fish scripts that run the
//! hidden `onboard __profiles`. clap_complete's dynamic completion (`CompleteEnv`) would do it for
//! every shell, but it sits behind its `unstable-dynamic` feature, and its scripts are stubs that
//! run the binary on every Tab, which would leave nothing static to ship or check.

use std::path::PathBuf;

use clap::ValueEnum;
use clap_complete::{Generator, Shell};
use clap_mangen::Man;
use roff::{Roff, bold, italic, roman};

/// The binary's name, as the completion scripts register it.
const BIN: &str = "onboard";

/// The hidden command that lists profile names for the completion scripts.
pub const PROFILE_NAMES_COMMAND: &str = "__profiles";

/// Every generated file: its path relative to the repository root, and its content.
pub fn files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = Shell::value_variants()
        .iter()
        .map(|&shell| {
            (
                PathBuf::from("completions").join(shell.file_name(BIN)),
                completion(shell),
            )
        })
        .collect();
    files.extend(man_pages());
    files
}

/// The directories [`files`] writes into; anything else in them is stale.
pub const DIRECTORIES: &[&str] = &["completions", "man"];

/// The completion script for `shell`, with profile-name completion where the shell allows it.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut command = visible(&crate::cli::command());
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, BIN, &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    let flags = profile_flags(&crate::cli::command());
    let script = match shell {
        Shell::Bash => script + &bash_profiles(&flags),
        Shell::Zsh => zsh_profiles(&script, &flags),
        Shell::Fish => script + &fish_profiles(&flags),
        _ => script,
    };
    script.into_bytes()
}

/// `command` without its hidden subcommands and arguments, which clap_complete would offer.
fn visible(command: &clap::Command) -> clap::Command {
    let mut out = clap::Command::new(command.get_name().to_owned())
        .args(
            command
                .get_arguments()
                .filter(|a| !a.is_hide_set())
                .cloned(),
        )
        .groups(command.get_groups().cloned())
        .subcommands(
            command
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(visible),
        )
        .propagate_version(command.is_propagate_version_set());
    if let Some(about) = command.get_about() {
        out = out.about(about.clone());
    }
    if let Some(version) = command.get_version() {
        out = out.version(version.to_owned());
    }
    out
}

/// The flags that take a profile name: every option whose id is `profile`, as (short, long).
fn profile_flags(command: &clap::Command) -> Vec<(Option<char>, String)> {
    let mut flags: Vec<(Option<char>, String)> = command
        .get_arguments()
        .filter(|arg| arg.get_id() == "profile" && !arg.is_positional())
        .filter_map(|arg| Some((arg.get_short(), arg.get_long()?.to_owned())))
        .collect();
    for sub in command.get_subcommands() {
        for flag in profile_flags(sub) {
            if !flags.contains(&flag) {
                flags.push(flag);
            }
        }
    }
    flags
}

/// A wrapper around clap's `_onboard` that completes profile names after the profile flags,
/// registered in its place.
fn bash_profiles(flags: &[(Option<char>, String)]) -> String {
    let patterns: Vec<String> = flags
        .iter()
        .flat_map(|(short, long)| {
            short
                .map(|s| format!("-{s}"))
                .into_iter()
                .chain([format!("--{long}")])
        })
        .collect();
    format!(
        r#"
# Profile names after {patterns_words}: `{BIN} {PROFILE_NAMES_COMMAND}` reads profiles.json only (no
# network, no keyring). Everything else is clap's _{BIN} above.
_{BIN}_with_profiles() {{
    local prev=""
    if [[ ${{COMP_CWORD}} -gt 0 ]]; then
        prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    fi
    case "${{prev}}" in
        {patterns})
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$({BIN} {PROFILE_NAMES_COMMAND} 2>/dev/null)" -- "${{COMP_WORDS[COMP_CWORD]}}"))
            return 0
            ;;
    esac
    _{BIN} "$@"
}}

if [[ "${{BASH_VERSINFO[0]}}" -eq 4 && "${{BASH_VERSINFO[1]}}" -ge 4 || "${{BASH_VERSINFO[0]}}" -gt 4 ]]; then
    complete -F _{BIN}_with_profiles -o nosort -o bashdefault -o default {BIN}
else
    complete -F _{BIN}_with_profiles -o bashdefault -o default {BIN}
fi
"#,
        patterns_words = patterns.join(" and "),
        patterns = patterns.join("|"),
    )
}

/// clap's zsh script with `_default` replaced by a profile-name function on the profile flags'
/// lines, and that function defined before the script's first function.
fn zsh_profiles(script: &str, flags: &[(Option<char>, String)]) -> String {
    let starts: Vec<String> = flags
        .iter()
        .flat_map(|(short, long)| {
            short
                .map(|s| format!("'-{s}+["))
                .into_iter()
                .chain([format!("'--{long}=[")])
        })
        .collect();
    let function = format!(
        "# Profile names: `{BIN} {PROFILE_NAMES_COMMAND}` reads profiles.json only (no network, no keyring).
_{BIN}_profiles() {{
    local -a profiles
    profiles=(${{(f)\"$({BIN} {PROFILE_NAMES_COMMAND} 2>/dev/null)\"}})
    _describe -t profiles 'profile' profiles
}}

"
    );
    let mut out = String::with_capacity(script.len() + function.len());
    let mut defined = false;
    for line in script.split_inclusive('\n') {
        if !defined && line.starts_with(&format!("_{BIN}() {{")) {
            out.push_str(&function);
            defined = true;
        }
        let trimmed = line.trim_start();
        if starts.iter().any(|s| trimmed.starts_with(s.as_str())) {
            out.push_str(&line.replacen(":_default'", &format!(":_{BIN}_profiles'"), 1));
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Extra candidates for the profile flags; fish merges them with clap's lines.
fn fish_profiles(flags: &[(Option<char>, String)]) -> String {
    let mut out = format!(
        "\n# Profile names: `{BIN} {PROFILE_NAMES_COMMAND}` reads profiles.json only (no network, no keyring).\n"
    );
    for (short, long) in flags {
        let short = short.map(|s| format!(" -s {s}")).unwrap_or_default();
        out.push_str(&format!(
            "complete -c {BIN}{short} -l {long} -x -a '({BIN} {PROFILE_NAMES_COMMAND} 2>/dev/null)'\n"
        ));
    }
    out
}

/// `man/onboard.1` and one page per visible subcommand (`man/onboard-invite.1`, ...).
fn man_pages() -> Vec<(PathBuf, Vec<u8>)> {
    let mut root = crate::cli::command().disable_help_subcommand(true);
    root.build();
    let mut pages = Vec::new();
    collect_pages(&root, &mut pages);
    pages
}

fn collect_pages(command: &clap::Command, pages: &mut Vec<(PathBuf, Vec<u8>)>) {
    let man = Man::new(command.clone());
    pages.push((
        PathBuf::from("man").join(man.get_filename()),
        man_page(&man, command),
    ));
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect_pages(sub, pages);
    }
}

fn man_page(man: &Man, command: &clap::Command) -> Vec<u8> {
    let mut page = title(command).into_bytes();
    // Writing into a Vec cannot fail.
    let _ = render_man(man, command, &mut page);
    tidy(&String::from_utf8_lossy(&page)).into_bytes()
}

/// The `.TH` line. Its date is left empty so that the pages are the same on every build (groff
/// shows no date; mandoc's lint warns "missing date"). Written here because clap_mangen leaves an
/// empty date unquoted, which shifts the source into the date's place.
fn title(command: &clap::Command) -> String {
    let name = command.get_display_name().unwrap_or(command.get_name());
    let version = command.get_version().unwrap_or_default();
    format!(
        ".TH {} 1 \"\" \"{BIN} {version}\" \"User Commands\"\n",
        name.to_uppercase()
    )
}

fn render_man(man: &Man, command: &clap::Command, w: &mut Vec<u8>) -> std::io::Result<()> {
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if command.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(w)?;
    }
    let mut roff = Roff::new();
    examples(&mut roff, command);
    exit_status(&mut roff);
    environment(&mut roff);
    files_section(&mut roff);
    see_also(&mut roff, command);
    w.extend_from_slice(roff.to_roff().as_bytes());
    Ok(())
}

/// The apostrophe definition clap_mangen puts before every section it renders.
const APOSTROPHE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// Keeps the first apostrophe definition only, turns clap_mangen's `.br`, blank line, `.br`
/// before "Possible values:" into one `.sp` (mandoc warns about the former), and writes
/// characters beyond ASCII (✓, →) as roff's `\[uXXXX]`, which every formatter reads.
fn tidy(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut rest = page;
    let mut seen = false;
    while let Some(at) = rest.find(APOSTROPHE) {
        out.push_str(&rest[..at]);
        if !seen {
            out.push_str(APOSTROPHE);
            seen = true;
        }
        rest = &rest[at + APOSTROPHE.len()..];
    }
    out.push_str(rest);
    out.replace("\n.br\n\n.br\n", "\n.sp\n")
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("\\[u{:04X}]", u32::from(c))
            }
        })
        .collect()
}

/// The examples in the command's `after_help`: the indented lines after `Examples:`, each
/// with the lines that continue it (after a trailing `\`).
pub fn examples_of(command: &clap::Command) -> Vec<Vec<String>> {
    let Some(after) = command.get_after_help() else {
        return Vec::new();
    };
    let mut examples: Vec<Vec<String>> = Vec::new();
    let mut continued = false;
    for line in after
        .to_string()
        .lines()
        .skip_while(|line| line.trim() != "Examples:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
    {
        let line = line.strip_prefix("  ").unwrap_or(line).to_owned();
        match examples.last_mut() {
            Some(example) if continued => example.push(line.clone()),
            _ => examples.push(vec![line.clone()]),
        }
        continued = line.ends_with('\\');
    }
    examples
}

fn examples(roff: &mut Roff, command: &clap::Command) {
    let examples = examples_of(command);
    if examples.is_empty() {
        return;
    }
    roff.control("SH", ["EXAMPLES"]);
    for (i, example) in examples.into_iter().enumerate() {
        if i > 0 {
            roff.control("PP", []);
        }
        roff.control("RS", ["4"]);
        roff.control("nf", []);
        for line in example {
            roff.text([roman(line)]);
        }
        roff.control("fi", []);
        roff.control("RE", []);
    }
}

/// The exit codes, as [`crate::error`] defines them.
fn exit_status(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    for status in crate::error::exit_statuses() {
        roff.control("TP", []);
        roff.text([bold(status.code.to_string())]);
        roff.text([roman(status.meaning)]);
    }
    roff.control("PP", []);
    roff.text([roman(crate::error::ALL_PROFILES_EXIT)]);
}

/// Every environment variable onboard reads: name and meaning, those that set a flag (from
/// clap's `env`) first, then the others ([`crate::environment::Var`]).
pub fn environment_variables() -> Vec<(String, String)> {
    let mut vars = Vec::new();
    flag_variables(&crate::cli::command(), &mut vars);
    for var in <crate::environment::Var as strum::VariantArray>::VARIANTS {
        let mut meaning = var.meaning().to_owned();
        if let [_, others @ ..] = var.names()
            && !others.is_empty()
        {
            meaning.push_str(&format!(" Also read as {}.", others.join(", ")));
        }
        vars.push((var.name().to_owned(), meaning));
    }
    vars
}

/// The variables of `command`'s flags and its subcommands', each once: "As --flag: its help."
fn flag_variables(command: &clap::Command, vars: &mut Vec<(String, String)>) {
    for arg in command.get_arguments() {
        let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) else {
            continue;
        };
        let name = env.to_string_lossy().into_owned();
        if vars.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        let mut help = help.trim().trim_end_matches('.').to_owned();
        if let Some(first) = help.get(..1) {
            help.replace_range(..1, &first.to_lowercase());
        }
        vars.push((name, format!("As --{long}: {help}.")));
    }
    for sub in command.get_subcommands() {
        flag_variables(sub, vars);
    }
}

fn environment(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in environment_variables() {
        roff.control("TP", []);
        roff.text([bold(name)]);
        roff.text([roman(meaning)]);
    }
}

fn files_section(roff: &mut Roff) {
    roff.control("SH", ["FILES"]);
    roff.control("TP", []);
    roff.text([italic("CONFIG/profiles.json")]);
    roff.text([roman(
        "The saved profiles: authority, tenant, registration, account, scopes, which store holds \
         the refresh token. No secrets. CONFIG is --config-dir, or \
         $XDG_CONFIG_HOME/onboard (by default ~/.config/onboard) on Linux, ~/Library/Application Support/onboard on macOS and \
         %APPDATA%\\onboard on Windows.",
    )]);
    roff.control("TP", []);
    roff.text([italic("CONFIG/validations/")]);
    roff.text([roman(
        "Each profile's last validation, one small file per profile. No secrets.",
    )]);
    roff.control("TP", []);
    roff.text([italic("CONFIG/credentials/")]);
    roff.text([roman(
        "Refresh tokens in plaintext, one file per profile (mode 0600, in a 0700 directory; on \
         Windows the user profile's access control list is what guards them), only with \
         --store file. A credentials.json of an earlier version is moved into it on \
         first use.",
    )]);
    roff.control("TP", []);
    roff.text([italic("CONFIG/locks/")]);
    roff.text([roman(
        "One lock file per profile: one onboard process at a time loads, refreshes and saves a \
         profile's credential.",
    )]);
    roff.control("TP", []);
    roff.text([roman("The keyring service "), bold(BIN)]);
    roff.text([roman(
        "Refresh tokens in the OS keyring (Secret Service, Keychain, Credential Manager), one \
         entry per profile, named by the profile.",
    )]);
}

/// A subcommand's page points back to the main page, which lists every command.
fn see_also(roff: &mut Roff, command: &clap::Command) {
    if command.get_name() == BIN {
        return;
    }
    roff.control("SH", ["SEE ALSO"]);
    roff.text([bold(BIN), roman("(1)")]);
}
