//! `onboard token`: a fresh access token on stdout and nothing else, for scripts
//! (`curl -H "Authorization: Bearer $(onboard token)"`). The rotated refresh token is saved.

use crate::cli::TokenArgs;
use crate::connection::{self, Session};
use crate::deps::Deps;
use crate::error::Result;
use crate::flow;

pub async fn run(args: &TokenArgs, profile_flag: Option<&str>, deps: &mut Deps) -> Result<()> {
    let scopes = crate::authority::parse_scopes(&args.scopes)?;
    let selected = connection::select(deps, profile_flag).await?;
    // With offline_access, so that the answer carries a new refresh token and rotation goes on.
    let scopes = if scopes.is_empty() {
        Vec::new()
    } else {
        flow::normalize_scopes(&scopes)
    };
    let (_, tokens) = Session::new(deps.http()?)
        .allowing(deps.allowed_authorities())
        .redeem(&selected.store, &selected.name, &selected.profile, &scopes)
        .await?;
    selected.warn_if_rotated(deps).await;
    // The one place onboard prints an access token: asked for, on stdout, alone.
    deps.out.data(tokens.access_token.expose()); // secret-ok
    Ok(())
}
