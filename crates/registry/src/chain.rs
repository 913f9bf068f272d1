//! The hash chain over the event log.
//!
//! Each event's hash is the SHA-256 (lower-case hex) of its canonical form: the
//! compact JSON array
//!
//! ```text
//! ["jcstar-event-v1", seq, at, actor_role, actor_org, token_id, token_name,
//!  kind, application_id, label_number, reason, payload, prev_hash]
//! ```
//!
//! where `at` is the stored UTC time text (`2026-04-01T09:30:00.000000Z`),
//! absent values are `null`, and `payload` is the payload's stored JSON text as
//! a string (so the hash never depends on how a JSON library orders keys).
//! The first event's `prev_hash` is 64 zeros.

use sha2::{Digest, Sha256};

/// `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an event as stored, borrowed for hashing.
#[derive(Debug, Clone, Copy)]
pub struct EventFields<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub actor_role: &'a str,
    pub actor_org: &'a str,
    pub token_id: Option<&'a str>,
    pub token_name: Option<&'a str>,
    pub kind: &'a str,
    pub application_id: Option<&'a str>,
    pub label_number: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub payload: &'a str,
    pub prev_hash: &'a str,
}

/// The canonical serialisation that is hashed.
pub fn canonical(f: &EventFields<'_>) -> String {
    serde_json::json!([
        "jcstar-event-v1",
        f.seq,
        f.at,
        f.actor_role,
        f.actor_org,
        f.token_id,
        f.token_name,
        f.kind,
        f.application_id,
        f.label_number,
        f.reason,
        f.payload,
        f.prev_hash,
    ])
    .to_string()
}

/// SHA-256 (hex) of the canonical form.
pub fn event_hash(f: &EventFields<'_>) -> String {
    hex::encode(Sha256::digest(canonical(f).as_bytes()))
}

/// SHA-256 (hex) of arbitrary bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(reason: Option<&'a str>) -> EventFields<'a> {
        EventFields {
            seq: 1,
            at: "2026-01-01T00:00:00.000000Z",
            actor_role: "operator",
            actor_org: "ipa",
            token_id: None,
            token_name: Some("shell"),
            kind: "label_issued",
            application_id: Some("APP-000001"),
            label_number: None,
            reason,
            payload: "{\"a\":1}",
            prev_hash: GENESIS,
        }
    }

    #[test]
    fn every_field_changes_the_hash() {
        let a = event_hash(&fields(None));
        let b = event_hash(&fields(Some("")));
        assert_ne!(a, b, "absent and empty reason must differ");
        let mut f = fields(None);
        f.payload = "{\"a\":2}";
        assert_ne!(a, event_hash(&f));
        assert_eq!(a.len(), 64);
    }
}
