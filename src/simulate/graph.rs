//! The parts of Microsoft Graph `onboard` calls (`/v1.0/me`, `/organization`,
//! `/servicePrincipals`, `/oauth2PermissionGrants`) and the OIDC `userinfo` endpoint, all behind
//! the simulated tenant's own bearer tokens, with Graph's error body.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State as Shared_};
use axum::http::{HeaderMap, Response, StatusCode, header};
use axum::routing::get;
use serde::Serialize;
use serde_json::json;

use super::entra::{object_id, person};
use super::ids;
use super::state::AccessGrant;
use super::{
    CLIENT_ID, GRAPH_APP_ID, GRAPH_SERVICE_PRINCIPAL_ID, SERVICE_PRINCIPAL_ID, Shared, TENANT_ID,
    json_response, params,
};

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1.0/me", get(me))
        .route("/v1.0/organization", get(organization))
        .route("/v1.0/servicePrincipals", get(service_principals))
        .route("/v1.0/oauth2PermissionGrants", get(permission_grants))
        .route("/oidc/userinfo", get(userinfo).post(userinfo))
}

#[derive(Serialize)]
struct GraphError {
    error: GraphErrorBody,
}

#[derive(Serialize)]
struct GraphErrorBody {
    code: &'static str,
    message: String,
    #[serde(rename = "innerError")]
    inner_error: InnerError,
}

#[derive(Serialize)]
struct InnerError {
    date: String,
    #[serde(rename = "request-id")]
    request_id: String,
    #[serde(rename = "client-request-id")]
    client_request_id: String,
}

fn graph_error(
    status: StatusCode,
    code: &'static str,
    message: &str,
    headers: &HeaderMap,
) -> Response<Body> {
    let request_id = ids::guid();
    // Graph echoes the caller's client-request-id, or uses the request id.
    let client_request_id = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| request_id.clone(), str::to_owned);
    let mut response = json_response(
        status,
        &GraphError {
            error: GraphErrorBody {
                code,
                message: message.to_owned(),
                inner_error: InnerError {
                    date: ids::graph_date(jiff::Timestamp::now()),
                    request_id,
                    client_request_id,
                },
            },
        },
    );
    if status == StatusCode::UNAUTHORIZED
        && let Ok(value) =
            header::HeaderValue::from_str("Bearer realm=\"\", error=\"invalid_token\"")
    {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn unauthorized(message: &str, headers: &HeaderMap) -> Response<Body> {
    graph_error(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        message,
        headers,
    )
}

/// The grant behind the request's bearer token, or why there is none (for Graph's 401).
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<AccessGrant, &'static str> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err("Access token is empty."),
    };
    if token.is_empty() {
        return Err("Access token is empty.");
    }
    if shared.signer.verify(token).is_none() {
        return Err("IDX14100: JWT is not well formed, or its signature is invalid.");
    }
    let (grant, now) = {
        let state = shared.lock();
        (state.access.get(token).cloned(), state.now())
    };
    match grant {
        // Signed here but forgotten: issued before a reset.
        None => Err("Access token validation failure."),
        Some(grant) if grant.expires <= now => {
            Err("Lifetime validation failed, the token is expired.")
        }
        Some(grant) => Ok(grant),
    }
}

fn has_scope(grant: &AccessGrant, any_of: &[&str]) -> bool {
    grant
        .scopes
        .iter()
        .any(|s| any_of.iter().any(|wanted| s.eq_ignore_ascii_case(wanted)))
}

fn denied(headers: &HeaderMap) -> Response<Body> {
    graph_error(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
        headers,
    )
}

/// The value of `$filter=<field> eq '<value>'`, `Ok(None)` without a filter.
fn filter_value(query: Option<String>, field: &str) -> Result<Option<String>, String> {
    let query = params(query.unwrap_or_default().as_bytes());
    let Some(filter) = query.get("$filter") else {
        return Ok(None);
    };
    let invalid = || format!("Invalid filter clause: {filter}");
    let mut words = filter.splitn(3, ' ');
    let (Some(name), Some(op), Some(value)) = (words.next(), words.next(), words.next()) else {
        return Err(invalid());
    };
    if !name.eq_ignore_ascii_case(field) || !op.eq_ignore_ascii_case("eq") {
        return Err(invalid());
    }
    let value = value.trim();
    match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(inner) => Ok(Some(inner.to_owned())),
        None => Err(invalid()),
    }
}

async fn me(Shared_(shared): Shared_<Arc<Shared>>, headers: HeaderMap) -> Response<Body> {
    let grant = match authenticate(&shared, &headers) {
        Ok(grant) => grant,
        Err(message) => return unauthorized(message, &headers),
    };
    let who = person(&shared, &grant.account);
    let state = shared.lock();
    let upn = state.tenant_upn(&grant.account, shared.domain());
    let mail = if state.is_guest(&grant.account) {
        grant.account.clone()
    } else {
        upn.clone()
    };
    drop(state);
    json_response(
        StatusCode::OK,
        &json!({
            "@odata.context": format!("{}/v1.0/$metadata#users/$entity", shared.base),
            "id": who.oid,
            "displayName": who.name,
            "userPrincipalName": upn,
            "mail": mail,
        }),
    )
}

