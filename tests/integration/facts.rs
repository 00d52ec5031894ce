//! One fact, one definition: the exit codes (`onboard::error`), the environment variables (clap's
//! `env` plus `onboard::environment::Var`) and the AADSTS codes onboard knows
//! (`onboard::flow::classify`) are defined in the code; `--help`, the man pages and the tables of
//! README.md (exit codes), docs/reference.md (environment) and docs/troubleshooting.md (AADSTS
//! codes) must say the same. As `faults.rs` does for the fault table.

use std::collections::BTreeSet;
use std::path::Path;

use onboard::error::exit_statuses;
use onboard::flow::classify::aadsts_advice;
use onboard::generate;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The rows of the first table after the heading `heading`, as trimmed cells.
fn table(markdown: &str, heading: &str) -> Vec<Vec<String>> {
    let rows: Vec<Vec<String>> = markdown
        .lines()
        .skip_while(|l| l.trim() != heading)
        .skip_while(|l| !l.starts_with('|'))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let l = l.trim().trim_start_matches('|').trim_end_matches('|');
            l.split('|').map(|c| c.trim().to_owned()).collect()
        })
        .collect();
    assert!(!rows.is_empty(), "no table under {heading:?}");
    rows
}

/// A table cell such as `` `ONBOARD_PROFILE` `` without its backticks.
fn unquote(cell: &str) -> &str {
    cell.trim_matches('`')
}

#[test]
fn readme_exit_code_table_is_the_code() {
    let rows: Vec<(String, String)> = table(&read("README.md"), "## Exit codes")
        .into_iter()
        .map(|cells| (cells[0].clone(), cells[1].clone()))
        .collect();
    let code: Vec<(String, String)> = exit_statuses()
        .map(|s| (s.code.to_string(), s.meaning.to_owned()))
        .collect();
    assert_eq!(
        rows, code,
        "README.md's exit-code table and error::Kind differ"
    );
}

#[test]
fn help_and_man_pages_list_every_exit_code() {
    let mut root = onboard::cli::command();
    let help = root.render_long_help().to_string();
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for status in exit_statuses() {
        let entry = format!("{} {}", status.code, status.name);
        assert!(help.contains(&entry), "--help lacks `{entry}`:\n{help}");
    }
    for (path, page) in man_pages() {
        let section = section(&page, "EXIT STATUS");
        for status in exit_statuses() {
            let entry = format!(".TP\n\\fB{}\\fR\n{}\n", status.code, roff(status.meaning));
            assert!(
                section.contains(&entry),
                "{path}'s EXIT STATUS lacks {}:\n{section}",
                status.code
            );
        }
    }
}

/// Every variable the code reads: the flags' `env` and the others.
fn variables_in_the_code() -> BTreeSet<String> {
    fn flags(command: &clap::Command, out: &mut BTreeSet<String>) {
        for arg in command.get_arguments() {
            if let Some(env) = arg.get_env() {
                out.insert(env.to_string_lossy().into_owned());
            }
        }
        for sub in command.get_subcommands() {
            flags(sub, out);
        }
    }
    let mut vars = BTreeSet::new();
    flags(&onboard::cli::command(), &mut vars);
    for var in <onboard::environment::Var as strum::VariantArray>::VARIANTS {
        vars.insert(var.name().to_owned());
    }
    vars
}

#[test]
fn man_pages_and_the_reference_list_every_environment_variable() {
    let vars = variables_in_the_code();
    assert!(vars.contains("ONBOARD_HTTP_TIMEOUT") && vars.contains("ONBOARD_PROFILE"));
    let generated: BTreeSet<String> = generate::environment_variables()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(generated, vars);
    for (path, page) in man_pages() {
        let section = section(&page, "ENVIRONMENT");
        for var in &vars {
            assert!(
                section.contains(&format!("\\fB{var}\\fR")),
                "{path}'s ENVIRONMENT lacks {var}"
            );
        }
    }
    let rows: Vec<(String, String)> = table(&read("docs/reference.md"), "## Environment")
        .into_iter()
        .map(|cells| (unquote(&cells[0]).to_owned(), cells[1].clone()))
        .collect();
    assert_eq!(
        rows,
        generate::environment_variables(),
        "docs/reference.md's environment table and the code differ"
    );
}

/// The one reader of environment variables is `src/environment.rs` (clap reads the flags'
/// own); a read anywhere else would be a variable no page documents.
#[test]
fn only_the_environment_module_reads_variables() {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("src/environment.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, line) in text.lines().enumerate() {
                    if ["env::var(", "env::var_os(", "env::vars(", "env::vars_os("]
                        .iter()
                        .any(|call| line.contains(call))
                    {
                        out.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    assert!(
        found.is_empty(),
        "read through onboard::environment::Var instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_troubleshooting_aadsts_table_is_the_classification() {
    let mut listed = BTreeSet::new();
    for cells in table(&read("docs/troubleshooting.md"), "## AADSTS codes") {
        let exit: i32 = cells[1].parse().expect("an exit code");
        for code in cells[0].split(',') {
            let code: u32 = code.trim().parse().expect("an AADSTS number");
            let (kind, _) = aadsts_advice(code).unwrap_or_else(|| {
                panic!("docs/troubleshooting.md lists AADSTS{code}, onboard does not know it")
            });
            assert_eq!(kind.exit_code(), exit, "AADSTS{code}");
            listed.insert(code);
        }
    }
    // AADSTS codes have at most seven digits.
    let known: BTreeSet<u32> = (0..10_000_000)
        .filter(|&code| aadsts_advice(code).is_some())
        .collect();
    assert_eq!(
        known.difference(&listed).collect::<Vec<_>>(),
        Vec::<&u32>::new(),
        "onboard gives advice for these AADSTS codes, docs/troubleshooting.md does not list them"
    );
}

fn man_pages() -> Vec<(String, String)> {
    generate::files()
        .into_iter()
        .filter(|(p, _)| p.starts_with("man"))
        .map(|(p, c)| (p.display().to_string(), String::from_utf8(c).unwrap()))
        .collect()
}

/// The text of a man page's section, up to the next `.SH`.
fn section<'a>(page: &'a str, name: &str) -> &'a str {
    let heading = if name.contains(' ') {
        format!(".SH \"{name}\"\n")
    } else {
        format!(".SH {name}\n")
    };
    let start = page
        .find(&heading)
        .unwrap_or_else(|| panic!("no {heading:?}"))
        + heading.len();
    let rest = &page[start..];
    &rest[..rest.find("\n.SH ").map_or(rest.len(), |end| end + 1)]
}

/// Text as the roff crate escapes it in a man page.
fn roff(text: &str) -> String {
    text.replace('\\', "\\\\").replace('-', "\\-")
}
