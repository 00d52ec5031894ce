//! Every command's help serves a technician who has never seen onboard: a one-line summary, a
//! longer description, examples, and an uppercase value name on every option that takes one.

use onboard::cli::command;

use crate::support::OutputWithin;

/// The visible commands: the root and every subcommand, depth first.
fn visible_commands() -> Vec<clap::Command> {
    fn walk(command: &clap::Command, out: &mut Vec<clap::Command>) {
        out.push(command.clone());
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, out);
        }
    }
    let mut root = command().disable_help_subcommand(true);
    root.build();
    let mut out = Vec::new();
    walk(&root, &mut out);
    out
}

#[test]
fn every_command_has_a_summary_a_description_and_examples() {
    let commands = visible_commands();
    assert!(commands.len() > 1);
    for c in commands {
        let name = c.get_bin_name().unwrap_or(c.get_name()).to_owned();
        let about = c.get_about().map(|s| s.to_string()).unwrap_or_default();
        assert!(!about.trim().is_empty(), "{name}: no about");
        assert!(!about.contains('\n'), "{name}: about is not one line");
        let long = c
            .get_long_about()
            .map(|s| s.to_string())
            .unwrap_or_default();
        assert!(
            long.len() > about.len(),
            "{name}: no long_about beyond the summary"
        );
        let after = c
            .get_after_help()
            .map(|s| s.to_string())
            .unwrap_or_default();
        assert!(after.contains("Examples:"), "{name}: no examples");
        let examples = onboard::generate::examples_of(&c);
        assert!(!examples.is_empty(), "{name}: no example lines");
    }
}

#[test]
fn every_value_taking_argument_has_an_uppercase_value_name() {
    for c in visible_commands() {
        let name = c.get_bin_name().unwrap_or(c.get_name()).to_owned();
        for arg in c.get_arguments().filter(|a| !a.is_hide_set()) {
            let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
            if !takes_value {
                continue;
            }
            let names = arg.get_value_names().unwrap_or_default();
            assert!(!names.is_empty(), "{name} {}: no value name", arg.get_id());
            for value in names {
                assert!(
                    value
                        .chars()
                        .all(|ch| ch.is_ascii_uppercase() || ch == '_' || ch == '-'),
                    "{name} {}: value name {value} is not uppercase",
                    arg.get_id()
                );
            }
        }
    }
}

#[test]
fn every_example_uses_a_command_that_exists() {
    for c in visible_commands() {
        for example in onboard::generate::examples_of(&c) {
            let first = example.join(" ");
            let Some(position) = first.split_whitespace().position(|w| w == "onboard") else {
                continue;
            };
            let Some(sub) = first.split_whitespace().nth(position + 1) else {
                continue;
            };
            if sub.starts_with('-') {
                continue;
            }
            assert!(
                command().find_subcommand(sub).is_some(),
                "example `{first}` names the unknown command {sub}"
            );
        }
    }
}

#[test]
fn help_and_the_install_page_name_the_config_directory_of_each_system() {
    let help = crate::support::onboard()
        .arg("--help")
        .output_within()
        .expect("onboard --help");
    let help = String::from_utf8_lossy(&help.stdout).replace('\n', " ");
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let install = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/install.md"))
        .expect("docs/install.md");
    for dir in [
        "~/.config/onboard",
        "~/Library/Application Support/onboard",
        r"%APPDATA%\onboard",
    ] {
        assert!(help.contains(dir), "--help does not name {dir}: {help}");
        assert!(install.contains(dir), "docs/install.md does not name {dir}");
    }
}
