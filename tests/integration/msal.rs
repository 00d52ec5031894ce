//! Microsoft's own library against `onboard simulate --tls`: the MSAL Python snippet of
//! docs/simulator.md, extracted from the page and run as written with python3 and MSAL from PyPI
//! (pinned in scripts/install-test-deps.sh, which installs it into the tests' Python directory).
//! Without python3 or MSAL this fails, never skips.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::sim::TlsSimProcess;
use crate::support::{Reaped, test_python_dir};

const PAGE: &str = "docs/simulator.md";
const SECTION: &str = "## Microsoft's libraries against the simulated tenant";

/// The first ```python block of the section, exactly as the page shows it.
fn documented_snippet() -> String {
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(PAGE))
        .unwrap_or_else(|e| panic!("{PAGE}: {e}"));
    let section = page
        .split_once(SECTION)
        .unwrap_or_else(|| panic!("{PAGE} has no section {SECTION:?}"))
        .1;
    let block = section
        .split_once("```python\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .unwrap_or_else(|| panic!("{PAGE}: no ```python block in {SECTION:?}"))
        .0;
    format!("{block}\n")
}

#[test]
fn msal_python_signs_in_refreshes_and_reads_graph_against_simulate_tls_as_documented() {
    use std::os::unix::fs::PermissionsExt;

    let sim = TlsSimProcess::start();
    let authority = sim.field("authority").to_owned();
    assert!(
        authority.starts_with("https://127.0.0.1:"),
        "{}",
        sim.info()
    );
    // The CA's certificate: a 0600 file in a private directory.
    let ca = sim.ca_cert();
    let ca_dir = ca.parent().expect("a directory").to_owned();
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&ca), 0o600, "{}", ca.display());
    assert_eq!(mode(&ca_dir), 0o700, "{}", ca_dir.display());

    let scripts = tempfile::tempdir().unwrap();
    let script = scripts.path().join("msal_device_code.py");
    std::fs::write(&script, documented_snippet()).unwrap();
    let child = Command::new("python3")
        .arg(&script)
        .env("PYTHONPATH", test_python_dir())
        .env("REQUESTS_CA_BUNDLE", &ca)
        .env("ONBOARD_SIM_AUTHORITY", &authority)
        .env("ONBOARD_SIM_CLIENT_ID", sim.field("client_id"))
        // Only the CA the page names: no other bundle, no proxy.
        .env_remove("SSL_CERT_FILE")
        .env_remove("CURL_CA_BUNDLE")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/install-test-deps.sh installs MSAL for it)");
    let child = Reaped::new(child);
    let mut stderr = child.take_stderr().expect("piped stderr");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut stdout = BufReader::new(child.take_stdout().expect("piped stdout"));

    // The device-code message names the simulator's https page and the code to enter there.
    let mut message = String::new();
    stdout.read_line(&mut message).unwrap();
    if message.is_empty() {
        child.wait();
        panic!(
            "the snippet printed no sign-in message (is MSAL installed? run scripts/install-test-deps.sh): {}",
            stderr.join().unwrap_or_default()
        );
    }
    assert!(
        message.contains(&format!(
            "{}/devicelogin",
            sim.field("control").trim_end_matches("/_sim")
        )),
        "{message}"
    );
    let user_code = message
        .split_once("enter the code ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no code in {message:?}"))
        .to_owned();
    sim.approve(&user_code);

    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.wait();
    let stderr = stderr.join().unwrap_or_default();
    assert!(status.success(), "the snippet failed: {rest}\n{stderr}");
    let result: Value = serde_json::from_str(rest.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}: {rest}\n{stderr}"));
    let account = sim.field("account");
    assert_eq!(result["signed_in"], account, "{result}");
    assert_eq!(result["me"], account, "{result}");
    assert_eq!(result["refreshed"], true, "{result}");
    // MSAL asked for client_info and keyed the account by it: `<object ID>.<tenant ID>`.
    let home = result["home_account_id"].as_str().unwrap_or("");
    assert!(
        home.ends_with(&format!(".{}", sim.field("tenant_id"))),
        "{result}"
    );

    // Every request went to the simulated tenant over https: discovery, the device code, the
    // token requests (polls, then the refresh: a second refresh token was handed out), Graph.
    let paths: Vec<String> = sim
        .requests()
        .iter()
        .filter_map(|r| r["path"].as_str().map(str::to_owned))
        .collect();
    let count = |suffix: &str| paths.iter().filter(|p| p.ends_with(suffix)).count();
    assert_eq!(
        count("/v2.0/.well-known/openid-configuration"),
        1,
        "{paths:?}"
    );
    assert_eq!(count("/oauth2/v2.0/devicecode"), 1, "{paths:?}");
    assert!(count("/oauth2/v2.0/token") >= 2, "{paths:?}");
    assert_eq!(count("/v1.0/me"), 1, "{paths:?}");
    let issued = sim.issued();
    assert_eq!(
        issued["refresh_tokens"].as_array().map(Vec::len),
        Some(2),
        "the sign-in's refresh token and the refresh's"
    );

    // Stopped as Ctrl-C would, the simulated tenant leaves no CA behind.
    let status = sim.stop();
    assert!(status.success(), "{status:?}");
    assert!(!ca_dir.exists(), "{} is still there", ca_dir.display());
}
