//! Authenticated GETs of JSON (Microsoft Graph, OpenID userinfo): retried on transient
//! failures, classified on errors, size-limited like every reply.

use reqwest::{Client, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::classify;
use crate::error::{Code, Error, Result};
use crate::http::{self, Failure, Retries, with_retries};
use crate::secret::Secret;

/// GETs `url` with the bearer token and reads the JSON answer as `T`.
pub(crate) async fn get_json<T: DeserializeOwned>(
    client: &Client,
    url: Url,
    access_token: &Secret,
    retries: &Retries,
) -> Result<T> {
    with_retries(retries.to(&url), || async {
        let request = client
            .get(url.clone())
            .bearer_auth(access_token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .build()
            .map_err(|e| Error::unexpected(e.to_string()))?;
        let reply = http::execute(client, request).await?;
        if reply.status != StatusCode::OK {
            return Err(Failure {
                retry_after: reply.retry_after(),
                error: classify::unexpected_reply(&reply),
            });
        }
        serde_json::from_slice(&reply.body).map_err(|_| {
            Failure::from(Error::new(
                Code::UnexpectedResponse,
                format!(
                    "unexpected response from {}: {} is {}",
                    reply.host(),
                    url.path(),
                    http::describe_body(&reply.body)
                ),
            )
            .with_hint("something answered instead of the API (a proxy?): check HTTPS_PROXY, NO_PROXY and --authority"))
        })
    })
    .await
}
