//! Random and derived identifiers of the simulated tenant: GUIDs, user and device codes, opaque
//! tokens, object ids, and Entra's timestamp format.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Fills `buf` with random bytes. The OS generator practically never fails; if it does, std's
/// randomly keyed hasher stands in, because the simulator must keep answering rather than panic.
pub fn random_bytes(buf: &mut [u8]) {
    if getrandom::fill(buf).is_ok() {
        return;
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    for chunk in buf.chunks_mut(8) {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        let bytes = hasher.finish().to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn format_guid(b: &[u8; 16]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A random (version 4) GUID in lower case, as Entra writes trace and correlation ids.
pub fn guid() -> String {
    let mut b = [0u8; 16];
    random_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    format_guid(&b)
}

/// A GUID derived from `seed`, so that an account keeps its object id across resets and runs.
pub fn stable_guid(seed: &str) -> String {
    let first = fnv1a(0xcbf2_9ce4_8422_2325, seed);
    let second = fnv1a(first ^ 0x9e37_79b9_7f4a_7c15, seed);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&first.to_be_bytes());
    b[8..].copy_from_slice(&second.to_be_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    format_guid(&b)
}

fn fnv1a(offset: u64, text: &str) -> u64 {
    text.bytes().fold(offset, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A pairwise `sub` claim: 43 base64url characters like Entra's, stable per account and app.
pub fn pairwise_sub(oid: &str, client_id: &str) -> String {
    let seed = format!("{oid}/{client_id}");
    let mut bytes = Vec::with_capacity(32);
    let mut hash = 0xcbf2_9ce4_8422_2325;
    for _ in 0..4 {
        hash = fnv1a(hash ^ 0x5851_f42d_4c95_7f2d, &seed);
        bytes.extend_from_slice(&hash.to_be_bytes());
    }
    b64url(&bytes)
}

/// Entra's `client_info`: base64url (no padding) of `{"uid":"<object id>","utid":"<tenant id>"}`.
pub fn client_info(oid: &str, tenant_id: &str) -> String {
    b64url(
        serde_json::json!({"uid": oid, "utid": tenant_id})
            .to_string()
            .as_bytes(),
    )
}

/// Nine upper-case letters, the form Entra's v2 endpoint uses (e.g. `GVNRPQQGE`).
pub fn user_code() -> String {
    let mut code = String::with_capacity(9);
    while code.len() < 9 {
        let mut b = [0u8; 16];
        random_bytes(&mut b);
        // 234 = 9 * 26: rejecting larger bytes keeps every letter equally likely.
        for x in b.iter().filter(|x| **x < 234) {
            if code.len() == 9 {
                break;
            }
            code.push(char::from(b'A' + x % 26));
        }
    }
    code
}

/// An opaque random token: `prefix` followed by `len` random bytes in base64url.
pub fn opaque(prefix: &str, len: usize) -> String {
    let mut b = vec![0u8; len];
    random_bytes(&mut b);
    format!("{prefix}{}", b64url(&b))
}

/// Entra's timestamp format in error bodies: `2022-08-25 09:34:07Z`.
pub fn entra_timestamp(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// Graph's `innerError.date` format: `2022-08-25T09:34:07`.
pub fn graph_date(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_nine_upper_case_letters() {
        for _ in 0..200 {
            let code = user_code();
            assert_eq!(code.len(), 9);
            assert!(code.chars().all(|c| c.is_ascii_uppercase()), "{code}");
        }
    }

    #[test]
    fn guids_have_the_8_4_4_4_12_form() {
        for g in [guid(), stable_guid("svc@contoso.onmicrosoft.com")] {
            let parts: Vec<usize> = g.split('-').map(str::len).collect();
            assert_eq!(parts, [8, 4, 4, 4, 12], "{g}");
            assert!(g.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        }
        assert_ne!(guid(), guid());
    }

    #[test]
    fn stable_ids_are_stable_and_distinct() {
        assert_eq!(stable_guid("a@b"), stable_guid("a@b"));
        assert_ne!(stable_guid("a@b"), stable_guid("c@b"));
        assert_eq!(pairwise_sub("x", "y").len(), 43);
    }

    #[test]
    fn timestamps_use_entra_format() {
        let ts = jiff::Timestamp::from_second(1_661_420_047).unwrap_or_default();
        assert_eq!(entra_timestamp(ts), "2022-08-25 09:34:07Z");
        assert_eq!(graph_date(ts), "2022-08-25T09:34:07");
    }

    #[test]
    fn html_escape_neutralises_markup() {
        assert_eq!(
            html_escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
