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
//!
//! Two ways to check the chain. [`crate::Registry::verify_chain`] (the
//! operator's `jcstar registry verify`) re-hashes every event. The public
//! [`crate::Registry::chain_status`] continues from a stored checkpoint: it
//! confirms that the checkpointed event still has the hash verified earlier,
//! verifies the events appended since (at most [`STATUS_BATCH`] per call,
//! so a request's cost is bounded however long the log grows) and moves the
//! checkpoint. It therefore vouches for the events since the last
//! verification; an edit to an older event that kept its stored hash is
//! found by the full verification only.

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::model::{BrokenLink, ChainReport};
use crate::store::Store;

/// `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an event as stored, borrowed for hashing.
#[derive(Debug, Clone, Copy)]
pub struct EventFields<'a> {
    /// Sequence number.
    pub seq: i64,
    /// Time as stored (RFC 3339).
    pub at: &'a str,
    /// Actor's role as stored.
    pub actor_role: &'a str,
    /// Actor's organisation.
    pub actor_org: &'a str,
    /// Id of the API token used, if any.
    pub token_id: Option<&'a str>,
    /// Name of the token's holder, if any.
    pub token_name: Option<&'a str>,
    /// Event kind as stored.
    pub kind: &'a str,
    /// The application concerned, if any.
    pub application_id: Option<&'a str>,
    /// The label concerned, if any.
    pub label_number: Option<&'a str>,
    /// The reason recorded, if any.
    pub reason: Option<&'a str>,
    /// The payload JSON exactly as stored.
    pub payload: &'a str,
    /// Hash of the previous event ([`GENESIS`] for the first).
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

/// Events one chain status call verifies at most. A log far ahead of its
/// checkpoint (an upgraded registry) is caught up over several calls, each
/// reporting how far it got.
pub const STATUS_BATCH: i64 = 20_000;

/// Why the event `seq` (stored `prev_hash`, `hash`, content `fields`) does
/// not continue a chain that expected event `expected_seq` after `prev`.
pub(crate) fn link_problem(
    expected_seq: i64,
    prev: &str,
    seq: i64,
    prev_hash: &str,
    hash: &str,
    fields: &EventFields<'_>,
) -> Option<String> {
    if seq != expected_seq {
        return Some(format!(
            "expected event {expected_seq} next but found {seq} (events missing)"
        ));
    }
    if prev_hash != prev {
        return Some(format!(
            "prev_hash {prev_hash} does not match the hash {prev} of event {}",
            expected_seq - 1
        ));
    }
    let h = event_hash(fields);
    (h != hash).then(|| {
        format!("stored hash {hash} but the event's content hashes to {h}: the event was altered")
    })
}

/// The chain status from the checkpoint on (see the module documentation),
/// verifying at most `batch` new events.
pub(crate) async fn status(
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
    batch: i64,
) -> Result<ChainReport> {
    let (cp_seq, cp_hash) = store.chain_checkpoint().await?;
    let broken = |seq: i64, problem: String, events: i64, head_hash: &str| ChainReport {
        events,
        head_hash: head_hash.to_string(),
        first_broken: Some(BrokenLink { seq, problem }),
    };
    if cp_seq > 0 {
        match store.event_hash_at(cp_seq).await? {
            Some(h) if h == cp_hash => {}
            Some(h) => {
                return Ok(broken(
                    cp_seq,
                    format!(
                        "event {cp_seq} was verified with hash {cp_hash} but now has {h}: the log was altered after verification"
                    ),
                    0,
                    GENESIS,
                ));
            }
            None => {
                return Ok(broken(
                    cp_seq,
                    format!("event {cp_seq} was verified earlier but is gone: events were removed"),
                    0,
                    GENESIS,
                ));
            }
        }
    }
    let stretch = store.verify_stretch(cp_seq, &cp_hash, batch.max(1)).await?;
    if stretch.seq > cp_seq {
        store
            .save_chain_checkpoint(now, stretch.seq, &stretch.hash)
            .await?;
    }
    if let Some(b) = stretch.broken {
        return Ok(ChainReport {
            events: stretch.seq,
            head_hash: stretch.hash,
            first_broken: Some(b),
        });
    }
    // Caught up: the log must end where the head says. A head further on
    // is a write that committed after the stretch was read, unless the
    // event after the stretch is missing.
    if stretch.seq - cp_seq < batch.max(1) {
        let (head_seq, head_hash) = store.head().await?;
        let removed = match head_seq.cmp(&stretch.seq) {
            std::cmp::Ordering::Equal => head_hash != stretch.hash,
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => store.event_hash_at(stretch.seq + 1).await?.is_none(),
        };
        if removed {
            return Ok(broken(
                head_seq,
                format!(
                    "the chain head records event {head_seq} ({head_hash}) but the log ends at {} ({}): events were removed",
                    stretch.seq, stretch.hash
                ),
                stretch.seq,
                &stretch.hash,
            ));
        }
    }
    Ok(ChainReport {
        events: stretch.seq,
        head_hash: stretch.hash,
        first_broken: None,
    })
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
