// Why `blahaj`: it is the maintained fork of `sharks` (no release since 2021, and its random
// coefficients were never zero, so k-1 shares could rule out key bytes; blahaj 0.6 fixed that).
// It shares byte by byte over GF(2^8), so a 32-byte key gives 32-byte shares, depends only on
// `rand`, `hashbrown` and `zeroize`, wipes its shares and takes our RNG; 0.6 uses rand 0.8 like us.

//! k-of-n secret sharing of a symmetric key: the reporter identity vault.
//!
//! The identity key of a case is split into `n` shares, one per custodian,
//! and any `k` of them rebuild it. A handler gets the key only after `k`
//! custodians approve a justified request, each approval re-wrapping that
//! custodian's share to the handler's public key ([`wrap_share_to_public`]).
//!
//! The arithmetic is Shamir's scheme over GF(2^8) (reduction polynomial
//! `0x11d`), one random polynomial of degree `k - 1` per key byte, done by the
//! `blahaj` crate. Share `i` is the point `x = i` (1..=255). Fewer than `k`
//! shares say nothing at all about the key: every key is equally consistent
//! with them. So [`combine_key`] must count the shares itself, because the
//! arithmetic would happily "rebuild" a wrong key from too few.

use blahaj::Sharks;
use rand::{CryptoRng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::symmetric::{key_bytes, KEY_LEN};
use crate::{unwrap_with_secret, wrap_to_public, CryptoError, PublicKey, SecretKey, SymmetricKey};

/// Version byte leading an encoded share and a wrapped share.
const SHARE_VERSION: u8 = 1;

/// `version || index || value`.
const SHARE_LEN: usize = 2 + KEY_LEN;

/// Leads the associated data of a wrapped share (see [`share_aad`]).
const SHARE_AAD_LABEL: &[u8] = b"minhbach share v1";

/// Returned for impossible sharing parameters and for too few distinct shares.
const THRESHOLD_ERROR: CryptoError = CryptoError::Threshold;

/// One custodian's share of a key: the point `(index, f(index))` of the
/// sharing polynomials, one byte of `value` per key byte.
///
/// The index is not secret (store it next to the custodian's wrap); the value
/// is, and is wiped on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Share {
    index: u8,
    value: [u8; KEY_LEN],
}

impl Share {
    /// The share's x coordinate, 1..=255. Distinct shares of one key have
    /// distinct indexes.
    pub fn index(&self) -> u8 {
        self.index
    }

    /// `0x01 || index || value (32)`, 34 bytes: self-describing, so a share
    /// can be sealed or stored as an opaque blob and rebuilt by
    /// [`Self::from_bytes`].
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut b = Zeroizing::new(Vec::with_capacity(SHARE_LEN));
        b.push(SHARE_VERSION);
        b.push(self.index);
        b.extend_from_slice(&self.value);
        b
    }

    /// Inverse of [`Self::to_bytes`]. `Malformed` for a wrong length, an
    /// unknown version or index 0 (the point `x = 0` is the key itself, so
    /// no genuine share has it).
    pub fn from_bytes(b: &[u8]) -> Result<Self, CryptoError> {
        match b {
            [SHARE_VERSION, point @ ..] => point_to_share(point),
            _ => Err(CryptoError::Malformed),
        }
    }
}

impl std::fmt::Debug for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Share({}, <redacted>)", self.index)
    }
}

/// `index || value (32)` (the `blahaj` byte form) into a [`Share`].
fn point_to_share(point: &[u8]) -> Result<Share, CryptoError> {
    match point {
        [index, value @ ..] if *index != 0 && value.len() == KEY_LEN => {
            // Copy straight into the share rather than through a temporary
            // array, which would leave a copy of the value on the stack.
            let mut share = Share {
                index: *index,
                value: [0; KEY_LEN],
            };
            share.value.copy_from_slice(value);
            Ok(share)
        }
        _ => Err(CryptoError::Malformed),
    }
}

