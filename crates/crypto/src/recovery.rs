//! Text form of the organisation recovery key.
//!
//! `MBR1-` followed by the Crockford base32 of `secret(32) || checksum(2)`
//! (checksum = first two bytes of SHA-256 of the secret) in dash-separated
//! groups of five: 34 bytes are 55 symbols, exactly 11 groups.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::base32;
use crate::kdf::sha256;
use crate::{CryptoError, SecretKey};

const PREFIX: &str = "MBR1";
const SECRET_LEN: usize = 32;
const CHECK_LEN: usize = 2;

/// The printable recovery key, e.g. `MBR1-XXXXX-XXXXX-…` (11 groups).
pub fn recovery_key_to_text(sk: &SecretKey) -> String {
    let secret = sk.to_bytes();
    let mut payload = Zeroizing::new([0u8; SECRET_LEN + CHECK_LEN]);
    payload[..SECRET_LEN].copy_from_slice(secret.as_ref());
    payload[SECRET_LEN..].copy_from_slice(&sha256(secret.as_ref())[..CHECK_LEN]);
    let symbols = base32::encode(payload.as_ref());
    format!("{PREFIX}-{}", base32::group(&symbols, 5))
}

/// Parse the printed recovery key. Case-insensitive, ignores whitespace and
/// dashes, reads I/L as 1 and O as 0. Anything malformed, and any checksum
/// mismatch (a typo), is `BadRecoveryKey`.
pub fn recovery_key_from_text(s: &str) -> Result<SecretKey, CryptoError> {
    let s = s.trim_start();
    let rest = match s.get(..PREFIX.len()) {
        Some(p) if p.eq_ignore_ascii_case(PREFIX) => &s[PREFIX.len()..],
        _ => return Err(CryptoError::BadRecoveryKey),
    };
    let payload =
        base32::decode(rest, SECRET_LEN + CHECK_LEN).ok_or(CryptoError::BadRecoveryKey)?;
    let (secret, check) = payload.split_at(SECRET_LEN);
    let expected = sha256(secret);
    if !bool::from(expected[..CHECK_LEN].ct_eq(check)) {
        return Err(CryptoError::BadRecoveryKey);
    }
    let mut b = Zeroizing::new([0u8; SECRET_LEN]);
    b.copy_from_slice(secret);
    Ok(SecretKey::from_bytes(*b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::test_util::rng;

    #[test]
    fn round_trip_and_shape() {
        let mut r = rng(40);
        for _ in 0..50 {
            let sk = SecretKey::generate(&mut r);
            let text = recovery_key_to_text(&sk);
            let groups: Vec<&str> = text.split('-').collect();
            assert_eq!(groups[0], "MBR1");
            assert_eq!(groups.len(), 12, "{text}");
            assert!(groups[1..].iter().all(|g| g.len() == 5));
            let back = recovery_key_from_text(&text).unwrap();
            assert_eq!(*back.to_bytes(), *sk.to_bytes());
            let sloppy = format!("  {}\n", text.to_lowercase().replace('-', " "));
            let back = recovery_key_from_text(&sloppy).unwrap();
            assert_eq!(back.public_key(), sk.public_key());
        }
    }

    #[test]
    fn one_changed_character_is_caught() {
        let mut r = rng(41);
        let sk = SecretKey::generate(&mut r);
        let text = recovery_key_to_text(&sk);
        let mut failures = 0;
        let mut changed = 0;
        for (i, c) in text.char_indices().skip(5) {
            if c == '-' {
                continue;
            }
            let replacement = if c == 'Z' { 'Y' } else { 'Z' };
            let mut t = text.clone();
            t.replace_range(i..i + 1, &replacement.to_string());
            changed += 1;
            if matches!(recovery_key_from_text(&t), Err(CryptoError::BadRecoveryKey)) {
                failures += 1;
            }
        }
        // A 16-bit checksum misses a random typo with probability 2^-16; with
        // this fixed seed every single change is caught.
        assert_eq!(failures, changed);
    }

    #[test]
    fn malformed_is_rejected() {
        let mut r = rng(42);
        let text = recovery_key_to_text(&SecretKey::generate(&mut r));
        let cases = [
            String::new(),
            text.replacen("MBR1", "MBR2", 1),
            text[5..].to_string(),
            text[..text.len() - 1].to_string(),
            format!("{text}0"),
            text.replacen('-', "U", 2),
        ];
        for t in &cases {
            assert!(
                matches!(recovery_key_from_text(t), Err(CryptoError::BadRecoveryKey)),
                "{t}"
            );
        }
    }
}
