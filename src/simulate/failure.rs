//! Entra's error answers: the JSON body (`error`, `AADSTS…` description with its trace and
//! correlation IDs, `error_codes`, `suberror`) that every endpoint of the simulated tenant sends.

use axum::body::Body;
use axum::http::{Response, StatusCode};
use serde::Serialize;

use super::ids::{self, entra_timestamp};
use super::{Shared, json_response};

/// Entra's error body (<https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes>).
#[derive(Serialize)]
struct EntraError {
    error: &'static str,
    error_description: String,
    error_codes: Vec<u32>,
    timestamp: String,
    trace_id: String,
    correlation_id: String,
    error_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    suberror: Option<&'static str>,
}

/// One Entra error: `codes[0]` prefixes the description as `AADSTS<code>: `.
pub struct Failure {
    pub error: &'static str,
    pub codes: Vec<u32>,
    pub message: String,
    pub suberror: Option<&'static str>,
}

pub fn failure(error: &'static str, codes: &[u32], message: impl Into<String>) -> Failure {
    Failure {
        error,
        codes: codes.to_vec(),
        message: message.into(),
        suberror: None,
    }
}

impl Failure {
    /// AADSTS9002313: a code or refresh token the tenant never issued.
    pub(super) fn unknown_grant() -> Failure {
        failure(
            "invalid_grant",
            &[9002313],
            "Invalid request. Request is malformed or invalid.",
        )
    }

    pub(super) fn consent_required(client_id: &str) -> Failure {
        Failure {
            suberror: Some("consent_required"),
            ..failure(
                "invalid_grant",
                &[65001],
                format!(
                    "The user or administrator has not consented to use the application with ID '{client_id}' named 'Onboard (simulated registration)'. Send an interactive authorization request for this user and resource."
                ),
            )
        }
    }

    pub fn respond(self, shared: &Shared) -> Response<Body> {
        entra_error(shared, StatusCode::BAD_REQUEST, self)
    }
}

pub fn entra_error(shared: &Shared, status: StatusCode, failure: Failure) -> Response<Body> {
    let now = jiff::Timestamp::now();
    let timestamp = entra_timestamp(now);
    let trace_id = ids::guid();
    // Entra's correlation ID is the client-request-id the client sent, else one of its own.
    let correlation_id = super::CLIENT_REQUEST_ID
        .try_with(Clone::clone)
        .ok()
        .flatten()
        .unwrap_or_else(ids::guid);
    let prefix = failure
        .codes
        .first()
        .map(|code| format!("AADSTS{code}: "))
        .unwrap_or_default();
    let error_uri = format!(
        "{}/error?code={}",
        shared.base,
        failure.codes.first().copied().unwrap_or(0)
    );
    let body = EntraError {
        error: failure.error,
        error_description: format!(
            "{prefix}{}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
            failure.message
        ),
        error_codes: failure.codes,
        timestamp,
        trace_id,
        correlation_id,
        error_uri,
        suberror: failure.suberror,
    };
    json_response(status, &body)
}

pub fn unknown_tenant(shared: &Shared, tenant: &str) -> Response<Body> {
    failure(
        "invalid_tenant",
        &[90002],
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    )
    .respond(shared)
}
