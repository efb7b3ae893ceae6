//! Reporter receipts and the server secret (pepper) that protects them.

use rand::{CryptoRng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::base32;
use crate::kdf::{hkdf_sha256, hmac_sha256};
use crate::{CryptoError, SymmetricKey};

/// 80 bits: 16 base32 symbols.
const RECEIPT_BYTES: usize = 10;
const RECEIPT_SYMBOLS: usize = base32::encoded_len(RECEIPT_BYTES);
const LOOKUP_PREFIX: &[u8] = b"receipt-lookup";
const RECEIPT_WRAP_INFO: &[u8] = b"minhbach receipt wrap v1";

/// A reporter's receipt: 80 random bits, displayed as `XXXX-XXXX-XXXX-XXXX`.
///
/// It is the reporter's only credential and is never stored; only
/// [`ServerSecret::receipt_lookup`] of it is.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Receipt([u8; RECEIPT_BYTES]);

impl Receipt {
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let mut b = [0u8; RECEIPT_BYTES];
        rng.fill_bytes(&mut b);
        Self(b)
    }

    /// Case-insensitive; spaces and dashes anywhere are ignored; I and L read
    /// as 1, O as 0. Anything else, or not exactly 16 symbols, is `BadReceipt`.
    pub fn parse(s: &str) -> Result<Self, CryptoError> {
        let bytes = base32::decode(s, RECEIPT_BYTES).ok_or(CryptoError::BadReceipt)?;
        let mut b = [0u8; RECEIPT_BYTES];
        b.copy_from_slice(&bytes);
        Ok(Self(b))
    }

    /// The display form `XXXX-XXXX-XXXX-XXXX`, to be shown exactly once.
    pub fn expose(&self) -> String {
        base32::group(&self.symbols(), 4)
    }

    /// The 16 canonical upper-case ASCII symbols, without dashes: the input
    /// of both derivations, so every accepted spelling gives the same keys.
    fn symbols(&self) -> Zeroizing<Vec<u8>> {
        base32::encode(&self.0)
    }
}

impl std::fmt::Debug for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Receipt(<redacted>)")
    }
}

/// The 32-byte server secret (pepper), kept in a file outside the database.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ServerSecret([u8; 32]);

impl ServerSecret {
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b);
        Self(b)
    }

    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(b)
    }

    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0)
    }

    /// `HMAC-SHA256(secret, "receipt-lookup" || symbols)`: the only value
    /// stored to find a case from its receipt. Without the secret a database
    /// copy cannot be used to test receipt guesses offline.
    pub fn receipt_lookup(&self, r: &Receipt) -> [u8; 32] {
        hmac_sha256(&self.0, &[LOOKUP_PREFIX, &r.symbols()])
    }

    /// The key wrapping the case key and identity key for the reporter:
    /// `HKDF-SHA256(ikm = symbols, salt = secret, info = "minhbach receipt wrap v1")`.
    ///
    /// A different construction and label from [`Self::receipt_lookup`], so
    /// the stored lookup value reveals nothing about this key.
    pub fn receipt_key(&self, r: &Receipt) -> SymmetricKey {
        SymmetricKey::from_bytes(*hkdf_sha256(Some(&self.0), &r.symbols(), RECEIPT_WRAP_INFO))
    }

    /// `HMAC-SHA256(secret, label || 0x00 || data)` for other server uses
    /// (form tokens, session ids). `label` must not contain a NUL byte, which
    /// keeps every (label, data) pair distinct from every other and from the
    /// receipt lookup input (which never contains NUL).
    pub fn mac(&self, label: &str, data: &[u8]) -> [u8; 32] {
        debug_assert!(!label.as_bytes().contains(&0), "MAC label contains NUL");
        hmac_sha256(&self.0, &[label.as_bytes(), &[0], data])
    }

    /// Constant-time check of a tag produced by [`Self::mac`].
    pub fn verify_mac(&self, label: &str, data: &[u8], tag: &[u8]) -> bool {
        self.mac(label, data).ct_eq(tag).into()
    }
}

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(<redacted>)")
    }
}

