//! The committed completion scripts, man pages and JSON Schemas match what the code generates
//! (`ONBOARD_BLESS=1 cargo test generated` rewrites them), and the shells and mandoc accept them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use onboard::generate;

use crate::support::OutputWithin;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files in the generated directories that the generator no longer writes.
fn leftovers(expected: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in generate::DIRECTORIES {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = Path::new(dir).join(entry.file_name());
            if !expected.contains(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn generated_files_are_up_to_date() {
    let files = generate::files();
    let bless = std::env::var_os("ONBOARD_BLESS").is_some_and(|v| v == "1");
    let expected: BTreeSet<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let mut stale = Vec::new();
    for (path, content) in &files {
        let full = root().join(path);
        if std::fs::read(&full).ok().as_deref() == Some(content.as_slice()) {
            continue;
        }
        if bless {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, content).unwrap();
        } else {
            stale.push(format!("{} is stale", path.display()));
        }
    }
    for path in leftovers(&expected) {
        if bless {
            std::fs::remove_file(root().join(&path)).unwrap();
        } else {
            stale.push(format!("{} is no longer generated", path.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "{}\nrun `ONBOARD_BLESS=1 cargo test generated` and commit the result",
        stale.join("\n")
    );
}

#[test]
fn generated_files_cover_every_shell_and_visible_command() {
    let paths: BTreeSet<String> = generate::files()
        .into_iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    for path in [
        "completions/onboard.bash",
        "completions/_onboard",
        "completions/onboard.fish",
        "completions/_onboard.ps1",
        "completions/onboard.elv",
        "man/onboard.1",
    ] {
        assert!(paths.contains(path), "{path} in {paths:?}");
    }
    for sub in onboard::cli::command().get_subcommands() {
        let page = format!("man/onboard-{}.1", sub.get_name());
        assert_eq!(paths.contains(&page), !sub.is_hide_set(), "{page}");
    }
}

#[test]
fn man_pages_have_the_sections_a_reader_looks_for() {
    for (path, content) in generate::files() {
        if !path.starts_with("man") {
            continue;
        }
        let page = String::from_utf8(content).unwrap();
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH DESCRIPTION",
            ".SH EXAMPLES",
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH FILES",
        ] {
            assert!(page.contains(section), "{} lacks {section}", path.display());
        }
        for var in ["ONBOARD_CREDENTIAL", "HTTPS_PROXY", "NO_COLOR", "BROWSER"] {
            assert!(page.contains(var), "{} lacks {var}", path.display());
        }
    }
}

fn man_paths() -> Vec<PathBuf> {
    generate::files()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.starts_with("man"))
        .collect()
}

/// mandoc's report on the pages, without its "missing date" warning: the `.TH` date is left
/// empty on purpose so that the pages are the same on every build.
#[test]
fn man_pages_pass_mandoc_lint_without_warnings() {
    let out = Command::new("mandoc")
        .args(["-T", "lint", "-W", "warning"])
        .args(man_paths())
        .current_dir(root())
        .output_within()
        .expect("mandoc is installed (scripts/install-test-deps.sh)");
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = report
        .lines()
        .filter(|line| !line.contains("WARNING: missing date"))
        .collect();
    assert!(
        warnings.is_empty(),
        "mandoc -T lint -W warning:\n{}",
        warnings.join("\n")
    );
}

#[test]
fn man_pages_pass_groff_warnings() {
    for page in man_paths() {
        let out = Command::new("groff")
            .args(["-ww", "-man", "-z"])
            .arg(&page)
            .current_dir(root())
            .output_within()
            .expect("groff is installed");
        let report = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && report.trim().is_empty(),
            "groff -ww -man -z {}:\n{report}",
            page.display()
        );
    }
}
