//! Flags and settings that only the binary can prove, each through the real `onboard` against
//! the simulated tenant: an extra trusted root (`--ca-cert`, `ONBOARD_CA_CERT`), a proxy
//! (`HTTPS_PROXY`, `NO_PROXY`), Microsoft's other clouds (`--cloud usgov|china`), `remove --all`,
//! a damaged `ONBOARD_CREDENTIAL`, `simulate --port` on a taken port and an interrupted run.
//! Each asserts the exit code and what the user reads.

use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::network::{ConnectProxy, TlsFront, test_ca};
use crate::support::onboard;
use crate::support::onboarded::{Run, invite_json_with, onboard_at, run, run_ok, sim_target};
use crate::support::schema::{JsonOutput, parsed};
use crate::support::sim::TestSim;
#[cfg(unix)]
use crate::support::sim::TlsSimProcess;

/// `invite --non-interactive --json` for `authority`, approving every code; more `extra`
/// arguments (global ones included) and `env` on the command.
fn invite_at(
    sim: &TestSim,
    dir: &Path,
    authority: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let mut command = onboard_at(dir);
    command.args(extra).envs(env.iter().copied());
    let mut args = sim_target(sim);
    args[1] = authority.to_owned();
    args.extend(["--profile".to_owned(), "p".to_owned()]);
    invite_json_with(command, &args, |code, _| {
        sim.approve(code);
    })
}

/// The one `onboard: error:` line of a failed run.
fn error_line(run: &Run) -> String {
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("onboard: error:"))
        .collect();
    assert_eq!(lines.len(), 1, "one error line: {}", run.describe());
    lines[0].to_owned()
}

/// The simulated tenant behind an https front, and its authority through the front.
fn behind_tls() -> (TestSim, TlsFront, String) {
    let sim = TestSim::start();
    let front = TlsFront::start(sim.port());
    let authority = front.authority(&sim.info().authority);
    (sim, front, authority)
}

#[test]
fn an_extra_root_from_ca_cert_or_onboard_ca_cert_is_trusted_and_nothing_else_is() {
    let (sim, front, authority) = behind_tls();
    let host = format!("127.0.0.1:{}", front.port());
    let dir = TempDir::new().unwrap();

    // Without the root: the certificate is refused, with a hint that names the flag.
    let refused = invite_at(&sim, dir.path(), &authority, &[], &[]);
    assert_eq!(refused.code, Some(5), "{}", refused.describe());
    let line = error_line(&refused);
    assert!(line.contains(&host), "{line}");
    assert!(
        refused.stderr.contains("--ca-cert"),
        "{}",
        refused.describe()
    );
    assert!(!dir.path().join("profiles.json").exists());

    // With --ca-cert: the whole sign-in and its validation go through the https front.
    let ca = test_ca();
    let ca = ca.to_str().unwrap();
    let signed_in = invite_at(&sim, dir.path(), &authority, &["--ca-cert", ca], &[]);
    assert_eq!(signed_in.code, Some(0), "{}", signed_in.describe());
    assert_eq!(signed_in.event("validated").unwrap()["valid"], true);

    // ONBOARD_CA_CERT does the same for a later run.
    validates_with_onboard_ca_cert(dir.path(), ca);
    let mut untrusted = onboard_at(dir.path());
    untrusted.args(["validate", "--profile", "p"]);
    let untrusted = run(untrusted);
    assert_eq!(untrusted.code, Some(5), "{}", untrusted.describe());
}

