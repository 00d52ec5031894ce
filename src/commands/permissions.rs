//! `onboard permissions`: the delegated permissions the registration holds in the tenant: what
//! the token endpoint granted (`scope`), what the access token carries (`scp`), and the tenant's
//! consent grants from Microsoft Graph when the account may read them (a 403 is said, not fatal).

use serde_json::{Value, json};

use crate::connection::{self, Session};
use crate::deps::Deps;
use crate::error::{Error, Kind, Result};
use crate::flow::{self, Grant, jwt};

/// The tenant's grants, or why they could not be read.
enum Grants {
    Read(Vec<Grant>),
    NotMicrosoft,
    Unreadable(Error),
}

pub async fn run(profile_flag: Option<&str>, deps: &mut Deps) -> Result<()> {
    let selected = connection::select(deps, profile_flag).await?;
    let session = Session::new(deps.http()?).allowing(deps.allowed_authorities());
    let (endpoints, tokens) = session
        .redeem(&selected.store, &selected.name, &selected.profile, &[])
        .await?;
    selected.warn_if_rotated(deps).await;
    let scp = jwt::decode(tokens.access_token.expose()).map(|claims| claims.scopes());
    let grants = match flow::permission_grants(
        &session.http,
        &endpoints,
        &tokens.access_token,
        &selected.profile.connection.client_id,
        &session.retries,
    )
    .await
    {
        Ok(Some(grants)) => Grants::Read(grants),
        Ok(None) => Grants::NotMicrosoft,
        Err(error) if error.kind == Kind::PermissionMissing => Grants::Unreadable(error.with_hint(
            "reading the tenant's consent grants needs Application.Read.All and Directory.Read.All; the scopes above are what the token can use",
        )),
        Err(error) => Grants::Unreadable(error),
    };
    let profile = &selected.profile;
    let tenant_id = tokens
        .claims
        .tid
        .clone()
        .or(profile.connection.tenant_id.clone());
    let account = tokens
        .claims
        .account()
        .map(String::from)
        .or(profile.connection.account.clone());
    if deps.json {
        let (read, unreadable) = match &grants {
            Grants::Read(list) => (
                Value::from(list.iter().map(grant_json).collect::<Vec<_>>()),
                Value::Null,
            ),
            Grants::NotMicrosoft => (Value::Null, Value::Null),
            Grants::Unreadable(error) => (Value::Null, error.to_json()),
        };
        deps.out.data(
            &json!({
                "profile": selected.name,
                "tenant_id": tenant_id,
                "account": account,
                "client_id": profile.connection.client_id,
                "scopes": tokens.scopes,
                "token_scp": scp,
                "grants": read,
                "grants_error": unreadable,
            })
            .to_string(),
        );
        return Ok(());
    }
    let out = &mut deps.out;
    out.data(&format!(
        "Profile {}: registration {} in tenant {}, as {}",
        selected.name,
        profile.connection.client_id,
        tenant_id.as_deref().unwrap_or(&profile.connection.tenant),
        account.as_deref().unwrap_or("-")
    ));
    out.data(&format!(
        "  granted to the token:   {}",
        words(&tokens.scopes)
    ));
    if let Some(scp) = &scp {
        out.data(&format!("  in the access token:    {}", words(scp)));
    }
    match &grants {
        Grants::Read(list) if list.is_empty() => {
            out.data("  consented in the tenant: none recorded for this registration");
        }
        Grants::Read(list) => {
            out.data("  consented in the tenant:");
            for grant in list {
                let who = match (&grant.principal_id, grant.consent_type.as_str()) {
                    (_, "AllPrincipals") => "everyone (admin consent)".to_string(),
                    (Some(principal), _) => format!("user {principal}"),
                    (None, other) => other.to_string(),
                };
                out.data(&format!("    {who}: {}", words(&grant.scopes)));
            }
        }
        Grants::NotMicrosoft => {
            out.data("  consented in the tenant: not recorded (the authority is not Microsoft's)");
        }
        Grants::Unreadable(error) => {
            out.data(&format!("  consented in the tenant: not readable: {error}"));
            if let Some(hint) = &error.hint {
                out.data(&format!("    {hint}"));
            }
        }
    }
    Ok(())
}

fn words(scopes: &[String]) -> String {
    if scopes.is_empty() {
        "(none)".to_string()
    } else {
        scopes.join(" ")
    }
}

fn grant_json(grant: &Grant) -> Value {
    json!({
        "consent_type": grant.consent_type,
        "principal_id": grant.principal_id,
        "resource_id": grant.resource_id,
        "scopes": grant.scopes,
    })
}