/// A [`Share`] as a `blahaj` share. Goes through the byte form because the
/// crate's field type cannot be named from outside it.
fn to_blahaj(share: &Share) -> Result<blahaj::Share, CryptoError> {
    let mut point = Zeroizing::new(Vec::with_capacity(1 + KEY_LEN));
    point.push(share.index);
    point.extend_from_slice(&share.value);
    blahaj::Share::try_from(point.as_slice()).map_err(|_| CryptoError::Malformed)
}

/// Split `key` into `shares` shares, any `threshold` of which rebuild it
/// (indexes `1..=shares`).
///
/// Refused (the threshold error, currently `Malformed`) when `threshold` is
/// 0 or greater than `shares`, which includes `shares == 0`. A threshold of 1
/// is allowed and means what it says: every share then *is* the key.
pub fn split_key(
    key: &SymmetricKey,
    threshold: u8,
    shares: u8,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<Share>, CryptoError> {
    if threshold == 0 || threshold > shares {
        return Err(THRESHOLD_ERROR);
    }
    // The dealer yields the points x = 1, 2, ..., 255 in order; `shares` is
    // a u8, so `take` never runs past them.
    Sharks(threshold)
        .dealer_rng(key.as_bytes(), rng)
        .take(usize::from(shares))
        .map(|point| point_to_share(&Zeroizing::new(Vec::from(&point))))
        .collect()
}

/// Rebuild a key from at least `threshold` distinct shares.
///
/// The same share given twice counts once. Refused with the threshold error
/// (currently `Malformed`) when `threshold` is 0 or fewer than `threshold`
/// distinct indexes are given: the arithmetic cannot tell, and would return
/// a wrong key. Two different values under one index are `Malformed` too (one
/// of them is corrupt or forged, and we cannot tell which).
///
/// A forged or corrupt share among enough genuine ones yields a wrong key,
/// not an error. That is caught where the key is used: the sealed identity
/// then fails to authenticate.
pub fn combine_key(shares: &[Share], threshold: u8) -> Result<SymmetricKey, CryptoError> {
    if threshold == 0 {
        return Err(THRESHOLD_ERROR);
    }
    let mut distinct: Vec<&Share> = Vec::with_capacity(shares.len());
    for share in shares {
        match distinct.iter().find(|d| d.index == share.index) {
            None => distinct.push(share),
            // Interpolating a point twice would cancel it out (x + x = 0 in
            // GF(2^8)), so a repeated share must be dropped, not kept.
            Some(seen) if bool::from(seen.value.ct_eq(&share.value)) => {}
            Some(_) => return Err(CryptoError::Malformed),
        }
    }
    if distinct.len() < usize::from(threshold) {
        return Err(THRESHOLD_ERROR);
    }
    let points = distinct
        .into_iter()
        .map(to_blahaj)
        .collect::<Result<Vec<_>, _>>()?;
    let secret = Zeroizing::new(
        Sharks(threshold)
            .recover(&points)
            .map_err(|_| THRESHOLD_ERROR)?,
    );
    Ok(SymmetricKey::from_bytes(*key_bytes(&secret)?))
}

/// The associated data a share is wrapped under:
/// `"minhbach share v1" || 0x00 || index || aad`.
///
/// The label keeps a wrapped share from opening as a wrapped key (or the
/// reverse) unless a caller's own `aad` began with it, which no place name
/// does. The index is bound so that it cannot be swapped in the clear header.
fn share_aad(index: u8, aad: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(SHARE_AAD_LABEL.len() + 2 + aad.len());
    v.extend_from_slice(SHARE_AAD_LABEL);
    v.push(0);
    v.push(index);
    v.extend_from_slice(aad);
    v
}

/// Wrap a share to a custodian's or handler's public key.
///
/// Output: `0x01 || index || wrap_to_public(value, share_aad(index, aad))`,
/// 107 bytes. The 32-byte value travels as a [`wrap_to_public`] key and the
/// index in clear but authenticated, so the X25519 wrap is reused unchanged.
/// `aad` names the place the blob is stored, as for every other blob.
pub fn wrap_share_to_public(
    recipient: &PublicKey,
    share: &Share,
    aad: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    let value = SymmetricKey::from_bytes(share.value);
    let wrapped = wrap_to_public(recipient, &value, &share_aad(share.index, aad), rng);
    share_blob(share, wrapped)
}

/// [`wrap_share_to_public`] to a prepared key (a custodian's, at every named submission): the
/// same blob, computed faster.
pub fn wrap_share_to_prepared(
    recipient: &crate::PreparedPublicKey,
    share: &Share,
    aad: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    let value = SymmetricKey::from_bytes(share.value);
    let wrapped = crate::wrap_to_prepared(recipient, &value, &share_aad(share.index, aad), rng);
    share_blob(share, wrapped)
}

fn share_blob(share: &Share, wrapped: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + wrapped.len());
    out.push(SHARE_VERSION);
    out.push(share.index);
    out.extend_from_slice(&wrapped);
    out
}

