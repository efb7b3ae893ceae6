//! X25519 keys and sealing to a public key.

use curve25519_dalek::edwards::{EdwardsBasepointTable, EdwardsPoint};
use curve25519_dalek::montgomery::MontgomeryPoint;
use curve25519_dalek::traits::BasepointTable;
use rand::{CryptoRng, RngCore};
use x25519_dalek::{EphemeralSecret, StaticSecret};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::kdf::hkdf_sha256;
use crate::symmetric::{
    key_bytes, open_body, open_domain, seal_domain, seal_into, strip_version, Domain, NONCE_LEN,
    TAG_LEN, VERSION,
};
use crate::{CryptoError, SymmetricKey};

/// HKDF info for the key that protects a public-key wrap.
const WRAP_INFO: &[u8] = b"minhbach wrap v1";

/// An X25519 public key. Not secret, so `Debug` prints it in hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(b)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// From a database column; anything but exactly 32 bytes is `Malformed`.
    pub fn try_from_slice(b: &[u8]) -> Result<Self, CryptoError> {
        <[u8; 32]>::try_from(b)
            .map(Self)
            .map_err(|_| CryptoError::Malformed)
    }

    fn dalek(&self) -> x25519_dalek::PublicKey {
        x25519_dalek::PublicKey::from(self.0)
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PublicKey(")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// An X25519 static secret (a staff member's key, or the recovery key).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey(StaticSecret);

impl SecretKey {
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        Self(StaticSecret::random_from_rng(rng))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(x25519_dalek::PublicKey::from(&self.0).to_bytes())
    }

    /// The raw (unclamped) scalar bytes, exactly as given to [`Self::from_bytes`].
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    pub fn from_bytes(b: [u8; 32]) -> Self {
        // Clamping happens inside x25519-dalek at use, so any 32 bytes are valid.
        Self(StaticSecret::from(b))
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The AEAD key for a public-key wrap: HKDF-SHA256 over the X25519 output,
/// salted with both public keys so the key is bound to this exact pair.
fn wrap_kek(shared: &[u8; 32], ephemeral: &[u8; 32], recipient: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral);
    salt[32..].copy_from_slice(recipient);
    hkdf_sha256(Some(&salt), shared, WRAP_INFO)
}

/// `0x01 || ephemeral_pub(32) || nonce(24) || ct || tag(16)`.
fn seal_to_public(
    recipient: &PublicKey,
    domain: Domain,
    plaintext: &[u8],
    aad: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    let eph = EphemeralSecret::random_from_rng(&mut *rng);
    let eph_pub = x25519_dalek::PublicKey::from(&eph).to_bytes();
    let shared = eph.diffie_hellman(&recipient.dalek());
    seal_with_shared(
        recipient,
        &eph_pub,
        shared.was_contributory().then_some(shared.as_bytes()),
        domain,
        plaintext,
        aad,
        rng,
    )
}

/// The rest of [`seal_to_public`] once the X25519 shared secret is known (`None`: it was not
/// contributory).
fn seal_with_shared(
    recipient: &PublicKey,
    eph_pub: &[u8; 32],
    shared: Option<&[u8; 32]>,
    domain: Domain,
    plaintext: &[u8],
    aad: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    let kek = if let Some(shared) = shared {
        wrap_kek(shared, eph_pub, recipient.as_bytes())
    } else {
        // A low-order recipient key makes the shared secret public (all
        // zero). We cannot return an error here, so fail closed: encrypt
        // under a throw-away random key, which nobody can ever unwrap.
        let mut k = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(k.as_mut());
        k
    };
    let mut out = Vec::with_capacity(1 + 32 + NONCE_LEN + plaintext.len() + TAG_LEN);
    out.push(VERSION);
    out.extend_from_slice(eph_pub);
    seal_into(&mut out, &kek, domain, plaintext, aad, rng);
    out
}

/// A recipient's public key with a precomputed multiplication table, for wrapping many keys to
/// the same recipient (each custodian receives a share at every named submission).
///
/// X25519 of a secret `k` and a public `u` is the u-coordinate of `[clamp(k)]P`, where `P` is
/// either Edwards point with that u-coordinate (the sign does not change the result). With a
/// table of multiples of `P` that is a fixed-base multiplication, several times faster than
/// the Montgomery ladder, and constant-time like it. The blobs are exactly those of
/// [`wrap_to_public`] and open with [`unwrap_with_secret`].
pub struct PreparedPublicKey {
    key: PublicKey,
    table: Box<EdwardsBasepointTable>,
}

impl PreparedPublicKey {
    /// `Malformed` if the key is not the u-coordinate of a curve point.
    pub fn new(key: &PublicKey) -> Result<Self, CryptoError> {
        let point = MontgomeryPoint(key.0)
            .to_edwards(0)
            .ok_or(CryptoError::Malformed)?;
        Ok(Self {
            key: *key,
            table: Box::new(EdwardsBasepointTable::create(&point)),
        })
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// X25519(`secret`, this key).
    fn diffie_hellman(&self, secret: &[u8; 32]) -> [u8; 32] {
        self.table
            .mul_base_clamped(*secret)
            .to_montgomery()
            .to_bytes()
    }
}

impl std::fmt::Debug for PreparedPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PreparedPublicKey").field(&self.key).finish()
    }
}

/// [`wrap_to_public`] to a prepared key: the same blob, computed faster.
pub fn wrap_to_prepared(
    recipient: &PreparedPublicKey,
    key: &SymmetricKey,
    aad: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    let mut eph = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(eph.as_mut());
    let eph_pub = EdwardsPoint::mul_base_clamped(*eph)
        .to_montgomery()
        .to_bytes();
    let shared = Zeroizing::new(recipient.diffie_hellman(&eph));
    // All zero: a low-order recipient key; fail closed as seal_to_public does.
    let contributory = shared.iter().any(|b| *b != 0);
    seal_with_shared(
        &recipient.key,
        &eph_pub,
        contributory.then_some(&*shared),
        Domain::SymmetricKey,
        key.as_bytes(),
        aad,
        rng,
    )
}

fn open_with_secret(
    secret: &SecretKey,
    domain: Domain,
    blob: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let rest = strip_version(blob)?;
    if rest.len() < 32 + NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed);
    }
    let (eph, body) = rest.split_at(32);
    let eph = PublicKey::try_from_slice(eph)?;
    let shared = secret.0.diffie_hellman(&eph.dalek());
    if !shared.was_contributory() {
        // An attacker-chosen low-order ephemeral key would let anyone
        // predict the key; refuse it like any other forgery.
        return Err(CryptoError::Decrypt);
    }
    let kek = wrap_kek(
        shared.as_bytes(),
        eph.as_bytes(),
        secret.public_key().as_bytes(),
    );
    open_body(&kek, domain, body, aad)
}

