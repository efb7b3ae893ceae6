//! Argon2id password hashing and password-derived key-encryption keys.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::{CryptoError, SymmetricKey};

/// Length of the salt that [`password_kek`] expects to be stored next to the
/// wrapped staff key.
pub const PASSWORD_SALT_LEN: usize = 16;

/// Argon2id cost parameters (from configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl PasswordParams {
    /// OWASP's minimum recommendation for Argon2id: 19 MiB, 2 passes, 1 lane.
    pub const DEFAULT: Self = Self {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };

    /// Deliberately weak, so tests run fast. Never use in production.
    pub const TEST: Self = Self {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    };

    fn argon2(self) -> Result<Argon2<'static>, CryptoError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|_| CryptoError::Password)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// A fresh random salt for [`password_kek`].
pub fn password_salt(rng: &mut (impl RngCore + CryptoRng)) -> [u8; PASSWORD_SALT_LEN] {
    let mut salt = [0u8; PASSWORD_SALT_LEN];
    rng.fill_bytes(&mut salt);
    salt
}

fn hash_with_salt(
    password: &str,
    salt: &[u8],
    params: PasswordParams,
) -> Result<String, CryptoError> {
    let salt = SaltString::encode_b64(salt).map_err(|_| CryptoError::Password)?;
    params
        .argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| CryptoError::Password)
}

/// Argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with a random
/// 16-byte salt.
pub fn hash_password(
    password: &str,
    params: PasswordParams,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<String, CryptoError> {
    hash_with_salt(password, &password_salt(rng), params)
}

/// Check a password against a PHC string, using the parameters recorded in
/// it (so raising the configured cost does not lock anybody out). The final
/// comparison is constant-time. Mismatch and malformed input both give `false`.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok()
}

/// Key-encryption key for a staff member's secret key: raw Argon2id output
/// (32 bytes) over the password with its own salt (at least 8 bytes;
/// [`PASSWORD_SALT_LEN`] recommended), independent of the login hash.
pub fn password_kek(
    password: &str,
    salt: &[u8],
    params: PasswordParams,
) -> Result<SymmetricKey, CryptoError> {
    let mut out = Zeroizing::new([0u8; 32]);
    params
        .argon2()?
        .hash_password_into(password.as_bytes(), salt, out.as_mut())
        .map_err(|_| CryptoError::Password)?;
    Ok(SymmetricKey::from_bytes(*out))
}

/// Burn the same Argon2 work as a real check, for logins to unknown
/// accounts, so response time does not reveal which accounts exist.
pub fn dummy_verify(password: &str, params: PasswordParams) {
    // A fixed salt is fine: the result is thrown away.
    let out = hash_with_salt(password, b"minhbach-dummy!!", params);
    std::hint::black_box(out).ok();
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::test_util::rng;

    #[test]
    fn hash_and_verify() {
        let mut r = rng(30);
        let phc = hash_password("correct horse", PasswordParams::TEST, &mut r).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("correct horsE", &phc));
        assert!(!verify_password("", &phc));
        // Random salt: same password, different hash.
        let phc2 = hash_password("correct horse", PasswordParams::TEST, &mut r).unwrap();
        assert_ne!(phc, phc2);
        assert!(verify_password("correct horse", &phc2));
    }

    #[test]
    fn malformed_phc_is_false() {
        for phc in [
            "",
            "$argon2id$",
            "not a hash",
            "$argon2id$v=19$m=256,t=1,p=1$AAAA$BBBB",
        ] {
            assert!(!verify_password("x", phc), "{phc}");
        }
    }

    #[test]
    fn bad_params_are_errors() {
        let mut r = rng(31);
        let bad = PasswordParams {
            memory_kib: 1,
            iterations: 0,
            parallelism: 0,
        };
        assert_eq!(
            hash_password("x", bad, &mut r).unwrap_err(),
            CryptoError::Password
        );
        assert_eq!(
            password_kek("x", &[0; 16], bad).unwrap_err(),
            CryptoError::Password
        );
        dummy_verify("x", bad);
    }

    #[test]
    fn kek_is_deterministic_and_salted() {
        let mut r = rng(32);
        let salt = password_salt(&mut r);
        let a = password_kek("pw", &salt, PasswordParams::TEST).unwrap();
        let b = password_kek("pw", &salt, PasswordParams::TEST).unwrap();
        assert_eq!(a.as_bytes(), b.as_bytes());
        let c = password_kek("pw", &password_salt(&mut r), PasswordParams::TEST).unwrap();
        assert_ne!(a.as_bytes(), c.as_bytes());
        let d = password_kek("pw2", &salt, PasswordParams::TEST).unwrap();
        assert_ne!(a.as_bytes(), d.as_bytes());
        assert_eq!(
            password_kek("pw", &[0; 4], PasswordParams::TEST).unwrap_err(),
            CryptoError::Password
        );
    }

    #[test]
    fn kek_protects_staff_key() {
        let mut r = rng(33);
        let salt = password_salt(&mut r);
        let staff = crate::SecretKey::generate(&mut r);
        let kek = password_kek("pw", &salt, PasswordParams::TEST).unwrap();
        let blob = crate::seal_secret_key(&kek, &staff, b"staff:1", &mut r);
        let again = password_kek("pw", &salt, PasswordParams::TEST).unwrap();
        let back = crate::open_secret_key(&again, &blob, b"staff:1").unwrap();
        assert_eq!(back.public_key(), staff.public_key());
        let wrong = password_kek("pW", &salt, PasswordParams::TEST).unwrap();
        assert!(crate::open_secret_key(&wrong, &blob, b"staff:1").is_err());
    }

    #[test]
    fn dummy_verify_runs() {
        dummy_verify("anything", PasswordParams::TEST);
        dummy_verify("", PasswordParams::TEST);
    }

    #[test]
    fn default_params_match_owasp() {
        assert_eq!(
            PasswordParams::DEFAULT,
            PasswordParams {
                memory_kib: 19_456,
                iterations: 2,
                parallelism: 1
            }
        );
        assert!(PasswordParams::DEFAULT.argon2().is_ok());
    }
}
