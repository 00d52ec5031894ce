//! The binary's surface: help, usage errors and exit codes, `onboard simulate`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use assert_cmd::cargo::cargo_bin;
use serde_json::Value;

use crate::support::OutputWithin;
use crate::support::{onboard, usage_error};

#[test]
fn help_lists_only_commands_that_work() {
    let out = onboard().arg("--help").output_within().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(commands, crate::support::WORKING_COMMANDS, "{help}");
}

#[test]
fn unknown_flags_are_usage_errors_with_exit_2() {
    let out = onboard()
        .args(["simulate", "--no-such-flag"])
        .output_within()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn simulate_rejects_a_malformed_tenant_with_exit_2_and_a_hint() {
    let stderr = usage_error(
        onboard().args(["simulate", "--tenant", "not a domain"]),
        "a malformed tenant",
    );
    assert!(stderr.contains("onboard: error:"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
}

#[test]
fn simulate_prints_where_it_is_as_one_json_object_and_serves_discovery() {
    let child = Command::new(cargo_bin("onboard"))
        .args([
            "simulate",
            "--port",
            "0",
            "--json",
            "--tenant",
            "fabrikam.onmicrosoft.com",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = crate::support::Reaped::new(child);
    let mut first = String::new();
    BufReader::new(child.take_stdout().unwrap())
        .read_line(&mut first)
        .unwrap();
    let info: Value = serde_json::from_str(&first).unwrap();
    for key in [
        "authority",
        "tenant",
        "tenant_id",
        "client_id",
        "account",
        "control",
    ] {
        assert!(info[key].is_string(), "{key} in {info}");
    }
    assert_eq!(info["tenant"], "fabrikam.onmicrosoft.com");
    assert_eq!(info["account"], "svc@fabrikam.onmicrosoft.com");
    let discovery = format!(
        "{}/.well-known/openid-configuration",
        info["authority"].as_str().unwrap()
    );
    let document: Value = crate::support::http()
        .get(discovery)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(document["device_authorization_endpoint"].is_string());
    assert!(document["msgraph_host"].is_string());
    child.kill();
}
