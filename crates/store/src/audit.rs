//! The audit log: append-only events, each carrying a chain value over its predecessor's, so
//! editing, inserting or removing a row breaks the chain. The chain value is an HMAC under a key
//! derived from the server secret, which is never in the database: a database writer cannot
//! recompute the chain after changing it. The head (last sequence number and value) is kept in
//! its own row, which also serialises appenders on both engines; signed checkpoints of the head
//! kept outside the database (see `minhbach_app::audit`) catch a log cut back or emptied.
//!
//! Details never contain report content: only ids, codes and states.

use minhbach_crypto::AuditKey;
use minhbach_domain::CaseId;
use sha2::{Digest, Sha256};

/// An event to append.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub at: i64,
    /// `user:<id>`, `reporter`, `system` or `cli`.
    pub actor: String,
    /// A stable code, e.g. `case.submitted`, `case.read`, `case.transition`.
    pub action: String,
    pub case: Option<CaseId>,
    /// Compact JSON with ids and codes only.
    pub detail: String,
}

impl AuditEntry {
    pub fn new(at: i64, actor: impl Into<String>, action: &str, case: Option<CaseId>) -> Self {
        AuditEntry {
            at,
            actor: actor.into(),
            action: action.to_owned(),
            case,
            detail: "{}".into(),
        }
    }

    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail.to_string();
        self
    }
}

/// Which events the auditor's page lists: every given filter must match.
#[derive(Clone, Debug)]
pub struct AuditQuery {
    pub case: Option<CaseId>,
    /// Exact actor code (`user:7`, `reporter`, `system`, `operator`); empty: any.
    pub actor: String,
    /// Exact action (`case.read`, `file.downloaded`, ...); empty: any.
    pub action: String,
    /// Unix seconds, from (inclusive) and until (exclusive).
    pub from: i64,
    pub until: i64,
    pub limit: i64,
}

/// A stored event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub case: Option<CaseId>,
    pub detail: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    /// 2: keyed chain value; 1: plain SHA-256, written before the chain was keyed.
    pub version: i64,
}

impl AuditRecord {
    fn entry(&self) -> AuditEntry {
        AuditEntry {
            at: self.at,
            actor: self.actor.clone(),
            action: self.action.clone(),
            case: self.case,
            detail: self.detail.clone(),
        }
    }
}

pub const GENESIS: [u8; 32] = [0; 32];

/// The version of the chain values written now.
pub const CHAIN_VERSION: i64 = 2;

/// Every field of an event, length-prefixed so that no two events encode alike.
fn encode(prev: &[u8], seq: i64, e: &AuditEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + e.actor.len() + e.action.len() + e.detail.len());
    out.extend_from_slice(prev);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&e.at.to_be_bytes());
    for field in [e.actor.as_bytes(), e.action.as_bytes(), e.detail.as_bytes()] {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field);
    }
    out.extend_from_slice(&e.case.map_or(-1, |c| c.0).to_be_bytes());
    out
}

/// The chain value of an event: `HMAC-SHA256(audit key, "minhbach audit v2" || fields)`.
pub fn chain_hash(key: &AuditKey, prev: &[u8], seq: i64, e: &AuditEntry) -> Vec<u8> {
    key.mac(&[b"minhbach audit v2", &encode(prev, seq, e)])
        .to_vec()
}

/// The unkeyed chain value of events written before the chain was keyed.
fn legacy_hash(prev: &[u8], seq: i64, e: &AuditEntry) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"minhbach audit v1");
    h.update(encode(prev, seq, e));
    h.finalize().to_vec()
}

/// A checkpoint of the head whose signature has been checked: the log held `seq` events, the
/// last with chain value `hash`, and the first `legacy` of them were unkeyed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: Vec<u8>,
    pub legacy: i64,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("event {seq}: sequence gap (expected {expected})")]
    Gap { seq: i64, expected: i64 },
    #[error("event {seq}: does not point at the previous event's hash")]
    BrokenLink { seq: i64 },
    #[error("event {seq}: content does not match its hash (edited)")]
    Edited { seq: i64 },
    #[error("event {seq}: unkeyed, but the checkpoints attest only {legacy} unkeyed events")]
    Unkeyed { seq: i64, legacy: i64 },
    #[error("the log ends at event {last} but the head says {head}: events were removed")]
    Truncated { last: i64, head: i64 },
    #[error("the log ends at event {last} but a signed checkpoint saw event {checkpoint}: events were removed")]
    ShorterThanCheckpoint { last: i64, checkpoint: i64 },
    #[error("event {seq}: differs from the signed checkpoint (the log was rewritten)")]
    Rewritten { seq: i64 },
}

