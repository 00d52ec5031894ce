//! Property tests for every parser that reads untrusted input (server answers, tokens, links,
//! files, the CI variable): arbitrary bytes and arbitrary JSON never panic, errors never echo
//! secrets, and values survive a round trip where one exists. The cargo-fuzz targets in `fuzz/`
//! drive the same parsers; these run in CI. `PROPTEST_CASES=N` runs more cases.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use onboard::commands::invite::inputs::parse_invitation;
use onboard::flow::classify::unexpected_reply;
use onboard::flow::{jwt, parse_device_code, parse_tokens};
use onboard::http::Reply;
use onboard::oauth::OAuthErrorBody;
use onboard::profiles::{Connection, Profile, ProfilesFile, StoreKind, Validation};
use onboard::secret::Secret;
use onboard::store::ExportedCredential;
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Any JSON value, nested a little: what a broken or hostile server might send.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        any::<u64>().prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON object whose keys are the ones `names` lists (each present or not) with values of any
/// type: the shape parsers branch on, with the wrong types a broken server sends.
fn object_with(names: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::option::of(any_json()), names.len()).prop_map(move |values| {
        let mut map = serde_json::Map::new();
        for (name, value) in names.iter().zip(values) {
            if let Some(value) = value {
                map.insert((*name).to_owned(), value);
            }
        }
        serde_json::to_vec(&Value::Object(map)).unwrap_or_default()
    })
}

/// Raw bytes, arbitrary JSON, or a JSON object with the parser's own keys.
fn untrusted(names: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        any_json().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        object_with(names),
    ]
}

const DEVICE_KEYS: &[&str] = &[
    "user_code",
    "device_code",
    "verification_uri",
    "verification_url",
    "verification_uri_complete",
    "expires_in",
    "interval",
    "message",
    "error",
];
const TOKEN_KEYS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "scope",
    "expires_in",
    "token_type",
    "error",
];
const ERROR_KEYS: &[&str] = &[
    "error",
    "error_description",
    "error_codes",
    "trace_id",
    "correlation_id",
    "suberror",
    "timestamp",
];
const CREDENTIAL_KEYS: &[&str] = &[
    "version",
    "profile",
    "authority",
    "cloud",
    "tenant",
    "tenant_id",
    "client_id",
    "account",
    "scopes",
    "refresh_token",
];

/// A string without surrounding whitespace and without characters parsers split on.
fn word() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~-]{1,24}"
}

fn token_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~+/=-]{1,200}"
}

