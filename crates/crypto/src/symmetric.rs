//! Symmetric keys and XChaCha20-Poly1305 sealing.

use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{Key, KeyInit, Tag, XChaCha20Poly1305, XNonce};
use rand::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::CryptoError;

/// Version byte leading every blob; lets the format evolve without guessing.
pub(crate) const VERSION: u8 = 1;
pub(crate) const NONCE_LEN: usize = 24;
pub(crate) const TAG_LEN: usize = 16;
pub(crate) const KEY_LEN: usize = 32;

/// What a sealed payload is. The label is mixed into the AEAD associated data
/// so that, even under the same key and caller `aad`, a wrapped symmetric key,
/// a sealed secret key and sealed data can never be swapped for one another.
#[derive(Clone, Copy)]
pub(crate) enum Domain {
    Data,
    SymmetricKey,
    SecretKey,
    Chunk,
}

impl Domain {
    fn label(self) -> &'static [u8] {
        match self {
            Domain::Data => b"minhbach data v1",
            Domain::SymmetricKey => b"minhbach symmetric key v1",
            Domain::SecretKey => b"minhbach secret key v1",
            Domain::Chunk => b"minhbach chunk v1",
        }
    }

    /// `label || 0x00 || aad`. Labels contain no NUL, so this is injective.
    fn full_aad(self, aad: &[u8]) -> Vec<u8> {
        let label = self.label();
        let mut v = Vec::with_capacity(label.len() + 1 + aad.len());
        v.extend_from_slice(label);
        v.push(0);
        v.extend_from_slice(aad);
        v
    }
}

/// A 256-bit symmetric key (case key, identity key, key-encryption key).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SymmetricKey([u8; KEY_LEN]);

impl SymmetricKey {
    /// A fresh uniformly random key.
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let mut k = [0u8; KEY_LEN];
        rng.fill_bytes(&mut k);
        Self(k)
    }

    /// Wrap raw key bytes (e.g. from a KDF).
    pub fn from_bytes(b: [u8; KEY_LEN]) -> Self {
        Self(b)
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SymmetricKey(<redacted>)")
    }
}

/// Encrypt `plaintext` and append `nonce || ciphertext || tag` to `out`
/// (which already holds the blob header).
pub(crate) fn seal_into(
    out: &mut Vec<u8>,
    key: &[u8; KEY_LEN],
    domain: Domain,
    plaintext: &[u8],
    aad: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    // Reserve everything up front: a reallocation would leave a plaintext
    // copy behind in freed memory.
    out.reserve_exact(NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    let start = out.len();
    out.extend_from_slice(plaintext);
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
    let tag = match cipher.encrypt_in_place_detached(
        XNonce::from_slice(&nonce),
        &domain.full_aad(aad),
        &mut out[start..],
    ) {
        Ok(t) => t,
        // Only refused for messages over 256 GiB, which cannot be in memory here.
        Err(_) => unreachable!("XChaCha20-Poly1305 message length limit exceeded"),
    };
    out.extend_from_slice(&tag);
}

/// Decrypt `nonce || ciphertext || tag`.
pub(crate) fn open_body(
    key: &[u8; KEY_LEN],
    domain: Domain,
    body: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if body.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed);
    }
    let (nonce, rest) = body.split_at(NONCE_LEN);
    let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
    let mut buf = Zeroizing::new(ct.to_vec());
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
    cipher
        .decrypt_in_place_detached(
            XNonce::from_slice(nonce),
            &domain.full_aad(aad),
            buf.as_mut_slice(),
            Tag::from_slice(tag),
        )
        .map_err(|_| CryptoError::Decrypt)?;
    Ok(buf)
}

/// Split off and check the version byte.
pub(crate) fn strip_version(blob: &[u8]) -> Result<&[u8], CryptoError> {
    match blob.split_first() {
        Some((&VERSION, rest)) => Ok(rest),
        _ => Err(CryptoError::Malformed),
    }
}

/// Turn exactly 32 decrypted bytes into a key array.
pub(crate) fn key_bytes(pt: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
    let mut k = Zeroizing::new([0u8; KEY_LEN]);
    if pt.len() != KEY_LEN {
        // Authentic but not a key: only possible if our own code sealed the
        // wrong thing, so report it as malformed rather than as tampering.
        return Err(CryptoError::Malformed);
    }
    k.copy_from_slice(pt);
    Ok(k)
}

pub(crate) fn seal_domain(
    key: &SymmetricKey,
    domain: Domain,
    plaintext: &[u8],
    aad: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
    out.push(VERSION);
    seal_into(&mut out, key.as_bytes(), domain, plaintext, aad, rng);
    out
}

pub(crate) fn open_domain(
    key: &SymmetricKey,
    domain: Domain,
    blob: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    open_body(key.as_bytes(), domain, strip_version(blob)?, aad)
}

/// XChaCha20-Poly1305 with a random 24-byte nonce.
///
/// Output: `0x01 || nonce(24) || ciphertext || tag(16)`. `aad` binds the blob
/// to its place (e.g. `b"case:<uuid>:content"`), so a blob copied to another
/// row no longer opens.
pub fn seal(
    key: &SymmetricKey,
    plaintext: &[u8],
    aad: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    seal_domain(key, Domain::Data, plaintext, aad, rng)
}

/// Inverse of [`seal`]. `Malformed` for a short blob or unknown version,
/// `Decrypt` for anything that does not authenticate.
pub fn open(
    key: &SymmetricKey,
    blob: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    open_domain(key, Domain::Data, blob, aad)
}

/// Seal a symmetric key under a key-encryption key (same format as [`seal`]).
pub fn wrap_key(
    kek: &SymmetricKey,
    key: &SymmetricKey,
    aad: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    seal_domain(kek, Domain::SymmetricKey, key.as_bytes(), aad, rng)
}

