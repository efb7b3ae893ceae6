//! The audit log: append-only events, each carrying the SHA-256 of its predecessor, so editing,
//! inserting or removing a row breaks the chain. The head (last sequence number and hash) is kept
//! in its own row, which also serialises appenders on both engines.
//!
//! Details never contain report content: only ids, codes and states.

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
}

pub const GENESIS: [u8; 32] = [0; 32];

/// The hash of an event: every field, length-prefixed so that no two events encode alike.
pub fn chain_hash(prev: &[u8], seq: i64, e: &AuditEntry) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"minhbach audit v1");
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(e.at.to_be_bytes());
    for field in [e.actor.as_bytes(), e.action.as_bytes(), e.detail.as_bytes()] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field);
    }
    h.update(e.case.map_or(-1, |c| c.0).to_be_bytes());
    h.finalize().to_vec()
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("event {seq}: sequence gap (expected {expected})")]
    Gap { seq: i64, expected: i64 },
    #[error("event {seq}: does not point at the previous event's hash")]
    BrokenLink { seq: i64 },
    #[error("event {seq}: content does not match its hash (edited)")]
    Edited { seq: i64 },
    #[error("the log ends at event {last} but the head says {head}: events were removed")]
    Truncated { last: i64, head: i64 },
}

/// Checks the whole chain against the head. Returns the number of events verified.
pub fn verify(records: &[AuditRecord], head: Option<(i64, Vec<u8>)>) -> Result<usize, ChainError> {
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
        let entry = AuditEntry {
            at: r.at,
            actor: r.actor.clone(),
            action: r.action.clone(),
            case: r.case,
            detail: r.detail.clone(),
        };
        if chain_hash(&prev, r.seq, &entry) != r.hash {
            return Err(ChainError::Edited { seq: r.seq });
        }
        prev = r.hash.clone();
        expected += 1;
    }
    let last = expected - 1;
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

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS.to_vec();
        (1..=n)
            .map(|seq| {
                let e = AuditEntry::new(
                    1_700_000_000 + seq,
                    "user:1",
                    "case.read",
                    Some(CaseId(seq)),
                );
                let hash = chain_hash(&prev, seq, &e);
                let r = AuditRecord {
                    seq,
                    at: e.at,
                    actor: e.actor,
                    action: e.action,
                    case: e.case,
                    detail: e.detail,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                r
            })
            .collect()
    }

    fn head(c: &[AuditRecord]) -> Option<(i64, Vec<u8>)> {
        c.last().map(|r| (r.seq, r.hash.clone()))
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, head(&c)), Ok(5));
        assert_eq!(verify(&[], Some((0, GENESIS.to_vec()))), Ok(0));
    }

    #[test]
    fn any_edit_is_detected() {
        let good = chain(4);
        let h = head(&good);
        let mut c = good.clone();
        c[1].detail = "{\"x\":1}".into();
        assert_eq!(verify(&c, h.clone()), Err(ChainError::Edited { seq: 2 }));
        let mut c = good.clone();
        c[2].at += 1;
        assert_eq!(verify(&c, h.clone()), Err(ChainError::Edited { seq: 3 }));
        let mut c = good.clone();
        c.remove(1);
        assert_eq!(
            verify(&c, h.clone()),
            Err(ChainError::Gap {
                seq: 3,
                expected: 2
            })
        );
        let mut c = good;
        c.pop();
        assert_eq!(
            verify(&c, h),
            Err(ChainError::Truncated { last: 3, head: 4 })
        );
    }
}
