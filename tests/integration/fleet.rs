//! A provider's fleet through the real binary and the simulated tenant: when each credential
//! lapses unless refreshed (`list`, `validate --all`'s summary, `list --lapsing-within`), and
//! the reports `validate --all` writes for CI and monitoring, read by their real consumers
//! (`promtool check metrics`, Python's junitparser).

use std::path::Path;
use std::process::{Command, Output};

use onboard::profiles::{VALIDATIONS_DIR, file_stem};
use onboard::simulate::Settings;
use serde_json::{Value, json};

use crate::support::OutputWithin;
use crate::support::onboarded::{many, mixed_outcomes, point_at_keyring};
use crate::support::sim::TestSim;
use crate::support::{NO_SECRET_SERVICE, json_of, onboard, stderr, stdout, test_python_dir};

fn run(dir: &Path, args: &[&str]) -> Output {
    onboard()
        .args(args)
        .arg("--config-dir")
        .arg(dir)
        // No Secret Service: a profile pointed at the keyring fails with exit 7.
        .env("DBUS_SESSION_BUS_ADDRESS", NO_SECRET_SERVICE)
        .output_within()
        .unwrap()
}

fn ts(value: &Value) -> jiff::Timestamp {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a timestamp: {value}"))
        .parse()
        .unwrap()
}

const DAY: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// Sets the last successful refresh in `name`'s validation record to `days` days ago.
fn refreshed_days_ago(dir: &Path, name: &str, days: i64) -> jiff::Timestamp {
    let path = dir
        .join(VALIDATIONS_DIR)
        .join(format!("{}.json", file_stem(name)));
    let mut record: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let at = jiff::Timestamp::now() - DAY * i32::try_from(days).unwrap();
    record["last_validation"]["refreshed_at"] = json!(at.to_string());
    std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    at
}

