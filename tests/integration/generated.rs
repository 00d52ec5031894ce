//! The committed completion scripts, man pages and JSON Schemas match what the code generates
//! (`ONBOARD_BLESS=1 cargo test generated` rewrites them), and the shells and mandoc accept them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use onboard::generate;

use crate::support::OutputWithin;
use crate::support::schema::{JsonOutput, problems};

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

/// The published schemas hold what a script relies on: a field that goes missing, a value of
/// another type or a timestamp that is not RFC 3339 fails the check every test's JSON goes through.
#[test]
fn the_published_schemas_refuse_a_missing_field_a_wrong_type_and_a_bad_timestamp() {
    let valid = serde_json::json!({
        "profile": "contoso.onmicrosoft.com",
        "valid": false,
        "tenant_id": null,
        "account": "svc@contoso.com",
        "scopes": ["User.Read"],
        "access_token_expires_at": null,
        "checked_at": "2026-11-27T10:00:00Z",
        "sign_in_flow": "device_code",
        "refreshed_at": null,
        "lapses_at": "2027-02-25T10:00:00Z",
        "error": {
            "exit_code": 4, "code": "invalid_grant", "aadsts": "AADSTS700082",
            "message": "m", "hint": "h", "correlation_id": null, "trace_id": null,
            "client_request_id": null
        }
    });
    assert_eq!(problems(&valid, JsonOutput::Validate), Vec::<String>::new());
    let broken = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut value = valid.clone();
        change(&mut value);
        problems(&value, JsonOutput::Validate)
    };
    let missing = broken(&|v| {
        v.as_object_mut().unwrap().remove("error");
    });
    assert!(!missing.is_empty(), "a missing field passed");
    let missing_inside = broken(&|v| {
        v["error"].as_object_mut().unwrap().remove("exit_code");
    });
    assert!(
        !missing_inside.is_empty(),
        "a missing field of the error passed"
    );
    assert!(!broken(&|v| v["error"]["exit_code"] = "4".into()).is_empty());
    assert!(!broken(&|v| v["valid"] = "false".into()).is_empty());
    assert!(!broken(&|v| v["sign_in_flow"] = "carrier_pigeon".into()).is_empty());
    assert!(!broken(&|v| v["checked_at"] = "yesterday".into()).is_empty());
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