/// Wrap a symmetric key to a public key (ephemeral-static X25519 + HKDF +
/// XChaCha20-Poly1305).
pub fn wrap_to_public(
    recipient: &PublicKey,
    key: &SymmetricKey,
    aad: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    seal_to_public(recipient, Domain::SymmetricKey, key.as_bytes(), aad, rng)
}

/// Inverse of [`wrap_to_public`].
pub fn unwrap_with_secret(
    secret: &SecretKey,
    blob: &[u8],
    aad: &[u8],
) -> Result<SymmetricKey, CryptoError> {
    let pt = open_with_secret(secret, Domain::SymmetricKey, blob, aad)?;
    Ok(SymmetricKey::from_bytes(*key_bytes(&pt)?))
}

/// Seal an X25519 secret key under a symmetric KEK (format of [`crate::seal`]).
pub fn seal_secret_key(
    kek: &SymmetricKey,
    sk: &SecretKey,
    aad: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    seal_domain(kek, Domain::SecretKey, sk.0.as_bytes(), aad, rng)
}

/// Inverse of [`seal_secret_key`].
pub fn open_secret_key(
    kek: &SymmetricKey,
    blob: &[u8],
    aad: &[u8],
) -> Result<SecretKey, CryptoError> {
    let pt = open_domain(kek, Domain::SecretKey, blob, aad)?;
    Ok(SecretKey::from_bytes(*key_bytes(&pt)?))
}

