//! The key hierarchy of minhbach: receipts, staff keys, case keys, sealing.
//!
//! Pure functions over audited primitives (X25519 from dalek; XChaCha20-Poly1305,
//! Argon2id, HKDF, HMAC and SHA-256 from RustCrypto). No I/O, no clock:
//! every function that needs randomness takes the RNG as an argument, so the
//! caller decides (`OsRng` in production, a seeded RNG in tests).
//!
//! Every secret type zeroizes its memory on drop and prints `<redacted>`
//! from `Debug`. The design is described in `docs/crypto.md`.

mod asymmetric;
mod audit;
mod base32;
mod chunks;
mod error;
mod kdf;
mod password;
mod receipt;
mod recovery;
mod shamir;
mod symmetric;
mod totp;

pub use asymmetric::{
    open_secret_key, open_secret_key_with_secret, seal_secret_key, seal_secret_key_to_public,
    unwrap_with_secret, wrap_to_prepared, wrap_to_public, PreparedPublicKey, PublicKey, SecretKey,
};
pub use audit::{verify_checkpoint, AuditKey, CheckpointKey};
pub use chunks::{open_chunk, seal_chunk, ChunkPosition, CHUNK_LEN};
pub use error::CryptoError;
pub use kdf::sha256;
pub use password::{
    dummy_verify, hash_password, password_kek, password_salt, verify_password, PasswordParams,
    PASSWORD_SALT_LEN,
};
pub use receipt::{Receipt, ServerSecret};
pub use recovery::{recovery_key_from_text, recovery_key_to_text};
pub use shamir::{
    combine_key, split_key, unwrap_share_with_secret, wrap_share_to_prepared, wrap_share_to_public,
    Share,
};
pub use symmetric::{open, seal, unwrap_key, wrap_key, SymmetricKey};
pub use totp::{TotpSecret, TOTP_STEP_SECS};

use rand::{CryptoRng, RngCore};

/// HKDF info for [`session_key`].
const SESSION_INFO: &[u8] = b"minhbach session key v1";

/// 32 random bytes: session tokens, form nonces. Store only [`sha256`] of it.
pub fn random_token(rng: &mut (impl RngCore + CryptoRng)) -> [u8; 32] {
    let mut t = [0u8; 32];
    rng.fill_bytes(&mut t);
    t
}

