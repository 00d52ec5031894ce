//! `onboard consent-url`: the admin consent link for the tenant's reviewer, the same link the
//! wizard's approval detour shows.

use serde_json::json;

use crate::authority;
use crate::cli::ConsentUrlArgs;
use crate::connection::{authority_of, saved};
use crate::deps::Deps;
use crate::error::{Error, Result};

pub async fn run(args: &ConsentUrlArgs, profile_flag: Option<&str>, deps: &mut Deps) -> Result<()> {
    let target = &args.target;
    let (authority, client_id, scopes, saved_redirect) =
        if target.tenant.is_some() || target.client_id.is_some() || target.authority.is_some() {
            let client_id =
                authority::parse_client_id(target.client_id.as_deref().ok_or_else(|| {
                    Error::usage("missing --client-id")
                        .with_hint("give the registration's application ID with --client-id")
                })?)?;
            let authority = authority::from_flags(
                target.authority.as_deref(),
                target.tenant.as_deref(),
                target.cloud,
            )?
            .ok_or_else(|| {
                Error::usage("missing --tenant")
                    .with_hint("give the customer's tenant GUID or domain with --tenant")
            })?;
            // No profile: the registration's own list (`.default`).
            (authority, client_id, Vec::new(), None)
        } else {
            let (_, _, profile) = saved(deps, profile_flag).await?;
            (
                authority_of(&profile)?,
                profile.connection.client_id,
                profile.connection.scopes,
                profile.connection.redirect_uri,
            )
        };
    // A Microsoft cloud's Graph host is known; any other authority must say through discovery
    // whether it is Microsoft's (msgraph_host).
    let endpoints = match authority.cloud {
        Some(_) => None,
        None => Some(authority::discover(&deps.http()?, &authority).await?),
    };
    if !authority::has_admin_consent(&authority, endpoints.as_ref()) {
        return Err(Error::usage(format!(
            "{} is not a Microsoft authority: it has no admin consent link",
            authority.describe()
        ))
        .with_hint("ask the identity provider's administrator to grant the client's scopes"));
    }
    // The scopes the sign-in asks for, as `invite --scope` takes them.
    let scopes = if args.scopes.is_empty() {
        scopes
    } else {
        crate::flow::normalize_scopes(&authority::parse_scopes(&args.scopes)?)
    };
    let redirect = match &args.redirect_uri {
        Some(uri) => Some(authority::parse_url(uri, "--redirect-uri")?.to_string()),
        None => saved_redirect,
    };
    // Without a registered redirect URI Entra answers the link with an error page.
    let Some(url) = redirect.as_deref().and_then(|redirect| {
        authority::admin_consent_url(
            &authority,
            endpoints.as_ref(),
            &client_id,
            &scopes,
            Some(redirect),
        )
    }) else {
        if deps.json {
            deps.out.data(
                &json!({
                    "admin_consent_url": null,
                    "client_id": client_id,
                    "admin_center_route": authority::ADMIN_CENTER_ROUTE,
                    "no_link_because": authority::NO_LINK_REASON,
                })
                .to_string(),
            );
        } else {
            deps.out.data(authority::ADMIN_CENTER_ROUTE);
            deps.out.info(&format!(
                "Send this route to the tenant's Admin Consent Reviewer (or a Global Administrator), with the application (client) ID {client_id}. No link: {}. Then run `onboard invite` again.",
                authority::NO_LINK_REASON
            ));
        }
        return Ok(());
    };
    if deps.json {
        deps.out
            .data(&json!({"admin_consent_url": url.as_str(), "client_id": client_id}).to_string());
    } else {
        deps.out.data(url.as_str());
        deps.out.info("Send this link to the tenant's Admin Consent Reviewer (or a Global Administrator): they sign in, review the permissions and accept. Then run `onboard invite` again.");
    }
    Ok(())
}
