//! The delegated permissions Microsoft Graph records for a registration in the tenant: its
//! service principal (`servicePrincipals?$filter=appId eq '{client id}'`), then that principal's
//! grants (`oauth2PermissionGrants?$filter=clientId eq '{object id}'`,
//! <https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-list>).
//! Reading them needs Application.Read.All / Directory.Read.All; without, Graph answers 403.

use reqwest::Client;
use serde::Deserialize;
use url::Url;

use super::api::get_json;
use crate::authority::{Endpoints, is_guid};
use crate::error::{Error, Result};
use crate::http::Retries;
use crate::secret::Secret;

/// One `oauth2PermissionGrant`: who consented (everyone, or one principal) to which scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// `AllPrincipals` (admin consent) or `Principal` (one user's consent).
    pub consent_type: String,
    pub principal_id: Option<String>,
    /// The object ID of the resource's service principal (Microsoft Graph's, usually).
    pub resource_id: String,
    pub scopes: Vec<String>,
}

#[derive(Deserialize)]
struct Page<T> {
    value: Vec<T>,
}

#[derive(Deserialize)]
struct ServicePrincipal {
    id: String,
}

#[derive(Deserialize)]
struct WireGrant {
    #[serde(rename = "consentType", default)]
    consent_type: String,
    #[serde(rename = "principalId", default)]
    principal_id: Option<String>,
    #[serde(rename = "resourceId", default)]
    resource_id: String,
    #[serde(default)]
    scope: String,
}

/// The registration's grants in the tenant; `Ok(None)` when the authority is not Microsoft's
/// (no Graph to ask). A 403 is an error of kind `PermissionMissing`: the caller decides.
pub async fn permission_grants(
    client: &Client,
    endpoints: &Endpoints,
    access_token: &Secret,
    client_id: &str,
    retries: &Retries,
) -> Result<Option<Vec<Grant>>> {
    let Some(graph) = &endpoints.graph else {
        return Ok(None);
    };
    let principals: Page<ServicePrincipal> = get_json(
        client,
        filtered(graph, "v1.0/servicePrincipals", "appId", client_id)?,
        access_token,
        retries,
    )
    .await?;
    let Some(principal) = principals.value.into_iter().next() else {
        return Ok(Some(Vec::new()));
    };
    let grants: Page<WireGrant> = get_json(
        client,
        filtered(
            graph,
            "v1.0/oauth2PermissionGrants",
            "clientId",
            &principal.id,
        )?,
        access_token,
        retries,
    )
    .await?;
    Ok(Some(
        grants
            .value
            .into_iter()
            .map(|g| Grant {
                consent_type: g.consent_type,
                principal_id: g.principal_id,
                resource_id: g.resource_id,
                scopes: crate::text::words(&g.scope),
            })
            .collect(),
    ))
}

/// `{graph}{path}?$filter={field} eq '{id}'`, spaces as %20. Only GUIDs are put in a filter.
fn filtered(graph: &Url, path: &str, field: &str, id: &str) -> Result<Url> {
    if !is_guid(id) {
        return Err(Error::usage(format!("'{id}' is not a GUID"))
            .with_hint("the profile's client ID must be the registration's application ID"));
    }
    let mut url = graph
        .join(path)
        .map_err(|e| Error::unexpected(e.to_string()))?;
    url.set_query(Some(&format!("$filter={field}%20eq%20'{id}'")));
    Ok(url)
}