/// `invite --non-interactive --json` against `onboard simulate --tls` (a child process),
/// approving every code; `extra` global arguments.
#[cfg(unix)]
fn invite_tls_sim(sim: &TlsSimProcess, dir: &Path, extra: &[&str]) -> Run {
    let mut command = onboard_at(dir);
    command.args(extra);
    let args: Vec<String> = [
        "--authority",
        sim.field("authority"),
        "--tenant",
        sim.field("tenant"),
        "--client-id",
        sim.field("client_id"),
        "--account",
        sim.field("account"),
        "--profile",
        "p",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    invite_json_with(command, &args, |code, _| {
        sim.approve(code);
    })
}

/// `onboard simulate --tls`: with its CA (--ca-cert, ONBOARD_CA_CERT) onboard signs in and
/// validates through Graph over https, as against a Microsoft cloud.
#[cfg(unix)]
#[test]
fn onboard_signs_in_and_validates_against_simulate_tls_with_its_ca_cert() {
    let sim = TlsSimProcess::start();
    let ca = sim.ca_cert();
    let ca = ca.to_str().unwrap();
    let dir = TempDir::new().unwrap();
    let signed_in = invite_tls_sim(&sim, dir.path(), &["--ca-cert", ca]);
    assert_eq!(signed_in.code, Some(0), "{}", signed_in.describe());
    assert_eq!(signed_in.event("validated").unwrap()["valid"], true);
    validates_with_onboard_ca_cert(dir.path(), ca);
    // Discovery named Graph (msgraph_host) and every endpoint as https; Graph checked the token.
    let paths: Vec<String> = sim
        .requests()
        .iter()
        .filter_map(|r| r["path"].as_str().map(str::to_owned))
        .collect();
    assert!(paths.iter().any(|p| p == "/v1.0/me"), "{paths:?}");
    assert!(!paths.iter().any(|p| p == "/oidc/userinfo"), "{paths:?}");
}

/// Without the CA, the first request to `onboard simulate --tls` fails: exit 5, one error line
/// that says TLS failed with the host, a hint naming --ca-cert, and nothing saved.
#[cfg(unix)]
#[test]
fn without_its_ca_simulate_tls_is_refused_with_exit_5_and_a_tls_hint() {
    let sim = TlsSimProcess::start();
    let dir = TempDir::new().unwrap();
    let refused = invite_tls_sim(&sim, dir.path(), &[]);
    assert_eq!(refused.code, Some(5), "{}", refused.describe());
    let line = error_line(&refused);
    let host = sim
        .field("control")
        .trim_start_matches("https://")
        .trim_end_matches("/_sim")
        .to_owned();
    assert!(line.contains(&format!("TLS with {host} failed")), "{line}");
    assert!(
        refused
            .stderr
            .lines()
            .any(|l| l.contains("hint:") && l.contains("--ca-cert")),
        "{}",
        refused.describe()
    );
    assert!(!dir.path().join("profiles.json").exists());
    assert!(
        sim.issued()["device_codes"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
}

#[test]
fn https_proxy_carries_every_request_unless_no_proxy_names_the_host() {
    let (sim, front, authority) = behind_tls();
    let host = format!("127.0.0.1:{}", front.port());
    let ca = test_ca();
    let ca = ca.to_str().unwrap();
    let proxy = ConnectProxy::start();
    let dir = TempDir::new().unwrap();
    let proxied = [("HTTPS_PROXY", proxy.url()), ("NO_PROXY", String::new())];
    let proxied: Vec<(&str, &str)> = proxied.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = invite_at(&sim, dir.path(), &authority, &["--ca-cert", ca], &proxied);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let through = proxy.targets();
    assert!(!through.is_empty(), "nothing went through the proxy");
    assert!(through.iter().all(|t| *t == host), "{through:?}");

    // NO_PROXY names the host: the next run goes direct.
    let before = proxy.targets().len();
    let mut validate = onboard_at(dir.path());
    validate
        .args(["validate", "--profile", "p", "--ca-cert", ca])
        .env("HTTPS_PROXY", proxy.url())
        .env("NO_PROXY", "127.0.0.1");
    run_ok(validate);
    assert_eq!(proxy.targets().len(), before, "{:?}", proxy.targets());
}

/// `--cloud usgov` and `--cloud china` name Microsoft's hosts; a proxy that sends every tunnel
/// to an https front of the simulated tenant (whose certificate, from a private CA, names those
/// hosts) lets the whole sign-in run against them.
#[test]
fn cloud_usgov_and_china_sign_in_at_their_own_hosts() {
    for (cloud, login, graph) in [
        ("usgov", "login.microsoftonline.us", "graph.microsoft.us"),
        (
            "china",
            "login.chinacloudapi.cn",
            "microsoftgraph.chinacloudapi.cn",
        ),
    ] {
        let sim = TestSim::start();
        let front = TlsFront::start_as_cloud(sim.port(), login, graph);
        let proxy = ConnectProxy::redirecting(front.port());
        let dir = TempDir::new().unwrap();
        let ca = test_ca();
        let mut command = onboard_at(dir.path());
        command
            .args(["--ca-cert", ca.to_str().unwrap()])
            .env("HTTPS_PROXY", proxy.url())
            .env("NO_PROXY", "");
        // The simulated tenant's arguments, with the cloud in place of its authority.
        let mut args = sim_target(&sim);
        args.splice(0..2, ["--cloud".to_owned(), cloud.to_owned()]);
        let run = invite_json_with(command, &args, |code, _| {
            sim.approve(code);
        });
        assert_eq!(run.code, Some(0), "--cloud {cloud}: {}", run.describe());
        assert_eq!(run.event("validated").unwrap()["valid"], true);
        let hosts = proxy.targets();
        assert!(
            hosts.contains(&format!("{login}:443")) && hosts.contains(&format!("{graph}:443")),
            "--cloud {cloud} reached {hosts:?}"
        );
        assert!(
            hosts
                .iter()
                .all(|h| *h == format!("{login}:443") || *h == format!("{graph}:443")),
            "--cloud {cloud} reached {hosts:?}"
        );
        let profiles: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("profiles.json")).unwrap())
                .unwrap();
        let saved = profiles["profiles"][&sim.info().tenant]["authority"].to_string();
        assert!(saved.contains(login), "{profiles}");
    }
}

#[test]
fn remove_all_removes_every_profile_and_its_credential() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    crate::support::onboarded::many(&sim, dir.path(), &["one", "two", "three"]);
    let mut remove = onboard_at(dir.path());
    remove.args(["remove", "--all", "--yes"]);
    let removed = run_ok(remove);
    for name in ["one", "two", "three"] {
        assert!(
            removed.stderr.contains(name) || removed.stdout.contains(name),
            "{name} is named: {}",
            removed.describe()
        );
        assert!(
            crate::support::onboarded::saved_token(dir.path(), name).is_none(),
            "{name}'s credential is gone"
        );
    }
    let mut list = onboard_at(dir.path());
    list.args(["list", "--json"]);
    let listed = run_ok(list);
    let listed = parsed(listed.stdout.trim(), JsonOutput::List);
    assert_eq!(listed["profiles"], serde_json::json!([]), "{listed}");
}

