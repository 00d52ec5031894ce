//! Lenient readers for fields that servers send in more than one form.

use serde::{Deserialize, Deserializer};

/// A number that may arrive as a JSON string (Entra's v1 endpoint sends `"interval":"5"`).
pub fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(u64),
        Float(f64),
        Text(String),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        Some(Either::Number(n)) => Some(n),
        Some(Either::Float(f)) if f.is_finite() && f >= 0.0 => Some(f as u64),
        Some(Either::Text(s)) => s.trim().parse().ok(),
        _ => None,
    })
}
