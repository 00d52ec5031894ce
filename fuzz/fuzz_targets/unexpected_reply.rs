//! Any reply classified as an error (`classify::unexpected_reply`): OAuth, Graph, HTML or junk,
//! under any status; no panic. The first two bytes pick the status.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + u16::from_le_bytes([*a, *b]) % 500, rest),
        _ => (500, data),
    };
    let Ok(url) = url::Url::parse("https://login.example.test/t/oauth2/v2.0/token") else {
        return;
    };
    let reply = onboard::http::Reply {
        url,
        status: reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::BAD_GATEWAY),
        headers: Default::default(),
        body: body.to_vec().into(),
    };
    let error = onboard::flow::classify::unexpected_reply(&reply);
    assert!(!error.message.contains('\n'));
});