fn names_of(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["profile"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn lapse_dates_follow_the_last_refresh_and_are_counted_filtered_and_named() {
    let sim = TestSim::start();
    let dir = tempfile::tempdir().unwrap();
    many(&sim, dir.path(), &["a-fresh", "b-stale", "c-staler"]);
    let before = jiff::Timestamp::now();
    let out = run(dir.path(), &["validate", "--all", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all = json_of(&out);
    assert_eq!(all["lapsing"], 0, "{all}");
    for result in all["results"].as_array().unwrap() {
        let refreshed = ts(&result["refreshed_at"]);
        assert!(refreshed >= before, "{result}");
        // The simulated tenant plays Entra: 90 days without use.
        assert_eq!(ts(&result["lapses_at"]), refreshed + DAY * 90, "{result}");
    }

    let b = refreshed_days_ago(dir.path(), "b-stale", 80);
    let c = refreshed_days_ago(dir.path(), "c-staler", 85);
    let list = json_of(&run(dir.path(), &["list", "--json"]));
    let by_name = |name: &str| {
        list["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["profile"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(ts(&by_name("b-stale")["refreshed_at"]), b);
    assert_eq!(ts(&by_name("b-stale")["lapses_at"]), b + DAY * 90);
    assert_eq!(ts(&by_name("c-staler")["lapses_at"]), c + DAY * 90);

    // b lapses in 10 days, c in 5.
    let within = |window: &str| {
        let out = run(dir.path(), &["list", "--json", "--lapsing-within", window]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        names_of(&json_of(&out), "profiles")
    };
    assert_eq!(within("14d"), ["b-stale", "c-staler"]);
    assert_eq!(within("7d"), ["c-staler"]);
    assert_eq!(within("1w"), ["c-staler"]);
    assert!(within("2d").is_empty());
    let out = run(dir.path(), &["list", "--lapsing-within", "soon"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    let text = stdout(&run(dir.path(), &["list"]));
    let line = text.lines().find(|l| l.starts_with("c-staler")).unwrap();
    let lapse_date = (c + DAY * 90).strftime("%Y-%m-%d").to_string();
    assert!(
        line.contains("85d ago") && line.contains(&lapse_date),
        "{text}"
    );
    let line = text.lines().find(|l| l.starts_with("a-fresh")).unwrap();
    assert!(line.contains("just now"), "{text}");

    // c cannot be refreshed now (its store is unreachable): it keeps its old date and is
    // counted and named; b is refreshed and lapses 90 days from now again.
    point_at_keyring(dir.path(), "c-staler");
    let out = run(dir.path(), &["validate", "--all", "--json"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let all = json_of(&out);
    assert_eq!(all["lapsing"], 1, "{all}");
    let results = all["results"].as_array().unwrap();
    assert!(ts(&results[1]["refreshed_at"]) > b + DAY * 79, "{all}");
    assert_eq!(ts(&results[2]["refreshed_at"]), c, "{all}");
    assert_eq!(ts(&results[2]["lapses_at"]), c + DAY * 90, "{all}");
    let out = run(dir.path(), &["validate", "--all"]);
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l
                == format!("1 lapsing within 14 days unless refreshed: c-staler ({lapse_date})")),
        "{text}"
    );
    // The failed check kept the last refresh in the record.
    let list = json_of(&run(
        dir.path(),
        &["list", "--json", "--lapsing-within", "14d"],
    ));
    assert_eq!(names_of(&list, "profiles"), ["c-staler"]);
}

/// `--all` reports in the profiles' order, not in the order their checks end: with every
/// request answered 300 ms late, the profile without a store ends at once, the unknown token
/// after one request and the valid profile last, after three.
#[test]
fn all_reports_in_the_profiles_order_whatever_order_the_checks_end_in() {
    let sim = TestSim::with(Settings {
        latency_ms: 300,
        ..Settings::default()
    });
    let dir = mixed_outcomes(&sim);
    let out = run(dir.path(), &["validate", "--all", "--jobs", "3", "--json"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let all = json_of(&out);
    assert_eq!(
        names_of(&all, "results"),
        ["a-valid", "b-no-store", "c-unknown-token"]
    );
    let ended = |i: usize| ts(&all["results"][i]["checked_at"]);
    assert!(
        ended(1) < ended(2) && ended(2) < ended(0),
        "the checks did not end in the order this test needs: {all}"
    );
    let text = stdout(&run(dir.path(), &["validate", "--all", "--jobs", "3"]));
    let order: Vec<&str> = text
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .take(3)
        .collect();
    assert_eq!(
        order,
        ["a-valid", "b-no-store", "c-unknown-token"],
        "{text}"
    );
}

/// The JUnit report as junitparser reads it: one `[name, result type, message, text]` per
/// test case (`["a", null, null, null]` for a pass).
fn junit_cases(path: &Path) -> Value {
    let script = r#"
import json, sys
from junitparser import JUnitXml
cases = []
for suite in JUnitXml.fromfile(sys.argv[1]):
    for case in suite:
        result = case.result[0] if case.result else None
        cases.append([case.name, result and result._tag, result and result.message,
                      result and result.text, result and result.type])
print(json.dumps(cases))
"#;
    let out = Command::new("python3")
        .env("PYTHONPATH", test_python_dir())
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .expect("python3 runs (scripts/install-test-deps.sh installs junitparser)");
    assert!(out.status.success(), "junitparser: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn junit_and_metrics_reports_are_read_by_their_real_consumers() {
    let sim = TestSim::start();
    let dir = mixed_outcomes(&sim);
    let reports = tempfile::tempdir().unwrap();
    let junit = reports.path().join("ci/validate.xml");
    let metrics = reports.path().join("onboard.prom");
    let out = run(
        dir.path(),
        &[
            "validate",
            "--all",
            "--json",
            "--junit",
            junit.to_str().unwrap(),
            "--metrics",
            metrics.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let all = json_of(&out);
    let unknown = &all["results"][2]["error"];

    let cases = junit_cases(&junit);
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 3, "{cases:?}");
    assert_eq!(cases[0], json!(["a-valid", null, null, null, null]));
    assert_eq!(cases[1][0], "b-no-store");
    assert_eq!(cases[1][1], "failure");
    assert!(
        cases[1][3].as_str().unwrap().contains("exit 7"),
        "{cases:?}"
    );
    assert_eq!(cases[2][0], "c-unknown-token");
    assert_eq!(cases[2][1], "failure");
    // The message, with the IDs Microsoft support asks for.
    let message = cases[2][2].as_str().unwrap();
    assert!(
        message.starts_with(unknown["message"].as_str().unwrap()),
        "{message}"
    );
    if let Some(correlation) = unknown["correlation_id"].as_str() {
        assert!(message.contains(correlation), "{message}");
    }
    assert_eq!(cases[2][4], "invalid_grant");
    let detail = cases[2][3].as_str().unwrap();
    assert!(detail.contains("exit 4"), "{detail}");
    if let Some(aadsts) = unknown["aadsts"].as_str() {
        assert!(detail.contains(aadsts), "{detail}");
    }
    let hint = unknown["hint"].as_str().expect("a hint");
    assert!(detail.contains(hint), "{detail}");

    let checked = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&metrics).unwrap())
        .output()
        .expect("promtool runs (scripts/install-test-deps.sh installs prometheus)");
    assert!(
        checked.status.success(),
        "promtool: {}{}",
        stdout(&checked),
        stderr(&checked)
    );
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    for line in [
        "onboard_credential_valid{profile=\"a-valid\"} 1",
        "onboard_credential_valid{profile=\"b-no-store\"} 0",
        "onboard_credential_valid{profile=\"c-unknown-token\"} 0",
        "onboard_validate_profiles{exit_code=\"0\"} 1",
        "onboard_validate_profiles{exit_code=\"4\"} 1",
        "onboard_validate_profiles{exit_code=\"7\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line}:\n{text}");
    }
    let refreshed = ts(&all["results"][0]["refreshed_at"]).as_second();
    let lapses = ts(&all["results"][0]["lapses_at"]).as_second();
    for line in [
        format!(
            "onboard_credential_refreshed_timestamp_seconds{{profile=\"a-valid\"}} {refreshed}"
        ),
        format!("onboard_credential_lapses_timestamp_seconds{{profile=\"a-valid\"}} {lapses}"),
    ] {
        assert!(text.lines().any(|l| l == line), "no {line}:\n{text}");
    }

    // All valid: both reports say so, and the run succeeds.
    let passing = tempfile::tempdir().unwrap();
    many(&sim, passing.path(), &["x", "y"]);
    let out = run(
        passing.path(),
        &["validate", "--all", "--junit", junit.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        junit_cases(&junit),
        json!([["x", null, null, null, null], ["y", null, null, null, null]])
    );
}

#[test]
fn a_report_path_that_is_a_directory_is_usage_and_an_unwritable_one_fails_after_saving() {
    let sim = TestSim::start();
    let dir = tempfile::tempdir().unwrap();
    many(&sim, dir.path(), &["a"]);
    let reports = tempfile::tempdir().unwrap();
    for flag in ["--junit", "--metrics"] {
        let out = run(
            dir.path(),
            &["validate", "--all", flag, reports.path().to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
    }
    // A regular file where the report's directory should be.
    let blocker = reports.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let unwritable = blocker.join("onboard.prom");
    let out = run(
        dir.path(),
        &[
            "validate",
            "--all",
            "--metrics",
            unwritable.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(
        err.lines()
            .filter(|l| l.contains("could not write the metrics file"))
            .count(),
        1,
        "{err}"
    );
    assert!(
        stdout(&out).contains("1 of 1 profile valid"),
        "{}",
        stdout(&out)
    );
    // The validation was saved all the same.
    let list = json_of(&run(dir.path(), &["list", "--json"]));
    assert_eq!(
        list["profiles"][0]["last_validation"]["valid"], true,
        "{list}"
    );
}

#[test]
fn bad_shards_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    for shard in ["5/4", "0/4", "1/0", "4", "a/b", "-1/4"] {
        let out = run(dir.path(), &["validate", "--all", "--shard", shard]);
        assert_eq!(out.status.code(), Some(2), "{shard}: {}", stderr(&out));
    }
}
