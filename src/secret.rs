//! `Secret`: a token or device code that must never reach a log, an error or a panic message.
//! `Debug` prints `REDACTED`, there is no `Display`, and the memory is wiped on drop;
//! `expose()` marks each place a secret leaves its box. Also [`disable_core_dumps`], so that no
//! crash or SIGQUIT writes the process's memory, tokens included, to disk.

use std::fmt;

use serde::{Deserialize, Deserializer};
use zeroize::Zeroize;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(REDACTED)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// No core dumps for this process: the core size limit is set to zero and,
/// on Linux, the process is made not dumpable (which also keeps other processes of the same
/// user from reading its memory through /proc). Best effort: a system that refuses leaves the
/// process as it was.
pub fn disable_core_dumps() {
    #[cfg(unix)]
    {
        // The soft limit: children (the browser) keep their own right to raise theirs.
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit fills in the struct it is given; setrlimit only reads it.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_CORE, &mut limit) != 0 {
                limit.rlim_max = 0;
            }
            limit.rlim_cur = 0;
            libc::setrlimit(libc::RLIMIT_CORE, &limit);
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        // SAFETY: PR_SET_DUMPABLE takes an integer argument and touches no memory of ours.
        unsafe {
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("eyJ0eXAiOiJKV1Qi.secret");
        let shown = format!("{s:?} {:?}", Some(&s));
        assert!(!shown.contains("eyJ0"), "{shown}");
        assert_eq!(s.expose(), "eyJ0eXAiOiJKV1Qi.secret");
    }

    #[test]
    fn deserializes_from_a_json_string() {
        let s: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(s.expose(), "abc");
    }
}
