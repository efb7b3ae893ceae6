//! Keys that make the audit log answer to something outside the database.
//!
//! Each event's chain value is `HMAC-SHA256(audit key, …)`, so someone who can write the
//! database but not read the server secret cannot recompute the chain after editing, inserting
//! or removing events. Checkpoints of the head are signed with Ed25519 and written outside the
//! database; anyone holding the public key (an auditor, a second server) can check them without
//! being able to forge one. Both keys are derived from the server secret.

use ed25519_dalek::{Signer, Verifier};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::kdf::hmac_sha256;
use crate::ServerSecret;

/// The key of the audit chain. Prints `<redacted>`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    /// The chain key of a deployment: a MAC of a fixed label under the server secret.
    pub fn derive(secret: &ServerSecret) -> Self {
        Self(secret.mac("audit-chain-key-v1", b""))
    }

    /// A key for a store that never verifies its log against a server secret (tools, tests).
    pub fn random(rng: &mut (impl rand::RngCore + rand::CryptoRng)) -> Self {
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b);
        Self(b)
    }

    /// `HMAC-SHA256(key, parts…)`: the caller length-prefixes variable fields.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        hmac_sha256(&self.0, parts)
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

/// The Ed25519 key that signs checkpoints of the audit head.
pub struct CheckpointKey(ed25519_dalek::SigningKey);

impl CheckpointKey {
    pub fn derive(secret: &ServerSecret) -> Self {
        let seed = secret.mac("audit-checkpoint-key-v1", b"");
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The public key a witness needs to check checkpoints.
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckpointKey(<redacted>)")
    }
}

/// Whether `signature` is a signature of `message` by the holder of `public`.
pub fn verify_checkpoint(public: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(public) else {
        return false;
    };
    let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
        return false;
    };
    key.verify(message, &sig).is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_server_secret_and_signatures_bind_the_message() {
        let s = ServerSecret::from_bytes([7; 32]);
        let (a, b) = (AuditKey::derive(&s), AuditKey::derive(&s));
        assert_eq!(a.mac(&[b"x"]), b.mac(&[b"x"]));
        let other = AuditKey::derive(&ServerSecret::from_bytes([8; 32]));
        assert_ne!(a.mac(&[b"x"]), other.mac(&[b"x"]));
        assert!(!format!("{a:?}").contains('7'));

        let k = CheckpointKey::derive(&s);
        let sig = k.sign(b"seq 10");
        assert!(verify_checkpoint(&k.public(), b"seq 10", &sig));
        assert!(!verify_checkpoint(&k.public(), b"seq 11", &sig));
        let stranger = CheckpointKey::derive(&ServerSecret::from_bytes([8; 32]));
        assert!(!verify_checkpoint(&stranger.public(), b"seq 10", &sig));
        assert!(!verify_checkpoint(&k.public(), b"seq 10", &sig[..63]));
    }
}