/// Inverse of [`wrap_key`].
pub fn unwrap_key(
    kek: &SymmetricKey,
    blob: &[u8],
    aad: &[u8],
) -> Result<SymmetricKey, CryptoError> {
    let pt = open_domain(kek, Domain::SymmetricKey, blob, aad)?;
    Ok(SymmetricKey::from_bytes(*key_bytes(&pt)?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::test_util::{assert_no_hex, rng};
    use proptest::prelude::*;

    #[test]
    fn seal_round_trip_and_format() {
        let mut r = rng(1);
        let k = SymmetricKey::generate(&mut r);
        let blob = seal(&k, b"hello", b"case:1:content", &mut r);
        assert_eq!(blob[0], 1);
        assert_eq!(blob.len(), 1 + 24 + 5 + 16);
        assert_eq!(&*open(&k, &blob, b"case:1:content").unwrap(), b"hello");
    }

    #[test]
    fn nonces_differ() {
        let mut r = rng(2);
        let k = SymmetricKey::generate(&mut r);
        assert_ne!(seal(&k, b"x", b"", &mut r), seal(&k, b"x", b"", &mut r));
    }

    #[test]
    fn seal_failures() {
        let mut r = rng(3);
        let k = SymmetricKey::generate(&mut r);
        let other = SymmetricKey::generate(&mut r);
        let blob = seal(&k, b"secret text", b"aad", &mut r);
        assert_eq!(
            open(&other, &blob, b"aad").unwrap_err(),
            CryptoError::Decrypt
        );
        assert_eq!(open(&k, &blob, b"aae").unwrap_err(), CryptoError::Decrypt);
        for i in 1..blob.len() {
            let mut b = blob.clone();
            b[i] ^= 0x01;
            assert_eq!(
                open(&k, &b, b"aad").unwrap_err(),
                CryptoError::Decrypt,
                "bit {i}"
            );
        }
        let mut b = blob.clone();
        b[0] = 2;
        assert_eq!(open(&k, &b, b"aad").unwrap_err(), CryptoError::Malformed);
        for n in 0..blob.len() {
            assert!(open(&k, &blob[..n], b"aad").is_err(), "truncated to {n}");
        }
        for n in 0..(1 + NONCE_LEN + TAG_LEN) {
            assert_eq!(
                open(&k, &blob[..n], b"aad").unwrap_err(),
                CryptoError::Malformed
            );
        }
    }

    #[test]
    fn wrap_round_trip_and_failures() {
        let mut r = rng(4);
        let kek = SymmetricKey::generate(&mut r);
        let k = SymmetricKey::generate(&mut r);
        let blob = wrap_key(&kek, &k, b"case:1:key", &mut r);
        assert_eq!(blob.len(), 1 + 24 + 32 + 16);
        let back = unwrap_key(&kek, &blob, b"case:1:key").unwrap();
        assert_eq!(back.as_bytes(), k.as_bytes());
        let other = SymmetricKey::generate(&mut r);
        assert_eq!(
            unwrap_key(&other, &blob, b"case:1:key").unwrap_err(),
            CryptoError::Decrypt
        );
        assert_eq!(
            unwrap_key(&kek, &blob, b"case:2:key").unwrap_err(),
            CryptoError::Decrypt
        );
        let mut b = blob.clone();
        b[40] ^= 0x80;
        assert_eq!(
            unwrap_key(&kek, &b, b"case:1:key").unwrap_err(),
            CryptoError::Decrypt
        );
        assert!(unwrap_key(&kek, &blob[..blob.len() - 1], b"case:1:key").is_err());
        assert!(unwrap_key(&kek, &[], b"case:1:key").is_err());
    }

    #[test]
    fn domains_are_separated() {
        let mut r = rng(5);
        let kek = SymmetricKey::generate(&mut r);
        let k = SymmetricKey::generate(&mut r);
        // A sealed 32-byte payload is not a wrapped key, and vice versa.
        let data = seal(&kek, k.as_bytes(), b"x", &mut r);
        assert_eq!(
            unwrap_key(&kek, &data, b"x").unwrap_err(),
            CryptoError::Decrypt
        );
        let wrapped = wrap_key(&kek, &k, b"x", &mut r);
        assert_eq!(
            open(&kek, &wrapped, b"x").unwrap_err(),
            CryptoError::Decrypt
        );
    }

    #[test]
    fn debug_is_redacted() {
        let k = SymmetricKey::from_bytes([0xab; 32]);
        let d = format!("{k:?}");
        assert_no_hex(&d, k.as_bytes());
        assert!(d.contains("redacted"));
    }

    proptest! {
        #[test]
        fn seal_open_round_trip(
            pt in proptest::collection::vec(any::<u8>(), 0..2048),
            aad in proptest::collection::vec(any::<u8>(), 0..128),
            seed in any::<u64>(),
        ) {
            let mut r = rng(seed);
            let k = SymmetricKey::generate(&mut r);
            let blob = seal(&k, &pt, &aad, &mut r);
            prop_assert_eq!(blob.len(), 1 + NONCE_LEN + pt.len() + TAG_LEN);
            prop_assert_eq!(&*open(&k, &blob, &aad).unwrap(), &pt[..]);
            let mut wrong = aad.clone();
            wrong.push(0);
            prop_assert_eq!(open(&k, &blob, &wrong).unwrap_err(), CryptoError::Decrypt);
        }

        #[test]
        fn open_never_panics(blob in proptest::collection::vec(any::<u8>(), 0..128)) {
            let k = SymmetricKey::from_bytes([7; 32]);
            prop_assert!(open(&k, &blob, b"").is_err());
            prop_assert!(unwrap_key(&k, &blob, b"").is_err());
        }
    }
}