// 80 bits fill 16 symbols exactly: no padding bits, no wasted entropy.
const _: () = assert!(RECEIPT_SYMBOLS == 16 && RECEIPT_BYTES * 8 == 80);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::test_util::{assert_no_hex, rng};
    use proptest::prelude::*;

    fn is_symbol(c: char) -> bool {
        c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c))
    }

    #[test]
    fn format_is_four_groups_of_four() {
        let mut r = rng(20);
        for _ in 0..200 {
            let receipt = Receipt::generate(&mut r);
            let s = receipt.expose();
            assert_eq!(s.len(), 19);
            let groups: Vec<&str> = s.split('-').collect();
            assert_eq!(groups.len(), 4);
            assert!(groups
                .iter()
                .all(|g| g.len() == 4 && g.chars().all(is_symbol)));
            // 16 symbols * 5 bits = 80 bits, with no padding.
            assert_eq!(receipt.0.len() * 8, 80);
            assert_eq!(s.chars().filter(|&c| c != '-').count() * 5, 80);
        }
    }

    #[test]
    fn parse_is_forgiving() {
        let ss = ServerSecret::from_bytes([1; 32]);
        let r = Receipt::parse("1O1L-ABCD-EFGH-JKMN").unwrap();
        assert_eq!(r.expose(), "1011-ABCD-EFGH-JKMN");
        let want = ss.receipt_lookup(&r);
        for s in [
            "1011-ABCD-EFGH-JKMN",
            "1011abcdefghjkmn",
            "  1011 abcd efgh jkmn ",
            "i0i1-AbCd-eFgH-jKmN",
            "10-11ab-cdef--ghjkmn",
            "lo11ABCDEFGHJKMN",
        ] {
            assert_eq!(ss.receipt_lookup(&Receipt::parse(s).unwrap()), want, "{s}");
        }
    }

    #[test]
    fn parse_rejects() {
        for s in [
            "",
            "1011-ABCD-EFGH-JKM",   // 15 symbols
            "1011-ABCD-EFGH-JKMNP", // 17 symbols
            "1011-ABCD-EFGH-JKMU",  // U is not a symbol
            "1011-ABCD-EFGH-JKM*",
            "1011_ABCD_EFGH_JKMN",
            "1011-ABCD-EFGH-JKMÑ",
        ] {
            assert_eq!(
                Receipt::parse(s).unwrap_err(),
                CryptoError::BadReceipt,
                "{s}"
            );
        }
    }

    #[test]
    fn lookup_and_key_are_independent() {
        let mut r = rng(21);
        let a = ServerSecret::generate(&mut r);
        let b = ServerSecret::generate(&mut r);
        let receipt = Receipt::generate(&mut r);
        let other = Receipt::generate(&mut r);
        assert_ne!(
            &a.receipt_lookup(&receipt),
            a.receipt_key(&receipt).as_bytes()
        );
        assert_ne!(a.receipt_lookup(&receipt), b.receipt_lookup(&receipt));
        assert_ne!(
            a.receipt_key(&receipt).as_bytes(),
            b.receipt_key(&receipt).as_bytes()
        );
        assert_ne!(a.receipt_lookup(&receipt), a.receipt_lookup(&other));
        assert_ne!(
            a.receipt_key(&receipt).as_bytes(),
            a.receipt_key(&other).as_bytes()
        );
        // Deterministic for the same inputs.
        assert_eq!(a.receipt_lookup(&receipt), a.receipt_lookup(&receipt));
        assert_eq!(
            a.receipt_key(&receipt).as_bytes(),
            a.receipt_key(&receipt).as_bytes()
        );
        // A MAC under the lookup label is not the lookup value.
        let syms = receipt.symbols();
        assert_ne!(a.mac("receipt-lookup", &syms), a.receipt_lookup(&receipt));
    }

    #[test]
    fn receipt_key_wraps_case_key() {
        let mut r = rng(22);
        let ss = ServerSecret::generate(&mut r);
        let receipt = Receipt::generate(&mut r);
        let case_key = SymmetricKey::generate(&mut r);
        let blob = crate::wrap_key(
            &ss.receipt_key(&receipt),
            &case_key,
            b"case:1:reporter",
            &mut r,
        );
        let typed = Receipt::parse(&receipt.expose().to_lowercase()).unwrap();
        let back = crate::unwrap_key(&ss.receipt_key(&typed), &blob, b"case:1:reporter").unwrap();
        assert_eq!(back.as_bytes(), case_key.as_bytes());
        let wrong = Receipt::generate(&mut r);
        assert!(crate::unwrap_key(&ss.receipt_key(&wrong), &blob, b"case:1:reporter").is_err());
    }

    #[test]
    fn mac_labels_separate() {
        let ss = ServerSecret::from_bytes([9; 32]);
        assert_ne!(ss.mac("form", b"x"), ss.mac("session", b"x"));
        assert_ne!(ss.mac("ab", b"c"), ss.mac("a", b"bc"));
        assert_eq!(ss.mac("form", b"x"), ss.mac("form", b"x"));
        let tag = ss.mac("form", b"x");
        assert!(ss.verify_mac("form", b"x", &tag));
        assert!(!ss.verify_mac("form", b"y", &tag));
        assert!(!ss.verify_mac("form", b"x", &tag[..31]));
        assert_ne!(ServerSecret::from_bytes([8; 32]).mac("form", b"x"), tag);
    }

    #[test]
    fn server_secret_bytes_round_trip() {
        let mut r = rng(23);
        let ss = ServerSecret::generate(&mut r);
        let again = ServerSecret::from_bytes(*ss.to_bytes());
        assert_eq!(*again.to_bytes(), *ss.to_bytes());
    }

    #[test]
    fn debug_is_redacted() {
        let mut r = rng(24);
        let receipt = Receipt::generate(&mut r);
        let d = format!("{receipt:?}");
        assert!(!d.contains(&receipt.expose()));
        assert!(!d.contains(&receipt.expose().replace('-', "")));
        assert_no_hex(&d, &receipt.0);
        let ss = ServerSecret::from_bytes([0x3d; 32]);
        assert_no_hex(&format!("{ss:?}"), &*ss.to_bytes());
    }

    proptest! {
        #[test]
        fn expose_parse_round_trip(bytes in any::<[u8; 10]>()) {
            let ss = ServerSecret::from_bytes([2; 32]);
            let r = Receipt(bytes);
            let back = Receipt::parse(&r.expose()).unwrap();
            prop_assert_eq!(ss.receipt_lookup(&back), ss.receipt_lookup(&r));
            prop_assert_eq!(back.expose(), r.expose());
            let sloppy = r.expose().to_lowercase().replace('-', " ");
            prop_assert_eq!(ss.receipt_lookup(&Receipt::parse(&sloppy).unwrap()), ss.receipt_lookup(&r));
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = Receipt::parse(&s);
        }
    }
}