/// Seal an X25519 secret key to a public key (format of [`wrap_to_public`]).
pub fn seal_secret_key_to_public(
    recipient: &PublicKey,
    sk: &SecretKey,
    aad: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    seal_to_public(recipient, Domain::SecretKey, sk.0.as_bytes(), aad, rng)
}

/// Inverse of [`seal_secret_key_to_public`].
pub fn open_secret_key_with_secret(
    secret: &SecretKey,
    blob: &[u8],
    aad: &[u8],
) -> Result<SecretKey, CryptoError> {
    let pt = open_with_secret(secret, Domain::SecretKey, blob, aad)?;
    Ok(SecretKey::from_bytes(*key_bytes(&pt)?))
}

#[cfg(test)]
mod prepared_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::test_util::rng;

    /// The fixed-base Diffie–Hellman equals X25519 for random secrets and recipients, and a
    /// blob wrapped to a prepared key opens like any public-key wrap.
    #[test]
    fn a_prepared_key_computes_x25519_and_its_blobs_open_with_the_secret_key() {
        let mut r = rng(77);
        for _ in 0..64 {
            let sk = SecretKey::generate(&mut r);
            let prepared = PreparedPublicKey::new(&sk.public_key()).unwrap();
            let mut k = [0u8; 32];
            r.fill_bytes(&mut k);
            let expected = x25519_dalek::x25519(k, *sk.public_key().as_bytes());
            assert_eq!(prepared.diffie_hellman(&k), expected);
            let key = SymmetricKey::generate(&mut r);
            let blob = wrap_to_prepared(&prepared, &key, b"aad", &mut r);
            let opened = unwrap_with_secret(&sk, &blob, b"aad").unwrap();
            assert_eq!(opened.as_bytes(), key.as_bytes());
            assert!(unwrap_with_secret(&sk, &blob, b"other").is_err());
            let stranger = SecretKey::generate(&mut r);
            assert!(unwrap_with_secret(&stranger, &blob, b"aad").is_err());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::test_util::{assert_no_hex, rng};

    #[test]
    fn public_key_helpers() {
        let mut r = rng(10);
        let sk = SecretKey::generate(&mut r);
        let pk = sk.public_key();
        assert_eq!(PublicKey::try_from_slice(pk.as_bytes()).unwrap(), pk);
        assert_eq!(PublicKey::from_bytes(*pk.as_bytes()), pk);
        assert_eq!(
            PublicKey::try_from_slice(&[0; 31]).unwrap_err(),
            CryptoError::Malformed
        );
        assert_eq!(
            PublicKey::try_from_slice(&[0; 33]).unwrap_err(),
            CryptoError::Malformed
        );
        let d = format!("{pk:?}");
        assert!(d.contains(&crate::test_util::hex(pk.as_bytes())));
    }

    #[test]
    fn secret_key_bytes_round_trip() {
        let mut r = rng(11);
        let sk = SecretKey::generate(&mut r);
        let again = SecretKey::from_bytes(*sk.to_bytes());
        assert_eq!(again.public_key(), sk.public_key());
        assert_eq!(*again.to_bytes(), *sk.to_bytes());
        // Unclamped bytes survive unchanged.
        assert_eq!(*SecretKey::from_bytes([0xff; 32]).to_bytes(), [0xff; 32]);
    }

    #[test]
    fn wrap_to_public_round_trip_and_failures() {
        let mut r = rng(12);
        let sk = SecretKey::generate(&mut r);
        let other = SecretKey::generate(&mut r);
        let k = SymmetricKey::generate(&mut r);
        let blob = wrap_to_public(&sk.public_key(), &k, b"case:1:staff:2", &mut r);
        assert_eq!(blob[0], 1);
        assert_eq!(blob.len(), 1 + 32 + 24 + 32 + 16);
        let back = unwrap_with_secret(&sk, &blob, b"case:1:staff:2").unwrap();
        assert_eq!(back.as_bytes(), k.as_bytes());
        // A wrap for one public key cannot be unwrapped by another secret key.
        assert_eq!(
            unwrap_with_secret(&other, &blob, b"case:1:staff:2").unwrap_err(),
            CryptoError::Decrypt
        );
        assert_eq!(
            unwrap_with_secret(&sk, &blob, b"case:1:staff:3").unwrap_err(),
            CryptoError::Decrypt
        );
        for i in 1..blob.len() {
            let mut b = blob.clone();
            b[i] ^= 0x04;
            assert!(
                unwrap_with_secret(&sk, &b, b"case:1:staff:2").is_err(),
                "byte {i}"
            );
        }
        for n in 0..blob.len() {
            assert!(unwrap_with_secret(&sk, &blob[..n], b"case:1:staff:2").is_err());
        }
        let mut b = blob.clone();
        b[0] = 0;
        assert_eq!(
            unwrap_with_secret(&sk, &b, b"case:1:staff:2").unwrap_err(),
            CryptoError::Malformed
        );
    }

    #[test]
    fn low_order_points_are_rejected() {
        let mut r = rng(13);
        let sk = SecretKey::generate(&mut r);
        let k = SymmetricKey::generate(&mut r);
        let mut blob = wrap_to_public(&sk.public_key(), &k, b"", &mut r);
        // Replace the ephemeral key with the identity point (all zero).
        blob[1..33].fill(0);
        assert_eq!(
            unwrap_with_secret(&sk, &blob, b"").unwrap_err(),
            CryptoError::Decrypt
        );

        // Wrapping to a low-order recipient must not use the public zero
        // secret: recompute that KEK and check it does not open the blob.
        let zero = PublicKey::from_bytes([0; 32]);
        let blob = wrap_to_public(&zero, &k, b"", &mut r);
        let eph: [u8; 32] = blob[1..33].try_into().unwrap();
        let kek = wrap_kek(&[0; 32], &eph, &[0; 32]);
        assert_eq!(
            open_body(&kek, Domain::SymmetricKey, &blob[33..], b"").unwrap_err(),
            CryptoError::Decrypt
        );
    }

    #[test]
    fn secret_key_sealing_round_trips() {
        let mut r = rng(14);
        let staff = SecretKey::generate(&mut r);
        let kek = SymmetricKey::generate(&mut r);
        let recovery = SecretKey::generate(&mut r);

        let blob = seal_secret_key(&kek, &staff, b"staff:1:sk", &mut r);
        let back = open_secret_key(&kek, &blob, b"staff:1:sk").unwrap();
        assert_eq!(back.public_key(), staff.public_key());
        assert_eq!(
            open_secret_key(&SymmetricKey::generate(&mut r), &blob, b"staff:1:sk").unwrap_err(),
            CryptoError::Decrypt
        );
        assert_eq!(
            open_secret_key(&kek, &blob, b"staff:2:sk").unwrap_err(),
            CryptoError::Decrypt
        );
        assert!(open_secret_key(&kek, &blob[..10], b"staff:1:sk").is_err());
        // A sealed secret key is not a wrapped symmetric key.
        assert_eq!(
            crate::unwrap_key(&kek, &blob, b"staff:1:sk").unwrap_err(),
            CryptoError::Decrypt
        );

        let blob = seal_secret_key_to_public(&recovery.public_key(), &staff, b"staff:1:rk", &mut r);
        assert_eq!(blob.len(), 1 + 32 + 24 + 32 + 16);
        let back = open_secret_key_with_secret(&recovery, &blob, b"staff:1:rk").unwrap();
        assert_eq!(back.public_key(), staff.public_key());
        assert_eq!(
            open_secret_key_with_secret(&staff, &blob, b"staff:1:rk").unwrap_err(),
            CryptoError::Decrypt
        );
        assert_eq!(
            open_secret_key_with_secret(&recovery, &blob, b"staff:2:rk").unwrap_err(),
            CryptoError::Decrypt
        );
        let mut b = blob.clone();
        b[50] ^= 1;
        assert!(open_secret_key_with_secret(&recovery, &b, b"staff:1:rk").is_err());
        assert!(open_secret_key_with_secret(&recovery, &blob[..60], b"staff:1:rk").is_err());
        assert_eq!(
            unwrap_with_secret(&recovery, &blob, b"staff:1:rk").unwrap_err(),
            CryptoError::Decrypt
        );
    }

    #[test]
    fn debug_is_redacted() {
        let sk = SecretKey::from_bytes([0x5c; 32]);
        let d = format!("{sk:?}");
        assert_no_hex(&d, &*sk.to_bytes());
        assert!(d.contains("redacted"));
    }
}
