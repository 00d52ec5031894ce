//! `onboard simulate`: runs the simulated tenant until Ctrl-C.

use std::path::Path;

use tempfile::TempDir;

use crate::cli::SimulateArgs;
use crate::deps::Deps;
use crate::error::{Error, Kind, Result};
use crate::simulate::{Certificates, Settings, Simulator};

pub async fn run(args: &SimulateArgs, deps: &mut Deps) -> Result<()> {
    let settings = Settings {
        tenant_domain: crate::authority::parse_tenant(&args.tenant)?,
        interval_secs: args.interval,
        expires_in_secs: args.expires_in,
        require_approval: args.require_approval,
        admin_consent_workflow: false,
        latency_ms: args.latency_ms,
    };
    // With --tls: the CA's certificate in a private directory that lives as long as the tenant
    // (dropped, so deleted, when this function returns).
    let tls = if args.tls {
        let certificates = Certificates::generate().map_err(|e| {
            Error::new(Kind::Unexpected, "tls", e)
                .with_hint("run `onboard simulate` without --tls, and report this")
        })?;
        let (dir, ca_cert) = write_ca(certificates.ca_pem())?;
        Some((certificates, dir, ca_cert))
    } else {
        None
    };
    let started = match &tls {
        Some((certificates, _, _)) => Simulator::start_tls(args.port, settings, certificates).await,
        None => Simulator::start(args.port, settings).await,
    };
    let simulator = started.map_err(|e| {
        Error::new(
            Kind::Usage,
            "port_unavailable",
            format!("cannot listen on 127.0.0.1:{}: {e}", args.port),
        )
        .with_hint("pick another --port, or --port 0 for any free one")
    })?;
    let mut info = simulator.info().clone();
    info.ca_cert = tls
        .as_ref()
        .map(|(_, _, ca_cert)| ca_cert.display().to_string());
    if deps.json {
        let line = serde_json::to_string(&info).map_err(|e| Error::unexpected(e.to_string()))?;
        deps.out.data(&line);
    } else {
        deps.out
            .data(&format!("Simulated tenant at {}", info.authority));
        let mut lines = vec![
            format!("  tenant      {} ({})", info.tenant, info.tenant_id),
            format!("  client ID   {}", info.client_id),
            format!("  account     {}", info.account),
            format!("  sign-in     {}", simulator.sign_in_url()),
            format!("  control API {}", info.control),
        ];
        if let Some(ca_cert) = &info.ca_cert {
            lines.push(format!("  CA cert     {ca_cert} (trust it: --ca-cert)"));
        }
        lines.extend([String::new(), "Press Ctrl-C to stop.".to_string()]);
        for line in lines {
            deps.out.info(&line);
        }
    }
    wait_for_stop().await;
    simulator.shutdown().await;
    drop(tls);
    Ok(())
}

/// Writes the CA's certificate as `ca.pem` (0600) in a new private (0700) temporary directory.
fn write_ca(pem: &str) -> Result<(TempDir, std::path::PathBuf)> {
    let failed = |what: &str, path: &Path, e: std::io::Error| {
        Error::new(
            Kind::Unexpected,
            "tls",
            format!("cannot {what} {}: {e}", path.display()),
        )
        .with_hint("check that TMPDIR points at a writable directory")
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix("onboard-simulate-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    let dir = builder
        .tempdir()
        .map_err(|e| failed("create a directory in", &std::env::temp_dir(), e))?;
    let path = dir.path().join("ca.pem");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options
        .open(&path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, pem.as_bytes()));
    written.map_err(|e| failed("write", &path, e))?;
    Ok((dir, path))
}

/// Ctrl-C, or SIGTERM from a supervisor or a test harness.
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
