//! Entra ID v2.0's protocol endpoints: discovery, device authorization, the token endpoint
//! (device code, authorization code and refresh grants).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as Shared_};
use axum::http::{Response, StatusCode};
use axum::response::Html;
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Value, json};

use super::failure::{Failure, failure, unknown_tenant};
use super::ids;
use super::state::{
    AccessGrant, Born, CodeState, DeviceCode, DeviceCodePolicy, Issued, RefreshGrant, Reuse, State,
};
use super::{
    CLIENT_ID, GRAPH_APP_ID, Shared, TENANT_ID, TenantRef, json_response, params, resolve_tenant,
    scopes,
};

const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Access and id tokens live an hour, like Entra's default.
const TOKEN_LIFETIME_SECS: u64 = 3600;
/// Entra's `ext_expires_in` for Graph tokens.
const EXT_TOKEN_LIFETIME_SECS: u64 = 7200;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(keys))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(devicecode))
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/error", get(error_page))
}

/// The `slow_down` answer of RFC 8628, for the `slow_down` fault. Entra documents no AADSTS
/// code for it, so `error_codes` is empty and the description has no `AADSTS` prefix.
pub fn slow_down(shared: &Shared) -> Response<Body> {
    slow_down_failure().respond(shared)
}

/// RFC 8628 §3.5: after `slow_down` the interval grows by 5 s.
const SLOW_DOWN_STEP: std::time::Duration = std::time::Duration::from_secs(5);

fn slow_down_failure() -> Failure {
    failure(
        "slow_down",
        &[],
        "The client is polling too frequently. Add 5 seconds to the polling interval.",
    )
}

/// AADSTS700022: one request may ask for the scopes of one resource only.
fn more_than_one_resource() -> Failure {
    failure(
        "invalid_scope",
        &[700022],
        "The provided value for the input parameter scope is not valid because it contains more than one resource.",
    )
}

/// AADSTS53003 in Entra's words (reference-error-codes). Microsoft documents the code, not the
/// `error` word that comes with it at the token endpoint: `invalid_grant` here.
fn blocked_by_conditional_access() -> Failure {
    failure(
        "invalid_grant",
        &[53003],
        "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
    )
}