/// Checks the whole chain under `key` against the head and the signed checkpoints. Unkeyed
/// (version 1) events are accepted only as the prefix the first checkpoint attests. Returns the
/// number of events verified.
pub fn verify(
    key: &AuditKey,
    records: &[AuditRecord],
    head: Option<(i64, Vec<u8>)>,
    checkpoints: &[Checkpoint],
) -> Result<usize, ChainError> {
    let legacy = checkpoints.first().map_or(0, |c| c.legacy);
    let mut prev = GENESIS.to_vec();
    let mut expected = 1;
    for r in records {
        if r.seq != expected {
            return Err(ChainError::Gap {
                seq: r.seq,
                expected,
            });
        }
        if r.prev_hash != prev {
            return Err(ChainError::BrokenLink { seq: r.seq });
        }
        let value = if r.version == CHAIN_VERSION {
            chain_hash(key, &prev, r.seq, &r.entry())
        } else if r.seq <= legacy {
            legacy_hash(&prev, r.seq, &r.entry())
        } else {
            return Err(ChainError::Unkeyed { seq: r.seq, legacy });
        };
        if value != r.hash {
            return Err(ChainError::Edited { seq: r.seq });
        }
        prev = r.hash.clone();
        expected += 1;
    }
    let last = expected - 1;
    for c in checkpoints {
        match usize::try_from(c.seq - 1).ok().and_then(|i| records.get(i)) {
            _ if c.seq == 0 => {}
            Some(r) if r.hash == c.hash => {}
            Some(_) => return Err(ChainError::Rewritten { seq: c.seq }),
            None => {
                return Err(ChainError::ShorterThanCheckpoint {
                    last,
                    checkpoint: c.seq,
                })
            }
        }
    }
    match head {
        Some((head_seq, head_hash)) if head_seq != last || (last > 0 && head_hash != prev) => {
            Err(ChainError::Truncated {
                last,
                head: head_seq,
            })
        }
        _ => Ok(records.len()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn log(key: &AuditKey, n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS.to_vec();
        (1..=n)
            .map(|seq| {
                let e = AuditEntry::new(seq * 10, "system", "test.event", None);
                let hash = chain_hash(key, &prev, seq, &e);
                AuditRecord {
                    seq,
                    at: e.at,
                    actor: e.actor,
                    action: e.action,
                    case: None,
                    detail: e.detail,
                    prev_hash: std::mem::replace(&mut prev, hash.clone()),
                    hash,
                    version: CHAIN_VERSION,
                }
            })
            .collect()
    }

    fn head(records: &[AuditRecord]) -> Option<(i64, Vec<u8>)> {
        Some(
            records
                .last()
                .map_or((0, GENESIS.to_vec()), |r| (r.seq, r.hash.clone())),
        )
    }

    #[test]
    fn a_rewrite_without_the_key_is_caught() {
        let key = AuditKey::random(&mut rand::rngs::OsRng);
        let records = log(&key, 5);
        assert_eq!(verify(&key, &records, head(&records), &[]), Ok(5));
        // Someone with the database but not the key deletes event 3 and rebuilds the chain with
        // the only function they can compute: it fails at the first rebuilt event.
        let forger = AuditKey::random(&mut rand::rngs::OsRng);
        let mut forged = log(&forger, 4);
        forged.truncate(4);
        assert_eq!(
            verify(&key, &forged, head(&forged), &[]),
            Err(ChainError::Edited { seq: 1 })
        );
        // Relabelling rebuilt events as the old unkeyed kind does not help either.
        for r in &mut forged {
            r.version = 1;
        }
        assert_eq!(
            verify(&key, &forged, head(&forged), &[]),
            Err(ChainError::Unkeyed { seq: 1, legacy: 0 })
        );
    }

    #[test]
    fn a_log_cut_back_or_emptied_fails_against_its_checkpoint() {
        let key = AuditKey::random(&mut rand::rngs::OsRng);
        let records = log(&key, 6);
        let at4 = Checkpoint {
            seq: 4,
            hash: records[3].hash.clone(),
            legacy: 0,
        };
        assert_eq!(
            verify(&key, &records, head(&records), std::slice::from_ref(&at4)),
            Ok(6)
        );
        let cut = &records[..3];
        assert_eq!(
            verify(&key, cut, head(cut), std::slice::from_ref(&at4)),
            Err(ChainError::ShorterThanCheckpoint {
                last: 3,
                checkpoint: 4
            })
        );
        assert_eq!(
            verify(&key, &[], head(&[]), std::slice::from_ref(&at4)),
            Err(ChainError::ShorterThanCheckpoint {
                last: 0,
                checkpoint: 4
            })
        );
        let wrong = Checkpoint {
            hash: vec![1; 32],
            ..at4
        };
        assert_eq!(
            verify(&key, &records, head(&records), &[wrong]),
            Err(ChainError::Rewritten { seq: 4 })
        );
    }
}