/// Key that seals a staff member's secret key for the life of one session:
/// `HKDF-SHA256(ikm = token, no salt, info = "minhbach session key v1")`.
///
/// The token lives only in the cookie; the database keeps `sha256(token)`
/// (a different function of it) and the sealed key, neither of which yields
/// this key.
pub fn session_key(token: &[u8; 32]) -> SymmetricKey {
    SymmetricKey::from_bytes(*kdf::hkdf_sha256(None, token, SESSION_INFO))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod test_util {
    use rand::SeedableRng;

    /// A deterministic CSPRNG so failures reproduce.
    pub(crate) fn rng(seed: u64) -> rand::rngs::StdRng {
        rand::rngs::StdRng::seed_from_u64(seed)
    }

    pub(crate) fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `debug` must not show `secret` in any common rendering.
    pub(crate) fn assert_no_hex(debug: &str, secret: &[u8]) {
        let lower = hex(secret);
        let d = debug.to_ascii_lowercase();
        assert!(!d.contains(&lower), "{debug}");
        assert!(!d.contains(&lower[..8]), "{debug}");
        assert!(!debug.contains(&format!("{secret:?}")), "{debug}");
        assert!(
            !debug.contains(&format!("{}, {}", secret[0], secret[1])),
            "{debug}"
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::test_util::{assert_no_hex, rng};

    #[test]
    fn tokens_are_random_and_hashable() {
        let mut r = rng(50);
        let a = random_token(&mut r);
        let b = random_token(&mut r);
        assert_ne!(a, b);
        assert_ne!(sha256(&a), a);
        assert_eq!(sha256(&a), sha256(&a));
    }

    #[test]
    fn session_key_round_trip() {
        let mut r = rng(51);
        let token = random_token(&mut r);
        let staff = SecretKey::generate(&mut r);
        let blob = seal_secret_key(&session_key(&token), &staff, b"session", &mut r);
        let back = open_secret_key(&session_key(&token), &blob, b"session").unwrap();
        assert_eq!(back.public_key(), staff.public_key());
        // What the database holds does not open it.
        let stored = sha256(&token);
        assert_ne!(session_key(&token).as_bytes(), &stored);
        assert!(open_secret_key(&session_key(&stored), &blob, b"session").is_err());
    }

    /// The whole hierarchy, end to end, as the application will use it.
    #[test]
    fn case_flow() {
        let mut r = rng(52);
        let server = ServerSecret::generate(&mut r);
        let recovery = SecretKey::generate(&mut r);
        let recovery_text = recovery_key_to_text(&recovery);
        let officer = SecretKey::generate(&mut r);

        // Intake.
        let receipt = Receipt::generate(&mut r);
        let case_key = SymmetricKey::generate(&mut r);
        let identity_key = SymmetricKey::generate(&mut r);
        let content = seal(&case_key, b"report text", b"case:7:content", &mut r);
        let identity = seal(&identity_key, b"name", b"case:7:identity", &mut r);
        let rk = server.receipt_key(&receipt);
        let for_reporter = wrap_key(&rk, &case_key, b"case:7:key:reporter", &mut r);
        let id_for_reporter = wrap_key(&rk, &identity_key, b"case:7:idkey:reporter", &mut r);
        let for_officer = wrap_to_public(
            &officer.public_key(),
            &case_key,
            b"case:7:key:staff:3",
            &mut r,
        );
        let id_for_recovery = wrap_to_public(
            &recovery.public_key(),
            &identity_key,
            b"case:7:idkey:recovery",
            &mut r,
        );
        let lookup = server.receipt_lookup(&receipt);

        // Reporter comes back.
        let typed = Receipt::parse(&receipt.expose().to_lowercase()).unwrap();
        assert_eq!(server.receipt_lookup(&typed), lookup);
        let k = unwrap_key(
            &server.receipt_key(&typed),
            &for_reporter,
            b"case:7:key:reporter",
        )
        .unwrap();
        assert_eq!(
            &*open(&k, &content, b"case:7:content").unwrap(),
            b"report text"
        );
        let ik = unwrap_key(
            &server.receipt_key(&typed),
            &id_for_reporter,
            b"case:7:idkey:reporter",
        )
        .unwrap();
        assert_eq!(&*open(&ik, &identity, b"case:7:identity").unwrap(), b"name");

        // Officer reads; the officer's key cannot open the identity.
        let k = unwrap_with_secret(&officer, &for_officer, b"case:7:key:staff:3").unwrap();
        assert_eq!(
            &*open(&k, &content, b"case:7:content").unwrap(),
            b"report text"
        );
        assert!(open(&k, &identity, b"case:7:identity").is_err());

        // Custodians recover the identity key from the printed kit.
        let rec = recovery_key_from_text(&recovery_text).unwrap();
        let ik = unwrap_with_secret(&rec, &id_for_recovery, b"case:7:idkey:recovery").unwrap();
        assert_eq!(&*open(&ik, &identity, b"case:7:identity").unwrap(), b"name");
    }

    #[test]
    fn every_secret_debug_is_redacted() {
        let k = SymmetricKey::from_bytes([0x11; 32]);
        assert_no_hex(&format!("{k:?}"), k.as_bytes());
        let sk = SecretKey::from_bytes([0x22; 32]);
        assert_no_hex(&format!("{sk:?}"), &*sk.to_bytes());
        let ss = ServerSecret::from_bytes([0x33; 32]);
        assert_no_hex(&format!("{ss:?}"), &*ss.to_bytes());
        let receipt = Receipt::parse("ABCD-EFGH-JKMN-PQRS").unwrap();
        let d = format!("{receipt:?}");
        assert!(!d.contains("ABCD") && !d.contains("PQRS"), "{d}");
    }
}