fn jwt_of(claims: &Value) -> String {
    format!(
        "{}.{}.signature",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn reply(status: u16, body: Vec<u8>) -> Reply {
    Reply {
        url: url::Url::parse("https://login.example.test/t/oauth2/v2.0/token").unwrap(),
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
        headers: Default::default(),
        body: body.into(),
    }
}

fn profile() -> impl Strategy<Value = Profile> {
    (
        (
            word(),
            prop::option::of(word()),
            word(),
            prop::option::of(word()),
            word(),
        ),
        (
            prop::option::of(word()),
            prop::collection::vec(word(), 0..4),
            prop_oneof![
                Just(StoreKind::Keyring),
                Just(StoreKind::File),
                Just(StoreKind::Environment)
            ],
            word(),
            prop::option::of((
                word(),
                any::<bool>(),
                any::<i32>(),
                prop::option::of(".{0,30}"),
            )),
        ),
    )
        .prop_map(
            |(
                (authority, cloud, tenant, tenant_id, client_id),
                (account, scopes, store, created_at, last),
            )| {
                Profile {
                    connection: Connection {
                        authority: format!("https://{authority}.example/v2.0"),
                        cloud,
                        tenant,
                        tenant_id,
                        client_id,
                        account,
                        scopes,
                        redirect_uri: None,
                        account_id: None,
                        sign_in_flow: Default::default(),
                    },
                    store,
                    created_at,
                    last_validation: last.map(|(at, valid, exit_code, message)| Validation {
                        at,
                        valid,
                        exit_code,
                        code: None,
                        message,
                        refreshed_at: None,
                        lapses_at: None,
                    }),
                    extra: Default::default(),
                }
            },
        )
}

proptest! {
    #[test]
    fn device_code_answers_never_panic(body in untrusted(DEVICE_KEYS)) {
        if let Err(reason) = parse_device_code(&body) {
            prop_assert!(!reason.contains('\n'));
        }
    }

    #[test]
    fn device_code_answers_round_trip(
        // RFC 8628 §6.1's user codes: letters and digits, perhaps grouped with dashes.
        user_code in "[A-Za-z0-9][A-Za-z0-9-]{0,31}",
        device_code in token_text(),
        host in "[a-z]{1,12}",
        expires_in in 1u64..200_000,
        interval in prop::option::of(0u64..2_000),
        as_strings in any::<bool>(),
    ) {
        let number = |n: u64| if as_strings { json!(n.to_string()) } else { json!(n) };
        let mut body = json!({
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": format!("https://{host}.example/device"),
            "expires_in": number(expires_in),
        });
        if let Some(i) = interval {
            body["interval"] = number(i);
        }
        let code = parse_device_code(body.to_string().as_bytes());
        prop_assert!(code.is_ok(), "{:?}", code.err());
        let code = code.unwrap();
        prop_assert_eq!(&code.user_code, &user_code);
        prop_assert_eq!(code.device_code.expose(), device_code.as_str());
        let expected_host = format!("{host}.example");
        prop_assert_eq!(code.verification_uri.host_str(), Some(expected_host.as_str()));
        prop_assert_eq!(code.expires_in.as_secs(), expires_in.min(24 * 3600));
        prop_assert_eq!(code.interval.as_secs(), interval.map_or(5, |i| i.clamp(1, 600)));
        let shown = format!("{code:?}");
        prop_assert!(!shown.contains(&device_code) || device_code.len() < 8, "{}", shown);
    }

    #[test]
    fn token_answers_never_panic(body in untrusted(TOKEN_KEYS), scopes in prop::collection::vec(word(), 0..3)) {
        let _ = parse_tokens(&body, &scopes);
    }

    #[test]
    fn token_answers_round_trip(
        access in token_text(),
        refresh in prop::option::of(token_text()),
        scopes in prop::collection::vec(word(), 1..5),
        account in "[a-z]{1,10}@[a-z]{1,10}\\.example",
        expires_in in 0u64..100_000,
    ) {
        let id_token = jwt_of(&json!({"preferred_username": account, "tid": "t"}));
        let mut body = json!({
            "access_token": access,
            "token_type": "Bearer",
            "scope": scopes.join(" "),
            "expires_in": expires_in,
            "id_token": id_token,
        });
        if let Some(r) = &refresh {
            body["refresh_token"] = json!(r);
        }
        let tokens = parse_tokens(body.to_string().as_bytes(), &[]);
        prop_assert!(tokens.is_some());
        let tokens = tokens.unwrap();
        prop_assert_eq!(tokens.access_token.expose(), access.as_str());
        prop_assert_eq!(tokens.refresh_token.as_ref().map(Secret::expose), refresh.as_deref());
        prop_assert_eq!(&tokens.scopes, &scopes);
        prop_assert_eq!(tokens.claims.account(), Some(account.as_str()));
        let shown = format!("{tokens:?}");
        prop_assert!(!shown.contains(&access) || access.len() < 8, "{}", shown);
    }

    #[test]
    fn oauth_error_bodies_never_panic(body in untrusted(ERROR_KEYS)) {
        let _ = OAuthErrorBody::parse(&body);
    }

    #[test]
    fn oauth_error_bodies_round_trip(error in word(), codes in prop::collection::vec(any::<u32>(), 0..4), trace in prop::option::of(word())) {
        let body = json!({"error": error, "error_codes": codes, "trace_id": trace});
        let parsed = OAuthErrorBody::parse(body.to_string().as_bytes());
        prop_assert!(parsed.is_some());
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.error.as_str(), error.as_str());
        prop_assert_eq!(&parsed.error_codes, &codes);
        prop_assert_eq!(&parsed.trace_id, &trace);
    }

    /// Whatever a server answers, the error is one line that names the host, with an exit code
    /// from the contract.
    #[test]
    fn unexpected_replies_are_one_line_errors_naming_the_host(
        status in 100u16..600,
        body in prop_oneof![
            untrusted(ERROR_KEYS),
            any_json().prop_map(|v| serde_json::to_vec(&json!({"error": {"code": v, "message": "m"}})).unwrap_or_default()),
        ],
    ) {
        let error = unexpected_reply(&reply(status, body));
        prop_assert!(!error.message.contains(['\n', '\r']), "{}", error.message);
        prop_assert!(error.message.contains("login.example.test"), "{}", error.message);
        prop_assert!([1, 2, 4, 5, 6].contains(&error.exit_code()), "{:?}", error);
    }

    #[test]
    fn jwts_never_panic(token in prop_oneof![
        ".{0,300}",
        prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| format!("h.{}.s", URL_SAFE_NO_PAD.encode(b))),
        any_json().prop_map(|v| jwt_of(&v)),
    ]) {
        let _ = jwt::decode(&token);
    }

    #[test]
    fn jwt_claims_round_trip(
        tid in prop::option::of(word()),
        upn in prop::option::of(word()),
        scp in prop::option::of(word()),
        exp in prop::option::of(any::<i64>()),
    ) {
        let claims = json!({"tid": tid, "upn": upn, "scp": scp, "exp": exp, "extra": [1, 2]});
        let decoded = jwt::decode(&jwt_of(&claims));
        prop_assert!(decoded.is_some());
        let decoded = decoded.unwrap();
        prop_assert_eq!(decoded.tid, tid);
        prop_assert_eq!(decoded.upn, upn);
        prop_assert_eq!(decoded.scp, scp);
        prop_assert_eq!(decoded.exp, exp);
    }

    #[test]
    fn invitations_never_panic(text in prop_oneof![
        ".{0,200}",
        "https://[a-z]{1,8}\\.example/\\?.{0,120}",
    ]) {
        if let Err(e) = parse_invitation(&text) {
            prop_assert_eq!(e.exit_code(), 2);
        }
    }

    #[test]
    fn invitations_round_trip(
        tenant in prop::option::of(word()),
        client_id in prop::option::of(word()),
        account in prop::option::of(word()),
        scopes in prop::collection::vec(word(), 0..4),
        profile in prop::option::of(".{1,20}".prop_filter("trimmed", |s| s.trim() == s && !s.is_empty())),
    ) {
        let mut url = url::Url::parse("https://provider.example/onboard").unwrap();
        {
            let mut query = url.query_pairs_mut();
            for (key, value) in [("tenant", &tenant), ("client_id", &client_id), ("account", &account), ("profile", &profile)] {
                if let Some(value) = value {
                    query.append_pair(key, value);
                }
            }
            if !scopes.is_empty() {
                query.append_pair("scope", &scopes.join(" "));
            }
            query.append_pair("utm_source", "mail");
        }
        let invitation = parse_invitation(url.as_str());
        prop_assert!(invitation.is_ok());
        let invitation = invitation.unwrap();
        prop_assert_eq!(invitation.tenant, tenant);
        prop_assert_eq!(invitation.client_id, client_id);
        prop_assert_eq!(invitation.account, account);
        prop_assert_eq!(invitation.profile, profile);
        prop_assert_eq!(invitation.scopes, scopes);
    }

    #[test]
    fn profiles_files_never_panic(body in untrusted(&["version", "profiles"])) {
        if let Err(e) = ProfilesFile::parse(&body, Path::new("profiles.json")) {
            prop_assert_eq!(e.exit_code(), 2);
        }
    }

    #[test]
    fn profiles_files_round_trip(profiles in prop::collection::btree_map(".{1,16}", profile(), 0..4), version in 1u32..3) {
        let file = ProfilesFile { version, profiles, extra: Default::default() };
        let bytes = serde_json::to_vec_pretty(&file).unwrap();
        let parsed = ProfilesFile::parse(&bytes, Path::new("profiles.json"));
        prop_assert_eq!(parsed.ok(), Some(file));
    }

    /// `ONBOARD_CREDENTIAL` holds a refresh token: whatever is wrong with it, the error never
    /// quotes it.
    #[test]
    fn exported_credentials_never_panic_nor_echo_the_token(
        body in untrusted(CREDENTIAL_KEYS),
        token in "SECRET[A-Za-z0-9]{8,20}",
        version in any::<u32>(),
    ) {
        let text = String::from_utf8_lossy(&body).into_owned();
        let _ = ExportedCredential::from_json(&text);
        let with_token = json!({"version": version, "profile": "p", "refresh_token": token, "tenant": 5});
        if let Err(e) = ExportedCredential::from_json(&with_token.to_string()) {
            prop_assert!(!e.message.contains(&token), "{}", e.message);
            prop_assert!(!e.hint.unwrap_or_default().contains(&token));
        }
    }

    #[test]
    fn exported_credentials_round_trip(name in ".{1,20}", profile in profile(), token in token_text()) {
        let credential = ExportedCredential::new(&name, &profile, Secret::new(token.clone()));
        let parsed = ExportedCredential::from_json(&credential.to_json());
        prop_assert!(parsed.is_ok());
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.refresh_token.expose(), token.as_str());
        prop_assert_eq!(parsed, credential);
    }
}