#[test]
fn a_damaged_onboard_credential_is_exit_2_without_quoting_it() {
    for (value, says) in [
        ("", "it is empty"),
        (
            "{\"version\":1,\"refresh_token\":\"SECRETPART",
            "ends too early",
        ),
        ("not json SECRETPART", "invalid JSON"),
    ] {
        let dir = TempDir::new().unwrap();
        let mut validate = onboard_at(dir.path());
        validate.arg("validate").env("ONBOARD_CREDENTIAL", value);
        let run = run(validate);
        assert_eq!(run.code, Some(2), "{value:?}: {}", run.describe());
        let line = error_line(&run);
        assert!(
            line.contains("ONBOARD_CREDENTIAL is not a credential onboard can use")
                && line.contains(says),
            "{value:?}: {line}"
        );
        assert!(
            run.stderr.contains("onboard export"),
            "the hint: {}",
            run.describe()
        );
        assert!(!run.stderr.contains("SECRETPART"), "{}", run.describe());
    }
}

#[test]
fn simulate_on_a_port_in_use_is_one_error_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let run = run(onboard_with(&["simulate", "--port", &port]));
    assert_eq!(run.code, Some(2), "{}", run.describe());
    let line = error_line(&run);
    assert!(line.contains(&port), "{line}");
    drop(taken);
}

fn onboard_with(args: &[&str]) -> std::process::Command {
    let mut command = onboard();
    command.args(args);
    command
}

/// Ctrl-C in the wizard once the credential is saved (its validation is held on the Graph
/// request after the save): exit 130, a message that says the credential was saved, and the
/// credential is still there.
#[cfg(unix)]
#[test]
fn ctrl_c_after_the_save_keeps_the_credential_and_says_so() {
    let sim = TestSim::start();
    sim.fault(serde_json::json!({"path": "/v1.0/organization", "hold": true}));
    let dir = TempDir::new().unwrap();
    let mut args = vec!["invite".to_string()];
    args.extend(sim_target(&sim));
    args.extend(["--profile".to_string(), "p".to_string()]);
    let mut t = crate::support::pty::Terminal::start(dir.path(), &args, &[]);
    t.expect("Start the sign-in?");
    t.type_line("y");
    let code = t.user_code();
    sim.approve(&code);
    sim.wait_for_fault_hits("/v1.0/organization", 1);
    t.send("\x03");
    t.expect("interrupted (Ctrl-C) after the credential was saved");
    assert_eq!(t.exit_code(), 130);
    assert!(
        crate::support::onboarded::saved_token(dir.path(), "p").is_some(),
        "the saved credential is kept"
    );
}

/// `--tenant` takes the tenant's GUID as well as a domain: the sign-in goes to that tenant,
/// and the profile is named after the GUID.
#[test]
fn a_tenant_given_by_its_guid_signs_in_there() {
    let sim = TestSim::start();
    let dir = TempDir::new().unwrap();
    let tenant_id = sim.info().tenant_id.clone();
    let mut args = sim_target(&sim);
    let at = args.iter().position(|a| a == "--tenant").unwrap();
    args[at + 1] = tenant_id.clone();
    let run = invite_json_with(onboard_at(dir.path()), &args, |code, _| {
        sim.approve(code);
    });
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let signed_in = run.event("signed_in").unwrap();
    assert_eq!(signed_in["tenant_id"], tenant_id.as_str());
    assert_eq!(signed_in["profile"], tenant_id.as_str());
}

/// `validate --profile p` in `dir` trusts the CA named by `ONBOARD_CA_CERT` and is valid.
fn validates_with_onboard_ca_cert(dir: &Path, ca: &str) {
    let mut validate = onboard_at(dir);
    validate
        .args(["--json", "validate", "--profile", "p"])
        .env("ONBOARD_CA_CERT", ca);
    let validated = run_ok(validate);
    let answer = parsed(validated.stdout.trim(), JsonOutput::Validate);
    assert_eq!(answer["valid"], true, "{answer}");
}
