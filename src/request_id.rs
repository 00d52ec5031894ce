//! This run's `client-request-id`: one GUID per run, sent with every request (`http`) and named
//! in every error once a request has carried it (`error`).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// One GUID per run, sent with every request as `client-request-id`.
pub fn client_request_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            // No system randomness: the clock and the process still make it this run's.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            bytes = (nanos ^ (u128::from(std::process::id()) << 96)).to_le_bytes();
        }
        // A version 4 (random) GUID, as Microsoft's libraries send.
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    })
}

static REQUEST_SENT: AtomicBool = AtomicBool::new(false);

/// This run's `client-request-id`, once a request has carried it: before that there is
/// nothing to look up.
pub fn sent_request_id() -> Option<&'static str> {
    REQUEST_SENT.load(Ordering::Relaxed).then(client_request_id)
}

/// Records that a request carries the ID; true the first time.
pub(crate) fn mark_sent() -> bool {
    !REQUEST_SENT.swap(true, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_version_4_guid_per_run() {
        let id = client_request_id();
        assert_eq!(id, client_request_id());
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
        assert!(
            id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()),
            "{id}"
        );
        assert_eq!(&id[14..15], "4", "{id}");
        assert!("89ab".contains(&id[19..20]), "{id}");
    }
}