async fn organization(Shared_(shared): Shared_<Arc<Shared>>, headers: HeaderMap) -> Response<Body> {
    if let Err(message) = authenticate(&shared, &headers) {
        return unauthorized(message, &headers);
    }
    json_response(
        StatusCode::OK,
        &json!({"value": [{
            "id": TENANT_ID,
            "displayName": "Contoso (simulated)",
            "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": true, "isInitial": true, "name": shared.domain(), "type": "Managed"}],
        }]}),
    )
}

async fn service_principals(
    Shared_(shared): Shared_<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response<Body> {
    let grant = match authenticate(&shared, &headers) {
        Ok(grant) => grant,
        Err(message) => return unauthorized(message, &headers),
    };
    if !has_scope(&grant, &["Application.Read.All", "Directory.Read.All"]) {
        return denied(&headers);
    }
    let wanted = match filter_value(query, "appId") {
        Ok(wanted) => wanted,
        Err(message) => {
            return graph_error(StatusCode::BAD_REQUEST, "BadRequest", &message, &headers);
        }
    };
    let all = [
        json!({"id": SERVICE_PRINCIPAL_ID, "appId": CLIENT_ID, "displayName": "Onboard (simulated registration)"}),
        json!({"id": GRAPH_SERVICE_PRINCIPAL_ID, "appId": GRAPH_APP_ID, "displayName": "Microsoft Graph"}),
    ];
    let value: Vec<_> = all
        .into_iter()
        .filter(|sp| {
            wanted.as_deref().is_none_or(|w| {
                sp["appId"]
                    .as_str()
                    .is_some_and(|a| a.eq_ignore_ascii_case(w))
            })
        })
        .collect();
    json_response(StatusCode::OK, &json!({"value": value}))
}

async fn permission_grants(
    Shared_(shared): Shared_<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response<Body> {
    let grant = match authenticate(&shared, &headers) {
        Ok(grant) => grant,
        Err(message) => return unauthorized(message, &headers),
    };
    if !has_scope(&grant, &["Directory.Read.All"]) {
        return denied(&headers);
    }
    let wanted = match filter_value(query, "clientId") {
        Ok(wanted) => wanted,
        Err(message) => {
            return graph_error(StatusCode::BAD_REQUEST, "BadRequest", &message, &headers);
        }
    };
    let state = shared.lock();
    let mut value = Vec::new();
    if let Some(admin) = &state.admin_consent {
        value.push(json!({
            "id": ids::stable_guid("grant/all"),
            "clientId": SERVICE_PRINCIPAL_ID,
            "consentType": "AllPrincipals",
            "principalId": null,
            "resourceId": GRAPH_SERVICE_PRINCIPAL_ID,
            "scope": admin.join(" "),
        }));
    }
    for (account, scopes) in &state.user_consents {
        value.push(json!({
            "id": ids::stable_guid(&format!("grant/{account}")),
            "clientId": SERVICE_PRINCIPAL_ID,
            "consentType": "Principal",
            "principalId": object_id(account),
            "resourceId": GRAPH_SERVICE_PRINCIPAL_ID,
            "scope": scopes.join(" "),
        }));
    }
    drop(state);
    value.retain(|g| {
        wanted.as_deref().is_none_or(|w| {
            g["clientId"]
                .as_str()
                .is_some_and(|c| c.eq_ignore_ascii_case(w))
        })
    });
    json_response(StatusCode::OK, &json!({"value": value}))
}

/// Entra's userinfo: `sub` (the pairwise id of the id_token), `name`, `email`; Entra sends no
/// `preferred_username` here, so neither does the simulator.
async fn userinfo(Shared_(shared): Shared_<Arc<Shared>>, headers: HeaderMap) -> Response<Body> {
    let grant = match authenticate(&shared, &headers) {
        Ok(grant) => grant,
        Err(message) => return unauthorized(message, &headers),
    };
    let who = person(&shared, &grant.account);
    let (given, family) = match who.name.split_once(' ') {
        Some((given, family)) => (given.to_owned(), family.to_owned()),
        None => (who.name.clone(), String::new()),
    };
    json_response(
        StatusCode::OK,
        &json!({
            "sub": ids::pairwise_sub(&who.oid, &grant.client_id),
            "name": who.name,
            "family_name": family,
            "given_name": given,
            "email": grant.account,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_read_strictly() {
        let q = |s: &str| Some(s.to_owned());
        assert_eq!(
            filter_value(q("$filter=appId%20eq%20'abc'"), "appId"),
            Ok(Some("abc".to_owned()))
        );
        assert_eq!(
            filter_value(q("$filter=appid eq 'abc'"), "appId"),
            Ok(Some("abc".to_owned()))
        );
        assert_eq!(filter_value(None, "appId"), Ok(None));
        assert!(filter_value(q("$filter=appId eq abc"), "appId").is_err());
        assert!(filter_value(q("$filter=displayName eq 'x'"), "appId").is_err());
        assert!(filter_value(q("$filter="), "appId").is_err());
    }
}
