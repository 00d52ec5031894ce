//! `onboard simulate`: runs the simulated tenant until Ctrl-C.

use crate::cli::SimulateArgs;
use crate::deps::Deps;
use crate::error::{Code, Error, Result};
use crate::simulate::{Settings, Simulator};

pub async fn run(args: &SimulateArgs, deps: &mut Deps) -> Result<()> {
    let settings = Settings {
        tenant_domain: crate::authority::parse_tenant(&args.tenant)?,
        interval_secs: args.interval,
        expires_in_secs: args.expires_in,
        require_approval: args.require_approval,
        admin_consent_workflow: false,
        latency_ms: args.latency_ms,
    };
    let simulator = Simulator::start(args.port, settings).await.map_err(|e| {
        Error::new(
            Code::PortUnavailable,
            format!("cannot listen on 127.0.0.1:{}: {e}", args.port),
        )
        .with_hint("pick another --port, or --port 0 for any free one")
    })?;
    let info = simulator.info().clone();
    if deps.json {
        let line = serde_json::to_string(&info).map_err(|e| Error::unexpected(e.to_string()))?;
        deps.out.data(&line);
    } else {
        deps.out
            .data(&format!("Simulated tenant at {}", info.authority));
        for line in [
            format!("  tenant      {} ({})", info.tenant, info.tenant_id),
            format!("  client ID   {}", info.client_id),
            format!("  account     {}", info.account),
            format!("  sign-in     {}", simulator.sign_in_url()),
            format!("  control API {}", info.control),
            String::new(),
            "Press Ctrl-C to stop.".to_string(),
        ] {
            deps.out.info(&line);
        }
    }
    wait_for_stop().await;
    simulator.shutdown().await;
    Ok(())
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
