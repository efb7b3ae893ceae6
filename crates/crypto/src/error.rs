//! The one error type of the crate.

/// Why a cryptographic operation failed.
///
/// The variants are deliberately coarse: callers must not learn (and must not
/// show) *why* a decryption failed beyond "it did not authenticate".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// Authentication failed: wrong key, wrong associated data, tampered
    /// ciphertext, or a non-contributory key exchange.
    #[error("decryption failed (wrong key, wrong context or tampered data)")]
    Decrypt,
    /// The blob or key encoding is structurally invalid (too short, unknown
    /// version byte, wrong length).
    #[error("malformed encrypted data or key encoding")]
    Malformed,
    /// The text is not a well-formed receipt.
    #[error("invalid receipt")]
    BadReceipt,
    /// The text is not a well-formed recovery key, or its checksum is wrong.
    #[error("invalid recovery key")]
    BadRecoveryKey,
    /// Argon2 rejected the parameters or the salt.
    #[error("password hashing failed")]
    Password,
    /// Fewer distinct shares than the threshold, or an impossible k of n.
    #[error("not enough shares or an invalid threshold")]
    Threshold,
}