/// Inverse of [`wrap_share_to_public`]. `Malformed` for a short blob, an
/// unknown version or index 0; `Decrypt` for a wrong key, a wrong `aad`, a
/// changed index or any tampering.
pub fn unwrap_share_with_secret(
    secret: &SecretKey,
    wrapped: &[u8],
    aad: &[u8],
) -> Result<Share, CryptoError> {
    let (index, blob) = match wrapped {
        [SHARE_VERSION, index, blob @ ..] if *index != 0 => (*index, blob),
        _ => return Err(CryptoError::Malformed),
    };
    let value = unwrap_with_secret(secret, blob, &share_aad(index, aad))?;
    let mut share = Share {
        index,
        value: [0; KEY_LEN],
    };
    share.value.copy_from_slice(value.as_bytes());
    Ok(share)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::test_util::{assert_no_hex, rng};
    use proptest::prelude::*;
    use rand::seq::SliceRandom;
    // Named, because proptest's prelude brings another `RngCore` into the glob.
    use rand::RngCore;

    #[test]
    fn split_and_combine_round_trip() {
        let mut r = rng(60);
        let key = SymmetricKey::generate(&mut r);
        let shares = split_key(&key, 3, 5, &mut r).unwrap();
        let indexes: Vec<u8> = shares.iter().map(Share::index).collect();
        assert_eq!(indexes, [1, 2, 3, 4, 5]);
        for s in &shares {
            assert_ne!(&s.value, key.as_bytes());
        }
        for subset in [&shares[..3], &shares[2..], &shares[1..4], &shares[..]] {
            let back = combine_key(subset, 3).unwrap();
            assert_eq!(back.as_bytes(), key.as_bytes());
        }
        let picked = [shares[4].clone(), shares[0].clone(), shares[2].clone()];
        assert_eq!(combine_key(&picked, 3).unwrap().as_bytes(), key.as_bytes());
        // A second split of the same key gives unrelated shares.
        let again = split_key(&key, 3, 5, &mut r).unwrap();
        assert_ne!(again[0].value, shares[0].value);
    }

    #[test]
    fn impossible_parameters_are_refused() {
        let mut r = rng(61);
        let key = SymmetricKey::generate(&mut r);
        for (k, n) in [(0, 0), (0, 5), (1, 0), (6, 5), (255, 254)] {
            assert_eq!(
                split_key(&key, k, n, &mut r).unwrap_err(),
                THRESHOLD_ERROR,
                "{k} of {n}"
            );
        }
        let shares = split_key(&key, 2, 3, &mut r).unwrap();
        assert_eq!(combine_key(&shares, 0).unwrap_err(), THRESHOLD_ERROR);
        assert_eq!(combine_key(&[], 1).unwrap_err(), THRESHOLD_ERROR);
    }

    #[test]
    fn threshold_one_makes_every_share_the_key() {
        let mut r = rng(62);
        let key = SymmetricKey::generate(&mut r);
        let shares = split_key(&key, 1, 4, &mut r).unwrap();
        for s in &shares {
            assert_eq!(&s.value, key.as_bytes());
            let back = combine_key(std::slice::from_ref(s), 1).unwrap();
            assert_eq!(back.as_bytes(), key.as_bytes());
        }
    }

    #[test]
    fn too_few_shares_are_refused() {
        let mut r = rng(63);
        let key = SymmetricKey::generate(&mut r);
        let shares = split_key(&key, 3, 5, &mut r).unwrap();
        for i in 0..5 {
            assert_eq!(combine_key(&shares[i..=i], 3).unwrap_err(), THRESHOLD_ERROR);
            for j in i + 1..5 {
                let pair = [shares[i].clone(), shares[j].clone()];
                assert_eq!(combine_key(&pair, 3).unwrap_err(), THRESHOLD_ERROR);
            }
        }
        // Asking for a lower threshold than the split used is the caller's
        // mistake and cannot be detected: the result is then a wrong key.
        let wrong = combine_key(&shares[..2], 2).unwrap();
        assert_ne!(wrong.as_bytes(), key.as_bytes());
    }

    #[test]
    fn duplicates_count_once() {
        let mut r = rng(64);
        let key = SymmetricKey::generate(&mut r);
        let s = split_key(&key, 3, 5, &mut r).unwrap();
        let twice = [s[0].clone(), s[0].clone(), s[1].clone()];
        assert_eq!(combine_key(&twice, 3).unwrap_err(), THRESHOLD_ERROR);
        let thrice = [s[1].clone(), s[1].clone(), s[1].clone()];
        assert_eq!(combine_key(&thrice, 2).unwrap_err(), THRESHOLD_ERROR);
        // Enough distinct shares plus a repeat: the repeat must not cancel out.
        let with_repeat = [s[0].clone(), s[1].clone(), s[0].clone(), s[2].clone()];
        assert_eq!(
            combine_key(&with_repeat, 3).unwrap().as_bytes(),
            key.as_bytes()
        );
        // Two different values for one index.
        let mut other = s[0].clone();
        other.value[7] ^= 1;
        let conflicting = [s[0].clone(), s[1].clone(), s[2].clone(), other];
        assert_eq!(
            combine_key(&conflicting, 3).unwrap_err(),
            CryptoError::Malformed
        );
    }

    /// Shares cannot tell a forged share from a real one, so `k - 1` real
    /// shares plus a forged one "rebuild" some key. Show that it is never the
    /// right one unless the forged share *is* the real one, and that every
    /// value of a key byte is equally reachable: `k - 1` shares reveal nothing.
    #[test]
    fn k_minus_one_shares_plus_a_forgery_do_not_give_the_key() {
        let mut r = rng(65);
        let key = SymmetricKey::generate(&mut r);
        let shares = split_key(&key, 3, 5, &mut r).unwrap();
        let real = &shares[2];
        let mut seen = [false; 256];
        for guess in 0..=255u8 {
            let mut forged = real.clone();
            forged.value[0] = guess;
            let got = combine_key(&[shares[0].clone(), shares[1].clone(), forged], 3).unwrap();
            assert_eq!(
                got.as_bytes() == key.as_bytes(),
                guess == real.value[0],
                "guess {guess}"
            );
            seen[usize::from(got.as_bytes()[0])] = true;
        }
        assert!(seen.iter().all(|&s| s), "some key byte unreachable");

        // A forgery at an index nobody holds, with random bytes.
        for index in [6, 200, 255] {
            let mut forged = Share {
                index,
                value: [0; KEY_LEN],
            };
            r.fill_bytes(&mut forged.value);
            let got = combine_key(&[shares[3].clone(), shares[4].clone(), forged], 3).unwrap();
            assert_ne!(got.as_bytes(), key.as_bytes());
        }
    }

    #[test]
    fn share_bytes_round_trip_and_refusals() {
        let mut r = rng(66);
        let key = SymmetricKey::generate(&mut r);
        let shares = split_key(&key, 2, 3, &mut r).unwrap();
        let b = shares[1].to_bytes();
        assert_eq!(b.len(), SHARE_LEN);
        assert_eq!((b[0], b[1]), (1, 2));
        let back = Share::from_bytes(&b).unwrap();
        assert_eq!(back.index(), 2);
        assert_eq!(back.value, shares[1].value);
        let rebuilt = combine_key(
            &[Share::from_bytes(&shares[0].to_bytes()).unwrap(), back],
            2,
        );
        assert_eq!(rebuilt.unwrap().as_bytes(), key.as_bytes());

        for n in 0..b.len() {
            assert_eq!(
                Share::from_bytes(&b[..n]).unwrap_err(),
                CryptoError::Malformed
            );
        }
        let mut long = b.to_vec();
        long.push(0);
        assert_eq!(
            Share::from_bytes(&long).unwrap_err(),
            CryptoError::Malformed
        );
        let mut v = b.to_vec();
        v[0] = 2;
        assert_eq!(Share::from_bytes(&v).unwrap_err(), CryptoError::Malformed);
        let mut zero = b.to_vec();
        zero[1] = 0;
        assert_eq!(
            Share::from_bytes(&zero).unwrap_err(),
            CryptoError::Malformed
        );
    }

    #[test]
    fn wrapped_share_opens_only_with_its_key_and_aad() {
        let mut r = rng(67);
        let custodian = SecretKey::generate(&mut r);
        let other = SecretKey::generate(&mut r);
        let key = SymmetricKey::generate(&mut r);
        let shares = split_key(&key, 2, 3, &mut r).unwrap();
        let aad = b"case:7:idshare:custodian:2";
        let blob = wrap_share_to_public(&custodian.public_key(), &shares[1], aad, &mut r);
        assert_eq!(blob.len(), 2 + 1 + 32 + 24 + 32 + 16);
        assert_eq!((blob[0], blob[1]), (1, 2));

        let back = unwrap_share_with_secret(&custodian, &blob, aad).unwrap();
        assert_eq!(back.index(), 2);
        assert_eq!(*back.to_bytes(), *shares[1].to_bytes());

        assert_eq!(
            unwrap_share_with_secret(&other, &blob, aad).unwrap_err(),
            CryptoError::Decrypt
        );
        assert_eq!(
            unwrap_share_with_secret(&custodian, &blob, b"case:7:idshare:custodian:3").unwrap_err(),
            CryptoError::Decrypt
        );
        assert_eq!(
            unwrap_share_with_secret(&custodian, &blob, b"").unwrap_err(),
            CryptoError::Decrypt
        );
        // The clear index is authenticated.
        let mut moved = blob.clone();
        moved[1] = 3;
        assert_eq!(
            unwrap_share_with_secret(&custodian, &moved, aad).unwrap_err(),
            CryptoError::Decrypt
        );
        for i in 2..blob.len() {
            let mut b = blob.clone();
            b[i] ^= 0x10;
            assert!(
                unwrap_share_with_secret(&custodian, &b, aad).is_err(),
                "byte {i}"
            );
        }
        for n in 0..blob.len() {
            assert!(unwrap_share_with_secret(&custodian, &blob[..n], aad).is_err());
        }
        for (at, byte) in [(0, 0), (0, 2), (1, 0)] {
            let mut b = blob.clone();
            b[at] = byte;
            assert_eq!(
                unwrap_share_with_secret(&custodian, &b, aad).unwrap_err(),
                CryptoError::Malformed
            );
        }

        // A wrapped share is not a wrapped key, and a wrapped key is not a share.
        assert_eq!(
            unwrap_with_secret(&custodian, &blob[2..], aad).unwrap_err(),
            CryptoError::Decrypt
        );
        let mut key_blob = vec![1, 2];
        key_blob.extend(wrap_to_public(&custodian.public_key(), &key, aad, &mut r));
        assert_eq!(
            unwrap_share_with_secret(&custodian, &key_blob, aad).unwrap_err(),
            CryptoError::Decrypt
        );
    }

    /// The vault flow from the design: shares sealed to custodians at intake,
    /// re-wrapped to the handler by each approving custodian.
    #[test]
    fn custodians_approve_and_the_handler_rebuilds() {
        let mut r = rng(68);
        let custodians: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate(&mut r)).collect();
        let handler = SecretKey::generate(&mut r);
        let identity_key = SymmetricKey::generate(&mut r);
        let sealed = crate::seal(&identity_key, b"name", b"case:7:identity", &mut r);

        let at_intake: Vec<Vec<u8>> = split_key(&identity_key, 3, 4, &mut r)
            .unwrap()
            .iter()
            .zip(&custodians)
            .map(|(s, c)| {
                let aad = format!("case:7:idshare:custodian:{}", s.index());
                wrap_share_to_public(&c.public_key(), s, aad.as_bytes(), &mut r)
            })
            .collect();

        // Custodians 1, 3 and 4 approve request 9.
        let mut for_handler = Vec::new();
        for i in [0, 2, 3] {
            let aad = format!("case:7:idshare:custodian:{}", i + 1);
            let share =
                unwrap_share_with_secret(&custodians[i], &at_intake[i], aad.as_bytes()).unwrap();
            let aad = format!("case:7:request:9:share:{}", share.index());
            for_handler.push(wrap_share_to_public(
                &handler.public_key(),
                &share,
                aad.as_bytes(),
                &mut r,
            ));
        }
        let opened: Vec<Share> = for_handler
            .iter()
            .map(|b| {
                let aad = format!("case:7:request:9:share:{}", b[1]);
                unwrap_share_with_secret(&handler, b, aad.as_bytes()).unwrap()
            })
            .collect();
        let ik = combine_key(&opened, 3).unwrap();
        assert_eq!(
            &*crate::open(&ik, &sealed, b"case:7:identity").unwrap(),
            b"name"
        );
        // Two approvals are not enough.
        assert_eq!(combine_key(&opened[..2], 3).unwrap_err(), THRESHOLD_ERROR);
    }

    #[test]
    fn debug_is_redacted() {
        let mut r = rng(69);
        let key = SymmetricKey::generate(&mut r);
        for s in split_key(&key, 2, 3, &mut r).unwrap() {
            let d = format!("{s:?}");
            assert_no_hex(&d, &s.value);
            assert!(d.contains("redacted"), "{d}");
        }
        let mut b = vec![1, 7];
        b.extend([0xab; 32]);
        let s = Share::from_bytes(&b).unwrap();
        let d = format!("{s:?}");
        assert_no_hex(&d, &s.value);
        assert_eq!(d, "Share(7, <redacted>)");
    }

    /// The largest sharing a u8 allows (255 of 255). Only checks the result;
    /// it times nothing.
    #[test]
    fn largest_sharing_works() {
        let mut r = rng(70);
        let key = SymmetricKey::generate(&mut r);
        let shares = split_key(&key, 255, 255, &mut r).unwrap();
        assert_eq!(shares.last().unwrap().index(), 255);
        assert_eq!(
            combine_key(&shares, 255).unwrap().as_bytes(),
            key.as_bytes()
        );
        assert_eq!(combine_key(&shares[1..], 255).unwrap_err(), THRESHOLD_ERROR);
    }

    fn k_of_n() -> impl Strategy<Value = (u8, u8)> {
        (1u8..=10).prop_flat_map(|n| (1..=n, Just(n)))
    }

    proptest! {
        #[test]
        fn any_k_of_n_rebuild_and_fewer_are_refused(
            (k, n) in k_of_n(),
            extra in 0u8..10,
            seed in any::<u64>(),
        ) {
            let mut r = rng(seed);
            let key = SymmetricKey::generate(&mut r);
            let mut shares = split_key(&key, k, n, &mut r).unwrap();
            prop_assert_eq!(shares.len(), usize::from(n));
            shares.shuffle(&mut r);
            let k = usize::from(k);
            let enough = k + usize::from(extra) % (usize::from(n) - k + 1);
            let threshold = u8::try_from(k).unwrap();
            let back = combine_key(&shares[..enough], threshold).unwrap();
            prop_assert_eq!(back.as_bytes(), key.as_bytes());
            prop_assert_eq!(
                combine_key(&shares[..k - 1], threshold).unwrap_err(),
                THRESHOLD_ERROR
            );
        }

        #[test]
        fn share_parsing_never_panics(
            blob in proptest::collection::vec(any::<u8>(), 0..160),
            aad in proptest::collection::vec(any::<u8>(), 0..32),
        ) {
            let sk = SecretKey::from_bytes([9; 32]);
            if let Ok(s) = Share::from_bytes(&blob) {
                prop_assert_eq!(&*s.to_bytes(), &blob[..]);
            }
            prop_assert!(unwrap_share_with_secret(&sk, &blob, &aad).is_err());
        }
    }
}