fn missing(name: &str) -> Failure {
    failure(
        "invalid_request",
        &[900144],
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

async fn discovery(
    Shared_(shared): Shared_<Arc<Shared>>,
    Path(tenant): Path<String>,
) -> Response<Body> {
    let Some(kind) = resolve_tenant(&shared, &tenant) else {
        return unknown_tenant(&shared, &tenant);
    };
    let base = &shared.base;
    // Like Entra, the multi-tenant documents name a templated issuer.
    let issuer = match kind {
        TenantRef::Ours => format!("{base}/{TENANT_ID}/v2.0"),
        TenantRef::Organizations | TenantRef::Common => format!("{base}/{{tenantid}}/v2.0"),
    };
    let doc = json!({
        "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_CODE_GRANT, "client_credentials"],
        "issuer": issuer,
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{tenant}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "tenant_region_scope": "WW",
        "cloud_instance_name": "simulated.onboard.invalid",
        "cloud_graph_host_name": shared.host,
        "msgraph_host": shared.host,
    });
    json_response(StatusCode::OK, &doc)
}

/// The tokens are HS256 with a secret key, so there is no public key to publish.
async fn keys(Shared_(shared): Shared_<Arc<Shared>>, Path(tenant): Path<String>) -> Response<Body> {
    if resolve_tenant(&shared, &tenant).is_none() {
        return unknown_tenant(&shared, &tenant);
    }
    json_response(StatusCode::OK, &json!({"keys": []}))
}

async fn error_page(RawQuery(query): RawQuery) -> Html<String> {
    let query = params(query.unwrap_or_default().as_bytes());
    let code = ids::html_escape(query.get("code").map_or("", String::as_str));
    Html(format!(
        "<!doctype html><html><head><title>AADSTS{code}</title></head><body><h1>Error AADSTS{code}</h1><p>This is the simulated tenant: see Microsoft's AADSTS error code reference for what AADSTS{code} means.</p></body></html>"
    ))
}

/// The checks shared by both endpoints: the client exists, is public, sends no secret.
fn check_client(
    shared: &Shared,
    state: &State,
    form: &std::collections::HashMap<String, String>,
) -> Result<String, Failure> {
    let Some(client_id) = form.get("client_id").filter(|c| !c.is_empty()) else {
        return Err(missing("client_id"));
    };
    if !client_id.eq_ignore_ascii_case(CLIENT_ID) {
        return Err(failure(
            "unauthorized_client",
            &[700016],
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                shared.domain()
            ),
        ));
    }
    // A reviewer chose Block: the app's service principal is disabled in the tenant.
    if state.tenant.app_disabled {
        return Err(failure(
            "unauthorized_client",
            &[7000112],
            format!("Application '{CLIENT_ID}'(Onboard (simulated registration)) is disabled."),
        ));
    }
    if !state.tenant.public_client {
        return Err(failure(
            "invalid_client",
            &[7000218],
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    }
    if form.contains_key("client_secret") || form.contains_key("client_assertion") {
        return Err(failure(
            "invalid_client",
            &[700025],
            "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        ));
    }
    Ok(CLIENT_ID.to_owned())
}

#[derive(Serialize)]
struct DeviceCodeResponse {
    user_code: String,
    device_code: String,
    verification_uri: String,
    expires_in: u64,
    interval: u64,
    message: String,
}

async fn devicecode(
    Shared_(shared): Shared_<Arc<Shared>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response<Body> {
    match resolve_tenant(&shared, &tenant) {
        None => return unknown_tenant(&shared, &tenant),
        Some(TenantRef::Common) => {
            return failure(
                "invalid_request",
                &[90133],
                "Device Code flow is not supported under /common or /consumers endpoint.",
            )
            .respond(&shared);
        }
        Some(_) => {}
    }
    let form = params(&body);
    let mut state = shared.lock();
    let client_id = match check_client(&shared, &state, &form) {
        Ok(client_id) => client_id,
        Err(failure) => return failure.respond(&shared),
    };
    let Some(raw_scope) = form.get("scope") else {
        return missing("scope").respond(&shared);
    };
    let requested = match scopes::parse(raw_scope) {
        Ok(requested) => requested,
        Err(message) => return failure("invalid_scope", &[70011], message).respond(&shared),
    };
    if scopes::resources(&requested).len() > 1 {
        return more_than_one_resource().respond(&shared);
    }
    let user_code = ids::user_code();
    let device_code = ids::opaque("DAQABIQEAAAD", 160);
    let verification_uri = format!("{}/devicelogin", shared.base);
    let (interval, expires_in) = (state.tenant.interval, state.tenant.expires_in);
    // Forget codes long past their expiry so a long demo does not accumulate them.
    let now = state.now();
    state
        .codes
        .retain(|c| now.duration_since(c.issued) < Duration::from_secs(c.expires_in + 3600));
    state.remember(Issued::DeviceCode, &device_code);
    state.codes.push(DeviceCode {
        device_code: device_code.clone(),
        user_code: user_code.clone(),
        client_id,
        scopes: requested,
        issued: now,
        expires_in,
        interval: Duration::from_secs(interval),
        last_poll: None,
        state: CodeState::Pending,
    });
    drop(state);
    let message = format!(
        "To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."
    );
    json_response(
        StatusCode::OK,
        &DeviceCodeResponse {
            user_code,
            device_code,
            verification_uri,
            expires_in,
            interval,
            message,
        },
    )
}

#[derive(Serialize)]
struct TokenResponse {
    token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    expires_in: u64,
    ext_expires_in: u64,
    access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    /// Sent only when the request asks with `client_info=1`, as Microsoft's libraries do:
    /// base64url of `{"uid": object id, "utid": tenant id}`, from which MSAL keys its cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_info: Option<String>,
}

async fn token(
    Shared_(shared): Shared_<Arc<Shared>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response<Body> {
    let Some(kind) = resolve_tenant(&shared, &tenant) else {
        return unknown_tenant(&shared, &tenant);
    };
    let form = params(&body);
    let mut state = shared.lock();
    let client_id = match check_client(&shared, &state, &form) {
        Ok(client_id) => client_id,
        Err(failure) => return failure.respond(&shared),
    };
    let result = match form.get("grant_type").map(String::as_str) {
        None | Some("") => Err(missing("grant_type")),
        Some(DEVICE_CODE_GRANT) if kind == TenantRef::Common => Err(failure(
            "invalid_request",
            &[90133],
            "Device Code flow is not supported under /common or /consumers endpoint.",
        )),
        Some(DEVICE_CODE_GRANT) => redeem_device_code(&shared, &mut state, &client_id, &form),
        Some("refresh_token") => redeem_refresh_token(&shared, &mut state, &client_id, &form),
        Some("authorization_code") => super::authorize::redeem(&mut state, &client_id, &form)
            .and_then(|redeemed| {
                if state.tenant.consent_withdrawn {
                    return Err(Failure::consent_required(&client_id));
                }
                Ok(issue(
                    &shared,
                    &mut state,
                    &redeemed.account,
                    &client_id,
                    &redeemed.scopes,
                    Born::AuthorizationCode,
                    redeemed.nonce.as_deref(),
                ))
            }),
        Some(other) => Err(failure(
            "unsupported_grant_type",
            &[70003],
            format!("The app requested an unsupported grant type '{other}'."),
        )),
    };
    drop(state);
    match result {
        Ok(mut tokens) => {
            if form.get("client_info").map(String::as_str) != Some("1") {
                tokens.client_info = None;
            }
            json_response(StatusCode::OK, &tokens)
        }
        Err(failure) => failure.respond(&shared),
    }
}

fn redeem_device_code(
    shared: &Shared,
    state: &mut State,
    client_id: &str,
    form: &std::collections::HashMap<String, String>,
) -> Result<TokenResponse, Failure> {
    let Some(device_code) = form.get("device_code").filter(|c| !c.is_empty()) else {
        return Err(missing("device_code"));
    };
    let outcome = state.tenant.approval_outcome;
    let policy = state.tenant.device_code_policy;
    let now = state.now();
    let Some(code) = state
        .code_by_device_code(device_code)
        .filter(|c| c.client_id == client_id)
    else {
        return Err(failure(
            "bad_verification_code",
            &[70018],
            "Invalid verification code entered.",
        ));
    };
    if code.state == CodeState::Redeemed {
        return Err(failure(
            "invalid_grant",
            &[70000],
            "The provided value for the input parameter 'device_code' is not valid: the device code has already been redeemed.",
        ));
    }
    if code.expired(now) {
        return Err(failure(
            "expired_token",
            &[70019],
            "Verification code expired.",
        ));
    }
    // A poll sooner than the interval earns slow_down, as RFC 8628 §3.5 allows; the client
    // must then add 5 s to its interval for this and every later poll, and the code expects it.
    if !code.poll_in_time(now) {
        code.interval += SLOW_DOWN_STEP;
        return Err(slow_down_failure());
    }
    let pending = || {
        failure(
            "authorization_pending",
            &[70016],
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )
    };
    let declined = || {
        failure(
            "authorization_declined",
            &[65004],
            "User declined to consent to access the app.",
        )
    };
    let account = match &code.state {
        CodeState::Pending => return Err(pending()),
        CodeState::ApprovalRequested => {
            return Err(match outcome {
                super::state::ApprovalOutcome::Pending => pending(),
                super::state::ApprovalOutcome::Declined => declined(),
            });
        }
        CodeState::Declined => return Err(declined()),
        CodeState::Approved { account } => account.clone(),
        CodeState::Redeemed => return Err(pending()),
    };
    // Conditional Access blocking the device code flow: the person got through the page, the
    // token is refused.
    if policy == DeviceCodePolicy::On {
        return Err(blocked_by_conditional_access());
    }
    code.state = CodeState::Redeemed;
    let requested = code.scopes.clone();
    Ok(issue(
        shared,
        state,
        &account,
        client_id,
        &requested,
        Born::DeviceCode,
        None,
    ))
}

fn redeem_refresh_token(
    shared: &Shared,
    state: &mut State,
    client_id: &str,
    form: &std::collections::HashMap<String, String>,
) -> Result<TokenResponse, Failure> {
    let Some(presented) = form.get("refresh_token").filter(|t| !t.is_empty()) else {
        return Err(missing("refresh_token"));
    };
    let refuse_reuse = state.tenant.reuse_refresh_token == Reuse::Refuse;
    let policy = state.tenant.device_code_policy;
    let consent_withdrawn = state.tenant.consent_withdrawn;
    // What a refresh may ask for, as at Entra: the token's own scopes and whatever the tenant's
    // reviewer or the account has consented to for this client.
    let consented: Vec<String> = state
        .admin_consent
        .iter()
        .flatten()
        .cloned()
        .chain(
            state
                .refresh
                .get(presented)
                .and_then(|g| state.user_consents.get(&g.account.to_ascii_lowercase()))
                .into_iter()
                .flatten()
                .cloned(),
        )
        .collect();
    let Some(grant) = state.refresh.get_mut(presented) else {
        return Err(Failure::unknown_grant());
    };
    if grant.client_id != client_id {
        return Err(failure(
            "invalid_grant",
            &[70000],
            "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid: it was issued to another client.",
        ));
    }
    if grant.revoked {
        return Err(failure(
            "invalid_grant",
            &[50173],
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
        ));
    }
    if consent_withdrawn {
        return Err(Failure::consent_required(client_id));
    }
    // Protocol tracking: a session that began with a device code stays one through refreshes.
    if policy == DeviceCodePolicy::On && grant.born == Born::DeviceCode {
        return Err(blocked_by_conditional_access());
    }
    if grant.used && refuse_reuse {
        return Err(failure(
            "invalid_grant",
            &[70000],
            "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid: the refresh token has already been used and this tenant refuses reuse.",
        ));
    }
    let requested = match form.get("scope") {
        None => grant.scopes.clone(),
        Some(raw) => {
            let asked = scopes::parse(raw).map_err(|m| failure("invalid_scope", &[70011], m))?;
            if scopes::resources(&asked).len() > 1 {
                return Err(more_than_one_resource());
            }
            let allowed: Vec<String> = grant.scopes.iter().chain(&consented).cloned().collect();
            if !scopes::is_subset(&asked, &allowed) {
                return Err(Failure::consent_required(client_id));
            }
            // The new token may drop scopes but keeps the sign-in ones; a refresh that does not
            // ask for offline_access gets no new refresh token, as at Entra.
            let mut kept = asked;
            for oidc in grant
                .scopes
                .iter()
                .filter(|s| scopes::is_oidc(s) && !s.eq_ignore_ascii_case("offline_access"))
            {
                if !kept.iter().any(|s| s.eq_ignore_ascii_case(oidc)) {
                    kept.push(oidc.clone());
                }
            }
            kept
        }
    };
    grant.used = true;
    let account = grant.account.clone();
    let born = grant.born;
    let mut tokens = issue(shared, state, &account, client_id, &requested, born, None);
    if state.tenant.omit_refresh_scope {
        tokens.scope = None;
    }
    Ok(tokens)
}

fn display_name(shared: &Shared, account: &str) -> String {
    if account.eq_ignore_ascii_case(shared.service_account()) {
        "Onboarding Service Account".to_owned()
    } else {
        account.split('@').next().unwrap_or(account).to_owned()
    }
}

/// The size of Entra's access tokens, in characters.
const ACCESS_TOKEN_CHARS: usize = 2_900;

/// An account's object id: stable per UPN (case-insensitive).
pub fn object_id(account: &str) -> String {
    ids::stable_guid(&account.to_ascii_lowercase())
}

pub struct Person {
    pub oid: String,
    pub name: String,
}

pub fn person(shared: &Shared, account: &str) -> Person {
    Person {
        oid: object_id(account),
        name: display_name(shared, account),
    }
}

/// Mints the token response for `account`, remembering the tokens so Graph and refresh
/// recognise them.
fn issue(
    shared: &Shared,
    state: &mut State,
    account: &str,
    client_id: &str,
    requested: &[String],
    born: Born,
    nonce: Option<&str>,
) -> TokenResponse {
    let resource =
        scopes::granted_resource_scopes(requested, state.tenant.granted_scopes.as_deref());
    let scope = scopes::response_scope(requested, &resource);
    let scp: Vec<String> = if resource.is_empty() {
        scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    } else {
        resource
    };
    let who = person(shared, account);
    // The object id stays with the account; its names follow renames (and a guest's UPN in
    // the tenant is its #EXT# form, while its ID token keeps its home address).
    let name_now = state.current_name(account);
    let upn = state.tenant_upn(account, shared.domain());
    let now = jiff::Timestamp::now().as_second();
    let exp = now + TOKEN_LIFETIME_SECS as i64;
    let issuer = format!("{}/{TENANT_ID}/v2.0", shared.base);
    let mut access_claims = json!({
        "aud": GRAPH_APP_ID,
        "iss": format!("{}/{TENANT_ID}/", shared.base),
        "iat": now, "nbf": now, "exp": exp,
        "acct": 0,
        "app_displayname": "Onboard (simulated registration)",
        "appid": client_id,
        "idtyp": "user",
        "name": who.name,
        "oid": who.oid,
        "scp": scp.join(" "),
        "sub": ids::pairwise_sub(&who.oid, GRAPH_APP_ID),
        "tid": TENANT_ID,
        "unique_name": upn,
        "upn": upn,
        "uti": ids::opaque("", 16),
        "ver": "1.0",
    });
    // Entra's access tokens are about 2,900 characters (many claims, an RS256 signature):
    // an opaque `aio` claim brings this one to that size, so size bugs show up here first.
    let unpadded = shared.signer.sign(&access_claims).len();
    let pad = ACCESS_TOKEN_CHARS.saturating_sub(unpadded + 12) * 3 / 4 * 3 / 4;
    if let Value::Object(map) = &mut access_claims {
        map.insert("aio".to_owned(), Value::String(ids::opaque("", pad)));
    }
    let access_token = shared.signer.sign(&access_claims);
    state.remember(Issued::AccessToken, &access_token);
    state.access.insert(
        access_token.clone(),
        AccessGrant {
            account: account.to_owned(),
            client_id: client_id.to_owned(),
            scopes: scp,
            expires: state.now() + Duration::from_secs(TOKEN_LIFETIME_SECS),
        },
    );
    let has = |s: &str| requested.iter().any(|r| r.eq_ignore_ascii_case(s));
    let id_token = has("openid").then(|| {
        let mut claims = json!({
            "aud": client_id,
            "iss": issuer,
            "iat": now, "nbf": now, "exp": exp,
            "name": who.name,
            "oid": who.oid,
            "preferred_username": name_now,
            "sub": ids::pairwise_sub(&who.oid, client_id),
            "tid": TENANT_ID,
            "ver": "2.0",
        });
        if has("email")
            && let Value::Object(map) = &mut claims
        {
            map.insert("email".to_owned(), Value::String(name_now.clone()));
        }
        if let (Some(nonce), Value::Object(map)) = (nonce, &mut claims) {
            map.insert("nonce".to_owned(), Value::String(nonce.to_owned()));
        }
        let token = shared.signer.sign(&claims);
        state.remember(Issued::IdToken, &token);
        token
    });
    let refresh_token = has("offline_access").then(|| {
        let token = match state.tenant.refresh_token_length {
            Some(length) => {
                let mut token = ids::opaque("1.AQ", length * 3 / 4 + 1);
                token.truncate(length);
                token
            }
            // About 1,500 characters, like Entra's.
            None => ids::opaque("1.AQ", 1100),
        };
        state.remember(Issued::RefreshToken, &token);
        state.refresh.insert(
            token.clone(),
            RefreshGrant {
                born,
                account: account.to_owned(),
                client_id: client_id.to_owned(),
                scopes: requested.to_vec(),
                used: false,
                revoked: false,
            },
        );
        token
    });
    // Forget expired access tokens so the map does not grow without bound.
    let now = state.now();
    state.access.retain(|_, grant| grant.expires > now);
    TokenResponse {
        token_type: "Bearer",
        scope: Some(scope),
        expires_in: TOKEN_LIFETIME_SECS,
        ext_expires_in: EXT_TOKEN_LIFETIME_SECS,
        access_token,
        refresh_token,
        id_token,
        client_info: Some(ids::client_info(&who.oid, TENANT_ID)),
    }
}
